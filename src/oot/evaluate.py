"""The out-of-time evaluation engine.

:func:`evaluate_out_of_time` trains a clone of the estimator once per anchor on the
anchor's training window, predicts once on all of that anchor's later rows, and scores
each evaluation window over a contiguous slice of those predictions.
:func:`evaluate_predictions` does the scoring part for predictions made elsewhere.
"""

from __future__ import annotations

import functools
import numbers
import threading
import time as _time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oot._time import TimeKind
from oot._validation import (
    EstimatorFitError,
    InvalidParameterError,
    WindowWarning,
    check_columns,
    check_option,
    check_random_state_param,
    check_scalar,
    param_message,
    warn,
)
from oot.metrics import (
    Metric,
    WindowScores,
    _thread_safe_scoring,
    get_metric,
    score_windows,
)
from oot.results import SCORE_COLUMNS, OOTEvaluation
from oot.windows import TimeAxis, WindowPlan, make_plan

__all__ = ["evaluate_out_of_time", "evaluate_predictions"]

_STATUS_TEXT = {
    "empty": "empty (no rows)",
    "too_small": "too small (fewer than min_window_size={mws} rows)",
    "one_class": "one class only (the metric needs both)",
    "undefined": "metric undefined",
    "anchor_failed": "their anchor's model failed (on_error='skip')",
}


