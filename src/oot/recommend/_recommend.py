"""The recommendation: :func:`recommend_retrain_interval`.

It runs (or takes) an out-of-time evaluation, fits the degradation curve, finds the
smallest model age at which the fitted curve reaches the tolerance threshold,
bootstraps that age over calendar periods for a confidence interval, and (given costs)
solves the age-replacement cost optimum (:mod:`oot.recommend._cost`). Each of those is
one step below; :func:`recommend_retrain_interval` reads as the list of them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import oot._format as fmt
from oot._common import ConfidenceInterval
from oot._frames import FRAME_TYPES, model_frame
from oot._threads import one_blas_thread
from oot._time import TimeKind, age_to_float, float_to_age, format_age
from oot._validation import (
    InvalidParameterError,
    NotEnoughWindowsError,
    RoundingWarning,
    caller,
    check_option,
    check_random_state_param,
    check_scalar,
    entry_point,
    param_message,
    warn,
)
from oot.degradation import (
    ClusterDraws,
    CrossingBootstrap,
    DegradationCurve,
    bootstrap_crossing,
    fit_degradation,
)
from oot.evaluate import OOTEvaluation
from oot.evaluate._engine import _evaluate_out_of_time
from oot.evaluate._result import ALL_SEGMENTS
from oot.evaluate._scorers import DEFAULT_MAX_SEGMENTS, as_metrics
from oot.evaluate._shared import _check_time_unit, _with_time_unit
from oot.metrics import Metric
from oot.recommend._checks import check_tolerance_settings
from oot.recommend._collection import RetrainRecommendations
from oot.recommend._cost import CostOptimum, cost_optimal_interval
from oot.recommend._each import recommend_each
from oot.recommend._result import RetrainRecommendation
from oot.recommend._steps import _Recommended, _Settings
from oot.windows import parse_length

__all__ = ["recommend_retrain_interval"]

#: ``curve=`` accepts a family or "auto" (AICc among the parametric ones)


@entry_point("recommend_retrain_interval")
def recommend_retrain_interval(
    data: pd.DataFrame | OOTEvaluation,
    estimator: Any = None,
    *,
    target: str | None = None,
    time: str | None = None,
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
    tolerance: float = 0.05,
    tolerance_type: str = "relative",
    baseline: str | float = "curve",
    curve: str = "auto",
    reference: str = "baseline",
    calendar: str = "auto",
    confidence_level: float = 0.9,
    n_bootstrap: int = 1000,
    retrain_cost: float | None = None,
    shortfall_cost: float | None = None,
    round_to: Any = None,
    extrapolate: bool = False,
    pooling: str = "none",
    pos_label: Any = None,
    on_error: str = "raise",
    random_state: Any = None,
    n_jobs: int | None = None,
    progress: bool = False,
    time_unit: str | None = None,
    indicators: Any = False,
) -> RetrainRecommendation | RetrainRecommendations:
    """Recommend how often to retrain: the model age at which the metric drops past tolerance.

    Parameters
    ----------
    data : DataFrame or OOTEvaluation
        Rows with a time column, a target and features (then ``estimator``, ``target``
        and ``time`` are required and the out-of-time evaluation is run), or a ready
        :class:`OOTEvaluation`. The frame may be pandas, polars (eager or lazy), a
        pyarrow Table or another frame narwhals reads, as in
        :func:`oot.evaluate_out_of_time`.
    estimator : estimator object, default=None
        Any scikit-learn estimator or Pipeline (cloned per anchor).
    target, time, features, metric, segment, max_segments, train_window, eval_window, \
