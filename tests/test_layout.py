"""The package layout: the pipeline's stages import only the stages before them, and no
module imports itself back through another (function-level imports count too)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import matcalc as mc

ROOT = Path(mc.__file__).resolve().parent

# Stage → the stages it may import (besides itself). The order is the pipeline's:
# expr ← calculus ← printing / codegen; text ← expr; check ← all those; the CLI and the
# package's own __init__ (which loads the public API) may import anything.
ALLOWED: dict[str, set[str]] = {
    "expr": set(),
    "calculus": {"expr"},
    "printing": {"expr", "calculus"},
    "codegen": {"expr"},
    "text": {"expr"},
    "check": {"expr", "calculus", "printing", "text"},
    "testing": {"expr", "calculus", "printing", "codegen", "text", "check"},
    "cli": {"__init__", "expr", "calculus", "printing", "codegen", "text", "check"},
    "__main__": {"cli"},
    # mc.minimize derives (calculus) and compiles (codegen): above both, below nothing
    "optimize": {"expr", "calculus", "codegen"},
    "__init__": {"expr", "calculus", "printing", "codegen", "text", "check", "optimize"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every matcalc module ``path`` imports, anywhere in it (functions included), resolved
    to a module name (``from .x import y`` gives ``x.y`` where that is a module, else ``x``)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "matcalc"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "matcalc":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    found.discard(name)
    return {m for m in found if m in MODULES}


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def stage(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a list of modules, or None (iterative DFS)."""
    state: dict[str, int] = {}
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(graph.get(nxt, ()))))
    return None


def test_the_graph_sees_every_stage() -> None:
    assert {stage(m) for m in MODULES} <= set(ALLOWED)
    assert GRAPH["matcalc.codegen.compiler"] >= {"matcalc.codegen.lower", "matcalc.expr.nodes"}


def test_no_import_cycles() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, " → ".join(cycle)


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_pipeline(module: str) -> None:
    mine = stage(module)
    wrong = sorted(m for m in GRAPH[module] if stage(m) != mine and stage(m) not in ALLOWED[mine])
    assert not wrong, f"{module} ({mine}) may not import {wrong}"


def test_modules_stay_small() -> None:
    big = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 650}
    assert not big, big


def test_dir_lists_the_public_api_only() -> None:
    names = set(dir(mc))
    assert {"grad", "compile", "latex", "parse", "verify", "Expr"} <= names
    leaked = names & {"annotations", "build", "nodes", "expr", "calculus", "printing",
                      "codegen", "check", "text", "cli", "importlib", "sys", "types"}
    assert not leaked


def test_import_matcalc_loads_no_sympy() -> None:
    code = "import sys, matcalc; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_a_module_of_expr_alone_still_prints() -> None:
    code = ("from matcalc.expr.build import matrix; from matcalc.expr.dims import dims\n"
            "m, n = dims('m n'); X = matrix('X', m, n)\n"
            "try:\n    X @ X\nexcept ValueError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "X (m×n)" in out
