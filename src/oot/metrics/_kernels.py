"""Low-level numerics over windows: segments, segment sums and the rank statistics of ROC AUC.

Nothing here knows about metrics or standard-error formulas: :class:`Segments` lays
many contiguous row ranges out back to back and reduces over them, and
:func:`rank_auc` returns, per window, the Mann-Whitney AUC and DeLong's placement-value
variances, from which :mod:`oot.metrics._se` builds the standard errors.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Up to this many windows, per-window values are applied with a loop over slices rather
# than a row-length broadcast.
_SUBTRACT_LOOP_MAX = 256

# Score ROC AUC window by window when there are few windows or they are long on average;
# with many tiny windows the per-window call overhead would dominate. The two paths cost
# the same at about 300 rows per window (580,000 rows in windows of 25 to 2,400 rows):
# below, the grouped path wins (4x at 50 rows); above, the per-window path (3x at 1,200).
_PER_WINDOW_MAX = 64
_PER_WINDOW_ROWS = 320


class Segments:
    """Contiguous row ranges gathered into one array, in window order.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.metrics._kernels import Segments
    >>> seg = Segments(np.array([3, 0, 5]), np.array([5, 3, 5]))
    >>> seg.take(np.arange(10.0)).tolist()
    [3.0, 4.0, 0.0, 1.0, 2.0]
    >>> seg.sum(seg.take(np.arange(10.0))).tolist()
    [7.0, 3.0, 0.0]
    """

    def __init__(self, starts: IntArray, stops: IntArray) -> None:
        self.n_windows = len(starts)
        self.starts = starts
        self.lengths = stops - starts
        self.total = int(self.lengths.sum())
        self.offsets = np.cumsum(self.lengths) - self.lengths
        self.nonempty = self.lengths > 0
        self._ne_offsets = self.offsets[self.nonempty]
        ne_starts = starts[self.nonempty]
        # Windows already laid out back to back in row order need no gather (a view).
        self._view_from: int | None = None
        if ne_starts.size and np.all(ne_starts - self._ne_offsets == ne_starts[0]):
            self._view_from = int(ne_starts[0])

    @classmethod
    def one(cls, n: int) -> Segments:
        """A single window over rows ``[0, n)``."""
        return cls(np.array([0], dtype=np.int64), np.array([n], dtype=np.int64))

    @functools.cached_property
    def wid(self) -> IntArray:
        """Window id of every gathered row (built on first use)."""
        return np.repeat(np.arange(self.n_windows, dtype=np.int64), self.lengths)

    def subtract_each(self, x: FloatArray, values: FloatArray,
                      out: FloatArray | None = None) -> None:
        """Subtract ``values[w]`` from the rows of window ``w`` of ``x``, in place or
        into ``out`` (an array of the shape of ``x``)."""
        out = x if out is None else out
        if self.n_windows <= _SUBTRACT_LOOP_MAX:
            for w in np.flatnonzero(self.nonempty).tolist():
                lo = int(self.offsets[w])
                hi = lo + int(self.lengths[w])
                np.subtract(x[lo:hi], values[w], out=out[lo:hi])
        else:
            np.subtract(x, np.repeat(values, self.lengths), out=out)

    def take(self, x: NDArray[Any]) -> NDArray[Any]:
        """The rows of all windows, window after window."""
        if self._view_from is not None:
            return x[self._view_from:self._view_from + self.total]
        if self.total == 0:
            return x[:0]
        rows = (np.arange(self.total, dtype=np.int64)
                + np.repeat(self.starts - self.offsets, self.lengths))
        return np.asarray(x[rows])

    def sum(self, x: NDArray[Any]) -> FloatArray:
        """Per-window sum of a gathered array (0 for empty windows)."""
        out = np.zeros(self.n_windows, dtype=float)
        if self.total:
            out[self.nonempty] = np.add.reduceat(np.asarray(x, dtype=float), self._ne_offsets)
        return out

    def count(self, mask: BoolArray) -> IntArray:
        """Per-window number of true values of a gathered mask."""
        out = np.zeros(self.n_windows, dtype=np.int64)
        if self.total:
            out[self.nonempty] = np.add.reduceat(mask, self._ne_offsets, dtype=np.int64)
        return out

    def reduce(self, ufunc: np.ufunc, x: FloatArray, fill: float) -> FloatArray:
        """Per-window ``ufunc.reduce`` of a gathered array (``fill`` for empty windows)."""
        out = np.full(self.n_windows, fill, dtype=float)
        if self.total:
            out[self.nonempty] = ufunc.reduceat(x, self._ne_offsets)
        return out

    def distinct(self, x: NDArray[Any]) -> IntArray:
        """Per-window number of distinct integer values of a gathered array (1 if empty)."""
        out = np.ones(self.n_windows, dtype=np.int64)
        if self.total:
            # count the changes of value per window after one sort by (window, value)
            xs = x.astype(np.int64)
            key = np.lexsort((xs, self.wid))
            xk, wk = xs[key], self.wid[key]
            change = np.r_[False, (xk[1:] != xk[:-1]) & (wk[1:] == wk[:-1])]
            out = 1 + self.count(change)
        return out


# ---------------------------------------------------------------------------------------
# ROC AUC from ranks
# ---------------------------------------------------------------------------------------


class RankAUC(NamedTuple):
    """Per-window rank statistics of binary ROC AUC.

    ``auc`` is NaN where a class is missing; ``var10`` and ``var01`` are the sample
    variances (ddof=1) of DeLong's placement values of the positives and of the
    negatives (NaN where a class has fewer than two rows, or when not computed).
    """

    auc: FloatArray
    n_pos: FloatArray
    n_neg: FloatArray
    var10: FloatArray
    var01: FloatArray


_SIGN = np.uint64(1 << 63)
_ONE = np.uint64(1)


def _keyed_order(pos_mask: BoolArray, s: FloatArray) -> NDArray[np.uint64] | None:
    """The window's scores as sorted integer keys carrying the label, or None.

    Each score is mapped to an unsigned integer in the same order and moved up one bit;
    the label goes into the freed lowest bit, so one plain sort of the keys orders the
    window by score with negatives before equal positives, and ``key >> 1`` orders like
    the scores. For scores >= 0 (probabilities) the key is the IEEE-754 bit pattern
    itself (shifting out the sign bit makes -0.0 equal to 0.0). Otherwise it is the
    general sort key (sign bit set for positives, all bits flipped for negatives),
    shifted to start at 0; None when those keys span 2**63 or more (scores of both
    signs and large magnitudes, e.g. beyond +-2), where no bit is free.
    """
    with np.errstate(invalid="ignore"):
        nonneg = bool(s.min() >= 0.0)  # False with NaN
    if nonneg:
        k = s.view(np.uint64) << _ONE
    else:
        k = (s + 0.0).view(np.uint64)  # a new array; -0.0 becomes 0.0
        flip = k >> np.uint64(63)
        np.negative(flip, out=flip)  # all ones for negative scores
        flip |= _SIGN
        k ^= flip
        lo = int(k.min())
        if int(k.max()) - lo >= 2**63:
            return None
        k -= np.uint64(lo)
        k <<= _ONE
    np.bitwise_or(k, pos_mask, out=k, casting="unsafe")
    k.sort()
    return k


def _merged_order(pos_mask: BoolArray, s: FloatArray) -> tuple[BoolArray, FloatArray]:
    """Labels of the window in score order, negatives before equal positives.

    Each class is sorted on its own, then the two sorted runs are merged by a stable
    argsort of their concatenation (one linear merge for timsort). Returns the sorted
    labels and the sorted scores.
    """
    neg = np.sort(s[~pos_mask])
    both = np.concatenate((neg, np.sort(s[pos_mask])))
    merged = np.argsort(both, kind="stable")
    return merged >= neg.size, both[merged]


def _auc_window(pos_mask: BoolArray, s: FloatArray, delong: bool,
                ) -> tuple[float, int, int, float, float]:
    """ROC AUC, class counts and DeLong's placement variances for one window.

    The window is put in score order with negatives before equal positives
    (:func:`_keyed_order`, else :func:`_merged_order`). Then the number of negatives
    preceding the i-th positive is its count of negatives ``<=`` it, and the number of
    positives preceding the j-th negative is its count of positives ``<`` it. Only when
    a score occurs in both classes are the other-sided counts needed
    (``searchsorted``); the placement values then count ties one half, as in the
    average-rank formula.
    """
    keys = _keyed_order(pos_mask, s)
    vals: NDArray[Any] | None = None
    if keys is not None:
        is_pos = np.bitwise_and(keys, 1, dtype=np.uint8, casting="unsafe").view(bool)
        # a cross-class tie is a negative's key 2v directly followed by a positive's 2v + 1
        step1 = np.diff(keys) == 1
        tied = bool(step1.any()) and bool(np.any(step1 & is_pos[1:]))
    else:
        is_pos, vals = _merged_order(pos_mask, s)
        tied = bool(np.any((vals[1:] == vals[:-1]) & is_pos[1:] & ~is_pos[:-1]))
    le = np.flatnonzero(is_pos)  # negatives <= the i-th positive: position minus i
    n1 = le.size
    n0 = is_pos.size - n1
    nan = math.nan
    if n1 == 0 or n0 == 0:
        return nan, n1, n0, nan, nan
    le -= np.arange(n1)
    if not tied:
        return _untied_stats(le, is_pos, n1, n0, delong)
    if vals is None:
        assert keys is not None
        vals = keys >> _ONE
    pos, neg = vals[is_pos], vals[~is_pos]
    # twice the placement counts: (#neg < p) + (#neg <= p), (#pos < n) + (#pos <= n);
    # V10 = c10 / (2 n0), V01 = 1 - c01 / (2 n1)
    c10 = le + np.searchsorted(neg, pos, "left")
    auc = int(c10.sum()) / (2 * n1 * n0)
    if not delong or n1 < 2 or n0 < 2:
        return auc, n1, n0, nan, nan
    lt = np.flatnonzero(~is_pos)  # positives < the j-th negative: position minus j
    lt -= np.arange(n0)
    c01 = lt + np.searchsorted(pos, neg, "right")
    var10 = _count_var(c10, 2 * n0) / float(2 * n0) ** 2
    var01 = _count_var(c01, 2 * n1) / float(2 * n1) ** 2
    return auc, n1, n0, var10, var01


def _untied_stats(le: IntArray, is_pos: BoolArray, n1: int, n0: int, delong: bool,
                  ) -> tuple[float, int, int, float, float]:
    """:func:`_auc_window`'s output for a window without tied scores and with both
    classes, from the counts ``le`` of negatives below each positive in score order
    and the labels ``is_pos`` in that order (exact integers until the divisions)."""
    s1 = int(le.sum())
    auc = s1 / (n1 * n0)
    if not delong or n1 < 2 or n0 < 2:
        return auc, n1, n0, math.nan, math.nan
    return auc, n1, n0, *_untied_variances(le, is_pos, n1, n0, s1)


def _untied_variances(le: IntArray, is_pos: BoolArray, n1: int, n0: int, s1: int,
                      ) -> tuple[float, float]:
    """DeLong's placement variances ``(var10, var01)`` of a window without tied scores
    (``n1``, ``n0`` >= 2), from the counts ``le`` of negatives below each positive in
    score order (sum ``s1``) and the labels ``is_pos`` in that order."""
    if n1 * n0 * max(n1, n0) < 2**62:
        # Without ties the negatives' counts follow from the positives': with
        # lt_j = #positives below the j-th negative, sum_j lt_j = n1 n0 - sum_i le_i and
        # sum_j lt_j^2 = sum over pairs (i, i') of the negatives above both
        # = sum_i (2i + 1)(n0 - le_i), the pairs whose larger index is i. Exact integers.
        t1 = n1 * n0 - s1
        t2 = n0 * n1 * n1 - 2 * int(np.dot(np.arange(n1), le)) - s1
        var10 = _var_from_sums(n1, s1, int(np.dot(le, le))) / float(n0) ** 2
        var01 = _var_from_sums(n0, t1, t2) / float(n1) ** 2
        return var10, var01
    lt = np.flatnonzero(~is_pos)  # positives < the j-th negative: position minus j
    lt -= np.arange(n0)
    return (_count_var(le, n0) / float(n0) ** 2, _count_var(lt, n1) / float(n1) ** 2)


def _var_from_sums(n: int, s1: int, s2: int) -> float:
    """Sample variance (ddof=1) of ``n`` integers with sum ``s1`` and sum of squares
    ``s2`` (exact until the final division)."""
    return (n * s2 - s1 * s1) / (n * (n - 1.0))


def _count_var(c: IntArray, c_max: int) -> float:
    """Sample variance (ddof=1) of integer counts in ``[0, c_max]``.

    Exact in integers (one pass for the sum of squares) while it cannot overflow int64;
    ``np.var`` otherwise.
    """
    n = c.size
    if n * c_max * c_max >= 2**62:
        return float(np.var(c, ddof=1))
    return _var_from_sums(n, int(c.sum()), int(np.dot(c, c)))


def _sort_within_windows(s: FloatArray, seg: Segments) -> IntArray:
    """Order that sorts ``s`` within each window (windows stay in place).

    One global sort of the scores followed by a stable sort by window id (a radix sort
    for 16-bit ids) is cheaper than ``np.lexsort((s, wid))``. Equal scores stay together
    within a window, which is all the tie groups of :func:`rank_auc` need.
    """
    if seg.n_windows <= 1:
        return np.argsort(s).astype(np.int64, copy=False)
    order = np.argsort(s)
    wdtype = np.int16 if seg.n_windows < 2**15 else np.int64
    by_window = np.argsort(seg.wid.astype(wdtype)[order], kind="stable")
    return order[by_window].astype(np.int64, copy=False)


def rank_auc(y: NDArray[Any], s: FloatArray, seg: Segments, *, delong: bool) -> RankAUC:
    """Rank-based ROC AUC (Mann-Whitney U with average ranks) per window.

    ``y`` (1 or True = positive) and ``s`` hold the rows of all windows, window after
    window. The DeLong placement value of a positive is ``(negatives below + half the
    tied negatives) / n_neg`` (the average-rank formula ``(rank_all - rank_pos) /
    n_neg``), and symmetrically for negatives; their variances are computed only when
    ``delong`` is true. Windows with a class missing get NaN.

    Few or long windows are scored one by one (:func:`_auc_window`); many short ones
    together, over tie groups after one sort of all windows.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.metrics._kernels import Segments, rank_auc
    >>> r = rank_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]),
    ...              Segments.one(4), delong=False)
    >>> float(r.auc[0]), float(r.n_pos[0]), float(r.n_neg[0])
    (0.75, 2.0, 2.0)
    """
    n_windows = seg.n_windows
    total = len(s)
    if total == 0:
        nan = np.full(n_windows, np.nan)
        zero = np.zeros(n_windows)
        return RankAUC(nan, zero, zero.copy(), nan.copy(), nan.copy())
    ne = np.flatnonzero(seg.nonempty)
    if _per_window(ne, total):
        return _rank_auc_per_window(y, s, seg, ne, delong)
    return _rank_auc_grouped(y, s, seg, delong)


def _per_window(ne: IntArray, total: int) -> bool:
    """Whether ``total`` rows in the non-empty windows ``ne`` are scored window by
    window (few or long windows) rather than over tie groups of all windows."""
    return ne.size <= _PER_WINDOW_MAX or total >= _PER_WINDOW_ROWS * ne.size


def _rank_auc_per_window(y: NDArray[Any], s: FloatArray, seg: Segments, ne: IntArray,
                         delong: bool) -> RankAUC:
    n_windows = seg.n_windows
    out = [np.full(n_windows, np.nan), np.zeros(n_windows), np.zeros(n_windows),
           np.full(n_windows, np.nan), np.full(n_windows, np.nan)]
    is_pos = y if y.dtype == np.bool_ else y == 1
    for w, o, ln in zip(ne.tolist(), seg.offsets[ne].tolist(), seg.lengths[ne].tolist(),
                        strict=True):
        for arr, v in zip(out, _auc_window(is_pos[o:o + ln], s[o:o + ln], delong),
                          strict=True):
            arr[w] = v
    return RankAUC(*out)


def _rank_auc_grouped(y: NDArray[Any], s: FloatArray, seg: Segments, delong: bool,
                      ) -> RankAUC:
    n_windows = seg.n_windows
    total = len(s)
    order = _sort_within_windows(s, seg)
    ss = s[order]
    yy = y[order] == 1
    new = np.empty(total, dtype=bool)
    new[0] = True
    np.not_equal(ss[1:], ss[:-1], out=new[1:])
    new[seg._ne_offsets] = True
    gpos: FloatArray
    gstart: IntArray
    if new.all():
        # No tied scores within any window (the usual case for probabilities): every
        # row is its own group.
        gpos = yy.astype(float)
        gneg = 1.0 - gpos
        gcount = seg.lengths
        gstart = np.arange(total, dtype=np.int64)
    else:
        gstart = np.flatnonzero(new)
        gpos = np.add.reduceat(yy, gstart, dtype=np.int64).astype(float)
        gneg = np.diff(gstart, append=total).astype(float) - gpos
        gcount = seg.count(new)
    # Groups are laid out window after window: per-window sums are segment sums over
    # the groups, and per-window values are broadcast to groups with a repeat.
    nonempty = seg.nonempty
    goff = (np.cumsum(gcount) - gcount)[nonempty]

    def wsum(x: FloatArray) -> FloatArray:
        out = np.zeros(n_windows, dtype=float)
        out[nonempty] = np.add.reduceat(x, goff)
        return out

    def rep(x: FloatArray) -> FloatArray:
        return np.repeat(x, gcount)

    n_pos = wsum(gpos)
    n_neg = seg.lengths.astype(float) - n_pos
    # positives / negatives in earlier groups of the same window (integers, exact)
    pos_before = np.cumsum(gpos)
    pos_before -= gpos
    pos_before -= rep(np.cumsum(n_pos) - n_pos)
    neg_before = gstart - rep(seg.offsets.astype(float))
    neg_before -= pos_before
    valid = (n_pos > 0) & (n_neg > 0)
    nan = np.full(n_windows, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        v10 = (neg_before + gneg / 2.0) / rep(n_neg)
        auc = wsum(gpos * v10) / n_pos
        auc = np.where(valid, auc, np.nan)
        if not delong:
            return RankAUC(auc, n_pos, n_neg, nan, nan.copy())
        v01 = 1.0 - (pos_before + gpos / 2.0) / rep(n_pos)
        d10 = v10 - rep(auc)
        ss10 = wsum(gpos * d10 * d10)
        mean01 = wsum(gneg * v01) / n_neg
        d01 = v01 - rep(mean01)
        ss01 = wsum(gneg * d01 * d01)
        var10 = ss10 / (n_pos - 1.0)
        var01 = ss01 / (n_neg - 1.0)
    return RankAUC(auc, n_pos, n_neg, var10, var01)


def placements(y: NDArray[Any], s: FloatArray, seg: Segments) -> FloatArray:
    """DeLong's placement value of every row, within its window.

    ``y`` (1 or True = positive) and ``s`` hold the rows of all windows, window after
    window (as for :func:`rank_auc`). A positive's placement is the share of its
    window's negatives scored below it (ties count one half), ``V10``; a negative's is
    the share of its window's positives scored above it (ties one half), ``V01``. The
    window's AUC is the mean ``V10`` of its positives and the mean ``V01`` of its
    negatives; DeLong's variance is ``var(V10)/n_pos + var(V01)/n_neg``, and for two
    scores of the same rows the variance of their AUC difference is the same formula
    on the differences of their placements (DeLong, DeLong & Clarke-Pearson 1988). NaN
    in windows where the row's other class is absent.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.metrics._kernels import Segments, placements
    >>> placements(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]),
    ...            Segments.one(4)).tolist()
    [1.0, 0.5, 0.5, 1.0]
    """
    total = len(s)
    out = np.full(total, np.nan)
    if total == 0:
        return out
    ne = np.flatnonzero(seg.nonempty)
    if not _per_window(ne, total):
        return _grouped_placements(y, s, seg, out)
    # few or long windows: one sort per window (as rank_auc), the same values
    is_pos = np.asarray(y) == 1
    for o, ln in zip(seg.offsets[ne].tolist(), seg.lengths[ne].tolist(), strict=True):
        out[o:o + ln] = _window_placements(is_pos[o:o + ln], s[o:o + ln], None)[1]
    return out


def rank_auc_placements(y: NDArray[Any], s: FloatArray, seg: Segments, *, delong: bool,
                        ) -> tuple[RankAUC, FloatArray]:
    """``rank_auc(y, s, seg, delong=delong)`` and ``placements(y, s, seg)``, the same
    values, at once: with few or long windows one sort of each window serves both."""
    total = len(s)
    ne = np.flatnonzero(seg.nonempty)
    if total == 0 or not _per_window(ne, total):
        return rank_auc(y, s, seg, delong=delong), placements(y, s, seg)
    n_windows = seg.n_windows
    out = [np.full(n_windows, np.nan), np.zeros(n_windows), np.zeros(n_windows),
           np.full(n_windows, np.nan), np.full(n_windows, np.nan)]
    plc = np.full(total, np.nan)
    is_pos = np.asarray(y) == 1
    for w, o, ln in zip(ne.tolist(), seg.offsets[ne].tolist(), seg.lengths[ne].tolist(),
                        strict=True):
        stats, plc[o:o + ln] = _window_placements(is_pos[o:o + ln], s[o:o + ln], delong)
        assert stats is not None
        for arr, v in zip(out, stats, strict=True):
            arr[w] = v
    return RankAUC(*out), plc


def _window_placements(is_pos: BoolArray, s: FloatArray, delong: bool | None,
                       ) -> tuple[tuple[float, int, int, float, float] | None, FloatArray]:
    """:func:`placements` of one window (``is_pos`` its labels as booleans) and, unless
    ``delong`` is None, its :func:`_auc_window` from the same sort.

    Without tied scores every row is its own tie group: a positive's placement is the
    count of negatives sorted before it over ``n_neg``, a negative's one minus the count
    of positives before it over ``n_pos``, the grouped path's numbers (integers until
    the one division); those counts are the AUC's (:func:`_untied_stats`). With ties,
    the grouped path on this window and :func:`_auc_window` (also for NaN scores,
    sorted last here).
    """
    n = len(s)
    n1 = int(np.count_nonzero(is_pos))
    n0 = n - n1
    if n1 == 0 or n0 == 0:  # the other class is absent for every row
        nan = math.nan
        return (None if delong is None else (nan, n1, n0, nan, nan)), np.full(n, nan)
    order = np.argsort(s)
    ss = s[order]
    if n > 1 and bool(np.any(ss[1:] == ss[:-1])):
        out = _grouped_placements(is_pos, s, Segments.one(n), np.full(n, np.nan))
        return (None if delong is None else _auc_window(is_pos, s, delong)), out
    yy = is_pos[order]
    out = np.empty(n)
    # the i-th positive in score order has its position minus i negatives before it,
    # the j-th negative its position minus j positives
    at = np.flatnonzero(yy)
    le = at - np.arange(n1)
    out[order[at]] = le / float(n0)
    at = np.flatnonzero(~yy)
    out[order[at]] = 1.0 - (at - np.arange(n0)) / float(n1)
    if delong is None:
        return None, out
    if ss[-1] != ss[-1]:  # NaN
        return _auc_window(is_pos, s, delong), out
    return _untied_stats(le, yy, n1, n0, delong), out


def _grouped_placements(y: NDArray[Any], s: FloatArray, seg: Segments, out: FloatArray,
                        ) -> FloatArray:
    """:func:`placements` over tie groups after one sort of all windows (into ``out``,
    NaN-filled)."""
    total = len(s)
    order = _sort_within_windows(s, seg)
    ss = s[order]
    yy = np.asarray(y)[order] == 1
    new = np.empty(total, dtype=bool)
    new[0] = True
    np.not_equal(ss[1:], ss[:-1], out=new[1:])
    new[seg._ne_offsets] = True
    gstart = np.flatnonzero(new)
    gid = np.cumsum(new) - 1                      # tie group of each sorted row
    gpos = np.add.reduceat(yy, gstart, dtype=np.int64).astype(float)
    gneg = np.diff(gstart, append=total).astype(float) - gpos
    gcount = seg.count(new)                       # tie groups per window
    nonempty = seg.nonempty
    goff = (np.cumsum(gcount) - gcount)[nonempty]

    def rep(x: FloatArray) -> FloatArray:
        return np.repeat(x, gcount)

    n_pos = np.zeros(seg.n_windows)
    n_pos[nonempty] = np.add.reduceat(gpos, goff)
    n_neg = seg.lengths.astype(float) - n_pos
    pos_before = np.cumsum(gpos) - gpos - rep(np.cumsum(n_pos) - n_pos)
    neg_before = gstart - rep(seg.offsets.astype(float)) - pos_before
    with np.errstate(divide="ignore", invalid="ignore"):
        v10 = (neg_before + gneg / 2.0) / rep(n_neg)
        v01 = 1.0 - (pos_before + gpos / 2.0) / rep(n_pos)
    v10 = np.where(rep(n_neg) > 0, v10, np.nan)
    v01 = np.where(rep(n_pos) > 0, v01, np.nan)
    out[order] = np.where(yy, v10[gid], v01[gid])
    return out
