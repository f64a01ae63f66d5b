"""How a sheet prints, as data: paper, orientation, fit, repeated rows, header and footer.

Every sheet we write prints on A4, one page wide (as many pages tall as it needs), landscape
when its columns are wider than a portrait page, with its header rows repeated on every page,
the sheet's name and the period in the header and the page numbers in the footer. The openpyxl
writers (:mod:`kpi_workbook.sheets.print_setup`) and the add-in's xlwings writer apply the same
:class:`PrintSetup`; neither decides anything. Header and footer texts use Excel's codes (``&A``
the sheet's name, ``&P`` the page, ``&N`` the pages), which LibreOffice and WPS read too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kpi_engine.i18n import tr

# Printable width of an A4 page in column-width units (about 2 mm each, Calibri 11) at the margins below
PORTRAIT_WIDTH = 92
LANDSCAPE_WIDTH = 136
MARGINS = (0.4, 0.4, 0.6, 0.6, 0.3, 0.3)  # inches: left, right, top, bottom, header, footer
A4 = 9  # paper size code, in the file format and in Excel's PageSetup.PaperSize (xlPaperA4)


@dataclass(frozen=True)
class PrintSetup:
    """One sheet's print setup (values only)."""

    landscape: bool
    title_rows: int = 0  # rows 1..n repeat at the top of every page (0: none)
    header: str = "&A"  # the centre of the header, in Excel's codes
    footer: str = "&P / &N"  # the centre of the footer
    fit_width: int = 1  # pages wide (0: as many as needed)
    fit_height: int = 0  # pages tall (0: as many as needed)
    centered: bool = False  # centred across the page
    first_page: int = 0  # the sheet's pages are numbered from this (0: on from the sheets before)

    @property
    def title_ref(self) -> str:
        """The repeated rows as Excel writes them ("$1:$2"), "" when none."""
        return f"$1:${self.title_rows}" if self.title_rows else ""


def header_text(text: str) -> str:
    """Literal text for a header or footer: a single "&" starts a code there, so it is doubled."""
    return str(text).replace("&", "&&")


def page_footer(lang: str) -> str:
    """The footer of every sheet: page and pages ("第 &P 页，共 &N 页")."""
    return tr("print.footer", lang)


def print_setup(widths: Iterable[float], period: str, lang: str, *, title_rows: int = 0,
                landscape: bool | None = None) -> PrintSetup:
    """The setup of a sheet whose columns have ``widths`` (column-width units): landscape when
    they are wider than a portrait page (unless ``landscape`` says); the header names the sheet
    and the period, the footer the page of the pages printed."""
    wide = sum(widths) > PORTRAIT_WIDTH if landscape is None else landscape
    header = tr("print.header", lang, title="&A", period=header_text(period))
    return PrintSetup(wide, title_rows, header, page_footer(lang))


def form_setup(period: str, lang: str, pages: int = 1) -> PrintSetup:
    """A form of its own (a scorecard): portrait, centred, fitted to ``pages`` pages tall, its pages
    numbered from 1 whatever is printed with it (so no count of all pages: a team's cards print as one)."""
    header = tr("print.header", lang, title="&A", period=header_text(period))
    return PrintSetup(False, 0, header, tr("print.page", lang), 1, pages, True, 1)
