"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st


@st.composite
def time_frames(draw: st.DrawFn, *, min_days: int = 60, max_days: int = 400) -> pd.DataFrame:
    """Unsorted frames with row-level, possibly repeated timestamps over a span of days.

    Columns: ``ts`` (datetime, naive or tz-aware), ``x`` (float), ``y`` (0/1 int).
    """
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    days = draw(st.integers(min_days, max_days))
    n = draw(st.integers(200, 1500))
    resolution = draw(st.sampled_from(["D", "h", "s"]))
    start = pd.Timestamp("2021-03-01")
    if resolution == "D":
        offsets = pd.to_timedelta(rng.integers(0, days, n), unit="D")
    elif resolution == "h":
        offsets = pd.to_timedelta(rng.integers(0, days * 24, n), unit="h")
    else:
        offsets = pd.to_timedelta(rng.integers(0, days * 86400, n), unit="s")
    ts = pd.Series(start + offsets)
    if draw(st.booleans()):
        tz = draw(st.sampled_from(["UTC", "Europe/Paris", "US/Eastern"]))
        ts = ts.dt.tz_localize("UTC").dt.tz_convert(tz)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * x))).astype(int)
    return pd.DataFrame({"ts": ts, "x": x, "y": y})


@st.composite
def numeric_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Frames with an integer time column (with repeats), unsorted."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(100, 1000))
    span = draw(st.integers(30, 300))
    t = rng.integers(0, span, n)
    x = rng.normal(size=n)
    y = x * (1 + t / span) + rng.normal(scale=0.5, size=n)
    return pd.DataFrame({"t": t, "x": x, "y": y})


@st.composite
def window_settings(draw: st.DrawFn) -> dict[str, object]:
    """Window plans that fit in the spans of :func:`time_frames`."""
    return {
        "train_window": draw(st.sampled_from(["14D", "30D", "3W", "45D"])),
        "eval_window": draw(st.sampled_from(["7D", "10D", "2W", "MS"])),
        "gap": draw(st.sampled_from(["0D", "1D", "5D", "12h"])),
        "anchors": draw(st.integers(1, 3)),
        "expanding": draw(st.booleans()),
    }


@st.composite
def score_matrices(draw: st.DrawFn) -> dict[str, object]:
    """Small anchor x period score tables with the backtest's structure.

    ``n_anchors`` anchors ``step`` periods apart, every anchor scored from its first
    period to the last one, numeric periods of one length or calendar months (of 28-31
    days); some cells may be unusable (``status`` "too_small", score NaN). Returns the
    ``frame`` for :meth:`OOTEvaluation.from_frame` and its description.
    """
    n_anchors = draw(st.integers(3, 6))
    step = draw(st.integers(1, 2))
    extra = draw(st.integers(0, 2))
    calendar = draw(st.booleans())
    greater = draw(st.booleans())
    holes = draw(st.booleans())
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n_periods = (n_anchors - 1) * step + 1 + extra
    length = draw(st.sampled_from([1.0, 2.5]))
    if calendar:
        starts = list(pd.date_range("2021-01-01", periods=n_periods + 1, freq="MS"))
    else:
        starts = [length * i for i in range(n_periods + 1)]
    rows = []
    for j in range(n_anchors):
        first = j * step
        cutoff = starts[first]
        for w in range(first, n_periods):
            usable = not (holes and rng.random() < 0.1)
            mid = starts[w] + (starts[w + 1] - starts[w]) / 2
            rows.append({
                "anchor": j + 1, "cutoff": cutoff, "window": w - first + 1,
                "window_start": starts[w], "window_end": starts[w + 1],
                "age": mid - cutoff, "n": int(rng.integers(50, 500)),
                "score": float(rng.uniform(0.5, 0.9)) if usable else np.nan,
                "se": 0.01, "status": "ok" if usable else "too_small",
            })
    return {"frame": pd.DataFrame(rows), "n_anchors": n_anchors, "step": step,
            "n_periods": n_periods, "greater_is_better": greater,
            "metric": "roc_auc" if greater else "mae",
            "retrain_cost": draw(st.sampled_from([0.0, 0.01, 0.05, 0.2, 1.0])),
            "shortfall_cost": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0]))}
