"""One employee scored without a frame: what a cell function (=KPI_TOTAL, one row) needs, in tens
of microseconds instead of the milliseconds of a one-row table.

:func:`score_one` reads the row's cells as :func:`kpi_engine.score` reads a column (the same
number parser, the same checks of each input, the same relations between fields, in the same
order), scores every indicator with the same rules through :data:`kpi_engine.kernels.SCALAR`
(plain floats, numpy's arithmetic to the bit) and the scheme's compiled plan, and gives exactly
the values ``score`` gives that row: an indicator is NaN where ``score`` leaves it NaN (a blank it
needs, a rejected value, a zero denominator). It writes no reasons. A row it cannot total is
answered by its problems: :func:`row_problems` gives the rows of ``score``'s problems table for
that row, found by the same gap finding on the row's clean values (no frame), or, when a value
was rejected, by ``score``'s input checks on a one-row table (no result frames). The
explanation of a score still comes from ``score``. ``tests/engine/test_one_row.py`` compares the
two on random and hostile rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from . import expr
from .gaps import Gaps
from .grading import GRADE_TOLERANCE
from .i18n import lang_of
from .inputs import EXCEL_ERRORS, CleanInput, normalize_id
from .kernels import NAN, SCALAR
from .model import Scheme
from .numbers import is_blank_text, parse_number
from .periods import DEFAULT_PERIOD, Period, parse_period
from .plan import NumberCheck, Plan, TextRead, plan_for
from .rules import GATE, RULES
from .scoring import problem_rows

_ABSENT = object()


@dataclass
class RowScores:
    """One employee's scores as :func:`kpi_engine.score` gives them for that row."""

    employee_id: str
    scores: dict[str, float]  # 100-scale, NaN where not computable
    points: dict[str, float]
    total: float  # NaN when any indicator is not computable
    grade: str | None
    flags: list[str] = field(default_factory=list)
    rejected: tuple[str, ...] = ()  # inputs whose value was rejected (score reports each as a problem)
    # what :func:`row_problems` needs to say why a value is NaN: the clean values by input id, the
    # inputs blank or absent, and each NaN indicator's zero divisions (as ``Env.zero_division``)
    clean: dict[str, Any] = field(default_factory=dict, repr=False)
    blank: frozenset[str] = frozenset()
    absent: tuple[str, ...] = ()
    zero: dict[str, list[Any]] = field(default_factory=dict, repr=False)


@lru_cache(maxsize=64)
def _period(period: str | None) -> Period:
    return parse_period(period)


def score_one(values: Mapping[str, Any], scheme: Scheme, period: str | Period | None = DEFAULT_PERIOD) -> RowScores | None:
    """The row ``values`` (input id → cell value as a sheet gives it; an id not there is an absent
    column) scored as ``score`` would score it in a table. None when the row is beyond this path
    (no usable employee id, a rule type written for columns only): the caller then uses ``score``."""
    plan = plan_for(scheme)
    if not plan.scalar:
        return None
    eid = _employee_id(values.get("employee_id", _ABSENT))
    if eid is None:
        return None
    numbers: dict[str, float] = {}
    texts: dict[str, Any] = {}
    blank: set[str] = set()
    absent: set[str] = set()
    rejected: list[str] = []
    for check in plan.numbers:
        raw = values.get(check.id, _ABSENT)
        got = (NAN, "absent") if raw is _ABSENT else _number(raw, check)
        if got is None:
            return None
        numbers[check.id] = _noted(check.id, got, blank, absent, rejected)
    for read in plan.texts:
        raw = values.get(read.id, _ABSENT)
        got = (None, "absent") if raw is _ABSENT else _text(raw, read)
        texts[read.id] = _noted(read.id, got, blank, absent, rejected)
    per = period if isinstance(period, Period) else _period(period)
    env = expr.Env(n=1, numbers=numbers, texts=texts, lookups=scheme.lookups, months=per.months, xp=SCALAR)
    rejected += _constraints(plan, env)
    return _scores(plan, env, eid, blank, absent, set(rejected))


def _noted(cid: str, got: tuple[Any, str], blank: set[str], absent: set[str], rejected: list[str]) -> Any:
    """The value of ``got`` (value, state), its input ``cid`` noted by state: an absent column is blank too."""
    value, state = got
    if state == "absent":
        absent.add(cid)
    if state in ("absent", "blank"):
        blank.add(cid)
    elif state == "rejected":
        rejected.append(cid)
    return value


def _employee_id(raw: Any) -> str | None:
    if raw is _ABSENT:
        return None
    eid = normalize_id(raw)
    if eid is None or (eid[:1] == "#" and eid.upper() in EXCEL_ERRORS):
        return None
    return eid


def _number(raw: Any, check: NumberCheck) -> tuple[float, str] | None:
    """(value, "ok" | "blank" | "rejected") of one number cell, as the engine reads its column;
    None for a value whose column type a one-row frame would make unusual (a huge integer)."""
    kind = type(raw)
    if kind is float or kind is int or isinstance(raw, (np.floating, np.integer)):
        if kind is int and not -(2**63) <= raw < 2**63:
            return None
        x = float(raw)
        if x != x:
            return NAN, "blank"
    elif raw is None:
        return NAN, "blank"
    elif isinstance(raw, str):
        if is_blank_text(raw, dashes=True):
            return NAN, "blank"
        x = _text_number(raw)
        if x is None:
            return NAN, "rejected"
    else:  # a bool, a date, anything else: not a number, reported by score
        if not isinstance(raw, (bool, np.bool_)) and pd.isna(raw):
            return NAN, "blank"
        return NAN, "rejected"
    if math.isinf(x) or not check.accepts(x):
        return NAN, "rejected"
    return x, "ok"


