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

import contextlib
import dataclasses
import datetime as _dt
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn, overload

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
    is_number,
    param_message,
)

__all__ = ["OutOfTimeSplit", "TimeAxis", "WindowPlan", "make_plan", "parse_length"]

_NS_MIN, _NS_MAX = int(pd.Timestamp.min.value), int(pd.Timestamp.max.value)
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
    """A window length: fixed (int ns for datetime, a number for numeric) or calendar."""

    fixed: int | float | None = None
    offset: pd.DateOffset | None = None
    text: str = ""
    param: str = ""  # the parameter it was given as, for messages

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


def _to_offset(text: str) -> Any:
    """pandas' ``to_offset``; the deprecation warnings pandas 2 gives on the way to
    refusing a string ("'e' is deprecated" for "1e9D") are dropped with the refusal,
    and passed on when the string is accepted."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        offset = to_offset(text)  # a ValueError leaves the warnings behind
    for w in seen:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return offset


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
        length = _parse_length(value, param, time_kind, allow_zero, allow_none)
        return None if length is None else dataclasses.replace(length, param=param)


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
    if allow_zero and is_number(value) and value == 0:
        return Length(fixed=0, text="0D")  # no gap: zero needs no unit
    if isinstance(value, (bool, np.bool_)) or is_number(value):
        raise InvalidParameterError(param_message(
            param, None, expected, value,
            f"Write the unit, e.g. {param}='{value}D' for {value} days."))
    td, off = _duration_or_offset(value, param, expected)
    if off is not None and isinstance(off, pd.offsets.Tick):
        td, off = pd.Timedelta(off), None
    if td is not None:
        if pd.isna(td) or td < pd.Timedelta(0) or (td == pd.Timedelta(0) and not allow_zero):
            raise InvalidParameterError(param_message(param, None, expected, value))
        try:
            ns = int(td.as_unit("ns").value)
        except (OverflowError, ValueError) as exc:  # OutOfBoundsTimedelta
            raise InvalidParameterError(param_message(
                param, None, "a length of at most 106,751 days (292 years: the nanosecond "
                "range oot computes with)", value)) from exc
        return Length(fixed=ns, text=_length_text(value))
    assert off is not None
    if int(getattr(off, "n", 1)) <= 0:
        raise InvalidParameterError(param_message(param, None, expected, value))
    return Length(offset=off, text=str(value))


def _length_text(value: Any) -> str:
    """A datetime length as text for messages and params: ``'30D'``, ``'30 days'``."""
    if isinstance(value, (np.timedelta64, _dt.timedelta)):
        return str(pd.Timedelta(value))
    return str(value)


def _numeric_length(value: Any, param: str, sign: str, allow_zero: bool) -> Length:
    ok = is_number(value)
    if not ok or not np.isfinite(float(value)) or float(value) < 0 or (
        float(value) == 0 and not allow_zero
    ):
        raise InvalidParameterError(param_message(
            param, None, f"a number {sign} for numeric time (in the time column's units)",
            value,
            "Window lengths such as '30D' apply only to a datetime time column."
            if isinstance(value, (str, np.timedelta64, _dt.timedelta, pd.offsets.BaseOffset))
            else None))
    return Length(fixed=float(value), text=f"{float(value):g}")


def _duration_or_offset(value: Any, param: str, expected: str) -> tuple[Any, Any]:
    """A datetime length as ``(Timedelta, None)`` or ``(None, calendar offset)``."""
    if isinstance(value, (pd.Timedelta, np.timedelta64, _dt.timedelta)):
        return pd.Timedelta(value), None
    if isinstance(value, pd.offsets.BaseOffset):
        return None, value
    if not isinstance(value, str):
        raise InvalidParameterError(param_message(param, None, expected, value))
    text = value.strip()
    m = _LENGTH_RE.fullmatch(text)
    if m is not None and m.group(2) not in _TIMEDELTA_UNITS:
        # "MS", "12MS", "QS", "W-MON": calendar offsets (never milliseconds)
        try:
            return None, _to_offset(text)
        except ValueError as exc:
            raise InvalidParameterError(param_message(param, None, expected, value)) from exc
    if m is not None and not m.group(1):
        text = "1" + text  # a bare unit: "D", "W", "h"
    try:
        return pd.Timedelta(text), None
    except (OverflowError, pd.errors.OutOfBoundsTimedelta) as exc:
        raise InvalidParameterError(param_message(
            param, None, "a length of at most 106,751 days (292 years: the nanosecond "
            "range oot computes with)", value)) from exc
    except ValueError:
        pass
    try:
        return None, _to_offset(text)
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
    """Strings or objects parsed as datetimes: ISO 8601, else one format for all.

    Strings that are not ISO 8601 must all read with one format (``"%d/%m/%Y"``), never
    each with its own: pandas' ``format="mixed"`` reads ``"01/02/2020"`` month first and
    ``"13/01/2020"`` day first in the same column. When the column reads both day first
    and month first, that is ambiguous and refused, with the fix.
    """
    try:
        with warnings.catch_warnings():
            # pandas 2 parses mixed offsets to objects with a FutureWarning (pandas 3
            # raises); either way the user gets the error below
            warnings.filterwarnings("ignore", ".*mixed time zones", FutureWarning)
            ser = pd.to_datetime(col, format="ISO8601")
    except pd.errors.OutOfBoundsDatetime as exc:
        raise _out_of_bounds(col, name) from exc
    except (ValueError, TypeError) as exc:
        low = str(exc).lower()
        if "timezone" in low or "time zone" in low or "tz-aware" in low:
            msg = (f"The time column {name!r} mixes time zones or kinds of value. "
                   "Convert every value to one time zone, e.g. with "
                   "pandas.to_datetime(..., utc=True).")
            raise InvalidParameterError(msg) from exc
        ser = _parse_one_format(col, name, exc)
    if not _is_datetime(ser.dtype):
        msg = (f"The time column {name!r} mixes time zones or kinds of value (parsed "
               f"dtype {ser.dtype}). Convert every value to one time zone, e.g. with "
               "pandas.to_datetime(..., utc=True).")
        raise InvalidParameterError(msg)
    return ser


def _formats(col: pd.Series) -> list[str]:
    """The formats the column's first string could be written in (day and month first)."""
    from pandas.tseries.api import guess_datetime_format

    first = next((v for v in col if isinstance(v, str) and v.strip()), None)
    if first is None:
        return []
    out: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Parsing dates in %d/%m/%Y format when ..."
        for dayfirst in (False, True):
            fmt = guess_datetime_format(first, dayfirst=dayfirst)
            if fmt is None:
                continue
            both = "%d" in fmt and "%m" in fmt
            swapped = (fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
                       if both else fmt)
            months = [m.replace("%B", "%b") for m in (fmt, swapped)] + [
                m.replace("%b", "%B") for m in (fmt, swapped)]
            for f in dict.fromkeys([fmt, swapped, *months]):
                # year, day, month is no one's convention: "2020/01/02" is January 2
                ydm = "%Y" in f and both and f.index("%Y") < f.index("%d") < f.index("%m")
                if f not in out and not ydm:
                    out.append(f)
    return out


