"""Tests of the evaluation engine against independent computations."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import LinearSVC

from oot import (
    EstimatorFitError,
    InvalidParameterError,
    MissingColumnError,
    OOTEvaluation,
    WindowWarning,
    recommend_retrain_interval,
)
from oot.evaluate import evaluate_out_of_time, evaluate_predictions

from .strategies import time_frames


def make_frame(n: int = 6000, days: int = 365, seed: int = 0, classes: int = 2,
               tz: str | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, days * 24, n), unit="h")
    X = rng.normal(size=(n, 3))
    drift = (t - t.min()).days.to_numpy() / days
    logit = 1.5 * (X[:, 0] * (1 - drift) + X[:, 1] * drift)
    if classes == 2:
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    else:
        y = np.digitize(logit + rng.logistic(size=n) * 0.5, [-0.7, 0.7])
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["ts"] = t if tz is None else t.tz_localize("UTC").tz_convert(tz)
    df["y"] = y
    return df


KW = dict(target="y", time="ts", train_window="90D", eval_window="30D", anchors=3)


def independent_scores(df: pd.DataFrame, est: object, metric_fn, response: str,
                       ev: OOTEvaluation) -> list[float]:
    """Recompute each window's score from scratch: boolean masks on the original frame."""
    out = []
    feats = ["a", "b", "c"]
    for _, row in ev.scores.iterrows():
        tr = (df["ts"] >= row["train_start"]) & (df["ts"] < row["cutoff"])
        te = (df["ts"] >= row["window_start"]) & (df["ts"] < row["window_end"])
        model = clone(est).fit(df.loc[tr, feats], df.loc[tr, "y"])
        if response == "proba":
            p = model.predict_proba(df.loc[te, feats])[:, 1]
        else:
            p = model.predict(df.loc[te, feats])
        out.append(metric_fn(df.loc[te, "y"], p))
    return out


@pytest.mark.parametrize(("metric", "fn", "response"), [
    ("roc_auc", roc_auc_score, "proba"),
    ("log_loss", log_loss, "proba"),
    ("accuracy", accuracy_score, "predict"),
])
def test_scores_equal_scikit_learn_on_independent_slices(metric, fn, response) -> None:
    df = make_frame()
    est = LogisticRegression()
    ev = evaluate_out_of_time(df, est, metric=metric, **KW)
    expected = independent_scores(df, est, fn, response, ev)
    np.testing.assert_allclose(ev.scores["score"], expected, rtol=0, atol=1e-9)
    assert (ev.scores["status"] == "ok").all()
    assert (ev.scores["se"] > 0).all()


def test_regression_scores_equal_scikit_learn() -> None:
    df = make_frame()
    df["y"] = df["a"] * 2 + df["b"] * (df["ts"] - df["ts"].min()).dt.days / 100.0
    ev = evaluate_out_of_time(df, LinearRegression(), metric="mae", **KW)
    expected = independent_scores(df, LinearRegression(), mean_absolute_error, "predict", ev)
    np.testing.assert_allclose(ev.scores["score"], expected, rtol=0, atol=1e-9)
    assert "n_pos" not in ev.scores


def test_binary_counts_and_columns() -> None:
    df = make_frame()
    ev = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", **KW)
    s = ev.scores
    assert list(s.columns) == ["anchor", "cutoff", "train_start", "window", "window_start",
                               "window_end", "age", "n", "score", "se", "status", "partial",
                               "n_pos", "n_neg"]
    for _, row in s.iterrows():
        te = (df["ts"] >= row["window_start"]) & (df["ts"] < row["window_end"])
        assert row["n"] == te.sum()
        assert row["n_pos"] == df.loc[te, "y"].sum()
    assert (s["n_pos"] + s["n_neg"] == s["n"]).all()
    assert s["age"].dtype.kind == "m"


