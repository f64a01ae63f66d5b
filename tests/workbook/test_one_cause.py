"""One cause, one message (issue 14 item 5), on the sample workbook as HR damages it in Excel.

The issue's two scenarios, counted: a name pasted into 协作评价!A9 (E1007's row) gave a 61st
employee "已作为新员工加入", 37 errors, 32 of them without a cell, and made E1007 incomplete; a
blank 工号 there gave one clear error and six more without a cell. Each is now the sample's own
problems plus exactly one error, at A9, saying what to type — and E1007 scores as before.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.workbooks import sample_workbook

from kpi_workbook.pipeline import FileSource, compute, validate

COLLAB = "协作评价"
ROSTER = "销售与流量"
E1007_ROW = 9  # E1007 傅超玉 is row 9 of every input sheet of the sample
E1007_NAME = "傅超玉"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return sample_workbook(tmp_path_factory.mktemp("one_cause"))


@pytest.fixture(scope="module")
def baseline(sample):
    with FileSource(sample) as source:
        outcome = compute(source)
    return outcome


def damaged(sample: Path, folder: Path, edits: dict[tuple[str, str], object], delete_row: tuple[str, int] | None = None) -> Path:
    wb = load_workbook(sample)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell] = value
    if delete_row:
        wb[delete_row[0]].delete_rows(delete_row[1])
    out = folder / "damaged.xlsx"
    wb.save(out)
    return out


def new_problems(path: Path, baseline) -> list:
    """The problems of ``path`` that the undamaged sample does not have (same cell, same text)."""
    with FileSource(path) as source:
        problems = validate(source)
    before = {(p.sheet, p.cell, p.problem) for p in baseline.problems}
    return [p for p in problems if (p.sheet, p.cell, p.problem) not in before]


def score_of(path: Path, eid: str):
    with FileSource(path) as source:
        outcome = compute(source)
    return outcome, outcome.result.total.get(eid)


def test_a_name_pasted_into_the_id_is_one_error_and_the_row_still_counts(sample, baseline, tmp_path):
    path = damaged(sample, tmp_path, {(COLLAB, f"A{E1007_ROW}"): E1007_NAME})
    found = new_problems(path, baseline)
    assert len(found) == 1, [p.text() for p in found]
    p = found[0]
    assert (p.sheet, p.cell, p.severity) == (COLLAB, f"A{E1007_ROW}", "error")
    assert p.problem.startswith(f"「{E1007_NAME}」是姓名，不是工号；花名册中{E1007_NAME}的工号是 E1007")
    assert "改为 E1007" in p.problem
    outcome, total = score_of(path, "E1007")
    assert len(outcome.result.total) == len(baseline.result.total)  # no 61st employee
    assert E1007_NAME not in outcome.result.total.index
    assert math.isclose(total, baseline.result.total["E1007"])  # not made incomplete


def test_a_blank_id_with_its_name_is_one_error_and_the_row_still_counts(sample, baseline, tmp_path):
    path = damaged(sample, tmp_path, {(COLLAB, f"A{E1007_ROW}"): None})
    found = new_problems(path, baseline)
    assert [(p.sheet, p.cell) for p in found] == [(COLLAB, f"A{E1007_ROW}")], [p.text() for p in found]
    assert "工号为空" in found[0].problem and E1007_NAME in found[0].problem and "E1007" in found[0].problem
    _, total = score_of(path, "E1007")
    assert math.isclose(total, baseline.result.total["E1007"])


def test_a_blank_id_and_name_is_one_error_that_says_whose_row_it_may_be(sample, baseline, tmp_path):
    path = damaged(sample, tmp_path, {(COLLAB, f"A{E1007_ROW}"): None, (COLLAB, f"B{E1007_ROW}"): None})
    found = new_problems(path, baseline)
    assert [(p.sheet, p.cell) for p in found] == [(COLLAB, f"A{E1007_ROW}")], [p.text() for p in found]
    assert "工号为空" in found[0].problem and f"E1007（{E1007_NAME}）" in found[0].problem
    assert all(p.cell for p in found)  # not six "为空 (工号 E1007)" without a cell
    outcome, total = score_of(path, "E1007")
    assert total is None or math.isnan(total)  # E1007's collaboration values are really not known
    assert len(outcome.result.total) == len(baseline.result.total)


def test_a_mistyped_id_names_the_closest_roster_id_and_name(sample, baseline, tmp_path):
    path = damaged(sample, tmp_path, {(COLLAB, f"A{E1007_ROW}"): "E1O07", (COLLAB, f"B{E1007_ROW}"): None})
    found = new_problems(path, baseline)
    assert len(found) == 1, [p.text() for p in found]
    assert found[0].cell == f"A{E1007_ROW}" and "E1O07" in found[0].problem
    assert f"最接近的是 E1007（{E1007_NAME}）" in found[0].problem


def test_a_mistyped_id_with_the_right_name_counts_for_that_employee(sample, baseline, tmp_path):
    path = damaged(sample, tmp_path, {(COLLAB, f"A{E1007_ROW}"): "E1O07"})
    found = new_problems(path, baseline)
    assert len(found) == 1 and found[0].cell == f"A{E1007_ROW}", [p.text() for p in found]
    assert "E1O07" in found[0].problem and "已计入 E1007" in found[0].problem
    _, total = score_of(path, "E1007")
    assert math.isclose(total, baseline.result.total["E1007"])


def test_rows_failing_for_the_same_cause_are_one_message(sample, baseline, tmp_path):
    """Two stray rows below the data with no 工号 and no name, and two with unknown ids."""
    edits = {(COLLAB, "F80"): 7, (COLLAB, "F81"): 8, ("合规记录", "A80"): "X-1", ("合规记录", "A81"): "Y-2"}
    found = new_problems(damaged(sample, tmp_path, edits), baseline)
    assert len(found) == 2, [p.text() for p in found]
    blank = next(p for p in found if p.sheet == COLLAB)
    assert blank.cell == "A80" and "A81" in blank.problem and "工号为空" in blank.problem
    unknown = next(p for p in found if p.sheet == "合规记录")
    assert unknown.cell == "A80" and "X-1" in unknown.problem and "Y-2" in unknown.problem and "A81" in unknown.problem


def test_an_employee_without_a_row_on_a_sheet_is_one_message(sample, baseline, tmp_path):
    found = new_problems(damaged(sample, tmp_path, {}, delete_row=(COLLAB, E1007_ROW)), baseline)
    mine = [p for p in found if p.employee_id == "E1007" or "E1007" in p.problem]
    assert len(mine) == 1, [p.text() for p in found]
    assert mine[0].sheet == COLLAB and "E1007" in mine[0].problem and E1007_NAME in mine[0].problem
    assert "设计协作评分" in mine[0].problem and "资源到位率" in mine[0].problem


def test_a_wrong_id_on_the_roster_is_one_message_at_the_roster_cell(sample, baseline, tmp_path):
    """The roster says E10O3 where the four other sheets say E1003: one error at the roster's cell."""
    found = new_problems(damaged(sample, tmp_path, {(ROSTER, "A5"): "E10O3"}), baseline)
    assert [(p.sheet, p.cell) for p in found] == [(ROSTER, "A5")], [p.text() for p in found]
    assert "E10O3" in found[0].problem and "E1003" in found[0].problem


