"""Tests of oot.plotting: the artists drawn, and that the figures render."""

from __future__ import annotations

import subprocess
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from oot import InvalidParameterError, OOTEvaluation
from oot.datasets import make_degradation_scores
from oot.degradation import fit_degradation
from oot.plotting import AgingHeatmapDisplay, DegradationDisplay, age_unit
from oot.recommend import recommend_retrain_interval


def _rec(**kw):
    ds_kw = {k: kw.pop(k) for k in list(kw) if k in (
        "greater_is_better", "baseline", "slope", "time_kind", "n_anchors", "shape", "se",
        "period_sd", "n_windows")}
    ev = make_degradation_scores(random_state=0, **ds_kw).to_evaluation()
    kw.setdefault("n_bootstrap", 100)
    kw.setdefault("random_state", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recommend_retrain_interval(ev, **kw)


@pytest.fixture(scope="module")
def rec_auc():
    return _rec(tolerance=0.05)


@pytest.fixture(scope="module")
def rec_rmse_numeric():
    return _rec(greater_is_better=False, baseline=2.0, slope=0.004, time_kind="numeric",
                n_anchors=4, tolerance=0.1)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _n_points(disp):
    return sum(len(eb.lines[0].get_xdata()) for eb in disp.errorbars_)


def _labels(ax):
    return [ln.get_label() for ln in ax.lines]


def test_from_recommendation_artists(rec_auc, tmp_path):
    disp = DegradationDisplay.from_recommendation(rec_auc)
    assert rec_auc.status == "crossed"
    assert disp.ax_.figure is disp.figure_
    assert _n_points(disp) == rec_auc.evaluation.n_usable
    labels = _labels(disp.ax_)
    assert any(lb.startswith("fitted curve (") for lb in labels)
    assert any(lb.startswith("baseline ") for lb in labels)
    assert any(lb.startswith("threshold ") and "(-5%)" in lb for lb in labels)
    assert any(lb.startswith("retrain every ") for lb in labels)
    assert disp.band_ is not None
    assert disp.interval_span_ is not None
    title = disp.ax_.get_title(loc="left")
    assert " ".join(title.split()) == str(rec_auc)
    assert disp.title_ == str(rec_auc)
    assert disp.unit_ in ("days", "months")
    # the threshold line sits at the threshold, the interval line at the interval
    assert disp.threshold_line_.get_ydata()[0] == pytest.approx(rec_auc.threshold)
    per = {"days": 1.0, "months": 30.4375}[disp.unit_]
    x = rec_auc.interval / pd.Timedelta(days=1) / per
    assert disp.interval_line_.get_xdata()[0] == pytest.approx(x)
    disp.figure_.savefig(tmp_path / "deg.png")
    assert (tmp_path / "deg.png").stat().st_size > 10_000


def test_band_of_a_recommendation_is_its_bootstrap_band(rec_auc):
    rec = rec_auc
    assert len(rec.band_age) == len(rec.band_low) == len(rec.band_high) > 10
    disp = DegradationDisplay.from_recommendation(rec)
    assert "cluster bootstrap" in disp.band_.get_label()
    per = {"days": 1.0, "months": 30.4375}[disp.unit_]
    # the shaded polygon runs along the lower edge, then back along the upper one
    verts = disp.band_.get_paths()[0].vertices
    n = len(rec.band_age)
    np.testing.assert_allclose(verts[1:n + 1, 0], np.asarray(rec.band_age) / per)
    np.testing.assert_allclose(verts[1:n + 1, 1], rec.band_low)
    np.testing.assert_allclose(verts[n + 2:2 * n + 2, 1], rec.band_high[::-1])
    # without a stored band (a document from an older version) the curve's own band
    from oot.recommend import RetrainRecommendation

    d = rec.to_dict()
    for key in ("band_age", "band_low", "band_high"):
        d.pop(key)
    old = RetrainRecommendation.from_dict(d)
    assert old.band_age == ()
    disp = DegradationDisplay.from_recommendation(old)
    assert "cluster bootstrap" not in disp.band_.get_label()


def test_plot_method_delegates(rec_auc):
    ax = Figure().add_subplot()
    disp = rec_auc.plot(ax=ax)
    assert isinstance(disp, DegradationDisplay)
    assert disp.ax_ is ax


def test_lower_is_better_numeric_time(rec_rmse_numeric, tmp_path):
    rec = rec_rmse_numeric
    disp = DegradationDisplay.from_recommendation(rec)
    assert disp.unit_ == ""
    assert "time units" in disp.ax_.get_xlabel()
    assert "lower is better" in disp.ax_.get_ylabel()
    assert any("(+10%)" in lb for lb in _labels(disp.ax_))
    assert _n_points(disp) == rec.evaluation.n_usable
    disp.figure_.savefig(tmp_path / "num.png")


@pytest.mark.parametrize("status_kw", [
    {"slope": -0.00005, "se": 0.002, "period_sd": 0.001, "tolerance": 0.05},
    {"shape": "none", "tolerance": 0.05},
])
def test_other_statuses(status_kw, tmp_path):
    rec = _rec(**status_kw)
    disp = DegradationDisplay.from_recommendation(rec)
    assert _n_points(disp) == rec.evaluation.n_usable
    assert " ".join(disp.ax_.get_title(loc="left").split()) == str(rec)
    if rec.status == "no_degradation":
        assert disp.interval_line_ is None
    else:
        assert rec.status == "not_reached"
        assert disp.interval_line_.get_label().startswith("not reached by")
    disp.figure_.savefig(tmp_path / f"{rec.status}.png")


def test_many_anchors_use_a_colorbar(tmp_path):
    rec = _rec(n_anchors=12, tolerance=0.05)
    disp = DegradationDisplay.from_recommendation(rec, errorbar=0.9)
    assert disp.colorbar_ is not None
    assert len(disp.errorbars_) == 12
    assert _n_points(disp) == rec.evaluation.n_usable
    legend_texts = [t.get_text() for t in disp.legend_.get_texts()]
    assert not any(t.startswith("anchor ") for t in legend_texts)
    disp.figure_.savefig(tmp_path / "many.png")


def test_few_anchors_in_the_legend(rec_auc):
    disp = DegradationDisplay.from_recommendation(rec_auc, ax=Figure().add_subplot())
    texts = [t.get_text() for t in disp.legend_.get_texts()]
    assert sum(t.startswith("anchor ") for t in texts) == rec_auc.evaluation.n_anchors
    assert disp.colorbar_ is None


@pytest.mark.parametrize("reference", ["baseline", "fresh"])
def test_the_legend_fits_inside_the_figure(reference):
    # The fresh reference labels its points with a long text; three columns of it made
    # the legend wider than the figure, and the constrained layout clipped it.
    ev = make_degradation_scores(n_anchors=8, n_windows=12, random_state=1).to_evaluation()
    rec = recommend_retrain_interval(ev, reference=reference, n_bootstrap=50,
                                     random_state=0)
    disp = rec.plot()
    fig = disp.figure_
    fig.canvas.draw()
    box = disp.legend_.get_window_extent()
    assert box.x0 >= 0
    assert box.x1 <= fig.bbox.width + 0.5
    axes = disp.ax_.get_window_extent()
    assert axes.width > 0.75 * fig.bbox.width  # the axes were not squeezed
    plt.close(fig)


def test_from_evaluation_and_from_curve(rec_auc):
    ev = rec_auc.evaluation
    disp = DegradationDisplay.from_evaluation(ev, ax=Figure().add_subplot())
    assert _n_points(disp) == ev.n_usable
    assert disp.curve_line_ is None
    assert disp.threshold_line_ is None
    curve = fit_degradation(ev, curve="linear")
    disp = DegradationDisplay.from_evaluation(ev, curve=curve, ax=Figure().add_subplot())
    assert disp.curve_line_.get_label() == "fitted curve (linear)"
    disp = DegradationDisplay.from_curve(curve, ax=Figure().add_subplot())
    assert disp.errorbars_ == []
    assert disp.baseline_line_ is not None
    disp = DegradationDisplay.from_curve(curve, evaluation=ev, ax=Figure().add_subplot())
    assert _n_points(disp) == ev.n_usable


def test_unit_option_and_auto_units(rec_auc):
    disp = DegradationDisplay.from_recommendation(rec_auc, ax=Figure().add_subplot(),
                                                  unit="weeks")
    assert disp.unit_ == "weeks"
    assert "weeks" in disp.ax_.get_xlabel()
    assert age_unit(30)[0] == "days"
    assert age_unit(400)[0] == "months"
    assert age_unit(4000)[0] == "years"


def test_bad_arguments(rec_auc):
    with pytest.raises(InvalidParameterError, match="'errorbar' parameter"):
        DegradationDisplay.from_recommendation(rec_auc, errorbar=2)
    with pytest.raises(InvalidParameterError, match="'unit' parameter"):
        DegradationDisplay.from_recommendation(rec_auc, unit="fortnights")
    with pytest.raises(InvalidParameterError, match="'recommendation' parameter"):
        DegradationDisplay.from_recommendation(rec_auc.evaluation)
    with pytest.raises(InvalidParameterError, match="'value' parameter"):
        AgingHeatmapDisplay.from_evaluation(rec_auc.evaluation, value="drop")


def _n_calendar_windows(ev):
    return ev.scores["window_start"].nunique()


def test_heatmap_shape(rec_auc, tmp_path):
    ev = rec_auc.evaluation
    disp = AgingHeatmapDisplay.from_evaluation(ev)
    shape = (ev.n_anchors, _n_calendar_windows(ev))
    assert disp.values.shape == shape
    assert disp.mesh_.get_array().shape == shape
    assert disp.colorbar_ is not None
    # every usable score lands in the table
    assert np.isfinite(disp.values).sum() == ev.n_usable
    disp.figure_.savefig(tmp_path / "heat.png")


def test_heatmap_relative_drop_is_zero_at_first_window(rec_rmse_numeric, tmp_path):
    ev = rec_rmse_numeric.evaluation
    disp = AgingHeatmapDisplay.from_evaluation(ev, value="relative_drop")
    assert disp.values.shape == (ev.n_anchors, _n_calendar_windows(ev))
    for row in disp.values:
        fin = row[np.isfinite(row)]
        assert fin[0] == 0.0
    # lower is better and the RMSE rises: the degradation is positive late on
    assert np.nanmean(disp.values[:, -3:]) > 0
    disp.figure_.savefig(tmp_path / "heat_rel.png")


def test_heatmap_without_window_times():
    frame = pd.DataFrame({"anchor": [1, 1, 1, 2, 2, 2], "age": [1.0, 2, 3] * 2,
                          "score": [0.9, 0.85, 0.8, 0.88, 0.86, 0.81]})
    ev = OOTEvaluation.from_frame(frame, metric="roc_auc", time_kind="numeric")
    disp = AgingHeatmapDisplay.from_evaluation(ev, ax=Figure().add_subplot())
    assert disp.values.shape == (2, 3)
    assert disp.ax_.get_xlabel() == "window"


def test_import_oot_does_not_import_pyplot():
    code = ("import sys, oot, oot.plotting, oot.report, oot.cli; "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
