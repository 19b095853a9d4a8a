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
