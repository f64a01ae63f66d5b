"""A scheme compiled once: everything scoring needs that depends on the scheme alone.

``plan_for(scheme)`` turns a scheme into a :class:`Plan` (each formula compiled to one generated
function, :func:`kpi_engine.expr.compiled`; the columns each indicator reads, split into required
and optional; weights, grade lines, group members; how each input column is read and checked),
cached by the scheme's fingerprint, so a sheet of cell functions or a compute after a validate
builds it once. :func:`kpi_engine.score` uses it for tables; :mod:`kpi_engine.one_row` for one
employee at a time (the cell functions).
"""

from __future__ import annotations

import ast
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from . import expr
from .inputs import MAX_MAGNITUDE, label_map
from .model import Indicator, InputField, Scheme
from .rules import GATE, RULES

CACHE_SIZE = 8  # schemes kept compiled (the default one, a workbook's own, a few edited versions)


@dataclass(frozen=True)
class NumberCheck:
    """How one numeric input is checked: its bounds (kind's and explicit), positive, whole."""

    id: str
    low: float | None
    high: float | None
    positive: bool
    whole: bool

    def accepts(self, x: float) -> bool:
        """A finite float passes every check of the column (the one-row path's test)."""
        if not -MAX_MAGNITUDE <= x <= MAX_MAGNITUDE:
            return False
        if self.whole and abs(x - round(x)) > 1e-9:  # round() is numpy's rint here: half to even
            return False
        if self.positive and x <= 0:
            return False
        return not ((self.low is not None and x < self.low) or (self.high is not None and x > self.high))


@dataclass(frozen=True)
class TextRead:
    """How one text or choice input is read: its choice aliases (lower-cased), open or closed."""

    id: str
    aliases: dict[str, str] | None
    open_choice: bool


@dataclass(frozen=True)
class Plan:
    scheme: Scheme
    fingerprint: str
    indicators: tuple[Indicator, ...]
    ids: tuple[str, ...]
    weights: np.ndarray
    columns: dict[str, tuple[list[str], list[str]]]  # indicator id -> (required, optional) columns
    groups: dict[str, list[str]]  # group id -> its indicators (sub-groups' included)
    numbers: tuple[NumberCheck, ...]
    texts: tuple[TextRead, ...]
    labels: dict[str, str]  # id or label (lower-case) -> input id
    scalar: bool  # every rule scores one row of floats (kernels.SCALAR)


_PLANS: OrderedDict[str, Plan] = OrderedDict()


def plan_for(scheme: Scheme) -> Plan:
    """The compiled plan of ``scheme`` (built on first use, then taken from the cache)."""
    key = scheme.fingerprint()
    plan = _PLANS.get(key)
    if plan is not None:
        _PLANS.move_to_end(key)
        return plan
    plan = _build(scheme, key)
    _PLANS[key] = plan
    while len(_PLANS) > CACHE_SIZE:
        _PLANS.popitem(last=False)
    return plan


def _build(scheme: Scheme, key: str) -> Plan:
    inds = tuple(scheme.indicators)
    for ind in inds:  # compile every formula now: the first score pays for it, not each call
        for _, text in (*RULES[ind.rule].formulas(ind), *GATE.formulas(ind)):
            expr.compiled(text)
    for f in scheme.flags:
        expr.compiled(f.when)
    for c in scheme.constraints:
        expr.compiled(c.check)
    return Plan(
        scheme=scheme, fingerprint=key, indicators=inds, ids=tuple(i.id for i in inds),
        weights=np.array([scheme.effective_weight[i.id] for i in inds], dtype=float),
        columns={ind.id: columns_of(ind) for ind in inds}, groups=_members(scheme),
        numbers=tuple(_number_check(f) for f in scheme.inputs if f.numeric and f.id != "employee_id"),
        texts=tuple(_text_read(f) for f in scheme.inputs if not f.numeric and f.id != "employee_id"),
        labels=label_map(scheme), scalar=all(getattr(RULES[i.rule], "scalar", False) for i in inds),
    )


def _number_check(f: InputField) -> NumberCheck:
    lo, hi = f.bounds()
    return NumberCheck(f.id, lo, hi, bool(f.positive), f.kind == "count")


def _text_read(f: InputField) -> TextRead:
    if f.kind != "choice" or not f.choices:
        return TextRead(f.id, None, False)
    aliases = {}
    for canon, alts in f.choices.items():
        aliases[canon.lower()] = canon
        for a in alts:
            aliases[a.strip().lower()] = canon
    return TextRead(f.id, aliases, bool(f.open_choice))


def _members(scheme: Scheme) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {g.id: [] for g in scheme.groups}
    parents = {g.id: g.parent for g in scheme.groups}
    for ind in scheme.indicators:
        gid = ind.group
        while gid:
            members[gid].append(ind.id)
            gid = parents.get(gid, "")
    return members


def columns_of(ind: Indicator) -> tuple[list[str], list[str]]:
    """Columns an indicator reads (its rule's formulas and its gate's): required ones, and optional
    ones (inside coalesce/mean)."""
    required: list[str] = []
    optional: list[str] = []
    texts = [text for _, text in (*RULES[ind.rule].formulas(ind), *GATE.formulas(ind))]
    for text in texts:
        tree = expr.parse(text).tree
        soft: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("coalesce", "mean"):
                for arg in node.args:
                    soft.update(n.id for n in ast.walk(arg) if isinstance(n, ast.Name))
        for col in expr.parse(text).columns:
            (optional if col in soft else required).append(col)
    return list(dict.fromkeys(required)), [c for c in dict.fromkeys(optional) if c not in required]

