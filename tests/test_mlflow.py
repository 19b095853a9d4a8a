"""oot.integrations.mlflow against a real local tracking store (sqlite), read back through
MlflowClient."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression

import oot
from oot._validation import InvalidParameterError
from oot.datasets import make_degradation_scores

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("sqlalchemy")
from mlflow.tracking import MlflowClient  # noqa: E402

from oot.integrations.mlflow import (  # noqa: E402
    MlflowLoggingError,
    candidate_keys,
    log_backtest,
    log_comparison,
    log_recommendation,
    log_result,
)

# MLflow's own deprecation warnings (its store uses SQLAlchemy APIs deprecated in 2.1)
pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning:mlflow",
    "ignore::UserWarning:mlflow")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    old = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    exp = client.create_experiment("oot-tests", artifact_location=(root / "art").as_uri())
    mlflow.set_experiment(experiment_id=exp)
    yield client
    mlflow.set_tracking_uri(old)


@pytest.fixture(scope="module")
def rec():
    ds = oot.datasets.make_drifting_regression(n_samples=6000, random_state=0)
    return oot.recommend_retrain_interval(
        ds.frame, LinearRegression(), target=ds.target, time=ds.time, metric="mse",
        train_window="90D", eval_window="30D", anchors=4, tolerance=0.1, n_bootstrap=60,
        random_state=0, retrain_cost=10.0, shortfall_cost=5.0)


def days(age) -> float:
    return float(age / pd.Timedelta(days=1))


def logged(client, run_id, prefix="oot"):
    data = client.get_run(run_id).data
    keep = prefix + "."
    return ({k: v for k, v in data.params.items() if k.startswith(keep)},
            {k: v for k, v in data.metrics.items() if k.startswith(keep)},
            {k: v for k, v in data.tags.items() if k.startswith(keep)})


def expected_recommendation(rec, prefix="oot"):
    ev = rec.evaluation
    p = ev.params
    params = {
        "metric": "mse", "train_window": "90D", "eval_window": "30D", "anchors": "4",
        "expanding": "False", "min_window_size": "30",
        "tolerance": "0.1", "tolerance_type": "relative", "confidence_level": "0.9",
        "n_bootstrap": "60", "retrain_cost": "10", "shortfall_cost": "5",
        "age_unit": "days", "curve": "auto", "curve_fitted": rec.curve.family,
        "baseline": "curve", "reference": "baseline",
    }
    for name in ("gap", "horizon", "anchor_step", "round_to", "target", "time",
                 "estimator"):
        value = p.get(name) if name != "round_to" else rec.round_to
        if name == "target":
            value = p.get("target", p.get("y_true"))
        if name == "time":
            value = p.get("time", ev.data_info.get("time_column"))
        if value is not None:
            params[name] = str(value)
    if p.get("features") is not None:
        params["features"] = ",".join(p["features"])
    lo, hi = rec.interval_ci
    metrics = {
        "interval_days": days(rec.interval), "safe_interval_days": days(rec.safe_interval),
        "max_age_days": days(rec.max_age), "baseline": rec.baseline,
        "threshold": rec.threshold, "trend_pvalue": rec.curve.trend_pvalue,
        "crossed_fraction": rec.crossed_fraction, "cost_rate": rec.cost_rate,
        "cost_optimal_interval_days": days(rec.cost_optimal_interval),
        "n_anchors": float(ev.n_anchors), "n_windows": float(len(ev.scores)),
        "n_usable_windows": float(ev.n_usable),
    }
    if lo is not None:
        metrics["ci_low_days"] = days(lo)
    if hi is not None:
        metrics["ci_high_days"] = days(hi)
    tags = {"status": rec.status, "sentence": str(rec), "schema": "oot.flat/1",
            "ci_low_beyond_data": str(lo is None), "ci_high_beyond_data": str(hi is None)}
    add = lambda d: {f"{prefix}.{k}": v for k, v in d.items()}  # noqa: E731
    return add(params), add(metrics), add(tags)


def test_a_recommendation_logs_every_value(store, rec, tmp_path):
    assert mlflow.active_run() is None
    run_id = log_recommendation(rec)
    run = store.get_run(run_id)
    assert run.info.status == "FINISHED"  # the run it created is ended
    params, metrics, tags = logged(store, run_id)
    want_params, want_metrics, want_tags = expected_recommendation(rec)
    assert params == want_params
    assert metrics.keys() == want_metrics.keys()
    for k, v in want_metrics.items():
        assert metrics[k] == pytest.approx(v, rel=1e-12, abs=1e-300), k
    assert tags == want_tags
    top = sorted(a.path for a in store.list_artifacts(run_id, "oot"))
    assert top == ["oot/degradation.png", "oot/heatmap.png", "oot/recommendation.json",
                   "oot/record.json", "oot/report"]
    report = sorted(a.path for a in store.list_artifacts(run_id, "oot/report"))
    assert "oot/report/index.html" in report
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="oot",
                                                dst_path=str(tmp_path))
    text = (tmp_path / "oot" / "recommendation.json").read_text()
    assert oot.RetrainRecommendation.from_json(text).to_json() == rec.to_json()
    record = json.loads((tmp_path / "oot" / "record.json").read_text())
    assert record["interval_days"] == pytest.approx(days(rec.interval), rel=1e-12)
    for name in ("degradation.png", "heatmap.png"):
        assert (tmp_path / "oot" / name).read_bytes()[:4] == b"\x89PNG"
    assert local.endswith("oot")


def test_the_active_run_is_used_and_left_open(store, rec):
    with mlflow.start_run() as run:
        assert log_recommendation(rec, report=False) == run.info.run_id
        assert store.get_run(run.info.run_id).info.status == "RUNNING"
    _, _, tags = logged(store, run.info.run_id)
    assert tags["oot.status"] == rec.status
    arts = sorted(a.path for a in store.list_artifacts(run.info.run_id, "oot"))
    assert "oot/report" not in arts
    assert "oot/degradation.png" in arts


def test_a_given_run_id_and_prefix(store, rec):
    run = store.create_run(mlflow.get_experiment_by_name("oot-tests").experiment_id)
    assert log_recommendation(rec, run_id=run.info.run_id, prefix="cadence",
                              report=False) == run.info.run_id
    params, metrics, tags = logged(store, run.info.run_id, "cadence")
    want = expected_recommendation(rec, "cadence")
    assert (params, tags) == (want[0], want[2])
    assert metrics.keys() == want[1].keys()
    assert logged(store, run.info.run_id, "oot") == ({}, {}, {})
    arts = [a.path for a in store.list_artifacts(run.info.run_id)]
    assert arts == ["cadence"]


def test_numeric_time_logs_ages_in_time_units(store):
    ev = make_degradation_scores(n_anchors=3, n_windows=10, time_kind="numeric",
                                 random_state=1).to_evaluation()
    rec = oot.recommend_retrain_interval(ev, tolerance=0.1, n_bootstrap=40, random_state=0)
    _, metrics, _ = logged(store, log_recommendation(rec, report=False))
    assert metrics["oot.interval"] == pytest.approx(float(rec.interval), rel=1e-12)
    assert not any(k.endswith("_days") for k in metrics)


def test_a_backtest_logs_its_figures(store):
    ev = make_degradation_scores(n_anchors=12, n_windows=12, random_state=2).to_evaluation()
    rec = oot.recommend_retrain_interval(ev, tolerance=0.1, n_bootstrap=40, random_state=0)
    bt = rec.backtest()
    run_id = log_backtest(bt)
    params, metrics, tags = logged(store, run_id)
    assert params["oot.backtest.metric"] == bt.metric.name
    assert params["oot.backtest.reference"] == bt.reference
    assert metrics["oot.backtest.threshold"] == pytest.approx(bt.threshold, rel=1e-12)
    assert metrics["oot.backtest.n_periods"] == bt.n_periods
    best = bt.summary_table.loc[bt.summary_table["best"]].iloc[0]
    assert metrics["oot.backtest.best.mean_score"] == pytest.approx(best["mean_score"],
                                                                     rel=1e-12)
    assert metrics["oot.backtest.best.steps"] == best["steps"]
    assert tags["oot.backtest.best_cadence"] == bt.best_cadence
    assert tags["oot.backtest.sentence"] == str(bt)
    arts = sorted(a.path for a in store.list_artifacts(run_id, "oot"))
    assert arts == ["oot/backtest.json", "oot/backtest.png", "oot/backtest_realized.png",
                    "oot/backtest_summary.csv"]
    assert log_result(bt, run_id=run_id, prefix="again") == run_id


# ---------------------------------------------------------------------- comparison
@pytest.fixture(scope="module")
def cmp():
    ds = oot.datasets.make_heuristic_comparison(4000, task="regression", random_state=1)
    return oot.compare_candidates(
        ds.frame, {"model": LinearRegression(),
                   "half year": (LinearRegression(), {"train_window": "182D"}),
                   "mean=rule": DummyRegressor()},
        target=ds.target, time=ds.time, metric="mse", train_window="365D",
        eval_window="60D", anchors=4, anchor_step="60D", tolerance=0.1, margin=0.01,
        benchmark="mean=rule", n_bootstrap=40, retrain_cost=5.0, shortfall_cost=2.0,
        random_state=0)


def age_or_none(age):
    return None if age is None else days(age)


def expected_comparison(cmp, prefix="oot"):
    """Every value log_comparison logs, read from the comparison's own attributes."""
    keys = {"model": "model", "half year": "half year", "mean=rule": "mean_rule"}
    first = cmp.recommendations["model"].evaluation
    cutoffs = ",".join(str(c) for c in first.params["anchors"])
    params = {
        "metric": "mse", "eval_window": "60D", "anchors": cutoffs, "anchor_step": "60D",
        "min_window_size": "30", "tolerance": "0.1", "tolerance_type": "relative",
        "confidence_level": "0.9", "n_bootstrap": "40", "target": "y", "time": "time",
        "age_unit": "days", "candidates": "model,half year,mean=rule", "margin": "0.01",
        "benchmark": "mean=rule", "shortfall_cost": "2", "cost_rule": "fit_time",
        "curve": "auto", "baseline": "curve", "reference": "baseline"}
    metrics = {"n_anchors": 4.0, "n_windows": float(len(first.scores))}
    tags = {"kind": "comparison", "leader": cmp.leader, "cost_optimal": cmp.cost_optimal,
            "verdict": cmp.verdict()}
    costs = cmp.costs.set_index("candidate")
    for spec in cmp.specs:
        name = spec["name"]
        k = keys[name]
        rec = cmp[name]
        params.update({f"{k}.name": name, f"{k}.estimator": spec["estimator"],
                       f"{k}.train_window": spec["train_window"],
                       f"{k}.expanding": "False", f"{k}.features": ",".join(
                           spec["features"]), f"{k}.curve_fitted": rec.curve.family})
        lo, hi = rec.interval_ci
        values = {"interval_days": age_or_none(rec.interval), "ci_low_days": age_or_none(lo),
                  "ci_high_days": age_or_none(hi),
                  "safe_interval_days": age_or_none(rec.safe_interval),
                  "max_age_days": days(rec.max_age),
                  "extrapolated_interval_days": age_or_none(rec.extrapolated_interval),
                  "baseline": rec.baseline, "threshold": rec.threshold,
                  "trend_pvalue": rec.curve.trend_pvalue,
                  "crossed_fraction": rec.crossed_fraction,
                  "n_usable_windows": float(rec.evaluation.n_usable),
                  "fit_time": costs.loc[name, "fit_time"],
                  "retrain_cost": costs.loc[name, "retrain_cost"],
                  "cost_rate": costs.loc[name, "cost_rate"],
                  "cost_optimal_interval_days": age_or_none(
                      costs.loc[name, "cost_optimal_interval"])}
        metrics.update({f"{k}.{f}": v for f, v in values.items()
                        if v is not None and np.isfinite(v)})
        tags.update({f"{k}.status": rec.status, f"{k}.sentence": str(rec)})
    for p in cmp.pairs:
        k = f"pair.{keys[p.a]}.vs.{keys[p.b]}"
        values = {"fresh_lead": p.fresh_lead, "crossed_fraction": p.crossed_fraction,
                  "trend_pvalue": p.curve.trend_pvalue,
                  "crossing_age_days": age_or_none(p.crossing_age),
                  "crossing_low_days": age_or_none(p.crossing_ci.low),
                  "crossing_high_days": age_or_none(p.crossing_ci.high),
                  "max_age_days": days(p.max_age)}
        metrics.update({f"{k}.{f}": v for f, v in values.items()
                        if v is not None and np.isfinite(v)})
        tags.update({f"{k}.status": p.status, f"{k}.sentence": str(p)})
        if p.leader is not None:
            tags[f"{k}.leader"] = p.leader
    add = lambda d: {f"{prefix}.comparison.{k}": v for k, v in d.items()}  # noqa: E731
    return add(params), add(metrics), add(tags)


