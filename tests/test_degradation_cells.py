"""The bootstrap refits' sums per distinct window (``oot.degradation._wls.Cells``).

With weights shared by every replicate, the refits sum over the distinct windows
instead of every cell. These tests check the sums against a dense indicator product,
the refits against the cell-by-cell path and against plain least squares, and that the
path is only taken when it applies.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from oot.datasets import make_degradation_scores
from oot.degradation._calendar import prepared
from oot.degradation._data import _Data
from oot.degradation._families import get_family, parametric_family_names
from oot.degradation._wls import Cells, Replicas


def _data(n_anchors: int = 6, n_windows: int = 12, seed: int = 0) -> _Data:
    ev = make_degradation_scores(n_anchors=n_anchors, n_windows=n_windows,
                                 shape="exponential", random_state=seed).to_evaluation()
    return prepared(ev, "baseline", "none")


def _replicas(d: _Data, w: np.ndarray, y: np.ndarray, cells: bool,
              anchor_weights: np.ndarray | None = None) -> Replicas:
    grid = np.linspace(0.0, float(d.a.max()), 9)
    base_w = None
    if anchor_weights is not None:     # w: the base weights, reweighted by anchor
        base_w, w = w[0], w * anchor_weights[:, d.anc]
    rep = Replicas(d, w, y, d.anchor_index(), -1.0, float(d.a.max()), grid,
                   lambda level: level - 0.04, base_w=base_w,
                   anchor_weights=anchor_weights)
    if not cells:
        rep.__dict__["cells"] = None   # the cached property: force the cell-by-cell path
    return rep


def _noisy(d: _Data, r: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = 1.0 / (d.se2 + 1e-5)
    y = d.y[None, :] + rng.normal(0.0, 0.01, size=(r, d.n))
    return w[None, :], y


def test_sums_match_a_dense_indicator_product() -> None:
    d = _data()
    w, y = _noisy(d, 5, 1)
    cells = Cells.of(w, w * y, d.a, d.half, d.anchor_index())
    assert cells is not None
    pairs = np.column_stack([d.a, d.half])
    # one row per distinct window; a cell of each group has that window
    assert len(np.unique(pairs, axis=0)) == len(cells.ages)
    np.testing.assert_array_equal(pairs[cells.first], np.column_stack([cells.ages,
                                                                       cells.halves]))
    member = np.all(pairs[:, None, :] == np.column_stack([cells.ages, cells.halves])[None],
                    axis=2).astype(float)                       # (n, U) indicator
    onehot = d.onehot()
    np.testing.assert_allclose(cells.wu, w[0] @ member, rtol=1e-13)
    np.testing.assert_allclose(cells.wuj, (member * w[0][:, None]).T @ onehot, rtol=1e-13)
    np.testing.assert_allclose(cells.wyu, (w * y) @ member, rtol=1e-13)


def test_not_taken_when_weights_vary_or_windows_are_distinct() -> None:
    d = _data()
    w, y = _noisy(d, 4, 2)
    anchors = d.anchor_index()
    varying = w * np.linspace(0.5, 1.5, 4)[:, None]
    assert Cells.of(varying, varying * y, d.a, d.half, anchors) is None
    one = _data(n_anchors=1, n_windows=12)         # every window its own age
    w1, y1 = _noisy(one, 3, 3)
    assert Cells.of(w1, w1 * y1, one.a, one.half, one.anchor_index()) is None


@pytest.mark.parametrize("name", [*parametric_family_names()])
def test_refits_equal_the_cell_by_cell_path(name: str) -> None:
    d = _data(seed=4)
    w, y = _noisy(d, 40, 5)
    family = get_family(name)
    rep = _replicas(d, w, y, cells=True)
    assert rep.cells is not None
    new = family.refit_replicates(rep)
    old = family.refit_replicates(_replicas(d, w, y, cells=False))
    np.testing.assert_allclose(new.rss, old.rss, rtol=1e-9)
    np.testing.assert_allclose(new.crossing, old.crossing, rtol=1e-7)
    np.testing.assert_allclose(new.values, old.values, rtol=1e-9)


@pytest.mark.parametrize("name", [*parametric_family_names()])
def test_reweighted_anchors_equal_the_cell_by_cell_path(name: str) -> None:
    # weights w0_i * c_rj (the bootstrap's resample_anchors): per-anchor sums
    d = _data(seed=9)
    w, y = _noisy(d, 30, 10)
    c = np.random.default_rng(12).dirichlet(np.ones(d.n_anchors), size=30) * d.n_anchors
    family = get_family(name)
    rep = _replicas(d, w, y, cells=True, anchor_weights=c)
    assert rep.cells is not None
    assert rep.cells.c is not None
    new = family.refit_replicates(rep)
    old = family.refit_replicates(_replicas(d, w, y, cells=False, anchor_weights=c))
    np.testing.assert_allclose(new.rss, old.rss, rtol=1e-9)
    np.testing.assert_allclose(new.crossing, old.crossing, rtol=1e-7)
    np.testing.assert_allclose(new.values, old.values, rtol=1e-9)


@pytest.mark.parametrize("reweighted", [False, True])
@pytest.mark.parametrize("name", ["linear", "quadratic"])
def test_linear_refits_equal_least_squares(name: str, reweighted: bool) -> None:
    # the families linear in their coefficients against lstsq with the dense design
    d = _data(seed=6)
    w, y = _noisy(d, 8, 7)
    c = (np.random.default_rng(13).dirichlet(np.ones(d.n_anchors), size=8) * d.n_anchors
         if reweighted else None)
    family = get_family(name)
    rep = _replicas(d, w, y, cells=True, anchor_weights=c)
    assert rep.cells is not None
    fit = family.refit_replicates(rep)
    u = d.a / float(d.a.max())
    cols = [u] if name == "linear" else [u, u * u]
    x = np.column_stack([d.onehot(), *cols])
    for i in range(y.shape[0]):
        wi = w[0] if c is None else w[0] * c[i, d.anc]
        sw = np.sqrt(wi)
        beta, *_ = np.linalg.lstsq(x * sw[:, None], y[i] * sw, rcond=None)
        resid = y[i] - x @ beta
        assert fit.rss[i] == pytest.approx(float(np.sum(wi * resid * resid)), rel=1e-9)


# ----------------------------------------------------------------- the bounded search
def _funcs() -> list[tuple[Any, ...]]:
    rng = np.random.default_rng(11)
    x = rng.normal(size=50)
    return [
        ("parabola", lambda t: (t - 0.3) ** 2, -2.0, 3.0, 1e-5),
        ("flat-edge", lambda t: float(np.exp(t)), -1.0, 1.0, 1e-10),
        ("two-minima", lambda t: np.sin(3 * t) + 0.1 * t * t, -4.0, 4.0, 1e-8),
        ("sum", lambda t: float(np.sum(np.log1p((x - t) ** 2))), -3.0, 3.0, 1e-10),
        ("constant", lambda t: 1.0, 0.0, 1.0, 1e-5),
        ("point", lambda t: t * t, 0.5, 0.5, 1e-5),
    ]


@pytest.mark.parametrize("case", _funcs(), ids=lambda c: c[0])
def test_bounded_minimum_is_scipys_bounded_brent(case: tuple[Any, ...]) -> None:
    from scipy import optimize

    from oot.degradation._wls import bounded_minimum

    _, func, lo, hi, xatol = case
    calls: list[float] = []

    def counted(t: float) -> float:
        calls.append(float(t))
        return float(func(t))

    res = optimize.minimize_scalar(counted, bounds=(lo, hi), method="bounded",
                                   options={"xatol": xatol})
    ref_calls, calls[:] = list(calls), []
    x, fx = bounded_minimum(counted, lo, hi, xatol=xatol)
    assert calls == ref_calls          # the same points, in the same order
    assert x == float(res.x)
    assert fx == float(res.fun)


def test_bounded_minimum_stops_at_maxiter() -> None:
    from scipy import optimize

    from oot.degradation._wls import bounded_minimum

    res = optimize.minimize_scalar(lambda t: abs(t - 0.123), bounds=(0.0, 1.0),
                                   method="bounded", options={"xatol": 1e-14,
                                                              "maxiter": 7})
    x, fx = bounded_minimum(lambda t: abs(t - 0.123), 0.0, 1.0, xatol=1e-14, maxiter=7)
    assert (x, fx) == (float(res.x), float(res.fun))


# ----------------------------------------------------------------- jackknife residuals
@pytest.mark.parametrize("name", ["linear", "exponential", "logistic"])
def test_stacked_jackknife_residuals_equal_the_dense_hat_matrix(name: str) -> None:
    from oot.degradation import fit_degradation
    from oot.degradation._wls import (
        Linearised,
        jackknife_residuals,
        leverage_corrected,
        shape_jacobian,
    )

    ev = make_degradation_scores(n_anchors=5, n_windows=10, shape="exponential",
                                 random_state=8).to_evaluation()
    c = fit_degradation(ev, curve=name, calendar="none")
    d = prepared(ev, "baseline", "none")
    family = get_family(name)
    w = 1.0 / (d.se2 + c.tau2)
    anchors = d.anchor_index()
    fitted = np.array([c.offsets[lab] for lab in d.anchors])[d.anc] + family.mean_shape(
        c.params, d.a, d.half)
    resid = d.y - fitted
    clusters = d.clusters
    assert clusters is not None
    # clusters of several sizes (the oldest and youngest periods: one anchor each)
    assert len(np.unique(np.bincount(clusters))) > 2
    lin = Linearised.of(family, c.params, d.a, w, anchors, d.half)
    inv = lin.info_inverse()
    # stacked hat blocks: each block as the single-block call computes it
    idx = np.array([[0, 3, 5], [1, 2, 7], [4, 6, 9]])
    stacked = lin.hat_block(idx, inv, w)
    for k in range(3):
        np.testing.assert_allclose(stacked[k], lin.hat_block(idx[k], inv, w), rtol=1e-12,
                                   atol=1e-15)
    # the residuals against the dense hat matrix, one cluster at a time
    jac = np.hstack([d.onehot(), shape_jacobian(family, c.params, d.a, d.half)])
    hat = jac @ np.linalg.pinv(jac.T @ (w[:, None] * jac)) @ (jac * w[:, None]).T
    expect = np.zeros(d.n)
    for g in range(int(clusters.max()) + 1):
        rows = np.flatnonzero(clusters == g)
        m = np.eye(rows.size) - hat[np.ix_(rows, rows)]
        expect[rows] = leverage_corrected(m, resid[rows])
    got = jackknife_residuals(family, c.params, d, w, resid, clusters, anchors)
    np.testing.assert_allclose(got, expect, rtol=1e-7, atol=1e-9 * np.abs(resid).max())
