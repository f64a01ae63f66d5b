"""Rows streamed straight into a worksheet part's XML, a batch at a time.

A workbook writer (openpyxl) writes a sheet's header rows, styles, widths, panes, filters,
charts and protection; the data rows — tens of thousands — are written here as inline strings
and numbers into the XML between the header and ``</sheetData>``, each cell with the style its
column had in a probe row the writer styled: per-cell objects of a writer library cost more than
the rest of the job. Text is always text (never a formula) and fits a cell (:func:`.cells.cell_text`).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cells import MAX_CELL_TEXT, cell_text, column_letter, column_number
from .parts import Package, sheet_entries

_ROW_START = re.compile(r'<row r="(\d+)"')
_STYLE_OF_CELL = re.compile(r'<c r="([A-Z]+)\d+"[^>]*?\ss="(\d+)"')
_BATCH = 2000  # rows per write
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0


@dataclass
class SheetRows:
    """What goes into one sheet: all its rows (for the dimension), and from which 1-based row
    (the probe row the writer styled) ``rows`` replace what the writer wrote."""

    rows: list[list[Any]]
    first: int


def write_rows(base: Path, path: Path, sheets: list[SheetRows]) -> None:
    """``path`` = ``base`` with the i-th worksheet's rows from ``sheets[i].first`` on replaced by
    ``sheets[i].rows[first - 1:]``.

    The rows are streamed into the new zip a batch at a time, so the text of a whole sheet is
    never held in memory (the zip is a temp file: stored, no time spent on compression).
    """
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out:
        order = sheet_order(Package(zin))
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, info.date_time)
            zi.external_attr = info.external_attr
            index = order.get(info.filename)
            if index is None or index >= len(sheets):
                out.writestr(zi, zin.read(info))
                continue
            with out.open(zi, "w") as fh:
                for piece in sheet_pieces(zin.read(info).decode("utf-8"), sheets[index]):
                    fh.write(piece)


def sheet_pieces(xml: str, sheet: SheetRows) -> Iterator[bytes]:
    """The worksheet ``xml`` with its rows from ``sheet.first`` on replaced by ``sheet``'s, as
    UTF-8 pieces a batch of rows long: what :func:`write_rows` writes of one sheet, and what the
    transplant streams into the user's package (the cells take the styles of the probe row in
    ``xml``, so a sheet whose styles were already renumbered gives cells the renumbered ones)."""
    head, styles, tail = split_sheet(xml, sheet)
    yield head.encode("utf-8")
    rows = sheet.rows[sheet.first - 1:]
    for first in range(0, len(rows), _BATCH):
        yield rows_xml(rows[first:first + _BATCH], sheet.first + first, styles).encode("utf-8")
    yield tail.encode("utf-8")


def sheet_order(pkg: Package) -> dict[str, int]:
    """Worksheet part name -> position of the sheet in the workbook."""
    wb_part, root = pkg.workbook()
    return {sheet.part: i for i, sheet in enumerate(sheet_entries(pkg, wb_part, root)) if sheet.part}


def split_sheet(xml: str, sheet: SheetRows) -> tuple[str, dict[int, str], str]:
    """(the sheet XML up to the data rows, the probe row's style per column, the rest from
    ``</sheetData>`` on), with the dimension set to the whole sheet."""
    width = max((len(r) for r in sheet.rows), default=0)
    if width and sheet.rows:
        ref = f"A1:{column_letter(width)}{len(sheet.rows)}"
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml, count=1)
    start = xml.find("<sheetData")
    if start < 0:
        raise ValueError("the writer wrote a sheet without sheetData")
    open_end = xml.index(">", start) + 1
    if xml[open_end - 2] == "/":  # <sheetData/>: no rows at all
        return xml[:start] + "<sheetData>", {}, "</sheetData>" + xml[open_end:]
    close = xml.index("</sheetData>", open_end)
    body, styles = xml[open_end:close], {}
    for m in _ROW_START.finditer(body):
        if int(m[1]) >= sheet.first:
            rest = body[m.start():]
            end = rest.find("</row>")
            if int(m[1]) == sheet.first and end >= 0:
                styles = {column_number(c) - 1: s for c, s in _STYLE_OF_CELL.findall(rest[:end])}
            body = body[:m.start()]
            break
    return xml[:open_end] + body, styles, xml[close:]


def rows_xml(rows: list[list[Any]], first: int, styles: dict[int, str]) -> str:
    """``<row>`` elements for ``rows`` starting at sheet row ``first``; text is always text, and
    characters XML 1.0 does not allow are left out of it."""
    width = max((len(r) for r in rows), default=0)
    letters = [column_letter(c + 1) for c in range(width)]
    style = [f' s="{styles[c]}"' if c in styles else "" for c in range(width)]
    out: list[str] = []
    add = out.append
    texts: dict[str, str] = {}  # text -> the rest of its cell after the style: a column repeats its texts
    for r, row in enumerate(rows, first):
        add(f'<row r="{r}">')
        for c, v in enumerate(row):  # the common cells first, inline; the rest in _other_cell
            kind = type(v)
            if kind is float:
                if v - v == 0.0:  # finite (inf - inf and nan - nan are nan)
                    add(f'<c r="{letters[c]}{r}"{style[c]}><v>{v!r}</v></c>')
                elif style[c]:
                    add(f'<c r="{letters[c]}{r}"{style[c]}/>')
            elif kind is str and v and len(v) <= MAX_CELL_TEXT:
                rest = texts.get(v)
                if rest is None:
                    rest = texts[v] = _text_rest(v)
                add(f'<c r="{letters[c]}{r}"{style[c]}{rest}')
            elif v is None:
                if style[c]:
                    add(f'<c r="{letters[c]}{r}"{style[c]}/>')
            else:
                add(_other_cell(f"{letters[c]}{r}", style[c], v))
        add("</row>")
    return "".join(out)


def _other_cell(ref: str, style: str, v: Any) -> str:
    """A cell that is not a finite float, a short text or None: an empty or very long text, an
    int, a bool, a numpy number or any other value ("" for a blank cell without a style)."""
    kind = type(v)
    if kind is str:
        if len(v) > MAX_CELL_TEXT:
            v = cell_text(v)
        return f'<c r="{ref}"{style}{_text_rest(v)}' if v else _blank(ref, style)  # as openpyxl: "" is no value
    if kind is float or kind is int:
        return f'<c r="{ref}"{style}><v>{v!r}</v></c>' if kind is int or math.isfinite(v) else _blank(ref, style)
    if isinstance(v, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):  # numpy numbers
        x = float(v)
        return f'<c r="{ref}"{style}><v>{x!r}</v></c>' if math.isfinite(x) else _blank(ref, style)
    return f'<c r="{ref}"{style}{_text_rest(cell_text(str(v)))}'


def _blank(ref: str, style: str) -> str:
    return f'<c r="{ref}"{style}/>' if style else ""


def _text_rest(text: str) -> str:
    """A text cell after its reference and style: ``t="inlineStr"><is><t>…</t></is></c>``."""
    space = ' xml:space="preserve"' if text != text.strip() else ""  # as openpyxl writes it
    rest = f' t="inlineStr"><is><t{space}>{_content(text)}</t></is></c>'
    return _ILLEGAL_XML.sub("", rest) if _ILLEGAL_XML.search(rest) else rest


def _content(text: str) -> str:
    """Element content (:func:`.xmltext.escape` without its attribute rules, tested first: fast)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:  # kept as a character reference: a parser would turn a literal CR into LF
        text = text.replace("\r", "&#13;")
    return text
