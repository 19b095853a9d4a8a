"""The step / logistic family: plateau, drop, plateau, fitted to window means.

``f(a) = d * (sigma((a - m) / w) - sigma(-m / w))``: a drop of ``d`` centred at age ``m``
over a width ``w`` (``f(0) = 0``). Its width may be far less than a window: a step. A
window's score is the mean of the curve over the window's ages, so the basis averages
the logistic over each window (closed form through softplus): a step inside a window
gives that window a level between the plateaus, and the step's age is located within
the window by how far between them it lies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from oot.degradation._data import AnchorIndex, FloatArray, _Data
from oot.degradation._wls import (
    Replicas,
    ReplicateFit,
    WeightedFit,
    _profile,
    cached_on_arrays,
    distinct_windows,
    offsets,
    profile_fixed,
    refit_column,
)

if TYPE_CHECKING:
    from oot.degradation._families import CurveFamily

_N_MID = 24
_N_WIDTH = 6
_ZOOMS = 7   # local 7 x 7 grids, each a third of the last: 3^-7 of a grid step
_STEPS = np.linspace(-1, 1, 7)   # a local grid's points per axis, in its steps
_STEPS.flags.writeable = False


def _sigmoid(x: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def logistic_shape(p: Mapping[str, Any], a: Any) -> Any:
    """The pointwise curve ``f(a)`` (user units)."""
    m, w = np.asarray(p["m"], dtype=float), np.asarray(p["w"], dtype=float)
    return p["d"] * (_sigmoid((a - m) / w) - _sigmoid(-m / w))


def logistic_crossing(p: Mapping[str, Any], m_need: Any, sgn: float) -> Any:
    """Smallest age with ``sgn * f >= m_need``."""
    d = sgn * np.asarray(p["d"], dtype=float)
    mid, w = np.asarray(p["m"], dtype=float), np.asarray(p["w"], dtype=float)
    s0 = _sigmoid(-mid / w)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = s0 + m_need / np.where(d > 0, d, np.nan)
        ok = (d > 0) & (q > 0) & (q < 1)
        qq = np.where(ok, q, 0.5)
        out = mid + w * np.log(qq / (1 - qq))
    return np.where(ok, np.maximum(out, 0.0), np.inf)


def window_basis(a: FloatArray, half: FloatArray, m: Any, w: Any) -> FloatArray:
    """Mean of ``sigma((x - m) / w) - sigma(-m / w)`` over each window ``a +- half``.

    ``a``, ``half`` (n,); ``m``, ``w`` scalars, (M,) (result (n, M)) or (R, 1) (result
    (R, n)).
    """
    m = np.asarray(m, dtype=float)
    w = np.asarray(w, dtype=float)
    if m.ndim == 1:
        aa, hh = a[:, None], half[:, None]
    else:
        aa, hh = a[None, :] if m.ndim == 2 else a, half[None, :] if m.ndim == 2 else half
    hi = (aa + hh - m) / w
    lo = (aa - hh - m) / w
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = w * (np.logaddexp(0.0, hi) - np.logaddexp(0.0, lo)) / (2.0 * hh)
    point = _sigmoid((aa - m) / w)
    avg = np.where(hh > 0, avg, point)
    return np.asarray(avg - _sigmoid(-m / w), dtype=float)


def _basis_at(a: FloatArray, half: FloatArray, m: Any, w: Any) -> FloatArray:
    """:func:`window_basis` computed on the distinct windows, spread to every window."""
    ua, uh, at = distinct_windows(a, half)
    out = window_basis(ua, uh, m, w)
    return np.asarray(out[at] if np.asarray(m).ndim == 1 else out[:, at])


def _grid_of(a: FloatArray, half: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Midpoints from the youngest window's end (no drop inside the youngest window) to
    the start of the oldest window (a drop is seen by at least the oldest two ages, not
    fitted to the oldest window alone), and widths from a tenth of half a window to a
    third of the ages, as two flat arrays."""
    young = int(np.argmin(a))
    old = int(np.argmax(a))
    end0 = float(a[young] + half[young])
    a_max = float(a.max())
    last = max(float(a[old] - half[old]), end0 * 1.01)
    mids = np.linspace(end0, last, _N_MID)
    h = float(np.median(half))
    widths = np.geomspace(max(h / 10.0, 1e-9), max(a_max / 3.0, h), _N_WIDTH)
    mm, ww = np.meshgrid(mids, widths, indexing="ij")
    return mm.ravel(), ww.ravel()


