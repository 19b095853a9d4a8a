"""Tests of oot.datasets: the truths against independent computation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_absolute_error, roc_auc_score

from oot._validation import InvalidParameterError
from oot.datasets import (
    DegradationScores,
    DriftingDataset,
    load_chicago_ridership,
    make_degradation_scores,
    make_drifting_classification,
    make_drifting_regression,
)

DAY = pd.Timedelta(days=1)


def _split(ds: DriftingDataset, cutoff_days: float, train_days: float):
    """Training rows of an anchor and each row's age (days after the cutoff)."""
    t = ds.frame["time"]
    days = (t - ds.start) / DAY if ds.time_kind == "datetime" else t - ds.start
    days = days.to_numpy(float)
    train = (days >= cutoff_days - train_days) & (days < cutoff_days)
    return train, days - cutoff_days


def _hanley_mcneil_se(auc: float, n_pos: int, n_neg: int) -> float:
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2))
    return float(np.sqrt(var / (n_pos * n_neg)))


# --------------------------------------------------------------------------- regression
@pytest.fixture(scope="module")
def big_regression() -> DriftingDataset:
    return make_drifting_regression(400_000, n_features=3, drift_rate=0.003, noise=1.0,
                                    periods=730, random_state=11)


@pytest.mark.parametrize("cutoff_days", [365.0, 300.0])
def test_regression_truth_matches_sklearn_fit(big_regression, cutoff_days):
    ds, L = big_regression, 365.0 if cutoff_days == 365.0 else 240.0
    X, y = ds.frame[ds.features].to_numpy(), ds.frame["y"].to_numpy()
    train, rel = _split(ds, cutoff_days, L)
    model = LinearRegression().fit(X[train], y[train])
    err = y - model.predict(X)
    for age, w in [(15.0, 30.0), (105.0, 30.0), (200.0, 90.0), (330.0, 30.0)]:
        rows = (rel >= age - w / 2) & (rel < age + w / 2)
        if not rows.any():
            continue
        sq = err[rows] ** 2
        se = sq.std(ddof=1) / np.sqrt(sq.size)
        truth = ds.true_score(age, train_window=L, eval_window=w)
        assert abs(sq.mean() - truth) < 4 * se, (age, sq.mean(), truth, se)
        mae = mean_absolute_error(y[rows], model.predict(X[rows]))
        mae_truth = ds.true_score(age * DAY, metric="mae", train_window=L, eval_window=w)
        assert abs(mae - mae_truth) < 4 * np.abs(err[rows]).std() / np.sqrt(sq.size)
        rmse_truth = ds.true_score(age, metric="rmse", train_window=L, eval_window=w)
        assert rmse_truth == pytest.approx(np.sqrt(truth), rel=1e-14)


def test_regression_window_formula_matches_quadrature():
    ds = make_drifting_regression(10, drift_rate=0.004, noise=0.7, random_state=0)
    L, w = 200.0, 80.0
    for age in [0.0, 37.5, 300.0]:
        for metric, point in [
            ("mse", lambda s: 0.49 + 0.004**2 * (s + L / 2) ** 2),
            ("mae", lambda s: np.sqrt(2 / np.pi) * np.sqrt(0.49 + 0.004**2 * (s + L / 2) ** 2)),
        ]:
            expected = integrate.quad(point, age - w / 2, age + w / 2, epsabs=1e-13)[0] / w
            got = ds.true_score(age, metric=metric, train_window=L, eval_window=w)
            assert got == pytest.approx(expected, rel=1e-10)
            assert ds.true_score(age, metric=metric, train_window=L, eval_window=0) == (
                pytest.approx(point(age), rel=1e-12))


