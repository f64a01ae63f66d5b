"""The scheme's sections after the scores: ``calibration`` and ``pay``, read from a dict and checked.

Both are optional: a scheme (a TOML file, an older workbook's 指标配置) without a section has it
switched off (``None``), never an error. A section that is present is checked like the rest of the
scheme: every problem is a :class:`~kpi_engine.model.SchemeIssue` naming the section (or its row,
``calibration.limits[2]``) and the field, with its message from the catalogs' ``calibration`` and
``pay`` sections. What the sections do is in :mod:`kpi_engine.calibration` and :mod:`kpi_engine.pay`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .i18n import both, quoted
from .model import HEADCOUNT_ROUNDINGS, OVERRUNS, SCOPES, Calibration, GradeLimit, Pay, Scheme, SchemeIssue
from .numbers import MAX_NUMBER, finite

MAX_COEFFICIENT = 100.0
GRADE_SEPARATORS = re.compile(r"[+,，、/\s]+")  # "S+A", "S、A", "S, A"
# the words of the 指标配置 sheet's drop-downs, read as the options they name
OPTION_WORDS = {"团队": "team", "按团队": "team", "全部": "all", "全员": "all", "向下取整": "floor", "四舍五入": "round",
                "向上取整": "ceil", "仅报告": "report", "报告": "report", "等比缩放": "scale", "缩放": "scale"}


def _issue(item: str, fld: str, texts: tuple[str, str]) -> SchemeIssue:
    return SchemeIssue(item, fld, *texts)


def _bool(d: Mapping[str, Any], item: str, issues: list[SchemeIssue]) -> bool:
    value = d.get("enabled", True)
    if not isinstance(value, bool):
        issues.append(_issue(item, "enabled", both("calibration.not_a_switch", value=quoted(value))))
        return True
    return value


def _choice(d: Mapping[str, Any], key: str, options: tuple[str, ...], item: str, issues: list[SchemeIssue]) -> str:
    value = d.get(key, options[0])
    text = str(value).strip().lower() if isinstance(value, str) else value
    text = OPTION_WORDS.get(text, text) if isinstance(text, str) else text
    if text not in options:
        issues.append(_issue(item, key, both("calibration.not_an_option", value=quoted(value), options="/".join(options))))
        return options[0]
    return text


def _unknown_keys(d: Mapping[str, Any], known: tuple[str, ...], item: str, issues: list[SchemeIssue]) -> None:
    for key in d:
        if key not in known:
            issues.append(_issue(item, str(key), both("calibration.unknown_key", known="/".join(known))))


def _section(data: Any, name: str, known: tuple[str, ...], issues: list[SchemeIssue]) -> Mapping[str, Any] | None:
    """The section as a table (its unknown keys reported), or None: absent, or not a table (reported)."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        issues.append(_issue(name, "", both(f"{name}.not_a_table")))
        return None
    _unknown_keys(data, known, name, issues)
    return data


def read_calibration(data: Any, issues: list[SchemeIssue]) -> Calibration | None:
    """The ``calibration`` section, or None when the scheme has none."""
    data = _section(data, "calibration", ("enabled", "scope", "min_team_size", "rounding", "limits"), issues)
    if data is None:
        return None
    size = data.get("min_team_size", 10)
    number = finite(size, 1e6)
    if number is None or number < 0 or not float(number).is_integer():
        issues.append(_issue("calibration", "min_team_size", both("calibration.team_size", value=quoted(size))))
        number = 0
    limits = []
    entries = data.get("limits") or []
    if not isinstance(entries, (list, tuple)):
        issues.append(_issue("calibration", "limits", both("calibration.limits_not_a_list")))
        entries = []
    for i, d in enumerate(entries, 1):
        limit = _limit(d, f"calibration.limits[{i}]", issues)
        if limit is not None:
            limits.append(limit)
    return Calibration(_bool(data, "calibration", issues), _choice(data, "scope", SCOPES, "calibration", issues),
                       int(number), _choice(data, "rounding", HEADCOUNT_ROUNDINGS, "calibration", issues), tuple(limits))


