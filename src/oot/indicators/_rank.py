"""How well each leading indicator tracks the measured score: :func:`rank_indicators`.

For every indicator of an evaluation (:attr:`OOTEvaluation.indicators`):

* the **rank correlation** with the score across windows, within anchors, pooled: each
  anchor's windows are ranked by the indicator and by the score (ranks scaled to
  (0, 1) and centred within the anchor), and the correlation of those ranks is taken
  over every anchor's windows together, so that a difference of level between anchors
  counts for nothing and each window counts once;
* the **lead**: the age at which the degradation curve fitted to the scores crosses
  the tolerance minus the median over anchors of the age at which the indicator first
  passes its trigger level (positive: the indicator warns first);
* the **trigger**: retraining when the indicator passes a level chosen on the earlier
  part of history, judged on the later part against the fixed cadences
  (:func:`oot.backtest_trigger`).
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import oot._format as fmt
from oot._serialize import (
    frame_from_dict,
    load_document,
    record_from_dict,
    record_to_dict,
)
from oot._time import NS_PER_DAY, TimeKind
from oot._validation import (
    InvalidParameterError,
    caller,
    check_scalar,
    closest,
    entry_point,
    param_message,
)
from oot.backtest import (
    TriggerBacktest,
    _check_target_share,
    _check_threshold_args,
    _check_trigger_args,
    _fitted_threshold,
    _indicator_names,
    _trigger_result,
    _trigger_setup,
    backtest_problem,
    backtest_trigger,
    indicator_matrix,
)
from oot.degradation import fit_degradation
from oot.evaluate import OOTEvaluation
from oot.evaluate._indicators import indicator_direction, split_name
from oot.metrics import Metric

__all__ = ["rank_indicators", "IndicatorReport", "MIN_CORRELATION"]

_SCHEMA = "oot.IndicatorReport/1"
#: The agreement (rank correlation, oriented) an indicator needs to count as tracking
#: the metric, by default.
MIN_CORRELATION = 0.3

#: Columns of :meth:`IndicatorReport.summary`, in order.
SUMMARY_COLUMNS = [
    "rank", "indicator", "kind", "source", "direction", "correlation", "agreement",
    "n_windows", "trigger_level", "alarm_age", "lead", "n_crossed", "n_warned",
    "n_late",
    "n_false_alarms", "within_tune", "retrains_tune", "n_test", "within_test",
    "retrains_test", "fixed_same_cadence", "fixed_same_within", "fixed_needed_cadence",
    "fixed_needed_retrains", "tracks", "recommended",
]


# ================================================================== the result
@dataclass(frozen=True, eq=False)
class IndicatorReport:
    """Which leading indicator tracks the loss, and how well it works as a retraining
    trigger: the result of :func:`oot.rank_indicators`.

    Attributes
    ----------
    summary_table : pandas.DataFrame
        One row per indicator, best first (see :meth:`summary`).
    windows : pandas.DataFrame
        Tidy, one row per (anchor, window, indicator): ``anchor``, ``window``,
        ``window_start``, ``age``, ``score``, ``score_ok`` (a usable score),
        ``indicator``, ``value``, ``status`` (the indicator's) and ``usable`` (both
        usable: the windows the correlation uses).
    evaluation : OOTEvaluation
        The evaluation the indicators come from.
    metric : Metric
    time_kind : {"datetime", "numeric"}
    tolerance, tolerance_type, baseline, baseline_mode, threshold, reference
        The tolerance and its threshold, as in :func:`oot.backtest_cadences`.
    target_share, tune_share : float
        The share of tuning periods within tolerance a trigger level must reach, and
        the share of periods used to tune it.
    min_correlation : float
        The agreement an indicator needs to count as tracking the metric.
    trigger_problem : str
        Why no trigger could be backtested ('' when the triggers were backtested).
    crossing_age : Timedelta or float
        The age at which the degradation curve fitted to the scores crosses the
        threshold (NaT / NaN when it does not within the evaluated ages): what the
        leads are measured against.
    """

    summary_table: pd.DataFrame
    windows: pd.DataFrame
    evaluation: OOTEvaluation
    metric: Metric
    time_kind: TimeKind
    tolerance: float
    tolerance_type: str
    baseline: float
    baseline_mode: str
    threshold: float
    reference: str = "baseline"
    target_share: float = 0.9
    tune_share: float = 0.5
    min_correlation: float = MIN_CORRELATION
    trigger_problem: str = ""
    period_noun: str = "periods"
    split: Any = None
    given_levels: dict[str, float] = dataclasses.field(default_factory=dict)
    crossing_age: Any = None

    # ------------------------------------------------------------------ access
    def summary(self) -> pd.DataFrame:
        """One row per indicator, best first.

        Columns: ``rank``; ``indicator`` (its name), ``kind`` ("psi", "ks",
        "expected"), ``source`` (a feature, "prediction", or a metric name);
        ``direction`` ("above": alarming when high; "below": when low);
        ``correlation`` (pooled within-anchor rank correlation with the score) and
        ``agreement`` (the same, signed so that positive means the indicator moves
        toward its alarm as the metric gets worse); ``n_windows``; ``trigger_level``;
        ``alarm_age`` (the median over anchors of the first age at which the
        indicator passed the level), ``lead`` (:attr:`crossing_age`, the age at which
        the fitted curve crosses the tolerance, minus ``alarm_age``: positive when the
        indicator warns first; Timedeltas, or numbers for numeric time);
        ``n_crossed`` (anchors whose own scores crossed the threshold), ``n_warned``
        (of those, warned at or before their first crossing),
        ``n_late`` (warned after it, or never), ``n_false_alarms`` (warned, never
        crossed); the trigger's backtest on the tuning and test periods
        (``within_tune``, ``retrains_tune``, ``n_test``, ``within_test``,
        ``retrains_test``), the fixed cadence with as many test retrains and its share
        (``fixed_same_cadence``, ``fixed_same_within``), the fixed cadence with the
        fewest retrains that did as well and how many it needed
        (``fixed_needed_cadence``, ``fixed_needed_retrains``); ``tracks``
        (``agreement >= min_correlation``) and ``recommended`` (the indicator to
        watch: the best one that tracks; none when the fitted curve does not cross the
        tolerance within the evaluated ages, as there is then no loss to warn of).
        """
        return self.summary_table.copy()

    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy per-window table (:attr:`windows`)."""
        return self.windows.copy()

    @property
    def best(self) -> str | None:
        """The indicator to watch (the best-ranked one that tracks the metric), or
        None when none does or the metric did not degrade past the tolerance."""
        t = self.summary_table
        hit = t.loc[t["recommended"]]
        return None if hit.empty else str(hit["indicator"].iloc[0])

    @property
    def indicators(self) -> list[str]:
        """The indicators, best first."""
        return [str(n) for n in self.summary_table["indicator"]]

    def trigger(self, indicator: str | None = None) -> TriggerBacktest:
        """The trigger backtest of one indicator (default: :attr:`best`, else the
        first), with this report's settings: its per-period frame, the levels tried,
        the fixed cadences."""
        func = "IndicatorReport.trigger"
        name = indicator if indicator is not None else (self.best or self.indicators[0])
        if name not in self.indicators:
            hint = closest(str(name), self.indicators)
            raise InvalidParameterError(param_message(
                "indicator", func, "one of the report's indicators", name,
                f"Did you mean {hint!r}?" if hint else None))
        if self.trigger_problem:
            raise InvalidParameterError(param_message(
                "indicator", func, "an indicator of a report whose triggers could be "
                "backtested", name, f"They could not: {self.trigger_problem}."))
        return backtest_trigger(
            self.evaluation, name, level=self.given_levels.get(name),
            tolerance=self.tolerance, tolerance_type=self.tolerance_type,
            baseline=self.baseline, reference=self.reference,
            target_share=self.target_share, tune_share=self.tune_share)

    # ------------------------------------------------------------------ text
    def __str__(self) -> str:
        return fmt.indicator_sentence(self)

    def __repr__(self) -> str:
        return (f"IndicatorReport(metric={self.metric.name!r}, "
                f"indicators={len(self.summary_table)}, best={self.best!r})")

    def _repr_html_(self) -> str:
        head = html.escape(str(self))
        cols = ["rank", "indicator", "correlation", "trigger_level", "lead",
                "within_test", "retrains_test", "fixed_needed_retrains"]
        t = self.summary_table[cols].copy()
        t["lead"] = [fmt.age(v, self.time_kind) for v in t["lead"]]
        table = t.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
        return f"<div class='oot-indicators'><p><b>{head}</b></p>{table}</div>"

    def plot(self, indicators: Any = None, *, top: int = 4, ax: Any = None,
             **kwargs: Any) -> Any:
        """Plot the top indicators and the score against model age, one panel each.

        Delegates to :meth:`oot.plotting.IndicatorDisplay.from_report` and returns the
        display (``.axes_``, ``.figure_``).

        Parameters
        ----------
        indicators : list of str, default=None
            The indicators to show; None: the ``top`` best.
        top : int, default=4
        ax : matplotlib Axes or array of Axes, default=None
            One Axes per panel; None creates a figure.
        **kwargs
            Passed to :meth:`~oot.plotting.IndicatorDisplay.from_report`.
        """
        from oot.plotting import IndicatorDisplay

        return IndicatorDisplay.from_report(self, indicators=indicators, top=top, ax=ax,
                                            **kwargs)

    # ------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly."""
        return record_to_dict(self, _SCHEMA)

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (no NaN tokens); :meth:`from_json` round-trips it exactly."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IndicatorReport:
        """Rebuild a report from :meth:`to_dict` output."""
        return record_from_dict(cls, d, _SCHEMA, {
            "summary_table": frame_from_dict, "windows": frame_from_dict,
            "metric": Metric.from_dict, "evaluation": OOTEvaluation.from_dict})

    @classmethod
    def from_json(cls, text: str | bytes) -> IndicatorReport:
        """Rebuild a report from :meth:`to_json` output (exact round trip).

        Examples
        --------
        >>> import oot
        >>> from sklearn.linear_model import LogisticRegression
        >>> sim = oot.datasets.make_indicator_data(6000, random_state=0)
        >>> ev = oot.evaluate_out_of_time(
        ...     sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
        ...     train_window="90D", eval_window="30D", anchors=6,
        ...     indicators=["psi:x_cause", "psi:x_noise"])
        >>> report = oot.rank_indicators(ev, tolerance=0.05)
        >>> back = oot.IndicatorReport.from_json(report.to_json())
        >>> back.summary().equals(report.summary())
        True
        """
        return cls.from_dict(load_document(text, "IndicatorReport"))


