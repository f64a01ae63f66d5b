"""Where sheet values come from: a file (openpyxl read-only) or a live Excel book (xlwings).

Both give the pipeline the same thing: the names of the sheets, and for one sheet its whole
used range from A1 as one 2-D list, in one call. Values are as xlwings gives them: numbers
as float (or int), text as str, blanks as None, dates as datetime, booleans as bool, and
Excel error values as their text (``"#DIV/0!"``).
"""

from __future__ import annotations

from typing import Any, Protocol


class SheetSource(Protocol):
    """Read access to a workbook, one whole sheet per call."""

    def sheet_names(self) -> list[str]:
        """All sheet names in workbook order (hidden ones included)."""
        ...

    def read(self, name: str) -> list[list[Any]]:
        """The sheet's used range from A1 as a rectangular 2-D list (``[]`` when empty)."""
        ...