def test_multiclass_roc_auc_and_accuracy() -> None:
    df = make_frame(classes=3)
    ev = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", **KW)
    row = ev.scores.iloc[0]
    tr = (df["ts"] >= row["train_start"]) & (df["ts"] < row["cutoff"])
    te = (df["ts"] >= row["window_start"]) & (df["ts"] < row["window_end"])
    m = LogisticRegression().fit(df.loc[tr, ["a", "b", "c"]], df.loc[tr, "y"])
    ref = roc_auc_score(df.loc[te, "y"], m.predict_proba(df.loc[te, ["a", "b", "c"]]),
                        multi_class="ovr")
    assert row["score"] == pytest.approx(ref, abs=1e-9)
    ev = evaluate_out_of_time(df, LogisticRegression(), metric="accuracy", **KW)
    assert ev.scores["score"].between(0, 1).all()


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize(("metric", "fn", "response"), [
    ("roc_auc", roc_auc_score, "proba"),
    ("log_loss", log_loss, "proba"),
    ("accuracy", accuracy_score, "predict"),
])
def test_string_labels_equal_scikit_learn(classes, metric, fn, response) -> None:
    """The models are fitted on the original labels (strings here), not on codes."""
    df = make_frame(classes=classes)
    names = np.array(["low", "mid", "high"]) if classes == 3 else np.array(["no", "yes"])
    df["y"] = names[df["y"]]
    est = LogisticRegression()
    ev = evaluate_out_of_time(df, est, metric=metric, pos_label="yes" if classes == 2
                              else None, **KW)
    feats = ["a", "b", "c"]
    for _, row in ev.scores.iterrows():
        tr = (df["ts"] >= row["train_start"]) & (df["ts"] < row["cutoff"])
        te = (df["ts"] >= row["window_start"]) & (df["ts"] < row["window_end"])
        model = clone(est).fit(df.loc[tr, feats], df.loc[tr, "y"])
        yt = df.loc[te, "y"]
        if response == "predict":
            ref = fn(yt, model.predict(df.loc[te, feats]))
        else:
            proba = model.predict_proba(df.loc[te, feats])
            if classes == 2:  # the positive class's column
                ref = fn(yt == "yes", proba[:, list(model.classes_).index("yes")])
            elif metric == "roc_auc":
                ref = fn(yt, proba, multi_class="ovr", labels=model.classes_)
            else:
                ref = fn(yt, proba, labels=model.classes_)
        assert row["score"] == pytest.approx(ref, abs=1e-9)
    assert (ev.scores["status"] == "ok").all()


def test_decision_function_fallback_for_roc_auc() -> None:
    df = make_frame()
    ev = evaluate_out_of_time(df, LinearSVC(), metric="roc_auc", **KW)
    lr = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", **KW)
    # a linear SVM ranks like a logistic regression on this data
    np.testing.assert_allclose(ev.scores["score"], lr.scores["score"], atol=0.02)


def test_estimator_without_proba_for_log_loss() -> None:
    msg = ("The 'estimator' parameter of evaluate_out_of_time must be an estimator with "
           "predict_proba, which metric 'log_loss' needs. Got LinearSVC() instead. Use a "
           "probabilistic classifier, or wrap it in sklearn.calibration.CalibratedClassifierCV.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        evaluate_out_of_time(make_frame(), LinearSVC(), metric="log_loss", **KW)


def test_row_order_does_not_matter_and_input_is_not_modified() -> None:
    df = make_frame()
    before = df.copy()
    ev1 = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", **KW)
    pd.testing.assert_frame_equal(df, before)
    shuffled = df.sample(frac=1.0, random_state=3)
    ev2 = evaluate_out_of_time(shuffled, LogisticRegression(), metric="roc_auc", **KW)
    pd.testing.assert_frame_equal(ev1.scores, ev2.scores, check_exact=False, rtol=1e-9)


def test_random_state_reproducible_and_n_jobs_consistent() -> None:
    df = make_frame(n=3000)
    est = RandomForestClassifier(n_estimators=20, n_jobs=1)
    a = evaluate_out_of_time(df, est, metric="roc_auc", random_state=7, **KW)
    b = evaluate_out_of_time(df, est, metric="roc_auc", random_state=7, **KW)
    c = evaluate_out_of_time(df, est, metric="roc_auc", random_state=7, n_jobs=2, **KW)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.scores, c.scores, check_exact=False, rtol=1e-12)
    d = evaluate_out_of_time(df, est, metric="roc_auc", random_state=8, **KW)
    assert not np.allclose(a.scores["score"], d.scores["score"])


