"""The live-Excel edge of the add-in: read whole sheets, write whole result blocks.

Every round trip to Excel costs milliseconds, so the adapter makes as few as the job
allows, and never one per employee:

- a sheet is read in ONE call (its used range from A1, as a 2-D list);
- a result block is written in ONE value write at A1 (its links to other cells — 校验's cell
  column — go in the same write, as ``HYPERLINK`` formulas: a hyperlink object each would be a
  call per problem);
- number formats and column widths are set per run of equal columns, charts per chart
  spec: a count bounded by the block's columns, independent of headcount.

Screen updating and automatic calculation are off while the macro runs and restored
afterwards, also when it fails; progress goes to Excel's status bar, which is handed back
to Excel at the end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kpi_excel_errors import ExcelBusyError, patiently

from kpi_engine.errors import KpiError
from kpi_engine.i18n import both, tr
from kpi_engine.numbers import is_blank
from kpi_workbook.pipeline.help_text import ONE_LINE
from kpi_workbook.pipeline.layout import RESULT_KEYS, layout
from kpi_workbook.pipeline.print_setup import A4, MARGINS
from kpi_workbook.pipeline.results import plain

XL_SHEET_VERY_HIDDEN = 2  # Excel's xlSheetVeryHidden
XL_PORTRAIT, XL_LANDSCAPE = 1, 2  # Excel's xlPortrait, xlLandscape
MARGIN_NAMES = ("LeftMargin", "RightMargin", "TopMargin", "BottomMargin", "HeaderMargin", "FooterMargin")
CHART_TYPES = {"bar": "bar_clustered", "column": "column_clustered", "line": "line_markers"}
CHART_SIZE = (420.0, 240.0)  # points


class SheetProtectedError(KpiError):
    """A result sheet is protected with a password: the user must lift it (message zh / en)."""

    code = "sheet_protected"

    def __init__(self, sheet: str):
        self.sheet = sheet
        super().__init__(*both("addin.sheet_protected", sheet=sheet))


class BookSource:
    """A :class:`kpi_workbook.pipeline.SheetSource` over a live xlwings Book.

    Each sheet is read at most once per macro run (the grid is kept), in one call.
    """

    def __init__(self, book: Any):
        self.book = book
        self._names: list[str] | None = None
        self._grids: dict[str, list[list[Any]]] = {}

    def sheet_names(self) -> list[str]:
        """All sheet names in workbook order (hidden ones included)."""
        if self._names is None:
            self._names = patiently(lambda: [sheet.name for sheet in self.book.sheets])
        return list(self._names)

    def read(self, name: str) -> list[list[Any]]:
        """The sheet's used range from A1 as a rectangular 2-D list (``[]`` when empty)."""
        if name not in self._grids:
            self._grids[name] = patiently(lambda: read_grid(self.book.sheets[name]))
        return self._grids[name]


def read_grid(sheet: Any) -> list[list[Any]]:
    """A sheet's used range from A1 in one value read, trailing blank rows dropped: how 计算 and
    the cell functions read a sheet (``[]`` when empty)."""
    last = sheet.used_range.last_cell
    rng = sheet.range((1, 1), (last.row, last.column))
    return _trim(rng.options(ndim=2, err_to_str=True).value or [])


