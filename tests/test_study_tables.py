"""The shape study's table code (studies/shapes.py ``summarise``), on hand-made rows:
fast, so it runs in the default suite (the study itself is ``slow``)."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pandas as pd

from ._helpers import load_study


def _shapes() -> ModuleType:
    return load_study("shapes")


def _rows(name: str, truth: float, interval: list[float], naive: list[float]) -> pd.DataFrame:
    n = len(interval)
    return pd.DataFrame({
        "scenario": name, "truth": truth, "interval": interval, "naive": naive,
        "status": ["crossed" if math.isfinite(v) else "not_reached" for v in interval],
        "low": [v - 5 for v in interval], "high": [v + 5 for v in interval],
        "safe": [v - 5 for v in interval], "seconds": 0.1, "family": "linear",
        "significant": True, "default_status": "crossed"}, index=range(n))


def test_error_quantiles_against_brute_force() -> None:
    st = _shapes()
    rng = np.random.default_rng(3)
    truth = 100.0
    est = list(truth * (1 + rng.normal(0, 0.2, 37)))
    est[5] = est[11] = math.inf          # no crossing: an infinite error
    naive = [*list(np.round(np.array(est[:35]) / 30) * 30 + 15), math.inf, 45.0]
    r = st.summarise(_rows("fr_hinge", truth, est, naive)).iloc[0]
    for key, col in (("", est), ("naive_", naive)):
        e = sorted(abs(v - truth) / truth if math.isfinite(v) else math.inf for v in col)
        n = len(e)
        # inverted_cdf: the smallest error with at least that share at or below it
        assert r[f"{key}err75"] == e[math.ceil(0.75 * n) - 1]
        assert r[f"{key}err90"] == e[math.ceil(0.90 * n) - 1]
        assert r[f"{key}within10"] == sum(x <= 0.10 for x in e) / n
    assert r["err"] == float(np.median([abs(v - truth) / truth if math.isfinite(v)
                                        else math.inf for v in est]))
    table = st.markdown_errors(st.summarise(_rows("fr_hinge", truth, est, naive)))
    assert table.count("\n") == 2
    assert "| fr_hinge |" in table


def test_error_quantiles_infinite_and_flat() -> None:
    st = _shapes()
    # more than a quarter without a crossing: the 75th percentile is inf, not NaN
    r = st.summarise(_rows("fr_linear", 50.0, [50.0, 60.0, math.inf, math.inf],
                           [40.0, math.inf, math.inf, math.inf])).iloc[0]
    assert r["err75"] == math.inf
    assert r["naive_err75"] == math.inf
    assert r["within10"] == 0.25
    assert r["naive_within10"] == 0.0
    flat = st.summarise(_rows("fr_flat", math.inf, [math.inf] * 3, [math.inf] * 3))
    assert math.isnan(flat.iloc[0]["err75"])
    assert st.markdown_errors(flat).count("\n") == 1   # header only: no degrading rows
