"""Issue 8 B: hostile inputs that used to corrupt, lose or hang, each answered clearly.

Every test here failed on the code before the fix (the reason is in its docstring), and checks
the answer, not merely that nothing raised: exit codes, the message's sheet, cell and value,
scores equal to the undamaged workbook's, HR's bytes unchanged.
"""

from __future__ import annotations

import csv
import io
import shutil
import time
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
from conftest import E001
from damaged import FAR_CELL, ROSTER_SHEET, build
from workbooks import sample_workbook

from kpi_engine import SchemeError, default_scheme, scheme_from_dict, score
from kpi_workbook.cli import main

HEADCOUNT = 60


def kpi(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "内部错误" not in out + err, out + err
    return code, out, err


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return sample_workbook(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def baseline(sample, tmp_path_factory) -> dict[str, list[str]]:
    """The scores CSV of the undamaged sample, by employee id."""
    folder = tmp_path_factory.mktemp("baseline")
    path = shutil.copyfile(sample, folder / "base.xlsx")
    assert main(["compute", str(path), "--csv", str(folder / "base.csv")]) == 1  # the sample's planted errors
    return scores_by_id(folder / "base.csv")


def scores_by_id(path: Path) -> dict[str, list[str]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return {r[0]: r[1:] for r in rows[1:]}


# ---------------------------------------------------------------- B1: one far-away cell

def test_one_cell_at_the_end_of_the_grid_costs_nothing(sample, baseline, tmp_path, capsys):
    """Before: every row padded to 16,384 columns; at row 8,192 validate took 1.1 GB and 8.6 s, at
    the last row it died with MemoryError. Now work follows the cells that exist, the far row is
    reported at its cell, and the 60 employees score exactly as without it."""
    path = build("far_cell", sample, tmp_path)
    before = path.read_bytes()
    import kpi_workbook.files  # noqa: F401  (imports are not the file's doing)

    for argv in (["validate", path], ["compute", path, "-o", tmp_path / "out.xlsx", "--csv", tmp_path / "out.csv"],
                 ["next-period", path, "-o", tmp_path / "next.xlsx"]):
        tracemalloc.start()
        start = time.monotonic()
        try:
            code, out, err = kpi(capsys, *argv)
            seconds, (_, peak) = time.monotonic() - start, tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 150 << 20, f"{argv[0]}: {peak >> 20} MB"
        assert seconds < 20, f"{argv[0]}: {seconds:.1f} s"
        if argv[0] == "validate":
            assert code == 1 and f"{ROSTER_SHEET}!A1048576" in out and "工号为空" in out, out
    assert path.read_bytes() == before
    assert scores_by_id(tmp_path / "out.csv") == baseline


def test_fill_touches_only_the_rows_that_exist(sample, tmp_path, capsys):
    """Before: fill walked every row up to the far cell through openpyxl (1 M cells, 640 MB)."""
    from kpi_workbook.demo import sample_file

    path = build("far_cell", sample, tmp_path)
    tracemalloc.start()
    try:
        code, out, _ = kpi(capsys, "fill", path, sample_file("metrics_2026Q4.csv"), "-o", tmp_path / "filled.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 0 and f"匹配员工 {HEADCOUNT} 人" in out
    assert peak < 250 << 20, f"{peak >> 20} MB"


@pytest.mark.parametrize("key, ref", [("beyond_grid_row", "1048577"), ("beyond_grid_column", "XFE900")])
def test_an_address_beyond_excel_is_refused_by_name(key, ref, sample, tmp_path, capsys):
    path = build(key, sample, tmp_path)
    for command in ("validate", "compute", "next-period"):
        code, out, err = kpi(capsys, command, path)
        assert code == 2 and out == ""
        assert path.name in err and f"「{ROSTER_SHEET}」" in err and ref in err and "超出 Excel 范围" in err, err


def test_far_cell_row_reads_as_the_dense_row_it_stands_for(sample, tmp_path):
    from kpi_workbook.file_source import FileSource
    from kpi_workbook.sources import SparseRow, row_values

    with FileSource(build("far_cell", sample, tmp_path)) as source:
        grid = source.read(ROSTER_SHEET)
    assert len(grid) == 1_048_576
    last = grid[-1]
    assert isinstance(last, SparseRow) and len(last) == 16_384
    assert last[16_383] == 1.0 and last[0] is None and last[-1] == 1.0 and list(row_values(last)) == [1.0]
    assert last[16_380:] == [None, None, None, 1.0]
    assert FAR_CELL == "XFD1048576"


# ---------------------------------------------------------------- B2: constant zero denominators

def scheme_with(**metrics: str):
    data = default_scheme().to_dict()
    for ind in data["indicators"]:
        if ind["id"] in metrics:
            ind["metric"] = metrics[ind["id"]]
    return data


@pytest.mark.parametrize("text", ["sales_actual / 0", "sales_actual / (1 - 1)", "(uv - uv_prev) / 0",
                                  "sales_actual / min(0, 2)"])
def test_dividing_by_a_constant_zero_is_a_scheme_error(text):
    """Before: accepted, every employee became 数据不完整 and validate counted 0 errors."""
    with pytest.raises(SchemeError) as info:
        scheme_from_dict(scheme_with(sales_achievement=text))
    issue = info.value.issues[0]
    assert (issue.item, issue.field) == ("sales_achievement", "metric") and "always 0" in issue.message_en


@pytest.mark.parametrize("place", ["gate", "flag", "carry"])
def test_constant_zero_is_caught_in_gates_flags_and_carry_formulas(place):
    data = default_scheme().to_dict()
    if place == "gate":
        next(i for i in data["indicators"] if i["id"] == "uv_growth")["gate"]["metric"] = "natural_uv / 0"
        where = ("uv_growth", "gate.metric")
    elif place == "flag":
        data["flags"][0]["when"] = "sales_actual / (2 - 2) < 0.8"
        where = ("sales_review", "when")
    else:
        next(f for f in data["inputs"] if f["id"] == "aov_prev")["carry"] = "sales_actual / 0"
        where = ("aov_prev", "carry")
    with pytest.raises(SchemeError) as info:
        scheme_from_dict(data)
    assert [(i.item, i.field) for i in info.value.issues] == [where]


def test_an_expression_that_is_zero_is_named_with_its_value():
    """Before: sales_actual / (sales_target - sales_target) said 「目标销售额」为 0 beside 1090000."""
    scheme = scheme_from_dict(scheme_with(sales_achievement="sales_actual / (sales_target - sales_target)"))
    result = score(pd.DataFrame([E001, dict(E001, employee_id="E002", inventory_begin=0, inventory_end=0)]), scheme)
    p = result.problems
    expr = p[p.code == "zero_expression"]
    assert list(expr.employee_id) == ["E001", "E002"]
    assert expr.problem.iloc[0] == "「目标销售额 - 目标销售额」的值为 0，无法作为分母，销售额达成率无法计算"
    # both inventories 0: each column named at its own cell, as before
    zero = p[(p.code == "zero_division") & (p.employee_id == "E002")]
    assert set(zero.field) == {"inventory_begin", "inventory_end"}
    assert pd.isna(result.total["E001"]) and pd.isna(result.total["E002"])


def test_validate_reports_a_zero_denominator_in_the_scheme_sheet_at_its_cell(sample, tmp_path, capsys):
    from openpyxl import load_workbook

    path = tmp_path / "zero.xlsx"
    wb = load_workbook(sample)
    ws = wb["指标配置"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "sales_actual / sales_target")
    cell.value = "sales_actual / 0"
    wb.save(path)
    code, out, _ = kpi(capsys, "validate", path)
    assert code == 1 and f"指标配置!{cell.coordinate}" in out and "always 0" not in out, out


# ---------------------------------------------------------------- zip members outside the package

def test_members_named_outside_the_package_are_refused(sample, tmp_path, capsys):
    """Before: ../../evil.txt and /etc/evil.txt were copied into the computed workbook."""
    path = build("unsafe_member_names", sample, tmp_path)
    code, out, err = kpi(capsys, "compute", path, "-o", tmp_path / "out.xlsx")
    assert code == 2 and "不安全的内部文件名" in err and "../../evil.txt" in err and path.name in err
    assert not (tmp_path / "out.xlsx").exists()


# ---------------------------------------------------------------- weak spots: schemes that overflow or nest

@pytest.mark.parametrize("change, where", [
    (lambda d: d["indicators"][0].update(metric="+".join(["sales_actual"] * 16_000)), ("sales_achievement", "metric")),
    (lambda d: d["indicators"][0].update(metric="sales_actual * 1" + "0" * 400), ("sales_achievement", "metric")),
    (lambda d: d["indicators"][0].update(weight=10 ** 400), ("sales_achievement", "weight")),
    (lambda d: d["indicators"][0].update(weight=1e300), ("sales_achievement", "weight")),
    (lambda d: d["lookups"]["turnover_per_quarter"].update(apparel="four"), ("lookups.turnover_per_quarter", "apparel")),
    (lambda d: d["grades"].append({"grade": "E"}), ("grades", "min")),
    (lambda d: d["seasonal"].update(Q2=0), ("seasonal", "Q2")),
    (lambda d: d.update(inputs="not a list"), ("inputs", "")),
])
def test_a_scheme_that_overflows_or_misshapes_is_a_located_scheme_error(change, where):
    """Before: OverflowError, RecursionError, raw ValueError/KeyError ("内部错误"), or a total of inf
    graded S. Now every one is a SchemeError naming the item and field."""
    data = default_scheme().to_dict()
    change(data)
    with pytest.raises(SchemeError) as info:
        scheme_from_dict(data)
    assert where in [(i.item, i.field) for i in info.value.issues], info.value.issues


def test_overflowing_and_deep_cells_in_the_scheme_sheet_are_located(sample, tmp_path, capsys):
    from openpyxl import load_workbook

    path = tmp_path / "hostile_scheme.xlsx"
    wb = load_workbook(sample)
    ws = wb["指标配置"]
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value == "sales_actual / sales_target":
                c.value, cells["metric"] = "+".join(["sales_actual"] * 16_000), c.coordinate
            elif c.value == "each=3; expected_per_quarter=2":
                c.value, cells["params"] = "each=" + "[" * 32_000 + "]" * 32_000, c.coordinate
            elif c.value == "natural_uv / uv >= 0.6; unit=%; label_zh=自然流量占比; label_en=\"Organic traffic share\"":
                cells["gate"] = c.coordinate
    weight = next(c for c in ws["E"] if c.value == 30 and ws.cell(c.row, 1).value == "sales_achievement")
    weight.value, cells["weight"] = "1" + "0" * 400, weight.coordinate
    wb.save(path)
    code, out, _ = kpi(capsys, "validate", path)
    assert code == 1, out
    for key in ("metric", "params", "weight"):
        assert f"指标配置!{cells[key]}" in out, (key, out)
    assert all(len(line) < 400 for line in out.splitlines()), "a 16,000-term formula is echoed whole"