gap, horizon, anchors, anchor_step, expanding, min_window_size, pos_label, on_error, \
n_jobs, progress
        As in :func:`oot.evaluate_out_of_time`. A list of metrics or a ``segment``
        (or an evaluation of several) gives a :class:`RetrainRecommendations`: one
        recommendation per (metric, segment), every bootstrap on the same calendar
        draws.
    tolerance : float, default=0.05
        How far the metric may degrade: a fraction of the baseline for
        ``tolerance_type="relative"`` (in (0, 1)), or metric units for ``"absolute"``.
    tolerance_type : {"relative", "absolute"}, default="relative"
    baseline : {"curve", "first_window"} or float, default="curve"
        The reference level: the fitted curve at age 0, the mean first-window score, or
        a number.
    curve : str, default="auto"
        Curve family: "linear", "quadratic", "exponential", "power", "logarithmic",
        "hinge", "explosive", "logistic", "isotonic", or "auto" (AICc among the
        parametric ones).
    reference : {"baseline", "fresh"}, default="baseline"
        "fresh" compares each window with the youngest model's score on the same window,
        so a hard season is not mistaken for aging (needs anchors one window apart).
    calendar : {"auto", "shift", "none"}, default="auto"
        Calendar effects shared by every anchor (see :func:`oot.fit_degradation`):
        "auto" models a yearly season when the data show one and reports a level shift
        (then the sentence says so first and the fresh reading is given beside:
        :attr:`RetrainRecommendation.fresh`); "shift" models a shift too; "none" only
        reports them.
    confidence_level : float, default=0.9
        Level of the interval's confidence interval.
    n_bootstrap : int, default=1000
        Bootstrap replicates (calendar periods resampled as clusters); at least
        ``2 / (1 - confidence_level)`` (20 at 0.9), so that each tail of the CI holds a
        replicate.
    retrain_cost, shortfall_cost : float, default=None
        Cost of one retraining and cost per unit of metric shortfall per day (per unit of
        numeric time); both or neither. Gives :attr:`cost_optimal_interval`.
    round_to : str, Timedelta or number, default=None
        Floor every reported interval to whole units (``"D"``, ``"W"``, ``"7D"``): the
        interval, both ends of its CI, and the extrapolated and cost-optimal intervals
        alike. When one of them is shorter than one unit (floored, it would be 0, which
        is no retraining interval), none is rounded: the result holds the ages as
        computed, its ``round_to`` is None, and a :class:`RoundingWarning` names the
        short age.
    extrapolate : bool, default=False
        When the threshold is not reached within the evaluated ages, also extrapolate the
        fitted curve (up to 10x the oldest age) and report that estimate, with an
        :class:`ExtrapolationWarning`.
    pooling : {"none", "partial"}, default="none"
        With segments: "partial" shrinks each segment's curve shape toward the whole
        population's, weighted by how precisely the segment's own data pin it down
        (empirical Bayes), so that small segments borrow strength from the whole; large
        segments keep their own curve. "none" fits every segment on its own.
    indicators : bool or list of str, default=False
        Also compute the leading indicators (as in :func:`oot.evaluate_out_of_time`;
        rank them with :func:`oot.rank_indicators` on :attr:`evaluation`). Must be
        False with an OOTEvaluation, whose indicators are its own.
    random_state : int, Generator or None, default=None
        Seeds the estimator, the bootstrap and any bootstrap standard errors.
    time_unit : str, default=None
        The unit of a numeric time ("years"), used in the sentence, tables and axes:
        "Retrain every 6.9 years". With an OOTEvaluation it replaces the evaluation's.

    Returns
    -------
    RetrainRecommendation or RetrainRecommendations
        A :class:`RetrainRecommendations` for several metrics or segments.

    Raises
    ------
    InvalidParameterError
        Bad arguments (the message names the parameter, shows the value, says the fix).
    NotEnoughWindowsError
        Fewer usable windows than the curve needs.

    See Also
    --------
    evaluate_out_of_time, fit_degradation

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> import oot
    >>> ds = oot.datasets.make_drifting_regression(n_samples=6000, random_state=0)
    >>> rec = oot.recommend_retrain_interval(
    ...     ds.frame, LinearRegression(), target=ds.target, time=ds.time, metric="mse",
    ...     train_window="90D", eval_window="30D", anchors=4, tolerance=0.10,
    ...     n_bootstrap=200, random_state=0)
    >>> rec.status
    'crossed'
    >>> print(str(rec))  # doctest: +SKIP
    Retrain every 48 days (90% CI 33-71 days): MSE rises 10% above its baseline ...

    Several metrics from the same fits; the shortest interval decides:

    >>> recs = oot.recommend_retrain_interval(
    ...     ds.frame, LinearRegression(), target=ds.target, time=ds.time,
    ...     metric=["mse", "mae"], train_window="90D", eval_window="30D", anchors=4,
    ...     tolerance=0.10, n_bootstrap=200, random_state=0)
    >>> [key for key in recs.keys]
    [('mse', '(all)'), ('mae', '(all)')]
    >>> recs.binding is recs["mse"]
    True
    """
    if not isinstance(data, OOTEvaluation):  # any data frame in, pandas from here on
        data = model_frame(data, target=target, time=time, features=features,
                           expected=f"{FRAME_TYPES} or an OOTEvaluation", also=segment)
    m, round_unit = _check_arguments(
        data, estimator, target=target, time=time, features=features, metric=metric,
        tolerance=tolerance, tolerance_type=tolerance_type, baseline=baseline, curve=curve,
        reference=reference, confidence_level=confidence_level, n_bootstrap=n_bootstrap,
        retrain_cost=retrain_cost, shortfall_cost=shortfall_cost, round_to=round_to,
        extrapolate=extrapolate, random_state=random_state, segment=segment,
        max_segments=max_segments, pooling=pooling)
    check_option(calendar, "calendar", caller(), ["auto", "shift", "none"])
    _check_time_unit(time_unit, data, time)
    if isinstance(data, OOTEvaluation):
        if indicators is not False and indicators is not None:
            raise InvalidParameterError(param_message(
                "indicators", caller(), "False when data is an OOTEvaluation",
                indicators, "Pass indicators= to evaluate_out_of_time, which computes "
                "them while the rows are in memory."))
        ev = data
    else:
        assert target is not None
        assert time is not None
        ev = _evaluate_out_of_time(
            data, estimator, target=target, time=time, features=features,
            metric=m if isinstance(metric, str | Metric) else metric,
            train_window=train_window, eval_window=eval_window, gap=gap, horizon=horizon,
            anchors=anchors, anchor_step=anchor_step, expanding=expanding,
            min_window_size=min_window_size, pos_label=pos_label, on_error=on_error,
            n_jobs=n_jobs, random_state=random_state, progress=progress, stacklevel=4,
            segment=segment, max_segments=max_segments, indicators=indicators)
    ev = _with_time_unit(ev, time_unit)
    settings = _Settings(
        tolerance=float(tolerance), tolerance_type=tolerance_type, baseline=baseline,
        curve=curve, reference=reference, confidence_level=float(confidence_level),
        n_bootstrap=int(n_bootstrap), retrain_cost=retrain_cost,
        shortfall_cost=shortfall_cost, round_to=round_to, round_unit=round_unit,
        extrapolate=bool(extrapolate), calendar=calendar)
    with one_blas_thread():  # the analysis' small linear algebra (not the engine's)
        if ev.is_multi:
            return recommend_each(ev, settings, pooling=pooling,
                                  random_state=random_state, one=_recommend,
                                  to_age=_rounded_age)
        return _recommend(ev, settings, random_state=random_state).recommendation


def recommend_one(evaluation: OOTEvaluation, **kwargs: Any) -> RetrainRecommendation:
    """:func:`recommend_retrain_interval` on an evaluation of one metric on one segment
    (its messages name that function), typed as one recommendation; for callers that
    build such evaluations themselves (:func:`oot.compare_candidates`)."""
    rec = recommend_retrain_interval(evaluation, **kwargs)
    assert isinstance(rec, RetrainRecommendation)
    return rec


def _recommend(ev: OOTEvaluation, s: _Settings, *, random_state: Any,
               draws: ClusterDraws | None = None, segment: str | None = None,
               fitted: DegradationCurve | None = None, stacklevel: int = 5,
               ) -> _Recommended:
    """The steps on one evaluation of one metric: fit the curve, its threshold, the
    bootstrap CI (from ``draws`` when they are shared; ``random_state`` then seeds only
    the fresh reading), the status and the cost optimum; ``stacklevel`` points a
    :class:`RoundingWarning` at the user's call."""
    if fitted is None:
        fitted = fit_degradation(ev, curve=s.curve, baseline=s.baseline,
                                 reference=s.reference, calendar=s.calendar)
    m = ev.metric
    threshold = fitted.threshold(s.tolerance, s.tolerance_type)
    boot = bootstrap_crossing(ev, fitted, tolerance=s.tolerance,
                              tolerance_type=s.tolerance_type, n_bootstrap=s.n_bootstrap,
                              confidence_level=s.confidence_level,
                              random_state=random_state, draws=draws)
    kind = ev.time_kind
    found = _decide(fitted, boot, threshold, m, _oldest_age(ev), extrapolate=s.extrapolate)
    cost = _cost_optimum(fitted, s.retrain_cost, s.shortfall_cost, found)

    fresh = None
    ages = {"the interval": found.interval, "the CI's lower end": _finite(boot.low),
            "the CI's upper end": _finite(boot.high),
            "the extrapolated interval": found.extrapolated,
            "the cost-optimal interval": None if cost is None else cost.interval}
    if s.reference == "baseline" and _calendar_reported(fitted):
        # in fit units first: its ages are rounded (or not) with the others
        fresh = _fresh_reading(ev, s.curve, s.baseline, s.tolerance, s.tolerance_type,
                               s.n_bootstrap, s.confidence_level, random_state, m,
                               lambda x: x)
        fresh["agrees"] = _readings_agree(found, boot, fresh)
        if "interval" in fresh:
            ages.update({"the fresh reading's interval": fresh["interval"],
                         "the fresh reading's CI lower end": fresh["interval_ci"][0],
                         "the fresh reading's CI upper end": fresh["interval_ci"][1]})
    # every age is floored to round_to, or none is (one shorter than a unit)
    unit = _rounding(ages, s.round_unit, s.round_to, kind, stacklevel=stacklevel)

    def age(x: float | None) -> Any:  # rounded down to round_to, in the time's units
        return _to_age(_round_down(x, unit), kind)

    if fresh is not None and "interval" in fresh:
        fresh = {**fresh, "interval": age(fresh["interval"]),
                 "interval_ci": tuple(age(x) for x in fresh["interval_ci"])}
    rec = RetrainRecommendation(
        status=found.status,
        interval=age(found.interval),
        interval_ci=ConfidenceInterval(age(_finite(boot.low)), age(_finite(boot.high))),
        baseline=float(fitted.baseline),
        threshold=float(threshold),
        tolerance=float(s.tolerance),
        tolerance_type=s.tolerance_type,
        metric=ev.metric,
        curve=fitted,
        evaluation=ev,
        confidence_level=float(s.confidence_level),
        n_bootstrap=int(s.n_bootstrap),
        crossed_fraction=float(boot.crossed_fraction),
        max_age=_to_age(float(fitted.age_max), kind),
        extrapolated_interval=age(found.extrapolated),
        cost_optimal_interval=age(None if cost is None else cost.interval),
        cost_rate=None if cost is None else cost.cost_rate,
        cost_message="" if cost is None else cost.message,
        retrain_cost=None if s.retrain_cost is None else float(s.retrain_cost),
        shortfall_cost=None if s.shortfall_cost is None else float(s.shortfall_cost),
        round_to=None if unit is None else str(s.round_to),
        time_kind=kind,
        band_age=tuple(float(x) for x in boot.band_age),
        band_low=tuple(float(x) for x in boot.band_low),
        band_high=tuple(float(x) for x in boot.band_high),
        significant=found.significant,
        limited_by=found.limited_by,
        fresh=fresh,
        segment=segment,
    )
    return _Recommended(rec, fitted, boot)


