"""Partial pooling of segment curves: empirical-Bayes shrinkage toward the population.

Each segment ``s`` has its own fitted curve ``level_s + f_s(a)`` and the whole
population a pooled one, ``level + f(a)``. The segments' shapes scatter around the
population's: the drop ``D_s = f_s(a0)`` at a common age ``a0`` (the oldest age every
segment reaches) is estimated with sampling variance ``v_s`` (from the segment's own
bootstrap replicates) around a true drop that differs from the population's ``D`` by a
between-segment spread ``tau2``, estimated by Paule-Mandel around ``D``
(:func:`shrinkage_weights`; with the segments' row shares, allowing for the population
being their weighted mean). Segment ``s`` then keeps the weight
``1 - B_s = tau2 / (tau2 + v_s)`` on its own shape and gives ``B_s`` to the population's:

    f~_s(a) = (1 - B_s) f_s(a) + B_s f(a)

A small segment (large ``v_s``) borrows most of its shape; a large one keeps its own.
Each segment keeps its own level and baseline, so its threshold is unchanged. The
interval comes from the same replicates (the same calendar draws): replicate ``r``'s
curve is the pooled curve moved by the segment's level error, by its shape error scaled
by ``sqrt(1 - B_s)`` (the posterior spread ``(1 - B_s) v_s`` of the normal model) and
by ``B_s`` times the population's shape error, with ``B_s`` held at its estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from oot.degradation._bootstrap import CrossingBootstrap
from oot.degradation._curve import DegradationCurve, threshold_rule
from oot.degradation._data import FloatArray

__all__ = ["ShrunkCurve", "shrinkage_weights", "shrink_curve"]

# points of the grid the point estimate's crossing is found on
_FINE = 2001


@dataclass(frozen=True, eq=False)
class ShrunkCurve:
    """A segment's partially pooled curve and its crossing ages.

    ``weight`` is ``B_s``, the share of the population's shape; ``values`` the pooled
    mean curve on ``grid`` (the segment's bootstrap band ages); ``crossing`` the
    crossing age of the pooled curve (inf when it does not cross by the segment's
    oldest age); ``samples`` each replicate's crossing age; ``band_low`` /
    ``band_high`` the pointwise band of the replicate curves.
    """

    weight: float
    grid: FloatArray
    values: FloatArray
    crossing: float
    samples: FloatArray
    band_low: FloatArray
    band_high: FloatArray


def _at(curves: FloatArray, grid: FloatArray, ages: FloatArray) -> FloatArray:
    """Each replicate curve (rows of ``curves`` on ``grid``) linearly interpolated at
    ``ages`` (clamped to the grid): shape ``(R, len(ages))``."""
    x = np.clip(np.asarray(ages, dtype=float), grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, len(grid) - 2)
    span = grid[i + 1] - grid[i]
    t = np.where(span > 0, (x - grid[i]) / np.where(span > 0, span, 1.0), 0.0)
    return np.asarray(curves[:, i] * (1 - t) + curves[:, i + 1] * t, dtype=float)


def segment_drop(curve: DegradationCurve, boot: CrossingBootstrap, a0: float,
                 ) -> tuple[float, float]:
    """The segment's fitted drop ``f(a0)`` and its bootstrap variance."""
    drop = float(curve.predict(a0) - curve.predict(0.0))
    reps = _at(boot.curves, boot.band_age, np.array([0.0, a0]))
    d = reps[:, 1] - reps[:, 0]
    d = d[np.isfinite(d)]
    var = float(np.var(d, ddof=1)) if len(d) > 1 else math.inf
    return drop, var


def shrinkage_weights(drops: FloatArray, variances: FloatArray, centre: float,
                      shares: FloatArray | None = None) -> tuple[FloatArray, float]:
    """``B_s = v_s / (v_s + tau2)`` and the Paule-Mandel ``tau2`` around ``centre``.

    ``tau2`` is the root of ``sum_s (D_s - centre)^2 / (a_s tau2 + b_s) = k``, 0 when
    the segments scatter no more than their sampling errors say. Without ``shares``,
    ``a_s = 1`` and ``b_s = v_s``. With the segments' row ``shares`` of the population
    (the centre is then their share-weighted mean, which a large segment pulls toward
    itself), ``a_s = (1 - w_s)^2 + sum_{t != s} w_t^2`` and
    ``b_s = (1 - w_s)^2 v_s + sum_{t != s} w_t^2 v_t``: the expected squared distance
    of a segment from a centre it is part of.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.degradation._pooling import shrinkage_weights
    >>> b, tau2 = shrinkage_weights(np.array([0.10, 0.02]), np.array([1e-4, 1e-4]), 0.06)
    >>> round(tau2, 6), b.round(3).tolist()
    (0.0015, [0.063, 0.063])
    >>> shrinkage_weights(np.array([0.06, 0.061]), np.array([1e-4, 1e-2]), 0.06)[1]
    0.0
    """
    d = np.asarray(drops, dtype=float)
    v = np.asarray(variances, dtype=float)
    e2 = (d - centre) ** 2
    k = len(d)
    if shares is None:
        a, b0 = np.ones(k), v
    else:
        w = np.asarray(shares, dtype=float)
        w2 = w**2
        vf = np.where(np.isfinite(v), v, 0.0)
        a = (1 - w) ** 2 + (np.sum(w2) - w2)
        b0 = (1 - w) ** 2 * v + (np.sum(w2 * vf) - w2 * vf)

    def excess(t2: float) -> float:
        return float(np.sum(e2 / (a * t2 + b0))) - k

    if k == 0 or excess(0.0) <= 0:
        tau2 = 0.0
    else:
        lo, hi = 0.0, max(float(np.max(e2 / a)), 1e-300)
        while excess(hi) > 0:
            hi *= 2
        for _ in range(200):  # bisection: excess is decreasing in tau2
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
            if hi - lo <= 1e-12 * hi:
                break
        tau2 = 0.5 * (lo + hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the prior spread of a segment around the centre is a_s tau2
        b = np.where(np.isfinite(v), v / (v + a * tau2), 1.0)
    b = np.where(np.isnan(b), 1.0, b)  # v = tau2 = 0: no information either way
    return np.asarray(b, dtype=float), float(tau2)


def shrink_curve(curve: DegradationCurve, boot: CrossingBootstrap,
                 pooled: DegradationCurve, pooled_boot: CrossingBootstrap, weight: float,
                 *, tolerance: float, tolerance_type: str) -> ShrunkCurve:
    """The segment's curve with ``weight`` of its shape taken from ``pooled``."""
    sgn = curve._sgn
    w = float(weight)
    age_max = float(curve.age_max)
    offset = float(curve.baseline) - float(curve.level)  # baseline minus curve at 0

    def crossings(values: FloatArray, grid: FloatArray, thr: FloatArray) -> FloatArray:
        """First age of each row where the curve reaches its threshold (interpolated
        between grid points); inf when it does not by ``age_max``."""
        g = sgn * (values - thr[:, None])  # >= 0 once crossed
        hit = g >= 0
        first = np.where(hit.any(axis=1), np.argmax(hit, axis=1), -1)
        out = np.full(len(values), math.inf)
        rows = np.flatnonzero(first > 0)
        i = first[rows]
        g0, g1 = g[rows, i - 1], g[rows, i]
        frac = np.where(g1 > g0, -g0 / np.where(g1 > g0, g1 - g0, 1.0), 0.0)
        out[rows] = grid[i - 1] + frac * (grid[i] - grid[i - 1])
        out[first == 0] = grid[0]
        out[~np.isfinite(values).all(axis=1)] = math.inf
        return np.where(out <= age_max, out, math.inf)

    # the point estimate on a fine grid
    fine = np.linspace(0.0, age_max, _FINE)
    own = _values(curve, fine)
    pop = _values(pooled, fine)
    est = own[0] + (1 - w) * (own - own[0]) + w * (pop - pop[0])
    thr0 = float(curve.threshold(tolerance, tolerance_type))
    crossing = float(crossings(est[None, :], fine, np.array([thr0]))[0])

    # the replicates, on the segment's band grid
    grid = np.asarray(boot.band_age, dtype=float)
    seg_r = np.asarray(boot.curves, dtype=float)
    pop_r = _at(np.asarray(pooled_boot.curves, dtype=float),
                np.asarray(pooled_boot.band_age, dtype=float), grid)
    lev_r = seg_r[:, :1]
    own_g = _values(curve, grid)
    pop_g = _values(pooled, grid)
    values = own_g[0] + (1 - w) * (own_g - own_g[0]) + w * (pop_g - pop_g[0])
    # replicate r: the pooled curve, moved by the segment's level and shape errors
    # (the shape's scaled by sqrt(1 - w): the posterior spread (1 - w) v of the normal
    # model) and the population's shape error, weighted by w
    own_err = (seg_r - lev_r) - (own_g - own_g[0])
    pop_err = (pop_r - pop_r[:, :1]) - (pop_g - pop_g[0])
    rep = (values + (lev_r - own_g[0]) + math.sqrt(max(1 - w, 0.0)) * own_err
           + w * pop_err)
    mode = curve.baseline_mode
    if isinstance(mode, str):
        base_r = lev_r[:, 0] + (offset if mode == "first_window" else 0.0)
    else:
        base_r = np.full(len(rep), float(mode))
    thr_r = np.asarray(threshold_rule(base_r, tolerance, tolerance_type, sgn), dtype=float)
    samples = crossings(rep, grid, thr_r)
    q = boot.level if math.isfinite(boot.level) else (1 - boot.confidence_level) / 2
    ok = np.isfinite(rep).all(axis=1)
    if ok.any():
        band_low, band_high = np.quantile(rep[ok], [q, 1 - q], axis=0)
    else:
        band_low = band_high = np.full(grid.shape, np.nan)
    return ShrunkCurve(weight=w, grid=grid, values=values, crossing=crossing,
                       samples=samples, band_low=np.asarray(band_low, dtype=float),
                       band_high=np.asarray(band_high, dtype=float))


def _values(curve: DegradationCurve, ages: FloatArray) -> FloatArray:
    """The curve's mean values at ``ages`` (the first age must be 0) as an array."""
    return np.asarray(curve.predict(np.asarray(ages, dtype=float)), dtype=float)
