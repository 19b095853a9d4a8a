"""What the Displays share: colours, legend notes, title wrapping, the new-Axes helper.

Their text (ages, units, numbers, dates, tolerances) comes from :mod:`oot._format`.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from oot._validation import InvalidParameterError, param_message

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__: list[str] = []

#: Above this many anchors, points are drawn smaller and fainter and anchors are told
#: apart by a colourbar instead of legend entries.
MANY_ANCHORS = 8
#: Above this many points, points are drawn smaller and fainter.
MANY_POINTS = 250

_THRESHOLD_COLOR = "#c0392b"
_CURVE_COLOR = "#1b1b1b"
_BASELINE_COLOR = "#6b6b6b"


def _anchor_colors(n: int, cmap: Any) -> list[Any]:
    """``n`` colours from a sequential colormap, oldest anchor lightest... darkest last.

    The colormap's two ends are trimmed so that no colour is too pale to see on white.
    """
    import matplotlib as mpl

    cm = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    if n == 1:
        return [cm(0.35)]
    return [cm(v) for v in np.linspace(0.0, 0.85, n)]


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


def _plain_text(display: Any) -> None:
    """Show every text a Display drew as it is written: no mathtext.

    Metric names, column names and labels come from the user, and matplotlib reads a
    pair of ``$`` in any of them as mathematics (``"profit ($) per $1k"`` fails to
    draw, and with it ``plot()`` and ``save_report()``). Every Display calls this at the
    end of ``plot``: each text on its Axes (title, axis and tick labels, legend,
    annotations) and on its colorbar's is set not to parse mathtext.
    """
    from matplotlib.text import Text

    owners = [display.ax_]
    colorbar = getattr(display, "colorbar_", None)
    if colorbar is not None:
        owners.append(colorbar.ax)
    for owner in owners:
        for text in owner.findobj(Text):
            text.set_parse_math(False)


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