# ------------------------------------------------------------------ the arguments
def _check_arguments(
    data: Any, estimator: Any, *, target: str | None, time: str | None, features: Any,
    metric: Any, tolerance: float, tolerance_type: str, baseline: str | float, curve: str,
    reference: str, confidence_level: float, n_bootstrap: int, retrain_cost: float | None,
    shortfall_cost: float | None, round_to: Any, extrapolate: bool, random_state: Any,
    segment: Any = None, max_segments: Any = DEFAULT_MAX_SEGMENTS, pooling: Any = "none",
) -> tuple[Metric, float | None]:
    """Check every argument first, whatever the branch; return the (first) metric and
    the rounding unit (in fit units: days for datetime time)."""
    _check_data(data, estimator, target=target, time=time, features=features,
                segment=segment)
    _check_settings(tolerance=tolerance, tolerance_type=tolerance_type, baseline=baseline,
                    curve=curve, reference=reference, confidence_level=confidence_level,
                    n_bootstrap=n_bootstrap, retrain_cost=retrain_cost,
                    shortfall_cost=shortfall_cost, extrapolate=extrapolate,
                    random_state=random_state)
    func = caller()
    is_eval = isinstance(data, OOTEvaluation)
    m = data.metric if is_eval else as_metrics(metric)[0][0]
    if is_eval and not isinstance(metric, str | Metric):
        raise InvalidParameterError(param_message("metric", func, "a metric name", metric))
    check_option(pooling, "pooling", func, ["none", "partial"])
    segmented = ("segment" in data.scores.columns) if is_eval else segment is not None
    if pooling == "partial" and not segmented:
        raise InvalidParameterError(param_message(
            "pooling", func, "'none' when there are no segments", pooling,
            "Partial pooling shrinks each segment's curve toward the whole population's; "
            "pass segment=COLUMN (or an evaluation with segments)."))
    if pooling == "partial" and is_eval and ALL_SEGMENTS not in data.segment_labels:
        raise InvalidParameterError(param_message(
            "pooling", func, "'none' for an evaluation without the whole population's "
            f"scores (segment {ALL_SEGMENTS!r})", pooling,
            "Partial pooling shrinks each segment's curve toward the whole population's; "
            f"add its rows (segment {ALL_SEGMENTS!r}) to the evaluation."))
    if isinstance(baseline, numbers.Real) and tolerance_type == "relative" and (
            float(baseline) == 0):
        raise InvalidParameterError(param_message(
            "baseline", func, "non-zero for tolerance_type='relative'", baseline,
            "Use tolerance_type='absolute' for a metric whose baseline is 0."))
    return m, _round_unit(round_to, _time_kind(data, time))


