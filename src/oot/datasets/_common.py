"""Helpers shared by the generators: argument checks, time conversion, root finding.

The checks name the public function being run (``oot._validation.caller``): each
generator and truth method is declared with ``entry_point``.
"""

from __future__ import annotations

import datetime as _dt
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._time import DAY, TimeKind, age_to_float
from .._validation import InvalidParameterError, caller, check_option, param_message

FloatArray = npt.NDArray[np.float64]

_TIME_LIKE = (str, pd.Timedelta, np.timedelta64, _dt.timedelta)


def check_time_kind(time_kind: Any) -> TimeKind:
    check_option(time_kind, "time_kind", caller(), ["datetime", "numeric"])
    return "numeric" if time_kind == "numeric" else "datetime"


def check_start(start: Any, time_kind: TimeKind) -> pd.Timestamp | float:
    """The origin of the time axis: a Timestamp for datetime time, a float for numeric."""
    if time_kind == "numeric":
        if start is None:
            return 0.0
        if isinstance(start, numbers.Real) and not isinstance(start, bool) and np.isfinite(
            float(start)
        ):
            return float(start)
        raise InvalidParameterError(
            param_message("start", None, "a finite number or None for time_kind='numeric'",
                          start)
        )
    if start is None:
        return pd.Timestamp("2020-01-01")
    expected = "a date (a string such as '2020-01-01', a Timestamp or a datetime) or None"
    if isinstance(start, (str, pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        try:
            ts = pd.Timestamp(start)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterError(param_message("start", None, expected, start)) from exc
        if not pd.isna(ts):
            return ts
    raise InvalidParameterError(param_message("start", None, expected, start))


def to_days(
    value: Any,
    param: str,
    time_kind: TimeKind,
    *,
    allow_zero: bool = False,
    allow_negative: bool = False,
) -> float:
    """A length of time (window, age scale) as a float: days for datetime time.

    Numbers are days for datetime time and time units for numeric time; datetime time also
    takes Timedeltas and strings such as ``"30D"``.
    """
    if allow_negative:
        sign = "a finite"
    elif allow_zero:
        sign = "a non-negative"
    else:
        sign = "a positive"
    if time_kind == "datetime":
        expected = (
            f"{sign} length of time (a number of days, a Timedelta or a string such as '30D')"
        )
    else:
        expected = f"{sign} number (in the time column's units)"
    days: float | None = None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        days = float(value)
    elif time_kind == "datetime" and isinstance(value, _TIME_LIKE):
        try:
            td = pd.Timedelta(value)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterError(
                param_message(param, None, expected, value,
                              "Calendar offsets such as 'MS' have no fixed length here.")
            ) from exc
        if not pd.isna(td):
            days = float(td / DAY)
    if days is None or not np.isfinite(days):
        raise InvalidParameterError(param_message(param, None, expected, value))
    if (days < 0 and not allow_negative) or (days == 0 and not (allow_zero or allow_negative)):
        raise InvalidParameterError(param_message(param, None, expected, value))
    return days


def ages_to_days(age: Any, time_kind: TimeKind) -> tuple[Any, bool]:
    """Ages (scalar or array-like) as float days; also whether the input was a scalar."""
    try:
        if (time_kind == "datetime" and isinstance(age, (list, tuple, np.ndarray))
                and np.asarray(age).dtype.kind in "USO"):
            raw = np.asarray(age)  # e.g. ["0D", "90D"]
            age = np.asarray(pd.to_timedelta(raw.ravel())).reshape(raw.shape)
        days = age_to_float(age, time_kind)
        arr = np.asarray(days, dtype=float)
    except (ValueError, TypeError) as exc:
        raise InvalidParameterError(
            param_message("age", None,
                          "a model age or array of ages (Timedelta, string such as '30D', "
                          "or number of days)" if time_kind == "datetime"
                          else "a number or array of numbers", age)
        ) from exc
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(param_message("age", None, "finite ages", age))
    return arr, arr.ndim == 0


def check_tolerance(tolerance: Any, tolerance_type: Any) -> None:
    check_option(tolerance_type, "tolerance_type", caller(), ["relative", "absolute"])
    ok = isinstance(tolerance, numbers.Real) and not isinstance(tolerance, bool)
    if tolerance_type == "relative":
        ok = ok and 0 < float(tolerance) < 1
        expected = "a float in the range (0, 1) for tolerance_type='relative'"
    else:
        ok = ok and 0 < float(tolerance) < np.inf
        expected = "a positive float for tolerance_type='absolute'"
    if not ok:
        raise InvalidParameterError(param_message("tolerance", None, expected, tolerance))


def threshold(
    baseline: float, tolerance: float, tolerance_type: str, greater_is_better: bool
) -> float:
    """The score at which a model is retrained (the project's threshold definition)."""
    sign = -1.0 if greater_is_better else 1.0
    if tolerance_type == "relative":
        return baseline * (1.0 + sign * tolerance)
    return baseline + sign * tolerance


def first_crossing(
    fun: Callable[[FloatArray], FloatArray],
    level: float,
    greater_is_better: bool,
    hi: float,
    n_grid: int = 1025,
) -> float | None:
    """The smallest age in [0, hi] at which ``fun`` reaches ``level`` (None if it does not).

    The curve is tabulated on a grid to bracket the first crossing, which is then refined by
    Brent's method to machine precision.
    """
    from scipy import optimize  # lazy: keep ``import oot`` light

    sign = 1.0 if greater_is_better else -1.0

    def gap(a: FloatArray) -> FloatArray:
        # >0 while within tolerance, <=0 once the threshold is reached
        out: FloatArray = sign * (fun(a) - level)
        return out

    if hi <= 0 or not np.isfinite(hi):
        return None
    grid = np.linspace(0.0, hi, n_grid)
    vals = gap(grid)
    reached = np.flatnonzero(vals <= 0)
    if reached.size == 0:
        return None
    i = int(reached[0])
    if i == 0:
        return 0.0
    root = optimize.brentq(
        lambda a: float(gap(np.asarray([a], dtype=float))[0]),
        float(grid[i - 1]), float(grid[i]), xtol=1e-12, rtol=4 * np.finfo(float).eps,
        maxiter=200,
    )
    return float(root)
