"""Every user-facing text fragment oot writes, in one place.

Numbers, model ages and their units, confidence intervals with their "beyond" ends,
tolerance amounts and directions, the status sentences of a recommendation, the
explanations of window statuses, and the method text of the report. The result
objects (``str(rec)``), the Displays (labels, titles), the report and the command line
all build their text from here, so that they say the same thing the same way::

    import oot._format as fmt

    fmt.age(pd.Timedelta(days=56), "datetime")   # '56 days'
    fmt.ci_text((lo, hi), 0.9, "datetime", max_age=oldest)

Nothing here computes a result: every function reads values it is given. It imports
nothing from oot at run time, so any module may import it (as ``import oot._format as
fmt``: ``from oot import _format`` would import the package ``oot`` itself first).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from oot.backtest import CadenceBacktest
    from oot.compare import CandidateComparison, CandidatePair
    from oot.degradation import DegradationCurve
    from oot.evaluate import OOTEvaluation
    from oot.metrics import Metric
    from oot.recommend import RetrainRecommendation, RetrainRecommendations

__all__ = [
    "DAYS_PER_WEEK", "DAYS_PER_MONTH", "DAYS_PER_YEAR", "AGE_UNITS",
    "number", "cell", "percent", "level", "pvalue", "stamp",
    "age", "age_unit", "length", "one", "index_ranges",
    "metric_name", "better", "metric_label",
    "ci_range", "ci_text",
    "tolerance_amount", "tolerance_signed", "tolerance_change", "threshold_rule",
    "recommendation_sentence", "evaluation_sentence", "interval_label", "curve_title",
    "word_list", "subject", "binding_sentence", "fastest_segment_sentence",
    "segment_comparison_sentence", "float_age", "pooled_curve_label", "small_multiple_title",
    "ranking_marker_label", "rows_label", "ranking_xlabel", "collection_method",
    "WINDOW_STATUS_TEXT", "window_status", "window_status_counts",
    "cadence_name", "every", "period_noun", "rounding_note", "backtest_within",
    "backtest_count", "backtest_check_sentence", "backtest_sentence", "backtest_title",
    "history_not_checked", "backtest_caption", "backtest_method",
    "cost_rate_label",
    "MethodItem", "method", "method_text",
    "indicator_label", "lead_text", "trigger_sentence", "indicator_sentence",
    "indicator_title", "indicator_caption", "indicators_method",
    "cadence_clause", "pair_sentence", "comparison_sentence", "cost_sentence",
    "comparison_title", "comparison_method",
]


# ============================================================================ numbers
def number(v: float) -> str:
    """A number in a sentence: 4 significant digits, scientific below 1e-3.

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.number(0.81423), fmt.number(0.0), fmt.number(0.00012345)
    ('0.8142', '0', '1.234e-04')
    """
    v = float(v)
    return f"{v:.4g}" if v == 0 or abs(v) >= 1e-3 else f"{v:.3e}"


def percent(fraction: float) -> str:
    """A fraction as a percentage: ``0.05`` -> ``'5%'`` (4 significant digits)."""
    return f"{100 * float(fraction):.4g}%"


def level(confidence_level: float) -> str:
    """A confidence level as a whole percentage: ``0.9`` -> ``'90%'``."""
    return f"{100 * float(confidence_level):.0f}%"


def pvalue(p: float) -> str:
    """A p-value, two significant digits: ``3.14e-46`` -> ``'3.1e-46'``."""
    return f"{float(p):.2g}"


def stamp(value: Any, *, exact: bool = False) -> str:
    """A point in time (a cutoff, a window start): a date, a date and time, or a number.

    ``exact=True`` (tables) keeps the seconds and time zone of a timestamp that is not
    at midnight; labels show it to the minute. A missing value is ``"?"``.

    Examples
    --------
    >>> import pandas as pd
    >>> import oot._format as fmt
    >>> fmt.stamp(pd.Timestamp("2024-03-01")), fmt.stamp(pd.Timestamp("2024-03-01 09:30:15"))
    ('2024-03-01', '2024-03-01 09:30')
    >>> fmt.stamp(12.5), fmt.stamp(None)
    ('12.5', '?')
    """
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return "?"
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "strftime"):
        ts = pd.Timestamp(value)
        if ts == ts.normalize():
            return ts.strftime("%Y-%m-%d")
        return str(ts) if exact else ts.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return value
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError):
        return str(value)


def cell(v: Any) -> str:
    """A value in a table cell: empty when missing, ages in words, dates, 4 digits.

    Examples
    --------
    >>> import pandas as pd
    >>> import oot._format as fmt
    >>> fmt.cell(pd.Timedelta(days=45)), fmt.cell(0.012345), fmt.cell(float("nan"))
    ('45 days', '0.01235', '')
    """
    if v is None or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timedelta):
        return age(v, "datetime") if pd.notna(v) else ""
    if isinstance(v, pd.Timestamp):
        return "" if pd.isna(v) else stamp(v, exact=True)
    if isinstance(v, (float, np.floating)):
        return "" if not np.isfinite(v) else f"{float(v):.4g}"
    return str(v)


# =============================================================================== ages
DAYS_PER_WEEK = 7.0
#: The mean Gregorian month and year, in days: the one conversion of ages to months
#: and years (sentences and plot axes alike).
DAYS_PER_MONTH = 30.4375
DAYS_PER_YEAR = 365.25
#: The units of a datetime age, in days each.
AGE_UNITS: dict[str, float] = {"days": 1.0, "weeks": DAYS_PER_WEEK,
                               "months": DAYS_PER_MONTH, "years": DAYS_PER_YEAR}


def age(value: Any, time_kind: str, *, unit: str | None = None) -> str:
    """A model age in words: ``'56 days'``, ``'3.5 months'``, ``'4.0 years'``, or a number.

    Under a day: hours; under 120 days: days; under 3 years: months; then years. A
    number (numeric time) is shown with 4 significant digits, or, with the ``unit`` of
    the numeric time (``time_unit="years"``), with one decimal and the unit (two
    significant digits under 1, whole numbers from 100); a missing age is ``"n/a"``.

    Examples
    --------
    >>> import pandas as pd
    >>> import oot._format as fmt
    >>> fmt.age(pd.Timedelta(days=56), "datetime"), fmt.age(pd.Timedelta(days=200), "datetime")
    ('56 days', '6.6 months')
    >>> fmt.age(45.0, "numeric"), fmt.age(None, "numeric")
    ('45', 'n/a')
    >>> fmt.age(6.878, "numeric", unit="years"), fmt.age(0.456, "numeric", unit="years")
    ('6.9 years', '0.46 years')
    """
    if value is None or (not isinstance(value, pd.Timedelta) and bool(pd.isna(value))):
        return "n/a"
    if time_kind == "numeric":
        x = float(value)
        if not unit:
            return f"{x:.4g}"
        if x == 0:
            return f"0 {unit}"
        text = f"{x:.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 1 else f"{x:.2g}"
        return f"{text} {unit}"
    days = float(pd.Timedelta(value) / pd.Timedelta(days=1))
    if days == 0:
        return "0 days"
    if abs(days) < 1:
        return f"{days * 24:.3g} hours"
    if abs(days) < 120:
        return f"{days:.0f} days" if abs(days) >= 10 else f"{days:.3g} days"
    if abs(days) < 3 * 365:
        return f"{days / DAYS_PER_MONTH:.1f} months"
    return f"{days / DAYS_PER_YEAR:.1f} years"


def time_unit(result: Any) -> str | None:
    """The unit of a numeric time (``time_unit=`` of the evaluation), or None: read from
    an evaluation, or from a result that holds one (``.evaluation``)."""
    ev = getattr(result, "evaluation", result)
    params = getattr(ev, "params", None)
    unit = params.get("time_unit") if isinstance(params, dict) else None
    return str(unit) if unit else None


def _age(result: Any, value: Any) -> str:
    """:func:`age` in the time kind and unit of ``result`` (a recommendation or an
    evaluation)."""
    return age(value, result.time_kind, unit=time_unit(result))


def age_unit(max_age_days: float) -> tuple[str, float]:
    """The unit to show ages in, chosen from the span: ``(name, days per unit)``.

    Days up to 120 days, months up to 6 years, then years: the units the
    recommendation's sentence uses for short intervals, so that the axis and the title
    agree. Pass ``unit="weeks"`` to :meth:`DegradationDisplay.plot` for weeks.

    Parameters
    ----------
    max_age_days : float
        The oldest age to show, in days.

    Returns
    -------
    (str, float)
        The unit's name and its length in days.

    Examples
    --------
    >>> from oot.plotting import age_unit
    >>> age_unit(90.0)
    ('days', 1.0)
    >>> age_unit(300.0)
    ('months', 30.4375)
    >>> age_unit(5000.0)
    ('years', 365.25)
    """
    if not np.isfinite(max_age_days) or max_age_days <= 120:
        name = "days"
    elif max_age_days <= 6 * DAYS_PER_YEAR:
        name = "months"
    else:
        name = "years"
    return name, AGE_UNITS[name]


_OFFSET_WORDS = {
    "D": "day", "W": "week", "MS": "calendar month", "M": "calendar month",
    "ME": "calendar month", "QS": "calendar quarter", "Q": "calendar quarter",
    "QE": "calendar quarter", "YS": "calendar year", "Y": "calendar year",
    "YE": "calendar year", "AS": "calendar year", "A": "calendar year",
    "H": "hour", "h": "hour",
}


def length(value: Any, time_kind: str) -> str:
    """A window length in words: ``'730D'`` -> ``'730 days (2.0 years)'``, ``'MS'`` ->
    ``'calendar month'``, ``30`` (numeric time) -> ``'30 time units'``.

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.length("30D", "datetime"), fmt.length("2W", "datetime"), fmt.length("QS", "datetime")
    ('30 days', '2 weeks', 'calendar quarter')
    >>> fmt.length(None, "datetime"), fmt.length(12, "numeric")
    ('none', '12 time units')
    """
    if value is None:
        return "none"
    if time_kind == "numeric" or isinstance(value, (int, float)):
        return f"{value:g} time units" if isinstance(value, (int, float)) else str(value)
    text = str(value).strip()
    digits = ""
    while text and (text[0].isdigit() or text[0] == "."):
        digits, text = digits + text[0], text[1:]
    unit = text.split("-")[0]
    if unit in _OFFSET_WORDS:
        name = _OFFSET_WORDS[unit]
        if not digits or float(digits) == 1:
            return name
        n = float(digits)
        words = f"{n:g} {name}s"
        if unit == "D" and n >= 120:
            words += f" ({age(pd.Timedelta(days=n), 'datetime')})"
        return words
    try:
        return age(pd.Timedelta(str(value)), "datetime")
    except ValueError:
        return str(value)


def index_ranges(indices: Sequence[int], noun: str) -> str:
    """Numbers as runs: ``[4, 5, 6, 9]`` -> ``'windows 4-6, 9'`` (``noun`` singular).

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.index_ranges([4, 5, 6, 9], "window"), fmt.index_ranges([2], "window")
    ('windows 4-6, 9', 'window 2')
    """
    values = sorted(set(int(i) for i in indices))
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)
    return f"{noun}{'s' if len(values) != 1 else ''} {text}"


def one(words: str) -> str:
    """``'calendar month'`` -> ``'one calendar month'``; ``'30 days'`` stays."""
    return words if words[:1].isdigit() or words == "none" else f"one {words}"


# ============================================================================= metric
def metric_name(metric: Metric) -> str:
    """The metric's name as people write it (``display_name``, else ``name``)."""
    return str(metric.display_name or metric.name)


