"""Any data frame in: polars (eager and lazy) and pyarrow inputs give exactly the pandas
run's results, the caller's frame is untouched, and bad input reads as it does for pandas."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import oot
from oot._frames import model_frame, to_pandas
from oot._validation import InvalidParameterError, MissingColumnError

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

KINDS = ["polars", "polars-lazy", "pyarrow"]


def convert(df: pd.DataFrame, kind: str):
    if kind == "pandas":
        return df
    if kind == "pyarrow":
        return pa.Table.from_pandas(df, preserve_index=False)
    frame = pl.from_pandas(df)
    return frame.lazy() if kind == "polars-lazy" else frame


def mixed_frame(n: int = 2400, tz: str | None = None, seed: int = 0) -> pd.DataFrame:
    """A drifting binary target with float, int (with nulls), string (with nulls),
    categorical and boolean features, rows in no particular order."""
    ds = oot.datasets.make_drifting_classification(n_samples=n, random_state=seed)
    df = ds.frame.rename(columns={"time": "ts"})
    rng = np.random.default_rng(seed)
    if tz is not None:
        df["ts"] = df["ts"].dt.tz_localize(tz)
    region = np.where(df["x0"] > 0.3, "north", np.where(df["x1"] > 0, "south", "east"))
    region = region.astype(object)
    region[rng.random(n) < 0.05] = None
    df["region"] = pd.Series(list(region))  # what pandas infers for these strings
    df["plan"] = pd.Categorical(np.where(df["x2"] > 0, "gold", "basic"),
                                categories=["basic", "gold"])
    counts = rng.poisson(3, n).astype(float)
    counts[rng.random(n) < 0.05] = np.nan
    df["visits"] = counts  # an integer count with nulls: float64 with NaN in pandas
    df["x3"] = df["x3"].where(rng.random(n) > 0.03)
    df["active"] = df["x4"] > 0
    return df


def mixed_model() -> object:
    num = ["x0", "x1", "x2", "x3", "visits"]
    cat = ["region", "plan", "active"]
    pre = ColumnTransformer([
        ("num", SimpleImputer(strategy="median"), num),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(handle_unknown="ignore")), cat),
    ])
    return make_pipeline(pre, LogisticRegression(max_iter=500))


FEATURES = ["x0", "x1", "x2", "x3", "visits", "region", "plan", "active"]
PLAN = dict(target="y", time="ts", metric="roc_auc", train_window="120D",
            eval_window="30D", anchors=3, min_window_size=20)


# --------------------------------------------------------------------- conversion
def reference_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "ts": pd.date_range("2024-03-30", periods=5, freq="12h", tz="Europe/Paris"),
        "naive": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-04",
                                 "2024-01-05"]),
        "s": pd.Series(["a", None, "b", "a", "c"]),
        "c": pd.Categorical(["z", "y", None, "z", "y"], categories=["y", "z"]),
        "i": [1, 2, 3, 4, 5],
        "i_null": [1.0, np.nan, 3.0, 4.0, 5.0],
        "f": [1.5, np.nan, 3.0, -4.0, 0.0],
        "f32": np.array([1, 2, 3, 4, 5], dtype=np.float32),
        "b": [True, False, True, True, False],
        "dt": pd.to_timedelta([1, 2, 3, 4, 5], unit="h"),
    })


@pytest.mark.parametrize("kind", KINDS)
def test_every_dtype_converts_to_what_pandas_holds(kind):
    df = reference_frame()
    pd.testing.assert_frame_equal(to_pandas(convert(df, kind)), df)


@pytest.mark.parametrize("kind", KINDS)
def test_nullable_columns_convert_as_pandas_reads_them(kind):
    """An integer column with nulls becomes float64 with NaN, a boolean one object."""
    frame = pl.DataFrame({"i": [1, None, 3], "b": [True, None, False],
                          "d": [pd.Timestamp("2024-01-01").date(), None,
                                pd.Timestamp("2024-01-03").date()]})
    native = {"polars": frame, "polars-lazy": frame.lazy(), "pyarrow": frame.to_arrow()}[kind]
    out = to_pandas(native)
    expected = pd.DataFrame({"i": [1.0, np.nan, 3.0],
                             "b": pd.Series([True, None, False], dtype=object),
                             "d": pd.to_datetime(["2024-01-01", None, "2024-01-03"])
                             .as_unit("us")})
    pd.testing.assert_frame_equal(out, expected)


def test_an_enum_and_an_arrow_dictionary_keep_their_category_order():
    enum = pl.DataFrame({"e": pl.Series(["lo", "hi", "lo"], dtype=pl.Enum(["lo", "mid", "hi"]))})
    assert list(to_pandas(enum)["e"].cat.categories) == ["lo", "mid", "hi"]
    table = pa.table({"e": pa.array(["lo", "hi", "lo"]).dictionary_encode()})
    assert list(to_pandas(table)["e"].cat.categories) == ["lo", "hi"]
    # a polars Categorical has no category order: the values present, sorted
    cat = pl.DataFrame({"e": pl.Series(["lo", "hi", "lo"], dtype=pl.Categorical)})
    assert list(to_pandas(cat)["e"].cat.categories) == ["hi", "lo"]


def test_a_pandas_frame_is_returned_as_it_is():
    df = reference_frame()
    assert to_pandas(df) is df
    assert model_frame(df, target="i", time="ts", features=["f"]) is df


@pytest.mark.parametrize("kind", KINDS)
def test_only_the_needed_columns_are_converted(kind):
    df = reference_frame()
    out = model_frame(convert(df, kind), target="i", time="ts", features=["f", "s"])
    # in the frame's own order
    pd.testing.assert_frame_equal(out, df[["ts", "s", "i", "f"]])


def test_a_lazy_frame_collects_only_the_needed_columns():
    def boom(s):
        raise AssertionError("an unneeded column was computed")

    lf = pl.from_pandas(reference_frame()).lazy().with_columns(
        pl.col("f").map_batches(boom, return_dtype=pl.Float64).alias("expensive"))
    out = model_frame(lf, target="i", time="ts", features=["f"])
    assert list(out.columns) == ["ts", "i", "f"]


def _native_values(native, col: str) -> np.ndarray:
    """The memory the library itself holds for ``col`` (no copy)."""
    if isinstance(native, pa.Table):
        return native.column(col).chunk(0).to_numpy(zero_copy_only=True)
    return native[col].to_numpy()


@pytest.mark.parametrize("kind", ["polars", "pyarrow"])
def test_numbers_without_nulls_are_read_without_a_copy(kind):
    """Columns are converted one by one and pandas keeps them as they are: a number
    column without nulls is a read-only view of the caller's memory, one with nulls a
    copy with NaN (the caller's memory untouched)."""
    df = reference_frame()
    native = convert(df, kind)
    out = model_frame(native, target="i", time="ts", features=["f32", "f"])
    for col in ("i", "f32"):
        values = out[col].to_numpy()
        assert np.shares_memory(values, _native_values(native, col))
        assert not values.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            values[0] = 0
    assert np.isnan(out["f"].to_numpy()[1])  # the null, as pandas reads it
    pd.testing.assert_frame_equal(out, df[["ts", "i", "f", "f32"]])


class _Layout(BaseEstimator):
    """Records, for every fit and predict, whether X is a C-contiguous float block
    that its rows reach without a copy."""

    seen: ClassVar[list[tuple[bool, bool]]] = []

    def fit(self, X, y):
        self._record(X)
        self.coef_ = np.linalg.lstsq(np.column_stack([X.to_numpy(), np.ones(len(X))]),
                                     np.asarray(y, dtype=float), rcond=None)[0]
        return self

    def predict(self, X):
        self._record(X)
        return np.column_stack([X.to_numpy(), np.ones(len(X))]) @ self.coef_

    def _record(self, X):
        values = X.to_numpy()
        type(self).seen.append((values.flags.c_contiguous, values.base is not None))


@pytest.mark.parametrize("kind", ["pandas", *KINDS])
@pytest.mark.parametrize("shuffle", [False, True])
def test_float_features_reach_the_estimator_as_one_row_major_block(kind, shuffle,
                                                                    monkeypatch):
    """The engine copies the float features of every input into the row-major block it
    fits from (in small steps on its helper thread, here in rows of 7 and writes of 3),
    in time order; the scores equal a plain least-squares fit on the sorted rows."""
    import oot.evaluate._engine as engine

    df = mixed_frame(n=1500, seed=2)[["ts", "x0", "x1", "x3", "y"]].fillna({"x3": 0.0})
    df = df.sort_values("ts", kind="stable").reset_index(drop=True)
    kw = dict(PLAN, metric="rmse")
    ref = oot.evaluate_out_of_time(df, LinearRegression(), **kw)  # the rows in order
    if shuffle:
        df = df.sample(frac=1.0, random_state=3).reset_index(drop=True)
    monkeypatch.setattr(engine, "_FILL_CHUNK", 7)
    monkeypatch.setattr(engine, "_ROWS_PER_WRITE", 3)
    _Layout.seen = []
    native = convert(df, kind)
    ev = oot.evaluate_out_of_time(native, _Layout(), **kw)
    assert len(_Layout.seen) == 2 * 3  # fit and predict of three anchors
    assert all(c and view for c, view in _Layout.seen)
    np.testing.assert_allclose(ev.scores["score"], ref.scores["score"], rtol=1e-8)


def test_row_fill_copies_columns_held_one_by_one():
    """The engine's copy from a list of columns (a frame holding each on its own), in
    time order or not, in steps that end mid-write."""
    from concurrent.futures import ThreadPoolExecutor

    import oot.evaluate._engine as engine

    rng = np.random.default_rng(0)
    cols = [rng.normal(size=1000) for _ in range(3)]
    expected = np.column_stack(cols)
    order = rng.permutation(1000)
    with ThreadPoolExecutor(1) as pool:
        for perm in (None, order):
            dst = np.empty((1000, 3))
            fill = engine._RowFill(cols, perm, dst, pool)
            fill.wait(1000)
            np.testing.assert_array_equal(dst, expected if perm is None else expected[order])
        bad = engine._RowFill([c[:10] for c in cols], None, np.empty((1000, 3)), pool)
        with pytest.raises(ValueError, match="broadcast"):
            bad.wait(1000)


# --------------------------------------------------------------- same results
def assert_same_evaluation(a, b):
    pd.testing.assert_frame_equal(a.scores, b.scores, check_exact=True)
    timings = ["fit_time", "predict_time"]
    pd.testing.assert_frame_equal(a.anchors.drop(columns=timings, errors="ignore"),
                                  b.anchors.drop(columns=timings, errors="ignore"),
                                  check_exact=True)
    assert a.params == b.params
    assert a.data_info == b.data_info


def without_timings(rec) -> dict:
    """The recommendation's JSON without the anchors' fit and predict seconds."""
    d = json.loads(rec.to_json())
    anchors = d["evaluation"]["anchors"]
    anchors["columns"] = [c for c in anchors["columns"]
                          if c["name"] not in ("fit_time", "predict_time")]
    return d


@pytest.fixture(scope="module")
def mixed():
    df = mixed_frame()
    ref = oot.evaluate_out_of_time(df, mixed_model(), features=FEATURES, random_state=0,
                                   **PLAN)
    return df, ref


@pytest.mark.parametrize("kind", KINDS)
def test_evaluate_out_of_time_gives_the_pandas_result(kind, mixed):
    df, ref = mixed
    native = convert(df, kind)
    ev = oot.evaluate_out_of_time(native, mixed_model(), features=FEATURES, random_state=0,
                                  **PLAN)
    assert_same_evaluation(ev, ref)


@pytest.mark.parametrize("kind", KINDS)
def test_features_none_reads_every_other_column_in_the_frames_order(kind):
    df = mixed_frame(n=1500)[["ts", "x0", "x1", "x2", "y"]]
    ref = oot.evaluate_out_of_time(df, LogisticRegression(), **PLAN)
    ev = oot.evaluate_out_of_time(convert(df, kind), LogisticRegression(), **PLAN)
    assert_same_evaluation(ev, ref)
    assert ev.params["features"] == ["x0", "x1", "x2"]


@pytest.mark.parametrize("kind", KINDS)
def test_recommendation_gives_the_pandas_result_with_time_zones(kind):
    df = mixed_frame(n=3000, tz="America/Chicago")
    kw = dict(PLAN, anchors=4, tolerance=0.02, n_bootstrap=50, random_state=0)
    ref = oot.recommend_retrain_interval(df, mixed_model(), features=FEATURES, **kw)
    rec = oot.recommend_retrain_interval(convert(df, kind), mixed_model(),
                                         features=FEATURES, **kw)
    assert without_timings(rec) == without_timings(ref)
    assert str(rec.evaluation.scores["cutoff"].dt.tz) == "America/Chicago"


@pytest.mark.parametrize("kind", KINDS)
def test_numeric_time_and_regression(kind):
    ds = oot.datasets.make_drifting_regression(n_samples=2000, time_kind="numeric",
                                               random_state=1)
    df = ds.frame
    kw = dict(target=ds.target, time=ds.time, metric="mae", train_window=30.0,
              eval_window=10.0, anchors=2, min_window_size=10)
    ref = oot.evaluate_out_of_time(df, LinearRegression(), **kw)
    ev = oot.evaluate_out_of_time(convert(df, kind), LinearRegression(), **kw)
    assert_same_evaluation(ev, ref)


@pytest.mark.parametrize("kind", KINDS)
def test_evaluate_predictions_gives_the_pandas_result(kind):
    rng = np.random.default_rng(3)
    n = 1200
    df = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=n, freq="6h", tz="UTC")})
    df["y"] = rng.integers(0, 2, n)
    df["p"] = np.clip(0.3 * df["y"] + 0.7 * rng.random(n), 0, 1)
    df["q"] = np.clip(0.2 * df["y"] + 0.8 * rng.random(n), 0, 1)
    df["note"] = pd.Series(["x"] * n)
    kw = dict(y_true="y", y_pred=["p", "q"], time="ts",
              cutoff=["2024-01-15", "2024-02-01"], eval_window="30D")
    ref = oot.evaluate_predictions(df, **kw)
    ev = oot.evaluate_predictions(convert(df, kind), **kw)
    assert_same_evaluation(ev, ref)


