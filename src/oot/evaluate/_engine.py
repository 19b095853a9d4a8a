"""The out-of-time evaluation engine.

:func:`evaluate_out_of_time` trains a clone of the estimator once per anchor on the
anchor's training window, predicts once on all of that anchor's later rows, and scores
each evaluation window over a contiguous slice of those predictions.

One anchor is two steps on typed records: :func:`_fit_predict_anchor` runs a
:class:`_FitJob` into :class:`_Predicted`, and :func:`_score_anchor` turns that and a
:class:`_ScoreJob` into an :class:`~oot.evaluate._shared._AnchorResult`. Both run in
one worker, or, serially, the scoring of one anchor overlaps the fit of the next on a
helper thread (:func:`_run_anchors`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
import time as _time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from oot._frames import model_frame
from oot._progress import progress_bar
from oot._validation import (
    EstimatorFitError,
    InvalidParameterError,
    caller,
    check_columns,
    check_option,
    check_scalar,
    entry_point,
    param_message,
)
from oot.evaluate._indicators import (
    IndicatorPlan,
    anchor_indicators,
    indicators_frame,
    plan_indicators,
)
from oot.evaluate._result import OOTEvaluation
from oot.evaluate._shared import (
    _AnchorResult,
    _canonical_order,
    _check_common,
    _check_time_unit,
    _data_info,
    _Failure,
    _jsonable,
    _missing_classes,
    _params,
    _scores_frame,
    _seeds,
    _warn_positive_class,
    _warn_windows,
    _with_time_unit,
)
from oot.evaluate._target import (
    OutputError,
    _check_response_method,
    _n_classes,
    _prepare_target,
    _response,
    _Target,
)
from oot.metrics import Metric, WindowScores, _thread_safe_scoring, get_metric, score_windows
from oot.windows import TimeAxis, WindowPlan, make_plan

__all__ = ["evaluate_out_of_time"]


# ------------------------------------------------------------ one anchor's records
@dataclass(frozen=True)
class _FitJob:
    """What one anchor's fit and predict need (sent to a worker as it is)."""

    estimator: Any          # unfitted; cloned by the job
    X_train: Any            # the anchor's training rows, in time order
    y_train: np.ndarray     # their target, as the estimator is fitted on it
    X_eval: Any             # every row after the anchor's cutoff + gap
    metric: Metric
    target: _Target         # the target's meaning (classes, positive label), no values
    seed: int | None        # for the estimator's random_state parameters
    predict_train: bool = False   # also predict the training rows (for indicators)


@dataclass(frozen=True)
class _ScoreJob:
    """What scoring one anchor's windows needs, besides its predictions."""

    y_eval: np.ndarray      # the encoded target of the evaluation rows
    starts: np.ndarray      # each window's rows: [starts[i], stops[i]) of y_eval
    stops: np.ndarray
    metric: Metric
    target: _Target
    min_window_size: int
    seed: int               # for bootstrap standard errors
    indicators: IndicatorPlan | None = None   # the leading indicators to compute
    X_train: Any = None     # the anchor's rows, for the indicators
    X_eval: Any = None


@dataclass(frozen=True)
class _AnchorTask:
    """One anchor's two jobs (both run in the same worker, or the scoring overlaps the
    next anchor's fit on a thread; see :func:`_run_anchors`)."""

    fit: _FitJob
    score: _ScoreJob
    # blocks until the evaluation rows of the features are copied (None: they are)
    eval_ready: Callable[[], None] | None = None


@dataclass(frozen=True)
class _Predicted:
    """One anchor's predictions on its evaluation rows, or why there are none."""

    pred: np.ndarray | None
    failure: _Failure | None = None
    fit_time: float = math.nan
    predict_time: float = math.nan
    pred_train: np.ndarray | None = None   # on the training rows (for indicators)


# ------------------------------------------------------------------- the two steps
def _set_seed(est: Any, seed: int) -> Any:
    params = est.get_params(deep=True)
    keys = [k for k in params if k == "random_state" or k.endswith("__random_state")]
    if keys:
        est.set_params(**dict.fromkeys(keys, seed))
    return est


