"""Tests of compare_candidates and CandidateComparison.

References from outside the comparison: the generator's exact expected scores and
crossing age (``make_heuristic_comparison``), ``evaluate_out_of_time`` run on each
candidate alone, scikit-learn's metric functions on the window's rows, and
``score_window_pairs`` for the paired differences.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import mean_squared_error

import oot
import oot._format as fmt
from oot import CandidateComparison, EstimatorFitError, InvalidParameterError
from oot._validation import param_message
from oot.compare import OVERRIDE_KEYS, PAIR_STATUSES
from oot.datasets import make_heuristic_comparison
from oot.metrics import score_window_pairs

SMALL: dict[str, Any] = dict(metric="mse", train_window="365D", eval_window="60D",
                             anchors=4, anchor_step="60D", curve="linear",
                             n_bootstrap=60, random_state=0)


@pytest.fixture(scope="module")
def reg() -> Any:
    return make_heuristic_comparison(6000, task="regression", random_state=11)


@pytest.fixture(scope="module")
def three(reg: Any) -> CandidateComparison:
    """Three candidates: a model of every feature, the same on half a year of history,
    and the training mean."""
    return oot.compare_candidates(
        reg.frame, {"model": LinearRegression(),
                    "half-year": (LinearRegression(), {"train_window": "182D"}),
                    "mean": DummyRegressor()},
        target=reg.target, time=reg.time, **SMALL)


# ------------------------------------------------------------------- known truth
def test_crossing_age_of_model_and_heuristic_matches_the_truth() -> None:
    """A model that ages and a heuristic on a stable feature that does not: the age at
    which the model stops beating the heuristic is within 20% of the exact one, and the
    exact one is inside the 90% CI (a large sample; the study checks coverage)."""
    ds = make_heuristic_comparison(40000, task="regression", random_state=3)
    truth = ds.true_crossing_age()
    cmp = oot.compare_candidates(
        ds.frame, {"model": LinearRegression(),
                   "heuristic": (LinearRegression(), {"features": ds.heuristic_features})},
        target=ds.target, time=ds.time, metric="mse", train_window="365D",
        eval_window="30D", horizon="240D", anchors=6, anchor_step="60D",
        n_bootstrap=300, random_state=0)
    pair = cmp.pair("heuristic", "model")
    assert (pair.leader, pair.other, pair.status) == ("model", "heuristic", "crossed")
    assert abs(pair.crossing_age / truth - 1) < 0.2, (pair.crossing_age, truth)
    assert pair.crossing_ci.low <= truth <= pair.crossing_ci.high, (pair.crossing_ci, truth)
    # the fresh lead: the heuristic's exact MSE minus the model's at age 0
    first = ds.true_score("0D", candidate="heuristic") - ds.true_score(
        "0D", eval_window="0D")
    assert pair.fresh_lead == pytest.approx(first, rel=0.1)
    # the heuristic does not age: no degradation detected; the model does
    assert cmp["heuristic"].status == "no_degradation"
    assert cmp["model"].status == "crossed"


def test_sliding_ages_slower_than_expanding_when_old_history_is_harmful() -> None:
    """Rotating coefficients make old history harmful: a one-year sliding window beats
    all history before the cutoff at every anchor and its lead is the exact one."""
    ds = make_heuristic_comparison(30000, task="regression", drift_rate=0.004,
                                   random_state=5)
    cmp = oot.compare_candidates(
        ds.frame, {"sliding": LinearRegression(),
                   "expanding": (LinearRegression(), {"expanding": True})},
        target=ds.target, time=ds.time, metric="mse", train_window="365D",
        eval_window="30D", horizon="180D", anchors=5, anchor_step="90D",
        curve="linear", n_bootstrap=100, random_state=0)
    pair = cmp.pair("sliding", "expanding")
    assert pair.leader == "sliding"
    ev = cmp["expanding"].evaluation
    # the expanding model's exact MSE at each anchor: trained on all history before
    # the cutoff, i.e. a training window of (cutoff - start)
    start = ds.frame["time"].min()
    d = cmp.differences()
    first = d[d["window"] == 1]
    for (_, row), (_, e) in zip(first.iterrows(), ev.scores[ev.scores["window"] == 1]
                                .iterrows(), strict=True):
        age = row["age"]
        tw = e["cutoff"] - start
        want = ds.true_score(age, train_window=tw) - ds.true_score(age)
        assert row["score"] == pytest.approx(want, abs=4 * row["se"] + 0.02)
    # at the first cutoff both train on the same year; later sliding leads
    assert first["score"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    assert (first["score"].iloc[1:] > 0).all()
    # the expanding windows grow; the sliding ones do not
    n_train = {n: cmp[n].evaluation.anchors["n_train"].to_numpy() for n in cmp.candidates}
    assert np.all(np.diff(n_train["expanding"]) > 0)
    assert np.ptp(n_train["sliding"]) < 0.1 * n_train["sliding"].mean()


# -------------------------------------------------------- the same windows and rows
def test_each_candidate_is_the_evaluation_it_would_have_alone(reg: Any,
                                                              three: CandidateComparison):
    """Every candidate's scores equal evaluate_out_of_time on the same cutoffs, with the
    same seeds: the comparison changes nothing about a candidate's own evaluation."""
    cutoffs = three["model"].evaluation.scores["cutoff"].unique().tolist()
    for name, est, tw in [("model", LinearRegression(), "365D"),
                          ("half-year", LinearRegression(), "182D"),
                          ("mean", DummyRegressor(), "365D")]:
        alone = oot.evaluate_out_of_time(
            reg.frame, est, target=reg.target, time=reg.time, metric="mse",
            train_window=tw, eval_window="60D", anchors=cutoffs, random_state=0)
        got = three[name].evaluation.scores
        cols = ["anchor", "cutoff", "window", "window_start", "window_end", "n",
                "score", "se", "status"]
        pd.testing.assert_frame_equal(got[cols].reset_index(drop=True),
                                      alone.scores[cols].reset_index(drop=True))


