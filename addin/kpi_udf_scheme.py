"""Which scheme a cell function scores with: the calling workbook's 指标配置, else the default.

xlwings hands a function that declares the reserved argument ``caller`` the calling cell as an
xlwings Range (the argument is not shown in Excel; xlwings docs, "The caller argument";
``xlwings.udfs.call_udf``). From it the function reaches its own workbook
(``caller.sheet.book``, not ``ActiveWorkbook``, so a recalculation of a book in the background
still reads that book) and reads the scheme sheet the way 计算 does: the sheet in one value read
(:func:`kpi_xlwings_adapter.read_grid`), parsed by :func:`kpi_workbook.pipeline.load_scheme_from`,
the one reader behind 计算 and ``kpi compute`` (``pipeline.scheme_reader``).

Reading is cheap, parsing is not: the cache keeps, per workbook, the values last parsed and what
came of them (the scheme, or the sheet's first problem). A call compares the values it reads with
those (a tuple comparison, exact, microseconds for the sample's 181 × 13 cells) and parses again
only when a value changed. A weight edited in 指标配置 therefore reaches every cell function
the next time Excel calculates it; Excel does not know that the functions read that sheet (it
is not among their arguments), so 计算 marks the workbook's formulas for recalculation when it
has written the results (:func:`kpi_xlwings_adapter.recalculate`); Ctrl+Alt+F9 does the same by
hand. Called without a cell (from Python, or from VBA) a function uses the default scheme.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kpi_engine import Scheme, default_scheme
from kpi_engine.i18n import tr
from kpi_engine.inputs import label_map
from kpi_workbook.pipeline import SchemeProblems, load_scheme_from
from kpi_workbook.pipeline.layout import layout

MAX_BOOKS = 8  # workbooks whose scheme is kept (one Excel rarely has more open with these functions)


class SchemeSheetError(ValueError):
    """The calling workbook's scheme sheet has errors; ``str`` is the short message for the cell."""


@dataclass(frozen=True)
class CellScheme:
    """A scheme as the cell functions use it, compared and hashed by its fingerprint (so that it
    can be part of a cache key), with the lookups they need built once."""

    key: str  # the scheme's fingerprint
    scheme: Scheme = field(compare=False, repr=False)
    origin: str = field(compare=False, default="")  # the sheet it was read from; "" for the default scheme
    labels: dict[str, str] = field(compare=False, repr=False, default_factory=dict)

    @classmethod
    def of(cls, scheme: Scheme, origin: str = "") -> CellScheme:
        return cls(scheme.fingerprint(), scheme, origin, label_map(scheme))


@lru_cache(maxsize=1)
def default() -> CellScheme:
    """The default scheme (``kpi_engine/default_scheme.toml``)."""
    return CellScheme.of(default_scheme())


class _OneSheet:
    """A :class:`kpi_workbook.pipeline.SheetSource` holding the one sheet already read."""

    def __init__(self, name: str, grid: list[list[Any]]):
        self.name, self.grid = name, grid

    def sheet_names(self) -> list[str]:
        return [self.name]

    def read(self, name: str) -> list[list[Any]]:
        return self.grid


_books: OrderedDict[str, tuple[tuple[tuple[Any, ...], ...], CellScheme | str]] = OrderedDict()


def for_caller(caller: Any) -> CellScheme:
    """The scheme of the workbook ``caller`` (an xlwings Range) sits in; the default scheme when
    there is no caller or the workbook has no scheme sheet. Raises :class:`SchemeSheetError`
    with one short message naming the sheet and cell when the sheet has errors."""
    if caller is None:
        return default()
    book = caller.sheet.book
    found = config_grid(book)
    if found is None:
        return default()
    name, grid = found
    values = tuple(tuple(row) for row in grid)
    key = str(book.fullname)
    cached = _books.get(key)
    if cached is None or cached[0] != values:
        cached = (values, _parse(name, grid))
        _books[key] = cached
        while len(_books) > MAX_BOOKS:
            _books.popitem(last=False)
    _books.move_to_end(key)
    outcome = cached[1]
    if isinstance(outcome, str):
        raise SchemeSheetError(outcome)
    return outcome


def config_grid(book: Any) -> tuple[str, list[list[Any]]] | None:
    """(name, values) of the workbook's scheme sheet (its Chinese or English name), or None."""
    from kpi_xlwings_adapter import read_grid

    for lang in ("zh", "en"):
        name = layout().sheet("config", lang)
        try:
            sheet = book.sheets[name]
        except Exception:  # no such sheet (COM: DISP_E_BADINDEX)
            continue
        return name, read_grid(sheet)
    return None


def _parse(name: str, grid: list[list[Any]]) -> CellScheme | str:
    """The sheet read as 计算 reads it: the scheme, or the message for its first problem."""
    lang = "en" if name == layout().sheet("config", "en") and name != layout().sheet("config", "zh") else "zh"
    try:
        scheme, _warnings = load_scheme_from(_OneSheet(name, grid), lang)  # warnings are 校验's to report
    except SchemeProblems as exc:
        first = exc.problems[0]
        where = f"{first.sheet}!{first.cell}" if first.cell else first.sheet
        more = tr("udf.more", lang, n=len(exc.problems) - 1) if len(exc.problems) > 1 else ""
        return tr("excel.scheme_broken", lang, where=where, problem=first.problem, more=more)
    return CellScheme.of(scheme, name)


def clear() -> None:
    """Forget every workbook's scheme (tests; a restarted UDF server starts empty anyway)."""
    _books.clear()
