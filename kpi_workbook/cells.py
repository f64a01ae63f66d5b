"""Cell addresses and the workbook-side problem record (sheet, cell, value, expected)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from openpyxl.utils import get_column_letter

PROBLEM_COLUMNS = ["sheet", "cell", "employee_id", "field", "value", "problem", "severity", "code"]


def cell_ref(row: int, col: int) -> str:
    """1-based row and column → 'B7'."""
    return f"{get_column_letter(col)}{row}"


@dataclass(frozen=True)
class CellProblem:
    """One problem found in a workbook, located to the cell where HR can fix it."""

    sheet: str
    cell: str  # 'B7', or '' when the whole sheet/column is concerned
    employee_id: str | None
    field: str
    value: Any
    problem: str  # the message, in the user's language
    severity: str = "error"  # error | warning
    code: str = ""

    def as_row(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{where}: {self.problem}"


def set_value(cell: Any, value: Any) -> None:
    """Put a value in an openpyxl cell; text stays text even when it starts with '='
    (a roster name like '=HYPERLINK(…)' must never become a live formula)."""
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