# ----------------------------------------------------------------- target handling
@dataclass(frozen=True)
class _Target:
    """The target, sorted by time and encoded for the metric."""

    y: np.ndarray               # encoded: 0/1 binary, codes multiclass, floats regression
    classes: np.ndarray | None  # original labels (classification)
    pos_label: Any
    task: str                   # "binary" | "multiclass" | "regression" | "raw"

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``; by hashing for integers and objects (5-20x faster there)."""
    if values.dtype.kind in "fc":
        return np.unique(values)
    return np.sort(pd.unique(values))


def _prepare_target(values: np.ndarray, name: str, metric: Metric, pos_label: Any,
                    func: str) -> _Target:
    task = metric.task
    if task in ("binary", "classification"):
        na = np.zeros(0, dtype=bool) if values.dtype.kind in "biu" else pd.isna(values)
        if na.any():
            msg = (f"The target column {name!r} has {int(na.sum())} missing value(s) (row "
                f"positions {np.flatnonzero(na)[:5].tolist()}). Drop those rows before "
                f"calling {func}.")
            raise InvalidParameterError(msg)
        classes = _sorted_unique(values)
        if len(classes) < 2:
            msg = (f"The target column {name!r} has a single class ({classes.tolist()}), so "
                f"metric {metric.name!r} cannot be computed. Check the target column.")
            raise InvalidParameterError(msg)
        if len(classes) > 2 and task == "binary":
            msg = (f"Metric {metric.name!r} needs a binary target, but column {name!r} has "
                f"{len(classes)} classes ({classes[:10].tolist()}). Use a multiclass metric "
                "such as 'accuracy', 'balanced_accuracy', 'log_loss' or 'roc_auc'.")
            raise InvalidParameterError(msg)
        if values.dtype.kind == "f" and len(classes) > 20 and not np.all(
                classes == np.round(classes)):
            msg = (f"Metric {metric.name!r} is a classification metric, but the target column "
                f"{name!r} looks continuous ({len(classes)} distinct float values). Use a "
                "regression metric such as 'rmse' or 'mae'.")
            raise InvalidParameterError(msg)
        if len(classes) == 2:
            if pos_label is None:
                pos_label = classes[-1]
            elif pos_label not in set(classes.tolist()):
                raise InvalidParameterError(param_message(
                    "pos_label", func, f"one of the target's classes {classes.tolist()}",
                    pos_label))
            return _Target((values == pos_label).astype(np.int64), classes, pos_label,
                           "binary")
        codes = np.searchsorted(classes, values).astype(np.int64)
        return _Target(codes, classes, None, "multiclass")
    # regression or custom
    if task == "regression":
        try:
            y = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            msg = (f"Metric {metric.name!r} is a regression metric, but the target column "
                f"{name!r} is not numeric (dtype {pd.Series(values).dtype}). Use a "
                "classification metric such as 'roc_auc' or 'accuracy'.")
            raise InvalidParameterError(msg) from exc
        bad = ~np.isfinite(y)
        if bad.any():
            msg = (f"The target column {name!r} has {int(bad.sum())} missing or infinite "
                f"value(s) (row positions {np.flatnonzero(bad)[:5].tolist()}). Drop or fix "
                f"those rows before calling {func}.")
            raise InvalidParameterError(msg)
        return _Target(y, None, None, "regression")
    na = pd.isna(values)
    if np.any(na):
        msg = (f"The target column {name!r} has {int(np.sum(na))} missing value(s). Drop "
            f"those rows before calling {func}.")
        raise InvalidParameterError(msg)
    return _Target(np.asarray(values), None, pos_label, "raw")


def _response(estimator: Any, X: Any, metric: Metric, target: _Target) -> np.ndarray:
    """The predictions the metric needs, encoded like the target."""
    resp = metric.response
    if resp in ("predict_proba", "decision_function"):
        has_proba = hasattr(estimator, "predict_proba")
        has_dec = hasattr(estimator, "decision_function")
        if resp == "predict_proba" and has_proba:
            proba = np.asarray(estimator.predict_proba(X), dtype=float)
            est_classes = list(getattr(estimator, "classes_", range(proba.shape[1])))
            if target.task == "binary":
                if target.pos_label not in est_classes:
                    msg = (f"the fitted estimator never saw the positive class "
                        f"{target.pos_label!r} (its classes: {est_classes})")
                    raise ValueError(msg)
                return proba[:, est_classes.index(target.pos_label)]
            if target.task == "multiclass":
                assert target.classes is not None
                out = np.zeros((proba.shape[0], len(target.classes)))
                for i, c in enumerate(est_classes):
                    out[:, int(np.searchsorted(target.classes, c))] = proba[:, i]
                return out
            return proba[:, -1] if proba.ndim == 2 and proba.shape[1] == 2 else proba
        if has_dec and (resp == "decision_function" or metric.requires_two_classes) and (
                target.task in ("binary", "raw")):
            dec = np.asarray(estimator.decision_function(X), dtype=float)
            est_classes = list(getattr(estimator, "classes_", [0, 1]))
            if dec.ndim == 1 and target.task == "binary" and est_classes and (
                    est_classes[-1] != target.pos_label):
                dec = -dec
            return dec
        raise AttributeError(
            f"the estimator {type(estimator).__name__} has no predict_proba"
            + (" or decision_function" if metric.requires_two_classes else "")
            + f", which metric {metric.name!r} needs")
    pred = np.asarray(estimator.predict(X))
    if target.task == "binary":
        return np.asarray(pred == target.pos_label, dtype=np.int64)
    if target.task == "multiclass":
        assert target.classes is not None
        return np.searchsorted(target.classes, pred).astype(np.int64)
    if target.task == "regression":
        return pred.astype(float)
    return pred


def _check_response_method(estimator: Any, metric: Metric, func: str) -> None:
    resp = metric.response
    if resp == "predict":
        ok = hasattr(estimator, "predict")
        need = "predict"
    elif resp == "decision_function":
        ok = hasattr(estimator, "decision_function") or hasattr(estimator, "predict_proba")
        need = "decision_function or predict_proba"
    else:
        ok = hasattr(estimator, "predict_proba") or (
            metric.requires_two_classes and hasattr(estimator, "decision_function"))
        need = "predict_proba" + (" or decision_function" if metric.requires_two_classes
                                  else "")
    if not ok:
        raise InvalidParameterError(param_message(
            "estimator", func, f"an estimator with {need}, which metric {metric.name!r} "
            "needs", estimator,
            "Use a probabilistic classifier, or wrap it in "
            "sklearn.calibration.CalibratedClassifierCV." if "proba" in need else None))


# --------------------------------------------------------------------- the engine
def _set_seed(est: Any, seed: int) -> Any:
    params = est.get_params(deep=True)
    keys = [k for k in params if k == "random_state" or k.endswith("__random_state")]
    if keys:
        est.set_params(**dict.fromkeys(keys, seed))
    return est


def _fit_predict_anchor(
    estimator: Any, X_train: Any, y_train: np.ndarray, X_eval: Any, metric: Metric,
    target: _Target, seed: int | None, *, eval_ready: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """One anchor's model: clone, fit once, predict once on all its evaluation rows
    (after ``eval_ready()``, which waits for them when they are still being copied)."""
    from sklearn.base import clone

    t0 = _time.perf_counter()
    est = clone(estimator)
    if seed is not None:
        _set_seed(est, seed)
    out: dict[str, Any] = {"status": "ok", "message": ""}
    try:
        est.fit(X_train, y_train)
    except Exception as exc:  # reported with the anchor, re-raised by the caller
        out.update(status="failed", stage="fit", error=exc)
        return out
    t1 = _time.perf_counter()
    if eval_ready is not None:
        eval_ready()
    t2 = _time.perf_counter()
    try:
        out["pred"] = _response(est, X_eval, metric, target)
    except Exception as exc:
        out.update(status="failed", stage="predict", error=exc)
        return out
    out.update(fit_time=t1 - t0, predict_time=_time.perf_counter() - t2)
    return out


def _score_anchor(
    out: dict[str, Any], y_eval: np.ndarray, starts: np.ndarray, stops: np.ndarray,
    metric: Metric, target: _Target, min_window_size: int, score_seed: int, *,
    helper: Executor | None = None,
) -> dict[str, Any]:
    """Score every window of one anchor from its predictions (``out["pred"]``); with a
    ``helper`` thread, the later half of the windows is scored there meanwhile."""
    if out["status"] != "ok":
        return out
    pred = out.pop("pred")

    def score(sl: slice) -> WindowScores:
        return score_windows(metric, y_eval, pred, starts[sl], stops[sl],
                             min_window_size=min_window_size,
                             n_classes=_n_classes(target), random_state=score_seed)

    if helper is None or len(starts) < 2:
        ws = score(slice(None))
    else:  # each window's score depends on its own rows only (seeds included)
        half = len(starts) // 2
        later = helper.submit(score, slice(half, None))
        ws = _concat_scores(score(slice(None, half)), later.result())
    out["scores"] = ws
    return out


def _concat_scores(a: WindowScores, b: WindowScores) -> WindowScores:
    def cat(x: np.ndarray | None, y: np.ndarray | None) -> Any:
        return None if x is None or y is None else np.concatenate((x, y))

    return WindowScores(score=cat(a.score, b.score), se=cat(a.se, b.se), n=cat(a.n, b.n),
                        n_pos=cat(a.n_pos, b.n_pos), n_neg=cat(a.n_neg, b.n_neg),
                        status=cat(a.status, b.status))


def _n_classes(target: _Target) -> int | None:
    """``n_classes`` for :func:`score_windows`: K for multiclass targets, else None."""
    return target.n_classes if target.task == "multiclass" else None


@dataclass(frozen=True)
class _AnchorTask:
    """The arguments of one anchor's two steps (both run in the same worker, or the
    scoring overlaps the next anchor's fit on a thread; see :func:`_run_anchors`)."""

    fit_args: tuple[Any, ...]    # for _fit_predict_anchor
    score_args: tuple[Any, ...]  # for _score_anchor, after the fit's output
    # blocks until the evaluation rows of the features are copied (None: they are)
    eval_ready: Callable[[], None] | None = None


