"""The sheet 导入记录 (Import log) that ``kpi fill`` owns, written into an openpyxl workbook from its
block (:meth:`kpi_workbook.pipeline.import_report.FillReport.block`): header rows styled as the
result sheets', values through :func:`.cells.set_value`, protected without a password."""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Alignment

from ..ooxml.cells import column_letter
from ..pipeline.results import Block
from .cells import set_value
from .print_setup import set_up_printing
from .style import BOLD, HEAD_FILL, ID_FONT


def write_log_sheet(wb: Any, block: Block, period: str = "", lang: str = "zh") -> Any:
    """Replace the log sheet (ours: the caller checked) with ``block``, placed last among the visible
    sheets, set up to print as every sheet we write (``period`` in its header)."""
    if block.sheet in wb.sheetnames:
        wb.remove(wb[block.sheet])
    visible = [i for i, ws in enumerate(wb.worksheets) if ws.sheet_state == "visible"]
    ws = wb.create_sheet(block.sheet, (visible[-1] + 1) if visible else None)
    for r, row in enumerate(block.rows, 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                set_value(ws.cell(r, c), value)
    width = max((len(r) for r in block.rows), default=0)
    for c in range(1, width + 1):
        head = ws.cell(1, c)
        head.font, head.fill = BOLD, HEAD_FILL
        head.alignment = Alignment(wrap_text=True, vertical="center")
        ws.cell(2, c).font = ID_FONT
    for col, w in block.widths.items():
        ws.column_dimensions[column_letter(col + 1)].width = w
    ws.freeze_panes = f"A{block.header_rows + 1}"
    if width:
        ws.auto_filter.ref = f"A{block.header_rows}:{column_letter(width)}{max(len(block.rows), block.header_rows)}"
    set_up_printing(ws, period, lang, title_rows=block.header_rows)
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    return ws
