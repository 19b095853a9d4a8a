"""The leading indicators' kernels against independent computations.

KS against ``scipy.stats.ks_2samp``; PSI against a hand-written formula on bins built
independently (numpy's inverted-CDF quantiles, values placed one by one); the expected
ROC AUC against the brute-force sum over pairs, and against the realized AUC of labels
drawn from calibrated probabilities.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import accuracy_score, roc_auc_score

from oot import InvalidParameterError
from oot.evaluate._drift import (
    CategoricalReference,
    NumericReference,
    categorical_windows,
    expected_windows,
    numeric_windows,
)
from oot.indicators import expected_accuracy, expected_roc_auc, ks_statistic, psi


# ------------------------------------------------------------------ references
def hand_bins(ref: np.ndarray, bins: int = 10) -> list[float]:
    """The distinct training deciles, inverted CDF (numpy's definition)."""
    fin = ref[np.isfinite(ref)]
    qs = [float(np.quantile(fin, k / bins, method="inverted_cdf")) for k in range(1, bins)]
    return sorted(set(qs))


def hand_counts(values: np.ndarray, edges: list[float]) -> list[int]:
    """Rows per right-closed bin (-inf, e1], (e1, e2], ..., (e_last, inf), then missing."""
    counts = [0] * (len(edges) + 2)
    for v in values:
        if not math.isfinite(v):
            counts[-1] += 1
            continue
        b = len(edges)
        for i, e in enumerate(edges):
            if v <= e:
                b = i
                break
        counts[b] += 1
    return counts


def hand_psi(e_counts: list[float], a_counts: list[float]) -> float:
    """sum (a - e) ln(a / e) with half a row added to every bin on both sides."""
    k = len(e_counts)
    ne, na = sum(e_counts), sum(a_counts)
    total = 0.0
    for ec, ac in zip(e_counts, a_counts, strict=True):
        e = (ec + 0.5) / (ne + 0.5 * k)
        a = (ac + 0.5) / (na + 0.5 * k)
        total += (a - e) * math.log(a / e)
    return total


def hand_numeric_psi(ref: np.ndarray, sample: np.ndarray, *, with_missing: bool) -> float:
    edges = hand_bins(ref)
    e, a = hand_counts(ref, edges), hand_counts(sample, edges)
    if not with_missing:
        e, a = e[:-1], a[:-1]
    return hand_psi(e, a)


def brute_expected_auc(p: np.ndarray) -> float:
    """The sum over every ordered pair of distinct rows (an n x n matrix)."""
    p = np.asarray(p, dtype=float)
    w = p[:, None] * (1 - p[None, :])
    order = (p[:, None] > p[None, :]) + 0.5 * (p[:, None] == p[None, :])
    np.fill_diagonal(w, 0.0)
    den = float(w.sum())
    return float((w * order).sum()) / den if den > 0 else math.nan


def _samples(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 400)), int(rng.integers(1, 400))
    kind = seed % 4
    if kind == 0:   # heavy ties on both sides
        return rng.integers(0, 5, n).astype(float), rng.integers(0, 7, m).astype(float)
    if kind == 1:   # a shifted, rescaled normal
        return rng.normal(size=n), rng.normal(rng.normal(), rng.uniform(0.3, 3), size=m)
    if kind == 2:   # rounded values: ties within and across the samples
        return np.round(rng.normal(size=n), 1), np.round(rng.normal(0.3, size=m), 1)
    return rng.exponential(size=n), rng.exponential(2.0, size=m)


# ------------------------------------------------------------------------- KS
@pytest.mark.parametrize("seed", range(40))
def test_ks_equals_scipy(seed: int) -> None:
    a, b = _samples(seed)
    assert ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)


