"""Tests of oot.degradation: curve fits, model selection, trend test, crossing, bootstrap."""

from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from oot import ExtrapolationWarning, InvalidParameterError, NotEnoughWindowsError
from oot.degradation import (
    PARAMETRIC_FAMILIES,
    DegradationCurve,
    bootstrap_crossing,
    fit_degradation,
    mann_kendall,
)
from oot.evaluate import OOTEvaluation

from .conftest import DEGRADING_PARAMS

AGES = np.arange(15.0, 15.0 + 30 * 12, 30.0)  # 12 monthly windows
TRUE = DEGRADING_PARAMS


def shape(family: str, p: dict[str, float], a: np.ndarray) -> np.ndarray:
    if family == "linear":
        return p["b"] * a
    if family == "quadratic":
        return p["b"] * a + p["c"] * a * a
    if family == "exponential":
        return p["d"] * (1 - np.exp(-a / p["s"]))
    if family == "power":
        return p["b"] * a ** p["beta"]
    if family == "logarithmic":
        return p["b"] * np.log1p(a / p["k"])
    if family == "hinge":
        return p["b"] * np.maximum(0, a - p["h"])
    if family == "explosive":
        return p["b"] * (np.exp(a / p["s"]) - 1)
    if family == "logistic":
        # a window's score is the curve's mean over the window (a +- 15 days here), by a
        # fine midpoint rule; the curve is d (sigma((x - m) / w) - sigma(-m / w))
        x = a[:, None] + (np.arange(3000) + 0.5) / 3000 * 30.0 - 15.0
        sig = 1.0 / (1.0 + np.exp(-(x - p["m"]) / p["w"]))
        return p["d"] * (sig.mean(axis=1) - 1.0 / (1.0 + np.exp(p["m"] / p["w"])))
    raise AssertionError(family)


def make_eval(
    values_by_anchor: dict[int, np.ndarray],
    ages: np.ndarray = AGES,
    *,
    se: float | None = 0.005,
    metric: str = "roc_auc",
    window_start: bool = True,
) -> OOTEvaluation:
    rows = []
    for j, vals in values_by_anchor.items():
        for k, (a, v) in enumerate(zip(ages, vals, strict=True)):
            row = {"anchor": j, "age": float(a), "score": float(v)}
            if se is not None:
                row["se"] = se
            if window_start:
                row["window_start"] = 30.0 * (j + k)
            rows.append(row)
    return OOTEvaluation.from_frame(pd.DataFrame(rows), metric=metric, time_kind="numeric")


def family_eval(family: str, *, noise: float = 0.0, n_anchors: int = 5, seed: int = 0,
                metric: str = "roc_auc") -> OOTEvaluation:
    rng = np.random.default_rng(seed)
    f = shape(family, TRUE[family], AGES)
    sign = 1.0 if metric == "roc_auc" else -1.0
    vals = {j: 0.8 + 0.01 * (j - (n_anchors + 1) / 2) + sign * f + rng.normal(0, noise, len(AGES))
            for j in range(1, n_anchors + 1)}
    return make_eval(vals, metric=metric)


# ------------------------------------------------------------------ recovery
@pytest.mark.parametrize("family", list(TRUE))
def test_recovers_parameters_noise_free(family: str) -> None:
    c = fit_degradation(family_eval(family), curve=family)
    for name, value in TRUE[family].items():
        assert c.params[name] == pytest.approx(value, rel=1e-4), name
    assert c.level == pytest.approx(0.8, abs=1e-6)
    for j in range(1, 6):
        assert c.offsets[j] == pytest.approx(0.8 + 0.01 * (j - 3), abs=1e-6)
    assert c.predict(0.0) == pytest.approx(c.level)


@pytest.mark.parametrize("family", list(TRUE))
def test_recovers_parameters_noisy(family: str) -> None:
    ev = family_eval(family, noise=0.002, n_anchors=12, seed=1)
    c = fit_degradation(ev, curve=family)
    truth = 0.8 + shape(family, TRUE[family], AGES)
    assert np.max(np.abs(c.predict(AGES) - truth)) < 0.004
    assert c.tau2 >= 0


@pytest.mark.parametrize("family", list(TRUE))
def test_lower_is_better_recovers_parameters(family: str) -> None:
    c = fit_degradation(family_eval(family, metric="rmse"), curve=family)
    for name, value in TRUE[family].items():
        expected = -value if name in ("b", "c", "d") else value
        assert c.params[name] == pytest.approx(expected, rel=1e-4), name
    assert not c.greater_is_better


