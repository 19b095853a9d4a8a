"""Tests of oot._format: the one home of oot's text.

The method text is checked for every combination of curve (auto and each family),
baseline, reference, tolerance type and source of the anchors: each must say what was
actually done, and must not say what was not.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import oot._format as fmt
from oot import OOTEvaluation, evaluate_out_of_time, evaluate_predictions
from oot._validation import (
    ExtrapolationWarning,
    InvalidParameterError,
    NotEnoughWindowsError,
)
from oot.datasets import make_degradation_scores, make_drifting_regression
from oot.degradation import FAMILIES
from oot.degradation._data import prepare
from oot.degradation._families import get_family
from oot.recommend import recommend_retrain_interval

DAY = pd.Timedelta(days=1)


# ============================================================================ fragments
@pytest.mark.parametrize(("days", "text"), [
    (0.0, "0 days"), (0.5, "12 hours"), (3.5, "3.5 days"), (56.0, "56 days"),
    (119.4, "119 days"), (120.0, "3.9 months"), (1094.0, "35.9 months"),
    (1095.0, "3.0 years"),
])
def test_age_words(days, text):
    assert fmt.age(pd.Timedelta(days=days), "datetime") == text


def test_age_numeric_and_missing():
    assert fmt.age(45.0, "numeric") == "45"
    assert fmt.age(1234.567, "numeric") == "1235"
    assert fmt.age(None, "datetime") == "n/a"
    assert fmt.age(pd.NaT, "datetime") == "n/a"
    assert fmt.age(float("nan"), "numeric") == "n/a"


def test_age_unit_matches_the_unit_table():
    assert fmt.age_unit(120.0) == ("days", 1.0)
    assert fmt.age_unit(121.0) == ("months", fmt.DAYS_PER_MONTH)
    assert fmt.age_unit(6 * 365.25) == ("months", fmt.DAYS_PER_MONTH)
    assert fmt.age_unit(6 * 365.25 + 1) == ("years", fmt.DAYS_PER_YEAR)
    assert fmt.age_unit(float("nan")) == ("days", 1.0)
    # the months of the axis are the months of the sentence
    assert fmt.age(pd.Timedelta(days=10 * fmt.DAYS_PER_MONTH), "datetime") == "10.0 months"


def test_numbers():
    assert fmt.number(0.81423) == "0.8142"
    assert fmt.number(0) == "0"
    assert fmt.number(-0.0005) == "-5.000e-04"
    assert fmt.number(1234.5) == "1234"  # 4 significant digits (banker's rounding)
    assert fmt.percent(0.05) == "5%"
    assert fmt.percent(0.125) == "12.5%"
    assert fmt.level(0.9) == "90%"
    assert fmt.level(0.95) == "95%"
    assert fmt.pvalue(3.14e-46) == "3.1e-46"
    assert fmt.cell(float("inf")) == ""
    assert fmt.cell(None) == ""
    assert fmt.cell(pd.NaT) == ""
    assert fmt.cell(pd.Timestamp("2024-01-02 03:04:05")) == "2024-01-02 03:04:05"
    assert fmt.stamp(pd.Timestamp("2024-01-02 03:04:05")) == "2024-01-02 03:04"
    assert fmt.stamp(12345.0) == "12345"


@pytest.mark.parametrize(("value", "kind", "text"), [
    ("30D", "datetime", "30 days"), ("1D", "datetime", "day"), ("2W", "datetime", "2 weeks"),
    ("MS", "datetime", "calendar month"), ("3MS", "datetime", "3 calendar months"),
    ("QS-JAN", "datetime", "calendar quarter"), ("730D", "datetime", "730 days (24.0 months)"),
    ("1461D", "datetime", "1461 days (4.0 years)"),
    ("36h", "datetime", "36 hours"), ("30 days 00:00:00", "datetime", "30 days"),
    (None, "datetime", "none"), (12, "numeric", "12 time units"),
    (2.5, "numeric", "2.5 time units"),
])
def test_length_words(value, kind, text):
    assert fmt.length(value, kind) == text


def test_one():
    assert fmt.one("calendar month") == "one calendar month"
    assert fmt.one("30 days") == "30 days"
    assert fmt.one("none") == "none"


def test_ci_range_every_end():
    d = pd.Timedelta
    assert fmt.ci_range(d(days=40), d(days=70), "datetime") == "40 days to 70 days"
    assert (fmt.ci_range(d(days=40), None, "datetime", max_age=d(days=300))
            == "40 days to beyond 300 days")  # one unit: see the test below
    assert (fmt.ci_range(d(days=100), None, "datetime", max_age=d(days=300))
            == "3.3 months to beyond 9.9 months")
    assert fmt.ci_range(d(days=40), None, "datetime") == (
        "40 days to beyond the evaluated ages")
    assert fmt.ci_range(None, d(days=70), "datetime") == "up to 70 days"
    assert fmt.ci_range(None, None, "datetime") == "beyond the evaluated ages"
    assert fmt.ci_range(3.0, 7.5, "numeric") == "3 to 7.5"
    assert (fmt.ci_text((d(days=40), None), 0.8, "datetime", max_age=d(days=90))
            == "80% CI 40 days to beyond 90 days")


@pytest.mark.parametrize(("low", "high", "like", "text"), [
    (113, 128, None, "3.7 months to 4.2 months"),   # sqrt(113 * 128) = 120.3 days
    (78, 183, None, "78 days to 183 days"),         # sqrt(78 * 183) = 119.5 days
    (111, 140, 118, "111 days to 140 days"),        # the point estimate's unit
    (300, 1500, None, "9.9 months to 49.3 months"),  # 670.8 days: months
    (600, 2000, None, "1.6 years to 5.5 years"),    # 1095.4 days: years
    (0.25, 2.0, None, "6 hours to 48 hours"),       # 0.71 days: hours
    (0, 200, None, "0 days to 200 days"),
])
def test_a_ci_is_written_in_one_unit(low, high, like, text):
    d = pd.Timedelta
    like = None if like is None else d(days=like)
    assert fmt.ci_range(d(days=low), d(days=high), "datetime", like=like) == text
    # the unit is the one age() gives the reference age
    ref = like if like is not None else d(days=(low * high) ** 0.5)
    assert text.endswith(fmt.age(ref, "datetime").rsplit(" ", 1)[1])
    assert fmt.ci_text((d(days=low), d(days=high)), 0.9, "datetime", like=like) == (
        f"90% CI {text}")


def test_a_missing_age_is_na_not_an_error():
    """An end or the oldest age missing (NaT, NaN): each end as age() writes it, as
    before the one-unit rule (the several-metrics summary passes such values)."""
    d = pd.Timedelta
    assert fmt.ci_range(d(days=40), pd.NaT, "datetime") == "40 days to n/a"
    assert fmt.ci_range(d(days=200), None, "datetime", max_age=float("nan")) == (
        "6.6 months to beyond n/a")
    assert fmt.ci_range(d(days=40), d(days=70), "datetime", like=pd.NaT) == (
        "40 days to 70 days")


def test_numeric_ci_ends_keep_their_unit():
    assert fmt.ci_range(3.0, 250.0, "numeric", unit="years") == "3.0 years to 250 years"


@pytest.mark.parametrize(("tol", "kind", "gib", "signed", "rule"), [
    (0.05, "relative", True, "-5%", "95% of the baseline"),
    (0.2, "relative", False, "+20%", "120% of the baseline"),
    (0.02, "absolute", True, "-0.02", "the baseline minus 0.02"),
    (0.5, "absolute", False, "+0.5", "the baseline plus 0.5"),
])
def test_tolerance_words(tol, kind, gib, signed, rule):
    assert fmt.tolerance_signed(tol, kind, gib) == signed
    assert fmt.threshold_rule(tol, kind, gib) == rule
    verb, where = ("falls", "below") if gib else ("rises", "above")
    assert fmt.tolerance_change("X", tol, kind, gib, 0.8) == (
        f"X {verb} {signed[1:]} {where} its baseline 0.8")


def test_every_window_status_is_explained():
    from oot.metrics import STATUSES

    assert set(STATUSES) | {"anchor_failed"} == set(fmt.WINDOW_STATUS_TEXT) | {"ok"}


def test_window_status_counts():
    assert fmt.window_status("too_small", 30) == (
        "too small (fewer than min_window_size=30 rows)")
    assert fmt.window_status("too_small") == "too small (fewer than min_window_size rows)"
    assert fmt.window_status("mystery") == "mystery"
    assert fmt.window_status_counts({"one_class": 2, "anchor_failed": 1}, 30) == (
        "2 one class only (the metric needs both); 1 their anchor's model failed "
        "(on_error='skip')")
    assert fmt.window_status_counts({}) == ""
    counts = pd.Series(["too_small", "empty", "too_small"]).value_counts()
    assert fmt.window_status_counts(counts, 5) == (
        "2 too small (fewer than min_window_size=5 rows); 1 empty (no rows)")


# ====================================================================== the sentences
def _frame(scores, anchors=(1,), metric="roc_auc", time_kind="numeric", **extra):
    rows = []
    for a in anchors:
        for k, s in enumerate(scores, start=1):
            rows.append({"anchor": a, "age": float(k), "score": s, "se": 0.005} | extra)
    return OOTEvaluation.from_frame(pd.DataFrame(rows), metric=metric, time_kind=time_kind)


def test_sentence_no_degradation_says_improving_when_it_improves():
    # a significant trend the good way: not "no significant trend"
    ev = _frame([0.70, 0.72, 0.74, 0.76, 0.78, 0.80, 0.82, 0.84], anchors=(1, 2))
    rec = recommend_retrain_interval(ev, n_bootstrap=20, random_state=0)
    assert rec.status == "no_degradation"
    assert rec.curve.trend_pvalue < 0.05
    assert str(rec).startswith(
        f"No degradation detected: ROC AUC improves with model age (p = "
        f"{fmt.pvalue(rec.curve.trend_pvalue)}) up to age 8; ")
    assert "no significant trend" not in str(rec)


def test_sentence_no_degradation_without_a_trend():
    ev = _frame([0.80, 0.81, 0.79, 0.80, 0.81, 0.79, 0.80, 0.80], anchors=(1, 2))
    rec = recommend_retrain_interval(ev, n_bootstrap=20, random_state=0)
    assert rec.status == "no_degradation"
    assert str(rec).startswith("No degradation detected: ROC AUC shows no significant "
                               "trend with model age (p = ")


def test_sentence_not_reached_and_extrapolated():
    ev = _frame([0.800, 0.798, 0.796, 0.794, 0.792, 0.790, 0.788, 0.786], anchors=(1, 2))
    with pytest.warns(ExtrapolationWarning, match="extrapolat"):
        rec = recommend_retrain_interval(ev, tolerance=0.05, extrapolate=True,
                                         n_bootstrap=20, random_state=0)
    assert rec.status == "not_reached"
    text = str(rec)
    assert text.startswith("Retrain at least every 8: ROC AUC is degrading but stays "
                           f"within 5% below its baseline {fmt.number(rec.baseline)} up to "
                           "the oldest evaluated age (8).")
    assert f"it would cross at about {fmt.age(rec.extrapolated_interval, 'numeric')}." in text


def test_sentence_crossed_quotes_every_figure():
    ev = make_degradation_scores(n_anchors=3, n_windows=10, random_state=0).to_evaluation()
    rec = recommend_retrain_interval(ev, tolerance=0.02, tolerance_type="absolute",
                                     n_bootstrap=20, random_state=0,
                                     retrain_cost=10.0, shortfall_cost=5.0)
    assert rec.status == "crossed"
    a = fmt.age(rec.interval, "datetime")
    ci = fmt.ci_range(*rec.interval_ci, "datetime", max_age=rec.max_age, like=rec.interval)
    assert str(rec) == (
        f"Retrain every {a} (90% CI {ci}): ROC AUC falls 0.02 below its baseline "
        f"{fmt.number(rec.baseline)} at age {a}. Cost-optimal cadence: every "
        f"{fmt.age(rec.cost_optimal_interval, 'datetime')}.")


def test_every_ci_of_a_recommendation_is_in_its_interval_s_unit():
    """An interval of 118 days with a CI of 111-140 days: the CI is written in days
    wherever the interval is, not in months as the CI's own middle would choose."""
    import dataclasses

    from oot.cli._common import _summary_lines

    ev = make_degradation_scores(n_anchors=3, n_windows=10, random_state=0).to_evaluation()
    rec = recommend_retrain_interval(ev, tolerance=0.02, tolerance_type="absolute",
                                     n_bootstrap=20, random_state=0)
    assert rec.status == "crossed"
    d = pd.Timedelta
    assert fmt.ci_range(d(days=111), d(days=140), "datetime") == "3.6 months to 4.6 months"
    rec = dataclasses.replace(rec, interval=d(days=118),
                              interval_ci=(d(days=111), d(days=140)))
    assert str(rec).startswith("Retrain every 118 days (90% CI 111 days to 140 days): ")
    assert any("118 days  (90% CI 111 days to 140 days)" in line
               for line in _summary_lines(rec, 1.0))


