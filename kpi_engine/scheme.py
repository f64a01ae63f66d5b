"""Loading and checking a scheme: from a dict (a TOML file, the workbook's configuration
sheet) to a checked :class:`~kpi_engine.model.Scheme`, or a :class:`SchemeError` that lists
every problem found.

A scheme is data from elsewhere, so every way it can be wrong has a located message: each
problem names the indicator (or input, group) and the field, so HR can find and fix it, and the
message is the catalogs' ``scheme.<key>`` in both languages. Each rule type checks its own
parameters (:mod:`kpi_engine.rules`); here the scheme as a whole is checked, section by section.
Group weights that do not add up are scaled, with a warning.
"""

from __future__ import annotations

import ast
import math
import re
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from . import expr
from .errors import KpiError
from .i18n import PerLang, both, quoted
from .model import (
    INPUT_KINDS,
    MAX_WEIGHT,
    MISSING_PERIODS,
    PERIOD_KEY,
    REPORT_SETTINGS,
    SOURCE_USES,
    Check,
    Constraint,
    Flag,
    Gate,
    Group,
    Indicator,
    InputField,
    RollupFlag,
    Scheme,
    SchemeIssue,
    Source,
)
from .numbers import MAX_NUMBER, finite
from .rules import GATE, RULES, RuleSpecError
from .sources import header_key

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class SchemeError(KpiError, ValueError):
    """A scheme that cannot be used (code ``scheme``); ``issues`` lists every problem found.

    ``zh`` / ``en`` are the issues joined with "; "; ``str`` is the English one, as callers have
    always read it."""

    code = "scheme"

    def __init__(self, issues: list[SchemeIssue]):
        self.issues = issues
        super().__init__("; ".join(i.text("zh") for i in issues), "; ".join(i.text("en") for i in issues))

    def __str__(self) -> str:
        return self.en


# ---------------------------------------------------------------- loading ---
def load_scheme(path: str | Path) -> Scheme:
    """Load a scheme from a TOML file."""
    with open(path, "rb") as fh:
        return scheme_from_dict(tomllib.load(fh))


def default_scheme() -> Scheme:
    """The shipped default scheme (docs/scheme.md)."""
    return scheme_from_dict(default_scheme_data())


def default_scheme_data() -> dict[str, Any]:
    """The shipped default scheme as the dict its TOML file holds (a fresh copy each call)."""
    text = resources.files("kpi_engine").joinpath("default_scheme.toml").read_bytes()
    return tomllib.loads(text.decode("utf-8"))


def scheme_from_dict(data: Mapping[str, Any]) -> Scheme:
    """Build and check a scheme; raises SchemeError listing every error found (never another error:
    a scheme file is data from elsewhere, and every way it can be wrong has a located message)."""
    issues: list[SchemeIssue] = []
    if not isinstance(data, Mapping):
        raise SchemeError([SchemeIssue.of("scheme", "", "not_a_table")])
    inputs = tuple(_build(InputField, d, "inputs", issues, _input_fix) for d in _entries(data, "inputs", issues))
    inputs = tuple(i for i in inputs if i is not None)
    constraints = tuple(
        c for c in (_build(Constraint, d, "constraints", issues) for d in _entries(data, "constraints", issues)) if c
    )
    groups = tuple(g for g in (_build(Group, d, "groups", issues) for d in _entries(data, "groups", issues)) if g)
    indicators = tuple(i for i in (_build(Indicator, d, "indicators", issues, _indicator_fix)
                                   for d in _entries(data, "indicators", issues)) if i)
    lookups = _lookups(data.get("lookups") or {}, issues)
    grades = _grades(_entries(data, "grades", issues), issues)
    flags = tuple(f for f in (_build(Flag, d, "flags", issues) for d in _entries(data, "flags", issues)) if f)
    seasonal = _numbers(data.get("seasonal") or {}, "seasonal", issues, positive=True)
    meta = {str(k): str(v) for k, v in data["meta"].items()} if isinstance(data.get("meta"), Mapping) else {}
    # a scheme written before export columns existed (no section at all) reads the platforms' shipped ones
    source_data = data if "sources" in data else default_scheme_data()
    sources = tuple(s for s in (_build(Source, d, "sources", issues, _source_fix)
                                for d in _entries(source_data, "sources", issues)) if s)
    optional = {  # the optional sections: scorecards and the year's view
        "report": _numbers(data.get("report") or {}, "report", issues),
        "period_weights": _numbers(data.get("period_weights") or {}, "period_weights", issues, positive=True),
        "rollup_flags": tuple(f for f in (_build(RollupFlag, d, "rollup_flags", issues)
                                          for d in _entries(data, "rollup_flags", issues)) if f),
    }
    scheme = Scheme(meta, inputs, constraints, groups, indicators, lookups, grades, flags, seasonal, sources=sources, **optional)
    _validate(scheme, issues)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise SchemeError(errors)
    weights, warnings = _effective_weights(scheme)
    return Scheme(
        meta, inputs, constraints, groups, indicators, lookups, grades, flags, seasonal,
        effective_weight=weights, warnings=tuple(warnings + [i for i in issues if i.severity != "error"]),
        sources=sources, **optional,
    )


