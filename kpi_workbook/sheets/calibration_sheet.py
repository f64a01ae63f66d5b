"""HR's 校准 sheet: who (工号, 姓名, 团队, from the roster) and HR's columns for changes after the
scores — 调整分 (points, + or −), 最终等级 (an override), 调整原因, 审批人.

Laid out like the input sheets (row 1 labels with a note each, row 2 the machine ids in small
grey font, data from row 3), so that it is found by its header
(:mod:`kpi_workbook.pipeline.calibration_input`). ``kpi new`` and ``next-period`` write it empty
of HR's columns; compute and every other command leave it byte for byte as HR saved it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from openpyxl.comments import Comment
from openpyxl.styles import Alignment
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_engine.calibration import MAX_ADJUSTMENT
from kpi_engine.i18n import tr
from kpi_engine.model import Scheme

from ..ooxml.cells import cell_ref
from ..pipeline.calibration_input import ROSTER_COLUMNS, column_label, columns
from ..pipeline.layout import layout
from .cells import write
from .input_sheets import FORMATS
from .style import BOLD, HEAD_FILL, ID_FONT, INPUT_FILL

SPARE_ROWS = 20  # formatted empty rows below the roster
BLANK_ROWS = 50  # formatted empty rows when there is no roster
WIDTHS = {"employee_id": 10, "name": 10, "team": 14, "adjustment": 10, "final_grade": 10, "reason": 40, "approver": 12}
OTHER_WIDTH = 14  # a column the scheme gives the sheet (the pay base)


def calibration_sheet(ws: Any, scheme: Scheme, roster: pd.DataFrame | None, lang: str) -> None:
    """Write the empty 校准 sheet onto ``ws``: the roster's people and their pay base when the roster
    gives one (the scheme's inputs owned by ``calibration``), HR's columns blank."""
    lay = layout()
    names = columns(scheme)
    first = lay.first_data_row
    n = 0 if roster is None else len(roster)
    last = first + (n + SPARE_ROWS if n else BLANK_ROWS) - 1
    grades = [g for g, _ in scheme.grades]
    for c, fid in enumerate(names, 1):
        head = write(ws, lay.label_row, c, column_label(fid, lang, scheme))
        head.font, head.fill = BOLD, HEAD_FILL
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        note = tr(f"calibration.note_{fid}", lang, grades="/".join(grades), limit=f"{MAX_ADJUSTMENT:,}") \
            if fid in WIDTHS else tr("calibration.note_base", lang, field=column_label(fid, lang, scheme))
        head.comment = Comment(note, "kpi", width=260, height=110)
        write(ws, lay.id_row, c, fid).font = ID_FONT
        ws.column_dimensions[cell_ref(1, c)[:-1]].width = WIDTHS.get(fid, OTHER_WIDTH)
        values = roster[fid].tolist() if roster is not None and fid in roster.columns else []
        for i, r in enumerate(range(first, last + 1)):
            cell = write(ws, r, c, values[i] if i < len(values) and not pd.isna(values[i]) else None)
            kind = scheme.input(fid).kind if fid not in WIDTHS else "text"
            cell.number_format = "0.00" if fid == "adjustment" else FORMATS.get(kind, "General")
            if fid not in ROSTER_COLUMNS:
                cell.fill = INPUT_FILL
    _validation(ws, names, grades, first, last, lang)
    ws.row_dimensions[lay.label_row].height = 30
    ws.row_dimensions[lay.id_row].height = 11
    ws.freeze_panes = cell_ref(first, 3)
    ws.auto_filter.ref = f"A{lay.id_row}:{cell_ref(last, len(names))}"


def _validation(ws: Any, names: list[str], grades: list[str], first: int, last: int, lang: str) -> None:
    """A drop-down of the scheme's grades for 最终等级, a number check for 调整分 (both as warnings:
    compute checks every value and says what is wrong)."""
    col = {fid: cell_ref(1, c)[:-1] for c, fid in enumerate(names, 1)}
    literal = ",".join(g for g in grades if '"' not in g and "," not in g)
    if literal and len(literal) <= 255:
        dv = DataValidation(type="list", formula1=f'"{literal}"', allow_blank=True, showErrorMessage=True,
                            errorStyle="warning", error=tr("calibration.pick_grade", lang, grades=literal))
        ws.add_data_validation(dv)
        dv.add(f"{col['final_grade']}{first}:{col['final_grade']}{last}")
    dv = DataValidation(type="decimal", operator="between", formula1=f"-{MAX_ADJUSTMENT}", formula2=f"{MAX_ADJUSTMENT}",
                        allow_blank=True, showErrorMessage=True, errorStyle="warning",
                        error=tr("calibration.enter_points", lang))
    ws.add_data_validation(dv)
    dv.add(f"{col['adjustment']}{first}:{col['adjustment']}{last}")
