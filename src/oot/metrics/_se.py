"""Standard-error formulas, each written once.

Every formula works on arrays (one value per window) and is used both by the vectorised
path of :func:`oot.metrics.score_windows` (many windows at once) and by the per-window
path (:meth:`oot.metrics.Metric.standard_error` and the loop over windows), which runs
the same code on one window.

* :func:`binomial_se`: a proportion (accuracy, precision, recall);
* :func:`hanley_mcneil_se` and :func:`delong_se` (from DeLong's placement variances,
  :func:`delong_from_variances`): ROC AUC;
* :func:`mean_se`: the mean of row values (MAE, MSE, MAPE, log loss, Brier);
* :func:`sqrt_delta_se`: the delta method for the root of a mean (RMSE);
* :func:`r2_se`: R² linearised in the window's rows;
* :func:`ovr_macro_auc_se`, :func:`per_class_se`: multiclass ROC AUC and the macro
  per-class proportions (per window only);
* :func:`paired_se` (and :func:`paired_delong_se` for one window): the standard error of
  the difference of two scores of the same rows, from the differences of their per-row
  influence values (paired DeLong for ROC AUC, paired deltas for the means).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from oot._validation import InvalidParameterError, entry_point, param_message
from oot.metrics._kernels import BoolArray, FloatArray, RankAUC, Segments, placements, rank_auc

__all__ = ["hanley_mcneil_se", "delong_se", "paired_delong_se"]


def _scalar_or_array(out: FloatArray) -> Any:
    return float(out) if out.ndim == 0 else out


def binomial_se(p: ArrayLike, n: ArrayLike) -> Any:
    """Standard error ``sqrt(p (1 - p) / n)`` of a proportion ``p`` of ``n`` rows.

    NaN where ``n`` is 0 or ``p`` is not finite; a float for scalar inputs.

    Examples
    --------
    >>> from oot.metrics._se import binomial_se
    >>> round(binomial_se(0.75, 4), 6)
    0.216506
    """
    pa = np.asarray(p, dtype=float)
    na = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sqrt(pa * (1.0 - pa) / na)
    return _scalar_or_array(np.where(na > 0, out, np.nan))


def hanley_mcneil_se(auc: ArrayLike, n_pos: ArrayLike, n_neg: ArrayLike) -> Any:
    """Standard error of ROC AUC by Hanley & McNeil (1982).

    Parameters
    ----------
    auc : float or array-like
        Area under the ROC curve.
    n_pos, n_neg : int or array-like
        Numbers of positive and negative rows.

    Returns
    -------
    float or ndarray
        ``sqrt((A(1-A) + (n_pos-1)(Q1-A^2) + (n_neg-1)(Q2-A^2)) / (n_pos n_neg))`` with
        ``Q1 = A/(2-A)``, ``Q2 = 2A^2/(1+A)``; NaN where a class is absent.

    See Also
    --------
    delong_se : The nonparametric (DeLong) standard error, used by default.

    References
    ----------
    .. [1] J. A. Hanley and B. J. McNeil, "The meaning and use of the area under a
       receiver operating characteristic (ROC) curve", Radiology 143(1), 29-36, 1982.

    Examples
    --------
    >>> from oot.metrics import hanley_mcneil_se
    >>> round(hanley_mcneil_se(0.75, 20, 200), 8)
    0.06498283
    """
    a = np.asarray(auc, dtype=float)
    npos = np.asarray(n_pos, dtype=float)
    nneg = np.asarray(n_neg, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        q1 = a / (2.0 - a)
        q2 = 2.0 * a * a / (1.0 + a)
        var = (a * (1.0 - a) + (npos - 1.0) * (q1 - a * a)
               + (nneg - 1.0) * (q2 - a * a)) / (npos * nneg)
        out = np.where((npos > 0) & (nneg > 0), np.sqrt(np.maximum(var, 0.0)), np.nan)
    return _scalar_or_array(out)


def delong_from_variances(r: RankAUC) -> FloatArray:
    """DeLong's standard error ``sqrt(var(V10)/n_pos + var(V01)/n_neg)`` per window.

    ``r`` holds the placement-value variances (:func:`oot.metrics._kernels.rank_auc`
    with ``delong=True``); NaN where a class has fewer than two rows.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(r.var10 / r.n_pos + r.var01 / r.n_neg)
    return np.where((r.n_pos > 1) & (r.n_neg > 1), se, np.nan)


