"""Curve fits and the bootstrap at scale: per-anchor sums without the dense indicator
matrix, the linearisation from those sums, and replicates refitted in bounded blocks.

The references are brute force: the dense (n, J) indicator matrix, the dense Jacobian and
``np.linalg.pinv``, and the bootstrap run in one block.
"""

from __future__ import annotations

import tracemalloc
import warnings
from typing import Any

import numpy as np
import pytest

from oot.datasets import make_degradation_scores
from oot.degradation import _bootstrap, bootstrap_crossing, fit_degradation
from oot.degradation._data import AnchorIndex, prepare
from oot.degradation._families import get_family
from oot.degradation._wls import Linearised, param_cov, shape_jacobian

FAMILIES = ["linear", "quadratic", "exponential", "hinge"]


def _evaluation(n_anchors: int = 7, n_windows: int = 9, seed: int = 0,
                shape: str = "linear") -> Any:
    return make_degradation_scores(n_anchors=n_anchors, n_windows=n_windows, shape=shape,
                                   random_state=seed).to_evaluation()


def _dense(anc: np.ndarray, n_anchors: int) -> np.ndarray:
    out = np.zeros((len(anc), n_anchors))
    out[np.arange(len(anc)), anc] = 1.0
    return out


@pytest.mark.parametrize("seed", range(5))
def test_anchor_sums_equal_the_product_with_the_indicator_matrix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, size=rng.integers(1, 8))
    anc = np.repeat(np.arange(len(sizes)), sizes)
    idx = AnchorIndex.of(anc, len(sizes))
    x = rng.normal(size=(3, len(anc)))
    np.testing.assert_allclose(idx.sums(x), x @ _dense(anc, len(sizes)), rtol=1e-13,
                               atol=1e-13)
    np.testing.assert_allclose(idx.sums(x[0]), x[0] @ _dense(anc, len(sizes)),
                               rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(idx.dense(), _dense(anc, len(sizes)))


def test_anchor_index_needs_sorted_non_empty_anchors() -> None:
    with pytest.raises(AssertionError, match="sorted by anchor"):
        AnchorIndex.of(np.array([0, 1, 0]), 2)
    with pytest.raises(AssertionError, match="non-empty"):
        AnchorIndex.of(np.array([0, 0, 2]), 3)


@pytest.mark.parametrize("family", FAMILIES)
def test_linearisation_equals_the_dense_jacobian(family: str) -> None:
    ev = _evaluation(shape="linear" if family == "hinge" else family)
    c = fit_degradation(ev, curve=family)
    d = prepare(ev, "baseline")
    fam = get_family(family)
    w = 1.0 / (d.se2 + c.tau2)
    idx = d.anchor_index()
    lin = Linearised.of(fam, c.params, d.a, w, idx, d.half)
    # brute force: the dense Jacobian [onehot | dshape], unit-norm columns, pinv
    jac = np.hstack([_dense(d.anc, d.n_anchors), shape_jacobian(fam, c.params, d.a, d.half)])
    norm = np.sqrt(np.einsum("ip,i,ip->p", jac, w, jac))
    js = jac / norm
    info = js.T @ (w[:, None] * js)
    np.testing.assert_allclose(lin.norm, norm, rtol=1e-12)
    np.testing.assert_allclose(lin.info, info, rtol=1e-10, atol=1e-12)
    inv = np.linalg.pinv(info)
    np.testing.assert_allclose(lin.info_inverse(), inv, rtol=1e-6, atol=1e-8 * np.abs(
        inv).max())
    hat = js @ inv @ (js * w[:, None]).T
    rows = np.flatnonzero(np.isin(d.anc, [0, 2]))[::2]
    np.testing.assert_allclose(lin.hat_block(rows, inv, w), hat[np.ix_(rows, rows)],
                               rtol=1e-8, atol=1e-10)
    # the covariance the curve reports, against the dense one
    fitted = np.array([c.offsets[lab] for lab in d.anchors])[d.anc] + c._f(d.a)
    resid = d.y - fitted
    s2 = max(1.0, float(np.sum(w * resid * resid)) / max(d.n - jac.shape[1], 1))
    cov = np.linalg.pinv(info) * s2 / np.outer(norm, norm)
    tr = np.zeros((1 + len(fam.params), jac.shape[1]))
    tr[0, :d.n_anchors] = 1.0 / d.n_anchors
    for i in range(len(fam.params)):
        tr[1 + i, d.n_anchors + i] = 1.0
    want = tr @ cov @ tr.T
    got = np.array(param_cov(fam, c.params, w, fitted, d, idx))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12 * np.abs(want).max())


