"""A model that ages and a heuristic that does not, with the exact age at which their
expected scores cross.

The target depends on a drifting part and a stable part: ``eta = x . beta(t) + gamma z``
with ``x ~ N(0, I_p)``, ``z ~ N(0, 1)`` and ``beta(t)`` of constant length ``signal``
rotating at ``drift_rate`` radians per day in the plane of two orthonormal directions.
A model of every feature learns both parts and ages as ``beta`` turns away from what it
learned; a heuristic on the stable feature alone (a one-feature model, or the rule
``score = z``) is worse when fresh and never ages. Regression: ``y = eta + eps``;
classification (probit): ``y = 1[eta + e > 0]`` with balanced classes at every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._time import TimeKind
from .._validation import caller, check_option, check_scalar, entry_point
from ._common import FloatArray, ages_to_days, first_crossing, to_days
from ._drifting import _check_common, _times, _window_mean, _window_value

__all__ = ["HeuristicDataset", "make_heuristic_comparison"]

_METRICS = {"regression": ("mse", "rmse"), "classification": ("roc_auc", "accuracy")}
_GREATER_IS_BETTER = {"mse": False, "rmse": False, "roc_auc": True, "accuracy": True}
_CANDIDATES = ("model", "heuristic")


def _sinc(x: float) -> float:
    return 1.0 if x == 0 else float(np.sin(x) / x)


@dataclass(frozen=True, eq=False, repr=False)
class HeuristicDataset:
    """Generated data where a model ages and a heuristic does not; made by
    :func:`make_heuristic_comparison`.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per sample, in random time order: ``time``, the drifting features
        ``x0`` ... ``x{p-1}``, the stable feature ``z`` and the target ``y``.
    target, time : str
        ``"y"``, ``"time"``.
    features : list of str
        Every feature: ``["x0", ..., "x{p-1}", "z"]`` (what the model uses).
    heuristic_features : list of str
        ``["z"]`` (what the heuristic uses).
    task : {"regression", "classification"}
    time_kind : {"datetime", "numeric"}
    start : Timestamp or float
        Time origin.
    periods : float
        Span of the data in days (time units).
    coef, drift_direction : ndarray of shape (n_features,)
        ``beta(0)`` and the second axis of its plane of rotation.
    drift_rate : float
        Rotation of ``beta`` in radians per day.
    signal, stable_signal : float
        ``|beta|`` and ``gamma``.
    noise : float
        SD of ``eps`` (regression); 1, the probit's latent noise, for classification.
    train_window, eval_window : Timedelta or float
        Default window lengths of the truth methods.
    random_state : int, Generator, RandomState or None
        The seed used.

    Examples
    --------
    >>> from oot.datasets import make_heuristic_comparison
    >>> ds = make_heuristic_comparison(2000, random_state=0)
    >>> ds.frame.columns.tolist()
    ['time', 'x0', 'x1', 'x2', 'z', 'y']
    >>> ds.true_score("0D", candidate="heuristic") < ds.true_score("0D")
    True
    >>> ds.true_crossing_age().round("D")
    Timedelta('132 days 00:00:00')
    """

    frame: pd.DataFrame
    target: str
    time: str
    features: list[str]
    heuristic_features: list[str]
    task: Literal["regression", "classification"]
    time_kind: TimeKind
    start: pd.Timestamp | float
    periods: float
    coef: FloatArray
    drift_direction: FloatArray
    drift_rate: float
    signal: float
    stable_signal: float
    noise: float
    train_window: pd.Timedelta | float
    eval_window: pd.Timedelta | float
    random_state: Any = field(default=None)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics with a known truth for this task."""
        return _METRICS[self.task]

    # -- truths ---------------------------------------------------------------------
    def _resolve(self, metric: Any, train_window: Any, eval_window: Any,
                 ) -> tuple[str, float, float]:
        if metric is None:
            metric = self.metrics[0]
        check_option(metric, "metric", caller(), list(self.metrics))
        tw = self.train_window if train_window is None else train_window
        ew = self.eval_window if eval_window is None else eval_window
        return (str(metric), to_days(tw, "train_window", self.time_kind),
                to_days(ew, "eval_window", self.time_kind, allow_zero=True))

    def _curve(self, candidate: str, metric: str, L: float, w: float) -> Any:
        """The truth of ``candidate`` as a function of age in days."""
        r, g, om = self.signal, self.stable_signal, self.drift_rate
        rho = r * _sinc(om * L / 2)  # length of the window's mean coefficient vector
        if self.task == "regression":
            s2 = self.noise**2
            k = _sinc(om * w / 2)    # window mean of cos over the evaluation window

            def mse(a: FloatArray) -> FloatArray:
                if candidate == "heuristic":
                    return np.full(np.shape(a), s2 + r**2)
                out: FloatArray = s2 + r**2 + rho**2 - 2 * r * rho * k * np.cos(
                    om * (a + L / 2))
                return out

            return mse if metric == "mse" else (lambda a: np.sqrt(mse(a)))

        total = np.sqrt(1 + r**2 + g**2)
        scale, root2 = (2 / np.pi, np.sqrt(2.0)) if metric == "roc_auc" else (1 / np.pi, 1.0)
        if candidate == "heuristic":
            const = 0.5 + scale * float(np.arcsin(g / total / root2))
            return lambda a: np.full(np.shape(a), const)
        norm = np.sqrt(rho**2 + g**2) * total

        def point(x: FloatArray) -> FloatArray:  # x: distance from the training midpoint
            out: FloatArray = np.arcsin((r * rho * np.cos(om * x) + g**2) / norm / root2)
            return out

        def clf(a: FloatArray) -> FloatArray:
            res: FloatArray = 0.5 + scale * _window_mean(point, a + L / 2, w, om)
            return res

        return clf

    @entry_point("HeuristicDataset.true_score")
    def true_score(self, age: Any, *, candidate: str = "model", metric: str | None = None,
                   train_window: Any = None, eval_window: Any = None) -> Any:
        """The exact expected score of the model or the heuristic at a given age.

        Parameters
        ----------
        age : Timedelta, str, float or array-like
            Model age(s) (the heuristic's score does not depend on it).
        candidate : {"model", "heuristic"}, default="model"
            The model of every feature, fitted on a training window of
            ``train_window`` ending at its cutoff (the population fit: infinitely many
            rows), or the heuristic on ``z`` alone.
        metric : str, default=None
            Regression: ``"mse"`` (default) or ``"rmse"``; classification:
            ``"roc_auc"`` (default) or ``"accuracy"`` (threshold 1/2).
        train_window, eval_window : Timedelta, str, float or None, default=None
            Window lengths; None uses the dataset's.

        Returns
        -------
        float or ndarray

        Notes
        -----
        Write ``r`` = ``signal``, ``g`` = ``stable_signal``, ``omega`` =
        ``drift_rate``, ``L`` and ``w`` the window lengths and
        ``rho = r sin(omega L / 2) / (omega L / 2)``: least squares and logistic
        regression on a window where ``beta`` turns learn ``beta``'s window mean, a
        vector of length ``rho`` pointing at the window's midpoint (Stein's lemma for
        the logistic fit), and ``g`` for ``z``. At distance ``d = age + L/2`` from that
        midpoint:

        - regression: ``mse = noise^2 + r^2 + rho^2 - 2 r rho cos(omega d)``, pooled
          over the window ``cos(omega d) sin(omega w/2)/(omega w/2)``; the heuristic
          ``noise^2 + r^2``; ``rmse`` is the root (the limit of a window's RMSE);
        - classification: the score's correlation with the latent ``eta + e`` is
          ``c = (r rho cos(omega d) + g^2) / (sqrt(rho^2 + g^2) sqrt(1 + r^2 + g^2))``,
          ``g / sqrt(1 + r^2 + g^2)`` for the heuristic; ``roc_auc = 1/2 + (2/pi)
          asin(c / sqrt 2)`` and ``accuracy = 1/2 + (1/pi) asin(c)`` at an instant,
          averaged over the window (classes are balanced at every time).

        Examples
        --------
        >>> from oot.datasets import make_heuristic_comparison
        >>> ds = make_heuristic_comparison(100, task="regression", noise=1.0,
        ...                                stable_signal=1.0, random_state=0)
        >>> ds.true_score("90D", candidate="heuristic")   # noise^2 + signal^2
        3.25
        """
        check_option(candidate, "candidate", caller(), list(_CANDIDATES))
        name, L, w = self._resolve(metric, train_window, eval_window)
        days, scalar = ages_to_days(age, self.time_kind)
        vals = self._curve(candidate, name, L, w)(np.atleast_1d(days).astype(float))
        vals = np.asarray(vals, dtype=float).reshape(np.shape(days))
        return float(vals) if scalar else vals

    @entry_point("HeuristicDataset.true_crossing_age")
    def true_crossing_age(self, *, margin: float = 0.0, metric: str | None = None,
                          train_window: Any = None, eval_window: Any = None,
                          ) -> pd.Timedelta | float | None:
        """The age at which the model stops beating the heuristic by ``margin``.

        The smallest age at which the model's expected score is no better than the
        heuristic's by more than ``margin`` (metric units: ``model - heuristic <=
        margin`` for a higher-is-better metric, ``heuristic - model <= margin`` for a
        loss).

        Parameters
        ----------
        margin : float, default=0.0
            In metric units, at least 0.
        metric, train_window, eval_window
            As in :meth:`true_score`.

        Returns
        -------
        Timedelta, float or None
            0 when the model does not lead by the margin when fresh; None when it leads
            until its coefficients have turned half a turn away (it never falls
            behind).

        Examples
        --------
        >>> from oot.datasets import make_heuristic_comparison
        >>> ds = make_heuristic_comparison(100, task="regression", random_state=0)
        >>> a = ds.true_crossing_age()
        >>> m, h = ds.true_score(a), ds.true_score(a, candidate="heuristic")
        >>> round(m / h, 9)
        1.0
        """
        check_scalar(margin, "margin", caller(), low=0)
        name, L, w = self._resolve(metric, train_window, eval_window)
        gib = _GREATER_IS_BETTER[name]
        model = self._curve("model", name, L, w)
        heur = float(self._curve("heuristic", name, L, w)(np.zeros(1))[0])
        level = heur + margin if gib else heur - margin
        if self.drift_rate == 0:
            ahead = (model(np.zeros(1))[0] > level) if gib else (model(np.zeros(1))[0] < level)
            return None if ahead else self._age(0.0)
        hi = max(np.pi / self.drift_rate - L / 2, 1e-9)
        root = first_crossing(model, level, gib, hi)
        return None if root is None else self._age(root)

    def _age(self, days: float) -> pd.Timedelta | float:
        if self.time_kind == "numeric":
            return float(days)
        return pd.Timedelta(days=days).round("us")

    def __repr__(self) -> str:
        return (f"HeuristicDataset(task={self.task!r}, n_samples={len(self.frame)}, "
                f"n_features={len(self.features)}, drift_rate={self.drift_rate:g}, "
                f"signal={self.signal:g}, stable_signal={self.stable_signal:g}, "
                f"train_window={self.train_window!r}, eval_window={self.eval_window!r})")


