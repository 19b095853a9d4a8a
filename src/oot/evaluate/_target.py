"""The target and the estimator's response, encoded for the metric.

:func:`_prepare_target` checks the target column against the metric and encodes it
(0/1 for binary metrics, class codes for multiclass ones, floats for regression);
:func:`_response` asks a fitted estimator for the predictions the metric needs, checks
them once (:class:`OutputError`: the estimator's fault, reported with its anchor) and
encodes them the same way. :func:`_label_codes` is the one test that predictions are
labels of the target's classes, for the engine and for :func:`evaluate_predictions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oot._validation import InvalidParameterError, caller, param_message
from oot.metrics import Metric


# ----------------------------------------------------------------- target handling
@dataclass(frozen=True)
class _Target:
    """The target, sorted by time and encoded for the metric."""

    y: np.ndarray               # encoded: 0/1 binary, codes multiclass, floats regression
    classes: np.ndarray | None  # original labels (classification)
    pos_label: Any
    task: str                   # "binary" | "multiclass" | "regression" | "raw"
    name: str = ""              # the target column (for messages)

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``; by hashing for integers and objects (5-20x faster there)."""
    if values.dtype.kind in "fc":
        return np.unique(values)
    return np.sort(pd.unique(values))


def _classes(values: np.ndarray, name: str) -> np.ndarray:
    """The target's classes, sorted; refuses labels that cannot be classes."""
    try:
        return _sorted_unique(values)
    except TypeError as exc:  # unhashable cells, or labels of types that do not order
        types = sorted({type(v).__name__ for v in values[:10_000]})
        if any(not isinstance(v, (str, bytes, int, float, bool, np.generic))
               for v in values[:10_000]):
            odd = next(t for t in types if t not in ("str", "bytes", "int", "float", "bool"))
            msg = (f"The target column {name!r} holds values of type {odd}, which cannot "
                   "be class labels. Use one number or string per row.")
        else:
            msg = (f"The target column {name!r} mixes types of label ({', '.join(types)}), "
                   "which cannot be ordered into classes. Convert it to one type first, "
                   f"e.g. data[{name!r}].astype(str).")
        raise InvalidParameterError(msg) from exc


def _check_pos_label(pos_label: Any, classes: np.ndarray) -> None:
    """``pos_label`` is one of the two ``classes`` (anything else, unhashable
    values included, is refused naming it)."""
    try:
        ok = pos_label in set(classes.tolist())
    except TypeError:  # an unhashable pos_label is none of the classes
        ok = False
    if not ok:
        raise InvalidParameterError(param_message(
            "pos_label", None, f"one of the target's classes {classes.tolist()}", pos_label))


