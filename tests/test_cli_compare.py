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
    (["--candidate", "x=linear:window=90D"], "unknown override 'window=90D'"),
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
    assert parse_candidate("a = hgb : expanding=YES") == ("a", "hgb", {"expanding": True})
    assert parse_candidate("n=linear:train_window=90") == ("n", "linear",
                                                           {"train_window": 90})
