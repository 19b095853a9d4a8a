"""Log oot's results to an MLflow run: parameters, metrics, tags, figures and artifacts.

Needs MLflow (``pip install 'oot[mlflow]'``, which installs ``mlflow-skinny``; a local
``sqlite:`` tracking store also needs SQLAlchemy and Alembic, which the full ``mlflow``
package brings). MLflow is imported when a function here is called, never by
``import oot``.

Every function builds everything it will log first (the figures, the JSON, the
report folder), then checks that the tracking store answers, then logs the artifacts in
one upload and the parameters, metrics and tags in one batch. A store that cannot be
reached raises :class:`MlflowLoggingError` before anything is logged; a run the
function created itself is deleted again if logging fails midway.

Adding a result type is one function that turns it into a :class:`_Payload` (what to
log), registered in ``_PAYLOADS``; :func:`log_result` then logs it.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oot._flat import AGE_FIELDS, age_number, recommendation_record, record_text
from oot._validation import InvalidParameterError, param_message
from oot.backtest import CadenceBacktest
from oot.compare import CandidateComparison
from oot.plotting import BacktestDisplay
from oot.recommend import RetrainRecommendation
from oot.report import (
    render_comparison_figures,
    render_figures,
    save_comparison_report,
    save_report,
)

__all__ = ["MlflowLoggingError", "log_recommendation", "log_backtest", "log_comparison",
           "log_result"]

# MLflow's limits on one value (a server may be older: stay within its 2.x limits)
_MAX_PARAM = 6000
_MAX_TAG = 5000


class MlflowLoggingError(RuntimeError):
    """The MLflow tracking store could not be reached or refused what was logged."""


@dataclass
class _Payload:
    """What one result logs: parameters, metrics and tags (without the prefix), and a
    function that writes the artifacts into a folder."""

    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)
    write_artifacts: Callable[[Path], None] | None = None


# ------------------------------------------------------------------ recommendation
def _recommendation_payload(rec: RetrainRecommendation, report: bool) -> _Payload:
    r = recommendation_record(rec)
    curve = rec.curve
    params = {name: r[name] for name in (
        "metric", "train_window", "eval_window", "gap", "horizon", "anchors",
        "anchor_step", "expanding", "min_window_size", "tolerance", "tolerance_type",
        "confidence_level", "n_bootstrap", "round_to", "retrain_cost", "shortfall_cost",
        "target", "time", "features", "estimator", "age_unit")}
    params.update(curve=curve.selection, curve_fitted=curve.family,
                  baseline=curve.baseline_mode, reference=curve.reference)
    suffix = "_days" if rec.time_kind == "datetime" else ""
    metrics = {f"{name}{suffix}": r[name] for name in AGE_FIELDS}
    metrics.update({name: r[name] for name in (
        "baseline", "threshold", "trend_pvalue", "crossed_fraction", "cost_rate",
        "n_anchors", "n_windows", "n_usable_windows")})
    tags = {"status": rec.status, "sentence": r["sentence"], "schema": r["schema"],
            "ci_high_beyond_data": r["ci_high_beyond_data"],
            "ci_low_beyond_data": r["ci_low_beyond_data"]}

    def write(folder: Path) -> None:
        (folder / "recommendation.json").write_text(rec.to_json(indent=2), encoding="utf-8")
        (folder / "record.json").write_text(json.dumps(r, indent=2), encoding="utf-8")
        if report:
            out = save_report(rec, folder / "report")
            for name in ("degradation.png", "heatmap.png"):
                shutil.copyfile(out / name, folder / name)
        else:
            for name, png in render_figures(rec).items():
                (folder / name).write_bytes(png)

    return _Payload(params, metrics, tags, write)


# ------------------------------------------------------------------------ backtest
def _backtest_payload(bt: CadenceBacktest, report: bool) -> _Payload:
    params: dict[str, Any] = {
        "metric": bt.metric.name, "step": bt.step, "tolerance": bt.tolerance,
        "tolerance_type": bt.tolerance_type, "baseline": bt.baseline_mode,
        "reference": bt.reference, "target_share": bt.target_share,
        "retrain_cost": bt.retrain_cost, "shortfall_cost": bt.shortfall_cost}
    metrics: dict[str, Any] = {"baseline": bt.baseline, "threshold": bt.threshold,
                               "n_periods": bt.n_periods, "n_anchors": bt.n_anchors}
    table = bt.summary_table
    figures = ("mean_score", "worst_score", "within_tolerance", "within_fresh",
               bt.rate_column, "cost_rate", "regret")
    for label, flag in (("best", "best"), ("recommended", "recommended")):
        hit = table.loc[table[flag]] if flag in table.columns else table.iloc[:0]
        if hit.empty:
            continue
        row = hit.iloc[0]
        metrics[f"{label}.steps"] = row["steps"]
        for col in figures:
            if col in table.columns:
                metrics[f"{label}.{col}"] = row[col]
    tags = {"best_cadence": bt.best_cadence, "sentence": str(bt),
            "recommended_cadence": (None if bt.recommended_steps is None
                                    else str(bt.recommended_steps))}

    def write(folder: Path) -> None:
        from matplotlib.figure import Figure

        (folder / "backtest.json").write_text(bt.to_json(indent=2), encoding="utf-8")
        bt.summary().to_csv(folder / "backtest_summary.csv", index=False)
        for name, kind in (("backtest.png", "tradeoff"), ("backtest_realized.png",
                                                          "realized")):
            fig = Figure(figsize=(10.0, 5.6), layout="constrained")
            BacktestDisplay.from_backtest(bt, kind=kind, ax=fig.add_subplot())
            fig.savefig(folder / name, dpi=110, facecolor="white")

    return _Payload({f"backtest.{k}": v for k, v in params.items()},
                    {f"backtest.{k}": v for k, v in metrics.items()},
                    {f"backtest.{k}": v for k, v in tags.items()}, write)


# ---------------------------------------------------------------------- comparison
#: The ages of a candidate logged as metrics (its recommendation's; the cost-optimal
#: interval comes from the comparison's costs, measured against the best baseline).
_CANDIDATE_AGES = tuple(f for f in AGE_FIELDS if f != "cost_optimal_interval")


def candidate_keys(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Each candidate's name as a part of an MLflow key: letters, digits and ``_-. /``
    are kept, any other character becomes ``_``; a name that then collides with an
    earlier one gets its position (``_2``).

    Examples
    --------
    >>> from oot.integrations.mlflow import candidate_keys
    >>> candidate_keys(["2y", "all history", "rule=z", "rule#z"])
    {'2y': '2y', 'all history': 'all history', 'rule=z': 'rule_z', 'rule#z': 'rule_z_4'}
    """
    out: dict[str, str] = {}
    for i, name in enumerate(names, start=1):
        key = re.sub(r"[^\w\-. /]", "_", name, flags=re.ASCII).strip(" ./") or f"c{i}"
        out[name] = key if key not in out.values() else f"{key}_{i}"
    return out


