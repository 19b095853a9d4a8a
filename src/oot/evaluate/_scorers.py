"""Several metrics and segments from one set of fits, and the per-anchor scorer hook.

An anchor's model is fitted once and asked once for each response its metrics need
(:class:`ResponseCache`: ``predict_proba`` for several probability metrics is one
call). What is then computed from the anchor's rows is a tuple of *scorers*: objects
with a ``name``, a ``thread_safe`` flag and ``score(data, helper)``, each reading the
one :class:`AnchorData` of the anchor (its target, the responses, the window ranges,
the segment codes, the training and evaluation rows and the fitted model). The window
scorer (``oot.evaluate._engine._WindowScorer``) is the first; the label-free leading
indicators from the training and evaluation rows are another
(:class:`oot.evaluate._indicators.IndicatorScorer`); later work adds its own without
touching the fit.

This module holds the pieces that do not call the metrics: the checks of ``metric=``
lists and of ``segment=`` columns (:func:`as_metrics`, :func:`segmentations`), the
ranges of every (segment, window) in one anchor (:func:`segment_ranges`) and the long
scores table with ``metric`` / ``segment`` columns (:func:`long_scores_frame`).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from oot._validation import InvalidParameterError, caller, check_columns, param_message
from oot.evaluate._result import ALL_SEGMENTS, SCORE_COLUMNS
from oot.evaluate._target import _Target
from oot.metrics import Metric, WindowScores, available, get_metric
from oot.windows import WindowPlan

__all__ = ["ALL", "MISSING", "AnchorData", "AnchorScorer", "ResponseCache", "as_metrics",
           "segmentations", "Segmentation", "segment_ranges", "long_scores_frame",
           "DEFAULT_MAX_SEGMENTS"]

#: The ``segment`` label of the rows that score the whole population.
ALL = ALL_SEGMENTS
#: The label of the rows whose segment value is missing (NaN, None, NaT).
MISSING = "(missing)"
#: ``max_segments`` by default: more distinct values in a segment column is an error.
DEFAULT_MAX_SEGMENTS = 50

_CLASSIFICATION_TASKS = ("binary", "classification")


# ------------------------------------------------------------------------- metrics
def as_metrics(metric: Any) -> tuple[tuple[Metric, ...], bool]:
    """The metrics of ``metric=`` and whether a list was given.

    A name or a :class:`Metric` gives one metric (the first-round table, no ``metric``
    column); a list or tuple gives each, checked: known names (the message names the
    unknown one and the close names), no metric twice, and one kind of target
    (classification and regression metrics cannot share one model).
    """
    func = caller()
    if not isinstance(metric, (list, tuple)):  # one metric (or get_metric's error)
        return (get_metric(metric, func=func),), False
    if len(metric) == 0:
        raise InvalidParameterError(param_message(
            "metric", func, "a metric name, an oot.Metric or a non-empty list of them",
            metric, f"Choose from {available()}."))
    out: list[Metric] = []
    for item in metric:
        if not isinstance(item, (str, Metric)):
            raise InvalidParameterError(param_message(
                "metric", func, "a list of metric names or oot.Metric objects", metric,
                f"The item {item!r} is neither."))
        out.append(get_metric(item, func=func))
    names = [m.name for m in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidParameterError(param_message(
            "metric", func, "a list of distinct metrics", names,
            f"{', '.join(repr(n) for n in twice)} appears more than once; list each "
            "metric once."))
    clf = [m.name for m in out if m.task in _CLASSIFICATION_TASKS]
    reg = [m.name for m in out if m.task == "regression"]
    if clf and reg:
        raise InvalidParameterError(param_message(
            "metric", func, "metrics of one kind of target (all classification or all "
            "regression), since one model per anchor serves them all", names,
            f"{', '.join(repr(n) for n in clf)} need(s) a classification target and "
            f"{', '.join(repr(n) for n in reg)} a regression one; evaluate them in "
            "separate runs."))
    return tuple(out), True


# ------------------------------------------------------------------------ segments
@dataclass(frozen=True, eq=False)
class Segmentation:
    """One segment column: a code per data row and the label of each code.

    ``codes`` are in the data's row order (the engine puts them in time order); the
    missing values, if any, have the last code, labelled :data:`MISSING`.
    """

    column: str
    codes: np.ndarray
    labels: tuple[str, ...]

    @property
    def n_segments(self) -> int:
        return len(self.labels)


def segmentations(data: pd.DataFrame, segment: Any, max_segments: Any,
                  ) -> tuple[Segmentation, ...]:
    """The segment columns of ``segment=`` (None, a column or a list of columns), checked.

    A single column labels its segments by the value (``"EWR"``); several columns by
    ``"column=value"``. Missing values form their own segment, labelled
    :data:`MISSING`. An absent column, an all-missing one, more than ``max_segments``
    distinct values, or two values with the same label are errors.
    """
    func = caller()
    if not (isinstance(max_segments, numbers.Integral) and not isinstance(
            max_segments, bool) and int(max_segments) >= 1):
        raise InvalidParameterError(param_message(
            "max_segments", func, "an int >= 1", max_segments))
    if segment is None:
        return ()
    cols = [segment] if isinstance(segment, str) else segment
    if not isinstance(cols, (list, tuple)) or not cols:
        raise InvalidParameterError(param_message(
            "segment", func, "a column name or a non-empty list of column names", segment))
    check_columns(cols, list(data.columns), "segment", func)
    if len(set(cols)) != len(cols):
        raise InvalidParameterError(param_message(
            "segment", func, "distinct column names", list(cols)))
    several = len(cols) > 1
    return tuple(_segmentation(data.loc[:, c], str(c), int(max_segments), several, func)
                 for c in cols)


def _segmentation(values: pd.Series, column: str, max_segments: int, several: bool,
                  func: str) -> Segmentation:
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    missing = codes < 0
    if missing.all():
        raise InvalidParameterError(param_message(
            "segment", func, "a column with at least one non-missing value",
            column, f"All {len(values)} values of column {column!r} are missing."))
    n_values = len(uniques) + int(missing.any())
    if n_values > max_segments:
        raise InvalidParameterError(param_message(
            "segment", func, f"a column with at most max_segments={max_segments} "
            "distinct values", column,
            f"Column {column!r} has {n_values} distinct values. Group them first (for "
            f"example keep the largest and map the rest to 'other': "
            f"data[{column!r}].where(data[{column!r}].isin(top), 'other')), or raise "
            "max_segments."))
    labels = [str(v) for v in uniques]
    if missing.any():
        codes = np.where(missing, len(uniques), codes)
        labels.append(MISSING)
    if several:
        labels = [f"{column}={lab}" for lab in labels]
    seen: dict[str, int] = {}
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
    clash = sorted(lab for lab, k in seen.items() if k > 1 or lab == ALL)
    if clash:
        raise InvalidParameterError(param_message(
            "segment", func, "a column whose values read differently as text", column,
            f"The labels {clash} stand for more than one value (or for the whole "
            f"population, {ALL!r}); convert the column, e.g. data[{column!r}].astype(str)."))
    dtype = np.int16 if len(labels) < np.iinfo(np.int16).max else np.int32
    return Segmentation(column, np.asarray(codes, dtype=dtype), tuple(labels))


def segment_ranges(codes: np.ndarray, n_segments: int, starts: np.ndarray,
                   stops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (segment, window) of one anchor as a contiguous range of permuted rows.

    Within the anchor's evaluation rows (in time order), a stable sort by segment code
    keeps each segment's rows in time order, so window ``w`` of segment ``s`` is one
    range ``[lo, hi)`` of the permuted rows. Returns the permutation and ``lo``, ``hi``
    of shape ``(n_segments * n_windows,)``, segment-major.

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([1, 0, 1, 1, 0, 0], dtype=np.int16)
    >>> perm, lo, hi = segment_ranges(codes, 2, np.array([0, 3]), np.array([3, 6]))
    >>> perm.tolist()
    [1, 4, 5, 0, 2, 3]
    >>> [perm[a:b].tolist() for a, b in zip(lo, hi)]
    [[1], [4, 5], [0, 2], [3]]
    """
    n = len(codes)
    perm = np.argsort(codes, kind="stable")
    key = codes[perm].astype(np.int64) * (n + 1) + perm
    seg = np.arange(n_segments, dtype=np.int64)[:, None] * (n + 1)
    lo = np.searchsorted(key, (seg + np.asarray(starts, np.int64)[None, :]).ravel())
    hi = np.searchsorted(key, (seg + np.asarray(stops, np.int64)[None, :]).ravel())
    return perm, lo.astype(np.int64), hi.astype(np.int64)