def better(greater_is_better: bool) -> str:
    """``'higher is better'`` or ``'lower is better'``."""
    return f"{'higher' if greater_is_better else 'lower'} is better"


def metric_label(name: str, greater_is_better: bool) -> str:
    """An axis label: ``'ROC AUC (higher is better)'``."""
    return f"{name} ({better(greater_is_better)})"


# ================================================================ confidence intervals
def ci_range(low: Any, high: Any, time_kind: str, *, max_age: Any = None,
             unit: str | None = None, like: Any = None) -> str:
    """The two ends of an interval's CI in words; a None end lies beyond the data.

    Both ends are written in one unit: the one :func:`age` picks for ``like`` (the
    point estimate, when given), else for the geometric middle of the two ends
    (``max_age`` standing for an end beyond the data), which is near the point estimate
    of a right-skewed interval. Numeric time has one unit already.

    Examples
    --------
    >>> import pandas as pd
    >>> import oot._format as fmt
    >>> d = pd.Timedelta
    >>> fmt.ci_range(d(days=40), d(days=70), "datetime")
    '40 days to 70 days'
    >>> fmt.ci_range(d(days=111), d(days=140), "datetime")
    '3.6 months to 4.6 months'
    >>> fmt.ci_range(d(days=78), d(days=183), "datetime")
    '78 days to 183 days'
    >>> fmt.ci_range(d(days=111), d(days=140), "datetime", like=d(days=118))
    '111 days to 140 days'
    >>> fmt.ci_range(d(days=40), None, "datetime", max_age=d(days=300))
    '40 days to beyond 300 days'
    >>> fmt.ci_range(None, None, "numeric")
    'beyond the evaluated ages'
    """
    if low is None and high is None:
        return "beyond the evaluated ages"
    if low is None:
        return f"up to {age(high, time_kind, unit=unit)}"
    top = max_age if high is None else high
    name = _one_unit(low, top, like) if time_kind == "datetime" else None
    if name is None:  # numeric time, or an end that is missing (NaT): age() per end
        def word(v: Any) -> str:
            return age(v, time_kind, unit=unit)
    else:
        def word(v: Any) -> str:
            return _age_in(float(pd.Timedelta(v) / pd.Timedelta(days=1)), name)
    if high is None:
        end = "the evaluated ages" if max_age is None else word(max_age)
        return f"{word(low)} to beyond {end}"
    return f"{word(low)} to {word(high)}"


def _one_unit(low: Any, top: Any, like: Any) -> str | None:
    """The unit :func:`ci_range` writes both ends in (see there), or None when an age
    is missing."""
    try:
        days = [float(pd.Timedelta(v) / pd.Timedelta(days=1)) for v in (low, top)]
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(d) for d in days):
        return None
    try:  # a point estimate that is missing (None, NaT) leaves the middle to decide
        point: float | None = float(pd.Timedelta(like) / pd.Timedelta(days=1))
    except (TypeError, ValueError):
        point = None
    if point is not None and not math.isfinite(point):
        point = None
    ref = point if point is not None else math.sqrt(max(days[0], 0.0) * max(days[1], 0.0))
    return age(pd.Timedelta(days=ref), "datetime").rsplit(" ", 1)[-1]


def _age_in(days: float, unit: str) -> str:
    """An age of ``days`` days in ``unit`` (a unit :func:`age` writes), with the digits
    :func:`age` gives that unit."""
    if days == 0:
        return f"0 {unit}"
    if unit == "hours":
        return f"{days * 24:.3g} hours"
    if unit == "days":
        return f"{days:.0f} days" if abs(days) >= 10 else f"{days:.3g} days"
    return f"{days / AGE_UNITS[unit]:.1f} {unit}"


def ci_text(ci: Sequence[Any], confidence_level: float, time_kind: str, *,
            max_age: Any = None, unit: str | None = None, like: Any = None) -> str:
    """``'90% CI 40 days to 70 days'``: the level and :func:`ci_range` (one unit)."""
    rng = ci_range(ci[0], ci[1], time_kind, max_age=max_age, unit=unit, like=like)
    return f"{level(confidence_level)} CI {rng}"


def interval_ci_range(rec: RetrainRecommendation, *, with_unit: bool = True) -> str:
    """A recommendation's CI in words, as its sentence writes it: :func:`ci_range` of
    ``rec.interval_ci`` in the interval's unit, an end beyond the data "beyond" the
    oldest evaluated age; ``with_unit=False`` leaves numeric time without its
    ``time_unit`` (as :func:`age` without ``unit``)."""
    lo, hi = rec.interval_ci
    return ci_range(lo, hi, rec.time_kind, max_age=rec.max_age,
                    unit=time_unit(rec) if with_unit else None, like=rec.interval)


# ========================================================================== tolerance
def tolerance_amount(tolerance: float, tolerance_type: str) -> str:
    """How far the metric may move: ``'5%'`` (relative) or ``'0.02'`` (absolute)."""
    return percent(tolerance) if tolerance_type == "relative" else number(tolerance)


def tolerance_signed(tolerance: float, tolerance_type: str, greater_is_better: bool) -> str:
    """The allowed move with its direction: ``'-5%'`` for a higher-is-better metric."""
    return f"{'-' if greater_is_better else '+'}{tolerance_amount(tolerance, tolerance_type)}"


def _verb(greater_is_better: bool) -> tuple[str, str]:
    return ("falls", "below") if greater_is_better else ("rises", "above")


def tolerance_change(name: str, tolerance: float, tolerance_type: str,
                     greater_is_better: bool, baseline: float) -> str:
    """``'ROC AUC falls 5% below its baseline 0.8142'``."""
    verb, where = _verb(greater_is_better)
    return (f"{name} {verb} {tolerance_amount(tolerance, tolerance_type)} {where} its "
            f"baseline {number(baseline)}")


def threshold_rule(tolerance: float, tolerance_type: str, greater_is_better: bool) -> str:
    """How the threshold follows from the baseline, in words.

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.threshold_rule(0.05, "relative", True), fmt.threshold_rule(0.2, "relative", False)
    ('95% of the baseline', '120% of the baseline')
    >>> fmt.threshold_rule(0.02, "absolute", True)
    'the baseline minus 0.02'
    """
    tol = float(tolerance)
    if tolerance_type == "relative":
        return f"{percent(1 - tol if greater_is_better else 1 + tol)} of the baseline"
    return f"the baseline {'minus' if greater_is_better else 'plus'} {number(tol)}"


# ==================================================================== status sentences
def recommendation_sentence(rec: RetrainRecommendation) -> str:
    """The sentence a manager could act on (``str(rec)``), for each status.

    "crossed": ``Retrain every 56 days (90% CI 41 days to 73 days): ROC AUC falls 5%
    below its baseline 0.842 at age 56 days.`` (and, when the degradation is not
    significant, says so); "not_reached": ``Retrain at least every ...``;
    "no_degradation": ``No degradation detected: ...``; "no_skill": ``No skill to lose:
    ...``. Calendar effects left in the scores come first, with the fresh reading; a
    cost optimum adds ``Cost-optimal cadence: every ...`` (or why there is none).
    """
    name = subject(rec.metric, rec.segment)
    gib = bool(rec.metric.greater_is_better)
    curve = rec.curve
    p = pvalue(curve.trend_pvalue)
    lead = calendar_warning(rec)
    if rec.status == "no_skill":
        chance = float(getattr(rec.metric, "chance", None) or 0.0)
        text = (f"No skill to lose: the baseline {name} {number(rec.baseline)} is at the "
                f"level of a model without skill ({number(chance)}), or so near it that a "
                f"{tolerance_amount(rec.tolerance, rec.tolerance_type)} tolerance reaches "
                "it; no retraining schedule keeps a performance the model does not have. "
                "Improve the model first.")
    elif rec.status == "crossed":
        ci = f"{level(rec.confidence_level)} CI {interval_ci_range(rec)}"
        change = tolerance_change(name, rec.tolerance, rec.tolerance_type, gib, rec.baseline)
        if rec.significant:
            text = (f"Retrain every {_age(rec, rec.interval)} ({ci}): {change} at age "
                    f"{_age(rec, rec.interval)}.")
        else:
            trend = ("improves with model age" if curve.trend_direction == "improving"
                     and curve.trend_pvalue < 0.05 else "shows no significant degradation")
            text = (f"The fitted curve reaches the threshold at age {_age(rec, rec.interval)}"
                    f" ({ci}), where {change}, but {name} {trend} (trend test p = {p}): "
                    f"{_age(rec, rec.interval)} is what the curve's shape says, not an "
                    "established crossing.")
    elif rec.status == "not_reached":
        _, where = _verb(gib)
        within = f"{tolerance_amount(rec.tolerance, rec.tolerance_type)} {where}"
        if rec.limited_by == "fresh":
            text = (f"Not reached within the ages fresh models allow: compared with a fresh "
                    f"model on the same periods, {name} stays within {within} its baseline "
                    f"{number(rec.baseline)} up to age {_age(rec, rec.max_age)}, the oldest "
                    "age a fresh model's score exists for; its curve reaches the threshold "
                    "by the oldest age the evaluation has. Retrain at least every "
                    f"{_age(rec, rec.interval)}; more anchors would show further.")
        else:
            state = ("is degrading" if rec.significant
                     else f"shows no significant degradation (p = {p})")
            text = (f"Retrain at least every {_age(rec, rec.interval)}: {name} {state} "
                    f"but stays within {within} its baseline {number(rec.baseline)} up to "
                    f"the oldest evaluated age ({_age(rec, rec.max_age)}).")
            if not rec.significant and rec.safe_interval is not None:
                text += (f" {percent(rec.crossed_fraction)} of the bootstrap replicates "
                         "cross within the data, so the safe interval is "
                         f"{_age(rec, rec.safe_interval)}.")
        if rec.extrapolated_interval is not None:
            text += (" Extrapolating the fitted curve, it would cross at about "
                     f"{_age(rec, rec.extrapolated_interval)}.")
    else:
        # 0.05: the level recommend_retrain_interval tests the trend at
        if curve.trend_direction == "improving" and curve.trend_pvalue < 0.05:
            trend = f"improves with model age (p = {p})"
        else:
            trend = f"shows no significant trend with model age (p = {p})"
        text = (f"No degradation detected: {name} {trend} up to age "
                f"{_age(rec, rec.max_age)}; drift alone does not call for retraining.")
    if lead:
        text = f"{lead} {text}"
    tail = [x for x in (baseline_note(rec), season_note(rec)) if x]
    if tail:
        text += " " + " ".join(tail)
    if rec.cost_optimal_interval is not None:
        text += f" Cost-optimal cadence: every {_age(rec, rec.cost_optimal_interval)}."
    elif rec.retrain_cost is not None and rec.status in ("no_degradation", "no_skill"):
        text += " " + no_cost_cadence(rec.status)
    return text


