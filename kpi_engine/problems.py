"""Data problems as rows of one table, with a reason code and messages in zh/en.

Tests and callers query the ``code`` column; the ``problem`` text is rendered from the
code's template in the user's language, so messages can improve without breaking anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .i18n import template

COLUMNS = ["employee_id", "field", "problem", "severity", "code", "value", "row", "indicator"]

# the stable codes of the problems table; each one's message is the catalogs' problem.<code>,
# with the fields {field} {value} {expected} {detail}
CODES = (
    "missing_column", "missing", "not_a_number", "excel_error", "not_whole", "below_min", "above_max",
    "not_positive", "unknown_choice", "constraint", "duplicate_id", "blank_id", "zero_division",
    "zero_expression", "not_computable",
)


def render(code: str, lang: str = "zh", **kw: Any) -> str:
    """The message of problem ``code`` in ``lang``; the fields not given are empty."""
    values = {"field": "", "value": "", "expected": "", "detail": ""}
    values.update({k: ("" if v is None else v) for k, v in kw.items()})
    return template(f"problem.{code}", lang).format(**values)


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