def _parse_one_format(col: pd.Series, name: str, iso_error: Exception) -> pd.Series:
    """``col`` read with the one format that reads all of it, else a clear refusal."""
    parsed: dict[str, pd.Series] = {}
    for fmt in _formats(col):
        try:
            parsed[fmt] = pd.to_datetime(col, format=fmt)
        except pd.errors.OutOfBoundsDatetime as exc:
            raise _out_of_bounds(col, name) from exc
        except (ValueError, TypeError):
            continue
    distinct = {f: s for f, s in parsed.items()
                if not any(s.equals(t) for g, t in parsed.items() if g < f)}
    if len(distinct) == 1:
        return next(iter(distinct.values()))
    if len(distinct) > 1:
        fmts = list(distinct)
        msg = (f"The time column {name!r} holds dates that read both day first and month "
               f"first (formats {fmts[0]!r} and {fmts[1]!r}; e.g. {col.iloc[0]!r}), so "
               "oot will not guess. Convert it first, e.g. data[" + repr(name) + "] = "
               f"pandas.to_datetime(data[{name!r}], format={fmts[0]!r}).")
        raise InvalidParameterError(msg)
    first = _first_unparsed(col)
    reason = str(iso_error).splitlines()[0].split(" You might want")[0].rstrip(".")
    msg = (f"The time column {name!r} could not be parsed as datetimes "
           f"(dtype {col.dtype}, first bad value {first!r}): {reason}. Convert it "
           "with pandas.to_datetime, or pass numbers. oot reads ISO 8601 strings, or "
           "strings that all follow one format (give it to pandas.to_datetime as "
           "format=...).")
    raise InvalidParameterError(msg) from iso_error


