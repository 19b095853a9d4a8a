"""Assertions shared by the test modules."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

#: The studies' scripts (``studies/*.py``), which the tests load as modules.
STUDIES = Path(__file__).resolve().parents[1] / "studies"


def load_study(name: str) -> ModuleType:
    """``studies/<name>.py`` as a module (the studies are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"oot_study_{name}", STUDIES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is made; out of
    # it afterwards, so that joblib's workers get the study's functions by value
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def assert_same_intervals(a: Any, b: Any) -> None:
    """Two recommendations' intervals and CI ends agree to the second they are rounded to.

    For recommendations whose scores agree to a tolerance, not bit for bit (rows summed
    in another order, BLAS in other processes): the curve's optimiser and the rounding
    of ages to whole seconds may then move an interval by one second. Numeric ages agree
    to 1e-6 relative; a missing end (None) must be missing in both.
    """
    for x, y in [(a.interval, b.interval), *zip(a.interval_ci, b.interval_ci, strict=True)]:
        assert (x is None) == (y is None), (x, y)
        if isinstance(x, pd.Timedelta):
            assert abs(x - y) <= pd.Timedelta("1s"), (x, y)
        elif x is not None:
            assert math.isclose(x, y, rel_tol=1e-6), (x, y)


#: Columns of a result's anchors table that are measured, not computed: the seconds
#: each anchor's fit and prediction took. Two runs with the same random_state agree on
#: everything else.
TIMING_COLUMNS = ("fit_time", "predict_time")


def without_timings(document: Any) -> Any:
    """A result's JSON document (a dict, or text) with the anchors' timings left out, to
    compare two runs that should agree."""
    import json

    return _drop_timings(json.loads(document) if isinstance(document, (str, bytes))
                         else document)


def _drop_timings(d: Any) -> Any:
    if isinstance(d, dict):
        out = {}
        for k, v in d.items():
            if k == "anchors" and isinstance(v, dict) and "columns" in v:
                v = dict(v, columns=[c for c in v["columns"]
                                     if c.get("name") not in TIMING_COLUMNS])
            out[k] = _drop_timings(v)
        return out
    if isinstance(d, list):
        return [_drop_timings(x) for x in d]
    return d