def test_evaluation_sentence():
    ev = make_degradation_scores(n_anchors=3, n_windows=10, random_state=0).to_evaluation()
    assert str(ev) == ("Out-of-time evaluation of ROC AUC over 3 anchor(s) and 30 windows "
                       "(30 usable), model ages 15 days to 9.4 months.")  # 285 / 30.4375
    empty = _frame([float("nan")] * 3)
    assert str(empty) == repr(empty) + ": no usable window."


@pytest.fixture(scope="module")
def rec_beyond():
    """A recommendation whose CI's upper end lies beyond the oldest evaluated age."""
    ev = make_degradation_scores(n_anchors=3, n_windows=10, random_state=0).to_evaluation()
    rec = recommend_retrain_interval(ev, tolerance=0.12, n_bootstrap=50, random_state=0)
    assert rec.status == "crossed"
    assert rec.interval_ci[0] is not None
    assert rec.interval_ci[1] is None
    return rec


def test_plot_labels_say_what_the_sentence_says(rec_beyond):
    from matplotlib.figure import Figure

    from oot.plotting import DegradationDisplay

    rec = rec_beyond
    ci = fmt.ci_range(*rec.interval_ci, "datetime", max_age=rec.max_age)
    assert ci.endswith(f" to beyond {fmt.age(rec.max_age, 'datetime')}")
    assert f"(90% CI {ci})" in str(rec)
    disp = DegradationDisplay.from_recommendation(rec, ax=Figure().add_subplot())
    assert disp.interval_span_.get_label() == f"90% CI of the interval ({ci})"
    assert disp.threshold_line_.get_label() == (
        f"threshold {fmt.number(rec.threshold)} (-12%)")
    assert disp.interval_line_.get_label() == (
        f"retrain every {fmt.age(rec.interval, 'datetime')}")
    assert disp.baseline_line_.get_label() == f"baseline {fmt.number(rec.baseline)}"
    assert disp.ax_.get_ylabel() == "ROC AUC (higher is better)"


