"""Where sheet values come from: a file (openpyxl read-only) or a live Excel book (xlwings).

Both give the pipeline the same thing: the names of the sheets, and for one sheet its whole
used range from A1 as one list of rows, in one call. Values are as xlwings gives them: numbers
as float (or int), text as str, blanks as None, dates as datetime, booleans as bool, and
Excel error values as their text (``"#DIV/0!"``). Rows may differ in length (a cell beyond a
row's end is blank); a row is any sequence, and :func:`row_values` gives the values it holds
without walking its blanks (see :class:`SparseRow`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol


class SparseRow(Sequence):
    """A row whose few values lie far apart (a crafted cell at XFD1): indexes like the dense
    list it stands for, but holds only its values, so work follows the cells that exist."""

    __slots__ = ("_cells", "_len")

    def __init__(self, cells: dict[int, Any], length: int):
        self._cells, self._len = cells, length  # 0-based column -> value

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._cells.get(i) for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(index)
        return self._cells.get(index)

    def __iter__(self) -> Iterator[Any]:
        return (self._cells.get(i) for i in range(self._len))

    def values(self) -> Iterable[Any]:
        return self._cells.values()


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
