"""Tests of the curve-family records (oot.degradation._families) and of adding a family.

Every registered parametric record is checked against itself (f(0) = 0, the crossing
inverts the shape, the basis and to_user agree with the shape). Two toy families are
registered the way a contributor adds one (one record), and fitted, selected by AICc,
bootstrapped and serialised on data generated from their shapes with a known crossing.
"""

from __future__ import annotations

import ast
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import oot
from oot import InvalidParameterError, NotEnoughWindowsError, OOTEvaluation
from oot.degradation import (
    FAMILIES,
    PARAMETRIC_FAMILIES,
    DegradationCurve,
    _families,
    bootstrap_crossing,
    fit_degradation,
)
from oot.degradation._families import CurveFamily, amplitude_crossing, log_grid

from .conftest import DEGRADING_PARAMS

SRC = Path(oot.__file__).parent

# parameters of each built-in parametric family that degrade a higher-is-better score
EXAMPLES = DEGRADING_PARAMS


# ------------------------------------------------------------------ the registry
def test_registry_lists_each_family_once() -> None:
    assert tuple(_families.REGISTRY) == FAMILIES == _families.family_names()
    assert FAMILIES == ("linear", "quadratic", "exponential", "power", "logarithmic",
                        "hinge", "explosive", "logistic", "isotonic")
    assert PARAMETRIC_FAMILIES == FAMILIES[:-1] == _families.parametric_family_names()
    for name, fam in _families.REGISTRY.items():
        assert fam.name == name
    assert set(EXAMPLES) == set(PARAMETRIC_FAMILIES)


def _compared_names(node: ast.Compare) -> set[str]:
    names = set()
    for side in (node.left, *node.comparators):
        elts = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
        for e in elts:
            if isinstance(e, ast.Constant) and isinstance(e.value, str):
                names.add(e.value)
            elif isinstance(e, ast.Name) and e.id.isupper():
                names.add(e.id)  # a module-level table of families
    return names


def _operand_labels(node: ast.Compare) -> list[str]:
    out = []
    for side in (node.left, *node.comparators):
        if isinstance(side, ast.Name):
            out.append(side.id)
        elif isinstance(side, ast.Attribute):
            out.append(side.attr)
    return out