def _fit_predict_anchor(job: _FitJob, *, eval_ready: Callable[[], None] | None = None,
                        ) -> _Predicted:
    """One anchor's model: clone, fit once, predict once on all its evaluation rows
    (after ``eval_ready()``, which waits for them when they are still being copied)."""
    from sklearn.base import clone

    t0 = _time.perf_counter()
    est = clone(job.estimator)
    if job.seed is not None:
        _set_seed(est, job.seed)
    try:
        est.fit(job.X_train, job.y_train)
    except Exception as exc:  # reported with the anchor, re-raised by the caller
        return _Predicted(None, _Failure("fit", exc))
    t1 = _time.perf_counter()
    if eval_ready is not None:
        eval_ready()
    t2 = _time.perf_counter()
    try:
        pred = _response(est, job.X_eval, job.metric, job.target)
    except OutputError as exc:  # the predictions came back, but cannot be scored
        return _Predicted(None, _Failure("output", exc))
    except Exception as exc:
        return _Predicted(None, _Failure("predict", exc))
    pred_train = None
    if job.predict_train:
        try:
            pred_train = _response(est, job.X_train, job.metric, job.target)
        except OutputError as exc:
            return _Predicted(None, _Failure("output", exc))
        except Exception as exc:
            return _Predicted(None, _Failure("predict", exc))
    return _Predicted(pred, fit_time=t1 - t0, predict_time=_time.perf_counter() - t2,
                      pred_train=pred_train)


def _score_anchor(fitted: _Predicted, job: _ScoreJob, *, helper: Executor | None = None,
                  ) -> _AnchorResult:
    """Score every window of one anchor from its predictions; with a ``helper`` thread,
    the later half of the windows is scored there meanwhile."""
    if fitted.pred is None:
        return _AnchorResult(None, fitted.failure)
    pred = fitted.pred

    def score(sl: slice) -> WindowScores:
        return score_windows(job.metric, job.y_eval, pred, job.starts[sl], job.stops[sl],
                             min_window_size=job.min_window_size,
                             n_classes=_n_classes(job.target), random_state=job.seed)

    if helper is None or len(job.starts) < 2:
        ws = score(slice(None))
    else:  # each window's score depends on its own rows only (seeds included)
        half = len(job.starts) // 2
        later = helper.submit(score, slice(half, None))
        ws = _concat_scores(score(slice(None, half)), later.result())
    ind = None
    if job.indicators is not None:
        ind = anchor_indicators(job.indicators, X_train=job.X_train, X_eval=job.X_eval,
                                starts=job.starts, stops=job.stops,
                                pred_train=fitted.pred_train, pred_eval=pred)
    return _AnchorResult(ws, fit_time=fitted.fit_time, predict_time=fitted.predict_time,
                         indicators=ind)


def _concat_scores(a: WindowScores, b: WindowScores) -> WindowScores:
    def cat(x: np.ndarray | None, y: np.ndarray | None) -> Any:
        return None if x is None or y is None else np.concatenate((x, y))

    return WindowScores(score=cat(a.score, b.score), se=cat(a.se, b.se), n=cat(a.n, b.n),
                        n_pos=cat(a.n_pos, b.n_pos), n_neg=cat(a.n_neg, b.n_neg),
                        status=cat(a.status, b.status))


def _fit_score_anchor(fit: _FitJob, score: _ScoreJob) -> _AnchorResult:
    """One anchor: clone, fit once, predict once, score every window. Runs in workers."""
    return _score_anchor(_fit_predict_anchor(fit), score)


class _Steps(NamedTuple):
    """The two steps of one anchor, and both in one call for the workers.

    The engine's are :func:`_fit_predict_anchor`, :func:`_score_anchor` and
    :func:`_fit_score_anchor`; :func:`oot.compare_candidates` runs its own (several
    models per anchor, fitted one after the other, scored together) through the same
    runners. ``fit_predict(fit, eval_ready=...)`` and ``score(fitted, score,
    helper=...)`` return objects with a ``failure`` attribute (None when it went
    well); ``fit_score`` must be importable from a module (it is sent to workers).
    """

    fit_predict: Callable[..., Any]
    score: Callable[..., Any]
    fit_score: Callable[..., Any]


_ANCHOR_STEPS = _Steps(_fit_predict_anchor, _score_anchor, _fit_score_anchor)