def _fit_score_anchor(fit_args: tuple[Any, ...], score_args: tuple[Any, ...],
                      ) -> dict[str, Any]:
    """One anchor: clone, fit once, predict once, score every window. Runs in workers."""
    return _score_anchor(_fit_predict_anchor(*fit_args), *score_args)


def _scores_frame(plan: WindowPlan, per_anchor: list[dict[str, Any]], target: _Target,
                  ) -> pd.DataFrame:
    n_w = plan.n_windows
    score = np.full(n_w, np.nan)
    se = np.full(n_w, np.nan)
    n = (plan.hi - plan.lo).astype(np.int64)
    status = np.empty(n_w, dtype=object)
    n_pos = np.zeros(n_w, dtype=np.int64)
    for a, res in enumerate(per_anchor):
        sel = np.flatnonzero(plan.anchor_idx == a)
        if res["status"] != "ok":
            status[sel] = "anchor_failed"
            if target.task == "binary":
                n_pos[sel] = [int(target.y[plan.lo[i]:plan.hi[i]].sum()) for i in sel]
            continue
        ws = res["scores"]
        score[sel] = ws.score
        se[sel] = ws.se
        status[sel] = ws.status
        if ws.n_pos is not None:
            n_pos[sel] = ws.n_pos

    df = plan.to_frame().drop(columns="n_train")
    df["score"] = score
    df["se"] = se
    df["status"] = pd.Series(status, dtype=object)
    if target.task == "binary":
        df["n_pos"] = n_pos
        df["n_neg"] = n - n_pos
    return df[SCORE_COLUMNS + (["n_pos", "n_neg"] if target.task == "binary" else [])]


def _warn_windows(scores: pd.DataFrame, min_window_size: int, stacklevel: int) -> None:
    bad = scores[scores["status"] != "ok"]
    if len(bad) == 0:
        return
    counts = bad["status"].value_counts()
    parts = [f"{int(c)} {_STATUS_TEXT.get(str(s), str(s)).format(mws=min_window_size)}"
             for s, c in counts.items()]
    warn(
        f"{len(bad)} of {len(scores)} evaluation windows could not be scored and are left "
        f"out of every fit: {'; '.join(parts)}. See the 'status' column of "
        "OOTEvaluation.scores.",
        WindowWarning, stacklevel=stacklevel + 1,
    )


def _check_common(func: str, data: Any, min_window_size: Any, random_state: Any) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InvalidParameterError(param_message(
            "data", func, "a pandas DataFrame", type(data).__name__,
            "Build one with pandas.DataFrame(...) with a time and a target column."))
    check_scalar(min_window_size, "min_window_size", func, kind="int", low=1)
    check_random_state_param(random_state, func)


def _seeds(random_state: Any, n: int) -> tuple[list[int | None], list[int]]:
    """Per-anchor seeds for the estimator and for bootstrap SEs, independent of n_jobs."""
    if random_state is None:
        ss = np.random.SeedSequence(0)
        est_seeds: list[int | None] = [None] * n
    else:
        if isinstance(random_state, np.random.RandomState):
            base = int(random_state.randint(0, 2**31 - 1))
        elif isinstance(random_state, np.random.Generator):
            base = int(random_state.integers(0, 2**31 - 1))
        else:
            base = int(random_state)
        ss = np.random.SeedSequence(base)
        est_seeds = []
    children = ss.spawn(2 * n)
    if random_state is not None:
        est_seeds = [int(c.generate_state(1)[0] % (2**31 - 1)) for c in children[:n]]
    score_seeds = [int(c.generate_state(1)[0]) for c in children[n:]]
    return est_seeds, score_seeds


