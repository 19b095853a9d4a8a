"""``oot demo``: the whole analysis on the bundled Chicago ridership data."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ._common import _check_out, _emit, _progress

NAME = "demo"


def add_parser(sub: Any) -> None:
    """Add ``oot demo`` to the subcommands ``sub``."""
    demo = sub.add_parser(
        "demo", help="run the analysis on the bundled Chicago ridership data",
        description="Run the full analysis on the bundled Chicago 'L' ridership data "
                    "(2001-2016): an extra-trees model trained on two years, 12 "
                    "quarterly anchors, monthly windows, MAE, 20% tolerance. Prints the "
                    "recommendation and whether history agrees with it (the policy "
                    "backtest), and writes a report folder.")
    demo.add_argument("--out", default="oot-report", metavar="DIR",
                      help="report folder (default: %(default)s)")
    demo.add_argument("--json", action="store_true",
                      help="print only the result as JSON on stdout")
    demo.add_argument("--quiet", action="store_true", help="print only the sentence")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")


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


def run(args: argparse.Namespace) -> int:
    """Run ``oot demo``; return the exit status."""
    from oot.datasets import load_chicago_ridership
    from oot.recommend import recommend_retrain_interval

    _check_out(args)
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
    _emit(rec, args.out, args, seconds, header, backtest=True)
    return 0