def _comparison_payload(cmp: CandidateComparison, report: bool) -> _Payload:
    keys = candidate_keys(list(cmp.candidates))
    kind = cmp.time_kind
    suffix = "_days" if kind == "datetime" else ""
    first = recommendation_record(cmp.recommendations[cmp.candidates[0]])
    params: dict[str, Any] = {name: first[name] for name in (
        "metric", "eval_window", "gap", "horizon", "anchors", "anchor_step",
        "min_window_size", "tolerance", "tolerance_type", "confidence_level",
        "n_bootstrap", "target", "time", "age_unit")}
    rec0 = cmp.recommendations[cmp.candidates[0]]
    params.update(candidates=list(cmp.candidates), margin=cmp.margin,
                  benchmark=cmp.benchmark, shortfall_cost=cmp.shortfall_cost,
                  curve=rec0.curve.selection, baseline=rec0.curve.baseline_mode,
                  reference=rec0.curve.reference,
                  cost_rule=str(cmp.costs["cost_rule"].iloc[0]))
    metrics: dict[str, Any] = {"n_anchors": first["n_anchors"],
                               "n_windows": first["n_windows"]}
    tags: dict[str, Any] = {"leader": cmp.leader, "cost_optimal": cmp.cost_optimal,
                            "verdict": cmp.verdict(), "kind": "comparison"}
    costs = cmp.costs.set_index("candidate")
    for spec in cmp.specs:
        name = spec["name"]
        k = keys[name]
        rec = cmp.recommendations[name]
        r = recommendation_record(rec)
        params.update({
            f"{k}.name": name, f"{k}.estimator": spec["estimator"],
            f"{k}.train_window": spec["train_window"], f"{k}.expanding": spec["expanding"],
            f"{k}.features": list(spec["features"]), f"{k}.curve_fitted": rec.curve.family})
        metrics.update({f"{k}.{f}{suffix}": r[f] for f in _CANDIDATE_AGES})
        metrics.update({f"{k}.{f}": r[f] for f in (
            "baseline", "threshold", "trend_pvalue", "crossed_fraction",
            "n_usable_windows")})
        row = costs.loc[name]
        metrics[f"{k}.fit_time"] = row["fit_time"]
        metrics[f"{k}.retrain_cost"] = row["retrain_cost"]
        metrics[f"{k}.cost_rate"] = row["cost_rate"]
        metrics[f"{k}.cost_optimal_interval{suffix}"] = age_number(
            row["cost_optimal_interval"], kind)
        tags[f"{k}.status"] = rec.status
        tags[f"{k}.sentence"] = str(rec)
    for p in cmp.pairs:
        k = f"pair.{keys[p.a]}.vs.{keys[p.b]}"
        metrics[f"{k}.fresh_lead"] = p.fresh_lead
        metrics[f"{k}.crossed_fraction"] = p.crossed_fraction
        metrics[f"{k}.trend_pvalue"] = p.curve.trend_pvalue
        for field_name, value in (("crossing_age", p.crossing_age),
                                  ("crossing_low", p.crossing_ci.low),
                                  ("crossing_high", p.crossing_ci.high),
                                  ("max_age", p.max_age)):
            metrics[f"{k}.{field_name}{suffix}"] = age_number(value, kind)
        tags[f"{k}.status"] = p.status
        tags[f"{k}.leader"] = p.leader
        tags[f"{k}.sentence"] = str(p)

    def write(folder: Path) -> None:
        (folder / "comparison.json").write_text(cmp.to_json(indent=2), encoding="utf-8")
        cmp.summary().to_csv(folder / "comparison_summary.csv", index=False)
        cmp.pairs_frame().to_csv(folder / "comparison_pairs.csv", index=False)
        if report:
            out = save_comparison_report(cmp, folder / "report")
            for png in sorted(out.glob("*.png")):
                shutil.copyfile(png, folder / png.name)
        else:
            for name, data in render_comparison_figures(cmp).items():
                (folder / name).write_bytes(data)

    return _Payload({f"comparison.{k}": v for k, v in params.items()},
                    {f"comparison.{k}": v for k, v in metrics.items()},
                    {f"comparison.{k}": v for k, v in tags.items()}, write)


