"""The time axis and the window plan: anchors (training cutoffs) and evaluation windows.

The time column is sorted once; every training window and evaluation window is then a
contiguous range ``[lo, hi)`` over that order, found by ``searchsorted``. No boolean mask
per window and no copy of the data per window.

Definitions (see the user guide, "Concepts"):

* anchor ``j`` has cutoff ``c_j``; it trains on ``c_j - train_window <= t < c_j`` (or
  ``t_min <= t < c_j`` with ``expanding=True``); ``c_1 = t_min + train_window`` and
  ``c_j = c_1 + (j - 1) * anchor_step``;
* evaluation starts at ``c_j + gap``; windows of length ``eval_window`` follow one another
  (a calendar offset such as ``"MS"`` gives calendar periods, the first starting at the
  first period boundary at or after ``c_j + gap``) until ``c_j + horizon`` or the end of
  the data; the last window is kept, flagged partial, when the data covers at least half
  of it;
* the age of a window is its midpoint minus the cutoff.

Error messages name the public function being run (``oot._validation.caller``); the
helpers here take an optional ``func`` only so that callers which still pass one keep
working.
"""

from __future__ import annotations

import datetime as _dt
import numbers
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, NamedTuple, overload

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from oot._time import NS_PER_DAY, TimeKind
from oot._validation import (
    InvalidParameterError,
    caller,
    calling,
    check_columns,
    check_scalar,
    closest,
    entry_point,
    param_message,
)

__all__ = ["OutOfTimeSplit", "TimeAxis", "WindowPlan", "make_plan", "parse_length"]

_LENGTH_RE = re.compile(r"([+-]?\d*\.?\d*)\s*([A-Za-z]+(?:-[A-Za-z]+)?)")
# unit spellings read as fixed durations; anything else ("MS", "QS", "YS", "ME",
# "W-MON") is a calendar offset. Case matters: "ms" is milliseconds, "MS" month starts.
_TIMEDELTA_UNITS = {
    "D", "d", "day", "days", "W", "w", "week", "weeks", "h", "hr", "hour", "hours",
    "min", "minute", "minutes", "s", "sec", "second", "seconds", "ms", "us", "ns",
}


def _named(func: str | None) -> AbstractContextManager[None]:
    """Run as ``func`` when a caller still names itself (else keep the running one)."""
    return nullcontext() if func is None else calling(func)


# --------------------------------------------------------------------------- lengths
@dataclass(frozen=True)
class Length:
    """A window length: fixed (ns for datetime, a number for numeric) or calendar."""

    fixed: float | None = None
    offset: pd.DateOffset | None = None
    text: str = ""

    @property
    def is_calendar(self) -> bool:
        return self.offset is not None


def _relative_offset(off: pd.DateOffset) -> pd.DateOffset:
    """Anchored calendar offsets as relative shifts (``MS`` -> one month later)."""
    n = int(getattr(off, "n", 1))
    name = type(off).__name__
    if "Month" in name:
        return pd.DateOffset(months=n)
    if "Quarter" in name:
        return pd.DateOffset(months=3 * n)
    if "Year" in name:
        return pd.DateOffset(years=n)
    return off


@overload
def parse_length(value: Any, param: str, time_kind: TimeKind, /, *,
                 func: str | None = None, allow_zero: bool = False,
                 allow_none: bool = False) -> Length | None: ...


@overload
def parse_length(value: Any, param: str, func: str, time_kind: TimeKind, /, *,
                 allow_zero: bool = False, allow_none: bool = False) -> Length | None: ...


def parse_length(
    value: Any,
    param: str,
    *where: Any,
    func: str | None = None,
    allow_zero: bool = False,
    allow_none: bool = False,
) -> Length | None:
    """Parse a window length for the given time kind, or raise the standard error.

    Called as ``parse_length(value, param, time_kind)``; the older form
    ``parse_length(value, param, func, time_kind)`` is still accepted. Messages name
    ``func``, else the running public function.

    Examples
    --------
    >>> from oot.windows import parse_length
    >>> parse_length("30D", "eval_window", "datetime").fixed / 86_400e9
    30.0
    >>> parse_length("MS", "eval_window", "datetime").is_calendar
    True
    >>> parse_length(7, "eval_window", "numeric").fixed
    7.0
    """
    if len(where) == 2:
        func, time_kind = where
    elif len(where) == 1:
        (time_kind,) = where
    else:
        msg = (f"parse_length() takes the time kind as its third (or, after func, fourth) "
               f"positional argument; got {len(where) + 2} positional arguments.")
        raise TypeError(msg)
    with _named(func):
        return _parse_length(value, param, time_kind, allow_zero, allow_none)


def _parse_length(value: Any, param: str, time_kind: TimeKind, allow_zero: bool,
                  allow_none: bool) -> Length | None:
    if value is None:
        if allow_none:
            return None
        raise InvalidParameterError(param_message(
            param, None, "a window length" + (" like '30D', '2W' or 'MS'"
                                              if time_kind == "datetime" else " (a number)"),
            value))
    sign = ">= 0" if allow_zero else "> 0"
    if time_kind == "numeric":
        return _numeric_length(value, param, sign, allow_zero)
    expected = (f"a Timedelta or pandas offset {sign} for datetime time, like '30D', "
                "'2W', 'MS' (calendar months) or 'QS'")
    if allow_zero and isinstance(value, numbers.Real) and not isinstance(value, bool) and (
            value == 0):
        return Length(fixed=0.0, text="0D")  # no gap: zero needs no unit
    if isinstance(value, (bool, numbers.Real)):
        raise InvalidParameterError(param_message(
            param, None, expected, value,
            f"Write the unit, e.g. {param}='{value}D' for {value} days."))
    td, off = _duration_or_offset(value, param, expected)
    if off is not None and isinstance(off, pd.offsets.Tick):
        td, off = pd.Timedelta(off), None
    if td is not None:
        if pd.isna(td) or td < pd.Timedelta(0) or (td == pd.Timedelta(0) and not allow_zero):
            raise InvalidParameterError(param_message(param, None, expected, value))
        return Length(fixed=float(td.value), text=str(value))
    assert off is not None
    if int(getattr(off, "n", 1)) <= 0:
        raise InvalidParameterError(param_message(param, None, expected, value))
    return Length(offset=off, text=str(value))