def test_a_blank_id_on_the_roster_says_what_the_other_sheets_call_it(sample, baseline, tmp_path):
    found = new_problems(damaged(sample, tmp_path, {(ROSTER, "A5"): None}), baseline)
    assert [(p.sheet, p.cell) for p in found] == [(ROSTER, "A5")], [p.text() for p in found]
    assert "工号为空" in found[0].problem and "E1003" in found[0].problem


def test_a_name_on_the_roster_is_one_message_that_gives_the_id(sample, baseline, tmp_path):
    found = new_problems(damaged(sample, tmp_path, {(ROSTER, f"A{E1007_ROW}"): E1007_NAME}), baseline)
    assert [(p.sheet, p.cell) for p in found] == [(ROSTER, f"A{E1007_ROW}")], [p.text() for p in found]
    assert "是姓名，不是工号" in found[0].problem and "E1007" in found[0].problem


def test_a_deleted_sheet_is_one_message_naming_its_columns(sample, baseline, tmp_path):
    wb = load_workbook(sample)
    del wb["成本与时效"]
    path = tmp_path / "no_cost.xlsx"
    wb.save(path)
    found = new_problems(path, baseline)
    columns = [p for p in found if p.code == "missing_column"]
    assert len(columns) == 1 and "推广费用" in columns[0].problem and "问题处理超时次数" in columns[0].problem
    assert all(p.employee_id is None for p in columns)  # not "(工号/ID nan)"


def test_english_messages_too(sample, baseline, tmp_path):
    path = damaged(sample, tmp_path, {(COLLAB, f"A{E1007_ROW}"): E1007_NAME})
    with FileSource(path) as source:
        problems = validate(source, lang="en")
    mine = [p for p in problems if p.cell == f"A{E1007_ROW}" and p.sheet == COLLAB]
    assert len(mine) == 1 and "is a name, not an employee ID" in mine[0].problem
    assert not re.search(r"[\u4e00-\u9fff]", mine[0].problem.replace(E1007_NAME, "").replace(COLLAB, ""))


def test_a_sheet_not_filled_in_yet_is_one_message(sample, baseline, tmp_path):
    """协作评价 with its rows deleted: one message for the sheet, not one (or six) per employee."""
    wb = load_workbook(sample)
    wb[COLLAB].delete_rows(3, 100)
    path = tmp_path / "empty.xlsx"
    wb.save(path)
    found = [p for p in new_problems(path, baseline) if p.sheet == COLLAB]
    assert len(found) == 1, [p.text() for p in found]
    assert "60" in found[0].problem and "E1001" in found[0].problem
