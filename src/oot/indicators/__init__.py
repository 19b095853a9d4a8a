"""Leading indicators: which label-free signal warns before the metric crosses the
tolerance.

``oot.evaluate_out_of_time(..., indicators=True)`` computes, per (anchor, window) and
against the anchor's own training rows, the drift of every feature and of the model's
predictions (PSI on training-quantile bins, the Kolmogorov-Smirnov statistic; PSI over
categories for categorical features) and, for a probabilistic classifier, the expected
scores from its predicted probabilities alone. :func:`rank_indicators` then says how
well each one tracks the measured score (rank correlation within anchors), how far
ahead of the metric's crossing of the tolerance it reaches its alarm level, and how
well it does as a retraining trigger on history (:func:`oot.backtest_trigger`).

The kernels are public too: :func:`psi`, :func:`ks_statistic`,
:func:`expected_roc_auc`, :func:`expected_accuracy`.
"""

from oot.backtest import TriggerBacktest, backtest_trigger
from oot.evaluate._drift import (
    PSI_BINS,
    PSI_PSEUDOCOUNT,
    expected_accuracy,
    expected_roc_auc,
    ks_statistic,
    psi,
)
from oot.evaluate._indicators import INDICATOR_COLUMNS, INDICATOR_STATUSES
from oot.indicators._rank import IndicatorReport, rank_indicators

__all__ = [
    "rank_indicators",
    "IndicatorReport",
    "backtest_trigger",
    "TriggerBacktest",
    "psi",
    "ks_statistic",
    "expected_roc_auc",
    "expected_accuracy",
    "INDICATOR_COLUMNS",
    "INDICATOR_STATUSES",
    "PSI_BINS",
    "PSI_PSEUDOCOUNT",
]