def test_ks_per_window_equals_scipy_and_ignores_missing_values() -> None:
    rng = np.random.default_rng(3)
    train = np.round(rng.normal(size=2000), 2)
    train[::50] = np.nan
    ev = np.round(rng.normal(0.2, 1.2, size=3000), 2)
    ev[::37] = np.nan
    ev[5] = np.inf
    starts, stops = np.array([0, 500, 1200, 3000]), np.array([500, 1200, 3000, 3000])
    ref = NumericReference.from_values(train)
    _, _, ks, st = numeric_windows(ref, ev, starts, stops)
    fin = train[np.isfinite(train)]
    for w in range(3):
        v = ev[starts[w]:stops[w]]
        assert ks[w] == pytest.approx(ks_2samp(fin, v[np.isfinite(v)]).statistic,
                                      abs=1e-12)
    assert st.tolist()[:3] == [0, 0, 0]
    assert np.isnan(ks[3])
    assert st[3] == 1


@pytest.mark.parametrize("kind", ["continuous", "rounded", "integers", "missing"])
@pytest.mark.parametrize("seed", range(5))
def test_windows_equal_scipy_and_the_one_window_psi(kind: str, seed: int) -> None:
    """Every window of numeric_windows (overlapping, with gaps, empty, one row) has
    scipy's KS statistic and the PSI of that window alone, whether PSI is computed
    with the KS statistic (from the sorted window) or without it (counted)."""
    rng = np.random.default_rng(seed)
    train, ev = rng.normal(size=700), rng.normal(0.3, 1.3, size=900)
    if kind == "rounded":
        train, ev = np.round(train, 1), np.round(ev, 1)
    elif kind == "integers":
        train = rng.integers(0, 4, 700).astype(float)
        ev = rng.integers(0, 6, 900).astype(float)
    elif kind == "missing":
        train[::9] = np.nan
        ev[::7] = np.nan
        ev[3] = -np.inf
    starts = np.array([0, 100, 150, 400, 400, 899, 500])
    stops = np.array([200, 300, 150, 900, 401, 900, 880])
    ref = NumericReference.from_values(train)
    p, _, ks, st = numeric_windows(ref, ev, starts, stops)
    p_only, _, _, _ = numeric_windows(ref, ev, starts, stops, want_ks=False)
    _, _, ks_only, _ = numeric_windows(ref, ev, starts, stops, want_psi=False)
    np.testing.assert_array_equal(p, p_only)
    np.testing.assert_array_equal(ks, ks_only)
    fin = train[np.isfinite(train)]
    for w, (a, b) in enumerate(zip(starts, stops, strict=True)):
        v = ev[a:b]
        if b <= a:
            assert st[w] == 1
            assert np.isnan(ks[w])
            continue
        assert ks[w] == pytest.approx(ks_2samp(fin, v[np.isfinite(v)]).statistic,
                                      abs=1e-12)
        one, _, _, _ = numeric_windows(ref, v, np.array([0]), np.array([len(v)]))
        assert p[w] == pytest.approx(one[0], rel=1e-12)


def test_ks_kernel_on_sorted_queries_with_exact_ties_to_training_values() -> None:
    """The kernel's lookup puts each query on the right side of equal and neighbouring
    training values (queries just below, at and above each one)."""
    train = np.array([0.1, 0.2, 0.2, 0.3, 1e6, 1e6 + 1e-6])
    q = np.sort(np.concatenate([train, np.nextafter(train, -np.inf),
                                np.nextafter(train, np.inf), [-5.0, 2e6]]))
    ref = NumericReference.from_values(train)
    right, left = ref.counts_le(q)
    assert right.tolist() == [int((train <= x).sum()) for x in q]
    assert left.tolist() == [int((train < x).sum()) for x in q]


# ------------------------------------------------------------------------ PSI
@pytest.mark.parametrize("seed", range(40))
def test_psi_equals_the_hand_formula_on_the_same_bins(seed: int) -> None:
    a, b = _samples(seed)
    if len(np.unique(a)) < 2:
        a = np.append(a, a[0] + 1.0)
    assert psi(a, b) == pytest.approx(hand_numeric_psi(a, b, with_missing=False),
                                      rel=1e-12, abs=1e-15)


