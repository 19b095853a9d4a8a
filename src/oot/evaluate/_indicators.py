"""Leading indicators per (anchor, window): which ones, and one anchor's computation.

``evaluate_out_of_time(..., indicators=True)`` computes, for each anchor and each of its
evaluation windows and against that anchor's own training rows, label-free drift
statistics (:mod:`oot.evaluate._drift`): PSI and the Kolmogorov-Smirnov statistic of
every numeric feature, PSI over the categories of every categorical one, the same for
the model's predictions (against its predictions on the training rows), and for a
probabilistic classifier the confidence-based expected scores. They are named
``"<kind>:<source>"``: ``"psi:x1"``, ``"ks:x1"``, ``"psi:prediction"``,
``"expected:roc_auc"``; :attr:`OOTEvaluation.indicators` holds them as a tidy frame
(:data:`INDICATOR_COLUMNS`).

This module plans the indicators of one evaluation (:func:`plan_indicators`, which
checks ``indicators=``), computes one anchor's while its rows are in memory
(:func:`anchor_indicators`) and builds the tidy frame (:func:`indicators_frame`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oot._validation import InvalidParameterError, caller, closest, param_message
from oot.evaluate._drift import (
    EXPECTED,
    STATUSES,
    CategoricalReference,
    NumericReference,
    SharedGrid,
    categorical_windows,
    expected_windows,
    is_categorical,
    numeric_block_windows,
    shared_block_windows,
)
from oot.metrics import Metric, get_metric

if TYPE_CHECKING:
    from oot.evaluate._scorers import AnchorData

__all__ = ["INDICATOR_COLUMNS", "INDICATOR_STATUSES", "KINDS", "PREDICTION",
           "IndicatorSpec", "IndicatorPlan", "IndicatorScorer", "plan_indicators",
           "anchor_indicators", "indicators_frame", "indicator_direction", "split_name"]

#: Columns of :attr:`OOTEvaluation.indicators`, in order.
INDICATOR_COLUMNS = ["anchor", "window", "indicator", "value", "status"]
#: The statuses of an indicator value: the kernels' (:data:`oot.evaluate._drift.STATUSES`)
#: and "anchor_failed" (the anchor's model failed: no predictions, no value).
INDICATOR_STATUSES = (*STATUSES, "anchor_failed")
_ANCHOR_FAILED = len(STATUSES)
#: The kinds of indicator: ``"psi"``, ``"ks"`` and ``"expected"``.
KINDS = ("psi", "ks", "expected")
#: The source name of the model's predictions (``"psi:prediction"``).
PREDICTION = "prediction"


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator: ``name`` = ``kind:source``; ``source`` is a feature column, the
    predictions (:data:`PREDICTION`) or, for ``kind="expected"``, a metric name."""

    name: str
    kind: str
    source: str
    column: Any = None        # the feature column (its original label), else None
    categorical: bool = False


@dataclass(frozen=True)
class IndicatorPlan:
    """The indicators of one evaluation and what computing them needs."""

    specs: tuple[IndicatorSpec, ...]
    #: how the predictions are compared: "numeric" (1-D numbers), "labels" (class
    #: codes) or "classes" (class probabilities, compared by the most likely class)
    prediction_kind: str = "numeric"

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.specs]

    @property
    def needs_train_predictions(self) -> bool:
        """Whether the model must also predict its training rows."""
        return any(s.source == PREDICTION and s.kind != "expected" for s in self.specs)


def split_name(name: str) -> tuple[str, str]:
    """``"psi:x1"`` -> ``("psi", "x1")`` (the source may itself hold colons)."""
    kind, _, source = name.partition(":")
    return kind, source


def indicator_direction(name: str) -> int:
    """+1 when a larger value of the indicator is the alarming one (drift), -1 when a
    smaller one is (the expected value of a metric where greater is better)."""
    kind, source = split_name(name)
    if kind == "expected":
        try:
            return -1 if get_metric(source).greater_is_better else 1
        except InvalidParameterError:
            return 1
    return 1


