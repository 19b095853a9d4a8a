"""``oot compare FILE --candidate NAME=MODEL[:key=value...] ...``: candidates side by side
on the user's CSV or Parquet file."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from ._common import (
    CLIError,
    _anchors,
    _fraction,
    _is_numeric,
    _length,
    _progress,
    _read_table,
    _task,
)
from ._models import MODELS, make_estimator

NAME = "compare"

#: What ``--candidate NAME=MODEL:key=value`` may set after the model name.
CANDIDATE_KEYS = ("train_window", "expanding", "features")


def add_parser(sub: Any) -> None:
    """Add ``oot compare`` to the subcommands ``sub``."""
    cp = sub.add_parser(
        "compare", help="compare candidates (models, history lengths, a heuristic)",
        description="Train every candidate at the same cutoffs, score all of them on the "
                    "same evaluation windows of FILE (CSV, or Parquet with pyarrow), and "
                    "say each one's retraining interval and until what model age one "
                    "beats another (paired per-window differences). Write a report "
                    "folder.")
    cp.add_argument("file", metavar="FILE", help="CSV (.csv, .csv.gz) or Parquet file")
    cp.add_argument("--time", required=True, metavar="COL", help="time column")
    cp.add_argument("--target", required=True, metavar="COL", help="target column")
    cp.add_argument("--features", metavar="A,B,...",
                    help="comma-separated feature columns shared by the candidates "
                         "(default: every other numeric column)")
    cp.add_argument("--candidate", action="append", required=True, dest="candidates",
                    metavar="NAME=MODEL[:KEY=VALUE...]",
                    help="a candidate (two or more): a name, a model among "
                         f"{', '.join(MODELS)}, and optional settings separated by ':': "
                         f"the overrides {', '.join(CANDIDATE_KEYS)}, or parameters of "
                         "the model (e.g. C=0.1, max_iter=50; values read as JSON, else "
                         "as text), e.g. '2y=hgb:train_window=730D:max_iter=50', "
                         "'all=hgb:expanding=true', 'rule=logistic:features=z:C=0.1' "
                         "(features comma-separated)")
    cp.add_argument("--metric", required=True, metavar="NAME",
                    help="metric name, e.g. roc_auc, log_loss, accuracy, mae, rmse, r2")
    cp.add_argument("--train-window", required=True, type=_length, metavar="W",
                    help="the candidates' default training window")
    cp.add_argument("--eval-window", required=True, type=_length, metavar="W")
    cp.add_argument("--gap", type=_length, metavar="G")
    cp.add_argument("--horizon", type=_length, metavar="H")
    cp.add_argument("--anchors", type=_anchors, default=1, metavar="N|CUTOFFS")
    cp.add_argument("--anchor-step", type=_length, metavar="S")
    cp.add_argument("--min-window-size", type=int, default=30, metavar="N")
    cp.add_argument("--tolerance", type=_fraction, default=0.05, metavar="T")
    cp.add_argument("--tolerance-type", choices=["relative", "absolute"], default="relative")
    cp.add_argument("--margin", type=_fraction, default=0.0, metavar="M",
                    help="how far ahead (metric units) a candidate must be to count as "
                         "beating another (default 0)")
    cp.add_argument("--benchmark", metavar="NAME",
                    help="the candidate every other one is compared with in the verdict "
                         "(default: the best when fresh)")
    cp.add_argument("--confidence-level", type=_fraction, default=0.9, metavar="L")
    cp.add_argument("--n-bootstrap", type=int, default=1000, metavar="B")
    cp.add_argument("--retrain-cost", type=_fraction, metavar="C",
                    help="cost of the slowest candidate's retraining; the others' in "
                         "proportion to their measured fit time")
    cp.add_argument("--shortfall-cost", type=_fraction, metavar="C")
    cp.add_argument("--on-error", choices=["raise", "skip"], default="raise")
    cp.add_argument("--n-jobs", type=int, metavar="J")
    cp.add_argument("--random-state", type=int, default=0, metavar="S")
    cp.add_argument("--out", required=True, metavar="DIR", help="report folder")
    cp.add_argument("--json", action="store_true",
                    help="print only the result as JSON on stdout")
    cp.add_argument("--no-progress", action="store_true", help="no progress bar")


def parse_candidate(text: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """``NAME=MODEL[:key=value...]`` as (name, model, overrides, model parameters).

    A key among :data:`CANDIDATE_KEYS` is an override of the comparison's settings; any
    other key is a parameter of the model, its value read as JSON (``0.1``, ``50``,
    ``true``, ``null``, ``[10, 5]``), else as text (``balanced``). Which parameters
    the model has is checked once the task is known (:func:`check_model_params`).

    Examples
    --------
    >>> from oot.cli._compare import parse_candidate
    >>> parse_candidate("2y=hgb:train_window=730D:max_iter=50")
    ('2y', 'hgb', {'train_window': '730D'}, {'max_iter': 50})
    >>> parse_candidate("rule=logistic:features=z,x1:expanding=false:C=0.1")
    ('rule', 'logistic', {'features': ['z', 'x1'], 'expanding': False}, {'C': 0.1})
    """
    head, *rest = text.split(":")
    name, sep, model = head.partition("=")
    name, model = name.strip(), model.strip()
    if not sep or not name or not model:
        msg = (f"argument --candidate: expected NAME=MODEL[:KEY=VALUE...], got {text!r}; "
               "e.g. --candidate 1y=hgb:train_window=365D")
        raise CLIError(msg)
    overrides: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for part in rest:
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            msg = (f"argument --candidate: expected KEY=VALUE, got {part!r} in {text!r}; "
                   f"the overrides are {', '.join(k + '=...' for k in CANDIDATE_KEYS)}, "
                   "any other key is a parameter of the model (e.g. C=0.1)")
            raise CLIError(msg)
        if key in overrides or key in params:
            msg = f"argument --candidate: {key} given twice in {text!r}"
            raise CLIError(msg)
        if key not in CANDIDATE_KEYS:
            params[key] = _param_value(value)
        elif key == "train_window":
            overrides[key] = _length(value)
        elif key == "expanding":
            low = value.lower()
            if low not in ("true", "false", "yes", "no", "1", "0"):
                msg = (f"argument --candidate: expanding={value!r} in {text!r}; write "
                       "expanding=true or expanding=false")
                raise CLIError(msg)
            overrides[key] = low in ("true", "yes", "1")
        else:
            overrides[key] = [f.strip() for f in value.split(",") if f.strip()]
    return name, model, overrides, params


def _param_value(text: str) -> Any:
    """A model parameter's value: JSON (numbers, true/false/null, lists), Python's
    True/False/None, else the text itself."""
    python = {"True": True, "False": False, "None": None}
    if text in python:
        return python[text]
    try:
        return json.loads(text)
    except ValueError:
        return text


def check_model_params(text: str, model: str, task: str, params: dict[str, Any]) -> None:
    """Raise a one-line error for a parameter the model (for ``task``) does not have,
    naming it, a close name and every valid one.

    Examples
    --------
    >>> from oot.cli._compare import check_model_params
    >>> check_model_params("a=logistic:C=0.1", "logistic", "classification", {"C": 0.1})
    >>> from oot.cli._common import CLIError
    >>> try:
    ...     check_model_params("a=logistic:c=0.1", "logistic", "classification",
    ...                        {"c": 0.1})
    ... except CLIError as exc:
    ...     print(str(exc).split("; ")[1])
    did you mean 'C'? Its parameters: C, class_weight, dual, fit_intercept, ...
    """
    from oot._validation import closest

    est = make_estimator(model, task)
    final = est.steps[-1][1] if hasattr(est, "steps") else est
    valid = sorted(final.get_params(deep=False), key=str.lower)
    for key in params:
        if key not in valid:
            hint = closest(key, valid)
            msg = (f"argument --candidate: {key!r} in {text!r} is neither an override "
                   f"({', '.join(CANDIDATE_KEYS)}) nor a parameter of "
                   f"{type(final).__name__}; "
                   + (f"did you mean {hint!r}? " if hint else "")
                   + f"Its parameters: {', '.join(valid)}")
            raise CLIError(msg)


def run(args: argparse.Namespace) -> int:
    """Run ``oot compare``; return the exit status."""
    import oot._format as fmt
    from oot._validation import check_columns
    from oot.compare import compare_candidates
    from oot.metrics import get_metric
    from oot.report import save_comparison_report

    metric = get_metric(args.metric, func="oot compare --metric")
    parsed = [parse_candidate(t) for t in args.candidates]
    for _, model, _, _ in parsed:
        if model not in MODELS:
            make_estimator(model, "regression")  # raises the one-line error
    data = _read_table(args.file)
    cols = list(data.columns)
    check_columns([args.time], cols, "time", "oot compare --time")
    check_columns([args.target], cols, "target", "oot compare --target")
    if args.features:
        features = [f.strip() for f in args.features.split(",") if f.strip()]
    else:
        features = [c for c in cols if c not in (args.time, args.target)
                    and _is_numeric(data[c])]
        if not features:
            msg = "no numeric feature columns found; name them with --features"
            raise CLIError(msg)
    for name, _, over, _ in parsed:
        feats = over.get("features", features)
        check_columns(list(feats), cols, "features", f"oot compare --candidate {name}")
        bad = [f for f in feats if not _is_numeric(data[f])]
        if bad:
            msg = (f"column(s) {', '.join(map(repr, bad))} of candidate {name!r} are not "
                   "numeric; encode them as numbers first")
            raise CLIError(msg)
    task = _task(metric, data[args.target])
    candidates: dict[str, Any] = {}
    for text, (name, model, over, params) in zip(args.candidates, parsed, strict=True):
        if name in candidates:
            msg = f"argument --candidate: the name {name!r} is given twice"
            raise CLIError(msg)
        check_model_params(text, model, task, params)
        est = make_estimator(model, task, params)
        candidates[name] = (est, over) if over else est
    start = time.perf_counter()
    cmp = compare_candidates(
        data, candidates, target=args.target, time=args.time, features=features,
        metric=metric, train_window=args.train_window, eval_window=args.eval_window,
        gap=args.gap, horizon=args.horizon, anchors=args.anchors,
        anchor_step=args.anchor_step, min_window_size=args.min_window_size,
        tolerance=args.tolerance, tolerance_type=args.tolerance_type, margin=args.margin,
        benchmark=args.benchmark, confidence_level=args.confidence_level,
        n_bootstrap=args.n_bootstrap, retrain_cost=args.retrain_cost,
        shortfall_cost=args.shortfall_cost, on_error=args.on_error,
        random_state=args.random_state, n_jobs=args.n_jobs, progress=_progress(args))
    seconds = time.perf_counter() - start
    folder = save_comparison_report(cmp, args.out)
    if args.json:
        print(cmp.to_json())
        return 0
    print(f"oot compare: {args.file}, {len(data):,} rows, {len(candidates)} candidates, "
          f"{fmt.metric_name(metric)}.")
    print()
    print(cmp.verdict())
    print()
    print("\n".join(_table_lines(cmp)))
    print()
    print(f"  time {seconds:.1f} s")
    print()
    print(f"Report written to {folder / 'index.html'}")
    return 0


def _table_lines(cmp: Any) -> list[str]:
    """One line per candidate (history, baseline, interval) and per verdict pair."""
    import oot._format as fmt

    kind = cmp.time_kind
    s = cmp.summary()
    width = max(9, *(len(n) for n in cmp.candidates))
    lines = [f"  {'candidate':<{width}} {'history':>10} {'baseline':>9} "
             f"{'retrain every':>14}"]
    for _, row in s.iterrows():
        rec = cmp[row["candidate"]]
        every = (fmt.age(rec.interval, kind) if rec.interval is not None
                 else rec.status.replace("_", " "))
        lines.append(f"  {row['candidate']:<{width}} {row['train_window']!s:>10} "
                     f"{fmt.number(row['baseline']):>9} {every:>14}")
    lines.append("")
    for p in cmp.verdict_pairs():
        lines.append(f"  {p}")
    return lines
