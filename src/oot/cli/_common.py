"""What every ``oot`` command shares: the one-line error, the argument types, reading a
data file, warnings as lines, and printing a recommendation."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn, TextIO

EXIT_USAGE = 2


class CLIError(Exception):
    """An input problem reported as one ``oot: error:`` line and exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage block)."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(message)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _length(text: str) -> str | int | float:
    """A window length: a number for numeric time, else the pandas string (``"30D"``)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _anchors(text: str) -> int | list[str]:
    """``--anchors``: a whole number is how many anchors; anything else is a
    comma-separated list of cutoffs (dates, or numbers for numeric time)."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    cutoffs = [c.strip() for c in text.split(",") if c.strip()]
    if not cutoffs:
        msg = f"expected a number of anchors or comma-separated cutoffs, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return cutoffs


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        msg = f"not a number: {text!r}"
        raise argparse.ArgumentTypeError(msg) from exc


@contextlib.contextmanager
def _warnings_as_lines(stream: TextIO) -> Iterator[None]:
    """Show warnings as one ``oot: warning:`` line each."""
    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        print(f"oot: warning: {_one_line(str(message))}", file=stream)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


def _read_table(path_text: str) -> Any:
    import pandas as pd

    path = Path(path_text)
    if not path.exists():
        msg = f"file not found: {path_text}"
        raise CLIError(msg)
    if path.is_dir():
        msg = f"{path_text} is a folder, not a data file"
        raise CLIError(msg)
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            msg = ("reading Parquet needs pyarrow, which is not installed: "
                   "pip install 'oot[parquet]' (or save the data as CSV)")
            raise CLIError(msg)
        return pd.read_parquet(path)
    if name.endswith((".pkl", ".pickle")):
        msg = "pickle files are not read (they can run code); save the data as CSV"
        raise CLIError(msg)
    sep = "\t" if name.endswith((".tsv", ".tsv.gz")) else ","
    try:
        return pd.read_csv(path, sep=sep)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"could not read {path_text} as CSV: {_one_line(str(exc))}"
        raise CLIError(msg) from exc


def _task(metric: Any, y: Any) -> str:
    import pandas as pd

    if metric.task in ("binary", "classification"):
        return "classification"
    if metric.task == "regression":
        return "regression"
    numeric = pd.api.types.is_float_dtype(y)
    return "regression" if numeric and y.nunique() > 20 else "classification"


def _parse_json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = (f"argument --model-params: invalid JSON {text!r}: {exc}. Write a JSON "
               "object with double-quoted keys, e.g. '{\"alpha\": 0.5}'")
        raise CLIError(msg) from exc
    if not isinstance(value, dict):
        msg = (f"argument --model-params: expected a JSON object like "
               f"'{{\"max_depth\": 3}}', got {type(value).__name__} {text!r}")
        raise CLIError(msg)
    return value


def _summary_lines(rec: Any, seconds: float) -> list[str]:
    import oot._format as fmt

    ev = rec.evaluation
    kind = rec.time_kind
    gib = rec.metric.greater_is_better
    ci = fmt.ci_text(rec.interval_ci, rec.confidence_level, kind, max_age=rec.max_age)
    lines = [
        f"  status           {rec.status}",
        f"  interval         {fmt.age(rec.interval, kind)}  ({ci})",
        f"  {fmt.metric_name(rec.metric):<16} baseline {fmt.number(rec.baseline)}, "
        f"threshold {fmt.number(rec.threshold)} "
        f"({fmt.tolerance_signed(rec.tolerance, rec.tolerance_type, gib)})",
        f"  curve            {rec.curve.family} (trend p = "
        f"{fmt.pvalue(rec.curve.trend_pvalue)})",
        f"  evaluated        {ev.n_anchors} anchors, {ev.n_usable} usable windows, ages "
        f"up to {fmt.age(rec.max_age, kind)}",
        f"  time             {seconds:.1f} s",
    ]
    if rec.cost_optimal_interval is not None:
        lines.insert(2, f"  cost-optimal     {fmt.age(rec.cost_optimal_interval, kind)}")
    return lines


def _emit(rec: Any, out: str, args: argparse.Namespace, seconds: float,
          header: str | None) -> None:
    from oot.report import save_report

    folder = save_report(rec, out)
    if args.json:
        print(rec.to_json())
        return
    if getattr(args, "quiet", False):
        print(str(rec))
        return
    if header:
        print(header)
    print()
    print(str(rec))
    print()
    print("\n".join(_summary_lines(rec, seconds)))
    print()
    print(f"Report written to {folder / 'index.html'}")


def _progress(args: argparse.Namespace) -> bool:
    return not args.no_progress and not args.json and sys.stderr.isatty()


def _is_numeric(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col))
