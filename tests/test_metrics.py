"""Tests of oot.metrics against scikit-learn and published standard errors."""

from __future__ import annotations

import math
import pickle
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import oot.metrics._scoring as om_scoring
from oot import evaluate_predictions
from oot._validation import InvalidParameterError, as_seed
from oot.metrics import (
    SE_METHODS,
    STATUSES,
    Metric,
    WindowScores,
    available,
    delong_se,
    get_metric,
    hanley_mcneil_se,
    score_windows,
)

# --------------------------------------------------------------------------------------
# Helpers and fixtures
# --------------------------------------------------------------------------------------


def make_windows(n_rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping ranges with empty, one- and two-row windows and a gap, shuffled."""
    cuts = set(rng.choice(np.arange(20, n_rows - 10), size=12, replace=False).tolist())
    cuts |= {7, 8, 10}  # windows [7, 8) and [8, 10)
    bounds = np.array([0, *sorted(cuts), n_rows])
    starts, stops = bounds[:-1], bounds[1:]
    keep = np.arange(len(starts)) != 5  # rows of one window are left unscored (a gap)
    starts = np.r_[starts[keep], 5, n_rows]  # two empty windows
    stops = np.r_[stops[keep], 5, n_rows]
    order = rng.permutation(len(starts))
    return starts[order].astype(np.int64), stops[order].astype(np.int64)


def sk_reference(
    sk_func: Callable[..., float],
    y: np.ndarray,
    p: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    *,
    min_window_size: int = 1,
    two_classes: bool = False,
) -> tuple[np.ndarray, list[str]]:
    """Independent per-window loop over slices with scikit-learn."""
    scores, status = [], []
    for a, b in zip(starts, stops, strict=True):
        yw, pw = y[a:b], p[a:b]
        if b - a == 0:
            scores.append(np.nan)
            status.append("empty")
            continue
        if b - a < min_window_size:
            scores.append(np.nan)
            status.append("too_small")
            continue
        if two_classes and len(np.unique(yw)) < 2:
            scores.append(np.nan)
            status.append("one_class")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                v = float(sk_func(yw, pw))
            except ValueError:
                v = np.nan
        scores.append(v)
        status.append("ok" if np.isfinite(v) else "undefined")
    return np.array(scores), status


@pytest.fixture
def binary_data() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    n = 3000
    y = rng.integers(0, 2, n)
    proba = np.round(1 / (1 + np.exp(-(y * 1.2 + rng.normal(size=n)))), 1)  # many ties
    starts, stops = make_windows(n, rng)
    # a one-class window
    i = int(np.argmax(stops - starts))
    y[starts[i]:stops[i]] = 1
    labels = (proba > 0.5).astype(np.int64)
    return {"y": y, "proba": proba, "labels": labels, "starts": starts, "stops": stops}


BINARY_SK: dict[str, tuple[Callable[..., float], str, bool]] = {
    "roc_auc": (skm.roc_auc_score, "proba", True),
    "average_precision": (skm.average_precision_score, "proba", True),
    "log_loss": (lambda y, p: skm.log_loss(y, p, labels=[0, 1]), "proba", False),
    "brier": (lambda y, p: skm.brier_score_loss(y, p, pos_label=1), "proba", False),
    "accuracy": (skm.accuracy_score, "labels", False),
    "balanced_accuracy": (skm.balanced_accuracy_score, "labels", False),
    "f1": (lambda y, p: skm.f1_score(y, p, zero_division=np.nan), "labels", False),
    "precision": (lambda y, p: skm.precision_score(y, p, zero_division=np.nan), "labels",
                  False),
    "recall": (lambda y, p: skm.recall_score(y, p, zero_division=np.nan), "labels", False),
}

REGRESSION_SK: dict[str, Callable[..., float]] = {
    "mae": skm.mean_absolute_error,
    "mse": skm.mean_squared_error,
    "rmse": skm.root_mean_squared_error,
    "r2": skm.r2_score,
    "mape": skm.mean_absolute_percentage_error,
}


def assert_scores(ws: WindowScores, ref: np.ndarray, status: list[str]) -> None:
    assert ws.status.tolist() == status
    np.testing.assert_allclose(ws.score, ref, rtol=1e-9, atol=1e-9, equal_nan=True)
    ok = ws.status == "ok"
    assert np.all(np.isnan(ws.se[~ok]))


# --------------------------------------------------------------------------------------
# Registry and Metric
# --------------------------------------------------------------------------------------


def test_available_lists_registry() -> None:
    names = available()
    assert names == sorted(names)
    for name in [*BINARY_SK, *REGRESSION_SK]:
        assert name in names


@pytest.mark.parametrize(
    ("name", "greater"),
    [("roc_auc", True), ("log_loss", False), ("brier", False), ("mae", False),
     ("rmse", False), ("mse", False), ("mape", False), ("r2", True), ("f1", True)],
)
def test_directions(name: str, greater: bool) -> None:
    assert get_metric(name).greater_is_better is greater


def test_responses() -> None:
    assert get_metric("roc_auc").response == "predict_proba"
    assert get_metric("average_precision").response == "predict_proba"
    assert get_metric("log_loss").response == "predict_proba"
    assert get_metric("brier").response == "predict_proba"
    for name in ["accuracy", "f1", "precision", "recall", "balanced_accuracy", "mae", "r2"]:
        assert get_metric(name).response == "predict"
    assert get_metric("roc_auc").requires_two_classes
    assert get_metric("average_precision").requires_two_classes
    assert not get_metric("log_loss").requires_two_classes


def test_get_metric_unknown_name_message() -> None:
    names = ", ".join(repr(n) for n in available())
    msg = (
        "The 'metric' parameter of evaluate_out_of_time must be a metric name from "
        "oot.metrics.available() or an oot.Metric. Got 'roc_aux' instead. Did you mean "
        f"'roc_auc'? Valid names are: {names}."
    )
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        get_metric("roc_aux")


def test_get_metric_uses_func_name_and_type_check() -> None:
    with pytest.raises(InvalidParameterError, match=r"parameter of fit_degradation must"):
        get_metric("nope_nothing_like_it", func="fit_degradation")
    with pytest.raises(InvalidParameterError, match=r"Got 3 instead"):
        get_metric(3)  # type: ignore[arg-type]


def test_get_metric_passes_metric_through() -> None:
    m = Metric("x", func=lambda a, b: 0.0, greater_is_better=True)
    assert get_metric(m) is m


def test_metric_validation_messages() -> None:
    msg = ("The 'response' parameter of Metric must be one of {'predict_proba', "
           "'decision_function', 'predict'}. Got 'proba' instead.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        Metric("x", func=lambda a, b: 0.0, greater_is_better=True, response="proba")
    with pytest.raises(InvalidParameterError, match="'task' parameter of Metric"):
        Metric("x", func=lambda a, b: 0.0, greater_is_better=True, task="ranking")
    with pytest.raises(InvalidParameterError, match="'func' parameter of Metric"):
        Metric("x", func=3, greater_is_better=True)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'greater_is_better' parameter"):
        Metric("x", func=None, greater_is_better="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'name' parameter of Metric"):
        Metric("", func=None, greater_is_better=True)


def test_to_dict_from_dict_round_trip() -> None:
    for name in available():
        m = get_metric(name)
        assert Metric.from_dict(m.to_dict()) is m
    custom = Metric("my", func=lambda a, b: 1.0, greater_is_better=False,
                    response="predict_proba", task="binary", display_name="Mine",
                    requires_two_classes=True)
    back = Metric.from_dict(custom.to_dict())
    assert back.func is None
    assert back.to_dict() == custom.to_dict()
    # a custom metric named like a built-in stays custom
    shadow = Metric("roc_auc", func=lambda a, b: 1.0, greater_is_better=True)
    assert Metric.from_dict(shadow.to_dict()).func is None
    with pytest.raises(InvalidParameterError, match="rebuilt from JSON"):
        back([0, 1], [0.2, 0.3])


def test_metric_call_matches_sklearn() -> None:
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.1, 0.8, 0.3, 0.4, 0.9])
    assert get_metric("roc_auc")(y, p) == skm.roc_auc_score(y, p)
    assert get_metric("log_loss")(y, p) == skm.log_loss(y, p)


# --------------------------------------------------------------------------------------
# score_windows equals scikit-learn per window
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BINARY_SK))
@pytest.mark.parametrize("min_window_size", [1, 30])
def test_binary_scores_equal_sklearn(binary_data: dict[str, Any], name: str,
                                     min_window_size: int) -> None:
    sk_func, kind, two = BINARY_SK[name]
    d = binary_data
    y, p = d["y"], d[kind]
    ws = score_windows(name, y, p, d["starts"], d["stops"], n_classes=2,
                       min_window_size=min_window_size, random_state=0, n_bootstrap=50)
    ref, status = sk_reference(sk_func, y, p, d["starts"], d["stops"],
                               min_window_size=min_window_size, two_classes=two)
    assert_scores(ws, ref, status)
    lengths = d["stops"] - d["starts"]
    np.testing.assert_array_equal(ws.n, lengths)
    assert ws.n_pos is not None
    assert ws.n_neg is not None
    expected_pos = [int(y[a:b].sum()) for a, b in zip(d["starts"], d["stops"], strict=True)]
    np.testing.assert_array_equal(ws.n_pos, expected_pos)
    np.testing.assert_array_equal(ws.n_neg, lengths - ws.n_pos)
    assert {"empty", "ok"} <= set(ws.status.tolist())
    if two:
        assert "one_class" in ws.status.tolist()
    ok = ws.status == "ok"
    assert np.all(np.isfinite(ws.se[ok & (ws.n >= 30)]))


def test_binary_statuses_present(binary_data: dict[str, Any]) -> None:
    d = binary_data
    ws = score_windows("roc_auc", d["y"], d["proba"], d["starts"], d["stops"],
                       min_window_size=3)
    assert set(ws.status.tolist()) == {"ok", "empty", "too_small", "one_class"}


@pytest.fixture
def regression_data() -> dict[str, Any]:
    rng = np.random.default_rng(1)
    n = 2500
    y = np.round(rng.normal(10, 3, n), 1)
    y[::17] = 0.0  # zeros for MAPE's eps
    p = np.round(y + rng.normal(0, 2, n), 1)
    starts, stops = make_windows(n, rng)
    i = int(np.argmax(stops - starts))
    y[starts[i]:stops[i]] = 0.1  # a constant window for R^2 (mean is not exactly 0.1)
    j = int(np.argsort(stops - starts)[-2])
    y[starts[j]:stops[j]] = 3.0
    p[starts[j]:stops[j]] = 3.0  # constant and perfect
    return {"y": y, "p": p, "starts": starts, "stops": stops}


@pytest.mark.parametrize("name", list(REGRESSION_SK))
def test_regression_scores_equal_sklearn(regression_data: dict[str, Any], name: str) -> None:
    d = regression_data
    ws = score_windows(name, d["y"], d["p"], d["starts"], d["stops"])
    ref, status = sk_reference(REGRESSION_SK[name], d["y"], d["p"], d["starts"], d["stops"])
    assert_scores(ws, ref, status)
    assert ws.n_pos is None
    assert ws.n_neg is None


@pytest.mark.parametrize("name", list(REGRESSION_SK))
def test_regression_scores_with_non_finite(name: str) -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    p = np.array([1.5, np.nan, 3.5, 4.0, 5.0, 7.0])
    ws = score_windows(name, y, p, [0, 3], [3, 6])
    assert ws.status.tolist() == ["undefined", "ok"]
    assert ws.score[1] == pytest.approx(REGRESSION_SK[name](y[3:], p[3:]), abs=1e-12)


def test_probability_metrics_out_of_range_are_undefined() -> None:
    y = np.array([0, 1, 0, 1, 0, 1])
    p = np.array([0.2, 1.5, 0.3, 0.7, 0.4, 0.9])
    for name in ["log_loss", "brier"]:
        ws = score_windows(name, y, p, [0, 3], [3, 6])
        assert ws.status.tolist() == ["undefined", "ok"]
    ws = score_windows("roc_auc", y, np.r_[np.nan, p[1:]], [0, 3], [3, 6])
    assert ws.status.tolist() == ["undefined", "ok"]


MULTICLASS_SK: dict[str, tuple[Callable[..., float], str, bool]] = {
    "roc_auc": (lambda y, p: skm.roc_auc_score(y, p, multi_class="ovr", average="macro",
                                               labels=[0, 1, 2]), "proba", True),
    "log_loss": (lambda y, p: skm.log_loss(y, p, labels=[0, 1, 2]), "proba", False),
    "accuracy": (skm.accuracy_score, "codes", False),
    "balanced_accuracy": (skm.balanced_accuracy_score, "codes", False),
    "f1": (lambda y, p: skm.f1_score(y, p, labels=[0, 1, 2], average="macro",
                                     zero_division=np.nan), "codes", False),
    "precision": (lambda y, p: skm.precision_score(y, p, labels=[0, 1, 2], average="macro",
                                                   zero_division=np.nan), "codes", False),
    "recall": (lambda y, p: skm.recall_score(y, p, labels=[0, 1, 2], average="macro",
                                             zero_division=np.nan), "codes", False),
}


@pytest.mark.parametrize("name", list(MULTICLASS_SK))
def test_multiclass_scores_equal_sklearn(name: str) -> None:
    rng = np.random.default_rng(2)
    n = 1200
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 1.5 * np.eye(3)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    codes = proba.argmax(axis=1)
    starts, stops = make_windows(n, rng)
    i = int(np.argmax(stops - starts))
    y[starts[i]:stops[i]] = 2  # one class
    sk_func, kind, two = MULTICLASS_SK[name]
    p = proba if kind == "proba" else codes
    ws = score_windows(name, y, p, starts, stops, n_classes=3, n_bootstrap=0)
    ref, status = sk_reference(sk_func, y, p, starts, stops, two_classes=two)
    assert_scores(ws, ref, status)
    assert ws.n_pos is None
    big = np.argsort(ws.n)[-2:]  # the largest (one-class) window and the next
    small = score_windows(name, y, p, starts[big], stops[big], n_classes=3,
                          random_state=0, n_bootstrap=10)
    np.testing.assert_array_equal(small.score, ws.score[big])
    ok = small.status == "ok"
    assert ok.any()
    assert np.all(np.isfinite(small.se[ok]))


# --------------------------------------------------------------------------------------
# Standard errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auc", "n_pos", "n_neg", "expected"),
    [(0.75, 20, 200, 0.06498283), (0.75, 110, 110, 0.03282048), (0.75, 20, 20, 0.07789072)],
)
def test_hanley_mcneil_published_values(auc: float, n_pos: int, n_neg: int,
                                        expected: float) -> None:
    assert hanley_mcneil_se(auc, n_pos, n_neg) == pytest.approx(expected, abs=1e-8)


def test_hanley_mcneil_vectorised() -> None:
    out = hanley_mcneil_se([0.75, 0.75], [20, 0], [200, 5])
    assert out[0] == pytest.approx(0.06498283, abs=1e-8)
    assert np.isnan(out[1])


def delong_pairwise(y: np.ndarray, s: np.ndarray) -> float:
    """DeLong SE from the O(n_pos * n_neg) kernel psi(x, y) = 1[x>y] + 1/2 1[x=y]."""
    x, z = s[y == 1], s[y == 0]
    psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
    v10 = psi.mean(axis=1)
    v01 = psi.mean(axis=0)
    return math.sqrt(v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(z))


def test_delong_se_matches_pairwise_kernel() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        n = int(rng.integers(10, 300))
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        y[2:4] = [0, 1]
        s = np.round(rng.normal(size=n) + y, 1)
        assert delong_se(y, s) == pytest.approx(delong_pairwise(y, s), rel=1e-12)


def test_score_windows_delong_and_hanley(binary_data: dict[str, Any]) -> None:
    d = binary_data
    y, p = d["y"], d["proba"]
    ws = score_windows("roc_auc", y, p, d["starts"], d["stops"])
    hm = score_windows("roc_auc", y, p, d["starts"], d["stops"], se_method="hanley_mcneil")
    np.testing.assert_array_equal(ws.score, hm.score)
    for w in np.flatnonzero((ws.status == "ok") & (ws.n_pos > 1) & (ws.n_neg > 1)):
        a, b = d["starts"][w], d["stops"][w]
        assert ws.se[w] == pytest.approx(delong_pairwise(y[a:b], p[a:b]), rel=1e-9)
        assert hm.se[w] == pytest.approx(
            hanley_mcneil_se(ws.score[w], ws.n_pos[w], ws.n_neg[w]), rel=1e-12)


def _signed_zeros(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    s = rng.choice([-0.0, 0.0, 0.5, -0.5], size=y.size)
    s[y == 1] = rng.choice([-0.0, 0.0, 0.5, 1.0], size=int(y.sum()))
    return s


AUC_SCORES: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "continuous": lambda y, rng: rng.normal(size=y.size) + y,
    "rounded": lambda y, rng: np.round(rng.normal(size=y.size) + y, 1),
    "five_levels": lambda y, rng: rng.integers(0, 5, y.size) + y,
    "all_tied": lambda y, rng: np.zeros(y.size),
    "separated": lambda y, rng: y * 10.0 + rng.normal(size=y.size),
    "probabilities": lambda y, rng: 1 / (1 + np.exp(-(rng.normal(size=y.size) + y))),
    "probabilities_rounded": lambda y, rng: np.round(
        1 / (1 + np.exp(-(rng.normal(size=y.size) + y))), 2),
    "small_signed": lambda y, rng: np.clip(0.5 * rng.normal(size=y.size) + 0.3 * y,
                                           -1.9, 1.9),
    "signed_zeros": _signed_zeros,
    "tiny_and_huge": lambda y, rng: rng.choice([1e-300, 5e-324, 1e300, 0.0], y.size) * (
        1 + y),
    # neighbouring floats: keys one apart that are not ties
    "adjacent_ulps": lambda y, rng: _ulps(0.5, rng.integers(0, 4, y.size) + y),
    "adjacent_ulps_signed": lambda y, rng: _ulps(-5e-324, rng.integers(0, 4, y.size) + y),
}


def _ulps(start: float, steps: np.ndarray) -> np.ndarray:
    """``start`` moved up by ``steps`` units in the last place."""
    values = [start]
    for _ in range(int(steps.max())):
        values.append(float(np.nextafter(values[-1], np.inf)))
    return np.array(values)[steps]


@pytest.mark.parametrize("kind", sorted(AUC_SCORES))
@pytest.mark.parametrize("path", ["per_window", "per_window_merged", "grouped"])
def test_roc_auc_both_paths_equal_sklearn_and_delong(
        kind: str, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Window by window (one sort of label-carrying integer keys, or a merge of
    per-class sorts) and all windows at once (tie groups after one sort) give
    scikit-learn's AUC and the pairwise-kernel DeLong SE."""
    import oot.metrics._kernels as om

    if path.startswith("per_window"):
        monkeypatch.setattr(om, "_PER_WINDOW_MAX", 10**9)
    else:
        monkeypatch.setattr(om, "_PER_WINDOW_MAX", -1)
        monkeypatch.setattr(om, "_PER_WINDOW_ROWS", 10**12)
    keyed_calls: list[bool] = []
    keyed = om._keyed_order

    def spy(pos_mask: np.ndarray, s: np.ndarray) -> Any:
        out = None if path == "per_window_merged" else keyed(pos_mask, s)
        keyed_calls.append(out is not None)
        return out

    monkeypatch.setattr(om, "_keyed_order", spy)
    rng = np.random.default_rng(sorted(AUC_SCORES).index(kind))
    n = 2500
    y = (rng.random(n) < 0.3).astype(np.int64)
    s = AUC_SCORES[kind](y, rng)
    starts, stops = make_windows(n, rng)
    i = int(np.argmax(stops - starts))
    y[starts[i]:stops[i]] = 0  # a one-class window
    ws = score_windows("roc_auc", y, s, starts, stops)
    ref, status = sk_reference(skm.roc_auc_score, y, s, starts, stops, two_classes=True)
    assert_scores(ws, ref, status)
    checked = 0
    for w in np.flatnonzero((ws.status == "ok") & (ws.n_pos > 1) & (ws.n_neg > 1)):
        a, b = starts[w], stops[w]
        assert ws.se[w] == pytest.approx(delong_pairwise(y[a:b], s[a:b]), rel=1e-9,
                                         abs=1e-12)
        checked += 1
    assert checked >= 5
    hm = score_windows("roc_auc", y, s, starts, stops, se_method="hanley_mcneil")
    ok = ws.status == "ok"
    np.testing.assert_allclose(hm.se[ok], hanley_mcneil_se(ws.score[ok], ws.n_pos[ok],
                                                           ws.n_neg[ok]), rtol=1e-12)
    # the integer keys serve every window unless its scores take both signs beyond +-2
    if path == "per_window":
        wide = kind in ("continuous", "rounded", "separated")
        assert keyed_calls
        assert all(keyed_calls) != wide
    else:
        assert not any(keyed_calls)


def test_roc_auc_paths_agree_on_non_finite_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    import oot.metrics._kernels as om

    rng = np.random.default_rng(11)
    y = (rng.random(400) < 0.4).astype(np.int64)
    s = rng.normal(size=400) + y
    s[[3, 150]] = np.nan
    s[260] = np.inf
    starts, stops = np.array([0, 100, 200, 300]), np.array([100, 200, 300, 400])
    out = []
    for max_w in (10**9, -1):
        monkeypatch.setattr(om, "_PER_WINDOW_MAX", max_w)
        monkeypatch.setattr(om, "_PER_WINDOW_ROWS", 10**12)
        out.append(score_windows("roc_auc", y, s, starts, stops))
    for ws in out:
        # scikit-learn rejects NaN and infinite scores: those windows are undefined
        assert ws.status.tolist() == ["undefined", "undefined", "undefined", "ok"]
        assert ws.score[3] == pytest.approx(skm.roc_auc_score(y[300:], s[300:]), rel=1e-12)
    np.testing.assert_allclose(out[0].score, out[1].score, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(out[0].se, out[1].se, rtol=1e-10, equal_nan=True)


def test_delong_se_undefined_with_one_positive() -> None:
    assert math.isnan(delong_se([0, 0, 1], [0.1, 0.3, 0.2]))


def test_loss_and_proportion_standard_errors(regression_data: dict[str, Any]) -> None:
    d = regression_data
    y, p, starts, stops = d["y"], d["p"], d["starts"], d["stops"]
    mae = score_windows("mae", y, p, starts, stops)
    mse = score_windows("mse", y, p, starts, stops)
    rmse = score_windows("rmse", y, p, starts, stops)
    for w in np.flatnonzero(mae.n >= 2):
        e = y[starts[w]:stops[w]] - p[starts[w]:stops[w]]
        n = len(e)
        assert mae.se[w] == pytest.approx(np.std(np.abs(e), ddof=1) / np.sqrt(n), abs=1e-12)
        se_mse = np.std(e**2, ddof=1) / np.sqrt(n)
        assert mse.se[w] == pytest.approx(se_mse, abs=1e-12)
        r = np.sqrt(np.mean(e**2))
        assert rmse.se[w] == pytest.approx(se_mse / (2 * r) if r > 0 else 0.0, abs=1e-12)
    # the same values through Metric.standard_error (the per-sample path)
    w = int(np.argmax(mae.n))
    a, b = starts[w], stops[w]
    for name, ws in [("mae", mae), ("mse", mse), ("rmse", rmse)]:
        assert get_metric(name).standard_error(y[a:b], p[a:b]) == pytest.approx(ws.se[w])
    r2 = score_windows("r2", y, p, starts, stops)
    w = int(np.argsort(mae.n)[-3])  # the two largest windows have a constant y
    a, b = starts[w], stops[w]
    assert np.isfinite(r2.se[w])
    assert r2.se[w] == pytest.approx(get_metric("r2").standard_error(y[a:b], p[a:b]))


def test_accuracy_precision_recall_binomial(binary_data: dict[str, Any]) -> None:
    d = binary_data
    y, lab = d["y"], d["labels"]
    acc = score_windows("accuracy", y, lab, d["starts"], d["stops"])
    prec = score_windows("precision", y, lab, d["starts"], d["stops"])
    rec = score_windows("recall", y, lab, d["starts"], d["stops"])
    for w in np.flatnonzero(acc.status == "ok"):
        a, b = d["starts"][w], d["stops"][w]
        yw, lw = y[a:b], lab[a:b]
        q = np.mean(yw == lw)
        assert acc.se[w] == pytest.approx(np.sqrt(q * (1 - q) / len(yw)), abs=1e-12)
        if prec.status[w] == "ok":
            q = prec.score[w]
            assert prec.se[w] == pytest.approx(np.sqrt(q * (1 - q) / lw.sum()), abs=1e-12)
        if rec.status[w] == "ok":
            q = rec.score[w]
            assert rec.se[w] == pytest.approx(np.sqrt(q * (1 - q) / yw.sum()), abs=1e-12)


def test_balanced_accuracy_se() -> None:
    y = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    p = np.array([0, 1, 0, 1, 1, 0, 1, 2, 2, 0])
    r = np.array([2 / 3, 3 / 4, 2 / 3])
    n = np.array([3, 4, 3])
    expected = np.sqrt(np.sum(r * (1 - r) / n)) / 3
    assert get_metric("balanced_accuracy").standard_error(y, p) == pytest.approx(expected)


def generic_bootstrap(func: Callable[..., float], y: np.ndarray, p: np.ndarray, b: int,
                      seed: int) -> float:
    rng = np.random.default_rng(seed)
    vals = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(b):
            idx = rng.integers(0, len(y), len(y))
            if len(np.unique(y[idx])) < 2:
                continue
            vals.append(func(y[idx], p[idx]))
    return float(np.nanstd(vals, ddof=1))


@pytest.mark.parametrize(("name", "kind"), [("f1", "labels"), ("average_precision", "proba")])
def test_vectorised_bootstrap_agrees_with_resampling_loop(binary_data: dict[str, Any],
                                                          name: str, kind: str) -> None:
    d = binary_data
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    p = np.round(np.clip(0.3 * y + rng.uniform(0, 0.7, 300), 0, 1), 2)
    if kind == "labels":
        p = (p > 0.5).astype(np.int64)
    fast = get_metric(name).standard_error(y, p, random_state=0, n_bootstrap=2000)
    if name == "f1":  # an independent numpy F1 keeps the reference loop quick
        def f1(a: np.ndarray, b: np.ndarray) -> float:
            tp = np.sum((a == 1) & (b == 1))
            return float(2 * tp / (2 * tp + np.sum(a != b)))

        loop = generic_bootstrap(f1, y, p, 2000, seed=1)
    else:
        loop = generic_bootstrap(BINARY_SK[name][0], y, p, 400, seed=1)
    assert fast == pytest.approx(loop, rel=0.15)
    assert d  # fixture used for symmetry with other tests


def test_bootstrap_is_deterministic_and_order_independent(binary_data: dict[str, Any]) -> None:
    d = binary_data
    args = (d["y"], d["proba"], d["starts"], d["stops"])
    a = score_windows("average_precision", *args, random_state=7, n_bootstrap=30)
    b = score_windows("average_precision", *args, random_state=7, n_bootstrap=30)
    np.testing.assert_array_equal(a.se, b.se)
    perm = np.arange(len(d["starts"]))[::-1]
    c = score_windows("average_precision", d["y"], d["proba"], d["starts"][perm],
                      d["stops"][perm], random_state=7, n_bootstrap=30)
    np.testing.assert_array_equal(a.se[perm], c.se)
    assert np.all(np.isfinite(a.se[(a.status == "ok") & (a.n > 20)]))
    none = score_windows("average_precision", *args, n_bootstrap=0)
    assert np.all(np.isnan(none.se))


def test_custom_metric_loop_and_bootstrap() -> None:
    def max_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(np.max(np.abs(y_true - y_pred)))

    m = Metric("max_error", func=max_error, greater_is_better=False)
    rng = np.random.default_rng(4)
    y = rng.normal(size=100)
    p = y + rng.normal(size=100)
    ws = score_windows(m, y, p, [50, 0, 10], [100, 0, 50], random_state=0, n_bootstrap=50)
    assert ws.status.tolist() == ["ok", "empty", "ok"]
    assert ws.score[0] == max_error(y[50:], p[50:])
    assert ws.score[2] == max_error(y[10:50], p[10:50])
    assert np.all(np.isfinite(ws.se[[0, 2]]))
    assert ws.n_pos is None

    def se_one(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return 1.0

    m2 = Metric("max_error", func=max_error, greater_is_better=False, se_func=se_one)
    assert score_windows(m2, y, p, [0], [10]).se[0] == 1.0


def test_custom_metric_undefined_and_func_none() -> None:
    def failing(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        if len(y_true) < 5:
            raise ValueError("too short")
        return float(np.mean(y_true))

    m = Metric("failing", func=failing, greater_is_better=True)
    ws = score_windows(m, np.ones(10), np.ones(10), [0, 3], [3, 10], n_bootstrap=0)
    assert ws.status.tolist() == ["undefined", "ok"]
    rebuilt = Metric.from_dict(m.to_dict())
    with pytest.raises(InvalidParameterError, match="rebuilt from JSON"):
        score_windows(rebuilt, np.ones(10), np.ones(10), [0], [10])


def test_r2_single_row_is_undefined() -> None:
    ws = score_windows("r2", np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.0]),
                       [0, 1], [1, 3])
    assert ws.status.tolist() == ["undefined", "ok"]


# --------------------------------------------------------------------------------------
# Metric fields: kernels, row values, probabilities, bootstrap, statuses
# --------------------------------------------------------------------------------------


def squared_log_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return np.asarray((np.log1p(y_true) - np.log1p(y_pred)) ** 2)


def positive_regression(seed: int, n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 2.0, n)
    return y, np.clip(y + rng.normal(size=n), 0.0, None)


@pytest.mark.parametrize("root", [False, True])
def test_user_row_mean_metric_is_vectorised_and_equals_sklearn(root: bool) -> None:
    """A user's mean-type metric gets the vectorised kernel from its row_values: the
    scores equal scikit-learn's per window, the SE is sd(rows)/sqrt(n) (delta method for
    the root), and the loop over windows with the same function agrees."""
    sk = skm.root_mean_squared_log_error if root else skm.mean_squared_log_error
    fast = Metric("msle", func=sk, greater_is_better=False, task="regression",
                  row_values=squared_log_error, mean_to_score="sqrt" if root else "identity")
    loop = Metric("msle", func=sk, greater_is_better=False, task="regression")
    assert fast.kernel == "row_mean"
    assert om_scoring._thread_safe_scoring(fast, None)
    assert not om_scoring._thread_safe_scoring(loop, None)
    y, p = positive_regression(0)
    starts, stops = make_windows(len(y), np.random.default_rng(1))
    ws = score_windows(fast, y, p, starts, stops)
    ref, status = sk_reference(sk, y, p, starts, stops)
    assert_scores(ws, ref, status)
    for w in np.flatnonzero(ws.n >= 2):
        rows = squared_log_error(y[starts[w]:stops[w]], p[starts[w]:stops[w]])
        expected = np.std(rows, ddof=1) / np.sqrt(len(rows))
        if root:
            expected /= 2 * np.sqrt(rows.mean())
        assert ws.se[w] == pytest.approx(expected, rel=1e-12)
    by_loop = score_windows(loop, y, p, starts, stops, n_bootstrap=0)
    np.testing.assert_allclose(by_loop.score, ws.score, rtol=1e-12, equal_nan=True)


def test_user_metrics_with_builtin_kernels_score_like_the_builtins(
        binary_data: dict[str, Any]) -> None:
    """kernel='rank_auc' and kernel='proportion' on a user's metric give the built-in
    ROC AUC's and accuracy's numbers bit for bit."""
    d = binary_data
    args = (d["starts"], d["stops"])
    auc = Metric("my_auc", func=skm.roc_auc_score, greater_is_better=True,
                 response="predict_proba", task="binary", requires_two_classes=True,
                 kernel="rank_auc")
    for se_method in SE_METHODS:
        a = score_windows(auc, d["y"], d["proba"], *args, se_method=se_method)
        b = score_windows("roc_auc", d["y"], d["proba"], *args, se_method=se_method)
        np.testing.assert_array_equal(a.score, b.score)
        np.testing.assert_array_equal(a.se, b.se)
        assert a.status.tolist() == b.status.tolist()
    # the per-window SE of the user's AUC is DeLong's, from the same kernel
    w = int(np.argmax((a.status == "ok") * a.n))
    lo, hi = d["starts"][w], d["stops"][w]
    se = auc.standard_error(d["y"][lo:hi], d["proba"][lo:hi])
    assert np.isfinite(se)
    assert se == delong_se(d["y"][lo:hi], d["proba"][lo:hi])
    hits = Metric("hit_rate", func=skm.accuracy_score, greater_is_better=True,
                  task="classification", kernel="proportion",
                  row_values=lambda t, p: t == p)
    a = score_windows(hits, d["y"], d["labels"], *args)
    b = score_windows("accuracy", d["y"], d["labels"], *args)
    np.testing.assert_array_equal(a.score, b.score)
    np.testing.assert_array_equal(a.se, b.se)


@pytest.mark.parametrize("name", ["mae", "mse", "rmse", "mape", "r2", "log_loss", "brier",
                                  "accuracy", "roc_auc"])
@pytest.mark.parametrize("n_windows", [16, 300])
def test_standard_error_is_the_vectorised_formula(name: str, n_windows: int) -> None:
    """Metric.standard_error on one window runs the kernel's formula on that window: it
    equals score_windows' SE bit for bit (windows gathered, back to back or broadcast)."""
    rng = np.random.default_rng(n_windows)
    n = 3000
    y: np.ndarray = rng.integers(0, 2, n)
    p: np.ndarray = np.round(rng.random(n), 2)
    if get_metric(name).task == "regression":
        y = rng.normal(size=n) + 5
        p = y + rng.normal(size=n)
    elif name == "accuracy":
        p = (p > 0.5).astype(np.int64)
    if n_windows == 16:
        starts, stops = make_windows(n, rng)
    else:
        starts = np.arange(0, n, n // n_windows)
        stops = np.minimum(starts + n // n_windows, n)
    if name == "roc_auc" and n_windows == 300:
        return  # many tiny windows are scored together by another formula (see below)
    ws = score_windows(name, y, p, starts, stops)
    m = get_metric(name)
    per = np.array([m.standard_error(y[a:b], p[a:b]) for a, b in zip(starts, stops,
                                                                     strict=True)])
    ok = ws.status == "ok"
    assert ok.sum() >= 10
    np.testing.assert_array_equal(ws.se[ok], per[ok])


def test_requires_probabilities_makes_windows_undefined_and_is_checked_on_input() -> None:
    def brier_rows(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return np.asarray((y_true - np.clip(y_pred, 0, 1)) ** 2)  # clips: inputs checked

    def mine(probabilities: bool) -> Metric:
        return Metric("my_brier", func=lambda t, p: float(np.mean(brier_rows(t, p))),
                      greater_is_better=False, response="predict_proba", task="binary",
                      row_values=brier_rows, requires_probabilities=probabilities)

    y = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.1, 0.8, 0.3, 1.5, 0.6, 0.2])
    strict = score_windows(mine(True), y, p, [0, 3], [3, 6])
    assert strict.status.tolist() == ["ok", "undefined"]
    assert score_windows(mine(False), y, p, [0, 3], [3, 6]).status.tolist() == ["ok", "ok"]
    assert get_metric("log_loss").requires_probabilities
    assert get_metric("brier").requires_probabilities
    assert not get_metric("roc_auc").requires_probabilities
    df = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=60, freq="D"),
                       "y": np.tile([0, 1], 30), "p": np.linspace(-0.5, 1.5, 60)})
    msg = ("The prediction column 'p' must hold probabilities in [0, 1] for metric "
           "'my_brier'.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        evaluate_predictions(df, y_true="y", y_pred="p", time="t", cutoff="2024-01-10",
                             metric=mine(True), eval_window="10D")


