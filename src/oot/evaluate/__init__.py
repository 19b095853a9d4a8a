"""The out-of-time evaluation: scores of frozen models on later windows.

:func:`evaluate_out_of_time` trains a clone of the estimator once per anchor and scores
it on every later window; :func:`evaluate_predictions` scores predictions made
elsewhere. Both return an :class:`OOTEvaluation`, the input of the degradation fit.

Modules: ``_engine`` (the per-anchor fit, predict and scoring), ``_predictions``
(:func:`evaluate_predictions`), ``_target`` (the target and the estimator's response,
encoded for the metric), ``_shared`` (checks, seeds and the scores frame both entry
points use) and ``_result`` (:class:`OOTEvaluation`).
"""

from oot.evaluate._engine import evaluate_out_of_time
from oot.evaluate._predictions import evaluate_predictions
from oot.evaluate._result import SCORE_COLUMNS, OOTEvaluation

__all__ = ["evaluate_out_of_time", "evaluate_predictions", "OOTEvaluation", "SCORE_COLUMNS"]
