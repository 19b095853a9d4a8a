"""The report's History section: the policy backtest of the recommendation."""

from __future__ import annotations

import html
import re
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

import oot
from oot import InvalidParameterError
from oot.datasets import make_degradation_scores
from oot.report import BACKTEST_FILES, REPORT_FILES, REPORT_MARK, save_report


def _rec(n_anchors: int, **kw: object) -> oot.RetrainRecommendation:
    ev = make_degradation_scores(n_anchors=n_anchors, n_windows=12, slope=-0.0004,
                                 random_state=0).to_evaluation()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oot.recommend_retrain_interval(ev, n_bootstrap=50, random_state=0, **kw)


@pytest.fixture(scope="module")
def rec() -> oot.RetrainRecommendation:
    return _rec(8)


def _page(folder) -> str:
    return (folder / "index.html").read_text(encoding="utf-8")


def test_history_section_by_default(rec, tmp_path) -> None:
    out = save_report(rec, tmp_path / "r")
    assert sorted(p.name for p in out.iterdir()) == sorted([*REPORT_FILES, REPORT_MARK])
    for name in BACKTEST_FILES:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = _page(out)
    bt = rec.backtest()
    assert "<h2>History: what each cadence would have delivered</h2>" in page
    assert html.escape(str(bt)) in page
    assert html.escape(bt.recommendation_sentence()) in page
    assert page.count("data:image/png;base64,") == 4
    assert f"Every cadence ({len(bt.summary())})" in page
    assert "<b>Schedules.</b>" in page
    assert "<b>Cost.</b>" not in page        # no costs given
    # the History section comes before the Method
    assert page.index("<h2>History") < page.index("<h2>Method")


def test_history_with_a_given_backtest_and_costs(rec, tmp_path) -> None:
    bt = rec.backtest(["60D", "90D"], retrain_cost=1.0, shortfall_cost=3.0)
    out = rec.save_report(tmp_path / "r", backtest=bt)
    page = _page(out)
    assert html.escape(str(bt)) in page
    assert "The best schedule in hindsight retrained" in page
    assert "<b>Cost.</b> Cost rate = (1 per retrain" in page
    assert "Every cadence (4)" in page


def test_no_history_when_the_evaluation_cannot_be_backtested(tmp_path) -> None:
    rec1 = _rec(1)
    out = save_report(rec1, tmp_path / "r")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        (set(REPORT_FILES) - set(BACKTEST_FILES)) | {REPORT_MARK})
    page = _page(out)
    assert ("<h2>History</h2>\n<p>Not checked on history: the evaluation has 1 anchor; a "
            "backtest needs at least 3 (e.g. anchors=24).") in page
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'evaluation' parameter of RetrainRecommendation.backtest must be an "
            "evaluation with at least 3 anchors")):
        save_report(rec1, tmp_path / "r2", backtest=True)
    assert not (tmp_path / "r2").exists()


def test_history_left_out(rec, tmp_path) -> None:
    out = save_report(rec, tmp_path / "r", backtest=False)
    assert not any((out / name).exists() for name in BACKTEST_FILES)
    assert "<h2>History" not in _page(out)


def test_bad_backtest_argument(rec, tmp_path) -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'backtest' parameter of save_report must be None, a bool or a "
            "CadenceBacktest. Got 'str' instead.")):
        save_report(rec, tmp_path / "r", backtest="yes")
