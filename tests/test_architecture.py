"""The house, checked: layers import only downwards, no import circles, no private names across
modules, and the workbook package's top level stays small (ARCHITECTURE.md says why).

The import graph is read from the source (every ``import`` and ``from … import``, at module level
or inside functions: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("kpi_engine", "kpi_workbook")
ADDIN = ROOT / "addin"
STDLIB = set(sys.stdlib_module_names)

# layer -> the first-party layers it may import (besides itself)
LAYERS = {
    "kpi_engine": set(),
    "kpi_workbook.ooxml": set(),
    "kpi_workbook.pipeline": {"kpi_engine", "kpi_workbook.ooxml"},
    "kpi_workbook.sheets": {"kpi_engine", "kpi_workbook.ooxml", "kpi_workbook.pipeline"},
    "kpi_workbook.commands": {"kpi_engine", "kpi_workbook.ooxml", "kpi_workbook.pipeline", "kpi_workbook.sheets",
                              "kpi_workbook.commands"},
    "addin": {"kpi_engine", "kpi_workbook.ooxml", "kpi_workbook.pipeline", "kpi_workbook.sheets"},
}
THIRD_PARTY = {  # what each layer may import from outside the standard library
    "kpi_engine": {"numpy", "pandas", "tomli", "tomllib"},  # tomllib: standard from 3.11, tomli before
    "kpi_workbook.ooxml": {"defusedxml"},
}


def modules() -> dict[str, Path]:
    out = {}
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    for path in ADDIN.glob("*.py"):
        out[f"addin.{path.stem}"] = path
    return out


def imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names imported from it) for every import statement in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", getattr(block.test, "attr", "")) == "TYPE_CHECKING"
                   for n in ast.walk(block)}  # imports for type checkers only are not dependencies
    out = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, [alias.name for alias in node.names]))
    return out


def first_party(target: str, known: dict[str, Path]) -> str | None:
    """The product module ``target`` names (add-in modules are imported by their bare names)."""
    if f"addin.{target}" in known:
        return f"addin.{target}"
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def layer(module: str) -> str:
    return next((lay for lay in sorted(LAYERS, key=len, reverse=True) if module == lay or module.startswith(lay + ".")),
                "kpi_workbook")


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, list[str]]]:
    known = modules()
    out: dict[str, dict[str, list[str]]] = {}
    for name, path in known.items():
        edges: dict[str, list[str]] = {}
        for target, names in imports(name, path):
            mod = first_party(target, known)
            if mod is not None and mod != name:
                # "from package import submodule" depends on the submodule
                for n in names:
                    if f"{mod}.{n}" in known:
                        edges.setdefault(f"{mod}.{n}", [])
                if not all(f"{mod}.{n}" in known for n in names) or not names:
                    edges.setdefault(mod, []).extend(names)
            elif mod is None:
                edges.setdefault(f"external:{target.split('.')[0]}", [])
        out[name] = edges
    return out


def test_no_import_circles(graph):
    internal = {m: [t for t in edges if not t.startswith("external:")] for m, edges in graph.items()}
    # a package's __init__ re-exporting its submodules is not a circle with them
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in internal.get(m, []):
            if t.startswith(m + ".") or m.startswith(t + "."):
                continue  # a package and its own modules
            if state.get(t) == 1:
                cycles.append(path[path.index(t):] + [t] if t in path else [m, t])
            elif state.get(t) is None:
                visit(t, path + [t])
        state[m] = 2

    for m in sorted(internal):
        if state.get(m) is None:
            visit(m, [m])
    assert cycles == [], cycles


def test_no_private_names_across_modules(graph):
    found = [(m, t, n) for m, edges in graph.items() for t, names in edges.items() if not t.startswith("external:")
             for n in names if n.startswith("_") and not n.startswith("__")]
    assert found == [], found


def test_layers_import_only_downwards(graph):
    wrong = []
    for m, edges in graph.items():
        own = layer(m)
        allowed = LAYERS.get(own)
        if allowed is None:
            continue
        for t in edges:
            if t.startswith("external:"):
                ext = t.split(":", 1)[1]
                if own in THIRD_PARTY and ext not in STDLIB and ext not in THIRD_PARTY[own]:
                    wrong.append((m, ext))
                continue
            target = layer(t)
            if target != own and target not in allowed:
                wrong.append((m, t))
    assert wrong == [], wrong


def test_the_workbook_package_top_level_is_small():
    top = [p.name for p in (ROOT / "kpi_workbook").glob("*.py")]
    packages = sorted(p.name for p in (ROOT / "kpi_workbook").iterdir() if (p / "__init__.py").is_file())
    assert len(top) <= 8, top
    assert {"ooxml", "pipeline", "sheets", "commands"} <= set(packages), packages
