"""The engine and the target encoding under hostile input (issue 12, part B).

Each section is one defect class: the estimator's output (wrong shape, NaN, out of
range, not labels), label metrics on non-labels, the order of rows with equal
timestamps, raw exceptions from inside, failing fits under ``on_error="raise"``, and
the windows a metric cannot score because a class is missing.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

from oot import (
    EstimatorFitError,
    InvalidParameterError,
    WindowWarning,
    evaluate_out_of_time,
    evaluate_predictions,
)
from oot.metrics import available, get_metric


def _frame(n: int = 1500, days: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, days, n))
    df = pd.DataFrame({"ts": pd.Timestamp("2020-01-01") + pd.to_timedelta(t, "D"),
                       "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = (df["x1"] + rng.normal(size=n) > 0).astype(np.int64)
    df["r"] = 2 * df["x1"] + rng.normal(size=n)
    return df


DF = _frame()
KW: dict[str, Any] = dict(target="y", time="ts", features=["x1", "x2"], train_window="120D",
                          eval_window="60D", anchors=3, min_window_size=5)
REG = dict(KW, target="r", metric="mae")


def eot(estimator: Any, data: pd.DataFrame | None = None, **kw: Any) -> Any:
    args = dict(KW)
    args.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        return evaluate_out_of_time(DF if data is None else data, estimator, **args)


# ============================================================ the estimator's output
class ProbaRows(LogisticRegression):
    """predict_proba drops the last row."""

    def predict_proba(self, X: Any) -> Any:
        return super().predict_proba(X)[:-1]


class ProbaNaN(LogisticRegression):
    """predict_proba is NaN on the first row."""

    def predict_proba(self, X: Any) -> Any:
        p = super().predict_proba(X)
        p[0] = np.nan
        return p


class ProbaDoubled(LogisticRegression):
    """predict_proba returns twice the probabilities (up to 2)."""

    def predict_proba(self, X: Any) -> Any:
        return 2 * super().predict_proba(X)


class ProbaColumns(LogisticRegression):
    """predict_proba has one column too many."""

    def predict_proba(self, X: Any) -> Any:
        p = super().predict_proba(X)
        return np.hstack([p, p[:, :1]])


class DecisionInf(LogisticRegression):
    """decision_function is infinite on one row (and there is no predict_proba)."""

    def decision_function(self, X: Any) -> Any:
        d = super().decision_function(X)
        d[3] = np.inf
        return d

    def __getattribute__(self, name: str) -> Any:
        if name == "predict_proba":
            raise AttributeError(name)
        return super().__getattribute__(name)


class PredictNaN(LinearRegression):
    """A regressor whose predictions have a NaN."""

    def predict(self, X: Any) -> Any:
        p = super().predict(X)
        p[1] = np.nan
        return p


class PredictShort(LinearRegression):
    """A regressor that returns one prediction too few."""

    def predict(self, X: Any) -> Any:
        return super().predict(X)[1:]


class PredictStrings(LogisticRegression):
    """A classifier whose labels come back as strings ("1"/"0" for an int target)."""

    def predict(self, X: Any) -> Any:
        return super().predict(X).astype(str)


class FailsOnRows(LogisticRegression):
    """Its predict_proba drops a row only for models fitted on ``bad_n`` rows."""

    def __init__(self, bad_n: int = 0, C: float = 1.0) -> None:
        super().__init__(C=C)
        self.bad_n = bad_n

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        super().fit(X, y, sample_weight)
        self.n_fit_ = len(X)
        return self

    def predict_proba(self, X: Any) -> Any:
        p = super().predict_proba(X)
        return p[:-1] if self.n_fit_ == self.bad_n else p


OUTPUT_CASES = [
    pytest.param(ProbaRows(), {}, "predict_proba returned 1 row fewer than asked for",
                 id="proba-rows"),
    pytest.param(ProbaNaN(), {}, "predict_proba returned 2 missing or infinite value(s)",
                 id="proba-nan"),
    pytest.param(ProbaDoubled(), {"metric": "log_loss"},
                 "predict_proba returned probabilities outside [0, 1] (from ",
                 id="proba-out-of-range"),
    pytest.param(ProbaColumns(), {}, "predict_proba returned 3 columns for the estimator's 2 "
                 "classes", id="proba-columns"),
    pytest.param(DecisionInf(), {}, "decision_function returned 1 missing or infinite",
                 id="decision-inf"),
    pytest.param(PredictNaN(), REG, "predict returned 1 missing or infinite value(s)",
                 id="regression-nan"),
    pytest.param(PredictShort(), REG, "predict returned 1 row fewer than asked for",
                 id="regression-rows"),
    pytest.param(PredictStrings(), {"metric": "accuracy"},
                 "predict returned labels of dtype <U", id="labels-as-strings"),
]


@pytest.mark.parametrize(("estimator", "kw", "part"), OUTPUT_CASES)
def test_bad_output_is_the_estimators_fault_naming_the_anchor(
        estimator: Any, kw: dict[str, Any], part: str) -> None:
    with pytest.raises(EstimatorFitError) as info:
        eot(estimator, **kw)
    msg = str(info.value)
    assert msg.startswith("Anchor 1 of 3 (cutoff 2020-04-30 00:00:00, "), msg
    assert "the estimator's output is unusable: " in msg, msg
    assert part in msg, msg
    assert "score_windows" not in msg
    assert "Pass on_error='skip'" in msg


@pytest.mark.parametrize(("estimator", "kw", "part"), OUTPUT_CASES)
def test_bad_output_under_skip_fails_every_anchor_with_the_reason(
        estimator: Any, kw: dict[str, Any], part: str) -> None:
    with pytest.raises(EstimatorFitError, match=re.escape(
            "Every anchor's model failed (3 of 3); the first: output is unusable: ")) as info:
        eot(estimator, on_error="skip", **kw)
    assert part in str(info.value)


def test_bad_output_of_one_anchor_is_isolated_under_skip() -> None:
    good = eot(LogisticRegression())
    n_train = good.anchors["n_train"].tolist()
    assert n_train[1] not in (n_train[0], n_train[2])
    ev = eot(FailsOnRows(bad_n=n_train[1]), on_error="skip")
    a = ev.anchors.set_index("anchor")
    assert a["status"].tolist() == ["ok", "failed", "ok"]
    assert a.loc[2, "message"].startswith(
        "output is unusable: predict_proba returned 1 row fewer than asked for")
    sc = ev.scores
    assert (sc.loc[sc["anchor"] == 2, "status"] == "anchor_failed").all()
    pd.testing.assert_frame_equal(sc[sc["anchor"] != 2], good.scores[good.scores["anchor"] != 2])


def test_probabilities_a_rounding_error_outside_the_range_are_accepted() -> None:
    class Nudged(LogisticRegression):
        def predict_proba(self, X: Any) -> Any:
            p = super().predict_proba(X)
            p[0] = [1 + 1e-13, -1e-13]
            return p

    ev = eot(Nudged(), metric="log_loss")
    assert (ev.scores["status"] == "ok").all()


# ================================================================ labels, not values
def test_a_regressor_with_a_label_metric_is_refused_up_front() -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'estimator' parameter of evaluate_out_of_time must be a classifier for the "
            "label metric 'accuracy' (it compares predicted labels with the target). Got "
            "LinearRegression() instead. Use a classifier, or a regression metric such as "
            "'rmse' or 'mae' for a numeric target.")):
        eot(LinearRegression(), metric="accuracy")


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "f1", "precision",
                                    "recall"])
def test_continuous_predictions_for_a_label_metric_fail_the_anchor(metric: str) -> None:
    class Soft(LogisticRegression):  # a classifier that predicts probabilities
        def predict(self, X: Any) -> Any:
            return self.predict_proba(X)[:, 1]

    with pytest.raises(EstimatorFitError, match=re.escape(
            "the estimator's output is unusable: predict returned labels of dtype float64 "
            "(e.g. ")) as info:
        eot(Soft(), metric=metric)
    assert ("that are not classes of the target column 'y' (int64: [0, 1])"
            in str(info.value))


def test_unseen_labels_of_a_multiclass_target_are_not_taken_for_another_class() -> None:
    df = DF.assign(y=np.where(DF["x1"] > 0.5, 3, np.where(DF["x1"] < -0.5, 0, 1)))

    class Shifted(LogisticRegression):  # predicts 2 where it means 3: not a class
        def predict(self, X: Any) -> Any:
            p = super().predict(X)
            return np.where(p == 3, 2, p)

    with pytest.raises(EstimatorFitError, match=re.escape(
            "predict returned labels of dtype int64 (e.g. 2) that are not classes of the "
            "target column 'y' (int64: [0, 1, 3])")):
        eot(Shifted(), data=df, metric="accuracy")


def _preds(p: Any, y: Any = None) -> pd.DataFrame:
    return DF.assign(p=p) if y is None else DF.assign(p=p, y=y)


EP = dict(y_true="y", y_pred="p", time="ts", cutoff="2020-03-01", eval_window="60D",
          min_window_size=5, metric="accuracy")


def test_string_labels_against_an_integer_target_are_refused() -> None:
    df = _preds(np.where(DF["x1"] > 0, "1", "0"))
    n_after = int((DF["ts"] >= "2020-03-01").sum())
    with pytest.raises(InvalidParameterError) as info:
        evaluate_predictions(df, **EP)
    msg = str(info.value)
    head, _got, tail = re.split(r" Got ('[01]') instead\. ", msg)
    assert head == (
        "The 'y_pred' parameter of evaluate_predictions must be a column of labels of the "
        "target column 'y' (int64: [0, 1]) for the label metric 'accuracy'.")
    assert re.fullmatch(re.escape(f"{n_after} of {n_after} values of column 'p' (dtype ")
                        + r"[^)]+" + re.escape(
        ") after the cutoff are not classes of the target. Convert it to the target's "
        "type first, e.g. data['p'].astype('int64')."), tail), tail


def test_scores_for_a_label_metric_are_refused_with_the_fix() -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(
            "are not classes of the target. Pass predicted labels, not scores; for "
            "probabilities use a metric such as 'roc_auc' or 'log_loss'.")):
        evaluate_predictions(_preds(np.clip(0.5 + DF["x1"] / 4, 0, 1)), **EP)


def test_matching_labels_of_another_dtype_are_accepted() -> None:
    a = evaluate_predictions(_preds((DF["x1"] > 0).astype(np.int64)), **EP)
    b = evaluate_predictions(_preds((DF["x1"] > 0).astype(float)), **EP)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    ref = DF["y"] == (DF["x1"] > 0)
    assert a.scores["score"].iloc[0] == pytest.approx(
        ref[(DF["ts"] >= "2020-03-01") & (DF["ts"] < "2020-04-30")].mean(), abs=1e-12)


_LABEL_METRICS = ["accuracy", "balanced_accuracy", "f1", "precision", "recall"]


@st.composite
def _wrong_predictions(draw: st.DrawFn) -> tuple[str, np.ndarray, np.ndarray]:
    """A label metric, a target of one type and predictions of another."""
    n = len(DF)
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    target = draw(st.sampled_from(["int", "str", "bool"]))
    k = draw(st.integers(2, 4)) if target != "bool" else 2
    codes = rng.integers(0, k, n)
    codes[:k] = np.arange(k)
    if target == "int":
        y: np.ndarray = codes.astype(np.int64) * draw(st.sampled_from([1, 7]))
    elif target == "str":
        y = np.array(["a", "b", "c", "d"])[codes].astype(object)
    else:
        y = codes.astype(bool)
    kind = draw(st.sampled_from(["continuous", "strings-of-numbers", "other-strings",
                                 "shifted-ints"] if target != "str" else
                                ["continuous", "ints", "other-strings"]))
    pc = rng.integers(0, k, n)
    if kind == "continuous":
        p: np.ndarray = rng.random(n) + draw(st.sampled_from([0.0, 0.5]))
    elif kind == "strings-of-numbers":
        p = np.asarray(y if target != "bool" else codes, dtype=np.int64)[pc].astype(str)
        p = p.astype(object) if draw(st.booleans()) else p
    elif kind == "other-strings":
        p = np.array(["x", "y", "z", "w"])[pc].astype(object)
    elif kind == "ints":
        p = pc.astype(np.int64)
    else:
        p = (np.asarray(y, dtype=np.int64) + 1000)[pc]
    return draw(st.sampled_from(_LABEL_METRICS)), y, p


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_wrong_predictions())
def test_random_wrong_typed_predictions_always_raise(
        case: tuple[str, np.ndarray, np.ndarray]) -> None:
    metric, y, p = case
    df = _preds(p, y)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'y_pred' parameter of evaluate_predictions must be a column of labels of "
            "the target column 'y' (")):
        evaluate_predictions(df, **dict(EP, metric=metric))


def test_dummy_classifier_on_labels_is_accepted() -> None:
    ev = eot(DummyClassifier(strategy="most_frequent"), metric="accuracy")
    assert (ev.scores["status"] == "ok").all()


# ================================================== on_error="raise" stops at once
class CountsFits(LogisticRegression):
    """Appends a line to ``log`` at each fit; fails on models fitted on ``bad_n`` rows,
    and sleeps ``delay`` seconds in the others, but for ``fast_n`` rows."""

    def __init__(self, log: str = "", bad_n: int = -1, delay: float = 0.0,
                 fast_n: int = -1, C: float = 1.0) -> None:
        super().__init__(C=C)
        self.log, self.bad_n, self.delay, self.fast_n = log, bad_n, delay, fast_n

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        import time

        with open(self.log, "a") as fh:
            fh.write(f"{len(X)}\n")
        if len(X) == self.bad_n:
            msg = f"refusing {len(X)} rows"
            raise ValueError(msg)
        if len(X) != self.fast_n:
            time.sleep(self.delay)
        return super().fit(X, y, sample_weight)


def _n_train(anchors: int) -> list[int]:
    return [int(v) for v in eot(LogisticRegression(), anchors=anchors, train_window="60D",
                                eval_window="30D").anchors["n_train"]]


@pytest.mark.parametrize(("n_jobs", "bad"), [(None, 1), (2, 0)])
def test_on_error_raise_stops_at_the_first_failed_fit(n_jobs: int | None, bad: int,
                                                      tmp_path: Any) -> None:
    n_train = _n_train(10)
    assert n_train.count(n_train[bad]) == 1
    log = tmp_path / "fits.txt"
    est = CountsFits(log=str(log), bad_n=n_train[bad], delay=0.3)
    cutoff = "2020-03-31" if bad == 1 else "2020-03-01"
    with pytest.raises(EstimatorFitError, match=re.escape(
            f"Anchor {bad + 1} of 10 (cutoff {cutoff} 00:00:00, ")) as info:
        eot(est, anchors=10, train_window="60D", eval_window="30D", n_jobs=n_jobs)
    assert "the estimator's fit failed: ValueError: refusing " in str(info.value)
    fits = log.read_text().split()
    if n_jobs is None:
        # serially: anchors 1 and 2 only
        assert fits == [str(n_train[0]), str(n_train[1])]
    else:
        # with two workers the failure is the first result (anchor 1 fails at once);
        # the other worker may have started a few slow fits by then, never all ten.
        # (A failure at anchor 2 waits for anchor 1's slow fit, and a loaded machine
        # can then let the second worker run far ahead: the bound would be timing.)
        assert str(n_train[0]) in fits
        assert len(fits) < 10, fits


def test_on_error_skip_still_tries_every_anchor(tmp_path: Any) -> None:
    n_train = _n_train(4)
    log = tmp_path / "fits.txt"
    ev = eot(CountsFits(log=str(log), bad_n=n_train[1]), anchors=4, train_window="60D",
             eval_window="30D", on_error="skip")
    assert ev.anchors["status"].tolist() == ["ok", "failed", "ok", "ok"]
    assert len(log.read_text().split()) == 4


# ================================================= rows with equal timestamps
def _daily(n: int = 1200, seed: int = 1) -> pd.DataFrame:
    """Daily timestamps, about ten rows a day: every row shares its timestamp."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"ts": pd.Timestamp("2021-01-01")
                       + pd.to_timedelta(rng.integers(0, 120, n), "D"),
                       "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = (df["x1"] - df["x2"] + rng.normal(size=n) > 0).astype(np.int64)
    df["r"] = df["x1"] * df["x2"] + rng.normal(scale=0.3, size=n)
    return df.sort_values("ts", kind="stable").reset_index(drop=True)


