"""Scoring predictions made elsewhere: :func:`evaluate_predictions`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from oot._frames import column_names, to_pandas
from oot._time import TimeKind
from oot._validation import (
    InvalidParameterError,
    caller,
    check_columns,
    entry_point,
    param_message,
)
from oot.evaluate._engine import (
    WINDOW_SCORER,
    _missing_classes_each,
    _multi_params,
    _prepare_targets,
    _shared_arrays,
)
from oot.evaluate._result import OOTEvaluation
from oot.evaluate._scorers import (
    DEFAULT_MAX_SEGMENTS,
    AnchorData,
    Segmentation,
    WindowBlocks,
    as_metrics,
    long_scores_frame,
    segmentations,
)
from oot.evaluate._shared import (
    _AnchorResult,
    _canonical_order,
    _check_common,
    _check_time_unit,
    _data_info,
    _jsonable,
    _params,
    _scores_frame,
    _seeds,
    _warn_positive_class,
    _warn_windows,
)
from oot.evaluate._target import (
    _encode_labels,
    _labels_text,
    _scalar,
    _Target,
)
from oot.metrics import Metric
from oot.windows import TimeAxis, WindowPlan, make_plan

__all__ = ["evaluate_predictions"]


@entry_point("evaluate_predictions")
def evaluate_predictions(
    data: pd.DataFrame,
    *,
    y_true: str,
    y_pred: str | Sequence[str],
    time: str,
    cutoff: Any,
    metric: str | Metric | Sequence[str | Metric] = "roc_auc",
    segment: str | Sequence[str] | None = None,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
    eval_window: Any = "30D",
    gap: Any = None,
    horizon: Any = None,
    min_window_size: int = 30,
    pos_label: Any = None,
    random_state: Any = None,
    time_unit: str | None = None,
) -> OOTEvaluation:
    """Score predictions made by a model trained elsewhere, window by window.

    Parameters
    ----------
    data : DataFrame
        Rows with the time, the true target and the model's predictions, in any order
        (rows of one timestamp are ordered by their values, so bootstrap standard
        errors do not depend on the input order): pandas, or a polars DataFrame or
        LazyFrame, a pyarrow Table or another frame narwhals reads (only these columns
        are converted). It is never modified.
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
    metric : str, Metric or list of them, default="roc_auc"
        A list scores each metric from the same prediction columns (a ``metric``
        column in the scores); each metric reads the column as it would alone.
    segment : str or list of str, default=None
        Also score every window per value of this column (or columns); see
        :func:`evaluate_out_of_time`.
    max_segments, eval_window, gap, horizon, min_window_size, pos_label, random_state, time_unit
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
    seg_cols = [] if segment is None else [segment]
    data = to_pandas(data, columns=column_names(y_true, y_pred, time, *seg_cols))
    _check_time_unit(time_unit, data, time)
    metrics, listed, preds, cuts, segs = _check_arguments(
        data, y_true=y_true, y_pred=y_pred, time=time, cutoff=cutoff, metric=metric,
        min_window_size=min_window_size, random_state=random_state, segment=segment,
        max_segments=max_segments)
    m = metrics[0]
    ax = TimeAxis.from_column(data, time)
    cut_values = _cutoff_values(ax, cuts)
    # the plan: one anchor per prediction column; training window irrelevant
    tw = "1ns" if ax.kind == "datetime" else 1e-9
    plan = make_plan(ax, train_window=tw, eval_window=eval_window, gap=gap,
                     horizon=horizon, anchors=cuts, expanding=True)
    tgts = _prepare_targets(data[y_true].to_numpy(), str(y_true), metrics, pos_label)
    # rows of one timestamp in an order fixed by their values (bootstrap SEs resample
    # rows by position)
    order, _ = _canonical_order(ax, data, [y_true, *preds])
    tgts_sorted = tuple(dataclasses.replace(t, y=y) for y, t in zip(
        _shared_arrays([t.y[order] for t in tgts], tgts), tgts, strict=True))
    segs_sorted = tuple(dataclasses.replace(sg, codes=sg.codes[order]) for sg in segs)
    # cutoffs are sorted by make_plan; keep the column that goes with each
    columns = [col for _, col in sorted(zip(cut_values, preds, strict=True))]
    results = _score_columns(data, columns, order, plan, tgts_sorted, metrics,
                             min_window_size=int(min_window_size),
                             random_state=random_state, segments=segs_sorted)
    if listed or segs:
        scores = long_scores_frame(plan, [r.outputs["windows"] if r.outputs else None
                                          for r in results], metrics, tgts_sorted,
                                   segs_sorted, metric_column=listed)
    else:
        scores = _scores_frame(plan, results, tgts_sorted[0])
    # a model trained elsewhere: its training start is unknown
    scores["train_start"] = pd.NaT if ax.kind == "datetime" else np.nan
    if ax.kind == "datetime" and ax.tz is not None:
        scores["train_start"] = scores["train_start"].dt.tz_localize(ax.tz)
    _warn_positive_class(tgts[0], m, pos_label, stacklevel=3)
    _warn_windows(scores, int(min_window_size), stacklevel=3,
                  detail=_missing_classes_each(plan, scores, metrics, tgts_sorted,
                                               1 + sum(sg.n_segments for sg in segs)))
    anchors_df = pd.DataFrame({
        "anchor": np.arange(1, plan.n_anchors + 1),
        "cutoff": [ax.to_stamp(c) for c in plan.cutoff],
        "prediction_column": columns,
        "status": "ok",
        "message": "",
    })
    params = _params(None, eval_window, gap, horizon, [str(c) for c in cuts], None, False,
                     min_window_size, m)
    params.update(y_true=str(y_true), y_pred=[str(p) for p in preds], time=str(time),
                  pos_label=_jsonable(tgts[0].pos_label))
    params.update(_multi_params(metrics, listed, segs, max_segments))
    if time_unit is not None:
        params["time_unit"] = time_unit.strip()
    return OOTEvaluation(scores=scores, metric=m, time_kind=ax.kind, anchors=anchors_df,
                         params=params, data_info=_data_info(ax, data),
                         metrics=metrics if listed else (),
                         segment_columns=tuple(sg.column for sg in segs))


