"""The numeric indicators on one grid shared by every anchor (``SharedGrid``).

:func:`shared_block_windows` buckets each value of the time-ordered block once for all
anchors and takes every histogram as a difference of cumulative counts; these tests
check that it gives scipy's KS and the hand PSI (``test_indicators_block._check``) and
bitwise the per-anchor kernel's values, anchor after anchor on one grid: sliding and
jumping anchors, a gap between training and evaluation rows, heavy tails, ties, missing
values, degenerate columns and windows; and that the engine takes this path.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

import oot
import oot.evaluate._indicators as indicators_module
from oot.evaluate._drift import (
    GRID,
    NumericReference,
    SharedGrid,
    _buckets,
    _CodedReference,
    numeric_block_windows,
    shared_block_windows,
)
from tests.test_indicators_block import _check, _windows


def _both(grid: SharedGrid, X: np.ndarray, train: tuple[int, int],
          ev: tuple[int, int], starts: np.ndarray, stops: np.ndarray,
          **want: np.ndarray) -> tuple[np.ndarray, ...]:
    """The shared kernel's values for one anchor, checked bitwise against the
    per-anchor kernel's."""
    Xt, Xe = X[train[0]:train[1]], X[ev[0]:ev[1]]
    got = shared_block_windows(grid, Xt, train[0], Xe, ev[0], starts, stops, **want)
    refs = [NumericReference.from_values(Xt[:, j]) for j in range(X.shape[1])]
    expected = numeric_block_windows(refs, Xe, starts, stops, **want)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    return got


def _series(rng: np.random.Generator, n: int) -> np.ndarray:
    """Columns that drift with time: normal, lognormal, Cauchy, rounded (ties), few
    integers, and a normal column with missing values."""
    t = np.linspace(0.0, 1.0, n)
    X = np.column_stack([
        rng.normal(0.3 * t, 1.0),
        rng.lognormal(0.5 * t, 2.0),
        rng.standard_cauchy(n) + t,
        np.round(rng.normal(0.2 * t, 1.0), 2),
        rng.integers(0, 30 + (t * 5).astype(int), n).astype(float),
        rng.normal(size=n),
    ])
    X[rng.random(n) < 0.03, 5] = np.nan
    X[rng.integers(0, n, 5), 5] = np.inf
    return X


@pytest.mark.parametrize("seed", range(2))
def test_sliding_anchors_on_one_grid_equal_scipy(seed: int) -> None:
    """Anchors one period apart, training on the previous 6 periods and evaluated on
    the next 8 (windows of varying size): scipy's KS and the hand PSI, anchor after
    anchor, with most boundaries recurring."""
    rng = np.random.default_rng(seed)
    period = 2000
    X = _series(rng, 20 * period)
    cuts = np.concatenate(([0], np.sort(rng.integers(1, 20 * period, 19)), [20 * period]))
    cuts = np.maximum.accumulate(np.where(np.arange(21) % 2 == 0, np.arange(21) * period,
                                          cuts))
    grid = SharedGrid()
    for a in range(4):
        lo, hi = int(cuts[a]), int(cuts[a + 6])
        ehi = int(cuts[a + 14])
        starts = cuts[a + 6:a + 14] - hi
        stops = cuts[a + 7:a + 15] - hi
        got = _both(grid, X, (lo, hi), (hi, ehi), starts, stops)
        _check(X[lo:hi], X[hi:ehi], starts, stops, got)
    assert grid.start == 0
    assert grid.stop == int(cuts[17])


def test_jumps_gaps_and_backward_anchors_start_the_codes_afresh() -> None:
    rng = np.random.default_rng(5)
    X = _series(rng, 40_000)
    grid = SharedGrid()
    plans = [((0, 8000), (8000, 14_000)),          # first
             ((4000, 10_000), (10_000, 16_000)),   # forward: earlier counts dropped
             ((2000, 9000), (9000, 13_000)),       # back, within the coded rows
             ((2000, 10_000), (12_000, 18_000)),   # a gap before the evaluation rows
             ((30_000, 34_000), (34_000, 40_000)),  # past every coded row
             ((1000, 5000), (5000, 9000))]          # back, before the coded rows
    for train, ev in plans:
        starts, stops = _windows(rng, ev[1] - ev[0], 5)
        got = _both(grid, X, train, ev, starts, stops)
        _check(X[train[0]:train[1]], X[ev[0]:ev[1]], starts, stops, got)


