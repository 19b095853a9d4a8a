"""The isotonic family: a monotone shape with anchor offsets, no shape assumed.

Two steps: the saturated age model (anchor offsets and one free effect per age group,
:mod:`oot.degradation._saturated`) by weighted least squares, then its group effects made
monotone by weighted pool-adjacent-violators (each group weighted by the summed weight
of its windows); the offsets are then refitted to the monotone shape. The curve is
stored as knots at the groups' ages (linear between them, flat outside; its value at
age 0 is the youngest group's: nothing is extrapolated before the youngest window).
Both steps are linear algebra and a vectorised PAVA, so the bootstrap refits every
replicate at once. Its record in :mod:`oot.degradation._families` uses the hooks here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from oot.degradation._data import AnchorIndex, FloatArray, _Data
from oot.degradation._saturated import Saturated
from oot.degradation._wls import Replicas, ReplicateFit, WeightedFit, offsets

if TYPE_CHECKING:
    from oot.degradation._families import CurveFamily


def pava_rows(t: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted non-decreasing least-squares fit of every row of ``t`` (R, K).

    The min-max formula ``fit_i = max_{j <= i} min_{k >= i} mean(t[j..k])`` (weighted
    means of every run of consecutive points; ``w`` (K,) > 0), vectorised over rows:
    O(R K^2), the values pool adjacent violators gives.
    """
    r, k = t.shape
    cw = np.concatenate([[0.0], np.cumsum(w)])
    ct = np.concatenate([np.zeros((r, 1)), np.cumsum(t * w, axis=1)], axis=1)
    valid = np.arange(k)[None, :] >= np.arange(k)[:, None]       # run j..k with k >= j
    den = np.where(valid, cw[1:][None, :] - cw[:-1][:, None], 1.0)
    means = np.where(valid[None], (ct[:, None, 1:] - ct[:, :-1, None]) / den[None], np.inf)
    suffix_min = np.minimum.accumulate(means[:, :, ::-1], axis=2)[:, :, ::-1]
    return np.asarray(np.max(np.where(valid[None], suffix_min, -np.inf), axis=1))


def monotone(sat: Saturated, d: _Data, w: FloatArray, y: FloatArray, sgn: float
             ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Offsets (R, J), monotone group effects (R, K; the first at 0) and rss (R,) of
    every row of ``y``; non-increasing when ``sgn`` is -1 (a higher-is-better score)."""
    _, g = sat.effects(y)
    keep = sat.group_weight > 0
    iso = np.zeros_like(g)
    iso[:, keep] = sgn * pava_rows(sgn * g[:, keep], sat.group_weight[keep])
    if not keep.all():  # a group without weight takes its neighbour's value
        idx = np.flatnonzero(keep)
        near = idx[np.clip(np.searchsorted(idx, np.arange(g.shape[1])), 0, idx.size - 1)]
        iso = iso[:, near]
    iso = iso - iso[:, :1]
    fshape = iso[:, d.group]
    mu = offsets(w[None, :], y, fshape, d.anchor_index())
    resid = y - mu[:, d.anc] - fshape
    return mu, iso, np.sum(w[None, :] * resid * resid, axis=1)


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
                 anchors: AnchorIndex) -> WeightedFit:
    """The isotonic record's ``fit`` hook (``scale`` is not needed)."""
    sat = Saturated.of(d, w)
    mu, iso, rss = monotone(sat, d, w, d.y[None, :], sgn)
    return WeightedFit({}, mu[0], iso[0][d.group], float(rss[0]),
                       knots_x=tuple(map(float, sat.ages)), knots_y=tuple(map(float, iso[0])))


def isotonic_refit(family: CurveFamily, rep: Replicas) -> ReplicateFit:
    """The isotonic record's ``refit`` hook: every replicate at once when the weights
    are shared (wild bootstrap), else replicate by replicate."""
    d, r = rep.d, rep.r
    y = np.broadcast_to(rep.y, (r, d.n))
    if rep.w.shape[0] == 1:
        sat = Saturated.of(d, rep.w[0])
        mu, iso, rss = monotone(sat, d, rep.w[0], np.asarray(y), rep.sgn)
        ages = np.broadcast_to(sat.ages, iso.shape)
    else:
        parts = []
        for i in range(r):
            si = Saturated.of(d, rep.w[i])
            parts.append((*monotone(si, d, rep.w[i], y[i:i + 1], rep.sgn), si.ages))
        mu = np.concatenate([p[0] for p in parts])
        iso = np.concatenate([p[1] for p in parts])
        rss = np.concatenate([p[2] for p in parts])
        ages = np.stack([p[3] for p in parts])
    with np.errstate(invalid="ignore"):
        level = np.nanmean(mu, axis=1)
    # flat before the youngest group: the baseline at age 0 is the youngest group's
    thr = rep.threshold(rep.baseline_level(level, lambda a: np.zeros(r)))
    need = rep.sgn * (thr - level)
    cross = _knot_crossings(ages, rep.sgn * iso, need)
    values = level[:, None] + np.stack([np.interp(rep.grid, ages[i], iso[i])
                                        for i in range(r)])
    return ReplicateFit(cross, values, rss)


def _knot_crossings(kx: FloatArray, ky: FloatArray, need: FloatArray) -> FloatArray:
    """Per row, the first age where the increasing-direction knots ``ky`` reach
    ``need`` (linear between knots; 0 when ``need <= 0``; inf when never)."""
    r = ky.shape[0]
    past = ky >= need[:, None]
    i = np.argmax(past, axis=1)
    i0 = np.maximum(i - 1, 0)
    rows = np.arange(r)
    y0, y1 = ky[rows, i0], ky[rows, i]
    x0, x1 = kx[rows, i0], kx[rows, i]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(y1 > y0, (need - y0) / (y1 - y0), 0.0)
    out = np.where(i == 0, 0.0, x0 + np.clip(frac, 0.0, 1.0) * (x1 - x0))
    out = np.where(past.any(axis=1), out, np.inf)
    return np.asarray(np.where(need <= 0, 0.0, out), dtype=float)