def _check_data(data: Any, estimator: Any, *, target: Any, time: Any, features: Any,
                segment: Any = None) -> None:
    """An evaluation alone, or a DataFrame with an estimator, a target and a time."""
    func = caller()
    if isinstance(data, OOTEvaluation):
        given = {k: v for k, v in dict(estimator=estimator, target=target, time=time,
                                       features=features, segment=segment).items()
                 if v is not None}
        if given:
            names = ", ".join(given)
            msg = (f"{func} was given an OOTEvaluation and also {names}, "
                "which are used only to run an evaluation on a DataFrame. Drop them, or "
                "pass the DataFrame instead of the evaluation.")
            raise InvalidParameterError(msg)
        return
    if not isinstance(data, pd.DataFrame):
        raise InvalidParameterError(param_message(
            "data", func, "a pandas DataFrame or an OOTEvaluation", type(data).__name__))
    if estimator is None:
        raise InvalidParameterError(param_message(
            "estimator", func, "a scikit-learn estimator when data is a DataFrame",
            estimator, "Pass e.g. LogisticRegression(), or pass an OOTEvaluation."))
    for name, v in (("target", target), ("time", time)):
        if v is None:
            raise InvalidParameterError(param_message(
                name, func, "a column name when data is a DataFrame", v))


def _check_settings(
    *, tolerance: float, tolerance_type: str, baseline: str | float, curve: str,
    reference: str, confidence_level: float, n_bootstrap: int, retrain_cost: float | None,
    shortfall_cost: float | None, extrapolate: bool, random_state: Any,
) -> None:
    """The analysis settings: tolerance, baseline, curve, interval, costs, seed."""
    func = caller()
    check_tolerance_settings(tolerance=tolerance, tolerance_type=tolerance_type,
                             baseline=baseline, curve=curve, reference=reference)
    check_scalar(confidence_level, "confidence_level", func, low=0, high=1,
                 low_inclusive=False, high_inclusive=False,
                 fix="Write 90% as confidence_level=0.9." if isinstance(
                     confidence_level, numbers.Real) and confidence_level >= 1 else None)
    check_scalar(n_bootstrap, "n_bootstrap", func, kind="int", low=1)
    # the CI's ends are the (1 -/+ level) / 2 quantiles of the replicates: each tail
    # needs at least one replicate, else the CI is a point that may miss the estimate
    need = math.ceil(round(2 / (1 - float(confidence_level)), 9))
    if n_bootstrap < need:
        raise InvalidParameterError(param_message(
            "n_bootstrap", func, f"at least {need} for confidence_level="
            f"{float(confidence_level):g}", n_bootstrap,
            f"The CI's ends are quantiles of the replicates, and with fewer than {need} "
            "a tail holds none of them. Use the default n_bootstrap=1000."))
    if (retrain_cost is None) != (shortfall_cost is None):
        missing = "shortfall_cost" if shortfall_cost is None else "retrain_cost"
        raise InvalidParameterError(param_message(
            missing, func, "given together with "
            + ("retrain_cost" if missing == "shortfall_cost" else "shortfall_cost"), None,
            "The cost-optimal cadence needs both costs; pass both or neither."))
    if retrain_cost is not None:
        check_scalar(retrain_cost, "retrain_cost", func, low=0, low_inclusive=False)
        check_scalar(shortfall_cost, "shortfall_cost", func, low=0, low_inclusive=False)
    if not isinstance(extrapolate, (bool, np.bool_)):
        raise InvalidParameterError(param_message("extrapolate", func, "a bool", extrapolate))
    check_random_state_param(random_state, func)


