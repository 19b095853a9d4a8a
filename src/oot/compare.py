"""Candidates side by side: :func:`compare_candidates` -> :class:`CandidateComparison`.

Several candidates (estimators, training-window lengths, expanding vs sliding history,
feature sets, a heuristic) are trained at the same cutoffs and scored on the same
evaluation windows, so every window is scored by every candidate on the same rows. Each
candidate gets its evaluation and recommendation; each pair gets the **paired**
per-window difference of their scores (the rows' shared noise cancels: its standard
error comes from the rows, :func:`oot.metrics.score_window_pairs`), a curve of that
difference against model age (:func:`oot.degradation.fit_degradation`), and the age at
which the candidate ahead when fresh stops being ahead, with a confidence interval from
the same calendar-cluster bootstrap as the recommendation's
(:func:`oot.degradation.bootstrap_crossing`), which here also reweights the anchors
(``resample_anchors=True``: in a paired difference the calendar noise largely cancels,
and what is left is mostly how each anchor's pair of models differs).

The engine is the evaluation's: the same plan, row order, feature copies, seeds,
runners (serial with a helper thread, joblib, dask) and failure handling; only the
steps of an anchor differ (several models per anchor, fitted one after the other,
scored together; ``oot.evaluate._engine._Steps``). Serially, with 1-D predictions
on the vectorised kernels (binary and regression tasks), an anchor is scored on the
helper thread while the next anchor's candidates fit, those fits leaving it a core
(their BLAS pools capped at one thread fewer than the cores,
:class:`oot._threads.SpareCore`); otherwise right after its fits, on the calling thread.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import oot._format as fmt
from oot._common import ConfidenceInterval
from oot._frames import model_frame
from oot._serialize import (
    check_schema,
    frame_from_dict,
    frame_to_dict,
    load_document,
    value_from_json,
    value_to_json,
)
from oot._time import TimeKind, age_to_float, float_to_age
from oot._validation import (
    EstimatorFitError,
    InvalidParameterError,
    WindowWarning,
    as_seed,
    caller,
    check_columns,
    check_option,
    check_scalar,
    closest,
    entry_point,
    param_message,
    warn,
)
from oot.degradation import DegradationCurve, bootstrap_crossing, fit_degradation
from oot.evaluate import OOTEvaluation
from oot.evaluate._engine import (
    _check_arguments as _check_evaluation_arguments,
)
from oot.evaluate._engine import (
    _features_in_time_order,
    _fit_predict_anchor,
    _FitJob,
    _Predicted,
    _RowFill,
    _run_anchors,
    _Steps,
)
from oot.evaluate._shared import (
    _AnchorResult,
    _canonical_order,
    _data_info,
    _Failure,
    _jsonable,
    _missing_classes,
    _params,
    _scores_frame,
    _seeds,
    _warn_positive_class,
)
from oot.evaluate._target import _check_response_method, _n_classes, _prepare_target, _Target
from oot.metrics import Metric, WindowScores
from oot.metrics._paired import pairs_thread_safe, score_many
from oot.metrics._scoring import _thread_safe_scoring
from oot.recommend import RetrainRecommendation, cost_optimal_interval
from oot.recommend._recommend import _check_settings
from oot.recommend._recommend import recommend_one as _recommend
from oot.windows import TimeAxis, WindowPlan, make_plan, parse_length

__all__ = ["compare_candidates", "CandidateComparison", "CandidatePair", "OVERRIDE_KEYS",
           "PAIR_STATUSES"]

#: The keys a candidate's overrides may use: ``(estimator, {key: value})``.
OVERRIDE_KEYS = ("train_window", "expanding", "features")
#: What a pair's difference curve says: the candidate ahead when fresh stops being
#: ahead by the margin within the evaluated ages ("crossed"), stays ahead although the
#: lead shrinks ("not_reached"), stays ahead with no shrinking lead
#: ("no_degradation"), or neither is ahead by the margin when fresh ("tied").
PAIR_STATUSES = ("crossed", "not_reached", "no_degradation", "tied")

_SCHEMA = "oot.CandidateComparison/1"
_PAIR_SCHEMA = "oot.CandidatePair/1"


# ------------------------------------------------------------------- candidates
@dataclass(frozen=True)
class _Spec:
    """One candidate: its estimator and how it is trained."""

    name: str
    estimator: Any
    train_window: Any       # as given (or the shared one)
    expanding: bool
    features: tuple[Any, ...]

    def describe(self) -> dict[str, Any]:
        """The candidate as JSON-ready settings (for the result and the report)."""
        tw = self.train_window
        return {"name": self.name, "estimator": repr(self.estimator),
                "train_window": tw if isinstance(tw, (int, float, str)) else str(tw),
                "expanding": bool(self.expanding),
                "features": [str(f) for f in self.features]}


def _check_candidates(candidates: Any, *, train_window: Any, expanding: Any,
                      features: list[Any], columns: list[Any], kind: TimeKind,
                      metric: Metric) -> list[_Spec]:
    """The candidates, checked: a mapping of two or more distinct names to an
    estimator or ``(estimator, overrides)``, overrides from :data:`OVERRIDE_KEYS`, every
    estimator able to give the metric's response for one kind of target."""
    func = caller()
    if not isinstance(candidates, Mapping):
        raise InvalidParameterError(param_message(
            "candidates", func, "a mapping of names to estimators",
            type(candidates).__name__,
            "Write candidates={'model': LogisticRegression(), 'rule': MyRule()}."))
    if len(candidates) < 2:
        raise InvalidParameterError(param_message(
            "candidates", func, "a mapping of at least two names to estimators",
            dict(candidates), "A comparison needs two candidates or more; for one model "
            "use recommend_retrain_interval."))
    seen: dict[str, str] = {}
    specs = []
    for name, value in candidates.items():
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameterError(param_message(
                "candidates", func, "a mapping whose names are non-empty strings", name))
        key = name.strip().casefold()
        if key in seen:
            raise InvalidParameterError(param_message(
                "candidates", func, "a mapping of distinct names (compared without case "
                "and surrounding spaces: they label columns, plots and files)",
                [seen[key], name], f"Rename {name!r} or {seen[key]!r}."))
        seen[key] = name
        specs.append(_spec(name, value, train_window=train_window, expanding=expanding,
                           features=features, columns=columns, kind=kind))
    _check_one_target(specs, metric)
    return specs


def _spec(name: str, value: Any, *, train_window: Any, expanding: Any,
          features: list[Any], columns: list[Any], kind: TimeKind) -> _Spec:
    func = caller()
    overrides: Mapping[str, Any] = {}
    est = value
    if isinstance(value, tuple):
        if len(value) != 2 or not isinstance(value[1], Mapping):
            raise InvalidParameterError(param_message(
                "candidates", func, "estimators or (estimator, overrides) pairs with a "
                "dict of overrides", f"{name!r}: {value!r}",
                f"Write {name!r}: (estimator, {{'train_window': '730D'}})."))
        est, overrides = value
    if isinstance(est, type):
        raise InvalidParameterError(param_message(
            "candidates", func, "estimator instances", f"{name!r}: {est.__name__}",
            f"Pass an instance, e.g. {est.__name__}()."))
    if not hasattr(est, "fit"):
        raise InvalidParameterError(param_message(
            "candidates", func, "estimators with a fit method (a rule can be wrapped in "
            "a small BaseEstimator; see the how-to 'Is the model still worth it?')",
            f"{name!r}: {est!r}"))
    unknown = [k for k in overrides if k not in OVERRIDE_KEYS]
    if unknown:
        hint = closest(str(unknown[0]), OVERRIDE_KEYS)
        raise InvalidParameterError(param_message(
            "candidates", func, f"overrides with keys among {list(OVERRIDE_KEYS)}",
            f"{name!r}: {dict(overrides)!r}",
            f"Unknown key {unknown[0]!r}" + (f"; did you mean {hint!r}?" if hint else ".")))
    tw = overrides.get("train_window", train_window)
    parse_length(tw, f"candidates[{name!r}]['train_window']", kind)
    exp = overrides.get("expanding", expanding)
    if not isinstance(exp, (bool, np.bool_)):
        raise InvalidParameterError(param_message(
            f"candidates[{name!r}]['expanding']", func, "a bool", exp))
    feats = overrides.get("features", features)
    if isinstance(feats, str) or not isinstance(feats, Sequence) or not feats:
        raise InvalidParameterError(param_message(
            f"candidates[{name!r}]['features']", func, "a non-empty list of column names",
            feats, f"Write ['{feats}'] for a single feature." if isinstance(feats, str)
            else None))
    check_columns(list(feats), columns, f"candidates[{name!r}]['features']", func)
    return _Spec(name, est, tw, bool(exp), tuple(feats))