@pytest.fixture(scope="module")
def auc3() -> CandidateComparison:
    """Three classifiers on ROC AUC (its kernel path: each anchor's scoring is shared
    with the helper thread), the curve chosen by AICc."""
    ds = make_heuristic_comparison(6000, random_state=0)
    return oot.compare_candidates(
        ds.frame, {"model": LogisticRegression(),
                   "half-year": (LogisticRegression(), {"train_window": "182D"}),
                   "rule": (LogisticRegression(), {"features": ["z"]})},
        target=ds.target, time=ds.time, metric="roc_auc", train_window="365D",
        eval_window="60D", anchors=4, anchor_step="60D", n_bootstrap=60, random_state=0)


def test_roc_auc_candidates_are_their_evaluations_alone_exactly(auc3: Any) -> None:
    """Scored with the helper thread, every number is the one evaluate_out_of_time
    gives the candidate alone (same cutoffs, same seeds), to the last bit."""
    ds = make_heuristic_comparison(6000, random_state=0)
    cutoffs = auc3["model"].evaluation.scores["cutoff"].unique().tolist()
    for name, tw, feats in [("model", "365D", None), ("half-year", "182D", None),
                            ("rule", "365D", ["z"])]:
        alone = oot.evaluate_out_of_time(
            ds.frame, LogisticRegression(), target=ds.target, time=ds.time,
            features=feats, metric="roc_auc", train_window=tw, eval_window="60D",
            anchors=cutoffs, random_state=0)
        cols = ["anchor", "window", "n", "score", "se", "status"]
        pd.testing.assert_frame_equal(
            auc3[name].evaluation.scores[cols].reset_index(drop=True),
            alone.scores[cols].reset_index(drop=True), check_exact=True)