@lru_cache(maxsize=4096)
def _text_number(text: str) -> float | None:
    """A number typed as text, read as score reads a column of text: pandas' parser first, then
    :func:`kpi_engine.parse_number` for what it leaves."""
    value = pd.to_numeric(np.array([text], dtype=object), errors="coerce")[0]
    if value == value:
        return float(value)
    return parse_number(text)


def _text(raw: Any, read: TextRead) -> tuple[Any, str]:
    """(value, "ok" | "blank" | "rejected") of one text or choice cell, as the engine reads its column."""
    if raw is None or (isinstance(raw, str) and is_blank_text(raw, dashes=False)) or (
            not isinstance(raw, str) and pd.isna(raw)):
        return (NAN if read.aliases is not None else None), "blank"
    value = normalize_id(raw)
    if isinstance(value, str) and value[:1] == "#" and value.upper() in EXCEL_ERRORS:
        return (NAN if read.aliases is not None else None), "rejected"
    if read.aliases is None:
        return value, "ok"
    lowered = value.lower()
    mapped = read.aliases.get(lowered)
    if mapped is not None:
        return mapped, "ok"
    return (lowered, "ok") if read.open_choice else (NAN, "rejected")


def _constraints(plan: Plan, env: expr.Env) -> list[str]:
    """Relations between fields, in scheme order: a failing one makes its field blank (rejected)."""
    out = []
    numbers = env.numbers
    for c in plan.scheme.constraints:
        formula = expr.compiled(c.check)
        ok = formula.run(env)
        known = all(numbers[col] == numbers[col] for col in expr.parse(c.check).columns)
        if known and not bool(ok):
            numbers[c.field] = NAN  # type: ignore[index]
            out.append(c.field)
    return out


def _scores(plan: Plan, env: expr.Env, eid: str, blank: set[str], absent: set[str],
            rejected: set[str]) -> RowScores:
    scores: dict[str, float] = {}
    points: dict[str, float] = {}
    zero: dict[str, list[Any]] = {}
    total = 0.0
    for ind, weight in zip(plan.indicators, plan.weights.tolist()):
        env.zero_division = []
        out = GATE.apply(ind, env, RULES[ind.rule].apply(ind, env))
        value = float(out.score)
        required, optional = plan.columns[ind.id]
        if any(c in rejected for c in required) or any(c in rejected for c in optional) or any(
                c in blank or c in absent for c in required):
            value = NAN
        if value != value:
            zero[ind.id] = env.zero_division
        scores[ind.id] = value
        points[ind.id] = value * weight / 100.0
        total += points[ind.id]
    total = float(np.round(total, 10))
    grade = None
    if total == total:
        grade = plan.scheme.grades[-1][0]
        for name, minimum in plan.scheme.grades:
            if total >= minimum - GRADE_TOLERANCE:
                grade = name
                break
    flags = []
    for f in plan.scheme.flags:
        env.zero_division = []
        if bool(expr.compiled(f.when).run(env)):
            flags.append(f.id)
    return RowScores(eid, scores, points, total, grade, flags, tuple(sorted(rejected)),
                     {**env.numbers, **env.texts}, frozenset(blank),
                     tuple(f.id for f in plan.scheme.inputs if f.id in absent), zero)


def row_problems(row: RowScores, values: Mapping[str, Any], scheme: Scheme,
                 period: str | Period | None = DEFAULT_PERIOD, lang: str = "zh") -> list[dict[str, Any]]:
    """The problems ``score`` reports for the row that :func:`score_one` scored as ``row``: the rows
    of its problems table as dicts, in its order, with its texts. A row with no rejected value has
    only the problems of its gaps (a blank it needs, an absent column, a zero denominator): these
    are found by :class:`kpi_engine.gaps.Gaps`, the same code ``score`` uses, on the row's clean
    values. A rejected value is worded by the input checks of ``score``, run on ``values`` (header
    or input id → cell value) as a one-row table."""
    if row.rejected:
        return problem_rows(pd.DataFrame([dict(values)]), scheme, period, lang)
    plan = plan_for(scheme)
    numbers = {c.id: np.array([row.clean[c.id]]) for c in plan.numbers}
    texts = {}
    for read in plan.texts:
        texts[read.id] = np.empty(1, dtype=object)
        texts[read.id][0] = row.clean[read.id]
    blank = {cid: np.array([cid in row.blank]) for cid in (*numbers, *texts)}
    ci = CleanInput(1, np.array([row.employee_id], dtype=object), numbers, texts, blank, list(row.absent),
                    np.zeros(1, dtype=bool), clean_columns=set(blank))
    gaps = Gaps(ci, scheme, lang_of(lang), plan)
    for ind in plan.indicators:
        zero = [(np.array([bool(mask)]), den) for mask, den in row.zero.get(ind.id, ())]
        gaps.indicator_gaps(ind, np.array([row.scores[ind.id]]), zero)
    gaps.absent_columns()
    return gaps.rows
