"""The ``oot`` command line: ``oot demo``, ``oot analyze FILE ...`` and ``oot compare``.

``oot demo`` runs the whole analysis on the bundled Chicago ridership data and writes a
report folder. ``oot analyze`` does the same on your CSV (or Parquet) file; ``oot compare``
puts candidates (models, training-window lengths, a heuristic) side by side. Errors in the
input print one line, ``oot: error: ...``, on stderr and exit with status 2; ``--json``
prints only the machine-readable result on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from . import _analyze, _compare, _demo, _due
from ._common import EXIT_USAGE, _one_line, _Parser, _warnings_as_lines
from ._common import CLIError as CLIError  # re-exported: the module was one file
from ._common import _summary_lines as _summary_lines
from ._demo import DEMO_SETTINGS as DEMO_SETTINGS
from ._models import MODELS, make_estimator

__all__ = ["main", "build_parser", "MODELS", "make_estimator"]

#: The subcommands, in the order ``oot --help`` lists them: each module has ``NAME``,
#: ``add_parser(sub)`` and ``run(args) -> int``.
_COMMAND_MODULES = (_demo, _analyze, _compare, _due)

#: The schema of an error printed as JSON (under ``--json``, and by ``oot due``).
FLAT_ERROR_SCHEMA = "oot.flat/1"

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    m.NAME: m.run for m in _COMMAND_MODULES}


def build_parser() -> argparse.ArgumentParser:
    """The ``oot`` argument parser (subcommands ``demo``, ``analyze`` and ``compare``).

    Examples
    --------
    >>> from oot.cli import build_parser
    >>> args = build_parser().parse_args(["demo", "--out", "r", "--quiet"])
    >>> args.command, args.out, args.quiet
    ('demo', 'r', True)
    """
    import oot

    parser = _Parser(
        prog="oot",
        description="How often must a model be retrained? Out-of-time retraining-cadence "
                    "analysis: train on anchor windows, score the frozen models on later "
                    "windows, fit how the metric degrades with model age, and recommend "
                    "the retraining interval with its confidence interval.",
    )
    parser.add_argument("--version", action="version", version=f"oot {oot.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _COMMAND_MODULES:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``oot`` command line; return the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (without the program name); ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 on success (``oot due``: the model is fine), 1 from ``oot due`` when
        retraining is due, 2 for bad input (one ``oot: error:`` line on stderr; with
        ``--json``, and from ``oot due``, also one JSON object on stdout:
        ``{"schema": "oot.flat/1", "kind": "error", "error": ..., "exit_code": 2}``).

    Examples
    --------
    >>> from oot.cli import main
    >>> main(["analyze", "missing.csv", "--time", "t", "--target", "y", "--model", "hgb",
    ...       "--metric", "mae", "--train-window", "90D", "--eval-window", "30D",
    ...       "--out", "r"])  # doctest: +SKIP
    2
    """
    from oot._validation import EstimatorFitError

    argv = list(sys.argv[1:] if argv is None else argv)
    # --json (and `oot due`, which always answers in JSON): an error is a JSON line too
    as_json = "--json" in argv or (bool(argv) and argv[0] == "due")
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version
            return int(exc.code or 0) if not isinstance(exc.code, str) else 0
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        with _warnings_as_lines(sys.stderr):
            return _COMMANDS[args.command](args)
    except CLIError as exc:
        text = str(exc)
    except (ValueError, TypeError, KeyError, OSError, EstimatorFitError) as exc:
        text = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)
    except KeyboardInterrupt:
        print("oot: error: interrupted", file=sys.stderr)
        return 130
    print(f"oot: error: {_one_line(text)}", file=sys.stderr)
    if as_json:
        print(json.dumps({"schema": FLAT_ERROR_SCHEMA, "kind": "error",
                          "error": _one_line(text), "exit_code": EXIT_USAGE}))
    return EXIT_USAGE
