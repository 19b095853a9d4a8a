"""Study of the recommendation when the true curve is none of oot's families (issue 13).

Simulates per-window score tables from a generator of its own, not from the estimator's
assumptions, and runs :func:`oot.recommend_retrain_interval` on each as a user would
(an :class:`oot.OOTEvaluation` built with ``OOTEvaluation.from_frame``, ``window_start``
given, so the calendar-cluster bootstrap applies), beside the naive practitioner's rule.

The generator
-------------
Anchors one window (30 days) apart; anchor ``j`` (0-based) scores windows ``k = 1..K``
covering ages ``[(k-1) W, k W)``, i.e. calendar period ``p = j + k - 1``. Its score is

    score[j, k] = m_k + A_j + P_p + S_p + G[j, k] + e[j, k]

- ``m_k``: the true curve ``f`` *averaged over the window's ages* (a step inside a window
  gives a window mean between the plateaus, as real data does);
- ``A_j ~ N(0, anchor_sd^2)``: the anchor's level;
- ``P_p``: calendar noise of period ``p``, shared by every anchor that scores it: normal,
  or Student t (heavy-tailed shocks);
- ``S_p``: an optional level shift from one calendar period on (a survey change, shared
  by every anchor), and an optional season on the calendar,
  ``amp * sin(2 pi (p + phase) / period)`` with a random phase;
- ``G[j, k] ~ N(0, (g * age / age_max)^2)``: optional growing variance with age, not in
  the reported standard error;
- ``e[j, k] ~ N(0, se^2)``: sampling noise with a realistic standard error: Hanley-McNeil
  for ROC AUC at the window's true AUC with ``n ~ round(n_rows * LogNormal(0, 0.3))``
  rows of prevalence 0.2, ``0.755 * MAE / sqrt(n)`` for MAE (absolute errors of a
  normal error); the ``se`` column is the same formula at the *observed* score, as an
  estimator computes it from the window's rows.

The true crossing age is the smallest age at which ``f`` itself passes the threshold
``f(0) * (1 -/+ tolerance)`` (5% relative); a scenario whose ``f`` does not pass it within
the evaluated ages is "flat" (the right answer is no crossing).

What is reported
----------------
Per scenario, 200 data sets (seeded): for oot, coverage of the nominal 90% CI
(``interval_ci``; an end of None is beyond the evaluated ages), median relative error of
``interval`` (a data set that does not report "crossed" counts as an infinite error in a
degrading scenario), median CI width, and the shares of each status; for the naive rule
(the first window whose score, averaged over anchors, is 5% below the first window's;
its age is the window's midpoint), median relative error and the share that "crossed".
On flat scenarios the share "crossed" is the false-alarm rate.

Usage::

    nice python studies/shapes.py [--n 200] [--n-bootstrap 1000] [--n-jobs 1]
                                  [--only step_1,step_8] [--out studies/results/shapes]
    python studies/shapes.py --from-csv a.csv,b.csv --out studies/results/shapes
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

import oot

TOL = 0.05
LEVEL = 0.9
YEAR = 365.25                       # days; the season's period
ORIGIN = pd.Timestamp("2020-01-01")  # the first anchor's cutoff
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


# ============================================================ true curves (ages in days)
def _flat(a: FloatArray, p: dict[str, float]) -> FloatArray:
    return np.full_like(a, p.get("base", 0.80))


def _linear(a: FloatArray, p: dict[str, float]) -> FloatArray:
    return p.get("base", 0.80) + p["slope"] * a


def _exponential(a: FloatArray, p: dict[str, float]) -> FloatArray:
    return p.get("base", 0.80) + p["slope"] * p["timescale"] * -np.expm1(-a / p["timescale"])


def _hinge(a: FloatArray, p: dict[str, float]) -> FloatArray:
    return p.get("base", 0.80) + p["slope"] * np.maximum(a - p["breakpoint"], 0.0)


def _step(a: FloatArray, p: dict[str, float]) -> FloatArray:
    return np.where(a < p["at"], p["base"], p["base"] - p["drop"])


def _logistic(a: FloatArray, p: dict[str, float]) -> FloatArray:
    return p["base"] - p["drop"] / (1.0 + np.exp(-(a - p["mid"]) / p["width"]))


def _explosive(a: FloatArray, p: dict[str, float]) -> FloatArray:
    return p["base"] - p["b"] * np.expm1(np.maximum(a - p["at"], 0.0) / p["scale"])


def _weibull_rise(a: FloatArray, p: dict[str, float]) -> FloatArray:
    return p["base"] + p["rise"] * -np.expm1(-((a / p["lam"]) ** p["k"]))


def _bump(a: FloatArray, p: dict[str, float]) -> FloatArray:
    # a fresh model's edge: better during its first window only
    return np.where(a < p["until"], p["base"] + p["edge"], p["base"])


def _regime(a: FloatArray, p: dict[str, float]) -> FloatArray:
    # flat, one window at an intermediate level, then a low plateau
    return np.where(a < p["at"], p["base"],
                    np.where(a < p["at"] + p["window"], p["mid_level"], p["low"]))


CURVES: dict[str, Callable[[FloatArray, dict[str, float]], FloatArray]] = {
    "flat": _flat, "linear": _linear, "exponential": _exponential, "hinge": _hinge,
    "step": _step, "logistic": _logistic, "explosive": _explosive,
    "weibull_rise": _weibull_rise, "bump": _bump, "regime": _regime,
}


@dataclass(frozen=True)
class Scenario:
    """One data-generating process."""

    description: str
    curve: str
    params: dict[str, float]
    metric: str = "roc_auc"
    n_anchors: int = 8
    n_windows: int = 14
    window: float = 30.0
    n_rows: int = 4000            # rows per window (median); se ~ 0.01 at AUC 0.8
    anchor_sd: float = 0.005
    cal_sd: float = 0.01          # calendar noise, shared by the anchors scoring a period
    shock_df: float = 0.0         # > 0: Student t calendar noise (scale cal_sd)
    season_amp: float = 0.0
    growing_sd: float = 0.0       # cell noise sd at the oldest age (0 at age 0)
    group: str = "new"            # "new" (issue 13) or "first round" (studies/coverage.py)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def greater_is_better(self) -> bool:
        return self.metric not in ("mae", "rmse", "mse", "log_loss")

    def f(self, a: Any) -> FloatArray:
        return CURVES[self.curve](np.asarray(a, dtype=float), self.params)

    @property
    def ages(self) -> FloatArray:
        return (np.arange(self.n_windows) + 0.5) * self.window

    def window_means(self) -> FloatArray:
        """The true curve averaged over each window's ages (fine midpoint rule)."""
        sub = 600
        u = (np.arange(sub) + 0.5) / sub
        k = np.arange(self.n_windows)[:, None]
        return np.asarray(self.f((k + u[None, :]) * self.window).mean(axis=1))

    def threshold(self) -> float:
        base = float(self.f(0.0))
        return base * (1 - TOL) if self.greater_is_better else base * (1 + TOL)

    def true_crossing(self) -> float:
        """Smallest age (days) at which the true curve passes the threshold; inf if it
        does not within the evaluated ages (the oldest window's midpoint)."""
        thr = self.threshold()
        a_max = float(self.ages[-1])
        grid = np.linspace(0.0, a_max, 400_001)
        v = self.f(grid)
        past = v <= thr if self.greater_is_better else v >= thr
        idx = np.flatnonzero(past)
        if idx.size == 0:
            return math.inf
        i = int(idx[0])
        if i == 0:
            return 0.0
        lo, hi = grid[i - 1], grid[i]
        for _ in range(60):  # bisection to float precision (steps included)
            mid = 0.5 * (lo + hi)
            fm = float(self.f(mid))
            if (fm <= thr) if self.greater_is_better else (fm >= thr):
                hi = mid
            else:
                lo = mid
        return float(hi)


