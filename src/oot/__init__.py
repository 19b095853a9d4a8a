"""oot: how often must a model be retrained? Out-of-time retraining-cadence analysis.

Train on an anchor window, score the frozen model on successive later windows, fit how
the metric degrades with model age, and recommend the retraining interval with a
calibrated confidence interval.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from oot._validation import (
    EstimatorFitError,
    ExtrapolationWarning,
    InvalidParameterError,
    MissingColumnError,
    NotEnoughWindowsError,
    OOTWarning,
    WindowWarning,
)
from oot.results import OOTEvaluation
from oot.windows import OutOfTimeSplit

try:
    __version__ = version("oot")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "OOTEvaluation",
    "OutOfTimeSplit",
    "InvalidParameterError",
    "MissingColumnError",
    "NotEnoughWindowsError",
    "EstimatorFitError",
    "OOTWarning",
    "WindowWarning",
    "ExtrapolationWarning",
]
