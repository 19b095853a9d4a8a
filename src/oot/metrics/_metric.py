"""The :class:`Metric` record: a scoring function and everything scoring needs to know.

Every choice :func:`~oot.metrics.score_windows` makes for a metric (the vectorised
kernel, the per-row values of a mean-type metric and how their mean becomes the score,
which rows make a window undefined, the standard error, a fast bootstrap) is a field of
the record, so the built-in metrics and a user's own are scored by the same code.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from oot._serialize import field, reading
from oot._validation import (
    InvalidParameterError,
    as_generator,
    caller,
    calling,
    check_option,
    check_random_state_param,
    check_scalar,
    entry_point,
    param_message,
)
from oot.metrics._bootstrap import bootstrap_se
from oot.metrics._fast import KERNEL_TABLE, window_se

RESPONSES = ("predict_proba", "decision_function", "predict")
TASKS = ("binary", "classification", "regression", "any")
KERNELS = tuple(KERNEL_TABLE)
MEAN_TO_SCORE = ("identity", "sqrt")

# The built-in metrics by name, filled by oot.metrics._registry when the package loads.
_REGISTRY: dict[str, Metric] = {}


@functools.lru_cache(maxsize=256)
def _accepts_labels(func: Callable[..., float]) -> bool:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return "labels" in params


def _builtin(name: str) -> Metric:
    """The registry's metric ``name`` (what a pickled built-in unpickles to)."""
    return _REGISTRY[name]


