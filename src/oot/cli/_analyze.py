"""``oot analyze FILE``: the analysis on the user's CSV or Parquet file."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ._common import (
    CLIError,
    _anchors,
    _check_out,
    _emit,
    _fraction,
    _is_numeric,
    _length,
    _parse_json_object,
    _progress,
    _read_table,
    _task,
)
from ._models import MODELS, make_estimator

NAME = "analyze"


def add_parser(sub: Any) -> None:
    """Add ``oot analyze`` to the subcommands ``sub``."""
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
    an.add_argument("--backtest", action="store_true",
                    help="also check the recommendation on history: replay every "
                         "retraining cadence on the evaluation's periods and print whether "
                         "the recommended one kept the metric within tolerance (needs 3 or "
                         "more anchors one eval window apart, or a multiple of it)")
    an.add_argument("--out", required=True, metavar="DIR", help="report folder")
    an.add_argument("--json", action="store_true",
                    help="print only the result as JSON on stdout")
    an.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run ``oot analyze``; return the exit status."""
    import oot._format as fmt
    from oot._validation import check_columns
    from oot.metrics import get_metric
    from oot.recommend import recommend_retrain_interval

    metric = get_metric(args.metric, func="oot analyze --metric")
    params = _parse_json_object(args.model_params) if args.model_params else {}
    _check_out(args)
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
    _emit(rec, args.out, args, seconds, header, backtest=args.backtest)
    return 0
