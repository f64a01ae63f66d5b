"""The appraisal scheme as typed data: inputs, groups, indicators, rules, grades, flags.

A scheme is loaded from a dict (TOML file, or the workbook's configuration sheet) and
checked once, here. Every problem names the indicator (or input, group) and the field, so
HR can find and fix it. Group weights that do not add up are scaled, with a warning.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from . import expr
from .model import (
    INPUT_KINDS,
    MAX_WEIGHT,
    Check,
    Constraint,
    Flag,
    Gate,
    Group,
    Indicator,
    InputField,
    Scheme,
    SchemeIssue,
)
from .numbers import MAX_NUMBER, finite
from .rules import RULES, RuleSpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class SchemeError(ValueError):
    """A scheme that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, issues: list[SchemeIssue]):
        self.issues = issues
        super().__init__("; ".join(i.text("en") for i in issues))


# ---------------------------------------------------------------- loading ---
def load_scheme(path: str | Path) -> Scheme:
    """Load a scheme from a TOML file."""
    with open(path, "rb") as fh:
        return scheme_from_dict(tomllib.load(fh))


def default_scheme() -> Scheme:
    """The shipped default scheme (shared/spec/scoring.md)."""
    text = resources.files("kpi_engine").joinpath("default_scheme.toml").read_bytes()
    return scheme_from_dict(tomllib.loads(text.decode("utf-8")))


def scheme_from_dict(data: Mapping[str, Any]) -> Scheme:
    """Build and check a scheme; raises SchemeError listing every error found (never another error:
    a scheme file is data from elsewhere, and every way it can be wrong has a located message)."""
    issues: list[SchemeIssue] = []
    if not isinstance(data, Mapping):
        raise SchemeError([SchemeIssue("scheme", "", "方案应为键值表（TOML 表格）", "a scheme must be a table of sections")])
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
    scheme = Scheme(meta, inputs, constraints, groups, indicators, lookups, grades, flags, seasonal)
    _validate(scheme, issues)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise SchemeError(errors)
    weights, warnings = _effective_weights(scheme)
    return Scheme(
        meta, inputs, constraints, groups, indicators, lookups, grades, flags, seasonal,
        effective_weight=weights, warnings=tuple(warnings + [i for i in issues if i.severity != "error"]),
    )


def _entries(data: Mapping[str, Any], section: str, issues: list[SchemeIssue]) -> list[Mapping[str, Any]]:
    """The tables of a list section; anything else is reported and left out."""
    value = data.get(section) or []
    if not isinstance(value, (list, tuple)):
        issues.append(SchemeIssue(section, "", f"{section} 应为表格列表（[[{section}]]）",
                                  f"{section} must be a list of tables ([[{section}]])"))
        return []
    out = []
    for i, d in enumerate(value, 1):
        if isinstance(d, Mapping):
            out.append(d)
        else:
            issues.append(SchemeIssue(f"{section}[{i}]", "", "应为表格（键 = 值）", "must be a table of key = value"))
    return out


def _numbers(table: Any, item: str, issues: list[SchemeIssue], *, positive: bool = False) -> dict[str, float]:
    """A table of numbers (lookup values, seasonal factors): every value checked and located."""
    if not isinstance(table, Mapping):
        issues.append(SchemeIssue(item, "", "应为表格（键 = 数值）", "must be a table of key = number"))
        return {}
    out = {}
    for key, value in table.items():
        number = finite(value)
        if number is None or (positive and number <= 0):
            what = ("正数", "a positive number") if positive else ("数值", "a number")
            issues.append(SchemeIssue(item, str(key), f"应为{what[0]}（绝对值不超过 {MAX_NUMBER:g}），实际为 {_shown(value)}",
                                      f"must be {what[1]} (at most {MAX_NUMBER:g} in size), got {_shown(value)}"))
            number = math.nan
        out[str(key)] = number
    return out


def _lookups(data: Any, issues: list[SchemeIssue]) -> dict[str, dict[str, float]]:
    if not isinstance(data, Mapping):
        issues.append(SchemeIssue("lookups", "", "应为表格（[lookups.表名]）", "must be tables ([lookups.name])"))
        return {}
    return {str(name): _numbers(table, f"lookups.{name}", issues) for name, table in data.items()}