def _prepare_target(values: np.ndarray, name: str, metric: Metric, pos_label: Any,
                    ) -> _Target:
    """Check the target column ``name`` against the metric and encode it."""
    func = caller()
    task = metric.task
    if values.dtype.kind == "M" or (values.dtype.kind == "O" and len(values) and isinstance(
            values[0], (pd.Timestamp, np.datetime64))):
        dtype = values.dtype if values.dtype.kind == "M" else pd.Series(values[:1]).dtype
        msg = (f"The target column {name!r} holds datetimes (dtype {dtype}), which cannot "
               "be a target. Check the target column, or convert it to numbers first.")
        raise InvalidParameterError(msg)
    if task in ("binary", "classification"):
        na = np.zeros(0, dtype=bool) if values.dtype.kind in "biu" else pd.isna(values)
        if na.any():
            msg = (f"The target column {name!r} has {int(na.sum())} missing value(s) (row "
                f"positions {np.flatnonzero(na)[:5].tolist()}). Drop those rows before "
                f"calling {func}.")
            raise InvalidParameterError(msg)
        classes = _classes(values, name)
        if len(classes) < 2:
            msg = (f"The target column {name!r} has a single class ({classes.tolist()}), so "
                f"metric {metric.name!r} cannot be computed. Check the target column.")
            raise InvalidParameterError(msg)
        if values.dtype.kind == "f" and len(classes) > 20 and not np.all(
                classes == np.round(classes)):
            msg = (f"Metric {metric.name!r} is a classification metric, but the target column "
                f"{name!r} looks continuous ({len(classes)} distinct float values). Use a "
                "regression metric such as 'rmse' or 'mae'.")
            raise InvalidParameterError(msg)
        if len(classes) > 2 and task == "binary":
            msg = (f"Metric {metric.name!r} needs a binary target, but column {name!r} has "
                f"{len(classes)} classes ({classes[:10].tolist()}). Use a multiclass metric "
                "such as 'accuracy', 'balanced_accuracy', 'log_loss' or 'roc_auc'.")
            raise InvalidParameterError(msg)
        if len(classes) == 2:
            if pos_label is None:
                pos_label = classes[-1]
            else:
                _check_pos_label(pos_label, classes)
            return _Target((values == pos_label).astype(np.int64), classes, pos_label,
                           "binary", name)
        codes = np.searchsorted(classes, values).astype(np.int64)
        return _Target(codes, classes, None, "multiclass", name)
    # regression or custom
    if task == "regression":
        if values.dtype.kind == "c":
            msg = (f"Metric {metric.name!r} is a regression metric, but the target column "
                   f"{name!r} is not real-valued (dtype {values.dtype}). Use a real-valued "
                   "target.")
            raise InvalidParameterError(msg)
        try:
            y = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            msg = (f"Metric {metric.name!r} is a regression metric, but the target column "
                f"{name!r} is not numeric (dtype {pd.Series(values).dtype}). Use a "
                "classification metric such as 'roc_auc' or 'accuracy'.")
            raise InvalidParameterError(msg) from exc
        bad = ~np.isfinite(y)
        if bad.any():
            msg = (f"The target column {name!r} has {int(bad.sum())} missing or infinite "
                f"value(s) (row positions {np.flatnonzero(bad)[:5].tolist()}). Drop or fix "
                f"those rows before calling {func}.")
            raise InvalidParameterError(msg)
        return _Target(y, None, None, "regression", name)
    na = pd.isna(values)
    if np.any(na):
        msg = (f"The target column {name!r} has {int(np.sum(na))} missing value(s). Drop "
            f"those rows before calling {func}.")
        raise InvalidParameterError(msg)
    return _Target(np.asarray(values), None, pos_label, "raw", name)


class OutputError(ValueError):
    """The estimator's output cannot be scored: wrong shape, missing values, not
    probabilities, not labels. The estimator's fault: reported with its anchor, and
    isolated under ``on_error="skip"``."""


# a probability at most this far outside [0, 1] is a rounding error, clipped
_PROBA_SLACK = 1e-9


def _scalar(v: Any) -> Any:
    """A numpy scalar as the Python value it holds (for messages)."""
    return v.item() if isinstance(v, np.generic) else v


def _rows_text(k: int) -> str:
    return f"{k} row{'s' if k != 1 else ''}"


