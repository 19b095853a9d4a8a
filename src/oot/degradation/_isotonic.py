"""The isotonic family: a monotone shape with anchor offsets, fitted by its own algorithm.

No shape is assumed: the curve is a weighted isotonic regression of the scores on age
(pool adjacent violators), alternated with the anchor offsets, and stored as knots
(linear interpolation between them, flat outside). Its record in
:mod:`oot.degradation._families` uses the hooks here instead of the profile fit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from oot.degradation._data import FloatArray, IntArray, _Data
from oot.degradation._wls import Replicas, ReplicateFit, WeightedFit, offsets

if TYPE_CHECKING:
    from oot.degradation._families import CurveFamily


def _pava(y: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted least-squares non-decreasing fit to ``y`` (pool adjacent violators).

    ``y`` is ordered by x, weights are > 0. Blocks are merged while the last two
    violate the order; each block's value is the weighted mean of its points.
    """
    vals: list[float] = []
    wts: list[float] = []
    counts: list[int] = []
    for yi, wi in zip(y.tolist(), w.tolist(), strict=True):
        v, wt, c = yi, wi, 1
        while vals and vals[-1] >= v:
            pw = wts.pop()
            v = (vals.pop() * pw + v * wt) / (pw + wt)
            wt += pw
            c += counts.pop()
        vals.append(v)
        wts.append(wt)
        counts.append(c)
    return np.repeat(np.asarray(vals), counts)


def isotonic_shape(ages: FloatArray, inv: IntArray, a: FloatArray, t: FloatArray,
                   w: FloatArray, sgn: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weighted isotonic regression of ``t`` on ``a`` (monotone in direction ``sgn``).

    Windows of one age are pooled (weighted mean, summed weight) and ages without
    weight dropped, as scikit-learn's ``IsotonicRegression`` does; the fit is linear
    between the remaining ages and flat beyond them. Returns the fit at ``a`` and the
    knots (ages, values).
    """
    wsum = np.bincount(inv, weights=w, minlength=ages.size).astype(float)
    keep = wsum > 0
    tbar = np.bincount(inv, weights=w * t, minlength=ages.size)[keep] / wsum[keep]
    kx = ages[keep]
    ky = sgn * _pava(sgn * tbar, wsum[keep])  # non-increasing fits use -t
    return np.interp(a, kx, ky), kx, ky


def _isotonic_fit(d: _Data, w: FloatArray, sgn: float, onehot: FloatArray
                  ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, float]:
    """Monotone shape with anchor offsets, by alternating offsets and isotonic regression.

    Returns the offsets, f at the windows, the knots (f(first knot) = 0) and the rss.
    """
    ages, inv = np.unique(d.a, return_inverse=True)
    inv = inv.reshape(-1)
    fshape = np.zeros(d.n)
    mu = offsets(w[None, :], d.y[None, :], fshape[None, :], onehot)[0]
    kx = ky = np.zeros(0)
    for _ in range(100):
        fshape_new, kx, ky = isotonic_shape(ages, inv, d.a, d.y - np.nan_to_num(mu)[d.anc],
                                            w, sgn)
        mu_new = offsets(w[None, :], d.y[None, :], fshape_new[None, :], onehot)[0]
        delta = float(np.nanmax(np.abs(mu_new - mu))) + float(
            np.max(np.abs(fshape_new - fshape)))
        mu, fshape = mu_new, fshape_new
        if delta < 1e-12 * (1.0 + float(np.max(np.abs(d.y)))):
            break
    shift = float(ky[0])
    ky = ky - shift
    fshape = fshape - shift
    mu = mu + shift
    resid = d.y - np.nan_to_num(mu)[d.anc] - fshape
    return mu, fshape, kx, ky, float(np.sum(w * resid * resid))


# ----------------------------------------------------------------- the record's pieces
def knot_shape(p: Mapping[str, Any], a: Any) -> Any:
    """f(a): linear between the knots ``p["knots_x"], p["knots_y"]``, flat outside."""
    return np.interp(a, np.asarray(p["knots_x"]), np.asarray(p["knots_y"]))


def knot_crossing(p: Mapping[str, Any], m: Any, sgn: float) -> float:
    """Smallest age with ``sgn * f(age) >= m`` on the knot curve (inf when never)."""
    if m <= 0:
        return 0.0
    ky = sgn * np.asarray(p["knots_y"])
    kx = np.asarray(p["knots_x"])
    idx = np.nonzero(ky >= m)[0]
    if len(idx) == 0:
        return math.inf
    i = int(idx[0])
    if i == 0:
        return 0.0
    x0, x1, y0, y1 = kx[i - 1], kx[i], ky[i - 1], ky[i]
    return float(x0 + (m - y0) * (x1 - x0) / (y1 - y0))


def isotonic_fit(family: CurveFamily, d: _Data, w: FloatArray, sgn: float, scale: float,
                 onehot: FloatArray) -> WeightedFit:
    """The isotonic record's ``fit`` hook (``scale`` is not needed)."""
    mu, fshape, kx, ky, rss = _isotonic_fit(d, w, sgn, onehot)
    return WeightedFit({}, mu, fshape, rss, knots_x=tuple(map(float, kx)),
                       knots_y=tuple(map(float, ky)))


def isotonic_refit(family: CurveFamily, rep: Replicas) -> ReplicateFit:
    """The isotonic record's ``refit`` hook: PAVA with offsets, replicate by replicate."""
    d, r = rep.d, rep.r
    y_full = np.broadcast_to(rep.y, (r, d.n))
    w_full = np.broadcast_to(rep.w, (r, d.n))
    levels = np.empty(r)
    rss = np.empty(r)
    knots = []
    for i in range(r):
        di = dataclasses.replace(d, y=np.array(y_full[i]), clusters=None, cluster_rule="",
                                 n_total=d.n)
        mu, _, kx, ky, rss[i] = _isotonic_fit(di, np.array(w_full[i]), rep.sgn, rep.onehot)
        levels[i] = float(np.nanmean(mu))
        knots.append({"knots_x": kx, "knots_y": ky})
    thr = rep.threshold(levels)
    cross = np.empty(r)
    values = np.empty((r, rep.grid.size))
    for i in range(r):
        m = rep.sgn * (float(thr[i]) - float(levels[i]))
        cross[i] = float(family.crossing_age(knots[i], m, rep.sgn))
        values[i] = levels[i] + family.shape(knots[i], rep.grid)
    return ReplicateFit(cross, values, rss)