def _grid_basis(d: _Data) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The grid and the basis on it, cached (the fit, its tau2 iterations, the lack of
    fit test and the bootstrap profile the same windows); read-only arrays."""
    return _grid_basis_of(d.a, d.half)


@cached_on_arrays(maxsize=16)
def _grid_basis_of(a: FloatArray, half: FloatArray
                   ) -> tuple[FloatArray, FloatArray, FloatArray]:
    mm, ww = _grid_of(a, half)
    return mm, ww, _basis_at(a, half, mm, ww)


def _refine(mm: FloatArray, ww: FloatArray, rss: FloatArray, k: Any
            ) -> tuple[FloatArray, FloatArray]:
    """One quadratic step in (m, log w) from each row's best grid point (3 x 3 cells)."""
    i, j = np.divmod(k, _N_WIDTH)
    ic = np.clip(i, 1, _N_MID - 2)
    jc = np.clip(j, 1, _N_WIDTH - 2)
    rows = np.arange(rss.shape[0])

    def at(di: int, dj: int) -> FloatArray:
        return np.asarray(rss[rows, (ic + di) * _N_WIDTH + jc + dj])

    f0 = at(0, 0)
    fx = 0.5 * (at(1, 0) - at(-1, 0))
    fy = 0.5 * (at(0, 1) - at(0, -1))
    fxx = at(1, 0) - 2 * f0 + at(-1, 0)
    fyy = at(0, 1) - 2 * f0 + at(0, -1)
    fxy = 0.25 * (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1))
    det = fxx * fyy - fxy * fxy
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (det > 0) & (fxx > 0) & np.isfinite(det)
        dx = np.where(ok, -(fyy * fx - fxy * fy) / det, 0.0)
        dy = np.where(ok, -(fxx * fy - fxy * fx) / det, 0.0)
    dx = np.clip(dx, -1.0, 1.0)
    dy = np.clip(dy, -1.0, 1.0)
    mids = mm.reshape(_N_MID, _N_WIDTH)[:, 0]
    lw = np.log(ww.reshape(_N_MID, _N_WIDTH)[0, :])
    m_new = mids[ic] + dx * (mids[1] - mids[0])
    w_new = np.exp(lw[jc] + dy * (lw[1] - lw[0]))
    # keep the grid point where it sat on the edge of the grid
    edge = (i != ic) | (j != jc)
    m_new = np.where(edge, mm[k], np.clip(m_new, mids[0], mids[-1]))
    w_new = np.where(edge, ww[k], w_new)
    return np.asarray(m_new, dtype=float), np.asarray(w_new, dtype=float)


def logistic_fit(family: CurveFamily, d: _Data, w: FloatArray, sgn: float, scale: float,
                 anchors: AnchorIndex) -> WeightedFit:
    """Grid profile over (midpoint, width), then zooms of a 7 x 7 local grid."""
    mm, ww, basis = _grid_basis(d)
    w1, y1 = w[None, :], d.y[None, :]
    fixed = profile_fixed(w1, y1, anchors)
    rss, *_ = _profile(w1, y1, basis, anchors, fixed)
    rss = np.where(np.isfinite(rss), rss, np.inf)
    k = int(np.argmin(rss[0]))
    return _zoom(d, w, anchors, fixed, mm, ww, float(mm[k]), math.log(ww[k]),
                 float(rss[0, k]), 1.0, _ZOOMS)


def logistic_warm_fit(family: CurveFamily, d: _Data, w: FloatArray, sgn: float,
                      scale: float, anchors: AnchorIndex, start: WeightedFit
                      ) -> WeightedFit:
    """The fit at new weights from the one at the previous weights (the tau2 iteration
    moves the optimum little): zooms from there, the first a third of a grid step."""
    mm, ww, _ = _grid_basis(d)
    fixed = profile_fixed(w[None, :], d.y[None, :], anchors)
    return _zoom(d, w, anchors, fixed, mm, ww, float(start.params["m"]),
                 math.log(float(start.params["w"])), math.inf, 1.0 / 3.0, _ZOOMS - 1)


