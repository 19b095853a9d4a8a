"""Row-level data whose coefficients drift at a known rate, with exact score truths.

Regression: ``y = x . beta(t) + eps``, ``x ~ N(0, I_p)``, ``eps ~ N(0, noise^2)``,
``beta(t) = coef + drift_rate * t * u`` (``t`` in days since ``start``, ``u`` a unit vector).

Classification (probit): ``y = 1[x . beta(t) + e > 0]``, ``e ~ N(0, 1)``, with ``beta(t)`` of
constant length ``signal`` rotating at ``drift_rate`` radians per day in the plane of two
orthonormal directions. Both classes have probability 1/2 at every time.

The truths are for the population fit (infinitely many training rows) on a training window
of length ``L`` ending at the cutoff, with rows arriving uniformly in time; they depend on the
model's age only, not on where the cutoff is.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._time import TimeKind
from .._validation import (
    InvalidParameterError,
    as_generator,
    caller,
    check_option,
    check_scalar,
    entry_point,
    param_message,
)
from ._common import (
    FloatArray,
    ages_to_days,
    check_start,
    check_time_kind,
    check_tolerance,
    first_crossing,
    threshold,
    to_days,
)

__all__ = ["DriftingDataset", "make_drifting_regression", "make_drifting_classification"]

_REGRESSION_METRICS = ("mse", "rmse", "mae")
_CLASSIFICATION_METRICS = ("roc_auc", "accuracy")
_GREATER_IS_BETTER = {"mse": False, "rmse": False, "mae": False, "roc_auc": True,
                      "accuracy": True}
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(32)


def _window_mean(
    fun: Any, centre: FloatArray, width: float, rate: float
) -> FloatArray:
    """Mean of ``fun`` over ``[centre - width/2, centre + width/2]`` (elementwise).

    Composite Gauss-Legendre with 32 nodes per piece and one piece per 0.25 radian of
    rotation: exact to machine precision for the smooth integrands used here.
    """
    if width == 0:
        out: FloatArray = fun(centre)
        return out
    pieces = max(1, int(np.ceil(abs(rate) * width / 0.25)))
    edges = np.linspace(-width / 2, width / 2, pieces + 1)
    half = (edges[1:] - edges[:-1]) / 2
    mids = (edges[1:] + edges[:-1]) / 2
    offsets = (mids[:, None] + half[:, None] * _GL_NODES[None, :]).ravel()
    weights = (half[:, None] * _GL_WEIGHTS[None, :]).ravel() / width
    vals = fun(centre[..., None] + offsets)
    res: FloatArray = vals @ weights
    return res


@dataclass(frozen=True, eq=False, repr=False)
class DriftingDataset:
    """Generated data with a known degradation; made by :func:`make_drifting_regression`
    or :func:`make_drifting_classification`.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per sample, in random time order: ``time`` (datetime64[ns], or float for
        ``time_kind="numeric"``), the features ``x0`` ... ``x{p-1}`` and the target ``y``
        (float for regression, 0/1 int for classification).
    target : str
        ``"y"``.
    time : str
        ``"time"``.
    features : list of str
        ``["x0", ..., "x{p-1}"]``.
    task : {"regression", "classification"}
    time_kind : {"datetime", "numeric"}
    start : Timestamp or float
        Time origin (``t = 0``); the rows span ``[start, start + periods)``.
    periods : float
        Span of the data, in days (time units for numeric time).
    coef : ndarray of shape (n_features,)
        ``beta(0)``.
    drift_direction : ndarray of shape (n_features,)
        Unit vector: the drift direction ``u`` (regression), or the second axis of the
        plane of rotation, orthogonal to ``coef`` (classification).
    drift_rate : float
        Coefficient change per day (regression) or rotation in radians per day
        (classification).
    noise : float
        Standard deviation of the noise: ``eps`` (regression), the probit latent noise
        (classification, always 1).
    train_window, eval_window : Timedelta or float
        Default training and evaluation window lengths for :meth:`true_score` and
        :meth:`true_crossing_age`.
    random_state : int, Generator, RandomState or None
        The seed used.

    Examples
    --------
    >>> from oot.datasets import make_drifting_classification
    >>> ds = make_drifting_classification(1000, random_state=0)
    >>> ds.frame.shape
    (1000, 7)
    >>> ds.metrics
    ('roc_auc', 'accuracy')
    >>> ds.true_score(["0D", "90D", "180D"]).round(3)
    array([0.809, 0.781, 0.744])
    """

    frame: pd.DataFrame
    target: str
    time: str
    features: list[str]
    task: Literal["regression", "classification"]
    time_kind: TimeKind
    start: pd.Timestamp | float
    periods: float
    coef: FloatArray
    drift_direction: FloatArray
    drift_rate: float
    noise: float
    train_window: pd.Timedelta | float
    eval_window: pd.Timedelta | float
    random_state: Any = field(default=None)

    # -- coefficients ---------------------------------------------------------------
    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics with a known truth for this task."""
        return _REGRESSION_METRICS if self.task == "regression" else _CLASSIFICATION_METRICS

    def coef_at(self, days: Any) -> FloatArray:
        """The true coefficients ``beta(t)`` at ``t`` days (time units) after ``start``.

        Parameters
        ----------
        days : float or array-like of float
            Time since ``start``, in days.

        Returns
        -------
        ndarray of shape (n_features,) or (n, n_features)

        Examples
        --------
        >>> from oot.datasets import make_drifting_regression
        >>> ds = make_drifting_regression(100, n_features=2, coef=[1.0, 0.0],
        ...                               drift_direction=[0.0, 1.0], drift_rate=0.01,
        ...                               random_state=0)
        >>> ds.coef_at(100.0)
        array([1., 1.])
        """
        t = np.asarray(days, dtype=float)
        if self.task == "regression":
            out: FloatArray = self.coef + (self.drift_rate * t)[..., None] * self.drift_direction
            return out
        theta = (self.drift_rate * t)[..., None]
        rot: FloatArray = np.cos(theta) * self.coef + np.sin(theta) * (
            np.linalg.norm(self.coef) * self.drift_direction
        )
        return rot

    # -- truths -----------------------------------------------------------------------
    def _resolve(
        self, metric: Any, train_window: Any, eval_window: Any
    ) -> tuple[str, float, float]:
        if metric is None:
            metric = self.metrics[0]
        check_option(metric, "metric", caller(), list(self.metrics))
        tw = self.train_window if train_window is None else train_window
        ew = self.eval_window if eval_window is None else eval_window
        L = to_days(tw, "train_window", self.time_kind)
        w = to_days(ew, "eval_window", self.time_kind, allow_zero=True)
        return str(metric), L, w

    def _curve(self, metric: str, L: float, w: float) -> Any:
        """The truth as a function of age in days (float array in, float array out)."""
        r = self.drift_rate
        if self.task == "regression":
            s2 = self.noise**2

            def mse(a: FloatArray) -> FloatArray:
                d = a + L / 2
                out: FloatArray = s2 + r**2 * (d**2 + w**2 / 12)
                return out

            if metric == "mse":
                return mse
            if metric == "rmse":
                return lambda a: np.sqrt(mse(a))

            sigma = self.noise

            def mae(a: FloatArray) -> FloatArray:
                d = a + L / 2
                if r == 0:
                    flat: FloatArray = np.full_like(d, np.sqrt(2 / np.pi) * sigma)
                    return flat
                if w == 0:
                    inst: FloatArray = np.sqrt(2 / np.pi) * np.sqrt(s2 + r**2 * d**2)
                    return inst

                def prim(x: FloatArray) -> FloatArray:  # integral of sqrt(s2 + r^2 x^2)
                    out: FloatArray = (
                        x * np.sqrt(s2 + r**2 * x**2) + s2 / r * np.arcsinh(r * x / sigma)
                    ) / 2
                    return out

                res: FloatArray = (
                    np.sqrt(2 / np.pi) * (prim(d + w / 2) - prim(d - w / 2)) / w
                )
                return res

            return mae

        m = float(np.linalg.norm(self.coef))
        if metric == "roc_auc":
            k = m / np.sqrt(2 * (1 + m**2))
            scale = 2 / np.pi
        else:  # accuracy
            k = m / np.sqrt(1 + m**2)
            scale = 1 / np.pi

        def point(x: FloatArray) -> FloatArray:
            out: FloatArray = np.arcsin(k * np.cos(r * x))
            return out

        def clf(a: FloatArray) -> FloatArray:
            res: FloatArray = 0.5 + scale * _window_mean(point, a + L / 2, w, r)
            return res

        return clf

    @entry_point("DriftingDataset.true_score")
    def true_score(
        self,
        age: Any,
        *,
        metric: str | None = None,
        train_window: Any = None,
        eval_window: Any = None,
    ) -> Any:
        """The exact expected score of a model of a given age.

        The model is the population fit (infinitely many rows) on a training window of
        length ``train_window`` ending at its cutoff; it is scored on an evaluation window of
        length ``eval_window`` whose midpoint is ``age`` after the cutoff (pooled over the
        window's rows, as :func:`oot.evaluate_out_of_time` scores a window).

        Parameters
        ----------
        age : Timedelta, str, float or array-like
            Model age(s): Timedeltas or strings such as ``"30D"``, or numbers of days (time
            units for numeric time).
        metric : str, default=None
            Regression: ``"mse"`` (default), ``"rmse"``, ``"mae"``. Classification:
            ``"roc_auc"`` (default), ``"accuracy"`` (at probability threshold 1/2).
        train_window, eval_window : Timedelta, str, float or None, default=None
            Window lengths; ``None`` uses the dataset's. ``eval_window=0`` gives the score at
            an instant.

        Returns
        -------
        float or ndarray of float
            A float for a scalar age, else an array of the shape of ``age``.

        Notes
        -----
        Write ``L`` for ``train_window``, ``w`` for ``eval_window`` (days), ``r`` for
        ``drift_rate`` and ``d = age + L/2``: the distance from the training rows'
        time-mean, where the fitted coefficients sit, to the evaluation window's midpoint.

        **Regression.** OLS on a window with uniform arrival and ``x ~ N(0, I)`` estimates
        the window's mean coefficients ``beta(c - L/2)``. At time ``c + s`` the error is
        ``eps + x . (beta(c+s) - beta(c-L/2))`` ~ ``N(0, noise^2 + r^2 (s + L/2)^2)``, so

        - ``mse = noise^2 + r^2 (d^2 + w^2/12)``;
        - ``rmse = sqrt(mse)``: the limit of a window's RMSE as its rows grow (for ``n`` rows
          it is biased low by ``O(1/n)``);
        - ``mae = sqrt(2/pi) * mean over the window of sqrt(noise^2 + r^2 s^2)``, integrated
          in closed form.

        All truths assume rows arrive uniformly in time (as generated) and that the
        training window lies inside the data. A fit on ``n`` training rows adds about
        ``(noise^2 + r^2 L^2/12) p / n`` to the MSE.

        **Classification.** For ``x ~ N(0, I)``, Stein's lemma makes the population logistic
        regression (and least squares on ``y``) point along the training rows' mean of
        ``beta(t) / sqrt(1 + |beta(t)|^2)``: the direction of ``beta`` at the window's
        midpoint, rotated by ``omega (s + L/2)`` from the truth at time ``c + s`` (``omega``
        = ``drift_rate``, ``m`` = ``signal``). With the zero-mean trivariate normal orthant
        probability (Sheppard), at one instant

        - ``roc_auc = 1/2 + (2/pi) asin(m cos(omega d) / sqrt(2 (1 + m^2)))``;
        - ``accuracy = 1/2 + (1/pi) asin(m cos(omega d) / sqrt(1 + m^2))``.

        Both classes have probability 1/2 at every time, so the pooled window values are the
        window means of the ``asin`` terms, integrated by Gauss-Legendre quadrature to
        machine precision. AUC is the same for any score monotone in the fitted linear
        predictor.

        Examples
        --------
        >>> from oot.datasets import make_drifting_regression
        >>> ds = make_drifting_regression(1000, drift_rate=0.002, noise=1.0,
        ...                               train_window="100D", random_state=0)
        >>> ds.true_score(0, eval_window=0)   # 1 + (0.002 * 50)^2
        1.01
        >>> ds.true_score("150D", eval_window="60D")   # 1 + 0.002^2 (200^2 + 60^2/12)
        1.1612
        """
        name, L, w = self._resolve(metric, train_window, eval_window)
        days, scalar = ages_to_days(age, self.time_kind)
        vals = self._curve(name, L, w)(np.atleast_1d(days).astype(float))
        vals = np.asarray(vals, dtype=float).reshape(np.shape(days))
        return float(vals) if scalar else vals

    @entry_point("DriftingDataset.true_crossing_age")
    def true_crossing_age(
        self,
        tolerance: float,
        *,
        tolerance_type: str = "relative",
        metric: str | None = None,
        train_window: Any = None,
        eval_window: Any = None,
        baseline: Any = "age0",
    ) -> pd.Timedelta | float | None:
        """The exact age at which the true score reaches the retraining threshold.

        The threshold is ``baseline * (1 - tolerance)`` for a higher-is-better metric
        (ROC AUC, accuracy) and ``baseline * (1 + tolerance)`` for a lower-is-better one
        (MSE, RMSE, MAE); ``baseline -/+ tolerance`` with ``tolerance_type="absolute"``.

        Parameters
        ----------
        tolerance : float
            In (0, 1) for ``tolerance_type="relative"``, positive for ``"absolute"``.
        tolerance_type : {"relative", "absolute"}, default="relative"
        metric : str, default=None
            As in :meth:`true_score`.
        train_window, eval_window : Timedelta, str, float or None, default=None
            As in :meth:`true_score`.
        baseline : "age0" or float, default="age0"
            ``"age0"``: the true score at age 0 with the same windows.

        Returns
        -------
        Timedelta, float or None
            The smallest age >= 0 at which the true score reaches the threshold (a Timedelta
            for datetime time, a number for numeric time; 0 if it starts past it), or
            ``None`` when it never does (no drift; or, for classification, not before the
            fitted direction is half a turn from the truth, where the AUC is lowest).
            Closed form for MSE and RMSE; otherwise Brent's method on a bracketing grid.

        Examples
        --------
        >>> from oot.datasets import make_drifting_regression
        >>> ds = make_drifting_regression(1000, drift_rate=0.002, train_window="100D",
        ...                               eval_window=0, random_state=0)
        >>> age = ds.true_crossing_age(0.05)   # 1 + (0.002 (a + 50))^2 = 1.01 * 1.05
        >>> age.round("s")
        Timedelta('72 days 23:36:35')
        >>> round(ds.true_score(age, eval_window=0) / ds.true_score(0, eval_window=0), 12)
        1.05
        """
        check_tolerance(tolerance, tolerance_type)
        name, L, w = self._resolve(metric, train_window, eval_window)
        if not (
            baseline == "age0"
            if isinstance(baseline, str)
            else isinstance(baseline, numbers.Real)
            and not isinstance(baseline, bool)
            and np.isfinite(float(baseline))
        ):
            raise InvalidParameterError(
                param_message("baseline", None, "'age0' or a finite number", baseline)
            )
        curve = self._curve(name, L, w)
        base = float(curve(np.zeros(1))[0]) if isinstance(baseline, str) else float(baseline)
        gib = _GREATER_IS_BETTER[name]
        level = threshold(base, float(tolerance), str(tolerance_type), gib)
        at0 = float(curve(np.zeros(1))[0])
        if (at0 <= level) if gib else (at0 >= level):
            return self._age(0.0)
        r = self.drift_rate
        if r == 0:
            return None
        if self.task == "regression":
            s2 = self.noise**2
            if name in ("mse", "rmse"):
                mse_level = level if name == "mse" else level**2
                d2 = (mse_level - s2) / r**2 - w**2 / 12
                return self._age(float(np.sqrt(d2) - L / 2))
            # mae >= sqrt(2/pi) sqrt(noise^2 + r^2 d^2) (Jensen): bracket from that bound
            d_hi = np.sqrt(max(level**2 * np.pi / 2 - s2, 0.0)) / r
            hi = 1.01 * max(d_hi - L / 2, 0.0) + 1.0
        else:
            hi = max(np.pi / r - L / 2, 1e-9)
        root = first_crossing(curve, level, gib, hi)
        return None if root is None else self._age(root)

    def _age(self, days: float) -> pd.Timedelta | float:
        if self.time_kind == "numeric":
            return float(days)
        return pd.Timedelta(days=days).round("us")

    def __repr__(self) -> str:
        return (
            f"DriftingDataset(task={self.task!r}, n_samples={len(self.frame)}, "
            f"n_features={len(self.features)}, time_kind={self.time_kind!r}, "
            f"periods={self.periods:g}, drift_rate={self.drift_rate:g}, "
            f"noise={self.noise:g}, train_window={self.train_window!r}, "
            f"eval_window={self.eval_window!r})"
        )