# ================================================================= the statistics
def _windows_table(ev: OOTEvaluation) -> pd.DataFrame:
    """The indicators joined with the scores of their windows."""
    s = ev.scores
    cols = ["anchor", "window", "window_start", "age", "score"]
    sc = s[[c for c in cols if c in s.columns]].copy()
    sc["score_ok"] = ((s["status"] == "ok").to_numpy()
                      & np.isfinite(s["score"].to_numpy(dtype=float)))
    ind = ev.indicators
    assert ind is not None
    out = ind.merge(sc, on=["anchor", "window"], how="left", sort=False)
    out["score_ok"] = out["score_ok"].fillna(False).astype(bool)
    out["usable"] = out["score_ok"].to_numpy() & (out["status"] == "ok").to_numpy() & (
        np.isfinite(out["value"].to_numpy(dtype=float)))
    order = [c for c in ("anchor", "window", "window_start", "age", "score", "score_ok",
                         "indicator", "value", "status", "usable") if c in out.columns]
    return out[order].reset_index(drop=True)


def _age_days(age: pd.Series, kind: TimeKind) -> np.ndarray:
    if kind == "numeric":
        return np.asarray(age, dtype=float)
    td = pd.to_timedelta(age)
    out = np.asarray(td.to_numpy().astype("timedelta64[ns]").astype(np.int64),
                     dtype=float) / NS_PER_DAY
    return np.where(td.isna().to_numpy(), np.nan, out)