def _checked(out: Any, n: int, method: str, *, ndim: int | None = None,
             numeric: bool = True) -> np.ndarray:
    """``out`` as an array of ``n`` rows (of ``ndim`` dimensions; an (n, 1) column is
    raveled when 1-D is expected), finite when ``numeric``."""
    arr = np.asarray(out)
    if arr.ndim == 2 and ndim == 1 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 0 or len(arr) != n:
        got = 0 if arr.ndim == 0 else len(arr)
        more = "fewer" if got < n else "more"
        msg = (f"{method} returned {_rows_text(abs(n - got))} {more} than asked for "
               f"({got} for {n} rows)")
        raise OutputError(msg)
    if ndim is not None and arr.ndim != ndim:
        want = "one value per row" if ndim == 1 else "one column per class"
        msg = f"{method} returned an array of shape {arr.shape}; expected {want}"
        raise OutputError(msg)
    if numeric:
        if arr.dtype.kind not in "biuf":
            try:
                arr = arr.astype(float)
            except (TypeError, ValueError) as exc:
                msg = (f"{method} returned values of dtype {arr.dtype} (e.g. "
                       f"{_scalar(arr.flat[0])!r}), not numbers")
                raise OutputError(msg) from exc
        if arr.dtype.kind == "f":
            lo, hi = (np.min(arr), np.max(arr)) if arr.size else (0.0, 0.0)
            if not (np.isfinite(lo) and np.isfinite(hi)):
                bad = ~np.isfinite(arr)
                first = int(np.flatnonzero(bad.reshape(len(arr), -1).any(axis=1))[0])
                msg = (f"{method} returned {int(bad.sum())} missing or infinite value(s) "
                       f"(NaN or inf; the first in row {first})")
                raise OutputError(msg)
    return arr


def _probabilities(out: Any, n: int, n_classes: int | None) -> np.ndarray:
    """predict_proba's output checked: (n, classes) finite probabilities in [0, 1]
    (rounding errors up to 1e-9 outside are clipped)."""
    proba = _checked(out, n, "predict_proba", ndim=2).astype(float, copy=False)
    if n_classes is not None and proba.shape[1] != n_classes:
        msg = (f"predict_proba returned {proba.shape[1]} columns for the estimator's "
               f"{n_classes} classes")
        raise OutputError(msg)
    if proba.size:
        lo, hi = float(np.min(proba)), float(np.max(proba))
        if lo < -_PROBA_SLACK or hi > 1 + _PROBA_SLACK:
            msg = (f"predict_proba returned probabilities outside [0, 1] (from {lo:g} to "
                   f"{hi:g})")
            raise OutputError(msg)
        if lo < 0 or hi > 1:
            proba = np.clip(proba, 0.0, 1.0)
    return proba


