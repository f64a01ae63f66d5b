"""SheetSource over an .xlsx/.xlsm file: the package read by :class:`kpi_workbook.ooxml.WorkbookReader`.

The user's file is never loaded for editing: each sheet's XML is streamed for its values, and
compute writes its own parts at the zip level. Values are as xlwings gives them; rows are not
padded to one width (a missing cell is blank): one crafted cell at XFD1048576 must not turn a
sheet of 60 rows into a billion blanks. A damaged or hostile file is refused with a message
naming it and the sheet (:class:`kpi_workbook.ooxml.NotAWorkbook`, :class:`~kpi_workbook.ooxml.UnsafeFile`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..ooxml import WorkbookReader
from ..ooxml.cells import cell_ref


class FileSource:
    """Whole-sheet reads from a workbook file, each sheet read at most once (``reads`` counts them)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._reader = WorkbookReader(self.path)
        self._cache: dict[str, list[Sequence[Any]]] = {}
        self.reads = 0

    def sheet_names(self) -> list[str]:
        return self._reader.sheet_names()

    def read(self, name: str) -> list[Sequence[Any]]:
        if name not in self._cache:
            self.reads += 1
            self._cache[name] = self._reader.rows(name)
        return self._cache[name]

    def uncalculated(self, name: str) -> set[str]:
        """The cells ('B7') of sheet ``name`` holding a formula the file has no value for."""
        self.read(name)
        return {cell_ref(r, c) for r, c in self._reader.uncalculated(name)}

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