def _task_kind(est: Any) -> str | None:
    """"classifier", "regressor" or None (unknown: a plain rule) for an estimator."""
    from sklearn.base import is_classifier, is_regressor

    try:
        if is_classifier(est):
            return "classifier"
        if is_regressor(est):
            return "regressor"
    except (AttributeError, TypeError):  # an object without scikit-learn's tags
        return None
    return None


def _check_one_target(specs: list[_Spec], metric: Metric) -> None:
    """Every candidate gives the metric's response, for one kind of target."""
    func = caller()
    kinds = {s.name: _task_kind(s.estimator) for s in specs}
    need = {"regression": "regressor", "binary": "classifier",
            "classification": "classifier"}.get(metric.task)
    known = {k for k in kinds.values() if k is not None}
    if len(known) > 1 or (need is not None and known and need not in known):
        clf = [n for n, k in kinds.items() if k == "classifier"]
        reg = [n for n, k in kinds.items() if k == "regressor"]
        raise InvalidParameterError(param_message(
            "candidates", func, f"estimators of one kind of target ({need or 'one kind'}s "
            f"for metric {metric.name!r}), scored on the same rows", {
                "classifiers": clf, "regressors": reg},
            "Compare classifiers with classifiers and regressors with regressors; a "
            "heuristic must give the same response as the model (predict_proba for "
            "ROC AUC: see the how-to 'Is the model still worth it?')."))
    for s in specs:
        try:
            _check_response_method(s.estimator, metric)
        except InvalidParameterError as exc:
            msg = f"Candidate {s.name!r}: {exc}"
            raise InvalidParameterError(msg) from exc


