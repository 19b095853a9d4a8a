"""Numeric time with a unit (time_unit="years") in sentences, tables and axes; numeric
cutoff labels keep their precision; the notebook progress bar without ipywidgets."""

from __future__ import annotations

import importlib.util
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import oot
import oot._format as fmt
from oot._validation import InvalidParameterError


@pytest.fixture(scope="module")
def yearly():
    """Yearly data, time in decimal years from 2005 to 2020, drifting slowly."""
    rng = np.random.default_rng(0)
    n = 6000
    t = np.sort(rng.uniform(2005.0, 2020.0, n))
    x = rng.standard_normal((n, 3))
    beta = np.column_stack([1 + 0.15 * (t - 2005), -np.ones(n), 0.5 * np.ones(n)])
    y = (x * beta).sum(axis=1) + rng.normal(0, 0.5, n)
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    df["year"] = t
    df["y"] = y
    return df


KW = dict(target="y", time="year", metric="mse", train_window=3.0, eval_window=0.25,
          anchors=[2008.25, 2009.5, 2010.75], tolerance=0.2, n_bootstrap=50,
          random_state=0)


def years(x) -> str:
    """An age of numeric time in years, worded as the issue asks: one decimal from 1 on
    ("6.9 years", not "6.878"), two significant digits below."""
    x = float(x)
    return f"{x:.1f} years" if abs(x) >= 1 else f"{x:.2g} years"


@pytest.fixture(scope="module")
def rec(yearly):
    return oot.recommend_retrain_interval(yearly, LinearRegression(), time_unit="years",
                                          **KW)


def test_the_sentence_reads_in_the_unit(rec):
    assert rec.status == "crossed"
    text = str(rec)
    lo, hi = rec.interval_ci
    assert text.startswith(f"Retrain every {years(rec.interval)} (90% CI {years(lo)} to "
                           f"{years(hi)}): ")
    assert text.endswith(f" at age {years(rec.interval)}.")
    assert f"{float(rec.interval):.4g}" not in text  # no bare number


def test_the_same_analysis_without_a_unit_is_unchanged(yearly, rec):
    plain = oot.recommend_retrain_interval(yearly, LinearRegression(), **KW)
    assert plain.interval == rec.interval
    assert plain.interval_ci == rec.interval_ci
    assert "years" not in str(plain)
    assert str(plain).startswith(f"Retrain every {float(plain.interval):.4g} (")


def test_the_unit_is_kept_by_the_json_round_trip(rec):
    back = oot.RetrainRecommendation.from_json(rec.to_json())
    assert str(back) == str(rec)
    assert back.evaluation.params["time_unit"] == "years"


def test_an_evaluation_carries_the_unit_to_the_recommendation(yearly):
    kw = {k: v for k, v in KW.items() if k not in ("tolerance", "n_bootstrap")}
    ev = oot.evaluate_out_of_time(yearly, LinearRegression(), time_unit="years", **kw)
    assert "years" in str(ev)
    rec = oot.recommend_retrain_interval(ev, tolerance=0.2, n_bootstrap=30, random_state=0)
    assert " years" in str(rec)
    # and a unit given to the recommendation replaces the evaluation's
    rec = oot.recommend_retrain_interval(ev, tolerance=0.2, n_bootstrap=30, random_state=0,
                                         time_unit="yr")
    assert " yr" in str(rec)


def test_evaluate_predictions_takes_a_unit():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"t": np.linspace(0, 10, 800)})
    df["y"] = rng.integers(0, 2, len(df))
    df["p"] = np.clip(0.4 * df["y"] + 0.6 * rng.random(len(df)), 0, 1)
    ev = oot.evaluate_predictions(df, y_true="y", y_pred="p", time="t", cutoff=2.0,
                                  eval_window=1.0, time_unit="weeks")
    assert ev.params["time_unit"] == "weeks"
    assert str(ev).endswith("weeks.")


