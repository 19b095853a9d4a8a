"""Several metrics and segments from one set of fits (issue 15): the evaluation.

Every (metric, segment, window) score is checked against scikit-learn's metric on a
slice masked independently from the original frame; a multi-metric run against the
single-metric runs; a fit-counting estimator against the number of anchors.
"""

from __future__ import annotations

import re
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from oot import InvalidParameterError, MissingColumnError, OOTEvaluation, WindowWarning
from oot.evaluate import evaluate_out_of_time, evaluate_predictions

from .test_evaluate import KW, make_frame

CLF_METRICS = {
    "roc_auc": (roc_auc_score, "proba"),
    "log_loss": (lambda y, p: log_loss(y, p, labels=[0, 1]), "proba"),
    "brier": (brier_score_loss, "proba"),
    "accuracy": (accuracy_score, "predict"),
}
REG_METRICS = {
    "rmse": root_mean_squared_error,
    "mae": mean_absolute_error,
    "r2": r2_score,
}


def segmented_frame(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """make_frame with a segment column of three values plus missing ones, unevenly
    sized (one segment small enough for some windows to be too small)."""
    df = make_frame(n=n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    seg = rng.choice(np.array(["north", "south", "tiny"], dtype=object), size=n,
                     p=[0.6, 0.36, 0.04])
    seg[rng.random(n) < 0.03] = None
    df["region"] = seg
    df["band"] = rng.integers(0, 2, n)
    return df


def seg_mask(df: pd.DataFrame, column: str, label: str) -> pd.Series:
    if label == "(all)":
        return pd.Series(True, index=df.index)
    value = label.split("=", 1)[1] if "=" in label else label
    if value == "(missing)":
        return df[column].isna()
    return df[column].astype(str) == value


def check_against_sklearn(df: pd.DataFrame, ev: OOTEvaluation, est, fns: dict,
                          min_window_size: int) -> int:
    """Each row of ``ev.scores`` against scikit-learn on masks of the original frame;
    returns the number of scored windows compared."""
    feats = ["a", "b", "c"]
    preds: dict[tuple[object, str], np.ndarray] = {}
    checked = 0
    cols = ev.segment_columns
    for _, row in ev.scores.iterrows():
        key = row["cutoff"]
        if (key, "predict") not in preds:
            # each anchor's model predicts every row of the frame once (predictions are
            # row by row); the windows' slices are masked from these below
            tr = (df["ts"] >= row["train_start"]) & (df["ts"] < row["cutoff"])
            model = clone(est).fit(df.loc[tr, feats], df.loc[tr, "y"])
            preds[key, "predict"] = np.asarray(model.predict(df[feats]))
            if hasattr(model, "predict_proba"):
                preds[key, "proba"] = model.predict_proba(df[feats])[:, 1]
        te = (df["ts"] >= row["window_start"]) & (df["ts"] < row["window_end"])
        label = row.get("segment", "(all)")
        col = next((c for c in cols if label.startswith(f"{c}=")), cols[0] if cols else "")
        te &= seg_mask(df, col, label)
        assert row["n"] == int(te.sum())
        name = row.get("metric", ev.metric.name)
        fn, response = fns[name] if isinstance(fns[name], tuple) else (fns[name], "predict")
        if row["n"] < min_window_size:
            assert row["status"] in ("too_small", "empty")
            assert np.isnan(row["score"])
            continue
        y = df.loc[te, "y"].to_numpy()
        if name == "roc_auc" and len(np.unique(y)) < 2:
            assert row["status"] == "one_class"
            continue
        p = preds[key, response][te.to_numpy()]
        assert row["status"] == "ok"
        assert row["score"] == pytest.approx(fn(y, p), rel=1e-9, abs=1e-12), (name, label)
        checked += 1
    return checked


# ------------------------------------------------------- scores against references
def test_every_metric_segment_window_equals_scikit_learn_on_masked_slices() -> None:
    df = segmented_frame()
    kw = dict(KW, anchors=3, min_window_size=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        ev = evaluate_out_of_time(df.drop(columns="band"), LogisticRegression(),
                                  metric=list(CLF_METRICS), segment="region", **kw)
    assert ev.metric_names == tuple(CLF_METRICS)
    assert ev.segment_labels == ("(all)", "north", "south", "tiny", "(missing)")
    assert ev.scores.columns[:2].tolist() == ["metric", "segment"]
    n_windows = ev.scores.groupby(["metric", "segment"]).size()
    assert (n_windows == len(ev.scores) // 20).all()
    checked = check_against_sklearn(df, ev, LogisticRegression(), CLF_METRICS, 20)
    # the tiny segment and the missing values have windows below min_window_size
    small = ev.scores[ev.scores["segment"].isin(["tiny", "(missing)"])]
    assert (small["status"] == "too_small").any()
    assert checked > 0.6 * len(ev.scores)


def test_regression_metrics_with_two_segment_columns_equal_scikit_learn() -> None:
    df = segmented_frame(seed=3)
    df["y"] = df["a"] * 2 + df["b"] * (df["ts"] - df["ts"].min()).dt.days / 100.0 \
        + np.random.default_rng(0).normal(size=len(df))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        ev = evaluate_out_of_time(df, LinearRegression(), metric=list(REG_METRICS),
                                  segment=["region", "band"], features=["a", "b", "c"],
                                  **dict(KW, min_window_size=10))
    assert ev.segment_columns == ("region", "band")
    assert ev.segment_labels == ("(all)", "region=north", "region=south", "region=tiny",
                                 "region=(missing)", "band=0", "band=1")
    checked = check_against_sklearn(df, ev, LinearRegression(), REG_METRICS, 10)
    assert checked > 0.8 * len(ev.scores)


def test_evaluate_predictions_several_metrics_and_segments_equal_scikit_learn() -> None:
    df = segmented_frame(seed=5)
    rng = np.random.default_rng(2)
    df["p"] = np.clip(0.35 * df["y"] + 0.65 * rng.random(len(df)), 0, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        ev = evaluate_predictions(df, y_true="y", y_pred="p", time="ts",
                                  cutoff="2023-03-01", metric=["roc_auc", "brier"],
                                  segment="region", min_window_size=15)
    for _, row in ev.scores.iterrows():
        te = (df["ts"] >= row["window_start"]) & (df["ts"] < row["window_end"])
        te &= seg_mask(df, "region", row["segment"])
        assert row["n"] == int(te.sum())
        if row["status"] != "ok":
            continue
        fn = roc_auc_score if row["metric"] == "roc_auc" else brier_score_loss
        assert row["score"] == pytest.approx(fn(df.loc[te, "y"], df.loc[te, "p"]),
                                             rel=1e-9)


# ---------------------------------------------- one run equals the separate runs
@pytest.mark.parametrize("segment", [None, "region"])
def test_multi_metric_run_equals_the_single_metric_runs_exactly(segment) -> None:
    df = segmented_frame(seed=7).sample(frac=1.0, random_state=0)  # unsorted rows
    kw = dict(KW, anchors=3, anchor_step="20D", random_state=4, min_window_size=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        multi = evaluate_out_of_time(df, LogisticRegression(), metric=list(CLF_METRICS),
                                     segment=segment, features=["a", "b", "c"], **kw)
        for name in CLF_METRICS:
            single = evaluate_out_of_time(df, LogisticRegression(), metric=name,
                                          segment=segment, features=["a", "b", "c"], **kw)
            for label in multi.segment_labels:
                a = multi.select(metric=name, segment=label)
                b = single.select(segment=label) if segment else single
                pd.testing.assert_frame_equal(a.scores, b.scores, check_exact=True)
                assert a.metric is b.metric
    if segment is None:  # the whole population of a segmented run is the plain run
        plain = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc",
                                     features=["a", "b", "c"], **kw)
        pd.testing.assert_frame_equal(multi.select("roc_auc").scores, plain.scores)


def test_segmented_run_keeps_the_first_round_rows_for_the_whole_population() -> None:
    df = segmented_frame(seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        seg = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc",
                                   segment="region", features=["a", "b", "c"], **KW)
    plain = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc",
                                 features=["a", "b", "c"], **KW)
    assert "metric" not in seg.scores.columns  # one metric: no metric column
    pd.testing.assert_frame_equal(seg.select().scores, plain.scores)
    # first-round tables are unchanged: no metric or segment column
    assert plain.scores.columns[0] == "anchor"
    assert not plain.is_multi


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """LogisticRegression that counts its fits and prediction calls (across clones)."""

    counts: ClassVar[dict[str, int]] = {}

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def _tick(self, name: str) -> None:
        type(self).counts[name] = type(self).counts.get(name, 0) + 1

    def fit(self, X, y):
        self._tick("fit")
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        self._tick("predict")
        return self.model_.predict(X)

    def predict_proba(self, X):
        self._tick("predict_proba")
        return self.model_.predict_proba(X)

    def decision_function(self, X):
        self._tick("decision_function")
        return self.model_.decision_function(X)


@pytest.mark.parametrize(("metrics", "segment", "calls"), [
    ("roc_auc", None, {"predict_proba": 1}),
    (["roc_auc", "log_loss", "brier"], None, {"predict_proba": 1}),
    (list(CLF_METRICS), None, {"predict_proba": 1, "predict": 1}),
    (list(CLF_METRICS), "region", {"predict_proba": 1, "predict": 1}),
    (list(CLF_METRICS), ["region", "band"], {"predict_proba": 1, "predict": 1}),
])
def test_one_fit_and_one_call_per_prediction_method_per_anchor(metrics, segment,
                                                               calls) -> None:
    df = segmented_frame(seed=9)
    CountingClassifier.counts = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        ev = evaluate_out_of_time(df, CountingClassifier(), metric=metrics,
                                  segment=segment, features=["a", "b", "c"],
                                  **dict(KW, anchors=4, anchor_step="20D"))
    assert CountingClassifier.counts == {"fit": 4, **{k: 4 * v for k, v in calls.items()}}
    assert ev.n_anchors == 4


def test_parallel_and_inline_scoring_give_the_serial_threaded_frame(monkeypatch) -> None:
    import oot.evaluate._engine as engine

    df = segmented_frame(seed=11)
    kw = dict(KW, anchors=4, anchor_step="20D", metric=list(CLF_METRICS),
              segment=["region", "band"], min_window_size=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        threaded = evaluate_out_of_time(df, LogisticRegression(), **kw)
        par = evaluate_out_of_time(df, LogisticRegression(), n_jobs=2, **kw)
        monkeypatch.setattr(engine, "_thread_safe_scoring", lambda *a: False)
        inline = evaluate_out_of_time(df, LogisticRegression(), **kw)
    pd.testing.assert_frame_equal(threaded.scores, inline.scores)
    pd.testing.assert_frame_equal(threaded.scores, par.scores, check_exact=False,
                                  rtol=1e-12)


def test_failed_anchor_keeps_every_segment_row_with_its_counts() -> None:
    class FailsOnSecond(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            if len(X) < 1200:  # the first anchor's ~990 rows
                raise ValueError("too few rows")
            return super().fit(X, y, sample_weight)

    df = segmented_frame(seed=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        ev = evaluate_out_of_time(df, FailsOnSecond(), metric=["roc_auc", "accuracy"],
                                  segment="region", features=["a", "b", "c"],
                                  on_error="skip",
                                  **dict(KW, train_window="60D", expanding=True))
    failed = ev.anchors.loc[ev.anchors["status"] == "failed", "anchor"].tolist()
    assert failed == [1]
    rows = ev.scores[ev.scores["anchor"] == 1]
    assert (rows["status"] == "anchor_failed").all()
    for _, row in rows.iterrows():
        te = (df["ts"] >= row["window_start"]) & (df["ts"] < row["window_end"])
        te &= seg_mask(df, "region", row["segment"])
        assert row["n"] == int(te.sum())
        assert row["n_pos"] == int(df.loc[te, "y"].sum())


# ------------------------------------------------------------------- the result
def test_multi_evaluation_json_round_trip_is_exact_and_old_documents_load() -> None:
    df = segmented_frame(seed=13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        ev = evaluate_out_of_time(df, LogisticRegression(), metric=["roc_auc", "brier"],
                                  segment="region", **KW)
    back = OOTEvaluation.from_json(ev.to_json())
    pd.testing.assert_frame_equal(back.scores, ev.scores, check_exact=True)
    assert back.metric_names == ev.metric_names
    assert back.segment_columns == ("region",)
    assert back.to_json() == ev.to_json()
    assert back.params["metrics"] == ["roc_auc", "brier"]
    # a first-round document has neither key, and reads as one metric, no segment
    plain = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc",
                                 features=["a", "b", "c"], **KW)
    doc = plain.to_dict()
    assert "metrics" not in doc
    assert "segment_columns" not in doc
    old = OOTEvaluation.from_dict(doc)
    assert old.metrics == (old.metric,)
    assert old.segment_columns == ()
    assert not old.is_multi


def test_from_frame_with_segment_and_metric_columns() -> None:
    rows = []
    for metric in ("roc_auc", "accuracy"):
        for seg in ("(all)", "b", None, "a"):
            for anchor in (1, 2):
                for age in (30.0, 10.0, 20.0):
                    rows.append({"metric": metric, "segment": seg, "anchor": anchor,
                                 "age": age, "score": 0.8 - age / 1000})
    frame = pd.DataFrame(rows)
    ev = OOTEvaluation.from_frame(frame, metric=["roc_auc", "accuracy"])
    assert ev.metric_names == ("roc_auc", "accuracy")
    assert ev.segment_labels == ("(all)", "a", "b", "(missing)")
    sel = ev.select(metric="accuracy", segment="(missing)")
    assert sel.metric.name == "accuracy"
    assert sel.scores["age"].tolist() == [10.0, 20.0, 30.0] * 2
    assert sel.scores["window"].tolist() == [1, 2, 3] * 2
    assert sel.scores.columns.tolist()[:3] == ["anchor", "cutoff", "train_start"]
    back = OOTEvaluation.from_json(ev.to_json())
    pd.testing.assert_frame_equal(back.scores, ev.scores)


def test_select_bad_arguments() -> None:
    frame = pd.DataFrame({"segment": ["north", "south"] * 3, "age": [1.0, 1.0, 2.0, 2.0,
                                                                     3.0, 3.0],
                          "score": [0.9] * 6})
    ev = OOTEvaluation.from_frame(frame, metric="roc_auc")
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'segment' parameter of OOTEvaluation.select must be one of the segments "
            "scored ['north', 'south'] or None. Got 'nrth' instead. Did you mean "
            "'north'?")):
        ev.select(segment="nrth")
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'metric' parameter of OOTEvaluation.select must be one of the metrics "
            "scored ['roc_auc'] or None. Got 'rmse' instead.")):
        ev.select(metric="rmse")
    # without a whole-population row, the first segment is the default
    assert ev.select().params["selection"] == {"metric": "roc_auc", "segment": "north"}


# ----------------------------------------------------------------- bad input
def _eot(**kw):
    df = kw.pop("data", None)
    if df is None:
        df = segmented_frame(n=2000)
    return evaluate_out_of_time(df, kw.pop("estimator", LogisticRegression()),
                                **{**KW, **kw})


@pytest.mark.parametrize(("kwargs", "exc", "message"), [
    (dict(metric=["roc_auc", "roc_aux"]), InvalidParameterError,
     "The 'metric' parameter of evaluate_out_of_time must be a metric name from "
     "oot.metrics.available() or an oot.Metric. Got 'roc_aux' instead. Did you mean "
     "'roc_auc'?"),
    (dict(metric=["roc_auc", "brier", "roc_auc"]), InvalidParameterError,
     "The 'metric' parameter of evaluate_out_of_time must be a list of distinct metrics. "
     "Got ['roc_auc', 'brier', 'roc_auc'] instead. 'roc_auc' appears more than once; "
     "list each metric once."),
    (dict(metric=["roc_auc", "rmse", "mae"]), InvalidParameterError,
     "The 'metric' parameter of evaluate_out_of_time must be metrics of one kind of "
     "target (all classification or all regression), since one model per anchor serves "
     "them all. Got ['roc_auc', 'rmse', 'mae'] instead. 'roc_auc' need(s) a "
     "classification target and 'rmse', 'mae' a regression one; evaluate them in "
     "separate runs."),
    (dict(metric=[]), InvalidParameterError,
     "The 'metric' parameter of evaluate_out_of_time must be a metric name, an "
     "oot.Metric or a non-empty list of them. Got [] instead."),
    (dict(metric=["roc_auc", 3]), InvalidParameterError,
     "The 'metric' parameter of evaluate_out_of_time must be a list of metric names or "
     "oot.Metric objects. Got ['roc_auc', 3] instead. The item 3 is neither."),
    (dict(segment="regoin"), MissingColumnError,
     "The 'segment' parameter of evaluate_out_of_time must be a column of the "
     "DataFrame. Got 'regoin' instead. Did you mean 'region'?"),
    (dict(segment=[]), InvalidParameterError,
     "The 'segment' parameter of evaluate_out_of_time must be a column name or a "
     "non-empty list of column names. Got [] instead."),
    (dict(segment=["region", "region"]), InvalidParameterError,
     "The 'segment' parameter of evaluate_out_of_time must be distinct column names. "
     "Got ['region', 'region'] instead."),
    (dict(segment="a"), InvalidParameterError,
     "The 'segment' parameter of evaluate_out_of_time must be a column with at most "
     "max_segments=50 distinct values. Got 'a' instead. Column 'a' has 2000 distinct "
     "values. Group them first (for example keep the largest and map the rest to "
     "'other': data['a'].where(data['a'].isin(top), 'other')), or raise max_segments."),
    (dict(segment="region", max_segments=3), InvalidParameterError,
     "max_segments=3 distinct values. Got 'region' instead. Column 'region' has 4 "
     "distinct values."),
    (dict(segment="region", max_segments=0), InvalidParameterError,
     "The 'max_segments' parameter of evaluate_out_of_time must be an int >= 1. Got 0 "
     "instead."),
])
def test_bad_input_messages(kwargs, exc, message) -> None:
    with pytest.raises(exc, match=re.escape(message)):
        _eot(**kwargs)


def test_bad_segment_columns_messages() -> None:
    df = segmented_frame(n=2000)
    df["empty"] = np.nan
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'segment' parameter of evaluate_out_of_time must be a column with at "
            "least one non-missing value. Got 'empty' instead. All 2000 values of column "
            "'empty' are missing.")):
        _eot(data=df, segment="empty", features=["a", "b", "c"])
    df["mixed"] = [1, "1"] * 1000
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'segment' parameter of evaluate_out_of_time must be a column whose values "
            "read differently as text. Got 'mixed' instead. The labels ['1'] stand for "
            "more than one value (or for the whole population, '(all)'); convert the "
            "column, e.g. data['mixed'].astype(str).")):
        _eot(data=df, segment="mixed", features=["a", "b", "c"])
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'segment' parameter of evaluate_predictions must be a column of the "
            "DataFrame. Got 'nope' instead.")):
        evaluate_predictions(df, y_true="y", y_pred="a", time="ts", cutoff="2023-03-01",
                             segment="nope")
    # a regression metric and a classifier's target: the target check names the metric
    with pytest.raises(InvalidParameterError, match=re.escape("need(s) a classification")):
        _eot(metric=["accuracy", "r2"])


