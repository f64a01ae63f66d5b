"""Export files as HR downloads them, read into a table: the header row and the rows under it.

- .csv (or .txt): UTF-8 with or without BOM, UTF-16 with BOM, else GBK/GB18030 (what Chinese
  Windows Excel and the platforms' back ends write); comma- or tab-separated;
- .xlsx/.xlsm: checked by :func:`kpi_workbook.ooxml.check_package` (zip and XML safety) before
  python-calamine opens them; .xls: python-calamine (it parses no XML). The first visible sheet
  with a header row is read.

The header row is found, not assumed: the platforms put a report name, a 统计时间 line and blank
rows above it. It is the row among the first :data:`HEADER_SCAN` that names most columns the
scheme knows (an input's id or label, or an export column of the scheme's ``sources``). A file
whose header names 工号 is one row per employee (the old ``kpi fill`` file); any other is an
export of shops by day (:mod:`.export_rows`). Title rows are kept: they may name the shop
(``店铺名称：…``) and the date range (``统计时间：2026-10-01 ~ 2026-12-31``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_engine import Scheme
from kpi_engine.errors import KpiError
from kpi_engine.i18n import both
from kpi_engine.inputs import label_map
from kpi_engine.numbers import is_blank
from kpi_engine.sources import HeaderMatch, header_key, known_keys, match_headers, shop_key

from ..ooxml import check_package
from ..ooxml.cells import column_letter
from .import_report import fingerprint

EXTENSIONS = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")
HEADER_SCAN = 30  # rows searched for the header
_TITLE_SHOP = re.compile(r"(?:店铺|店铺名称|店铺名|shop)\s*[:：]\s*(.+)$", re.I)
DATE_TEXT = re.compile(r"(?<!\d)(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})|(\d{2})(\d{2}))(?!\d)")


class ExportError(KpiError):
    """An export file that cannot be read at all (unknown type, damaged): the run stops, nothing written."""

    code = "export"


@dataclass
class ExportFile:
    """One export as read: its rows (1-based row number, cells) under the header."""

    path: Path
    encoding: str = ""
    sheet: str = ""
    file_id: str = ""
    header_row: int = 0  # 1-based; 0: no header found
    headers: list[Any] = field(default_factory=list)
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    kind: str = ""  # employee | shops | "" (nothing to read: empty, or no header)
    match: HeaderMatch | None = None
    first_rows: list[str] = field(default_factory=list)  # what the top of a file without a header shows

    @property
    def name(self) -> str:
        return self.path.name

    def column(self, c: int) -> str:
        """A column as the report names it: its letter and header, 'C「支付金额」'."""
        head = str(self.headers[c]).strip() if c < len(self.headers) and not is_blank(self.headers[c]) else ""
        return f"{column_letter(c + 1)}「{head}」" if head else column_letter(c + 1)

    def title_shop(self) -> str:
        """The shop a title line names (``店铺名称：天猫旗舰店``), or ""."""
        for line in self.title:
            m = _TITLE_SHOP.search(line)
            if m:
                return shop_key(m.group(1))
        return ""

    def title_range(self) -> tuple[dt.date, dt.date] | None:
        """The date range a title line gives (``统计时间：2026-10-01 ~ 2026-12-31``), or None."""
        for line in self.title:
            days = [d for d in (day_of(m) for m in DATE_TEXT.finditer(line)) if d]
            if len(days) >= 2:
                return min(days), max(days)
        return None


def day_of(m: re.Match) -> dt.date | None:
    """The day a match of :data:`DATE_TEXT` writes (2026-10-01, 2026/10/1, 2026年10月1日, 20261001), or None."""
    year, month, day = (int(m.group(1)), int(m.group(2) or m.group(4)), int(m.group(3) or m.group(5)))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def read_export(path: str | Path, scheme: Scheme) -> ExportFile:
    """The file's table: header found, rows under it (see the module's docstring). Raises
    :class:`ExportError` for a file of another type or one that cannot be opened; a file that is
    empty or has no header comes back with ``kind`` "" (the report says so, the run goes on)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise ExportError(*both("fill.file_type", name=path.name, types="/".join(EXTENSIONS)), code="file_type")
    raw = path.read_bytes()
    out = ExportFile(path, file_id=fingerprint(raw))
    if suffix in (".csv", ".txt"):
        text, out.encoding = decode(raw, path.name)
        sheets = [("", _csv_rows(text))]
    else:
        sheets = _excel_sheets(path)
    for sheet, grid in sheets:
        found = _header(grid, scheme)
        if found is None:
            if not out.first_rows:
                out.first_rows = [" | ".join(str(v).strip() for v in row if not is_blank(v))
                                  for _, row in grid[:HEADER_SCAN] if any(not is_blank(v) for v in row)][:3]
            continue
        r, kind = found
        out.sheet, out.kind, out.header_row = sheet, kind, grid[r][0]
        out.headers = list(grid[r][1])
        out.title = [" ".join(str(v).strip() for v in row if not is_blank(v)) for _, row in grid[:r]]
        out.rows = grid[r + 1:]
        out.match = match_headers(scheme, out.headers)
        break
    return out


