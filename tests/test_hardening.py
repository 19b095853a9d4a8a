"""Hardening (issue 12): the defects a hostile user found, each by the class it belongs to.

Every test here failed before its fix. Each class also has a property test that draws
many cases of it: a report never loses a file it did not write; a window plan either
fits in memory or is refused before it is built; a malformed result document is always
refused with :class:`oot.InvalidParameterError`; ...
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oot
import oot.report
from oot import InvalidParameterError, RetrainRecommendation
from oot.datasets import make_degradation_scores
from oot.recommend import recommend_retrain_interval
from oot.report import REPORT_FILES, REPORT_MARK, save_report

IPE = InvalidParameterError


@pytest.fixture(scope="module")
def rec() -> RetrainRecommendation:
    ev = make_degradation_scores(random_state=0).to_evaluation()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recommend_retrain_interval(ev, tolerance=0.05, n_bootstrap=100,
                                          random_state=0)


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (links followed), by path relative to it."""
    out = {}
    for dirpath, _, files in os.walk(root, followlinks=True):
        for f in files:
            p = Path(dirpath) / f
            if p.is_file():  # not a link to nothing
                out[str(p.relative_to(root))] = p.read_bytes()
    return out


# =============================================================== item 1: data loss
def test_report_refuses_a_folder_holding_other_files(rec: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "data.csv").write_text("t,y\n1,2\n")
    (out / "sub" / "notes.txt").write_text("mine")
    before = _tree(out)
    with pytest.raises(IPE) as info:
        save_report(rec, out)
    msg = str(info.value)
    assert msg.startswith(f"The 'directory' parameter of save_report must be a new or empty "
                          f"folder, or one holding only an oot report. Got {str(out)!r} "
                          "instead. It holds 'data.csv', 'sub', which oot did not write")
    assert "Choose another folder, or move them out of it" in msg
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_save_report_of_empty_text_never_touches_the_working_directory(
        rec: Any, tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with _chdir(tmp_path):
        with pytest.raises(IPE, match=r"must be a folder path \(not empty text\)\. Got '' "):
            save_report(rec, "")
        with pytest.raises(IPE, match="must be a folder other than the working directory"):
            save_report(rec, ".")
    assert _tree(tmp_path) == {"precious.txt": b"keep me"}


def test_report_refuses_the_working_directory_even_when_empty(
        rec: Any, tmp_path: Path) -> None:
    # replacing the folder as a whole would leave the process in a deleted folder
    with _chdir(tmp_path), pytest.raises(IPE, match="other than the working directory"):
        save_report(rec, ".")
    assert list(tmp_path.iterdir()) == []


def test_cli_out_dot_keeps_the_input_and_fails_before_the_analysis(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from oot.cli import main

    frame = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=200, freq="D"),
                          "x": np.arange(200.0), "y": np.arange(200.0) % 7})
    frame.to_csv(tmp_path / "data.csv", index=False)
    before = _tree(tmp_path)

    def analyze(data: str, out: str) -> int:
        return main(["analyze", data, "--time", "ts", "--target", "y", "--model", "linear",
                     "--metric", "mae", "--train-window", "60D", "--eval-window", "30D",
                     "--out", out, "--no-progress"])

    never = mock.patch("oot.recommend.recommend_retrain_interval",
                       side_effect=AssertionError("the analysis ran"))
    with never:
        with _chdir(tmp_path):
            assert analyze("data.csv", ".") == 2
            assert analyze("data.csv", "") == 2
        with _chdir(tmp_path.parent):
            assert analyze(f"{tmp_path.name}/data.csv", tmp_path.name) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3, err
    assert err[0].startswith("oot: error: The '--out' parameter of oot analyze must be a "
                             "folder other than the working directory. Got ")
    assert err[1].startswith("oot: error: The '--out' parameter of oot analyze must be a "
                             "folder path (not empty text). Got '' instead.")
    assert err[2].startswith("oot: error: The '--out' parameter of oot analyze must be a "
                             "new or empty folder, or one holding only an oot report.")
    assert "It holds 'data.csv', which oot did not write" in err[2]
    assert _tree(tmp_path) == before


def test_report_refuses_files_added_to_an_old_report(rec: Any, tmp_path: Path) -> None:
    out = save_report(rec, tmp_path / "report")
    (out / "old-notes.txt").write_text("my notes")
    before = _tree(out)
    with pytest.raises(IPE, match=re.escape("It holds 'old-notes.txt', which oot did not write")):
        save_report(rec, out)
    assert _tree(out) == before


def test_report_refuses_a_report_file_changed_since(rec: Any, tmp_path: Path) -> None:
    out = save_report(rec, tmp_path / "report")
    (out / "index.html").write_text("my edited page")
    with pytest.raises(IPE, match="It holds 'index.html', which oot did not write "
                                  r"\(or which changed since\)"):
        save_report(rec, out)
    assert (out / "index.html").read_text() == "my edited page"