def _shuffled(df: pd.DataFrame, seed: int, index: bool) -> pd.DataFrame:
    out = df.sample(frac=1.0, random_state=seed)
    if index:  # a shuffled index too: the original positions are lost
        out.index = np.random.default_rng(seed).permutation(len(out)) + 10_000
    else:
        out = out.reset_index(drop=True)
    return out


DAILY_KW: dict[str, Any] = dict(time="ts", features=["x1", "x2"], train_window="30D",
                                eval_window="15D", anchors=4, min_window_size=5,
                                random_state=3)


@pytest.mark.parametrize("index", [False, True])
@pytest.mark.parametrize(("target", "metric"), [("y", "roc_auc"), ("r", "rmse")])
def test_shuffled_rows_give_a_seeded_forest_identical_results(
        index: bool, target: str, metric: str) -> None:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    df = _daily()
    est = (RandomForestClassifier(n_estimators=15, max_features=1) if target == "y"
           else RandomForestRegressor(n_estimators=15, max_features=1))
    kw = dict(DAILY_KW, target=target, metric=metric)
    a = evaluate_out_of_time(df, est, **kw)
    for seed in (0, 1):
        b = evaluate_out_of_time(_shuffled(df, seed, index), est, **kw)
        pd.testing.assert_frame_equal(a.scores, b.scores, check_exact=True)