# ----------------------------------------------------------------------- planning
def plan_indicators(request: Any, data: pd.DataFrame, features: Sequence[Any], *,
                    estimator: Any, metric: Metric, task: str) -> IndicatorPlan | None:
    """The indicators asked for by ``indicators=`` (None for none).

    ``True`` asks for every available indicator; a list names indicators
    (``"psi:x1"``) or kinds (``"psi"``, ``"ks"``, ``"expected"``: all of that kind).
    Raises for anything else, naming close names for an unknown one.
    """
    func = caller()
    if request is None or request is False:
        return None
    names = [str(f) for f in features]
    if PREDICTION in names:
        raise InvalidParameterError(param_message(
            "indicators", func, "indicators of features not named "
            f"{PREDICTION!r} (the name of the model's predictions)", request,
            f"Rename the feature column {PREDICTION!r}, e.g. "
            f"data.rename(columns={{{PREDICTION!r}: 'prediction_input'}})."))
    proba = (metric.response == "predict_proba" and hasattr(estimator, "predict_proba")
             and task in ("binary", "multiclass"))
    pred_kind = ("classes" if task == "multiclass" and metric.response != "predict"
                 else "labels" if task in ("binary", "multiclass")
                 and metric.response == "predict" else "numeric")
    available: list[IndicatorSpec] = []
    for col, nm in zip(features, names, strict=True):
        cat = is_categorical(data[col])
        available.append(IndicatorSpec(f"psi:{nm}", "psi", nm, col, cat))
        if not cat:
            available.append(IndicatorSpec(f"ks:{nm}", "ks", nm, col, False))
    pred_cat = pred_kind != "numeric"
    available.append(IndicatorSpec(f"psi:{PREDICTION}", "psi", PREDICTION, None, pred_cat))
    if not pred_cat:
        available.append(IndicatorSpec(f"ks:{PREDICTION}", "ks", PREDICTION))
    if proba:
        exp = ["roc_auc", "accuracy"] if task == "binary" else ["accuracy"]
        if metric.name in EXPECTED and metric.name not in exp and (
                EXPECTED[metric.name].binary if task == "binary"
                else EXPECTED[metric.name].multiclass):
            exp.append(metric.name)
        available += [IndicatorSpec(f"expected:{e}", "expected", e) for e in exp]
    if request is True:
        return IndicatorPlan(tuple(available), pred_kind)
    items = [request] if isinstance(request, str) else request
    if not isinstance(items, (list, tuple)) or not items or not all(
            isinstance(i, str) for i in items):
        raise InvalidParameterError(param_message(
            "indicators", func, "True, False, None or a non-empty list of indicator "
            "names ('psi:x1', 'ks:prediction', 'expected:roc_auc') or kinds ('psi', "
            "'ks', 'expected')", request))
    by_name = {s.name: s for s in available}
    chosen: list[IndicatorSpec] = []
    for item in items:
        if item in KINDS:
            found = [s for s in available if s.kind == item]
            if not found:
                raise InvalidParameterError(param_message(
                    "indicators", func, "indicators this evaluation can compute", item,
                    _why_unavailable(item, metric, estimator)))
            chosen += found
        elif item in by_name:
            chosen.append(by_name[item])
        else:
            hint = closest(item, list(by_name))
            fix = (f"Did you mean {hint!r}?" if hint is not None else
                   f"Available: {_listed(list(by_name))}.")
            kind, _ = split_name(item)
            if kind == "expected" and not proba:
                fix = _why_unavailable("expected", metric, estimator)
            raise InvalidParameterError(param_message(
                "indicators", func, "names of indicators this evaluation can compute "
                "('<kind>:<feature>', '<kind>:prediction' or 'expected:<metric>') or "
                "kinds ('psi', 'ks', 'expected')", item, fix))
    unique = list({s.name: s for s in chosen}.values())   # first of each, in order
    return IndicatorPlan(tuple(unique), pred_kind)


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:8])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 8 else "")


def _why_unavailable(kind: str, metric: Metric, estimator: Any) -> str:
    if kind == "expected":
        if metric.response != "predict_proba":
            return (f"Expected scores are computed from predicted probabilities; metric "
                    f"{metric.name!r} reads {metric.response}. Evaluate a probability "
                    "metric such as metric='roc_auc' or 'log_loss'.")
        return (f"Expected scores need predict_proba, which "
                f"{type(estimator).__name__} does not have.")
    return "No feature is numeric, so there is no KS statistic to compute."


