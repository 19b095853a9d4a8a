"""Assertions shared by the test modules."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def assert_same_intervals(a: Any, b: Any) -> None:
    """Two recommendations' intervals and CI ends agree to the second they are rounded to.

    For recommendations whose scores agree to a tolerance, not bit for bit (rows summed
    in another order, BLAS in other processes): the curve's optimiser and the rounding
    of ages to whole seconds may then move an interval by one second. Numeric ages agree
    to 1e-6 relative; a missing end (None) must be missing in both.
    """
    for x, y in [(a.interval, b.interval), *zip(a.interval_ci, b.interval_ci, strict=True)]:
        assert (x is None) == (y is None), (x, y)
        if isinstance(x, pd.Timedelta):
            assert abs(x - y) <= pd.Timedelta("1s"), (x, y)
        elif x is not None:
            assert math.isclose(x, y, rel_tol=1e-6), (x, y)
