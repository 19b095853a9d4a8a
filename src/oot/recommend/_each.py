"""A recommendation per (metric, segment) of one evaluation: :func:`recommend_each`.

Every (metric, segment) of the evaluation is fitted on its own, and every bootstrap
draws its replicates from one :class:`~oot.degradation.ClusterDraws`: replicate ``r``
gives each calendar period the same weight in every curve, so the intervals are
comparable and the difference of two crossing ages has a paired interval. With
``pooling="partial"`` each segment's curve is shrunk toward its metric's whole
population (:mod:`oot.degradation._pooling`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from oot._common import ConfidenceInterval
from oot._time import TimeKind
from oot._validation import NotEnoughWindowsError, OOTWarning, warn
from oot.degradation import ClusterDraws, fit_degradation
from oot.degradation._data import prepare
from oot.degradation._pooling import segment_drop, shrink_curve, shrinkage_weights
from oot.evaluate import OOTEvaluation
from oot.evaluate._result import ALL_SEGMENTS
from oot.recommend._collection import RetrainRecommendations, Skipped
from oot.recommend._steps import _Recommended, _Settings

#: One recommendation of one (metric, segment): ``one(evaluation, settings, *,
#: random_state, draws, segment, fitted)`` (``oot.recommend._recommend._recommend``).
OneStep = Callable[..., _Recommended]
#: An age in fit units as the result reports it (rounded, in the time's units).
ToAge = Callable[[float | None, _Settings, TimeKind], Any]

__all__ = ["recommend_each"]


def recommend_each(ev: OOTEvaluation, s: _Settings, *, pooling: str, random_state: Any,
                   one: OneStep, to_age: ToAge) -> RetrainRecommendations:
    """One recommendation per (metric, segment) of ``ev`` (each by ``one``), on shared
    bootstrap draws."""
    keys = ev.keys()
    subs = {k: ev.select(*k) for k in keys}
    fitted, skipped = _fit_each(subs, s)
    done = [k for k in keys if k in fitted]
    if not done:
        first = skipped[0]
        msg = (f"No metric and segment of the evaluation has enough usable windows for a "
               f"curve; for {first.metric!r} on {first.segment!r}: {first.reason}")
        raise NotEnoughWindowsError(msg)
    key_sets = []
    for k in done:
        ck = prepare(subs[k], s.reference).cluster_keys
        assert ck is not None
        key_sets.append(ck)
    draws = ClusterDraws.draw(ClusterDraws.union(key_sets), s.n_bootstrap, "wild",
                              random_state)
    results: dict[tuple[str, str], _Recommended] = {
        k: one(subs[k], s, random_state=random_state, draws=draws, segment=k[1],
               fitted=fitted[k], stacklevel=7) for k in done}
    if pooling == "partial":
        results = _pool(results, s, to_age, ev.segment_columns)
    if skipped:
        listed = "; ".join(f"{x.metric} on {x.segment!r} ({x.n_usable} usable)"
                           for x in skipped[:5])
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        warn(f"{len(skipped)} of {len(keys)} (metric, segment) pairs have too few usable "
             f"windows for a curve and no recommendation: {listed}{more}. See "
             "RetrainRecommendations.skipped; group small segments or lower "
             "min_window_size.", OOTWarning, stacklevel=4)
    samples = np.vstack([_samples(results[k]) for k in done])
    return RetrainRecommendations(
        items=tuple(results[k].recommendation for k in done), keys=tuple(done),
        evaluation=ev, samples=samples, n_clusters=len(draws.keys),
        confidence_level=s.confidence_level, pooling=pooling, skipped=tuple(skipped))


def _samples(r: _Recommended) -> np.ndarray:
    """The item's replicate crossing ages (of the pooled curve, when pooled)."""
    return np.asarray(r.bootstrap.samples if r.shrunk is None else r.shrunk, dtype=float)


def _fit_each(subs: dict[tuple[str, str], OOTEvaluation], s: _Settings,
              ) -> tuple[dict[tuple[str, str], Any], list[Skipped]]:
    """The curve of every (metric, segment); those with too few windows are skipped
    (the whole population's failure is an error: nothing can be said then)."""
    fitted: dict[tuple[str, str], Any] = {}
    skipped: list[Skipped] = []
    for k, sub in subs.items():
        try:
            fitted[k] = fit_degradation(sub, curve=s.curve, baseline=s.baseline,
                                        reference=s.reference, calendar=s.calendar)
        except NotEnoughWindowsError as exc:
            if k[1] == ALL_SEGMENTS:
                raise
            skipped.append(Skipped(k[0], k[1], sub.n_usable, str(exc)))
    return fitted, skipped


