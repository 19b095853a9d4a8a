"""Degradation curves: score as a function of model age, pooled over anchors.

The model for the score of anchor ``j`` at age ``a`` is ``mu_j + f(a; theta)`` with
``f(0) = 0``: each anchor has its own level (offset), the shape is shared. Every
parametric family is linear given at most one nonlinear parameter, so fits profile that
parameter over a grid (refined with a bounded scalar optimiser) and eliminate the anchor
offsets by within-anchor weighted centring (Frisch-Waugh-Lovell); the step / logistic
family profiles two over a two-dimensional grid and is fitted to window means. The same
algebra, written for many replicates at once, makes the bootstrap of the crossing age
(:func:`bootstrap_crossing`) fast. ``curve="auto"`` tests the chosen family against the
saturated age model (lack of fit) and lets the monotone shape decide when no parametric
family fits; calendar effects shared by every anchor are tested and, as asked, removed.

Public objects: :func:`fit_degradation`, :class:`DegradationCurve`,
:func:`bootstrap_crossing`, :class:`CrossingBootstrap`, :func:`mann_kendall`,
:class:`MannKendallResult`, :func:`scores_as_fitted`, :data:`FAMILIES`,
:data:`PARAMETRIC_FAMILIES`.

Where things live:

- ``_families``: one record per curve family (:class:`CurveFamily`) and the registry;
- ``_data``: an evaluation prepared for the fits (fresh reference, weights, clusters,
  window lengths, age groups, calendar times);
- ``_calendar``: calendar effects shared by every anchor (season, level shift);
- ``_saturated``: the saturated age model (anchor offsets, one effect per age group);
- ``_wls``: the weighted profile fits, tau2, the likelihood, the linearisation;
- ``_logistic``: the step / logistic family's own fit;
- ``_isotonic``: the isotonic family's own fit (the saturated model made monotone);
- ``_lack_of_fit``: the test of a family against the saturated age model;
- ``_curve``: :class:`DegradationCurve` and the baseline and threshold rules;
- ``_select``: :func:`fit_degradation` (the candidates, AICc);
- ``_trend``: :func:`mann_kendall`;
- ``_bootstrap``: :func:`bootstrap_crossing`, :class:`CrossingBootstrap`;
- ``_shared``: :class:`ClusterDraws` (bootstrap draws shared by several curves) and
  :func:`paired_difference`.
"""

from oot.degradation._bootstrap import CrossingBootstrap, bootstrap_crossing
from oot.degradation._calendar import scores_as_fitted
from oot.degradation._curve import DegradationCurve
from oot.degradation._families import FAMILIES, PARAMETRIC_FAMILIES
from oot.degradation._select import fit_degradation
from oot.degradation._shared import ClusterDraws, PairedDifference, paired_difference
from oot.degradation._trend import MannKendallResult, mann_kendall

__all__ = [
    "FAMILIES",
    "PARAMETRIC_FAMILIES",
    "DegradationCurve",
    "fit_degradation",
    "CrossingBootstrap",
    "bootstrap_crossing",
    "ClusterDraws",
    "PairedDifference",
    "paired_difference",
    "MannKendallResult",
    "mann_kendall",
    "scores_as_fitted",
]