# ---------------------------------------------------------------------- the plan
def _shared_plan(ax: TimeAxis, specs: list[_Spec], *, train_window: Any, eval_window: Any,
                 gap: Any, horizon: Any, anchors: Any, anchor_step: Any,
                 ) -> tuple[WindowPlan, list[WindowPlan]]:
    """One set of cutoffs and windows for every candidate, and each candidate's plan
    (its own training rows at those cutoffs).

    With ``anchors`` a count, the first cutoff is the latest of the candidates' own
    first cutoffs (``t_min + train_window``; the shared ``train_window`` for expanding
    ones), so every candidate has its whole training window at every anchor.
    """
    lead = train_window
    if not isinstance(anchors, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        firsts = []
        for s in specs:
            tw = train_window if s.expanding else s.train_window
            first = make_plan(ax, train_window=tw, eval_window=eval_window, gap=gap,
                              horizon=horizon, anchors=1, anchor_step=anchor_step)
            firsts.append((float(first.cutoff[0]), tw))
        lead = max(firsts, key=lambda x: x[0])[1]
    shared = make_plan(ax, train_window=lead, eval_window=eval_window, gap=gap,
                       horizon=horizon, anchors=anchors, anchor_step=anchor_step)
    cutoffs = [ax.to_stamp(c) for c in shared.cutoff]
    plans = []
    for s in specs:
        p = make_plan(ax, train_window=s.train_window, eval_window=eval_window, gap=gap,
                      horizon=horizon, anchors=cutoffs, expanding=s.expanding)
        assert np.array_equal(p.lo, shared.lo)
        assert np.array_equal(p.hi, shared.hi)
        plans.append(p)
    return shared, plans


# ------------------------------------------------------------ one anchor's steps
@dataclass(frozen=True)
class _CandidatesFit:
    """One anchor's fits: one job per candidate (sent to a worker as it is)."""

    jobs: tuple[_FitJob, ...]
    stop_on_failure: bool


@dataclass(frozen=True)
class _CandidatesScore:
    """What scoring one anchor's windows for every candidate and pair needs."""

    y_eval: np.ndarray
    starts: np.ndarray
    stops: np.ndarray
    metric: Metric
    target: _Target
    min_window_size: int
    seed: int
    pairs: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class _CandidatesPredicted:
    """Each candidate's predictions on the anchor's evaluation rows (or its failure)."""

    items: tuple[_Predicted, ...]

    @property
    def failure(self) -> _Failure | None:
        return next((p.failure for p in self.items if p.failure is not None), None)


@dataclass(frozen=True)
class _CandidatesResult:
    """One anchor's result: per candidate its window scores (None when it failed) and
    times, per pair ``(diff, se, status)`` (None when a candidate of it failed)."""

    results: tuple[_AnchorResult, ...]
    pairs: tuple[tuple[np.ndarray, np.ndarray, np.ndarray] | None, ...]

    @property
    def failure(self) -> _Failure | None:
        return next((r.failure for r in self.results if r.failure is not None), None)


@dataclass(frozen=True)
class _CandidatesTask:
    fit: _CandidatesFit
    score: _CandidatesScore
    eval_ready: Callable[[], None] | None = None


def _fit_candidates(job: _CandidatesFit, *, eval_ready: Callable[[], None] | None = None,
                    ) -> _CandidatesPredicted:
    """Every candidate's model at one anchor: clone, fit once, predict once each (the
    evaluation's own step, one candidate after the other)."""
    items: list[_Predicted] = []
    for fit in job.jobs:
        p = _fit_predict_anchor(fit, eval_ready=eval_ready)
        items.append(p)
        if p.failure is not None and job.stop_on_failure:
            break
    items += [_Predicted(None, None)] * (len(job.jobs) - len(items))  # not tried
    return _CandidatesPredicted(tuple(items))


def _score_candidates(fitted: _CandidatesPredicted, job: _CandidatesScore, *,
                      helper: Executor | None = None) -> _CandidatesResult:
    """Score every candidate's windows and every pair's paired differences from the
    anchor's predictions (the candidates that failed are left out); with a ``helper``
    thread, half the candidates are scored there meanwhile."""
    ok = [i for i, p in enumerate(fitted.items) if p.pred is not None]
    scored: dict[int, WindowScores] = {}
    pair_out: dict[tuple[int, int], Any] = {}
    if ok:
        pairs = tuple((ok.index(i), ok.index(j)) for i, j in job.pairs
                      if i in ok and j in ok)
        preds = [fitted.items[i].pred for i in ok]
        scores, diffs = score_many(job.metric, job.y_eval, preds,  # type: ignore[arg-type]
                                   job.starts, job.stops, pairs,
                                   min_window_size=job.min_window_size,
                                   n_classes=_n_classes(job.target), random_state=job.seed,
                                   helper=helper)
        scored = {i: scores[k] for k, i in enumerate(ok)}
        pair_out = {(ok[a], ok[b]): d for (a, b), d in zip(pairs, diffs, strict=True)}
    results = tuple(
        _AnchorResult(scored.get(i), p.failure, fit_time=p.fit_time,
                      predict_time=p.predict_time)
        for i, p in enumerate(fitted.items))
    return _CandidatesResult(results, tuple(pair_out.get(pr) for pr in job.pairs))


def _fit_score_candidates(fit: _CandidatesFit, score: _CandidatesScore) -> _CandidatesResult:
    """One anchor for every candidate, in a worker."""
    return _score_candidates(_fit_candidates(fit), score)


#: Each anchor's scoring (every candidate's windows, every pair's paired SE: several
#: times the evaluation's) on the helper thread while the next anchor's candidates fit,
#: those fits capped at cores - 1 BLAS threads (``_Steps.busy_scoring``): without the
#: cap it took a core from fits that use both (OpenBLAS's threads spin while waiting).
_CANDIDATE_STEPS = _Steps(_fit_candidates, _score_candidates, _fit_score_candidates,
                          overlap=True, busy_scoring=True)
#: Where the scoring may not run beside the fits (loops under warning filters, 2-D
#: predictions): each anchor right after its fits.
_CANDIDATE_STEPS_AFTER = _Steps(_fit_candidates, _score_candidates,
                                _fit_score_candidates, overlap=False)


def _run_candidates(
    data: pd.DataFrame, specs: list[_Spec], ax: TimeAxis, plans: list[WindowPlan], *,
    target: Any, metric: Metric, pos_label: Any, min_window_size: int, n_jobs: int | None,
    progress: bool, seed: int | None, on_error: str,
) -> tuple[list[_CandidatesResult], _Target]:
    """Fit, predict and score every candidate at every anchor (the evaluation's engine
    with the candidates' steps); return the results and the target in time order.

    The rows are put in one order for all candidates (rows of one timestamp ordered by
    every candidate's features and the target), each distinct feature set is copied
    into time order once, on the helper thread, while the first anchor fits.
    """
    shared = plans[0]
    all_feats = list(dict.fromkeys(f for s in specs for f in s.features))
    order, is_sorted = _canonical_order(ax, data, [*all_feats, target])
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oot-compare")
    fills: list[_RowFill] = []
    try:
        frames: dict[tuple[Any, ...], pd.DataFrame] = {}
        fill_of: dict[tuple[Any, ...], _RowFill | None] = {}
        for s in specs:
            if s.features not in frames:
                X, fill = _features_in_time_order(data, list(s.features), order,
                                                  is_sorted, pool)
                frames[s.features], fill_of[s.features] = X, fill
                if fill is not None:
                    fills.append(fill)
        y_raw = data[target].to_numpy()
        tgt = _prepare_target(y_raw, str(target), metric, pos_label)
        y_sorted = tgt.y if is_sorted else tgt.y[order]
        y_fit = y_raw if tgt.task in ("binary", "multiclass") else tgt.y
        if not is_sorted:
            y_fit = y_fit[order]
        tgt_meta = dataclasses.replace(tgt, y=np.empty(0))
        est_seeds, score_seeds = _seeds(seed, shared.n_anchors)
        pairs = tuple((i, j) for i in range(len(specs)) for j in range(i + 1, len(specs)))

        def task(a: int) -> _CandidatesTask:
            elo, ehi = shared.eval_range(a)
            sel = shared.anchor_idx == a
            jobs = []
            waits = []
            for s, p in zip(specs, plans, strict=True):
                lo, hi = int(p.train_lo[a]), int(p.train_hi[a])
                X = frames[s.features]
                fill = fill_of[s.features]
                if fill is not None:
                    fill.wait(hi)
                    waits.append(functools.partial(fill.wait, ehi))
                jobs.append(_FitJob(s.estimator, X.iloc[lo:hi], y_fit[lo:hi],
                                    X.iloc[elo:ehi], metric, tgt_meta, est_seeds[a]))
            ready = None
            if waits:
                def ready() -> None:
                    for w in waits:
                        w()
            return _CandidatesTask(
                _CandidatesFit(tuple(jobs), on_error == "raise"),
                _CandidatesScore(y_sorted[elo:ehi], shared.lo[sel] - elo,
                                 shared.hi[sel] - elo, metric, tgt_meta, min_window_size,
                                 score_seeds[a], pairs),
                ready)

        n_classes = _n_classes(tgt)
        safe = pairs_thread_safe(metric, n_classes)
        beside = safe and n_classes is None and _thread_safe_scoring(metric, n_classes)
        results = _run_anchors(task, shared.n_anchors, n_jobs, progress,
                               scoring_pool=pool if safe else None,
                               stop_on_failure=on_error == "raise",
                               steps=_CANDIDATE_STEPS if beside else _CANDIDATE_STEPS_AFTER)
    finally:
        for f in fills:
            f.stop()
        pool.shutdown(wait=True, cancel_futures=True)
    return results, dataclasses.replace(tgt, y=y_sorted)


def _raise_failures(ax: TimeAxis, specs: list[_Spec], plans: list[WindowPlan],
                    results: list[_CandidatesResult], on_error: str) -> None:
    """Raise for the first failed (anchor, candidate) under ``on_error="raise"``, and
    when a candidate failed at every anchor under "skip"."""
    n = plans[0].n_anchors
    for a, res in enumerate(results):
        for s, p, r in zip(specs, plans, res.results, strict=True):
            if r.failure is not None and on_error == "raise":
                msg = (f"Candidate {s.name!r}, anchor {a + 1} of {n} (cutoff "
                       f"{ax.to_stamp(p.cutoff[a])}, {int(p.train_hi[a] - p.train_lo[a])} "
                       f"training rows): the estimator's {r.failure.text}. Pass "
                       "on_error='skip' to record the failure and go on with the other "
                       "anchors and candidates.")
                raise EstimatorFitError(msg) from r.failure.error
    for c, s in enumerate(specs):
        fails = [res.results[c].failure for res in results]
        if fails and all(f is not None for f in fails):
            first = fails[0]
            assert first is not None
            msg = (f"Candidate {s.name!r} failed at every anchor ({n} of {n}); the first: "
                   f"the estimator's {first.text}.")
            raise EstimatorFitError(msg) from first.error


def _evaluation(ax: TimeAxis, spec: _Spec, plan: WindowPlan, results: list[_AnchorResult],
                tgt: _Target, data: pd.DataFrame, metric: Metric, settings: dict[str, Any],
                ) -> OOTEvaluation:
    """One candidate's :class:`OOTEvaluation`, as :func:`oot.evaluate_out_of_time`
    builds it (its anchors table records the failures and fit times)."""
    rows = []
    for a, r in enumerate(results):
        rows.append({
            "anchor": a + 1, "cutoff": ax.to_stamp(plan.cutoff[a]),
            "train_start": ax.to_stamp(plan.train_start[a]),
            "n_train": int(plan.train_hi[a] - plan.train_lo[a]), "status": r.status,
            "message": "" if r.failure is None else r.failure.text,
            "fit_time": float(r.fit_time), "predict_time": float(r.predict_time)})
    scores = _scores_frame(plan, results, tgt)
    params = _params(spec.train_window, settings["eval_window"], settings["gap"],
                     settings["horizon"], [ax.to_stamp(c) for c in plan.cutoff],
                     settings["anchor_step"], spec.expanding, settings["min_window_size"],
                     metric)
    params.update(estimator=repr(spec.estimator), target=str(settings["target"]),
                  time=str(settings["time"]), features=[str(f) for f in spec.features],
                  on_error=settings["on_error"], pos_label=_jsonable(tgt.pos_label),
                  candidate=spec.name)
    return OOTEvaluation(scores=scores, metric=metric, time_kind=ax.kind,
                         anchors=pd.DataFrame(rows), params=params,
                         data_info=_data_info(ax, data))


def _warn_windows(evaluations: dict[str, OOTEvaluation], min_window_size: int,
                  plan: WindowPlan, tgt: _Target, metric: Metric) -> None:
    """One warning for every candidate's unscorable windows (failed anchors included),
    with the evaluation's detail of the windows missing a class (``tgt`` in time order;
    the windows are shared, so the detail is said once when the candidates agree)."""
    parts = []
    details: list[str] = []
    total = 0
    for name, ev in evaluations.items():
        bad = ev.scores[ev.scores["status"] != "ok"]
        if len(bad):
            total += len(bad)
            why = fmt.window_status_counts(bad["status"].value_counts(), min_window_size)
            parts.append(f"{name!r}: {len(bad)} of {len(ev.scores)} ({why})")
            detail = _missing_classes(plan, ev.scores, tgt, metric)
            if detail and detail not in details:
                details.append(detail)
    if parts:
        more = "".join(f" {d}" for d in details)
        warn(f"{total} evaluation windows could not be scored and are left out of every "
             f"fit: {'; '.join(parts)}.{more} See the 'status' column of each "
             "candidate's OOTEvaluation.scores.", WindowWarning, stacklevel=4)


# ------------------------------------------------------------------------- pairs
@dataclass(frozen=True, eq=False)
class CandidatePair:
    """Two candidates compared on the same windows: their paired difference over age.

    Attributes
    ----------
    a, b : str
        The candidates, in the order given.
    leader, other : str or None
        The candidate ahead when fresh (the fitted difference at age 0 beyond the
        margin) and the other one; None for a "tied" pair.
    status : {"crossed", "not_reached", "no_degradation", "tied"}
        See :data:`PAIR_STATUSES`.
    fresh_lead : float
        The leader's fitted lead at age 0, in metric units (positive: better, whatever
        the metric's direction); for "tied", ``a``'s lead over ``b`` (may be negative).
    crossing_age : Timedelta, float or None
        The smallest model age at which the fitted difference falls to ``margin``: the
        leader stops beating the other one. None unless "crossed".
    crossing_ci : ConfidenceInterval
        Its interval at ``confidence_level``, from the calendar-cluster bootstrap of the
        difference curve with the anchors reweighted; an end is None when it lies
        beyond the evaluated ages.
    margin : float
        How far ahead (metric units) the leader must be to count as beating the other.
    crossed_fraction : float
        Share of bootstrap replicates whose difference reaches the margin within the
        evaluated ages.
    curve : DegradationCurve
        The difference ``leader - other`` (signed so that positive is better) against
        model age, one offset per anchor.
    differences : OOTEvaluation
        Its per-window values: ``score`` the paired difference of the two scores on the
        window's rows, ``se`` its paired standard error.
    band_age, band_low, band_high : tuple of float
        Pointwise bootstrap band of the mean difference curve (ages in fit units).
    confidence_level : float
    time_kind : {"datetime", "numeric"}
    max_age : Timedelta or float
        The oldest evaluated age.

    Examples
    --------
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.linear_model import LinearRegression
    >>> import oot
    >>> ds = oot.datasets.make_heuristic_comparison(3000, task="regression",
    ...                                             random_state=2)
    >>> cmp = oot.compare_candidates(
    ...     ds.frame, {"model": LinearRegression(), "mean": DummyRegressor()},
    ...     target=ds.target, time=ds.time, metric="mse", eval_window="90D",
    ...     anchors=3, anchor_step="90D", n_bootstrap=50, random_state=0)
    >>> pair = cmp.pair("model", "mean")
    >>> pair.leader, pair.other, pair.fresh_lead > 0
    ('model', 'mean', True)
    >>> pair.differences.scores[["anchor", "window", "score", "se"]].shape[1]
    4
    """

    a: str
    b: str
    leader: str | None
    other: str | None
    status: str
    fresh_lead: float
    crossing_age: Any
    crossing_ci: ConfidenceInterval
    margin: float
    crossed_fraction: float
    curve: DegradationCurve
    differences: OOTEvaluation
    band_age: tuple[float, ...] = ()
    band_low: tuple[float, ...] = ()
    band_high: tuple[float, ...] = ()
    confidence_level: float = 0.9
    time_kind: TimeKind = "datetime"
    max_age: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.crossing_ci, ConfidenceInterval):
            object.__setattr__(self, "crossing_ci", ConfidenceInterval(*self.crossing_ci))

    def __str__(self) -> str:
        return fmt.pair_sentence(self)

    def __repr__(self) -> str:
        return (f"CandidatePair(a={self.a!r}, b={self.b!r}, status={self.status!r}, "
                f"leader={self.leader!r}, crossing_age={self.crossing_age!r})")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly."""
        return {
            "schema": _PAIR_SCHEMA, "a": self.a, "b": self.b, "leader": self.leader,
            "other": self.other, "status": self.status,
            "fresh_lead": value_to_json(self.fresh_lead),
            "crossing_age": value_to_json(self.crossing_age),
            "crossing_ci": value_to_json(tuple(self.crossing_ci)),
            "margin": value_to_json(self.margin),
            "crossed_fraction": value_to_json(self.crossed_fraction),
            "curve": self.curve.to_dict(), "differences": self.differences.to_dict(),
            "band_age": value_to_json(list(self.band_age)),
            "band_low": value_to_json(list(self.band_low)),
            "band_high": value_to_json(list(self.band_high)),
            "confidence_level": self.confidence_level, "time_kind": self.time_kind,
            "max_age": value_to_json(self.max_age), "sentence": str(self),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CandidatePair:
        """Rebuild a pair from :meth:`to_dict` output."""
        check_schema(d, _PAIR_SCHEMA, "CandidatePair")
        return cls(
            a=d["a"], b=d["b"], leader=d["leader"], other=d["other"], status=d["status"],
            fresh_lead=value_from_json(d["fresh_lead"]),
            crossing_age=value_from_json(d["crossing_age"]),
            crossing_ci=ConfidenceInterval(*value_from_json(d["crossing_ci"])),
            margin=value_from_json(d["margin"]),
            crossed_fraction=value_from_json(d["crossed_fraction"]),
            curve=DegradationCurve.from_dict(d["curve"]),
            differences=OOTEvaluation.from_dict(d["differences"]),
            band_age=tuple(value_from_json(d["band_age"])),
            band_low=tuple(value_from_json(d["band_low"])),
            band_high=tuple(value_from_json(d["band_high"])),
            confidence_level=d["confidence_level"], time_kind=d["time_kind"],
            max_age=value_from_json(d["max_age"]))


def _difference_metric(m: Metric) -> Metric:
    """The record of a difference of ``m``'s scores, signed so that positive is better."""
    return Metric(f"{m.name}_difference", func=None, greater_is_better=True,
                  display_name=f"{fmt.metric_name(m)} difference")


