"""Tests of BacktestDisplay: the realized-score and trade-off charts of a backtest."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

import oot  # noqa: E402
from oot import InvalidParameterError  # noqa: E402
from oot.datasets import make_degradation_scores  # noqa: E402
from oot.plotting import BacktestDisplay  # noqa: E402


@pytest.fixture(scope="module")
def evaluation() -> oot.OOTEvaluation:
    return make_degradation_scores(n_anchors=18, n_windows=18, slope=-0.0004,
                                   random_state=1).to_evaluation()


def _ax() -> object:
    return Figure(figsize=(10, 5.6), layout="constrained").add_subplot()


def test_tradeoff_with_costs_marks_oracle_best_and_recommendation(
        evaluation: oot.OOTEvaluation) -> None:
    bt = oot.backtest_cadences(evaluation, retrain_cost=1.0, shortfall_cost=2.0,
                               recommended_interval=pd.Timedelta(days=100))
    disp = bt.plot(ax=_ax())
    assert isinstance(disp, BacktestDisplay)
    line = disp.lines_["cadences"]
    summ = bt.summary()
    fixed = summ[summ["steps"] > 0]
    np.testing.assert_array_equal(line.get_xdata(), fixed["steps"].to_numpy(float))
    np.testing.assert_array_equal(line.get_ydata(), fixed["cost_rate"].to_numpy())
    assert disp.oracle_line_.get_ydata()[0] == pytest.approx(bt.oracle.cost_rate)
    best = summ.loc[summ["best"]]
    assert disp.best_marker_.get_xdata()[0] == best["steps"].iloc[0]
    assert disp.recommended_marker_.get_xdata()[0] == bt.recommended_steps == 3
    labels = [t.get_text() for t in disp.ax_.get_xticklabels()]
    assert labels[-1] == "never\n0"
    # the best and the recommended cadence always have a tick
    assert f"{3 * 30}\n" in "".join(labels)
    assert disp.title_ == ("What each retraining cadence would have cost over 18 30-day "
                           "periods of history")
    assert disp.ax_.get_ylabel() == "cost per day (retrains + shortfall)"


def test_tradeoff_without_costs_plots_the_share(evaluation: oot.OOTEvaluation) -> None:
    bt = oot.backtest_cadences(evaluation, reference="fresh", target_share=0.8)
    disp = BacktestDisplay.from_backtest(bt, ax=_ax())
    fixed = bt.summary().query("steps > 0")
    np.testing.assert_array_equal(disp.lines_["cadences"].get_ydata(),
                                  fixed["within_fresh"].to_numpy())
    assert disp.oracle_line_ is None
    assert disp.ax_.get_ylim() == (0.0, 1.04)
    assert "within 5% of the fresh model" in disp.title_
    legend = [t.get_text() for t in disp.legend_.get_texts()]
    assert "target share 80%" in legend


def test_realized_draws_step_lines_with_the_realized_scores(
        evaluation: oot.OOTEvaluation) -> None:
    bt = oot.backtest_cadences(evaluation, ["90D"],
                               recommended_interval=pd.Timedelta(days=95))
    disp = bt.plot(kind="realized", ax=_ax())
    assert sorted(disp.lines_) == ["30 days", "90 days", "never"]
    r = bt.realized
    for name, line in disp.lines_.items():
        got = r[(r["cadence"] == name) & (r["phase"] == 0)]["score"].to_numpy()
        # a step line: one value per period, the last repeated to close the period
        np.testing.assert_array_equal(line.get_ydata()[:-1], got)
        assert line.get_drawstyle() == "steps-post"
    legend = [t.get_text() for t in disp.legend_.get_texts()]
    assert "every 90 days, recommended" in " ".join(legend)
    assert any(t.startswith("threshold ") for t in legend)
    assert disp.title_ == ("Realized ROC AUC over 18 30-day periods of history, by "
                           "retraining cadence")


def test_realized_with_a_fresh_reference_follows_the_fresh_model(
        evaluation: oot.OOTEvaluation) -> None:
    bt = oot.backtest_cadences(evaluation, reference="fresh", tolerance=0.05)
    disp = bt.plot(kind="realized", ax=_ax())
    judged = bt.periods[bt.periods["judged"]]
    np.testing.assert_allclose(disp.threshold_line_.get_ydata()[:-1],
                               judged["fresh_score"].to_numpy() * 0.95, rtol=1e-15)
    legend = [t.get_text() for t in disp.legend_.get_texts()]
    assert "threshold: the fresh model -5%" in legend
    assert not any(t.startswith("baseline") for t in legend)


def test_realized_with_chosen_cadences(evaluation: oot.OOTEvaluation) -> None:
    bt = oot.backtest_cadences(evaluation)
    disp = BacktestDisplay.from_backtest(bt, kind="realized", cadences=[2, 0],
                                         ax=_ax(), title="mine", legend=False)
    assert sorted(disp.lines_) == ["60 days", "never"]
    assert disp.title_ == "mine"
    assert disp.legend_ is None


def test_bad_arguments(evaluation: oot.OOTEvaluation) -> None:
    bt = oot.backtest_cadences(evaluation)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'kind' parameter of BacktestDisplay.from_backtest must be one of "
            "{'realized', 'tradeoff'}. Got 'cost' instead.")):
        BacktestDisplay.from_backtest(bt, kind="cost", ax=_ax())
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'cadences' parameter of BacktestDisplay.from_backtest must be a non-empty "
            "list of backtested cadences in steps (0 for never): [1, 2, 3, 4, 5, 6, 7, 8, "
            "9, 10, 11, 12, 13, 14, 15, 16, 17, 0]. Got [40] instead.")):
        BacktestDisplay.from_backtest(bt, kind="realized", cadences=[40], ax=_ax())
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'backtest' parameter of BacktestDisplay.from_backtest must be a "
            "CadenceBacktest. Got 'OOTEvaluation' instead.")):
        BacktestDisplay.from_backtest(evaluation, ax=_ax())  # type: ignore[arg-type]


def test_numeric_time_and_lower_is_better() -> None:
    ev = make_degradation_scores(n_anchors=8, n_windows=8, baseline=2.0, slope=0.01,
                                 greater_is_better=False, time_kind="numeric",
                                 random_state=0).to_evaluation(metric="rmse")
    bt = oot.backtest_cadences(ev, retrain_cost=0.2, shortfall_cost=1.0)
    disp = bt.plot(ax=_ax())
    assert disp.ax_.get_xlabel() == ("retraining cadence (under each: retrains per unit "
                                     "of time)")
    real = bt.plot(kind="realized", ax=_ax())
    assert real.ax_.get_ylabel() == "RMSE (lower is better)"


def test_plotting_on_a_given_axes_does_not_import_pyplot() -> None:
    code = (
        "import sys, matplotlib; matplotlib.use('Agg');"
        "from matplotlib.figure import Figure; import oot;"
        "ev = oot.datasets.make_degradation_scores(random_state=0).to_evaluation();"
        "bt = oot.backtest_cadences(ev, retrain_cost=1.0, shortfall_cost=1.0);"
        "bt.plot(ax=Figure().add_subplot()); bt.plot(kind='realized', "
        "ax=Figure().add_subplot());"
        "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"
