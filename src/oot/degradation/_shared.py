"""Bootstrap draws shared by several curves, and paired comparisons from them.

Several metrics or segments of one evaluation are scored on the same calendar periods.
Drawing each period's bootstrap weight once (:class:`ClusterDraws`) and giving every
curve's bootstrap the weight of the periods it was scored on makes their intervals
comparable: replicate ``r`` of every curve sees the same calendar luck. The difference
of two curves' crossing ages per replicate is then a paired bootstrap of the difference
(:func:`paired_difference`): the calendar noise the two share cancels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from oot._common import ConfidenceInterval
from oot._validation import InvalidParameterError, as_generator, param_message
from oot.degradation._data import FloatArray, _Data

__all__ = ["ClusterDraws", "PairedDifference", "paired_difference"]


@dataclass(frozen=True, eq=False)
class ClusterDraws:
    """Bootstrap weights of calendar clusters, drawn once for several bootstraps.

    Attributes
    ----------
    keys : pandas.Index
        What each cluster stands for (a window start, or an ``anchor + window`` or
        ``(anchor, window)`` key for evaluations without window starts), in draw order.
    method : {"wild", "pairs"}
        The bootstrap the weights are for.
    draws : ndarray of shape (n_bootstrap, n_clusters)
        Per replicate and cluster: the index of its Webb weight (wild) or its
        multinomial count (pairs).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from oot.degradation import ClusterDraws
    >>> d = ClusterDraws.draw(pd.Index([10, 20, 30]), n_bootstrap=4, random_state=0)
    >>> d.draws.shape
    (4, 3)
    >>> d.columns(pd.Index([30, 10])).tolist()
    [2, 0]
    """

    keys: pd.Index
    method: str
    draws: np.ndarray

    @property
    def n_bootstrap(self) -> int:
        return int(self.draws.shape[0])

    @classmethod
    def draw(cls, keys: pd.Index, n_bootstrap: int, method: str = "wild",
             random_state: Any = None) -> ClusterDraws:
        """Draw every cluster's weight for ``n_bootstrap`` replicates.

        The draws are those :func:`bootstrap_crossing` makes for one curve whose
        clusters are ``keys``, in that order, from the same ``random_state``: a curve
        scored on exactly these clusters gets the interval it gets alone.
        """
        rng = as_generator(random_state)
        g = len(keys)
        if method == "wild":
            draws = rng.integers(0, 6, size=(n_bootstrap, g))
        else:
            draws = rng.multinomial(g, np.full(g, 1.0 / g), size=n_bootstrap)
        return cls(pd.Index(keys), method, draws)

    @classmethod
    def union(cls, key_sets: list[pd.Index]) -> pd.Index:
        """The clusters of several curves, the first curve's in its order first."""
        out: pd.Index = pd.Index(key_sets[0])
        for keys in key_sets[1:]:
            new = pd.Index(keys)
            out = pd.Index(out.append(new[~new.isin(out)]))
        return out

    def columns(self, keys: pd.Index) -> np.ndarray:
        """The draw column of each of ``keys`` (which must all have been drawn)."""
        idx = self.keys.get_indexer(pd.Index(keys))
        if np.any(idx < 0):
            missing = list(pd.Index(keys)[idx < 0][:3])
            raise InvalidParameterError(param_message(
                "draws", None, "weights for every cluster of the evaluation", missing,
                "Draw them from the keys of every curve (ClusterDraws.union)."))
        return np.asarray(idx, dtype=np.intp)

    def for_data(self, d: _Data, method: str, n_bootstrap: int) -> np.ndarray:
        """The ``(n_bootstrap, n_clusters)`` draws of the clusters of ``d``, in its
        cluster-code order."""
        if method != self.method or n_bootstrap != self.n_bootstrap:
            raise InvalidParameterError(param_message(
                "draws", None, f"draws for method={method!r} and n_bootstrap="
                f"{n_bootstrap}", _Text(f"draws for method={self.method!r} and "
                                        f"n_bootstrap={self.n_bootstrap}")))
        assert d.cluster_keys is not None
        return np.asarray(self.draws[:, self.columns(d.cluster_keys)])


class _Text:
    """A value shown as written in an error message (not quoted)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class PairedDifference(NamedTuple):
    """The difference of two crossing ages from shared bootstrap draws.

    ``difference`` = first minus second (fit units: days for datetime time; negative:
    the first crosses sooner); ``ci`` its confidence interval (an end is ``-inf`` /
    ``inf`` when it lies beyond the evaluated ages); ``p_first`` the share of
    replicates in which the first crosses sooner (ties count one half);
    ``n_compared`` the replicates in which at least one of the two crosses.
    """

    difference: float
    ci: ConfidenceInterval
    p_first: float
    n_compared: int


def paired_difference(first: FloatArray, second: FloatArray, estimate: float, *,
                      level: float) -> PairedDifference:
    """Percentile interval of ``first - second`` over replicates drawn together.

    ``first`` and ``second`` are the two curves' crossing ages per replicate (``inf``:
    no crossing within the evaluated ages); replicates where neither crosses say
    nothing about which crosses first and are left out. ``level`` is the lower
    percentile level (``(1 - confidence_level) / 2``, or the few-cluster widened one).

    Examples
    --------
    >>> import numpy as np
    >>> from oot.degradation._shared import paired_difference
    >>> a = np.array([40.0, 50.0, 60.0, np.inf])
    >>> b = np.array([60.0, 65.0, 90.0, np.inf])
    >>> r = paired_difference(a, b, -20.0, level=0.0)
    >>> r.ci, r.p_first, r.n_compared
    (ConfidenceInterval(low=-30.0, high=-15.0), 1.0, 3)
    """
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    keep = np.isfinite(a) | np.isfinite(b)
    n = int(keep.sum())
    if n == 0:
        return PairedDifference(float(estimate), ConfidenceInterval(math.nan, math.nan),
                                math.nan, 0)
    with np.errstate(invalid="ignore"):
        d = a[keep] - b[keep]
    lo = float(np.quantile(d, level, method="inverted_cdf"))
    hi = float(np.quantile(d, 1 - level, method="inverted_cdf"))
    p = float(np.mean(a[keep] < b[keep]) + 0.5 * np.mean(a[keep] == b[keep]))
    return PairedDifference(float(estimate), ConfidenceInterval(lo, hi), p, n)
