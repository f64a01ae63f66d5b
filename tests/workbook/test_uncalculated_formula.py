"""A formula without a cached value (issue 14 item 6): a file saved by a program that does not
calculate (openpyxl here; a script, an export tool) holds formulas with no result. It was reported
as "为空"; it now says that the cell is a formula not yet calculated and to save it once in Excel.
A formula Excel has calculated (a cached value) is read as its value, as before.
"""

from __future__ import annotations

import math
import re
import shutil
import zipfile

from openpyxl import load_workbook
from support.workbooks import sample_workbook

from kpi_workbook.ooxml import WorkbookReader
from kpi_workbook.pipeline import FileSource, compute, validate

COLLAB = "协作评价"
E1007_ROW = 9


def test_an_uncalculated_formula_is_named_as_such(tmp_path):
    path = sample_workbook(tmp_path)
    wb = load_workbook(path)
    sheet = wb[COLLAB]
    col = next(c.column_letter for c in sheet[2] if c.value == "resources_ready_rate")  # 资源到位率, by its id in row 2
    cell = f"{col}{E1007_ROW}"
    sheet[cell] = "=0.9+0.08"  # openpyxl writes the formula without a value, as any non-calculating program does
    wb.save(path)
    with FileSource(path) as source:
        problems = [p for p in validate(source) if (p.sheet, p.cell) == (COLLAB, cell)]
    assert len(problems) == 1, [p.text() for p in problems]
    text = problems[0].problem
    assert "公式" in text and "Excel" in text and "保存" in text and "为空" not in text
    assert "资源到位率" in text


def test_a_calculated_formula_is_its_value(tmp_path):
    """The same cell with the cached value Excel would have saved: read as its value, no problem."""
    path = sample_workbook(tmp_path)
    wb = load_workbook(path)
    sheet = wb[COLLAB]
    col = next(c.column_letter for c in sheet[2] if c.value == "resources_ready_rate")
    cell = f"{col}{E1007_ROW}"
    before = sheet[cell].value
    wb.close()
    _set_formula_with_cache(path, COLLAB, cell, "0.9+0.08", before)
    with WorkbookReader(path) as reader:
        rows = reader.rows(COLLAB)
        assert reader.uncalculated(COLLAB) == []
    assert math.isclose(rows[E1007_ROW - 1][ord(col) - ord("A")], float(before))
    with FileSource(path) as source:
        assert not [p for p in compute(source).problems if (p.sheet, p.cell) == (COLLAB, cell)]


def _set_formula_with_cache(path, sheet_name: str, cell: str, formula: str, cached) -> None:
    """Give ``cell`` a formula and a cached value in the sheet XML, as Excel saves it."""
    with WorkbookReader(path) as reader:
        part = next(s.part for s in reader.sheets() if s.name == sheet_name)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == part:
                text = data.decode("utf-8")
                text, n = re.subn(rf'(<c r="{cell}"[^>]*?)(?:/>|>.*?</c>)',
                                  lambda m: m.group(1).replace(' t="s"', "") + f"><f>{formula}</f><v>{cached}</v></c>",
                                  text, count=1)
                assert n == 1
                data = text.encode("utf-8")
            zout.writestr(item, data)
    shutil.move(tmp, path)
