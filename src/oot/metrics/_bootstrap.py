"""Bootstrap standard errors within one window, for metrics without a formula.

:func:`bootstrap_se` resamples the window's rows and recomputes the metric; a metric
may carry a faster equivalent in its ``bootstrap_se`` field (F1 from multinomial
confusion counts, average precision from resampling weights). Each window's generator
is derived from one entropy integer, ``oot._validation.as_seed(random_state)``, and the
window's row range (:func:`window_rng`), so a window's SE does not depend on the other
windows.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from oot.metrics._kernels import FloatArray

if TYPE_CHECKING:
    from oot.metrics._metric import Metric


def window_rng(entropy: int | None, start: int, stop: int) -> np.random.Generator:
    """The generator of window ``[start, stop)``.

    Keyed by the window's row range: a window's bootstrap does not depend on which
    other windows are scored, nor on their order.
    """
    if entropy is None:
        return np.random.default_rng()
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(start, stop)))


def bootstrap_se(metric: Metric, yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator,
                 n_bootstrap: int, labels: np.ndarray | None) -> float:
    """SD of the metric over ``n_bootstrap`` resamples of the rows (NaN below 2 rows).

    Uses ``metric.bootstrap_se`` for 1-D predictions without ``labels``; otherwise calls
    the metric on each resample (resamples where it is undefined are skipped).
    """
    n = len(yt)
    if n < 2:
        return math.nan
    if metric.bootstrap_se is not None and labels is None and yp.ndim == 1:
        return float(metric.bootstrap_se(yt, yp, rng, n_bootstrap))
    vals = np.full(n_bootstrap, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b in range(n_bootstrap):
            idx = rng.integers(0, n, n)
            ytb = yt[idx]
            if metric.requires_two_classes and np.all(ytb == ytb[0]):
                continue
            try:
                vals[b] = metric(ytb, yp[idx], labels=labels)
            except (ValueError, ZeroDivisionError, FloatingPointError):
                continue
    return replicate_sd(vals)


def replicate_sd(vals: FloatArray) -> float:
    """Sample SD (ddof=1) of the finite replicates; NaN when fewer than two."""
    ok = vals[np.isfinite(vals)]
    if ok.size < 2:
        return math.nan
    return float(np.std(ok, ddof=1))


def f1_bootstrap(yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator, b: int) -> float:
    """Bootstrap SE of binary F1: resampling rows only changes the confusion counts, so
    they are drawn as a multinomial."""
    n = len(yt)
    t, p = yt == 1, yp == 1
    cells = np.array([np.sum(t & p), np.sum(~t & p), np.sum(t & ~p), np.sum(~t & ~p)])
    draws = rng.multinomial(n, cells / n, size=b).astype(float)
    tp, fp, fn = draws[:, 0], draws[:, 1], draws[:, 2]
    den = 2 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(den > 0, 2 * tp / den, np.nan)
    return replicate_sd(f1)


def average_precision_bootstrap(yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator,
                                b: int) -> float:
    """Bootstrap SE of average precision: a resample's AP depends only on how often each
    row is drawn, so the rows are sorted once and every resample is a vector of row
    weights (evaluated in chunks)."""
    n = len(yt)
    order = np.argsort(-np.asarray(yp, dtype=float), kind="stable")
    s = np.asarray(yp, dtype=float)[order]
    y = (np.asarray(yt)[order] == 1).astype(float)
    last = np.r_[s[1:] != s[:-1], True]  # last row of each tie group (thresholds)
    vals = np.full(b, np.nan)
    chunk = max(1, min(b, 4_000_000 // max(n, 1)))
    for c0 in range(0, b, chunk):
        m = min(chunk, b - c0)
        w = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(m)])
        w = w.astype(float)
        tps = np.cumsum(w * y, axis=1)[:, last]
        alls = np.cumsum(w, axis=1)[:, last]
        total_pos = tps[:, -1]
        d_tp = np.diff(tps, axis=1, prepend=0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            prec = np.where(alls > 0, tps / alls, 0.0)
            ap = np.sum(d_tp * prec, axis=1) / total_pos
        all_neg = total_pos == 0
        all_pos = total_pos == alls[:, -1]
        ap[all_neg | all_pos] = np.nan
        vals[c0:c0 + m] = ap
    return replicate_sd(vals)