@pytest.mark.parametrize("which", ["three", "auc3"])
def test_a_pair_curve_is_the_difference_fit_with_the_lead_as_baseline(
        which: str, request: Any) -> None:
    """A pair's curve is fit_degradation of its (oriented) differences with the fitted
    lead as the fixed baseline, every field the same (the first fit is reused)."""
    from oot.degradation import fit_degradation

    cmp = request.getfixturevalue(which)
    curve = "linear" if which == "three" else "auto"
    for p in cmp.pairs:
        want = fit_degradation(p.differences, curve=curve, baseline=p.curve.level)
        assert p.curve.to_dict() == want.to_dict()


@pytest.mark.parametrize(("metric", "task"), [
    ("roc_auc", "binary"), ("log_loss", "binary"), ("brier", "binary"),
    ("mse", "regression"), ("mae", "regression"), ("r2", "regression"),
    ("average_precision", "binary"), ("log_loss", "multiclass")])
def test_scoring_candidates_with_a_helper_thread_changes_no_number(metric: str,
                                                                   task: str) -> None:
    """score_many with a helper thread (half the predictions and half the pairs there)
    returns exactly what it returns alone; paths that are not thread-safe (a paired
    bootstrap, matrix predictions) ignore the helper."""
    from concurrent.futures import ThreadPoolExecutor

    from oot.metrics import get_metric
    from oot.metrics._paired import score_many

    rng = np.random.default_rng(7)
    n = 4000
    if task == "regression":
        y = rng.normal(size=n)
        preds = [y + rng.normal(scale=c, size=n) for c in (0.5, 0.7, 1.0, 2.0)]
        n_classes = None
    elif task == "binary":
        y = rng.integers(0, 2, n)
        preds = [1 / (1 + np.exp(-(rng.normal(size=n) + c * y))) for c in (1, 0.5, 0.2)]
        n_classes = 2
    else:
        y = rng.integers(0, 3, n)
        preds = [rng.dirichlet(np.ones(3) + c * np.eye(3)[y[0]], size=n) for c in (1, 2)]
        n_classes = 3
    cuts = np.array([0, 700, 1500, 1500, 2600, 4000])
    starts, stops = cuts[:-1], cuts[1:]
    pairs = [(i, j) for i in range(len(preds)) for j in range(i + 1, len(preds))]
    m = get_metric(metric)
    kw = dict(min_window_size=30, n_classes=n_classes, random_state=5, n_bootstrap=50)
    alone = score_many(m, y, preds, starts, stops, pairs, **kw)
    with ThreadPoolExecutor(max_workers=1) as pool:
        shared = score_many(m, y, preds, starts, stops, pairs, helper=pool, **kw)
    for a, b in zip(alone[0], shared[0], strict=True):
        for f in ("score", "se", "n", "status"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    for a, b in zip(alone[1], shared[1], strict=True):
        for x, z in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, z)
    assert np.isfinite(alone[1][0][1][[0, 1, 3, 4]]).all()  # every pair SE computed


def test_all_candidates_share_cutoffs_and_windows(three: CandidateComparison) -> None:
    cols = ["anchor", "cutoff", "window", "window_start", "window_end", "age", "n"]
    frames = [three[n].evaluation.scores[cols] for n in three.candidates]
    for f in frames[1:]:
        pd.testing.assert_frame_equal(f, frames[0])
    # the first cutoff leaves every candidate its whole training window
    n_train = three["model"].evaluation.anchors["n_train"]
    assert n_train.min() > 0.9 * n_train.max()