def test_a_comparison_logs_every_value(store, cmp, tmp_path):
    # what the test relies on: a crossed pair (its CI is logged), costs
    assert any(p.status == "crossed" for p in cmp.pairs)
    assert cmp.cost_optimal is not None
    run_id = log_comparison(cmp)
    assert store.get_run(run_id).info.status == "FINISHED"
    params, metrics, tags = logged(store, run_id)
    want_params, want_metrics, want_tags = expected_comparison(cmp)
    assert params == want_params
    assert metrics.keys() == want_metrics.keys()
    for k, v in want_metrics.items():
        assert metrics[k] == pytest.approx(v, rel=1e-12, abs=1e-300), k
    assert tags == want_tags
    crossed = next(p for p in cmp.pairs if p.status == "crossed")
    k = f"oot.comparison.pair.{candidate_keys([crossed.a, crossed.b])[crossed.a]}"
    assert any(m.startswith(k) and m.endswith(".crossing_age_days") for m in metrics)
    top = sorted(a.path for a in store.list_artifacts(run_id, "oot"))
    n_diff = len(cmp.verdict_pairs())
    assert top == sorted(["oot/comparison.json", "oot/comparison_pairs.csv",
                          "oot/comparison_summary.csv", "oot/curves.png", "oot/report",
                          *(f"oot/difference_{i}.png" for i in range(1, n_diff + 1))])
    report = sorted(a.path for a in store.list_artifacts(run_id, "oot/report"))
    assert "oot/report/index.html" in report
    mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="oot",
                                        dst_path=str(tmp_path))
    text = (tmp_path / "oot" / "comparison.json").read_text()
    assert oot.CandidateComparison.from_json(text).to_json() == cmp.to_json()
    summary = pd.read_csv(tmp_path / "oot" / "comparison_summary.csv")
    assert summary["candidate"].tolist() == list(cmp.candidates)
    assert summary["baseline"].tolist() == pytest.approx(
        [cmp[n].baseline for n in cmp.candidates], rel=1e-12)
    assert (tmp_path / "oot" / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_a_comparison_without_report_in_the_active_run(store, cmp):
    with mlflow.start_run() as run:
        assert log_result(cmp, prefix="cmp", report=False) == run.info.run_id
    arts = sorted(a.path for a in store.list_artifacts(run.info.run_id, "cmp"))
    assert "cmp/report" not in arts
    assert "cmp/curves.png" in arts
    params, _, tags = logged(store, run.info.run_id, "cmp")
    assert params["cmp.comparison.candidates"] == "model,half year,mean=rule"
    assert tags["cmp.comparison.mean_rule.status"] == cmp["mean=rule"].status


def test_candidate_keys_are_valid_mlflow_keys_and_distinct():
    from mlflow.utils.validation import _validate_metric_name

    names = ["a/b", "x y", "é", "rule=z", "rule#z", "...", "100%"]
    keys = candidate_keys(names)
    assert len(set(keys.values())) == len(names)
    for k in keys.values():
        _validate_metric_name(f"oot.comparison.{k}.baseline")
    with pytest.raises(InvalidParameterError, match="'comparison' parameter of "
                       "log_comparison must be a CandidateComparison"):
        log_comparison("cmp")


def test_an_unreachable_store_is_a_clear_error(monkeypatch, rec):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    old = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri("http://127.0.0.1:9")
    try:
        with pytest.raises(MlflowLoggingError, match=r"Could not reach the MLflow tracking "
                           r"store at 'http://127\.0\.0\.1:9'.*Nothing was logged"):
            log_recommendation(rec, report=False)
    finally:
        mlflow.set_tracking_uri(old)


def test_an_unknown_run_logs_nothing(store, rec):
    exp = mlflow.get_experiment_by_name("oot-tests").experiment_id
    before = {r.info.run_id for r in store.search_runs([exp], run_view_type=3)}
    with pytest.raises(MlflowLoggingError, match="for run 'no-such-run'"):
        log_recommendation(rec, run_id="no-such-run", report=False)
    assert {r.info.run_id for r in store.search_runs([exp], run_view_type=3)} == before


def test_a_failure_midway_deletes_the_run_it_created(store, rec, monkeypatch):
    exp = mlflow.get_experiment_by_name("oot-tests").experiment_id
    before = {r.info.run_id for r in store.search_runs([exp])}

    def refuse(self, *args, **kwargs):
        raise RuntimeError("the store refused the batch")

    monkeypatch.setattr(MlflowClient, "log_batch", refuse)
    with pytest.raises(MlflowLoggingError, match=r"the store refused the batch.*The run "
                       r"created for it was deleted"):
        log_recommendation(rec, report=False)
    # the active (not deleted) runs are those there were before
    assert {r.info.run_id for r in store.search_runs([exp])} == before


def test_bad_arguments(rec):
    with pytest.raises(InvalidParameterError, match=re.escape(
            "'rec' parameter of log_recommendation must be a RetrainRecommendation. Got "
            "'str' instead")):
        log_recommendation("rec")
    with pytest.raises(InvalidParameterError, match=re.escape(
            "must be one of RetrainRecommendation, CadenceBacktest, CandidateComparison. "
            "Got 'int' instead")):
        log_result(3)
    with pytest.raises(InvalidParameterError, match="'prefix' parameter"):
        log_recommendation(rec, prefix="oot/")


def test_import_oot_never_imports_mlflow():
    code = ("import sys, oot, oot.integrations, oot.report, oot.cli; "
            "print('mlflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