def no_cost_cadence(status: str) -> str:
    """Why a recommendation with costs has no cost-optimal cadence."""
    if status == "no_skill":
        return ("No cost-optimal cadence: a model without skill has no shortfall to "
                "price.")
    return ("No cost-optimal cadence: without a significant degradation the fitted "
            "curve's shortfall is noise, and retraining to avoid it does not pay.")


def _calendar_terms(cal: Mapping[str, Any], kind: str) -> str:
    parts = []
    terms = list(cal.get("terms", ()))
    if "shift" in terms:
        start = cal.get("shift_start")
        when = ""
        if start is not None and start == start:
            when = f" from {stamp(_calendar_time(float(start), kind))}"
        parts.append(f"a level shift of {number(float(cal.get('shift_size', 0.0)))}"
                     f"{when} (p = {pvalue(float(cal.get('shift_pvalue', 1.0)))})")
    if "season" in terms:
        # its p-value too: a season is kept at the AIC level (Wald > 4, p up to ~0.16),
        # so a near-zero one in data without a season reads as what it is
        sp = float(cal.get("season_pvalue", math.nan))
        parts.append(f"a yearly season of amplitude "
                     f"{number(float(cal.get('season_amplitude', 0.0)))}"
                     + (f" (p = {pvalue(sp)})" if math.isfinite(sp) else ""))
    return " and ".join(parts)


def _calendar_time(t: float, kind: str) -> Any:
    """A calendar time in fit units (days since 1970 for datetime time) as a stamp."""
    if kind == "datetime":
        return pd.Timestamp("1970-01-01") + pd.Timedelta(days=t)
    return t


def calendar_warning(rec: RetrainRecommendation) -> str:
    """The sentence that comes first when calendar effects shared by every anchor were
    found and left in the scores (the default reads them as aging), with the fresh
    reading beside and, unless the two readings agree (``rec.fresh["agrees"]``), the
    advice to model them; empty otherwise."""
    cal = rec.curve.calendar_effects
    left = [t for t in cal.get("terms", ()) if t not in cal.get("removed", ())]
    if not left or rec.curve.reference != "baseline":
        return ""
    found = _calendar_terms({**cal, "terms": left}, rec.time_kind)
    fresh = rec.fresh or {}
    kind = rec.time_kind
    agrees = bool(fresh.get("agrees", False))
    text = (f"Calendar effects shared by every anchor: {found}. Every anchor's windows "
            "move together there, and this reading "
            + ("leaves that in its scores." if agrees else "takes that as aging."))
    if fresh.get("status") == "crossed":
        ci = ci_text(fresh.get("interval_ci", (None, None)), rec.confidence_level, kind,
                     max_age=fresh.get("max_age"), unit=time_unit(rec),
                     like=fresh.get("interval"))
        text += (f" Against a fresh model on the same periods (reference='fresh') it would "
                 f"be every {_age(rec, fresh.get('interval'))} ({ci})"
                 + (", within this reading's interval." if agrees else "."))
    elif fresh.get("status") in ("not_reached", "no_degradation"):
        text += (" Against a fresh model on the same periods (reference='fresh') the "
                 f"threshold is not reached up to age {_age(rec, fresh.get('max_age'))}"
                 + (" either." if agrees else "."))
    elif fresh.get("status") == "unavailable":
        text += " The fresh reference cannot be computed here: " + str(
            fresh.get("reason", "")).rstrip(".") + "."
    if agrees:
        text += (" Both readings agree, so the calendar effect does not change the "
                 "decision (calendar='shift' models it only if the data are known to "
                 "have changed then); this reading:")
    else:
        text += (" Use calendar='shift' if the data changed then, or reference='fresh'; "
                 "this reading:")
    return text


def season_note(rec: RetrainRecommendation) -> str:
    """A short sentence when a yearly season was modelled (removed from the scores)."""
    cal = rec.curve.calendar_effects
    removed = list(cal.get("removed", ()))
    if not removed:
        return ""
    found = _calendar_terms({**cal, "terms": removed}, rec.time_kind)
    return f"Modelled as calendar effects shared by every anchor, not aging: {found}."


def baseline_note(rec: RetrainRecommendation) -> str:
    """When the curve's age-0 value was not used as it is (it bends where no window is),
    or disagrees with the youngest windows: both values, and what was done."""
    curve = rec.curve
    kind = rec.time_kind
    if curve.baseline_mode != "curve" or not math.isfinite(curve.youngest_mean):
        return ""
    if curve.baseline_age > 0:
        return (f"The curve bends between age 0 and the youngest windows (age "
                f"{_age(rec, _as_age(curve.baseline_age, kind))}, mean "
                f"{number(curve.youngest_mean)}), where no window is: the baseline is the "
                "curve continued straight back to age 0 from there "
                f"({number(rec.baseline)}; the curve itself says {number(curve.level)}).")
    return ""


def calendar_summary(rec: RetrainRecommendation) -> str:
    """The summary's calendar row: what was found, modelled or left in the scores."""
    cal = rec.curve.calendar_effects
    if not cal:
        return ("not tested (the fresh reference)" if rec.curve.reference == "fresh"
                else "not tested (needs window_start and two anchors)")
    terms = list(cal.get("terms", ()))
    if not terms:
        text = "none found"
    else:
        removed = [t for t in terms if t in cal.get("removed", ())]
        left = [t for t in terms if t not in removed]
        bits = []
        if removed:
            bits.append("modelled: " + _calendar_terms({**cal, "terms": removed},
                                                       rec.time_kind))
        if left:
            bits.append("left in the scores (read as aging): " + _calendar_terms(
                {**cal, "terms": left}, rec.time_kind))
        text = "; ".join(bits)
    if int(cal.get("block", 1)) > 1:
        text += (f"; periods still correlated: the bootstrap resamples blocks of "
                 f"{int(cal['block'])} consecutive periods")
    return text


def shape_check(curve: DegradationCurve) -> str:
    """Which shape decided and how well it fits (the lack-of-fit test)."""
    lof = curve.lack_of_fit
    if not lof:
        if not curve._family.parametric:
            return "no shape assumed (monotone)"
        return "not tested (needs windows of one age from two anchors)"
    test = (f"{lof['family']} against the saturated age model: lack-of-fit "
            f"p = {pvalue(float(lof['pvalue']))}")
    if lof.get("decided") and lof["decided"] != lof["family"]:
        return f"no parametric family fits ({test}); the monotone shape decided"
    return test


def fresh_summary(rec: RetrainRecommendation) -> str:
    """The summary's row for the fresh reading given beside the default one."""
    fresh = rec.fresh or {}
    kind = rec.time_kind
    status = str(fresh.get("status", ""))
    if status == "crossed":
        ci = ci_text(fresh.get("interval_ci", (None, None)), rec.confidence_level, kind,
                     max_age=fresh.get("max_age"), unit=time_unit(rec),
                     like=fresh.get("interval"))
        text = f"every {_age(rec, fresh.get('interval'))} ({ci})"
    elif status == "unavailable":
        return f"unavailable: {fresh.get('reason', '')}"
    else:
        text = f"{status} up to age {_age(rec, fresh.get('max_age'))}"
    return text + ("; agrees with this reading" if fresh.get("agrees") else "")


def adjusted_scores_label(curve: DegradationCurve) -> str:
    """The plot's note when it draws the scores as the curve saw them."""
    parts = []
    if curve.reference == "fresh":
        parts.append("against a fresh model on the same period")
    if curve.calendar_effects.get("removed"):
        parts.append("less the calendar effects modelled")
    return "points: window scores " + " and ".join(parts)


def _as_age(x: float, kind: str) -> Any:
    return pd.Timedelta(days=x) if kind == "datetime" else x


def subject(metric: Metric, segment: str | None) -> str:
    """The metric, and the segment it was scored on: ``"ROC AUC in segment 'EWR'"``
    (the metric alone for the whole population).

    Examples
    --------
    >>> import oot._format as fmt
    >>> from oot.metrics import get_metric
    >>> fmt.subject(get_metric("roc_auc"), "EWR"), fmt.subject(get_metric("mae"), "(all)")
    ("ROC AUC in segment 'EWR'", 'MAE')
    """
    name = metric_name(metric)
    return name if segment in (None, "(all)") else f"{name} in segment {segment!r}"


def interval_label(rec: RetrainRecommendation) -> str:
    """The legend entry of the interval line: ``'retrain every 56 days'``."""
    if rec.status == "crossed":
        return f"retrain every {_age(rec, rec.interval)}"
    return f"not reached by {_age(rec, rec.interval)} (oldest age)"


def _item_interval(rec: RetrainRecommendation) -> str:
    """``'61 days (90% CI 41 days to 90 days)'`` or ``'at least 6.0 months'``."""
    kind = rec.time_kind
    if rec.status == "not_reached":
        return f"at least {age(rec.interval, kind)}"
    ci = f"{level(rec.confidence_level)} CI {interval_ci_range(rec, with_unit=False)}"
    return f"{age(rec.interval, kind)} ({ci})"


def binding_sentence(recs: RetrainRecommendations) -> str:
    """Which (metric, segment) decides the cadence of several recommendations.

    ``"ROC AUC in segment 'EWR' decides the cadence: retrain every 61 days (90% CI 41
    days to 90 days), the shortest interval of 12 metrics and segments."``
    """
    n = len(recs.items)
    rec = recs.binding
    what = _plural(n, "recommendation")
    if rec is None:
        return (f"No degradation detected in any of the {what}: none calls for "
                "retraining within the evaluated ages.")
    who = subject(rec.metric, rec.segment)
    if n == 1:
        tail = ""
    elif rec.status == "crossed":
        tail = f", the shortest interval of {n} metrics and segments"
    else:
        tail = (f": none of the {n} metrics and segments crosses its threshold within the "
                "evaluated ages, and this one is degrading with the shortest lower bound")
    every = ("retrain every " if rec.status == "crossed" else "retrain ")
    return f"{who} decides the cadence: {every}{_item_interval(rec)}{tail}."


def fastest_segment_sentence(recs: RetrainRecommendations, metric: str) -> str:
    """``"Segment 'EWR' ages fastest: 61 days (90% CI 41 days to 90 days)."``"""
    ranking = recs.ranking(metric)
    segs = ranking[ranking["rank"] > 0]
    if len(segs) == 0:
        return "No segment to rank."
    first = recs[(metric, str(segs["segment"].iloc[0]))]
    if first.status == "no_degradation":
        return (f"No segment's {metric_name(first.metric)} degrades significantly within "
                "the evaluated ages.")
    return f"Segment {first.segment!r} ages fastest: {_item_interval(first)}."


