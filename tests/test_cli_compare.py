"""Tests of ``oot compare`` (in-process through main)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import pytest
from sklearn.linear_model import LinearRegression

import oot
from oot import CandidateComparison
from oot.cli import main
from oot.cli._compare import parse_candidate
from oot.datasets import make_heuristic_comparison


@pytest.fixture(scope="module")
def heur_csv(tmp_path_factory):
    ds = make_heuristic_comparison(5000, task="regression", random_state=1)
    path = tmp_path_factory.mktemp("data") / "heur.csv"
    ds.frame.to_csv(path, index=False)
    return path, ds


def _args(path, out, *extra):
    return ["compare", str(path), "--time", "time", "--target", "y", "--metric", "mse",
            "--train-window", "365D", "--eval-window", "60D", "--anchors", "3",
            "--anchor-step", "60D", "--n-bootstrap", "60", "--out", str(out),
            "--no-progress", "--candidate", "model=linear",
            "--candidate", "rule=linear:features=z", *extra]


def _one_error_line(capsys):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("oot: error: ")
    return lines[0], captured.out


def test_compare_text_and_report(heur_csv, tmp_path, capsys):
    path, ds = heur_csv
    out = tmp_path / "r"
    assert main(_args(path, out, "--candidate", "half=linear:train_window=182D")) == 0
    text = capsys.readouterr().out
    assert "3 candidates" in text
    assert "half" in text
    assert "182D" in text
    assert f"Report written to {out.absolute() / 'index.html'}" in text
    assert (out / "comparison.json").exists()
    back = CandidateComparison.from_json((out / "comparison.json").read_text())
    assert back.candidates == ("model", "rule", "half")
    # the same comparison as the Python call with the command's models
    py = oot.compare_candidates(
        ds.frame, {"model": LinearRegression(), "rule": (LinearRegression(),
                                                         {"features": ["z"]})},
        target="y", time="time", metric="mse", train_window="365D", eval_window="60D",
        anchors=3, anchor_step="60D", n_bootstrap=60, random_state=0)
    assert py.verdict().split(";")[0] in back.verdict()


def test_compare_json_only_json_on_stdout(heur_csv, tmp_path, capsys):
    path, _ = heur_csv
    assert main(_args(path, tmp_path / "r", "--json")) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["candidates"] == ["model", "rule"]


@pytest.mark.parametrize(("extra", "fragment"), [
    (["--candidate", "oops"], "expected NAME=MODEL"),
    (["--candidate", "x=linear:window=90D"], "'window' in 'x=linear:window=90D' is "
     "neither an override (train_window, expanding, features) nor a parameter of "
     "LinearRegression; Its parameters: copy_X, fit_intercept, n_jobs, positive"),
    (["--candidate", "x=ridge:alpah=3"], "nor a parameter of Ridge; did you mean 'alpha'? "
     "Its parameters: alpha,"),
    (["--candidate", "x=linear:expanding"], "expected KEY=VALUE, got 'expanding'"),
    (["--candidate", "x=ridge:alpha=1:alpha=2"], "alpha given twice"),
    (["--candidate", "x=linear:expanding=maybe"], "expanding=true or expanding=false"),
    (["--candidate", "x=linear:train_window=9D:train_window=8D"], "given twice"),
    (["--candidate", "model=linear"], "'model' is given twice"),
    (["--candidate", "x=nope"], "invalid choice: 'nope'"),
    (["--candidate", "x=linear:features=nope"], "'nope'"),
    (["--benchmark", "other"], "'benchmark'"),
])
def test_bad_input_one_line_exit_2(heur_csv, tmp_path, capsys, extra, fragment):
    path, _ = heur_csv
    assert main(_args(path, tmp_path / "r", *extra)) == 2
    line, out = _one_error_line(capsys)
    assert fragment in line
    assert out == ""
    assert not (tmp_path / "r").exists()


def test_one_candidate_is_not_a_comparison(heur_csv, tmp_path, capsys):
    path, _ = heur_csv
    args = _args(path, tmp_path / "r")[:-2]  # drop the rule
    assert main(args) == 2
    line, _ = _one_error_line(capsys)
    assert "at least two" in line


def test_parse_candidate():
    # a fourth item, the model's parameters (--candidate NAME=MODEL:C=0.1)
    assert parse_candidate("a = hgb : expanding=YES") == ("a", "hgb", {"expanding": True},
                                                          {})
    assert parse_candidate("n=linear:train_window=90") == ("n", "linear",
                                                           {"train_window": 90}, {})
    assert parse_candidate("w=logistic:C=1e-2:class_weight=balanced:fit_intercept=false:"
                           "l1_ratio=None:max_iter=50") == (
        "w", "logistic", {}, {"C": 0.01, "class_weight": "balanced",
                              "fit_intercept": False, "l1_ratio": None, "max_iter": 50})


def test_model_parameters_per_candidate(heur_csv, tmp_path, capsys):
    """`:alpha=1000` reaches that candidate's model only: the comparison is the Python
    call with the same estimators."""
    from oot.cli import make_estimator

    path, ds = heur_csv
    out = tmp_path / "r"
    assert main(_args(path, out, "--candidate", "strong=ridge:alpha=1000",
                      "--candidate", "weak=ridge:alpha=0.001", "--json")) == 0
    got = CandidateComparison.from_json(capsys.readouterr().out)
    est = {s["name"]: s["estimator"] for s in got.specs}
    assert "Ridge(alpha=1000)" in est["strong"]
    assert "Ridge(alpha=0.001)" in est["weak"]
    assert "alpha" not in est["model"]
    py = oot.compare_candidates(
        ds.frame, {"model": make_estimator("linear", "regression"),
                   "rule": (make_estimator("linear", "regression"), {"features": ["z"]}),
                   "strong": make_estimator("ridge", "regression", {"alpha": 1000}),
                   "weak": make_estimator("ridge", "regression", {"alpha": 0.001})},
        target="y", time="time", features=["x0", "x1", "x2", "z"], metric="mse",
        train_window="365D", eval_window="60D", anchors=3, anchor_step="60D",
        n_bootstrap=60, random_state=0)
    for name in py.candidates:  # the CSV's floats: exact under pandas 3, not 2.2
        assert got[name].baseline == pytest.approx(py[name].baseline, rel=1e-9), name
    # a heavy ridge penalty costs the fit: the fresh score differs from the light one
    assert got["strong"].baseline != got["weak"].baseline
