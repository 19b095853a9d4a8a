"""The how-to pages' examples run: the Python blocks of the polars and MLflow pages, and
the scheduled-pipeline script on generated data (exit 0 fine, 1 retraining due)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import oot

ROOT = Path(__file__).resolve().parent.parent
HOWTO = ROOT / "docs" / "how-to"
EXAMPLES = ROOT / "docs" / "examples"


def python_blocks(page: Path) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S))


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_the_polars_and_arrow_page_runs(tmp_path):
    pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    proc = run_python(python_blocks(HOWTO / "polars-and-arrow.md"), tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Retrain every" in proc.stdout or "No degradation" in proc.stdout
    assert "['x0', 'x1', 'x2']" in proc.stdout


def test_the_mlflow_page_runs(tmp_path):
    pytest.importorskip("mlflow")
    pytest.importorskip("sqlalchemy")
    code = ("import warnings; warnings.simplefilter('ignore')\n"
            + python_blocks(HOWTO / "logging-to-mlflow.md"))
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    status, days = proc.stdout.strip().splitlines()[-1].split()
    assert status in ("crossed", "not_reached")
    assert float(days) > 0


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """The example's folder: the config, the script and a history file."""
    folder = tmp_path_factory.mktemp("job")
    shutil.copy(EXAMPLES / "cadence.toml", folder)
    shutil.copy(EXAMPLES / "retrain_check.sh", folder)
    ds = oot.datasets.make_drifting_classification(n_samples=6000, random_state=0)
    ds.frame.to_csv(folder / "history.csv", index=False)
    return folder


def run_job(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)  # where this environment's `oot` is
    full = dict(os.environ, MPLBACKEND="Agg", PATH=bin_dir + os.pathsep + os.environ["PATH"],
                **env)
    return subprocess.run(["bash", "retrain_check.sh"], cwd=folder, env=full,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_scheduled_job_decides(job):
    young = run_job(job, MODEL_TRAINED_AT="2021-01-01", NOW="2021-01-15")
    assert young.returncode == 0, young.stdout + young.stderr
    assert "model fine:" in young.stdout
    assert "analysis: Retrain every" in young.stdout
    record = json.loads((job / "analysis.json").read_text())
    assert record["schema"] == "oot.flat/1"
    rec = oot.RetrainRecommendation.from_json(
        (job / "cadence-report" / "recommendation.json").read_text())
    assert record["sentence"] == str(rec)
    assert not (job / "retrain-requests.log").exists()

    assert rec.safe_interval is not None
    now = pd.Timestamp("2021-01-01") + rec.safe_interval + pd.Timedelta(days=1)
    old = run_job(job, MODEL_TRAINED_AT="2021-01-01", NOW=now.isoformat())
    assert old.returncode == 1, old.stdout + old.stderr
    assert "analysis: kept (cadence-report is less than 30 days old)" in old.stdout
    assert "retraining due:" in old.stdout
    due = json.loads((job / "due.json").read_text())
    assert due["decision"] == "retrain"
    assert (job / "retrain-requests.log").read_text().count("retrain requested") == 1

    stale = time.time() - 31 * 86400  # a month-old report is refreshed
    os.utime(job / "cadence-report" / "recommendation.json", (stale, stale))
    bad = run_job(job, MODEL_TRAINED_AT="not a date")
    assert bad.returncode == 2
    assert "analysis: Retrain every" in bad.stdout
    assert json.loads((job / "due.json").read_text())["kind"] == "error"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_job_needs_the_training_cutoff(job):
    proc = run_job(job)
    assert proc.returncode != 0
    assert "set MODEL_TRAINED_AT" in proc.stderr