def _grades(entries: list[Mapping[str, Any]], issues: list[SchemeIssue]) -> tuple[tuple[str, float], ...]:
    out = []
    for d in entries:
        grade, low = d.get("grade"), finite(d.get("min"))
        if grade is None or str(grade).strip() == "" or low is None:
            issues.append(SchemeIssue("grades", "min" if grade else "grade",
                                      f"每个等级需要名称 grade 与数值下限 min，实际为 {_shown(dict(d))}",
                                      f"each grade needs a name (grade) and a number (min), got {_shown(dict(d))}"))
            continue
        out.append((str(grade), low))
    return tuple(out)


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _input_fix(d: dict[str, Any]) -> dict[str, Any]:
    d = dict(d)
    if "choices" in d:
        d["choices"] = {str(k): tuple(str(a) for a in v) for k, v in d["choices"].items()}
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
    try:
        return cls(**(fix(d) if fix else d))
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        detail = _shown(str(exc), 120)
        issues.append(SchemeIssue(item, "", f"{section} 中的条目字段有误：{detail}", f"bad fields in {section}: {detail}"))
        return None


def _validate(s: Scheme, issues: list[SchemeIssue]) -> None:
    def err(item: str, fld: str, zh: str, en: str) -> None:
        issues.append(SchemeIssue(item, fld, zh, en))

    fields = {f.id: f for f in s.inputs}
    if "employee_id" not in fields:
        err("inputs", "employee_id", "缺少工号(employee_id)列定义", "the employee_id input is not defined")
    for f in s.inputs:
        if f.kind not in INPUT_KINDS:
            err(f.id, "kind", f"未知类型 {f.kind!r}，可用：{'/'.join(INPUT_KINDS)}",
                f"unknown kind {f.kind!r}; expected one of {', '.join(INPUT_KINDS)}")
    if len(fields) != len(s.inputs):
        err("inputs", "id", "输入列编号重复", "duplicate input ids")
    text_cols = {f.id for f in s.inputs if not f.numeric}
    num_cols = {f.id for f in s.inputs if f.numeric}

    def formula(item: str, fld: str, text: str, *, boolean: bool = False) -> None:
        try:
            parsed = expr.parse(text)
        except expr.ExprError as exc:
            err(item, fld, f"公式有误：{exc.zh}", f"bad formula: {exc.en}")
            return
        lookup_cols = _lookup_columns(parsed)
        for col in parsed.columns:
            if col not in fields:
                err(item, fld, f"公式引用了未知的列 {col!r}", f"formula uses unknown column {col!r}")
            elif col in text_cols and col not in lookup_cols:
                err(item, fld, f"文本列 {col!r} 只能用于 lookup()", f"text column {col!r} can only be used in lookup()")
        for col in lookup_cols:
            if col in num_cols:
                err(item, fld, f"lookup() 的列 {col!r} 必须是文本/选项列", f"lookup() column {col!r} must be text/choice")
        for name in parsed.lookups:
            if name not in s.lookups:
                err(item, fld, f"未知的查找表 {name!r}", f"unknown lookup table {name!r}")

    for c in s.constraints:
        formula(c.field, "check", c.check, boolean=True)
        if c.field not in fields:
            err(c.check, "field", f"未知的列 {c.field!r}", f"unknown column {c.field!r}")

    group_ids = [g.id for g in s.groups]
    if len(set(group_ids)) != len(group_ids):
        err("groups", "id", "分组编号重复", "duplicate group ids")
    for g in s.groups:
        if g.parent and g.parent not in group_ids:
            err(g.id, "parent", f"上级分组 {g.parent!r} 不存在", f"parent group {g.parent!r} does not exist")
        if not _positive_number(g.weight, MAX_WEIGHT):
            err(g.id, "weight", f"权重应为不超过 {MAX_WEIGHT:,} 的正数，实际为 {_shown(g.weight)}",
                f"weight must be a positive number up to {MAX_WEIGHT:,}, got {_shown(g.weight)}")
    _check_cycles(s, err)

    ind_ids = [i.id for i in s.indicators]
    if len(set(ind_ids)) != len(ind_ids):
        dup = sorted({i for i in ind_ids if ind_ids.count(i) > 1})
        err("indicators", "id", f"指标编号重复：{', '.join(dup)}", f"duplicate indicator ids: {', '.join(dup)}")
    if not s.indicators:
        err("indicators", "", "方案中没有任何指标", "the scheme has no indicators")
    for ind in s.indicators:
        if ind.group not in group_ids:
            err(ind.id, "group", f"分组 {ind.group!r} 不存在", f"group {ind.group!r} does not exist")
        if not _positive_number(ind.weight, MAX_WEIGHT):
            err(ind.id, "weight", f"权重应为不超过 {MAX_WEIGHT:,} 的正数，实际为 {_shown(ind.weight)}",
                f"weight must be a positive number up to {MAX_WEIGHT:,}, got {_shown(ind.weight)}")
        rule = RULES.get(ind.rule)
        if rule is None:
            err(ind.id, "rule", f"未知规则类型 {ind.rule!r}，可用：{'/'.join(RULES)}",
                f"unknown rule type {ind.rule!r}; expected one of {', '.join(RULES)}")
            continue
        try:
            rule.check_spec(ind)
        except RuleSpecError as exc:
            err(ind.id, exc.field, exc.zh, exc.en)
            continue
        for fld, text in rule.formulas(ind):
            formula(ind.id, fld, text)
        if ind.gate is not None:
            formula(ind.id, "gate.metric", ind.gate.metric)
            if finite(ind.gate.min) is None:
                err(ind.id, "gate.min", "门槛 min 应为数字", "gate min must be a number")
    for f in s.flags:
        formula(f.id, "when", f.when, boolean=True)
    if not s.grades:
        err("grades", "", "未定义等级", "no grade bands defined")
    mins = [m for _, m in s.grades]
    if any(not isinstance(m, float) or math.isnan(m) for m in mins):
        err("grades", "min", "等级下限必须是数字", "grade minimums must be numbers")
    elif mins != sorted(mins, reverse=True):
        err("grades", "min", "等级须按下限从高到低排列", "grades must be listed from the highest minimum down")
    for f in s.inputs:
        if f.carry and f.carry != "target":
            formula(f.id, "carry", f.carry)


