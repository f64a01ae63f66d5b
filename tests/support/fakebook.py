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
- a ``=HYPERLINK("#place","text")`` formula shows its text as the cell's value and keeps its
  place in ``sheet.links`` (what a click on it would select), as Excel evaluates it;
- a protected sheet refuses writes, as Excel does;
- every range value read and write is counted (``book.reads``, ``book.writes``), and the app
  records screen updating, calculation mode, status bar messages and alerts.

What Excel and xlwings do beyond values, emulated where the add-in depends on it (and where
each behaviour was learned):

- **cell functions** (:meth:`FakeSheet.enter_udf`): a formula calling a Python UDF is computed
  as ``xlwings.udfs.call_udf`` does it: range arguments read with the options the function was
  registered with (``__xlfunc__``; squeezed values otherwise), a missing optional argument as its
  default, the reserved ``caller`` argument as the calling cell (xlwings docs, "The caller
  argument"); a 2-D result spills from the cell (dynamic arrays). Excel recalculates such a cell
  only when a cell in its arguments changes (at once in automatic mode), when it is marked dirty
  (``Range.Dirty``) and calculated (``Application.Calculate``), or on ``CalculateFull``
  (Microsoft's VBA reference for Range.Dirty and Application.CalculateFull; Office.js
  ``CalculationType``: "recalculate" = the cells marked dirty). A sheet the function reads through
  ``caller`` is not an argument: editing it marks nothing dirty, as in Excel;
- **Excel busy** (:meth:`FakeApp.reject_calls`): the next calls raise what pywin32 raises when
  Excel's message filter refuses an incoming call, ``com_error(-2147418111, 'Call was rejected by
  callee.', None, None)`` with ``hresult`` = RPC_E_CALL_REJECTED (xlwings' own retry in
  ``_xlwindows.COMRetryObjectWrapper`` tests ``e.hresult == -2147418111``; xlwings issue #1359);
- **read-only** (``book.api.ReadOnly``, Workbook.ReadOnly in the VBA reference): Excel lets a
  macro change a read-only book in memory; only saving it under its own name is refused;
- **Protected View** (:meth:`FakeApp.open_protected`): a book shown in a Protected View window
  is not a member of the Workbooks collection (so ``Book.caller()`` cannot find it) and is
  reached only through ``Application.ActiveProtectedViewWindow.Workbook``, where every change
  fails with "This command is not available when Excel is sandboxed" (VBA reference,
  ProtectedViewWindow.Workbook);
- **message boxes**: xlwings' ``App.alert`` on Windows is ``win32api.MessageBox`` (Unicode;
  ``mode="critical"`` shows the warning icon), recorded in ``app.alerts``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import column_index_from_string, get_column_letter

XL_VISIBLE, XL_HIDDEN, XL_VERY_HIDDEN = -1, 0, 2
_ADDRESS = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
POINTS_PER_ROW, POINTS_PER_COL = 15.0, 48.0


class FakeComError(RuntimeError):
    """What Excel raises through COM (e.g. writing to a protected sheet): like pywintypes.com_error,
    ``args`` = (hresult, text, excepinfo, argerror) and ``hresult``."""

    def __init__(self, text: str, hresult: int = -2146827284, excepinfo: Any = None):
        super().__init__(hresult, text, excepinfo, None)
        self.hresult = hresult
        self.strerror = text

    def __str__(self) -> str:
        return f"({self.hresult}, {self.strerror!r}, {self.args[2]!r}, None)"


RPC_E_CALL_REJECTED = -2147418111
SANDBOXED = "This command is not available when Excel is sandboxed."


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
    value_axis: dict[str, Any] = field(default_factory=dict)

    @property
    def api(self) -> tuple[Any, Any]:
        """As xlwings on Windows: (ChartObject, Chart); the Chart's value axis tick labels are recorded
        in ``value_axis`` (NumberFormat, NumberFormatLinked)."""
        chart = self

        class _Axis:
            def __init__(self) -> None:
                object.__setattr__(self, "TickLabels", _TickLabels())

        class _TickLabels:
            def __setattr__(self, name: str, value: Any) -> None:
                chart.value_axis[name] = value

        class _Chart:
            def Axes(self, kind: int) -> _Axis:  # noqa: N802 - COM name
                assert kind == 2, "only the value axis (xlValue) is emulated"
                return _Axis()

        return (object(), _Chart())

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


