"""The arithmetic that rules and compiled formulas are written in: for whole columns, or one row.

A rule's ``apply`` and every compiled formula (:mod:`kpi_engine.expr`) compute through
``env.xp``: :data:`ARRAY` (numpy, every employee of a table at once) or :data:`SCALAR` (plain
Python floats, one employee: what the cell functions need, with no array set-up per call).
Plain ``+ - * /`` of two numbers and the comparisons are written as operators (IEEE arithmetic
is the same on a float and on a float64 array), the rest goes through these operations. SCALAR
follows numpy's semantics to the bit: NaN goes through minimum/maximum/floor, a division by zero
is NaN (and recorded), ``floor`` of ±inf is ±inf, a sum runs left to right. The property test
``tests/engine/test_one_row.py`` checks one row through SCALAR against the same row in a table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

NAN = float("nan")


class ArrayOps:
    """numpy over columns (shape ``(n,)``)."""

    scalar = False
    where = staticmethod(np.where)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    floor = staticmethod(np.floor)
    ceil = staticmethod(np.ceil)
    isnan = staticmethod(np.isnan)
    absolute = staticmethod(np.abs)

    @staticmethod
    def full(n: int, value: float) -> np.ndarray:
        return np.full(n, value)

    @staticmethod
    def zeros(n: int) -> np.ndarray:
        return np.zeros(n)

    @staticmethod
    def falses(n: int) -> np.ndarray:
        return np.zeros(n, dtype=bool)

    @staticmethod
    def not_(mask: Any) -> Any:
        return ~mask

    @staticmethod
    def asbool(x: Any) -> np.ndarray:
        return np.asarray(x, dtype=bool)

    @staticmethod
    def floats(x: Any, n: int) -> np.ndarray:
        """A float column of length ``n`` (a constant is repeated)."""
        if isinstance(x, np.ndarray) and x.shape == (n,):
            # a column as it is (no rule writes into its inputs): a copy only to change its type
            return x if x.dtype == np.float64 else x.astype(float)
        return np.broadcast_to(np.asarray(x, dtype=float), (n,)).astype(float)

    @staticmethod
    def div(left: Any, right: Any, zero_division: list, den: Any, n: int) -> Any:
        """left / right; NaN where right is 0, those rows recorded with what was divided by."""
        right_arr = np.asarray(right, dtype=float)
        zero = right_arr == 0
        if np.any(zero):
            zero_division.append((np.broadcast_to(zero, (n,)).copy(), den))
        return np.divide(left, np.where(zero, np.nan, right_arr))

    @staticmethod
    def safe_div(left: Any, right: Any) -> Any:
        """left / right, NaN where right is 0 (nothing recorded)."""
        right_arr = np.asarray(right, dtype=float)
        return np.divide(left, np.where(right_arr == 0, np.nan, right_arr))

    @staticmethod
    def lookup(keys: Any, codes: tuple[np.ndarray, list[Any]] | None, mapping: Mapping[str, float]) -> np.ndarray:
        """``mapping[key]`` per row; "*" for a key not in it (NaN without one); NaN for a blank key."""
        other = mapping.get("*", np.nan)
        if codes is not None:  # once per distinct value
            index, distinct = codes
            table = np.array([np.nan if _blank(k) else mapping.get(k, other) for k in distinct], dtype=float)
            return table[index]
        values = pd.Series(keys, dtype=object).map(mapping)
        blank = pd.isna(pd.Series(keys, dtype=object))
        return values.where(values.notna() | blank, other).to_numpy(dtype=float)

    @staticmethod
    def stack_call(name: str, args: Sequence[Any], n: int) -> np.ndarray:
        """mean / coalesce / min / max over the arguments, per row."""
        stack = np.vstack([np.broadcast_to(np.asarray(a, dtype=float), (n,)) for a in args])
        if name == "mean":
            count = np.sum(~np.isnan(stack), axis=0)
            total = np.nansum(stack, axis=0)
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)
        if name == "coalesce":
            out = stack[0].copy()
            for row in stack[1:]:
                out = np.where(np.isnan(out), row, out)
            return out
        if name == "min":
            return np.min(stack, axis=0)
        return np.max(stack, axis=0)


def _blank(key: Any) -> bool:
    return key is None or (isinstance(key, float) and key != key)


def _floor(x: float) -> float:
    return float(math.floor(x)) if x - x == 0.0 else x


def _ceil(x: float) -> float:
    return float(math.ceil(x)) if x - x == 0.0 else x


class ScalarOps:
    """The same operations on one row's Python floats and bools, with numpy's results."""

    scalar = True

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    @staticmethod
    def minimum(a: float, b: float) -> float:
        if a != a or b != b:
            return NAN
        return a if a <= b else b

    @staticmethod
    def maximum(a: float, b: float) -> float:
        if a != a or b != b:
            return NAN
        return a if a >= b else b

    floor = staticmethod(_floor)
    ceil = staticmethod(_ceil)

    @staticmethod
    def isnan(x: float) -> bool:
        return x != x

    absolute = staticmethod(abs)

    @staticmethod
    def full(n: int, value: float) -> float:
        return float(value)

    @staticmethod
    def zeros(n: int) -> float:
        return 0.0

    @staticmethod
    def falses(n: int) -> bool:
        return False

    @staticmethod
    def not_(mask: Any) -> bool:
        return not mask

    @staticmethod
    def asbool(x: Any) -> bool:
        return bool(x)

    @staticmethod
    def floats(x: Any, n: int) -> float:
        return float(x)

    @staticmethod
    def div(left: float, right: float, zero_division: list, den: Any, n: int) -> float:
        if right == 0:
            zero_division.append((True, den))
            return NAN
        return left / right

    @staticmethod
    def safe_div(left: float, right: float) -> float:
        return NAN if right == 0 or right != right else left / right

    @staticmethod
    def lookup(key: Any, codes: Any, mapping: Mapping[str, float]) -> float:
        if _blank(key):
            return NAN
        return float(mapping.get(key, mapping.get("*", NAN)))

    @staticmethod
    def stack_call(name: str, args: Sequence[Any], n: int) -> float:
        values = [float(a) for a in args]
        if name == "mean":
            total, count = 0.0, 0
            for i, v in enumerate(values):  # numpy's nansum: NaN as 0, left to right from the first
                v = 0.0 if v != v else v
                total = v if i == 0 else total + v
                count += values[i] == values[i]
            return total / max(count, 1) if count > 0 else NAN
        if name == "coalesce":
            for v in values:
                if v == v:
                    return v
            return values[-1]
        if any(v != v for v in values):
            return NAN
        return min(values) if name == "min" else max(values)


ARRAY = ArrayOps()
SCALAR = ScalarOps()
