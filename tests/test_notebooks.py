"""Execute the example notebooks end to end (they are stored without outputs).

Each notebook runs in a fresh kernel with a temporary working directory, so nothing it
writes lands in the repository. The kernel is the ``python3`` kernelspec; jupyter_client
starts it with the interpreter running the tests (``sys.executable``) when the spec's
command is plain ``python``, and the first test checks that this is so, so that CI on a
machine with only the project's virtual environment runs the notebooks against the
installed ``oot``.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
KERNEL = "python3"
TIMEOUT = 300
#: a kernel's start took over nbclient's default 60 s on a loaded 2-core machine
STARTUP_TIMEOUT = 180


def _execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    client = nbclient.NotebookClient(
        nb, timeout=TIMEOUT, startup_timeout=STARTUP_TIMEOUT, kernel_name=KERNEL,
        resources={"metadata": {"path": str(cwd)}},
    )
    # jupyter_core/jupyter_client may emit deprecation warnings about their own paths
    # and event loops; they say nothing about the notebooks.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return client.execute()


def test_notebooks_exist() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert names == ["01_quickstart.ipynb", "02_cost_and_calendar.ipynb", "03_backtest.ipynb",
                     "04_compare.ipynb", "05_leading_indicators.ipynb"]


def test_kernel_is_this_interpreter(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, oot; print(sys.prefix); print(oot.__file__)")])
    out = _execute(nb, tmp_path).cells[0].outputs[0]["text"].splitlines()
    assert Path(out[0]).resolve() == Path(sys.prefix).resolve()
    import oot

    assert Path(out[1]).resolve() == Path(oot.__file__).resolve()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        f"{path.name} is stored with outputs; clear them before committing")
    start = time.perf_counter()
    _execute(nb, tmp_path)
    elapsed = time.perf_counter() - start
    assert elapsed < TIMEOUT