def test_tables_and_axes_use_the_unit(rec, tmp_path):
    disp = rec.plot()
    assert disp.ax_.get_xlabel() == "model age (years since the end of the training data)"
    legend = " ".join(t.get_text() for t in disp.ax_.get_legend().get_texts())
    assert "years" in legend
    out = rec.save_report(tmp_path / "r")
    html = (out / "index.html").read_text()
    assert f"<td>{years(rec.interval)}</td>" in html


def test_the_command_line_takes_a_unit(yearly, tmp_path, capsys):
    from oot.cli import main

    path = tmp_path / "y.csv"
    yearly.to_csv(path, index=False)
    rc = main(["analyze", str(path), "--time", "year", "--target", "y", "--model", "linear",
               "--metric", "mse", "--train-window", "3", "--eval-window", "0.25",
               "--anchors", "2008.25,2009.5,2010.75", "--tolerance", "0.2",
               "--n-bootstrap", "30", "--time-unit", "years", "--out", str(tmp_path / "r"),
               "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    assert re.search(r"interval\s+[\d.]+ years\s+\(90% CI [\d.]+ years to", out), out
    rc = main(["analyze", str(path), "--time", "year", "--target", "y", "--model", "linear",
               "--metric", "mse", "--train-window", "3", "--eval-window", "0.25",
               "--n-bootstrap", "30", "--time-unit", "years", "--json",
               "--out", str(tmp_path / "r2")])
    import json

    assert json.loads(capsys.readouterr().out)["age_unit"] == "years"


def test_numeric_cutoff_labels_keep_their_precision(rec):
    assert fmt.stamp(2017.25) == "2017.25"
    assert fmt.stamp(2017.0) == "2017"
    disp = oot.plotting.AgingHeatmapDisplay.from_evaluation(rec.evaluation)
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert any("2008.25" in s for s in labels), labels
    assert any("2010.75" in s for s in labels), labels


@pytest.mark.parametrize(("value", "fragment"), [
    (3, "must be a non-empty string such as 'years', or None. Got 3 instead."),
    ("  ", "must be a non-empty string such as 'years', or None."),
])
def test_bad_time_units(yearly, value, fragment):
    with pytest.raises(InvalidParameterError, match=re.escape(
            f"The 'time_unit' parameter of recommend_retrain_interval {fragment}")):
        oot.recommend_retrain_interval(yearly, LinearRegression(), time_unit=value, **KW)


def test_a_unit_for_datetime_time_is_refused():
    ds = oot.datasets.make_drifting_regression(n_samples=1000, random_state=0)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'time_unit' parameter of evaluate_out_of_time must be None for datetime "
            "time. Got 'days' instead. Ages of datetime time are worded in days")):
        oot.evaluate_out_of_time(ds.frame, LinearRegression(), target=ds.target,
                                 time=ds.time, metric="mse", time_unit="days")


# ------------------------------------------------------------------- progress bar
def test_the_progress_bar_without_ipywidgets_is_the_plain_bar(monkeypatch):
    from tqdm.std import tqdm as plain

    from oot import _progress

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipywidgets" else real(name, *a))
    assert _progress._bar_class() is plain


@pytest.mark.skipif(importlib.util.find_spec("ipywidgets") is not None,
                    reason="needs a Jupyter install without ipywidgets")
def test_progress_in_a_notebook_without_ipywidgets_warns_nothing(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    code = (
        "import warnings\n"
        "warnings.simplefilter('always')\n"
        "from sklearn.linear_model import LinearRegression\n"
        "import oot\n"
        "ds = oot.datasets.make_drifting_regression(n_samples=2000, random_state=0)\n"
        "ev = oot.evaluate_out_of_time(ds.frame, LinearRegression(), target=ds.target, "
        "time=ds.time, metric='mse', train_window='90D', eval_window='30D', anchors=2, "
        "progress=True)\n"
        "print('done', ev.n_anchors)\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    client = nbclient.NotebookClient(nb, timeout=300, startup_timeout=180,
                                     kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        client.execute()
    outputs = nb.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "done 2" in text
    assert "IProgress" not in text
    assert "anchors: 100%" in text  # the plain bar, on stderr
    assert not [o for o in outputs if o.output_type == "error"]