# --------------------------------------------------------------------- the engine
@entry_point("evaluate_out_of_time")
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
    indicators: Any = False,
    time_unit: str | None = None,
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
        need not be sorted; timestamps may repeat. Rows reach the estimator in time
        order, rows with equal timestamps in an order fixed by their values (a hash of
        the features and the target), so neither the order of the rows nor the index
        changes a result. It is never modified. A pandas DataFrame, or a polars
        DataFrame or LazyFrame, a pyarrow Table or another frame that narwhals reads:
        only the target, time and feature columns are converted (a LazyFrame collects
        only those), each to the dtype pandas would hold, so the results are those of
        the same data in pandas (how-to "polars and Arrow").
    estimator : estimator object
        Any scikit-learn estimator or Pipeline; it is cloned for every anchor. It
        receives a pandas DataFrame of the feature columns (in ``features``' order, rows
        in time order) in ``fit`` and in ``predict`` / ``predict_proba``, whatever the
        type of ``data``.
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
        Positive class for binary metrics; the greater label when None (for string
        labels the later one in alphabetical order, said once in a
        :class:`~oot.PositiveClassWarning`).
    on_error : {"raise", "skip"}, default="raise"
        When an anchor's fit or predict fails, or its predictions cannot be scored
        (checked once per anchor: one row per row asked for, finite values,
        probabilities in [0, 1], labels that are classes of the target): raise (naming
        the anchor), or record the failure in :attr:`OOTEvaluation.anchors` and go on
        with the other anchors.
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
        Show a progress bar over anchors (tqdm's notebook bar in Jupyter when ipywidgets
        is installed, the plain text bar otherwise: no "IProgress not found" warning).
    indicators : bool or list of str, default=False
        Also compute label-free leading indicators per (anchor, window) against the
        anchor's training rows (:attr:`OOTEvaluation.indicators`, ranked by
        :func:`oot.rank_indicators`): True for all of them, or a list of names
        (``"psi:x1"``, ``"ks:x1"``, ``"psi:prediction"``, ``"expected:roc_auc"``) or
        kinds (``"psi"``, ``"ks"``, ``"expected"``). PSI and the Kolmogorov-Smirnov
        statistic of every numeric feature, PSI over the categories of every other
        one, the same for the model's predictions (then the model also predicts its
        training rows), and for a probabilistic classifier the expected scores from
        its probabilities alone. See :mod:`oot.indicators`.
    time_unit : str, default=None
        The unit of a numeric time column ("years", "weeks"), used wherever an age is
        written: "Retrain every 6.9 years" rather than "every 6.878". Only for numeric
        time; recorded in :attr:`OOTEvaluation.params`.

    Returns
    -------
    OOTEvaluation
        One row per anchor x window in :attr:`OOTEvaluation.scores`.

    Raises
    ------
    InvalidParameterError
        For bad arguments or columns (the message names them and says how to fix them).
    EstimatorFitError
        When an anchor's fit or predict fails, or its output cannot be scored, and
        ``on_error="raise"``.

    Warns
    -----
    WindowWarning
        Once, counting the windows that could not be scored.
    PositiveClassWarning
        When binary string labels chose the positive class without ``pos_label``.

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
    data = model_frame(data, target=target, time=time, features=features)
    _check_time_unit(time_unit, data, time)
    ev: OOTEvaluation = _with_time_unit(_evaluate_out_of_time(
        data, estimator, target=target, time=time, features=features, metric=metric,
        train_window=train_window, eval_window=eval_window, gap=gap, horizon=horizon,
        anchors=anchors, anchor_step=anchor_step, expanding=expanding,
        min_window_size=min_window_size, pos_label=pos_label, on_error=on_error,
        n_jobs=n_jobs, random_state=random_state, progress=progress, stacklevel=4,
        indicators=indicators), time_unit)
    return ev


