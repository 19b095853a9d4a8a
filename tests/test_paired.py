"""Paired standard errors of the difference of two scores of the same rows.

References from outside the project: pROC's published DeLong test on its own aSAH data
(``tests/data/asah.csv``), DeLong's placement values written from their definition (all
pairs of rows), scikit-learn's metric functions for the differences, the delete-one
jackknife for the delta-method SEs, and simulation (the SE against the observed spread of
the differences over many independent data sets).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from oot import Metric
from oot.metrics import delong_se, paired_delong_se, score_window_pairs
from oot.metrics._kernels import Segments, placements

ASAH = Path(__file__).parent / "data" / "asah.csv"


def _asah() -> tuple[np.ndarray, pd.DataFrame]:
    d = pd.read_csv(ASAH)
    return (d["outcome"] == "Poor").to_numpy().astype(int), d


# ------------------------------------------------------------ published values
@pytest.mark.parametrize(("a", "b", "z", "ci"), [
    # pROC tests/testthat/test-roc.test.R: roc.test(r.wfns, r.s100b) etc. (DeLong,
    # correlated ROC curves), roc(aSAH$outcome, aSAH$<marker>)
    ("wfns", "s100b", 2.20898359144091, (0.0104061769564846, 0.174214419249478)),
    ("wfns", "ndka", 2.79777591868904, (0.0634011709339876, 0.3600405634833566)),
    ("ndka", "s100b", -1.39077002573558, None),
])
def test_paired_delong_matches_proc_on_asah(a, b, z, ci):
    y, d = _asah()
    diff = skm.roc_auc_score(y, d[a]) - skm.roc_auc_score(y, d[b])
    se = paired_delong_se(y, d[a], d[b])
    assert diff / se == pytest.approx(z, rel=1e-10)
    if ci is not None:  # pROC's 95% interval of the difference: diff +- 1.96 se
        from scipy import stats
        half = stats.norm.ppf(0.975) * se
        assert (diff - half, diff + half) == pytest.approx(ci, rel=1e-9)


def test_single_delong_variance_matches_proc_on_asah():
    # pROC tests/testthat/test-var.R: var(r.wfns) etc.
    y, d = _asah()
    for marker, var in (("wfns", 0.00146991470882363), ("ndka", 0.0031908105493913),
                        ("s100b", 0.00266868245717244)):
        assert delong_se(y, d[marker]) ** 2 == pytest.approx(var, rel=1e-10)


def test_paired_delong_of_a_score_with_itself_is_zero_and_symmetric():
    y, d = _asah()
    assert paired_delong_se(y, d["wfns"], d["wfns"]) == 0.0
    assert paired_delong_se(y, d["wfns"], d["ndka"]) == pytest.approx(
        paired_delong_se(y, d["ndka"], d["wfns"]), rel=1e-14)


def _placements_by_definition(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """V10 of a positive: mean over negatives of 1[s_i > s_j] + 1/2 1[s_i = s_j];
    V01 of a negative: mean over positives of 1[s_i > s_j] + 1/2 1[tie] (all pairs)."""
    pos, neg = s[y == 1], s[y == 0]
    out = np.empty(len(s))
    for i, v in enumerate(s):
        other = neg if y[i] == 1 else pos
        if y[i] == 1:
            out[i] = np.mean((v > other) + 0.5 * (v == other))
        else:
            out[i] = np.mean((other > v) + 0.5 * (other == v))
    return out


@pytest.mark.parametrize("ties", [False, True])
def test_placements_equal_the_definition_window_by_window(ties):
    rng = np.random.default_rng(1)
    n = 700
    y = rng.integers(0, 2, n)
    s = rng.normal(size=n) + y
    if ties:
        s = np.round(s, 1)
    starts = np.array([0, 120, 120, 400, 650])
    stops = np.array([120, 400, 120, 650, 700])
    seg = Segments(starts, stops)
    got = placements(seg.take(y), seg.take(s), seg)
    want = np.concatenate([_placements_by_definition(y[a:b], s[a:b])
                           for a, b in zip(starts, stops, strict=True)])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)


@pytest.mark.parametrize("ties", [False, True])
def test_placements_per_window_path_equals_the_grouped_path_bit_for_bit(ties):
    """Few windows take one sort per window (a shortcut without ties); the values are
    those of the grouped path over all windows, to the last bit: windows missing a
    class, an empty one, a single row."""
    from oot.metrics._kernels import _grouped_placements

    rng = np.random.default_rng(3)
    n = 5000
    y = rng.integers(0, 2, n)
    y[1000:1400] = 1  # a window of positives only
    s = rng.random(n)
    if ties:
        s = np.round(s, 2)
    starts = np.array([0, 1000, 1400, 1400, 1401, 3000])
    stops = np.array([1000, 1400, 1400, 1401, 3000, 5000])
    seg = Segments(starts, stops)
    yy, ss = seg.take(y), seg.take(s)
    got = placements(yy, ss, seg)
    want = _grouped_placements(yy, ss, seg, np.full(n, np.nan))
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got[1000:1401]).all()  # one class only (and the single row)
    assert np.isfinite(got[:1000]).all()


def _paired_se_by_masks(seg: Segments, d: np.ndarray, strata, ddof: int) -> np.ndarray:
    """paired_se's formula written plainly: each stratum's rows kept with np.where (the
    others 0), its mean per window subtracted, the squares summed per window."""
    parts = [np.ones(len(d), dtype=bool)] if strata is None else [strata, ~strata]
    var = np.zeros(seg.n_windows)
    ok = np.ones(seg.n_windows, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for mask in parts:
            ns = seg.count(mask).astype(float)
            mean = seg.sum(np.where(mask, d, 0.0)) / ns
            c = np.where(mask, d - mean[seg.wid], 0.0)
            var += seg.sum(c * c) / (ns - ddof) / ns
            ok &= ns > ddof
        return np.where(ok, np.sqrt(var), np.nan)


def _awkward_windows(seed: int, ties: bool) -> tuple[Segments, np.ndarray, list]:
    """Labels and three scores on windows with a class missing, an empty window, a
    single row, two equal scores (exact zero differences) and, with ``ties``, rounded
    scores."""
    rng = np.random.default_rng(seed)
    n = 6000
    y = rng.integers(0, 2, n)
    y[1000:1400] = 1  # a window of positives only
    base = rng.random(n) + 0.3 * y
    scores = [base, base + 0.2 * rng.random(n), base.copy()]
    if ties:
        scores = [np.round(x, 2) for x in scores]
    starts = np.array([0, 1000, 1400, 1400, 1401, 3000, 5990])
    stops = np.array([1000, 1400, 1400, 1401, 3000, 5990, 6000])
    return Segments(starts, stops), y, scores


@pytest.mark.parametrize("ties", [False, True])
def test_paired_se_equals_its_formula_bit_for_bit(ties):
    """The weighted passes (strata counted once for all pairs) give the plain formula's
    numbers to the last bit: placements with a class missing, an empty window, a single
    row, equal predictions (zero differences); row values with one stratum, ddof 0 and 1."""
    from oot.metrics._se import paired_se, paired_strata

    seg, y, scores = _awkward_windows(4, ties)
    pos = seg.take(y) == 1
    plc = [placements(pos, seg.take(x), seg) for x in scores]
    prepared = paired_strata(seg, pos)
    for i, j in ((0, 1), (0, 2), (1, 2)):
        d = plc[i] - plc[j]
        want = _paired_se_by_masks(seg, d, pos, 1)
        for got in (paired_se(seg, d, pos, 1), paired_se(seg, d, pos, 1, prepared=prepared)):
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    assert paired_se(seg, plc[0] - plc[2], pos, 1)[0] == 0.0  # equal predictions
    rows = [seg.take(x) ** 2 for x in scores]
    rows[1][5] = np.inf  # a non-finite row value: that window is NaN
    for ddof in (0, 1):
        d = rows[0] - rows[1]
        got = paired_se(seg, d, None, ddof)
        np.testing.assert_array_equal(got, _paired_se_by_masks(seg, d, None, ddof))
    assert np.isnan(got[0])
    assert np.isfinite(got[-1])


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("many", [False, True])
def test_auc_and_placements_from_one_sort_equal_the_separate_calls(ties, many):
    """rank_auc_placements: the AUC, class counts, DeLong variances and placements of
    rank_auc and placements called one after the other, bit for bit (few long windows
    share one sort per window; many short ones take the grouped paths), with a NaN
    score and infinite ones."""
    from oot.metrics._kernels import rank_auc, rank_auc_placements

    seg, y, scores = _awkward_windows(5, ties)
    if many:  # 600 windows of 10 rows: the grouped paths
        seg = Segments(np.arange(0, 6000, 10), np.arange(10, 6001, 10))
    pos = seg.take(y) == 1
    s = seg.take(scores[1]).copy()
    s[[7, 3100, 3200]] = [np.nan, np.inf, -np.inf]
    for delong in (True, False):
        r, plc = rank_auc_placements(pos, s, seg, delong=delong)
        want = rank_auc(pos, s, seg, delong=delong)
        for got_f, want_f in zip(r, want, strict=True):
            np.testing.assert_array_equal(got_f, want_f)
        np.testing.assert_array_equal(plc, placements(pos, s, seg))


@pytest.mark.parametrize("metric", ["roc_auc", "log_loss"])
def test_pair_scores_are_score_windows_bit_for_bit(metric):
    """Each prediction's own scores in a pair (ROC AUC: from the sort that also gives
    its placements) are score_windows', statuses and counts included."""
    from oot.metrics import score_windows

    seg, y, scores = _awkward_windows(6, True)
    a, b = np.clip(scores[0], 0.01, 0.99), np.clip(scores[1], 0.01, 0.99)
    st, sp = seg.starts, seg.starts + seg.lengths
    ps = score_window_pairs(metric, y, a, b, st, sp, min_window_size=2, n_classes=2)
    for got, p in ((ps.a, a), (ps.b, b)):
        want = score_windows(metric, y, p, st, sp, min_window_size=2, n_classes=2)
        for field in ("score", "se", "n", "n_pos", "n_neg", "status"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field))


