"""Score-level generator: an evaluation table drawn around a known degradation curve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._time import TimeKind
from .._validation import (
    InvalidParameterError,
    as_generator,
    caller,
    check_option,
    check_scalar,
    entry_point,
    param_message,
)
from ._common import (
    FloatArray,
    ages_to_days,
    check_start,
    check_time_kind,
    check_tolerance,
    threshold,
    to_days,
)

if TYPE_CHECKING:
    from ..evaluate import OOTEvaluation

__all__ = ["DegradationScores", "make_degradation_scores"]

_SHAPES = ("linear", "exponential", "hinge", "quadratic", "none")


@dataclass(frozen=True, eq=False, repr=False)
class DegradationScores:
    """An evaluation table with a known true degradation curve; made by
    :func:`make_degradation_scores`.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per anchor x window, in anchor then window order: ``anchor`` (int,
        1-based), ``cutoff``, ``window`` (int, 1-based), ``window_start``, ``window_end``,
        ``age`` (window midpoint minus cutoff), ``n`` (int), ``score``, ``se``, ``status``
        (``"ok"``) and ``partial`` (``False``). Times are Timestamps and ages Timedeltas
        for datetime time, floats for numeric time.
    shape : str
        The family of the true curve.
    baseline, slope, curvature, timescale, breakpoint : float
        Its parameters (ages in days, or time units for numeric time).
    greater_is_better : bool
        The direction of the score.
    window : Timedelta or float
        Length of each evaluation window, and the spacing of the anchors.
    time_kind : {"datetime", "numeric"}
    anchor_effects : ndarray of shape (n_anchors,)
        Each anchor's offset.
    period_effects : ndarray of shape (n_anchors + n_windows - 1,)
        The noise of each calendar window, shared by every anchor that scores it; row
        (anchor ``j``, window ``k``) covers calendar window ``j + k - 2`` (0-based).
    se, anchor_sd, period_sd : float
        The noise levels.
    random_state : int, Generator, RandomState or None
        The seed used.

    Examples
    --------
    >>> from oot.datasets import make_degradation_scores
    >>> sim = make_degradation_scores(shape="exponential", n_anchors=4, n_windows=6,
    ...                               random_state=0)
    >>> sim.scores.shape
    (24, 11)
    >>> sim.true_score(["0D", "365D"]).round(4)
    array([0.8   , 0.7307])
    >>> sim.true_crossing_age(0.05).round("D")
    Timedelta('166 days 00:00:00')
    """

    scores: pd.DataFrame
    shape: str
    baseline: float
    slope: float
    curvature: float
    timescale: float
    breakpoint: float
    greater_is_better: bool
    window: pd.Timedelta | float
    time_kind: TimeKind
    anchor_effects: FloatArray
    period_effects: FloatArray
    se: float
    anchor_sd: float
    period_sd: float
    random_state: Any = field(default=None)

    def _curve(self, a: FloatArray) -> FloatArray:
        b, s = self.baseline, self.slope
        out: FloatArray
        if self.shape == "linear":
            out = b + s * a
        elif self.shape == "quadratic":
            out = b + s * a + self.curvature * a**2
        elif self.shape == "exponential":
            out = b + s * self.timescale * -np.expm1(-a / self.timescale)
        elif self.shape == "hinge":
            out = b + s * np.maximum(a - self.breakpoint, 0.0)
        else:
            out = np.full_like(a, b)
        return out

    @entry_point("DegradationScores.true_score")
    def true_score(self, age: Any) -> Any:
        """The true (expected) score at ``age``: the curve the scores scatter around.

        Parameters
        ----------
        age : Timedelta, str, float or array-like
            Model age(s): Timedeltas or strings such as ``"30D"``, or numbers of days (time
            units for numeric time).

        Returns
        -------
        float or ndarray of float

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> sim = make_degradation_scores(baseline=0.8, slope=-0.001, random_state=0)
        >>> sim.true_score("100D")
        0.7
        """
        days, scalar = ages_to_days(age, self.time_kind)
        vals = self._curve(np.atleast_1d(days).astype(float)).reshape(np.shape(days))
        return float(vals) if scalar else vals

    @entry_point("DegradationScores.true_threshold")
    def true_threshold(self, tolerance: float, *, tolerance_type: str = "relative") -> float:
        """The score at which a model is retrained, from the true baseline (score at age 0).

        ``baseline * (1 -/+ tolerance)`` (relative) or ``baseline -/+ tolerance``
        (absolute), minus for a higher-is-better score.

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> make_degradation_scores(baseline=0.8, random_state=0).true_threshold(0.05)
        0.76
        """
        check_tolerance(tolerance, tolerance_type)
        return threshold(self.baseline, float(tolerance), str(tolerance_type),
                         self.greater_is_better)

    def true_crossing_age(
        self, tolerance: float, *, tolerance_type: str = "relative"
    ) -> pd.Timedelta | float | None:
        """The exact age at which the true curve reaches :meth:`true_threshold`.

        Parameters
        ----------
        tolerance : float
            In (0, 1) for ``tolerance_type="relative"``, positive for ``"absolute"``.
        tolerance_type : {"relative", "absolute"}, default="relative"

        Returns
        -------
        Timedelta, float or None
            The smallest age >= 0 at which the curve reaches the threshold (closed form for
            every shape), a Timedelta for datetime time; ``None`` if it never does (shape
            ``"none"``, a slope in the improving direction, or an exponential whose
            asymptote stays within tolerance).

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> sim = make_degradation_scores(shape="hinge", baseline=0.8, slope=-0.001,
        ...                               breakpoint=60, random_state=0)
        >>> sim.true_crossing_age(0.05)   # 60 days flat, then 0.04 / 0.001 = 40 days
        Timedelta('100 days 00:00:00')
        """
        level = self.true_threshold(tolerance, tolerance_type=tolerance_type)
        delta = level - self.baseline  # the change in score that triggers retraining
        s = self.slope
        age: float | None = None
        if self.shape == "quadratic":
            age = self._quadratic_root(delta)
        elif self.shape == "none" or s == 0 or np.sign(s) != np.sign(delta):
            age = None  # flat, or improving
        elif self.shape == "linear":
            age = delta / s
        elif self.shape == "hinge":
            age = self.breakpoint + delta / s
        else:  # exponential
            frac = delta / (s * self.timescale)
            age = None if frac >= 1 else float(-self.timescale * np.log1p(-frac))
        if age is None:
            return None
        if self.time_kind == "numeric":
            return float(age)
        return pd.Timedelta(days=float(age)).round("us")

    def _quadratic_root(self, delta: float) -> float | None:
        """Smallest root >= 0 of ``curvature a^2 + slope a - delta = 0``, or None."""
        q, s = self.curvature, self.slope
        if q == 0:
            return delta / s if s != 0 and np.sign(s) == np.sign(delta) else None
        disc = s * s + 4 * q * delta
        if disc < 0:
            return None
        tmp = -0.5 * (s + np.copysign(np.sqrt(disc), s))  # stable pair of roots
        r1 = tmp / q
        r2 = -delta / tmp if tmp != 0 else r1
        roots = [float(r) for r in (r1, r2) if r >= 0]
        return min(roots) if roots else None

    def to_evaluation(self, metric: Any = None) -> OOTEvaluation:
        """The table as an :class:`oot.OOTEvaluation`, ready for the curve fits.

        Parameters
        ----------
        metric : str or Metric, default=None
            The metric the scores stand for; its direction should match
            ``greater_is_better``. ``None``: ``"roc_auc"`` if higher is better, else
            ``"rmse"``.

        Returns
        -------
        OOTEvaluation

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> ev = make_degradation_scores(n_anchors=2, n_windows=3, random_state=0).to_evaluation()
        >>> ev.n_usable, ev.n_anchors
        (6, 2)
        """
        from ..evaluate import OOTEvaluation

        if metric is None:
            metric = "roc_auc" if self.greater_is_better else "rmse"
        return OOTEvaluation.from_frame(self.scores, metric=metric, time_kind=self.time_kind)

    def __repr__(self) -> str:
        return (
            f"DegradationScores(shape={self.shape!r}, n_anchors={len(self.anchor_effects)}, "
            f"n_windows={len(self.scores) // max(len(self.anchor_effects), 1)}, "
            f"window={self.window!r}, baseline={self.baseline:g}, slope={self.slope:g})"
        )


@entry_point("make_degradation_scores")
def make_degradation_scores(
    *,
    n_anchors: int = 6,
    n_windows: int = 12,
    window: Any = None,
    shape: str = "linear",
    baseline: float = 0.8,
    slope: float = -0.0003,
    curvature: float = -5e-7,
    timescale: Any = 365.0,
    breakpoint: Any = 90.0,
    greater_is_better: bool = True,
    n_per_window: int = 500,
    se: float = 0.01,
    anchor_sd: float = 0.005,
    period_sd: float = 0.01,
    start: Any = None,
    time_kind: str = "datetime",
    random_state: Any = None,
) -> DegradationScores:
    """Simulate an out-of-time evaluation table around a known degradation curve.

    For calibration studies of the curve fits and the interval's confidence interval: the
    table has the shape :func:`oot.evaluate_out_of_time` produces and the noise structure
    of real data, and the true curve and crossing age are known exactly.

    Anchor ``j = 1..n_anchors`` has cutoff ``start + (j - 1) * window`` (anchors one window
    apart) and windows ``k = 1..n_windows`` covering
    ``[cutoff + (k-1) window, cutoff + k window)``, of age ``(k - 1/2) window``. Its score is

    ``score[j, k] = f((k - 1/2) window) + A_j + P[j + k - 1] + S[j, k]``

    where ``f`` is the true curve, ``A_j ~ N(0, anchor_sd^2)`` the anchor's offset,
    ``P ~ N(0, period_sd^2)`` the noise of the calendar window, shared by every anchor that
    scores it, and ``S[j, k] ~ N(0, se[j, k]^2)`` independent sampling noise. Each window
    has ``n ~ Poisson(n_per_window)`` rows (at least 2) and ``se[j, k] =
    se * sqrt(n_per_window / n)``, the value in the ``se`` column.

    Parameters
    ----------
    n_anchors : int, default=6
        Number of anchors (training cutoffs).
    n_windows : int, default=12
        Evaluation windows per anchor.
    window : Timedelta, str, float or None, default=None
        Window length, and spacing of the anchors (a number of days, or time units for
        numeric time); ``None``: 30 days (30 time units).
    shape : {"linear", "exponential", "hinge", "quadratic", "none"}, default="linear"
        The true curve ``f(a)``, ``a`` the age in days (time units):

        - ``"linear"``: ``baseline + slope * a``;
        - ``"exponential"``: ``baseline + slope * timescale * (1 - exp(-a / timescale))``,
          starting with ``slope`` and levelling off at ``baseline + slope * timescale``;
        - ``"hinge"``: ``baseline + slope * max(a - breakpoint, 0)``, flat then linear;
        - ``"quadratic"``: ``baseline + slope * a + curvature * a^2``;
        - ``"none"``: ``baseline``, no degradation.
    baseline : float, default=0.8
        ``f(0)``, the true score of a fresh model.
    slope : float, default=-0.0003
        Change of score per day of age (per time unit) at age 0 (after ``breakpoint`` for
        ``"hinge"``). Negative for a higher-is-better score that degrades.
    curvature : float, default=-5e-7
        Quadratic coefficient, per day squared (``"quadratic"`` only).
    timescale : Timedelta, str or float, default=365.0
        Time constant of ``"exponential"`` (days, or time units for numeric time).
    breakpoint : Timedelta, str or float, default=90.0
        Age at which ``"hinge"`` starts to degrade (days, or time units).
    greater_is_better : bool, default=True
        Direction of the score, for the threshold: retrain when the score falls to
        ``baseline * (1 - tolerance)`` (or rises to ``baseline * (1 + tolerance)``).
    n_per_window : int, default=500
        Mean rows per window.
    se : float, default=0.01
        Standard error of a window of ``n_per_window`` rows.
    anchor_sd : float, default=0.005
        Standard deviation of the anchor offsets.
    period_sd : float, default=0.01
        Standard deviation of the calendar-window noise shared across anchors.
    start : str, Timestamp, float or None, default=None
        Cutoff of the first anchor: ``"2020-01-01"`` for datetime time, ``0.0`` for numeric.
    time_kind : {"datetime", "numeric"}, default="datetime"
        Timestamps and Timedelta ages, or floats.
    random_state : int, Generator, RandomState or None, default=None
        Seed for reproducible output.

    Returns
    -------
    DegradationScores
        ``.scores`` (the table), ``.true_score(age)``, ``.true_threshold(tolerance)``,
        ``.true_crossing_age(tolerance)`` and ``.to_evaluation()``.

    Raises
    ------
    InvalidParameterError
        For an argument of the wrong type or out of range.

    See Also
    --------
    make_drifting_regression, make_drifting_classification

    Examples
    --------
    >>> from oot.datasets import make_degradation_scores
    >>> sim = make_degradation_scores(n_anchors=3, n_windows=4, random_state=0)
    >>> sim.scores[["anchor", "window", "cutoff", "age", "n", "status"]].head(5)
       anchor  window     cutoff     age    n status
    0       1       1 2020-01-01 15 days  ...     ok
    1       1       2 2020-01-01 45 days  ...     ok
    2       1       3 2020-01-01 75 days  ...     ok
    3       1       4 2020-01-01 105 days ...     ok
    4       2       1 2020-01-31 15 days  ...     ok
    >>> sim.true_score("45D")   # 0.8 - 0.0003 * 45
    0.7865
    >>> sim.true_crossing_age(0.05)   # 0.04 / 0.0003 days
    Timedelta('133 days 08:00:00')
    """
    func = caller()
    check_scalar(n_anchors, "n_anchors", func, kind="int", low=1)
    check_scalar(n_windows, "n_windows", func, kind="int", low=1)
    kind = check_time_kind(time_kind)
    width = 30.0 if window is None else to_days(window, "window", kind)
    check_option(shape, "shape", func, list(_SHAPES))
    check_scalar(baseline, "baseline", func)
    check_scalar(slope, "slope", func)
    check_scalar(curvature, "curvature", func)
    tau = to_days(timescale, "timescale", kind)
    brk = to_days(breakpoint, "breakpoint", kind, allow_zero=True)
    if not isinstance(greater_is_better, (bool, np.bool_)):
        raise InvalidParameterError(
            param_message("greater_is_better", None, "a bool", greater_is_better)
        )
    check_scalar(n_per_window, "n_per_window", func, kind="int", low=2)
    check_scalar(se, "se", func, low=0)
    check_scalar(anchor_sd, "anchor_sd", func, low=0)
    check_scalar(period_sd, "period_sd", func, low=0)
    origin = check_start(start, kind)
    rng = as_generator(random_state)

    A, K = int(n_anchors), int(n_windows)
    anchor_effects = anchor_sd * rng.standard_normal(A)
    period_effects = period_sd * rng.standard_normal(A + K - 1)
    j = np.repeat(np.arange(A), K)  # 0-based
    k = np.tile(np.arange(K), A)  # 0-based
    n = np.maximum(rng.poisson(n_per_window, size=A * K), 2).astype(np.int64)
    se_row = float(se) * np.sqrt(n_per_window / n)
    age_days: FloatArray = ((k + 0.5) * width).astype(np.float64)
    result = DegradationScores(
        scores=pd.DataFrame(), shape=str(shape), baseline=float(baseline), slope=float(slope),
        curvature=float(curvature), timescale=tau, breakpoint=brk,
        greater_is_better=bool(greater_is_better),
        window=float(width) if kind == "numeric" else pd.Timedelta(days=width),
        time_kind=kind, anchor_effects=anchor_effects, period_effects=period_effects,
        se=float(se), anchor_sd=float(anchor_sd), period_sd=float(period_sd),
        random_state=random_state,
    )
    score = (
        result._curve(age_days)
        + anchor_effects[j]
        + period_effects[j + k]
        + se_row * rng.standard_normal(A * K)
    )
    cut_days: FloatArray = (j * width).astype(np.float64)
    start_days: FloatArray = cut_days + k * width

    def at(days: FloatArray) -> Any:
        if kind == "numeric":
            assert isinstance(origin, float)
            return origin + days
        assert isinstance(origin, pd.Timestamp)
        return (origin + pd.to_timedelta(days, unit="D")).astype("datetime64[ns]")

    age: Any = (age_days if kind == "numeric"
                else pd.to_timedelta(age_days, unit="D").astype("timedelta64[ns]"))
    frame = pd.DataFrame({
        "anchor": (j + 1).astype(np.int64),
        "cutoff": at(cut_days),
        "window": (k + 1).astype(np.int64),
        "window_start": at(start_days),
        "window_end": at(start_days + width),
        "age": age,
        "n": n,
        "score": score,
        "se": se_row,
        "status": np.full(A * K, "ok", dtype=object),
        "partial": np.zeros(A * K, dtype=bool),
    })
    object.__setattr__(result, "scores", frame)
    return result
