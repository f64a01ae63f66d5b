"""A :class:`~kpi_workbook.pipeline.print_setup.PrintSetup` applied to an openpyxl worksheet.

openpyxl writes the repeated rows as the sheet's defined name ``_xlnm.Print_Titles`` in
workbook.xml; result sheets reach HR's file through the zip transplant, which carries the
donor's names for the sheets it moves (:func:`kpi_workbook.ooxml.transplant_sheets`).
"""

from __future__ import annotations

from typing import Any

from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from ..ooxml.cells import column_letter
from ..pipeline.print_setup import A4, MARGINS, PrintSetup, print_setup

DEFAULT_WIDTH = 8.43  # a column without a width of its own


def apply_print_setup(ws: Any, setup: PrintSetup | None) -> None:
    """Set ``ws`` to print as ``setup`` says (nothing for None)."""
    if setup is None:
        return
    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape" if setup.landscape else "portrait"
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = setup.fit_width
    ws.page_setup.fitToHeight = setup.fit_height
    if setup.title_rows:
        ws.print_title_rows = f"1:{setup.title_rows}"
    ws.oddHeader.center.text = setup.header
    ws.oddFooter.center.text = setup.footer
    ws.print_options.horizontalCentered = setup.centered
    if setup.first_page:
        ws.page_setup.firstPageNumber = setup.first_page
        ws.page_setup.useFirstPageNumber = True
    left, right, top, bottom, header, footer = MARGINS
    ws.page_margins = PageMargins(left=left, right=right, top=top, bottom=bottom, header=header, footer=footer)


def sheet_widths(ws: Any) -> list[float]:
    """The widths of the sheet's used columns, as it will print (looked up without creating any:
    openpyxl makes a 13-wide column of every one it is asked for)."""
    dims = ws.column_dimensions
    letters = (column_letter(c) for c in range(1, ws.max_column + 1))
    return [(dims[x].width or DEFAULT_WIDTH) if x in dims else DEFAULT_WIDTH for x in letters]


def set_up_printing(ws: Any, period: str, lang: str, *, title_rows: int = 0) -> None:
    """Our print setup for a sheet written with openpyxl, from the widths its columns have."""
    apply_print_setup(ws, print_setup(sheet_widths(ws), period, lang, title_rows=title_rows))