def _hit_rate(y_true: Any, y_pred: Any) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


@pytest.mark.parametrize("metric", ["f1", "custom"])
def test_shuffled_rows_give_identical_bootstrap_standard_errors(metric: str) -> None:
    from oot import Metric

    m: Any = metric if metric != "custom" else Metric(
        "hits", func=_hit_rate, greater_is_better=True, task="classification")
    df = _daily().assign(p=lambda d: (d["x1"] > d["x2"]).astype(np.int64))
    kw: dict[str, Any] = dict(y_true="y", y_pred="p", time="ts", cutoff="2021-01-20",
                              eval_window="15D", min_window_size=5, metric=m,
                              random_state=0)
    a = evaluate_predictions(df, **kw)
    assert a.scores["se"].notna().all()
    b = evaluate_predictions(_shuffled(df, 5, True), **kw)
    pd.testing.assert_frame_equal(a.scores, b.scores, check_exact=True)


def test_the_input_order_of_equal_rows_does_not_matter_but_values_do() -> None:
    # two rows with one timestamp and one value each are interchangeable; the order
    # comes from the values, so the canonical order is that of the sorted values
    from oot.evaluate._shared import _canonical_order
    from oot.windows import TimeAxis

    df = pd.DataFrame({"t": [2.0, 1.0, 1.0, 1.0, 0.0], "x": [5.0, 9.0, 7.0, 9.0, 1.0]})
    ax = TimeAxis.from_column(df, "t")
    order, is_sorted = _canonical_order(ax, df, ["x"])
    assert not is_sorted
    assert order[0] == 4
    assert order[-1] == 0
    assert sorted(order[1:4].tolist()) == [1, 2, 3]
    flipped = df.iloc[[0, 3, 2, 1, 4]].reset_index(drop=True)
    order2, _ = _canonical_order(TimeAxis.from_column(flipped, "t"), flipped, ["x"])
    assert df["x"].to_numpy()[order].tolist() == flipped["x"].to_numpy()[order2].tolist()


