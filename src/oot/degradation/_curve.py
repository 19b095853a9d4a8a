"""The fitted curve: :class:`DegradationCurve`, and the baseline and threshold rules."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from oot._serialize import DocumentError, reading, value_field, value_to_json
from oot._serialize import field as doc_field
from oot._time import TimeKind, age_to_float, float_to_age, format_age
from oot._validation import (
    ExtrapolationWarning,
    InvalidParameterError,
    caller,
    check_option,
    check_scalar,
    entry_point,
    param_message,
    warn,
)
from oot.degradation._data import BoolArray, FloatArray
from oot.degradation._families import CurveFamily, family_names, get_family

_SCHEMA = "oot.DegradationCurve/1"

# the JSON types of the curve's fields of a plain type (annotation -> types, words)
_FIELD_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "float": ((int, float), "a number"),
    "int": ((int,), "an integer"),
    "bool": ((bool,), "true or false"),
    "str": ((str,), "a string"),
    "TimeKind": ((str,), "a string"),
    "str | float": ((str, int, float), "a string or a number"),
    "dict[str, Any]": ((dict,), "an object"),
    "tuple[float, ...]": ((list, tuple), "a list of numbers"),
    "tuple[tuple[float, ...], ...]": ((list, tuple), "a list of lists of numbers"),
}


@dataclass(frozen=True, eq=False)
class DegradationCurve:
    """A fitted degradation curve: score = anchor offset + f(age), f(0) = 0.

    Built by :func:`fit_degradation`. Ages are floats in fit units (days for datetime
    time, the time column's units for numeric time); methods taking an age also accept
    Timedeltas for datetime time.

    Attributes
    ----------
    family : str
        The curve family (one of :data:`FAMILIES`).
    params : dict of str to float
        Shape parameters in fit units: linear ``b`` (score change per day); quadratic
        ``b, c``; exponential ``d`` (total change) and ``s`` (scale); power ``b, beta``;
        logarithmic ``b, k``; hinge ``b`` (slope after the break) and ``h`` (break age,
        at least the youngest window's age); explosive ``b`` and ``s`` (growth scale:
        ``b (e^(a/s) - 1)``); logistic ``d, m, w``; isotonic none (see ``knots_x``,
        ``knots_y``).
    offsets : dict of int to float
        Each anchor's level at age 0.
    level : float
        Mean of the anchor offsets (equally weighted): the curve at age 0.
    baseline : float
        The score tolerances are measured from (see ``baseline_mode``).
    baseline_mode : str or float
        ``"curve"``, ``"first_window"`` or the number given.
    reference : str
        ``"baseline"`` or ``"fresh"``.
    tau2 : float
        Between-window variance (Paule-Mandel estimate); fits weight windows by
        ``1 / (se^2 + tau2)``.
    aicc : dict of str to float
        AICc of every candidate fitted (only the chosen family unless ``curve="auto"``).
    trend_statistic, trend_pvalue, trend_tau : float
        Stratified Mann-Kendall Z, two-sided p-value and Kendall's tau (see
        :func:`mann_kendall`).
    trend_direction : str
        ``"degrading"``, ``"improving"`` or ``"flat"`` (S = 0), given the metric.
    greater_is_better : bool
        The metric's direction.
    time_kind : {"datetime", "numeric"}
    age_min, age_max : float
        Youngest and oldest usable ages, in fit units.
    n_windows, n_anchors : int
        Usable windows and anchors used by the fit.
    metric : str
        The metric's name.
    selection : str
        The ``curve`` argument (``"auto"`` or a family).
    scale : float
        Internal age scale of the fit (the oldest age).
    param_cov : tuple of tuple of float
        Covariance of ``(level, *params)`` from the weighted fit (for :meth:`band`).
    knots_x, knots_y : tuple of float
        The isotonic curve (``f`` interpolated linearly between knots, flat outside).
    cluster_rule : str
        How :func:`bootstrap_crossing` groups windows into clusters for this data.
    calendar : {"auto", "shift", "none"}
        The ``calendar`` argument of :func:`fit_degradation`.
    calendar_effects : dict
        What the calendar tests found (empty when not tested): ``terms`` found
        ("season", "shift"), ``removed`` (modelled: taken out of the scores),
        ``season_pvalue``, ``season_amplitude``, ``shift_pvalue``, ``shift_size``,
        ``shift_start`` (calendar time in fit units: days since 1970 for datetime time),
        ``autocorrelation_pvalue`` of the periods' residuals afterwards, and ``block``
        (consecutive periods the bootstrap resamples together).
    lack_of_fit : dict
        The family's test against the saturated age model (empty when not tested):
        ``family`` tested, ``statistic`` (F), ``pvalue``, ``critical`` (the null
        replicates' 99% quantile), ``df1``, ``df2`` and ``decided`` (the shape used:
        the monotone one when no parametric family fits under ``curve="auto"``).
    youngest_mean, youngest_sd : float
        Mean score of each anchor's youngest window, and one window's scatter about the
        curve (``sqrt(se^2 + tau2)``).
    baseline_age : float
        0 when the baseline is the curve at age 0; the youngest age when the curve bends
        between age 0 and the youngest windows by more than two ``youngest_sd``, and the
        baseline is the curve continued straight back from there.

    Examples
    --------
    >>> import pandas as pd
    >>> from oot import OOTEvaluation
    >>> from oot.degradation import fit_degradation
    >>> frame = pd.DataFrame({"anchor": [1] * 6 + [2] * 6,
    ...                       "age": [15.0, 45, 75, 105, 135, 165] * 2,
    ...                       "score": [0.80, 0.79, 0.78, 0.77, 0.76, 0.75,
    ...                                 0.82, 0.81, 0.80, 0.79, 0.78, 0.77]})
    >>> ev = OOTEvaluation.from_frame(frame, metric="roc_auc", time_kind="numeric")
    >>> curve = fit_degradation(ev, curve="linear")
    >>> round(curve.params["b"] * 30, 4), round(curve.level, 4)
    (-0.01, 0.815)
    >>> curve.threshold(0.05)  # 5% below the level at age 0
    0.77425
    >>> round(curve.crossing_age(curve.threshold(0.05)), 2)
    122.25
    """

    family: str
    params: dict[str, float]
    offsets: dict[int, float]
    level: float
    baseline: float
    baseline_mode: str | float
    reference: str
    tau2: float
    aicc: dict[str, float]
    trend_statistic: float
    trend_pvalue: float
    greater_is_better: bool
    time_kind: TimeKind
    age_min: float
    age_max: float
    n_windows: int
    n_anchors: int
    trend_tau: float = 0.0
    trend_direction: str = "flat"
    metric: str = ""
    selection: str = ""
    scale: float = 1.0
    param_cov: tuple[tuple[float, ...], ...] = ()
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    cluster_rule: str = ""
    calendar: str = "auto"
    calendar_effects: dict[str, Any] = field(default_factory=dict)
    lack_of_fit: dict[str, Any] = field(default_factory=dict)
    youngest_mean: float = float("nan")
    youngest_sd: float = float("nan")
    baseline_age: float = 0.0

    # ------------------------------------------------------------- evaluation
    @property
    def _sgn(self) -> float:
        return -1.0 if self.greater_is_better else 1.0

    @property
    def _family(self) -> CurveFamily:
        return get_family(self.family)

    def _shape_params(self) -> dict[str, Any]:
        """What the family's shape and crossing read: ``params`` and the knots."""
        return {**self.params, "knots_x": np.asarray(self.knots_x),
                "knots_y": np.asarray(self.knots_y)}

    def _f(self, a: Any) -> Any:
        return self._family.shape(self._shape_params(), a)

    def predict(self, age: Any) -> Any:
        """The mean curve ``level + f(age)`` (average anchor).

        Parameters
        ----------
        age : float, Timedelta or array-like
            Model age(s): Timedeltas or days for datetime time, numbers otherwise.

        Returns
        -------
        float or ndarray
            A float for a scalar age, else an array.

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.degradation import fit_degradation
        >>> ev = make_degradation_scores(random_state=0).to_evaluation()
        >>> c = fit_degradation(ev, curve="linear")
        >>> float(c.predict(0.0)) == c.level
        True
        """
        a = age_to_float(age, self.time_kind)
        out = self.level + self._f(np.asarray(a, dtype=float))
        if np.ndim(out) == 0:
            return float(out)
        return np.asarray(out, dtype=float)

    @entry_point("DegradationCurve.band")
    def band(self, age: Any, confidence_level: float = 0.9) -> tuple[Any, Any]:
        """Pointwise confidence band of the mean curve (delta method on the weighted fit).

        The band treats windows as independent given ``tau2``; shared calendar noise
        makes it optimistic. :func:`bootstrap_crossing` gives a band that includes that
        noise (``band_low``, ``band_high``; also on recommendations), and the crossing
        age's interval. NaN for the isotonic family.

        Parameters
        ----------
        age : float, Timedelta or array-like
        confidence_level : float, default=0.9

        Returns
        -------
        (low, high) : tuple of ndarray

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.degradation import fit_degradation
        >>> ev = make_degradation_scores(random_state=0).to_evaluation()
        >>> c = fit_degradation(ev, curve="linear")
        >>> lo, hi = c.band([0.0, 60.0])
        >>> bool((lo < c.predict([0.0, 60.0])).all() and (hi > c.predict([0.0, 60.0])).all())
        True
        """
        from scipy import stats
        check_scalar(confidence_level, "confidence_level", caller(),
                     low=0, high=1, low_inclusive=False, high_inclusive=False)
        a = np.atleast_1d(np.asarray(age_to_float(age, self.time_kind), dtype=float))
        mid = self.level + self._f(a)
        if not self._family.delta_method or not self.param_cov:
            nan = np.full_like(a, np.nan)
            return nan, nan.copy()
        jac = self._jacobian(a)
        cov = np.asarray(self.param_cov)
        var = np.einsum("ip,pq,iq->i", jac, cov, jac)
        z = float(stats.norm.ppf(0.5 + confidence_level / 2))
        half = z * np.sqrt(np.maximum(var, 0.0))
        return mid - half, mid + half

    def _jacobian(self, a: FloatArray) -> FloatArray:
        family = self._family
        cols = [np.ones_like(a)]
        for nm in family.params:
            p0 = dict(self.params)
            h = 1e-6 * max(abs(p0[nm]), 1e-8)
            p1, p2 = dict(p0), dict(p0)
            p1[nm] += h
            p2[nm] -= h
            cols.append((family.shape(p1, a) - family.shape(p2, a)) / (2 * h))
        return np.column_stack(cols)

    @entry_point("DegradationCurve.threshold")
    def threshold(self, tolerance: float, tolerance_type: str = "relative") -> float:
        """The score at which the model counts as degraded.

        Relative: ``baseline - tolerance * |baseline|`` for a higher-is-better metric,
        ``baseline + tolerance * |baseline|`` for a lower-is-better one (equal to
        ``baseline * (1 -/+ tolerance)`` for a positive baseline). Absolute:
        ``baseline -/+ tolerance``.

        Parameters
        ----------
        tolerance : float
        tolerance_type : {"relative", "absolute"}, default="relative"

        Returns
        -------
        float

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.degradation import fit_degradation
        >>> ev = make_degradation_scores(random_state=0).to_evaluation()
        >>> c = fit_degradation(ev, curve="linear")
        >>> round(c.threshold(0.05) / c.baseline, 6)
        0.95
        """
        return threshold_value(self.baseline, tolerance, tolerance_type,
                               self.greater_is_better)

    @entry_point("DegradationCurve.crossing_age")
    def crossing_age(self, threshold: float, *, extrapolate: bool = False,
                     max_age: Any = None) -> Any:
        """Smallest age at which the fitted mean curve reaches ``threshold``.

        Parameters
        ----------
        threshold : float
            A score, e.g. from :meth:`threshold`.
        extrapolate : bool, default=False
            Search past the oldest evaluated age, up to ``max_age`` (default 10 times
            the oldest age), with an :class:`~oot.ExtrapolationWarning` when the
            crossing lies there.
        max_age : float or Timedelta, default=None

        Returns
        -------
        Timedelta, float or None
            None when the curve does not reach the threshold in the searched range.

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.degradation import fit_degradation
        >>> ev = make_degradation_scores(random_state=0).to_evaluation()
        >>> c = fit_degradation(ev, curve="linear")
        >>> age = c.crossing_age(c.threshold(0.05))
        >>> age  # a Timedelta for datetime time
        Timedelta('...')
        >>> abs(age.days - (-0.05 * c.level) / c.params["b"]) < 1
        True
        """
        check_scalar(threshold, "threshold", caller())
        limit = self.age_max
        if extrapolate:
            limit = 10 * self.age_max if max_age is None else float(
                age_to_float(max_age, self.time_kind))
        age = self._crossing(float(threshold))
        if not np.isfinite(age) or age > limit:
            return None
        if age > self.age_max:
            kind = self.time_kind
            warn(f"The crossing age {format_age(float_to_age(age, kind), kind)} is "
                 "extrapolated past the oldest evaluated age "
                 f"{format_age(float_to_age(self.age_max, kind), kind)}.",
                 ExtrapolationWarning)
        return float_to_age(age, self.time_kind) if self.time_kind == "datetime" else age

    def _crossing(self, threshold: float) -> float:
        """The first age the curve reaches ``threshold``, never before the youngest
        evaluated age unless the youngest windows are past it themselves."""
        sgn = self._sgn
        m = sgn * (threshold - self.level)
        age = float(self._family.crossing_age(self._shape_params(), m, sgn))
        if age < self.age_min and not self._youngest_past(threshold):
            return float(self.age_min)
        return age

    def _youngest_past(self, threshold: float) -> bool:
        """Whether the youngest windows' mean is at or past ``threshold``."""
        return bool(np.isfinite(self.youngest_mean)
                    and self._sgn * (self.youngest_mean - threshold) >= 0)

    # ------------------------------------------------------------- conversion
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it exactly.

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.degradation import fit_degradation
        >>> ev = make_degradation_scores(random_state=0).to_evaluation()
        >>> c = fit_degradation(ev, curve="linear")
        >>> from oot.degradation import DegradationCurve
        >>> DegradationCurve.from_dict(c.to_dict()).to_dict() == c.to_dict()
        True
        """
        out: dict[str, Any] = {"schema": _SCHEMA}
        for f in fields(self):
            out[f.name] = value_to_json(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DegradationCurve:
        """Rebuild a curve from :meth:`to_dict` output.

        Keys that are not fields are ignored (documents written before the ``extra``
        field was removed carry an empty ``extra``).
        """
        if not isinstance(d, dict) or d.get("schema") != _SCHEMA:
            got = d.get("schema") if isinstance(d, dict) else d
            raise InvalidParameterError(param_message(
                "d", "DegradationCurve.from_dict",
                f"a dict written by DegradationCurve.to_dict (schema {_SCHEMA!r})", got))
        with reading("DegradationCurve"):
            kw = {f.name: value_field(d, f.name, where="curve") for f in fields(cls)
                  if f.name in d}
            doc_field(d, "family", options=family_names(), where="curve")
            doc_field(d, "time_kind", options=("datetime", "numeric"), where="curve")
            for name in ("params", "offsets", "aicc"):
                if not isinstance(kw.get(name), dict) or not all(
                        isinstance(v, (int, float)) for v in kw[name].values()):
                    msg = f"its field 'curve.{name}' must map names to numbers"
                    raise DocumentError(msg)
            for f in fields(cls):  # every field of a plain type has that type
                expected = _FIELD_TYPES.get(str(f.type))
                v = kw.get(f.name)
                if expected is not None and f.name in kw and (
                        not isinstance(v, expected[0])
                        or (isinstance(v, bool) and bool not in expected[0])):
                    msg = f"its field 'curve.{f.name}' must be {expected[1]}; got {v!r}"
                    raise DocumentError(msg)
            rows = [*kw.get("knots_x", ()), *kw.get("knots_y", ())]
            for row in kw.get("param_cov", ()):
                if not isinstance(row, (list, tuple)):
                    rows.append(row)  # refused below: not a list of numbers
                else:
                    rows.extend(row)
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       for v in rows):
                msg = ("its fields 'curve.param_cov', 'curve.knots_x' and 'curve.knots_y' "
                       "must hold numbers only")
                raise DocumentError(msg)
            kw["param_cov"] = tuple(tuple(r) for r in kw.get("param_cov", ()))
            for key in ("knots_x", "knots_y"):
                kw[key] = tuple(kw.get(key, ()))
            return cls(**kw)

    # ------------------------------------------------------------- display
    def summary(self) -> pd.DataFrame:
        """One row per quantity: family, parameters, level, baseline, tau2, trend, AICc.

        Examples
        --------
        >>> from oot.datasets import make_degradation_scores
        >>> from oot.degradation import fit_degradation
        >>> ev = make_degradation_scores(random_state=0).to_evaluation()
        >>> fit_degradation(ev, curve="linear").summary().loc["family", "value"]
        'linear'
        """
        rows: list[tuple[str, Any]] = [("family", self.family), ("selection", self.selection)]
        rows += [(k, v) for k, v in self.params.items()]
        rows += [("level", self.level), ("baseline", self.baseline),
                 ("baseline_mode", self.baseline_mode), ("reference", self.reference),
                 ("tau2", self.tau2), ("trend_statistic", self.trend_statistic),
                 ("trend_pvalue", self.trend_pvalue), ("trend_tau", self.trend_tau),
                 ("trend_direction", self.trend_direction), ("n_windows", self.n_windows),
                 ("n_anchors", self.n_anchors), ("age_min", self.age_min),
                 ("age_max", self.age_max), ("youngest_mean", self.youngest_mean),
                 ("baseline_age", self.baseline_age)]
        lof = self.lack_of_fit
        if lof:
            rows += [("lack_of_fit_family", lof["family"]),
                     ("lack_of_fit_pvalue", lof["pvalue"]),
                     ("shape_decided", lof.get("decided", self.family))]
        cal = self.calendar_effects
        if cal:
            rows += [("calendar_found", ", ".join(cal["terms"]) or "none"),
                     ("calendar_modelled", ", ".join(cal["removed"]) or "none")]
        rows += [(f"aicc[{k}]", v) for k, v in self.aicc.items()]
        return pd.DataFrame({"value": [v for _, v in rows]},
                            index=pd.Index([k for k, _ in rows], name="quantity"))

    def __str__(self) -> str:
        name = self.metric or "score"
        a_max = format_age(float_to_age(self.age_max, self.time_kind), self.time_kind)
        end = self.predict(self.age_max)
        verb = "falls" if end < self.level else "rises"
        return (
            f"{self.family.capitalize()} degradation curve of {name}: {self.level:.4g} at "
            f"age 0, {verb} to {end:.4g} at age {a_max}; trend {self.trend_direction} "
            f"(Mann-Kendall p = {self.trend_pvalue:.2g}); {self.n_windows} windows over "
            f"{self.n_anchors} anchor(s)."
        )

    def __repr__(self) -> str:
        return (f"DegradationCurve(family={self.family!r}, level={self.level:.4g}, "
                f"params={ {k: float(f'{v:.4g}') for k, v in self.params.items()} }, "
                f"n_windows={self.n_windows})")

    def _repr_html_(self) -> str:
        table = self.summary().to_html(border=0)
        return (f"<div class='oot-degradation'><p><b>{html.escape(str(self))}</b></p>"
                f"{table}</div>")




# ======================================================================= rules
def threshold_value(baseline: float, tolerance: Any, tolerance_type: Any,
                    greater_is_better: bool) -> float:
    """The checked threshold: ``tolerance`` and ``tolerance_type`` are the caller's."""
    func = caller()
    check_option(tolerance_type, "tolerance_type", func, ["relative", "absolute"])
    if tolerance_type == "relative":
        check_scalar(tolerance, "tolerance", func, low=0, high=1, low_inclusive=False,
                     high_inclusive=False, extra=" for tolerance_type='relative'")
    else:
        check_scalar(tolerance, "tolerance", func, low=0, low_inclusive=False,
                     extra=" for tolerance_type='absolute'")
    sgn = -1.0 if greater_is_better else 1.0
    return float(threshold_rule(baseline, tolerance, tolerance_type, sgn))


def threshold_rule(baseline: Any, tolerance: float, tolerance_type: str, sgn: float) -> Any:
    """``baseline + sgn * delta`` (arrays allowed), ``delta`` the tolerance, times
    ``|baseline|`` when relative; ``sgn`` is -1 when higher scores are better."""
    if tolerance_type == "relative":
        delta = float(tolerance) * np.abs(baseline)
    else:
        delta = float(tolerance)
    return baseline + sgn * delta


def baseline_value(mode: Any, level: FloatArray, y: FloatArray, first: BoolArray
                   ) -> FloatArray:
    """The baseline per replicate (level and y: (R,), (R, n)) for the mode given to
    :func:`fit_degradation` ("curve", "first_window" or a number)."""
    if mode == "curve":
        return level
    if mode == "first_window":
        return np.asarray(np.mean(y[:, first], axis=1), dtype=float)
    return np.full(level.shape, float(mode))
