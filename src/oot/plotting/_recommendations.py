"""Several recommendations at once: :class:`RecommendationsDisplay`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import oot._format as fmt
from oot._time import age_to_float
from oot._validation import InvalidParameterError, check_option, param_message
from oot.evaluate._result import ALL_SEGMENTS
from oot.plotting._common import _CURVE_COLOR, _THRESHOLD_COLOR, _new_axes, _wrap_title
from oot.plotting._degradation import DegradationDisplay
from oot.recommend import RetrainRecommendations

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["RecommendationsDisplay"]

_KINDS = ("curves", "segments")
_MARKERS = {"crossed": "o", "not_reached": ">", "no_degradation": "x"}


class RecommendationsDisplay:
    """Several recommendations: small multiples of their curves, or segments ranked.

    ``kind="curves"`` draws one :class:`DegradationDisplay` per (metric, segment) on a
    grid of Axes that share the age axis (the binding one's title says so);
    ``kind="segments"`` ranks the segments of one metric by interval, each a point with
    its confidence interval (a ``>`` marks a lower bound: degrading but not reached; an
    ``x`` no degradation), the whole population as a vertical line with its CI shaded,
    and :meth:`~oot.RetrainRecommendations.fastest_sentence` as the title.

    Build it with :meth:`from_recommendations` (or
    :meth:`oot.RetrainRecommendations.plot`).

    Parameters
    ----------
    recommendations : RetrainRecommendations
    kind : {"curves", "segments"}, default="curves"
    metric : str, default=None
        The metric of ``kind="segments"`` (None: the first); with ``kind="curves"``,
        only that metric's items (None: all).

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        The Axes drawn on (one per item for ``"curves"``; one for ``"segments"``).
    ax_ : matplotlib Axes
        The first of them.
    figure_ : matplotlib Figure
    displays_ : list of DegradationDisplay
        ``"curves"``: each item's display, in the order of ``keys_``.
    keys_ : list of (str, str)
        The (metric, segment) drawn, in order.
    ranking_ : DataFrame or None
        ``"segments"``: the ranking drawn (:meth:`~oot.RetrainRecommendations.ranking`).
    errorbar_ : matplotlib ErrorbarContainer or None
        ``"segments"``: the intervals and their CIs.
    unit_ : str
        The unit of the shared age axis.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> import pandas as pd
    >>> import oot
    >>> from oot.datasets import make_degradation_scores
    >>> parts = [make_degradation_scores(slope=s, random_state=i).to_evaluation()
    ...          .scores.assign(segment=name) for i, (s, name) in enumerate(
    ...          [(-0.0004, "fast"), (-0.0002, "slow"), (0.0, "steady")])]
    >>> ev = oot.OOTEvaluation.from_frame(pd.concat(parts), metric="roc_auc")
    >>> recs = oot.recommend_retrain_interval(ev, n_bootstrap=100, random_state=0)
    >>> fig = Figure(figsize=(9, 3))
    >>> disp = recs.plot(axes=fig.subplots(1, 3, sharex=True))
    >>> disp.keys_
    [('roc_auc', 'fast'), ('roc_auc', 'slow'), ('roc_auc', 'steady')]
    >>> disp = recs.plot(kind="segments", ax=Figure().add_subplot())
    >>> disp.ranking_["segment"].tolist()
    ['fast', 'slow', 'steady']
    """

    def __init__(self, recommendations: RetrainRecommendations, kind: str = "curves",
                 metric: str | None = None) -> None:
        self.recommendations = recommendations
        self.kind = kind
        self.metric = metric

    @classmethod
    def from_recommendations(cls, recommendations: RetrainRecommendations, *,
                             kind: str = "curves", metric: str | None = None,
                             **kwargs: Any) -> RecommendationsDisplay:
        """Check the arguments and :meth:`plot`.

        Parameters
        ----------
        recommendations : RetrainRecommendations
        kind : {"curves", "segments"}, default="curves"
        metric : str, default=None
        **kwargs
            Passed to :meth:`plot` (``axes`` or ``ax``, ``ncols``, ``unit``, ...).

        Returns
        -------
        RecommendationsDisplay
        """
        func = "RecommendationsDisplay.from_recommendations"
        if not isinstance(recommendations, RetrainRecommendations):
            raise InvalidParameterError(param_message(
                "recommendations", func, "a RetrainRecommendations",
                type(recommendations).__name__))
        check_option(kind, "kind", func, _KINDS)
        if metric is not None and metric not in recommendations.metrics:
            raise InvalidParameterError(param_message(
                "metric", func, f"one of {list(recommendations.metrics)} or None", metric))
        if kind == "segments" and len(recommendations.segments) < 2 and (
                ALL_SEGMENTS in recommendations.segments):
            raise InvalidParameterError(param_message(
                "kind", func, "'curves' for recommendations without segments", kind,
                "Rank segments of an analysis run with segment=COLUMN."))
        return cls(recommendations, kind, metric).plot(**kwargs)

    def plot(self, axes: Any = None, *, ax: Axes | None = None, ncols: int | None = None,
             unit: str | None = None, errorbar: str | float = "se",
             figsize: tuple[float, float] | None = None) -> RecommendationsDisplay:
        """Draw the small multiples or the ranking.

        Parameters
        ----------
        axes : array of matplotlib Axes, default=None
            ``"curves"``: at least one Axes per item (a new figure of ``ncols``
            columns, shared age axis, when None).
        ax : matplotlib Axes, default=None
            ``"segments"``: the Axes to draw on (a new figure when None).
        ncols : int, default=None
            Columns of the new grid (up to 3 when None).
        unit : {"days", "weeks", "months", "years"}, default=None
            The shared age axis' unit (from the oldest age when None).
        errorbar : "se" or float, default="se"
            ``"curves"``: the window scores' error bars (see :class:`DegradationDisplay`).
        figsize : tuple of float, default=None
            Size of the new figure.

        Returns
        -------
        RecommendationsDisplay
        """
        func = "RecommendationsDisplay.plot"
        if unit is not None:
            check_option(unit, "unit", func, list(fmt.AGE_UNITS))
        recs = self.recommendations
        days = [self._days(r.max_age) for r in recs if r.max_age is not None] or [1.0]
        if recs.time_kind == "datetime":
            self.unit_, self._per = ((unit, fmt.AGE_UNITS[unit]) if unit
                                     else fmt.age_unit(max(days)))
        else:
            self.unit_, self._per = "", 1.0
        self.displays_: list[DegradationDisplay] = []
        self.ranking_: Any = None
        self.errorbar_: Any = None
        if self.kind == "curves":
            self._plot_curves(axes if axes is not None else ax, ncols, errorbar, figsize)
        else:
            self._plot_segments(ax if ax is not None else axes, figsize)
        return self

    # ----------------------------------------------------------------- curves
    def _plot_curves(self, axes: Any, ncols: int | None, errorbar: str | float,
                     figsize: tuple[float, float] | None) -> None:
        recs = self.recommendations
        keys = [k for k in recs.keys if self.metric is None or k[0] == self.metric]
        n = len(keys)
        if axes is None:
            import matplotlib.pyplot as plt

            cols = min(n, 3) if ncols is None else max(1, int(ncols))
            rows = math.ceil(n / cols)
            size = figsize or (4.6 * cols, 3.5 * rows + 0.6)
            fig, grid = plt.subplots(rows, cols, sharex=True, squeeze=False,
                                     figsize=size, layout="constrained")
            flat = list(grid.ravel())
            for extra in flat[n:]:
                extra.set_visible(False)
        else:
            flat = list(np.asarray(axes, dtype=object).ravel())
            if len(flat) < n:
                raise InvalidParameterError(param_message(
                    "axes", "RecommendationsDisplay.plot", f"at least {n} Axes (one per "
                    "metric and segment)", f"{len(flat)} Axes"))
            fig = flat[0].figure
        self.figure_: Figure = fig
        self.axes_ = np.asarray(flat[:n], dtype=object)
        self.ax_ = flat[0]
        self.keys_ = keys
        bind = recs.binding_key
        # each panel's place in the grid, before colour bars nest it in a grid of its own
        self._cells = [_cell(a) for a in flat[:n]]
        for k, a in zip(keys, flat, strict=False):
            rec = recs[k]
            disp = DegradationDisplay(rec.evaluation, rec.curve, rec).plot(
                ax=a, title=False, legend=False, unit=self.unit_ or None,
                errorbar=errorbar)
            title = fmt.small_multiple_title(rec, binding=k == bind)
            a.set_title(_wrap_title(title, a), fontsize=9.5, loc="left",
                        fontweight="bold" if k == bind else "normal")
            a.set_xlabel(a.get_xlabel(), fontsize=8.5)
            a.set_ylabel(a.get_ylabel(), fontsize=8.5)
            self.displays_.append(disp)
        right = max(self._days(recs[k].max_age) for k in keys) / self._per
        self.ax_.set_xlim(0.0, right * 1.03)
        self._share_colorbars()
        self._outer_xlabels()

    def _outer_xlabels(self) -> None:
        """The shared age axis is labelled under the lowest panel of each column only."""
        cells = {c: d for c, d in zip(self._cells, self.displays_, strict=True)
                 if c is not None}
        for (grid, row, col), d in cells.items():
            if (grid, row + 1, col) in cells:
                d.ax_.set_xlabel("")

    def _share_colorbars(self) -> None:
        """One colour bar of the anchors per row of panels, on its last panel: every
        panel colours the same anchors alike, so the others' bars only repeat it (a
        panel whose anchors differ keeps its own)."""
        def key(d: DegradationDisplay) -> Any:
            cb = d.colorbar_
            return (cb.cmap.N, tuple(t.get_text() for t in cb.ax.get_yticklabels()))

        rows: dict[tuple[int, int], list[tuple[int, DegradationDisplay]]] = {}
        for c, d in zip(self._cells, self.displays_, strict=True):
            if c is not None and d.colorbar_ is not None:
                rows.setdefault((c[0], c[1]), []).append((c[2], d))
        for row in rows.values():
            keep = max(row, key=lambda item: item[0])[1]
            for _, d in row:
                if d is not keep and key(d) == key(keep):
                    d.colorbar_.remove()
                    d.colorbar_ = None

    # --------------------------------------------------------------- segments
    def _plot_segments(self, ax: Axes | None, figsize: tuple[float, float] | None) -> None:
        recs = self.recommendations
        metric = self.metric or recs.metrics[0]
        ranking = recs.ranking(metric)
        segs = ranking[ranking["rank"] > 0].reset_index(drop=True)
        whole = ranking[ranking["rank"] == 0]
        if ax is None:
            ax = _new_axes(figsize or (8.5, 1.2 + 0.42 * max(len(segs), 2)))
        self.ax_ = ax
        self.axes_ = np.asarray([ax], dtype=object)
        self.figure_ = ax.figure  # type: ignore[assignment]
        self.ranking_ = ranking
        self.keys_ = [(metric, str(s)) for s in ranking["segment"]]
        per = self._per
        oldest = max(self._days(recs[k].max_age) for k in self.keys_)
        right = oldest * 1.08
        y = np.arange(len(segs))[::-1].astype(float)  # the fastest on top
        x, lo, hi = [], [], []
        for _, row in segs.iterrows():
            st = row["status"]
            xv = oldest if st == "no_degradation" else self._days(row["interval"])
            x.append(xv / per)
            # a missing low end lies beyond the evaluated ages (the bootstrap's crossings
            # are all later), as a missing high end does
            own_max = self._days(recs[(metric, str(row["segment"]))].max_age)
            lo_d = (own_max if _missing(row["ci_low"]) else self._days(row["ci_low"])
                    ) if st != "no_degradation" else 0.0
            hi_d = right if _missing(row["ci_high"]) or st == "no_degradation" else (
                self._days(row["ci_high"]))
            lo.append(max(xv - lo_d, 0.0) / per if st != "no_degradation" else 0.0)
            hi.append(max(hi_d - xv, 0.0) / per if st != "no_degradation" else 0.0)
        xs = np.asarray(x)
        self.errorbar_ = ax.errorbar(xs, y, xerr=[lo, hi], fmt="none", ecolor=_CURVE_COLOR,
                                     elinewidth=1.6, capsize=3, zorder=3)
        for status, marker in _MARKERS.items():
            sel = (segs["status"] == status).to_numpy()
            if sel.any():
                ax.plot(xs[sel], y[sel], ls="", marker=marker, ms=7, color=_CURVE_COLOR,
                        zorder=4, label=fmt.ranking_marker_label(status))
        if len(whole):
            w = whole.iloc[0]
            if w["status"] == "crossed":
                xw = self._days(w["interval"]) / per
                ax.axvline(xw, color=_THRESHOLD_COLOR, lw=1.4, ls="--", zorder=2,
                           label=f"whole population: {fmt.age(w['interval'], recs.time_kind)}")
                wl = 0.0 if _missing(w["ci_low"]) else self._days(w["ci_low"]) / per
                wh = (right / per if _missing(w["ci_high"])
                      else self._days(w["ci_high"]) / per)
                ax.axvspan(wl, wh, color=_THRESHOLD_COLOR, alpha=0.08, lw=0, zorder=1)
        labels = [f"{s}  ({fmt.rows_label(int(n))})" for s, n in zip(
            segs["segment"], segs["n_rows"], strict=True)]
        ax.set_yticks(y, labels=labels, fontsize=9)
        ax.set_xlim(0.0, right / per)
        ax.set_ylim(-0.7, len(segs) - 0.3)
        unit = self.unit_ or "time units"
        ax.set_xlabel(fmt.ranking_xlabel(recs[(metric, str(segs["segment"].iloc[0]))],
                                         unit, recs.confidence_level))
        ax.grid(True, axis="x", color="#e6e6e6", lw=0.8, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.title_ = recs.fastest_sentence(metric)
        ax.set_title(_wrap_title(self.title_, ax), fontsize=10.5, loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize=8.5,
                  frameon=False)

    def _days(self, age: Any) -> float:
        kind = self.recommendations.time_kind
        return float(age_to_float(age, kind))


def _cell(ax: Any) -> tuple[int, int, int] | None:
    """``(grid, row, column)`` of an Axes in its grid (None outside one)."""
    spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
    if spec is None:
        return None
    return id(spec.get_gridspec()), spec.rowspan.start, spec.colspan.start


def _missing(v: Any) -> bool:
    """A CI end beyond the evaluated ages (None, or NaT / NaN in a frame)."""
    return v is None or bool(pd.isna(v))
