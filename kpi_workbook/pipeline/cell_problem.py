"""The workbook-side problem record: what is wrong, at which sheet and cell, in the user's words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

    def text(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{where}: {self.problem}"
