"""Several recommendations from one run: :class:`RetrainRecommendations`.

What :func:`oot.recommend_retrain_interval` returns for several metrics or segments:
one :class:`RetrainRecommendation` per (metric, segment), the one whose interval is the
shortest (it decides the cadence), the segments ranked by interval, and paired
comparisons from the shared bootstrap draws.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

import oot._format as fmt
from oot._serialize import (
    check_schema,
    frame_from_dict,
    frame_to_dict,
    load_document,
    value_to_json,
)
from oot._time import TimeKind, age_to_float, float_to_age
from oot._validation import InvalidParameterError, closest, param_message
from oot.degradation import PairedDifference, paired_difference
from oot.evaluate import OOTEvaluation
from oot.evaluate._result import ALL_SEGMENTS
from oot.recommend._result import RetrainRecommendation

__all__ = ["RetrainRecommendations", "Skipped"]

_SCHEMA = "oot.RetrainRecommendations/1"

# the order of statuses when intervals are ranked: a crossing first, then a lower bound
_STATUS_RANK = {"crossed": 0, "not_reached": 1, "no_degradation": 2}


class Skipped(NamedTuple):
    """A (metric, segment) with too few usable windows for a curve."""

    metric: str
    segment: str
    n_usable: int
    reason: str


@dataclass(frozen=True, eq=False)
class RetrainRecommendations:
    """One recommendation per (metric, segment), from one set of fits.

    Made by :func:`oot.recommend_retrain_interval` for several metrics
    (``metric=[...]``) or segments (``segment=...``). Every item's bootstrap drew the
    same calendar periods' weights, so the intervals are comparable and
    :meth:`compare` gives a paired interval for the difference of two.

    Attributes
    ----------
    items : tuple of RetrainRecommendation
        One per (metric, segment), in the order of ``keys``; each names its
        ``segment`` and holds its own one-metric, one-segment ``evaluation``.
    keys : tuple of (str, str)
        ``(metric name, segment label)`` of each item; ``"(all)"`` is the whole
        population.
    evaluation : OOTEvaluation
        The evaluation of every metric and segment.
    samples : ndarray of shape (len(items), n_bootstrap)
        Each item's bootstrap crossing ages, replicate by replicate on the same draws
        (fit units: days for datetime time; ``inf`` beyond the evaluated ages).
    n_clusters : int
        Calendar periods the draws weight.
    confidence_level : float
    pooling : {"none", "partial"}
    skipped : tuple of Skipped
        The (metric, segment) pairs with too few usable windows for a curve (shown in
        :meth:`to_frame` with status ``"not_enough_windows"``).

    Examples
    --------
    >>> import pandas as pd
    >>> import oot
    >>> ev = oot.datasets.make_degradation_scores(random_state=0).to_evaluation()
    >>> flat = oot.datasets.make_degradation_scores(slope=0.0, random_state=1)
    >>> frame = pd.concat([ev.scores.assign(segment="fast"),
    ...                    flat.to_evaluation().scores.assign(segment="steady")])
    >>> both = oot.OOTEvaluation.from_frame(frame, metric="roc_auc")
    >>> recs = oot.recommend_retrain_interval(both, n_bootstrap=200, random_state=0)
    >>> recs.to_frame()[["segment", "status"]].values.tolist()
    [['fast', 'crossed'], ['steady', 'no_degradation']]
    >>> recs.binding.segment
    'fast'
    """

    items: tuple[RetrainRecommendation, ...]
    keys: tuple[tuple[str, str], ...]
    evaluation: OOTEvaluation
    samples: np.ndarray
    n_clusters: int = 0
    confidence_level: float = 0.9
    pooling: str = "none"
    skipped: tuple[Skipped, ...] = ()

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[RetrainRecommendation]:
        return iter(self.items)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric names, in order."""
        return tuple(dict.fromkeys(k[0] for k in self.keys))

    @property
    def segments(self) -> tuple[str, ...]:
        """The segment labels, in order (``"(all)"``: the whole population)."""
        return tuple(dict.fromkeys(k[1] for k in self.keys))

    @property
    def time_kind(self) -> TimeKind:
        return self.evaluation.time_kind

    def _index(self, key: Any, param: str = "key") -> int:
        func = "RetrainRecommendations"
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if -len(self.items) <= int(key) < len(self.items):
                return int(key) % len(self.items)
        elif isinstance(key, tuple) and len(key) == 2 and tuple(key) in self.keys:
            return self.keys.index((key[0], key[1]))
        elif isinstance(key, str):
            if key in self.metrics:  # a metric: its whole population, else its first
                for i, k in enumerate(self.keys):
                    if k == (key, ALL_SEGMENTS):
                        return i
                return next(i for i, k in enumerate(self.keys) if k[0] == key)
            if key in self.segments:  # a segment: of the first metric that has it
                return next(i for i, k in enumerate(self.keys) if k[1] == key)
        names = [*self.metrics, *self.segments]
        hint = closest(str(key), names) if isinstance(key, str) else None
        raise InvalidParameterError(param_message(
            param, func, f"an index, a metric {list(self.metrics)}, a segment "
            f"{list(self.segments)} or a (metric, segment) pair", key,
            f"Did you mean {hint!r}?" if hint else None))

    def __getitem__(self, key: Any) -> RetrainRecommendation:
        """An item by position, metric name (its whole population), segment label (of
        the first metric) or ``(metric, segment)``."""
        return self.items[self._index(key)]

    # ----------------------------------------------------------------- binding
    def _order(self) -> list[int]:
        """Items by interval: crossings first (shortest first), then the lower bounds of
        those not reached, then no degradation."""
        def key(i: int) -> tuple[int, float, int]:
            rec = self.items[i]
            x = math.inf if rec.interval is None else float(
                age_to_float(rec.interval, rec.time_kind))
            return (_STATUS_RANK[rec.status], x, i)

        return sorted(range(len(self.items)), key=key)

    @property
    def binding_key(self) -> tuple[str, str] | None:
        """The (metric, segment) of :attr:`binding` (None when nothing degrades)."""
        first = self._order()[0]
        return None if self.items[first].status == "no_degradation" else self.keys[first]

    @property
    def binding(self) -> RetrainRecommendation | None:
        """The item with the shortest interval: it decides the cadence.

        A crossing within the evaluated ages comes before a degradation not reached
        (whose interval is only a lower bound); None when no item degrades.
        :attr:`binding_sentence` says so in words.
        """
        k = self.binding_key
        return None if k is None else self.items[self.keys.index(k)]

    @property
    def binding_sentence(self) -> str:
        """Which metric and segment decide the cadence, and the interval."""
        return fmt.binding_sentence(self)

    # ----------------------------------------------------------------- ranking
    def ranking(self, metric: str | None = None) -> pd.DataFrame:
        """The segments of one metric ranked by interval, shortest first.

        Parameters
        ----------
        metric : str, default=None
            One of :attr:`metrics`; None is the first.

        Returns
        -------
        DataFrame
            ``rank``, ``segment``, ``status``, ``interval``, ``ci_low``, ``ci_high``,
            ``n_rows`` (rows of the usable windows) for every segment but the whole
            population, whose row (rank 0) comes first when present.
        """
        name = self._metric(metric)
        rows = []
        for i in self._order():
            k = self.keys[i]
            if k[0] != name:
                continue
            rec = self.items[i]
            rows.append({"segment": k[1], "status": rec.status, "interval": rec.interval,
                         "ci_low": rec.interval_ci.low, "ci_high": rec.interval_ci.high,
                         "n_rows": int(rec.evaluation.usable["n"].sum())})
        out = pd.DataFrame(rows)
        whole = out["segment"] == ALL_SEGMENTS
        out = pd.concat([out[whole], out[~whole]], ignore_index=True)
        rank = np.arange(1, len(out) + 1) - int(whole.any())
        out.insert(0, "rank", rank)
        return out

    def fastest_sentence(self, metric: str | None = None) -> str:
        """``"Segment 'EWR' ages fastest: 61 days (90% CI 41 days to 90 days)."``"""
        return fmt.fastest_segment_sentence(self, self._metric(metric))

    def _metric(self, metric: str | None) -> str:
        if metric is None:
            return self.metrics[0]
        if metric not in self.metrics:
            raise InvalidParameterError(param_message(
                "metric", "RetrainRecommendations", f"one of {list(self.metrics)}",
                metric))
        return metric

    # ------------------------------------------------------------ comparisons
    def compare(self, first: Any, second: Any) -> Comparison:
        """Whether ``first`` ages faster than ``second``, with a paired interval.

        Both crossing ages come from the same bootstrap replicates (the same calendar
        periods' weights), so the difference's interval is a paired one: the noise the
        two share cancels.

        Parameters
        ----------
        first, second : key
            As in item access: a segment label, a metric name or ``(metric, segment)``.

        Returns
        -------
        Comparison
            ``difference`` (first minus second, an age; negative: the first crosses
            sooner), ``ci``, ``p_first`` (the share of replicates in which the first
            crosses sooner) and ``sentence`` (also its ``str``).
        """
        i, j = self._index(first, "first"), self._index(second, "second")
        a, b = self.items[i], self.items[j]
        kind = self.time_kind

        def est(rec: RetrainRecommendation) -> float:
            if rec.status != "crossed":
                return math.inf
            return float(age_to_float(rec.interval, kind))

        with np.errstate(invalid="ignore"):
            d = est(a) - est(b)
        level = _paired_level(self.confidence_level, self.n_clusters)
        pd_ = paired_difference(self.samples[i], self.samples[j],
                                d if not math.isnan(d) else math.nan, level=level)
        return Comparison(self.keys[i], self.keys[j], pd_, self.confidence_level, kind,
                          self.keys[i][0] != self.keys[j][0],
                          a.interval if a.status == "crossed" else None,
                          b.interval if b.status == "crossed" else None)

    # ------------------------------------------------------------- conversion
    def to_frame(self) -> pd.DataFrame:
        """One row per (metric, segment): status, interval and CI, baseline, threshold,
        curve, trend p-value, windows and rows, pooling weight, and whether it binds.

        Pairs without a curve (:attr:`skipped`) have status ``"not_enough_windows"``.
        """
        bind = self.binding_key
        rows = []
        for k, rec in zip(self.keys, self.items, strict=True):
            rows.append({
                "metric": k[0], "segment": k[1], "status": rec.status,
                "interval": rec.interval, "ci_low": rec.interval_ci.low,
                "ci_high": rec.interval_ci.high, "safe_interval": rec.safe_interval,
                "baseline": rec.baseline, "threshold": rec.threshold,
                "curve": rec.curve.family, "trend_pvalue": rec.curve.trend_pvalue,
                "n_windows": rec.evaluation.n_usable,
                "n_rows": int(rec.evaluation.usable["n"].sum()),
                "pooling_weight": (np.nan if rec.pooling_weight is None
                                   else rec.pooling_weight),
                "binding": k == bind,
            })
        for sk in self.skipped:
            rows.append({"metric": sk.metric, "segment": sk.segment,
                         "status": "not_enough_windows", "n_windows": sk.n_usable,
                         "binding": False})
        out = pd.DataFrame(rows)
        if self.skipped:  # back in the evaluation's order
            order = {k: n for n, k in enumerate(self.evaluation.keys())}
            out = out.iloc[np.argsort([order[(m, s)] for m, s in zip(
                out["metric"], out["segment"], strict=True)], kind="stable")]
            out = out.reset_index(drop=True)
        return out

    def _ci_words(self, metric: str, segment: str) -> str:
        """An item's CI in words, as its sentence writes it (an end beyond the data is
        "beyond" the oldest age); "" without one (no degradation, skipped)."""
        if (metric, segment) not in self.keys:
            return ""
        rec = self.items[self.keys.index((metric, segment))]
        if rec.status not in ("crossed", "not_reached"):
            return ""
        return fmt.interval_ci_range(rec, with_unit=False)

    def summary(self) -> pd.DataFrame:
        """:meth:`to_frame` in words (ages, intervals, numbers), indexed by metric and
        segment: what the report's table shows."""
        f = self.to_frame()
        kind = self.time_kind
        out = pd.DataFrame({
            "status": f["status"],
            "interval": [fmt.age(v, kind) if isinstance(v, pd.Timedelta) or (
                v is not None and not pd.isna(v)) else "" for v in f["interval"]],
            f"{fmt.level(self.confidence_level)} CI": [
                self._ci_words(m, sg) for m, sg in zip(f["metric"], f["segment"],
                                                       strict=True)],
            "baseline": [fmt.cell(v) for v in f["baseline"]],
            "curve": f["curve"].fillna(""),
            "windows": f["n_windows"],
            "binding": np.where(f["binding"], "yes", ""),
        })
        out.index = pd.MultiIndex.from_frame(f[["metric", "segment"]])
        return out

    # ------------------------------------------------------------------ text
    def __str__(self) -> str:
        return self.binding_sentence

    def __repr__(self) -> str:
        return (f"RetrainRecommendations(metrics={self.metrics!r}, "
                f"segments={len(self.segments)}, items={len(self.items)}, "
                f"binding={self.binding_key!r})")

    def _repr_html_(self) -> str:
        head = html.escape(str(self))
        table = self.summary().to_html(border=0)
        return f"<div class='oot-recommendations'><p><b>{head}</b></p>{table}</div>"

    # ------------------------------------------------------------- plotting/report
    def plot(self, kind: str = "curves", *, metric: str | None = None, **kwargs: Any,
             ) -> Any:
        """Small multiples of the curves (``kind="curves"``: one axes per metric and
        segment, a shared age axis) or the segments ranked by interval with their CIs
        (``kind="segments"``, for ``metric``).

        Delegates to :class:`oot.plotting.RecommendationsDisplay` and returns it.
        """
        from oot.plotting import RecommendationsDisplay

        return RecommendationsDisplay.from_recommendations(self, kind=kind, metric=metric,
                                                           **kwargs)

    def save_report(self, directory: str | os.PathLike[str], *,
                    overwrite: bool = True) -> Path:
        """Write the report folder (:func:`oot.report.save_report`): the binding
        sentence, a section per metric and the segment tables."""
        from oot.report import save_report

        return save_report(self, directory, overwrite=overwrite)

    # ------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly (the evaluation is
        stored once; each item's is its selection)."""
        items = []
        for rec in self.items:
            d = rec.to_dict()
            d.pop("evaluation")
            items.append(d)
        return {
            "schema": _SCHEMA,
            "keys": [list(k) for k in self.keys],
            "items": items,
            "evaluation": self.evaluation.to_dict(),
            "samples": frame_to_dict(pd.DataFrame(
                {str(i): self.samples[i] for i in range(len(self.items))})),
            "n_clusters": self.n_clusters,
            "confidence_level": self.confidence_level,
            "pooling": self.pooling,
            "skipped": [list(value_to_json(tuple(s))["__tuple__"]) for s in self.skipped],
            "binding": None if self.binding_key is None else list(self.binding_key),
            "sentence": str(self),
        }

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (no NaN tokens); :meth:`from_json` round-trips it exactly."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RetrainRecommendations:
        """Rebuild the recommendations from :meth:`to_dict` output."""
        check_schema(d, _SCHEMA, "RetrainRecommendations")
        try:
            ev = OOTEvaluation.from_dict(d["evaluation"])
            keys = tuple((str(k[0]), str(k[1])) for k in d["keys"])
            items = tuple(
                RetrainRecommendation.from_dict(item, evaluation=ev.select(*k))
                for k, item in zip(keys, d["items"], strict=True))
            sf = frame_from_dict(d["samples"])
            samples = (np.vstack([sf[str(i)].to_numpy(float) for i in range(len(items))])
                       if items else np.empty((0, 0)))
            return cls(items=items, keys=keys, evaluation=ev, samples=samples,
                       n_clusters=int(d["n_clusters"]),
                       confidence_level=float(d["confidence_level"]),
                       pooling=str(d["pooling"]),
                       skipped=tuple(Skipped(str(s[0]), str(s[1]), int(s[2]), str(s[3]))
                                     for s in d["skipped"]))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            msg = ("The 'text' parameter of RetrainRecommendations.from_json is not a "
                   "valid document written by RetrainRecommendations.to_json: "
                   f"{type(exc).__name__}: {exc}.")
            raise InvalidParameterError(msg) from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> RetrainRecommendations:
        """Rebuild the recommendations from :meth:`to_json` output (exact round trip)."""
        return cls.from_dict(load_document(text, "RetrainRecommendations"))

    def replace(self, **changes: Any) -> RetrainRecommendations:
        """A copy with some fields changed (:func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)


def _paired_level(confidence_level: float, n_clusters: int) -> float:
    """The lower percentile level of a paired interval: widened for few clusters as
    the items' intervals are (the normal quantile equals t with G - 1 df)."""
    from scipy import stats

    alpha = 1.0 - confidence_level
    return float(stats.norm.cdf(-stats.t.ppf(1 - alpha / 2, max(n_clusters - 1, 1))))


