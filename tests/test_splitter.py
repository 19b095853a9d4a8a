"""OutOfTimeSplit as a scikit-learn splitter: cross_validate, searches, clone, bad input.

The references are scikit-learn's own functions (cross_validate, cross_val_score,
GridSearchCV, RandomizedSearchCV, clone, roc_auc_score) and brute-force masks built from
the definitions of the windows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    cross_val_score,
    cross_validate,
)
from sklearn.model_selection._split import _build_repr

from oot import InvalidParameterError, OutOfTimeSplit
from oot.datasets import make_drifting_classification

DS = make_drifting_classification(2400, n_features=3, random_state=3)
FEATURES = DS.features
X = DS.frame[FEATURES]          # features only: the time is not in X
Y = DS.frame[DS.target]
T = DS.frame["time"]            # unsorted, with repeated timestamps
SETTINGS: dict[str, Any] = dict(train_window="300D", eval_window="90D", anchors=3,
                                anchor_step="120D")
# fewer splits (3 anchors x 2 windows) where every split costs several fits
SHORT: dict[str, Any] = dict(SETTINGS, horizon="180D")


def _source(kind: str, settings: dict[str, Any] = SETTINGS,
            ) -> tuple[OutOfTimeSplit, pd.DataFrame, dict[str, Any]]:
    """A splitter, the X to pass and the extra keywords, for each way of giving the time."""
    if kind == "series":
        return OutOfTimeSplit(time=T, **settings), X, {}
    if kind == "array":
        return OutOfTimeSplit(time=T.to_numpy(), **settings), X, {}
    if kind == "list":
        return OutOfTimeSplit(time=list(T), **settings), X, {}
    if kind == "index":
        return OutOfTimeSplit(**settings), X.set_axis(pd.DatetimeIndex(T)), {}
    assert kind == "groups"
    return OutOfTimeSplit(**settings), X, {"groups": T}


SOURCES = ["series", "array", "list", "index", "groups"]


def _hand_scores(estimator: Any, X: pd.DataFrame, y: pd.Series,
                 splits: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Fit a clone on each training set and score ROC AUC on the test set, by hand."""
    out = []
    for train, test in splits:
        model = clone(estimator).fit(X.iloc[train], y.iloc[train])
        out.append(roc_auc_score(y.iloc[test], model.decision_function(X.iloc[test])))
    return np.array(out)


# --------------------------------------------------------------- the splits themselves
@pytest.mark.parametrize("kind", SOURCES)
def test_splits_equal_brute_force_masks_from_the_definitions(kind: str) -> None:
    cv, Xs, kw = _source(kind)
    plan = cv.plan(Xs, **kw)
    splits = list(cv.split(Xs, Y, **kw))
    assert len(splits) == len(plan) == cv.get_n_splits(Xs, Y, **kw) == 10
    t = T.to_numpy()
    for (train, test), row in zip(splits, plan.itertuples(), strict=True):
        want_train = np.flatnonzero((t >= row.train_start) & (t < row.cutoff))
        want_test = np.flatnonzero((t >= row.window_start) & (t < row.window_end))
        np.testing.assert_array_equal(train, want_train)
        if row.partial:  # the last window runs to the data's end: its last stamp is in
            want_test = np.flatnonzero(t >= row.window_start)
        np.testing.assert_array_equal(test, want_test)
        assert t[train].max() < t[test].min()


def test_every_way_of_giving_the_time_gives_the_same_splits() -> None:
    reference = None
    for kind in SOURCES:
        cv, Xs, kw = _source(kind)
        splits = [(a.tolist(), b.tolist()) for a, b in cv.split(Xs, Y, **kw)]
        reference = splits if reference is None else reference
        assert splits == reference, kind
    # the time column of a frame gives them too (for plan() and split_anchors())
    by_column = OutOfTimeSplit(time="time", **SETTINGS)
    assert [(a.tolist(), b.tolist()) for a, b in by_column.split(DS.frame)] == reference


def test_bound_times_need_no_x_to_count_or_plan() -> None:
    cv = OutOfTimeSplit(time=T, **SETTINGS)
    assert cv.get_n_splits() == 10
    pd.testing.assert_frame_equal(cv.plan(), cv.plan(X))


