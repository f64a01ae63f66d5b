"""A stand-in for an xlwings ``Book`` that behaves as xlwings does on Windows, for tests.

No Excel exists on Linux, so the add-in's macros are tested against this object. It keeps
what matters to the adapter and to Excel users:

- values come back as xlwings gives them: numbers as float (an id typed as 1001 reads as
  1001.0), blanks as None, dates as datetime, error cells as None (or their text with
  ``err_to_str=True``); one 2-D list for a multi-cell range (a flat list for one row or
  column, a scalar for one cell) unless ``options(ndim=2)``;
- writing a string is read by Excel like typed input: ``"1001"`` becomes the number 1001,
  ``"=A1"`` a formula, a leading apostrophe keeps the rest as text and is not part of the
  value;
- a protected sheet refuses writes, as Excel does;
- every range value read and write is counted (``book.reads``, ``book.writes``), and the app
  records screen updating, calculation mode, status bar messages and alerts.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import column_index_from_string, get_column_letter

XL_VISIBLE, XL_HIDDEN, XL_VERY_HIDDEN = -1, 0, 2
_ADDRESS = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
POINTS_PER_ROW, POINTS_PER_COL = 15.0, 48.0


class FakeComError(RuntimeError):
    """What Excel raises through COM (e.g. writing to a protected sheet)."""


@dataclass(frozen=True)
class CellError:
    """An Excel error value such as #DIV/0! held in a cell."""

    text: str


@dataclass
class Alert:
    prompt: str
    title: str | None
    buttons: str
    mode: str | None


@dataclass
class FakeChart:
    """A chart as recorded by ``sheet.charts.add``."""

    sheet: FakeSheet
    name: str
    chart_type: str | None = None
    anchor: str | None = None
    source: str | None = None
    x_values: str | None = None
    title: str | None = None
    deleted: bool = False

    def set_source_data(self, source: FakeRange, plot_by: str | None = None) -> None:
        self.source = source.address

    def set_x_axis_values(self, source: FakeRange) -> None:
        self.x_values = source.address

    def delete(self) -> None:
        self.deleted = True
        self.sheet.charts.items.remove(self)


class FakeCharts:
    """``sheet.charts``: add, iterate, count."""

    def __init__(self, sheet: FakeSheet):
        self.sheet = sheet
        self.items: list[FakeChart] = []
        self.created = 0

    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211,
            chart_type: str | None = None, source: FakeRange | None = None, plot_by: str | None = None,
            name: str | None = None, anchor: FakeRange | None = None, style: int | None = 227) -> FakeChart:
        if anchor is not None and (top or left):
            raise ValueError("You must either provide 'anchor' or 'top'/'left', but not both.")
        self.created += 1
        chart = FakeChart(self.sheet, name or f"Chart {self.created}", chart_type,
                          anchor.address if anchor is not None else None)
        if source is not None:
            chart.set_source_data(source, plot_by)
        self.items.append(chart)
        return chart

    def __iter__(self) -> Iterator[FakeChart]:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)


class FakeSheetApi:
    """The bits of the COM Worksheet object the adapter touches: Visible, Protect, Unprotect."""

    def __init__(self) -> None:
        self.Visible = XL_VISIBLE
        self.ProtectContents = False
        self.password: str | None = None
        self.calls: list[str] = []

    def Protect(self, Password: str | None = None, *args: Any, **kwargs: Any) -> None:  # noqa: N802,N803 - COM names
        self.calls.append("Protect(password)" if Password else "Protect")
        self.password = Password
        self.ProtectContents = True

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N802,N803 - COM names
        self.calls.append("Unprotect")
        if self.ProtectContents and self.password and Password != self.password:
            raise FakeComError("The password you supplied is not correct.")
        self.ProtectContents = False