# -- generators -------------------------------------------------------------------------
def _check_common(
    n_samples: Any,
    n_features: Any,
    periods: Any,
    drift_rate: Any,
    duplicate_fraction: Any,
    time_kind: Any,
    start: Any,
    train_window: Any,
    eval_window: Any,
    random_state: Any,
    min_features: int = 1,
) -> tuple[TimeKind, pd.Timestamp | float, float, float, np.random.Generator]:
    func = caller()
    check_scalar(n_samples, "n_samples", func, kind="int", low=1)
    check_scalar(n_features, "n_features", func, kind="int", low=min_features)
    check_scalar(periods, "periods", func, low=0, low_inclusive=False)
    check_scalar(drift_rate, "drift_rate", func, low=0)
    check_scalar(duplicate_fraction, "duplicate_fraction", func, low=0, high=1,
                 high_inclusive=False)
    kind = check_time_kind(time_kind)
    origin = check_start(start, kind)
    L = 365.0 if train_window is None else to_days(train_window, "train_window", kind)
    w = (30.0 if eval_window is None
         else to_days(eval_window, "eval_window", kind, allow_zero=True))
    rng = as_generator(random_state)
    return kind, origin, L, w, rng


def _times(
    rng: np.random.Generator, n: int, periods: float, duplicate_fraction: float
) -> FloatArray:
    """Row times in days since start: uniform at one-second resolution, some repeated."""
    seconds = rng.integers(0, max(round(periods * 86400), 1), size=n)
    dup = np.flatnonzero(rng.random(n) < duplicate_fraction)
    if dup.size:
        seconds[dup] = seconds[rng.integers(0, n, size=dup.size)]
    days: FloatArray = seconds / 86400.0
    return days