# --------------------------------------------------------------- the scorer hook
class ResponseCache:
    """A fitted estimator whose prediction methods run at most once each.

    Every metric asks :func:`oot.evaluate._target._response` for its predictions; on
    this wrapper a second ``predict_proba(X)`` (or ``predict``, ``decision_function``)
    returns the first call's output instead of predicting again. It is made for one
    ``X`` (an anchor's evaluation rows); other attributes are the estimator's.
    """

    _METHODS = ("predict", "predict_proba", "decision_function")

    def __init__(self, estimator: Any) -> None:
        self._estimator = estimator
        self._out: dict[str, Any] = {}
        self.calls: dict[str, int] = {}

    @property
    def estimator(self) -> Any:
        """The fitted estimator itself (its methods predict every time)."""
        return self._estimator

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self._estimator, name)  # AttributeError as the estimator's
        if name not in self._METHODS:
            return attr

        def once(X: Any) -> Any:
            if name not in self._out:
                self._out[name] = attr(X)
                self.calls[name] = self.calls.get(name, 0) + 1
            return self._out[name]

        return once


@dataclass(frozen=True, eq=False)
class AnchorData:
    """What every scorer of one anchor reads (nothing is copied to build it).

    Attributes
    ----------
    anchor : int
        The anchor's 0-based index.
    metrics : tuple of Metric
    targets : tuple of _Target
        Per metric: the encoded target of the evaluation rows (the same array for
        metrics that encode it alike).
    responses : tuple of ndarray
        Per metric: its predictions on the evaluation rows (one array for metrics that
        read the same response).
    starts, stops : ndarray
        Each window's rows ``[starts[i], stops[i])`` of the evaluation rows.
    segments : tuple of Segmentation
        Per segment column: ``codes`` of the evaluation rows and the labels.
    min_window_size, seed : int
    eval_rows, train_rows : tuple of int
        ``[lo, hi)`` of the evaluation and training rows in the time-ordered data.
    X_train, y_train, X_eval, model : Any
        The anchor's training rows and target as the estimator was fitted on them, its
        evaluation rows and the fitted model (None where the predictions came from
        elsewhere, :func:`oot.evaluate_predictions`).
    train_response : ndarray or None
        The first metric's response on the training rows, when a scorer asked for it
        (``needs_train_response``); else None.
    extra : mapping
        Per scorer name, the future of its ``prepare`` when the engine started it
        (:class:`AnchorScorer`); else empty.
    """

    anchor: int
    metrics: tuple[Metric, ...]
    targets: tuple[_Target, ...]
    responses: tuple[np.ndarray, ...]
    starts: np.ndarray
    stops: np.ndarray
    segments: tuple[Segmentation, ...] = ()
    min_window_size: int = 1
    seed: int | None = None
    eval_rows: tuple[int, int] = (0, 0)
    train_rows: tuple[int, int] = (0, 0)
    X_train: Any = None
    y_train: Any = None
    X_eval: Any = None
    model: Any = None
    train_response: np.ndarray | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class AnchorScorer(Protocol):
    """What the engine runs on each anchor's :class:`AnchorData`.

    ``name`` keys its output in the anchor's result (``_AnchorResult.outputs``);
    ``thread_safe`` says it may run on the engine's helper thread while the next
    anchor fits (no warning filters, no process-wide state); ``needs_train_response``
    asks the fit step to predict the training rows too (the first metric's response,
    :attr:`AnchorData.train_response`); ``score`` may hand part of its work to
    ``helper`` (a one-thread executor, or None). The leading indicators are one
    (:class:`oot.evaluate._indicators.IndicatorScorer`).

    Optionally, ``prepare(X_train, X_eval, starts, stops, ready)``: the part of the work
    that reads the anchor's rows but not its model; serially, the engine starts it on
    its helper thread before the anchor fits (``ready()`` waits for the evaluation
    rows), and ``score`` finds its future in ``data.extra[name]``.
    """

    @property
    def name(self) -> str: ...

    @property
    def thread_safe(self) -> bool: ...

    @property
    def needs_train_response(self) -> bool: ...

    def score(self, data: AnchorData, helper: Executor | None) -> Any:
        """One anchor's output (picklable: it comes back from parallel workers)."""
        ...


