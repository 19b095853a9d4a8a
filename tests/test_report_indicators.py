"""The report's Leading indicators section, ``oot analyze --indicators`` and the flat
record's indicator fields."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

matplotlib.use("Agg")

import oot
from oot._flat import FLAT_SCHEMA, INDICATOR_FIELDS, indicator_record, recommendation_record
from oot._validation import InvalidParameterError
from oot.cli import main
from oot.cli._common import _flat_output
from oot.report import (
    INDICATOR_FILES,
    REPORT_FILES,
    REPORT_MARK,
    build_html,
    recommendation_indicators,
    save_report,
)


@pytest.fixture(scope="module")
def sim():
    return oot.datasets.make_indicator_data(8000, random_state=0)


@pytest.fixture(scope="module")
def ev(sim):
    return oot.evaluate_out_of_time(
        sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
        train_window="90D", eval_window="30D", anchors=8, indicators=True)


@pytest.fixture(scope="module")
def rec(ev):
    return oot.recommend_retrain_interval(ev, tolerance=0.05, n_bootstrap=50,
                                          random_state=0)


@pytest.fixture(scope="module")
def reference(rec):
    """rank_indicators called directly with the recommendation's settings."""
    return oot.rank_indicators(
        rec.evaluation, tolerance=rec.tolerance, tolerance_type=rec.tolerance_type,
        baseline=float(rec.baseline), curve=rec.curve.family,
        reference=rec.curve.reference)


@pytest.fixture(scope="module")
def folder(rec, tmp_path_factory):
    return save_report(rec, tmp_path_factory.mktemp("r") / "report", backtest=False)


def _section(page: str) -> str:
    start = page.index("<h2>Leading indicators")
    return page[start:page.index("<h2>", start + 4)]


def _rows(table: str) -> tuple[list[str], list[list[str]]]:
    head = [html.unescape(c) for c in re.findall(r"<th>(.*?)</th>", table)]
    rows = [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", r)]
            for r in re.findall(r"<tr>(.*?)</tr>", table)[1:]]
    return head, rows


def test_section_numbers_equal_rank_indicators(folder, reference):
    page = (folder / "index.html").read_text(encoding="utf-8")
    sec = _section(page)
    assert html.escape(str(reference)) in sec
    assert str(reference).startswith("Watch ")
    first = sec[sec.index("<table>"):sec.index("</table>")]
    head, rows = _rows(first)
    assert head[:3] == ["rank", "indicator", "correlation"]
    t = reference.summary()
    assert len(rows) == min(8, len(t))
    col = {h: i for i, h in enumerate(head)}
    for row, (_, want) in zip(rows, t.iterrows(), strict=False):
        assert row[col["indicator"]] == want["indicator"]
        assert int(row[col["rank"]]) == want["rank"]
        for name in ("correlation", "trigger_level", "within_test", "retrains_test",
                     "fixed_needed_retrains"):
            got, exp = row[col[name.replace("_", " ")]], float(want[name])
            if np.isfinite(exp):
                assert float(got) == pytest.approx(exp, rel=5e-4, abs=1e-12), name
            else:
                assert got == ""
        for name in ("n_warned", "n_crossed", "n_false_alarms"):
            assert int(row[col[name.replace("_", " ")]]) == int(want[name])
        assert row[col["recommended"]] == str(bool(want["recommended"]))
    # every indicator in the folded table, in the same order
    _, every = _rows(sec[sec.index("<details>"):])
    assert [r[1] for r in every] == list(t["indicator"])


def test_section_figure_and_files(folder):
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted({*REPORT_FILES, *INDICATOR_FILES, REPORT_MARK}
                           - {"backtest.png", "backtest_realized.png"})
    png = (folder / "indicators.png").read_bytes()
    assert png[:4] == b"\x89PNG"
    mark = json.loads((folder / REPORT_MARK).read_text(encoding="utf-8"))
    assert "indicators.png" in mark["files"]
    sec = _section((folder / "index.html").read_text(encoding="utf-8"))
    assert 'alt="indicators.png"' in sec
    assert "Each panel: the indicator on every window" in sec


def test_given_report_is_shown_as_given(rec):
    ir = oot.rank_indicators(rec.evaluation, tolerance=0.10, levels={"psi:x_cause": 0.25})
    sec = _section(build_html(rec, {}, indicators=ir))
    assert html.escape(str(ir)) in sec
    _, rows = _rows(sec[sec.index("<details>"):])
    level = {r[1]: r[3] for r in rows}
    assert level["psi:x_cause"] == "0.25"
    assert ir.threshold != recommendation_indicators(rec).threshold   # tolerance 10%
    assert "Leading indicators" not in build_html(rec, {})


def test_no_section_when_asked_and_bad_values(rec, tmp_path):
    out = save_report(rec, tmp_path / "off", backtest=False, indicators=False)
    assert "Leading indicators" not in (out / "index.html").read_text(encoding="utf-8")
    assert not (out / "indicators.png").exists()
    plain = oot.datasets.make_degradation_scores(random_state=0).to_evaluation()
    r2 = oot.recommend_retrain_interval(plain, n_bootstrap=50, random_state=0)
    with pytest.raises(InvalidParameterError, match=r"'indicators' parameter of "
                       r"save_report.*indicators=True"):
        save_report(r2, tmp_path / "x", indicators=True)
    with pytest.raises(InvalidParameterError, match=r"'indicators'.*IndicatorReport"):
        save_report(rec, tmp_path / "x", indicators="all")
    assert not (tmp_path / "x").exists()


