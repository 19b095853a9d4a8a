"""Model selection when the windows of one calendar period share their noise (issue 13).

``curve="auto"`` compares families by a quasi-AICc whose overdispersion ``c`` is the
calendar periods' design effect (``period_overdispersion``). References: dense numpy
linear algebra (explicit design, projector, period indicator), the expectation of the
estimator computed in closed form against a Monte Carlo mean, the QAICc formula, and a
small repeated simulation with a known linear truth.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import oot.degradation._select as select_module
from oot import OOTEvaluation
from oot.degradation import bootstrap_crossing, fit_degradation
from oot.degradation._bootstrap import _percentile_level, _refitted, _replicate_aicc
from oot.degradation._calendar import prepared
from oot.degradation._families import get_family, parametric_family_names
from oot.degradation._select import _aicc, _fit_candidate, _select, period_overdispersion

ORIGIN = pd.Timestamp("2021-01-04")


def frame(values: np.ndarray, se: np.ndarray | None, *, window: float = 30.0,
          starts: bool = True) -> OOTEvaluation:
    """Scores ``values[j, k]`` of anchor j (one window apart) at window k; calendar
    period ``j + k`` (``window_start``); ``se`` None: no standard errors."""
    n_anchors, n_windows = values.shape
    j, k = np.divmod(np.arange(n_anchors * n_windows), n_windows)
    data = pd.DataFrame({"anchor": j + 1, "window": k + 1,
                         "age": pd.to_timedelta((k + 0.5) * window, unit="D"),
                         "score": values.ravel()})
    if se is not None:
        data["se"] = se.ravel()
    if starts:
        data["window_start"] = ORIGIN + pd.to_timedelta((j + k) * window, unit="D")
        data["window_end"] = data["window_start"] + pd.Timedelta(days=window)
    return OOTEvaluation.from_frame(data, metric="roc_auc")


def linear_truth(rng: np.random.Generator, n_anchors: int, n_windows: int, *,
                 cal_sd: float, se: float = 0.004, slope: float = -0.0003
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A linear decline, anchor levels, calendar noise shared by every anchor scoring
    a period, and sampling noise of standard error ``se``."""
    j, k = np.meshgrid(np.arange(n_anchors), np.arange(n_windows), indexing="ij")
    cal = cal_sd * rng.standard_normal(n_anchors + n_windows - 1)
    values = (0.8 + slope * (k + 0.5) * 30.0 + 0.005 * rng.standard_normal((n_anchors, 1))
              + cal[j + k] + se * rng.standard_normal(j.shape))
    return values, np.full(j.shape, se)


def dense_design(n_anchors: int, n_windows: int) -> tuple[np.ndarray, np.ndarray]:
    """The saturated age model's design (anchor dummies, age dummies but the first)
    and each cell's period, in the fit's order (anchor, then age)."""
    j, k = np.divmod(np.arange(n_anchors * n_windows), n_windows)
    x = np.hstack([np.eye(n_anchors)[j], np.eye(n_windows)[k][:, 1:]])
    return x, j + k


def dense_c(y: np.ndarray, x: np.ndarray, period: np.ndarray, w: np.ndarray) -> float:
    """The design effect from explicit n x n matrices."""
    sw = np.sqrt(w)
    xs = x * sw[:, None]
    m = np.eye(len(y)) - xs @ np.linalg.pinv(xs.T @ xs) @ xs.T
    b = (period[:, None] == period[None, :]).astype(float)
    z = m @ (sw * y)
    return float((z @ b @ z) / np.trace(b @ m) / ((z @ z) / np.trace(m)))


def test_overdispersion_matches_a_dense_computation_equal_weights() -> None:
    rng = np.random.default_rng(3)
    values, _ = linear_truth(rng, 4, 7, cal_sd=0.02)
    d = prepared(frame(values, None), "baseline", "none")
    x, period = dense_design(4, 7)
    ref = dense_c(values.ravel(), x, period, np.ones(28))
    assert ref > 1.5   # strong shared noise: the floor is not what is compared
    assert period_overdispersion(d) == pytest.approx(ref, rel=1e-10)