class FakeFont:
    def __init__(self, rng: FakeRange):
        self._rng = rng

    @property
    def bold(self) -> bool:
        return all(self._rng.sheet.bold.get(cell, False) for cell in self._rng.cells())

    @bold.setter
    def bold(self, value: bool) -> None:
        for cell in self._rng.cells():
            self._rng.sheet.bold[cell] = bool(value)


class FakeRange:
    """A rectangular range; 1-based inclusive corners."""

    def __init__(self, sheet: FakeSheet, r1: int, c1: int, r2: int, c2: int, **options: Any):
        self.sheet = sheet
        self.r1, self.c1 = min(r1, r2), min(c1, c2)
        self.r2, self.c2 = max(r1, r2), max(c1, c2)
        self._options = options

    # -- geometry ------------------------------------------------------------
    @property
    def row(self) -> int:
        return self.r1

    @property
    def column(self) -> int:
        return self.c1

    @property
    def shape(self) -> tuple[int, int]:
        return (self.r2 - self.r1 + 1, self.c2 - self.c1 + 1)

    @property
    def last_cell(self) -> FakeRange:
        return FakeRange(self.sheet, self.r2, self.c2, self.r2, self.c2)

    @property
    def address(self) -> str:
        first = f"${get_column_letter(self.c1)}${self.r1}"
        if (self.r1, self.c1) == (self.r2, self.c2):
            return first
        return f"{first}:${get_column_letter(self.c2)}${self.r2}"

    @property
    def left(self) -> float:
        return (self.c1 - 1) * POINTS_PER_COL

    @property
    def top(self) -> float:
        return (self.r1 - 1) * POINTS_PER_ROW

    @property
    def font(self) -> FakeFont:
        return FakeFont(self)

    def cells(self) -> Iterator[tuple[int, int]]:
        for r in range(self.r1, self.r2 + 1):
            for c in range(self.c1, self.c2 + 1):
                yield (r, c)

    def options(self, convert: Any = None, **options: Any) -> FakeRange:
        return FakeRange(self.sheet, self.r1, self.c1, self.r2, self.c2, **options)

    # -- values --------------------------------------------------------------
    @property
    def value(self) -> Any:
        book = self.sheet.book
        book.reads += 1
        book.read_log.append((self.sheet.name, self.address))
        err_to_str = self._options.get("err_to_str", False)
        grid = [[_as_read(self.sheet.cells.get((r, c)), err_to_str) for c in range(self.c1, self.c2 + 1)]
                for r in range(self.r1, self.r2 + 1)]
        if self._options.get("ndim") == 2:
            return grid
        n_rows, n_cols = self.shape
        if n_rows == 1 and n_cols == 1:
            return grid[0][0]
        if n_rows == 1:
            return grid[0]
        if n_cols == 1:
            return [row[0] for row in grid]
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        sheet = self.sheet
        sheet.book.writes += 1
        if sheet.api.ProtectContents:
            raise FakeComError(f"sheet {sheet.name!r} is protected")
        if isinstance(data, (list, tuple)):
            rows = [list(r) for r in data] if data and isinstance(data[0], (list, tuple)) else [list(data)]
        else:
            rows = [[data]]
        width = max((len(r) for r in rows), default=0)
        if any(len(r) != width for r in rows):
            raise FakeComError("rows of a 2-D write must all have the same length")
        sheet.book.write_log.append((sheet.name, self.address, len(rows), width))
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                sheet.store(self.r1 + i, self.c1 + j, v)

    def clear_contents(self) -> None:
        for cell in self.cells():
            self.sheet.cells.pop(cell, None)
            self.sheet.formulas.discard(cell)

    # -- formats -------------------------------------------------------------
    @property
    def number_format(self) -> str:
        return self.sheet.number_formats.get((self.r1, self.c1), "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        self.sheet.format_calls += 1
        for cell in self.cells():
            self.sheet.number_formats[cell] = value

    @property
    def wrap_text(self) -> bool:
        return all(self.sheet.wrapped.get(cell, False) for cell in self.cells())

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        self.sheet.format_calls += 1
        for cell in self.cells():
            self.sheet.wrapped[cell] = bool(value)

    @property
    def rows(self) -> FakeRows:
        return FakeRows(self)

    @property
    def column_width(self) -> float:
        return self.sheet.column_widths.get(self.c1, 8.43)

    @column_width.setter
    def column_width(self, value: float) -> None:
        self.sheet.format_calls += 1
        for c in range(self.c1, self.c2 + 1):
            self.sheet.column_widths[c] = float(value)


class FakeRows:
    """``range.rows``: only ``autofit``, which sets each row's height as Excel would for its wrapped
    cells at the column widths of that moment (15 points a line; a wide character counts two)."""

    def __init__(self, rng: FakeRange):
        self._rng = rng

    def autofit(self) -> None:
        sheet = self._rng.sheet
        sheet.format_calls += 1
        for r in range(self._rng.r1, self._rng.r2 + 1):
            lines = 1
            for (row, c), v in sheet.cells.items():
                if row == r and isinstance(v, str) and sheet.wrapped.get((r, c)):
                    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in v)
                    lines = max(lines, math.ceil(width / sheet.column_widths.get(c, 8.43)))
            sheet.row_heights[r] = 15.0 * lines