def _numeric_length(value: Any, param: str, sign: str, allow_zero: bool) -> Length:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not np.isfinite(float(value)) or float(value) < 0 or (
        float(value) == 0 and not allow_zero
    ):
        raise InvalidParameterError(param_message(
            param, None, f"a number {sign} for numeric time (in the time column's units)",
            value,
            "Window lengths such as '30D' apply only to a datetime time column."
            if isinstance(value, str) else None))
    return Length(fixed=float(value), text=f"{float(value):g}")


def _duration_or_offset(value: Any, param: str, expected: str) -> tuple[Any, Any]:
    """A datetime length as ``(Timedelta, None)`` or ``(None, calendar offset)``."""
    if isinstance(value, (pd.Timedelta, np.timedelta64, _dt.timedelta)):
        return pd.Timedelta(value), None
    if isinstance(value, pd.DateOffset):
        return None, value
    if not isinstance(value, str):
        raise InvalidParameterError(param_message(param, None, expected, value))
    text = value.strip()
    m = _LENGTH_RE.fullmatch(text)
    if m is not None and m.group(2) not in _TIMEDELTA_UNITS:
        # "MS", "12MS", "QS", "W-MON": calendar offsets (never milliseconds)
        try:
            return None, to_offset(text)
        except ValueError as exc:
            raise InvalidParameterError(param_message(param, None, expected, value)) from exc
    if m is not None and not m.group(1):
        text = "1" + text  # a bare unit: "D", "W", "h"
    try:
        return pd.Timedelta(text), None
    except ValueError:
        pass
    try:
        return None, to_offset(text)
    except ValueError as exc:
        raise InvalidParameterError(param_message(param, None, expected, value)) from exc


# ------------------------------------------------------------------------ time axis
def _first_unparsed(col: pd.Series) -> Any:
    """The first value of ``col`` that pandas cannot read as a datetime (for messages)."""
    try:
        parsed = pd.to_datetime(col, format="mixed", errors="coerce", utc=True)
    except (ValueError, TypeError):  # pragma: no cover - coerce should not raise
        return col.iloc[0]
    bad = np.flatnonzero(parsed.isna().to_numpy() & col.notna().to_numpy())
    return col.iloc[int(bad[0])] if len(bad) else col.iloc[0]


def _is_datetime(dtype: Any) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind == "M"


def _time_column(data: pd.DataFrame | None, time: Any, values: Any) -> tuple[pd.Series, str]:
    """The raw time values and their name: ``values``, the column ``time``, or the index."""
    if values is not None:
        return pd.Series(values), str(time)
    assert data is not None
    if time is None:
        return pd.Series(data.index, index=data.index), "index"
    check_columns([time], list(data.columns), "time", caller())
    return data[time], str(time)


def _numeric_times(col: pd.Series, name: str) -> np.ndarray:
    """A numeric time column as float64, refusing missing and infinite values."""
    arr = col.to_numpy(dtype=float)
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        msg = (f"The time column {name!r} has {int(bad.sum())} missing or infinite "
               f"value(s) (row positions {rows}). Drop or fill them before calling "
               f"{caller()}.")
        raise InvalidParameterError(msg)
    return arr


def _parse_datetimes(col: pd.Series, name: str) -> pd.Series:
    """Strings or objects parsed as datetimes (ISO 8601 first, then any format)."""
    try:
        with warnings.catch_warnings():
            # pandas 2 parses mixed offsets to objects with a FutureWarning (pandas 3
            # raises); either way the user gets the error below
            warnings.filterwarnings("ignore", ".*mixed time zones", FutureWarning)
            ser = pd.to_datetime(col, format="ISO8601")
    except (ValueError, TypeError) as exc:
        low = str(exc).lower()
        if "timezone" in low or "time zone" in low or "tz-aware" in low:
            msg = (f"The time column {name!r} mixes time zones or kinds of value. "
                   "Convert every value to one time zone, e.g. with "
                   "pandas.to_datetime(..., utc=True).")
            raise InvalidParameterError(msg) from exc
        try:
            ser = pd.to_datetime(col, format="mixed")
        except (ValueError, TypeError):
            first = _first_unparsed(col)
            reason = str(exc).splitlines()[0].split(" You might want")[0].rstrip(".")
            msg = (f"The time column {name!r} could not be parsed as datetimes "
                   f"(dtype {col.dtype}, first bad value {first!r}): {reason}. Convert it "
                   "with pandas.to_datetime, or pass numbers.")
            raise InvalidParameterError(msg) from exc
    if not _is_datetime(ser.dtype):
        msg = (f"The time column {name!r} mixes time zones or kinds of value (parsed "
               f"dtype {ser.dtype}). Convert every value to one time zone, e.g. with "
               "pandas.to_datetime(..., utc=True).")
        raise InvalidParameterError(msg)
    return ser