def pooled_rank_correlation(anchor: np.ndarray, x: np.ndarray, y: np.ndarray,
                            ) -> float:
    """Rank correlation of ``x`` and ``y`` within anchors, pooled.

    Within each anchor (with at least 3 pairs) both are ranked (average ranks for
    ties), scaled to (0, 1) by ``(rank - 1/2) / n`` and centred; the correlation of the
    pooled centred ranks is returned (NaN when no anchor has 3 pairs or a variable is
    constant within every anchor). With one anchor it is Spearman's rho.

    Examples
    --------
    >>> import numpy as np
    >>> from oot.indicators._rank import pooled_rank_correlation
    >>> a = np.array([1, 1, 1, 2, 2, 2])
    >>> x = np.array([0.1, 0.2, 0.3, 5.0, 6.0, 7.0])     # levels differ by anchor
    >>> y = np.array([0.9, 0.8, 0.7, 0.95, 0.85, 0.6])
    >>> float(pooled_rank_correlation(a, x, y))
    -1.0
    """
    df = pd.DataFrame({"a": anchor, "x": x, "y": y}).dropna()
    if df.empty:
        return math.nan
    g = df.groupby("a", sort=False)
    n = g["x"].transform("size").to_numpy(dtype=float)
    keep = n >= 3
    if not keep.any():
        return math.nan
    rx = (g["x"].rank(method="average").to_numpy() - 0.5) / n
    ry = (g["y"].rank(method="average").to_numpy() - 0.5) / n
    cx = rx - pd.Series(rx).groupby(df["a"].to_numpy()).transform("mean").to_numpy()
    cy = ry - pd.Series(ry).groupby(df["a"].to_numpy()).transform("mean").to_numpy()
    cx, cy = cx[keep], cy[keep]
    den = math.sqrt(float((cx * cx).sum()) * float((cy * cy).sum()))
    return float((cx * cy).sum() / den) if den > 0 else math.nan