@pytest.mark.parametrize("family", ["linear", "exponential", "hinge", "quadratic",
                                    "explosive"])
def test_auto_picks_true_family_on_clean_data(family: str) -> None:
    ev = family_eval(family, noise=1e-5, n_anchors=6, seed=2)
    c = fit_degradation(ev, curve="auto")
    assert c.family == family
    assert set(c.aicc) == set(PARAMETRIC_FAMILIES)  # listed in test_families
    assert c.aicc[family] == min(c.aicc.values())


def test_isotonic_monotone_and_offsets() -> None:
    ev = family_eval("exponential", noise=0.001, seed=3)
    c = fit_degradation(ev, curve="isotonic")
    pred = c.predict(np.linspace(0, AGES[-1], 50))
    assert np.all(np.diff(pred) <= 1e-12)
    assert c.predict(0.0) == pytest.approx(c.level)
    thr = c.threshold(0.05)
    age = c.crossing_age(thr)
    assert age is not None
    assert c.predict(age) == pytest.approx(thr, abs=1e-9)


def test_hinge_on_data_degrading_from_the_start_is_deterministic() -> None:
    """A breakpoint below the youngest age is not identified (same fit, other level at
    age 0); the fit puts it at the youngest age, so rounding cannot move the baseline."""
    ev = family_eval("linear", noise=0.002, seed=4)
    ref = fit_degradation(ev, curve="hinge")
    assert ref.params["h"] == pytest.approx(AGES[0], abs=1e-6)
    rng = np.random.default_rng(0)
    for _ in range(5):
        scores = ev.scores.copy()
        scores["score"] = scores["score"] * (1 + rng.normal(0, 1e-13, len(scores)))
        c = fit_degradation(OOTEvaluation.from_frame(scores, metric="roc_auc"),
                            curve="hinge")
        assert c.params["h"] == pytest.approx(ref.params["h"], abs=1e-6)
        assert c.baseline == pytest.approx(ref.baseline, abs=1e-9)
    # the curve is flat until the youngest age, then the linear fit
    lin = fit_degradation(ev, curve="linear")
    assert ref.predict(AGES[0]) == pytest.approx(ref.level)
    np.testing.assert_allclose(ref.predict(AGES), lin.predict(AGES), atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_pava_equals_scikit_learn(seed: int) -> None:
    """The min-max PAVA of many rows at once equals sklearn's IsotonicRegression row by
    row (weighted, increasing and, through the sign, decreasing fits)."""
    from sklearn.isotonic import IsotonicRegression

    from oot.degradation._isotonic import pava_rows

    rng = np.random.default_rng(seed)
    k = 14
    x = np.arange(k, dtype=float)
    t = 0.01 * np.sqrt(x)[None, :] + rng.normal(0, 0.05, (30, k))
    w = rng.gamma(2.0, 1.0, k)
    for sgn in (1.0, -1.0):
        fit = sgn * pava_rows(sgn * t, w)
        for row, got in zip(t, fit, strict=True):
            ref = IsotonicRegression(increasing=sgn > 0).fit(x, row, sample_weight=w)
            np.testing.assert_allclose(got, ref.predict(x), rtol=0, atol=1e-12)


def test_isotonic_is_the_saturated_age_model_when_it_is_monotone() -> None:
    """When the free age effects are already monotone the isotonic fit is the saturated
    model itself (least squares with one effect per age and anchor offsets, by lstsq)."""
    ev = family_eval("linear", noise=0.0005, n_anchors=4, seed=5)
    c = fit_degradation(ev, curve="isotonic")
    s = ev.scores
    ages = np.unique(s["age"])
    x = np.column_stack([(s["anchor"].to_numpy() == j).astype(float)
                         for j in sorted(s["anchor"].unique())]
                        + [(s["age"].to_numpy() == a).astype(float) for a in ages[1:]])
    beta = np.linalg.lstsq(x, s["score"].to_numpy(float), rcond=None)[0]
    effects = np.r_[0.0, beta[4:]]
    assert np.all(np.diff(effects) < 0)  # monotone: no pooling
    np.testing.assert_allclose(c.knots_y, effects, atol=1e-10)
    np.testing.assert_allclose(c.knots_x, ages)
    assert c.level == pytest.approx(float(np.mean(beta[:4])), abs=1e-10)


# ------------------------------------------------------------------ trend test
def test_mann_kendall_reference_values() -> None:
    r = mann_kendall(np.arange(10), np.arange(10, 0, -1))
    assert r.s == -45
    assert r.var_s == 125
    assert r.z == pytest.approx(-3.935, abs=5e-4)
    assert r.pvalue == pytest.approx(8.3e-5, rel=0.01)
    assert r.tau == -1


def test_mann_kendall_ties_and_strata() -> None:
    # ties: values 1, 1, 2 -> S = 2, Var = (3*2*11 - 2*1*9) / 18 = 48 / 18
    r = mann_kendall([1, 2, 3], [1, 1, 2])
    assert r.s == 2
    assert r.var_s == pytest.approx(48 / 18)
    # stratified: two identical strata double S and Var(S)
    two = mann_kendall(list(range(10)) * 2, list(range(10, 0, -1)) * 2, [1] * 10 + [2] * 10)
    assert (two.s, two.var_s) == (-90, 250)


def test_flat_data_high_trend_pvalue() -> None:
    rng = np.random.default_rng(4)
    ev = make_eval({j: 0.8 + rng.normal(0, 0.01, len(AGES)) for j in range(1, 7)})
    c = fit_degradation(ev)
    assert c.trend_pvalue > 0.05
    assert c.crossing_age(c.threshold(0.05)) is None


def test_trend_direction() -> None:
    c = fit_degradation(family_eval("linear", noise=0.001))
    assert c.trend_direction == "degrading"
    assert c.trend_pvalue < 1e-6
    c2 = fit_degradation(family_eval("linear", noise=0.001, metric="rmse"))
    assert c2.trend_direction == "degrading"  # rising RMSE is degradation


# ------------------------------------------------------------------ threshold, crossing
def test_threshold_directions() -> None:
    hi = fit_degradation(family_eval("linear"), curve="linear")
    lo = fit_degradation(family_eval("linear", metric="rmse"), curve="linear")
    assert hi.threshold(0.05) == pytest.approx(hi.baseline * 0.95)
    assert lo.threshold(0.05) == pytest.approx(lo.baseline * 1.05)
    assert hi.threshold(0.02, "absolute") == pytest.approx(hi.baseline - 0.02)
    assert lo.threshold(0.02, "absolute") == pytest.approx(lo.baseline + 0.02)


def test_threshold_bad_tolerance_message() -> None:
    c = fit_degradation(family_eval("linear"), curve="linear")
    msg = ("The 'tolerance' parameter of DegradationCurve.threshold must be a float in the "
           "range (0, 1) for tolerance_type='relative'. Got 1.5 instead.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        c.threshold(1.5)


def test_crossing_age_linear_closed_form() -> None:
    c = fit_degradation(family_eval("linear", noise=0.001, seed=5), curve="linear")
    thr = c.threshold(0.05)
    assert c.crossing_age(thr) == pytest.approx((thr - c.level) / c.params["b"], rel=1e-12)


def test_crossing_age_exponential_and_hinge_closed_form() -> None:
    e = fit_degradation(family_eval("exponential"), curve="exponential")
    m = e.threshold(0.05) - e.level
    expected = -e.params["s"] * math.log(1 - m / e.params["d"])
    assert e.crossing_age(e.threshold(0.05)) == pytest.approx(expected, rel=1e-10)
    h = fit_degradation(family_eval("hinge"), curve="hinge")
    m = h.threshold(0.05) - h.level
    assert h.crossing_age(h.threshold(0.05)) == pytest.approx(
        h.params["h"] + m / h.params["b"], rel=1e-10)


@pytest.mark.parametrize("family", list(TRUE))
def test_crossing_reaches_threshold(family: str) -> None:
    c = fit_degradation(family_eval(family), curve=family)
    thr = c.level - 0.02
    age = c.crossing_age(thr)
    assert age is not None
    assert c.predict(age) == pytest.approx(thr, abs=1e-9)
    ages = np.linspace(0, age, 200)[:-1]
    assert np.all(c.predict(ages) > thr - 1e-12)


@pytest.mark.parametrize("family", [*TRUE, "isotonic"])
def test_larger_tolerance_never_crosses_earlier(family: str) -> None:
    data = "exponential" if family == "isotonic" else family
    c = fit_degradation(family_eval(data, noise=0.001, seed=6), curve=family)
    prev = 0.0
    for tol in np.linspace(0.005, 0.2, 40):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            age = c.crossing_age(c.threshold(float(tol)), extrapolate=True, max_age=1e9)
        if age is None:
            prev = math.inf
            continue
        assert age >= prev
        prev = age


def test_crossing_none_and_extrapolation_warning() -> None:
    c = fit_degradation(family_eval("linear"), curve="linear")
    far = c.level + c.params["b"] * c.age_max * 2
    assert c.crossing_age(far) is None
    with pytest.warns(ExtrapolationWarning, match="extrapolated"):
        age = c.crossing_age(far, extrapolate=True)
    assert age == pytest.approx(2 * c.age_max)
    assert c.crossing_age(c.level + 1.0) == 0.0  # already past the threshold at age 0
    e = fit_degradation(family_eval("exponential"), curve="exponential")
    beyond = e.level + 1.5 * e.params["d"]  # below the asymptote level + d: never reached
    assert e.crossing_age(beyond, extrapolate=True, max_age=1e12) is None


def test_datetime_ages_round_trip() -> None:
    from oot.datasets import make_degradation_scores

    ev = make_degradation_scores(random_state=0).to_evaluation()
    c = fit_degradation(ev, curve="linear")
    age = c.crossing_age(c.threshold(0.05))
    assert isinstance(age, pd.Timedelta)
    assert c.predict(age) == pytest.approx(c.predict(age / pd.Timedelta(days=1)))


# ------------------------------------------------------------------ baseline, reference
def test_baseline_modes() -> None:
    ev = family_eval("linear", noise=0.001)
    first = fit_degradation(ev, baseline="first_window")
    u = ev.usable
    expected = u.sort_values("age").groupby("anchor")["score"].first().mean()
    assert first.baseline == pytest.approx(expected)
    fixed = fit_degradation(ev, baseline=0.9)
    assert fixed.baseline == 0.9
    assert fixed.threshold(0.1) == pytest.approx(0.81)


def test_fresh_reference_removes_calendar_effects() -> None:
    rng = np.random.default_rng(7)
    season = rng.normal(0, 0.03, 30)
    vals = {j: 0.8 - 0.0003 * AGES + season[j - 1:j - 1 + len(AGES)] for j in range(1, 9)}
    ev = make_eval(vals)
    fresh = fit_degradation(ev, curve="linear", reference="fresh")
    assert fresh.reference == "fresh"
    assert fresh.params["b"] == pytest.approx(-0.0003, rel=1e-6)


def test_fresh_reference_needs_window_start() -> None:
    ev = make_eval({1: 0.8 - 0.0003 * AGES}, window_start=False)
    with pytest.raises(InvalidParameterError, match="window_start"):
        fit_degradation(ev, reference="fresh")


def test_equal_weights_without_se() -> None:
    c = fit_degradation(family_eval("linear", noise=0.002), curve="linear")
    rng = np.random.default_rng(0)
    ev = make_eval({j: 0.8 - 0.0003 * AGES + rng.normal(0, 0.002, 12) for j in (1, 2)},
                   se=None)
    c = fit_degradation(ev, curve="linear")
    assert c.tau2 > 0
    assert c.params["b"] == pytest.approx(-0.0003, rel=0.1)


def test_unusable_windows_are_ignored() -> None:
    ev = family_eval("linear")
    scores = ev.scores.copy()
    scores.loc[0, "score"] = 99.0
    scores.loc[0, "status"] = "too_small"
    scores.loc[1, "score"] = np.nan
    bad = OOTEvaluation(scores=scores, metric=ev.metric, time_kind="numeric")
    c = fit_degradation(bad, curve="linear")
    assert c.n_windows == len(scores) - 2
    assert c.params["b"] == pytest.approx(-0.0003, rel=1e-6)


# ------------------------------------------------------------------ errors
def test_not_enough_windows_message() -> None:
    ev = make_eval({1: np.array([0.8, 0.79]), 2: np.array([0.81, 0.8])}, ages=AGES[:2])
    msg = ("fit_degradation needs at least 4 usable windows to fit a linear curve with 2 "
           "anchor offset(s); got 4 usable windows (of 4).")
    # 4 windows, 2 offsets + slope + 1 = 4 is enough for linear ...
    fit_degradation(ev, curve="linear")
    # ... but not for a quadratic (needs 5)
    with pytest.raises(NotEnoughWindowsError, match="needs at least 5 usable windows"):
        fit_degradation(ev, curve="quadratic")
    ev2 = make_eval({1: np.array([0.8, 0.79])}, ages=AGES[:2])
    msg = ("fit_degradation needs at least 3 usable windows to fit a linear curve with 1 "
           "anchor offset(s); got 2 usable windows (of 2). Get more usable windows: use "
           "longer data, a shorter eval_window, more anchors or a smaller min_window_size.")
    with pytest.raises(NotEnoughWindowsError, match=re.escape(msg)):
        fit_degradation(ev2)


def test_invalid_arguments() -> None:
    ev = family_eval("linear")
    with pytest.raises(InvalidParameterError, match="'curve' parameter of fit_degradation"):
        fit_degradation(ev, curve="cubic")
    with pytest.raises(InvalidParameterError, match="'baseline' parameter"):
        fit_degradation(ev, baseline="first")
    with pytest.raises(InvalidParameterError, match="'evaluation' parameter"):
        fit_degradation(ev.scores)  # type: ignore[arg-type]


# ------------------------------------------------------------------ serialisation, display
@pytest.mark.parametrize("family", ["auto", "isotonic", "hinge"])
def test_to_dict_round_trip(family: str) -> None:
    c = fit_degradation(family_eval("hinge", noise=0.001), curve=family)
    d = c.to_dict()
    back = DegradationCurve.from_dict(json.loads(json.dumps(d, allow_nan=False)))
    assert back.to_dict() == d
    assert back.family == c.family
    assert back.offsets == c.offsets
    np.testing.assert_array_equal(back.predict(AGES), c.predict(AGES))
    assert back.crossing_age(c.threshold(0.05)) == c.crossing_age(c.threshold(0.05))


def test_documents_with_the_removed_extra_field_still_load() -> None:
    """Curves written before DegradationCurve.extra was removed carry ``"extra":
    {"__dict__": []}`` (the encoded empty dict); they load, and the key is not written
    back."""
    c = fit_degradation(family_eval("linear", noise=0.001), curve="linear")
    old = {**c.to_dict(), "extra": {"__dict__": []}}
    back = DegradationCurve.from_dict(json.loads(json.dumps(old)))
    assert "extra" not in back.to_dict()
    assert back.to_dict() == c.to_dict()
    assert not hasattr(back, "extra")


def test_summary_str_html_band() -> None:
    c = fit_degradation(family_eval("linear", noise=0.001), curve="linear")
    s = c.summary()
    assert s.loc["family", "value"] == "linear"
    assert "Linear degradation curve of roc_auc" in str(c)
    assert "<table" in c._repr_html_()
    lo, hi = c.band(AGES)
    mid = c.predict(AGES)
    assert np.all(lo < mid)
    assert np.all(hi > mid)
    lo2, hi2 = c.band(AGES, confidence_level=0.99)
    assert np.all(hi2 - lo2 > hi - lo)


# ------------------------------------------------------------------ bootstrap
def sim_eval(seed: int = 0) -> OOTEvaluation:
    from oot.datasets import make_degradation_scores

    return make_degradation_scores(n_anchors=6, n_windows=12, random_state=seed,
                                   time_kind="numeric", window=30.0).to_evaluation()


def test_bootstrap_deterministic_with_random_state() -> None:
    ev = sim_eval()
    c = fit_degradation(ev)
    b1 = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=200, random_state=3)
    b2 = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=200, random_state=3)
    np.testing.assert_array_equal(b1.samples, b2.samples)
    assert (b1.low, b1.high) == (b2.low, b2.high)
    b3 = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=200, random_state=4)
    assert not np.array_equal(b1.samples, b3.samples)