def _difference_evaluation(plan: WindowPlan, results: list[_CandidatesResult], k: int,
                           sign: float, metric: Metric, ax: TimeAxis,
                           params: dict[str, Any]) -> OOTEvaluation:
    """Pair ``k``'s paired differences per window, ``sign * (score_a - score_b)``."""
    n_w = plan.n_windows
    score = np.full(n_w, np.nan)
    se = np.full(n_w, np.nan)
    status = np.full(n_w, "anchor_failed", dtype=object)
    for a, res in enumerate(results):
        sel = np.flatnonzero(plan.anchor_idx == a)
        got = res.pairs[k]
        if got is None:
            continue
        diff, s, st = got
        score[sel], se[sel], status[sel] = sign * diff, s, st
    df = plan.to_frame().drop(columns="n_train")
    df["train_start"] = df["cutoff"].iloc[:0].reindex(df.index)  # no training of its own
    df["score"] = score
    df["se"] = se
    df["status"] = pd.Series(status, dtype=object)
    df = df[["anchor", "cutoff", "train_start", "window", "window_start", "window_end",
             "age", "n", "score", "se", "status", "partial"]]
    return OOTEvaluation(scores=df, metric=_difference_metric(metric), time_kind=ax.kind,
                         anchors=pd.DataFrame({"anchor": np.arange(1, plan.n_anchors + 1),
                                               "status": "ok", "message": ""}),
                         params=params)


