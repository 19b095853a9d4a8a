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
each bin edge) or counted with one ``bincount`` over all windows (categorical). The definitions:

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

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    unique, cum : ndarray
        The distinct finite values and the number of training values ``<=`` each.
    mult : ndarray
        How many training values equal each distinct value.
    status : int
        ``OK``, ``CONSTANT`` (one distinct value) or ``NO_REFERENCE`` (none).
    """

    values: np.ndarray
    n_missing: int
    edges: np.ndarray
    counts: np.ndarray
    unique: np.ndarray
    cum: np.ndarray
    status: int
    mult: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, np.int64))

    @classmethod
    def from_values(cls, x: Any, bins: int = PSI_BINS) -> NumericReference:
        x = _as_float(x)
        fin = np.isfinite(x)
        v = np.sort(x[fin] if not fin.all() else x)
        n = len(v)
        n_missing = len(x) - n
        if n == 0:
            empty = np.empty(0)
            return cls(v, n_missing, empty, np.zeros(1), empty, np.empty(0, np.int64),
                       NO_REFERENCE)
        new = np.empty(n, dtype=bool)
        new[0] = True
        np.not_equal(v[1:], v[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        unique = v[starts]
        cum = np.append(starts[1:], n).astype(np.int64)   # values <= unique[i]
        pos = np.ceil(np.arange(1, bins) * n / bins).astype(np.int64) - 1
        edges = np.unique(v[np.clip(pos, 0, n - 1)])
        below = np.searchsorted(v, edges, side="right")
        counts = np.diff(np.concatenate(([0], below, [n]))).astype(float)
        status = CONSTANT if len(unique) < 2 else OK
        return cls(v, n_missing, edges, counts, unique, cum, status,
                   np.diff(cum, prepend=0))

    @property
    def n(self) -> int:
        """Number of finite training values."""
        return len(self.values)

    def cum0(self) -> np.ndarray:
        """``cum`` with a leading 0: training values ``<=`` each distinct value, indexed
        by the position :func:`numpy.searchsorted` (side "right") gives."""
        return np.concatenate(([0], self.cum))

    def counts_le(self, s: np.ndarray, cum0: np.ndarray | None = None,
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Training values ``<= s`` and ``< s`` for finite ``s`` (sorted, or sorted in
        runs: the search is fastest then).

        One :func:`numpy.searchsorted` among the distinct values (exact: no arithmetic
        on the values); ``< s`` is fewer by the multiplicity of a training value equal
        to ``s``. ``cum0`` is :meth:`cum0`, computed once by a caller that asks often.
        """
        u = self.unique
        if cum0 is None:
            cum0 = self.cum0()
        i = np.searchsorted(u, s, side="right")
        right = cum0[i]
        prev = np.maximum(i - 1, 0)
        eq = (u[prev] == s) & (i > 0) if len(u) else np.zeros(len(s), dtype=bool)
        left = right - np.where(eq, self.mult[prev], 0) if eq.any() else right
        return right, left


def _ks_sorted(ref: NumericReference, s: np.ndarray,
               cum0: np.ndarray | None = None) -> float:
    """KS statistic of the sorted, finite, non-empty sample ``s`` against the training
    values (exact: ``scipy.stats.ks_2samp``'s statistic).

    Each value is located once among the distinct training values
    (:meth:`NumericReference.counts_le`). ``F_window`` jumps once per distinct value,
    so the gap is taken at a run's last element (``F_train(x) - F_window(x)``) and at
    its first (their left limits); without ties within the sample every element is
    both.
    """
    n = float(ref.n)
    m = len(s)
    right, left = ref.counts_le(s, cum0)
    k = np.arange(m, dtype=float)
    if m > 1 and not (s[1:] != s[:-1]).all():
        first = np.ones(m, dtype=bool)
        np.not_equal(s[1:], s[:-1], out=first[1:])
        last = np.ones(m, dtype=bool)
        last[:-1] = first[1:]
        hi = np.abs(right[last] / n - (k[last] + 1.0) / m)
        lo = np.abs(left[first] / n - k[first] / m)
    else:
        hi = np.abs(right / n - (k + 1.0) / m)
        lo = np.abs(left / n - k / m)
    return max(float(hi.max()), float(lo.max()))