def _lookup_columns(parsed: expr.Formula) -> set[str]:
    import ast

    out = set()
    for node in ast.walk(parsed.tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lookup":
            out.add(node.args[0].id)  # type: ignore[attr-defined]
    return out


def _positive_number(value: Any, limit: float = MAX_NUMBER) -> bool:
    number = finite(value, limit)
    return number is not None and number > 0


def _check_cycles(s: Scheme, err) -> None:
    parents = {g.id: g.parent for g in s.groups}
    for gid in parents:
        seen, cur = set(), gid
        while cur:
            if cur in seen:
                err(gid, "parent", "分组的上下级关系形成了循环", "group parents form a cycle")
                return
            seen.add(cur)
            cur = parents.get(cur, "")


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
            warnings.append(SchemeIssue(
                group_id, "weight",
                f"「{g.name_zh}」权重 {budget:g}，下属权重合计 {total:g}，已按比例缩放（×{budget:g}/{total:g}）",
                f"'{g.name_en}' weighs {budget:g} but its parts add up to {total:g}; scaled by {budget:g}/{total:g}",
                "warning",
            ))
        for kind, cid, w in kids:
            if kind == "group":
                walk(cid, w * factor)
            else:
                result[cid] = w * factor

    tops = children.get("", [])
    top_total = sum(w for _, _, w in tops)
    if not math.isclose(top_total, 100.0, rel_tol=1e-9):
        warnings.append(SchemeIssue(
            "groups", "weight",
            f"各维度权重合计 {top_total:g}，不是 100", f"top-level weights add up to {top_total:g}, not 100", "warning",
        ))
    for kind, cid, w in tops:
        if kind == "group":
            walk(cid, w)
        else:
            result[cid] = w
    return result, warnings