def _pair(a: str, b: str, ev: OOTEvaluation, *, curve: str, margin: float,
          confidence_level: float, n_bootstrap: int, seed: int | None,
          ) -> CandidatePair:
    """Fit the difference ``a - b`` (positive: a better), orient it to the candidate
    ahead when fresh, and find where that lead falls to ``margin`` with its CI."""
    first = fit_degradation(ev, curve=curve)
    lead = float(first.level)
    kind = ev.time_kind
    if lead < -margin:  # b is ahead: the same analysis on b - a
        s = ev.scores.copy()
        s["score"] = -s["score"]
        ev = dataclasses.replace(ev, scores=s)
        first = fit_degradation(ev, curve=curve)
        a, b, lead = b, a, float(first.level)
    tied = abs(lead) <= margin
    # the same fit, its baseline fixed at the fitted lead: the threshold (the margin)
    # is then the same in every bootstrap replicate. A fixed baseline changes nothing
    # else in fit_degradation, so this is its fit with baseline=lead, without refitting.
    fitted = dataclasses.replace(first, baseline=lead, baseline_mode=lead,
                                 baseline_age=0.0)
    tol = max(lead - margin, abs(lead) * 1e-9, 1e-12)  # tied: only the band is used
    boot = bootstrap_crossing(ev, fitted, tolerance=tol, tolerance_type="absolute",
                              n_bootstrap=n_bootstrap, confidence_level=confidence_level,
                              random_state=seed, resample_anchors=True)
    max_age = float(fitted.age_max)
    status, cross = "tied", None
    ci = ConfidenceInterval(None, None)
    if not tied:
        age = fitted.crossing_age(margin)
        if age is not None:
            status, cross = "crossed", float(age_to_float(age, kind))
        elif fitted.trend_pvalue < 0.05 and fitted.trend_direction == "degrading":
            status = "not_reached"
        else:
            status = "no_degradation"
        ci = ConfidenceInterval(_age(_finite(boot.low), kind), _age(_finite(boot.high), kind))
    return CandidatePair(
        a=ev.params["pair"][0], b=ev.params["pair"][1], leader=None if tied else a,
        other=None if tied else b, status=status, fresh_lead=lead,
        crossing_age=_age(cross, kind), crossing_ci=ci, margin=float(margin),
        crossed_fraction=float(boot.crossed_fraction) if not tied else math.nan,
        curve=fitted, differences=ev,
        band_age=tuple(float(x) for x in boot.band_age),
        band_low=tuple(float(x) for x in boot.band_low),
        band_high=tuple(float(x) for x in boot.band_high),
        confidence_level=float(confidence_level), time_kind=kind,
        max_age=_age(max_age, kind))


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def _age(x: float | None, kind: TimeKind) -> Any:
    if x is None or not math.isfinite(x):
        return None
    return float_to_age(x, kind)


# ------------------------------------------------------------------------- costs
def _costs(names: list[str], recs: dict[str, RetrainRecommendation],
           evaluations: dict[str, OOTEvaluation], retrain_cost: Any,
           shortfall_cost: float | None, kind: TimeKind) -> pd.DataFrame:
    """Per candidate: its mean fit time, its retraining cost, and (given both costs) its
    cost-optimal cadence and long-run cost rate, the shortfall measured against the best
    candidate's baseline (so a candidate pays for being worse as well as for aging)."""
    fit = {n: float(np.nanmean(evaluations[n].anchors["fit_time"].to_numpy(float)))
           if evaluations[n].anchors["fit_time"].notna().any() else math.nan
           for n in names}
    rows = []
    if isinstance(retrain_cost, Mapping):
        cost = {n: float(retrain_cost[n]) for n in names}
        rule = "given"
    elif retrain_cost is not None:
        longest = max(v for v in fit.values() if math.isfinite(v))
        cost = {n: float(retrain_cost) * (fit[n] / longest if longest > 0 else 1.0)
                for n in names}
        rule = "fit_time"
    else:
        cost = dict.fromkeys(names, math.nan)
        rule = "none"
    gib = bool(next(iter(recs.values())).metric.greater_is_better)
    sgn = 1.0 if gib else -1.0
    ref = max(sgn * recs[n].baseline for n in names) * sgn
    for n in names:
        row: dict[str, Any] = {"candidate": n, "fit_time": fit[n], "retrain_cost": cost[n],
                               "cost_rule": rule, "reference": ref,
                               "cost_optimal_interval": None, "cost_rate": math.nan}
        if shortfall_cost is not None and math.isfinite(cost[n]):
            curve = recs[n].curve

            def shortfall(a: np.ndarray, curve: DegradationCurve = curve) -> np.ndarray:
                return np.maximum(sgn * (ref - np.asarray(curve.predict(a), dtype=float)),
                                  0.0)

            if cost[n] > 0:
                opt = cost_optimal_interval(shortfall, retrain_cost=cost[n],
                                            shortfall_cost=float(shortfall_cost),
                                            max_age=float(curve.age_max))
                row["cost_optimal_interval"] = _age(opt.interval, kind)
                row["cost_rate"] = float(opt.cost_rate)
            else:  # free to retrain: always fresh, paying only for the fresh gap
                row["cost_rate"] = float(shortfall_cost) * float(shortfall(np.zeros(1))[0])
                row["cost_optimal_interval"] = None
        rows.append(row)
    out = pd.DataFrame(rows)
    out["cost_optimal"] = False
    if shortfall_cost is not None and out["cost_rate"].notna().any():
        out.loc[int(np.nanargmin(out["cost_rate"].to_numpy(float))), "cost_optimal"] = True
    return out