def _entries(data: Mapping[str, Any], section: str, issues: list[SchemeIssue]) -> list[Mapping[str, Any]]:
    """The tables of a list section; anything else is reported and left out."""
    value = data.get(section) or []
    if not isinstance(value, (list, tuple)):
        issues.append(SchemeIssue.of(section, "", "not_a_list", section=section))
        return []
    out = []
    for i, d in enumerate(value, 1):
        if isinstance(d, Mapping):
            out.append(d)
        else:
            issues.append(SchemeIssue.of(f"{section}[{i}]", "", "entry_not_a_table"))
    return out


def _numbers(table: Any, item: str, issues: list[SchemeIssue], *, positive: bool = False) -> dict[str, float]:
    """A table of numbers (lookup values, seasonal factors): every value checked and located."""
    if not isinstance(table, Mapping):
        issues.append(SchemeIssue.of(item, "", "numbers_not_a_table"))
        return {}
    out = {}
    for key, value in table.items():
        number = finite(value)
        if number is None or (positive and number <= 0):
            issues.append(SchemeIssue.of(item, str(key), "not_a_positive_number" if positive else "not_a_number",
                                         limit=f"{MAX_NUMBER:g}", value=quoted(value)))
            number = math.nan
        out[str(key)] = number
    return out


def _lookups(data: Any, issues: list[SchemeIssue]) -> dict[str, dict[str, float]]:
    if not isinstance(data, Mapping):
        issues.append(SchemeIssue.of("lookups", "", "lookups_not_tables"))
        return {}
    return {str(name): _numbers(table, f"lookups.{name}", issues) for name, table in data.items()}


def _grades(entries: list[Mapping[str, Any]], issues: list[SchemeIssue]) -> tuple[tuple[str, float], ...]:
    out = []
    for d in entries:
        grade, low = d.get("grade"), finite(d.get("min"))
        if grade is None or str(grade).strip() == "" or low is None:
            issues.append(SchemeIssue.of("grades", "min" if grade else "grade", "grade_entry", value=quoted(dict(d))))
            continue
        out.append((str(grade), low))
    return tuple(out)


def _input_fix(d: dict[str, Any]) -> dict[str, Any]:
    d = dict(d)
    if "choices" in d:
        d["choices"] = {str(k): tuple(str(a) for a in v) for k, v in d["choices"].items()}
    return d


def _source_fix(d: dict[str, Any]) -> dict[str, Any]:
    d = dict(d)
    headers = d.get("headers", ())
    d["headers"] = (headers,) if isinstance(headers, str) else tuple(headers)
    return d


