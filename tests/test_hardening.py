"""Hardening (issue 12): the defects a hostile user found, each by the class it belongs to.

Every test here failed before its fix. Each class also has a property test that draws
many cases of it: a report never loses a file it did not write; a window plan either
fits in memory or is refused before it is built; a malformed result document is always
refused with :class:`oot.InvalidParameterError`; ...
"""

from __future__ import annotations

import contextlib
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
