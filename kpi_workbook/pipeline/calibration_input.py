"""HR's 校准 sheet (adjustments and overrides after the scores), found and read like an input sheet.

The sheet is HR's: ``kpi new`` and ``next-period`` create it (a fresh, empty one each period:
:mod:`kpi_workbook.sheets.calibration_sheet`), and no command ever writes it afterwards. It is
found by its header, not its name: a header row (within the first rows) that holds ``employee_id``
and ``adjustment`` or ``final_grade`` — the machine row of ids, or, when HR deleted that row, the
labels (工号 and 调整分 / 最终等级, in either language). Such a sheet is never an input sheet of the
scoring frame (:func:`kpi_workbook.pipeline.reading.input_tables` and ``kpi fill`` leave it alone).

Reading it gives the frame :meth:`kpi_engine.ScoreResult.calibrate` takes, and where each of its
values was typed, so that every problem of a row is reported at its cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kpi_engine.calibration import HR_COLUMNS
from kpi_engine.i18n import tr
from kpi_engine.model import Scheme
from kpi_engine.numbers import is_blank

from ..ooxml.cells import cell_ref
from .cell_problem import CellProblem
from .layout import calibration_inputs, layout
from .sources import SheetSource

HEADER_SCAN_ROWS = 10
ROSTER_COLUMNS = ("employee_id", "name", "team")  # who the row is about (for reference)
SIGNS = ("adjustment", "final_grade")  # a header with employee_id and one of these is a 校准 sheet


def columns(scheme: Scheme | None) -> list[str]:
    """The 校准 sheet's columns: who, the scheme's inputs owned by this sheet (the pay base), HR's."""
    own = [f.id for f in calibration_inputs(scheme)] if scheme is not None else []
    return [*ROSTER_COLUMNS, *own, *HR_COLUMNS]


def column_label(fid: str, lang: str, scheme: Scheme | None = None) -> str:
    """The label of a column of the 校准 sheet in ``lang``."""
    if fid in HR_COLUMNS:
        return tr(f"calibration.col_{fid}", lang)
    if scheme is not None and fid not in ROSTER_COLUMNS:
        return scheme.field_name(fid, lang)
    return tr(f"label.{fid}", lang)


def _labels(scheme: Scheme | None) -> dict[str, str]:
    """Every label of the sheet's columns (both languages, case-insensitive) → its id."""
    return {column_label(f, lang, scheme).strip().lower(): f for f in columns(scheme) for lang in ("zh", "en")}


def calibration_header(grid: list[list[Any]], scheme: Scheme | None = None) -> tuple[dict[str, int], int] | None:
    """(column of each id, first data row, 0-based) when ``grid`` is a 校准 sheet; else None."""
    known = columns(scheme)
    labels = _labels(scheme)
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        cells = [str(v).strip() if isinstance(v, str) else "" for v in row]
        by_id = {c: i for i, c in reversed(list(enumerate(cells))) if c in known}
        if "employee_id" in by_id and any(s in by_id for s in SIGNS):
            return by_id, r + 1
        by_label = {labels[c.lower()]: i for i, c in reversed(list(enumerate(cells))) if c.lower() in labels}
        if "employee_id" in by_label and any(s in by_label for s in SIGNS):
            first = r + 1
            if first < len(grid) and any(isinstance(v, str) and v.strip() == "employee_id" for v in grid[first]):
                first += 1  # the machine row under the labels
            return by_label, first
    return None


@dataclass
class CalibrationInput:
    """HR's rows as the engine takes them, and where each value was typed."""

    sheet: str
    frame: pd.DataFrame  # the sheet's columns, values as typed; a row's position is the engine's ``row``
    cells: list[dict[str, str]]  # per frame row: field → cell ("D7")
    problems: list[CellProblem] = field(default_factory=list)


def read_calibration(source: SheetSource, skip: set[str], scheme: Scheme,
                     lang: str = "zh") -> CalibrationInput | None:
    """The first 校准 sheet of the book (None when there is none); a second one is reported, not read."""
    found: CalibrationInput | None = None
    for name in source.sheet_names():
        if name in skip:
            continue
        grid = source.read(name)
        header = calibration_header(grid, scheme)
        if header is None:
            continue
        if found is not None:
            found.problems.append(CellProblem(name, "", None, "", None,
                                              tr("calibration.second_sheet", lang, sheet=name, used=found.sheet),
                                              "warning", "second_calibration_sheet"))
            continue
        found = _read(name, grid, *header, columns(scheme))
    return found


def _read(name: str, grid: list[list[Any]], found: dict[str, int], first: int, names: list[str]) -> CalibrationInput:
    records, cells = [], []
    for r in range(first, len(grid)):
        row = grid[r]
        values = {f: (row[c] if c < len(row) else None) for f, c in found.items()}
        if all(is_blank(v) for v in values.values()):
            continue
        records.append(values)
        cells.append({f: cell_ref(r + 1, c + 1) for f, c in found.items()})
    return CalibrationInput(name, pd.DataFrame.from_records(records, columns=names).astype(object), cells)


def locate(hr: CalibrationInput | None, problems: pd.DataFrame) -> list[CellProblem]:
    """The engine's problems of HR's rows, at the cell of the 校准 sheet they are about."""
    out = []
    for p in problems.itertuples(index=False):
        if hr is None or p.row is None or pd.isna(p.row):
            continue
        cells = hr.cells[int(p.row)]
        cell = cells.get(p.field) or cells.get("employee_id", "")
        value = None if isinstance(p.value, float) and p.value != p.value else p.value  # NaN: the frame's None
        out.append(CellProblem(hr.sheet, cell, p.employee_id, p.field, value, p.problem, p.severity, p.code))
    return out


def sheet_name(lang: str) -> str:
    """The name ``kpi new`` gives the 校准 sheet."""
    return layout().sheet("calibration", lang)
