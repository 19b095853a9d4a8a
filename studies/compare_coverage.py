"""Calibration study of the paired comparison (``compare_candidates``).

Repeated simulation with a known truth: ``oot.datasets.make_heuristic_comparison`` (a
model of every feature whose coefficients rotate, so it ages; a heuristic on a stable
feature that does not). The generator does not share the estimator's assumptions: the
true difference of the two expected scores against age is a cosine (regression) or an
arcsine of a cosine (classification), none of the degradation families, and the noise is
that of finite samples, with both candidates fitted on the rows. For each data set
``compare_candidates`` fits the model and the heuristic (``LinearRegression`` /
``LogisticRegression`` on every feature vs on ``z`` alone) at the same cutoffs, and the
study records

- whether the nominal 90% CI of the age at which the model stops beating the heuristic
  covers the exact one (``HeuristicDataset.true_crossing_age``), the relative error of
  the point estimate and the CI width;
- per window position (anchor 1, windows 1..8) the reported paired SE of the
  difference and the difference itself: over data sets, RMS(paired SE) / SD(difference)
  should be about 1 (the unpaired SE, from the two scores' own SEs, is reported too).

Usage::

    python studies/compare_coverage.py [--n-sims 100] [--n-bootstrap 500] [--quick]
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
from sklearn.linear_model import LinearRegression, LogisticRegression

import oot
from oot.datasets import make_heuristic_comparison

#: The design: 3 years of data, 6 anchors two months apart on a one-year window,
#: 30-day evaluation windows up to 240 days of model age.
DESIGN: dict[str, Any] = {"train_window": "365D", "eval_window": "30D", "horizon": "240D",
                          "anchors": 6, "anchor_step": "60D"}
TASKS: dict[str, dict[str, Any]] = {
    "regression": {"metric": "mse", "n_samples": 20000, "estimator": LinearRegression},
    "classification": {"metric": "roc_auc", "n_samples": 20000,
                       "estimator": LogisticRegression},
}
N_SE_WINDOWS = 8


def one(task: str, seed: int, n_bootstrap: int) -> dict[str, Any]:
    """One simulated data set: the pair's crossing, its CI, and the first anchor's
    per-window differences and SEs."""
    spec = TASKS[task]
    ds = make_heuristic_comparison(spec["n_samples"], task=task, random_state=seed)
    truth = ds.true_crossing_age(metric=spec["metric"], eval_window=DESIGN["eval_window"])
    est = spec["estimator"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp = oot.compare_candidates(
            ds.frame, {"model": est(), "heuristic": (est(), {"features": ["z"]})},
            target=ds.target, time=ds.time, metric=spec["metric"], **DESIGN,
            n_bootstrap=n_bootstrap, random_state=seed)
    pair = cmp.pair("model", "heuristic")
    day = pd.Timedelta("1D")
    t = truth / day
    out: dict[str, Any] = {"task": task, "seed": seed, "truth": t,
                           "leader": pair.leader, "status": pair.status,
                           "family": pair.curve.family}
    est_age = pair.crossing_age / day if pair.crossing_age is not None else math.inf
    low = pair.crossing_ci.low / day if pair.crossing_ci.low is not None else -math.inf
    high = pair.crossing_ci.high / day if pair.crossing_ci.high is not None else math.inf
    out.update(est=est_age, low=low, high=high, cover=bool(low <= t <= high))
    d = pair.differences.scores
    first = d[d["anchor"] == 1].head(N_SE_WINDOWS)
    sm = cmp["model"].evaluation.scores
    sh = cmp["heuristic"].evaluation.scores
    sel = (sm["anchor"] == 1).to_numpy()
    out["diff"] = first["score"].to_numpy(float)
    out["se"] = first["se"].to_numpy(float)
    out["unpaired_se"] = np.hypot(sm.loc[sel, "se"].to_numpy(float),
                                  sh.loc[sel, "se"].to_numpy(float))[:N_SE_WINDOWS]
    return out


def summarize(res: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per task: coverage, median relative error, median CI width (days), the share of
    data sets whose model led and crossed, and the SE ratios (median over windows)."""
    table = {}
    for task in TASKS:
        rows = [r for r in res if r["task"] == task]
        if not rows:
            continue
        truth = rows[0]["truth"]
        est = np.array([r["est"] for r in rows])
        width = np.array([r["high"] - r["low"] for r in rows])
        diff = np.array([r["diff"] for r in rows])
        se = np.array([r["se"] for r in rows])
        un = np.array([r["unpaired_se"] for r in rows])
        sd = diff.std(axis=0, ddof=1)
        paired = np.sqrt(np.mean(se**2, axis=0)) / sd
        unpaired = np.sqrt(np.mean(un**2, axis=0)) / sd
        table[task] = {
            "n": float(len(rows)), "truth": truth,
            "coverage": float(np.mean([r["cover"] for r in rows])),
            "crossed": float(np.mean([r["status"] == "crossed" and r["leader"] == "model"
                                      for r in rows])),
            "median_rel_error": float(np.median(np.abs(est - truth) / truth)),
            "within_20": float(np.mean(np.abs(est - truth) / truth <= 0.2)),
            "median_width": float(np.median(width)),
            "median_bias": float(np.median(est - truth)),
            "sd_est": float(np.std(est[np.isfinite(est)], ddof=1)),
            "se_ratio_min": float(paired.min()), "se_ratio_max": float(paired.max()),
            "unpaired_ratio_median": float(np.median(unpaired)),
        }
    return table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-sims", type=int, default=100)
    ap.add_argument("--n-bootstrap", type=int, default=500)
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="20 sims, 200 replicates")
    ap.add_argument("--out", help="also write the per-data-set rows to this CSV")
    args = ap.parse_args()
    n_sims, n_boot = (20, 200) if args.quick else (args.n_sims, args.n_bootstrap)
    t0 = time.perf_counter()
    jobs = [(task, 1000 * i + k) for i, task in enumerate(TASKS) for k in range(n_sims)]
    res = Parallel(n_jobs=args.n_jobs)(delayed(one)(task, seed, n_boot)
                                       for task, seed in jobs)
    elapsed = time.perf_counter() - t0
    table = summarize(res)
    if args.out:
        pd.DataFrame([{k: v for k, v in r.items() if k not in ("diff", "se", "unpaired_se")}
                      for r in res]).to_csv(args.out, index=False)
    print(f"{n_sims} data sets per task, {n_boot} bootstrap replicates, nominal 90% CI; "
          f"design {DESIGN}; {elapsed:.0f} s.\n")
    print("| task (metric) | rows | true crossing (days) | model led and crossed | "
          "coverage of 90% CI | median rel. error | within 20% | median CI width (days) "
          "| median bias (days) | SD of estimates (days) "
          "| paired SE / SD of diff. (8 windows) | unpaired SE / SD (median) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for task, r in table.items():
        spec = TASKS[task]
        print(f"| {task} ({spec['metric']}) | {spec['n_samples']:,} | {r['truth']:.1f} | "
              f"{r['crossed']:.0%} | {r['coverage']:.1%} | {r['median_rel_error']:.1%} | "
              f"{r['within_20']:.0%} | {r['median_width']:.0f} | "
              f"{r['median_bias']:+.1f} | {r['sd_est']:.1f} | "
              f"{r['se_ratio_min']:.2f}-{r['se_ratio_max']:.2f} | "
              f"{r['unpaired_ratio_median']:.2f} |")


if __name__ == "__main__":
    main()
