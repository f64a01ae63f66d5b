"""The sheet 店铺归属 (Shop owners): HR's table of shops run by several people, with their shares
(read by :mod:`kpi_workbook.pipeline.shops`). Written empty by ``kpi new``, with last period's
rows by ``kpi next-period``; no command writes over it afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl.comments import Comment
from openpyxl.styles import Alignment
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_engine.i18n import tr

from ..pipeline.layout import layout
from ..pipeline.shops import OWNER_IDS
from .cells import write
from .style import BOLD, HEAD_FILL, ID_FONT, INPUT_FILL, NOTE_FONT

SPARE_ROWS = 30  # formatted empty rows for HR to fill
WIDTHS = (28, 14, 10)


def owner_sheet(ws: Any, rows: Sequence[Sequence[Any]] = (), lang: str = "zh") -> None:
    """Labels (row 1), the machine ids (row 2, grey), then ``rows`` of (shop, owner id, share)."""
    lay = layout()
    first = lay.first_data_row
    for c, fid in enumerate(OWNER_IDS, 1):
        head = write(ws, lay.label_row, c, tr(f"fill.owner_{fid}", lang))
        head.font, head.fill = BOLD, HEAD_FILL
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        write(ws, lay.id_row, c, fid).font = ID_FONT
        ws.column_dimensions["ABC"[c - 1]].width = WIDTHS[c - 1]
    ws.cell(lay.label_row, 1).comment = Comment(tr("fill.owner_help", lang), "kpi", width=300, height=150)
    last = first + len(rows) + SPARE_ROWS - 1
    for r in range(first, last + 1):
        values = rows[r - first] if r - first < len(rows) else (None, None, None)
        for c, value in enumerate(values, 1):
            cell = write(ws, r, c, value)
            cell.fill = INPUT_FILL
            cell.number_format = "0%" if c == 3 else "@"
    share = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True,
                           showErrorMessage=True, errorTitle=tr("fill.owner_share", lang),
                           error=tr("fill.owner_share_error", lang))
    ws.add_data_validation(share)
    share.add(f"C{first}:C{last}")
    write(ws, lay.label_row, 5, tr("fill.owner_help", lang)).font = NOTE_FONT
    ws.column_dimensions["E"].width = 90
    ws.cell(lay.label_row, 5).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = f"A{first}"
