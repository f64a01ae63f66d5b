"""Result blocks → a small openpyxl "donor" workbook holding only our sheets.

The donor is then transplanted into the user's file at the zip level
(:func:`kpi_workbook.ooxml.transplant_sheets`), so the user's own parts are never re-serialised. Styling lives here: header rows, the discreet
machine row, number formats, widths, frozen panes, filters, native charts, and protection
(no password: a guard against accidental edits, not security). Blocks hold values only:
text that starts with '=' (a name typed as '=HYPERLINK(…)') is written as text, never as a
formula (openpyxl would otherwise take any such string for one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import NumFmt
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment
from openpyxl.worksheet.hyperlink import Hyperlink

from ..ooxml.cells import column_letter
from ..ooxml.row_writer import SheetRows, write_rows
from ..pipeline.results import Block
from .cells import save_workbook, set_value
from .help_sheet import text_lines, write_help
from .print_setup import apply_print_setup
from .style import BOLD, HEAD_FILL, ID_FONT

DEFAULT_WIDTH = 8.43  # Excel's default column width, in characters
LINE_HEIGHT = 15  # points per line of the bold 11-point header


def _formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def build_donor(blocks: list[Block], path: Path) -> None:
    """Write every block as a styled sheet of a new workbook at ``path``, data rows included
    (:func:`donor_frame`, then :func:`kpi_workbook.ooxml.row_writer.write_rows`)."""
    base = path.with_name(path.name + ".openpyxl.xlsx")  # beside the donor, in its temp folder
    try:
        rows = donor_frame(blocks, base)
        write_rows(base, path, list(rows.values()))
    finally:
        base.unlink(missing_ok=True)


def donor_frame(blocks: list[Block], path: Path) -> dict[str, SheetRows]:
    """Write every block as a styled sheet of a new workbook at ``path`` without its data rows, and
    return each sheet's rows by sheet name, in sheet order, to be streamed in afterwards.

    openpyxl writes the workbook around the data: header rows, styles, widths, panes, filters,
    charts, protection. The data rows (tens of thousands at 10,000 employees) are written
    straight into each sheet's XML (:func:`kpi_workbook.ooxml.row_writer.sheet_pieces`, by
    :func:`build_donor` or by the transplant into HR's book), as inline strings and numbers with
    the style openpyxl gave the column's number format in a styled probe row, which they replace:
    openpyxl's own per-cell objects cost more than reading and scoring the whole workbook.
    """
    wb = Workbook()
    wb.remove(wb.active)
    probes: dict[str, SheetRows] = {}
    for block in blocks:
        ws = wb.create_sheet(block.sheet)
        if block.row_kinds:  # a sheet of styled lines (说明): small, written whole by openpyxl
            write_help(ws, block)
            apply_print_setup(ws, block.print_setup)
            probes[block.sheet] = SheetRows(block.rows, len(block.rows) + 1)
            continue
        head = min(block.header_rows, len(block.rows))
        for r, row in enumerate(block.rows[:head], 1):
            ws.append(row)
            for c, value in enumerate(row, 1):
                if _formula_like(value):
                    set_value(ws.cell(r, c), value)
        probe = head + 1
        if len(block.rows) > head and block.state == "visible":
            for col, fmt in block.number_formats.items():  # openpyxl registers the formats' styles
                cell = ws.cell(probe, col + 1)
                cell.value, cell.number_format = 0, fmt
        probes[block.sheet] = SheetRows(block.rows, probe)
        if block.state != "visible":
            ws.sheet_state = block.state
            continue
        _style(ws, block)
        for (r, c), location in block.links.items():  # the cells themselves are streamed in below
            ws.cell(r + 1, c + 1).hyperlink = Hyperlink(ref="", location=location)
        apply_print_setup(ws, block.print_setup)
        for spec in block.charts:
            _chart(ws, block, spec)
        _protect(ws)
    save_workbook(wb, path)
    return probes


def _protect(ws) -> None:
    """Protected without a password (a guard against typing, not security); filters, sorting
    and column widths stay usable."""
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False


def _style(ws, block: Block) -> None:
    width = max((len(r) for r in block.rows), default=0)
    for r in range(1, block.header_rows + 1):
        for c in range(1, width + 1):
            cell = ws.cell(r, c)
            if r == 1:
                cell.font, cell.fill = BOLD, HEAD_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            else:
                cell.font = ID_FONT
    n = len(block.rows)  # number formats: see donor_frame (a probe row, replaced by the streamed rows)
    for col, w in block.widths.items():
        ws.column_dimensions[column_letter(col + 1)].width = w
    if block.header_rows and block.rows:  # a wrapped title gets the lines it needs (Excel keeps one otherwise)
        lines = max((text_lines(str(v), block.widths.get(c, DEFAULT_WIDTH)) for c, v in enumerate(block.rows[0])
                     if v is not None), default=1)
        if lines > 1:
            ws.row_dimensions[1].height = LINE_HEIGHT * lines
    if block.header_rows and width:
        ws.freeze_panes = f"{'B' if block.key != 'problems' else 'A'}{block.header_rows + 1}"
        if block.key != "summary":
            ws.auto_filter.ref = f"A{block.header_rows}:{column_letter(width)}{max(n, block.header_rows)}"


def _chart(ws, block: Block, spec) -> None:
    if spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if spec.kind == "bar" else "col"
    chart.title = spec.title
    if not spec.titles:
        chart.legend = None
    first, last, col = spec.categories
    cats = Reference(ws, min_col=col + 1, min_row=first + 1, max_row=last + 1)
    for k, (v_first, v_last, v_col) in enumerate(spec.values):
        data = Reference(ws, min_col=v_col + 1, min_row=v_first + 1, max_row=v_last + 1)
        chart.add_data(data, titles_from_data=False)
        if k < len(spec.titles):
            chart.series[-1].tx = SeriesLabel(v=spec.titles[k])
    chart.set_categories(cats)
    # whole numbers on the value axis: linked to the cells' "0.00" its labels ran together ("90.00100.00")
    chart.y_axis.numFmt = NumFmt(formatCode="0", sourceLinked=False)
    chart.height, chart.width = 7.5, 14
    ws.add_chart(chart, spec.anchor)
