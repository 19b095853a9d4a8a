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
    record = json.loads(out)  # the whole of stdout: one flat object
    assert len(out.strip().splitlines()) == 1
    assert all(v is None or isinstance(v, bool | int | float | str) or (
        isinstance(v, list) and all(isinstance(x, str) for x in v))
        for v in record.values()), "flat: plain values, lists of names at most"
    saved = tmp_path / "r" / "recommendations.json"
    recs = RetrainRecommendations.from_json(saved.read_text())
    assert record["recommendation_file"] == str(saved)
    assert recs.segments == ("(all)", "north", "south")
    assert recs.pooling == "partial" == record["pooling"]
    assert recs["south"].pooling_weight is not None
    assert (record["schema"], record["kind"]) == ("oot.flat/1", "recommendations")
    assert record["segments"] == ["(all)", "north", "south"]
    assert record["metrics"] == ["mse"]
    assert record["n_recommendations"] == 3
    assert sum(record[f"n_{s}"] for s in ("crossed", "not_reached", "no_degradation",
                                          "no_skill")) == 3
    item = recs.binding if recs.binding is not None else recs.items[0]
    key = recs.keys[recs.items.index(item)]
    assert record["segment"] == key[1]
    assert [record["binding_metric"], record["binding_segment"]] == (
        [None, None] if recs.binding_key is None else list(recs.binding_key))
    assert record["sentence"] == recs.binding_sentence
    assert record["status"] == item.status
    for name in ("interval", "safe_interval", "max_age"):
        value = getattr(item, name)
        assert record[f"{name}_days"] == (
            None if value is None else pytest.approx(value / pd.Timedelta(days=1)))
    assert record["baseline"] == pytest.approx(item.baseline)


def test_due_judges_several_by_the_item_that_decides(seg_csv, tmp_path, capsys):
    """``oot due`` on the report folder of a segmented analysis: the binding item's safe
    interval decides, and the line names it."""
    path, ds = seg_csv
    assert main(_args(path, ds, tmp_path / "r", "--segment", "region", metric="mse")) == 0
    capsys.readouterr()
    recs = RetrainRecommendations.from_json(
        (tmp_path / "r" / "recommendations.json").read_text())
    item = recs.binding
    assert item is not None
    assert item.safe_interval is not None
    trained = pd.Timestamp("2021-01-01")
    for days, code in ((item.safe_interval / pd.Timedelta(days=1) - 1, 0),
                       (item.safe_interval / pd.Timedelta(days=1) + 1, 1)):
        now = trained + pd.Timedelta(days=days)
        assert main(["due", str(tmp_path / "r"), "--trained-at", str(trained.date()),
                     "--now", now.isoformat()]) == code
        line = json.loads(capsys.readouterr().out)
        assert (line["metric"], line["segment"]) == recs.binding_key
        assert line["safe_interval_days"] == pytest.approx(
            item.safe_interval / pd.Timedelta(days=1))
        assert line["decision"] == ("retrain" if code else "fine")


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
