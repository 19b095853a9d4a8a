"""Small value types shared by several results."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["ConfidenceInterval"]


class ConfidenceInterval(NamedTuple):
    """A confidence interval ``(low, high)``, as :mod:`scipy.stats` results give one.

    It is a named tuple, so ``low, high = ci`` and ``ci[0]`` work as with a plain pair.
    An end is None when it lies beyond what the data can show (for an interval of model
    ages: beyond the oldest evaluated age).

    Examples
    --------
    >>> from oot import ConfidenceInterval
    >>> ci = ConfidenceInterval(low=2.0, high=None)
    >>> ci.low, ci.high
    (2.0, None)
    >>> low, high = ci
    >>> ci == (2.0, None)
    True
    """

    low: Any
    high: Any
