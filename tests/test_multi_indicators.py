"""Several metrics and segments together with the leading indicators (issues 15 and 17).

The indicators are one of the engine's per-anchor scorers; a run with a metric list, a
segment column and ``indicators=True`` must give, from one fit per anchor, the
indicators of the single-metric run and the scores of each single-metric run, exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

import oot
from oot import InvalidParameterError, OOTEvaluation

from .test_indicators_engine import PLAN, _frame, _model

FITS: list[int] = []


class CountingLogit(ClassifierMixin, BaseEstimator):
    """LogisticRegression that counts its fits and prediction calls."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: Any, y: Any) -> CountingLogit:
        FITS.append(len(X))
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> Any:
        return self.model_.predict(X)


def _numeric(seed: int = 0) -> pd.DataFrame:
    df = _frame(seed).drop(columns="cat")
    df["x2"] = df["x2"].fillna(0.0)
    df["region"] = np.where(np.arange(len(df)) % 3 == 0, "east", "west")
    return df


def test_metric_list_with_indicators_equals_the_single_runs() -> None:
    df = _frame()
    df["region"] = np.where(np.arange(len(df)) % 3 == 0, "east", "west")
    one = oot.evaluate_out_of_time(df, _model(), target="y", time="ts",
                                   features=["x1", "x2", "cat"], metric="roc_auc",
                                   indicators=True, random_state=0, **PLAN)
    many = oot.evaluate_out_of_time(df, _model(), target="y", time="ts",
                                    features=["x1", "x2", "cat"],
                                    metric=["roc_auc", "log_loss", "accuracy"],
                                    segment="region", indicators=True, random_state=0,
                                    **PLAN)
    assert one.indicators is not None
    assert many.indicators is not None
    pd.testing.assert_frame_equal(many.indicators, one.indicators)
    assert many.params["indicators"] == one.params["indicators"]
    assert "psi:prediction" in one.params["indicators"]
    for name in ("roc_auc", "log_loss", "accuracy"):
        alone = oot.evaluate_out_of_time(df, _model(), target="y", time="ts",
                                         features=["x1", "x2", "cat"], metric=name,
                                         random_state=0, **PLAN)
        sel = many.select(metric=name)
        pd.testing.assert_frame_equal(sel.scores, alone.scores)
        # the whole population's selection keeps the indicators, a segment's does not
        assert sel.indicators is not None
        assert many.select(metric=name, segment="east").indicators is None


def test_one_fit_per_anchor_with_indicators_metrics_and_segments() -> None:
    df = _numeric()
    FITS.clear()
    ev = oot.evaluate_out_of_time(df, CountingLogit(), target="y", time="ts",
                                  features=["x1", "x2"],
                                  metric=["roc_auc", "accuracy", "brier"],
                                  segment="region", indicators=True, **PLAN)
    assert len(FITS) == PLAN["anchors"]
    assert ev.indicators is not None
    assert set(ev.indicators["indicator"]) >= {"psi:x1", "ks:x2", "psi:prediction",
                                               "expected:roc_auc"}
    # ok windows have values
    ok = ev.indicators[ev.indicators["status"] == "ok"]
    assert len(ok)
    assert bool(ok["value"].notna().all())


def test_indicators_follow_the_first_metric() -> None:
    df = _numeric()
    ev = oot.evaluate_out_of_time(df, LogisticRegression(), target="y", time="ts",
                                  features=["x1", "x2"], metric=["accuracy", "roc_auc"],
                                  indicators=["psi:prediction"], **PLAN)
    alone = oot.evaluate_out_of_time(df, LogisticRegression(), target="y", time="ts",
                                     features=["x1", "x2"], metric="accuracy",
                                     indicators=["psi:prediction"], **PLAN)
    assert ev.indicators is not None
    pd.testing.assert_frame_equal(ev.indicators, alone.indicators)
    # the first metric reads labels: no expected scores, said with the fix
    with pytest.raises(InvalidParameterError, match="reads predict"):
        oot.evaluate_out_of_time(df, LogisticRegression(), target="y", time="ts",
                                 features=["x1", "x2"], metric=["accuracy", "roc_auc"],
                                 indicators=["expected"], **PLAN)


def test_json_round_trip_with_metrics_segments_and_indicators() -> None:
    df = _numeric()
    ev = oot.evaluate_out_of_time(df, LogisticRegression(), target="y", time="ts",
                                  features=["x1", "x2"], metric=["roc_auc", "log_loss"],
                                  segment="region", indicators=["psi", "ks"], **PLAN)
    back = OOTEvaluation.from_json(ev.to_json())
    pd.testing.assert_frame_equal(back.scores, ev.scores)
    assert back.indicators is not None
    assert ev.indicators is not None
    pd.testing.assert_frame_equal(back.indicators, ev.indicators)
    assert back.metric_names == ev.metric_names
    assert back.segment_columns == ev.segment_columns
    assert back.to_json() == ev.to_json()