def _frame(
    t_days: FloatArray, X: FloatArray, y: Any, kind: TimeKind, origin: pd.Timestamp | float
) -> tuple[pd.DataFrame, list[str]]:
    features = [f"x{j}" for j in range(X.shape[1])]
    if kind == "numeric":
        assert isinstance(origin, float)
        time: Any = origin + t_days
    else:
        assert isinstance(origin, pd.Timestamp)
        secs = np.round(t_days * 86400).astype(np.int64)
        time = (origin + pd.to_timedelta(secs, unit="s")).astype("datetime64[ns]")
    cols: dict[str, Any] = {"time": time}
    cols.update({f: X[:, j] for j, f in enumerate(features)})
    cols["y"] = y
    return pd.DataFrame(cols), features


def _unit_vector(value: Any, param: str, p: int) -> FloatArray | None:
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=float)
    except (ValueError, TypeError) as exc:
        raise InvalidParameterError(
            param_message(param, None, f"an array-like of {p} finite floats or None", value)
        ) from exc
    if arr.shape != (p,) or not np.all(np.isfinite(arr)):
        raise InvalidParameterError(
            param_message(param, None, f"an array-like of {p} finite floats or None", value,
                          "Give one value per feature (n_features).")
        )
    return arr


def _window_value(days: float, kind: TimeKind) -> pd.Timedelta | float:
    return float(days) if kind == "numeric" else pd.Timedelta(days=days)


