"""The retraining trigger in the policy backtest (:func:`oot.backtest_trigger`).

References: a plain period-by-period loop over the evaluation's tables that applies the
rule as written (retrain at the first cutoff at or after the end of the period whose
indicator passed the level; the new model serves from its first window), brute force
over the candidate levels, the fixed cadences of :func:`oot.backtest_cadences` (a
trigger on the model's age is a fixed cadence), and hand-counted shares.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

import oot
from oot import InvalidParameterError, OOTEvaluation
from oot.backtest import TriggerBacktest


def _with_indicators(ev: OOTEvaluation, values: dict[str, Any]) -> OOTEvaluation:
    """``ev`` with indicators: ``values[name]`` is a function of the scores frame."""
    s = ev.scores
    parts = []
    for name, fn in values.items():
        parts.append(pd.DataFrame({
            "anchor": s["anchor"].to_numpy(), "window": s["window"].to_numpy(),
            "indicator": name, "value": np.asarray(fn(s), dtype=float), "status": "ok"}))
    ind = pd.concat(parts, ignore_index=True)
    ind["indicator"] = ind["indicator"].astype(object)
    ind["status"] = ind["status"].astype(object)
    return dataclasses.replace(ev, indicators=ind)


def _age_days(s: pd.DataFrame) -> np.ndarray:
    age = s["age"]
    if pd.api.types.is_timedelta64_dtype(age):
        return np.asarray(age / pd.Timedelta(days=1), dtype=float)
    return np.asarray(age, dtype=float)


def _evaluation(seed: int = 0, *, n_anchors: int = 14, n_windows: int = 14,
                gap_windows: int = 0, time_kind: str = "datetime") -> OOTEvaluation:
    sim = oot.datasets.make_degradation_scores(
        n_anchors=n_anchors, n_windows=n_windows, slope=-0.0008, period_sd=0.005,
        time_kind=time_kind, random_state=seed)
    ev = sim.to_evaluation()
    if gap_windows:  # cutoffs earlier than the first window: a gap (deployment delay)
        s = ev.scores.copy()
        length = s["window_end"] - s["window_start"]
        s["cutoff"] = s["cutoff"] - gap_windows * length
        s["age"] = s["age"] + gap_windows * length
        ev = dataclasses.replace(ev, scores=s)
    rng = np.random.default_rng(seed)
    return _with_indicators(ev, {
        "age": _age_days,
        "noisy_age": lambda s: _age_days(s) + rng.normal(0, 20, len(s)),
        "noise": lambda s: rng.normal(size=len(s)),
        "expected:roc_auc": lambda s: s["score"].to_numpy() + rng.normal(0, 0.005, len(s)),
    })


def reference_trigger(ev: OOTEvaluation, name: str, level: float, direction: int = 1,
                      ) -> pd.DataFrame:
    """The rule as written, period by period, on the evaluation's own tables."""
    s = ev.scores
    ind = ev.indicators
    assert ind is not None
    val = ind.loc[ind["indicator"] == name].set_index(["anchor", "window"])["value"]
    periods = sorted(s["window_start"].unique())
    first = s.groupby("anchor")["window_start"].min().sort_values()
    cutoffs = s.groupby("anchor")["cutoff"].first()
    anchors = list(first.index)
    serve, pending = anchors[0], None
    rows = []
    for p in periods:
        if pending is not None and first[pending] <= p:
            serve, pending = pending, None
        cell = s.loc[(s["anchor"] == serve) & (s["window_start"] == p)]
        if cell.empty:  # beyond the anchor's windows: the backtest's span ends before
            break
        r = cell.iloc[0]
        v = val.get((serve, int(r["window"])), math.nan)
        alarm = pending is None and math.isfinite(v) and direction * (v - level) > 0
        if alarm:
            later = [a for a in anchors if cutoffs[a] >= r["window_end"]]
            if later:
                pending = later[0]
        rows.append({"period": p, "anchor": serve, "score": float(r["score"]),
                     "alarm": alarm})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ the rule
@pytest.mark.parametrize(("gap_windows", "time_kind"),
                         [(0, "datetime"), (1, "datetime"), (2, "datetime"),
                          (0, "numeric"), (1, "numeric")])
@pytest.mark.parametrize("level", [40.0, 100.0, 170.0, 250.0])
def test_trigger_schedule_equals_the_rule_applied_period_by_period(
        gap_windows: int, time_kind: str, level: float) -> None:
    ev = _evaluation(1, gap_windows=gap_windows, time_kind=time_kind)
    for name in ("age", "noisy_age"):
        tb = oot.backtest_trigger(ev, name, level=level, baseline=0.8)
        ref = reference_trigger(ev, name, level)
        got = tb.realized.iloc[:len(ref)]
        assert len(tb.realized) <= len(ref)
        assert got["anchor"].tolist() == ref["anchor"].tolist()[:len(got)]
        assert got["alarm"].tolist() == ref["alarm"].tolist()[:len(got)]
        np.testing.assert_allclose(got["score"], ref["score"].iloc[:len(got)], rtol=0)
        assert not tb.tuned
        assert tb.levels.empty


