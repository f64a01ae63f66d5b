"""Read a period workbook's inputs from whole-sheet grids into one engine frame.

Sheets are recognised by content, not by name: an input sheet is any sheet whose header
holds the machine id ``employee_id`` (or, if HR deleted the machine row, the label 工号).
Columns are found by canonical id, else by Chinese/English label, so renamed, reordered or
moved columns still work. Every value keeps its address, so an engine problem about row r,
field f is reported at the sheet and cell where HR typed it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import pandas as pd

from kpi_engine import Scheme, normalize_id
from kpi_engine.i18n import PerLang, lang_of, tr
from kpi_engine.inputs import label_map
from kpi_engine.numbers import is_blank as blank_cell

from ..ooxml.cells import cell_ref
from .calibration_input import calibration_header
from .cell_problem import CellProblem
from .errors import workbook_error
from .layout import RESULT_KEYS, layout
from .row_ids import LooseRow, Roster, match_rows, roster_problems, text_of
from .sources import SheetSource, row_values

HEADER_SCAN_ROWS = 10


@dataclass
class InputTable:
    """One input sheet: which column holds which field, and its data rows."""

    sheet: str
    columns: dict[str, int]  # field id -> 0-based column
    first_data_row: int  # 0-based
    rows: list[int]  # 0-based grid rows that hold data
    grid: list[list[Any]]


@dataclass
class GatheredInputs:
    """The engine frame plus where each value came from."""

    frame: pd.DataFrame
    where: Mapping[tuple[int, str], tuple[str, str]]  # (frame row, field) -> (sheet, cell), see CellMap
    tables: list[InputTable]
    problems: list[CellProblem]
    field_sheet: dict[str, str]  # field -> sheet that holds it (for whole-column problems)
    absent: dict[str, set[str]] = dataclass_field(default_factory=dict)  # sheet -> roster ids without a row there
    explained: set[tuple[str, str]] = dataclass_field(default_factory=set)  # (sheet, id) a row's message covers
    roster_notes: dict[int, str] = dataclass_field(default_factory=dict)  # frame row -> what other sheets say of its id


def is_blank(value: Any) -> bool:
    """An empty cell (:func:`kpi_engine.numbers.is_blank`; a dash is data until its column's kind is known)."""
    return blank_cell(value)


def find_header(grid: list[list[Any]], scheme: Scheme) -> tuple[dict[str, int], int, list[tuple[int, str]]] | None:
    """Locate the header rows: returns (field -> column, first data row, unknown headers)."""
    labels = label_map(scheme)
    ids = {f.id for f in scheme.inputs}
    id_row = label_row = None
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        cells = [str(v).strip() for v in row if isinstance(v, str)]
        if id_row is None and "employee_id" in cells:
            id_row = r
        if label_row is None and any(labels.get(c.lower()) == "employee_id" for c in cells if c != "employee_id"):
            label_row = r
    header = id_row if id_row is not None else label_row
    if header is None:
        return None
    columns: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    row = grid[header]
    label_cells = grid[label_row] if label_row is not None else []
    for c in range(max(len(row), len(label_cells))):
        value = row[c] if c < len(row) else None
        lab = label_cells[c] if c < len(label_cells) else None
        if is_blank(value) and is_blank(lab):
            continue
        text = "" if is_blank(value) else str(value).strip()
        fid = text if text in ids else None
        if fid is None and not is_blank(lab):  # a column HR added with its label only (row 2 blank)
            fid = labels.get(str(lab).strip().lower())
        if fid is None and text:
            fid = labels.get(text.lower())
        if fid is None:
            unknown.append((c, text or str(lab).strip()))
        elif fid not in columns:
            columns[fid] = c
    first_data = max(r for r in (id_row, label_row) if r is not None) + 1
    return columns, first_data, unknown


def read_meta(source: SheetSource) -> dict[str, str]:
    """The hidden key/value sheet (period, lang, fingerprint…); {} when absent."""
    name = layout().sheet("meta")
    if name not in source.sheet_names():
        return {}
    out = {}
    for row in source.read(name):
        if len(row) >= 2 and not is_blank(row[0]):
            out[str(row[0]).strip()] = "" if is_blank(row[1]) else str(row[1]).strip()
    return out


OWNED_KEY = "owned_sheets"  # meta key: the sheets compute created, separated by SHEET_SEP
SHEET_SEP = "/"  # no sheet name can hold it


def owned_sheets(meta: dict[str, str]) -> list[str]:
    """The result sheets compute created in this workbook, as recorded in the meta sheet.

    Only these are ever replaced or removed: HR's own sheets are never ours, whatever their
    names ("Summary" in a Chinese workbook, say). A workbook computed before the record existed
    owns the result sheets of its own language.
    """
    if OWNED_KEY in meta:
        return [n for n in meta[OWNED_KEY].split(SHEET_SEP) if n]
    if meta.get("computed_at"):
        lang = lang_of(meta.get("lang"))
        return [layout().sheet(key, lang) for key in RESULT_KEYS]
    return []


NOT_INPUT = ("help", "config", "meta", "shops", "import_log")  # layout sheets that are never input sheets


def skip_sheets(meta: dict[str, str]) -> set[str]:
    """Sheets that are never input sheets: the generated ones, HR's shop owners, and the sheets
    the commands own (results, the import log)."""
    lay = layout()
    names = {lay.sheets[k][lang] for k in NOT_INPUT for lang in ("zh", "en")}
    return names | set(owned_sheets(meta))


def kept_owned(meta: dict[str, str], present: list[str]) -> list[str]:
    """The sheets we own that are not compute's results nor the help sheet compute rebuilds (fill's
    import log): a write of the results keeps them, and keeps them recorded as ours."""
    lay = layout()
    results = {n.casefold() for n in lay.all_result_names() | {lay.sheet("help", k) for k in ("zh", "en")}}
    here = {n.casefold() for n in present}
    return [n for n in owned_sheets(meta) if n.casefold() not in results and n.casefold() in here]


def claim_sheets(source: SheetSource, meta: dict[str, str], names: list[str]) -> list[str]:
    """Check that writing the sheets ``names`` replaces only sheets we own; return the sheets we
    own that the new ones do not replace (results of another language: removed with the write).

    Raises WorkbookError naming a sheet of HR's that has one of those names.
    """
    owned = {n.casefold() for n in owned_sheets(meta)}
    wanted = {n.casefold() for n in names}
    present = source.sheet_names()
    clash = [n for n in present if n.casefold() in wanted and n.casefold() not in owned]
    if clash:
        raise workbook_error("not_ours", names=PerLang("」「".join(clash), "', '".join(clash)))
    kept = {n.casefold() for n in kept_owned(meta, present)}
    return [n for n in present if n.casefold() in owned and n.casefold() not in wanted | kept]


def gather(source: SheetSource, scheme: Scheme, lang: str = "zh") -> GatheredInputs:
    """Merge every input sheet into one frame, one row per employee of the first sheet."""
    tables = input_tables(source, scheme)
    merger = _Merger(tables, lang)
    for t_i, table in enumerate(tables):
        merger.add(t_i, table)
    merger.place_loose_rows()
    columns = list(dict.fromkeys(f for t in tables for f in t.columns))
    merger.problems += unnamed_columns(tables, scheme, lang)
    records = merger.records
    frame = pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)
    return GatheredInputs(frame.astype(object), merger.where, tables, merger.problems, merger.field_sheet,
                          merger.absent(), merger.explained, merger.roster_notes)