# ------------------------------------------------------------ scikit-learn functions
@pytest.mark.parametrize("kind", ["series", "index", "groups"])
def test_cross_validate_scores_equal_a_hand_loop_over_split(kind: str) -> None:
    # (arrays and lists give the same splits as the Series: tested above)
    cv, Xs, kw = _source(kind, SHORT)
    est = LogisticRegression()
    res = cross_validate(est, Xs, Y, cv=cv, scoring="roc_auc", return_indices=True, **kw)
    splits = list(cv.split(Xs, Y, **kw))
    np.testing.assert_allclose(res["test_score"], _hand_scores(est, Xs, Y, splits),
                               rtol=1e-12, atol=0)
    for got_train, got_test, (train, test) in zip(
            res["indices"]["train"], res["indices"]["test"], splits, strict=True):
        np.testing.assert_array_equal(got_train, train)
        np.testing.assert_array_equal(got_test, test)
    scores = cross_val_score(est, Xs, Y, cv=cv, scoring="roc_auc", **kw)
    np.testing.assert_array_equal(scores, res["test_score"])


@pytest.mark.parametrize("kind", ["series", "groups"])
def test_grid_search_split_scores_equal_a_hand_loop(kind: str) -> None:
    cv, Xs, kw = _source(kind, SHORT)
    grid = {"C": [0.01, 1.0]}
    search = GridSearchCV(LogisticRegression(), grid, cv=cv, scoring="roc_auc")
    search.fit(Xs, Y, **kw)
    splits = list(cv.split(Xs, Y, **kw))
    assert search.n_splits_ == len(splits) == 6
    for i, params in enumerate(search.cv_results_["params"]):
        hand = _hand_scores(LogisticRegression(**params), Xs, Y, splits)
        got = [search.cv_results_[f"split{k}_test_score"][i] for k in range(len(splits))]
        np.testing.assert_allclose(got, hand, rtol=1e-12, atol=0)
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(hand.mean(),
                                                                          rel=1e-12)


def test_randomized_search_split_scores_equal_a_hand_loop() -> None:
    cv = OutOfTimeSplit(time=T, **SHORT)
    search = RandomizedSearchCV(LogisticRegression(), {"C": [0.03, 0.3, 3.0]}, n_iter=2,
                                cv=cv, scoring="roc_auc", random_state=0,
                                refit=False).fit(X, Y)
    splits = list(cv.split(X))
    for i, params in enumerate(search.cv_results_["params"]):
        hand = _hand_scores(LogisticRegression(**params), X, Y, splits)
        got = [search.cv_results_[f"split{k}_test_score"][i] for k in range(len(splits))]
        np.testing.assert_allclose(got, hand, rtol=1e-12, atol=0)


def test_nested_cross_validation_aligns_a_bound_series_on_the_subset() -> None:
    # the inner search gets X.iloc[train]; a Series bound as the time is matched to those
    # rows by label, so the inner splitter sees exactly the outer training rows' times
    inner = OutOfTimeSplit(time=T, train_window="150D", eval_window="60D")
    outer = OutOfTimeSplit(time=T, **dict(SETTINGS, horizon="90D"))  # 3 outer splits
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]}, cv=inner,
                          scoring="roc_auc")
    res = cross_validate(search, X, Y, cv=outer, scoring="roc_auc")
    hand = []
    for train, test in outer.split(X):
        by_position = OutOfTimeSplit(time=T.iloc[train].to_numpy(), train_window="150D",
                                     eval_window="60D")
        fitted = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]}, cv=by_position,
                              scoring="roc_auc").fit(X.iloc[train], Y.iloc[train])
        hand.append(roc_auc_score(Y.iloc[test], fitted.decision_function(X.iloc[test])))
    np.testing.assert_allclose(res["test_score"], hand, rtol=1e-12, atol=0)


def test_metadata_routing_passes_groups_to_the_splitter() -> None:
    cv = OutOfTimeSplit(**SHORT)
    plain = cross_validate(LogisticRegression(), X, Y, cv=cv, groups=T, scoring="roc_auc")
    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_validate(LogisticRegression(), X, Y, cv=cv, params={"groups": T},
                                scoring="roc_auc")
    np.testing.assert_array_equal(routed["test_score"], plain["test_score"])


# ------------------------------------------------------ the time never reaches the model
class _Recorder(ClassifierMixin, BaseEstimator):
    """Remembers the columns (and their dtypes) of every X it is fitted on."""

    seen: ClassVar[list[tuple[list[str], list[str]]]] = []

    def fit(self, X: pd.DataFrame, y: Any) -> _Recorder:
        _Recorder.seen.append((list(X.columns), [str(d) for d in X.dtypes]))
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self.classes_[0])


