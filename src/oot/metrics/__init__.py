"""Metric registry, fast per-window scores and per-window standard errors.

A :class:`Metric` couples a scikit-learn style scoring function with what the rest of
``oot`` needs to know about it: its direction, which estimator method produces its
input, the task it applies to, and how to score it and compute its sampling error from
one window. Scoring dispatches on these fields only, so a user's metric can use the
same vectorised kernels and formulas as the built-in ones.

:func:`score_windows` is the hot path of an out-of-time evaluation: it scores many
contiguous row ranges of one prediction vector at once. ROC AUC (binary) and the
metrics that are means of a per-row value (MAE, MSE, RMSE, R², MAPE, log loss, Brier,
accuracy) are computed for all windows together with sorts and segment sums, and equal
scikit-learn's functions to 1e-9; every other metric is computed window by window.

Input conventions (guaranteed by the evaluation engine):

* binary classification: ``y_true`` holds 0/1 (1 is the positive class); ``y_pred`` is
  a 1-D float score (probability of class 1 or decision value) for the
  ``"predict_proba"``/``"decision_function"`` responses, or 0/1 labels for
  ``"predict"``;
* multiclass: ``y_true`` holds codes ``0..K-1``; ``y_pred`` is an ``(n, K)`` matrix,
  or codes for ``"predict"``; pass ``n_classes=K`` to :func:`score_windows`;
* regression: floats.

Modules: ``_metric`` (the record), ``_registry`` (the built-in metrics,
:func:`available`, :func:`get_metric`), ``_scoring`` (:func:`score_windows`,
:class:`WindowScores`, the window statuses), ``_fast`` (the vectorised kernels a metric
names), ``_se`` (the standard-error formulas), ``_bootstrap`` (bootstrap standard
errors), ``_kernels`` (segments, segment sums, rank statistics of ROC AUC), ``_paired``
(:func:`score_window_pairs`: two predictions of the same rows, paired standard errors).
"""

from __future__ import annotations

# Also importable from here (not in __all__): the vocabularies of Metric's fields and of
# the window status, and the engine's question whether a metric may be scored in a
# helper thread.
from oot.metrics._metric import KERNELS as KERNELS
from oot.metrics._metric import MEAN_TO_SCORE as MEAN_TO_SCORE
from oot.metrics._metric import RESPONSES as RESPONSES
from oot.metrics._metric import TASKS as TASKS
from oot.metrics._metric import Metric
from oot.metrics._paired import PairedScores, score_window_pairs
from oot.metrics._registry import available, get_metric
from oot.metrics._scoring import SE_METHODS as SE_METHODS
from oot.metrics._scoring import STATUSES as STATUSES
from oot.metrics._scoring import WindowScores, score_windows
from oot.metrics._scoring import _thread_safe_scoring as _thread_safe_scoring
from oot.metrics._se import delong_se, hanley_mcneil_se, paired_delong_se

__all__ = [
    "Metric",
    "WindowScores",
    "available",
    "get_metric",
    "score_windows",
    "hanley_mcneil_se",
    "delong_se",
    "PairedScores",
    "score_window_pairs",
    "paired_delong_se",
]
