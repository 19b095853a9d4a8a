"""The calibration studies as tests (marked ``slow``: minutes, not seconds).

Run them with ``bash scripts/test.sh -m slow``. They replay the studies in ``studies/``
with the same seeds and assert their targets, so a change that breaks calibration fails
here even though the default suite (which deselects ``slow``) stays fast.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from joblib import Parallel, delayed

from ._helpers import load_study

pytestmark = pytest.mark.slow


def _load(name: str) -> ModuleType:
    return load_study(name)


def test_crossing_age_interval_is_calibrated() -> None:
    """Nominal 90% interval covers the true crossing age in 85-95% of 200 data sets per
    shape (linear, exponential, hinge), flat data is called "crossed" at most 10%, and
    the bootstrap band of the curve covers the true mean curve in 82-97%."""
    cov = _load("coverage")
    jobs = [(s, 1000 * i + k) for i, s in enumerate(cov.SHAPES) for k in range(200)]
    res = Parallel(n_jobs=2)(delayed(cov.one)(s, seed, 500) for s, seed in jobs)
    for shape in ("linear", "exponential", "hinge"):
        rows = [r for r in res if r["shape"] == shape]
        for label in ("auto", "true"):
            coverage = np.mean([r[label]["cover"] for r in rows])
            assert 0.85 <= coverage <= 0.95, (shape, label, coverage)
    flat = [r["auto"]["status"] for r in res if r["shape"] == "flat"]
    assert flat.count("crossed") / len(flat) <= 0.10
    # the bootstrap band of the mean curve is calibrated pointwise; the delta-method
    # band, blind to shared calendar noise, under-covers
    for shape in cov.SHAPES:
        rows = [r for r in res if r["shape"] == shape]
        for label in ("auto", "true") if shape != "flat" else ("auto",):
            band = np.mean([r[label]["band_cover"] for r in rows], axis=0)
            assert np.all((band >= 0.82) & (band <= 0.97)), (shape, label, band)
            delta = np.mean([r[label]["delta_cover"] for r in rows], axis=0)
            assert np.all(delta < band), (shape, label, delta, band)


def test_crossing_age_interval_with_the_fresh_reference() -> None:
    """With reference="fresh" the nominal 90% interval covers the truth in 80-97% of 200
    data sets per shape (84.5-95% in the study: wider intervals, same calibration)."""
    cov = _load("coverage")
    shapes = ("linear", "exponential", "hinge")
    jobs = [(s, 1000 * list(cov.SHAPES).index(s) + k) for s in shapes for k in range(200)]
    res = Parallel(n_jobs=2)(delayed(cov.one)(s, seed, 500, "fresh") for s, seed in jobs)
    for shape in shapes:
        rows = [r for r in res if r["shape"] == shape]
        for label in ("auto", "true"):
            coverage = np.mean([r[label]["cover"] for r in rows])
            assert 0.80 <= coverage <= 0.97, (shape, label, coverage)


@pytest.mark.parametrize("case", range(7))
def test_per_window_standard_errors_are_calibrated(case: int) -> None:
    """Reported per-window SE (RMS) over the observed SD of the score: 0.9-1.1 at window
    sizes 500 and 5,000 (2,000 windows each), for every metric and population."""
    se = _load("se_calibration")
    metric, population, _ = se.CASES[case]
    rng = np.random.default_rng(case)
    for n in (500, 5000):
        r = se.run(metric, population, n, 2000, rng)
        assert 0.9 <= r["ratio_rms"] <= 1.1, (metric, population, n, r["ratio_rms"])
        assert math.isfinite(r["mean"])


def test_leading_indicators_false_alarms_and_leads() -> None:
    """The indicators study (16 data sets per scenario, as in docs/studies/indicators.md):
    without a loss nothing is recommended; a distractor that jumps is never the one to
    watch and the cause is in most step runs; the rule of thumb (PSI above 0.1) on the
    distractor false-alarms in most anchors that never cross, and on the cause warns
    before most crossings."""
    st = _load("indicators")
    jobs = [(sc, 1000 * i + k) for i, sc in enumerate(st.SCENARIOS) for k in range(16)]
    res = Parallel(n_jobs=2)(delayed(st.one)(sc, seed) for sc, seed in jobs)
    null = [r for r in res if r["scenario"] == "null"]
    assert sum(r["best"] is None for r in null) >= 15
    step = [r for r in res if r["scenario"] == "step"]
    assert not any(r["best"] in ("psi:x_noise", "ks:x_noise") for r in step)
    assert sum(r["best"] in st.CAUSE for r in step) >= 8
    never = sum(r["n_anchors"] - r["x_noise_crossed"] for r in null)
    assert sum(r["x_noise_false"] for r in null) >= 0.9 * never
    crossed = sum(r["x_cause_crossed"] for r in res if r["scenario"] != "null")
    warned = sum(r["x_cause_warned"] for r in res if r["scenario"] != "null")
    assert warned >= 0.8 * crossed


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_paired_comparison_is_calibrated(task: str) -> None:
    """compare_candidates on make_heuristic_comparison (100 data sets, the study's
    seeds): the nominal 90% CI of the age at which the model stops beating the
    heuristic covers the exact one in 85-95%, most estimates are within 20% of it, and
    the paired per-window SE is RMS(SE) / SD(difference) = 0.9-1.1 at every window."""
    st = _load("compare_coverage")
    i = list(st.TASKS).index(task)
    seeds = [1000 * i + k for k in range(100)]
    res = Parallel(n_jobs=2)(delayed(st.one)(task, seed, 500) for seed in seeds)
    r = st.summarize(res)[task]
    assert r["crossed"] >= 0.95, r
    assert r["within_20"] >= 0.9, r
    assert r["se_ratio_min"] >= 0.85, r
    assert r["se_ratio_max"] <= 1.15, r
    assert r["unpaired_ratio_median"] > 1.2, r  # pairing matters
    assert 0.85 <= r["coverage"] <= 0.95, r


def test_partial_pooling_helps_small_segments_and_spares_large_ones() -> None:
    """studies/pooling.py with its documented seeds (40 data sets, 200 replicates): with
    pooling="partial" the small segments of typical speed have a smaller RMSE of the
    relative error (49.2% -> 43.3% at 40 data sets, 48.5% -> 41.6% at 200) and a
    coverage at least as high, and the large segments' coverage is not lower (68.8% ->
    73.8% at 40, 73.2% -> 76.5% at 200)."""
    study = _load("pooling")
    res = Parallel(n_jobs=2)(delayed(study.one)(seed, 200) for seed in range(40))
    t = study.table([r for part in res for r in part]).set_index(
        ["segments", "speed", "pooling"])
    small_none, small_part = t.loc[("small", "typical", "none")], t.loc[
        ("small", "typical", "partial")]
    assert small_part["rmse_rel"] < small_none["rmse_rel"]
    assert small_part["coverage"] >= small_none["coverage"]
    assert t.loc[("large", "all", "partial"), "coverage"] >= t.loc[
        ("large", "all", "none"), "coverage"]


#: issue 13's targets not met at 200 data sets (docs/studies/shapes.md, "What is still
#: missed"): scenario -> the target it misses. Strict: a scenario that starts to meet its
#: targets fails here until it is moved out of this table.
SHAPES_MISSED = {
    "season_4": "error 10.5%",
    "few_1x5": "error 24.1% (the true family alone: 24.1%)",
    "few_2x4": "error 17.3% (the true family alone: 17.5%)",
    "noisy_1": "coverage 95.5%, error 12.3%",
    "fr_exponential": "error 16.0%",
    "fr_hinge": "median error 3.3% against the naive rule's 2.6%",
}
SHAPES = ("step_1", "step_8", "logistic_8", "explosive_8", "mae_sigmoid_8", "season_8",
          "season_4", "bump_flat", "shocks_flat", "shocks_linear", "growing_var",
          "few_1x5", "few_2x4", "regime_1", "noisy_1", "calendar_step_flat", "fr_linear",
          "fr_exponential", "fr_hinge", "fr_flat")


@pytest.mark.parametrize("name", [
    pytest.param(s, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                         reason=SHAPES_MISSED[s]))
    if s in SHAPES_MISSED else s for s in SHAPES])
def test_shapes_study_targets(name: str) -> None:
    """studies/shapes.py at its documented size (200 data sets, 1000 replicates, the
    same seeds as the table in docs/studies/shapes.md): issue 13's targets. Degrading:
    coverage of the nominal 90% CI 85-95%, median relative error at most 10% and no
    larger than the naive rule's; flat: "crossed" at most 5% and no more often than
    the naive rule."""
    st = _load("shapes")
    assert set(st.SCENARIOS) == set(SHAPES)
    res = Parallel(n_jobs=2)(delayed(st.one)(name, k, 1000) for k in range(200))
    r = st.summarise(pd.DataFrame(res)).iloc[0]
    if math.isfinite(r["truth"]):
        assert 0.85 <= r["coverage"] <= 0.95, r
        assert r["err"] <= 0.10, r
        assert r["err"] <= r["naive_err"], r
    else:
        assert r["crossed"] <= 0.05, r
        assert r["crossed"] <= r["naive_crossed"], r