def test_regression_closed_form_values():
    ds = make_drifting_regression(10, drift_rate=0.002, noise=1.5, train_window="100D",
                                  eval_window="60D", random_state=0)
    assert ds.true_score("150D") == pytest.approx(2.25 + 0.002**2 * (200**2 + 60**2 / 12))
    ages = pd.to_timedelta([0, 30, 60], unit="D")
    out = ds.true_score(ages, eval_window=0)
    np.testing.assert_allclose(out, 2.25 + 0.002**2 * (np.array([0, 30, 60]) + 50.0) ** 2)
    assert isinstance(ds.true_score(3.0), float)
    np.testing.assert_array_equal(ds.true_score(["0D", "30D"]), ds.true_score([0.0, 30.0]))
    assert ds.true_score(np.timedelta64(30, "D")) == ds.true_score(30.0)
    assert ds.true_score(np.array([[1.0, 2.0]])).shape == (1, 2)


# ----------------------------------------------------------------------- classification
@pytest.fixture(scope="module")
def big_classification() -> DriftingDataset:
    return make_drifting_classification(400_000, n_features=3, drift_rate=0.004, signal=1.5,
                                        periods=730, random_state=5)


def test_classification_truth_matches_sklearn_fit(big_classification):
    ds, L = big_classification, 365.0
    X, y = ds.frame[ds.features].to_numpy(), ds.frame["y"].to_numpy()
    train, rel = _split(ds, 365.0, L)
    model = LogisticRegression(C=1e6).fit(X[train], y[train])
    score = model.decision_function(X)
    for age, w in [(15.0, 30.0), (100.0, 120.0), (250.0, 30.0), (320.0, 60.0)]:
        rows = (rel >= age - w / 2) & (rel < age + w / 2)
        yy, ss = y[rows], score[rows]
        auc = roc_auc_score(yy, ss)
        se = _hanley_mcneil_se(auc, int(yy.sum()), int((1 - yy).sum()))
        truth = ds.true_score(age, train_window=L, eval_window=w)
        assert abs(auc - truth) < 4 * se, (age, auc, truth, se)
        acc = accuracy_score(yy, (ss > 0).astype(int))
        acc_truth = ds.true_score(age, metric="accuracy", train_window=L, eval_window=w)
        assert abs(acc - acc_truth) < 4 * np.sqrt(acc * (1 - acc) / yy.size)


def test_classification_point_auc_is_bivariate_normal_probability():
    # Independent route: AUC = P(S1 > S2 | Y1 = 1, Y2 = 0) as a trivariate normal orthant
    # probability evaluated by scipy, for the score direction at angle phi from beta.
    ds = make_drifting_classification(10, drift_rate=0.01, signal=2.0, random_state=0)
    m, L = 2.0, 40.0
    for age in [0.0, 25.0, 90.0]:
        phi = 0.01 * (age + L / 2)
        b = np.array([np.cos(phi), np.sin(phi)])
        beta = np.array([m, 0.0])
        cov = np.array([
            [2 * b @ b, b @ beta, b @ beta],
            [b @ beta, 1 + m**2, 0.0],
            [b @ beta, 0.0, 1 + m**2],
        ])
        p = stats.multivariate_normal(np.zeros(3), cov).cdf(np.zeros(3))  # all three < 0
        auc = p / 0.25
        got = ds.true_score(age, train_window=L, eval_window=0)
        assert got == pytest.approx(auc, abs=2e-4)


def test_classification_window_is_mean_of_instants():
    ds = make_drifting_classification(10, drift_rate=0.02, random_state=0)
    inst = lambda s: ds.true_score(s, train_window=30, eval_window=0)  # noqa: E731
    for age, w in [(10.0, 200.0), (50.0, 7.0)]:
        expected = integrate.quad(inst, age - w / 2, age + w / 2, epsabs=1e-13)[0] / w
        assert ds.true_score(age, train_window=30, eval_window=w) == pytest.approx(
            expected, rel=1e-11)


def test_classification_fresh_auc_closed_form():
    ds = make_drifting_classification(10, signal=1.0, random_state=0)
    assert ds.true_score(0, train_window=1e-12, eval_window=0) == pytest.approx(5 / 6)
    assert ds.true_score(0, metric="accuracy", train_window=1e-12, eval_window=0) == (
        pytest.approx(0.5 + np.arcsin(np.sqrt(0.5)) / np.pi))


