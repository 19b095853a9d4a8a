"""The package's import structure: no cycle, and the data flow reads one way.

The data flow is windows -> metrics -> evaluate -> degradation -> recommend -> backtest ->
compare -> plotting -> report -> cli. The graph below holds the imports that run when a module
is imported (module level, class bodies, ``if``/``try`` blocks; not function bodies,
not ``if TYPE_CHECKING:``), read from the source with :mod:`ast`, so a cycle shows up
even where Python would happen to import it without an error.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import oot

PACKAGE_DIR = Path(oot.__file__).resolve().parent

#: The areas of the data flow, upstream first; a module may import only from its own
#: area, from an upstream one, or from the foundations (``oot._*`` modules).
FLOW = ["windows", "metrics", "evaluate", "degradation", "recommend", "backtest",
        "compare", "plotting", "report", "cli"]

#: Imports inside functions that the flow allows, with the reason. Everything else
#: inside a function that imports an oot module is an import that should sit at the top
#: of its module.
LAZY_ALLOWED = {
    # presentation from a result, as scikit-learn's results import their Displays
    ("oot.recommend._result", "oot.plotting"): "RetrainRecommendation.plot",
    ("oot.recommend._result", "oot.report"): "RetrainRecommendation.save_report",
    ("oot.recommend._collection", "oot.plotting"): "RetrainRecommendations.plot",
    ("oot.recommend._collection", "oot.report"): "RetrainRecommendations.save_report",
    ("oot.backtest", "oot.plotting"): "CadenceBacktest.plot",
    ("oot.indicators._rank", "oot.plotting"): "IndicatorReport.plot",
    ("oot.compare", "oot.plotting"): "CandidateComparison.plot",
    ("oot.compare", "oot.report"): "CandidateComparison.save_report",
    # a result checked against its own history, as it plots itself
    ("oot.recommend._result", "oot.backtest"): "RetrainRecommendation.backtest",
    # a generator of known-truth data builds the result of a later step on request
    ("oot.datasets._scores", "oot.evaluate"): "DegradationScores.to_evaluation",
}


def _module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


MODULES = _module_names()


def _path(module: str) -> Path:
    base = PACKAGE_DIR.parent.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _is_package(module: str) -> bool:
    return _path(module).name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not _is_package(module):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The oot modules an import statement names (``from a import b`` names ``a.b``
    when ``b`` is a submodule)."""
    if isinstance(node, ast.Import):
        found = [a.name for a in node.names]
    else:
        src = _resolve(module, node)
        found = [src] + [f"{src}.{a.name}" for a in node.names]
    return [t for t in found if t in MODULES]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str) -> tuple[set[str], set[str]]:
    """(imports run at import time, imports inside functions) of ``module``."""
    tree = ast.parse(_path(module).read_text(encoding="utf-8"))
    eager: set[str] = set()
    lazy: set[str] = set()

    def visit(nodes: list[ast.stmt], in_function: bool) -> None:
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                (lazy if in_function else eager).update(_targets(module, node))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(node.body, True)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.orelse, in_function)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    child = getattr(node, field, None)
                    if isinstance(child, list):
                        visit([c for c in child if isinstance(c, ast.stmt)]
                              + [s for h in child if isinstance(h, ast.ExceptHandler)
                                 for s in h.body], in_function)

    visit(tree.body, False)
    return eager - {module}, lazy - {module}


def _graph() -> dict[str, set[str]]:
    """module -> the modules its import runs first. Importing ``a.b.c`` imports the
    packages ``a`` and ``a.b`` first, except those that contain the importer (they
    are being imported already)."""
    graph: dict[str, set[str]] = {}
    for m in MODULES:
        eager, _ = _imports(m)
        own = {".".join(m.split(".")[:i]) for i in range(1, len(m.split(".")))}
        deps = set(eager)
        for t in eager:
            parts = t.split(".")
            deps |= {".".join(parts[:i]) for i in range(1, len(parts))} - own
        graph[m] = deps - {m}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                return [*stack[stack.index(d):], d]
            if d not in state:
                found = dfs(d)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = dfs(n)
            if found:
                return found
    return None


