"""The result of the out-of-time evaluation: :class:`OOTEvaluation`.

It is the input of the degradation fit (:mod:`oot.degradation`). Like every result it
is a frozen dataclass with a tidy ``to_frame()``, ``to_dict()`` / ``to_json()`` and an
exact ``from_json()`` round trip, a ``summary()`` DataFrame and ``_repr_html_``.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import oot._format as fmt
from oot._serialize import (
    DocumentError,
    check_schema,
    frame_from_dict,
    frame_to_dict,
    load_document,
    reading,
    value_field,
    value_to_json,
)
from oot._serialize import field as doc_field
from oot._time import TimeKind, age_to_float
from oot._validation import (
    InvalidParameterError,
    caller,
    check_columns,
    closest,
    param_message,
)
from oot.metrics import STATUSES, Metric, get_metric

__all__ = ["OOTEvaluation", "SCORE_COLUMNS", "ALL_SEGMENTS"]

#: The ``segment`` label of the rows that score the whole population.
ALL_SEGMENTS = "(all)"

#: Columns of :attr:`OOTEvaluation.scores`, in order (``n_pos``/``n_neg`` only for
#: binary classification metrics).
SCORE_COLUMNS = [
    "anchor", "cutoff", "train_start", "window", "window_start", "window_end", "age",
    "n", "score", "se", "status", "partial",
]

_SCHEMA = "oot.OOTEvaluation/1"
#: The values of the ``status`` column of :attr:`OOTEvaluation.scores`.
WINDOW_STATUSES = (*STATUSES, "anchor_failed")


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
        "empty", "too_small", "one_class", "missing_class", "undefined",
        "anchor_failed"; :data:`oot.metrics.STATUSES`) and ``partial`` (the last window,
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
    indicators : pandas.DataFrame or None
        The leading indicators (``evaluate_out_of_time(..., indicators=True)``): one
        row per (anchor, window, indicator) with ``anchor``, ``window``, ``indicator``
        (``"psi:x1"``, ``"ks:x1"``, ``"psi:prediction"``, ``"expected:roc_auc"``),
        ``value`` and ``status``; None when they were not computed. See
        :func:`oot.rank_indicators`.
    metrics : tuple of Metric
        Every metric scored; ``metric`` is the first. With several (``metric=[...]``)
        the scores have a ``metric`` column (its name).
    segment_columns : tuple of str
        The columns the windows were also scored by (``segment=``); the scores then
        have a ``segment`` column: ``"(all)"`` for the whole population, else the
        segment's label. :meth:`select` picks one metric and segment: an evaluation
        every single-metric function accepts.

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
    indicators: pd.DataFrame | None = None
    metrics: tuple[Metric, ...] = ()
    segment_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", tuple(self.metrics) or (self.metric,))
        object.__setattr__(self, "segment_columns", tuple(self.segment_columns))

    # ------------------------------------------------- several metrics, segments
    @property
    def is_multi(self) -> bool:
        """Whether the scores hold several metrics or segments (a ``metric`` or
        ``segment`` column); :meth:`select` then gives one of them."""
        return "metric" in self.scores.columns or "segment" in self.scores.columns

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The names of the metrics scored, in order."""
        return tuple(m.name for m in self.metrics)

    @property
    def segment_labels(self) -> tuple[str, ...]:
        """The segments scored, in order: ``"(all)"`` (the whole population) first;
        ``("(all)",)`` without segments."""
        if "segment" not in self.scores.columns:
            return (ALL_SEGMENTS,)
        return tuple(pd.unique(self.scores["segment"]))

    def check_single(self, param: str = "evaluation", func: str | None = None) -> None:
        """Refuse an evaluation of several metrics or segments where one is needed.

        Raises
        ------
        InvalidParameterError
            Naming the metrics and segments and how to pick one (:meth:`select`).
        """
        if not self.is_multi:
            return
        func = caller() if func is None else func
        msg = (f"The {param!r} parameter of {func} must be an evaluation of one metric on "
               f"one segment. Got an evaluation of {len(self.metrics)} metric(s) x "
               f"{len(self.segment_labels)} segment(s) instead. Pick one with "
               f"{param}.select(metric={self.metric_names[0]!r}, "
               f"segment={self.segment_labels[0]!r}), or pass the whole evaluation to "
               "recommend_retrain_interval, which recommends for each.")
        raise InvalidParameterError(msg)

    def keys(self) -> list[tuple[str, str]]:
        """Every (metric, segment) scored, metric-major."""
        return [(m, s) for m in self.metric_names for s in self.segment_labels]

    def select(self, metric: str | Metric | None = None, segment: str | None = None,
               ) -> OOTEvaluation:
        """One metric on one segment: an evaluation without ``metric`` / ``segment``
        columns, which every function of a single metric accepts.

        Parameters
        ----------
        metric : str or Metric, default=None
            One of :attr:`metric_names`; None is the first.
        segment : str, default=None
            One of :attr:`segment_labels`; None is the whole population ``"(all)"``.

        Returns
        -------
        OOTEvaluation
            Its scores are this evaluation's rows of that metric and segment (the
            columns and dtypes of a first-round evaluation); ``params["selection"]``
            records the choice.

        Examples
        --------
        >>> import pandas as pd
        >>> from oot import OOTEvaluation
        >>> frame = pd.DataFrame({"segment": ["a"] * 3 + ["b"] * 3,
        ...                       "age": [1.0, 2.0, 3.0] * 2,
        ...                       "score": [0.9, 0.85, 0.8, 0.9, 0.9, 0.89]})
        >>> ev = OOTEvaluation.from_frame(frame, metric="roc_auc")
        >>> ev.segment_labels
        ('a', 'b')
        >>> ev.select(segment="b").scores["score"].tolist()
        [0.9, 0.9, 0.89]
        """
        func = "OOTEvaluation.select"
        names = self.metric_names
        if metric is None:
            m = self.metrics[0]
        else:
            name = metric.name if isinstance(metric, Metric) else metric
            if not isinstance(name, str) or name not in names:
                raise InvalidParameterError(param_message(
                    "metric", func, f"one of the metrics scored {list(names)} or None",
                    metric))
            m = self.metrics[names.index(name)]
        labels = self.segment_labels
        if segment is None:
            segment = labels[0] if ALL_SEGMENTS not in labels else ALL_SEGMENTS
        if not isinstance(segment, str) or segment not in labels:
            hint = closest(str(segment), labels)
            raise InvalidParameterError(param_message(
                "segment", func, f"one of the segments scored {list(labels)} or None",
                segment, f"Did you mean {hint!r}?" if hint is not None else None))
        s = self.scores
        keep = np.ones(len(s), dtype=bool)
        if "metric" in s.columns:
            keep &= (s["metric"] == m.name).to_numpy()
        if "segment" in s.columns:
            keep &= (s["segment"] == segment).to_numpy()
        scores = s.loc[keep].drop(columns=[c for c in ("metric", "segment")
                                           if c in s.columns]).reset_index(drop=True)
        params = {k: v for k, v in self.params.items()
                  if k not in ("metrics", "segment", "max_segments", "selection")}
        if "metric" in params:
            params["metric"] = m.name
        params["selection"] = {"metric": m.name, "segment": segment}
        # the indicators describe the whole population's rows
        return OOTEvaluation(scores=scores, metric=m, time_kind=self.time_kind,
                             anchors=self.anchors, params=params,
                             data_info=self.data_info,
                             indicators=self.indicators if segment == ALL_SEGMENTS
                             else None)

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
        """Per-anchor summary: windows, usable windows, first and last score, age span
        (per metric and segment too, with ``metric`` / ``segment`` columns).

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
        groups = [c for c in ("metric", "segment") if c in self.scores.columns]
        for key, g in self.scores.groupby([*groups, "anchor"], sort=False, observed=True):
            ok = g[(g["status"] == "ok") & np.isfinite(g["score"].to_numpy(float))]
            keys = key if isinstance(key, tuple) else (key,)
            rows.append({
                **dict(zip(groups, keys[:-1], strict=True)),
                "anchor": keys[-1],
                "cutoff": g["cutoff"].iloc[0],
                "n_windows": len(g),
                "n_usable": len(ok),
                "n_rows": int(g["n"].sum()),
                "first_score": float(ok["score"].iloc[0]) if len(ok) else np.nan,
                "last_score": float(ok["score"].iloc[-1]) if len(ok) else np.nan,
                "min_age": g["age"].min(),
                "max_age": g["age"].max(),
            })
        if not groups:  # the first-round order: by anchor
            rows.sort(key=lambda r: r["anchor"])
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly."""
        out = {
            "schema": _SCHEMA,
            "metric": self.metric.to_dict(),
            "time_kind": self.time_kind,
            "scores": frame_to_dict(self.scores),
            "anchors": frame_to_dict(self.anchors),
            "params": value_to_json(self.params),
            "data_info": value_to_json(self.data_info),
        }
        if self.indicators is not None:  # absent from documents without indicators
            out["indicators"] = frame_to_dict(self.indicators)
        # written only when there is more than the first-round document holds
        if len(self.metrics) > 1 or "metric" in self.scores.columns:
            out["metrics"] = [m.to_dict() for m in self.metrics]
        if self.segment_columns:
            out["segment_columns"] = list(self.segment_columns)
        return out

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (no NaN tokens); :meth:`from_json` round-trips it exactly.

        The anchors table keeps the measured ``fit_time`` and ``predict_time`` (seconds),
        so two runs with the same ``random_state`` give the same document except for
        those two columns; compare the rest to check that a run is reproducible.
        """
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OOTEvaluation:
        """Rebuild an evaluation from :meth:`to_dict` output; a document it cannot have
        written (fields of the wrong type or with unknown values, a table that
        contradicts itself) raises :class:`~oot.InvalidParameterError`."""
        with reading("OOTEvaluation"):
            check_schema(d, _SCHEMA, "OOTEvaluation")
            time_kind = doc_field(d, "time_kind", options=("datetime", "numeric"))
            scores = frame_from_dict(doc_field(d, "scores"), "scores")
            missing = [c for c in SCORE_COLUMNS if c not in scores]
            if missing:
                msg = f"its table 'scores' lacks the column(s) {missing}"
                raise DocumentError(msg)
            unknown = sorted(set(map(str, scores["status"])) - set(WINDOW_STATUSES))
            if unknown:
                msg = (f"its field 'scores.status' must hold window statuses "
                       f"{WINDOW_STATUSES}; got {unknown[:3]}")
                raise DocumentError(msg)
            age = scores["age"]
            if len(scores) and (time_kind == "datetime") != (age.dtype.kind == "m"):
                msg = ("its column 'scores.age' must hold timedeltas for datetime time, "
                       f"numbers for numeric time; got dtype {age.dtype} for {time_kind}")
                raise DocumentError(msg)
            params = value_field(d, "params")
            data_info = value_field(d, "data_info")
            for key, v in (("params", params), ("data_info", data_info)):
                if not isinstance(v, dict):
                    msg = f"its field {key!r} must be a tagged dict; got {type(v).__name__}"
                    raise DocumentError(msg)
            listed = doc_field(d, "metrics", types=list, optional=True, default=[])
            metrics = tuple(Metric.from_dict(doc_field({"metrics": m}, "metrics",
                                                       types=dict)) for m in listed)
            seg_cols = doc_field(d, "segment_columns", types=list, optional=True,
                                 default=[])
            if not all(isinstance(c, str) for c in seg_cols):
                msg = "its field 'segment_columns' must be a list of column names"
                raise DocumentError(msg)
            return cls(
                scores=scores,
                metric=(metrics[0] if metrics
                        else Metric.from_dict(doc_field(d, "metric", types=dict))),
                time_kind=time_kind,
                anchors=frame_from_dict(doc_field(d, "anchors"), "anchors"),
                params=params,
                data_info=data_info,
                indicators=(None if d.get("indicators") is None
                            else frame_from_dict(d["indicators"], "indicators")),
                metrics=metrics,
                segment_columns=tuple(seg_cols),
            )

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
        return cls.from_dict(load_document(text, "OOTEvaluation"))

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        metric: str | Metric | list[str | Metric],
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
            A ``segment`` column (labels; ``"(all)"`` for the whole population) and a
            ``metric`` column (names of the metrics given in ``metric``) make an
            evaluation of several segments or metrics (see :meth:`select`).
        metric : str, Metric or list of them
            The metric the scores are of (it gives the direction); a list when the
            frame has a ``metric`` column.
        time_kind : {"datetime", "numeric"}, default=None
            Inferred from the ``age`` column's dtype when None.

        Returns
        -------
        OOTEvaluation
        """
        fname = "OOTEvaluation.from_frame"
        if not isinstance(frame, pd.DataFrame):
            msg = (f"The 'frame' parameter of {fname} must be a pandas DataFrame. "
                f"Got {type(frame).__name__} instead.")
            raise InvalidParameterError(
                msg
            )
        check_columns(["age", "score"], list(frame.columns), "frame", fname)
        metrics = _frame_metrics(frame, metric, fname)
        m = metrics[0]
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
        ages = np.asarray(age_to_float(df["age"], time_kind), dtype=float)
        if not np.all(np.isfinite(ages)):
            rows = np.flatnonzero(~np.isfinite(ages))[:5].tolist()
            msg = (f"The 'age' column of the frame given to {fname} must hold finite ages. "
                   f"Got {int((~np.isfinite(ages)).sum())} missing or infinite value(s) "
                   f"(row positions {rows}). Drop those rows or fill in their ages.")
            raise InvalidParameterError(msg)
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
        groups = _frame_groups(df, metrics)
        df = df.sort_values([*groups, "anchor", "age"], kind="stable").reset_index(drop=True)
        if "window" not in df:
            by = df.groupby([*groups, "anchor"], observed=True)
            df["window"] = by.cumcount().astype("int64") + 1
        for g in groups:  # the codes the rows were sorted by
            df[g] = df[g].cat.categories.to_numpy(dtype=object)[df[g].cat.codes]
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
        extra = [c for c in df.columns if c not in SCORE_COLUMNS + groups]
        df = df[groups + SCORE_COLUMNS + extra]
        anchors = pd.DataFrame({
            "anchor": sorted(df["anchor"].unique()),
        })
        anchors["status"] = "ok"
        anchors["message"] = ""
        return cls(scores=df, metric=m, time_kind=time_kind, anchors=anchors,
                   params={"source": "frame"}, data_info={},
                   metrics=metrics if "metric" in groups else (),
                   segment_columns=("segment",) if "segment" in groups else ())

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        if self.is_multi:
            return (f"OOTEvaluation(metrics={self.metric_names!r}, "
                    f"segments={len(self.segment_labels)}, anchors={self.n_anchors}, "
                    f"rows={len(self.scores)}, usable={self.n_usable})")
        return (
            f"OOTEvaluation(metric={self.metric.name!r}, anchors={self.n_anchors}, "
            f"windows={len(self.scores)}, usable={self.n_usable})"
        )

    def __str__(self) -> str:
        return fmt.evaluation_sentence(self)

    def _repr_html_(self) -> str:
        head = html.escape(str(self))
        table = self.summary().to_html(index=False, float_format=fmt.cell, border=0)
        return f"<div class='oot-evaluation'><p><b>{head}</b></p>{table}</div>"


