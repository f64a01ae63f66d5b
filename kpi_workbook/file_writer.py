"""Result blocks → a small openpyxl "donor" workbook holding only our sheets.

The donor is then transplanted into the user's file at the zip level (package.py), so the
user's own parts are never re-serialised. Styling lives here: header rows, the discreet
machine row, number formats, widths, frozen panes, filters, native charts, and protection
(no password: a guard against accidental edits, not security). Blocks hold values only:
text that starts with '=' (a name typed as '=HYPERLINK(…)') is written as text, never as a
formula (openpyxl would otherwise take any such string for one).
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .cells import MAX_CELL_TEXT, cell_text, save_workbook, set_value
from .results import Block

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
RESULT_FILL = PatternFill("solid", fgColor="F2F2F2")
HEADER_FONT = Font(bold=True)
ID_FONT = Font(size=8, color="808080")


def _formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def build_donor(blocks: list[Block], path: Path) -> None:
    """Write every block as a styled sheet of a new workbook at ``path``.

    openpyxl writes the workbook around the data: header rows, styles, widths, panes, filters,
    charts, protection. The data rows (tens of thousands at 10,000 employees) are then written
    straight into each sheet's XML by :func:`_data_rows`, as inline strings and numbers with the
    style openpyxl gave the column's number format (a styled probe row, replaced afterwards):
    openpyxl's own per-cell objects cost more than reading and scoring the whole workbook.
    """
    wb = Workbook()
    wb.remove(wb.active)
    probes: list[tuple[Block, int]] = []  # in sheet order
    for block in blocks:
        ws = wb.create_sheet(block.sheet)
        head = min(block.header_rows, len(block.rows))
        for r, row in enumerate(block.rows[:head], 1):
            ws.append(row)
            for c, value in enumerate(row, 1):
                if _formula_like(value):
                    set_value(ws.cell(r, c), value)
        probe = head + 1
        if len(block.rows) > head and block.state == "visible":
            for col, fmt in block.number_formats.items():  # openpyxl registers the formats' styles
                cell = ws.cell(probe, col + 1)
                cell.value, cell.number_format = 0, fmt
        probes.append((block, probe))
        if block.state != "visible":
            ws.sheet_state = block.state
            continue
        _style(ws, block)
        for spec in block.charts:
            _chart(ws, block, spec)
        ws.protection.sheet = True
        ws.protection.autoFilter = False
        ws.protection.sort = False
        ws.protection.formatColumns = False
    base = path.with_name(path.name + ".openpyxl.xlsx")  # beside the donor, in its temp folder
    try:
        save_workbook(wb, base)
        _write_data_rows(base, path, probes)
    finally:
        base.unlink(missing_ok=True)


def _style(ws, block: Block) -> None:
    width = max((len(r) for r in block.rows), default=0)
    for r in range(1, block.header_rows + 1):
        for c in range(1, width + 1):
            cell = ws.cell(r, c)
            if r == 1:
                cell.font, cell.fill = HEADER_FONT, HEADER_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            else:
                cell.font = ID_FONT
    n = len(block.rows)  # number formats: see build_donor (a probe row, then _data_rows)
    for col, w in block.widths.items():
        ws.column_dimensions[get_column_letter(col + 1)].width = w
    if block.header_rows and width:
        ws.freeze_panes = f"{'B' if block.key != 'problems' else 'A'}{block.header_rows + 1}"
        if block.key != "summary":
            ws.auto_filter.ref = f"A{block.header_rows}:{get_column_letter(width)}{max(n, block.header_rows)}"


def _chart(ws, block: Block, spec) -> None:
    chart = BarChart()
    chart.type = "bar" if spec.kind == "bar" else "col"
    chart.title = spec.title
    chart.legend = None
    first, last, col = spec.categories
    cats = Reference(ws, min_col=col + 1, min_row=first + 1, max_row=last + 1)
    for v_first, v_last, v_col in spec.values:
        data = Reference(ws, min_col=v_col + 1, min_row=v_first + 1, max_row=v_last + 1)
        chart.add_data(data, titles_from_data=False)
    chart.set_categories(cats)
    chart.height, chart.width = 7.5, 14
    ws.add_chart(chart, spec.anchor)


# ------------------------------------------------------------------ data rows as XML text

_ROW_START = re.compile(r'<row r="(\d+)"')
_STYLE_OF_CELL = re.compile(r'<c r="([A-Z]+)\d+"[^>]*?\ss="(\d+)"')
_BATCH = 2000  # rows per write
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0 (openpyxl refuses them)


def _write_data_rows(base: Path, path: Path, probes: list[tuple[Block, int]]) -> None:
    """``path`` = ``base`` (openpyxl's file) with each sheet's rows from its probe row on
    replaced by the block's data rows.

    The rows are streamed into the new zip a batch at a time, so the text of a whole sheet is
    never held in memory (the zip is a temp file: stored, no time spent on compression).
    """
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out:
        sheets = _sheet_parts({n: zin.read(n) for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")})
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, info.date_time)
            zi.external_attr = info.external_attr
            index = sheets.get(info.filename)
            if index is None or index >= len(probes):
                out.writestr(zi, zin.read(info))
                continue
            block, probe = probes[index]
            head, styles, tail = _split_sheet(zin.read(info).decode("utf-8"), block, probe)
            with out.open(zi, "w") as fh:
                fh.write(head.encode("utf-8"))
                rows = block.rows[probe - 1:]
                for first in range(0, len(rows), _BATCH):
                    text = _data_rows(rows[first:first + _BATCH], probe + first, styles)
                    if _ILLEGAL_XML.search(text):
                        text = _ILLEGAL_XML.sub("", text)
                    fh.write(text.encode("utf-8"))
                fh.write(tail.encode("utf-8"))


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, int]:
    """Worksheet part name -> position of the sheet in the workbook."""
    import posixpath
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    rid_attr = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    rels = {r.get("Id"): r.get("Target", "") for r in
            ET.fromstring(parts["xl/_rels/workbook.xml.rels"]).iterfind("p:Relationship", ns)}
    out = {}
    for i, sheet in enumerate(ET.fromstring(parts["xl/workbook.xml"]).iterfind("m:sheets/m:sheet", ns)):
        target = rels.get(sheet.get(rid_attr), "")
        out[target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))] = i
    return out


def _split_sheet(xml: str, block: Block, probe: int) -> tuple[str, dict[int, str], str]:
    """(the sheet XML up to the data rows, the probe row's style per column, the rest from
    ``</sheetData>`` on), with the dimension set to the whole block."""
    width = max((len(r) for r in block.rows), default=0)
    if width and block.rows:
        ref = f"A1:{get_column_letter(width)}{len(block.rows)}"
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml, count=1)
    start = xml.find("<sheetData")
    if start < 0:
        raise ValueError("openpyxl wrote a sheet without sheetData")
    open_end = xml.index(">", start) + 1
    if xml[open_end - 2] == "/":  # <sheetData/>: no rows at all
        return xml[:start] + "<sheetData>", {}, "</sheetData>" + xml[open_end:]
    close = xml.index("</sheetData>", open_end)
    body, styles = xml[open_end:close], {}
    for m in _ROW_START.finditer(body):
        if int(m[1]) >= probe:
            rest = body[m.start():]
            end = rest.find("</row>")
            if int(m[1]) == probe and end >= 0:
                styles = {_col_index(c): s for c, s in _STYLE_OF_CELL.findall(rest[:end])}
            body = body[:m.start()]
            break
    return xml[:open_end] + body, styles, xml[close:]


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _data_rows(rows: list[list[Any]], first: int, styles: dict[int, str]) -> str:
    """``<row>`` elements for ``rows`` starting at sheet row ``first``; text is always text."""
    width = max((len(r) for r in rows), default=0)
    letters = [get_column_letter(c + 1) for c in range(width)]
    style = [f' s="{styles[c]}"' if c in styles else "" for c in range(width)]
    out: list[str] = []
    add = out.append
    esc = _esc
    for r, row in enumerate(rows, first):
        add(f'<row r="{r}">')
        for c, v in enumerate(row):
            if v is None:
                if style[c]:
                    add(f'<c r="{letters[c]}{r}"{style[c]}/>')
                continue
            kind = type(v)
            if kind is str:
                if len(v) > MAX_CELL_TEXT:
                    v = cell_text(v)
                if not v:  # as openpyxl: an empty text is no value
                    if style[c]:
                        add(f'<c r="{letters[c]}{r}"{style[c]}/>')
                    continue
                space = ' xml:space="preserve"' if v != v.strip() else ""  # as openpyxl writes it
                add(f'<c r="{letters[c]}{r}"{style[c]} t="inlineStr"><is><t{space}>{esc(v)}</t></is></c>')
            elif kind is float or kind is int:
                if kind is float and not math.isfinite(v):
                    if style[c]:
                        add(f'<c r="{letters[c]}{r}"{style[c]}/>')
                    continue
                add(f'<c r="{letters[c]}{r}"{style[c]}><v>{v!r}</v></c>')
            elif isinstance(v, bool):
                add(f'<c r="{letters[c]}{r}"{style[c]} t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (int, float)):  # numpy numbers
                x = float(v)
                if math.isfinite(x):
                    add(f'<c r="{letters[c]}{r}"{style[c]}><v>{x!r}</v></c>')
                elif style[c]:
                    add(f'<c r="{letters[c]}{r}"{style[c]}/>')
            else:
                text = str(v)
                space = ' xml:space="preserve"' if text != text.strip() else ""
                add(f'<c r="{letters[c]}{r}"{style[c]} t="inlineStr"><is><t{space}>{esc(text)}</t></is></c>')
        add("</row>")
    return "".join(out)


def _esc(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text
