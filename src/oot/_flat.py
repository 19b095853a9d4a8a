"""The flat record of a result: plain numbers with their units, for pipelines.

``oot analyze --json`` prints it, ``oot due`` reads the interval from the exact JSON
beside it, and :mod:`oot.integrations.mlflow` logs its numbers as metrics. One flat
JSON object, no nesting (a list of names at most), versioned by ``schema``. A new field
may be added within a version; a field is never renamed or given another meaning
without a new version.

Schema ``oot.flat/1`` for a recommendation (:func:`recommendation_record`):

- ``schema`` ("oot.flat/1"), ``kind`` ("recommendation"), ``status``, ``sentence``
- ``metric``, ``greater_is_better``, ``time_kind`` ("datetime" or "numeric"),
  ``age_unit``: the unit of the ages below ("days" for datetime time; the
  ``time_unit`` given for numeric time, else "time units")
- ages, numbers in ``age_unit`` (null when absent): ``interval``, ``ci_low``,
  ``ci_high``, ``safe_interval``, ``max_age`` (the oldest evaluated age),
  ``extrapolated_interval``, ``cost_optimal_interval``
- the same in days, for datetime time (null for numeric time): ``interval_days``,
  ``ci_low_days``, ``ci_high_days``, ``safe_interval_days``, ``max_age_days``,
  ``extrapolated_interval_days``, ``cost_optimal_interval_days``
- ``ci_high_beyond_data`` / ``ci_low_beyond_data``: true when that end of the CI lies
  beyond the evaluated ages (the number is then null)
- ``confidence_level``, ``baseline``, ``threshold``, ``tolerance``, ``tolerance_type``,
  ``curve`` (the family fitted), ``trend_pvalue``, ``crossed_fraction``, ``cost_rate``,
  ``retrain_cost``, ``shortfall_cost``, ``round_to``, ``n_bootstrap``
- ``n_anchors``, ``n_windows``, ``n_usable_windows``, ``n_rows``, ``time_min``,
  ``time_max`` (ISO text or numbers)
- the evaluation's settings: ``train_window``, ``eval_window``, ``gap``, ``horizon``,
  ``anchors``, ``anchor_step``, ``expanding``, ``min_window_size``, ``target``,
  ``time``, ``features`` (a list), ``estimator`` (its repr; null for predictions made
  elsewhere)

Schema ``oot.flat/1`` for several metrics or segments (:func:`recommendations_record`,
``kind`` "recommendations"): the fields above, of the item that decides the cadence
(the binding item: the shortest interval; the first item when none degrades), with
``sentence`` the binding sentence, and:

- ``segment`` (the item's segment, ``"(all)"`` for the whole population),
  ``binding_metric`` and ``binding_segment`` (null when no item degrades)
- ``metrics`` and ``segments`` (the names, in order), ``n_recommendations``, and how
  many items have each status: ``n_crossed``, ``n_not_reached``, ``n_no_degradation``,
  ``n_no_skill``
- ``pooling`` ("none" or "partial")

Each item's own figures are in the exact document (``recommendations.json``).

``oot analyze --json`` adds, to the same record (still ``oot.flat/1``: fields added,
none changed), where the exact files are (``recommendation_file``, ``report_file``),
the backtest's verdict (``backtest``, ``backtest_best_cadence``) and the leading
indicators' summary (:func:`indicator_record`; every field null without
``--indicators``):

- ``indicators`` (the names, best-ranked first), ``n_indicators``,
  ``indicator_sentence``, ``indicator_best`` (the indicator to watch, null when none
  tracks the metric or the metric does not cross the tolerance),
  ``indicator_trigger_problem`` (why no trigger was backtested; null when one was)
- the best-ranked indicator (``indicator_top``; it is ``indicator_best`` when that is
  not null): ``indicator_top_correlation``, ``indicator_top_agreement``,
  ``indicator_top_tracks``, ``indicator_top_trigger_level``, its ``lead`` and
  ``alarm_age`` as ``indicator_top_lead`` / ``indicator_top_alarm_age`` (in
  ``age_unit``) and ``indicator_top_lead_days`` / ``indicator_top_alarm_age_days``
  (null for numeric time), ``indicator_top_n_crossed``, ``indicator_top_n_warned``,
  ``indicator_top_n_false_alarms``, and its trigger on the test periods:
  ``indicator_top_n_test``, ``indicator_top_within_test``,
  ``indicator_top_retrains_test``, ``indicator_top_fixed_needed_cadence``,
  ``indicator_top_fixed_needed_retrains`` (the columns of
  :meth:`oot.IndicatorReport.summary` of the same names)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

import oot._format as fmt

if TYPE_CHECKING:
    from oot.indicators import IndicatorReport
    from oot.recommend import RetrainRecommendation, RetrainRecommendations

__all__ = ["FLAT_SCHEMA", "AGE_FIELDS", "recommendation_record", "recommendations_record",
           "deciding_item", "age_number", "age_unit_of", "INDICATOR_FIELDS",
           "indicator_record"]

FLAT_SCHEMA = "oot.flat/1"

#: The ages of a recommendation's record, each also given in days (``<name>_days``).
AGE_FIELDS = ("interval", "ci_low", "ci_high", "safe_interval", "max_age",
              "extrapolated_interval", "cost_optimal_interval")


def age_unit_of(rec: RetrainRecommendation) -> str:
    """The unit of the record's ages: "days", or the numeric time's unit."""
    if rec.time_kind == "datetime":
        return "days"
    unit = rec.evaluation.params.get("time_unit")
    return str(unit) if unit else "time units"


def age_number(value: Any, time_kind: str) -> float | None:
    """An age as a plain number: days for a Timedelta, the number for numeric time."""
    if value is None:
        return None
    if isinstance(value, pd.Timedelta):
        return float(value / pd.Timedelta(days=1))
    x = float(value)
    return x if math.isfinite(x) else None


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int | float):
        return None if isinstance(v, float) and not math.isfinite(v) else v
    if hasattr(v, "item"):
        return _plain(v.item())
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return str(v)


def recommendation_record(rec: RetrainRecommendation) -> dict[str, Any]:
    """The flat ``oot.flat/1`` record of a recommendation (see the module's list).

    Examples
    --------
    >>> from oot.datasets import make_degradation_scores
    >>> from oot.recommend import recommend_retrain_interval
    >>> import pandas as pd
    >>> from oot._flat import recommendation_record
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> rec = recommend_retrain_interval(ev, n_bootstrap=100, random_state=0)
    >>> r = recommendation_record(rec)
    >>> r["schema"], r["status"], r["age_unit"]
    ('oot.flat/1', 'crossed', 'days')
    >>> r["interval_days"] == rec.interval / pd.Timedelta(days=1)
    True
    """
    kind = rec.time_kind
    ev = rec.evaluation
    lo, hi = rec.interval_ci
    ages = {"interval": rec.interval, "ci_low": lo, "ci_high": hi,
            "safe_interval": rec.safe_interval, "max_age": rec.max_age,
            "extrapolated_interval": rec.extrapolated_interval,
            "cost_optimal_interval": rec.cost_optimal_interval}
    out: dict[str, Any] = {
        "schema": FLAT_SCHEMA,
        "kind": "recommendation",
        "status": rec.status,
        "sentence": str(rec),
        "metric": rec.metric.name,
        "greater_is_better": bool(rec.metric.greater_is_better),
        "time_kind": kind,
        "age_unit": age_unit_of(rec),
    }
    for name in AGE_FIELDS:
        out[name] = age_number(ages[name], kind)
    for name in AGE_FIELDS:
        out[f"{name}_days"] = out[name] if kind == "datetime" else None
    beyond = rec.status != "no_degradation"
    out["ci_low_beyond_data"] = bool(beyond and lo is None)
    out["ci_high_beyond_data"] = bool(beyond and hi is None)
    p = ev.params
    info = ev.data_info
    out.update({
        "confidence_level": rec.confidence_level,
        "baseline": rec.baseline,
        "threshold": rec.threshold,
        "tolerance": rec.tolerance,
        "tolerance_type": rec.tolerance_type,
        "curve": rec.curve.family,
        "trend_pvalue": rec.curve.trend_pvalue,
        "crossed_fraction": rec.crossed_fraction,
        "cost_rate": rec.cost_rate,
        "retrain_cost": rec.retrain_cost,
        "shortfall_cost": rec.shortfall_cost,
        "round_to": rec.round_to,
        "n_bootstrap": rec.n_bootstrap,
        "n_anchors": ev.n_anchors,
        "n_windows": len(ev.scores),
        "n_usable_windows": ev.n_usable,
        "n_rows": info.get("n_rows"),
        "time_min": info.get("time_min"),
        "time_max": info.get("time_max"),
        "train_window": p.get("train_window"),
        "eval_window": p.get("eval_window"),
        "gap": p.get("gap"),
        "horizon": p.get("horizon"),
        "anchors": p.get("anchors"),
        "anchor_step": p.get("anchor_step"),
        "expanding": p.get("expanding"),
        "min_window_size": p.get("min_window_size"),
        "target": p.get("target", p.get("y_true")),
        "time": p.get("time", info.get("time_column")),
        "features": p.get("features"),
        "estimator": p.get("estimator"),
    })
    return {k: _plain(v) for k, v in out.items()}


#: The statuses :func:`recommendations_record` counts (``n_<status>``).
_STATUSES = ("crossed", "not_reached", "no_degradation", "no_skill")


def deciding_item(recs: RetrainRecommendations) -> RetrainRecommendation:
    """The item that decides the cadence: the binding one, else (nothing degrades) the
    first."""
    binding = recs.binding
    return recs.items[0] if binding is None else binding


def recommendations_record(recs: RetrainRecommendations) -> dict[str, Any]:
    """The flat ``oot.flat/1`` record of several metrics or segments (see the module's
    list): the deciding item's figures, which item it is, and the names.

    Examples
    --------
    >>> import pandas as pd
    >>> from oot.datasets import make_degradation_scores
    >>> from oot.evaluate import OOTEvaluation
    >>> from oot.recommend import recommend_retrain_interval
    >>> from oot._flat import recommendations_record
    >>> parts = [make_degradation_scores(slope=s, random_state=i).to_evaluation().scores
    ...          .assign(segment=name) for i, (name, s) in
    ...          enumerate([("(all)", -3e-4), ("fast", -9e-4)])]
    >>> ev = OOTEvaluation.from_frame(pd.concat(parts), metric="roc_auc")
    >>> recs = recommend_retrain_interval(ev, n_bootstrap=50, random_state=0)
    >>> r = recommendations_record(recs)
    >>> r["kind"], r["binding_segment"], r["segment"], r["segments"]
    ('recommendations', 'fast', 'fast', ['(all)', 'fast'])
    >>> r["interval_days"] == recs["fast"].interval / pd.Timedelta(days=1)
    True
    """
    item = deciding_item(recs)
    key = recs.keys[recs.items.index(item)]
    bind = recs.binding_key
    out = recommendation_record(item)
    out["kind"] = "recommendations"
    out["sentence"] = recs.binding_sentence
    out.update({
        "segment": key[1],
        "binding_metric": None if bind is None else bind[0],
        "binding_segment": None if bind is None else bind[1],
        "metrics": list(recs.metrics),
        "segments": list(recs.segments),
        "n_recommendations": len(recs),
        **{f"n_{st}": sum(r.status == st for r in recs) for st in _STATUSES},
        "pooling": recs.pooling,
    })
    return {k: _plain(v) for k, v in out.items()}


#: The columns of the best-ranked indicator's row, as ``indicator_top_<column>``.
_TOP_COLUMNS = ("correlation", "agreement", "tracks", "trigger_level", "lead", "alarm_age",
                "n_crossed", "n_warned", "n_false_alarms", "n_test", "within_test",
                "retrains_test", "fixed_needed_cadence", "fixed_needed_retrains")
#: The fields :func:`indicator_record` adds, in order.
INDICATOR_FIELDS = (
    "indicators", "n_indicators", "indicator_sentence", "indicator_best",
    "indicator_trigger_problem", "indicator_top",
    *(f"indicator_top_{c}" for c in _TOP_COLUMNS),
    "indicator_top_lead_days", "indicator_top_alarm_age_days")


def indicator_record(report: IndicatorReport | None,
                     rec: RetrainRecommendation) -> dict[str, Any]:
    """The leading indicators' fields of the flat record (see the module's list): the
    summary's best-ranked row and the names; every field None without a report.

    Examples
    --------
    >>> import oot
    >>> from sklearn.linear_model import LogisticRegression
    >>> from oot._flat import indicator_record
    >>> from oot.report import recommendation_indicators
    >>> sim = oot.datasets.make_indicator_data(6000, random_state=0)
    >>> ev = oot.evaluate_out_of_time(
    ...     sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
    ...     train_window="90D", eval_window="30D", anchors=6,
    ...     indicators=["psi:x_cause", "psi:x_noise"])
    >>> rec = oot.recommend_retrain_interval(ev, n_bootstrap=50, random_state=0)
    >>> r = indicator_record(recommendation_indicators(rec), rec)
    >>> r["n_indicators"], r["indicator_top"] == r["indicators"][0]
    (2, True)
    >>> indicator_record(None, rec)["indicators"] is None
    True
    """
    out: dict[str, Any] = dict.fromkeys(INDICATOR_FIELDS)
    if report is None:
        return out
    t = report.summary_table
    out.update({
        "indicators": report.indicators,
        "n_indicators": len(t),
        "indicator_sentence": str(report),
        "indicator_best": report.best,
        "indicator_trigger_problem": report.trigger_problem or None,
    })
    if len(t):
        top = t.iloc[0]
        out["indicator_top"] = str(top["indicator"])
        for c in _TOP_COLUMNS:
            out[f"indicator_top_{c}"] = top[c]
        kind = rec.time_kind
        for c in ("lead", "alarm_age"):
            v = top[c]
            out[f"indicator_top_{c}"] = None if pd.isna(v) else age_number(
                pd.Timedelta(v) if kind == "datetime" else v, kind)
            out[f"indicator_top_{c}_days"] = (out[f"indicator_top_{c}"]
                                              if kind == "datetime" else None)
    return {k: _plain(v) for k, v in out.items()}


def record_text(value: Any) -> str:
    """A record's value as a short text (MLflow parameters, tags)."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return fmt.number(value) if math.isfinite(value) else "nan"
    return "" if value is None else str(value)