def test_bootstrap_se_field_is_used_for_1d_predictions_only() -> None:
    calls: list[int] = []

    def quick(y_true: np.ndarray, y_pred: np.ndarray, rng: np.random.Generator,
              n_bootstrap: int) -> float:
        calls.append(n_bootstrap)
        return 0.125

    m = Metric("mean_pred", func=lambda t, p: float(np.mean(p)), greater_is_better=True,
               bootstrap_se=quick)
    y = np.zeros(20)
    ws = score_windows(m, y, np.linspace(0, 1, 20), [0, 10, 19], [10, 19, 20],
                       n_bootstrap=7, random_state=0)
    assert ws.se[:2].tolist() == [0.125, 0.125]
    assert math.isnan(ws.se[2])  # one row: no bootstrap
    assert calls == [7, 7]
    assert m.standard_error(y, np.ones(20), labels=[0, 1]) != 0.125  # labels: resampled
    assert get_metric("f1").bootstrap_se is not None
    assert get_metric("average_precision").bootstrap_se is not None


def test_row_values_must_give_one_value_per_row() -> None:
    m = Metric("bad_rows", func=lambda t, p: 0.0, greater_is_better=False,
               row_values=lambda t, p: np.zeros(3))
    msg = ("The 'row_values' parameter of Metric 'bad_rows' must be a function returning "
           "one value per row (an array of shape (10,)). Got 'an array of shape (3,)' "
           "instead.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        score_windows(m, np.zeros(10), np.zeros(10), [0], [10])
    # on one window it is "no formula": the SE is bootstrapped (func is constant: 0)
    assert m.standard_error(np.zeros(10), np.ones(10), random_state=0) == 0.0


def test_metric_fields_validation_messages() -> None:
    def make(**kw: Any) -> Metric:
        return Metric("x", func=len, greater_is_better=True, **kw)

    cases: list[tuple[dict[str, Any], str]] = [
        (dict(kernel="rank"), "The 'kernel' parameter of Metric must be one of {'rank_auc', "
         "'row_mean', 'proportion', 'r2', None}. Got 'rank' instead."),
        (dict(kernel="row_mean"), "The 'row_values' parameter of Metric must be a callable "
         "row_values(y_true, y_pred) for kernel='row_mean'. Got None instead."),
        (dict(kernel="proportion"), "The 'row_values' parameter of Metric must be a callable "
         "row_values(y_true, y_pred) for kernel='proportion'. Got None instead."),
        (dict(mean_to_score="log"), "The 'mean_to_score' parameter of Metric must be one of "
         "{'identity', 'sqrt'}. Got 'log' instead."),
        (dict(mean_to_score="sqrt"), "The 'mean_to_score' parameter of Metric must be "
         "'identity' for kernel=None. Got 'sqrt' instead. A window mean is turned into the "
         "score only by the 'row_mean' kernel (give row_values)."),
        (dict(requires_probabilities=1), "The 'requires_probabilities' parameter of Metric "
         "must be a bool. Got 1 instead."),
        (dict(row_values=3), "The 'row_values' parameter of Metric must be a callable "
         "row_values(y_true, y_pred) -> ndarray or None. Got 3 instead."),
        (dict(bootstrap_se="fast"), "The 'bootstrap_se' parameter of Metric must be a "
         "callable bootstrap_se(y_true, y_pred, rng, n_bootstrap) -> float or None. Got "
         "'fast' instead."),
    ]
    for kw, msg in cases:
        with pytest.raises(InvalidParameterError, match=re.escape(msg)):
            make(**kw)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'row_values' parameter of Metric must be None for kernel='r2'.")):
        make(kernel="r2", row_values=squared_log_error)
    with pytest.raises(TypeError, match="positional"):
        Metric("x", len, True)  # type: ignore[call-arg]


def test_builtins_dispatch_on_fields_and_unpickle_to_the_registry() -> None:
    """Built-ins are records like any other; a pickled built-in (as sent to a worker
    process) comes back as the registry's object, a custom one as a copy."""
    cloudpickle = pytest.importorskip("cloudpickle")  # what joblib's process workers use
    kernels = {name: get_metric(name).kernel for name in available()}
    assert kernels == {"roc_auc": "rank_auc", "log_loss": "row_mean", "brier": "row_mean",
                       "accuracy": "proportion", "mae": "row_mean", "mse": "row_mean",
                       "rmse": "row_mean", "mape": "row_mean", "r2": "r2",
                       "average_precision": None, "balanced_accuracy": None, "f1": None,
                       "precision": None, "recall": None}
    assert get_metric("rmse").mean_to_score == "sqrt"
    for name in available():
        m = get_metric(name)
        assert pickle.loads(pickle.dumps(m)) is m
        assert cloudpickle.loads(cloudpickle.dumps(m)) is m
    custom = Metric("roc_auc", func=skm.roc_auc_score, greater_is_better=True)
    back = pickle.loads(pickle.dumps(custom))
    assert back is not custom
    assert not back.is_builtin
    assert back.to_dict() == custom.to_dict()


def test_one_status_vocabulary() -> None:
    """metrics.STATUSES names every status a window can have (the engine's
    "anchor_failed" too), and oot._format explains each one but "ok"."""
    import oot._format as fmt

    assert set(STATUSES) == {"ok", "too_small", "empty", "one_class", "missing_class",
                             "undefined", "anchor_failed"}
    assert set(STATUSES) == set(fmt.WINDOW_STATUS_TEXT) | {"ok"}
    y = np.array([0, 1, 1, 1, 0, 1, 0])
    p = np.array([0.1, 0.9, 0.8, 0.7, np.nan, 0.2, 0.4])
    ws = score_windows("roc_auc", y, p, [0, 0, 2, 4, 5], [3, 0, 4, 7, 7], min_window_size=2)
    assert ws.status.tolist() == ["ok", "empty", "one_class", "undefined", "ok"]
    one = score_windows("roc_auc", y, p, [0], [1], min_window_size=2)
    assert one.status.tolist() == ["too_small"]
    # multiclass one-vs-rest AUC: a window without class 2 misses a class
    y3 = np.array([0, 1, 2, 0, 1, 0])
    p3 = np.full((6, 3), 1 / 3)
    ws3 = score_windows("roc_auc", y3, p3, [0, 3], [3, 6], n_classes=3)
    assert ws3.status.tolist() == ["ok", "missing_class"]


def test_generator_random_state_is_converted_once() -> None:
    """A numpy Generator seeds the per-window bootstraps through as_seed (one draw), so
    it gives the same SEs as the int it draws."""
    y = np.tile([0, 1, 1, 0, 1], 20)
    p = np.tile([0, 1, 0, 0, 1], 20)
    a = score_windows("f1", y, p, [0, 50], [50, 100], random_state=np.random.default_rng(3))
    seed = as_seed(np.random.default_rng(3))
    b = score_windows("f1", y, p, [0, 50], [50, 100], random_state=seed)
    np.testing.assert_array_equal(a.se, b.se)
    assert np.all(np.isfinite(a.se))


# --------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------


def test_score_windows_argument_errors() -> None:
    y = np.zeros(10)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'starts' parameter of score_windows must be ranges with 0 <= start <= stop "
            "<= 10 (len(y_true)). Got 'start=5, stop=11 for window 1' instead.")):
        score_windows("mae", y, y, [0, 5], [5, 11])
    with pytest.raises(InvalidParameterError, match="'y_pred' parameter of score_windows"):
        score_windows("mae", y, y[:5], [0], [5])
    with pytest.raises(InvalidParameterError, match="'stops' parameter"):
        score_windows("mae", y, y, [0, 1], [5])
    with pytest.raises(InvalidParameterError, match=r"'starts' parameter .* 1-D array of ints"):
        score_windows("mae", y, y, [0.5], [5])
    with pytest.raises(InvalidParameterError, match="'n_classes' parameter"):
        score_windows("mae", y, y, [0], [5], n_classes=3)
    with pytest.raises(InvalidParameterError, match="binary-only metric 'brier'"):
        score_windows("brier", np.zeros(10, int), np.zeros((10, 3)), [0], [5], n_classes=3)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'se_method' parameter of score_windows must be one of {'delong', "
            "'hanley_mcneil'}. Got 'bootstrap' instead.")):
        score_windows("roc_auc", y, y, [0], [5], se_method="bootstrap")
    with pytest.raises(InvalidParameterError, match="'min_window_size' parameter"):
        score_windows("mae", y, y, [0], [5], min_window_size=-1)
    with pytest.raises(InvalidParameterError, match="'random_state' parameter"):
        score_windows("mae", y, y, [0], [5], random_state="seed")
    with pytest.raises(InvalidParameterError, match=r"an \(n, 3\) matrix"):
        score_windows("roc_auc", np.zeros(10, int), np.zeros(10), [0], [5], n_classes=3)


