"""`kpi fill` from the platforms' exports: the sample quarter fills the exact period sums, and every
kind of bad file gets a clear message naming file, row and column, with nothing lost."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from support.package_check import assert_sound_package
from support.samples import SAMPLES, sample_script
from support.workbooks import input_sheet_names, table

from kpi_workbook.commands.cli import main
from kpi_workbook.commands.demo import sample_exports, sample_file, sample_owners
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.pipeline.roster import read_roster
from kpi_workbook.sheets.book import write_new

FIELDS = ("sales_actual", "uv", "pv", "paid_orders")
SALES = input_sheet_names()[0]
LOG = layout().sheet("import_log")


def kpi(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def generator():
    return sample_script("make_exports.py")


def blank_book(folder: Path, owners=None, name: str = "kpi.xlsx") -> Path:
    """The sample roster (with its shops) in a new workbook, nothing filled."""
    return write_new(folder / name, "2026-Q4", roster=read_roster(sample_file("roster.csv")),
                     owners=sample_owners() if owners is None else owners)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    path = blank_book(folder)
    code = main(["fill", str(path), *map(str, sample_exports())])
    return path, code


def test_a_quarter_of_three_platforms_fills_the_exact_sums(filled, generator):
    """Every person's sales, UV, PV and orders are the metrics file's values, which the generator split
    over shops (one, two, a shared one at 60/40 and 50/50) and days (title rows, totals, a day early)."""
    path, code = filled
    assert code == 0
    want = pd.read_csv(sample_file("metrics_2026Q4.csv"), dtype={"employee_id": str}, encoding="utf-8-sig")
    want = want.set_index("employee_id")
    got = table(path, SALES).dropna(subset=["employee_id"]).set_index("employee_id")
    roster = pd.read_csv(sample_file("roster.csv"), dtype=str, encoding="utf-8-sig", keep_default_na=False)
    with_shop = set(roster.employee_id[roster.shops != ""])
    assert len(with_shop) == 52
    for eid in got.index:
        for f in FIELDS:
            if eid in with_shop:
                assert got.at[eid, f] == pytest.approx(float(want.at[eid, f]), abs=1e-9), (eid, f)
            else:
                assert pd.isna(got.at[eid, f]), (eid, f)
    totals = generator.shop_totals(SAMPLES)
    shared = totals["合作天猫店·繁星"]
    assert shared["uv"] % 10 == 0 and shared["uv"] > 0  # the shared shop is in E1004's and E1005's sums


def test_the_report_says_what_was_skipped_and_why(filled, capsys, tmp_path):
    path = shutil.copyfile(blank_book(tmp_path), tmp_path / "again.xlsx")
    code, out, _ = kpi(capsys, "fill", path, *sample_exports())
    assert code == 0
    assert "合计行 1 行" in out and "考核期外 1 行" in out and "2026-09-30" in out  # the early download
    assert "GBK" in out and "京东商智" in out and "抖店罗盘" in out and "生意参谋" in out
    assert "品牌京东自营旗舰店" in out and "未写入" in out and "98765" in out  # the shop nobody owns, with its totals
    assert "支付买家数 ÷ 访客数" in out and "同一访客在不同日期" in out  # the platforms' meaning
    assert out.count("C「浏览量」") == 1  # one line per platform column, not per file


def test_the_import_log_is_fills_and_compute_keeps_it(filled, tmp_path, capsys):
    path = shutil.copyfile(filled[0], tmp_path / "book.xlsx")
    wb = load_workbook(path)
    meta = {r[0]: r[1] for r in wb[layout().sheet("meta")].iter_rows(values_only=True)}
    assert meta["owned_sheets"].split("/") == [layout().sheet("help"), LOG]  # 说明 is ours since kpi new
    rows = list(wb[LOG].iter_rows(values_only=True))
    assert rows[1][:4] == ("time", "kind", "severity", "file")
    files = {r[3] for r in rows[2:] if r[1] == "文件"}
    assert files == {p.name for p in sample_exports()}
    code, _, _ = kpi(capsys, "compute", path)
    assert code == 1  # no targets or other owners' data here: incomplete rows are reported
    wb = load_workbook(path)
    assert LOG in wb.sheetnames and layout().sheet("scores") in wb.sheetnames
    meta = {r[0]: r[1] for r in wb[layout().sheet("meta")].iter_rows(values_only=True)}
    assert LOG in meta["owned_sheets"].split("/") and layout().sheet("help") in meta["owned_sheets"].split("/")
    assert len(meta["owned_sheets"].split("/")) == len(set(meta["owned_sheets"].split("/")))
    # importing the same downloads again replaces their lines instead of adding a second record
    kpi(capsys, "fill", path, *sample_exports())
    again = list(load_workbook(path)[LOG].iter_rows(values_only=True))
    assert len(again) == len(rows)
    assert_sound_package(path)


def test_dry_run_writes_nothing_and_lists_values_with_their_files(tmp_path, capsys):
    path = blank_book(tmp_path)
    before = path.read_bytes()
    code, out, _ = kpi(capsys, "fill", path, *sample_exports(), "--dry-run")
    assert code == 0 and path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpi.xlsx"]
    line = next(x for x in out.splitlines() if x.strip().startswith("E1004") and "本期UV" in x)
    assert "生意参谋_店铺整体日报_" in line and "、" in line  # its own shop's file and the shared shop's


def test_o_never_replaces_a_file_unless_force(tmp_path, capsys):
    path = blank_book(tmp_path)
    taken = tmp_path / "out.xlsx"
    taken.write_bytes(b"someone's file")
    code, out, _ = kpi(capsys, "fill", path, sample_exports()[0], "-o", taken)
    assert code == 0 and taken.read_bytes() == b"someone's file"
    assert (tmp_path / "out (2).xlsx").is_file() and "out (2).xlsx" in out
    code, out, _ = kpi(capsys, "fill", path, sample_exports()[0], "-o", taken, "--force")
    assert code == 0 and zipfile.is_zipfile(taken)


# ---------------------------------------------------------------- bad input, one clear message each
def sycm(folder: Path, name: str, rows: list[list], head=("统计日期", "访客数", "支付金额(元)"), title=("店铺名称：云锦天猫旗舰店",),
         encoding="utf-8-sig") -> Path:
    path = folder / name
    lines = [",".join(title)] + [",".join(head)] + [",".join(str(v) for v in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_a_gbk_csv_with_text_numbers_and_a_dash_is_read(tmp_path, capsys):
    path = blank_book(tmp_path)
    data = sycm(tmp_path, "gbk.csv", [["2026-10-01", '"1,200"', '"1,234.50"'], ["2026/10/02", "-", "10"],
                                      ["20261003", "5", "3.21万"], ["合计", "1205", "33744.5"]], encoding="gbk")
    code, out, _ = kpi(capsys, "fill", path, data)
    assert code == 0 and "GBK" in out and "合计行 1 行" in out
    got = table(path, SALES).set_index("employee_id")
    assert got.at["E1001", "uv"] == 1205 and got.at["E1001", "sales_actual"] == pytest.approx(1234.5 + 10 + 32100)


def test_an_xls_download_is_read_like_the_generator_wrote_it(generator):
    from kpi_engine import default_scheme
    from kpi_workbook.pipeline.exports import read_export

    xls = next(p for p in sample_exports() if p.suffix == ".xls")
    f = read_export(xls, default_scheme())
    grid = generator.xls_grid(SAMPLES)
    assert f.header_row == 5 and [str(h) for h in f.headers] == grid[4]
    assert f.title_shop() == generator.XLS_SHOP
    for (_, row), want in zip(f.rows, grid[5:]):
        for got, w in zip(row, want):
            assert got == pytest.approx(w) if isinstance(w, float) else str(got if not isinstance(got, float) or
                                                                            not got.is_integer() else int(got)) == str(w)


def test_an_empty_file_and_a_file_without_header_are_named(tmp_path, capsys):
    path = blank_book(tmp_path)
    before = path.read_bytes()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    notes = tmp_path / "notes.csv"
    notes.write_text("some notes\nnothing here\n", encoding="utf-8")
    code, out, err = kpi(capsys, "fill", path, empty, notes)
    assert code == 1 and err == ""
    assert "empty.csv 是空文件" in out and "notes.csv 中找不到表头行" in out and "some notes" in out
    assert path.read_bytes() == before  # nothing to write: the workbook is left alone


def test_an_export_of_the_wrong_period_is_refused_with_its_dates(tmp_path, capsys):
    path = blank_book(tmp_path)
    before = path.read_bytes()
    data = sycm(tmp_path, "q3.csv", [["2026-07-01", 5, 5], ["2026-09-30", 6, 6]])
    code, out, _ = kpi(capsys, "fill", path, data)
    assert code == 1 and path.read_bytes() == before
    assert "q3.csv 的全部 2 行日期（2026-07-01 至 2026-09-30）都不在考核期 2026-Q4" in out


def test_an_unknown_column_is_reported_and_the_rest_imported(tmp_path, capsys):
    path = blank_book(tmp_path)
    data = sycm(tmp_path, "x.csv", [["2026-10-01", 7, 1, 9]], head=("统计日期", "访客数", "支付金额", "退款金额"))
    code, out, _ = kpi(capsys, "fill", path, data)
    assert code == 0 and "未识别的列" in out and "D「退款金额」" in out
    assert table(path, SALES).set_index("employee_id").at["E1001", "uv"] == 7


def test_a_bad_date_and_a_bad_number_name_file_row_and_column(tmp_path, capsys):
    path = blank_book(tmp_path)
    data = sycm(tmp_path, "bad.csv", [["2026-10-01", 7, "abc"], ["10月2日", 8, 1], ["2026-10-03", 9, 2]])
    code, out, _ = kpi(capsys, "fill", path, data)
    assert code == 1
    assert "bad.csv 第 3 行 C「支付金额(元)」 的值「abc」不是数字" in out
    assert "bad.csv 第 4 行 A「统计日期」 的日期「10月2日」无法识别" in out
    got = table(path, SALES).set_index("employee_id")
    assert got.at["E1001", "uv"] == 7 + 9 and got.at["E1001", "sales_actual"] == 2  # the rest of each row is used


def test_a_shop_nobody_owns_is_reported_with_its_totals(tmp_path, capsys):
    path = blank_book(tmp_path)
    data = sycm(tmp_path, "x.csv", [["2026-10-01", 7, 100], ["2026-10-02", 8, 50.5]], title=("店铺名称：无主小店",))
    code, out, _ = kpi(capsys, "fill", path, data)
    assert code == 1  # nothing else was written
    assert "店铺「无主小店」" in out and "本期UV 15" in out and "实际销售额 150.5" in out and "x.csv" in out


def test_a_shop_owned_twice_without_shares_names_both(tmp_path, capsys):
    path = blank_book(tmp_path, owners=[])  # the shared shops' shares left out: two 店铺 cells name them
    data = sycm(tmp_path, "x.csv", [["2026-10-01", 7, 100]], title=("店铺名称：合作天猫店·繁星",))
    code, out, _ = kpi(capsys, "fill", path, data)
    assert code == 1
    line = next(x for x in out.splitlines() if "同时属于" in x)
    assert "E1004" in line and "E1005" in line and "店铺归属" in line
    assert "本期UV 7" in out  # its totals are reported, not lost


def test_shares_that_do_not_add_up_are_refused(tmp_path, capsys):
    path = blank_book(tmp_path, owners=[("合作天猫店·繁星", "E1004", 0.6), ("合作天猫店·繁星", "E1005", 0.3)])
    data = sycm(tmp_path, "x.csv", [["2026-10-01", 7, 100]], title=("店铺名称：合作天猫店·繁星",))
    code, out, _ = kpi(capsys, "fill", path, data)
    assert code == 1 and "份额合计为 0.9，应为 1" in out and "店铺归属!C" in out


def test_the_same_shop_and_day_in_two_files_is_a_conflict(tmp_path, capsys):
    path = blank_book(tmp_path)
    a = sycm(tmp_path, "a.csv", [["2026-10-01", 7, 100], ["2026-10-02", 5, 5]])
    b = sycm(tmp_path, "b.csv", [["2026-10-01", 7, 120]])
    code, out, _ = kpi(capsys, "fill", path, a, b)
    assert code == 1
    line = next(x for x in out.splitlines() if "不一致" in x)
    assert "a.csv 第 3 行为 100" in line and "b.csv 第 3 行为 120" in line and "E1001" in line
    got = table(path, SALES).set_index("employee_id")
    assert got.at["E1001", "uv"] == 12 and pd.isna(got.at["E1001", "sales_actual"])  # the duplicate day counted once


def test_shop_from_the_command_line_or_the_file_name(tmp_path, capsys):
    path = blank_book(tmp_path)
    plain = sycm(tmp_path, "plain.csv", [["2026-10-01", 7, 100]], title=("店铺整体日报",))
    code, out, _ = kpi(capsys, "fill", path, plain)
    assert code == 1 and "--shop" in out
    code, out, _ = kpi(capsys, "fill", path, plain, "--shop", "星禾天猫旗舰店")
    assert code == 0 and "取自 --shop" in out
    named = sycm(tmp_path, "山岚天猫旗舰店_日报.csv", [["2026-10-01", 3, 1]], title=("店铺整体日报",))
    code, out, _ = kpi(capsys, "fill", path, named)
    assert code == 0 and "取自文件名" in out
    got = table(path, SALES).set_index("employee_id")
    assert got.at["E1002", "uv"] == 7
    owner = next(e for e, s in zip(got.index, got["shops"]) if s and "山岚天猫旗舰店" in s)
    assert got.at[owner, "uv"] == 3


def test_a_file_of_another_type_or_missing_stops_before_anything(tmp_path, capsys):
    path = blank_book(tmp_path)
    before = path.read_bytes()
    other = tmp_path / "data.json"
    other.write_text("{}")
    code, _, err = kpi(capsys, "fill", path, sample_exports()[0], other)
    assert code == 2 and "data.json" in err and ".xls" in err
    code, _, err = kpi(capsys, "fill", path, tmp_path / "missing.csv")
    assert code == 2 and "missing.csv" in err
    assert path.read_bytes() == before


def test_an_hr_sheet_called_import_log_is_never_touched(tmp_path, capsys):
    path = blank_book(tmp_path)
    wb = load_workbook(path)
    wb.create_sheet(LOG)["A1"] = "HR's own notes"
    wb.save(path)
    code, out, _ = kpi(capsys, "fill", path, sample_exports()[0])
    assert code == 0 and "导入记录未写入" in out
    wb = load_workbook(path)
    assert wb[LOG]["A1"].value == "HR's own notes" and wb[LOG].max_row == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_filled_choice_is_the_drop_downs_word(tmp_path: Path, lang: str) -> None:
    """The sample file gives category/product_type as ids (apparel, fmcg); a Chinese book's drop-down
    offers 服装/快消品, so fill writes those (issue 14 item 6); an English book keeps the ids."""
    from support.workbooks import sample_metrics

    from kpi_engine import default_scheme
    from kpi_workbook.commands.fill import fill_workbook

    book = tmp_path / "kpi.xlsx"
    write_new(book, "2026-Q4", roster=read_roster(sample_file("roster.csv")), lang=lang)
    fill_workbook(book, sample_file("metrics_2026Q4.csv"), lang=lang)
    given = sample_metrics().set_index("employee_id")
    scheme = default_scheme()
    for fid in ("category", "product_type"):
        sheet = next(s.name(lang) for s in layout().inputs if fid in table(book, s.name(lang)).columns)
        written = table(book, sheet).dropna(subset=["employee_id"]).set_index("employee_id")[fid]
        choices = scheme.input(fid).choices
        want = {eid: choices[v][0] if lang == "zh" else v for eid, v in given[fid].items()}
        assert written.to_dict() == want
        assert lang == "en" or not set(written) & set(choices)  # no id left in a Chinese book