@pytest.mark.parametrize("kind", SOURCES)
def test_the_time_never_reaches_the_estimator(kind: str) -> None:
    cv, Xs, kw = _source(kind)
    _Recorder.seen.clear()
    cross_validate(_Recorder(), Xs, Y, cv=cv, **kw)
    GridSearchCV(_Recorder(), {}, cv=cv).fit(Xs, Y, **kw)
    n = cv.get_n_splits(Xs, Y, **kw)
    assert len(_Recorder.seen) == n + n + 1  # cross_validate, the search, its refit
    for columns, dtypes in _Recorder.seen:
        assert columns == FEATURES
        assert dtypes == ["float64"] * len(FEATURES)


# --------------------------------------------------------------- clone and parameters
def _params_equal(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], (pd.Series, np.ndarray, list)):
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))
        else:
            assert a[key] == b[key], key


@pytest.mark.parametrize("time", [None, "time", T, T.to_numpy()], ids=[
    "none", "column", "series", "array"])
def test_clone_gives_an_equal_splitter(time: Any) -> None:
    cv = OutOfTimeSplit(time=time, train_window="300D", eval_window="MS", gap="7D",
                        horizon="200D", anchors=["2021-01-01", "2021-03-01"],
                        anchor_step=None, expanding=True)
    copy = clone(cv)
    assert type(copy) is OutOfTimeSplit
    assert copy is not cv
    _params_equal(copy.get_params(), cv.get_params())
    assert repr(copy) == repr(cv)
    # the round trip through the constructor and through set_params
    _params_equal(OutOfTimeSplit(**cv.get_params()).get_params(), cv.get_params())
    other = OutOfTimeSplit(train_window="1D", eval_window="1D").set_params(**cv.get_params())
    _params_equal(other.get_params(), cv.get_params())
    if time is None:
        data = X.set_axis(pd.DatetimeIndex(T))
    else:
        data = DS.frame if isinstance(time, str) else X
    assert [(a.tolist(), b.tolist()) for a, b in copy.split(data)] == [
        (a.tolist(), b.tolist()) for a, b in cv.split(data)]


def test_a_search_exposes_and_clones_the_splitter_parameters() -> None:
    cv = OutOfTimeSplit(time=T, **SETTINGS)
    search = GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=cv)
    params = search.get_params()
    assert params["cv__train_window"] == "300D"
    assert params["cv__anchors"] == 3
    copy = clone(search)
    assert copy.cv is not cv
    _params_equal(copy.cv.get_params(), cv.get_params())
    search.set_params(cv__gap="7D")
    assert cv.gap == "7D"


def test_repr_is_laid_out_as_scikit_learns_splitters() -> None:
    # scikit-learn's own _build_repr on the same object is the reference
    for cv in [OutOfTimeSplit(train_window="300D", eval_window="90D"),
               OutOfTimeSplit(time="ts", train_window=30.5, eval_window=7, gap=1.5,
                              anchors=[40, 60], expanding=True)]:
        assert repr(cv) == _build_repr(cv)
    bound = OutOfTimeSplit(time=T, **SETTINGS)
    assert "time=<Series 'time' of 2400 values>" in repr(bound)
    assert "time=<ndarray of 2400 values>" in repr(OutOfTimeSplit(time=T.to_numpy(),
                                                                  **SETTINGS))