# ------------------------------------------------------------------ the function
@entry_point("compare_candidates")
def compare_candidates(
    data: pd.DataFrame,
    candidates: Mapping[str, Any],
    *,
    target: str,
    time: str,
    features: Sequence[str] | None = None,
    metric: str | Metric = "roc_auc",
    train_window: Any = "365D",
    eval_window: Any = "30D",
    gap: Any = None,
    horizon: Any = None,
    anchors: int | Sequence[Any] = 1,
    anchor_step: Any = None,
    expanding: bool = False,
    min_window_size: int = 30,
    tolerance: float = 0.05,
    tolerance_type: str = "relative",
    baseline: str | float = "curve",
    curve: str = "auto",
    reference: str = "baseline",
    margin: float = 0.0,
    benchmark: str | None = None,
    confidence_level: float = 0.9,
    n_bootstrap: int = 1000,
    retrain_cost: float | Mapping[str, float] | None = None,
    shortfall_cost: float | None = None,
    pos_label: Any = None,
    on_error: str = "raise",
    random_state: Any = None,
    n_jobs: int | None = None,
    progress: bool = False,
) -> CandidateComparison:
    """Compare candidates trained at the same cutoffs and scored on the same windows.

    Every candidate is trained at every anchor's cutoff (on its own training window)
    and scored on the same evaluation windows, so each window is scored by every
    candidate on the same rows. Each candidate gets its evaluation and recommendation;
    each pair the paired difference per window, its curve against model age and the
    age at which the candidate ahead when fresh stops beating the other.

    Parameters
    ----------
    data : DataFrame
        As in :func:`oot.evaluate_out_of_time`: a pandas or polars DataFrame, a polars
        LazyFrame or a pyarrow Table (only the target, time and feature columns every
        candidate reads are converted, and a LazyFrame collects only those; the
        estimators receive pandas); never modified.
    candidates : mapping of str to estimator or (estimator, dict)
        Two or more named candidates. A value is an estimator (cloned per anchor), or
        ``(estimator, overrides)`` with overrides among :data:`OVERRIDE_KEYS`:
        ``"train_window"`` (its own history length), ``"expanding"`` (all history
        before the cutoff) and ``"features"`` (its own columns). A heuristic is any
        estimator: ``DummyClassifier``, a one-feature model, or a rule wrapped in a
        small ``BaseEstimator`` (see the how-to "Is the model still worth it?").
    target, time, features, metric, eval_window, gap, horizon, anchors, anchor_step, \
min_window_size, pos_label, on_error, n_jobs, progress
        As in :func:`oot.evaluate_out_of_time`, shared by every candidate. With
        ``anchors`` a count, the first cutoff is the latest of the candidates' own
        first cutoffs (``t_min + train_window``), so that every candidate has its
        whole training window at every anchor. ``on_error="skip"`` isolates a failed
        (anchor, candidate): its windows and its pairs' windows at that anchor are
        "anchor_failed", the rest is scored. Serially, each anchor's scoring runs on
        the engine's helper thread while the next anchor's candidates fit (binary and
        regression tasks), and those fits run with the BLAS thread pools capped at one
        thread fewer than the cores (never above a limit you set).
    train_window, expanding
        The candidates' defaults (each may override them).
    tolerance, tolerance_type, baseline, curve, reference, confidence_level, n_bootstrap
        As in :func:`oot.recommend_retrain_interval`, for every candidate's
        recommendation; ``curve`` and the bootstrap also serve the difference curves.
    margin : float, default=0.0
        In metric units: a candidate beats another while its fitted lead exceeds
        ``margin`` (0: while it is better at all).
    benchmark : str or None, default=None
        The candidate the verdict compares every other one with (a heuristic, the
        model in production); None: the candidate with the best baseline.
    retrain_cost : float, dict or None, default=None
        Cost of one retraining: a dict gives each candidate's; a number is the cost of
        the candidate whose fit takes longest, the others' in proportion to their
        measured fit time (reported in :attr:`CandidateComparison.costs`).
    shortfall_cost : float or None, default=None
        Cost per unit of metric shortfall per day (per unit of numeric time), measured
        against the best candidate's baseline; with ``retrain_cost`` it gives each
        candidate's cost-optimal cadence and cost rate, and the cost-optimal candidate.
    random_state : int, Generator or None, default=None
        Seeds every candidate's estimator (the same seed per anchor for every
        candidate), the standard errors and the bootstraps.

    Returns
    -------
    CandidateComparison

    Raises
    ------
    InvalidParameterError
        Bad arguments: an empty or one-candidate mapping, colliding names, unknown
        override keys, candidates for different targets, ...
    EstimatorFitError
        When a candidate's fit or predict fails with ``on_error="raise"`` (naming the
        candidate and the anchor), or fails at every anchor.

    Warns
    -----
    WindowWarning
        Once, counting every candidate's windows that could not be scored (and which
        class is absent from which windows, as :func:`oot.evaluate_out_of_time` says).
    PositiveClassWarning
        When binary string labels chose the positive class without ``pos_label``.

    See Also
    --------
    recommend_retrain_interval : One model's retraining interval.
    oot.metrics.score_window_pairs : The paired per-window differences.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import oot
    >>> ds = oot.datasets.make_heuristic_comparison(6000, random_state=0)
    >>> cmp = oot.compare_candidates(
    ...     ds.frame, {"model": LogisticRegression(),
    ...                "heuristic": (LogisticRegression(), {"features": ["z"]})},
    ...     target=ds.target, time=ds.time, metric="roc_auc", train_window="365D",
    ...     eval_window="60D", anchors=4, anchor_step="60D", n_bootstrap=200,
    ...     random_state=0)
    >>> cmp.candidates
    ('model', 'heuristic')
    >>> pair = cmp.pair("model", "heuristic")
    >>> pair.leader, pair.status
    ('model', 'crossed')
    >>> print(cmp.verdict())  # doctest: +SKIP
    model: baseline 0.81, retrain every 1.9 months; ... The model beats the heuristic ...
    """
    data = model_frame(data, target=target, time=time,
                       features=_frame_features(candidates, features))
    settings = dict(target=target, time=time, eval_window=eval_window, gap=gap,
                    horizon=horizon, anchor_step=anchor_step, on_error=on_error,
                    min_window_size=int(min_window_size) if isinstance(
                        min_window_size, numbers.Integral) else min_window_size)
    specs, m, ax = _check_all(
        data, candidates, target=target, time=time, features=features, metric=metric,
        train_window=train_window, expanding=expanding, min_window_size=min_window_size,
        on_error=on_error, n_jobs=n_jobs, progress=progress, random_state=random_state,
        tolerance=tolerance, tolerance_type=tolerance_type, baseline=baseline, curve=curve,
        reference=reference, confidence_level=confidence_level, n_bootstrap=n_bootstrap,
        retrain_cost=retrain_cost, shortfall_cost=shortfall_cost, margin=margin,
        benchmark=benchmark)
    seed = as_seed(random_state)
    shared, plans = _shared_plan(ax, specs, train_window=train_window,
                                 eval_window=eval_window, gap=gap, horizon=horizon,
                                 anchors=anchors, anchor_step=anchor_step)
    results, tgt = _run_candidates(
        data, specs, ax, plans, target=target, metric=m, pos_label=pos_label,
        min_window_size=int(min_window_size), n_jobs=n_jobs, progress=progress, seed=seed,
        on_error=on_error)
    _raise_failures(ax, specs, plans, results, on_error)
    _warn_positive_class(tgt, m, pos_label, stacklevel=3)
    names = [s.name for s in specs]
    evaluations = {
        s.name: _evaluation(ax, s, p, [r.results[c] for r in results], tgt, data, m,
                            settings)
        for c, (s, p) in enumerate(zip(specs, plans, strict=True))}
    _warn_windows(evaluations, int(min_window_size), shared, tgt, m)
    recs = {n: _recommend(evaluations[n], tolerance=tolerance, tolerance_type=tolerance_type,
                          baseline=baseline, curve=curve, reference=reference,
                          confidence_level=confidence_level, n_bootstrap=n_bootstrap,
                          random_state=seed) for n in names}
    gib = bool(m.greater_is_better)
    pairs = []
    k = 0
    for i in range(len(specs)):
        for j in range(i + 1, len(specs)):
            params = {"pair": [names[i], names[j]], "metric": m.name,
                      "eval_window": evaluations[names[i]].params["eval_window"],
                      "anchor_step": evaluations[names[i]].params["anchor_step"]}
            ev = _difference_evaluation(shared, results, k, 1.0 if gib else -1.0, m, ax,
                                        params)
            pairs.append(_pair(names[i], names[j], ev, curve=curve, margin=float(margin),
                               confidence_level=confidence_level, n_bootstrap=n_bootstrap,
                               seed=seed))
            k += 1
    costs = _costs(names, recs, evaluations, retrain_cost, shortfall_cost, ax.kind)
    return CandidateComparison(
        candidates=tuple(names), specs=tuple(s.describe() for s in specs),
        recommendations=recs, pairs=tuple(pairs), costs=costs, metric=m,
        time_kind=ax.kind, margin=float(margin), benchmark=benchmark,
        shortfall_cost=None if shortfall_cost is None else float(shortfall_cost),
        confidence_level=float(confidence_level), data_info=_data_info(ax, data))


def _frame_features(candidates: Any, features: Any) -> Any:
    """The feature columns to take from a frame that is not pandas: the shared
    ``features`` and every candidate's own, in order; None (every column) when
    ``features`` is None, as a candidate without its own reads every other column.
    Values that are not lists of names are passed on for the checks to report."""
    if features is None or isinstance(features, str) or not isinstance(features, Sequence):
        return features
    names = list(features)
    if isinstance(candidates, Mapping):
        for value in candidates.values():
            if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], Mapping):
                own = value[1].get("features")
                if isinstance(own, str):
                    names.append(own)
                elif isinstance(own, Sequence):
                    names.extend(own)
    out: list[Any] = []
    for name in names:  # each once (the frame's columns are distinct)
        if name not in out:
            out.append(name)
    return out


