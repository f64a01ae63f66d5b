"""The export columns on the sheet 指标配置 (table #sources): written, read back, edited by HR (a new
BI tool is a line, not code), a bad line located to its cell, an older workbook without the table;
and the old one-row-per-employee file filling exactly as it always did."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.workbooks import input_sheet_names, table

from kpi_engine import default_scheme
from kpi_workbook.commands.cli import main
from kpi_workbook.commands.demo import sample_file
from kpi_workbook.commands.fill import fill_workbook
from kpi_workbook.pipeline import FileSource, SchemeProblems, load_scheme_from
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.pipeline.roster import read_roster
from kpi_workbook.sheets.book import write_new

CONFIG = layout().sheet("config")


@pytest.fixture
def book(tmp_path) -> Path:
    return write_new(tmp_path / "kpi.xlsx", "2026-Q4", roster=read_roster(sample_file("roster.csv")))


def sources_table(ws) -> tuple[int, dict[str, int], int]:
    """(id row, field id -> column, first blank row) of the #sources table."""
    title = next(c.row for c in ws["A"] if c.value == "#sources")
    ids = {ws.cell(title + 2, c).value: c for c in range(1, 12) if ws.cell(title + 2, c).value}
    r = title + 3
    while ws.cell(r, 1).value:
        r += 1
    return title + 2, ids, r


def read_scheme(path: Path):
    with FileSource(path) as source:
        return load_scheme_from(source)[0]


def test_the_table_reads_back_as_the_shipped_lines(book):
    assert read_scheme(book).sources == default_scheme().sources
    ws = load_workbook(book)[CONFIG]
    _, ids, _ = sources_table(ws)
    assert list(ids) == ["field", "platform", "headers", "use", "input", "formula", "note_zh", "note_en"]


def test_a_new_bi_tool_is_a_line_on_the_sheet(book, tmp_path, capsys):
    wb = load_workbook(book)
    ws = wb[CONFIG]
    _, ids, r = sources_table(ws)
    for key, value in {"field": "sales", "platform": "有赞", "headers": "付款金额|实付金额", "use": "sum",
                       "input": "sales_actual"}.items():
        ws.cell(r, ids[key]).value = value
    wb.save(book)
    data = tmp_path / "youzan.csv"
    data.write_text("店铺名称：星禾天猫旗舰店\n日期,付款金额（元）,访客数\n2026-10-01,10.5,3\n2026-10-02,20,4\n", encoding="utf-8")
    assert main(["fill", str(book), str(data)]) == 0
    got = table(book, input_sheet_names()[0]).set_index("employee_id")
    assert got.at["E1002", "sales_actual"] == 30.5 and got.at["E1002", "uv"] == 7
    assert "实际销售额" in capsys.readouterr().out


def test_a_bad_line_is_reported_at_its_cell(book):
    wb = load_workbook(book)
    ws = wb[CONFIG]
    _, ids, r = sources_table(ws)
    ws.cell(r, ids["field"]).value = "refunds"
    ws.cell(r, ids["headers"]).value = "退款金额"
    ws.cell(r, ids["use"]).value = "average"
    wb.save(book)
    with pytest.raises(SchemeProblems) as info:
        read_scheme(book)
    cells = {(p.cell, p.field) for p in info.value.problems}
    assert any(cell == f"{'ABCDEFGH'[ids['use'] - 1]}{r}" for cell, _ in cells), cells
    assert "未知用法" in info.value.problems[0].problem


def test_an_older_workbook_without_the_table_reads_the_shipped_lines(book):
    wb = load_workbook(book)
    ws = wb[CONFIG]
    id_row, _, r = sources_table(ws)
    ws.delete_rows(id_row - 2, r - id_row + 6)  # the title, labels, ids, lines, spare rows and note
    assert "#sources" not in [c.value for c in ws["A"]]
    wb.save(book)
    assert read_scheme(book).sources == default_scheme().sources


def test_the_help_sheet_says_how_each_export_column_combines(book):
    """说明 lists every export column: sums go to their input, rates and averages are never summed, and
    where a platform's field means something else (生意参谋's conversion is buyers ÷ visitors) it says so."""
    rows = [r for r in load_workbook(book)[layout().sheet("help")].iter_rows(values_only=True)]
    head = rows.index(("平台", "表头名称", "写入输入列", "合并方式", "口径说明", None))
    lines = {(r[0], r[1]): r for r in rows[head + 1:] if r[0]}
    assert lines[("生意参谋", "访客数")][2:4] == ("本期UV", "按日、按店铺相加")
    assert "比平台按整个期间去重的访客数大" in lines[("生意参谋", "访客数")][4]
    conversion = lines[("生意参谋", "支付转化率")]
    assert conversion[2] is None and conversion[3] == "不相加，不写入"
    assert "支付买家数 ÷ 访客数" in conversion[4]
    assert lines[("各平台", "客单价")][3] == "不相加，不写入"
    assert lines[("京东商智", "成交客户数")][2] == "（不写入）"
    assert len([k for k in lines if k in {(s.platform or "各平台", " | ".join(s.headers))
                                          for s in default_scheme().sources}]) == len(default_scheme().sources)


# ---------------------------------------------------------------- the old per-employee file
def test_the_per_employee_csv_fills_exactly_as_it_always_did(book):
    """Each input cell of an employee is the CSV's value (numbers as numbers, whole ones as int, text as
    typed, a blank leaves the cell alone); nothing else changes. The rule kpi fill always had, but for
    a choice's id, written as the Chinese book's drop-down offers it (apparel → 服装; issue 14 item 6)."""
    before = load_workbook(book)
    report = fill_workbook(book, sample_file("metrics_2026Q4.csv"))
    after = load_workbook(book)
    with open(sample_file("metrics_2026Q4.csv"), encoding="utf-8-sig", newline="") as fh:
        rows = {r["employee_id"]: r for r in csv.DictReader(fh)}
    numeric = {f.id for f in default_scheme().inputs if f.numeric}
    choices = {f.id: f.choices for f in default_scheme().inputs if f.choices}
    expected_writes = 0
    for sheet in input_sheet_names():
        old, new = before[sheet], after[sheet]
        ids = [c.value for c in new[2]]
        assert new.max_row == old.max_row and new.max_column == old.max_column
        for r in range(1, new.max_row + 1):
            eid = new.cell(r, 1).value
            for c, fid in enumerate(ids, 1):
                got, was = new.cell(r, c).value, old.cell(r, c).value
                text = rows.get(eid, {}).get(fid, "") if r > 2 and fid != "employee_id" else ""
                if text == "":
                    assert got == was, (sheet, r, fid)
                    continue
                expected_writes += 1
                if fid in numeric:
                    try:
                        want = float(text)
                    except ValueError:
                        want = text  # kept as typed, for compute to report ("待补充")
                    if isinstance(want, float) and want.is_integer():
                        want = int(want)
                        assert isinstance(got, int), (sheet, r, fid, got)
                else:
                    want = choices[fid][text][0] if text in choices.get(fid, {}) else text
                assert got == want, (sheet, r, fid, got, want)
    assert report.cells_written == expected_writes and report.employees_matched == 60
    assert not report.errors and not report.unknown_ids and not report.failed()
