"""Wrapped titles (issue 14 item 6): a result sheet's header wraps its titles, but its row kept
one line's height, so a title longer than its column was cut ("销售额达成" of 销售额达成率). The
header row is now as tall as its longest title needs in its column's width.
"""

from __future__ import annotations

from openpyxl import load_workbook
from support.workbooks import sample_workbook

from kpi_workbook.commands.files import compute_file
from kpi_workbook.sheets.cells import display_width


def test_every_title_of_a_result_header_fits_its_rows_height(tmp_path):
    path = sample_workbook(tmp_path)
    compute_file(path)
    wb = load_workbook(path)
    checked = 0
    for name in ("得分", "扣分明细", "改进指南", "汇总", "校验"):
        ws = wb[name]
        height = ws.row_dimensions[1].height or 15
        for cell in ws[1]:
            if not isinstance(cell.value, str):
                continue
            width = ws.column_dimensions[cell.column_letter].width or 8.43
            needed = -(-display_width(cell.value) // max(int(width) - 1, 1))  # lines, by hand: ceil
            assert height >= 14 * needed, (name, cell.coordinate, cell.value, width, height)
            checked += needed > 1
    assert checked  # some titles do need two lines (得分's indicator names in 11-wide columns)