def _check_arguments(
    data: Any, *, y_true: Any, y_pred: Any, time: Any, cutoff: Any, metric: Any,
    min_window_size: Any, random_state: Any, segment: Any, max_segments: Any,
) -> tuple[tuple[Metric, ...], bool, list[Any], list[Any], tuple[Segmentation, ...]]:
    """Check the arguments; return the metrics, whether a list was given, the
    prediction columns, the cutoffs and the segment columns."""
    func = caller()
    _check_common(data, min_window_size, random_state)
    metrics, listed = as_metrics(metric)
    cols = list(data.columns)
    # one column name (a string, a number, ...) or a list of them
    preds = list(y_pred) if isinstance(y_pred, (list, tuple, pd.Index, np.ndarray)) \
        else [y_pred]
    check_columns([y_true], cols, "y_true", func)
    check_columns(preds, cols, "y_pred", func)
    check_columns([time], cols, "time", func)
    if y_true == time:
        raise InvalidParameterError(param_message(
            "y_true", func, "a column other than the time column", y_true))
    clash = [p for p in preds if p in (time, y_true)]
    if clash:
        raise InvalidParameterError(param_message(
            "y_pred", func, "columns other than the time and y_true columns",
            clash[0] if len(preds) == 1 else clash))
    cuts = list(cutoff) if (isinstance(cutoff, Sequence) and not isinstance(cutoff, str)) \
        else [cutoff]
    if len(cuts) != len(preds):
        raise InvalidParameterError(param_message(
            "cutoff", func, f"one cutoff per y_pred column ({len(preds)})", cutoff))
    return metrics, listed, preds, cuts, segmentations(data, segment, max_segments)


def _cutoff_values(ax: TimeAxis, cuts: list[Any]) -> list[float]:
    """Each cutoff on the time axis, checked to lie inside the data's time span."""
    kind: TimeKind = ax.kind
    values = []
    for c in cuts:
        try:
            v = ax.from_stamp(c) if kind == "datetime" else float(c)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(param_message(
                "cutoff", None, "a timestamp" if kind == "datetime" else "a number", c)
            ) from exc
        if not (float(ax.t_min) <= v < ax.data_end):
            raise InvalidParameterError(param_message(
                "cutoff", None, f"inside the data's time span {ax.span_text()}", c))
        values.append(v)
    return values


