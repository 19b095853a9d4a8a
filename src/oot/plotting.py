"""Displays: the degradation plot and the aging heatmap, in scikit-learn's Display style.

A Display's ``__init__`` stores the data, its ``from_*`` classmethods compute what is
needed and call :meth:`plot`, and ``plot(ax=None, **kwargs)`` draws on ``ax`` (or on a
new figure when none is given), stores ``ax_`` and ``figure_`` and returns the display.
Matplotlib's pyplot is imported only inside ``plot`` and only when no Axes is given, so
``import oot`` stays light; nothing here calls ``plt.show()`` or changes rcParams.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oot._time import age_to_float, format_age
from oot._validation import InvalidParameterError, check_option, param_message
from oot.results import OOTEvaluation, RetrainRecommendation

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from oot.degradation import DegradationCurve

__all__ = ["DegradationDisplay", "AgingHeatmapDisplay", "age_unit"]

#: Above this many anchors, points are drawn smaller and fainter and anchors are told
#: apart by a colourbar instead of legend entries.
MANY_ANCHORS = 8
#: Above this many points, points are drawn smaller and fainter.
MANY_POINTS = 250

_UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25}
_THRESHOLD_COLOR = "#c0392b"
_CURVE_COLOR = "#1b1b1b"
_BASELINE_COLOR = "#6b6b6b"


def age_unit(max_age_days: float) -> tuple[str, float]:
    """The unit to show ages in, chosen from the span: ``(name, days per unit)``.

    Days up to 120 days, months up to 6 years, then years: the units the
    recommendation's sentence uses for short intervals, so that the axis and the title
    agree. Pass ``unit="weeks"`` to :meth:`DegradationDisplay.plot` for weeks.

    Parameters
    ----------
    max_age_days : float
        The oldest age to show, in days.

    Returns
    -------
    (str, float)
        The unit's name and its length in days.

    Examples
    --------
    >>> from oot.plotting import age_unit
    >>> age_unit(90.0)
    ('days', 1.0)
    >>> age_unit(300.0)
    ('months', 30.4375)
    >>> age_unit(5000.0)
    ('years', 365.25)
    """
    if not np.isfinite(max_age_days) or max_age_days <= 120:
        name = "days"
    elif max_age_days <= 6 * 365.25:
        name = "months"
    else:
        name = "years"
    return name, _UNITS[name]


def _anchor_colors(n: int, cmap: Any) -> list[Any]:
    """``n`` colours from a sequential colormap, oldest anchor lightest... darkest last.

    The colormap's two ends are trimmed so that no colour is too pale to see on white.
    """
    import matplotlib as mpl

    cm = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    if n == 1:
        return [cm(0.35)]
    return [cm(v) for v in np.linspace(0.0, 0.85, n)]


def _label_stamp(value: Any) -> str:
    """A short text for a cutoff: a date for datetimes, a number otherwise."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "?"
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "strftime"):
        ts = pd.Timestamp(value)
        if ts == ts.normalize():
            return ts.strftime("%Y-%m-%d")
        return ts.strftime("%Y-%m-%d %H:%M")
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)


def _fmt(v: float) -> str:
    return f"{v:.4g}" if v == 0 or abs(v) >= 1e-3 else f"{v:.3e}"


