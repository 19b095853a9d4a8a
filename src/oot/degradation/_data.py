"""An evaluation made ready for the curve fits: ages, scores, weights, anchors, clusters.

:func:`prepare` is the one place that turns an :class:`~oot.OOTEvaluation` into the
arrays every fit and bootstrap works on: the usable windows (optionally against the
fresh reference), sorted by anchor and age, with squared standard errors, anchor indices,
each anchor's first window, the calendar clusters the bootstrap resamples, each window's
length, age group and calendar time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oot._time import TimeKind, age_to_float
from oot._validation import InvalidParameterError, param_message
from oot.evaluate import OOTEvaluation
from oot.windows import parse_length

if TYPE_CHECKING:
    from oot.degradation._calendar import CalendarFit

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


@dataclass
class _Data:
    a: FloatArray          # ages (days or numbers)
    y: FloatArray          # scores (after the reference transform)
    se2: FloatArray        # squared standard errors (0 where unknown and equal weights)
    equal: bool            # se unknown everywhere: equal weights
    anc: IntArray          # anchor index 0..J-1
    anchors: list[int]     # anchor labels
    first: BoolArray       # each anchor's first usable window
    clusters: IntArray | None   # calendar periods
    cluster_rule: str
    n_total: int
    half: FloatArray       # half the length of each window (age units)
    group: IntArray        # age group: windows of one age across anchors (0..K-1)
    t: FloatArray | None   # calendar time of each window's midpoint (None: unknown)
    calendar: CalendarFit | None = None   # calendar effects tested (and removed from y)
    # what each cluster code stands for (a calendar period, or an (anchor, window)
    # cell when clusters is None): shared draws across evaluations match on these
    cluster_keys: pd.Index | None = None

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def n_anchors(self) -> int:
        return len(self.anchors)

    def onehot(self) -> FloatArray:
        """The dense (n, J) anchor indicator matrix (the fits use :meth:`anchor_index`)."""
        return self.anchor_index().dense()

    def anchor_index(self) -> AnchorIndex:
        """The cells' anchors as an :class:`AnchorIndex` (cells are sorted by anchor)."""
        return AnchorIndex.of(self.anc, self.n_anchors)


@dataclass(frozen=True, eq=False)
class AnchorIndex:
    """Which anchor each cell belongs to, for per-anchor sums in O(n).

    The cells are sorted by anchor and every anchor holds at least one cell (as
    :func:`prepare` leaves them), so anchor ``j`` is the slice ``starts[j]:ends[j]`` and
    a per-anchor sum is one ``np.add.reduceat``: the product ``x @ onehot`` with the
    dense (n, J) indicator matrix, without the matrix (n x J floats: 730 MB for 500
    anchors of daily windows) and without its O(n J) cost.
    """

    anc: IntArray          # (n,) anchor index of each cell, non-decreasing
    starts: IntArray       # (J,) first cell of each anchor
    ends: IntArray         # (J,) one past its last cell

    @classmethod
    def of(cls, anc: IntArray, n_anchors: int) -> AnchorIndex:
        anc = np.asarray(anc, dtype=np.intp)
        starts = np.searchsorted(anc, np.arange(n_anchors), side="left")
        ends = np.searchsorted(anc, np.arange(n_anchors), side="right")
        if np.any(np.diff(anc) < 0) or np.any(ends <= starts):
            msg = "cells must be sorted by anchor, every anchor non-empty"
            raise AssertionError(msg)
        return cls(anc, starts.astype(np.intp), ends.astype(np.intp))

    @property
    def n(self) -> int:
        return len(self.anc)

    @property
    def n_anchors(self) -> int:
        return len(self.starts)

    def sums(self, x: FloatArray) -> FloatArray:
        """Per-anchor sums over the last axis: (..., n) -> (..., J) (``x @ onehot``)."""
        return np.asarray(np.add.reduceat(np.asarray(x, dtype=float), self.starts,
                                          axis=-1), dtype=float)

    def dense(self) -> FloatArray:
        """The (n, J) indicator matrix (for the linearisation's small systems only)."""
        out = np.zeros((self.n, self.n_anchors))
        out[np.arange(self.n), self.anc] = 1.0
        return out


def check_evaluation(evaluation: Any) -> None:
    """The 'evaluation' argument of the running entry point is an OOTEvaluation."""
    if not isinstance(evaluation, OOTEvaluation):
        raise InvalidParameterError(param_message(
            "evaluation", None, "an OOTEvaluation", type(evaluation).__name__,
            "Build one with oot.evaluate_out_of_time or OOTEvaluation.from_frame."))
    evaluation.check_single()


