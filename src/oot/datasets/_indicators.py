"""Data whose loss has a known cause, for the leading indicators.

:func:`make_indicator_data` draws a binary classification problem in which one feature
(``x_cause``) drifts and its drift is what degrades an aging model, while another
(``x_noise``) drifts just as much but has no effect on the target: the first one's
indicators must track the loss and lead it, the second one's must not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._validation import as_generator, caller, check_option, check_scalar, entry_point

__all__ = ["IndicatorDataset", "make_indicator_data"]


@dataclass(frozen=True, eq=False, repr=False)
class IndicatorDataset:
    """Generated data with a known cause of degradation (:func:`make_indicator_data`).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per sample, in random time order: ``ts`` (datetime64[ns]), the features
        ``x_cause``, ``x_noise``, ``x1``, ``x2`` and the 0/1 target ``y``.
    target, time : str
        ``"y"`` and ``"ts"``.
    features : list of str
    cause : str
        The feature whose drift causes the loss: ``"x_cause"``.
    distractor : str
        The feature that drifts without any effect on the target: ``"x_noise"``.
    drift : {"concept", "covariate"}
        How ``x_cause`` degrades the model (see :func:`make_indicator_data`).
    start : Timestamp
        Time origin; the rows span ``n_days`` from it.
    n_days : float
    """

    frame: pd.DataFrame
    target: str
    time: str
    features: list[str]
    cause: str
    distractor: str
    drift: Literal["concept", "covariate"]
    start: pd.Timestamp
    n_days: float

    def __repr__(self) -> str:
        return (f"IndicatorDataset(n_samples={len(self.frame)}, drift={self.drift!r}, "
                f"cause={self.cause!r}, distractor={self.distractor!r})")


@entry_point("make_indicator_data")
def make_indicator_data(
    n_samples: int = 20000,
    *,
    drift: str = "concept",
    n_days: float = 720.0,
    cause_speed: float = 1.0,
    noise_shift: float = 0.6,
    start: Any = "2020-01-01",
    random_state: Any = None,
) -> IndicatorDataset:
    """Binary classification data in which the drift of one feature degrades an aging
    model and the drift of another does not.

    The features ``x1``, ``x2`` are standard normal at all times. ``x_cause`` is normal
    with a mean that moves at ``cause_speed`` per year (standard deviation 0.25) and
    ``x_noise`` is normal with standard deviation 1 and a mean that jumps, in each
    30-day period from ``start``, to a fresh draw from ``N(0, noise_shift^2)``: it
    drifts, in every window, by as much as the cause but without any trend, and has no
    effect on the target.

    * ``drift="concept"``: the target is Bernoulli with log-odds ``2 (cos(phi) x1 +
      sin(phi) x2)``, ``phi = pi/4 * x_cause``: as ``x_cause`` moves, the direction
      that separates the classes turns, so a model fitted on older rows ranks newer
      ones worse (retraining restores it), while its predictions keep their
      distribution (the prediction drift and the expected scores do not see it).
    * ``drift="covariate"``: the log-odds are ``1.5 (x_cause - c) + x1`` at all times
      (``c`` the mean of ``x_cause`` in the middle of the span), while the standard
      deviation of ``x_cause`` shrinks from 1.5 to 0.5 over the span: a logistic model
      stays calibrated (the covariates move, the conditional probability does not) and
      its ROC AUC falls as the classes mix; its expected ROC AUC from the
      probabilities follows the realized one.

    Parameters
    ----------
    n_samples : int, default=20000
    drift : {"concept", "covariate"}, default="concept"
    n_days : float, default=720.0
        Span of the data in days.
    cause_speed : float, default=1.0
        How far the mean of ``x_cause`` moves per year (in units of ``x_cause``).
    noise_shift : float, default=0.6
        Standard deviation of the monthly jumps of the mean of ``x_noise``.
    start : date, default="2020-01-01"
    random_state : int, Generator or None, default=None

    Returns
    -------
    IndicatorDataset

    Examples
    --------
    >>> from oot.datasets import make_indicator_data
    >>> sim = make_indicator_data(1000, random_state=0)
    >>> sim.frame.columns.tolist()
    ['ts', 'x_cause', 'x_noise', 'x1', 'x2', 'y']
    >>> sim.cause, sim.distractor
    ('x_cause', 'x_noise')
    """
    func = caller()
    check_scalar(n_samples, "n_samples", func, kind="int", low=1)
    check_option(drift, "drift", func, ["concept", "covariate"])
    check_scalar(n_days, "n_days", func, low=0, low_inclusive=False)
    check_scalar(cause_speed, "cause_speed", func, low=0)
    check_scalar(noise_shift, "noise_shift", func, low=0)
    origin = pd.Timestamp(start)
    rng = as_generator(random_state)
    n = int(n_samples)
    seconds = rng.integers(0, max(round(float(n_days) * 86400), 1), size=n)
    seconds[0] = 0  # the data start at midnight: calendar windows from the start
    t = seconds / 86400.0
    x1 = rng.standard_normal(n)
    x2 = rng.standard_normal(n)
    period = (t // 30.0).astype(np.int64)
    offsets = rng.normal(0.0, float(noise_shift), size=int(period.max()) + 1)
    x_noise = offsets[period] + rng.standard_normal(n)
    z = rng.standard_normal(n)
    if drift == "concept":
        x_cause = float(cause_speed) * t / 365.25 + 0.25 * z
        phi = np.pi / 4.0 * x_cause
        logit = 2.0 * (np.cos(phi) * x1 + np.sin(phi) * x2)
    else:
        sd = 1.5 - t / float(n_days)
        x_cause = float(cause_speed) * t / 365.25 + sd * z
        mid = float(cause_speed) * float(n_days) / 2.0 / 365.25
        logit = 1.5 * (x_cause - mid) + x1
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    ts = (origin + pd.to_timedelta(seconds, unit="s")).astype("datetime64[ns]")
    frame = pd.DataFrame({"ts": ts, "x_cause": x_cause, "x_noise": x_noise, "x1": x1,
                          "x2": x2, "y": y})
    return IndicatorDataset(frame, "y", "ts", ["x_cause", "x_noise", "x1", "x2"],
                            "x_cause", "x_noise", "concept" if drift == "concept"
                            else "covariate", origin, float(n_days))