def _time_kind(data: OOTEvaluation | pd.DataFrame, time: Any) -> TimeKind:
    """The kind of time, before any evaluation has run (for ``round_to``)."""
    if isinstance(data, OOTEvaluation):
        return data.time_kind
    tcol = data[time] if time in data.columns else None
    return "numeric" if tcol is not None and tcol.dtype.kind in "iuf" else "datetime"


def _round_unit(round_to: Any, kind: TimeKind) -> float | None:
    """``round_to`` in fit units (days for datetime time), or None."""
    if round_to is None:
        return None
    func = caller()
    rl = parse_length(round_to, "round_to", kind)
    assert rl is not None
    if rl.fixed is None:
        raise InvalidParameterError(param_message(
            "round_to", func, "a fixed length like 'D', 'W' or '7D'", round_to,
            "Calendar offsets such as 'MS' have no fixed length; use '30D'."))
    return rl.fixed / 86_400e9 if kind == "datetime" else float(rl.fixed)


# ---------------------------------------------------------------------- the steps
@dataclass(frozen=True)
class _Found:
    """What the analysis says, in fit units (days for datetime time)."""

    status: str                 # see STATUS_RULE
    interval: float | None      # the crossing age; the oldest age when not reached
    extrapolated: float | None  # the extrapolated crossing, when asked for and found
    significant: bool = False   # the degradation is significant (the trend test)
    limited_by: str = ""        # "fresh": the fresh reference cut the ages


