"""The leading indicators' plot: :class:`IndicatorDisplay`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import oot._format as fmt
from oot._validation import InvalidParameterError, check_scalar, closest, param_message
from oot.indicators import IndicatorReport
from oot.indicators._rank import _age_days
from oot.plotting._common import _THRESHOLD_COLOR, _anchor_colors

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["IndicatorDisplay"]

_SCORE_COLOR = "#1b1b1b"
_LEVEL_COLOR = "#2b6cb0"


class IndicatorDisplay:
    """Leading indicators and the measured score against the model's age.

    One panel per indicator: the indicator on every window of every anchor against the
    age of the anchor's model (one line per anchor, older anchors lighter; the trigger
    level dashed) and, on a second axis, the measured score on the same windows (the
    median over anchors at each age, the tolerance's threshold dotted). An indicator
    that tracks the loss rises (or falls) as the score falls.

    Build it with :meth:`from_report` (or :meth:`oot.IndicatorReport.plot`).

    Parameters
    ----------
    report : IndicatorReport
    indicators : list of str
        The indicators to draw, one panel each.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One per indicator (the indicator's axis; each has a twin for the score).
    score_axes_ : list of matplotlib Axes
        The twin axes with the score.
    figure_ : matplotlib Figure
    lines_ : dict
        Indicator name -> the list of its per-anchor lines.
    level_lines_ : dict
        Indicator name -> the trigger level's line (absent without a finite level).
    unit_ : str
        The unit of the age axis.

    See Also
    --------
    oot.rank_indicators, DegradationDisplay

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> import oot
    >>> from sklearn.linear_model import LogisticRegression
    >>> from oot.plotting import IndicatorDisplay
    >>> sim = oot.datasets.make_indicator_data(6000, random_state=0)
    >>> ev = oot.evaluate_out_of_time(
    ...     sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
    ...     train_window="90D", eval_window="30D", anchors=6,
    ...     indicators=["psi:x_cause", "psi:x_noise"])
    >>> report = oot.rank_indicators(ev, tolerance=0.05)
    >>> axes = Figure().subplots(1, 2)
    >>> disp = IndicatorDisplay.from_report(report, top=2, ax=axes)
    >>> sorted(disp.lines_) == sorted(["psi:x_cause", "psi:x_noise"])
    True
    """

    def __init__(self, report: IndicatorReport, *, indicators: list[str]) -> None:
        self.report = report
        self.indicators = indicators

    @classmethod
    def from_report(
        cls,
        report: IndicatorReport,
        *,
        indicators: list[str] | None = None,
        top: int = 4,
        ax: Any = None,
        **kwargs: Any,
    ) -> IndicatorDisplay:
        """Plot the top indicators of a report.

        Parameters
        ----------
        report : IndicatorReport
            From :func:`oot.rank_indicators`.
        indicators : list of str, default=None
            The indicators to draw; None: the ``top`` best-ranked.
        top : int, default=4
        ax : matplotlib Axes or array of Axes, default=None
            One Axes per panel; None makes a figure.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        IndicatorDisplay
        """
        func = "IndicatorDisplay.from_report"
        if not isinstance(report, IndicatorReport):
            raise InvalidParameterError(param_message(
                "report", func, "an IndicatorReport", type(report).__name__,
                "Make one with oot.rank_indicators(evaluation)."))
        check_scalar(top, "top", func, kind="int", low=1)
        have = report.indicators
        if indicators is None:
            chosen = have[:int(top)]
        else:
            if isinstance(indicators, str) or not isinstance(indicators, (list, tuple)) \
                    or not indicators:
                raise InvalidParameterError(param_message(
                    "indicators", func, "None or a non-empty list of the report's "
                    "indicators", indicators))
            for name in indicators:
                if name not in have:
                    hint = closest(str(name), have)
                    raise InvalidParameterError(param_message(
                        "indicators", func, "a list of the report's indicators", name,
                        f"Did you mean {hint!r}?" if hint else None))
            chosen = [str(n) for n in indicators]
        if not chosen:
            raise InvalidParameterError(param_message(
                "report", func, "a report with at least one indicator", report,
                "Evaluate with indicators=True."))
        return cls(report, indicators=chosen).plot(ax=ax, **kwargs)

    def plot(self, ax: Any = None, *, title: bool = True,
             figsize: tuple[float, float] | None = None) -> IndicatorDisplay:
        """Draw the panels.

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, default=None
            As many Axes as indicators; None makes a figure with one row of panels
            per two indicators.
        title : bool, default=True
            A title per panel (the indicator and the metric).
        figsize : tuple of float, default=None
            The new figure's size (None: 6.4 x 3.6 inches per panel).

        Returns
        -------
        IndicatorDisplay
            ``self``, with ``axes_``, ``score_axes_``, ``figure_`` and the lines set.
        """
        n = len(self.indicators)
        if ax is None:
            import matplotlib.pyplot as plt

            ncols = 1 if n == 1 else 2
            nrows = -(-n // ncols)
            size = figsize or (6.4 * ncols, 3.6 * nrows)
            _, grid = plt.subplots(nrows, ncols, figsize=size, layout="constrained",
                                   squeeze=False)
            flat = list(grid.ravel())
            for extra in flat[n:]:
                extra.set_visible(False)
            axes = flat[:n]
        else:
            axes = list(np.ravel(np.asarray(ax, dtype=object)))
            if len(axes) < n:
                raise InvalidParameterError(param_message(
                    "ax", "IndicatorDisplay.plot", f"{n} Axes (one per indicator)",
                    f"{len(axes)} Axes", "Pass indicators= or top= to draw fewer panels."))
            axes = axes[:n]
        rep = self.report
        win = rep.windows
        kind = rep.time_kind
        days = _age_days(win["age"], kind)
        max_age = float(np.nanmax(days)) if np.isfinite(days).any() else 1.0
        if kind == "datetime":
            self.unit_, per = fmt.age_unit(max_age)
        else:
            self.unit_, per = "time units", 1.0
        x_all = days / per
        anchors = sorted(int(a) for a in win["anchor"].unique())
        colors = dict(zip(anchors, _anchor_colors(len(anchors), "Blues"), strict=True))
        name = fmt.metric_name(rep.metric)
        table = rep.summary_table.set_index("indicator")
        self.axes_ = np.asarray(axes, dtype=object)
        self.score_axes_: list[Any] = []
        self.lines_: dict[str, list[Any]] = {}
        self.level_lines_: dict[str, Any] = {}
        self.figure_: Figure = axes[0].figure
        for a, ind in zip(axes, self.indicators, strict=True):
            sel = (win["indicator"] == ind).to_numpy()
            g = win.loc[sel]
            x = x_all[sel]
            value = g["value"].to_numpy(dtype=float)
            ok = (g["status"] == "ok").to_numpy()
            lines = []
            for anc in anchors:
                m = (g["anchor"] == anc).to_numpy() & ok & np.isfinite(x)
                if not m.any():
                    continue
                order = np.argsort(x[m], kind="stable")
                (line,) = a.plot(x[m][order], value[m][order], color=colors[anc],
                                 lw=1.2, marker="o", ms=2.5, zorder=3)
                lines.append(line)
            self.lines_[ind] = lines
            lvl = float(table["trigger_level"].loc[ind]) if ind in table.index else np.nan
            if np.isfinite(lvl):
                self.level_lines_[ind] = a.axhline(lvl, color=_LEVEL_COLOR, lw=1.2,
                                                   ls="--", zorder=2)
            a.set_ylabel(fmt.indicator_label(ind, name), fontsize=9)
            a.set_xlabel(f"model age ({self.unit_})")
            a.grid(True, color="#e6e6e6", lw=0.8, zorder=0)
            a.set_axisbelow(True)
            # the score: the median over anchors at each age (window number)
            twin = a.twinx()
            s_ok = g["score_ok"].to_numpy(dtype=bool) & np.isfinite(x)
            if s_ok.any():
                w = g["window"].to_numpy()[s_ok]
                xs, sc = x[s_ok], g["score"].to_numpy(dtype=float)[s_ok]
                uw = np.unique(w)
                mx = np.array([np.median(xs[w == k]) for k in uw])
                ms = np.array([np.median(sc[w == k]) for k in uw])
                twin.plot(mx, ms, color=_SCORE_COLOR, lw=1.8, zorder=4)
            twin.axhline(rep.threshold, color=_THRESHOLD_COLOR, lw=1.1, ls=":", zorder=2)
            twin.set_ylabel(name, fontsize=9)
            self.score_axes_.append(twin)
            if title:
                tracks = bool(table["tracks"].loc[ind]) if ind in table.index else False
                rho = float(table["correlation"].loc[ind]) if ind in table.index else np.nan
                a.set_title(f"{fmt.indicator_title(ind, name)} (rank correlation "
                            f"{fmt.number(rho)}{'' if tracks else ', does not track'})",
                            fontsize=10, loc="left")
        return self
