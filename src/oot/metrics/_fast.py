"""The vectorised kernels a :class:`~oot.metrics.Metric` names in its ``kernel`` field.

A kernel scores many windows of one prediction vector at once, from segment sums over
the gathered rows, and returns the score, its standard error and an ``invalid`` flag per
window (a row the metric cannot use: see each kernel). :func:`score_windows` calls it
for binary and regression inputs with 1-D predictions; :func:`window_se` runs the same
kernel on one window for the per-window path (``Metric.standard_error`` and the loop),
so both paths share one formula.

=============  =======================================  ============================
``kernel``     score per window                         standard error
=============  =======================================  ============================
"rank_auc"     Mann-Whitney AUC, ties count one half    DeLong (or Hanley-McNeil)
"row_mean"     mean of ``row_values`` (or its sqrt)     ``sd(rows)/sqrt(n)`` (delta
                                                        method for the sqrt)
"proportion"   share of true ``row_values`` (hits)      binomial
"r2"           ``1 - SSres/SStot``                      linearised in the rows
=============  =======================================  ============================

Invalid rows (the window's score becomes NaN, status ``"undefined"``): "rank_auc", a
non-finite prediction; "row_mean" and "r2", a non-finite truth or prediction, and for a
metric with ``requires_probabilities`` a prediction outside [0, 1]; "proportion", none.

Each kernel also gives the per-row *influence* of its score (:class:`Influence`): the
placement values of ROC AUC, the row values of a mean (scaled by the delta method for a
root mean), the hits of a proportion, R²'s linearisation. Two predictions of the same
rows differ in score, to first order, by the window mean of their influence
differences, so :func:`oot.metrics._se.paired_se` gives the standard error of a
difference from them (:func:`oot.metrics.score_window_pairs`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from oot._validation import InvalidParameterError, param_message
from oot.metrics._kernels import (
    BoolArray,
    FloatArray,
    RankAUC,
    Segments,
    placements,
    rank_auc,
    rank_auc_placements,
)
from oot.metrics._se import (
    auc_se,
    binomial_se,
    mean_se,
    r2_influence,
    r2_se,
    sqrt_delta_se,
)

if TYPE_CHECKING:
    from oot.metrics._metric import Metric


class Scored(NamedTuple):
    """Per-window output of a kernel (``invalid`` is None when rows were not checked)."""

    score: FloatArray
    se: FloatArray
    invalid: BoolArray | None


class Influence(NamedTuple):
    """Per-row influence values of one prediction vector's window scores.

    ``values`` are the gathered rows' values (window after window); ``strata`` marks
    the positives when the values are centred per class (ROC AUC's placements), None
    for one stratum; ``ddof`` is the variance's degrees of freedom in
    :func:`oot.metrics._se.paired_se`.
    """

    values: FloatArray
    strata: BoolArray | None
    ddof: int


class Kernel(NamedTuple):
    """A vectorised kernel: its function, its influence values, and what inputs it
    takes."""

    score: Callable[..., Scored]
    binary_labels: bool  # needs 0/1 labels (scored only for binary classification)
    matrix_predictions: bool  # on one window, also takes (n, K) predictions
    influence: Callable[..., Influence]
    # score and influence at once, sharing their work (None: the two calls)
    score_influence: Callable[..., tuple[Scored, Influence]] | None = None


def _rank_auc(m: Metric, seg: Segments, y: NDArray[Any], p: NDArray[Any], *,
              pos_mask: BoolArray | None = None, se_method: str = "delong",
              check_rows: bool = True) -> Scored:
    s = np.asarray(p, dtype=float)
    r = rank_auc(y if pos_mask is None else pos_mask, s, seg, delong=se_method == "delong")
    return _auc_scored(r, s, seg, se_method, check_rows)


def _rank_auc_and_influence(m: Metric, seg: Segments, y: NDArray[Any], p: NDArray[Any], *,
                            pos_mask: BoolArray | None = None, se_method: str = "delong",
                            check_rows: bool = True) -> tuple[Scored, Influence]:
    """:func:`_rank_auc` and :func:`_rank_auc_influence` from one sort per window."""
    s = np.asarray(p, dtype=float)
    pos = (y == 1) if pos_mask is None else pos_mask
    r, plc = rank_auc_placements(pos, s, seg, delong=se_method == "delong")
    return _auc_scored(r, s, seg, se_method, check_rows), Influence(plc, pos, 1)


def _auc_scored(r: RankAUC, s: FloatArray, seg: Segments, se_method: str,
                check_rows: bool) -> Scored:
    se = auc_se(r, se_method)
    invalid = None
    if check_rows:
        with np.errstate(over="ignore", invalid="ignore"):
            # a finite sum (one pass) means every score is finite
            all_finite = bool(np.isfinite(np.sum(s)))
        invalid = (np.zeros(seg.n_windows, dtype=bool) if all_finite
                   else seg.count(~np.isfinite(s)) > 0)
    return Scored(r.auc, se, invalid)


def _row_values(m: Metric, y: NDArray[Any], p: NDArray[Any]) -> FloatArray:
    """``m.row_values(y, p)`` as a float array of one value per row that may be
    overwritten (a copy when it shares memory with the inputs)."""
    assert m.row_values is not None
    rows = np.asarray(m.row_values(y, p), dtype=float)
    if rows.shape != (len(y),):
        raise InvalidParameterError(param_message(
            "row_values", f"Metric {m.name!r}",
            f"a function returning one value per row (an array of shape ({len(y)},))",
            f"an array of shape {rows.shape}"))
    if (not rows.flags.writeable or np.may_share_memory(rows, y)
            or np.may_share_memory(rows, p)):
        rows = rows.copy()
    return rows


def _non_finite_rows(seg: Segments, y: FloatArray, p: FloatArray, probabilities: bool,
                     ) -> BoolArray:
    """Windows holding a non-finite input (or a probability outside [0, 1])."""
    bad = ~(np.isfinite(y) & np.isfinite(p))
    if probabilities:
        bad |= (p < 0) | (p > 1)
    return seg.count(bad) > 0


def _row_mean(m: Metric, seg: Segments, y: NDArray[Any], p: NDArray[Any], *,
              pos_mask: BoolArray | None = None, se_method: str = "delong",
              check_rows: bool = True) -> Scored:
    yf = np.asarray(y, dtype=float)
    pf = np.asarray(p, dtype=float)
    rows = _row_values(m, yf, pf)
    n = seg.lengths.astype(float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = seg.sum(rows)
        invalid = None
        if check_rows:
            # A non-finite input gives a non-finite row (the contract of row_values) and
            # the rows' window sums are finite only if every row is: finite sums prove
            # that no row is invalid without a pass per input. Probability metrics clip
            # and select, so their inputs are checked directly.
            clean = bool(np.isfinite(total).all())
            if clean and m.requires_probabilities and pf.size:
                clean = bool(pf.min() >= 0.0) and bool(pf.max() <= 1.0)
            if clean and m.requires_probabilities and yf.size:
                clean = bool(np.isfinite(yf.min())) and bool(np.isfinite(yf.max()))
            invalid = (np.zeros(seg.n_windows, dtype=bool) if clean
                       else _non_finite_rows(seg, yf, pf, m.requires_probabilities))
        mean = total / n
        se = mean_se(seg, rows, mean)  # overwrites rows
        if m.mean_to_score == "sqrt":
            score = np.sqrt(mean)
            return Scored(score, sqrt_delta_se(score, se), invalid)
    return Scored(mean, se, invalid)


def _proportion(m: Metric, seg: Segments, y: NDArray[Any], p: NDArray[Any], *,
                pos_mask: BoolArray | None = None, se_method: str = "delong",
                check_rows: bool = True) -> Scored:
    assert m.row_values is not None
    hits = np.asarray(m.row_values(y, p))
    if hits.shape != (len(y),):
        raise InvalidParameterError(param_message(
            "row_values", f"Metric {m.name!r}",
            f"a function returning one value per row (an array of shape ({len(y)},))",
            f"an array of shape {hits.shape}"))
    n = seg.lengths.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = seg.sum(hits) / n
        se = np.asarray(binomial_se(score, n), dtype=float)
    return Scored(score, se, np.zeros(seg.n_windows, dtype=bool) if check_rows else None)


def _r2(m: Metric, seg: Segments, y: NDArray[Any], p: NDArray[Any], *,
        pos_mask: BoolArray | None = None, se_method: str = "delong",
        check_rows: bool = True) -> Scored:
    yf = np.asarray(y, dtype=float)
    pf = np.asarray(p, dtype=float)
    n = seg.lengths.astype(float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = seg.sum(yf) / n
        ymax = seg.reduce(np.maximum, yf, np.nan)
        ymin = seg.reduce(np.minimum, yf, np.nan)
        # A constant window: match scikit-learn's own mean exactly (its denominator is
        # then 0 or round-off, which decides between 1.0, 0.0 and a huge negative value).
        for w in np.flatnonzero(seg.nonempty & (ymax == ymin)):
            lo = seg.offsets[w]
            mean[w] = np.mean(yf[lo:lo + seg.lengths[w]])
        a = (yf - pf) ** 2
        b = (yf - mean[seg.wid]) ** 2
        num = seg.sum(a)
        den = seg.sum(b)
        score = np.where(den != 0, 1.0 - num / den, np.where(num != 0, 0.0, 1.0))
        score = np.where(seg.lengths >= 2, score, np.nan)
        se = r2_se(seg, a, b, num, den)
    invalid = _non_finite_rows(seg, yf, pf, m.requires_probabilities) if check_rows else None
    return Scored(score, se, invalid)


# ------------------------------------------------------------ influence values
def _rank_auc_influence(m: Metric, seg: Segments, y: NDArray[Any], p: NDArray[Any], *,
                        pos_mask: BoolArray | None = None) -> Influence:
    pos = (y == 1) if pos_mask is None else pos_mask
    return Influence(placements(pos, np.asarray(p, dtype=float), seg), pos, 1)


def _row_mean_influence(m: Metric, seg: Segments, y: NDArray[Any], p: NDArray[Any], *,
                        pos_mask: BoolArray | None = None) -> Influence:
    rows = _row_values(m, np.asarray(y, dtype=float), np.asarray(p, dtype=float))
    if m.mean_to_score == "sqrt":  # delta method: d sqrt(mean) = d mean / (2 sqrt(mean))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            root = np.sqrt(seg.sum(rows) / seg.lengths.astype(float))
            rows = rows / (2.0 * root)[seg.wid]
    return Influence(rows, None, 1)


def _proportion_influence(m: Metric, seg: Segments, y: NDArray[Any], p: NDArray[Any], *,
                          pos_mask: BoolArray | None = None) -> Influence:
    assert m.row_values is not None
    hits = np.asarray(m.row_values(y, p), dtype=float)
    return Influence(hits, None, 0)  # ddof 0: the binomial SE's


def _r2_influence(m: Metric, seg: Segments, y: NDArray[Any], p: NDArray[Any], *,
                  pos_mask: BoolArray | None = None) -> Influence:
    yf = np.asarray(y, dtype=float)
    pf = np.asarray(p, dtype=float)
    n = seg.lengths.astype(float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = seg.sum(yf) / n
        a = (yf - pf) ** 2
        b = (yf - mean[seg.wid]) ** 2
        d = r2_influence(seg, a, b, seg.sum(a), seg.sum(b))
    return Influence(d, None, 1)


KERNEL_TABLE: dict[str, Kernel] = {
    "rank_auc": Kernel(_rank_auc, binary_labels=True, matrix_predictions=False,
                       influence=_rank_auc_influence,
                       score_influence=_rank_auc_and_influence),
    "row_mean": Kernel(_row_mean, binary_labels=False, matrix_predictions=True,
                       influence=_row_mean_influence),
    "proportion": Kernel(_proportion, binary_labels=False, matrix_predictions=False,
                         influence=_proportion_influence),
    "r2": Kernel(_r2, binary_labels=False, matrix_predictions=False,
                 influence=_r2_influence),
}


def window_se(m: Metric, yt: NDArray[Any], yp: NDArray[Any]) -> float | None:
    """The standard error of ``m`` on one window from its kernel's formula, or None when
    ``m`` has no kernel or its kernel does not take these inputs (then the caller
    bootstraps).

    "row_mean" also takes (n, K) predictions when ``row_values`` maps them to one value
    per row (multiclass log loss); a ``ValueError`` from ``row_values`` means it does not.
    """
    if m.kernel is None:
        return None
    kernel = KERNEL_TABLE[m.kernel]
    if yp.ndim != 1 and not kernel.matrix_predictions:
        return None
    try:
        out = kernel.score(m, Segments.one(len(yt)), yt, yp, check_rows=False)
    except ValueError:
        return None
    return float(out.se[0])