def test_report_replaces_its_own_report_only(rec: Any, tmp_path: Path) -> None:
    out = save_report(rec, tmp_path / "report")
    save_report(rec, out)
    mark = json.loads((out / REPORT_MARK).read_text())
    assert sorted(mark["files"]) == sorted(REPORT_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    # a report written before folders were marked cannot be told from a user's files
    (out / REPORT_MARK).unlink()
    with pytest.raises(IPE, match="It looks like a report written before oot marked its "
                                  r"report folders \(with \.oot-report\.json\)"):
        save_report(rec, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)


def test_report_writes_through_a_symlinked_folder(rec: Any, tmp_path: Path) -> None:
    real = tmp_path / "store" / "real"
    real.mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert save_report(rec, link) == link
    save_report(rec, link)  # and over its own report, through the link again
    assert link.is_symlink()
    assert sorted(p.name for p in real.iterdir()) == sorted([*REPORT_FILES, REPORT_MARK])
    # nothing left beside the link or beside the real folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "store"]
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["real"]
    # a link to a folder holding other files is refused like the folder itself
    (real / "mine.txt").write_text("x")
    with pytest.raises(IPE, match=re.escape("It holds 'mine.txt'")):
        save_report(rec, link)
    assert (real / "mine.txt").read_text() == "x"


def test_report_refuses_a_link_to_nothing(rec: Any, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "missing", target_is_directory=True)
    with pytest.raises(IPE, match=r"It is a symbolic link to .*missing.*, which does not "
                                  r"exist\. Create that folder, or remove the link\."):
        save_report(rec, link)
    assert link.is_symlink()
    assert not (tmp_path / "missing").exists()


def test_report_folders_follow_the_umask(rec: Any, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = save_report(rec, tmp_path / "report")
        assert stat.S_IMODE(out.stat().st_mode) == 0o755
        assert stat.S_IMODE((out / "index.html").stat().st_mode) == 0o644
        out.chmod(0o750)  # a replaced folder keeps the permissions it had
        save_report(rec, out)
        assert stat.S_IMODE(out.stat().st_mode) == 0o750
    finally:
        os.umask(old)


# the property: random folders with random foreign files never lose one
_NAMES = st.sampled_from([*REPORT_FILES, REPORT_MARK, "data.csv", ".hidden", "notes.txt",
                          "report", ".report.old-00000000", ".report.tmp-00000000", "sub"])


@st.composite
def _scenarios(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "prior": draw(st.sampled_from(["none", "empty", "report", "legacy", "link-empty",
                                       "link-report", "link-missing", "file"])),
        "inside": draw(st.lists(st.tuples(_NAMES, st.binary(max_size=20)), max_size=4)),
        "beside": draw(st.lists(st.tuples(_NAMES, st.binary(max_size=20)), max_size=3)),
        "nested": draw(st.booleans()),
        "call": draw(st.sampled_from(["path", "relative", "dot", "empty"])),
    }


def _tiny_figures(rec: Any, **kw: Any) -> dict[str, bytes]:
    return {"degradation.png": b"\x89PNG d", "heatmap.png": b"\x89PNG h"}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_scenarios())
def test_random_output_folders_never_lose_a_foreign_file(
        rec: Any, tmp_path_factory: pytest.TempPathFactory, case: dict[str, Any]) -> None:
    world = tmp_path_factory.mktemp("world")
    target = world / "report"
    real = world / "elsewhere" / "real"
    with mock.patch.object(oot.report, "render_figures", _tiny_figures):
        prior = case["prior"]
        folder = real if prior.startswith("link") else target
        if prior.startswith("link"):
            (world / "elsewhere").mkdir()
            target.symlink_to(real, target_is_directory=True)
        if prior in ("empty", "link-empty"):
            folder.mkdir()
        elif prior in ("report", "link-report"):
            folder.mkdir()
            save_report(rec, target)
        elif prior == "legacy":
            save_report(rec, target)
            (target / REPORT_MARK).unlink()
        elif prior == "file":
            target.write_bytes(b"a file, not a folder")
        foreign: set[str] = set()  # paths of the files oot did not write
        if prior == "file":
            foreign.add("report")
        if folder.is_dir():
            for name, data in case["inside"]:
                place = folder / "sub" / name if case["nested"] else folder / name
                place.parent.mkdir(exist_ok=True)
                if not place.is_dir():
                    place.write_bytes(data)
                    foreign.add(str(place.relative_to(world)))
        for name, data in case["beside"]:
            if name != "report" and not (world / name).exists():
                (world / name).write_bytes(data)
                foreign.add(name)
        before = _tree(world)
        arg = {"path": str(target), "relative": "report", "dot": ".", "empty": ""}[
            case["call"]]
        cwd = target if case["call"] == "dot" and target.is_dir() else world
        with _chdir(cwd):
            try:
                save_report(rec, arg)
                ok = True
            except InvalidParameterError:
                ok = False
        after = _tree(world)
        for path in foreign:
            assert after.get(path) == before[path], (path, case)
        # nothing hidden left behind beside the report
        assert not [p for p in after if ".tmp-" in p and p not in before]
        assert not [p for p in after if ".old-" in p and p not in before]
        # and it is not just refusing everything: a clean folder gets its report
        clean = (prior in ("none", "empty", "report", "link-empty", "link-report")
                 and not case["inside"] and case["call"] in ("path", "relative"))
        if clean:
            assert ok, case
            assert (folder / "index.html").exists()


# ===================================================== item 2: plans that cannot fit
def _two_years(n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ts = pd.date_range("2022-01-01", "2024-01-01", periods=n)
    return pd.DataFrame({"ts": ts, "x": rng.normal(size=n), "y": rng.normal(size=n)})


@contextlib.contextmanager
def _bounded(seconds: float, megabytes: float) -> Iterator[None]:
    """The block runs within ``seconds`` and allocates at most ``megabytes`` at its peak
    (tracemalloc: numpy reports its buffers to it)."""
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    assert took < seconds, f"took {took:.1f} s"
    assert peak < megabytes, f"peak {peak:.0f} MB"


@pytest.mark.parametrize(("kw", "param", "parts"), [
    pytest.param(dict(eval_window="30ms"), "eval_window",
                 ("Got '30ms' instead. With eval_window='30ms' on data spanning 2022-01-01 "
                  "00:00:00 to 2024-01-01 00:00:00 (730.4 days), one anchor would hold up "
                  "to 2,016,000,001 windows", "Use a longer eval_window, or a horizon."),
                 id="30ms-windows-on-two-years"),
    pytest.param(dict(eval_window="1D", anchors=10**9, anchor_step="1s"), "anchors",
                 ("Got 1000000000 instead. With anchor_step='1s' on data spanning",
                  "60,480,002 anchors fit in the data, each with at least one window. Use "
                  "fewer anchors or a longer anchor_step."), id="a-billion-anchors"),
    pytest.param(dict(eval_window="1D", anchors=2000, anchor_step="5min"), "anchors",
                 ("Got 2000 instead.", "the 2,000 anchors would hold about 1,394,055 windows "
                  "(up to 697 each)"), id="many-anchors-many-windows"),
])
def test_a_plan_that_cannot_fit_fails_fast_with_the_count(
        kw: dict[str, Any], param: str, parts: tuple[str, ...]) -> None:
    from sklearn.linear_model import LinearRegression

    with _bounded(seconds=2.0, megabytes=20), pytest.raises(IPE) as info:
        oot.evaluate_out_of_time(_two_years(), LinearRegression(), target="y", time="ts",
                                 metric="mae", train_window="30D", **kw)
    msg = str(info.value)
    assert msg.startswith(f"The {param!r} parameter of evaluate_out_of_time must be small "
                          "enough for the window plan to fit in memory (at most 1,000,000 "
                          "anchor x window pairs). ")
    for part in parts:
        assert part in msg, msg


def test_a_billion_anchors_that_do_not_fit_cost_no_more_than_those_that_do() -> None:
    split = oot.OutOfTimeSplit(time="ts", train_window="30D", eval_window="30D",
                               anchors=10**9)
    with _bounded(seconds=2.0, megabytes=20), pytest.raises(
            IPE, match=r"asks for more anchors than the data hold: anchor 24 .* Use "
                       r"anchors=23 or fewer"):
        split.plan(_two_years())


@pytest.mark.parametrize("anchors", [10**5, 10**9], ids=["100k-anchors", "a-billion"])
def test_many_anchors_are_planned_at_once(anchors: int) -> None:
    # 237,434 anchors 232.7 s apart fit in two years: laid out one by one they took 9 s
    # (100 s traced) before a billion were refused; 10**5 of them make a plan
    split = oot.OutOfTimeSplit(time="ts", train_window="30D", eval_window="122D",
                               anchors=anchors, anchor_step=pd.Timedelta(232_659_175_308))
    data = _two_years()
    with _bounded(seconds=20.0, megabytes=200):
        if anchors > 10**5:
            with pytest.raises(IPE, match=r"anchor 237435 .* Use anchors=237434 or fewer"):
                split._plan(data)
        else:
            plan = split._plan(data)
    if anchors == 10**5:
        assert plan.n_anchors == 10**5
        assert plan.window[:8].tolist() == [1, 2, 3, 4, 5, 6, 1, 2]


@pytest.mark.parametrize("kw", [
    dict(eval_window="2D", anchor_step="1h", horizon="9D", gap="1D"),
    dict(eval_window="5D", anchor_step="1h", expanding=True),
    dict(eval_window="5D", anchor_step="1h", gap="MS", horizon="QS"),
    dict(eval_window="1D", anchors=[f"2022-{m:02d}-{d:02d}" for m in range(2, 13)
                                    for d in range(1, 29)]),
], ids=["fixed", "expanding", "calendar-gap-horizon", "listed"])
def test_many_anchors_at_once_give_the_plan_of_one_at_a_time(
        kw: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    kw = {"anchors": 5000, **kw}
    split = oot.OutOfTimeSplit(time="ts", train_window="30D", **kw)
    data = _two_years(5000)
    fast = split._plan(data)
    monkeypatch.setattr(oot.windows, "_MANY_ANCHORS", 10**9)
    slow = split._plan(data)
    assert fast.n_anchors == slow.n_anchors >= 300
    for name in ("cutoff", "train_start", "train_lo", "train_hi", "anchor_idx", "window",
                 "start", "end", "lo", "hi", "partial", "age"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


@settings(max_examples=40, deadline=None)
@given(eval_ns=st.integers(10**6, 400 * 86_400 * 10**9).filter(lambda v: v % 7 != 1),
       anchors=st.integers(0, 9).map(lambda e: 10**e),
       step_ns=st.one_of(st.none(), st.integers(10**9, 90 * 86_400 * 10**9)),
       horizon=st.one_of(st.none(), st.integers(1, 800).map(lambda d: f"{d}D")))
def test_random_plans_run_within_a_bound_or_fail_fast(
        eval_ns: int, anchors: int, step_ns: int | None, horizon: str | None) -> None:
    data = _two_years()
    split = oot.OutOfTimeSplit(
        time="ts", train_window="30D", eval_window=pd.Timedelta(eval_ns, unit="ns"),
        anchors=anchors, horizon=horizon,
        anchor_step=None if step_ns is None else pd.Timedelta(step_ns, unit="ns"))
    plan = None
    # memory is the bound that matters (and does not depend on the machine's load); the
    # time bound only catches a runaway plan: the fail-fast tests above time it closely
    with _bounded(seconds=60.0, megabytes=400), contextlib.suppress(InvalidParameterError):
        plan = split._plan(data)
    if plan is not None:
        assert plan.n_windows <= oot.windows.MAX_PLAN_WINDOWS
        # no window starts after the last timestamp: each can hold a row
        assert np.all(plan.start <= plan.axis.t_max)


# ============================================= item 7: integer nanoseconds, exactly
def test_ten_nanosecond_stamps_keep_every_training_row() -> None:
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(3000) * 10, unit="ns")
    plan = oot.OutOfTimeSplit(time="ts", train_window="10us", eval_window="5us").plan(
        pd.DataFrame({"ts": ts}))
    assert plan["n_train"].tolist() == [1000] * len(plan)
    assert plan["n"].tolist()[:3] == [500, 500, 500]
    assert plan["age"].iloc[0] == pd.Timedelta(2500, unit="ns")


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), base=st.integers(2**58, 2**62),  # 1979 to 2116
       unit=st.sampled_from([1, 3, 10, 256, 1000]),
       train=st.integers(1, 400), ev=st.integers(1, 300), gap=st.integers(0, 50))
def test_windows_on_nanosecond_stamps_hold_exactly_their_rows(
        seed: int, base: int, unit: int, train: int, ev: int, gap: int) -> None:
    """Brute force with Python integers: every training and evaluation window holds
    exactly the rows whose integer stamps fall in it (a float64 holds these dates only
    to within 32 to 512 ns)."""
    rng = np.random.default_rng(seed)
    ticks = rng.integers(0, 1000, 400)
    ns = base + ticks * unit
    ts = pd.Series(pd.to_datetime(ns, unit="ns"))
    split = oot.OutOfTimeSplit(time="ts", train_window=pd.Timedelta(train * unit, "ns"),
                               eval_window=pd.Timedelta(ev * unit, "ns"),
                               gap=pd.Timedelta(gap * unit, "ns"))
    frame = pd.DataFrame({"ts": ts})
    try:
        plan = split._plan(frame)
    except InvalidParameterError:
        return
    stamps = [int(v) for v in ns]
    t_min = min(stamps)
    cut = t_min + train * unit
    assert int(plan.cutoff[0]) == cut
    assert plan.train_hi[0] - plan.train_lo[0] == sum(cut - train * unit <= t < cut
                                                      for t in stamps)
    for i in range(plan.n_windows):
        lo, hi = int(plan.start[i]), int(plan.end[i])
        inside = sum(lo <= t < hi for t in stamps)
        if plan.partial[i] and hi >= plan.axis.data_end:
            inside = sum(lo <= t for t in stamps)
        assert plan.hi[i] - plan.lo[i] == inside


# ============================ item 10 (time side): the plan blames the right argument
def _daily(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=n, freq="D"),
                       "x": rng.normal(size=n)})
    df["y"] = df["x"] + rng.normal(size=n)
    return df


