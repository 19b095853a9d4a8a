"""The ``oot`` command line: ``oot demo`` and ``oot analyze FILE ...``.

``oot demo`` runs the whole analysis on the bundled Chicago ridership data and writes a
report folder. ``oot analyze`` does the same on your CSV (or Parquet) file. Errors in the
input print one line, ``oot: error: ...``, on stderr and exit with status 2; ``--json``
prints only the machine-readable result on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

__all__ = ["main", "build_parser", "MODELS", "make_estimator"]

_EXIT_USAGE = 2


class CLIError(Exception):
    """An input problem reported as one ``oot: error:`` line and exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage block)."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(message)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# ------------------------------------------------------------------------------ models
def _models() -> dict[str, tuple[str, str | None, str | None]]:
    """name -> (description, regressor class path, classifier class path)."""
    return {
        "linear": ("ordinary least squares (scaled)", "sklearn.linear_model.LinearRegression",
                   None),
        "ridge": ("ridge regression / classifier (scaled)", "sklearn.linear_model.Ridge",
                  "sklearn.linear_model.LogisticRegression"),
        "logistic": ("logistic regression (scaled)", None,
                     "sklearn.linear_model.LogisticRegression"),
        "hgb": ("histogram gradient boosting", "sklearn.ensemble.HistGradientBoostingRegressor",
                "sklearn.ensemble.HistGradientBoostingClassifier"),
        "gbm": ("gradient boosting", "sklearn.ensemble.GradientBoostingRegressor",
                "sklearn.ensemble.GradientBoostingClassifier"),
        "rf": ("random forest", "sklearn.ensemble.RandomForestRegressor",
               "sklearn.ensemble.RandomForestClassifier"),
        "et": ("extra trees", "sklearn.ensemble.ExtraTreesRegressor",
               "sklearn.ensemble.ExtraTreesClassifier"),
        "dummy": ("predicts the training mean / class prior (a floor to compare with)",
                  "sklearn.dummy.DummyRegressor", "sklearn.dummy.DummyClassifier"),
    }


#: Model names ``oot analyze --model`` accepts.
MODELS: tuple[str, ...] = tuple(_models())


def make_estimator(name: str, task: str, params: dict[str, Any] | None = None) -> Any:
    """Build the scikit-learn estimator ``--model name`` stands for.

    Linear models get a :class:`~sklearn.preprocessing.StandardScaler`, and every model
    but ``hgb`` (which handles missing values itself) a median
    :class:`~sklearn.impute.SimpleImputer`, in a Pipeline.

    Parameters
    ----------
    name : str
        One of :data:`MODELS`.
    task : {"regression", "classification"}
    params : dict, default=None
        Keyword arguments for the model (``--model-params``).

    Returns
    -------
    estimator

    Raises
    ------
    ValueError
        Unknown name, a model that does not fit the task, or bad parameters.

    Examples
    --------
    >>> from oot.cli import make_estimator
    >>> make_estimator("hgb", "regression", {"max_iter": 50})
    HistGradientBoostingRegressor(max_iter=50)
    >>> make_estimator("logistic", "classification").steps[-1][0]
    'logisticregression'
    """
    import importlib

    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    table = _models()
    if name not in table:
        msg = (f"argument --model: invalid choice: {name!r} (choose from "
               + ", ".join(repr(m) for m in table) + ")")
        raise CLIError(msg)
    _, reg, clf = table[name]
    path = reg if task == "regression" else clf
    if path is None:
        other = "classification" if task == "regression" else "regression"
        msg = (f"argument --model: {name!r} is a {other} model but the metric is a "
               f"{task} metric; choose another model or metric")
        raise CLIError(msg)
    module, cls_name = path.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), cls_name)
    kwargs = dict(params or {})
    if name == "logistic" or (name == "ridge" and task == "classification"):
        kwargs.setdefault("max_iter", 1000)
    try:
        model = cls(**kwargs)
    except TypeError as exc:
        msg = f"argument --model-params: {cls_name} does not accept these parameters: {exc}"
        raise CLIError(msg) from exc
    if name == "hgb":
        return model
    steps: list[Any] = [SimpleImputer(strategy="median")]
    if name in ("linear", "ridge", "logistic"):
        steps.append(StandardScaler())
    return make_pipeline(*steps, model)


# ------------------------------------------------------------------------------ parser
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