def unnamed_columns(tables: list[InputTable], scheme: Scheme, lang: str) -> list[CellProblem]:
    """A warning for each column found by its label because its id cell (row 2) is blank: it is
    read all the same; the warning suggests the id to type, at that cell."""
    out = []
    for table in tables:
        id_row = table.first_data_row - 1  # 0-based: the machine row, when the sheet has one
        ids = [str(v).strip() for v in table.grid[id_row] if isinstance(v, str)] if id_row >= 0 else []
        if "employee_id" not in ids:
            continue
        row = table.grid[id_row]
        for fid, c in table.columns.items():
            if c >= len(row) or is_blank(row[c]):
                cell = cell_ref(id_row + 1, c + 1)
                label = table.grid[id_row - 1][c] if id_row and c < len(table.grid[id_row - 1]) else fid
                out.append(CellProblem(table.sheet, cell, None, fid, None,
                                       tr("workbook.id_by_label", lang, label=label, name=scheme.field_name(fid, lang),
                                          cell=cell, id=fid), "warning", "id_by_label"))
    return out


def input_tables(source: SheetSource, scheme: Scheme) -> list[InputTable]:
    """Every input sheet (a header with 工号 / employee_id), in workbook order, with its data rows.
    HR's 校准 sheet has such a header too, but it is not an input of the scores: it is left out."""
    tables: list[InputTable] = []
    skip = skip_sheets(read_meta(source))
    for name in source.sheet_names():
        if name in skip:
            continue
        grid = source.read(name)
        found = find_header(grid, scheme)
        if found is None or calibration_header(grid) is not None:
            continue
        columns, first_data, _ = found
        rows = [r for r in range(first_data, len(grid)) if any(not is_blank(v) for v in row_values(grid[r]))]
        tables.append(InputTable(name, columns, first_data, rows, grid))
    if not tables:
        raise workbook_error("no_input_sheet")
    return tables


