"""The bootstrap of the crossing age: :func:`bootstrap_crossing` -> :class:`CrossingBootstrap`.

Replicates keep the design and redraw the scores by calendar cluster (wild cluster
bootstrap, or whole clusters resampled); each family refits every replicate through its
record's ``refit`` hook, and ``curve="auto"`` re-selects the family per replicate.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oot._common import ConfidenceInterval
from oot._threads import one_blas_thread
from oot._time import TimeKind, float_to_age
from oot._validation import (
    InvalidParameterError,
    as_generator,
    caller,
    check_option,
    check_random_state_param,
    check_scalar,
    entry_point,
    param_message,
)
from oot.degradation._calendar import block_clusters, prepared
from oot.degradation._curve import (
    DegradationCurve,
    baseline_value,
    threshold_rule,
    threshold_value,
)
from oot.degradation._data import AnchorIndex, FloatArray, IntArray, _Data, check_evaluation
from oot.degradation._families import CurveFamily, flexible_family, get_family
from oot.degradation._saturated import Saturated
from oot.degradation._shared import ClusterDraws
from oot.degradation._wls import Replicas, jackknife_residuals, shape_jacobian
from oot.evaluate import OOTEvaluation


@dataclass(frozen=True, eq=False)
class CrossingBootstrap:
    """Bootstrap distribution of the crossing age (from :func:`bootstrap_crossing`).

    Attributes
    ----------
    samples : ndarray
        Crossing age of each replicate in fit units (days for datetime time);
        ``inf`` when the replicate's curve does not reach its threshold by ``age_max``.
    low, high : float
        The confidence interval (fit units); ``high`` may be ``inf``.
    crossed_fraction : float
        Share of replicates that cross within the evaluated ages.
    n_bootstrap : int
    confidence_level : float
    method : str
        How replicates were drawn and the interval formed.
    estimate : float
        Crossing age of the fitted curve (``inf`` if none within ``age_max``).
    n_clusters : int
        Number of clusters resampled.
    time_kind : {"datetime", "numeric"}
    band_age, band_low, band_high : ndarray
        Pointwise percentile band of the mean curve (level + shape) over the replicates,
        at the interval's percentile levels, on ``band_age`` (fit units, 0 to
        ``age_max``). Unlike :meth:`DegradationCurve.band` it includes the calendar
        noise the clusters share, and it exists for the isotonic family too. Empty when
        not computed.
    curves : ndarray of shape (n_bootstrap, len(band_age))
        Each replicate's mean curve on ``band_age`` (NaN where its fit failed).
    level : float
        The lower percentile level of the interval (``1 - level`` is the upper).

    Examples
    --------
    >>> from oot.degradation import CrossingBootstrap
    >>> import numpy as np
    >>> b = CrossingBootstrap(samples=np.array([10.0, 12.0, np.inf]), low=10.0, high=np.inf,
    ...                       crossed_fraction=2 / 3, n_bootstrap=3, confidence_level=0.9,
    ...                       method="wild cluster")
    >>> b.interval()
    ConfidenceInterval(low=10.0, high=inf)
    """

    samples: FloatArray
    low: float
    high: float
    crossed_fraction: float
    n_bootstrap: int
    confidence_level: float
    method: str
    estimate: float = float("nan")
    n_clusters: int = 0
    time_kind: TimeKind = "numeric"
    band_age: FloatArray = field(default_factory=lambda: np.empty(0))
    band_low: FloatArray = field(default_factory=lambda: np.empty(0))
    band_high: FloatArray = field(default_factory=lambda: np.empty(0))
    curves: FloatArray = field(default_factory=lambda: np.empty((0, 0)))
    level: float = float("nan")

    def interval(self) -> ConfidenceInterval:
        """The interval as ages: Timedeltas for datetime time (NaT for inf)."""
        if self.time_kind == "datetime":
            return ConfidenceInterval(float_to_age(self.low, "datetime"),
                                      float_to_age(self.high, "datetime"))
        return ConfidenceInterval(float(self.low), float(self.high))


# ages at which bootstrap_crossing evaluates the replicate curves (the band)
_BAND_POINTS = 61
# replicates are refitted in blocks whose arrays take at most this many bytes: about
# _ARRAYS_PER_REPLICATE (R, n) float arrays are alive at once in a family's batch refit,
# and the per-anchor sums of a grid of at most _GRID_MAX basis columns, three times
_CHUNK_BYTES = 128 * 2**20
_ARRAYS_PER_REPLICATE = 12
_GRID_MAX = 64

_WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0,
                  math.sqrt(1.5)])


@entry_point("bootstrap_crossing")
@np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")
@one_blas_thread()
def bootstrap_crossing(
    evaluation: OOTEvaluation,
    curve: DegradationCurve,
    *,
    tolerance: float,
    tolerance_type: str = "relative",
    n_bootstrap: int = 1000,
    confidence_level: float = 0.9,
    random_state: Any = None,
    method: str = "wild",
    draws: ClusterDraws | None = None,
    resample_anchors: bool = False,
) -> CrossingBootstrap:
    """Confidence interval of the crossing age by a calendar-cluster bootstrap.

    Parameters
    ----------
    evaluation : OOTEvaluation
        The evaluation ``curve`` was fitted to.
    curve : DegradationCurve
        From :func:`fit_degradation` (its family, baseline mode, reference and tau2 are
        reused).
    tolerance : float
    tolerance_type : {"relative", "absolute"}, default="relative"
    n_bootstrap : int, default=1000
    confidence_level : float, default=0.9
    random_state : int, Generator, RandomState or None, default=None
    method : {"wild", "pairs"}, default="wild"
        "wild": wild cluster bootstrap (see Notes); "pairs": resample whole clusters
        with replacement (multinomial cluster counts as weights).
    draws : ClusterDraws, default=None
        Cluster weights drawn once for several curves of one evaluation (several
        metrics or segments; :meth:`ClusterDraws.draw`), so that their replicates see
        the same calendar periods' luck and their intervals can be compared and
        differenced; ``random_state`` is then not used. None draws them here.
    resample_anchors : bool, default=False
        Also reweight the anchors in every replicate (Bayesian bootstrap: Dirichlet
        weights of mean 1, one per anchor, multiplying its windows' weights), so the
        interval carries how much the anchors' models differ from one another, not
        only the calendar periods' noise. :func:`oot.compare_candidates` uses it for
        the paired difference curves, whose calendar noise largely cancels (the two
        candidates score the same rows) and where what is left is mostly each anchor's
        pair of models. Replicates then have their own weights, so the lack-of-fit
        move to the monotone shape (see Notes) is not applied to them.

    Returns
    -------
    CrossingBootstrap

    Notes
    -----
    Rows of one calendar period are scored by every anchor that reaches it and share
    its noise, so clusters are calendar windows (``window_start``); without
    ``window_start``, anchor + window - 1 when the anchors are one window apart
    (``evaluation.params`` says so), else single cells (which under-covers when noise
    is shared).

    The default wild cluster bootstrap keeps the design (ages, anchors, weights) fixed
    and draws ``y* = fitted + v_g * e_g`` with one Webb six-point weight ``v_g`` per
    cluster and ``e_g = (I - H_gg)^-1 r_g`` the jackknife (CV3) residuals of cluster g
    (``H`` the weighted hat matrix of the model linearised at the fit): plain residuals
    are too small with few, high-leverage clusters (the oldest and youngest calendar
    windows are seen by one anchor each). Isotonic curves use CR1-scaled residuals
    ``sqrt(G / (G - 1) * (n - 1) / (n - k)) * r``. Each replicate refits the family
    (re-selecting by AICc among the candidates of ``curve.aicc`` when the curve was
    chosen with ``curve="auto"``), takes its own baseline and threshold (a relative
    tolerance moves with the replicate's baseline) and its crossing age (``inf`` beyond
    ``age_max``). The interval is the percentile interval of the replicates at levels
    widened for few clusters: ``q = Phi(-t_{G-1}(1 - alpha / 2))`` and ``1 - q`` (plain
    ``alpha / 2`` when replicates re-select among several families, which already
    widens it). The
    nominal 90% interval covered the true crossing age in 85-95% of simulated data sets
    (``studies/coverage.py``). ``method="pairs"`` resamples whole clusters instead
    (multinomial counts as weights), same refits and interval; a resample that leaves a
    shape coefficient unidentified (one window per anchor, say) refits it as 0, the
    minimum-norm solution, as a one-coefficient family does.

    Replicates are refitted in blocks of bounded memory (about 128 MB of arrays), so
    memory does not grow with ``n_bootstrap`` times the number of windows.

    Examples
    --------
    >>> from oot.degradation import bootstrap_crossing, fit_degradation
    >>> from oot.datasets import make_degradation_scores
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> c = fit_degradation(ev, curve="linear")
    >>> b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=200, random_state=0)
    >>> bool(b.low <= b.estimate <= b.high)
    True
    >>> low, high = b.interval()  # Timedeltas for datetime time
    """
    thr0 = _check_arguments(evaluation, curve, tolerance, tolerance_type, n_bootstrap,
                            confidence_level, random_state, method)
    rng = as_generator(random_state)
    d = prepared(evaluation, curve.reference, curve.calendar)
    if d.n != curve.n_windows or d.n_anchors != curve.n_anchors:
        raise InvalidParameterError(param_message(
            "curve", None, "the curve fitted to this evaluation",
            f"a curve fitted to {curve.n_windows} windows, evaluation has {d.n}"))
    fit = _FittedDesign.of(curve, d)
    shared = None if draws is None else _shared_draws(draws, d, fit, method, n_bootstrap)
    anchor_part = None
    if resample_anchors and d.n_anchors > 1 and method == "wild":
        anchor_part = _anchor_deviations(curve, d, fit)
        if anchor_part is not None:
            fit = dataclasses.replace(fit, resid=fit.resid - anchor_part)
    reps = (_draw_wild(curve, d, fit, rng, n_bootstrap, shared) if method == "wild"
            else _draw_pairs(d, fit, rng, n_bootstrap, shared))
    if resample_anchors and d.n_anchors > 1:
        weights = rng.dirichlet(np.ones(d.n_anchors), size=n_bootstrap) * d.n_anchors
        kept = "" if anchor_part is None else (
            ", each keeping its own deviation from the common shape")
        reps = dataclasses.replace(
            reps, anchor_weights=weights, anchor_part=anchor_part,
            label=reps.label + f"; anchors reweighted (Bayesian bootstrap{kept})")
    band_age = np.linspace(0.0, float(curve.age_max), _BAND_POINTS)
    samples = np.empty(n_bootstrap)
    curves = np.empty((n_bootstrap, _BAND_POINTS))
    step = _chunk_size(d)
    for lo in range(0, n_bootstrap, step):
        hi = min(lo + step, n_bootstrap)
        w_rep, y_rep = reps.rows(lo, hi)
        samples[lo:hi], curves[lo:hi] = _replicate_crossings(
            curve, d, w_rep, y_rep, fit.anchors, tolerance, tolerance_type, band_age,
            wild=method == "wild" and reps.anchor_weights is None,
            factors=reps.factors(lo, hi))
    q = _percentile_level(curve, confidence_level, fit.n_clusters)
    q_low, q_high = _bias_corrected(curve, samples, float(curve._crossing(thr0)), q)
    low = float(np.quantile(samples, q_low, method="inverted_cdf"))
    high = float(np.quantile(samples, q_high, method="inverted_cdf"))
    ok = np.all(np.isfinite(curves), axis=1)  # replicates whose fit failed are left out
    if ok.any():
        band_low, band_high = np.quantile(curves[ok], [q, 1 - q], axis=0)
    else:
        band_low = band_high = np.full(band_age.shape, np.nan)
    est = curve._crossing(thr0)
    return CrossingBootstrap(
        samples=samples, low=low, high=high,
        crossed_fraction=float(np.mean(np.isfinite(samples))), n_bootstrap=n_bootstrap,
        confidence_level=float(confidence_level), method=reps.label,
        estimate=est if est <= curve.age_max else math.inf, n_clusters=fit.n_clusters,
        time_kind=curve.time_kind, band_age=band_age, band_low=band_low,
        band_high=band_high, curves=curves, level=q)


def _shared_draws(draws: ClusterDraws, d: _Data, fit: _FittedDesign, method: str,
                  n_bootstrap: int) -> np.ndarray:
    """The shared draws of the fit's clusters. When the calendar fit groups the
    periods in blocks (correlated periods), a block takes the draw of its first window's
    period: still one independent weight per block, shared with every curve whose block
    starts at that period."""
    per_period = draws.for_data(d, method, n_bootstrap)
    base = d.clusters if d.clusters is not None else np.arange(d.n, dtype=np.intp)
    if fit.n_clusters == per_period.shape[1] and np.array_equal(fit.clusters, base):
        return per_period
    if method != "wild":
        block = int(fit.n_clusters and round(per_period.shape[1] / fit.n_clusters))
        raise InvalidParameterError(param_message(
            "draws", None, "draws the curve's clusters can use", method,
            f"The calendar fit groups the periods in blocks (about {block} each); "
            "shared pairs draws need one cluster per period: use method='wild'."))
    _, first = np.unique(fit.clusters, return_index=True)
    return np.asarray(per_period[:, base[first]])


def _check_arguments(evaluation: Any, curve: Any, tolerance: Any, tolerance_type: Any,
                     n_bootstrap: Any, confidence_level: Any, random_state: Any,
                     method: Any) -> float:
    """Check every argument; return the fitted curve's threshold."""
    func = caller()
    check_evaluation(evaluation)
    if not isinstance(curve, DegradationCurve):
        raise InvalidParameterError(param_message(
            "curve", func, "a DegradationCurve from fit_degradation", type(curve).__name__))
    thr0 = threshold_value(curve.baseline, tolerance, tolerance_type,
                           curve.greater_is_better)
    check_scalar(n_bootstrap, "n_bootstrap", func, kind="int", low=1)
    check_scalar(confidence_level, "confidence_level", func, low=0, high=1,
                 low_inclusive=False, high_inclusive=False)
    check_random_state_param(random_state, func)
    check_option(method, "method", func, ("wild", "pairs"))
    return thr0