def prepare(evaluation: OOTEvaluation, reference: str) -> _Data:
    """The usable windows of ``evaluation`` as fit arrays, sorted by anchor and age."""
    s = evaluation.usable.copy()
    if reference == "fresh":
        _check_fresh_grid(evaluation.params, evaluation.time_kind, reference)
        s = _against_fresh(s, evaluation.time_kind, reference)
    a = _ages(s, evaluation.time_kind)
    y = s["score"].to_numpy(float)
    se2, equal = _squared_errors(s["se"].to_numpy(float), y)
    labels, anc = np.unique(s["anchor"].to_numpy(), return_inverse=True)
    order = np.lexsort((a, anc))
    a, y, se2, anc = a[order], y[order], se2[order], anc[order]
    s = s.iloc[order]
    first = np.r_[True, anc[1:] != anc[:-1]]
    clusters, rule, keys = _clusters(s, evaluation.params)
    half = _half_widths(s, a, anc, evaluation.time_kind)
    return _Data(a=a, y=y, se2=se2, equal=equal, anc=anc.astype(np.intp),
                 anchors=[int(v) for v in labels], first=first, clusters=clusters,
                 cluster_rule=rule, n_total=len(evaluation.scores), half=half,
                 group=_age_groups(a, half), t=_calendar_time(s, half, evaluation.time_kind),
                 cluster_keys=keys)


def _age_groups(a: FloatArray, half: FloatArray) -> IntArray:
    """Windows of (nearly) one age across anchors: ages closer than a quarter of the
    median half-window to the previous distinct age join its group."""
    ua = np.unique(a)
    tol = 0.25 * float(np.median(half))
    starts = np.r_[True, np.diff(ua) > tol]
    gid = np.cumsum(starts) - 1
    return np.asarray(gid[np.searchsorted(ua, a)], dtype=np.intp)