@dataclass(frozen=True, eq=False)
class WindowBlocks:
    """The window scorer's output for several metrics or segments, for one anchor.

    ``overall[i]``: metric ``i`` on the anchor's windows; ``by_segment[j][i]``: metric
    ``i`` on every (segment, window) of segment column ``j``, segment-major.
    """

    overall: tuple[WindowScores, ...]
    by_segment: tuple[tuple[WindowScores, ...], ...]


# ----------------------------------------------------------------- the long table
def long_scores_frame(plan: WindowPlan, blocks: Sequence[WindowBlocks | None],
                      metrics: tuple[Metric, ...], targets: tuple[_Target, ...],
                      segs: tuple[Segmentation, ...], *, metric_column: bool,
                      ) -> pd.DataFrame:
    """The scores table of several metrics or segments: one row per (metric, segment,
    anchor, window), metric-major, the whole population (:data:`ALL`) before each
    segment column's segments; a ``metric`` column when a list was given, a
    ``segment`` column when segments were. ``targets`` are in time order (for the
    counts of failed anchors' windows); ``segs`` hold codes in time order."""
    base = plan.to_frame().drop(columns="n_train")
    n_w = plan.n_windows
    binary = all(t.task == "binary" for t in targets)
    cols = SCORE_COLUMNS + (["n_pos", "n_neg"] if binary else [])
    anchor_rows = [np.flatnonzero(plan.anchor_idx == a) for a in range(plan.n_anchors)]
    # failed anchors: the rows and positives of every (segment, window)
    counts = _failed_counts(plan, blocks, targets[0], segs, anchor_rows)

    layouts: list[tuple[str, int, int]] = [(ALL, -1, 0)]
    for j, sg in enumerate(segs):
        layouts += [(lab, j, s) for s, lab in enumerate(sg.labels)]
    n_parts = len(metrics) * len(layouts)
    score = np.full((n_parts, n_w), np.nan)
    se = np.full((n_parts, n_w), np.nan)
    n = np.tile((plan.hi - plan.lo).astype(np.int64), (n_parts, 1))
    n_pos = np.zeros((n_parts, n_w), dtype=np.int64)
    status = np.empty((n_parts, n_w), dtype=object)
    names: list[str] = []
    labels: list[str] = []
    part = 0
    for i, m in enumerate(metrics):
        for label, j, s in layouts:
            names.append(m.name)
            labels.append(label)
            for a, rows in enumerate(anchor_rows):
                blk = blocks[a]
                w = len(rows)
                if blk is None:
                    status[part, rows] = "anchor_failed"
                    cn, cp = counts[(a, j)]
                    n[part, rows] = cn[s * w:(s + 1) * w] if j >= 0 else cn
                    n_pos[part, rows] = cp[s * w:(s + 1) * w] if j >= 0 else cp
                    continue
                ws = blk.overall[i] if j < 0 else blk.by_segment[j][i]
                sl = slice(None) if j < 0 else slice(s * w, (s + 1) * w)
                score[part, rows] = ws.score[sl]
                se[part, rows] = ws.se[sl]
                n[part, rows] = ws.n[sl]
                status[part, rows] = ws.status[sl]
                if ws.n_pos is not None:
                    n_pos[part, rows] = ws.n_pos[sl]
            part += 1
    # one frame: the plan's rows repeated once per (metric, segment), then the values
    df = base.iloc[np.tile(np.arange(n_w), n_parts)].reset_index(drop=True)
    df["n"] = n.ravel()
    df["score"] = score.ravel()
    df["se"] = se.ravel()
    df["status"] = pd.Series(status.ravel(), dtype=object)
    if binary:
        df["n_pos"] = n_pos.ravel()
        df["n_neg"] = (n - n_pos).ravel()
    df = df[cols]
    lead: dict[str, list[str]] = {}
    if metric_column:
        lead["metric"] = names
    if segs:
        lead["segment"] = labels
    for pos, (k, v) in enumerate(lead.items()):
        df.insert(pos, k, pd.Series(np.repeat(np.array(v, dtype=object), n_w),
                                    dtype=object))
    return df