def _datetime_ns(ser: pd.Series, name: str) -> tuple[np.ndarray, Any]:
    """Datetimes as int64 nanoseconds since the epoch (UTC) and their time zone.

    Any datetime column pandas holds is taken: numpy's (any unit), pandas' tz-aware
    one and pyarrow timestamps (naive or tz-aware). Integers, not floats: a float64
    holds the nanoseconds of today's dates only to within 256 ns.
    """
    tz = getattr(ser.dt, "tz", None)
    na = ser.isna().to_numpy()
    if na.any():
        rows = np.flatnonzero(na)[:5].tolist()
        msg = (f"The time column {name!r} has {int(na.sum())} missing value(s) (NaT; row "
               f"positions {rows}). Drop or fill them before calling {caller()}.")
        raise InvalidParameterError(msg)
    try:
        utc = ser.dt.tz_convert("UTC").dt.tz_localize(None) if tz is not None else ser
        ns = utc.astype("datetime64[ns]")
    except (OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
        raise _out_of_bounds(ser, name) from exc
    return ns.to_numpy().view("int64"), tz


def _out_of_bounds(ser: pd.Series, name: str) -> InvalidParameterError:
    """The error for datetimes outside the nanosecond range pandas computes with."""
    lo, hi = pd.Timestamp.min, pd.Timestamp.max
    vals = ser.astype(object) if not isinstance(ser.dtype, pd.DatetimeTZDtype) else ser
    first = next((v for v in vals if not (lo.tz_localize(None) <= pd.Timestamp(v)
                  .tz_localize(None) <= hi)), vals.iloc[0]) if len(vals) else None
    with contextlib.suppress(ValueError, TypeError):
        if first is not None:  # a string shown as the date it reads as, under any pandas
            first = pd.Timestamp(first)
    msg = (f"The time column {name!r} holds dates outside the range oot computes with "
           f"(nanoseconds since 1970: {lo:%Y-%m-%d} to {hi:%Y-%m-%d}); the first is "
           f"{str(first)!r}. Convert the time to numbers (e.g. years or days since a start "
           "date) and pass numeric window lengths.")
    return InvalidParameterError(msg)


class TimeAxis:
    """The time column, parsed once and sorted once.

    Datetime values are held as int64 nanoseconds since the epoch (UTC for tz-aware
    columns, whose zone is kept for display and calendar arithmetic), and so are the
    cutoffs, window bounds and ages of a plan on them; numeric values as float64.
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
        num: Any = int if kind == "datetime" else float
        self.t_min: int | float = num(self.sorted[0])
        self.t_max: int | float = num(self.sorted[-1])
        diffs = np.diff(self.sorted)
        diffs = diffs[diffs > 0]  # steps between distinct stamps
        if len(diffs):
            self.resolution: int | float = num(np.min(diffs))
        else:
            self.resolution = NS_PER_DAY if kind == "datetime" else 1.0
        # the data cover [t_min, t_max + resolution): a daily series ends a day after its
        # last stamp, so a 30-day window holding 30 daily rows is complete.
        self.data_end: int | float = self.t_max + self.resolution

    # conversion --------------------------------------------------------------
    def to_stamp(self, v: float) -> Any:
        if self.kind == "numeric":
            return float(v)
        ts = pd.Timestamp(round(v), unit="ns", tz="UTC" if self.tz else None)
        return ts.tz_convert(self.tz) if self.tz else ts

    def from_stamp(self, ts: Any) -> Any:
        """A timestamp (or a number, for numeric time) in the axis' units: int ns."""
        if self.kind == "numeric":
            return float(ts)
        t = pd.Timestamp(ts)
        if self.tz is not None and t.tz is None:
            t = t.tz_localize(self.tz)
        elif self.tz is None and t.tz is not None:
            t = t.tz_convert(None)
        return int(t.as_unit("ns").value)

    def to_stamps(self, v: np.ndarray) -> Any:
        """Vectorised :meth:`to_stamp`: a DatetimeIndex (in the column's zone) or floats."""
        if self.kind == "numeric":
            return v.astype(float)
        out = pd.to_datetime(v.astype("int64"), unit="ns")
        if self.tz is not None:
            out = out.tz_localize("UTC").tz_convert(self.tz)
        return out

    def shift(self, v: Any, length: Length, k: int = 1, *, relative: bool = True) -> Any:
        """``v + k * length`` (k may be negative); a datetime past the nanosecond range
        pandas computes with (1677 to 2262) is refused, naming the length's parameter."""
        if length.fixed is not None:
            out = v + k * length.fixed
        else:
            assert length.offset is not None
            off = _relative_offset(length.offset) if relative else length.offset
            kk = int(k)
            if kk != k:
                msg = "Calendar offsets can only be shifted by whole steps."
                raise InvalidParameterError(msg)
            try:
                out = self.from_stamp(self.to_stamp(v) + kk * off)
            except (OverflowError, ValueError) as exc:  # OutOfBoundsDatetime
                raise self._beyond(length) from exc
        if self.kind == "datetime" and not _NS_MIN <= out <= _NS_MAX:
            raise self._beyond(length)
        return out

    def _beyond(self, length: Length) -> InvalidParameterError:
        return InvalidParameterError(param_message(
            length.param or "window length", None,
            f"a length that keeps the window plan's dates within {pd.Timestamp.min:%Y-%m-%d} "
            f"to {pd.Timestamp.max:%Y-%m-%d} (the nanosecond range oot computes with)",
            length.text, f"The data span {self.span_text()}."))

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
    ``lo``, ``hi``, ``partial`` and ``age``. Times are in the axis' units (int64 ns for
    datetime time, so that stamps nanoseconds apart stay apart; floats for numeric time).
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
    """One anchor of a plan: its cutoff, training rows and windows (arrays of their
    starts, ends and partial flags)."""

    cutoff: Any
    train_start: Any
    train_lo: int
    train_hi: int
    starts: np.ndarray
    ends: np.ndarray
    partial: np.ndarray