class FakePageSetup:
    """``sheet.api.PageSetup``: every property set is recorded (``settings``, in order in ``log``)."""

    def __init__(self) -> None:
        object.__setattr__(self, "settings", {})
        object.__setattr__(self, "log", [])

    def __setattr__(self, name: str, value: Any) -> None:
        self.settings[name] = value
        self.log.append((name, value))

    def __getattr__(self, name: str) -> Any:
        try:
            return self.settings[name]
        except KeyError:
            raise AttributeError(name) from None


class FakeSheetApi:
    """The bits of the COM Worksheet object the adapter touches: Visible, Protect, Unprotect,
    UsedRange.Dirty(), PageSetup."""

    def __init__(self, sheet: FakeSheet | None = None) -> None:
        self.PageSetup = FakePageSetup()
        self.Visible = XL_VISIBLE
        self.ProtectContents = False
        self.password: str | None = None
        self.calls: list[str] = []
        self._sheet = sheet

    def Protect(self, Password: str | None = None, *args: Any, **kwargs: Any) -> None:  # noqa: N802,N803 - COM names
        self.calls.append("Protect(password)" if Password else "Protect")
        self.password = Password
        self.ProtectContents = True

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N802,N803 - COM names
        self.calls.append("Unprotect")
        if self.ProtectContents and self.password and Password != self.password:
            raise FakeComError("The password you supplied is not correct.")
        self.ProtectContents = False

    @property
    def UsedRange(self) -> _UsedRangeApi:  # noqa: N802 - COM name
        return _UsedRangeApi(self._sheet)


class _UsedRangeApi:
    """``Worksheet.UsedRange`` as COM gives it: ``Dirty()`` marks its formulas for the next
    calculation (and calculates at once in automatic mode)."""

    def __init__(self, sheet: FakeSheet | None):
        self._sheet = sheet

    def Dirty(self) -> None:  # noqa: N802 - COM name
        if self._sheet is None:
            return
        self._sheet.book.app.com_call()
        for udf in self._sheet.udfs.values():
            udf.dirty = True
        self._sheet.book.app.auto_calculate()