def test_classification_coefficients_rotate():
    ds = make_drifting_classification(10, n_features=4, drift_rate=0.01, signal=2.0,
                                      random_state=3)
    b = ds.coef_at(np.array([0.0, 50.0, 157.0]))
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 2.0)
    assert b[1] @ b[0] == pytest.approx(4.0 * np.cos(0.5))
    assert ds.drift_direction @ ds.coef == pytest.approx(0.0, abs=1e-12)


# -------------------------------------------------------------------------- crossings
@pytest.mark.parametrize(("maker", "metric"), [
    (make_drifting_regression, "mse"),
    (make_drifting_regression, "rmse"),
    (make_drifting_regression, "mae"),
    (make_drifting_classification, "roc_auc"),
    (make_drifting_classification, "accuracy"),
])
@pytest.mark.parametrize(("tolerance", "tolerance_type"), [(0.05, "relative"),
                                                           (0.02, "absolute")])
def test_crossing_age_solves_truth_equals_threshold(maker, metric, tolerance, tolerance_type):
    ds = maker(10, random_state=0)
    age = ds.true_crossing_age(tolerance, tolerance_type=tolerance_type, metric=metric)
    assert isinstance(age, pd.Timedelta)
    base = ds.true_score(0, metric=metric)
    higher = metric in ("roc_auc", "accuracy")
    sign = -1 if higher else 1
    level = base * (1 + sign * tolerance) if tolerance_type == "relative" else (
        base + sign * tolerance)
    assert ds.true_score(age, metric=metric) == pytest.approx(level, rel=1e-9)
    before = ds.true_score(np.linspace(0, age / DAY, 50)[:-1], metric=metric)
    assert np.all(sign * (before - level) < 0)


def test_crossing_age_closed_form_regression():
    ds = make_drifting_regression(10, drift_rate=0.002, noise=1.0, train_window="100D",
                                  eval_window="20D", random_state=0)
    base = 1 + 0.002**2 * (50**2 + 20**2 / 12)
    expected = np.sqrt((1.05 * base - 1) / 0.002**2 - 20**2 / 12) - 50
    assert ds.true_crossing_age(0.05) / DAY == pytest.approx(expected, rel=1e-12)
    assert ds.true_crossing_age(0.05, baseline=0.5) == pd.Timedelta(0)


def test_crossing_age_none_without_drift():
    assert make_drifting_regression(10, drift_rate=0, random_state=0).true_crossing_age(
        0.05) is None
    assert make_drifting_classification(10, drift_rate=0, random_state=0).true_crossing_age(
        0.05) is None
    # AUC can only fall to its minimum half a turn away; a drop below it is never reached
    ds = make_drifting_classification(10, drift_rate=0.01, random_state=0)
    assert ds.true_crossing_age(0.9, tolerance_type="absolute") is None


# ---------------------------------------------------------------- data and seeding
@pytest.mark.parametrize("maker", [make_drifting_regression, make_drifting_classification])
def test_generated_frame_layout(maker):
    ds = maker(5000, n_features=4, periods=100, random_state=1)
    df = ds.frame
    assert df.columns.tolist() == ["time", "x0", "x1", "x2", "x3", "y"]
    assert ds.features == ["x0", "x1", "x2", "x3"]
    assert (ds.target, ds.time) == ("y", "time")
    assert df["time"].dtype == "datetime64[ns]"
    assert df["time"].min() >= pd.Timestamp("2020-01-01")
    assert df["time"].max() < pd.Timestamp("2020-01-01") + pd.Timedelta(days=100)
    assert not df["time"].is_monotonic_increasing
    assert df["time"].duplicated().sum() > 100
    assert (df["time"].dt.floor("s") == df["time"]).all()
    if ds.task == "classification":
        assert df["y"].dtype == np.int64
        assert set(df["y"].unique()) == {0, 1}
    else:
        assert df["y"].dtype == np.float64
    assert "DriftingDataset(" in repr(ds)


