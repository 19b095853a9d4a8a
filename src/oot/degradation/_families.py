"""Curve families: one frozen record each, and the registry that lists them once.

A family is everything the fits, the curve object and the bootstrap need to know about
one shape ``f(a)`` (``f(0) = 0``; the score is ``anchor offset + f(age)``):

- its user parameters and how many count for the minimum number of windows;
- ``shape`` (f in user units) and ``crossing`` (the smallest age at which
  ``sgn * f`` reaches ``m > 0``, in closed form);
- for the profiled families (linear in their coefficients given at most one nonlinear
  parameter): ``basis`` (the columns in internal units), ``grid`` (the nonlinear
  parameter's search grid) and ``to_user`` (internal coefficients to user parameters);
- how it is fitted at fixed weights (``fit``) and how bootstrap replicates are refitted
  (``refit``): the batch profile of :mod:`oot.degradation._wls` by default, the
  per-replicate PAVA of :mod:`oot.degradation._isotonic` for the isotonic family.

Add a family by writing its record below and listing it in ``_BUILTIN``; nothing else
in the package names a family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from oot.degradation._data import AnchorIndex, FloatArray, _Data
from oot.degradation._isotonic import isotonic_fit, isotonic_refit, knot_crossing, knot_shape
from oot.degradation._logistic import (
    logistic_crossing,
    logistic_fit,
    logistic_refit,
    logistic_shape,
    logistic_warm_fit,
    window_basis,
)
from oot.degradation._wls import (
    Replicas,
    ReplicateFit,
    WeightedFit,
    profile_fit,
    profile_refit,
)

__all__ = ["CurveFamily", "FAMILIES", "PARAMETRIC_FAMILIES", "REGISTRY", "family_names",
           "flexible_family", "get_family", "parametric_family_names"]

#: ``shape(p, a)``: f(a) for the parameters ``p`` (values may be arrays that broadcast
#: against ``a``, one per bootstrap replicate).
ShapeFn = Callable[[Mapping[str, Any], Any], Any]
#: ``crossing(p, m, sgn)``: the smallest age with ``sgn * f(age) >= m`` where ``m > 0``
#: (inf or NaN where never; ages for ``m <= 0`` are overwritten with 0).
CrossingFn = Callable[[Mapping[str, Any], Any, float], Any]
#: ``basis(u, phi)``: the basis columns at internal ages ``u``: an (n, p) array for a
#: family without nonlinear parameter (``phi`` is None), else the single column
#: elementwise (``u`` and ``phi`` arrive shaped to broadcast).
BasisFn = Callable[[FloatArray, Any], Any]
#: ``grid(a, scale)``: the nonlinear parameter's grid (internal units) and whether it is
#: log-spaced (the refinement then works in log phi).
GridFn = Callable[[FloatArray, float], tuple[FloatArray, bool]]
#: ``to_user(coef, phi, scale)``: internal coefficients ``coef[..., i]`` and nonlinear
#: parameter to the user parameters (arrays allowed).
ToUserFn = Callable[[FloatArray, Any, float], dict[str, Any]]
FitFn = Callable[["CurveFamily", _Data, FloatArray, float, float, AnchorIndex], WeightedFit]
RefitFn = Callable[["CurveFamily", Replicas], ReplicateFit]
#: ``warm_fit(family, d, w, sgn, scale, anchors, start)``: the fit at new weights from
#: the fit ``start`` at the previous ones (the tau2 iterations), for families whose
#: search is costly.
WarmFitFn = Callable[["CurveFamily", _Data, FloatArray, float, float, AnchorIndex,
                      WeightedFit], WeightedFit]

_GRID_SIZE = 48


@dataclass(frozen=True, eq=False)
class CurveFamily:
    """One curve family (see the module docstring).

    Attributes
    ----------
    name : str
        The ``curve`` argument that selects it.
    params : tuple of str
        User parameter names, in the order of ``DegradationCurve.params``.
    n_shape : int
        Shape parameters counted (with the anchor offsets) for the minimum number of
        windows and in AICc.
    shape, crossing : callable
        See ``ShapeFn`` and ``CrossingFn``.
    basis, grid, to_user : callable or None
        The profile fit's pieces (``grid`` None: no nonlinear parameter).
    fit, refit : callable
        Fit at fixed weights; refit bootstrap replicates.
    parametric : bool
        A candidate of ``curve="auto"`` (listed in ``PARAMETRIC_FAMILIES``).
    delta_method : bool
        The fit can be linearised in ``params``: the curve gets a delta-method band and
        the wild bootstrap jackknife (CV3) residuals.

    Examples
    --------
    A square-root family, ``f(a) = b * sqrt(a)``: linear in ``b``, so no grid.

    >>> import numpy as np
    >>> from oot.degradation._families import CurveFamily, amplitude_crossing
    >>> sqrt = CurveFamily(
    ...     name="sqrt", params=("b",), n_shape=1,
    ...     basis=lambda u, _: np.sqrt(u)[:, None],
    ...     to_user=lambda coef, phi, scale: {"b": coef[..., 0] / np.sqrt(scale)},
    ...     shape=lambda p, a: p["b"] * np.sqrt(a),
    ...     crossing=amplitude_crossing("b", lambda p, r: r * r))
    >>> float(sqrt.shape({"b": -0.004}, 100.0))
    -0.04
    >>> float(sqrt.crossing_age({"b": -0.004}, 0.04, -1.0))  # sgn -1: higher is better
    100.0
    """

    name: str
    params: tuple[str, ...]
    n_shape: int
    shape: ShapeFn
    crossing: CrossingFn
    basis: BasisFn | None = None
    grid: GridFn | None = None
    to_user: ToUserFn | None = None
    fit: FitFn = profile_fit
    refit: RefitFn = profile_refit
    parametric: bool = True
    delta_method: bool = True
    window_shape: Callable[[Mapping[str, Any], Any, Any], Any] | None = None
    warm_fit: WarmFitFn | None = None

    def mean_shape(self, p: Mapping[str, Any], a: Any, half: Any) -> Any:
        """f averaged over each window ``a +- half`` (what a window's score estimates);
        f at the midpoint unless the family says otherwise."""
        if self.window_shape is None or half is None:
            return self.shape(p, a)
        return self.window_shape(p, a, half)

    def __post_init__(self) -> None:
        profiled = self.fit is profile_fit or self.refit is profile_refit
        if profiled and (self.basis is None or self.to_user is None):
            msg = (f"The curve family {self.name!r} is fitted by the profile fit, which "
                   "needs its basis and to_user.")
            raise TypeError(msg)

    @property
    def nonlinear(self) -> bool:
        """Whether the family has a nonlinear parameter (profiled over ``grid``)."""
        return self.grid is not None

    def design(self, a: FloatArray, phi: Any, scale: float) -> FloatArray:
        """Basis column(s) at ages ``a`` given the nonlinear parameter (internal units).

        ``a`` has shape (n,), ``phi`` is None (no nonlinear parameter: (n, p) columns),
        a (M,) grid (result (n, M)) or (R, 1) per replicate (result (R, n)).
        """
        assert self.basis is not None
        u = a / scale
        if self.grid is None:
            return np.asarray(self.basis(u, None), dtype=float)
        ph = np.asarray(phi, dtype=float)
        uu = u[:, None] if ph.ndim == 1 else u
        return np.asarray(self.basis(uu, ph), dtype=float)

    def user_params(self, coef: FloatArray, phi: Any, scale: float) -> dict[str, Any]:
        """Internal coefficients (arrays allowed) to the user parametrisation."""
        assert self.to_user is not None
        return self.to_user(coef, phi, scale)

    def fit_weighted(self, d: _Data, w: FloatArray, sgn: float, scale: float,
                     anchors: AnchorIndex, start: WeightedFit | None = None) -> WeightedFit:
        """The family fitted to ``d`` at the weights ``w`` (its ``fit`` hook; its
        ``warm_fit`` from ``start``, the fit at the previous weights, when it has one)."""
        if start is not None and self.warm_fit is not None:
            return self.warm_fit(self, d, w, sgn, scale, anchors, start)
        return self.fit(self, d, w, sgn, scale, anchors)

    def refit_replicates(self, rep: Replicas) -> ReplicateFit:
        """The family refitted to every bootstrap replicate (its ``refit`` hook)."""
        return self.refit(self, rep)

    def crossing_age(self, p: Mapping[str, Any], m: Any, sgn: float) -> FloatArray:
        """Smallest age with ``sgn * f(age) >= m`` (0 when ``m <= 0``; inf when never).

        ``sgn`` is +1 when degradation raises the score (lower is better), -1 otherwise;
        ``m = sgn * (threshold - level)`` is the degradation needed to reach the
        threshold.
        """
        m = np.asarray(m, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self.crossing(p, m, sgn)
            out = np.where(m <= 0, 0.0, out)
            out = np.where(np.isnan(out), np.inf, out)
        return np.asarray(out, dtype=float)


# ======================================================================= helpers
def log_grid(lo: float, hi: float) -> GridFn:
    """A fixed log-spaced grid of the nonlinear parameter from ``lo`` to ``hi``."""
    def grid(a: FloatArray, scale: float) -> tuple[FloatArray, bool]:
        return np.geomspace(lo, hi, _GRID_SIZE), True

    return grid


def amplitude_crossing(amplitude: str,
                       inverse: Callable[[Mapping[str, Any], Any], Any]) -> CrossingFn:
    """Crossing of a shape ``f = amplitude * g(a)`` with ``g`` increasing from 0.

    ``inverse(p, r)`` is ``g^-1(r)`` for ``r = m / (sgn * amplitude)`` (inf where the
    amplitude has the wrong sign: the curve moves away from the threshold).
    """
    def crossing(p: Mapping[str, Any], m: Any, sgn: float) -> Any:
        bb = sgn * np.asarray(p[amplitude], dtype=float)
        ratio = np.where(bb > 0, m / np.where(bb > 0, bb, 1.0), np.inf)
        return inverse(p, ratio)

    return crossing


def bounded_log_grid(lo: float, hi: float, young: float) -> GridFn:
    """A log-spaced grid from ``max(lo, young * end of the youngest window / scale)``:
    the family may not bend inside the youngest window."""
    def grid(a: FloatArray, scale: float) -> tuple[FloatArray, bool]:
        end0 = 2.0 * float(np.min(a)) / scale
        return np.geomspace(max(lo, young * end0), hi, _GRID_SIZE), True

    return grid


def _hinge_grid(a: FloatArray, scale: float) -> tuple[FloatArray, bool]:
    # breakpoints from the youngest age on: every breakpoint below it gives the same fit
    # (the shape shifts by a constant the offsets absorb) but a different level at age
    # 0, so the youngest age stands for them all (flat until the first observed age; no
    # improvement is extrapolated before it)
    ua = np.unique(a) / scale
    lo = max(float(ua[0]), 0.0)
    hi = ua[-3] if len(ua) >= 3 else ua[0]
    return np.linspace(lo, max(float(hi), lo), _GRID_SIZE), False


def _explosive_grid(a: FloatArray, scale: float) -> tuple[FloatArray, bool]:
    # the growth scale s of b (e^(a/s) - 1): at least the youngest window's end (no bend
    # inside it) and at least half the span of the three oldest ages, so that the
    # third-oldest still carries e^-2 of the oldest one's deviation: a growth is seen by
    # the oldest ages together, not fitted to the oldest window alone (as the hinge's
    # breakpoint stops at the third-oldest age)
    ua = np.unique(a) / scale
    end0 = 2.0 * float(ua[0])
    tail = 0.5 * float(ua[-1] - ua[-3]) if len(ua) >= 3 else end0
    return np.geomspace(max(end0, tail, 1e-3), 50.0, _GRID_SIZE), True


def _quadratic_crossing(p: Mapping[str, Any], m: Any, sgn: float) -> Any:
    bq = sgn * np.asarray(p["b"], dtype=float)
    cq = sgn * np.asarray(p["c"], dtype=float)
    disc = bq * bq + 4.0 * cq * m
    root = np.sqrt(np.maximum(disc, 0.0))
    den = bq + root
    ok = (disc >= 0) & (den > 0)
    return np.where(ok, 2.0 * m / np.where(ok, den, 1.0), np.inf)


def _exponential_inverse(p: Mapping[str, Any], r: Any) -> Any:
    ok = r < 1
    return np.where(ok, -p["s"] * np.log1p(-np.where(ok, r, 0.0)), np.inf)


# ======================================================================= the families
LINEAR = CurveFamily(
    name="linear", params=("b",), n_shape=1,
    basis=lambda u, _: u[:, None],
    to_user=lambda coef, phi, scale: {"b": coef[..., 0] / scale},
    shape=lambda p, a: p["b"] * a,
    crossing=amplitude_crossing("b", lambda p, r: r),
)
QUADRATIC = CurveFamily(
    name="quadratic", params=("b", "c"), n_shape=2,
    basis=lambda u, _: np.column_stack([u, u * u]),
    to_user=lambda coef, phi, scale: {"b": coef[..., 0] / scale,
                                      "c": coef[..., 1] / scale**2},
    shape=lambda p, a: p["b"] * a + p["c"] * a * a,
    crossing=_quadratic_crossing,
)
EXPONENTIAL = CurveFamily(
    name="exponential", params=("d", "s"), n_shape=2,
    basis=lambda u, s: -np.expm1(-u / s),
    grid=bounded_log_grid(0.02, 50.0, 2.0),
    to_user=lambda coef, phi, scale: {"d": coef[..., 0], "s": phi * scale},
    shape=lambda p, a: -p["d"] * np.expm1(-a / p["s"]),
    crossing=amplitude_crossing("d", _exponential_inverse),
)
POWER = CurveFamily(
    name="power", params=("b", "beta"), n_shape=2,
    basis=lambda u, beta: u**beta,
    grid=log_grid(0.5, 8.0),
    to_user=lambda coef, phi, scale: {"b": coef[..., 0] / scale**phi, "beta": phi},
    shape=lambda p, a: p["b"] * np.power(a, p["beta"]),
    crossing=amplitude_crossing(
        "b", lambda p, r: np.power(r, 1.0 / np.asarray(p["beta"], dtype=float))),
)
LOGARITHMIC = CurveFamily(
    name="logarithmic", params=("b", "k"), n_shape=2,
    basis=lambda u, k: np.log1p(u / k),
    grid=bounded_log_grid(0.002, 50.0, 0.5),
    to_user=lambda coef, phi, scale: {"b": coef[..., 0], "k": phi * scale},
    shape=lambda p, a: p["b"] * np.log1p(a / p["k"]),
    crossing=amplitude_crossing("b", lambda p, r: p["k"] * np.expm1(r)),
)
HINGE = CurveFamily(
    name="hinge", params=("b", "h"), n_shape=2,
    basis=lambda u, h: np.maximum(0.0, u - h),
    grid=_hinge_grid,
    to_user=lambda coef, phi, scale: {"b": coef[..., 0] / scale, "h": phi * scale},
    shape=lambda p, a: p["b"] * np.maximum(0.0, a - p["h"]),
    crossing=amplitude_crossing("b", lambda p, r: p["h"] + r),
)
# flat, then accelerating: e^(a/s) grows by e per s; f(0) = 0 and the slope at age 0 is
# b / s, so the scale's lower bound keeps it from bending where no window is
EXPLOSIVE = CurveFamily(
    name="explosive", params=("b", "s"), n_shape=2,
    basis=lambda u, s: np.expm1(u / s),
    grid=_explosive_grid,
    to_user=lambda coef, phi, scale: {"b": coef[..., 0], "s": phi * scale},
    shape=lambda p, a: p["b"] * np.expm1(a / p["s"]),
    crossing=amplitude_crossing("b", lambda p, r: p["s"] * np.log1p(r)),
)
LOGISTIC = CurveFamily(
    name="logistic", params=("d", "m", "w"), n_shape=3,
    shape=logistic_shape, crossing=logistic_crossing,
    fit=logistic_fit, refit=logistic_refit, warm_fit=logistic_warm_fit,
    window_shape=lambda p, a, half: p["d"] * window_basis(
        np.asarray(a, dtype=float), np.asarray(half, dtype=float), np.array([p["m"]]),
        np.array([p["w"]]))[:, 0],
)
# monotone, no shape assumed; counted as 2 shape parameters for the minimum windows
ISOTONIC = CurveFamily(
    name="isotonic", params=(), n_shape=2,
    shape=knot_shape, crossing=knot_crossing,
    fit=isotonic_fit, refit=isotonic_refit,
    parametric=False, delta_method=False,
)

_BUILTIN = (LINEAR, QUADRATIC, EXPONENTIAL, POWER, LOGARITHMIC, HINGE, EXPLOSIVE,
            LOGISTIC, ISOTONIC)

#: Every family by name, in the order ``FAMILIES`` lists them (ties in AICc go to the
#: earlier one among equally many shape parameters). The one list of families.
REGISTRY: dict[str, CurveFamily] = {f.name: f for f in _BUILTIN}


def flexible_family() -> CurveFamily:
    """The shape that decides when no parametric family fits (``curve="auto"``'s
    lack-of-fit rule): the monotone isotonic record."""
    return ISOTONIC


def get_family(name: str) -> CurveFamily:
    """The record of the family ``name`` (KeyError when there is none)."""
    return REGISTRY[name]


def family_names() -> tuple[str, ...]:
    """Names of every registered family."""
    return tuple(REGISTRY)


def parametric_family_names() -> tuple[str, ...]:
    """Names of the families ``curve="auto"`` chooses from."""
    return tuple(name for name, f in REGISTRY.items() if f.parametric)


#: Every curve family :func:`~oot.degradation.fit_degradation` knows
#: (``curve="auto"`` picks among the parametric ones by AICc).
FAMILIES: tuple[str, ...] = family_names()
#: The families ``curve="auto"`` chooses from.
PARAMETRIC_FAMILIES: tuple[str, ...] = parametric_family_names()