@pytest.mark.parametrize("method", ["wild", "pairs"])
@pytest.mark.parametrize("family", ["linear", "exponential", "isotonic"])
def test_bootstrap_interval_brackets_estimate(method: str, family: str) -> None:
    ev = sim_eval(1)
    c = fit_degradation(ev, curve=family)
    n = 60 if family == "isotonic" else 300
    b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=n, random_state=0,
                           method=method)
    assert b.samples.shape == (n,)
    assert b.low <= b.estimate <= b.high
    assert 0 < b.crossed_fraction <= 1
    assert b.n_clusters == 6 + 12 - 1
    assert np.all(b.samples[np.isfinite(b.samples)] <= c.age_max)


@pytest.mark.parametrize("method", ["wild", "pairs"])
@pytest.mark.parametrize("family", ["linear", "exponential", "hinge", "auto", "isotonic"])
def test_bootstrap_band_brackets_the_fitted_curve(method: str, family: str) -> None:
    ev = sim_eval(3)
    c = fit_degradation(ev, curve=family)
    b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=100 if family == "isotonic"
                           else 400, random_state=0, method=method)
    assert b.band_age.shape == b.band_low.shape == b.band_high.shape == (61,)
    assert b.band_age[0] == 0.0
    assert b.band_age[-1] == pytest.approx(c.age_max)
    assert np.all(np.isfinite(b.band_low))  # the isotonic family too
    assert np.all(b.band_low <= b.band_high)
    mid = np.asarray(c.predict(b.band_age), dtype=float)
    inside = (b.band_low <= mid) & (mid <= b.band_high)
    assert inside.mean() >= 0.95, inside.mean()
    if family != "isotonic":
        # shared calendar noise (17 calendar windows over 6 anchors): the cluster
        # bootstrap band is wider than the delta-method band, which ignores it
        lo, hi = c.band(b.band_age, confidence_level=b.confidence_level)
        assert np.median(b.band_high - b.band_low) > np.median(hi - lo)


