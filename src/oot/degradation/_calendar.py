"""Calendar effects shared by every anchor: a yearly season and a level shift.

A calendar period is scored by every anchor that reaches it, at a different age for
each: a hard season or a change in the data (a survey, a definition, a market) moves
all of those scores together. The anchors average such effects out only when they span
them; otherwise the default fit reads them as aging. This module estimates them under
the saturated age model (anchor offsets and one free effect per age group, so whatever
the aging curve's shape) and tests them:

- **shift**: a step in the calendar at the period that fits best (each side at least
  two periods), kept when the largest Wald statistic over the candidate periods is
  significant at 5% against wild cluster replicates drawn without a shift;
- **season**: one sine and one cosine of the calendar time with a period of one year
  (datetime time, calendar span at least a year, so that a cycle is not a trend), kept
  when it lowers the AIC: its cluster-robust Wald statistic ``W`` above 4, twice its
  coefficients (p about 0.16 with ``W / 2`` against F(2, G - 1), G = 20 periods). Its
  frequency is fixed, so a superfluous season is estimated near zero and costs width
  only, while a missed one is read as aging: a looser level than the shift's, whose
  start is chosen on the data.

A cycle and a step can each mimic part of the other, so each is first tested alone, and
only a term kept alone can be kept. When both are, the one that explains more of the
saturated model's residual (the smaller weighted residual sum of squares of the two
one-term fits) leads; the other is tested again given the leading term and kept beside
it only when it still passes its rule. The leading term is never dropped for the other:
testing the step first, then the cycle given it, then dropping the step when it was
not significant given the cycle took a survey change for a season (a step given a
cycle is searched over every start, a weak test). Keeping both whenever each passes
alone costs more: a superfluous step, its start chosen on the data, takes its own
trend out of the aging curve.

Age, calendar time and the anchor's cutoff are tied (``age = calendar - cutoff``), so a
linear trend in one is a linear trend in the others and no model can tell them apart
(the age-period-cohort identity). The constraint used: calendar effects are a yearly
cycle (over at least a year of calendar time) and a step, nothing else; a steady
calendar trend is not modelled and stays where the default reads it, in the aging
curve. A step's own trend goes with it when it is removed (``calendar="shift"``: the
user says the data changed then).

The kept terms ``Z`` are removed from the scores (``y - Z c``) before any family is
fitted; ``c = L y`` is linear in the scores, so every bootstrap replicate re-estimates
them: its noise ``e`` enters as ``e - Z (L e)``.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oot.degradation._data import FloatArray, IntArray, _Data, prepare
from oot.degradation._saturated import Saturated, pinv_rank, saturated_design
from oot.degradation._wls import pm_tau2
from oot.evaluate import OOTEvaluation

#: The season's period in days (datetime time).
YEAR_DAYS = 365.25
#: The season is kept when it lowers the AIC: its cluster-robust Wald statistic above
#: twice its two coefficients (p about 0.16 at 20 calendar periods).
SEASON_WALD = 4.0
#: Wild cluster replicates of the shift test's null distribution (a fixed seed: the fit
#: is reproducible).
_SHIFT_REPLICATES = 99
_SHIFT_SEED = 13
_WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0,
                  math.sqrt(1.5)])


@dataclass(frozen=True, eq=False)
class CalendarFit:
    """What the calendar tests found, and the adjustment of the kept terms."""

    terms: tuple[str, ...]            # the kept terms: "season", "shift"
    design: FloatArray                # (n, q) their columns
    lmap: FloatArray                  # (q, n): their coefficients are lmap @ y
    coef: FloatArray                  # (q,) at the data
    season_pvalue: float = math.nan   # NaN when not tested
    season_amplitude: float = math.nan
    shift_pvalue: float = math.nan
    shift_time: float = math.nan      # calendar time where the shift starts
    shift_size: float = math.nan
    removed: tuple[str, ...] = ()     # the terms removed from the scores

    @property
    def found(self) -> bool:
        """Whether any calendar term was kept."""
        return bool(self.terms)

    def _columns(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        sizes = {"season": 2, "shift": 1}
        return np.concatenate([np.full(sizes[t], t in self.removed, dtype=bool)
                               for t in self.terms]) if self.terms else np.zeros(0, bool)

    def adjust(self, y: FloatArray) -> FloatArray:
        """Scores (or replicate noise) without the removed terms: ``y - Z (L y)``, the
        terms estimated together with the ones only reported."""
        if not self.removed:
            return y
        cols = self._columns()
        return np.asarray(y - (y @ self.lmap[cols].T) @ self.design[:, cols].T)


def _wls_map(x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, int]:
    """The weighted least-squares map (``beta = A y``), the inverse information and
    the design's rank."""
    xtw = x.T * w
    info_inv, rank = pinv_rank(xtw @ x)
    return np.asarray(info_inv @ xtw, dtype=float), info_inv, rank


