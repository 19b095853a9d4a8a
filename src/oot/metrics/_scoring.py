"""Per-window scoring: :func:`score_windows` and its result :class:`WindowScores`.

:func:`score_windows` checks its arguments, gathers the windows' rows once
(:class:`~oot.metrics._kernels.Segments`), decides which windows can be scored (rows,
classes), scores them with the metric's vectorised kernel or window by window with its
function, and gives every window a status from :data:`STATUSES`.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oot._validation import (
    InvalidParameterError,
    as_seed,
    caller,
    check_option,
    check_random_state_param,
    check_scalar,
    entry_point,
    param_message,
)
from oot.metrics._bootstrap import window_rng
from oot.metrics._fast import KERNEL_TABLE, Influence, Kernel
from oot.metrics._kernels import BoolArray, FloatArray, IntArray, Segments
from oot.metrics._metric import Metric
from oot.metrics._registry import get_metric

__all__ = ["WindowScores", "score_windows", "STATUSES", "SE_METHODS"]

SE_METHODS = ("delong", "hanley_mcneil")

#: Every status an evaluation window can have: score_windows writes the first six, the
#: evaluation engine writes "anchor_failed" for the windows of an anchor whose model
#: failed. What each means, in words: ``oot._format.WINDOW_STATUS_TEXT``.
STATUSES = ("ok", "too_small", "empty", "one_class", "missing_class", "undefined",
            "anchor_failed")


@dataclass(frozen=True, eq=False)
class WindowScores:
    """Scores, standard errors and counts of many windows of one prediction vector.

    Attributes
    ----------
    score : ndarray of float
        The metric per window; NaN where the status is not ``"ok"``.
    se : ndarray of float
        Its standard error from the window itself; NaN where undefined.
    n : ndarray of int
        Rows per window.
    n_pos, n_neg : ndarray of int or None
        Positives (``y_true == 1``) and negatives per window, binary classification
        only.
    status : ndarray of object (str)
        ``"ok"``, ``"too_small"``, ``"empty"``, ``"one_class"``, ``"missing_class"``
        (multiclass: a class absent, for a metric that scores every class against the
        rest) or ``"undefined"`` (``oot._format.WINDOW_STATUS_TEXT`` explains each).

    Examples
    --------
    >>> import numpy as np
    >>> from oot.metrics import score_windows
    >>> ws = score_windows("mae", np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.0]),
    ...                    np.array([0, 1]), np.array([1, 3]))
    >>> ws.score
    array([0.  , 0.75])
    >>> ws.status.tolist()
    ['ok', 'ok']
    """

    score: FloatArray
    se: FloatArray
    n: IntArray
    n_pos: IntArray | None
    n_neg: IntArray | None
    status: NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.score)


class _Task(NamedTuple):
    multiclass: bool
    binary: bool
    labels: NDArray[np.int64] | None  # all classes, passed to multiclass functions


@entry_point("score_windows")
def score_windows(
    metric: str | Metric,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    starts: ArrayLike,
    stops: ArrayLike,
    *,
    min_window_size: int = 1,
    n_classes: int | None = None,
    se_method: str = "delong",
    random_state: Any = None,
    n_bootstrap: int = 200,
) -> WindowScores:
    """Score many contiguous row ranges ``[start, stop)`` of one prediction vector.

    Parameters
    ----------
    metric : str or Metric
        A name from :func:`available` or a :class:`Metric`.
    y_true : array-like of shape (n,)
        Truth (0/1 for binary, codes ``0..K-1`` for multiclass, floats for regression).
    y_pred : array-like of shape (n,) or (n, K)
        Predictions, following the input conventions of :mod:`oot.metrics`.
    starts, stops : array-like of int, shape (n_windows,)
        Row ranges ``[start, stop)``, in any order; they may be empty.
    min_window_size : int, default=1
        Windows with fewer rows get status ``"too_small"``.
    n_classes : int or None, default=None
        Number of classes: 2 for binary classification (enables ``n_pos``/``n_neg``;
        classification metrics imply it), K > 2 for multiclass (passes
        ``labels=np.arange(K)`` to metric functions that accept ``labels``).
    se_method : {"delong", "hanley_mcneil"}, default="delong"
        Standard error of binary ROC AUC.
    random_state : int, numpy Generator/RandomState or None, default=None
        Seeds bootstrap standard errors; each window's generator is derived from it and
        the window's row range, so results do not depend on window order.
    n_bootstrap : int, default=200
        Resamples for bootstrap standard errors (metrics without a formula); 0 skips
        them (their SE is NaN).

    Returns
    -------
    WindowScores

    Raises
    ------
    InvalidParameterError
        For an unknown metric, mismatched lengths, windows outside ``[0, n]``, a metric
        whose task does not match ``n_classes``, or other invalid arguments.

    Notes
    -----
    A metric with a ``kernel`` (:class:`Metric`) is scored for all windows at once when
    the inputs are binary or regression with 1-D predictions. Binary ROC AUC
    (``"rank_auc"``) is the Mann-Whitney statistic with ties counted one half, from one
    sort per window of integer keys that carry the label (the two classes sorted
    separately and merged when no key fits; with many small windows, one sort of all
    windows); its SE is DeLong's from within-window placement values (or
    Hanley-McNeil). MAE, MSE, RMSE, MAPE, log loss and Brier (``"row_mean"``), accuracy
    (``"proportion"``) and R² (``"r2"``) are segment sums of per-row values; their SE
    is ``sd(row values)/sqrt(n)`` (binomial for accuracy, delta method for RMSE =
    SE(MSE)/(2 RMSE) and for R² by linearising ``1 - SSres/SStot`` in the window's
    rows). Other metrics are computed per window with ``metric.func``; a window where
    the function raises ``ValueError`` or returns NaN gets status ``"undefined"``, and
    warnings it emits are suppressed (the status records the outcome).

    Examples
    --------
    >>> import numpy as np
    >>> from oot.metrics import score_windows
    >>> y = np.array([0, 1, 0, 1, 1, 1, 0, 0, 1])
    >>> p = np.array([0.2, 0.7, 0.4, 0.3, 0.9, 0.8, 0.1, 0.6, 0.5])
    >>> ws = score_windows("roc_auc", y, p, starts=[0, 4, 6], stops=[4, 6, 9], n_classes=2)
    >>> ws.score
    array([0.75,  nan, 0.5 ])
    >>> ws.status.tolist()
    ['ok', 'one_class', 'ok']
    >>> ws.n_pos.tolist(), ws.n_neg.tolist()
    ([2, 2, 1], [2, 0, 2])
    """
    m = get_metric(metric)
    _check_options(min_window_size, n_classes, se_method, random_state, n_bootstrap)
    yt, yp = _check_arrays(m, y_true, y_pred)
    st, sp = _check_ranges(starts, stops, len(yt))
    task = _check_task(m, n_classes, yp)
    return _score_checked(m, yt, yp, Segments(st, sp), task, min_window_size=min_window_size,
                          n_classes=n_classes, se_method=se_method,
                          random_state=random_state, n_bootstrap=n_bootstrap)[0]


def _score_checked(
    m: Metric, yt: NDArray[Any], yp: NDArray[Any], seg: Segments, task: _Task, *,
    min_window_size: int, n_classes: int | None, se_method: str, random_state: Any,
    n_bootstrap: int, pos_mask: BoolArray | None = None, influence: bool = False,
) -> tuple[WindowScores, Influence | None]:
    """:func:`score_windows` after its checks, on the windows ``seg``; with
    ``influence``, also the kernel's influence values when it computes them with the
    scores (``Kernel.score_influence``), else None. ``pos_mask`` is ``seg.take(yt) ==
    1`` when the caller has it (binary)."""
    n = seg.lengths.astype(np.int64)
    g_true = seg.take(yt)
    g_pred = seg.take(yp)
    n_pos: IntArray | None = None
    n_neg: IntArray | None = None
    if task.binary:
        if pos_mask is None:
            pos_mask = g_true == 1
        n_pos = seg.count(pos_mask)
        n_neg = n - n_pos
    eligible = n >= max(min_window_size, 1)
    two = _two_classes(m, seg, g_true, n_pos, n_neg)
    every = _every_class(m, seg, g_true, n_classes if task.multiclass else None)
    use = eligible & two & every

    score = np.full(seg.n_windows, np.nan)
    se = np.full(seg.n_windows, np.nan)
    kernel = _vectorised_kernel(m, task.multiclass, task.binary, yp.ndim)
    inf: Influence | None = None
    if kernel is not None:
        if influence and kernel.score_influence is not None:
            out, inf = kernel.score_influence(m, seg, g_true, g_pred, pos_mask=pos_mask,
                                              se_method=se_method)
        else:
            out = kernel.score(m, seg, g_true, g_pred, pos_mask=pos_mask,
                               se_method=se_method)
        assert out.invalid is not None
        score[use] = out.score[use]
        se[use] = out.se[use]
        score[use & out.invalid] = np.nan
        se[use & out.invalid] = np.nan
    else:
        _loop_windows(m, yt, yp, seg.starts, seg.starts + seg.lengths, use, score, se,
                      task.labels, random_state, n_bootstrap)

    status = _statuses(n, min_window_size, eligible, two, every, use, score)
    score[status != "ok"] = np.nan
    se[status != "ok"] = np.nan
    return (WindowScores(score=score, se=se, n=n, n_pos=n_pos, n_neg=n_neg, status=status),
            inf)


# ---------------------------------------------------------------------------------------
# The steps of score_windows
# ---------------------------------------------------------------------------------------


def _check_options(min_window_size: int, n_classes: int | None, se_method: str,
                   random_state: Any, n_bootstrap: int) -> None:
    fname = caller()
    check_scalar(min_window_size, "min_window_size", fname, kind="int", low=0)
    check_scalar(n_classes, "n_classes", fname, kind="int", low=2, allow_none=True)
    check_option(se_method, "se_method", fname, SE_METHODS)
    check_random_state_param(random_state, fname)
    check_scalar(n_bootstrap, "n_bootstrap", fname, kind="int", low=0)


def _check_arrays(m: Metric, y_true: ArrayLike, y_pred: ArrayLike,
                  ) -> tuple[NDArray[Any], NDArray[Any]]:
    """The truth and predictions as arrays of matching lengths (built-in metrics that
    take numbers get numbers, or a clear error)."""
    yt = np.asarray(y_true)
    yp = np.asarray(y_pred)
    if yt.ndim != 1:
        raise InvalidParameterError(param_message(
            "y_true", None, "a 1-D array", f"an array of shape {yt.shape}"))
    if yp.ndim not in (1, 2) or len(yp) != len(yt):
        raise InvalidParameterError(param_message(
            "y_pred", None, f"an array of length {len(yt)} (the length of y_true)",
            f"an array of shape {yp.shape}"))
    numeric_pred = m.response != "predict" or m.task == "regression"
    if m.is_builtin and numeric_pred and yp.dtype.kind == "O":
        with contextlib.suppress(TypeError, ValueError):
            yp = yp.astype(float)
    if m.is_builtin and numeric_pred and yp.dtype.kind not in "biuf":
        raise InvalidParameterError(param_message(
            "y_pred", None, f"numbers (scores, probabilities or values) for metric {m.name!r}",
            f"an array of dtype {yp.dtype}",
            "Pass the model's scores or probabilities, or use a label metric such as "
            "'accuracy'." if m.task != "regression" else None))
    return yt, yp


def _as_int_array(x: ArrayLike, param: str) -> IntArray:
    arr = np.asarray(x)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise InvalidParameterError(param_message(param, None, "a 1-D array of ints", x))
    return arr.astype(np.int64, copy=False)


def _check_ranges(starts: ArrayLike, stops: ArrayLike, n_rows: int,
                  ) -> tuple[IntArray, IntArray]:
    st = _as_int_array(starts, "starts")
    sp = _as_int_array(stops, "stops")
    if st.shape != sp.shape:
        raise InvalidParameterError(param_message(
            "stops", None, f"an array of the same length as starts ({len(st)})",
            f"an array of length {len(sp)}"))
    bad = (st < 0) | (sp < st) | (sp > n_rows)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError(param_message(
            "starts", None, f"ranges with 0 <= start <= stop <= {n_rows} (len(y_true))",
            f"start={int(st[i])}, stop={int(sp[i])} for window {i}"))
    return st, sp


def _task_flags(m: Metric, n_classes: int | None) -> tuple[bool, bool]:
    """``(multiclass, binary)`` for metric ``m`` and ``n_classes`` of :func:`score_windows`."""
    multiclass = n_classes is not None and n_classes > 2
    binary = not multiclass and (n_classes == 2 or m.task in ("binary", "classification"))
    return multiclass, binary


def _check_task(m: Metric, n_classes: int | None, yp: NDArray[Any]) -> _Task:
    multiclass, binary = _task_flags(m, n_classes)
    if m.task == "regression" and n_classes is not None:
        raise InvalidParameterError(param_message(
            "n_classes", None, f"None for the regression metric {m.name!r}", n_classes))
    if m.task == "binary" and multiclass:
        raise InvalidParameterError(param_message(
            "n_classes", None, f"2 or None for the binary-only metric {m.name!r}",
            n_classes, "Choose a metric that supports multiclass, e.g. 'roc_auc' or "
            "'log_loss'."))
    if multiclass and m.response != "predict" and yp.ndim != 2:
        raise InvalidParameterError(param_message(
            "y_pred", None, f"an (n, {n_classes}) matrix for the multiclass "
            f"{m.response} metric {m.name!r}", f"an array of shape {yp.shape}"))
    labels = np.arange(n_classes) if multiclass and n_classes is not None else None
    return _Task(multiclass, binary, labels)


def _two_classes(m: Metric, seg: Segments, g_true: NDArray[Any], n_pos: IntArray | None,
                 n_neg: IntArray | None) -> BoolArray:
    """Windows holding both classes, for a metric that needs them (all windows else)."""
    if not m.requires_two_classes:
        return np.ones(seg.n_windows, dtype=bool)
    if n_pos is not None and n_neg is not None:
        return (n_pos > 0) & (n_neg > 0)
    return seg.distinct(g_true) >= 2


def _every_class(m: Metric, seg: Segments, g_true: NDArray[Any], n_classes: int | None,
                 ) -> BoolArray:
    """Windows holding every one of ``n_classes`` classes (multiclass), for a metric
    that needs two classes per score (one-vs-rest ROC AUC scores every class against
    the rest); all windows else."""
    if not m.requires_two_classes or n_classes is None:
        return np.ones(seg.n_windows, dtype=bool)
    return seg.distinct(g_true) >= n_classes


def _vectorised_kernel(m: Metric, multiclass: bool, binary: bool, pred_ndim: int,
                       ) -> Kernel | None:
    """The kernel that scores all windows of ``m`` at once, or None when
    :func:`score_windows` calls ``m.func`` window by window."""
    if m.kernel is None or multiclass or pred_ndim != 1:
        return None
    kernel = KERNEL_TABLE[m.kernel]
    if kernel.binary_labels and not binary:
        return None
    return kernel


def _thread_safe_scoring(metric: Metric, n_classes: int | None) -> bool:
    """Whether :func:`score_windows` may run in a worker thread for 1-D predictions.

    True on the vectorised paths, which touch no process-wide state. The others call the
    metric function under ``warnings.catch_warnings``, which changes the interpreter's
    warning filters for every thread while it runs.
    """
    return _vectorised_kernel(metric, *_task_flags(metric, n_classes), 1) is not None


def _loop_windows(m: Metric, yt: NDArray[Any], yp: NDArray[Any], st: IntArray, sp: IntArray,
                  use: BoolArray, score: FloatArray, se: FloatArray,
                  labels: NDArray[np.int64] | None, random_state: Any,
                  n_bootstrap: int) -> None:
    """Score each usable window with ``m.func`` (fills ``score`` and ``se`` in place)."""
    m._require_func()
    entropy = as_seed(random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for w in np.flatnonzero(use):
            a, b = int(st[w]), int(sp[w])
            ytw, ypw = yt[a:b], yp[a:b]
            try:
                score[w] = m(ytw, ypw, labels=labels)
            except (ValueError, ZeroDivisionError, FloatingPointError):
                continue
            if not np.isfinite(score[w]):
                continue
            se[w] = m._window_se(ytw, ypw, functools.partial(window_rng, entropy, a, b),
                                 n_bootstrap, labels, se_func_errors=False)


def _statuses(n: IntArray, min_window_size: int, eligible: BoolArray, two: BoolArray,
              every: BoolArray, use: BoolArray, score: FloatArray) -> NDArray[np.object_]:
    """Each window's status (:data:`STATUSES`)."""
    status = np.full(len(n), "ok", dtype=object)
    status[n < max(min_window_size, 1)] = "too_small"
    status[n == 0] = "empty"
    status[eligible & two & ~every] = "missing_class"
    status[eligible & ~two] = "one_class"
    status[use & ~np.isfinite(score)] = "undefined"
    return status
