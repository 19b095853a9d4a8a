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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from oot._frames import model_frame
from oot._progress import progress_bar
from oot._threads import SpareCore
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
    IndicatorScorer,
    indicators_frame,
    plan_indicators,
)
from oot.evaluate._result import OOTEvaluation
from oot.evaluate._scorers import (
    DEFAULT_MAX_SEGMENTS,
    AnchorData,
    AnchorScorer,
    ResponseCache,
    Segmentation,
    WindowBlocks,
    as_metrics,
    long_scores_frame,
    segment_ranges,
    segmentations,
)
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
from oot.metrics import Metric, WindowScores, _thread_safe_scoring, score_windows
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
    metric: Metric          # the first metric: its response is predicted here
    target: _Target         # its target's meaning (classes, positive label), no values
    seed: int | None        # for the estimator's random_state parameters
    more_metrics: tuple[Metric, ...] = ()   # the later metrics of a list, and
    more_targets: tuple[_Target, ...] = ()  # their targets' meaning
    predict_train: bool = False   # also predict the training rows (a scorer reads them)

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return (self.metric, *self.more_metrics)

    @property
    def targets(self) -> tuple[_Target, ...]:
        return (self.target, *self.more_targets)


@dataclass(frozen=True)
class _ScoreJob:
    """What scoring one anchor's windows needs, besides its predictions."""

    y_eval: tuple[np.ndarray, ...]   # per metric: the encoded target of the eval rows
    starts: np.ndarray      # each window's rows: [starts[i], stops[i]) of y_eval
    stops: np.ndarray
    metrics: tuple[Metric, ...]
    targets: tuple[_Target, ...]
    min_window_size: int
    seed: int               # for bootstrap standard errors
    anchor: int = -1        # 0-based
    segments: tuple[Segmentation, ...] = ()   # codes of the evaluation rows
    scorers: tuple[AnchorScorer, ...] = ()    # () is the window scorer alone
    eval_rows: tuple[int, int] = (0, 0)
    train_rows: tuple[int, int] = (0, 0)
    # per scorer name: its prepare(), run once (serially; see _prepare)
    prepared: Mapping[str, _Once] = dataclasses.field(default_factory=dict)


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
    """One anchor's predictions on its evaluation rows (per metric), or why there are
    none; with the fitted model and its rows for the scorers that read them."""

    pred: np.ndarray | None  # the first metric's; the later ones' when it is scored
    failure: _Failure | None = None
    fit_time: float = math.nan
    predict_time: float = math.nan
    model: ResponseCache | None = None      # the fitted model, each method called once
    job: _FitJob | None = None
    more: tuple[np.ndarray, ...] = ()       # the later metrics' (see :func:`_responses`)
    pred_train: np.ndarray | None = None    # the first metric's on the training rows

    @property
    def preds(self) -> tuple[np.ndarray, ...] | None:
        """Every metric's predictions so far (the first metric's, then ``more``)."""
        return None if self.pred is None else (self.pred, *self.more)


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
    cached = ResponseCache(est)
    try:  # the first metric's response here; the others' with the scoring
        first = _response(cached, job.X_eval, job.metric, job.target)
    except OutputError as exc:  # the predictions came back, but cannot be scored
        return _Predicted(None, _Failure("output", exc))
    except Exception as exc:
        return _Predicted(None, _Failure("predict", exc))
    pred_train = None
    if job.predict_train:  # a scorer reads the training rows' predictions
        try:
            pred_train = _response(est, job.X_train, job.metric, job.target)
        except OutputError as exc:
            return _Predicted(None, _Failure("output", exc))
        except Exception as exc:
            return _Predicted(None, _Failure("predict", exc))
    return _Predicted(first, fit_time=t1 - t0, predict_time=_time.perf_counter() - t2,
                      model=cached, job=job, pred_train=pred_train)


