"""Tests of the policy backtest (backtest_cadences, CadenceBacktest, the oracle).

References from outside the backtest: a plain loop that refits a scikit-learn model at
every retrain of every cadence, the known degradation curves of oot.datasets, brute
force over every subset of retrain cutoffs, and hand-computed schedules.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error

import oot
from oot import CadenceBacktest, InvalidParameterError, OOTEvaluation, backtest_cadences
from oot.datasets import make_degradation_scores, make_drifting_regression

from .strategies import score_matrices

FEATURES = ["x0", "x1", "x2"]


# ----------------------------------------------------------------- reference loop
def refit_loop(frame: pd.DataFrame, *, train: Any, step: Any, gap: Any, n_anchors: int,
               k: int, p: int) -> list[tuple[Any, int, float]]:
    """Realized MAE per period of cadence ``k`` (phase ``p``), refitting every retrain.

    The plain loop a forecasting backtester runs: the cutoffs ``c_1 = t_min + train``,
    ``c_j = c_1 + (j - 1) step``; retrain at ``c_1`` and every ``k``-th cutoff from
    ``c_{1+p}``; in each complete evaluation period (starting at ``c_1 + gap``, one
    ``step`` long), fit a LinearRegression on the ``train`` before the latest retrain
    cutoff ``c`` with ``c + gap <= start`` and score it with scikit-learn's MAE. ``k=0``
    never retrains.
    """
    t = frame["time"]
    X = frame[FEATURES].to_numpy()
    y = frame["y"].to_numpy()
    monthly = isinstance(step, pd.DateOffset)
    c1 = t.min() + train
    cuts = [c1 + (pd.DateOffset(months=j) if monthly else step * j)
            for j in range(n_anchors)]
    if monthly:
        first = (c1 + gap).normalize().replace(day=1)
        if first < c1 + gap:
            first += pd.DateOffset(months=1)
        starts = [first + pd.DateOffset(months=i) for i in range(60)]
        ends = [s + pd.DateOffset(months=1) for s in starts]
    else:
        starts = [c1 + gap + step * i for i in range(60)]
        ends = [s + step for s in starts]
    periods = [(s, e) for s, e in zip(starts, ends, strict=True) if e <= t.max()]
    retrain = sorted({0} | set(range(p, n_anchors, k))) if k else [0]
    models: dict[int, LinearRegression] = {}
    out = []
    for s, e in periods:
        j = max(r for r in retrain if cuts[r] + gap <= s)
        if j not in models:
            rows = ((t >= cuts[j] - train) & (t < cuts[j])).to_numpy()
            models[j] = LinearRegression().fit(X[rows], y[rows])
        rows = ((t >= s) & (t < e)).to_numpy()
        out.append((s, j + 1, float(mean_absolute_error(y[rows], models[j].predict(X[rows])))))
    return out


CASES = {
    # fixed 30-day windows with a 10-day gap; 8 complete windows after the first cutoff
    "30D+gap": dict(periods=375, n_periods=8, time_kind="datetime", train="120D", eval="30D",
                    gap="10D", step=pd.Timedelta("30D")),
    # calendar months: the first cutoff falls on 2020-04-30, so May 2020 to January 2021
    "MS": dict(periods=400, n_periods=9, time_kind="datetime", train="120D", eval="MS", gap="0D",
               step=pd.DateOffset(months=1)),
    "numeric": dict(periods=365, n_periods=8, time_kind="numeric", train=120.0, eval=30.0, gap=0.0,
                    step=30.0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_realized_scores_equal_a_loop_that_refits_every_cadence(case: str) -> None:
    c = CASES[case]
    ds = make_drifting_regression(3000, n_features=3, periods=c["periods"],
                                  drift_rate=0.003, time_kind=c["time_kind"],
                                  random_state=1)
    ev = oot.evaluate_out_of_time(ds.frame, LinearRegression(), target="y", time="time",
                                  metric="mae", train_window=c["train"],
                                  eval_window=c["eval"], gap=c["gap"], anchors=8)
    bt = backtest_cadences(ev)
    numeric = c["time_kind"] == "numeric"
    train = c["train"] if numeric else pd.Timedelta(c["train"])
    gap = c["gap"] if numeric else pd.Timedelta(c["gap"])
    assert sorted(bt.summary()["steps"]) == list(range(8))      # 1..7 steps and never
    n_checked = 0
    for k in range(8):
        for p in range(max(k, 1)):
            ref = refit_loop(ds.frame, train=train, step=c["step"], gap=gap, n_anchors=8,
                             k=k, p=p)
            got = bt.realized[(bt.realized["steps"] == k) & (bt.realized["phase"] == p)]
            assert len(ref) == c["n_periods"]
            assert got["period"].tolist() == [r[0] for r in ref]
            assert got["anchor"].tolist() == [r[1] for r in ref]
            np.testing.assert_allclose(got["score"].to_numpy(), [r[2] for r in ref],
                                       rtol=0, atol=1e-12)
            n_checked += 1
    assert n_checked == 1 + sum(range(1, 8))
    # the periods the loop scored are the backtest's, and every one was judged
    assert bt.periods["judged"].all()
    assert bt.n_periods == c["n_periods"]


# ----------------------------------------------------------------- known curves
def _in_service_ages(n_periods: int, n_anchors: int, k: int, p: int) -> np.ndarray:
    """Ages (in windows) of the model in service, anchors one window apart."""
    retrain = sorted({0} | set(range(p, n_anchors, k))) if k else [0]
    return np.array([w - max(r for r in retrain if r <= w) + 0.5
                     for w in range(n_periods)])


@pytest.mark.parametrize("shape", ["linear", "exponential"])
def test_realized_mean_matches_the_true_curve_over_in_service_ages(shape: str) -> None:
    # sampling noise only (no anchor or calendar effects), each anchor scored on 18
    # windows: the backtest's span is anchor 1's 18 windows
    sim = make_degradation_scores(n_anchors=20, n_windows=18, shape=shape,
                                  slope=-0.0008, timescale=120.0, anchor_sd=0.0,
                                  period_sd=0.0, se=0.004, random_state=3)
    bt = backtest_cadences(sim.to_evaluation(), tolerance=0.05)
    assert bt.n_periods == 18
    assert bt.n_anchors == 18
    summ = bt.summary()
    for _, row in summ.iterrows():
        k = int(row["steps"])
        ages = np.concatenate([_in_service_ages(18, 18, k, p) for p in range(max(k, 1))])
        truth = float(np.mean(sim.true_score(pd.to_timedelta(ages * 30, unit="D"))))
        # each phase's mean averages 18 independent sampling errors (se about 0.004);
        # phases share cells, so the average over phases is no less noisy than one
        assert abs(row["mean_score"] - truth) < 4 * 0.004 * 1.2 / math.sqrt(18), (k, row)
        assert abs(row["mean_age"] - pd.Timedelta(days=float(np.mean(ages)) * 30)) < (
            pd.Timedelta("1us"))
    # degradation: longer cadences realise lower scores on average
    fixed = summ[summ["steps"] > 0].sort_values("steps")
    assert fixed["mean_score"].iloc[0] > fixed["mean_score"].iloc[-1]
    assert summ.loc[summ["steps"] == 0, "mean_score"].iloc[0] < fixed["mean_score"].min()


def test_realized_mean_matches_the_drifting_regression_truth() -> None:
    # row-level data whose coefficients drift: the expected MSE of a model of age a
    # trained on L days is noise^2 + r^2 ((a + L/2)^2 + w^2/12) (population fit)
    ds = make_drifting_regression(60000, n_features=3, periods=120 + 360 + 5,
                                  drift_rate=0.002, noise=1.0, random_state=5)
    ev = oot.evaluate_out_of_time(ds.frame, LinearRegression(), target="y", time="time",
                                  metric="mse", train_window="120D", eval_window="30D",
                                  anchors=12)
    bt = backtest_cadences(ev)
    assert bt.n_periods == 12
    summ = bt.summary()
    for _, row in summ.iterrows():
        got = bt.realized[bt.realized["steps"] == row["steps"]]
        truth = ds.true_score(got["age"].to_numpy(), metric="mse", train_window="120D",
                              eval_window="30D")
        # a fit on ~15,000 rows adds about (1 + r^2 L^2 / 12) p / n to the MSE
        bias = (1 + 0.002**2 * 120**2 / 12) * 3 / 15000
        se = math.sqrt(float(np.mean(got["se"] ** 2)) / 12)
        assert abs(row["mean_score"] - float(np.mean(truth)) - bias) < 4 * se + bias, row
    # the truth separates the cadences: monthly retraining beats never retraining
    assert summ.loc[summ["steps"] == 1, "mean_score"].iloc[0] < summ.loc[
        summ["steps"] == 0, "mean_score"].iloc[0] - 0.05


# ----------------------------------------------------------------- the oracle
def _brute_force(spec: dict[str, Any]) -> dict[str, Any]:
    """Every schedule's cost from the definitions, without the backtest's code."""
    f = spec["frame"]
    J, m, W = spec["n_anchors"], spec["step"], spec["n_periods"]
    gib = spec["greater_is_better"]
    sign = 1.0 if gib else -1.0
    score = np.full((J, W), np.nan)
    starts = sorted(f["window_start"].unique())
    index = {s: i for i, s in enumerate(starts)}
    for r in f.itertuples():
        score[r.anchor - 1, index[r.window_start]] = r.score
    ends = f.groupby("window_start")["window_end"].first().sort_index().to_numpy()
    lengths = np.array([(e - s) / pd.Timedelta(days=1) if isinstance(s, pd.Timestamp)
                        else e - s for s, e in zip(starts, ends, strict=True)], dtype=float)
    first = [j * m for j in range(J)]

    def serve(retrain: list[int]) -> list[int]:
        return [max(r for r in retrain if first[r] <= w) for w in range(W)]

    schedules = [[0]] + [sorted({0} | set(range(p, J, k))) for k in range(1, J)
                         for p in range(k)]
    judged = [all(not np.isnan(score[serve(r)[w], w]) for r in schedules)
              for w in range(W)]
    fresh = [score[serve(list(range(J)))[w], w] for w in range(W)]
    span = lengths.sum()
    C, c = spec["retrain_cost"], spec["shortfall_cost"]

    def cost(retrain: list[int]) -> float:
        total = C * (len(retrain) - 1)
        for w, j in enumerate(serve(retrain)):
            if not judged[w]:
                continue
            if np.isnan(score[j, w]):
                return math.inf
            total += c * max(sign * (fresh[w] - score[j, w]), 0.0) * lengths[w]
        return total / span

    rates = {}
    for size in range(J):
        for sub in itertools.combinations(range(1, J), size):
            rates[sub] = cost([0, *sub])
    return {"rates": rates, "cost": cost, "judged": judged}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=score_matrices())
def test_oracle_equals_brute_force_over_every_schedule(spec: dict[str, Any]) -> None:
    ev = OOTEvaluation.from_frame(spec["frame"], metric=spec["metric"])
    ref = _brute_force(spec)
    if not any(ref["judged"]):
        with pytest.raises(InvalidParameterError, match="no period where every schedule"):
            backtest_cadences(ev, baseline=0.7, retrain_cost=spec["retrain_cost"],
                              shortfall_cost=spec["shortfall_cost"])
        return
    bt = backtest_cadences(ev, baseline=0.7, retrain_cost=spec["retrain_cost"],
                           shortfall_cost=spec["shortfall_cost"])
    assert bt.periods["judged"].tolist() == ref["judged"]
    assert bt.oracle is not None
    best = min(ref["rates"].values())
    assert bt.oracle.cost_rate == pytest.approx(best, rel=1e-12, abs=1e-15)
    # the schedule it reports costs what it says
    chain = [a - 1 for a in bt.oracle.anchors]
    assert ref["cost"](chain) == pytest.approx(bt.oracle.cost_rate, rel=1e-12, abs=1e-15)
    assert bt.oracle.n_retrains == len(chain) - 1 == len(bt.oracle.schedule)
    # every fixed cadence and phase: the brute-force cost, never below the oracle's
    J = spec["n_anchors"]
    for r in bt.by_phase.itertuples():
        k, p = int(r.steps), int(r.phase)
        retrain = sorted({0} | set(range(p, J, k))) if k else [0]
        assert r.cost_rate == pytest.approx(ref["cost"](retrain), rel=1e-12, abs=1e-15)
        assert r.cost_rate >= bt.oracle.cost_rate - 1e-12
        assert r.regret >= -1e-12
    assert (bt.summary()["regret"] >= -1e-12).all()


def _hand_evaluation() -> OOTEvaluation:
    """Three anchors, three periods of length 1 (numeric time), ROC AUC.

    anchor 1: 0.9 0.7 0.5 / anchor 2: - 0.9 0.8 / anchor 3: - - 0.9. The fresh score
    is 0.9 everywhere; never retraining falls short by 0 + 0.2 + 0.4, retraining at
    cutoff 2 only by 0.1, at cutoff 3 only by 0.2, at both by 0.
    """
    rows = [(1, 0, 0.9), (1, 1, 0.7), (1, 2, 0.5), (2, 1, 0.9), (2, 2, 0.8), (3, 2, 0.9)]
    frame = pd.DataFrame([{"anchor": a, "cutoff": float(a - 1), "window_start": float(w),
                           "window_end": float(w + 1), "age": w - (a - 1) + 0.5,
                           "score": s, "se": 0.01, "n": 100} for a, w, s in rows])
    return OOTEvaluation.from_frame(frame, metric="roc_auc")


@pytest.mark.parametrize(("C", "anchors", "total"), [
    (1.0, (1,), 0.6),          # never: 0.6 < C + 0.1
    (0.3, (1, 2), 0.4),        # retrain at 2: 0.3 + 0.1 beats 0.6, 0.5 and 0.6
    (0.05, (1, 2, 3), 0.1),    # retrain at both: 2 * 0.05 beats 0.15 and 0.25
    (0.15, (1, 2), 0.25),      # {2}: 0.25 beats {2, 3}: 0.3, {3}: 0.35, never: 0.6
])
def test_oracle_hand_computed(C: float, anchors: tuple[int, ...], total: float) -> None:
    bt = backtest_cadences(_hand_evaluation(), baseline=0.9, retrain_cost=C,
                           shortfall_cost=1.0)
    assert bt.oracle is not None
    assert bt.oracle.anchors == anchors
    assert bt.oracle.schedule == tuple(float(a - 1) for a in anchors[1:])
    assert bt.oracle.total_cost == pytest.approx(total, abs=1e-12)
    assert bt.oracle.cost_rate == pytest.approx(total / 3, abs=1e-12)
    summ = bt.summary().set_index("steps")
    # every step: 2C; 2 steps: phase 0 retrains at 3 (C + 0.2), phase 1 at 2 (C + 0.1)
    assert summ.loc[1, "cost_rate"] == pytest.approx(2 * C / 3, abs=1e-12)
    assert summ.loc[2, "cost_rate"] == pytest.approx((2 * C + 0.3) / 2 / 3, abs=1e-12)
    assert summ.loc[0, "cost_rate"] == pytest.approx(0.6 / 3, abs=1e-12)
    assert summ.loc[2, "regret"] == pytest.approx((2 * C + 0.3) / 6 - total / 3,
                                                  abs=1e-12)
    assert summ.loc[2, "cost_rate_min"] == pytest.approx((C + 0.1) / 3, abs=1e-12)
    assert summ.loc[2, "cost_rate_max"] == pytest.approx((C + 0.2) / 3, abs=1e-12)


def test_hand_computed_scores_and_shares() -> None:
    bt = backtest_cadences(_hand_evaluation(), baseline=0.9, tolerance=0.1)
    summ = bt.summary().set_index("steps")
    # threshold 0.81: never retraining keeps 1 of 3 periods, every step all 3
    assert bt.threshold == pytest.approx(0.81)
    assert summ.loc[0, "within_tolerance"] == pytest.approx(1 / 3)
    assert summ.loc[0, "mean_score"] == pytest.approx(0.7)
    assert summ.loc[0, "worst_score"] == pytest.approx(0.5)
    assert summ.loc[1, "within_tolerance"] == 1.0
    assert summ.loc[1, "within_fresh"] == 1.0
    # 2 steps: phase 0 serves 0.9, 0.7, 0.9; phase 1 serves 0.9, 0.9, 0.8: each has
    # one period below 0.81 (and below 0.9 * 0.9 = 0.81, the fresh threshold)
    assert summ.loc[2, "mean_score"] == pytest.approx((2.5 / 3 + 2.6 / 3) / 2)
    assert summ.loc[2, "mean_score_min"] == pytest.approx(2.5 / 3)
    assert summ.loc[2, "worst_score"] == pytest.approx((0.7 + 0.8) / 2)
    assert summ.loc[2, "within_tolerance"] == pytest.approx(2 / 3)
    assert summ.loc[2, "within_fresh"] == pytest.approx(2 / 3)
    assert summ.loc[2, "n_retrains"] == 1.0
    # numeric time: rates per unit of time over the span of 3
    assert "retrains_per_unit" in summ.columns
    assert summ.loc[1, "retrains_per_unit"] == pytest.approx(2 / 3)
    assert bt.rate_column == "retrains_per_unit"
    assert bt.oracle is None
    # without costs the best cadence is the longest within tolerance 90% of the time
    assert bt.best_cadence == "1"


# ----------------------------------------------------------------- zero fits
class CountingRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """LinearRegression that counts every fit (class-wide, clones included)."""

    fits: ClassVar[int] = 0

    def fit(self, X: Any, y: Any) -> CountingRegressor:
        CountingRegressor.fits += 1
        self.model_ = LinearRegression().fit(X, y)
        return self

    def predict(self, X: Any) -> Any:
        return self.model_.predict(X)


def test_the_backtest_fits_no_model() -> None:
    ds = make_drifting_regression(2000, n_features=3, periods=400, random_state=2)
    CountingRegressor.fits = 0
    ev = oot.evaluate_out_of_time(ds.frame, CountingRegressor(), target="y", time="time",
                                  metric="mae", train_window="120D", eval_window="30D",
                                  anchors=9)
    assert CountingRegressor.fits == 9
    bt = backtest_cadences(ev, retrain_cost=1.0, shortfall_cost=1.0)
    backtest_cadences(ev, ["60D", "90D"], baseline="first_window", phases=0)
    assert CountingRegressor.fits == 9
    # yet 8 cadences x their phases were replayed
    assert len(bt.by_phase) == 1 + sum(range(1, 9))


# ----------------------------------------------------------------- rec.backtest()
def test_recommendation_checked_on_its_own_history() -> None:
    ev = make_degradation_scores(n_anchors=16, n_windows=16, slope=-0.0004,
                                 random_state=2).to_evaluation()
    rec = oot.recommend_retrain_interval(ev, tolerance=0.05, reference="fresh",
                                         retrain_cost=1.0, shortfall_cost=5.0,
                                         n_bootstrap=100, random_state=0)
    bt = rec.backtest()
    same = backtest_cadences(ev, tolerance=0.05, baseline=rec.baseline, reference="fresh",
                             retrain_cost=1.0, shortfall_cost=5.0,
                             recommended_interval=rec.interval)
    pd.testing.assert_frame_equal(bt.summary(), same.summary(), check_exact=True)
    assert bt.baseline_mode == "curve"
    assert bt.recommended_steps == math.floor(rec.interval / pd.Timedelta(days=30))
    assert bt.oracle is not None          # the recommendation's costs
    assert rec.backtest(retrain_cost=2.0, shortfall_cost=1.0).retrain_cost == 2.0
    summ = bt.summary()
    name = summ.loc[summ["recommended"], "cadence"].iloc[0]
    assert str(bt).startswith(f"Retraining every {name} (the recommendation")
    assert rec.summary().loc["history", "value"] == bt.recommendation_sentence()
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'cadences' parameter of RetrainRecommendation.backtest must be lengths "
            "that are whole multiples of the anchor step (30 days)")):
        rec.backtest("45D")


def test_no_degradation_recommends_never_retraining() -> None:
    ev = make_degradation_scores(n_anchors=8, n_windows=8, shape="none", period_sd=0,
                                 anchor_sd=0, se=0.002, random_state=0).to_evaluation()
    rec = oot.recommend_retrain_interval(ev, n_bootstrap=50, random_state=0)
    assert rec.status == "no_degradation"
    bt = rec.backtest()
    assert bt.recommended_steps == 0
    assert bt.verdict() == "agrees"
    assert str(bt).startswith("Never retraining (the recommendation, no degradation "
                              "detected) kept ROC AUC within 5% of its baseline")


def test_history_of_a_recommendation_that_cannot_be_backtested() -> None:
    ev = make_degradation_scores(n_anchors=1, random_state=0).to_evaluation()
    rec = oot.recommend_retrain_interval(ev, n_bootstrap=20, random_state=0)
    assert rec.summary().loc["history", "value"] == (
        "Not checked on history: the evaluation has 1 anchor; a backtest needs at least 3 "
        "(e.g. anchors=24).")
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'evaluation' parameter of RetrainRecommendation.backtest must be an "
            "evaluation with at least 3 anchors")):
        rec.backtest()


def test_recommendation_backtest_fits_no_model() -> None:
    ds = make_drifting_regression(3000, n_features=3, periods=400, drift_rate=0.003,
                                  random_state=2)
    CountingRegressor.fits = 0
    rec = oot.recommend_retrain_interval(
        ds.frame, CountingRegressor(), target="y", time="time", metric="mae",
        train_window="120D", eval_window="30D", anchors=9, n_bootstrap=50, random_state=0)
    assert CountingRegressor.fits == 9
    rec.backtest()
    rec.summary()
    assert CountingRegressor.fits == 9


# ----------------------------------------------------------------- structure
def _sim30(**kw: Any) -> OOTEvaluation:
    sim = make_degradation_scores(n_anchors=14, n_windows=14, random_state=0, **kw)
    return sim.to_evaluation()


def _monthly_eval(n_anchors: int = 12, **kw: Any) -> OOTEvaluation:
    ds = make_drifting_regression(3000, n_features=3, periods=800, drift_rate=0.002,
                                  random_state=4)
    params = dict(train_window="120D", eval_window="MS", anchors=n_anchors)
    params.update(kw)
    return oot.evaluate_out_of_time(ds.frame, LinearRegression(), target="y", time="time",
                                    metric="mae", **params)


def test_calendar_cadences_and_labels() -> None:
    ev = _monthly_eval(n_anchors=14)
    bt = backtest_cadences(ev, ["QS", "2MS", pd.DateOffset(months=6), "YS"])
    summ = bt.summary()
    assert summ["cadence"].tolist() == ["1 month", "2 months", "3 months", "6 months",
                                        "1 year", "never"]
    assert summ["steps"].tolist() == [1, 2, 3, 6, 12, 0]
    assert bt.step == "1 month"
    assert bt.rate_column == "retrains_per_year"
    # retrains per year: 13 retrains after the first model over the span in years
    days = bt.periods["length"].sum()
    assert summ.loc[0, "retrains_per_year"] == pytest.approx(13 / (days / 365.25))
    assert (bt.periods["length"].between(28, 31)).all()


def test_anchors_two_windows_apart() -> None:
    # quarterly anchors, monthly windows: a cadence is a multiple of the quarter
    ev = _monthly_eval(n_anchors=5, anchor_step="QS")
    bt = backtest_cadences(ev)
    assert bt.step == "3 months"
    assert bt.summary()["cadence"].tolist() == ["3 months", "6 months", "9 months",
                                                "1 year", "never"]
    r = bt.realized[bt.realized["steps"] == 1]
    # anchor j serves the three months from its first window on
    assert r["anchor"].tolist()[:7] == [1, 1, 1, 2, 2, 2, 3]
    with pytest.raises(InvalidParameterError, match="whole multiples of the anchor step"):
        backtest_cadences(ev, "2MS")


def test_horizon_limits_the_span_to_the_first_anchors_windows() -> None:
    ev = _sim30(shape="linear")     # 14 anchors, each scored on 14 windows
    bt = backtest_cadences(ev)
    assert bt.n_periods == 14
    assert bt.n_anchors_evaluated == 14
    assert bt.n_anchors == 14
    assert bt.realized["period"].max() < ev.scores["window_start"].max()


def test_unusable_period_is_left_out_for_every_schedule() -> None:
    ev = _sim30()
    s = ev.scores.copy()
    bad_start = s.loc[(s["anchor"] == 3) & (s["window"] == 2), "window_start"].iloc[0]
    s.loc[(s["anchor"] == 3) & (s["window"] == 2), ["score", "status"]] = [np.nan,
                                                                             "too_small"]
    bt = backtest_cadences(OOTEvaluation(scores=s, metric=ev.metric,
                                         time_kind=ev.time_kind))
    judged = bt.periods.set_index("period")["judged"]
    assert not judged[bad_start]
    assert judged.sum() == 13
    assert bad_start not in set(bt.realized["period"])
    assert bt.n_periods_excluded == 1


def test_phases_and_every_step_and_never() -> None:
    ev = _sim30()
    bt = backtest_cadences(ev, ["90D"], phases=0)
    assert bt.by_phase["phase"].tolist() == [0, 0, 0]
    bt_all = backtest_cadences(ev, ["90D"])
    assert bt_all.by_phase.loc[bt_all.by_phase["steps"] == 3, "phase"].tolist() == [0, 1, 2]
    r = bt_all.realized
    assert (r.loc[r["steps"] == 0, "anchor"] == 1).all()
    assert (r.loc[r["steps"] == 0, "retrained"].tolist()
            == [True] + [False] * (bt_all.n_periods - 1))
    every = r[r["steps"] == 1]
    fresh = bt_all.periods.loc[bt_all.periods["judged"], "fresh_score"].to_numpy()
    np.testing.assert_array_equal(every["score"].to_numpy(), fresh)
    assert every["retrained"].all()
    assert (bt_all.summary().loc[lambda t: t["steps"] == 1, "within_fresh"] == 1).all()
    # phase 1 of 3 steps retrains at anchors 2, 5, 8, ...
    ph1 = r[(r["steps"] == 3) & (r["phase"] == 1)]
    assert sorted(set(ph1["anchor"])) == [1, 2, 5, 8, 11, 14]


def test_recommended_interval_is_rounded_down_to_whole_steps() -> None:
    ev = _monthly_eval()
    bt = backtest_cadences(ev, recommended_interval=pd.Timedelta(days=128))
    assert bt.recommended_steps == 4            # 128 days: 4 whole months from the start
    summ = bt.summary()
    assert summ.loc[summ["recommended"], "cadence"].tolist() == ["4 months"]
    assert "rounded down to whole months" in bt.recommendation_sentence()
    short = backtest_cadences(ev, ["QS"], recommended_interval=pd.Timedelta(days=10))
    assert short.recommended_steps == 1
    assert "shorter than one step" in str(short)
    long = backtest_cadences(ev, ["QS"], recommended_interval=pd.Timedelta(days=2000))
    assert long.recommended_steps == 11
    assert long.summary()["steps"].tolist() == [1, 3, 11, 0]
    assert backtest_cadences(ev, recommended_interval=None).recommended_steps is None


def test_verdict_on_a_recommendation() -> None:
    sim = make_degradation_scores(n_anchors=24, n_windows=24, slope=-0.0004, anchor_sd=0,
                                  period_sd=0.0, se=0.002, random_state=1)
    ev = sim.to_evaluation()
    # truth: 5% below 0.8 at 100 days; a 2-month cadence stays above, 8 months does not
    ok = backtest_cadences(ev, recommended_interval=pd.Timedelta(days=60))
    assert ok.verdict() == "agrees"
    assert "history agrees with the recommendation" in str(ok)
    more = backtest_cadences(ev, recommended_interval=pd.Timedelta(days=240))
    assert more.verdict() == "retrain_more_often"
    assert "History suggests retraining more often" in str(more)
    tight = backtest_cadences(ev, tolerance=0.001, recommended_interval=pd.Timedelta(
        days=240))
    assert tight.verdict() == "inconclusive"
    assert backtest_cadences(ev).verdict() is None
    never = backtest_cadences(ev, recommended_interval="never")
    assert never.recommended_steps == 0
    assert never.verdict() == "retrain_more_often"
    assert str(never).startswith("Never retraining (the recommendation, no degradation "
                                 "detected) kept ROC AUC within 5% of its baseline")
    assert never.summary().loc[lambda s: s["recommended"], "cadence"].tolist() == ["never"]


def test_lower_is_better_and_absolute_tolerance() -> None:
    sim = make_degradation_scores(n_anchors=10, n_windows=10, baseline=2.0, slope=0.002,
                                  greater_is_better=False, anchor_sd=0, period_sd=0,
                                  se=0.001, random_state=0)
    ev = sim.to_evaluation(metric="rmse")
    bt = backtest_cadences(ev, tolerance=0.1, tolerance_type="absolute", baseline=2.0,
                           retrain_cost=0.5, shortfall_cost=1.0)
    summ = bt.summary().set_index("steps")
    assert bt.threshold == pytest.approx(2.1)
    # worst is the largest loss; never retraining: ages 15..285 days, 2 + 0.002 a
    assert summ.loc[0, "worst_score"] == pytest.approx(2 + 0.002 * 285, abs=0.005)
    assert summ.loc[0, "within_tolerance"] == pytest.approx(0.2)   # ages 15, 45 only
    assert summ.loc[1, "within_tolerance"] == 1.0
    assert bt.oracle is not None
    assert bt.oracle.cost_rate <= summ["cost_rate"].min()


def test_tz_aware_calendar_months() -> None:
    ds = make_drifting_regression(3000, n_features=3, periods=500, random_state=4)
    frame = ds.frame.assign(
        time=ds.frame["time"].dt.tz_localize("UTC").dt.tz_convert("Europe/Paris"))
    ev = oot.evaluate_out_of_time(frame, LinearRegression(), target="y", time="time",
                                  metric="mae", train_window="120D", eval_window="MS",
                                  anchors=10)
    bt = backtest_cadences(ev, ["QS"])
    assert str(bt.realized["period"].dt.tz) == "Europe/Paris"
    assert (bt.realized["period"].dt.day == 1).all()
    assert bt.step == "1 month"
    # months in local time: March and October lose or gain the hour of the clock change
    lengths = bt.periods.set_index(bt.periods["period"].dt.month)["length"]
    assert lengths[10] == pytest.approx(31 + 1 / 24)
    assert lengths[6] == 30


# ----------------------------------------------------------------- serialisation
@pytest.mark.parametrize("variant", ["costs", "plain", "numeric", "tz", "recommended"])
def test_json_round_trip_is_exact(variant: str) -> None:
    kw: dict[str, Any] = {}
    ev = _sim30()
    if variant == "costs":
        kw = dict(retrain_cost=2.0, shortfall_cost=10.0)
    elif variant == "numeric":
        ev = make_degradation_scores(n_anchors=6, n_windows=6, time_kind="numeric",
                                     random_state=0).to_evaluation()
        kw = dict(retrain_cost=0.1, shortfall_cost=1.0)
    elif variant == "tz":
        s = ev.scores.copy()
        for col in ("cutoff", "window_start", "window_end"):
            s[col] = s[col].dt.tz_localize("UTC").dt.tz_convert("US/Eastern")
        ev = OOTEvaluation(scores=s, metric=ev.metric, time_kind="datetime")
        kw = dict(retrain_cost=1.0, shortfall_cost=1.0, reference="fresh")
    elif variant == "recommended":
        kw = dict(recommended_interval=pd.Timedelta(days=95), tolerance=0.01,
                  tolerance_type="absolute")
    bt = backtest_cadences(ev, **kw)
    text = bt.to_json()
    back = CadenceBacktest.from_json(text)
    for name in ("summary_table", "by_phase", "realized", "periods"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(bt, name),
                                      check_exact=True)
    for name in ("time_kind", "step", "n_anchors", "tolerance", "tolerance_type",
                 "baseline", "baseline_mode", "threshold", "reference", "target_share",
                 "retrain_cost", "shortfall_cost", "recommended_steps",
                 "recommended_interval", "recommended_note", "span_start", "span_end",
                 "period_noun", "step_spelling", "periods_per_step",
                 "n_anchors_evaluated", "n_periods_excluded"):
        assert getattr(back, name) == getattr(bt, name), name
    assert back.metric.to_dict() == bt.metric.to_dict()
    assert str(back) == str(bt)
    assert back.to_json() == text
    if bt.oracle is not None:
        assert back.oracle is not None
        pd.testing.assert_frame_equal(back.oracle.realized, bt.oracle.realized,
                                      check_exact=True)
        assert back.oracle.to_dict() == bt.oracle.to_dict()
        assert back.oracle.schedule == bt.oracle.schedule
    else:
        assert back.oracle is None


def test_from_json_rejects_other_documents() -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'text' parameter of CadenceBacktest.from_json must be a document written "
            "by CadenceBacktest.to_json (schema 'oot.CadenceBacktest/1'). Got schema "
            "'oot.OOTEvaluation/1' instead.")):
        CadenceBacktest.from_json(_sim30().to_json())
    with pytest.raises(InvalidParameterError, match="could not be parsed"):
        CadenceBacktest.from_json("{not json")


def test_text_and_html() -> None:
    ev = _sim30()
    bt = backtest_cadences(ev, tolerance=0.05, retrain_cost=1.0, shortfall_cost=1.0)
    text = str(bt)
    assert text.startswith("Over 14 30-day periods of history the cheapest fixed cadence "
                           "was every ")
    assert "The best schedule in hindsight retrained" in text
    plain = backtest_cadences(ev, tolerance=0.05)
    assert "the longest cadence that kept ROC AUC within 5% of its baseline" in str(plain)
    html = bt._repr_html_()
    assert html.startswith("<div class='oot-backtest'>")
    assert "<table" in html
    assert "cost_rate" in html
    assert repr(bt) == ("CadenceBacktest(metric='roc_auc', step='30 days', cadences=13, "
                       "periods=14, oracle=True)")


# ----------------------------------------------------------------- bad input
def _msg(text: str) -> str:
    return re.escape(text)


def test_bad_cadence_lists_the_possible_ones() -> None:
    ev = _monthly_eval()
    with pytest.raises(InvalidParameterError, match=_msg(
            "The 'cadences' parameter of backtest_cadences must be lengths that are whole "
            "multiples of the anchor step (1 month), from 1 to 11 steps. Got '45D' "
            "instead. Possible cadences: 'MS' (1 month), '2MS' (2 months), '3MS' "
            "(3 months), '4MS' (4 months), ..., '11MS' (11 months).")):
        backtest_cadences(ev, ["QS", "45D"])
    with pytest.raises(InvalidParameterError, match=_msg(
            "Got '2YS' instead. Possible cadences: 'MS' (1 month), '2MS' (2 months), "
            "'3MS' (3 months), '4MS' (4 months), ..., '11MS' (11 months). 24 steps is "
            "longer than the 12 anchors allow: it would never retrain within the data.")):
        backtest_cadences(ev, "2YS")
    fixed = _sim30()
    with pytest.raises(InvalidParameterError, match=_msg(
            "The 'cadences' parameter of backtest_cadences must be lengths that are whole "
            "multiples of the anchor step (30 days), from 1 to 13 steps. Got 'MS' "
            "instead. Possible cadences: '30D' (30 days), '60D' (60 days), '90D' "
            "(90 days), '120D' (120 days), ..., '390D' (390 days).")):
        backtest_cadences(fixed, "MS")
    with pytest.raises(InvalidParameterError, match=_msg(
            "The 'cadences' parameter of backtest_cadences must be a Timedelta or pandas "
            "offset > 0 for datetime time, like '30D', '2W', 'MS' (calendar months) or "
            "'QS'. Got 3 instead. Write the unit, e.g. cadences='3D' for 3 days.")):
        backtest_cadences(fixed, [3])
    with pytest.raises(InvalidParameterError, match=_msg(
            "The 'cadences' parameter of backtest_cadences must be a length, a non-empty "
            "list of lengths, or None. Got [] instead.")):
        backtest_cadences(fixed, [])


def test_anchors_off_the_grid() -> None:
    ds = make_drifting_regression(2000, n_features=3, periods=500, random_state=0)
    ev = oot.evaluate_out_of_time(ds.frame, LinearRegression(), target="y", time="time",
                                  metric="mae", train_window="120D", eval_window="30D",
                                  anchors=4, anchor_step="45D")
    with pytest.raises(InvalidParameterError, match=_msg(
            "The 'evaluation' parameter of backtest_cadences must be an evaluation whose "
            "anchors are a whole number of evaluation windows apart, so that every anchor "
            "is scored on the same calendar periods. Got windows starting at 2020-04-30 "
            "02:16:48, 2020-05-30 02:16:48, 2020-06-14 02:16:48, ")) as info:
        backtest_cadences(ev)
    assert str(info.value).endswith(
        "instead. Their starts are not evenly spaced: anchors that are not a whole number "
        "of windows apart give overlapping windows. Evaluate with anchor_step=None "
        "(anchors one eval_window apart, the default) or a multiple of eval_window.")
    # anchors whose first windows are 0, 1 and 3 periods in
    spec = _hand_evaluation().scores
    rows = spec[spec["anchor"] != 3].copy()
    extra = rows[rows["anchor"] == 1].copy()
    extra["window_start"] += 3
    extra["window_end"] += 3
    extra["anchor"] = 3
    frame = pd.concat([rows, extra[extra["window"] == 1]])
    frame = pd.concat([frame, pd.DataFrame([
        {**frame.iloc[0].to_dict(), "window_start": w, "window_end": w + 1, "anchor": a}
        for a, w in ((1, 3.0), (2, 3.0))])])
    ev2 = OOTEvaluation.from_frame(frame[["anchor", "window_start", "window_end", "age",
                                          "score", "se", "n"]], metric="roc_auc")
    with pytest.raises(InvalidParameterError, match=_msg(
            "Got anchors first scored on the first period, 1 period after the first, 3 "
            "periods after the first instead. Anchors must start one after the other, a "
            "whole number of windows apart.")):
        backtest_cadences(ev2, baseline=0.9)


def test_too_few_anchors_and_no_window_starts() -> None:
    ev = _monthly_eval(n_anchors=2)
    with pytest.raises(InvalidParameterError, match=_msg(
            "The 'evaluation' parameter of backtest_cadences must be an evaluation with at "
            "least 3 anchors (a backtest compares retraining at different cutoffs). Got "
            "2 anchors instead. Ask for more when you evaluate, e.g. anchors=24 with "
            "the default anchor_step (one eval_window apart).")):
        backtest_cadences(ev)
    frame = pd.DataFrame({"anchor": np.repeat([1, 2, 3], 3), "age": np.tile([1.0, 2, 3], 3),
                          "score": 0.8})
    with pytest.raises(InvalidParameterError, match=_msg(
            "The 'evaluation' parameter of backtest_cadences must be an evaluation whose "
            "scores have a window_start (the calendar period each window covers). Got "
            "9 of 9 windows without one instead. Evaluate with oot.evaluate_out_of_time "
            "or oot.evaluate_predictions, or add window_start (and window_end) columns to "
            "the frame given to OOTEvaluation.from_frame.")):
        backtest_cadences(OOTEvaluation.from_frame(frame, metric="roc_auc"))
    with pytest.raises(InvalidParameterError, match=_msg(
            "The 'evaluation' parameter of backtest_cadences must be an OOTEvaluation. Got "
            "DataFrame instead. Build one with oot.evaluate_out_of_time or "
            "OOTEvaluation.from_frame.")):
        backtest_cadences(frame)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(retrain_cost=1.0),
     "The 'shortfall_cost' parameter of backtest_cadences must be given together with "
     "retrain_cost. Got None instead. The cost rate needs both costs; pass both or "
     "neither."),
    (dict(shortfall_cost=1.0),
     "The 'retrain_cost' parameter of backtest_cadences must be given together with "
     "shortfall_cost. Got None instead. The cost rate needs both costs; pass both or "
     "neither."),
    (dict(retrain_cost=-1.0, shortfall_cost=1.0),
     "The 'retrain_cost' parameter of backtest_cadences must be a float in the range "
     "[0, inf). Got -1.0 instead. Costs are amounts to pay, so they cannot be negative."),
    (dict(retrain_cost=1.0, shortfall_cost=-0.5),
     "The 'shortfall_cost' parameter of backtest_cadences must be a float in the range "
     "[0, inf). Got -0.5 instead. Costs are amounts to pay, so they cannot be negative."),
    (dict(retrain_cost="1", shortfall_cost=1.0),
     "The 'retrain_cost' parameter of backtest_cadences must be a float in the range "
     "[0, inf). Got '1' instead."),
    (dict(tolerance=5),
     "The 'tolerance' parameter of backtest_cadences must be a float in the range (0, 1) "
     "for tolerance_type='relative'. Got 5 instead. Write 5% as tolerance=0.05."),
    (dict(tolerance_type="percent"),
     "The 'tolerance_type' parameter of backtest_cadences must be one of {'relative', "
     "'absolute'}. Got 'percent' instead."),
    (dict(baseline="fresh"),
     "The 'baseline' parameter of backtest_cadences must be one of {'curve', "
     "'first_window'}. Got 'fresh' instead."),
    (dict(reference="curve"),
     "The 'reference' parameter of backtest_cadences must be one of {'baseline', "
     "'fresh'}. Got 'curve' instead."),
    (dict(phases="some"),
     "The 'phases' parameter of backtest_cadences must be 'all' or an int >= 0. Got "
     "'some' instead."),
    (dict(phases=-1),
     "The 'phases' parameter of backtest_cadences must be 'all' or an int >= 0. Got -1 "
     "instead."),
    (dict(target_share=90),
     "The 'target_share' parameter of backtest_cadences must be a float in the range "
     "(0, 1]. Got 90 instead. Write 90% as target_share=0.9."),
    (dict(curve="cubic"),
     "The 'curve' parameter of backtest_cadences must be one of {'auto', 'linear', "
     "'quadratic', 'exponential', 'power', 'logarithmic', 'hinge', 'explosive', "
     "'logistic', 'isotonic'}. Got 'cubic' instead."),
    (dict(recommended_interval=30),
     "The 'recommended_interval' parameter of backtest_cadences must be a Timedelta >= 0 "
     "(an age, like rec.interval) or None. Got 30 instead."),
    (dict(baseline=0.0),
     "The 'baseline' parameter of backtest_cadences must be non-zero for "
     "tolerance_type='relative'. Got 0.0 instead. Use tolerance_type='absolute' for a "
     "metric whose baseline is 0."),
])
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    ev = _sim30()
    with pytest.raises(InvalidParameterError, match=_msg(message)):
        backtest_cadences(ev, **kwargs)


def test_input_evaluation_is_not_modified() -> None:
    ev = _sim30()
    before = ev.scores.copy()
    backtest_cadences(ev, retrain_cost=1.0, shortfall_cost=1.0)
    pd.testing.assert_frame_equal(ev.scores, before, check_exact=True)