def test_recommend_passes_indicators_through(sim, ev):
    rec = oot.recommend_retrain_interval(
        sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
        train_window="90D", eval_window="30D", anchors=8, n_bootstrap=50,
        random_state=0, indicators=["psi:x_cause", "ks"])
    got = rec.evaluation.indicators
    assert set(got["indicator"]) == {"psi:x_cause", "ks:x_cause", "ks:x_noise", "ks:x1",
                                     "ks:x2", "ks:prediction"}
    want = ev.indicators.merge(got, on=["anchor", "window", "indicator"])
    assert len(want) == len(got)
    np.testing.assert_allclose(want["value_x"], want["value_y"], rtol=0, atol=1e-12)
    with pytest.raises(InvalidParameterError, match=r"'indicators' parameter of "
                       r"recommend_retrain_interval must be False when data is an "
                       r"OOTEvaluation"):
        oot.recommend_retrain_interval(ev, indicators=True)


def test_flat_record_fields(rec, reference):
    r = indicator_record(reference, rec)
    assert tuple(r) == INDICATOR_FIELDS
    top = reference.summary().iloc[0]
    assert r["indicators"] == list(reference.summary()["indicator"])
    assert r["n_indicators"] == len(reference.summary())
    assert r["indicator_top"] == top["indicator"] == r["indicators"][0]
    assert r["indicator_best"] == reference.best
    assert r["indicator_sentence"] == str(reference)
    assert r["indicator_top_correlation"] == pytest.approx(float(top["correlation"]))
    assert r["indicator_top_trigger_level"] == pytest.approx(float(top["trigger_level"]))
    assert r["indicator_top_lead"] == pytest.approx(top["lead"] / pd.Timedelta(days=1))
    assert r["indicator_top_lead_days"] == r["indicator_top_lead"]
    assert r["indicator_top_n_warned"] == int(top["n_warned"])
    assert isinstance(r["indicator_top_tracks"], bool)
    json.dumps(r, allow_nan=False)
    # fields only added: the recommendation's record is the same, same schema
    assert recommendation_record(rec)["schema"] == FLAT_SCHEMA == "oot.flat/1"
    assert not set(INDICATOR_FIELDS) & set(recommendation_record(rec))
    assert set(indicator_record(None, rec).values()) == {None}
    # oot analyze --json without --indicators: the fields are there, all null
    flat = _flat_output(rec, Path("report"), None)
    assert all(flat[k] is None for k in INDICATOR_FIELDS)


# ----------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def csv(sim, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "ind.csv"
    frame = sim.frame.copy()
    frame["grade"] = np.where(frame["x1"] > 0, "a", "b")   # a categorical feature
    frame.to_csv(path, index=False)
    return path


def _args(path, out, *extra):
    return ["analyze", str(path), "--time", "ts", "--target", "y", "--model",
            "logistic", "--metric", "roc_auc", "--train-window", "90D",
            "--eval-window", "30D", "--anchors", "8", "--n-bootstrap", "20",
            "--out", str(out), "--no-progress", *extra]


def test_cli_indicators_prints_the_sentence_and_writes_the_section(csv, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(_args(csv, out, "--indicators", "psi:x_cause,ks:x_cause,psi:grade")) == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if x.startswith("Leading indicators: "))
    assert line.startswith("Leading indicators: Watch ")
    assert "x_cause" in line
    assert (out / "indicators.png").exists()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert html.escape(line.removeprefix("Leading indicators: ")) in _section(page)
    assert "psi:grade" in _section(page)


def test_cli_indicators_json(csv, tmp_path, capsys):
    assert main(_args(csv, tmp_path / "r", "--indicators", "--json")) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "oot.flat/1"
    assert set(INDICATOR_FIELDS) <= set(doc)
    assert "psi:grade" in doc["indicators"]
    assert "ks:grade" not in doc["indicators"]
    assert doc["n_indicators"] == len(doc["indicators"])
    assert doc["indicator_top"] == doc["indicators"][0]
    assert doc["indicator_sentence"].startswith("Watch ")
    assert isinstance(doc["indicator_top_correlation"], float)


@pytest.mark.parametrize(("given", "shown"), [
    ("psi:x_caus", "unknown indicator 'psi:x_caus'"),
    ("psi,drift", "unknown indicator 'drift'"),
    ("ks:grade", "unknown indicator 'ks:grade' (there is no KS statistic of the "
                 "categorical column 'grade')"),
    ("all,psi", "unknown indicator 'all' ('all' stands alone)"),
])
def test_cli_unknown_indicator_names_it_and_the_valid_names(csv, tmp_path, capsys,
                                                              given, shown):
    assert main(_args(csv, tmp_path / "r", "--indicators", given)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"oot: error: argument --indicators: {shown}; the valid "
                             "names are all, psi, ks, expected, psi:x_cause, ks:x_cause, ")
    assert "psi:grade, psi:prediction, ks:prediction, expected:roc_auc" in err[0]
    assert not (tmp_path / "r").exists()


def test_several_recommendations_refuse_the_indicators(tmp_path, csv, capsys):
    sim = oot.datasets.make_indicator_data(4000, random_state=1)
    recs = oot.recommend_retrain_interval(
        sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
        metric=["roc_auc", "log_loss"], train_window="90D", eval_window="30D",
        anchors=4, n_bootstrap=20, random_state=0, indicators=["psi:x_cause"])
    with pytest.raises(InvalidParameterError, match=r"'indicators' parameter of "
                       r"save_report must be None or False for several recommendations"):
        save_report(recs, tmp_path / "x", indicators=True)
    assert main([*_args(csv, tmp_path / "r", "--indicators"), "--metric",
                 "roc_auc,log_loss"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("oot: error: argument --indicators: the leading indicators are ranked "
                   "against one recommendation; run it with one --metric and no --segment")