def _trim(grid: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing blank rows (Excel's used range often runs past the data)."""
    end = len(grid)
    while end and all(is_blank(v) for v in grid[end - 1]):
        end -= 1
    return [list(row) for row in grid[:end]]


class StatusBar:
    """Progress messages in Excel's status bar (the pipeline's ``progress`` callback)."""

    def __init__(self, app: Any, lang: str = "zh"):
        self.app = app
        self.lang = lang
        self.shown: list[str] = []

    def show(self, message: str, fraction: float | None = None) -> None:
        text = tr("addin.status_prefix", self.lang) + message
        if fraction is not None and math.isfinite(fraction):
            text += f"（{min(max(fraction, 0.0), 1.0):.0%}）" if self.lang == "zh" else f" ({min(max(fraction, 0.0), 1.0):.0%})"
        self.shown.append(text)
        try:
            self.app.status_bar = text
        except Exception:  # the status bar is a courtesy; never fail a run over it
            pass

    __call__ = show

    def reset(self) -> None:
        """Give the status bar back to Excel."""
        try:
            self.app.status_bar = False
        except Exception:
            pass


@contextmanager
def excel_session(app: Any, lang: str = "zh") -> Iterator[StatusBar]:
    """Screen updating and automatic calculation off; restored and the status bar reset
    afterwards, always. Each change waits out a busy Excel (:func:`kpi_excel_errors.patiently`)."""
    status = StatusBar(app, lang)
    saved = patiently(lambda: {"screen_updating": app.screen_updating, "calculation": app.calculation})
    try:
        patiently(lambda: _set(app, screen_updating=False, calculation="manual"))
        yield status
    finally:
        try:
            patiently(lambda: _set(app, **saved))
        finally:
            status.reset()


def _set(app: Any, **values: Any) -> None:
    for name, value in values.items():
        if getattr(app, name) != value:
            setattr(app, name, value)


# -- writing -------------------------------------------------------------------


def write_blocks(book: Any, blocks: list[Any], status: Callable[[str, float], None] | None = None) -> None:
    """Write each result block to its sheet (created when absent), one value write each."""
    result_names = layout().all_result_names()
    for i, block in enumerate(blocks):
        if status is not None and getattr(block, "state", "visible") == "visible":
            status(block.sheet, i / max(len(blocks), 1))
        protect = block.sheet in result_names or block.key in (*RESULT_KEYS, "help")
        patiently(lambda: write_block(book, block, protect=protect))  # noqa: B023 - called at once


def recalculate(book: Any) -> None:
    """Recalculate the workbook's formulas, the cell functions (KPI_TOTAL …) among them.

    The cell functions read 指标配置 through xlwings' ``caller``, which Excel does not see as one
    of their arguments: a weight edited there makes none of them dirty. So 计算, having written
    the results, marks every sheet's used range dirty (``Range.Dirty``: "designates a range to be
    recalculated when the next recalculation occurs") and calculates (``Application.Calculate``):
    this workbook's formulas only, not every open workbook's as ``CalculateFull`` would. Skipped
    where Excel has no such call (macOS, where xlwings has no cell functions anyway).
    """
    for sheet in patiently(lambda: list(book.sheets)):
        _unless_missing(lambda: sheet.api.UsedRange.Dirty())  # noqa: B023 - called at once
    _unless_missing(book.app.calculate)


def _unless_missing(call: Callable[[], Any]) -> None:
    """``call()`` waiting out a busy Excel; a call this Excel does not have is skipped (macOS:
    no Dirty through appscript; a chart sheet: no UsedRange)."""
    try:
        patiently(call)
    except ExcelBusyError:
        raise
    except Exception:
        pass


def write_cells(book: Any, name: str, cells: dict[tuple[int, int], Any]) -> int:
    """Put values into scattered cells of a sheet (1-based (row, column) -> value; text stays text):
    one write per run of adjacent rows of a column, so a column filled for every employee is one
    write. Returns the number of writes."""
    sheet = _sheet(book, name)
    writes = 0
    by_col: dict[int, list[int]] = {}
    for r, c in cells:
        by_col.setdefault(c, []).append(r)
    for c, rows in sorted(by_col.items()):
        rows.sort()
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i] != rows[i - 1] + 1:
                run = rows[start:i]
                sheet.range((run[0], c), (run[-1], c)).value = [[_cell(cells[(r, c)])] for r in run]
                writes += 1
                start = i
    return writes


def delete_sheets(book: Any, names: list[str]) -> None:
    """Delete the named sheets (our own, by the meta sheet's record), protection lifted first."""
    for name in names:
        sheet = next((s for s in book.sheets if s.name.casefold() == name.casefold()), None)
        if sheet is not None:
            _unprotect(sheet)
            sheet.delete()


def write_block(book: Any, block: Any, protect: bool = True) -> Any:
    """Clear the block's sheet and write it: values, formats, widths, charts, visibility."""
    sheet = _sheet(book, block.sheet, first=getattr(block, "key", "") == "help")
    _unprotect(sheet)
    _delete_charts(sheet)
    sheet.clear()
    rows = with_links(cell_rows(block.rows), block.rows, getattr(block, "links", None) or {})
    if rows:
        sheet.range("A1").value = rows
        n_rows, n_cols = len(rows), len(rows[0])
        header_rows = min(int(getattr(block, "header_rows", 0) or 0), n_rows)
        if header_rows:
            sheet.range((1, 1), (header_rows, n_cols)).font.bold = True
        kinds = getattr(block, "row_kinds", None) or []  # 说明's lines: titles bold, texts wrapped
        for first, last in _kind_runs(kinds, lambda kind: kind in BOLD_LINES):
            sheet.range((first + 1, 1), (last + 1, n_cols)).font.bold = True
        wrapped = _kind_runs(kinds, lambda kind: kind not in ONE_LINE)
        for first, last in wrapped:
            sheet.range((first + 1, 1), (last + 1, n_cols)).wrap_text = True
        if n_rows > header_rows:
            for first, last, fmt in _runs(block.number_formats, n_cols):
                sheet.range((header_rows + 1, first + 1), (n_rows, last + 1)).number_format = fmt
        for first, last, width in _runs(block.widths, n_cols):
            sheet.range((1, first + 1), (1, last + 1)).column_width = width
        if wrapped:  # after the widths: Excel fits every row to its text (a stale height too)
            sheet.range((1, 1), (n_rows, n_cols)).rows.autofit()
        elif header_rows:  # a result sheet's titles wrap in their column and the row grows to fit them
            titles = sheet.range((1, 1), (1, n_cols))
            titles.wrap_text = True
            titles.rows.autofit()
        for spec in getattr(block, "charts", []) or []:
            _add_chart(sheet, spec)
    page_setup(sheet, getattr(block, "print_setup", None))
    _set_state(sheet, getattr(block, "state", "visible"))
    if protect:
        _protect(sheet)
    return sheet


def cell_rows(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows padded to one width, with values Excel takes as they are.

    Strings get a leading apostrophe: Excel reads an assigned string like typed input
    ("1001" would become a number, "=…" a formula, "2026-11" a date); the apostrophe
    keeps the text as text and is not part of the cell's value.
    """
    width = max((len(r) for r in rows), default=0)
    return [[_cell(v) for v in row] + [None] * (width - len(row)) for row in rows]


def _cell(v: Any) -> Any:
    """A block's value as Excel takes it: :func:`kpi_workbook.pipeline.results.plain`, and text
    behind an apostrophe (see :func:`cell_rows`)."""
    v = plain(v)
    if v is None or isinstance(v, (bool, int, float)) or hasattr(v, "isoformat"):  # numbers, datetimes
        return v
    text = v if isinstance(v, str) else str(v)
    return "'" + text if text else None


def with_links(rows: list[list[Any]], values: list[list[Any]], links: dict[tuple[int, int], str]) -> list[list[Any]]:
    """``rows`` (as :func:`cell_rows` made them) with each linked cell ((row, column) -> a place
    such as ``'销售与流量'!M45``, 0-based) as ``=HYPERLINK("#place","its text")``: Excel shows the
    text and jumps to the place on a click, as the file's hyperlinks do. Written with the rest
    of the block in one call; a formula of ours, never text of the user's (that stays text)."""
    for (r, c), place in links.items():
        if r < len(rows) and c < len(rows[r]) and r < len(values) and c < len(values[r]):
            text = plain(values[r][c])
            shown = "" if text is None else str(text)
            rows[r][c] = f'=HYPERLINK("#{_in_quotes(place)}","{_in_quotes(shown)}")'
    return rows


def _in_quotes(text: str) -> str:
    """Text inside a formula's string literal: quotes doubled."""
    return text.replace('"', '""')


BOLD_LINES = ("title", "section", "head", "total")


def _kind_runs(kinds: list[str], pick: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Runs of consecutive rows (0-based, first and last) whose kind ``pick`` takes."""
    runs: list[tuple[int, int]] = []
    for r, kind in enumerate(kinds):
        if pick(kind):
            runs[-1:] = [(runs[-1][0], r)] if runs and runs[-1][1] == r - 1 else [*runs[-1:], (r, r)]
    return runs


def _runs(by_col: dict[int, Any], n_cols: int) -> list[tuple[int, int, Any]]:
    """Consecutive columns (0-based, inside the block) with the same setting → one call each."""
    runs: list[tuple[int, int, Any]] = []
    for col in sorted(c for c in by_col if 0 <= c < n_cols):
        value = by_col[col]
        if runs and runs[-1][1] == col - 1 and runs[-1][2] == value:
            runs[-1] = (runs[-1][0], col, value)
        else:
            runs.append((col, col, value))
    return runs


def _sheet(book: Any, name: str, first: bool = False) -> Any:
    """The sheet called ``name``; a new one after the last visible sheet when absent (``first``:
    before every sheet, where the help sheet belongs)."""
    sheets = list(book.sheets)
    for sheet in sheets:
        if sheet.name.lower() == name.lower():
            return sheet
    if first and sheets:
        return book.sheets.add(name, before=sheets[0])
    visible = [s for s in sheets if _visible(s)]
    after = (visible or sheets)[-1] if sheets else None
    return book.sheets.add(name, after=after) if after is not None else book.sheets.add(name)


def _visible(sheet: Any) -> bool:
    try:
        return bool(sheet.visible)
    except Exception:
        return True


def _delete_charts(sheet: Any) -> None:
    charts = getattr(sheet, "charts", None)
    if charts is None:
        return
    for chart in list(charts):
        chart.delete()


def _add_chart(sheet: Any, spec: Any) -> None:
    """A native chart from 0-based (first_row, last_row, col) ranges of the block's rows."""
    def rng(ref: tuple[int, int, int]) -> Any:
        first, last, col = ref
        return sheet.range((first + 1, col + 1), (last + 1, col + 1))

    width, height = CHART_SIZE
    chart = sheet.charts.add(width=width, height=height, chart_type=CHART_TYPES.get(spec.kind, "column_clustered"),
                             anchor=sheet.range(spec.anchor))
    values = list(spec.values)
    source = rng(values[0])
    cols = [v[2] for v in values]
    if len(values) > 1 and cols == list(range(cols[0], cols[0] + len(cols))) and len({v[:2] for v in values}) == 1:
        # adjacent value columns over the same rows: one rectangular source, one series each
        source = sheet.range((values[0][0] + 1, cols[0] + 1), (values[0][1] + 1, cols[-1] + 1))
    chart.set_source_data(source, plot_by="columns")
    chart.set_x_axis_values(rng(spec.categories))
    chart.title = spec.title
    _unless_missing(lambda: _whole_number_axis(chart.api[1]))  # Windows: api = (ChartObject, Chart)


def _whole_number_axis(chart: Any) -> None:
    """The value axis (``xlValue`` = 2) labelled in whole numbers, not linked to the cells' "0.00"
    (whose labels ran together: "90.00100.00")."""
    labels = chart.Axes(2).TickLabels
    labels.NumberFormatLinked = False
    labels.NumberFormat = "0"


def page_setup(sheet: Any, setup: Any) -> bool:
    """The block's print setup (:class:`kpi_workbook.pipeline.print_setup.PrintSetup`) through
    Excel's ``PageSetup`` (Windows). Printer communication is paused meanwhile: each property
    otherwise asks the printer driver. Returns False where Excel offers no PageSetup (macOS, through
    appscript): the sheet then prints as Excel likes, which is never a reason to fail a run."""
    if setup is None:
        return False
    app = _app_api(sheet)
    try:
        if app is not None:
            app.PrintCommunication = False
        ps = sheet.api.PageSetup
        ps.PaperSize = A4
        ps.Orientation = XL_LANDSCAPE if setup.landscape else XL_PORTRAIT
        ps.Zoom = False  # FitToPages… apply only without a zoom
        ps.FitToPagesWide = setup.fit_width or False
        ps.FitToPagesTall = setup.fit_height or False
        ps.PrintTitleRows = setup.title_ref
        ps.CenterHeader = setup.header
        ps.CenterFooter = setup.footer
        ps.CenterHorizontally = setup.centered
        if setup.first_page:
            ps.FirstPageNumber = setup.first_page
        for name, inches in zip(MARGIN_NAMES, MARGINS):
            setattr(ps, name, inches * 72)  # points
        return True
    except Exception:
        return False
    finally:
        if app is not None:
            try:
                app.PrintCommunication = True
            except Exception:
                pass


def _app_api(sheet: Any) -> Any:
    try:
        return sheet.book.app.api
    except Exception:
        return None


def _set_state(sheet: Any, state: str) -> None:
    if state == "veryHidden":
        try:
            sheet.api.Visible = XL_SHEET_VERY_HIDDEN
            return
        except Exception:  # macOS (appscript) has no such property: plain hidden
            pass
        sheet.visible = False
    elif not sheet.visible:
        sheet.visible = True


def _unprotect(sheet: Any) -> None:
    """Lift the (password-free) protection compute put on; a password we don't know is the user's to lift."""
    try:
        sheet.api.Unprotect()
    except Exception:
        if _protected(sheet):
            raise SheetProtectedError(sheet.name) from None


def _protected(sheet: Any) -> bool:
    try:
        return bool(sheet.api.ProtectContents)
    except Exception:  # macOS (appscript): no such property; let the write tell
        return False


def _protect(sheet: Any) -> None:
    """Protect a result sheet without a password (a guard against typing, not security);
    column widths and row heights stay adjustable."""
    for kwargs in ({"AllowFormattingColumns": True, "AllowFormattingRows": True}, {}):
        try:
            sheet.api.Protect(**kwargs)
            return
        except Exception:  # named arguments need the COM type library; macOS has no Protect here
            continue