def test_pair_differences_are_the_paired_scores_of_the_same_rows(
        reg: Any, three: CandidateComparison) -> None:
    """Each window's difference is the difference of the two candidates' scores (from
    scikit-learn's MSE on the window's rows) and its SE the paired one of
    score_window_pairs on the same predictions."""
    pair = three.pair("model", "mean")
    assert pair.leader == "model"
    sm = three["model"].evaluation.scores
    sb = three["mean"].evaluation.scores
    diff = pair.differences.scores
    np.testing.assert_allclose(diff["score"], sb["score"] - sm["score"], rtol=1e-9)
    # recompute the first anchor by hand
    frame = reg.frame.sort_values("time", kind="stable")
    cut = sm["cutoff"].iloc[0]
    feats = reg.features
    train = frame[(frame["time"] >= cut - pd.Timedelta("365D")) & (frame["time"] < cut)]
    model = LinearRegression().fit(train[feats], train["y"])
    mean = float(train["y"].mean())
    a0 = sm[sm["anchor"] == 1]
    starts, stops, preds_m, preds_b, ys = [], [], [], [], []
    offset = 0
    for _, w in a0.iterrows():
        rows = frame[(frame["time"] >= w["window_start"]) & (frame["time"] < w["window_end"])]
        pm = model.predict(rows[feats])
        assert mean_squared_error(rows["y"], pm) == pytest.approx(w["score"], rel=1e-9)
        starts.append(offset)
        offset += len(rows)
        stops.append(offset)
        preds_m.append(pm)
        preds_b.append(np.full(len(rows), mean))
        ys.append(rows["y"].to_numpy())
    ps = score_window_pairs(
        "mse", np.concatenate(ys), np.concatenate(preds_b), np.concatenate(preds_m),
        np.array(starts), np.array(stops))
    got = diff[diff["anchor"] == 1]
    np.testing.assert_allclose(got["score"], ps.diff, rtol=1e-8)
    np.testing.assert_allclose(got["se"], ps.se, rtol=1e-8)
    # paired: far smaller than the unpaired SE of two independent scores
    sa, sbb = sm[sm["anchor"] == 1]["se"], sb[sb["anchor"] == 1]["se"]
    assert np.all(got["se"].to_numpy() < np.hypot(sa, sbb).to_numpy())


# ---------------------------------------------------------------- the result
def test_result_tables(three: CandidateComparison) -> None:
    s = three.summary()
    assert s["candidate"].tolist() == ["model", "half-year", "mean"]
    assert s["train_window"].tolist() == ["365D", "182D", "365D"]
    for n in three.candidates:
        assert s.set_index("candidate").loc[n, "baseline"] == three[n].baseline
    p = three.pairs_frame()
    assert list(zip(p["a"], p["b"], strict=True)) == [
        ("model", "half-year"), ("model", "mean"), ("half-year", "mean")]
    assert set(p["status"]) <= set(PAIR_STATUSES)
    f = three.to_frame()
    assert len(f) == sum(len(three[n].evaluation.scores) for n in three.candidates)
    assert f.columns[0] == "candidate"
    d = three.differences()
    assert len(d) == sum(len(q.differences.scores) for q in three.pairs)
    # half a year of history learns coefficients closer to today's: better fresh
    assert three.leader == "half-year"
    assert three.cost_optimal is None
    assert {q.a for q in three.verdict_pairs()} | {q.b for q in three.verdict_pairs()} \
        == set(three.candidates)
    text = three.verdict()
    assert "model" in text
    assert "mean" in text
    assert str(three) == text
    assert "oot-comparison" in three._repr_html_()
    assert "model" in repr(three)


def test_json_round_trip_is_exact(three: CandidateComparison) -> None:
    text = three.to_json()
    json.loads(text)  # standard JSON
    back = CandidateComparison.from_json(text)
    assert back.to_json() == text
    assert back.candidates == three.candidates
    pd.testing.assert_frame_equal(back.summary(), three.summary())
    pd.testing.assert_frame_equal(back.pairs_frame(), three.pairs_frame())
    with pytest.raises(InvalidParameterError, match="CandidateComparison"):
        CandidateComparison.from_json(three["model"].to_json())


def test_plot_and_report(three: CandidateComparison, tmp_path: Any) -> None:
    import matplotlib.pyplot as plt

    disp = three.plot()
    assert set(disp.lines_) == set(three.candidates)
    disp2 = three.plot("difference", pair=("mean", "model"))
    assert disp2.curve_line_ is not None
    plt.close("all")
    folder = three.save_report(tmp_path / "cmp")
    assert (folder / "index.html").exists()
    assert "half-year" in (folder / "index.html").read_text()