def _new_axes(figsize: tuple[float, float]) -> Axes:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _check_errorbar(errorbar: Any, func: str) -> float | None:
    """``"se"`` -> None (one standard error); a level in (0, 1) -> its z multiplier."""
    from scipy import stats

    if isinstance(errorbar, str) and errorbar == "se":
        return None
    if (isinstance(errorbar, (int, float)) and not isinstance(errorbar, bool)
            and 0 < float(errorbar) < 1):
        return float(stats.norm.ppf(0.5 + float(errorbar) / 2))
    raise InvalidParameterError(param_message(
        "errorbar", func, "'se' or a confidence level in the range (0, 1)", errorbar,
        "Use errorbar=0.9 for 90% intervals."))


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
        from oot.degradation import DegradationCurve

        if not isinstance(curve, DegradationCurve):
            raise InvalidParameterError(param_message(
                "curve", "DegradationDisplay.from_curve", "a DegradationCurve",
                type(curve).__name__))
        if evaluation is not None and not isinstance(evaluation, OOTEvaluation):
            raise InvalidParameterError(param_message(
                "evaluation", "DegradationDisplay.from_curve", "an OOTEvaluation or None",
                type(evaluation).__name__))
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
            m = self.evaluation.metric
            name = m.display_name or m.name
        elif self.curve is not None:
            name = self.curve.metric or "score"
        else:
            name = "score"
        way = "higher" if self._greater_is_better else "lower"
        return f"{name} ({way} is better)"

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
            check_option(unit, "unit", func, list(_UNITS))
        if ax is None:
            ax = _new_axes(figsize)
        self.ax_ = ax
        self.figure_: Figure = ax.figure  # type: ignore[assignment]
        rec = self.recommendation
        kind = self._time_kind
        level = rec.confidence_level if rec is not None else 0.9

        # ---- age range and unit
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
        if kind == "datetime":
            self.unit_, per = (unit, _UNITS[unit]) if unit else age_unit(max_age)
        else:
            self.unit_, per = "", 1.0

        # ---- window scores, coloured by anchor
        self.errorbars_: list[Any] = []
        self.colorbar_: Any = None
        handles: list[Any] = []
        if self.evaluation is not None:
            handles.extend(self._plot_points(ax, z, cmap, per))

        # ---- curve and band
        self.curve_line_: Any = None
        self.band_: Any = None
        self.baseline_line_: Any = None
        self.threshold_line_: Any = None
        self.interval_line_: Any = None
        self.interval_span_: Any = None
        curve = self.curve
        if curve is not None:
            top = float(curve.age_max)
            ext = None if rec is None else rec.extrapolated_interval
            grid = np.linspace(0.0, top, 300)
            y = np.asarray(curve.predict(grid), dtype=float)
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
                        label=f"{100 * level:.0f}% {what}", zorder=3)
                    handles.append(self.band_)
            base = float(rec.baseline if rec is not None else curve.baseline)
            self.baseline_line_ = ax.axhline(
                base, color=_BASELINE_COLOR, lw=1.3, ls="--", zorder=2,
                label=f"baseline {_fmt(base)}")
            handles.append(self.baseline_line_)

        # ---- threshold, interval and its CI
        if rec is not None:
            handles.extend(self._plot_recommendation(ax, rec, per, max_age))

        # ---- axes, labels, title, legend
        if kind == "datetime":
            ax.set_xlabel(f"model age ({self.unit_} since the end of the training data)")
        else:
            ax.set_xlabel("model age (time units since the end of the training data)")
        ax.set_ylabel(self._metric_label())
        ax.set_xlim(left=0.0)
        ax.grid(True, color="#e6e6e6", lw=0.8, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.title_ = self._title(title)
        if self.title_:
            ax.set_title(self._wrap(self.title_, ax), fontsize=11, loc="left")
        self.legend_: Any = None
        if legend and handles:
            ncol = 3 if len(handles) > 4 else min(len(handles), 4)
            self.legend_ = ax.legend(
                handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13),
                ncol=ncol, frameon=False, fontsize=9)
        return self

    def _plot_points(self, ax: Axes, z: float | None, cmap: Any, per: float) -> list[Any]:
        ev = self.evaluation
        assert ev is not None
        u = ev.usable
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
            cut = _label_stamp(cutoffs.get(a))
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
            self.colorbar_.set_ticklabels([_label_stamp(cutoffs.get(anchors[t]))
                                           for t in ticks])
            self.colorbar_.ax.tick_params(labelsize=8)
            self.colorbar_.set_label("anchor (training cutoff)", fontsize=9)
            handles.insert(0, Line2D([], [], marker="o", ls="", color=colors[n // 2],
                                     label=f"window score {bar}, {n} anchors"))
        elif z is not None:
            handles.insert(0, _note_handle(f"error bars: {bar}"))
        return handles

    def _plot_recommendation(self, ax: Axes, rec: RetrainRecommendation, per: float,
                             max_age: float) -> list[Any]:
        handles: list[Any] = []
        thr = float(rec.threshold)
        if rec.tolerance_type == "relative":
            sign = "-" if rec.metric.greater_is_better else "+"
            tol = f"{sign}{100 * rec.tolerance:.4g}%"
        else:
            sign = "-" if rec.metric.greater_is_better else "+"
            tol = f"{sign}{_fmt(rec.tolerance)}"
        self.threshold_line_ = ax.axhline(thr, color=_THRESHOLD_COLOR, lw=1.4, ls="--",
                                          zorder=2, label=f"threshold {_fmt(thr)} ({tol})")
        handles.append(self.threshold_line_)
        kind = rec.time_kind
        lo, hi = rec.interval_ci
        pct = f"{100 * rec.confidence_level:.0f}%"
        right = max(max_age, self._to_days(rec.max_age) if rec.max_age is not None else 0)
        if rec.status != "no_degradation" and (lo is not None or hi is not None):
            x0 = 0.0 if lo is None else self._to_days(lo)
            x1 = right if hi is None else self._to_days(hi)
            lo_t = "0" if lo is None else format_age(lo, kind)
            hi_t = "beyond the data" if hi is None else format_age(hi, kind)
            self.interval_span_ = ax.axvspan(
                x0 / per, x1 / per, color=_THRESHOLD_COLOR, alpha=0.10, lw=0, zorder=1,
                label=f"{pct} CI of the interval ({lo_t} to {hi_t})")
            if hi is None:
                self.interval_span_.set_hatch("//")
                self.interval_span_.set_edgecolor((0.75, 0.22, 0.17, 0.35))
            handles.append(self.interval_span_)
        if rec.interval is not None:
            x = self._to_days(rec.interval) / per
            if rec.status == "crossed":
                label = f"retrain every {format_age(rec.interval, kind)}"
                ls = "-"
            else:
                label = f"not reached by {format_age(rec.interval, kind)} (oldest age)"
                ls = ":"
            self.interval_line_ = ax.axvline(x, color=_THRESHOLD_COLOR, lw=2.0, ls=ls,
                                             zorder=6, label=label)
            handles.append(self.interval_line_)
            # Name the age on the line itself, just inside the top of the Axes.
            ax.annotate(format_age(rec.interval, kind), xy=(x, 1.0),
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
            return (f"Degradation curve ({self.curve.family}) fitted to "
                    f"{self.curve.n_windows} windows of {self.curve.n_anchors} anchor(s).")
        return ""

    @staticmethod
    def _wrap(text: str, ax: Axes) -> str:
        try:
            fig: Any = ax.figure
            width_in = float(ax.get_position().width * fig.get_size_inches()[0])
        except (AttributeError, TypeError):  # pragma: no cover - exotic Axes
            width_in = 8.0
        chars = max(40, int(width_in * 72 / (11 * 0.52)))
        return "\n".join(textwrap.wrap(text, chars))


def _note_handle(label: str) -> Any:
    """An invisible legend entry carrying only a note."""
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="", marker="", label=label)


class AgingHeatmapDisplay:
    """Scores by anchor (rows) and calendar window (columns): aging versus hard seasons.

    Reading along a row shows one frozen model aging; reading down a column shows every
    model on the same calendar window. A column that is bad for every anchor is a hard
    period (a season, a shock), not aging; a band that darkens along each row, whatever
    the calendar, is aging.

    Parameters
    ----------
    values : ndarray of shape (n_anchors, n_windows)
        The coloured values (NaN where an anchor has no usable score for a window).
    anchors : list of int
        Anchor numbers, one per row.
    cutoffs : list
        Each anchor's training cutoff (row labels).
    window_edges : ndarray of shape (n_windows + 1,)
        Column edges: the windows' starts and the last window's end (datetime64 or
        numbers); or window numbers when the evaluation carries no window times.
    value : {"score", "relative_drop"}
        What ``values`` hold.
    metric_name : str
    greater_is_better : bool

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    mesh_ : matplotlib QuadMesh
        The heatmap; ``mesh_.get_array()`` has shape (n_anchors, n_windows).
    colorbar_ : matplotlib Colorbar

    See Also
    --------
    DegradationDisplay : Scores by model age, with the fitted curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> from oot.datasets import make_degradation_scores
    >>> from oot.plotting import AgingHeatmapDisplay
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> disp = AgingHeatmapDisplay.from_evaluation(ev, ax=Figure().add_subplot())
    >>> disp.values.shape[0] == ev.n_anchors
    True
    """

    def __init__(
        self,
        values: np.ndarray[Any, Any],
        anchors: list[int],
        cutoffs: list[Any],
        window_edges: np.ndarray[Any, Any],
        *,
        value: str = "score",
        metric_name: str = "score",
        greater_is_better: bool = True,
    ) -> None:
        self.values = values
        self.anchors = anchors
        self.cutoffs = cutoffs
        self.window_edges = window_edges
        self.value = value
        self.metric_name = metric_name
        self.greater_is_better = greater_is_better

    @classmethod
    def from_evaluation(
        cls,
        evaluation: OOTEvaluation,
        *,
        ax: Axes | None = None,
        value: str = "score",
        **kwargs: Any,
    ) -> AgingHeatmapDisplay:
        """Build the anchor x calendar-window table from an evaluation and plot it.

        Parameters
        ----------
        evaluation : OOTEvaluation
        ax : matplotlib Axes, default=None
        value : {"score", "relative_drop"}, default="score"
            Colour by the score, or by the relative degradation from the anchor's first
            usable window (positive = worse, whatever the metric's direction).
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        AgingHeatmapDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from matplotlib.figure import Figure
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.plotting import AgingHeatmapDisplay
        >>> ev = make_degradation_scores(random_state=0).to_evaluation()
        >>> disp = AgingHeatmapDisplay.from_evaluation(
        ...     ev, value="relative_drop", ax=Figure().add_subplot())
        >>> float(disp.values[0, 0]) if disp.values[0, 0] == disp.values[0, 0] else 0.0
        0.0
        """
        func = "AgingHeatmapDisplay.from_evaluation"
        if not isinstance(evaluation, OOTEvaluation):
            raise InvalidParameterError(param_message(
                "evaluation", func, "an OOTEvaluation", type(evaluation).__name__))
        check_option(value, "value", func, ["score", "relative_drop"])
        s = evaluation.scores
        anchors = sorted(int(a) for a in s["anchor"].unique())
        cut = s.groupby("anchor")["cutoff"].first()
        cutoffs = [cut.get(a) for a in anchors]
        has_time = bool(s["window_start"].notna().all()) and len(s) > 0
        if has_time:
            key = s["window_start"]
            if evaluation.time_kind == "datetime":
                key = pd.to_datetime(key)
            cols = pd.Index(sorted(key.unique()))
            ends = s.groupby(key)["window_end"].max().reindex(cols)
            if evaluation.time_kind == "datetime":
                ends = pd.to_datetime(ends)
            starts_arr = _edge_values(pd.Series(cols))
            last_end = _edge_values(pd.Series([ends.iloc[-1]]))
            edges = np.concatenate([starts_arr, last_end])
        else:
            key = s["window"]
            cols = pd.Index(sorted(key.unique()))
            edges = np.arange(len(cols) + 1, dtype=float) + 0.5
        score = np.where((s["status"] == "ok").to_numpy(), s["score"].to_numpy(float),
                         np.nan)
        frame = pd.DataFrame({"anchor": s["anchor"].to_numpy(), "col": key.to_numpy(),
                              "v": score})
        table = frame.pivot_table(index="anchor", columns="col", values="v",
                                  aggfunc="mean", dropna=False)
        table = table.reindex(index=anchors, columns=cols)
        values = table.to_numpy(dtype=float)
        gib = evaluation.greater_is_better
        if value == "relative_drop":
            out = np.full_like(values, np.nan)
            for i in range(values.shape[0]):
                row = values[i]
                fin = np.flatnonzero(np.isfinite(row))
                if len(fin) == 0:
                    continue
                first = row[fin[0]]
                if first == 0:
                    continue
                change = (row - first) / abs(first)
                out[i] = -change if gib else change
            values = out
        m = evaluation.metric
        disp = cls(values, anchors, cutoffs, edges, value=value,
                   metric_name=m.display_name or m.name, greater_is_better=gib)
        return disp.plot(ax=ax, **kwargs)

    def plot(
        self,
        ax: Axes | None = None,
        *,
        cmap: Any = None,
        colorbar: bool = True,
        title: bool | str = True,
        figsize: tuple[float, float] = (10.0, 5.0),
    ) -> AgingHeatmapDisplay:
        """Draw the heatmap.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.
        cmap : str or Colormap, default=None
            None: "viridis" for scores, oriented so that darker is worse; "RdBu_r"
            centred on 0 for relative drops (red worse, blue better than the first
            window).
        colorbar : bool, default=True
        title : bool or str, default=True
        figsize : tuple of float, default=(10.0, 5.0)
            Size of the new figure when ``ax`` is None.

        Returns
        -------
        AgingHeatmapDisplay
        """
        from matplotlib.colors import TwoSlopeNorm

        if ax is None:
            ax = _new_axes(figsize)
        self.ax_ = ax
        self.figure_: Figure = ax.figure  # type: ignore[assignment]
        vals = np.ma.masked_invalid(self.values)
        n_rows = len(self.anchors)
        y_edges = np.arange(n_rows + 1, dtype=float) + 0.5
        norm: Any = None
        if self.value == "relative_drop":
            cm = cmap or "RdBu_r"
            fin = self.values[np.isfinite(self.values)]
            hi = float(np.nanpercentile(fin, 98)) if fin.size else 1.0
            lo = float(np.nanpercentile(fin, 2)) if fin.size else -1.0
            hi = hi if hi > 0 else 1e-3
            lo = lo if lo < 0 else -1e-3
            # Each side gets its own range: a loss can rise by 400% but fall by 100% at
            # most, and a symmetric scale would wash the improving side out.
            norm = TwoSlopeNorm(vcenter=0.0, vmin=lo, vmax=hi)
            label = f"{self.metric_name}: change from first window (red = worse)"
        else:
            cm = cmap or ("viridis" if self.greater_is_better else "viridis_r")
            way = "higher" if self.greater_is_better else "lower"
            label = f"{self.metric_name} ({way} is better; darker = worse)"
        self.mesh_ = ax.pcolormesh(self.window_edges, y_edges, vals, cmap=cm, norm=norm,
                                   shading="flat")
        self.colorbar_: Any = None
        if colorbar:
            self.colorbar_ = ax.figure.colorbar(self.mesh_, ax=ax, pad=0.015, aspect=25)
            self.colorbar_.set_label(label, fontsize=9)
            if self.value == "relative_drop":
                from matplotlib.ticker import PercentFormatter

                self.colorbar_.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylim(n_rows + 0.5, 0.5)
        step = max(1, int(np.ceil(n_rows / 16)))
        ticks = list(range(1, n_rows + 1, step))
        ax.set_yticks(ticks)
        ax.set_yticklabels([_label_stamp(self.cutoffs[t - 1]) for t in ticks], fontsize=8)
        ax.set_ylabel("anchor (training cutoff)")
        is_dates = np.asarray(self.window_edges).dtype.kind == "M"
        by_number = not is_dates and np.allclose(np.diff(self.window_edges), 1.0)
        ax.set_xlabel("window" if by_number else "calendar window (start)")
        if is_dates:
            import matplotlib.dates as mdates

            loc = mdates.AutoDateLocator(minticks=4, maxticks=12)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(loc)
            ax.xaxis.set_major_formatter(
                mdates.ConciseDateFormatter(loc))  # type: ignore[no-untyped-call]
        if isinstance(title, str):
            self.title_ = title
        elif title:
            what = ("relative degradation" if self.value == "relative_drop"
                    else self.metric_name)
            self.title_ = (f"{what} by anchor and calendar window: a column bad for every "
                           "anchor is a hard period, a row darkening with age is aging")
        else:
            self.title_ = ""
        if self.title_:
            ax.set_title(DegradationDisplay._wrap(self.title_, ax), fontsize=11, loc="left")
        return self


def _edge_values(s: pd.Series) -> np.ndarray[Any, Any]:
    """Window starts/ends as plain arrays pcolormesh accepts (tz-aware -> naive UTC)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        dt = pd.to_datetime(s)
        if getattr(dt.dt, "tz", None) is not None:
            dt = dt.dt.tz_convert("UTC").dt.tz_localize(None)
        return dt.to_numpy(dtype="datetime64[ns]")
    return s.to_numpy(dtype=float)