@dataclass
class UdfCell:
    """A cell whose formula calls a Python UDF (see :meth:`FakeSheet.enter_udf`)."""

    sheet: FakeSheet
    row: int
    col: int
    func: Callable[..., Any]
    args: tuple[Any, ...]
    dirty: bool = True
    calls: int = 0
    spill: tuple[int, int] = (1, 1)

    def depends_on(self, sheet: FakeSheet, r1: int, c1: int, r2: int, c2: int) -> bool:
        return any(isinstance(a, FakeRange) and a.covers(sheet, r1, c1, r2, c2) for a in self.args)

    def calculate(self) -> None:
        """As ``xlwings.udfs.call_udf``: arguments read with their registered options, ``caller``
        the calling cell, the result written where the formula is (spilling a 2-D result)."""
        info = getattr(self.func, "__xlfunc__", None)
        names = [p for p in inspect.signature(self.func).parameters]
        options = {a["name"]: a["options"] for a in info["args"]} if info else {}
        values: list[Any] = []
        for name, arg in zip(names, self.args):
            values.append(arg.options(**options.get(name, {})).value if isinstance(arg, FakeRange) else arg)
        kwargs = {"caller": FakeRange(self.sheet, self.row, self.col, self.row, self.col)} if "caller" in names else {}
        result = self.func(*values, **kwargs)
        self.calls += 1
        self.dirty = False
        rows = result if isinstance(result, list) and result and isinstance(result[0], list) else [[result]]
        old_rows, old_cols = self.spill
        for r in range(old_rows):
            for c in range(old_cols):
                if (r, c) != (0, 0):
                    self.sheet.cells.pop((self.row + r, self.col + c), None)
        for r, line in enumerate(rows):
            for c, v in enumerate(line):
                if v is None or v == "":
                    self.sheet.cells.pop((self.row + r, self.col + c), None)
                else:
                    self.sheet.cells[(self.row + r, self.col + c)] = _as_stored(v)
        self.spill = (len(rows), max(len(line) for line in rows))


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
        book.app.com_call()
        book.reads += 1
        book.read_log.append((self.sheet.name, self.address))
        err_to_str = self._options.get("err_to_str", False)
        grid = [[_as_read(self.sheet.cells.get((r, c)), err_to_str) for c in range(self.c1, self.c2 + 1)]
                for r in range(self.r1, self.r2 + 1)]
        if self._options.get("ndim") == 2:
            return grid
        n_rows, n_cols = self.shape
        if self._options.get("ndim") == 1:  # xlwings: one row or one column as a flat list, else an error
            if n_rows != 1 and n_cols != 1:
                raise ValueError("Range must be 1-by-n or n-by-1 when ndim=1.")
            return [v for row in grid for v in row]
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
        sheet.book.app.com_call()
        sheet.book.writes += 1
        if sheet.book.sandboxed:
            raise FakeComError(SANDBOXED)
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
        sheet.book.app.changed(sheet, self.r1, self.c1, self.r1 + len(rows) - 1, self.c1 + width - 1)

    def covers(self, sheet: FakeSheet, r1: int, c1: int, r2: int, c2: int) -> bool:
        """Whether this range overlaps the rectangle (r1, c1)–(r2, c2) of ``sheet``."""
        return sheet is self.sheet and r1 <= self.r2 and self.r1 <= r2 and c1 <= self.c2 and self.c1 <= c2

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
        self.links: dict[tuple[int, int], str] = {}  # HYPERLINK formulas' places, by cell
        self.number_formats: dict[tuple[int, int], str] = {}
        self.column_widths: dict[int, float] = {}
        self.bold: dict[tuple[int, int], bool] = {}
        self.wrapped: dict[tuple[int, int], bool] = {}
        self.row_heights: dict[int, float] = {}  # set by rows.autofit (clear keeps them, as Excel does)
        self.format_calls = 0
        self.charts = FakeCharts(self)
        self.api = FakeSheetApi(self)
        self.udfs: dict[tuple[int, int], UdfCell] = {}
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
        self.book.app.com_call()
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
        self.links.pop((r, c), None)
        value = _as_typed(v)
        if isinstance(v, str) and v.startswith("="):  # Excel enters it as a formula
            self.formulas.add((r, c))
            link = _HYPERLINK.fullmatch(v)
            if link:  # evaluated as Excel does: its text shows, its place is where a click goes
                self.links[(r, c)] = link[1].replace('""', '"')
                value = link[2].replace('""', '"') or None
        if value is None:
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = value

    def enter_udf(self, address: str, func: Callable[..., Any], *args: Any) -> UdfCell:
        """Type ``=FUNC(args…)`` into the cell: arguments are ranges (``FakeRange``, of any sheet)
        or constants; Excel calculates the formula as it is entered."""
        r, c, _, _ = _corners(address)
        udf = UdfCell(self, r, c, func, args)
        self.udfs[(r, c)] = udf
        udf.calculate()
        return udf

    def load(self, rows: list[list[Any]]) -> None:
        """Put rows from A1 into the sheet as Excel holds them (test set-up; not counted)."""
        for r, row in enumerate(rows, 1):
            for c, v in enumerate(row, 1):
                if v is not None:
                    self.cells[(r, c)] = _as_stored(v)

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
        self.links.clear()
        self.udfs.clear()

    def clear(self) -> None:
        self.clear_contents()
        self.number_formats.clear()
        self.bold.clear()
        self.wrapped.clear()

    def activate(self) -> None:
        self.activated += 1
        self.book.active = self

    def to_pdf(self, path: str | None = None, layout: Any = None, show: bool = False,
               quality: str = "standard") -> str:
        """As xlwings' ``Sheet.to_pdf``: Excel's own PDF export of this sheet (recorded, see FakeApp)."""
        return self.book.app.export_pdf(self.book, [self.name], path or f"{self.name}.pdf")

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
    """The bits of the COM Application object (``app.api``) the add-in touches: CalculateFull, the
    Protected View windows, GetOpenFilename, PrintCommunication (recorded).

    GetOpenFilename as Excel on Windows through pywin32: with ``MultiSelect=True`` the files chosen
    come back as a tuple of str (one file: a tuple of one), the Cancel button gives False. Set
    ``chosen`` to the paths the "user" picks (None: the user cancels)."""

    def __init__(self, app: FakeApp):
        self._app = app
        self.ProtectedViewWindows: list[FakeProtectedViewWindow] = []
        self.chosen: list[str] | None = None
        self.calls: list[dict[str, Any]] = []
        self.print_communication: list[bool] = []

    def GetOpenFilename(self, FileFilter: str | None = None, FilterIndex: int | None = None,  # noqa: N802,N803 - COM
                        Title: str | None = None, ButtonText: str | None = None, MultiSelect: bool = False) -> Any:  # noqa: N803
        self.calls.append({"FileFilter": FileFilter, "Title": Title, "MultiSelect": MultiSelect})
        if not self.chosen:
            return False
        return tuple(self.chosen) if MultiSelect else self.chosen[0]

    def CalculateFull(self) -> None:  # noqa: N802 - COM name
        self._app.com_call()
        for book in self._app.books:
            for sheet in book.sheets:
                for udf in sheet.udfs.values():
                    udf.dirty = True
        self._app.calculate()

    @property
    def ActiveProtectedViewWindow(self) -> FakeProtectedViewWindow | None:  # noqa: N802 - COM name
        self._app.com_call()
        return self.ProtectedViewWindows[-1] if self.ProtectedViewWindows else None

    @property
    def PrintCommunication(self) -> bool:  # noqa: N802 - COM name
        return self.print_communication[-1] if self.print_communication else True

    @PrintCommunication.setter
    def PrintCommunication(self, value: bool) -> None:  # noqa: N802 - COM name
        self.print_communication.append(bool(value))


