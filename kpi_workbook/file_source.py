"""SheetSource over an .xlsx/.xlsm file, read with openpyxl in read-only mode.

The user's file is never loaded for editing: read-only mode streams each sheet's cells, and
compute writes its own parts at the zip level (see package.py).
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

from openpyxl import load_workbook


class FileSource:
    """Whole-sheet reads from a workbook file; values shaped as xlwings gives them."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._wb = load_workbook(self.path, read_only=True, data_only=True, keep_links=False)
        self._cache: dict[str, list[list[Any]]] = {}
        self.reads = 0

    def sheet_names(self) -> list[str]:
        return list(self._wb.sheetnames)

    def read(self, name: str) -> list[list[Any]]:
        if name not in self._cache:
            self.reads += 1
            ws = self._wb[name]
            if not hasattr(ws, "iter_rows"):  # a chartsheet has no cells
                self._cache[name] = []
                return []
            ws.reset_dimensions()  # do not trust the stored dimension: read every row
            rows = [list(map(_value, r)) for r in ws.iter_rows(values_only=True)]
            while rows and all(v is None for v in rows[-1]):
                rows.pop()
            width = max((len(r) for r in rows), default=0)
            self._cache[name] = [r + [None] * (width - len(r)) for r in rows]
        return self._cache[name]

    def close(self) -> None:
        self._wb.close()

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _value(v: Any) -> Any:
    """As xlwings: numbers as float, blanks None, dates datetime, text str."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    return v