def evaluate_out_of_time(
    data: pd.DataFrame,
    estimator: Any,
    *,
    target: str,
    time: str,
    features: Sequence[str] | None = None,
    metric: str | Metric = "roc_auc",
    train_window: Any = "365D",
    eval_window: Any = "30D",
    gap: Any = None,
    horizon: Any = None,
    anchors: int | Sequence[Any] = 1,
    anchor_step: Any = None,
    expanding: bool = False,
    min_window_size: int = 30,
    pos_label: Any = None,
    on_error: str = "raise",
    n_jobs: int | None = None,
    random_state: Any = None,
    progress: bool = False,
) -> OOTEvaluation:
    """Train on each anchor window and score the frozen model on every later window.

    For each anchor the estimator is cloned, fitted once on the anchor's training rows
    and asked once for predictions on all rows after ``cutoff + gap``; each evaluation
    window is then scored on a contiguous slice of those predictions, with the score's
    standard error from the window's own rows.

    Parameters
    ----------
    data : DataFrame
        One row per observation, with a time column, a target column and features. Rows
        need not be sorted; timestamps may repeat. It is never modified.
    estimator : estimator object
        Any scikit-learn estimator or Pipeline; it is cloned for every anchor.
    target : str
        Name of the target column.
    time : str
        Name of the time column: datetime64 (naive or tz-aware), ISO strings, or numbers.
    features : list of str, default=None
        Feature columns; None uses every column but ``target`` and ``time``.
    metric : str or Metric, default="roc_auc"
        A name from :func:`oot.metrics.available` or an :class:`oot.Metric`.
    train_window : str, Timedelta, offset or number, default="365D"
        Length of each training window (``"365D"``, ``"12MS"``; numbers for numeric time).
    eval_window : str, Timedelta, offset or number, default="30D"
        Length of the evaluation windows; a calendar offset (``"MS"``, ``"QS"``) gives
        calendar periods.
    gap : str, Timedelta or number, default=None
        Label latency or deployment delay between the cutoff and the first window; None
        means no gap.
    horizon : str, Timedelta, number or None, default=None
        Evaluate only up to ``cutoff + horizon``; None evaluates up to the end of the data.
    anchors : int or list, default=1
        Number of anchors, or an explicit list of cutoffs.
    anchor_step : length or None, default=None
        Spacing of successive anchors; defaults to ``eval_window``.
    expanding : bool, default=False
        Train on all data before each cutoff instead of a sliding window.
    min_window_size : int, default=30
        Windows with fewer rows are kept with ``score = NaN`` and status "too_small".
    pos_label : scalar, default=None
        Positive class for binary metrics; the greater label when None.
    on_error : {"raise", "skip"}, default="raise"
        When an anchor's fit or predict fails: raise (naming the anchor), or record the
        failure in :attr:`OOTEvaluation.anchors` and go on with the other anchors.
    n_jobs : int, default=None
        Anchors run in parallel with joblib (``-1``: all cores). Within
        ``joblib.parallel_config(backend="dask")`` they run on a Dask cluster. Run
        serially (the default), the engine uses one helper thread: it puts float
        features in time order while the first anchor fits, and scores each anchor's
        windows while the next anchor fits (metrics with a vectorised path: roc_auc and
        the loss and accuracy metrics; the others are scored in the calling thread).
    random_state : int, Generator or None, default=None
        Seeds the estimator's ``random_state`` parameters (a different seed per anchor,
        the same whatever ``n_jobs``) and any bootstrap standard errors.
    progress : bool, default=False
        Show a progress bar over anchors (notebook-aware tqdm).

    Returns
    -------
    OOTEvaluation
        One row per anchor x window in :attr:`OOTEvaluation.scores`.

    Raises
    ------
    InvalidParameterError
        For bad arguments or columns (the message names them and says how to fix them).
    EstimatorFitError
        When an anchor's fit or predict fails and ``on_error="raise"``.

    Warns
    -----
    WindowWarning
        Once, counting the windows that could not be scored.

    See Also
    --------
    evaluate_predictions : Score predictions made by a model trained elsewhere.
    recommend_retrain_interval : The whole analysis, up to the recommendation.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from oot import evaluate_out_of_time
    >>> from oot.datasets import make_drifting_regression
    >>> ds = make_drifting_regression(n_samples=3000, random_state=0)
    >>> ev = evaluate_out_of_time(ds.frame, LinearRegression(), target=ds.target,
    ...                           time=ds.time, metric="rmse", train_window="180D",
    ...                           eval_window="30D", anchors=3)
    >>> ev.scores.columns.tolist()[:8]
    ['anchor', 'cutoff', 'train_start', 'window', 'window_start', 'window_end', 'age', 'n']
    >>> bool(ev.scores["score"].notna().all())
    True
    """
    return _evaluate_out_of_time(
        data, estimator, func="evaluate_out_of_time", target=target, time=time,
        features=features, metric=metric, train_window=train_window,
        eval_window=eval_window, gap=gap, horizon=horizon, anchors=anchors,
        anchor_step=anchor_step, expanding=expanding, min_window_size=min_window_size,
        pos_label=pos_label, on_error=on_error, n_jobs=n_jobs, random_state=random_state,
        progress=progress)