class FakeSheet:
    """A worksheet: a dict of cells plus the state the adapter changes."""

    def __init__(self, book: FakeBook, name: str):
        self.book = book
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.formulas: set[tuple[int, int]] = set()
        self.number_formats: dict[tuple[int, int], str] = {}
        self.column_widths: dict[int, float] = {}
        self.bold: dict[tuple[int, int], bool] = {}
        self.wrapped: dict[tuple[int, int], bool] = {}
        self.row_heights: dict[int, float] = {}  # set by rows.autofit (clear keeps them, as Excel does)
        self.format_calls = 0
        self.charts = FakeCharts(self)
        self.api = FakeSheetApi()
        self.activated = 0

    def __repr__(self) -> str:
        return f"<FakeSheet {self.name!r}>"

    @property
    def visible(self) -> bool:
        return self.api.Visible == XL_VISIBLE

    @visible.setter
    def visible(self, value: bool) -> None:
        self.api.Visible = XL_VISIBLE if value else XL_HIDDEN

    @property
    def used_range(self) -> FakeRange:
        used = [cell for cell, v in self.cells.items() if v is not None]
        if not used:
            return FakeRange(self, 1, 1, 1, 1)
        rows = [r for r, _ in used]
        cols = [c for _, c in used]
        return FakeRange(self, min(rows), min(cols), max(rows), max(cols))

    def range(self, first: str | tuple[int, int], last: str | tuple[int, int] | None = None) -> FakeRange:
        r1, c1, r2, c2 = _corners(first)
        if last is not None:
            lr1, lc1, lr2, lc2 = _corners(last)
            r1, c1, r2, c2 = min(r1, lr1), min(c1, lc1), max(r2, lr2), max(c2, lc2)
        return FakeRange(self, r1, c1, r2, c2)

    def __getitem__(self, address: str) -> FakeRange:
        return self.range(address)

    def store(self, r: int, c: int, v: Any) -> None:
        """Put a value in a cell the way Excel takes a value assigned through COM."""
        self.formulas.discard((r, c))
        value = _as_typed(v)
        if isinstance(v, str) and v.startswith("="):  # Excel enters it as a formula
            self.formulas.add((r, c))
        if value is None:
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = value

    def grid(self) -> list[list[Any]]:
        """The used range from A1 as values (test helper; not counted as a read)."""
        last = self.used_range.last_cell
        if not self.cells:
            return []
        return [[_as_read(self.cells.get((r, c)), True) for c in range(1, last.column + 1)]
                for r in range(1, last.row + 1)]

    def clear_contents(self) -> None:
        if self.api.ProtectContents:
            raise FakeComError(f"sheet {self.name!r} is protected")
        self.cells.clear()
        self.formulas.clear()

    def clear(self) -> None:
        self.clear_contents()
        self.number_formats.clear()
        self.bold.clear()
        self.wrapped.clear()

    def activate(self) -> None:
        self.activated += 1
        self.book.active = self

    def delete(self) -> None:
        self.book.sheets.items.remove(self)


