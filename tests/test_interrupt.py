"""Ctrl-C during an evaluation stops at once and leaves no worker processes or threads."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.skipif(sys.platform == "win32",
                                reason="SIGINT to a child process is POSIX-only")

# Far more work than the test lets it do: 8 anchors of a 400-tree forest on 40k rows
# each take tens of seconds, so the signal always lands while the workers are busy.
SCRIPT = textwrap.dedent("""
    import signal

    # Ctrl-C as in a terminal: a runner that starts the suite in the background (an
    # asynchronous job of a non-interactive shell) hands its children SIGINT ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)

    from sklearn.ensemble import RandomForestClassifier

    import oot
    from oot.datasets import make_drifting_classification

    ds = make_drifting_classification(60000, random_state=0)
    est = RandomForestClassifier(n_estimators=400, n_jobs=1)
    print("start", flush=True)
    oot.evaluate_out_of_time(ds.frame, est, target=ds.target, time=ds.time,
                             train_window="300D", eval_window="30D", anchors=8,
                             anchor_step="30D", random_state=0, n_jobs=2)
    print("finished", flush=True)
""")


# A worker counts as busy (fitting, past its imports and the task hand-over) after this
# much CPU time; the signal then lands where a user's Ctrl-C usually does.
_BUSY_CPU_SECONDS = 2.0
# How long the script may take to exit after SIGINT (it takes 1-2 s).
_STOP_SECONDS = 30


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for_workers(proc: subprocess.Popen[str], n: int, timeout: float,
                      ) -> list[psutil.Process]:
    """The subprocess's descendants once at least ``n`` of them are busy python workers."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the script ended before its workers started"
        kids = [k for k in parent.children(recursive=True) if _alive(k)]
        busy = []
        for k in kids:
            try:
                if k.cpu_times().user > _BUSY_CPU_SECONDS:
                    busy.append(k)
            except psutil.NoSuchProcess:
                pass
        if len(busy) >= n:
            return kids
        time.sleep(0.1)
    pytest.fail(f"no {n} busy worker processes after {timeout} s")


def _interrupt(proc: subprocess.Popen[str], out_path: Path, err_path: Path) -> float:
    """Send SIGINT; check the script stopped with KeyboardInterrupt before finishing.
    Returns the seconds it took to stop."""
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the script did not stop within {_STOP_SECONDS} s of SIGINT; its "
                    f"stderr ends: {err_path.read_text()[-1500:]}")
    stopped = time.monotonic() - t0
    out, err = out_path.read_text(), err_path.read_text()
    assert proc.returncode != 0, out
    assert "KeyboardInterrupt" in err, err[-2000:]
    assert "finished" not in out
    return stopped


def test_sigint_stops_parallel_evaluation_without_stray_workers(tmp_path: Path) -> None:
    # output to files, not pipes: a surviving worker would hold a pipe open and make
    # communicate() wait for it, hiding which of the two checks failed
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("w") as out_f, err_path.open("w") as err_f:
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=out_f, stderr=err_f,
                                stdin=subprocess.DEVNULL)
    kids: list[psutil.Process] = []
    try:
        kids = _wait_for_workers(proc, 2, timeout=120)
        stopped = _interrupt(proc, out_path, err_path)
        # the workers (and the resource trackers) go with it, within a few seconds
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.1)
        left = [(k.pid, " ".join(k.cmdline())[:80]) for k in kids if _alive(k)]
        assert not left, (f"{len(left)} of {len(kids)} child processes outlived the "
                          f"script, which stopped {stopped:.1f} s after SIGINT: {left}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for k in kids:  # only on failure: the processes this test's script started
            if _alive(k):
                k.kill()


def test_sigint_stops_serial_evaluation(tmp_path: Path) -> None:
    """Serially, the engine's helper thread (feature copy, scoring) does not hold the
    process after Ctrl-C lands in a fit."""
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("w") as out_f, err_path.open("w") as err_f:
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT.replace("n_jobs=2", "n_jobs=1")],
                                stdout=out_f, stderr=err_f, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while "start" not in out_path.read_text():
            assert proc.poll() is None, err_path.read_text()[-1500:]
            assert time.monotonic() < deadline, "the script did not start within 120 s"
            time.sleep(0.1)
        time.sleep(1.5)  # inside the first anchor's fit (the forest takes far longer)
        _interrupt(proc, out_path, err_path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