def test_a_trigger_on_the_models_age_is_a_fixed_cadence() -> None:
    """Retraining when the model in service is older than (k - 1/2) windows minus a day
    retrains every k windows (phase 0), as :func:`oot.backtest_cadences` does."""
    ev = _evaluation(2)
    bt = oot.backtest_cadences(ev, ["30D", "60D", "90D", "120D"], baseline=0.8, phases=0)
    real = bt.realized
    for k in (1, 2, 3, 4):
        tb = oot.backtest_trigger(ev, "age", level=(k - 0.5) * 30 - 1.0, baseline=0.8)
        fixed = real.loc[real["steps"] == k].set_index("period")["anchor"]
        got = tb.realized.set_index("period")["anchor"]
        common = fixed.index.intersection(got.index)
        assert len(common) >= 10
        assert got.loc[common].tolist() == fixed.loc[common].tolist()


def test_a_smaller_expected_score_is_the_alarm() -> None:
    ev = _evaluation(3)
    tb = oot.backtest_trigger(ev, "expected:roc_auc", level=0.76, baseline=0.8)
    assert tb.direction == "below"
    ref = reference_trigger(ev, "expected:roc_auc", 0.76, direction=-1)
    n = len(tb.realized)
    assert tb.realized["anchor"].tolist() == ref["anchor"].tolist()[:n]
    assert tb.realized["alarm"].tolist() == ref["alarm"].tolist()[:n]


# ------------------------------------------------------------ figures and tuning
def _shares(tb: TriggerBacktest) -> dict[str, tuple[float, int]]:
    r = tb.realized
    out = {}
    for part in ("tune", "test"):
        sub = r.loc[(r["part"] == part) & r["judged"]]
        ok = sub["score"] >= tb.threshold
        out[part] = (float(ok.mean()), int((r["retrained"] & (r["part"] == part)).sum()))
    return out


def test_trigger_figures_are_counted_on_each_part() -> None:
    ev = _evaluation(4)
    tb = oot.backtest_trigger(ev, "noisy_age", level=90.0, baseline=0.8, tolerance=0.05)
    assert tb.threshold == pytest.approx(0.76)
    counts = _shares(tb)
    assert tb.within_tune == pytest.approx(counts["tune"][0])
    assert tb.retrains_tune == counts["tune"][1]
    assert tb.within_test == pytest.approx(counts["test"][0])
    assert tb.retrains_test == counts["test"][1]
    n = int(tb.realized["judged"].sum())
    assert tb.n_tune == round(0.5 * n)
    assert tb.n_tune + tb.n_test == n
    # the split is the first test period
    assert tb.realized.loc[tb.realized["part"] == "test", "period"].iloc[0] == tb.split


def test_the_tuned_level_is_the_fewest_retrains_that_met_the_target() -> None:
    ev = _evaluation(5)
    tb = oot.backtest_trigger(ev, "noisy_age", baseline=0.8, tolerance=0.05,
                              target_share=0.9)
    assert tb.tuned
    lv = tb.levels
    # brute force: every candidate level through the plain loop, on the tuning periods
    tune_periods = set(tb.realized.loc[tb.realized["part"] == "tune", "period"])
    for _, row in lv.iloc[::7].iterrows():
        if not math.isfinite(row["level"]):
            continue
        ref = reference_trigger(ev, "noisy_age", float(row["level"]))
        part = ref.loc[ref["period"].isin(tune_periods)]
        changes = (part["anchor"].diff().fillna(0) != 0).sum()
        assert int(row["retrains_tune"]) == int(changes)
        assert row["within_tune"] == pytest.approx(float((part["score"] >= 0.76).mean()))
    feasible = lv.loc[lv["within_tune"] >= 0.9]
    assert len(feasible)
    chosen = lv.loc[lv["chosen"]].iloc[0]
    assert chosen["retrains_tune"] == feasible["retrains_tune"].min()
    assert tb.level == chosen["level"]
    # never retraining (the last candidate) and always retraining (the first) are tried
    assert lv["level"].iloc[0] == -np.inf
    assert lv["level"].iloc[-1] == np.inf


