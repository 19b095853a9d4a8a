"""Conversions between model ages as users see them and the floats the fits use.

For datetime time an age is a :class:`pandas.Timedelta`; curves are fitted on ages in
days (floats). For numeric time an age is a plain number in the time column's units.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

# Ages in words live in oot._format; the old name stays for the callers still using it.
from oot._format import age as format_age

TimeKind = Literal["datetime", "numeric"]

DAY = pd.Timedelta(days=1)
#: Nanoseconds per day: the one conversion between datetime time and fit units (days).
NS_PER_DAY = 86_400 * 10**9

__all__ = ["TimeKind", "DAY", "NS_PER_DAY", "age_to_float", "float_to_age", "format_age"]


def age_to_float(age: Any, time_kind: TimeKind) -> Any:
    """Ages (scalar, array, Series or Index) as floats: days for datetime time."""
    if time_kind == "numeric":
        if isinstance(age, (pd.Series, pd.Index)):
            return age.to_numpy(dtype=float)
        if np.ndim(age) == 0:
            return float(age)
        return np.asarray(age, dtype=float)
    if isinstance(age, pd.Series):
        return np.asarray(pd.to_timedelta(age).dt.total_seconds(), dtype=float) / 86_400.0
    if isinstance(age, (pd.TimedeltaIndex, pd.Index)):
        return np.asarray(pd.to_timedelta(age) / DAY, dtype=float)
    if isinstance(age, (pd.Timedelta, np.timedelta64)):
        return float(pd.Timedelta(age) / DAY)
    if isinstance(age, str):
        return float(pd.Timedelta(age) / DAY)
    if np.ndim(age) == 0:
        return float(age)  # already days
    arr = np.asarray(age)
    if arr.dtype.kind == "m":
        return np.asarray(pd.to_timedelta(arr) / DAY, dtype=float)
    if arr.dtype == object:
        return np.asarray(pd.to_timedelta(arr) / DAY, dtype=float)
    return arr.astype(float)


def float_to_age(x: Any, time_kind: TimeKind) -> Any:
    """Inverse of :func:`age_to_float`: days back to Timedelta (rounded to the second)."""
    if time_kind == "numeric":
        if np.ndim(x) == 0:
            return float(x)
        return np.asarray(x, dtype=float)
    if np.ndim(x) == 0:
        xf = float(x)
        if not np.isfinite(xf):
            return pd.NaT
        return pd.Timedelta(days=xf).round("s")
    return pd.to_timedelta(np.asarray(x, dtype=float), unit="D").round("s")