def _robust_wald(x: FloatArray, y: FloatArray, w: FloatArray, clusters: IntArray,
                 cols: slice) -> tuple[float, FloatArray, FloatArray]:
    """Cluster-robust Wald statistic of the coefficients ``cols``; the map and fit."""
    amap, info_inv, _ = _wls_map(x, w)
    beta = amap @ y
    r = y - x @ beta
    g = int(clusters.max()) + 1
    score = np.zeros((g, x.shape[1]))
    np.add.at(score, clusters, x * (w * r)[:, None])
    n, p = x.shape
    scale = g / max(g - 1, 1) * (n - 1) / max(n - p, 1)
    v = scale * info_inv @ (score.T @ score) @ info_inv
    b = beta[cols]
    try:
        stat = float(b @ np.linalg.solve(v[cols, cols], b))
    except np.linalg.LinAlgError:
        stat = 0.0
    return stat, amap, beta


def calendar_effects(y: FloatArray, w: FloatArray, anc: IntArray, group: IntArray,
                     t: FloatArray, clusters: IntArray, *, season: bool) -> CalendarFit:
    """Test a shift and (when ``season``) the season, each alone; when both are kept,
    test the other again given the leading one (the smaller residual sum of squares);
    estimate the kept terms together."""
    base = saturated_design(anc, group)
    n = len(y)
    cycle = None
    if season and float(t.max() - t.min()) >= YEAR_DAYS:
        cycle = np.column_stack([np.sin(2 * np.pi * t / YEAR_DAYS),
                                 np.cos(2 * np.pi * t / YEAR_DAYS)])
    out: dict[str, Any] = {}
    shift = _shift_test(y, w, base, t, clusters)
    step = shift[2][:, None] if shift is not None and shift[0] < 0.05 else None
    keep_cycle = False
    if cycle is not None:
        stat, amp, pval = _season_test(y, w, base, cycle, clusters)
        out.update(season_pvalue=pval, season_amplitude=amp)
        keep_cycle = stat > SEASON_WALD
    if keep_cycle and step is not None and cycle is not None:
        # both kept alone: the one that explains more leads, the other is tested again
        # given it
        if (_weighted_rss(np.hstack([base, cycle]), y, w)
                <= _weighted_rss(np.hstack([base, step]), y, w)):
            shift = _shift_test(y, w, np.hstack([base, cycle]), t, clusters)
            step = shift[2][:, None] if shift is not None and shift[0] < 0.05 else None
        else:
            stat, amp, pval = _season_test(y, w, np.hstack([base, step]), cycle, clusters)
            out.update(season_pvalue=pval, season_amplitude=amp)
            keep_cycle = stat > SEASON_WALD
    if shift is not None:
        out["shift_pvalue"] = shift[0]
    names: list[str] = []
    kept: list[FloatArray] = []
    if keep_cycle and cycle is not None:
        names.append("season")
        kept.append(cycle)
    if step is not None and shift is not None:
        names.append("shift")
        kept.append(step)
        out["shift_time"] = shift[1]
    if not names:
        return CalendarFit((), np.zeros((n, 0)), np.zeros((0, n)), np.zeros(0), **out)
    z = np.hstack(kept)
    amap, _, _ = _wls_map(np.hstack([base, z]), w)
    lmap = amap[-z.shape[1]:]
    coef = lmap @ y
    if "shift" in names:
        out["shift_size"] = float(coef[-1])
    if "season" in names:
        out["season_amplitude"] = float(math.hypot(coef[0], coef[1]))
    return CalendarFit(tuple(names), z, lmap, coef, **out)