class _Recorder(ClassifierMixin, BaseEstimator):
    """Records the type of what fit and predict_proba receive."""

    seen: ClassVar[list[type]] = []

    def fit(self, X, y):
        type(self).seen.append(type(X))
        self.classes_ = np.unique(y)
        self.p_ = float(np.mean(y))
        return self

    def predict_proba(self, X):
        type(self).seen.append(type(X))
        p = np.full(len(X), self.p_)
        return np.column_stack([1 - p, p])


@pytest.mark.parametrize("kind", KINDS)
def test_estimators_receive_a_pandas_frame(kind):
    df = mixed_frame(n=1200)
    _Recorder.seen = []
    oot.evaluate_out_of_time(convert(df, kind), _Recorder(), features=FEATURES, **PLAN)
    assert len(_Recorder.seen) == 2 * 3  # fit and predict_proba of three anchors
    assert set(_Recorder.seen) == {pd.DataFrame}


@pytest.mark.parametrize("kind", KINDS)
def test_the_callers_frame_is_not_modified(kind):
    df = mixed_frame(n=1200)
    native = convert(df, kind)
    before = native.collect() if kind == "polars-lazy" else native
    before = before.clone() if kind != "pyarrow" else pa.table(before.to_pydict(),
                                                                 schema=before.schema)
    oot.evaluate_out_of_time(native, mixed_model(), features=FEATURES, **PLAN)
    after = native.collect() if kind == "polars-lazy" else native
    assert after.equals(before)


