"""Model selection: :func:`fit_degradation` fits the candidate families, keeps the best.

Each candidate is fitted by its record's ``fit`` hook at weights ``1 / (se^2 + tau2)``,
``tau2`` re-estimated (Paule-Mandel) from the residuals until it settles; ``curve="auto"``
keeps the smallest AICc among the parametric families with enough windows.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

import oot._format as fmt
from oot._threads import one_blas_thread
from oot._validation import (
    InvalidParameterError,
    NotEnoughWindowsError,
    caller,
    check_option,
    entry_point,
    param_message,
)
from oot.degradation._calendar import block_length, calendar_summary, prepared
from oot.degradation._curve import DegradationCurve, baseline_value
from oot.degradation._data import AnchorIndex, FloatArray, _Data, check_evaluation
from oot.degradation._families import (
    CurveFamily,
    family_names,
    flexible_family,
    get_family,
    parametric_family_names,
)
from oot.degradation._lack_of_fit import LEVEL as LOF_LEVEL
from oot.degradation._lack_of_fit import lack_of_fit
from oot.degradation._trend import mann_kendall
from oot.degradation._wls import WeightedFit, bend_before, ml_loglik, param_cov, pm_tau2
from oot.evaluate import OOTEvaluation

# the simplest family: the minimum-window rule of curve="auto", and its fit when no
# candidate has enough windows
_AUTO_FALLBACK = "linear"
_MORE_WINDOWS = ("Get more usable windows: use longer data, a shorter eval_window, more "
                 "anchors or a smaller min_window_size.")
# what helps when windows were left out for a status (the generic advice cannot help
# a metric that needs a class the windows do not have)
_STATUS_FIX = {
    "missing_class": "use a metric defined without it ('log_loss' or 'accuracy'), merge "
                     "the class with another, or, if it is only rare, a longer eval_window",
    "one_class": "use a longer eval_window, or a metric defined with one class (such as "
                 "'log_loss' or 'accuracy')",
    "undefined": "check the model's predictions in those windows",
    "anchor_failed": "fix the anchors that failed (OOTEvaluation.anchors['message'])",
}


def _more_windows(evaluation: OOTEvaluation) -> str:
    """How to get more usable windows, from why the others were left out."""
    status = evaluation.scores["status"]
    lost = status[status != "ok"].value_counts()
    if lost.empty:
        return _MORE_WINDOWS
    why = fmt.window_status_counts(lost, evaluation.params.get("min_window_size"))
    fixes = [_STATUS_FIX[str(st)] for st in lost.index if str(st) in _STATUS_FIX]
    text = f"{int(lost.sum())} windows could not be scored: {why}."
    if fixes:
        text += " To score them, " + "; or ".join(dict.fromkeys(fixes)) + "."
    if set(map(str, lost.index)) - set(_STATUS_FIX):  # too small or empty windows
        text += " " + _MORE_WINDOWS
    return text


@entry_point("fit_degradation")
@np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")
@one_blas_thread()
def fit_degradation(
    evaluation: OOTEvaluation,
    *,
    curve: str = "auto",
    baseline: str | float = "curve",
    reference: str = "baseline",
    calendar: str = "auto",
) -> DegradationCurve:
    """Fit a degradation curve (score vs model age, one offset per anchor).

    Parameters
    ----------
    evaluation : OOTEvaluation
        Scores per anchor x window; only windows with status "ok" and a finite score
        are used.
    curve : {"auto", "linear", "quadratic", "exponential", "power", "logarithmic", \
"hinge", "explosive", "logistic", "isotonic"}, default="auto"
        The family; "auto" fits every parametric family with enough windows and keeps the
        one with the smallest AICc (all are recorded in ``aicc``).
    baseline : {"curve", "first_window"} or float, default="curve"
        "curve": the fitted level at age 0 (mean anchor offset); "first_window": mean of
        each anchor's first usable score; or a fixed number.
    reference : {"baseline", "fresh"}, default="baseline"
        "fresh" replaces each score by ``score - fresh + mean(fresh)``, where ``fresh``
        is the score of a fresh model on the same calendar window (same
        ``window_start``): an anchor whose first usable window it is. So a hard season is
        not mistaken for aging. Windows no fresh model scored are left out. The standard
        error becomes ``sqrt(se^2 + se_fresh^2)`` (the fresh row keeps its own).

    Returns
    -------
    DegradationCurve

    Raises
    ------
    NotEnoughWindowsError
        Fewer than 3 usable windows, or fewer than the family's parameters (offsets
        included) + 1.
    InvalidParameterError
        An argument is invalid (``reference="fresh"`` without ``window_start``).

    Notes
    -----
    Weights are ``1 / (se^2 + tau2)``; ``tau2`` is the Paule-Mandel (generalised Q)
    estimate from the residuals, iterated with the fit. When no window has a standard
    error the weights are equal and ``tau2`` is the residual variance; missing standard
    errors among known ones are replaced by their median. AICc uses the Gaussian
    likelihood with variance ``se^2 + tau2`` (tau2 at its maximum-likelihood value) and
    counts the offsets, shape parameters and tau2. Power laws with ``beta > 1`` force a
    zero slope at age 0 and are biased when degradation starts at once.

    The trend test is a stratified Mann-Kendall test (S and Var(S) summed over anchors):
    anchor levels cannot create a trend. Windows of one calendar period are shared by
    anchors, so with strong seasonal noise the p-value is optimistic; use
    ``reference="fresh"`` then.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from oot import OOTEvaluation
    >>> from oot.degradation import fit_degradation
    >>> ages = np.tile(np.arange(1.0, 13.0), 4)
    >>> frame = pd.DataFrame({"anchor": np.repeat([1, 2, 3, 4], 12), "age": ages,
    ...                       "score": 0.8 - 0.05 * (1 - np.exp(-ages / 4))})
    >>> ev = OOTEvaluation.from_frame(frame, metric="roc_auc", time_kind="numeric")
    >>> c = fit_degradation(ev)
    >>> c.family, round(c.params["s"], 3), round(c.params["d"], 3)
    ('exponential', 4.0, -0.05)
    """
    _check_arguments(evaluation, curve, baseline, reference, calendar)
    d = prepared(evaluation, reference, calendar)
    gib = bool(evaluation.greater_is_better)
    sgn = -1.0 if gib else 1.0
    n_ages = _check_enough_windows(d, curve, evaluation)
    scale = float(d.a.max()) if d.a.max() > 0 else 1.0
    anchors = d.anchor_index()
    best, aicc = _select(curve, d, sgn, scale, anchors, n_ages)
    best, lof = _check_fit(best, curve, aicc, d, sgn, scale, anchors)
    level = float(np.mean(best.mu))
    young = _youngest(best, d)
    base = float(baseline_value(baseline, np.array([level]), d.y[None, :], d.first)[0])
    baseline_age = 0.0
    if baseline == "curve" and young.bends:
        # the curve bends between age 0 and the youngest window, where no window is:
        # continue it straight back to age 0 from the youngest age instead
        baseline_age, base = young.age, level + young.bend
    mk = mann_kendall(d.a, d.y, d.anc, d.clusters)
    direction = "flat" if mk.s == 0 else "degrading" if (mk.s < 0) == gib else "improving"
    family = best.family
    cov = (param_cov(family, best.params, best.w, best.fitted, d, anchors)
           if family.delta_method else ())
    return DegradationCurve(
        family=family.name, params=best.params,
        offsets={lab: float(m) for lab, m in zip(d.anchors, best.mu, strict=True)},
        level=level, baseline=base, baseline_mode=baseline, reference=reference,
        tau2=float(best.tau2), aicc=aicc, trend_statistic=mk.z, trend_pvalue=mk.pvalue,
        greater_is_better=gib, time_kind=evaluation.time_kind,
        age_min=float(d.a.min()), age_max=float(d.a.max()), n_windows=d.n,
        n_anchors=d.n_anchors, trend_tau=float(mk.tau), trend_direction=direction,
        metric=str(getattr(evaluation.metric, "name", "")), selection=curve, scale=scale,
        param_cov=cov, knots_x=best.knots_x, knots_y=best.knots_y,
        cluster_rule=d.cluster_rule, calendar=calendar,
        calendar_effects=calendar_summary(d, *block_length(d.y - best.fitted, best.w, d)),
        lack_of_fit=lof,
        youngest_mean=young.mean, youngest_sd=young.sd, baseline_age=baseline_age,
    )


def _check_arguments(evaluation: Any, curve: Any, baseline: Any, reference: Any,
                     calendar: Any) -> None:
    func = caller()
    check_evaluation(evaluation)
    check_option(curve, "curve", func, ("auto", *family_names()))
    if isinstance(baseline, str) or not isinstance(baseline, numbers.Real) or isinstance(
            baseline, bool):
        if baseline not in ("curve", "first_window"):
            raise InvalidParameterError(param_message(
                "baseline", func, "'curve', 'first_window' or a finite float", baseline))
    elif not math.isfinite(float(baseline)):
        raise InvalidParameterError(param_message(
            "baseline", func, "'curve', 'first_window' or a finite float", baseline))
    check_option(reference, "reference", func, ("baseline", "fresh"))
    check_option(calendar, "calendar", func, ("auto", "shift", "none"))


def _check_enough_windows(d: _Data, curve: str, evaluation: OOTEvaluation) -> int:
    """Raise unless the data can fit ``curve``; return the number of distinct ages."""
    family = get_family(_AUTO_FALLBACK if curve == "auto" else curve)
    need = max(3, d.n_anchors + family.n_shape + 1)
    if d.n < need:
        msg = (
            f"{caller()} needs at least {need} usable windows to fit a {family.name} "
            f"curve with {d.n_anchors} anchor offset(s); got {d.n} usable windows (of "
            f"{d.n_total}). {_more_windows(evaluation)}"
        )
        raise NotEnoughWindowsError(msg)
    n_ages = len(np.unique(d.a))
    need_ages = family.n_shape + 1
    if n_ages < need_ages:
        msg = (
            f"{caller()} needs at least {need_ages} distinct ages to fit a "
            f"{family.name} curve; got {n_ages}. {_MORE_WINDOWS}"
        )
        raise NotEnoughWindowsError(msg)
    return n_ages


# ======================================================================= candidates
@dataclass
class _Fit:
    family: CurveFamily
    params: dict[str, float]
    mu: FloatArray
    fitted: FloatArray
    rss: float                # weighted
    tau2: float
    w: FloatArray
    loglik: float
    aicc: float
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    phi: float = float("nan")  # internal nonlinear parameter


def _select(curve: str, d: _Data, sgn: float, scale: float, anchors: AnchorIndex,
            n_ages: int) -> tuple[_Fit, dict[str, float]]:
    """The chosen fit and the AICc of every candidate fitted."""
    if curve != "auto":
        best = _fit_candidate(get_family(curve), d, sgn, scale, anchors)
        return best, {curve: best.aicc}
    families = [get_family(name) for name in parametric_family_names()]
    cands = [f for f in families
             if d.n - (d.n_anchors + f.n_shape + 1) - 1 > 0
             and n_ages >= f.n_shape + 1 + (1 if f.nonlinear else 0)]
    cands = cands or [get_family(_AUTO_FALLBACK)]
    fits = [_fit_candidate(f, d, sgn, scale, anchors) for f in cands]
    best = min(fits, key=lambda f: (f.aicc, f.family.n_shape))
    return best, {f.family.name: f.aicc for f in fits}


def _fit_candidate(family: CurveFamily, d: _Data, sgn: float, scale: float,
                   anchors: AnchorIndex) -> _Fit:
    """One family at weights ``1 / (se^2 + tau2)``, tau2 iterated with the fit (at most
    four fits), and its AICc."""
    df = d.n - d.n_anchors - family.n_shape
    tau2 = 0.0
    fit: WeightedFit | None = None
    for it in range(4):
        v = d.se2 + tau2
        w = np.ones(d.n) if d.equal else 1.0 / np.maximum(v, 1e-300)
        fit = family.fit_weighted(d, w, sgn, scale, anchors, start=fit)
        resid = d.y - fit.mu[d.anc] - fit.fshape
        new = pm_tau2(resid, d.se2, df)
        if d.equal or abs(new - tau2) <= 1e-6 * max(new, 1e-300) or it == 3:
            tau2 = new
            break
        tau2 = new
    assert fit is not None
    loglik = ml_loglik(resid, d.se2)
    k = d.n_anchors + family.n_shape + 1
    return _Fit(family, fit.params, fit.mu, fit.mu[d.anc] + fit.fshape, fit.rss, tau2, w,
                loglik, _aicc(loglik, k, d.n), fit.knots_x, fit.knots_y, fit.phi)


def _aicc(loglik: float, k: int, n: int) -> float:
    """AICc of a fit with ``k`` parameters (offsets, shape, tau2) on ``n`` windows."""
    return float(-2 * loglik + 2 * k + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0
                                        else np.inf))




# ======================================================================= fit checks
def _check_fit(best: _Fit, curve: str, aicc: dict[str, float], d: _Data, sgn: float,
               scale: float, anchors: AnchorIndex) -> tuple[_Fit, dict[str, Any]]:
    """The lack-of-fit test of the chosen family (a parametric one); with
    ``curve="auto"``, the isotonic shape decides when no parametric family fits."""
    if not best.family.parametric:
        return best, {}
    test = lack_of_fit(best.family, best.params, best.fitted, best.rss, best.w, d, sgn,
                       scale, anchors)
    if test is None:
        return best, {}
    out = test.to_dict()
    if curve == "auto" and len(aicc) > 1 and test.pvalue < LOF_LEVEL:
        flexible = flexible_family()
        out["decided"] = flexible.name
        return _fit_candidate(flexible, d, sgn, scale, anchors), out
    out["decided"] = best.family.name
    return best, out


@dataclass(frozen=True)
class _Youngest:
    """The youngest windows (each anchor's first) against the curve there."""

    mean: float        # their mean score
    sd: float          # the scatter of one window about the curve: sqrt(se^2 + tau2)
    age: float         # the youngest evaluated age
    bend: float        # f(age) - age f'(age): the curve's bend between 0 and that age

    @property
    def bends(self) -> bool:
        """The curve at age 0 is farther from the straight line back from the youngest
        age than two of a window's standard deviations: a bend no window shows."""
        return abs(self.bend) > 2.0 * self.sd


def _youngest(best: _Fit, d: _Data) -> _Youngest:
    first = d.first
    sd = float(np.sqrt(np.mean(d.se2[first]) + best.tau2))
    age = float(d.a.min())
    p = {**best.params, "knots_x": np.asarray(best.knots_x),
         "knots_y": np.asarray(best.knots_y)}
    bend = float(bend_before(lambda x: best.family.shape(p, x), age))
    return _Youngest(float(np.mean(d.y[first])), sd, age, bend)