def test_method_windows_with_a_gap_and_no_horizon():
    ds = make_drifting_regression(n_samples=2000, random_state=0)
    cut = ds.frame[ds.time].min() + 120 * DAY
    preds = ds.frame.assign(p=ds.frame[ds.target] * 0.9)
    ev = evaluate_predictions(preds, y_true=ds.target, y_pred="p", time=ds.time,
                              cutoff=cut, metric="mae", eval_window="MS", gap="7D",
                              min_window_size=10)
    rec = recommend_retrain_interval(ev, curve="linear", n_bootstrap=20, random_state=0)
    items = {i.title: i.text for i in fmt.method(rec)}
    assert items["Windows"] == (
        "The frozen model was scored on every later window of one calendar month, from "
        "7 days after its cutoff (the gap) up to the end of the data. Windows with fewer "
        "than 10 rows are left out.")


def test_method_singular_bootstrap_rounding_and_cost():
    ev = make_degradation_scores(n_anchors=3, n_windows=10, random_state=0).to_evaluation()
    rec = recommend_retrain_interval(ev, n_bootstrap=20, round_to="W", random_state=0,
                                     retrain_cost=10.0, shortfall_cost=5.0)
    # recommend_retrain_interval refuses fewer than 20 replicates at level 0.9; the
    # singular wording is for a result whose document says 1
    rec = dataclasses.replace(rec, n_bootstrap=1)
    items = {i.title: i.text for i in fmt.method(rec)}
    assert items["Confidence interval"].startswith(
        "The 90% CI of the crossing age comes from 1 bootstrap replicate that resamples "
        "whole calendar windows (shared by every anchor that scores them) and refits the "
        "curve.")
    assert "Intervals are rounded down to a multiple of one week." in items["Tolerance"]
    assert items["Cost"] == (
        "With a retraining cost of 10 and a shortfall cost of 5 per unit of ROC AUC per "
        "day, the cadence with the lowest long-run cost per unit time is every "
        f"{fmt.age(rec.cost_optimal_interval, 'datetime')}.")
    assert next(reversed(items)) == "Cost"


