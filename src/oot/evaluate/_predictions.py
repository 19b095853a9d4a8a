"""Scoring predictions made elsewhere: :func:`evaluate_predictions`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from oot._time import TimeKind
from oot._validation import InvalidParameterError, check_columns, param_message
from oot.evaluate._result import OOTEvaluation
from oot.evaluate._shared import (
    _check_common,
    _data_info,
    _jsonable,
    _params,
    _scores_frame,
    _seeds,
    _warn_windows,
)
from oot.evaluate._target import _n_classes, _prepare_target, _Target
from oot.metrics import Metric, get_metric, score_windows
from oot.windows import TimeAxis, make_plan

__all__ = ["evaluate_predictions"]


def evaluate_predictions(
    data: pd.DataFrame,
    *,
    y_true: str,
    y_pred: str | Sequence[str],
    time: str,
    cutoff: Any,
    metric: str | Metric = "roc_auc",
    eval_window: Any = "30D",
    gap: Any = None,
    horizon: Any = None,
    min_window_size: int = 30,
    pos_label: Any = None,
    random_state: Any = None,
) -> OOTEvaluation:
    """Score predictions made by a model trained elsewhere, window by window.

    Parameters
    ----------
    data : DataFrame
        Rows with the time, the true target and the model's predictions.
    y_true : str
        Column of true values.
    y_pred : str or list of str
        Column(s) of predictions: scores or probabilities of the positive class for
        ``roc_auc``/``average_precision``/``log_loss``/``brier``, labels for label
        metrics, values for regression. A list gives one anchor per column, each with
        its cutoff in ``cutoff`` (several models trained elsewhere).
    time : str
        Time column.
    cutoff : timestamp, number, or list of them
        End of each model's training data (one per ``y_pred`` column). Rows before
        ``cutoff + gap`` are not scored.
    metric : str or Metric, default="roc_auc"
    eval_window, gap, horizon, min_window_size, pos_label, random_state
        As in :func:`evaluate_out_of_time`.

    Returns
    -------
    OOTEvaluation

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from oot import evaluate_predictions
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=900, freq="4h")})
    >>> df["y"] = rng.integers(0, 2, len(df))
    >>> df["p"] = np.clip(0.3 * df["y"] + 0.7 * rng.random(len(df)), 0, 1)
    >>> ev = evaluate_predictions(df, y_true="y", y_pred="p", time="ts",
    ...                           cutoff="2024-01-15", eval_window="30D")
    >>> ev.scores[["window", "n", "partial"]].values.tolist()
    [[1, 180, False], [2, 180, False], [3, 180, False], [4, 180, False], [5, 96, True]]
    """
    func = "evaluate_predictions"
    _check_common(func, data, min_window_size, random_state)
    m = get_metric(metric, func=func)
    cols = list(data.columns)
    preds = [y_pred] if isinstance(y_pred, str) else list(y_pred)
    check_columns([y_true], cols, "y_true", func)
    check_columns(preds, cols, "y_pred", func)
    check_columns([time], cols, "time", func)
    cuts = list(cutoff) if (isinstance(cutoff, Sequence) and not isinstance(cutoff, str)) \
        else [cutoff]
    if len(cuts) != len(preds):
        raise InvalidParameterError(param_message(
            "cutoff", func, f"one cutoff per y_pred column ({len(preds)})", cutoff))
    ax = TimeAxis.from_column(data, time, func)
    kind: TimeKind = ax.kind
    for c in cuts:
        try:
            v = ax.from_stamp(c) if kind == "datetime" else float(c)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(param_message(
                "cutoff", func, "a timestamp" if kind == "datetime" else "a number", c)
            ) from exc
        if not (float(ax.t_min) <= v < ax.data_end):
            raise InvalidParameterError(param_message(
                "cutoff", func, f"inside the data's time span {ax.span_text()}", c))
    # the plan: one anchor per prediction column; training window irrelevant
    tw = "1ns" if kind == "datetime" else 1e-9
    plan = make_plan(ax, func=func, train_window=tw, eval_window=eval_window, gap=gap,
                     horizon=horizon, anchors=cuts, expanding=True)
    order = ax.order
    tgt = _prepare_target(data[y_true].to_numpy(), str(y_true), m, pos_label, func)
    y_sorted = tgt.y[order]
    tgt_sorted = _Target(y_sorted, tgt.classes, tgt.pos_label, tgt.task)
    _, score_seeds = _seeds(random_state, plan.n_anchors)
    results: list[dict[str, Any]] = []
    # cutoffs are sorted by make_plan; keep the column that goes with each
    pairs = sorted(zip((ax.from_stamp(c) if kind == "datetime" else float(c) for c in cuts),
                       preds, strict=True))
    for a, (_, col) in enumerate(pairs):
        elo, ehi = plan.eval_range(a)
        raw = data[col].to_numpy()[order[elo:ehi]]
        if tgt.task == "binary" and m.response == "predict":
            p = (raw == tgt.pos_label).astype(np.int64)
        elif tgt.task == "multiclass":
            assert tgt.classes is not None
            if m.response != "predict":
                raise InvalidParameterError(param_message(
                    "metric", func, "a label metric for a multiclass target with one "
                    "prediction column", m.name))
            p = np.searchsorted(tgt.classes, raw).astype(np.int64)
        else:
            try:
                p = np.asarray(raw, dtype=float) if tgt.task != "raw" else raw
            except (TypeError, ValueError) as exc:
                msg = (f"The prediction column {col!r} must hold numbers for metric "
                       f"{m.name!r} (dtype {data[col].dtype}, first value {raw[0]!r}). "
                       "Pass scores or probabilities, or choose a label metric such as "
                       "'accuracy'.")
                raise InvalidParameterError(msg) from exc
            if p.dtype.kind == "f" and not np.all(np.isfinite(p)):
                msg = (f"The prediction column {col!r} has {int((~np.isfinite(p)).sum())} "
                    f"missing or infinite value(s) after the cutoff. Fill or drop them.")
                raise InvalidParameterError(msg)
            if m.name in ("log_loss", "brier") and p.ndim == 1 and (
                    np.any(p < 0) or np.any(p > 1)):
                msg = (f"The prediction column {col!r} must hold probabilities in [0, 1] "
                       f"for metric {m.name!r}. Got values from {float(np.min(p)):g} to "
                       f"{float(np.max(p)):g} after the cutoff. Pass the predicted "
                       "probability of the positive class.")
                raise InvalidParameterError(msg)
        sel = plan.anchor_idx == a
        ws = score_windows(m, y_sorted[elo:ehi], p, plan.lo[sel] - elo, plan.hi[sel] - elo,
                           min_window_size=int(min_window_size),
                           n_classes=_n_classes(tgt),
                           random_state=score_seeds[a])
        results.append({"status": "ok", "scores": ws})
    scores = _scores_frame(plan, results, tgt_sorted)
    # a model trained elsewhere: its training start is unknown
    scores["train_start"] = pd.NaT if kind == "datetime" else np.nan
    if kind == "datetime" and ax.tz is not None:
        scores["train_start"] = scores["train_start"].dt.tz_localize(ax.tz)
    _warn_windows(scores, int(min_window_size), stacklevel=2)
    anchors_df = pd.DataFrame({
        "anchor": np.arange(1, plan.n_anchors + 1),
        "cutoff": [ax.to_stamp(c) for c in plan.cutoff],
        "prediction_column": [c for _, c in pairs],
        "status": "ok",
        "message": "",
    })
    params = _params(None, eval_window, gap, horizon, [str(c) for c in cuts], None, False,
                     min_window_size, m)
    params.update(y_true=str(y_true), y_pred=[str(p) for p in preds], time=str(time),
                  pos_label=_jsonable(tgt.pos_label))
    return OOTEvaluation(scores=scores, metric=m, time_kind=kind, anchors=anchors_df,
                         params=params, data_info=_data_info(ax, data))