def numeric_windows(ref: NumericReference, x: Any, starts: np.ndarray,
                    stops: np.ndarray, *, want_psi: bool = True, want_ks: bool = True,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PSI and KS of each window ``x[starts[i]:stops[i]]`` against ``ref``.

    Returns ``psi, psi_status, ks, ks_status`` (one value per window; NaN where the
    status is not ``OK``). Window by window, so that each window's values stay in the
    processor's cache while they are used: for the KS statistic the window's finite
    values are sorted once (:func:`_ks_sorted`) and the PSI's counts are the positions
    of the bin edges in them; for PSI alone no sort is needed, the counts are the
    values ``<=`` each of the (at most 9) edges.
    """
    x = _as_float(x)
    n_w = len(starts)
    psi = np.full(n_w, np.nan)
    ks = np.full(n_w, np.nan)
    psi_st = np.full(n_w, OK, dtype=np.int8)
    ks_st = np.full(n_w, OK, dtype=np.int8)
    if ref.status == NO_REFERENCE:
        psi_st[:] = NO_REFERENCE
        ks_st[:] = NO_REFERENCE
    elif ref.status == CONSTANT:
        psi_st[:] = CONSTANT
    lo_all = int(starts.min()) if n_w else 0
    hi_all = int(stops.max()) if n_w else 0
    any_missing = ref.n_missing > 0 or not bool(np.isfinite(x[lo_all:hi_all]).all())
    n_vbins = len(ref.counts)
    ref_counts = ref.counts if not any_missing else np.append(ref.counts, ref.n_missing)
    win_counts = np.zeros((n_w, n_vbins + int(any_missing)))
    do_psi = want_psi and ref.status == OK
    do_ks = want_ks and ref.status != NO_REFERENCE
    edges = ref.edges
    cum0 = ref.cum0() if do_ks else None
    for w in range(n_w):
        lo, hi = int(starts[w]), int(stops[w])
        if hi <= lo:
            psi_st[w] = ks_st[w] = EMPTY
            continue
        v = x[lo:hi]
        if any_missing:
            v = v[np.isfinite(v)]
        m = len(v)
        if do_ks:
            srt = np.sort(v)
            if m == 0:
                ks_st[w] = NO_VALUES
            else:
                ks[w] = _ks_sorted(ref, srt, cum0)
        if do_psi:
            # values <= each edge: positions in the sorted values, or counted
            below = (np.searchsorted(srt, edges, side="right") if do_ks else
                     np.array([np.count_nonzero(v <= e) for e in edges], dtype=np.int64))
            row = win_counts[w]
            row[0] = below[0] if len(below) else m
            row[1:len(below)] = np.diff(below)
            row[len(below):n_vbins] = m - (below[-1] if len(below) else 0)
            if any_missing:
                row[-1] = (hi - lo) - m
    if do_psi:
        ok = psi_st == OK
        psi[ok] = _psi_from_counts(ref_counts, win_counts[ok])
    ks[ks_st != OK] = np.nan
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
        n_distinct = len(nref.unique)
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

    Equals ``scipy.stats.ks_2samp(reference, sample).statistic``; the reference is
    sorted once, so scoring many samples against one reference (what the evaluation
    does per window) costs one sort of each sample.

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
    s = np.sort(smp[np.isfinite(smp)])
    for param, size in (("reference", nref.n), ("sample", len(s))):
        if size == 0:
            raise InvalidParameterError(param_message(
                param, None, "a sample with at least one finite value",
                Described("no finite value")))
    return _ks_sorted(nref, s)


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