def test_method_says_when_costs_give_no_optimum():
    ev = make_degradation_scores(n_anchors=3, n_windows=10, random_state=0).to_evaluation()
    rec = recommend_retrain_interval(ev, n_bootstrap=20, random_state=0,
                                     retrain_cost=1e6, shortfall_cost=1e-6)
    assert rec.cost_optimal_interval is None
    items = {i.title: i.text for i in fmt.method(rec)}
    assert items["Cost"] == (
        "With a retraining cost of 1e+06 and a shortfall cost of 1e-06 per unit of ROC AUC "
        "per day, the long-run cost per unit time keeps falling up to the oldest evaluated "
        "age (9.4 months): retraining for degradation alone does not pay within the "
        "evaluated ages.")
    assert "Cost-optimal" not in str(rec)


# ======================================================================= method text
@pytest.fixture(scope="module")
def sources():
    """One small evaluation per way of getting anchors (name -> evaluation)."""
    ds = make_drifting_regression(n_samples=3000, random_state=0)
    frame, t, y = ds.frame, ds.time, ds.target
    t0 = frame[t].min()
    kw = dict(target=y, time=t, metric="mse", train_window="90D", eval_window="30D",
              horizon="240D")
    cut3 = [t0 + 100 * DAY, t0 + 160 * DAY, t0 + 250 * DAY]  # windows line up (30D)
    feats = [c for c in frame.columns if c not in (t, y)]
    preds = frame.copy()
    for j, c in enumerate(cut3, start=1):
        train = frame[(frame[t] < c) & (frame[t] >= c - 90 * DAY)]
        model = LinearRegression().fit(train[feats], train[y])
        preds[f"p{j}"] = model.predict(frame[feats])
    pkw = dict(y_true=y, time=t, metric="mse", eval_window="30D", horizon="240D")
    rng = np.random.default_rng(0)
    ages = np.tile(np.arange(1.0, 9.0), 3)
    plain = pd.DataFrame({"anchor": np.repeat([1, 2, 3], 8), "age": ages,
                          "score": 1.0 + 0.03 * ages + rng.normal(0, 0.02, ages.size)})
    return {
        "trained-1-count": evaluate_out_of_time(frame, LinearRegression(), anchors=1, **kw),
        "trained-1-cutoff": evaluate_out_of_time(frame, LinearRegression(),
                                                 anchors=cut3[:1], **kw),
        "trained-3-count": evaluate_out_of_time(frame, LinearRegression(), anchors=3, **kw),
        "trained-3-cutoffs": evaluate_out_of_time(frame, LinearRegression(), anchors=cut3,
                                                  **kw),
        "predictions-1": evaluate_predictions(preds, y_pred="p1", cutoff=cut3[0], **pkw),
        "predictions-3": evaluate_predictions(preds, y_pred=["p1", "p2", "p3"],
                                              cutoff=cut3, **pkw),
        "frame-1": make_degradation_scores(n_anchors=1, n_windows=8,
                                           random_state=0).to_evaluation(),
        "frame-3": make_degradation_scores(n_anchors=3, n_windows=8,
                                           random_state=0).to_evaluation(),
        # numeric time, no standard errors, no calendar windows
        "frame-3-plain": OOTEvaluation.from_frame(plain, metric="rmse", time_kind="numeric"),
    }