def _check_all(data: Any, candidates: Any, *, target: Any, time: Any, features: Any,
               metric: Any, train_window: Any, expanding: Any, min_window_size: Any,
               on_error: Any, n_jobs: Any, progress: Any, random_state: Any,
               tolerance: Any, tolerance_type: Any, baseline: Any, curve: Any,
               reference: Any, confidence_level: Any, n_bootstrap: Any, retrain_cost: Any,
               shortfall_cost: Any, margin: Any, benchmark: Any,
               ) -> tuple[list[_Spec], Metric, TimeAxis]:
    """Check every argument first: the data and shared settings as the evaluation and
    the recommendation check them, then the candidates and the comparison's own."""
    func = caller()
    first = _first_estimator(candidates)
    m, feats = _check_evaluation_arguments(
        data, first, target=target, time=time, features=features, metric=metric,
        min_window_size=min_window_size, on_error=on_error, n_jobs=n_jobs,
        progress=progress, random_state=random_state)
    _check_settings(tolerance=tolerance, tolerance_type=tolerance_type, baseline=baseline,
                    curve=curve, reference=reference, confidence_level=confidence_level,
                    n_bootstrap=n_bootstrap, retrain_cost=None, shortfall_cost=None,
                    extrapolate=False, random_state=random_state)
    if (retrain_cost is None) != (shortfall_cost is None):
        missing = "shortfall_cost" if shortfall_cost is None else "retrain_cost"
        raise InvalidParameterError(param_message(
            missing, func, "given together with "
            + ("retrain_cost" if missing == "shortfall_cost" else "shortfall_cost"), None,
            "The cost-optimal candidate and cadence need both costs; pass both or "
            "neither."))
    if shortfall_cost is not None:
        check_scalar(shortfall_cost, "shortfall_cost", func, low=0, low_inclusive=False)
    if retrain_cost is not None and not isinstance(retrain_cost, Mapping):
        check_scalar(retrain_cost, "retrain_cost", func, low=0, low_inclusive=False,
                     extra=" or a dict of one cost per candidate")
    _check_candidate_columns(candidates, list(data.columns))
    ax = TimeAxis.from_column(data, time)
    specs = _check_candidates(candidates, train_window=train_window, expanding=expanding,
                              features=feats, columns=list(data.columns), kind=ax.kind,
                              metric=m)
    names = [s.name for s in specs]
    check_scalar(margin, "margin", func, low=0, extra=" (metric units)")
    if benchmark is not None:
        check_option(benchmark, "benchmark", func, names)
    if isinstance(retrain_cost, Mapping):
        absent = [n for n in names if n not in retrain_cost]
        unknown = [n for n in retrain_cost if n not in names]
        if absent or unknown:
            raise InvalidParameterError(param_message(
                "retrain_cost", func, "a number or a dict with one cost per candidate "
                f"{names}", dict(retrain_cost),
                f"Missing: {absent}." if absent else f"Unknown candidates: {unknown}."))
        for n in names:
            check_scalar(retrain_cost[n], f"retrain_cost[{n!r}]", func, low=0)
    return specs, m, ax


def _check_candidate_columns(candidates: Any, columns: list[Any]) -> None:
    """The columns the candidates' own ``features`` name exist: checked before the time
    axis, so that a frame converted without a missing column (no rows: see
    :func:`oot._frames.to_pandas`) reports the column, as a pandas frame does. Values
    that are not lists of names are left for :func:`_spec` to report."""
    if not isinstance(candidates, Mapping):
        return
    for name, value in candidates.items():
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], Mapping):
            feats = value[1].get("features")
            if (isinstance(feats, Sequence) and not isinstance(feats, str) and feats
                    and all(isinstance(f, str) for f in feats)):
                check_columns(list(feats), columns, f"candidates[{name!r}]['features']",
                              caller())


def _first_estimator(candidates: Any) -> Any:
    """An estimator for the evaluation's argument checks (the candidates' own checks
    come after, and say what is wrong with a mapping)."""
    from sklearn.dummy import DummyClassifier

    if isinstance(candidates, Mapping):
        for v in candidates.values():
            est = v[0] if isinstance(v, tuple) and v else v
            if hasattr(est, "fit") and not isinstance(est, type):
                return est
    return DummyClassifier()