def _calendar_time(s: pd.DataFrame, half: FloatArray, kind: TimeKind) -> FloatArray | None:
    """Each window's midpoint on the calendar, in age units (days since 1970 for
    datetime time); None without window_start."""
    if "window_start" not in s or not s["window_start"].notna().all():
        return None
    start = s["window_start"]
    if kind == "datetime":
        days = (pd.to_datetime(start).dt.tz_localize(None) if getattr(
            start.dt, "tz", None) is not None else pd.to_datetime(start))
        t = (days - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        return np.asarray(t, dtype=float) + half
    return np.asarray(start, dtype=float) + half


def _half_widths(s: pd.DataFrame, a: FloatArray, anc: Any, kind: TimeKind) -> FloatArray:
    """Half the length of each window in age units: from window_start and window_end,
    else half the median spacing of consecutive ages within anchors (else the youngest
    age)."""
    if "window_start" in s and "window_end" in s and s["window_start"].notna().all() and (
            s["window_end"].notna().all()):
        length = s["window_end"].to_numpy() - s["window_start"].to_numpy()
        out = np.asarray(age_to_float(pd.Series(length), kind), dtype=float) / 2
        if np.all(np.isfinite(out)) and np.all(out > 0):
            return np.minimum(out, a)
    same = np.r_[False, anc[1:] == anc[:-1]]
    gaps = np.diff(a)[same[1:]]
    gaps = gaps[gaps > 0]
    h = float(np.median(gaps)) / 2 if gaps.size else float(a.min())
    return np.minimum(np.full_like(a, h), a)


def _against_fresh(s: pd.DataFrame, kind: TimeKind, reference: str) -> pd.DataFrame:
    """Scores relative to the youngest model on the same calendar window.

    Each score becomes ``score - fresh + mean(fresh)`` (``fresh``: the score of an anchor
    whose first usable window it is), its SE ``sqrt(se^2 + se_fresh^2)``; windows that
    no fresh model scored are dropped.
    """
    if "window_start" not in s or s["window_start"].isna().all():
        raise InvalidParameterError(param_message(
            "reference", None, "'baseline' when the scores have no window_start "
            "(the fresh reference compares models on the same calendar window)",
            reference,
            "Evaluate with oot.evaluate_out_of_time (anchors spaced by eval_window), or "
            "add a window_start column to the frame given to OOTEvaluation.from_frame."))
    s = s[s["window_start"].notna()].copy()
    s["_age"] = np.asarray(age_to_float(s["age"], kind), dtype=float)
    first_rows = s[s["_age"] == s.groupby("anchor")["_age"].transform("min")]
    youngest = first_rows.sort_values("_age", kind="stable").groupby(
        "window_start", sort=False).head(1)
    s = s[s["window_start"].isin(youngest["window_start"])].copy()
    key = s["window_start"]
    fresh = youngest.set_index("window_start")
    f_score = fresh["score"].reindex(key).to_numpy(float)
    f_se = fresh["se"].reindex(key).to_numpy(float)
    is_fresh = s.index.isin(youngest.index)
    if len(s) and (s["anchor"] == s["anchor"].iloc[0]).all():
        raise InvalidParameterError(param_message(
            "reference", None, "'baseline' when the evaluation has a single anchor (the "
            "fresh reference compares older models with a fresh one on the same calendar "
            "window)", reference, "Evaluate with more anchors, one eval_window apart."))
    if len(s) and is_fresh.all():  # nothing older was scored on a fresh model's window
        raise InvalidParameterError(param_message(
            "reference", None, "'baseline' when no two anchors score the same calendar "
            "window (no window_start of one anchor's first window is scored by an older "
            "anchor)", reference,
            "The fresh reference needs anchors one eval_window apart (or a multiple of "
            "it) and a horizon that reaches the next anchor's windows."))
    mean_fresh = float(fresh["score"].mean())
    sc = s["score"].to_numpy(float)
    se = s["se"].to_numpy(float)
    s["score"] = sc - f_score + mean_fresh
    s["se"] = np.where(is_fresh, se, np.sqrt(se**2 + f_se**2))
    return s


def _fixed_length(value: Any, param: str, kind: TimeKind) -> float | None:
    """A recorded window length (``params``) in nanoseconds or time units, read by the
    one length parser; None for calendar offsets and for anything it does not read."""
    if value is None or isinstance(value, bool):
        return None
    try:
        length = parse_length(value, param, kind)
    except (InvalidParameterError, TypeError, ValueError):
        return None
    return None if length is None or length.fixed is None else float(length.fixed)


def _check_fresh_grid(params: dict[str, Any], kind: TimeKind, reference: str) -> None:
    """Refuse the fresh reference when the recorded ``anchor_step`` is not a whole number
    of fixed ``eval_window`` lengths: then no two anchors' windows start together."""
    step_text, win_text = params.get("anchor_step"), params.get("eval_window")
    step = _fixed_length(step_text, "anchor_step", kind)
    win = _fixed_length(win_text, "eval_window", kind)
    if step is None or win is None or win <= 0 or step <= 0:
        return
    k = step / win
    if abs(k - round(k)) <= 1e-9 * max(1.0, k):
        return
    best = max(1, math.floor(k)) * win
    if kind == "datetime":
        td = pd.Timedelta(round(best), unit="ns")
        suggest: Any = f"{td.days}D" if td == pd.Timedelta(days=td.days) else str(td)
    else:
        suggest = int(best) if float(best).is_integer() else best
    raise InvalidParameterError(param_message(
        "reference", None, "'baseline' when the anchors are not a whole number of "
        f"evaluation windows apart (here anchor_step={step_text!r} and eval_window="
        f"{win_text!r}; the fresh reference compares models on the same calendar window)",
        reference, "Evaluate with anchor_step=None (anchors one window apart) or a "
        f"multiple of eval_window, such as anchor_step={suggest!r}."))


def _ages(s: pd.DataFrame, kind: TimeKind) -> FloatArray:
    a = np.asarray(age_to_float(s["age"], kind), dtype=float)
    if np.any(a < 0):
        raise InvalidParameterError(param_message(
            "evaluation", None, "an evaluation whose usable windows have ages >= 0",
            float(a.min()), "Ages are window midpoints minus the training cutoff."))
    return a


def _squared_errors(se: FloatArray, y: FloatArray) -> tuple[FloatArray, bool]:
    """Squared SEs and whether every window gets the same weight (no SE known).

    A window's SE is known when it is finite and positive: an SE of 0 (a tiny window
    with AUC = 1, say) is not certainty, and would take an infinite weight. Unknown SEs
    among known ones take their median.
    """
    known = np.isfinite(se) & (se > 0)
    if not known.any():
        return np.zeros_like(y), True
    se = np.where(known, se, np.median(se[known]))
    return se**2, False


def _clusters(s: pd.DataFrame, params: dict[str, Any],
              ) -> tuple[IntArray | None, str, pd.Index]:
    """The calendar period of each window (what the bootstrap resamples), its rule, and
    what each cluster code stands for."""
    if "window_start" in s and s["window_start"].notna().all():
        codes, keys = pd.factorize(s["window_start"])
        return codes.astype(np.intp), "calendar window (window_start)", pd.Index(keys)
    step, win = params.get("anchor_step"), params.get("eval_window")
    if step is not None and win is not None and str(step) == str(win):
        codes, keys = pd.factorize(s["anchor"].to_numpy() + s["window"].to_numpy())
        return (codes.astype(np.intp), "anchor + window - 1 (anchors one window apart)",
                pd.Index(keys))
    cells = pd.Index(list(zip(s["anchor"].to_numpy().tolist(),
                              s["window"].to_numpy().tolist(), strict=True)))
    return None, ("cell (no window_start: anchor x window cells resampled "
                  "independently)"), cells