# ====================================== raw exceptions from the engine and the target
def _y(values: Any) -> pd.DataFrame:
    return DF.assign(y=values)


_MIXED = pd.Series([1 if v else "no" for v in DF["y"]], dtype=object)
_LISTS = pd.Series([[v] for v in DF["y"]], dtype=object)


RAW_CASES = [
    pytest.param(lambda: eot(LogisticRegression(), data=_y(_MIXED)),
                 "The target column 'y' mixes types of label (int, str), which cannot be "
                 "ordered into classes. Convert it to one type first, e.g. "
                 "data['y'].astype(str).", id="target-mixed-types"),
    pytest.param(lambda: eot(LogisticRegression(), data=_y(_LISTS)),
                 "The target column 'y' holds values of type list, which cannot be class "
                 "labels. Use one number or string per row.", id="target-lists"),
    pytest.param(lambda: eot(LinearRegression(), data=DF.assign(r=DF["r"] + 1j), **REG),
                 "Metric 'mae' is a regression metric, but the target column 'r' is not "
                 "real-valued (dtype complex128). Use a real-valued target.",
                 id="target-complex"),
    pytest.param(lambda: eot(LogisticRegression(), data=_y(DF["ts"])),
                 f"The target column 'y' holds datetimes (dtype {DF['ts'].dtype}), which "
                 "cannot be a target. Check the target column, or convert it to numbers "
                 "first.", id="target-datetimes"),
    pytest.param(lambda: eot(LogisticRegression(), pos_label=[1], metric="f1"),
                 "The 'pos_label' parameter of evaluate_out_of_time must be one of the "
                 "target's classes [0, 1]. Got [1] instead.", id="pos-label-unhashable"),
    pytest.param(lambda: eot(LogisticRegression(), features=["x1", "x1"]),
                 "The 'features' parameter of evaluate_out_of_time must be a list of distinct "
                 "columns. Got ['x1', 'x1'] instead. 'x1' is listed 2 times.",
                 id="features-repeated"),
    pytest.param(lambda: eot(LogisticRegression(), features=5),
                 "The 'features' parameter of evaluate_out_of_time must be a list of column "
                 "names. Got 5 instead.", id="features-not-a-list"),
    pytest.param(lambda: eot(LogisticRegression(), features={"x1", "x2"}),
                 "The 'features' parameter of evaluate_out_of_time must be a list of column "
                 "names in order (the estimator sees them in that order; a set has none). "
                 "Got {'x", id="features-a-set"),
    pytest.param(lambda: eot(LogisticRegression(), features=None, data=DF[
                     ["ts", "x1", "x2", "y"]].set_axis(["ts", "x1", "x1", "y"], axis=1)),
                 "The 'data' parameter of evaluate_out_of_time must be a DataFrame whose "
                 "feature columns have distinct names. Got ['x1', 'x1'] instead. Rename or "
                 "drop the repeated columns, or name the features to use.",
                 id="frame-repeats-a-feature"),
    pytest.param(lambda: evaluate_predictions(DF.assign(p=0.5), **dict(EP, y_pred=5)),
                 "The 'y_pred' parameter of evaluate_predictions must be a column of the "
                 "DataFrame. Got 5 instead. Columns are: 'ts', ", id="ep-y-pred-not-a-list"),
    pytest.param(lambda: evaluate_predictions(DF, **dict(EP, y_pred="ts")),
                 "The 'y_pred' parameter of evaluate_predictions must be columns other than "
                 "the time and y_true columns. Got 'ts' instead.", id="ep-y-pred-is-time"),
    pytest.param(lambda: evaluate_predictions(DF, **dict(EP, y_pred="y")),
                 "The 'y_pred' parameter of evaluate_predictions must be columns other than "
                 "the time and y_true columns. Got 'y' instead.", id="ep-y-pred-is-y-true"),
    pytest.param(lambda: evaluate_predictions(DF.assign(p=0.5), **dict(EP, y_true="ts")),
                 "The 'y_true' parameter of evaluate_predictions must be a column other than "
                 "the time column. Got 'ts' instead.", id="ep-y-true-is-time"),
    pytest.param(lambda: evaluate_predictions(DF.assign(p=0.5 + 0j),
                                              **dict(EP, metric="roc_auc")),
                 "The prediction column 'p' must hold real numbers for metric 'roc_auc' "
                 "(dtype complex128).", id="ep-complex-predictions"),
]