@pytest.mark.parametrize("seed", range(2))
def test_missing_constant_empty_columns_and_degenerate_windows(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    n, m = 5000, 6000
    X = rng.normal(size=(n + m, 4))
    X[:n:17, 0] = np.nan
    X[n::13, 0] = np.nan
    X[n + 5, 0], X[n + 9, 0] = np.inf, -np.inf
    X[:n, 1] = 2.5                                    # constant training values
    X[n:, 1] = np.where(rng.random(m) < 0.7, 2.5, rng.normal(size=m))
    X[:n, 2] = np.nan                                 # no reference values
    X[n + 100:n + 900, 3] = np.nan                    # a window without values
    starts = np.array([0, 100, 100, 900, 3000, 3000, 5999])
    stops = np.array([100, 900, 100, 3000, 6000, 3500, 6000])
    grid = SharedGrid()
    got = _both(grid, X, (0, n), (n, n + m), starts, stops)
    _check(X[:n], X[n:], starts, stops, got)
    # windows that leave rows out, and per-column choices
    starts, stops = np.array([200, 4000]), np.array([700, 4500])
    want = {"want_psi": np.array([True, False, True, True]),
            "want_ks": np.array([False, True, True, False])}
    psi, _, ks, _ = _both(grid, X, (0, n), (n, n + m), starts, stops, **want)
    assert np.isnan(psi[1]).all()
    assert np.isnan(ks[[0, 3]]).all()


@pytest.mark.parametrize("kind", ["normal", "ties", "lognormal", "one_bucket",
                                  "constant", "two_values", "missing"])
def test_a_coded_reference_counts_as_the_full_sort(kind: str) -> None:
    """The grid's reference never sorts the training values in full: its deciles,
    their counts, its status and its counts at any values (in buckets with and
    without training values, equal to training values or not) are the full sort's."""
    rng = np.random.default_rng(len(kind))
    n = 20_000
    x = {"normal": rng.normal(size=n),
         "ties": np.round(rng.normal(size=n), 1),
         "lognormal": rng.lognormal(0.0, 3.0, n),
         "one_bucket": 5.0 + rng.integers(0, 3, n) * 1e-13,   # beyond the grid
         "constant": np.full(n, 5.0),
         "two_values": rng.choice([0.0, 1.0], n),
         "missing": np.where(rng.random(n) < 0.2, np.nan, rng.standard_cauchy(n))}[kind]
    grid = SharedGrid()
    grid.cover(rng.normal(size=(1000, 1)), 0)     # the grid fits on other values
    grid.cover(x[:, None], 1000)
    assert grid.scale is not None
    assert grid.shift is not None
    tr = grid.counts(1000 + n) - grid.counts(1000)
    codes = grid.column_codes(1000, 1000 + n)[0]
    scale, shift = float(grid.scale[0]), float(grid.shift[0])
    coded = _CodedReference.coded(x, codes, int(tr[0, GRID]), scale, shift,
                                  tr[0, :GRID].cumsum())
    v = np.sort(x[np.isfinite(x)])
    full = NumericReference.on_grid(v, int((~np.isfinite(x)).sum()), scale, shift,
                                    tr[0, :GRID].cumsum())
    assert coded.n == full.n
    assert coded.status == full.status
    assert coded.n_missing == full.n_missing
    np.testing.assert_array_equal(coded.edges, full.edges)
    np.testing.assert_array_equal(coded.counts, full.counts)
    np.testing.assert_array_equal(coded.edge_buckets, full.edge_buckets)
    q = np.concatenate((rng.choice(v, 300), rng.normal(size=300) * np.std(v[:1000]),
                        [v[0], v[-1], v[0] - 1.0, v[-1] + 1.0]))
    b = _buckets(q, scale, shift).astype(np.intp)
    for got, want in zip(coded.locate(q, b), full.counts_le(q), strict=True):
        np.testing.assert_array_equal(got, want)
    assert coded.values.size < v.size or kind in ("one_bucket", "constant",
                                                  "two_values")
    np.testing.assert_array_equal(coded.locate(q, b)[0],
                                  np.searchsorted(v, q, side="right"))
    np.testing.assert_array_equal(coded.locate(q, b)[1],
                                  np.searchsorted(v, q, side="left"))


def test_many_short_windows_take_the_per_anchor_kernel() -> None:
    rng = np.random.default_rng(4)
    X = _series(rng, 12_000)[:, [0, 3]]
    starts = np.arange(0, 6000, 20)
    stops = starts + 20
    grid = SharedGrid()
    _both(grid, X, (0, 6000), (6000, 12_000), starts, stops)   # bitwise the same
    assert grid.scale is None         # the grid was not used


def test_extreme_ranges_and_a_grid_fitted_on_other_values() -> None:
    """The grid comes from the first training rows it sees; later anchors whose values
    lie far outside it (everything in the end buckets) stay exact."""
    rng = np.random.default_rng(9)
    first = rng.normal(size=(4000, 2))
    later = np.column_stack((rng.choice([-1.7e308, -1e300, 0.0, 1e300, 1.7e308], 8000),
                             1e6 + rng.normal(size=8000)))
    X = np.vstack((first, later))
    grid = SharedGrid()
    for train, ev in (((0, 2000), (2000, 4000)), ((3000, 8000), (8000, 12_000))):
        starts, stops = _windows(rng, ev[1] - ev[0], 4)
        got = _both(grid, X, train, ev, starts, stops)
        _check(X[train[0]:train[1]], X[ev[0]:ev[1]], starts, stops, got)


def test_a_pickled_grid_starts_empty() -> None:
    grid = SharedGrid()
    X = np.random.default_rng(0).normal(size=(100, 2))
    grid.cover(X, 0)
    copy = pickle.loads(pickle.dumps(grid))
    assert grid.stop == 100
    assert copy.stop == 0
    assert copy.scale is None


def test_the_engine_shares_one_grid_between_its_anchors(monkeypatch: pytest.MonkeyPatch,
                                                        ) -> None:
    """Serially, every anchor's numeric features go through the shared kernel, with
    the per-anchor kernel's values."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    n = 6000
    ts = pd.Timestamp("2021-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 600, n)),
                                                       unit="D")
    X = rng.normal(size=(n, 3))
    X[:, 2] = rng.lognormal(size=n)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["ts"] = ts
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    calls = []
    real = indicators_module.shared_block_windows

    def counted(*args: object, **kwargs: object) -> tuple[np.ndarray, ...]:
        calls.append(args[2])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(indicators_module, "shared_block_windows", counted)
    kw = dict(target="y", time="ts", metric="roc_auc", train_window="180D",
              eval_window="MS", horizon=pd.DateOffset(months=6), anchors=4,
              indicators=True)
    serial = oot.evaluate_out_of_time(df, LogisticRegression(), **kw)
    assert len(calls) == 4
    assert calls == sorted(calls)
    monkeypatch.setattr(indicators_module, "shared_block_windows", real)
    prepare = indicators_module.IndicatorScorer.prepare

    def per_anchor(self: indicators_module.IndicatorScorer, *args: Any,
                   rows: object = None) -> Any:
        return prepare(self, *args)     # no rows: the per-anchor kernel

    monkeypatch.setattr(indicators_module.IndicatorScorer, "prepare", per_anchor)
    alone = oot.evaluate_out_of_time(df, LogisticRegression(), **kw)
    assert len(calls) == 4
    pd.testing.assert_frame_equal(serial.indicators, alone.indicators)