def test_segment_column_may_be_a_feature_and_nan_values_are_their_own_segment() -> None:
    df = segmented_frame(seed=14)
    df["grade"] = np.where(df["a"] > 0, 1.0, 0.0)
    df.loc[df.index[::40], "grade"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        ev = evaluate_out_of_time(
            df.assign(grade_f=df["grade"].fillna(-1)), LogisticRegression(),
            metric="roc_auc", segment="grade_f", features=["a", "b", "grade_f"], **KW)
        ev2 = evaluate_out_of_time(df, LogisticRegression(), metric="accuracy",
                                   segment="grade", features=["a", "b"], **KW)
    assert ev.segment_labels == ("(all)", "-1.0", "0.0", "1.0")
    assert ev2.segment_labels == ("(all)", "0.0", "1.0", "(missing)")
    miss = ev2.select(segment="(missing)").scores
    first = miss[miss["anchor"] == 1]
    in_windows = (df["ts"] >= first["window_start"].min()) & (
        df["ts"] < first["window_end"].max())
    assert first["n"].sum() == int(df.loc[in_windows, "grade"].isna().sum()) > 0


def test_single_metric_functions_refuse_a_multi_evaluation_and_say_how_to_pick() -> None:
    from oot import fit_degradation
    from oot.plotting import AgingHeatmapDisplay

    df = segmented_frame(seed=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        ev = evaluate_out_of_time(df, LogisticRegression(), metric=["roc_auc", "brier"],
                                  segment="region", features=["a", "b", "c"], **KW)
    msg = ("The 'evaluation' parameter of fit_degradation must be an evaluation of one "
           "metric on one segment. Got an evaluation of 2 metric(s) x 5 segment(s) "
           "instead. Pick one with evaluation.select(metric='roc_auc', segment='(all)'), "
           "or pass the whole evaluation to recommend_retrain_interval, which recommends "
           "for each.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        fit_degradation(ev)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'evaluation' parameter of AgingHeatmapDisplay.from_evaluation must be an "
            "evaluation of one metric on one segment.")):
        AgingHeatmapDisplay.from_evaluation(ev)
    fit_degradation(ev.select(metric="brier", segment="north"), curve="linear")
    assert str(ev).startswith("Out-of-time evaluation of ROC AUC and Brier score on the "
                              "whole population and 4 segment(s) of 'region' over 3 "
                              "anchor(s) and 24 windows each")
    summary = ev.summary()
    assert summary.columns[:3].tolist() == ["metric", "segment", "anchor"]
    assert len(summary) == 2 * 5 * 3


def test_a_later_prediction_method_failing_fails_its_anchor() -> None:
    """The second method a list of metrics needs (predict after predict_proba) runs
    with the scoring; its failure is the anchor's, reported as any other."""
    from oot import EstimatorFitError

    class NoLabelsAfterMay(LogisticRegression):
        def predict(self, X):
            if len(X) < 4000:  # the later anchors' evaluation rows
                raise RuntimeError("no labels today")
            return super().predict(X)

    df = segmented_frame(seed=16)
    kw = dict(KW, anchors=3, features=["a", "b", "c"], metric=["roc_auc", "accuracy"])
    with pytest.raises(EstimatorFitError, match=re.escape(
            "the estimator's predict failed: RuntimeError: no labels today.")):
        evaluate_out_of_time(df, NoLabelsAfterMay(), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        ev = evaluate_out_of_time(df, NoLabelsAfterMay(), on_error="skip", **kw)
    assert (ev.anchors["status"] == "failed").any()
    assert ev.anchors["status"].iloc[0] == "ok"
    bad = ev.anchors.loc[ev.anchors["status"] == "failed", "message"]
    assert bad.str.contains("predict failed: RuntimeError: no labels today").all()
    assert ev.anchors["predict_time"].iloc[0] > 0
