"""One BLAS thread while the analysis runs (oot.degradation._threads)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import scipy.linalg  # noqa: F401 - its BLAS is loaded before the fixture reads them
from threadpoolctl import threadpool_info, threadpool_limits

import oot
from oot.datasets import make_degradation_scores
from oot.degradation import _select as select_module
from oot.degradation import _threads, bootstrap_crossing, fit_degradation
from oot.degradation._threads import one_blas_thread


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