#: The most anchor x window pairs a plan may hold. Every pair costs memory in the
#: plan, in the scores table and in the bootstrap; a plan larger than this comes from
#: lengths that do not fit the data (``eval_window="30ms"`` on two years of data) and
#: is refused before it is built, with the count.
MAX_PLAN_WINDOWS = 1_000_000


def _window_bounds(ax: TimeAxis, first: Any, limit: Any, eval_window: Length,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consecutive windows from ``first`` (or the next calendar boundary) up to ``limit``.

    A window starts at or before the last timestamp (a later one cannot hold a row);
    the last one is kept, flagged partial and cut at ``limit``, when at least half of
    it lies before ``limit``.
    """
    dtype = np.int64 if ax.kind == "datetime" else float
    # the first start past the last timestamp: t_max + 1 ns, or the next float
    after = ax.t_max + 1 if ax.kind == "datetime" else float(np.nextafter(ax.t_max, np.inf))
    last = min(limit, after)
    if eval_window.is_calendar:
        assert eval_window.offset is not None
        off = eval_window.offset
        base = off.base if hasattr(off, "base") else off
        ts = ax.to_stamp(first)
        cand = base.rollforward(ts.normalize())
        if cand < ts:
            cand = cand + base
        s = ax.from_stamp(cand)
        starts: list[Any] = []
        ends: list[Any] = []
        while s < last:
            starts.append(s)
            s = ax.shift(s, eval_window, 1, relative=False)
            ends.append(s)
        start = np.array(starts, dtype=dtype)
        end = np.array(ends, dtype=dtype)
    else:
        step = eval_window.fixed
        assert step is not None
        if first >= last:
            return np.empty(0, dtype), np.empty(0, dtype), np.empty(0, bool)
        if ax.kind == "datetime":
            n = -(-(int(last) - int(first)) // int(step))
            start = int(first) + int(step) * np.arange(n, dtype=np.int64)
        else:
            # repeated addition, as the windows follow one another
            n = int(np.ceil((last - first) / step)) + 1
            start = np.cumsum(np.r_[float(first), np.full(n - 1, float(step))])
            start = start[start < last]
        end = start + step
    partial = end > limit
    keep = ~partial | ((limit - start) * 2 >= (end - start))
    keep &= np.cumsum(partial) <= 1  # nothing after the first window cut by the limit
    start, end, partial = start[keep], end[keep], partial[keep]
    end = np.where(partial, np.asarray(limit, dtype=dtype), end)
    return start, end, partial


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

    Four steps: parse the lengths, place the cutoffs, bound the plan's size (a plan of
    more than :data:`MAX_PLAN_WINDOWS` anchor x window pairs is refused before it is
    built), then lay out each anchor's training rows and evaluation windows. Messages
    name ``func`` (default: the running public function).

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
        _check_plan_size(ax, cutoffs, lengths)
        return _plan_anchors(ax, cutoffs, lengths, explicit=explicit, expanding=expanding)


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


def _shortest(ax: TimeAxis, length: Length, *, anchored: bool) -> float:
    """A lower bound of ``length``'s duration in the axis' units (calendar offsets vary:
    the shortest of the periods it gives over two years from the data's start)."""
    if length.fixed is not None:
        return float(length.fixed)
    assert length.offset is not None
    off = length.offset if anchored else _relative_offset(length.offset)
    base = off.base if anchored and hasattr(off, "base") else off
    t = ax.to_stamp(ax.t_min)
    shortest = np.inf
    for _ in range(24):
        try:
            if anchored:
                t = base.rollforward(t.normalize())
            nxt = t + off
            shortest = min(shortest, float(ax.from_stamp(nxt) - ax.from_stamp(t)))
        except (OverflowError, ValueError):  # past 2262: the shift itself says so later
            break
        t = nxt
    return max(shortest, 1.0)


def _cutoffs(ax: TimeAxis, anchors: Any, lengths: _Lengths) -> tuple[list[Any], bool]:
    """The sorted cutoffs, and whether the user listed them (``anchors=[...]``).

    A count of anchors is cut to one more than the data can hold (that one is refused
    with its own message): ``anchors=10**9`` costs no more than the anchors that fit.
    """
    if isinstance(anchors, (bool, np.bool_)) or not (
        is_number(anchors, integral=True)
        or (isinstance(anchors, Sequence) and not isinstance(anchors, str))
        or isinstance(anchors, (np.ndarray, pd.Index, pd.Series))
    ):
        raise InvalidParameterError(param_message(
            "anchors", None, "a positive int (how many anchors) or a list of cutoffs",
            anchors))
    if is_number(anchors, integral=True):
        check_scalar(anchors, "anchors", caller(), kind="int", low=1,
                     fix="Use anchors=1 for a single training cutoff.")
        c1 = ax.shift(ax.t_min, lengths.train, 1)
        # anchor j has a window only if c1 + j * step + gap <= t_max
        room = float(ax.t_max) - float(c1) - _shortest(ax, lengths.gap, anchored=False)
        fit = max(int(room // _shortest(ax, lengths.step, anchored=False)) + 1, 1)
        n = min(int(anchors), fit + 1)
        if n > MAX_PLAN_WINDOWS:
            _too_large("anchors", anchors, n, 1, ax, lengths)
        step = lengths.step.fixed
        if step is None or n < 2:
            return [ax.shift(c1, lengths.step, j) for j in range(n)], False
        ax.shift(c1, lengths.step, n - 1)  # the last one is in range, and so are the others
        dtype = np.int64 if ax.kind == "datetime" else float
        return (c1 + np.arange(n, dtype=dtype) * step).tolist(), False
    vals = list(anchors)
    if len(vals) == 0:
        raise InvalidParameterError(param_message(
            "anchors", None, "a positive int or a non-empty list of cutoffs", anchors))
    cutoffs: list[Any] = []
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


def _check_plan_size(ax: TimeAxis, cutoffs: list[Any], lengths: _Lengths) -> None:
    """Refuse, before it is built, a plan of more than :data:`MAX_PLAN_WINDOWS` pairs.

    The count is bounded from above from the lengths alone: each anchor holds at most
    one window per shortest ``eval_window`` from its first window to the last
    timestamp (or its horizon).
    """
    if not cutoffs:
        return
    shortest = _shortest(ax, lengths.eval, anchored=True)
    gap = _shortest(ax, lengths.gap, anchored=False)
    c = np.asarray(cutoffs, dtype=float)
    span = float(ax.t_max) - (c + gap)
    if lengths.horizon is not None and lengths.horizon.fixed is not None:
        span = np.minimum(span, float(lengths.horizon.fixed) - gap)
    per_anchor = np.floor(np.maximum(span, 0.0) / shortest) + 1
    total = float(per_anchor.sum())
    if total > MAX_PLAN_WINDOWS:
        worst = float(per_anchor.max())
        if worst * 10 > MAX_PLAN_WINDOWS or len(cutoffs) == 1:
            _too_large("eval_window", lengths.eval.text, len(cutoffs), worst, ax, lengths)
        _too_large("anchors", len(cutoffs), len(cutoffs), total / len(cutoffs), ax, lengths)


def _too_large(param: str, value: Any, n_anchors: int, per_anchor: float, ax: TimeAxis,
               lengths: _Lengths) -> NoReturn:
    """Raise the error for a plan of more than :data:`MAX_PLAN_WINDOWS` pairs, blaming
    ``param``: ``eval_window`` (too many windows per anchor) or ``anchors``."""
    ew, step, span = lengths.eval.text, lengths.step.text, ax.span_text()
    total = n_anchors * per_anchor
    if param == "eval_window":
        who = "one anchor" if n_anchors == 1 else f"each of the {n_anchors:,} anchors"
        why = (f"With eval_window={ew!r} on data spanning {span}, {who} would hold up to "
               f"{per_anchor:,.0f} windows ({total:,.0f} pairs). Use a longer eval_window, "
               "or a horizon.")
    elif per_anchor <= 1:
        why = (f"With anchor_step={step!r} on data spanning {span}, {n_anchors:,} anchors "
               "fit in the data, each with at least one window. Use fewer anchors or a "
               "longer anchor_step.")
    else:
        why = (f"With anchor_step={step!r} and eval_window={ew!r} on data spanning {span}, "
               f"the {n_anchors:,} anchors would hold about {total:,.0f} windows (up to "
               f"{per_anchor:,.0f} each). Use fewer anchors, a longer anchor_step or "
               "eval_window, or a horizon.")
    raise InvalidParameterError(param_message(
        param, None,
        f"small enough for the window plan to fit in memory (at most "
        f"{MAX_PLAN_WINDOWS:,} anchor x window pairs)", value, why))


#: From this many anchors on, fixed-length windows on datetime time are laid out for all
#: anchors at once (one anchor at a time costs ~50 us, so 10**5 anchors took seconds).
_MANY_ANCHORS = 64


def _plan_anchors(ax: TimeAxis, cutoffs: list[Any], lengths: _Lengths, *, explicit: bool,
                  expanding: bool) -> WindowPlan:
    """The plan of every anchor: :func:`_plan_anchor` for each, or the same plan computed
    with numpy for many anchors with a fixed ``eval_window`` on datetime time."""
    ew, tw, gp, hz = lengths.eval, lengths.train, lengths.gap, lengths.horizon

    def one_by_one() -> WindowPlan:
        return _assemble(ax, [_plan_anchor(ax, j, c, lengths, explicit=explicit,
                                           expanding=expanding)
                              for j, c in enumerate(cutoffs)])

    if ax.kind != "datetime" or ew.fixed is None or len(cutoffs) < _MANY_ANCHORS:
        return one_by_one()
    cut = np.array(cutoffs, dtype=np.int64)

    def shifted(length: Length, k: int) -> np.ndarray:
        # TimeAxis.shift of every cutoff (sorted: the first and last bound the others)
        if length.fixed is None:
            return np.array([ax.shift(c, length, k) for c in cutoffs], dtype=np.int64)
        d = k * int(length.fixed)
        if not (int(cut[0]) + d >= _NS_MIN and int(cut[-1]) + d <= _NS_MAX):
            raise ax._beyond(length)
        return cut + d

    try:
        train_start = (np.full(len(cut), ax.t_min, dtype=np.int64) if expanding
                       else shifted(tw, -1))
        first = shifted(gp, 1)
        limit = np.full(len(cut), ax.data_end, dtype=np.int64)
        if hz is not None:
            limit = np.minimum(limit, shifted(hz, 1))
    except InvalidParameterError:  # a date past 2262: raised for the right anchor
        return one_by_one()
    lo_tr = np.searchsorted(ax.sorted, train_start, side="left")
    hi_tr = np.searchsorted(ax.sorted, cut, side="left")
    anchor, start, end, partial = _many_window_bounds(ax, first, limit, int(ew.fixed))
    counts = np.bincount(anchor, minlength=len(cutoffs))
    bad = (counts == 0) | (hi_tr - lo_tr < 1)
    if explicit:
        bad |= (cut <= ax.t_min) | (cut >= ax.data_end)
    if bad.any():  # the anchor's own checks raise its error
        j = int(np.argmax(bad))
        _plan_anchor(ax, j, cutoffs[j], lengths, explicit=explicit, expanding=expanding)
        msg = f"unreachable: anchor {j} passed its checks"
        raise AssertionError(msg)  # pragma: no cover
    return _plan_arrays(ax, cut, train_start, lo_tr, hi_tr, anchor, start, end, partial)


def _many_window_bounds(ax: TimeAxis, first: np.ndarray, limit: np.ndarray, step: int,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_window_bounds` of fixed-length windows (int ns) for many anchors at once:
    the anchor of each window, its start, end and partial flag, in anchor order."""
    last = np.minimum(limit, ax.t_max + 1)
    n = np.where(first < last, -(-(last - first) // step), 0)
    group = np.cumsum(n) - n  # where each anchor's windows begin
    anchor = np.repeat(np.arange(len(first), dtype=np.int64), n)
    k = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(group, n)
    start = first[anchor] + step * k
    end = start + step
    lim = limit[anchor]
    partial = end > lim
    keep = ~partial | ((lim - start) * 2 >= step)
    # nothing after the first window cut by the limit, within each anchor
    seen = np.concatenate(([0], np.cumsum(partial)))
    keep &= seen[1:] - np.repeat(seen[group], n) <= 1
    anchor, start, end, partial, lim = (x[keep] for x in (anchor, start, end, partial, lim))
    return anchor, start, np.where(partial, lim, end), partial


def _plan_anchor(ax: TimeAxis, j: int, c: Any, lengths: _Lengths, *, explicit: bool,
                 expanding: bool) -> _Anchor:
    """Anchor ``j`` (0-based) with cutoff ``c``: training rows and evaluation windows."""
    tw, ew, gp = lengths.train, lengths.eval, lengths.gap
    train_start = ax.t_min if expanding else ax.shift(c, tw, -1)
    first = ax.shift(c, gp, 1) if gp.is_calendar else c + (gp.fixed or 0)
    limit = ax.data_end
    if lengths.horizon is not None:
        limit = min(limit, ax.shift(c, lengths.horizon, 1))
    if explicit and (c <= ax.t_min or c >= ax.data_end):
        raise InvalidParameterError(param_message(
            "anchors", None, f"cutoffs inside the data's time span {ax.span_text()}",
            ax.to_stamp(c), "Choose cutoffs after the first and before the last timestamp."))
    lo_tr = int(np.searchsorted(ax.sorted, train_start, side="left"))
    hi_tr = int(np.searchsorted(ax.sorted, c, side="left"))
    starts, ends, partial = _window_bounds(ax, first, limit, ew)
    func = caller()
    if not len(starts):
        _no_window(ax, j, c, first, limit, lengths, explicit)
    if hi_tr - lo_tr < 1:
        msg = (f"Anchor {j + 1} of {func} (cutoff {ax.to_stamp(c)}) has no training rows "
               f"between {ax.to_stamp(train_start)} and its cutoff. Choose a longer "
               "train_window or other cutoffs.")
        raise InvalidParameterError(msg)
    return _Anchor(c, train_start, lo_tr, hi_tr, starts, ends, partial)


def _no_window(ax: TimeAxis, j: int, c: Any, first: Any, limit: Any, lengths: _Lengths,
               explicit: bool) -> NoReturn:
    """Raise the error for anchor ``j``, which has no evaluation window: blame the
    horizon when it is what leaves none, else the cutoff's place in the data."""
    tw, ew, gp, hz = lengths.train, lengths.eval, lengths.gap, lengths.horizon
    func = caller()
    if hz is not None and limit < ax.data_end and first <= ax.t_max:
        raise InvalidParameterError(param_message(
            "horizon", None,
            f"long enough to hold at least half an evaluation window after the gap "
            f"(eval_window={ew.text!r}, gap={gp.text!r})", hz.text,
            "A window is kept when at least half of it lies before the horizon; use a "
            "longer horizon or a shorter eval_window."))
    if explicit:
        raise InvalidParameterError(param_message(
            "anchors", None, "cutoffs with at least one evaluation window before the last "
            f"timestamp ({ax.to_stamp(ax.t_max)})", ax.to_stamp(c),
            f"Its first window (gap={gp.text!r}, eval_window={ew.text!r}) would start "
            f"at {ax.to_stamp(first)}, when the data hold no more rows. Choose an earlier "
            "cutoff, or a shorter gap or eval_window."))
    if j == 0:
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


def _assemble(ax: TimeAxis, anchors: list[_Anchor]) -> WindowPlan:
    """The plan of anchors laid out one by one."""
    dtype = np.int64 if ax.kind == "datetime" else float
    counts = np.array([len(a.starts) for a in anchors], dtype=np.int64)
    return _plan_arrays(
        ax, np.array([a.cutoff for a in anchors], dtype=dtype),
        np.array([a.train_start for a in anchors], dtype=dtype),
        np.array([a.train_lo for a in anchors], dtype=np.int64),
        np.array([a.train_hi for a in anchors], dtype=np.int64),
        np.repeat(np.arange(len(anchors), dtype=np.int64), counts),
        np.concatenate([a.starts for a in anchors]).astype(dtype),
        np.concatenate([a.ends for a in anchors]).astype(dtype),
        np.concatenate([a.partial for a in anchors]).astype(bool))


def _plan_arrays(ax: TimeAxis, cut: np.ndarray, train_start: np.ndarray,
                 train_lo: np.ndarray, train_hi: np.ndarray, anchor_idx: np.ndarray,
                 start: np.ndarray, end: np.ndarray, partial: np.ndarray) -> WindowPlan:
    """The plan from its per-anchor and per-window arrays (windows in anchor order):
    window numbers, row ranges by ``searchsorted`` and ages."""
    counts = np.bincount(anchor_idx, minlength=len(cut))
    window = (np.arange(len(anchor_idx), dtype=np.int64) + 1
              - np.repeat(np.cumsum(counts) - counts, counts))
    t_sorted = ax.sorted
    lo = np.searchsorted(t_sorted, start, side="left").astype(np.int64)
    hi = np.searchsorted(t_sorted, end, side="left").astype(np.int64)
    # a partial window ends at the data end: include the last stamps
    hi = np.where(partial & (end >= ax.data_end), len(t_sorted), hi)
    if ax.kind == "datetime":
        age = start + (end - start) // 2 - cut[anchor_idx]  # whole ns, no overflow
    else:
        age = (start + end) / 2.0 - cut[anchor_idx]
    return WindowPlan(
        axis=ax, cutoff=cut, train_start=train_start,
        train_lo=train_lo.astype(np.int64), train_hi=train_hi.astype(np.int64),
        anchor_idx=anchor_idx, window=window,
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
