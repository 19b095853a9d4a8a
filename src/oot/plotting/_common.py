"""What the Displays share: the age unit, colours, labels and the new-Axes helper."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oot._validation import InvalidParameterError, param_message

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = ["age_unit"]

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


def _note_handle(label: str) -> Any:
    """An invisible legend entry carrying only a note."""
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="", marker="", label=label)


def _wrap_title(text: str, ax: Axes) -> str:
    """``text`` wrapped to the width of ``ax`` (for an 11-point title)."""
    try:
        fig: Any = ax.figure
        width_in = float(ax.get_position().width * fig.get_size_inches()[0])
    except (AttributeError, TypeError):  # pragma: no cover - exotic Axes
        width_in = 8.0
    chars = max(40, int(width_in * 72 / (11 * 0.52)))
    return "\n".join(textwrap.wrap(text, chars))