def test_a_singular_information_matrix_falls_back_to_the_pseudo_inverse() -> None:
    # every anchor scored at one age only: the slope is not identified within anchors
    ev = _evaluation(n_anchors=4, n_windows=1)
    d = prepare(ev, "baseline")
    fam = get_family("linear")
    lin = Linearised.of(fam, {"b": -1e-3}, d.a, np.ones(d.n), d.anchor_index())
    np.testing.assert_allclose(lin.info_inverse(), np.linalg.pinv(lin.info), atol=1e-12)


def _boot(ev: Any, curve: Any, method: str, n: int = 60) -> Any:
    return bootstrap_crossing(ev, curve, tolerance=0.05, n_bootstrap=n, random_state=3,
                              method=method)


@pytest.mark.parametrize("method", ["wild", "pairs"])
@pytest.mark.parametrize("curve", ["linear", "exponential", "isotonic", "auto"])
def test_replicates_in_blocks_equal_one_block(monkeypatch: pytest.MonkeyPatch,
                                              method: str, curve: str) -> None:
    ev = _evaluation(n_anchors=5, n_windows=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # isotonic / auto on few windows may warn
        c = fit_degradation(ev, curve=curve)
        whole = _boot(ev, c, method)
        assert _bootstrap._chunk_size(prepare(ev, "baseline")) >= 60  # one block
        monkeypatch.setattr(_bootstrap, "_CHUNK_BYTES", 1)  # one replicate per block
        assert _bootstrap._chunk_size(prepare(ev, "baseline")) == 1
        blocks = _boot(ev, c, method)
    np.testing.assert_allclose(blocks.samples, whole.samples, rtol=1e-9)
    np.testing.assert_allclose(blocks.band_low, whole.band_low, rtol=1e-9)
    np.testing.assert_allclose(blocks.band_high, whole.band_high, rtol=1e-9)
    assert (blocks.low, blocks.high) == pytest.approx((whole.low, whole.high), rel=1e-9)


@pytest.mark.parametrize("method", ["pairs"])  # wild draws the same blocks (see above);
def test_bootstrap_memory_does_not_grow_with_the_replicates(  # its jackknife is slow
        monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    # 60 anchors x 60 windows (3600 cells), blocks of 4 MB (9 replicates): the old code
    # held a dozen (R, n) arrays at once, 14 MB more for 400 replicates than for 50
    monkeypatch.setattr(_bootstrap, "_CHUNK_BYTES", 4 * 2**20)
    ev = _evaluation(n_anchors=60, n_windows=60)
    c = fit_degradation(ev, curve="linear")
    assert _bootstrap._chunk_size(prepare(ev, "baseline")) < 50
    peaks = []
    for r in (50, 400):
        tracemalloc.start()
        b = _boot(ev, c, method, n=r)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # more replicates add their draws (one number per cluster) and results (a crossing
    # and a band of 61 ages; the quantiles copy it), not another block of (R, n) arrays
    assert peaks[1] - peaks[0] < 350 * 8 * (b.n_clusters + 4 * 61 + 8)
    assert max(peaks) < 64 * 2**20  # the old code: 138 MB at 400 replicates


@pytest.mark.parametrize("seed", range(3))
def test_pairs_replicates_with_an_unidentified_shape_do_not_fail(seed: int) -> None:
    # 2 anchors x 3 windows: some resamples keep one window per anchor, where the
    # quadratic's normal equations are singular (numpy raised LinAlgError for them all)
    ev = make_degradation_scores(n_anchors=2, n_windows=3, shape="quadratic",
                                 random_state=seed).to_evaluation()
    c = fit_degradation(ev, curve="quadratic")
    b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=300, random_state=seed,
                           method="pairs")
    assert not np.any(np.isnan(b.samples))
    assert b.low <= b.high


def test_singular_normal_equations_get_the_minimum_norm_solution() -> None:
    from oot.degradation._wls import _solve_normal

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6, 2))
    x[1, :, 1] = 0.0                      # second coefficient unidentified
    x[3] = 0.0                            # nothing identified
    a = np.einsum("rnp,rnq->rpq", x, x)
    b = np.einsum("rnp,rn->rp", x, rng.normal(size=(4, 6)))
    got = _solve_normal(a, b)
    for i in range(4):
        np.testing.assert_allclose(got[i], np.linalg.pinv(a[i]) @ b[i], atol=1e-12)
    np.testing.assert_array_equal(got[3], 0.0)
