"""`kpi new`: the period workbook's sheets, columns, formats, validations, help and roster."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from support.package_check import assert_sound_package

import kpi_engine
from kpi_engine import default_scheme, scheme_from_dict
from kpi_engine.i18n import tr
from kpi_workbook.pipeline.help_text import AREAS
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.pipeline.roster import RosterError, read_roster
from kpi_workbook.pipeline.scheme_reader import read_config
from kpi_workbook.sheets.book import new_workbook, write_new

ROSTER = pd.DataFrame({"工号": [1001, 1002.0, "E003"], "姓名": ["张三", "李四", "王五"],
                       "品类": ["服装", "3C", "其他"], "商品类型": ["快消品", "耐用品", "fmcg"]})


def grid_of(ws) -> list[list]:
    """A worksheet's values as xlwings gives them: numbers as float, blanks as None."""
    return [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in row]
            for row in ws.iter_rows(values_only=True)]


def expected_names(lang: str) -> list[str]:
    lay = layout()
    return [lay.sheet("help", lang), *(s.name(lang) for s in lay.inputs), lay.sheet("shops", lang),
            lay.sheet("calibration", lang), lay.sheet("config", lang), "_kpi_meta"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("new") / "kpi_2026-Q4.xlsx"
    return write_new(path, "2026-Q4", roster=ROSTER)


@pytest.fixture(scope="module")
def wb(saved):
    return load_workbook(saved)


def id_row(ws) -> list[str]:
    return [c.value for c in ws[layout().id_row] if c.value]


def column_of(ws, field: str) -> str:
    return next(c.column_letter for c in ws[layout().id_row] if c.value == field)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sheets_in_order_and_named_per_language(lang):
    book = new_workbook("2026-Q4", lang=lang)
    assert book.sheetnames == expected_names(lang)
    first = book[layout().inputs[0].name(lang)]
    assert first["A1"].value == ("工号" if lang == "zh" else "Employee ID") and first["A2"].value == "employee_id"


def test_every_input_has_exactly_one_place(wb):
    scheme = default_scheme()
    sheets = [wb[s.name("zh")] for s in layout().inputs]
    roster = [f.id for f in scheme.inputs if f.owner == "roster"]
    for ws in sheets:
        assert id_row(ws)[: len(roster)] == roster
    own = [i for ws in sheets for i in id_row(ws)[len(roster):]]
    assert sorted(own) == sorted(f.id for f in scheme.inputs if f.owner not in ("roster", "calibration"))
    assert len(own) == len(set(own))
    # the pay base is HR's: on the 校准 sheet, beside who the row is about, not on the data owners' sheets
    assert id_row(wb[layout().sheet("calibration", "zh")]) == ["employee_id", "name", "team", "pay_base", "adjustment",
                                                                 "final_grade", "reason", "approver"]


def test_an_input_with_an_unknown_owner_goes_to_the_first_sheet():
    data = default_scheme().to_dict()
    data["inputs"].append({"id": "returns", "name_zh": "退货数", "name_en": "Returns", "kind": "count", "owner": "misc"})
    book = new_workbook("2026-Q4", scheme=scheme_from_dict(data))
    places = [s.name("zh") for s in layout().inputs if "returns" in id_row(book[s.name("zh")])]
    assert places == [layout().inputs[0].name("zh")]


def test_formats_validations_and_machine_row(wb):
    ws = wb["销售与流量"]
    lay = layout()
    assert ws.freeze_panes == "C3" and ws.auto_filter.ref.startswith("A2:")
    assert ws["A2"].font.sz == 8 and not ws.row_dimensions[2].hidden
    assert ws[f"{column_of(ws, 'sales_actual')}3"].number_format == "¥#,##0.00"
    assert ws[f"{column_of(ws, 'industry_conversion')}3"].number_format == "0.00%"
    assert ws[f"{column_of(ws, 'uv')}3"].number_format == "0"
    assert ws["A1"].comment is not None and "employee_id" in ws["A1"].comment.text

    def validation(sheet, field):
        col = column_of(sheet, field)
        return next(dv for dv in sheet.data_validations.dataValidation if str(dv.sqref).startswith(f"{col}{lay.first_data_row}:"))

    category, ptype = validation(ws, "category"), validation(ws, "product_type")
    assert category.type == "list" and all(w in category.formula1 for w in ("服装", "3C", "其他", "apparel", "3c", "other"))
    assert category.errorStyle == "warning"  # open choice: other words allowed
    assert ptype.type == "list" and all(w in ptype.formula1 for w in ("快消品", "耐用品", "fmcg", "durable"))
    rate = validation(ws, "industry_conversion")
    assert (rate.type, rate.formula1, rate.formula2) == ("decimal", "0", "1") and "0.85" in rate.error
    assert validation(ws, "uv").type == "whole"
    rating = validation(wb["协作评价"], "rating_design")
    assert (rating.type, rating.formula1, rating.formula2) == ("decimal", "0", "10") and "请输入" in rating.error


def test_roster_ids_are_text_on_every_sheet(wb):
    for sheet in layout().inputs:
        ws = wb[sheet.name("zh")]
        assert [ws.cell(r, 1).value for r in (3, 4, 5)] == ["1001", "1002", "E003"]
        assert ws["A3"].number_format == "@" and ws["B3"].value == "张三" and ws["D4"].value == "3C"
        assert ws.cell(6, 1).value is None and ws.max_row >= 52  # formatted blank rows below


def test_meta_sheet_is_very_hidden(wb):
    meta = wb["_kpi_meta"]
    values = {meta.cell(r, 1).value: meta.cell(r, 2).value for r in range(1, meta.max_row + 1)}
    assert meta.sheet_state == "veryHidden"
    assert values["period"] == "2026-Q4" and values["lang"] == "zh"
    assert values["scheme_fingerprint"] == default_scheme().fingerprint()
    assert values["version"] == kpi_engine.__version__ and values["created_at"] and values.get("computed_at") is None


def test_help_sheet_is_generated_from_the_scheme(wb):
    text = "\n".join(str(v) for row in wb["说明"].iter_rows(values_only=True) for v in row if v is not None)
    scheme = default_scheme()
    for ind in scheme.indicators:
        assert ind.name_zh in text
    areas = [tr(f"help.area_{n}_name") for n in range(1, AREAS + 1)]
    assert AREAS == 7 and all(area in text for area in areas) and "店铺全域运营管理" in areas
    for sheet in layout().inputs:
        assert sheet.source_zh in text
    # points in the rules are the points the total loses: UV增长率's 3 per step × 20/45 (流量与转化 scaled)
    assert "低于目标每 5 个百分点扣 1.33 分" in text and "低于目标每 2 个百分点扣 3 分" in text
    assert "2026-Q4" in text and "得分/扣分明细/改进指南/汇总/绩效工资/校验" in text
    weights = [row[3] for row in wb["说明"].iter_rows(values_only=True) if row[2] == "访问深度PV/UV"]
    assert weights == [pytest.approx(scheme.effective_weight["pv_per_uv"], abs=1e-4)]


def test_english_help_and_config_sheet_round_trip():
    book = new_workbook("2026-11", lang="en")
    text = " ".join(str(v) for row in book["Help"].iter_rows(values_only=True) for v in row if v is not None)
    assert "Sales achievement" in text and "Shop-wide operations" in text and "percentage points" in text
    scheme, _ = read_config(grid_of(book["Scheme"]), "Scheme", "en")
    assert scheme is not None and scheme.fingerprint() == default_scheme().fingerprint()


def test_saved_config_sheet_round_trips(wb):
    scheme, problems = read_config(grid_of(wb["指标配置"]), "指标配置")
    assert scheme is not None and scheme.fingerprint() == default_scheme().fingerprint()


def test_write_new_is_atomic(saved):
    assert saved.exists() and [p.name for p in saved.parent.iterdir()] == [saved.name]


def test_written_workbook_is_a_sound_package(saved):
    assert_sound_package(saved)


def test_read_roster_csv_encodings_and_xlsx(tmp_path):
    body = "工号,姓名,品类,Product type,备注\n1001,张三,服装,快消品,x\n1002.0,李四,3C,durable,\n,,,,\n"
    for enc in ("utf-8", "utf-8-sig", "gbk"):
        path = tmp_path / f"roster_{enc}.csv"
        path.write_bytes(body.encode(enc))
        df = read_roster(path)
        assert df["employee_id"].tolist() == ["1001", "1002"]
        assert df["product_type"].tolist() == ["快消品", "durable"] and df["name"].tolist() == ["张三", "李四"]
    xlsx = tmp_path / "roster.xlsx"
    pd.DataFrame({"Employee ID": [1001, 1002], "Name": ["a", "b"]}).to_excel(xlsx, index=False)
    assert read_roster(xlsx)["employee_id"].tolist() == ["1001", "1002"]


def test_roster_without_id_column_is_a_clear_error(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("姓名,团队\n张三,一组\n", encoding="utf-8")
    with pytest.raises(RosterError) as err:
        read_roster(path)
    assert isinstance(err.value, ValueError)
    assert "people.csv" in str(err.value) and "工号" in str(err.value) and "employee ID" in str(err.value)
    with pytest.raises(RosterError):
        read_roster(tmp_path / "people.txt")


def _lo_convert(src: Path, outdir: Path) -> Path:
    """Open and re-save ``src`` with LibreOffice (private profile, 120 s timeout)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required on CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = Path(f"/tmp/lo_profile_{uuid.uuid4().hex}")
    try:
        subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                        "--outdir", str(outdir), str(src)], check=True, timeout=120, capture_output=True)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return outdir / src.name


def test_libreoffice_opens_the_new_workbook(saved, tmp_path):
    converted = load_workbook(_lo_convert(saved, tmp_path))
    ours = load_workbook(saved)
    assert converted.sheetnames == ours.sheetnames
    for name in ("销售与流量", "合规记录"):
        for ref in ("A1", "A2", "A3", "B3", "D4", "E2"):
            assert converted[name][ref].value == ours[name][ref].value
    scheme, _ = read_config(grid_of(converted["指标配置"]), "指标配置")
    assert scheme is not None and scheme.fingerprint() == default_scheme().fingerprint()
    meta = converted["_kpi_meta"]
    assert meta.sheet_state != "visible" and meta["B1"].value == "2026-Q4"
