"""Weighted least-squares fits of the profiled (parametric) families, and their statistics.

Every parametric family is linear in its coefficients given at most one nonlinear
parameter ``phi``. A fit profiles ``phi`` over the family's grid (refined by a parabolic
step, then a bounded scalar optimiser) and eliminates the anchor offsets by
within-anchor weighted centring (Frisch-Waugh-Lovell). The algebra is written for ``R``
replicates at once (weights ``w`` and values ``y`` of shape ``(R, n)`` or ``(1, n)``),
which makes the bootstrap's refits one batch (:func:`profile_refit`).

Also here: the Paule-Mandel between-window variance, the Gaussian log-likelihood AICc
uses, and the linearisation of a fit (Jacobian, parameter covariance).

Internal units: ages are divided by ``scale`` (the oldest age) before they enter a basis.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from oot.degradation._data import AnchorIndex, FloatArray, IntArray, _Data

if TYPE_CHECKING:
    from oot.degradation._families import CurveFamily

_ProfileFixed = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]


# ======================================================================= results
@dataclass
class WeightedFit:
    """A family fitted at fixed weights (what a family's ``fit`` hook returns)."""

    params: dict[str, float]   # user parameters (empty for knot-based families)
    mu: FloatArray             # (J,) anchor offsets
    fshape: FloatArray         # (n,) f(age) at the windows
    rss: float                 # weighted residual sum of squares
    phi: float = float("nan")  # internal nonlinear parameter
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()


@dataclass(frozen=True, eq=False)
class Replicas:
    """Bootstrap replicates of one data set, as a family's ``refit`` hook receives them.

    ``w`` and ``y`` are ``(R, n)`` or ``(1, n)`` (shared by every replicate);
    ``threshold`` maps each replicate's level (mean anchor offset) to its threshold;
    ``grid`` holds the ages at which the replicate curves are returned.
    ``anchor_weights`` (R, J), when given, says that ``w`` is ``w0 * anchor_weights[:,
    anc]`` for weights ``w0`` of every replicate (``base_w``, (n,)): the anchors
    reweighted, as :func:`bootstrap_crossing`'s ``resample_anchors`` does.
    """

    d: _Data
    w: FloatArray
    y: FloatArray
    anchors: AnchorIndex
    sgn: float
    scale: float
    grid: FloatArray
    threshold: Callable[[FloatArray], FloatArray]
    young: float = float("nan")   # the curve is straightened before this age (see below)
    base_w: FloatArray | None = None
    anchor_weights: FloatArray | None = None
    r: int = field(init=False)

    def baseline_level(self, level: FloatArray, shape: Callable[[float], Any]
                       ) -> FloatArray:
        """The level the threshold is measured from: the curve at age 0, or, when the
        fit found it bending before the youngest age (``young``), the curve continued
        straight back to age 0 from there (``shape(a)``: each replicate's f at ``a``)."""
        if not math.isfinite(self.young):
            return level
        bend = np.asarray(bend_before(shape, self.young), dtype=float).reshape(-1)
        return np.asarray(level + bend, dtype=float)

    def __post_init__(self) -> None:
        object.__setattr__(self, "r", max(self.w.shape[0], self.y.shape[0]))

    @functools.cached_property
    def profile_fixed(self) -> _ProfileFixed:
        """:func:`profile_fixed` of the replicates (shared by every family's batch fit)."""
        return profile_fixed(self.w, self.y, self.anchors)

    @functools.cached_property
    def cells(self) -> Cells | None:
        """The replicates summed per distinct window (:class:`Cells`; None when the
        weights vary by replicate or few windows share an age)."""
        factors = (None if self.base_w is None or self.anchor_weights is None
                   else (self.base_w, self.anchor_weights))
        return Cells.of(self.w, self.profile_fixed[2], self.d.a, self.d.half,
                        self.anchors, factors)


#: Cells sums w * y per distinct window by a product with the (n, U) indicator matrix
#: up to this many entries (8 MB), by a reduction of the reordered cells beyond
_INDICATOR_MAX = 2**20


@dataclass(frozen=True, eq=False)
class Cells:
    """Replicates that share their weights, summed per distinct window.

    Windows of one age and length (one per anchor when the anchors are one window
    apart) take one value in every basis, so with weights shared by all replicates
    each sum a refit needs runs over the distinct windows instead of every cell:
    ``sum_i w_i g(a_i) y_i = sum_u g(a_u) wy_u`` and an anchor's ``sum_i w_i g(a_i) =
    sum_u g(a_u) w_uj``. The bootstrap's refits then make (R, U) passes instead of
    (R, n) ones and no (R, n) x (n, M) product.

    Replicates whose anchors are reweighted (weights ``w0_i * c_rj`` for the cells of
    anchor j, ``c`` the anchor weights) factor the same way: an anchor's sum is
    ``c_rj * sum_u g(a_u) w0_uj``, its centred sum of squares ``c_rj`` times that of
    the base weights. ``c`` is None when the weights are shared.
    """

    ages: FloatArray    # (U,) age of each distinct window
    halves: FloatArray  # (U,) its half-length
    first: IntArray     # (U,) a cell of each (its basis row is the window's)
    wu: FloatArray      # (U,) summed weight of its cells
    wuj: FloatArray     # (U, J) summed weight of its cells in each anchor
    wyu: FloatArray     # (R, U) summed w * y of its cells, per replicate
    c: FloatArray | None = None   # (R, J) anchor weights (None: weights shared)

    @classmethod
    def of(cls, w: FloatArray, wy: FloatArray, a: FloatArray, half: FloatArray,
           anchors: AnchorIndex,
           factors: tuple[FloatArray, FloatArray] | None = None) -> Cells | None:
        """The sums, or None when they would not save work: weights that vary by
        replicate other than by anchor (``factors``: the base weights (n,) and the
        anchor weights (R, J) that ``w`` is the product of), more than half as many
        distinct windows as cells, or a (U, J) table larger than four times the
        cells; ``wy`` is ``w * y``."""
        n, n_anchors = len(a), anchors.n_anchors
        if factors is None and w.shape[0] != 1:
            return None
        ages, halves, at = distinct_windows(a, half)
        u = len(ages)
        if 2 * u > n or u * n_anchors > 4 * n:
            return None
        base = w[0] if factors is None else np.asarray(factors[0], dtype=float)
        order = np.argsort(at, kind="stable")
        starts = np.searchsorted(at[order], np.arange(u))
        wu = np.bincount(at, weights=base, minlength=u).astype(float)
        wuj = np.bincount(at * n_anchors + anchors.anc, weights=base,
                          minlength=u * n_anchors).astype(float).reshape(u, n_anchors)
        wy = np.asarray(wy, dtype=float)
        if n * u <= _INDICATOR_MAX:   # one product with the (n, U) indicator matrix
            member = np.zeros((n, u))
            member[np.arange(n), at] = 1.0
            wyu = wy @ member
        else:                         # (the indicator would be large) cells in order
            wyu = np.add.reduceat(wy[:, order], starts, axis=1)
        c = None if factors is None else np.asarray(factors[1], dtype=float)
        return cls(ages, halves, np.asarray(order[starts], dtype=np.intp), wu, wuj,
                   np.asarray(wyu, dtype=float), c)

    def anchor_sums(self, g: FloatArray) -> FloatArray:
        """Each replicate's per-anchor weighted sums of a basis ``g`` given on the
        distinct windows: (R, U) -> (R, J) (``anchors.sums(w * g_cells)``)."""
        out = g @ self.wuj
        return out if self.c is None else out * self.c

    def weighted_sum(self, g: FloatArray) -> FloatArray:
        """Each replicate's ``sum_i w_i g_i`` of a basis ``g`` on the distinct windows:
        (R, U) -> (R,)."""
        if self.c is None:
            return np.asarray(g @ self.wu, dtype=float)
        return np.asarray(np.sum((g @ self.wuj) * self.c, axis=1), dtype=float)


_ARRAY = object()   # marks an array's key among a cached function's arguments
_T = TypeVar("_T")


def cached_on_arrays(maxsize: int) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Cache a function of 1-d float arrays (and hashable extras) by the arrays' values.

    The arrays are keyed by their bytes and handed to the function as read-only arrays
    rebuilt from them; the arrays in its result (a tuple) are made read-only, as every
    caller shares them. The one home of the caches of bases and windows that the fit,
    its re-fits and every bootstrap of one curve compute on the same ages.
    """
    def decorate(fn: Callable[..., _T]) -> Callable[..., _T]:
        @functools.lru_cache(maxsize=maxsize)
        def cached(*keys: Any) -> _T:
            args = [np.frombuffer(k[1], dtype=float, count=k[2])
                    if isinstance(k, tuple) and k and k[0] is _ARRAY else k for k in keys]
            out = fn(*args)
            for x in out if isinstance(out, tuple) else (out,):
                if isinstance(x, np.ndarray):
                    x.flags.writeable = False
            return out

        @functools.wraps(fn)
        def wrapper(*args: Any) -> _T:
            keys = []
            for x in args:
                if isinstance(x, np.ndarray):
                    x = np.ascontiguousarray(x, dtype=float).reshape(-1)
                    keys.append((_ARRAY, x.tobytes(), x.size))
                else:
                    keys.append(x)
            return cached(*keys)

        return wrapper

    return decorate


@cached_on_arrays(maxsize=16)
def distinct_windows(a: FloatArray, half: FloatArray) -> tuple[FloatArray, FloatArray,
                                                               IntArray]:
    """The distinct (age, half-length) windows and each cell's index among them (anchors
    one window apart share them, so bases are computed once per window kind); cached,
    read-only arrays."""
    pairs, inv = np.unique(np.column_stack([a, half]), axis=0, return_inverse=True)
    return (np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1]),
            np.asarray(inv, dtype=np.intp).reshape(-1))


@dataclass
class ReplicateFit:
    """One family refitted to every replicate (what a family's ``refit`` hook returns)."""

    crossing: FloatArray   # (R,) crossing age of each replicate (inf when never)
    values: FloatArray     # (R, G) each replicate's mean curve level + f on the grid
    rss: FloatArray        # (R,) weighted residual sum of squares (for re-selection)


# ======================================================================= bases
@cached_on_arrays(maxsize=32)
def grid_basis(family: CurveFamily, a: FloatArray, scale: float
               ) -> tuple[FloatArray, bool, FloatArray]:
    """The family's grid and the basis on it, cached: the fit, its re-fits and every
    bootstrap of one curve profile the same ages on the same grid. Read-only arrays."""
    assert family.grid is not None
    grid, logspaced = family.grid(a, float(scale))
    basis = family.design(a, grid, float(scale))
    return grid, logspaced, basis


# ======================================================================= batch algebra
def _anchor_basis_sums(w: FloatArray, basis: FloatArray, anchors: AnchorIndex
                       ) -> FloatArray:
    """Per-anchor weighted sums of the basis columns: (R|1, n), (n, M) -> (R|1, J, M).

    ``out[r, j, m] = sum of w[r, i] * basis[i, m] over the cells i of anchor j``, without
    the (R, n, J) tensor: one per-anchor sum when the weights are shared by all
    replicates, else one (R, n_j) @ (n_j, M) product per anchor.
    """
    if w.shape[0] == 1:
        return anchors.sums((w[0][:, None] * basis).T).T[None]
    out = np.empty((w.shape[0], anchors.n_anchors, basis.shape[1]))
    for j, (lo, hi) in enumerate(zip(anchors.starts, anchors.ends, strict=True)):
        out[:, j, :] = w[:, lo:hi] @ basis[lo:hi]
    return out


def profile_fixed(w: FloatArray, y: FloatArray, anchors: AnchorIndex) -> _ProfileFixed:
    """The parts of :func:`_profile` that do not depend on the basis.

    Returns ``(inv, swy, wy, syy, swyy)``: inverse anchor weight sums (0 for empty
    anchors), per-anchor sums of w * y, w * y, the within-anchor centred sum of w * y^2
    and its uncentred sum ``swyy``.
    """
    sw = anchors.sums(w)                                     # (R|1, J)
    safe = np.where(sw > 0, sw, 1.0)
    inv = np.where(sw > 0, 1.0 / safe, 0.0)
    wy = w * y
    swy = anchors.sums(wy)                                   # (R, J)
    # the fit's own sum as it always was; replicates' in one pass
    swyy = (np.sum(wy * y, axis=1) if wy.shape[0] == 1
            else np.einsum("rn,rn->r", wy, np.broadcast_to(y, wy.shape)))
    syy = swyy - np.sum(swy * swy * inv, axis=1)
    return inv, swy, wy, syy, swyy


def _profile(
    w: FloatArray, y: FloatArray, basis: FloatArray, anchors: AnchorIndex,
    fixed: _ProfileFixed | None = None, cells: Cells | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Within-anchor centred single-column regressions of y on each basis column.

    w, y : (R|1, n); basis : (n, M). Returns rss (R, M), coef (R, M), Sxx, Sxy, Syy.
    ``fixed`` is ``profile_fixed(w, y, anchors)`` when the caller profiles the same
    weights and values on several bases; ``cells`` the replicates' sums per distinct
    window (:class:`Cells`, shared weights), which replace the (R, n) x (n, M) product.
    """
    inv, swy, wy, syy, _ = profile_fixed(w, y, anchors) if fixed is None else fixed
    if cells is not None and cells.c is not None:
        return _profile_reweighted(basis, inv, swy, syy, cells)
    swg = _anchor_basis_sums(w, basis, anchors)              # (R|1, J, M)
    wgg = w @ (basis * basis)
    sxx = wgg - np.einsum("rjm,rj->rm", swg * swg, inv)
    tiny = 1e-12 * np.maximum(np.abs(wgg), 1e-300)
    okx = sxx > tiny
    if cells is None:
        sxy = wy @ basis - np.einsum("rjm,rj->rm", swg, swy * inv)
        coef = np.where(okx, sxy / np.where(okx, sxx, 1.0), 0.0)
    else:
        # shared weights: sxx, and which columns have one, hold for every replicate
        sxy = cells.wyu @ basis[cells.first]
        sxy -= (swy * inv) @ swg[0]
        coef = sxy * np.where(okx, 1.0 / np.where(okx, sxx, 1.0), 0.0)
    rss = syy[:, None] - coef * sxy
    return rss, coef, sxx, sxy, syy


def _profile_reweighted(basis: FloatArray, inv: FloatArray, swy: FloatArray,
                        syy: FloatArray, cells: Cells,
                        ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`_profile` of replicates whose anchors are reweighted (``cells.c``): the
    per-anchor sums of the basis at the base weights once, (J, M), then one (R, J) x
    (J, M) product each for Sxx and the anchors' part of Sxy."""
    assert cells.c is not None
    c = cells.c
    bu = basis[cells.first]                                  # (U, M)
    swg0 = cells.wuj.T @ bu                                  # (J, M) at the base weights
    gg0 = cells.wuj.T @ (bu * bu)
    sw0 = np.sum(cells.wuj, axis=0)
    inv0 = np.where(sw0 > 0, 1.0 / np.where(sw0 > 0, sw0, 1.0), 0.0)
    wgg = c @ gg0
    sxx = c @ (gg0 - swg0 * swg0 * inv0[:, None])             # centred within anchors
    sxy = cells.wyu @ bu - (swy * inv * c) @ swg0
    tiny = 1e-12 * np.maximum(np.abs(wgg), 1e-300)
    okx = sxx > tiny
    coef = np.where(okx, sxy / np.where(okx, sxx, 1.0), 0.0)
    rss = syy[:, None] - coef * sxy
    return rss, coef, sxx, sxy, syy


def offsets(w: FloatArray, y: FloatArray, fitted_shape: FloatArray,
            anchors: AnchorIndex) -> FloatArray:
    """Weighted per-anchor means of y - f: (R|1, n) -> (R, J) (NaN for empty anchors)."""
    sw = anchors.sums(w)
    num = anchors.sums(w * (y - fitted_shape))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(sw > 0, num / np.where(sw > 0, sw, 1.0), np.nan))


def _offsets_from_sums(swy: FloatArray, swf: FloatArray, inv: FloatArray) -> FloatArray:
    """:func:`offsets` from per-anchor sums a fit already has: ``(swy - swf) / sw``.

    ``swy`` and ``swf`` are the anchors' weighted sums of y and of the fitted shape,
    ``inv`` is ``1 / sw`` (0 for anchors without weight, which get NaN).
    """
    with np.errstate(invalid="ignore"):
        return np.asarray(np.where(inv > 0, (swy - swf) * inv, np.nan))


@dataclass
class _BatchFit:
    coef: FloatArray    # (R, p) internal coefficients
    phi: FloatArray     # (R,) internal nonlinear parameter (NaN if none)
    rss: FloatArray     # (R,)
    mu: FloatArray      # (R, J)


def batch_fit(family: CurveFamily, a: FloatArray, w: FloatArray, y: FloatArray,
              anchors: AnchorIndex, scale: float, fixed: _ProfileFixed | None = None,
              cells: Cells | None = None) -> _BatchFit:
    """Fit one profiled family to R replicates at once (weights and/or values vary).

    ``fixed`` is ``profile_fixed(w, y, anchors)`` when the caller fits several families
    to the same replicates, ``cells`` their sums per distinct window (:class:`Cells`).
    """
    if fixed is None:
        fixed = profile_fixed(w, y, anchors)
    if family.nonlinear:
        return _batch_fit_profiled(family, a, w, y, anchors, scale, fixed, cells)
    return _batch_fit_linear(family, a, w, y, anchors, scale, fixed, cells)


def _batch_fit_linear(family: CurveFamily, a: FloatArray, w: FloatArray, y: FloatArray,
                      anchors: AnchorIndex, scale: float, fixed: _ProfileFixed,
                      cells: Cells | None = None) -> _BatchFit:
    """A family linear in its coefficients: one column by the profile, more by the
    normal equations (within-anchor centred, a 1e-12 relative ridge)."""
    r = max(w.shape[0], y.shape[0])
    basis = family.design(a, None, scale)                   # (n, p)
    inv, swy, wy = fixed[0], fixed[1], fixed[2]
    p = basis.shape[1]
    if cells is not None and cells.c is not None:
        return _batch_fit_linear_reweighted(basis, fixed, cells, r)
    swg = _anchor_basis_sums(w, basis, anchors)              # (R|1, J, p)
    if p == 1:
        rss, coef, *_ = _profile(w, y, basis, anchors, fixed, cells)
        coef = np.broadcast_to(coef, (r, 1)).copy()
        rss = np.broadcast_to(rss, (r, 1))[:, 0].copy()
    else:
        xtx = np.einsum("rn,np,nq->rpq", w, basis, basis) - np.einsum(
            "rjp,rjq,rj->rpq", swg, swg, inv)
        wyb = wy @ basis if cells is None else cells.wyu @ basis[cells.first]
        xty = wyb - np.einsum("rjp,rj->rp", swg, swy * inv)
        syy = fixed[3]
        xtx = np.broadcast_to(xtx, (r, p, p))
        ridge = 1e-12 * np.trace(xtx, axis1=1, axis2=2)[:, None, None] * np.eye(p)
        coef = _solve_normal(xtx + ridge, xty)
        rss = syy - np.sum(coef * xty, axis=1)
    mu = _offsets_from_sums(swy, np.sum(swg * coef[:, None, :], axis=2), inv)
    return _BatchFit(coef, np.full(r, np.nan), rss, mu)


def _batch_fit_linear_reweighted(basis: FloatArray, fixed: _ProfileFixed, cells: Cells,
                                 r: int) -> _BatchFit:
    """:func:`_batch_fit_linear` of replicates whose anchors are reweighted
    (``cells.c``), from the per-anchor sums at the base weights."""
    assert cells.c is not None
    c = cells.c
    inv, swy, syy = fixed[0], fixed[1], fixed[3]
    p = basis.shape[1]
    if p == 1:
        rss, coef, *_ = _profile_reweighted(basis, inv, swy, syy, cells)
        coef = np.broadcast_to(coef, (r, 1)).copy()
        rss = np.broadcast_to(rss, (r, 1))[:, 0].copy()
    else:
        bu = basis[cells.first]                              # (U, p)
        swg0 = cells.wuj.T @ bu                              # (J, p)
        gg0 = np.einsum("uj,up,uq->jpq", cells.wuj, bu, bu)  # (J, p, p)
        sw0 = np.sum(cells.wuj, axis=0)
        inv0 = np.where(sw0 > 0, 1.0 / np.where(sw0 > 0, sw0, 1.0), 0.0)
        centred = gg0 - swg0[:, :, None] * swg0[:, None, :] * inv0[:, None, None]
        xtx = np.einsum("rj,jpq->rpq", c, centred)
        xty = cells.wyu @ bu - (swy * inv * c) @ swg0
        ridge = 1e-12 * np.trace(xtx, axis1=1, axis2=2)[:, None, None] * np.eye(p)
        coef = _solve_normal(xtx + ridge, xty)
        rss = syy - np.sum(coef * xty, axis=1)
    swf = c * ((cells.wuj.T @ basis[cells.first]) @ coef.T).T   # (R, J)
    mu = _offsets_from_sums(swy, swf, inv)
    return _BatchFit(coef, np.full(r, np.nan), rss, mu)


def _solve_normal(a: FloatArray, b: FloatArray) -> FloatArray:
    """Solve each replicate's normal equations ``a[r] x = b[r]``: (R, p, p), (R, p).

    A replicate whose system is singular (a pairs resample that leaves a coefficient
    unidentified, such as one window per anchor) gets the minimum-norm solution: 0 in
    the directions its data do not determine, as a single-column fit gets slope 0.
    """
    try:
        return np.asarray(np.linalg.solve(a, b[..., None])[..., 0], dtype=float)
    except np.linalg.LinAlgError:
        out = np.empty(b.shape)
        for i in range(a.shape[0]):
            try:
                out[i] = np.linalg.solve(a[i], b[i])
            except np.linalg.LinAlgError:
                out[i] = np.linalg.lstsq(a[i], b[i], rcond=None)[0]
        return out


def _batch_fit_profiled(family: CurveFamily, a: FloatArray, w: FloatArray, y: FloatArray,
                        anchors: AnchorIndex, scale: float, fixed: _ProfileFixed,
                        cells: Cells | None = None) -> _BatchFit:
    """A family with one nonlinear parameter: the grid profile, a parabolic step from
    each replicate's best grid point, and the refit there when it is better."""
    r = max(w.shape[0], y.shape[0])
    grid, logspaced, basis = grid_basis(family, a, scale)   # basis (n, M)
    rss, coef, *_ = _profile(w, y, basis, anchors, fixed, cells)
    # a grid value whose basis overflows (a power or exponential far out) cannot win
    rss = np.where(np.isfinite(rss), rss, np.inf)
    rss = np.broadcast_to(rss, (r, len(grid)))
    k = np.argmin(rss, axis=1)
    rows = np.arange(r)
    phi_new = _parabolic_step(grid, logspaced, rss, k)
    if cells is not None:
        # the basis at each replicate's parameter on the distinct windows only
        g = family.design(cells.ages, phi_new[:, None], scale)   # (R, U)
    else:
        # the basis at each replicate's parameter, on the distinct ages only (windows
        # of equal age share a value), then spread to the cells
        ages, at = np.unique(a, return_inverse=True)
        g = family.design(ages, phi_new[:, None], scale)[:, at.reshape(-1)]  # (R, n)
    swg, c_new, rss_new = refit_column(g, w, y, anchors, fixed, cells)
    inv = np.broadcast_to(fixed[0], (r, anchors.n_anchors))
    swy = np.broadcast_to(fixed[1], (r, anchors.n_anchors))
    better = rss_new <= rss[rows, k]
    phi = np.where(better, phi_new, grid[k])
    cf = np.where(better, c_new, np.broadcast_to(coef, (r, len(grid)))[rows, k])
    rs = np.where(better, rss_new, rss[rows, k])
    # anchor offsets from swg of the chosen basis column (the refined one, or the grid's)
    if not better.all():
        kept = ~better
        swg = swg.copy()
        if cells is not None:
            col = np.ascontiguousarray(basis[cells.first].T)[k[kept]] @ cells.wuj
            swg[kept] = col if cells.c is None else col * cells.c[kept]
        else:
            w_b = np.broadcast_to(w, (r, w.shape[1]))
            swg[kept] = anchors.sums(w_b[kept] * np.ascontiguousarray(basis.T)[k[kept]])
    mu = _offsets_from_sums(swy, cf[:, None] * swg, inv)
    return _BatchFit(cf[:, None], phi, rs, mu)


def refit_column(g: FloatArray, w: FloatArray, y: FloatArray, anchors: AnchorIndex,
                 fixed: _ProfileFixed, cells: Cells | None,
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each replicate's within-anchor centred regression on one basis column of its own
    (a refined nonlinear parameter): ``g`` is (R, U) on ``cells``' distinct windows, or
    (R, n) on the cells when ``cells`` is None. Returns the column's anchor sums (R, J),
    its coefficient and the residual sum of squares (R,)."""
    r = g.shape[0]
    # 1 / sw, w * y, its anchor sums and sum of w * y^2 are the profile's (same values)
    inv = np.broadcast_to(fixed[0], (r, anchors.n_anchors))
    swy = np.broadcast_to(fixed[1], (r, anchors.n_anchors))
    swyy = np.broadcast_to(fixed[4], (r,))
    if cells is not None:
        swg = cells.anchor_sums(g)
        sxx = cells.weighted_sum(g * g) - np.sum(swg * swg * inv, axis=1)
        sxy = np.sum(g * cells.wyu, axis=1) - np.sum(swg * swy * inv, axis=1)
    else:
        wg = np.broadcast_to(w, (r, w.shape[1])) * g
        swg = anchors.sums(wg)
        sxx = np.sum(wg * g, axis=1) - np.sum(swg * swg * inv, axis=1)
        sxy = (np.sum(wg * np.broadcast_to(y, (r, y.shape[1])), axis=1)
               - np.sum(swg * swy * inv, axis=1))
    syy = swyy - np.sum(swy * swy * inv, axis=1)
    okx = sxx > 1e-300
    c_new = np.where(okx, sxy / np.where(okx, sxx, 1.0), 0.0)
    return swg, c_new, syy - c_new * sxy


def _parabolic_step(grid: FloatArray, logspaced: bool, rss: FloatArray,
                    k: np.ndarray[Any, np.dtype[np.intp]]) -> FloatArray:
    """Vertex of the parabola through each row's best grid point and its neighbours, in
    grid coordinates (log phi for log-spaced grids), at most one grid step away."""
    t = np.log(grid) if logspaced else grid
    km = np.clip(k, 1, len(grid) - 2)
    rows = np.arange(rss.shape[0])
    f0, f1, f2 = rss[rows, km - 1], rss[rows, km], rss[rows, km + 1]
    den = f0 - 2 * f1 + f2
    step = t[km + 1] - t[km]
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(den > 0, 0.5 * (f0 - f2) / den, 0.0)
    off = np.clip(off, -1.0, 1.0)
    t_new = np.where((k == km), t[km] + off * step, t[k])
    return np.asarray(np.exp(t_new) if logspaced else t_new, dtype=float)


def bend_before(shape: Callable[[float], Any], age: float) -> Any:
    """``f(age) - age * f'(age)``: how far the curve at age 0 lies from the straight
    line through it at ``age`` (0 for a straight line; ``shape`` may return arrays, one
    value per replicate)."""
    h = 1e-4 * max(abs(age), 1e-9)
    slope = (np.asarray(shape(age + h), dtype=float)
             - np.asarray(shape(age - h), dtype=float)) / (2 * h)
    return np.asarray(shape(age), dtype=float) - age * slope


# ======================================================================= the fit hooks
def profile_fit(family: CurveFamily, d: _Data, w: FloatArray, sgn: float, scale: float,
                anchors: AnchorIndex) -> WeightedFit:
    """The ``fit`` hook of the profiled families: the batch fit of one replicate, the
    nonlinear parameter polished by a bounded optimiser, then the offsets."""
    bf = batch_fit(family, d.a, w[None, :], d.y[None, :], anchors, scale)
    phi = float(bf.phi[0])
    coef = bf.coef[0]
    if family.nonlinear:
        phi, coef = _polish_phi(family, d, w, anchors, scale, phi)
    user = family.user_params(coef, phi, scale)
    params = {k: float(v) for k, v in user.items()}
    fshape = np.asarray(family.shape(params, d.a), dtype=float)
    mu = offsets(w[None, :], d.y[None, :], fshape[None, :], anchors)[0]
    resid = d.y - mu[d.anc] - fshape
    rss = float(np.sum(w * resid * resid))
    return WeightedFit(params, mu, fshape, rss, phi)


def _polish_phi(family: CurveFamily, d: _Data, w: FloatArray, anchors: AnchorIndex,
                scale: float, phi: float) -> tuple[float, FloatArray]:
    """Minimise the profile's residual sum of squares over ``phi`` within two grid steps
    of the batch fit's value (kept unless the optimiser does better); the coefficient
    at the result."""
    assert family.grid is not None
    grid, logspaced = family.grid(d.a, scale)
    w1, y1 = w[None, :], d.y[None, :]
    fixed = profile_fixed(w1, y1, anchors)
    # _profile's coefficient for one column, without its batch shapes; the residual sum
    # of squares from the residuals themselves (syy - coef * sxy cancels to rounding
    # noise near a perfect fit, where the optimiser would then stop anywhere)
    inv, swy, wy = fixed[0][0], fixed[1][0], fixed[2][0]
    swy_inv = swy * inv
    # family.design's and anchors.sums' operations, without their per-call wrapping
    # (the optimiser calls this 25-35 times): the same values to the last bit
    assert family.basis is not None
    basis_fn, uu = family.basis, (d.a / scale)[:, None]
    starts, anc, y = anchors.starts, anchors.anc, d.y

    def rss_at(t: float) -> float:
        ph = math.exp(t) if logspaced else t
        g = np.asarray(basis_fn(uu, np.array([ph], dtype=float)), dtype=float)[:, 0]
        wg = w * g
        swg = np.add.reduceat(wg, starts)
        wgg = float(wg @ g)
        sxx = wgg - float((swg * swg) @ inv)
        sxy = float(wy @ g) - float(swg @ swy_inv)
        coef = sxy / sxx if sxx > 1e-12 * max(abs(wgg), 1e-300) else 0.0
        resid = y - ((swy - coef * swg) * inv)[anc] - coef * g
        return float(np.sum(w * resid * resid))

    t_all = np.log(grid) if logspaced else grid
    t0 = math.log(phi) if logspaced else phi
    k = int(np.argmin(np.abs(t_all - t0)))
    lo, hi = t_all[max(k - 2, 0)], t_all[min(k + 2, len(grid) - 1)]
    if hi > lo:
        x, fx = bounded_minimum(rss_at, float(lo), float(hi),
                                xatol=1e-10 * max(1.0, abs(hi - lo)))
        if fx <= rss_at(t0):
            phi = math.exp(x) if logspaced else x
    basis = family.design(d.a, np.array([phi]), scale)
    _, cf, *_ = _profile(w1, y1, basis, anchors, fixed)
    return phi, np.array([cf[0, 0]])


def profile_refit(family: CurveFamily, rep: Replicas) -> ReplicateFit:
    """The ``refit`` hook of the profiled families: one batch fit of every replicate."""
    bf = batch_fit(family, rep.d.a, rep.w, rep.y, rep.anchors, rep.scale,
                   rep.profile_fixed, rep.cells)
    with np.errstate(invalid="ignore"):
        level = np.nanmean(bf.mu, axis=1)
    user = family.user_params(bf.coef, bf.phi, rep.scale)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        thr = rep.threshold(rep.baseline_level(level, lambda a: family.shape(user, a)))
    cross = family.crossing_age(user, rep.sgn * (thr - level), rep.sgn)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        col = {k: np.asarray(v, dtype=float).reshape(-1, 1) for k, v in user.items()}
        values = level[:, None] + family.shape(col, rep.grid[None, :])
    return ReplicateFit(cross, np.asarray(values, dtype=float), bf.rss)


# ======================================================================= scalar search
_SQRT_EPS = math.sqrt(2.2e-16)
_GOLDEN = 0.5 * (3.0 - math.sqrt(5.0))


def bounded_minimum(func: Callable[[float], float], lo: float, hi: float,
                    xatol: float = 1e-5, maxiter: int = 500) -> tuple[float, float]:
    """``(x, f(x))`` at the minimum of ``func`` on ``[lo, hi]`` by Brent's bounded method.

    The steps of ``scipy.optimize.minimize_scalar(func, bounds=(lo, hi),
    method="bounded", options={"xatol": xatol, "maxiter": maxiter})``, operation for
    operation, so the result is the same to the last bit (``res.x``, ``res.fun``), in
    plain float arithmetic and without its per-call checks and result object: the fits
    run it thousands of times on cheap functions, where scipy's numpy-scalar arithmetic
    costs more than the function. ``lo <= hi`` finite (the callers' bounds).
    """
    a, b = lo, hi
    fulc = a + _GOLDEN * (b - a)
    nfc, xf = fulc, fulc
    rat = e = 0.0
    fx = func(xf)
    num = 1
    ffulc = fnfc = fx
    xm = 0.5 * (a + b)
    tol1 = _SQRT_EPS * abs(xf) + xatol / 3.0
    tol2 = 2.0 * tol1
    while abs(xf - xm) > (tol2 - 0.5 * (b - a)):
        golden = True
        if abs(e) > tol1:   # a parabolic step
            golden = False
            r = (xf - nfc) * (fx - ffulc)
            q = (xf - fulc) * (fx - fnfc)
            p = (xf - fulc) * q - (xf - nfc) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = abs(q)
            r = e
            e = rat
            if abs(p) < abs(0.5 * q * r) and p > q * (a - xf) and p < q * (b - xf):
                rat = (p + 0.0) / q
                x = xf + rat
                if (x - a) < tol2 or (b - x) < tol2:
                    rat = tol1 * _sign_or_one(xm - xf)
            else:
                golden = True
        if golden:          # a golden-section step
            e = (a - xf) if xf >= xm else (b - xf)
            rat = _GOLDEN * e
        x = xf + _sign_or_one(rat) * max(abs(rat), tol1)
        fu = func(x)
        num += 1
        if fu <= fx:
            if x >= xf:
                a = xf
            else:
                b = xf
            fulc, ffulc = nfc, fnfc
            nfc, fnfc = xf, fx
            xf, fx = x, fu
        else:
            if x < xf:
                a = x
            else:
                b = x
            if fu <= fnfc or nfc == xf:
                fulc, ffulc = nfc, fnfc
                nfc, fnfc = x, fu
            elif fu <= ffulc or fulc == xf or fulc == nfc:  # noqa: SIM109 - as scipy
                fulc, ffulc = x, fu
        xm = 0.5 * (a + b)
        tol1 = _SQRT_EPS * abs(xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        if num >= maxiter:
            break
    return float(xf), float(fx)


def _sign_or_one(v: float) -> float:
    """``np.sign(v) + (v == 0)``: the sign, 1 for 0 (NaN stays NaN)."""
    if v > 0:
        return 1.0
    if v < 0:
        return -1.0
    return 1.0 if v == 0 else v


# ======================================================================= variance
def pm_tau2(resid: FloatArray, se2: FloatArray, df: int) -> float:
    """Paule-Mandel (generalised Q) estimate: sum r^2 / (se^2 + tau2) = df."""
    from scipy import optimize
    r2 = resid * resid
    if df <= 0 or not np.all(np.isfinite(r2)):
        return 0.0
    if np.all(se2 == 0):
        return float(np.sum(r2) / df)
    if float(np.sum(r2 / np.maximum(se2, 1e-300))) <= df:
        return 0.0
    hi = float(np.sum(r2) / df)

    def q(t: float) -> float:
        # a window with se = 0 and a zero residual adds 0, not 0/0
        return float(np.sum(r2 / np.maximum(se2 + t, 1e-300))) - df

    if q(hi) > 0:  # cannot happen mathematically; guard rounding
        return hi
    return float(optimize.brentq(q, 0.0, hi, xtol=1e-14 * max(hi, 1e-300)))


def ml_loglik(resid: FloatArray, se2: FloatArray) -> float:
    """Gaussian log-likelihood with variance se^2 + tau2, tau2 at its ML value."""
    r2 = resid * resid
    if np.all(se2 == 0):
        v = max(float(np.mean(r2)), 1e-300)
        return -0.5 * len(r2) * (math.log(2 * math.pi * v) + 1.0)

    def nll(t: float) -> float:
        v = se2 + math.exp(t)
        return 0.5 * float(np.sum(np.log(2 * math.pi * v) + r2 / v))

    ref = max(float(np.mean(r2)), float(np.mean(se2)), 1e-300)
    _, fun = bounded_minimum(nll, math.log(ref) - 30, math.log(ref) + 2)
    zero = 0.5 * float(np.sum(np.log(2 * math.pi * np.maximum(se2, 1e-300))
                              + r2 / np.maximum(se2, 1e-300)))
    return -min(fun, zero)


# ======================================================================= linearisation
def shape_jacobian(family: CurveFamily, params: dict[str, float], a: FloatArray,
                   half: FloatArray | None = None) -> FloatArray:
    """Derivatives of the window means of f wrt the shape parameters: (n, p), central
    differences. The full Jacobian of the fitted values is ``[onehot | this]``."""
    cols = []
    for nm in family.params:
        h = 1e-6 * max(abs(params[nm]), 1e-8)
        p1, p2 = dict(params), dict(params)
        p1[nm] += h
        p2[nm] -= h
        cols.append((family.mean_shape(p1, a, half) - family.mean_shape(p2, a, half))
                    / (2 * h))
    if not cols:
        return np.zeros((len(a), 0))
    return np.column_stack(cols).astype(float)


@dataclass(frozen=True, eq=False)
class Linearised:
    """A fit linearised at its parameters, columns scaled to unit weighted norm.

    The Jacobian of the fitted values wrt (offsets, shape parameters) is ``[onehot | G]``;
    divided by its columns' weighted norms ``norm`` (pinv's cut-off then does not depend
    on the metric's units) it is ``[onehot * s | gn]``. ``info`` is its weighted cross
    product ``J^T W J`` ((J + p) square), built from per-anchor sums: the dense (n, J)
    indicator part is never formed.
    """

    anchors: AnchorIndex
    s: FloatArray      # (J,) 1 / norm of each anchor's column (1 where it has no weight)
    gn: FloatArray     # (n, p) shape columns over their norms
    norm: FloatArray   # (J + p,) every column's norm (1 where zero)
    info: FloatArray   # (J + p, J + p)

    @classmethod
    def of(cls, family: CurveFamily, params: dict[str, float], a: FloatArray,
           w: FloatArray, anchors: AnchorIndex, half: FloatArray | None = None
           ) -> Linearised:
        g = shape_jacobian(family, params, a, half)
        sw = anchors.sums(w)
        norm_a = np.sqrt(sw)
        norm_g = np.sqrt(np.einsum("ip,i,ip->p", g, w, g))
        norm_a = np.where(norm_a > 0, norm_a, 1.0)
        norm_g = np.where(norm_g > 0, norm_g, 1.0)
        gn = g / norm_g
        jn = anchors.n_anchors
        info = np.zeros((jn + g.shape[1],) * 2)
        info[np.arange(jn), np.arange(jn)] = sw / norm_a**2
        cross = anchors.sums((w[:, None] * gn).T).T / norm_a[:, None]  # (J, p)
        info[:jn, jn:] = cross
        info[jn:, :jn] = cross.T
        info[jn:, jn:] = (gn * w[:, None]).T @ gn
        return cls(anchors, 1.0 / norm_a, gn, np.r_[norm_a, norm_g], info)

    def info_inverse(self) -> FloatArray:
        """The pseudo-inverse of ``info``. Its anchor block is diagonal, so when every
        anchor has weight and the shape block's Schur complement is well conditioned
        the inverse is the block formula, O(J p^2); else ``np.linalg.pinv`` (an SVD of
        the whole (J + p) square)."""
        jn = self.anchors.n_anchors
        diag = np.diagonal(self.info)[:jn]
        p = self.info.shape[0] - jn
        if np.all(diag > 0):
            c, b = self.info[:jn, jn:], self.info[jn:, jn:]
            ci = c / diag[:, None]
            schur = b - c.T @ ci
            ev = np.linalg.eigvalsh(schur) if p else np.ones(1)
            if ev.min() > 1e-10 * max(float(ev.max()), 1e-300):
                s_inv = np.linalg.inv(schur) if p else np.zeros((0, 0))
                out = np.empty_like(self.info)
                out[:jn, :jn] = ci @ s_inv @ ci.T
                out[np.arange(jn), np.arange(jn)] += 1.0 / diag
                out[:jn, jn:] = -ci @ s_inv
                out[jn:, :jn] = out[:jn, jn:].T
                out[jn:, jn:] = s_inv
                return out
        return np.asarray(np.linalg.pinv(self.info), dtype=float)

    def hat_block(self, idx: np.ndarray[Any, np.dtype[np.intp]], info_inv: FloatArray,
                  w: FloatArray) -> FloatArray:
        """Rows and columns ``idx`` of the weighted hat matrix ``J M J^T W`` (``M`` =
        ``info_inv``), in O(len(idx) * (J + p)) without the dense Jacobian. ``idx`` may
        be (k, s): k blocks of s cells at once, result (k, s, s)."""
        jn = self.anchors.n_anchors
        anc = self.anchors.anc[idx]
        s, gn = self.s[anc], self.gn[idx]
        left = info_inv[anc, :] * s[..., None] + gn @ info_inv[jn:, :]   # rows of J M
        if idx.ndim == 1:
            return np.asarray(left[:, anc] * (s * w[idx])[None, :]
                              + left[:, jn:] @ (gn * w[idx, None]).T, dtype=float)
        own = np.take_along_axis(left, np.broadcast_to(anc[:, None, :], (*idx.shape,
                                                                          idx.shape[1])),
                                 axis=2)
        return np.asarray(own * (s * w[idx])[:, None, :]
                          + left[..., jn:] @ np.swapaxes(gn * w[idx][..., None], 1, 2),
                          dtype=float)


def jackknife_residuals(family: CurveFamily, params: dict[str, float], d: _Data,
                        w: FloatArray, resid: FloatArray, clusters: IntArray,
                        anchors: AnchorIndex) -> FloatArray:
    """Residuals ``(I - H_gg)^-1 r_g`` per cluster (delete-one-cluster prediction errors).

    ``H`` is the weighted hat matrix of the model linearised at the fit (offsets and
    shape parameters, the window means of the shape).
    """
    lin = Linearised.of(family, params, d.a, w, anchors, d.half)
    info_inv = lin.info_inverse()
    out = np.zeros_like(resid)
    order = np.argsort(clusters, kind="stable")
    bounds = np.searchsorted(clusters[order], np.arange(int(clusters.max()) + 2))
    sizes = np.diff(bounds)
    # clusters of one size at once: their blocks stacked, one batched SVD
    for size in np.unique(sizes[sizes > 0]):
        starts = bounds[:-1][sizes == size]
        idx = order[starts[:, None] + np.arange(size)]          # (k, size)
        m = np.eye(size) - lin.hat_block(idx, info_inv, w)
        out[idx] = leverage_corrected(m, resid[idx])
    return out


def leverage_corrected(m: FloatArray, r: FloatArray) -> FloatArray:
    """``m^-1 r`` for ``m = I - H_gg`` (the jackknife residuals of one cluster; or of a
    stack of clusters of one size: ``m`` (k, s, s), ``r`` (k, s)).

    A direction in which the cluster's own parameters fit it exactly (singular value
    0: an age seen by this cluster alone) carries no residual and stays 0; a nearly
    exact one (a step located by one window) is inflated at most tenfold, not by the
    reciprocal of a rounding error.
    """
    u, sv, vt = np.linalg.svd(m)
    inv = np.where(sv > 1e-8, 1.0 / np.maximum(sv, 0.1), 0.0)
    if m.ndim == 2:
        return np.asarray(vt.T @ (inv * (u.T @ r)), dtype=float)
    # a stack of blocks (k, s, s) and their residuals (k, s)
    ur = (np.swapaxes(u, 1, 2) @ r[..., None])[..., 0]
    return np.asarray((np.swapaxes(vt, 1, 2) @ (inv * ur)[..., None])[..., 0], dtype=float)


def param_cov(family: CurveFamily, params: dict[str, float], w: FloatArray,
              fitted: FloatArray, d: _Data, anchors: AnchorIndex
              ) -> tuple[tuple[float, ...], ...]:
    """Covariance of (level, *params) by the delta method on the weighted fit."""
    names = family.params
    lin = Linearised.of(family, params, d.a, w, anchors, d.half)
    k = lin.info.shape[0]
    resid = d.y - fitted
    dof = max(d.n - k, 1)
    s2 = max(float(np.sum(w * resid * resid)) / dof, 1e-300) if d.equal else max(
        1.0, float(np.sum(w * resid * resid)) / dof)
    try:
        cov_full = lin.info_inverse() * s2 / np.outer(lin.norm, lin.norm)
    except np.linalg.LinAlgError:  # pragma: no cover
        return ()
    jn = d.n_anchors
    tr = np.zeros((1 + len(names), k))
    tr[0, :jn] = 1.0 / jn
    for i in range(len(names)):
        tr[1 + i, jn + i] = 1.0
    cov = tr @ cov_full @ tr.T
    return tuple(tuple(float(v) for v in row) for row in cov)