def test_failed_anchor_keeps_its_indicator_rows() -> None:
    df = _numeric()

    class FailsSecond(CountingLogit):
        def fit(self, X: Any, y: Any) -> FailsSecond:
            if len(FITS) % PLAN["anchors"] == 1:
                FITS.append(-1)
                msg = "boom"
                raise ValueError(msg)
            super().fit(X, y)
            return self

    FITS.clear()
    with pytest.warns(oot.WindowWarning, match="anchor's model failed"):
        ev = oot.evaluate_out_of_time(df, FailsSecond(), target="y", time="ts",
                                      features=["x1", "x2"], metric=["roc_auc", "brier"],
                                      indicators=["psi"], on_error="skip", **PLAN)
    assert ev.indicators is not None
    failed = ev.indicators[ev.indicators["anchor"] == 2]
    assert len(failed)
    assert set(failed["status"]) == {"anchor_failed"}
    assert set(ev.scores.loc[ev.scores["anchor"] == 2, "status"]) == {"anchor_failed"}


def test_compare_candidates_takes_one_metric() -> None:
    df = _numeric()
    with pytest.raises(InvalidParameterError, match=r"'metric' parameter of "
                       r"compare_candidates must be one metric.*metric='roc_auc'"):
        oot.compare_candidates(df, {"a": LogisticRegression(),
                                    "b": LogisticRegression(C=0.1)},
                               target="y", time="ts", features=["x1", "x2"],
                               metric=["roc_auc", "log_loss"], **PLAN)


def test_polars_input_keeps_the_segment_column() -> None:
    pl = pytest.importorskip("polars")
    df = _numeric()
    kw: dict[str, Any] = {"target": "y", "time": "ts", "features": ["x1", "x2"],
                          "metric": ["roc_auc", "log_loss"], "segment": "region", **PLAN}
    ev = oot.evaluate_out_of_time(pl.from_pandas(df), LogisticRegression(), **kw)
    ref = oot.evaluate_out_of_time(df, LogisticRegression(), **kw)
    pd.testing.assert_frame_equal(ev.scores, ref.scores)
    df["p"] = 1 / (1 + np.exp(-df["x1"]))
    pkw: dict[str, Any] = {"y_true": "y", "y_pred": "p", "time": "ts",
                           "cutoff": "2021-03-01", "metric": ["roc_auc", "brier"],
                           "segment": "region", "min_window_size": 5}
    got = oot.evaluate_predictions(pl.from_pandas(df), **pkw)
    pd.testing.assert_frame_equal(got.scores, oot.evaluate_predictions(df, **pkw).scores)
    assert got.segment_labels == ("(all)", "east", "west")


def test_one_metric_functions_refuse_a_multi_evaluation_with_indicators() -> None:
    df = _numeric()
    ev = oot.evaluate_out_of_time(df, LogisticRegression(), target="y", time="ts",
                                  features=["x1", "x2"], metric=["roc_auc", "log_loss"],
                                  segment="region", indicators=["psi"], **PLAN)
    for call in (lambda: oot.rank_indicators(ev),
                 lambda: oot.backtest_trigger(ev, indicator="psi:x1")):
        with pytest.raises(InvalidParameterError, match=r"one metric on one segment.*"
                           r"select\(metric='roc_auc', segment='\(all\)'\)"):
            call()
    assert isinstance(oot.rank_indicators(ev.select(metric="log_loss")),
                      oot.IndicatorReport)


@pytest.mark.parametrize("calendar", ["none", "shift"])
def test_recommend_each_follows_issue_13s_rules(calendar: str) -> None:
    """Every item of a collection has the status, interval, rounding and fresh reading
    of the single recommendation on its selection, with calendar= and round_to=."""
    from oot.datasets import make_degradation_scores

    parts = [make_degradation_scores(slope=s, random_state=i).to_evaluation().scores
             .assign(segment=name) for i, (name, s) in enumerate(
                 [("fast", -6e-4), ("slow", -2e-4), ("flat", 0.0)])]
    ev = OOTEvaluation.from_frame(pd.concat(parts), metric="roc_auc")
    kw: dict[str, Any] = {"n_bootstrap": 100, "random_state": 0, "calendar": calendar,
                          "round_to": "7D"}
    recs = oot.recommend_retrain_interval(ev, **kw)
    for key, rec in zip(recs.keys, recs, strict=True):
        alone = oot.recommend_retrain_interval(ev.select(*key), **kw)
        assert (rec.status, rec.interval, rec.significant, rec.limited_by,
                rec.round_to) == (alone.status, alone.interval, alone.significant,
                                  alone.limited_by, alone.round_to), key
        assert rec.fresh == alone.fresh, key
        assert rec.curve.calendar == calendar
    assert recs["roc_auc", "fast"].status == "crossed"
    back = oot.RetrainRecommendations.from_json(recs.to_json())
    assert back.to_json() == recs.to_json()