def _weighted_rss(x: FloatArray, y: FloatArray, w: FloatArray) -> float:
    """Weighted residual sum of squares of the least-squares fit of ``y`` on ``x``."""
    amap, _, _ = _wls_map(x, w)
    r = y - x @ (amap @ y)
    return float(np.sum(w * r * r))


def _season_test(y: FloatArray, w: FloatArray, base: FloatArray, cycle: FloatArray,
                 clusters: IntArray) -> tuple[float, float, float]:
    """Cluster-robust Wald statistic of the yearly cycle, its amplitude and p-value
    (F(2, G - 1)); a statistic of 0 when the cycle is not identified."""
    from scipy import stats
    x = np.hstack([base, cycle])
    if len(y) - x.shape[1] < 3 or pinv_rank((x.T * w) @ x)[1] < x.shape[1]:
        return 0.0, math.nan, math.nan
    stat, _, beta = _robust_wald(x, y, w, clusters, slice(-2, None))
    g = int(clusters.max()) + 1
    return (stat, float(math.hypot(beta[-2], beta[-1])),
            float(stats.f.sf(stat / 2.0, 2, max(g - 1, 1))))


def _shift_test(y: FloatArray, w: FloatArray, base: FloatArray, t: FloatArray,
                clusters: IntArray) -> tuple[float, float, FloatArray] | None:
    """The largest Wald statistic of a calendar step over the candidate starts, its
    p-value from wild cluster replicates of the model without a step, the start and
    the step's column; None when there are too few periods (fewer than 6)."""
    starts = np.unique(t)
    if starts.size < 6:
        return None
    cuts = starts[2:starts.size - 1]   # at least two periods before, two after
    steps = (t[:, None] >= cuts[None, :]).astype(float)          # (n, C)
    amap, _, rank = _wls_map(base, w)

    def resid_of(z: FloatArray) -> FloatArray:   # rows of z less their fit on ``base``
        return np.asarray(z - (z @ amap.T) @ base.T)

    resid_steps = resid_of(steps.T).T
    ss = np.sum(w[:, None] * resid_steps * resid_steps, axis=0)
    ok = ss > 1e-12 * max(float(ss.max()), 1e-300)
    if not ok.any():
        return None
    resid_steps, ss, cuts, steps = resid_steps[:, ok], ss[ok], cuts[ok], steps[:, ok]
    df = len(y) - rank - 1
    if df < 3:
        return None
    w_steps = w[:, None] * resid_steps

    def statistic(e: FloatArray) -> tuple[FloatArray, FloatArray]:
        # e: scores or noise; the fit on base removes the same from both, and the
        # weighted projection is symmetric, so e . W (I - H) z = e . W z_resid
        r = resid_of(e)
        s2 = np.sum(w[None, :] * r * r, axis=1) / df
        t2 = (e @ w_steps) ** 2 / ss[None, :] / np.maximum(s2[:, None], 1e-300)
        return t2.max(axis=1), t2.argmax(axis=1)

    obs, at = statistic(y[None, :])
    resid = resid_of(y[None, :])[0]
    rng = np.random.default_rng(_SHIFT_SEED)
    g = int(clusters.max()) + 1
    v = _WEBB[rng.integers(0, 6, size=(_SHIFT_REPLICATES, g))]
    null, _ = statistic(v[:, clusters] * resid[None, :])   # replicates of the no-step fit
    pval = float((1 + np.sum(null >= obs[0])) / (1 + _SHIFT_REPLICATES))
    k = int(at[0])
    return pval, float(cuts[k]), steps[:, k]