@pytest.mark.parametrize("maker", [make_drifting_regression, make_drifting_classification])
def test_seeding_is_reproducible(maker):
    a, b = maker(500, random_state=42), maker(500, random_state=42)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    np.testing.assert_array_equal(a.coef, b.coef)
    c = maker(500, random_state=43)
    assert not np.allclose(a.frame["x0"], c.frame["x0"])
    d = maker(500, random_state=np.random.default_rng(42))
    pd.testing.assert_frame_equal(a.frame, d.frame)
    # a legacy RandomState seeds a Generator with one draw, as oot does everywhere
    legacy = maker(500, random_state=np.random.RandomState(7))
    seed = np.random.RandomState(7).randint(0, 2**31 - 1)
    pd.testing.assert_frame_equal(legacy.frame, maker(500, random_state=seed).frame)


def test_score_tables_follow_the_same_random_state_rules():
    a = make_degradation_scores(random_state=np.random.RandomState(5))
    seed = np.random.RandomState(5).randint(0, 2**31 - 1)
    b = make_degradation_scores(random_state=np.random.default_rng(seed))
    pd.testing.assert_frame_equal(a.scores, b.scores)
    # one Generator shared by two calls goes on with its stream
    g = np.random.default_rng(1)
    first, second = (make_degradation_scores(random_state=g) for _ in range(2))
    assert not np.allclose(first.scores["score"], second.scores["score"])


def test_regression_rows_follow_the_stated_model():
    ds = make_drifting_regression(20000, n_features=2, coef=[1.0, -1.0],
                                  drift_direction=[0.0, 2.0], drift_rate=0.01,
                                  noise=1e-9, time_kind="numeric", random_state=0)
    t = ds.frame["time"].to_numpy()
    beta = np.column_stack([np.ones_like(t), -1 + 0.01 * t])
    fitted = (ds.frame[["x0", "x1"]].to_numpy() * beta).sum(axis=1)
    np.testing.assert_allclose(ds.frame["y"], fitted, atol=1e-7)
    np.testing.assert_allclose(ds.drift_direction, [0.0, 1.0])


@pytest.mark.parametrize("maker", [make_drifting_regression, make_drifting_classification])
def test_numeric_time_variant(maker):
    ds = maker(3000, time_kind="numeric", periods=200, train_window=50, eval_window=10,
               random_state=0)
    t = ds.frame["time"]
    assert t.dtype == np.float64
    assert t.min() >= 0
    assert t.max() < 200
    assert ds.train_window == 50.0
    assert ds.eval_window == 10.0
    age = ds.true_crossing_age(0.05)
    assert isinstance(age, float)
    dt = maker(10, time_kind="datetime", periods=200, train_window="50D", eval_window="10D",
               random_state=0)
    assert dt.true_crossing_age(0.05) / DAY == pytest.approx(age, rel=1e-9)
    assert ds.true_score(25.0) == pytest.approx(dt.true_score("25D"), rel=1e-14)
    shifted = maker(10, time_kind="numeric", start=1000.0, random_state=0)
    assert shifted.frame["time"].min() >= 1000.0


