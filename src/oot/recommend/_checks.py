"""The checks of what a tolerance means, shared by every analysis that draws a threshold.

``recommend_retrain_interval``, ``backtest_cadences``, ``backtest_trigger``,
``rank_indicators`` and ``compare_candidates`` all take the same ``tolerance``,
``tolerance_type``, ``baseline``, ``curve`` and ``reference``; they are checked here
once, so the messages cannot drift apart.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from oot._validation import (
    InvalidParameterError,
    caller,
    check_option,
    check_scalar,
    param_message,
)
from oot.degradation import FAMILIES

__all__ = ["CURVES", "check_tolerance_settings"]

#: What ``curve=`` accepts: ``"auto"`` and every registered family.
CURVES = ["auto", *FAMILIES]


def check_tolerance_settings(*, tolerance: Any, tolerance_type: Any, baseline: Any,
                             curve: Any, reference: Any) -> None:
    """Check the tolerance, its type, the baseline, the curve and the reference.

    Raises :class:`~oot.InvalidParameterError` naming the calling entry point, the
    parameter, the value and the fix.

    Examples
    --------
    >>> from oot._validation import calling
    >>> from oot.recommend._checks import check_tolerance_settings
    >>> with calling("recommend_retrain_interval"):
    ...     check_tolerance_settings(tolerance=5, tolerance_type="relative",
    ...                              baseline="curve", curve="auto", reference="baseline")
    Traceback (most recent call last):
    ...
    oot._validation.InvalidParameterError: The 'tolerance' parameter of
    recommend_retrain_interval must be a float in the range (0, 1) for
    tolerance_type='relative'. Got 5 instead. Write 5% as tolerance=0.05.
    """
    func = caller()
    number = (isinstance(tolerance, numbers.Real)  # numpy's timedelta64 is an integer
              and not isinstance(tolerance, np.timedelta64))
    check_option(tolerance_type, "tolerance_type", func, ["relative", "absolute"])
    if tolerance_type == "relative":
        check_scalar(tolerance, "tolerance", func, low=0, high=1, low_inclusive=False,
                     high_inclusive=False, extra=" for tolerance_type='relative'",
                     fix="Write 5% as tolerance=0.05." if number
                     and float(tolerance) >= 1 else None)
    else:
        check_scalar(tolerance, "tolerance", func, low=0, low_inclusive=False,
                     extra=" for tolerance_type='absolute' (in metric units)")
    if isinstance(baseline, str):
        check_option(baseline, "baseline", func, ["curve", "first_window"])
    else:
        check_scalar(baseline, "baseline", func, extra=" or one of 'curve', 'first_window'")
    check_option(curve, "curve", func, CURVES)
    check_option(reference, "reference", func, ["baseline", "fresh"])
    if (isinstance(baseline, numbers.Real) and not isinstance(baseline, np.timedelta64)
            and tolerance_type == "relative" and float(baseline) == 0):
        raise InvalidParameterError(param_message(
            "baseline", func, "non-zero for tolerance_type='relative'", baseline,
            "Use tolerance_type='absolute' for a metric whose baseline is 0."))
