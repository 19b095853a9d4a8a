"""The built-in metrics: one :class:`Metric` record each, and :func:`get_metric`.

Adding a built-in metric is one entry of ``_BUILTINS`` (with its scikit-learn wrapper
and, for a mean of per-row values, its row function); its fields choose how it is
scored and what its standard error is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oot._validation import InvalidParameterError, caller, closest, param_message
from oot.metrics._bootstrap import average_precision_bootstrap, f1_bootstrap
from oot.metrics._kernels import FloatArray
from oot.metrics._metric import _REGISTRY, Metric
from oot.metrics._se import balanced_accuracy_se, precision_se, recall_se, roc_auc_se

__all__ = ["available", "get_metric"]


# ---------------------------------------------------------------------------------------
# Per-row values of the mean-type metrics (float inputs; see Metric.row_values)
# ---------------------------------------------------------------------------------------


def _absolute_error(y: FloatArray, p: FloatArray) -> FloatArray:
    rows = np.subtract(y, p)
    np.abs(rows, out=rows)
    return rows


def _squared_error(y: FloatArray, p: FloatArray) -> FloatArray:
    rows = np.subtract(y, p)
    np.multiply(rows, rows, out=rows)
    return rows


def _absolute_percentage_error(y: FloatArray, p: FloatArray) -> FloatArray:
    eps = np.finfo(np.float64).eps
    return np.asarray(np.abs(p - y) / np.maximum(np.abs(y), eps), dtype=float)


def _log_loss_rows(y: FloatArray, p: FloatArray) -> FloatArray:
    """Per-row log loss of 0/1 labels and P(class 1), or of codes and an (n, K) matrix."""
    eps = np.finfo(np.float64).eps
    if p.ndim == 2:
        pk = p[np.arange(len(y)), y.astype(np.int64)]
        return np.asarray(-np.log(np.clip(pk, eps, 1 - eps)), dtype=float)
    # scikit-learn 1.9 builds [1-p, p], clips each column to [eps, 1-eps] and sums
    # xlogy(labels, probs); replicate that order of operations on the one column each
    # row reads (the same values bit for bit as computing both, half the logarithms).
    q = np.where(y == 1, p, 1.0 - p)
    np.clip(q, eps, 1 - eps, out=q)
    np.log(q, out=q)
    np.negative(q, out=q)
    return np.asarray(q, dtype=float)


def _hits(y: NDArray[Any], p: NDArray[Any]) -> NDArray[np.bool_]:
    return np.asarray(y == p)


# ---------------------------------------------------------------------------------------
# scikit-learn's functions, with the conventions of oot.metrics
# ---------------------------------------------------------------------------------------


def _labels_kw(labels: ArrayLike | None) -> dict[str, Any]:
    return {} if labels is None else {"labels": labels}


def _roc_auc(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None) -> float:
    from sklearn.metrics import roc_auc_score

    if np.ndim(y_pred) == 2:
        return float(roc_auc_score(y_true, y_pred, multi_class="ovr", average="macro",
                                   **_labels_kw(labels)))
    return float(roc_auc_score(y_true, y_pred))


def _average_precision(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y_true, y_pred))


def _log_loss(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None) -> float:
    from sklearn.metrics import log_loss

    if labels is None and np.ndim(y_pred) == 1:
        labels = [0, 1]
    return float(log_loss(y_true, y_pred, **_labels_kw(labels)))


def _brier(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    from sklearn.metrics import brier_score_loss

    return float(brier_score_loss(y_true, y_pred, pos_label=1))


def _accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y_true, y_pred))


def _balanced_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y_true, y_pred))


def _prf(which: str) -> Callable[..., float]:
    def func(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None) -> float:
        from sklearn import metrics as skm

        f = {"f1": skm.f1_score, "precision": skm.precision_score,
             "recall": skm.recall_score}[which]
        if labels is None:
            return float(f(y_true, y_pred, zero_division=np.nan))
        return float(f(y_true, y_pred, labels=labels, average="macro", zero_division=np.nan))

    func.__name__ = f"_{which}"
    func.__doc__ = (f"{which} (binary, or macro over ``labels``); NaN when undefined "
                    "(scikit-learn's ``zero_division=np.nan``).")
    return func


def _mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(y_true, y_pred))


def _mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    from sklearn.metrics import mean_squared_error

    return float(mean_squared_error(y_true, y_pred))


def _rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    from sklearn.metrics import root_mean_squared_error

    return float(root_mean_squared_error(y_true, y_pred))


def _r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(y_true, y_pred))


def _mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    from sklearn.metrics import mean_absolute_percentage_error

    return float(mean_absolute_percentage_error(y_true, y_pred))


# ---------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------

_BUILTINS = (
    Metric("roc_auc", func=_roc_auc, greater_is_better=True, response="predict_proba",
           task="classification", display_name="ROC AUC", se_func=roc_auc_se,
           requires_two_classes=True, kernel="rank_auc", chance=0.5),
    Metric("average_precision", func=_average_precision, greater_is_better=True,
           response="predict_proba", task="binary", display_name="Average precision",
           requires_two_classes=True, bootstrap_se=average_precision_bootstrap),
    Metric("log_loss", func=_log_loss, greater_is_better=False, response="predict_proba",
           task="classification", display_name="Log loss", requires_probabilities=True,
           row_values=_log_loss_rows),
    Metric("brier", func=_brier, greater_is_better=False, response="predict_proba",
           task="binary", display_name="Brier score", requires_probabilities=True,
           row_values=_squared_error),
    Metric("accuracy", func=_accuracy, greater_is_better=True, response="predict",
           task="classification", display_name="Accuracy", kernel="proportion",
           row_values=_hits),
    Metric("balanced_accuracy", func=_balanced_accuracy, greater_is_better=True,
           response="predict", task="classification", display_name="Balanced accuracy",
           se_func=balanced_accuracy_se, chance=0.5),
    Metric("f1", func=_prf("f1"), greater_is_better=True, response="predict",
           task="classification", display_name="F1 score", bootstrap_se=f1_bootstrap),
    Metric("precision", func=_prf("precision"), greater_is_better=True, response="predict",
           task="classification", display_name="Precision", se_func=precision_se),
    Metric("recall", func=_prf("recall"), greater_is_better=True, response="predict",
           task="classification", display_name="Recall", se_func=recall_se),
    Metric("mae", func=_mae, greater_is_better=False, response="predict", task="regression",
           display_name="MAE", row_values=_absolute_error),
    Metric("mse", func=_mse, greater_is_better=False, response="predict", task="regression",
           display_name="MSE", row_values=_squared_error),
    Metric("rmse", func=_rmse, greater_is_better=False, response="predict",
           task="regression", display_name="RMSE", row_values=_squared_error,
           mean_to_score="sqrt"),
    Metric("r2", func=_r2, greater_is_better=True, response="predict", task="regression",
           display_name="R²", kernel="r2", chance=0.0),
    Metric("mape", func=_mape, greater_is_better=False, response="predict",
           task="regression", display_name="MAPE", row_values=_absolute_percentage_error),
)
_REGISTRY.update((m.name, m) for m in _BUILTINS)


def available() -> list[str]:
    """Names of the built-in metrics, sorted.

    Examples
    --------
    >>> from oot.metrics import available
    >>> "roc_auc" in available()
    True
    """
    return sorted(_REGISTRY)


def get_metric(metric: str | Metric, *, func: str | None = None) -> Metric:
    """Resolve a metric name (or pass a :class:`Metric` through).

    Parameters
    ----------
    metric : str or Metric
        A name from :func:`available`, or a :class:`Metric`.
    func : str or None, default=None
        The public function being called, named in the error message; None names the
        running public function (``evaluate_out_of_time`` when called directly).

    Returns
    -------
    Metric

    Raises
    ------
    InvalidParameterError
        For an unknown name (the message lists the valid names and suggests the
        closest) or a value that is neither a str nor a Metric.

    Examples
    --------
    >>> from oot.metrics import get_metric
    >>> get_metric("rmse").greater_is_better
    False
    >>> get_metric("roc_aux")
    Traceback (most recent call last):
    ...
    oot._validation.InvalidParameterError: The 'metric' parameter ... Did you mean 'roc_auc'? ...
    """
    if isinstance(metric, Metric):
        return metric
    if func is None:
        func = caller()
        if func == "oot":  # outside any public function: name the usual consumer
            func = "evaluate_out_of_time"
    names = available()
    expected = "a metric name from oot.metrics.available() or an oot.Metric"
    if not isinstance(metric, str):
        raise InvalidParameterError(param_message("metric", func, expected, metric))
    if metric in _REGISTRY:
        return _REGISTRY[metric]
    hint = closest(metric, names)
    fix = f"Did you mean {hint!r}? " if hint is not None else ""
    fix += "Valid names are: " + ", ".join(repr(n) for n in names) + "."
    raise InvalidParameterError(param_message("metric", func, expected, metric, fix))