# ----------------------------------------------------------------- score generator
def test_degradation_scores_layout():
    sim = make_degradation_scores(n_anchors=4, n_windows=5, window="30D", random_state=0)
    assert isinstance(sim, DegradationScores)
    s = sim.scores
    assert s.columns.tolist() == ["anchor", "cutoff", "window", "window_start", "window_end",
                                  "age", "n", "score", "se", "status", "partial"]
    assert len(s) == 20
    assert s["anchor"].dtype == np.int64
    assert s["window"].dtype == np.int64
    assert s["n"].dtype == np.int64
    assert s["anchor"].tolist() == np.repeat(np.arange(1, 5), 5).tolist()
    assert s["window"].tolist() == np.tile(np.arange(1, 6), 4).tolist()
    assert s["cutoff"].dtype == "datetime64[ns]"
    assert s["age"].dtype == "timedelta64[ns]"
    mid = s["window_start"] + (s["window_end"] - s["window_start"]) / 2
    assert (mid - s["cutoff"] == s["age"]).all()
    assert ((s["window_end"] - s["window_start"]) == pd.Timedelta("30D")).all()
    cut = s.groupby("anchor")["cutoff"].first()
    assert (cut.diff().dropna() == pd.Timedelta("30D")).all()
    assert (s["status"] == "ok").all()
    np.testing.assert_allclose(s["se"], 0.01 * np.sqrt(500 / s["n"]))
    assert "DegradationScores(" in repr(sim)


def test_degradation_scores_noise_structure():
    # only calendar noise: every anchor that scores a calendar window shares its error
    sim = make_degradation_scores(n_anchors=5, n_windows=6, se=0, anchor_sd=0,
                                  period_sd=0.02, random_state=1)
    s = sim.scores
    resid = s["score"] - sim.true_score(s["age"].to_numpy())
    spread = resid.groupby(s["window_start"]).agg(np.ptp)
    assert spread.max() < 1e-14
    assert resid.groupby(s["window_start"]).size().max() == 5
    np.testing.assert_allclose(resid.groupby(s["window_start"]).first(), sim.period_effects)
    # only anchor offsets: constant within an anchor
    sim = make_degradation_scores(se=0, anchor_sd=0.02, period_sd=0, random_state=2)
    s = sim.scores
    resid = s["score"] - sim.true_score(s["age"].to_numpy())
    np.testing.assert_allclose(resid.groupby(s["anchor"]).first(), sim.anchor_effects)
    assert resid.groupby(s["anchor"]).agg(np.ptp).max() < 1e-14
    # only sampling noise: standardised residuals are N(0, 1)
    sim = make_degradation_scores(n_anchors=50, n_windows=40, anchor_sd=0, period_sd=0,
                                  random_state=3)
    s = sim.scores
    z = (s["score"] - sim.true_score(s["age"].to_numpy())) / s["se"]
    assert abs(z.mean()) < 0.1
    assert abs(z.std() - 1) < 0.05


def test_degradation_scores_seeded():
    a = make_degradation_scores(random_state=7)
    b = make_degradation_scores(random_state=7)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    c = make_degradation_scores(random_state=8)
    assert not np.allclose(a.scores["score"], c.scores["score"])


@pytest.mark.parametrize("shape", ["linear", "exponential", "hinge", "quadratic"])
@pytest.mark.parametrize("greater_is_better", [True, False])
def test_degradation_scores_crossing(shape, greater_is_better):
    sign = 1 if greater_is_better else -1
    sim = make_degradation_scores(shape=shape, baseline=0.8, slope=-sign * 0.0003,
                                  curvature=-sign * 5e-7, timescale="365D", breakpoint="90D",
                                  greater_is_better=greater_is_better, random_state=0)
    age = sim.true_crossing_age(0.05)
    level = 0.8 * (1 - sign * 0.05)
    assert sim.true_threshold(0.05) == pytest.approx(level)
    assert sim.true_score(age) == pytest.approx(level, rel=1e-10)
    before = sim.true_score(np.linspace(0, age / DAY, 100)[:-1])
    assert np.all(sign * (before - level) > 0)