_SEASON = 0.02
SCENARIOS: dict[str, Scenario] = {
    # ---- issue 13's shapes
    "step_1": Scenario("step: flat 0.80, 10% drop at age 180, plateau; 1 anchor",
                       "step", {"base": 0.80, "drop": 0.08, "at": 180.0}, n_anchors=1),
    "step_8": Scenario("step: flat 0.80, 10% drop at age 180, plateau; 8 anchors",
                       "step", {"base": 0.80, "drop": 0.08, "at": 180.0}),
    "logistic_8": Scenario("logistic decline 0.80 -> 0.70 (midpoint 200, width 30); 8 anchors",
                           "logistic", {"base": 0.80, "drop": 0.10, "mid": 200.0,
                                        "width": 30.0}),
    "explosive_8": Scenario("explosive: flat to age 120, then 0.002 (e^((a-120)/60) - 1); "
                            "8 anchors", "explosive",
                            {"base": 0.80, "b": 0.002, "at": 120.0, "scale": 60.0}),
    "mae_sigmoid_8": Scenario("MAE 1.0 rising by 0.15 as a Weibull sigmoid (scale 200, "
                              "shape 3); 8 anchors", "weibull_rise",
                              {"base": 1.0, "rise": 0.15, "lam": 200.0, "k": 3.0},
                              metric="mae", cal_sd=0.0125, anchor_sd=0.006),
    "season_8": Scenario("linear decline (-0.0003/day) under a yearly season "
                         "(amplitude 0.02); 8 anchors", "linear",
                         {"base": 0.80, "slope": -0.0003}, season_amp=_SEASON),
    "season_4": Scenario("same, 4 anchors", "linear", {"base": 0.80, "slope": -0.0003},
                         n_anchors=4, season_amp=_SEASON),
    "bump_flat": Scenario("flat 0.80, each anchor's first window 2.5% better; 8 anchors",
                          "bump", {"base": 0.80, "edge": 0.02, "until": 30.0}),
    "shocks_flat": Scenario("flat 0.80, heavy-tailed calendar shocks (t3, scale 0.012); "
                            "8 anchors", "flat", {"base": 0.80}, cal_sd=0.012,
                            shock_df=3.0),
    "shocks_linear": Scenario("linear decline (-0.0003/day), heavy-tailed calendar shocks "
                              "(t3, scale 0.012); 8 anchors", "linear",
                              {"base": 0.80, "slope": -0.0003}, cal_sd=0.012,
                              shock_df=3.0),
    "growing_var": Scenario("flat 0.80, cell noise growing with age to sd 0.03; 8 anchors",
                            "flat", {"base": 0.80}, growing_sd=0.03),
    "few_1x5": Scenario("few windows: linear decline crossing at 90 days; 1 anchor x 5 "
                        "windows", "linear", {"base": 0.80, "slope": -0.04 / 90},
                        n_anchors=1, n_windows=5),
    "few_2x4": Scenario("few windows: linear decline crossing at 75 days; 2 anchors x 4 "
                        "windows", "linear", {"base": 0.80, "slope": -0.04 / 75},
                        n_anchors=2, n_windows=4),
    "regime_1": Scenario("regime change: 0.84 for 9 windows, one at 0.54, then 0.345 "
                         "(calendar sd 0.02); 1 anchor x 12 windows", "regime",
                         {"base": 0.84, "at": 270.0, "window": 30.0, "mid_level": 0.54,
                          "low": 0.345}, n_anchors=1, n_windows=12, cal_sd=0.02),
    # ---- where the default reading or the naive rule is known to go wrong
    "noisy_1": Scenario("linear decline (-0.0003/day), calendar sd 0.02; 1 anchor",
                        "linear", {"base": 0.80, "slope": -0.0003}, n_anchors=1,
                        cal_sd=0.02),
    "calendar_step_flat": Scenario("flat aging; from calendar period 15 of 21 on every "
                                   "score is 0.05 lower (a survey change); 8 anchors",
                                   "flat", {"base": 0.80},
                                   extra={"calendar_step": (14, -0.05)}),
    # ---- the first round's shapes (studies/coverage.py), same design, window means
    "fr_linear": Scenario("first round: linear (-0.0003/day)", "linear",
                          {"base": 0.80, "slope": -0.0003}, group="first round"),
    "fr_exponential": Scenario("first round: exponential (slope -0.0005, timescale 200)",
                               "exponential", {"base": 0.80, "slope": -0.0005,
                                               "timescale": 200.0}, group="first round"),
    "fr_hinge": Scenario("first round: hinge (-0.0004/day after 90)", "hinge",
                         {"base": 0.80, "slope": -0.0004, "breakpoint": 90.0},
                         group="first round"),
    "fr_flat": Scenario("first round: flat 0.80", "flat", {"base": 0.80},
                        group="first round"),
}


