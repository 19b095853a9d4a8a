"""The recommendation: how often to retrain, with its confidence interval.

:func:`recommend_retrain_interval` runs the whole analysis and returns a
:class:`RetrainRecommendation`; :func:`cost_optimal_interval` is the age-replacement
cost optimum it uses when costs are given.

Modules: ``_recommend`` (:func:`recommend_retrain_interval`), ``_cost``
(:func:`cost_optimal_interval`, :class:`CostOptimum`), ``_result``
(:class:`RetrainRecommendation`), ``_collection`` (:class:`RetrainRecommendations`,
several metrics or segments) and ``_each`` (one recommendation per metric and segment,
shared bootstrap draws, partial pooling).
"""

from oot.recommend._collection import Comparison, RetrainRecommendations
from oot.recommend._cost import CostOptimum, cost_optimal_interval
from oot.recommend._recommend import recommend_retrain_interval
from oot.recommend._result import RetrainRecommendation

__all__ = ["recommend_retrain_interval", "RetrainRecommendation", "RetrainRecommendations",
           "Comparison", "cost_optimal_interval", "CostOptimum"]