def test_small_and_one_class_windows_keep_their_rows_and_warn_once() -> None:
    df = make_frame(n=1500)
    # make one window one-class: every label in [cutoff, cutoff+30D) of anchor 1 is 1
    c = df["ts"].min() + pd.Timedelta("90D")
    w = (df["ts"] >= c) & (df["ts"] < c + pd.Timedelta("30D"))
    df.loc[w, "y"] = 1
    with pytest.warns(WindowWarning) as rec:
        ev = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc",
                                  min_window_size=130, **KW)
    assert len(rec) == 1
    s = ev.scores
    assert s.loc[0, "status"] == "one_class"
    assert np.isnan(s.loc[0, "score"])
    assert (s.loc[s["n"] < 130, "status"] == "too_small").all()
    msg = str(rec[0].message)
    assert "one class only" in msg
    assert "fewer than min_window_size=130 rows" in msg
    assert ev.n_usable == int((s["status"] == "ok").sum())


def test_window_warning_points_at_the_callers_line() -> None:
    """The WindowWarning names the user's file, from each entry point that scores (the
    entry points run inside a wrapper that names them in error messages)."""
    df = make_frame(n=1500)
    pred = df.assign(p=np.linspace(0, 1, len(df)))
    calls = {
        "evaluate_out_of_time": lambda: evaluate_out_of_time(
            df, LogisticRegression(), metric="roc_auc", min_window_size=130, **KW),
        "evaluate_predictions": lambda: evaluate_predictions(
            pred, y_true="y", y_pred="p", time="ts", cutoff="2023-04-01",
            min_window_size=130),
        "recommend_retrain_interval": lambda: recommend_retrain_interval(
            df, LogisticRegression(), metric="roc_auc", min_window_size=130,
            n_bootstrap=20, random_state=0, **KW),
    }
    for name, call in calls.items():
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            call()
        found = [w for w in rec if issubclass(w.category, WindowWarning)]
        assert len(found) == 1, name
        assert found[0].filename == __file__, (name, found[0].filename)


def test_empty_windows_in_a_gap_of_the_data() -> None:
    df = make_frame(n=4000)
    hole = (df["ts"] >= "2023-05-01") & (df["ts"] < "2023-06-15")
    df = df[~hole]
    with pytest.warns(WindowWarning, match="empty"):
        ev = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", **KW)
    assert (ev.scores["status"] == "empty").sum() >= 1


def test_pipeline_with_categorical_feature_and_nan_features() -> None:
    df = make_frame(n=3000)
    df["cat"] = np.where(df["a"] > 0, "high", "low")
    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["cat"]), remainder="passthrough"),
        LogisticRegression())
    ev = evaluate_out_of_time(df, pipe, metric="roc_auc", **KW)
    assert ev.scores["score"].notna().all()
    df.loc[df.index[::7], "b"] = np.nan
    ev = evaluate_out_of_time(df.drop(columns="cat"), HistGradientBoostingClassifier(
        max_iter=20), metric="roc_auc", random_state=0, **KW)
    assert ev.scores["score"].notna().all()


def test_failed_anchor_raise_and_skip() -> None:
    df = make_frame(n=3000)
    c2 = df["ts"].min() + pd.Timedelta("120D")
    tr2 = (df["ts"] >= c2 - pd.Timedelta("90D")) & (df["ts"] < c2)
    tr1 = df["ts"] < df["ts"].min() + pd.Timedelta("90D")
    df.loc[tr2 & ~tr1, "y"] = 0  # anchor 2 and 3 see mostly one class ...
    df.loc[tr2, "y"] = 0         # ... anchor 2 exactly one class
    with pytest.raises(EstimatorFitError, match=re.escape("Anchor 2 of 3 (cutoff")) as info:
        evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", **KW)
    assert "Pass on_error='skip'" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.warns(WindowWarning, match="anchor's model failed"):
        ev = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc",
                                  on_error="skip", **KW)
    assert ev.anchors["status"].tolist()[1] == "failed"
    assert "fit failed: ValueError" in ev.anchors["message"].tolist()[1]
    assert (ev.scores.loc[ev.scores["anchor"] == 2, "status"] == "anchor_failed").all()
    others = ev.scores[ev.scores["anchor"] != 2]
    assert (others["status"] != "anchor_failed").all()
    assert others["score"].notna().sum() >= len(others) - 1  # anchor 1's window 1 is one-class