def _first_age(anchor: np.ndarray, age: np.ndarray, hit: np.ndarray) -> pd.Series:
    """Per anchor, the smallest age where ``hit`` (NaN where never)."""
    s = pd.Series(np.where(hit, age, np.nan))
    out = s.groupby(anchor, sort=True).min()
    return out


def _crossing_days(curve: Any, threshold: float, kind: TimeKind) -> float:
    """The age (days, or time units) at which the fitted curve reaches the threshold
    within the evaluated ages; NaN when it does not."""
    age = curve.crossing_age(threshold)
    if age is None:
        return math.nan
    return float(age) if kind == "numeric" else float(
        pd.Timedelta(age) / pd.Timedelta(days=1))


def _lead(win: pd.DataFrame, kind: TimeKind, level: float, direction: int,
          threshold: float, sign: float, crossing: float) -> dict[str, Any]:
    """The lead of one indicator at ``level``: the metric's crossing age (of the
    fitted curve) minus the median over anchors of the first age at which the
    indicator passed the level; and per anchor, whether it passed it before the
    anchor's own scores first crossed the threshold."""
    a = win["anchor"].to_numpy()
    age = _age_days(win["age"], kind)
    score = win["score"].to_numpy(dtype=float)
    value = win["value"].to_numpy(dtype=float)
    ok = (win["status"] == "ok").to_numpy() & np.isfinite(value)
    with np.errstate(invalid="ignore"):
        crossed = win["score_ok"].to_numpy() & (sign * (score - threshold) < 0)
        alarmed = ok & (direction * (value - level) > 0)
    c = _first_age(a, age, crossed)
    al = _first_age(a, age, alarmed)
    first_alarm = al.dropna().to_numpy(dtype=float)
    lead = (crossing - float(np.median(first_alarm)) if len(first_alarm)
            and math.isfinite(crossing) else math.nan)
    both = c.notna() & al.notna()
    n_crossed = int(c.notna().sum())
    n_warned = int((both & (al <= c)).sum())
    return {
        "alarm_age": float(np.median(first_alarm)) if len(first_alarm) else math.nan,
        "lead": lead,
        "n_crossed": n_crossed,
        "n_warned": n_warned,
        "n_late": n_crossed - n_warned,
        "n_false_alarms": int((c.isna() & al.notna()).sum()),
    }


def _as_ages(days: np.ndarray, kind: TimeKind) -> Any:
    """Ages in days (time units for numeric time) as Timedeltas rounded to the second
    (NaN: NaT), or as floats for numeric time."""
    if kind == "numeric":
        return np.asarray(days, dtype=float)
    return pd.to_timedelta(np.round(np.asarray(days, dtype=float) * 86400.0),
                           unit="s").to_numpy()


def _as_age(days: float, kind: TimeKind) -> Any:
    """One age: :func:`_as_ages` of a single value."""
    if kind == "numeric":
        return float(days)
    return pd.NaT if not math.isfinite(days) else pd.Timedelta(_as_ages(
        np.array([days]), kind)[0])


def _check_levels(levels: Any, names: list[str]) -> dict[str, float]:
    func = caller()
    if levels is None:
        return {}
    if not isinstance(levels, Mapping):
        raise InvalidParameterError(param_message(
            "levels", func, "None or a dict of indicator name -> trigger level", levels))
    out: dict[str, float] = {}
    for k, v in levels.items():
        if k not in names:
            hint = closest(str(k), names)
            raise InvalidParameterError(param_message(
                "levels", func, "a dict whose keys are indicators of the evaluation", k,
                f"Did you mean {hint!r}?" if hint else None))
        if not (isinstance(v, numbers.Real) and not isinstance(v, bool)
                and not math.isnan(float(v))):
            raise InvalidParameterError(param_message(
                "levels", func, "a dict of numbers (trigger levels)", {k: v}))
        out[str(k)] = float(v)
    return out


