"""Where the results lived before each moved next to the step that makes it.

:class:`OOTEvaluation` is in :mod:`oot.evaluate` and :class:`RetrainRecommendation`
in :mod:`oot.recommend`; both are also ``oot.OOTEvaluation`` and
``oot.RetrainRecommendation``. This alias keeps ``from oot.results import ...``
working; nothing inside oot imports it.

>>> from oot.results import OOTEvaluation, RetrainRecommendation
>>> import oot
>>> OOTEvaluation is oot.OOTEvaluation and RetrainRecommendation is oot.RetrainRecommendation
True
"""

from oot.evaluate import SCORE_COLUMNS, OOTEvaluation
from oot.recommend import RetrainRecommendation

__all__ = ["OOTEvaluation", "RetrainRecommendation", "SCORE_COLUMNS"]
