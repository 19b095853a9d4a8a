"""The policy backtest: what each retraining cadence would have delivered on history.

:func:`backtest_cadences` reads the anchor x window score matrix of an
:class:`~oot.OOTEvaluation` (model ``j`` scored on calendar period ``w``) and, for every
retraining cadence, replays which model would have been in service in each period and
what it scored. Nothing is refitted: the fits the evaluation made are shared by every
cadence. With costs it also finds the best retraining schedule in hindsight (the
oracle) by exact dynamic programming.

Definitions (see the user guide, "Concepts", and ``DESIGN.md``, "Policy backtest"):

* the periods are the evaluation's calendar windows (``window_start``); anchors must
  be a whole number ``m`` of windows apart, so that anchor ``j`` is first scored on
  period ``f_j = f_1 + m (j - 1)``; the **anchor step** is ``s = m`` windows;
* a **cadence** ``T = k s`` with **phase** ``p`` (``0 <= p < k``) retrains at ``c_1``
  and at every ``k``-th cutoff from ``c_{1+p}`` on; the model **in service** in period
  ``w`` is the latest retrained anchor ``j`` with ``f_j <= w`` (``c_j + gap <=
  start(w)``), and its score on ``w`` is the **realized score**;
* every schedule is judged on the same periods: from anchor 1's first window to the
  last period that every anchor in service then has scored (the end of the data, or
  anchor 1's horizon), less any period in which some schedule's model has no usable
  score;
* the **fresh** score of a period is the youngest anchor's score on it (the model of
  the "every step" schedule); the shortfall of a period is how far the realized score
  falls short of it (never negative);
* the **cost rate** of a schedule is ``(C * retrains + c * sum_w shortfall_w *
  length_w) / span``; the **oracle** minimises it over every subset of retrain
  cutoffs.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import oot._format as fmt
from oot._serialize import (
    frame_from_dict,
    frame_to_dict,
    load_document,
    reading,
    record_from_dict,
    record_to_dict,
    value_from_json,
    value_to_json,
)
from oot._time import NS_PER_DAY, TimeKind
from oot._validation import (
    Described,
    InvalidParameterError,
    caller,
    check_scalar,
    closest,
    entry_point,
    param_message,
)
from oot.degradation import fit_degradation
from oot.evaluate import OOTEvaluation
from oot.evaluate._indicators import indicator_direction
from oot.metrics import Metric
from oot.recommend._checks import check_tolerance_settings
from oot.windows import Length, parse_length

__all__ = ["backtest_cadences", "backtest_problem", "history_check", "CadenceBacktest",
           "CadenceOracle", "backtest_trigger", "TriggerBacktest", "MAX_TRIGGER_LEVELS"]

_SCHEMA = "oot.CadenceBacktest/1"
_DAYS_PER_YEAR = 365.25
_MIN_ANCHORS = 3


# ============================================================ the period grid
@dataclass(frozen=True, eq=False)
class _Matrix:
    """The evaluation's scores as anchor x period arrays over the backtest's span."""

    kind: TimeKind
    starts: np.ndarray        # period starts: int64 ns (UTC) or float units, (W,)
    start_values: pd.Index    # the same starts in the evaluation's dtype (W,)
    lengths: np.ndarray       # period lengths in days (datetime) or units, (W,)
    span_end: Any             # end of the last period, in the evaluation's dtype
    first: np.ndarray         # first period of each anchor (J,)
    anchor_ids: np.ndarray    # (J,)
    cutoffs: list[Any]        # (J,) cutoff of each anchor (NaT/NaN when unknown)
    score: np.ndarray         # (J, W), NaN where missing or unusable
    n: np.ndarray             # (J, W)
    se: np.ndarray            # (J, W)
    age: np.ndarray           # (J, W) in days (datetime) or units
    usable: np.ndarray        # (J, W) bool
    step_periods: int         # m: periods per anchor step
    period_fixed: float | None   # period length (ns or units) for a fixed grid
    period_months: int | None    # months per period for a calendar grid
    n_anchors_total: int      # anchors in the evaluation (some may lie past the span)
    # period ends as keys like ``starts`` (W,), and each scores row's cell
    # ``j * W + w`` of the matrices (-1 for rows outside them)
    ends: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    row_cell: np.ndarray = dataclasses.field(
        default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def n_anchors(self) -> int:
        return len(self.first)

    @property
    def n_periods(self) -> int:
        return len(self.starts)

    # the anchor step s = m periods
    @property
    def step_fixed(self) -> float | None:
        return None if self.period_fixed is None else self.step_periods * self.period_fixed

    @property
    def step_months(self) -> int | None:
        return None if self.period_months is None else self.step_periods * self.period_months


class _StructureError(InvalidParameterError):
    """The evaluation's structure does not allow a backtest; ``reason`` says why briefly."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


_Said = Described  # a description echoed as the 'Got ... instead' part, unquoted


def _as_keys(values: pd.Series, kind: TimeKind) -> np.ndarray:
    """Period starts as sortable numbers: int64 UTC nanoseconds, or floats."""
    if kind == "datetime":
        return np.asarray(pd.DatetimeIndex(values).as_unit("ns").asi8, dtype=np.int64)
    return np.asarray(pd.to_numeric(values), dtype=float)


def _first_values(values: Sequence[Any], n: int = 6) -> str:
    shown = [str(v) for v in list(values)[:n]]
    return ", ".join(shown) + (", ..." if len(values) > n else "")


def _grid_error(got: str, detail: str) -> InvalidParameterError:
    return _StructureError(param_message(
        "evaluation", None,
        "an evaluation whose anchors are a whole number of evaluation windows apart, so "
        "that every anchor is scored on the same calendar periods", _Said(got),
        detail + " Evaluate with anchor_step=None (anchors one eval_window apart, the "
        "default) or a multiple of eval_window."),
        "its anchors are not a whole number of evaluation windows apart")


