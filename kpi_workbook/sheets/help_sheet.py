"""The help sheet (说明), compute's like the result sheets: the lines :mod:`kpi_workbook.pipeline.help_text` generates from the
scheme, written with their styles — by ``kpi new`` and, as compute's help block, into the donor.

Titles, section titles and one-line steps are not wrapped (they run on into the empty cells to
their right, never cut to the width of column A); wrapped cells get a row height that shows all
their lines, since no writer of ours can ask the spreadsheet application to fit it.
"""

from __future__ import annotations

import math
from typing import Any

from openpyxl.styles import Alignment

from kpi_engine.model import Scheme

from ..ooxml.cells import column_letter
from ..pipeline.help_text import ONE_LINE, help_block
from ..pipeline.results import Block
from .cells import display_width, write
from .style import BOLD, HEAD_FILL, NOTE_FONT, SECTION_FONT, TITLE_FONT

FONTS = {"title": TITLE_FONT, "section": SECTION_FONT, "head": BOLD, "total": BOLD, "note": NOTE_FONT}
LINE_HEIGHT = 15.0  # points per line of wrapped text (11-point font)


def help_sheet(ws: Any, scheme: Scheme, period: str, lang: str) -> None:
    """Write the help sheet for ``scheme`` onto ``ws``."""
    write_help(ws, help_block(scheme, period, lang))


def write_help(ws: Any, block: Block) -> None:
    """Write the help block's lines onto ``ws`` with the styles of their kinds."""
    widths = {c: w for c, w in block.widths.items()}
    for r, row in enumerate(block.rows, 1):
        kind = block.row_kinds[r - 1] if r - 1 < len(block.row_kinds) else "text"
        lines = 1
        for c, value in enumerate(row, 1):
            if value is None:
                continue
            cell = write(ws, r, c, value)
            cell.alignment = Alignment(wrap_text=kind not in ONE_LINE, vertical="top")
            if kind in FONTS:
                cell.font = FONTS[kind]
            if kind == "head":
                cell.fill = HEAD_FILL
            if isinstance(value, (int, float)) and c - 1 in block.number_formats:
                cell.number_format = block.number_formats[c - 1]
            if kind not in ONE_LINE and isinstance(value, str) and c - 1 in widths:
                lines = max(lines, text_lines(value, widths[c - 1]))
        if lines > 1:
            ws.row_dimensions[r].height = lines * LINE_HEIGHT
    for c, width in widths.items():
        ws.column_dimensions[column_letter(c + 1)].width = width
    ws.protection.sheet = True  # compute rewrites it: a guard against typing notes here (no password)
    ws.protection.formatColumns = False


def text_lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (a CJK character is two)."""
    total = 0
    for part in text.split("\n"):
        total += max(1, math.ceil(display_width(part) / max(width - 1, 1)))
    return total
