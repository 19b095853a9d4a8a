"""compare_candidates' inputs and warnings: polars (eager and lazy) and pyarrow frames
give exactly the pandas comparison, and the evaluation's warnings (the positive class of
string labels, the windows missing a class) are said as evaluate_out_of_time says them.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import oot
from oot import CandidateComparison, OOTWarning, PositiveClassWarning, WindowWarning

from .test_frames import FEATURES, KINDS, convert, mixed_frame, mixed_model, pa, pl

PLAN: dict[str, Any] = dict(target="y", time="ts", metric="roc_auc", train_window="120D",
                            eval_window="30D", anchors=3, anchor_step="30D",
                            min_window_size=20, n_bootstrap=40, random_state=0)


def candidates() -> dict[str, Any]:
    """The model on every feature (strings, categories, nulls), the model on half a
    year of history, and a rule on two columns (one of them a string column)."""
    return {"model": mixed_model(),
            "long": (mixed_model(), {"train_window": "180D"}),
            "rule": (rule_model(), {"features": ["x0", "region"]})}


def rule_model() -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    pre = ColumnTransformer([("num", "passthrough", ["x0"]), (
        "cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                             OneHotEncoder(handle_unknown="ignore")), ["region"])])
    return make_pipeline(pre, LogisticRegression())


def comparable(cmp: CandidateComparison) -> dict[str, Any]:
    """Everything a comparison says, but the measured fit and predict seconds."""
    def no_times(df: pd.DataFrame) -> pd.DataFrame:
        return df.drop(columns=["fit_time", "predict_time"], errors="ignore")

    return {
        "verdict": cmp.verdict(), "summary": no_times(cmp.summary()),
        "pairs": cmp.pairs_frame(), "scores": cmp.to_frame(),
        "differences": cmp.differences(), "specs": cmp.specs,
        "params": {n: cmp[n].evaluation.params for n in cmp.candidates},
        "anchors": {n: no_times(cmp[n].evaluation.anchors) for n in cmp.candidates},
        "data_info": cmp.data_info,
        "curves": {n: cmp[n].curve.to_dict() for n in cmp.candidates},
        "pair_curves": [p.curve.to_dict() for p in cmp.pairs],
    }


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], pd.DataFrame):
            pd.testing.assert_frame_equal(a[k], b[k], check_exact=True, obj=k)
        elif isinstance(a[k], dict) and a[k] and isinstance(
                next(iter(a[k].values())), pd.DataFrame):
            for n in a[k]:
                pd.testing.assert_frame_equal(a[k][n], b[k][n], check_exact=True)
        else:
            assert a[k] == b[k], k


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    # strings and categories with nulls, an integer count with nulls, booleans, and a
    # time column with a time zone
    return mixed_frame(n=3000, tz="Europe/Berlin", seed=4)


@pytest.fixture(scope="module")
def reference(frame: pd.DataFrame) -> dict[str, Any]:
    return comparable(oot.compare_candidates(frame, candidates(), features=FEATURES,
                                             **PLAN))


@pytest.mark.parametrize("kind", KINDS)
def test_polars_and_arrow_give_the_pandas_comparison(kind: str, frame: pd.DataFrame,
                                                     reference: dict[str, Any]) -> None:
    native = convert(frame, kind)
    got = oot.compare_candidates(native, candidates(), features=FEATURES, **PLAN)
    assert_same(comparable(got), reference)
    cutoffs = got["model"].evaluation.scores["cutoff"]
    assert str(cutoffs.dt.tz) == "Europe/Berlin"


@pytest.mark.parametrize("kind", KINDS)
def test_features_none_reads_every_other_column(kind: str) -> None:
    df = mixed_frame(n=1500)[["ts", "x0", "x1", "x2", "y"]]
    cands = {"all": LogisticRegression(), "x0": (LogisticRegression(), {"features": ["x0"]})}
    kw = dict(PLAN, n_bootstrap=20)
    ref = oot.compare_candidates(df, cands, **kw)
    got = oot.compare_candidates(convert(df, kind), cands, **kw)
    assert_same(comparable(got), comparable(ref))
    assert got.specs[0]["features"] == ["x0", "x1", "x2"]


def test_a_lazy_frame_collects_only_the_columns_the_candidates_read() -> None:
    def boom(s: Any) -> Any:
        raise AssertionError("an unneeded column was computed")

    df = mixed_frame(n=1500)
    lf = pl.from_pandas(df).lazy().with_columns(
        pl.col("x1").map_batches(boom, return_dtype=pl.Float64).alias("expensive"))
    cands = {"a": LogisticRegression(), "b": (LogisticRegression(), {"features": ["x3"]})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowWarning)
        cmp = oot.compare_candidates(lf.with_columns(pl.col("x3").fill_null(0.0)), cands,
                                     features=["x0", "x1"], **dict(PLAN, n_bootstrap=20))
    assert [s["features"] for s in cmp.specs] == [["x0", "x1"], ["x3"]]


class _Recorder(LogisticRegression):
    """Records what fit and predict_proba receive."""

    seen: list[type] = []  # noqa: RUF012 (shared on purpose: clones record here too)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        type(self).seen.append(type(X))
        return super().fit(X, y, sample_weight)

    def predict_proba(self, X: Any) -> Any:
        type(self).seen.append(type(X))
        return super().predict_proba(X)


@pytest.mark.parametrize("kind", KINDS)
def test_the_users_frame_is_not_modified_and_estimators_get_pandas(kind: str) -> None:
    df = mixed_frame(n=1500)[["ts", "x0", "x1", "region", "y"]]
    native = convert(df, kind)
    before = native.collect() if kind == "polars-lazy" else native
    before = before.clone() if kind != "pyarrow" else pa.table(before.to_pydict(),
                                                                 schema=before.schema)
    _Recorder.seen = []
    oot.compare_candidates(native, {"a": _Recorder(), "b": (_Recorder(), {"features": [
        "x1"]})}, features=["x0", "x1"], **dict(PLAN, n_bootstrap=20))
    after = native.collect() if kind == "polars-lazy" else native
    assert after.equals(before)
    assert len(_Recorder.seen) == 2 * 2 * 3  # fit and predict, two candidates, 3 anchors
    assert set(_Recorder.seen) == {pd.DataFrame}


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_column_reads_as_for_pandas(kind: str) -> None:
    df = mixed_frame(n=600)[["ts", "x0", "x1", "y"]]
    cases = [
        dict(features=["x0", "x9"]),
        dict(features=["x0"], target="label"),
        dict(features=["x0"], cands={"a": LogisticRegression(), "b": (
            LogisticRegression(), {"features": ["x1", "nope"]})}),
    ]
    for case in cases:
        kw = dict(PLAN, **{k: v for k, v in case.items() if k != "cands"})
        cands = case.get("cands", {"a": LogisticRegression(), "b": LogisticRegression()})
        with pytest.raises(oot.InvalidParameterError) as want:
            oot.compare_candidates(df, cands, **kw)
        with pytest.raises(type(want.value), match=re.escape(str(want.value))):
            oot.compare_candidates(convert(df, kind), cands, **kw)


def test_an_unsupported_object_names_the_accepted_types() -> None:
    with pytest.raises(oot.InvalidParameterError, match=re.escape(
            "The 'data' parameter of compare_candidates must be a data frame (pandas or "
            "polars DataFrame, polars LazyFrame, pyarrow Table")):
        oot.compare_candidates({"ts": [1, 2]}, {"a": LogisticRegression(),
                                                 "b": LogisticRegression()}, **PLAN)


# --------------------------------------------------------------------- warnings
def _labels(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(y=np.where(frame["y"] == 1, "churn", "stay"))


def test_string_labels_say_which_class_is_positive_once() -> None:
    df = _labels(mixed_frame(n=1500)[["ts", "x0", "x1", "y"]])
    kw = dict(PLAN, n_bootstrap=20)
    cands = {"a": LogisticRegression(), "b": (LogisticRegression(), {"features": ["x0"]})}
    with pytest.warns(OOTWarning) as record:
        cmp = oot.compare_candidates(df, cands, **kw)
    texts = [str(w.message) for w in record if w.category is PositiveClassWarning]
    with pytest.warns(PositiveClassWarning) as alone:
        oot.evaluate_out_of_time(df, LogisticRegression(), **{
            k: v for k, v in kw.items() if k != "n_bootstrap"})
    assert texts == [str(alone[0].message)]
    assert "takes the greater one, 'stay', as the positive class" in texts[0]
    assert next(w for w in record if w.category is PositiveClassWarning).filename == __file__
    assert cmp["a"].evaluation.params["pos_label"] == "stay"
    with warnings.catch_warnings():
        warnings.simplefilter("error", PositiveClassWarning)
        oot.compare_candidates(df, cands, pos_label="stay", **kw)


def _three_classes(n: int = 3000) -> pd.DataFrame:
    """Three classes; class 2 never occurs after the first 200 days."""
    df = mixed_frame(n=n, seed=2)[["ts", "x0", "x1", "y"]]
    y = np.where(df["x1"] > 0.5, 2, np.where(df["x1"] < -0.5, 0, 1))
    late = (df["ts"] - df["ts"].min()).dt.days > 200
    y[late.to_numpy() & (y == 2)] = 1
    return df.assign(y=y)


def test_windows_missing_a_class_say_which_class_as_the_evaluation_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    import oot.compare

    # the paired SE of a multiclass ROC AUC is a bootstrap of 200 resamples per window
    # (seconds here); its precision is not what this test is about
    monkeypatch.setattr(oot.compare, "score_many",
                        functools.partial(oot.compare.score_many, n_bootstrap=10))
    df = _three_classes()
    kw = dict(PLAN, anchors=2, anchor_step="60D", eval_window="60D", horizon="120D",
              n_bootstrap=20)
    with pytest.warns(WindowWarning) as alone:
        ev = oot.evaluate_out_of_time(df, LogisticRegression(), **{
            k: v for k, v in kw.items() if k != "n_bootstrap"})
    missing = int((ev.scores["status"] == "missing_class").sum())
    assert missing
    detail = str(alone[0].message)
    detail = detail[detail.index("Class 2 is absent"):detail.index(" See the")]
    cands = {"a": LogisticRegression(), "b": (LogisticRegression(), {"features": ["x0"]})}
    # one window left: too few for a curve, and the error says why; the warning first
    with pytest.raises(oot.NotEnoughWindowsError, match="missing a class"), \
            pytest.warns(WindowWarning) as record:
        oot.compare_candidates(df, cands, **kw)
    msg = str(record[0].message)
    assert f"'a': {missing} of {len(ev.scores)}" in msg
    assert f"'b': {missing} of {len(ev.scores)}" in msg
    assert msg.count("Class 2 is absent") == 1  # the windows are shared: said once
    assert detail in msg
    assert record[0].filename == __file__
