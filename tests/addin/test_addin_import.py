"""The add-in's 导入数据 button on the stand-in xlwings Book: Excel's Open dialog, the same fill as
``kpi fill`` on the open book, few round trips, the import log and the meta written as blocks."""

from __future__ import annotations

import shutil
from pathlib import Path

import kpi_import
import pytest
from support.fakebook import FakeBook

from kpi_workbook.commands.demo import sample_exports, sample_file, sample_owners
from kpi_workbook.commands.fill import fill_workbook
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.pipeline.roster import read_roster
from kpi_workbook.sheets.book import write_new

LOG = layout().sheet("import_log")


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("import")
    return write_new(folder / "kpi_2026-Q4.xlsx", "2026-Q4", roster=read_roster(sample_file("roster.csv")),
                     owners=sample_owners())


@pytest.fixture(scope="module")
def by_command(blank, tmp_path_factory) -> Path:
    """The same workbook filled by ``kpi fill``: what the button must give."""
    path = shutil.copyfile(blank, tmp_path_factory.mktemp("cli") / blank.name)
    fill_workbook(path, sample_exports())
    return path


def values(book: FakeBook, sheet: str) -> list[list]:
    return [[None if v == "" else v for v in row] for row in book.values(sheet)]


def test_the_button_fills_the_open_book_as_kpi_fill_fills_the_file(blank, by_command):
    book = FakeBook.from_xlsx(blank)
    book.app.api.chosen = [str(p) for p in sample_exports()]
    report = kpi_import.import_data(book)
    assert report.ok, report.message
    assert book.app.api.calls[0]["MultiSelect"] is True and "导出文件" in book.app.api.calls[0]["FileFilter"]
    want = FakeBook.from_xlsx(by_command)
    for sheet in (s.name(lang="zh") for s in layout().inputs):
        got, expected = values(book, sheet), values(want, sheet)
        assert [[float(v) if isinstance(v, int) else v for v in r] for r in got] == [
            [float(v) if isinstance(v, int) else v for v in r] for r in expected], sheet
    assert "导入完成" in report.message and LOG in report.message
    assert "品牌京东自营旗舰店" in report.message or "…" in report.message
    # the log and the meta: blocks, the log protected and recorded as ours
    log = book.sheets[LOG]
    assert log.api.ProtectContents and book.values(LOG)[1][:3] == ["time", "kind", "severity"]
    meta = dict((r[0], r[1]) for r in book.values(layout().sheet("meta")) if r and r[0])
    assert meta["owned_sheets"].split("/") == [layout().sheet("help"), LOG]  # 说明 is ours since kpi new


def test_writes_are_per_column_run_not_per_employee(blank):
    book = FakeBook.from_xlsx(blank)
    book.app.api.chosen = [str(p) for p in sample_exports()]
    kpi_import.import_data(book)
    sales = layout().inputs[0].name("zh")
    cell_writes = [w for w in book.write_log if w[0] == sales]
    # four columns (sales, UV, PV, orders); the private-domain people at the end break no run
    assert len(cell_writes) <= 4 * 3, cell_writes
    assert max(rows for _, _, rows, _ in cell_writes) >= 40


def test_cancel_changes_nothing(blank):
    book = FakeBook.from_xlsx(blank)
    report = kpi_import.import_data(book)
    assert report.ok and "未选择文件" in report.message and book.writes == 0


def test_a_bad_file_is_a_message_and_nothing_written(blank, tmp_path):
    book = FakeBook.from_xlsx(blank)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    book.app.api.chosen = [str(empty)]
    report = kpi_import.import_data(book)
    assert report.ok and "没有可写入的数据" in report.message and "empty.csv 是空文件" in report.message
    assert book.writes == 0
    other = tmp_path / "x.pdf"
    other.write_bytes(b"%PDF")
    book.app.api.chosen = [str(other)]
    report = kpi_import.import_data(book)
    assert not report.ok and "x.pdf" in report.message and report.log is None  # the user's error, no traceback


def test_excel_for_mac_gets_a_message_instead_of_a_dialog(blank):
    book = FakeBook.from_xlsx(blank)
    del book.app.api  # appscript has no GetOpenFilename
    book.app.api = object()
    report = kpi_import.import_data(book)
    assert not report.ok and "kpi fill" in report.message and report.log is None

