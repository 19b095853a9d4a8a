"""Displays: the degradation plot, the aging heatmap, the backtest's charts, the
leading indicators, the comparison of candidates and the small multiples of several
recommendations, in scikit-learn's Display style.

A Display's ``__init__`` stores the data, its ``from_*`` classmethods compute what is
needed and call :meth:`plot`, and ``plot(ax=None, **kwargs)`` draws on ``ax`` (or on a
new figure when none is given), stores ``ax_`` and ``figure_`` and returns the display.
Matplotlib's pyplot is imported only inside ``plot`` and only when no Axes is given, so
``import oot`` stays light; nothing here calls ``plt.show()`` or changes rcParams.
"""

from oot._format import age_unit
from oot.plotting._backtest import BacktestDisplay
from oot.plotting._compare import ComparisonDisplay
from oot.plotting._degradation import DegradationDisplay
from oot.plotting._heatmap import AgingHeatmapDisplay
from oot.plotting._indicators import IndicatorDisplay
from oot.plotting._recommendations import RecommendationsDisplay

__all__ = ["DegradationDisplay", "AgingHeatmapDisplay", "BacktestDisplay", "IndicatorDisplay",
           "ComparisonDisplay", "RecommendationsDisplay", "age_unit"]