SOURCES = ["trained-1-count", "trained-1-cutoff", "trained-3-count", "trained-3-cutoffs",
           "predictions-1", "predictions-3", "frame-1", "frame-3", "frame-3-plain"]
CURVES = ["auto", *FAMILIES]
BASELINES = ["curve", "first_window", "number"]
REFERENCES = ["baseline", "fresh"]
TOLERANCES = ["relative", "absolute"]
COMBINATIONS = list(itertools.product(SOURCES, CURVES, BASELINES, REFERENCES, TOLERANCES))


def _an(word):
    return f"{'An' if word[0] in 'aeiou' else 'A'} {word}"


def _check_source(source, ev, items, text):
    anchors = items.get("Anchors", "")
    n = ev.n_anchors
    stamps = [fmt.stamp(c) for c in ev.anchors["cutoff"]] if "cutoff" in ev.anchors else []
    if source.startswith("trained"):
        assert "Anchors and windows" not in items
        assert "outside oot" not in text
        assert anchors.startswith("One model was trained, on the 90 days of data before "
                                  if n == 1 else f"{n} models were trained, each on the 90 "
                                  "days of data before its cutoff.")
        if source.endswith("count") and n > 1:
            assert (f"successive cutoffs are 30 days apart, from {stamps[0]} to "
                    f"{stamps[-1]}.") in anchors
            assert "given" not in anchors
        elif source.endswith("count"):
            assert f"{stamps[0]} (the earliest the training window allows)" in anchors
            assert "given" not in anchors
        else:
            assert "successive" not in anchors
            assert ("(given)" if n == 1 else "the cutoffs were given: ") in anchors
            assert ", ".join(stamps) in anchors
    elif source.startswith("predictions"):
        assert "were trained" not in text
        assert "was trained" not in text
        assert anchors.startswith("The predictions of one model trained outside oot "
                                  if n == 1 else f"The predictions of {n} models trained "
                                  "outside oot were scored, one column each.")
        assert anchors.endswith(f" given: {', '.join(stamps)}.")
    else:
        assert next(iter(items)) == "Anchors and windows"
        assert items["Anchors and windows"].startswith(
            f"{n} anchor{'s' if n > 1 else ''} and {len(ev.scores)} windows, scored "
            "outside oot")
        assert "Windows" not in items
        assert "trained" not in text
    if "Windows" in items:
        assert items["Windows"].startswith(
            ("The" if n == 1 else "Each") + " frozen model was scored on every later "
            "window of 30 days, from its cutoff (no gap) up to 240 days (7.9 months) after "
            "it. Windows with fewer than 30 rows are left out.")
    if n == 1:
        assert "With one anchor, age and calendar time move together" in items["Model age"]
        assert "Pooling all anchors" not in text
    else:
        assert "Pooling all anchors by age separates aging from the calendar." in text
        assert "With one anchor" not in text
    if source == "frame-3-plain":
        assert items["Score"].endswith("per window, as given; no standard errors were "
                                       "given.")
        assert "with the windows weighted equally (there are no standard errors)" in (
            items["Curve"])
        assert "resample anchor-by-window cells independently" in (
            items["Confidence interval"])
    else:
        assert "standard error" in items["Score"]
        assert "weighted by each window's noise" in items["Curve"]
        assert "cells independently" not in text