# -------------------------------------------------------------------- the result
@dataclass(frozen=True, eq=False)
class CandidateComparison:
    """Candidates on the same cutoffs and windows: the result of
    :func:`compare_candidates`.

    Attributes
    ----------
    candidates : tuple of str
        The names, in the order given.
    specs : tuple of dict
        Each candidate's settings: ``name``, ``estimator`` (repr), ``train_window``,
        ``expanding``, ``features``.
    recommendations : dict of str to RetrainRecommendation
        Each candidate's recommendation (interval, CI, baseline), from its evaluation
        (``recommendations[name].evaluation``).
    pairs : tuple of CandidatePair
        Every pair, in the order given (``(c1, c2), (c1, c3), ..., (c2, c3), ...``).
    costs : pandas.DataFrame
        One row per candidate: ``fit_time`` (mean seconds per fit), ``retrain_cost``,
        ``cost_rule`` ("given", "fit_time" or "none"), ``reference`` (the best
        baseline, which shortfalls are measured from), ``cost_optimal_interval``,
        ``cost_rate`` and ``cost_optimal`` (the cheapest candidate at its own optimum).
    metric : Metric
    time_kind : {"datetime", "numeric"}
    margin : float
    benchmark : str or None
    shortfall_cost : float or None
    confidence_level : float
    data_info : dict

    Examples
    --------
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.linear_model import LinearRegression
    >>> import oot
    >>> ds = oot.datasets.make_heuristic_comparison(4000, task="regression",
    ...                                             random_state=1)
    >>> cmp = oot.compare_candidates(
    ...     ds.frame, {"1y": LinearRegression(),
    ...                "6m": (LinearRegression(), {"train_window": "182D"}),
    ...                "mean": DummyRegressor()},
    ...     target=ds.target, time=ds.time, metric="mse", eval_window="60D",
    ...     anchors=4, anchor_step="60D", n_bootstrap=100, random_state=0)
    >>> cmp.summary()["candidate"].tolist()
    ['1y', '6m', 'mean']
    >>> len(cmp.pairs)
    3
    >>> back = oot.CandidateComparison.from_json(cmp.to_json())
    >>> back.to_json() == cmp.to_json()
    True
    """

    candidates: tuple[str, ...]
    specs: tuple[dict[str, Any], ...]
    recommendations: dict[str, RetrainRecommendation]
    pairs: tuple[CandidatePair, ...]
    costs: pd.DataFrame
    metric: Metric
    time_kind: TimeKind = "datetime"
    margin: float = 0.0
    benchmark: str | None = None
    shortfall_cost: float | None = None
    confidence_level: float = 0.9
    data_info: dict[str, Any] = field(default_factory=dict)

    # ---------------------------------------------------------------- access
    @property
    def evaluations(self) -> dict[str, OOTEvaluation]:
        """Each candidate's :class:`OOTEvaluation`."""
        return {n: r.evaluation for n, r in self.recommendations.items()}

    def __getitem__(self, name: str) -> RetrainRecommendation:
        """The recommendation of candidate ``name``."""
        return self.recommendations[self._name(name)]

    def _name(self, name: Any, param: str = "name") -> str:
        if name not in self.candidates:
            raise InvalidParameterError(param_message(
                param, "CandidateComparison", f"one of {list(self.candidates)}", name))
        return str(name)

    def pair(self, a: str, b: str) -> CandidatePair:
        """The comparison of ``a`` and ``b`` (in either order)."""
        a, b = self._name(a, "a"), self._name(b, "b")
        for p in self.pairs:
            if {p.a, p.b} == {a, b} and a != b:
                return p
        raise InvalidParameterError(param_message(
            "b", "CandidateComparison.pair", f"a candidate other than {a!r}", b))

    @property
    def leader(self) -> str:
        """The candidate with the best baseline (fresh score)."""
        sgn = 1.0 if self.metric.greater_is_better else -1.0
        return max(self.candidates, key=lambda n: sgn * self.recommendations[n].baseline)

    @property
    def cost_optimal(self) -> str | None:
        """The cost-optimal candidate (None without costs)."""
        hit = self.costs[self.costs["cost_optimal"]]
        return None if len(hit) == 0 else str(hit["candidate"].iloc[0])

    def verdict_pairs(self) -> list[CandidatePair]:
        """The pairs the verdict speaks of: every candidate against the benchmark (or
        against the leader when there is none)."""
        ref = self.benchmark or self.leader
        return [p for p in self.pairs if ref in (p.a, p.b)]

    # -------------------------------------------------------------- summaries
    def summary(self) -> pd.DataFrame:
        """The verdict table: one row per candidate.

        Columns: ``candidate``, ``train_window``, ``expanding``, ``n_features``,
        ``baseline``, ``status``, ``interval``, ``interval_low``, ``interval_high``,
        ``fit_time``, and with costs ``retrain_cost``, ``cost_optimal_interval``,
        ``cost_rate``, ``cost_optimal``.
        """
        rows = []
        for spec in self.specs:
            n = spec["name"]
            rec = self.recommendations[n]
            c = self.costs.set_index("candidate").loc[n]
            row = {"candidate": n, "train_window": "expanding" if spec["expanding"]
                   else spec["train_window"], "expanding": spec["expanding"],
                   "n_features": len(spec["features"]), "baseline": rec.baseline,
                   "status": rec.status, "interval": rec.interval,
                   "interval_low": rec.interval_ci.low,
                   "interval_high": rec.interval_ci.high, "fit_time": c["fit_time"]}
            if self.shortfall_cost is not None:
                row.update(retrain_cost=c["retrain_cost"],
                           cost_optimal_interval=c["cost_optimal_interval"],
                           cost_rate=c["cost_rate"], cost_optimal=bool(c["cost_optimal"]))
            rows.append(row)
        return pd.DataFrame(rows)

    def pairs_frame(self) -> pd.DataFrame:
        """One row per pair: ``a``, ``b``, ``leader``, ``other``, ``status``,
        ``fresh_lead``, ``crossing_age``, ``crossing_low``, ``crossing_high``,
        ``trend_pvalue``, ``family``."""
        return pd.DataFrame([{
            "a": p.a, "b": p.b, "leader": p.leader, "other": p.other, "status": p.status,
            "fresh_lead": p.fresh_lead, "crossing_age": p.crossing_age,
            "crossing_low": p.crossing_ci.low, "crossing_high": p.crossing_ci.high,
            "trend_pvalue": p.curve.trend_pvalue, "family": p.curve.family}
            for p in self.pairs])

    def to_frame(self) -> pd.DataFrame:
        """Every candidate's window scores in one tidy table: a ``candidate`` column
        before the evaluation's columns (one row per candidate x anchor x window)."""
        parts = []
        for n in self.candidates:
            s = self.recommendations[n].evaluation.scores.copy()
            s.insert(0, "candidate", n)
            parts.append(s)
        return pd.concat(parts, ignore_index=True)

    def differences(self) -> pd.DataFrame:
        """Every pair's paired per-window differences in one tidy table: ``leader``
        and ``other`` (``a`` and ``b`` for a tied pair) before the window columns;
        ``score`` is the leader's lead on the window, ``se`` its paired SE."""
        parts = []
        for p in self.pairs:
            s = p.differences.scores.copy()
            s.insert(0, "other", p.other if p.leader is not None else p.b)
            s.insert(0, "leader", p.leader if p.leader is not None else p.a)
            parts.append(s)
        return pd.concat(parts, ignore_index=True)

    def verdict(self) -> str:
        """The comparison in sentences: each candidate's baseline and cadence, who beats
        whom until what age, and the cost-optimal choice."""
        return fmt.comparison_sentence(self)

    def __str__(self) -> str:
        return self.verdict()

    def __repr__(self) -> str:
        return (f"CandidateComparison(candidates={list(self.candidates)!r}, "
                f"metric={self.metric.name!r}, pairs={len(self.pairs)})")

    def _repr_html_(self) -> str:
        head = html.escape(self.verdict())
        table = self.summary().to_html(index=False, float_format=fmt.cell, border=0)
        pairs = self.pairs_frame().to_html(index=False, float_format=fmt.cell, border=0)
        return (f"<div class='oot-comparison'><p><b>{head}</b></p>{table}"
                f"<p>Pairs</p>{pairs}</div>")

    def plot(self, kind: str = "curves", *, pair: tuple[str, str] | None = None,
             ax: Any = None, **kwargs: Any) -> Any:
        """Draw the candidates' curves (``kind="curves"``) or a pair's difference
        curve with its crossing (``kind="difference"``); returns a
        :class:`~oot.plotting.ComparisonDisplay`."""
        from oot.plotting import ComparisonDisplay

        return ComparisonDisplay.from_comparison(self, kind=kind, pair=pair, ax=ax,
                                                 **kwargs)

    def save_report(self, directory: Any, *, overwrite: bool = True) -> Any:
        """Write the comparison's HTML report folder
        (:func:`oot.report.save_comparison_report`)."""
        from oot.report import save_comparison_report

        return save_comparison_report(self, directory, overwrite=overwrite)

    # ---------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly."""
        return {
            "schema": _SCHEMA,
            "candidates": list(self.candidates),
            "specs": value_to_json(list(self.specs)),
            "recommendations": {n: self.recommendations[n].to_dict()
                                for n in self.candidates},
            "pairs": [p.to_dict() for p in self.pairs],
            "costs": frame_to_dict(self.costs),
            "metric": self.metric.to_dict(),
            "time_kind": self.time_kind,
            "margin": value_to_json(self.margin),
            "benchmark": self.benchmark,
            "shortfall_cost": value_to_json(self.shortfall_cost),
            "confidence_level": self.confidence_level,
            "data_info": value_to_json(self.data_info),
            "sentence": self.verdict(),
        }

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (no NaN tokens); :meth:`from_json` round-trips it exactly."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CandidateComparison:
        """Rebuild a comparison from :meth:`to_dict` output."""
        check_schema(d, _SCHEMA, "CandidateComparison")
        try:
            names = tuple(d["candidates"])
            return cls(
                candidates=names,
                specs=tuple(value_from_json(d["specs"])),
                recommendations={n: RetrainRecommendation.from_dict(d["recommendations"][n])
                                 for n in names},
                pairs=tuple(CandidatePair.from_dict(p) for p in d["pairs"]),
                costs=frame_from_dict(d["costs"]),
                metric=Metric.from_dict(d["metric"]),
                time_kind=d["time_kind"],
                margin=value_from_json(d["margin"]),
                benchmark=d["benchmark"],
                shortfall_cost=value_from_json(d["shortfall_cost"]),
                confidence_level=d["confidence_level"],
                data_info=value_from_json(d["data_info"]),
            )
        except (KeyError, TypeError, ValueError, InvalidParameterError) as exc:
            msg = ("The 'text' parameter of CandidateComparison.from_json is not a valid "
                   "document written by CandidateComparison.to_json: "
                   f"{type(exc).__name__}: {exc}")
            raise InvalidParameterError(msg.rstrip(".") + ".") from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> CandidateComparison:
        """Rebuild a comparison from :meth:`to_json` output (exact round trip)."""
        return cls.from_dict(load_document(text, "CandidateComparison"))
