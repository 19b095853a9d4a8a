"""Edge cases that must work: odd but legitimate data, through the evaluation and, where it
makes sense, the whole ``recommend_retrain_interval`` path."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits

from oot import (
    EstimatorFitError,
    OOTEvaluation,
    RetrainRecommendation,
    WindowWarning,
    evaluate_out_of_time,
    recommend_retrain_interval,
)

from ._helpers import assert_same_intervals
from .conftest import drifting_frame

STATUSES = {"crossed", "not_reached", "no_degradation"}
# a drifting regression whose MSE crosses +10% within a year
REC = dict(metric="mse", train_window="90D", eval_window="30D", anchors=3, tolerance=0.10,
           n_bootstrap=50, random_state=0)


def drifting(**kw: Any) -> pd.DataFrame:
    return drifting_frame(seed=0, n=4000, **kw)


BASE = drifting()


def check_recommendation(rec: RetrainRecommendation) -> None:
    assert rec.status in STATUSES
    if rec.status != "no_degradation":
        interval = rec.interval
        assert interval is not None
        zero: Any = pd.Timedelta(0) if isinstance(interval, pd.Timedelta) else 0.0
        assert interval > zero
    assert np.isfinite(rec.baseline)
    assert np.isfinite(rec.threshold)
    assert RetrainRecommendation.from_json(rec.to_json()).to_json() == rec.to_json()


def rec_of(df: pd.DataFrame, est: Any = None, **kw: Any) -> RetrainRecommendation:
    args: dict[str, Any] = dict(REC, target="y", time="time")
    args.update(kw)
    return recommend_retrain_interval(df, LinearRegression() if est is None else est, **args)


# ---------------------------------------------------------------- row layout
def test_unsorted_rows_give_the_sorted_result() -> None:
    shuffled = BASE.sample(frac=1.0, random_state=3)
    sorted_ = BASE.sort_values("time", kind="stable")
    a, b = rec_of(shuffled), rec_of(sorted_)
    check_recommendation(a)
    assert a.status == "crossed"
    pd.testing.assert_frame_equal(a.evaluation.scores, b.evaluation.scores, rtol=1e-9)
    # rows with equal stamps are summed in another order: scores agree to 1e-9
    assert_same_intervals(a, b)


def test_repeated_timestamps_fall_in_one_window() -> None:
    df = BASE.copy()
    df["time"] = df["time"].dt.floor("D")  # ~11 rows per day share a stamp
    rec = rec_of(df)
    check_recommendation(rec)
    sc = rec.evaluation.scores
    # every row of a day is in exactly one window of each anchor
    for _, g in sc.groupby("anchor"):
        assert g["n"].sum() == int(((df["time"] >= g["window_start"].min())
                                    & (df["time"] < g["window_end"].max())).sum())


def test_tz_aware_times_keep_their_zone() -> None:
    df = BASE.copy()
    df["time"] = df["time"].dt.tz_localize("UTC").dt.tz_convert("America/Chicago")
    rec = rec_of(df)
    check_recommendation(rec)
    assert str(rec.evaluation.scores["cutoff"].dt.tz) == "America/Chicago"
    naive = rec_of(BASE)
    np.testing.assert_allclose(rec.evaluation.scores["score"], naive.evaluation.scores["score"],
                               rtol=1e-12)


def test_integer_time() -> None:
    df = drifting(time_kind="numeric")
    df["time"] = np.floor(df["time"]).astype("int64")
    rec = rec_of(df, train_window=90, eval_window=30)
    check_recommendation(rec)
    assert isinstance(rec.interval, float)
    assert rec.evaluation.scores["age"].dtype == float


def test_gaps_in_the_data_give_empty_windows_not_a_crash() -> None:
    hole = (BASE["time"] >= "2020-07-01") & (BASE["time"] < "2020-09-15")
    df = BASE[~hole]
    with pytest.warns(WindowWarning, match=re.escape("empty (no rows)")):
        rec = rec_of(df, anchors=2)
    sc = rec.evaluation.scores
    empty = sc[sc["status"] == "empty"]
    assert len(empty) >= 2
    assert (empty["n"] == 0).all()
    assert empty["score"].isna().all()
    check_recommendation(rec)


# ------------------------------------------------------------ metric corners
def _binary_frame(n: int = 3000, days: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, days * 24, n), unit="h")
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * x))).astype(int)
    return pd.DataFrame({"ts": ts, "x": x, "y": y})


def test_one_class_windows_for_roc_auc() -> None:
    df = _binary_frame()
    late = df["ts"] >= "2023-06-01"
    df.loc[late, "y"] = 1  # after June, positives only
    with pytest.warns(WindowWarning, match=re.escape("one class only")):
        ev = evaluate_out_of_time(df, LogisticRegression(), target="y", time="ts",
                                  train_window="60D", eval_window="30D", anchors=2)
    sc = ev.scores
    one = sc[sc["status"] == "one_class"]
    assert len(one) > 0
    assert one["score"].isna().all()
    assert (one["n_neg"] == 0).all()
    assert (sc.loc[sc["status"] == "ok", "score"].between(0, 1)).all()


def test_constant_predictions() -> None:
    df = _binary_frame()
    ev = evaluate_out_of_time(df, DummyClassifier(strategy="prior"), target="y", time="ts",
                              train_window="60D", eval_window="30D", anchors=2)
    ok = ev.scores[ev.scores["status"] == "ok"]
    np.testing.assert_allclose(ok["score"], 0.5)  # all ties: AUC one half
    assert np.isfinite(ok["se"]).all()
    rec = rec_of(BASE, DummyRegressor(), metric="mae")
    check_recommendation(rec)


def test_string_and_categorical_features_through_a_pipeline() -> None:
    df = BASE.copy()
    df["city"] = np.where(df["x0"] > 0, "north", "south")
    df["segment"] = pd.Categorical(np.where(df["x1"] > 0.5, "a", "b"))
    est = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city", "segment"]),
                                remainder="passthrough"),
        LinearRegression())
    rec = rec_of(df, est)
    check_recommendation(rec)
    assert rec.evaluation.params["features"][-2:] == ["city", "segment"]


def test_nan_features_with_an_estimator_that_accepts_them() -> None:
    df = BASE.copy()
    df.loc[df.sample(frac=0.1, random_state=0).index, "x2"] = np.nan
    est = HistGradientBoostingRegressor(max_iter=20, max_leaf_nodes=8, early_stopping=False)
    with threadpool_limits(1):  # OpenMP spin-waits badly on a busy 2-core machine
        rec = rec_of(df, est, anchors=2)
    check_recommendation(rec)
    assert (rec.evaluation.scores["status"] == "ok").all()


def test_tolerance_never_reached() -> None:
    slow = drifting(drift_rate=0.0025)  # MSE rises clearly, but far less than 90%
    rec = rec_of(slow, tolerance=0.9)
    assert rec.status == "not_reached"
    assert rec.interval == rec.max_age
    assert rec.extrapolated_interval is None
    check_recommendation(rec)


# ----------------------------------------------------------- anchor failures
class FailsOnShortData(LinearRegression):
    """Fits only when given more than ``min_rows`` rows."""

    def __init__(self, min_rows: int = 0) -> None:
        self.min_rows = min_rows
        super().__init__()

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FailsOnShortData:
        if len(X) <= self.min_rows:
            raise ValueError(f"only {len(X)} rows")
        return super().fit(X, y, sample_weight)


def _with_a_thin_anchor() -> tuple[pd.DataFrame, int]:
    """BASE with anchor 2's training window thinned out, and a row count between."""
    df = BASE.sort_values("time", kind="stable")
    ev = evaluate_out_of_time(df, LinearRegression(), target="y", time="time",
                              metric="mse", train_window="90D", eval_window="30D", anchors=3)
    a = ev.anchors
    c2 = a.loc[a["anchor"] == 2, "cutoff"].iloc[0]
    in_train2 = (df["time"] >= c2 - pd.Timedelta("30D")) & (df["time"] < c2)
    thin = df[~in_train2 | (np.arange(len(df)) % 4 == 0)]
    n_train = evaluate_out_of_time(thin, LinearRegression(), target="y", time="time",
                                   metric="mse", train_window="90D", eval_window="30D",
                                   anchors=3).anchors["n_train"].to_numpy()
    assert n_train[1] < min(n_train[0], n_train[2])
    return thin, int((n_train[1] + min(n_train[0], n_train[2])) // 2)


def test_failed_anchor_is_skipped_with_status_and_message() -> None:
    df, min_rows = _with_a_thin_anchor()
    with pytest.warns(WindowWarning, match=re.escape("their anchor's model failed")):
        rec = rec_of(df, FailsOnShortData(min_rows), on_error="skip")
    anchors = rec.evaluation.anchors.set_index("anchor")
    assert anchors.loc[2, "status"] == "failed"
    assert anchors.loc[2, "message"].startswith("fit failed: ValueError: only ")
    assert (anchors.loc[[1, 3], "status"] == "ok").all()
    sc = rec.evaluation.scores
    assert (sc.loc[sc["anchor"] == 2, "status"] == "anchor_failed").all()
    assert (sc.loc[sc["anchor"] != 2, "status"] == "ok").all()
    check_recommendation(rec)
    back = OOTEvaluation.from_json(rec.evaluation.to_json())
    pd.testing.assert_frame_equal(back.anchors, rec.evaluation.anchors)


def test_failed_anchor_raises_by_default_naming_it() -> None:
    df, min_rows = _with_a_thin_anchor()
    with pytest.raises(EstimatorFitError, match=re.escape("Anchor 2 of 3 (cutoff ")) as info:
        rec_of(df, FailsOnShortData(min_rows))
    msg = str(info.value)
    assert "fit failed: ValueError: only " in msg
    assert "Pass on_error='skip'" in msg
    assert isinstance(info.value.__cause__, ValueError)


def test_every_anchor_failing_is_an_error_even_with_skip() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        with pytest.raises(EstimatorFitError, match=re.escape(
                "Every anchor's model failed (3 of 3); the first: fit failed: ValueError: "
                "only ")):
            rec_of(BASE, FailsOnShortData(10**9), on_error="skip")
