"""The leading indicators computed by the engine (``indicators=`` on
:func:`oot.evaluate_out_of_time`).

Reference: a plain loop over :meth:`oot.OutOfTimeSplit.split_anchors` that refits the
model on each anchor's training rows and computes every indicator of every window with
``scipy.stats.ks_2samp``, the hand-written PSI of ``tests/test_indicators.py`` and the
brute-force expected AUC. Then the statuses of bad columns, the JSON round trip, row
order and ``n_jobs``, and the expected AUC of a calibrated model against its realized
AUC (prior-shift-free covariate drift).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import oot
from oot import InvalidParameterError, OOTEvaluation

from .test_indicators import brute_expected_auc, hand_counts, hand_psi

PLAN: dict[str, Any] = {"train_window": "60D", "eval_window": "30D", "anchors": 4,
                        "min_window_size": 5}


def _frame(seed: int = 0, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.Timestamp("2021-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 240 * 86400, n)), unit="s")
    frac = np.linspace(0, 1, n)
    x1 = rng.normal(frac, 1.0)
    x2 = np.round(rng.normal(size=n), 1)           # ties
    x2[rng.random(n) < 0.05] = np.nan              # missing values
    cat = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]).astype(object)
    late = frac > 0.6
    cat[late & (rng.random(n) < 0.3)] = "new"      # unseen by the early anchors
    logit = 1.2 * x1 - 0.8 * np.nan_to_num(x2) + (cat == "b") - 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"ts": t, "x1": x1, "x2": x2, "cat": cat, "y": y})


def _model() -> Any:
    enc = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["cat"]),
        (SimpleImputer(), ["x1", "x2"]))
    return make_pipeline(enc, LogisticRegression())


def _hand_numeric(train: np.ndarray, win: np.ndarray, any_missing: bool) -> float:
    fin = train[np.isfinite(train)]
    edges = sorted({float(np.quantile(fin, k / 10, method="inverted_cdf"))
                    for k in range(1, 10)})
    e, a = hand_counts(train, edges), hand_counts(win, edges)
    if not any_missing:
        e, a = e[:-1], a[:-1]
    return hand_psi(e, a)


def _hand_categorical(train: pd.Series, win: pd.Series, ev_all: pd.Series) -> float:
    cats = list(pd.unique(train.dropna()))
    def counts(s: pd.Series) -> list[int]:
        c = [int((s == k).sum()) for k in cats]
        return [*c, int((~s.isin(cats) & s.notna()).sum()), int(s.isna().sum())]
    e, a = counts(train), counts(win)
    keep = list(range(len(cats)))
    if (~ev_all.isin(cats) & ev_all.notna()).any():
        keep.append(len(cats))
    if ev_all.isna().any() or train.isna().any():
        keep.append(len(cats) + 1)
    return hand_psi([e[i] for i in keep], [a[i] for i in keep])


def reference_indicators(df: pd.DataFrame, model: Any, features: list[str],
                         **plan: Any) -> pd.DataFrame:
    """Every indicator of every (anchor, window), by a loop over the splits."""
    split = oot.OutOfTimeSplit(time="ts", **{k: v for k, v in plan.items()
                                             if k != "min_window_size"})
    rows = []
    for a, (train, tests) in enumerate(split.split_anchors(df)):
        fitted = clone(model).fit(df.iloc[train][features], df["y"].iloc[train])
        p_train = fitted.predict_proba(df.iloc[train][features])[:, 1]
        ev_rows = np.concatenate(tests)
        ev_all = df.iloc[ev_rows]
        for w, test in enumerate(tests):
            win = df.iloc[test]
            out: dict[str, float] = {}
            for f in features:
                tr = df[f].iloc[train]
                if f == "cat":
                    out["psi:cat"] = _hand_categorical(tr, win[f], ev_all[f])
                    continue
                tv, wv = tr.to_numpy(float), win[f].to_numpy(float)
                miss = (~np.isfinite(tv)).any() or (~np.isfinite(
                    ev_all[f].to_numpy(float))).any()
                out[f"psi:{f}"] = _hand_numeric(tv, wv, bool(miss))
                out[f"ks:{f}"] = ks_2samp(tv[np.isfinite(tv)],
                                          wv[np.isfinite(wv)]).statistic
            p = fitted.predict_proba(win[features])[:, 1]
            out["psi:prediction"] = _hand_numeric(p_train, p, False)
            out["ks:prediction"] = ks_2samp(p_train, p).statistic
            out["expected:roc_auc"] = brute_expected_auc(p)
            out["expected:accuracy"] = float(np.maximum(p, 1 - p).mean())
            rows += [{"anchor": a + 1, "window": w + 1, "indicator": k, "value": v}
                     for k, v in out.items()]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return _frame()


@pytest.fixture(scope="module")
def evaluation(frame: pd.DataFrame) -> OOTEvaluation:
    return oot.evaluate_out_of_time(frame, _model(), target="y", time="ts",
                                    indicators=True, **PLAN)


def test_engine_indicators_equal_a_plain_loop_over_the_splits(
        frame: pd.DataFrame, evaluation: OOTEvaluation) -> None:
    ind = evaluation.indicators
    assert ind is not None
    assert ind.columns.tolist() == ["anchor", "window", "indicator", "value", "status"]
    ref = reference_indicators(frame, _model(), ["x1", "x2", "cat"], **PLAN)
    got = ind.merge(ref, on=["anchor", "window", "indicator"], suffixes=("", "_ref"),
                    how="outer", indicator=True)
    assert (got["_merge"] == "both").all()
    feat = ~got["indicator"].str.contains("prediction|expected")
    np.testing.assert_allclose(got.loc[feat, "value"], got.loc[feat, "value_ref"],
                               rtol=1e-12, atol=1e-15)
    # the model's predictions: the same fit up to the order of equal-time rows
    np.testing.assert_allclose(got.loc[~feat, "value"], got.loc[~feat, "value_ref"],
                               rtol=1e-6, atol=1e-9)
    assert set(ind["status"]) == {"ok"}
    # one row per (anchor, window, indicator), in that order
    s = evaluation.scores
    assert len(ind) == len(s) * ind["indicator"].nunique()
    assert ind[["anchor", "window"]].drop_duplicates().values.tolist() == (
        s[["anchor", "window"]].values.tolist())


def test_unseen_categories_raise_the_categorical_psi(evaluation: OOTEvaluation) -> None:
    ind = evaluation.indicators
    assert ind is not None
    cat = ind.loc[ind["indicator"] == "psi:cat"]
    first = cat.loc[cat["anchor"] == 1].sort_values("window")["value"].to_numpy()
    assert first[-1] > 5 * first[0]   # the late windows hold the unseen "new"


def test_bad_columns_give_statuses_not_errors() -> None:
    df = _frame(1, 2000)
    df["const"] = 3.0
    df["empty"] = np.nan
    late = df["ts"] > pd.Timestamp("2021-06-15")
    df["gone"] = np.where(late, np.nan, df["x1"])
    df["flag"] = df["x1"] > 0
    feats = ["x1", "const", "empty", "gone", "flag"]
    ev = oot.evaluate_out_of_time(df, make_pipeline(
        SimpleImputer(keep_empty_features=True), LogisticRegression()),
        target="y", time="ts", features=feats, indicators=["psi", "ks"], **PLAN)
    ind = ev.indicators
    assert ind is not None
    st = ind.groupby("indicator")["status"].agg(lambda s: sorted(set(s)))
    assert st["psi:const"] == ["constant"]
    assert st["ks:const"] == ["ok"]
    assert st["psi:empty"] == st["ks:empty"] == ["no_reference"]
    assert "no_values" in st["ks:gone"]
    assert st["psi:gone"] == ["ok"]
    assert "ks:flag" not in st.index
    assert st["psi:flag"] == ["ok"]
    undefined = ind.loc[ind["status"] != "ok", "value"]
    assert undefined.isna().all()


def test_indicators_json_round_trip_and_old_documents(evaluation: OOTEvaluation) -> None:
    back = OOTEvaluation.from_json(evaluation.to_json())
    assert back.indicators is not None
    pd.testing.assert_frame_equal(back.indicators, evaluation.indicators)
    pd.testing.assert_frame_equal(back.scores, evaluation.scores)
    doc = json.loads(evaluation.to_json())
    del doc["indicators"]                                # a document from before
    old = OOTEvaluation.from_json(json.dumps(doc))
    assert old.indicators is None
    plain = dataclasses.replace(evaluation, indicators=None)
    assert "indicators" not in json.loads(plain.to_json())


def test_indicators_do_not_change_the_scores(frame: pd.DataFrame,
                                             evaluation: OOTEvaluation) -> None:
    plain = oot.evaluate_out_of_time(frame, _model(), target="y", time="ts", **PLAN)
    assert plain.indicators is None
    pd.testing.assert_frame_equal(plain.scores, evaluation.scores)


def test_indicators_ignore_row_order_and_n_jobs(frame: pd.DataFrame,
                                                evaluation: OOTEvaluation) -> None:
    shuffled = frame.sample(frac=1.0, random_state=3)
    with joblib.parallel_config(backend="threading"):  # joblib's path, no process start
        ev2 = oot.evaluate_out_of_time(shuffled, _model(), target="y", time="ts",
                                       indicators=True, n_jobs=2, **PLAN)
    pd.testing.assert_frame_equal(ev2.indicators, evaluation.indicators,
                                  check_exact=False, rtol=1e-9)


def test_a_list_picks_indicators_and_kinds(frame: pd.DataFrame) -> None:
    ev = oot.evaluate_out_of_time(frame, _model(), target="y", time="ts",
                                  indicators=["ks", "psi:cat", "expected:roc_auc"], **PLAN)
    assert ev.indicators is not None
    assert list(pd.unique(ev.indicators["indicator"])) == [
        "ks:x1", "ks:x2", "ks:prediction", "psi:cat", "expected:roc_auc"]
    assert ev.params["indicators"] == list(pd.unique(ev.indicators["indicator"]))


def test_regression_and_label_predictions() -> None:
    ds = oot.datasets.make_drifting_regression(n_samples=2000, random_state=0)
    ev = oot.evaluate_out_of_time(ds.frame, LinearRegression(), target=ds.target,
                                  time=ds.time, metric="rmse", indicators=True, **PLAN)
    names = set(ev.indicators["indicator"])
    assert {"psi:prediction", "ks:prediction"} <= names
    assert not any(n.startswith("expected:") for n in names)
    df = _frame(2, 2000)
    ev = oot.evaluate_out_of_time(df, _model(), target="y", time="ts",
                                  metric="accuracy", indicators=True, **PLAN)
    names = list(pd.unique(ev.indicators["indicator"]))
    # predicted labels are compared as categories; no probabilities, no expected score
    assert "psi:prediction" in names
    assert "ks:prediction" not in names
    assert not any(n.startswith("expected:") for n in names)


def test_expected_auc_tracks_the_realized_auc_of_a_calibrated_model() -> None:
    """Covariate drift with a fixed P(y | x): a logistic model stays calibrated, its
    AUC falls as the classes mix, and its expected AUC follows within sampling error."""
    sim = oot.datasets.make_indicator_data(30000, drift="covariate", random_state=1)
    ev = oot.evaluate_out_of_time(sim.frame, LogisticRegression(), target=sim.target,
                                  time=sim.time, train_window="90D", eval_window="30D",
                                  anchors=6, indicators=["expected:roc_auc"])
    ind = ev.indicators
    m = ind.merge(ev.scores, on=["anchor", "window"])
    z = (m["value"] - m["score"]) / m["se"]
    assert m["score"].max() - m["score"].min() > 0.05   # the AUC does move
    assert abs(float(z.mean())) < 0.5
    assert float((z.abs() < 3).mean()) >= 0.95
    # ... while under concept drift the expected AUC stays put as the AUC falls
    sim = oot.datasets.make_indicator_data(30000, drift="concept", random_state=1)
    ev = oot.evaluate_out_of_time(sim.frame, LogisticRegression(), target=sim.target,
                                  time=sim.time, train_window="90D", eval_window="30D",
                                  anchors=6, indicators=["expected:roc_auc"])
    m = ev.indicators.merge(ev.scores, on=["anchor", "window"])
    assert float((m["value"] - m["score"]).max()) > 0.08


def test_indicators_bad_input_messages(frame: pd.DataFrame) -> None:
    def run(indicators: Any, data: pd.DataFrame = frame, model: Any = None,
            **kw: Any) -> None:
        oot.evaluate_out_of_time(data, model if model is not None else _model(),
                                 target="y", time="ts", indicators=indicators,
                                 **{**PLAN, **kw})

    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'indicators' parameter of evaluate_out_of_time must be names of "
            "indicators this evaluation can compute ('<kind>:<feature>', "
            "'<kind>:prediction' or 'expected:<metric>') or kinds ('psi', 'ks', "
            "'expected'). Got 'psi:X1' instead. Did you mean 'psi:x1'?")):
        run(["psi:X1"])
    with pytest.raises(InvalidParameterError, match=re.escape(
            "Got 'ks:cat' instead. Did you mean 'psi:cat'?")):
        run(["ks:cat"])
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'indicators' parameter of evaluate_out_of_time must be True, False, None "
            "or a non-empty list of indicator names ('psi:x1', 'ks:prediction', "
            "'expected:roc_auc') or kinds ('psi', 'ks', 'expected'). Got [] instead.")):
        run([])
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'indicators' parameter of evaluate_out_of_time must be indicators this "
            "evaluation can compute. Got 'expected' instead. Expected scores are computed "
            "from predicted probabilities; metric 'accuracy' reads predict. Evaluate a "
            "probability metric such as metric='roc_auc' or 'log_loss'.")):
        run(["expected"], metric="accuracy")
    renamed = frame.rename(columns={"x1": "prediction"})
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'indicators' parameter of evaluate_out_of_time must be indicators of "
            "features not named 'prediction' (the name of the model's predictions). Got "
            "True instead. Rename the feature column 'prediction'")):
        run(True, data=renamed, features=["prediction", "x2"],
            model=LogisticRegression())


# ----------------------------------------------- the prepared work, run once (_Once)
def test_prepared_work_runs_once_whichever_thread_asks_first() -> None:
    import threading

    from oot.evaluate._engine import _Once

    calls: list[str] = []
    once = _Once(lambda tag: calls.append(tag) or len(calls), "x")
    assert once.steal()            # the waiting thread takes it
    once.run()                     # the helper finds it done
    assert not once.steal()
    assert once.result() == 1
    assert calls == ["x"]

    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "done"

    running = _Once(slow)
    t = threading.Thread(target=running.run)
    t.start()
    assert started.wait(10)
    assert not running.steal()     # under way on the helper: not taken
    threading.Timer(0.05, release.set).start()
    assert running.result() == "done"   # waits for the helper's run
    t.join(10)

    def boom() -> None:
        raise ValueError("bad column")

    failing = _Once(boom)
    failing.run()                  # the helper keeps the error for result()
    with pytest.raises(ValueError, match="bad column"):
        failing.result()

    def interrupted() -> None:
        raise KeyboardInterrupt

    stop = _Once(interrupted)
    with pytest.raises(KeyboardInterrupt):
        stop.steal()               # an interrupt stops the thread it reaches
    with pytest.raises(KeyboardInterrupt):
        stop.result()


def test_stealing_the_prepared_work_keeps_the_values(frame: pd.DataFrame,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     ) -> None:
    """The calling thread always takes the anchors' prepared indicators (as when the
    helper falls behind), or never: the same values as in a worker process."""
    from oot.evaluate import _engine

    kw: dict[str, Any] = dict(target="y", time="ts", indicators=True, **PLAN)
    taken: list[bool] = []
    real = _engine._Once.steal

    def steal(self: Any) -> bool:
        got = real(self)
        taken.append(got)
        return got

    monkeypatch.setattr(_engine._Once, "steal", steal)
    monkeypatch.setattr(_engine, "_steal", lambda t: [o.steal() for o in
                                                      t.score.prepared.values()])
    stolen = oot.evaluate_out_of_time(frame, _model(), **kw)
    assert any(taken)
    monkeypatch.setattr(_engine, "_steal", lambda t: None)
    kept = oot.evaluate_out_of_time(frame, _model(), **kw)
    workers = oot.evaluate_out_of_time(frame, _model(), n_jobs=2, **kw)
    pd.testing.assert_frame_equal(stolen.indicators, kept.indicators)
    pd.testing.assert_frame_equal(stolen.indicators, workers.indicators)