def test_the_fixed_comparison_reads_the_fixed_cadences_on_the_test_periods() -> None:
    ev = _evaluation(6)
    tb = oot.backtest_trigger(ev, "noisy_age", baseline=0.8)
    test_periods = tb.realized.loc[tb.realized["part"] == "test", "period"]
    bt = oot.backtest_cadences(ev, baseline=0.8)
    real = bt.realized.loc[bt.realized["period"].isin(set(test_periods))]
    for _, row in tb.fixed.iterrows():
        k = int(row["steps"])
        sub = real.loc[real["steps"] == k]
        share = sub.groupby("phase")["score"].apply(lambda x: float((x >= 0.76).mean()))
        assert row["within_test"] == pytest.approx(float(share.mean()))
    f = tb.fixed
    same = f.loc[f["retrains_test"] <= tb.retrains_test]
    assert tb.fixed_same_within == pytest.approx(same["within_test"].max())
    good = f.loc[f["within_test"] >= tb.within_test - 1e-12]
    assert tb.fixed_needed_retrains == pytest.approx(good["retrains_test"].min())


def test_an_informative_indicator_beats_noise_as_a_trigger() -> None:
    ev = _evaluation(7, n_anchors=20, n_windows=20)
    good = oot.backtest_trigger(ev, "age", baseline=0.8, tolerance=0.05)
    bad = oot.backtest_trigger(ev, "noise", baseline=0.8, tolerance=0.05)
    assert good.within_test >= 0.85
    assert good.retrains_test <= bad.retrains_test or good.within_test > bad.within_test


# ---------------------------------------------------------------- round trip
def test_trigger_json_round_trip_is_exact() -> None:
    for kind in ("datetime", "numeric"):
        tb = oot.backtest_trigger(_evaluation(8, time_kind=kind), "noisy_age",
                                  baseline=0.8)
        back = TriggerBacktest.from_json(tb.to_json())
        for f in dataclasses.fields(TriggerBacktest):
            a, b = getattr(tb, f.name), getattr(back, f.name)
            if isinstance(a, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b)
            elif f.name == "metric":
                assert a.to_dict() == b.to_dict()
            else:
                assert a == b or (a != a and b != b), f.name
        assert str(back) == str(tb)


def test_a_malformed_trigger_document_names_from_json() -> None:
    tb = oot.backtest_trigger(_evaluation(8), "noisy_age", baseline=0.8)
    doc = json.loads(tb.to_json())
    broken: list[Any] = [
        {k: v for k, v in doc.items() if k != "levels"},  # a field missing
        {**doc, "schema": "oot.trigger/0"},  # another schema
        {**doc, "levels": {"columns": 3}},  # a frame that is not one
        [doc],  # not an object
    ]
    for bad in broken:
        with pytest.raises(InvalidParameterError, match=r"TriggerBacktest\.from_json"):
            TriggerBacktest.from_json(json.dumps(bad))


def test_trigger_sentence_and_summary() -> None:
    tb = oot.backtest_trigger(_evaluation(9), "age", level=80.0, baseline=0.8)
    text = str(tb)
    assert text.startswith("Retraining when age of ")
    assert f"in {round(tb.within_test * tb.n_test)} of {tb.n_test} later 30-day periods" in text
    s = tb.summary()
    assert s["schedule"].iloc[:2].tolist() == ["trigger", "trigger"]
    assert s["part"].iloc[:2].tolist() == ["tune", "test"]
    assert "oot-trigger" in tb._repr_html_()


# ----------------------------------------------------------------- bad input
def test_trigger_bad_input_messages() -> None:
    ev = _evaluation(10)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'indicator' parameter of backtest_trigger must be the name of an "
            "indicator of the evaluation. Got 'nosy_age' instead. Did you mean "
            "'noisy_age'?")):
        oot.backtest_trigger(ev, "nosy_age")
    bare = dataclasses.replace(ev, indicators=None)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'evaluation' parameter of backtest_trigger must be an evaluation with "
            "leading indicators. Got an evaluation without them instead. Evaluate with "
            "oot.evaluate_out_of_time(..., indicators=True).")):
        oot.backtest_trigger(bare, "age")
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'tune_share' parameter of backtest_trigger must be a float in the range "
            "(0, 1). Got 50 instead. Write half as tune_share=0.5.")):
        oot.backtest_trigger(ev, "age", tune_share=50)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'level' parameter of backtest_trigger must be a number or None (None: "
            "chosen on the tuning periods). Got nan instead.")):
        oot.backtest_trigger(ev, "age", level=float("nan"))
    short = _evaluation(11, n_anchors=3, n_windows=3)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'evaluation' parameter of backtest_trigger must be an evaluation with at "
            "least 2 judged periods before and after the split (the level is chosen on "
            "the earlier periods and judged on the later ones). Got 3 judged periods, 2 "
            "of them for tuning (tune_share=0.5) instead.")):
        oot.backtest_trigger(short, "age", baseline=0.8)
