"""Builders and data shared by the test modules (one home for each).

Plain functions and constants rather than fixtures where tests call them at import time
or with arguments; import them with ``from .conftest import ...``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from oot.datasets import make_drifting_regression

#: Parameters of each built-in parametric curve family that degrade a higher-is-better
#: score (about 5-10% over a year of daily ages): the truth of the degradation tests and
#: the examples of the family-record tests. A new family adds its entry here.
DEGRADING_PARAMS: dict[str, dict[str, float]] = {
    "linear": {"b": -0.0003},
    "quadratic": {"b": -0.0001, "c": -4e-7},
    "exponential": {"d": -0.08, "s": 120.0},
    "power": {"b": -2e-6, "beta": 1.8},
    "logarithmic": {"b": -0.03, "k": 40.0},
    "hinge": {"b": -0.0005, "h": 100.0},
    "explosive": {"b": -0.002, "s": 100.0},
    "logistic": {"d": -0.08, "m": 200.0, "w": 30.0},
}


def drifting_frame(seed: int = 0, n: int = 3000, **kw: Any) -> pd.DataFrame:
    """A drifting regression frame (``time``, features, ``y``) whose MSE rises by more than
    10% within a year: ``make_drifting_regression`` with a year of data and drift 0.004
    per day unless ``kw`` says otherwise."""
    kw.setdefault("periods", 365)
    kw.setdefault("drift_rate", 0.004)
    return make_drifting_regression(n_samples=n, random_state=seed, **kw).frame
