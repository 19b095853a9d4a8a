"""rank_indicators: correlation, lead and trigger of each leading indicator.

References from outside the ranking: scipy's Spearman correlation and a hand-written
within-anchor rank correlation; a brute-force lead from the fitted curve and the
per-anchor first alarms; generated data whose cause of degradation is known
(``make_indicator_data``: ``x_cause`` drives the loss, ``x_noise`` drifts as much and
does not matter).
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata, spearmanr
from sklearn.linear_model import LogisticRegression

import oot
from oot import InvalidParameterError, OOTEvaluation
from oot.indicators._rank import pooled_rank_correlation


@pytest.fixture(scope="module")
def evaluation() -> OOTEvaluation:
    sim = oot.datasets.make_indicator_data(12000, random_state=0)
    return oot.evaluate_out_of_time(
        sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
        train_window="90D", eval_window="30D", anchors=12, indicators=True)


@pytest.fixture(scope="module")
def report(evaluation: OOTEvaluation) -> oot.IndicatorReport:
    return oot.rank_indicators(evaluation, tolerance=0.05)


# ------------------------------------------------------------ the rank correlation
def test_pooled_rank_correlation_with_one_anchor_is_spearman() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    y = x + rng.normal(size=30)
    x[3] = x[4]  # a tie
    got = pooled_rank_correlation(np.ones(30), x, y)
    assert got == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)


def test_pooled_rank_correlation_equals_a_hand_computation() -> None:
    rng = np.random.default_rng(1)
    a = np.repeat([1, 2, 3], [5, 8, 2])          # anchor 3 has too few pairs
    x = rng.normal(size=15) + 10.0 * a            # levels differ by anchor
    y = -x + rng.normal(size=15)
    cx, cy = [], []
    for k in (1, 2):
        m = a == k
        n = m.sum()
        rx = (rankdata(x[m]) - 0.5) / n
        ry = (rankdata(y[m]) - 0.5) / n
        cx.append(rx - rx.mean())
        cy.append(ry - ry.mean())
    hx, hy = np.concatenate(cx), np.concatenate(cy)
    want = float((hx * hy).sum() / math.sqrt((hx * hx).sum() * (hy * hy).sum()))
    assert pooled_rank_correlation(a, x, y) == pytest.approx(want, abs=1e-12)
    # a level added to one anchor's indicator changes nothing
    shifted = x + np.where(a == 2, 100.0, 0.0)
    assert pooled_rank_correlation(a, shifted, y) == pytest.approx(want, abs=1e-12)


def test_pooled_rank_correlation_without_enough_pairs_is_nan() -> None:
    assert math.isnan(pooled_rank_correlation(np.array([1, 1, 2, 2]),
                                              np.arange(4.0), np.arange(4.0)))


# ------------------------------------------------------------ on known truth
def test_the_cause_ranks_first_tracks_and_leads(report: oot.IndicatorReport) -> None:
    t = report.summary().set_index("indicator")
    assert report.best in ("psi:x_cause", "ks:x_cause")
    assert set(report.indicators[:2]) == {"psi:x_cause", "ks:x_cause"}
    for name in ("psi:x_cause", "ks:x_cause"):
        assert t.loc[name, "agreement"] > 0.8
        assert bool(t.loc[name, "tracks"])
        assert t.loc[name, "lead"] > pd.Timedelta(0)
        # warned at or before the anchor's own first crossing in most anchors
        assert t.loc[name, "n_warned"] >= 0.75 * t.loc[name, "n_crossed"]


def test_a_shift_that_does_not_matter_is_not_chosen(report: oot.IndicatorReport) -> None:
    t = report.summary().set_index("indicator")
    for name in ("psi:x_noise", "ks:x_noise"):
        assert abs(t.loc[name, "correlation"]) < 0.2
        assert not bool(t.loc[name, "tracks"])
        assert not bool(t.loc[name, "recommended"])
    assert int(t["recommended"].sum()) == 1


def test_the_lead_equals_a_brute_force_computation(
        evaluation: OOTEvaluation, report: oot.IndicatorReport) -> None:
    name = "psi:x_cause"
    row = report.summary().set_index("indicator").loc[name]
    level = float(row["trigger_level"])
    curve = oot.fit_degradation(evaluation)
    crossing = curve.crossing_age(report.threshold)
    assert crossing is not None
    assert report.crossing_age == pd.Timedelta(crossing).round("s")
    ind = evaluation.indicators
    assert ind is not None
    sel = ind.loc[(ind["indicator"] == name) & (ind["status"] == "ok")]
    merged = sel.merge(evaluation.scores[["anchor", "window", "age"]],
                       on=["anchor", "window"])
    first = merged.loc[merged["value"] > level].groupby("anchor")["age"].min()
    days = np.median(first.dt.total_seconds().to_numpy() / 86400.0)
    want = pd.Timedelta(crossing) - pd.Timedelta(days=days)
    assert abs(row["lead"] - want) <= pd.Timedelta(seconds=1)
    assert abs(row["alarm_age"] - pd.Timedelta(days=days)) <= pd.Timedelta(seconds=1)


def test_given_levels_are_used_and_the_trigger_is_backtest_trigger(
        evaluation: OOTEvaluation) -> None:
    rep = oot.rank_indicators(evaluation, levels={"psi:x_cause": 0.5})
    row = rep.summary().set_index("indicator").loc["psi:x_cause"]
    assert row["trigger_level"] == 0.5
    tb = oot.backtest_trigger(evaluation, "psi:x_cause", level=0.5)
    assert row["within_test"] == pytest.approx(tb.within_test)
    assert row["retrains_test"] == pytest.approx(tb.retrains_test)
    assert rep.trigger("psi:x_cause").level == 0.5


def test_too_few_anchors_rank_without_a_trigger() -> None:
    sim = oot.datasets.make_indicator_data(4000, random_state=2)
    ev = oot.evaluate_out_of_time(
        sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
        train_window="90D", eval_window="30D", anchors=2,
        indicators=["psi:x_cause", "psi:x_noise"])
    rep = oot.rank_indicators(ev)
    assert "3" in rep.trigger_problem
    assert "Not backtested as a trigger" in str(rep)
    assert rep.summary()["within_test"].isna().all()
    with pytest.raises(InvalidParameterError, match="could not"):
        rep.trigger()


# ------------------------------------------------------------ results
def test_sentence_names_the_indicator_its_lead_and_the_trigger(
        report: oot.IndicatorReport) -> None:
    text = str(report)
    assert text.startswith("Watch ")
    assert "x_cause" in text
    assert re.search(r"a median \d+ days before ROC AUC fell 5%", text)
    assert re.search(r"in \d+ of \d+ later 30-day periods with \d+ retrain", text)
    assert "IndicatorReport(" in repr(report)
    assert "<table" in report._repr_html_()


def test_json_round_trip_is_exact(report: oot.IndicatorReport) -> None:
    back = oot.IndicatorReport.from_json(report.to_json())
    pd.testing.assert_frame_equal(back.summary(), report.summary())
    pd.testing.assert_frame_equal(back.to_frame(), report.to_frame())
    assert str(back) == str(report)
    assert back.crossing_age == report.crossing_age
    assert back.to_json() == report.to_json()


def test_plot_draws_one_panel_per_indicator(report: oot.IndicatorReport) -> None:
    from matplotlib.figure import Figure

    axes = Figure().subplots(1, 3)
    disp = report.plot(top=3, ax=axes)
    assert list(disp.lines_) == report.indicators[:3]
    n_anchors = report.evaluation.scores["anchor"].nunique()
    for name in report.indicators[:3]:
        assert len(disp.lines_[name]) == n_anchors
        assert name in disp.level_lines_
    assert len(disp.score_axes_) == 3
    with pytest.raises(InvalidParameterError, match="Did you mean 'psi:x_cause'"):
        report.plot(indicators=["psi:x_caus"], ax=axes)
    with pytest.raises(InvalidParameterError, match="3 Axes"):
        report.plot(top=4, ax=axes)


def test_plot_makes_its_own_figure(report: oot.IndicatorReport) -> None:
    import matplotlib.pyplot as plt

    disp = report.plot(top=3)
    assert len(disp.axes_) == 3
    assert disp.unit_ in ("days", "months")
    plt.close(disp.figure_)


# ------------------------------------------------------------ bad input
def test_bad_input_messages(evaluation: OOTEvaluation) -> None:
    bare = dataclasses.replace(evaluation, indicators=None)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'evaluation' parameter of rank_indicators must be an evaluation with "
            "leading indicators. Got an evaluation without them instead.")):
        oot.rank_indicators(bare)
    with pytest.raises(InvalidParameterError, match="Did you mean 'psi:x_cause'"):
        oot.rank_indicators(evaluation, levels={"psi:x_caus": 0.1})
    with pytest.raises(InvalidParameterError, match="'levels' parameter"):
        oot.rank_indicators(evaluation, levels={"psi:x_cause": "high"})
    with pytest.raises(InvalidParameterError, match="'min_correlation' parameter"):
        oot.rank_indicators(evaluation, min_correlation=2)
    with pytest.raises(InvalidParameterError, match="'tolerance' parameter"):
        oot.rank_indicators(evaluation, tolerance=5)
    with pytest.raises(InvalidParameterError, match="'evaluation' parameter"):
        oot.rank_indicators("not an evaluation")  # type: ignore[arg-type]


def _with_mirror_indicator(ev: OOTEvaluation) -> OOTEvaluation:
    """``ev`` with one indicator, "psi:x1", equal to minus the window's score: it tracks
    the metric perfectly whether or not the metric degrades."""
    s = ev.scores
    frame = pd.DataFrame({"anchor": s["anchor"].to_numpy(), "window": s["window"].to_numpy(),
                          "indicator": "psi:x1", "value": -s["score"].to_numpy(dtype=float),
                          "status": "ok"})
    return dataclasses.replace(ev, indicators=frame)


def test_nothing_is_recommended_when_the_metric_does_not_degrade() -> None:
    sim = oot.datasets.make_indicator_data(6000, cause_speed=0.0, random_state=0)
    ev = oot.evaluate_out_of_time(
        sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
        train_window="90D", eval_window="30D", anchors=8, indicators=["psi:x1"])
    rep = oot.rank_indicators(_with_mirror_indicator(ev), tolerance=0.05)
    assert pd.isna(rep.crossing_age)
    row = rep.summary().iloc[0]
    assert row["agreement"] == pytest.approx(1.0)
    assert bool(row["tracks"])
    assert rep.best is None
    assert str(rep).startswith("ROC AUC did not degrade past the tolerance")


def test_a_perfect_mirror_of_a_degrading_score_is_recommended(
        evaluation: OOTEvaluation) -> None:
    rep = oot.rank_indicators(_with_mirror_indicator(evaluation), tolerance=0.05)
    assert rep.best == "psi:x1"
    assert rep.summary().iloc[0]["agreement"] == pytest.approx(1.0)
