"""What both entry points share: the common checks, the per-anchor seeds, one anchor's
result, the frame of window scores with its warning, and the settings recorded in the
result.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import oot._format as fmt
from oot._validation import (
    InvalidParameterError,
    PositiveClassWarning,
    WindowWarning,
    as_seed,
    caller,
    check_random_state_param,
    check_scalar,
    param_message,
    warn,
)
from oot.evaluate._result import SCORE_COLUMNS
from oot.evaluate._target import _Target
from oot.metrics import Metric, WindowScores
from oot.windows import TimeAxis, WindowPlan


@dataclass(frozen=True)
class _Failure:
    """Why an anchor has no scores: the step that raised and its exception."""

    stage: str              # "fit", "predict", or "output" (predictions not scorable)
    error: BaseException

    @property
    def text(self) -> str:
        """``"fit failed: ValueError: ..."`` or ``"output is unusable: ..."``."""
        if self.stage == "output":
            return f"output is unusable: {self.error}"
        return f"{self.stage} failed: {type(self.error).__name__}: {self.error}"


@dataclass(frozen=True)
class _AnchorResult:
    """One anchor's window scores, or its failure, with the time its model took.

    ``scores`` are the first metric's on the whole population; ``outputs`` holds every
    scorer's output by name when there is more (several metrics, segments, scorers
    beyond the window scorer such as the leading indicators; see
    :mod:`oot.evaluate._scorers`).
    """

    scores: WindowScores | None
    failure: _Failure | None = None
    fit_time: float = math.nan
    predict_time: float = math.nan
    outputs: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        """"ok", or "failed" (see ``failure``)."""
        return "ok" if self.failure is None else "failed"


def _check_common(data: Any, min_window_size: Any, random_state: Any) -> None:
    """The checks both entry points make first (messages name the running one)."""
    func = caller()
    if not isinstance(data, pd.DataFrame):
        raise InvalidParameterError(param_message(
            "data", func, "a pandas DataFrame", type(data).__name__,
            "Build one with pandas.DataFrame(...) with a time and a target column."))
    check_scalar(min_window_size, "min_window_size", func, kind="int", low=1)
    check_random_state_param(random_state, func)


def _canonical_order(ax: TimeAxis, data: pd.DataFrame, columns: list[Any],
                     ) -> tuple[np.ndarray, bool]:
    """The rows in time order, rows with equal timestamps ordered by their values.

    ``ax.order`` breaks ties by the input order (a stable sort), so shuffling the rows
    (or their index) would change which rows an estimator sees first and, with it, a
    seeded random forest's bootstrap samples or a bootstrap SE's resamples. Here rows of
    one timestamp are ordered by a 64-bit hash of their values in ``columns`` (the
    features and the target, or the truth and the predictions): an order that depends
    on the data only. Rows with equal values in ``columns`` stay in input order, which
    cannot matter, as they are the same row to the estimator and the metric.

    Returns the order and whether it is the identity (the rows are already in it).
    Only rows that share a timestamp are hashed.
    """
    t = ax.sorted
    tie = t[1:] == t[:-1]
    if not tie.any():
        return ax.order, ax.is_sorted
    in_tie = np.zeros(len(t), dtype=bool)
    in_tie[1:] |= tie
    in_tie[:-1] |= tie
    pos = np.flatnonzero(in_tie)           # positions in time order of the tied rows
    rows = ax.order[pos]                   # and their positions in the data
    h = np.zeros(len(rows), dtype=np.uint64)
    for col in columns:
        values = data[col].to_numpy()[rows]
        try:
            hc = pd.util.hash_array(values)
        except TypeError:  # unhashable cells (lists): their text
            hc = pd.util.hash_array(np.array([repr(v) for v in values], dtype=object))
        h = h * np.uint64(1_000_003) ^ hc  # order-sensitive combination (wraps)
    # positions of one timestamp are contiguous: sort each group by hash, stably
    sub = np.lexsort((h, t[pos]))
    order = ax.order.copy()
    order[pos] = rows[sub]
    is_sorted = bool(np.all(order[1:] > order[:-1]))
    return order, is_sorted


def _seeds(random_state: Any, n: int) -> tuple[list[int | None], list[int]]:
    """Per-anchor seeds for the estimator and for bootstrap SEs, independent of n_jobs.

    Without a ``random_state`` the estimators keep their own and the SEs' bootstrap
    seeds come from a fixed sequence, so results are still reproducible.
    """
    base = as_seed(random_state)
    ss = np.random.SeedSequence(0 if base is None else base)
    est_seeds: list[int | None] = [None] * n
    children = ss.spawn(2 * n)
    if base is not None:
        est_seeds = [int(c.generate_state(1)[0] % (2**31 - 1)) for c in children[:n]]
    score_seeds = [int(c.generate_state(1)[0]) for c in children[n:]]
    return est_seeds, score_seeds


def _scores_frame(plan: WindowPlan, per_anchor: list[_AnchorResult], target: _Target,
                  ) -> pd.DataFrame:
    """:attr:`OOTEvaluation.scores` from the plan and each anchor's result; ``target``
    is the encoded target in time order (for the class counts of failed anchors)."""
    n_w = plan.n_windows
    score = np.full(n_w, np.nan)
    se = np.full(n_w, np.nan)
    n = (plan.hi - plan.lo).astype(np.int64)
    status = np.empty(n_w, dtype=object)
    n_pos = np.zeros(n_w, dtype=np.int64)
    for a, res in enumerate(per_anchor):
        sel = np.flatnonzero(plan.anchor_idx == a)
        ws = res.scores
        if ws is None:
            status[sel] = "anchor_failed"
            if target.task == "binary":
                n_pos[sel] = [int(target.y[plan.lo[i]:plan.hi[i]].sum()) for i in sel]
            continue
        score[sel] = ws.score
        se[sel] = ws.se
        status[sel] = ws.status
        if ws.n_pos is not None:
            n_pos[sel] = ws.n_pos

    df = plan.to_frame().drop(columns="n_train")
    df["score"] = score
    df["se"] = se
    df["status"] = pd.Series(status, dtype=object)
    if target.task == "binary":
        df["n_pos"] = n_pos
        df["n_neg"] = n - n_pos
    return df[SCORE_COLUMNS + (["n_pos", "n_neg"] if target.task == "binary" else [])]


def _warn_windows(scores: pd.DataFrame, min_window_size: int, stacklevel: int,
                  detail: str = "") -> None:
    """One warning counting the windows that could not be scored, by status;
    ``detail`` (sentences) says more about them."""
    bad = scores[scores["status"] != "ok"]
    if len(bad) == 0:
        return
    why = fmt.window_status_counts(bad["status"].value_counts(), min_window_size)
    more = f" {detail}" if detail else ""
    warn(
        f"{len(bad)} of {len(scores)} evaluation windows could not be scored and are left "
        f"out of every fit: {why}.{more} See the 'status' column of "
        "OOTEvaluation.scores.",
        WindowWarning, stacklevel=stacklevel + 1,
    )


def _warn_positive_class(target: _Target, metric: Metric, pos_label: Any,
                         stacklevel: int) -> None:
    """Say once which class is positive when string labels chose it by their order."""
    if pos_label is not None or target.task != "binary" or target.classes is None:
        return
    labels = target.classes.tolist()
    if not all(isinstance(v, str) for v in labels):
        return
    pos = _jsonable(target.pos_label)
    other = next(v for v in labels if v != pos)
    col = f"The target column {target.name!r}" if target.name else "The target"
    warn(f"{col} has the string labels {labels}; metric {metric.name!r} takes the greater "
         f"one, {pos!r}, as the positive class (the order of the strings). Pass "
         f"pos_label={pos!r} to confirm it (and silence this warning), or "
         f"pos_label={other!r}.", PositiveClassWarning, stacklevel=stacklevel + 1)


def _missing_classes(plan: WindowPlan, scores: pd.DataFrame, target: _Target,
                     metric: Metric) -> str:
    """Which class is absent from which windows of status "missing_class", and the fix
    that helps (empty when there are none). ``target`` is in time order."""
    rows = np.flatnonzero(scores["status"].to_numpy() == "missing_class")
    if not len(rows) or target.classes is None:
        return ""
    k = len(target.classes)
    where: dict[int, list[tuple[int, int]]] = {}
    anchors = scores["anchor"].to_numpy()
    windows = scores["window"].to_numpy()
    for i in rows:
        seen = np.zeros(k, dtype=bool)
        seen[target.y[plan.lo[i]:plan.hi[i]]] = True
        for code in np.flatnonzero(~seen):
            where.setdefault(int(code), []).append((int(anchors[i]), int(windows[i])))
    parts = []
    for c, cells in where.items():
        by_anchor: dict[int, list[int]] = {}
        for a, w in cells:
            by_anchor.setdefault(a, []).append(w)
        shown = "; ".join(f"anchor {a}: {fmt.index_ranges(ws, 'window')}"
                          for a, ws in list(by_anchor.items())[:4])
        if len(by_anchor) > 4:
            shown += f"; and {len(by_anchor) - 4} more anchors"
        label = _jsonable(target.classes[c])
        parts.append(f"Class {label!r} is absent from {len(cells)} window"
                     f"{'s' if len(cells) != 1 else ''} ({shown}).")
    return (" ".join(parts) + f" {fmt.metric_name(metric)} averages one-vs-rest scores "
            "over every class, so a window without one has no score: use a metric "
            "defined without it ('log_loss' or 'accuracy'), merge the class with "
            "another, or, if it is only rare, use a longer eval_window.")


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _params(train_window: Any, eval_window: Any, gap: Any, horizon: Any, anchors: Any,
            anchor_step: Any, expanding: Any, min_window_size: Any, m: Metric,
            ) -> dict[str, Any]:
    def txt(v: Any) -> Any:
        if v is None or isinstance(v, (int, float, str, bool)):
            return v
        return str(v)

    return {
        "metric": m.name,
        "train_window": txt(train_window),
        "eval_window": txt(eval_window),
        "gap": txt(gap),
        "horizon": txt(horizon),
        "anchors": anchors if isinstance(anchors, numbers.Integral) else [
            str(a) for a in anchors],
        "anchor_step": txt(anchor_step),
        "expanding": bool(expanding),
        "min_window_size": int(min_window_size),
    }


def _data_info(ax: TimeAxis, data: pd.DataFrame) -> dict[str, Any]:
    return {
        "n_rows": len(data),
        "time_min": ax.to_stamp(ax.t_min),
        "time_max": ax.to_stamp(ax.t_max),
        "time_column": ax.name,
    }


def _check_time_unit(time_unit: Any, data: Any, time: Any) -> None:
    """``time_unit`` names the unit of a numeric time column ("years"): a non-empty
    string, and only for numeric time (datetime ages have their own units)."""
    if time_unit is None:
        return
    if not isinstance(time_unit, str) or not time_unit.strip():
        raise InvalidParameterError(param_message(
            "time_unit", None, "a non-empty string such as 'years', or None", time_unit))
    kind = getattr(data, "time_kind", None)
    if kind is None and isinstance(data, pd.DataFrame) and time in data.columns:
        kind = "numeric" if data[time].dtype.kind in "iuf" else "datetime"
    if kind == "datetime":
        raise InvalidParameterError(param_message(
            "time_unit", None, "None for datetime time", time_unit,
            "Ages of datetime time are worded in days, months and years already; "
            "time_unit names the unit of a numeric time column."))


def _with_time_unit(ev: Any, time_unit: str | None) -> Any:
    """The evaluation with ``time_unit`` recorded in its settings (it words the ages of
    every result made from it: "6.9 years")."""
    if time_unit is None:
        return ev
    import dataclasses

    return dataclasses.replace(ev, params={**ev.params, "time_unit": time_unit.strip()})