def test_bootstrap_band_narrows_with_less_noise() -> None:
    """With 10x smaller noise the band is about 10x narrower (it scales with the data)."""
    from oot.datasets import make_degradation_scores

    widths = []
    for sd in (0.01, 0.001):
        ev = make_degradation_scores(n_anchors=6, n_windows=12, random_state=5, se=sd,
                                     period_sd=sd, anchor_sd=sd / 2, time_kind="numeric",
                                     window=30.0).to_evaluation()
        c = fit_degradation(ev, curve="linear")
        b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=400, random_state=0)
        widths.append(float(np.median(b.band_high - b.band_low)))
    assert 5 < widths[0] / widths[1] < 20


def test_bootstrap_larger_tolerance_later() -> None:
    ev = sim_eval(2)
    c = fit_degradation(ev, curve="linear")
    b1 = bootstrap_crossing(ev, c, tolerance=0.03, n_bootstrap=200, random_state=0)
    b2 = bootstrap_crossing(ev, c, tolerance=0.06, n_bootstrap=200, random_state=0)
    fin = np.isfinite(b1.samples) & np.isfinite(b2.samples)
    assert np.all(b2.samples[fin] >= b1.samples[fin])


def test_bootstrap_interval_is_a_confidence_interval() -> None:
    from oot import ConfidenceInterval
    from oot.datasets import make_degradation_scores

    ev = make_degradation_scores(random_state=0).to_evaluation()  # datetime time
    c = fit_degradation(ev, curve="linear")
    b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=100, random_state=0)
    ci = b.interval()
    assert isinstance(ci, ConfidenceInterval)
    for end, days in ((ci.low, b.low), (ci.high, b.high)):  # ages to the second
        assert isinstance(end, pd.Timedelta)
        assert abs(end - pd.Timedelta(days=days)) <= pd.Timedelta(seconds=1)
    num = sim_eval(0)
    bn = bootstrap_crossing(num, fit_degradation(num, curve="linear"), tolerance=0.05,
                            n_bootstrap=100, random_state=0)
    assert bn.interval() == ConfidenceInterval(bn.low, bn.high)