@entry_point("make_heuristic_comparison")
def make_heuristic_comparison(
    n_samples: int = 20000,
    *,
    task: str = "classification",
    n_features: int = 3,
    start: Any = None,
    periods: float = 1095,
    drift_rate: float = 0.004,
    signal: float = 1.5,
    stable_signal: float = 0.8,
    noise: float = 1.0,
    train_window: Any = None,
    eval_window: Any = None,
    time_kind: str = "datetime",
    duplicate_fraction: float = 0.05,
    random_state: Any = None,
) -> HeuristicDataset:
    """Data where a model ages and a heuristic does not, with their exact crossing age.

    ``eta = x . beta(t) + stable_signal * z``: ``x ~ N(0, I)`` (``n_features``
    columns), ``z ~ N(0, 1)``, ``beta(t)`` of length ``signal`` rotating at
    ``drift_rate`` radians per day. A model of every feature beats the heuristic on
    ``z`` alone while fresh and falls behind as it ages; the heuristic's expected score
    is the same at every time (:meth:`HeuristicDataset.true_crossing_age` gives the
    age where they cross).

    Parameters
    ----------
    n_samples : int, default=20000
    task : {"classification", "regression"}, default="classification"
        Probit ``y = 1[eta + e > 0]``, or ``y = eta + eps`` with ``eps ~ N(0, noise^2)``.
    n_features : int, default=3
        Drifting features (at least 2).
    start : str, Timestamp, float or None, default=None
    periods : float, default=1095
        Span of the data in days (time units).
    drift_rate : float, default=0.004
        Radians per day.
    signal : float, default=1.5
        ``|beta|``.
    stable_signal : float, default=0.8
        The coefficient of ``z``.
    noise : float, default=1.0
        SD of the regression noise (ignored for classification).
    train_window, eval_window : Timedelta, str, float or None, default=None
        Default window lengths of the truth methods (365 and 30 days).
    time_kind : {"datetime", "numeric"}, default="datetime"
    duplicate_fraction : float, default=0.05
        Fraction of rows sharing another row's timestamp.
    random_state : int, Generator, RandomState or None, default=None

    Returns
    -------
    HeuristicDataset

    See Also
    --------
    oot.compare_candidates : Compare a model and a heuristic on the same windows.

    Examples
    --------
    >>> from oot.datasets import make_heuristic_comparison
    >>> ds = make_heuristic_comparison(3000, random_state=0)
    >>> ds.features, ds.heuristic_features
    (['x0', 'x1', 'x2', 'z'], ['z'])
    >>> round(float(ds.frame["y"].mean()), 1)
    0.5
    """
    kind, origin, L, w, rng = _check_common(
        n_samples, n_features, periods, drift_rate, duplicate_fraction, time_kind, start,
        train_window, eval_window, random_state, min_features=2)
    func = caller()
    check_option(task, "task", func, ["classification", "regression"])
    check_scalar(signal, "signal", func, low=0, low_inclusive=False)
    check_scalar(stable_signal, "stable_signal", func, low=0, low_inclusive=False)
    check_scalar(noise, "noise", func, low=0, low_inclusive=False)
    p, n = int(n_features), int(n_samples)
    q, _ = np.linalg.qr(rng.standard_normal((p, 2)))
    e1, e2 = q[:, 0], q[:, 1]
    t = _times(rng, n, float(periods), float(duplicate_fraction))
    X = rng.standard_normal((n, p))
    z = rng.standard_normal(n)
    theta = float(drift_rate) * t
    eta = float(signal) * (np.cos(theta) * (X @ e1) + np.sin(theta) * (X @ e2))
    eta += float(stable_signal) * z
    y: Any
    if task == "regression":
        y = eta + float(noise) * rng.standard_normal(n)
    else:
        y = (eta + rng.standard_normal(n) > 0).astype(np.int64)
    features = [f"x{j}" for j in range(p)]
    cols: dict[str, Any] = {"time": _time_column(t, kind, origin)}
    cols.update({f: X[:, j] for j, f in enumerate(features)})
    cols["z"] = z
    cols["y"] = y
    return HeuristicDataset(
        frame=pd.DataFrame(cols), target="y", time="time", features=[*features, "z"],
        heuristic_features=["z"], task="regression" if task == "regression" else
        "classification", time_kind=kind, start=origin, periods=float(periods),
        coef=float(signal) * e1, drift_direction=e2, drift_rate=float(drift_rate),
        signal=float(signal), stable_signal=float(stable_signal),
        noise=float(noise) if task == "regression" else 1.0,
        train_window=_window_value(L, kind), eval_window=_window_value(w, kind),
        random_state=random_state)


def _time_column(t_days: FloatArray, kind: TimeKind, origin: pd.Timestamp | float) -> Any:
    if kind == "numeric":
        assert isinstance(origin, float)
        return origin + t_days
    assert isinstance(origin, pd.Timestamp)
    secs = np.round(t_days * 86400).astype(np.int64)
    return (origin + pd.to_timedelta(secs, unit="s")).astype("datetime64[ns]")
