"""The add-in's 生成个人报告 button and the print setup the add-in writes, on the stand-in Excel
(tests/support/fakebook.py): the scorecards go through Excel's own PDF export (recorded by the
fake), beside the workbook, never replacing a file; without a PDF export the printable .xlsx;
the result sheets compute writes get their PageSetup, the very hidden meta sheet none."""

from __future__ import annotations

import shutil
from pathlib import Path

import kpi_addin
import kpi_report
import pandas as pd
import pytest
from support.fakebook import FakeBook
from support.workbooks import computed_sample, sample_workbook, table

from kpi_workbook.pipeline.layout import layout

XL_LANDSCAPE = 2


@pytest.fixture(scope="module")
def computed(tmp_path_factory) -> Path:
    return computed_sample(tmp_path_factory.mktemp("addin_report"))


@pytest.fixture
def book(computed: Path, tmp_path: Path) -> FakeBook:
    path = tmp_path / computed.name
    shutil.copyfile(computed, path)
    return FakeBook.from_xlsx(path)


def test_the_button_exports_a_pdf_per_person_and_per_team_beside_the_book(book: FakeBook, computed: Path) -> None:
    report = kpi_report.report(book)
    assert report.ok, report.message
    folder = Path(book.fullname).parent / "个人报告_2026-Q4"
    scores = table(computed, layout().sheet("scores"))
    people = {f"{r.employee_id}_{r.name}_2026-Q4.pdf" for r in scores.itertuples()}
    teams = {f"{t}_2026-Q4.pdf" for t in pd.unique(scores["team"])}
    assert {p.name for p in folder.iterdir()} == people | teams
    exports = book.app.pdf_exports
    singles = [e for e in exports if len(e[1]) == 1 and Path(e[2]).name in people]
    assert len(singles) == len(people)  # each person's sheet exported on its own
    assert all(sheet.startswith(Path(path).name.split("_")[0]) for _, (sheet,), path in singles)
    assert all(b.closed for b in book.app.books.opened)  # the scratch workbooks are closed again
    assert str(folder) in book.app.alerts[-1].prompt
    assert book.writes == 0  # the workbook itself is not changed
    again = kpi_report.report(book)  # a second run never replaces: "name (2).pdf"
    assert again.ok and len(list(folder.glob("* (2).pdf"))) == len(people | teams)


def test_without_a_pdf_export_the_printable_xlsx(book: FakeBook) -> None:
    book.app.fail_pdf = "ExportAsFixedFormat is not available"
    report = kpi_report.report(book)
    assert report.ok, report.message
    folder = Path(book.fullname).parent / "个人报告_2026-Q4"
    files = list(folder.iterdir())
    assert files and all(p.suffix == ".xlsx" for p in files)
    assert "ExportAsFixedFormat" in book.app.alerts[-1].prompt and "kpi report" in book.app.alerts[-1].prompt


def test_a_book_never_computed_gets_a_message_not_a_traceback(tmp_path: Path) -> None:
    book = FakeBook.from_xlsx(sample_workbook(tmp_path))
    report = kpi_report.report(book)
    assert not report.ok and "还没有计算" in book.app.alerts[-1].prompt
    assert "Traceback" not in book.app.alerts[-1].prompt


def test_compute_sets_up_printing_of_the_result_sheets_in_excel(tmp_path: Path) -> None:
    book = FakeBook.from_xlsx(sample_workbook(tmp_path))
    assert kpi_addin.compute(book).ok
    for key in layout().results:
        ps = book.sheets[layout().sheet(key)].api.PageSetup.settings
        assert ps["PaperSize"] == 9 and ps["FitToPagesWide"] == 1 and ps["FitToPagesTall"] is False, key
        assert ps["PrintTitleRows"] == "$1:$2" and "&A" in ps["CenterHeader"] and "&P" in ps["CenterFooter"]
    assert book.sheets[layout().sheet("scores")].api.PageSetup.settings["Orientation"] == XL_LANDSCAPE
    assert book.sheets[layout().sheet("meta")].api.PageSetup.settings == {}  # never printed
    assert book.app.api.print_communication[-1] is True  # the printer talk is switched back on