class _Merger:
    """The input sheets merged row by row into records: the first sheet's rows are the roster,
    later sheets' rows join by 工号; every value's cell is kept, every clash reported. A later
    row whose 工号 is blank or not on the roster is placed at the end, by name (:mod:`.row_ids`)."""

    def __init__(self, tables: list[InputTable], lang: str):
        self.tables, self.lang = tables, lang
        self.records: list[dict[str, Any]] = []
        self.where = CellMap([t.sheet for t in tables])
        self.index_of: dict[str, int] = {}
        self.field_sheet: dict[str, str] = {}
        self.problems: list[CellProblem] = []
        self.loose: list[LooseRow] = []
        self.present: dict[int, set[int]] = {}  # later sheet -> records that have a row there
        self.roster: Roster | None = None
        self.explained: set[tuple[str, str]] = set()
        self.roster_notes: dict[int, str] = {}
        self.filled: set[str] = set()  # texts found not blank: a later sheet repeats the roster's texts

    def add(self, t_i: int, table: InputTable) -> None:
        id_col = table.columns.get("employee_id")
        if id_col is None:
            return
        for fid in table.columns:
            self.field_sheet.setdefault(fid, table.sheet)
        seen: dict[str, int] = {}
        name_col = table.columns.get("name")
        for r in table.rows:
            row = table.grid[r]
            raw = row[id_col] if id_col < len(row) else None
            eid = normalize_id(raw)
            if t_i == 0:
                pos = self._roster_row(eid)
            elif eid is None or eid not in self.index_of:
                name = text_of(row[name_col]) if name_col is not None and name_col < len(row) else None
                self.loose.append(LooseRow(t_i, table.sheet, r, cell_ref(r + 1, id_col + 1), raw, eid, name))
                continue
            else:
                pos = self._joined_row(table, r, id_col, eid, seen)
            if pos is not None:
                self._merge(pos, t_i, table, r, row)
                if t_i:
                    self.present.setdefault(t_i, set()).add(pos)
        if t_i == 0:
            self.roster = self._roster_of(table)

    def _roster_of(self, table: InputTable) -> Roster:
        ids = [normalize_id(rec.get("employee_id")) for rec in self.records]
        names = [text_of(rec.get("name")) for rec in self.records]
        cells = [self.where.get((pos, "employee_id"), ("", ""))[1] for pos in range(len(self.records))]
        return Roster(table.sheet, ids, names, cells)

    def place_loose_rows(self) -> None:
        """The later sheets' rows with a wrong 工号: joined by name where that is certain, each
        cause reported once; then the roster's own 工号 cells that hold a name."""
        if self.roster is None:
            return
        matched = match_rows(self.loose, self.roster, self.present, self.lang)
        for row, pos in matched.joins:
            table = self.tables[row.t_i]
            self._merge(pos, row.t_i, table, row.r, table.grid[row.r])
        self.problems += matched.problems
        self.explained, self.roster_notes = matched.explained, matched.roster_notes
        self.problems += roster_problems(self.roster, self.roster_notes, self.lang)

    def absent(self) -> dict[str, set[str]]:
        """sheet -> the roster's ids that have no row on that later sheet."""
        if self.roster is None:
            return {}
        roster = self.roster
        usable = [(pos, roster.usable(pos)) for pos in range(len(roster.ids))]
        return {self.tables[t_i].sheet: {rid for pos, rid in usable if rid and pos not in self.present.get(t_i, set())}
                for t_i in range(1, len(self.tables)) if "employee_id" in self.tables[t_i].columns}

    def _new_record(self) -> int:
        self.records.append({})
        self.where.add_row()
        return len(self.records) - 1

    def _roster_row(self, eid: str | None) -> int:
        """A row of the first sheet: always a record (a blank or repeated id is the engine's to report)."""
        pos = self._new_record()
        if eid is not None and eid not in self.index_of:
            self.index_of[eid] = pos
        return pos

    def _joined_row(self, table: InputTable, r: int, id_col: int, eid: str, seen: dict[str, int]) -> int | None:
        """The record a later sheet's row joins (its 工号 is on the roster), or None when the row is
        not used: its 工号 is repeated on the sheet (reported)."""
        lang, cell = self.lang, cell_ref(r + 1, id_col + 1)
        if eid in seen:
            self.problems.append(CellProblem(
                table.sheet, cell, eid, "employee_id", eid,
                tr("workbook.row_repeated", lang, eid=eid, row=seen[eid] + 1), "error", "duplicate_id"))
            pos = self.index_of.get(eid)
            for fid in table.columns:
                if fid != "employee_id" and self.where.sheet_of(pos, fid) == table.sheet:
                    self.records[pos].pop(fid, None)
                    self.where.drop(pos, fid)
            return None
        seen[eid] = r
        return self.index_of[eid]

    def _merge(self, pos: int, t_i: int, table: InputTable, r: int, row: Any) -> None:
        """The row's values into the record: the first value of a field wins, a different later one is reported."""
        rec, where, width = self.records[pos], self.where, len(row)
        if not rec:  # a new record (a roster row): nothing to compare with
            for fid, c in table.columns.items():
                value = row[c] if c < width else None
                rec[fid] = value.strip() if isinstance(value, str) else value
                where.put(pos, fid, t_i, r, c)
            return
        filled = self.filled
        for fid, c in table.columns.items():
            value = row[c] if c < width else None
            if isinstance(value, str):  # stray spaces around a name or a choice are not part of it
                value = value.strip()
            if fid == "employee_id":
                rec.setdefault(fid, value)
                if where.sheet_of(pos, fid) is None:
                    where.put(pos, fid, t_i, r, c)
                continue
            before = rec.get(fid, _NONE)
            if type(before) is str and before == value and before in filled:  # the roster's text again
                continue
            if before is not _NONE and not blank_cell(before):
                if type(before) is str:
                    filled.add(before)
                if not blank_cell(value) and _differs(before, value):
                    src_sheet, src_cell = where[(pos, fid)]
                    self.problems.append(CellProblem(
                        table.sheet, cell_ref(r + 1, c + 1), normalize_id(rec.get("employee_id")), fid, value,
                        tr("workbook.value_conflict", self.lang, sheet=src_sheet, cell=src_cell, value=rec[fid]),
                        "warning", "conflict"))
                continue
            rec[fid] = value
            where.put(pos, fid, t_i, r, c)