def _pool(results: dict[tuple[str, str], _Recommended], s: _Settings, to_age: ToAge,
          columns: tuple[str, ...] = ()) -> dict[tuple[str, str], _Recommended]:
    """Shrink every segment's curve toward its metric's whole population, one segment
    column at a time (its segments partition the population)."""
    out = dict(results)
    for metric in dict.fromkeys(k[0] for k in results):
        whole = results.get((metric, ALL_SEGMENTS))
        segs = [k for k in results if k[0] == metric and k[1] != ALL_SEGMENTS]
        if whole is None or not segs:
            continue
        rows_all = float(whole.recommendation.evaluation.usable["n"].sum())
        for group in _by_column(segs, columns):
            a0 = min(float(whole.curve.age_max),
                     *(float(results[k].curve.age_max) for k in group))
            centre = float(whole.curve.predict(a0) - whole.curve.predict(0.0))
            drops, variances = zip(*(segment_drop(results[k].curve, results[k].bootstrap,
                                                  a0) for k in group), strict=True)
            rows = np.array([float(results[k].recommendation.evaluation.usable["n"].sum())
                             for k in group])
            shares = rows / rows_all if rows_all > 0 and rows.sum() > 0 else None
            weights, _ = shrinkage_weights(np.array(drops), np.array(variances), centre,
                                           shares)
            for k, b in zip(group, weights, strict=True):
                out[k] = _pooled_result(results[k], whole, float(b), s, to_age)
    return out


def _by_column(keys: list[tuple[str, str]], columns: tuple[str, ...],
               ) -> list[list[tuple[str, str]]]:
    """The segments of each segment column: labels ``column=value`` with several
    columns, one group with one column (or none named, as from a frame).

    Examples
    --------
    >>> from oot.recommend._each import _by_column
    >>> keys = [("m", "region=a=1"), ("m", "band=0"), ("m", "region=b")]
    >>> _by_column(keys, ("region", "band"))
    [[('m', 'region=a=1'), ('m', 'region=b')], [('m', 'band=0')]]
    >>> _by_column([("m", "x=1"), ("m", "y=2")], ("label",))
    [[('m', 'x=1'), ('m', 'y=2')]]
    """
    if len(columns) < 2:
        return [list(keys)] if keys else []
    groups: dict[str, list[tuple[str, str]]] = {c: [] for c in columns}
    for k in keys:
        col = next(c for c in columns if k[1].startswith(f"{c}="))
        groups[col].append(k)
    return [g for g in groups.values() if g]


def _pooled_result(r: _Recommended, whole: _Recommended, weight: float, s: _Settings,
                   to_age: ToAge) -> _Recommended:
    rec = r.recommendation
    if rec.status == "no_skill":  # no skill to lose: nothing to pool
        return r
    sh = shrink_curve(r.curve, r.bootstrap, whole.curve, whole.bootstrap, weight,
                      tolerance=s.tolerance, tolerance_type=s.tolerance_type)
    kind = rec.time_kind
    if rec.round_to is None:  # the item's ages were not rounded (or could not be)
        s = dataclasses.replace(s, round_unit=None)
    q = r.bootstrap.level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = float(np.quantile(sh.samples, q, method="inverted_cdf"))
        high = float(np.quantile(sh.samples, 1 - q, method="inverted_cdf"))

    def age(x: float | None) -> Any:
        return to_age(x if x is None or math.isfinite(x) else None, s, kind)

    if math.isfinite(sh.crossing):
        status, interval = "crossed", sh.crossing
    elif rec.status == "no_degradation":
        status, interval = "no_degradation", None
    else:
        status, interval = "not_reached", float(r.curve.age_max)
    new = dataclasses.replace(
        rec, status=status, interval=age(interval),
        interval_ci=ConfidenceInterval(age(low), age(high)),
        crossed_fraction=float(np.mean(np.isfinite(sh.samples))),
        band_low=tuple(float(x) for x in sh.band_low),
        band_high=tuple(float(x) for x in sh.band_high),
        pooling_weight=weight, pooled_curve=tuple(float(x) for x in sh.values),
        extrapolated_interval=None if status == "crossed" else rec.extrapolated_interval)
    return dataclasses.replace(r, recommendation=new, shrunk=sh.samples)