def _label_codes(pred: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The index of each prediction in ``classes``; -1 where it is none of them (a
    value of another type never equals a class: ``"1"`` is not ``1``; booleans are the
    numbers 0 and 1, as in Python)."""
    c, p = np.asarray(classes), np.asarray(pred)
    if c.dtype.kind == "b" and p.dtype.kind in "iuf":
        c = c.astype(np.int64)
    elif p.dtype.kind == "b" and c.dtype.kind in "iuf":
        p = p.astype(np.int64)
    return np.asarray(pd.Index(c).get_indexer(pd.Index(p)), dtype=np.int64)


def _labels_text(target: _Target) -> str:
    """``"the target column 'y' (int64: [0, 1])"``."""
    assert target.classes is not None
    shown = target.classes[:10].tolist()
    more = f" ... ({len(target.classes)} classes)" if len(target.classes) > 10 else ""
    col = f"the target column {target.name!r}" if target.name else "the target"
    return f"{col} ({target.classes.dtype}: {shown}{more})"


def _encode_labels(pred: np.ndarray, target: _Target) -> tuple[np.ndarray, np.ndarray]:
    """Labels encoded like the target (0/1 binary, codes multiclass) and the mask of
    predictions that are none of the target's classes."""
    assert target.classes is not None
    codes = _label_codes(pred, target.classes)
    bad = codes < 0
    if target.task == "binary":
        pos = int(np.flatnonzero(target.classes == target.pos_label)[0])
        return (codes == pos).astype(np.int64), bad
    return codes, bad


def _response(estimator: Any, X: Any, metric: Metric, target: _Target) -> np.ndarray:
    """The predictions the metric needs, checked (:class:`OutputError`) and encoded
    like the target."""
    n = int(X.shape[0])
    resp = metric.response
    if resp in ("predict_proba", "decision_function"):
        has_proba = hasattr(estimator, "predict_proba")
        has_dec = hasattr(estimator, "decision_function")
        if resp == "predict_proba" and has_proba:
            raw_classes = getattr(estimator, "classes_", None)
            proba = _probabilities(estimator.predict_proba(X), n,
                                   None if raw_classes is None else len(raw_classes))
            est_classes = list(range(proba.shape[1]) if raw_classes is None
                               else raw_classes)
            if target.task == "binary":
                if target.pos_label not in est_classes:
                    msg = (f"the fitted estimator never saw the positive class "
                        f"{target.pos_label!r} (its classes: {est_classes})")
                    raise ValueError(msg)
                return proba[:, est_classes.index(target.pos_label)]
            if target.task == "multiclass":
                assert target.classes is not None
                out = np.zeros((proba.shape[0], len(target.classes)))
                for i, c in enumerate(est_classes):
                    out[:, int(np.searchsorted(target.classes, c))] = proba[:, i]
                return out
            return proba[:, -1] if proba.ndim == 2 and proba.shape[1] == 2 else proba
        if has_dec and (resp == "decision_function" or metric.requires_two_classes) and (
                target.task in ("binary", "raw")):
            dec = _checked(estimator.decision_function(X), n, "decision_function",
                           ndim=1 if target.task == "binary" else None).astype(float)
            est_classes = list(getattr(estimator, "classes_", [0, 1]))
            if dec.ndim == 1 and target.task == "binary" and est_classes and (
                    est_classes[-1] != target.pos_label):
                dec = -dec
            return dec
        raise AttributeError(
            f"the estimator {type(estimator).__name__} has no predict_proba"
            + (" or decision_function" if metric.requires_two_classes else "")
            + f", which metric {metric.name!r} needs")
    if target.task in ("binary", "multiclass"):
        pred = _checked(estimator.predict(X), n, "predict", ndim=1, numeric=False)
        encoded, bad = _encode_labels(pred, target)
        if bad.any():
            first = _scalar(pred[int(np.flatnonzero(bad)[0])])
            msg = (f"predict returned labels of dtype {pred.dtype} (e.g. {first!r}) that "
                   f"are not classes of {_labels_text(target)}: {int(bad.sum())} of "
                   f"{n} predictions")
            raise OutputError(msg)
        return encoded
    if target.task == "regression":
        return _checked(estimator.predict(X), n, "predict", ndim=1).astype(float)
    return _checked(estimator.predict(X), n, "predict", numeric=False)


def _check_response_method(estimator: Any, metric: Metric) -> None:
    """Refuse an estimator without the prediction method the metric needs, and a
    regressor for a label metric (its predictions are values, not labels)."""
    resp = metric.response
    if resp == "predict" and metric.task in ("binary", "classification"):
        from sklearn.base import is_regressor

        if is_regressor(estimator):
            raise InvalidParameterError(param_message(
                "estimator", None, f"a classifier for the label metric {metric.name!r} "
                "(it compares predicted labels with the target)", estimator,
                "Use a classifier, or a regression metric such as 'rmse' or 'mae' for a "
                "numeric target."))
    if resp == "predict":
        ok = hasattr(estimator, "predict")
        need = "predict"
    elif resp == "decision_function":
        ok = hasattr(estimator, "decision_function") or hasattr(estimator, "predict_proba")
        need = "decision_function or predict_proba"
    else:
        ok = hasattr(estimator, "predict_proba") or (
            metric.requires_two_classes and hasattr(estimator, "decision_function"))
        need = "predict_proba" + (" or decision_function" if metric.requires_two_classes
                                  else "")
    if not ok:
        raise InvalidParameterError(param_message(
            "estimator", None, f"an estimator with {need}, which metric {metric.name!r} "
            "needs", estimator,
            "Use a probabilistic classifier, or wrap it in "
            "sklearn.calibration.CalibratedClassifierCV." if "proba" in need else None))


def _n_classes(target: _Target) -> int | None:
    """``n_classes`` for :func:`score_windows`: K for multiclass targets, else None."""
    return target.n_classes if target.task == "multiclass" else None