@entry_point("make_drifting_regression")
def make_drifting_regression(
    n_samples: int = 20000,
    *,
    n_features: int = 5,
    start: Any = None,
    periods: float = 730,
    drift_rate: float = 0.001,
    noise: float = 1.0,
    coef: Any = None,
    drift_direction: Any = None,
    train_window: Any = None,
    eval_window: Any = None,
    time_kind: str = "datetime",
    duplicate_fraction: float = 0.05,
    random_state: Any = None,
) -> DriftingDataset:
    """Regression data whose coefficients drift linearly in time, with known truth.

    ``y = x . beta(t) + eps`` with ``x ~ N(0, I)``, ``eps ~ N(0, noise^2)`` and
    ``beta(t) = coef + drift_rate * t * u``, ``t`` the row's time in days since ``start``
    and ``u`` a unit vector. A model of age ``a`` trained on ``L`` days then has expected
    MSE ``noise^2 + drift_rate^2 (a + L/2)^2`` (see :meth:`DriftingDataset.true_score`).

    Parameters
    ----------
    n_samples : int, default=20000
        Number of rows.
    n_features : int, default=5
        Number of features ``x0`` ... ``x{p-1}``, independent standard normals.
    start : str, Timestamp, float or None, default=None
        Time origin: ``"2020-01-01"`` for datetime time, ``0.0`` for numeric time.
    periods : float, default=730
        Span of the data in days (time units for numeric time); row times are uniform on
        ``[start, start + periods)``.
    drift_rate : float, default=0.001
        ``r``: how fast the coefficients move, in coefficient units per day (length of
        ``d beta / dt``). 0 gives no degradation.
    noise : float, default=1.0
        Standard deviation of ``eps``: the MSE of a model that is never stale.
    coef : array-like of shape (n_features,) or None, default=None
        ``beta(0)``; ``None`` draws it from ``N(0, I)``. The truths do not depend on it.
    drift_direction : array-like of shape (n_features,) or None, default=None
        The direction ``u`` of drift (normalised); ``None`` draws a random one.
    train_window : Timedelta, str, float or None, default=None
        Default training-window length used by the truth methods; ``None``: 365 days
        (365 time units for numeric time).
    eval_window : Timedelta, str, float or None, default=None
        Default evaluation-window length used by the truth methods (0: an instant);
        ``None``: 30 days (30 time units).
    time_kind : {"datetime", "numeric"}, default="datetime"
        ``"datetime"``: ``time`` is datetime64[ns] at one-second resolution; ``"numeric"``:
        a float, days since ``start``.
    duplicate_fraction : float, default=0.05
        Fraction of rows that copy another row's timestamp, so that times repeat (the
        times stay uniform).
    random_state : int, Generator, RandomState or None, default=None
        Seed for reproducible output.

    Returns
    -------
    DriftingDataset
        ``.frame`` with columns ``time``, ``x0`` ... ``x{p-1}``, ``y`` in random time order;
        ``.true_score(age, ...)`` and ``.true_crossing_age(tolerance, ...)``.

    Raises
    ------
    InvalidParameterError
        For an argument of the wrong type or out of range.

    See Also
    --------
    make_drifting_classification, make_degradation_scores

    Examples
    --------
    >>> from oot.datasets import make_drifting_regression
    >>> ds = make_drifting_regression(2000, n_features=3, random_state=0)
    >>> ds.frame.columns.tolist()
    ['time', 'x0', 'x1', 'x2', 'y']
    >>> ds.target, ds.time, ds.features
    ('y', 'time', ['x0', 'x1', 'x2'])
    >>> ds.true_score("90D", eval_window=0)   # 1 + 0.001^2 (90 + 182.5)^2
    1.07425...
    >>> ds.true_crossing_age(0.05, eval_window=0).round("s")   # MSE 5% above 1.0333
    Timedelta('108 days 23:58:18')
    """
    kind, origin, L, w, rng = _check_common(
        n_samples, n_features, periods, drift_rate, duplicate_fraction, time_kind,
        start, train_window, eval_window, random_state,
    )
    check_scalar(noise, "noise", caller(), low=0, low_inclusive=False)
    p = int(n_features)
    beta0 = _unit_vector(coef, "coef", p)
    u = _unit_vector(drift_direction, "drift_direction", p)
    if u is not None and not np.linalg.norm(u) > 0:
        raise InvalidParameterError(
            param_message("drift_direction", None, "a non-zero vector or None", drift_direction)
        )
    if beta0 is None:
        beta0 = rng.standard_normal(p)
    if u is None:
        u = rng.standard_normal(p)
    u = u / np.linalg.norm(u)
    n = int(n_samples)
    t = _times(rng, n, float(periods), float(duplicate_fraction))
    X = rng.standard_normal((n, p))
    beta_t = beta0 + (float(drift_rate) * t)[:, None] * u
    y = np.einsum("ij,ij->i", X, beta_t) + float(noise) * rng.standard_normal(n)
    frame, features = _frame(t, X, y, kind, origin)
    return DriftingDataset(
        frame=frame, target="y", time="time", features=features, task="regression",
        time_kind=kind, start=origin, periods=float(periods), coef=beta0,
        drift_direction=u, drift_rate=float(drift_rate), noise=float(noise),
        train_window=_window_value(L, kind), eval_window=_window_value(w, kind),
        random_state=random_state,
    )


