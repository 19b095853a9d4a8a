"""Thread limits (oot._threads): one BLAS thread while the analysis runs, and a core
left to the engine's helper thread while an anchor fits beside the indicators."""

from __future__ import annotations

import threading

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.linalg  # noqa: F401 - its BLAS is loaded before the fixture reads them
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

import oot
from oot import _threads
from oot._threads import SpareCore, one_blas_thread
from oot.datasets import make_degradation_scores
from oot.degradation import _select as select_module
from oot.degradation import bootstrap_crossing, fit_degradation


def _blas_threads() -> list[int]:
    return [int(lib["num_threads"]) for lib in threadpool_info()
            if lib["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    """BLAS at (up to) two threads around the test, whatever the machine's default."""
    with threadpool_limits(limits=2, user_api="blas"):
        yield _blas_threads()


def test_limits_and_restores(two_threads):
    with one_blas_thread():
        assert set(_blas_threads()) == {1}
        with one_blas_thread():  # nested: the inner exit keeps the limit
            pass
        assert set(_blas_threads()) == {1}
    assert _blas_threads() == two_threads


def test_restores_after_an_error(two_threads):
    with pytest.raises(ValueError, match="boom"), one_blas_thread():
        raise ValueError("boom")
    assert _blas_threads() == two_threads
    assert _threads._LOCAL.depth == 0


def test_a_worker_thread_limits_and_restores():
    before = _blas_threads()
    seen: list[list[int]] = []
    inside, release = threading.Event(), threading.Event()

    def worker() -> None:
        with one_blas_thread():
            with one_blas_thread():
                pass
            seen.append(_blas_threads())
            inside.set()
            release.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(10)
    with one_blas_thread():  # another thread's analysis meanwhile: the limit holds
        seen.append(_blas_threads())
    seen.append(_blas_threads())
    release.set()
    t.join(10)
    assert [set(x) for x in seen] == [{1}, {1}, {1}]
    assert _blas_threads() == before


def test_the_analysis_runs_on_one_thread(monkeypatch, two_threads):
    seen: dict[str, list[int]] = {}
    fit = select_module._select

    def spy(*args, **kwargs):
        seen["fit"] = _blas_threads()
        return fit(*args, **kwargs)

    monkeypatch.setattr(select_module, "_select", spy)
    ev = make_degradation_scores(random_state=0).to_evaluation()
    oot.recommend_retrain_interval(ev, n_bootstrap=50, random_state=0)
    assert set(seen["fit"]) == {1}
    assert _blas_threads() == two_threads


def test_results_do_not_depend_on_the_limit(monkeypatch, two_threads):
    # the same arithmetic up to rounding with the BLAS threads left alone
    ev = make_degradation_scores(n_anchors=8, n_windows=16, random_state=3).to_evaluation()

    def run() -> tuple[dict, np.ndarray]:
        c = fit_degradation(ev)
        b = bootstrap_crossing(ev, c, tolerance=0.05, n_bootstrap=100, random_state=1)
        return c.params, b.samples

    params1, samples1 = run()
    monkeypatch.setattr(_threads, "_controller", lambda: None)
    params2, samples2 = run()
    assert params1.keys() == params2.keys()
    for k in params1:
        assert params1[k] == pytest.approx(params2[k], rel=1e-10)
    np.testing.assert_allclose(samples1, samples2, rtol=1e-10)


# ----------------------------------------------------- a core for the engine's helper
def test_spare_core_caps_blas_beside_a_busy_helper(two_threads):
    spare = SpareCore()
    with spare.fitting(busy_helper=False):
        assert _blas_threads() == two_threads
    with spare.fitting(busy_helper=True):
        inside = _blas_threads()
    assert spare.cap == max(1, joblib.cpu_count() - 1)
    assert inside == [min(n, spare.cap) for n in two_threads]
    assert _blas_threads() == two_threads


def test_spare_core_never_raises_a_lower_limit():
    spare = SpareCore()
    with threadpool_limits(limits=1, user_api="blas"):
        with spare.fitting(busy_helper=True):
            assert set(_blas_threads()) == {1}
        assert set(_blas_threads()) == {1}


def test_spare_core_restores_after_an_error(two_threads):
    spare = SpareCore()
    with pytest.raises(ValueError, match="boom"), spare.fitting(busy_helper=True):
        raise ValueError("boom")
    assert _blas_threads() == two_threads


class _RecordThreads(BaseEstimator, ClassifierMixin):
    """A logistic regression that records the BLAS pools' threads in each fit."""

    def fit(self, X, y):
        self.threads_ = _blas_threads()
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        fit_threads.append(self.threads_)
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


fit_threads: list[list[int]] = []


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 4000
    X = rng.normal(size=(n, 3))
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["ts"] = pd.Timestamp("2021-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 400, n)), unit="D")
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    return df


@pytest.mark.parametrize("indicators", [False, True])
def test_the_engine_fits_beside_the_indicators_on_a_spare_core(two_threads, indicators):
    """Serially, the features' indicators run on the helper thread while an anchor
    fits: those fits see the BLAS pools capped; without indicators every thread."""
    fit_threads.clear()
    ev = oot.evaluate_out_of_time(
        _frame(), _RecordThreads(), target="y", time="ts", metric="roc_auc",
        train_window="120D", eval_window="MS", horizon=pd.DateOffset(months=4),
        anchors=3, indicators=indicators)
    assert len(fit_threads) == 3
    cap = max(1, joblib.cpu_count() - 1)
    want = [min(n, cap) for n in two_threads] if indicators else two_threads
    assert [want] * 3 == fit_threads
    assert _blas_threads() == two_threads
    assert ev.scores.shape[0] > 0


def test_compare_fits_beside_the_previous_anchors_scoring_on_a_spare_core(two_threads):
    """A comparison scores each anchor on the helper while the next anchor's candidates
    fit: the first anchor's fits keep every thread, the later ones leave a core; a
    multiclass comparison (2-D predictions) scores after the fits and keeps them all."""
    cap = max(1, joblib.cpu_count() - 1)
    capped = [min(n, cap) for n in two_threads]
    kw = dict(target="y", time="ts", metric="roc_auc", train_window="120D",
              eval_window="MS", horizon=pd.DateOffset(months=4), anchors=3,
              n_bootstrap=20, random_state=0)
    fit_threads.clear()
    oot.compare_candidates(_frame(), {"a": _RecordThreads(), "b": _RecordThreads()}, **kw)
    assert fit_threads == [two_threads] * 2 + [capped] * 4
    df = _frame()
    df["y"] = np.digitize(df["a"], [-0.5, 0.5])
    fit_threads.clear()
    kw["metric"] = "log_loss"
    oot.compare_candidates(df, {"a": _RecordThreads(), "b": _RecordThreads()}, **kw)
    assert fit_threads == [two_threads] * 6
    assert _blas_threads() == two_threads