def _eot(data: pd.DataFrame, **kw: Any) -> Any:
    from sklearn.linear_model import LinearRegression

    args: dict[str, Any] = dict(target="y", time="ts", features=["x"], metric="mae",
                                train_window="30D", eval_window="30D", min_window_size=1)
    args.update(kw)
    return oot.evaluate_out_of_time(data, LinearRegression(), **args)


def test_no_window_after_the_last_timestamp_reaches_the_estimator() -> None:
    # 12-hour windows on daily data: the half day after the last stamp holds no row;
    # anchor 180's cutoff is there, and its model used to be asked to predict 0 rows
    with pytest.raises(IPE, match=re.escape(
            "asks for more anchors than the data hold: anchor 180 (cutoff 2024-04-29 "
            "12:00:00) has no evaluation window before the data end (2024-04-29 "
            "00:00:00). Use anchors=179 or fewer")):
        _eot(_daily(), eval_window="12h", anchors=180, horizon="1D")
    with pytest.warns(oot.WindowWarning, match="178 of 357 evaluation windows"):
        ev = _eot(_daily(), eval_window="12h", anchors=179, horizon="1D")
    # every window that starts on a stamp holds its row; none starts after the last
    s = ev.scores
    assert (s["n"] == (s["window_start"].dt.hour == 0)).all()
    assert s["window_start"].max() == pd.Timestamp("2024-04-29")
    assert s.groupby("anchor")["n"].sum().min() == 1


