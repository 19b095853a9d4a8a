"""The recommendation: :func:`recommend_retrain_interval`.

It runs (or takes) an out-of-time evaluation, fits the degradation curve, finds the
smallest model age at which the fitted curve reaches the tolerance threshold,
bootstraps that age over calendar periods for a confidence interval, and (given costs)
solves the age-replacement cost optimum (:mod:`oot.recommend._cost`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from oot._common import ConfidenceInterval
from oot._time import TimeKind, age_to_float, float_to_age
from oot._validation import (
    InvalidParameterError,
    check_option,
    check_random_state_param,
    check_scalar,
    param_message,
)
from oot.degradation import bootstrap_crossing, fit_degradation
from oot.evaluate import OOTEvaluation
from oot.evaluate._engine import _evaluate_out_of_time
from oot.metrics import Metric, get_metric
from oot.recommend._cost import cost_optimal_interval
from oot.recommend._result import RetrainRecommendation
from oot.windows import parse_length

__all__ = ["recommend_retrain_interval"]

_FUNC = "recommend_retrain_interval"
_CURVES = ["auto", "linear", "quadratic", "exponential", "power", "logarithmic", "hinge",
           "isotonic"]


# ------------------------------------------------------------------ age helpers
def _round_down(x: float | None, unit: float | None) -> float | None:
    if x is None or unit is None or not math.isfinite(x):
        return x
    r = math.floor(x / unit + 1e-9) * unit
    return r if r > 0 else x


def _to_age(x: float | None, time_kind: TimeKind) -> Any:
    if x is None or not math.isfinite(x):
        return None
    return float_to_age(x, time_kind)


def recommend_retrain_interval(
    data: pd.DataFrame | OOTEvaluation,
    estimator: Any = None,
    *,
    target: str | None = None,
    time: str | None = None,
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
    tolerance: float = 0.05,
    tolerance_type: str = "relative",
    baseline: str | float = "curve",
    curve: str = "auto",
    reference: str = "baseline",
    confidence_level: float = 0.9,
    n_bootstrap: int = 1000,
    retrain_cost: float | None = None,
    shortfall_cost: float | None = None,
    round_to: Any = None,
    extrapolate: bool = False,
    pos_label: Any = None,
    on_error: str = "raise",
    random_state: Any = None,
    n_jobs: int | None = None,
    progress: bool = False,
) -> RetrainRecommendation:
    """Recommend how often to retrain: the model age at which the metric drops past tolerance.

    Parameters
    ----------
    data : DataFrame or OOTEvaluation
        Rows with a time column, a target and features (then ``estimator``, ``target``
        and ``time`` are required and the out-of-time evaluation is run), or a ready
        :class:`OOTEvaluation`.
    estimator : estimator object, default=None
        Any scikit-learn estimator or Pipeline (cloned per anchor).
    target, time, features, metric, train_window, eval_window, gap, horizon, anchors, \
