"""Lack of fit: does a family follow the age profile as well as the data can show?

The reference is the saturated age model (anchor offsets and one free effect per age
group): it fits any shape, and where several anchors have windows of one age their
scatter there is the noise the windows carry (sampling error, tau^2, calendar noise)
without any shape assumed. The statistic is the usual lack-of-fit F,

    F = ((rss_family - rss_saturated) / df1) / (rss_saturated / df2),

both at the family's weights ``1 / (se^2 + tau2)``. Windows of one calendar period share
their noise, so the F table does not apply; the null distribution comes from wild
cluster replicates drawn around the family's own fit (jackknife residuals, one Webb
weight per calendar period), each refitted by the family and by the saturated model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from oot.degradation._data import AnchorIndex, FloatArray, _Data
from oot.degradation._saturated import Saturated
from oot.degradation._wls import Replicas, jackknife_residuals

if TYPE_CHECKING:
    from oot.degradation._families import CurveFamily

#: Replicates of the null distribution, drawn with a fixed seed (the fit is
#: reproducible: the same data give the same choice of shape).
N_REPLICATES = 199
_SEED = 7
#: The level below which no parametric family fits: strict, because a family that
#: misses a shape a little still places its crossing well (the monotone shape, which
#: assumes nothing, pays for it with a wider, rougher interval).
LEVEL = 0.01
_WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0,
                  math.sqrt(1.5)])


@dataclass(frozen=True)
class LackOfFit:
    """The test of one family against the saturated age model."""

    family: str
    statistic: float
    pvalue: float
    critical: float   # the null replicates' 1 - LEVEL quantile (a replicate past it moves)
    df1: int
    df2: int

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "statistic": self.statistic, "pvalue": self.pvalue,
                "critical": self.critical, "df1": self.df1, "df2": self.df2}


def lack_of_fit(family: CurveFamily, params: dict[str, float], fitted: FloatArray,
                rss: float, w: FloatArray, d: _Data, sgn: float, scale: float,
                anchors: AnchorIndex) -> LackOfFit | None:
    """The test, or None when it cannot be made: fewer than two anchors (one window per
    age: noise and shape error cannot be told apart), fewer than 3 residual degrees of
    freedom in the saturated model, or a family as free as it."""
    if d.n_anchors < 2:
        return None
    sat = Saturated.of(d, w)
    df2 = sat.df
    df1 = d.n - d.n_anchors - family.n_shape - df2
    if df2 < 3 or df1 < 1:
        return None
    rss_sat = float(sat.rss(d.y[None, :], w)[0])
    spread = float(np.sum(w * (d.y - np.average(d.y, weights=w)) ** 2))
    if rss - rss_sat <= 1e-10 * spread:  # the family fits to rounding: nothing to test
        return LackOfFit(family.name, 0.0, 1.0, math.inf, int(df1), int(df2))
    stat = (rss - rss_sat) / df1 / max(rss_sat / df2, 1e-300)
    clusters = d.clusters if d.clusters is not None else np.arange(d.n, dtype=np.intp)
    g = int(clusters.max()) + 1
    adj = jackknife_residuals(family, params, d, w, d.y - fitted, clusters, anchors)
    rng = np.random.default_rng(_SEED)
    v = _WEBB[rng.integers(0, 6, size=(N_REPLICATES, g))]
    y_rep = fitted[None, :] + v[:, clusters] * adj[None, :]
    rep = Replicas(d, w[None, :], y_rep, anchors, sgn, scale, np.zeros(1),
                   lambda level: level)
    fam_rss = family.refit_replicates(rep).rss
    sat_rss = sat.rss(y_rep, w)
    null = (fam_rss - sat_rss) / df1 / np.maximum(sat_rss / df2, 1e-300)
    pval = float((1 + np.sum(null >= stat)) / (1 + N_REPLICATES))
    return LackOfFit(family.name, float(stat), pval, float(np.quantile(null, 1 - LEVEL)),
                     int(df1), int(df2))
