"""Calibration study of the per-window standard errors of ``oot.metrics.score_windows``.

A fixed model's predictions on a fixed (infinite) population: many independent windows of
``n`` rows are drawn, each window is scored, and the standard error the library reports
for each window is compared with the observed spread of the score across windows.

Populations
-----------
* Classification (ROC AUC, accuracy, log loss): prevalence 0.3, binormal scores
  ``s | y=0 ~ N(0, 1)``, ``s | y=1 ~ N(d, 1)`` with ``d = 1.5`` (true AUC
  ``Phi(d / sqrt(2)) = 0.8556``). ROC AUC scores ``s``; accuracy the labels
  ``s > 1.0``; log loss the calibrated probability ``P(y = 1 | s)`` (Bayes' rule).
* Regression (MAE, RMSE): residuals ``y - y_pred`` Gaussian (``sd = 2``) and, as a
  heavier-tailed case, Student t with 5 degrees of freedom (excess kurtosis 6).

For each metric and window size the table shows the true score (a large-sample value),
the mean score over windows, the observed SD of the score across windows, the mean and the
root-mean-square (RMS) of the reported SEs, and the ratios SE/SD (RMS SE over SD is the
natural check: a calibrated SE has ``E[SE^2] = Var(score)``). With R windows the
observed SD, hence the ratio, is uncertain by about ``1.96 / sqrt(2 (R - 1))`` relative
(95%; +-3.1% at R = 2,000) for near-normal scores, more for heavy-tailed ones.

Usage::

    python studies/se_calibration.py [--windows 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np
from scipy.stats import norm

from oot.metrics import score_windows

PREVALENCE = 0.3
SHIFT = 1.5          # binormal separation d: AUC = Phi(d / sqrt(2))
THRESHOLD = 1.0      # accuracy: predict 1 when s > THRESHOLD
RESID_SD = 2.0
T_DF = 5
SIZES = (50, 500, 5000)


def _binormal(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = (rng.random(n) < PREVALENCE).astype(np.int64)
    s = rng.normal(size=n) + SHIFT * y
    return y, s


def _posterior(s: np.ndarray) -> np.ndarray:
    """P(y = 1 | s) under the binormal population: a calibrated probability."""
    log_odds = math.log(PREVALENCE / (1 - PREVALENCE)) + SHIFT * s - SHIFT**2 / 2
    return 1.0 / (1.0 + np.exp(-log_odds))


def sample(metric: str, population: str, rng: np.random.Generator, n: int
           ) -> tuple[np.ndarray, np.ndarray, int | None]:
    """``n`` rows of (y_true, y_pred) for the metric; the n_classes to pass."""
    if metric in ("roc_auc", "accuracy", "log_loss"):
        y, s = _binormal(rng, n)
        if metric == "roc_auc":
            return y, s, 2
        if metric == "accuracy":
            return y, (s > THRESHOLD).astype(np.int64), 2
        return y, _posterior(s), 2
    f = rng.normal(size=n) * 5.0  # the model's prediction; y = f + residual
    if population == "gaussian":
        e = rng.normal(scale=RESID_SD, size=n)
    else:
        e = rng.standard_t(T_DF, size=n) * RESID_SD / math.sqrt(T_DF / (T_DF - 2))
    return f + e, f, None


def true_value(metric: str, population: str) -> float:
    """The population value of the metric (closed form, or a 4e6-row sample)."""
    if metric == "roc_auc":
        return float(norm.cdf(SHIFT / math.sqrt(2)))
    if metric == "accuracy":
        return float((1 - PREVALENCE) * norm.cdf(THRESHOLD)
                     + PREVALENCE * norm.sf(THRESHOLD - SHIFT))
    if metric == "rmse":
        return RESID_SD
    if metric == "mae" and population == "gaussian":
        return RESID_SD * math.sqrt(2 / math.pi)
    rng = np.random.default_rng(12345)
    yt, yp, k = sample(metric, population, rng, 4_000_000)
    ws = score_windows(metric, yt, yp, np.array([0]), np.array([len(yt)]), n_classes=k)
    return float(ws.score[0])


def run(metric: str, population: str, n: int, n_windows: int, rng: np.random.Generator
        ) -> dict[str, float]:
    # draw in chunks of ~2M rows so that memory stays small
    per_chunk = max(1, 2_000_000 // n)
    scores, ses = [], []
    left = n_windows
    while left:
        w = min(per_chunk, left)
        yt, yp, k = sample(metric, population, rng, n * w)
        starts = np.arange(w, dtype=np.int64) * n
        ws = score_windows(metric, yt, yp, starts, starts + n, n_classes=k)
        ok = ws.status == "ok"
        scores.append(ws.score[ok])
        ses.append(ws.se[ok])
        left -= w
    s = np.concatenate(scores)
    e = np.concatenate(ses)
    e = e[np.isfinite(e)]
    sd = float(np.std(s, ddof=1))
    return {
        "windows": float(len(s)),
        "mean": float(np.mean(s)),
        "sd": sd,
        "mean_se": float(np.mean(e)),
        "rms_se": float(np.sqrt(np.mean(e**2))),
        "ratio_mean": float(np.mean(e)) / sd,
        "ratio_rms": float(np.sqrt(np.mean(e**2))) / sd,
    }


CASES: list[tuple[str, str, str]] = [
    ("roc_auc", "binormal", "ROC AUC"),
    ("accuracy", "binormal", "accuracy"),
    ("log_loss", "binormal", "log loss"),
    ("mae", "gaussian", "MAE"),
    ("rmse", "gaussian", "RMSE"),
    ("mae", "t5", "MAE"),
    ("rmse", "t5", "RMSE"),
]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--windows", type=int, default=2000, help="windows per cell")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    band = 1.96 / math.sqrt(2 * (args.windows - 1))
    print(f"{args.windows} windows per cell; the ratio's sampling uncertainty is about "
          f"+-{100 * band:.1f}% (95%).\n")
    header = ("| metric | population | n | true value | mean score | SD of score | mean SE "
              "| RMS SE | mean SE / SD | RMS SE / SD | verdict |")
    print(header)
    print("|" + "---|" * 11)
    fmt: Callable[[float], str] = lambda v: f"{v:.4g}"  # noqa: E731
    for metric, pop, label in CASES:
        truth = true_value(metric, pop)
        for n in SIZES:
            r = run(metric, pop, n, args.windows, rng)
            ok = 0.9 <= r["ratio_rms"] <= 1.1
            verdict = "ok" if ok else ("miss (small n)" if n == 50 else "MISS")
            print(f"| {label} | {pop} | {n:,} | {fmt(truth)} | {fmt(r['mean'])} | "
                  f"{fmt(r['sd'])} | {fmt(r['mean_se'])} | {fmt(r['rms_se'])} | "
                  f"{r['ratio_mean']:.3f} | {r['ratio_rms']:.3f} | {verdict} |", flush=True)
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