# ============================================================ the generator
def _auc_se(auc: FloatArray, n_pos: FloatArray, n_neg: FloatArray) -> FloatArray:
    """Hanley-McNeil standard error of ROC AUC."""
    a = np.clip(auc, 1e-6, 1 - 1e-6)
    q1 = a / (2 - a)
    q2 = 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (
        n_pos * n_neg)
    return np.sqrt(np.maximum(var, 1e-12))


def _se(sc: Scenario, value: FloatArray, n: FloatArray, n_pos: FloatArray) -> FloatArray:
    if sc.metric == "roc_auc":
        return _auc_se(value, n_pos, n - n_pos)
    return 0.755 * np.abs(value) / np.sqrt(n)


def simulate(sc: Scenario, seed: int) -> pd.DataFrame:
    """One score table (``OOTEvaluation.from_frame`` input) for scenario ``sc``."""
    rng = np.random.default_rng(seed)
    J, K, W = sc.n_anchors, sc.n_windows, sc.window
    n_periods = J + K - 1
    j = np.repeat(np.arange(J), K)
    k = np.tile(np.arange(K), J)
    p = j + k
    if sc.shock_df > 0:
        cal = sc.cal_sd * rng.standard_t(sc.shock_df, size=n_periods)
    else:
        cal = sc.cal_sd * rng.standard_normal(n_periods)
    if sc.season_amp > 0:  # a yearly cycle on the calendar (the periods' midpoints)
        phase = rng.uniform(0.0, YEAR)
        mid = (np.arange(n_periods) + 0.5) * W
        cal = cal + sc.season_amp * np.sin(2 * np.pi * (mid + phase) / YEAR)
    if "calendar_step" in sc.extra:
        start, size = sc.extra["calendar_step"]
        cal = cal + np.where(np.arange(n_periods) >= start, size, 0.0)
    anchor = sc.anchor_sd * rng.standard_normal(J)
    age = (k + 0.5) * W
    mean = sc.window_means()[k] + anchor[j] + cal[p]
    if sc.growing_sd > 0:
        mean = mean + sc.growing_sd * age / age.max() * rng.standard_normal(J * K)
    n = np.maximum(np.round(sc.n_rows * rng.lognormal(0.0, 0.3, size=J * K)), 50.0)
    n_pos = np.maximum(rng.binomial(n.astype(np.int64), 0.2), 5).astype(float)
    se_true = _se(sc, mean, n, n_pos)
    score = mean + se_true * rng.standard_normal(J * K)
    if sc.metric == "roc_auc":
        score = np.clip(score, 0.0, 1.0)
    def at(days: Any) -> pd.Series:
        return ORIGIN + pd.to_timedelta(np.asarray(days, dtype=float), unit="D")

    return pd.DataFrame({
        "anchor": j + 1, "window": k + 1, "age": pd.to_timedelta(age, unit="D"),
        "score": score, "se": _se(sc, score, n, n_pos), "n": n.astype(np.int64),
        "cutoff": at(j * W), "window_start": at((j + k) * W),
        "window_end": at((j + k + 1) * W),
    })