@dataclass(frozen=True, eq=False)
class _FittedDesign:
    """The curve's fit on the prepared data: what the replicates are drawn around."""

    family: CurveFamily
    anchors: AnchorIndex
    clusters: IntArray      # cluster of each window (cells when the data has none)
    n_clusters: int
    w: FloatArray           # the fit's weights 1 / (se^2 + tau2)
    fitted: FloatArray
    resid: FloatArray

    @classmethod
    def of(cls, curve: DegradationCurve, d: _Data) -> _FittedDesign:
        clusters = d.clusters if d.clusters is not None else np.arange(d.n, dtype=np.intp)
        block = int(curve.calendar_effects.get("block", 1))
        if block > 1 and d.t is not None:  # correlated periods: blocks of them
            clusters = block_clusters(clusters, d.t, block)
        w = np.ones(d.n) if d.equal else 1.0 / np.maximum(d.se2 + curve.tau2, 1e-300)
        mu = np.array([curve.offsets[lab] for lab in d.anchors])
        fitted = mu[d.anc] + curve._family.mean_shape(curve._shape_params(), d.a, d.half)
        return cls(curve._family, d.anchor_index(), clusters, int(clusters.max()) + 1, w, fitted,
                   d.y - fitted)


@dataclass(frozen=True, eq=False)
class _Draws:
    """The bootstrap's random draws, one row per replicate (replicates x clusters), and
    how a block of replicates becomes weights and values (``rows``)."""

    label: str
    fit: _FittedDesign
    d: _Data
    wild: FloatArray | None = None    # (R, G) Webb weights (wild)
    adj: FloatArray | None = None     # (n,) residuals they multiply (wild)
    counts: IntArray | None = None    # (R, G) cluster counts (pairs)
    anchor_weights: FloatArray | None = None  # (R, J) weights of the anchors
    anchor_part: FloatArray | None = None     # (n,) anchors' own deviations (kept)

    def rows(self, lo: int, hi: int) -> tuple[FloatArray, FloatArray]:
        """Weights and values of replicates ``lo..hi-1``: (R|1, n) each."""
        fit, d = self.fit, self.d
        if self.wild is not None and self.adj is not None:
            noise = self.wild[lo:hi][:, fit.clusters] * self.adj[None, :]
            if d.calendar is not None:
                noise = d.calendar.adjust(noise)
            base = fit.fitted if self.anchor_part is None else fit.fitted + self.anchor_part
            w_rep, y_rep = fit.w[None, :], base[None, :] + noise
        else:
            assert self.counts is not None
            w_rep = fit.w[None, :] * self.counts[lo:hi][:, fit.clusters].astype(float)
            y_rep = d.y[None, :]
        if self.anchor_weights is not None:
            w_rep = w_rep * self.anchor_weights[lo:hi][:, d.anc]
        return w_rep, y_rep

    def factors(self, lo: int, hi: int) -> tuple[FloatArray, FloatArray] | None:
        """The fit's weights (n,) and the anchor weights (R, J) whose product the
        weights of replicates ``lo..hi-1`` are (wild draws with reweighted anchors;
        the refits then sum per anchor), else None."""
        if self.wild is None or self.anchor_weights is None:
            return None
        return self.fit.w, self.anchor_weights[lo:hi]