# ----------------------------------------------------------------- one anchor
def _reads_features(spec: IndicatorSpec) -> bool:
    """Whether an indicator reads the feature columns only (not the model's output)."""
    return spec.kind != "expected" and spec.column is not None


def _numeric_block(X: Any, cols: list[Any], *, columns: bool = False) -> np.ndarray:
    """The numeric feature columns ``cols`` of the anchor's rows as one float array
    ``(n_rows, len(cols))``: a view of the engine's C-contiguous float block when the
    frame is one and ``cols`` are all its columns in order, else a copy (nullable
    dtypes: missing values become NaN). ``columns=True``: the transpose, each column
    contiguous (copied from the row-major block in slabs of rows, so that the block is
    read once rather than once per column)."""
    block: np.ndarray
    if isinstance(X, pd.DataFrame) and X.columns.is_unique and list(X.columns) == cols \
            and all(isinstance(d, np.dtype) and d.kind == "f" for d in X.dtypes):
        block = X.to_numpy()
        if not columns:
            return block
        out = np.empty((block.shape[1], block.shape[0]))
        step = 8192
        for i in range(0, block.shape[0], step):
            out[:, i:i + step] = block[i:i + step].T
        return out
    block = np.empty((len(cols), len(X)))
    for j, c in enumerate(cols):
        s = X[c]
        block[j] = (s.to_numpy(dtype=float, na_value=np.nan)
                    if isinstance(s, pd.Series) else np.asarray(s, dtype=float))
    return block if columns else block.T


def _references(cols: np.ndarray) -> list[NumericReference]:
    """Each row of ``cols`` (one column's training values) summarised."""
    return [NumericReference.from_values(c) for c in cols]


def _prediction_column(pred: np.ndarray, kind: str) -> Any:
    if kind == "classes":
        return pd.Series(np.argmax(pred, axis=1))
    if kind == "labels":
        return pd.Series(pred)
    return np.asarray(pred, dtype=float)


