"""A filled period workbook to which HR added things openpyxl would drop (text box, form button,
image, sparkline, data bar, comment, defined name, VBA): `kpi compute` keeps every part it does
not own byte-identical, scores as usual, and the file still opens in LibreOffice. Also `kpi fill`:
refuses in place on such a workbook, works with -o, never blanks a filled cell."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from openpyxl import load_workbook
from support.lo import convert
from support.package_check import assert_sound_package
from support.workbooks import input_sheet_names, png, sample_metrics, sample_workbook, sheet_values, table

from kpi_engine import score
from kpi_workbook.commands.cli import main
from kpi_workbook.commands.demo import sample_file
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.pipeline.roster import read_roster

MAY_CHANGE = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml",
              "docProps/app.xml"}


def _vba_bin(tmp: Path) -> Path:
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart.xlsm") as zf:
        out = tmp / "vbaProject.bin"
        out.write_bytes(zf.read("xl/vbaProject.bin"))
    return out


def hr_workbook(tmp: Path, suffix: str = ".xlsm") -> Path:
    """The sample workbook's sheets, re-written by XlsxWriter with HR's own additions."""
    source = sample_workbook(tmp, name="source.xlsx")
    path = tmp / f"hr_workbook{suffix}"
    wb = xlsxwriter.Workbook(path)
    src = load_workbook(source)
    for name in src.sheetnames:
        ws = wb.add_worksheet(name)
        for r, row in enumerate(src[name].iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
        if src[name].sheet_state != "visible":
            ws.very_hidden()
    first = wb.get_worksheet_by_name(input_sheet_names()[0])
    first.insert_textbox("AM3", "HR 备注：本表由 BI 导出", {"width": 200, "height": 60})
    first.insert_button("AM8", {"macro": "say_hello", "caption": "按钮"})
    img = tmp / "logo.png"
    img.write_bytes(png())
    first.insert_image("AM12", str(img))
    first.add_sparkline("AN3", {"range": f"'{input_sheet_names()[0]}'!F3:H3"})
    first.conditional_format("G3:G62", {"type": "data_bar", "data_bar_2010": True})
    first.write_comment("B3", "名单由人事提供")
    wb.define_name("HR_Targets", f"='{input_sheet_names()[0]}'!$F$3:$F$62")
    if suffix == ".xlsm":
        wb.add_vba_project(str(_vba_bin(tmp)))
    wb.close()
    return path


def _sheet_parts(parts: dict[str, bytes], sheet: str) -> set[str]:
    """The part of ``sheet`` and its rels (compute owns and replaces them)."""
    import re

    wb = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', wb).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels).group(1)
    part = "xl/" + target.lstrip("/").removeprefix("xl/")
    return {part, part.replace("worksheets/", "worksheets/_rels/") + ".rels"}


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hr")
    path = hr_workbook(tmp)
    with zipfile.ZipFile(path) as zf:
        before = {n: zf.read(n) for n in zf.namelist()}
    inputs_before = {s: sheet_values(path, s) for s in input_sheet_names()}
    code = main(["compute", str(path)])
    return path, before, inputs_before, code


def test_computed_hr_workbook_is_a_sound_package(computed):
    assert_sound_package(computed[0])


def test_additions_are_really_there(computed):
    _, before, _, _ = computed
    names = "\n".join(before)
    for part in ("xl/vbaProject.bin", "xl/drawings/drawing", "xl/media/", "xl/comments", "xl/drawings/vmlDrawing"):
        assert part in names, part
    assert any(b'ObjectType="Button"' in data for name, data in before.items() if name.endswith(".vml"))
    sheet1 = before["xl/worksheets/sheet2.xml"] + before["xl/worksheets/sheet1.xml"]
    assert b"sparklineGroup" in sheet1 and b"dataBar" in sheet1


def test_every_part_compute_does_not_own_is_byte_identical(computed):
    path, before, inputs_before, code = computed
    assert code == 1  # the sample's deliberate problems
    with zipfile.ZipFile(path) as zf:
        after = {n: zf.read(n) for n in zf.namelist()}
    # compute owns the meta and 说明 (its copy here, by XlsxWriter, holds only what kpi new wrote: rebuilt)
    owned = _sheet_parts(before, layout().sheet("meta")) | _sheet_parts(before, layout().sheet("help"))
    for name, data in before.items():
        if name not in MAY_CHANGE and name not in owned:
            assert after.get(name) == data, name
    for sheet, values in inputs_before.items():
        assert sheet_values(path, sheet) == values
    wb_xml = after["xl/workbook.xml"].decode()
    assert "HR_Targets" in wb_xml


def test_scores_are_as_usual(computed):
    path = computed[0]
    got = table(path, layout().sheet("scores")).set_index("employee_id")
    want = score(sample_metrics(), period="2026-Q4")
    for eid, total in want.total.dropna().items():
        assert got.at[eid, "total"] == pytest.approx(total, abs=1e-9)


def test_still_opens_in_libreoffice(computed, tmp_path):
    path = computed[0]
    converted = convert(path, tmp_path)
    wb = load_workbook(converted, read_only=True)
    assert layout().sheet("scores") in wb.sheetnames
    assert set(input_sheet_names()) <= set(wb.sheetnames)


def test_fill_refuses_in_place_and_names_the_parts(tmp_path, capsys):
    path = hr_workbook(tmp_path, ".xlsx")
    before = path.read_bytes()
    code = main(["fill", str(path), str(sample_file("metrics_2026Q4.csv"))])
    err = capsys.readouterr().err
    assert code == 2
    assert "迷你图" in err and "表单控件" in err and "-o" in err
    assert path.read_bytes() == before
    out = tmp_path / "copy.xlsx"
    assert main(["fill", str(path), str(sample_file("metrics_2026Q4.csv")), "-o", str(out)]) == 0
    assert "未保留" in capsys.readouterr().out
    assert path.read_bytes() == before
    assert_sound_package(out)


def test_fill_matches_by_label_reports_unknowns_and_never_blanks(tmp_path, capsys):
    from kpi_workbook.sheets.book import write_new

    path = write_new(tmp_path / "kpi.xlsx", "2026-Q4", roster=None)
    # a roster first, then an export with Chinese labels, an unknown column, an unknown id, a blank
    roster = tmp_path / "roster.csv"
    roster.write_text("工号,姓名,团队,品类,商品类型\nE1,甲,A组,服装,快消品\nE2,乙,A组,3C,耐用品\n", encoding="utf-8-sig")
    path = write_new(tmp_path / "kpi.xlsx", "2026-Q4", roster=read_roster(roster))
    first = tmp_path / "first.csv"
    first.write_text("工号,本期UV,PV\nE1,1000,3000\nE2,2000,\n", encoding="utf-8-sig")
    assert main(["fill", str(path), str(first)]) == 0
    second = tmp_path / "second.csv"
    second.write_text("employee_id,uv,备注,pv\nE1,,x,3500\nE9,5,y,6\n", encoding="utf-8-sig")
    assert main(["fill", str(path), str(second)]) == 1  # an id not in the roster
    out = capsys.readouterr().out
    assert "备注" in out and "E9" in out
    t = table(path, input_sheet_names()[0]).set_index("employee_id")
    assert t.at["E1", "uv"] == 1000  # a blank in the export never overwrites
    assert t.at["E1", "pv"] == 3500  # a value does
    assert t.at["E2", "uv"] == 2000


def test_messages_follow_the_workbooks_language(tmp_path, capsys):
    from kpi_workbook.sheets.book import write_new

    path = write_new(tmp_path / "en.xlsx", "2026-Q4", lang="en")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Errors: 0" in out and "个错误" not in out
    assert main(["--lang", "zh", "validate", str(path)]) == 0
    assert "个错误" in capsys.readouterr().out
