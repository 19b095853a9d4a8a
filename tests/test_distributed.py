"""Anchors on a Dask cluster: ``joblib.parallel_config(backend="dask")`` with a Client.

The cluster is a real one on loopback: a scheduler and two single-threaded worker
*processes*. The results must equal the serial run's, and the fits must have run on the
workers: the test breaks the estimator's ``fit`` in this (the client) process, which the
worker processes do not see, and counts the anchors in the scheduler's task stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

import oot
from oot.datasets import make_drifting_classification

from ._helpers import assert_same_intervals

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

N_ANCHORS = 6
KW = dict(train_window="120D", eval_window="30D", anchors=N_ANCHORS, anchor_step="60D",
          random_state=3)


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    # dashboard_address=":0": the scheduler's HTTP server always starts, and on a busy
    # port (8787) it warns and moves, which the suite's filterwarnings=error would turn
    # into a failure; a free port chosen by the OS never warns.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  ) as cluster, distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return make_drifting_classification(6000, random_state=0).frame


def _estimator() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=15, max_depth=4, n_jobs=1)


def _no_local_fit(self: object, *args: object, **kwargs: object) -> None:
    raise AssertionError("an anchor was fitted in the client process, not on a worker")


def _anchors_on_workers(client: distributed.Client, tasks: list[dict]) -> dict[str, int]:
    """Anchors run per worker, from joblib's batch keys in the task stream."""
    workers = set(client.scheduler_info()["workers"])
    per_worker: dict[str, int] = {}
    for t in tasks:
        m = re.match(r"batch_of_(?:anchor_on_worker|_fit_score_anchor)_(\d+)_calls", str(t["key"]))
        if m is None:
            continue
        assert t["worker"] in workers
        per_worker[t["worker"]] = per_worker.get(t["worker"], 0) + int(m.group(1))
    return per_worker


def test_evaluate_on_dask_equals_serial(client: distributed.Client, data: pd.DataFrame,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ref = oot.evaluate_out_of_time(data, _estimator(), target="y", time="time", n_jobs=1,
                                   **KW)
    # from here on a fit in this process fails; the workers have their own, intact class
    monkeypatch.setattr(RandomForestClassifier, "fit", _no_local_fit)
    with distributed.get_task_stream(client) as ts, \
            joblib.parallel_config(backend="dask"):
        ev = oot.evaluate_out_of_time(data, _estimator(), target="y", time="time", **KW)
    monkeypatch.undo()

    per_worker = _anchors_on_workers(client, ts.data)
    assert sum(per_worker.values()) == N_ANCHORS, per_worker
    assert (ev.anchors["status"] == "ok").all()
    assert len(ev.scores) == len(ref.scores)
    np.testing.assert_allclose(ev.scores["score"], ref.scores["score"], rtol=1e-12)
    np.testing.assert_allclose(ev.scores["se"], ref.scores["se"], rtol=1e-12)
    cols = [c for c in ref.scores.columns if c not in ("score", "se")]
    pd.testing.assert_frame_equal(ev.scores[cols], ref.scores[cols])


def test_recommend_on_dask_equals_serial(client: distributed.Client, data: pd.DataFrame,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rkw = dict(target="y", time="time", tolerance=0.05, n_bootstrap=200, **KW)
    ref = oot.recommend_retrain_interval(data, _estimator(), n_jobs=1, **rkw)
    monkeypatch.setattr(RandomForestClassifier, "fit", _no_local_fit)
    with distributed.get_task_stream(client) as ts, \
            joblib.parallel_config(backend="dask"):
        rec = oot.recommend_retrain_interval(data, _estimator(), **rkw)
    monkeypatch.undo()

    assert sum(_anchors_on_workers(client, ts.data).values()) == N_ANCHORS
    assert rec.status == ref.status
    # the scores agree to rtol 1e-12 (above), not bit for bit
    assert_same_intervals(rec, ref)
