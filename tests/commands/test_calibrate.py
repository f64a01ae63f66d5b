"""Issue 11 in the workbook: HR's 校准 sheet read (never written), its problems at their cells, the
final columns in 得分, the 绩效工资 sheet, ``kpi calibrate`` (a proposal within the limits, in 得分
only, kept by later computes until ``--clear``), and next-period's fresh 校准 sheet.

HR's rows are typed into the sample workbook with openpyxl, as Excel would save them."""

from __future__ import annotations

import math
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from support.damaged import sheet_part
from support.workbooks import sample_workbook, sheet_values, table

from kpi_engine.calibration import allowed
from kpi_workbook.commands.cli import main

CALIB, SCORES, PROBLEMS, PAY = "校准", "得分", "校验", "绩效工资"
LIMITS = ((("S",), 0.10), (("S", "A"), 0.30))  # the default scheme's, rounding floor, per team ≥ 10


def kpi(capsys, *argv: object) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, out + err
    return code, out


def part(path: Path, sheet: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(sheet_part(path, sheet))


@pytest.fixture(scope="module")
def hr_book(tmp_path_factory) -> Path:
    """The sample with HR's rows: columns A 工号 … D 绩效基数, E 调整分, F 最终等级, G 调整原因, H 审批人."""
    path = sample_workbook(tmp_path_factory.mktemp("calibrate"))
    wb = load_workbook(path)
    ws = wb[CALIB]
    assert [c.value for c in ws[2]][:8] == ["employee_id", "name", "team", "pay_base", "adjustment", "final_grade",
                                            "reason", "approver"]
    rows = {r[0].value: r[0].row for r in ws.iter_rows(min_row=3) if r[0].value}
    ws.cell(rows["E1001"], 6, "S")  # an override without a reason
    ws.cell(rows["E1002"], 5, 10)
    ws.cell(rows["E1002"], 7, "申诉成立")
    ws.cell(rows["E1002"], 8, "李经理")
    ws.cell(rows["E1004"], 5, "很多")  # an adjustment that is text
    ws.cell(rows["E1004"], 7, "数据错误")
    ws.cell(rows["E1005"], 4, -1)  # a negative base
    last = max(rows.values()) + 1
    for c, v in enumerate(["E9999", None, None, None, 1, None, "补录"], 1):  # not on the roster
        ws.cell(last, c, v)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def computed(hr_book, tmp_path_factory) -> tuple[Path, bytes, int]:
    path = tmp_path_factory.mktemp("computed") / "book.xlsx"
    shutil.copyfile(hr_book, path)
    before = part(path, CALIB)
    code = main(["compute", str(path)])
    return path, before, code


def test_hr_rows_apply_and_their_problems_are_at_their_cells(computed):
    path, before, code = computed
    assert code == 1 and part(path, CALIB) == before
    scores = table(path, SCORES).set_index("employee_id")
    assert scores.at["E1002", "final_total"] == pytest.approx(scores.at["E1002", "total"] + 10)
    assert scores.at["E1002", "adjustment"] == 10 and scores.at["E1002", "changed_by"] == "李经理"
    for eid in ("E1001", "E1004"):  # not applied
        assert scores.at[eid, "final_grade"] == scores.at[eid, "grade"] and pd.isna(scores.at[eid, "changed_by"])
    problems = table(path, PROBLEMS)
    mine = problems[problems.sheet == CALIB]
    rows = {r[0]: i + 1 for i, r in enumerate(sheet_values(path, CALIB)) if r[0]}
    got = {(r.cell, r.employee_id) for r in mine.itertuples() if r.severity == "错误"}
    assert got == {(f"G{rows['E1001']}", "E1001"), (f"E{rows['E1004']}", "E1004"), (f"D{rows['E1005']}", "E1005"),
                   (f"A{rows['E9999']}", "E9999")}
    breaches = problems[(problems.sheet == "汇总") & (problems.severity == "提示")]
    assert len(breaches) == 4 and all("超出" in p for p in breaches.problem)  # as 汇总 shows: 2 teams × S, S+A


def test_pay_follows_the_final_grade(computed):
    path, _, _ = computed
    scores = table(path, SCORES).set_index("employee_id")
    pay = table(path, PAY)
    pay = pay[pay.employee_id.notna() & pay.employee_id.astype(str).str.startswith("E")].set_index("employee_id")
    base = {r[0]: r[3] for r in sheet_values(path, CALIB)[2:] if r[0]}
    coefficient = {"S": 1.5, "A": 1.2, "B": 1.0, "C": 0.8, "D": 0.5}
    checked = 0
    for eid, row in scores.iterrows():
        grade = row["final_grade"]
        if isinstance(grade, str) and isinstance(base.get(eid), (int, float)) and base[eid] >= 0:
            assert pay.at[eid, "pay"] == pytest.approx(round(base[eid] * coefficient[grade], 2)), eid
            checked += 1
    assert checked >= 50
    assert "E1005" not in pay.index or pay.at["E1005", "pay"] is None or math.isnan(pay.at["E1005", "pay"])


def test_compute_twice_gives_the_same_result(computed, tmp_path):
    path, before, _ = computed
    again = tmp_path / "again.xlsx"
    shutil.copyfile(path, again)
    main(["compute", str(again)])
    for sheet in (SCORES, PAY, "汇总", PROBLEMS):
        assert sheet_values(again, sheet) == sheet_values(path, sheet), sheet
    assert part(again, CALIB) == before


def _within_limits(scores, column: str) -> list[str]:
    """Every breach of the default limits by ``column``'s grades, per team."""
    breaches = []
    graded = scores[scores[column].notna()]
    for team, members in graded.groupby("team"):
        assert len(members) >= 10  # no pooling in the sample
        for grades, share in LIMITS:
            if members[column].isin(grades).sum() > allowed(len(members), share, "floor"):
                breaches.append(f"{team} {'+'.join(grades)}")
    return breaches


def test_calibrate_proposes_within_the_limits_in_scores_only(computed, tmp_path, capsys):
    path, before, _ = computed
    book = tmp_path / "proposed.xlsx"
    shutil.copyfile(path, book)
    assert _within_limits(table(path, SCORES), "final_grade")  # the sample breaches the limits
    code, out = kpi(capsys, "calibrate", book)
    assert code == 1 and "建议等级" in out
    scores = table(book, SCORES)
    assert "proposal" in scores.columns and _within_limits(scores, "proposal") == []
    order = "SABCD"
    for row in scores[scores.proposal.notna()].itertuples():  # never better than the final total's grade
        band = row.final_grade if pd.isna(row.changed_by) else None
        if band:
            assert order.index(row.proposal) >= order.index(band)
    assert part(book, CALIB) == before
    main(["compute", str(book)])  # a later compute keeps the column, from its own data
    assert sheet_values(book, SCORES) == sheet_values(tmp_path / "proposed.xlsx", SCORES)
    assert kpi(capsys, "--lang", "zh", "calibrate", book, "--clear")[0] == 1
    assert "proposal" not in table(book, SCORES).columns
    assert part(book, CALIB) == before


def test_calibrate_into_a_new_file_never_replaces_one(computed, tmp_path, capsys):
    path, _, _ = computed
    taken = tmp_path / "out.xlsx"
    taken.write_bytes(b"mine")
    code, out = kpi(capsys, "calibrate", path, "-o", taken)
    assert taken.read_bytes() == b"mine" and (tmp_path / "out (2).xlsx").is_file() and "out (2).xlsx" in out


def test_next_period_starts_a_fresh_calibration_sheet(computed, tmp_path, capsys):
    path, _, _ = computed
    nxt = tmp_path / "next.xlsx"
    assert kpi(capsys, "next-period", path, "-o", nxt)[0] == 0
    rows = sheet_values(nxt, CALIB)
    assert rows[1][:8] == ["employee_id", "name", "team", "pay_base", "adjustment", "final_grade", "reason",
                           "approver"]
    people = [r for r in rows[2:] if r[0]]
    assert len(people) == 60 and all(v is None for r in people for v in r[3:8])  # the base too: HR types it anew



def test_validate_lists_hr_rows_at_their_cells(hr_book, tmp_path, capsys):
    code, out = kpi(capsys, "validate", hr_book)
    rows = {r[0]: i + 1 for i, r in enumerate(sheet_values(hr_book, CALIB)) if r[0]}
    lines = [line for line in out.splitlines() if f"{CALIB}!" in line]
    assert code == 1 and len(lines) == 4 and any(f"{CALIB}!G{rows['E1001']}:" in line for line in lines)
    # a blank reason is no value, not "nan" (here with a text value in the same problems table)
    path = sample_workbook(tmp_path)
    wb = load_workbook(path)
    ws = wb[CALIB]
    ws["F3"], ws["E4"], ws["G4"] = "S", "abc", "x"
    wb.save(path)
    code, out = kpi(capsys, "validate", path)
    (line,) = [line for line in out.splitlines() if f"{CALIB}!G3:" in line]
    assert code == 1 and "nan" not in line.lower()


def test_an_older_book_without_the_sections_or_the_sheet_computes_with_both_off(tmp_path, capsys):
    path = sample_workbook(tmp_path)
    wb = load_workbook(path)
    ws = wb["指标配置"]
    marks = {c.value: c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("#")}
    first = marks["#calibration"]
    assert max(marks.values()) >= marks["#pay_pools"] > first  # the policy tables are the last ones
    ws.delete_rows(first, ws.max_row - first + 1)
    del wb[CALIB]
    wb.save(path)
    code, out = kpi(capsys, "calibrate", path)
    problems = table(path, PROBLEMS)
    assert code == 1 and "未启用绩效校准" in out
    assert not ((problems.sheet == "指标配置") & (problems.severity == "错误")).any()
    assert PAY not in load_workbook(path, read_only=True).sheetnames
    scores = table(path, SCORES)
    graded = scores[scores.grade.notna()]
    assert (graded.final_grade == graded.grade).all() and (graded.proposal == graded.grade).all()
    assert (graded.final_total == graded.total).all()
    assert not any(row and row[0] == "范围 · 等级" for row in sheet_values(path, "汇总"))


def _pool_book(tmp_path: Path, overrun: str) -> Path:
    """The sample with 天猫一组's pool at 100,000 yuan and the overrun rule ``overrun`` on 指标配置."""
    path = sample_workbook(tmp_path, name=f"pool_{overrun}.xlsx")
    wb = load_workbook(path)
    ws = wb["指标配置"]
    marks = {c.value: c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("#")}
    assert ws.cell(marks["#pay"] + 2, 3).value == "overrun"
    ws.cell(marks["#pay"] + 3, 3, overrun)
    ws.cell(marks["#pay_pools"] + 3, 1, "天猫一组")
    ws.cell(marks["#pay_pools"] + 3, 2, 100000)
    wb.save(path)
    assert main(["compute", str(path)]) == 1
    return path


def _team_rows(path: Path) -> dict[str, tuple]:
    rows = sheet_values(path, PAY)
    head = next(i for i, r in enumerate(rows) if r[0] == "团队")
    return {r[0]: r for r in rows[head + 1:] if r[0]}


def test_a_pool_overrun_is_reported_or_scaled(tmp_path):
    reported = _pool_book(tmp_path, "report")
    before = _team_rows(reported)["天猫一组"]
    problems = table(reported, PROBLEMS)
    (warning,) = [p for p in problems.problem if "奖金池" in str(p)]
    assert "天猫一组" in warning and before[6] == before[7] > 100000 and before[8] == 100000
    lines = table(reported, PAY)
    lines = lines[lines.team == "天猫一组"]
    scaled = _pool_book(tmp_path, "scale")
    after = _team_rows(scaled)["天猫一组"]
    assert after[5] == pytest.approx(100000 / before[7]) and after[6] == pytest.approx(100000, abs=0.1)
    scaled_lines = table(scaled, PAY).set_index("employee_id")
    for row in lines.itertuples():  # each line × pool ÷ sum, to the fen
        if isinstance(row.pay, (int, float)) and not math.isnan(row.pay):
            assert scaled_lines.at[row.employee_id, "pay"] == pytest.approx(round(row.pay * after[5], 2), abs=0.011)
    assert _team_rows(scaled)["抖音组"][5] == 1.0  # a team without a pool is not scaled
