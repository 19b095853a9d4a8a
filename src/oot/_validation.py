"""Argument checks, exception and warning classes, and the one error-message template.

Every public function checks all of its arguments at the start of the call with the
helpers here, so that a bad value fails loudly and early with a message of one shape:

    The 'tolerance' parameter of recommend_retrain_interval must be a float in the range
    (0, 1) for tolerance_type='relative'. Got 1.5 instead.

followed, where the fix is obvious, by a sentence that says how to fix it.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import numbers
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "InvalidParameterError",
    "MissingColumnError",
    "NotEnoughWindowsError",
    "EstimatorFitError",
    "OOTWarning",
    "WindowWarning",
    "ExtrapolationWarning",
    "PositiveClassWarning",
    "RoundingWarning",
    "param_message",
    "check_scalar",
    "check_option",
    "check_columns",
    "check_random_state_param",
    "is_number",
    "as_generator",
    "as_seed",
    "caller",
    "calling",
    "entry_point",
    "warn",
]

_F = TypeVar("_F", bound=Callable[..., Any])


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


class PositiveClassWarning(OOTWarning):
    """The positive class of string labels was chosen by their order (no pos_label)."""


class RoundingWarning(OOTWarning):
    """``round_to`` is longer than an age of the result, so no age was rounded."""


def _fmt(value: Any) -> str:
    if isinstance(value, (np.number, np.bool_, np.str_)) and not isinstance(
            value, np.timedelta64):  # 5000, not np.int64(5000); a timedelta64 stays one
        value = value.item()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    text = repr(value)
    if len(text) > 200:
        text = text[:197] + "..."
    return text


# ----------------------------------------------------------------- the caller's name
# Error messages name the public function the user called ("The 'tolerance' parameter
# of recommend_retrain_interval ..."), also when the check runs deep inside a helper.
# Public entry points declare their name once (``@entry_point`` or ``calling``); helpers
# read it with ``caller()`` instead of taking a ``func`` argument. The outermost entry
# point wins, so recommend_retrain_interval's evaluation reports itself as
# recommend_retrain_interval, not evaluate_out_of_time.
_CALLER: contextvars.ContextVar[str | None] = contextvars.ContextVar("oot_caller",
                                                                     default=None)


def caller() -> str:
    """The name of the public function being run (``"oot"`` outside of any).

    Examples
    --------
    >>> from oot._validation import caller, calling
    >>> with calling("fit_degradation"):
    ...     caller()
    'fit_degradation'
    >>> caller()
    'oot'
    """
    return _CALLER.get() or "oot"


@contextmanager
def calling(name: str) -> Iterator[None]:
    """Run a block as the public function ``name`` (unless an outer one is running).

    Examples
    --------
    >>> from oot._validation import caller, calling
    >>> with calling("recommend_retrain_interval"), calling("evaluate_out_of_time"):
    ...     caller()
    'recommend_retrain_interval'
    """
    token = _CALLER.set(name) if _CALLER.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _CALLER.reset(token)


def entry_point(name: str) -> Callable[[_F], _F]:
    """Decorator: the function is the public entry ``name`` for error messages.

    Examples
    --------
    >>> from oot._validation import caller, entry_point
    >>> @entry_point("my_function")
    ... def f():
    ...     return caller()
    >>> f()
    'my_function'
    """
    def deco(fn: _F) -> _F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with calling(name):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco


def param_message(
    param: str, func: str | None, expected: str, got: Any, fix: str | None = None
) -> str:
    """Build the standard error message (``func=None``: the running entry point).

    Examples
    --------
    >>> print(param_message("tolerance", "recommend_retrain_interval",
    ...                     "a float in the range (0, 1)", 1.5))
    The 'tolerance' parameter of recommend_retrain_interval must be a float in the range
    (0, 1). Got 1.5 instead.
    """
    func = caller() if func is None else func
    msg = f"The {param!r} parameter of {func} must be {expected}. Got {_fmt(got)} instead."
    if fix:
        msg += " " + fix
    return msg


def is_number(value: Any, *, integral: bool = False) -> bool:
    """Whether ``value`` is a real number (an integer with ``integral``).

    Not a bool, and not a :class:`numpy.timedelta64` or :class:`numpy.datetime64`:
    numpy registers those as integers, so ``isinstance(v, numbers.Real)`` alone takes
    ``np.timedelta64(30, "D")`` for the number 30.

    Examples
    --------
    >>> import numpy as np
    >>> from oot._validation import is_number
    >>> is_number(3), is_number(np.float32(0.5)), is_number(True)
    (True, True, False)
    >>> is_number(np.timedelta64(30, "D")), is_number(2.5, integral=True)
    (False, False)
    """
    kind = numbers.Integral if integral else numbers.Real
    return (isinstance(value, kind) and not isinstance(value, (bool, np.bool_))
            and not isinstance(value, (np.timedelta64, np.datetime64)))


def check_scalar(
    value: Any,
    param: str,
    func: str | None,
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
    """Check a number (``kind`` "real" or "int") lies in a range; return it unchanged.

    ``func=None`` names the running entry point (see :func:`caller`).
    """
    if value is None and allow_none:
        return value
    if kind == "int":
        ok_type = is_number(value, integral=True)
        noun = "an int"
    else:
        ok_type = is_number(value)
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


def check_option(value: Any, param: str, func: str | None, options: Sequence[Any]) -> Any:
    """Check ``value`` is one of ``options`` (``func=None``: the running entry point)."""
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
    columns: Sequence[Any], available: Sequence[Any], param: str, func: str | None
) -> None:
    """Raise :class:`MissingColumnError` for the first column not in ``available``, and
    :class:`InvalidParameterError` for one that ``available`` holds more than once (the
    frame's ``data[col]`` would be a DataFrame, not a column)."""
    avail = list(available)
    for col in columns:
        if col in avail and avail.count(col) > 1:
            raise InvalidParameterError(param_message(
                param, func, "a column that appears once in the DataFrame", col,
                f"The DataFrame has {avail.count(col)} columns named {col!r}; rename or "
                "drop the extra ones."))
        if col not in avail:
            hint = closest(str(col), [str(a) for a in avail])
            shown = ", ".join(repr(a) for a in avail[:20])
            if len(avail) > 20:
                shown += f", ... ({len(avail)} columns)"
            fix = f"Did you mean {hint!r}?" if hint is not None else f"Columns are: {shown}."
            raise MissingColumnError(
                param_message(param, func, "a column of the DataFrame", col, fix)
            )


def check_random_state_param(value: Any, func: str | None = None) -> Any:
    """Check ``random_state`` is None, an int >= 0, a numpy Generator or RandomState."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value < 0:
        raise InvalidParameterError(param_message(
            "random_state", func, "an int >= 0, a numpy Generator/RandomState or None", value,
            "Seeds are non-negative; use e.g. random_state=0."))
    if value is None or isinstance(value, (numbers.Integral, np.random.RandomState,
                                            np.random.Generator)):
        if isinstance(value, bool):
            raise InvalidParameterError(param_message(
                "random_state", func, "an int, a numpy Generator/RandomState or None", value))
        return value
    raise InvalidParameterError(param_message(
        "random_state", func, "an int, a numpy Generator/RandomState or None", value))


def as_seed(random_state: Any) -> int | None:
    """One integer seed drawn from ``random_state`` (None stays None).

    An int is returned as is; a Generator or RandomState gives one draw in
    ``[0, 2**31 - 1)`` (so passing the same seeded generator twice gives two seeds).
    This is the one place where oot turns a ``random_state`` into numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from oot._validation import as_seed
    >>> as_seed(7), as_seed(None)
    (7, None)
    >>> as_seed(np.random.default_rng(0)) == as_seed(np.random.default_rng(0))
    True
    """
    check_random_state_param(random_state)
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    return int(random_state)


def as_generator(random_state: Any) -> np.random.Generator:
    """A numpy Generator from ``random_state`` (a Generator is used as is).

    Examples
    --------
    >>> import numpy as np
    >>> from oot._validation import as_generator
    >>> g = np.random.default_rng(0)
    >>> as_generator(g) is g
    True
    >>> float(as_generator(3).random()) == float(np.random.default_rng(3).random())
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(as_seed(random_state))


def warn(message: str, category: type[Warning] = OOTWarning, stacklevel: int = 2) -> None:
    """Emit ``message`` as ``category`` with ``stacklevel`` counted from the caller."""
    warnings.warn(message, category, stacklevel=stacklevel + 1)


class Described(str):
    """A description given as the 'Got ... instead' part of :func:`param_message`,
    shown without quotes (``Got 3 anchors instead``).

    Examples
    --------
    >>> from oot._validation import Described, param_message
    >>> print(param_message("x", "f", "a sample", Described("an empty one")))
    The 'x' parameter of f must be a sample. Got an empty one instead.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)
