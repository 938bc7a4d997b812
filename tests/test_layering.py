"""The package's import graph: the front-ends form no cycle (issue 15), and no module of the core
imports a front-end. Read statically from the source (every import, top-level or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "coderemask"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The coderemask modules ``path`` imports (``from . import x`` counts as module ``x`` when it is one)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    known = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py") if "embedded" not in p.parts}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_front_ends_form_no_import_cycle() -> None:
    graph = _graph()
    frontends = {
        m: deps & {d for d in graph if d.startswith("coderemask.frontends")}
        for m, deps in graph.items()
        if m.startswith("coderemask.frontends")
    }
    assert _cycles(frontends) == []
    assert not [m for m, deps in frontends.items() if "coderemask.frontends.cli" in deps]


def test_the_core_never_imports_a_front_end() -> None:
    graph = _graph()
    core = {
        m: deps
        for m, deps in graph.items()
        if not m.startswith("coderemask.frontends") and m not in ("coderemask.__main__",)
    }
    offenders = {m: sorted(d for d in deps if d.startswith("coderemask.frontends")) for m, deps in core.items()}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