def _check_curve(curve, rec, items, text):
    c = items["Curve"]
    fit = rec.curve
    n = fit.n_anchors
    assert c.startswith(f"{_an(fit.family)} curve of score against age, "
                        + ("shared by all anchors (each anchor keeps its own level), "
                           if n > 1 else "fitted to the one anchor's windows, "))
    if curve == "auto":
        assert fit.family in list(fit.aicc)  # what auto chose is named first
        if len(fit.aicc) > 1:
            assert (f"chosen by AICc among the {len(fit.aicc)} shapes fitted "
                    f"({', '.join(fit.aicc)})") in c
        else:
            assert "curve='auto', which compares shapes by AICc" in c
        assert "as asked" not in text
    else:
        assert fit.family == curve
        assert f"as asked (curve='{curve}': no other shape was compared)" in c
        assert "AICc" not in text
        assert "chosen" not in text
    assert f"p = {fmt.pvalue(fit.trend_pvalue)} for a trend with age" in c


def _check_tolerance(baseline, reference, tolerance_type, rec, number, items, text):
    tol = items["Tolerance"]
    gib = rec.metric.greater_is_better
    n = rec.evaluation.n_anchors
    assert tol.startswith(f"The baseline {fmt.number(rec.baseline)} ")
    if baseline == "curve":
        assert " is the fitted curve at age 0" in tol
        assert ("(the mean of the anchors' levels)" in tol) == (n > 1)
        assert "first usable window" not in text
        assert "was given" not in tol
    elif baseline == "first_window":
        assert ("is the mean score of the anchors' first usable windows" if n > 1
                else "is the score of the anchor's first usable window") in tol
        assert ("(after the fresh-model adjustment)" in tol) == (reference == "fresh")
        assert "curve at age 0" not in text
        assert "was given" not in tol
    else:
        assert rec.baseline == number
        assert f" was given (baseline={fmt.number(number)})" in tol
        assert "curve at age 0" not in text
        assert "first usable window" not in text
    if reference == "fresh":
        assert "Reference" in items
        assert items["Reference"].startswith("Each window's score is compared with a fresh "
                                             "model's score on the same calendar window")
    else:
        assert "Reference" not in items
        assert "fresh" not in text
    verb, where = ("falls", "below") if gib else ("rises", "above")
    amount = "10%" if tolerance_type == "relative" else "0.05"
    rule = fmt.threshold_rule(0.1 if tolerance_type == "relative" else 0.05,
                              tolerance_type, gib)
    assert (f"the model counts as degraded once {rec.metric.display_name} {verb} {amount} "
            f"{where} it, i.e. past the threshold {fmt.number(rec.threshold)} ({rule}).") in tol
    # the rule the text states is the rule that made the threshold
    b = rec.baseline
    expect = {("relative", True): b * 0.9, ("relative", False): b * 1.1,
              ("absolute", True): b - 0.05, ("absolute", False): b + 0.05}
    assert math.isclose(rec.threshold, expect[tolerance_type, gib], rel_tol=1e-12)
    if tolerance_type == "absolute":
        assert "%" not in tol
    # what the interval is, for the status reached
    if rec.status == "crossed":
        said = ("The recommended interval is the age at which the fitted curve reaches the "
                f"threshold: {fmt.age(rec.interval, rec.time_kind)}.")
        if not rec.significant:  # issue 13: a crossing without significance says so
            said += (" The degradation is not significant (neither the trend test nor the "
                     "interval's upper end within the ages), so that age is what the "
                     "curve's shape says, not an established crossing.")
        assert tol.endswith(said)
    elif rec.status == "not_reached":
        assert tol.endswith(f"age, {fmt.age(rec.max_age, rec.time_kind)}; that age is "
                            "reported as the interval, a lower bound.")
    else:
        assert tol.endswith("so no interval is recommended.")