def _area(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    return parts[1] if parts[1] in FLOW else None


def test_the_graph_sees_the_package() -> None:
    """The parser finds what is there: a guard against a test that checks nothing."""
    graph = _graph()
    assert {"oot.evaluate._engine", "oot.recommend._result", "oot.plotting._heatmap",
            "oot.datasets._scores"} <= set(MODULES)
    assert "oot.evaluate._result" in graph["oot.evaluate._engine"]
    assert "oot.degradation" in graph["oot.recommend._result"]
    # ``from oot import datasets`` names the subpackage
    assert "oot.datasets" in graph["oot"]
    # relative imports resolve
    assert "oot.datasets._common" in graph["oot.datasets._scores"]
    # TYPE_CHECKING imports are left out; function-level ones are lazy
    assert "matplotlib" not in graph["oot.plotting._degradation"]
    assert "oot.plotting" in _imports("oot.recommend._result")[1]


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_at_module_level() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_imports_follow_the_data_flow() -> None:
    """No module imports from an area downstream of its own, at module level or inside a
    function (presentation imported by a result is the one exception)."""
    wrong = []
    for m in MODULES:
        src = _area(m)
        if src is None:
            continue
        eager, lazy = _imports(m)
        for t in sorted(eager | lazy):
            dst = _area(t)
            if dst is not None and FLOW.index(dst) > FLOW.index(src) and (
                    (m, ".".join(t.split(".")[:2])) not in LAZY_ALLOWED or t in eager):
                wrong.append(f"{m} imports {t}")
    assert not wrong, wrong


def test_no_unneeded_lazy_import() -> None:
    """An import inside a function is there to break a cycle, to keep a heavy module
    out of ``import oot`` or for presentation; oot's own modules are imported at the
    top unless listed in LAZY_ALLOWED. The command line imports the library only when a
    command runs."""
    lazy_imports = []
    for m in MODULES:
        if m == "oot.cli" or m.startswith("oot.cli."):
            continue
        _, lazy = _imports(m)
        for t in sorted(lazy):
            key = (m, ".".join(t.split(".")[:2]))
            if key not in LAZY_ALLOWED and t != "oot":
                lazy_imports.append(f"{m} imports {t} inside a function")
    assert not lazy_imports, lazy_imports


def test_nothing_inside_oot_imports_the_results_alias() -> None:
    users = [m for m in MODULES if "oot.results" in set().union(*_imports(m))]
    assert users == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    """Each of oot's modules and subpackages imported before any other oot module: an
    import cycle that breaks at run time fails here with its traceback.

    ``oot/__init__`` would import the whole package in its own order first, so the
    children of a forked interpreter that has loaded only numpy and pandas each get an
    empty ``oot`` package instead. A subpackage's private modules are always imported
    through its ``__init__``, in its order, so the direct children of ``oot`` are all
    the orders there are. ``oot.__main__`` runs the command line, so it is left out.
    """
    first = [m for m in MODULES if m.count(".") == 1 and m != "oot.__main__"]
    assert len(first) >= 12
    script = f"""
import importlib, os, sys, traceback, types
import numpy, pandas
failed = []
for name in {first!r}:
    pid = os.fork()
    if pid == 0:
        parent = types.ModuleType("oot")
        parent.__path__ = [{str(PACKAGE_DIR)!r}]
        parent.__version__ = "0+test"
        sys.modules["oot"] = parent
        try:
            importlib.import_module(name)
        except BaseException:
            print("importing", name, "first:", file=sys.stderr)
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        failed.append(name)
print(failed)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_import_oot_stays_light() -> None:
    """``import oot`` loads none of the heavy libraries: they are imported where they
    are used (the estimator's clone, joblib, scipy's optimisers, matplotlib)."""
    heavy = ["sklearn", "scipy", "matplotlib", "joblib", "tqdm"]
    proc = subprocess.run(
        [sys.executable, "-c",
         f"import sys, oot; print([m for m in {heavy!r} if m in sys.modules])"],
        capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