def _evaluate_out_of_time(
    data: pd.DataFrame,
    estimator: Any,
    *,
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
    stacklevel: int,
    indicators: Any = False,
) -> OOTEvaluation:
    """The engine behind :func:`evaluate_out_of_time` and
    :func:`~oot.recommend_retrain_interval`: check, plan, run the anchors, package.

    Error messages name the running entry point (:func:`oot._validation.caller`);
    ``stacklevel`` points warnings at the user's call.
    """
    m, feats = _check_arguments(
        data, estimator, target=target, time=time, features=features, metric=metric,
        min_window_size=min_window_size, on_error=on_error, n_jobs=n_jobs,
        progress=progress, random_state=random_state)
    ax = TimeAxis.from_column(data, time)
    plan = make_plan(ax, train_window=train_window, eval_window=eval_window,
                     gap=gap, horizon=horizon, anchors=anchors, anchor_step=anchor_step,
                     expanding=expanding)
    results, tgt, iplan = _run_plan(
        data, estimator, ax, plan, feats, target=target, metric=m, pos_label=pos_label,
        min_window_size=int(min_window_size), n_jobs=n_jobs, progress=progress,
        random_state=random_state, on_error=on_error, indicators=indicators)
    _warn_positive_class(tgt, m, pos_label, stacklevel=stacklevel)
    anchors_df = _anchor_table(ax, plan, results, on_error)
    scores = _scores_frame(plan, results, tgt)
    _warn_windows(scores, int(min_window_size), stacklevel=stacklevel,
                  detail=_missing_classes(plan, scores, tgt, m))
    params = _params(train_window, eval_window, gap, horizon, anchors, anchor_step,
                     expanding, min_window_size, m)
    params.update(estimator=repr(estimator), target=str(target), time=str(time),
                  features=[str(f) for f in feats], on_error=on_error,
                  pos_label=_jsonable(tgt.pos_label))
    ind_frame = None
    if iplan is not None:
        n_win = np.bincount(plan.anchor_idx, minlength=plan.n_anchors)
        ind_frame = indicators_frame(iplan, n_win.tolist(),
                                     [r.indicators for r in results])
        params.update(indicators=iplan.names)
    return OOTEvaluation(scores=scores, metric=m, time_kind=ax.kind, anchors=anchors_df,
                         params=params, data_info=_data_info(ax, data),
                         indicators=ind_frame)


def _check_arguments(
    data: Any, estimator: Any, *, target: Any, time: Any, features: Any, metric: Any,
    min_window_size: Any, on_error: Any, n_jobs: Any, progress: Any, random_state: Any,
) -> tuple[Metric, list[Any]]:
    """Check every argument of the evaluation; return the metric and the features."""
    func = caller()
    _check_common(data, min_window_size, random_state)
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
    _check_response_method(estimator, m)
    return m, _check_columns(data, target=target, time=time, features=features)


def _check_columns(data: pd.DataFrame, *, target: Any, time: Any, features: Any,
                   ) -> list[Any]:
    """Check the target, time and feature columns; return the feature columns."""
    func = caller()
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
        repeated = [c for c in feats if feats.count(c) > 1]
        if repeated:
            raise InvalidParameterError(param_message(
                "data", func, "a DataFrame whose feature columns have distinct names", repeated,
                "Rename or drop the repeated columns, or name the features to use."))
    else:
        feats = _feature_list(features)
        check_columns(feats, cols, "features", func)
        clash = [f for f in feats if f in (target, time)]
        if clash:
            raise InvalidParameterError(param_message(
                "features", func, "columns other than the target and time columns", clash))
    if not feats:
        raise InvalidParameterError(param_message(
            "features", func, "a non-empty list of feature columns", features,
            "The DataFrame has no column besides the target and the time."))
    return feats


def _feature_list(features: Any) -> list[Any]:
    """``features`` as a list of distinct names, in order (a set has no order)."""
    func = caller()
    if isinstance(features, str):
        raise InvalidParameterError(param_message(
            "features", func, "a list of column names", features,
            f"Write features=[{features!r}] for a single feature."))
    if isinstance(features, (set, frozenset, dict)):
        raise InvalidParameterError(param_message(
            "features", func, f"a list of column names in order (the estimator sees them "
            f"in that order; a {type(features).__name__} has none)", features,
            "Pass a list, e.g. features=sorted(...)."))
    try:
        feats = list(features)
    except TypeError as exc:
        raise InvalidParameterError(param_message(
            "features", func, "a list of column names", features)) from exc
    for f in feats:
        if feats.count(f) > 1:
            raise InvalidParameterError(param_message(
                "features", func, "a list of distinct columns", feats,
                f"{f!r} is listed {feats.count(f)} times."))
    return feats