def test_overdispersion_matches_a_dense_computation_with_standard_errors() -> None:
    rng = np.random.default_rng(4)
    values, se = linear_truth(rng, 3, 8, cal_sd=0.015)
    se = se * np.exp(0.3 * rng.standard_normal(se.shape))
    d = prepared(frame(values, se), "baseline", "none")
    x, period = dense_design(3, 8)
    y, se2 = values.ravel(), se.ravel() ** 2
    tau2 = 0.0
    for _ in range(4):   # Paule-Mandel: sum r^2 / (se^2 + tau2) = df, at the fit's weights
        w = 1.0 / (se2 + tau2)
        xw = x * w[:, None]
        r = y - x @ np.linalg.lstsq(xw.T @ x, xw.T @ y, rcond=None)[0]
        df = len(y) - np.linalg.matrix_rank(x)
        q = lambda t, r=r, df=df: float(np.sum(r * r / (se2 + t))) - df   # noqa: E731
        tau2 = 0.0 if q(0.0) <= 0 else optimize.brentq(q, 0.0, float(np.sum(r * r)),
                                                        xtol=1e-16)
    ref = dense_c(y, x, period, 1.0 / (se2 + tau2))
    assert ref > 1.2
    assert period_overdispersion(d) == pytest.approx(ref, rel=1e-10)


def test_overdispersion_estimates_the_design_effect() -> None:
    """The ratio's parts have the expectations it divides by: about 1 with independent
    windows, and the closed-form ratio of expectations with shared period noise."""
    n_anchors, n_windows, s2, e2 = 4, 6, 1.0, 1.0
    x, period = dense_design(n_anchors, n_windows)
    n = len(period)
    m = np.eye(n) - x @ np.linalg.pinv(x.T @ x) @ x.T
    b = (period[:, None] == period[None, :]).astype(float)
    v = e2 * np.eye(n) + s2 * b
    expected = (np.trace(b @ m @ v @ m) / np.trace(b @ m)) / (np.trace(m @ v) / np.trace(m))
    rng = np.random.default_rng(5)
    got, null = [], []
    for _ in range(300):
        cal = rng.standard_normal(n_anchors + n_windows - 1) * np.sqrt(s2)
        noise = rng.standard_normal(n) * np.sqrt(e2)
        for out, y in ((got, cal[period] + noise), (null, noise)):
            z = m @ y
            out.append(((z @ b @ z) / np.trace(b @ m), (z @ z) / np.trace(m)))
    num, den = np.mean(got, axis=0)
    assert num / den == pytest.approx(expected, rel=0.08)
    assert expected > 1.5
    num0, den0 = np.mean(null, axis=0)
    assert num0 / den0 == pytest.approx(1.0, abs=0.08)
    # and the library's estimate on one such data set is the dense one
    y = 0.8 + cal[period] * 0.01 + noise * 0.01
    d = prepared(frame(y.reshape(n_anchors, n_windows), None), "baseline", "none")
    assert period_overdispersion(d) == pytest.approx(max(dense_c(y, x, period,
                                                                 np.ones(n)), 1.0),
                                                     rel=1e-10)


def test_no_shared_period_means_plain_aicc(monkeypatch: pytest.MonkeyPatch) -> None:
    """One anchor (no period has two windows), or no calendar periods (no
    window_start, anchors not one window apart): c is exactly 1 and the criterion is
    the AICc, bit for bit, even with the quasi-AICc switched on."""
    monkeypatch.setattr(select_module, "QUASI_AICC", True)
    rng = np.random.default_rng(6)
    values, se = linear_truth(rng, 1, 12, cal_sd=0.02)
    ev = frame(values, se)
    d = prepared(ev, "baseline", "auto")
    assert period_overdispersion(d) == 1.0
    c = fit_degradation(ev)
    assert c.overdispersion == 1.0
    sgn, scale = -1.0, float(d.a.max())
    fits = {f: _fit_candidate(get_family(f), d, sgn, scale, d.anchor_index())
            for f in c.aicc}
    assert c.aicc == {f: fit.aicc for f, fit in fits.items()}

    values, se = linear_truth(rng, 4, 8, cal_sd=0.02)
    data = frame(values, se, starts=False)
    assert prepared(data, "baseline", "auto").clusters is None
    assert fit_degradation(data).overdispersion == 1.0