# ============================================================ the two readings
def naive_rule(sc: Scenario, frame: pd.DataFrame) -> float:
    """Age of the first window whose mean score over anchors is ``TOL`` past the first
    window's (inf when none is)."""
    by_k = frame.groupby("window")["score"].mean().sort_index()  # window k: same age
    first = float(by_k.iloc[0])
    thr = first - TOL * abs(first) if sc.greater_is_better else first + TOL * abs(first)
    vals = by_k.to_numpy(float)[1:]
    past = vals <= thr if sc.greater_is_better else vals >= thr
    idx = np.flatnonzero(past)
    if idx.size == 0:
        return math.inf
    return float(sc.ages[int(idx[0]) + 1])


def _f(x: Any) -> float:
    """An age in days (inf for None: beyond the evaluated ages)."""
    if x is None:
        return math.inf
    if isinstance(x, pd.Timedelta):
        return float(x / pd.Timedelta(days=1))
    return float(x)


def _reading(status: str, interval: Any, ci: Any) -> dict[str, Any]:
    lo, hi = ci
    given = status in ("crossed", "not_reached")
    return {
        "status": status,
        "interval": _f(interval) if status == "crossed" else math.inf,
        "reported": _f(interval),
        # an end of None: "beyond the evaluated ages" for the upper end; a lower end of
        # None means the whole CI lies beyond them
        "low": _f(lo), "high": _f(hi),
        "safe": _f(lo) if given else math.inf,
    }