def _evaluate_out_of_time(
    data: pd.DataFrame,
    estimator: Any,
    *,
    func: str,
    target: str,
    time: str,
    features: Sequence[str] | None,
    metric: str | Metric,
    train_window: Any,
    eval_window: Any,
    gap: Any,
    horizon: Any,
    anchors: int | Sequence[Any],
    anchor_step: Any,
    expanding: bool,
    min_window_size: int,
    pos_label: Any,
    on_error: str,
    n_jobs: int | None,
    random_state: Any,
    progress: bool,
    stacklevel: int = 3,
) -> OOTEvaluation:
    """The engine behind :func:`evaluate_out_of_time`; ``func`` names the public caller
    in error messages, ``stacklevel`` points warnings at the user's call."""
    _check_common(func, data, min_window_size, random_state)
    if isinstance(estimator, type):
        raise InvalidParameterError(param_message(
            "estimator", func, "a scikit-learn estimator instance", estimator,
            f"Pass an instance, e.g. {estimator.__name__}(), not the class."))
    if estimator is None or not hasattr(estimator, "fit"):
        raise InvalidParameterError(param_message(
            "estimator", func, "a scikit-learn estimator (an object with fit)", estimator))
    check_option(on_error, "on_error", func, ["raise", "skip"])
    if n_jobs is not None:
        check_scalar(n_jobs, "n_jobs", func, kind="int", allow_none=True)
        if n_jobs == 0:
            raise InvalidParameterError(param_message(
                "n_jobs", func, "a non-zero int or None", n_jobs,
                "Use n_jobs=-1 for all cores."))
    if not isinstance(progress, (bool, np.bool_)):
        raise InvalidParameterError(param_message("progress", func, "a bool", progress))
    m = get_metric(metric, func=func)
    _check_response_method(estimator, m, func)
    cols = list(data.columns)
    check_columns([target], cols, "target", func)
    if time is None:
        raise InvalidParameterError(param_message("time", func, "a column name", time))
    check_columns([time], cols, "time", func)
    if target == time:
        raise InvalidParameterError(param_message(
            "target", func, "a column other than the time column", target))
    if features is None:
        feats = [c for c in cols if c not in (target, time)]
    else:
        if isinstance(features, str):
            raise InvalidParameterError(param_message(
                "features", func, "a list of column names", features,
                f"Write features=[{features!r}] for a single feature."))
        feats = list(features)
        check_columns(feats, cols, "features", func)
        clash = [f for f in feats if f in (target, time)]
        if clash:
            raise InvalidParameterError(param_message(
                "features", func, "columns other than the target and time columns", clash))
    if not feats:
        raise InvalidParameterError(param_message(
            "features", func, "a non-empty list of feature columns", features,
            "The DataFrame has no column besides the target and the time."))

    ax = TimeAxis.from_column(data, time, func)
    plan = make_plan(ax, func=func, train_window=train_window, eval_window=eval_window,
                     gap=gap, horizon=horizon, anchors=anchors, anchor_step=anchor_step,
                     expanding=expanding)
    order = ax.order
    # one helper thread: it copies the features while the target is prepared and the
    # first anchor fits, then scores each anchor while the next one fits
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oot-engine")
    fill: _RowFill | None = None
    try:
        X_all, fill = _features_in_time_order(data, feats, order, ax.is_sorted, pool)
        y_raw = data[target].to_numpy()
        tgt = _prepare_target(y_raw, str(target), m, pos_label, func)
        y_sorted = tgt.y if ax.is_sorted else tgt.y[order]
        tgt_sorted = _Target(y_sorted, tgt.classes, tgt.pos_label, tgt.task)
        # classifiers are fitted on the original labels (their classes_ are then the
        # target's classes); the metric reads the encoded target
        y_fit = y_raw if tgt.task in ("binary", "multiclass") else tgt.y
        if not ax.is_sorted:
            y_fit = y_fit[order]
        # workers get the target's meaning, not its values: each task ships its slices
        tgt_meta = _Target(np.empty(0), tgt.classes, tgt.pos_label, tgt.task)
        est_seeds, score_seeds = _seeds(random_state, plan.n_anchors)

        def task(a: int) -> _AnchorTask:
            lo, hi = int(plan.train_lo[a]), int(plan.train_hi[a])
            elo, ehi = plan.eval_range(a)
            sel = plan.anchor_idx == a
            eval_ready = None
            if fill is not None:
                fill.wait(hi)
                eval_ready = functools.partial(fill.wait, ehi)
            return _AnchorTask(
                (estimator, X_all.iloc[lo:hi], y_fit[lo:hi], X_all.iloc[elo:ehi], m,
                 tgt_meta, est_seeds[a]),
                (y_sorted[elo:ehi], plan.lo[sel] - elo, plan.hi[sel] - elo, m, tgt_meta,
                 int(min_window_size), score_seeds[a]), eval_ready)

        results = _run_anchors(
            task, plan.n_anchors, n_jobs, progress,
            scoring_pool=pool if _thread_safe_scoring(m, _n_classes(tgt)) else None)
    finally:
        if fill is not None:
            fill.stop()
        # on an interrupt, the helper's step in progress (a few ms) finishes first
        pool.shutdown(wait=True, cancel_futures=True)

    anchor_rows = []
    for a, res in enumerate(results):
        msg = ""
        if res["status"] != "ok":
            exc = res["error"]
            msg = f"{res['stage']} failed: {type(exc).__name__}: {exc}"
            if on_error == "raise":
                msg = (f"Anchor {a + 1} of {plan.n_anchors} (cutoff "
                    f"{ax.to_stamp(plan.cutoff[a])}, "
                    f"{int(plan.train_hi[a] - plan.train_lo[a])} training rows): the "
                    f"estimator's {msg}. Pass on_error='skip' to record the failure and go "
                    "on with the other anchors.")
                raise EstimatorFitError(msg) from exc
        anchor_rows.append({
            "anchor": a + 1,
            "cutoff": ax.to_stamp(plan.cutoff[a]),
            "train_start": ax.to_stamp(plan.train_start[a]),
            "n_train": int(plan.train_hi[a] - plan.train_lo[a]),
            "status": res["status"],
            "message": msg,
            "fit_time": float(res.get("fit_time", np.nan)),
            "predict_time": float(res.get("predict_time", np.nan)),
        })
    if on_error == "skip" and all(r["status"] != "ok" for r in results):
        first = results[0]["error"]
        msg = (f"Every anchor's model failed ({plan.n_anchors} of {plan.n_anchors}); the first: "
            f"{anchor_rows[0]['message']}.")
        raise EstimatorFitError(msg) from first
    scores = _scores_frame(plan, results, tgt_sorted)
    _warn_windows(scores, int(min_window_size), stacklevel=stacklevel)
    anchors_df = pd.DataFrame(anchor_rows)
    params = _params(train_window, eval_window, gap, horizon, anchors, anchor_step,
                     expanding, min_window_size, m)
    params.update(estimator=repr(estimator), target=str(target), time=str(time),
                  features=[str(f) for f in feats], on_error=on_error,
                  pos_label=_jsonable(tgt.pos_label))
    return OOTEvaluation(scores=scores, metric=m, time_kind=ax.kind, anchors=anchors_df,
                         params=params, data_info=_data_info(ax, data))


