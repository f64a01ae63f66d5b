"""The add-in's macros (计算, 校验, 生成下期模板) on a stand-in xlwings Book (tests/fakebook.py).

The sample workbook is built the way HR builds it (template + BI export), opened in the
fake Excel, and the macros run exactly as the ribbon buttons run them.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import kpi_addin
import kpi_compute
import kpi_new_period
import kpi_validate
import kpi_xlwings_adapter as adapter
import pandas as pd
import pytest
from openpyxl import load_workbook
from support.fakebook import FakeBook, FakeComError

from kpi_engine.i18n import tr
from kpi_workbook import pipeline
from kpi_workbook.commands.demo import sample_file
from kpi_workbook.commands.files import compute_file
from kpi_workbook.commands.fill import fill_workbook
from kpi_workbook.pipeline import computing
from kpi_workbook.pipeline.file_source import FileSource
from kpi_workbook.pipeline.layout import PAY_KEY, RESULT_KEYS, layout
from kpi_workbook.pipeline.results import Block
from kpi_workbook.sheets.book import write_new

ROSTER = ["employee_id", "name", "team", "category", "product_type"]


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    """``make(n, folder)``: a copy of a filled (not computed) 2026-Q4 workbook with ``n`` employees."""
    built: dict[int, Path] = {}
    metrics = pd.read_csv(sample_file("metrics_2026Q4.csv"), dtype=str, keep_default_na=False, encoding="utf-8-sig")

    def make(n: int, folder: Path) -> Path:
        if n not in built:
            work = tmp_path_factory.mktemp(f"workbook_{n}")
            rows = metrics.iloc[[i % len(metrics) for i in range(n)]].copy()
            rows["employee_id"] = [f"E{3000 + i}" for i in range(n)]
            export = work / "export.csv"
            rows.to_csv(export, index=False, encoding="utf-8-sig")
            path = work / "kpi_2026-Q4.xlsx"
            write_new(path, "2026-Q4", roster=rows[ROSTER])
            fill_workbook(path, export)
            built[n] = path
        dst = folder / built[n].name
        shutil.copyfile(built[n], dst)
        return dst

    return make


def same(a: Any, b: Any) -> bool:
    """Cell equality as Excel holds values: '' is blank, numbers are doubles."""
    a = None if a == "" else a
    b = None if b == "" else b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def grid_equal(got: list[list[Any]], want: list[list[Any]]) -> bool:
    width = max([len(r) for r in got + want] or [0])
    pad = [r + [None] * (width - len(r)) for r in got]
    exp = [list(r) + [None] * (width - len(r)) for r in want]
    while exp and all(v in (None, "") for v in exp[-1]):
        exp.pop()
    return len(pad) == len(exp) and all(same(x, y) for ra, rb in zip(pad, exp) for x, y in zip(ra, rb))


def without_stamp(rows: list[list[Any]]) -> list[list[Any]]:
    return [r for r in rows if r and r[0] != "computed_at"]


@pytest.fixture
def book(workbooks, tmp_path: Path) -> FakeBook:
    return FakeBook.from_xlsx(workbooks(60, tmp_path))


# -- compute -----------------------------------------------------------------------


def test_compute_writes_the_pipelines_blocks(book: FakeBook, tmp_path: Path) -> None:
    with FileSource(book.fullname) as source:
        expected = pipeline.compute(source)
    report = kpi_addin.compute(book)
    assert report.ok, report.message
    for block in expected.blocks:
        got = book.values(block.sheet)
        want = block.rows
        if block.key == "meta":
            got, want = without_stamp(got), without_stamp(want)
        assert grid_equal(got, want), block.key
    # no text was taken for a formula: the only formulas are 校验's links to cells, ours
    assert all(s.formulas == set(s.links) for s in book.sheets)
    assert any(s.links for s in book.sheets)


def test_compute_matches_the_command_line_file(book: FakeBook, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from kpi_workbook.commands.files import compute_file

    copy = tmp_path / "cli.xlsx"
    shutil.copyfile(book.fullname, copy)
    compute_file(copy)
    kpi_addin.compute(book)
    wb = load_workbook(copy, data_only=True)
    for key in (*RESULT_KEYS, "meta"):
        name = layout().sheet(key)
        rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
        got = book.values(name)
        if key == "meta":
            rows, got = without_stamp(rows), without_stamp(got)
        assert grid_equal(got, rows), key


def test_round_trips_do_not_grow_with_headcount(workbooks, tmp_path: Path) -> None:
    counts = {}
    for n in (10, 200):
        (tmp_path / str(n)).mkdir()
        book = FakeBook.from_xlsx(workbooks(n, tmp_path / str(n)))
        report = kpi_addin.compute(book)
        assert report.ok, report.message
        assert f"共 {n} 人" in report.message
        read_sheets = [name for name, _ in book.read_log]
        assert len(read_sheets) == len(set(read_sheets)) == book.reads  # one read per sheet read
        # one value write per block: 说明, the five results, 绩效工资 (the default scheme's pay is on), the meta
        assert book.writes == len(RESULT_KEYS) + 3
        counts[n] = (book.reads, book.writes, sum(s.format_calls for s in book.sheets),
                     sum(s.charts.created for s in book.sheets))
    assert counts[10] == counts[200]


def test_excel_state_is_restored_and_status_bar_reset(book: FakeBook) -> None:
    kpi_addin.compute(book)
    app = book.app
    assert app.settings == [("screen_updating", False), ("calculation", "manual"),  # off while writing …
                            ("screen_updating", True), ("calculation", "automatic")]  # … and back
    assert app.screen_updating is True and app.calculation == "automatic"
    shown = [s for s in app.status_history if s is not False]
    assert shown and all(s.startswith("KPI 考核：") for s in shown)
    percents = [int(s.rsplit("（", 1)[1].rstrip("%）")) for s in shown]
    assert percents == sorted(percents) and percents[-1] <= 100
    assert app.status_history[-1] is False and app.status_bar is False


def test_result_sheets_protected_meta_very_hidden(book: FakeBook) -> None:
    kpi_addin.compute(book)
    for key in (*RESULT_KEYS, PAY_KEY):
        api = book.sheets[layout().sheet(key)].api
        assert api.ProtectContents and api.calls[-1] == "Protect"  # no password
    assert book.sheets[layout().sheet("meta")].api.Visible == 2
    summary = book.sheets[layout().sheet("summary")]
    # grades, team means, and the grade distribution against the calibration limits
    assert [c.chart_type for c in summary.charts] == ["column_clustered", "bar_clustered", "column_clustered"]
    assert all(c.source and c.x_values and c.title for c in summary.charts)


def test_calibrate_button_proposes_in_scores_and_never_writes_hr_sheet(book: FakeBook) -> None:
    """校准建议: the proposal column in 得分 (kept by a later 计算), 校准 neither written nor read twice."""
    hr = layout().sheet("calibration")
    before = book.values(hr)
    report = kpi_addin.calibrate(book)
    assert report.ok, report.message
    assert "建议等级" in report.message and "共 60 人" in report.message
    ids = book.values(layout().sheet("scores"))[1]
    assert "proposal" in ids
    assert hr not in [name for name, *_ in book.write_log] and book.values(hr) == before
    assert kpi_addin.compute(book).ok
    assert "proposal" in book.values(layout().sheet("scores"))[1]


def test_compute_twice_replaces_results(book: FakeBook) -> None:
    kpi_addin.compute(book)
    names = [s.name for s in book.sheets]
    first = book.values(layout().sheet("scores"))
    report = kpi_addin.compute(book)
    assert report.ok, report.message
    assert [s.name for s in book.sheets] == names
    assert book.values(layout().sheet("scores")) == first
    assert len(book.sheets[layout().sheet("summary")].charts) == 3


def test_the_user_stays_on_their_sheet(book: FakeBook) -> None:
    start = book.sheets[1]
    start.activate()
    kpi_addin.compute(book)
    assert book.active is start


def test_a_failure_mid_way_restores_excel_and_says_where_the_log_is(book: FakeBook, monkeypatch) -> None:
    calls = []
    real = adapter.write_block

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(adapter, "write_block", flaky)
    report = kpi_addin.compute(book)
    app = book.app
    assert not report.ok
    assert app.screen_updating is True and app.calculation == "automatic" and app.status_bar is False
    (alert,) = app.alerts
    assert alert.mode == "critical" and alert.title == "KPI 考核"
    assert "意外错误" in alert.prompt and str(report.log) in alert.prompt
    assert "Traceback" not in alert.prompt and 'File "' not in alert.prompt
    assert report.log is not None and "Traceback" in report.log.read_text(encoding="utf-8")
    assert "disk on fire" in report.log.read_text(encoding="utf-8")
    report.log.unlink()


def test_an_engine_failure_is_caught_too(book: FakeBook, monkeypatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("x")

    monkeypatch.setattr(computing, "score", boom)
    report = kpi_addin.compute(book)
    assert not report.ok and "ZeroDivisionError" in book.app.alerts[0].prompt
    assert book.app.screen_updating is True and book.app.calculation == "automatic"
    report.log.unlink()


def test_a_book_without_inputs_gets_a_chinese_message_and_no_log() -> None:
    book = FakeBook.from_dicts({"Sheet1": [["你好"]]}, fullname="/tmp/other.xlsx")
    report = kpi_addin.compute(book)
    (alert,) = book.app.alerts
    assert not report.ok and report.log is None
    assert alert.mode == "critical" and "计算未完成" in alert.prompt and "输入表" in alert.prompt
    assert book.writes == 0


def test_no_message_box_possible_exits_with_the_message(book: FakeBook, capsys) -> None:
    book.app.fail_alert = True
    with pytest.raises(SystemExit) as exc:
        kpi_addin.compute(book)
    assert exc.value.code == 1
    assert "计算完成" in capsys.readouterr().err


def test_without_excel_the_buttons_say_so(capsys) -> None:
    with pytest.raises(SystemExit):
        kpi_compute.main()  # xlwings.Book.caller() has no Excel here
    assert "请先打开考核工作簿" in capsys.readouterr().err


def test_buttons_run_their_macro_on_the_calling_book(book: FakeBook, monkeypatch) -> None:
    import xlwings

    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: book))
    kpi_compute.main()
    kpi_validate.main()
    assert [a.mode for a in book.app.alerts] == ["info", "info"]
    assert book.app.alerts[0].prompt.startswith("计算完成")
    assert book.app.alerts[1].prompt.startswith("校验完成")
    kpi_new_period.main()
    assert book.app.alerts[2].prompt.startswith("下期")


def test_alert_summarises_headcount_grades_and_problems(book: FakeBook) -> None:
    report = kpi_addin.compute(book)
    prompt = book.app.alerts[0].prompt
    assert "共 60 人" in prompt and "等级分布" in prompt and "校验问题" in prompt
    assert report.message == prompt and len(prompt) < 1024


# -- validate ---------------------------------------------------------------------


def test_validate_writes_only_the_problem_sheet(book: FakeBook) -> None:
    with FileSource(book.fullname) as source:
        expected = pipeline.validate(source)
    before = [s.name for s in book.sheets]
    report = kpi_addin.validate(book)
    name = layout().sheet("problems")
    assert sorted(s.name for s in book.sheets) == sorted(before + [name])
    assert book.writes == 2  # the 校验 sheet, and its record as ours in the hidden meta sheet
    # ours: 说明 since kpi new, the sample's import log (it was filled), and now 校验
    owned = [v for k, v in book.values(layout().sheet("meta")) if k == "owned_sheets"]
    assert len(owned) == 1 and sorted(owned[0].split("/")) == sorted([layout().sheet("help"), layout().sheet("import_log"), name])
    assert len(book.values(name)) == 2 + len(expected)
    errors = sum(p.severity == "error" for p in expected)
    first_error = next(p for p in expected if p.severity == "error")
    assert f"错误 {errors} 个" in report.message and first_error.text() in report.message
    assert book.app.screen_updating is True and book.app.status_bar is False


def test_problem_cells_link_to_their_cells_in_the_same_one_write(book: FakeBook, tmp_path) -> None:
    """校验's cell column links each problem to its cell, as the computed file's hyperlinks do:
    =HYPERLINK formulas written with the block (no call per problem); the cells still read as
    the cell's address; a problem without a cell (a whole column) has no link."""
    kpi_addin.validate(book)
    sheet = book.sheets[layout().sheet("problems")]
    rows = book.values(sheet.name)
    located = {r: f"'{row[0]}'!{row[1]}" for r, row in enumerate(rows[2:], 3) if row[0] and row[1]}
    assert len(located) >= 10  # the sample's planted errors and more
    assert sheet.links == {(r, 2): place for r, place in located.items()}
    assert all(rows[r - 1][1] and not str(rows[r - 1][1]).startswith("=") for r in located)
    assert book.writes == 2  # as before: the links came with the block

    # the same places as the hyperlinks `kpi compute` puts in the file's 校验
    out = tmp_path / "computed.xlsx"
    compute_file(book.fullname, out=out)
    ws = load_workbook(out)[layout().sheet("problems")]
    in_file = {(c.row, c.column): c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    kpi_addin.compute(book)
    assert book.sheets[layout().sheet("problems")].links == in_file


def test_a_link_is_a_formula_of_ours_and_the_text_stays_text() -> None:
    """Quotes in a sheet's name are doubled inside the formula; text a user typed that looks
    like a formula is written behind an apostrophe, never as one."""
    rows = adapter.cell_rows([["表", "单元格"], ['销售"A"', "B7"], ["=1+1", "C3"]])
    linked = adapter.with_links(rows, [["表", "单元格"], ['销售"A"', "B7"], ["=1+1", "C3"]],
                                {(1, 1): "'销售\"A\"'!B7"})
    assert linked[1] == ['\'销售"A"', '=HYPERLINK("#\'销售""A""\'!B7","B7")']
    assert linked[2] == ["'=1+1", "'C3"]


# -- new period -------------------------------------------------------------------


def test_new_period_writes_beside_the_book_and_never_overwrites(book: FakeBook) -> None:
    folder = Path(book.fullname).parent
    first = kpi_addin.new_period(book)
    assert first.ok, first.message
    assert first.path == folder / "kpi_2027-Q1.xlsx" and first.path.is_file()
    assert str(first.path) in book.app.alerts[0].prompt and "2027-Q1" in book.app.alerts[0].prompt
    second = kpi_addin.new_period(book)
    assert second.path == folder / "kpi_2027-Q1 (2).xlsx"
    assert book.writes == 0  # the current workbook is not changed
    with FileSource(first.path) as source:
        assert pipeline.compute(source).period == "2027-Q1"


def test_new_period_of_an_unsaved_book_goes_to_documents(book: FakeBook, tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    unsaved = FakeBook.from_dicts({s.name: s.grid() for s in book.sheets}, fullname="Book1")
    report = kpi_addin.new_period(unsaved)
    assert report.ok, report.message
    assert report.path.parent == home / "Documents"
    assert "还没有保存" in report.message


# -- the adapter on its own ---------------------------------------------------------


def test_strings_stay_text_and_are_never_formulas(tmp_path: Path) -> None:
    book = FakeBook.from_dicts({"Sheet1": [[None]]}, fullname=str(tmp_path / "b.xlsx"))
    rows = [["工号", "值"], ["employee_id", "value"], ["1001", "=1+1"], ["2026-11", "85%"],
            ["TRUE", float("nan")], [dt.datetime(2026, 1, 2), 3]]
    adapter.write_block(book, Block("scores", "得分", rows, header_rows=2), protect=True)
    got = book.values("得分")
    assert got[2] == ["1001", "=1+1"] and got[3] == ["2026-11", "85%"] and got[4] == ["TRUE", None]
    assert got[5] == [dt.datetime(2026, 1, 2), 3.0]
    assert not book.sheets["得分"].formulas
    assert book.writes == 1


def test_reading_gives_the_pipeline_whole_grids(tmp_path: Path) -> None:
    book = FakeBook.from_dicts({"A": [[1, None, "x"], [None, None, None], [1001, "#DIV/0!", None]],
                                "Empty": []}, fullname=str(tmp_path / "b.xlsx"))
    source = adapter.BookSource(book)
    assert source.sheet_names() == ["A", "Empty"]
    assert source.read("A") == [[1.0, None, "x"], [None, None, None], [1001.0, "#DIV/0!", None]]
    assert source.read("Empty") == []
    source.read("A")
    assert book.reads == 2


def test_protected_sheets_are_unprotected_before_writing(tmp_path: Path) -> None:
    book = FakeBook.from_dicts({"得分": [["old"]]}, fullname=str(tmp_path / "b.xlsx"))
    book.sheets["得分"].api.Protect()
    with pytest.raises(FakeComError):
        book.sheets["得分"].range("A1").value = "x"
    adapter.write_block(book, Block("scores", "得分", [["new"]], header_rows=1))
    assert book.values("得分") == [["new"]]


def test_a_password_protected_result_sheet_is_the_users_to_unlock(book: FakeBook) -> None:
    kpi_addin.compute(book)
    scores = book.sheets[layout().sheet("scores")].api
    scores.Unprotect()
    scores.Protect("secret")
    report = kpi_addin.compute(book)
    assert not report.ok and report.log is None
    assert "设置了密码保护" in book.app.alerts[-1].prompt and "撤销工作表保护" in book.app.alerts[-1].prompt


def test_new_sheets_go_after_the_last_visible_sheet(book: FakeBook) -> None:
    last = [s.name for s in book.sheets if s.visible][-1]  # the import log of the sample's fill
    kpi_addin.compute(book)
    names = [s.name for s in book.sheets]
    assert names[-1] == layout().sheet("meta")  # the hidden meta sheet stays last
    assert last == layout().sheet("import_log")
    assert names.index(layout().sheet("scores")) == names.index(last) + 1


def test_traceback_logs_go_to_a_private_folder_in_the_temp_folder(book: FakeBook) -> None:
    paths = []
    for _ in range(2):
        try:
            raise ValueError("boom")
        except ValueError as exc:
            paths.append(kpi_addin.log_traceback("compute", book, exc))
    first, second = paths
    assert first != second  # a new file each time, never one shared name another user could plant
    assert first.parent.parent == Path(tempfile.gettempdir()) and "ValueError: boom" in first.read_text(encoding="utf-8")
    assert first.name.startswith("kpi_addin_compute_")
    if os.name == "posix":
        assert first.stat().st_mode & 0o077 == 0 and first.parent.stat().st_mode & 0o077 == 0
    for path in paths:
        path.unlink()


def test_messages_in_english_for_an_english_workbook(tmp_path: Path) -> None:
    metrics = pd.read_csv(sample_file("metrics_2026Q4.csv"), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rows = metrics.head(5)
    export = tmp_path / "export.csv"
    rows.to_csv(export, index=False, encoding="utf-8-sig")
    path = tmp_path / "kpi_en.xlsx"
    write_new(path, "2026-Q4", roster=rows[ROSTER], lang="en")
    fill_workbook(path, export, lang="en")
    book = FakeBook.from_xlsx(path)
    report = kpi_addin.compute(book)
    assert report.ok and report.message.startswith("Done.") and book.app.alerts[0].title == "KPI appraisal"
    assert all(s.startswith("KPI appraisal: ") for s in book.app.status_history if s is not False)


def test_compute_rebuilds_the_help_sheet_from_the_live_books_scheme(book: FakeBook) -> None:
    """计算 writes 说明 from the scheme it scored with, as the command does: 推广费占比's threshold
    typed as 12% in the open book shows on 说明 (its titles bold, the sheet protected)."""
    config, help_name = layout().sheet("config"), layout().sheet("help")
    grid = book.values(config)
    top = next(r for r, row in enumerate(grid) if row[0] == "#indicators")
    ids = grid[top + 2]
    row = next(r for r in range(top + 3, len(grid)) if grid[r][ids.index("id")] == "promotion_cost_ratio")
    book.sheets[config].range((row + 1, ids.index("check.target") + 1)).value = "12%"
    report = kpi_addin.compute(book)
    assert report.ok, report.message
    lines = book.values(help_name)
    promo = next(line for line in lines if len(line) > 4 and line[2] == "推广费占比")
    assert "目标不高于 12%" in promo[4]
    sheet = book.sheets[help_name]
    assert sheet.bold.get((1, 1)) and not sheet.bold.get((2, 1))  # the title; not the note under it
    assert sheet.api.ProtectContents
    assert [s.name for s in book.sheets][0] == help_name


def test_the_help_sheets_texts_are_wrapped_and_its_titles_run_on(book: FakeBook) -> None:
    """计算's 说明 as the command writes it: the title and section titles on one line (not wrapped,
    so never cut to column A's width), each rule text wrapped in its 70-wide column E and its row
    as tall as its lines (fitted after the widths are set)."""
    kpi_addin.compute(book)
    sheet = book.sheets[layout().sheet("help")]
    title = sheet.range((1, 1))
    assert len(title.value) > 20 and not title.wrap_text
    section = next(r for (r, c), v in sheet.cells.items() if c == 1 and v == tr("help.new_title"))
    assert not sheet.range((section, 1)).wrap_text
    long = [(r, v) for (r, c), v in sheet.cells.items() if c == 5 and isinstance(v, str) and len(v) > 40]
    assert long and all(sheet.range((r, 5)).wrap_text for r, _ in long)
    assert sheet.column_widths[5] == 70
    tall = [(r, v) for r, v in long if sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in v) > 70]
    assert len(tall) >= 3 and all(sheet.row_heights[r] >= 30 for r, _ in tall)


def test_result_titles_wrap_to_their_height_and_value_axes_show_whole_numbers(book: FakeBook) -> None:
    """Issue 14 item 6 in the add-in too: a result sheet's long titles wrap in their column with row 1
    as tall as its lines (fitted after the widths), and every chart's value axis is labelled in whole
    numbers, not linked to the cells' "0.00" ("90.00100.00")."""
    kpi_addin.compute(book)
    sheet = book.sheets[layout().sheet("scores")]
    titles = [(c, v) for (r, c), v in sheet.cells.items() if r == 1 and isinstance(v, str)]
    assert titles and all(sheet.range((1, c)).wrap_text for c, _ in titles)
    lines = max(-(-sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in v)
                  // sheet.column_widths.get(c, 8.43)) for c, v in titles)
    assert lines >= 2 and sheet.row_heights[1] == 15.0 * lines
    charts = [chart for s in book.sheets for chart in s.charts]
    assert len(charts) >= 2
    assert all(chart.value_axis == {"NumberFormatLinked": False, "NumberFormat": "0"} for chart in charts)
