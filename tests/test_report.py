"""Tests of oot.report.save_report: content, round trip, atomic overwrite."""

from __future__ import annotations

import json
import warnings

import matplotlib

matplotlib.use("Agg")

import pytest

import oot._format as fmt
import oot.report
from oot import InvalidParameterError, OOTEvaluation
from oot.datasets import make_degradation_scores
from oot.metrics import Metric
from oot.recommend import recommend_retrain_interval
from oot.report import REPORT_FILES, REPORT_MARK, build_html, save_report
from oot.results import RetrainRecommendation


@pytest.fixture(scope="module")
def rec():
    ev = make_degradation_scores(random_state=0).to_evaluation()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recommend_retrain_interval(ev, tolerance=0.05, n_bootstrap=100,
                                          random_state=0)


def test_files_and_content(rec, tmp_path):
    out = save_report(rec, tmp_path / "report")
    assert out == (tmp_path / "report").absolute()
    assert sorted(p.name for p in out.iterdir()) == sorted([*REPORT_FILES, REPORT_MARK])
    for name in ("degradation.png", "heatmap.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "index.html").read_text(encoding="utf-8")
    import html

    assert html.escape(str(rec)) in page
    # the degradation plot and the heatmap, and the History section's two charts (the
    # fixture's 6 anchors one window apart can be backtested)
    assert page.count("data:image/png;base64,") == 4
    assert "Method" in page
    assert "Per-window scores" in page
    assert "baseline" in page
    assert "threshold" in page
    # no temporary or backup folders left beside the report
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_json_round_trips(rec, tmp_path):
    out = save_report(rec, tmp_path / "r")
    text = (out / "recommendation.json").read_text(encoding="utf-8")
    back = RetrainRecommendation.from_json(text)
    assert back.to_dict() == rec.to_dict()
    assert json.loads(text)["sentence"] == str(rec)
    assert text.startswith("{\n  ")  # indented


def test_creates_parent_folders(rec, tmp_path):
    out = save_report(rec, tmp_path / "a" / "b" / "report")
    assert (out / "index.html").exists()


def test_overwrite_replaces_an_old_report_entirely(rec, tmp_path):
    target = tmp_path / "report"
    save_report(rec, target)
    (target / "heatmap.png").unlink()  # an old report with fewer files
    mark = (target / REPORT_MARK).read_text(encoding="utf-8")
    save_report(rec, target)
    assert (target / "heatmap.png").exists()
    assert (target / REPORT_MARK).read_text(encoding="utf-8") == mark
    assert sorted(p.name for p in target.iterdir()) == sorted([*REPORT_FILES, REPORT_MARK])
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_overwrite_false_refuses(rec, tmp_path):
    target = tmp_path / "report"
    target.mkdir()
    with pytest.raises(InvalidParameterError, match="overwrite=True"):
        save_report(rec, target, overwrite=False)


def test_file_in_the_way(rec, tmp_path):
    (tmp_path / "report").write_text("x")
    with pytest.raises(InvalidParameterError, match="A file of that name exists"):
        save_report(rec, tmp_path / "report")


def test_bad_arguments(rec, tmp_path):
    with pytest.raises(InvalidParameterError, match="'recommendation' parameter"):
        save_report(rec.evaluation, tmp_path / "r")
    with pytest.raises(InvalidParameterError, match="'directory' parameter"):
        save_report(rec, 3)
    with pytest.raises(InvalidParameterError, match="'overwrite' parameter"):
        save_report(rec, tmp_path / "r", overwrite="yes")


def test_failure_midway_leaves_old_report_intact(rec, tmp_path, monkeypatch):
    target = tmp_path / "report"
    save_report(rec, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # fail after the figures were written, while the page is built
    monkeypatch.setattr(oot.report, "build_html", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        save_report(rec, target)
    after = {p.name: p.read_bytes() for p in target.iterdir()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_failure_in_the_swap_restores_old_report(rec, tmp_path, monkeypatch):
    target = tmp_path / "report"
    save_report(rec, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    real_rename = type(target).rename
    calls = []

    def flaky_rename(self, dest):
        calls.append(self.name)
        if self.name.startswith(".report.tmp-"):  # the new folder moving into place
            raise OSError("rename failed")
        return real_rename(self, dest)

    monkeypatch.setattr(type(target), "rename", flaky_rename)
    with pytest.raises(OSError, match="rename failed"):
        save_report(rec, target)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert len(calls) == 3  # old aside, new in (fails), old back


# ---------------------------------------------------------------- the method section
def _section(page, title):
    """The text of an h2 section of the page, tags removed and entities unescaped."""
    import html
    import re

    body = page.split(f"<h2>{title}</h2>", 1)[1].split("<h2>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", body)).strip()


def test_method_section_is_the_method_text(rec):
    page = build_html(rec, {})
    items = fmt.method(rec)
    assert _section(page, "Method") == "".join(f"{i.title}. {i.text}" for i in items)
    # the defined terms are set in italics
    assert "The <i>baseline</i> " in page
    assert "the <i>threshold</i> " in page


def test_method_section_says_what_was_done_not_the_defaults():
    """curve="linear", baseline="first_window": no AICc choice, no curve-at-age-0 baseline
    (the report said both whatever was asked)."""
    ev = make_degradation_scores(n_anchors=3, n_windows=10, random_state=0).to_evaluation()
    rec = recommend_retrain_interval(ev, curve="linear", baseline="first_window",
                                     n_bootstrap=20, random_state=0)
    method = _section(build_html(rec, {}), "Method")
    assert "as asked (curve='linear': no other shape was compared)" in method
    assert "is the mean score of the anchors' first usable windows" in method
    assert "AICc" not in method
    assert "several shapes" not in method
    assert "curve at age 0" not in method


def test_data_section_says_why_windows_were_left_out():
    scores = make_degradation_scores(n_anchors=2, n_windows=8, random_state=0).scores.copy()
    scores.loc[[0, 9], "status"] = "too_small"
    scores.loc[[0, 9], "score"] = float("nan")
    scores.loc[5, "status"] = "one_class"
    scores.loc[5, "score"] = float("nan")
    ev = OOTEvaluation.from_frame(scores, metric="roc_auc")
    rec = recommend_retrain_interval(ev, n_bootstrap=20, random_state=0)
    data = _section(build_html(rec, {}), "Data")
    assert ("16 anchor x window scores, 13 usable (3 left out: 2 too small (fewer than "
            "min_window_size rows); 1 one class only (the metric needs both)).") in data


def test_user_text_is_escaped_in_the_method():
    m = Metric(name="lt", func=None, greater_is_better=False, display_name="P<x> & Q")
    ev = make_degradation_scores(n_anchors=2, n_windows=8, greater_is_better=False,
                                 random_state=0).to_evaluation(metric=m)
    rec = recommend_retrain_interval(ev, n_bootstrap=20, random_state=0)
    page = build_html(rec, {})
    assert "P&lt;x&gt; &amp; Q (lower is better)" in page
    assert "P<x>" not in page
    assert "P<x> & Q rises 5% above it" in _section(page, "Method")


def test_data_section_when_every_window_is_usable(rec):
    assert rec.evaluation.n_usable == len(rec.evaluation.scores)
    data = _section(build_html(rec, {}), "Data")
    assert data == f"{len(rec.evaluation.scores)} anchor x window scores, all usable."


def test_summary_shows_a_ci_end_beyond_the_data():
    ev = make_degradation_scores(n_anchors=3, n_windows=10, random_state=0).to_evaluation()
    rec = recommend_retrain_interval(ev, tolerance=0.12, n_bootstrap=50, random_state=0)
    assert rec.interval_ci[1] is None
    page = build_html(rec, {})
    assert "<th>ci_high (90%)</th><td>beyond 9.4 months</td>" in page
    assert "to beyond 9.4 months" in str(rec)
    assert rec.summary().loc["ci_high (90%)", "value"] is None  # the result is unchanged
