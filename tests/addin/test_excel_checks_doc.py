"""addin/EXCEL_CHECKS.md stays true: every result it tells the person with Excel to expect is
what the add-in gives on the stand-in for the same steps (planted errors, totals, the cell
function before and after the weight edit, file names), and the comparison tool it uses works.
When a change of the sample data or the scheme sheet moves one of these, this test names it and
the checklist is updated with it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import kpi_addin
import kpi_udf_scheme
import pytest
from openpyxl import load_workbook
from support.fakebook import FakeBook
from support.workbooks import computed_sample, scheme_cell
from support.xlwings_windows import udfs_as_on_windows

from kpi_workbook.commands.files import compute_file
from kpi_workbook.pipeline.layout import layout

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "addin" / "EXCEL_CHECKS.md").read_text(encoding="utf-8")
CONFIG = layout().sheet("config")


def step(n: int) -> str:
    """The text of step ``n`` of the checklist."""
    match = re.search(rf"^{n}\. (.*?)(?=^\d+\. |^## )", DOC, re.S | re.M)
    assert match, f"step {n} not found"
    return match.group(1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """What the checklist's preparation starts from: ``kpi demo``'s workbook, already computed."""
    return computed_sample(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def book(demo: Path, tmp_path: Path) -> FakeBook:
    """``excel.xlsx``: the copy of the demo workbook opened in Excel."""
    return FakeBook.from_xlsx(shutil.copyfile(demo, tmp_path / "excel.xlsx"))


def test_the_sections_and_the_record_line() -> None:
    headings = re.findall(r"^## (.+)$", DOC, re.M)
    assert [h[0] for h in headings if h[0] in "ABCDE"] == list("ABCDE")
    assert "Excel 版本" in DOC and "**结果**" in DOC
    for risk in ("'kpi_compute.xlam'!RibbonMyAddin.RunMain", "一次性导入"):
        assert risk in DOC
    numbers = [int(n) for n in re.findall(r"^(\d+)\. \*\*", DOC, re.M)]
    assert numbers == list(range(1, len(numbers) + 1))


def test_validate_lists_the_planted_errors_the_checklist_names(book: FakeBook) -> None:
    report = kpi_addin.validate(book)
    named = set(re.findall(r"`([^`!]+![A-Z]+\d+)`", step(3)))
    found = {f"{row[0]}!{row[1]}" for row in book.values(layout().sheet("problems"))[2:]}
    assert named == found
    errors, warnings = re.search(r"错误 (\d+) 个，提示 (\d+) 个", step(3)).groups()
    assert f"错误 {errors} 个，提示 {warnings} 个" in report.message


def test_compute_and_the_cell_function_give_the_numbers_the_checklist_names(book: FakeBook, monkeypatch) -> None:
    report = kpi_addin.compute(book)
    text = step(4)
    assert re.search(r"弹窗「(计算完成，结果已写入.*?工作表)」", text).group(1) in report.message
    for fact in re.findall(r"共 \d+ 人|已计分 \d+ 人", text):
        assert fact in report.message
    grades = "  ".join(f"{g}: {n}" for g, n in re.findall(r"([SABCD]) (\d+)", text))
    assert grades in report.message
    values = book.values(layout().sheet("scores"))
    col = {fid: c for c, fid in enumerate(values[1])}  # by the ids of row 2 (得分 gained the final columns)
    scores = {r[0]: r for r in values[2:]}
    total, grade = re.search(r"总分为 ([\d.]+)，等级 ([SABCD])", text).groups()
    assert f"{scores['E1001'][col['total']]:.2f}" == total and scores["E1001"][col["grade"]] == grade

    kpi_udf_scheme.clear()
    with udfs_as_on_windows(monkeypatch) as (udfs, _):
        formula = re.search(r"`=KPI_INDICATOR\(\$A\$2:\$(\w+)\$2,A3:(\w+)3,\"(\w+)\"\)`", step(8))
        last, _, indicator = formula.groups()
        sheet = book.sheets["销售与流量"]
        cell = sheet.enter_udf("R3", udfs.KPI_INDICATOR, sheet.range(f"A2:{last}2"), sheet.range(f"A3:{last}3"), indicator)
        value = lambda: sheet.cells[(cell.row, cell.col)]  # noqa: E731
        before = re.search(r"显示 ([\d.]+)…", step(8)).group(1)
        assert f"{value():.2f}" == before and value() == scores["E1001"][col[indicator]]  # 得分, its column

        address = re.search(r"示例工作簿中为 ([A-Z]+\d+)", step(9)).group(1)
        assert book.sheets[CONFIG].range(address).value == 30  # sales_achievement's weight, as step 9 says
        assert scheme_cell(book.values(CONFIG), "sales_achievement", "weight") == address
        book.sheets[CONFIG].range(address).value = 40
        assert f"{value():.2f}" == before  # step 9: unchanged until 计算
        report = kpi_addin.compute(book)
        after, new_total = re.search(r"变为 ([\d.]+)…，总分 ([\d.]+)", step(10)).groups()
        scores = {r[0]: r for r in book.values(layout().sheet("scores"))[2:]}
        assert f"{value():.2f}" == after and value() == scores["E1001"][col[indicator]]
        assert f"{scores['E1001'][3]:.2f}" == new_total
        grades = re.search(r"等级分布变为 ((?:[SABCD] \d+、?)+)", step(10)).group(1)
        assert "  ".join(f"{g}: {n}" for g, n in re.findall(r"([SABCD]) (\d+)", grades)) in report.message

        book.sheets[CONFIG].range(address).value = "很多"
        book.app.api.CalculateFull()
        assert value().startswith(f"#KPI! 本工作簿的方案有误（{CONFIG}!{address}）") and address in step(11)
    kpi_udf_scheme.clear()


def test_the_next_periods_file_names(book: FakeBook) -> None:
    first, second = kpi_addin.new_period(book), kpi_addin.new_period(book)
    assert first.path.name in step(6) and second.path.name in step(6)
    folder = Path(book.fullname).parent / "人事 资料"
    folder.mkdir()
    other = FakeBook.from_xlsx(shutil.copyfile(book.fullname, folder / "绩效 考核.xlsx"))
    assert kpi_addin.new_period(other).path.name in step(13)


def test_the_comparison_tool_of_step_5(demo: Path, tmp_path: Path) -> None:
    tool = [sys.executable, str(ROOT / "tools" / "compare_workbooks.py"), "--values"]
    assert "compare_workbooks.py --values" in step(5)
    a = shutil.copyfile(demo, tmp_path / "a.xlsx")
    compute_file(a)
    b = shutil.copyfile(a, tmp_path / "b.xlsx")
    compute_file(b)  # again: only the time stamp differs
    same = subprocess.run([*tool, str(a), str(b)], capture_output=True, text=True)
    assert same.returncode == 0 and same.stdout.strip().endswith("0 differences")
    wb = load_workbook(b)
    wb[layout().sheet("scores")]["D3"] = wb[layout().sheet("scores")]["D3"].value + 1e-6
    wb.save(b)
    changed = subprocess.run([*tool, str(a), str(b)], capture_output=True, text=True)
    assert changed.returncode == 1 and "得分!D3" in changed.stdout