def test_costs_pick_the_cost_optimal_candidate(reg: Any) -> None:
    """With both costs, each candidate gets its cost-optimal cadence; a dict of costs
    is used as given, a number is split in proportion to the measured fit times."""
    cands = {"model": LinearRegression(), "mean": DummyRegressor()}
    kw = dict(target=reg.target, time=reg.time, **SMALL)
    given = oot.compare_candidates(reg.frame, cands, retrain_cost={"model": 5.0,
                                                                   "mean": 0.0},
                                   shortfall_cost=100.0, **kw)
    c = given.costs.set_index("candidate")
    assert c.loc["model", "retrain_cost"] == 5.0
    assert (c["cost_rule"] == "given").all()
    # the mean never ages and costs nothing to refit: it pays its constant shortfall
    # against the best baseline; the model pays refits and aging, far less
    ref = given["model"].baseline
    want = 100.0 * max(given["mean"].curve.predict(np.zeros(1))[0] - ref, 0.0)
    assert c.loc["mean", "cost_rate"] == pytest.approx(want, rel=1e-9)
    assert given.cost_optimal == "model"
    assert given.summary()["cost_optimal"].tolist() == [True, False]
    prop = oot.compare_candidates(reg.frame, cands, retrain_cost=10.0,
                                  shortfall_cost=100.0, **kw)
    c = prop.costs.set_index("candidate")
    assert (c["cost_rule"] == "fit_time").all()
    longest = c["fit_time"].idxmax()
    assert c.loc[longest, "retrain_cost"] == pytest.approx(10.0)
    other = next(n for n in c.index if n != longest)
    assert c.loc[other, "retrain_cost"] == pytest.approx(
        10.0 * c.loc[other, "fit_time"] / c.loc[longest, "fit_time"])


def test_numeric_time_and_a_classifier_heuristic() -> None:
    ds = make_heuristic_comparison(8000, time_kind="numeric", random_state=4)
    cmp = oot.compare_candidates(
        ds.frame, {"model": LogisticRegression(),
                   "rule": (LogisticRegression(), {"features": ["z"]})},
        target=ds.target, time=ds.time, metric="roc_auc", train_window=365,
        eval_window=60, anchors=3, anchor_step=60, curve="linear", n_bootstrap=60,
        random_state=0)
    pair = cmp.pair("model", "rule")
    assert pair.leader == "model"
    assert isinstance(pair.max_age, float)
    assert pair.crossing_age is None or isinstance(pair.crossing_age, float)
    assert CandidateComparison.from_json(cmp.to_json()).to_json() == cmp.to_json()


def test_a_candidate_without_skill_is_said_so() -> None:
    """A baseline at the metric's chance level (a constant score: ROC AUC 0.5) is
    "no_skill", in the verdict too, not "no degradation detected"."""
    from sklearn.dummy import DummyClassifier

    ds = make_heuristic_comparison(4000, random_state=5)
    cmp = oot.compare_candidates(
        ds.frame, {"model": LogisticRegression(), "prior": DummyClassifier()},
        target=ds.target, time=ds.time, metric="roc_auc", eval_window="60D", anchors=3,
        anchor_step="60D", n_bootstrap=40, random_state=0)
    assert cmp["prior"].status == "no_skill"
    assert cmp["prior"].baseline == 0.5
    clause = fmt.cadence_clause(cmp["prior"])
    assert clause == "no skill to lose (chance level 0.5)"
    assert "prior: baseline 0.5, no skill to lose (chance level 0.5)" in cmp.verdict()
    assert "no degradation detected" not in cmp.verdict().split(". ")[0]
    assert fmt.cadence_clause(cmp["model"]).startswith("retrain ")