#: The one status rule (``docs/concepts.md`` quotes it; the tests check each branch).
STATUS_RULE = """\
1. "no_skill": the metric has a chance level (ROC AUC 0.5, balanced accuracy 0.5, R2 0)
   and the baseline is not clearly above it: the threshold is at or past chance, or the
   baseline is within two standard errors of the youngest windows' mean of chance. No
   interval, no threshold to act on.
2. "crossed": the fitted curve reaches the threshold within the evaluated ages (never
   before the youngest one unless the youngest windows are past it themselves).
   ``significant`` says whether the degradation is significant: the trend test's
   p < 0.05 (degrading), or the CI's upper end within the ages (so many replicates
   cross there); the sentence says so when it is not.
3. "not_reached": no crossing within the evaluated ages, and the trend test finds a
   significant degradation, or a sizeable share of the bootstrap replicates (enough to put the
   CI's lower end within the ages) crosses within them, or the fresh reference cut the
   ages below a crossing the fresh curve (degrading) reaches by the oldest age the
   evaluation has (``limited_by="fresh"``: "not reached within the ages fresh models
   allow"). The
   interval is the oldest evaluated age, a lower bound.
4. "no_degradation": otherwise: no crossing, no significant degradation, and the CI's
   lower end beyond the evaluated ages.
The safe interval is the CI's lower end whenever it lies within the evaluated ages (so
always for "crossed" and "not_reached", never for "no_degradation"), none for
"no_skill". A cost-optimal cadence is given for "crossed" and "not_reached" only.
"""