def period_autocorrelation(resid: FloatArray, w: FloatArray, t: FloatArray,
                           clusters: IntArray) -> float:
    """p-value of positive lag-1 autocorrelation of the residuals' calendar-period
    means (periods in calendar order), against wild cluster replicates (periods as
    independent clusters): correlated periods call for a block bootstrap."""
    g = int(clusters.max()) + 1
    if g < 6:
        return math.nan
    order = np.argsort(np.bincount(clusters, weights=t, minlength=g)
                       / np.maximum(np.bincount(clusters, minlength=g), 1))
    rank = np.empty(g, dtype=np.intp)
    rank[order] = np.arange(g)
    pc = rank[clusters]
    onehot = np.zeros((len(pc), g))
    onehot[np.arange(len(pc)), pc] = w
    sw = onehot.sum(axis=0)

    def acf(r: FloatArray) -> FloatArray:
        m = (r @ onehot) / np.where(sw > 0, sw, 1.0)
        m = m - m.mean(axis=1, keepdims=True)
        den = np.sum(m * m, axis=1)
        return np.asarray(np.sum(m[:, 1:] * m[:, :-1], axis=1) / np.where(den > 0, den, 1))

    obs = float(acf(resid[None, :])[0])
    rng = np.random.default_rng(_SHIFT_SEED)
    v = _WEBB[rng.integers(0, 6, size=(_SHIFT_REPLICATES, g))]
    null = acf(v[:, clusters] * resid[None, :])
    return float((1 + np.sum(null >= obs)) / (1 + _SHIFT_REPLICATES))


def with_calendar(d: _Data, calendar: str, season: bool) -> _Data:
    """The prepared data with its calendar effects tested, and removed from the scores
    as ``calendar`` says: ``"auto"`` removes a season found (a shift found is reported),
    ``"shift"`` removes both, ``"none"`` reports them only. Needs
    ``window_start`` (the calendar time) and at least two anchors (with one, every
    period is seen at one age only: calendar and age are the same thing)."""
    if d.t is None or d.clusters is None or d.n_anchors < 2:
        return d
    sat_w = np.ones(d.n)
    for _ in range(4):  # the saturated model's weights, tau2 by Paule-Mandel
        sat = Saturated.of(d, sat_w)
        resid = d.y - (d.y[None, :] @ sat.amap.T @ sat.x.T)[0]
        tau2 = pm_tau2(resid, d.se2, sat.df)
        new = np.ones(d.n) if d.equal else 1.0 / np.maximum(d.se2 + tau2, 1e-300)
        if np.allclose(new, sat_w, rtol=1e-6):
            break
        sat_w = new
    if sat.df < 3:
        return d
    cal = calendar_effects(d.y, sat_w, d.anc, d.group, d.t, d.clusters, season=season)
    allowed = {"auto": ("season",), "shift": ("season", "shift")}.get(calendar, ())
    cal = dataclasses.replace(cal, removed=tuple(t for t in cal.terms if t in allowed))
    y = cal.adjust(d.y[None, :])[0]
    return dataclasses.replace(d, y=y, calendar=cal)