def _score_columns(
    data: pd.DataFrame, columns: list[Any], order: np.ndarray, plan: WindowPlan,
    tgts_sorted: tuple[_Target, ...], metrics: tuple[Metric, ...], *,
    min_window_size: int, random_state: Any, segments: tuple[Segmentation, ...],
) -> list[_AnchorResult]:
    """Score each prediction column (one anchor each) on its windows, per metric and
    segment (the window scorer of :func:`evaluate_out_of_time`); ``order`` is the
    rows' time order."""
    _, score_seeds = _seeds(random_state, plan.n_anchors)
    results = []
    for a, col in enumerate(columns):
        elo, ehi = plan.eval_range(a)
        enc: dict[tuple[Any, ...], np.ndarray] = {}
        preds = []
        for m, t in zip(metrics, tgts_sorted, strict=True):
            # metrics that read the column alike share one encoded array
            key = (m.response == "predict", m.requires_probabilities, t.task, t.pos_label)
            if key not in enc:
                enc[key] = _encoded_predictions(data, col, order[elo:ehi], t, m)
            preds.append(enc[key])
        sel = plan.anchor_idx == a
        d = AnchorData(
            anchor=a, metrics=metrics,
            targets=tuple(dataclasses.replace(t, y=y) for y, t in zip(
                _shared_arrays([t.y[elo:ehi] for t in tgts_sorted], tgts_sorted),
                tgts_sorted, strict=True)),
            responses=tuple(preds), starts=plan.lo[sel] - elo, stops=plan.hi[sel] - elo,
            segments=tuple(dataclasses.replace(sg, codes=sg.codes[elo:ehi])
                           for sg in segments),
            min_window_size=min_window_size, seed=score_seeds[a], eval_rows=(elo, ehi))
        out = WINDOW_SCORER.score(d, None)
        if isinstance(out, WindowBlocks):
            results.append(_AnchorResult(out.overall[0], outputs={"windows": out}))
        else:
            results.append(_AnchorResult(out))
    return results


def _encoded_predictions(data: pd.DataFrame, col: Any, rows: np.ndarray, tgt: _Target,
                         m: Metric) -> np.ndarray:
    """The prediction column ``col`` at ``rows``, checked and encoded like the target."""
    raw = data[col].to_numpy()[rows]
    p: np.ndarray
    if tgt.task == "multiclass" and m.response != "predict":
        raise InvalidParameterError(param_message(
            "metric", None, "a label metric for a multiclass target with one "
            "prediction column", m.name))
    if tgt.task in ("binary", "multiclass") and m.response == "predict":
        p, bad = _encode_labels(raw, tgt)
        if bad.any():
            _refuse_labels(col, raw, bad, tgt, m)
        return p
    if raw.dtype.kind == "c" and tgt.task != "raw":
        msg = (f"The prediction column {col!r} must hold real numbers for metric "
               f"{m.name!r} (dtype {raw.dtype}).")
        raise InvalidParameterError(msg)
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
    if m.requires_probabilities and p.ndim == 1 and (
            np.any(p < 0) or np.any(p > 1)):
        msg = (f"The prediction column {col!r} must hold probabilities in [0, 1] "
               f"for metric {m.name!r}. Got values from {float(np.min(p)):g} to "
               f"{float(np.max(p)):g} after the cutoff. Pass the predicted "
               "probability of the positive class.")
        raise InvalidParameterError(msg)
    return p


def _refuse_labels(col: Any, raw: np.ndarray, bad: np.ndarray, tgt: _Target, m: Metric,
                   ) -> None:
    """Raise for a prediction column ``col`` whose values are not the target's labels."""
    assert tgt.classes is not None
    first = _scalar(raw[int(np.flatnonzero(bad)[0])])
    continuous = raw.dtype.kind == "f" and not np.all(raw[bad] == np.round(raw[bad]))
    if continuous:
        fix = ("Pass predicted labels, not scores; for probabilities use a metric such as "
               "'roc_auc' or 'log_loss'.")
    else:
        dtype = "str" if tgt.classes.dtype.kind in "OUS" else str(tgt.classes.dtype)
        fix = (f"Convert it to the target's type first, e.g. data[{col!r}].astype("
               f"{dtype!r}).")
    raise InvalidParameterError(param_message(
        "y_pred", None, f"a column of labels of {_labels_text(tgt)} for the label metric "
        f"{m.name!r}", first,
        f"{int(bad.sum())} of {len(raw)} values of column {col!r} (dtype "
        f"{raw.dtype}) after the cutoff are not classes of the target. {fix}"))
