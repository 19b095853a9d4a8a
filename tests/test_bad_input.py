"""Malformed calls fail loudly: our exception type, a message naming the parameter or
column, echoing the offending value and saying what to do.

One table of cases across the public functions (the window and evaluation tests cover
some other bad arguments; these extend them), then the command line.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import SVR, LinearSVC

from oot import (
    InvalidParameterError,
    Metric,
    MissingColumnError,
    NotEnoughWindowsError,
    OOTEvaluation,
    OutOfTimeSplit,
    RetrainRecommendation,
    evaluate_out_of_time,
    evaluate_predictions,
    fit_degradation,
    recommend_retrain_interval,
)
from oot.datasets import (
    load_chicago_ridership,
    make_degradation_scores,
    make_drifting_classification,
    make_drifting_regression,
)
from oot.metrics import get_metric, score_windows


def _frame(n: int = 400, days: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hours = rng.integers(0, days * 24, n)
    hours[:2] = [0, days * 24 - 1]  # the span is exactly `days` days
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta(hours, unit="h")
    df = pd.DataFrame({"ts": ts, "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-df["x1"]))).astype(int)
    df["r"] = 2 * df["x1"] + rng.normal(size=n)
    df["p"] = rng.random(n)
    return df


DF = _frame()
SPAN = "2024-01-01 00:00:00 to 2024-04-29 23:00:00 (120 days)"
VALID_METRICS = ("Valid names are: 'accuracy', 'average_precision', 'balanced_accuracy', "
                 "'brier', 'f1', 'log_loss', 'mae', 'mape', 'mse', 'precision', 'r2', "
                 "'recall', 'rmse', 'roc_auc'.")
CLS = dict(target="y", time="ts", features=["x1", "x2"], train_window="30D",
           eval_window="30D")
REG = dict(CLS, target="r", metric="mae")


def with_col(**cols: Any) -> pd.DataFrame:
    df = DF.copy()
    for k, v in cols.items():
        df[k] = v
    return df


def eot(data: pd.DataFrame | None = None, estimator: Any = None, **kw: Any) -> Callable[[], Any]:
    args = dict(CLS)
    args.update(kw)
    return lambda: evaluate_out_of_time(
        DF if data is None else data,
        LogisticRegression() if estimator is None else estimator, **args)


def ep(data: pd.DataFrame | None = None, **kw: Any) -> Callable[[], Any]:
    args: dict[str, Any] = dict(y_true="y", y_pred="p", time="ts", cutoff="2024-02-01")
    args.update(kw)
    return lambda: evaluate_predictions(DF if data is None else data, **args)


def _evaluation(n_windows: int = 6) -> OOTEvaluation:
    ages = np.arange(n_windows) * 30.0 + 15.0
    return OOTEvaluation.from_frame(
        pd.DataFrame({"anchor": 1, "age": ages, "score": 0.9 - 0.0005 * ages, "se": 0.01}),
        metric="roc_auc", time_kind="numeric")


EV = _evaluation()
EV_JSON = EV.to_json()


def rec(**kw: Any) -> Callable[[], Any]:
    return lambda: recommend_retrain_interval(EV, **kw)


def rec_df(**kw: Any) -> Callable[[], Any]:
    args: dict[str, Any] = dict(CLS)
    args.update(kw)
    return lambda: recommend_retrain_interval(DF, LogisticRegression(), **args)


def ots(X: Any = None, **kw: Any) -> Callable[[], Any]:
    args: dict[str, Any] = dict(time="ts", train_window="30D", eval_window="10D")
    args.update(kw)
    return lambda: OutOfTimeSplit(**args).plan(DF if X is None else X)


Y4 = np.array([0, 1, 0, 1])
P4 = np.array([0.1, 0.2, 0.3, 0.4])


def sw(*args: Any, **kw: Any) -> Callable[[], Any]:
    return lambda: score_windows(*args, **kw)


def metric(**kw: Any) -> Callable[[], Any]:
    args: dict[str, Any] = dict(name="m", func=len, greater_is_better=True)
    args.update(kw)
    return lambda: Metric(**args)


IPE = InvalidParameterError
MCE = MissingColumnError


def P(case_id: str, fn: Callable[[], Any], exc: type[BaseException], *parts: str) -> Any:
    return pytest.param(fn, exc, parts, id=case_id)


CASES = [
    # ------------------------------------------------------------------ columns
    P("eot-time-misspelt", eot(time="Ts"), MCE,
      "The 'time' parameter of evaluate_out_of_time must be a column of the DataFrame. Got "
      "'Ts' instead. Did you mean 'ts'?"),
    P("eot-feature-misspelt", eot(features=["x1", "X_2"]), MCE,
      "The 'features' parameter of evaluate_out_of_time must be a column of the DataFrame. "
      "Got 'X_2' instead. Did you mean 'x2'?"),
    P("eot-target-no-close-match", eot(target="label"), MCE,
      "The 'target' parameter of evaluate_out_of_time must be a column of the DataFrame. Got "
      "'label' instead. Columns are: 'ts', 'x1', 'x2', 'y', 'r', 'p'."),
    P("eot-target-is-time", eot(target="ts"), IPE,
      "The 'target' parameter of evaluate_out_of_time must be a column other than the time "
      "column. Got 'ts' instead."),
    P("eot-features-include-target", eot(features=["x1", "y"]), IPE,
      "The 'features' parameter of evaluate_out_of_time must be columns other than the "
      "target and time columns. Got ['y'] instead."),
    P("eot-no-feature-columns", eot(data=DF[["ts", "y"]], features=None), IPE,
      "The 'features' parameter of evaluate_out_of_time must be a non-empty list of feature "
      "columns. Got None instead. The DataFrame has no column besides the target and the "
      "time."),
    P("eot-time-none", eot(time=None), IPE,
      "The 'time' parameter of evaluate_out_of_time must be a column name. Got None instead."),
    P("eot-empty-frame", eot(data=DF.iloc[:0]), IPE,
      "The 'data' parameter of evaluate_out_of_time must have at least one row. Got an empty "
      "DataFrame instead."),
    # --------------------------------------------------------------- time column
    P("eot-time-unparseable", eot(data=with_col(ts=DF["ts"].astype(str).where(
        DF.index != 7, "yesterday"))), IPE,
      "The time column 'ts' could not be parsed as datetimes (dtype ",
      "first bad value 'yesterday'", "Convert it with pandas.to_datetime, or pass numbers."),
    P("eot-time-nat", eot(data=with_col(ts=DF["ts"].where(DF.index != 3))), IPE,
      "The time column 'ts' has 1 missing value(s) (NaT; row positions [3]). Drop or fill "
      "them before calling evaluate_out_of_time."),
    P("eot-time-mixed-tz-objects", eot(data=with_col(ts=pd.Series(
        [pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=i) for i in range(200)]
        + [pd.Timestamp("2024-03-01", tz="US/Eastern") + pd.Timedelta(hours=i)
           for i in range(200)], dtype=object))), IPE,
      "The time column 'ts' mixes time zones or kinds of value. Convert every value to one "
      "time zone, e.g. with pandas.to_datetime(..., utc=True)."),
    P("eot-time-bool", eot(data=with_col(ts=DF["x1"] > 0)), IPE,
      "The 'time' parameter of evaluate_out_of_time must be a column of datetimes or numbers. "
      "Got 'ts (dtype bool)' instead."),
    P("eot-numeric-time-nan", eot(data=with_col(ts=np.where(DF.index == 4, np.nan,
                                                            np.arange(len(DF), dtype=float))),
                                  train_window=100, eval_window=100), IPE,
      "The time column 'ts' has 1 missing or infinite value(s) (row positions [4]). Drop or "
      "fill them before calling evaluate_out_of_time."),
    P("eot-numeric-time-with-datetime-window", eot(data=with_col(ts=np.arange(len(DF)))),
      IPE,
      "The 'train_window' parameter of evaluate_out_of_time must be a number > 0 for numeric "
      "time (in the time column's units). Got '30D' instead. Window lengths such as '30D' "
      "apply only to a datetime time column."),
    # ------------------------------------------------------------------- target
    P("eot-target-nan-regression", eot(data=with_col(r=DF["r"].where(DF.index != 2)),
                                       estimator=LinearRegression(), **REG), IPE,
      "The target column 'r' has 1 missing or infinite value(s) (row positions [2]). Drop or "
      "fix those rows before calling evaluate_out_of_time."),
    P("eot-target-string-for-rmse", eot(data=with_col(r=np.where(DF["y"] == 1, "a", "b")),
                                        estimator=LinearRegression(), **dict(REG, metric="rmse")),
      IPE, "Metric 'rmse' is a regression metric, but the target column 'r' is not numeric",
      "Use a classification metric such as 'roc_auc' or 'accuracy'."),
    P("eot-target-single-class", eot(data=with_col(y=1)), IPE,
      "The target column 'y' has a single class ([1]), so metric 'roc_auc' cannot be "
      "computed. Check the target column."),
    P("eot-target-continuous-for-accuracy", eot(data=with_col(y=DF["r"]), metric="accuracy"),
      IPE, "Metric 'accuracy' is a classification metric, but the target column 'y' looks "
      "continuous (400 distinct float values). Use a regression metric such as 'rmse' or "
      "'mae'."),
    P("eot-pos-label-not-a-class", eot(pos_label=2), IPE,
      "The 'pos_label' parameter of evaluate_out_of_time must be one of the target's classes "
      "[0, 1]. Got 2 instead."),
    # ------------------------------------------------------- metric and estimator
    P("eot-unknown-metric", eot(metric="rocauc"), IPE,
      "The 'metric' parameter of evaluate_out_of_time must be a metric name from "
      "oot.metrics.available() or an oot.Metric. Got 'rocauc' instead. Did you mean "
      "'roc_auc'? " + VALID_METRICS),
    P("eot-metric-wrong-type", eot(metric=3), IPE,
      "The 'metric' parameter of evaluate_out_of_time must be a metric name from "
      "oot.metrics.available() or an oot.Metric. Got 3 instead."),
    P("eot-estimator-without-proba", eot(estimator=LinearSVC(), metric="log_loss"), IPE,
      "The 'estimator' parameter of evaluate_out_of_time must be an estimator with "
      "predict_proba, which metric 'log_loss' needs. Got LinearSVC() instead. Use a "
      "probabilistic classifier, or wrap it in sklearn.calibration.CalibratedClassifierCV."),
    P("eot-regressor-for-roc-auc", eot(estimator=SVR()), IPE,
      "The 'estimator' parameter of evaluate_out_of_time must be an estimator with "
      "predict_proba or decision_function, which metric 'roc_auc' needs. Got SVR() instead."),
    P("eot-estimator-class", eot(estimator=LogisticRegression), IPE,
      "The 'estimator' parameter of evaluate_out_of_time must be a scikit-learn estimator "
      "instance. Got <class", "Pass an instance, e.g. LogisticRegression(), not the class."),
    P("eot-estimator-string", eot(estimator="logreg"), IPE,
      "The 'estimator' parameter of evaluate_out_of_time must be a scikit-learn estimator (an "
      "object with fit). Got 'logreg' instead."),
    # ----------------------------------------------------------------- windows
    P("eot-windows-longer-than-data", eot(train_window="110D"), IPE,
      f"The window plan of evaluate_out_of_time leaves no evaluation window: the data span "
      f"{SPAN}; training on train_window='110D' from the first timestamp ends at 2024-04-20 "
      "00:00:00, and the first evaluation window (eval_window='30D', gap='0D') would end at "
      "2024-05-20 00:00:00. Reduce train_window or eval_window, or add data."),
    P("eot-negative-gap", eot(gap="-2D"), IPE,
      "The 'gap' parameter of evaluate_out_of_time must be a Timedelta or pandas offset >= 0 "
      "for datetime time, like '30D', '2W', 'MS' (calendar months) or 'QS'. Got '-2D' "
      "instead."),
    P("eot-gap-without-unit", eot(gap=3), IPE,
      "Got 3 instead. Write the unit, e.g. gap='3D' for 3 days."),
    P("eot-negative-anchors", eot(anchors=-1), IPE,
      "The 'anchors' parameter of evaluate_out_of_time must be an int in the range [1, inf). "
      "Got -1 instead. Use anchors=1 for a single training cutoff."),
    P("eot-fractional-anchors", eot(anchors=2.5), IPE,
      "The 'anchors' parameter of evaluate_out_of_time must be a positive int (how many "
      "anchors) or a list of cutoffs. Got 2.5 instead."),
    P("eot-empty-anchor-list", eot(anchors=[]), IPE,
      "The 'anchors' parameter of evaluate_out_of_time must be a positive int or a non-empty "
      "list of cutoffs. Got [] instead."),
    P("eot-cutoff-before-data", eot(anchors=["2023-01-01"]), IPE,
      "The 'anchors' parameter of evaluate_out_of_time must be cutoffs inside the data's time "
      f"span {SPAN}. Got Timestamp('2023-01-01 00:00:00') instead. Choose cutoffs after the "
      "first and before the last timestamp."),
    P("eot-cutoff-not-a-date", eot(anchors=["banana"]), IPE,
      "The 'anchors' parameter of evaluate_out_of_time must be a list of cutoffs of the time "
      "column's kind (timestamps). Got 'banana' instead."),
    P("eot-duplicate-cutoffs", eot(anchors=["2024-02-01", "2024-02-01"]), IPE,
      "The 'anchors' parameter of evaluate_out_of_time must be a list of distinct cutoffs. "
      "Got ['2024-02-01', '2024-02-01'] instead."),
    P("eot-zero-anchor-step", eot(anchor_step="0D"), IPE,
      "The 'anchor_step' parameter of evaluate_out_of_time must be a Timedelta or pandas "
      "offset > 0", "Got '0D' instead."),
    P("eot-negative-horizon", eot(horizon="-1D"), IPE,
      "The 'horizon' parameter of evaluate_out_of_time must be a Timedelta or pandas offset "
      "> 0", "Got '-1D' instead."),
    P("eot-expanding-not-bool", eot(expanding="yes"), IPE,
      "The 'expanding' parameter of evaluate_out_of_time must be a bool. Got 'yes' instead."),
    P("eot-random-state-string", eot(random_state="0"), IPE,
      "The 'random_state' parameter of evaluate_out_of_time must be an int, a numpy "
      "Generator/RandomState or None. Got '0' instead."),
    # ----------------------------------------------------- evaluate_predictions
    P("ep-cutoff-after-data", ep(cutoff="2030-01-01"), IPE,
      "The 'cutoff' parameter of evaluate_predictions must be inside the data's time span "
      f"{SPAN}. Got '2030-01-01' instead."),
    P("ep-cutoff-not-a-date", ep(cutoff="banana"), IPE,
      "The 'cutoff' parameter of evaluate_predictions must be a timestamp. Got 'banana' "
      "instead."),
    P("ep-one-cutoff-two-models", ep(y_pred=["p", "x1"]), IPE,
      "The 'cutoff' parameter of evaluate_predictions must be one cutoff per y_pred column "
      "(2). Got '2024-02-01' instead."),
    P("ep-y-pred-misspelt", ep(y_pred="pp"), MCE,
      "The 'y_pred' parameter of evaluate_predictions must be a column of the DataFrame. Got "
      "'pp' instead. Did you mean 'p'?"),
    P("ep-y-true-misspelt", ep(y_true="Y"), MCE,
      "The 'y_true' parameter of evaluate_predictions must be a column of the DataFrame. Got "
      "'Y' instead. Did you mean 'y'?"),
    P("ep-string-predictions", ep(data=with_col(p="high")), IPE,
      "The prediction column 'p' must hold numbers for metric 'roc_auc' (dtype ",
      "first value 'high'). Pass scores or probabilities, or choose a label metric such as "
      "'accuracy'."),
    P("ep-probabilities-out-of-range", ep(data=with_col(p=DF["p"] * 3 - 1),
                                          metric="log_loss"), IPE,
      "The prediction column 'p' must hold probabilities in [0, 1] for metric 'log_loss'. "
      "Got values from ", "Pass the predicted probability of the positive class."),
    P("ep-nan-predictions", ep(data=with_col(p=DF["p"].where(DF["ts"] < "2024-03-01"))), IPE,
      "The prediction column 'p' has ", "missing or infinite value(s) after the cutoff. Fill "
      "or drop them."),
    P("ep-inf-target", ep(data=with_col(r=DF["r"].where(DF.index != 9, np.inf)), y_true="r",
                          y_pred="x1", metric="rmse"), IPE,
      "The target column 'r' has 1 missing or infinite value(s) (row positions [9])."),
    # --------------------------------------------------- recommend_retrain_interval
    P("rec-tolerance-above-1", rec(tolerance=1.5), IPE,
      "The 'tolerance' parameter of recommend_retrain_interval must be a float in the range "
      "(0, 1) for tolerance_type='relative'. Got 1.5 instead. Write 5% as tolerance=0.05."),
    P("rec-tolerance-string", rec(tolerance="5%"), IPE,
      "The 'tolerance' parameter of recommend_retrain_interval must be a float in the range "
      "(0, 1) for tolerance_type='relative'. Got '5%' instead."),
    P("rec-tolerance-nan", rec(tolerance=float("nan")), IPE,
      "The 'tolerance' parameter of recommend_retrain_interval must be a float in the range "
      "(0, 1) for tolerance_type='relative'. Got nan instead."),
    P("rec-confidence-level-1", rec(confidence_level=1.0), IPE,
      "The 'confidence_level' parameter of recommend_retrain_interval must be a float in the "
      "range (0, 1). Got 1.0 instead. Write 90% as confidence_level=0.9."),
    P("rec-confidence-level-negative", rec(confidence_level=-0.1), IPE,
      "The 'confidence_level' parameter of recommend_retrain_interval must be a float in the "
      "range (0, 1). Got -0.1 instead."),
    P("rec-n-bootstrap-fraction", rec(n_bootstrap=0.5), IPE,
      "The 'n_bootstrap' parameter of recommend_retrain_interval must be an int in the range "
      "[1, inf). Got 0.5 instead."),
    P("rec-n-bootstrap-negative", rec(n_bootstrap=-3), IPE,
      "The 'n_bootstrap' parameter of recommend_retrain_interval must be an int in the range "
      "[1, inf). Got -3 instead."),
    P("rec-negative-retrain-cost", rec(retrain_cost=-1.0, shortfall_cost=1.0), IPE,
      "The 'retrain_cost' parameter of recommend_retrain_interval must be a float in the "
      "range (0, inf). Got -1.0 instead."),
    P("rec-zero-baseline-relative", rec(baseline=0.0), IPE,
      "The 'baseline' parameter of recommend_retrain_interval must be non-zero for "
      "tolerance_type='relative'. Got 0.0 instead. Use tolerance_type='absolute' for a "
      "metric whose baseline is 0."),
    P("rec-extrapolate-not-bool", rec(extrapolate="no"), IPE,
      "The 'extrapolate' parameter of recommend_retrain_interval must be a bool. Got 'no' "
      "instead."),
    P("rec-data-a-list", lambda: recommend_retrain_interval([1, 2, 3]), IPE,
      "The 'data' parameter of recommend_retrain_interval must be a data frame (pandas or "
      "polars DataFrame, polars LazyFrame, pyarrow Table, or another frame narwhals reads) "
      "or an OOTEvaluation. Got 'list' instead. Build a pandas DataFrame with "
      "pandas.DataFrame(...), or pass a polars or pyarrow frame."),
    P("rec-frame-without-time", rec_df(time=None), IPE,
      "The 'time' parameter of recommend_retrain_interval must be a column name when data is "
      "a DataFrame. Got None instead."),
    P("rec-frame-cost-without-shortfall", rec_df(retrain_cost=100.0), IPE,
      "The 'shortfall_cost' parameter of recommend_retrain_interval must be given together "
      "with retrain_cost. Got None instead. The cost-optimal cadence needs both costs; pass "
      "both or neither."),
    P("rec-frame-tolerance-checked-first", rec_df(tolerance=0.0, train_window="500D"), IPE,
      "The 'tolerance' parameter of recommend_retrain_interval must be a float in the range "
      "(0, 1) for tolerance_type='relative'. Got 0.0 instead."),
    P("rec-frame-target-misspelt", rec_df(target="yy"), MCE,
      "The 'target' parameter of", "Got 'yy' instead. Did you mean 'y'?"),
    P("rec-frame-zero-anchors", rec_df(anchors=0), IPE,
      "The 'anchors' parameter of", "must be an int in the range [1, inf). Got 0 instead."),
    # ------------------------------------------------------------ fit_degradation
    P("fd-not-an-evaluation", lambda: fit_degradation(DF), IPE,
      "The 'evaluation' parameter of fit_degradation must be an OOTEvaluation. Got "
      "'DataFrame' instead. Build one with oot.evaluate_out_of_time or "
      "OOTEvaluation.from_frame."),
    P("fd-unknown-curve", lambda: fit_degradation(EV, curve="cubic"), IPE,
      "The 'curve' parameter of fit_degradation must be one of {'auto', 'linear', "
      "'quadratic', 'exponential', 'power', 'logarithmic', 'hinge', 'explosive', "
      "'logistic', 'isotonic'}. Got 'cubic' instead."),
    P("fd-baseline-nan", lambda: fit_degradation(EV, baseline=float("nan")), IPE,
      "The 'baseline' parameter of fit_degradation must be 'curve', 'first_window' or a "
      "finite float. Got nan instead."),
    P("fd-too-few-windows", lambda: fit_degradation(_evaluation(2)), NotEnoughWindowsError,
      "fit_degradation needs at least 3 usable windows to fit a linear curve with 1 anchor "
      "offset(s); got 2 usable windows (of 2). Get more usable windows: use longer data, a "
      "shorter eval_window, more anchors or a smaller min_window_size."),
    # ------------------------------------------------------------- OutOfTimeSplit
    P("ots-n-splits-without-x",
      lambda: OutOfTimeSplit(train_window="30D", eval_window="10D").get_n_splits(), IPE,
      "The 'X' parameter of OutOfTimeSplit.get_n_splits must be the data (the number of "
      "windows depends on its time span). Got None instead."),
    P("ots-array-with-time-column", ots(X=np.zeros((3, 3))), IPE,
      "The 'X' parameter of OutOfTimeSplit.split must be a pandas DataFrame holding the time "
      "column 'ts'. Got 'ndarray' instead."),
    P("ots-horizon-without-unit", ots(horizon=5), IPE,
      "The 'horizon' parameter of OutOfTimeSplit.split must be a Timedelta or pandas offset "
      "> 0", "Got 5 instead. Write the unit, e.g. horizon='5D' for 5 days."),
    P("ots-train-window-none", ots(train_window=None), IPE,
      "The 'train_window' parameter of OutOfTimeSplit.split must be a window length like "
      "'30D', '2W' or 'MS'. Got None instead."),
    # -------------------------------------------------------- Metric, get_metric
    P("metric-empty-name", metric(name=""), IPE,
      "The 'name' parameter of Metric must be a non-empty str. Got '' instead."),
    P("metric-func-not-callable", metric(func=3), IPE,
      "The 'func' parameter of Metric must be a callable func(y_true, y_pred) -> float or "
      "None. Got 3 instead."),
    P("metric-direction-not-bool", metric(greater_is_better="yes"), IPE,
      "The 'greater_is_better' parameter of Metric must be a bool. Got 'yes' instead."),
    P("metric-unknown-response", metric(response="proba"), IPE,
      "The 'response' parameter of Metric must be one of {", "Got 'proba' instead."),
    P("get-metric-typo", lambda: get_metric("rmsee", func="f"), IPE,
      "The 'metric' parameter of f must be a metric name from oot.metrics.available() or an "
      "oot.Metric. Got 'rmsee' instead. Did you mean 'rmse'? " + VALID_METRICS),
    # ------------------------------------------------------------ score_windows
    P("sw-length-mismatch", sw("roc_auc", Y4, P4[:3], [0], [3]), IPE,
      "The 'y_pred' parameter of score_windows must be an array of length 4 (the length of "
      "y_true). Got 'an array of shape (3,)' instead."),
    P("sw-window-past-the-end", sw("roc_auc", Y4, P4, [0], [9]), IPE,
      "The 'starts' parameter of score_windows must be ranges with 0 <= start <= stop <= 4 "
      "(len(y_true)). Got 'start=0, stop=9 for window 0' instead."),
    P("sw-float-starts", sw("roc_auc", Y4, P4, [0.0], [2.0]), IPE,
      "The 'starts' parameter of score_windows must be a 1-D array of ints. Got [0.0] "
      "instead."),
    P("sw-n-classes-for-regression", sw("rmse", Y4, P4, [0], [4], n_classes=2), IPE,
      "The 'n_classes' parameter of score_windows must be None for the regression metric "
      "'rmse'. Got 2 instead."),
    P("sw-string-scores", sw("roc_auc", Y4, np.array(list("abcd")), [0], [4]), IPE,
      "The 'y_pred' parameter of score_windows must be numbers (scores, probabilities or "
      "values) for metric 'roc_auc'. Got 'an array of dtype <U1' instead. Pass the model's "
      "scores or probabilities, or use a label metric such as 'accuracy'."),
    P("sw-binary-metric-multiclass", sw("average_precision", np.array([0, 1, 2, 1]), P4, [0],
                                        [4], n_classes=3), IPE,
      "The 'n_classes' parameter of score_windows must be 2 or None for the binary-only "
      "metric 'average_precision'. Got 3 instead. Choose a metric that supports multiclass, "
      "e.g. 'roc_auc' or 'log_loss'."),
    # ------------------------------------------------- OOTEvaluation.from_frame/json
    P("frame-not-a-dataframe",
      lambda: OOTEvaluation.from_frame({"age": [1.0]}, metric="rmse"), IPE,  # type: ignore
      "The 'frame' parameter of OOTEvaluation.from_frame must be a pandas DataFrame. Got "
      "dict instead."),
    P("frame-score-column-misspelt", lambda: OOTEvaluation.from_frame(
        pd.DataFrame({"age": [1.0], "scores": [1.0]}), metric="rmse"), MCE,
      "The 'frame' parameter of OOTEvaluation.from_frame must be a column of the DataFrame. "
      "Got 'score' instead. Did you mean 'scores'?"),
    P("frame-unknown-metric", lambda: OOTEvaluation.from_frame(
        pd.DataFrame({"age": [1.0], "score": [1.0]}), metric="rsme"), IPE,
      "Got 'rsme' instead. Did you mean 'rmse'?"),
    P("evaluation-json-truncated", lambda: OOTEvaluation.from_json(EV_JSON[:-10]), IPE,
      "The 'text' parameter of OOTEvaluation.from_json must be a JSON document written by "
      "OOTEvaluation.to_json. It could not be parsed: "),
    P("evaluation-json-a-list", lambda: OOTEvaluation.from_json("[1, 2]"), IPE,
      "The 'text' parameter of OOTEvaluation.from_json must be a JSON object written by "
      "OOTEvaluation.to_json. Got a JSON list instead."),
    P("evaluation-json-missing-field", lambda: OOTEvaluation.from_json(
        EV_JSON.replace('"time_kind"', '"kind"')), IPE,
      "The 'text' parameter of OOTEvaluation.from_json must be a document written by "
      "OOTEvaluation.to_json; its field 'time_kind' is missing."),
    P("evaluation-json-not-text", lambda: OOTEvaluation.from_json(3), IPE,  # type: ignore
      "The 'text' parameter of OOTEvaluation.from_json must be a JSON document written by "
      "OOTEvaluation.to_json. It could not be parsed"),
    P("recommendation-json-truncated",
      lambda: RetrainRecommendation.from_json('{"schema": "oot.Retr'), IPE,
      "The 'text' parameter of RetrainRecommendation.from_json must be a JSON document "
      "written by RetrainRecommendation.to_json. It could not be parsed: "),
    P("recommendation-json-of-an-evaluation",
      lambda: RetrainRecommendation.from_json(EV_JSON), IPE,
      "The 'text' parameter of RetrainRecommendation.from_json must be a document written by "
      "RetrainRecommendation.to_json (schema 'oot.RetrainRecommendation/1'). Got schema "
      "'oot.OOTEvaluation/1' instead."),
    # ------------------------------------------------------------------ datasets
    P("data-n-samples-zero", lambda: make_drifting_regression(n_samples=0), IPE,
      "The 'n_samples' parameter of make_drifting_regression must be an int in the range "
      "[1, inf). Got 0 instead."),
    P("data-negative-noise", lambda: make_drifting_regression(noise=-1.0), IPE,
      "The 'noise' parameter of make_drifting_regression must be a float in the range "
      "(0, inf). Got -1.0 instead."),
    P("data-time-kind", lambda: make_drifting_classification(time_kind="dates"), IPE,
      "The 'time_kind' parameter of make_drifting_classification must be one of "
      "{'datetime', 'numeric'}. Got 'dates' instead."),
    P("data-start-not-a-date", lambda: make_drifting_classification(start="banana"), IPE,
      "The 'start' parameter of make_drifting_classification must be a date", "Got 'banana' "
      "instead."),
    P("data-duplicate-fraction", lambda: make_drifting_regression(duplicate_fraction=1.5),
      IPE, "The 'duplicate_fraction' parameter of make_drifting_regression must be a float "
      "in the range [0, 1). Got 1.5 instead."),
    P("data-scores-shape", lambda: make_degradation_scores(shape="cubic"), IPE,
      "The 'shape' parameter of make_degradation_scores must be one of {", "Got 'cubic' "
      "instead."),
    P("data-chicago-as-frame", lambda: load_chicago_ridership(as_frame="yes"), IPE,
      "The 'as_frame' parameter of load_chicago_ridership must be a bool. Got 'yes' "
      "instead."),
]


@pytest.mark.parametrize(("call", "exc", "parts"), CASES)
def test_bad_input_is_refused_with_a_helpful_message(
        call: Callable[[], Any], exc: type[BaseException], parts: tuple[str, ...]) -> None:
    with pytest.raises(exc) as info:
        call()
    assert isinstance(info.value, (ValueError, TypeError))
    msg = str(info.value)
    for part in parts:
        assert re.search(re.escape(part), msg), f"{part!r} not in {msg!r}"


def test_the_table_is_large_and_its_ids_distinct() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 40


# ----------------------------------------------------------------- command line
HAS_CLI = importlib.util.find_spec("oot.cli") is not None
needs_cli = pytest.mark.skipif(not HAS_CLI, reason="oot.cli is not written yet")


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from oot.cli import main

    try:
        rc = main(args)
    except SystemExit as exc:  # argparse-style exits
        rc = exc.code if isinstance(exc.code, int) else 2
    err = capsys.readouterr().err
    return int(rc or 0), err


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "data.csv"
    DF.to_csv(path, index=False)
    return path


def _analyze(path: Path | str, out: Path, **overrides: str) -> list[str]:
    opts = {"--time": "ts", "--target": "y", "--metric": "roc_auc", "--model": "logistic",
            "--train-window": "30D", "--eval-window": "30D"}
    opts.update(overrides)
    args = ["analyze", str(path)]
    for k, v in opts.items():
        args += [k, v]
    return [*args, "--out", str(out)]


@needs_cli
@pytest.mark.parametrize(("case", "expected"), [
    pytest.param("missing-file", ("no-such-file.csv",), id="cli-missing-file"),
    pytest.param("bad-column", ("'tss'", "Did you mean 'ts'?"), id="cli-bad-time-column"),
    pytest.param("bad-model-params", ("--model-params", "invalid JSON"),
                 id="cli-bad-model-params"),
    pytest.param("bad-tolerance", ("tolerance", "1.5"), id="cli-bad-tolerance"),
])
def test_cli_refuses_bad_input_with_one_line(
        case: str, expected: tuple[str, ...], csv_file: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    if case == "missing-file":
        args = _analyze(tmp_path / "no-such-file.csv", out)
    elif case == "bad-column":
        args = _analyze(csv_file, out, **{"--time": "tss"})
    elif case == "bad-model-params":
        args = _analyze(csv_file, out, **{"--model-params": "{C: 1"})
    else:
        args = _analyze(csv_file, out, **{"--tolerance": "1.5"})
    rc, err = _run_cli(args, capsys)
    assert rc == 2
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    for part in expected:
        assert part in lines[0], lines[0]