def segment_comparison_sentence(c: Any) -> str:
    """A paired comparison of two (metric, segment) crossing ages, in words.

    ``"Segment 'EWR' ages faster than 'JFK': it crosses its threshold 35 days sooner
    (90% CI 12 days to 60 days sooner; first in 98% of the bootstrap replicates)."``;
    when the CI holds 0: ``"No clear difference between ...: ..."``, an end beyond
    the evaluated ages read as "an unbounded amount sooner/later" (both ends: "is
    unbounded on both sides").
    """
    kind = c.time_kind
    lv = level(c.confidence_level)

    def name(key: tuple[str, str]) -> str:
        m, seg = key
        if c.across_metrics:
            return f"{m} on {seg!r}" if seg != "(all)" else m
        return "the whole population" if seg == "(all)" else repr(seg)

    a, b = name(c.first), name(c.second)
    lo, hi = c.paired.ci
    d = c.paired.difference
    head = "Segment " if not c.across_metrics and c.first[1] != "(all)" else ""
    a_cap = head + a if head else a[:1].upper() + a[1:]

    def mag(x: float) -> str:
        return age(float_age(abs(x), kind), kind)

    def span(x0: float, x1: float, word: str) -> str:
        if not np.isfinite(x0) and not np.isfinite(x1):
            return ""
        if not np.isfinite(x1):
            return f"at least {mag(x0)} {word}"
        if not np.isfinite(x0):
            return f"up to {mag(x1)} {word}"
        return f"{mag(x0)} to {mag(x1)} {word}"

    first = f"first in {percent(round(c.paired.p_first, 2))} of the bootstrap replicates"
    if c.paired.n_compared == 0:
        return (f"{a_cap} and {b} both stay within tolerance in every bootstrap "
                "replicate: neither ages faster within the evaluated ages.")
    if c.faster is not None:
        sooner = c.faster
        word = "sooner" if sooner else "later"
        rng = span(-hi, -lo, word) if sooner else span(lo, hi, word)
        ci = f"{lv} CI {rng}; " if rng else ""
        verb = "faster" if sooner else "slower"
        if np.isfinite(d):
            return (f"{a_cap} ages {verb} than {b}: it crosses its threshold {mag(d)} "
                    f"{word} ({ci}{first}).")
        crosser, other = (a, b) if sooner else (b, a)
        when = c.first_interval if sooner else c.second_interval
        return (f"{a_cap} ages {verb} than {b}: {crosser} crosses its threshold at "
                f"{age(when, kind)} while {other} stays within tolerance up to the "
                f"oldest evaluated age ({ci}{first}).")
    if np.isfinite(d):
        how = f"{a} crosses its threshold {mag(d)} {'sooner' if d < 0 else 'later'}"
    else:
        how = "only one of the two crosses its threshold"
    head_ = f"No clear difference between {a} and {b}: {how}, but the {lv} CI of the difference"
    if not np.isfinite(lo) and not np.isfinite(hi):
        return (f"{head_} is unbounded on both sides: either may cross first by more "
                f"than the evaluated ages show ({first}).")

    def end(x: float, word: str) -> str:
        return f"{mag(x)} {word}" if np.isfinite(x) else f"an unbounded amount {word}"

    return f"{head_} runs from {end(lo, 'sooner')} to {end(hi, 'later')} ({first})."


def pooled_curve_label(weight: float) -> str:
    """``'partially pooled curve (62% of its shape from the whole population)'``."""
    return (f"partially pooled curve ({percent(round(weight, 2))} of its shape from the "
            "whole population)")


def small_multiple_title(rec: RetrainRecommendation, *, binding: bool) -> str:
    """The title of one item's Axes: ``'ROC AUC in segment 'EWR': retrain every 61
    days (binding)'``."""
    who = subject(rec.metric, rec.segment)
    if rec.status == "crossed":
        what = f"retrain every {age(rec.interval, rec.time_kind)}"
    elif rec.status == "not_reached":
        what = f"at least {age(rec.interval, rec.time_kind)}"
    else:
        what = "no degradation"
    return f"{who}: {what}" + (" (decides the cadence)" if binding else "")


def ranking_marker_label(status: str) -> str:
    """The legend entry of a status in the segment ranking."""
    return {"crossed": "interval and its CI",
            "not_reached": "degrading, not reached: at least this age",
            "no_degradation": "no degradation (drawn at the oldest age)"}[status]


def rows_label(n: int) -> str:
    """``'12,345 rows'``."""
    return f"{n:,} rows" if n != 1 else "1 row"


def ranking_xlabel(rec: RetrainRecommendation, unit: str, confidence_level: float) -> str:
    """The x label of the segment ranking."""
    verb, where = _verb(bool(rec.metric.greater_is_better))
    return (f"model age ({unit}) at which {metric_name(rec.metric)} {verb} "
            f"{tolerance_amount(rec.tolerance, rec.tolerance_type)} {where} the segment's "
            f"baseline, {level(confidence_level)} CI")


def float_age(x: float, kind: str) -> Any:
    """Fit units (days for datetime time) back to an age, for the words of :func:`age`."""
    return pd.Timedelta(days=float(x)) if kind == "datetime" else float(x)


def evaluation_sentence(ev: OOTEvaluation) -> str:
    """``str(evaluation)``: metric, anchors, windows and the span of model ages."""
    u = ev.usable
    if len(u) == 0:
        return repr(ev) + ": no usable window."
    a0, a1 = u["age"].min(), u["age"].max()
    if ev.is_multi:
        names = word_list([metric_name(m) for m in ev.metrics])
        segs = [s for s in ev.segment_labels if s != "(all)"]
        where = ""
        if segs:
            cols = ", ".join(repr(c) for c in ev.segment_columns)
            where = (f" on the whole population and {len(segs)} segment(s) of {cols}"
                     if "(all)" in ev.segment_labels else
                     f" on {len(segs)} segment(s) of {cols}")
        per = len(ev.scores) // max(len(ev.keys()), 1)
        return (
            f"Out-of-time evaluation of {names}{where} over {ev.n_anchors} anchor(s) and "
            f"{per} windows each ({ev.n_usable} of {len(ev.scores)} scores usable), "
            f"model ages {age(a0, ev.time_kind)} to {age(a1, ev.time_kind)}."
        )
    return (
        f"Out-of-time evaluation of {metric_name(ev.metric)} over {ev.n_anchors} "
        f"anchor(s) and {len(ev.scores)} windows ({ev.n_usable} usable), model ages "
        f"{_age(ev, a0)} to {_age(ev, a1)}."
    )


def word_list(words: Sequence[str]) -> str:
    """``'a, b and c'``.

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.word_list(["ROC AUC"]), fmt.word_list(["ROC AUC", "Log loss", "Accuracy"])
    ('ROC AUC', 'ROC AUC, Log loss and Accuracy')
    """
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def curve_title(curve: DegradationCurve) -> str:
    """A plot title for a curve drawn without a recommendation."""
    return (f"Degradation curve ({curve.family}) fitted to {curve.n_windows} windows of "
            f"{curve.n_anchors} anchor(s).")


# ==================================================================== window statuses
#: What a window status means, as the warning and the report say it (``{mws}`` is the
#: ``min_window_size`` in force).
WINDOW_STATUS_TEXT: dict[str, str] = {
    "empty": "empty (no rows)",
    "too_small": "too small (fewer than min_window_size={mws} rows)",
    "one_class": "one class only (the metric needs both)",
    "missing_class": "missing a class (the metric needs every class)",
    "undefined": "metric undefined",
    "anchor_failed": "their anchor's model failed (on_error='skip')",
}


def window_status(status: str, min_window_size: int | None = None) -> str:
    """Why a window was left out, in words (the status itself when unknown)."""
    text = WINDOW_STATUS_TEXT.get(str(status), str(status))
    if min_window_size is None:
        return text.replace("min_window_size={mws}", "min_window_size")
    return text.format(mws=min_window_size)


def window_status_counts(counts: Mapping[Any, int] | pd.Series,
                         min_window_size: int | None = None) -> str:
    """``'3 too small (fewer than min_window_size=30 rows); 1 one class only (...)'``.

    ``counts`` maps a status to how many windows have it (``value_counts()`` of the
    ``status`` column of the windows left out), in the order to show them.

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.window_status_counts({"too_small": 2, "one_class": 1}, 30)
    '2 too small (fewer than min_window_size=30 rows); 1 one class only (the metric needs both)'
    """
    return "; ".join(f"{int(c)} {window_status(str(s), min_window_size)}"
                     for s, c in counts.items())


# ==================================================================== policy backtest
_NS_PER_DAY = 86_400 * 10**9


