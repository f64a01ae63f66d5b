"""The help sheet (说明) of the period workbook: the lines :mod:`kpi_workbook.pipeline.help_text`
generates from the scheme, written with their styles."""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Alignment

from kpi_engine.model import Scheme

from ..ooxml.cells import column_letter
from ..pipeline.help_text import WIDTHS, help_lines
from .cells import write
from .style import BOLD, HEAD_FILL, SECTION_FONT, TITLE_FONT

FONTS = {"title": TITLE_FONT, "section": SECTION_FONT, "head": BOLD, "total": BOLD}


def help_sheet(ws: Any, scheme: Scheme, period: str, lang: str) -> None:
    """Write the help sheet for ``scheme`` onto ``ws``."""
    for r, line in enumerate(help_lines(scheme, period, lang), 1):
        for c, value in enumerate(line.values, 1):
            cell = write(ws, r, c, value)
            cell.alignment = Alignment(wrap_text=line.kind != "step", vertical="top")
            if line.kind in FONTS:
                cell.font = FONTS[line.kind]
            if line.kind == "head":
                cell.fill = HEAD_FILL
            if line.number_format and c - 1 in line.number_format:
                cell.number_format = line.number_format[c - 1]
    for c, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[column_letter(c)].width = width
