"""Data problems as rows of one table, with a reason code and messages in zh/en.

Tests and callers query the ``code`` column; the ``problem`` text is rendered from the
code's template in the user's language, so messages can improve without breaking anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

COLUMNS = ["employee_id", "field", "problem", "severity", "code", "value", "row", "indicator"]

# code -> (zh template, en template); fields: {field} {value} {expected} {detail}
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_column": ("缺少列「{field}」，依赖它的指标无法计算", "column '{field}' is missing; indicators that need it cannot be computed"),
    "missing": ("「{field}」为空，{detail}无法计算", "'{field}' is blank, so {detail} cannot be computed"),
    "not_a_number": ("「{field}」的值 {value} 不是数字，应为{expected}", "'{field}' value {value} is not a number; expected {expected}"),
    "excel_error": ("「{field}」是 Excel 错误值 {value}，应为{expected}", "'{field}' holds the Excel error {value}; expected {expected}"),
    "not_whole": ("「{field}」的值 {value} 不是整数，应为非负整数", "'{field}' value {value} is not a whole number; expected a whole number ≥ 0"),
    "below_min": ("「{field}」的值 {value} 过小，应为{expected}", "'{field}' value {value} is too small; expected {expected}"),
    "above_max": ("「{field}」的值 {value} 过大，应为{expected}", "'{field}' value {value} is too large; expected {expected}"),
    "not_positive": ("「{field}」的值 {value} 应大于 0（作为分母）", "'{field}' value {value} must be greater than 0 (it is a denominator)"),
    "unknown_choice": ("「{field}」的值 {value} 无法识别，应为{expected}", "'{field}' value {value} is not recognised; expected {expected}"),
    "constraint": ("「{field}」的值 {value} 不合理，应{expected}", "'{field}' value {value} is not plausible; expected {expected}"),
    "duplicate_id": ("工号 {value} 重复（{detail}），该员工不予计分", "employee ID {value} appears more than once ({detail}); not scored"),
    "blank_id": ("工号为空，该行不予计分", "employee ID is blank; the row is not scored"),
    "zero_division": ("「{field}」为 0，无法作为分母，{detail}无法计算", "'{field}' is 0 and cannot be divided by, so {detail} cannot be computed"),
    "zero_expression": ("「{field}」的值为 0，无法作为分母，{detail}无法计算", "'{field}' is 0 and cannot be divided by, so {detail} cannot be computed"),
    "not_computable": ("{detail}无法计算：目标为 0 或数据组合不合理，请核对该行数据", "{detail} cannot be computed: the target is 0 or the values do not fit together; check this row"),
}


def render(code: str, lang: str = "zh", **kw: Any) -> str:
    zh, en = MESSAGES[code]
    template = zh if lang == "zh" else en
    values = {"field": "", "value": "", "expected": "", "detail": ""}
    values.update({k: ("" if v is None else v) for k, v in kw.items()})
    return template.format(**values)


MAX_SHOWN = 80  # characters of a value quoted in a message
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def clip(text: Any, limit: int = MAX_SHOWN) -> str:
    """Text safe to show in one line of a message or a terminal: control characters (an ANSI
    escape, a newline) written as ``\\x1b``, and at most ``limit`` characters, the rest as "…"."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show_value(value: Any) -> str:
    """A value as the user typed it, for messages (text quoted, numbers plain, long text cut)."""
    if value is None or (isinstance(value, float) and value != value):
        return "（空）"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, str):
        return f"“{clip(value)}”"
    return clip(value)


def frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The problems table (always with all COLUMNS, even when empty)."""
    df = pd.DataFrame(list(rows), columns=COLUMNS)
    return df.astype({"employee_id": object, "field": object, "value": object, "indicator": object})
