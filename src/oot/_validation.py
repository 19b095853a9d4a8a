"""Argument checks, exception and warning classes, and the one error-message template.

Every public function checks all of its arguments at the start of the call with the
helpers here, so that a bad value fails loudly and early with a message of one shape:

    The 'tolerance' parameter of recommend_retrain_interval must be a float in the range
    (0, 1) for tolerance_type='relative'. Got 1.5 instead.

followed, where the fix is obvious, by a sentence that says how to fix it.
"""

from __future__ import annotations

import difflib
import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "InvalidParameterError",
    "MissingColumnError",
    "NotEnoughWindowsError",
    "EstimatorFitError",
    "OOTWarning",
    "WindowWarning",
    "ExtrapolationWarning",
    "param_message",
    "check_scalar",
    "check_option",
    "check_columns",
    "check_random_state_param",
    "warn",
]


class InvalidParameterError(ValueError, TypeError):
    """A public function was called with an invalid argument value or type.

    It subclasses both :class:`ValueError` and :class:`TypeError`, as scikit-learn's
    ``InvalidParameterError`` does, so callers can catch either.
    """


class MissingColumnError(InvalidParameterError, KeyError):
    """A column named by the caller is not in the DataFrame."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else ""


class NotEnoughWindowsError(ValueError):
    """Too few usable evaluation windows to fit a degradation curve."""


class EstimatorFitError(RuntimeError):
    """Fitting or predicting with the estimator failed for one anchor."""


class OOTWarning(UserWarning):
    """Base class of the warnings oot emits."""


class WindowWarning(OOTWarning):
    """Some evaluation windows could not be scored (too small, or metric undefined)."""


class ExtrapolationWarning(OOTWarning):
    """A result was extrapolated past the oldest evaluated model age."""


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    text = repr(value)
    if len(text) > 200:
        text = text[:197] + "..."
    return text


def param_message(
    param: str, func: str, expected: str, got: Any, fix: str | None = None
) -> str:
    """Build the standard error message.

    Examples
    --------
    >>> print(param_message("tolerance", "recommend_retrain_interval",
    ...                     "a float in the range (0, 1)", 1.5))
    The 'tolerance' parameter of recommend_retrain_interval must be a float in the range
    (0, 1). Got 1.5 instead.
    """
    msg = f"The {param!r} parameter of {func} must be {expected}. Got {_fmt(got)} instead."
    if fix:
        msg += " " + fix
    return msg


def check_scalar(
    value: Any,
    param: str,
    func: str,
    *,
    kind: str = "real",
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_none: bool = False,
    extra: str = "",
    fix: str | None = None,
) -> Any:
    """Check a number (``kind`` "real" or "int") lies in a range; return it unchanged."""
    if value is None and allow_none:
        return value
    if kind == "int":
        ok_type = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        noun = "an int"
    else:
        ok_type = isinstance(value, numbers.Real) and not isinstance(value, bool)
        noun = "a float"
    rng = ""
    if low is not None or high is not None:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        lb = "[" if (low_inclusive and low is not None) else "("
        hb = "]" if (high_inclusive and high is not None) else ")"
        rng = f" in the range {lb}{lo}, {hi}{hb}"
    expected = f"{noun}{rng}"
    if allow_none:
        expected += " or None"
    expected += extra
    if not ok_type:
        raise InvalidParameterError(param_message(param, func, expected, value, fix))
    v = float(value)
    bad = not np.isfinite(v)
    if low is not None and (v < low or (v == low and not low_inclusive)):
        bad = True
    if high is not None and (v > high or (v == high and not high_inclusive)):
        bad = True
    if bad:
        raise InvalidParameterError(param_message(param, func, expected, value, fix))
    return value


def check_option(value: Any, param: str, func: str, options: Sequence[Any]) -> Any:
    """Check ``value`` is one of ``options``."""
    if not isinstance(value, (str, bool, type(None), numbers.Number)) or value not in options:
        listed = ", ".join(_fmt(o) for o in options)
        raise InvalidParameterError(param_message(param, func, f"one of {{{listed}}}", value))
    return value


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``name`` (for "did you mean" hints), or None."""
    cands = [str(c) for c in candidates]
    lower = {c.lower(): c for c in cands}
    if name.lower() in lower:
        return lower[name.lower()]
    match = difflib.get_close_matches(name, cands, n=1, cutoff=0.6)
    if not match:
        match = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
        return lower[match[0]] if match else None
    return match[0]


def check_columns(
    columns: Sequence[Any], available: Sequence[Any], param: str, func: str
) -> None:
    """Raise :class:`MissingColumnError` for the first column not in ``available``."""
    avail = list(available)
    for col in columns:
        if col not in avail:
            hint = closest(str(col), [str(a) for a in avail])
            shown = ", ".join(repr(a) for a in avail[:20])
            if len(avail) > 20:
                shown += f", ... ({len(avail)} columns)"
            fix = f"Did you mean {hint!r}?" if hint is not None else f"Columns are: {shown}."
            raise MissingColumnError(
                param_message(param, func, "a column of the DataFrame", col, fix)
            )


def check_random_state_param(value: Any, func: str) -> Any:
    if value is None or isinstance(value, (numbers.Integral, np.random.RandomState,
                                            np.random.Generator)):
        if isinstance(value, bool):
            raise InvalidParameterError(param_message(
                "random_state", func, "an int, a numpy Generator/RandomState or None", value))
        return value
    raise InvalidParameterError(param_message(
        "random_state", func, "an int, a numpy Generator/RandomState or None", value))


def warn(message: str, category: type[Warning] = OOTWarning, stacklevel: int = 2) -> None:
    """Emit ``message`` as ``category`` with ``stacklevel`` counted from the caller."""
    warnings.warn(message, category, stacklevel=stacklevel + 1)
