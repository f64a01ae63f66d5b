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

import numpy as np
import pandas as pd

from .errors import KpiError
from .i18n import PerLang

FUNCTIONS = ("mean", "coalesce", "lookup", "min", "max")
PERIOD_NAMES = ("months", "quarters")
MAX_LENGTH = 1000  # characters of one formula
MAX_DEPTH = 40  # nesting of operators and calls
MAX_NUMBER = 1e15  # a constant beyond this is a typing slip (and could overflow the arithmetic)

_BINOPS: dict[type, Callable] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
}
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
        out = _eval(self.tree, env)
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


def _eval(node: ast.AST, env: Env):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id == "months":
            return float(env.months)
        if node.id == "quarters":
            return float(env.months) / 3.0
        return env.numbers[node.id]
    if isinstance(node, ast.UnaryOp):
        val = _eval(node.operand, env)
        if isinstance(node.op, ast.USub):
            return -val
        if isinstance(node.op, ast.Invert):
            return ~np.asarray(val, dtype=bool)
        return val
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, ast.Div):
            right_arr = np.asarray(right, dtype=float)
            zero = right_arr == 0
            if np.any(zero):
                env.zero_division.append((np.broadcast_to(zero, (env.n,)).copy(), _denominator(node.right)))
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out = np.divide(left, np.where(zero, np.nan, right_arr))
            return out
        if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            lb, rb = np.asarray(left, dtype=bool), np.asarray(right, dtype=bool)
            return lb & rb if isinstance(node.op, ast.BitAnd) else lb | rb
        with np.errstate(over="ignore", invalid="ignore"):
            return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        result = None
        left = _eval(node.left, env)
        for op, comp in zip(node.ops, node.comparators):
            right = _eval(comp, env)
            with np.errstate(invalid="ignore"):
                part = _CMPOPS[type(op)](left, right)
            result = part if result is None else (result & part)
            left = right
        return result
    if isinstance(node, ast.Call):
        return _call(node, env)
    raise ExprError.of("cannot_evaluate", part=repr(ast.unparse(node)))  # pragma: no cover - parse() prevents it


def _call(node: ast.Call, env: Env):
    name = node.func.id  # type: ignore[attr-defined]
    if name == "lookup":
        column = node.args[0].id  # type: ignore[attr-defined]
        table = env.lookups.get(node.args[1].value)  # type: ignore[attr-defined]
        if table is None:
            raise ExprError.of("unknown_table", table=repr(node.args[1].value))  # type: ignore[attr-defined]
        keys = env.texts.get(column)
        if keys is None:
            raise ExprError.of("lookup_column", column=repr(column))
        mapping = {str(k): float(v) for k, v in table.items()}
        other = mapping.get("*", np.nan)
        values = pd.Series(keys, dtype=object).map(mapping)
        blank = pd.isna(pd.Series(keys, dtype=object))
        values = values.where(values.notna() | blank, other)
        return values.to_numpy(dtype=float)
    args = [np.broadcast_to(np.asarray(_eval(a, env), dtype=float), (env.n,)) for a in node.args]
    stack = np.vstack(args)
    if name == "mean":
        count = np.sum(~np.isnan(stack), axis=0)
        total = np.nansum(stack, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)
    if name == "coalesce":
        out = stack[0].copy()
        for row in stack[1:]:
            out = np.where(np.isnan(out), row, out)
        return out
    if name == "min":
        return np.min(stack, axis=0)
    return np.max(stack, axis=0)