def test_bootstrap_random_state_goes_through_as_generator() -> None:
    from oot._validation import as_generator

    ev = sim_eval(0)
    c = fit_degradation(ev, curve="linear")
    for rs in (7, np.random.RandomState(7)):
        ref_rs = 7 if isinstance(rs, int) else np.random.RandomState(7)
        b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=50, random_state=rs)
        ref = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=50,
                                 random_state=as_generator(ref_rs))
        np.testing.assert_array_equal(b.samples, ref.samples)
    msg = ("The 'random_state' parameter of bootstrap_crossing must be an int >= 0, a "
           "numpy Generator/RandomState or None. Got -1 instead.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=10, random_state=-1)


def test_bootstrap_mismatched_curve() -> None:
    ev = sim_eval(0)
    other = fit_degradation(family_eval("linear"))
    with pytest.raises(InvalidParameterError, match="'curve' parameter of bootstrap_crossing"):
        bootstrap_crossing(ev, other, tolerance=0.05, n_bootstrap=10)
    c = fit_degradation(ev)
    with pytest.raises(InvalidParameterError, match="'n_bootstrap' parameter"):
        bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=0)


def test_no_warnings_on_ordinary_fit() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        curve = fit_degradation(sim_eval(3))
    assert [str(w.message) for w in caught] == []
    assert curve.n_windows == 72
    assert np.isfinite(curve.level)
    assert all(np.isfinite(v) for v in curve.params.values())