def test_the_verdict_writes_a_crossing_ci_in_the_crossing_ages_unit(
        three: CandidateComparison) -> None:
    crossed = [p for p in three.pairs if p.status == "crossed"]
    assert crossed
    for p in crossed:
        unit = fmt.age(p.crossing_age, "datetime").rsplit(" ", 1)[1]
        ci = str(p).split("(90% CI ", 1)[1].split(";", 1)[0]
        words = ci.replace("beyond ", "").split(" to ")
        assert [w.rsplit(" ", 1)[1] for w in words] == [unit, unit], str(p)


class _StableRule(BaseEstimator, RegressorMixin):  # type: ignore[misc]
    """A heuristic written as a rule: predict ``scale * z``, learn nothing."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def fit(self, X: Any, y: Any) -> _StableRule:
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.scale * np.asarray(X["z"], dtype=float)


def test_a_rule_wrapped_as_an_estimator(reg: Any) -> None:
    cmp = oot.compare_candidates(
        reg.frame, {"model": LinearRegression(),
                    "rule": (_StableRule(reg.stable_signal), {"features": ["z"]})},
        target=reg.target, time=reg.time, **SMALL)
    rule = cmp["rule"].evaluation.scores
    # the rule predicts gamma z: its exact MSE is noise^2 + signal^2
    assert rule["score"].mean() == pytest.approx(
        reg.true_score("30D", candidate="heuristic"), rel=0.1)


# ----------------------------------------------------------- failures and input
class _FailsLate(BaseEstimator, RegressorMixin):  # type: ignore[misc]
    """Fails to fit when its training rows reach past ``day`` (a given column)."""

    def __init__(self, day: float = 0.0) -> None:
        self.day = day

    def fit(self, X: Any, y: Any) -> _FailsLate:
        if float(np.max(X["day"])) > self.day:
            raise ValueError("too late")
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), self.mean_)


def _with_day(ds: Any) -> pd.DataFrame:
    f = ds.frame.copy()
    f["day"] = (f["time"] - f["time"].min()) / pd.Timedelta("1D")
    return f


def test_a_candidate_failing_on_some_anchors_is_isolated(reg: Any) -> None:
    frame = _with_day(reg)
    kw = {**SMALL, "anchors": 4}
    cands = {"model": (LinearRegression(), {"features": reg.features}),
             "late": (_FailsLate(day=450.0), {"features": ["day", "z"]})}
    with pytest.raises(EstimatorFitError, match=r"Candidate 'late', anchor 3 of 4"):
        oot.compare_candidates(frame, cands, target="y", time="time", **kw)
    with pytest.warns(oot.WindowWarning, match="'late'"):
        cmp = oot.compare_candidates(frame, cands, target="y", time="time",
                                     on_error="skip", **kw)
    late = cmp["late"].evaluation
    assert late.anchors["status"].tolist()[:2] == ["ok", "ok"]
    assert (late.anchors["status"].iloc[2:] != "ok").all()
    assert "too late" in late.anchors["message"].iloc[2]
    # the other candidate is scored at every anchor, as it would be alone
    assert (cmp["model"].evaluation.scores["status"] == "ok").all()
    d = cmp.pair("model", "late").differences.scores
    assert (d.loc[d["anchor"] >= 3, "status"] == "anchor_failed").all()
    assert (d.loc[d["anchor"] < 3, "status"] == "ok").all()
    with pytest.raises(EstimatorFitError, match="'late' failed at every anchor"):
        oot.compare_candidates(
            frame, {**cands, "late": (_FailsLate(day=-1.0), {"features": ["day", "z"]})},
            target="y", time="time", on_error="skip", **kw)


@pytest.mark.parametrize(("candidates", "message"), [
    ({}, "at least two names"),
    ({"a": LinearRegression()}, "at least two names"),
    ([LinearRegression(), DummyRegressor()], "a mapping of names to estimators"),
    ({"Model": LinearRegression(), " model ": DummyRegressor()}, "distinct names"),
    ({"a": LinearRegression(), "": DummyRegressor()}, "non-empty strings"),
    ({"a": LinearRegression(), "b": (DummyRegressor(), {"train_windw": "90D"})},
     "keys among \\['train_window', 'expanding', 'features'\\].*did you mean "
     "'train_window'"),
    ({"a": LinearRegression(), "b": (DummyRegressor(), "90D")}, "dict of overrides"),
    ({"a": LinearRegression(), "b": DummyRegressor}, "Pass an instance"),
    ({"a": LinearRegression(), "b": "mean"}, "estimators with a fit method"),
    ({"a": LinearRegression(), "b": LogisticRegression()}, "one kind of target"),
    ({"a": LinearRegression(), "b": (DummyRegressor(), {"expanding": "yes"})},
     r"candidates\['b'\]\['expanding'\]"),
    ({"a": LinearRegression(), "b": (DummyRegressor(), {"features": "z"})},
     r"Write \['z'\]"),
    ({"a": LinearRegression(), "b": (DummyRegressor(), {"features": ["zz"]})},
     r"candidates\['b'\]\['features'\]"),
    ({"a": LinearRegression(), "b": (DummyRegressor(), {"train_window": "soon"})},
     r"candidates\['b'\]\['train_window'\]"),
])
def test_bad_candidates(reg: Any, candidates: Any, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message) as info:
        oot.compare_candidates(reg.frame, candidates, target="y", time="time", **SMALL)
    assert "compare_candidates" in str(info.value)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"margin": -1.0}, "'margin'"),
    ({"benchmark": "median"}, "'benchmark'.*'a', 'b'"),
    ({"retrain_cost": 1.0}, "'shortfall_cost'"),
    ({"shortfall_cost": 1.0}, "'retrain_cost'"),
    ({"retrain_cost": {"a": 1.0}, "shortfall_cost": 1.0}, r"Missing: \['b'\]"),
    ({"retrain_cost": {"a": 1.0, "b": 1.0, "c": 1.0}, "shortfall_cost": 1.0},
     r"Unknown candidates: \['c'\]"),
    ({"metric": "roc_auc"}, "one kind of target|predict_proba|classifier"),
])
def test_bad_arguments(reg: Any, kwargs: dict[str, Any], message: str) -> None:
    kw = {**SMALL, **kwargs}
    with pytest.raises(InvalidParameterError, match=message):
        oot.compare_candidates(reg.frame, {"a": LinearRegression(), "b": DummyRegressor()},
                               target="y", time="time", **kw)


def test_messages_show_python_values_not_numpy_reprs(reg: Any) -> None:
    """Values in messages read the same under every numpy and pandas (no np.int64(5))."""
    with pytest.raises(InvalidParameterError) as info:
        oot.compare_candidates(reg.frame, {"a": LinearRegression(), "b": DummyRegressor()},
                               target="y", time="time",
                               **{**SMALL, "margin": np.float64(-2.0)})
    assert "np." not in str(info.value)
    assert re.search(r"Got -2\.0 instead", str(info.value))
    for value, text in [(np.int64(5000), "5000"), (np.float32(0.5), "0.5"),
                        (np.bool_(True), "True"), (np.str_("x"), "'x'")]:
        assert f"Got {text} instead" in param_message("p", "f", "a thing", value)


def test_the_data_is_not_modified(reg: Any) -> None:
    frame = reg.frame.sample(frac=1.0, random_state=0)
    before = frame.copy()
    oot.compare_candidates(frame, {"a": LinearRegression(), "b": DummyRegressor()},
                           target="y", time="time", **SMALL)
    pd.testing.assert_frame_equal(frame, before)


def test_override_keys_are_documented() -> None:
    assert OVERRIDE_KEYS == ("train_window", "expanding", "features")
    doc = oot.compare_candidates.__doc__ or ""
    assert all(k in doc for k in OVERRIDE_KEYS)
