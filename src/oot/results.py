"""Result objects: :class:`OOTEvaluation` (and, in :mod:`oot.recommend`, the recommendation).

Results are frozen dataclasses with a tidy ``to_frame()``, ``to_dict()`` / ``to_json()``
and an exact ``from_json()`` round trip, a ``summary()`` DataFrame and ``_repr_html_``.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oot._serialize import frame_from_dict, frame_to_dict, value_from_json, value_to_json
from oot._time import TimeKind, age_to_float, format_age
from oot._validation import InvalidParameterError, param_message

if TYPE_CHECKING:
    from oot.metrics import Metric

__all__ = ["OOTEvaluation", "RetrainRecommendation", "SCORE_COLUMNS"]

#: Columns of :attr:`OOTEvaluation.scores`, in order (``n_pos``/``n_neg`` only for
#: binary classification metrics).
SCORE_COLUMNS = [
    "anchor", "cutoff", "train_start", "window", "window_start", "window_end", "age",
    "n", "score", "se", "status", "partial",
]

_SCHEMA = "oot.OOTEvaluation/1"


def _json_loads(text: str | bytes, cls: str) -> dict[str, Any]:
    try:
        d = json.loads(text)
    except (TypeError, ValueError) as exc:
        msg = (f"The 'text' parameter of {cls}.from_json must be a JSON document written by "
            f"{cls}.to_json. It could not be parsed: {exc}.")
        raise InvalidParameterError(
            msg
        ) from exc
    if not isinstance(d, dict):
        msg = (f"The 'text' parameter of {cls}.from_json must be a JSON object written by "
            f"{cls}.to_json. Got a JSON {type(d).__name__} instead.")
        raise InvalidParameterError(
            msg
        )
    return d


def _check_schema(d: dict[str, Any], schema: str, cls: str) -> None:
    if d.get("schema") != schema:
        msg = (f"The 'text' parameter of {cls}.from_json must be a document written by "
               f"{cls}.to_json (schema {schema!r}). Got schema {d.get('schema')!r} "
               "instead.")
        raise InvalidParameterError(msg)


@dataclass(frozen=True, eq=False)
class OOTEvaluation:
    """Scores of frozen models on successive later windows: one row per anchor x window.

    Built by :func:`oot.evaluate_out_of_time` or :func:`oot.evaluate_predictions`, or
    directly from a DataFrame of scores (:meth:`from_frame`) when the scores come from
    your own monitoring.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per (anchor, window): ``anchor`` (int, 1-based), ``cutoff`` (end of the
        training data), ``train_start``, ``window`` (1-based index within the anchor),
        ``window_start``, ``window_end``, ``age`` (window midpoint minus cutoff: a
        Timedelta, or a number for numeric time), ``n`` (rows), ``score``, ``se``
        (standard error of the score from the window's own rows), ``status`` ("ok",
        "empty", "too_small", "one_class", "undefined") and ``partial`` (the last window,
        cut short by the end of the data or the horizon). Binary classification adds
        ``n_pos`` and ``n_neg``.
    metric : Metric
        The metric scored (direction, name).
    time_kind : {"datetime", "numeric"}
        Whether ages are Timedeltas or numbers.
    anchors : pandas.DataFrame
        One row per anchor: ``anchor``, ``cutoff``, ``train_start``, ``n_train``,
        ``status`` ("ok" or "failed") and ``message``.
    params : dict
        The window plan and settings used (for the report and for reproducibility).
    data_info : dict
        ``n_rows``, ``time_min``, ``time_max`` of the data.

    Examples
    --------
    >>> import pandas as pd
    >>> from oot import OOTEvaluation
    >>> frame = pd.DataFrame({"anchor": [1, 1, 1], "age": [15.0, 45.0, 75.0],
    ...                       "score": [0.80, 0.78, 0.75], "se": [0.01, 0.01, 0.01]})
    >>> ev = OOTEvaluation.from_frame(frame, metric="roc_auc")
    >>> ev.n_usable
    3
    >>> ev.scores["window"].tolist()
    [1, 2, 3]
    """

    scores: pd.DataFrame
    metric: Metric
    time_kind: TimeKind = "datetime"
    anchors: pd.DataFrame = field(default_factory=pd.DataFrame)
    params: dict[str, Any] = field(default_factory=dict)
    data_info: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ access
    @property
    def usable(self) -> pd.DataFrame:
        """Rows with a finite score (status "ok"): the rows every fit uses."""
        s = self.scores
        keep = (s["status"] == "ok").to_numpy() & np.isfinite(s["score"].to_numpy(float))
        out: pd.DataFrame = s.loc[keep]
        return out

    @property
    def n_usable(self) -> int:
        """Number of windows with a usable score."""
        return len(self.usable)

    @property
    def n_anchors(self) -> int:
        """Number of anchors."""
        return int(self.scores["anchor"].nunique())

    @property
    def greater_is_better(self) -> bool:
        """The metric's direction."""
        return bool(self.metric.greater_is_better)

    def ages(self, usable_only: bool = True) -> np.ndarray:
        """Ages as floats (days for datetime time), for fitting."""
        s = self.usable if usable_only else self.scores
        return np.asarray(age_to_float(s["age"], self.time_kind), dtype=float)

    # ------------------------------------------------------------- conversion
    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy per-window table (one row per anchor x window)."""
        return self.scores.copy()

    def summary(self) -> pd.DataFrame:
        """Per-anchor summary: windows, usable windows, first and last score, age span.

        Examples
        --------
        >>> import pandas as pd
        >>> from oot import OOTEvaluation
        >>> ev = OOTEvaluation.from_frame(
        ...     pd.DataFrame({"anchor": [1, 1, 2, 2], "age": [1.0, 2.0, 1.0, 2.0],
        ...                   "score": [0.9, 0.8, 0.85, 0.8], "se": [0.01] * 4}),
        ...     metric="roc_auc", time_kind="numeric")
        >>> ev.summary()["n_windows"].tolist()
        [2, 2]
        """
        rows = []
        for anchor, g in self.scores.groupby("anchor", sort=True):
            ok = g[(g["status"] == "ok") & np.isfinite(g["score"].to_numpy(float))]
            rows.append({
                "anchor": anchor,
                "cutoff": g["cutoff"].iloc[0],
                "n_windows": len(g),
                "n_usable": len(ok),
                "n_rows": int(g["n"].sum()),
                "first_score": float(ok["score"].iloc[0]) if len(ok) else np.nan,
                "last_score": float(ok["score"].iloc[-1]) if len(ok) else np.nan,
                "min_age": g["age"].min(),
                "max_age": g["age"].max(),
            })
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly."""
        return {
            "schema": _SCHEMA,
            "metric": self.metric.to_dict(),
            "time_kind": self.time_kind,
            "scores": frame_to_dict(self.scores),
            "anchors": frame_to_dict(self.anchors),
            "params": value_to_json(self.params),
            "data_info": value_to_json(self.data_info),
        }

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (no NaN tokens); :meth:`from_json` round-trips it exactly."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OOTEvaluation:
        """Rebuild an evaluation from :meth:`to_dict` output."""
        from oot.metrics import Metric

        _check_schema(d, _SCHEMA, "OOTEvaluation")
        try:
            return cls(
                scores=frame_from_dict(d["scores"]),
                metric=Metric.from_dict(d["metric"]),
                time_kind=d["time_kind"],
                anchors=frame_from_dict(d["anchors"]),
                params=value_from_json(d["params"]),
                data_info=value_from_json(d["data_info"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            msg = ("The 'text' parameter of OOTEvaluation.from_json is not a valid document "
                f"written by OOTEvaluation.to_json: {type(exc).__name__}: {exc}.")
            raise InvalidParameterError(
                msg
            ) from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> OOTEvaluation:
        """Rebuild an evaluation from :meth:`to_json` output (exact round trip).

        Examples
        --------
        >>> import pandas as pd
        >>> from oot import OOTEvaluation
        >>> ev = OOTEvaluation.from_frame(
        ...     pd.DataFrame({"anchor": [1, 1, 1], "age": [1.0, 2.0, 3.0],
        ...                   "score": [3.0, 3.5, 4.1], "se": [0.1, 0.1, 0.1]}),
        ...     metric="rmse", time_kind="numeric")
        >>> back = OOTEvaluation.from_json(ev.to_json())
        >>> back.scores.equals(ev.scores)
        True
        """
        return cls.from_dict(_json_loads(text, "OOTEvaluation"))

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        metric: str | Metric,
        time_kind: TimeKind | None = None,
    ) -> OOTEvaluation:
        """Build an evaluation from your own per-window scores.

        Parameters
        ----------
        frame : DataFrame
            Needs ``age`` and ``score`` columns; ``anchor`` (default 1), ``se``
            (default NaN: the fits then weight windows by their scatter alone), ``n``,
            ``window``, ``cutoff``, ``window_start``, ``window_end`` and ``status`` are
            optional. ``age`` is a Timedelta column for datetime time, or numbers.
        metric : str or Metric
            The metric the scores are of (it gives the direction).
        time_kind : {"datetime", "numeric"}, default=None
            Inferred from the ``age`` column's dtype when None.

        Returns
        -------
        OOTEvaluation
        """
        from oot._validation import check_columns
        from oot.metrics import get_metric

        fname = "OOTEvaluation.from_frame"
        if not isinstance(frame, pd.DataFrame):
            msg = (f"The 'frame' parameter of {fname} must be a pandas DataFrame. "
                f"Got {type(frame).__name__} instead.")
            raise InvalidParameterError(
                msg
            )
        check_columns(["age", "score"], list(frame.columns), "frame", fname)
        m = get_metric(metric, func=fname)
        if time_kind is not None and time_kind not in ("datetime", "numeric"):
            msg = param_message("time_kind", fname, "one of {'datetime', 'numeric'} or None",
                                time_kind)
            raise InvalidParameterError(msg)
        df = frame.copy()
        age = df["age"]
        if time_kind is None:
            time_kind = "datetime" if pd.api.types.is_timedelta64_dtype(age) else "numeric"
        try:
            if time_kind == "datetime":
                df["age"] = pd.to_timedelta(age)
            else:
                df["age"] = pd.to_numeric(age).astype(float)
        except (TypeError, ValueError) as exc:
            msg = (f"The 'age' column of the frame given to {fname} must hold "
                   + ("Timedeltas" if time_kind == "datetime" else "numbers")
                   + f" (time_kind={time_kind!r}). Got dtype {age.dtype}, first value "
                   f"{age.iloc[0]!r}. Convert it with pandas.to_timedelta or "
                   "pandas.to_numeric.")
            raise InvalidParameterError(msg) from exc
        for col, allow_nan in (("score", True), ("se", True), ("n", False)):
            if col in df:
                try:
                    vals = pd.to_numeric(df[col]).to_numpy(dtype=float)
                except (TypeError, ValueError) as exc:
                    msg = (f"The {col!r} column of the frame given to {fname} must hold "
                           f"numbers. Got dtype {df[col].dtype}, first value "
                           f"{df[col].iloc[0]!r}. Convert it with pandas.to_numeric.")
                    raise InvalidParameterError(msg) from exc
                bad = vals < 0 if col in ("se", "n") else np.zeros(len(vals), bool)
                if not allow_nan:
                    bad |= ~np.isfinite(vals)
                if np.any(bad):
                    msg = (f"The {col!r} column of the frame given to {fname} must be "
                           f"non-negative{'' if allow_nan else ' and finite'}. Got "
                           f"{vals[bad][:5].tolist()} (row positions "
                           f"{np.flatnonzero(bad)[:5].tolist()}).")
                    raise InvalidParameterError(msg)
        if "anchor" not in df:
            df["anchor"] = 1
        anc = pd.to_numeric(df["anchor"], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(anc)) or not np.all(anc == np.round(anc)):
            bad_rows = np.flatnonzero(~np.isfinite(anc) | (anc != np.round(anc)))[:5]
            msg = (f"The 'anchor' column of the frame given to {fname} must hold whole "
                   f"numbers (an id per training cutoff). Got "
                   f"{df['anchor'].iloc[bad_rows].tolist()} at row positions "
                   f"{bad_rows.tolist()}.")
            raise InvalidParameterError(msg)
        df["anchor"] = anc.astype("int64")
        df = df.sort_values(["anchor", "age"], kind="stable").reset_index(drop=True)
        if "window" not in df:
            df["window"] = df.groupby("anchor").cumcount().astype("int64") + 1
        if "se" not in df:
            df["se"] = np.nan
        if "n" not in df:
            df["n"] = 0
        if "status" not in df:
            fin = np.isfinite(df["score"].to_numpy(float))
            df["status"] = np.where(fin, "ok", "undefined")
        if "partial" not in df:
            df["partial"] = False
        nat: Any = pd.NaT if time_kind == "datetime" else np.nan
        for col in ("cutoff", "train_start", "window_start", "window_end"):
            if col not in df:
                df[col] = nat
        df["score"] = df["score"].astype(float)
        df["se"] = df["se"].astype(float)
        df["n"] = df["n"].astype("int64")
        df["window"] = df["window"].astype("int64")
        df["status"] = df["status"].astype(object)
        df["partial"] = df["partial"].astype(bool)
        extra = [c for c in df.columns if c not in SCORE_COLUMNS]
        df = df[SCORE_COLUMNS + extra]
        anchors = pd.DataFrame({
            "anchor": sorted(df["anchor"].unique()),
        })
        anchors["status"] = "ok"
        anchors["message"] = ""
        return cls(scores=df, metric=m, time_kind=time_kind, anchors=anchors,
                   params={"source": "frame"}, data_info={})

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        return (
            f"OOTEvaluation(metric={self.metric.name!r}, anchors={self.n_anchors}, "
            f"windows={len(self.scores)}, usable={self.n_usable})"
        )

    def __str__(self) -> str:
        u = self.usable
        if len(u) == 0:
            return repr(self) + ": no usable window."
        a0, a1 = u["age"].min(), u["age"].max()
        return (
            f"Out-of-time evaluation of {self.metric.display_name or self.metric.name} over "
            f"{self.n_anchors} anchor(s) "
            f"and {len(self.scores)} windows ({self.n_usable} usable), model ages "
            f"{format_age(a0, self.time_kind)} to {format_age(a1, self.time_kind)}."
        )

    def _repr_html_(self) -> str:
        head = html.escape(str(self))
        table = self.summary().to_html(index=False, float_format=lambda v: f"{v:.4g}",
                                       border=0)
        return f"<div class='oot-evaluation'><p><b>{head}</b></p>{table}</div>"


# ============================================================== the recommendation
_REC_SCHEMA = "oot.RetrainRecommendation/1"


def _fmt_num(v: float) -> str:
    return f"{v:.4g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3e}"


@dataclass(frozen=True, eq=False)
class RetrainRecommendation:
    """How often to retrain, with its confidence interval: the result of
    :func:`oot.recommend_retrain_interval`.

    Attributes
    ----------
    status : {"crossed", "not_reached", "no_degradation"}
        "crossed": the fitted curve reaches the threshold within the evaluated ages;
        "not_reached": the metric degrades but stays within tolerance up to the oldest
        evaluated age (``interval`` is then that age, a lower bound); "no_degradation":
        no significant trend and no crossing.
    interval : Timedelta, float or None
        The smallest model age at which the fitted curve reaches the threshold (a number
        for numeric time); None for "no_degradation".
    interval_ci : tuple
        ``(low, high)`` bootstrap confidence interval of the crossing age at
        ``confidence_level``; an end is None when the bootstrap puts it beyond the
        evaluated ages.
    safe_interval : Timedelta, float or None
        The CI's lower end: the conservative cadence.
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
    """

    status: str
    interval: Any
    interval_ci: tuple[Any, Any]
    safe_interval: Any
    baseline: float
    threshold: float
    tolerance: float
    tolerance_type: str
    metric: Metric
    curve: Any
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

    # ------------------------------------------------------------------ text
    def _age(self, age: Any) -> str:
        return format_age(age, self.time_kind)

    def _ci_text(self) -> str:
        lo, hi = self.interval_ci
        pct = f"{100 * self.confidence_level:.0f}%"
        if lo is None and hi is None:
            return f"{pct} CI beyond the evaluated ages"
        if hi is None:
            return f"{pct} CI {self._age(lo)} to beyond {self._age(self.max_age)}"
        if lo is None:
            return f"{pct} CI up to {self._age(hi)}"
        return f"{pct} CI {self._age(lo)} to {self._age(hi)}"

    def _drop_text(self) -> str:
        name = self.metric.display_name or self.metric.name
        verb = "falls" if self.metric.greater_is_better else "rises"
        where = "below" if self.metric.greater_is_better else "above"
        if self.tolerance_type == "relative":
            amount = f"{100 * self.tolerance:.4g}%"
        else:
            amount = _fmt_num(self.tolerance)
        return f"{name} {verb} {amount} {where} its baseline {_fmt_num(self.baseline)}"

    def __str__(self) -> str:
        name = self.metric.display_name or self.metric.name
        if self.status == "crossed":
            text = (f"Retrain every {self._age(self.interval)} ({self._ci_text()}): "
                    f"{self._drop_text()} at age {self._age(self.interval)}.")
        elif self.status == "not_reached":
            where = "below" if self.metric.greater_is_better else "above"
            text = (f"Retrain at least every {self._age(self.interval)}: {name} is degrading "
                    f"but stays within {self._tol_text()} {where} its baseline "
                    f"{_fmt_num(self.baseline)} up to the oldest evaluated age "
                    f"({self._age(self.max_age)}).")
            if self.extrapolated_interval is not None:
                text += (f" Extrapolating the fitted curve, it would cross at about "
                         f"{self._age(self.extrapolated_interval)}.")
        else:
            text = (f"No degradation detected: {name} shows no significant trend with model "
                    f"age (p = {self.curve.trend_pvalue:.2g}) up to age "
                    f"{self._age(self.max_age)}; drift alone does not call for retraining.")
        if self.cost_optimal_interval is not None:
            text += f" Cost-optimal cadence: every {self._age(self.cost_optimal_interval)}."
        return text

    def _tol_text(self) -> str:
        if self.tolerance_type == "relative":
            return f"{100 * self.tolerance:.4g}%"
        return _fmt_num(self.tolerance)

    def __repr__(self) -> str:
        return (f"RetrainRecommendation(status={self.status!r}, interval={self.interval!r}, "
                f"interval_ci={self.interval_ci!r}, metric={self.metric.name!r})")

    def summary(self) -> pd.DataFrame:
        """The recommendation's figures as a one-column DataFrame (``value``)."""
        rows: dict[str, Any] = {
            "status": self.status,
            "interval": self.interval,
            f"ci_low ({100 * self.confidence_level:.0f}%)": self.interval_ci[0],
            f"ci_high ({100 * self.confidence_level:.0f}%)": self.interval_ci[1],
            "safe_interval": self.safe_interval,
            "metric": self.metric.name,
            "baseline": self.baseline,
            "threshold": self.threshold,
            "tolerance": self.tolerance,
            "tolerance_type": self.tolerance_type,
            "curve": self.curve.family,
            "trend_pvalue": self.curve.trend_pvalue,
            "oldest_age": self.max_age,
            "anchors": self.evaluation.n_anchors,
            "usable_windows": self.evaluation.n_usable,
            "n_bootstrap": self.n_bootstrap,
        }
        if self.extrapolated_interval is not None:
            rows["extrapolated_interval"] = self.extrapolated_interval
        if self.retrain_cost is not None:
            rows["cost_optimal_interval"] = self.cost_optimal_interval
            rows["cost_rate"] = self.cost_rate
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)})

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
                    ) -> Path:
        """Write the report folder: ``index.html``, ``recommendation.json``, PNG figures.

        Delegates to :func:`oot.report.save_report`; the write is atomic (an interrupted
        run leaves any earlier report intact, never a mix of old and new files).

        Returns
        -------
        pathlib.Path
            The report folder.
        """
        from oot.report import save_report

        return save_report(self, directory, overwrite=overwrite)

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
            "sentence": str(self),
        }

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (no NaN tokens); :meth:`from_json` round-trips it exactly."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RetrainRecommendation:
        """Rebuild a recommendation from :meth:`to_dict` output."""
        from oot.degradation import DegradationCurve
        from oot.metrics import Metric

        _check_schema(d, _REC_SCHEMA, "RetrainRecommendation")
        try:
            return cls(
                status=d["status"],
                interval=value_from_json(d["interval"]),
                interval_ci=tuple(value_from_json(d["interval_ci"])),
                safe_interval=value_from_json(d["safe_interval"]),
                baseline=value_from_json(d["baseline"]),
                threshold=value_from_json(d["threshold"]),
                tolerance=d["tolerance"],
                tolerance_type=d["tolerance_type"],
                metric=Metric.from_dict(d["metric"]),
                curve=DegradationCurve.from_dict(d["curve"]),
                evaluation=OOTEvaluation.from_dict(d["evaluation"]),
                confidence_level=d["confidence_level"],
                n_bootstrap=d["n_bootstrap"],
                crossed_fraction=value_from_json(d["crossed_fraction"]),
                max_age=value_from_json(d["max_age"]),
                extrapolated_interval=value_from_json(d["extrapolated_interval"]),
                cost_optimal_interval=value_from_json(d["cost_optimal_interval"]),
                cost_rate=value_from_json(d["cost_rate"]),
                cost_message=d["cost_message"],
                retrain_cost=d["retrain_cost"],
                shortfall_cost=d["shortfall_cost"],
                round_to=d["round_to"],
                time_kind=d["time_kind"],
                # documents from before the band was stored have none
                band_age=tuple(value_from_json(d.get("band_age", []))),
                band_low=tuple(value_from_json(d.get("band_low", []))),
                band_high=tuple(value_from_json(d.get("band_high", []))),
            )
        except (KeyError, TypeError, ValueError) as exc:
            msg = ("The 'text' parameter of RetrainRecommendation.from_json is not a valid "
                f"document written by RetrainRecommendation.to_json: "
                f"{type(exc).__name__}: {exc}.")
            raise InvalidParameterError(msg) from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> RetrainRecommendation:
        """Rebuild a recommendation from :meth:`to_json` output (exact round trip)."""
        return cls.from_dict(_json_loads(text, "RetrainRecommendation"))