def test_horizon_shorter_than_the_window_blames_the_horizon() -> None:
    with pytest.raises(IPE, match=re.escape(
            "The 'horizon' parameter of evaluate_out_of_time must be long enough to hold at "
            "least half an evaluation window after the gap (eval_window='30D', "
            "gap='0D'). Got '10D' instead. A window is kept when at least half of it lies "
            "before the horizon; use a longer horizon or a shorter eval_window.")):
        _eot(_daily(), horizon="10D")


def test_a_listed_cutoff_after_the_last_timestamp_is_named() -> None:
    with pytest.raises(IPE, match=re.escape(
            "The 'anchors' parameter of evaluate_out_of_time must be cutoffs with at least "
            "one evaluation window before the last timestamp (2024-04-29 00:00:00). Got "
            "Timestamp('2024-04-29 14:00:00') instead. Its first window (gap='0D', "
            "eval_window='1D') would start at 2024-04-29 14:00:00")):
        _eot(_daily(), eval_window="1D", anchors=["2024-04-29 14:00"])


# ======================== item 5: date strings read with one format, or refused
def test_day_first_date_strings_are_read_day_first_throughout() -> None:
    days = pd.date_range("2020-01-01", periods=90, freq="D")
    frame = pd.DataFrame({"ts": days.strftime("%d/%m/%Y")})
    ax = oot.windows.TimeAxis.from_column(frame, "ts")
    # pandas' format="mixed" read "01/02/2020" as January 2 and "13/01/2020" as January 13
    assert (ax.to_stamps(ax.values) == days).all()