def test_paired_delong_equals_the_definition_with_ties():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 300)
    a = np.round(rng.normal(size=300) + y, 1)
    b = np.round(a + rng.normal(size=300), 1)
    va, vb = _placements_by_definition(y, a), _placements_by_definition(y, b)
    d = va - vb
    var = np.var(d[y == 1], ddof=1) / (y == 1).sum() + np.var(d[y == 0], ddof=1) / (
        y == 0).sum()
    assert paired_delong_se(y, a, b) == pytest.approx(np.sqrt(var), rel=1e-12)


# ------------------------------------------------------ each kernel's pairing
def _windows(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    edges = np.linspace(0, n, k + 1).astype(int)
    return edges[:-1], edges[1:]


def _regression(seed: int, n: int = 1200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.normal(3.0, 1.0, n)
    base = y + rng.normal(0, 0.6, n)
    return y, base + rng.normal(0, 0.3, n), 0.9 * base + rng.normal(0, 0.3, n) + 0.2


def test_differences_equal_scikit_learn_and_mean_losses_pair_their_rows():
    y, a, b = _regression(3)
    st, sp = _windows(len(y), 4)
    for name, fn, rows in (
        ("mae", skm.mean_absolute_error, lambda p: np.abs(y - p)),
        ("mse", skm.mean_squared_error, lambda p: (y - p) ** 2),
    ):
        ps = score_window_pairs(name, y, a, b, st, sp)
        for w, (lo, hi) in enumerate(zip(st, sp, strict=True)):
            want = fn(y[lo:hi], a[lo:hi]) - fn(y[lo:hi], b[lo:hi])
            assert ps.diff[w] == pytest.approx(want, abs=1e-12)
            d = (rows(a) - rows(b))[lo:hi]
            assert ps.se[w] == pytest.approx(np.std(d, ddof=1) / np.sqrt(hi - lo),
                                             rel=1e-10)
        assert (ps.status == "ok").all()


def test_accuracy_pairs_hits_with_the_binomial_ddof():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 900)
    a = np.where(rng.random(900) < 0.8, y, 1 - y)
    b = np.where(rng.random(900) < 0.7, a, 1 - a)
    st, sp = _windows(900, 3)
    ps = score_window_pairs("accuracy", y, a, b, st, sp)
    for w, (lo, hi) in enumerate(zip(st, sp, strict=True)):
        d = (a == y).astype(float)[lo:hi] - (b == y).astype(float)[lo:hi]
        assert ps.diff[w] == pytest.approx(
            skm.accuracy_score(y[lo:hi], a[lo:hi]) - skm.accuracy_score(y[lo:hi], b[lo:hi]),
            abs=1e-12)
        # the McNemar-type variance ((b + c)/n - ((b - c)/n)^2) / n
        assert ps.se[w] == pytest.approx(np.std(d) / np.sqrt(hi - lo), rel=1e-10)


def _jackknife_se(fn, y, a, b) -> float:
    n = len(y)
    keep = np.ones(n, dtype=bool)
    vals = np.empty(n)
    for i in range(n):
        keep[i] = False
        vals[i] = fn(y[keep], a[keep]) - fn(y[keep], b[keep])
        keep[i] = True
    return float(np.sqrt((n - 1) / n * np.sum((vals - vals.mean()) ** 2)))


@pytest.mark.parametrize(("name", "fn"), [
    ("rmse", lambda y, p: np.sqrt(skm.mean_squared_error(y, p))),
    ("r2", skm.r2_score),
    ("roc_auc", skm.roc_auc_score),
])
def test_delta_method_and_delong_pairs_agree_with_the_jackknife(name, fn):
    if name == "roc_auc":
        rng = np.random.default_rng(5)
        y = rng.integers(0, 2, 300)
        base = rng.normal(size=300) + y
        a, b = base + 0.5 * rng.normal(size=300), 0.5 * base + rng.normal(size=300)
        kw = {"n_classes": 2}
    else:
        y, a, b = _regression(5, 800)
        kw = {}
    ps = score_window_pairs(name, y, a, b, [0], [len(y)], **kw)
    assert ps.diff[0] == pytest.approx(fn(y, a) - fn(y, b), abs=1e-12)
    assert ps.se[0] == pytest.approx(_jackknife_se(fn, y, a, b), rel=0.03)


def _median_ae(y_true, y_pred):
    return float(np.median(np.abs(np.asarray(y_true) - np.asarray(y_pred))))


MEDIAN_AE = Metric("median_ae_test", func=_median_ae, greater_is_better=False,
                   task="regression")


def test_a_metric_without_kernel_gets_a_paired_bootstrap_keyed_by_the_window():
    y, a, b = _regression(6, 600)
    st, sp = _windows(600, 3)
    ps = score_window_pairs(MEDIAN_AE, y, a, b, st, sp, random_state=0, n_bootstrap=300)
    for w, (lo, hi) in enumerate(zip(st, sp, strict=True)):
        assert ps.diff[w] == pytest.approx(
            _median_ae(y[lo:hi], a[lo:hi]) - _median_ae(y[lo:hi], b[lo:hi]), abs=1e-12)
    again = score_window_pairs(MEDIAN_AE, y, a, b, st[::-1], sp[::-1], random_state=0,
                               n_bootstrap=300)
    np.testing.assert_array_equal(again.se[::-1], ps.se)  # a window's draws are its own
    assert np.all(np.isfinite(ps.se))
    assert np.all(ps.se > 0)


def test_pair_status_is_the_first_failing_one():
    y = np.array([0, 0, 1, 1, 1, 1, 0, 1])
    a = np.array([0.1, 0.2, 0.8, 0.7, 0.6, 0.9, 0.3, 0.5])
    b = a[::-1].copy()
    ps = score_window_pairs("roc_auc", y, a, b, [0, 2, 0], [4, 6, 0], n_classes=2)
    assert ps.status.tolist() == ["ok", "one_class", "empty"]
    assert np.isnan(ps.diff[1:]).all()
    assert np.isnan(ps.se[1:]).all()


def test_bad_input_names_the_parameter():
    msg = ("The 'y_pred_b' parameter of score_window_pairs must be an array of the shape "
           "of y_pred_a (4,). Got 'an array of shape (3,)' instead.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        score_window_pairs("mae", [1.0, 2, 3, 4], [1.0, 2, 3, 4], [1.0, 2, 3], [0], [4])
    msg = ("The 'score_b' parameter of paired_delong_se must be an array of the same "
           "length as y_true (3). Got 'an array of length 2' instead.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        paired_delong_se([0, 1, 1], [0.1, 0.2, 0.3], [0.1, 0.2])


# --------------------------------------------------------------- simulation
def _simulated(name: str, reps: int, n: int, seed: int, n_bootstrap: int = 100):
    """``reps`` independent data sets of ``n`` rows, one per window, with two correlated
    predictions; returns the differences and their paired SEs."""
    rng = np.random.default_rng(seed)
    total = reps * n
    if name in ("roc_auc", "accuracy", "log_loss"):
        y = (rng.random(total) < 0.35).astype(int)
        base = 1.2 * y + rng.normal(size=total)
        a = base + 0.6 * rng.normal(size=total)
        b = 0.7 * base + 0.6 * rng.normal(size=total)
        if name == "accuracy":
            a, b = (a > 0.6).astype(int), (b > 0.45).astype(int)
        elif name == "log_loss":
            a, b = 1 / (1 + np.exp(-(a - 0.6))), 1 / (1 + np.exp(-(1.3 * b - 0.6)))
        kw = {"n_classes": 2}
    else:
        y = rng.normal(size=total)
        base = y + rng.standard_t(5, size=total) * 0.5
        a = base + 0.3 * rng.normal(size=total)
        b = 0.8 * base + 0.4 * rng.normal(size=total)
        kw = {}
    st = np.arange(reps) * n
    ps = score_window_pairs(name if name != "median" else MEDIAN_AE, y, a, b, st, st + n,
                            random_state=seed, n_bootstrap=n_bootstrap, **kw)
    return ps


@pytest.mark.parametrize(("name", "reps"), [
    ("roc_auc", 3000), ("mae", 3000), ("rmse", 3000), ("mse", 3000), ("r2", 3000),
    ("accuracy", 3000), ("log_loss", 3000), ("median", 300),
])
def test_paired_se_matches_the_spread_of_differences_over_data_sets(name, reps):
    """Over independent data sets the differences spread as the paired SE says: the
    root-mean-square SE over the observed SD of the differences lies in 0.9-1.1 (Monte
    Carlo error of the SD about 1.3% at 3000 data sets, 4% at 300: the paired bootstrap
    of a metric without kernel costs 100 resamples per data set)."""
    ps = _simulated(name, reps, 400 if name != "median" else 200, seed=10)
    ok = ps.status == "ok"
    assert ok.mean() > 0.99
    ratio = np.sqrt(np.mean(ps.se[ok] ** 2)) / np.std(ps.diff[ok], ddof=1)
    assert 0.9 <= ratio <= 1.1, ratio
    # pairing matters: the unpaired SE (as if independent) is far larger
    unpaired = np.sqrt(ps.a.se[ok] ** 2 + ps.b.se[ok] ** 2)
    assert np.median(ps.se[ok] / unpaired) < 0.95