def test_trend_test_is_robust_to_calendar_noise_shared_across_anchors() -> None:
    """Shared calendar noise correlates the anchors' statistics: the textbook stratified
    variance rejects flat data far too often; the cluster-jackknife variance does not."""
    from oot.datasets import make_degradation_scores
    from oot.degradation import mann_kendall

    n = 200
    naive = robust = power = 0
    for seed in range(n):
        ev = make_degradation_scores(shape="none", n_anchors=8, n_windows=14,
                                     random_state=10_000 + seed).to_evaluation()
        s = ev.usable
        args = (ev.ages(), s["score"].to_numpy(), s["anchor"].to_numpy())
        naive += mann_kendall(*args).pvalue < 0.05
        robust += mann_kendall(*args, s["window_start"].to_numpy()).pvalue < 0.05
    for seed in range(20):
        ev = make_degradation_scores(shape="linear", n_anchors=8, n_windows=14,
                                     random_state=20_000 + seed).to_evaluation()
        s = ev.usable
        power += mann_kendall(ev.ages(), s["score"].to_numpy(), s["anchor"].to_numpy(),
                              s["window_start"].to_numpy()).pvalue < 0.05
    assert naive / n > 0.10          # the problem is real on this design
    assert robust / n <= 0.08        # nominal 5%, binomial slack for 200 draws
    assert power == 20