# ------------------------------------------------------------------- bad input
def _message(fn):
    with pytest.raises(InvalidParameterError) as info:
        fn()
    return type(info.value), str(info.value)


CASES = {
    "missing target": lambda d: oot.evaluate_out_of_time(
        d, LogisticRegression(), **dict(PLAN, target="label")),
    "missing time": lambda d: oot.evaluate_out_of_time(
        d, LogisticRegression(), **dict(PLAN, time="when")),
    "missing feature": lambda d: oot.evaluate_out_of_time(
        d, LogisticRegression(), features=["x0", "x9"], **PLAN),
    "missing feature, no close name": lambda d: oot.evaluate_out_of_time(
        d, LogisticRegression(), features=["x0", "weather"], **PLAN),
    "features a string": lambda d: oot.evaluate_out_of_time(
        d, LogisticRegression(), features="x0", **PLAN),
    "recommend missing target": lambda d: oot.recommend_retrain_interval(
        d, LogisticRegression(), **dict(PLAN, target="yy")),
    "predictions missing y_pred": lambda d: oot.evaluate_predictions(
        d, y_true="y", y_pred="score", time="ts", cutoff="2020-03-01"),
    "bad estimator before a missing column": lambda d: oot.evaluate_out_of_time(
        d, LogisticRegression, **dict(PLAN, target="label")),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", list(CASES))
def test_bad_columns_give_the_pandas_message(kind, case):
    df = mixed_frame(n=600)
    expected = _message(lambda: CASES[case](df))
    assert _message(lambda: CASES[case](convert(df, kind))) == expected


def test_a_missing_column_is_a_missing_column_error():
    df = pl.from_pandas(mixed_frame(n=600))
    with pytest.raises(MissingColumnError, match=re.escape(
            "The 'target' parameter of evaluate_out_of_time must be a column of the "
            "DataFrame. Got 'label' instead.")):
        CASES["missing target"](df)


@pytest.mark.parametrize("bad", [np.zeros((3, 3)), {"ts": [1, 2]}, [1, 2, 3],
                                 pd.Series([1.0, 2.0])])
def test_an_unsupported_object_names_the_accepted_types(bad):
    accepted = ("a data frame (pandas or polars DataFrame, polars LazyFrame, pyarrow Table, "
                "or another frame narwhals reads)")
    name = type(bad).__name__
    with pytest.raises(InvalidParameterError, match=re.escape(
            f"The 'data' parameter of evaluate_out_of_time must be {accepted}. Got "
            f"{name!r} instead.")):
        oot.evaluate_out_of_time(bad, LogisticRegression(), **PLAN)
    with pytest.raises(InvalidParameterError, match=re.escape(
            f"The 'data' parameter of evaluate_predictions must be {accepted}. Got "
            f"{name!r} instead.")):
        oot.evaluate_predictions(bad, y_true="y", y_pred="p", time="ts", cutoff=1)
    with pytest.raises(InvalidParameterError, match=re.escape(
            f"The 'data' parameter of recommend_retrain_interval must be {accepted} or an "
            f"OOTEvaluation. Got {name!r} instead.")):
        oot.recommend_retrain_interval(bad, LogisticRegression(), target="y", time="ts")


def test_import_oot_imports_no_frame_library():
    code = ("import sys, oot; "
            "print(sorted(m for m in ('narwhals', 'polars', 'mlflow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