def decode(raw: bytes, name: str) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in (see the module's docstring)."""
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as exc:
            raise ExportError(*both("fill.encoding", name=name, offset=f"{exc.start:,}"), code="encoding") from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "GBK/GB18030"
    except UnicodeDecodeError as exc:
        raise ExportError(*both("fill.encoding", name=name, offset=f"{exc.start:,}"), code="encoding") from exc


def _csv_rows(text: str) -> list[tuple[int, list[Any]]]:
    """(line number, fields) of every record; tab-separated when the first lines hold more tabs than commas."""
    head = text[:20_000]
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(reader.line_num, row) for row in reader]


def _excel_sheets(path: Path) -> list[tuple[str, list[tuple[int, list[Any]]]]]:
    """(sheet, rows) of each visible worksheet, in order, read by python-calamine."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        check_package(path)  # zip and XML safety before any parser sees the package
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        names = [m.name for m in book.sheets_metadata  # enums: SheetVisibleEnum.Visible, SheetTypeEnum.WorkSheet
                 if str(m.visible).rsplit(".", 1)[-1] == "Visible" and str(m.typ).rsplit(".", 1)[-1] == "WorkSheet"]
        return [(name, [(r + 1, row) for r, row in enumerate(
            book.get_sheet_by_name(name).to_python(skip_empty_area=False))]) for name in names]
    except Exception as exc:  # calamine's own errors (damaged, encrypted, not a workbook)
        raise ExportError(*both("fill.unreadable", name=path.name, detail=str(exc)[:200] or type(exc).__name__),
                          code="unreadable") from exc


def _header(grid: list[tuple[int, list[Any]]], scheme: Scheme) -> tuple[int, str] | None:
    """(index in grid, kind) of the header row, or None: the row of the first :data:`HEADER_SCAN`
    naming most known columns, which must name 工号 or a column of numbers."""
    keys, labels = known_keys(scheme), label_map(scheme)
    numbers = {header_key(h)[0] for s in scheme.sources if s.use in ("sum", "recompute") for h in s.headers}
    best: tuple[int, int, str] | None = None
    for i, (_, row) in enumerate(grid[:HEADER_SCAN]):
        texts = [str(v).strip() for v in row if isinstance(v, str) and v.strip()]
        ids = [labels.get(t.lower()) for t in texts]
        hkeys = [header_key(t)[0] for t in texts]
        score = sum(1 for t, k in zip(ids, hkeys) if t or k in keys)
        kind = "employee" if "employee_id" in ids else "shops" if any(k in numbers for k in hkeys) else ""
        if kind and (best is None or score > best[1]):
            best = (i, score, kind)
    return None if best is None else (best[0], best[2])