def test_psi_per_window_with_missing_values_has_a_missing_bin() -> None:
    rng = np.random.default_rng(5)
    train = rng.normal(size=1500)
    train[:30] = np.nan
    ev = rng.normal(0.5, size=900)
    ev[100:160] = np.nan
    starts, stops = np.array([0, 300, 600]), np.array([300, 600, 900])
    ref = NumericReference.from_values(train)
    p, st, _, _ = numeric_windows(ref, ev, starts, stops)
    for w in range(3):
        assert p[w] == pytest.approx(
            hand_numeric_psi(train, ev[starts[w]:stops[w]], with_missing=True), rel=1e-12)
    assert (st == 0).all()


def test_psi_is_zero_for_identical_shares_and_grows_with_the_shift() -> None:
    x = np.arange(1000, dtype=float)
    assert psi(x, x) == pytest.approx(0.0, abs=1e-15)
    rng = np.random.default_rng(0)
    ref = rng.normal(size=20000)
    shifts = [psi(ref, rng.normal(s, size=20000)) for s in (0.0, 0.25, 0.5, 1.0)]
    assert shifts == sorted(shifts)
    # the small-shift approximation PSI ~ (d^2) for a normal mean shift d (in SDs)
    assert shifts[1] == pytest.approx(0.25**2, rel=0.2)


def test_psi_bins_with_ties_and_values_above_the_training_range() -> None:
    """A 0/1 feature: bins (-inf, 0], (0, 1], (1, inf); a value 2 falls in the last."""
    ref = np.array([0.0] * 70 + [1.0] * 30)
    nref = NumericReference.from_values(ref)
    assert nref.edges.tolist() == [0.0, 1.0]
    assert nref.counts.tolist() == [70.0, 30.0, 0.0]
    sample = np.array([0.0] * 5 + [1.0] * 3 + [2.0] * 2)
    assert psi(ref, sample) == pytest.approx(hand_psi([70, 30, 0], [5, 3, 2]), rel=1e-12)


def test_categorical_psi_counts_unseen_categories_in_their_own_bin() -> None:
    ref = pd.Series(["a"] * 50 + ["b"] * 30 + ["c"] * 20 + [None] * 5)
    ev = pd.Series(["a"] * 10 + ["b"] * 10 + ["z"] * 4 + ["y"] * 1 + [None] * 2
                   + ["a"] * 6 + ["c"] * 6)
    cref = CategoricalReference.from_values(ref)
    starts, stops = np.array([0, 27]), np.array([27, 39])
    p, st = categorical_windows(cref, ev, starts, stops)
    # bins a, b, c, unseen, missing
    assert p[0] == pytest.approx(hand_psi([50, 30, 20, 0, 5], [10, 10, 0, 5, 2]),
                                 rel=1e-12)
    assert p[1] == pytest.approx(hand_psi([50, 30, 20, 0, 5], [6, 0, 6, 0, 0]), rel=1e-12)
    assert st.tolist() == [0, 0]
    assert psi(["a", "b", "a"], ["a", "c"]) == pytest.approx(
        hand_psi([2, 1, 0], [1, 0, 1]), rel=1e-12)


def test_constant_and_empty_references_give_statuses_not_errors() -> None:
    ev = np.array([1.0, 2.0, 3.0, np.nan])
    starts, stops = np.array([0, 3]), np.array([3, 4])
    p, p_st, ks, ks_st = numeric_windows(NumericReference.from_values(np.ones(10)), ev,
                                         starts, stops)
    assert np.isnan(p).all()
    assert p_st.tolist() == [3, 3]
    assert ks[0] == pytest.approx(ks_2samp(np.ones(10), ev[:3]).statistic)
    assert ks_st.tolist() == [0, 2]                                 # window of NaN only
    p, p_st, ks, ks_st = numeric_windows(NumericReference.from_values(np.full(5, np.nan)),
                                         ev, starts, stops)
    assert np.isnan(p).all()
    assert np.isnan(ks).all()
    assert p_st.tolist() == ks_st.tolist() == [4, 4]                # no reference values
    p, st = categorical_windows(CategoricalReference.from_values(pd.Series(["a"] * 4)),
                                pd.Series(["a", "b"]), np.array([0]), np.array([2]))
    assert np.isnan(p[0])
    assert st.tolist() == [3]


