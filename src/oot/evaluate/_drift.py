"""Label-free drift statistics of evaluation windows against training rows.

The kernels behind the leading indicators (:mod:`oot.indicators`): the population
stability index (PSI) and the two-sample Kolmogorov-Smirnov statistic of a numeric
column, PSI over the categories of a categorical one, and the confidence-based expected
scores of a probabilistic classifier (expected ROC AUC, accuracy, Brier score and log
loss from the predicted probabilities alone).

One anchor's training rows are summarised once (:class:`NumericReference`,
:class:`CategoricalReference`: the sorted values, the bin edges at training quantiles,
the training counts per bin); every window is then a slice of the anchor's evaluation
rows, sorted once for its KS statistic (numeric; PSI alone counts the values below
each bin edge) or counted with one ``bincount`` over all windows (categorical). The
evaluation's anchors share one :class:`SharedGrid`: each value of the time-ordered
numeric block is bucketed once for all of them (:func:`shared_block_windows`, the same
values as :func:`numeric_block_windows`), and only the training values of the buckets
that the deciles and the refined KS values fall in are sorted. The definitions:

* **Bins** (numeric): the distinct training deciles ``e_k``, ``k = 1..9``, taken as the
  smallest training value whose empirical CDF reaches ``k / 10`` (scikit-learn's and
  numpy's ``"inverted_cdf"`` quantile); bins are right-closed, ``(-inf, e_1], (e_1,
  e_2], ..., (e_last, inf)``. With ties fewer edges remain (a 0/1 feature gets the bins
  ``(-inf, 0], (0, 1], (1, inf)``); the last bin holds what lies above the highest edge.
  Missing values (NaN and +-inf) count in a bin of their own when the anchor's training
  or evaluation rows have any.
* **Categories**: one bin per category of the training rows, one for missing values,
  and one for the categories the training rows never had ("unseen"), the last two only
  when the anchor's rows have such values.
* **Empty bins**: every bin gets half a row on both sides (the Jeffreys / Krichevsky-
  Trofimov pseudo-count), so a bin empty on one side has a small finite share:
  ``PSI = sum_b (a_b - e_b) ln(a_b / e_b)`` with ``e_b = (E_b + 1/2) / (N_E + K/2)`` and
  ``a_b = (A_b + 1/2) / (N_A + K/2)``, ``K`` the anchor's number of bins.
* **KS**: ``sup_x |F_train(x) - F_window(x)|`` over the finite values of both samples
  (``scipy.stats.ks_2samp``'s statistic, exactly).
* **Expected ROC AUC**: if the model is calibrated, row ``i`` is positive with
  probability ``p_i``; the expected number of correctly ordered (positive, negative)
  pairs over the expected number of pairs, ``sum_{i != j} p_i (1 - p_j) [1(p_i > p_j) +
  1/2 1(p_i = p_j)] / sum_{i != j} p_i (1 - p_j)``. Expected accuracy is the mean of
  ``max(p, 1 - p)`` (of the largest class probability), the expected Brier score the
  mean of ``p (1 - p)``, the expected log loss the mean entropy of the probabilities.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from oot._validation import (
    Described,
    InvalidParameterError,
    check_scalar,
    entry_point,
    param_message,
)

__all__ = ["psi", "ks_statistic", "expected_roc_auc", "expected_accuracy",
           "NumericReference", "CategoricalReference", "numeric_windows",
           "numeric_block_windows", "GRID", "SharedGrid", "shared_block_windows",
           "categorical_windows", "expected_windows", "EXPECTED", "STATUSES",
           "PSI_BINS", "PSI_PSEUDOCOUNT", "is_categorical"]

#: Number of quantile bins of a numeric column (deciles; fewer with ties).
PSI_BINS = 10
#: Rows added to every bin on both sides before the PSI's shares are taken.
PSI_PSEUDOCOUNT = 0.5

#: Status of an indicator value, by code: "ok"; "empty" (a window without rows);
#: "no_values" (the window has rows but no finite value of the column); "constant"
#: (the training rows have one distinct value: no quantile bins, PSI undefined);
#: "no_reference" (the training rows have no finite value of the column);
#: "undefined" (an expected score without a defined value, e.g. every probability 0 or 1).
STATUSES = ("ok", "empty", "no_values", "constant", "no_reference", "undefined")
OK, EMPTY, NO_VALUES, CONSTANT, NO_REFERENCE, UNDEFINED = range(len(STATUSES))


def is_categorical(values: Any) -> bool:
    """Whether a column is treated as categorical: anything but real numbers (object,
    string, category and boolean dtypes)."""
    dt = getattr(values, "dtype", None)
    if dt is None:
        dt = np.asarray(values).dtype
    if isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dt):
        return True
    return not pd.api.types.is_numeric_dtype(dt)


def _as_float(values: Any) -> np.ndarray:
    """A numeric column as float64 (nullable dtypes: missing values become NaN)."""
    if isinstance(values, (pd.Series, pd.Index)):
        return np.asarray(values.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    return np.asarray(values, dtype=float)


def _psi_from_counts(ref: np.ndarray, win: np.ndarray) -> np.ndarray:
    """PSI of each row of ``win`` (windows x bins) against ``ref`` (bins,)."""
    k = ref.shape[-1]
    e = (ref + PSI_PSEUDOCOUNT) / (ref.sum() + PSI_PSEUDOCOUNT * k)
    a = (win + PSI_PSEUDOCOUNT) / (win.sum(axis=-1, keepdims=True) + PSI_PSEUDOCOUNT * k)
    out: np.ndarray = ((a - e) * np.log(a / e)).sum(axis=-1)
    return out


# ================================================================== numeric columns
#: Buckets of the grid that bounds the KS statistic (:func:`numeric_block_windows`).
GRID = 8192
#: The grid spans the training values between these two quantiles (the values beyond
#: share the two end buckets), so that a few outliers do not stretch it.
_GRID_TAIL = 0.005
#: Refine a bucket whose bound comes within this much of the best exact gap (the
#: bounds are floats; the margin keeps a rounding error from pruning the maximum).
_BOUND_SLACK = 1e-9


def _grid(v: np.ndarray) -> tuple[float, float]:
    """``(scale, shift)`` of the bucket map of the sorted finite values ``v``: value
    ``x`` is in bucket ``trunc(clip(x * scale + shift, 0, GRID - 1))`` (see
    :func:`_buckets`); ``(0, 0)`` (one bucket) when the values span no range."""
    n = len(v)
    if n == 0:
        return 0.0, 0.0
    k = int(n * _GRID_TAIL)
    lo, hi = float(v[k]), float(v[n - 1 - k])
    if not hi > lo:
        lo, hi = float(v[0]), float(v[-1])
    if not hi > lo:
        return 0.0, 0.0
    with np.errstate(all="ignore"):
        scale = float(np.float64(GRID) / (np.float64(hi) - np.float64(lo)))
        shift = float(-np.float64(lo) * np.float64(scale))
    if not (math.isfinite(scale) and math.isfinite(shift)) or scale == 0.0:
        return 0.0, 0.0
    return scale, shift


def _buckets(x: np.ndarray, scale: Any, shift: Any) -> np.ndarray:
    """The grid bucket of each finite value, as floats in ``[0, GRID - 1]`` (truncate
    to get the bucket number; non-finite values give garbage, the caller masks them).

    A composition of correctly rounded, monotone operations (multiply, add, clip,
    truncate), so ``x <= y`` implies ``bucket(x) <= bucket(y)``: every bucket is an
    interval of values, whatever the rounding. That is all the exact KS search needs;
    the grid's evenness only decides how fast it is.
    """
    with np.errstate(all="ignore"):
        c: np.ndarray = np.multiply(x, scale)
        c += shift
        np.clip(c, 0.0, GRID - 1, out=c)
    return c


@dataclass(frozen=True, eq=False)
class NumericReference:
    """One anchor's training values of a numeric column, summarised once.

    Attributes
    ----------
    values : ndarray
        The finite training values, sorted.
    n_missing : int
        Training rows whose value is missing (NaN or +-inf).
    edges : ndarray
        The distinct training deciles (inverted CDF): the right ends of the value bins.
    counts : ndarray
        Training rows per value bin (``len(edges) + 1``).
    status : int
        ``OK``, ``CONSTANT`` (one distinct value) or ``NO_REFERENCE`` (none).
    scale, shift : float
        The bucket map of the grid (:func:`_buckets`).
    cum_grid : ndarray
        Training values in the grid's buckets ``<= b``, for ``b`` in ``0..GRID-1``.
    edge_buckets : ndarray
        The grid bucket of each edge.
    """

    values: np.ndarray
    n_missing: int
    edges: np.ndarray
    counts: np.ndarray
    status: int
    scale: float = 0.0
    shift: float = 0.0
    cum_grid: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros(GRID, np.int64))
    edge_buckets: np.ndarray = dataclasses.field(
        default_factory=lambda: np.empty(0, np.intp))

    @classmethod
    def from_values(cls, x: Any, bins: int = PSI_BINS) -> NumericReference:
        v = np.sort(_as_float(x))    # -inf first, then +inf, then NaN last
        n_all = len(v)
        v = v[np.searchsorted(v, -np.inf, side="right"):
              np.searchsorted(v, np.inf, side="left")]
        n_missing = n_all - len(v)
        if len(v) == 0:
            return cls.on_grid(v, n_missing, 0.0, 0.0, np.zeros(GRID, np.int64), bins)
        scale, shift = _grid(v)
        cum_grid = np.bincount(_buckets(v, scale, shift).astype(np.intp),
                               minlength=GRID).cumsum()
        return cls.on_grid(v, n_missing, scale, shift, cum_grid, bins)

    @classmethod
    def on_grid(cls, v: np.ndarray, n_missing: int, scale: float, shift: float,
                cum_grid: np.ndarray, bins: int = PSI_BINS) -> NumericReference:
        """The reference of the sorted finite training values ``v`` on a given grid
        (``scale``, ``shift``, and ``cum_grid``: the values in buckets ``<= b``): the
        deciles, their counts and the status are computed here."""
        n = len(v)
        if n == 0:
            return cls(v, n_missing, np.empty(0), np.zeros(1), NO_REFERENCE)
        pos = np.ceil(np.arange(1, bins) * n / bins).astype(np.int64) - 1
        edges = np.unique(v[np.clip(pos, 0, n - 1)])
        below = np.searchsorted(v, edges, side="right")
        counts = np.diff(np.concatenate(([0], below, [n]))).astype(float)
        status = CONSTANT if v[0] == v[-1] else OK
        edge_buckets = _buckets(edges, scale, shift).astype(np.intp)
        return cls(v, n_missing, edges, counts, status, scale, shift, cum_grid,
                   edge_buckets)

    @property
    def n(self) -> int:
        """Number of finite training values."""
        return len(self.values)

    def counts_le(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Training values ``<= s`` and ``< s`` for sorted finite ``s``.

        One :func:`numpy.searchsorted` (exact: no arithmetic on the values; fastest on
        sorted queries); ``< s`` needs a second search only for the queries equal to a
        training value.
        """
        return _le_lt(self.values, s)

    def locate(self, s: np.ndarray, buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`counts_le` of finite ``s`` whose grid buckets are ``buckets`` (the
        refined values of the KS kernels; the buckets are not needed here)."""
        return self.counts_le(s)


def _le_lt(v: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of the sorted ``v`` ``<= s`` and ``< s``: one search, and a second only
    for the queries equal to a value of ``v``."""
    right = np.searchsorted(v, s, side="right")
    if len(v) == 0:
        return right, right
    tie = v[np.maximum(right - 1, 0)] == s
    tie &= right > 0
    if not tie.any():
        return right, right
    left = right.copy()
    left[tie] = np.searchsorted(v, s[tie], side="left")
    return right, left


def _values_in(column: np.ndarray, codes: np.ndarray, buckets: np.ndarray,
               ) -> np.ndarray:
    """The values of ``column`` whose grid codes are among ``buckets``, sorted."""
    lut = np.zeros(GRID + 1, dtype=bool)
    lut[buckets] = True
    out: np.ndarray = column[np.flatnonzero(np.take(lut, codes))]
    out.sort()
    return out


@dataclass(frozen=True, eq=False)
class _CodedReference(NumericReference):
    """A :class:`NumericReference` of training values coded on a :class:`SharedGrid`,
    whose values are never sorted in full.

    The grid's training counts per bucket (``cum_grid``) place every value among the
    others up to its bucket, and buckets are intervals of values, so only the values of
    the buckets a question falls in are needed: :attr:`values` holds those of the
    deciles' buckets (sorted; the edges and their counts come from them), and
    :meth:`locate` gathers and sorts those of the refined values' buckets. The counts
    are exact, the same integers as the full sort's.
    """

    codes: np.ndarray = dataclasses.field(
        default_factory=lambda: np.empty(0, np.uint16))   # training codes
    column: np.ndarray = dataclasses.field(
        default_factory=lambda: np.empty(0))              # training values
    n_finite: int = 0

    @property
    def n(self) -> int:
        return self.n_finite

    def locate(self, s: np.ndarray, buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        held = np.unique(buckets)
        # a held value of a lower bucket is below every value of a higher one
        right, left = _le_lt(_values_in(self.column, self.codes, held), s)
        off = self._below_of(self.cum_grid, np.diff(self.cum_grid, prepend=0), buckets,
                             held)
        return right + off, left + off

    def counts_le(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = _buckets(s, self.scale, self.shift).astype(np.intp)
        return self.locate(s, b)

    @classmethod
    def coded(cls, column: np.ndarray, codes: np.ndarray, n_missing: int,
              scale: float, shift: float, cum_grid: np.ndarray,
              bins: int = PSI_BINS) -> NumericReference:
        """The reference of the training ``column`` with grid ``codes`` (:data:`GRID`
        for a missing value) and ``cum_grid`` its finite values in buckets ``<= b``:
        :meth:`NumericReference.on_grid`'s deciles, counts and status from the values
        of the deciles' buckets alone."""
        n = int(cum_grid[-1]) if len(cum_grid) else 0
        if n == 0:
            return NumericReference.on_grid(np.empty(0), n_missing, scale, shift,
                                            cum_grid, bins)
        pos = np.clip(np.ceil(np.arange(1, bins) * n / bins).astype(np.int64) - 1,
                      0, n - 1)
        tc = np.diff(cum_grid, prepend=0)
        pos_b = np.searchsorted(cum_grid, pos, side="right")
        held = np.unique(pos_b)
        v = _values_in(column, codes, held)
        edges = np.unique(v[pos - cls._below_of(cum_grid, tc, pos_b, held)])
        edge_b = _buckets(edges, scale, shift).astype(np.intp)
        below = np.searchsorted(v, edges, side="right") + cls._below_of(
            cum_grid, tc, edge_b, held)
        counts = np.diff(np.concatenate(([0], below, [n]))).astype(float)
        filled = np.flatnonzero(tc)
        # values in two buckets differ; in one, that bucket is held in full
        status = OK if filled[0] != filled[-1] or v[0] != v[-1] else CONSTANT
        return cls(v, n_missing, edges, counts, status, scale, shift, cum_grid,
                   edge_b, codes, column, n)

    @staticmethod
    def _below_of(cum_grid: np.ndarray, tc: np.ndarray, buckets: np.ndarray,
                  held: np.ndarray) -> np.ndarray:
        """For values in ``buckets`` (each among the sorted ``held``), the training
        values below their bucket less the held values below it: add a value's
        position among the held values to get its rank among all of them (``tc``: the
        training values per bucket)."""
        starts = np.cumsum(tc[held]) - tc[held]
        out: np.ndarray = (cum_grid[buckets] - tc[buckets]) - starts[
            np.searchsorted(held, buckets)]
        return out


def _uncovered(starts: np.ndarray, stops: np.ndarray) -> list[tuple[int, int]]:
    """The row ranges between ``min(starts)`` and ``max(stops)`` that no non-empty
    window covers."""
    keep = stops > starts
    if not keep.any():
        return []
    a, b = starts[keep], stops[keep]
    order = np.argsort(a, kind="stable")
    out, reach = [], int(a[order[0]])
    for lo, hi in zip(a[order].tolist(), b[order].tolist(), strict=True):
        if lo > reach:
            out.append((reach, lo))
        reach = max(reach, hi)
    return out


@dataclass
class _BlockState:
    """What :func:`numeric_block_windows` fills, window by window."""

    bins: np.ndarray                # (n_columns, n_windows, n_edges + 1) value bins
    n_missing: np.ndarray           # (n_columns, n_windows) missing values
    ks: np.ndarray                  # (n_columns, n_windows)
    ks_st: np.ndarray
    missing: np.ndarray             # (n_columns,) the windows have missing values


def numeric_block_windows(refs: list[NumericReference], X: np.ndarray,
                          starts: np.ndarray, stops: np.ndarray, *,
                          want_psi: bool | np.ndarray = True,
                          want_ks: bool | np.ndarray = True,
                          helper: Executor | None = None,
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PSI and KS of each window ``X[starts[i]:stops[i], j]`` against ``refs[j]``.

    Returns ``psi, psi_status, ks, ks_status`` of shape ``(n_columns, n_windows)``
    (NaN where the status is not ``OK``). ``X`` is ``(n_rows, n_columns)``, fastest
    C-contiguous (the engine's time-ordered feature block): a window is read once,
    every column at a time. ``want_psi`` / ``want_ks``: for every column, or one flag
    per column.

    The KS statistic is exact (``scipy.stats.ks_2samp``'s) without locating every
    value among the training values. Each column has a grid of :data:`GRID` buckets
    (:func:`_buckets`, a monotone map, so buckets are intervals); one ``bincount`` of a
    window's buckets gives both ECDFs at every bucket's end (the training's counted
    once per anchor, :attr:`NumericReference.cum_grid`), in integers: ``D_b = n m
    (F_train - F_window)`` at the end of bucket ``b``. Those gaps are attained, so
    ``L = max |D_b|`` is a lower bound of ``n m`` times the statistic, and inside bucket
    ``b`` the gap is at most ``max(D_b + n c_b, m t_b - D_b)`` (``c_b``, ``t_b`` the
    window's and the training's counts in it). Only the buckets whose bound reaches
    ``L`` and that hold window values can hold the maximum; they alone are refined:
    their window values are sorted and located among the sorted training values, which
    gives the exact gap at each value and at its left limit (between two window values
    the window's ECDF is flat, so the supremum is at one of them). The PSI's bin edges
    are training values; their buckets are refined too, for the window's count below
    each edge. With ``helper`` (a one-thread executor), half the windows are done there.
    """
    p, n_w = len(refs), len(starts)
    psi, psi_st, state = _block_setup(refs, n_w)
    do_psi = np.broadcast_to(np.asarray(want_psi, dtype=bool), (p,)) & np.array(
        [r.status == OK for r in refs], dtype=bool)
    do_ks = np.broadcast_to(np.asarray(want_ks, dtype=bool), (p,)) & np.array(
        [r.status != NO_REFERENCE for r in refs], dtype=bool)
    if n_w and (do_psi.any() or do_ks.any()):
        work = functools.partial(_block_windows, refs, X, starts, stops, do_psi, do_ks)
        if helper is not None and n_w >= 2:
            half = n_w // 2
            other = dataclasses.replace(state, missing=np.zeros(p, dtype=bool))
            later = helper.submit(work, range(half, n_w), other)
            work(range(half), state)
            later.result()
            state.missing |= other.missing
        else:
            work(range(n_w), state)
    if do_psi.any():
        for lo, hi in _uncovered(starts, stops):
            state.missing |= ~np.isfinite(X[lo:hi]).all(axis=0)
    return _block_finish(refs, psi, psi_st, state, starts, stops, do_psi)


def _block_setup(refs: list[NumericReference], n_w: int,
                 ) -> tuple[np.ndarray, np.ndarray, _BlockState]:
    """The PSI and its status before any window (the references' statuses), and the
    state the windows fill (the KS and its status among it)."""
    p = len(refs)
    psi = np.full((p, n_w), np.nan)
    psi_st = np.full((p, n_w), OK, dtype=np.int8)
    ks_st = np.full((p, n_w), OK, dtype=np.int8)
    for j, r in enumerate(refs):
        if r.status == NO_REFERENCE:
            psi_st[j] = ks_st[j] = NO_REFERENCE
        elif r.status == CONSTANT:
            psi_st[j] = CONSTANT
    n_edges = max((len(r.edges) for r in refs), default=0)
    state = _BlockState(np.zeros((p, n_w, n_edges + 1)), np.zeros((p, n_w)),
                        np.full((p, n_w), np.nan), ks_st, np.zeros(p, dtype=bool))
    return psi, psi_st, state


def _block_finish(refs: list[NumericReference], psi: np.ndarray, psi_st: np.ndarray,
                  state: _BlockState, starts: np.ndarray, stops: np.ndarray,
                  do_psi: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The outputs of :func:`numeric_block_windows` from the filled ``state``."""
    empty = stops <= starts
    psi_st[:, empty] = EMPTY
    state.ks_st[:, empty] = EMPTY
    _finish_psi(psi, psi_st, state, do_psi, [r.counts for r in refs],
                np.array([r.n_missing for r in refs]))
    ks = state.ks
    ks[state.ks_st != OK] = np.nan
    return psi, psi_st, ks, state.ks_st


def _finish_psi(psi: np.ndarray, psi_st: np.ndarray, state: _BlockState,
                do_psi: np.ndarray, ref_counts: list[np.ndarray],
                ref_missing: np.ndarray) -> None:
    """The PSI of every window of the columns ``do_psi`` from their bins' counts (a
    missing-values bin when the training rows or the windows have missing values)."""
    for jj in np.flatnonzero(do_psi).tolist():
        counts = ref_counts[jj]
        rows = state.bins[jj, :, :len(counts)]
        if ref_missing[jj] > 0 or state.missing[jj]:
            counts = np.append(counts, ref_missing[jj])
            rows = np.column_stack((rows, state.n_missing[jj]))
        ok = psi_st[jj] == OK
        psi[jj, ok] = _psi_from_counts(counts, rows[ok])


class _GridTables(NamedTuple):
    """What the grid kernels read of the training side, for every column at once."""

    n: np.ndarray          # (p, 1) training values
    ct: np.ndarray         # (p, GRID) training values at or below each bucket's end
    tc: np.ndarray         # (p, GRID) training values in each bucket
    edges: np.ndarray      # (p, n_edges) the PSI's edges, padded with inf
    edge_b: np.ndarray     # (p, n_edges) their buckets, -1 for padding
    edge_flag: np.ndarray  # (p, GRID) the buckets holding an edge


def _grid_tables(refs: list[NumericReference], do_psi: np.ndarray,
                 state: _BlockState) -> _GridTables:
    """The training side of :func:`_block_windows` and :func:`_coded_windows`."""
    p = len(refs)
    n = np.array([r.n for r in refs], dtype=np.int64)[:, None]
    ct = np.stack([r.cum_grid for r in refs]).astype(np.int64)
    tc = np.diff(ct, axis=1, prepend=0)
    n_edges = state.bins.shape[2] - 1
    edges = np.full((p, n_edges), np.inf)
    edge_b = np.full((p, n_edges), -1, dtype=np.intp)
    for j in np.flatnonzero(do_psi).tolist():
        k = len(refs[j].edges)
        edges[j, :k] = refs[j].edges
        edge_b[j, :k] = refs[j].edge_buckets
    e_rows, e_cols = np.nonzero(edge_b >= 0)
    edge_flag = np.zeros((p, GRID), dtype=bool)
    edge_flag[e_rows, edge_b[e_rows, e_cols]] = True
    return _GridTables(n, ct, tc, edges, edge_b, edge_flag)


def _ks_candidates(t: _GridTables, cw: np.ndarray, cum_w: np.ndarray, m: np.ndarray,
                   ks_here: np.ndarray) -> np.ndarray:
    """The buckets whose values must be looked at: those where the KS gap may reach
    the largest gap at a bucket end (the bound of :func:`numeric_block_windows`), and
    the PSI edges' buckets. ``cw`` and ``cum_w``: the window's counts per bucket and
    cumulated, ``m`` its finite values per column (p, 1)."""
    d = t.ct * m - cum_w * t.n            # n m (F_train - F_window), exact integers
    low = np.abs(d).max(axis=1, keepdims=True)
    cand = np.maximum(d + cw * t.n, t.tc * m - d) >= low
    cand &= cw > 0
    cand &= ks_here[:, None]
    cand |= t.edge_flag
    return np.asarray(cand)


def _edge_bins(t: _GridTables, below_b: np.ndarray, m: np.ndarray, col: np.ndarray,
               b: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """A window's counts in the PSI bins (p, n_edges + 1): the values at or below each
    edge are those below its bucket (``below_b``) and the picked ones (``col``, ``b``,
    ``vals``) in it at or below the edge; padding makes empty bins."""
    p, n_edges = t.edge_b.shape
    le = np.take_along_axis(below_b, np.maximum(t.edge_b, 0), axis=1)
    at = np.flatnonzero(t.edge_flag[col, b])            # picked in an edge bucket
    ca = col[at]
    hit = (t.edge_b[ca] == b[at, None]) & (vals[at, None] <= t.edges[ca])
    hit_r, hit_k = np.nonzero(hit)
    le += np.bincount(ca[hit_r] * n_edges + hit_k,
                      minlength=p * n_edges).reshape(p, n_edges)
    le = np.where(t.edge_b >= 0, le, m)
    return np.asarray(np.diff(le, axis=1, prepend=0, append=m))


def _block_windows(refs: list[NumericReference], X: np.ndarray, starts: np.ndarray,
                   stops: np.ndarray, do_psi: np.ndarray, do_ks: np.ndarray,
                   windows: range, state: _BlockState) -> None:
    """The windows ``windows`` of :func:`numeric_block_windows`, into ``state``.

    A window's rows are one C-contiguous ``(rows, p)`` chunk, flattened: the bucket map
    runs over it with the columns' scales and shifts tiled to its length (one pass per
    operation, no short inner loops), and one ``bincount`` counts every (column,
    bucket) at once (column ``j``'s buckets at ``j * (GRID + 1)``, the last one for its
    missing values). The bounds and the PSI's counts are then vectorised over the
    columns; the refined values of every window are located among each column's
    training values at the end, one search per column.
    """
    p, g1 = len(refs), GRID + 1
    active = do_psi | do_ks
    scale = np.array([r.scale if a else 0.0 for r, a in zip(refs, active, strict=True)])
    shift = np.array([r.shift if a else 0.0 for r, a in zip(refs, active, strict=True)])
    rows_max = int(max((int(stops[w]) - int(starts[w]) for w in windows), default=0))
    scale_t, shift_t = np.tile(scale, rows_max), np.tile(shift, rows_max)
    offset_t = np.tile(np.arange(p, dtype=np.intp) * g1, rows_max)
    c_buf = np.empty(rows_max * p)          # reused: no fresh pages per window
    codes_buf = np.empty(rows_max * p, dtype=np.intp)
    tables = _grid_tables(refs, do_psi, state)
    picks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                      np.ndarray]] = []
    for w in windows:
        lo, hi = int(starts[w]), int(stops[w])
        if hi <= lo:
            continue
        flat = np.ascontiguousarray(X[lo:hi]).ravel()
        size = len(flat)
        c = c_buf[:size]
        with np.errstate(all="ignore"):
            np.multiply(flat, scale_t[:size], out=c)
            c += shift_t[:size]
            np.clip(c, 0.0, GRID - 1, out=c)
            # NaN and +-inf (an overflowing sum only costs the exact check)
            all_finite = math.isfinite(float(np.add.reduce(flat)))
        bad = None if all_finite else ~np.isfinite(flat)
        if bad is not None and bad.any():
            c[bad] = 0.0
        codes = codes_buf[:size]
        np.copyto(codes, c, casting="unsafe")                 # truncates: the bucket
        codes += offset_t[:size]
        if bad is not None and bad.any():
            codes[bad] = offset_t[:size][bad] + GRID          # the missing slot
            state.missing |= bad.reshape(-1, p).any(axis=0)
        cnt = np.bincount(codes, minlength=p * g1).reshape(p, g1)
        cw = cnt[:, :GRID]
        cum_w = cw.cumsum(axis=1)
        m = cum_w[:, -1:]                                      # (p, 1)
        ks_here = do_ks & (m[:, 0] > 0)
        state.ks_st[do_ks & (m[:, 0] == 0), w] = NO_VALUES
        cand = _ks_candidates(tables, cw, cum_w, m, ks_here)
        flag = np.zeros((p, g1), dtype=bool)
        flag[:, :GRID] = cand
        picked = np.flatnonzero(np.take(flag.ravel(), codes))
        # by column, then by value (a float sort, then a stable radix sort)
        picked = picked[np.argsort(flat[picked])]
        col = picked % p
        picked = picked[np.argsort(col.astype(np.uint16) if p <= 1 << 16 else col,
                                   kind="stable")]
        col = picked % p
        vals = flat[picked]
        b = codes[picked] - col * g1
        # window values below each bucket that are not picked (the picked ones are
        # counted by their position among the picked)
        below_b = cum_w - cw
        taken = np.where(cand, cw, 0)
        base = (below_b - (taken.cumsum(axis=1) - taken))[col, b]
        if tables.edges.shape[1]:
            state.bins[:, w] = _edge_bins(tables, below_b, m, col, b, vals)
            state.n_missing[:, w] = (hi - lo) - m[:, 0]
        keep = ks_here[col]
        picks.append((w, col[keep], vals[keep], base[keep], m[col[keep], 0], b[keep]))
    _refined_ks(p, np.array([r.n for r in refs]),
                lambda j, s, b: refs[j].locate(s, b), picks, state)


#: ``locate(column, values, buckets)``: training values ``<=`` and ``<`` each value.
_Locate = Callable[[int, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _refined_ks(p: int, n: np.ndarray, locate: _Locate,
                picks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                  np.ndarray]],
                state: _BlockState) -> None:
    """The exact KS statistic of every window from its refined values: ``picks`` holds
    per window ``(w, column, value, base, m, bucket)``, by column and value; ``base`` is
    the number of the window's values below the value's bucket that were not refined,
    ``m`` the window's number of finite values in that column; ``n`` the training's
    finite values per column, ``locate`` their counts at the refined values."""
    if not picks:
        return
    wid = np.concatenate([np.full(len(pk[1]), pk[0], dtype=np.intp) for pk in picks])
    col = np.concatenate([pk[1] for pk in picks])
    vals = np.concatenate([pk[2] for pk in picks])
    base = np.concatenate([pk[3] for pk in picks])
    m = np.concatenate([pk[4] for pk in picks]).astype(float)
    bk = np.concatenate([pk[5] for pk in picks])
    order = np.argsort(col.astype(np.uint16) if p <= 1 << 16 else col, kind="stable")
    wid, col, vals, base, m, bk = (wid[order], col[order], vals[order], base[order],
                                   m[order], bk[order])
    bounds = np.searchsorted(col, np.arange(p + 1))
    for j in range(p):
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        if hi <= lo:
            continue
        s, ws, bs, ms = vals[lo:hi], wid[lo:hi], base[lo:hi], m[lo:hi]
        right, left = locate(j, s, bk[lo:hi])
        k = hi - lo
        # runs of equal values within a window: the window's ECDF there and just below
        first = np.ones(k, dtype=bool)
        new_w = np.ones(k, dtype=bool)
        if k > 1:
            np.not_equal(ws[1:], ws[:-1], out=new_w[1:])
            np.not_equal(s[1:], s[:-1], out=first[1:])
            first |= new_w
        w_start = np.flatnonzero(new_w)
        seg = np.cumsum(new_w) - 1
        run_start = np.flatnonzero(first)
        run = np.cumsum(first) - 1
        run_end = np.append(run_start[1:], k)
        start_of = w_start[seg]
        le = run_end[run] - start_of + bs
        lt = run_start[run] - start_of + bs
        nf = float(n[j])
        gap = np.maximum(np.abs(right / nf - le / ms), np.abs(left / nf - lt / ms))
        state.ks[j, ws[w_start]] = np.maximum.reduceat(gap, w_start)



# ======================================================= one grid for every anchor
def _sorted_columns(X: np.ndarray) -> list[np.ndarray]:
    """The finite values of each column of the row-major block ``X``, sorted (the
    columns are copied out in slabs of rows, so that the block is read once)."""
    cols = np.empty((X.shape[1], X.shape[0]))
    for i in range(0, X.shape[0], _SLAB):
        cols[:, i:i + _SLAB] = X[i:i + _SLAB].T
    cols.sort(axis=1)    # -inf first, then +inf, then NaN last
    return [v[np.searchsorted(v, -np.inf, side="right"):
              np.searchsorted(v, np.inf, side="left")] for v in cols]


#: Rows of the first training block the shared grid's range is read from (a strided
#: sample of at most this many rows).
_GRID_SAMPLE = 1 << 16
#: Rows coded at a time (the bucket map runs on a slab that fits in the cache).
_SLAB = 8192
#: At most this many distinct window boundaries per anchor on the shared grid (each
#: keeps ``p * (GRID + 1)`` counts); more, and the anchor uses the per-anchor kernel.
_MAX_BOUNDARIES = 256
#: The cumulative counts' type (half the memory of int64; int64 once the coded rows
#: reach 2**31). Sums of them are taken in int64.
_COUNT = np.int32


class SharedGrid:
    """Bucket codes of an evaluation's time-ordered numeric features, made once for
    every anchor, and the cumulative bucket counts at row boundaries.

    The anchors of one evaluation read overlapping rows of the same time-ordered block
    (their training years and evaluation months overlap), so the work per value is
    done once: each column gets one grid (:func:`_grid`, from a sample of the first
    training rows it sees), each value its bucket (``uint16``; :data:`GRID` for a
    missing value), stored by column. ``counts(r)`` is the number of values per
    (column, bucket) in rows ``[start, r)``, kept for every boundary asked for (the
    windows are calendar periods: most boundaries recur across anchors), so a window's
    or a training range's histogram is the difference of two of them.
    :func:`shared_block_windows` builds the exact KS and PSI on them. Rows are absolute
    positions in the block; a range that does not touch the coded rows starts the
    codes afresh. Not pickled with its contents (a worker starts empty).
    """

    def __init__(self) -> None:
        self.scale: np.ndarray | None = None
        self.shift: np.ndarray | None = None
        self.start = self.stop = 0
        self.codes = np.empty((0, 0), dtype=np.uint16)
        self.cum: dict[int, np.ndarray] = {}
        self.lock = threading.Lock()

    def __reduce__(self) -> tuple[type[SharedGrid], tuple[()]]:
        return SharedGrid, ()

    def _fit(self, X: np.ndarray) -> None:
        p = X.shape[1]
        sample = X[::max(1, len(X) // _GRID_SAMPLE)]
        self.scale, self.shift = np.zeros(p), np.zeros(p)
        for j in range(p):
            v = np.sort(sample[:, j])
            v = v[np.searchsorted(v, -np.inf, side="right"):
                  np.searchsorted(v, np.inf, side="left")]
            self.scale[j], self.shift[j] = _grid(v)

    def cover(self, X: np.ndarray, row0: int) -> None:
        """Code the rows ``X`` (a float block ``(rows, p)``, absolute rows from
        ``row0``) that are not coded yet."""
        row1 = row0 + len(X)
        if self.scale is None:
            self._fit(X)
        p = X.shape[1]
        if row0 < self.start or row0 > self.stop or self.codes.shape[0] != p:
            self.start = self.stop = row0
            self.codes = np.empty((p, 0), dtype=np.uint16)
            self.cum = {row0: np.zeros((p, GRID + 1), dtype=_COUNT)}
        if row1 <= self.stop:
            return
        need = row1 - self.start
        if self.codes.shape[1] < need:
            grown = np.empty((p, max(need, self.codes.shape[1] * 5 // 4)), np.uint16)
            grown[:, :self.stop - self.start] = self.codes[:, :self.stop - self.start]
            self.codes = grown
        assert self.scale is not None
        assert self.shift is not None
        scale_t = np.tile(self.scale, _SLAB)
        shift_t = np.tile(self.shift, _SLAB)
        c_buf = np.empty(_SLAB * p)
        for a in range(self.stop, row1, _SLAB):
            b = min(row1, a + _SLAB)
            flat = np.ascontiguousarray(X[a - row0:b - row0]).ravel()
            size = len(flat)
            c = c_buf[:size]
            with np.errstate(all="ignore"):
                np.multiply(flat, scale_t[:size], out=c)   # as _buckets: monotone
                c += shift_t[:size]
                np.clip(c, 0.0, GRID - 1, out=c)
                finite = math.isfinite(float(np.add.reduce(flat)))
                code = c.astype(np.uint16)                 # truncates: the bucket
            if not finite:
                code[~np.isfinite(flat)] = GRID            # the missing slot
            self.codes[:, a - self.start:b - self.start] = code.reshape(-1, p).T
        self.stop = row1

    def _count(self, a: int, b: int) -> np.ndarray:
        p = self.codes.shape[0]
        g1 = GRID + 1
        idx = np.add(self.codes[:, a - self.start:b - self.start],
                     (np.arange(p, dtype=np.intp) * g1)[:, None], dtype=np.intp)
        out: np.ndarray = np.bincount(idx.ravel(), minlength=p * g1).reshape(
            p, g1).astype(_COUNT if self.stop - self.start < 1 << 31 else np.int64)
        return out

    def counts(self, r: int) -> np.ndarray:
        """Values per (column, bucket) in the coded rows ``[start, r)``: ``(p, GRID +
        1)``, the last bucket the missing values; from the nearest known boundary."""
        got = self.cum.get(r)
        if got is not None:
            return got
        if not self.start <= r <= self.stop:
            msg = f"row {r} is not coded ([{self.start}, {self.stop}))"
            raise ValueError(msg)
        keys = sorted(self.cum)
        i = bisect.bisect(keys, r)
        below = keys[i - 1] if i > 0 else None
        above = keys[i] if i < len(keys) else None
        new: np.ndarray
        if below is not None and (above is None or r - below <= above - r):
            new = self.cum[below] + self._count(below, r)
        else:
            assert above is not None
            new = self.cum[above] - self._count(r, above)
        self.cum[r] = new
        return new

    def forget_before(self, r: int) -> None:
        """Drop the cumulative counts at boundaries before row ``r`` (keeping one)."""
        keys = sorted(k for k in self.cum if k < r)
        for k in keys[:-1]:
            del self.cum[k]

    def column_codes(self, row0: int, row1: int) -> np.ndarray:
        """The codes of rows ``[row0, row1)``, ``(p, rows)`` (a view)."""
        return self.codes[:, row0 - self.start:row1 - self.start]


def shared_block_windows(grid: SharedGrid, X_train: np.ndarray, train_row0: int,
                         X_eval: np.ndarray, eval_row0: int, starts: np.ndarray,
                         stops: np.ndarray, *, want_psi: bool | np.ndarray = True,
                         want_ks: bool | np.ndarray = True, bins: int = PSI_BINS,
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`numeric_block_windows` of one anchor on a :class:`SharedGrid`: the same
    values (training rows ``X_train`` from absolute row ``train_row0``, evaluation rows
    ``X_eval`` from ``eval_row0``, windows ``[starts[i], stops[i])`` of ``X_eval``),
    without bucketing every value again for each anchor.

    The histograms of the training rows and of each window are differences of the
    grid's cumulative counts; the KS bounds, the refinement and the PSI's counts are
    those of :func:`numeric_block_windows`, the refined values picked by the grid's
    codes. The training values are not sorted in full (:class:`_CodedReference`):
    only those of the deciles' buckets and of the refined values' buckets are.
    """
    p = X_eval.shape[1]
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    nonempty = stops > starts
    bounds = sorted({int(r) for r in np.concatenate((starts[nonempty],
                                                      stops[nonempty]))})
    if len(bounds) > _MAX_BOUNDARIES:   # many short windows: a bincount each is cheap
        refs = [NumericReference.from_values(c) for c in _sorted_columns(X_train)]
        return numeric_block_windows(refs, X_eval, starts, stops, want_psi=want_psi,
                                     want_ks=want_ks)
    with grid.lock:
        grid.cover(X_train, train_row0)
        tr = grid.counts(train_row0 + len(X_train)) - grid.counts(train_row0)
        train_codes = grid.column_codes(train_row0, train_row0 + len(X_train))
        grid.forget_before(train_row0)      # the anchors come in time order
        grid.cover(X_eval, eval_row0)
        cum = {r: grid.counts(eval_row0 + r) for r in bounds}
        codes = grid.column_codes(eval_row0, eval_row0 + len(X_eval))
        g_scale, g_shift = grid.scale, grid.shift
    assert g_scale is not None
    assert g_shift is not None
    refs = [_CodedReference.coded(X_train[:, j], train_codes[j], int(tr[j, GRID]),
                                  float(g_scale[j]), float(g_shift[j]),
                                  tr[j, :GRID].cumsum(), bins) for j in range(p)]

    def hist(w: int) -> np.ndarray:
        out: np.ndarray = cum[int(stops[w])] - cum[int(starts[w])]
        return out

    psi, psi_st, state = _block_setup(refs, len(starts))
    do_psi = np.broadcast_to(np.asarray(want_psi, dtype=bool), (p,)) & np.array(
        [r.status == OK for r in refs], dtype=bool)
    do_ks = np.broadcast_to(np.asarray(want_ks, dtype=bool), (p,)) & np.array(
        [r.status != NO_REFERENCE for r in refs], dtype=bool)
    if len(starts) and (do_psi.any() or do_ks.any()):
        _coded_windows(refs, X_eval, codes, hist, starts, stops, do_psi, do_ks, state)
    if do_psi.any() and bounds:
        state.missing |= (cum[bounds[-1]][:, GRID] - cum[bounds[0]][:, GRID]) > 0
    return _block_finish(refs, psi, psi_st, state, starts, stops, do_psi)


def _coded_windows(refs: list[NumericReference], X: np.ndarray, codes: np.ndarray,
                   hist: Callable[[int], np.ndarray], starts: np.ndarray,
                   stops: np.ndarray, do_psi: np.ndarray, do_ks: np.ndarray,
                   state: _BlockState) -> None:
    """The windows of :func:`shared_block_windows` into ``state``: each window's
    histogram is ``hist(w)``, its values' buckets ``codes[:, lo:hi]`` (by column)."""
    p = len(refs)
    tables = _grid_tables(refs, do_psi, state)
    flag = np.zeros((p, GRID + 1), dtype=bool)
    picks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                      np.ndarray]] = []
    for w in range(len(starts)):
        lo, hi = int(starts[w]), int(stops[w])
        if hi <= lo:
            continue
        h = hist(w)
        cw = h[:, :GRID]
        cum_w = cw.cumsum(axis=1)
        m = cum_w[:, -1:]
        ks_here = do_ks & (m[:, 0] > 0)
        state.ks_st[do_ks & (m[:, 0] == 0), w] = NO_VALUES
        flag[:, :GRID] = _ks_candidates(tables, cw, cum_w, m, ks_here)
        parts_c, parts_r, parts_v = [], [], []
        for j in range(p):
            r = np.flatnonzero(np.take(flag[j], codes[j, lo:hi]))
            v = X[lo + r, j]
            o = np.argsort(v)
            parts_r.append(r[o])
            parts_v.append(v[o])
            parts_c.append(np.full(len(r), j, dtype=np.intp))
        col = np.concatenate(parts_c)          # by column, then by value
        vals = np.concatenate(parts_v)
        b = codes[col, lo + np.concatenate(parts_r)].astype(np.intp)
        # window values below each picked value's bucket that are not picked: those
        # below the bucket less the picked ones of the column before the bucket
        key = col * (GRID + 1) + b
        base = (cum_w[col, b] - cw[col, b]) - (
            np.searchsorted(key, key, side="left")
            - np.searchsorted(col, col, side="left"))
        if tables.edges.shape[1]:
            state.bins[:, w] = _edge_bins(tables, cum_w - cw, m, col, b, vals)
        state.n_missing[:, w] = (hi - lo) - m[:, 0]
        keep = ks_here[col]
        picks.append((w, col[keep], vals[keep], base[keep], m[col[keep], 0], b[keep]))
    _refined_ks(p, tables.n[:, 0], lambda j, s, b: refs[j].locate(s, b), picks, state)


def numeric_windows(ref: NumericReference, x: Any, starts: np.ndarray,
                    stops: np.ndarray, *, want_psi: bool = True, want_ks: bool = True,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PSI and KS of each window ``x[starts[i]:stops[i]]`` against ``ref``: one column
    of :func:`numeric_block_windows`. Returns ``psi, psi_status, ks, ks_status`` (one
    value per window; NaN where the status is not ``OK``)."""
    x = _as_float(x)
    out = numeric_block_windows([ref], x.reshape(-1, 1), np.asarray(starts),
                                np.asarray(stops), want_psi=want_psi, want_ks=want_ks)
    psi, psi_st, ks, ks_st = (a[0] for a in out)
    return psi, psi_st, ks, ks_st


# =============================================================== categorical columns
@dataclass(frozen=True, eq=False)
class CategoricalReference:
    """One anchor's training values of a categorical column: its categories (in order
    of first appearance) and their counts, and the training rows with missing values."""

    categories: pd.Index
    counts: np.ndarray
    n_missing: int

    @classmethod
    def from_values(cls, x: Any) -> CategoricalReference:
        codes, cats = pd.factorize(pd.Series(np.asarray(x, dtype=object))
                                   if not isinstance(x, pd.Series) else x,
                                   use_na_sentinel=True)
        codes = np.asarray(codes)
        miss = codes < 0
        counts = np.bincount(codes[~miss], minlength=len(cats)).astype(float)
        return cls(pd.Index(cats), counts, int(miss.sum()))

    @property
    def status(self) -> int:
        if len(self.categories) == 0:
            return NO_REFERENCE
        return CONSTANT if len(self.categories) < 2 else OK

    def codes(self, x: Any) -> np.ndarray:
        """Each value's category code; ``len(categories)`` for a category the training
        rows never had (unseen), ``len(categories) + 1`` for a missing value."""
        k = len(self.categories)
        s = x if isinstance(x, pd.Series) else pd.Series(np.asarray(x, dtype=object))
        codes = np.asarray(self.categories.get_indexer(pd.Index(s)), dtype=np.int64)
        miss = np.asarray(s.isna().to_numpy(), dtype=bool)
        codes[codes < 0] = k
        codes[miss] = k + 1
        return codes


def categorical_windows(ref: CategoricalReference, x: Any, starts: np.ndarray,
                        stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PSI over categories of each window against ``ref``: ``psi, status``.

    Categories the training rows never had are counted in one "unseen" bin, missing
    values in their own bin (each only when the anchor's rows have such values).
    """
    n_w = len(starts)
    psi = np.full(n_w, np.nan)
    st = np.full(n_w, OK, dtype=np.int8)
    sizes = (np.asarray(stops) - np.asarray(starts)).astype(np.int64)
    st[sizes <= 0] = EMPTY
    if ref.status != OK:
        st[sizes > 0] = ref.status
        return psi, st
    if n_w == 0:
        return psi, st
    lo_all, hi_all = int(np.min(starts)), int(np.max(stops))
    k = len(ref.categories)
    sub = x.iloc[lo_all:hi_all] if isinstance(x, pd.Series) else np.asarray(
        x, dtype=object)[lo_all:hi_all]
    codes = ref.codes(sub)
    # rows of each window, relative to lo_all (windows may overlap or leave gaps)
    idx = np.concatenate([np.arange(int(a), int(b)) - lo_all
                          for a, b in zip(starts, stops, strict=True)]) if n_w else (
        np.empty(0, np.int64))
    wid = np.repeat(np.arange(n_w), np.maximum(sizes, 0))
    counts = np.bincount(wid * (k + 2) + codes[idx], minlength=n_w * (k + 2)).reshape(
        n_w, k + 2).astype(float)
    keep = list(range(k))
    extra = counts[:, k:].sum(axis=0)
    if extra[0] > 0:
        keep.append(k)
    if extra[1] > 0 or ref.n_missing > 0:
        keep.append(k + 1)
    ref_counts = np.concatenate((ref.counts, [0.0, float(ref.n_missing)]))[keep]
    ok = st == OK
    psi[ok] = _psi_from_counts(ref_counts, counts[ok][:, keep])
    return psi, st


# ================================================================= expected scores
def _expected_auc_sorted(p: np.ndarray) -> float:
    """Expected ROC AUC of sorted probabilities ``p`` (NaN when no pair is expected)."""
    q = 1.0 - p
    den = float(p.sum() * q.sum() - (p * q).sum())
    if not den > 0:
        return math.nan
    cq = np.cumsum(q)
    m = len(p)
    new = np.empty(m, dtype=bool)
    new[0] = True
    np.not_equal(p[1:], p[:-1], out=new[1:])
    if new.all():
        less = cq - q                               # sum of q_j over p_j < p_i
        num = float((p * less).sum())
    else:
        first = np.maximum.accumulate(np.where(new, np.arange(m), 0))
        last_of = np.append(np.flatnonzero(new)[1:], m) - 1
        grp = np.cumsum(new) - 1
        end = last_of[grp]
        less = np.where(first > 0, cq[first - 1], 0.0)
        eq = cq[end] - less                          # sum of q_j over p_j == p_i
        num = float((p * (less + 0.5 * (eq - q))).sum())
    return num / den


def _as_proba(p: np.ndarray) -> np.ndarray:
    """Binary (n,) or class (n, k) probabilities -> (n, k)."""
    return np.column_stack((1.0 - p, p)) if p.ndim == 1 else p


def _expected_accuracy(p: np.ndarray) -> float:
    if p.ndim == 1:
        return float(np.maximum(p, 1.0 - p).mean())
    return float(np.max(p, axis=1).mean())


def _expected_brier(p: np.ndarray) -> float:
    return float((p * (1.0 - p)).mean())


def _expected_log_loss(p: np.ndarray) -> float:
    from scipy.special import entr

    return float(entr(_as_proba(p)).sum(axis=1).mean())


@dataclass(frozen=True)
class _Expected:
    """A confidence-based expected score: its kernel on one window's probabilities
    (sorted, for 1-D binary probabilities) and the kinds of response it applies to."""

    name: str
    kernel: Callable[[np.ndarray], float]
    binary: bool
    multiclass: bool


#: The expected scores, by the metric name they estimate.
EXPECTED: dict[str, _Expected] = {e.name: e for e in (
    _Expected("roc_auc", _expected_auc_sorted, True, False),
    _Expected("accuracy", _expected_accuracy, True, True),
    _Expected("brier", _expected_brier, True, False),
    _Expected("log_loss", _expected_log_loss, True, True),
)}


def expected_windows(names: list[str], proba: np.ndarray, starts: np.ndarray,
                     stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected scores (rows: ``names``) of each window from the probabilities alone:
    ``values, status`` of shape ``(len(names), n_windows)``."""
    n_w = len(starts)
    out = np.full((len(names), n_w), np.nan)
    st = np.full((len(names), n_w), OK, dtype=np.int8)
    kernels = [EXPECTED[nm].kernel for nm in names]
    for w in range(n_w):
        lo, hi = int(starts[w]), int(stops[w])
        if hi <= lo:
            st[:, w] = EMPTY
            continue
        p = proba[lo:hi]
        if p.ndim == 1:
            p = np.sort(p)
        for i, kern in enumerate(kernels):
            v = kern(p)
            if math.isfinite(v):
                out[i, w] = v
            else:
                st[i, w] = UNDEFINED
    return out, st


# ================================================================ public functions
def _sample(values: Any, param: str, *, numeric: bool) -> Any:
    if isinstance(values, (pd.DataFrame, dict)) or np.ndim(values) != 1:
        raise InvalidParameterError(param_message(
            param, None, "a one-dimensional array or Series of values",
            Described(f"an object of shape {np.shape(values)}" if not isinstance(
                values, dict) else "a dict")))
    if not numeric:
        return values if isinstance(values, pd.Series) else pd.Series(
            np.asarray(values, dtype=object))
    try:
        return _as_float(values)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(param_message(
            param, None, "numbers", Described(f"values of dtype {np.asarray(values).dtype}"),
            "For categories, psi compares their shares; ks_statistic needs numbers."),
        ) from exc


@entry_point("psi")
def psi(reference: Any, sample: Any, *, bins: int = PSI_BINS) -> float:
    """Population stability index of ``sample`` against ``reference``.

    Numeric values are binned at the reference's quantiles (``bins`` quantile bins,
    right-closed, fewer when values tie, plus a bin for missing values when either
    sample has any); other values (strings, categories, booleans) are compared by
    category, with one bin for categories the reference never had. Every bin gets half
    a row on both sides, so an empty bin has a small, finite share.

    Parameters
    ----------
    reference : array-like
        The reference sample (e.g. the training rows' values).
    sample : array-like
        The sample compared with it (e.g. one window's values).
    bins : int, default=10
        Number of quantile bins of a numeric reference.

    Returns
    -------
    float
        ``sum_b (a_b - e_b) ln(a_b / e_b)`` over the bins, ``e`` the reference's and
        ``a`` the sample's shares; 0 for identical shares. By a common rule of thumb,
        below 0.1 is stable and above 0.25 a large shift.

    Raises
    ------
    InvalidParameterError
        When the reference has fewer than two distinct values (no bins to compare), or
        the sample is empty.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.indicators import psi
    >>> rng = np.random.default_rng(0)
    >>> train = rng.normal(size=5000)
    >>> round(psi(train, rng.normal(size=2000)), 3)       # the same distribution
    0.005
    >>> round(psi(train, rng.normal(0.5, size=2000)), 2)  # shifted by half an SD
    0.28
    >>> psi(["a", "b", "a"], ["a", "c"]) > 0               # "c" is unseen
    True
    """
    check_scalar(bins, "bins", "psi", kind="int", low=2)
    categorical = is_categorical(reference) or is_categorical(sample)
    ref_v = _sample(reference, "reference", numeric=not categorical)
    smp = _sample(sample, "sample", numeric=not categorical)
    if len(smp) == 0:
        raise InvalidParameterError(param_message(
            "sample", None, "a non-empty sample", Described("an empty one")))
    starts, stops = np.array([0]), np.array([len(smp)])
    if categorical:
        cref = CategoricalReference.from_values(ref_v)
        if cref.status != OK:
            raise InvalidParameterError(param_message(
                "reference", None, "a sample with at least two distinct categories",
                Described(f"{len(cref.categories)} distinct categor"
                          f"{'y' if len(cref.categories) == 1 else 'ies'}"),
                "PSI compares shares of categories; with one category it is undefined."))
        value, _ = categorical_windows(cref, smp, starts, stops)
        return float(value[0])
    nref = NumericReference.from_values(ref_v, bins=int(bins))
    if nref.status != OK:
        n_distinct = 0 if nref.status == NO_REFERENCE else 1
        raise InvalidParameterError(param_message(
            "reference", None, "a sample with at least two distinct finite values",
            Described(f"{n_distinct} distinct finite value"
                      f"{'s' if n_distinct != 1 else ''}"),
            "PSI bins the values at the reference's quantiles; a constant reference "
            "has none."))
    value, _, _, _ = numeric_windows(nref, smp, starts, stops, want_ks=False)
    return float(value[0])


@entry_point("ks_statistic")
def ks_statistic(reference: Any, sample: Any) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical
    distribution functions of the two samples' finite values.

    Equals ``scipy.stats.ks_2samp(reference, sample).statistic``. The reference is
    sorted once; the evaluation scores many samples (its windows) against one reference
    with :func:`oot.evaluate._drift.numeric_block_windows`, which locates among the
    reference only the sample values near the largest gap.

    Parameters
    ----------
    reference, sample : array-like of numbers
        Missing values (NaN, +-inf) are left out.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    InvalidParameterError
        When either sample has no finite value.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.indicators import ks_statistic
    >>> ks_statistic([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0])
    0.5
    """
    ref_v = _sample(reference, "reference", numeric=True)
    smp = _sample(sample, "sample", numeric=True)
    nref = NumericReference.from_values(ref_v)
    n_sample = int(np.isfinite(smp).sum())
    for param, size in (("reference", nref.n), ("sample", n_sample)):
        if size == 0:
            raise InvalidParameterError(param_message(
                param, None, "a sample with at least one finite value",
                Described("no finite value")))
    _, _, value, _ = numeric_windows(nref, smp, np.array([0]), np.array([len(smp)]),
                                     want_psi=False)
    return float(value[0])


def _proba(proba: Any, *, binary_only: bool) -> np.ndarray:
    try:
        p = np.asarray(proba, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(param_message(
            "proba", None, "predicted probabilities (numbers in [0, 1])",
            Described(f"values of dtype {np.asarray(proba).dtype}"))) from exc
    shape = "(n,) probabilities of the positive class" + (
        "" if binary_only else " or (n, n_classes) class probabilities")
    if p.ndim == 2 and p.shape[1] == 2:
        p = p[:, 1]
    if p.ndim != 1 and (binary_only or p.ndim != 2):
        raise InvalidParameterError(param_message(
            "proba", None, shape, Described(f"an array of shape {p.shape}")))
    if p.size == 0 or not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
        raise InvalidParameterError(param_message(
            "proba", None, "a non-empty array of probabilities in [0, 1]",
            Described("an empty array" if p.size == 0 else
                      f"values from {np.nanmin(p):g} to {np.nanmax(p):g}"
                      + (" with NaN or inf" if not np.all(np.isfinite(p)) else ""))))
    return p


@entry_point("expected_roc_auc")
def expected_roc_auc(proba: Any) -> float:
    """The ROC AUC a calibrated model should reach on these rows, from its predicted
    probabilities alone (no labels).

    If the model is calibrated, row ``i`` is positive with probability ``p_i``; the
    expected AUC is the expected number of correctly ordered (positive, negative) pairs
    of distinct rows over the expected number of such pairs:
    ``sum_{i != j} p_i (1 - p_j) [1(p_i > p_j) + 1(p_i = p_j) / 2] /
    sum_{i != j} p_i (1 - p_j)``. A model whose predictions grow less confident, or
    whose inputs move to where it separates the classes less well, shows it here
    before the labels arrive; a shift in the class balance that the model does not
    follow (a miscalibrated model) does not.

    Parameters
    ----------
    proba : array-like of shape (n,) or (n, 2)
        Probabilities of the positive class (or both columns of ``predict_proba``).

    Returns
    -------
    float
        NaN when no pair is expected (every probability 0, or every one 1).

    Examples
    --------
    >>> import numpy as np
    >>> from oot.indicators import expected_roc_auc
    >>> rng = np.random.default_rng(0)
    >>> p = rng.beta(2, 2, size=4000)
    >>> y = rng.random(4000) < p                   # labels drawn from calibrated p
    >>> from sklearn.metrics import roc_auc_score
    >>> abs(expected_roc_auc(p) - roc_auc_score(y, p)) < 0.02
    True
    """
    p = _proba(proba, binary_only=True)
    return _expected_auc_sorted(np.sort(p))


@entry_point("expected_accuracy")
def expected_accuracy(proba: Any) -> float:
    """The accuracy a calibrated model should reach on these rows, from its predicted
    probabilities alone: the mean of the largest class probability (``max(p, 1 - p)``
    for binary probabilities).

    Parameters
    ----------
    proba : array-like of shape (n,) or (n, n_classes)
        Probabilities of the positive class, or of every class.

    Returns
    -------
    float

    Examples
    --------
    >>> from oot.indicators import expected_accuracy
    >>> round(expected_accuracy([0.9, 0.2, 0.6]), 4)
    0.7667
    """
    return _expected_accuracy(_proba(proba, binary_only=False))
