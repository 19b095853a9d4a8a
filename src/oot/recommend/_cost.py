"""The cost-optimal cadence under the age-replacement model: :func:`cost_optimal_interval`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["cost_optimal_interval", "CostOptimum"]


@dataclass(frozen=True)
class CostOptimum:
    """The age-replacement optimum of :func:`cost_optimal_interval`.

    Attributes
    ----------
    interval : float or None
        The cost-optimal retraining interval ``T*`` (in the shortfall's age units), or
        None when the cost rate keeps falling up to ``max_age`` (no finite optimum there).
    cost_rate : float
        Long-run cost per unit time at ``interval`` (at ``max_age`` when None).
    message : str
        A sentence that says what was found.
    """

    interval: float | None
    cost_rate: float
    message: str


def cost_optimal_interval(
    shortfall: Callable[[np.ndarray], np.ndarray],
    *,
    retrain_cost: float,
    shortfall_cost: float,
    max_age: float,
    n_grid: int = 4001,
) -> CostOptimum:
    """Cost-optimal retraining interval under the age-replacement model.

    Retraining every ``T`` costs, per unit time,
    ``g(T) = (C + c * integral_0^T s(a) da) / T`` with ``C = retrain_cost``,
    ``c = shortfall_cost`` and ``s`` the shortfall of the metric below its baseline at
    model age ``a``. The optimum satisfies ``T s(T) - integral_0^T s = C / c``.

    Parameters
    ----------
    shortfall : callable
        Vectorised ``s(a) >= 0`` on ages (floats).
    retrain_cost : float
        Cost of one retraining, ``C > 0``.
    shortfall_cost : float
        Cost per unit of metric shortfall per unit time, ``c > 0``.
    max_age : float
        Search ``T`` in ``(0, max_age]``.
    n_grid : int, default=4001
        Grid points for the integral and the first search (then refined).

    Returns
    -------
    CostOptimum

    Examples
    --------
    Linear shortfall ``s(a) = b a`` has ``T* = sqrt(2 C / (c b))``:

    >>> from oot.recommend import cost_optimal_interval
    >>> opt = cost_optimal_interval(lambda a: 1.0 * a, retrain_cost=2.0,
    ...                             shortfall_cost=1.0, max_age=50.0)
    >>> round(opt.interval, 6), round(opt.cost_rate, 6)
    (2.0, 2.0)
    """
    from scipy import integrate, optimize

    C, c = float(retrain_cost), float(shortfall_cost)
    grid = np.concatenate([[0.0], np.geomspace(max_age * 1e-6, max_age, n_grid - 1)])
    s = np.maximum(np.asarray(shortfall(grid), dtype=float), 0.0)
    cum = integrate.cumulative_trapezoid(s, grid, initial=0.0)
    g = (C + c * cum[1:]) / grid[1:]
    i = int(np.argmin(g))
    if i >= len(g) - 2:
        rate = float(g[-1])
        return CostOptimum(None, rate, (
            f"The cost per unit time keeps falling up to the largest age considered "
            f"({max_age:g}): with these costs, retraining for degradation alone does not "
            "pay within that range (no finite optimum there)."))

    def rate_at(T: float) -> float:
        val, _ = integrate.quad(lambda a: max(float(shortfall(np.array([a]))[0]), 0.0),
                                0.0, T, limit=200)
        return float((C + c * val) / T)

    lo = grid[max(i, 1)]
    hi = grid[min(i + 2, len(grid) - 1)]
    res = optimize.minimize_scalar(rate_at, bounds=(lo, hi), method="bounded",
                                   options={"xatol": max(1e-10, 1e-9 * hi)})
    T = float(res.x)
    rate = float(rate_at(T))
    return CostOptimum(T, rate, f"Cost-optimal interval {T:.6g} with cost rate {rate:.6g}.")