#: result type -> the function that says what it logs (a new result type: add a line)
_PAYLOADS: dict[type, Callable[[Any, bool], _Payload]] = {
    RetrainRecommendation: _recommendation_payload,
    CadenceBacktest: _backtest_payload,
    CandidateComparison: _comparison_payload,
}


# --------------------------------------------------------------------------- public
def log_recommendation(rec: RetrainRecommendation, *, run_id: str | None = None,
                       prefix: str = "oot", report: bool = True) -> str:
    """Log a recommendation to an MLflow run.

    Logged, every name starting with ``prefix + "."`` (artifacts under ``prefix/``):

    - parameters: the windows and anchors (``train_window``, ``eval_window``, ``gap``,
      ``horizon``, ``anchors``, ``anchor_step``, ``expanding``, ``min_window_size``),
      ``metric``, ``tolerance``, ``tolerance_type``, ``curve`` (asked for) and
      ``curve_fitted``, ``baseline``, ``reference``, ``confidence_level``,
      ``n_bootstrap``, ``round_to``, the costs, ``target``, ``time``, ``features``,
      ``estimator`` and ``age_unit``;
    - metrics: ``interval_days``, ``ci_low_days``, ``ci_high_days``,
      ``safe_interval_days``, ``max_age_days``, ``extrapolated_interval_days``,
      ``cost_optimal_interval_days`` (without ``_days`` and in ``age_unit`` for
      numeric time; an absent value is not logged), ``baseline``, ``threshold``,
      ``trend_pvalue``, ``crossed_fraction``, ``cost_rate``, ``n_anchors``,
      ``n_windows``, ``n_usable_windows``;
    - tags: ``status``, ``sentence``, ``schema``, ``ci_low_beyond_data``,
      ``ci_high_beyond_data``;
    - artifacts: ``degradation.png`` and ``heatmap.png`` (the figures),
      ``recommendation.json`` (exact: :meth:`RetrainRecommendation.from_json` reads it),
      ``record.json`` (the flat ``oot.flat/1`` record) and the report folder
      ``report/``.

    Parameters
    ----------
    rec : RetrainRecommendation
    run_id : str, default=None
        The run to log to. None: the active run (``mlflow.start_run()``), else a new run
        in the current experiment, ended when everything is logged.
    prefix : str, default="oot"
        Prefix of every name, and the artifacts' folder.
    report : bool, default=True
        Also log the report folder.

    Returns
    -------
    str
        The run's id.

    Raises
    ------
    MlflowLoggingError
        The tracking store cannot be reached, the run does not exist, or logging failed
        (nothing is logged when the store cannot be reached; a run created here is
        deleted when logging fails midway).

    Examples
    --------
    >>> import tempfile, mlflow                                 # doctest: +SKIP
    >>> from oot.integrations.mlflow import log_recommendation  # doctest: +SKIP
    >>> mlflow.set_tracking_uri(f"sqlite:///{tempfile.mkdtemp()}/mlflow.db")  # doctest: +SKIP
    >>> with mlflow.start_run():                                # doctest: +SKIP
    ...     run_id = log_recommendation(rec)
    """
    _check(rec, RetrainRecommendation, "rec", "log_recommendation")
    return log_result(rec, run_id=run_id, prefix=prefix, report=report)