@dataclass(frozen=True)
class Comparison:
    """Whether one (metric, segment) ages faster than another (:meth:`compare`).

    ``difference`` and ``ci`` are ages (Timedeltas for datetime time, None for an end
    beyond the evaluated ages): the first's crossing age minus the second's.
    """

    first: tuple[str, str]
    second: tuple[str, str]
    paired: PairedDifference
    confidence_level: float
    time_kind: TimeKind
    across_metrics: bool = False
    first_interval: Any = None     # the first's interval when it crosses, else None
    second_interval: Any = None

    @property
    def difference(self) -> Any:
        return _age_or_none(self.paired.difference, self.time_kind)

    @property
    def ci(self) -> tuple[Any, Any]:
        return (_age_or_none(self.paired.ci.low, self.time_kind),
                _age_or_none(self.paired.ci.high, self.time_kind))

    @property
    def p_first(self) -> float:
        return self.paired.p_first

    @property
    def faster(self) -> bool | None:
        """True: the first ages faster (the CI lies below 0); False: slower (above 0);
        None: no clear difference."""
        lo, hi = self.paired.ci
        if hi < 0:
            return True
        if lo > 0:
            return False
        return None

    @property
    def sentence(self) -> str:
        return fmt.segment_comparison_sentence(self)

    def __str__(self) -> str:
        return self.sentence


def _age_or_none(x: float, kind: TimeKind) -> Any:
    if x is None or not math.isfinite(x):
        return None
    return float_to_age(x, kind)