def run_oot(sc: Scenario, frame: pd.DataFrame, seed: int, n_bootstrap: int,
            curve: str = "auto") -> dict[str, Any]:
    """``recommend_retrain_interval`` with its defaults, as a new user would run it, and
    as the user would follow it: when the recommendation says a calendar shift shared by
    every anchor is read as aging (and gives the fresh reading beside, ``rec.fresh``)
    and advises modelling it (the fresh reading does not agree with the default one),
    its first advice, ``calendar="shift"``, gives the answer."""
    ev = oot.OOTEvaluation.from_frame(frame, metric=sc.metric)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rec = oot.recommend_retrain_interval(ev, tolerance=TOL, confidence_level=LEVEL,
                                             n_bootstrap=n_bootstrap, random_state=seed,
                                             curve=curve)
    out = _reading(rec.status, rec.interval, rec.interval_ci)
    out.update({f"default_{k}": v for k, v in out.items()})
    out["advice"] = ""
    fresh = getattr(rec, "fresh", None)
    if fresh is not None:
        out.update({f"fresh_{k}": v for k, v in _reading(
            fresh["status"], fresh.get("interval"),
            fresh.get("interval_ci", (None, None))).items()})
        out["fresh_agrees"] = bool(fresh.get("agrees", False))
    if fresh is not None and not out["fresh_agrees"]:
        # the library found a calendar shift and reads it as aging, saying so first:
        # unless the fresh reading (beside, recorded) agrees with the default one, it
        # advises calendar="shift" (the data changed then) or reference="fresh"; the
        # study follows the first advice
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rec = oot.recommend_retrain_interval(ev, tolerance=TOL, confidence_level=LEVEL,
                                                 n_bootstrap=n_bootstrap,
                                                 random_state=seed, curve=curve,
                                                 calendar="shift")
        out.update(_reading(rec.status, rec.interval, rec.interval_ci))
        out["advice"] = "shift"
    cal = getattr(rec.curve, "calendar_effects", {}) or {}
    lof = getattr(rec.curve, "lack_of_fit", {}) or {}
    out.update({
        "family": rec.curve.family,
        "trend_p": float(rec.curve.trend_pvalue),
        "significant": bool(getattr(rec, "significant", rec.curve.trend_pvalue < 0.05)),
        "calendar_found": "+".join(cal.get("terms", ())),
        "calendar_modelled": "+".join(cal.get("removed", ())),
        "lack_of_fit_p": float(lof.get("pvalue", math.nan)),
        "baseline_straightened": bool(getattr(rec.curve, "baseline_age", 0.0) > 0),
        "n_warnings": len(caught),
    })
    return out


def one(name: str, k: int, n_bootstrap: int, curve: str = "auto") -> dict[str, Any]:
    sc = SCENARIOS[name]
    # a seed per (scenario, data set) that does not move when scenarios are added
    seed = 1_000 * (zlib.crc32(name.encode()) % 1_000_000) + k
    frame = simulate(sc, seed)
    truth = sc.true_crossing()
    t0 = time.perf_counter()
    res = run_oot(sc, frame, seed, n_bootstrap, curve)
    res["seconds"] = time.perf_counter() - t0
    res.update({"scenario": name, "seed": seed, "truth": truth,
                "naive": naive_rule(sc, frame)})
    return res


# ============================================================ the table
def _rel_err(est: FloatArray, truth: float) -> FloatArray:
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(est), np.abs(est - truth) / truth, np.inf)


def _pct(x: float) -> str:
    if math.isnan(x):
        return "-"
    return "inf" if not math.isfinite(x) else f"{100 * x:.1f}%"