def _indicator_fix(d: dict[str, Any]) -> dict[str, Any]:
    d = dict(d)
    d["checks"] = tuple(Check(**c) for c in d.get("checks", ()))
    if d.get("gate"):
        d["gate"] = Gate(**d["gate"])
    else:
        d.pop("gate", None)
    d["params"] = dict(d.get("params") or {})
    return d


def _build(cls, d: Mapping[str, Any], section: str, issues: list[SchemeIssue], fix=None):
    item = str(d.get("id") or d.get("check") or d.get("field") or section)
    if section == "sources":
        item = f"sources.{item}"
    try:
        return cls(**(fix(d) if fix else d))
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        issues.append(SchemeIssue.of(item, "", "bad_fields", section=section, detail=quoted(str(exc), 120)))
        return None


def _validate(s: Scheme, issues: list[SchemeIssue]) -> None:
    """Check the scheme as a whole, section by section, adding every problem to ``issues``."""
    check = _Checker(s, issues)
    check.inputs()
    check.constraints()
    check.groups()
    check.indicators()
    check.flags()
    check.grades()
    check.carries()
    check.report()
    check.rollup()
    check.sources()


class _Checker:
    """The checks of a built scheme, one method per section; every problem becomes an issue."""

    def __init__(self, s: Scheme, issues: list[SchemeIssue]):
        self.s, self.issues = s, issues
        self.fields = {f.id: f for f in s.inputs}
        self.text_cols = {f.id for f in s.inputs if not f.numeric}
        self.num_cols = {f.id for f in s.inputs if f.numeric}

    def err(self, item: str, fld: str, key: str, **fields: Any) -> None:
        self.issues.append(SchemeIssue.of(item, fld, key, **fields))

    def formula(self, item: str, fld: str, text: str) -> None:
        """A formula parses, and reads known columns (text columns only through lookup()) and tables."""
        try:
            parsed = expr.parse(text)
        except expr.ExprError as exc:
            self.err(item, fld, "bad_formula", error=PerLang(exc.zh, exc.en))
            return
        lookup_cols = _lookup_columns(parsed)
        for col in parsed.columns:
            if col not in self.fields:
                self.err(item, fld, "formula_unknown_column", column=repr(col))
            elif col in self.text_cols and col not in lookup_cols:
                self.err(item, fld, "text_column", column=repr(col))
        for col in lookup_cols:
            if col in self.num_cols:
                self.err(item, fld, "lookup_numeric_column", column=repr(col))
        for name in parsed.lookups:
            if name not in self.s.lookups:
                self.err(item, fld, "unknown_table", table=repr(name))

    def inputs(self) -> None:
        if "employee_id" not in self.fields:
            self.err("inputs", "employee_id", "no_employee_id")
        for f in self.s.inputs:
            if f.kind not in INPUT_KINDS:
                self.err(f.id, "kind", "unknown_kind", kind=repr(f.kind),
                         kinds=PerLang("/".join(INPUT_KINDS), ", ".join(INPUT_KINDS)))
        if len(self.fields) != len(self.s.inputs):
            self.err("inputs", "id", "duplicate_inputs")

    def constraints(self) -> None:
        for c in self.s.constraints:
            self.formula(c.field, "check", c.check)
            if c.field not in self.fields:
                self.err(c.check, "field", "unknown_column", column=repr(c.field))

    def groups(self) -> None:
        group_ids = [g.id for g in self.s.groups]
        if len(set(group_ids)) != len(group_ids):
            self.err("groups", "id", "duplicate_groups")
        for g in self.s.groups:
            if g.parent and g.parent not in group_ids:
                self.err(g.id, "parent", "unknown_parent", group=repr(g.parent))
            self.weight(g.id, g.weight)
        parents = {g.id: g.parent for g in self.s.groups}
        for gid in parents:
            seen, cur = set(), gid
            while cur:
                if cur in seen:
                    self.err(gid, "parent", "group_cycle")
                    return
                seen.add(cur)
                cur = parents.get(cur, "")

    def weight(self, item: str, weight: Any) -> None:
        number = finite(weight, MAX_WEIGHT)
        if number is None or number <= 0:
            self.err(item, "weight", "weight", limit=f"{MAX_WEIGHT:,}", value=quoted(weight))

    def indicators(self) -> None:
        ind_ids = [i.id for i in self.s.indicators]
        if len(set(ind_ids)) != len(ind_ids):
            dup = sorted({i for i in ind_ids if ind_ids.count(i) > 1})
            self.err("indicators", "id", "duplicate_indicators", ids=", ".join(dup))
        if not self.s.indicators:
            self.err("indicators", "", "no_indicators")
        group_ids = [g.id for g in self.s.groups]  # a list: an id typed as a table is reported, not unhashable
        for ind in self.s.indicators:
            if ind.group not in group_ids:
                self.err(ind.id, "group", "unknown_group", group=repr(ind.group))
            self.weight(ind.id, ind.weight)
            self.rule(ind)

    def rule(self, ind: Indicator) -> None:
        """The indicator's rule type exists and accepts its parameters; its formulas and gate are sound."""
        rule = RULES.get(ind.rule)
        if rule is None:
            self.err(ind.id, "rule", "unknown_rule", rule=repr(ind.rule),
                     rules=PerLang("/".join(RULES), ", ".join(RULES)))
            return
        try:
            rule.check_spec(ind)
        except RuleSpecError as exc:
            self.issues.append(SchemeIssue(ind.id, exc.field, exc.zh, exc.en))
            return
        for fld, text in rule.formulas(ind):
            self.formula(ind.id, fld, text)
        if ind.gate is not None:
            for fld, text in GATE.formulas(ind):
                self.formula(ind.id, fld, text)
            try:
                GATE.check_spec(ind)
            except RuleSpecError as exc:
                self.issues.append(SchemeIssue(ind.id, exc.field, exc.zh, exc.en))

    def flags(self) -> None:
        for f in self.s.flags:
            self.formula(f.id, "when", f.when)

    def grades(self) -> None:
        if not self.s.grades:
            self.err("grades", "", "no_grades")
        mins = [m for _, m in self.s.grades]
        if any(not isinstance(m, float) or math.isnan(m) for m in mins):
            self.err("grades", "min", "grade_min_not_a_number")
        elif mins != sorted(mins, reverse=True):
            self.err("grades", "min", "grade_order")

    def carries(self) -> None:
        for f in self.s.inputs:
            if f.carry and f.carry != "target":
                self.formula(f.id, "carry", f.carry)

    def own(self, item: str, fld: str, key: str, **fields: Any) -> None:
        """An issue worded in the catalogs' section ``report`` (the sections scorecards and rollups read)."""
        self.issues.append(SchemeIssue(item, fld, *both(f"report.scheme_{key}", **fields)))

    def report(self) -> None:
        for key, value in self.s.report.items():
            if key not in REPORT_SETTINGS:
                self.own("report", key, "unknown_setting", settings=", ".join(REPORT_SETTINGS))
            elif not math.isnan(value) and (value < 0 or (key == "appeal_days" and not float(value).is_integer())):
                self.own("report", key, "setting_value", value=quoted(value))

    def rollup(self) -> None:
        for key in self.s.period_weights:
            if not re.match(PERIOD_KEY, key):
                self.own("period_weights", key, "period_key", value=quoted(key))
        ids = [f.id for f in self.s.rollup_flags]
        for f in self.s.rollup_flags:
            if ids.count(f.id) > 1 or f.id == MISSING_PERIODS:
                self.own(f.id, "id", "flag_id", reserved=MISSING_PERIODS)
            self.formula(f.id, "when", f.when)
            if finite(f.periods) is None or f.periods < 1 or not float(f.periods).is_integer():
                self.own(f.id, "periods", "flag_periods", value=quoted(f.periods))

    def sources(self) -> None:
        """Export columns: a known use, headers, a numeric input, formulas over summed fields, one
        meaning per field, and no header that could be two fields."""
        summed = {x.field for x in self.s.sources if x.use == "sum"}
        first: dict[str, Source] = {}
        owner_of: dict[str, str] = {}
        for x in self.s.sources:
            item = f"sources.{x.field}"
            if not str(x.field).isidentifier():
                self.err(item, "field", "source_field", value=quoted(x.field))
                continue
            if x.use not in SOURCE_USES:
                self.err(item, "use", "source_use", use=repr(x.use), uses=PerLang("/".join(SOURCE_USES), ", ".join(SOURCE_USES)))
                continue
            keys = [header_key(h)[0] for h in x.headers if isinstance(h, str)]
            if not any(keys) and x.use != "recompute":
                self.err(item, "headers", "source_headers")
            for key, header in zip(keys, x.headers):
                if key and owner_of.setdefault(key, x.field) != x.field:
                    self.err(item, "headers", "source_header_twice", header=quoted(header), other=owner_of[key])
            if x.input and x.use in ("sum", "recompute"):
                f = self.fields.get(x.input)
                if f is None or not f.numeric:
                    self.err(item, "input", "source_input", input=repr(x.input))
            elif x.input:
                self.err(item, "input", "source_no_input", use=x.use)
            if x.use == "recompute":
                self.source_formula(item, x.formula, summed)
            seen = first.setdefault(x.field, x)
            if (seen.use, seen.input, seen.formula) != (x.use, x.input, x.formula):
                self.err(item, "use", "source_field_differs")

    def source_formula(self, item: str, text: str, summed: set[str]) -> None:
        try:
            parsed = expr.parse(text)
        except expr.ExprError as exc:
            self.err(item, "formula", "bad_formula", error=PerLang(exc.zh, exc.en))
            return
        for col in parsed.columns:
            if col not in summed:
                self.err(item, "formula", "source_formula_field", column=repr(col))
        if parsed.lookups:
            self.err(item, "formula", "unknown_table", table=repr(parsed.lookups[0]))


