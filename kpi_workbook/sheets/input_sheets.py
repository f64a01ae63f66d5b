"""The input sheets of the period workbook: their columns, formats, cell help and validation.

Input sheets have the label row (row 1), the machine row of canonical ids (row 2: small grey
font, visible — hidden rows are easy to overwrite unseen when pasting, and a visible row tells
HR not to touch it) and data from row 3. Roster columns are repeated on every sheet as plain
values (no cross-sheet formulas that could break when HR sorts or pastes). The autofilter's
header is the id row, so sorting never moves the ids into the data.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_engine.explain import num
from kpi_engine.i18n import tr
from kpi_engine.model import InputField

from ..ooxml.cells import cell_ref, cell_text
from ..pipeline.layout import InputSheet, choice_label, layout
from .cells import display_width, set_value, write
from .style import BOLD, HEAD_FILL, ID_FONT, INPUT_FILL

BLANK_ROWS = 50  # formatted empty rows when there is no roster
LIST_LIMIT = 255  # characters of a drop-down's list written in the validation itself (Excel's limit)
SPARE_ROWS = 20  # formatted empty rows below a roster
FORMATS = {"money": "¥#,##0.00", "count": "0", "rate": "0.00%", "rating": "0.0", "number": "0.00", "text": "@", "choice": "@"}


def input_sheet(ws: Any, sheet: InputSheet, fields: list[InputField], roster: pd.DataFrame | None, lang: str) -> None:
    lay = layout()
    first = lay.first_data_row
    n = 0 if roster is None else len(roster)
    last = first + max(n + SPARE_ROWS if n else BLANK_ROWS, BLANK_ROWS) - 1
    for c, f in enumerate(fields, 1):
        head = write(ws, lay.label_row, c, f.name(lang))
        head.font, head.fill = BOLD, HEAD_FILL
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.comment = Comment(_field_help(f, sheet, lang), "kpi", width=260, height=110)
        write(ws, lay.id_row, c, f.id).font = ID_FONT
        letter = cell_ref(1, c)[:-1]
        ws.column_dimensions[letter].width = max(10, min(24, display_width(f.name(lang)) + 4))
        values = roster[f.id].tolist() if roster is not None and f.id in roster.columns else []
        if f.choices:  # a choice's id (apparel) shown as the drop-down offers it (服装)
            values = [choice_label(f, v, lang) for v in values]
        # Style one detached prototype cell, then give each cell of the column a copy of its
        # style array: openpyxl's fill/number_format setters look the style up in the
        # workbook's lists on every assignment, which dominated `kpi new` on large rosters.
        proto = Cell(ws)
        proto.fill, proto.number_format = INPUT_FILL, FORMATS.get(f.kind, "General")
        style = proto._style
        for i, r in enumerate(range(first, last + 1)):
            v = values[i] if i < len(values) else None
            cell = Cell(ws, row=r, column=c, style_array=StyleArray(style))
            if v is not None and not (isinstance(v, float) and v != v):
                set_value(cell, v)
                if cell._style != style:  # a date value sets its own number format: the column's wins
                    cell._style = StyleArray(style)
            ws._add_cell(cell)
        _validation(ws, f, f"{letter}{first}:{letter}{last}", lang)
    ws.row_dimensions[lay.label_row].height = 30
    ws.row_dimensions[lay.id_row].height = 11
    name_col = next((c for c, f in enumerate(fields, 1) if f.id == "name"), 1)
    ws.freeze_panes = cell_ref(first, name_col + 1)
    ws.auto_filter.ref = f"A{lay.id_row}:{cell_ref(last, len(fields))}"


def _field_help(f: InputField, sheet: InputSheet, lang: str) -> str:
    """The comment on an input column's label: what to type, in which range, from whom."""
    lines = [tr("input_sheet.help_head", lang, name=f.name(lang), id=f.id, kind=tr(f"input_sheet.kind_{f.kind}", lang))]
    lo, hi = f.bounds()
    if f.choices:
        opts = "/".join(a[0] if a else k for k, a in f.choices.items())
        lines.append(tr("input_sheet.help_options_open" if f.open_choice else "input_sheet.help_options", lang,
                        options=opts))
    if f.numeric and (lo is not None or hi is not None):
        rng = f"{num(lo) if lo is not None else '…'} – {num(hi) if hi is not None else '…'}"
        lines.append(tr("input_sheet.help_range", lang, range=rng))
    if f.required or f.positive:
        lines.append(tr("input_sheet.help_required" if f.required else "input_sheet.help_positive", lang))
    if f.owner == "roster":
        lines.append(tr("input_sheet.help_roster", lang))
    else:
        lines.append(tr("input_sheet.help_source", lang, source=sheet.source_zh if lang == "zh" else sheet.source_en))
    return "\n".join(lines)


def _validation(ws: Any, f: InputField, ref: str, lang: str) -> None:
    lo, hi = f.bounds()
    kw: dict[str, Any] = {}
    if f.kind == "choice" and f.choices:
        # a list literal cannot hold a quote or a comma, nor more than 255 characters: such options are
        # left out of the drop-down (they are still accepted; compute checks every value)
        options = [o for o in dict.fromkeys([a[0] for a in f.choices.values() if a] + list(f.choices))
                   if o and '"' not in o and "," not in o]
        literal = ",".join(options)
        if not options or len(literal) > LIST_LIMIT:
            return
        kw = dict(type="list", formula1=f'"{literal}"', errorStyle="warning" if f.open_choice else "stop")
        msg = tr("input_sheet.choose", lang, options="/".join(options))
    elif f.id == "employee_id":
        col = ref.split(":")[0].rstrip("0123456789")
        start, end = (int(re.sub(r"\D", "", p)) for p in ref.split(":"))
        kw = dict(type="custom", formula1=f"COUNTIF(${col}${start}:${col}${end},{col}{start})<=1")
        msg = tr("input_sheet.unique_id", lang)
    elif f.numeric:
        whole = f.kind == "count"
        if lo is not None and hi is not None:
            kw = dict(operator="between", formula1=num(lo, 6), formula2=num(hi, 6))
            rng = tr("input_sheet.range_between", lang, lo=num(lo), hi=num(hi))
        elif lo is not None:
            kw = dict(operator="greaterThan" if f.positive and lo <= 0 else "greaterThanOrEqual",
                      formula1=num(0 if f.positive and lo <= 0 else lo, 6))
            rng = tr("input_sheet.range_above" if f.positive else "input_sheet.range_at_least", lang, lo=num(lo))
        else:
            kw = dict(operator="lessThanOrEqual", formula1=num(hi, 6)) if hi is not None else \
                dict(operator="between", formula1="-1E+12", formula2="1E+12")
            rng = "" if hi is None else tr("input_sheet.range_at_most", lang, hi=num(hi))
        kw["type"] = "whole" if whole else "decimal"
        noun = tr("input_sheet.noun_whole" if whole else "input_sheet.noun_number", lang)
        msg = tr("input_sheet.enter", lang, range=rng, noun=noun).rstrip()
        if f.kind == "rate":
            msg += tr("input_sheet.rate_hint", lang)
    else:
        return
    title = cell_text(f.name(lang))[:32]  # Excel's limits: a title of 32 characters, a message of 225
    dv = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True,
                        errorTitle=title, error=msg[:225], promptTitle=title, prompt=msg[:225], **kw)
    ws.add_data_validation(dv)
    dv.add(ref)

