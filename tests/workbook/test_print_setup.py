"""Print setup on every sheet we write: A4, one page wide, landscape where wide, header rows
repeated, sheet name and period in the header, page numbers in the footer — read back from the
package parts of a computed workbook (result sheets arrive by the zip-level transplant, with their
print-title names), and printed through LibreOffice: no page wider than A4 landscape. The very
hidden meta sheet never prints."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader
from support.lo import require_soffice
from support.package_check import sheet_parts, workbook_part
from support.workbooks import computed_sample

from kpi_workbook.commands.pdf_export import convert_to_pdf
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.pipeline.print_setup import LANDSCAPE_WIDTH, PORTRAIT_WIDTH, header_text, print_setup

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
A4_LONG, A4_SHORT = 841.9, 595.3  # points
META = layout().sheet("meta")


@pytest.fixture(scope="module")
def computed(tmp_path_factory) -> Path:
    return computed_sample(tmp_path_factory.mktemp("print"))


def parts(path: Path) -> tuple[ElementTree.Element, dict[str, ElementTree.Element]]:
    sheets = sheet_parts(path)
    with zipfile.ZipFile(path) as zf:
        book = ElementTree.fromstring(zf.read(workbook_part(path)))
        return book, {name: ElementTree.fromstring(zf.read(part)) for name, part in sheets.items()}


def test_every_visible_sheet_prints_a4_one_page_wide_with_header_and_footer(computed: Path) -> None:
    book, sheets = parts(computed)
    states = {el.get("name"): el.get("state", "visible") for el in book.iter(f"{MAIN}sheet")}
    visible = [n for n, s in states.items() if s == "visible"]
    assert set(layout().result_names("scores")) & set(visible)  # the result sheets are among them
    for name in visible:
        root = sheets[name]
        setup = root.find(f"{MAIN}pageSetup")
        assert setup is not None, name
        assert setup.get("paperSize") == "9" and setup.get("fitToWidth", "1") == "1", name
        assert setup.get("fitToHeight") == "0", name  # as many pages tall as it needs
        fit = root.find(f"{MAIN}sheetPr/{MAIN}pageSetUpPr")
        assert fit is not None and fit.get("fitToPage") in ("1", "true"), name
        header = root.find(f"{MAIN}headerFooter/{MAIN}oddHeader").text
        footer = root.find(f"{MAIN}headerFooter/{MAIN}oddFooter").text
        assert "&A" in header and "2026-Q4" in header and "&P" in footer and "&N" in footer, name


def test_header_rows_repeat_on_result_and_input_sheets_after_the_transplant(computed: Path) -> None:
    book, _ = parts(computed)
    names = [el.get("name") for el in book.iter(f"{MAIN}sheet")]
    titles = {names[int(el.get("localSheetId"))]: el.text for el in book.iter(f"{MAIN}definedName")
              if el.get("name") == "_xlnm.Print_Titles"}
    results = [layout().sheet(k) for k in layout().results]
    inputs = [s.name("zh") for s in layout().inputs]
    for name in results + inputs:
        assert titles.get(name, "").endswith("!$1:$2"), name  # label row and id row
    assert META not in titles


def test_the_very_hidden_meta_sheet_never_prints(computed: Path) -> None:
    book, sheets = parts(computed)
    state = next(el.get("state") for el in book.iter(f"{MAIN}sheet") if el.get("name") == META)
    assert state == "veryHidden"
    assert sheets[META].find(f"{MAIN}pageSetup") is None  # nothing set up to print
    assert not any(el.get("name") == "_xlnm.Print_Area" for el in book.iter(f"{MAIN}definedName"))


def test_wide_sheets_turn_landscape_narrow_ones_stay_portrait() -> None:
    assert not print_setup([PORTRAIT_WIDTH / 2] * 2, "2026-Q4", "zh").landscape
    assert print_setup([PORTRAIT_WIDTH / 2] * 2 + [1], "2026-Q4", "zh").landscape
    assert print_setup([LANDSCAPE_WIDTH * 3], "2026-Q4", "zh").fit_width == 1  # wider still: shrunk to one page wide
    assert header_text("A&B") == "A&&B"  # a literal & is not a header code


def test_printed_through_libreoffice_no_page_is_wider_than_a4_landscape(computed: Path, tmp_path: Path) -> None:
    soffice = require_soffice()
    pdf = convert_to_pdf(soffice, [computed], tmp_path)[0]
    reader = PdfReader(str(pdf))
    sizes = {(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in reader.pages}
    assert sizes <= {(A4_LONG, A4_SHORT), (A4_SHORT, A4_LONG)}, sizes
    # one page wide: far fewer pages than the 123 the sheets took before they had a print setup
    assert len(reader.pages) < 60, len(reader.pages)
    first = reader.pages[0].extract_text() or ""
    assert "2026-Q4" in first  # the header