def _responses(fitted: _Predicted) -> _Predicted:
    """Every metric's predictions: each prediction method is called at most once
    (``predict_proba`` serves every probability metric) and metrics that read the same
    response of the same target share one array.

    Run with the scoring, so that a second method (``predict`` after
    ``predict_proba``) overlaps the next anchor's fit on the helper thread.
    """
    job = fitted.job
    if fitted.pred is None or job is None or 1 + len(fitted.more) == len(job.metrics):
        return fitted
    assert fitted.model is not None
    t0 = _time.perf_counter()
    out: dict[tuple[Any, ...], np.ndarray] = {}
    preds = []
    try:
        for i, (m, t) in enumerate(zip(job.metrics, job.targets, strict=True)):
            key = (m.response, m.requires_two_classes, t.task, t.pos_label)
            if key not in out:
                out[key] = (fitted.pred if i == 0
                            else _response(fitted.model, job.X_eval, m, t))
            preds.append(out[key])
    except OutputError as exc:
        return _Predicted(None, _Failure("output", exc))
    except Exception as exc:
        return _Predicted(None, _Failure("predict", exc))
    return dataclasses.replace(fitted, more=tuple(preds[1:]), predict_time=(
        fitted.predict_time + _time.perf_counter() - t0))


def _score_anchor(fitted: _Predicted, job: _ScoreJob, *, helper: Executor | None = None,
                  ) -> _AnchorResult:
    """Run the anchor's scorers (the window scorer first) on its :class:`AnchorData`,
    after the rest of its metrics' responses; with a ``helper`` thread, part of the
    work runs there meanwhile."""
    fitted = _responses(fitted)
    preds = fitted.preds
    if preds is None:
        return _AnchorResult(None, fitted.failure)
    fit = fitted.job
    data = AnchorData(
        anchor=job.anchor, metrics=job.metrics,
        targets=tuple(dataclasses.replace(t, y=y)
                      for y, t in zip(job.y_eval, job.targets, strict=True)),
        responses=preds, starts=job.starts, stops=job.stops, segments=job.segments,
        min_window_size=job.min_window_size, seed=job.seed, eval_rows=job.eval_rows,
        train_rows=job.train_rows, X_train=None if fit is None else fit.X_train,
        y_train=None if fit is None else fit.y_train,
        X_eval=None if fit is None else fit.X_eval,
        model=None if fitted.model is None else fitted.model.estimator,
        train_response=fitted.pred_train, extra=job.prepared)
    scorers: tuple[AnchorScorer, ...] = (WINDOW_SCORER, *job.scorers)
    outputs = {s.name: s.score(data, helper) for s in scorers}
    windows = outputs[WINDOW_SCORER.name]
    first = windows.overall[0] if isinstance(windows, WindowBlocks) else windows
    return _AnchorResult(first, fit_time=fitted.fit_time,
                         predict_time=fitted.predict_time,
                         outputs=outputs if isinstance(windows, WindowBlocks) or (
                             job.scorers) else None)


