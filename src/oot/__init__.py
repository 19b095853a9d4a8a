"""oot: how often must a model be retrained? Out-of-time retraining-cadence analysis.

Train on an anchor window, score the frozen model on successive later windows, fit how
the metric degrades with model age, and recommend the retraining interval with a
calibrated confidence interval.

>>> import oot
>>> "recommend_retrain_interval" in oot.__all__
True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from oot import datasets, metrics
from oot._common import ConfidenceInterval
from oot._validation import (
    EstimatorFitError,
    ExtrapolationWarning,
    InvalidParameterError,
    MissingColumnError,
    NotEnoughWindowsError,
    OOTWarning,
    PositiveClassWarning,
    RoundingWarning,
    WindowWarning,
)
from oot.backtest import CadenceBacktest, TriggerBacktest, backtest_cadences, backtest_trigger
from oot.compare import CandidateComparison, compare_candidates
from oot.degradation import DegradationCurve, fit_degradation
from oot.evaluate import OOTEvaluation, evaluate_out_of_time, evaluate_predictions
from oot.indicators import IndicatorReport, rank_indicators
from oot.metrics import Metric
from oot.recommend import (
    RetrainRecommendation,
    RetrainRecommendations,
    recommend_retrain_interval,
)
from oot.windows import OutOfTimeSplit

if TYPE_CHECKING:  # pragma: no cover
    from oot.plotting import (
        AgingHeatmapDisplay,
        ComparisonDisplay,
        DegradationDisplay,
        RecommendationsDisplay,
    )

try:
    __version__ = version("oot")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    # the analysis
    "recommend_retrain_interval",
    "evaluate_out_of_time",
    "evaluate_predictions",
    "fit_degradation",
    "OutOfTimeSplit",
    "Metric",
    "backtest_cadences",
    "backtest_trigger",
    "rank_indicators",
    "compare_candidates",
    # results
    "RetrainRecommendation",
    "RetrainRecommendations",
    "OOTEvaluation",
    "DegradationCurve",
    "ConfidenceInterval",
    "CadenceBacktest",
    "TriggerBacktest",
    "IndicatorReport",
    "CandidateComparison",
    # plots (matplotlib is imported on first use)
    "DegradationDisplay",
    "AgingHeatmapDisplay",
    "ComparisonDisplay",
    "RecommendationsDisplay",
    # modules
    "datasets",
    "metrics",
    # errors and warnings
    "InvalidParameterError",
    "MissingColumnError",
    "NotEnoughWindowsError",
    "EstimatorFitError",
    "OOTWarning",
    "WindowWarning",
    "ExtrapolationWarning",
    "PositiveClassWarning",
    "RoundingWarning",
]

_LAZY = {"DegradationDisplay": "oot.plotting", "AgingHeatmapDisplay": "oot.plotting",
         "ComparisonDisplay": "oot.plotting", "RecommendationsDisplay": "oot.plotting"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'oot' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