def _failed_counts(plan: WindowPlan, blocks: Sequence[WindowBlocks | None],
                   target: _Target, segs: tuple[Segmentation, ...],
                   anchor_rows: list[np.ndarray],
                   ) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    out: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    binary = target.task == "binary"
    for a, rows in enumerate(anchor_rows):
        if blocks[a] is not None:
            continue
        lo, hi = plan.lo[rows], plan.hi[rows]
        y = target.y
        pos = np.array([int(y[x:z].sum()) if binary else 0 for x, z in zip(lo, hi,
                                                                          strict=True)])
        out[(a, -1)] = ((hi - lo).astype(np.int64), pos.astype(np.int64))
        for j, sg in enumerate(segs):
            n_s = sg.n_segments
            cn = np.zeros((n_s, len(rows)), dtype=np.int64)
            cp = np.zeros((n_s, len(rows)), dtype=np.int64)
            for k, (x, z) in enumerate(zip(lo, hi, strict=True)):
                c = sg.codes[x:z].astype(np.int64)
                cn[:, k] = np.bincount(c, minlength=n_s)
                if binary:
                    cp[:, k] = np.bincount(c, weights=y[x:z], minlength=n_s).astype(
                        np.int64)
            out[(a, j)] = (cn.ravel(), cp.ravel())
    return out