def test_tz_aware_and_numeric_time() -> None:
    ev = evaluate_out_of_time(make_frame(tz="Europe/Paris"), LogisticRegression(),
                              metric="roc_auc", **KW)
    assert str(ev.scores["cutoff"].dt.tz) == "Europe/Paris"
    df = make_frame()
    df["ts"] = (df["ts"] - df["ts"].min()).dt.days
    ev = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", target="y",
                              time="ts", train_window=90, eval_window=30, anchors=3)
    assert ev.time_kind == "numeric"
    assert ev.scores["age"].tolist()[:2] == [15.0, 45.0]


def test_json_round_trip_is_exact() -> None:
    ev = evaluate_out_of_time(make_frame(tz="US/Eastern"), LogisticRegression(),
                              metric="roc_auc", **KW)
    back = OOTEvaluation.from_json(ev.to_json())
    pd.testing.assert_frame_equal(back.scores, ev.scores, check_exact=True)
    pd.testing.assert_frame_equal(back.anchors, ev.anchors, check_exact=True)
    assert back.params == ev.params
    assert back.data_info == ev.data_info
    assert back.metric.name == ev.metric.name
    assert back.to_json() == ev.to_json()


def test_evaluation_display() -> None:
    ev = evaluate_out_of_time(make_frame(), LogisticRegression(), metric="roc_auc", **KW)
    assert "ROC AUC" in str(ev) or "roc_auc" in str(ev)
    assert "<table" in ev._repr_html_()
    summ = ev.summary()
    assert summ["n_windows"].sum() == len(ev.scores)


# ------------------------------------------------------------ evaluate_predictions
def test_evaluate_predictions_matches_scikit_learn() -> None:
    df = make_frame()
    df["p"] = 1 / (1 + np.exp(-df["a"]))
    ev = evaluate_predictions(df, y_true="y", y_pred="p", time="ts", cutoff="2023-04-01",
                              eval_window="MS")
    for _, row in ev.scores.iterrows():
        te = (df["ts"] >= row["window_start"]) & (df["ts"] < row["window_end"])
        assert row["score"] == pytest.approx(roc_auc_score(df.loc[te, "y"], df.loc[te, "p"]),
                                             abs=1e-9)
    assert ev.scores["window_start"].iloc[0] == pd.Timestamp("2023-04-01")


def test_evaluate_predictions_several_models() -> None:
    df = make_frame()
    df["p1"] = df["a"]
    df["p2"] = df["b"]
    ev = evaluate_predictions(df, y_true="y", y_pred=["p2", "p1"], time="ts",
                              cutoff=["2023-06-01", "2023-03-01"], eval_window="30D")
    assert ev.n_anchors == 2
    assert ev.anchors["prediction_column"].tolist() == ["p1", "p2"]


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize(("kwargs", "exc", "message"), [
    ({"target": "yy"}, MissingColumnError,
     "The 'target' parameter of evaluate_out_of_time must be a column of the DataFrame. Got "
     "'yy' instead. Did you mean 'y'?"),
    ({"metric": "auc"}, InvalidParameterError, "'metric'"),
    ({"features": "a"}, InvalidParameterError,
     "The 'features' parameter of evaluate_out_of_time must be a list of column names. Got "
     "'a' instead. Write features=['a'] for a single feature."),
    ({"min_window_size": 0}, InvalidParameterError,
     "The 'min_window_size' parameter of evaluate_out_of_time must be an int in the range "
     "[1, inf). Got 0 instead."),
    ({"on_error": "ignore"}, InvalidParameterError,
     "The 'on_error' parameter of evaluate_out_of_time must be one of {'raise', 'skip'}. Got "
     "'ignore' instead."),
    ({"n_jobs": 0}, InvalidParameterError, "Use n_jobs=-1 for all cores."),
])
def test_bad_arguments(kwargs, exc, message) -> None:
    args = dict(KW, metric="roc_auc")
    args.update(kwargs)
    with pytest.raises(exc, match=re.escape(message)):
        evaluate_out_of_time(make_frame(n=500), LogisticRegression(), **args)


