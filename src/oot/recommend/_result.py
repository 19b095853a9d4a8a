"""The result of the analysis: :class:`RetrainRecommendation`.

Made by :func:`oot.recommend_retrain_interval`. Its presentation (the plot and the
report folder) is imported on first use, as scikit-learn's results import their
Displays, so the result itself stays light.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import oot._format as fmt
from oot._common import ConfidenceInterval
from oot._serialize import (
    DocumentError,
    check_schema,
    load_document,
    reading,
    value_field,
    value_to_json,
)
from oot._serialize import field as doc_field
from oot._time import TimeKind
from oot._validation import calling
from oot.degradation import DegradationCurve
from oot.evaluate import OOTEvaluation
from oot.metrics import Metric

__all__ = ["RetrainRecommendation"]

_REC_SCHEMA = "oot.RetrainRecommendation/1"
#: The values of :attr:`RetrainRecommendation.status`.
STATUSES = ("crossed", "not_reached", "no_degradation")


@dataclass(frozen=True, eq=False)
class RetrainRecommendation:
    """How often to retrain, with its confidence interval: the result of
    :func:`oot.recommend_retrain_interval`.

    Attributes
    ----------
    status : {"crossed", "not_reached", "no_degradation", "no_skill"}
        By one rule (``oot.recommend.STATUS_RULE``, in the docs' concepts): "crossed":
        the fitted curve reaches the threshold within the evaluated ages
        (``significant`` says whether the degradation is significant); "not_reached":
        no crossing, but the degradation is significant or enough bootstrap replicates
        cross to put the CI's lower end within the ages (``interval`` is the oldest
        age, a lower bound; ``limited_by="fresh"``: not reached within the ages fresh
        models allow); "no_degradation": neither; "no_skill": the baseline is at the
        metric's chance level, so there is no skill to lose.
    interval : Timedelta, float or None
        The smallest model age at which the fitted curve reaches the threshold (a number
        for numeric time); None for "no_degradation".
    interval_ci : ConfidenceInterval
        ``(low, high)`` bootstrap confidence interval of the crossing age at
        ``confidence_level``; an end is None when the bootstrap puts it beyond the
        evaluated ages. A named tuple: ``lo, hi = rec.interval_ci`` works.
    safe_interval : Timedelta, float or None
        The CI's lower end, the conservative cadence, whenever it lies within the
        evaluated ages (None for "no_degradation" and "no_skill"); derived from
        ``interval_ci`` and ``status``.
    baseline, threshold : float
        The reference level and the level the metric may reach.
    tolerance : float
    tolerance_type : {"relative", "absolute"}
    metric : Metric
    curve : DegradationCurve
    evaluation : OOTEvaluation
    cost_optimal_interval : Timedelta, float or None
        The age-replacement optimum when ``retrain_cost`` and ``shortfall_cost`` were given.
    cost_rate : float or None
        Long-run cost per unit time at the optimum.
    band_age, band_low, band_high : tuple of float
        Pointwise ``confidence_level`` band of the fitted mean curve from the same
        calendar-cluster bootstrap as ``interval_ci`` (so it includes the noise windows
        of one calendar period share), at the ages ``band_age`` in fit units (days for
        datetime time). Empty when not computed.
    significant : bool
        The degradation is significant: the trend test's p < 0.05 (degrading), or the
        CI's upper end within the evaluated ages (enough replicates cross there).
    limited_by : str
        "fresh" when the fresh reference cut the ages below a crossing its curve
        reaches by the oldest evaluated age; "" otherwise.
    fresh : dict or None
        The fresh reference's reading beside this one (``status``, ``interval``,
        ``interval_ci``, ``max_age``, ``limited_by``, ``significant``, ``family``,
        ``agrees``), given when calendar effects shared by every anchor were found and
        left in the scores; None otherwise. ``agrees``: the fresh reading gives this
        one's decision (the same status and, when both cross, the fresh interval within
        this CI), so the calendar effect does not change it and the sentence does not
        advise modelling it.
    segment : str or None
        The segment the recommendation is for (one item of a
        :class:`RetrainRecommendations`); None for the whole population of a run
        without segments.
    pooling_weight : float or None
        With ``pooling="partial"``: the weight of the whole population's curve shape in
        this segment's curve (0: its own curve, 1: the population's); None without.
    pooled_curve : tuple of float
        That partially pooled mean curve on ``band_age`` (the curve ``interval`` and
        ``interval_ci`` come from); empty without pooling.

    Examples
    --------
    >>> from oot import recommend_retrain_interval
    >>> from oot.datasets import make_degradation_scores
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> rec = recommend_retrain_interval(ev, n_bootstrap=200, random_state=0)
    >>> rec.status
    'crossed'
    >>> low, high = rec.interval_ci
    >>> rec.safe_interval == low == rec.interval_ci.low
    True
    >>> low <= rec.interval <= high
    True
    """

    status: str
    interval: Any
    interval_ci: ConfidenceInterval
    baseline: float
    threshold: float
    tolerance: float
    tolerance_type: str
    metric: Metric
    curve: DegradationCurve
    evaluation: OOTEvaluation
    confidence_level: float = 0.9
    n_bootstrap: int = 0
    crossed_fraction: float = float("nan")
    max_age: Any = None
    extrapolated_interval: Any = None
    cost_optimal_interval: Any = None
    cost_rate: float | None = None
    cost_message: str = ""
    retrain_cost: float | None = None
    shortfall_cost: float | None = None
    round_to: str | None = None
    time_kind: TimeKind = "datetime"
    band_age: tuple[float, ...] = ()
    band_low: tuple[float, ...] = ()
    band_high: tuple[float, ...] = ()
    significant: bool = False
    limited_by: str = ""
    fresh: dict[str, Any] | None = None
    segment: str | None = None
    pooling_weight: float | None = None
    pooled_curve: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        # a plain (low, high) pair is accepted and stored in the one CI shape
        if not isinstance(self.interval_ci, ConfidenceInterval):
            object.__setattr__(self, "interval_ci", ConfidenceInterval(*self.interval_ci))

    @property
    def safe_interval(self) -> Any:
        """The conservative cadence: the CI's lower end (None for "no_degradation" and
        "no_skill")."""
        if self.status in ("no_degradation", "no_skill"):
            return None
        return self.interval_ci.low

    # ------------------------------------------------------------------ text
    def __str__(self) -> str:
        return fmt.recommendation_sentence(self)

    def __repr__(self) -> str:
        seg = "" if self.segment is None else f", segment={self.segment!r}"
        return (f"RetrainRecommendation(status={self.status!r}, interval={self.interval!r}, "
                f"interval_ci={self.interval_ci!r}, metric={self.metric.name!r}{seg})")

    def summary(self) -> pd.DataFrame:
        """The recommendation's figures as a one-column DataFrame (``value``)."""
        rows: dict[str, Any] = {
            **({} if self.segment is None else {"segment": self.segment}),
            "status": self.status,
            "interval": self.interval,
            f"ci_low ({fmt.level(self.confidence_level)})": self.interval_ci[0],
            f"ci_high ({fmt.level(self.confidence_level)})": self.interval_ci[1],
            "safe_interval": self.safe_interval,
            "metric": self.metric.name,
            "baseline": self.baseline,
            "threshold": self.threshold,
            "tolerance": self.tolerance,
            "tolerance_type": self.tolerance_type,
            "calendar": fmt.calendar_summary(self),
            "curve": self.curve.family,
            "shape_check": fmt.shape_check(self.curve),
            "curve_at_age_0": self.curve.level,
            "youngest_windows_mean": self.curve.youngest_mean,
            "significant": self.significant,
            "trend_pvalue": self.curve.trend_pvalue,
            "oldest_age": self.max_age,
            "anchors": self.evaluation.n_anchors,
            "usable_windows": self.evaluation.n_usable,
            "n_bootstrap": self.n_bootstrap,
        }
        if self.limited_by:
            rows["limited_by"] = self.limited_by
        if self.fresh is not None:
            rows["fresh_reading"] = fmt.fresh_summary(self)
        if self.extrapolated_interval is not None:
            rows["extrapolated_interval"] = self.extrapolated_interval
        if self.retrain_cost is not None:
            rows["cost_optimal_interval"] = self.cost_optimal_interval
            rows["cost_rate"] = self.cost_rate
        if self.pooling_weight is not None:
            rows["pooling_weight"] = self.pooling_weight
        rows["history"] = self.history_sentence()
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)})

    # ------------------------------------------------------------- the backtest
    def backtest(self, cadences: Any = None, *, retrain_cost: float | None = None,
                 shortfall_cost: float | None = None, phases: str | int = "all",
                 target_share: float = 0.9) -> Any:
        """Check the recommendation on its own history: backtest the cadences.

        Runs :func:`oot.backtest_cadences` on :attr:`evaluation` with this
        recommendation's tolerance, baseline and reference, and marks the recommended
        cadence: :attr:`interval` rounded down to a whole number of anchor steps (never
        retraining for "no_degradation"). Nothing is refitted.

        Parameters
        ----------
        cadences : length or list of lengths, default=None
            As in :func:`oot.backtest_cadences` (None: every multiple of the step).
        retrain_cost, shortfall_cost : float, default=None
            The costs of the cost rate and the oracle; None uses this recommendation's
            (if it was given any). The backtest measures the shortfall against the fresh
            model's score on each period, not against the baseline.
        phases : "all" or int, default="all"
        target_share : float, default=0.9
            Share of periods within tolerance the recommended cadence must reach for
            history to agree with the recommendation.

        Returns
        -------
        CadenceBacktest
            ``str()`` says whether history agrees; :meth:`~oot.CadenceBacktest.verdict`
            returns "agrees", "retrain_more_often" or "inconclusive".

        Raises
        ------
        InvalidParameterError
            The evaluation cannot be backtested (fewer than 3 anchors, anchors not a
            whole number of windows apart, no window starts), or a bad argument.

        Examples
        --------
        >>> import oot
        >>> ev = oot.datasets.make_degradation_scores(
        ...     n_anchors=12, n_windows=12, slope=-0.0004, random_state=0).to_evaluation()
        >>> rec = oot.recommend_retrain_interval(ev, n_bootstrap=100, random_state=0)
        >>> bt = rec.backtest()
        >>> bt.recommended_steps      # 4.0 months, rounded down to whole 30-day steps
        4
        >>> bt.verdict()
        'agrees'
        """
        import dataclasses

        from oot.backtest import backtest_cadences

        if (retrain_cost is None) and (shortfall_cost is None):
            retrain_cost, shortfall_cost = self.retrain_cost, self.shortfall_cost
        interval = "never" if self.status == "no_degradation" else self.interval
        with calling("RetrainRecommendation.backtest"):
            bt = backtest_cadences(
                self.evaluation, cadences, tolerance=self.tolerance,
                tolerance_type=self.tolerance_type, baseline=self.baseline,
                reference=self.curve.reference, retrain_cost=retrain_cost,
                shortfall_cost=shortfall_cost, phases=phases, target_share=target_share,
                recommended_interval=interval)
        mode = self.curve.baseline_mode
        return dataclasses.replace(bt, baseline_mode=mode if isinstance(mode, str) else "value")

    def history_sentence(self) -> str:
        """Whether history agrees with the recommendation, in one sentence.

        The sentence of :meth:`backtest` with its defaults, or why the evaluation cannot
        be backtested ("Not checked on history: the evaluation has 1 anchor; ...").
        """
        from oot.backtest import history_check

        with calling("RetrainRecommendation.history_sentence"):
            return history_check(
                self.evaluation, tolerance=self.tolerance,
                tolerance_type=self.tolerance_type, baseline=self.baseline,
                reference=self.curve.reference,
                recommended_interval=("never" if self.status == "no_degradation"
                                      else self.interval))

    def _repr_html_(self) -> str:
        head = html.escape(str(self))
        table = self.summary().to_html(border=0)
        return (f"<div class='oot-recommendation'><p><b>{head}</b></p>{table}</div>")

    # ------------------------------------------------------------- plotting/report
    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Plot the degradation: scores, fitted curve and band, threshold, crossing.

        Delegates to :meth:`oot.plotting.DegradationDisplay.from_recommendation` and
        returns the display (``.ax_``, ``.figure_``).
        """
        from oot.plotting import DegradationDisplay

        return DegradationDisplay.from_recommendation(self, ax=ax, **kwargs)

    def save_report(self, directory: str | os.PathLike[str], *, overwrite: bool = True,
                    backtest: Any = None) -> Path:
        """Write the report folder: ``index.html``, ``recommendation.json``, PNG figures.

        Delegates to :func:`oot.report.save_report`; the write is atomic (an interrupted
        run leaves any earlier report intact, never a mix of old and new files).
        ``backtest`` chooses the History section (None: when the evaluation allows a
        backtest; True: required; False: none; or a CadenceBacktest to show).

        Returns
        -------
        pathlib.Path
            The report folder.
        """
        from oot.report import save_report

        return save_report(self, directory, overwrite=overwrite, backtest=backtest)

    # ------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly."""
        return {
            "schema": _REC_SCHEMA,
            "status": self.status,
            "interval": value_to_json(self.interval),
            "interval_ci": value_to_json(tuple(self.interval_ci)),
            "safe_interval": value_to_json(self.safe_interval),
            "baseline": value_to_json(self.baseline),
            "threshold": value_to_json(self.threshold),
            "tolerance": self.tolerance,
            "tolerance_type": self.tolerance_type,
            "metric": self.metric.to_dict(),
            "curve": self.curve.to_dict(),
            "evaluation": self.evaluation.to_dict(),
            "confidence_level": self.confidence_level,
            "n_bootstrap": self.n_bootstrap,
            "crossed_fraction": value_to_json(self.crossed_fraction),
            "max_age": value_to_json(self.max_age),
            "extrapolated_interval": value_to_json(self.extrapolated_interval),
            "cost_optimal_interval": value_to_json(self.cost_optimal_interval),
            "cost_rate": value_to_json(self.cost_rate),
            "cost_message": self.cost_message,
            "retrain_cost": self.retrain_cost,
            "shortfall_cost": self.shortfall_cost,
            "round_to": self.round_to,
            "time_kind": self.time_kind,
            "band_age": value_to_json(list(self.band_age)),
            "band_low": value_to_json(list(self.band_low)),
            "band_high": value_to_json(list(self.band_high)),
            "significant": self.significant,
            "limited_by": self.limited_by,
            "fresh": value_to_json(self.fresh),
            "sentence": str(self),
            # an item of several metrics or segments (absent in first-round documents)
            **({} if self.segment is None else {"segment": self.segment}),
            **({} if self.pooling_weight is None else {
                "pooling_weight": self.pooling_weight,
                "pooled_curve": value_to_json(list(self.pooled_curve))}),
        }

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (no NaN tokens); :meth:`from_json` round-trips it exactly."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any], *,
                  evaluation: OOTEvaluation | None = None) -> RetrainRecommendation:
        """Rebuild a recommendation from :meth:`to_dict` output (with ``evaluation`` as
        its evaluation when the document stores it elsewhere); a document it cannot
        have written raises :class:`~oot.InvalidParameterError`."""
        with reading("RetrainRecommendation"):
            check_schema(d, _REC_SCHEMA, "RetrainRecommendation")
            kind = doc_field(d, "time_kind", options=("datetime", "numeric"))
            ci = value_field(d, "interval_ci")
            if not isinstance(ci, tuple) or len(ci) != 2:
                msg = f"its field 'interval_ci' must be a (low, high) pair; got {ci!r}"
                raise DocumentError(msg)
            level = doc_field(d, "confidence_level", number=True)
            if not 0 < level < 1:
                msg = f"its field 'confidence_level' must lie in (0, 1); got {level!r}"
                raise DocumentError(msg)
            ages = {key: value_field(d, key) for key in
                    ("interval", "max_age", "extrapolated_interval", "cost_optimal_interval")}
            ages.update({"interval_ci[0]": ci[0], "interval_ci[1]": ci[1]})
            age_type = pd.Timedelta if kind == "datetime" else (int, float)
            for key, v in ages.items():
                if v is not None and (isinstance(v, bool) or not isinstance(v, age_type)
                                      or pd.isna(v)):
                    msg = (f"its field {key!r} must be an age ("
                           + ("a timedelta" if kind == "datetime" else "a number")
                           + f") or null; got {v!r}")
                    raise DocumentError(msg)
            if ages["max_age"] is None:
                msg = "its field 'max_age' must be an age; got null"
                raise DocumentError(msg)
            if evaluation is None:
                evaluation = OOTEvaluation.from_dict(doc_field(d, "evaluation", types=dict))
            curve = DegradationCurve.from_dict(doc_field(d, "curve", types=dict))
            for name, part in (("evaluation", evaluation), ("curve", curve)):
                if part.time_kind != kind:
                    msg = (f"its field '{name}.time_kind' ({part.time_kind!r}) contradicts "
                           f"'time_kind' ({kind!r})")
                    raise DocumentError(msg)
            fresh = value_field(d, "fresh", optional=True)
            if fresh is not None and not isinstance(fresh, dict):
                msg = f"its field 'fresh' must be a mapping or null; got {fresh!r}"
                raise DocumentError(msg)
            segment = doc_field(d, "segment", types=(str, type(None)), optional=True)
            weight = doc_field(d, "pooling_weight", number=True, optional=True)
            pooled = value_field(d, "pooled_curve", optional=True) or ()
            if not isinstance(pooled, (list, tuple)) or not all(
                    isinstance(v, float) for v in pooled):
                msg = f"its field 'pooled_curve' must be a list of numbers; got {pooled!r}"
                raise DocumentError(msg)
            return cls(
                status=doc_field(d, "status", options=STATUSES),
                interval=ages["interval"],
                # safe_interval is written for readers of the document; it is derived
                interval_ci=ConfidenceInterval(*ci),
                baseline=doc_field(d, "baseline", number=True),
                threshold=doc_field(d, "threshold", number=True),
                tolerance=doc_field(d, "tolerance", number=True),
                tolerance_type=doc_field(d, "tolerance_type",
                                         options=("relative", "absolute")),
                metric=Metric.from_dict(doc_field(d, "metric", types=dict)),
                curve=curve,
                evaluation=evaluation,
                confidence_level=level,
                n_bootstrap=doc_field(d, "n_bootstrap", integral=True),
                crossed_fraction=value_field(d, "crossed_fraction"),
                max_age=ages["max_age"],
                extrapolated_interval=ages["extrapolated_interval"],
                cost_optimal_interval=ages["cost_optimal_interval"],
                cost_rate=value_field(d, "cost_rate"),
                cost_message=doc_field(d, "cost_message", types=(str, type(None))),
                retrain_cost=doc_field(d, "retrain_cost", number=True, optional=True),
                shortfall_cost=doc_field(d, "shortfall_cost", number=True, optional=True),
                round_to=value_field(d, "round_to"),
                time_kind=kind,
                # documents from before the band was stored have none
                band_age=tuple(value_field(d, "band_age", optional=True) or ()),
                band_low=tuple(value_field(d, "band_low", optional=True) or ()),
                band_high=tuple(value_field(d, "band_high", optional=True) or ()),
                significant=doc_field(d, "significant", types=bool, optional=True,
                                      default=False),
                limited_by=doc_field(d, "limited_by", options=("", "fresh"), optional=True,
                                     default=""),
                fresh=fresh,
                segment=segment,
                pooling_weight=None if weight is None else float(weight),
                pooled_curve=tuple(pooled),
            )

    @classmethod
    def from_json(cls, text: str | bytes) -> RetrainRecommendation:
        """Rebuild a recommendation from :meth:`to_json` output (exact round trip)."""
        return cls.from_dict(load_document(text, "RetrainRecommendation"))