def test_degradation_scores_curves():
    kw = {"baseline": 1.0, "slope": -0.01, "random_state": 0, "time_kind": "numeric"}
    a = np.array([0.0, 10.0, 50.0])
    lin = make_degradation_scores(shape="linear", **kw)
    np.testing.assert_allclose(lin.true_score(a), 1 - 0.01 * a)
    quad = make_degradation_scores(shape="quadratic", curvature=-1e-4, **kw)
    np.testing.assert_allclose(quad.true_score(a), 1 - 0.01 * a - 1e-4 * a**2)
    expo = make_degradation_scores(shape="exponential", timescale=20.0, **kw)
    np.testing.assert_allclose(expo.true_score(a), 1 - 0.2 * (1 - np.exp(-a / 20)))
    assert expo.true_crossing_age(0.1) == pytest.approx(-20 * np.log(0.5))
    assert expo.true_crossing_age(0.25) is None  # the asymptote 0.8 stays within 25%
    hinge = make_degradation_scores(shape="hinge", breakpoint=20.0, **kw)
    np.testing.assert_allclose(hinge.true_score(a), [1.0, 1.0, 0.7])
    assert hinge.true_crossing_age(0.1, tolerance_type="absolute") == pytest.approx(30.0)
    flat = make_degradation_scores(shape="none", **kw)
    np.testing.assert_allclose(flat.true_score(a), 1.0)
    assert flat.true_crossing_age(0.05) is None
    assert make_degradation_scores(shape="linear", slope=0.01, baseline=1.0,
                                   random_state=0).true_crossing_age(0.05) is None
    # a quadratic whose slope improves at first but that turns round
    turn = make_degradation_scores(shape="quadratic", baseline=1.0, slope=0.01,
                                   curvature=-1e-3, random_state=0)
    assert turn.true_crossing_age(0.05) / DAY == pytest.approx(
        (0.01 + np.sqrt(0.01**2 + 4e-3 * 0.05)) / 2e-3)


def test_degradation_scores_numeric_time():
    sim = make_degradation_scores(n_anchors=2, n_windows=3, window=10, start=100.0,
                                  time_kind="numeric", random_state=0)
    s = sim.scores
    assert s["cutoff"].tolist() == [100.0] * 3 + [110.0] * 3
    assert s["age"].tolist() == [5.0, 15.0, 25.0] * 2
    assert s["window_end"].tolist() == [110.0, 120.0, 130.0, 120.0, 130.0, 140.0]
    assert isinstance(sim.true_crossing_age(0.05), float)


def test_degradation_scores_to_evaluation():
    sim = make_degradation_scores(n_anchors=3, n_windows=4, random_state=0)
    ev = sim.to_evaluation()
    assert ev.n_usable == 12
    assert ev.n_anchors == 3
    assert ev.greater_is_better


# --------------------------------------------------------------------------- chicago
def test_load_chicago_ridership():
    df = load_chicago_ridership()
    assert df.shape == (5698, 50)
    assert "rownames" not in df.columns
    assert df.columns[:2].tolist() == ["date", "ridership"]
    assert df["date"].dtype == "datetime64[ns]"
    assert df["date"].is_monotonic_increasing
    assert df["date"].is_unique
    assert df["date"].iloc[0] == pd.Timestamp("2001-01-22")
    assert df["date"].iloc[-1] == pd.Timestamp("2016-08-28")
    assert df["ridership"].dtype == np.float64
    assert df.drop(columns="date").dtypes.map(pd.api.types.is_numeric_dtype).all()
    assert not df.isna().any().any()
    X, y, t = load_chicago_ridership(as_frame=False)
    assert X.shape == (5698, 48)
    assert X.dtype == np.float64
    np.testing.assert_array_equal(y, df["ridership"].to_numpy())
    assert t.dtype == np.dtype("datetime64[ns]")


