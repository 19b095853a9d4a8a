"""Partial pooling across segments: does it help small segments without hurting large ones?

Simulates the per-window accuracy of a model on a population split into segments of very
different sizes (two large ones, 30% of the rows each, and eight small ones, 5% each),
scored on the same calendar windows by frozen models of 8 anchors one 30-day window
apart, 14 windows each (ages 15 to 405 days). Each data set goes through
``recommend_retrain_interval(..., pooling="none")`` and ``pooling="partial"`` on the same
evaluation (``curve="auto"``), and the study reports, per kind of segment, the error of
the interval against each segment's own true crossing age, the coverage of its nominal
90% CI and the CI's width.

The generator does not share the estimator's assumptions:

- no curve family is the truth: the probability that the model is right decays on the
  logit scale, ``logit p_s(a) = 1.4 - r_s (a / 100 days)^c`` (``c = 0.7`` by default:
  steepest while the model is fresh; ``--power 1.3``: accelerating), so on the accuracy
  scale the curve is none of linear, exponential, power, ...;
- the segments' decay rates are not normal around a common one: ``r_s = r m_s`` (``r``
  gives a typical segment its crossing at 140 days) with
  ``m_s = 1.9`` (a segment that goes stale much faster) with probability 0.2, else
  lognormal(0, 0.15);
- scores are counts: each (anchor, window) cell of segment ``s`` has ``Poisson(3000 w_s)``
  rows, of which ``Binomial(n, p)`` are right, with ``p`` moved on the logit scale by an
  anchor effect (sd 0.03), a calendar shock shared by every segment (sd 0.04) and the
  segment's own calendar shock, heavy-tailed (t with 4 degrees of freedom, scale 0.02);
  the reported SE is the binomial ``sqrt(acc (1 - acc) / n)`` of the observed accuracy;
- the whole population's score is the accuracy of all its rows (its counts summed).

The true crossing age of segment ``s`` for a 5% relative tolerance solves
``p_s(a) = 0.95 p_s(0)`` on the noise-free curve.

Usage::

    python studies/pooling.py [--n-sims 100] [--n-bootstrap 300] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from oot import OOTEvaluation, recommend_retrain_interval

TOL = 0.05
ETA = 1.4  # logit of the fresh model's accuracy (0.80)
RATE = 0.186  # the typical segment's decay rate for the default power
POWER, SCALE = 0.7, 100.0  # logit p(a) = ETA - r (a / SCALE)^POWER
FAST, P_FAST, RATE_SD = 1.9, 0.2, 0.15
SEGMENTS = {"L1": 0.3, "L2": 0.3, **{f"S{i}": 0.05 for i in range(1, 9)}}
N_ANCHORS, N_WINDOWS, WINDOW = 8, 14, 30.0
N_ROWS = 3000  # expected rows of the whole population per window
ANCHOR_SD, COMMON_SD, OWN_SCALE, OWN_DF = 0.03, 0.04, 0.02, 4


def expit(x: Any) -> Any:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: float) -> float:
    """The log-odds of ``p``."""
    return math.log(p / (1 - p))


def typical_rate(power: float) -> float:
    """The typical segment's decay rate: ``RATE`` for the default power, else the rate
    with the same true crossing age (140 days)."""
    if power == POWER:
        return RATE
    return (ETA - logit((1 - TOL) * expit(ETA))) / (true_crossing(RATE) / SCALE) ** power


def true_crossing(rate: float, power: float = POWER) -> float:
    """The age at which ``p(a) = (1 - TOL) p(0)`` on the noise-free curve."""
    target = logit((1 - TOL) * expit(ETA))
    return float(SCALE * ((ETA - target) / rate) ** (1 / power))


def simulate(seed: int, power: float = POWER,
             ) -> tuple[OOTEvaluation, dict[str, float], dict[str, bool]]:
    """One data set: the evaluation of every segment and of the whole population, each
    segment's true crossing age and whether it is a fast one."""
    rng = np.random.default_rng(seed)
    names = list(SEGMENTS)
    share = np.array([SEGMENTS[s] for s in names])
    fast = rng.random(len(names)) < P_FAST
    mult = np.where(fast, FAST, rng.lognormal(0.0, RATE_SD, len(names)))
    rates = typical_rate(power) * mult
    n_periods = N_ANCHORS + N_WINDOWS - 1
    anchor = ANCHOR_SD * rng.standard_normal(N_ANCHORS)
    common = COMMON_SD * rng.standard_normal(n_periods)
    own = OWN_SCALE * rng.standard_t(OWN_DF, (len(names), n_periods))
    rows = []
    for j in range(N_ANCHORS):
        for k in range(N_WINDOWS):
            period = j + k
            age = (k + 0.5) * WINDOW
            p = expit(ETA - rates * (age / SCALE) ** power + anchor[j] + common[period]
                      + own[:, period])
            n = rng.poisson(N_ROWS * share)
            right = rng.binomial(n, p)
            base = {"anchor": j + 1, "window": k + 1, "age": age,
                    "window_start": period * WINDOW, "window_end": (period + 1) * WINDOW}
            for label, n_s, r_s in (*zip(names, n, right, strict=True),
                                    ("(all)", n.sum(), right.sum())):
                acc = r_s / n_s
                rows.append({**base, "segment": label, "score": float(acc),
                             "se": float(math.sqrt(acc * (1 - acc) / n_s)), "n": int(n_s)})
    ev = OOTEvaluation.from_frame(pd.DataFrame(rows), metric="accuracy",
                                  time_kind="numeric")
    truth = {s: true_crossing(r, power) for s, r in zip(names, rates, strict=True)}
    return ev, truth, dict(zip(names, fast.tolist(), strict=True))