def test_dates_that_read_both_ways_are_refused_with_the_fix() -> None:
    frame = pd.DataFrame({"ts": ["01/02/2020", "03/04/2020", "05/06/2020"]})
    with pytest.raises(IPE, match=re.escape(
            "The time column 'ts' holds dates that read both day first and month first "
            "(formats '%m/%d/%Y' and '%d/%m/%Y'; e.g. '01/02/2020'), so oot will not guess. "
            "Convert it first, e.g. data['ts'] = pandas.to_datetime(data['ts'], "
            "format='%m/%d/%Y').")):
        oot.windows.TimeAxis.from_column(frame, "ts")


@settings(max_examples=80, deadline=None)
@given(days=st.lists(st.integers(0, 3000), min_size=1, max_size=40),
       fmt=st.sampled_from(["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y %H:%M", "%m-%d-%Y",
                            "%Y/%m/%d", "%d %b %Y", "%b %d, %Y", "%Y-%m-%d"]))
def test_date_strings_are_read_right_or_refused(days: list[int], fmt: str) -> None:
    truth = pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")
    frame = pd.DataFrame({"ts": truth.strftime(fmt)})
    try:
        ax = oot.windows.TimeAxis.from_column(frame, "ts")
    except InvalidParameterError as exc:
        msg = str(exc)
        assert "read both day first and month first" in msg
        return
    assert list(ax.to_stamps(ax.values)) == list(truth)


# =========================== items 8, 10 (time side): every error names its culprit
def test_a_column_name_the_frame_holds_twice_is_refused() -> None:
    frame = _daily()
    frame.insert(1, "dup", frame["x"])
    for col in ("ts", "y", "x"):
        bad = frame.rename(columns={"dup": col})
        param = {"ts": "time", "y": "target", "x": "features"}[col]
        with pytest.raises(IPE, match=re.escape(
                f"The {param!r} parameter of evaluate_out_of_time must be a column that "
                f"appears once in the DataFrame. Got {col!r} instead. The DataFrame has 2 "
                f"columns named {col!r}; rename or drop the extra ones.")):
            _eot(bad, features=None if col != "x" else ["x"])