def build_parser() -> argparse.ArgumentParser:
    """The ``oot`` argument parser (subcommands ``demo`` and ``analyze``).

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

    demo = sub.add_parser(
        "demo", help="run the analysis on the bundled Chicago ridership data",
        description="Run the full analysis on the bundled Chicago 'L' ridership data "
                    "(2001-2016): an extra-trees model trained on two years, 12 "
                    "quarterly anchors, monthly windows, MAE, 20%% tolerance. Prints the "
                    "recommendation and writes a report folder.")
    demo.add_argument("--out", default="oot-report", metavar="DIR",
                      help="report folder (default: %(default)s)")
    demo.add_argument("--json", action="store_true",
                      help="print only the result as JSON on stdout")
    demo.add_argument("--quiet", action="store_true", help="print only the sentence")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")

    an = sub.add_parser(
        "analyze", help="analyze a CSV or Parquet file",
        description="Run the out-of-time analysis on FILE (CSV, or Parquet with pyarrow) "
                    "and write a report folder. Window lengths are pandas strings for "
                    "datetime time ('30D', '2W', 'MS' calendar months, 'QS' quarters) and "
                    "numbers for numeric time.")
    an.add_argument("file", metavar="FILE", help="CSV (.csv, .csv.gz) or Parquet file")
    an.add_argument("--time", required=True, metavar="COL", help="time column")
    an.add_argument("--target", required=True, metavar="COL", help="target column")
    an.add_argument("--features", metavar="A,B,...",
                    help="comma-separated feature columns (default: every other numeric "
                         "column)")
    an.add_argument("--model", required=True, metavar="NAME",
                    help="one of: " + ", ".join(MODELS))
    an.add_argument("--model-params", metavar="JSON",
                    help="model parameters as a JSON object, e.g. '{\"max_iter\": 200}'")
    an.add_argument("--metric", required=True, metavar="NAME",
                    help="metric name, e.g. roc_auc, log_loss, accuracy, mae, rmse, r2")
    an.add_argument("--train-window", required=True, type=_length, metavar="W")
    an.add_argument("--eval-window", required=True, type=_length, metavar="W")
    an.add_argument("--gap", type=_length, metavar="G")
    an.add_argument("--horizon", type=_length, metavar="H")
    an.add_argument("--anchors", type=_anchors, default=1, metavar="N|CUTOFFS",
                    help="how many anchors, or comma-separated training cutoffs, e.g. "
                         "2021-01-01,2021-04-01 (a single whole-number cutoff for numeric "
                         "time needs a trailing comma: 10,)")
    an.add_argument("--anchor-step", type=_length, metavar="S")
    an.add_argument("--expanding", action="store_true",
                    help="train on all data before each cutoff")
    an.add_argument("--min-window-size", type=int, default=30, metavar="N")
    an.add_argument("--tolerance", type=_fraction, default=0.05, metavar="T")
    an.add_argument("--tolerance-type", choices=["relative", "absolute"], default="relative")
    an.add_argument("--confidence-level", type=_fraction, default=0.9, metavar="L")
    an.add_argument("--n-bootstrap", type=int, default=1000, metavar="B")
    an.add_argument("--retrain-cost", type=_fraction, metavar="C")
    an.add_argument("--shortfall-cost", type=_fraction, metavar="C")
    an.add_argument("--round-to", type=_length, metavar="R")
    an.add_argument("--n-jobs", type=int, metavar="J")
    an.add_argument("--random-state", type=int, default=0, metavar="S")
    an.add_argument("--out", required=True, metavar="DIR", help="report folder")
    an.add_argument("--json", action="store_true",
                    help="print only the result as JSON on stdout")
    an.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


# ------------------------------------------------------------------------------ helpers
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


# ------------------------------------------------------------------------------ commands
#: Settings of ``oot demo`` (also shown in its report).
DEMO_SETTINGS: dict[str, Any] = {
    "target": "ridership",
    "time": "date",
    "metric": "mae",
    "train_window": "730D",
    "eval_window": "MS",
    "anchors": 12,
    "anchor_step": "QS",
    "horizon": "1461D",
    "min_window_size": 20,
    "tolerance": 0.2,
    "n_bootstrap": 1000,
    "random_state": 0,
}


def _demo_estimator() -> Any:
    from sklearn.ensemble import ExtraTreesRegressor

    return ExtraTreesRegressor(n_estimators=60, max_features=0.5, min_samples_leaf=2,
                               n_jobs=1, random_state=0)


def _run_demo(args: argparse.Namespace) -> int:
    from oot.datasets import load_chicago_ridership
    from oot.recommend import recommend_retrain_interval

    data = load_chicago_ridership()
    features = [c for c in data.columns if c not in ("date", "ridership")]
    start = time.perf_counter()
    rec = recommend_retrain_interval(
        data, _demo_estimator(), features=features, progress=_progress(args),
        **DEMO_SETTINGS)
    seconds = time.perf_counter() - start
    header = (f"oot demo: Chicago 'L' ridership, {len(data):,} days "
              f"({data['date'].min():%Y-%m-%d} to {data['date'].max():%Y-%m-%d}); "
              "extra trees trained on 2 years of data, 12 quarterly anchors, monthly "
              "windows up to 4 years, MAE (thousand riders), 20% tolerance.")
    _emit(rec, args.out, args, seconds, header)
    return 0


def _run_analyze(args: argparse.Namespace) -> int:
    import oot._format as fmt
    from oot._validation import check_columns
    from oot.metrics import get_metric
    from oot.recommend import recommend_retrain_interval

    metric = get_metric(args.metric, func="oot analyze --metric")
    params = _parse_json_object(args.model_params) if args.model_params else {}
    if args.model not in MODELS:
        make_estimator(args.model, "regression")  # raises the one-line error
    data = _read_table(args.file)
    cols = list(data.columns)
    check_columns([args.time], cols, "time", "oot analyze --time")
    check_columns([args.target], cols, "target", "oot analyze --target")
    if args.features:
        features = [f.strip() for f in args.features.split(",") if f.strip()]
        check_columns(features, cols, "features", "oot analyze --features")
        bad = [f for f in features if not _is_numeric(data[f])]
        if bad:
            msg = (f"argument --features: column(s) {', '.join(map(repr, bad))} are not "
                   "numeric; encode them as numbers first")
            raise CLIError(msg)
    else:
        features = [c for c in cols if c not in (args.time, args.target)
                    and _is_numeric(data[c])]
        if not features:
            msg = "no numeric feature columns found; name them with --features"
            raise CLIError(msg)
    estimator = make_estimator(args.model, _task(metric, data[args.target]), params)
    start = time.perf_counter()
    rec = recommend_retrain_interval(
        data, estimator, target=args.target, time=args.time, features=features,
        metric=metric, train_window=args.train_window, eval_window=args.eval_window,
        gap=args.gap, horizon=args.horizon, anchors=args.anchors,
        anchor_step=args.anchor_step, expanding=args.expanding,
        min_window_size=args.min_window_size, tolerance=args.tolerance,
        tolerance_type=args.tolerance_type, confidence_level=args.confidence_level,
        n_bootstrap=args.n_bootstrap, retrain_cost=args.retrain_cost,
        shortfall_cost=args.shortfall_cost, round_to=args.round_to,
        random_state=args.random_state, n_jobs=args.n_jobs, progress=_progress(args))
    seconds = time.perf_counter() - start
    header = (f"oot analyze: {args.file}, {len(data):,} rows, {type(estimator).__name__} "
              f"({args.model}), {fmt.metric_name(metric)}.")
    _emit(rec, args.out, args, seconds, header)
    return 0


def _is_numeric(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col))


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _run_demo,
    "analyze": _run_analyze,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``oot`` command line; return the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (without the program name); ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 on success, 2 for bad input (one ``oot: error:`` line on stderr).

    Examples
    --------
    >>> from oot.cli import main
    >>> main(["analyze", "missing.csv", "--time", "t", "--target", "y", "--model", "hgb",
    ...       "--metric", "mae", "--train-window", "90D", "--eval-window", "30D",
    ...       "--out", "r"])  # doctest: +SKIP
    2
    """
    from oot._validation import EstimatorFitError

    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version
            return int(exc.code or 0) if not isinstance(exc.code, str) else 0
        if args.command is None:
            parser.print_help(sys.stderr)
            return _EXIT_USAGE
        with _warnings_as_lines(sys.stderr):
            return _COMMANDS[args.command](args)
    except CLIError as exc:
        print(f"oot: error: {_one_line(str(exc))}", file=sys.stderr)
    except (ValueError, TypeError, KeyError, OSError, EstimatorFitError) as exc:
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"oot: error: {_one_line(str(text))}", file=sys.stderr)
    except KeyboardInterrupt:
        print("oot: error: interrupted", file=sys.stderr)
        return 130
    return _EXIT_USAGE
