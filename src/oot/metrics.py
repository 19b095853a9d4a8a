"""Metric registry, fast per-window scores and per-window standard errors.

A :class:`Metric` couples a scikit-learn style scoring function with what the rest of
``oot`` needs to know about it: its direction, which estimator method produces its
input, the task it applies to, and how to compute its sampling error from one window.

:func:`score_windows` is the hot path of an out-of-time evaluation: it scores many
contiguous row ranges of one prediction vector at once. ROC AUC (binary) and the
metrics that are means of a per-row loss (MAE, MSE, RMSE, R², MAPE, log loss, Brier,
accuracy) are computed for all windows together with sorts and segment sums, and equal
scikit-learn's functions to 1e-9; every other metric is computed window by window.

Input conventions (guaranteed by the evaluation engine):

* binary classification: ``y_true`` holds 0/1 (1 is the positive class); ``y_pred`` is
  a 1-D float score (probability of class 1 or decision value) for the
  ``"predict_proba"``/``"decision_function"`` responses, or 0/1 labels for
  ``"predict"``;
* multiclass: ``y_true`` holds codes ``0..K-1``; ``y_pred`` is an ``(n, K)`` matrix,
  or codes for ``"predict"``; pass ``n_classes=K`` to :func:`score_windows`;
* regression: floats.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oot._validation import (
    InvalidParameterError,
    check_option,
    check_random_state_param,
    check_scalar,
    closest,
    param_message,
)

__all__ = [
    "Metric",
    "WindowScores",
    "available",
    "get_metric",
    "score_windows",
    "hanley_mcneil_se",
    "delong_se",
]

RESPONSES = ("predict_proba", "decision_function", "predict")
TASKS = ("binary", "classification", "regression", "any")
STATUSES = ("ok", "too_small", "empty", "one_class", "undefined")
SE_METHODS = ("delong", "hanley_mcneil")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class _NoFormula(Exception):
    """Raised by a built-in ``se_func`` for inputs its formula does not cover."""


# ---------------------------------------------------------------------------------------
# The Metric class
# ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _accepts_labels(func: Callable[..., float]) -> bool:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return "labels" in params


@dataclass(frozen=True, eq=False)
class Metric:
    """A scoring function and what ``oot`` needs to know about it.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"roc_auc"``.
    func : callable or None
        ``func(y_true, y_pred) -> float`` in the style of :mod:`sklearn.metrics`. If it
        accepts a ``labels`` keyword, multiclass evaluations pass
        ``labels=np.arange(n_classes)``. ``None`` only for a metric rebuilt from JSON,
        which can describe results but not compute new scores.
    greater_is_better : bool
        Direction: ``True`` for scores (AUC, accuracy), ``False`` for losses (RMSE).
    response : {"predict", "predict_proba", "decision_function"}, default="predict"
        The estimator method whose output ``func`` expects.
    task : {"any", "binary", "classification", "regression"}, default="any"
        What the metric applies to; ``"classification"`` means binary and multiclass.
    display_name : str or None, default=None
        Human-readable name for reports and plots; defaults to ``name``.
    se_func : callable or None, default=None
        ``se_func(y_true, y_pred) -> float``, the standard error of the metric on one
        window. ``None`` uses a bootstrap within the window.
    requires_two_classes : bool, default=False
        The metric is undefined when a window holds one class only (ROC AUC, average
        precision); such windows get status ``"one_class"``.

    See Also
    --------
    get_metric : Look a metric up by name.
    available : Names of the built-in metrics.

    Examples
    --------
    >>> import numpy as np
    >>> import oot
    >>> from oot.metrics import Metric
    >>> def max_error(y_true, y_pred):
    ...     return float(np.max(np.abs(np.asarray(y_true) - np.asarray(y_pred))))
    >>> m = Metric("max_error", func=max_error, greater_is_better=False)
    >>> m([1.0, 2.0, 3.0], [1.5, 2.0, 1.0])
    2.0
    >>> m.display_name
    'max_error'
    >>> Metric.from_dict(m.to_dict()).func is None
    True
    """

    name: str
    func: Callable[..., float] | None
    greater_is_better: bool
    response: str = "predict"
    task: str = "any"
    display_name: str | None = None
    se_func: Callable[[np.ndarray, np.ndarray], float] | None = None
    requires_two_classes: bool = False

    def __post_init__(self) -> None:
        where = "Metric"
        if not isinstance(self.name, str) or not self.name:
            raise InvalidParameterError(
                param_message("name", where, "a non-empty str", self.name)
            )
        if self.func is not None and not callable(self.func):
            raise InvalidParameterError(param_message(
                "func", where, "a callable func(y_true, y_pred) -> float or None", self.func))
        if not isinstance(self.greater_is_better, (bool, np.bool_)):
            raise InvalidParameterError(
                param_message("greater_is_better", where, "a bool", self.greater_is_better)
            )
        check_option(self.response, "response", where, RESPONSES)
        check_option(self.task, "task", where, TASKS)
        if self.display_name is not None and not isinstance(self.display_name, str):
            raise InvalidParameterError(
                param_message("display_name", where, "a str or None", self.display_name)
            )
        if self.se_func is not None and not callable(self.se_func):
            raise InvalidParameterError(param_message(
                "se_func", where, "a callable se_func(y_true, y_pred) -> float or None",
                self.se_func))
        if not isinstance(self.requires_two_classes, (bool, np.bool_)):
            raise InvalidParameterError(param_message(
                "requires_two_classes", where, "a bool", self.requires_two_classes))
        if self.display_name is None:
            object.__setattr__(self, "display_name", self.name)

    # -- computing ------------------------------------------------------------------------

    def _require_func(self) -> Callable[..., float]:
        if self.func is None:
            raise InvalidParameterError(param_message(
                "func", f"Metric {self.name!r}", "a callable to compute scores", None,
                "This metric was rebuilt from JSON without its function: pass the original "
                "oot.Metric object to compute new scores."))
        return self.func

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike, *,
                 labels: ArrayLike | None = None) -> float:
        """Score ``y_pred`` against ``y_true`` with ``func``.

        Parameters
        ----------
        y_true, y_pred : array-like
            Truth and predictions, following the module's input conventions.
        labels : array-like or None, default=None
            All class labels (multiclass); passed on only when ``func`` accepts it.

        Returns
        -------
        float

        Examples
        --------
        >>> from oot.metrics import get_metric
        >>> get_metric("roc_auc")([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
        """
        func = self._require_func()
        if labels is not None and _accepts_labels(func):
            return float(func(y_true, y_pred, labels=labels))
        return float(func(y_true, y_pred))

    def standard_error(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        *,
        random_state: Any = None,
        n_bootstrap: int = 200,
        labels: ArrayLike | None = None,
    ) -> float:
        """Standard error of the metric on one sample (one window).

        Uses ``se_func`` when set (DeLong for ROC AUC, binomial for proportions, the
        delta method for mean losses), else a bootstrap of ``n_bootstrap`` resamples of
        the rows, seeded by ``random_state``.

        Parameters
        ----------
        y_true, y_pred : array-like
            Truth and predictions.
        random_state : int, numpy Generator/RandomState or None, default=None
            Seeds the bootstrap; an int makes it deterministic.
        n_bootstrap : int, default=200
            Bootstrap resamples; 0 disables the bootstrap (the result is then NaN).
        labels : array-like or None, default=None
            All class labels (multiclass).

        Returns
        -------
        float
            NaN where undefined (e.g. fewer than two rows).

        Examples
        --------
        >>> from oot.metrics import get_metric
        >>> round(get_metric("accuracy").standard_error([0, 1, 1, 0], [0, 1, 0, 0]), 6)
        0.216506
        """
        fname = "Metric.standard_error"
        check_random_state_param(random_state, fname)
        check_scalar(n_bootstrap, "n_bootstrap", fname, kind="int", low=0)
        yt = np.asarray(y_true)
        yp = np.asarray(y_pred)
        if self.se_func is not None:
            try:
                return float(self.se_func(yt, yp))
            except _NoFormula:
                pass
        if n_bootstrap == 0 or len(yt) < 2:
            return math.nan
        rng = _base_rng(random_state)
        lab = None if labels is None else np.asarray(labels)
        return _bootstrap_se(self, yt, yp, rng, n_bootstrap, lab)

    # -- serialisation --------------------------------------------------------------------

    @property
    def is_builtin(self) -> bool:
        """Whether this is the registry's metric of that name.

        Examples
        --------
        >>> from oot.metrics import get_metric
        >>> get_metric("rmse").is_builtin
        True
        """
        return _REGISTRY.get(self.name) is self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description (the functions are not stored).

        Examples
        --------
        >>> from oot.metrics import get_metric
        >>> get_metric("rmse").to_dict()["greater_is_better"]
        False
        """
        return {
            "name": self.name,
            "greater_is_better": bool(self.greater_is_better),
            "response": self.response,
            "task": self.task,
            "display_name": self.display_name,
            "requires_two_classes": bool(self.requires_two_classes),
            "builtin": self.is_builtin,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Metric:
        """Rebuild a metric from :meth:`to_dict` output.

        Built-in names resolve to the registry metric (with its function); custom
        metrics are rebuilt with ``func=None``.

        Examples
        --------
        >>> from oot.metrics import Metric, get_metric
        >>> Metric.from_dict(get_metric("roc_auc").to_dict()) is get_metric("roc_auc")
        True
        """
        if not isinstance(d, Mapping) or "name" not in d:
            raise InvalidParameterError(param_message(
                "d", "Metric.from_dict", "a mapping produced by Metric.to_dict()", d))
        name = d["name"]
        if d.get("builtin", True) and name in _REGISTRY:
            return _REGISTRY[name]
        return cls(
            name=name,
            func=None,
            greater_is_better=bool(d["greater_is_better"]),
            response=d.get("response", "predict"),
            task=d.get("task", "any"),
            display_name=d.get("display_name"),
            requires_two_classes=bool(d.get("requires_two_classes", False)),
        )

    def __repr__(self) -> str:
        direction = "higher" if self.greater_is_better else "lower"
        return (f"Metric({self.name!r}, {direction} is better, response={self.response!r}, "
                f"task={self.task!r})")


# ---------------------------------------------------------------------------------------
# Standard-error formulas
# ---------------------------------------------------------------------------------------


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
    if out.ndim == 0:
        return float(out)
    return out


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
            "y_score", "delong_se", f"an array of the same length as y_true ({len(yt)})",
            f"an array of length {len(ys)}"))
    seg = _Segments(np.array([0]), np.array([len(yt)]))
    _, se = _auc_fast(yt, ys, seg, se_method="delong")
    return float(se[0])


def _binomial_se(p: float, n: float) -> float:
    if n <= 0 or not np.isfinite(p):
        return math.nan
    return math.sqrt(max(p * (1.0 - p), 0.0) / n)


def _roc_auc_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if np.ndim(y_pred) == 2:
        return _ovr_macro_auc_se(np.asarray(y_true), np.asarray(y_pred, dtype=float))
    return delong_se(y_true, y_pred)


def _ovr_macro_auc_se(y_true: np.ndarray, proba: np.ndarray) -> float:
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


def _accuracy_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    if yt.size == 0:
        return math.nan
    return _binomial_se(float(np.mean(yt == yp)), yt.size)


def _per_class_se(y_true: np.ndarray, y_pred: np.ndarray, by: str) -> float:
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


def _precision_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    if _binary_label_set(yt, yp):
        sel = yp == 1
        return _binomial_se(float(np.mean(yt[sel] == 1)) if sel.any() else math.nan,
                            int(sel.sum()))
    return _per_class_se(yt, yp, "precision")


def _recall_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    if _binary_label_set(yt, yp):
        sel = yt == 1
        return _binomial_se(float(np.mean(yp[sel] == 1)) if sel.any() else math.nan,
                            int(sel.sum()))
    return _per_class_se(yt, yp, "recall")


def _balanced_accuracy_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return _per_class_se(np.asarray(y_true), np.asarray(y_pred), "recall")


def _mean_se(values: FloatArray) -> float:
    if values.size < 2 or not np.all(np.isfinite(values)):
        return math.nan
    return float(np.std(values, ddof=1) / math.sqrt(values.size))


def _row_losses(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> FloatArray:
    """Per-row losses whose mean is the metric (binary/regression inputs)."""
    if name == "log_loss":
        yt = np.asarray(y_true)
        p = np.asarray(y_pred, dtype=float)
        eps = np.finfo(np.float64).eps
        if p.ndim == 2:
            pk = p[np.arange(len(yt)), yt.astype(np.int64)]
            return np.asarray(-np.log(np.clip(pk, eps, 1 - eps)), dtype=float)
        return _log_loss_rows(yt.astype(float), p)
    yt = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    if p.ndim != 1:
        raise _NoFormula
    if name == "brier":
        return np.asarray((yt - p) ** 2, dtype=float)
    if name in ("mse", "rmse"):
        return np.asarray((yt - p) ** 2, dtype=float)
    if name == "mae":
        return np.asarray(np.abs(yt - p), dtype=float)
    if name == "mape":
        return _mape_rows(yt, p)
    raise _NoFormula  # pragma: no cover


def _loss_se(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    def se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        rows = _row_losses(name, y_true, y_pred)
        s = _mean_se(rows)
        if name == "rmse":
            r = math.sqrt(float(np.mean(rows))) if rows.size else math.nan
            return s / (2.0 * r) if r > 0 else (0.0 if s == 0 else math.nan)
        return s

    se.__name__ = f"_{name}_se"
    return se


def _r2_se(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    yt = np.asarray(y_true, dtype=float)
    yp = np.asarray(y_pred, dtype=float)
    if yt.size < 2:
        return math.nan
    a = (yt - yp) ** 2
    b = (yt - yt.mean()) ** 2
    mb = float(b.mean())
    if mb == 0:
        return math.nan
    d = (a - a.mean() / mb * b) / mb
    return _mean_se(d)


def _mape_rows(yt: FloatArray, p: FloatArray) -> FloatArray:
    eps = np.finfo(np.float64).eps
    return np.asarray(np.abs(p - yt) / np.maximum(np.abs(yt), eps), dtype=float)


def _log_loss_rows(yt: FloatArray, p: FloatArray) -> FloatArray:
    # scikit-learn 1.9 builds [1-p, p], clips each column to [eps, 1-eps] and sums
    # xlogy(labels, probs); replicate that order of operations.
    eps = np.finfo(np.float64).eps
    p1 = np.clip(p, eps, 1 - eps)
    p0 = np.clip(1.0 - p, eps, 1 - eps)
    return np.asarray(np.where(yt == 1, -np.log(p1), -np.log(p0)), dtype=float)


# ---------------------------------------------------------------------------------------
# Registry
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


def _build_registry() -> dict[str, Metric]:
    M = Metric
    ms = [
        M("roc_auc", _roc_auc, True, "predict_proba", "classification", "ROC AUC",
          _roc_auc_se, True),
        M("average_precision", _average_precision, True, "predict_proba", "binary",
          "Average precision", None, True),
        M("log_loss", _log_loss, False, "predict_proba", "classification", "Log loss",
          _loss_se("log_loss")),
        M("brier", _brier, False, "predict_proba", "binary", "Brier score",
          _loss_se("brier")),
        M("accuracy", _accuracy, True, "predict", "classification", "Accuracy",
          _accuracy_se),
        M("balanced_accuracy", _balanced_accuracy, True, "predict", "classification",
          "Balanced accuracy", _balanced_accuracy_se),
        M("f1", _prf("f1"), True, "predict", "classification", "F1 score"),
        M("precision", _prf("precision"), True, "predict", "classification", "Precision",
          _precision_se),
        M("recall", _prf("recall"), True, "predict", "classification", "Recall",
          _recall_se),
        M("mae", _mae, False, "predict", "regression", "MAE", _loss_se("mae")),
        M("mse", _mse, False, "predict", "regression", "MSE", _loss_se("mse")),
        M("rmse", _rmse, False, "predict", "regression", "RMSE", _loss_se("rmse")),
        M("r2", _r2, True, "predict", "regression", "R²", _r2_se),
        M("mape", _mape, False, "predict", "regression", "MAPE", _loss_se("mape")),
    ]
    return {m.name: m for m in ms}


_REGISTRY: dict[str, Metric] = _build_registry()


def available() -> list[str]:
    """Names of the built-in metrics, sorted.

    Examples
    --------
    >>> from oot.metrics import available
    >>> "roc_auc" in available()
    True
    """
    return sorted(_REGISTRY)


def get_metric(metric: str | Metric, *, func: str = "evaluate_out_of_time") -> Metric:
    """Resolve a metric name (or pass a :class:`Metric` through).

    Parameters
    ----------
    metric : str or Metric
        A name from :func:`available`, or a :class:`Metric`.
    func : str, default="evaluate_out_of_time"
        The public function being called, named in the error message.

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


# ---------------------------------------------------------------------------------------
# Per-window scoring
# ---------------------------------------------------------------------------------------


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
        ``"ok"``, ``"too_small"``, ``"empty"``, ``"one_class"`` or ``"undefined"``.

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


# Up to this many windows, per-window values are applied with a loop over slices rather
# than a row-length broadcast.
_SUBTRACT_LOOP_MAX = 256


class _Segments:
    """Contiguous row ranges gathered into one array, in window order."""

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

    @functools.cached_property
    def wid(self) -> IntArray:
        """Window id of every gathered row (built on first use)."""
        return np.repeat(np.arange(self.n_windows, dtype=np.int64), self.lengths)

    def subtract_each(self, x: FloatArray, values: FloatArray) -> None:
        """Subtract ``values[w]`` from the rows of window ``w`` of ``x``, in place."""
        if self.n_windows <= _SUBTRACT_LOOP_MAX:
            for w in np.flatnonzero(self.nonempty).tolist():
                lo = int(self.offsets[w])
                x[lo:lo + int(self.lengths[w])] -= values[w]
        else:
            x -= np.repeat(values, self.lengths)

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

    def count(self, mask: NDArray[np.bool_]) -> IntArray:
        out = np.zeros(self.n_windows, dtype=np.int64)
        if self.total:
            out[self.nonempty] = np.add.reduceat(mask, self._ne_offsets, dtype=np.int64)
        return out

    def reduce(self, ufunc: np.ufunc, x: FloatArray, fill: float) -> FloatArray:
        out = np.full(self.n_windows, fill, dtype=float)
        if self.total:
            out[self.nonempty] = ufunc.reduceat(x, self._ne_offsets)
        return out


# Score window by window when there are few windows or they are long on average; with
# many tiny windows the per-window call overhead would dominate.
_PER_WINDOW_MAX = 64
_PER_WINDOW_ROWS = 2048


_SIGN = np.uint64(1 << 63)
_ONE = np.uint64(1)


def _keyed_order(pos_mask: NDArray[np.bool_], s: FloatArray) -> NDArray[np.uint64] | None:
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


def _merged_order(pos_mask: NDArray[np.bool_], s: FloatArray,
                  ) -> tuple[NDArray[np.bool_], FloatArray]:
    """Labels of the window in score order, negatives before equal positives.

    Each class is sorted on its own, then the two sorted runs are merged by a stable
    argsort of their concatenation (one linear merge for timsort). Returns the sorted
    labels and the sorted scores.
    """
    neg = np.sort(s[~pos_mask])
    both = np.concatenate((neg, np.sort(s[pos_mask])))
    merged = np.argsort(both, kind="stable")
    return merged >= neg.size, both[merged]


def _auc_window(pos_mask: NDArray[np.bool_], s: FloatArray, se_method: str,
                ) -> tuple[float, float]:
    """ROC AUC and its SE for one window (``pos_mask`` marks the positives).

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
    if n1 == 0 or n0 == 0:
        return math.nan, math.nan
    rank = np.arange(n1)
    le -= rank
    if tied:
        if vals is None:
            assert keys is not None
            vals = keys >> _ONE
        pos, neg = vals[is_pos], vals[~is_pos]
        # twice the placement counts: (#neg < p) + (#neg <= p), (#pos < n) + (#pos <= n)
        c10, twice = le + np.searchsorted(neg, pos, "left"), 2
    else:
        c10, twice = le, 1
    # V10 = c10 / (twice n0), V01 = 1 - c01 / (twice n1)
    s1 = int(c10.sum())
    auc = s1 / (twice * n1 * n0)
    if se_method == "hanley_mcneil":
        return auc, float(hanley_mcneil_se(auc, n1, n0))
    if n1 < 2 or n0 < 2:
        return auc, math.nan
    if not tied and n1 * n0 * max(n1, n0) < 2**62:
        # Without ties the negatives' counts follow from the positives': with
        # lt_j = #positives below the j-th negative, sum_j lt_j = n1 n0 - sum_i le_i and
        # sum_j lt_j^2 = sum over pairs (i, i') of the negatives above both
        # = sum_i (2i + 1)(n0 - le_i), the pairs whose larger index is i. Exact integers.
        t1 = n1 * n0 - s1
        t2 = n0 * n1 * n1 - 2 * int(np.dot(rank, le)) - s1
        var10 = _var_from_sums(n1, s1, int(np.dot(le, le))) / float(n0) ** 2
        var01 = _var_from_sums(n0, t1, t2) / float(n1) ** 2
        return auc, math.sqrt(var10 / n1 + var01 / n0)
    lt = np.flatnonzero(~is_pos)  # positives < the j-th negative: position minus j
    lt -= np.arange(n0)
    c01 = lt + np.searchsorted(pos, neg, "right") if tied else lt
    var10 = _count_var(c10, twice * n0) / float(twice * n0) ** 2
    var01 = _count_var(c01, twice * n1) / float(twice * n1) ** 2
    return auc, math.sqrt(var10 / n1 + var01 / n0)


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


def _sort_within_windows(s: FloatArray, seg: _Segments) -> IntArray:
    """Order that sorts ``s`` within each window (windows stay in place).

    One global sort of the scores followed by a stable sort by window id (a radix sort
    for 16-bit ids) is cheaper than ``np.lexsort((s, wid))``. Equal scores stay together
    within a window, which is all the tie groups of :func:`_auc_fast` need.
    """
    if seg.n_windows <= 1:
        return np.argsort(s).astype(np.int64, copy=False)
    order = np.argsort(s)
    wdtype = np.int16 if seg.n_windows < 2**15 else np.int64
    by_window = np.argsort(seg.wid.astype(wdtype)[order], kind="stable")
    return order[by_window].astype(np.int64, copy=False)


def _auc_fast(y: NDArray[Any], s: FloatArray, seg: _Segments, *,
              se_method: str) -> tuple[FloatArray, FloatArray]:
    """Rank-based ROC AUC (Mann-Whitney U with average ranks) and its SE per window.

    ``y`` (1 or True = positive) and ``s`` hold the rows of all windows, window after
    window.
    The DeLong placement value of a positive is ``(negatives below + half the tied
    negatives) / n_neg`` (the average-rank formula ``(rank_all - rank_pos) / n_neg``),
    and symmetrically for negatives. Windows with a class missing get NaN.

    Few or long windows are scored one by one (:func:`_auc_window`); many short ones
    together, over tie groups after one sort of all windows.
    """
    n_windows = seg.n_windows
    total = len(s)
    if total == 0:
        nan = np.full(n_windows, np.nan)
        return nan, nan.copy()
    ne = np.flatnonzero(seg.nonempty)
    if ne.size <= _PER_WINDOW_MAX or total >= _PER_WINDOW_ROWS * ne.size:
        auc_w = np.full(n_windows, np.nan)
        se_w = np.full(n_windows, np.nan)
        is_pos = y if y.dtype == np.bool_ else y == 1
        for w, o, ln in zip(ne.tolist(), seg.offsets[ne].tolist(), seg.lengths[ne].tolist(),
                            strict=True):
            auc_w[w], se_w[w] = _auc_window(is_pos[o:o + ln], s[o:o + ln], se_method)
        return auc_w, se_w
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
    with np.errstate(divide="ignore", invalid="ignore"):
        v10 = (neg_before + gneg / 2.0) / rep(n_neg)
        auc = wsum(gpos * v10) / n_pos
        auc = np.where(valid, auc, np.nan)
        if se_method == "hanley_mcneil":
            return auc, np.asarray(hanley_mcneil_se(auc, n_pos, n_neg), dtype=float)
        v01 = 1.0 - (pos_before + gpos / 2.0) / rep(n_pos)
        d10 = v10 - rep(auc)
        ss10 = wsum(gpos * d10 * d10)
        mean01 = wsum(gneg * v01) / n_neg
        d01 = v01 - rep(mean01)
        ss01 = wsum(gneg * d01 * d01)
        var10 = ss10 / (n_pos - 1.0)
        var01 = ss01 / (n_neg - 1.0)
        se = np.sqrt(var10 / n_pos + var01 / n_neg)
        se = np.where(valid & (n_pos > 1) & (n_neg > 1), se, np.nan)
    return auc, se


_LOSS_FAST = ("mae", "mse", "rmse", "mape", "log_loss", "brier", "accuracy", "r2")


def _fast_loss(name: str, seg: _Segments, yt: NDArray[Any], yp: NDArray[Any]
               ) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Score, SE and an ``invalid`` flag per window for the mean-of-rows metrics."""
    n = seg.lengths.astype(float)
    if name == "accuracy":
        hit = (yt == yp)
        p = seg.sum(hit)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = p / n
            se = np.sqrt(score * (1.0 - score) / n)
        return score, se, np.zeros(seg.n_windows, dtype=bool)
    y = np.asarray(yt, dtype=float)
    p = np.asarray(yp, dtype=float)
    if name == "r2":
        return (*_fast_r2(seg, y, p), _invalid_rows(name, seg, y, p))
    rows: FloatArray
    if name == "log_loss":
        rows = _log_loss_rows(y, p)
    elif name == "mape":
        rows = _mape_rows(y, p)
    else:
        rows = np.subtract(y, p)
        if name == "mae":
            np.abs(rows, out=rows)
        else:  # mse, rmse, brier
            np.multiply(rows, rows, out=rows)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = seg.sum(rows)
        # The rows are >= 0 (or NaN) and a non-finite input gives a non-finite row, except
        # for log loss, whose probabilities are clipped and whose labels only select a
        # term: finite window sums (and, where it applies, probabilities within [0, 1]
        # and finite labels) prove that no row is invalid without a pass per input.
        clean = bool(np.isfinite(total).all())
        if clean and name in ("log_loss", "brier") and p.size:
            clean = bool(p.min() >= 0.0) and bool(p.max() <= 1.0)
        if clean and name == "log_loss" and y.size:
            clean = bool(np.isfinite(y.min())) and bool(np.isfinite(y.max()))
        invalid = (np.zeros(seg.n_windows, dtype=bool) if clean
                   else _invalid_rows(name, seg, y, p))
        score = total / n
        # Two-pass variance: centre each window's rows on its mean (in place: the rows
        # are not needed any more), then a segment sum of squares.
        seg.subtract_each(rows, score)
        np.multiply(rows, rows, out=rows)
        var = seg.sum(rows) / (n - 1.0)
        se = np.where(seg.lengths > 1, np.sqrt(var / n), np.nan)
        if name == "rmse":
            rmse = np.sqrt(score)
            se = np.where(rmse > 0, se / (2.0 * rmse), np.where(se == 0, 0.0, np.nan))
            score = rmse
    return score, se, invalid


def _invalid_rows(name: str, seg: _Segments, y: FloatArray, p: FloatArray
                  ) -> NDArray[np.bool_]:
    """Windows holding a non-finite input (or a probability outside [0, 1])."""
    bad = ~(np.isfinite(y) & np.isfinite(p))
    if name in ("log_loss", "brier"):
        bad |= (p < 0) | (p > 1)
    return seg.count(bad) > 0


def _fast_r2(seg: _Segments, y: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
    n = seg.lengths.astype(float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = seg.sum(y) / n
        ymax = seg.reduce(np.maximum, y, np.nan)
        ymin = seg.reduce(np.minimum, y, np.nan)
        # A constant window: match scikit-learn's own mean exactly (its denominator is
        # then 0 or round-off, which decides between 1.0, 0.0 and a huge negative value).
        for w in np.flatnonzero(seg.nonempty & (ymax == ymin)):
            lo = seg.offsets[w]
            mean[w] = np.mean(y[lo:lo + seg.lengths[w]])
        a = (y - p) ** 2
        b = (y - mean[seg.wid]) ** 2
        num = seg.sum(a)
        den = seg.sum(b)
        score = np.where(den != 0, 1.0 - num / den, np.where(num != 0, 0.0, 1.0))
        score = np.where(seg.lengths >= 2, score, np.nan)
        ma = num / n
        mb = den / n
        d = (a - (ma / mb)[seg.wid] * b) / mb[seg.wid]
        dmean = seg.sum(d) / n
        dd = d - dmean[seg.wid]
        var = seg.sum(dd * dd) / (n - 1.0)
        se = np.where((seg.lengths >= 2) & (den > 0), np.sqrt(var / n), np.nan)
    return score, se


def _base_rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(0, 2**31 - 1)))
    return np.random.default_rng(random_state)


def _window_seed(random_state: Any) -> int | None:
    """An entropy integer from which each window's generator is derived."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral):
        return int(random_state) % (2**63)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    return int(random_state.randint(0, 2**31 - 1))


def _window_rng(entropy: int | None, start: int, stop: int) -> np.random.Generator:
    # Keyed by the window's row range: a window's bootstrap does not depend on which
    # other windows are scored, nor on their order.
    if entropy is None:
        return np.random.default_rng()
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(start, stop)))


def _bootstrap_se(metric: Metric, yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator,
                  n_bootstrap: int, labels: np.ndarray | None) -> float:
    n = len(yt)
    if n < 2:
        return math.nan
    if metric.is_builtin and labels is None and yp.ndim == 1:
        fast = _FAST_BOOTSTRAP.get(metric.name)
        if fast is not None:
            return fast(yt, yp, rng, n_bootstrap)
    vals = np.full(n_bootstrap, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b in range(n_bootstrap):
            idx = rng.integers(0, n, n)
            ytb = yt[idx]
            if metric.requires_two_classes and np.all(ytb == ytb[0]):
                continue
            try:
                vals[b] = metric(ytb, yp[idx], labels=labels)
            except (ValueError, ZeroDivisionError, FloatingPointError):
                continue
    return _replicate_sd(vals)


def _replicate_sd(vals: FloatArray) -> float:
    ok = vals[np.isfinite(vals)]
    if ok.size < 2:
        return math.nan
    return float(np.std(ok, ddof=1))


def _f1_bootstrap(yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator, b: int) -> float:
    # Resampling rows only changes the confusion counts: draw them as a multinomial.
    n = len(yt)
    t, p = yt == 1, yp == 1
    cells = np.array([np.sum(t & p), np.sum(~t & p), np.sum(t & ~p), np.sum(~t & ~p)])
    draws = rng.multinomial(n, cells / n, size=b).astype(float)
    tp, fp, fn = draws[:, 0], draws[:, 1], draws[:, 2]
    den = 2 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(den > 0, 2 * tp / den, np.nan)
    return _replicate_sd(f1)


def _ap_bootstrap(yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator, b: int) -> float:
    # Average precision of a resample depends only on how often each row is drawn:
    # sort once, then evaluate all resamples as row weights, in chunks.
    n = len(yt)
    order = np.argsort(-np.asarray(yp, dtype=float), kind="stable")
    s = np.asarray(yp, dtype=float)[order]
    y = (np.asarray(yt)[order] == 1).astype(float)
    last = np.r_[s[1:] != s[:-1], True]  # last row of each tie group (thresholds)
    vals = np.full(b, np.nan)
    chunk = max(1, min(b, 4_000_000 // max(n, 1)))
    for c0 in range(0, b, chunk):
        m = min(chunk, b - c0)
        w = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(m)])
        w = w.astype(float)
        tps = np.cumsum(w * y, axis=1)[:, last]
        alls = np.cumsum(w, axis=1)[:, last]
        total_pos = tps[:, -1]
        d_tp = np.diff(tps, axis=1, prepend=0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            prec = np.where(alls > 0, tps / alls, 0.0)
            ap = np.sum(d_tp * prec, axis=1) / total_pos
        all_neg = total_pos == 0
        all_pos = total_pos == alls[:, -1]
        ap[all_neg | all_pos] = np.nan
        vals[c0:c0 + m] = ap
    return _replicate_sd(vals)


_FAST_BOOTSTRAP: dict[str, Callable[[np.ndarray, np.ndarray, np.random.Generator, int], float]]
_FAST_BOOTSTRAP = {"f1": _f1_bootstrap, "average_precision": _ap_bootstrap}


def _as_int_array(x: ArrayLike, param: str) -> IntArray:
    arr = np.asarray(x)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise InvalidParameterError(param_message(
            param, "score_windows", "a 1-D array of ints", x))
    return arr.astype(np.int64, copy=False)


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
        Predictions, following the module's input conventions.
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
    Binary ROC AUC is the Mann-Whitney statistic with ties counted one half, from one
    sort per window of integer keys that carry the label (the two classes sorted
    separately and merged when no key fits; with many small windows, one sort of all
    windows); its SE is DeLong's from within-window placement values (or
    Hanley-McNeil). MAE, MSE, RMSE, R², MAPE, log loss, Brier and accuracy are segment
    sums of per-row values; their SE is ``sd(row loss)/sqrt(n)`` (binomial for
    accuracy, delta method for RMSE = SE(MSE)/(2 RMSE) and for R² by linearising
    ``1 - SSres/SStot`` in the window's rows). Other metrics are computed per window
    with ``metric.func``; a window where the function raises ``ValueError`` or returns
    NaN gets status ``"undefined"``, and warnings it emits are suppressed (the status
    records the outcome).

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
    fname = "score_windows"
    m = get_metric(metric, func=fname)
    check_scalar(min_window_size, "min_window_size", fname, kind="int", low=0)
    check_scalar(n_classes, "n_classes", fname, kind="int", low=2, allow_none=True)
    check_option(se_method, "se_method", fname, SE_METHODS)
    check_random_state_param(random_state, fname)
    check_scalar(n_bootstrap, "n_bootstrap", fname, kind="int", low=0)

    yt = np.asarray(y_true)
    yp = np.asarray(y_pred)
    if yt.ndim != 1:
        raise InvalidParameterError(param_message(
            "y_true", fname, "a 1-D array", f"an array of shape {yt.shape}"))
    if yp.ndim not in (1, 2) or len(yp) != len(yt):
        raise InvalidParameterError(param_message(
            "y_pred", fname, f"an array of length {len(yt)} (the length of y_true)",
            f"an array of shape {yp.shape}"))
    numeric_pred = m.response != "predict" or m.task == "regression"
    if m.is_builtin and numeric_pred and yp.dtype.kind == "O":
        with contextlib.suppress(TypeError, ValueError):
            yp = yp.astype(float)
    if m.is_builtin and numeric_pred and yp.dtype.kind not in "biuf":
        raise InvalidParameterError(param_message(
            "y_pred", fname, f"numbers (scores, probabilities or values) for metric {m.name!r}",
            f"an array of dtype {yp.dtype}",
            "Pass the model's scores or probabilities, or use a label metric such as "
            "'accuracy'." if m.task != "regression" else None))
    st = _as_int_array(starts, "starts")
    sp = _as_int_array(stops, "stops")
    if st.shape != sp.shape:
        raise InvalidParameterError(param_message(
            "stops", fname, f"an array of the same length as starts ({len(st)})",
            f"an array of length {len(sp)}"))
    n_rows = len(yt)
    bad = (st < 0) | (sp < st) | (sp > n_rows)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError(param_message(
            "starts", fname, f"ranges with 0 <= start <= stop <= {n_rows} (len(y_true))",
            f"start={int(st[i])}, stop={int(sp[i])} for window {i}"))

    multiclass, binary = _task_flags(m, n_classes)
    if m.task == "regression" and n_classes is not None:
        raise InvalidParameterError(param_message(
            "n_classes", fname, f"None for the regression metric {m.name!r}", n_classes))
    if m.task == "binary" and multiclass:
        raise InvalidParameterError(param_message(
            "n_classes", fname, f"2 or None for the binary-only metric {m.name!r}",
            n_classes, "Choose a metric that supports multiclass, e.g. 'roc_auc' or "
            "'log_loss'."))
    if multiclass and m.response != "predict" and yp.ndim != 2:
        raise InvalidParameterError(param_message(
            "y_pred", fname, f"an (n, {n_classes}) matrix for the multiclass "
            f"{m.response} metric {m.name!r}", f"an array of shape {yp.shape}"))
    labels = np.arange(n_classes) if multiclass and n_classes is not None else None

    seg = _Segments(st, sp)
    n_w = seg.n_windows
    n = seg.lengths.astype(np.int64)
    score = np.full(n_w, np.nan)
    se = np.full(n_w, np.nan)
    status = np.full(n_w, "ok", dtype=object)

    g_true = seg.take(yt)
    g_pred = seg.take(yp)
    n_pos: IntArray | None = None
    n_neg: IntArray | None = None
    if binary:
        pos_mask = g_true == 1
        n_pos = seg.count(pos_mask)
        n_neg = n - n_pos

    eligible = n >= max(min_window_size, 1)
    if m.requires_two_classes and n_pos is not None and n_neg is not None:
        two = (n_pos > 0) & (n_neg > 0)
    elif m.requires_two_classes and n_w:
        distinct = np.ones(n_w, dtype=np.int64)
        if seg.total:
            # count distinct labels per window after one sort by (window, label)
            gs = g_true.astype(np.int64)
            key = np.lexsort((gs, seg.wid))
            gk, wk = gs[key], seg.wid[key]
            change = np.r_[False, (gk[1:] != gk[:-1]) & (wk[1:] == wk[:-1])]
            distinct = 1 + seg.count(change)
        two = distinct >= 2
    else:
        two = np.ones(n_w, dtype=bool)

    fast = _vectorised_path(m, multiclass, binary, yp.ndim)
    use = eligible & two
    if fast == "auc":
        g_score = np.asarray(g_pred, dtype=float)
        auc, auc_se = _auc_fast(pos_mask, g_score, seg, se_method=se_method)
        with np.errstate(over="ignore", invalid="ignore"):
            # a finite sum (one pass) means every score is finite
            all_finite = bool(np.isfinite(np.sum(g_score)))
        invalid = (np.zeros(n_w, dtype=bool) if all_finite
                   else seg.count(~np.isfinite(g_score)) > 0)
        score[use] = auc[use]
        se[use] = auc_se[use]
        score[use & invalid] = np.nan
        se[use & invalid] = np.nan
    elif fast == "loss":
        s_all, se_all, invalid = _fast_loss(m.name, seg, g_true, g_pred)
        score[use] = s_all[use]
        se[use] = se_all[use]
        score[use & invalid] = np.nan
        se[use & invalid] = np.nan
    else:
        _loop_windows(m, yt, yp, st, sp, use, score, se, labels, random_state, n_bootstrap)

    status[n < max(min_window_size, 1)] = "too_small"
    status[n == 0] = "empty"
    status[eligible & ~two] = "one_class"
    undefined = use & ~np.isfinite(score)
    status[undefined] = "undefined"
    score[status != "ok"] = np.nan
    se[status != "ok"] = np.nan
    return WindowScores(score=score, se=se, n=n, n_pos=n_pos, n_neg=n_neg, status=status)


def _task_flags(m: Metric, n_classes: int | None) -> tuple[bool, bool]:
    """``(multiclass, binary)`` for metric ``m`` and ``n_classes`` of :func:`score_windows`."""
    multiclass = n_classes is not None and n_classes > 2
    binary = not multiclass and (n_classes == 2 or m.task in ("binary", "classification"))
    return multiclass, binary


def _vectorised_path(m: Metric, multiclass: bool, binary: bool, pred_ndim: int,
                     ) -> str | None:
    """The vectorised path :func:`score_windows` takes for ``m`` (``"auc"`` or
    ``"loss"``), or None when it calls ``m.func`` window by window."""
    if not (m.is_builtin and not multiclass and pred_ndim == 1):
        return None
    if m.name == "roc_auc" and binary:
        return "auc"
    return "loss" if m.name in _LOSS_FAST else None


def _thread_safe_scoring(metric: Metric, n_classes: int | None) -> bool:
    """Whether :func:`score_windows` may run in a worker thread for 1-D predictions.

    True on the vectorised paths, which touch no process-wide state. The others call the
    metric function under ``warnings.catch_warnings``, which changes the interpreter's
    warning filters for every thread while it runs.
    """
    return _vectorised_path(metric, *_task_flags(metric, n_classes), 1) is not None


def _loop_windows(m: Metric, yt: np.ndarray, yp: np.ndarray, st: IntArray, sp: IntArray,
                  use: NDArray[np.bool_], score: FloatArray, se: FloatArray,
                  labels: np.ndarray | None, random_state: Any, n_bootstrap: int) -> None:
    """Score each usable window with ``m.func`` (fills ``score`` and ``se`` in place)."""
    m._require_func()
    entropy = _window_seed(random_state)
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
            val = math.nan
            if m.se_func is not None:
                try:
                    val = float(m.se_func(ytw, ypw))
                except _NoFormula:
                    val = _boot_or_nan(m, ytw, ypw, entropy, a, b, n_bootstrap, labels)
                except (ValueError, ZeroDivisionError, FloatingPointError):
                    val = math.nan
            else:
                val = _boot_or_nan(m, ytw, ypw, entropy, a, b, n_bootstrap, labels)
            se[w] = val


def _boot_or_nan(m: Metric, ytw: np.ndarray, ypw: np.ndarray, entropy: int | None, a: int,
                 b: int, n_bootstrap: int, labels: np.ndarray | None) -> float:
    if n_bootstrap == 0:
        return math.nan
    return _bootstrap_se(m, ytw, ypw, _window_rng(entropy, a, b), n_bootstrap, labels)
