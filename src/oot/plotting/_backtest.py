"""The policy backtest's plots: :class:`BacktestDisplay`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import oot._format as fmt
from oot._validation import InvalidParameterError, check_option, param_message
from oot.backtest import CadenceBacktest
from oot.plotting._common import (
    _BASELINE_COLOR,
    _THRESHOLD_COLOR,
    _new_axes,
    _plain_text,
    _wrap_title,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["BacktestDisplay"]

_KINDS = ("realized", "tradeoff")
_FRESH_COLOR = "#1f77b4"
_NEVER_COLOR = "#8c8c8c"
_CADENCE_COLORS = ("#e67e22", "#8e44ad", "#16a085", "#c0392b", "#2c3e50")
_BEST_COLOR = "#1e8449"
_REC_COLOR = "#2b6cb0"
_ORACLE_COLOR = "#6c3483"


class BacktestDisplay:
    """What retraining cadences would have delivered on history.

    Two charts of a :class:`~oot.CadenceBacktest`:

    - ``kind="realized"``: the realized score over calendar time for a few cadences, as
      step lines (each period at the score of the model then in service, a marker where
      a newly retrained model goes into service), with the baseline and the threshold.
      Retraining every step is the fresh model; never retraining is the first model
      aging.
    - ``kind="tradeoff"``: per cadence, the cost rate (with costs) or the share of
      periods within tolerance (without), with the spread over phases as a bar; the best
      schedule in hindsight (the oracle) as a line, the best fixed cadence and the
      recommendation marked.

    Build it with :meth:`from_backtest` (or :meth:`oot.CadenceBacktest.plot`).

    Parameters
    ----------
    backtest : CadenceBacktest
    kind : {"realized", "tradeoff"}, default="tradeoff"
    cadences : list of int or None, default=None
        For ``kind="realized"``: the cadences to draw, in anchor steps (0 for never
        retraining); None picks every step, the recommended and the best cadence, and
        never retraining.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    lines_ : dict
        ``kind="realized"``: cadence name -> its step line. ``kind="tradeoff"``:
        ``"cadences"`` -> the line through the cadences.
    oracle_line_, best_marker_, recommended_marker_ : matplotlib artists or None
        (``kind="tradeoff"``)
    threshold_line_ : matplotlib artist
        (``kind="realized"``) The threshold: a horizontal line, or with
        ``reference="fresh"`` a step line following the fresh model's score.

    See Also
    --------
    oot.backtest_cadences, DegradationDisplay

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> import oot
    >>> from oot.plotting import BacktestDisplay
    >>> ev = oot.datasets.make_degradation_scores(n_anchors=13, random_state=0)
    >>> bt = oot.backtest_cadences(ev.to_evaluation(), retrain_cost=1.0, shortfall_cost=1.0)
    >>> disp = BacktestDisplay.from_backtest(bt, ax=Figure().add_subplot())
    >>> disp.oracle_line_ is not None
    True
    >>> disp = BacktestDisplay.from_backtest(bt, kind="realized",
    ...                                      ax=Figure().add_subplot())
    >>> sorted(disp.lines_)
    ['30 days', '90 days', 'never']
    """

    def __init__(self, backtest: CadenceBacktest, *, kind: str = "tradeoff",
                 cadences: list[int] | None = None) -> None:
        self.backtest = backtest
        self.kind = kind
        self.cadences = cadences

    @classmethod
    def from_backtest(
        cls,
        backtest: CadenceBacktest,
        *,
        kind: str = "tradeoff",
        cadences: list[int] | None = None,
        ax: Axes | None = None,
        **kwargs: Any,
    ) -> BacktestDisplay:
        """Plot a backtest.

        Parameters
        ----------
        backtest : CadenceBacktest
            From :func:`oot.backtest_cadences` or
            :meth:`oot.RetrainRecommendation.backtest`.
        kind : {"realized", "tradeoff"}, default="tradeoff"
        cadences : list of int or None, default=None
            ``kind="realized"``: cadences to draw, in anchor steps (0: never).
        ax : matplotlib Axes, default=None
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        BacktestDisplay
        """
        func = "BacktestDisplay.from_backtest"
        if not isinstance(backtest, CadenceBacktest):
            raise InvalidParameterError(param_message(
                "backtest", func, "a CadenceBacktest", type(backtest).__name__,
                "Make one with oot.backtest_cadences or rec.backtest()."))
        check_option(kind, "kind", func, list(_KINDS))
        if cadences is not None:
            have = backtest.summary_table["steps"].tolist()
            bad = [c for c in cadences if c not in have]
            if bad or not cadences:
                raise InvalidParameterError(param_message(
                    "cadences", func, f"a non-empty list of backtested cadences in steps "
                    f"(0 for never): {have}", cadences))
        return cls(backtest, kind=kind, cadences=cadences).plot(ax=ax, **kwargs)

    # ------------------------------------------------------------------ helpers
    def _picked(self) -> list[int]:
        if self.cadences is not None:
            return list(self.cadences)
        t = self.backtest.summary_table
        picks = [1]
        for flag in ("recommended", "best"):
            hit = t.loc[t[flag], "steps"].tolist()
            if hit and hit[0] not in picks and hit[0] != 0:
                picks.append(int(hit[0]))
        if len(picks) < 2:  # something between every step and never
            fixed = sorted(int(k) for k in t["steps"] if k > 1 and k not in picks)
            if fixed:
                picks.append(fixed[len(fixed) // 2])
        picks.append(0)
        return picks

    def _label(self, steps: int) -> str:
        """'every 3 months' or 'never retrain' (legend entries)."""
        bt = self.backtest
        t = bt.summary_table
        name = str(t.loc[t["steps"] == steps, "cadence"].iloc[0])
        return "never retrain" if steps == 0 else fmt.every(name, bt.time_kind)

    def _default_title(self) -> str:
        return fmt.backtest_title(self.backtest, self.kind)

    def _metric_label(self) -> str:
        m = self.backtest.metric
        return fmt.metric_label(fmt.metric_name(m), bool(m.greater_is_better))

    # ------------------------------------------------------------------ plot
    def plot(
        self,
        ax: Axes | None = None,
        *,
        title: bool | str = True,
        legend: bool = True,
        figsize: tuple[float, float] = (10.0, 5.6),
    ) -> BacktestDisplay:
        """Draw the chart.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure of size ``figsize`` is made when None.
        title : bool or str, default=True
            True: the backtest's sentence (wrapped); a string: that title; False: none.
        legend : bool, default=True
        figsize : tuple of float, default=(10.0, 5.6)

        Returns
        -------
        BacktestDisplay
            ``self``, with ``ax_``, ``figure_`` and the artists set.
        """
        if ax is None:
            ax = _new_axes(figsize)
        self.ax_ = ax
        self.figure_: Figure = ax.figure  # type: ignore[assignment]
        self.lines_: dict[str, Any] = {}
        self.oracle_line_: Any = None
        self.best_marker_: Any = None
        self.recommended_marker_: Any = None
        self.threshold_line_: Any = None
        handles = (self._plot_realized(ax) if self.kind == "realized"
                   else self._plot_tradeoff(ax))
        ax.grid(True, color="#e6e6e6", lw=0.8, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if isinstance(title, str):
            self.title_ = title
        elif title:
            self.title_ = self._default_title()
        else:
            self.title_ = ""
        if self.title_:
            ax.set_title(_wrap_title(self.title_, ax), fontsize=11, loc="left")
        self.legend_: Any = None
        if legend and handles:
            self.legend_ = ax.legend(handles=handles, loc="upper center",
                                     bbox_to_anchor=(0.5, -0.16), ncol=min(len(handles), 2),
                                     frameon=False, fontsize=9)
        _plain_text(self)
        return self

    def _plot_realized(self, ax: Axes) -> list[Any]:
        bt = self.backtest
        r = bt.realized
        periods = bt.periods
        judged = periods.loc[periods["judged"]]
        starts = judged["period"].to_numpy()
        ends = judged["end"].to_numpy()
        handles: list[Any] = []
        picks = self._picked()
        others = iter(_CADENCE_COLORS)
        for k in picks:
            g = r[(r["steps"] == k) & (r["phase"] == 0)]
            y = g["score"].to_numpy(float)
            x = np.append(starts, ends[-1])
            yy = np.append(y, y[-1])
            if k == 1:
                color, lw, z = _FRESH_COLOR, 1.6, 5
            elif k == 0:
                color, lw, z = _NEVER_COLOR, 1.6, 4
            else:
                color, lw, z = next(others), 2.0, 6
            label = self._label(k) + (" (the fresh model)" if k == 1 else "")
            if k > 1:
                flags = bt.summary_table.loc[bt.summary_table["steps"] == k]
                if bool(flags["recommended"].iloc[0]):
                    label += ", recommended"
                if bool(flags["best"].iloc[0]):
                    label += ", best fixed"
            (line,) = ax.step(x, yy, where="post", color=color, lw=lw, zorder=z,
                              label=label)
            self.lines_[str(g["cadence"].iloc[0])] = line
            handles.append(line)
            if k > 1:
                new = g["retrained"].to_numpy(bool).copy()
                new[0] = False
                ax.plot(starts[new], y[new], ls="", marker="v", ms=6, color=color,
                        zorder=z + 1)
        if picks and any(k > 1 for k in picks):
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], ls="", marker="v", ms=6, color="#444444",
                                  label="a retrained model goes into service"))
        if bt.reference == "fresh":
            # within tolerance of the fresh model: the threshold moves with its score
            fresh = judged["fresh_score"].to_numpy(float)
            gib = bool(bt.metric.greater_is_better)
            delta = (bt.tolerance * np.abs(fresh) if bt.tolerance_type == "relative"
                     else np.full(fresh.shape, bt.tolerance))
            limit = fresh - delta if gib else fresh + delta
            (self.threshold_line_,) = ax.step(
                np.append(starts, ends[-1]), np.append(limit, limit[-1]), where="post",
                color=_THRESHOLD_COLOR, lw=1.1, ls="--", zorder=3,
                label=f"threshold: the fresh model "
                f"{fmt.tolerance_signed(bt.tolerance, bt.tolerance_type, gib)}")
            handles.append(self.threshold_line_)
        else:
            base = ax.axhline(bt.baseline, color=_BASELINE_COLOR, lw=1.2, ls="--",
                              zorder=2, label=f"baseline {fmt.number(bt.baseline)}")
            self.threshold_line_ = ax.axhline(
                bt.threshold, color=_THRESHOLD_COLOR, lw=1.4, ls="--", zorder=2,
                label=f"threshold {fmt.number(bt.threshold)}")
            handles.extend([base, self.threshold_line_])
        ax.set_ylabel(self._metric_label())
        note = any(int(bt.summary_table.loc[bt.summary_table["steps"] == k,
                                            "n_phases"].iloc[0]) > 1 for k in picks)
        what = ("each period at the score of the model then in service"
                + ("; phase 0 of each cadence" if note else ""))
        if bt.time_kind == "datetime":
            import matplotlib.dates as mdates

            loc = mdates.AutoDateLocator(minticks=4, maxticks=12)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(loc)
            ax.xaxis.set_major_formatter(
                mdates.ConciseDateFormatter(loc))  # type: ignore[no-untyped-call]
            ax.set_xlabel(f"calendar time ({what})")
        else:
            ax.set_xlabel(f"time ({what})")
        return handles

    def _plot_tradeoff(self, ax: Axes) -> list[Any]:
        bt = self.backtest
        t = bt.summary_table
        fixed = t.loc[t["steps"] > 0].sort_values("steps")
        never = t.loc[t["steps"] == 0]
        with_cost = "cost_rate" in t.columns and bt.oracle is not None
        if with_cost:
            col, lo_col, hi_col = "cost_rate", "cost_rate_min", "cost_rate_max"
            unit = fmt.cost_rate_label(bt.time_kind)
            ylabel = f"cost {unit} (retrains + shortfall)"
        else:
            col = bt.share_column
            lo_col, hi_col = f"{col}_min", f"{col}_max"
            ylabel = f"share of {bt.period_noun} within tolerance"
        x = fixed["steps"].to_numpy(float)
        y = fixed[col].to_numpy(float)
        gap = max(1.0, 0.08 * (x.max() - x.min() + 1))
        x_never = x.max() + gap + 0.6
        handles: list[Any] = []
        (line,) = ax.plot(x, y, "o-", color="#34495e", ms=5, lw=1.6, zorder=5,
                          label="fixed cadence (mean over phases; bar: range)")
        self.lines_["cadences"] = line
        handles.append(line)
        spread = fixed[hi_col].to_numpy(float) - fixed[lo_col].to_numpy(float)
        if np.any(spread > 0):
            ax.vlines(x, fixed[lo_col].to_numpy(float), fixed[hi_col].to_numpy(float),
                      color="#34495e", lw=1.0, alpha=0.5, zorder=4)
        if len(never):
            yn = float(never[col].iloc[0])
            ax.plot([x_never], [yn], "s", color=_NEVER_COLOR, ms=6, zorder=5)
        if with_cost:
            assert bt.oracle is not None
            self.oracle_line_ = ax.axhline(
                bt.oracle.cost_rate, color=_ORACLE_COLOR, ls=":", lw=1.6, zorder=3,
                label=f"best schedule in hindsight ({bt.oracle.n_retrains} retrains)")
            handles.append(self.oracle_line_)
        else:
            target = ax.axhline(bt.target_share, color=_THRESHOLD_COLOR, ls="--", lw=1.2,
                                zorder=3, label=f"target share {fmt.level(bt.target_share)}")
            handles.append(target)
            from matplotlib.ticker import PercentFormatter

            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylim(0.0, 1.04)
        best = fixed.loc[fixed["best"]]
        if len(best):
            what = "cheapest fixed cadence" if with_cost else (
                "longest cadence meeting the target")
            (self.best_marker_,) = ax.plot(
                best["steps"].to_numpy(float), best[col].to_numpy(float), "*",
                color=_BEST_COLOR, ms=16, zorder=7,
                label=f"{what}: {self._label(int(best['steps'].iloc[0]))}")
            handles.append(self.best_marker_)
        rec = t.loc[t["recommended"]]
        if len(rec):
            k = int(rec["steps"].iloc[0])
            what = self._label(k)
            (self.recommended_marker_,) = ax.plot(
                [x_never if k == 0 else float(k)], rec[col].to_numpy(float), "o", ms=15,
                mfc="none", mec=_REC_COLOR, mew=2.2, zorder=8,
                label=f"the recommendation: {what}")
            handles.append(self.recommended_marker_)
        # ticks: every cadence when few, else a readable subset that keeps the best and
        # the recommended cadence; never retraining at the far right
        steps = [int(k) for k in fixed["steps"]]
        every = max(1, int(np.ceil(len(steps) / 10)))
        forced = {int(k) for k in fixed.loc[fixed["best"] | fixed["recommended"], "steps"]}
        keep = {k for i, k in enumerate(steps) if i % every == 0 and (
            i == 0 or all(abs(k - f) >= every for f in forced))}
        ticks = sorted(keep | forced)
        tick_x: list[float] = [float(k) for k in ticks]
        labels = [self._tick(k) for k in ticks]
        if len(never):
            tick_x.append(x_never)
            labels.append(self._tick(0))
        ax.set_xticks(tick_x)
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_xlim(x.min() - 0.6, x_never + 0.6)
        _, unit = _step_parts(bt.step)
        rate = "retrains a year" if bt.time_kind == "datetime" else "retrains per unit of time"
        ax.set_xlabel(f"retraining cadence{', ' + unit if unit else ''} "
                      f"(under each: {rate})")
        ax.set_ylabel(ylabel)
        return handles

    def _tick(self, steps: int) -> str:
        """The cadence in the step's unit over its retrains a year: '60\\n5.8'."""
        bt = self.backtest
        t = bt.summary_table
        row = t.loc[t["steps"] == steps].iloc[0]
        rate = float(row[bt.rate_column])
        size, _ = _step_parts(bt.step)
        top = "never" if steps == 0 else f"{steps * size:g}"
        return f"{top}\n{rate:.2g}"


def _step_parts(step: str) -> tuple[float, str]:
    """'3 months' -> (3.0, 'months'); '1 week' -> (1.0, 'weeks'); '2.5' -> (2.5, '')."""
    head, _, unit = step.partition(" ")
    try:
        size = float(head)
    except ValueError:  # pragma: no cover - labels are made by the backtest
        return 1.0, step
    if unit and not unit.endswith("s"):
        unit += "s"
    return size, unit