@dataclass(frozen=True, eq=False)
class Metric:
    """A scoring function and what ``oot`` needs to know about it.

    Every argument but ``name`` is keyword-only.

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
        window. ``None``: the kernel's formula when there is a kernel, else a bootstrap
        within the window.
    requires_two_classes : bool, default=False
        The metric is undefined when a window holds one class only (ROC AUC, average
        precision); such windows get status ``"one_class"``.
    requires_probabilities : bool, default=False
        Predictions must be probabilities in [0, 1] (log loss, Brier score): a window
        with a prediction outside is ``"undefined"``, and
        :func:`~oot.evaluate_predictions` refuses such a prediction column.
    kernel : {"rank_auc", "row_mean", "proportion", "r2"} or None, default=None
        The vectorised kernel that scores all windows at once for binary and
        regression inputs with 1-D predictions, and gives the standard error when
        ``se_func`` is None (the same formula on one window); None scores window by
        window with ``func``. Defaults to ``"row_mean"`` when ``row_values`` is given.
        ``"rank_auc"``: Mann-Whitney AUC of binary labels, DeLong's SE (Hanley-McNeil
        on request). ``"row_mean"``: the mean of ``row_values``, SE ``sd/sqrt(n)``.
        ``"proportion"``: the share of true ``row_values`` (hits), binomial SE.
        ``"r2"``: ``1 - SSres/SStot``, SE linearised in the rows. The kernel's score
        must equal ``func``'s.
    row_values : callable or None, default=None
        ``row_values(y_true, y_pred) -> ndarray`` of one value per row, for the
        ``"row_mean"`` kernel (float inputs; a row with a non-finite input must get a
        non-finite value, as arithmetic gives, unless ``requires_probabilities``) and
        the ``"proportion"`` kernel (the inputs as given; True for a hit). It may raise
        ``ValueError`` for inputs it does not cover (then the SE is bootstrapped).
    mean_to_score : {"identity", "sqrt"}, default="identity"
        How a window's mean of ``row_values`` becomes the score: ``"sqrt"`` for a root
        mean (RMSE), whose SE is then ``SE(mean) / (2 score)`` (delta method).
    bootstrap_se : callable or None, default=None
        ``bootstrap_se(y_true, y_pred, rng, n_bootstrap) -> float``, a faster
        equivalent of resampling the rows and calling ``func`` (1-D predictions, binary
        or regression), used when the metric has no formula.
    chance : float or None, default=None
        The score of a model with no skill, whatever the data (ROC AUC and balanced
        accuracy 0.5, R² 0); None when it depends on the data (accuracy: the majority
        rate) or is not defined. A recommendation whose baseline is near it says the
        model has no skill to lose instead of giving a threshold.

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

    A mean of per-row values is scored for all windows at once from its ``row_values``,
    with the standard error ``sd(rows) / sqrt(n)``:

    >>> def squared_log_error(y_true, y_pred):
    ...     return (np.log1p(y_true) - np.log1p(y_pred)) ** 2
    >>> msle = Metric("msle", func=lambda y, p: float(np.mean(squared_log_error(y, p))),
    ...               greater_is_better=False, task="regression",
    ...               row_values=squared_log_error)
    >>> msle.kernel
    'row_mean'
    >>> y, p = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.5, 2.0, 4.5])
    >>> rows = squared_log_error(y, p)
    >>> bool(np.isclose(msle.standard_error(y, p), np.std(rows, ddof=1) / np.sqrt(4)))
    True
    >>> from oot.metrics import score_windows
    >>> ws = score_windows(msle, y, p, starts=[0, 2], stops=[2, 4])  # both at once
    >>> bool(np.isclose(ws.score[1], np.mean(rows[2:])))
    True
    """

    name: str
    _: KW_ONLY
    func: Callable[..., float] | None
    greater_is_better: bool
    response: str = "predict"
    task: str = "any"
    display_name: str | None = None
    se_func: Callable[[np.ndarray, np.ndarray], float] | None = None
    requires_two_classes: bool = False
    requires_probabilities: bool = False
    kernel: str | None = None
    row_values: Callable[[np.ndarray, np.ndarray], ArrayLike] | None = None
    mean_to_score: str = "identity"
    bootstrap_se: Callable[[np.ndarray, np.ndarray, np.random.Generator, int],
                           float] | None = None
    chance: float | None = None

    def __post_init__(self) -> None:
        with calling("Metric"):
            self._check_fields()
        if self.display_name is None:
            object.__setattr__(self, "display_name", self.name)
        if self.kernel is None and self.row_values is not None:
            object.__setattr__(self, "kernel", "row_mean")

    def _check_fields(self) -> None:
        where = caller()
        if not isinstance(self.name, str) or not self.name:
            raise InvalidParameterError(
                param_message("name", None, "a non-empty str", self.name)
            )
        if self.func is not None and not callable(self.func):
            raise InvalidParameterError(param_message(
                "func", None, "a callable func(y_true, y_pred) -> float or None", self.func))
        self._check_bool("greater_is_better")
        check_option(self.response, "response", where, RESPONSES)
        check_option(self.task, "task", where, TASKS)
        if self.display_name is not None and not isinstance(self.display_name, str):
            raise InvalidParameterError(
                param_message("display_name", None, "a str or None", self.display_name)
            )
        self._check_callable("se_func", "se_func(y_true, y_pred) -> float")
        self._check_bool("requires_two_classes")
        self._check_bool("requires_probabilities")
        self._check_callable("row_values", "row_values(y_true, y_pred) -> ndarray")
        self._check_callable("bootstrap_se", "bootstrap_se(y_true, y_pred, rng, n_bootstrap) "
                                             "-> float")
        if self.chance is not None and (
                isinstance(self.chance, bool) or not isinstance(self.chance, (int, float))
                or not math.isfinite(float(self.chance))):
            raise InvalidParameterError(
                param_message("chance", None, "a finite float or None", self.chance))
        check_option(self.kernel, "kernel", where, (*KERNELS, None))
        check_option(self.mean_to_score, "mean_to_score", where, MEAN_TO_SCORE)
        kernel = ("row_mean" if self.kernel is None and self.row_values is not None
                  else self.kernel)
        uses_rows = kernel in ("row_mean", "proportion")
        if uses_rows and self.row_values is None:
            raise InvalidParameterError(param_message(
                "row_values", None, f"a callable row_values(y_true, y_pred) for "
                f"kernel={kernel!r}", None))
        if not uses_rows and self.row_values is not None:
            raise InvalidParameterError(param_message(
                "row_values", None, f"None for kernel={kernel!r}", self.row_values,
                "Per-row values are used by the kernels 'row_mean' and 'proportion'."))
        if self.mean_to_score != "identity" and kernel != "row_mean":
            raise InvalidParameterError(param_message(
                "mean_to_score", None, f"'identity' for kernel={kernel!r}",
                self.mean_to_score, "A window mean is turned into the score only by the "
                "'row_mean' kernel (give row_values)."))

    def _check_bool(self, field: str) -> None:
        value = getattr(self, field)
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidParameterError(param_message(field, None, "a bool", value))

    def _check_callable(self, field: str, signature: str) -> None:
        value = getattr(self, field)
        if value is not None and not callable(value):
            raise InvalidParameterError(
                param_message(field, None, f"a callable {signature} or None", value))

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
            Truth and predictions, following the input conventions of
            :mod:`oot.metrics`.
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

    @entry_point("Metric.standard_error")
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

        Uses ``se_func`` when set, else the formula of the metric's ``kernel`` (DeLong
        for ROC AUC, binomial for proportions, ``sd/sqrt(n)`` and the delta method for
        mean losses, linearisation for R²), else a bootstrap of ``n_bootstrap``
        resamples of the rows, seeded by ``random_state``.

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
        check_random_state_param(random_state)
        check_scalar(n_bootstrap, "n_bootstrap", caller(), kind="int", low=0)
        lab = None if labels is None else np.asarray(labels)
        return self._window_se(np.asarray(y_true), np.asarray(y_pred),
                               lambda: as_generator(random_state), n_bootstrap, lab)

    def _window_se(self, yt: np.ndarray, yp: np.ndarray,
                   rng: Callable[[], np.random.Generator], n_bootstrap: int,
                   labels: np.ndarray | None, *, se_func_errors: bool = True) -> float:
        """The per-window standard error: ``se_func``, else the kernel's formula, else a
        bootstrap (generator from ``rng()``, called only then). With
        ``se_func_errors=False`` an error of ``se_func`` gives NaN."""
        if self.se_func is not None:
            if se_func_errors:
                return float(self.se_func(yt, yp))
            try:
                return float(self.se_func(yt, yp))
            except (ValueError, ZeroDivisionError, FloatingPointError):
                return math.nan
        se = window_se(self, yt, yp)
        if se is not None:
            return se
        if n_bootstrap == 0 or len(yt) < 2:
            return math.nan
        return bootstrap_se(self, yt, yp, rng(), n_bootstrap, labels)

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

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A built-in unpickles (in a worker process) to the registry's own object.
        if self.is_builtin:
            return (_builtin, (self.name,))
        return super().__reduce_ex__(protocol)

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
            "chance": self.chance,
            "builtin": self.is_builtin,
        }

    @classmethod
    @entry_point("Metric.from_dict")
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
                "d", None, "a mapping produced by Metric.to_dict()", d))
        with reading("Metric"):  # a bad document: InvalidParameterError, nothing else
            doc = dict(d)
            name = field(doc, "name", types=str, where="metric")
            if field(doc, "builtin", types=bool, optional=True, default=True,
                     where="metric") and name in _REGISTRY:
                return _REGISTRY[name]
            return cls(
                name=name,
                func=None,
                greater_is_better=field(doc, "greater_is_better", types=bool,
                                        where="metric"),
                response=field(doc, "response", options=RESPONSES, optional=True,
                               default="predict", where="metric"),
                task=field(doc, "task", options=TASKS, optional=True, default="any",
                           where="metric"),
                display_name=field(doc, "display_name", types=(str, type(None)),
                                   optional=True, where="metric"),
                requires_two_classes=field(doc, "requires_two_classes", types=bool,
                                           optional=True, default=False, where="metric"),
                chance=field(doc, "chance", number=True, optional=True, where="metric"),
            )

    def __repr__(self) -> str:
        direction = "higher" if self.greater_is_better else "lower"
        return (f"Metric({self.name!r}, {direction} is better, response={self.response!r}, "
                f"task={self.task!r})")