class FakeSheets:
    """``book.sheets``: by name or 0-based index, iteration, ``add``."""

    def __init__(self, book: FakeBook):
        self.book = book
        self.items: list[FakeSheet] = []

    def __getitem__(self, key: int | str) -> FakeSheet:
        if isinstance(key, int):
            return self.items[key]
        for sheet in self.items:
            if sheet.name.lower() == str(key).lower():
                return sheet
        raise FakeComError(f"no sheet named {key!r}")

    def __call__(self, key: int | str) -> FakeSheet:
        return self.items[key - 1] if isinstance(key, int) else self[key]

    def __iter__(self) -> Iterator[FakeSheet]:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, name: str) -> bool:
        return any(s.name.lower() == str(name).lower() for s in self.items)

    @property
    def active(self) -> FakeSheet:
        return self.book.active or self.items[0]

    def add(self, name: str | None = None, before: FakeSheet | None = None, after: FakeSheet | None = None) -> FakeSheet:
        if name is not None and name in self:
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        sheet = FakeSheet(self.book, name or f"Sheet{len(self.items) + 1}")
        if before is not None:
            self.items.insert(self.items.index(before), sheet)
        elif after is not None:
            self.items.insert(self.items.index(after) + 1, sheet)
        elif not self.items:
            self.items.append(sheet)
        else:
            self.items.insert(self.items.index(self.active), sheet)
        self.book.active = sheet
        return sheet


class FakeAppApi:
    """The bits of the COM Application object (``app.api``) the add-in touches: GetOpenFilename.

    As Excel on Windows through pywin32: with ``MultiSelect=True`` the files chosen come back as a
    tuple of str (one file: a tuple of one), the Cancel button gives False. Set ``chosen`` to the
    paths the "user" picks (None: the user cancels)."""

    def __init__(self) -> None:
        self.chosen: list[str] | None = None
        self.calls: list[dict[str, Any]] = []

    def GetOpenFilename(self, FileFilter: str | None = None, FilterIndex: int | None = None,  # noqa: N802,N803 - COM
                        Title: str | None = None, ButtonText: str | None = None, MultiSelect: bool = False) -> Any:  # noqa: N803
        self.calls.append({"FileFilter": FileFilter, "Title": Title, "MultiSelect": MultiSelect})
        if not self.chosen:
            return False
        return tuple(self.chosen) if MultiSelect else self.chosen[0]