def test_target_problems() -> None:
    df = make_frame(n=800)
    df.loc[5, "y"] = np.nan
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The target column 'y' has 1 missing value(s) (row positions [5])")):
        evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", **KW)
    df = make_frame(n=800)
    df["y"] = df["a"] * 1.0
    with pytest.raises(InvalidParameterError, match="looks continuous"):
        evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", **KW)
    df["y"] = df["a"]
    df.loc[3, "y"] = np.inf
    with pytest.raises(InvalidParameterError, match="missing or infinite"):
        evaluate_out_of_time(df, LinearRegression(), metric="rmse", **KW)
    df = make_frame(n=800, classes=3)
    with pytest.raises(InvalidParameterError, match="needs a binary target"):
        evaluate_out_of_time(df, LogisticRegression(), metric="average_precision", **KW)


def test_data_must_be_a_dataframe() -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'data' parameter of evaluate_out_of_time must be a data frame (pandas or "
            "polars DataFrame, polars LazyFrame, pyarrow Table, or another frame narwhals "
            "reads). Got 'ndarray' instead.")):
        evaluate_out_of_time(np.zeros((3, 3)), LogisticRegression(), **KW)


# -------------------------------------------------------------------- properties
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=time_frames(min_days=120, max_days=300))
def test_shuffle_invariance_and_no_mutation(frame: pd.DataFrame) -> None:
    before = frame.copy()
    kw = dict(target="y", time="ts", train_window="30D", eval_window="2W", anchors=2,
              min_window_size=5, metric="accuracy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        try:
            a = evaluate_out_of_time(frame, LogisticRegression(), **kw)
        except (InvalidParameterError, EstimatorFitError):
            return
        b = evaluate_out_of_time(frame.sample(frac=1.0, random_state=1), LogisticRegression(),
                                 **kw)
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(a.scores, b.scores, check_exact=False, rtol=1e-9)


# ------------------------------------------------- helper thread (copy and scoring)
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("metric", ["roc_auc", "log_loss", "f1", "rmse"])
def test_helper_thread_changes_nothing(monkeypatch, shuffle, metric) -> None:
    """The features copied in small steps on the helper thread, the windows scored there
    while the next anchor fits and the last anchor's split between both threads give
    the same frame as copying at once and scoring inline (f1 is always scored inline: it
    calls a metric function)."""
    import oot.evaluate._engine as engine

    df = make_frame(n=3000)
    if shuffle:
        df = df.sample(frac=1.0, random_state=1)
    est = LinearRegression() if metric == "rmse" else LogisticRegression()
    kw = dict(KW, anchors=4, anchor_step="20D")
    monkeypatch.setattr(engine, "_FILL_CHUNK", 7)  # hundreds of steps, ends mid-anchor
    threaded = evaluate_out_of_time(df, est, metric=metric, **kw)
    assert threaded.scores["anchor"].value_counts()[4] >= 3  # the split has two halves
    monkeypatch.setattr(engine, "_FILL_CHUNK", 1 << 40)
    monkeypatch.setattr(engine, "_thread_safe_scoring", lambda *a: False)
    inline = evaluate_out_of_time(df, est, metric=metric, **kw)
    pd.testing.assert_frame_equal(threaded.scores, inline.scores)
    # and both equal scikit-learn on slices made from the original frame
    fn = {"roc_auc": roc_auc_score, "log_loss": log_loss}.get(metric)
    if fn is not None:
        ref = independent_scores(df, LogisticRegression(), fn, "proba", inline)
        np.testing.assert_allclose(inline.scores["score"], ref, rtol=1e-9)


def test_row_fill_copies_in_steps_and_reports_errors() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from oot.evaluate._engine import _RowFill

    rng = np.random.default_rng(0)
    src = np.asfortranarray(rng.normal(size=(1000, 4)))
    order = rng.permutation(1000)
    with ThreadPoolExecutor(1) as pool:
        for perm in (None, order):
            dst = np.empty_like(src, order="C")
            fill = _RowFill(src, perm, dst, pool)
            fill.wait(10)
            fill.wait(1000)
            np.testing.assert_array_equal(dst, src if perm is None else src[order])
            assert dst.flags.c_contiguous
        # a failing copy: the waiter gets its error instead of waiting forever
        bad = _RowFill(src[:10], None, np.empty((1000, 4)), pool)
        with pytest.raises(ValueError, match="broadcast"):
            bad.wait(1000)


def test_fit_warnings_reach_the_caller_while_windows_are_scored() -> None:
    """The scoring thread leaves the warning filters alone: a fit's ConvergenceWarning
    for every anchor gets through."""
    from sklearn.exceptions import ConvergenceWarning

    df = make_frame(n=3000)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        evaluate_out_of_time(df, LogisticRegression(max_iter=1), metric="roc_auc",
                             **dict(KW, anchors=4, anchor_step="20D"))
    assert sum(issubclass(w.category, ConvergenceWarning) for w in rec) == 4


def test_error_in_threaded_scoring_propagates(monkeypatch) -> None:
    import oot.evaluate._engine as engine

    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise FloatingPointError("scoring broke")

    monkeypatch.setattr(engine, "score_windows", broken)
    with pytest.raises(FloatingPointError, match="scoring broke"):
        evaluate_out_of_time(make_frame(n=3000), LogisticRegression(), metric="roc_auc",
                             **KW)
    assert len(calls) in (1, 2)  # stops at the first failed anchor's scoring (+1 queued)


@pytest.mark.parametrize("shuffle", [False, True])
def test_in_place_transformer_changes_neither_the_data_nor_later_anchors(shuffle) -> None:
    """scikit-learn lets copy=False transformers write into a DataFrame's memory (it
    makes pandas 3's read-only views writeable again). Anchors share rows, so a scaler
    that wrote into the engine's feature array would scale the rows of later anchors
    twice; the engine's array cannot be made writeable, so scikit-learn copies."""
    from sklearn.preprocessing import StandardScaler

    df = make_frame(n=3000)
    if shuffle:
        df = df.sample(frac=1.0, random_state=2)
    before = df.copy()
    kw = dict(KW, anchors=4, anchor_step="10D")  # 90-day windows 10 days apart
    in_place = evaluate_out_of_time(df, make_pipeline(StandardScaler(copy=False),
                                                      LogisticRegression()),
                                    metric="log_loss", **kw)
    pd.testing.assert_frame_equal(df, before)
    copying = evaluate_out_of_time(df, make_pipeline(StandardScaler(), LogisticRegression()),
                                   metric="log_loss", **kw)
    pd.testing.assert_frame_equal(in_place.scores, copying.scores)


def test_parallel_workers_get_the_read_only_features_through_memmaps() -> None:
    """Slices over 1 MB reach loky workers as memory maps of the engine's read-only
    feature array; the scores equal the serial run's."""
    df = make_frame(n=60_000, days=365)  # training slices of ~2 MB
    kw = dict(KW, anchors=3)
    serial = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", n_jobs=1, **kw)
    par = evaluate_out_of_time(df, LogisticRegression(), metric="roc_auc", n_jobs=2, **kw)
    pd.testing.assert_frame_equal(serial.scores, par.scores, check_exact=False, rtol=1e-12)


# ------------------------------------------------------------------ random state
def test_engine_seeds_come_from_one_conversion_of_random_state() -> None:
    """A Generator or RandomState seeds the anchors as the int it draws would (one draw
    in [0, 2**31 - 1)); the per-anchor seeds are numpy SeedSequence children of it."""
    from sklearn.ensemble import RandomForestClassifier

    from oot.evaluate._shared import _seeds

    children = np.random.SeedSequence(7).spawn(6)
    est, score = _seeds(7, 3)
    assert est == [int(c.generate_state(1)[0] % (2**31 - 1)) for c in children[:3]]
    assert score == [int(c.generate_state(1)[0]) for c in children[3:]]
    assert _seeds(None, 2)[0] == [None, None]
    assert _seeds(None, 2)[1] == _seeds(0, 2)[1]

    df = make_frame(n=2000)
    est_ = RandomForestClassifier(n_estimators=5, max_features=1)
    runs = {}
    for name, rs in [("int_gen", int(np.random.default_rng(3).integers(0, 2**31 - 1))),
                     ("gen", np.random.default_rng(3)),
                     ("int_rs", int(np.random.RandomState(3).randint(0, 2**31 - 1))),
                     ("rs", np.random.RandomState(3))]:
        runs[name] = evaluate_out_of_time(df, est_, metric="roc_auc", random_state=rs,
                                          **KW).scores["score"]
    pd.testing.assert_series_equal(runs["gen"], runs["int_gen"])
    pd.testing.assert_series_equal(runs["rs"], runs["int_rs"])
    assert not runs["gen"].equals(runs["rs"])  # the seeds do reach the forest