def log_backtest(bt: CadenceBacktest, *, run_id: str | None = None,
                 prefix: str = "oot") -> str:
    """Log a policy backtest (:func:`oot.backtest_cadences`) to an MLflow run.

    Names start with ``prefix + ".backtest."``: parameters (``step``, ``tolerance``,
    ``tolerance_type``, ``baseline``, ``reference``, ``target_share``, the costs),
    metrics (``baseline``, ``threshold``, ``n_periods``, ``n_anchors`` and, for the best
    and the recommended cadence, ``best.steps``, ``best.mean_score``,
    ``best.worst_score``, ``best.within_tolerance``, ``best.within_fresh``, the retrain
    rate and, with costs, ``best.cost_rate`` and ``best.regret``), tags
    (``best_cadence``, ``recommended_cadence``, ``sentence``), and the artifacts
    ``backtest.json``, ``backtest_summary.csv``, ``backtest.png`` and
    ``backtest_realized.png``. Runs, errors and the return value as in
    :func:`log_recommendation`.
    """
    _check(bt, CadenceBacktest, "bt", "log_backtest")
    return log_result(bt, run_id=run_id, prefix=prefix)


def log_comparison(comparison: CandidateComparison, *, run_id: str | None = None,
                   prefix: str = "oot", report: bool = True) -> str:
    """Log a comparison of candidates (:func:`oot.compare_candidates`) to an MLflow run.

    Names start with ``prefix + ".comparison."``; a candidate's own names continue with
    its key (its name, with characters MLflow refuses in a key replaced by ``_``:
    :func:`candidate_keys`), a pair's with ``pair.<a>.vs.<b>``:

    - parameters: ``metric``, ``candidates``, the shared windows and anchors
      (``eval_window``, ``gap``, ``horizon``, ``anchors``, ``anchor_step``,
      ``min_window_size``), ``tolerance``, ``tolerance_type``, ``confidence_level``,
      ``n_bootstrap``, ``margin``, ``benchmark``, ``shortfall_cost``, ``cost_rule``,
      ``curve``, ``baseline``, ``reference``, ``target``, ``time``, ``age_unit``; per
      candidate ``<c>.name``, ``<c>.estimator``, ``<c>.train_window``,
      ``<c>.expanding``, ``<c>.features``, ``<c>.curve_fitted``;
    - metrics: ``n_anchors``, ``n_windows``; per candidate ``<c>.interval_days``,
      ``<c>.ci_low_days``, ``<c>.ci_high_days``, ``<c>.safe_interval_days``,
      ``<c>.max_age_days``, ``<c>.extrapolated_interval_days``, ``<c>.baseline``,
      ``<c>.threshold``, ``<c>.trend_pvalue``, ``<c>.crossed_fraction``,
      ``<c>.n_usable_windows``, ``<c>.fit_time``, and with costs ``<c>.retrain_cost``,
      ``<c>.cost_rate``, ``<c>.cost_optimal_interval_days``; per pair
      ``pair.<a>.vs.<b>.fresh_lead``, ``.crossing_age_days``, ``.crossing_low_days``,
      ``.crossing_high_days`` (the crossing age's CI), ``.max_age_days``,
      ``.crossed_fraction``, ``.trend_pvalue`` (ages without ``_days``, in time units,
      for numeric time; an absent value is not logged);
    - tags: ``kind`` ("comparison"), ``leader``, ``cost_optimal``, ``verdict``; per
      candidate ``<c>.status`` and ``<c>.sentence``; per pair ``.status``,
      ``.leader`` and ``.sentence``;
    - artifacts: ``curves.png`` and ``difference_1.png``, ... (the figures),
      ``comparison.json`` (exact: :meth:`CandidateComparison.from_json` reads it),
      ``comparison_summary.csv`` and ``comparison_pairs.csv`` (the verdict table and
      the pairs) and the report folder ``report/``.

    Runs, errors and the return value as in :func:`log_recommendation`.

    Examples
    --------
    >>> import tempfile, mlflow                                 # doctest: +SKIP
    >>> from oot.integrations.mlflow import log_comparison      # doctest: +SKIP
    >>> mlflow.set_tracking_uri(f"sqlite:///{tempfile.mkdtemp()}/mlflow.db")  # doctest: +SKIP
    >>> with mlflow.start_run():                                # doctest: +SKIP
    ...     run_id = log_comparison(cmp)
    """
    _check(comparison, CandidateComparison, "comparison", "log_comparison")
    return log_result(comparison, run_id=run_id, prefix=prefix, report=report)