def _decide(fitted: DegradationCurve, boot: CrossingBootstrap, threshold: float,
            metric: Metric, oldest: float, *, extrapolate: bool) -> _Found:
    """The status by :data:`STATUS_RULE`, the interval, and what qualifies them."""
    kind = fitted.time_kind
    max_age = float(fitted.age_max)
    # significant: the trend test says so, or the bootstrap crosses within the ages in
    # so many replicates that the CI's upper end lies within them (a step, which a rank
    # trend test on few windows can miss)
    significant = bool((fitted.trend_pvalue < 0.05 and fitted.trend_direction == "degrading")
                       or math.isfinite(boot.high))
    if _no_skill(fitted, threshold, metric):
        return _Found("no_skill", None, None, significant)
    cross = fitted.crossing_age(threshold)
    if cross is not None:
        return _Found("crossed", float(_age_float(cross, kind)), None, significant)
    limited = ""
    if (fitted.reference == "fresh" and oldest > max_age * (1 + 1e-9)
            and fitted.trend_direction == "degrading"):
        far = fitted._crossing(threshold)
        if math.isfinite(far) and far <= oldest:
            limited = "fresh"
    if significant or math.isfinite(boot.low) or limited:
        extrapolated = None
        if extrapolate:
            far_age = fitted.crossing_age(threshold, extrapolate=True, max_age=10 * max_age)
            if far_age is not None:
                extrapolated = float(_age_float(far_age, kind))
        return _Found("not_reached", max_age, extrapolated, significant, limited)
    return _Found("no_degradation", None, None, significant)


def _no_skill(fitted: DegradationCurve, threshold: float, metric: Metric) -> bool:
    """Rule 1: the baseline is at chance, or the threshold is past it."""
    chance = getattr(metric, "chance", None)
    if chance is None:
        return False
    sgn = 1.0 if fitted.greater_is_better else -1.0
    n_first = max(int(fitted.n_anchors), 1)
    se = fitted.youngest_sd / math.sqrt(n_first) if math.isfinite(
        fitted.youngest_sd) else 0.0
    return bool(sgn * (threshold - chance) <= 0 or sgn * (fitted.baseline - chance) <= 2 * se)


def _oldest_age(ev: OOTEvaluation) -> float:
    """The oldest usable age of the evaluation (fit units), whatever the reference."""
    ages = np.asarray(age_to_float(ev.usable["age"], ev.time_kind), dtype=float)
    return float(ages.max()) if ages.size else 0.0


def _calendar_reported(fitted: DegradationCurve) -> bool:
    """Calendar effects were found and left in the scores (read as aging, if at all)."""
    cal = fitted.calendar_effects
    return bool(cal) and bool(set(cal.get("terms", ())) - set(cal.get("removed", ())))


def _readings_agree(found: _Found, boot: CrossingBootstrap, fresh: dict[str, Any]) -> bool:
    """The fresh reading gives the default one's decision: the same status and, when
    both cross, the fresh interval within the default's CI (fit units). The fresh
    reference compares every window with a fresh model's score on the same period, so
    a calendar effect shared by every anchor does not enter it: when the two agree,
    the calendar effect left in the default's scores does not change the decision."""
    if fresh.get("status") != found.status:
        return False
    if found.status != "crossed":
        return True
    iv = fresh.get("interval")
    return iv is not None and boot.low <= float(iv) <= boot.high