def test_c_of_one_reproduces_the_aicc_choice() -> None:
    rng = np.random.default_rng(7)
    values, se = linear_truth(rng, 4, 10, cal_sd=0.02)
    d = prepared(frame(values, se), "baseline", "none")
    sgn, scale, n_ages = -1.0, float(d.a.max()), 10
    best, crit = _select("auto", d, sgn, scale, d.anchor_index(), n_ages, 1.0)
    fits = [_fit_candidate(get_family(f), d, sgn, scale, d.anchor_index()) for f in crit]
    assert crit == {f.family.name: f.aicc for f in fits}
    assert best.family.name == min(fits, key=lambda f: (f.aicc, f.family.n_shape)
                                   ).family.name
    # with c > 1 each candidate's criterion is -2 loglik / c + 2 k + 2 k (k + 1) / (n - k - 1)
    c = 2.5
    _, qcrit = _select("auto", d, sgn, scale, d.anchor_index(), n_ages, c)
    for f in fits:
        k = 4 + f.family.n_shape + 1
        assert qcrit[f.family.name] == pytest.approx(
            -2 * f.loglik / c + 2 * k + 2 * k * (k + 1) / (d.n - k - 1), rel=1e-12)
        assert _aicc(f.loglik, k, d.n) == pytest.approx(f.aicc, rel=1e-12)


def test_replicate_criterion_is_the_quasi_aicc() -> None:
    rng = np.random.default_rng(8)
    values, se = linear_truth(rng, 3, 8, cal_sd=0.01)
    d = prepared(frame(values, se), "baseline", "none")
    fams = [get_family("linear"), get_family("quadratic")]
    rss = np.array([[30.0, 12.0], [22.0, 11.5]])
    w = np.ones((1, d.n))
    plain = _replicate_aicc(fams, rss, w, d)
    assert np.array_equal(plain, _replicate_aicc(fams, rss, w, d, 1.0))
    got = _replicate_aicc(fams, rss, w, d, 3.0)
    n = d.n
    for i, f in enumerate(fams):
        k = 3 + f.n_shape + 1
        ref = n * np.log(rss[i] / n) / 3.0 + 2 * k + 2 * k * (k + 1) / (n - k - 1)
        np.testing.assert_allclose(got[i], ref, rtol=1e-12)
    # the extra parameter's gain in n log(rss / n) (7.4) wins the AICc, not the QAICc
    assert np.argmin(plain, axis=0)[0] == 1
    assert np.argmin(got, axis=0)[0] == 0


def test_shared_calendar_noise_no_longer_picks_flexible_families() -> None:
    """Linear truth, 4 anchors x 14 windows, calendar noise five times the sampling
    error: the AICc takes the periods' shared noise for shape far more often than the
    QAICc (measured: 18 and 4 of 30 data sets not linear)."""
    rng = np.random.default_rng(12)
    names = parametric_family_names()
    plain_bent = quasi_bent = 0
    cs = []
    for i in range(30):
        values, se = linear_truth(rng, 4, 14, cal_sd=0.02)
        d = prepared(frame(values, se), "baseline", "none")
        c = period_overdispersion(d)
        cs.append(c)
        sgn, scale, anchors = -1.0, float(d.a.max()), d.anchor_index()
        if i == 0:   # what fit_degradation's selection does with that c
            _, crit = _select("auto", d, sgn, scale, anchors, 14, c)
        fits = [_fit_candidate(get_family(f), d, sgn, scale, anchors) for f in names]
        k = {f.family.name: 4 + f.family.n_shape + 1 for f in fits}
        plain = min(fits, key=lambda f: (f.aicc, f.family.n_shape)).family.name
        quasi = min(fits, key=lambda f: (_aicc(f.loglik, k[f.family.name], d.n, c),
                                         f.family.n_shape)).family.name
        if i == 0:
            assert quasi == min(crit, key=lambda f: (crit[f], get_family(f).n_shape))
        plain_bent += plain != "linear"
        quasi_bent += quasi != "linear"
    assert np.median(cs) > 1.5
    assert plain_bent >= 12
    assert quasi_bent <= plain_bent / 2


