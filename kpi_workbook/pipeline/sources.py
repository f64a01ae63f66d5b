"""Where sheet values come from: a file (openpyxl read-only) or a live Excel book (xlwings).

Both give the pipeline the same thing: the names of the sheets, and for one sheet its whole
used range from A1 as one list of rows, in one call. Values are as xlwings gives them: numbers
as float (or int), text as str, blanks as None, dates as datetime, booleans as bool, and
Excel error values as their text (``"#DIV/0!"``). Rows may differ in length (a cell beyond a
row's end is blank); a row is any sequence, and :func:`row_values` gives the values it holds
without walking its blanks (a :class:`kpi_workbook.ooxml.SparseRow`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from ..ooxml import SparseRow


def row_values(row: Sequence[Any]) -> Iterable[Any]:
    """The values a row holds; its blanks may be left out (for "is this row blank?")."""
    return row.values() if isinstance(row, SparseRow) else row


class SheetSource(Protocol):
    """Read access to a workbook, one whole sheet per call."""

    def sheet_names(self) -> list[str]:
        """All sheet names in workbook order (hidden ones included)."""
        ...

    def read(self, name: str) -> list[Sequence[Any]]:
        """The sheet's used range from A1 as a list of rows (``[]`` when empty)."""
        ...