def _fresh_reading(ev: OOTEvaluation, curve: str, baseline: str | float, tolerance: float,
                   tolerance_type: str, n_bootstrap: int, confidence_level: float,
                   random_state: Any, metric: Metric, age: Callable[[float | None], Any]
                   ) -> dict[str, Any]:
    """The analysis with the fresh reference, beside the default one (as ages)."""
    try:
        fitted = fit_degradation(ev, curve=curve, baseline=baseline, reference="fresh")
        boot = bootstrap_crossing(ev, fitted, tolerance=tolerance,
                                  tolerance_type=tolerance_type, n_bootstrap=n_bootstrap,
                                  confidence_level=confidence_level,
                                  random_state=random_state)
    except (InvalidParameterError, NotEnoughWindowsError) as exc:
        return {"status": "unavailable", "reason": str(exc)}
    found = _decide(fitted, boot, fitted.threshold(tolerance, tolerance_type), metric,
                    _oldest_age(ev), extrapolate=False)
    return {"status": found.status, "interval": age(found.interval),
            "interval_ci": (age(_finite(boot.low)), age(_finite(boot.high))),
            "max_age": _to_age(float(fitted.age_max), ev.time_kind),
            "limited_by": found.limited_by, "significant": found.significant,
            "family": fitted.family}


def _cost_optimum(fitted: DegradationCurve, retrain_cost: float | None,
                  shortfall_cost: float | None, found: _Found) -> CostOptimum | None:
    """The age-replacement optimum on the fitted curve's shortfall (None without costs;
    none either without degradation: the shortfall of a flat curve is noise)."""
    if retrain_cost is None or shortfall_cost is None:
        return None
    if found.status not in ("crossed", "not_reached"):
        return CostOptimum(None, math.nan, fmt.no_cost_cadence(found.status))
    base = fitted.baseline
    sign = 1.0 if fitted.greater_is_better else -1.0

    def shortfall(a: np.ndarray) -> np.ndarray:
        return np.maximum(sign * (base - np.asarray(fitted.predict(a), dtype=float)), 0.0)

    return cost_optimal_interval(shortfall, retrain_cost=float(retrain_cost),
                                 shortfall_cost=float(shortfall_cost),
                                 max_age=float(fitted.age_max))


# ------------------------------------------------------------------ age helpers
def _rounded_age(x: float | None, s: _Settings, kind: TimeKind) -> Any:
    """An age in fit units as the result reports it: rounded down to ``round_to``, in
    the time's units (None stays None)."""
    return _to_age(_round_down(x, s.round_unit), kind)


def _finite(x: float) -> float | None:
    """A CI end: None when the bootstrap puts it beyond the evaluated ages."""
    x = float(x)
    return x if math.isfinite(x) else None


def _whole_units(x: float, unit: float) -> int:
    return math.floor(x / unit + 1e-9)


def _round_down(x: float | None, unit: float | None) -> float | None:
    if x is None or unit is None or not math.isfinite(x):
        return x
    return _whole_units(x, unit) * unit


def _rounding(ages: dict[str, float | None], unit: float | None, round_to: Any,
              kind: TimeKind, *, stacklevel: int = 5) -> float | None:
    """The unit every age is floored to; None (with a :class:`RoundingWarning`) when one
    of them is shorter than one unit: floored, it would be 0, which is no interval, and
    rounding only the others would mix rounded and unrounded ends."""
    if unit is None:
        return None
    short = {name: x for name, x in ages.items()
             if x is not None and math.isfinite(x) and x > 0 and _whole_units(x, unit) == 0}
    if not short:
        return unit
    name, x = min(short.items(), key=lambda item: item[1])
    length = parse_length(round_to, "round_to", kind)
    assert length is not None
    warn(f"round_to={length.text!r} is longer than {name} "
         f"({format_age(float_to_age(x, kind), kind)}): floored, it would be 0, which is "
         "no retraining interval, so no age is rounded (the result's round_to is None). "
         "Use a shorter round_to to round them all.", RoundingWarning,
         stacklevel=stacklevel)
    return None


def _to_age(x: float | None, time_kind: TimeKind) -> Any:
    if x is None or not math.isfinite(x):
        return None
    return float_to_age(x, time_kind)


def _age_float(age: Any, kind: TimeKind) -> float:
    return float(age_to_float(age, kind))