def auc_se(r: RankAUC, se_method: str) -> FloatArray:
    """The standard error of each window's AUC by ``se_method`` ("delong" or
    "hanley_mcneil")."""
    if se_method == "hanley_mcneil":
        return np.asarray(hanley_mcneil_se(r.auc, r.n_pos, r.n_neg), dtype=float)
    return delong_from_variances(r)


@entry_point("delong_se")
def delong_se(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Standard error of binary ROC AUC by DeLong, DeLong & Clarke-Pearson (1988).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 labels (1 is positive).
    y_score : array-like of shape (n,)
        Scores; ties count one half.

    Returns
    -------
    float
        ``sqrt(var(V10)/n_pos + var(V01)/n_neg)`` from the placement values; NaN when
        either class has fewer than two rows.

    References
    ----------
    .. [1] E. R. DeLong, D. M. DeLong and D. L. Clarke-Pearson, "Comparing the areas
       under two or more correlated receiver operating characteristic curves: a
       nonparametric approach", Biometrics 44(3), 837-845, 1988.

    Examples
    --------
    >>> from oot.metrics import delong_se
    >>> round(delong_se([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]), 6)
    0.157135
    """
    yt = np.asarray(y_true).ravel()
    ys = np.asarray(y_score, dtype=float).ravel()
    if yt.shape != ys.shape:
        raise InvalidParameterError(param_message(
            "y_score", None, f"an array of the same length as y_true ({len(yt)})",
            f"an array of length {len(ys)}"))
    return float(delong_from_variances(rank_auc(yt, ys, Segments.one(len(yt)),
                                                 delong=True))[0])


def mean_se(seg: Segments, rows: FloatArray, mean: FloatArray) -> FloatArray:
    """Standard error ``sd(rows) / sqrt(n)`` of each window's mean of row values.

    Two-pass: ``rows`` (gathered, window after window) are centred on their window's
    ``mean`` and squared **in place**, then summed per window. NaN for windows of fewer
    than two rows and where a row is not finite.
    """
    n = seg.lengths.astype(float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        seg.subtract_each(rows, mean)
        np.multiply(rows, rows, out=rows)
        var = seg.sum(rows) / (n - 1.0)
        return np.where(seg.lengths > 1, np.sqrt(var / n), np.nan)


def sqrt_delta_se(root: FloatArray, se: FloatArray) -> FloatArray:
    """Delta method for ``root = sqrt(mean)``: ``SE(root) = SE(mean) / (2 root)``.

    At ``root == 0`` (every row 0) the SE is 0 when the mean's is, else NaN.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(root > 0, se / (2.0 * root), np.where(se == 0, 0.0, np.nan))


def r2_se(seg: Segments, a: FloatArray, b: FloatArray, num: FloatArray,
          den: FloatArray) -> FloatArray:
    """Standard error of ``R² = 1 - SSres/SStot``, linearised in the window's rows.

    ``a = (y - p)^2`` and ``b = (y - mean_w(y))^2`` are the gathered rows, ``num`` and
    ``den`` their window sums. With ``ma, mb`` the window means of ``a, b``, R² is
    ``1 - ma/mb``, whose first-order influence of row i is
    ``d_i = (a_i - (ma/mb) b_i) / mb`` (up to sign); the SE is ``sd(d)/sqrt(n)``. NaN
    for windows of fewer than two rows or with ``SStot = 0``.
    """
    n = seg.lengths.astype(float)
    wid = seg.wid
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = r2_influence(seg, a, b, num, den)
        dmean = seg.sum(d) / n
        dd = d - dmean[wid]
        var = seg.sum(dd * dd) / (n - 1.0)
        return np.where((seg.lengths >= 2) & (den > 0), np.sqrt(var / n), np.nan)


def r2_influence(seg: Segments, a: FloatArray, b: FloatArray, num: FloatArray,
                 den: FloatArray) -> FloatArray:
    """Per-row influence ``d_i = (a_i - (ma/mb) b_i) / mb`` of R² (up to sign and the
    factor ``1/n``; see :func:`r2_se`)."""
    n = seg.lengths.astype(float)
    wid = seg.wid
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ma = num / n
        mb = den / n
        out: FloatArray = (a - (ma / mb)[wid] * b) / mb[wid]
    return out


# ---------------------------------------------------------------------------------------
# Two scores of the same rows: the standard error of their difference
# ---------------------------------------------------------------------------------------


class Strata(NamedTuple):
    """The strata of :func:`paired_se` on one set of windows, shared by every pair of
    predictions of the same rows: per stratum, its rows as weights 1.0 (the others
    0.0; None: every row) and its number of rows per window."""

    weights: tuple[FloatArray | None, ...]
    counts: tuple[FloatArray, ...]


def paired_strata(seg: Segments, strata: BoolArray | None) -> Strata:
    """The :class:`Strata` of ``strata`` (the positives, or None for one stratum)."""
    if strata is None:
        return Strata((None,), (seg.lengths.astype(float),))
    pos = np.asarray(strata, dtype=bool)
    w = pos.astype(float)
    n_pos = seg.count(pos)
    return Strata((w, 1.0 - w), (n_pos.astype(float), (seg.lengths - n_pos).astype(float)))


def paired_se(seg: Segments, d: FloatArray, strata: BoolArray | None, ddof: int, *,
              prepared: Strata | None = None) -> FloatArray:
    """Standard error of each window's difference of two scores of the same rows.

    ``d`` holds, for every gathered row, the difference of the two scores' per-row
    influence values (placements for ROC AUC, row values for a mean, ...). Both scores
    are functions of the same rows, so their shared noise cancels in ``d``: the SE is
    ``sqrt(sum_s var_s(d) / n_s)`` over the strata ``s`` (the two classes for ROC AUC,
    whose placements are centred per class; one stratum otherwise), with variances of
    ``ddof`` degrees of freedom (1, as the single-score formulas; 0 for a proportion,
    whose binomial SE is the ``ddof=0`` one). For ROC AUC this is DeLong, DeLong &
    Clarke-Pearson's (1988) variance of ``AUC_A - AUC_B``,
    ``(S10_AA + S10_BB - 2 S10_AB)/n_pos + (S01_AA + S01_BB - 2 S01_AB)/n_neg``; for a
    mean it is the paired-difference SE ``sd(a_i - b_i)/sqrt(n)``. NaN where a stratum
    has ``ddof`` rows or fewer, or a value is not finite. ``prepared`` is
    :func:`paired_strata` of ``strata`` when several pairs share them.

    A stratum's sums run over all of the window's rows, those of the other stratum
    weighted 0, so every sum adds the same numbers in the same order as over the
    stratum's rows with the others set to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.metrics._kernels import Segments
    >>> from oot.metrics._se import paired_se
    >>> d = np.array([0.5, -0.5, 1.0, 0.0, 2.0])
    >>> se = paired_se(Segments(np.array([0, 2]), np.array([2, 5])), d, None, 1)
    >>> np.round(se, 6).tolist()  # sd([0.5, -0.5]) / sqrt(2), sd([1, 0, 2]) / sqrt(3)
    [0.5, 0.57735]
    """
    st = paired_strata(seg, strata) if prepared is None else prepared
    d = np.asarray(d, dtype=float)
    var = np.zeros(seg.n_windows)
    ok = np.ones(seg.n_windows, dtype=bool)
    work = np.empty_like(d)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for w, ns in zip(st.weights, st.counts, strict=True):
            mean = seg.sum(d if w is None else np.multiply(d, w, out=work)) / ns
            seg.subtract_each(d, mean, out=work)
            np.multiply(work, work, out=work)
            if w is not None:
                np.multiply(work, w, out=work)
            var += seg.sum(work) / (ns - ddof) / ns
            ok &= ns > ddof
        return np.where(ok, np.sqrt(var), np.nan)


@entry_point("paired_delong_se")
def paired_delong_se(y_true: ArrayLike, score_a: ArrayLike, score_b: ArrayLike) -> float:
    """Standard error of ``AUC_A - AUC_B`` for two scores of the same rows (DeLong).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 labels (1 is positive).
    score_a, score_b : array-like of shape (n,)
        The two scores of the same rows; ties count one half.

    Returns
    -------
    float
        ``sqrt(var(V10_A - V10_B)/n_pos + var(V01_A - V01_B)/n_neg)`` from the two
        scores' placement values (DeLong, DeLong & Clarke-Pearson 1988): the
        covariance of the two AUCs is taken into account, so a difference between two
        similar scores is known far better than either AUC. NaN when a class has fewer
        than two rows.

    See Also
    --------
    delong_se : The standard error of one AUC.

    References
    ----------
    .. [1] E. R. DeLong, D. M. DeLong and D. L. Clarke-Pearson, "Comparing the areas
       under two or more correlated receiver operating characteristic curves: a
       nonparametric approach", Biometrics 44(3), 837-845, 1988.

    Examples
    --------
    >>> from oot.metrics import paired_delong_se
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> round(paired_delong_se(y, [0.1, 0.4, 0.35, 0.8, 0.2, 0.7],
    ...                        [0.2, 0.1, 0.3, 0.9, 0.4, 0.6]), 6)
    0.19245
    """
    yt = np.asarray(y_true).ravel()
    arrays = []
    for name, x in (("score_a", score_a), ("score_b", score_b)):
        xs = np.asarray(x, dtype=float).ravel()
        if xs.shape != yt.shape:
            raise InvalidParameterError(param_message(
                name, None, f"an array of the same length as y_true ({len(yt)})",
                f"an array of length {len(xs)}"))
        arrays.append(xs)
    seg = Segments.one(len(yt))
    pos = yt == 1
    d = placements(pos, arrays[0], seg) - placements(pos, arrays[1], seg)
    return float(paired_se(seg, d, pos, 1)[0])


# ---------------------------------------------------------------------------------------
# Per-window formulas of the registry's se_func (no vectorised kernel covers them)
# ---------------------------------------------------------------------------------------


def roc_auc_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """DeLong's SE for 1-D scores; the macro one-vs-rest SE for a probability matrix."""
    if np.ndim(y_pred) == 2:
        return ovr_macro_auc_se(np.asarray(y_true), np.asarray(y_pred, dtype=float))
    return delong_se(y_true, y_pred)


def ovr_macro_auc_se(y_true: np.ndarray, proba: np.ndarray) -> float:
    """SE of the macro one-vs-rest ROC AUC from DeLong's placement values.

    Each one-vs-rest AUC is a two-sample U-statistic whose first-order influence on row
    ``i`` is ``(V10_i - A_k) / n1_k`` for its positives and ``(V01_i - A_k) / n0_k`` for
    its negatives (DeLong's structural components). The macro average's influence is the
    mean over classes, and its variance the sum of squared influences, with the
    ``n / (n - 1)`` small-sample factor; it reduces to DeLong's variance for one class
    pair and, unlike adding the per-class variances, keeps their covariances.
    """
    from scipy.stats import rankdata

    n, k = proba.shape
    psi = np.zeros(n)
    for c in range(k):
        pos = y_true == c
        n1 = int(pos.sum())
        n0 = n - n1
        if n1 < 2 or n0 < 2:
            return math.nan
        s = proba[:, c]
        r_all = rankdata(s)
        v = np.empty(n)
        v[pos] = (r_all[pos] - rankdata(s[pos])) / n0
        v[~pos] = 1.0 - (r_all[~pos] - rankdata(s[~pos])) / n1
        auc = float(v[pos].mean())
        psi[pos] += (v[pos] - auc) / n1
        psi[~pos] += (v[~pos] - auc) / n0
    psi /= k
    return float(math.sqrt(np.sum(psi**2) * n / (n - 1)))


def per_class_se(y_true: np.ndarray, y_pred: np.ndarray, by: str) -> float:
    """SE of macro precision/recall: ``sqrt(sum_k p_k(1-p_k)/n_k) / K``."""
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    ref = yt if by == "recall" else yp
    classes = np.unique(ref)
    if len(classes) == 0:
        return math.nan
    var = 0.0
    for k in classes:
        sel = ref == k
        nk = int(sel.sum())
        pk = float(np.mean(yt[sel] == yp[sel]))
        var += pk * (1.0 - pk) / nk
    return math.sqrt(var) / len(classes)


def _binary_label_set(y_true: np.ndarray, y_pred: np.ndarray) -> bool:
    return bool(np.all(np.isin(y_true, (0, 1))) and np.all(np.isin(y_pred, (0, 1))))


def _proportion_among(hits: np.ndarray, among: np.ndarray) -> float:
    """Binomial SE of the share of ``hits`` among the rows selected by ``among``."""
    return float(binomial_se(float(np.mean(hits[among])) if among.any() else math.nan,
                             int(among.sum())))


def precision_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Binomial SE of binary precision (among predicted positives); else per class."""
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    if _binary_label_set(yt, yp):
        return _proportion_among(yt == 1, yp == 1)
    return per_class_se(yt, yp, "precision")


def recall_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Binomial SE of binary recall (among actual positives); else per class."""
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    if _binary_label_set(yt, yp):
        return _proportion_among(yp == 1, yt == 1)
    return per_class_se(yt, yp, "recall")


def balanced_accuracy_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """SE of balanced accuracy: the macro recall's."""
    return per_class_se(np.asarray(y_true), np.asarray(y_pred), "recall")