# rows per step of the background copy of the features (a few MB)
_FILL_CHUNK = 1 << 15


class _RowFill:
    """Copies the rows of ``src`` (in ``order``, if given) into the C-ordered ``dst`` on
    a worker thread, in time order: the first anchor fits on its rows while the later
    rows are still being copied. :meth:`wait` blocks until a prefix of rows is there.
    """

    def __init__(self, src: np.ndarray, order: np.ndarray | None, dst: np.ndarray,
                 pool: Executor) -> None:
        self._src, self._order, self._dst = src, order, dst
        self._done = 0
        self._finished = False
        self._stopped = False
        self._cond = threading.Condition()
        self._future = pool.submit(self._run)

    def _run(self) -> None:
        n = len(self._dst)
        try:
            for c0 in range(0, n, _FILL_CHUNK):
                if self._stopped:
                    return
                c1 = min(n, c0 + _FILL_CHUNK)
                if self._order is None:
                    self._dst[c0:c1] = self._src[c0:c1]
                else:  # np.take on the column-major block: ~4x faster than a[rows]
                    np.take(self._src, self._order[c0:c1], axis=0, out=self._dst[c0:c1],
                            mode="clip")
                with self._cond:
                    self._done = c1
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._finished = True
                self._cond.notify_all()

    def wait(self, stop: int) -> None:
        """Return once rows ``[0, stop)`` are copied (re-raises the copy's error)."""
        with self._cond:
            self._cond.wait_for(lambda: self._done >= stop or self._finished)
        if self._done < stop:
            self._future.result()
            msg = "the copy of the features was stopped"
            raise RuntimeError(msg)

    def stop(self) -> None:
        """Let the copy end after its current step (the engine is being left)."""
        self._stopped = True


def _read_only(arr: np.ndarray) -> np.ndarray:
    """A view of the C-contiguous ``arr`` that nobody can make writeable.

    Anchors share rows, so an estimator writing into its input would change the data of
    later anchors. scikit-learn's ``copy=False`` transformers do write into a
    DataFrame's memory: they set a read-only view writeable again when the memory's
    owner allows it. Here the owner is a read-only buffer, so they copy instead.
    """
    out = np.frombuffer(arr.data.toreadonly(), dtype=arr.dtype)
    return out.reshape(arr.shape)


def _features_in_time_order(data: pd.DataFrame, feats: list[Any], order: np.ndarray,
                            is_sorted: bool, pool: Executor,
                            ) -> tuple[pd.DataFrame, _RowFill | None]:
    """The feature columns in time order, made once for all anchors.

    When every feature has one float dtype, the frame is built on a C-contiguous,
    read-only array (:func:`_read_only`): each anchor's rows are then a contiguous view
    that scikit-learn uses without copying (a frame's own float block is column-major,
    so every fit and predict would convert it). That array is filled on ``pool`` (see
    :class:`_RowFill`, returned too). Other frames keep their dtypes (categorical or
    string features for a Pipeline).
    """
    X = data[feats]
    dtypes = {X[c].dtype for c in feats} if X.columns.is_unique else set()
    if len(dtypes) == 1 and next(iter(dtypes)).kind == "f" and isinstance(
            next(iter(dtypes)), np.dtype):
        values = X.to_numpy()
        arr = np.empty(values.shape, dtype=values.dtype)
        fill = _RowFill(values, None if is_sorted else order, arr, pool)
        return pd.DataFrame(_read_only(arr), columns=X.columns, copy=False), fill
    # one take in time order: no per-anchor or per-window copies of the whole frame
    return (X if is_sorted else X.take(order)), None


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _params(train_window: Any, eval_window: Any, gap: Any, horizon: Any, anchors: Any,
            anchor_step: Any, expanding: Any, min_window_size: Any, m: Metric,
            ) -> dict[str, Any]:
    def txt(v: Any) -> Any:
        if v is None or isinstance(v, (int, float, str, bool)):
            return v
        return str(v)

    return {
        "metric": m.name,
        "train_window": txt(train_window),
        "eval_window": txt(eval_window),
        "gap": txt(gap),
        "horizon": txt(horizon),
        "anchors": anchors if isinstance(anchors, numbers.Integral) else [
            str(a) for a in anchors],
        "anchor_step": txt(anchor_step),
        "expanding": bool(expanding),
        "min_window_size": int(min_window_size),
    }


def _data_info(ax: TimeAxis, data: pd.DataFrame) -> dict[str, Any]:
    return {
        "n_rows": len(data),
        "time_min": ax.to_stamp(ax.t_min),
        "time_max": ax.to_stamp(ax.t_max),
        "time_column": ax.name,
    }