def _datetime_ns(ser: pd.Series, name: str) -> tuple[np.ndarray, Any]:
    """Datetimes as float nanoseconds since the epoch (UTC) and their time zone."""
    tz = ser.dt.tz if isinstance(ser.dtype, pd.DatetimeTZDtype) else None
    na = ser.isna().to_numpy()
    if na.any():
        rows = np.flatnonzero(na)[:5].tolist()
        msg = (f"The time column {name!r} has {int(na.sum())} missing value(s) (NaT; row "
               f"positions {rows}). Drop or fill them before calling {caller()}.")
        raise InvalidParameterError(msg)
    if tz is not None:
        ns = ser.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    else:
        ns = ser.astype("datetime64[ns]")
    return ns.to_numpy().view("int64").astype(float), tz


class TimeAxis:
    """The time column, parsed once and sorted once.

    Datetime values are held as int64 nanoseconds since the epoch (UTC for tz-aware
    columns, whose zone is kept for display and calendar arithmetic); numeric values as
    float64.
    """

    def __init__(self, values: np.ndarray, kind: TimeKind, tz: Any, name: str) -> None:
        self.kind: TimeKind = kind
        self.tz = tz
        self.name = name
        self.values = values
        # rows already in time order (common: logs, exports) need no sort and no copy
        self.is_sorted = bool(np.all(values[1:] >= values[:-1]))
        if self.is_sorted:
            self.order = np.arange(len(values))
            self.sorted = values
        else:
            self.order = np.argsort(values, kind="stable")
            self.sorted = values[self.order]
        self.t_min = self.sorted[0]
        self.t_max = self.sorted[-1]
        diffs = np.diff(self.sorted)
        diffs = diffs[diffs > 0]  # steps between distinct stamps
        if len(diffs):
            self.resolution = float(np.min(diffs))
        else:
            self.resolution = float(NS_PER_DAY) if kind == "datetime" else 1.0
        # the data cover [t_min, t_max + resolution): a daily series ends a day after its
        # last stamp, so a 30-day window holding 30 daily rows is complete.
        self.data_end = float(self.t_max) + self.resolution

    # conversion --------------------------------------------------------------
    def to_stamp(self, v: float) -> Any:
        if self.kind == "numeric":
            return float(v)
        ts = pd.Timestamp(round(v), unit="ns", tz="UTC" if self.tz else None)
        return ts.tz_convert(self.tz) if self.tz else ts

    def from_stamp(self, ts: Any) -> float:
        if self.kind == "numeric":
            return float(ts)
        t = pd.Timestamp(ts)
        if self.tz is not None and t.tz is None:
            t = t.tz_localize(self.tz)
        elif self.tz is None and t.tz is not None:
            t = t.tz_convert(None)
        return float(t.value)

    def to_stamps(self, v: np.ndarray) -> Any:
        """Vectorised :meth:`to_stamp`: a DatetimeIndex (in the column's zone) or floats."""
        if self.kind == "numeric":
            return v.astype(float)
        out = pd.to_datetime(v.astype("int64"), unit="ns")
        if self.tz is not None:
            out = out.tz_localize("UTC").tz_convert(self.tz)
        return out

    def shift(self, v: float, length: Length, k: float = 1.0, *, relative: bool = True) -> float:
        """``v + k * length`` (k may be negative)."""
        if length.fixed is not None:
            return v + k * length.fixed
        assert length.offset is not None
        off = _relative_offset(length.offset) if relative else length.offset
        ts = self.to_stamp(v)
        kk = int(k)
        if kk != k:
            msg = "Calendar offsets can only be shifted by whole steps."
            raise InvalidParameterError(msg)
        return self.from_stamp(ts + kk * off)

    def span_text(self) -> str:
        if self.kind == "numeric":
            return f"{self.t_min:g} to {self.t_max:g} (span {self.data_end - self.t_min:g})"
        days = (self.data_end - self.t_min) / NS_PER_DAY
        return (f"{self.to_stamp(self.t_min)} to {self.to_stamp(self.t_max)} "
                f"({days:.4g} days)")

    # construction --------------------------------------------------------------
    @classmethod
    def from_column(cls, data: pd.DataFrame | None, time: Any, func: str | None = None,
                    values: Any = None) -> TimeAxis:
        """Parse the ``time`` column of ``data`` (its index for None, or ``values``).

        Datetime columns (naive or tz-aware) and numbers are taken as they are; strings
        are parsed as datetimes. Every failure raises a message that names the column and
        ``func`` (default: the running public function).

        Examples
        --------
        >>> import pandas as pd
        >>> from oot.windows import TimeAxis
        >>> df = pd.DataFrame({"ts": ["2024-01-03", "2024-01-01", "2024-01-02"]})
        >>> ax = TimeAxis.from_column(df, "ts")
        >>> ax.kind, ax.order.tolist(), ax.to_stamp(ax.t_min)
        ('datetime', [1, 2, 0], Timestamp('2024-01-01 00:00:00'))
        """
        with _named(func):
            col, name = _time_column(data, time, values)
            if len(col) == 0:
                msg = (f"The 'data' parameter of {caller()} must have at least one row. "
                       "Got an empty DataFrame instead.")
                raise InvalidParameterError(msg)
            dtype = col.dtype
            if _is_datetime(dtype):
                ser = col
            elif dtype.kind in "iuf":
                return cls(_numeric_times(col, name), "numeric", None, name)
            elif dtype.kind == "b":
                raise InvalidParameterError(param_message(
                    "time", None, "a column of datetimes or numbers", f"{name} (dtype bool)"))
            else:
                ser = _parse_datetimes(col, name)
            arr, tz = _datetime_ns(ser, name)
            return cls(arr, "datetime", tz, name)


