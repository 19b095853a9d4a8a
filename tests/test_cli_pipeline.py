"""The command line a pipeline relies on: --config, every option, categorical features,
the leak warning, the flat --json schema, JSON errors, and `oot due`."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oot
from oot._flat import AGE_FIELDS, INDICATOR_FIELDS
from oot.cli import build_parser, main
from oot.recommend import RetrainRecommendation


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    ds = oot.datasets.make_drifting_classification(n_samples=4000, random_state=0)
    df = ds.frame.rename(columns={"time": "ts"})
    rng = np.random.default_rng(0)
    df["city"] = np.where(df["x0"] > 0.2, "north", np.where(df["x1"] > 0, "south", None))
    df["tier"] = np.where(rng.random(len(df)) < 0.5, "gold", "basic")
    df["signup"] = "2019-01-01"  # a second date column: text, so categorical
    path = tmp_path_factory.mktemp("data") / "clf.csv"
    df.to_csv(path, index=False)
    return path


BASE = {"time": "ts", "target": "y", "model": "logistic", "metric": "roc_auc",
        "train_window": "90D", "eval_window": "30D", "anchors": 3, "n_bootstrap": 40,
        "tolerance": 0.02, "no_progress": True}


def toml(values: dict) -> str:
    def v(x):
        if isinstance(x, bool):
            return "true" if x else "false"
        if isinstance(x, str):
            return json.dumps(x)
        if isinstance(x, list):
            return "[" + ", ".join(v(i) for i in x) + "]"
        if isinstance(x, dict):
            return "{" + ", ".join(f"{k} = {v(i)}" for k, i in x.items()) + "}"
        return str(x)
    return "\n".join(f"{k} = {v(x)}" for k, x in values.items()) + "\n"


def run(args, capsys):
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def saved(folder) -> RetrainRecommendation:
    return RetrainRecommendation.from_json((folder / "recommendation.json").read_text())


# ------------------------------------------------------------------------- options
def test_every_option_of_recommend_is_reachable():
    sub = build_parser()._subparsers._group_actions[0].choices["analyze"]
    dests = {a.dest for a in sub._actions}
    params = set(inspect.signature(oot.recommend_retrain_interval).parameters)
    # data is FILE, the estimator is --model (+ --model-params), progress is the bar
    missing = params - dests - {"data", "estimator", "progress"}
    assert missing == set()
    assert {"file", "model", "model_params", "no_progress"} <= dests


def test_every_curve_family_is_a_curve_choice():
    # the list was once written out in the CLI and missed the logistic family
    from oot.degradation import FAMILIES

    sub = build_parser()._subparsers._group_actions[0].choices["analyze"]
    curve = next(a for a in sub._actions if a.dest == "curve")
    assert list(curve.choices) == ["auto", *FAMILIES]


def test_the_options_reach_the_recommendation(csv, tmp_path, capsys):
    out = tmp_path / "r"
    rc, _, err = run(["analyze", csv, "--time", "ts", "--target", "y", "--model",
                      "logistic", "--metric", "roc_auc", "--train-window", "60D",
                      "--eval-window", "30D", "--anchors", "4", "--reference", "fresh",
                      "--curve", "linear", "--baseline", "first_window", "--extrapolate",
                      "--pos-label", "1", "--round-to", "W", "--on-error", "skip",
                      "--n-bootstrap", "30", "--tolerance", "0.01", "--out", out,
                      "--no-progress", "--features", "x0,x1,x2"], capsys)
    assert rc == 0, err
    rec = saved(out)
    assert rec.curve.selection == "linear"
    assert rec.curve.baseline_mode == "first_window"
    assert rec.curve.reference == "fresh"
    assert rec.round_to == "W"
    assert rec.evaluation.params["on_error"] == "skip"
    assert rec.evaluation.params["pos_label"] == 1
    assert rec.evaluation.params["features"] == ["x0", "x1", "x2"]
    if rec.interval is not None:
        assert rec.interval / pd.Timedelta(days=7) == int(rec.interval / pd.Timedelta(days=7))


def test_calendar_reaches_the_recommendation(csv, tmp_path, capsys, monkeypatch):
    import oot.recommend

    seen = {}
    real = oot.recommend.recommend_retrain_interval

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(oot.recommend, "recommend_retrain_interval", spy)
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml({**BASE, "file": str(csv), "out": str(tmp_path / "r"),
                         "calendar": "none"}))
    rc, _, err = run(["analyze", "--config", cfg, "--calendar", "shift"], capsys)
    assert rc == 0, err
    assert seen["calendar"] == "shift"


def test_a_numeric_baseline(csv, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml({**BASE, "file": str(csv), "out": str(tmp_path / "r"),
                         "baseline": "0.7", "tolerance_type": "absolute",
                         "tolerance": 0.05}))
    rc, _, err = run(["analyze", "--config", cfg], capsys)
    assert rc == 0, err
    rec = saved(tmp_path / "r")
    assert rec.baseline == 0.7
    assert rec.threshold == pytest.approx(0.65)


# -------------------------------------------------------------------------- config
def test_a_config_file_runs_the_whole_analysis_and_flags_override_it(csv, tmp_path,
                                                                      capsys):
    cfg = tmp_path / "analysis.toml"
    cfg.write_text(toml({**BASE, "file": str(csv), "out": str(tmp_path / "from-file"),
                         "features": ["x0", "x1", "city"], "expanding": True,
                         "model_params": {"C": 0.5}}))
    rc, _out, err = run(["analyze", "--config", cfg, "--out", tmp_path / "flag",
                        "--tolerance", "0.03"], capsys)
    assert rc == 0, err
    assert not (tmp_path / "from-file").exists()
    rec = saved(tmp_path / "flag")
    assert rec.tolerance == 0.03                      # the flag wins
    assert rec.evaluation.params["expanding"] is True  # from the file
    assert rec.evaluation.params["features"] == ["x0", "x1", "city"]
    assert "C=0.5" in rec.evaluation.params["estimator"]
    assert rec.evaluation.n_anchors == 3


def test_dashed_keys_and_dates_in_a_config(csv, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    text = toml({**{k.replace("_", "-"): v for k, v in BASE.items() if k != "anchors"},
                 "file": str(csv), "out": str(tmp_path / "r")})
    cfg.write_text(text + "anchors = [2020-05-01, 2020-07-01]\n")
    rc, _, err = run(["analyze", "--config", cfg], capsys)
    assert rc == 0, err
    cutoffs = [str(c.date()) for c in saved(tmp_path / "r").evaluation.anchors["cutoff"]]
    assert cutoffs == ["2020-05-01", "2020-07-01"]


def test_an_unknown_key_names_it_and_the_close_names(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('train_windw = "90D"\n')
    rc, _, err = run(["analyze", "--config", cfg], capsys)
    assert rc == 2
    assert err.startswith(f"oot: error: {cfg}: unknown key 'train_windw'; did you mean "
                          "'train_window', 'eval_window' or 'min_window_size'?")
    assert "The keys are the options of oot analyze without their dashes" in err
    cfg.write_text('colour = "red"\n')
    _, _, err = run(["analyze", "--config", cfg], capsys)
    assert "unknown key 'colour'." in err


@pytest.mark.parametrize(("text", "fragment"), [
    ("time = [", "is not valid TOML"),
    ('time = "ts"\n', "the following arguments are required: FILE, --target, --model"),
    ('anchors = ","\n', "key 'anchors'"),
])
def test_bad_config_files(tmp_path, capsys, text, fragment):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    rc, _, err = run(["analyze", "--config", cfg], capsys)
    assert rc == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_config_file(tmp_path, capsys):
    rc, _, err = run(["analyze", "--config", tmp_path / "nope.toml"], capsys)
    assert (rc, err.strip()) == (2, f"oot: error: argument --config: file not found: "
                                    f"{tmp_path / 'nope.toml'}")


# --------------------------------------------------------------------- features
def test_categorical_columns_are_one_hot_encoded_and_listed(csv, tmp_path, capsys):
    out = tmp_path / "r"
    # hgb: the model without an imputer of its own; few trees keep the test fast
    rc, text, err = run(["analyze", csv, "--time", "ts", "--target", "y", "--model", "hgb",
                         "--model-params", '{"max_iter": 10}', "--metric", "roc_auc",
                         "--train-window", "90D", "--eval-window", "30D", "--anchors", "2",
                         "--n-bootstrap", "30", "--out", out, "--no-progress"], capsys)
    assert rc == 0, err
    used = ["x0", "x1", "x2", "x3", "x4", "city", "tier", "signup"]
    assert (f"\nfeatures (8): {', '.join(used)} (one-hot encoded: city, tier, signup)\n"
            in text)
    rec = saved(out)
    assert rec.evaluation.params["features"] == used
    assert "OneHotEncoder" in rec.evaluation.params["estimator"]
    html = (out / "index.html").read_text()
    assert "Features (8): <code>x0</code>" in html


def test_a_datetime_feature_is_left_out_with_a_reason(tmp_path, capsys):
    ds = oot.datasets.make_drifting_regression(n_samples=2000, random_state=0)
    df = ds.frame
    df["d"] = pd.Timestamp("2020-01-01")
    path = tmp_path / "d.parquet"
    df.to_parquet(path)
    rc, text, err = run(["analyze", path, "--time", ds.time, "--target", ds.target,
                         "--model", "linear", "--metric", "mae", "--train-window", "90D",
                         "--eval-window", "30D", "--n-bootstrap", "20", "--out",
                         tmp_path / "r", "--no-progress"], capsys)
    assert rc == 0, err
    assert "not used: d (dtype datetime64[us])" in text or "not used: d (dtype datetime64" \
        in text
    assert "d" not in saved(tmp_path / "r").evaluation.params["features"]


def test_a_leaking_feature_gets_a_warning(tmp_path, capsys):
    ds = oot.datasets.make_drifting_classification(n_samples=3000, random_state=1)
    df = ds.frame
    df["label_delay_days"] = df["y"] * 5 + np.random.default_rng(1).random(len(df))
    path = tmp_path / "leak.csv"
    df.to_csv(path, index=False)
    rc, _, err = run(["analyze", path, "--time", "time", "--target", "y", "--model",
                      "logistic", "--metric", "roc_auc", "--train-window", "90D",
                      "--eval-window", "30D", "--n-bootstrap", "20", "--out",
                      tmp_path / "r", "--no-progress"], capsys)
    assert rc == 0
    leaks = [ln for ln in err.splitlines() if "almost determines" in ln]
    assert leaks == ["oot: warning: feature 'label_delay_days' almost determines the "
                     "target 'y' (ROC AUC of the feature alone 1.000 on all rows): is it "
                     "known before the target is, or was the target made from it? Leave it "
                     "out with --features if it leaks the label."]


def test_a_leaking_feature_of_a_regression_target(tmp_path, capsys):
    ds = oot.datasets.make_drifting_regression(n_samples=2000, random_state=2)
    df = ds.frame
    df["copy"] = df[ds.target] * 2 + 1
    path = tmp_path / "leak.csv"
    df.to_csv(path, index=False)
    rc, _, err = run(["analyze", path, "--time", ds.time, "--target", ds.target,
                      "--model", "linear", "--metric", "mae", "--train-window", "90D",
                      "--eval-window", "30D", "--n-bootstrap", "20", "--out",
                      tmp_path / "r", "--no-progress"], capsys)
    assert rc == 0
    assert "feature 'copy' almost determines the target" in err
    assert "(correlation 1.000 on all rows)" in err


# ------------------------------------------------------------------------- --json
RECORD_KEYS = {
    "schema", "kind", "status", "sentence", "metric", "greater_is_better", "time_kind",
    "age_unit", *AGE_FIELDS, *(f"{a}_days" for a in AGE_FIELDS), "ci_low_beyond_data",
    "ci_high_beyond_data", "confidence_level", "baseline", "threshold", "tolerance",
    "tolerance_type", "curve", "trend_pvalue", "crossed_fraction", "cost_rate",
    "retrain_cost", "shortfall_cost", "round_to", "n_bootstrap", "n_anchors",
    "n_windows", "n_usable_windows", "n_rows", "time_min", "time_max", "train_window",
    "eval_window", "gap", "horizon", "anchors", "anchor_step", "expanding",
    "min_window_size", "target", "time", "features", "estimator",
    # the command line's own
    "recommendation_file", "report_file", "backtest", "backtest_best_cadence",
    "exit_code", *INDICATOR_FIELDS,
}


def test_json_is_the_flat_versioned_record(csv, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml({**BASE, "file": str(csv), "out": str(tmp_path / "r"),
                         "retrain_cost": 10.0, "shortfall_cost": 100.0}))
    rc, out, _ = run(["analyze", "--config", cfg, "--json"], capsys)
    assert rc == 0
    assert len(out.strip().splitlines()) == 1
    d = json.loads(out)
    assert set(d) == RECORD_KEYS
    assert d["schema"] == "oot.flat/1"
    assert d["exit_code"] == 0
    rec = RetrainRecommendation.from_json(Path(d["recommendation_file"]).read_text())
    assert d["status"] == rec.status
    assert d["sentence"] == str(rec)
    assert d["age_unit"] == "days"
    days = pd.Timedelta(days=1)
    for name, value in (("interval", rec.interval), ("ci_low", rec.interval_ci[0]),
                        ("ci_high", rec.interval_ci[1]), ("safe_interval",
                                                          rec.safe_interval),
                        ("max_age", rec.max_age),
                        ("cost_optimal_interval", rec.cost_optimal_interval)):
        want = None if value is None else value / days
        assert d[f"{name}_days"] == want
        assert d[name] == want
    assert d["ci_high_beyond_data"] is (rec.interval_ci[1] is None)
    assert d["baseline"] == rec.baseline
    assert d["threshold"] == rec.threshold
    assert d["n_anchors"] == 3
    assert all(not isinstance(v, dict) for v in d.values())  # flat


def test_an_error_under_json_is_json_on_stdout(csv, tmp_path, capsys):
    rc, out, err = run(["analyze", csv, "--time", "tss", "--target", "y", "--model",
                        "logistic", "--metric", "roc_auc", "--train-window", "90D",
                        "--eval-window", "30D", "--out", tmp_path / "r", "--json"], capsys)
    assert rc == 2
    d = json.loads(out)
    assert d == {"schema": "oot.flat/1", "kind": "error", "error": d["error"],
                 "exit_code": 2}
    assert "'time' parameter" in d["error"]
    assert err.strip() == f"oot: error: {d['error']}"
    rc, out, _ = run(["analyze", "--json", "--bogus"], capsys)
    assert rc == 2
    assert json.loads(out)["kind"] == "error"


# --------------------------------------------------------------------------- due
@pytest.fixture(scope="module")
def rec_file(tmp_path_factory):
    ev = oot.datasets.make_degradation_scores(n_anchors=4, n_windows=10,
                                              random_state=0).to_evaluation()
    rec = oot.recommend_retrain_interval(ev, tolerance=0.1, n_bootstrap=60, random_state=0)
    assert rec.status == "crossed"
    path = tmp_path_factory.mktemp("due") / "recommendation.json"
    path.write_text(rec.to_json())
    return path, rec


def test_due_fine_and_due(rec_file, capsys):
    path, rec = rec_file
    trained = pd.Timestamp("2024-01-01")
    safe = rec.safe_interval
    for now, code in ((trained + safe - pd.Timedelta(days=1), 0),
                      (trained + safe, 1), (trained + safe + pd.Timedelta(days=30), 1)):
        rc, out, err = run(["due", path, "--trained-at", "2024-01-01", "--now",
                            now.isoformat()], capsys)
        assert (rc, err) == (code, "")
        assert len(out.strip().splitlines()) == 1
        d = json.loads(out)
        age = (now - trained) / pd.Timedelta(days=1)
        assert d["schema"] == "oot.due/1"
        assert d["decision"] == ("retrain" if code else "fine")
        assert d["due"] is bool(code)
        assert d["exit_code"] == code
        assert d["model_age_days"] == pytest.approx(age)
        assert d["safe_interval_days"] == pytest.approx(safe / pd.Timedelta(days=1))
        assert d["interval_days"] == pytest.approx(rec.interval / pd.Timedelta(days=1))
        assert d["remaining_days"] == pytest.approx(safe / pd.Timedelta(days=1) - age)
        assert d["retrain_by"] == (trained + safe).isoformat()


def test_due_reads_a_report_folder(tmp_path, rec_file, capsys):
    _path, rec = rec_file
    rec.save_report(tmp_path / "report")
    rc, out, _ = run(["due", tmp_path / "report", "--trained-at", "2024-01-01", "--now",
                      "2024-01-02"], capsys)
    assert rc == 0
    assert json.loads(out)["model_age_days"] == 1.0


def test_due_without_degradation_is_never_due(tmp_path, capsys):
    ev = oot.datasets.make_degradation_scores(n_anchors=3, n_windows=10, slope=0.0,
                                              curvature=0.0, random_state=3).to_evaluation()
    rec = oot.recommend_retrain_interval(ev, tolerance=0.1, n_bootstrap=40, random_state=0)
    assert rec.status == "no_degradation"
    path = tmp_path / "r.json"
    path.write_text(rec.to_json())
    rc, out, _ = run(["due", path, "--trained-at", "2000-01-01", "--now", "2024-01-01"],
                     capsys)
    d = json.loads(out)
    assert (rc, d["decision"], d["retrain_by"], d["safe_interval"]) == (0, "fine", None,
                                                                         None)


def test_due_with_numeric_time(tmp_path, capsys):
    ev = oot.datasets.make_degradation_scores(n_anchors=4, n_windows=10,
                                              time_kind="numeric",
                                              random_state=0).to_evaluation()
    rec = oot.recommend_retrain_interval(ev, tolerance=0.1, n_bootstrap=40, random_state=0)
    path = tmp_path / "r.json"
    path.write_text(rec.to_json())
    safe = float(rec.safe_interval)
    rc, out, _ = run(["due", path, "--trained-at", "10", "--now", str(10 + safe + 1)],
                     capsys)
    d = json.loads(out)
    assert rc == 1
    assert d["model_age"] == pytest.approx(safe + 1)
    assert d["model_age_days"] is None
    rc, out, _ = run(["due", path, "--trained-at", "10"], capsys)
    assert rc == 2
    assert "required for numeric time" in json.loads(out)["error"]


@pytest.mark.parametrize(("content", "args", "fragment"), [
    ("{not json", [], "is not a recommendation written by oot"),
    ('{"schema": "something else"}', [], "is not a recommendation written by oot"),
    (None, ["--trained-at", "last tuesday"], "argument --trained-at: expected a date"),
    (None, ["--now", "2023-01-01"], "is before --trained-at"),
])
def test_due_bad_input_exits_2_with_a_json_line(tmp_path, rec_file, capsys, content, args,
                                                fragment):
    path = rec_file[0]
    if content is not None:
        path = tmp_path / "bad.json"
        path.write_text(content)
    base = {"--trained-at": "2024-01-01", "--now": "2024-02-01"}
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = v
    rc, out, err = run(["due", path, *[x for kv in base.items() for x in kv]], capsys)
    assert rc == 2
    d = json.loads(out)
    assert (d["kind"], d["exit_code"]) == ("error", 2)
    assert fragment in d["error"]
    assert len(err.strip().splitlines()) == 1