@dataclass
class FakeProtectedViewWindow:
    """A Protected View window: its caption (the file name) and the sandboxed workbook."""

    Caption: str  # noqa: N815 - COM name
    Workbook: FakeBook  # noqa: N815 - COM name


class FakeBooks(list):
    """``app.books``: the open books (a list), and ``open`` a file (a FakeBook of its values, also
    recorded in ``opened``)."""

    def __init__(self, app: FakeApp):
        super().__init__()
        self.app = app
        self.opened: list[FakeBook] = []

    def open(self, fullname: str, **kwargs: Any) -> FakeBook:
        book = FakeBook.from_xlsx(fullname)
        book.app.books[:] = [b for b in book.app.books if b is not book]
        book.app = self.app
        self.append(book)
        self.opened.append(book)
        return book


class FakeApp:
    """``book.app``: screen updating, calculation, status bar, alerts, ``properties``, ``api``,
    calculation of cell functions, refused calls (Excel busy), Protected View windows, ``books``, PDF export."""

    def __init__(self) -> None:
        object.__setattr__(self, "screen_updating", True)
        object.__setattr__(self, "calculation", "automatic")
        self.settings: list[tuple[str, Any]] = []  # every change of screen updating or calculation
        self._status_bar: str | bool = False
        self.status_history: list[str | bool] = []
        self.alerts: list[Alert] = []
        self.properties_calls: list[dict[str, Any]] = []
        self.fail_alert = False
        self.books = FakeBooks(self)
        self.pdf_exports: list[tuple[str, tuple[str, ...], str]] = []  # (book, sheets, path) per export
        self.fail_pdf: str | None = None  # an error text: this Excel cannot export PDFs
        self.api = FakeAppApi(self)
        self.rejected = 0  # calls refused so far
        self._reject = self._accept = 0
        self.com_calls = 0
        self.calculations = 0

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("screen_updating", "calculation"):  # COM properties of the Application
            self.com_call()
            self.settings.append((name, value))
        object.__setattr__(self, name, value)

    # -- Excel busy ----------------------------------------------------------
    def reject_calls(self, n: int, after: int = 0) -> None:
        """Refuse ``n`` calls, from the one after the next ``after``, as a busy Excel does (a cell
        being edited, a dialog open)."""
        self._reject, self._accept = n, after

    def com_call(self) -> None:
        """Every emulated COM call passes here: refused while Excel is busy."""
        self.com_calls += 1
        if self._accept > 0:
            self._accept -= 1
            return
        if self._reject > 0:
            self._reject -= 1
            self.rejected += 1
            raise FakeComError("Call was rejected by callee.", RPC_E_CALL_REJECTED)

    # -- calculation -----------------------------------------------------------
    def changed(self, sheet: FakeSheet, r1: int, c1: int, r2: int, c2: int) -> None:
        """Cells were written: formulas with them among their arguments become dirty."""
        for book in self.books:
            for other in book.sheets:
                for udf in other.udfs.values():
                    if udf.depends_on(sheet, r1, c1, r2, c2):
                        udf.dirty = True
        self.auto_calculate()

    def auto_calculate(self) -> None:
        if self.calculation == "automatic":
            self.calculate(count=False)

    def calculate(self, count: bool = True) -> None:
        """``Application.Calculate``: the dirty formulas of every open book."""
        if count:
            self.com_call()
            self.calculations += 1
        for book in self.books:
            for sheet in book.sheets:
                for udf in list(sheet.udfs.values()):
                    if udf.dirty:
                        udf.calculate()

    # -- Protected View ----------------------------------------------------------
    def open_protected(self, book: FakeBook) -> FakeProtectedViewWindow:
        """Show ``book`` in a Protected View window: not among the open books, sandboxed."""
        if book in self.books:
            self.books.remove(book)
        book.sandboxed = True
        window = FakeProtectedViewWindow(book.name, book)
        self.api.ProtectedViewWindows.append(window)
        return window

    def export_pdf(self, book: FakeBook, sheets: list[str], path: str) -> str:
        """What Excel's ExportAsFixedFormat does here: a (placeholder) PDF file at ``path``, recorded."""
        if self.fail_pdf:
            raise FakeComError(self.fail_pdf)
        self.pdf_exports.append((book.name, tuple(sheets), str(path)))
        Path(path).write_bytes(b"%PDF-1.4\n% FakeBook export: " + "/".join(sheets).encode("utf-8") + b"\n%%EOF\n")
        return str(path)

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
        self.com_call()
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


