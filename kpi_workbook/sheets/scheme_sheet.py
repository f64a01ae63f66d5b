"""The scheme written as the editable sheet 指标配置 (read back by
:mod:`kpi_workbook.pipeline.scheme_reader`): stacked tables, each with a marker in column A, a
label row, a machine row of field ids, its rows and a note."""

from __future__ import annotations

from typing import Any

from openpyxl.worksheet.datavalidation import DataValidation

from kpi_engine.i18n import lang_of
from kpi_engine.model import DIRECTIONS, GAPS, HEADCOUNT_ROUNDINGS, INPUT_KINDS, OVERRUNS, ROUNDINGS, SCOPES, Scheme
from kpi_engine.rules import RULES

from ..ooxml.cells import cell_ref
from ..pipeline.scheme_policy import table_rows
from ..pipeline.scheme_syntax import format_choices, format_gate, format_params
from ..pipeline.scheme_tables import POLICY_TABLES, SPARE_ROWS, TABLES, B, N, columns
from .cells import write
from .style import BOLD, ID_FONT, INPUT_FILL, NOTE_FONT, SECTION_FONT, SHEET_TITLE_FONT, TABLE_HEAD_FILL, TITLE_FILL


def _rows(scheme: Scheme, key: str) -> list[dict[str, Any]]:
    s = scheme
    if key in POLICY_TABLES:
        return table_rows(scheme, key)
    if key == "meta":
        return [{"key": k, "value": v} for k, v in s.meta.items()]
    if key == "indicators":
        return [{**vars(i), "params": format_params(dict(i.params)), "gate": format_gate(i.gate) if i.gate else ""}
                for i in s.indicators]
    if key == "checks":
        return [{"indicator": i.id, **vars(c)} for i in s.indicators for c in i.checks]
    if key == "inputs":
        return [{**vars(f), "choices": format_choices(f.choices)} for f in s.inputs]
    if key == "lookups":
        return [{"table": t, "key": k, "value": v} for t, tab in s.lookups.items() for k, v in tab.items()]
    if key == "grades":
        return [{"grade": g, "min": m} for g, m in s.grades]
    if key == "seasonal":
        return [{"period": p, "factor": f} for p, f in s.seasonal.items()]
    return [vars(x) for x in {"groups": s.groups, "flags": s.flags, "constraints": s.constraints}[key]]


def _width(text: Any) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def write_config(ws: Any, scheme: Scheme, lang: str = "zh") -> None:
    """Write ``scheme`` onto the openpyxl worksheet ``ws`` as stacked, editable tables."""
    en = lang_of(lang) == "en"
    write(ws, 1, 1, "Scheme: edit these tables to change the appraisal (takes effect at the next compute)" if en
          else "指标配置：修改下列表格即可调整考核方案（下次计算时生效）").font = SHEET_TITLE_FONT
    write(ws, 2, 1, ("Grey rows hold field ids read by the program: do not change them. Rows may be inserted; blank "
                     "rows are ignored.") if en else "灰色小字行是字段编号，程序按它读取，请勿修改；表内可插入行，空行会被忽略。"
          ).font = NOTE_FONT
    widths: dict[int, int] = {}
    id_ranges: dict[str, str] = {}
    r = 4
    for key, (title_zh, title_en, _, note_zh, note_en) in TABLES.items():
        cols, rows = columns(key), _rows(scheme, key)
        write(ws, r, 1, f"#{key}").font = ID_FONT
        write(ws, r, 2, title_en if en else title_zh).font = SECTION_FONT
        first, last = r + 3, r + 2 + len(rows) + SPARE_ROWS
        id_ranges[key] = f"$A${first}:$A${last}"
        for c, (fid, zh, en_label, kind) in enumerate(cols, 1):
            ws.cell(r, c).fill = TITLE_FILL
            head = write(ws, r + 1, c, en_label if en else zh)
            head.font, head.fill = BOLD, TABLE_HEAD_FILL
            write(ws, r + 2, c, fid).font = ID_FONT
            widths[c] = max(widths.get(c, 8), _width(head.value) + 2, _width(fid) + 2)
            for i in range(last - first + 1):
                v = rows[i].get(fid) if i < len(rows) else None
                if kind == B and i < len(rows):
                    v = ("Yes" if en else "是") if v else ("No" if en else "否")
                cell = write(ws, first + i, c, None if v == "" else v)
                cell.fill = INPUT_FILL
                cell.number_format = "General" if kind == N else "@"
                widths[c] = max(widths[c], min(_width(v if v is not None else "") + 2, 40))
            _validate_column(ws, key, fid, kind, f"{cell_ref(first, c)}:{cell_ref(last, c)}", en, id_ranges)
        if note_en if en else note_zh:
            write(ws, last + 1, 1, "#note").font = ID_FONT
            write(ws, last + 1, 2, note_en if en else note_zh).font = NOTE_FONT
        r = last + 3
    for c, w in widths.items():
        ws.column_dimensions[cell_ref(1, c)[:-1]].width = w
    ws.freeze_panes = "B3"


def _validate_column(ws: Any, table: str, fid: str, kind: str, ref: str, en: bool, id_ranges: dict[str, str]) -> None:
    options = {"rule": tuple(RULES), "direction": DIRECTIONS, "gap": GAPS, "rounding": ROUNDINGS,
               "kind": INPUT_KINDS, "period": ("Q1", "Q2", "Q3", "Q4")}.get(fid)
    options = {("calibration", "scope"): SCOPES, ("calibration", "rounding"): HEADCOUNT_ROUNDINGS,
               ("pay", "overrun"): OVERRUNS}.get((table, fid), options)
    if kind == B:
        options = ("Yes", "No") if en else ("是", "否")
    formula = f'"{",".join(options)}"' if options else None
    formula = {("indicators", "group"): id_ranges.get("groups"),
               ("checks", "indicator"): id_ranges.get("indicators"),
               ("pay_coefficients", "grade"): id_ranges.get("grades")}.get((table, fid), formula)
    if formula:
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                            errorTitle="Invalid value" if en else "无效的值",
                            error="Pick a value from the list." if en else "请从下拉列表中选择。")
    elif kind == N:
        dv = DataValidation(type="decimal", operator="between", formula1="-1E+12", formula2="1E+12", allow_blank=True,
                            showErrorMessage=True, errorTitle="Not a number" if en else "不是数字",
                            error="Enter a number." if en else "请输入数字。")
    else:
        return
    ws.add_data_validation(dv)
    dv.add(ref)


