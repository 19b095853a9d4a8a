"""The saturated age model: anchor offsets plus one free effect per age group.

No shape is assumed: windows of one age (one evaluation window index when the anchors
are one window apart) share one effect, every anchor has its own level. It is the
reference the lack-of-fit test compares a family with, the first step of the monotone
(isotonic) fit, and the age model under which calendar effects are estimated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oot.degradation._data import FloatArray, IntArray, _Data
from oot.degradation._wls import leverage_corrected


def saturated_design(anc: IntArray, group: IntArray) -> FloatArray:
    """Columns of the saturated model: one per anchor, one per age group but the first."""
    n = len(anc)
    n_anchors = int(anc.max()) + 1
    n_groups = int(group.max()) + 1
    x = np.zeros((n, n_anchors + n_groups - 1))
    x[np.arange(n), anc] = 1.0
    later = group > 0
    x[np.flatnonzero(later), n_anchors + group[later] - 1] = 1.0
    return x


def pinv_rank(info: FloatArray) -> tuple[FloatArray, int]:
    """Pseudo-inverse and rank of a symmetric positive semi-definite matrix (one small
    eigendecomposition; eigenvalues below 1e-10 of the largest count as zero)."""
    vals, vecs = np.linalg.eigh(info)
    keep = vals > 1e-10 * max(float(vals.max()), 1e-300)
    inv = (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T
    return np.asarray(inv, dtype=float), int(keep.sum())


@dataclass(frozen=True, eq=False)
class Saturated:
    """The saturated model at fixed weights: ``beta = amap @ y`` for any scores ``y``."""

    x: FloatArray          # (n, p) design
    amap: FloatArray       # (p, n) weighted least-squares map
    ages: FloatArray       # (K,) weighted mean age of each group
    group_weight: FloatArray  # (K,) summed weight of each group
    n_anchors: int
    df: int                # residual degrees of freedom
    anc: IntArray          # each window's anchor and age group (the design's ones)
    group: IntArray

    @classmethod
    def of(cls, d: _Data, w: FloatArray) -> Saturated:
        x = saturated_design(d.anc, d.group)
        xtw = x.T * w
        info_inv, rank = pinv_rank(xtw @ x)
        amap = info_inv @ xtw
        k = int(d.group.max()) + 1
        gw = np.bincount(d.group, weights=w, minlength=k).astype(float)
        plain = np.bincount(d.group, weights=d.a, minlength=k) / np.maximum(
            np.bincount(d.group, minlength=k), 1)
        ages = np.where(gw > 0, np.bincount(d.group, weights=w * d.a, minlength=k)
                        / np.where(gw > 0, gw, 1.0), plain)
        return cls(x, amap, ages, gw, d.n_anchors, d.n - rank, d.anc, d.group)

    def effects(self, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Anchor offsets (R, J) and group effects (R, K), the first group's at 0."""
        beta = y @ self.amap.T
        j = self.n_anchors
        return beta[:, :j], np.concatenate([np.zeros((beta.shape[0], 1)), beta[:, j:]],
                                           axis=1)

    def rss(self, y: FloatArray, w: FloatArray) -> FloatArray:
        """Weighted residual sum of squares of every row of ``y`` (R, n)."""
        mu, g = self.effects(y)
        resid = y - mu[:, self.anc] - g[:, self.group]
        if resid.shape[0] == 1:   # the fit's own, as it always was
            return np.asarray(np.sum(w[None, :] * resid * resid, axis=1))
        return np.asarray(np.einsum("rn,n,rn->r", resid, w, resid))   # replicates: one pass

    def jackknife_residuals(self, y: FloatArray, w: FloatArray, clusters: IntArray
                            ) -> FloatArray:
        """Delete-one-cluster (CV3) residuals ``(I - H_gg)^-1 r_g`` of the saturated
        fit (see :func:`~oot.degradation._wls.leverage_corrected`)."""
        resid = y - self.x @ (self.amap @ y)
        info_inv, _ = pinv_rank((self.x.T * w) @ self.x)
        out = np.empty_like(resid)
        for g in range(int(clusters.max()) + 1):
            idx = np.flatnonzero(clusters == g)
            xg = self.x[idx]
            m = np.eye(idx.size) - xg @ info_inv @ (xg * w[idx, None]).T
            out[idx] = leverage_corrected(m, resid[idx])
        return out
