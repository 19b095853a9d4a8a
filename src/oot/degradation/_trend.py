"""The trend test: a stratified Mann-Kendall test of score against model age."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oot.degradation._data import FloatArray, IntArray


@dataclass(frozen=True)
class MannKendallResult:
    """Result of :func:`mann_kendall`.

    Attributes
    ----------
    s : float
        Mann-Kendall S (sum over strata).
    var_s : float
        Variance of S under no trend, with the tie correction (sum over strata).
    z : float
        Normal score with continuity correction, ``(S - sign(S)) / sqrt(Var(S))``.
    pvalue : float
        Two-sided p-value.
    tau : float
        Kendall's tau-a, ``S`` over the number of pairs.
    """

    s: float
    var_s: float
    z: float
    pvalue: float
    tau: float


def mann_kendall(
    x: Any, y: Any, groups: Any = None, clusters: Any = None
) -> MannKendallResult:
    """Mann-Kendall trend test of ``y`` against ``x``, optionally stratified by ``groups``.

    With ``groups``, S and Var(S) are computed within each group and summed (a
    stratified, "seasonal" Mann-Kendall test), so that group levels (anchor offsets) do
    not create or hide a trend.

    Parameters
    ----------
    x, y : array-like
        Order variable (age) and values (scores).
    groups : array-like, default=None
        Stratum of each point (the anchor).
    clusters : array-like, default=None
        Calendar period of each point. Scores of one period share its noise across
        anchors, which correlates the strata's statistics; with clusters, Var(S) is the
        larger of the textbook variance and a delete-one-cluster jackknife estimate
        (scaled through Kendall's tau), so shared noise does not pass for a trend.

    Returns
    -------
    MannKendallResult

    Examples
    --------
    >>> from oot.degradation import mann_kendall
    >>> r = mann_kendall(range(10), range(10, 0, -1))
    >>> r.s, r.var_s, round(r.z, 3), f"{r.pvalue:.1e}"
    (-45.0, 125.0, -3.935, '8.3e-05')
    """
    from scipy import stats
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    g = np.zeros(len(xa), dtype=int) if groups is None else pd.factorize(
        np.asarray(groups))[0]
    cl = None if clusters is None else pd.factorize(np.asarray(clusters))[0]
    sums = _StratifiedSums(xa, ya, g, cl)
    s_tot, var_tot, pairs = sums.s, sums.var_s, sums.pairs
    if cl is not None and pairs > 0:
        var_jk = sums.jackknife_var_s()
        if var_jk is not None:
            var_tot = max(var_tot, var_jk)
    if var_tot <= 0:
        return MannKendallResult(s_tot, var_tot, 0.0, 1.0, 0.0)
    z = (s_tot - np.sign(s_tot)) / math.sqrt(var_tot)
    p = float(2.0 * stats.norm.sf(abs(z)))
    return MannKendallResult(s_tot, var_tot, float(z), p, s_tot / pairs)


class _StratifiedSums:
    """S, Var(S) and the pair count summed over strata; with clusters, also the S and
    pair count of the pairs that touch each cluster (for the jackknife)."""

    def __init__(self, xa: FloatArray, ya: FloatArray, g: Any, cl: IntArray | None
                 ) -> None:
        self.n_clusters = 0 if cl is None else int(cl.max()) + 1
        self.s = 0.0
        self.var_s = 0.0
        self.pairs = 0.0
        self.s_touch = np.zeros(self.n_clusters)
        self.p_touch = np.zeros(self.n_clusters)
        for k in np.unique(g):
            sel = g == k
            self._add_stratum(xa[sel], ya[sel], None if cl is None else cl[sel])

    def _add_stratum(self, xs: FloatArray, ys: FloatArray, cs: IntArray | None) -> None:
        n = len(xs)
        if n < 2:
            return
        sx = np.sign(xs[None, :] - xs[:, None])
        sy = np.sign(ys[None, :] - ys[:, None])
        contrib = np.triu(sx * sy, 1)
        self.s += float(np.sum(contrib))
        _, ties = np.unique(ys, return_counts=True)
        self.var_s += (n * (n - 1) * (2 * n + 5)
                       - float(np.sum(ties * (ties - 1) * (2 * ties + 5)))) / 18.0
        self.pairs += n * (n - 1) / 2.0
        if cs is not None:
            iu, ju = np.triu_indices(n, 1)
            ci, cj, v = cs[iu], cs[ju], contrib[iu, ju]
            diff = ci != cj
            # sums of -1, 0, 1 and counts: exact in any order
            g = self.n_clusters
            self.s_touch += (np.bincount(ci, weights=v, minlength=g)
                             + np.bincount(cj[diff], weights=v[diff], minlength=g))
            self.p_touch += (np.bincount(ci, minlength=g)
                             + np.bincount(cj[diff], minlength=g))

    def jackknife_var_s(self) -> float | None:
        """Delete-one-cluster jackknife variance of tau, scaled to S (None with fewer
        than 4 clusters that leave pairs behind)."""
        if self.n_clusters < 4:
            return None
        keep_p = self.pairs - self.p_touch
        ok = keep_p > 0
        if ok.sum() < 4:
            return None
        tau_del = (self.s - self.s_touch[ok]) / keep_p[ok]
        gk = int(ok.sum())
        var_tau = (gk - 1) / gk * float(np.sum((tau_del - tau_del.mean()) ** 2))
        return var_tau * self.pairs**2
