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
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_engine.explain import num
from kpi_engine.model import InputField, Scheme

from .cells import cell_ref, cell_text, set_value, write
from .layout import InputSheet, layout

BLANK_ROWS = 50  # formatted empty rows when there is no roster
LIST_LIMIT = 255  # characters of a drop-down's list written in the validation itself (Excel's limit)
SPARE_ROWS = 20  # formatted empty rows below a roster
FORMATS = {"money": "¥#,##0.00", "count": "0", "rate": "0.00%", "rating": "0.0", "number": "0.00", "text": "@", "choice": "@"}
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFFDF0")
ID_FONT = Font(size=8, color="808080")
KIND_WORDS = {
    "text": ("文本", "text"), "choice": ("选项", "choice"), "money": ("金额（元）", "money (yuan)"),
    "count": ("个数（整数）", "count (whole number)"), "rate": ("比率，0.85 = 85%", "rate, 0.85 = 85%"),
    "rating": ("评分", "rating"), "number": ("数值", "number"),
}


def input_columns(scheme: Scheme) -> list[tuple[InputSheet, list[InputField]]]:
    """Each input sheet with its columns: the roster fields, then the sheet's own inputs.

    Inputs whose owner has no sheet in the layout go to the first sheet, so that every input
    has exactly one place.
    """
    sheets = layout().inputs
    owners = {s.owner for s in sheets}
    roster = [f for f in scheme.inputs if f.owner == "roster"]
    out = []
    for i, sheet in enumerate(sheets):
        own = [f for f in scheme.inputs if f.owner == sheet.owner or (i == 0 and f.owner not in owners | {"roster"})]
        out.append((sheet, roster + own))
    return out


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def _input_sheet(ws: Any, sheet: InputSheet, fields: list[InputField], roster: pd.DataFrame | None, lang: str) -> None:
    lay = layout()
    first = lay.first_data_row
    n = 0 if roster is None else len(roster)
    last = first + max(n + SPARE_ROWS if n else BLANK_ROWS, BLANK_ROWS) - 1
    for c, f in enumerate(fields, 1):
        head = write(ws, lay.label_row, c, f.name(lang))
        head.font, head.fill = Font(bold=True), HEAD_FILL
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.comment = Comment(_field_help(f, sheet, lang), "kpi", width=260, height=110)
        write(ws, lay.id_row, c, f.id).font = ID_FONT
        letter = cell_ref(1, c)[:-1]
        ws.column_dimensions[letter].width = max(10, min(24, _width(f.name(lang)) + 4))
        values = roster[f.id].tolist() if roster is not None and f.id in roster.columns else []
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
    zh = lang == "zh"
    lines = [f"{f.name(lang)}（{f.id}）：{KIND_WORDS[f.kind][0]}" if zh else f"{f.name(lang)} ({f.id}): {KIND_WORDS[f.kind][1]}"]
    lo, hi = f.bounds()
    if f.choices:
        opts = "/".join(a[0] if a else k for k, a in f.choices.items())
        lines.append(f"可选：{opts}" + ("，也可填其他值" if f.open_choice else "") if zh
                     else f"Options: {opts}" + (", or another value" if f.open_choice else ""))
    if f.numeric and (lo is not None or hi is not None):
        rng = f"{num(lo) if lo is not None else '…'} – {num(hi) if hi is not None else '…'}"
        lines.append(f"范围：{rng}" if zh else f"Range: {rng}")
    if f.required or f.positive:
        lines.append(("必填" if f.required else "须大于 0") if zh else ("Required" if f.required else "Must be > 0"))
    if f.owner == "roster":
        lines.append("花名册列，每张输入表都有" if zh else "Roster column, on every input sheet")
    else:
        lines.append(f"数据来源：{sheet.source_zh}" if zh else f"Source: {sheet.source_en}")
    return "\n".join(lines)


def _validation(ws: Any, f: InputField, ref: str, lang: str) -> None:
    zh = lang == "zh"
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
        msg = ("请从列表中选择：" if zh else "Choose from the list: ") + "/".join(options)
    elif f.id == "employee_id":
        col = ref.split(":")[0].rstrip("0123456789")
        start, end = (int(re.sub(r"\D", "", p)) for p in ref.split(":"))
        kw = dict(type="custom", formula1=f"COUNTIF(${col}${start}:${col}${end},{col}{start})<=1")
        msg = "工号不能重复" if zh else "Employee IDs must be unique"
    elif f.numeric:
        whole = f.kind == "count"
        if lo is not None and hi is not None:
            kw = dict(operator="between", formula1=num(lo, 6), formula2=num(hi, 6))
            rng = f"{num(lo)} 到 {num(hi)} 之间的" if zh else f"between {num(lo)} and {num(hi)}"
        elif lo is not None:
            kw = dict(operator="greaterThan" if f.positive and lo <= 0 else "greaterThanOrEqual",
                      formula1=num(0 if f.positive and lo <= 0 else lo, 6))
            rng = (f"大于 {num(lo)} 的" if f.positive else f"不小于 {num(lo)} 的") if zh else \
                (f"> {num(lo)}" if f.positive else f"≥ {num(lo)}")
        else:
            kw = dict(operator="lessThanOrEqual", formula1=num(hi, 6)) if hi is not None else \
                dict(operator="between", formula1="-1E+12", formula2="1E+12")
            rng = "" if hi is None else (f"不大于 {num(hi)} 的" if zh else f"≤ {num(hi)}")
        kw["type"] = "whole" if whole else "decimal"
        noun = ("整数" if whole else "数字") if zh else ("a whole number" if whole else "a number")
        msg = f"请输入{rng}{noun}" if zh else f"Enter {noun} {rng}".rstrip()
        if f.kind == "rate":
            msg += "（85% 填 0.85 或 85%）" if zh else " (85% = 0.85)"
    else:
        return
    title = cell_text(f.name(lang))[:32]  # Excel's limits: a title of 32 characters, a message of 225
    dv = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True,
                        errorTitle=title, error=msg[:225], promptTitle=title, prompt=msg[:225], **kw)
    ws.add_data_validation(dv)
    dv.add(ref)

