"""Degradation curves: score as a function of model age, pooled over anchors.

The model for the score of anchor ``j`` at age ``a`` is ``mu_j + f(a; theta)`` with
``f(0) = 0``: each anchor has its own level (offset), the shape is shared. Every
parametric family is linear given at most one nonlinear parameter, so fits profile that
parameter over a grid (refined with a bounded scalar optimiser) and eliminate the anchor
offsets by within-anchor weighted centring (Frisch-Waugh-Lovell). The same algebra,
written for many replicates at once, makes the bootstrap of the crossing age
(:func:`bootstrap_crossing`) fast.

Public objects: :func:`fit_degradation`, :class:`DegradationCurve`,
:func:`bootstrap_crossing`, :class:`CrossingBootstrap`, :func:`mann_kendall`,
:class:`MannKendallResult`, :data:`FAMILIES`, :data:`PARAMETRIC_FAMILIES`.

Where things live:

- ``_families``: one record per curve family (:class:`CurveFamily`) and the registry;
- ``_data``: an evaluation prepared for the fits (fresh reference, weights, clusters);
- ``_wls``: the weighted profile fits, tau2, the likelihood, the linearisation;
- ``_isotonic``: the isotonic family's own fit;
- ``_curve``: :class:`DegradationCurve` and the baseline and threshold rules;
- ``_select``: :func:`fit_degradation` (the candidates, AICc);
- ``_trend``: :func:`mann_kendall`;
- ``_bootstrap``: :func:`bootstrap_crossing`, :class:`CrossingBootstrap`.
"""

from oot.degradation._bootstrap import CrossingBootstrap, bootstrap_crossing
from oot.degradation._curve import DegradationCurve
from oot.degradation._families import FAMILIES, PARAMETRIC_FAMILIES
from oot.degradation._select import fit_degradation
from oot.degradation._trend import MannKendallResult, mann_kendall

__all__ = [
    "FAMILIES",
    "PARAMETRIC_FAMILIES",
    "DegradationCurve",
    "fit_degradation",
    "CrossingBootstrap",
    "bootstrap_crossing",
    "MannKendallResult",
    "mann_kendall",
]