def test_pyarrow_timestamps_naive_and_tz_aware() -> None:
    pa = pytest.importorskip("pyarrow")
    frame = _daily()
    for tz in (None, "UTC", "Europe/Paris"):
        ts = frame["ts"] if tz is None else frame["ts"].dt.tz_localize(tz)
        expected = _eot(frame.assign(ts=ts)).scores  # pandas' own datetime dtype
        arrow = frame.assign(ts=ts.astype(pd.ArrowDtype(pa.timestamp("ns", tz=tz))))
        got = _eot(arrow).scores
        assert got["n"].tolist() == expected["n"].tolist()
        assert got["age"].tolist() == expected["age"].tolist()
        assert str(got["cutoff"].dt.tz) == str(tz)


@pytest.mark.parametrize("kind", ["strings", "datetime64[s]"])
def test_dates_after_2262_are_refused_with_the_fix(kind: str) -> None:
    years = [f"{2250 + i // 12}-{i % 12 + 1:02d}-01" for i in range(240)]
    col: Any = years if kind == "strings" else np.array(years, dtype="datetime64[s]")
    frame = pd.DataFrame({"ts": col, "x": 1.0, "y": 1.0})
    with pytest.raises(IPE, match=re.escape(
            "The time column 'ts' holds dates outside the range oot computes with "
            "(nanoseconds since 1970: 1677-09-21 to 2262-04-11); the first is "
            "'2262-05-01 00:00:00'. Convert the time to numbers (e.g. years or days since "
            "a start date) and pass numeric window lengths.")):
        _eot(frame, train_window="300D", eval_window="300D")


def test_numpy_timedelta_lengths_are_lengths() -> None:
    frame = _daily()
    a = _eot(frame, train_window=np.timedelta64(30, "D"), eval_window=np.timedelta64(30, "D"))
    assert a.scores["n"].tolist() == _eot(frame).scores["n"].tolist()
    numeric = frame.assign(ts=np.arange(len(frame)))
    with pytest.raises(IPE, match=re.escape(
            "The 'train_window' parameter of evaluate_out_of_time must be a number > 0 for "
            "numeric time (in the time column's units). Got np.timedelta64(30,'D') instead. "
            "Window lengths such as '30D' apply only to a datetime time column.")):
        _eot(numeric, train_window=np.timedelta64(30, "D"), eval_window=30)
    with pytest.raises(IPE, match=re.escape(
            "The 'tolerance' parameter of recommend_retrain_interval must be a float in the "
            "range (0, 1) for tolerance_type='relative'. Got np.timedelta64(5,'D') instead")):
        recommend_retrain_interval(_ev(), tolerance=np.timedelta64(5, "D"))


def _ev(**cols: Any) -> oot.OOTEvaluation:
    frame = pd.DataFrame({"anchor": 1, "age": np.arange(1, 9.0),
                          "score": 1 + 0.3 * np.arange(8.0), "se": 0.1})
    return oot.OOTEvaluation.from_frame(frame.assign(**cols), metric="mae")


def test_a_nan_age_is_refused_by_from_frame() -> None:
    with pytest.raises(IPE, match=re.escape(
            "The 'age' column of the frame given to OOTEvaluation.from_frame must hold "
            "finite ages. Got 1 missing or infinite value(s) (row positions [1]). Drop those "
            "rows or fill in their ages.")):
        _ev(age=[1.0, np.nan, 3, 4, 5, 6, 7, 8])


def test_too_few_bootstrap_replicates_are_refused_with_the_reason() -> None:
    with pytest.raises(IPE, match=re.escape(
            "The 'n_bootstrap' parameter of recommend_retrain_interval must be at least 20 "
            "for confidence_level=0.9. Got 1 instead. The CI's ends are quantiles of the "
            "replicates, and with fewer than 20 a tail holds none of them. Use the default "
            "n_bootstrap=1000.")):
        recommend_retrain_interval(_ev(), n_bootstrap=1, random_state=0)
    with pytest.raises(IPE, match=re.escape(
            "must be at least 40 for confidence_level=0.95. Got 39")):
        recommend_retrain_interval(_ev(), n_bootstrap=39, confidence_level=0.95)
    rec = recommend_retrain_interval(_ev(), n_bootstrap=20, random_state=0)
    low, high = rec.interval_ci
    assert low is None or low <= rec.interval
    assert high is None or rec.interval <= high