def _anchor_deviations(curve: DegradationCurve, d: _Data, fit: _FittedDesign,
                       ) -> FloatArray | None:
    """Each anchor's own deviation from the common shape: its residuals' weighted
    least-squares projection on a level and the shape's Jacobian columns within that
    anchor (an anchor whose model ages faster has a coherent slope in its residuals).
    Kept in every replicate and reweighted with its anchor, the deviations carry the
    spread between anchors, which wild weights per calendar cluster would scramble
    into noise. An anchor with no more windows than the projection's columns keeps
    none (its residuals are noise then, wild-bootstrapped as before). None for a
    family without a linearisation (the monotone shape): its replicates are only
    reweighted."""
    if not fit.family.delta_method:
        return None
    g = shape_jacobian(fit.family, curve.params, d.a, d.half)
    out = np.zeros(d.n)
    cols = 1 + g.shape[1]
    for start, end in zip(fit.anchors.starts, fit.anchors.ends, strict=True):
        if end - start <= cols:
            continue
        x = np.column_stack([np.ones(end - start), g[start:end]])
        sw = np.sqrt(fit.w[start:end])
        beta, *_ = np.linalg.lstsq(x * sw[:, None], fit.resid[start:end] * sw, rcond=None)
        out[start:end] = x @ beta
    return out