class FakeBookApi:
    """The COM Workbook: ReadOnly (opened read-only, or locked by another user), Name, FullName."""

    def __init__(self, book: FakeBook):
        self._book = book
        self.ReadOnly = False

    @property
    def Name(self) -> str:  # noqa: N802 - COM name
        return self._book.name

    @property
    def FullName(self) -> str:  # noqa: N802 - COM name
        return self._book.fullname


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
    sandboxed: bool = False  # shown in a Protected View window: every change is refused
    closed: bool = False

    def __post_init__(self) -> None:
        self.sheets = FakeSheets(self)
        self.app.books.append(self)
        self.api = FakeBookApi(self)

    @property
    def name(self) -> str:
        return Path(self.fullname).name

    @classmethod
    def from_dicts(cls, sheets: dict[str, list[list[Any]]], fullname: str = "Book1") -> FakeBook:
        """A book from {sheet name: rows from A1}; values are stored as Excel would hold them."""
        book = cls(fullname=str(fullname))
        for name, rows in sheets.items():
            sheet = book.sheets.add(name, after=book.sheets[-1] if len(book.sheets) else None)
            sheet.load(rows)
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

    def to_pdf(self, path: str | None = None, include: Any = None, exclude: Any = None, layout: Any = None,
               exclude_start_string: str = "#", show: bool = False, quality: str = "standard") -> str:
        """As xlwings' ``Book.to_pdf``: Excel's own PDF export of the visible sheets (recorded, see FakeApp)."""
        names = [s.name for s in self.sheets if s.visible and not s.name.startswith(exclude_start_string)]
        return self.app.export_pdf(self, names, path or str(Path(self.fullname).with_suffix(".pdf")))

    def close(self) -> None:
        self.closed = True


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


_HYPERLINK = re.compile(r'=HYPERLINK\("#((?:[^"]|"")*)","((?:[^"]|"")*)"\)', re.I)


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