# ------------------------------------------------------------- expected scores
@pytest.mark.parametrize("seed", range(12))
def test_expected_auc_equals_the_sum_over_pairs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 60))
    p = (rng.choice([0.0, 0.1, 0.3, 0.5, 0.9, 1.0], m) if seed % 2
         else rng.random(m))
    ref = brute_expected_auc(p)
    got = expected_roc_auc(p) if not math.isnan(ref) else math.nan
    assert got == pytest.approx(ref, rel=1e-12, nan_ok=True)


def test_expected_scores_match_realized_scores_of_calibrated_labels() -> None:
    """Labels drawn from the probabilities: the expected AUC and accuracy fall within
    sampling error of the realized ones, window after window."""
    rng = np.random.default_rng(11)
    n_w, size = 60, 2000
    diffs_auc, diffs_acc = [], []
    for w in range(n_w):
        p = rng.beta(1 + w / 20, 1 + w / 20, size=size)   # less confident over time
        y = rng.random(size) < p
        diffs_auc.append(expected_roc_auc(p) - roc_auc_score(y, p))
        diffs_acc.append(expected_accuracy(p) - accuracy_score(y, p > 0.5))
    # the realized AUC's SE at these sizes is about 0.01, the accuracy's 0.011
    assert abs(np.mean(diffs_auc)) < 3 * 0.011 / math.sqrt(n_w)
    assert np.max(np.abs(diffs_auc)) < 4 * 0.013
    assert abs(np.mean(diffs_acc)) < 3 * 0.012 / math.sqrt(n_w)


def test_expected_windows_statuses() -> None:
    p = np.array([0.0, 0.0, 1.0, 0.2, 0.7, 0.9])
    v, st = expected_windows(["roc_auc", "accuracy", "brier", "log_loss"], p,
                             np.array([0, 3, 6]), np.array([2, 6, 6]))
    assert st[0].tolist() == [5, 0, 1]          # all-zero probabilities: undefined AUC
    assert v[1, 1] == pytest.approx(np.mean([0.8, 0.7, 0.9]))
    assert v[2, 1] == pytest.approx(np.mean(p[3:] * (1 - p[3:])))
    ent = -(p[3:] * np.log(p[3:]) + (1 - p[3:]) * np.log(1 - p[3:]))
    assert v[3, 1] == pytest.approx(ent.mean())
    multi = np.array([[0.2, 0.5, 0.3], [0.9, 0.05, 0.05]])
    assert expected_accuracy(multi) == pytest.approx(0.7)


# ------------------------------------------------------------------- bad input
def test_kernels_refuse_bad_input_with_the_standard_message() -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'reference' parameter of psi must be a sample with at least two distinct "
            "finite values. Got 1 distinct finite value instead. PSI bins the values at the "
            "reference's quantiles; a constant reference has none.")):
        psi(np.ones(5), np.arange(3.0))
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'reference' parameter of psi must be a sample with at least two distinct "
            "categories. Got 1 distinct category instead.")):
        psi(["a", "a"], ["a", "b"])
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'sample' parameter of psi must be a non-empty sample. Got an empty one "
            "instead.")):
        psi(np.arange(5.0), np.array([]))
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'bins' parameter of psi must be an int in the range [2, inf). Got 1 "
            "instead.")):
        psi(np.arange(5.0), np.arange(5.0), bins=1)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'sample' parameter of ks_statistic must be a sample with at least one "
            "finite value. Got no finite value instead.")):
        ks_statistic(np.arange(5.0), np.array([np.nan, np.inf]))
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'reference' parameter of ks_statistic must be a one-dimensional array or "
            "Series of values. Got an object of shape (2, 2) instead.")):
        ks_statistic(np.ones((2, 2)), np.arange(3.0))
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'proba' parameter of expected_roc_auc must be a non-empty array of "
            "probabilities in [0, 1]. Got values from -0.1 to 0.5 instead.")):
        expected_roc_auc([-0.1, 0.5])
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'proba' parameter of expected_roc_auc must be (n,) probabilities of the "
            "positive class. Got an array of shape (2, 3) instead.")):
        expected_roc_auc(np.full((2, 3), 1 / 3))