def _zoom(d: _Data, w: FloatArray, anchors: AnchorIndex, fixed: Any, mm: FloatArray,
          ww: FloatArray, m: float, lw: float, best: float, first: float, zooms: int
          ) -> WeightedFit:
    """Local 7 x 7 grids around (m, log w), each a third of the last (the first
    ``first`` grid steps wide), keeping the best; then the fit there."""
    w1, y1 = w[None, :], d.y[None, :]
    half = d.half
    mids = mm.reshape(_N_MID, _N_WIDTH)[:, 0]
    lws = np.log(ww.reshape(_N_MID, _N_WIDTH)[0, :])
    dm, dl = first * float(mids[1] - mids[0]), first * float(lws[1] - lws[0])
    for _ in range(zooms):
        cm = np.clip(m + dm * _STEPS, mids[0], mids[-1])
        cl = np.clip(lw + dl * _STEPS, lws[0], lws[-1])
        gm, gl = np.repeat(cm, _STEPS.size), np.tile(cl, _STEPS.size)   # the 7 x 7 grid
        g = _basis_at(d.a, half, gm, np.exp(gl))
        r, *_ = _profile(w1, y1, g, anchors, fixed)
        r = np.where(np.isfinite(r[0]), r[0], np.inf)
        j = int(np.argmin(r))
        if r[j] <= best:
            m, lw, best = float(gm[j]), float(gl[j]), float(r[j])
        dm, dl = dm / 3.0, dl / 3.0
    wd = math.exp(lw)
    g = _basis_at(d.a, half, np.array([m]), np.array([wd]))
    _, cf, *_ = _profile(w1, y1, g, anchors, fixed)
    params = {"d": float(cf[0, 0]), "m": m, "w": wd}
    fitted_shape = float(cf[0, 0]) * g[:, 0]
    mu = offsets(w1, y1, fitted_shape[None, :], anchors)[0]
    resid = d.y - mu[d.anc] - fitted_shape
    # fshape is the window mean of f (what the scores estimate), not f at the midpoint
    return WeightedFit(params, mu, fitted_shape, float(np.sum(w * resid * resid)))


def logistic_refit(family: CurveFamily, rep: Replicas) -> ReplicateFit:
    """Every replicate: the grid profile, one quadratic step, the refit there."""
    d = rep.d
    mm, ww, basis = _grid_basis(d)
    cells = rep.cells
    rss, coef, *_ = _profile(rep.w, rep.y, basis, rep.anchors, rep.profile_fixed, cells)
    rss = np.where(np.isfinite(rss), rss, np.inf)
    r = rep.r
    rss = np.broadcast_to(rss, (r, basis.shape[1]))
    coef = np.broadcast_to(coef, (r, basis.shape[1]))
    k = np.argmin(rss, axis=1)
    rows = np.arange(r)
    m_new, w_new = _refine(mm, ww, rss, k)
    inv, swy = rep.profile_fixed[0], rep.profile_fixed[1]
    inv_b = np.broadcast_to(inv, (r, rep.anchors.n_anchors))
    swy_b = np.broadcast_to(swy, (r, rep.anchors.n_anchors))
    if cells is not None:
        # the replicates' sums per distinct window (shared weights)
        g = window_basis(cells.ages, cells.halves, m_new[:, None], w_new[:, None])
    else:
        g = _basis_at(d.a, d.half, m_new[:, None], w_new[:, None])     # (R, n)
    _, c_new, rss_new = refit_column(g, rep.w, rep.y, rep.anchors, rep.profile_fixed,
                                     cells)
    better = rss_new <= rss[rows, k]
    m = np.where(better, m_new, mm[k])
    wd = np.where(better, w_new, ww[k])
    cf = np.where(better, c_new, coef[rows, k])
    rs = np.where(better, rss_new, rss[rows, k])
    if cells is not None:
        g_used = np.where(better[:, None], g, basis[cells.first].T[k])
        swf = cells.anchor_sums(cf[:, None] * g_used)
    else:
        g_used = np.where(better[:, None], g, basis.T[k])
        w_b = np.broadcast_to(rep.w, (r, d.n))
        swf = rep.anchors.sums(w_b * cf[:, None] * g_used)
    with np.errstate(invalid="ignore"):
        mu = np.where(inv_b > 0, (swy_b - swf) * inv_b, np.nan)
        level = np.nanmean(mu, axis=1)
    user = {"d": cf, "m": m, "w": wd}
    thr = rep.threshold(rep.baseline_level(level, lambda a: logistic_shape(user, a)))
    cross = family.crossing_age(user, rep.sgn * (thr - level), rep.sgn)
    col = {key: v.reshape(-1, 1) for key, v in user.items()}
    with np.errstate(invalid="ignore", over="ignore"):
        values = level[:, None] + logistic_shape(col, rep.grid[None, :])
    return ReplicateFit(cross, np.asarray(values, dtype=float), rs)