@entry_point("make_drifting_classification")
def make_drifting_classification(
    n_samples: int = 20000,
    *,
    n_features: int = 5,
    start: Any = None,
    periods: float = 730,
    drift_rate: float = 0.002,
    signal: float = 1.0,
    train_window: Any = None,
    eval_window: Any = None,
    time_kind: str = "datetime",
    duplicate_fraction: float = 0.05,
    random_state: Any = None,
) -> DriftingDataset:
    """Binary (probit) data whose coefficients rotate in time, with exact AUC truth.

    ``P(y = 1 | x, t) = Phi(x . beta(t))`` with ``x ~ N(0, I)`` and
    ``beta(t) = signal (cos(omega t) e1 + sin(omega t) e2)``: a coefficient vector of fixed
    length turning at ``omega = drift_rate`` radians per day in the plane of two random
    orthonormal directions. The classes are balanced at every time and a model's expected
    score depends on its age only, so every anchor shares one degradation curve. The
    truth is exact (closed form up to one quadrature, see :meth:`DriftingDataset.true_score`):
    a fresh model has instantaneous ROC AUC
    ``1/2 + (2/pi) asin(signal / sqrt(2 (1 + signal^2)))`` (5/6 for ``signal=1``).

    Parameters
    ----------
    n_samples : int, default=20000
        Number of rows.
    n_features : int, default=5
        Number of features (at least 2), independent standard normals; only the plane of
        ``e1, e2`` carries signal.
    start : str, Timestamp, float or None, default=None
        Time origin: ``"2020-01-01"`` for datetime time, ``0.0`` for numeric time.
    periods : float, default=730
        Span of the data in days (time units for numeric time).
    drift_rate : float, default=0.002
        ``omega``, radians per day. 0 gives no degradation.
    signal : float, default=1.0
        ``|beta|``: the strength of the signal relative to the unit probit noise.
    train_window : Timedelta, str, float or None, default=None
        Default training-window length used by the truth methods; ``None``: 365 days
        (365 time units for numeric time).
    eval_window : Timedelta, str, float or None, default=None
        Default evaluation-window length used by the truth methods (0: an instant);
        ``None``: 30 days (30 time units).
    time_kind : {"datetime", "numeric"}, default="datetime"
        As in :func:`make_drifting_regression`.
    duplicate_fraction : float, default=0.05
        Fraction of rows that copy another row's timestamp.
    random_state : int, Generator, RandomState or None, default=None
        Seed for reproducible output.

    Returns
    -------
    DriftingDataset
        ``.frame`` with columns ``time``, ``x0`` ... ``x{p-1}``, ``y`` (0/1 int);
        ``.coef`` is ``signal * e1`` and ``.drift_direction`` is ``e2``.

    Raises
    ------
    InvalidParameterError
        For an argument of the wrong type or out of range.

    See Also
    --------
    make_drifting_regression, make_degradation_scores

    Examples
    --------
    >>> from oot.datasets import make_drifting_classification
    >>> ds = make_drifting_classification(2000, random_state=0)
    >>> round(float(ds.frame["y"].mean()), 1)
    0.5
    >>> round(ds.true_score(0, train_window=1e-9, eval_window=0), 4)   # 5/6
    0.8333
    >>> round(ds.true_score("30D"), 4)   # train 365 days, evaluate 30 days
    0.801
    >>> ds.true_crossing_age(0.05).round("h")   # AUC 5% below its age-0 value
    Timedelta('122 days 07:00:00')
    """
    kind, origin, L, w, rng = _check_common(
        n_samples, n_features, periods, drift_rate, duplicate_fraction, time_kind,
        start, train_window, eval_window, random_state, min_features=2,
    )
    check_scalar(signal, "signal", caller(), low=0, low_inclusive=False)
    p = int(n_features)
    q, _ = np.linalg.qr(rng.standard_normal((p, 2)))
    e1, e2 = q[:, 0], q[:, 1]
    n = int(n_samples)
    t = _times(rng, n, float(periods), float(duplicate_fraction))
    X = rng.standard_normal((n, p))
    theta = float(drift_rate) * t
    eta = float(signal) * (np.cos(theta) * (X @ e1) + np.sin(theta) * (X @ e2))
    y = (eta + rng.standard_normal(n) > 0).astype(np.int64)
    frame, features = _frame(t, X, y, kind, origin)
    return DriftingDataset(
        frame=frame, target="y", time="time", features=features, task="classification",
        time_kind=kind, start=origin, periods=float(periods), coef=float(signal) * e1,
        drift_direction=e2, drift_rate=float(drift_rate), noise=1.0,
        train_window=_window_value(L, kind), eval_window=_window_value(w, kind),
        random_state=random_state,
    )
