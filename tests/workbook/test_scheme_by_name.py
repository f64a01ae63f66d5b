"""A scheme sheet HR can edit (issue 14, item 4), the issue's exact scenario: adding 商城搜索流量占比
with a formula over Chinese column names, its group by its Chinese name, a threshold "12%", and a
new input column 商城搜索UV that has only its Chinese label (row 2 blank) on 销售与流量.

Hand-worked: 流量与转化 is 20 points for 10 + 5 + 15 + 10 + 5 + 5 (the new one) = 50 nominal ones,
so the new indicator weighs 5 × 20/50 = 2. An employee with 10% of UV from mall search is 2
points under 12%: one whole step of 2, 3 of its 5 nominal points off, score 40, 0.8 points; 13% is
over the target: score 100, 2 points."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from support.workbooks import sample_workbook, sheet_values, table

from kpi_workbook.commands.cli import main
from kpi_workbook.commands.files import compute_file
from kpi_workbook.pipeline.layout import layout

CONFIG, SALES = layout().sheet("config"), layout().inputs[0].name()
NEW = "商城搜索流量占比"


def spare_row(ws, marker: str) -> tuple[dict[str, int], int]:
    """(field id -> column, the first blank row) of a table of 指标配置."""
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == marker)
    cols = {ws.cell(top + 2, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(top + 2, c).value}
    r = top + 3
    while any(ws.cell(r, c).value is not None for c in cols.values()):
        r += 1
    return cols, r


def add_the_indicator(path, formula: str = "商城搜索UV / 本期UV", label: str = "商城搜索UV") -> dict[str, float]:
    """The issue's edit as HR makes it; returns each employee's mall-search share as typed."""
    wb = load_workbook(path)
    ws = wb[CONFIG]
    cols, r = spare_row(ws, "#inputs")
    for field, value in {"name_zh": "商城搜索UV", "kind": "个数", "owner": "销售与流量"}.items():
        ws.cell(r, cols[field]).value = value  # no id: the name is the id
    cols, r = spare_row(ws, "#indicators")
    for field, value in {"name_zh": NEW, "group": "流量与转化", "weight": 5, "rule": "扣分", "check.metric": formula,
                         "check.target": "12%", "check.direction": "低于", "check.gap": "百分点", "check.step": 2,
                         "check.points": 3}.items():
        ws.cell(r, cols[field]).value = value
    sales = wb[SALES]
    ids = [c.value for c in sales[2]]
    col = len(ids) + 1
    sales.cell(1, col).value = label  # its label only: row 2 stays blank
    shares = {}
    for r in range(3, sales.max_row + 1):
        eid, uv = sales.cell(r, ids.index("employee_id") + 1).value, sales.cell(r, ids.index("uv") + 1).value
        if eid is None or not isinstance(uv, (int, float)):
            continue
        share = 0.13 if len(shares) % 4 == 0 else 0.09
        sales.cell(r, col).value = round(uv * share)
        shares[str(eid)] = round(uv * share) / uv
    wb.save(path)
    return shares


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    path = sample_workbook(tmp_path_factory.mktemp("byname"))
    shares = add_the_indicator(path)
    outcome = compute_file(path)
    return path, shares, outcome


def test_the_new_indicator_is_scored_from_the_new_column(computed):
    path, shares, _ = computed
    scores = table(path, layout().sheet("scores")).set_index("employee_id")
    assert NEW in scores.columns  # its id is its name
    checked = 0
    for eid, share in shares.items():
        points = scores.at[eid, NEW]
        if points is None:
            continue  # an employee the sample leaves incomplete
        want = 2.0 if share >= 0.12 else 0.8  # about 3 points under 12%: one step, 3 of 5 off → 40 × 2 / 100
        assert points == pytest.approx(want), eid
        checked += 1
    assert checked > 40
    help_text = "\n".join(str(v) for row in sheet_values(path, layout().sheet("help")) for v in row if v is not None)
    assert NEW in help_text and "商城搜索UV ÷ 本期UV：目标不低于 12%" in help_text


def test_the_column_found_by_its_label_gets_a_suggestion_and_no_nan(computed):
    path, _, outcome = computed
    ws = load_workbook(path)[SALES]
    cell = ws.cell(2, max(c.column for c in ws[1] if c.value is not None)).coordinate
    hint = [p for p in outcome.problems if p.code == "id_by_label"]
    assert [(p.sheet, p.cell, p.severity) for p in hint] == [(SALES, cell, "warning")]
    assert f"建议在 {cell} 填写编号 商城搜索UV" in hint[0].problem
    assert not any("nan" in p.text().lower() for p in outcome.problems)


def test_a_missing_column_says_where_to_add_it_and_never_nan(tmp_path, capsys):
    path = sample_workbook(tmp_path)
    add_the_indicator(path, label="商城搜索访客")  # a label that names no input
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "缺少列「商城搜索UV」" in x)
    assert f"请在「{SALES}」新增一列：第 1 行写「商城搜索UV」，第 2 行写编号 商城搜索UV" in line
    assert "nan" not in out.lower()


def test_refusals_name_the_cell_and_show_a_correct_entry(tmp_path, capsys):
    path = sample_workbook(tmp_path)
    add_the_indicator(path, formula="商城搜索PV / 本期UV")  # no such column
    wb = load_workbook(path)
    cols, r = spare_row(wb[CONFIG], "#indicators")
    cell = wb[CONFIG].cell(r - 1, cols["check.metric"]).coordinate
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    line = next(x for x in (out.out + out.err).splitlines() if f"{CONFIG}!{cell}" in x)
    assert "商城搜索PV" in line and "正确写法如：商城搜索UV / 本期UV" in line