def test_no_family_dispatch_outside_the_records() -> None:
    """No ``family == "isotonic"`` or ``family in (...)`` anywhere in oot: what differs
    between families lives in their records."""
    hits = []
    for path in sorted(SRC.rglob("*.py")):
        if path == Path(_families.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            if not any("fam" in label for label in _operand_labels(node)):
                continue
            names = _compared_names(node)
            if names & set(FAMILIES) or any(n.isupper() for n in names):
                hits.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert hits == []


# ------------------------------------------------------------------ each record
def _records() -> list[Any]:
    return [pytest.param(_families.get_family(name), id=name)
            for name in PARAMETRIC_FAMILIES]


@pytest.mark.parametrize("fam", _records())
def test_shape_is_zero_at_age_zero(fam: CurveFamily) -> None:
    assert fam.shape(EXAMPLES[fam.name], np.zeros(3)) == pytest.approx(0.0, abs=0)
    assert len(fam.params) >= fam.n_shape - (1 if fam.nonlinear else 0) >= 1


@pytest.mark.parametrize("sgn", [-1.0, 1.0])
@pytest.mark.parametrize("fam", _records())
def test_crossing_is_the_first_age_at_which_the_shape_reaches_m(fam: CurveFamily,
                                                                 sgn: float) -> None:
    # sgn = +1 (lower is better): the example parameters with the opposite sign
    p = {k: (-v if sgn > 0 and k in ("b", "c", "d") else v)
         for k, v in EXAMPLES[fam.name].items()}
    ages = np.linspace(0.0, 400.0, 400_001)
    deg = sgn * np.asarray(fam.shape(p, ages))
    for m in (1e-4, 0.01, 0.03, 0.06):
        got = float(fam.crossing_age(p, m, sgn))
        reached = np.nonzero(deg >= m)[0]
        if reached.size == 0:
            assert got > 400.0
            continue
        assert got == pytest.approx(ages[reached[0]], abs=1e-3)  # the brute-force age
        assert sgn * fam.shape(p, got) == pytest.approx(m, rel=1e-9)
    assert float(fam.crossing_age(p, 0.0, sgn)) == 0.0
    assert float(fam.crossing_age(p, -0.01, sgn)) == 0.0
    # a curve that moves away from the threshold never reaches it
    away = {k: (-v if k in ("b", "c", "d") else v) for k, v in p.items()}
    assert float(fam.crossing_age(away, 0.01, sgn)) == math.inf


@pytest.mark.parametrize("fam", _records())
def test_basis_and_to_user_agree_with_the_shape(fam: CurveFamily) -> None:
    """coef . basis(a / scale) is the shape at the user parameters to_user gives."""
    rng = np.random.default_rng(0)
    a = np.linspace(0.0, 360.0, 25)
    scale = 360.0
    if fam.basis is None:  # fitted by its own hooks: its window means are checked
        half = np.full(a.size, 15.0)
        sub = (np.arange(2000) + 0.5) / 2000 * 30.0 - 15.0
        mid = np.mean(fam.shape(EXAMPLES[fam.name], a[:, None] + sub[None, :]), axis=1)
        np.testing.assert_allclose(fam.mean_shape(EXAMPLES[fam.name], a + 0.0, half),
                                   mid, rtol=0, atol=1e-7)
        return
    if fam.nonlinear:
        assert fam.grid is not None
        grid, _ = fam.grid(a, scale)
        for phi in grid[[3, 20, 40]]:
            coef = rng.normal(0, 0.05, 1)
            f_int = coef[0] * fam.design(a, np.array([phi]), scale)[:, 0]
            f_user = fam.shape(fam.user_params(coef, phi, scale), a)
            np.testing.assert_allclose(f_user, f_int, rtol=1e-10, atol=1e-15)
        # design's shapes: a grid gives (n, M), one value per replicate (R, n)
        assert fam.design(a, grid, scale).shape == (a.size, grid.size)
        assert fam.design(a, grid[:4, None], scale).shape == (4, a.size)
    else:
        basis = fam.design(a, None, scale)
        coef = rng.normal(0, 0.05, basis.shape[1])
        f_user = fam.shape(fam.user_params(coef, None, scale), a)
        np.testing.assert_allclose(f_user, basis @ coef, rtol=1e-10, atol=1e-15)


def test_a_profiled_record_needs_its_basis() -> None:
    with pytest.raises(TypeError, match="needs its basis and to_user"):
        CurveFamily(name="broken", params=("b",), n_shape=1, shape=lambda p, a: a,
                    crossing=lambda p, m, sgn: m)


# ------------------------------------------------------------------ adding a family
# What a contributor writes to add a family (see CONTRIBUTING.md): one record each.
SQRT = CurveFamily(
    name="sqrt", params=("b",), n_shape=1,
    basis=lambda u, _: np.sqrt(u)[:, None],
    to_user=lambda coef, phi, scale: {"b": coef[..., 0] / np.sqrt(scale)},
    shape=lambda p, a: p["b"] * np.sqrt(a),
    crossing=amplitude_crossing("b", lambda p, r: r * r),
)
TANH = CurveFamily(  # one nonlinear parameter, profiled over a grid
    name="tanh", params=("d", "s"), n_shape=2,
    basis=lambda u, s: np.tanh(u / s),
    grid=log_grid(0.02, 50.0),
    to_user=lambda coef, phi, scale: {"d": coef[..., 0], "s": phi * scale},
    shape=lambda p, a: p["d"] * np.tanh(a / p["s"]),
    crossing=amplitude_crossing(
        "d", lambda p, r: np.where(r < 1, p["s"] * np.arctanh(np.minimum(r, 1.0)), np.inf)),
)
TOYS = {"sqrt": (SQRT, {"b": -0.004}), "tanh": (TANH, {"d": -0.07, "s": 150.0})}
AGES = np.arange(15.0, 15.0 + 30 * 12, 30.0)  # 12 monthly windows


def _toy_eval(name: str, *, noise: float, period_sd: float = 0.0, n_anchors: int = 6,
              seed: int = 0) -> OOTEvaluation:
    """Scores 0.8 + anchor offset + f(age) + shared calendar noise + window noise."""
    fam, p = TOYS[name]
    rng = np.random.default_rng(seed)
    period = rng.normal(0, period_sd, n_anchors + AGES.size)
    rows = []
    for j in range(n_anchors):
        for k, a in enumerate(AGES):
            score = (0.8 + 0.01 * (j - (n_anchors - 1) / 2) + fam.shape(p, a)
                     + period[j + k] + rng.normal(0, noise))
            rows.append({"anchor": j + 1, "age": a, "score": float(score),
                         "se": max(noise, 1e-4), "window_start": 30.0 * (j + k)})
    return OOTEvaluation.from_frame(pd.DataFrame(rows), metric="roc_auc",
                                    time_kind="numeric")


def _true_crossing(name: str, tolerance: float = 0.05) -> float:
    """Where 0.8 + f(a) reaches the threshold, by brute force on a fine grid.

    The baseline is the curve at age 0, 0.8, except for sqrt: its slope is infinite at
    0, so it bends before the youngest window (age 15) far more than the windows
    scatter, and fit_degradation continues it straight back to age 0 from age 15 (its
    tangent there): baseline 0.8 + f(15) - 15 f'(15) = 0.8 + b sqrt(15) / 2.
    """
    fam, p = TOYS[name]
    base = 0.8 + (p["b"] * math.sqrt(AGES[0]) / 2 if name == "sqrt" else 0.0)
    ages = np.linspace(0.0, 2000.0, 2_000_001)
    return float(ages[np.nonzero(0.8 + fam.shape(p, ages) <= (1 - tolerance) * base)[0][0]])


@pytest.fixture(params=list(TOYS))
def toy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Register a toy family for one test (the registry is restored afterwards)."""
    name: str = request.param
    monkeypatch.setitem(_families.REGISTRY, name, TOYS[name][0])
    return name


def test_toy_families_are_unknown_unless_registered() -> None:
    for name in TOYS:
        with pytest.raises(InvalidParameterError, match="'curve' parameter"):
            fit_degradation(_toy_eval("sqrt", noise=0.0), curve=name)


def test_toy_family_fit_recovers_parameters_and_crossing(toy: str) -> None:
    fam, truth = TOYS[toy]
    c = fit_degradation(_toy_eval(toy, noise=0.0), curve=toy)
    assert c.family == toy
    assert set(c.params) == set(fam.params)
    for k, v in truth.items():
        assert c.params[k] == pytest.approx(v, rel=1e-6), k
    assert c.level == pytest.approx(0.8, abs=1e-9)
    assert c.offsets[1] == pytest.approx(0.8 - 0.025, abs=1e-9)
    assert c.crossing_age(c.threshold(0.05)) == pytest.approx(_true_crossing(toy), abs=2e-3)
    lo, hi = c.band(AGES)  # the delta-method band comes with the record's shape
    assert np.all(lo <= c.predict(AGES))
    assert np.all(c.predict(AGES) <= hi)


def test_auto_selects_the_toy_family_on_its_own_data(toy: str) -> None:
    ev = _toy_eval(toy, noise=2e-4, seed=1)
    c = fit_degradation(ev, curve="auto")
    assert set(c.aicc) == {*PARAMETRIC_FAMILIES, toy}
    assert c.family == toy
    assert c.crossing_age(c.threshold(0.05)) == pytest.approx(_true_crossing(toy), rel=0.02)


@pytest.mark.parametrize("curve", ["toy", "auto"])
def test_toy_family_bootstrap_covers_the_true_crossing(toy: str, curve: str) -> None:
    """Six data sets with shared calendar noise: the nominal 90% interval covers the true
    crossing in at least four (probability 0.98 for a calibrated interval)."""
    truth = _true_crossing(toy)
    covered = 0
    for seed in range(6):
        ev = _toy_eval(toy, noise=0.0015, period_sd=0.0015, seed=seed)
        c = fit_degradation(ev, curve=toy if curve == "toy" else "auto")
        b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=200, random_state=seed)
        assert b.samples.shape == (200,)
        # one cluster per calendar period, or per block of consecutive periods when
        # the fit found the periods' residuals correlated (issue 13)
        block = int(c.calendar_effects.get("block", 1))
        assert b.n_clusters == math.ceil((6 + 12 - 1) / block)
        assert b.low <= b.estimate <= b.high < math.inf
        covered += b.low <= truth <= b.high
    assert covered >= 4


def test_toy_family_pairs_bootstrap(toy: str) -> None:
    ev = _toy_eval(toy, noise=0.0015, period_sd=0.0015, seed=1)
    c = fit_degradation(ev, curve=toy)
    b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=200, random_state=0,
                           method="pairs")
    assert b.method.startswith("pairs cluster bootstrap")
    assert b.low <= b.estimate <= b.high < math.inf
    assert b.crossed_fraction == 1.0
    mid = np.asarray(c.predict(b.band_age))
    assert np.mean((b.band_low <= mid) & (mid <= b.band_high)) >= 0.95


def test_toy_family_json_round_trip(toy: str) -> None:
    c = fit_degradation(_toy_eval(toy, noise=0.002, seed=3), curve=toy)
    d = c.to_dict()
    back = DegradationCurve.from_dict(json.loads(json.dumps(d, allow_nan=False)))
    assert back.to_dict() == d
    assert back.family == toy
    np.testing.assert_array_equal(back.predict(AGES), c.predict(AGES))
    assert back.crossing_age(c.threshold(0.05)) == c.crossing_age(c.threshold(0.05))


def test_toy_family_minimum_windows_use_its_shape_parameters(toy: str) -> None:
    """Two anchors x two ages: 4 windows fit one shape parameter (sqrt), not two (tanh)."""
    fam, _ = TOYS[toy]
    frame = pd.DataFrame({"anchor": [1, 1, 2, 2], "age": [15.0, 45.0, 15.0, 45.0],
                          "score": [0.8, 0.79, 0.81, 0.8], "se": 0.01})
    ev = OOTEvaluation.from_frame(frame, metric="roc_auc", time_kind="numeric")
    if fam.n_shape == 1:
        assert fit_degradation(ev, curve=toy).n_windows == 4
    else:
        msg = (f"fit_degradation needs at least 5 usable windows to fit a {toy} curve with "
               "2 anchor offset(s); got 4 usable windows (of 4).")
        with pytest.raises(NotEnoughWindowsError, match=re.escape(msg)):
            fit_degradation(ev, curve=toy)
