"""说明 is compute's (issue 14, item 2): rebuilt from the scheme actually used, recorded among the
sheets compute owns, recognised in a book written before it was, and never taken from HR.

The issue's scenario: 支付转化率's weight 15 → 10, 推广费占比's threshold 15% → 12%, and a new
indicator in 指标配置; compute's 说明 shows the new values and the new indicator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.workbooks import ROOT, sample_workbook, sheet_values

from kpi_engine.i18n import tr
from kpi_workbook.commands.files import compute_file
from kpi_workbook.pipeline.file_source import FileSource
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.pipeline.reading import owned_sheets, read_meta
from kpi_workbook.pipeline.scheme_reader import read_config

HELP, CONFIG = layout().sheet("help"), layout().sheet("config")
# a workbook `kpi new` wrote at e2207e0 (2 employees, not computed): 说明 not yet recorded as compute's,
# its rules in a #checks table keyed by English id
LEGACY = ROOT / "tests" / "support" / "data" / "book_before_rule_blocks.xlsx"


def indicator_rows(ws) -> tuple[dict[str, int], dict[str, int], int]:
    """(field id -> column, indicator id -> row, first spare row) of 指标配置's indicators table."""
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "#indicators")
    cols = {ws.cell(top + 2, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(top + 2, c).value}
    rows, r = {}, top + 3
    while ws.cell(r, 1).value != "#note":
        if ws.cell(r, cols["id"]).value:
            rows[ws.cell(r, cols["id"]).value] = r
        r += 1
    spare = max(rows.values()) + 1
    while any(ws.cell(spare, c).value is not None for c in cols.values()):
        spare += 1
    return cols, rows, spare


def help_rows(path: Path) -> list[list]:
    return [[v for v in row] for row in sheet_values(path, HELP)]


def indicator_line(rows: list[list], name: str) -> list:
    return next(row for row in rows if len(row) > 2 and row[2] == name)


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> tuple[Path, list[list]]:
    tmp = tmp_path_factory.mktemp("help")
    path = sample_workbook(tmp)
    before = help_rows(path)
    wb = load_workbook(path)
    ws = wb[CONFIG]
    cols, rows, spare = indicator_rows(ws)
    ws.cell(rows["conversion_rate"], cols["weight"]).value = 10
    ws.cell(rows["promotion_cost_ratio"], cols["check.target"]).value = 0.12
    new = {"name_zh": "自然流量UV占比", "group": "流量与转化", "weight": 5, "rule": "扣分", "check.metric": "自然流量UV / 本期UV",
           "check.target": "70%", "check.direction": "低于", "check.gap": "百分点", "check.step": 5, "check.points": 2}
    for field, value in new.items():
        ws.cell(spare, cols[field]).value = value
    wb.save(path)
    compute_file(path)
    return path, before


def test_the_edit_shows_on_the_rebuilt_help_sheet(edited):
    path, before = edited
    after = help_rows(path)
    # before: 支付转化率 15 of 流量与转化's 45 nominal points scaled to 20; 推广费占比 "不高于 15%"
    assert indicator_line(before, "支付转化率")[3] == pytest.approx(15 * 20 / 45, abs=1e-4)
    assert "目标不高于 15%" in indicator_line(before, "推广费占比")[4]
    assert not any("自然流量UV占比" in str(v) for row in before for v in row)
    # after: 10 + 5 + 10 + 10 + 5 + 5 (the new one) = 45 → 20 again; the threshold 12%; the new indicator
    assert indicator_line(after, "支付转化率")[3] == pytest.approx(10 * 20 / 45, abs=1e-4)
    promo = indicator_line(after, "推广费占比")[4]
    assert "目标不高于 12%" in promo and "15%" not in promo
    new = indicator_line(after, "自然流量UV占比")
    assert new[:2] == ["核心业绩", "流量与转化"] and new[3] == pytest.approx(5 * 20 / 45, abs=1e-4)
    assert "自然流量UV ÷ 本期UV：目标不低于 70%，低于目标每 5 个百分点扣 0.89 分" in new[4]  # 2 × 20/45


def test_the_help_sheet_is_recorded_as_computes_and_says_so(edited):
    path, _ = edited
    with FileSource(path) as source:
        assert HELP in owned_sheets(read_meta(source))
    rows = help_rows(path)
    assert rows[1][0] == tr("help.rebuilt", config=CONFIG) and "备注请写在您自己的工作表中" in rows[1][0]
    # 流量与转化's sum is said once, here, and not in 校验 at every compute
    scaled = [row[0] for row in rows if row[0] and "按比例折算为 20" in str(row[0])]
    assert scaled == ["「流量与转化」的下级权重合计 45，按比例折算为 20：本表与各项原因中的分数都是折算后的分数（× 20/45）。"]
    problems = sheet_values(path, layout().sheet("problems"))
    assert not any("缩放" in str(v) or "45" == str(v) for row in problems for v in row)
    ws = load_workbook(path)[HELP]
    assert ws.protection.sheet


def test_titles_are_one_line_and_wrapped_text_gets_its_height(edited):
    """A title wrapped in column A (20 wide) showed as its first line only; long rule texts in
    column E were cut to one line too."""
    ws = load_workbook(edited[0])[HELP]
    assert not ws["A1"].alignment.wrap_text and len(ws["A1"].value) > 20
    section = next(c for c in ws["A"] if c.value == tr("help.new_title"))
    assert not section.alignment.wrap_text
    long = [c for c in ws["E"] if isinstance(c.value, str) and len(c.value) > 40]
    assert long and all(c.alignment.wrap_text for c in long)
    tall = 0
    for c in long:  # 70 wide, a CJK character counts two: every line of the text gets its 15 points
        lines = -(-sum(2 if ord(ch) > 0x2E80 else 1 for ch in c.value) // 69)
        if lines > 1:
            tall += 1
            assert ws.row_dimensions[c.row].height >= 15 * lines, c.value
    assert tall >= 3


def test_the_walk_through_names_the_new_input_step(edited):
    rows = help_rows(edited[0])
    at = next(i for i, row in enumerate(rows) if row[0] == tr("help.new_title"))
    steps = [row[0] for row in rows[at + 1:at + 7]]
    assert steps[0].startswith("1. 新数据列") and "输入列" in steps[0]
    assert "第 2 行的灰色编号可留空" in steps[1] and "12%" in steps[3] and "商城搜索UV / 本期UV" in steps[3]


def test_a_book_written_before_help_was_recorded_gets_it_rebuilt(tmp_path):
    path = tmp_path / "old.xlsx"
    shutil.copyfile(LEGACY, path)
    with FileSource(path) as source:
        assert HELP not in owned_sheets(read_meta(source))  # kpi new did not record it then
        scheme, problems = read_config(source.read(CONFIG), CONFIG)  # its #checks table is read as well
    assert problems == [] and len(scheme.indicator("inventory_turnover").checks) == 2
    old_help = help_rows(path)
    assert old_help[1][0] != tr("help.rebuilt", config=CONFIG)
    compute_file(path)
    assert help_rows(path)[1][0] == tr("help.rebuilt", config=CONFIG)
    with FileSource(path) as source:
        assert HELP in owned_sheets(read_meta(source))


def test_a_help_sheet_with_hrs_notes_is_never_replaced(tmp_path):
    path = tmp_path / "notes.xlsx"
    shutil.copyfile(LEGACY, path)
    wb = load_workbook(path)
    ws = wb[HELP]
    ws.cell(ws.max_row + 2, 1).value = "HR 备注：第四季度起提案按月统计"
    wb.save(path)
    before = help_rows(path)
    outcome = compute_file(path)
    assert help_rows(path) == before
    note = [p for p in outcome.problems if p.code == "help_not_ours"]
    assert len(note) == 1 and note[0].sheet == HELP and note[0].severity == "warning" and "改名或删除" in note[0].problem
    with FileSource(path) as source:
        assert HELP not in owned_sheets(read_meta(source))
