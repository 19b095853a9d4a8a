"""Tests of the time axis, window plan and OutOfTimeSplit."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from oot import InvalidParameterError, MissingColumnError, OutOfTimeSplit
from oot._validation import calling
from oot.windows import TimeAxis, make_plan, parse_length

from .strategies import numeric_frames, time_frames, window_settings


def daily(n: int = 120, start: str = "2024-01-01") -> pd.DataFrame:
    return pd.DataFrame({"ts": pd.date_range(start, periods=n, freq="D"), "x": np.arange(n)})


# ------------------------------------------------------------------- definitions
def test_first_cutoff_is_tmin_plus_train_window() -> None:
    plan = OutOfTimeSplit(time="ts", train_window="60D", eval_window="30D").plan(daily())
    assert (plan["cutoff"] == pd.Timestamp("2024-03-01")).all()
    assert (plan["train_start"] == pd.Timestamp("2024-01-01")).all()
    assert plan["window_start"].tolist() == [pd.Timestamp("2024-03-01"),
                                             pd.Timestamp("2024-03-31")]
    assert plan["n"].tolist() == [30, 30]
    assert plan["n_train"].tolist() == [60, 60]
    # age = window midpoint minus cutoff
    assert plan["age"].tolist() == [pd.Timedelta("15D"), pd.Timedelta("45D")]


def test_anchor_step_defaults_to_eval_window() -> None:
    plan = OutOfTimeSplit(time="ts", train_window="30D", eval_window="20D",
                          anchors=3).plan(daily())
    cut = plan.drop_duplicates("anchor")["cutoff"].tolist()
    assert cut == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-20"),
                   pd.Timestamp("2024-03-11")]


def test_expanding_trains_from_first_timestamp() -> None:
    plan = OutOfTimeSplit(time="ts", train_window="30D", eval_window="20D", anchors=3,
                          expanding=True).plan(daily())
    assert (plan["train_start"] == pd.Timestamp("2024-01-01")).all()
    assert plan.drop_duplicates("anchor")["n_train"].tolist() == [30, 50, 70]


def test_gap_delays_the_first_window() -> None:
    plan = OutOfTimeSplit(time="ts", train_window="60D", eval_window="20D",
                          gap="7D").plan(daily())
    assert plan["window_start"].iloc[0] == pd.Timestamp("2024-03-08")
    assert plan["age"].iloc[0] == pd.Timedelta("17D")


def test_calendar_windows_start_at_the_next_boundary() -> None:
    plan = OutOfTimeSplit(time="ts", train_window="45D", eval_window="MS").plan(daily())
    # cutoff 2024-02-15 -> first calendar month starting at or after it is March
    assert plan["window_start"].tolist()[:2] == [pd.Timestamp("2024-03-01"),
                                                 pd.Timestamp("2024-04-01")]
    # the data end on 2024-04-29: April is kept (29 of 30 days), flagged partial
    assert plan["n"].tolist()[:2] == [31, 29]
    assert plan["partial"].tolist() == [False, True]


def test_last_window_partial_when_half_covered_else_dropped() -> None:
    # 100 days, cutoff day 60, 30D windows: [60,90) full, [90,120) covers 10/30 -> dropped
    plan = OutOfTimeSplit(time="ts", train_window="60D", eval_window="30D").plan(daily(100))
    assert len(plan) == 1
    # 110 days: [90,120) covers 20/30 >= half -> kept, partial, truncated at the data end
    plan = OutOfTimeSplit(time="ts", train_window="60D", eval_window="30D").plan(daily(110))
    assert plan["partial"].tolist() == [False, True]
    assert plan["n"].tolist() == [30, 20]
    assert plan["window_end"].iloc[1] == pd.Timestamp("2024-04-20")
    assert plan["age"].iloc[1] == pd.Timedelta("40D")


def test_horizon_limits_the_windows() -> None:
    plan = OutOfTimeSplit(time="ts", train_window="30D", eval_window="10D",
                          horizon="30D").plan(daily())
    assert len(plan) == 3
    assert plan["window_end"].max() == pd.Timestamp("2024-03-01")


def test_numeric_time_with_repeats_and_explicit_cutoffs() -> None:
    X = pd.DataFrame({"t": np.repeat(np.arange(50), 3)})
    plan = OutOfTimeSplit(time="t", train_window=10, eval_window=5,
                          anchors=[20, 30]).plan(X)
    first = plan[plan["anchor"] == 1].iloc[0]
    assert first["cutoff"] == 20.0
    assert first["train_start"] == 10.0
    assert first["n"] == 15
    assert first["age"] == 2.5


def test_tz_aware_calendar_months_follow_local_time() -> None:
    X = daily(150)
    X["ts"] = X["ts"].dt.tz_localize("US/Eastern")
    plan = OutOfTimeSplit(time="ts", train_window="30D", eval_window="MS").plan(X)
    assert plan["window_start"].iloc[0] == pd.Timestamp("2024-02-01", tz="US/Eastern")
    assert plan["n"].iloc[0] == 29


def test_split_yields_positions_into_x() -> None:
    X = daily().sample(frac=1.0, random_state=1)
    cv = OutOfTimeSplit(time="ts", train_window="60D", eval_window="30D")
    splits = list(cv.split(X))
    assert len(splits) == cv.get_n_splits(X) == 2
    train, test = splits[0]
    assert X["ts"].iloc[train].max() < X["ts"].iloc[test].min()
    assert len(np.intersect1d(train, test)) == 0
    anchors = list(cv.split_anchors(X))
    assert len(anchors) == 1
    np.testing.assert_array_equal(anchors[0][1][1], splits[1][1])


def test_split_works_with_scikit_learn_cross_validation() -> None:
    rng = np.random.default_rng(0)
    X = daily(200)
    X["x"] = rng.normal(size=200)
    y = (X["x"] + rng.normal(size=200) > 0).astype(int)
    cv = OutOfTimeSplit(time="ts", train_window="90D", eval_window="30D", anchors=2)
    scores = cross_val_score(LogisticRegression(), X[["x"]], y, cv=list(cv.split(X)))
    assert len(scores) == cv.get_n_splits(X)


def test_parse_length_kinds() -> None:
    assert parse_length("30D", "w", "datetime").fixed == 30 * 86400e9
    assert parse_length("2W", "w", "datetime").fixed == 14 * 86400e9
    assert parse_length("MS", "w", "datetime").is_calendar
    assert parse_length(pd.Timedelta("3h"), "w", "datetime").fixed == 3 * 3600e9
    assert parse_length(7, "w", "numeric").fixed == 7.0
    assert parse_length("W", "w", "datetime").fixed == 7 * 86400e9
    assert parse_length("90min", "w", "datetime").fixed == 90 * 60e9
    assert parse_length("12ms", "w", "datetime").fixed == 12e6


def test_messages_name_the_running_public_function() -> None:
    # helpers read the caller's name; an explicit func (the older calls) still wins
    with calling("evaluate_out_of_time"), pytest.raises(InvalidParameterError, match=re.escape(
            "The 'eval_window' parameter of evaluate_out_of_time must be a Timedelta")):
        parse_length("banana", "eval_window", "datetime")
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'gap' parameter of my_func must be a number >= 0 for numeric time")):
        parse_length(-1, "gap", "my_func", "numeric", allow_zero=True)
    X = pd.DataFrame({"t": [1.0, np.inf, 3.0]})
    with calling("fit_something"), pytest.raises(InvalidParameterError, match=re.escape(
            "value(s) (row positions [1]). Drop or fill them before calling fit_something.")):
        TimeAxis.from_column(X, "t")
    ax = TimeAxis.from_column(daily(), "ts")
    with calling("recommend_retrain_interval"), pytest.raises(
            InvalidParameterError, match=re.escape(
                "The 'anchors' parameter of recommend_retrain_interval must be an int")):
        make_plan(ax, train_window="30D", eval_window="10D", anchors=0)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The window plan of g leaves no evaluation window")):
        make_plan(ax, func="g", train_window="119D", eval_window="10D")
    with pytest.raises(TypeError, match="positional"):
        parse_length("30D", "w")  # type: ignore[call-overload]


def test_zero_gap_needs_no_unit() -> None:
    a = OutOfTimeSplit(time="ts", train_window="60D", eval_window="30D", gap=0).plan(daily())
    b = OutOfTimeSplit(time="ts", train_window="60D", eval_window="30D",
                       gap="0D").plan(daily())
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("text", ["12MS", "2QS", "YS", "ME", "W-MON"])
def test_calendar_offsets_are_never_read_as_durations(text: str) -> None:
    # pandas reads Timedelta("12MS") as 12 milliseconds: "MS" must mean month starts
    length = parse_length(text, "w", "datetime")
    assert length is not None
    assert length.is_calendar


def test_twelve_calendar_months_of_training() -> None:
    X = daily(500)
    plan = OutOfTimeSplit(time="ts", train_window="12MS", eval_window="MS").plan(X)
    assert plan["cutoff"].iloc[0] == pd.Timestamp("2025-01-01")
    assert plan["window_start"].iloc[0] == pd.Timestamp("2025-01-01")


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"train_window": 30, "eval_window": "30D"},
     "The 'train_window' parameter of OutOfTimeSplit.split must be a Timedelta or pandas "
     "offset > 0 for datetime time, like '30D', '2W', 'MS' (calendar months) or 'QS'. Got "
     "30 instead. Write the unit, e.g. train_window='30D' for 30 days."),
    ({"train_window": "30D", "eval_window": "-5D"},
     "The 'eval_window' parameter of OutOfTimeSplit.split must be a Timedelta or pandas "
     "offset > 0"),
    ({"train_window": "30D", "eval_window": "10D", "gap": "-1D"},
     "The 'gap' parameter of OutOfTimeSplit.split must be a Timedelta or pandas offset >= 0"),
    ({"train_window": "30D", "eval_window": "10D", "anchors": 0},
     "The 'anchors' parameter of OutOfTimeSplit.split must be an int in the range [1, inf). "
     "Got 0 instead."),
    ({"train_window": "30D", "eval_window": "10D", "anchors": "3"},
     "The 'anchors' parameter of OutOfTimeSplit.split must be a positive int (how many "
     "anchors) or a list of cutoffs. Got '3' instead."),
    ({"train_window": "30D", "eval_window": "10D", "anchors": ["2030-01-01"]},
     "The 'anchors' parameter of OutOfTimeSplit.split must be cutoffs inside the data's "
     "time span"),
    ({"train_window": "30D", "eval_window": "banana"},
     "The 'eval_window' parameter of OutOfTimeSplit.split must be a Timedelta or pandas "
     "offset > 0 for datetime time, like '30D', '2W', 'MS' (calendar months) or 'QS'. Got "
     "'banana' instead."),
])
def test_bad_window_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        OutOfTimeSplit(time="ts", **kwargs).plan(daily())  # type: ignore[arg-type]


def test_windows_longer_than_the_data_give_the_span() -> None:
    msg = ("The window plan of OutOfTimeSplit.split leaves no evaluation window: the data "
           "span 2024-01-01 00:00:00 to 2024-04-29 00:00:00 (120 days); training on "
           "train_window='110D' from the first timestamp ends at 2024-04-20 00:00:00, and "
           "the first evaluation window (eval_window='30D', gap='0D') would end at "
           "2024-05-20 00:00:00. Reduce train_window or eval_window, or add data.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        OutOfTimeSplit(time="ts", train_window="110D", eval_window="30D").plan(daily())


def test_too_many_anchors_says_how_many_fit() -> None:
    with pytest.raises(InvalidParameterError, match=re.escape("Use anchors=3 or fewer")):
        OutOfTimeSplit(time="ts", train_window="30D", eval_window="30D",
                       anchors=5).plan(daily())


def test_numeric_time_rejects_strings() -> None:
    X = pd.DataFrame({"t": np.arange(100)})
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'train_window' parameter of OutOfTimeSplit.split must be a number > 0 for "
            "numeric time (in the time column's units). Got '30D' instead.")):
        OutOfTimeSplit(time="t", train_window="30D", eval_window=5).plan(X)


def test_missing_time_column_suggests_the_close_match() -> None:
    with pytest.raises(MissingColumnError, match=re.escape(
            "The 'time' parameter of OutOfTimeSplit.split must be a column of the DataFrame. "
            "Got 'tss' instead. Did you mean 'ts'?")):
        OutOfTimeSplit(time="tss", train_window="30D", eval_window="10D").plan(daily())


def test_unparseable_and_missing_times() -> None:
    X = pd.DataFrame({"ts": ["2024-01-01", "not a date", "2024-01-03"]})
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The time column 'ts' could not be parsed as datetimes")):
        TimeAxis.from_column(X, "ts", "f")
    X = pd.DataFrame({"ts": pd.to_datetime(["2024-01-01", None, "2024-01-03"])})
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The time column 'ts' has 1 missing value(s) (NaT; row positions [1]). Drop or "
            "fill them before calling f.")):
        TimeAxis.from_column(X, "ts", "f")


def test_mixed_time_zones_are_refused() -> None:
    X = pd.DataFrame({"ts": ["2024-01-01T00:00:00+01:00", "2024-01-02T00:00:00-05:00"]})
    with pytest.raises(InvalidParameterError, match="mixes time zones"):
        TimeAxis.from_column(X, "ts", "f")


def test_iso_strings_are_parsed() -> None:
    X = pd.DataFrame({"ts": [f"2024-01-{d:02d}" for d in range(1, 31)]})
    ax = TimeAxis.from_column(X, "ts", "f")
    assert ax.kind == "datetime"


# -------------------------------------------------------------------- properties
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=time_frames(), cfg=window_settings())
def test_windows_never_hold_training_rows_and_respect_the_gap(
        frame: pd.DataFrame, cfg: dict[str, object]) -> None:
    ax = TimeAxis.from_column(frame, "ts", "f")
    try:
        plan = make_plan(ax, func="f", **cfg)  # type: ignore[arg-type]
    except InvalidParameterError:
        return  # plan does not fit the drawn span: refused loudly, fine
    gap = pd.Timedelta(str(cfg["gap"])).value
    t = ax.sorted
    for i in range(plan.n_windows):
        a = plan.anchor_idx[i]
        lo, hi = plan.lo[i], plan.hi[i]
        tr_lo, tr_hi = plan.train_lo[a], plan.train_hi[a]
        if hi > lo:
            assert t[lo] >= plan.cutoff[a] + gap
            assert t[hi - 1] < plan.end[i] or plan.partial[i]
        if tr_hi > tr_lo:
            assert t[tr_hi - 1] < plan.cutoff[a]
            assert t[tr_lo] >= plan.train_start[a]
        # no overlap between the training range and the window range
        assert tr_hi <= lo
        assert plan.start[i] >= plan.cutoff[a] + gap


@settings(max_examples=30, deadline=None)
@given(frame=numeric_frames())
def test_split_is_invariant_to_row_order(frame: pd.DataFrame) -> None:
    cv = OutOfTimeSplit(time="t", train_window=10, eval_window=5, anchors=2)
    try:
        a = cv.plan(frame)
    except InvalidParameterError:
        return
    shuffled = frame.sample(frac=1.0, random_state=0)
    b = cv.plan(shuffled)
    pd.testing.assert_frame_equal(a, b)
    # positions map back to the same rows
    for (tr1, te1), (tr2, te2) in zip(cv.split(frame), cv.split(shuffled), strict=True):
        assert sorted(frame.index[tr1]) == sorted(shuffled.index[tr2])
        assert sorted(frame.index[te1]) == sorted(shuffled.index[te2])
