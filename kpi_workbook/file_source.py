"""SheetSource over an .xlsx/.xlsm file, read with openpyxl in read-only mode.

The user's file is never loaded for editing: read-only mode streams each sheet's cells, and
compute writes its own parts at the zip level (see package.py). openpyxl parses the parts
lazily (a sheet when it is read), so both opening and reading turn its errors into the
user's terms: NotAWorkbook for damaged XML, UnsafeFile for a DTD/entity declaration.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from openpyxl import load_workbook

from .safety import NotAWorkbook, UnsafeFile


class FileSource:
    """Whole-sheet reads from a workbook file; values shaped as xlwings gives them."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._wb = load_workbook(self.path, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl's own: ValueError, KeyError, ParseError, BadZipFile…
            raise _unreadable(self.path, None, exc) from exc
        self._cache: dict[str, list[list[Any]]] = {}
        self.reads = 0

    def sheet_names(self) -> list[str]:
        return list(self._wb.sheetnames)

    def read(self, name: str) -> list[list[Any]]:
        if name not in self._cache:
            self.reads += 1
            ws = self._wb[name]
            if not hasattr(ws, "iter_rows"):  # a chartsheet has no cells
                self._cache[name] = []
                return []
            ws.reset_dimensions()  # do not trust the stored dimension: read every row
            try:
                rows = [list(map(_value, r)) for r in sheet_rows(ws)]
            except Exception as exc:
                raise _unreadable(self.path, name, exc) from exc
            while rows and all(v is None for v in rows[-1]):
                rows.pop()
            width = max((len(r) for r in rows), default=0)
            self._cache[name] = [r + [None] * (width - len(r)) for r in rows]
        return self._cache[name]

    def close(self) -> None:
        self._wb.close()

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_for_edit(path: str | Path, keep_vba: bool = False) -> Any:
    """The whole workbook loaded for editing (``kpi fill``), with the same error messages."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(path, keep_vba=keep_vba)
    except Exception as exc:
        raise _unreadable(path, None, exc) from exc


def _unreadable(path: Path, sheet: str | None, exc: BaseException) -> Exception:
    """The user's message for a part openpyxl could not read (``sheet`` None: the workbook itself)."""
    chain, e = [], exc
    while e is not None and len(chain) < 10:
        chain.append(e)
        e = e.__cause__ or e.__context__
    where_zh = f"{path.name} 的工作表「{sheet}」" if sheet else f"{path.name} "
    where_en = f"sheet '{sheet}' of {path.name}" if sheet else path.name
    if any(isinstance(e, DefusedXmlException) for e in chain):
        return UnsafeFile(
            f"{where_zh}内含 XML 实体声明（可被用于“十亿笑声”等攻击），拒绝处理 / "
            f"{where_en} contains XML entity declarations (a 'billion laughs' style attack); refused"
        )
    text = str(chain[-1]).strip()
    detail = text.splitlines()[0][:200] if text else ""
    return NotAWorkbook(
        f"{where_zh}无法读取：文件内部已损坏{f'（{detail}）' if detail else ''}，请在 Excel 中打开并另存为 .xlsx 后重试 / "
        f"{where_en} cannot be read, the file is damaged inside{f' ({detail})' if detail else ''}: "
        f"open it in Excel, save it as .xlsx, then retry"
    )