def cadence_name(steps: int, *, months: int | None = None, fixed: float | None = None,
                 time_kind: str = "datetime") -> str:
    """The name of a cadence of ``steps`` anchor steps: ``'3 months'``, ``'1 year'``,
    ``'60 days'``, ``'2 weeks'``, or a number for numeric time; ``'never'`` for 0.

    ``months`` is the anchor step in calendar months, else ``fixed`` its length (in
    nanoseconds for datetime time, in time units for numeric time).

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.cadence_name(4, months=3), fmt.cadence_name(1, months=1)
    ('1 year', '1 month')
    >>> fmt.cadence_name(2, fixed=30 * 86_400e9), fmt.cadence_name(3, fixed=2.5,
    ...                                                            time_kind="numeric")
    ('60 days', '7.5')
    >>> fmt.cadence_name(0, months=1)
    'never'
    """
    if steps == 0:
        return "never"
    if time_kind == "numeric":
        assert fixed is not None
        return f"{steps * fixed:g}"
    if months is not None:
        mo = steps * months
        if mo % 12 == 0:
            return _plural(mo // 12, "year")
        return _plural(mo, "month")
    assert fixed is not None
    days = steps * fixed / _NS_PER_DAY
    if days == int(days):
        if int(days) % 7 == 0 and fixed % (7 * _NS_PER_DAY) == 0:
            return _plural(int(days) // 7, "week")
        return _plural(int(days), "day")
    return age(pd.Timedelta(int(steps * fixed), unit="ns"), "datetime")


def every(name: str, time_kind: str = "datetime") -> str:
    """``'every 3 months'``, ``'every month'`` (for ``'1 month'``), ``'never'``, or
    ``'every 10 time units'`` for numeric time.

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.every("1 month"), fmt.every("30 days"), fmt.every("10", "numeric")
    ('every month', 'every 30 days', 'every 10 time units')
    """
    if name == "never":
        return "never"
    if time_kind == "numeric":
        return f"every {name} time units"
    if name.startswith("1 ") and name[2:] in ("day", "week", "month", "year"):
        return f"every {name[2:]}"
    return f"every {name}"


def period_noun(*, months: int | None = None, fixed: float | None = None,
                time_kind: str = "datetime") -> str:
    """The plural name of a calendar period: ``'months'``, ``'quarters'``, ``'weeks'``,
    ``'30-day periods'``, or ``'periods'`` (numeric time).

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.period_noun(months=3), fmt.period_noun(fixed=30 * 86_400e9)
    ('quarters', '30-day periods')
    """
    if time_kind == "numeric":
        return "periods"
    if months is not None:
        name = {1: "month", 3: "quarter", 12: "year"}.get(months)
        return name + "s" if name else f"{months}-month periods"
    assert fixed is not None
    days = fixed / _NS_PER_DAY
    if days == 1:
        return "days"
    if days == 7:
        return "weeks"
    return f"{days:g}-day periods" if days == int(days) else "periods"


def rounding_note(reason: str, step_name: str, noun: str, cap_name: str = "") -> str:
    """How a recommended interval became a backtested cadence, for the sentence.

    ``reason``: "rounded" (down to whole steps), "short" (below one step), "long"
    (capped at the longest cadence ``cap_name``) or "never" (no degradation).

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.rounding_note("rounded", "1 month", "months")
    'rounded down to whole months'
    >>> fmt.rounding_note("rounded", "30 days", "30-day periods")
    'rounded down to a multiple of 30 days'
    """
    if reason == "never":
        return "no degradation detected"
    if reason == "short":
        return f"shorter than one step ({step_name}); the fastest cadence backtested"
    if reason == "long":
        return f"longer than the anchors allow; capped at {cap_name}"
    if "period" in noun:
        return f"rounded down to a multiple of {step_name}"
    return f"rounded down to whole {noun}"


def backtest_within(bt: CadenceBacktest) -> str:
    """``'MAE within 20% of the fresh model'`` or ``'... of its baseline 1.75'``."""
    name = metric_name(bt.metric)
    tol = tolerance_amount(bt.tolerance, bt.tolerance_type)
    if bt.reference == "fresh":
        return f"{name} within {tol} of the fresh model"
    return f"{name} within {tol} of its baseline {number(bt.baseline)}"


def _bt_row(bt: CadenceBacktest, steps: int) -> pd.Series:
    t = bt.summary_table
    return t.loc[t["steps"] == steps].iloc[0]


def backtest_count(bt: CadenceBacktest, steps: int, column: str | None = None) -> str:
    """How many periods a cadence kept within tolerance: ``'47 of 50 months'``, or
    ``'46.7 of 50 months on average over its 4 phases (45 to 49)'``."""
    col = column or bt.share_column
    row = _bt_row(bt, steps)
    n = bt.n_periods
    mean = float(row[col]) * n
    if abs(mean - round(mean)) < 1e-9:
        return f"{round(mean)} of {n} {bt.period_noun}"
    text = (f"{mean:.1f} of {n} {bt.period_noun} on average over its "
            f"{int(row['n_phases'])} phases")
    lo, hi = f"{col}_min", f"{col}_max"
    if lo in row and hi in row:
        text += f" ({round(float(row[lo]) * n)} to {round(float(row[hi]) * n)})"
    return text


def _bt_every(bt: CadenceBacktest, steps: int) -> str:
    return every(str(_bt_row(bt, steps)["cadence"]), bt.time_kind)


def backtest_check_sentence(bt: CadenceBacktest) -> str:
    """Whether history agrees with the recommendation, in one sentence ('' without one).

    ``Retraining every 4 months (the recommendation, rounded down to whole months) kept
    MAE within 20% of the fresh model in 47 of 50 months: history agrees with the
    recommendation.``
    """
    k = bt.recommended_steps
    if k is None:
        return ""
    what = "Never retraining" if k == 0 else f"Retraining {_bt_every(bt, k)}"
    note = f", {bt.recommended_note}" if bt.recommended_note else ""
    text = (f"{what} (the recommendation{note}) kept {backtest_within(bt)} in "
            f"{backtest_count(bt, k)}")
    verdict = bt.verdict()
    if verdict == "agrees":
        return text + ": history agrees with the recommendation."
    if verdict == "retrain_more_often":
        best = bt.longest_within_target
        assert best is not None
        return (text + f". History suggests retraining more often: {_bt_every(bt, best)} "
                f"kept it in {backtest_count(bt, best)}.")
    if k == 1:
        text += (". History cannot settle it: no cadence is faster, so the tolerance is "
                 "within the scatter between periods.")
    else:
        text += (f". History cannot settle it: even retraining {_bt_every(bt, 1)} kept "
                 f"it in only {backtest_count(bt, 1)}, so the tolerance is within the "
                 "scatter between periods.")
    if bt.reference == "baseline" and k != 1:
        text += (f" Against the fresh model's score on each period (within "
                 f"{tolerance_amount(bt.tolerance, bt.tolerance_type)}), "
                 f"{'never retraining' if k == 0 else 'it'} kept it in "
                 f"{backtest_count(bt, k, 'within_fresh')}.")
    return text


def history_not_checked(problem: str) -> str:
    """``'Not checked on history: the evaluation has 1 anchor; ...'``."""
    return f"Not checked on history: {problem}."


def cost_rate_label(time_kind: str) -> str:
    """``'per day'`` (datetime time) or ``'per unit of time'``."""
    return "per day" if time_kind == "datetime" else "per unit of time"


def backtest_sentence(bt: CadenceBacktest) -> str:
    """``str(backtest)``: the check of a recommendation, then the cheapest fixed cadence
    and the oracle (with costs), or the longest cadence that met the target share."""
    parts = []
    if bt.recommended_steps is not None:
        parts.append(backtest_check_sentence(bt))
    n = bt.n_periods
    span = f"{n} {bt.period_noun} of history"
    target = level(bt.target_share)
    if bt.oracle is not None:
        t = bt.summary_table
        best = int(t.loc[t["best"], "steps"].iloc[0])
        row = _bt_row(bt, best)
        unit = cost_rate_label(bt.time_kind)
        rate = "a year" if bt.time_kind == "datetime" else "per unit of time"
        parts.append(
            f"Over {span} the cheapest fixed cadence was {_bt_every(bt, best)}: cost "
            f"{number(float(row['cost_rate']))} {unit} with "
            f"{float(row[bt.rate_column]):.3g} retrains {rate}, and it kept "
            f"{backtest_within(bt)} in {backtest_count(bt, best)}. The best schedule in "
            f"hindsight retrained {bt.oracle.n_retrains} times at "
            f"{number(bt.oracle.cost_rate)} {unit}.")
    elif bt.recommended_steps is None:
        longest = bt.longest_within_target
        if longest is not None:
            parts.append(
                f"Over {span}, the longest cadence that kept {backtest_within(bt)} in at "
                f"least {target} of them was {_bt_every(bt, longest)}: "
                f"{backtest_count(bt, longest)}. Never retraining kept it in "
                f"{backtest_count(bt, 0)}.")
        else:
            parts.append(
                f"Over {span} no cadence kept {backtest_within(bt)} in {target} of them; "
                f"retraining {_bt_every(bt, 1)} kept it in {backtest_count(bt, 1)}, never "
                f"retraining in {backtest_count(bt, 0)}.")
    return " ".join(parts)


def backtest_caption(bt: CadenceBacktest, kind: str) -> str:
    """The report's caption of a backtest chart (``kind`` "realized" or "tradeoff")."""
    if kind == "realized":
        return ("The score of the model in service in each period for a few cadences "
                "(phase 0), a marker where a retrained model goes into service; retraining "
                "every step is the fresh model, never retraining the first model aging.")
    if bt.oracle is not None:
        return ("The cost per day of each fixed cadence (retrains plus shortfall against "
                "the fresh model; bar: its range over the phases), the best schedule in "
                "hindsight, the cheapest fixed cadence and the recommendation.")
    return ("The share of periods each fixed cadence kept within tolerance (bar: its "
            "range over the phases), the target share, the longest cadence that met it "
            "and the recommendation.")


def backtest_method(bt: CadenceBacktest) -> list[MethodItem]:
    """How the backtest was computed, one paragraph per step (for the report)."""
    kind = bt.time_kind
    span = (f"{bt.n_periods} {bt.period_noun} from {stamp(bt.span_start)} to "
            f"{stamp(bt.span_end)}")
    left = (f"; {_plural(bt.n_periods_excluded, 'period')} left out because a schedule's "
            "model had no usable score there" if bt.n_periods_excluded else "")
    items = [
        MethodItem("Schedules", (
            f"A cadence of k steps ({bt.step} each) retrains at the first cutoff and then "
            "at every k-th cutoff, starting at the 1st, 2nd, ... or k-th one (its k "
            "phases; the figures are averaged over them). In each calendar period the "
            "model in service is the latest retrained one whose evaluation had started, "
            "and its score on that period is read from the evaluation: no model is "
            "refitted.")),
        MethodItem("Periods", f"Every schedule is judged on the same {span}{left}."),
    ]
    name = metric_name(bt.metric)
    tol = tolerance_amount(bt.tolerance, bt.tolerance_type)
    gib = bool(bt.metric.greater_is_better)
    base = (f"the threshold {number(bt.threshold)} "
            f"({threshold_rule(bt.tolerance, bt.tolerance_type, gib)} {number(bt.baseline)})")
    items.append(MethodItem("Within tolerance", (
        f"A period counts as within tolerance of the baseline when the realized {name} "
        f"is {'at or above' if gib else 'at or below'} {base}, and within tolerance of "
        f"the fresh model when it is within {tol} of the youngest model's score on that "
        f"period. A cadence keeps {name} within tolerance when it does so in at least "
        f"{level(bt.target_share)} of the periods.")))
    if bt.oracle is not None and bt.retrain_cost is not None:
        unit = "day" if kind == "datetime" else "unit of time"
        items.append(MethodItem("Cost", (
            f"Cost rate = ({number(bt.retrain_cost)} per retrain x retrains + "
            f"{number(float(bt.shortfall_cost or 0.0))} x shortfall x the period's length "
            f"in {unit}s, summed over the periods) / the span; the shortfall is how far "
            "the realized score falls short of the fresh model's (never negative). The "
            "best schedule in hindsight minimises it over every subset of the cutoffs "
            "(exact dynamic programming); regret is a cadence's cost rate minus its.")))
    return items


def backtest_title(bt: CadenceBacktest, kind: str) -> str:
    """The title of a backtest chart (``kind`` "realized" or "tradeoff")."""
    name = metric_name(bt.metric)
    span = f"{bt.n_periods} {bt.period_noun} of history"
    if kind == "realized":
        return f"Realized {name} over {span}, by retraining cadence"
    if bt.oracle is not None:
        return f"What each retraining cadence would have cost over {span}"
    ref = "the fresh model" if bt.reference == "fresh" else "its baseline"
    return (f"How often each retraining cadence kept {name} within "
            f"{tolerance_amount(bt.tolerance, bt.tolerance_type)} of {ref} over {span}")


# ======================================================================== method text
@dataclass(frozen=True)
class MethodItem:
    """One paragraph of the method text: a short title and what was done."""

    title: str
    text: str


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def _cutoff_list(values: Sequence[Any]) -> str:
    shown = [stamp(v) for v in values]
    if len(shown) > 6:
        shown = [*shown[:3], "...", *shown[-2:]]
    return ", ".join(shown)


def _source(ev: OOTEvaluation) -> str:
    """Where the scores came from: "trained" (evaluate_out_of_time), "predictions"
    (evaluate_predictions) or "frame" (OOTEvaluation.from_frame, or unknown)."""
    p = ev.params
    if "y_pred" in p:
        return "predictions"
    if p.get("train_window") is not None:
        return "trained"
    return "frame"


def _cutoffs(ev: OOTEvaluation) -> list[Any]:
    a = ev.anchors
    if len(a) and "cutoff" in a:
        return list(a["cutoff"])
    return list(ev.scores.groupby("anchor", sort=True)["cutoff"].first())


def _trained_text(ev: OOTEvaluation, kind: str, cut: str,
                  esc: Callable[[str], str]) -> str:
    """Anchors of :func:`oot.evaluate_out_of_time`: one or several, a count or cutoffs."""
    p = ev.params
    n = ev.n_anchors
    cutoffs = _cutoffs(ev)
    given = isinstance(p.get("anchors"), list)
    train = ("all data before its cutoff (expanding window)" if p.get("expanding")
             else f"the {esc(length(p.get('train_window'), kind))} of data before its "
                  "cutoff")
    if n == 1:
        where = "given" if given else "the earliest the training window allows"
        text = (f"One model was trained, on {train}. The {cut} is where its training "
                f"data ends: {esc(_cutoff_list(cutoffs))} ({where}). The model is then "
                "frozen, as a deployed model is.")
    else:
        text = (f"{n} models were trained, each on {train}. The {cut} is where an "
                "anchor's training data ends; ")
        if given:
            text += f"the cutoffs were given: {esc(_cutoff_list(cutoffs))}."
        else:
            step = p.get("anchor_step") or p.get("eval_window")
            text += (f"successive cutoffs are {esc(one(length(step, kind)))} apart, "
                     f"from {esc(stamp(cutoffs[0]))} to {esc(stamp(cutoffs[-1]))}.")
        text += " Each model is then frozen, as a deployed model is."
    a = ev.anchors
    failed = int((a["status"] != "ok").sum()) if "status" in a else 0
    if failed:
        text += (f" {failed} of the {n} models failed to fit and are left out "
                 "(on_error='skip').")
    return text


def _predictions_text(ev: OOTEvaluation, cut: str, cuts: str,
                      esc: Callable[[str], str]) -> str:
    """Anchors of :func:`oot.evaluate_predictions`: models trained elsewhere."""
    listed = esc(_cutoff_list(_cutoffs(ev)))
    if ev.n_anchors == 1:
        return (f"The predictions of one model trained outside oot were scored. Its "
                f"{cut}, where its training data ends, was given: {listed}.")
    return (f"The predictions of {ev.n_anchors} models trained outside oot were scored, "
            f"one column each. Their {cuts}, where each model's training data ends, "
            f"were given: {listed}.")


def _anchor_items(ev: OOTEvaluation, kind: str, emph: Callable[[str], str],
                  esc: Callable[[str], str]) -> list[MethodItem]:
    """The Anchors and Windows paragraphs (one paragraph for a table of scores)."""
    source = _source(ev)
    n = ev.n_anchors
    if source == "frame":
        return [MethodItem("Anchors and windows", (
            f"{_plural(n, 'anchor')} and {_plural(len(ev.scores), 'window')}, scored "
            "outside oot and given as a table."))]
    if source == "trained":
        text = _trained_text(ev, kind, emph("cutoff"), esc)
    else:
        text = _predictions_text(ev, emph("cutoff"), emph("cutoffs"), esc)
    p = ev.params
    gap = length(p.get("gap"), kind)
    start = ("from its cutoff (no gap)" if gap == "none" or gap.startswith("0 ")
             else f"from {esc(one(gap))} after its cutoff (the gap)")
    horizon = p.get("horizon")
    end = ("up to the end of the data" if horizon is None
           else f"up to {esc(one(length(horizon, kind)))} after it")
    windows = (
        f"{'The' if n == 1 else 'Each'} frozen model was scored on every later window of "
        f"{esc(one(length(p.get('eval_window'), kind)))}, {start} {end}. Windows with "
        f"fewer than {esc(str(p.get('min_window_size')))} rows are left out.")
    return [MethodItem("Anchors", text), MethodItem("Windows", windows)]


_RESAMPLE = {
    "calendar": "resample whole calendar windows",
    "anchor": ("resample whole calendar periods (window k of anchor j is period "
               "j + k - 1: the anchors are one window apart)"),
}


def _resampling(curve: DegradationCurve, n_anchors: int) -> str:
    rule = str(getattr(curve, "cluster_rule", "") or "")
    shared = " (shared by every anchor that scores them)" if n_anchors > 1 else ""
    if rule.startswith("calendar"):
        return _RESAMPLE["calendar"] + shared
    if rule.startswith("anchor"):
        return _RESAMPLE["anchor"] + (", shared by every anchor that scores them"
                                      if n_anchors > 1 else "")
    if n_anchors == 1:
        return "resample the windows"
    return ("resample anchor-by-window cells independently (the scores carry no calendar "
            "window, so noise that one calendar period shares across anchors is not "
            "accounted for and the interval may be too narrow)")


def _baseline_text(rec: RetrainRecommendation, n: int, emph: Callable[[str], str]) -> str:
    curve = rec.curve
    mode = curve.baseline_mode
    b = f"The {emph('baseline')} {number(rec.baseline)}"
    if mode == "curve":
        return b + " is the fitted curve at age 0" + (
            " (the mean of the anchors' levels)" if n > 1 else "")
    if mode == "first_window":
        text = b + (" is the mean score of the anchors' first usable windows" if n > 1
                    else " is the score of the anchor's first usable window")
        if curve.reference == "fresh":
            text += " (after the fresh-model adjustment)"
        return text
    return b + f" was given (baseline={number(float(mode))})"


def _interval_text(rec: RetrainRecommendation, kind: str, esc: Callable[[str], str],
                   ) -> str:
    if rec.status == "crossed":
        text = ("The recommended interval is the age at which the fitted curve reaches "
                f"the threshold: {esc(_age(rec, rec.interval))}.")
    elif rec.status == "not_reached":
        text = ("The fitted curve stays within the threshold up to the oldest evaluated "
                f"age, {esc(_age(rec, rec.max_age))}; that age is reported as the "
                "interval, a lower bound.")
        if rec.extrapolated_interval is not None:
            text += (" Extrapolated, the curve would cross at about "
                     f"{esc(_age(rec, rec.extrapolated_interval))}.")
    elif rec.status == "no_skill":
        text = ("The baseline is at the metric's chance level, so no interval is "
                "recommended: the model has no skill to lose.")
    else:
        text = ("The fitted curve does not reach the threshold within the evaluated ages "
                "and the trend test finds no significant degradation, so no interval is "
                "recommended.")
    if rec.status == "crossed" and not rec.significant:
        text += (" The degradation is not significant (neither the trend test nor the "
                 "interval's upper end within the ages), so that age is what the curve's "
                 "shape says, not an established crossing.")
    if rec.round_to is not None:
        text += (" Intervals are rounded down to a multiple of "
                 f"{esc(one(length(rec.round_to, kind)))}.")
    return text


def _age_item(ev: OOTEvaluation) -> MethodItem:
    if ev.n_anchors > 1:
        pooled = "Pooling all anchors by age separates aging from the calendar."
    else:
        pooled = ("With one anchor, age and calendar time move together: a hard season "
                  "looks like aging (more anchors tell the two apart).")
    return MethodItem("Model age", (
        "A window's age is its midpoint minus the anchor's cutoff: how long the model "
        f"has been in use when it meets that data. {pooled}"))


def _has_se(ev: OOTEvaluation) -> bool:
    """Whether any usable window has a standard error (else the fits weight equally)."""
    se = ev.usable["se"].to_numpy(dtype=float)
    return bool(np.any(np.isfinite(se) & (se > 0)))


def _score_items(rec: RetrainRecommendation, name: str) -> list[MethodItem]:
    ev = rec.evaluation
    way = better(bool(rec.metric.greater_is_better))
    if _source(ev) == "frame":
        score = (f"{name} ({way}) per window, as given"
                 + (", with the standard errors given (the error bars)." if _has_se(ev)
                    else "; no standard errors were given."))
    else:
        score = (f"{name} ({way}) on each window, with its standard error from the "
                 "window's own rows (the error bars).")
    items = [MethodItem("Score", score)]
    if rec.curve.reference == "fresh":
        items.append(MethodItem("Reference", (
            "Each window's score is compared with a fresh model's score on the same "
            "calendar window (the youngest anchor that scores it): the curve is fitted to "
            "the score minus the fresh score plus the mean fresh score, so a hard season "
            "is not mistaken for aging. Windows no fresh model scored are left out; the "
            "standard errors combine both scores'.")))
    return items


def _curve_item(rec: RetrainRecommendation, emph: Callable[[str], str],
                esc: Callable[[str], str]) -> MethodItem:
    curve = rec.curve
    fam = str(curve.family)
    article = "An" if fam[:1] in "aeiou" else "A"
    shape = ("shared by all anchors (each anchor keeps its own level)"
             if curve.n_anchors > 1 else "fitted to the one anchor's windows")
    if curve.selection == "auto":
        fitted = list(curve.aicc)
        if len(fitted) > 1:
            how = (f"chosen by AICc among the {len(fitted)} shapes fitted "
                   f"({', '.join(fitted)})")
        else:
            how = ("fitted by curve='auto', which compares shapes by AICc but had enough "
                   "windows for this one only")
    elif curve.selection:
        how = f"as asked (curve='{esc(str(curve.selection))}': no other shape was compared)"
    else:  # a curve built by hand, without the argument recorded
        how = "as recorded with the curve"
    weights = ("weighted by each window's noise (its standard error and the scatter "
               "between windows)" if _has_se(rec.evaluation) else
               "with the windows weighted equally (there are no standard errors)")
    direction = {"degrading": "are degrading", "improving": "are improving"}.get(
        str(curve.trend_direction), "show no trend")
    check = shape_check(curve)
    check = (f" Fit check: {check}." if curve.lack_of_fit else "")
    return MethodItem("Curve", (
        f"{article} {emph(esc(fam))} curve of score against age, {shape}, {how}, "
        f"{weights}. A trend test (Mann-Kendall, within anchors) gives "
        f"p = {pvalue(curve.trend_pvalue)} for a trend with age: the scores {direction}."
        f"{check}"))


def _calendar_item(rec: RetrainRecommendation) -> MethodItem | None:
    """What the calendar tests found and what was done with it (None: not tested)."""
    cal = rec.curve.calendar_effects
    if not cal or (not cal.get("terms") and int(cal.get("block", 1)) == 1):
        if not cal:
            return None
        return MethodItem("Calendar", (
            "Calendar effects shared by every anchor were tested (a yearly season and a "
            "level shift, under the model with a free effect per age): none found."))
    return MethodItem("Calendar", (
        "Calendar effects shared by every anchor were tested (a yearly season and a level "
        f"shift, under the model with a free effect per age): {calendar_summary(rec)}."))


def _tolerance_item(rec: RetrainRecommendation, name: str, emph: Callable[[str], str],
                    esc: Callable[[str], str]) -> MethodItem:
    gib = bool(rec.metric.greater_is_better)
    verb, where = _verb(gib)
    return MethodItem("Tolerance", (
        f"{_baseline_text(rec, rec.evaluation.n_anchors, emph)}; the model counts as "
        f"degraded once {name} {verb} "
        f"{tolerance_amount(rec.tolerance, rec.tolerance_type)} {where} it, i.e. past the "
        f"{emph('threshold')} {number(rec.threshold)} "
        f"({threshold_rule(rec.tolerance, rec.tolerance_type, gib)}). "
        f"{_interval_text(rec, rec.time_kind, esc)}"))


def _ci_item(rec: RetrainRecommendation, emph: Callable[[str], str]) -> MethodItem:
    b = int(rec.n_bootstrap)
    resample = _resampling(rec.curve, int(rec.curve.n_anchors))
    if b == 1:
        resample = resample.replace("resample ", "resamples ", 1)
    return MethodItem("Confidence interval", (
        f"The {level(rec.confidence_level)} CI of the crossing age comes from "
        f"{_plural(b, 'bootstrap replicate')} that {resample} and refit"
        f"{'s' if b == 1 else ''} the curve. Its lower end is the conservative cadence. "
        f"An end shown as {emph('beyond')} means the data are too short to bound it."))


def _cost_item(rec: RetrainRecommendation, name: str,
               esc: Callable[[str], str]) -> MethodItem:
    unit = "day" if rec.time_kind == "datetime" else "time unit"
    costs = (f"With a retraining cost of {rec.retrain_cost:g} and a shortfall cost of "
             f"{rec.shortfall_cost:g} per unit of {name} per {unit}, ")
    if rec.status in ("no_degradation", "no_skill"):
        return MethodItem("Cost", costs + no_cost_cadence(rec.status)[0].lower()
                          + no_cost_cadence(rec.status)[1:])
    if rec.cost_optimal_interval is None:
        return MethodItem("Cost", (
            costs + "the long-run cost per unit time keeps falling up to the oldest "
            f"evaluated age ({esc(_age(rec, rec.max_age))}): retraining for "
            "degradation alone does not pay within the evaluated ages."))
    return MethodItem("Cost", (
        costs + "the cadence with the lowest long-run cost per unit time is every "
        f"{esc(_age(rec, rec.cost_optimal_interval))}."))


def method(rec: RetrainRecommendation, *, emph: Callable[[str], str] | None = None,
           esc: Callable[[str], str] | None = None) -> list[MethodItem]:
    """What was done to reach ``rec``, paragraph by paragraph, as it was actually done.

    Reads the recommendation, its curve and its evaluation: where the scores came from
    (models trained by oot, predictions made elsewhere, or a table), the anchors (one
    or several; a count or the cutoffs given), the windows, the curve family and how it
    was chosen (by AICc among the shapes fitted, or as asked), the weights, the
    reference, the baseline, the tolerance and threshold, what the interval means for
    this status, the bootstrap's resampling, and the cost optimum.

    Parameters
    ----------
    rec : RetrainRecommendation
    emph : callable, default=None
        Wraps a defined term (``cutoff``, ``baseline``, ``threshold``, ``beyond``); the
        report passes ``lambda s: f"<i>{s}</i>"``. None: the term as is.
    esc : callable, default=None
        Escapes text that comes from the data or the user (names, dates); the report
        passes :func:`html.escape`. None: as is.

    Returns
    -------
    list of MethodItem

    Examples
    --------
    >>> from oot.datasets import make_degradation_scores
    >>> from oot.recommend import recommend_retrain_interval
    >>> import oot._format as fmt
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> rec = recommend_retrain_interval(ev, curve="linear", baseline="first_window",
    ...                                  n_bootstrap=20, random_state=0)
    >>> [item.title for item in fmt.method(rec)]  # doctest: +NORMALIZE_WHITESPACE
    ['Anchors and windows', 'Model age', 'Score', 'Curve', 'Calendar', 'Tolerance',
     'Confidence interval']
    >>> text = fmt.method_text(rec)
    >>> "as asked (curve='linear': no other shape was compared)" in text, "AICc" in text
    (True, False)
    """
    emph = emph or (lambda s: s)
    esc = esc or (lambda s: s)
    name = esc(metric_name(rec.metric))
    items = _anchor_items(rec.evaluation, rec.time_kind, emph, esc)
    items.append(_age_item(rec.evaluation))
    items += _score_items(rec, name)
    items.append(_curve_item(rec, emph, esc))
    calendar = _calendar_item(rec)
    if calendar is not None:
        items.append(calendar)
    items.append(_tolerance_item(rec, name, emph, esc))
    items.append(_ci_item(rec, emph))
    if rec.retrain_cost is not None:
        items.append(_cost_item(rec, name, esc))
    return items


def method_text(rec: RetrainRecommendation) -> str:
    """The method as plain text: one ``Title. text`` paragraph per item."""
    return "\n".join(f"{item.title}. {item.text}" for item in method(rec))


# ================================================================ leading indicators
_INDICATOR_KIND_TEXT = {"psi": "PSI", "ks": "KS statistic"}


def indicator_label(name: str, metric_display: str | None = None) -> str:
    """An indicator's name in words: ``'PSI of x1'``, ``'KS statistic of the
    predictions'``, ``'expected ROC AUC'`` (``metric_display``: the metric's name as
    people write it).

    Examples
    --------
    >>> import oot._format as fmt
    >>> fmt.indicator_label("psi:x1"), fmt.indicator_label("ks:prediction")
    ('PSI of x1', 'KS statistic of the predictions')
    >>> fmt.indicator_label("expected:roc_auc", "ROC AUC")
    'expected ROC AUC'
    """
    kind, _, source = name.partition(":")
    if kind == "expected":
        return f"expected {metric_display or source}"
    what = "the predictions" if source == "prediction" else source
    return f"{_INDICATOR_KIND_TEXT.get(kind, kind)} of {what}"


def lead_text(lead: Any, time_kind: str) -> str:
    """``'a median 24 days before'``, ``'a median 10 days after'``, ``'at the same
    median age as'``, or ``''`` when unknown."""
    if lead is None or (not isinstance(lead, pd.Timedelta) and bool(pd.isna(lead))):
        return ""
    days = (float(lead) if time_kind == "numeric"
            else float(pd.Timedelta(lead) / pd.Timedelta(days=1)))
    if days == 0:
        return "at the same median age as"
    value: Any = abs(days) if time_kind == "numeric" else pd.Timedelta(days=abs(days))
    return f"a median {age(value, time_kind)} {'before' if days > 0 else 'after'}"


def _level_text(value: float) -> str:
    if np.isinf(value):
        return "any value" if value < 0 else "no value"
    return number(value)


def _count_of(share: float, n: int, noun: str) -> str:
    return f"{round(share * n)} of {n} {noun}"


def _retrains(k: float) -> str:
    k = float(k)
    text = f"{k:.0f}" if abs(k - round(k)) < 1e-9 else f"{k:.1f}"
    return f"{text} retrain{'' if text == '1' else 's'}"


def _mean_retrains(k: float) -> str:
    """``'2 retrains'``, or ``'0.7 retrains on average over its phases'`` for a fixed
    cadence whose phases retrain a different number of times in the test periods."""
    k = float(k)
    return _retrains(k) + ("" if abs(k - round(k)) < 1e-9 else
                           " on average over its phases")


def trigger_sentence(tb: Any) -> str:
    """``str(trigger_backtest)``: what retraining on the indicator gave on the test
    periods, against the fixed cadences on the same periods."""
    name = metric_name(tb.metric)
    label = indicator_label(tb.indicator, name if tb.indicator.startswith("expected:")
                            else None)
    how = "tuned on" if tb.tuned else "with the level given; tuning part"
    where = "above" if tb.direction == "above" else "below"
    text = (f"Retraining when {label} is {where} {_level_text(tb.level)} ({how} the first "
            f"{tb.n_tune} {tb.period_noun}) kept {name} within "
            f"{tolerance_amount(tb.tolerance, tb.tolerance_type)} of "
            f"{'the fresh model' if tb.reference == 'fresh' else 'its baseline'} in "
            f"{_count_of(tb.within_test, tb.n_test, 'later ' + tb.period_noun)} with "
            f"{_retrains(tb.retrains_test)}")
    if tb.fixed_same_cadence is not None:
        fixed = every(tb.fixed_same_cadence, tb.time_kind) if tb.fixed_same_cadence != (
            "never") else "never retraining"
        text += (f"; the best fixed cadence with as many retrains ({fixed}) kept it in "
                 f"{_count_of(tb.fixed_same_within, tb.n_test, tb.period_noun)}")
    if tb.fixed_needed_cadence is not None:
        text += (f"; a fixed cadence needed {_mean_retrains(tb.fixed_needed_retrains)} to do as "
                 f"well ({every(tb.fixed_needed_cadence, tb.time_kind)})"
                 if tb.fixed_needed_cadence != "never" else
                 "; never retraining did as well")
    else:
        text += "; no fixed cadence did as well"
    return text + "."


def indicator_sentence(report: Any) -> str:
    """``str(indicator_report)``: the indicator to watch, its lead and its trigger
    (``Watch PSI of the predictions: it passed 0.1 a median 24 days before ROC AUC
    fell 5% below its baseline 0.84; ...``), or that none tracked the metric."""
    t = report.summary_table
    name = metric_name(report.metric)
    gib = bool(report.metric.greater_is_better)
    if t.empty:
        return "No indicator to rank."
    best = report.best
    crossing = report.crossing_age
    if best is None and (crossing is None or bool(pd.isna(crossing))):
        side = "above" if gib else "below"
        return (f"{name} did not degrade past the tolerance: the curve fitted to its "
                f"scores stays {side} the threshold {number(report.threshold)} over the "
                "evaluated ages, so there was no loss to warn of and no indicator is "
                "recommended (see summary() for how each one tracked the windows' "
                "ups and downs).")
    if best is None:
        top = t.iloc[0]
        return (f"No indicator tracked {name}: the closest, "
                f"{indicator_label(str(top['indicator']), name)}, had a rank correlation "
                f"of {number(float(top['correlation']))} with it within anchors (at least "
                f"{number(report.min_correlation)} in the metric's direction is needed).")
    row = t.loc[t["indicator"] == best].iloc[0]
    label = indicator_label(best, name)
    change = tolerance_change(name, report.tolerance, report.tolerance_type, gib,
                              report.baseline)
    change = change.replace(" falls ", " fell ").replace(" rises ", " rose ")
    text = (f"Watch {label}: its rank correlation with {name} within anchors is "
            f"{number(float(row['correlation']))}")
    lead = lead_text(row["lead"], report.time_kind)
    if lead:
        where = "passed" if row["direction"] == "above" else "fell below"
        text += (f"; it {where} {_level_text(float(row['trigger_level']))} {lead} "
                 f"{change}")
    if report.trigger_problem:
        return text + f". Not backtested as a trigger: {report.trigger_problem}."
    n = int(row["n_test"])
    text += (f"; as a trigger (its level tuned on the earlier {report.period_noun}) it "
             f"kept {name} within tolerance in "
             f"{_count_of(float(row['within_test']), n, 'later ' + report.period_noun)} "
             f"with {_retrains(float(row['retrains_test']))}")
    need = row["fixed_needed_cadence"]
    if need is None or (isinstance(need, float) and np.isnan(need)):
        text += ", better than any fixed cadence"
    elif need == "never":
        text += ", as never retraining did"
    else:
        text += (f"; the best fixed cadence to do as well ({every(str(need), report.time_kind)}) "
                 f"needed {_mean_retrains(float(row['fixed_needed_retrains']))}")
    return text + "."


def indicator_title(name: str, metric_display: str) -> str:
    """The title of one panel of the indicator plot."""
    return f"{indicator_label(name, metric_display)} and {metric_display}"


def indicator_caption(report: Any) -> str:
    """The report's caption of the indicator figure."""
    return ("Each panel: the indicator on every window against the model's age (one "
            "line per anchor; the trigger level dashed) and the measured "
            f"{metric_name(report.metric)} on the same windows (right axis; the "
            "tolerance's threshold dotted).")


def indicators_method(report: Any) -> list[MethodItem]:
    """How the indicators were computed and ranked, one paragraph per step."""
    name = metric_name(report.metric)
    items = [
        MethodItem("Indicators", (
            "For each anchor and each of its evaluation windows, against the anchor's own "
            "training rows and without labels: the population stability index (PSI; "
            "bins at the training deciles, right-closed, fewer with ties; half a row "
            "added to every bin on both sides, so that an empty bin has a small share; "
            "missing values and, for categories, unseen categories in bins of their "
            "own) and the two-sample Kolmogorov-Smirnov statistic of every numeric "
            "feature, PSI over the categories of every categorical one, the same for the "
            "model's predictions against its predictions on the training rows, and for "
            "a probabilistic classifier the expected scores a calibrated model would "
            "reach from its predicted probabilities alone.")),
        MethodItem("Correlation", (
            f"Each anchor's windows are ranked by the indicator and by {name}; the ranks, "
            "scaled to (0, 1) and centred within the anchor, are correlated over every "
            "anchor's windows together, so that a difference of level between anchors "
            "counts for nothing. An indicator tracks the metric when this correlation, "
            "signed so that positive means it moves toward its alarm as the metric "
            f"worsens, is at least {number(report.min_correlation)}.")),
        MethodItem("Lead", (
            f"The age at which the degradation curve fitted to the scores crosses the "
            f"threshold {number(report.threshold)} minus the median over the anchors of "
            "the age of the first window where the indicator passed its trigger level "
            "(positive: the indicator warned first).")),
    ]
    if not report.trigger_problem:
        items.append(MethodItem("Trigger", (
            "The model in service is retrained at the first cutoff after a period on "
            "which its indicator passed the level, and the new model serves once its "
            "evaluation starts; the realized scores are read from the evaluation (no "
            f"model is refitted). The level is chosen on the first "
            f"{percent(report.tune_share)} of the judged {report.period_noun} (the fewest "
            f"retrains that kept {name} within tolerance in at least "
            f"{level(report.target_share)} of them) and judged on the later ones, "
            "against every fixed cadence on the same periods.")))
    return items


# ======================================================================== candidates
def cadence_clause(rec: RetrainRecommendation) -> str:
    """A candidate's cadence in a few words: ``'retrain every 5.1 months'``,
    ``'retrain at least every 9.9 months'``, ``'no skill to lose (chance level 0.5)'``
    (a baseline at the metric's chance level: no schedule keeps a skill the model does
    not have) or ``'no degradation detected'``."""
    if rec.status == "crossed":
        return f"retrain every {_age(rec, rec.interval)}"
    if rec.status == "not_reached":
        return f"retrain at least every {_age(rec, rec.interval)}"
    if rec.status == "no_skill":
        chance = getattr(rec.metric, "chance", None)
        at = "" if chance is None else f" (chance level {number(float(chance))})"
        return f"no skill to lose{at}"
    return "no degradation detected"


def _by_margin(margin: float) -> str:
    return f" by more than {number(margin)}" if margin > 0 else ""


def pair_sentence(pair: CandidatePair) -> str:
    """Who beats whom, until what age: ``str(pair)``.

    "crossed": ``model beats heuristic until age 4.3 months (90% CI 3.6 months to 5.2
    months).``; "not_reached" and "no_degradation": ``... at every evaluated age (up to
    ...)``, with whether its lead shrinks; "tied": ``a and b score alike when fresh``.
    """
    kind = pair.time_kind
    lead = number(pair.fresh_lead)
    if pair.status == "tied":
        within = (f"within the margin {number(pair.margin)}" if pair.margin > 0
                  else "no lead either way")
        return (f"{pair.a} and {pair.b} score alike when fresh (difference {lead}, "
                f"{within}).")
    by = _by_margin(pair.margin)
    if pair.status == "crossed":
        ci = ci_text(pair.crossing_ci, pair.confidence_level, kind, max_age=pair.max_age,
                     like=pair.crossing_age)
        return (f"{pair.leader} beats {pair.other}{by} until age "
                f"{age(pair.crossing_age, kind)} ({ci}; lead {lead} when fresh).")
    up_to = age(pair.max_age, kind)
    if pair.status == "not_reached":
        return (f"{pair.leader} beats {pair.other}{by} at every evaluated age (up to "
                f"{up_to}), though its lead ({lead} when fresh) shrinks with age.")
    return (f"{pair.leader} beats {pair.other}{by} at every evaluated age (up to {up_to}); "
            f"its lead ({lead} when fresh) does not shrink significantly (p = "
            f"{pvalue(pair.curve.trend_pvalue)}).")


def cost_sentence(cmp: CandidateComparison) -> str:
    """The cost-optimal candidate and cadence, or ``""`` without costs."""
    best = cmp.cost_optimal
    if best is None:
        return ""
    row: dict[Any, Any] = cmp.costs.set_index("candidate").loc[best].to_dict()
    unit = "day" if cmp.time_kind == "datetime" else "time unit"
    every = ("retrained as often as possible (it costs nothing to retrain)"
             if row["cost_optimal_interval"] is None and row["retrain_cost"] == 0 else
             "not retrained within the evaluated ages" if row["cost_optimal_interval"]
             is None else f"retrained every {age(row['cost_optimal_interval'], cmp.time_kind)}")
    rate, ref = float(row["cost_rate"]), float(row["reference"])
    return (f"Cost-optimal: {best}, {every} (cost {number(rate)} per {unit}, "
            f"shortfall against the best baseline {number(ref)}).")


def comparison_sentence(cmp: CandidateComparison) -> str:
    """The verdict: each candidate's baseline and cadence, then who beats whom until
    what age (every candidate against the benchmark, or the leader), then the cost
    optimum.

    ``1y: baseline 0.81, retrain every 5.1 months; 6m: baseline 0.79, retrain every 3.2
    months. model beats heuristic until age 14 months (90% CI ...).``
    """
    clauses = [f"{n}: baseline {number(cmp.recommendations[n].baseline)}, "
               f"{cadence_clause(cmp.recommendations[n])}" for n in cmp.candidates]
    text = "; ".join(clauses) + "."
    for p in cmp.verdict_pairs():
        text += " " + pair_sentence(p)
    cost = cost_sentence(cmp)
    return text + (" " + cost if cost else "")


def comparison_title(cmp: CandidateComparison, kind: str,
                     pair: CandidatePair | None = None) -> str:
    """Plot titles: the candidates' curves, or one pair's difference."""
    if kind == "curves":
        return f"{metric_name(cmp.metric)} of {len(cmp.candidates)} candidates by model age"
    assert pair is not None
    first = pair.leader or pair.a
    second = pair.other or pair.b
    return f"{first} minus {second}: {metric_name(cmp.metric)} lead by model age"


def comparison_method(cmp: CandidateComparison) -> list[MethodItem]:
    """The report's method items for a comparison (what was run, in words)."""
    ev = next(iter(cmp.recommendations.values())).evaluation
    n_anchors = ev.n_anchors
    items = [MethodItem("Candidates", (
        f"{len(cmp.candidates)} candidates were trained at the same {n_anchors} "
        f"{'cutoff' if n_anchors == 1 else 'cutoffs'}, each on its own training window, "
        "and scored on the same evaluation windows: every window was scored by every "
        "candidate on the same rows."))]
    items.append(MethodItem("Paired differences", (
        "For each pair, the difference of the two scores on each window, with its "
        "standard error from the window's rows, paired (DeLong's covariance for ROC "
        "AUC, the SD of the per-row differences for mean losses and proportions, the "
        "delta method for RMSE and R2, a paired bootstrap otherwise): the noise the two "
        "candidates share cancels.")))
    items.append(MethodItem("Difference curve", (
        "The differences were fitted against model age as a degradation curve (one "
        "offset per anchor), oriented to the candidate ahead when fresh; it stops "
        "beating the other where the fitted lead falls to "
        f"{number(cmp.margin)} (the margin), with a {level(cmp.confidence_level)} "
        "confidence interval from the calendar-cluster bootstrap of the recommendation.")))
    if cmp.shortfall_cost is not None:
        items.append(MethodItem("Cost of history", (
            "Each candidate's long-run cost per unit time of retraining every T, "
            "(C + c * integral of its shortfall) / T, with the shortfall measured "
            "against the best candidate's baseline and C its retraining cost ("
            + ("proportional to its measured fit time" if (cmp.costs["cost_rule"] ==
                                                          "fit_time").any()
               else "as given") + "), was minimised over T; the cost-optimal candidate "
            "has the lowest optimum.")))
    return items


def collection_method(recs: RetrainRecommendations) -> list[MethodItem]:
    """What a report of several metrics and segments adds to the method: one fit per
    anchor for all of them, comparable intervals from shared draws, pooling."""
    ev = recs.evaluation
    names = word_list([metric_name(m) for m in ev.metrics])
    segs = [s for s in ev.segment_labels if s != "(all)"]
    items = []
    what = names if len(ev.metrics) > 1 else metric_name(ev.metrics[0])
    text = (f"Each anchor's model was fitted once and asked once for each prediction its "
            f"metrics need; {what} {'were' if len(ev.metrics) > 1 else 'was'} scored from "
            "those predictions.")
    if segs:
        cols = ", ".join(repr(c) for c in ev.segment_columns)
        text += (f" Every window was also scored on each of the {len(segs)} segments of "
                 f"{cols}, from the same predictions; a segment's window with fewer rows "
                 "than the minimum is left out of that segment's curve only.")
    items.append(MethodItem("Several metrics and segments", text))
    items.append(MethodItem("Comparable intervals", (
        "Every metric and segment has its own curve, threshold and interval. Their "
        "bootstraps give each calendar period the same weight in the same replicate, so "
        "the intervals are comparable and a difference of two crossing ages has a paired "
        "interval (the noise the two share cancels).")))
    if recs.pooling == "partial":
        items.append(MethodItem("Partial pooling", (
            "Each segment's curve shape was shrunk toward the whole population's by "
            "empirical Bayes: a segment keeps the weight tau2 / (tau2 + v) on its own shape, "
            "v the bootstrap variance of its drop at the oldest common age and tau2 the "
            "between-segment variance of that drop (Paule-Mandel), and gives the rest to "
            "the whole population's shape; its level, baseline and threshold stay its "
            "own. Small segments borrow most of their shape, large ones keep theirs.")))
    items.append(MethodItem("The cadence", (
        "The metric and segment with the shortest interval decide the cadence: retraining "
        "that often keeps every other one within its tolerance too, as far as the "
        "evaluated ages show.")))
    return items