def _chunk_size(d: _Data) -> int:
    """Replicates refitted at once: their (R, n) arrays and (R, J, grid) per-anchor sums
    stay within ``_CHUNK_BYTES`` (peak memory is then bounded whatever the plan)."""
    per_replicate = 8 * (_ARRAYS_PER_REPLICATE * d.n + 3 * d.n_anchors * _GRID_MAX
                         + 4 * _BAND_POINTS)
    return max(1, _CHUNK_BYTES // per_replicate)


def _draw_wild(curve: DegradationCurve, d: _Data, fit: _FittedDesign,
               rng: np.random.Generator, r: int, shared: np.ndarray | None = None,
               ) -> _Draws:
    """Wild cluster bootstrap: ``y* = fitted + v_g * e_g``, one Webb weight per cluster
    (drawn here, or the ``shared`` draws' Webb indices of these clusters).

    ``e`` are jackknife (CV3) residuals of the fit linearised in its parameters; for the
    isotonic family those of the saturated age model (whose size does not shrink where
    the monotone fit pools age groups), or with one anchor its own residuals scaled by
    the parameters it spends (one per distinct level). Calendar effects removed from the
    scores are re-estimated in every replicate.
    """
    v = _WEBB[rng.integers(0, 6, size=(r, fit.n_clusters)) if shared is None else shared]
    if fit.family.delta_method:
        adj = jackknife_residuals(fit.family, curve.params, d, fit.w, fit.resid,
                                  fit.clusters, fit.anchors)
        kind = "jackknife (CV3) residuals"
    elif d.n_anchors > 1:
        adj = Saturated.of(d, fit.w).jackknife_residuals(d.y, fit.w, fit.clusters)
        kind = "jackknife (CV3) residuals of the saturated age model"
    else:
        levels = len(np.unique(np.round(curve.knots_y, 12))) if curve.knots_y else 2
        k_par = d.n_anchors + max(levels - 1, fit.family.n_shape)
        factor = math.sqrt(fit.n_clusters / max(fit.n_clusters - 1, 1)
                           * (d.n - 1) / max(d.n - k_par, 1))
        adj = factor * fit.resid
        kind = "CR1-scaled residuals"
    block = int(curve.calendar_effects.get("block", 1))
    blocks = f" in blocks of {block} consecutive periods" if block > 1 else ""
    label = (f"wild cluster bootstrap (Webb weights, {kind}), clusters: "
             f"{d.cluster_rule}{blocks}; percentile interval at t(G-1)-adjusted levels")
    return _Draws(label, fit, d, wild=v, adj=adj)


def _draw_pairs(d: _Data, fit: _FittedDesign, rng: np.random.Generator, r: int,
                shared: np.ndarray | None = None) -> _Draws:
    """Pairs cluster bootstrap: multinomial cluster counts as weights (or the
    ``shared`` draws' counts of these clusters)."""
    g = fit.n_clusters
    counts = (rng.multinomial(g, np.full(g, 1.0 / g), size=r) if shared is None
              else shared)
    label = (f"pairs cluster bootstrap, clusters: {d.cluster_rule}; percentile "
             "interval at t(G-1)-adjusted levels")
    return _Draws(label, fit, d, counts=counts)


def _replicate_crossings(curve: DegradationCurve, d: _Data, w_rep: FloatArray,
                         y_rep: FloatArray, anchors: AnchorIndex, tolerance: float,
                         tolerance_type: str, grid: FloatArray, *, wild: bool,
                         factors: tuple[FloatArray, FloatArray] | None = None,
                         ) -> tuple[FloatArray, FloatArray]:
    """Each replicate's crossing age, and its mean curve on ``grid`` (r x len(grid)).

    ``wild``: the replicates share the fit's weights (a block of pairs replicates may
    hold one replicate, so the weights' shape does not say it). ``factors``: the base
    and anchor weights ``w_rep`` is the product of (:meth:`_Draws.factors`).

    Every candidate family refits all replicates (its ``refit`` hook); with
    ``curve="auto"`` each replicate keeps the family of smallest AICc.
    """
    sgn = curve._sgn
    r = max(w_rep.shape[0], y_rep.shape[0])
    young = curve.age_min if curve.baseline_age > 0 else math.nan

    def replicas(w: FloatArray, y: FloatArray,
                 factors: tuple[FloatArray, FloatArray] | None = None) -> Replicas:
        y_full = np.broadcast_to(y, (max(w.shape[0], y.shape[0]), d.n))

        def threshold(level: FloatArray) -> FloatArray:
            base = baseline_value(curve.baseline_mode, level, y_full, d.first)
            return np.asarray(threshold_rule(base, tolerance, tolerance_type, sgn),
                              dtype=float)

        base_w, anchor_w = (None, None) if factors is None else factors
        return Replicas(d, w, y, anchors, sgn, curve.scale, grid, threshold, young,
                        base_w=base_w, anchor_weights=anchor_w)

    rep = replicas(w_rep, y_rep, factors)
    families = [get_family(name) for name in _refitted(curve)]
    cross = np.full((len(families), r), np.inf)
    values = np.full((len(families), r, grid.size), np.nan)
    rss = np.full((len(families), r), np.inf)
    for i, family in enumerate(families):
        fit = family.refit_replicates(rep)
        cross[i], values[i], rss[i] = fit.crossing, fit.values, fit.rss
    pick = np.argmin(_replicate_aicc(families, rss, w_rep, d), axis=0)
    rows = np.arange(r)
    out = cross[pick, rows]
    vals = values[pick, rows]
    lof = curve.lack_of_fit
    if lof and curve._family.parametric and wild:
        # a replicate whose family fits worse than the saturated age model by more than
        # the lack-of-fit test's 99% quantile moves to the monotone shape, as the data
        # would have: the interval carries the choice of shape
        saturated = Saturated.of(d, w_rep[0])
        y_full = np.broadcast_to(y_rep, (r, d.n))
        sat = saturated.rss(y_full, w_rep[0])
        df2 = saturated.df
        df1 = np.array([d.n - d.n_anchors - f.n_shape - df2 for f in families])[pick]
        f_stat = ((rss[pick, rows] - sat) / np.maximum(df1, 1)
                  / np.maximum(sat / max(df2, 1), 1e-300))
        moved = np.flatnonzero(f_stat > lof["critical"])
        if moved.size:
            mono = flexible_family().refit_replicates(replicas(w_rep, y_full[moved]))
            out[moved] = mono.crossing
            vals[moved] = mono.values
    if not curve._youngest_past(float(threshold_value(
            curve.baseline, tolerance, tolerance_type, curve.greater_is_better))):
        # as the fit: no crossing before the youngest evaluated age
        out = np.maximum(out, curve.age_min)
    return np.where(out <= curve.age_max, out, np.inf), vals


#: A candidate this much worse in AICc than the chosen family on the data (Akaike
#: weight ratio e^-5, under 1%) is not refitted to the replicates: it would hardly
#: ever be chosen there.
_AICC_MARGIN = 10.0


def _refitted(curve: DegradationCurve) -> list[str]:
    """The families the replicates choose among: the curve's, or with ``curve="auto"``
    every candidate within ``_AICC_MARGIN`` of the best AICc."""
    if curve.selection != "auto" or not curve._family.parametric:
        return [curve.family]
    finite = {f: a for f, a in curve.aicc.items() if np.isfinite(a)}
    if not finite:
        return [curve.family]
    best = min(finite.values())
    return [f for f, a in finite.items() if a <= best + _AICC_MARGIN] or [curve.family]


def _replicate_aicc(families: list[CurveFamily], rss: FloatArray, w_rep: FloatArray,
                    d: _Data) -> FloatArray:
    """AICc of each family's refit of each replicate from its rss (families, R)."""
    r = rss.shape[1]
    n_eff = np.sum(np.broadcast_to(w_rep, (r, d.n)) > 0, axis=1)
    crit = np.full(rss.shape, np.inf)
    for i, family in enumerate(families):
        k = d.n_anchors + family.n_shape + 1
        with np.errstate(divide="ignore", invalid="ignore"):
            crit[i] = (n_eff * np.log(np.maximum(rss[i], 1e-300) / n_eff) + 2 * k
                       + 2 * k * (k + 1) / np.maximum(n_eff - k - 1, 1e-9))
    return crit


def _bias_corrected(curve: DegradationCurve, samples: FloatArray, estimate: float,
                    q: float) -> tuple[float, float]:
    """The percentile levels of the interval's ends: ``q`` and ``1 - q``, bias-corrected
    (Efron's BC) for the monotone shape, whose estimate sits off the middle of its
    replicates (a monotone fit is biased where it pools ages, and the replicates repeat
    the bias): ``Phi(2 z0 + Phi^-1(q))`` with ``z0 = Phi^-1(share below the estimate)``."""
    from scipy import stats
    if curve._family.parametric or not math.isfinite(estimate):
        return q, 1.0 - q
    below = float(np.mean(samples < estimate)) + 0.5 * float(np.mean(samples == estimate))
    z0 = float(stats.norm.ppf(min(max(below, 1e-3), 1 - 1e-3)))
    return (float(stats.norm.cdf(2 * z0 + stats.norm.ppf(q))),
            float(stats.norm.cdf(2 * z0 + stats.norm.ppf(1 - q))))


def _percentile_level(curve: DegradationCurve, confidence_level: float,
                      n_clusters: int) -> float:
    """Lower percentile level of the interval: widened for few clusters, so that its
    normal quantile equals the t quantile with G - 1 degrees of freedom (plain
    ``alpha / 2`` when the replicates re-select among several families, which already
    widens it; a single family within the AICc margin is refitted alone and widens
    nothing)."""
    from scipy import stats
    alpha = 1.0 - confidence_level
    if curve.selection == "auto" and len(_refitted(curve)) > 1:
        return alpha / 2
    return float(stats.norm.cdf(-stats.t.ppf(1 - alpha / 2, max(n_clusters - 1, 1))))
