"""Sheet values straight from the package: the zip, its rels, shared strings, styles and sheet XML.

:class:`WorkbookReader` gives, for each sheet, its rows with the values xlwings gives (numbers as
float, text str, blanks None, booleans, Excel errors as their text such as ``"#DIV/0!"``, dates as
datetime by the cell's number format, cached values of formulas), each row only as long as its
last value; a row of a few values far apart is a :class:`SparseRow`, a missing row one shared
empty tuple. It needs nothing but the standard library and defusedxml, and reads what openpyxl's
read-only, data-only mode reads, by openpyxl's rules where the format leaves a choice (which
number formats are dates, Excel's 1900 leap-year bug, ``t="d"`` cells, a row out of order); each
such rule names where in openpyxl (MIT licence) it comes from.

The sheet XML is streamed through expat with its callbacks, not built into elements: at 10,000
employees a parser that builds an element and a dict per cell is most of the time. The file is
untrusted: any DTD or entity declaration is refused (:class:`UnsafeFile`), an address beyond
Excel's grid is refused (:class:`CellOutOfRange`), anything else that does not parse is a
:class:`NotAWorkbook` naming the file and the sheet. Run ``check_package`` first: the reader
trusts the zip's sizes.

Where it parts from openpyxl (and so from FileSource), on files no producer writes: every DTD is
refused, not only entity declarations; part names match whatever their case, and the shared
strings and styles are found through the workbook's rels (openpyxl: through the content types,
and xl/styles.xml by name); parts and attributes the values do not need are not read, so not
refused when openpyxl's validation would refuse them (an ``<rPh>`` without ``sb``, a chartsheet
without rels); damage openpyxl finds on opening (a sheet's XML up to its ``<dimension>``) is found
here when that sheet is read, and named with it.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from .errors import MAX_COLUMNS, MAX_ROWS, CellOutOfRange, NotAWorkbook, PackageError, damaged, unsafe
from .numfmt import date_epoch, date_styles, from_excel, from_iso8601, last_child

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROW, _V, _IS, _T, _R, _SI, _F = (f"{MAIN} {n}" for n in ("row", "v", "is", "t", "r", "si", "f"))
_CHUNK = 1 << 20
# what reading an untrusted part may raise besides our own errors: it is damage, not a bug
_DAMAGE = (ValueError, LookupError, ArithmeticError, SyntaxError, EOFError, zipfile.BadZipFile, zlib.error,
           NotImplementedError, RuntimeError)


class SparseRow(Sequence):
    """A row whose few values lie far apart (a crafted cell at XFD1): indexes like the dense
    list it stands for, and equals it, but holds only its values, so work follows the cells
    that exist. (``kpi_workbook.sources`` has the same class; it is to become this one.)"""

    __slots__ = ("_cells", "_len")

    def __init__(self, cells: dict[int, Any], length: int):
        self._cells, self._len = cells, length  # 0-based column -> value

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._cells.get(i) for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(index)
        return self._cells.get(index)

    def __iter__(self) -> Iterator[Any]:
        return (self._cells.get(i) for i in range(self._len))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SparseRow):
            return self._len == other._len and self._cells == other._cells
        if isinstance(other, list):
            return len(other) == self._len and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # a row is a value, like the list it stands for

    def values(self) -> Iterable[Any]:
        return self._cells.values()


@dataclass(frozen=True)
class SheetInfo:
    """A sheet as the workbook part lists it: ``part`` its zip member, ``chart`` a chartsheet."""

    name: str
    state: str
    part: str
    chart: bool


class WorkbookReader:
    """Read access to a workbook package, one whole sheet per call; nothing but the zip needed.

    ``source`` is a path or an open ``zipfile.ZipFile`` (which stays the caller's to close). The
    workbook part, its sheets, the shared strings and the styles are read on opening, so a
    damaged one fails here (:class:`NotAWorkbook` / :class:`UnsafeFile`, naming the file); a
    sheet's cells are read by :meth:`rows`, which names the sheet in its errors.
    """

    def __init__(self, source: str | Path | zipfile.ZipFile):
        self._own = not isinstance(source, zipfile.ZipFile)
        self.file = Path(source.filename or "workbook.xlsx").name if not self._own else Path(source).name
        try:
            self._zip = zipfile.ZipFile(source) if self._own else source
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            raise  # not the file's fault
        except (OSError, *_DAMAGE) as exc:
            raise damaged(self.file, None, exc) from exc
        self._uncalculated: dict[str, list[tuple[int, int]]] = {}
        try:
            self._members = {n.lower(): n for n in self._zip.namelist()}
            book, book_root = self._workbook()
            rels = self._rels(book)
            self._sheets = self._sheet_list(book_root, rels)
            self.epoch = date_epoch(book_root)
            self._dates, self._deltas = self._styles(rels)
            self._strings = self._shared_strings(rels)
        except PackageError:
            self.close()
            raise
        except (OSError, *_DAMAGE) as exc:
            self.close()
            if isinstance(exc, DefusedXmlException):
                raise unsafe(self.file, None) from exc
            raise damaged(self.file, None, exc) from exc

    # ---------------------------------------------------------------- public

    def sheet_names(self) -> list[str]:
        """All sheets in workbook order, hidden ones and chartsheets included."""
        return [s.name for s in self._sheets]

    def sheet_states(self) -> dict[str, str]:
        """Each sheet's state: "visible", "hidden" or "veryHidden"."""
        return {s.name: s.state for s in reversed(self._sheets)}  # the first of a repeated name wins

    def sheets(self) -> list[SheetInfo]:
        """The sheets with their states and parts, in workbook order."""
        return list(self._sheets)

    def rows(self, name: str) -> list[Sequence[Any]]:
        """The sheet's rows from row 1, ending at the last row with a value (``[]`` for a
        chartsheet or an empty sheet), read afresh on each call (a caller caches). Raises
        KeyError for a name the workbook does not have; of two sheets of one name, the first."""
        sheet = next((s for s in self._sheets if s.name == name), None)
        if sheet is None:
            raise KeyError(f"Worksheet {name} does not exist.")
        if sheet.chart:
            return []
        parser = SheetParser(self._strings, self._dates, self._deltas, self.epoch)
        try:
            with self._zip.open(sheet.part) as stream:
                rows = parser.parse(stream)
        except CellOutOfRange as exc:
            raise CellOutOfRange(exc.ref, sheet=name, file=self.file) from None
        except DefusedXmlException as exc:
            raise unsafe(self.file, name) from exc
        except (OSError, *_DAMAGE) as exc:
            raise damaged(self.file, name, exc) from exc
        while rows and not rows[-1]:  # every row the parser gives is empty or holds a value
            rows.pop()
        self._uncalculated[name] = parser.uncalculated
        return rows

    def uncalculated(self, name: str) -> list[tuple[int, int]]:
        """(row, column), 1-based, of the cells of sheet ``name`` that hold a formula but no value
        (no program that calculates has saved the file since); known once :meth:`rows` read it."""
        return self._uncalculated.get(name, [])

    def close(self) -> None:
        if self._own and getattr(self, "_zip", None) is not None:
            self._zip.close()

    def __enter__(self) -> WorkbookReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- the package

    def _member(self, part: str) -> str | None:
        """The zip member named ``part``, matched case-insensitively (as Excel does), else None."""
        return self._members.get(part.lower())

    def _xml(self, part: str) -> Element:
        try:
            return fromstring(self._zip.read(part), forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except ParseError as exc:
            raise ParseError(f"{part}: {exc}") from exc

    def _rels(self, part: str) -> dict[str, tuple[str, str | None]]:
        """``part``'s relationships: id -> (type, zip member or None when external or missing)."""
        folder, base = posixpath.split(part)
        rels_part = self._member(posixpath.join(folder, "_rels", base + ".rels"))
        out: dict[str, tuple[str, str | None]] = {}
        if rels_part is None:
            return out
        for rel in self._xml(rels_part):
            target, member = rel.get("Target", ""), None
            if rel.get("TargetMode") != "External":
                # a target is relative to the source part's folder, or absolute from the package root
                path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
                path = posixpath.normpath(path)
                member = self._member(path) or self._member(unquote(path))
            out[rel.get("Id", "")] = (rel.get("Type", ""), member)  # a repeated id: the last counts
        return out

    def _rel_of_type(self, rels: dict[str, tuple[str, str | None]], kind: str) -> str | None:
        return next((member for t, member in rels.values() if t.endswith("/" + kind) and member), None)

    def _workbook(self) -> tuple[str, Element]:
        """The workbook part, found as Excel finds it: the package's officeDocument relationship."""
        part = self._rel_of_type(self._rels(""), "officeDocument")
        if part is None:
            raise NotAWorkbook(f"{self.file} 不是 Excel 工作簿：找不到工作簿主体",
                               f"{self.file} is not an Excel workbook: the workbook part is missing")
        return part, self._xml(part)

    def _sheet_list(self, root: Element, rels: dict[str, tuple[str, str | None]]) -> list[SheetInfo]:
        """The ``<sheet>`` entries of the workbook in order. As openpyxl (reader/workbook.py
        ``find_sheets``, reader/excel.py ``read_worksheets``): an entry without a relationship id
        is left out, one whose id is not a relationship is damage, one whose part is missing is
        left out; children are matched by local name, any child of ``<sheets>`` is a sheet."""
        sheets = last_child(root, "sheets")
        out = []
        for sheet in list(sheets) if sheets is not None else []:
            rid = sheet.get(f"{{{NS_R}}}id")
            if not rid:
                continue
            if rid not in rels:
                raise ValueError(f"the workbook lists a sheet by relationship {rid}, which it does not have")
            kind, member = rels[rid]
            if member is not None:
                out.append(SheetInfo(sheet.get("name", ""), sheet.get("state", "visible"), member,
                                     "chartsheet" in kind))
        return out

    def _styles(self, rels: dict[str, tuple[str, str | None]]) -> tuple[frozenset[int], frozenset[int]]:
        part = self._rel_of_type(rels, "styles")
        return date_styles(self._xml(part)) if part else (frozenset(), frozenset())

    def _shared_strings(self, rels: dict[str, tuple[str, str | None]]) -> list[str]:
        part = self._rel_of_type(rels, "sharedStrings")
        if part is None:
            return []
        with self._zip.open(part) as stream:
            return SharedStringsParser().parse(stream)


# ---------------------------------------------------------------- errors in the user's terms

# ---------------------------------------------------------------- expat, made safe

def _refuse_doctype(name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _refuse_entity(name, is_parameter_entity, value, base, sysid, pubid, notation_name):  # noqa: ANN001
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)


def _refuse_unparsed_entity(name, base, sysid, pubid, notation_name):  # noqa: ANN001
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)


def _refuse_external(context, base, sysid, pubid):  # noqa: ANN001
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


class _ExpatParser:
    """Base of the streaming parsers: subclasses define ``start``, ``end`` and ``chars``. A DTD,
    an entity declaration or an external reference is refused (defusedxml's exceptions); expat's
    own errors become ``xml.etree.ElementTree.ParseError``, as ElementTree (and openpyxl) raise."""

    __slots__ = ()

    def _feed(self, stream: IO[bytes]) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler = self.start, self.end
        parser.CharacterDataHandler = self.chars
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.EntityDeclHandler = _refuse_entity
        parser.UnparsedEntityDeclHandler = _refuse_unparsed_entity
        parser.ExternalEntityRefHandler = _refuse_external
        try:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            err = ParseError(str(exc))
            err.code, err.position = exc.code, (exc.lineno, exc.offset)
            raise err from None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def end(self, name: str) -> None:
        raise NotImplementedError

    def chars(self, data: str) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------- shared strings

class SharedStringsParser(_ExpatParser):
    """The shared strings part as openpyxl reads it (reader/strings.py ``read_string_table``,
    cell/text.py ``Text.content``): each ``<si>``'s plain ``<t>`` followed by the ``<t>`` of each
    rich-text run ``<r>``, phonetic runs ``<rPh>`` left out, whitespace kept as written, and
    "x005F_" taken out of the result. Children are matched by local name; when one is repeated
    the last counts; an element's text is what precedes its first child (ElementTree's ``text``)."""

    __slots__ = ("strings", "depth", "si_depth", "plain", "runs", "run_t", "in_run", "text", "buf", "text_depth")

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.depth, self.si_depth, self.text_depth = 0, -1, -1
        self.plain = self.run_t = self.text = self.buf = None
        self.runs: list[str | None] = []
        self.in_run = False

    def parse(self, stream: IO[bytes]) -> list[str]:
        self._feed(stream)
        return self.strings

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        self.text = None  # an element's text ends at its first child
        if self.si_depth < 0:
            if name == _SI:
                self.si_depth, self.plain, self.runs = self.depth, None, []
            return
        local = name.rpartition(" ")[2]
        if self.depth == self.si_depth + 1:
            if local == "t":
                self.text = self.buf = []
                self.text_depth = self.depth
            elif local == "r":
                self.in_run, self.run_t = True, None
        elif self.in_run and self.depth == self.si_depth + 2 and local == "t":
            self.text = self.buf = []
            self.text_depth = self.depth

    def end(self, name: str) -> None:
        depth = self.depth
        self.depth -= 1
        if depth == self.text_depth:  # the end of a <t>: its text, None when it had none
            text = "".join(self.buf) if self.buf else None
            if depth == self.si_depth + 1:
                self.plain = text
            else:
                self.run_t = text
            self.buf, self.text_depth = None, -1
        elif depth == self.si_depth + 1 and self.in_run:
            self.runs.append(self.run_t)
            self.in_run = False
        elif depth == self.si_depth:
            text = "".join(t for t in (self.plain, *self.runs) if t is not None)
            self.strings.append(text.replace("x005F_", ""))
            self.si_depth = -1
        self.text = None

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


# ---------------------------------------------------------------- sheet rows

_EMPTY: tuple[()] = ()
SPARSE_FROM = 64  # a row wider than this and four times its values is kept sparse


def column_number(letters: str, ref: str) -> int:
    """'A' -> 1 … 'XFD' -> 16384; anything else, longer or further is out of range (``ref``)."""
    if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha():
        raise CellOutOfRange(ref)
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    if n > MAX_COLUMNS:
        raise CellOutOfRange(ref)
    return n


class SheetParser(_ExpatParser):
    """One worksheet's rows, as openpyxl's read-only, data-only ``iter_rows(values_only=True)``
    gives them after ``reset_dimensions()`` (worksheet/_reader.py, worksheet/_read_only.py), in
    xlwings' shapes, each row as long as its last value.

    Every child of a ``<row>`` is a cell; a cell without ``r`` follows the one before, a row
    without ``r`` the row before. A cell's value is its first ``<v>`` or, for ``t="inlineStr"``,
    its first ``<is>``: plain ``<t>`` then the runs' ``<t>``, phonetic runs left out. Of two values
    in one column the later wins (a later blank cell erases nothing: FileSource's rule, where
    openpyxl would give the blank); a row numbered below one already read is dropped; missing
    rows are one shared empty tuple. Depths: the row's (-1 outside one), its cells', their children's.
    """

    __slots__ = ("strings", "dates", "deltas", "epoch", "columns", "rows", "depth", "rdepth", "cdepth",
                 "kdepth", "row_no", "col", "valued", "kind", "style", "v", "text", "in_is", "in_run",
                 "plain", "runs", "run_t", "formula", "uncalculated")

    def __init__(self, strings: list[str], dates: frozenset[int], deltas: frozenset[int], epoch: dt.datetime):
        self.strings, self.dates, self.deltas, self.epoch = strings, dates, deltas, epoch
        self.columns: dict[str, int] = {}  # column letters -> number, for the few a sheet uses
        self.rows: list[tuple[int, Sequence[Any]]] = []
        self.depth, self.rdepth, self.cdepth, self.kdepth = 0, -1, -1, -1
        self.row_no = self.col = 0
        self.valued: dict[int, Any] = {}  # the row's values by column
        self.kind, self.style = "n", 0
        self.v = self.text = self.plain = self.runs = self.run_t = None
        self.in_is = self.in_run = False
        self.formula = False  # the cell being read has a formula
        self.uncalculated: list[tuple[int, int]] = []  # (row, column) of formulas without a cached value

    def parse(self, stream: IO[bytes]) -> list[Sequence[Any]]:
        """The rows from row 1 to the last row in the XML (blank trailing rows included)."""
        data = stream.read()
        if not self._plain_rows(data):
            self._feed(io.BytesIO(data))
        out: list[Sequence[Any]] = []
        counter = 1
        for number, row in self.rows:  # as openpyxl: missing rows are empty, a row out of order is dropped
            if counter < number:
                out.extend([_EMPTY] * (number - counter))  # one shared empty row: no work per missing row
                counter = number
            if counter <= number:
                counter += 1
                out.append(row)
        return out

    def start(self, name: str, attrs: dict[str, str]) -> None:
        depth = self.depth = self.depth + 1
        if depth == self.cdepth:  # every child of a row is read as a cell, as openpyxl does
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789$").lstrip("$")
                col = self.columns.get(letters)
                self.col = col if col is not None else self.new_column(letters, ref)
            else:
                self.col += 1
                if self.col > MAX_COLUMNS:
                    raise CellOutOfRange(f"R{self.row_no}C{self.col}")
            self.kind = attrs.get("t", "n")
            s = attrs.get("s")
            self.style = int(s) if s else 0
            self.v = self.plain = self.runs = None
            self.formula = False
        elif depth == self.kdepth:  # a child of a cell: its value, or its inline string
            if name == _F:
                self.formula = True
            elif name == _V:
                if self.v is None:
                    self.v = self.text = []
            elif name == _IS and self.runs is None:
                self.in_is, self.runs = True, []
        elif self.rdepth < 0:
            if name == _ROW:
                self.start_row(attrs.get("r"))
        elif self.in_is:
            if depth == self.kdepth + 1:
                if name == _T:
                    self.plain = self.text = []
                elif name == _R:
                    self.in_run, self.run_t = True, None
            elif self.in_run and depth == self.kdepth + 2 and name == _T:
                self.run_t = self.text = []

    def _plain_rows(self, data: bytes) -> bool:
        """The rows read straight from the text when the sheet data is written the plain way
        openpyxl and Excel write it (every row numbered, every cell ``<c r="B7" s=".." t="..">``
        with a ``<v>`` or a plain inline ``<t>``, no formula, no rich text, no entity but XML's own
        character references, no other namespace): a few regular-expression passes in C and one short loop per cell instead of
        Python calls per element, the same values (:meth:`cell_value`'s rules). The whole part is
        first parsed by expat with no callbacks, so what is not well-formed XML, or declares a DTD
        or entities, is refused as by the callback parser. False (nothing read) when anything is
        written another way: the callback parser then reads it."""
        start = data.find(b"<sheetData>")
        end = data.rfind(b"</sheetData>")
        head = data[:start]
        if start < 0 or end < start or data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return False
        declaration = head[:head.find(b"?>")] if head.startswith(b"<?xml") else b""
        if b'xmlns="' + MAIN.encode() + b'"' not in head or (b"encoding" in declaration
                                                              and not _UTF8_DECL.search(declaration)):
            return False
        raw = data[start + len(b"<sheetData>"):end]
        refs = b"&" in raw  # character references (lxml writes non-ASCII text so) and the five XML entities
        if b"xmlns" in raw or b"\r" in raw or (refs and raw.count(b"&") != len(_REF_BYTES.findall(raw))):
            return False
        _check_xml(data)  # well-formed, no DTD, no entity: or raises as the callback parser would
        body = raw.decode("utf-8")
        rows = _PLAIN_ROW.findall(body)
        if _PLAIN_ROW.sub("", body).strip() or not all(_PLAIN_CELLS.fullmatch(cells) for _, cells in rows):
            return False
        strings, dates, columns = self.strings, self.dates, self.columns
        for r, cells in rows:
            self.start_row(r)
            valued = self.valued
            for letters, digits, style, kind, has_v, v, has_is, inline in _PLAIN_CELL.findall(cells):
                col = columns.get(letters)
                if col is None:
                    col = self.new_column(letters, letters + digits)
                if kind == "inlineStr":
                    if has_is:
                        valued[col] = _unref(inline) if refs and "&" in inline else inline
                    continue
                if not has_v or not v:
                    continue
                if (kind == "n" or not kind) and not (style and int(style) in dates):
                    valued[col] = float(v) if "." in v or "E" in v or "e" in v or len(v) > 15 else float(int(v))
                elif kind == "s":
                    valued[col] = strings[int(v)]
                else:
                    v = _unref(v) if refs and "&" in v else v
                    self.kind, self.style, self.v = kind or "n", int(style) if style else 0, [v]
                    valued[col] = self.cell_value()
            self.rows.append((self.row_no, _row(valued)))
            self.rdepth = self.cdepth = self.kdepth = -1
        return True

    def start_row(self, r: str | None) -> None:
        if r is None:
            self.row_no += 1
        else:  # openpyxl's parse_row: an integer, or a float that is one
            try:
                self.row_no = int(r)
            except ValueError:
                number = float(r)
                if not number.is_integer():
                    raise ValueError(f"{r} is not a valid row number") from None
                self.row_no = int(number)
        if not 0 < self.row_no <= MAX_ROWS:
            raise CellOutOfRange(f"row {r if r is not None else self.row_no}")
        self.rdepth = self.depth
        self.cdepth, self.kdepth = self.depth + 1, self.depth + 2
        self.col, self.valued = 0, {}

    def new_column(self, letters: str, ref: str) -> int:
        """The number of column ``letters``, remembered: a sheet uses few columns, in every row."""
        col = self.columns[letters] = column_number(letters, ref)
        return col

    def end(self, name: str) -> None:
        depth = self.depth
        self.depth = depth - 1
        if depth == self.kdepth:
            self.text = None
            self.in_is = False
        elif depth == self.cdepth:
            value = self.cell_value()
            if value is not None:
                self.valued[self.col] = value
            elif self.formula:  # saved by a program that does not calculate (no Excel yet)
                self.uncalculated.append((self.row_no, self.col))
            self.text = None
        elif depth == self.rdepth:
            self.rows.append((self.row_no, _row(self.valued)))
            self.rdepth = self.cdepth = self.kdepth = -1
        elif self.in_run and depth == self.kdepth + 1:  # the end of a rich-text run
            if self.run_t is not None:
                self.runs.append("".join(self.run_t))
            self.in_run = False
            self.text = None
        else:
            self.text = None

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def cell_value(self) -> Any:
        """The cell's value as xlwings gives it: float, str, bool, datetime (time, timedelta), None."""
        kind = self.kind
        if kind == "inlineStr":
            if self.runs is None:
                return None
            return ("".join(self.plain) if self.plain is not None else "") + "".join(self.runs)
        if self.v is None:
            return None
        value = "".join(self.v)
        if not value:
            return None
        if kind == "n":
            # digits beyond a float's precision are read as a float: a 400-digit crafted number is inf,
            # which every check downstream rejects, instead of an int no float can hold
            if "." in value or "E" in value or "e" in value or len(value) > 15:
                number = float(value)
            else:
                number = int(value)
            if self.style in self.dates:
                try:
                    return from_excel(number, self.epoch, self.style in self.deltas)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return float(number)
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            found = from_iso8601(value)
            return dt.datetime(found.year, found.month, found.day) if type(found) is dt.date else found
        return value  # "e" (the error's text), "str" (a formula's text), and any other


_UTF8_DECL = re.compile(rb'encoding=["\'](?i:utf-8)["\']')
_CELL_TEXT = (r'<c r="([A-Z]{1,3})([0-9]+)"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?'
              r'(?: ?/>|>(?:(<v>)([^<]*)</v>)?</c>|>(<is>)<t(?: xml:space="preserve")?>([^<]*)</t></is></c>)')
_PLAIN_CELL = re.compile(_CELL_TEXT)
_PLAIN_CELLS = re.compile("(?:" + re.sub(r"\((?!\?)", "(?:", _CELL_TEXT) + ")*")
_REF = r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));"
_REF_TEXT, _REF_BYTES = re.compile(_REF), re.compile(_REF.encode())
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _unref(text: str) -> str:
    """XML's character references and predefined entities replaced as an XML parser does (expat has
    checked them already: no reference to a character XML forbids)."""
    return _REF_TEXT.sub(lambda m: chr(int(m[1])) if m[1] else chr(int(m[2], 16)) if m[2] else _NAMED[m[3]], text)


_PLAIN_ROW = re.compile(r'<row r="([0-9]+)"(?: [a-zA-Z0-9:]+="[^"<>]*")* ?(?:/>|>(.*?)</row>)', re.S)


def _check_xml(data: bytes) -> None:
    """Parse ``data`` with expat and no element callbacks: refuse a DTD or an entity, raise
    ParseError for what is not well-formed, as the callback parser does."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_unparsed_entity
    parser.ExternalEntityRefHandler = _refuse_external
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        err = ParseError(str(exc))
        err.code, err.position = exc.code, (exc.lineno, exc.offset)
        raise err from None


def _row(valued: dict[int, Any]) -> Sequence[Any]:
    """A row from its values by column: as long as its last value, dense unless they lie far apart."""
    if not valued:
        return _EMPTY
    width = max(valued)
    if width > SPARSE_FROM and width > 4 * len(valued):
        return SparseRow({c - 1: v for c, v in valued.items()}, width)
    row = [None] * width
    for c, value in valued.items():
        row[c - 1] = value
    return row