def _value(v: Any) -> Any:
    """As xlwings: numbers as float, blanks None, dates datetime, text str."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    return v


# ------------------------------------------------------------------ fast sheet rows
# openpyxl's read-only parser builds an element and a dict per cell: at 10,000 employees that
# is most of compute's time. sheet_rows() parses the same sheet XML with expat's callbacks
# (entity declarations and external references refused, as defusedxml does) and gives exactly
# what ``ws.iter_rows(values_only=True)`` gives after ``ws.reset_dimensions()`` in read-only,
# data-only mode: shared strings, inline strings, booleans, errors as text, dates by the
# cell's number format, cached values of formulas, missing rows as empty rows.

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW, _V, _IS, _T, _R = (f"{_MAIN} {n}" for n in ("row", "v", "is", "t", "r"))
_CHUNK = 1 << 20


def sheet_rows(ws: Any) -> list[tuple[Any, ...]]:
    """The rows of a read-only openpyxl worksheet, as ``iter_rows(values_only=True)`` (see above)."""
    import xml.parsers.expat as expat

    from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden
    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    wb = ws.parent
    strings = ws._shared_strings
    dates, deltas, epoch = wb._date_formats, wb._timedelta_formats, wb.epoch
    columns: dict[str, int] = {}
    rows: list[tuple[int, tuple[Any, ...]]] = []
    # parser state; depths: of the row (-1 outside one), its cells, the cells' children
    depth, rdepth, cdepth, kdepth = 0, -1, -1, -1
    row_no, col, cells = 0, 0, []
    kind, style, v, text = "n", 0, None, None
    in_is, in_run, plain, runs, run_t = False, False, None, None, None

    def column(ref: str) -> int:
        letters = ref.rstrip("0123456789$").lstrip("$")
        found = columns.get(letters)
        if found is None:
            found = columns[letters] = column_index_from_string(letters.upper())
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, rdepth, cdepth, kdepth, row_no, col, cells, kind, style, v, text
        nonlocal in_is, in_run, plain, runs, run_t
        depth += 1
        if depth == cdepth:  # every child of a row is read as a cell, as openpyxl does
            ref = attrs.get("r")
            col = column(ref) if ref else col + 1
            kind = attrs.get("t", "n")
            s = attrs.get("s")
            style = int(s) if s else 0
            v = plain = runs = None
        elif depth == kdepth:  # a child of a cell: its value, or its inline string
            if name == _V:
                if v is None:
                    v = text = []
            elif name == _IS and runs is None:
                in_is, runs = True, []
        elif rdepth < 0:
            if name == _ROW:
                r = attrs.get("r")
                if r is None:
                    row_no += 1
                else:
                    try:
                        row_no = int(r)
                    except ValueError:
                        val = float(r)
                        if not val.is_integer():
                            raise ValueError(f"{r} is not a valid row number") from None
                        row_no = int(val)
                rdepth, cdepth, kdepth = depth, depth + 1, depth + 2
                col, cells = 0, []
        elif in_is:
            if depth == kdepth + 1:
                if name == _T:
                    plain = text = []
                elif name == _R:
                    in_run, run_t = True, None
            elif in_run and depth == kdepth + 2 and name == _T:
                run_t = text = []

    def end(name: str) -> None:
        nonlocal depth, rdepth, cdepth, kdepth, text, in_is, in_run
        d = depth
        depth -= 1
        if d == kdepth:
            text = None
            in_is = False
        elif d == cdepth:
            cells.append((col, cell_value()))
            text = None
        elif d == rdepth:
            if not cells:
                rows.append((row_no, ()))
            else:
                width = cells[-1][0]
                row = [None] * width
                for c, value in cells:
                    if c <= width:
                        row[c - 1] = value
                rows.append((row_no, tuple(row)))
            rdepth = cdepth = kdepth = -1
        elif in_run and d == kdepth + 1:  # the end of a rich-text run
            if run_t is not None:
                runs.append("".join(run_t))
            in_run = False
            text = None
        else:
            text = None

    def chars(data: str) -> None:
        if text is not None:
            text.append(data)

    def cell_value() -> Any:
        if kind == "inlineStr":
            if runs is None:
                return None
            return ("".join(plain) if plain is not None else "") + "".join(runs)
        value = "".join(v) if v is not None else None
        if not value:
            return None
        if kind == "n":
            number = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
            if style in dates:
                try:
                    return from_excel(number, epoch, timedelta=style in deltas)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        return value

    def entity_decl(name, is_parameter_entity, value, base, sysid, pubid, notation_name):  # noqa: ANN001
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)

    def unparsed_entity_decl(name, base, sysid, pubid, notation_name):  # noqa: ANN001
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)

    def external_ref(context, base, sysid, pubid):  # noqa: ANN001
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = entity_decl
    parser.UnparsedEntityDeclHandler = unparsed_entity_decl
    parser.ExternalEntityRefHandler = external_ref
    with ws._get_source() as src:
        try:
            while chunk := src.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:  # the error ElementTree (and so openpyxl) raises
            from xml.etree.ElementTree import ParseError

            err = ParseError(str(exc))
            err.code, err.position = exc.code, (exc.lineno, exc.offset)
            raise err from None
    out: list[tuple[Any, ...]] = []
    counter = 1
    for idx, row in rows:  # as openpyxl: missing rows are empty, a row out of order is dropped
        while counter < idx:
            counter += 1
            out.append(())
        if counter <= idx:
            counter += 1
            out.append(row)
    return out
