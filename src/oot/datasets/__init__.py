"""Data sets: generators with an exactly known degradation, and bundled real data.

- :func:`load_chicago_ridership` -- daily Chicago "L" ridership, a real case of aging.
- :func:`make_drifting_regression`, :func:`make_drifting_classification` -- row-level data
  whose coefficients drift at a known rate, with the exact expected score of a model of any
  age (:class:`DriftingDataset`).
- :func:`make_heuristic_comparison` -- a model that ages and a heuristic on a stable feature
  that does not, with the exact age at which their expected scores cross
  (:class:`HeuristicDataset`), for comparisons of candidates.
- :func:`make_degradation_scores` -- an evaluation table (anchor x window scores) drawn
  around a known degradation curve, with the noise structure of real out-of-time studies
  (:class:`DegradationScores`), for calibration studies of the curve fits and intervals.
- :func:`make_indicator_data` -- classification data in which one feature's drift causes
  the loss and another's does not (:class:`IndicatorDataset`), for the leading indicators.
"""

from ._chicago import load_chicago_ridership
from ._drifting import DriftingDataset, make_drifting_classification, make_drifting_regression
from ._heuristic import HeuristicDataset, make_heuristic_comparison
from ._indicators import IndicatorDataset, make_indicator_data
from ._scores import DegradationScores, make_degradation_scores

__all__ = [
    "load_chicago_ridership",
    "make_drifting_regression",
    "make_drifting_classification",
    "DriftingDataset",
    "make_heuristic_comparison",
    "HeuristicDataset",
    "make_degradation_scores",
    "DegradationScores",
    "make_indicator_data",
    "IndicatorDataset",
]
