"""``oot analyze`` with several metrics and segments (issue 15)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from oot.cli import _summary_lines, main
from oot.datasets import make_degradation_scores, make_drifting_regression
from oot.evaluate import OOTEvaluation
from oot.recommend import RetrainRecommendations, recommend_retrain_interval


@pytest.fixture(scope="module")
def seg_csv(tmp_path_factory):
    ds = make_drifting_regression(n_samples=4000, random_state=0)
    frame = ds.frame.copy()
    rng = np.random.default_rng(0)
    frame["region"] = rng.choice(["north", "south"], size=len(frame), p=[0.6, 0.4])
    frame["shop"] = rng.integers(0, 6, len(frame)).astype(str)
    path = tmp_path_factory.mktemp("data") / "seg.csv"
    frame.to_csv(path, index=False)
    return path, ds


def _args(path, ds, out, *extra, metric="mse,mae"):
    return ["analyze", str(path), "--time", ds.time, "--target", ds.target,
            "--features", "x0,x1,x2,x3,x4", "--model", "linear", "--metric", metric,
            "--train-window", "90D", "--eval-window", "30D", "--anchors", "3",
            "--tolerance", "0.1", "--n-bootstrap", "60", "--out", str(out),
            "--no-progress", *extra]


def test_several_metrics(seg_csv, tmp_path, capsys):
    path, ds = seg_csv
    assert main(_args(path, ds, tmp_path / "r")) == 0
    out = capsys.readouterr().out
    recs = RetrainRecommendations.from_json(
        (tmp_path / "r" / "recommendations.json").read_text())
    assert recs.metrics == ("mse", "mae")
    assert recs.segments == ("(all)",)
    assert "MSE, MAE." in out
    assert str(recs) in out  # the binding sentence
    # the table has a line per metric, the binding one marked
    rows = [line.split() for line in out.splitlines() if line.startswith("  ")]
    for metric in recs.metrics:
        row = next(r for r in rows if r[:2] == [metric, "(all)"])
        assert (row[-1] == "yes") == (recs.binding_key == (metric, "(all)"))
    assert (tmp_path / "r" / "index.html").exists()


def test_a_segment_with_partial_pooling_as_json(seg_csv, tmp_path, capsys):
    path, ds = seg_csv
    args = _args(path, ds, tmp_path / "r", "--segment", "region", "--pooling", "partial",
                 "--json", metric="mse")
    assert main(args) == 0
    out = capsys.readouterr().out
    recs = RetrainRecommendations.from_json(out)  # the whole of stdout
    assert recs.segments == ("(all)", "north", "south")
    assert recs.pooling == "partial"
    assert json.loads(out) == json.loads(recs.to_json())
    assert recs["south"].pooling_weight is not None
    saved = (tmp_path / "r" / "recommendations.json").read_text()
    assert json.loads(saved) == json.loads(out)


def test_segment_lines_name_each_metrics_fastest_segment():
    parts = [make_degradation_scores(slope=s, random_state=i).to_evaluation().scores
             .assign(segment=name)
             for i, (name, s) in enumerate([("(all)", -3e-4), ("a", -6e-4), ("b", -2e-4)])]
    ev = OOTEvaluation.from_frame(pd.concat(parts), metric="roc_auc")
    recs = recommend_retrain_interval(ev, n_bootstrap=50, random_state=0)
    lines = _summary_lines(recs, 1.0)
    assert f"  roc_auc: {recs.fastest_sentence('roc_auc')}" in lines
    assert recs.fastest_sentence("roc_auc").startswith("Segment 'a' ages fastest")
    table = [line.split() for line in lines[1:4]]
    assert [r[:2] for r in table] == [["roc_auc", "(all)"], ["roc_auc", "a"],
                                      ["roc_auc", "b"]]


@pytest.mark.parametrize(("extra", "metric", "fragment"), [
    ((), "mse,mse", "more than once"),
    ((), "mse,roc_auc", "roc_auc"),
    ((), "mse,maee", "Did you mean 'mae'?"),
    ((), ",", "argument --metric: give a metric name"),
    (("--segment", "regio"), "mse", "'segment' parameter"),
    (("--segment", ","), "mse", "argument --segment: give a column name"),
    (("--pooling", "partial"), "mse", "give the segment column with --segment"),
    (("--segment", "region", "--backtest"), "mse", "run it with one --metric and no"),
    (("--backtest",), "mse,mae", "run it with one --metric and no"),
    (("--segment", "shop", "--max-segments", "3"), "mse", "max_segments"),
])
def test_bad_input_one_line_exit_2(seg_csv, tmp_path, capsys, extra, metric, fragment):
    path, ds = seg_csv
    assert main(_args(path, ds, tmp_path / "r", *extra, metric=metric)) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("oot: error: ")
    assert fragment in lines[0]
    assert captured.out == ""
    assert not (tmp_path / "r").exists()