# ================================================================= the function
@entry_point("rank_indicators")
def rank_indicators(
    evaluation: OOTEvaluation,
    *,
    tolerance: float = 0.05,
    tolerance_type: str = "relative",
    baseline: str | float = "curve",
    curve: str = "auto",
    reference: str = "baseline",
    target_share: float = 0.9,
    tune_share: float = 0.5,
    levels: Mapping[str, float] | None = None,
    min_correlation: float = MIN_CORRELATION,
) -> IndicatorReport:
    """Rank the leading indicators of an evaluation by how well they track the score.

    Each indicator is judged three ways: its rank correlation with the score across
    windows (within anchors, pooled: a level that differs between anchors counts for
    nothing); its lead, the age at which it first passes its trigger level against the
    age at which the metric first crosses the tolerance; and as a retraining trigger
    on history, with its level chosen on the earlier periods and judged on the later
    ones against the fixed cadences (:func:`oot.backtest_trigger`). No model is fitted.

    Parameters
    ----------
    evaluation : OOTEvaluation
        From :func:`oot.evaluate_out_of_time` with ``indicators=True`` (or a list).
        The trigger figures need at least 3 anchors a whole number of windows apart,
        as :func:`oot.backtest_cadences` does; without them the report still ranks
        by correlation and says why there is no trigger.
    tolerance, tolerance_type, baseline, curve, reference
        As in :func:`oot.backtest_cadences`. The lead measures the metric's crossing
        against the baseline's threshold.
    target_share : float, default=0.9
        Share of the tuning periods within tolerance a trigger level must reach.
    tune_share : float, default=0.5
        Share of the judged periods (the earliest) used to choose each trigger level.
    levels : dict, default=None
        Fixed trigger levels by indicator name (the others are tuned).
    min_correlation : float, default=0.3
        The agreement (the rank correlation, signed so that positive means the
        indicator moves toward its alarm as the metric worsens) an indicator needs to
        count as tracking the metric and be recommended.

    Returns
    -------
    IndicatorReport

    Raises
    ------
    InvalidParameterError
        An evaluation without indicators, or bad settings (the message says which).

    See Also
    --------
    oot.backtest_trigger, oot.evaluate_out_of_time

    Examples
    --------
    >>> import oot
    >>> from sklearn.linear_model import LogisticRegression
    >>> sim = oot.datasets.make_indicator_data(12000, random_state=0)
    >>> ev = oot.evaluate_out_of_time(sim.frame, LogisticRegression(), target=sim.target,
    ...                               time=sim.time, train_window="90D",
    ...                               eval_window="30D", anchors=12, indicators=True)
    >>> report = oot.rank_indicators(ev, tolerance=0.05)
    >>> report.best.endswith("x_cause")
    True
    >>> report.summary().set_index("indicator").loc["psi:x_noise", "tracks"]
    np.False_
    """
    func = caller()
    _check_threshold_args(evaluation, tolerance=tolerance, tolerance_type=tolerance_type,
                          baseline=baseline, reference=reference, curve=curve)
    _check_target_share(target_share)
    _check_trigger_args(tune_share, None)
    check_scalar(min_correlation, "min_correlation", func, low=-1, high=1)
    names = _indicator_names(evaluation)
    fixed_levels = _check_levels(levels, names)
    kind: TimeKind = evaluation.time_kind
    gib = bool(evaluation.greater_is_better)
    sign = 1.0 if gib else -1.0
    base, base_mode, thr, fitted = _fitted_threshold(evaluation, baseline, curve,
                                                     tolerance, tolerance_type)
    if fitted is None or baseline == "first_window":
        fitted = fit_degradation(evaluation, curve=curve)
    crossing = _crossing_days(fitted, thr, kind)
    win = _windows_table(evaluation)
    # -- the triggers, when the evaluation can be backtested
    problem = backtest_problem(evaluation) or ""
    triggers: dict[str, TriggerBacktest] = {}
    split: Any = None
    noun = "periods"
    if not problem:
        try:
            setup = _trigger_setup(evaluation, tolerance=tolerance,
                                   tolerance_type=tolerance_type, baseline=base,
                                   curve=curve, reference=reference, tune_share=tune_share)
        except InvalidParameterError as exc:
            problem = ("too few judged periods to choose a level on some and judge it on "
                       "others" if "judged period" in str(exc) else str(exc))
        else:
            mats = indicator_matrix(evaluation, setup.mx, names)
            for i, name in enumerate(names):
                triggers[name] = _trigger_result(
                    evaluation, setup, name, level=fixed_levels.get(name),
                    tolerance=tolerance, tolerance_type=tolerance_type,
                    reference=reference, target_share=target_share,
                    tune_share=tune_share, values=mats[i])
            first = next(iter(triggers.values()), None)
            if first is not None:
                split, noun = first.split, first.period_noun
    # -- correlation and lead per indicator
    rows = []
    for key, g in win.groupby("indicator", sort=False):
        name = str(key)
        k, source = split_name(name)
        direction = indicator_direction(name)
        u = g["usable"].to_numpy()
        corr = pooled_rank_correlation(g["anchor"].to_numpy()[u],
                                       g["value"].to_numpy(dtype=float)[u],
                                       g["score"].to_numpy(dtype=float)[u])
        agreement = -corr * direction * sign
        tb = triggers.get(name)
        lvl = tb.level if tb is not None else fixed_levels.get(name, math.nan)
        lead = _lead(g, kind, lvl, direction, thr, sign, crossing) if not math.isnan(
            lvl) else {
            "alarm_age": math.nan, "lead": math.nan, "n_crossed": 0, "n_warned": 0,
            "n_late": 0, "n_false_alarms": 0}
        row: dict[str, Any] = {
            "indicator": name, "kind": k, "source": source,
            "direction": "above" if direction > 0 else "below",
            "correlation": corr, "agreement": agreement, "n_windows": int(u.sum()),
            "trigger_level": lvl, **lead,
        }
        if tb is not None:
            row.update(
                within_tune=tb.within_tune, retrains_tune=float(tb.retrains_tune),
                n_test=int(tb.n_test), within_test=tb.within_test,
                retrains_test=float(tb.retrains_test),
                fixed_same_cadence=tb.fixed_same_cadence,
                fixed_same_within=tb.fixed_same_within,
                fixed_needed_cadence=tb.fixed_needed_cadence,
                fixed_needed_retrains=tb.fixed_needed_retrains)
        rows.append(row)
    t = pd.DataFrame(rows)
    for col, fill in (("within_tune", np.nan), ("retrains_tune", np.nan), ("n_test", 0),
                      ("within_test", np.nan), ("retrains_test", np.nan),
                      ("fixed_same_cadence", None), ("fixed_same_within", np.nan),
                      ("fixed_needed_cadence", None), ("fixed_needed_retrains", np.nan)):
        if col not in t:
            t[col] = fill
    for col in ("alarm_age", "lead"):
        t[col] = _as_ages(t[col].to_numpy(dtype=float), kind)
    t["tracks"] = (t["agreement"].to_numpy(dtype=float) >= float(min_correlation)) & (
        np.isfinite(t["agreement"].to_numpy(dtype=float)))
    key_lead = _age_days(t["lead"], kind)
    order = np.lexsort((-np.nan_to_num(key_lead, nan=-np.inf),
                        -np.nan_to_num(t["agreement"].to_numpy(dtype=float),
                                       nan=-np.inf)))
    t = t.iloc[order].reset_index(drop=True)
    t["rank"] = np.arange(1, len(t) + 1, dtype=np.int64)
    rec = np.zeros(len(t), dtype=bool)
    # no loss to warn of (the fitted curve stays within tolerance): none is recommended,
    # whatever tracks the windows' noise
    if t["tracks"].any() and math.isfinite(crossing):
        rec[int(np.flatnonzero(t["tracks"].to_numpy())[0])] = True
    t["recommended"] = rec
    for col in ("fixed_same_cadence", "fixed_needed_cadence"):
        t[col] = t[col].astype(object)
    t["n_test"] = t["n_test"].astype(np.int64)
    t = t[SUMMARY_COLUMNS]
    return IndicatorReport(
        summary_table=t, windows=win, evaluation=evaluation, metric=evaluation.metric,
        time_kind=kind, tolerance=float(tolerance), tolerance_type=tolerance_type,
        baseline=base, baseline_mode=base_mode, threshold=thr, reference=reference,
        target_share=float(target_share), tune_share=float(tune_share),
        min_correlation=float(min_correlation), trigger_problem=problem,
        period_noun=noun, split=split, given_levels=fixed_levels,
        crossing_age=_as_age(crossing, kind))