@pytest.mark.parametrize(("source", "curve", "baseline", "reference", "tolerance_type"),
                         COMBINATIONS, ids=["-".join(c) for c in COMBINATIONS])
def test_method_text_says_what_was_done(sources, source, curve, baseline, reference,
                                        tolerance_type):
    ev = sources[source]
    number = round(float(ev.usable["score"].median()), 3)
    kw = dict(curve=curve, baseline=number if baseline == "number" else baseline,
              reference=reference, tolerance_type=tolerance_type,
              tolerance=0.1 if tolerance_type == "relative" else 0.05, n_bootstrap=20,
              random_state=0)
    if reference == "fresh" and ev.n_anchors == 1:
        # a fresh model to compare with needs a younger anchor on the same window
        with pytest.raises(InvalidParameterError, match="has a single anchor"):
            recommend_retrain_interval(ev, **kw)
        return
    if reference == "fresh" and source == "frame-3-plain":
        with pytest.raises(InvalidParameterError, match="no window_start"):
            recommend_retrain_interval(ev, **kw)
        return
    if reference == "fresh" and curve != "auto":
        # against the fresh model, 3 anchors x 8 windows leave 6 windows (the youngest
        # anchor has no younger one): too few for a family of 3 shape parameters
        fresh = prepare(ev, "fresh")
        if fresh.n < fresh.n_anchors + get_family(curve).n_shape + 1:
            with pytest.raises(NotEnoughWindowsError, match="usable windows"):
                recommend_retrain_interval(ev, **kw)
            return
    rec = recommend_retrain_interval(ev, **kw)
    items = {item.title: item.text for item in fmt.method(rec)}
    text = fmt.method_text(rec)
    assert list(items)[-1] == "Confidence interval"  # no costs given
    assert text == "\n".join(f"{t}. {x}" for t, x in items.items())
    _check_source(source, ev, items, text)
    _check_curve(curve, rec, items, text)
    _check_tolerance(baseline, reference, tolerance_type, rec, number, items, text)
    assert items["Confidence interval"].startswith(
        "The 90% CI of the crossing age comes from 20 bootstrap replicates that resample ")


