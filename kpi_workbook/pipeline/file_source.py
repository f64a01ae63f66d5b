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

from ..ooxml import NotAWorkbook, UnsafeFile
from .sources import SparseRow, row_values


class FileSource:
    """Whole-sheet reads from a workbook file; values shaped as xlwings gives them.

    Rows are not padded to one width (a missing cell is blank): one crafted cell at XFD1048576
    must not turn a sheet of 60 rows into a billion blanks. Work and memory follow the cells
    that exist; a row of a few values far apart is a :class:`SparseRow`.
    """

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

    def read(self, name: str) -> list[Any]:
        if name not in self._cache:
            self.reads += 1
            ws = self._wb[name]
            if not hasattr(ws, "iter_rows"):  # a chartsheet has no cells
                self._cache[name] = []
                return []
            ws.reset_dimensions()  # do not trust the stored dimension: read every row
            try:
                rows = sheet_rows(ws)
            except CellOutOfRange as exc:
                raise NotAWorkbook(
                    f"{self.path.name} 的工作表「{name}」含有超出 Excel 范围的单元格地址 {exc.ref}"
                    f"（最多 {MAX_ROWS:,} 行、{MAX_COLUMNS:,} 列），文件可能已被篡改或损坏 / "
                    f"sheet '{name}' of {self.path.name} has a cell address beyond Excel's grid: {exc.ref} "
                    f"(at most {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns); the file is damaged or crafted"
                ) from None
            except Exception as exc:
                raise _unreadable(self.path, name, exc) from exc
            while rows and not any(v is not None for v in row_values(rows[-1])):
                rows.pop()
            self._cache[name] = rows
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

MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # Excel's grid
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW, _V, _IS, _T, _R = (f"{_MAIN} {n}" for n in ("row", "v", "is", "t", "r"))
_CHUNK = 1 << 20


class CellOutOfRange(ValueError):
    """A cell or row address beyond Excel's grid (``ref`` as written)."""

    def __init__(self, ref: str):
        super().__init__(ref)
        self.ref = ref


def _column_number(letters: str, ref: str) -> int:
    """'A' → 1 … 'XFD' → 16384; anything longer or further is out of range."""
    if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha():
        raise CellOutOfRange(ref)
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    if n > MAX_COLUMNS:
        raise CellOutOfRange(ref)
    return n


def sheet_rows(ws: Any) -> list[Any]:
    """The rows of a read-only openpyxl worksheet with the values ``iter_rows(values_only=True)``
    gives (see above), each only as long as its last value: a list, or a :class:`SparseRow`
    when its few values lie far apart. Raises :class:`CellOutOfRange` beyond Excel's grid."""
    import xml.parsers.expat as expat

    from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    wb = ws.parent
    strings = ws._shared_strings
    dates, deltas, epoch = wb._date_formats, wb._timedelta_formats, wb.epoch
    columns: dict[str, int] = {}
    rows: list[tuple[int, Any]] = []
    # parser state; depths: of the row (-1 outside one), its cells, the cells' children
    depth, rdepth, cdepth, kdepth = 0, -1, -1, -1
    row_no, col, cells = 0, 0, []
    kind, style, v, text = "n", 0, None, None
    in_is, in_run, plain, runs, run_t = False, False, None, None, None

    def column(ref: str) -> int:
        letters = ref.rstrip("0123456789$").lstrip("$")
        found = columns.get(letters)
        if found is None:
            found = columns[letters] = _column_number(letters, ref)
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, rdepth, cdepth, kdepth, row_no, col, cells, kind, style, v, text
        nonlocal in_is, in_run, plain, runs, run_t
        depth += 1
        if depth == cdepth:  # every child of a row is read as a cell, as openpyxl does
            ref = attrs.get("r")
            col = column(ref) if ref else col + 1
            if col > MAX_COLUMNS:
                raise CellOutOfRange(f"R{row_no}C{col}")
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
                if not 0 < row_no <= MAX_ROWS:
                    raise CellOutOfRange(f"row {r if r is not None else row_no}")
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
            rows.append((row_no, _row(cells)))
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
            # digits beyond a float's precision are read as a float: a 400-digit crafted number is inf,
            # which every check downstream rejects, instead of an int no float can hold
            number = float(value) if ("." in value or "E" in value or "e" in value or len(value) > 15) else int(value)
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
    out: list[Any] = []
    counter = 1
    for idx, row in rows:  # as openpyxl: missing rows are empty, a row out of order is dropped
        if counter < idx:
            out.extend([_EMPTY] * (idx - counter))  # one shared empty row: no work per missing row
            counter = idx
        if counter <= idx:
            counter += 1
            out.append(row)
    return out


_EMPTY: tuple[()] = ()
SPARSE_FROM = 64  # a row wider than this and four times its values is kept sparse


def _row(cells: list[tuple[int, Any]]) -> Any:
    """A row from its (column, value) cells in document order; as openpyxl, a later cell of the
    same column wins. As long as its last value, dense unless its values lie far apart."""
    valued = {c: _value(v) for c, v in cells if v is not None}
    if not valued:
        return _EMPTY
    width = max(valued)
    if width > SPARSE_FROM and width > 4 * len(valued):
        return SparseRow({c - 1: v for c, v in valued.items()}, width)
    row = [None] * width
    for c, value in valued.items():
        row[c - 1] = value
    return row