anchor_step, expanding, min_window_size, pos_label, on_error, n_jobs, progress
        As in :func:`oot.evaluate_out_of_time`.
    tolerance : float, default=0.05
        How far the metric may degrade: a fraction of the baseline for
        ``tolerance_type="relative"`` (in (0, 1)), or metric units for ``"absolute"``.
    tolerance_type : {"relative", "absolute"}, default="relative"
    baseline : {"curve", "first_window"} or float, default="curve"
        The reference level: the fitted curve at age 0, the mean first-window score, or
        a number.
    curve : str, default="auto"
        Curve family: "linear", "quadratic", "exponential", "power", "logarithmic",
        "hinge", "isotonic", or "auto" (AICc among the parametric ones).
    reference : {"baseline", "fresh"}, default="baseline"
        "fresh" compares each window with the youngest model's score on the same window,
        so a hard season is not mistaken for aging (needs anchors one window apart).
    confidence_level : float, default=0.9
        Level of the interval's confidence interval.
    n_bootstrap : int, default=1000
        Bootstrap replicates (calendar periods resampled as clusters).
    retrain_cost, shortfall_cost : float, default=None
        Cost of one retraining and cost per unit of metric shortfall per day (per unit of
        numeric time); both or neither. Gives :attr:`cost_optimal_interval`.
    round_to : str, Timedelta or number, default=None
        Floor the reported intervals to whole units (``"D"``, ``"W"``, ``"7D"``).
    extrapolate : bool, default=False
        When the threshold is not reached within the evaluated ages, also extrapolate the
        fitted curve (up to 10x the oldest age) and report that estimate, with an
        :class:`ExtrapolationWarning`.
    random_state : int, Generator or None, default=None
        Seeds the estimator, the bootstrap and any bootstrap standard errors.

    Returns
    -------
    RetrainRecommendation

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
    """
    # ---- check every argument first, whatever the branch
    given_ev = data if isinstance(data, OOTEvaluation) else None
    frame = data if isinstance(data, pd.DataFrame) else None
    is_eval = given_ev is not None
    if given_ev is None and frame is None:
        raise InvalidParameterError(param_message(
            "data", _FUNC, "a pandas DataFrame or an OOTEvaluation", type(data).__name__))
    if is_eval:
        given = {k: v for k, v in dict(estimator=estimator, target=target, time=time,
                                       features=features).items() if v is not None}
        if given:
            names = ", ".join(given)
            msg = (f"recommend_retrain_interval was given an OOTEvaluation and also {names}, "
                "which are used only to run an evaluation on a DataFrame. Drop them, or "
                "pass the DataFrame instead of the evaluation.")
            raise InvalidParameterError(msg)
    else:
        if estimator is None:
            raise InvalidParameterError(param_message(
                "estimator", _FUNC, "a scikit-learn estimator when data is a DataFrame",
                estimator, "Pass e.g. LogisticRegression(), or pass an OOTEvaluation."))
        for name, v in (("target", target), ("time", time)):
            if v is None:
                raise InvalidParameterError(param_message(
                    name, _FUNC, "a column name when data is a DataFrame", v))
    check_option(tolerance_type, "tolerance_type", _FUNC, ["relative", "absolute"])
    if tolerance_type == "relative":
        check_scalar(tolerance, "tolerance", _FUNC, low=0, high=1, low_inclusive=False,
                     high_inclusive=False, extra=" for tolerance_type='relative'",
                     fix="Write 5% as tolerance=0.05." if isinstance(
                         tolerance, numbers.Real) and tolerance >= 1 else None)
    else:
        check_scalar(tolerance, "tolerance", _FUNC, low=0, low_inclusive=False,
                     extra=" for tolerance_type='absolute' (in metric units)")
    if isinstance(baseline, str):
        check_option(baseline, "baseline", _FUNC, ["curve", "first_window"])
    else:
        check_scalar(baseline, "baseline", _FUNC, extra=" or one of 'curve', 'first_window'")
    check_option(curve, "curve", _FUNC, _CURVES)
    check_option(reference, "reference", _FUNC, ["baseline", "fresh"])
    check_scalar(confidence_level, "confidence_level", _FUNC, low=0, high=1,
                 low_inclusive=False, high_inclusive=False,
                 fix="Write 90% as confidence_level=0.9." if isinstance(
                     confidence_level, numbers.Real) and confidence_level >= 1 else None)
    check_scalar(n_bootstrap, "n_bootstrap", _FUNC, kind="int", low=1)
    if (retrain_cost is None) != (shortfall_cost is None):
        missing = "shortfall_cost" if shortfall_cost is None else "retrain_cost"
        raise InvalidParameterError(param_message(
            missing, _FUNC, "given together with "
            + ("retrain_cost" if missing == "shortfall_cost" else "shortfall_cost"), None,
            "The cost-optimal cadence needs both costs; pass both or neither."))
    if retrain_cost is not None:
        check_scalar(retrain_cost, "retrain_cost", _FUNC, low=0, low_inclusive=False)
        check_scalar(shortfall_cost, "shortfall_cost", _FUNC, low=0, low_inclusive=False)
    if not isinstance(extrapolate, (bool, np.bool_)):
        raise InvalidParameterError(param_message("extrapolate", _FUNC, "a bool", extrapolate))
    check_random_state_param(random_state, _FUNC)
    m = given_ev.metric if given_ev is not None else get_metric(metric, func=_FUNC)
    if is_eval and not isinstance(metric, str | Metric):
        raise InvalidParameterError(param_message("metric", _FUNC, "a metric name", metric))
    if isinstance(baseline, numbers.Real) and tolerance_type == "relative" and (
            float(baseline) == 0):
        raise InvalidParameterError(param_message(
            "baseline", _FUNC, "non-zero for tolerance_type='relative'", baseline,
            "Use tolerance_type='absolute' for a metric whose baseline is 0."))

    kind: TimeKind
    if given_ev is not None:
        kind = given_ev.time_kind
    else:
        assert frame is not None
        tcol = frame[time] if time in frame.columns else None
        kind = "numeric" if tcol is not None and tcol.dtype.kind in "iuf" else "datetime"
    round_unit: float | None = None
    if round_to is not None:
        rl = parse_length(round_to, "round_to", _FUNC, kind)
        assert rl is not None
        if rl.fixed is None:
            raise InvalidParameterError(param_message(
                "round_to", _FUNC, "a fixed length like 'D', 'W' or '7D'", round_to,
                "Calendar offsets such as 'MS' have no fixed length; use '30D'."))
        round_unit = rl.fixed / 86_400e9 if kind == "datetime" else rl.fixed

    # ---- evaluation
    if given_ev is not None:
        ev = given_ev
    else:
        assert frame is not None
        assert target is not None
        assert time is not None
        ev = _evaluate_out_of_time(
            frame, estimator, func=_FUNC, target=target, time=time, features=features,
            metric=m, train_window=train_window, eval_window=eval_window, gap=gap,
            horizon=horizon, anchors=anchors, anchor_step=anchor_step, expanding=expanding,
            min_window_size=min_window_size, pos_label=pos_label, on_error=on_error,
            n_jobs=n_jobs, random_state=random_state, progress=progress)
    kind = ev.time_kind

    # ---- curve, threshold, crossing
    fitted = fit_degradation(ev, curve=curve, baseline=baseline, reference=reference)
    threshold = fitted.threshold(tolerance, tolerance_type)
    max_age = float(fitted.age_max)
    cross = fitted.crossing_age(threshold)
    cross_f = None if cross is None else float(_age_float(cross, kind))
    boot = bootstrap_crossing(ev, fitted, tolerance=tolerance, tolerance_type=tolerance_type,
                              n_bootstrap=n_bootstrap, confidence_level=confidence_level,
                              random_state=random_state)
    degrading = fitted.trend_pvalue < 0.05 and fitted.trend_direction == "degrading"
    extrapolated: float | None = None
    if cross_f is not None:
        status = "crossed"
        interval_f: float | None = cross_f
    elif degrading:
        status = "not_reached"
        interval_f = max_age
        if extrapolate:
            far = fitted.crossing_age(threshold, extrapolate=True, max_age=10 * max_age)
            if far is not None:
                extrapolated = float(_age_float(far, kind))
    else:
        status = "no_degradation"
        interval_f = None
    low = float(boot.low)
    high = float(boot.high)

    # ---- cost optimum
    cost_T: float | None = None
    cost_rate: float | None = None
    cost_msg = ""
    if retrain_cost is not None and shortfall_cost is not None:
        base = fitted.baseline
        sign = 1.0 if fitted.greater_is_better else -1.0

        def shortfall(a: np.ndarray) -> np.ndarray:
            return np.maximum(sign * (base - np.asarray(fitted.predict(a), dtype=float)), 0.0)

        opt = cost_optimal_interval(shortfall, retrain_cost=float(retrain_cost),
                                    shortfall_cost=float(shortfall_cost), max_age=max_age)
        cost_T, cost_rate, cost_msg = opt.interval, opt.cost_rate, opt.message

    # ---- rounding and packaging
    interval_f = _round_down(interval_f, round_unit)
    low_r = _round_down(low, round_unit) if math.isfinite(low) else None
    high_r = _round_down(high, round_unit) if math.isfinite(high) else None
    cost_T = _round_down(cost_T, round_unit)
    extrapolated = _round_down(extrapolated, round_unit)
    return RetrainRecommendation(
        status=status,
        interval=_to_age(interval_f, kind),
        interval_ci=ConfidenceInterval(_to_age(low_r, kind), _to_age(high_r, kind)),
        baseline=float(fitted.baseline),
        threshold=float(threshold),
        tolerance=float(tolerance),
        tolerance_type=tolerance_type,
        metric=m,
        curve=fitted,
        evaluation=ev,
        confidence_level=float(confidence_level),
        n_bootstrap=int(n_bootstrap),
        crossed_fraction=float(boot.crossed_fraction),
        max_age=_to_age(max_age, kind),
        extrapolated_interval=_to_age(extrapolated, kind),
        cost_optimal_interval=_to_age(cost_T, kind),
        cost_rate=cost_rate,
        cost_message=cost_msg,
        retrain_cost=None if retrain_cost is None else float(retrain_cost),
        shortfall_cost=None if shortfall_cost is None else float(shortfall_cost),
        round_to=None if round_to is None else str(round_to),
        time_kind=kind,
        band_age=tuple(float(x) for x in boot.band_age),
        band_low=tuple(float(x) for x in boot.band_low),
        band_high=tuple(float(x) for x in boot.band_high),
    )


def _age_float(age: Any, kind: TimeKind) -> float:
    return float(age_to_float(age, kind))
