"""The engine's shape, read from its source: no import circles between its modules (imports at
module level, in functions and under TYPE_CHECKING all count), nothing private imported or used
across a module line, and no function so long that named steps would read better."""

from __future__ import annotations

import ast
from pathlib import Path

import kpi_engine

PACKAGE = Path(kpi_engine.__file__).parent
MODULES = {p.stem: ast.parse(p.read_text("utf-8"), str(p)) for p in sorted(PACKAGE.glob("*.py"))}
MAX_FUNCTION_LINES = 60


def _target(node: ast.ImportFrom | ast.Import, module: str) -> list[tuple[str, list[str]]]:
    """(engine module imported, names taken from it) for one import statement of ``module``."""
    if isinstance(node, ast.Import):
        return [(a.name.split(".")[1], []) for a in node.names if a.name.startswith("kpi_engine.")]
    if node.level == 0:
        if node.module == "kpi_engine":  # from kpi_engine import expr
            return [(a.name, []) for a in node.names if a.name in MODULES]
        if node.module and node.module.startswith("kpi_engine."):
            return [(node.module.split(".")[1], [a.name for a in node.names])]
        return []
    if node.level != 1:
        return []
    if node.module is None:  # from . import expr, problems
        return [(a.name, []) for a in node.names if a.name in MODULES]
    return [(node.module.split(".")[0], [a.name for a in node.names])]


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    out = []
    for node in ast.walk(MODULES[module]):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out += [(target, names, node.lineno) for target, names in _target(node, module) if target != module]
    return out


def _graph() -> dict[str, set[str]]:
    return {m: {target for target, _, _ in _imports(m) if target != "__init__"} for m in MODULES if m != "__init__"}


def test_the_graph_is_read_from_the_source():
    graph = _graph()
    assert {"model", "rules", "scheme", "scoring", "reasons", "i18n"} <= set(graph)
    assert "model" in graph["rules"] and "model" in graph["scheme"] and "rules" in graph["scheme"]
    assert "expr" in graph["rules"]  # `from . import expr` counts


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (as a path that ends where it starts), or None."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for nxt in sorted(graph.get(module, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_a_circle_would_be_found():
    assert _cycle({"rules": {"scheme"}, "scheme": {"model", "rules"}, "model": set()}) == ["rules", "scheme", "rules"]
    assert _cycle({"rules": {"model"}, "scheme": {"model", "rules"}, "model": set()}) is None


def test_no_import_circles():
    cycle = _cycle(_graph())
    assert cycle is None, "import circle: " + " → ".join(cycle or [])


def test_the_model_sits_at_the_bottom():
    """model imports no module that knows rules, schemes or scoring."""
    assert _graph()["model"] <= {"i18n"}


def test_nothing_private_crosses_a_module_line():
    found = []
    for module in MODULES:
        for target, names, line in _imports(module):
            found += [f"{module}.py:{line} imports {target}.{n}" for n in names if n.startswith("_")]
        aliases = {a.asname or a.name for node in ast.walk(MODULES[module]) if isinstance(node, ast.ImportFrom)
                   and node.level == 1 and node.module is None for a in node.names}
        for node in ast.walk(MODULES[module]):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_")):
                found.append(f"{module}.py:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not found, found


def test_functions_are_short():
    long = [f"{module}.py:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for module, tree in MODULES.items() for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, long
