"""Tests of recommend_retrain_interval and the cost-optimal cadence."""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression

import oot
import oot._format as fmt
from oot import (
    ExtrapolationWarning,
    InvalidParameterError,
    NotEnoughWindowsError,
    OOTEvaluation,
    RetrainRecommendation,
    RoundingWarning,
    recommend_retrain_interval,
)
from oot.datasets import make_degradation_scores, make_drifting_regression
from oot.recommend import cost_optimal_interval


def linear_evaluation(slope: float, level: float, metric: str, n_anchors: int = 3,
                      n_windows: int = 12, noise: float = 0.002, seed: int = 0,
                      ) -> OOTEvaluation:
    """Scores on a straight line in age plus small noise, anchors one month apart."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2024-01-01")
    for a in range(n_anchors):
        cutoff = start + pd.Timedelta(days=30 * a)
        for k in range(n_windows):
            ws = cutoff + pd.Timedelta(days=30 * k)
            age = 30 * k + 15
            rows.append({"anchor": a + 1, "cutoff": cutoff, "window": k + 1,
                         "window_start": ws, "window_end": ws + pd.Timedelta(days=30),
                         "age": pd.Timedelta(days=age),
                         "score": level + slope * age + rng.normal(scale=noise),
                         "se": noise, "n": 1000})
    return OOTEvaluation.from_frame(pd.DataFrame(rows), metric=metric)


# ------------------------------------------------------------ cost closed forms
def test_cost_optimum_linear_shortfall_closed_form() -> None:
    opt = cost_optimal_interval(lambda a: 1.0 * a, retrain_cost=2.0, shortfall_cost=1.0,
                                max_age=100.0)
    assert opt.interval == pytest.approx(2.0, rel=1e-6)       # sqrt(2 C / (c b))
    assert opt.cost_rate == pytest.approx(2.0, rel=1e-6)      # C/T + c b T / 2


@pytest.mark.parametrize(("C", "c", "b"), [(2.0, 1.0, 1.0), (5.0, 0.5, 0.01), (1.0, 3.0, 2.0)])
def test_cost_optimum_linear_general(C: float, c: float, b: float) -> None:
    T = math.sqrt(2 * C / (c * b))
    opt = cost_optimal_interval(lambda a: b * a, retrain_cost=C, shortfall_cost=c,
                                max_age=50 * T)
    assert opt.interval == pytest.approx(T, rel=1e-6)


def test_cost_optimum_power_shortfall_closed_form() -> None:
    opt = cost_optimal_interval(lambda a: 1.0 * a**2, retrain_cost=2.0, shortfall_cost=1.0,
                                max_age=100.0)
    # T* = (C (beta + 1) / (c b beta))^(1 / (beta + 1)) = 3^(1/3)
    assert opt.interval == pytest.approx(3 ** (1 / 3), rel=1e-6)
    assert opt.interval == pytest.approx(1.442, abs=1e-3)


def test_cost_optimum_saturating_shortfall() -> None:
    L, tau = 0.1, 20.0

    def s(a: np.ndarray) -> np.ndarray:
        return L * (1 - np.exp(-np.asarray(a) / tau))

    # C >= L * tau * c: no finite optimum, and the result says so
    none = cost_optimal_interval(s, retrain_cost=2.5, shortfall_cost=1.0, max_age=1e5)
    assert none.interval is None
    assert "no finite optimum" in none.message
    # C < L * tau: the optimum solves T s(T) - int_0^T s = C / c
    opt = cost_optimal_interval(s, retrain_cost=1.0, shortfall_cost=1.0, max_age=1e4)
    T = opt.interval
    assert T is not None
    integral = L * (T - tau * (1 - math.exp(-T / tau)))
    assert T * float(s(np.array([T]))[0]) - integral == pytest.approx(1.0, rel=1e-5)


def test_recommendation_cost_optimum_on_a_linear_curve() -> None:
    ev = linear_evaluation(slope=-0.001, level=0.9, metric="roc_auc", noise=1e-5)
    rec = recommend_retrain_interval(ev, tolerance=0.2, retrain_cost=0.05,
                                     shortfall_cost=1.0, n_bootstrap=50, random_state=0)
    b = -rec.curve.params.get("b", rec.curve.params.get("slope", -0.001))
    expected = math.sqrt(2 * 0.05 / (1.0 * abs(b)))  # 10 days
    assert rec.cost_optimal_interval / pd.Timedelta("1D") == pytest.approx(expected, rel=1e-3)
    assert "Cost-optimal cadence" in str(rec)


# ------------------------------------------------------------------ directions
def test_higher_is_better_falls_to_threshold() -> None:
    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc")
    rec = recommend_retrain_interval(ev, tolerance=0.05, curve="linear", n_bootstrap=200,
                                     random_state=0)
    assert rec.status == "crossed"
    assert rec.threshold == pytest.approx(rec.baseline * 0.95)
    # 0.9 * 0.05 / 0.0005 = 90 days
    assert rec.interval / pd.Timedelta("1D") == pytest.approx(90, rel=0.05)
    lo, hi = rec.interval_ci
    assert lo <= rec.interval <= hi
    assert rec.safe_interval == lo
    assert str(rec).startswith("Retrain every ")
    assert "falls 5% below its baseline" in str(rec)


def test_lower_is_better_rises_to_threshold() -> None:
    ev = linear_evaluation(slope=0.002, level=2.0, metric="rmse")
    rec = recommend_retrain_interval(ev, tolerance=0.05, curve="linear", n_bootstrap=200,
                                     random_state=0)
    assert rec.status == "crossed"
    assert rec.threshold == pytest.approx(rec.baseline * 1.05)
    assert rec.interval / pd.Timedelta("1D") == pytest.approx(50, rel=0.05)
    assert "rises 5% above its baseline" in str(rec)


def test_absolute_tolerance() -> None:
    ev = linear_evaluation(slope=0.002, level=2.0, metric="rmse")
    rec = recommend_retrain_interval(ev, tolerance=0.2, tolerance_type="absolute",
                                     curve="linear", n_bootstrap=100, random_state=0)
    assert rec.threshold == pytest.approx(rec.baseline + 0.2)
    assert rec.interval / pd.Timedelta("1D") == pytest.approx(100, rel=0.05)


def test_flat_scores_give_no_degradation() -> None:
    ev = make_degradation_scores(shape="none", n_anchors=6, n_windows=12,
                                 random_state=1).to_evaluation()
    rec = recommend_retrain_interval(ev, tolerance=0.05, n_bootstrap=200, random_state=0)
    assert rec.status == "no_degradation"
    assert rec.interval is None
    assert str(rec).startswith("No degradation detected")


def test_not_reached_and_extrapolation_on_request() -> None:
    ev = linear_evaluation(slope=-0.0001, level=0.9, metric="roc_auc", noise=0.0005)
    rec = recommend_retrain_interval(ev, tolerance=0.2, curve="linear", n_bootstrap=100,
                                     random_state=0)
    assert rec.status == "not_reached"
    assert rec.interval == rec.max_age
    assert rec.extrapolated_interval is None
    assert str(rec).startswith("Retrain at least every")
    with pytest.warns(ExtrapolationWarning):
        rec = recommend_retrain_interval(ev, tolerance=0.2, curve="linear", n_bootstrap=100,
                                         random_state=0, extrapolate=True)
    # 0.9 * 0.2 / 0.0001 = 1800 days, beyond the oldest age (~345 days)
    assert rec.extrapolated_interval / pd.Timedelta("1D") == pytest.approx(1800, rel=0.1)


def test_round_to_floors_to_whole_units() -> None:
    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc")
    rec = recommend_retrain_interval(ev, tolerance=0.05, curve="linear", round_to="W",
                                     n_bootstrap=100, random_state=0)
    days = rec.interval / pd.Timedelta("1D")
    assert days % 7 == 0
    raw = recommend_retrain_interval(ev, tolerance=0.05, curve="linear", n_bootstrap=100,
                                     random_state=0)
    assert 0 <= (raw.interval - rec.interval) / pd.Timedelta("1D") < 7



def _ends(rec: RetrainRecommendation) -> list[Any]:
    return [rec.interval, *rec.interval_ci, rec.cost_optimal_interval]


def test_round_to_floors_every_end_alike() -> None:
    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc")
    kw: dict[str, Any] = dict(tolerance=0.05, curve="linear", n_bootstrap=100,
                              random_state=0, retrain_cost=5.0, shortfall_cost=1.0)
    raw = recommend_retrain_interval(ev, **kw)
    week = pd.Timedelta("7D")
    rec = recommend_retrain_interval(ev, round_to="W", **kw)
    assert rec.round_to == "W"
    for got, exact in zip(_ends(rec), _ends(raw), strict=True):
        assert exact > week  # every end is at least a week: each is floored
        assert got == week * math.floor(exact / week)


def test_round_to_longer_than_an_end_rounds_none_and_says_so() -> None:
    # the case: with round_to="W" a CI end under a week stayed unrounded while
    # the others were floored; floored to 0 it would be no interval at all
    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc")
    kw: dict[str, Any] = dict(tolerance=0.05, curve="linear", n_bootstrap=100,
                              random_state=0)
    raw = recommend_retrain_interval(ev, **kw)
    low_days = raw.interval_ci.low / pd.Timedelta("1D")
    unit = f"{math.floor(low_days) + 1}D"  # just longer than the CI's lower end
    assert pd.Timedelta(unit) < raw.interval
    with pytest.warns(RoundingWarning, match=re.escape(
            f"round_to={unit!r} is longer than the CI's lower end (")) as caught:
        rec = recommend_retrain_interval(ev, round_to=unit, **kw)
    assert "no age is rounded (the result's round_to is None)" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert rec.round_to is None
    assert _ends(rec) == _ends(raw)
    assert rec.to_json() == raw.to_json()
    assert "rounded down" not in " ".join(i.text for i in fmt.method(rec))


@settings(max_examples=15, deadline=None)
@given(tols=st.lists(st.floats(0.01, 0.3), min_size=2, max_size=4, unique=True))
def test_larger_tolerance_never_gives_a_shorter_interval(tols: list[float]) -> None:
    ev = linear_evaluation(slope=-0.0008, level=0.9, metric="roc_auc", noise=0.004)
    out = []
    for tol in sorted(tols):
        rec = recommend_retrain_interval(ev, tolerance=tol, curve="auto", n_bootstrap=20,
                                         random_state=0)
        out.append(rec.interval if rec.status != "no_degradation" else pd.Timedelta.max)
    assert all(a <= b for a, b in itertools.pairwise(out))


def test_random_state_makes_the_ci_reproducible() -> None:
    ev = make_degradation_scores(shape="linear", random_state=3).to_evaluation()
    a = recommend_retrain_interval(ev, n_bootstrap=200, random_state=5)
    b = recommend_retrain_interval(ev, n_bootstrap=200, random_state=5)
    assert a.interval_ci == b.interval_ci


def test_json_round_trip_is_exact() -> None:
    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc")
    rec = recommend_retrain_interval(ev, tolerance=0.05, n_bootstrap=100, random_state=0,
                                     retrain_cost=0.05, shortfall_cost=1.0)
    text = rec.to_json()
    back = RetrainRecommendation.from_json(text)
    assert back.to_json() == text
    assert back.interval == rec.interval
    assert back.interval_ci == rec.interval_ci
    assert str(back) == str(rec)
    pd.testing.assert_frame_equal(back.evaluation.scores, rec.evaluation.scores)
    np.testing.assert_allclose(back.curve.predict(np.array([10.0, 100.0])),
                               rec.curve.predict(np.array([10.0, 100.0])))


def test_the_ci_is_a_confidence_interval_and_safe_interval_is_derived() -> None:
    """interval_ci has the one CI shape of every result; safe_interval is its lower end,
    None when nothing degrades, and cannot disagree with it."""
    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc")
    rec = recommend_retrain_interval(ev, n_bootstrap=100, random_state=0)
    assert isinstance(rec.interval_ci, oot.ConfidenceInterval)
    assert rec.interval_ci == (rec.interval_ci.low, rec.interval_ci.high)
    assert rec.safe_interval == rec.interval_ci.low
    flat = recommend_retrain_interval(linear_evaluation(slope=0.0, level=0.9,
                                                        metric="roc_auc"),
                                      n_bootstrap=100, random_state=0)
    assert flat.status == "no_degradation"
    assert flat.safe_interval is None
    # a plain pair given to the constructor is stored as a ConfidenceInterval
    fields = {f: getattr(rec, f) for f in rec.__dataclass_fields__}
    pair = RetrainRecommendation(**dict(fields, interval_ci=(rec.interval_ci.low, None)))
    assert isinstance(pair.interval_ci, oot.ConfidenceInterval)
    assert pair.safe_interval == rec.interval_ci.low
    assert pair.interval_ci.high is None
    with pytest.raises(AttributeError):
        rec.safe_interval = None  # type: ignore[misc]


def test_json_writes_safe_interval_and_reads_documents_with_or_without_it() -> None:
    """The document keeps safe_interval for its readers (the report, other tools), but
    from_json derives it: an older document and one without the field both load."""
    import json

    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc")
    rec = recommend_retrain_interval(ev, n_bootstrap=100, random_state=0)
    doc = json.loads(rec.to_json())
    lo, hi = rec.interval_ci
    # the same document as when interval_ci was a plain tuple
    assert doc["interval_ci"] == {"__tuple__": [{"__timedelta__": lo.value},
                                                {"__timedelta__": hi.value}]}
    assert doc["safe_interval"] == {"__timedelta__": lo.value}
    del doc["safe_interval"]
    back = RetrainRecommendation.from_json(json.dumps(doc))
    assert back.safe_interval == rec.safe_interval
    assert back.to_json() == rec.to_json()
    assert isinstance(back.interval_ci, oot.ConfidenceInterval)


def test_corrupted_json_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'text' parameter of RetrainRecommendation.from_json must be a JSON document "
            "written by RetrainRecommendation.to_json. It could not be parsed")):
        RetrainRecommendation.from_json('{"status": "crossed", ')
    with pytest.raises(InvalidParameterError, match="schema"):
        RetrainRecommendation.from_json('{"status": "crossed"}')


def test_summary_and_html() -> None:
    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc")
    rec = recommend_retrain_interval(ev, n_bootstrap=50, random_state=0)
    summ = rec.summary()
    assert summ.loc["status", "value"] == rec.status
    assert "<table" in rec._repr_html_()
    assert html_escape(str(rec)) in rec._repr_html_()


def html_escape(s: str) -> str:
    import html

    return html.escape(s)


# ----------------------------------------------------------- ground-truth recovery
def test_recovers_the_true_crossing_age_of_a_drifting_regression() -> None:
    ds = make_drifting_regression(n_samples=200_000, drift_rate=0.003, random_state=1)
    rec = recommend_retrain_interval(
        ds.frame, LinearRegression(), target=ds.target, time=ds.time, metric="mse",
        train_window="90D", eval_window="30D", anchors=6, tolerance=0.10, n_bootstrap=300,
        random_state=0)
    truth = ds.true_crossing_age(0.10, metric="mse", train_window="90D", eval_window="30D")
    assert rec.status == "crossed"
    assert abs(rec.interval - truth) / truth < 0.15
    lo, hi = rec.interval_ci
    assert lo <= truth <= hi


def test_fresh_reference_runs_on_calendar_windows() -> None:
    ev = make_degradation_scores(shape="linear", random_state=0).to_evaluation()
    rec = recommend_retrain_interval(ev, reference="fresh", n_bootstrap=100, random_state=0)
    assert rec.curve.reference == "fresh"
    assert rec.status in {"crossed", "not_reached", "no_degradation"}


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tolerance": 1.5},
     "The 'tolerance' parameter of recommend_retrain_interval must be a float in the range "
     "(0, 1) for tolerance_type='relative'. Got 1.5 instead."),
    ({"tolerance": 5},
     "The 'tolerance' parameter of recommend_retrain_interval must be a float in the range "
     "(0, 1) for tolerance_type='relative'. Got 5 instead. Write 5% as tolerance=0.05."),
    ({"tolerance": -0.1, "tolerance_type": "absolute"},
     "The 'tolerance' parameter of recommend_retrain_interval must be a float in the range "
     "(0, inf) for tolerance_type='absolute' (in metric units). Got -0.1 instead."),
    ({"tolerance_type": "percent"},
     "The 'tolerance_type' parameter of recommend_retrain_interval must be one of "
     "{'relative', 'absolute'}. Got 'percent' instead."),
    ({"confidence_level": 90},
     "The 'confidence_level' parameter of recommend_retrain_interval must be a float in the "
     "range (0, 1). Got 90 instead. Write 90% as confidence_level=0.9."),
    ({"confidence_level": 0.0},
     "The 'confidence_level' parameter of recommend_retrain_interval must be a float in the "
     "range (0, 1). Got 0.0 instead."),
    ({"n_bootstrap": 0},
     "The 'n_bootstrap' parameter of recommend_retrain_interval must be an int in the range "
     "[1, inf). Got 0 instead."),
    ({"retrain_cost": 10.0},
     "The 'shortfall_cost' parameter of recommend_retrain_interval must be given together "
     "with retrain_cost. Got None instead. The cost-optimal cadence needs both costs; pass "
     "both or neither."),
    ({"shortfall_cost": 1.0},
     "The 'retrain_cost' parameter of recommend_retrain_interval must be given together with "
     "shortfall_cost. Got None instead."),
    ({"curve": "cubic"},
     "The 'curve' parameter of recommend_retrain_interval must be one of {'auto', 'linear', "
     "'quadratic', 'exponential', 'power', 'logarithmic', 'hinge', 'explosive', "
     "'logistic', 'isotonic'}. Got 'cubic' instead."),
    ({"baseline": "first"},
     "The 'baseline' parameter of recommend_retrain_interval must be one of {'curve', "
     "'first_window'}. Got 'first' instead."),
    ({"reference": "new"},
     "The 'reference' parameter of recommend_retrain_interval must be one of {'baseline', "
     "'fresh'}. Got 'new' instead."),
    ({"round_to": "MS"},
     "The 'round_to' parameter of recommend_retrain_interval must be a fixed length like "
     "'D', 'W' or '7D'. Got 'MS' instead."),
    ({"target": "y"},
     "recommend_retrain_interval was given an OOTEvaluation and also target, which are used "
     "only to run an evaluation on a DataFrame."),
])
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc")
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        recommend_retrain_interval(ev, **kwargs)  # type: ignore[arg-type]


def test_dataframe_needs_an_estimator() -> None:
    df = make_drifting_regression(n_samples=500, random_state=0).frame
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'estimator' parameter of recommend_retrain_interval must be a scikit-learn "
            "estimator when data is a DataFrame. Got None instead.")):
        recommend_retrain_interval(df, target="y", time="time")


def test_too_few_windows() -> None:
    ev = linear_evaluation(slope=-0.0005, level=0.9, metric="roc_auc", n_anchors=1,
                           n_windows=2)
    with pytest.raises(NotEnoughWindowsError, match="2 usable"):
        recommend_retrain_interval(ev, n_bootstrap=20)


def test_public_namespace() -> None:
    for name in oot.__all__:
        assert hasattr(oot, name), name