@pytest.mark.parametrize(("call", "message"), RAW_CASES)
def test_raw_exceptions_become_our_error(call: Any, message: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        call()
    assert message in str(info.value), str(info.value)


def test_boolean_labels_match_an_integer_target_and_back() -> None:
    a = evaluate_predictions(_preds(DF["x1"] > 0), **EP)
    b = evaluate_predictions(_preds((DF["x1"] > 0).astype(np.int64)), **EP)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    c = evaluate_predictions(_preds((DF["x1"] > 0).astype(np.int64), DF["y"] == 1), **EP)
    pd.testing.assert_frame_equal(a.scores.drop(columns=["n_pos", "n_neg"]),
                                  c.scores.drop(columns=["n_pos", "n_neg"]))


# ============================================ a class missing from some windows
def _three_classes(gone_after: int | None = 200) -> pd.DataFrame:
    """Three classes; class 2 never occurs after day ``gone_after``."""
    df = DF.assign(y=np.where(DF["x1"] > 0.5, 2, np.where(DF["x1"] < -0.5, 0, 1)))
    if gone_after is not None:
        late = (df["ts"] - df["ts"].min()).dt.days > gone_after
        df.loc[late & (df["y"] == 2), "y"] = 1
    return df


def test_windows_missing_a_class_say_which_class_and_the_fix() -> None:
    df = _three_classes()
    with pytest.warns(WindowWarning) as record:
        ev = evaluate_out_of_time(df, LogisticRegression(), **KW)
    sc = ev.scores
    present = {(a, w): set(df.loc[(df["ts"] >= s) & (df["ts"] < e), "y"])
               for a, w, s, e in sc[["anchor", "window", "window_start", "window_end"]]
               .itertuples(index=False)}
    missing = sorted(k for k, v in present.items() if v != {0, 1, 2})
    assert missing  # the data make some
    got = sorted(map(tuple, sc.loc[sc["status"] == "missing_class",
                                   ["anchor", "window"]].to_numpy().tolist()))
    assert got == missing
    assert (sc.loc[sc["status"] != "missing_class", "status"] == "ok").all()
    msg = str(record[0].message)
    assert f"{len(missing)} missing a class (the metric needs every class)" in msg
    assert f"Class 2 is absent from {len(missing)} windows (anchor 1: window" in msg
    assert ("ROC AUC averages one-vs-rest scores over every class, so a window without "
            "one has no score: use a metric defined without it ('log_loss' or "
            "'accuracy'), merge the class with another, or, if it is only rare, use a "
            "longer eval_window.") in msg


def test_other_windows_keep_their_multiclass_auc() -> None:
    from sklearn.metrics import roc_auc_score

    df = _three_classes()
    with pytest.warns(WindowWarning):
        ev = evaluate_out_of_time(df, LogisticRegression(), **KW)
    ok = ev.scores[ev.scores["status"] == "ok"]
    assert len(ok) > 0
    row = ok.iloc[0]
    train = df[(df["ts"] >= row["train_start"]) & (df["ts"] < row["cutoff"])]
    model = LogisticRegression().fit(train[["x1", "x2"]], train["y"])
    win = df[(df["ts"] >= row["window_start"]) & (df["ts"] < row["window_end"])]
    ref = roc_auc_score(win["y"], model.predict_proba(win[["x1", "x2"]]), multi_class="ovr")
    assert row["score"] == pytest.approx(ref, abs=1e-9)


def test_the_recommendation_explains_windows_lost_to_a_missing_class() -> None:
    from oot import NotEnoughWindowsError, recommend_retrain_interval

    df = _three_classes(gone_after=130)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        with pytest.raises(NotEnoughWindowsError) as info:
            recommend_retrain_interval(df, LogisticRegression(), **KW)
    msg = str(info.value)
    assert "missing a class (the metric needs every class)" in msg
    assert "use a metric defined without it ('log_loss' or 'accuracy')" in msg
    assert "a smaller min_window_size" not in msg


# ====================================================== string labels: which is positive
def test_string_labels_say_which_class_is_positive_once() -> None:
    from oot import OOTWarning

    df = DF.assign(y=np.where(DF["y"] == 1, "churn", "stay"))
    with pytest.warns(OOTWarning) as record:
        ev = evaluate_out_of_time(df, LogisticRegression(), **dict(KW, metric="f1"))
    texts = [str(w.message) for w in record if "positive class" in str(w.message)]
    assert texts == [
        "The target column 'y' has the string labels ['churn', 'stay']; metric 'f1' "
        "takes the greater one, 'stay', as the positive class (the order of the strings). "
        "Pass pos_label='stay' to confirm it (and silence this warning), or "
        "pos_label='churn'."]
    assert record[0].filename == __file__
    assert ev.params["pos_label"] == "stay"


@pytest.mark.parametrize(("y", "pos_label"), [
    (np.where(DF["y"] == 1, "churn", "stay"), "churn"),
    (DF["y"], None),
    (DF["y"] == 1, None),
])
def test_no_warning_when_the_positive_class_is_given_or_numeric(y: Any,
                                                               pos_label: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eot(LogisticRegression(), data=DF.assign(y=y), pos_label=pos_label, metric="f1")


# ================================== the fresh reference needs windows that line up
def _long(n: int = 6000, days: int = 900) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.sort(rng.integers(0, days, n))
    df = pd.DataFrame({"ts": pd.Timestamp("2020-01-01") + pd.to_timedelta(t, "D"),
                       "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = (df["x1"] + rng.normal(size=n) > 0).astype(np.int64)
    return df


FRESH: dict[str, Any] = dict(target="y", time="ts", features=["x1", "x2"],
                             train_window="180D", eval_window="30D", anchors=6,
                             min_window_size=5)


@pytest.mark.parametrize(("step", "suggest"), [("61D", "60D"), ("45D", "30D"),
                                               ("100D", "90D")])
def test_fresh_reference_with_anchors_off_the_window_grid_says_so(step: str,
                                                                  suggest: str) -> None:
    from oot import fit_degradation, recommend_retrain_interval

    ev = evaluate_out_of_time(_long(), LogisticRegression(), anchor_step=step, **FRESH)
    msg = (f"The 'reference' parameter of fit_degradation must be 'baseline' when the "
           f"anchors are not a whole number of evaluation windows apart (here "
           f"anchor_step={step!r} and eval_window='30D'; the fresh reference compares "
           f"models on the same calendar window). Got 'fresh' instead. Evaluate with "
           f"anchor_step=None (anchors one window apart) or a multiple of eval_window, "
           f"such as anchor_step={suggest!r}.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        fit_degradation(ev, reference="fresh")
    with pytest.raises(InvalidParameterError, match=re.escape(
            msg.replace("fit_degradation", "recommend_retrain_interval"))):
        recommend_retrain_interval(_long(), LogisticRegression(), anchor_step=step,
                                   reference="fresh", n_bootstrap=50, **FRESH)


def test_fresh_reference_without_a_shared_window_says_so() -> None:
    from oot import OOTEvaluation, fit_degradation

    # from a frame, cutoffs two windows apart but each anchor scored one window only
    frame = pd.DataFrame({
        "anchor": [1, 2, 3, 4], "age": [15.0, 15.0, 15.0, 15.0],
        "window_start": [0.0, 60.0, 120.0, 180.0], "score": [0.8, 0.79, 0.78, 0.8],
        "se": 0.01})
    ev = OOTEvaluation.from_frame(frame, metric="roc_auc", time_kind="numeric")
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'reference' parameter of fit_degradation must be 'baseline' when no two "
            "anchors score the same calendar window (no window_start of one anchor's "
            "first window is scored by an older anchor). Got 'fresh' instead. The fresh "
            "reference needs anchors one eval_window apart (or a multiple of it) and a "
            "horizon that reaches the next anchor's windows.")):
        fit_degradation(ev, reference="fresh")


def test_fresh_reference_on_the_grid_still_works() -> None:
    from oot import fit_degradation

    for step in (None, "60D", "90D"):
        ev = evaluate_out_of_time(_long(), LogisticRegression(), anchor_step=step, **FRESH)
        c = fit_degradation(ev, reference="fresh", curve="linear")
        assert c.n_windows == 21


def test_fresh_reference_off_the_grid_with_numeric_time() -> None:
    from oot import fit_degradation

    df = _long().assign(ts=lambda d: (d["ts"] - d["ts"].min()).dt.days.astype(float))
    ev = evaluate_out_of_time(df, LogisticRegression(), **{
        **FRESH, "train_window": 180, "eval_window": 30, "anchor_step": 45})
    with pytest.raises(InvalidParameterError, match=re.escape(
            "(here anchor_step=45 and eval_window=30; the fresh reference compares models "
            "on the same calendar window). Got 'fresh' instead. Evaluate with "
            "anchor_step=None (anchors one window apart) or a multiple of eval_window, "
            "such as anchor_step=30.")):
        fit_degradation(ev, reference="fresh")
    assert fit_degradation(ev, reference="baseline", curve="linear").n_windows > 0


def test_fresh_reference_with_one_anchor_says_so() -> None:
    from oot import fit_degradation

    ev = evaluate_out_of_time(_long(), LogisticRegression(), **{**FRESH, "anchors": 1})
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'reference' parameter of fit_degradation must be 'baseline' when the "
            "evaluation has a single anchor (the fresh reference compares older models "
            "with a fresh one on the same calendar window). Got 'fresh' instead. "
            "Evaluate with more anchors, one eval_window apart.")):
        fit_degradation(ev, reference="fresh")


# ============================ a label or probability metric on a continuous target
@pytest.mark.parametrize("metric", [m for m in available()
                                    if get_metric(m).task in ("binary", "classification")])
def test_any_classification_metric_on_a_continuous_target_says_it_looks_continuous(
        metric: str) -> None:
    # binary-only metrics said "needs a binary target, but column 'r' has 1500 classes"
    # and advised a multiclass metric, which is refused in turn
    msg = (f"Metric {metric!r} is a classification metric, but the target column 'r' "
           "looks continuous (1500 distinct float values). Use a regression metric such "
           "as 'rmse' or 'mae'.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        evaluate_out_of_time(DF, LogisticRegression(), **{**KW, "target": "r"},
                             metric=metric)
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        evaluate_predictions(DF, y_true="r", y_pred="x1", time="ts", eval_window="60D",
                             cutoff="2020-03-01", metric=metric)
