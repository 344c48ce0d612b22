"""The code's shape: no import cycles between the project's modules, and every app module imports on its own.

Imports are read from the source (AST), function-level ones included: a lazy import inside a function still
makes two modules depend on each other. A package's __init__ importing its own submodules is not a cycle
(Python's package machinery, not a dependency between concepts), so only explicit imports are edges.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "legal_rag", "ingest", "bench", "corpus")


def module_files(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for pkg in packages:
        for f in sorted((root / pkg).rglob("*.py")):
            parts = list(f.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = f
    return mods


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """module -> the project modules it imports (anywhere in the file)."""
    mods = module_files(root, packages)

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                deps.update(r for a in node.names if (r := resolve(a.name)))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    pkg = pkg[: len(pkg) - node.level + 1]
                    base = ".".join(pkg + ([base] if base else []))
                for a in node.names:
                    target = f"{base}.{a.name}" if f"{base}.{a.name}" in mods else resolve(base)
                    if target:
                        deps.add(target)
        deps.discard(mod)
        graph[mod] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, todo = work[-1]
            if todo:
                w = todo.pop()
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, sorted(graph.get(w, ()))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_cycle_finder_sees_a_lazy_import_cycle(tmp_path: Path) -> None:
    """The check itself: a function-level import back to the importer is reported (as app.service <-> app.web
    and app.generation.base <-> its backends were), a package __init__ importing its submodule is not."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from pkg.a import A\n")
    (pkg / "a.py").write_text("A = 1\n\ndef f():\n    from pkg.b import B\n    return B\n")
    (pkg / "b.py").write_text("from pkg.a import A\nB = A\n")
    (pkg / "c.py").write_text("from . import a\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg"] == {"pkg.a"} and graph["pkg.c"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


def test_no_import_cycles() -> None:
    graph = import_graph(REPO, PACKAGES)
    assert len(graph) > 60 and "app.api.routes.answer" in graph
    assert "app.web" in graph["app.api.routes.answer"]  # edges are found in the real tree
    assert cycles(graph) == []


def test_library_never_imports_the_app() -> None:
    """The dependency direction of docs/architecture.md: app/ uses legal_rag/, never the reverse; ingest/ and
    corpus/ are library-side too."""
    graph = import_graph(REPO, PACKAGES)
    wrong = {(m, d) for m, deps in graph.items() if m.split(".")[0] in ("legal_rag", "ingest", "corpus")
             for d in deps if d.split(".")[0] in ("app", "bench")}
    assert not wrong, sorted(wrong)


def test_service_layout() -> None:
    """Routes live in one router per area and the web form's rendering does not reach back into routes."""
    graph = import_graph(REPO, PACKAGES)
    for area in ("answer", "search", "laws", "ops"):
        assert f"app.api.routes.{area}" in graph
    assert not {m for m in graph["app.web"] if m.startswith("app.api") or m == "app.service"}
    assert not {m for m in graph["app.generation.base"] if m.startswith("app.generation.") and
                m.endswith("_backend")}


def test_every_app_module_imports_on_its_own() -> None:
    """Import each app module first in a clean interpreter state (project modules forgotten in between): a
    module that works only when another was imported before it fails here."""
    mods = sorted(m for m in module_files(REPO, ("app",)))
    code = (
        "import importlib, sys\n"
        f"mods = {mods!r}\n"
        "failed = []\n"
        "for m in mods:\n"
        "    for k in [k for k in sys.modules if k.split('.')[0] in ('app', 'legal_rag', 'ingest')]:\n"
        "        del sys.modules[k]\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{m}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