# ---------------------------------------------------------------------------- plan
@dataclass(frozen=True, eq=False)
class WindowPlan:
    """The anchors and windows as index ranges over the sorted time axis.

    Per anchor (arrays of length ``n_anchors``): ``cutoff``, ``train_start``,
    ``train_lo``, ``train_hi``. Per window (arrays of length ``n_windows``):
    ``anchor_idx`` (0-based), ``window`` (1-based within its anchor), ``start``, ``end``,
    ``lo``, ``hi``, ``partial`` and ``age``. Times are in the axis' units (ns or numbers).
    """

    axis: TimeAxis
    cutoff: np.ndarray
    train_start: np.ndarray
    train_lo: np.ndarray
    train_hi: np.ndarray
    anchor_idx: np.ndarray
    window: np.ndarray
    start: np.ndarray
    end: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    partial: np.ndarray
    age: np.ndarray

    @property
    def n_anchors(self) -> int:
        return len(self.cutoff)

    @property
    def n_windows(self) -> int:
        return len(self.start)

    def eval_range(self, a: int) -> tuple[int, int]:
        """Sorted-row range ``[lo, hi)`` covering all of anchor ``a``'s windows."""
        sel = self.anchor_idx == a
        return int(self.lo[sel].min()), int(self.hi[sel].max())

    def to_frame(self) -> pd.DataFrame:
        """The plan as a tidy table: one row per anchor x window."""
        ax = self.axis
        stamps = ax.to_stamps
        ai = self.anchor_idx
        age: Any = (pd.to_timedelta(self.age.astype("int64"), unit="ns")
                    if ax.kind == "datetime" else self.age.astype(float))
        return pd.DataFrame({
            "anchor": (ai + 1).astype("int64"),
            "cutoff": stamps(self.cutoff[ai]),
            "train_start": stamps(self.train_start[ai]),
            "n_train": (self.train_hi - self.train_lo)[ai].astype("int64"),
            "window": self.window.astype("int64"),
            "window_start": stamps(self.start),
            "window_end": stamps(self.end),
            "age": age,
            "n": (self.hi - self.lo).astype("int64"),
            "partial": self.partial.astype(bool),
        })


class _Lengths(NamedTuple):
    """The parsed window lengths of a plan."""

    train: Length
    eval: Length
    gap: Length
    horizon: Length | None
    step: Length


class _Anchor(NamedTuple):
    """One anchor of a plan: its cutoff, training rows and windows ``(start, end, partial)``."""

    cutoff: float
    train_start: float
    train_lo: int
    train_hi: int
    windows: list[tuple[float, float, bool]]


def _window_bounds(ax: TimeAxis, first: float, limit: float, eval_window: Length,
                   ) -> list[tuple[float, float, bool]]:
    """Consecutive windows from ``first`` (or the next calendar boundary) up to ``limit``."""
    out: list[tuple[float, float, bool]] = []
    if eval_window.is_calendar:
        assert eval_window.offset is not None
        off = eval_window.offset
        base = off.base if hasattr(off, "base") else off
        ts = ax.to_stamp(first)
        cand = base.rollforward(ts.normalize())
        if cand < ts:
            cand = cand + base
        s = ax.from_stamp(cand)
    else:
        assert eval_window.fixed is not None
        s = first
    while s < limit:
        if eval_window.is_calendar:
            e = ax.from_stamp(ax.to_stamp(s) + eval_window.offset)
        else:
            assert eval_window.fixed is not None
            e = s + eval_window.fixed
        if e <= limit:
            out.append((s, e, False))
        else:
            if (limit - s) >= 0.5 * (e - s):
                out.append((s, limit, True))
            break
        s = e
    return out


def make_plan(
    ax: TimeAxis,
    *,
    func: str | None = None,
    train_window: Any,
    eval_window: Any,
    gap: Any = None,
    horizon: Any = None,
    anchors: Any = 1,
    anchor_step: Any = None,
    expanding: bool = False,
) -> WindowPlan:
    """Compute the window plan for a parsed time axis; check every argument.

    Three steps: parse the lengths, place the cutoffs, then lay out each anchor's
    training rows and evaluation windows. Messages name ``func`` (default: the running
    public function).

    Examples
    --------
    >>> import pandas as pd
    >>> from oot.windows import TimeAxis, make_plan
    >>> df = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=120, freq="D")})
    >>> plan = make_plan(TimeAxis.from_column(df, "ts"), train_window="60D",
    ...                  eval_window="30D", anchors=2)
    >>> plan.n_anchors, plan.n_windows, plan.hi.tolist()
    (2, 3, [90, 120, 120])
    """
    with _named(func):
        lengths = _parse_lengths(ax.kind, train_window, eval_window, gap, horizon,
                                 anchor_step, expanding)
        cutoffs, explicit = _cutoffs(ax, anchors, lengths)
        plans = [_plan_anchor(ax, j, c, lengths, explicit=explicit, expanding=expanding)
                 for j, c in enumerate(cutoffs)]
        return _assemble(ax, plans)


def _parse_lengths(kind: TimeKind, train_window: Any, eval_window: Any, gap: Any,
                   horizon: Any, anchor_step: Any, expanding: Any) -> _Lengths:
    tw = parse_length(train_window, "train_window", kind)
    ew = parse_length(eval_window, "eval_window", kind)
    if gap is None:
        gap = 0 if kind == "numeric" else "0D"
    gp = parse_length(gap, "gap", kind, allow_zero=True)
    hz = parse_length(horizon, "horizon", kind, allow_none=True)
    if not isinstance(expanding, (bool, np.bool_)):
        raise InvalidParameterError(param_message("expanding", None, "a bool", expanding))
    st = ew if anchor_step is None else parse_length(anchor_step, "anchor_step", kind)
    assert tw is not None
    assert ew is not None
    assert gp is not None
    assert st is not None
    return _Lengths(tw, ew, gp, hz, st)


