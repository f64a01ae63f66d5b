"""The scheme written as the editable sheet 指标配置 (read back by
:mod:`kpi_workbook.pipeline.scheme_reader`): stacked tables, each with a marker in column A, a
label row, a machine row of field ids, its rows and a note.

It is written in the words HR reads (a Chinese book: 扣分, 低于, 百分点, group names, sheet
names), which the reader takes back to ids; the indicators table is one block per indicator,
its deduction rules beside it (:mod:`kpi_workbook.pipeline.scheme_tables`)."""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Border, Side
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_engine.i18n import lang_of, tr
from kpi_engine.model import SOURCE_USES, Scheme

from ..ooxml.cells import cell_ref, column_letter
from ..pipeline.layout import layout
from ..pipeline.scheme_names import unique_names, word
from ..pipeline.scheme_syntax import format_choices, format_gate, format_list, format_params
from ..pipeline.scheme_tables import CHECK_PREFIX, SPARE_ROWS, TABLES, VOCABULARIES, B, N, columns
from .cells import display_width, write
from .style import BOLD, ID_FONT, INPUT_FILL, NOTE_FONT, SECTION_FONT, SHEET_TITLE_FONT, TABLE_HEAD_FILL, TITLE_FILL

BLOCK_TOP = Border(top=Side(style="thin", color="A6A6A6"))  # the first row of an indicator's block


def _group_words(scheme: Scheme, lang: str) -> dict[str, str]:
    """group id -> what the sheet writes for it: its name in ``lang`` where that names it alone."""
    names = unique_names((g.id, (g.name(lang),)) for g in scheme.groups)
    return {g.id: g.name(lang) if names.get(g.name(lang)) == g.id else g.id for g in scheme.groups}


def _indicator_rows(scheme: Scheme, lang: str) -> list[dict[str, Any]]:
    """One block per indicator: its row with its first deduction rule, a row for each further rule."""
    groups, out = _group_words(scheme, lang), []
    for i in scheme.indicators:
        row = {**vars(i), "params": format_params(dict(i.params)), "gate": format_gate(i.gate) if i.gate else "",
               "group": groups.get(i.group, i.group), "rule": word("rule", i.rule, lang), "_block": True}
        rules = [{CHECK_PREFIX + f: word(f, v, lang) for f, v in vars(c).items()} for c in i.checks] or [{}]
        out += [row | rules[0], *rules[1:]]
    return out


def _rows(scheme: Scheme, key: str, lang: str = "zh") -> list[dict[str, Any]]:
    s = scheme
    if key == "meta":
        return [{"key": k, "value": v} for k, v in s.meta.items()]
    if key == "indicators":
        return _indicator_rows(s, lang)
    if key == "groups":
        words = _group_words(s, lang)
        return [{**vars(g), "parent": words.get(g.parent, g.parent)} for g in s.groups]
    if key == "inputs":
        owners = {sheet.owner: sheet.name(lang) for sheet in layout().inputs} | {"roster": tr("scheme_sheet.roster", lang)}
        return [{**vars(f), "choices": format_choices(f.choices), "kind": word("kind", f.kind, lang),
                 "owner": owners.get(f.owner, f.owner)} for f in s.inputs]
    if key == "lookups":
        return [{"table": t, "key": k, "value": v} for t, tab in s.lookups.items() for k, v in tab.items()]
    if key == "grades":
        return [{"grade": g, "min": m} for g, m in s.grades]
    if key == "seasonal":
        return [{"period": p, "factor": f} for p, f in s.seasonal.items()]
    if key == "sources":
        return [{**vars(x), "headers": format_list(x.headers)} for x in s.sources]
    if key in ("report", "period_weights"):
        return [{"key": k, "value": v, "weight": v} for k, v in getattr(s, key).items()]
    if key == "rollup_flags":
        return [vars(f) for f in s.rollup_flags]
    return [vars(x) for x in {"flags": s.flags, "constraints": s.constraints}[key]]


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
        cols, rows = columns(key), _rows(scheme, key, lang)
        write(ws, r, 1, f"#{key}").font = ID_FONT
        write(ws, r, 2, title_en if en else title_zh).font = SECTION_FONT
        first, last = r + 3, r + 2 + len(rows) + SPARE_ROWS
        name_col = next((c for c, col in enumerate(cols, 1) if col[0] == ("name_en" if en else "name_zh")), 1)
        letter = column_letter(name_col)
        id_ranges[key] = f"${letter}${first}:${letter}${last}"  # drop-downs of names (groups)
        for c, (fid, zh, en_label, kind) in enumerate(cols, 1):
            ws.cell(r, c).fill = TITLE_FILL
            head = write(ws, r + 1, c, en_label if en else zh)
            head.font, head.fill = BOLD, TABLE_HEAD_FILL
            write(ws, r + 2, c, fid).font = ID_FONT
            widths[c] = max(widths.get(c, 8), display_width(head.value) + 2, display_width(fid) + 2)
            for i in range(last - first + 1):
                v = rows[i].get(fid) if i < len(rows) else None
                if kind == B and i < len(rows) and fid in rows[i]:
                    v = ("Yes" if en else "是") if v else ("No" if en else "否")
                cell = write(ws, first + i, c, None if v == "" else v)
                cell.fill = INPUT_FILL
                if i < len(rows) and rows[i].get("_block") and i:
                    cell.border = BLOCK_TOP
                cell.number_format = "General" if kind == N else "@"
                widths[c] = max(widths[c], min(display_width(v if v is not None else "") + 2, 40))
            _validate_column(ws, key, fid, kind, f"{cell_ref(first, c)}:{cell_ref(last, c)}", en, id_ranges)
        if note_en if en else note_zh:
            write(ws, last + 1, 1, "#note").font = ID_FONT
            write(ws, last + 1, 2, note_en if en else note_zh).font = NOTE_FONT
        r = last + 3
    for c, w in widths.items():
        ws.column_dimensions[column_letter(c)].width = w
    ws.freeze_panes = "B3"


def _validate_column(ws: Any, table: str, fid: str, kind: str, ref: str, en: bool, id_ranges: dict[str, str]) -> None:
    field = fid.removeprefix(CHECK_PREFIX)
    lang = "en" if en else "zh"
    options = tuple(word(field, v, lang) for v in VOCABULARIES[field]) if field in VOCABULARIES else None
    if fid == "period":
        options = ("Q1", "Q2", "Q3", "Q4")
    if table == "sources" and fid == "use":
        options = SOURCE_USES
    if kind == B:
        options = ("Yes", "No") if en else ("是", "否")
    formula = f'"{",".join(options)}"' if options else None
    formula = {("indicators", "group"): id_ranges.get("groups"),
               ("groups", "parent"): id_ranges.get("groups")}.get((table, fid), formula)
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
