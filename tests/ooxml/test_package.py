"""Zip-level transplant of result sheets: what HR built in Excel must survive byte for byte."""

from __future__ import annotations

import importlib.util
import io
import os
import posixpath
import random
import re
import struct
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import xlsxwriter
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.table import Table
from support.lo import convert, require_soffice
from support.package_check import assert_sound_package
from support.workbooks import png

from kpi_workbook.ooxml import (
    FileBusy,
    FileWriteError,
    NotAWorkbook,
    UnsafeFile,
    check_package,
    file_lock,
    parse_xml,
    transplant_sheets,
)
from kpi_workbook.ooxml import styles as package_styles

OWNED = {"得分", "汇总", "校验", "_kpi_meta", "旧结果", "改进指南"}
STATES = {"_kpi_meta": "veryHidden", "校验": "hidden"}
MAY_CHANGE = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml",
              "docProps/app.xml"}
EXCEL_NS = ('xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
            'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" mc:Ignorable="x15 xr"')
REVISION = '<xr:revisionPtr revIDLastSave="0" documentId="13_ncr:1_{5A3F2C7E-0000-4B1D-9E2A-1234567890AB}"/>'




def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def edit_zip(path: Path, edit: dict[str, bytes]) -> None:
    """Rewrite members of ``path`` (add the new ones at the end)."""
    old = members(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in {**old, **edit}.items():
            zf.writestr(name, data)


def assert_consistent(path: Path) -> None:
    """Every relationship reaches an existing part, every part has a content type, sheets are unique."""
    m = members(path)
    types = ElementTree.fromstring(m["[Content_Types].xml"])
    defaults = {e.get("Extension").lower() for e in types if e.tag.endswith("Default")}
    overrides = {e.get("PartName").lstrip("/") for e in types if e.tag.endswith("Override")}
    assert overrides <= set(m)
    for name, data in m.items():
        if name.endswith(".rels"):
            source = posixpath.dirname(posixpath.dirname(name))
            for rel in ElementTree.fromstring(data):
                if rel.get("TargetMode") != "External":
                    assert posixpath.normpath(posixpath.join(source, rel.get("Target"))).lstrip("/") in m, (name, rel.attrib)
        elif name != "[Content_Types].xml":
            assert name in overrides or name.rsplit(".", 1)[-1].lower() in defaults, name
    book = ElementTree.fromstring(m["xl/workbook.xml"])
    rels = {r.get("Id") for r in ElementTree.fromstring(m["xl/_rels/workbook.xml.rels"])}
    sheets = [e.attrib for e in book.iter() if e.tag.endswith("}sheet")]
    assert all(s["{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"] in rels for s in sheets)
    for key in ("name", "sheetId"):
        assert len({s[key].lower() for s in sheets}) == len(sheets), key
    assert_sound_package(path)  # and namespace-well-formed, mc:Ignorable prefixes declared


def values(path: Path, sheet: str, data_only: bool = False) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about the extensions it cannot read
        wb = openpyxl.load_workbook(path, data_only=data_only)
    return {c.coordinate: c.value for row in wb[sheet].iter_rows() for c in row if c.value is not None}


def load(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def make_hr(path: Path, *, stale: bool = False) -> Path:
    """HR's workbook as XlsxWriter writes it: parts openpyxl would drop; with ``stale``, an .xlsm
    that already holds result sheets from a previous compute, a VBA project and a calc chain."""
    wb = xlsxwriter.Workbook(str(path))
    emp = wb.add_worksheet("员工")
    old_scores = wb.add_worksheet("得分") if stale else None
    old_result = wb.add_worksheet("旧结果") if stale else None
    sales = wb.add_worksheet("销售数据")
    emp.write_row(0, 0, ["工号", "姓名", "1月", "2月", "3月"])
    emp.write_row(1, 0, ["E001", "张三", 1, 5, 3])
    emp.write_row(2, 0, ["E002", "李四", 4, 2, 6])
    emp.write_formula("F3", "=SUM(C3:E3)", None, 12)
    emp.insert_textbox("H2", "数据来自 BI 导出")
    emp.insert_button("H8", {"macro": "say_hello", "caption": "刷新"})
    emp.insert_image("J2", "logo.png", {"image_data": io.BytesIO(png())})
    emp.add_sparkline("G2", {"range": "员工!C2:E2"})
    emp.conditional_format("C2:E3", {"type": "data_bar", "data_bar_2010": True})
    emp.write_comment("A1", "HR 备注：工号不可重复")
    sales.write_row(0, 0, ["区域", "销售额"])
    sales.write_row(1, 0, ["华东", 1234.5])
    sales.add_table("D1:E2", {"name": "SalesTargets", "columns": [{"header": "月份"}, {"header": "目标"}],
                              "data": [["1月", 100]]})
    wb.define_name("销售数据!Region", "=销售数据!$A$2")
    wb.define_name("Total", "=销售数据!$B$2")
    if stale:
        old_scores.write_formula("B2", "=1+1", None, 2)
        old_scores.insert_image("C3", "logo.png", {"image_data": io.BytesIO(png())})  # same media as 员工
        old_result.write("A1", "过期")
        wb.define_name("旧结果!Old", "=旧结果!$A$1")
        sales.activate()
        with zipfile.ZipFile(Path(importlib.util.find_spec("xlwings").origin).parent / "quickstart.xlsm") as zf:
            vba = path.with_name("vbaProject.bin")
            vba.write_bytes(zf.read("xl/vbaProject.bin"))
        wb.add_vba_project(str(vba))
    wb.close()
    if stale:  # look like Excel saved it: mc:Ignorable prefixes, a revision pointer, a calc chain
        m = members(path)
        book = m["xl/workbook.xml"].decode()
        book = book.replace('<workbook xmlns="', f'<workbook {EXCEL_NS} xmlns="', 1)
        book = re.sub(r"(<workbookPr[^>]*/>)", lambda g: g[1] + REVISION, book)
        book = re.sub(r"<calcPr[^>]*/>", '<calcPr calcId="191029"/>', book)  # saved by Excel: values cached
        rels = m["xl/_rels/workbook.xml.rels"].decode().replace("</Relationships>", (
            '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'calcChain" Target="calcChain.xml"/></Relationships>'))
        types = m["[Content_Types].xml"].decode().replace("</Types>", (
            '<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.calcChain+xml"/></Types>'))
        chain = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="http://schemas.'
                 'openxmlformats.org/spreadsheetml/2006/main"><c r="F3" i="1"/><c r="B2" i="2"/></calcChain>')
        edit_zip(path, {"xl/workbook.xml": book.encode(), "xl/_rels/workbook.xml.rels": rels.encode(),
                        "[Content_Types].xml": types.encode(), "xl/calcChain.xml": chain.encode()})
    return path


def make_donor(path: Path) -> Path:
    """The result sheets as the caller builds them with openpyxl."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "得分"
    ws.append(["工号", "姓名", "达成率", "奖金", "总分"])
    ws.append(["E001", "张三", 0.9523, 12000.5, 95.5])
    ws.append(["E002", "李四", 0.87, 8000, 80])
    ws["E4"] = "=SUM(E2:E3)"
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E78")
    for row in range(2, 4):
        ws.cell(row, 3).number_format = "0.00%"
        ws.cell(row, 4).number_format = "¥#,##0"
    ws.auto_filter.ref = "A1:E3"
    summary = wb.create_sheet("汇总")
    for row in (["团队", "平均分"], ["天猫一组", 88.5], ["京东二组", 79.0]):
        summary.append(row)
    chart = BarChart()
    chart.title = "团队平均分"
    chart.add_data(Reference(summary, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    chart.set_categories(Reference(summary, min_col=1, min_row=2, max_row=3))
    summary.add_chart(chart, "D2")
    check = wb.create_sheet("校验")
    check.append(["检查项", "结果"])
    check.append(["工号重复", "无"])
    check.protection.sheet = True
    check.add_table(Table(displayName="Checks", ref="A1:B2"))
    meta = wb.create_sheet("_kpi_meta")
    meta.append(["period", "2026-Q4"])
    wb.create_sheet("草稿")["A1"] = "not owned: stays out"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("books")
    out = {"hr": make_hr(d / "hr.xlsx"), "stale": make_hr(d / "stale.xlsm", stale=True),
           "donor": make_donor(d / "donor.xlsx")}
    out["out"], out["stale_out"] = d / "out.xlsx", d / "stale_out.xlsm"
    transplant_sheets(out["hr"], out["donor"], OWNED, out["out"], states=STATES)
    transplant_sheets(out["stale"], out["donor"], OWNED, out["stale_out"], states=STATES)
    for path in out.values():
        assert_consistent(path)
    return out


def test_every_part_compute_does_not_own_is_byte_identical(books):
    before, after = members(books["hr"]), members(books["out"])
    sheet, drawing = before["xl/worksheets/sheet1.xml"], before["xl/drawings/drawing1.xml"]
    assert b"x14:sparklineGroup" in sheet and b"x14:dataBar" in sheet  # the fixture has what openpyxl drops
    assert b'"Button"' in before["xl/drawings/vmlDrawing1.vml"] and b"txBody" in drawing and b"<xdr:pic>" in drawing
    for name, data in before.items():
        if name not in MAY_CHANGE:
            assert after.get(name) == data, name
    assert set(after) - set(before) >= {"xl/charts/chart1.xml", "xl/worksheets/sheet3.xml"}
    assert not any(b"stays out" in data for data in after.values())  # a donor sheet not in `owned`
    tables = [re.search(rb'<table [^>]*\bid="(\d+)"', data)[1] for name, data in after.items() if "/tables/" in name]
    assert len(tables) == 2 and len(set(tables)) == 2  # table ids are unique across the workbook


def test_result_sheets_read_back_with_values_formats_fonts_and_chart(books):
    wb = load(books["out"])
    assert wb.sheetnames == ["员工", "销售数据", "得分", "汇总", "校验", "_kpi_meta"]
    assert [ws.sheet_state for ws in wb] == ["visible"] * 4 + ["hidden", "veryHidden"]
    scores = wb["得分"]
    assert [c.value for c in scores[2]] == ["E001", "张三", 0.9523, 12000.5, 95.5]
    assert scores["E4"].value == "=SUM(E2:E3)"
    assert scores["A1"].font.b and scores["A1"].fill.fgColor.rgb.endswith("1F4E78")
    assert scores["C2"].number_format == "0.00%" and scores["D3"].number_format == "¥#,##0"
    assert scores["B2"].number_format == "General" and not scores["B2"].font.b
    assert len(wb["汇总"]._charts) == 1 and isinstance(wb["汇总"]._charts[0], BarChart)
    assert wb["校验"].protection.sheet
    assert scores.auto_filter.ref == "A1:E3"
    assert re.search(r'<definedName name="_xlnm._FilterDatabase" localSheetId="2"[^>]*>\'得分\'!\$A\$1:\$E\$3<',
                     members(books["out"])["xl/workbook.xml"].decode())
    for sheet in ("员工", "销售数据"):
        assert values(books["out"], sheet) == values(books["hr"], sheet)


def test_xlsm_replaces_stale_results_in_place_and_keeps_vba(books):
    before, after = members(books["stale"]), members(books["stale_out"])
    owned_parts = {"xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml", "xl/worksheets/_rels/sheet2.xml.rels",
                   "xl/drawings/drawing2.xml", "xl/drawings/_rels/drawing2.xml.rels", "xl/calcChain.xml"}
    assert owned_parts <= set(before)
    for name, data in before.items():
        if name not in MAY_CHANGE | owned_parts:
            assert after.get(name) == data, name
    assert after["xl/media/image1.png"] == before["xl/media/image1.png"]  # shared with the removed drawing
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"] and len(before["xl/vbaProject.bin"]) > 1000
    assert "xl/calcChain.xml" not in after and b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in after["[Content_Types].xml"]
    types = after["[Content_Types].xml"].decode()
    assert 'Extension="bin" ContentType="application/vnd.ms-office.vbaProject"' in types
    assert "sheet.macroEnabled.main+xml" in types
    book = after["xl/workbook.xml"].decode()
    root = re.search(r"<workbook [^>]*>", before["xl/workbook.xml"].decode())[0]
    assert book.count(root) == 1 and REVISION in book  # prefixes and mc:Ignorable survive
    assert '<calcPr calcId="191029" fullCalcOnLoad="1"/>' in book  # our formulas have no cached values
    wb = load(books["stale_out"])
    assert wb.sheetnames == ["员工", "得分", "销售数据", "汇总", "校验", "_kpi_meta"]
    assert wb.active.title == "销售数据"  # activeTab followed its sheet when 旧结果 left
    assert "Region" in wb["销售数据"].defined_names and "Total" in wb.defined_names
    assert not any("Old" in ws.defined_names for ws in wb)
    assert wb["得分"]["B2"].value == "张三" and not wb["得分"]._images


def test_second_compute_gives_the_same_package(books, tmp_path):
    for first in (books["out"], books["stale_out"]):
        again = tmp_path / ("again" + first.suffix)
        transplant_sheets(first, books["donor"], OWNED, again, states=STATES)
        assert members(again) == members(first)
        assert_consistent(again)
        assert len(load(again).sheetnames) == len(load(first).sheetnames)


@pytest.mark.parametrize("book", ["out", "stale_out"])
def test_libreoffice_reads_the_same_values(books, tmp_path, book):
    require_soffice()
    converted = convert(books[book], tmp_path / "lo")
    for sheet in ("员工", "销售数据", "得分", "汇总", "校验", "_kpi_meta"):
        ours, theirs = values(books[book], sheet), values(converted, sheet, data_only=True)
        if sheet == "得分":
            assert ours.pop("E4") == "=SUM(E2:E3)" and theirs.pop("E4") == pytest.approx(175.5)
        if sheet == "员工":
            assert ours.pop("F3") == "=SUM(C3:E3)" and theirs.pop("F3") == 12
        assert theirs.keys() == ours.keys(), sheet
        for key, value in ours.items():
            assert theirs[key] == (pytest.approx(value) if isinstance(value, float) else value), (sheet, key)


def test_shared_strings_become_inline_and_tab_selection_is_dropped(books, tmp_path):
    donor = tmp_path / "xw_donor.xlsx"
    wb = xlsxwriter.Workbook(str(donor))  # XlsxWriter writes shared strings and tabSelected="1"
    ws = wb.add_worksheet("得分")
    ws.write_row(0, 0, ["工号", "备注 <&>"])
    ws.write_rich_string(1, 0, "粗体", wb.add_format({"bold": True}), "加粗", "普通")
    wb.close()
    out = tmp_path / "out.xlsx"
    transplant_sheets(books["hr"], donor, ["得分"], out)
    assert_consistent(out)
    after = members(out)
    assert after["xl/sharedStrings.xml"] == members(books["hr"])["xl/sharedStrings.xml"]
    sheet = after["xl/worksheets/sheet3.xml"].decode()
    assert 't="s"' not in sheet and "tabSelected" not in sheet and "<is><r>" in sheet
    assert values(out, "得分") == {"A1": "工号", "B1": "备注 <&>", "A2": "粗体加粗普通"}


def test_prefixed_namespaces_are_kept(books, tmp_path):
    """Open XML SDK style parts use an 'x:' prefix for the main namespace."""
    hr = tmp_path / "prefixed.xlsx"
    hr.write_bytes(books["hr"].read_bytes())
    m = members(hr)

    def prefix(data: bytes) -> bytes:
        text = re.sub(r"<(/?)(?![?!])(?!\w+:)(\w+)", r"<\1x:\2", data.decode())
        return text.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml', 'xmlns:x="http://schemas.'
                            'openxmlformats.org/spreadsheetml').encode()

    edit_zip(hr, {"xl/workbook.xml": prefix(m["xl/workbook.xml"]), "xl/styles.xml": prefix(m["xl/styles.xml"])})
    out = tmp_path / "out.xlsx"
    transplant_sheets(hr, books["donor"], OWNED, out, states=STATES)
    assert_consistent(out)
    book, styles = members(out)["xl/workbook.xml"].decode(), members(out)["xl/styles.xml"].decode()
    assert "<x:sheet " in book and "<sheet " not in book and "<font>" not in styles and "<x:font>" in styles
    wb = load(out)
    assert wb.sheetnames == ["员工", "销售数据", "得分", "汇总", "校验", "_kpi_meta"]
    assert wb["得分"]["C2"].number_format == "0.00%" and wb["得分"]["A1"].font.b


def test_relationship_prefix_declared_on_each_sheet(books, tmp_path):
    """openpyxl with lxml declares xmlns:r on every <sheet>, not on the root (issue 8): the
    sheets we add must declare what they use, or the file is not namespace-well-formed."""
    hr = tmp_path / "lxml_style.xlsx"
    hr.write_bytes(books["hr"].read_bytes())
    ns_r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    book = members(hr)["xl/workbook.xml"].decode()
    book = book.replace(f' xmlns:r="{ns_r}"', "").replace("<sheet ", f'<sheet xmlns:r="{ns_r}" ')
    assert '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' in book
    edit_zip(hr, {"xl/workbook.xml": book.encode()})
    ElementTree.fromstring(book)  # the input itself is well-formed
    out = tmp_path / "out.xlsx"
    transplant_sheets(hr, books["donor"], OWNED, out, states=STATES)
    after = members(out)["xl/workbook.xml"]
    root = ElementTree.fromstring(after)  # raises "unbound prefix" on the old code
    sheets = [s.get(f"{{{ns_r}}}id") for s in root.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet")]
    assert all(sheets) and len(set(sheets)) == len(sheets)
    assert_consistent(out)
    assert load(out).sheetnames == ["员工", "销售数据", "得分", "汇总", "校验", "_kpi_meta"]


def test_refusals_leave_the_target_untouched(books, tmp_path):
    out = tmp_path / "out.xlsx"
    with pytest.raises(ValueError, match="unknown sheet state"):
        transplant_sheets(books["hr"], books["donor"], OWNED, out, states={"得分": "gone"})
    with pytest.raises(ValueError, match="visible sheet"):  # every remaining sheet would be hidden
        transplant_sheets(books["hr"], books["donor"], OWNED | {"员工", "销售数据"}, out,
                          states={n: "hidden" for n in OWNED})
    assert not out.exists() and os.listdir(tmp_path) == []


def test_failure_half_way_leaves_the_workbook_untouched(books, tmp_path, monkeypatch):
    hr = tmp_path / "hr.xlsx"
    hr.write_bytes(books["hr"].read_bytes())
    original, listing = hr.read_bytes(), sorted(os.listdir(tmp_path))
    real, calls = zipfile.ZipFile.writestr, []

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    with pytest.raises(OSError, match="disk full"):
        transplant_sheets(hr, books["donor"], OWNED, hr, states=STATES)
    assert hr.read_bytes() == original and sorted(os.listdir(tmp_path)) == listing


def test_read_only_file_or_folder_gives_a_clear_error(books, tmp_path):
    hr = tmp_path / "hr.xlsx"
    hr.write_bytes(books["hr"].read_bytes())
    hr.chmod(0o444)
    with pytest.raises(FileWriteError, match="只读.*hr.xlsx|hr.xlsx.*只读"):
        transplant_sheets(hr, books["donor"], OWNED, hr)
    hr.chmod(0o644)
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(FileWriteError, match="read-only"):
            transplant_sheets(hr, books["donor"], OWNED, folder / "out.xlsx")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


def test_second_lock_holder_is_told_the_workbook_is_busy(tmp_path):
    book = tmp_path / "考核.xlsx"
    code = ("import sys; from pathlib import Path; from kpi_workbook.ooxml import file_lock\n"
            "with file_lock(Path(sys.argv[1])):\n    print('locked', flush=True); sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(book)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(FileBusy, match="另一个 kpi 进程.*another kpi process"):
            with file_lock(book, timeout=0):
                pass
        start = time.monotonic()
        with pytest.raises(FileBusy):
            with file_lock(book, timeout=0.3):
                pass
        assert time.monotonic() - start >= 0.3
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    with file_lock(book, timeout=1):
        pass
    assert os.listdir(tmp_path) == []  # the sidecar lock file goes away


# ---------------------------------------------------------------- safety

def _refused_fast(exc: type[Exception], path: Path, **limits) -> str:
    start = time.monotonic()
    with pytest.raises(exc) as info:
        check_package(path, **limits)
    assert time.monotonic() - start < 1
    return str(info.value)


def test_not_a_workbook_is_refused(books, tmp_path):
    csv = tmp_path / "工资.xlsx"
    csv.write_text("工号,姓名\nE001,张三\n", encoding="utf-8")
    assert "/ " in _refused_fast(NotAWorkbook, csv)
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(books["hr"].read_bytes()[:-200])
    _refused_fast(NotAWorkbook, truncated)
    plain = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("readme.txt", "hello")
    _refused_fast(NotAWorkbook, plain)
    check_package(books["hr"])  # and a real one passes


def test_zip_bombs_are_refused_without_unpacking(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            block = bytes(1 << 20)
            for _ in range(64):
                f.write(block)
    assert "zip bomb" in _refused_fast(UnsafeFile, bomb)
    # a central directory that declares 4 GB for a tiny member: refused on sizes alone
    liar = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(liar, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(liar.read_bytes())
    central = data.rindex(b"PK\x01\x02")  # the last central directory entry: xl/workbook.xml
    data[central + 24:central + 28] = struct.pack("<I", 0xFFFF0000)
    liar.write_bytes(bytes(data))
    _refused_fast(UnsafeFile, liar)
    assert "1 MB" in _refused_fast(UnsafeFile, bomb, max_total=1 << 20, ratio_min_size=1 << 30)  # total limit
    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(60):
            zf.writestr(f"x/{i}.xml", "")
    _refused_fast(UnsafeFile, many, max_members=50)


def test_billion_laughs_is_refused(books, tmp_path):
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                     for i in range(1, 10))
           + ']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>')
    with pytest.raises(UnsafeFile, match="billion laughs"):
        parse_xml(lol.encode())
    hostile = tmp_path / "hostile.xlsx"
    hostile.write_bytes(books["hr"].read_bytes())
    styles = members(hostile)["xl/styles.xml"].decode()
    edit_zip(hostile, {"xl/styles.xml": lol.split("<sst")[0].replace("lolz", "styleSheet").encode()
                       + styles.split("?>", 1)[1].encode()})
    with pytest.raises(UnsafeFile):
        transplant_sheets(hostile, books["donor"], OWNED, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


# ---------------------------------------------------------------- the donor sheet rewrite, in chunks

SHARED = ["<t>共享</t>", '<t>dxfId="3"</t>', "<r><rPr><b/></rPr><t>粗</t></r>", "<t>&lt;f&gt;</t>"]
TEXTS = ["张三", 'a s="3" b', 'x dxfId="1"', 'tabSelected="1"', "tab\there", "line\nbreak", "it's", "='x'",
         'a t="s"', "é😀", " t=", "<col"]


def random_sheet(rng: random.Random) -> bytes:
    """Sheet XML mixing what the product writes (r then s, one space, double quotes) with what it
    does not (shared strings, odd spacing and quotes, row styles, comments, dxfId and tabSelected)."""
    plain = rng.random() < 0.6

    def attr(name: str, value: str) -> str:
        if plain:
            return f' {name}="{value}"'
        q = rng.choice(['"'] * 6 + ["'"])
        return f"{rng.choice([' ', ' ', chr(10), chr(9)])}{name}{rng.choice(['=', '=', ' = '])}{q}{value}{q}"

    def cell(ref: str, r: int) -> str:
        s = rng.choice([None, "0", "1", "3", "03", "99"])
        attrs = [attr("r", ref)] + ([attr("s", s)] if s else [])
        attrs = "".join(attrs if plain or rng.random() < 0.7 else attrs[::-1])
        kind = rng.choice(["num", "num", "inline", "inline", "shared", "formula", "empty", "shared formula"])
        shared = rng.choice(['t="s"', "t='s'"]) + f"><v>{rng.randrange(len(SHARED))}</v>"
        return {"num": f"<c{attrs}><v>{r / 4}</v></c>", "empty": f"<c{attrs}/>",
                "inline": f'<c{attrs} t="inlineStr"><is><t>{rng.choice(TEXTS)}</t></is></c>',
                "formula": f"<c{attrs}><f>SUM(A1:A{r})</f><v>3</v></c>", "shared": f"<c{attrs} {shared}</c>",
                "shared formula": f"<c{attrs} {shared.replace('><v>', '><f>1</f><v>')}</c>"}[kind]

    rows = []
    for r in range(1, rng.randint(1, 30)):
        style = rng.choice(["", "", "", ' s="2" customFormat="1"', " s='1'"])
        rows.append(f'<row r="{r}"{style}>' + "".join(cell(f"{c}{r}", r) for c in "ABCDE"[:rng.randint(0, 5)])
                    + "</row>")
        rows += ["<!-- note -->"] if rng.random() < 0.02 else []
    selected = rng.choice([' tabSelected="1"', ""])
    return ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView'
            f'{selected} workbookViewId="0"/></sheetViews><cols><col min="1" max="1" '
            f'style="2"/></cols><sheetData>{"".join(rows)}</sheetData><conditionalFormatting sqref="A1"><cfRule '
            'type="cellIs" dxfId="1" priority="1"><formula>1</formula></cfRule></conditionalFormatting></worksheet>'
            ).encode()


def test_donor_sheets_rewritten_in_chunks_are_the_same_bytes(monkeypatch):
    rng = random.Random(20261128)
    for _ in range(400):
        data, xfs = random_sheet(rng), [rng.randint(0, 30) for _ in range(rng.randint(0, 8))]
        whole = package_styles.rewrite_sheet(data.decode(), SHARED, xfs, [4, 9]).encode()
        for chunk in (1, 50, 1 << 20):  # one row per chunk, a few rows, the whole sheet
            monkeypatch.setattr(package_styles, "_CHUNK", chunk)
            assert b"".join(package_styles.sheet_chunks(data, SHARED, xfs, [4, 9])) == whole
            formula = package_styles.sheet_has_formula(data, SHARED, xfs, [4, 9])
            assert formula == bool(re.search(rb"<f[\s/>]", whole))
