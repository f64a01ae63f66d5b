"""Result blocks → a small openpyxl "donor" workbook holding only our sheets.

The donor is then transplanted into the user's file at the zip level (package.py), so the
user's own parts are never re-serialised. Styling lives here: header rows, the discreet
machine row, number formats, widths, frozen panes, filters, native charts, and protection
(no password: a guard against accidental edits, not security).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .results import Block

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
RESULT_FILL = PatternFill("solid", fgColor="F2F2F2")
HEADER_FONT = Font(bold=True)
ID_FONT = Font(size=8, color="808080")


def build_donor(blocks: list[Block], path: Path) -> None:
    """Write every block as a styled sheet of a new workbook at ``path``."""
    wb = Workbook()
    wb.remove(wb.active)
    for block in blocks:
        ws = wb.create_sheet(block.sheet)
        for row in block.rows:
            ws.append(row)
        if block.state != "visible":
            ws.sheet_state = block.state
            continue
        _style(ws, block)
        for spec in block.charts:
            _chart(ws, block, spec)
        ws.protection.sheet = True
        ws.protection.autoFilter = False
        ws.protection.sort = False
        ws.protection.formatColumns = False
    wb.save(path)


def _style(ws, block: Block) -> None:
    width = max((len(r) for r in block.rows), default=0)
    for r in range(1, block.header_rows + 1):
        for c in range(1, width + 1):
            cell = ws.cell(r, c)
            if r == 1:
                cell.font, cell.fill = HEADER_FONT, HEADER_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            else:
                cell.font = ID_FONT
    n = len(block.rows)
    for col, fmt in block.number_formats.items():
        for r in range(block.header_rows + 1, n + 1):
            ws.cell(r, col + 1).number_format = fmt
    for col, w in block.widths.items():
        ws.column_dimensions[get_column_letter(col + 1)].width = w
    if block.header_rows and width:
        ws.freeze_panes = ws.cell(block.header_rows + 1, 2 if block.key != "problems" else 1)
        if block.key != "summary":
            ws.auto_filter.ref = f"A{block.header_rows}:{get_column_letter(width)}{max(n, block.header_rows)}"


def _chart(ws, block: Block, spec) -> None:
    chart = BarChart()
    chart.type = "bar" if spec.kind == "bar" else "col"
    chart.title = spec.title
    chart.legend = None
    first, last, col = spec.categories
    cats = Reference(ws, min_col=col + 1, min_row=first + 1, max_row=last + 1)
    for v_first, v_last, v_col in spec.values:
        data = Reference(ws, min_col=v_col + 1, min_row=v_first + 1, max_row=v_last + 1)
        chart.add_data(data, titles_from_data=False)
    chart.set_categories(cats)
    chart.height, chart.width = 7.5, 14
    ws.add_chart(chart, spec.anchor)
