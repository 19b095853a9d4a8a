"""The comparison of candidates: :class:`ComparisonDisplay`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import oot._format as fmt
from oot._time import age_to_float
from oot._validation import InvalidParameterError, check_option, param_message
from oot.compare import CandidateComparison, CandidatePair
from oot.plotting._common import (
    _BASELINE_COLOR,
    _CURVE_COLOR,
    _THRESHOLD_COLOR,
    _new_axes,
    _wrap_title,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ComparisonDisplay"]

#: Qualitative colours for candidates (Okabe-Ito, readable for colour-blind readers).
_CANDIDATE_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                     "#F0E442", "#000000")
KINDS = ("curves", "difference")


class ComparisonDisplay:
    """Candidates side by side: their curves by model age, or one pair's difference.

    ``kind="curves"``: every candidate's fitted mean curve on one axes, with its
    bootstrap band and, faintly, its window scores; a marker on each curve at its
    recommended interval. ``kind="difference"``: one pair's paired per-window
    differences (the leader's lead, with ± one paired SE), the fitted difference curve
    with its bootstrap band, the margin, and the age where the lead falls to it with
    its confidence interval shaded; the pair's sentence is the title.

    Build it with :meth:`from_comparison` (or :meth:`oot.CandidateComparison.plot`).

    Parameters
    ----------
    comparison : CandidateComparison
    kind : {"curves", "difference"}, default="curves"
    pair : CandidatePair or None, default=None
        The pair drawn by ``kind="difference"`` (default: the verdict's first pair).

    Attributes
    ----------
    ax_, figure_
        The Axes and its figure.
    lines_ : dict of str to Line2D
        ``kind="curves"``: each candidate's fitted curve.
    bands_ : dict of str to PolyCollection
        ``kind="curves"``: each candidate's band.
    points_ : dict of str to PathCollection
        ``kind="curves"``: each candidate's window scores.
    markers_ : dict of str to Line2D
        ``kind="curves"``: each candidate's interval marker (crossed candidates).
    curve_line_, band_, errorbar_, margin_line_, crossing_line_, crossing_span_
        ``kind="difference"``: the artists drawn (None when not drawn).
    unit_ : str
        The unit of the age axis.
    title_ : str

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.linear_model import LinearRegression
    >>> import oot
    >>> from oot.plotting import ComparisonDisplay
    >>> ds = oot.datasets.make_heuristic_comparison(3000, task="regression",
    ...                                             random_state=2)
    >>> cmp = oot.compare_candidates(
    ...     ds.frame, {"model": LinearRegression(), "mean": DummyRegressor()},
    ...     target=ds.target, time=ds.time, metric="mse", eval_window="90D",
    ...     anchors=3, anchor_step="90D", n_bootstrap=50, random_state=0)
    >>> disp = ComparisonDisplay.from_comparison(cmp, ax=Figure().add_subplot())
    >>> sorted(disp.lines_)
    ['mean', 'model']
    >>> disp = ComparisonDisplay.from_comparison(cmp, kind="difference",
    ...                                          ax=Figure().add_subplot())
    >>> disp.title_ == str(cmp.pair("model", "mean"))
    True
    """

    def __init__(self, comparison: CandidateComparison, kind: str = "curves",
                 pair: CandidatePair | None = None) -> None:
        self.comparison = comparison
        self.kind = kind
        self.pair = pair

    @classmethod
    def from_comparison(cls, comparison: CandidateComparison, *, kind: str = "curves",
                        pair: tuple[str, str] | None = None, ax: Axes | None = None,
                        **kwargs: Any) -> ComparisonDisplay:
        """Plot a comparison.

        Parameters
        ----------
        comparison : CandidateComparison
            From :func:`oot.compare_candidates`.
        kind : {"curves", "difference"}, default="curves"
        pair : (str, str) or None, default=None
            For ``kind="difference"``: the two candidates (default: the verdict's first
            pair, the benchmark or the leader against the next candidate).
        ax : matplotlib Axes, default=None
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        ComparisonDisplay
        """
        func = "ComparisonDisplay.from_comparison"
        if not isinstance(comparison, CandidateComparison):
            raise InvalidParameterError(param_message(
                "comparison", func, "a CandidateComparison", type(comparison).__name__))
        check_option(kind, "kind", func, list(KINDS))
        chosen = None
        if kind == "difference":
            if pair is None:
                chosen = (comparison.verdict_pairs() or list(comparison.pairs))[0]
            else:
                if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                    raise InvalidParameterError(param_message(
                        "pair", func, "two candidate names, e.g. ('model', 'heuristic')",
                        pair))
                chosen = comparison.pair(*pair)
        return cls(comparison, kind, chosen).plot(ax=ax, **kwargs)

    # ---------------------------------------------------------------- plotting
    def plot(self, ax: Axes | None = None, *, band: bool = True, points: bool = True,
             title: bool | str = True, unit: str | None = None, legend: bool = True,
             figsize: tuple[float, float] = (10.0, 6.2)) -> ComparisonDisplay:
        """Draw the plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure of size ``figsize`` when None.
        band : bool, default=True
            Shade the bootstrap bands.
        points : bool, default=True
            Draw the window scores (curves) or differences (difference).
        title : bool or str, default=True
            True: a description (curves) or the pair's sentence (difference).
        unit : {"days", "weeks", "months", "years"}, default=None
            Unit of the age axis for datetime time; chosen from the span when None.
        legend : bool, default=True
        figsize : tuple of float, default=(10.0, 6.2)

        Returns
        -------
        ComparisonDisplay
        """
        func = "ComparisonDisplay.plot"
        if unit is not None:
            check_option(unit, "unit", func, list(fmt.AGE_UNITS))
        if ax is None:
            ax = _new_axes(figsize)
        self.ax_ = ax
        self.figure_: Figure = ax.figure  # type: ignore[assignment]
        cmp = self.comparison
        top = max(float(r.curve.age_max) for r in cmp.recommendations.values())
        if cmp.time_kind == "datetime":
            self.unit_, per = (unit, fmt.AGE_UNITS[unit]) if unit else fmt.age_unit(top)
        else:
            self.unit_, per = "", 1.0
        if self.kind == "curves":
            handles = self._curves(ax, per, band=band, points=points)
            ylabel = fmt.metric_label(fmt.metric_name(cmp.metric),
                                      bool(cmp.metric.greater_is_better))
        else:
            assert self.pair is not None
            handles = self._difference(ax, self.pair, per, band=band, points=points)
            ylabel = (f"{self.pair.leader or self.pair.a} minus "
                      f"{self.pair.other or self.pair.b}: "
                      f"{fmt.metric_name(cmp.metric)} lead (higher: ahead)")
        self._finish(ax, handles, ylabel, title=title, legend=legend)
        return self

    def _days(self, age: Any) -> float:
        return float(age_to_float(age, self.comparison.time_kind))

    def _curves(self, ax: Axes, per: float, *, band: bool, points: bool) -> list[Any]:
        cmp = self.comparison
        self.lines_: dict[str, Any] = {}
        self.bands_: dict[str, Any] = {}
        self.points_: dict[str, Any] = {}
        self.markers_: dict[str, Any] = {}
        handles: list[Any] = []
        for i, name in enumerate(cmp.candidates):
            rec = cmp.recommendations[name]
            color = _CANDIDATE_COLORS[i % len(_CANDIDATE_COLORS)]
            if points:
                u = rec.evaluation.usable
                x = np.asarray(age_to_float(u["age"], cmp.time_kind), dtype=float) / per
                self.points_[name] = ax.scatter(x, u["score"].to_numpy(float), s=9,
                                                color=color, alpha=0.25, lw=0, zorder=2)
            grid = np.linspace(0.0, float(rec.curve.age_max), 300)
            label = (f"{name}: baseline {fmt.number(rec.baseline)}, "
                     f"{fmt.cadence_clause(rec)}")
            (line,) = ax.plot(grid / per, np.asarray(rec.curve.predict(grid), dtype=float),
                              color=color, lw=2.2, zorder=4, label=label)
            self.lines_[name] = line
            handles.append(line)
            if band and len(rec.band_age):
                self.bands_[name] = ax.fill_between(
                    np.asarray(rec.band_age) / per, rec.band_low, rec.band_high,
                    color=color, alpha=0.15, lw=0, zorder=3)
            if rec.status == "crossed" and rec.interval is not None:
                xi = self._days(rec.interval)
                (mk,) = ax.plot([xi / per], [float(rec.curve.predict(xi))], marker="v",
                                ms=9, color=color, mec="white", mew=1.0, ls="",
                                zorder=6)
                self.markers_[name] = mk
        if self.markers_:
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], marker="v", ls="", color=_CURVE_COLOR,
                                  label="recommended interval (tolerance reached)"))
        if band and self.bands_:
            from matplotlib.patches import Patch

            level = next(iter(cmp.recommendations.values())).confidence_level
            handles.append(Patch(color=_CURVE_COLOR, alpha=0.15, lw=0,
                                 label=f"{fmt.level(level)} bands (cluster bootstrap)"))
        return handles

    def _difference(self, ax: Axes, p: CandidatePair, per: float, *, band: bool,
                    points: bool) -> list[Any]:
        self.curve_line_: Any = None
        self.band_: Any = None
        self.errorbar_: Any = None
        self.margin_line_: Any = None
        self.crossing_line_: Any = None
        self.crossing_span_: Any = None
        kind = p.time_kind
        handles: list[Any] = []
        if points:
            u = p.differences.usable
            x = np.asarray(age_to_float(u["age"], kind), dtype=float) / per
            se = u["se"].to_numpy(float)
            self.errorbar_ = ax.errorbar(
                x, u["score"].to_numpy(float), yerr=np.where(np.isfinite(se), se, 0.0),
                fmt="o", ms=3.5, color=_BASELINE_COLOR, alpha=0.55, elinewidth=0.7,
                capsize=0, mew=0, zorder=3, label="paired difference per window ± 1 SE")
            handles.append(self.errorbar_)
        grid = np.linspace(0.0, float(p.curve.age_max), 300)
        (self.curve_line_,) = ax.plot(
            grid / per, np.asarray(p.curve.predict(grid), dtype=float), color=_CURVE_COLOR,
            lw=2.2, zorder=5, label=f"fitted lead ({p.curve.family})")
        handles.append(self.curve_line_)
        if band and len(p.band_age):
            self.band_ = ax.fill_between(
                np.asarray(p.band_age) / per, p.band_low, p.band_high, color=_CURVE_COLOR,
                alpha=0.13, lw=0, zorder=4,
                label=f"{fmt.level(p.confidence_level)} band (cluster and anchor bootstrap)")
            handles.append(self.band_)
        ax.axhline(0.0, color=_BASELINE_COLOR, lw=1.0, zorder=2)
        if p.margin > 0:
            self.margin_line_ = ax.axhline(p.margin, color=_THRESHOLD_COLOR, lw=1.4,
                                           ls="--", zorder=2,
                                           label=f"margin {fmt.number(p.margin)}")
            handles.append(self.margin_line_)
        lo, hi = p.crossing_ci
        if p.status != "tied" and (lo is not None or hi is not None):
            x0 = 0.0 if lo is None else self._days(lo)
            x1 = self._days(p.max_age) if hi is None else self._days(hi)
            ci = fmt.ci_range(lo, hi, kind, max_age=p.max_age, like=p.crossing_age)
            self.crossing_span_ = ax.axvspan(
                x0 / per, x1 / per, color=_THRESHOLD_COLOR, alpha=0.10, lw=0, zorder=1,
                label=f"{fmt.level(p.confidence_level)} CI of that age ({ci})")
            if hi is None:
                self.crossing_span_.set_hatch("//")
                self.crossing_span_.set_edgecolor((0.75, 0.22, 0.17, 0.35))
            handles.append(self.crossing_span_)
        if p.crossing_age is not None:
            xc = self._days(p.crossing_age) / per
            self.crossing_line_ = ax.axvline(
                xc, color=_THRESHOLD_COLOR, lw=2.0, zorder=6,
                label=f"{p.leader} stops beating {p.other}")
            handles.append(self.crossing_line_)
            ax.annotate(fmt.age(p.crossing_age, kind), xy=(xc, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(4, -4),
                        textcoords="offset points", ha="left", va="top", fontsize=9,
                        color=_THRESHOLD_COLOR, fontweight="bold", zorder=7,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                              "alpha": 0.85})
        return handles

    def _finish(self, ax: Axes, handles: list[Any], ylabel: str, *, title: bool | str,
                legend: bool) -> None:
        cmp = self.comparison
        if cmp.time_kind == "datetime":
            ax.set_xlabel(f"model age ({self.unit_} since the end of the training data)")
        else:
            ax.set_xlabel("model age (time units since the end of the training data)")
        ax.set_ylabel(ylabel)
        ax.set_xlim(left=0.0)
        ax.grid(True, color="#e6e6e6", lw=0.8, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if isinstance(title, str):
            self.title_ = title
        elif not title:
            self.title_ = ""
        elif self.kind == "curves":
            self.title_ = fmt.comparison_title(cmp, "curves")
        else:
            assert self.pair is not None
            self.title_ = str(self.pair)
        if self.title_:
            ax.set_title(_wrap_title(self.title_, ax), fontsize=11, loc="left")
        self.legend_: Any = None
        if legend and handles:
            ncol = 2 if self.kind == "curves" else 3
            self.legend_ = ax.legend(handles=handles, loc="upper center",
                                     bbox_to_anchor=(0.5, -0.13), ncol=ncol,
                                     frameon=False, fontsize=9)