def test_selection_is_the_aicc_while_the_quasi_aicc_is_off() -> None:
    """``QUASI_AICC`` is off (see its comment): shared noise or not, ``auto`` keeps the
    AICc and records c = 1."""
    assert select_module.QUASI_AICC is False
    rng = np.random.default_rng(12)
    values, se = linear_truth(rng, 5, 10, cal_sd=0.02)
    ev = frame(values, se)
    d = prepared(ev, "baseline", "none")
    assert period_overdispersion(d) > 1.5
    c = fit_degradation(ev, calendar="none")
    assert c.overdispersion == 1.0
    sgn, scale = -1.0, float(d.a.max())
    assert c.aicc == {f: _fit_candidate(get_family(f), d, sgn, scale, d.anchor_index()).aicc
                      for f in c.aicc}


def test_the_curve_and_its_bootstrap_use_the_overdispersion(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Switched on, the fit compares by the quasi-AICc with its c, and the bootstrap's
    replicates re-select by it."""
    monkeypatch.setattr(select_module, "QUASI_AICC", True)
    rng = np.random.default_rng(12)
    values, se = linear_truth(rng, 5, 10, cal_sd=0.02)
    ev = frame(values, se)
    c = fit_degradation(ev, calendar="none")
    d = prepared(ev, "baseline", "none")
    assert c.overdispersion == pytest.approx(period_overdispersion(d), rel=1e-12)
    assert c.overdispersion > 1.5
    sgn, scale = -1.0, float(d.a.max())
    for name, crit in c.aicc.items():   # the quasi-AICc of each candidate
        fit = _fit_candidate(get_family(name), d, sgn, scale, d.anchor_index())
        k = 5 + fit.family.n_shape + 1
        assert crit == pytest.approx(_aicc(fit.loglik, k, d.n, c.overdispersion),
                                     rel=1e-12)
        assert crit != pytest.approx(fit.aicc, rel=1e-6)
    fixed = fit_degradation(ev, curve="linear", calendar="none")
    assert fixed.overdispersion == 1.0
    # the fresh reference differences the periods' noise out: the AICc
    fresh = fit_degradation(ev, reference="fresh")
    assert fresh.overdispersion == 1.0
    df = prepared(ev, "fresh", "auto")
    assert fresh.aicc == {f: _fit_candidate(get_family(f), df, sgn, float(df.a.max()),
                                            df.anchor_index()).aicc for f in fresh.aicc}
    # the replicates re-select with it: the same curve told c = 1 re-selects by AICc,
    # which takes a flexible family in more replicates (different crossings)
    assert len(_refitted(c)) > 1
    plain = dataclasses.replace(c, overdispersion=1.0)
    b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=200, random_state=0)
    b1 = bootstrap_crossing(ev, plain, tolerance=0.05, n_bootstrap=200, random_state=0)
    assert not np.array_equal(b.samples, b1.samples)
    # the quasi-AICc keeps most replicates on one family: the few-cluster widening
    # applies, as for one family refitted alone
    g = int(d.clusters.max()) + 1
    assert _percentile_level(c, 0.9, g) == pytest.approx(
        stats.norm.cdf(-stats.t.ppf(0.95, g - 1)), rel=1e-12)
    assert _percentile_level(plain, 0.9, g) == pytest.approx(0.05)


def test_the_method_sentence_names_the_quasi_aicc(monkeypatch: pytest.MonkeyPatch) -> None:
    import oot._format as fmt
    from oot import recommend_retrain_interval
    rng = np.random.default_rng(12)
    values, se = linear_truth(rng, 5, 10, cal_sd=0.02)
    ev = frame(values, se)
    rec = recommend_retrain_interval(ev, tolerance=0.05, n_bootstrap=50, random_state=0)
    text = {i.title: i.text for i in fmt.method(rec)}["Curve"]
    assert f"chosen by AICc among the {len(rec.curve.aicc)} shapes" in text
    monkeypatch.setattr(select_module, "QUASI_AICC", True)
    rec = recommend_retrain_interval(ev, tolerance=0.05, n_bootstrap=50, random_state=0)
    c = rec.curve.overdispersion
    assert c > 1.5
    text = {i.title: i.text for i in fmt.method(rec)}["Curve"]
    assert (f"chosen by quasi-AICc among the {len(rec.curve.aicc)} shapes fitted "
            f"({', '.join(rec.curve.aicc)}): the AICc with its log-likelihood divided by "
            f"{c:.2f}") in text
