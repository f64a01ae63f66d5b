"""What a Chinese Windows user's Excel does to the buttons, on the stand-in Book (issue 13 item 5).

Excel busy (a call refused while a cell is edited), a workbook opened read-only or shown in
Protected View, folders and names with Chinese characters and spaces, and Chinese text in the
message box, including the last-resort path where the VBA reads Python's output back. Each
case ends in one plain message; the stand-in's emulation of each (and its sources) is described
in tests/support/fakebook.py.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

import kpi_addin
import kpi_compute
import kpi_excel_errors as xe
import kpi_xlwings_adapter as adapter
import pytest
from support.fakebook import RPC_E_CALL_REJECTED, SANDBOXED, FakeBook, FakeComError
from support.workbooks import sample_workbook, scheme_cell

from kpi_engine.i18n import tr
from kpi_workbook.commands import addin_build
from kpi_workbook.pipeline import FileSource, compute
from kpi_workbook.pipeline.layout import layout

SCORES = layout().sheet("scores")


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The back-off's waits, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(xe, "SLEEP", waited.append)
    return waited


@pytest.fixture
def book(tmp_path: Path) -> FakeBook:
    return FakeBook.from_xlsx(sample_workbook(tmp_path))


# -- Excel busy -----------------------------------------------------------------------------


def test_a_busy_excel_is_waited_out_with_a_short_back_off(book: FakeBook, tmp_path: Path, waits,
                                                          monkeypatch) -> None:
    (tmp_path / "clean").mkdir()
    clean = FakeBook.from_xlsx(sample_workbook(tmp_path / "clean"))
    first_write = []
    real = adapter.write_block
    monkeypatch.setattr(adapter, "write_block", lambda b, *a, **k: first_write.append(b.app.com_calls) or real(b, *a, **k))
    kpi_addin.compute(clean)
    book.app.reject_calls(3, after=first_write[0] + 5)  # refused while the results are written
    report = kpi_addin.compute(book)
    assert report.ok, report.message
    assert book.app.rejected == 3 and waits == [0.1, 0.2, 0.4]
    assert book.values(SCORES) == clean.values(SCORES)  # the refused block was written again, whole


def test_excel_busy_for_long_ends_in_a_plain_message(book: FakeBook, waits) -> None:
    book.app.reject_calls(len(xe.BACKOFF) + 1)
    report = kpi_addin.compute(book)
    assert not report.ok and report.log is None  # the user's situation, not a bug: no log file
    assert waits == list(xe.BACKOFF) and sum(waits) < 7
    (alert,) = book.app.alerts
    assert alert.prompt == "计算未完成：\n" + tr("excel.busy", "zh") and alert.mode == "critical"
    assert book.app.screen_updating is True and book.app.calculation == "automatic"
    assert book.writes == 0


@pytest.mark.parametrize(("error", "busy"), [
    (FakeComError("Call was rejected by callee.", RPC_E_CALL_REJECTED), True),
    (FakeComError("The message filter indicated that the application is busy.", xe.RPC_E_SERVERCALL_RETRYLATER), True),
    (FakeComError("Exception occurred.", xe.DISP_E_EXCEPTION, (0, None, None, None, 0, xe.VBA_E_IGNORE)), True),
    (FakeComError("Exception occurred.", xe.DISP_E_EXCEPTION, (0, "Microsoft Excel", "名称太长", None, 0, -2146827284)), False),
    (FakeComError("no sheet named 'x'", -2147352565), False),
    (type("ExcelBusyError", (Exception,), {})("Excel application is not responding"), True),  # xlwings' own
    (ValueError("x"), False),
])
def test_what_counts_as_busy(error: Exception, busy: bool) -> None:
    assert xe.is_busy(error) is busy


def test_other_com_errors_are_not_retried(waits) -> None:
    calls = []

    def refuse() -> None:
        calls.append(1)
        raise FakeComError("sheet is protected")

    with pytest.raises(FakeComError):
        xe.patiently(refuse)
    assert calls == [1] and waits == []


def test_xlwings_endless_retry_is_bounded_while_a_macro_runs(book: FakeBook, monkeypatch) -> None:
    """xlwings retries a refused call at once and forever (N_COM_ATTEMPTS = 0); during a macro it
    is capped so that the back-off, and in the end a message, are ours."""
    xlwindows = types.ModuleType("xlwings._xlwindows")
    xlwindows.N_COM_ATTEMPTS = 0
    monkeypatch.setitem(sys.modules, "xlwings._xlwindows", xlwindows)
    seen = []
    real = adapter.write_block
    monkeypatch.setattr(adapter, "write_block", lambda *a, **k: seen.append(xlwindows.N_COM_ATTEMPTS) or real(*a, **k))
    assert kpi_addin.compute(book).ok
    assert set(seen) == {xe.XLWINGS_ATTEMPTS} and xlwindows.N_COM_ATTEMPTS == 0


# -- read-only and Protected View ------------------------------------------------------------


def test_a_read_only_workbook_gets_its_results_and_a_save_as_note(book: FakeBook) -> None:
    book.api.ReadOnly = True
    report = kpi_addin.compute(book)
    assert report.ok
    assert report.message.startswith(tr("excel.read_only", "zh")) and "另存为" in report.message
    assert "计算完成" in report.message and book.values(SCORES)
    assert kpi_addin.validate(book).message.startswith("注意：此工作簿是以只读方式打开的")
    book.api.ReadOnly = False
    assert kpi_addin.compute(book).message.startswith("计算完成")


def test_a_workbook_in_protected_view_is_named_with_what_to_click(book: FakeBook, monkeypatch, capsys) -> None:
    import xlwings

    def caller(cls: Any) -> FakeBook:  # as xlwings: the book is looked up among the open ones
        if book not in book.app.books:
            raise FakeComError("Invalid index.", -2147352565)
        return book

    monkeypatch.setattr(xlwings.Book, "caller", classmethod(caller))
    monkeypatch.setattr(xlwings, "apps", types.SimpleNamespace(active=book.app))
    window = book.app.open_protected(book)
    with pytest.raises(SystemExit) as exc:
        kpi_compute.main()
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert f"「{book.name}」处于「受保护的视图」" in err and "启用编辑" in err
    with pytest.raises(FakeComError, match="sandboxed"):  # and the window's workbook refuses changes
        window.Workbook.sheets[0].range("A1").value = 1
    assert SANDBOXED in str(FakeComError(SANDBOXED))

    book.app.api.ProtectedViewWindows.clear()  # 启用编辑: the book joins the open books
    book.app.books.append(book)
    book.sandboxed = False
    kpi_compute.main()
    assert book.app.alerts[-1].prompt.startswith("计算完成")


def test_no_workbook_and_no_protected_view_says_open_one_first(monkeypatch, capsys) -> None:
    import xlwings

    monkeypatch.setattr(xlwings, "apps", types.SimpleNamespace(active=FakeBook().app))
    with pytest.raises(SystemExit):
        kpi_compute.main()
    assert "请先打开考核工作簿" in capsys.readouterr().err


# -- Chinese characters and spaces in paths ---------------------------------------------------


def test_folders_and_names_with_chinese_and_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "人事部 考核资料" / "2026 年 第四季度"
    folder.mkdir(parents=True)
    path = folder / "绩效考核 表（运营部）.xlsx"
    shutil.copyfile(sample_workbook(tmp_path), path)
    book = FakeBook.from_xlsx(path)
    assert kpi_addin.compute(book).ok
    with FileSource(path) as source:
        want = compute(source).block("scores").rows
    assert book.values(SCORES)[2][:4] == list(want[2][:4])
    first = kpi_addin.new_period(book)
    assert first.ok and first.path.parent == folder and first.path.is_file()
    assert str(first.path) in book.app.alerts[-1].prompt  # the full path, as it is, in the message
    second = kpi_addin.new_period(book)
    assert second.path.name == first.path.stem + " (2).xlsx" and second.path.is_file()
    with FileSource(second.path) as source:
        assert compute(source).period == "2027-Q1"


def test_the_error_log_in_a_temp_folder_with_chinese_and_spaces(book: FakeBook, tmp_path: Path, monkeypatch) -> None:
    temp = tmp_path / "张 三" / "AppData Local Temp"
    temp.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("磁盘已满 disk full")

    monkeypatch.setattr(adapter, "write_block", boom)
    report = kpi_addin.compute(book)
    assert not report.ok and report.log is not None and report.log.is_file()
    assert temp in report.log.parents and str(report.log) in book.app.alerts[-1].prompt
    assert "磁盘已满" in report.log.read_text(encoding="utf-8")
    report.log.unlink()


# -- Chinese text in message boxes ------------------------------------------------------------


def test_chinese_and_unusual_text_reaches_the_message_box_intact(book: FakeBook) -> None:
    config = layout().sheet("config")
    book.sheets[config].range(scheme_cell(book.values(config), "conversion_rate", "weight")).value = "很多😀（全角）"
    report = kpi_addin.compute(book)
    (alert,) = book.app.alerts
    assert not report.ok and alert.prompt == report.message
    assert "很多😀（全角）" in alert.prompt and "指标配置" in alert.prompt and len(alert.prompt) <= kpi_addin.MAX_MESSAGE


@pytest.mark.parametrize(("codepage", "decoded"), [
    ("cp936", "zh"),  # Chinese Windows: GBK
    ("cp65001", "zh"),  # Windows with "Beta: Use Unicode UTF-8 for worldwide language support"
    ("cp1252", "en"),  # Western Windows: no Chinese in the code page, the English text instead
])
def test_the_last_resort_message_is_in_the_code_page_the_vba_reads(monkeypatch, capsysbinary, codepage: str,
                                                                   decoded: str) -> None:
    monkeypatch.setattr(xe, "ansi_codepage", lambda: codepage)
    with pytest.raises(SystemExit):  # no Excel here: no workbook, no message box; the VBA shows stderr
        kpi_compute.main()
    text = capsysbinary.readouterr().err.decode(codepage)
    assert text.strip() == tr("addin.no_book", decoded)


def test_a_failed_message_box_falls_back_to_the_vba_in_its_code_page(book: FakeBook, monkeypatch,
                                                                     capsysbinary) -> None:
    monkeypatch.setattr(xe, "ansi_codepage", lambda: "cp936")
    book.app.fail_alert = True
    with pytest.raises(SystemExit):
        kpi_addin.compute(book)
    assert capsysbinary.readouterr().err.decode("gbk").startswith("计算完成")


def test_the_vba_reads_pythons_output_line_by_line_in_the_ansi_code_page() -> None:
    """The premise of console_bytes, read from the template's own VBA: ShowError shows the
    output file through ReadFile, which uses ``Open … For Input`` and ``Line Input`` (VBA's
    byte-to-text conversion in the system code page), not an encoding-aware reader."""
    from oletools import olevba

    parser = olevba.VBA_Parser(str(addin_build.template_path()))
    try:
        code = "\n".join(c for _, _, _, c in parser.extract_macros())
    finally:
        parser.close()
    read_file = code[code.index("Function ReadFile"):]
    read_file = read_file[:read_file.index("End Function")]
    assert "For Input As" in read_file and "Line Input" in read_file
    assert "ADODB.Stream" not in read_file and "Charset" not in read_file
    assert "2> " in code and "ShowError(LOG_FILE)" in code.replace("Call ShowError(LOG_FILE)", "ShowError(LOG_FILE)")