def anchor_indicators(plan: IndicatorPlan, *, X_train: Any, X_eval: Any,
                      starts: np.ndarray, stops: np.ndarray,
                      pred_train: np.ndarray | None, pred_eval: np.ndarray | None,
                      helper: Executor | None = None, part: str = "all",
                      grid: SharedGrid | None = None,
                      offsets: tuple[int, int] | None = None,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Every indicator of ``plan`` on each window of one anchor.

    ``X_train`` / ``X_eval`` are the anchor's training and evaluation rows,
    ``[starts[i], stops[i])`` the rows of window ``i`` within ``X_eval``;
    ``pred_train`` / ``pred_eval`` the model's predictions on them (``pred_train`` may be
    None when no prediction indicator but expected scores is planned). Returns
    ``values, status`` of shape ``(n_indicators, n_windows)`` (status codes index
    :data:`INDICATOR_STATUSES`).

    The kinds are dispatched here, by source: the numeric features together
    (:func:`~oot.evaluate._drift.numeric_block_windows` on the evaluation rows'
    float block, both PSI and KS from one pass over each window), each categorical
    feature (:func:`~oot.evaluate._drift.categorical_windows`), the predictions (as a
    numeric or a categorical column) and the expected scores
    (:func:`~oot.evaluate._drift.expected_windows`). Each source's training values are
    summarised once. With ``helper`` (a one-thread executor), half of the numeric
    windows are computed there.

    ``part="features"`` computes only the features' indicators (they do not need the
    model: the engine starts them while the anchor fits, :meth:`IndicatorScorer.prepare`),
    ``part="model"`` only the predictions' and the expected scores; the rows of the other
    part are left NaN.

    With ``grid`` (the evaluation's :class:`~oot.evaluate._drift.SharedGrid`) and
    ``offsets`` (the first training and the first evaluation row in the time-ordered
    data), the numeric features go through
    :func:`~oot.evaluate._drift.shared_block_windows`: the same values, the work per
    value shared with the other anchors.
    """
    n_w = len(starts)
    specs = plan.specs
    values = np.full((len(specs), n_w), np.nan)
    status = np.zeros((len(specs), n_w), dtype=np.int8)
    rows: dict[str, list[int]] = {}
    for i, s in enumerate(specs):
        if part == "all" or (part == "features") == _reads_features(s):
            rows.setdefault(s.source if s.kind != "expected" else "\0expected",
                            []).append(i)

    def put(idx: list[int], psi: tuple[np.ndarray, np.ndarray],
            ks: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        for i in idx:
            v, st = psi if specs[i].kind == "psi" or ks is None else ks
            values[i] = v
            status[i] = st

    numeric: list[tuple[Any, list[int]]] = []   # (feature column, spec rows)
    for source, idx in rows.items():
        spec = specs[idx[0]]
        if source == "\0expected":
            if pred_eval is None:
                msg = "expected scores need the predictions on the evaluation rows"
                raise ValueError(msg)
            v, st = expected_windows([specs[i].source for i in idx], pred_eval,
                                     starts, stops)
            values[idx] = v
            status[idx] = st
        elif source == PREDICTION and spec.column is None:
            if pred_train is None or pred_eval is None:
                msg = "prediction indicators need the predictions on training rows"
                raise ValueError(msg)
            train = _prediction_column(pred_train, plan.prediction_kind)
            ev = _prediction_column(pred_eval, plan.prediction_kind)
            if spec.categorical:
                put(idx, categorical_windows(CategoricalReference.from_values(train), ev,
                                             starts, stops))
            else:
                kinds = [specs[i].kind for i in idx]
                p, p_st, k, k_st = numeric_block_windows(
                    [NumericReference.from_values(train)], ev.reshape(-1, 1), starts,
                    stops, want_psi="psi" in kinds, want_ks="ks" in kinds)
                put(idx, (p[0], p_st[0]), (k[0], k_st[0]))
        elif spec.categorical:
            put(idx, categorical_windows(CategoricalReference.from_values(
                X_train[spec.column]), X_eval[spec.column], starts, stops))
        else:
            numeric.append((spec.column, idx))
    if numeric and grid is not None and offsets is not None:
        cols = [c for c, _ in numeric]
        wanted = [{specs[i].kind for i in idx} for _, idx in numeric]
        p, p_st, k, k_st = shared_block_windows(
            grid, _numeric_block(X_train, cols), offsets[0],
            _numeric_block(X_eval, cols), offsets[1], starts, stops,
            want_psi=np.array(["psi" in w for w in wanted]),
            want_ks=np.array(["ks" in w for w in wanted]))
        for j, (_, idx) in enumerate(numeric):
            put(idx, (p[j], p_st[j]), (k[j], k_st[j]))
    elif numeric:
        cols = [c for c, _ in numeric]
        train_cols = _numeric_block(X_train, cols, columns=True)
        eval_block = _numeric_block(X_eval, cols)
        half = len(cols) // 2 if helper is not None else 0
        later = (helper.submit(_references, train_cols[half:]) if helper is not None
                 else None)
        refs = _references(train_cols[:half] if later is not None else train_cols)
        if later is not None:
            refs += later.result()
        wanted = [{specs[i].kind for i in idx} for _, idx in numeric]
        p, p_st, k, k_st = numeric_block_windows(
            refs, eval_block, starts, stops, helper=helper,
            want_psi=np.array(["psi" in w for w in wanted]),
            want_ks=np.array(["ks" in w for w in wanted]))
        for j, (_, idx) in enumerate(numeric):
            put(idx, (p[j], p_st[j]), (k[j], k_st[j]))
    return values, status


@dataclass(frozen=True, eq=False)
class IndicatorScorer:
    """The leading indicators as one of the engine's per-anchor scorers
    (:class:`oot.evaluate._scorers.AnchorScorer`): :func:`anchor_indicators` on the
    anchor's :class:`~oot.evaluate._scorers.AnchorData`, against its training rows,
    from the first metric's predictions (on the training rows too when a prediction
    indicator is planned: the fit step is asked for them). Its output, ``(values,
    status)``, is ``_AnchorResult.outputs["indicators"]``.

    The features' indicators do not need the model: serially, the engine runs
    :meth:`prepare` on its helper thread while the anchor fits, and :meth:`score` adds
    the predictions' indicators and the expected scores to that
    (``data.extra["indicators"]``, a future); elsewhere (joblib workers) :meth:`score`
    computes everything. The prepared anchors share one
    :class:`~oot.evaluate._drift.SharedGrid` (``grid``): each value of the time-ordered
    features is bucketed once for all of them.
    """

    plan: IndicatorPlan
    name: str = "indicators"
    thread_safe: bool = True   # numpy only, no warning filters
    grid: SharedGrid = field(default_factory=SharedGrid, repr=False)

    @property
    def needs_train_response(self) -> bool:
        return self.plan.needs_train_predictions

    def prepare(self, X_train: Any, X_eval: Any, starts: np.ndarray, stops: np.ndarray,
                ready: Callable[[], None] | None = None, *,
                rows: tuple[int, int] | None = None,
                ) -> tuple[np.ndarray, np.ndarray] | None:
        """The features' indicators of one anchor (after ``ready()``, which waits for
        its evaluation rows); None when the plan has none. ``rows``: the first training
        and evaluation row of the anchor in the time-ordered data, which every anchor
        shares (then the numeric features use :attr:`grid`)."""
        if not any(_reads_features(s) for s in self.plan.specs):
            return None
        if ready is not None:
            ready()
        return anchor_indicators(self.plan, X_train=X_train, X_eval=X_eval,
                                 starts=starts, stops=stops, pred_train=None,
                                 pred_eval=None, part="features",
                                 grid=self.grid if rows is not None else None,
                                 offsets=rows)

    def score(self, data: AnchorData, helper: Executor | None,
              ) -> tuple[np.ndarray, np.ndarray]:
        prepared = data.extra.get(self.name)
        if prepared is None:
            return anchor_indicators(self.plan, X_train=data.X_train,
                                     X_eval=data.X_eval, starts=data.starts,
                                     stops=data.stops, pred_train=data.train_response,
                                     pred_eval=data.responses[0], helper=helper)
        values, status = anchor_indicators(
            self.plan, X_train=data.X_train, X_eval=data.X_eval, starts=data.starts,
            stops=data.stops, pred_train=data.train_response,
            pred_eval=data.responses[0], helper=helper, part="model")
        done = prepared.result()
        if done is not None:
            rows = [i for i, s in enumerate(self.plan.specs) if _reads_features(s)]
            values[rows] = done[0][rows]
            status[rows] = done[1][rows]
        return values, status


# ------------------------------------------------------------------ the table
def _joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    """The parts end to end (an empty array of ``dtype`` when there are none)."""
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


def indicators_frame(plan: IndicatorPlan, n_windows: Sequence[int],
                     blocks: Sequence[tuple[np.ndarray, np.ndarray] | None],
                     ) -> pd.DataFrame:
    """The tidy table of :attr:`OOTEvaluation.indicators`: one row per (anchor, window,
    indicator), in that order; ``blocks[a]`` is anchor ``a``'s ``(values, status)``, or
    None when its model failed (value NaN, status "anchor_failed")."""
    names = np.asarray(plan.names, dtype=object)
    k = len(names)
    parts_a, parts_w, parts_n, parts_v, parts_s = [], [], [], [], []
    for a, (n_w, blk) in enumerate(zip(n_windows, blocks, strict=True)):
        n_w = int(n_w)
        if blk is None:
            v = np.full((k, n_w), np.nan)
            st = np.full((k, n_w), _ANCHOR_FAILED, dtype=np.int8)
        else:
            v, st = blk
        parts_a.append(np.full(n_w * k, a + 1, dtype=np.int64))
        parts_w.append(np.repeat(np.arange(1, n_w + 1, dtype=np.int64), k))
        parts_n.append(np.tile(names, n_w))
        parts_v.append(v.T.ravel())
        parts_s.append(st.T.ravel())
    status_names = np.asarray(INDICATOR_STATUSES, dtype=object)
    return pd.DataFrame({
        "anchor": _joined(parts_a, np.int64),
        "window": _joined(parts_w, np.int64),
        "indicator": pd.Series(_joined(parts_n, object), dtype=object),
        "value": _joined(parts_v, float).astype(float),
        "status": pd.Series(status_names[_joined(parts_s, np.int8).astype(np.intp)],
                            dtype=object),
    })
