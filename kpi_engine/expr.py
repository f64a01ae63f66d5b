"""Small, safe, vectorized formulas over input columns.

A scheme writes its metrics, targets, gates, flags and constraints as text such as
``(uv - uv_prev) / uv_prev`` or ``coalesce(turnover_target, lookup(category, 'x') * quarters)``.
This module parses them with :mod:`ast` (never ``eval``), checks that they use only known
names and functions, and evaluates them over whole columns at once.

Blank values are NaN and propagate; a division by zero yields NaN and is recorded so the
caller can name the zero denominator instead of reporting a vague "missing" value. A division
by something that is 0 whatever the data (``x / 0``, ``x / (1 - 1)``) is refused when the
formula is parsed: it would silently leave every row uncomputed. Formulas are bounded in
length, nesting and the size of their numbers, so that a crafted scheme fails with a reason.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .errors import KpiError
from .i18n import PerLang
from .kernels import ARRAY

FUNCTIONS = ("mean", "coalesce", "lookup", "min", "max")
PERIOD_NAMES = ("months", "quarters")
MAX_LENGTH = 1000  # characters of one formula
MAX_DEPTH = 40  # nesting of operators and calls
MAX_NUMBER = 1e15  # a constant beyond this is a typing slip (and could overflow the arithmetic)

_CMPOPS: dict[type, Callable] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}


class ExprError(KpiError, ValueError):
    """A formula that cannot be parsed or uses unknown names (a scheme error). Its messages are
    the catalogs' ``formula.<code>``; ``str`` is the English one, as callers have always read it
    (the scheme's issue that reports it carries both languages)."""

    code = "formula"
    section = "formula"

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, syntax tree and the input columns it reads."""

    text: str
    tree: ast.expr
    columns: tuple[str, ...]
    lookups: tuple[str, ...]

    def evaluate(self, env: Env) -> np.ndarray:
        """Evaluate over all rows; returns a float (or bool) array."""
        out = compiled(self.text).run(env)
        return np.broadcast_to(np.asarray(out), (env.n,)).copy()


@dataclass(frozen=True)
class Denominator:
    """What a division divided by, for the message when it was 0: a column, or an expression."""

    text: str  # the formula text of the denominator
    columns: tuple[str, ...]  # the input columns it reads

    @property
    def column(self) -> str | None:
        """The column when the denominator is that column alone (``uv``), else None."""
        return self.columns[0] if len(self.columns) == 1 and self.text == self.columns[0] else None


@dataclass
class Env:
    """What a formula can see: numeric columns, text columns, lookups, period."""

    n: int
    numbers: Mapping[str, np.ndarray]
    texts: Mapping[str, np.ndarray] = field(default_factory=dict)
    lookups: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    months: float = 3.0
    # rows where a division by zero happened, and what was divided by
    zero_division: list[tuple[np.ndarray, Denominator]] = field(default_factory=list)
    # how to compute: kernels.ARRAY (columns) or kernels.SCALAR (one row of floats)
    xp: Any = ARRAY
    # text columns as (codes, distinct values), when known: a lookup is then made once per value
    codes: Mapping[str, tuple[np.ndarray, list[Any]]] = field(default_factory=dict)

    def column(self, text: str) -> Any:
        """The formula ``text`` as a fresh float column (a float, for one row)."""
        return self.xp.floats(compiled(text).run(self), self.n)


@lru_cache(maxsize=4096)
def parse(text: str) -> Formula:
    """Parse and check a formula; raises ExprError with a readable reason."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError.of("empty")
    if len(text) > MAX_LENGTH:
        raise ExprError.of("too_long", length=f"{len(text):,}", limit=f"{MAX_LENGTH:,}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError.of("syntax", formula=_quoted(text), detail=exc.msg) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError.of("too_deep", formula=_quoted(text)) from None
    columns: list[str] = []
    lookups: list[str] = []
    _check(tree, columns, lookups, text, 0)
    return Formula(text.strip(), tree, tuple(dict.fromkeys(columns)), tuple(dict.fromkeys(lookups)))


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str) -> str:
    """A formula (or part of one) as its messages quote it: cut to 80 characters, in repr quotes."""
    return repr(_short(text))


def constant(node: ast.AST) -> float | None:
    """The value of a sub-formula that reads no column (``1 - 1``, ``min(2, 3)``), else None."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = constant(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        left, right = constant(node.left), constant(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div):
            return left / right if right else None
        return left + right if isinstance(node.op, ast.Add) else left - right if isinstance(node.op, ast.Sub) \
            else left * right
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("min", "max", "mean", "coalesce") and node.args:
        values = [constant(a) for a in node.args]
        if any(v is None for v in values):
            return None
        name = node.func.id  # type: ignore[attr-defined]
        if name in ("min", "max"):
            return min(values) if name == "min" else max(values)
        return sum(values) / len(values) if name == "mean" else values[0]
    return None


def _check(node: ast.AST, columns: list[str], lookups: list[str], text: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExprError.of("too_many_levels", limit=MAX_DEPTH, formula=_quoted(text))
    depth += 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExprError.of("constant", formula=_quoted(text))
        try:
            size = abs(float(node.value))
        except OverflowError:
            size = float("inf")
        if not size <= MAX_NUMBER:
            raise ExprError.of("number_too_large", limit=f"{MAX_NUMBER:g}", formula=_quoted(text))
    elif isinstance(node, ast.Name):
        if node.id not in PERIOD_NAMES:
            columns.append(node.id)
    elif isinstance(node, ast.BinOp):
        if not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.BitAnd, ast.BitOr)):
            raise ExprError.of("operator", formula=_quoted(text))
        _check(node.left, columns, lookups, text, depth)
        _check(node.right, columns, lookups, text, depth)
        if isinstance(node.op, ast.Div) and constant(node.right) == 0:
            raise ExprError.of("always_zero", divisor=ast.unparse(node.right), formula=_quoted(text))
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
            raise ExprError.of("operator", formula=_quoted(text))
        _check(node.operand, columns, lookups, text, depth)
    elif isinstance(node, ast.Compare):
        if not all(type(op) in _CMPOPS for op in node.ops):
            raise ExprError.of("comparison", formula=_quoted(text))
        for sub in [node.left, *node.comparators]:
            _check(sub, columns, lookups, text, depth)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
            raise ExprError.of("unknown_function", formula=_quoted(text),
                               functions=PerLang("、".join(FUNCTIONS), ", ".join(FUNCTIONS)))
        if node.func.id == "lookup":
            if (
                len(node.args) != 2
                or not isinstance(node.args[0], ast.Name)
                or not isinstance(node.args[1], ast.Constant)
                or not isinstance(node.args[1].value, str)
            ):
                raise ExprError.of("lookup_arguments", formula=_quoted(text))
            columns.append(node.args[0].id)
            lookups.append(node.args[1].value)
            return
        if not node.args:
            raise ExprError.of("no_arguments", function=node.func.id, formula=_quoted(text))
        for arg in node.args:
            _check(arg, columns, lookups, text, depth)
    else:
        raise ExprError.of("not_allowed", part=_quoted(ast.unparse(node)), formula=_quoted(text))


def _denominator(node: ast.AST) -> Denominator:
    names = tuple(dict.fromkeys(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id not in PERIOD_NAMES))
    return Denominator(ast.unparse(node), names)


# -- compilation: a checked formula becomes one Python function --------------------------------
# The function is generated from the syntax tree that parse() checked (only the node types above,
# column names used as dictionary keys through repr), so no text of the scheme is ever executed.
# It computes through ``env.xp`` (kpi_engine.kernels): numpy columns for a table, floats for one row.

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
_CMP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


@dataclass(frozen=True)
class Compiled:
    """A formula as a function of an :class:`Env` (``run``), and the denominators it may record."""

    text: str
    run: Callable[[Env], object]
    source: str


class _Generator:
    def __init__(self) -> None:
        self.denominators: list[Denominator] = []

    def code(self, node: ast.AST) -> str:
        if isinstance(node, ast.Constant):
            return repr(float(node.value))
        if isinstance(node, ast.Name):
            if node.id == "months":
                return "M"
            if node.id == "quarters":
                return "(M / 3.0)"
            return f"N[{node.id!r}]"
        if isinstance(node, ast.UnaryOp):
            operand = self.code(node.operand)
            if isinstance(node.op, ast.USub):
                return f"(-{operand})"
            if isinstance(node.op, ast.Invert):
                return f"xp.not_(xp.asbool({operand}))"
            return operand
        if isinstance(node, ast.BinOp):
            left, right = self.code(node.left), self.code(node.right)
            if isinstance(node.op, ast.Div):
                self.denominators.append(_denominator(node.right))
                return f"xp.div({left}, {right}, Z, D[{len(self.denominators) - 1}], n)"
            if isinstance(node.op, ast.BitAnd):
                return f"(xp.asbool({left}) & xp.asbool({right}))"
            if isinstance(node.op, ast.BitOr):
                return f"(xp.asbool({left}) | xp.asbool({right}))"
            return f"({left} {_OPS[type(node.op)]} {right})"
        if isinstance(node, ast.Compare):
            # every operand evaluated once, left to right; the parts joined with &
            operands = [self.code(node.left)] + [self.code(c) for c in node.comparators]
            if len(node.ops) == 1:
                return f"({operands[0]} {_CMP_TEXT[type(node.ops[0])]} {operands[1]})"
            ops = ", ".join(repr(_CMP_TEXT[type(op)]) for op in node.ops)
            return f"_chain(({', '.join(operands)},), ({ops},))"
        if isinstance(node, ast.Call):
            name = node.func.id  # type: ignore[attr-defined]
            if name == "lookup":
                column = node.args[0].id  # type: ignore[attr-defined]
                table = node.args[1].value  # type: ignore[attr-defined]
                return f"_lookup(env, {column!r}, {table!r})"
            args = ", ".join(self.code(a) for a in node.args)
            return f"xp.stack_call({name!r}, ({args},), n)"
        raise ExprError.of("cannot_evaluate", part=repr(ast.unparse(node)))  # pragma: no cover - parse() prevents it


_COMPARE: dict[str, Callable] = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
                                 ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def _chain(operands: tuple, ops: tuple[str, ...]):
    result = None
    for op, left, right in zip(ops, operands, operands[1:]):
        part = _COMPARE[op](left, right)
        result = part if result is None else (result & part)
    return result


def _lookup(env: Env, column: str, table_name: str):
    table = env.lookups.get(table_name)
    if table is None:
        raise ExprError.of("unknown_table", table=repr(table_name))
    if column not in env.texts:
        raise ExprError.of("lookup_column", column=repr(column))
    keys = env.texts[column]
    mapping = _mapping(table)
    return env.xp.lookup(keys, env.codes.get(column), mapping)


_MAPPINGS: dict[int, tuple[Mapping, dict[str, float]]] = {}


def _mapping(table: Mapping) -> dict[str, float]:
    """The lookup table with text keys and float values (built once per table object)."""
    got = _MAPPINGS.get(id(table))
    if got is None or got[0] is not table:
        got = (table, {str(k): float(v) for k, v in table.items()})
        if len(_MAPPINGS) > 256:
            _MAPPINGS.clear()
        _MAPPINGS[id(table)] = got
    return got[1]


@lru_cache(maxsize=4096)
def compiled(text: str) -> Compiled:
    """The formula ``text`` (checked by :func:`parse`) as one generated function of an Env."""
    formula = parse(text)
    gen = _Generator()
    body = gen.code(formula.tree)
    source = ("def run(env):\n"
              "    xp, N, n, Z, M = env.xp, env.numbers, env.n, env.zero_division, float(env.months)\n"
              f"    return {body}\n")
    namespace = {"D": tuple(gen.denominators), "_chain": _chain, "_lookup": _lookup}
    exec(compile(source, f"<formula {_short(formula.text, 60)!r}>", "exec"), namespace)  # noqa: S102 - generated, see above
    return Compiled(formula.text, namespace["run"], source)