# ------------------------------------------------------------------------ validation
@pytest.mark.parametrize(("call", "message"), [
    (lambda: make_drifting_regression(0),
     "The 'n_samples' parameter of make_drifting_regression must be an int in the range "
     "[1, inf). Got 0 instead."),
    (lambda: make_drifting_regression(10, noise=0.0),
     "The 'noise' parameter of make_drifting_regression must be a float in the range "
     "(0, inf). Got 0.0 instead."),
    (lambda: make_drifting_regression(10, coef=[1.0, 2.0]),
     "The 'coef' parameter of make_drifting_regression must be an array-like of 5 finite "
     "floats or None. Got [1.0, 2.0] instead. Give one value per feature (n_features)."),
    (lambda: make_drifting_classification(10, n_features=1),
     "The 'n_features' parameter of make_drifting_classification must be an int in the "
     "range [2, inf). Got 1 instead."),
    (lambda: make_drifting_classification(10, time_kind="date"),
     "The 'time_kind' parameter of make_drifting_classification must be one of "
     "{'datetime', 'numeric'}. Got 'date' instead."),
    (lambda: make_drifting_regression(10, train_window="MS"),
     "The 'train_window' parameter of make_drifting_regression must be a positive length of "
     "time (a number of days, a Timedelta or a string such as '30D'). Got 'MS' instead. "
     "Calendar offsets such as 'MS' have no fixed length here."),
    (lambda: make_drifting_regression(10, start="not a date"),
     "The 'start' parameter of make_drifting_regression must be a date (a string such as "
     "'2020-01-01', a Timestamp or a datetime) or None. Got 'not a date' instead."),
    (lambda: make_drifting_regression(10, random_state="seed"),
     "The 'random_state' parameter of make_drifting_regression must be an int, a numpy "
     "Generator/RandomState or None. Got 'seed' instead."),
    (lambda: make_degradation_scores(random_state=-1),
     "The 'random_state' parameter of make_degradation_scores must be an int >= 0, a numpy "
     "Generator/RandomState or None. Got -1 instead. Seeds are non-negative; use e.g. "
     "random_state=0."),
    (lambda: make_drifting_classification(10, random_state=True),
     "The 'random_state' parameter of make_drifting_classification must be an int, a "
     "numpy Generator/RandomState or None. Got True instead."),
    (lambda: make_degradation_scores(random_state=0).true_score(["0D", "x"]),
     "The 'age' parameter of DegradationScores.true_score must be a model age or array of "
     "ages"),
    (lambda: make_drifting_regression(10, random_state=0).true_crossing_age(1.5),
     "The 'tolerance' parameter of DriftingDataset.true_crossing_age must be a float in the "
     "range (0, 1) for tolerance_type='relative'. Got 1.5 instead."),
    (lambda: make_drifting_regression(10, random_state=0).true_score(1, metric="roc_auc"),
     "The 'metric' parameter of DriftingDataset.true_score must be one of {'mse', 'rmse', "
     "'mae'}. Got 'roc_auc' instead."),
    (lambda: make_drifting_regression(10, random_state=0).true_crossing_age(
        0.1, baseline="first"),
     "The 'baseline' parameter of DriftingDataset.true_crossing_age must be 'age0' or a "
     "finite number. Got 'first' instead."),
    (lambda: make_degradation_scores(shape="cubic"),
     "The 'shape' parameter of make_degradation_scores must be one of {'linear', "
     "'exponential', 'hinge', 'quadratic', 'none'}. Got 'cubic' instead."),
    (lambda: make_degradation_scores(greater_is_better="yes"),
     "The 'greater_is_better' parameter of make_degradation_scores must be a bool. "
     "Got 'yes' instead."),
    (lambda: make_degradation_scores(window=-3),
     "The 'window' parameter of make_degradation_scores must be a positive length of time "
     "(a number of days, a Timedelta or a string such as '30D'). Got -3 instead."),
    (lambda: make_degradation_scores(random_state=0).true_crossing_age(
        0.1, tolerance_type="ratio"),
     "The 'tolerance_type' parameter of DegradationScores.true_threshold must be one of "
     "{'relative', 'absolute'}. Got 'ratio' instead."),
    (lambda: load_chicago_ridership(as_frame="yes"),
     "The 'as_frame' parameter of load_chicago_ridership must be a bool. Got 'yes' instead."),
])
def test_invalid_arguments(call, message):
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        call()
