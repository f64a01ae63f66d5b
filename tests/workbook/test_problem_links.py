"""校验 rows link to the cells they are about (issue 14 item 6): a click on the cell column goes to
the input cell. Checked in the written package (internal hyperlinks: a location, no relationship)
and as openpyxl reads them back."""

from __future__ import annotations

import zipfile

from openpyxl import load_workbook
from support.package_check import assert_sound_package, sheet_parts
from support.workbooks import sample_workbook

from kpi_workbook.commands.files import compute_file
from kpi_workbook.pipeline.layout import layout


def test_every_problem_row_with_a_cell_links_to_it(tmp_path):
    path = sample_workbook(tmp_path)
    compute_file(path)
    assert_sound_package(path)
    name = layout().sheet("problems")
    ws = load_workbook(path)[name]
    rows = [(r, ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(layout().first_data_row, ws.max_row + 1)]
    with_cells = [(r, s, c) for r, s, c in rows if s and c]
    assert len(with_cells) >= 5  # the sample's planted errors are at cells
    for r, sheet, cell in with_cells:
        link = ws.cell(r, 2).hyperlink
        assert link is not None and link.location == f"'{sheet}'!{cell}", (r, sheet, cell)
        assert sheet in ws.parent.sheetnames and not link.target  # inside the book, no external target
    for r, sheet, cell in rows:
        if not (sheet and cell):
            assert ws.cell(r, 2).hyperlink is None
    with zipfile.ZipFile(path) as z:
        xml = z.read(sheet_parts(path)[name]).decode("utf-8")
    assert xml.count("<hyperlink ") == len(with_cells) and "r:id" not in xml.split("<hyperlinks>")[1]
