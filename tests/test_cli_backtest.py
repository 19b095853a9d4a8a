"""``oot analyze --backtest`` and the History block of the command line's output."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from oot.cli import main
from oot.datasets import make_drifting_regression
from oot.report import BACKTEST_FILES


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    ds = make_drifting_regression(n_samples=4000, periods=400, drift_rate=0.003,
                                  random_state=0)
    path = tmp_path_factory.mktemp("data") / "reg.csv"
    ds.frame.to_csv(path, index=False)
    return path


def _args(path, out, *extra):
    return ["analyze", str(path), "--time", "time", "--target", "y", "--model", "linear",
            "--metric", "mae", "--train-window", "90D", "--eval-window", "30D",
            "--tolerance", "0.1", "--n-bootstrap", "50", "--out", str(out),
            "--no-progress", *extra]


def test_analyze_backtest_prints_the_history(csv, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(_args(csv, out, "--anchors", "8", "--backtest", "--retrain-cost", "1",
                      "--shortfall-cost", "10")) == 0
    text = capsys.readouterr().out
    history = next(line for line in text.splitlines() if line.startswith("History: "))
    assert "(the recommendation, rounded down to a multiple of 30 days) kept MAE within " \
           "10% of its baseline" in history
    assert "The best schedule in hindsight retrained" in history
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("  cadence ("))
    assert "within tol. of baseline" in lines[head]
    assert "cost per day" in lines[head]
    body = lines[head + 1:]
    assert any("(recommended" in line for line in body)
    assert any(line.strip().startswith("never") for line in body)
    assert any(line.strip().startswith("best schedule in hindsight") for line in body)
    for name in BACKTEST_FILES:
        assert (out / name).exists()


def test_analyze_without_the_flag_prints_no_history(csv, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(_args(csv, out, "--anchors", "8")) == 0
    assert "History: " not in capsys.readouterr().out
    # the report still has its History section when the evaluation allows one
    assert all((out / name).exists() for name in BACKTEST_FILES)


def test_analyze_backtest_needs_anchors(csv, tmp_path, capsys):
    assert main(_args(csv, tmp_path / "r", "--backtest")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "oot: error: The 'evaluation' parameter of RetrainRecommendation.backtest must be "
        "an evaluation with at least 3 anchors (a backtest compares retraining at "
        "different cutoffs). Got 1 anchor instead. Ask for more when you evaluate, e.g. "
        "anchors=24 with the default anchor_step (one eval_window apart)."]
    assert not (tmp_path / "r").exists()