_ODD_VALUES = st.sampled_from([
    None, True, 0, -1, 3, 2.5, -2.5, float("nan"), float("inf"), 10**30, 1e300,
    np.int64(5), np.float32(1.5), np.timedelta64(30, "D"), np.timedelta64("NaT"),
    np.datetime64("2024-01-01"), pd.Timedelta(0), pd.Timedelta("-3D"), pd.NaT,
    pd.DateOffset(months=0), pd.DateOffset(months=-1), pd.offsets.MonthBegin(3),
    "", "D", "30D", "0D", "-MS", "1e9D", "30 days", "banana", "MS", "W-MON", "12MS",
    "10000000000000D", [], ["2024-02-01"], ["zzz"], {"a": 1}, object(), b"30D"])


@settings(max_examples=150, deadline=None)
@given(param=st.sampled_from(["train_window", "eval_window", "gap", "horizon",
                              "anchor_step", "anchors"]),
       value=_ODD_VALUES, numeric=st.booleans())
def test_odd_window_arguments_run_or_name_their_culprit(
        param: str, value: Any, numeric: bool) -> None:
    frame = _daily()
    if numeric:
        frame = frame.assign(ts=np.arange(len(frame), dtype=float))
    kw: dict[str, Any] = dict(train_window=30 if numeric else "30D",
                              eval_window=30 if numeric else "30D")
    kw[param] = value
    try:
        oot.OutOfTimeSplit(time="ts", **kw).plan(frame)
    except InvalidParameterError as exc:
        msg = str(exc)
        assert "OutOfTimeSplit.split" in msg, msg
        assert (f"'{param}'" in msg or "window plan" in msg or param in msg), msg


# ================================== item 12: from_json refuses every bad document
def _documents() -> dict[str, tuple[Any, str]]:
    from oot.degradation import DegradationCurve

    rec = recommend_retrain_interval(_ev(), n_bootstrap=20, random_state=0)
    return {"RetrainRecommendation": (RetrainRecommendation, rec.to_json()),
            "OOTEvaluation": (oot.OOTEvaluation, rec.evaluation.to_json()),
            "DegradationCurve": (DegradationCurve, json.dumps(rec.curve.to_dict()))}


DOCS = _documents()


def _from(cls: Any, text: str) -> Any:
    if hasattr(cls, "from_json"):
        return cls.from_json(text)
    return cls.from_dict(json.loads(text))


def test_a_table_shorter_than_its_data_is_refused() -> None:
    d = json.loads(DOCS["OOTEvaluation"][1])
    d["scores"]["n_rows"] = 3  # the data hold 8 rows: it used to keep the first 3
    with pytest.raises(IPE, match=re.escape(
            "The 'text' parameter of OOTEvaluation.from_json must be a document written by "
            "OOTEvaluation.to_json; its field 'scores.columns[0].values' must be a list of "
            "n_rows=3 values; got '8 values'.")):
        oot.OOTEvaluation.from_json(json.dumps(d))


@pytest.mark.parametrize(("name", "edit", "part"), [
    pytest.param("OOTEvaluation", lambda d: d.update(time_kind="dates"),
                 "its field 'time_kind' must be one of ('datetime', 'numeric'); got 'dates'",
                 id="unknown-time-kind"),
    pytest.param("RetrainRecommendation", lambda d: d.update(status="great"),
                 "its field 'status' must be one of ('crossed', 'not_reached', "
                 "'no_degradation'); got 'great'", id="unknown-status"),
    pytest.param("RetrainRecommendation", lambda d: d["curve"].update(family="cubic"),
                 "its field 'curve.family' must be one of", id="unknown-family"),
    pytest.param("RetrainRecommendation", lambda d: d.update(n_bootstrap=10**400),
                 "its field 'n_bootstrap' must be a number within the 64-bit range",
                 id="huge-integer"),
    pytest.param("RetrainRecommendation", lambda d: d.update(confidence_level="0.9"),
                 "its field 'confidence_level' must be a number; got '0.9'",
                 id="number-as-text"),
    pytest.param("OOTEvaluation",
                 lambda d: d["scores"]["columns"][10]["values"].__setitem__(0, "great"),
                 "its field 'scores.status' must hold window statuses",
                 id="unknown-window-status"),
    pytest.param("RetrainRecommendation", lambda d: d.update(interval="soon"),
                 "its field 'interval' must be an age (a number) or null; got 'soon'",
                 id="text-for-an-age"),
    pytest.param("RetrainRecommendation",
                 lambda d: d.update(interval_ci={"__tuple__": ["x", None]}),
                 "its field 'interval_ci[0]' must be an age (a number) or null; got 'x'",
                 id="text-for-a-ci-end"),
    pytest.param("RetrainRecommendation", lambda d: d.update(max_age=None),
                 "its field 'max_age' must be an age; got null", id="no-oldest-age"),
    pytest.param("RetrainRecommendation", lambda d: d["curve"].update(youngest_mean=None),
                 "its field 'curve.youngest_mean' must be a number; got None",
                 id="null-curve-number"),
])
def test_self_contradicting_documents_are_refused(name: str, edit: Any, part: str) -> None:
    cls, text = DOCS[name]
    d = json.loads(text)
    edit(d)
    with pytest.raises(IPE) as info:
        cls.from_json(json.dumps(d))
    assert part in str(info.value)
    assert str(info.value).startswith(f"The 'text' parameter of {name}.from_json must be ")


