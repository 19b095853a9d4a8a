"""The records the recommendation steps pass along: the checked settings of one
recommendation and one recommendation with what it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from oot.degradation import CrossingBootstrap, DegradationCurve
from oot.recommend._result import RetrainRecommendation

__all__: list[str] = []


@dataclass(frozen=True)
class _Settings:
    """The analysis settings of one recommendation (checked)."""

    tolerance: float
    tolerance_type: str
    baseline: str | float
    curve: str
    reference: str
    confidence_level: float
    n_bootstrap: int
    retrain_cost: float | None
    shortfall_cost: float | None
    round_to: Any
    round_unit: float | None
    extrapolate: bool
    calendar: str = "auto"


@dataclass(frozen=True, eq=False)
class _Recommended:
    """One recommendation, with the fitted curve and the bootstrap it came from."""

    recommendation: RetrainRecommendation
    curve: DegradationCurve
    bootstrap: CrossingBootstrap
    shrunk: np.ndarray | None = None   # replicate crossing ages of the pooled curve