def block_clusters(clusters: IntArray, t: FloatArray, block: int) -> IntArray:
    """Clusters of ``block`` consecutive calendar periods (in calendar order)."""
    g = int(clusters.max()) + 1
    mid = np.bincount(clusters, weights=t, minlength=g) / np.maximum(
        np.bincount(clusters, minlength=g), 1)
    rank = np.empty(g, dtype=np.intp)
    rank[np.argsort(mid, kind="stable")] = np.arange(g)
    return np.asarray(rank[clusters] // block, dtype=np.intp)


#: The last few prepared data sets, by evaluation: fit_degradation and then
#: bootstrap_crossing on one evaluation prepare it once (results are frozen).
_CACHE: list[tuple[weakref.ref[OOTEvaluation], int, str, str, _Data]] = []
_CACHE_SIZE = 4


def _fingerprint(evaluation: OOTEvaluation) -> int:
    """A hash of what the fits read from the scores table (its numbers and statuses)."""
    s = evaluation.scores
    parts = [len(s), tuple(s.columns)]
    for col in ("anchor", "age", "score", "se", "window_start", "window_end"):
        if col in s:
            parts.append(np.asarray(s[col]).tobytes())
    parts.append(tuple(s["status"].tolist()) if "status" in s else ())
    return hash(tuple(parts))


def prepared(evaluation: OOTEvaluation, reference: str, calendar: str) -> _Data:
    """:func:`~oot.degradation._data.prepare`, then the calendar effects (the baseline
    reference only: the fresh reference compares models on one period already).

    The result is cached for the evaluation object and the content of its scores table
    (callers must not modify the result)."""
    key = _fingerprint(evaluation)
    for ref, fp, ref_mode, cal_mode, d in _CACHE:
        if (ref() is evaluation and fp == key and ref_mode == reference
                and cal_mode == calendar):
            return d
    d = prepare(evaluation, reference)
    if reference == "baseline":
        d = with_calendar(d, calendar, season=evaluation.time_kind == "datetime")
    _CACHE.insert(0, (weakref.ref(evaluation), key, reference, calendar, d))
    del _CACHE[_CACHE_SIZE:]
    return d


def block_length(resid: FloatArray, w: FloatArray, d: _Data) -> tuple[float, int]:
    """The periods' autocorrelation p-value of the fit's residuals and the block length
    the bootstrap resamples: ``max(2, round(G^(1/3)))`` consecutive periods when they
    are correlated (p < 0.05), else 1 (NaN and 1 without calendar times or with one
    anchor)."""
    if d.t is None or d.clusters is None or d.n_anchors < 2:
        return math.nan, 1
    p = period_autocorrelation(resid, w, d.t, d.clusters)
    g = int(d.clusters.max()) + 1
    return p, (max(2, round(g ** (1 / 3))) if p < 0.05 else 1)


def calendar_summary(d: _Data, autocorrelation: float, block: int) -> dict[str, Any]:
    """What the calendar tests found, for the curve (empty when not tested)."""
    cal = d.calendar
    if cal is None:
        return {} if block == 1 else {"terms": [], "removed": [],
                                      "autocorrelation_pvalue": autocorrelation,
                                      "block": block}
    out: dict[str, Any] = {
        "terms": list(cal.terms), "removed": list(cal.removed),
        "season_pvalue": cal.season_pvalue, "season_amplitude": cal.season_amplitude,
        "shift_pvalue": cal.shift_pvalue, "shift_size": cal.shift_size,
        "shift_start": math.nan, "autocorrelation_pvalue": autocorrelation,
        "block": block,
    }
    if "shift" in cal.terms and d.t is not None:
        at = np.flatnonzero(np.isclose(d.t, cal.shift_time))
        if at.size:
            out["shift_start"] = float(d.t[at[0]] - d.half[at[0]])
    return out


def scores_as_fitted(evaluation: OOTEvaluation, curve: Any) -> pd.DataFrame:
    """The window scores the curve was fitted to: against the fresh model when
    ``curve.reference == "fresh"``, less the calendar effects it removed.

    Parameters
    ----------
    evaluation : OOTEvaluation
        The evaluation ``curve`` was fitted to.
    curve : DegradationCurve

    Returns
    -------
    DataFrame
        ``anchor``, ``age`` (Timedeltas for datetime time), ``score`` and ``se``, one
        row per window the fit used, sorted by anchor and age.

    Examples
    --------
    >>> from oot.datasets import make_degradation_scores
    >>> from oot.degradation import fit_degradation, scores_as_fitted
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> c = fit_degradation(ev, reference="fresh")
    >>> s = scores_as_fitted(ev, c)
    >>> len(s) == c.n_windows, list(s.columns)
    (True, ['anchor', 'age', 'score', 'se'])
    """
    d = prepared(evaluation, curve.reference, curve.calendar)
    kind = evaluation.time_kind
    age = (pd.to_timedelta(d.a, unit="D") if kind == "datetime" else d.a)
    return pd.DataFrame({"anchor": np.asarray(d.anchors)[d.anc], "age": age, "score": d.y,
                         "se": np.sqrt(d.se2) if not d.equal else np.full(d.n, np.nan)})