def test_deep_nesting_and_nan_tokens_are_refused() -> None:
    deep = '{"schema": "oot.OOTEvaluation/1", "params": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(IPE, match="It is nested too deeply to be one"):
        oot.OOTEvaluation.from_json(deep)
    nan = DOCS["RetrainRecommendation"][1].replace('"tolerance": 0.05', '"tolerance": NaN')
    with pytest.raises(IPE, match="NaN is not standard JSON"):
        RetrainRecommendation.from_json(nan)


def _paths(v: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _paths(x, (*path, k))
    elif isinstance(v, list):
        for i, x in enumerate(v[:3]):
            yield from _paths(x, (*path, i))


_JUNK = st.sampled_from([None, True, False, 0, -1, 3, 10**30, -(10**400), 1.5, 1e308,
                         "", "x", "ok", "datetime", [], [1, 2], {}, {"a": 1},
                         {"__float__": "x"}, {"__timestamp__": 3}, {"__timedelta__": "1"},
                         {"__dict__": [[[1], 2]]}, {"__tuple__": 5}, [[[[[[]]]]]]])


@settings(max_examples=120, deadline=None)
@given(name=st.sampled_from(sorted(DOCS)), pick=st.integers(0, 10**6), junk=_JUNK,
       how=st.sampled_from(["replace", "delete", "truncate"]))
def test_random_mutations_round_trip_or_raise_one_error(
        name: str, pick: int, junk: Any, how: str) -> None:
    cls, text = DOCS[name]
    d = json.loads(text)
    paths = [p for p in _paths(d) if p]
    path = paths[pick % len(paths)]
    parent = d
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "delete" and isinstance(parent, dict):
        del parent[last]
    elif how == "truncate" and isinstance(parent[last], list):
        parent[last] = parent[last][:-1]
    else:
        parent[last] = junk
    try:
        obj = _from(cls, json.dumps(d))
    except InvalidParameterError:
        return
    # accepted: it must be a result that writes and reads itself again
    again = obj.to_json() if hasattr(obj, "to_json") else json.dumps(obj.to_dict())
    assert (_from(cls, again).to_json() if hasattr(obj, "to_json")
            else json.dumps(_from(cls, again).to_dict())) == again


def test_seeded_runs_agree_on_everything_but_the_measured_times() -> None:
    from sklearn.ensemble import RandomForestRegressor

    from tests._helpers import TIMING_COLUMNS, without_timings

    def run() -> str:
        from oot.evaluate import evaluate_out_of_time

        return evaluate_out_of_time(
            _daily(), RandomForestRegressor(n_estimators=5), target="y", time="ts",
            features=["x"], metric="mae", train_window="30D", eval_window="30D",
            anchors=2, random_state=0).to_json()

    a, b = run(), run()
    names = [c["name"] for c in json.loads(a)["anchors"]["columns"]]
    assert set(TIMING_COLUMNS) <= set(names)
    assert without_timings(a) == without_timings(b)


# ============================== item 11: user text reaches matplotlib as plain text
def _money_rec(name: str) -> RetrainRecommendation:
    metric = oot.Metric(name="cost", func=None, greater_is_better=False, display_name=name)
    frame = pd.DataFrame({"anchor": np.repeat([1, 2], 8), "age": np.tile(np.arange(1, 9.0), 2),
                          "score": np.tile(1 + 0.3 * np.arange(8.0), 2), "se": 0.1})
    ev = oot.OOTEvaluation.from_frame(frame, metric=metric)
    return recommend_retrain_interval(ev, n_bootstrap=20, random_state=0)


def test_dollar_signs_in_a_metric_name_are_drawn_as_written(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    name = "gain ($_$ per $^k)"
    rec = _money_rec(name)
    fig = Figure()
    disp = rec.plot(ax=fig.add_subplot())
    fig.savefig(io.BytesIO(), format="png")  # mathtext failed here: "$_$" is not TeX
    assert name in disp.ax_.get_ylabel()
    out = save_report(rec, tmp_path / "report")
    assert (out / "degradation.png").stat().st_size > 0


@settings(max_examples=25, deadline=None)
@given(name=st.text(alphabet="$\\^_{}ab %&#", min_size=1, max_size=12))
def test_any_metric_name_draws(name: str) -> None:
    from matplotlib.figure import Figure

    rec = _money_rec(name)
    for draw in (lambda ax: rec.plot(ax=ax),
                 lambda ax: oot.AgingHeatmapDisplay.from_evaluation(rec.evaluation, ax=ax)):
        fig = Figure()
        draw(fig.add_subplot())
        fig.savefig(io.BytesIO(), format="png")
