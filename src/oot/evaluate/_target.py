"""The target and the estimator's response, encoded for the metric.

:func:`_prepare_target` checks the target column against the metric and encodes it
(0/1 for binary metrics, class codes for multiclass ones, floats for regression);
:func:`_response` asks a fitted estimator for the predictions the metric needs,
encoded the same way.
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

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``; by hashing for integers and objects (5-20x faster there)."""
    if values.dtype.kind in "fc":
        return np.unique(values)
    return np.sort(pd.unique(values))


def _prepare_target(values: np.ndarray, name: str, metric: Metric, pos_label: Any,
                    ) -> _Target:
    """Check the target column ``name`` against the metric and encode it."""
    func = caller()
    task = metric.task
    if task in ("binary", "classification"):
        na = np.zeros(0, dtype=bool) if values.dtype.kind in "biu" else pd.isna(values)
        if na.any():
            msg = (f"The target column {name!r} has {int(na.sum())} missing value(s) (row "
                f"positions {np.flatnonzero(na)[:5].tolist()}). Drop those rows before "
                f"calling {func}.")
            raise InvalidParameterError(msg)
        classes = _sorted_unique(values)
        if len(classes) < 2:
            msg = (f"The target column {name!r} has a single class ({classes.tolist()}), so "
                f"metric {metric.name!r} cannot be computed. Check the target column.")
            raise InvalidParameterError(msg)
        if len(classes) > 2 and task == "binary":
            msg = (f"Metric {metric.name!r} needs a binary target, but column {name!r} has "
                f"{len(classes)} classes ({classes[:10].tolist()}). Use a multiclass metric "
                "such as 'accuracy', 'balanced_accuracy', 'log_loss' or 'roc_auc'.")
            raise InvalidParameterError(msg)
        if values.dtype.kind == "f" and len(classes) > 20 and not np.all(
                classes == np.round(classes)):
            msg = (f"Metric {metric.name!r} is a classification metric, but the target column "
                f"{name!r} looks continuous ({len(classes)} distinct float values). Use a "
                "regression metric such as 'rmse' or 'mae'.")
            raise InvalidParameterError(msg)
        if len(classes) == 2:
            if pos_label is None:
                pos_label = classes[-1]
            elif pos_label not in set(classes.tolist()):
                raise InvalidParameterError(param_message(
                    "pos_label", func, f"one of the target's classes {classes.tolist()}",
                    pos_label))
            return _Target((values == pos_label).astype(np.int64), classes, pos_label,
                           "binary")
        codes = np.searchsorted(classes, values).astype(np.int64)
        return _Target(codes, classes, None, "multiclass")
    # regression or custom
    if task == "regression":
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
        return _Target(y, None, None, "regression")
    na = pd.isna(values)
    if np.any(na):
        msg = (f"The target column {name!r} has {int(np.sum(na))} missing value(s). Drop "
            f"those rows before calling {func}.")
        raise InvalidParameterError(msg)
    return _Target(np.asarray(values), None, pos_label, "raw")


def _response(estimator: Any, X: Any, metric: Metric, target: _Target) -> np.ndarray:
    """The predictions the metric needs, encoded like the target."""
    resp = metric.response
    if resp in ("predict_proba", "decision_function"):
        has_proba = hasattr(estimator, "predict_proba")
        has_dec = hasattr(estimator, "decision_function")
        if resp == "predict_proba" and has_proba:
            proba = np.asarray(estimator.predict_proba(X), dtype=float)
            est_classes = list(getattr(estimator, "classes_", range(proba.shape[1])))
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
            dec = np.asarray(estimator.decision_function(X), dtype=float)
            est_classes = list(getattr(estimator, "classes_", [0, 1]))
            if dec.ndim == 1 and target.task == "binary" and est_classes and (
                    est_classes[-1] != target.pos_label):
                dec = -dec
            return dec
        raise AttributeError(
            f"the estimator {type(estimator).__name__} has no predict_proba"
            + (" or decision_function" if metric.requires_two_classes else "")
            + f", which metric {metric.name!r} needs")
    pred = np.asarray(estimator.predict(X))
    if target.task == "binary":
        return np.asarray(pred == target.pos_label, dtype=np.int64)
    if target.task == "multiclass":
        assert target.classes is not None
        return np.searchsorted(target.classes, pred).astype(np.int64)
    if target.task == "regression":
        return pred.astype(float)
    return pred


def _check_response_method(estimator: Any, metric: Metric) -> None:
    """Refuse an estimator without the prediction method the metric needs."""
    resp = metric.response
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
