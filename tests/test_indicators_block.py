"""The numeric indicators' block kernel against independent computations.

:func:`numeric_block_windows` bounds the KS statistic on a grid of buckets and locates
only the values near the largest gap among the training values; these tests check that
the shortcut never changes a value: KS against ``scipy.stats.ks_2samp`` and PSI against
the hand formula of ``test_indicators``, on samples large enough that most buckets are
pruned, on values placed at and next to the bucket boundaries, on heavy tails, ties,
missing values and degenerate ranges, column by column of one block.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy.stats import ks_2samp

from oot.evaluate._drift import (
    GRID,
    NumericReference,
    _buckets,
    numeric_block_windows,
    numeric_windows,
)
from tests.test_indicators import hand_bins, hand_psi


def hand_numeric_psi(ref: np.ndarray, sample: np.ndarray, *, with_missing: bool) -> float:
    """``test_indicators``' hand PSI, its counts vectorised: a value's bin is the
    number of edges below it (comparisons, no search)."""
    edges = np.array(hand_bins(ref))

    def counts(x: np.ndarray) -> list[float]:
        fin = x[np.isfinite(x)]
        bins = (fin[:, None] > edges[None, :]).sum(axis=1)
        out = np.bincount(bins, minlength=len(edges) + 1).tolist()
        return out + ([len(x) - len(fin)] if with_missing else [])

    return hand_psi(counts(ref), counts(sample))


def _check(train: np.ndarray, ev: np.ndarray, starts: np.ndarray, stops: np.ndarray,
           got: tuple[np.ndarray, ...] | None = None) -> None:
    """Every (column, window) of the block (``got``, else :func:`numeric_block_windows`'
    result) equals scipy's KS and the hand PSI."""
    p = train.shape[1]
    if got is None:
        refs = [NumericReference.from_values(train[:, j]) for j in range(p)]
        got = numeric_block_windows(refs, ev, starts, stops)
    psi, psi_st, ks, ks_st = got
    lo_all, hi_all = int(starts.min()), int(stops.max())
    for j in range(p):
        t = train[:, j]
        fin = t[np.isfinite(t)]
        with_missing = not (np.isfinite(t).all()
                            and np.isfinite(ev[lo_all:hi_all, j]).all())
        for w, (a, b) in enumerate(zip(starts, stops, strict=True)):
            v = ev[a:b, j]
            vf = v[np.isfinite(v)]
            if b <= a:
                assert ks_st[j, w] == psi_st[j, w] == 1
                continue
            if len(fin) == 0:
                assert ks_st[j, w] == psi_st[j, w] == 4
                continue
            if len(vf) == 0:
                assert ks_st[j, w] == 2
            else:
                assert ks_st[j, w] == 0
                assert ks[j, w] == pytest.approx(ks_2samp(fin, vf).statistic,
                                                 rel=0, abs=1e-12), (j, w)
            if len(np.unique(fin)) < 2:
                assert psi_st[j, w] == 3
            else:
                assert psi[j, w] == pytest.approx(
                    hand_numeric_psi(t, v, with_missing=with_missing), rel=1e-12,
                    abs=1e-15), (j, w)


