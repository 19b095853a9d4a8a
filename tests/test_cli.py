"""Tests of the oot command line (in-process through main, plus one subprocess run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

from oot.cli import MODELS, main, make_estimator
from oot.datasets import make_drifting_classification, make_drifting_regression
from oot.results import RetrainRecommendation


@pytest.fixture(scope="module")
def reg_csv(tmp_path_factory):
    ds = make_drifting_regression(n_samples=4000, random_state=0)
    path = tmp_path_factory.mktemp("data") / "reg.csv"
    ds.frame.to_csv(path, index=False)
    return path, ds


@pytest.fixture(scope="module")
def clf_csv(tmp_path_factory):
    ds = make_drifting_classification(n_samples=4000, random_state=0)
    path = tmp_path_factory.mktemp("data") / "clf.csv"
    ds.frame.to_csv(path, index=False)
    return path, ds


def _analyze_args(path, ds, out, *extra):
    return ["analyze", str(path), "--time", ds.time, "--target", ds.target,
            "--model", "linear", "--metric", "mse", "--train-window", "90D",
            "--eval-window", "30D", "--anchors", "3", "--tolerance", "0.1",
            "--n-bootstrap", "100", "--out", str(out), "--no-progress", *extra]


def _one_error_line(capsys):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("oot: error: ")
    assert "Traceback" not in captured.err
    return lines[0], captured.out


def test_demo(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "Retrain" in captured.out
    assert f"Report written to {out.absolute() / 'index.html'}" in captured.out
    # the demo checks the recommendation on history (the policy backtest)
    assert "History: Retraining every 3 months (the recommendation" in captured.out
    assert (out / "backtest.png").exists()
    assert (out / "index.html").exists()
    assert (out / "recommendation.json").exists()
    rec = RetrainRecommendation.from_json((out / "recommendation.json").read_text())
    assert rec.status == "crossed"
    assert str(rec) in captured.out
    assert rec.evaluation.n_anchors >= 6


def test_analyze_text(reg_csv, tmp_path, capsys):
    path, ds = reg_csv
    assert main(_analyze_args(path, ds, tmp_path / "r")) == 0
    out = capsys.readouterr().out
    rec = RetrainRecommendation.from_json((tmp_path / "r" / "recommendation.json").read_text())
    assert str(rec) in out
    assert "Report written to" in out


def test_analyze_json_only_json_on_stdout(reg_csv, tmp_path, capsys):
    path, ds = reg_csv
    assert main(_analyze_args(path, ds, tmp_path / "r", "--json")) == 0
    out = capsys.readouterr().out
    d = json.loads(out)  # the whole of stdout is one JSON document: the flat record
    assert d["schema"] == "oot.flat/1"
    saved = RetrainRecommendation.from_json(
        (tmp_path / "r" / "recommendation.json").read_text())
    assert d["recommendation_file"] == str((tmp_path / "r" / "recommendation.json")
                                           .absolute())
    assert saved.metric.name == d["metric"] == "mse"
    assert d["sentence"] == str(saved)


def test_analyze_classification_with_model_params(clf_csv, tmp_path, capsys):
    path, ds = clf_csv
    args = ["analyze", str(path), "--time", ds.time, "--target", ds.target,
            "--model", "logistic", "--model-params", '{"C": 0.5}', "--metric", "roc_auc",
            "--train-window", "90D", "--eval-window", "30D", "--anchors", "2",
            "--n-bootstrap", "50", "--out", str(tmp_path / "c"), "--json", "--no-progress"]
    assert main(args) == 0
    rec = RetrainRecommendation.from_json(
        Path(json.loads(capsys.readouterr().out)["recommendation_file"]).read_text())
    assert rec.metric.name == "roc_auc"


def test_analyze_explicit_cutoffs(reg_csv, tmp_path, capsys):
    path, ds = reg_csv
    args = _analyze_args(path, ds, tmp_path / "r", "--json")
    args[args.index("--anchors") + 1] = "2020-07-01, 2020-05-01,2020-09-15"
    assert main(args) == 0
    rec = RetrainRecommendation.from_json(
        (tmp_path / "r" / "recommendation.json").read_text())
    cutoffs = [str(c.date()) for c in rec.evaluation.anchors["cutoff"]]
    assert cutoffs == ["2020-05-01", "2020-07-01", "2020-09-15"]


@pytest.mark.parametrize(("change", "fragment"), [
    ({"file": "missing.csv"}, "file not found"),
    ({"--time": "tme"}, "'time' parameter"),
    ({"--target": "nope"}, "'target' parameter"),
    ({"--model": "svm"}, "invalid choice: 'svm'"),
    ({"--metric": "roc_aux"}, "Did you mean 'roc_auc'?"),
    ({"--model-params": "{max_iter: 3}"}, "invalid JSON"),
    ({"--model-params": "[1, 2]"}, "expected a JSON object"),
    ({"--model-params": '{"bogus": 1}'}, "does not accept these parameters"),
    ({"--tolerance": "1.5"}, "'tolerance' parameter"),
    ({"--tolerance": "abc"}, "argument --tolerance"),
    ({"--train-window": "9000D"}, "train_window"),
    ({"--features": "x0,zzz"}, "'features' parameter"),
    ({"--model": "logistic"}, "'logistic' is a classification model"),
    ({"file": "data.parquet"}, "Parquet"),
    ({"file": "data.pkl"}, "pickle files are not read"),
    ({"--anchors": "2020-07-01,not-a-date"}, "'anchors' parameter"),
    ({"--anchors": "2019-01-01"}, "'anchors' parameter"),
    ({"--anchors": "0"}, "'anchors' parameter"),
    ({"--anchors": ","}, "argument --anchors"),
])
def test_bad_input_one_line_exit_2(reg_csv, tmp_path, capsys, change, fragment):
    path, ds = reg_csv
    args = _analyze_args(path, ds, tmp_path / "r")
    for key, value in change.items():
        if key == "file":
            if value != "missing.csv":
                (tmp_path / value).write_bytes(b"PAR1")
            args[1] = value if value == "missing.csv" else str(tmp_path / value)
        else:
            if key in args:
                args[args.index(key) + 1] = value
            else:
                args += [key, value]
    if change.get("file") == "data.parquet":
        pytest.importorskip("pandas")
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            pass
        else:
            pytest.skip("pyarrow is installed: the file is read (and fails otherwise)")
    assert main(args) == 2
    line, out = _one_error_line(capsys)
    assert fragment in line
    assert out == ""
    assert not (tmp_path / "r").exists()


def test_missing_required_argument(capsys):
    assert main(["analyze", "x.csv", "--time", "t"]) == 2
    line, _ = _one_error_line(capsys)
    assert "required" in line


def test_unknown_subcommand(capsys):
    assert main(["bogus"]) == 2
    _one_error_line(capsys)


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "analyze" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["demo", "analyze", "compare", "due"])
def test_subcommand_help_has_no_doubled_percent(command, capsys):
    # argparse %-formats help strings but leaves a description without %(prog)s as is
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: oot " + command in out
    assert "%%" not in out


def test_make_estimator_covers_every_model():
    for name in MODELS:
        task = "classification" if name == "logistic" else "regression"
        est = make_estimator(name, task)
        assert hasattr(est, "fit")


def test_python_m_oot_help():
    out = subprocess.run([sys.executable, "-m", "oot", "--help"], capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0
    assert "demo" in out.stdout
    assert "analyze" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "oot", "analyze"], capture_output=True,
                         text=True, check=False)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert bad.stderr.startswith("oot: error: ")


def test_summary_lines_say_what_the_sentence_says():
    """The summary's CI is the sentence's, a "beyond" end included (it read "beyond the
    data" while the sentence named the oldest evaluated age)."""
    from oot.cli import _summary_lines
    from oot.datasets import make_degradation_scores
    from oot.recommend import recommend_retrain_interval

    ev = make_degradation_scores(n_anchors=3, n_windows=10, random_state=0).to_evaluation()
    rec = recommend_retrain_interval(ev, tolerance=0.12, n_bootstrap=50, random_state=0,
                                     retrain_cost=10.0, shortfall_cost=5.0)
    assert rec.interval_ci[1] is None
    lines = _summary_lines(rec, 1.25)
    sentence = str(rec)
    ci = sentence.split("(", 1)[1].split(")", 1)[0]
    assert ci.startswith("90% CI ")
    assert ci.endswith(" to beyond 9.4 months")  # the oldest age: 285 days
    assert lines[0] == "  status           crossed"
    assert lines[1] == f"  interval         {sentence.split()[2]} {sentence.split()[3]}  ({ci})"
    assert lines[2].split() == ["cost-optimal", *sentence.rsplit("every ", 1)[1][:-1].split()]
    assert lines[3] == (f"  ROC AUC          baseline {rec.baseline:.4g}, threshold "
                        f"{rec.threshold:.4g} (-12%)")
    assert lines[-2] == ("  evaluated        3 anchors, 30 usable windows, ages up to "
                         "9.4 months")
    assert lines[-1] == "  time             1.2 s"