def _lookup_columns(parsed: expr.Formula) -> set[str]:
    out = set()
    for node in ast.walk(parsed.tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lookup":
            out.add(node.args[0].id)  # type: ignore[attr-defined]
    return out


def _effective_weights(s: Scheme) -> tuple[dict[str, float], list[SchemeIssue]]:
    """Scale each group's children so they add up to the group's (scaled) weight."""
    warnings: list[SchemeIssue] = []
    children: dict[str, list[tuple[str, str, float]]] = {}
    for g in s.groups:
        children.setdefault(g.parent, []).append(("group", g.id, float(g.weight)))
    for ind in s.indicators:
        children.setdefault(ind.group, []).append(("indicator", ind.id, float(ind.weight)))
    result: dict[str, float] = {}

    def walk(group_id: str, budget: float) -> None:
        kids = children.get(group_id, [])
        total = sum(w for _, _, w in kids)
        factor = budget / total if total else 0.0
        if total and not math.isclose(total, budget, rel_tol=1e-9):
            g = s.group(group_id)
            warnings.append(SchemeIssue.of(group_id, "weight", "scaled", "warning", group=PerLang(g.name_zh, g.name_en),
                                           weight=f"{budget:g}", total=f"{total:g}"))
        for kind, cid, w in kids:
            if kind == "group":
                walk(cid, w * factor)
            else:
                result[cid] = w * factor

    tops = children.get("", [])
    top_total = sum(w for _, _, w in tops)
    if not math.isclose(top_total, 100.0, rel_tol=1e-9):
        warnings.append(SchemeIssue.of("groups", "weight", "top_total", "warning", total=f"{top_total:g}"))
    for kind, cid, w in tops:
        if kind == "group":
            walk(cid, w)
        else:
            result[cid] = w
    return result, warnings