def _run_plan(
    data: pd.DataFrame, estimator: Any, ax: TimeAxis, plan: WindowPlan, feats: list[Any],
    *, target: Any, metric: Metric, pos_label: Any, min_window_size: int,
    n_jobs: int | None, progress: bool, random_state: Any, on_error: str,
    indicators: Any = False,
) -> tuple[list[_AnchorResult], _Target, IndicatorPlan | None]:
    """Fit, predict and score every anchor of ``plan``; return the results and the
    target in time order. With ``on_error="raise"`` the results end at the first
    anchor that failed (no later anchor is tried).

    One helper thread copies the features into time order while the target is prepared
    and the first anchor fits, then scores each anchor while the next one fits.
    """
    # rows of one timestamp in an order fixed by their values, not by the input order
    order, is_sorted = _canonical_order(ax, data, [*feats, target])
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oot-engine")
    fill: _RowFill | None = None
    try:
        X_all, fill = _features_in_time_order(data, feats, order, is_sorted, pool)
        y_raw = data[target].to_numpy()
        tgt = _prepare_target(y_raw, str(target), metric, pos_label)
        iplan = plan_indicators(indicators, data, feats, estimator=estimator,
                                metric=metric, task=tgt.task)
        y_sorted = tgt.y if is_sorted else tgt.y[order]
        # classifiers are fitted on the original labels (their classes_ are then the
        # target's classes); the metric reads the encoded target
        y_fit = y_raw if tgt.task in ("binary", "multiclass") else tgt.y
        if not is_sorted:
            y_fit = y_fit[order]
        # workers get the target's meaning, not its values: each task ships its slices
        tgt_meta = dataclasses.replace(tgt, y=np.empty(0))
        est_seeds, score_seeds = _seeds(random_state, plan.n_anchors)

        def task(a: int) -> _AnchorTask:
            lo, hi = int(plan.train_lo[a]), int(plan.train_hi[a])
            elo, ehi = plan.eval_range(a)
            sel = plan.anchor_idx == a
            eval_ready = None
            if fill is not None:
                fill.wait(hi)
                eval_ready = functools.partial(fill.wait, ehi)
            X_tr, X_ev = X_all.iloc[lo:hi], X_all.iloc[elo:ehi]
            return _AnchorTask(
                _FitJob(estimator, X_tr, y_fit[lo:hi], X_ev, metric, tgt_meta,
                        est_seeds[a], iplan is not None and iplan.needs_train_predictions),
                _ScoreJob(y_sorted[elo:ehi], plan.lo[sel] - elo, plan.hi[sel] - elo,
                          metric, tgt_meta, min_window_size, score_seeds[a], iplan,
                          X_tr if iplan is not None else None,
                          X_ev if iplan is not None else None),
                eval_ready)

        results = _run_anchors(
            task, plan.n_anchors, n_jobs, progress,
            scoring_pool=pool if _thread_safe_scoring(metric, _n_classes(tgt)) else None,
            stop_on_failure=on_error == "raise")
    finally:
        if fill is not None:
            fill.stop()
        # on an interrupt, the helper's step in progress (a few ms) finishes first
        pool.shutdown(wait=True, cancel_futures=True)
    return results, dataclasses.replace(tgt, y=y_sorted), iplan


def _anchor_table(ax: TimeAxis, plan: WindowPlan, results: list[_AnchorResult],
                  on_error: str) -> pd.DataFrame:
    """One row per anchor (:attr:`OOTEvaluation.anchors`); raises for a failed anchor
    unless ``on_error="skip"``, and when every anchor failed."""
    rows = []
    for a, res in enumerate(results):
        msg = ""
        if res.failure is not None:
            exc = res.failure.error
            msg = res.failure.text
            if on_error == "raise":
                msg = (f"Anchor {a + 1} of {plan.n_anchors} (cutoff "
                    f"{ax.to_stamp(plan.cutoff[a])}, "
                    f"{int(plan.train_hi[a] - plan.train_lo[a])} training rows): the "
                    f"estimator's {msg}. Pass on_error='skip' to record the failure and go "
                    "on with the other anchors.")
                raise EstimatorFitError(msg) from exc
        rows.append({
            "anchor": a + 1,
            "cutoff": ax.to_stamp(plan.cutoff[a]),
            "train_start": ax.to_stamp(plan.train_start[a]),
            "n_train": int(plan.train_hi[a] - plan.train_lo[a]),
            "status": res.status,
            "message": msg,
            "fit_time": float(res.fit_time),
            "predict_time": float(res.predict_time),
        })
    if on_error == "skip" and all(r.failure is not None for r in results):
        first = results[0].failure
        assert first is not None
        msg = (f"Every anchor's model failed ({plan.n_anchors} of {plan.n_anchors}); the first: "
            f"{rows[0]['message']}.")
        raise EstimatorFitError(msg) from first.error
    return pd.DataFrame(rows)


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
        if is_sorted and values.flags.c_contiguous:  # already the layout (oot._frames)
            return pd.DataFrame(_read_only(values), columns=X.columns, copy=False), None
        arr = np.empty(values.shape, dtype=values.dtype)
        fill = _RowFill(values, None if is_sorted else order, arr, pool)
        return pd.DataFrame(_read_only(arr), columns=X.columns, copy=False), fill
    # one take in time order: no per-anchor or per-window copies of the whole frame
    return (X if is_sorted else X.take(order)), None