def log_result(result: Any, *, run_id: str | None = None, prefix: str = "oot",
               report: bool = True) -> str:
    """Log any result oot knows how to log (a recommendation, a backtest, a
    comparison); see :func:`log_recommendation`. Returns the run's id."""
    builder = next((b for t, b in _PAYLOADS.items() if isinstance(result, t)), None)
    if builder is None:
        names = ", ".join(t.__name__ for t in _PAYLOADS)
        raise InvalidParameterError(param_message(
            "result", "log_result", f"one of {names}", type(result).__name__))
    if not isinstance(prefix, str) or not prefix or prefix != prefix.strip("./ "):
        raise InvalidParameterError(param_message(
            "prefix", "log_result", "a non-empty name without leading or trailing dots, "
            "slashes or spaces", prefix))
    if run_id is not None and not isinstance(run_id, str):
        raise InvalidParameterError(param_message(
            "run_id", "log_result", "a run id (str) or None", run_id))
    try:
        import mlflow
    except ImportError as exc:
        msg = ("Logging to MLflow needs mlflow, which is not installed: "
               "pip install 'oot[mlflow]'.")
        raise MlflowLoggingError(msg) from exc
    payload = builder(result, report)
    with tempfile.TemporaryDirectory(prefix="oot-mlflow-") as tmp:
        folder = Path(tmp) / prefix
        folder.mkdir(parents=True)
        if payload.write_artifacts is not None:
            payload.write_artifacts(folder)  # everything is built before the store is used
        return _log(mlflow, payload, folder, run_id, prefix)


# ------------------------------------------------------------------------- logging
def _check(value: Any, cls: type, param: str, func: str) -> None:
    if not isinstance(value, cls):
        raise InvalidParameterError(param_message(
            param, func, f"a {cls.__name__}", type(value).__name__))


def _log(mlflow: Any, payload: _Payload, folder: Path, run_id: str | None,
         prefix: str) -> str:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    uri = mlflow.get_tracking_uri()
    client = MlflowClient()
    created = False
    try:
        if run_id is None:
            active = mlflow.active_run()
            if active is not None:
                run_id = active.info.run_id
            else:
                run = client.create_run(_experiment_id())
                run_id, created = run.info.run_id, True
        else:
            client.get_run(run_id)
    except Exception as exc:
        msg = (f"Could not reach the MLflow tracking store at {uri!r}"
               + (f" for run {run_id!r}" if run_id else "")
               + f": {type(exc).__name__}: {_first_line(exc)}. Nothing was logged. Check "
               "the tracking URI (mlflow.set_tracking_uri or MLFLOW_TRACKING_URI) and that "
               "the server is up.")
        raise MlflowLoggingError(msg) from exc
    stamp = _now_ms()
    params = [Param(f"{prefix}.{k}", _clip(record_text(v), _MAX_PARAM))
              for k, v in payload.params.items() if v is not None]
    metrics = [Metric(f"{prefix}.{k}", float(v), stamp, 0)
               for k, v in payload.metrics.items() if _number(v)]
    tags = [RunTag(f"{prefix}.{k}", _clip(record_text(v), _MAX_TAG))
            for k, v in payload.tags.items() if v is not None]
    try:
        client.log_artifacts(run_id, str(folder), artifact_path=prefix)
        client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
        if created:
            client.set_terminated(run_id, "FINISHED")
    except Exception as exc:
        if created:
            with contextlib.suppress(Exception):  # the first error is the one to report
                client.delete_run(run_id)
        msg = (f"Logging to MLflow run {run_id!r} at {uri!r} failed: "
               f"{type(exc).__name__}: {_first_line(exc)}."
               + (" The run created for it was deleted." if created else ""))
        raise MlflowLoggingError(msg) from exc
    return str(run_id)


def _experiment_id() -> str:
    """The current experiment (``mlflow.set_experiment``, MLFLOW_EXPERIMENT_ID/_NAME),
    else the default one."""
    from mlflow.tracking.fluent import _get_experiment_id

    return str(_get_experiment_id())


def _number(v: Any) -> bool:
    if v is None or isinstance(v, bool | str):
        return False
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)