def _cutoffs(ax: TimeAxis, anchors: Any, lengths: _Lengths) -> tuple[list[float], bool]:
    """The sorted cutoffs, and whether the user listed them (``anchors=[...]``)."""
    if isinstance(anchors, (bool, np.bool_)) or not (
        isinstance(anchors, numbers.Integral)
        or (isinstance(anchors, Sequence) and not isinstance(anchors, str))
        or isinstance(anchors, (np.ndarray, pd.Index, pd.Series))
    ):
        raise InvalidParameterError(param_message(
            "anchors", None, "a positive int (how many anchors) or a list of cutoffs",
            anchors))
    if isinstance(anchors, numbers.Integral):
        check_scalar(anchors, "anchors", caller(), kind="int", low=1,
                     fix="Use anchors=1 for a single training cutoff.")
        c1 = ax.shift(float(ax.t_min), lengths.train, 1)
        return [ax.shift(c1, lengths.step, j) for j in range(int(anchors))], False
    vals = list(anchors)
    if len(vals) == 0:
        raise InvalidParameterError(param_message(
            "anchors", None, "a positive int or a non-empty list of cutoffs", anchors))
    cutoffs: list[float] = []
    for v in vals:
        try:
            cutoffs.append(ax.from_stamp(v) if ax.kind == "datetime" else float(v))
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(param_message(
                "anchors", None,
                "a list of cutoffs of the time column's kind ("
                + ("timestamps" if ax.kind == "datetime" else "numbers") + ")", v)) from exc
    cutoffs = sorted(cutoffs)
    if len(set(cutoffs)) != len(cutoffs):
        raise InvalidParameterError(param_message(
            "anchors", None, "a list of distinct cutoffs", anchors))
    return cutoffs, True


def _plan_anchor(ax: TimeAxis, j: int, c: float, lengths: _Lengths, *, explicit: bool,
                 expanding: bool) -> _Anchor:
    """Anchor ``j`` (0-based) with cutoff ``c``: training rows and evaluation windows."""
    tw, ew, gp = lengths.train, lengths.eval, lengths.gap
    train_start = float(ax.t_min) if expanding else ax.shift(c, tw, -1)
    first = ax.shift(c, gp, 1) if gp.is_calendar else c + (gp.fixed or 0.0)
    limit = ax.data_end
    if lengths.horizon is not None:
        limit = min(limit, ax.shift(c, lengths.horizon, 1))
    if explicit and (c <= float(ax.t_min) or c >= ax.data_end):
        raise InvalidParameterError(param_message(
            "anchors", None, f"cutoffs inside the data's time span {ax.span_text()}",
            ax.to_stamp(c), "Choose cutoffs after the first and before the last timestamp."))
    lo_tr = int(np.searchsorted(ax.sorted, train_start, side="left"))
    hi_tr = int(np.searchsorted(ax.sorted, c, side="left"))
    bounds = _window_bounds(ax, first, limit, ew)
    func = caller()
    if not bounds:
        if j == 0 and not explicit:
            need = ax.shift(first, ew, 1)
            msg = (f"The window plan of {func} leaves no evaluation window: the data span "
                   f"{ax.span_text()}; training on train_window={tw.text!r} from the first "
                   f"timestamp ends at {ax.to_stamp(c)}, and the first evaluation window "
                   f"(eval_window={ew.text!r}, gap={gp.text!r}) would end at "
                   f"{ax.to_stamp(need)}. Reduce train_window or eval_window, or add data.")
            raise InvalidParameterError(msg)
        msg = (f"The 'anchors' parameter of {func} asks for more anchors than the data "
               f"hold: anchor {j + 1} (cutoff {ax.to_stamp(c)}) has no evaluation window "
               f"before the data end ({ax.to_stamp(ax.t_max)}). Use anchors={j} or fewer, "
               "a smaller anchor_step, a shorter eval_window or gap, or add data.")
        raise InvalidParameterError(msg)
    if hi_tr - lo_tr < 1:
        msg = (f"Anchor {j + 1} of {func} (cutoff {ax.to_stamp(c)}) has no training rows "
               f"between {ax.to_stamp(train_start)} and its cutoff. Choose a longer "
               "train_window or other cutoffs.")
        raise InvalidParameterError(msg)
    return _Anchor(c, train_start, lo_tr, hi_tr, bounds)


def _assemble(ax: TimeAxis, anchors: list[_Anchor]) -> WindowPlan:
    """The per-window arrays of the plan: row ranges by ``searchsorted`` and ages."""
    rows = [(j, k, s, e, part) for j, a in enumerate(anchors)
            for k, (s, e, part) in enumerate(a.windows, start=1)]
    anchor_idx = np.array([r[0] for r in rows], dtype=np.int64)
    start = np.array([r[2] for r in rows], dtype=float)
    end = np.array([r[3] for r in rows], dtype=float)
    partial = np.array([r[4] for r in rows], dtype=bool)
    t_sorted = ax.sorted
    lo = np.searchsorted(t_sorted, start, side="left").astype(np.int64)
    hi = np.searchsorted(t_sorted, end, side="left").astype(np.int64)
    # a partial window ends at the data end: include the last stamps
    hi = np.where(partial & (end >= ax.data_end), len(t_sorted), hi)
    cut = np.array([a.cutoff for a in anchors], dtype=float)
    age = (start + end) / 2.0 - cut[anchor_idx]
    if ax.kind == "datetime":
        age = np.round(age)
    return WindowPlan(
        axis=ax, cutoff=cut, train_start=np.array([a.train_start for a in anchors], dtype=float),
        train_lo=np.array([a.train_lo for a in anchors], dtype=np.int64),
        train_hi=np.array([a.train_hi for a in anchors], dtype=np.int64),
        anchor_idx=anchor_idx, window=np.array([r[1] for r in rows], dtype=np.int64),
        start=start, end=end, lo=lo, hi=hi, partial=partial, age=age,
    )