def one(seed: int, n_bootstrap: int, power: float = POWER) -> list[dict[str, Any]]:
    """Both poolings on one data set: a row per segment and pooling."""
    ev, truth, fast = simulate(seed, power)
    out = []
    for pooling in ("none", "partial"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            recs = recommend_retrain_interval(ev, curve="auto", n_bootstrap=n_bootstrap,
                                              pooling=pooling, random_state=seed)
        for rec in recs:
            if rec.segment == "(all)":
                continue
            t = truth[rec.segment]
            est = rec.interval if rec.status == "crossed" else math.inf
            lo, hi = rec.interval_ci
            lo = math.inf if lo is None else float(lo)
            hi = math.inf if hi is None else float(hi)
            out.append({
                "seed": seed, "pooling": pooling, "segment": rec.segment,
                "size": "large" if SEGMENTS[rec.segment] >= 0.3 else "small",
                "speed": "fast" if fast[rec.segment] else "typical",
                "truth": t, "est": float(est), "low": lo, "high": hi,
                "cover": bool(lo <= t <= hi), "width": hi - lo,
                "weight": rec.pooling_weight, "status": rec.status})
    return out


def table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Per kind of segment and pooling: the interval's error and its CI's coverage."""
    df = pd.DataFrame(rows)
    df["rel_err"] = (df["est"] - df["truth"]) / df["truth"]
    out = []
    for size in ("small", "large"):
        for speed in ("all", "typical", "fast"):
            for pooling in ("none", "partial"):
                g = df[(df["size"] == size) & (df["pooling"] == pooling)]
                if speed != "all":
                    g = g[g["speed"] == speed]
                err = g["rel_err"].replace([np.inf, -np.inf], np.nan)
                out.append({
                    "segments": size, "speed": speed, "pooling": pooling, "n": len(g),
                    "rmse_rel": float(np.sqrt(np.nanmean(err**2))),
                    "median_abs_rel": float(np.nanmedian(np.abs(err))),
                    "too_long": float(np.mean(g["rel_err"] > 0.25)),
                    "beyond": float(np.mean(~np.isfinite(g["est"]))),
                    "coverage": float(g["cover"].mean()),
                    "median_width": float(np.median(g["width"])),
                    "mean_weight": (float(g["weight"].mean()) if pooling == "partial"
                                    else math.nan),
                })
    return pd.DataFrame(out)


def markdown(t: pd.DataFrame) -> str:
    """The table as Markdown."""
    head = ("| segments | speed | pooling | fits | RMSE of rel. error | median abs. rel. "
            "error | > 25% too long | not crossed | coverage of 90% CI | median CI width "
            "(days) | mean weight on the population |")
    lines = [head, "|" + "---|" * 11]
    for r in t.itertuples():
        w = "" if math.isnan(r.mean_weight) else f"{r.mean_weight:.2f}"
        lines.append(
            f"| {r.segments} | {r.speed} | {r.pooling} | {r.n} | {100 * r.rmse_rel:.1f}% | "
            f"{100 * r.median_abs_rel:.1f}% | {100 * r.too_long:.1f}% | "
            f"{100 * r.beyond:.1f}% | {100 * r.coverage:.1f}% | {r.median_width:.0f} | "
            f"{w} |")
    return "\n".join(lines)


def main() -> None:
    """Run the study and print its table."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--n-sims", type=int, default=100)
    ap.add_argument("--n-bootstrap", type=int, default=300)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--power", type=float, default=POWER,
                    help=f"shape of the decay on the logit scale (default {POWER}: "
                         "steepest when the model is fresh; above 1: accelerating)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    res = Parallel(n_jobs=args.n_jobs)(delayed(one)(seed, args.n_bootstrap, args.power)
                                       for seed in range(args.n_sims))
    rows = [r for part in res for r in part]
    print(f"{args.n_sims} data sets x {len(SEGMENTS)} segments, {args.n_bootstrap} "
          f"bootstrap replicates, power {args.power}, curve='auto', tolerance 5% relative, "
          f"nominal 90% CI; "
          f"{time.perf_counter() - t0:.0f} s.\n")
    print(markdown(table(rows)))


if __name__ == "__main__":
    main()
