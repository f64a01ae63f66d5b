"""The cell functions score with the calling workbook's own 指标配置, as 计算 does (issue 13 item 1).

On the stand-in Excel (tests/support/fakebook.py) the sample workbook gets a sheet of HR's with
every person's inputs in one row, a KPI_TOTAL formula beside each row and one KPI_TABLE; the
functions are the ones xlwings registers on Windows (their argument options, ``caller``), and
the stand-in recalculates them as Excel does: when an argument changes, or when marked dirty
and calculated. A weight edited in 指标配置 is not an argument, so only 计算's recalculation
brings it to the cells; after it, 得分 and the cells agree to the last digit. KPI_SALES_SCORE,
KPI_GRADE and KPI_EXPLAIN follow edits of the sheet's other tables the same way.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import kpi_addin
import kpi_udf_scheme
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter
from support.fakebook import FakeBook, FakeSheet, UdfCell
from support.rows import E001
from support.workbooks import sample_workbook, scheme_cell
from support.xlwings_windows import udfs_as_on_windows

from kpi_engine import default_scheme, score
from kpi_workbook.pipeline import load_scheme_from
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.pipeline.reading import gather

CONFIG = layout().sheet("config")
SCORES = layout().sheet("scores")


@pytest.fixture
def udfs(monkeypatch):
    kpi_udf_scheme.clear()
    with udfs_as_on_windows(monkeypatch) as (module, _):
        yield module
    kpi_udf_scheme.clear()


class Functions:
    """A sheet 函数 of HR's: every person's inputs in one row (field ids in row 1), KPI_TOTAL beside
    each row, and a sheet 函数表 holding one KPI_TABLE over the whole table."""

    def __init__(self, book: FakeBook, udfs: Any, people: int | None = None):
        from kpi_xlwings_adapter import BookSource

        source = BookSource(book)
        scheme, _ = load_scheme_from(source)
        frame = gather(source, scheme).frame
        grid = [list(frame.columns)] + frame.values.tolist()[:people]
        self.sheet = book.sheets.add("函数", after=book.sheets[-1])
        self.sheet.load(grid)
        n, w = len(grid), len(grid[0])
        headers = self.sheet.range((1, 1), (1, w))
        self.totals: dict[str, UdfCell] = {
            str(grid[i - 1][0]): self.sheet.enter_udf(f"{get_column_letter(w + 1)}{i}", udfs.KPI_TOTAL, headers,
                                                      self.sheet.range((i, 1), (i, w)))
            for i in range(2, n + 1)}
        self.table_sheet: FakeSheet = book.sheets.add("函数表", after=book.sheets[-1])
        self.table = self.table_sheet.enter_udf("A1", udfs.KPI_TABLE, self.sheet.range((1, 1), (n, w)))
        self.grid, self.headers = grid, headers

    def enter_each(self, column: int, func: Any, *args: Any) -> dict[str, UdfCell]:
        """``func`` in column ``column`` (counted after KPI_TOTAL's) of every person's row; an
        argument that is a field id becomes that row's cell of the field, ``ROW`` the whole row."""
        w = len(self.grid[0])
        cells = {}
        for i in range(2, len(self.grid) + 1):
            row = [self.headers if a is HEADERS else self.sheet.range((i, 1), (i, w)) if a is ROW
                   else self.sheet.range((i, self.grid[0].index(a) + 1)) if a in self.grid[0] else a for a in args]
            cells[str(self.grid[i - 1][0])] = self.sheet.enter_udf(f"{get_column_letter(w + 1 + column)}{i}", func, *row)
        return cells

    def total(self, eid: str) -> Any:
        return value(self.totals[eid])

    def table_rows(self) -> dict[str, dict[str, Any]]:
        grid = self.table_sheet.grid()
        return {str(r[0]): dict(zip(grid[0], r)) for r in grid[1:]}


HEADERS, ROW = object(), object()  # Functions.enter_each: the field-id row, the person's row


def value(udf: UdfCell) -> Any:
    """What the formula's cell shows."""
    return udf.sheet.cells.get((udf.row, udf.col))


def scored(book: FakeBook) -> dict[str, dict[str, Any]]:
    """得分 as {employee id: {column id: value}} (row 2 holds the column ids)."""
    rows = book.values(SCORES)
    return {str(r[0]): dict(zip(rows[1], r)) for r in rows[2:]}


def config_cell(book: FakeBook, key: str, column: str, key_column: str = "id") -> str:
    """The address in 指标配置 of ``column`` in the row whose ``key_column`` is ``key``."""
    return scheme_cell(book.values(CONFIG), key, column, key_column)


def weight_cell(book: FakeBook, indicator: str) -> str:
    """The address of ``indicator``'s weight in 指标配置."""
    return config_cell(book, indicator, "weight")


def assert_cells_agree_with_scores(functions: Functions, book: FakeBook) -> int:
    """Every person's KPI_TOTAL and KPI_TABLE row equal 得分 exactly; returns how many were scored."""
    results = scored(book)
    table = functions.table_rows()
    indicators = [ind for ind in load_scheme_from(_source(book))[0].indicators]
    n = 0
    for eid, row in results.items():
        total = row["total"]
        if total is None:  # not computable: the cell says why, in one short text
            assert str(functions.total(eid)).startswith("#KPI! "), eid
            continue
        n += 1
        assert functions.total(eid) == total, eid  # to the last digit
        assert table[eid]["总分"] == total and table[eid]["等级"] == row["grade"], eid
        for ind in indicators:
            assert table[eid][ind.name_zh] == row[ind.id] or (row[ind.id] is None and table[eid][ind.name_zh] in ("", None))
    return n


def _source(book: FakeBook) -> Any:
    from kpi_xlwings_adapter import BookSource

    return BookSource(book)


@pytest.fixture
def book(tmp_path: Path) -> FakeBook:
    return FakeBook.from_xlsx(sample_workbook(tmp_path))


def test_a_weight_edited_in_the_scheme_sheet_reaches_the_cells_through_compute(book: FakeBook, udfs) -> None:
    functions = Functions(book, udfs)
    assert kpi_addin.compute(book).ok
    before = scored(book)
    assert assert_cells_agree_with_scores(functions, book) > 40

    cells = {eid: functions.total(eid) for eid in functions.totals}
    book.sheets[CONFIG].range(weight_cell(book, "conversion_rate")).value = 5  # was 15
    # Excel does not know the functions read 指标配置: the edit recalculates none of them
    assert {eid: functions.total(eid) for eid in functions.totals} == cells
    assert all(udf.calls == 2 for udf in functions.totals.values())  # entered, then 计算's recalculation

    report = kpi_addin.compute(book)
    assert report.ok, report.message
    after = scored(book)
    changed = [eid for eid in after if after[eid]["total"] is not None and after[eid]["total"] != before[eid]["total"]]
    assert len(changed) > 40  # the edit moved (nearly) everybody's total …
    assert assert_cells_agree_with_scores(functions, book) > 40  # … and the cells moved with 得分
    assert book.app.calculations == 2


def test_without_computes_recalculation_the_cells_keep_the_old_scheme(book: FakeBook, udfs, monkeypatch) -> None:
    functions = Functions(book, udfs)
    monkeypatch.setattr(kpi_addin, "recalculate", lambda book: None)
    book.sheets[CONFIG].range(weight_cell(book, "conversion_rate")).value = 5
    assert kpi_addin.compute(book).ok
    results = scored(book)
    assert sum(functions.total(e) != r["total"] for e, r in results.items() if r["total"] is not None) > 40
    book.app.api.CalculateFull()  # what Ctrl+Alt+F9 does
    assert assert_cells_agree_with_scores(functions, book) > 40


def test_the_scheme_sheet_is_parsed_once_per_change(book: FakeBook, udfs, monkeypatch) -> None:
    parses = []
    real = kpi_udf_scheme.load_scheme_from
    monkeypatch.setattr(kpi_udf_scheme, "load_scheme_from", lambda *a, **k: parses.append(1) or real(*a, **k))
    functions = Functions(book, udfs)
    assert len(functions.totals) == 60 and len(parses) == 1  # 61 functions, one parse
    book.app.api.CalculateFull()
    assert len(parses) == 1  # the sheet's values are unchanged: nothing parsed again
    book.sheets[CONFIG].range(weight_cell(book, "conversion_rate")).value = 5
    book.app.api.CalculateFull()
    book.app.api.CalculateFull()
    assert len(parses) == 2


def test_a_broken_scheme_sheet_gives_one_short_text_naming_the_cell(book: FakeBook, udfs) -> None:
    functions = Functions(book, udfs)
    cell = weight_cell(book, "conversion_rate")
    book.sheets[CONFIG].range(cell).value = "很多"
    book.app.api.CalculateFull()
    texts = {functions.total(eid) for eid in functions.totals}
    (text,) = texts
    assert text.startswith(f"#KPI! 本工作簿的方案有误（{CONFIG}!{cell}）：") and len(text) < 255, text
    assert "Traceback" not in text and "很多" in text
    assert functions.table_sheet.grid() == [[text]]
    report = kpi_addin.compute(book)  # 计算 refuses the same sheet, naming the same cell
    assert not report.ok and f"{CONFIG}!{cell}" in report.message


def test_a_book_without_a_scheme_sheet_uses_the_default_scheme(udfs) -> None:
    book = FakeBook.from_dicts({"数据": [list(E001), list(E001.values())]}, fullname="/tmp/其他.xlsx")
    sheet = book.sheets["数据"]
    w = len(E001)
    udf = sheet.enter_udf("A5", udfs.KPI_TOTAL, sheet.range((1, 1), (1, w)), sheet.range((2, 1), (2, w)))
    want = score(pd.DataFrame([E001]), default_scheme()).total["E001"]
    assert sheet.cells[(udf.row, udf.col)] == want == pytest.approx(76.733, abs=5e-4)


def test_each_workbook_its_own_scheme(tmp_path: Path, udfs) -> None:
    """Two books open in one Excel, one with a changed weight: the same row scores differently in
    each, from each book's own sheet (the calling cell's book, not the active one)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = FakeBook.from_xlsx(sample_workbook(tmp_path / "a"))
    second = FakeBook.from_xlsx(sample_workbook(tmp_path / "b"))
    second.app = first.app
    first.app.books.append(second)
    second.sheets[CONFIG].range(weight_cell(second, "conversion_rate")).value = 5
    a, b = Functions(first, udfs), Functions(second, udfs)
    eid = next(e for e in a.totals if isinstance(a.total(e), float))
    assert isinstance(b.total(eid), float) and not math.isclose(a.total(eid), b.total(eid))
    first.app.api.CalculateFull()
    assert a.total(eid) != b.total(eid)


def test_every_scoring_function_follows_the_books_scheme(book: FakeBook, udfs) -> None:
    """KPI_SALES_SCORE, KPI_GRADE and KPI_EXPLAIN too read the calling book's 指标配置: after
    edits of a rule's parameters, a check's step and a grade's lower bound, and 计算, each cell
    shows what the edited scheme gives (worked by hand from the new band, or read from 计算's
    得分 and 扣分明细), and each edit changed some cells."""
    functions = Functions(book, udfs, people=12)  # among them rates of 80–90 %, totals of 80–85
    sales = functions.enter_each(1, udfs.KPI_SALES_SCORE, "sales_actual", "sales_target")
    grades = functions.enter_each(2, udfs.KPI_GRADE, HEADERS, ROW)
    explains = functions.enter_each(3, udfs.KPI_EXPLAIN, HEADERS, ROW, "conversion_rate")
    assert kpi_addin.compute(book).ok
    before = {name: {eid: value(u) for eid, u in cells.items()}
              for name, cells in (("sales", sales), ("grades", grades), ("explains", explains))}
    config = book.sheets[CONFIG]
    config.range(config_cell(book, "sales_achievement", "params")).value = "bands=1.2:120, 0.9:x100; below=0"
    config.range(config_cell(book, "conversion_rate", "check.step")).value = 1  # was 2
    config.range(config_cell(book, "A", "min", key_column="grade")).value = 80  # was 85
    assert kpi_addin.compute(book).ok

    columns = functions.grid[0]
    for row in functions.grid[1:]:  # the new band, by hand: ≥ 120 % → 120, ≥ 90 % → 100 × rate, else 0
        actual, target = row[columns.index("sales_actual")], row[columns.index("sales_target")]
        if isinstance(actual, float) and isinstance(target, float) and target > 0:
            rate = actual / target
            want = 120 if rate >= 1.2 else 100 * rate if rate >= 0.9 else 0
            assert value(sales[str(row[0])]) == pytest.approx(want, rel=1e-12, abs=1e-12), row[0]
    results = scored(book)
    for eid, udf in grades.items():
        if results[eid]["grade"] is not None:
            assert value(udf) == results[eid]["grade"], eid
    reasons = {r[0]: r[5] for r in book.values(layout().sheet("deductions"))[2:]
               if r[3] == "conversion_rate" and r[0] in explains}
    assert len(reasons) >= 3
    for eid, reason in reasons.items():
        assert value(explains[eid]).startswith(reason), eid
    for name, cells in (("sales", sales), ("grades", grades), ("explains", explains)):
        assert sum(value(u) != before[name][eid] for eid, u in cells.items()) > 0, name
