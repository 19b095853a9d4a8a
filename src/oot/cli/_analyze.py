"""``oot analyze FILE``: the analysis on the user's CSV or Parquet file.

Every option can also come from a TOML file (``--config FILE.toml``): one key per
option, spelled as the option without its dashes (``train_window`` or
``train-window``), plus ``file`` for the data file; options given on the command line
override the file. An unknown key is an error that names it and the close names.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oot.recommend._checks import CURVES

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

#: Options every run needs (from the command line or the config file).
REQUIRED = ("file", "time", "target", "model", "metric", "train_window", "eval_window",
            "out")

#: The value an option has when neither the command line nor the config file gives it.
DEFAULTS: dict[str, Any] = {
    "file": None, "time": None, "target": None, "features": None, "model": None,
    "model_params": None, "metric": None, "train_window": None, "eval_window": None,
    "gap": None, "horizon": None, "anchors": 1, "anchor_step": None, "expanding": False,
    "min_window_size": 30, "tolerance": 0.05, "tolerance_type": "relative",
    "baseline": "curve", "curve": "auto", "reference": "baseline", "calendar": "auto",
    "confidence_level": 0.9, "n_bootstrap": 1000, "retrain_cost": None,
    "shortfall_cost": None, "round_to": None, "extrapolate": False, "pos_label": None,
    "on_error": "raise", "time_unit": None, "n_jobs": None, "random_state": 0,
    "backtest": False, "indicators": None, "out": None, "json": False, "no_progress": False,
    "segment": None, "max_segments": None, "pooling": "none",
}



def _baseline(text: str) -> str | float:
    """``--baseline``: "curve", "first_window" or a number."""
    if text in ("curve", "first_window"):
        return text
    try:
        return float(text)
    except ValueError as exc:
        msg = f"expected 'curve', 'first_window' or a number, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from exc


def _label(text: str) -> Any:
    """``--pos-label``: a whole number when it reads as one (labels read from a CSV
    are numbers), else the text."""
    try:
        return int(text)
    except ValueError:
        return text


def add_parser(sub: Any) -> None:
    """Add ``oot analyze`` to the subcommands ``sub``."""
    an = sub.add_parser(
        "analyze", help="analyze a CSV or Parquet file",
        argument_default=argparse.SUPPRESS,
        description="Run the out-of-time analysis on FILE (CSV, or Parquet with pyarrow) "
                    "and write a report folder. Window lengths are pandas strings for "
                    "datetime time ('30D', '2W', 'MS' calendar months, 'QS' quarters) and "
                    "numbers for numeric time. Every option can come from --config "
                    "FILE.toml (keys as the options without dashes, e.g. train_window, "
                    "plus file); options on the command line override it.")
    an.add_argument("file", nargs="?", metavar="FILE",
                    help="CSV (.csv, .csv.gz) or Parquet file (or 'file' in --config)")
    an.add_argument("--config", metavar="FILE.toml",
                    help="read the options from a TOML file (command-line options win)")
    an.add_argument("--time", metavar="COL", help="time column (required)")
    an.add_argument("--target", metavar="COL", help="target column (required)")
    an.add_argument("--features", metavar="A,B,...",
                    help="comma-separated feature columns (default: every other column; "
                         "text and categorical columns are one-hot encoded, other "
                         "datetime columns left out)")
    an.add_argument("--model", metavar="NAME",
                    help="one of: " + ", ".join(MODELS) + " (required)")
    an.add_argument("--model-params", metavar="JSON",
                    help="model parameters as a JSON object, e.g. '{\"max_iter\": 200}'")
    an.add_argument("--metric", metavar="NAME[,NAME...]",
                    help="metric name, e.g. roc_auc, log_loss, accuracy, mae, rmse, r2 "
                         "(required); several comma-separated (roc_auc,log_loss) are "
                         "scored from the same fits, and the shortest interval decides "
                         "the cadence")
    an.add_argument("--segment", metavar="COL[,COL...]",
                    help="also score every window per value of these columns, from the "
                         "same predictions: one recommendation per metric and segment "
                         "(a segment column is not a feature unless --features names it)")
    an.add_argument("--max-segments", type=int, metavar="N",
                    help="most values a segment column may have (default: the library's "
                         "max_segments); group rare values into one first")
    an.add_argument("--pooling", choices=["none", "partial"],
                    help="with --segment: 'partial' shrinks each segment's curve toward the "
                         "whole population's (small segments borrow strength; default: "
                         "none)")
    an.add_argument("--train-window", type=_length, metavar="W", help="(required)")
    an.add_argument("--eval-window", type=_length, metavar="W", help="(required)")
    an.add_argument("--gap", type=_length, metavar="G")
    an.add_argument("--horizon", type=_length, metavar="H")
    an.add_argument("--anchors", type=_anchors, metavar="N|CUTOFFS",
                    help="how many anchors, or comma-separated training cutoffs, e.g. "
                         "2021-01-01,2021-04-01 (a single whole-number cutoff for numeric "
                         "time needs a trailing comma: 10,)")
    an.add_argument("--anchor-step", type=_length, metavar="S")
    an.add_argument("--expanding", action="store_true",
                    help="train on all data before each cutoff")
    an.add_argument("--min-window-size", type=int, metavar="N")
    an.add_argument("--tolerance", type=_fraction, metavar="T")
    an.add_argument("--tolerance-type", choices=["relative", "absolute"])
    an.add_argument("--baseline", type=_baseline, metavar="curve|first_window|X",
                    help="the level tolerance is measured from (default: curve)")
    an.add_argument("--curve", choices=CURVES, help="curve family (default: auto)")
    an.add_argument("--reference", choices=["baseline", "fresh"],
                    help="'fresh' compares each window with the youngest model's score on "
                         "it (default: baseline)")
    an.add_argument("--calendar", choices=["auto", "shift", "none"],
                    help="calendar effects shared by every anchor: 'auto' models a yearly "
                         "season and reports a level shift, 'shift' models both, 'none' "
                         "only reports them (default: auto)")
    an.add_argument("--confidence-level", type=_fraction, metavar="L")
    an.add_argument("--n-bootstrap", type=int, metavar="B")
    an.add_argument("--retrain-cost", type=_fraction, metavar="C")
    an.add_argument("--shortfall-cost", type=_fraction, metavar="C")
    an.add_argument("--round-to", type=_length, metavar="R",
                    help="floor the intervals to whole units, e.g. D, W, 7D")
    an.add_argument("--extrapolate", action="store_true",
                    help="when the threshold is not reached, also extrapolate the curve")
    an.add_argument("--pos-label", type=_label, metavar="LABEL",
                    help="positive class for binary metrics (default: the greater label)")
    an.add_argument("--on-error", choices=["raise", "skip"],
                    help="when an anchor's model fails: stop, or skip the anchor")
    an.add_argument("--time-unit", metavar="UNIT",
                    help="unit of a numeric time column, used in the text, e.g. years")
    an.add_argument("--n-jobs", type=int, metavar="J")
    an.add_argument("--random-state", type=int, metavar="S")
    an.add_argument("--backtest", action="store_true",
                    help="also check the recommendation on history: replay every "
                         "retraining cadence on the evaluation's periods and print whether "
                         "the recommended one kept the metric within tolerance (needs 3 or "
                         "more anchors one eval window apart, or a multiple of it)")
    an.add_argument("--indicators", nargs="?", const="all", metavar="all|psi,ks,...",
                    help="also compute the label-free leading indicators per window "
                         "('all', the kinds psi, ks, expected, or names such as psi:COL, "
                         "ks:prediction, expected:roc_auc), print which one warned "
                         "before the metric fell and add the section to the report")
    an.add_argument("--out", metavar="DIR", help="report folder (required)")
    an.add_argument("--json", action="store_true",
                    help="print only the result as one flat JSON object on stdout "
                         "(schema oot.flat/1; the exact result is recommendation.json in "
                         "the report folder); with several metrics or a segment, the "
                         "figures of the item that decides the cadence and the names "
                         "(kind 'recommendations'; the exact result is "
                         "recommendations.json)")
    an.add_argument("--no-progress", action="store_true", help="no progress bar")


# ------------------------------------------------------------------------ config
def _config_types() -> dict[str, Callable[[str], Any]]:
    return {"train_window": _length, "eval_window": _length, "gap": _length,
            "horizon": _length, "anchor_step": _length, "round_to": _length,
            "anchors": _anchors, "baseline": _baseline, "pos_label": _label,
            "tolerance": _fraction, "confidence_level": _fraction,
            "retrain_cost": _fraction, "shortfall_cost": _fraction}


def read_config(path_text: str) -> dict[str, Any]:
    """The options of a TOML config file, keyed as :data:`DEFAULTS` is."""
    import difflib
    import json
    import tomllib

    path = Path(path_text)
    if not path.is_file():
        msg = f"argument --config: file not found: {path_text}"
        raise CLIError(msg)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"argument --config: {path_text} is not valid TOML: {exc}"
        raise CLIError(msg) from exc
    known = list(DEFAULTS)
    types = _config_types()
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in DEFAULTS:
            near = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            msg = (f"{path_text}: unknown key {key!r}"
                   + (f"; did you mean {_either([repr(k) for k in near])}?" if near
                      else ".")
                   + " The keys are the options of oot analyze without their dashes: "
                   + ", ".join(known) + ".")
            raise CLIError(msg)
        if isinstance(value, dict) and name == "model_params":
            value = json.dumps(value)
        elif isinstance(value, list) and name in ("features", "anchors", "metric",
                                                  "segment"):
            value = ",".join(str(v) for v in value) + ("," if len(value) == 1 else "")
        if isinstance(value, str) and name in types:
            try:
                value = types[name](value)
            except argparse.ArgumentTypeError as exc:
                msg = f"{path_text}: key {key!r}: {exc}"
                raise CLIError(msg) from exc
        elif hasattr(value, "isoformat") and name in ("anchors",):
            value = [value.isoformat()]
        out[name] = value
    return out


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    """The options of this run: the defaults, then the config file, then the command
    line; a missing required option is an error naming every missing one."""
    given = {k: v for k, v in vars(args).items() if k not in ("command", "config")}
    config = read_config(args.config) if getattr(args, "config", None) else {}
    merged = {**DEFAULTS, **config, **given}
    missing = [k for k in REQUIRED if merged.get(k) is None]
    if missing:
        names = ", ".join("FILE" if k == "file" else "--" + k.replace("_", "-")
                          for k in missing)
        msg = (f"the following arguments are required: {names} (on the command line or "
               "in --config FILE.toml)")
        raise CLIError(msg)
    return argparse.Namespace(command=args.command, **merged)


# ------------------------------------------------------------------------ features
def choose_features(data: Any, args: argparse.Namespace, *, exclude: Any = (),
                    ) -> tuple[list[str], list[str], list[str], dict[str, str]]:
    """The features in order, the numeric and the categorical ones, and the columns
    left out with why; without ``--features``, every column but the time, the target
    and ``exclude`` (the segment columns)."""
    import pandas as pd

    from oot._validation import check_columns

    cols = list(data.columns)
    left_out: dict[str, str] = {}
    if args.features:
        named = args.features if isinstance(args.features, list) else str(
            args.features).split(",")
        features = [f.strip() for f in named if str(f).strip()]
        check_columns(features, cols, "features", "oot analyze --features")
    else:
        features = [c for c in cols if c not in (args.time, args.target, *exclude)]
    numeric, categorical = [], []
    for c in features:
        col = data[c]
        if _is_numeric(col):
            numeric.append(c)
        elif (isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
                col) or pd.api.types.is_object_dtype(col)):
            categorical.append(c)
        elif args.features:
            msg = (f"argument --features: column {c!r} (dtype {col.dtype}) is neither "
                   "numeric nor categorical; derive numbers from it first")
            raise CLIError(msg)
        else:
            left_out[c] = f"dtype {col.dtype}"
    if not numeric and not categorical:
        msg = "no feature columns found; name them with --features"
        raise CLIError(msg)
    used = [c for c in features if c not in left_out]
    return used, numeric, categorical, left_out


def leak_warnings(data: Any, target: str, numeric: list[str], task: str) -> None:
    """Warn about a numeric feature that almost determines the target: single-feature
    ROC AUC above 0.99 (or below 0.01) for a binary target, |correlation| above 0.99
    otherwise (on all rows)."""
    import warnings

    import numpy as np

    from ._common import LeakageWarning

    y = data[target]
    ok = y.notna()
    classes = np.unique(y[ok])
    for c in numeric:
        x = data[c].astype(float)
        keep = (ok & x.notna()).to_numpy()
        if keep.sum() < 3:
            continue
        xv, yv = x.to_numpy()[keep], y.to_numpy()[keep]
        if task == "classification" and len(classes) == 2:
            from scipy.stats import rankdata

            pos = yv == classes[1]
            n1, n0 = int(pos.sum()), int((~pos).sum())
            if n1 == 0 or n0 == 0:
                continue
            auc = (rankdata(xv)[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
            if auc > 0.99 or auc < 0.01:
                warnings.warn(
                    f"feature {c!r} almost determines the target {target!r} (ROC AUC of "
                    f"the feature alone {max(auc, 1 - auc):.3f} on all rows): is it known "
                    "before the target is, or was the target made from it? Leave it out "
                    "with --features if it leaks the label.", LeakageWarning, stacklevel=2)
        elif task == "regression" or len(classes) > 2:
            if np.std(xv) == 0 or np.std(yv.astype(float)) == 0:
                continue
            r = float(np.corrcoef(xv, yv.astype(float))[0, 1])
            if abs(r) > 0.99:
                warnings.warn(
                    f"feature {c!r} almost determines the target {target!r} "
                    f"(correlation {r:.3f} on all rows): is it known before the target "
                    "is? Leave it out with --features if it leaks the label.",
                    LeakageWarning, stacklevel=2)


# ------------------------------------------------------------------------------ run
def run(args: argparse.Namespace) -> int:
    """Run ``oot analyze``; return the exit status."""
    import oot._format as fmt
    from oot._validation import check_columns
    from oot.metrics import get_metric
    from oot.recommend import recommend_retrain_interval

    args = resolve(args)
    names = _names(args.metric)
    if not names:
        msg = "argument --metric: give a metric name, e.g. --metric roc_auc"
        raise CLIError(msg)
    metrics = [get_metric(n, func="oot analyze --metric") for n in names]
    metric = metrics[0]
    segment = _names(args.segment) if args.segment is not None else None
    if segment is not None and not segment:
        msg = "argument --segment: give a column name, e.g. --segment region"
        raise CLIError(msg)
    if args.pooling == "partial" and segment is None:
        msg = ("argument --pooling: 'partial' shrinks each segment's curve toward the "
               "whole population's; give the segment column with --segment COL")
        raise CLIError(msg)
    several = len(metrics) > 1 or segment is not None
    if several and args.backtest:
        msg = ("argument --backtest: the backtest replays one recommendation; run it "
               "with one --metric and no --segment")
        raise CLIError(msg)
    if several and args.indicators is not None and args.indicators is not False:
        msg = ("argument --indicators: the leading indicators are ranked against one "
               "recommendation; run it with one --metric and no --segment")
        raise CLIError(msg)
    mp = args.model_params
    params = (mp if isinstance(mp, dict) else _parse_json_object(mp)) if mp else {}
    _check_out(args)
    if args.model not in MODELS:
        make_estimator(args.model, "regression")  # raises the one-line error
    data = _read_table(args.file)
    cols = list(data.columns)
    check_columns([args.time], cols, "time", "oot analyze --time")
    check_columns([args.target], cols, "target", "oot analyze --target")
    if segment is not None:
        check_columns(segment, cols, "segment", "oot analyze --segment")
    features, numeric, categorical, left_out = choose_features(data, args,
                                                               exclude=segment or ())
    task = _task(metric, data[args.target])
    estimator = make_estimator(args.model, task, params, numeric=numeric,
                               categorical=categorical)
    leak_warnings(data, args.target, numeric, task)
    indicators = indicator_request(args.indicators, features, numeric)
    start = time.perf_counter()
    rec = recommend_retrain_interval(
        data, estimator, target=args.target, time=args.time, features=features,
        metric=metrics if len(metrics) > 1 else metric,
        segment=segment[0] if segment is not None and len(segment) == 1 else segment,
        pooling=args.pooling,
        **({} if args.max_segments is None else {"max_segments": args.max_segments}),
        train_window=args.train_window, eval_window=args.eval_window,
        gap=args.gap, horizon=args.horizon, anchors=args.anchors,
        anchor_step=args.anchor_step, expanding=args.expanding,
        min_window_size=args.min_window_size, tolerance=args.tolerance,
        tolerance_type=args.tolerance_type, baseline=args.baseline, curve=args.curve,
        reference=args.reference, calendar=args.calendar,
        confidence_level=args.confidence_level,
        n_bootstrap=args.n_bootstrap, retrain_cost=args.retrain_cost,
        shortfall_cost=args.shortfall_cost, round_to=args.round_to,
        extrapolate=args.extrapolate, pos_label=args.pos_label, on_error=args.on_error,
        random_state=args.random_state, n_jobs=args.n_jobs, progress=_progress(args),
        indicators=indicators,
        **({"time_unit": args.time_unit} if args.time_unit is not None else {}))
    seconds = time.perf_counter() - start
    header = (f"oot analyze: {args.file}, {len(data):,} rows, {type(estimator).__name__} "
              f"({args.model}), {', '.join(fmt.metric_name(m) for m in metrics)}"
              + (f", segments by {', '.join(segment)}." if segment else "."))
    used = ", ".join(features) + (f" (one-hot encoded: {', '.join(categorical)})"
                                  if categorical else "")
    header += f"\nfeatures ({len(features)}): {used}"
    if left_out:
        header += "\nnot used: " + ", ".join(f"{c} ({why})" for c, why in left_out.items())
    _emit(rec, args.out, args, seconds, header, backtest=args.backtest,
          indicators=bool(indicators))
    return 0


def _names(text: str) -> list[str]:
    """The comma-separated names of ``text``, without blanks."""
    return [n.strip() for n in text.split(",") if n.strip()]


def indicator_request(text: Any, features: list[str], numeric: list[str],
                      ) -> bool | list[str]:
    """``--indicators``: False when not given, True for "all", else the names and kinds
    (an unknown one is an error naming it and the valid names; whether the model can
    give one, say expected scores, the library checks)."""
    from oot.evaluate._drift import EXPECTED
    from oot.evaluate._indicators import KINDS, PREDICTION

    if text is None or text is False:
        return False
    items = text if isinstance(text, list) else [
        t.strip() for t in str(text).split(",") if t.strip()]
    if items == ["all"] or text is True:
        return True
    valid = ["all", *KINDS]
    for f in [*features, PREDICTION]:
        valid.append(f"psi:{f}")
        if f in numeric or f == PREDICTION:
            valid.append(f"ks:{f}")
    valid += [f"expected:{m}" for m in EXPECTED]
    for item in items:
        if item not in valid or (item == "all" and len(items) > 1):
            shown = ", ".join(valid[:40]) + (f", ... ({len(valid)} in all)"
                                              if len(valid) > 40 else "")
            why = (" ('all' stands alone)" if item == "all" else
                   f" (there is no KS statistic of the categorical column "
                   f"{item[3:]!r})" if item.startswith("ks:") and item[3:] in features
                   else "")
            msg = (f"argument --indicators: unknown indicator {item!r}{why}; the valid "
                   f"names are {shown}")
            raise CLIError(msg)
    if not items:
        msg = "argument --indicators: give 'all' or comma-separated names, e.g. psi,ks"
        raise CLIError(msg)
    return items