def grade_list(value: Any) -> tuple[str, ...]:
    """Grades as a list, or as text ("S+A", "S、A")."""
    if isinstance(value, str):
        return tuple(g for g in GRADE_SEPARATORS.split(value.strip()) if g)
    if isinstance(value, (list, tuple)):
        return tuple(str(g).strip() for g in value if str(g).strip())
    return ()


def _limit(d: Any, item: str, issues: list[SchemeIssue]) -> GradeLimit | None:
    if not isinstance(d, Mapping):
        issues.append(_issue(item, "", both("calibration.not_a_table")))
        return None
    _unknown_keys(d, ("grades", "max_share"), item, issues)
    grades = grade_list(d.get("grades"))
    share = finite(d.get("max_share"))
    ok = True
    if not grades:
        issues.append(_issue(item, "grades", both("calibration.no_grades", value=quoted(d.get("grades")))))
        ok = False
    if share is None or not 0 <= share <= 1:
        issues.append(_issue(item, "max_share", both("calibration.share", value=quoted(d.get("max_share")))))
        ok = False
    return GradeLimit(grades, float(share)) if ok else None


def read_pay(data: Any, issues: list[SchemeIssue]) -> Pay | None:
    """The ``pay`` section, or None when the scheme has none."""
    data = _section(data, "pay", ("enabled", "base", "overrun", "coefficients", "pools"), issues)
    if data is None:
        return None
    base = data.get("base", "pay_base")
    if not isinstance(base, str) or not base.strip():
        issues.append(_issue("pay", "base", both("pay.base", value=quoted(base))))
        base = "pay_base"
    coefficients = _amounts(data.get("coefficients"), "pay.coefficients", MAX_COEFFICIENT, issues)
    pools = _amounts(data.get("pools"), "pay.pools", MAX_NUMBER, issues)
    return Pay(_bool(data, "pay", issues), base.strip(), _choice(data, "overrun", OVERRUNS, "pay", issues),
               coefficients, pools)


def _amounts(table: Any, item: str, limit: float, issues: list[SchemeIssue]) -> dict[str, float]:
    """A table of names → non-negative numbers (coefficients by grade, pools by team)."""
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        issues.append(_issue(item, "", both("pay.amounts_not_a_table")))
        return {}
    out = {}
    for key, value in table.items():
        number = finite(value, limit)
        if number is None or number < 0:
            issues.append(_issue(item, str(key), both("pay.amount", value=quoted(value), limit=f"{limit:g}")))
            continue
        out[str(key).strip()] = float(number)
    return out


def check(s: Scheme, issues: list[SchemeIssue]) -> None:
    """The sections against the rest of the scheme: a base column that is a number, and grades that
    exist — checked only when the grades table itself is sound (one cause, one message)."""
    if s.pay is not None:
        fields = {f.id: f for f in s.inputs}
        if s.pay.base not in fields or not fields[s.pay.base].numeric:
            issues.append(_issue("pay", "base", both("pay.base", value=quoted(s.pay.base))))
    if any(i.item == "grades" for i in issues):
        return
    grades = [g for g, _ in s.grades]
    shown = "/".join(grades)
    named = [(f"calibration.limits[{i}]", "grades", g) for i, limit in enumerate(s.calibration.limits, 1)
             for g in limit.grades] if s.calibration is not None else []
    named += [("pay.coefficients", g, g) for g in s.pay.coefficients] if s.pay is not None else []
    for item, fld, g in named:
        if g not in grades:
            issues.append(_issue(item, fld, both("calibration.unknown_grade", grade=quoted(g), grades=shown)))
    if s.pay is not None and s.pay.enabled:
        for g in grades:
            if g not in s.pay.coefficients:
                issues.append(_issue("pay.coefficients", g, both("pay.no_coefficient", grade=g)))