_NONE = object()  # a field the record does not have yet


class CellMap(Mapping):
    """(frame row, field) -> (sheet, cell 'B7'): where each value of the engine frame was typed.

    A read-only mapping kept as one array of packed (sheet, row, column) per field, and the
    address text made when asked for: a dict of tuples and strings for every input cell took
    more memory at 10,000 employees than the sheets' values themselves.
    """

    _ROW_BITS = _COL_BITS = 21  # Excel: 1,048,576 rows and 16,384 columns (sources refuse more)

    def __init__(self, sheets: list[str]):
        self._sheets = sheets
        self._cols: dict[str, array] = {}
        self._n = 0

    def add_row(self) -> None:
        self._n += 1
        for values in self._cols.values():
            values.append(-1)

    def put(self, pos: int, fid: str, sheet: int, row: int, col: int) -> None:
        """The value at frame row ``pos`` of ``fid`` came from grid (row, col), both 0-based, of sheet ``sheet``."""
        values = self._cols.get(fid)
        if values is None:
            values = self._cols[fid] = array("q", [-1]) * self._n
        values[pos] = (sheet << (self._ROW_BITS + self._COL_BITS)) | (row << self._COL_BITS) | col

    def drop(self, pos: int, fid: str) -> None:
        if self._packed(pos, fid) != -1:
            self._cols[fid][pos] = -1

    def sheet_of(self, pos: Any, fid: str) -> str | None:
        packed = self._packed(pos, fid)
        return None if packed < 0 else self._sheets[packed >> (self._ROW_BITS + self._COL_BITS)]

    def _packed(self, pos: Any, fid: Any) -> int:
        values = self._cols.get(fid) if isinstance(fid, str) else None
        if values is None or isinstance(pos, bool):
            return -1
        if isinstance(pos, float) and pos.is_integer():
            pos = int(pos)
        try:
            return values[pos] if 0 <= pos < self._n else -1
        except TypeError:
            return -1

    def __getitem__(self, key: tuple[int, str]) -> tuple[str, str]:
        try:
            pos, fid = key
        except (TypeError, ValueError):
            raise KeyError(key) from None
        packed = self._packed(pos, fid)
        if packed < 0:
            raise KeyError(key)
        col_mask = (1 << self._COL_BITS) - 1
        row = (packed >> self._COL_BITS) & ((1 << self._ROW_BITS) - 1)
        return self._sheets[packed >> (self._ROW_BITS + self._COL_BITS)], cell_ref(row + 1, (packed & col_mask) + 1)

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for fid, values in self._cols.items():
            for pos, packed in enumerate(values):
                if packed != -1:
                    yield pos, fid

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _differs(a: Any, b: Any) -> bool:
    if type(a) is str and a == b:  # the roster columns repeated on every input sheet: same text
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return not math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return normalize_id(a) != normalize_id(b)