def _frame_metrics(frame: pd.DataFrame, metric: Any, fname: str) -> tuple[Metric, ...]:
    """The metrics of :meth:`OOTEvaluation.from_frame`: one, or the list the frame's
    ``metric`` column names."""
    if not isinstance(metric, (list, tuple)):
        m = get_metric(metric, func=fname)
        if "metric" in frame.columns and set(frame["metric"].astype(str)) != {m.name}:
            raise InvalidParameterError(param_message(
                "metric", fname, "the list of the metrics in the frame's 'metric' column",
                m.name, f"The column names {sorted(set(frame['metric'].astype(str)))}."))
        return (m,)
    metrics = tuple(get_metric(x, func=fname) for x in metric)
    names = [x.name for x in metrics]
    if not metrics or len(set(names)) != len(names):
        raise InvalidParameterError(param_message(
            "metric", fname, "a non-empty list of distinct metrics", names))
    if "metric" not in frame.columns:
        raise InvalidParameterError(param_message(
            "metric", fname, "one metric when the frame has no 'metric' column", names,
            "Add a 'metric' column naming each row's metric."))
    unknown = sorted(set(frame["metric"].astype(str)) - set(names))
    if unknown:
        raise InvalidParameterError(param_message(
            "metric", fname, "a list naming every metric of the frame's 'metric' column",
            names, f"The column also names {unknown}."))
    return metrics


def _frame_groups(df: pd.DataFrame, metrics: tuple[Metric, ...]) -> list[str]:
    """Make the frame's ``metric`` / ``segment`` columns ordered categoricals (metrics
    as listed; the whole population first, missing segments last) and name them."""
    groups = []
    if "metric" in df.columns:
        df["metric"] = pd.Categorical(df["metric"].astype(str),
                                      categories=[m.name for m in metrics], ordered=True)
        groups.append("metric")
    if "segment" in df.columns:
        lab = df["segment"].map(lambda v: "(missing)" if pd.isna(v) else str(v))
        vals = set(lab)
        order = ([ALL_SEGMENTS] if ALL_SEGMENTS in vals else []) + sorted(
            vals - {ALL_SEGMENTS, "(missing)"}) + (["(missing)"] if "(missing)" in vals
                                                   else [])
        df["segment"] = pd.Categorical(lab, categories=order, ordered=True)
        groups.append("segment")
    return groups
