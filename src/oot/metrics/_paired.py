"""Two or more predictions of the same rows, window by window: their differences and the
standard errors of those differences.

Candidates scored on the same rows share those rows' noise: a hard window is hard for
both. The difference of their scores is therefore known far better than either score,
and its standard error must come from the rows themselves, paired. For a metric with a
vectorised kernel each prediction's per-row influence values (:class:`Influence`:
ROC AUC's placements, a mean's row values, ...) are computed once, and every pair's SE
is :func:`oot.metrics._se.paired_se` of their differences: paired DeLong for ROC AUC,
the paired-difference SE for mean losses and proportions, the delta method for RMSE and
R². Other metrics (F1, average precision, a custom function) get a paired bootstrap:
each resample of a window's rows scores both predictions on the same rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oot._validation import InvalidParameterError, as_seed, entry_point, param_message
from oot.metrics._bootstrap import replicate_sd, window_rng
from oot.metrics._fast import KERNEL_TABLE, Influence, Kernel
from oot.metrics._kernels import FloatArray, Segments
from oot.metrics._metric import Metric
from oot.metrics._registry import get_metric
from oot.metrics._scoring import (
    WindowScores,
    _check_arrays,
    _check_options,
    _check_ranges,
    _check_task,
    _score_checked,
    _task_flags,
    _thread_safe_scoring,
)
from oot.metrics._se import paired_se, paired_strata

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["PairedScores", "score_window_pairs"]


@dataclass(frozen=True, eq=False)
class PairedScores:
    """Window-by-window difference of two predictions of the same rows.

    Attributes
    ----------
    diff : ndarray of float
        ``score_a - score_b`` per window (in the metric's units, not signed by its
        direction); NaN where ``status`` is not ``"ok"``.
    se : ndarray of float
        Its standard error from the window's rows, paired (see
        :func:`score_window_pairs`).
    status : ndarray of object (str)
        ``"ok"`` when both scores are, else the first of the two statuses that is not.
    a, b : WindowScores
        The two predictions' own scores.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.metrics import score_window_pairs
    >>> y = np.array([1.0, 2.0, 3.0, 4.0])
    >>> ps = score_window_pairs("mae", y, y + [0.5, -0.5, 1.0, 0.0], y + 0.25,
    ...                         [0, 2], [2, 4])
    >>> ps.diff.tolist()
    [0.25, 0.25]
    """

    diff: FloatArray
    se: FloatArray
    status: NDArray[np.object_]
    a: WindowScores
    b: WindowScores

    def __len__(self) -> int:
        return len(self.diff)


@entry_point("score_window_pairs")
def score_window_pairs(
    metric: str | Metric,
    y_true: ArrayLike,
    y_pred_a: ArrayLike,
    y_pred_b: ArrayLike,
    starts: ArrayLike,
    stops: ArrayLike,
    *,
    min_window_size: int = 1,
    n_classes: int | None = None,
    random_state: Any = None,
    n_bootstrap: int = 200,
) -> PairedScores:
    """Score two predictions of the same rows on many windows, with paired SEs.

    Parameters
    ----------
    metric : str or Metric
        A name from :func:`available` or a :class:`Metric`.
    y_true : array-like of shape (n,)
        Truth, as for :func:`score_windows`.
    y_pred_a, y_pred_b : array-like of shape (n,) or (n, K)
        The two predictions of the same rows.
    starts, stops : array-like of int, shape (n_windows,)
        Row ranges ``[start, stop)``.
    min_window_size, n_classes, random_state, n_bootstrap
        As for :func:`score_windows`; ``n_bootstrap`` also sizes the paired bootstrap
        of metrics without a kernel.

    Returns
    -------
    PairedScores

    Notes
    -----
    Both scores are functions of the same rows, so the standard error of their
    difference is that of a paired statistic: for a metric with a kernel, the window's
    differences of the two predictions' per-row influence values give it
    (:func:`oot.metrics._se.paired_se`). For binary ROC AUC that is DeLong, DeLong &
    Clarke-Pearson's (1988) variance of ``AUC_A - AUC_B`` from the placement values
    (pROC's ``roc.test`` for correlated curves); for a mean loss (MAE, MSE, log loss,
    ...) the SE ``sd(loss_a - loss_b) / sqrt(n)`` of the mean paired difference; for a
    proportion (accuracy) the same with the binomial's ``ddof=0``; for RMSE and R² the
    delta method applied to each prediction's rows. Other metrics get a paired
    bootstrap: ``n_bootstrap`` resamples of each window's rows, both predictions scored
    on every resample.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.metrics import score_window_pairs
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> base = rng.normal(size=400) + y
    >>> a, b = base + 0.3 * rng.normal(size=400), base + 0.3 * rng.normal(size=400)
    >>> ps = score_window_pairs("roc_auc", y, a, b, [0, 200], [200, 400], n_classes=2)
    >>> bool(np.all(ps.se < ps.a.se))  # the pair's shared noise cancels
    True
    """
    m = get_metric(metric)
    _check_options(min_window_size, n_classes, "delong", random_state, n_bootstrap)
    yt, ya = _check_arrays(m, y_true, y_pred_a)
    if np.shape(y_pred_b) != ya.shape:
        raise InvalidParameterError(param_message(
            "y_pred_b", None, f"an array of the shape of y_pred_a {ya.shape}",
            f"an array of shape {np.shape(y_pred_b)}"))
    _, yb = _check_arrays(m, y_true, y_pred_b)
    st, sp = _check_ranges(starts, stops, len(yt))
    _check_task(m, n_classes, ya)
    scores, pairs = score_many(m, yt, (ya, yb), st, sp, ((0, 1),),
                               min_window_size=min_window_size, n_classes=n_classes,
                               random_state=random_state, n_bootstrap=n_bootstrap)
    diff, se, status = pairs[0]
    return PairedScores(diff=diff, se=se, status=status, a=scores[0], b=scores[1])


def score_many(
    m: Metric, y_true: NDArray[Any], preds: Sequence[NDArray[Any]], starts: NDArray[Any],
    stops: NDArray[Any], pairs: Sequence[tuple[int, int]], *, min_window_size: int,
    n_classes: int | None, random_state: Any, n_bootstrap: int = 200,
    helper: Executor | None = None,
) -> tuple[list[WindowScores], list[tuple[FloatArray, FloatArray, NDArray[np.object_]]]]:
    """Every prediction's window scores and, for each pair ``(i, j)``, the windows'
    ``score_i - score_j``, its paired SE and the pair's status.

    The arguments are checked (by the caller); each prediction's influence values are
    computed once, whatever the number of pairs. Given a ``helper`` thread, the later
    half of the predictions and then of the pairs are scored there meanwhile, when every
    step is on a vectorised kernel path (1-D predictions; the other paths change the
    warning filters): the same calls, the same results.
    """
    seg = Segments(np.asarray(starts, np.int64), np.asarray(stops, np.int64))
    multiclass, binary = _task_flags(m, n_classes)
    kernel = _pair_kernel(m, binary, preds[0].ndim) if pairs else None
    if helper is not None and not (kernel is not None and preds[0].ndim == 1
                                   and _thread_safe_scoring(m, n_classes)):
        helper = None
    g_true = seg.take(y_true) if kernel is not None else None
    pos_mask = g_true == 1 if binary and g_true is not None else None

    def one(p: NDArray[Any]) -> tuple[WindowScores, Influence | None]:
        """One prediction's scores and (for a pair kernel) influence values, from the
        same pass when the kernel can; None when ``row_values`` does not take these
        inputs (then every pair bootstraps)."""
        yt, yp = _check_arrays(m, y_true, p)
        sc, inf = _score_checked(m, yt, yp, seg, _check_task(m, n_classes, yp),
                                 min_window_size=min_window_size, n_classes=n_classes,
                                 se_method="delong", random_state=random_state,
                                 n_bootstrap=n_bootstrap, pos_mask=pos_mask,
                                 influence=kernel is not None)
        if kernel is None or inf is not None:
            return sc, inf
        try:
            return sc, kernel.influence(m, seg, g_true, seg.take(p), pos_mask=pos_mask)
        except ValueError:
            return sc, None

    if helper is None or len(preds) < 2:
        done = [one(p) for p in preds]
    else:
        half = len(preds) // 2
        later = [helper.submit(one, p) for p in preds[half:]]
        done = [one(p) for p in preds[:half]] + [f.result() for f in later]
    scores = [sc for sc, _ in done]
    influences: list[Influence] | None = None
    if kernel is not None and all(inf is not None for _, inf in done):
        influences = [inf for _, inf in done if inf is not None]
    labels = np.arange(n_classes) if multiclass and n_classes is not None else None
    strata = None  # every prediction's strata are the labels': counted once for all pairs
    if influences is not None and pairs:
        first = influences[0].strata
        if all(inf.strata is first for inf in influences):
            strata = paired_strata(seg, first)

    def pair(i: int, j: int) -> tuple[FloatArray, FloatArray, NDArray[np.object_]]:
        a, b = scores[i], scores[j]
        status = np.where(a.status != "ok", a.status, b.status).astype(object)
        ok = status == "ok"
        diff = np.where(ok, a.score - b.score, np.nan)
        if influences is not None:
            ia, ib = influences[i], influences[j]
            se = paired_se(seg, ia.values - ib.values, ia.strata, ia.ddof,
                           prepared=strata)
        else:
            se = _paired_bootstrap(m, y_true, preds[i], preds[j], starts, stops, ok,
                                   labels, random_state, n_bootstrap)
        return diff, np.where(ok, se, np.nan), status

    if helper is None or influences is None or len(pairs) < 2:
        out = [pair(i, j) for i, j in pairs]
    else:
        half = len(pairs) // 2
        later_pairs = [helper.submit(pair, i, j) for i, j in pairs[half:]]
        out = [pair(i, j) for i, j in pairs[:half]] + [f.result() for f in later_pairs]
    return scores, out


def _pair_kernel(m: Metric, binary: bool, pred_ndim: int) -> Kernel | None:
    """The kernel whose influence values pair two predictions of ``m``, or None (then a
    paired bootstrap)."""
    if m.kernel is None:
        return None
    kernel = KERNEL_TABLE[m.kernel]
    if kernel.binary_labels and not binary:
        return None
    if pred_ndim != 1 and not kernel.matrix_predictions:
        return None
    return kernel


def pairs_thread_safe(m: Metric, n_classes: int | None) -> bool:
    """Whether :func:`score_many` may run in a worker thread for 1-D predictions (the
    kernel paths; the paired bootstrap changes the warning filters)."""
    return _pair_kernel(m, _task_flags(m, n_classes)[1], 1) is not None


def _paired_bootstrap(m: Metric, yt: NDArray[Any], pa: NDArray[Any], pb: NDArray[Any],
                      starts: NDArray[Any], stops: NDArray[Any], ok: NDArray[np.bool_],
                      labels: NDArray[np.int64] | None, random_state: Any,
                      n_bootstrap: int) -> FloatArray:
    """SD of ``score_a - score_b`` over resamples of each window's rows (both scored on
    the same resample); the generator of a window depends on its rows only."""
    m._require_func()
    entropy = as_seed(random_state)
    se = np.full(len(starts), np.nan)
    if n_bootstrap == 0:
        return se
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for w in np.flatnonzero(ok):
            lo, hi = int(starts[w]), int(stops[w])
            n = hi - lo
            if n < 2:
                continue
            rng = window_rng(entropy, lo, hi)
            vals = np.full(n_bootstrap, np.nan)
            ytw, aw, bw = yt[lo:hi], pa[lo:hi], pb[lo:hi]
            for r in range(n_bootstrap):
                idx = rng.integers(0, n, n)
                ytb = ytw[idx]
                if m.requires_two_classes and np.all(ytb == ytb[0]):
                    continue
                try:
                    vals[r] = (m(ytb, aw[idx], labels=labels)
                               - m(ytb, bw[idx], labels=labels))
                except (ValueError, ZeroDivisionError, FloatingPointError):
                    continue
            se[w] = replicate_sd(vals)
    return se