def _run_anchors(
    task: Callable[[int], _AnchorTask], n_anchors: int, n_jobs: int | None, progress: bool,
    *, scoring_pool: Executor | None,
) -> list[dict[str, Any]]:
    """Run one job per anchor, serially or with joblib, with an optional progress bar.

    Serially, given a ``scoring_pool`` (a metric scored on a vectorised path), each
    anchor's windows are scored on its thread while the next anchor's model fits: free
    on a spare core; where the estimator keeps every core busy (multi-threaded BLAS),
    the two compete and the gain is small.
    Under joblib's dask backend each anchor is one task on a worker, and the estimator's
    own joblib parallelism (a forest's trees) stays on that worker: joblib would otherwise
    send every tree back to the cluster as a task of its own. An exception in the
    consumer, KeyboardInterrupt included, closes the generator, which cancels the
    pending anchors and terminates the workers (joblib's abort) before it propagates.
    """
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_anchors, desc="anchors", unit="anchor")
    try:
        from joblib.parallel import get_active_backend

        backend, config_jobs = get_active_backend()
        on_cluster = "Dask" in type(backend).__name__
        if n_jobs == 1 or (n_jobs is None and config_jobs in (None, 1) and not on_cluster):
            return _run_serial(task, n_anchors, bar, scoring_pool)
        if n_jobs is None and on_cluster:
            n_jobs = -1
        from joblib import Parallel, delayed

        def anchor_on_worker(fit_args: tuple[Any, ...], score_args: tuple[Any, ...],
                             ) -> dict[str, Any]:
            from joblib import parallel_config

            with parallel_config(backend="threading"):
                return _fit_score_anchor(fit_args, score_args)

        def job(a: int) -> Any:
            t = task(a)
            if t.eval_ready is not None:
                t.eval_ready()  # the slices are sent to the worker as they are now
            return delayed(anchor_on_worker if on_cluster else _fit_score_anchor)(
                t.fit_args, t.score_args)

        par = Parallel(n_jobs=n_jobs, return_as="generator")
        gen = par(job(a) for a in range(n_anchors))
        out = []
        try:
            for r in gen:
                out.append(r)
                if bar is not None:
                    bar.update(1)
        except BaseException:
            # an interrupt between two results: close the generator now (joblib aborts,
            # cancelling pending anchors and terminating the workers), not at garbage
            # collection, which a traceback kept alive in an interactive session delays
            import warnings

            with warnings.catch_warnings():
                # joblib's "N tasks ... have been cancelled" is what was asked for here
                warnings.simplefilter("ignore", UserWarning)
                gen.close()
            raise
        return out
    finally:
        if bar is not None:
            bar.close()


def _run_serial(task: Callable[[int], _AnchorTask], n_anchors: int, bar: Any,
                scoring_pool: Executor | None) -> list[dict[str, Any]]:
    """The anchors one after the other. With a ``scoring_pool`` (one thread), anchor
    ``a``'s scoring runs there while anchor ``a + 1`` fits and predicts (at most one
    scoring in flight, so at most two anchors' predictions are held), and the last
    anchor's windows are scored half there, half here."""
    out: list[dict[str, Any]] = []
    pending: Future[dict[str, Any]] | None = None
    for a in range(n_anchors):
        t = task(a)
        fitted = _fit_predict_anchor(*t.fit_args, eval_ready=t.eval_ready)
        if pending is not None:
            out.append(pending.result())  # scored while this anchor fitted
            pending = None
        if scoring_pool is None:
            out.append(_score_anchor(fitted, *t.score_args))
        elif a == n_anchors - 1:
            out.append(_score_anchor(fitted, *t.score_args, helper=scoring_pool))
        else:
            pending = scoring_pool.submit(_score_anchor, fitted, *t.score_args)
        if bar is not None:
            bar.update(1)
    return out