def test_import_oot_does_not_import_scikit_learn() -> None:
    code = ("import sys, pandas as pd, oot; "
            "X = pd.DataFrame({'t': range(50)}); "
            "oot.OutOfTimeSplit(time='t', train_window=10, eval_window=5).plan(X); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------- bad input
NO_TIME = ("The 'time' parameter of OutOfTimeSplit.split must be a column of X, an array "
           "of timestamps aligned with X, or None with the times in X's index or in groups. "
           "Got None instead. ")
FIX = ("pass the times as OutOfTimeSplit(time=...), as split(X, y, groups=...), or as X's "
       "index.")


@pytest.mark.parametrize(("call", "message"), [
    (lambda: list(OutOfTimeSplit(**SETTINGS).split(X.to_numpy())),
     NO_TIME + "X has no index (it is a ndarray): " + FIX),
    (lambda: cross_validate(LogisticRegression(), X.to_numpy(), Y,
                            cv=OutOfTimeSplit(**SETTINGS)),
     NO_TIME + "X has no index (it is a ndarray): " + FIX),
    (lambda: OutOfTimeSplit(**SETTINGS).get_n_splits(X.reset_index(drop=True)),
     NO_TIME.replace("OutOfTimeSplit.split", "OutOfTimeSplit.get_n_splits")
     + "X's index is a RangeIndex (row numbers, not times): " + FIX),
    (lambda: OutOfTimeSplit(time=T.to_numpy()[:-1], **SETTINGS).split(X),
     "The 'time' parameter of OutOfTimeSplit.split must be an array of length 2400 (one "
     "timestamp per row of X). Got 'an array of shape (2399,)' instead."),
    (lambda: cross_validate(LogisticRegression(), X, Y, groups=T[:100],
                            cv=OutOfTimeSplit(**SETTINGS)),
     "The 'groups' parameter of OutOfTimeSplit.split must be an array of length 2400 (one "
     "timestamp per row of X). Got 'an array of shape (100,)' instead."),
    (lambda: OutOfTimeSplit(time=T, **SETTINGS).split(X.set_axis(X.index + 5000)),
     "The 'time' parameter of OutOfTimeSplit.split must be a Series with a timestamp for "
     "every index label of X. Got \"a Series without 2400 of X's 2400 index labels, e.g. "
     "5000\" instead. Align the Series with X, or pass time=series.to_numpy() to match "
     "the rows by position."),
    (lambda: OutOfTimeSplit(time=T.set_axis(np.zeros(2400)), **SETTINGS).split(X),
     "The 'time' parameter of OutOfTimeSplit.split must be a Series with a timestamp for "
     "every index label of X. Got 'a Series with repeated index labels' instead."),
    (lambda: OutOfTimeSplit(time=T, **SETTINGS).split(X, Y, groups=T),
     "The 'groups' parameter of OutOfTimeSplit.split must be None when the splitter has "
     "its own time (time=<Series 'time' of 2400 values>). Got 'an array of shape (2400,)' "
     "instead. Pass the times either as OutOfTimeSplit(time=...) or as groups, not both."),
    (lambda: OutOfTimeSplit(**SETTINGS).get_n_splits(),
     "The 'X' parameter of OutOfTimeSplit.get_n_splits must be the data (the number of "
     "windows depends on its time span). Got None instead. Pass X, or bind the times with "
     "OutOfTimeSplit(time=...)."),
    (lambda: OutOfTimeSplit(time=T, **SETTINGS).split(X.iloc[:0]),
     "The 'X' parameter of OutOfTimeSplit.split must be data with at least one row. Got "
     "'an empty DataFrame' instead."),
    (lambda: OutOfTimeSplit(time=T, **SETTINGS).set_params(gapp="7D"),
     "The 'params' parameter of OutOfTimeSplit.set_params must be names of "
     "OutOfTimeSplit's parameters ('anchor_step', 'anchors', 'eval_window', 'expanding', "
     "'gap', 'horizon', 'time', 'train_window'). Got 'gapp' instead. Did you mean 'gap'?"),
    (lambda: GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=OutOfTimeSplit(
        time=T, train_window="900D", eval_window="90D")).fit(X, Y),
     "The window plan of OutOfTimeSplit.get_n_splits leaves no evaluation window"),
    (lambda: OutOfTimeSplit(groups=T, **SETTINGS),  # type: ignore[call-arg]
     "unexpected keyword argument 'groups'"),
])
def test_bad_input_names_the_parameter(call: Any, message: str) -> None:
    with pytest.raises((InvalidParameterError, TypeError), match=re.escape(message)):
        call()


def test_bad_times_are_refused_when_split_is_called() -> None:
    # the plan is checked at the call, not at the first next(): scikit-learn sees the
    # error where it asks for the splits
    cv = OutOfTimeSplit(time=T.to_numpy()[:10], **SETTINGS)
    with pytest.raises(InvalidParameterError, match="must be an array of length 2400"):
        cv.split(X)
    bad = T.astype(object).copy()
    bad.iloc[3] = None
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The time column 'time' has 1 missing value(s) (NaT; row positions [3]). Drop "
            "or fill them before calling OutOfTimeSplit.split.")):
        OutOfTimeSplit(time=bad, **SETTINGS).split(X)