# ------------------------------------------------------------------- the splitter
# array-likes taken as the timestamps themselves; any other ``time`` names a column of X
_TIME_ARRAYS = (pd.Series, pd.Index, np.ndarray, list, pd.api.extensions.ExtensionArray)
_SPLIT_PARAMS = ("anchor_step", "anchors", "eval_window", "expanding", "gap", "horizon",
                 "time", "train_window")


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(X)
    except TypeError as exc:
        raise InvalidParameterError(param_message(
            "X", None, "an array-like of samples (a DataFrame, an array or a list)",
            type(X).__name__)) from exc


def _param_text(value: Any) -> str:
    """A parameter's text in ``repr``, as scikit-learn's splitters print it."""
    return str(value) if isinstance(value, float) else repr(value)


def _short_repr(time: Any) -> str:
    """The ``time`` parameter's text: arrays of timestamps are summarised."""
    if isinstance(time, _TIME_ARRAYS):
        label = getattr(time, "name", None)
        named = "" if label is None else f" {label!r}"
        return f"<{type(time).__name__}{named} of {len(time)} values>"
    return _param_text(time)


def _aligned_times(values: Any, X: Any, param: str, *, by_label: bool) -> Any:
    """``values`` (timestamps) with one value per row of ``X``, checked.

    A Series is aligned on ``X``'s index labels when ``by_label`` and ``X`` has an index
    (so a subset of the rows, as in nested cross-validation, finds its own times); any
    other array is taken by position.
    """
    if X is None:
        return values
    n = _n_rows(X)
    index = getattr(X, "index", None)
    if by_label and isinstance(values, pd.Series) and isinstance(index, pd.Index):
        if values.index.equals(index):
            return values
        missing = ~index.isin(values.index)
        if not values.index.is_unique or missing.any():
            got = ("a Series with repeated index labels" if not values.index.is_unique else
                   f"a Series without {int(missing.sum())} of X's {n} index labels, e.g. "
                   f"{index[missing].tolist()[0]!r}")
            raise InvalidParameterError(param_message(
                param, None, "a Series with a timestamp for every index label of X", got,
                f"Align the Series with X, or pass {param}=series.to_numpy() to match "
                "the rows by position."))
        return values.loc[index]
    if len(values) != n:
        raise InvalidParameterError(param_message(
            param, None, f"an array of length {n} (one timestamp per row of X)",
            f"an array of shape {np.shape(values)}"))
    return values


def _window_splits(p: WindowPlan) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    order = p.axis.order
    for i in range(p.n_windows):
        a = int(p.anchor_idx[i])
        yield np.sort(order[p.train_lo[a]:p.train_hi[a]]), np.sort(order[p.lo[i]:p.hi[i]])


def _anchor_splits(p: WindowPlan) -> Iterator[tuple[np.ndarray, list[np.ndarray]]]:
    order = p.axis.order
    for a in range(p.n_anchors):
        train = np.sort(order[p.train_lo[a]:p.train_hi[a]])
        sel = np.flatnonzero(p.anchor_idx == a)
        yield train, [np.sort(order[p.lo[i]:p.hi[i]]) for i in sel]