def summarise(raw: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for name in [s for s in SCENARIOS if s in set(raw["scenario"])]:
        sc = SCENARIOS[name]
        r = raw[raw["scenario"] == name]
        truth = float(r["truth"].iloc[0])
        flat = not math.isfinite(truth)
        st = r["status"].value_counts(normalize=True)
        row: dict[str, Any] = {
            "scenario": name, "group": sc.group, "truth": truth, "n": len(r),
            "crossed": float(st.get("crossed", 0.0)),
            "not_reached": float(st.get("not_reached", 0.0)),
            "no_degradation": float(st.get("no_degradation", 0.0)),
            "other_status": float(1.0 - st.get("crossed", 0.0) - st.get("not_reached", 0.0)
                                  - st.get("no_degradation", 0.0)),
            "naive_crossed": float(np.mean(np.isfinite(r["naive"]))),
        }
        if flat:
            row.update(coverage=math.nan, width=math.nan, safe_given=math.nan,
                       **{f"{key}{q}": math.nan for key in ("", "naive_")
                          for q in ("err", "err75", "err90", "within10")})
        else:
            low, high = r["low"].to_numpy(float), r["high"].to_numpy(float)
            row["coverage"] = float(np.mean((low <= truth) & (truth <= high)))
            with np.errstate(invalid="ignore"):  # inf - inf: no CI within the ages
                width = np.where(np.isfinite(low), high - low, np.inf)
            row["width"] = float(np.median(width))
            # the median alone favours a rule that is often exactly right and otherwise far
            # off (the naive rule answers in whole windows): the upper quantiles and the
            # share within 10% say how far off the rest is
            for key, col in (("", "interval"), ("naive_", "naive")):
                e = _rel_err(r[col].to_numpy(float), truth)
                row[f"{key}err"] = float(np.median(e))
                row[f"{key}err75"] = float(np.quantile(e, 0.75, method="inverted_cdf"))
                row[f"{key}err90"] = float(np.quantile(e, 0.90, method="inverted_cdf"))
                row[f"{key}within10"] = float(np.mean(e <= 0.10))
            row["safe_given"] = float(np.mean(np.isfinite(r["safe"])))
        row["seconds"] = float(r["seconds"].mean())
        row["fresh_agreed"] = (float(np.mean(r["fresh_agrees"].fillna(False).astype(bool)))
                               if "fresh_agrees" in r else math.nan)
        for col, key in (("advice", "fresh_followed"), ("calendar_modelled", "season"),
                         ("lack_of_fit_p", "lof"), ("baseline_straightened", "straight")):
            if col not in r:
                row[key] = math.nan
            elif col == "advice":
                row[key] = float(np.mean(r[col].fillna("") != ""))
            elif col == "calendar_modelled":
                row[key] = float(np.mean(r[col].fillna("").str.contains("season")))
            elif col == "lack_of_fit_p":
                row[key] = float(np.mean(r["family"] == "isotonic"))
            else:
                row[key] = float(np.mean(r[col].astype(bool)))
        # the default reading, before the study follows the library's calendar advice
        # "crossed" whose degradation is not significant (the sentence says so)
        row["crossed_ns"] = (float(np.mean((r["status"] == "crossed")
                                           & ~r["significant"].astype(bool)))
                             if "significant" in r else math.nan)
        row["default_crossed"] = (float(np.mean(r["default_status"] == "crossed"))
                                  if "default_status" in r else math.nan)
        fams = r["family"].value_counts()
        row["families"] = ", ".join(f"{k} {v}" for k, v in fams.head(4).items())
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_reading(summary: pd.DataFrame) -> str:
    """How oot read each scenario: what it modelled, followed and chose."""
    out = ["| scenario | season modelled | shift found, fresh reading agrees (not "
           "followed) | shift found: calendar='shift' followed "
           "| crossed before following | crossed, not significant | monotone shape decided "
           "| baseline straightened | families (most chosen) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for _, r in summary.iterrows():
        out.append(f"| {r['scenario']} | {_pct(r['season'])} | {_pct(r['fresh_agreed'])} "
                   f"| {_pct(r['fresh_followed'])} "
                   f"| {_pct(r['default_crossed'])} | {_pct(r['crossed_ns'])} "
                   f"| {_pct(r['lof'])} "
                   f"| {_pct(r['straight'])} | {r['families']} |")
    return "\n".join(out)


def markdown_errors(summary: pd.DataFrame) -> str:
    """How far off the degrading scenarios' intervals are, oot against the naive rule:
    the relative error's median, 75th and 90th percentiles (``inf``: that share of data
    sets gives no crossing) and the share within 10% of the truth."""
    out = ["| scenario | median rel. error (oot / naive) | 75th percentile | "
           "90th percentile | within 10% of the truth |",
           "|---|---|---|---|---|"]
    for _, r in summary.iterrows():
        if not math.isfinite(r["truth"]):
            continue
        out.append(f"| {r['scenario']} | {_pct(r['err'])} / {_pct(r['naive_err'])} "
                   f"| {_pct(r['err75'])} / {_pct(r['naive_err75'])} "
                   f"| {_pct(r['err90'])} / {_pct(r['naive_err90'])} "
                   f"| {_pct(r['within10'])} / {_pct(r['naive_within10'])} |")
    return "\n".join(out)


def markdown(summary: pd.DataFrame) -> str:
    out = ["| scenario | truth (days) | oot coverage of 90% CI | oot median rel. error "
           "| oot median CI width | oot crossed / not_reached / no_degradation | safe "
           "interval given | naive median rel. error | naive crossed |",
           "|---|---|---|---|---|---|---|---|---|"]
    for _, r in summary.iterrows():
        flat = not math.isfinite(r["truth"])
        statuses = f"{_pct(r['crossed'])} / {_pct(r['not_reached'])} / " \
                   f"{_pct(r['no_degradation'])}"
        if r["other_status"] > 1e-9:
            statuses += f" (other {_pct(r['other_status'])})"
        if flat:
            out.append(f"| {r['scenario']} | none (flat) | - | - | - | **{statuses}** | - "
                       f"| - | **{_pct(r['naive_crossed'])}** |")
        else:
            width = "inf" if not math.isfinite(r["width"]) else f"{r['width']:.0f}"
            out.append(f"| {r['scenario']} | {r['truth']:.0f} | {_pct(r['coverage'])} | "
                       f"{_pct(r['err'])} | {width} | {statuses} | "
                       f"{_pct(r['safe_given'])} | {_pct(r['naive_err'])} | "
                       f"{_pct(r['naive_crossed'])} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="data sets per scenario")
    ap.add_argument("--n-bootstrap", type=int, default=1000)
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--out", default="", help="write OUT.md (table) and OUT.csv (raw)")
    ap.add_argument("--curve", default="auto",
                    help="recommend_retrain_interval's curve (isotonic: the flexible "
                         "shape's own bootstrap)")
    ap.add_argument("--from-csv", default="",
                    help="comma-separated raw .csv files written by earlier runs (one "
                         "scenario each, say): the table of their rows, nothing simulated")
    args = ap.parse_args(argv)
    names = [s for s in args.only.split(",") if s] or list(SCENARIOS)
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        ap.error(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
    t0 = time.perf_counter()
    if args.from_csv:
        text_cols = {c: str for c in ("status", "default_status", "fresh_status",
                                      "advice", "family", "calendar_found",
                                      "calendar_modelled", "scenario")}
        raw = pd.concat([pd.read_csv(f, keep_default_na=False, na_values=[""],
                                     dtype=text_cols)
                         for f in args.from_csv.split(",") if f], ignore_index=True)
        raw = raw[raw["scenario"].isin(names)]
        names = [s for s in names if s in set(raw["scenario"])]
        sizes = sorted(set(raw.groupby("scenario").size()))
        n_text = "/".join(map(str, sizes))
        elapsed = float(raw["seconds"].sum())
        timing = f"{elapsed:.0f} s of fits and bootstraps in all (read from raw rows)"
    else:
        jobs = [(s, k) for s in names for k in range(args.n)]
        res = Parallel(n_jobs=args.n_jobs)(delayed(one)(s, k, args.n_bootstrap,
                                                        args.curve) for s, k in jobs)
        elapsed = time.perf_counter() - t0
        raw = pd.DataFrame(res)
        n_text = str(args.n)
        timing = f"{elapsed:.0f} s (n_jobs={args.n_jobs})"
    summary = summarise(raw)
    head = (f"oot {oot.__version__}; {n_text} data sets per scenario, {args.n_bootstrap} "
            f"bootstrap replicates, tolerance {TOL:.0%} relative, nominal "
            f"{LEVEL:.0%} CI; curve={args.curve!r}; {timing}.")
    scen = "\n".join(f"- `{s}`: {SCENARIOS[s].description}" for s in names)
    table = markdown(summary)
    errors = ("" if summary["truth"].map(math.isfinite).sum() == 0 else
              f"How far off, oot against the naive rule:\n\n{markdown_errors(summary)}\n\n")
    text = (f"{head}\n\n{table}\n\n{errors}How oot read them:\n\n{markdown_reading(summary)}\n\n"
            f"Scenarios:\n\n{scen}\n")
    print(text)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = " ".join(["python", "studies/shapes.py", *(argv if argv is not None
                                                          else sys.argv[1:])])
        out.with_suffix(".md").write_text(f"Command: `{cmd}`\n\n{text}")
        raw.to_csv(out.with_suffix(".csv"), index=False, float_format="%.6g")


if __name__ == "__main__":
    main()