def evaluate_predictions(
    data: pd.DataFrame,
    *,
    y_true: str,
    y_pred: str | Sequence[str],
    time: str,
    cutoff: Any,
    metric: str | Metric = "roc_auc",
    eval_window: Any = "30D",
    gap: Any = None,
    horizon: Any = None,
    min_window_size: int = 30,
    pos_label: Any = None,
    random_state: Any = None,
) -> OOTEvaluation:
    """Score predictions made by a model trained elsewhere, window by window.

    Parameters
    ----------
    data : DataFrame
        Rows with the time, the true target and the model's predictions.
    y_true : str
        Column of true values.
    y_pred : str or list of str
        Column(s) of predictions: scores or probabilities of the positive class for
        ``roc_auc``/``average_precision``/``log_loss``/``brier``, labels for label
        metrics, values for regression. A list gives one anchor per column, each with
        its cutoff in ``cutoff`` (several models trained elsewhere).
    time : str
        Time column.
    cutoff : timestamp, number, or list of them
        End of each model's training data (one per ``y_pred`` column). Rows before
        ``cutoff + gap`` are not scored.
    metric : str or Metric, default="roc_auc"
    eval_window, gap, horizon, min_window_size, pos_label, random_state
        As in :func:`evaluate_out_of_time`.

    Returns
    -------
    OOTEvaluation

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from oot import evaluate_predictions
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=900, freq="4h")})
    >>> df["y"] = rng.integers(0, 2, len(df))
    >>> df["p"] = np.clip(0.3 * df["y"] + 0.7 * rng.random(len(df)), 0, 1)
    >>> ev = evaluate_predictions(df, y_true="y", y_pred="p", time="ts",
    ...                           cutoff="2024-01-15", eval_window="30D")
    >>> ev.scores[["window", "n", "partial"]].values.tolist()
    [[1, 180, False], [2, 180, False], [3, 180, False], [4, 180, False], [5, 96, True]]
    """
    func = "evaluate_predictions"
    _check_common(func, data, min_window_size, random_state)
    m = get_metric(metric, func=func)
    cols = list(data.columns)
    preds = [y_pred] if isinstance(y_pred, str) else list(y_pred)
    check_columns([y_true], cols, "y_true", func)
    check_columns(preds, cols, "y_pred", func)
    check_columns([time], cols, "time", func)
    cuts = list(cutoff) if (isinstance(cutoff, Sequence) and not isinstance(cutoff, str)) \
        else [cutoff]
    if len(cuts) != len(preds):
        raise InvalidParameterError(param_message(
            "cutoff", func, f"one cutoff per y_pred column ({len(preds)})", cutoff))
    ax = TimeAxis.from_column(data, time, func)
    kind: TimeKind = ax.kind
    for c in cuts:
        try:
            v = ax.from_stamp(c) if kind == "datetime" else float(c)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(param_message(
                "cutoff", func, "a timestamp" if kind == "datetime" else "a number", c)
            ) from exc
        if not (float(ax.t_min) <= v < ax.data_end):
            raise InvalidParameterError(param_message(
                "cutoff", func, f"inside the data's time span {ax.span_text()}", c))
    # the plan: one anchor per prediction column; training window irrelevant
    tw = "1ns" if kind == "datetime" else 1e-9
    plan = make_plan(ax, func=func, train_window=tw, eval_window=eval_window, gap=gap,
                     horizon=horizon, anchors=cuts, expanding=True)
    order = ax.order
    tgt = _prepare_target(data[y_true].to_numpy(), str(y_true), m, pos_label, func)
    y_sorted = tgt.y[order]
    tgt_sorted = _Target(y_sorted, tgt.classes, tgt.pos_label, tgt.task)
    _, score_seeds = _seeds(random_state, plan.n_anchors)
    results: list[dict[str, Any]] = []
    # cutoffs are sorted by make_plan; keep the column that goes with each
    pairs = sorted(zip((ax.from_stamp(c) if kind == "datetime" else float(c) for c in cuts),
                       preds, strict=True))
    for a, (_, col) in enumerate(pairs):
        elo, ehi = plan.eval_range(a)
        raw = data[col].to_numpy()[order[elo:ehi]]
        if tgt.task == "binary" and m.response == "predict":
            p = (raw == tgt.pos_label).astype(np.int64)
        elif tgt.task == "multiclass":
            assert tgt.classes is not None
            if m.response != "predict":
                raise InvalidParameterError(param_message(
                    "metric", func, "a label metric for a multiclass target with one "
                    "prediction column", m.name))
            p = np.searchsorted(tgt.classes, raw).astype(np.int64)
        else:
            try:
                p = np.asarray(raw, dtype=float) if tgt.task != "raw" else raw
            except (TypeError, ValueError) as exc:
                msg = (f"The prediction column {col!r} must hold numbers for metric "
                       f"{m.name!r} (dtype {data[col].dtype}, first value {raw[0]!r}). "
                       "Pass scores or probabilities, or choose a label metric such as "
                       "'accuracy'.")
                raise InvalidParameterError(msg) from exc
            if p.dtype.kind == "f" and not np.all(np.isfinite(p)):
                msg = (f"The prediction column {col!r} has {int((~np.isfinite(p)).sum())} "
                    f"missing or infinite value(s) after the cutoff. Fill or drop them.")
                raise InvalidParameterError(msg)
            if m.name in ("log_loss", "brier") and p.ndim == 1 and (
                    np.any(p < 0) or np.any(p > 1)):
                msg = (f"The prediction column {col!r} must hold probabilities in [0, 1] "
                       f"for metric {m.name!r}. Got values from {float(np.min(p)):g} to "
                       f"{float(np.max(p)):g} after the cutoff. Pass the predicted "
                       "probability of the positive class.")
                raise InvalidParameterError(msg)
        sel = plan.anchor_idx == a
        ws = score_windows(m, y_sorted[elo:ehi], p, plan.lo[sel] - elo, plan.hi[sel] - elo,
                           min_window_size=int(min_window_size),
                           n_classes=_n_classes(tgt),
                           random_state=score_seeds[a])
        results.append({"status": "ok", "scores": ws})
    scores = _scores_frame(plan, results, tgt_sorted)
    # a model trained elsewhere: its training start is unknown
    scores["train_start"] = pd.NaT if kind == "datetime" else np.nan
    if kind == "datetime" and ax.tz is not None:
        scores["train_start"] = scores["train_start"].dt.tz_localize(ax.tz)
    _warn_windows(scores, int(min_window_size), stacklevel=2)
    anchors_df = pd.DataFrame({
        "anchor": np.arange(1, plan.n_anchors + 1),
        "cutoff": [ax.to_stamp(c) for c in plan.cutoff],
        "prediction_column": [c for _, c in pairs],
        "status": "ok",
        "message": "",
    })
    params = _params(None, eval_window, gap, horizon, [str(c) for c in cuts], None, False,
                     min_window_size, m)
    params.update(y_true=str(y_true), y_pred=[str(p) for p in preds], time=str(time),
                  pos_label=_jsonable(tgt.pos_label))
    return OOTEvaluation(scores=scores, metric=m, time_kind=kind, anchors=anchors_df,
                         params=params, data_info=_data_info(ax, data))
