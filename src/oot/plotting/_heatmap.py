"""The aging heatmap: :class:`AgingHeatmapDisplay`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import oot._format as fmt
from oot._validation import InvalidParameterError, check_option, param_message
from oot.evaluate import OOTEvaluation
from oot.plotting._common import _new_axes, _plain_text, _wrap_title

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["AgingHeatmapDisplay"]


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
        evaluation.check_single(func=func)
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
        disp = cls(values, anchors, cutoffs, edges, value=value,
                   metric_name=fmt.metric_name(evaluation.metric), greater_is_better=gib)
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
            label = f"{self.metric_name} ({fmt.better(self.greater_is_better)}; darker = worse)"
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
        ax.set_yticklabels([fmt.stamp(self.cutoffs[t - 1]) for t in ticks], fontsize=8)
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
            ax.set_title(_wrap_title(self.title_, ax), fontsize=11, loc="left")
        _plain_text(self)
        return self


def _edge_values(s: pd.Series) -> np.ndarray[Any, Any]:
    """Window starts/ends as plain arrays pcolormesh accepts (tz-aware -> naive UTC)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        dt = pd.to_datetime(s)
        if getattr(dt.dt, "tz", None) is not None:
            dt = dt.dt.tz_convert("UTC").dt.tz_localize(None)
        return dt.to_numpy(dtype="datetime64[ns]")
    return s.to_numpy(dtype=float)