class OutOfTimeSplit:
    """Out-of-time splitter over calendar time, with scikit-learn's splitter protocol.

    Unlike :class:`sklearn.model_selection.TimeSeriesSplit`, which counts samples, the
    windows here are spans of time, so unsorted rows and repeated timestamps are fine.
    It works wherever scikit-learn takes a ``cv`` (``cross_validate``,
    ``cross_val_score``, ``GridSearchCV``, ``RandomizedSearchCV``), and ``clone`` copies
    it (:meth:`get_params` / :meth:`set_params`).

    Parameters
    ----------
    time : array-like, str or None, default=None
        Where the time of each row of ``X`` comes from (datetimes, naive or tz-aware, or
        numbers):

        - an array-like (Series, Index, ndarray, list): the timestamps themselves, one
          per row of ``X``, bound at construction. A Series is matched to ``X``'s rows
          by index label when ``X`` has an index (nested cross-validation passes a
          subset of the rows and each finds its time), other arrays by position. This is
          the way to cross-validate: ``X`` then holds the features only;
        - None: the ``groups`` passed to :meth:`split` if any (scikit-learn routes
          ``cross_validate(..., groups=...)`` and ``GridSearchCV.fit(..., groups=...)``
          to the splitter), else ``X``'s index (a DatetimeIndex or a numeric index; a
          default RangeIndex counts rows, not time, and is refused);
        - a column name: that column of a DataFrame ``X``, for :meth:`plan` and
          :meth:`split_anchors` on a whole frame. Do not cross-validate on such an ``X``:
          the time column would reach the model as a feature.
    train_window : str, Timedelta, offset or number
        Length of each anchor's training window (``"365D"``, ``"12MS"``; a number for
        numeric time).
    eval_window : str, Timedelta, offset or number
        Length of each evaluation window (``"30D"``, ``"2W"``, calendar ``"MS"``, ``"QS"``).
    gap : str, Timedelta or number, default=0
        Label latency / deployment delay between the cutoff and the first window.
    horizon : str, Timedelta, number or None, default=None
        Evaluate only rows younger than ``cutoff + horizon``; None evaluates up to the
        end of the data.
    anchors : int or list, default=1
        How many anchors, or an explicit list of cutoffs.
    anchor_step : length or None, default=None
        Spacing of the anchors; defaults to ``eval_window``.
    expanding : bool, default=False
        Train on everything before the cutoff instead of a sliding ``train_window``.

    See Also
    --------
    oot.evaluate_out_of_time : Fits each anchor once and scores all its windows, with
        standard errors; what the retraining recommendation is built on.
    sklearn.model_selection.TimeSeriesSplit : Splits by counts of samples.

    Notes
    -----
    :meth:`split` yields one ``(train, test)`` pair per anchor x evaluation window, in
    anchor order then window order: ``train`` are the positions (into ``X``) of the
    anchor's training rows and ``test`` those of one evaluation window, so
    ``cross_validate`` gives one score per window, in the order of the rows of
    :meth:`plan` (which holds each window's model age). ``cross_validate`` refits the
    anchor's model for each of its windows; :func:`oot.evaluate_out_of_time` fits each
    anchor once. :meth:`split_anchors` yields one ``(train, [test, ...])`` per anchor.

    The number of splits depends on the data's time span: :meth:`get_n_splits` needs
    ``X`` (or ``groups``) unless the times are bound with ``time=``. Passing both a bound
    ``time`` and ``groups`` is refused rather than letting one silently win.

    Examples
    --------
    Cross-validation with the times bound at construction (``X`` holds only features):

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from oot import OutOfTimeSplit
    >>> from oot.datasets import make_drifting_classification
    >>> ds = make_drifting_classification(3000, random_state=0)
    >>> X, y = ds.frame[ds.features], ds.frame[ds.target]
    >>> cv = OutOfTimeSplit(time=ds.frame["time"], train_window="365D",
    ...                     eval_window="90D", anchors=2, anchor_step="180D")
    >>> cv
    OutOfTimeSplit(anchor_step='180D', anchors=2, eval_window='90D', expanding=False,
            gap=0, horizon=None, time=<Series 'time' of 3000 values>,
            train_window='365D')
    >>> cv.get_n_splits()
    6
    >>> res = cross_validate(LogisticRegression(), X, y, cv=cv, scoring="roc_auc")
    >>> scores = cv.plan(X)[["anchor", "window", "age", "n"]]
    >>> scores["roc_auc"] = res["test_score"].round(3)
    >>> scores   # one score per window: the older the model, the lower its AUC
       anchor  window      age    n  roc_auc
    0       1       1  45 days  389    0.797
    1       1       2 135 days  359    0.792
    2       1       3 225 days  397    0.747
    3       1       4 315 days  380    0.693
    4       2       1  45 days  397    0.795
    5       2       2 135 days  380    0.765

    The same splits from a time index, or from ``groups``:

    >>> X_indexed = X.set_axis(ds.frame["time"])
    >>> cv_index = OutOfTimeSplit(train_window="365D", eval_window="90D", anchors=2,
    ...                           anchor_step="180D")
    >>> cv_index.get_n_splits(X_indexed), cv_index.get_n_splits(X, groups=ds.frame["time"])
    (6, 6)

    On a frame holding its time column, :meth:`plan` previews the windows:

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=120, freq="D"),
    ...                       "x": range(120)})
    >>> split = OutOfTimeSplit(time="ts", train_window="60D", eval_window="30D")
    >>> train, test = next(split.split(frame))
    >>> len(train), len(test), int(test.min())
    (60, 30, 60)
    >>> split.plan(frame)[["anchor", "window", "n", "age"]]
       anchor  window   n     age
    0       1       1  30 15 days
    1       1       2  30 45 days
    """

    def __init__(
        self,
        *,
        time: Any = None,
        train_window: Any,
        eval_window: Any,
        gap: Any = 0,
        horizon: Any = None,
        anchors: Any = 1,
        anchor_step: Any = None,
        expanding: bool = False,
    ) -> None:
        # stored as given (checked when splitting), as scikit-learn's clone() requires
        self.time = time
        self.train_window = train_window
        self.eval_window = eval_window
        self.gap = gap
        self.horizon = horizon
        self.anchors = anchors
        self.anchor_step = anchor_step
        self.expanding = expanding

    # scikit-learn's parameter protocol -------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters, by name (``deep`` is accepted and ignored).

        Examples
        --------
        >>> from oot import OutOfTimeSplit
        >>> OutOfTimeSplit(train_window="60D", eval_window="30D").get_params()["gap"]
        0
        """
        return {name: getattr(self, name) for name in _SPLIT_PARAMS}

    @entry_point("OutOfTimeSplit.set_params")
    def set_params(self, **params: Any) -> OutOfTimeSplit:
        """Set constructor parameters by name; returns the splitter.

        Examples
        --------
        >>> from oot import OutOfTimeSplit
        >>> OutOfTimeSplit(train_window="60D", eval_window="30D").set_params(gap="7D")
        OutOfTimeSplit(anchor_step=None, anchors=1, eval_window='30D', expanding=False,
                gap='7D', horizon=None, time=None, train_window='60D')
        """
        for name, value in params.items():
            if name not in _SPLIT_PARAMS:
                hint = closest(name, _SPLIT_PARAMS)
                listed = ", ".join(repr(p) for p in _SPLIT_PARAMS)
                raise InvalidParameterError(param_message(
                    "params", None, f"names of OutOfTimeSplit's parameters ({listed})",
                    name, f"Did you mean {hint!r}?" if hint else None))
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        # laid out as scikit-learn's splitters print (sorted names, lines under 75)
        name = type(self).__name__
        sep = ",\n" + " " * (1 + len(name) // 2)
        text, width = "", len(name)
        for i, (key, value) in enumerate(sorted(self.get_params().items())):
            item = f"{key}={_short_repr(value) if key == 'time' else _param_text(value)}"
            if i > 0:
                if width + len(item) >= 75:
                    text, width = text + sep, len(sep)
                else:
                    text, width = text + ", ", width + 2
            text, width = text + item, width + len(item)
        return f"{name}({text})"

    def get_metadata_routing(self) -> Any:
        """scikit-learn's metadata routing: :meth:`split` takes ``groups`` (as the time).

        Only read when ``sklearn.set_config(enable_metadata_routing=True)``; then pass
        the times as ``params={"groups": times}``.
        """
        from sklearn.utils.metadata_routing import MetadataRequest  # lazy: keep import light

        request = MetadataRequest(owner=type(self).__name__)
        request.split.add_request(param="groups", alias=True)
        return request

    # the windows --------------------------------------------------------------------
    def _time_axis(self, X: Any, groups: Any) -> TimeAxis:
        """The time of the rows of ``X``, from ``time``, ``groups`` or ``X``'s index."""
        time = self.time
        if groups is not None and time is not None:
            raise InvalidParameterError(param_message(
                "groups", None,
                f"None when the splitter has its own time (time={_short_repr(time)})",
                f"an array of shape {np.shape(groups)}",
                "Pass the times either as OutOfTimeSplit(time=...) or as groups, not both."))
        if X is not None and _n_rows(X) == 0:
            raise InvalidParameterError(param_message(
                "X", None, "data with at least one row", f"an empty {type(X).__name__}"))
        if isinstance(time, _TIME_ARRAYS):
            name = getattr(time, "name", None)
            return TimeAxis.from_column(None, "time" if name is None else name,
                                        values=_aligned_times(time, X, "time", by_label=True))
        if groups is not None:
            return TimeAxis.from_column(
                None, "groups", values=_aligned_times(groups, X, "groups", by_label=False))
        if X is None:
            raise InvalidParameterError(param_message(
                "X", None, "the data (the number of windows depends on its time span)", X,
                "Pass X, or bind the times with OutOfTimeSplit(time=...)."))
        if time is not None:  # a column of X
            if not isinstance(X, pd.DataFrame):
                raise InvalidParameterError(param_message(
                    "X", None, f"a pandas DataFrame holding the time column {time!r}",
                    type(X).__name__))
            return TimeAxis.from_column(X, time)
        index = getattr(X, "index", None)
        if not isinstance(index, pd.Index) or isinstance(index, pd.RangeIndex):
            found = ("X's index is a RangeIndex (row numbers, not times)"
                     if isinstance(index, pd.Index) else
                     f"X has no index (it is a {type(X).__name__})")
            raise InvalidParameterError(param_message(
                "time", None, "a column of X, an array of timestamps aligned with X, or "
                "None with the times in X's index or in groups", None,
                f"{found}: pass the times as OutOfTimeSplit(time=...), as "
                "split(X, y, groups=...), or as X's index."))
        return TimeAxis.from_column(pd.DataFrame(index=index), None)

    def _plan(self, X: Any, groups: Any = None) -> WindowPlan:
        return make_plan(self._time_axis(X, groups), train_window=self.train_window,
                         eval_window=self.eval_window, gap=self.gap, horizon=self.horizon,
                         anchors=self.anchors, anchor_step=self.anchor_step,
                         expanding=self.expanding)

    @entry_point("OutOfTimeSplit.split")
    def plan(self, X: Any = None, y: Any = None, groups: Any = None) -> pd.DataFrame:
        """The plan as a tidy table: one row per anchor x window, in :meth:`split`'s order.

        Columns: ``anchor``, ``cutoff``, ``train_start``, ``n_train``, ``window``,
        ``window_start``, ``window_end``, ``age`` (window midpoint minus cutoff), ``n``
        (rows in the window) and ``partial``. ``X`` and ``groups`` as in :meth:`split`
        (``X`` may be omitted when the times are bound with ``time=``); ``y`` is ignored.
        """
        return self._plan(X, groups).to_frame()

    @entry_point("OutOfTimeSplit.split")
    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[
            tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` positions into ``X``, one pair per anchor x window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data; its index is the time when ``time`` is None and no ``groups`` are
            given.
        y : array-like, default=None
            Ignored; exists for compatibility.
        groups : array-like of shape (n_samples,), default=None
            The time of each row, when ``time`` is None.

        Yields
        ------
        train : ndarray of int
            Positions of the anchor's training rows.
        test : ndarray of int
            Positions of the rows of one evaluation window.

        The plan is checked when ``split`` is called, before the first pair is drawn.
        """
        return _window_splits(self._plan(X, groups))

    @entry_point("OutOfTimeSplit.split")
    def split_anchors(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[
            tuple[np.ndarray, list[np.ndarray]]]:
        """Yield ``(train, [test_1, test_2, ...])`` positions, one item per anchor."""
        return _anchor_splits(self._plan(X, groups))

    @entry_point("OutOfTimeSplit.get_n_splits")
    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of (anchor, window) splits that :meth:`split` yields for this data.

        ``X`` (or ``groups``) is needed unless the times are bound with ``time=``: the
        windows depend on the data's time span.
        """
        return self._plan(X, groups).n_windows