def _comparison(lo: float, hi: float, difference: float) -> object:
    from oot._common import ConfidenceInterval
    from oot.degradation._shared import PairedDifference
    from oot.recommend._collection import Comparison

    return Comparison(first=("roc_auc", "EWR"), second=("roc_auc", "JFK"),
                      paired=PairedDifference(difference, ConfidenceInterval(lo, hi),
                                              0.55, 900),
                      confidence_level=0.9, time_kind="datetime")


@pytest.mark.parametrize(("lo", "hi", "tail"), [
    (-20.0, 30.0, "runs from 20 days sooner to 30 days later (first in 55% of the "
     "bootstrap replicates)."),
    (-math.inf, 30.0, "runs from an unbounded amount sooner to 30 days later (first in "
     "55% of the bootstrap replicates)."),
    (-20.0, math.inf, "runs from 20 days sooner to an unbounded amount later (first in "
     "55% of the bootstrap replicates)."),
    (-math.inf, math.inf, "is unbounded on both sides: either may cross first by more "
     "than the evaluated ages show (first in 55% of the bootstrap replicates)."),
])
def test_segment_comparison_sentence_no_clear_difference(lo: float, hi: float,
                                                          tail: str) -> None:
    """A CI holding 0 reads as no clear difference; an end beyond the evaluated ages is
    "an unbounded amount" on its side (it read "beyond the evaluated ages sooner")."""
    text = fmt.segment_comparison_sentence(_comparison(lo, hi, 5.0))
    assert text == ("No clear difference between 'EWR' and 'JFK': 'EWR' crosses its "
                    "threshold 5 days later, but the 90% CI of the difference " + tail)
    assert "beyond the evaluated ages" not in text


def test_segment_comparison_sentence_faster() -> None:
    """A CI below 0: the first ages faster, with the CI in days sooner."""
    text = fmt.segment_comparison_sentence(_comparison(-60.0, -12.0, -35.0))
    assert text == ("Segment 'EWR' ages faster than 'JFK': it crosses its threshold 35 days "
                    "sooner (90% CI 12 days to 60 days sooner; first in 55% of the "
                    "bootstrap replicates).")