def _anchor_slopes_eval(spread: float, seed: int = 0) -> OOTEvaluation:
    """Six anchors whose models age at different speeds (slope -1e-4 * (1 + spread *
    z_j), z_j standard normal), little window noise."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(6)
    values = {j: 0.85 - 1e-4 * (1 + spread * z[j]) * AGES
              + rng.normal(0, 0.002, AGES.size) for j in range(6)}
    return make_eval(values, se=0.002)


def test_resample_anchors_carries_the_spread_between_anchors():
    """With anchors that age at different speeds, reweighting them widens the CI of
    the crossing age (the calendar clusters alone see only the windows' noise); with
    anchors that age alike it changes the CI little. The label says so."""
    widths = {}
    for spread in (0.0, 0.5):
        ev = _anchor_slopes_eval(spread)
        c = fit_degradation(ev, curve="linear")
        for ra in (False, True):
            b = bootstrap_crossing(ev, c, tolerance=0.02, tolerance_type="absolute",
                                   n_bootstrap=400, random_state=1, resample_anchors=ra)
            assert math.isfinite(b.low)
            assert math.isfinite(b.high)
            assert b.low <= b.estimate <= b.high
            assert ("anchors reweighted" in b.method) is ra
            widths[spread, ra] = b.high - b.low
    assert widths[0.5, True] > 1.5 * widths[0.5, False]
    assert widths[0.0, True] < 1.5 * widths[0.0, False]


def test_resample_anchors_matches_the_spread_of_anchor_means():
    """Reference: with no window noise at all, a replicate's slope is the
    Dirichlet-weighted mean of the anchors' own slopes (equal weights and ages), so the
    replicates' spread of the crossing age matches a direct Bayesian bootstrap of the
    six slopes' mean."""
    rng = np.random.default_rng(3)
    slopes = -1e-4 * (1 + 0.4 * rng.standard_normal(6))
    ev = make_eval({j: 0.85 + slopes[j] * AGES for j in range(6)}, se=0.002)
    c = fit_degradation(ev, curve="linear")
    b = bootstrap_crossing(ev, c, tolerance=0.02, tolerance_type="absolute",
                           n_bootstrap=4000, random_state=2, resample_anchors=True)
    ok = np.isfinite(b.samples)
    ref_w = np.random.default_rng(5).dirichlet(np.ones(6), size=20000)
    ref = 0.02 / -(ref_w @ slopes)
    ref = ref[ref <= c.age_max]
    assert abs(np.median(b.samples[ok]) - np.median(ref)) < 0.03 * np.median(ref)
    ratio = np.subtract(*np.quantile(b.samples[ok], [0.9, 0.1])) / np.subtract(
        *np.quantile(ref, [0.9, 0.1]))
    assert 0.85 < ratio < 1.15