class FakeApp:
    """``book.app``: screen updating, calculation, status bar, alerts, ``properties``, ``api``."""

    def __init__(self) -> None:
        self.api = FakeAppApi()
        self.screen_updating = True
        self.calculation = "automatic"
        self._status_bar: str | bool = False
        self.status_history: list[str | bool] = []
        self.alerts: list[Alert] = []
        self.properties_calls: list[dict[str, Any]] = []
        self.fail_alert = False

    @property
    def status_bar(self) -> str | bool:
        return self._status_bar

    @status_bar.setter
    def status_bar(self, value: str | bool) -> None:
        self._status_bar = value
        self.status_history.append(value)

    @contextmanager
    def properties(self, **kwargs: Any) -> Iterator[FakeApp]:
        """As xlwings' ``App.properties``: set, yield, restore the previous values."""
        self.properties_calls.append(dict(kwargs))
        initial = {}
        for attribute, value in kwargs.items():
            initial[attribute] = getattr(self, attribute, value)
            setattr(self, attribute, value)
        try:
            yield self
        finally:
            for attribute, value in initial.items():
                setattr(self, attribute, value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        if self.fail_alert:
            raise FakeComError("alert failed")
        self.alerts.append(Alert(prompt, title, buttons, mode))
        return "ok"


@dataclass
class FakeBook:
    """A workbook open in the fake Excel."""

    fullname: str = "Book1"
    app: FakeApp = field(default_factory=FakeApp)
    reads: int = 0
    writes: int = 0
    read_log: list[tuple[str, str]] = field(default_factory=list)
    write_log: list[tuple[str, str, int, int]] = field(default_factory=list)
    active: FakeSheet | None = None

    def __post_init__(self) -> None:
        self.sheets = FakeSheets(self)

    @property
    def name(self) -> str:
        return Path(self.fullname).name

    @classmethod
    def from_dicts(cls, sheets: dict[str, list[list[Any]]], fullname: str = "Book1") -> FakeBook:
        """A book from {sheet name: rows from A1}; values are stored as Excel would hold them."""
        book = cls(fullname=str(fullname))
        for name, rows in sheets.items():
            sheet = book.sheets.add(name, after=book.sheets[-1] if len(book.sheets) else None)
            for r, row in enumerate(rows, 1):
                for c, v in enumerate(row, 1):
                    if v is not None:
                        sheet.cells[(r, c)] = _as_stored(v)
        book.active = book.sheets[0] if len(book.sheets) else None
        return book

    @classmethod
    def from_xlsx(cls, path: str | Path) -> FakeBook:
        """A book from a file's cached values (openpyxl), hidden states included."""
        from openpyxl import load_workbook

        wb = load_workbook(path, data_only=True)
        book = cls(fullname=str(Path(path).resolve()))
        for ws in wb.worksheets:
            sheet = book.sheets.add(ws.title, after=book.sheets[-1] if len(book.sheets) else None)
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    value = CellError(cell.value) if cell.data_type == "e" else _as_stored(cell.value)
                    sheet.cells[(cell.row, cell.column)] = value
            sheet.api.Visible = {"visible": XL_VISIBLE, "hidden": XL_HIDDEN, "veryHidden": XL_VERY_HIDDEN}[ws.sheet_state]
        book.active = book.sheets[0]
        return book

    def values(self, name: str) -> list[list[Any]]:
        """A sheet's used range from A1 (test helper; not counted)."""
        return self.sheets[name].grid()


def _corners(ref: str | tuple[int, int]) -> tuple[int, int, int, int]:
    if isinstance(ref, tuple):
        return ref[0], ref[1], ref[0], ref[1]
    parts = ref.split(":")
    cells = []
    for part in parts:
        m = _ADDRESS.match(part.strip())
        if not m:
            raise ValueError(f"unsupported address {ref!r}")
        cells.append((int(m.group(2)), column_index_from_string(m.group(1).upper())))
    (r1, c1), (r2, c2) = cells[0], cells[-1]
    return r1, c1, r2, c2


def _as_stored(v: Any) -> Any:
    """What a cell holds for a Python value: numbers are doubles, dates datetimes."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    return v


def _as_typed(v: Any) -> Any:
    """A value assigned through COM, as Excel parses it (strings like typed input)."""
    if v is None:
        return None
    if isinstance(v, str):
        if v == "":
            return None
        if v.startswith("'"):
            return v[1:] or None
        text = v.strip()
        if text.upper() in ("TRUE", "FALSE"):
            return text.upper() == "TRUE"
        number = text[:-1] if text.endswith("%") else text
        try:
            parsed = float(number.replace(",", ""))
        except ValueError:
            return v
        return parsed / 100 if text.endswith("%") else parsed
    if hasattr(v, "item") and not isinstance(v, (list, tuple)):  # numpy scalars
        v = v.item()
    if isinstance(v, float) and v != v:
        raise FakeComError("NaN cannot be written to a cell")
    return _as_stored(v)


def _as_read(v: Any, err_to_str: bool) -> Any:
    if isinstance(v, CellError):
        return v.text if err_to_str else None
    return v