def _windows(rng: np.random.Generator, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    cuts = np.sort(rng.integers(0, m, k - 1))
    starts = np.concatenate(([0], cuts))
    stops = np.concatenate((cuts, [m]))
    return starts, stops


@pytest.mark.parametrize("seed", range(3))
def test_large_samples_where_most_buckets_are_pruned(seed: int) -> None:
    """Tens of thousands of values per column: a few dozen of the grid's buckets are
    refined per window, and every statistic is still scipy's."""
    rng = np.random.default_rng(seed)
    n, m = 20_000, 30_000
    train = np.column_stack([
        rng.normal(size=n),                          # the B12 case
        rng.lognormal(0.0, 2.0, size=n),             # a long tail
        rng.standard_cauchy(size=n),                 # outliers past the grid
        np.round(rng.normal(size=n), 2),             # ties within and across
        rng.integers(0, 30, n).astype(float),        # few distinct values
    ])
    shift = rng.uniform(-0.05, 0.05)
    ev = np.column_stack([
        rng.normal(shift, 1.0, size=m),
        rng.lognormal(shift, 2.0, size=m),
        rng.standard_cauchy(size=m) + shift,
        np.round(rng.normal(shift, size=m), 2),
        rng.integers(0, 31, m).astype(float),
    ])
    _check(train, ev, *_windows(rng, m, 8))


def test_values_at_and_next_to_the_bucket_boundaries() -> None:
    """Window values equal to training values and one ulp either side of them, with
    the training values chosen at the grid's bucket boundaries."""
    rng = np.random.default_rng(7)
    base = rng.normal(size=20_000)
    ref = NumericReference.from_values(base)
    # the values where the bucket number changes, found on a fine sweep
    grid = np.linspace(base.min(), base.max(), 200_001)
    b = _buckets(grid, ref.scale, ref.shift).astype(np.intp)
    edges = grid[np.flatnonzero(np.diff(b)) + 1]
    train = np.concatenate((base, edges[::3], np.nextafter(edges[1::3], -np.inf)))
    near = np.concatenate((edges, np.nextafter(edges, np.inf),
                           np.nextafter(edges, -np.inf)))
    ev = rng.permutation(np.concatenate((near, rng.normal(0.02, size=10_000))))
    starts, stops = _windows(rng, len(ev), 5)
    _check(train[:, None], ev[:, None], starts, stops)


@pytest.mark.parametrize("seed", range(4))
def test_missing_values_constant_and_empty_columns(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n, m = 5000, 6000
    train = rng.normal(size=(n, 4))
    ev = rng.normal(0.1, size=(m, 4))
    train[::17, 0] = np.nan
    ev[::13, 0] = np.nan
    ev[5, 0], ev[9, 0] = np.inf, -np.inf
    train[:, 1] = 2.5                                # constant: PSI undefined, KS not
    ev[:, 1] = np.where(rng.random(m) < 0.7, 2.5, rng.normal(size=m))
    train[:, 2] = np.nan                             # no reference values
    ev[100:900, 3] = np.nan                          # a window of missing values only
    starts = np.array([0, 100, 100, 900, 3000, 3000, 5999])
    stops = np.array([100, 900, 100, 3000, 6000, 3500, 6000])
    _check(train, ev, starts, stops)


def test_extreme_and_degenerate_ranges() -> None:
    """Values near the float range (the grid's scale or shift would overflow) and a
    range a few ulps wide (one bucket per ulp or a degenerate grid): still exact."""
    rng = np.random.default_rng(3)
    huge = rng.choice([-1.7e308, -1e300, 0.0, 1e300, 1.7e308], size=(3000, 1))
    tiny = 1.0 + rng.integers(0, 6, size=(3000, 1)) * np.finfo(float).eps
    small = 1e-300 * rng.normal(size=(3000, 1))
    train = np.hstack((huge, tiny, small))
    ev = np.hstack((rng.choice([-1.7e308, 1e300, 1.7e308, 5.0], size=(4000, 1)),
                    1.0 + rng.integers(0, 8, size=(4000, 1)) * np.finfo(float).eps,
                    1e-300 * rng.normal(0.3, size=(4000, 1))))
    _check(train, ev, *_windows(rng, 4000, 4))


def test_every_layout_and_the_helper_thread_give_the_same_values() -> None:
    """Column by column (numeric_windows), the block C- or F-ordered, and half the
    windows on a helper thread: identical arrays."""
    rng = np.random.default_rng(11)
    train = rng.normal(size=(8000, 3))
    ev = rng.normal(0.05, size=(9000, 3))
    ev[::31, 2] = np.nan
    starts, stops = _windows(rng, 9000, 9)
    refs = [NumericReference.from_values(train[:, j]) for j in range(3)]
    block = numeric_block_windows(refs, ev, starts, stops)
    fortran = numeric_block_windows(refs, np.asfortranarray(ev), starts, stops)
    with ThreadPoolExecutor(1) as pool:
        helped = numeric_block_windows(refs, ev, starts, stops, helper=pool)
    for got in (fortran, helped):
        for a, b in zip(block, got, strict=True):
            np.testing.assert_array_equal(a, b)
    for j in range(3):
        one = numeric_windows(refs[j], ev[:, j], starts, stops)
        for a, b in zip(block, one, strict=True):
            np.testing.assert_array_equal(a[j], b)
    # per-column choices: PSI of column 0 only, KS of column 1 only
    psi, psi_st, ks, ks_st = numeric_block_windows(
        refs, ev, starts, stops, want_psi=np.array([True, False, False]),
        want_ks=np.array([False, True, False]))
    np.testing.assert_array_equal(psi[0], block[0][0])
    np.testing.assert_array_equal(psi_st[0], block[1][0])
    np.testing.assert_array_equal(ks[1], block[2][1])
    np.testing.assert_array_equal(ks_st[1], block[3][1])
    assert np.isnan(psi[1:]).all()
    assert np.isnan(ks[[0, 2]]).all()


def test_the_grid_has_the_documented_size() -> None:
    ref = NumericReference.from_values(np.arange(100.0))
    assert len(ref.cum_grid) == GRID
    assert ref.cum_grid[-1] == 100
    assert np.all(np.diff(ref.cum_grid) >= 0)