def test_no_windows() -> None:
    ws = score_windows("roc_auc", np.array([0, 1]), np.array([0.1, 0.2]), [], [])
    assert len(ws) == 0
    assert ws.status.dtype == object


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@st.composite
def windowed_binary(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 60))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    p = np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))) / 5.0
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=6)))
    bounds = np.array([0, *cuts, n])
    return y, p, bounds[:-1], bounds[1:]


PROPERTY_METRICS = ["roc_auc", "log_loss", "brier", "mae", "rmse", "r2", "accuracy"]


@settings(max_examples=60, deadline=None)
@given(data=windowed_binary(), seed=st.integers(0, 2**16))
def test_property_window_order_and_row_permutation(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], seed: int
) -> None:
    y, p, starts, stops = data
    rng = np.random.default_rng(seed)
    perm_w = rng.permutation(len(starts))
    # permute rows within each window
    rows = np.arange(len(y))
    for a, b in zip(starts, stops, strict=True):
        rows[a:b] = rng.permutation(rows[a:b])
    for name in PROPERTY_METRICS:
        pred = (p > 0.5).astype(np.int64) if name == "accuracy" else p
        base = score_windows(name, y, pred, starts, stops)
        moved = score_windows(name, y, pred, starts[perm_w], stops[perm_w])
        np.testing.assert_array_equal(base.status[perm_w], moved.status)
        np.testing.assert_allclose(base.score[perm_w], moved.score, rtol=1e-12, atol=1e-12,
                                   equal_nan=True)
        np.testing.assert_allclose(base.se[perm_w], moved.se, rtol=1e-9, atol=1e-12,
                                   equal_nan=True)
        shuffled = score_windows(name, y[rows], pred[rows], starts, stops)
        np.testing.assert_array_equal(base.status, shuffled.status)
        np.testing.assert_allclose(base.score, shuffled.score, rtol=1e-9, atol=1e-12,
                                   equal_nan=True)
        np.testing.assert_allclose(base.se, shuffled.se, rtol=1e-7, atol=1e-12,
                                   equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(data=windowed_binary())
def test_property_roc_auc_equals_sklearn(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    y, p, starts, stops = data
    ws = score_windows("roc_auc", y, p, starts, stops)
    ref, status = sk_reference(skm.roc_auc_score, y, p, starts, stops, two_classes=True)
    assert_scores(ws, ref, status)
    for w in np.flatnonzero((ws.status == "ok") & (ws.n_pos > 1) & (ws.n_neg > 1)):
        a, b = starts[w], stops[w]
        assert ws.se[w] == pytest.approx(delong_pairwise(y[a:b], p[a:b]), rel=1e-9, abs=1e-12)