def _run_anchors(
    task: Callable[[int], Any], n_anchors: int, n_jobs: int | None, progress: bool,
    *, scoring_pool: Executor | None, stop_on_failure: bool = False,
    steps: _Steps = _ANCHOR_STEPS,
) -> list[Any]:
    """Run one job per anchor, serially or with joblib, with an optional progress bar.

    ``task(a)`` gives anchor ``a``'s jobs (an :class:`_AnchorTask`, or the like for
    other ``steps``), which ``steps`` run.

    With ``stop_on_failure`` the list ends at the first failed anchor: serially no later
    anchor is started; with joblib the pending anchors are cancelled (those already
    running on a worker are stopped with it).

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
        bar = progress_bar(total=n_anchors, desc="anchors", unit="anchor")
    try:
        from joblib.parallel import get_active_backend

        backend, config_jobs = get_active_backend()
        on_cluster = "Dask" in type(backend).__name__
        if n_jobs == 1 or (n_jobs is None and config_jobs in (None, 1) and not on_cluster):
            return _run_serial(task, n_anchors, bar, scoring_pool, stop_on_failure, steps)
        if n_jobs is None and on_cluster:
            n_jobs = -1
        from joblib import Parallel, delayed

        fit_score = steps.fit_score

        def anchor_on_worker(fit: Any, score: Any) -> Any:
            from joblib import parallel_config

            with parallel_config(backend="threading"):
                return fit_score(fit, score)

        def job(a: int) -> Any:
            t = task(a)
            if t.eval_ready is not None:
                t.eval_ready()  # the slices are sent to the worker as they are now
            return delayed(anchor_on_worker if on_cluster else fit_score)(t.fit, t.score)

        par = Parallel(n_jobs=n_jobs, return_as="generator")
        gen = par(job(a) for a in range(n_anchors))
        out = []
        try:
            for r in gen:
                out.append(r)
                if bar is not None:
                    bar.update(1)
                if stop_on_failure and r.failure is not None:
                    _close(gen)
                    break
        except BaseException:
            # an interrupt between two results: close the generator now (joblib aborts,
            # cancelling pending anchors and terminating the workers), not at garbage
            # collection, which a traceback kept alive in an interactive session delays
            _close(gen)
            raise
        return out
    finally:
        if bar is not None:
            bar.close()


def _close(gen: Any) -> None:
    """Close joblib's result generator: it cancels the pending anchors and terminates
    the workers (joblib's abort)."""
    with warnings.catch_warnings():
        # joblib's "N tasks ... have been cancelled" is what was asked for here
        warnings.simplefilter("ignore", UserWarning)
        gen.close()


def _run_serial(task: Callable[[int], Any], n_anchors: int, bar: Any,
                scoring_pool: Executor | None, stop_on_failure: bool = False,
                steps: _Steps = _ANCHOR_STEPS) -> list[Any]:
    """The anchors one after the other. With a ``scoring_pool`` (one thread), anchor
    ``a``'s scoring runs there while anchor ``a + 1`` fits and predicts (at most one
    scoring in flight, so at most two anchors' predictions are held), and the last
    anchor's windows are scored half there, half here. With ``stop_on_failure`` the
    first anchor whose fit or predict failed ends the list."""
    out: list[Any] = []
    pending: Future[Any] | None = None
    for a in range(n_anchors):
        t = task(a)
        fitted = steps.fit_predict(t.fit, eval_ready=t.eval_ready)
        if pending is not None:
            out.append(pending.result())  # scored while this anchor fitted
            pending = None
        if stop_on_failure and fitted.failure is not None:
            out.append(steps.score(fitted, t.score))  # the failure, no scoring
            break
        if scoring_pool is None:
            out.append(steps.score(fitted, t.score))
        elif a == n_anchors - 1:
            out.append(steps.score(fitted, t.score, helper=scoring_pool))
        else:
            pending = scoring_pool.submit(steps.score, fitted, t.score)
        del fitted  # the predictions are held only until they are scored
        if bar is not None:
            bar.update(1)
    return out