def _read_matrix(ev: OOTEvaluation) -> _Matrix:
    """Check the evaluation's structure and lay its scores out as anchor x period."""
    s = ev.scores
    kind: TimeKind = ev.time_kind
    if "window_start" not in s.columns or s["window_start"].isna().any():
        missing = (len(s) if "window_start" not in s.columns
                   else int(s["window_start"].isna().sum()))
        raise _StructureError(param_message(
            "evaluation", None,
            "an evaluation whose scores have a window_start (the calendar period each "
            "window covers)", _Said(f"{missing} of {len(s)} windows without one"),
            "Evaluate with oot.evaluate_out_of_time or oot.evaluate_predictions, or add "
            "window_start (and window_end) columns to the frame given to "
            "OOTEvaluation.from_frame."), "its windows have no calendar start")
    n_anchors_total = int(s["anchor"].nunique())
    if n_anchors_total < _MIN_ANCHORS:
        raise _StructureError(param_message(
            "evaluation", None, f"an evaluation with at least {_MIN_ANCHORS} anchors (a "
            "backtest compares retraining at different cutoffs)",
            _Said(f"{n_anchors_total} anchor{'s' if n_anchors_total != 1 else ''}"),
            "Ask for more when you evaluate, e.g. anchors=24 with the default anchor_step "
            "(one eval_window apart)."),
            f"the evaluation has {n_anchors_total} anchor"
            f"{'s' if n_anchors_total != 1 else ''}; a backtest needs at least "
            f"{_MIN_ANCHORS} (e.g. anchors=24)")
    keys = _as_keys(s["window_start"], kind)
    uniq, inv = np.unique(keys, return_inverse=True)
    # -- the period grid: consecutive starts one period apart
    start_vals = pd.Index(s["window_start"].iloc[np.unique(inv, return_index=True)[1]])
    period_fixed: float | None = None
    period_months: int | None = None
    if len(uniq) < 2:
        got = f"windows starting at {_first_values(start_vals)}"
        raise _grid_error(got, "All windows start at the same time.")
    if kind == "datetime":
        dti = pd.DatetimeIndex(start_vals)
        at_midnight = bool(np.all((dti - dti.normalize()) == pd.Timedelta(0)))
        months = (dti.year * 12 + dti.month).to_numpy()
        dm = np.diff(months)
        if at_midnight and bool(np.all(dti.is_month_start)) and len(set(dm.tolist())) == 1:
            period_months = int(dm[0])
        else:
            d = np.diff(uniq)
            if not np.all(d == d[0]):
                got = f"windows starting at {_first_values(start_vals)}"
                raise _grid_error(
                    got,
                    "Their starts are not evenly spaced: anchors that are not a whole "
                    "number of windows apart give overlapping windows.")
            period_fixed = float(d[0])
    else:
        d = np.diff(uniq)
        if not np.allclose(d, d[0], rtol=1e-9, atol=0.0):
            got = f"windows starting at {_first_values(start_vals)}"
            raise _grid_error(
                got,
                "Their starts are not evenly spaced: anchors that are not a whole number "
                "of windows apart give overlapping windows.")
        period_fixed = float(d[0])
    # -- anchors: first period of each, evenly spaced
    anc = s["anchor"].to_numpy()
    a_ids, a_inv = np.unique(anc, return_inverse=True)
    first = np.full(len(a_ids), np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(len(a_ids), -1, dtype=np.int64)
    np.minimum.at(first, a_inv, inv)
    # a window cut short by the anchor's horizon (partial, but not the data's last
    # period) does not cover its period as the other anchors' windows do
    cut_short = np.zeros(len(s), dtype=bool)
    if "partial" in s.columns:
        cut_short = s["partial"].to_numpy(dtype=bool) & (inv != len(uniq) - 1)
    np.maximum.at(last, a_inv[~cut_short], inv[~cut_short])
    order = np.argsort(first, kind="stable")
    a_ids, first, last = a_ids[order], first[order], last[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    a_pos = rank[a_inv]                     # row -> anchor position in first-period order
    df = np.diff(first)
    if np.any(df <= 0) or not np.all(df == df[0]):
        raise _grid_error(
            "anchors first scored " + _first_values(
                [("on the first period" if f == 0 else
                  f"{int(f)} period{'s' if f != 1 else ''} after the first")
                 for f in first - first[0]]),
            "Anchors must start one after the other, a whole number of windows apart.")
    m = int(df[0])
    # -- the span: periods every anchor in service has scored
    end = int(last[0])
    while True:
        inside = first <= end
        new_end = int(last[inside].min())
        if new_end == end:
            break
        end = new_end
    used = first <= end
    # -- period ends (from window_end where given, else the next period's start)
    nxt = _next_starts(uniq, start_vals, kind, period_fixed, period_months)
    ends_all = nxt.copy()
    if "window_end" in s.columns:
        we = s["window_end"]
        ok_end = we.notna().to_numpy()
        if ok_end.any():
            ek = _as_keys(we[ok_end], kind)
            if kind == "datetime":
                end_ns = np.full(len(uniq), np.iinfo(np.int64).min, dtype=np.int64)
                np.maximum.at(end_ns, inv[ok_end], ek)
                ends_all = np.where(end_ns == np.iinfo(np.int64).min, nxt, end_ns)
            else:
                gotf = np.full(len(uniq), -np.inf)
                np.maximum.at(gotf, inv[ok_end], ek)
                ends_all = np.where(np.isfinite(gotf), gotf, nxt)
    inner = np.arange(len(uniq) - 1)
    bad = ends_all[inner] != uniq[1:]
    if kind == "numeric":
        bad = ~np.isclose(ends_all[inner], uniq[1:], rtol=1e-9, atol=0.0)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        got = (f"a window from {start_vals[i]} ending at "
               f"{_stamp(ends_all[i], kind, start_vals)} while the next period starts at "
               f"{start_vals[i + 1]}")
        raise _grid_error(got, "Windows must be consecutive calendar periods.")
    W = end + 1
    starts = uniq[:W]
    span_ends = ends_all[:W]
    if kind == "datetime":
        lengths = (span_ends - starts).astype(float) / NS_PER_DAY
    else:
        lengths = (span_ends - starts).astype(float)
    # -- the matrices
    J = int(used.sum())
    keep = (a_pos < J) & (inv < W) & ~cut_short
    rows = a_pos[keep]
    cols = inv[keep]
    flat = rows * W + cols
    if len(np.unique(flat)) != len(flat):
        dup = pd.Series(flat).duplicated().to_numpy()
        r = int(np.flatnonzero(keep)[np.flatnonzero(dup)[0]])
        raise _StructureError(param_message(
            "evaluation", None, "an evaluation with one row per anchor and calendar period",
            _Said(f"two rows for anchor {anc[r]} and the period starting "
                  f"{s['window_start'].iloc[r]}"),
            "Drop the duplicated rows."), "an anchor has two rows for one period")

    def mat(values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        out = np.full((J, W), fill, dtype=float)
        out[rows, cols] = values[keep]
        return out

    row_cell = np.full(len(s), -1, dtype=np.int64)
    row_cell[keep] = flat

    score = mat(s["score"].to_numpy(dtype=float))
    usable = np.zeros((J, W), dtype=bool)
    ok = (s["status"].to_numpy() == "ok") & np.isfinite(s["score"].to_numpy(dtype=float))
    usable[rows, cols] = ok[keep]
    score = np.where(usable, score, np.nan)
    ages = (np.asarray(pd.to_timedelta(s["age"]).to_numpy().astype("timedelta64[ns]")
                       .astype(np.int64), dtype=float) / NS_PER_DAY
            if kind == "datetime" else s["age"].to_numpy(dtype=float))
    if kind == "datetime":
        ages = np.where(s["age"].isna().to_numpy(), np.nan, ages)
    cut_col = s["cutoff"] if "cutoff" in s.columns else None
    cutoffs: list[Any] = []
    for j in range(J):
        pick = np.flatnonzero(a_pos == j)
        cutoffs.append(cut_col.iloc[int(pick[0])] if cut_col is not None else (
            pd.NaT if kind == "datetime" else np.nan))
    return _Matrix(
        kind=kind, starts=starts, start_values=start_vals[:W], lengths=lengths,
        span_end=_stamp(span_ends[-1], kind, start_vals), first=first[:J],
        anchor_ids=a_ids[:J], cutoffs=cutoffs, score=score,
        n=mat(s["n"].to_numpy(dtype=float), 0.0), se=mat(s["se"].to_numpy(dtype=float)),
        age=mat(ages), usable=usable, step_periods=m, period_fixed=period_fixed,
        period_months=period_months, n_anchors_total=n_anchors_total,
        ends=np.asarray(span_ends), row_cell=row_cell)


def _next_starts(uniq: np.ndarray, start_vals: pd.Index, kind: TimeKind,
                 period_fixed: float | None, period_months: int | None) -> np.ndarray:
    """The start of the period after each one (the last: one period further)."""
    nxt = np.empty_like(uniq)
    nxt[:-1] = uniq[1:]
    if period_months is not None:
        last_ts = pd.DatetimeIndex(start_vals[-1:])
        nxt[-1] = (last_ts + pd.DateOffset(months=period_months)).as_unit("ns").asi8[0]
    else:
        assert period_fixed is not None
        nxt[-1] = uniq[-1] + (np.int64(period_fixed) if kind == "datetime" else period_fixed)
    return nxt


def _stamp(key: Any, kind: TimeKind, like: pd.Index) -> Any:
    """A period key back in the evaluation's dtype (a Timestamp in its zone, or a float)."""
    if kind == "numeric":
        return float(key)
    ts = pd.Timestamp(int(key), unit="ns", tz="UTC")
    tz = getattr(like, "tz", None)
    return ts.tz_convert(tz) if tz is not None else ts.tz_convert(None)


def backtest_problem(evaluation: OOTEvaluation) -> str | None:
    """Why ``evaluation`` cannot be backtested, in a few words; None when it can.

    The checks :func:`backtest_cadences` makes of the evaluation's structure (window
    starts, at least 3 anchors a whole number of windows apart), for callers that show
    the backtest only when there is one to show (the recommendation's summary, the
    report).

    Examples
    --------
    >>> import oot
    >>> from oot.backtest import backtest_problem
    >>> ev = oot.datasets.make_degradation_scores(n_anchors=2, random_state=0)
    >>> backtest_problem(ev.to_evaluation())
    'the evaluation has 2 anchors; a backtest needs at least 3 (e.g. anchors=24)'
    >>> ev = oot.datasets.make_degradation_scores(n_anchors=6, random_state=0)
    >>> backtest_problem(ev.to_evaluation()) is None
    True
    """
    try:
        mx = _read_matrix(evaluation)
    except _StructureError as exc:
        return exc.reason
    widx = np.arange(mx.n_periods)
    avail = np.searchsorted(mx.first, widx, side="right") - 1
    if not np.any(mx.usable[avail, widx] & mx.usable[0]):
        return "no period has a usable score for every schedule"
    return None


def history_check(
    evaluation: OOTEvaluation,
    *,
    tolerance: float,
    tolerance_type: str,
    baseline: float,
    reference: str,
    recommended_interval: Any,
    target_share: float = 0.9,
) -> str:
    """Whether history agrees with a recommendation, in one sentence (or why it cannot
    be checked): the sentence of a backtest of every cadence, without its per-period
    frames (:attr:`RetrainRecommendation.summary` and the report use it).

    Examples
    --------
    >>> import oot
    >>> from oot.backtest import history_check
    >>> ev = oot.datasets.make_degradation_scores(n_anchors=12, n_windows=12,
    ...                                           random_state=0).to_evaluation()
    >>> print(history_check(ev, tolerance=0.05, tolerance_type="relative",
    ...                     baseline=0.8, reference="baseline",
    ...                     recommended_interval="never"))  # doctest: +ELLIPSIS
    Never retraining (the recommendation, no degradation detected) kept ROC AUC within
    5% of its baseline 0.8 in 3 of 12 30-day periods. History suggests retraining more
    often: every 120 days kept it in 11.2 of 12 30-day periods on average over its 4
    phases (11 to 12).
    """
    problem = backtest_problem(evaluation)
    if problem is not None:
        return fmt.history_not_checked(problem)
    bt = _backtest(
        evaluation, None, tolerance=tolerance, tolerance_type=tolerance_type,
        baseline=baseline, curve="auto", reference=reference, retrain_cost=None,
        shortfall_cost=None, phases="all", target_share=target_share,
        recommended_interval=recommended_interval, realized=False)
    return bt.recommendation_sentence()


# ============================================================ cadences and their names
@dataclass(frozen=True)
class _Step:
    """The anchor step and how to name multiples of it."""

    kind: TimeKind
    fixed: float | None      # ns (datetime) or units
    months: int | None

    def label(self, k: int) -> str:
        """'3 months', '60 days', '2 weeks', '1 year', or a number for numeric time."""
        return fmt.cadence_name(k, months=self.months, fixed=self.fixed,
                                time_kind=self.kind)

    def spelling(self, k: int) -> str:
        """How to ask for ``k`` steps: 'MS', '3MS', '60D', '2.5'."""
        if self.kind == "numeric":
            assert self.fixed is not None
            return f"{k * self.fixed:g}"
        if self.months is not None:
            mo = k * self.months
            return "MS" if mo == 1 else f"{mo}MS"
        assert self.fixed is not None
        days = k * self.fixed / NS_PER_DAY
        if days == int(days):
            return f"{int(days)}D"
        return str(pd.Timedelta(int(k * self.fixed), unit="ns"))

    def noun(self) -> str:
        """The period's name for sentences: 'months', 'weeks', '30-day periods'."""
        return fmt.period_noun(months=self.months, fixed=self.fixed, time_kind=self.kind)

    def as_length(self, k: int) -> Any:
        """``k`` steps as a length (Timedelta, DateOffset or number) for arithmetic."""
        if self.kind == "numeric":
            assert self.fixed is not None
            return k * self.fixed
        if self.months is not None:
            return pd.DateOffset(months=k * self.months)
        assert self.fixed is not None
        return pd.Timedelta(int(k * self.fixed), unit="ns")


def _period_step(mx: _Matrix) -> _Step:
    return _Step(mx.kind, mx.period_fixed, mx.period_months)


def _anchor_step(mx: _Matrix) -> _Step:
    return _Step(mx.kind, mx.step_fixed, mx.step_months)


def _offset_months(off: pd.DateOffset) -> int | None:
    """Whole months of a calendar offset (MS, 3MS, QS, YS, DateOffset(months=4)), or None."""
    name = type(off).__name__
    n = int(getattr(off, "n", 1))
    if name in ("MonthBegin", "MonthEnd"):
        return n
    if name in ("QuarterBegin", "QuarterEnd"):
        return 3 * n
    if name in ("YearBegin", "YearEnd"):
        return 12 * n
    if name == "DateOffset":
        kw = dict(getattr(off, "kwds", {}))
        if kw and set(kw) <= {"months", "years"}:
            return n * (int(kw.get("years", 0)) * 12 + int(kw.get("months", 0)))
    return None


def _offset_ns(off: pd.DateOffset) -> float | None:
    """A calendar offset of fixed length (weeks, DateOffset(days=30)) in ns, or None."""
    name = type(off).__name__
    n = int(getattr(off, "n", 1))
    if name == "Week":
        return float(n * 7 * NS_PER_DAY)
    if name == "DateOffset":
        kw = dict(getattr(off, "kwds", {}))
        allowed = {"weeks", "days", "hours", "minutes", "seconds"}
        if kw and set(kw) <= allowed:
            ns = {"weeks": 7 * NS_PER_DAY, "days": NS_PER_DAY, "hours": NS_PER_DAY / 24,
                  "minutes": NS_PER_DAY / 1440, "seconds": 1e9}
            return float(n * sum(float(v) * ns[unit] for unit, v in kw.items()))
    return None


def _steps_of(value: Any, step: _Step, max_steps: int) -> int:
    """The number of anchor steps a cadence spans, or the standard error."""
    func = caller()
    length: Length | None = parse_length(value, "cadences", func, step.kind)
    assert length is not None
    k: int | None = None
    if step.months is not None:
        mo = _offset_months(length.offset) if length.offset is not None else None
        if mo is not None and mo % step.months == 0:
            k = mo // step.months
    else:
        assert step.fixed is not None
        v = length.fixed
        if v is None and length.offset is not None:
            v = _offset_ns(length.offset)
        if v is not None:
            ratio = v / step.fixed
            r = round(ratio)
            if r >= 1 and abs(ratio - r) <= 1e-9 * max(1.0, ratio):
                k = int(r)
    if k is None or not 1 <= k <= max_steps:
        raise InvalidParameterError(param_message(
            "cadences", func,
            f"lengths that are whole multiples of the anchor step ({step.label(1)}), from "
            f"1 to {max_steps} steps", value, _possible(step, max_steps)
            + ("" if k is None else f" {k} steps is longer than the {max_steps + 1} "
               "anchors allow: it would never retrain within the data.")))
    return k


def _possible(step: _Step, max_steps: int) -> str:
    ks = list(range(1, max_steps + 1))
    shown = ks if len(ks) <= 6 else [*ks[:4], None, ks[-1]]
    parts = ["..." if k is None else f"{step.spelling(k)!r} ({step.label(k)})"
             for k in shown]
    return f"Possible cadences: {', '.join(parts)}."


def _interval_steps(interval: Any, step: _Step, mx: _Matrix) -> int | None:
    """An interval (an age) rounded down to whole anchor steps (None for None)."""
    if interval is None or (not isinstance(interval, pd.Timedelta) and pd.isna(interval)):
        return None
    if step.kind == "numeric":
        assert step.fixed is not None
        return math.floor(float(interval) / step.fixed + 1e-9)
    td = pd.Timedelta(interval)
    if step.months is not None:
        t0 = pd.Timestamp(mx.start_values[0])
        k = 0
        while t0 + pd.DateOffset(months=(k + 1) * step.months) <= t0 + td:
            k += 1
        return k
    assert step.fixed is not None
    return math.floor(td.value / step.fixed + 1e-9)


# ============================================================ the oracle
@dataclass(frozen=True, eq=False)
class CadenceOracle:
    """The cheapest retraining schedule in hindsight (:attr:`CadenceBacktest.oracle`).

    Found by exact dynamic programming over the anchors' cutoffs (state: the anchor in
    service; at each cutoff, keep it or retrain), on the same periods and with the same
    costs as the fixed cadences.

    Attributes
    ----------
    schedule : tuple
        The cutoffs at which the oracle retrains, after the first model (trained at the
        first cutoff, as in every schedule). Timestamps, or numbers for numeric time.
    anchors : tuple of int
        The anchors put in service, in order (the first anchor first).
    n_retrains : int
        ``len(schedule)``.
    retrains_per_year : float
        Retrains per year (per unit of numeric time) over the backtest's span.
    cost_rate : float
        Cost per day (per unit of numeric time): ``(C * n_retrains + c * sum_w
        shortfall_w * length_w) / span``.
    total_cost : float
        ``cost_rate * span``.
    mean_score : float
        Realized score averaged over the judged periods.
    within_tolerance, within_fresh : float
        Share of the judged periods within tolerance of the baseline, and of the fresh
        score.
    realized : pandas.DataFrame
        One row per judged period: ``period``, ``anchor``, ``age``, ``n``, ``score``,
        ``se``, ``retrained``.
    """

    schedule: tuple[Any, ...]
    anchors: tuple[int, ...]
    n_retrains: int
    retrains_per_year: float
    cost_rate: float
    total_cost: float
    mean_score: float
    within_tolerance: float
    within_fresh: float
    realized: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly."""
        return {
            "schedule": value_to_json(list(self.schedule)),
            "anchors": [int(a) for a in self.anchors],
            "n_retrains": int(self.n_retrains),
            "retrains_per_year": value_to_json(self.retrains_per_year),
            "cost_rate": value_to_json(self.cost_rate),
            "total_cost": value_to_json(self.total_cost),
            "mean_score": value_to_json(self.mean_score),
            "within_tolerance": value_to_json(self.within_tolerance),
            "within_fresh": value_to_json(self.within_fresh),
            "realized": frame_to_dict(self.realized),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CadenceOracle:
        """Rebuild the oracle from :meth:`to_dict` output."""
        return cls(
            schedule=tuple(value_from_json(d["schedule"])),
            anchors=tuple(int(a) for a in d["anchors"]),
            n_retrains=int(d["n_retrains"]),
            retrains_per_year=value_from_json(d["retrains_per_year"]),
            cost_rate=value_from_json(d["cost_rate"]),
            total_cost=value_from_json(d["total_cost"]),
            mean_score=value_from_json(d["mean_score"]),
            within_tolerance=value_from_json(d["within_tolerance"]),
            within_fresh=value_from_json(d["within_fresh"]),
            realized=frame_from_dict(d["realized"]),
        )

    def __repr__(self) -> str:
        return (f"CadenceOracle(n_retrains={self.n_retrains}, "
                f"cost_rate={self.cost_rate:.6g}, anchors={self.anchors!r})")


def _oracle_schedule(cell: np.ndarray, bad: np.ndarray, first: np.ndarray,
                     retrain_cost: float) -> tuple[list[int], float]:
    """Exact minimum-cost schedule: ``O(J^2)`` after ``O(J W)`` prefix sums.

    ``cell[i, w]`` is the cost of anchor ``i`` serving period ``w`` (0 outside the
    judged periods), ``bad[i, w]`` marks cells it cannot serve (no usable score on a
    judged period). Anchor ``i`` serves from period ``first[i]`` until the next retrain.
    Returns the anchors in service (0 first) and the total cost (retrains included).
    """
    J, W = cell.shape
    cum = np.concatenate([np.zeros((J, 1)), np.cumsum(cell, axis=1)], axis=1)
    cbad = np.concatenate([np.zeros((J, 1), dtype=np.int64),
                           np.cumsum(bad, axis=1, dtype=np.int64)], axis=1)
    best = np.full(J, np.inf)
    nxt = np.full(J, -1, dtype=np.int64)
    for i in range(J - 1, -1, -1):
        lo = int(first[i])
        # keep anchor i to the end
        keep = cum[i, W] - cum[i, lo] if cbad[i, W] - cbad[i, lo] == 0 else np.inf
        cand = np.inf
        arg = -1
        if i + 1 < J:
            later = np.arange(i + 1, J)
            hi = first[later]                       # anchor i serves [lo, hi)
            seg = cum[i, hi] - cum[i, lo]
            feasible = (cbad[i, hi] - cbad[i, lo]) == 0
            tot = np.where(feasible, seg + retrain_cost + best[later], np.inf)
            a = int(np.argmin(tot))
            cand, arg = float(tot[a]), int(later[a])
        if keep <= cand:
            best[i] = keep
        else:
            best[i], nxt[i] = cand, arg
    chain = [0]
    while nxt[chain[-1]] >= 0:
        chain.append(int(nxt[chain[-1]]))
    return chain, float(best[0])


# ============================================================ the result
@dataclass(frozen=True, eq=False)
class CadenceBacktest:
    """What each retraining cadence would have delivered on history: the result of
    :func:`oot.backtest_cadences`.

    Attributes
    ----------
    realized : pandas.DataFrame
        Tidy, one row per cadence x phase x judged period: ``cadence`` (its name, e.g.
        "3 months", or "never"), ``steps`` (the cadence in anchor steps; 0 for never
        retrain), ``phase``, ``period`` (the period's start), ``anchor`` (the model in
        service), ``age`` (its age on that period), ``n`` (rows), ``score``, ``se`` and
        ``retrained`` (a new model went into service at the start of the period).
    by_phase : pandas.DataFrame
        One row per cadence x phase with the figures :meth:`summary` averages.
    periods : pandas.DataFrame
        One row per period of the backtest's span: ``period``, ``end``, ``length`` (days,
        or time units), ``fresh_anchor``, ``fresh_score`` and ``judged`` (False where
        some schedule's model had no usable score; such periods count for no schedule).
    oracle : CadenceOracle or None
        The cheapest schedule in hindsight; None without costs.
    metric : Metric
    time_kind : {"datetime", "numeric"}
    step : str
        The anchor step, e.g. "1 month": cadences are whole multiples of it.
    step_spelling : str
        How to ask for one step (``"MS"``, ``"30D"``, or a number).
    periods_per_step : int
        Evaluation windows per anchor step (1 when anchors are one window apart).
    n_anchors : int
        Anchors whose models can be in service in the backtest's span.
    n_anchors_evaluated : int
        Anchors in the evaluation (the later ones start after the span when each anchor
        is scored only up to a horizon).
    n_periods_excluded : int
        Periods of the span left out because some schedule's model had no usable score.
    tolerance, tolerance_type, baseline, baseline_mode, threshold, reference
        The tolerance, the baseline it is measured from and how it was obtained
        ("curve", "first_window" or "value"), the threshold ``baseline -/+ tolerance``,
        and which share the sentence and the chart use: "baseline" (``within_tolerance``)
        or "fresh" (``within_fresh``).
    target_share : float
        Share of periods within tolerance a cadence must reach to count as keeping the
        metric within tolerance (the longest such cadence is the best one without costs).
    retrain_cost, shortfall_cost : float or None
    recommended_steps : int or None
        The recommendation's cadence in anchor steps (its interval rounded down; 0 for
        never retraining), when one was given.
    recommended_interval : Timedelta, float or None
        The interval that was rounded down.
    span_start, span_end
        Start of the first and end of the last period of the backtest.
    """

    summary_table: pd.DataFrame
    by_phase: pd.DataFrame
    realized: pd.DataFrame
    periods: pd.DataFrame
    oracle: CadenceOracle | None
    metric: Metric
    time_kind: TimeKind
    step: str
    n_anchors: int
    tolerance: float
    tolerance_type: str
    baseline: float
    baseline_mode: str
    threshold: float
    reference: str = "baseline"
    target_share: float = 0.9
    retrain_cost: float | None = None
    shortfall_cost: float | None = None
    recommended_steps: int | None = None
    recommended_interval: Any = None
    recommended_note: str = ""
    span_start: Any = None
    span_end: Any = None
    period_noun: str = "periods"
    step_spelling: str = ""
    periods_per_step: int = 1
    n_anchors_evaluated: int = 0
    n_periods_excluded: int = 0

    # ------------------------------------------------------------------ access
    @property
    def rate_column(self) -> str:
        """``"retrains_per_year"`` (datetime time) or ``"retrains_per_unit"`` (numeric)."""
        return "retrains_per_year" if self.time_kind == "datetime" else "retrains_per_unit"

    @property
    def share_column(self) -> str:
        """The share the sentence uses: ``"within_tolerance"`` or ``"within_fresh"``."""
        return "within_fresh" if self.reference == "fresh" else "within_tolerance"

    @property
    def n_periods(self) -> int:
        """Number of judged periods."""
        return int(self.periods["judged"].sum())

    @property
    def best_cadence(self) -> str | None:
        """The best fixed cadence's name: cheapest with costs, else the longest that kept
        the metric within tolerance in at least ``target_share`` of the periods."""
        t = self.summary_table
        hit = t.loc[t["best"]]
        return None if hit.empty else str(hit["cadence"].iloc[0])

    def summary(self) -> pd.DataFrame:
        """One row per cadence (never retrain last), averaged over phases.

        Columns: ``cadence``, ``steps``, ``n_phases``, ``mean_score`` (mean over
        periods), ``mean_score_weighted`` (row-weighted), ``mean_score_min`` /
        ``mean_score_max`` (the spread over phases), ``worst_score``, ``mean_age``,
        ``within_tolerance`` (share of periods within tolerance of the baseline),
        ``within_tolerance_min`` / ``_max``, ``within_fresh`` (of the fresh score),
        ``n_retrains``, ``retrains_per_year`` (``retrains_per_unit`` for numeric time);
        with costs ``cost_rate``, ``cost_rate_min`` / ``_max`` and ``regret`` (cost rate
        minus the oracle's); ``best`` and ``recommended`` flags.
        """
        return self.summary_table.copy()

    # ------------------------------------------------------------------ text
    def _row(self, steps: int) -> pd.Series:
        t = self.summary_table
        return t.loc[t["steps"] == steps].iloc[0]

    @property
    def longest_within_target(self) -> int | None:
        """The longest fixed cadence (in steps) whose share of periods within tolerance
        (``share_column``) reached ``target_share``; None when none did."""
        t = self.summary_table
        ok = t.loc[(t[self.share_column] >= self.target_share) & (t["steps"] > 0)]
        return None if ok.empty else int(ok["steps"].max())

    def verdict(self) -> str | None:
        """Whether history agrees with the recommendation (None without one).

        ``"agrees"``: the recommended cadence kept the metric within tolerance in at
        least ``target_share`` of the periods; ``"retrain_more_often"``: it did not, but
        a shorter cadence did; ``"inconclusive"``: not even retraining every step did
        (the tolerance is within the period-to-period scatter).
        """
        if self.recommended_steps is None:
            return None
        col = self.share_column
        share = float(self._row(self.recommended_steps)[col])
        if share >= self.target_share:
            return "agrees"
        if float(self._row(1)[col]) >= self.target_share:
            return "retrain_more_often"
        return "inconclusive"

    def recommendation_sentence(self) -> str:
        """One sentence: did the recommended cadence keep the metric within tolerance?
        ('' without a recommendation)."""
        return fmt.backtest_check_sentence(self)

    def __str__(self) -> str:
        return fmt.backtest_sentence(self)

    def __repr__(self) -> str:
        return (f"CadenceBacktest(metric={self.metric.name!r}, step={self.step!r}, "
                f"cadences={int((self.summary_table['steps'] > 0).sum())}, "
                f"periods={self.n_periods}, oracle={self.oracle is not None})")

    def plot(self, kind: str = "tradeoff", ax: Any = None, **kwargs: Any) -> Any:
        """Plot the backtest: the trade-off chart, or the realized scores over time.

        Delegates to :meth:`oot.plotting.BacktestDisplay.from_backtest` and returns the
        display (``.ax_``, ``.figure_``).

        Parameters
        ----------
        kind : {"tradeoff", "realized"}, default="tradeoff"
            "tradeoff": cost rate (or share within tolerance) against cadence, with the
            oracle, the best fixed cadence and the recommendation marked; "realized":
            the realized score over calendar time for a few cadences.
        ax : matplotlib Axes, default=None
        **kwargs
            Passed to :meth:`~oot.plotting.BacktestDisplay.from_backtest`.
        """
        from oot.plotting import BacktestDisplay

        return BacktestDisplay.from_backtest(self, kind=kind, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        head = html.escape(str(self))
        cols = [c for c in ("cadence", "mean_score", "worst_score", "within_tolerance",
                            "within_fresh", self.rate_column, "cost_rate", "regret",
                            "best", "recommended") if c in self.summary_table.columns]
        table = self.summary_table[cols].to_html(
            index=False, float_format=lambda v: f"{v:.4g}", border=0)
        return f"<div class='oot-backtest'><p><b>{head}</b></p>{table}</div>"

    # ------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly."""
        return {
            "schema": _SCHEMA,
            "summary": frame_to_dict(self.summary_table),
            "by_phase": frame_to_dict(self.by_phase),
            "realized": frame_to_dict(self.realized),
            "periods": frame_to_dict(self.periods),
            "oracle": None if self.oracle is None else self.oracle.to_dict(),
            "metric": self.metric.to_dict(),
            "time_kind": self.time_kind,
            "step": self.step,
            "n_anchors": int(self.n_anchors),
            "tolerance": value_to_json(self.tolerance),
            "tolerance_type": self.tolerance_type,
            "baseline": value_to_json(self.baseline),
            "baseline_mode": self.baseline_mode,
            "threshold": value_to_json(self.threshold),
            "reference": self.reference,
            "target_share": value_to_json(self.target_share),
            "retrain_cost": value_to_json(self.retrain_cost),
            "shortfall_cost": value_to_json(self.shortfall_cost),
            "recommended_steps": self.recommended_steps,
            "recommended_interval": value_to_json(self.recommended_interval),
            "recommended_note": self.recommended_note,
            "span_start": value_to_json(self.span_start),
            "span_end": value_to_json(self.span_end),
            "period_noun": self.period_noun,
            "step_spelling": self.step_spelling,
            "periods_per_step": int(self.periods_per_step),
            "n_anchors_evaluated": int(self.n_anchors_evaluated),
            "n_periods_excluded": int(self.n_periods_excluded),
            "sentence": str(self),
        }

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (no NaN tokens); :meth:`from_json` round-trips it exactly."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CadenceBacktest:
        """Rebuild a backtest from :meth:`to_dict` output."""
        name = "CadenceBacktest"
        if not isinstance(d, dict) or d.get("schema") != _SCHEMA:
            got = d.get("schema") if isinstance(d, dict) else type(d).__name__
            msg = (f"The 'text' parameter of {name}.from_json must be a document written by "
                   f"{name}.to_json (schema {_SCHEMA!r}). Got schema {got!r} instead.")
            raise InvalidParameterError(msg)
        with reading(name):  # any malformed document: InvalidParameterError
            oracle = d["oracle"]
            return cls(
                summary_table=frame_from_dict(d["summary"]),
                by_phase=frame_from_dict(d["by_phase"]),
                realized=frame_from_dict(d["realized"]),
                periods=frame_from_dict(d["periods"]),
                oracle=None if oracle is None else CadenceOracle.from_dict(oracle),
                metric=Metric.from_dict(d["metric"]),
                time_kind=d["time_kind"],
                step=d["step"],
                n_anchors=int(d["n_anchors"]),
                tolerance=value_from_json(d["tolerance"]),
                tolerance_type=d["tolerance_type"],
                baseline=value_from_json(d["baseline"]),
                baseline_mode=d["baseline_mode"],
                threshold=value_from_json(d["threshold"]),
                reference=d["reference"],
                target_share=value_from_json(d["target_share"]),
                retrain_cost=value_from_json(d["retrain_cost"]),
                shortfall_cost=value_from_json(d["shortfall_cost"]),
                recommended_steps=d["recommended_steps"],
                recommended_interval=value_from_json(d["recommended_interval"]),
                recommended_note=d["recommended_note"],
                span_start=value_from_json(d["span_start"]),
                span_end=value_from_json(d["span_end"]),
                period_noun=d["period_noun"],
                step_spelling=d["step_spelling"],
                periods_per_step=int(d["periods_per_step"]),
                n_anchors_evaluated=int(d["n_anchors_evaluated"]),
                n_periods_excluded=int(d["n_periods_excluded"]),
            )

    @classmethod
    def from_json(cls, text: str | bytes) -> CadenceBacktest:
        """Rebuild a backtest from :meth:`to_json` output (exact round trip)."""
        return cls.from_dict(load_document(text, "CadenceBacktest"))


# ============================================================ the public function
def _check_cost(value: Any, name: str) -> float | None:
    if value is None:
        return None
    check_scalar(value, name, caller(), low=0,
                 fix="Costs are amounts to pay, so they cannot be negative."
                 if isinstance(value, numbers.Real) and not isinstance(value, bool)
                 and value < 0 else None)
    return float(value)


@entry_point("backtest_cadences")
def backtest_cadences(
    evaluation: OOTEvaluation,
    cadences: Any = None,
    *,
    tolerance: float = 0.05,
    tolerance_type: str = "relative",
    baseline: str | float = "curve",
    curve: str = "auto",
    reference: str = "baseline",
    retrain_cost: float | None = None,
    shortfall_cost: float | None = None,
    phases: str | int = "all",
    target_share: float = 0.9,
    recommended_interval: Any = None,
) -> CadenceBacktest:
    """Backtest retraining cadences on history: what each would have delivered and cost.

    For every cadence (a whole multiple of the anchor step) and every phase, replay which
    model would have been in service in each calendar period and read its score from the
    evaluation's anchor x window matrix. No model is fitted: a backtest of every cadence
    costs a few milliseconds, against one fit per retrain and cadence for a loop that
    refits.

    Parameters
    ----------
    evaluation : OOTEvaluation
        An evaluation with at least 3 anchors a whole number of evaluation windows apart
        (``anchor_step=None``, the default, puts them one window apart), whose scores
        have window starts: :func:`oot.evaluate_out_of_time` or
        :func:`oot.evaluate_predictions` with several cutoffs.
    cadences : length or list of lengths, default=None
        Cadences to backtest: ``"30D"``, ``"QS"``, ``"2MS"``, a ``pandas.DateOffset``, or
        numbers for numeric time, each a whole multiple of the anchor step. None: every
        multiple the anchors allow (1 to ``n_anchors - 1`` steps). Retraining every step
        and never retraining are always included.
    tolerance : float, default=0.05
        How far the metric may fall (or rise, for a loss): a fraction for
        ``tolerance_type="relative"`` (in (0, 1)), or metric units for ``"absolute"``.
    tolerance_type : {"relative", "absolute"}, default="relative"
    baseline : {"curve", "first_window"} or float, default="curve"
        The level the tolerance is measured from for ``within_tolerance``: the fitted
        degradation curve at age 0, the mean first-window score (both from
        :func:`oot.fit_degradation`, a fit of a curve to the scores, not of any model),
        or a number.
    curve : str, default="auto"
        The curve family for ``baseline="curve"`` (as in :func:`oot.fit_degradation`).
    reference : {"baseline", "fresh"}, default="baseline"
        Which share of periods within tolerance the sentence, the best cadence without
        costs and the verdict on a recommendation use: of the baseline
        (``within_tolerance``) or of the fresh model's score on the same period
        (``within_fresh``). Both are always in the summary.
    retrain_cost, shortfall_cost : float, default=None
        Cost of one retraining and cost per unit of metric shortfall per day (per unit
        of numeric time), the shortfall measured against the fresh score; both or
        neither, both ``>= 0``. Give the cost rates, the regrets and the oracle.
    phases : "all" or int, default="all"
        "all" averages each cadence over its ``k`` phases (the spread is reported); an int
        ``p`` backtests only phase ``p mod k`` of a cadence of ``k`` steps (0: retrain at
        the first cutoff and every ``k``-th after it).
    target_share : float, default=0.9
        Share of periods within tolerance a cadence must reach to count as keeping the
        metric within tolerance (for the best cadence without costs, and the verdict on
        a recommendation).
    recommended_interval : Timedelta, float, "never" or None, default=None
        A recommended retraining interval (an age, as
        :attr:`RetrainRecommendation.interval`); it is rounded down to whole anchor
        steps and marked (:meth:`RetrainRecommendation.backtest` passes its own).
        "never" marks never retraining (a recommendation that finds no degradation).

    Returns
    -------
    CadenceBacktest

    Raises
    ------
    InvalidParameterError
        A cadence that is not a whole multiple of the anchor step (the message lists the
        possible ones), an evaluation without window starts, with fewer than 3 anchors
        or with anchors off a regular grid, costs given alone or negative, or any other
        bad argument.
    NotEnoughWindowsError
        ``baseline="curve"`` or ``"first_window"`` with too few usable windows to fit.

    See Also
    --------
    evaluate_out_of_time, recommend_retrain_interval

    Notes
    -----
    A cadence of ``k`` steps with phase ``p`` retrains at the first cutoff and at every
    ``k``-th cutoff from the ``(1 + p)``-th on; the model in service in a period is the
    latest retrained anchor whose evaluation has started (``c_j + gap <= start``). The
    retrains counted are those after the first model (which every schedule trains).
    Retrains per year divide by the span in days over 365.25; for numeric time the
    rates are per unit of time (column ``retrains_per_unit``). The cost rate is per day
    (per unit of numeric time), like :attr:`RetrainRecommendation.cost_rate`.

    Examples
    --------
    >>> import oot
    >>> sim = oot.datasets.make_degradation_scores(n_anchors=13, n_windows=12,
    ...                                            period_sd=0.0, random_state=0)
    >>> ev = sim.to_evaluation()
    >>> bt = oot.backtest_cadences(ev, ["30D", "90D", "180D"], tolerance=0.05,
    ...                            retrain_cost=1.0, shortfall_cost=1.0)
    >>> bt.summary()[["cadence", "steps", "within_tolerance"]].round(2)
        cadence  steps  within_tolerance
    0   30 days      1              1.00
    1   90 days      3              0.97
    2  180 days      6              0.69
    3     never      0              0.25
    >>> bt.best_cadence                  # the cheapest fixed cadence
    '90 days'
    >>> bool(bt.oracle.cost_rate <= bt.summary()["cost_rate"].min())
    True
    """
    return _backtest(
        evaluation, cadences, tolerance=tolerance, tolerance_type=tolerance_type,
        baseline=baseline, curve=curve, reference=reference, retrain_cost=retrain_cost,
        shortfall_cost=shortfall_cost, phases=phases, target_share=target_share,
        recommended_interval=recommended_interval, realized=True)


def _backtest(
    evaluation: OOTEvaluation,
    cadences: Any,
    *,
    tolerance: float,
    tolerance_type: str,
    baseline: str | float,
    curve: str,
    reference: str,
    retrain_cost: float | None,
    shortfall_cost: float | None,
    phases: str | int,
    target_share: float,
    recommended_interval: Any,
    realized: bool,
) -> CadenceBacktest:
    """:func:`backtest_cadences`; ``realized=False`` leaves the per-period frames empty
    (the summary alone, for a sentence: they hold a row per cadence x phase x period)."""
    func = caller()
    _check_threshold_args(evaluation, tolerance=tolerance, tolerance_type=tolerance_type,
                          baseline=baseline, reference=reference, curve=curve)
    if recommended_interval is not None and not (
            isinstance(recommended_interval, str) and recommended_interval == "never"):
        _check_interval(recommended_interval, evaluation.time_kind)
    if (retrain_cost is None) != (shortfall_cost is None):
        missing = "shortfall_cost" if shortfall_cost is None else "retrain_cost"
        other = "retrain_cost" if missing == "shortfall_cost" else "shortfall_cost"
        raise InvalidParameterError(param_message(
            missing, func, f"given together with {other}", None,
            "The cost rate needs both costs; pass both or neither."))
    C = _check_cost(retrain_cost, "retrain_cost")
    c = _check_cost(shortfall_cost, "shortfall_cost")
    if not (isinstance(phases, str) and phases == "all") and not (
            isinstance(phases, numbers.Integral) and not isinstance(phases, bool)
            and phases >= 0):
        raise InvalidParameterError(param_message(
            "phases", func, "'all' or an int >= 0", phases))
    _check_target_share(target_share)
    gib = bool(evaluation.greater_is_better)

    mx = _read_matrix(evaluation)
    step = _anchor_step(mx)
    J = mx.n_anchors
    max_steps = J - 1
    if cadences is None:
        ks = list(range(1, max_steps + 1))
    else:
        values = (list(cadences) if isinstance(cadences, (list, tuple, np.ndarray, pd.Index))
                  else [cadences])
        if not values:
            raise InvalidParameterError(param_message(
                "cadences", func, "a length, a non-empty list of lengths, or None", cadences,
                _possible(step, max_steps)))
        ks = sorted({_steps_of(v, step, max_steps) for v in values} | {1})
    rec_k: int | None = None
    note = ""
    if isinstance(recommended_interval, str) and recommended_interval == "never":
        rec_k, note = 0, fmt.rounding_note("never", step.label(1), step.noun())
    elif recommended_interval is not None:
        raw = _interval_steps(recommended_interval, step, mx)
        if raw is not None:
            reason = "short" if raw < 1 else "long" if raw > max_steps else "rounded"
            rec_k = min(max(raw, 1), max_steps)
            note = fmt.rounding_note(reason, step.label(1), step.noun(),
                                     step.label(max_steps))
            if rec_k not in ks:
                ks = sorted({*ks, rec_k})

    # ---- the baseline (a curve fit on the scores: no model is fitted)
    base, base_mode, thr = _baseline_threshold(evaluation, baseline, curve, tolerance,
                                               tolerance_type)
    sign = 1.0 if gib else -1.0

    # ---- the schedules: (steps, phase); never retrain is steps 0
    sched_k: list[int] = []
    sched_p: list[int] = []
    for k in ks:
        ps = range(k) if phases == "all" else [int(phases) % k]
        for p in ps:
            sched_k.append(k)
            sched_p.append(p)
    sched_k.append(0)
    sched_p.append(0)
    K = np.asarray(sched_k, dtype=np.int64)
    P = np.asarray(sched_p, dtype=np.int64)
    W = mx.n_periods
    widx = np.arange(W)
    avail = _available(mx)
    Kc = np.where(K > 0, K, 1)[:, None]
    serve = _fixed_serve(mx, K, P)
    sc = mx.score[serve, widx[None, :]]
    us = mx.usable[serve, widx[None, :]]
    judged: np.ndarray = np.asarray(us.all(axis=0), dtype=bool)
    if not judged.any():
        raise _StructureError(param_message(
            "evaluation", func, "an evaluation with usable scores on the periods the "
            "backtest compares", _Said("no period where every schedule's model has a "
                                       "usable score"),
            "Check the evaluation's status column (too small windows, a failed anchor) "
            "or lower min_window_size."),
            "no period has a usable score for every schedule")
    fresh = mx.score[avail, widx]
    lengths = mx.lengths
    span = float(lengths.sum())
    jd = judged
    scj = sc[:, jd]
    nj = mx.n[serve, widx[None, :]][:, jd]
    agej = mx.age[serve, widx[None, :]][:, jd]
    fr = fresh[jd]
    d_fresh = float(tolerance) * np.abs(fr) if tolerance_type == "relative" else np.full(
        fr.shape, float(tolerance))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_score = scj.mean(axis=1)
        nsum = nj.sum(axis=1)
        weighted = np.where(nsum > 0, (scj * nj).sum(axis=1) / np.where(nsum > 0, nsum, 1),
                            np.nan)
    worst = scj.min(axis=1) if gib else scj.max(axis=1)
    within_b = (sign * (scj - thr) >= 0).mean(axis=1)
    within_f = (sign * (scj - (fr - sign * d_fresh)) >= 0).mean(axis=1)
    mean_age = agej.mean(axis=1)
    n_ret = np.where(K == 0, 0, np.where(P == 0, (J - 1) // Kc[:, 0],
                                         (J - 1 - P) // Kc[:, 0] + 1))
    years = span / (_DAYS_PER_YEAR if mx.kind == "datetime" else 1.0)
    per_year = n_ret / years
    shortfall = np.maximum(sign * (fr[None, :] - scj), 0.0)
    has_cost = C is not None and c is not None
    cost_rate = None
    oracle: CadenceOracle | None = None
    if has_cost:
        assert C is not None
        assert c is not None
        short_len = (shortfall * lengths[jd][None, :]).sum(axis=1)
        cost_rate = (C * n_ret + c * short_len) / span

    # ---- frames
    labels = np.array([step.label(int(k)) if k > 0 else "never" for k in K], dtype=object)
    rate_col = "retrains_per_year" if mx.kind == "datetime" else "retrains_per_unit"
    by_phase = pd.DataFrame({
        "cadence": labels,
        "steps": K,
        "phase": P,
        "mean_score": mean_score,
        "mean_score_weighted": weighted,
        "worst_score": worst,
        "mean_age": _ages(mean_age, mx.kind),
        "within_tolerance": within_b,
        "within_fresh": within_f,
        "n_retrains": n_ret.astype(np.int64),
        rate_col: per_year.astype(float),
    })
    if cost_rate is not None:
        by_phase["cost_rate"] = cost_rate
    g = by_phase.groupby("steps", sort=False)
    summ = pd.DataFrame({
        "cadence": g["cadence"].first(),
        "steps": g["steps"].first(),
        "n_phases": g["phase"].size().astype(np.int64),
        "mean_score": g["mean_score"].mean(),
        "mean_score_weighted": g["mean_score_weighted"].mean(),
        "mean_score_min": g["mean_score"].min(),
        "mean_score_max": g["mean_score"].max(),
        "worst_score": g["worst_score"].mean(),
        "mean_age": _ages(pd.Series(mean_age).groupby(K, sort=False).mean().to_numpy(),
                          mx.kind),
        "within_tolerance": g["within_tolerance"].mean(),
        "within_tolerance_min": g["within_tolerance"].min(),
        "within_tolerance_max": g["within_tolerance"].max(),
        "within_fresh": g["within_fresh"].mean(),
        "within_fresh_min": g["within_fresh"].min(),
        "within_fresh_max": g["within_fresh"].max(),
        "n_retrains": g["n_retrains"].mean(),
        rate_col: g[rate_col].mean(),
    }).reset_index(drop=True)
    if cost_rate is not None:
        assert C is not None
        assert c is not None
        cell = np.where(mx.usable, c * np.maximum(sign * (fresh[None, :] - mx.score), 0.0)
                        * lengths[None, :], 0.0)
        cell = np.where(judged[None, :], cell, 0.0)
        bad = judged[None, :] & ~mx.usable
        after = widx[None, :] >= mx.first[:, None]
        cell = np.where(after, cell, 0.0)
        bad &= after
        chain, total = _oracle_schedule(cell, bad, mx.first, C)
        o_rate = total / span
        summ["cost_rate"] = g["cost_rate"].mean().to_numpy()
        summ["cost_rate_min"] = g["cost_rate"].min().to_numpy()
        summ["cost_rate_max"] = g["cost_rate"].max().to_numpy()
        summ["regret"] = summ["cost_rate"] - o_rate
        by_phase["regret"] = by_phase["cost_rate"] - o_rate
        o_serve = np.asarray(chain)[np.searchsorted(mx.first[chain], widx, side="right") - 1]
        o_sc = mx.score[o_serve, widx][jd]
        oracle = CadenceOracle(
            schedule=tuple(mx.cutoffs[i] if not _missing(mx.cutoffs[i]) else
                           mx.start_values[int(mx.first[i])] for i in chain[1:]),
            anchors=tuple(int(mx.anchor_ids[i]) for i in chain),
            n_retrains=len(chain) - 1,
            retrains_per_year=(len(chain) - 1) / years,
            cost_rate=float(o_rate),
            total_cost=float(total),
            mean_score=float(o_sc.mean()),
            within_tolerance=float((sign * (o_sc - thr) >= 0).mean()),
            within_fresh=float((sign * (o_sc - (fr - sign * d_fresh)) >= 0).mean()),
            realized=_realized_frame(mx, o_serve[None, :], jd, None, None, None),
        )
    # flags: best fixed cadence, recommended cadence
    fixed = summ["steps"] > 0
    best = np.zeros(len(summ), dtype=bool)
    if cost_rate is not None:
        best[int(np.nanargmin(summ["cost_rate"].where(fixed).to_numpy(float)))] = True
    else:
        share_col = "within_fresh" if reference == "fresh" else "within_tolerance"
        ok = fixed & (summ[share_col] >= target_share)
        if ok.any():
            best[int(np.nanargmax(summ["steps"].where(ok).to_numpy(float)))] = True
    summ["best"] = best
    summ["recommended"] = (summ["steps"] == rec_k) if rec_k is not None else False
    summ["recommended"] = summ["recommended"].astype(bool)

    keep = jd if realized else np.zeros_like(jd)
    realized_frame = _realized_frame(mx, serve, keep, labels, K, P)
    periods = pd.DataFrame({
        "period": mx.start_values,
        "end": _end_values(mx),
        "length": lengths,
        "fresh_anchor": mx.anchor_ids[avail].astype(np.int64),
        "fresh_score": fresh,
        "judged": judged,
    }).reset_index(drop=True)
    return CadenceBacktest(
        summary_table=summ, by_phase=by_phase, realized=realized_frame, periods=periods,
        oracle=oracle, metric=evaluation.metric, time_kind=mx.kind, step=step.label(1),
        n_anchors=J, tolerance=float(tolerance), tolerance_type=tolerance_type,
        baseline=base, baseline_mode=base_mode, threshold=float(thr), reference=reference,
        target_share=float(target_share), retrain_cost=C, shortfall_cost=c,
        recommended_steps=rec_k,
        recommended_interval=recommended_interval if rec_k is not None else None,
        recommended_note=note if rec_k is not None else "",
        span_start=mx.start_values[0], span_end=mx.span_end,
        period_noun=_period_step(mx).noun(), step_spelling=step.spelling(1),
        periods_per_step=int(mx.step_periods), n_anchors_evaluated=int(mx.n_anchors_total),
        n_periods_excluded=int((~judged).sum()),
    )


def _check_threshold_args(evaluation: Any, *, tolerance: Any, tolerance_type: Any,
                          baseline: Any, reference: Any, curve: Any) -> None:
    """The checks :func:`backtest_cadences` and :func:`backtest_trigger` share: the
    evaluation, the tolerance, the baseline, the reference and the curve."""
    func = caller()
    if not isinstance(evaluation, OOTEvaluation):
        raise InvalidParameterError(param_message(
            "evaluation", func, "an OOTEvaluation", _Said(type(evaluation).__name__),
            "Build one with oot.evaluate_out_of_time or OOTEvaluation.from_frame."))
    evaluation.check_single()
    check_tolerance_settings(tolerance=tolerance, tolerance_type=tolerance_type,
                             baseline=baseline, curve=curve, reference=reference)


def _check_target_share(target_share: Any) -> None:
    check_scalar(target_share, "target_share", caller(), low=0, high=1,
                 low_inclusive=False,
                 fix="Write 90% as target_share=0.9." if isinstance(
                     target_share, numbers.Real) and float(target_share) > 1 else None)


def _baseline_threshold(evaluation: OOTEvaluation, baseline: str | float, curve: str,
                        tolerance: float, tolerance_type: str,
                        ) -> tuple[float, str, float]:
    """The baseline, how it was obtained and the threshold ``baseline -/+ tolerance``
    (a curve fit on the scores for "curve" and "first_window": no model is fitted)."""
    base, base_mode, thr, _ = _fitted_threshold(evaluation, baseline, curve, tolerance,
                                                tolerance_type)
    return base, base_mode, thr


def _fitted_threshold(evaluation: OOTEvaluation, baseline: str | float, curve: str,
                      tolerance: float, tolerance_type: str,
                      ) -> tuple[float, str, float, Any]:
    """:func:`_baseline_threshold` and the degradation curve fitted for the baseline
    (None for a baseline given as a number)."""
    fitted = None
    if isinstance(baseline, str):
        fitted = fit_degradation(evaluation, curve=curve if baseline == "curve" else "linear",
                                 baseline=baseline)
        base = float(fitted.baseline)
        base_mode = baseline
    else:
        base = float(baseline)
        base_mode = "value"
    delta = float(tolerance) * abs(base) if tolerance_type == "relative" else float(tolerance)
    thr = base - delta if evaluation.greater_is_better else base + delta
    return base, base_mode, float(thr), fitted


def _available(mx: _Matrix) -> np.ndarray:
    """The latest anchor whose evaluation has started in each period (W,)."""
    return np.searchsorted(mx.first, np.arange(mx.n_periods), side="right") - 1


def _fixed_serve(mx: _Matrix, K: np.ndarray, P: np.ndarray) -> np.ndarray:
    """The anchor in service in each period (S, W) for cadences of ``K`` steps with
    phases ``P`` (steps 0: never retrain)."""
    avail = _available(mx)
    Kc = np.where(K > 0, K, 1)[:, None]
    serve = np.where(avail[None, :] < P[:, None], 0,
                     P[:, None] + ((avail[None, :] - P[:, None]) // Kc) * Kc)
    serve[K == 0] = 0
    return np.asarray(serve)


def _check_interval(value: Any, kind: TimeKind) -> None:
    """``recommended_interval`` is an age: a Timedelta (datetime time) or a number."""
    if kind == "numeric":
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and (
            math.isfinite(float(value)) and float(value) >= 0)
        expected = "a number >= 0 (an age in the time column's units) or None"
    else:
        td: Any
        try:
            td = pd.Timedelta(value)
        except (TypeError, ValueError):
            td = pd.NaT
        ok = not isinstance(value, (bool, numbers.Real)) and not pd.isna(td) and (
            td >= pd.Timedelta(0))
        expected = "a Timedelta >= 0 (an age, like rec.interval) or None"
    if not ok:
        raise InvalidParameterError(param_message(
            "recommended_interval", None, expected, value))


def _missing(v: Any) -> bool:
    return v is None or bool(pd.isna(v))


def _ages(x: np.ndarray, kind: TimeKind) -> Any:
    """Float ages (days or units) as a Timedelta array (rounded to the ns) or floats."""
    if kind == "numeric":
        return np.asarray(x, dtype=float)
    x = np.asarray(x, dtype=float)
    ns = np.where(np.isfinite(x), np.round(x * NS_PER_DAY), 0).astype(np.int64)
    out = ns.astype("timedelta64[ns]")
    out[~np.isfinite(x)] = np.timedelta64("NaT")
    return pd.to_timedelta(out)


def _end_values(mx: _Matrix) -> Any:
    if mx.kind == "numeric":
        return np.r_[np.asarray(mx.starts[1:], float), float(mx.span_end)]
    vals = [*list(mx.start_values[1:]), mx.span_end]
    return pd.DatetimeIndex(vals)


def _realized_frame(mx: _Matrix, serve: np.ndarray, jd: np.ndarray,
                    labels: np.ndarray | None, K: np.ndarray | None,
                    P: np.ndarray | None) -> pd.DataFrame:
    """One row per schedule x judged period (schedule columns only when labels given)."""
    S, W = serve.shape
    widx = np.arange(W)
    changed = np.ones((S, W), dtype=bool)
    changed[:, 1:] = serve[:, 1:] != serve[:, :-1]
    cols = np.flatnonzero(jd)
    sv = serve[:, cols]
    ww = np.broadcast_to(cols[None, :], sv.shape)
    flat_s, flat_w = sv.ravel(), ww.ravel()
    out: dict[str, Any] = {}
    if labels is not None:
        assert K is not None
        assert P is not None
        rep = np.repeat(np.arange(S), len(cols))
        out["cadence"] = labels[rep]
        out["steps"] = K[rep]
        out["phase"] = P[rep]
    out["period"] = np.asarray(mx.start_values)[flat_w] if mx.kind == "numeric" else (
        mx.start_values[flat_w])
    out["anchor"] = mx.anchor_ids[flat_s].astype(np.int64)
    out["age"] = _ages(mx.age[flat_s, flat_w], mx.kind)
    out["n"] = mx.n[flat_s, flat_w].astype(np.int64)
    out["score"] = mx.score[flat_s, flat_w]
    out["se"] = mx.se[flat_s, flat_w]
    out["retrained"] = changed[:, cols].ravel()
    del widx
    return pd.DataFrame(out)


# ============================================================ the trigger policy
_TRIGGER_SCHEMA = "oot.TriggerBacktest/1"
#: At most this many candidate levels are tried when the level is tuned (quantiles of
#: the indicator's values in the tuning periods when it has more distinct ones).
MAX_TRIGGER_LEVELS = 64


def _next_anchor(mx: _Matrix) -> np.ndarray:
    """For each period ``w``: the first anchor whose cutoff is at or after the end of
    ``w`` (the first cutoff at which an alarm raised on ``w``'s rows can retrain), or
    ``J`` when there is none. Without cutoffs (scores from a frame): the first anchor
    first scored after ``w``."""
    J, W = mx.n_anchors, mx.n_periods
    after = np.searchsorted(mx.first, np.arange(W), side="right")
    if any(_missing(c) for c in mx.cutoffs):
        return np.asarray(after, dtype=np.int64)
    cut = _as_keys(pd.Series(list(mx.cutoffs)), mx.kind)
    if mx.kind == "numeric":
        ends = np.asarray(mx.ends, dtype=float)
        nxt = np.searchsorted(cut, ends - 1e-9 * np.maximum(1.0, np.abs(ends)),
                              side="left")
    else:
        nxt = np.searchsorted(cut, np.asarray(mx.ends, dtype=np.int64), side="left")
    return np.asarray(np.minimum(np.maximum(nxt, after), J), dtype=np.int64)


def _trigger_serve(mx: _Matrix, values: np.ndarray, levels: np.ndarray, direction: int,
                   nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The anchor in service (H, W) under the trigger at each of ``levels``, and where
    the alarm was raised.

    The first anchor serves from the first period. In each period the indicator of
    the model in service (``values[j, w]``, known at the end of the period) is compared
    with the level; when it passes it (``direction * (value - level) > 0``) and no
    retrain is pending, the model is retrained at the first cutoff at or after the
    end of the period (``nxt[w]``); that model goes into service in its own first
    period. A missing value raises no alarm.
    """
    H = len(levels)
    J, W = mx.n_anchors, mx.n_periods
    serve = np.zeros((H, W), dtype=np.int64)
    alarm = np.zeros((H, W), dtype=bool)
    cur = np.zeros(H, dtype=np.int64)
    pending = np.full(H, -1, dtype=np.int64)
    first = mx.first
    for w in range(W):
        waiting = pending >= 0
        arrive = waiting & (first[np.maximum(pending, 0)] <= w)
        cur = np.where(arrive, pending, cur)
        pending = np.where(arrive, -1, pending)
        serve[:, w] = cur
        v = values[cur, w]
        with np.errstate(invalid="ignore"):
            fire = (pending < 0) & np.isfinite(v) & (direction * (v - levels) > 0)
        alarm[:, w] = fire
        if nxt[w] < J:
            pending = np.where(fire, nxt[w], pending)
    return serve, alarm


@dataclass(frozen=True)
class _Judge:
    """What judging a schedule needs: the threshold, the fresh scores and the parts."""

    sign: float
    threshold: float
    fresh_low: np.ndarray        # (W,) fresh score -/+ tolerance, the fresh threshold
    judged: np.ndarray           # (W,) bool
    parts: tuple[np.ndarray, ...]  # (W,) bool masks: tuning periods, test periods
    reference: str


def _judge(mx: _Matrix, serve: np.ndarray, jd: _Judge) -> tuple[np.ndarray, np.ndarray]:
    """Share of each part's judged periods within tolerance and retrains in each part
    (a retrain counts in the period its model goes into service): ``(S, parts)``."""
    widx = np.arange(mx.n_periods)
    sc = mx.score[serve, widx[None, :]]
    with np.errstate(invalid="ignore"):
        if jd.reference == "fresh":
            ok = jd.sign * (sc - jd.fresh_low[None, :]) >= 0
        else:
            ok = jd.sign * (sc - jd.threshold) >= 0
    changed = np.zeros(serve.shape, dtype=bool)
    changed[:, 1:] = serve[:, 1:] != serve[:, :-1]
    within = np.column_stack([
        (ok & (jd.judged & part)[None, :]).sum(axis=1) / max(int((jd.judged & part).sum()),
                                                             1)
        for part in jd.parts])
    retrains = np.column_stack([(changed & part[None, :]).sum(axis=1)
                                for part in jd.parts]).astype(float)
    return within, retrains


def _candidate_levels(values: np.ndarray, mx: _Matrix, part: np.ndarray,
                      direction: int) -> np.ndarray:
    """Levels to try: the distinct values an in-service model could show in the tuning
    periods (at most :data:`MAX_TRIGGER_LEVELS`, as quantiles), plus one beyond each
    end (always / never retrain)."""
    avail = _available(mx)
    ok = (np.arange(mx.n_anchors)[:, None] <= avail[None, :]) & part[None, :]
    v = values[ok]
    v = np.unique(v[np.isfinite(v)])
    if len(v) > MAX_TRIGGER_LEVELS - 2:
        q = np.linspace(0.0, 1.0, MAX_TRIGGER_LEVELS - 2)
        v = np.unique(np.quantile(v, q, method="inverted_cdf"))
    return np.concatenate(([-np.inf], v, [np.inf]))[::direction]


def _choose_level(within: np.ndarray, retrains: np.ndarray, target_share: float) -> int:
    """The level tuned on history: the fewest retrains among the levels that kept the
    metric within tolerance in ``target_share`` of the tuning periods (ties: the higher
    share, then the later candidate, i.e. the less sensitive level); when none did, the
    highest share (ties: the fewest retrains)."""
    idx = np.arange(len(within))
    feasible = within >= target_share - 1e-12
    if feasible.any():
        order = np.lexsort((-idx, -within, retrains))
        order = order[feasible[order]]
    else:
        order = np.lexsort((-idx, retrains, -within))
    return int(order[0])


@dataclass(frozen=True, eq=False)
class TriggerBacktest:
    """A retraining trigger on history: retrain when a label-free indicator passes a
    level (the result of :func:`oot.backtest_trigger`).

    The periods of the backtest are split in time: the level is chosen on the earlier
    ones (the tuning periods) and judged on the later ones (the test periods), against
    the fixed cadences on the same test periods.

    Attributes
    ----------
    indicator : str
        The indicator watched (``"psi:prediction"``).
    direction : {"above", "below"}
        The alarm is raised when the indicator is above the level (drift) or below it
        (the expected value of a metric where greater is better).
    level : float
        The trigger level (``+-inf``: never, or always, retrain).
    tuned : bool
        Whether the level was chosen on the tuning periods (False: given).
    levels : pandas.DataFrame
        The candidate levels tried: ``level``, ``within_tune``, ``retrains_tune``,
        ``chosen`` (empty when the level was given).
    realized : pandas.DataFrame
        One row per period: ``period``, ``part`` ("tune" or "test"), ``judged``,
        ``anchor`` (the model in service), ``age``, ``score``, ``value`` (its
        indicator), ``alarm``, ``retrained``, ``within``.
    fixed : pandas.DataFrame
        Each fixed cadence on the test periods (averaged over its phases):
        ``cadence``, ``steps``, ``within_test``, ``retrains_test``.
    n_tune, n_test : int
        Judged periods in each part.
    within_tune, within_test : float
        Share of each part's judged periods within tolerance under the trigger.
    retrains_tune, retrains_test : int
        Retrains in each part (counted in the period the new model goes into service).
    fixed_same_cadence, fixed_same_within : str or None, float
        The fixed cadence with at most as many test retrains that kept the metric
        within tolerance the most often, and its share.
    fixed_needed_cadence, fixed_needed_retrains : str or None, float
        The fixed cadence with the fewest test retrains that did as well as the trigger,
        and how many it needed (None / NaN when none did).
    split : Timestamp or float
        Start of the first test period.
    """

    indicator: str
    direction: str
    level: float
    tuned: bool
    levels: pd.DataFrame
    realized: pd.DataFrame
    fixed: pd.DataFrame
    metric: Metric
    time_kind: TimeKind
    n_tune: int
    n_test: int
    within_tune: float
    within_test: float
    retrains_tune: int
    retrains_test: int
    fixed_same_cadence: str | None
    fixed_same_within: float
    fixed_needed_cadence: str | None
    fixed_needed_retrains: float
    tolerance: float
    tolerance_type: str
    baseline: float
    baseline_mode: str
    threshold: float
    reference: str
    target_share: float
    tune_share: float
    split: Any
    period_noun: str = "periods"
    step: str = ""

    @property
    def beats_fixed(self) -> bool:
        """Whether the trigger did at least as well as every fixed cadence with as many
        retrains, on the test periods."""
        return bool(self.within_test >= self.fixed_same_within - 1e-12)

    def summary(self) -> pd.DataFrame:
        """One row per part ("tune", "test") under the trigger, then the fixed cadence
        with as many test retrains and the one that did as well (test periods)."""
        rows = [
            {"schedule": "trigger", "part": "tune", "periods": self.n_tune,
             "within": self.within_tune, "retrains": float(self.retrains_tune)},
            {"schedule": "trigger", "part": "test", "periods": self.n_test,
             "within": self.within_test, "retrains": float(self.retrains_test)},
        ]
        f = self.fixed.set_index("cadence")
        for name in (self.fixed_same_cadence, self.fixed_needed_cadence):
            if name is not None:
                rows.append({"schedule": f"every {name}" if name != "never" else "never",
                             "part": "test", "periods": self.n_test,
                             "within": float(f["within_test"].loc[name]),
                             "retrains": float(f["retrains_test"].loc[name])})
        return pd.DataFrame(rows).drop_duplicates().reset_index(drop=True)

    def __str__(self) -> str:
        return fmt.trigger_sentence(self)

    def __repr__(self) -> str:
        return (f"TriggerBacktest(indicator={self.indicator!r}, level={self.level:.4g}, "
                f"within_test={self.within_test:.3g}, retrains_test={self.retrains_test})")

    def _repr_html_(self) -> str:
        head = html.escape(str(self))
        table = self.summary().to_html(index=False, float_format=lambda v: f"{v:.4g}",
                                       border=0)
        return f"<div class='oot-trigger'><p><b>{head}</b></p>{table}</div>"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly."""
        return record_to_dict(self, _TRIGGER_SCHEMA)

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (no NaN tokens); :meth:`from_json` round-trips it exactly."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TriggerBacktest:
        """Rebuild a trigger backtest from :meth:`to_dict` output."""
        return record_from_dict(cls, d, _TRIGGER_SCHEMA, {
            "levels": frame_from_dict, "realized": frame_from_dict,
            "fixed": frame_from_dict, "metric": Metric.from_dict})

    @classmethod
    def from_json(cls, text: str | bytes) -> TriggerBacktest:
        """Rebuild a trigger backtest from :meth:`to_json` output (exact round trip)."""
        return cls.from_dict(load_document(text, "TriggerBacktest"))


def indicator_matrix(evaluation: OOTEvaluation, mx: _Matrix, names: Sequence[str],
                     ) -> np.ndarray:
    """The indicators ``names`` as ``(len(names), J, W)`` anchor x period matrices (NaN
    where a value is missing or its status is not "ok")."""
    ind = evaluation.indicators
    out = np.full((len(names), mx.n_anchors, mx.n_periods), np.nan)
    if ind is None or not len(names):
        return out
    s = evaluation.scores
    key = pd.MultiIndex.from_arrays([s["anchor"].to_numpy(), s["window"].to_numpy()])
    ok = ind["status"].to_numpy() == "ok"
    sub = ind.loc[ok & ind["indicator"].isin(list(names)).to_numpy()]
    pos = key.get_indexer(pd.MultiIndex.from_arrays([sub["anchor"].to_numpy(),
                                                     sub["window"].to_numpy()]))
    cell = np.where(pos >= 0, mx.row_cell[np.maximum(pos, 0)], -1)
    which = pd.Index(list(names)).get_indexer(sub["indicator"])
    keep = (cell >= 0) & (which >= 0)
    flat = out.reshape(len(names), -1)
    flat[which[keep], cell[keep]] = sub["value"].to_numpy(dtype=float)[keep]
    return out


@dataclass(frozen=True, eq=False)
class _TriggerSetup:
    """What every trigger of one evaluation shares: the matrix, the parts, the fixed
    cadences' figures on them."""

    mx: _Matrix
    judge: _Judge
    nxt: np.ndarray
    fixed: pd.DataFrame      # per cadence: cadence, steps, within_test, retrains_test
    split_index: int
    base: float
    base_mode: str
    step: _Step


def _trigger_setup(evaluation: OOTEvaluation, *, tolerance: float, tolerance_type: str,
                   baseline: str | float, curve: str, reference: str,
                   tune_share: float) -> _TriggerSetup:
    func = caller()
    mx = _read_matrix(evaluation)
    base, base_mode, thr = _baseline_threshold(evaluation, baseline, curve, tolerance,
                                               tolerance_type)
    sign = 1.0 if evaluation.greater_is_better else -1.0
    W, J = mx.n_periods, mx.n_anchors
    avail = _available(mx)
    could_serve = np.arange(J)[:, None] <= avail[None, :]
    judged = np.asarray((mx.usable | ~could_serve).all(axis=0), dtype=bool)
    fresh = mx.score[avail, np.arange(W)]
    d_fresh = (float(tolerance) * np.abs(fresh) if tolerance_type == "relative"
               else np.full(W, float(tolerance)))
    n_j = int(judged.sum())
    n_tune = round(tune_share * n_j)
    if n_tune < 2 or n_j - n_tune < 2:
        raise InvalidParameterError(param_message(
            "evaluation", func, "an evaluation with at least 2 judged periods before and "
            "after the split (the level is chosen on the earlier periods and judged on "
            "the later ones)", _Said(f"{n_j} judged period{'s' if n_j != 1 else ''}, "
                                     f"{n_tune} of them for tuning (tune_share="
                                     f"{tune_share:g})"),
            "Evaluate more anchors or longer (more calendar periods), or move "
            "tune_share toward 0.5."))
    split = int(np.flatnonzero(judged)[n_tune])
    tune = np.arange(W) < split
    jd = _Judge(sign=sign, threshold=thr, fresh_low=fresh - sign * d_fresh,
                judged=judged, parts=(tune, ~tune), reference=reference)
    # the fixed cadences, every phase, and never retraining
    ks = list(range(1, J))
    K = np.asarray([k for k in ks for _ in range(k)] + [0], dtype=np.int64)
    P = np.asarray([p for k in ks for p in range(k)] + [0], dtype=np.int64)
    within, retrains = _judge(mx, _fixed_serve(mx, K, P), jd)
    step = _anchor_step(mx)
    per = pd.DataFrame({"steps": K, "within_test": within[:, 1],
                        "retrains_test": retrains[:, 1]})
    # each cadence's figures: the mean over its phases
    mean = per.groupby("steps", sort=False)[["within_test", "retrains_test"]].mean()
    steps = [int(k) for k in mean.index.to_numpy(dtype=np.int64)]
    fixed = pd.DataFrame({
        "cadence": [step.label(k) if k > 0 else "never" for k in steps],
        "steps": np.asarray(steps, dtype=np.int64),
        "within_test": mean["within_test"].to_numpy(dtype=float),
        "retrains_test": mean["retrains_test"].to_numpy(dtype=float),
    })
    return _TriggerSetup(mx, jd, _next_anchor(mx), fixed, split, base, base_mode, step)


def _trigger_one(setup: _TriggerSetup, values: np.ndarray, direction: int,
                 level: float | None, target_share: float,
                 ) -> tuple[float, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray,
                            np.ndarray]:
    """Tune (or take) the level of one indicator; return the level, the table of
    candidates, the chosen schedule's serve and alarm rows, and its within / retrains
    per part."""
    mx, jd = setup.mx, setup.judge
    if level is None:
        levels = _candidate_levels(values, mx, jd.parts[0], direction)
    else:
        levels = np.asarray([float(level)])
    serve, alarm = _trigger_serve(mx, values, levels, direction, setup.nxt)
    within, retrains = _judge(mx, serve, jd)
    best = 0 if level is not None else _choose_level(within[:, 0], retrains[:, 0],
                                                     target_share)
    table = pd.DataFrame() if level is not None else pd.DataFrame({
        "level": levels, "within_tune": within[:, 0],
        "retrains_tune": retrains[:, 0].astype(np.int64),
        "chosen": np.arange(len(levels)) == best})
    return (float(levels[best]), table, serve[best], alarm[best], within[best],
            retrains[best])


def _fixed_comparison(fixed: pd.DataFrame, within_test: float, retrains_test: float,
                      ) -> tuple[str | None, float, str | None, float]:
    """The fixed cadence with at most as many test retrains that did best, and the one
    with the fewest retrains that did as well as the trigger."""
    same = fixed.loc[fixed["retrains_test"] <= retrains_test + 1e-9]
    same_name: str | None = None
    same_within = math.nan
    if len(same):
        row = same.sort_values(["within_test", "retrains_test"],
                               ascending=[False, True], kind="stable").iloc[0]
        same_name, same_within = str(row["cadence"]), float(row["within_test"])
    good = fixed.loc[fixed["within_test"] >= within_test - 1e-12]
    need_name: str | None = None
    need = math.nan
    if len(good):
        row = good.sort_values(["retrains_test", "within_test"],
                               ascending=[True, False], kind="stable").iloc[0]
        need_name, need = str(row["cadence"]), float(row["retrains_test"])
    return same_name, same_within, need_name, need


def _check_trigger_args(tune_share: Any, level: Any) -> None:
    func = caller()
    check_scalar(tune_share, "tune_share", func, low=0, high=1, low_inclusive=False,
                 high_inclusive=False,
                 fix="Write half as tune_share=0.5." if isinstance(
                     tune_share, numbers.Real) and float(tune_share) >= 1 else None)
    if level is not None and not (isinstance(level, numbers.Real)
                                  and not isinstance(level, bool)
                                  and not math.isnan(float(level))):
        raise InvalidParameterError(param_message(
            "level", func, "a number or None (None: chosen on the tuning periods)", level))


@entry_point("backtest_trigger")
def backtest_trigger(
    evaluation: OOTEvaluation,
    indicator: str,
    *,
    level: float | None = None,
    tolerance: float = 0.05,
    tolerance_type: str = "relative",
    baseline: str | float = "curve",
    curve: str = "auto",
    reference: str = "baseline",
    target_share: float = 0.9,
    tune_share: float = 0.5,
) -> TriggerBacktest:
    """Backtest a retraining trigger: retrain when a label-free indicator passes a level.

    The model in service is watched period by period: when its indicator on a period
    (:attr:`OOTEvaluation.indicators`, known at the end of the period, before any label)
    passes the level, the model is retrained at the first cutoff at or after the end of
    that period, and the new model goes into service when its evaluation starts (after
    the gap). As in :func:`backtest_cadences`, nothing is refitted: the realized scores
    are read from the evaluation.

    The level is chosen on history, and judged on other history: the periods are split
    in time, the first ``tune_share`` of them choose the level (the fewest retrains that
    kept the metric within tolerance in ``target_share`` of them), and the trigger is
    judged on the later ones, against every fixed cadence on the same periods.

    Parameters
    ----------
    evaluation : OOTEvaluation
        From :func:`oot.evaluate_out_of_time` with ``indicators=`` (at least 3 anchors a
        whole number of evaluation windows apart, as for :func:`backtest_cadences`).
    indicator : str
        The indicator to watch, a name in ``evaluation.indicators["indicator"]``.
    level : float, default=None
        The trigger level; None chooses it on the tuning periods.
    tolerance, tolerance_type, baseline, curve, reference
        As in :func:`backtest_cadences`: a period is within tolerance when the realized
        score is within ``tolerance`` of the baseline (``reference="baseline"``) or of
        the fresh model's score on that period (``"fresh"``).
    target_share : float, default=0.9
        Share of the tuning periods within tolerance the chosen level must reach.
    tune_share : float, default=0.5
        Share of the judged periods, the earliest, used to choose the level.

    Returns
    -------
    TriggerBacktest

    Raises
    ------
    InvalidParameterError
        An unknown indicator (the message names close ones), an evaluation without
        indicators, or the errors of :func:`backtest_cadences`.

    See Also
    --------
    oot.rank_indicators : Every indicator's correlation, lead and trigger at once.

    Notes
    -----
    A period is judged when every anchor that could be in service then has a usable
    score on it, so that every schedule is judged on the same periods. A retrain counts
    in the part (tuning or test) where its model goes into service. The direction of
    the alarm comes from the indicator: above the level for drift statistics, below it
    for the expected value of a metric where greater is better.

    Examples
    --------
    >>> import oot
    >>> from sklearn.linear_model import LogisticRegression
    >>> sim = oot.datasets.make_indicator_data(n_samples=12000, random_state=0)
    >>> ev = oot.evaluate_out_of_time(sim.frame, LogisticRegression(), target=sim.target,
    ...                               time=sim.time, train_window="90D",
    ...                               eval_window="30D", anchors=12, indicators=True)
    >>> tb = oot.backtest_trigger(ev, "psi:x_cause", tolerance=0.05)
    >>> tb.retrains_test <= 6
    True
    """
    func = caller()
    _check_threshold_args(evaluation, tolerance=tolerance, tolerance_type=tolerance_type,
                          baseline=baseline, reference=reference, curve=curve)
    _check_target_share(target_share)
    _check_trigger_args(tune_share, level)
    names = _indicator_names(evaluation)
    if not isinstance(indicator, str) or indicator not in names:
        hint = closest(str(indicator), names)
        raise InvalidParameterError(param_message(
            "indicator", func, "the name of an indicator of the evaluation", indicator,
            f"Did you mean {hint!r}?" if hint is not None else
            f"The evaluation has {len(names)}: {', '.join(repr(n) for n in names[:8])}"
            + (", ..." if len(names) > 8 else "") + "."))
    setup = _trigger_setup(evaluation, tolerance=tolerance, tolerance_type=tolerance_type,
                           baseline=baseline, curve=curve, reference=reference,
                           tune_share=tune_share)
    return _trigger_result(evaluation, setup, indicator, level=level,
                           tolerance=tolerance, tolerance_type=tolerance_type,
                           reference=reference, target_share=target_share,
                           tune_share=tune_share)


def _indicator_names(evaluation: OOTEvaluation) -> list[str]:
    """The indicators an evaluation holds, in order; the error when it holds none."""
    ind = evaluation.indicators
    if ind is None or not len(ind):
        raise InvalidParameterError(param_message(
            "evaluation", None, "an evaluation with leading indicators",
            _Said("an evaluation without them"),
            "Evaluate with oot.evaluate_out_of_time(..., indicators=True)."))
    return [str(n) for n in pd.unique(ind["indicator"])]


def _trigger_result(evaluation: OOTEvaluation, setup: _TriggerSetup, indicator: str, *,
                    level: float | None, tolerance: float, tolerance_type: str,
                    reference: str, target_share: float, tune_share: float,
                    values: np.ndarray | None = None) -> TriggerBacktest:
    """The trigger backtest of one indicator on a prepared setup."""
    mx, jd = setup.mx, setup.judge
    direction = indicator_direction(indicator)
    if values is None:
        values = indicator_matrix(evaluation, mx, [indicator])[0]
    lvl, table, serve, alarm, within, retrains = _trigger_one(
        setup, values, direction, level, target_share)
    same, same_w, need, need_r = _fixed_comparison(setup.fixed, float(within[1]),
                                                   float(retrains[1]))
    W = mx.n_periods
    widx = np.arange(W)
    sc = mx.score[serve, widx]
    with np.errstate(invalid="ignore"):
        ok = (jd.sign * (sc - jd.fresh_low) >= 0 if reference == "fresh"
              else jd.sign * (sc - jd.threshold) >= 0)
    changed = np.zeros(W, dtype=bool)
    changed[1:] = serve[1:] != serve[:-1]
    realized = pd.DataFrame({
        "period": mx.start_values,
        "part": np.where(jd.parts[0], "tune", "test").astype(object),
        "judged": jd.judged,
        "anchor": mx.anchor_ids[serve].astype(np.int64),
        "age": _ages(mx.age[serve, widx], mx.kind),
        "score": sc,
        "value": values[serve, widx],
        "alarm": alarm,
        "retrained": changed,
        "within": ok & jd.judged,
    }).reset_index(drop=True)
    return TriggerBacktest(
        indicator=indicator, direction="above" if direction > 0 else "below",
        level=lvl, tuned=level is None, levels=table, realized=realized,
        fixed=setup.fixed.copy(), metric=evaluation.metric, time_kind=mx.kind,
        n_tune=int((jd.judged & jd.parts[0]).sum()),
        n_test=int((jd.judged & jd.parts[1]).sum()),
        within_tune=float(within[0]), within_test=float(within[1]),
        retrains_tune=int(retrains[0]), retrains_test=int(retrains[1]),
        fixed_same_cadence=same, fixed_same_within=same_w,
        fixed_needed_cadence=need, fixed_needed_retrains=need_r,
        tolerance=float(tolerance), tolerance_type=tolerance_type, baseline=setup.base,
        baseline_mode=setup.base_mode, threshold=float(jd.threshold), reference=reference,
        target_share=float(target_share), tune_share=float(tune_share),
        split=mx.start_values[setup.split_index], period_noun=_period_step(mx).noun(),
        step=setup.step.label(1))