@dataclass(frozen=True)
class _WindowScorer:
    """The scores of every window, per metric, for the whole population and for every
    (segment, window); :func:`score_windows` once per metric and segment column.

    One metric without segments gives a :class:`WindowScores` (the first-round path);
    otherwise a :class:`WindowBlocks`. With a ``helper`` thread, one metric's windows
    are split in halves, several pieces of work alternate between the threads.
    """

    name: str = "windows"
    thread_safe: bool = True   # the engine checks each metric (_thread_safe_scoring)
    needs_train_response: bool = False

    def score(self, d: AnchorData, helper: Executor | None) -> Any:
        if len(d.metrics) == 1 and not d.segments:
            return self._one(d, helper)
        units: list[Callable[[], tuple[WindowScores, ...]]] = [
            functools.partial(self._overall, d)]
        units += [functools.partial(self._segments, d, sg) for sg in d.segments]
        if helper is None or len(units) < 2:
            done = [u() for u in units]
        else:  # the later units on the helper, the others here
            later = [helper.submit(u) for u in units[len(units) // 2:]]
            done = [u() for u in units[:len(units) // 2]] + [f.result() for f in later]
        return WindowBlocks(overall=done[0], by_segment=tuple(done[1:]))

    @staticmethod
    def _one(d: AnchorData, helper: Executor | None) -> WindowScores:
        m, t, pred = d.metrics[0], d.targets[0], d.responses[0]

        def score(sl: slice) -> WindowScores:
            return score_windows(m, t.y, pred, d.starts[sl], d.stops[sl],
                                 min_window_size=d.min_window_size,
                                 n_classes=_n_classes(t), random_state=d.seed)

        if helper is None or len(d.starts) < 2:
            return score(slice(None))
        # each window's score depends on its own rows only (seeds included)
        half = len(d.starts) // 2
        later = helper.submit(score, slice(half, None))
        return _concat_scores(score(slice(None, half)), later.result())

    @staticmethod
    def _overall(d: AnchorData) -> tuple[WindowScores, ...]:
        return tuple(
            score_windows(m, t.y, p, d.starts, d.stops, min_window_size=d.min_window_size,
                          n_classes=_n_classes(t), random_state=d.seed)
            for m, t, p in zip(d.metrics, d.targets, d.responses, strict=True))

    @staticmethod
    def _segments(d: AnchorData, sg: Segmentation) -> tuple[WindowScores, ...]:
        """Every (segment, window) of one segment column, from one stable sort."""
        perm, lo, hi = segment_ranges(sg.codes, sg.n_segments, d.starts, d.stops)
        permuted: dict[int, np.ndarray] = {}  # each distinct array permuted once

        def take(x: np.ndarray) -> np.ndarray:
            if id(x) not in permuted:
                permuted[id(x)] = x[perm]
            return permuted[id(x)]

        return tuple(
            score_windows(m, take(t.y), take(p), lo, hi, min_window_size=d.min_window_size,
                          n_classes=_n_classes(t), random_state=d.seed)
            for m, t, p in zip(d.metrics, d.targets, d.responses, strict=True))


WINDOW_SCORER = _WindowScorer()


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

    ``overlap`` says how :func:`_run_serial` uses its helper thread: True, an anchor's
    scoring runs there while the next anchor fits (the evaluation's: scoring one model's
    windows is light); False, each anchor is scored as soon as it is predicted, shared
    between the helper and the calling thread, and the fits never share the cores with
    it. ``busy_scoring``: the overlapped scoring keeps the helper busy for much of the
    next anchor's fit (the comparison's: several models' scores and every pair's paired
    SE per anchor), so those fits cap their BLAS pools at one thread fewer than the
    cores (:class:`oot._threads.SpareCore`), as fits beside prepared work do.
    """

    fit_predict: Callable[..., Any]
    score: Callable[..., Any]
    fit_score: Callable[..., Any]
    overlap: bool = True
    busy_scoring: bool = False


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
    metric: str | Metric | Sequence[str | Metric] = "roc_auc",
    segment: str | Sequence[str] | None = None,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
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
        Feature columns; None uses every column but ``target``, ``time`` and the
        ``segment`` columns.
    metric : str, Metric or list of them, default="roc_auc"
        A name from :func:`oot.metrics.available` or an :class:`oot.Metric`. A list
        scores every metric from the same fits and predictions (each prediction method
        is called once per anchor) and adds a ``metric`` column to the scores; the
        metrics must share one kind of target (all classification or all regression).
    segment : str or list of str, default=None
        Also score every window per value of this column (or of each of these columns),
        from the same predictions: the scores gain a ``segment`` column, ``"(all)"`` for
        the whole population, the value for a segment (``"column=value"`` with several
        columns), ``"(missing)"`` for missing values. ``min_window_size`` applies per
        segment. The column may also be a feature.
    max_segments : int, default=50
        A segment column with more distinct values is an error (group rare values
        first).
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
        With ``indicators``, the features' indicators are computed there too while
        each anchor fits, and those fits run with the BLAS thread pools capped at one
        thread fewer than the cores (never above a limit you set), so that the helper
        has a core of its own.
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
        its probabilities alone. With a list of metrics they are the first metric's
        (its predictions, its expected score), for the whole population (not per
        segment). See :mod:`oot.indicators`.
    time_unit : str, default=None
        The unit of a numeric time column ("years", "weeks"), used wherever an age is
        written: "Retrain every 6.9 years" rather than "every 6.878". Only for numeric
        time; recorded in :attr:`OOTEvaluation.params`.

    Returns
    -------
    OOTEvaluation
        One row per anchor x window in :attr:`OOTEvaluation.scores` (per metric and
        segment too, when a list or a segment is given; see
        :meth:`OOTEvaluation.select`).

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

    Several metrics and segments from the same fits:

    >>> ds.frame["region"] = ["north", "south"] * (len(ds.frame) // 2)
    >>> ev = evaluate_out_of_time(ds.frame, LinearRegression(), target=ds.target,
    ...                           time=ds.time, metric=["rmse", "mae"], segment="region",
    ...                           train_window="180D", eval_window="30D", anchors=3)
    >>> ev.metric_names, ev.segment_labels
    (('rmse', 'mae'), ('(all)', 'north', 'south'))
    >>> ev.select(metric="mae", segment="south").scores.columns.tolist()[:3]
    ['anchor', 'cutoff', 'train_start']
    """
    data = model_frame(data, target=target, time=time, features=features,
                       also=segment)
    _check_time_unit(time_unit, data, time)
    ev: OOTEvaluation = _with_time_unit(_evaluate_out_of_time(
        data, estimator, target=target, time=time, features=features, metric=metric,
        segment=segment, max_segments=max_segments, train_window=train_window,
        eval_window=eval_window, gap=gap, horizon=horizon,
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
    metric: Any,
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
    segment: Any = None,
    max_segments: Any = DEFAULT_MAX_SEGMENTS,
) -> OOTEvaluation:
    """The engine behind :func:`evaluate_out_of_time` and
    :func:`~oot.recommend_retrain_interval`: check, plan, run the anchors, package.

    Error messages name the running entry point (:func:`oot._validation.caller`);
    ``stacklevel`` points warnings at the user's call.
    """
    metrics, listed, feats, segs = _check_run_arguments(
        data, estimator, target=target, time=time, features=features, metric=metric,
        min_window_size=min_window_size, on_error=on_error, n_jobs=n_jobs,
        progress=progress, random_state=random_state, segment=segment,
        max_segments=max_segments)
    ax = TimeAxis.from_column(data, time)
    plan = make_plan(ax, train_window=train_window, eval_window=eval_window,
                     gap=gap, horizon=horizon, anchors=anchors, anchor_step=anchor_step,
                     expanding=expanding)
    results, tgts, segs_sorted, iplan = _run_plan(
        data, estimator, ax, plan, feats, target=target, metrics=metrics,
        pos_label=pos_label, min_window_size=int(min_window_size), n_jobs=n_jobs,
        progress=progress, random_state=random_state, on_error=on_error, segments=segs,
        indicators=indicators)
    m = metrics[0]
    _warn_positive_class(tgts[0], m, pos_label, stacklevel=stacklevel)
    anchors_df = _anchor_table(ax, plan, results, on_error)
    if listed or segs:
        blocks = [None if r.outputs is None else r.outputs[WINDOW_SCORER.name]
                  for r in results]
        scores = long_scores_frame(plan, blocks, metrics, tgts, segs_sorted,
                                   metric_column=listed)
    else:
        scores = _scores_frame(plan, results, tgts[0])
    _warn_windows(scores, int(min_window_size), stacklevel=stacklevel,
                  detail=_missing_classes_each(plan, scores, metrics, tgts,
                                               1 + sum(sg.n_segments for sg in segs)))
    params = _params(train_window, eval_window, gap, horizon, anchors, anchor_step,
                     expanding, min_window_size, m)
    params.update(estimator=repr(estimator), target=str(target), time=str(time),
                  features=[str(f) for f in feats], on_error=on_error,
                  pos_label=_jsonable(tgts[0].pos_label))
    params.update(_multi_params(metrics, listed, segs, max_segments))
    ind_frame = None
    if iplan is not None:
        n_win = np.bincount(plan.anchor_idx, minlength=plan.n_anchors)
        ind_frame = indicators_frame(
            iplan, n_win.tolist(),
            [None if r.outputs is None else r.outputs["indicators"] for r in results])
        params.update(indicators=iplan.names)
    return OOTEvaluation(scores=scores, metric=m, time_kind=ax.kind, anchors=anchors_df,
                         params=params, data_info=_data_info(ax, data),
                         indicators=ind_frame, metrics=metrics if listed else (),
                         segment_columns=tuple(sg.column for sg in segs))


def _missing_classes_each(plan: WindowPlan, scores: pd.DataFrame,
                          metrics: tuple[Metric, ...], tgts: tuple[_Target, ...],
                          n_layouts: int) -> str:
    """:func:`_missing_classes` of each metric's windows on the whole population (the
    long table is metric-major, the whole population first), each sentence once."""
    n_w = plan.n_windows
    out: list[str] = []
    for i, (m, t) in enumerate(zip(metrics, tgts, strict=True)):
        part = scores.iloc[i * n_layouts * n_w:i * n_layouts * n_w + n_w]
        text = _missing_classes(plan, part.reset_index(drop=True), t, m)
        if text and text not in out:
            out.append(text)
    return " ".join(out)


def _multi_params(metrics: tuple[Metric, ...], listed: bool,
                  segs: tuple[Segmentation, ...], max_segments: Any) -> dict[str, Any]:
    """The settings of several metrics and segments (none for a first-round run)."""
    out: dict[str, Any] = {}
    if listed:
        out["metrics"] = [m.name for m in metrics]
    if segs:
        out["segment"] = [sg.column for sg in segs]
        out["max_segments"] = int(max_segments)
    return out


def _check_arguments(
    data: Any, estimator: Any, *, target: Any, time: Any, features: Any, metric: Any,
    min_window_size: Any, on_error: Any, n_jobs: Any, progress: Any, random_state: Any,
) -> tuple[Metric, list[Any]]:
    """The checks of :func:`_check_run_arguments` for a run of one metric (as
    :func:`oot.compare_candidates` makes); return the metric and the features. A list
    of metrics is refused with the way round it."""
    metrics, listed, feats, _ = _check_run_arguments(
        data, estimator, target=target, time=time, features=features, metric=metric,
        min_window_size=min_window_size, on_error=on_error, n_jobs=n_jobs,
        progress=progress, random_state=random_state)
    if listed:
        names = [m.name for m in metrics]
        raise InvalidParameterError(param_message(
            "metric", caller(), "one metric (a name or a Metric)", names,
            f"Run once per metric, e.g. metric={names[0]!r}."))
    return metrics[0], feats


def _check_run_arguments(
    data: Any, estimator: Any, *, target: Any, time: Any, features: Any, metric: Any,
    min_window_size: Any, on_error: Any, n_jobs: Any, progress: Any, random_state: Any,
    segment: Any = None, max_segments: Any = DEFAULT_MAX_SEGMENTS,
) -> tuple[tuple[Metric, ...], bool, list[Any], tuple[Segmentation, ...]]:
    """Check every argument of the evaluation; return the metrics, whether a list was
    given, the features and the segment columns."""
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
    metrics, listed = as_metrics(metric)
    for m in metrics:
        _check_response_method(estimator, m)
    feats = _check_columns(data, target=target, time=time, features=features)
    segs = segmentations(data, segment, max_segments)
    if features is None:  # segment columns are features only when listed as such
        feats = [f for f in feats if f not in {sg.column for sg in segs}] or feats
    return metrics, listed, feats, segs


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
    *, target: Any, metrics: tuple[Metric, ...], pos_label: Any, min_window_size: int,
    n_jobs: int | None, progress: bool, random_state: Any, on_error: str,
    segments: tuple[Segmentation, ...] = (), scorers: tuple[AnchorScorer, ...] = (),
    indicators: Any = False,
) -> tuple[list[_AnchorResult], tuple[_Target, ...], tuple[Segmentation, ...],
           IndicatorPlan | None]:
    """Fit, predict and score every anchor of ``plan``; return the results, each
    metric's target and the segment codes in time order, and the indicators planned.
    With ``on_error="raise"`` the results end at the first anchor that failed (no later
    anchor is tried).

    The leading indicators (``indicators=``, planned from the first metric and its
    target) are one more scorer, :class:`~oot.evaluate._indicators.IndicatorScorer`.

    ``segments`` hold their codes in time order. One helper thread copies the features
    into time order while the target is prepared and the first anchor fits, then
    scores each anchor while the next one fits.
    """
    # rows of one timestamp in an order fixed by their values, not by the input order
    order, is_sorted = _canonical_order(ax, data, [*feats, target])
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oot-engine")
    fill: _RowFill | None = None
    try:
        X_all, fill = _features_in_time_order(data, feats, order, is_sorted, pool)
        y_raw = data[target].to_numpy()
        tgts = _prepare_targets(y_raw, str(target), metrics, pos_label)
        iplan = plan_indicators(indicators, data, feats, estimator=estimator,
                                metric=metrics[0], task=tgts[0].task)
        if iplan is not None:
            scorers = (*scorers, IndicatorScorer(iplan))
        train_response = any(s.needs_train_response for s in scorers)
        y_sorted = _shared_arrays([t.y if is_sorted else t.y[order] for t in tgts], tgts)
        segments = tuple(sg if is_sorted else dataclasses.replace(sg, codes=sg.codes[order])
                         for sg in segments)
        # classifiers are fitted on the original labels (their classes_ are then the
        # target's classes); the metric reads the encoded target
        fit_tgt = _fit_target(tgts)
        y_fit = y_raw if fit_tgt.task in ("binary", "multiclass") else fit_tgt.y
        if not is_sorted:
            y_fit = y_fit[order]
        # workers get the target's meaning, not its values: each task ships its slices
        metas = tuple(dataclasses.replace(t, y=np.empty(0)) for t in tgts)
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
                _FitJob(estimator, X_all.iloc[lo:hi], y_fit[lo:hi], X_all.iloc[elo:ehi],
                        metrics[0], metas[0], est_seeds[a], metrics[1:], metas[1:],
                        predict_train=train_response),
                _ScoreJob(_shared_arrays([y[elo:ehi] for y in y_sorted], tgts),
                          plan.lo[sel] - elo, plan.hi[sel] - elo, metrics, metas,
                          min_window_size, score_seeds[a], anchor=a,
                          segments=tuple(dataclasses.replace(sg, codes=sg.codes[elo:ehi])
                                         for sg in segments),
                          scorers=scorers, eval_rows=(elo, ehi), train_rows=(lo, hi)),
                eval_ready)

        thread_safe = all(_thread_safe_scoring(m, _n_classes(t))
                          for m, t in zip(metrics, tgts, strict=True)) and all(
            s.thread_safe for s in scorers)
        results = _run_anchors(task, plan.n_anchors, n_jobs, progress,
                               scoring_pool=pool if thread_safe else None,
                               stop_on_failure=on_error == "raise")
    finally:
        if fill is not None:
            fill.stop()
        # on an interrupt, the helper's step in progress (a few ms) finishes first
        pool.shutdown(wait=True, cancel_futures=True)
    return results, tuple(dataclasses.replace(t, y=y)
                          for y, t in zip(y_sorted, tgts, strict=True)), segments, iplan


def _prepare_targets(y_raw: np.ndarray, name: str, metrics: tuple[Metric, ...],
                     pos_label: Any) -> tuple[_Target, ...]:
    """Each metric's encoded target, encoded once per kind of metric task (metrics whose
    encodings agree share one)."""
    by_task: dict[str, _Target] = {}
    out: list[_Target] = []
    for m in metrics:
        if m.task not in by_task:
            t = _prepare_target(y_raw, name, m, pos_label)
            same = next((u for u in by_task.values() if _same_encoding(u, t)), None)
            by_task[m.task] = t if same is None else same
        out.append(by_task[m.task])
    return tuple(out)


def _same_encoding(a: _Target, b: _Target) -> bool:
    if a.task != b.task or a.pos_label != b.pos_label:
        return False
    if a.classes is None or b.classes is None:
        return a.classes is None and b.classes is None and a.task == "regression"
    return len(a.classes) == len(b.classes) and bool(np.all(a.classes == b.classes))


def _shared_arrays(arrays: list[np.ndarray], tgts: tuple[_Target, ...],
                   ) -> tuple[np.ndarray, ...]:
    """``arrays`` (one per metric), the same object wherever the metrics share a target."""
    first: dict[int, np.ndarray] = {}
    out = []
    for arr, t in zip(arrays, tgts, strict=True):
        out.append(first.setdefault(id(t), arr))
    return tuple(out)


def _fit_target(tgts: tuple[_Target, ...]) -> _Target:
    """The target the estimator is fitted on: a classification encoding if any metric
    has one (classifiers get the original labels), else the first metric's."""
    for t in tgts:
        if t.task in ("binary", "multiclass", "regression"):
            return t
    return tgts[0]


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

# rows per column-by-column write within a step: one column written into the row-major
# block strides across it; a few thousand rows at a time keep those rows in cache
_ROWS_PER_WRITE = 4096


class _RowFill:
    """Copies the rows of ``src`` (in ``order``, if given) into the C-ordered ``dst`` on
    a worker thread, in time order: the first anchor fits on its rows while the later
    rows are still being copied. :meth:`wait` blocks until a prefix of rows is there.

    ``src`` is a 2-D array or the list of its columns (1-D arrays of one length, such as
    the columns of a frame that holds each on its own: one converted from polars or
    Arrow, or a pandas frame built column by column).
    """

    def __init__(self, src: np.ndarray | Sequence[np.ndarray], order: np.ndarray | None,
                 dst: np.ndarray, pool: Executor) -> None:
        self._src, self._order, self._dst = src, order, dst
        self._cols = ([src[:, j] for j in range(src.shape[1])]
                      if isinstance(src, np.ndarray) else list(src))
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
                self._copy(c0, c1)
                with self._cond:
                    self._done = c1
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._finished = True
                self._cond.notify_all()

    def _copy(self, c0: int, c1: int) -> None:
        """Rows ``[c0, c1)`` of ``dst``."""
        if self._order is None and isinstance(self._src, np.ndarray):
            self._dst[c0:c1] = self._src[c0:c1]  # numpy's own 2-D copy
            return
        # column by column: np.take on a 2-D block that is not C-ordered (a pandas
        # frame's) first copies the whole block, at every step
        for r0 in range(c0, c1, _ROWS_PER_WRITE):
            r1 = min(c1, r0 + _ROWS_PER_WRITE)
            rows = self._dst[r0:r1]
            if self._order is None:
                for j, col in enumerate(self._cols):
                    rows[:, j] = col[r0:r1]
            else:
                idx = self._order[r0:r1]
                for j, col in enumerate(self._cols):
                    rows[:, j] = col[idx]

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



def _float_columns(data: pd.DataFrame, feats: list[Any]) -> list[np.ndarray] | None:
    """The feature columns as numpy arrays when they all have one numpy float dtype
    (views of the frame's memory, however it holds them: no copy), else None."""
    if len(set(feats)) < len(feats):
        return None
    series = [data[c] for c in feats]
    if not all(isinstance(s, pd.Series) for s in series):  # a name the frame repeats
        return None
    dtypes = {s.dtype for s in series}
    dtype = dtypes.pop()
    if dtypes or not isinstance(dtype, np.dtype) or dtype.kind != "f":
        return None
    return [s.to_numpy() for s in series]


def _features_in_time_order(data: pd.DataFrame, feats: list[Any], order: np.ndarray,
                            is_sorted: bool, pool: Executor,
                            ) -> tuple[pd.DataFrame, _RowFill | None]:
    """The feature columns in time order, made once for all anchors.

    When every feature has one float dtype, the frame is built on a C-contiguous,
    read-only array (:func:`_read_only`): each anchor's rows are then a contiguous view
    that scikit-learn uses without copying (a frame's own float block is column-major,
    so every fit and predict would convert it). That array is filled on ``pool`` (see
    :class:`_RowFill`, returned too) from the frame's float block, or from its columns
    when it holds each on its own (a frame converted from polars or Arrow, a pandas
    frame built column by column): nothing is copied before the first anchor starts.
    Other frames keep their dtypes (categorical or string features for a Pipeline).
    """
    cols = _float_columns(data, feats)
    if cols is not None:
        src: np.ndarray | list[np.ndarray] = cols
        if all(c.base is cols[0].base for c in cols) and cols[0].base is not None:
            # one array holds them (a pandas frame's float block): numpy copies its
            # rows at once, faster than column by column
            X = data[feats]
            src = X.to_numpy()
            if is_sorted and src.flags.c_contiguous:  # already the layout
                return pd.DataFrame(_read_only(src), columns=X.columns, copy=False), None
            names = X.columns
        else:
            position = {c: j for j, c in enumerate(data.columns)}  # feats: each name once
            names = data.columns[[position[c] for c in feats]]
        arr = np.empty((len(data), len(cols)), dtype=cols[0].dtype)
        fill = _RowFill(src, None if is_sorted else order, arr, pool)
        return pd.DataFrame(_read_only(arr), columns=names, copy=False), fill
    X = data[feats]
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


class _Once:
    """A call run once, by whichever thread asks first: the helper thread it is
    queued on (:meth:`run`), or a thread that would otherwise wait (:meth:`steal`);
    :meth:`result` runs it if nobody has, else waits for it, and returns its value or
    raises its exception."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._call = functools.partial(fn, *args, **kwargs)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._started = False
        self._value: Any = None
        self._error: BaseException | None = None

    def steal(self) -> bool:
        """Run the call here if no thread has started it; whether this one did."""
        with self._lock:
            if self._started:
                return False
            self._started = True
        try:
            self._value = self._call()
        except BaseException as e:   # kept for result()
            self._error = e
            if not isinstance(e, Exception):
                raise                # an interrupt stops the thread it reaches
        finally:
            self._done.set()
        return True

    def run(self) -> None:
        self.steal()

    def result(self) -> Any:
        if not self.steal():
            self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


def _prepare(t: Any, pool: Executor) -> Any:
    """``t`` with its scorers' ``prepare`` (the work that reads the anchor's rows but
    not its model: the features' leading indicators) started on ``pool``, to run while
    the anchor fits. The pool runs one task at a time, in order, so this anchor's
    scoring, submitted after its fit, finds the prepared work done or under way."""
    job, fit = getattr(t, "score", None), getattr(t, "fit", None)
    if not isinstance(job, _ScoreJob) or not isinstance(fit, _FitJob):
        return t
    prepared: dict[str, _Once] = {}
    for s in job.scorers:
        prep = getattr(s, "prepare", None)
        if callable(prep):
            once = _Once(prep, fit.X_train, fit.X_eval, job.starts, job.stops,
                         t.eval_ready, rows=(job.train_rows[0], job.eval_rows[0]))
            pool.submit(once.run)
            prepared[s.name] = once
    if not prepared:
        return t
    return dataclasses.replace(t, score=dataclasses.replace(job, prepared=prepared))


def _prepared(t: Any) -> Mapping[str, _Once]:
    """The prepared work of ``t`` (:func:`_prepare`; none for other steps' tasks)."""
    job = getattr(t, "score", None)
    return job.prepared if isinstance(job, _ScoreJob) else {}


def _steal(t: Any) -> None:
    """Run here the prepared work of ``t`` that the helper thread has not started."""
    for once in _prepared(t).values():
        once.steal()


def _run_serial(task: Callable[[int], Any], n_anchors: int, bar: Any,
                scoring_pool: Executor | None, stop_on_failure: bool = False,
                steps: _Steps = _ANCHOR_STEPS) -> list[Any]:
    """The anchors one after the other. With a ``scoring_pool`` (one thread), anchor
    ``a``'s scoring runs there while anchor ``a + 1`` fits and predicts (at most one
    scoring in flight, so at most two anchors' predictions are held), and the last
    anchor's windows are scored half there, half here; without ``steps.overlap`` every
    anchor is scored like the last one, before the next one fits. With
    ``stop_on_failure`` the first anchor whose fit or predict failed ends the list.

    An anchor with prepared work (:func:`_prepare`: the features' indicators, on the
    pool while it fits), or fitted while the previous anchor's scoring runs there with
    ``steps.busy_scoring``, fits with the BLAS pools capped at one thread fewer than the
    cores (:class:`oot._threads.SpareCore`), so that the helper has a core; when the
    helper falls behind, the calling thread takes the prepared work it has not
    started (:func:`_steal`) instead of waiting."""
    out: list[Any] = []
    pending: Future[Any] | None = None
    spare = SpareCore()
    for a in range(n_anchors):
        t = task(a)
        if scoring_pool is not None and steps.overlap:
            t = _prepare(t, scoring_pool)  # the work that needs no model, meanwhile
        busy = (pending is not None and steps.busy_scoring) or bool(_prepared(t))
        with spare.fitting(busy_helper=busy):
            fitted = steps.fit_predict(t.fit, eval_ready=t.eval_ready)
        if pending is not None:
            if not pending.done():  # the helper is behind: take this anchor's
                _steal(t)           # prepared work that it has not started
            out.append(pending.result())  # scored while this anchor fitted
            pending = None
            if stop_on_failure and out[-1].failure is not None:
                break  # a later response of the previous anchor failed
        if stop_on_failure and fitted.failure is not None:
            out.append(steps.score(fitted, t.score))  # the failure, no scoring
            break
        if scoring_pool is None:
            out.append(steps.score(fitted, t.score))
        elif a == n_anchors - 1 or not steps.overlap:
            out.append(steps.score(fitted, t.score, helper=scoring_pool))
        else:
            pending = scoring_pool.submit(steps.score, fitted, t.score)
        del fitted  # the predictions are held only until they are scored
        if bar is not None:
            bar.update(1)
    return out
