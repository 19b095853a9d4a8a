"""The degradation plot: :class:`DegradationDisplay`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import oot._format as fmt
from oot._time import age_to_float
from oot._validation import InvalidParameterError, check_option, param_message
from oot.degradation import DegradationCurve, scores_as_fitted
from oot.evaluate import OOTEvaluation
from oot.plotting._common import (
    _BASELINE_COLOR,
    _CURVE_COLOR,
    _THRESHOLD_COLOR,
    MANY_ANCHORS,
    MANY_POINTS,
    _anchor_colors,
    _check_errorbar,
    _new_axes,
    _note_handle,
    _plain_text,
    _wrap_title,
)
from oot.recommend import RetrainRecommendation

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["DegradationDisplay"]


class DegradationDisplay:
    """The degradation plot: window scores by model age, the fitted curve and the cadence.

    Each (anchor, window) score is a point at its model age with an error bar (one
    standard error, or a confidence interval), coloured by anchor (a sequential colormap,
    oldest anchor lightest); the fitted curve with its pointwise confidence band; the
    baseline and the threshold as labelled horizontal lines; and the recommended interval
    as a vertical line with its confidence interval shaded. The recommendation sentence
    is the title.

    Build it with :meth:`from_recommendation`, :meth:`from_evaluation` or
    :meth:`from_curve` (or :meth:`oot.RetrainRecommendation.plot`).

    Parameters
    ----------
    evaluation : OOTEvaluation or None
        The per-window scores (points); None to draw the curve alone.
    curve : DegradationCurve or None, default=None
        The fitted curve (line and band); None to draw points only.
    recommendation : RetrainRecommendation or None, default=None
        Adds the threshold, the interval and its CI, and the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The Axes drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.
    errorbars_ : list of matplotlib ErrorbarContainer
        One per anchor; together they hold one point per usable window.
    curve_line_, band_, baseline_line_, threshold_line_, interval_line_, interval_span_
        The artists drawn (None when not drawn).
    colorbar_ : matplotlib Colorbar or None
        Anchor colour scale (only when there are more than 8 anchors).
    unit_ : str
        The unit of the age axis (``"days"``, ``"weeks"``, ``"months"``, ``"years"``, or
        ``""`` for numeric time).

    See Also
    --------
    AgingHeatmapDisplay : Scores by anchor and calendar window.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from oot.datasets import make_degradation_scores
    >>> from oot.recommend import recommend_retrain_interval
    >>> from oot.plotting import DegradationDisplay
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> rec = recommend_retrain_interval(ev, tolerance=0.05, n_bootstrap=100,
    ...                                  random_state=0)
    >>> disp = DegradationDisplay.from_recommendation(rec)
    >>> disp.title_ == str(rec)
    True
    >>> plt.close(disp.figure_)
    """

    def __init__(
        self,
        evaluation: OOTEvaluation | None,
        curve: DegradationCurve | None = None,
        recommendation: RetrainRecommendation | None = None,
    ) -> None:
        self.evaluation = evaluation
        self.curve = curve
        self.recommendation = recommendation

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_recommendation(
        cls,
        recommendation: RetrainRecommendation,
        *,
        ax: Axes | None = None,
        **kwargs: Any,
    ) -> DegradationDisplay:
        """Plot a recommendation: scores, curve and band, baseline, threshold, interval.

        Parameters
        ----------
        recommendation : RetrainRecommendation
            From :func:`oot.recommend_retrain_interval`.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        DegradationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from matplotlib.figure import Figure
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.recommend import recommend_retrain_interval
        >>> from oot.plotting import DegradationDisplay
        >>> ev = make_degradation_scores(random_state=1).to_evaluation()
        >>> rec = recommend_retrain_interval(ev, n_bootstrap=100, random_state=0)
        >>> ax = Figure().add_subplot()
        >>> disp = DegradationDisplay.from_recommendation(rec, ax=ax)
        >>> disp.ax_ is ax
        True
        """
        if not isinstance(recommendation, RetrainRecommendation):
            raise InvalidParameterError(param_message(
                "recommendation", "DegradationDisplay.from_recommendation",
                "a RetrainRecommendation", type(recommendation).__name__))
        disp = cls(recommendation.evaluation, recommendation.curve, recommendation)
        return disp.plot(ax=ax, **kwargs)

    @classmethod
    def from_evaluation(
        cls,
        evaluation: OOTEvaluation,
        *,
        ax: Axes | None = None,
        curve: DegradationCurve | None = None,
        **kwargs: Any,
    ) -> DegradationDisplay:
        """Plot the window scores of an evaluation by model age (and a curve, if given).

        Parameters
        ----------
        evaluation : OOTEvaluation
        ax : matplotlib Axes, default=None
        curve : DegradationCurve, default=None
            A curve fitted to ``evaluation`` (:func:`oot.fit_degradation`), drawn with
            its band and baseline.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        DegradationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from matplotlib.figure import Figure
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.plotting import DegradationDisplay
        >>> ev = make_degradation_scores(random_state=0).to_evaluation()
        >>> disp = DegradationDisplay.from_evaluation(ev, ax=Figure().add_subplot())
        >>> sum(len(eb.lines[0].get_xdata()) for eb in disp.errorbars_) == ev.n_usable
        True
        """
        if not isinstance(evaluation, OOTEvaluation):
            raise InvalidParameterError(param_message(
                "evaluation", "DegradationDisplay.from_evaluation", "an OOTEvaluation",
                type(evaluation).__name__))
        evaluation.check_single(func="DegradationDisplay.from_evaluation")
        return cls(evaluation, curve).plot(ax=ax, **kwargs)

    @classmethod
    def from_curve(
        cls,
        curve: DegradationCurve,
        *,
        evaluation: OOTEvaluation | None = None,
        ax: Axes | None = None,
        **kwargs: Any,
    ) -> DegradationDisplay:
        """Plot a fitted degradation curve with its band and baseline (and scores).

        Parameters
        ----------
        curve : DegradationCurve
            From :func:`oot.fit_degradation`.
        evaluation : OOTEvaluation, default=None
            The evaluation the curve was fitted to, to draw its window scores too.
        ax : matplotlib Axes, default=None
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        DegradationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from matplotlib.figure import Figure
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.degradation import fit_degradation
        >>> from oot.plotting import DegradationDisplay
        >>> ev = make_degradation_scores(random_state=0).to_evaluation()
        >>> curve = fit_degradation(ev, curve="linear")
        >>> disp = DegradationDisplay.from_curve(curve, ax=Figure().add_subplot())
        >>> disp.curve_line_.get_label()
        'fitted curve (linear)'
        """
        if not isinstance(curve, DegradationCurve):
            raise InvalidParameterError(param_message(
                "curve", "DegradationDisplay.from_curve", "a DegradationCurve",
                type(curve).__name__))
        if evaluation is not None and not isinstance(evaluation, OOTEvaluation):
            raise InvalidParameterError(param_message(
                "evaluation", "DegradationDisplay.from_curve", "an OOTEvaluation or None",
                type(evaluation).__name__))
        if evaluation is not None:
            evaluation.check_single(func="DegradationDisplay.from_curve")
        return cls(evaluation, curve).plot(ax=ax, **kwargs)

    # ------------------------------------------------------------------ helpers
    @property
    def _time_kind(self) -> str:
        for obj in (self.recommendation, self.evaluation, self.curve):
            if obj is not None:
                return str(obj.time_kind)
        return "datetime"

    @property
    def _greater_is_better(self) -> bool:
        if self.evaluation is not None:
            return self.evaluation.greater_is_better
        if self.curve is not None:
            return bool(self.curve.greater_is_better)
        return True

    def _metric_label(self) -> str:
        if self.evaluation is not None:
            name = fmt.metric_name(self.evaluation.metric)
        elif self.curve is not None:
            name = self.curve.metric or "score"
        else:
            name = "score"
        return fmt.metric_label(name, self._greater_is_better)

    def _to_days(self, age: Any) -> float:
        return float(age_to_float(age, self._time_kind))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ plot
    def plot(
        self,
        ax: Axes | None = None,
        *,
        errorbar: str | float = "se",
        cmap: Any = "viridis",
        band: bool = True,
        title: bool | str = True,
        unit: str | None = None,
        legend: bool = True,
        figsize: tuple[float, float] = (10.0, 6.2),
    ) -> DegradationDisplay:
        """Draw the plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure of size ``figsize`` (constrained layout) is
            made when None.
        errorbar : "se" or float, default="se"
            Error bars of ± one standard error, or a normal confidence interval at this
            level (e.g. 0.9).
        cmap : str or Colormap, default="viridis"
            Sequential colormap telling anchors apart (oldest lightest... most recent
            last).
        band : bool, default=True
            Shade the curve's pointwise confidence band: a recommendation's bootstrap
            band (``band_low`` / ``band_high``, the same calendar-cluster bootstrap as
            its interval CI, at its ``confidence_level``), else the curve's
            delta-method :meth:`~oot.degradation.DegradationCurve.band` at 90% (none for
            the isotonic family).
        title : bool or str, default=True
            True: the recommendation sentence (wrapped), or a description; a string: that
            title; False: none.
        unit : {"days", "weeks", "months", "years"}, default=None
            Unit of the age axis for datetime time; chosen from the span when None.
        legend : bool, default=True
            Draw the legend (below the plot).
        figsize : tuple of float, default=(10.0, 6.2)
            Size of the new figure when ``ax`` is None.

        Returns
        -------
        DegradationDisplay
            ``self``, with ``ax_``, ``figure_`` and the artists set.
        """
        func = "DegradationDisplay.plot"
        z = _check_errorbar(errorbar, func)
        if unit is not None:
            check_option(unit, "unit", func, list(fmt.AGE_UNITS))
        if ax is None:
            ax = _new_axes(figsize)
        self.ax_ = ax
        self.figure_: Figure = ax.figure  # type: ignore[assignment]
        rec = self.recommendation
        max_age, per = self._set_unit(unit)
        # window scores, coloured by anchor
        self.errorbars_: list[Any] = []
        self.colorbar_: Any = None
        handles: list[Any] = []
        if self.evaluation is not None:
            handles.extend(self._plot_points(ax, z, cmap, per))
        # curve, band and baseline
        self.curve_line_: Any = None
        self.band_: Any = None
        self.baseline_line_: Any = None
        self.threshold_line_: Any = None
        self.interval_line_: Any = None
        self.interval_span_: Any = None
        if self.curve is not None:
            handles.extend(self._plot_curve(ax, self.curve, per, band=band))
        # threshold, interval and its CI
        if rec is not None:
            handles.extend(self._plot_recommendation(ax, rec, per, max_age))
        self._finish(ax, handles, title=title, legend=legend)
        _plain_text(self)
        return self

    def _set_unit(self, unit: str | None) -> tuple[float, float]:
        """Choose the age axis' unit (``unit_``) from the oldest age shown; return that
        age in days and the days per unit."""
        rec = self.recommendation
        ages_all: list[float] = []
        if self.evaluation is not None:
            ages_all.extend(self.evaluation.ages().tolist())
        if self.curve is not None:
            ages_all.append(float(self.curve.age_max))
        if rec is not None:
            for a in (rec.interval, *rec.interval_ci, rec.extrapolated_interval):
                if a is not None:
                    ages_all.append(self._to_days(a))
        max_age = max(ages_all) if ages_all else 1.0
        if self._time_kind == "datetime":
            self.unit_, per = (unit, fmt.AGE_UNITS[unit]) if unit else fmt.age_unit(max_age)
        else:
            self.unit_, per = "", 1.0
        return max_age, per

    def _plot_curve(self, ax: Axes, curve: DegradationCurve, per: float, *, band: bool,
                    ) -> list[Any]:
        """The fitted curve (dotted where extrapolated), its band and the baseline."""
        rec = self.recommendation
        level = rec.confidence_level if rec is not None else 0.9
        handles: list[Any] = []
        top = float(curve.age_max)
        ext = None if rec is None else rec.extrapolated_interval
        grid = np.linspace(0.0, top, 300)
        y = np.asarray(curve.predict(grid), dtype=float)
        if rec is not None and len(rec.pooled_curve) and rec.pooling_weight is not None:
            # partial pooling: the interval comes from the pooled curve; the segment's
            # own fit is drawn thin and dashed
            own = ax.plot(grid / per, y, color=_CURVE_COLOR, lw=1.1, ls="--", alpha=0.6,
                          label=f"segment's own fit ({curve.family})", zorder=4)[0]
            pooled = fmt.pooled_curve_label(rec.pooling_weight)
            (self.curve_line_,) = ax.plot(np.asarray(rec.band_age, dtype=float) / per,
                                          np.asarray(rec.pooled_curve, dtype=float),
                                          color=_CURVE_COLOR, lw=2.2, label=pooled,
                                          zorder=4)
            handles.extend([self.curve_line_, own])
        else:
            (self.curve_line_,) = ax.plot(grid / per, y, color=_CURVE_COLOR, lw=2.2,
                                          label=f"fitted curve ({curve.family})", zorder=4)
            handles.append(self.curve_line_)
        if ext is not None and self._to_days(ext) > top:
            g2 = np.linspace(top, self._to_days(ext) * 1.03, 100)
            ax.plot(g2 / per, np.asarray(curve.predict(g2), dtype=float),
                    color=_CURVE_COLOR, lw=1.6, ls=":", zorder=4,
                    label="curve, extrapolated")
            handles.append(ax.lines[-1])
        if band:
            if rec is not None and len(rec.band_age):
                # the recommendation's bootstrap band: calendar noise included
                bx = np.asarray(rec.band_age, dtype=float)
                lo = np.asarray(rec.band_low, dtype=float)
                hi = np.asarray(rec.band_high, dtype=float)
                what = "band of the curve (cluster bootstrap)"
            else:
                bx = grid
                lo, hi = curve.band(grid, confidence_level=level)
                what = "band of the curve"
            if np.isfinite(lo).any():
                self.band_ = ax.fill_between(
                    bx / per, lo, hi, color=_CURVE_COLOR, alpha=0.13, lw=0,
                    label=f"{fmt.level(level)} {what}", zorder=3)
                handles.append(self.band_)
        base = float(rec.baseline if rec is not None else curve.baseline)
        self.baseline_line_ = ax.axhline(
            base, color=_BASELINE_COLOR, lw=1.3, ls="--", zorder=2,
            label=f"baseline {fmt.number(base)}")
        handles.append(self.baseline_line_)
        return handles

    def _finish(self, ax: Axes, handles: list[Any], *, title: bool | str, legend: bool,
                ) -> None:
        """Axis labels, grid, title (``title_``) and the legend below (``legend_``)."""
        if self._time_kind == "datetime":
            ax.set_xlabel(f"model age ({self.unit_} since the end of the training data)")
        else:
            unit = fmt.time_unit(self.evaluation) or "time units"
            ax.set_xlabel(f"model age ({unit} since the end of the training data)")
        ax.set_ylabel(self._metric_label())
        ax.set_xlim(left=0.0)
        ax.grid(True, color="#e6e6e6", lw=0.8, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.title_ = self._title(title)
        if self.title_:
            ax.set_title(_wrap_title(self.title_, ax), fontsize=11, loc="left")
        self.legend_: Any = None
        if legend and handles:
            self.legend_ = ax.legend(
                handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13),
                ncol=_legend_columns(ax, handles), frameon=False, fontsize=9)

    def _plot_points(self, ax: Axes, z: float | None, cmap: Any, per: float) -> list[Any]:
        ev = self.evaluation
        assert ev is not None
        u = ev.usable
        curve = self.curve
        adjusted = curve is not None and (curve.reference == "fresh" or bool(
            curve.calendar_effects.get("removed")))
        if adjusted:  # the scores the curve was fitted to, not the raw ones
            assert curve is not None
            u = scores_as_fitted(ev, curve)
        anchors = sorted(int(a) for a in ev.scores["anchor"].unique())
        n = len(anchors)
        colors = _anchor_colors(n, cmap)
        many = n > MANY_ANCHORS
        dense = many or len(u) > MANY_POINTS
        ms, alpha, elw = (3.2, 0.55, 0.6) if dense else (5.0, 0.9, 1.0)
        mult = 1.0 if z is None else z
        cutoffs = ev.scores.groupby("anchor")["cutoff"].first()
        handles: list[Any] = []
        for i, a in enumerate(anchors):
            g = u[u["anchor"] == a]
            x = np.asarray(age_to_float(g["age"], ev.time_kind), dtype=float) / per
            y = g["score"].to_numpy(float)
            se = g["se"].to_numpy(float)
            yerr = np.where(np.isfinite(se), mult * se, 0.0)
            cut = fmt.stamp(cutoffs.get(a))
            label = f"anchor {a} (cutoff {cut})" if not many else f"_anchor {a}"
            eb = ax.errorbar(x, y, yerr=yerr, fmt="o", ms=ms, color=colors[i], alpha=alpha,
                             elinewidth=elw, capsize=0, mew=0, zorder=5 + i / max(n, 1),
                             label=label)
            self.errorbars_.append(eb)
            if not many:
                handles.append(eb)
        bar = "± 1 SE" if z is None else "CI"
        if many:
            from matplotlib.cm import ScalarMappable
            from matplotlib.colors import BoundaryNorm, ListedColormap
            from matplotlib.lines import Line2D

            lc = ListedColormap(colors)
            norm = BoundaryNorm(np.arange(n + 1) - 0.5, n)
            sm = ScalarMappable(norm=norm, cmap=lc)
            self.colorbar_ = ax.figure.colorbar(sm, ax=ax, pad=0.01, fraction=0.04,
                                                aspect=30)
            step = max(1, int(np.ceil(n / 8)))
            ticks = list(range(0, n, step))
            self.colorbar_.set_ticks(ticks)
            self.colorbar_.set_ticklabels([fmt.stamp(cutoffs.get(anchors[t]))
                                           for t in ticks])
            self.colorbar_.ax.tick_params(labelsize=8)
            self.colorbar_.set_label("anchor (training cutoff)", fontsize=9)
            handles.insert(0, Line2D([], [], marker="o", ls="", color=colors[n // 2],
                                     label=f"window score {bar}, {n} anchors"))
        elif z is not None:
            handles.insert(0, _note_handle(f"error bars: {bar}"))
        if adjusted:
            assert curve is not None
            handles.insert(0, _note_handle(fmt.adjusted_scores_label(curve)))
        return handles

    def _plot_recommendation(self, ax: Axes, rec: RetrainRecommendation, per: float,
                             max_age: float) -> list[Any]:
        handles: list[Any] = []
        thr = float(rec.threshold)
        tol = fmt.tolerance_signed(rec.tolerance, rec.tolerance_type,
                                   rec.metric.greater_is_better)
        self.threshold_line_ = ax.axhline(thr, color=_THRESHOLD_COLOR, lw=1.4, ls="--",
                                          zorder=2, label=f"threshold {fmt.number(thr)} ({tol})")
        handles.append(self.threshold_line_)
        kind = rec.time_kind
        lo, hi = rec.interval_ci
        right = max(max_age, self._to_days(rec.max_age) if rec.max_age is not None else 0)
        if rec.status != "no_degradation" and (lo is not None or hi is not None):
            x0 = 0.0 if lo is None else self._to_days(lo)
            x1 = right if hi is None else self._to_days(hi)
            ci = fmt.interval_ci_range(rec)
            self.interval_span_ = ax.axvspan(
                x0 / per, x1 / per, color=_THRESHOLD_COLOR, alpha=0.10, lw=0, zorder=1,
                label=f"{fmt.level(rec.confidence_level)} CI of the interval ({ci})")
            if hi is None:
                self.interval_span_.set_hatch("//")
                self.interval_span_.set_edgecolor((0.75, 0.22, 0.17, 0.35))
            handles.append(self.interval_span_)
        if rec.interval is not None:
            x = self._to_days(rec.interval) / per
            ls = "-" if rec.status == "crossed" else ":"
            self.interval_line_ = ax.axvline(x, color=_THRESHOLD_COLOR, lw=2.0, ls=ls,
                                             zorder=6, label=fmt.interval_label(rec))
            handles.append(self.interval_line_)
            # Name the age on the line itself, just inside the top of the Axes.
            ax.annotate(fmt.age(rec.interval, kind, unit=fmt.time_unit(rec)), xy=(x, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(4, -4),
                        textcoords="offset points", ha="left", va="top", fontsize=9,
                        color=_THRESHOLD_COLOR, fontweight="bold", zorder=7,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                              "alpha": 0.85})
        return handles

    def _title(self, title: bool | str) -> str:
        if isinstance(title, str):
            return title
        if not title:
            return ""
        if self.recommendation is not None:
            return str(self.recommendation)
        if self.evaluation is not None:
            return str(self.evaluation)
        if self.curve is not None:
            return fmt.curve_title(self.curve)
        return ""


def _legend_columns(ax: Axes, handles: list[Any]) -> int:
    """How many legend columns fit under ``ax`` at fontsize 9.

    Three or four columns when the labels are short; fewer when a long label (the
    adjusted scores' "window scores less the calendar effects modelled") would make the
    legend wider than the figure, which a constrained layout answers by squeezing the
    axes and clipping the legend.
    """
    labels = [str(h.get_label()) for h in handles]
    widest = max((len(t) for t in labels), default=1)
    # about 15 characters of a 9-point font per inch, plus the handle and the gap
    fig = ax.figure  # a Figure or a SubFigure: both have a bbox in pixels and a dpi
    fit = int(fig.bbox.width / fig.dpi * 15 // (widest + 6))
    most = 3 if len(labels) > 4 else min(len(labels), 4)
    return max(1, min(most, fit))
