"""An export's rows as data: days, total rows, shops and numbers, every refusal located.

A shop export (:func:`shop_rows`) becomes the frame :func:`kpi_engine.sources.combine` takes: one
row per used line of the file (file, row, shop, date, one float column per field). A line is
skipped, and counted by why: blank (nothing in the columns read), a total row (合计, 总计, 汇总 …
in its first, date or shop cell), a day outside the workbook's period, or a line that cannot be
used (a date or shop that cannot be read, more cells than the header: each reported with its
row, column and value). A number that cannot be read is reported and left blank; the rest of
its line is used. Dates are text (2026-10-01, 2026/10/01, 20261001, 2026年10月1日) or Excel dates.

A per-employee file (:func:`employee_values`) is read as ``kpi fill`` always read it (columns by
id or label, rows by 工号, the last row of an id wins); columns known as export columns of an
input are read too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kpi_engine import Period, Scheme, normalize_id
from kpi_engine.i18n import tr
from kpi_engine.inputs import label_map
from kpi_engine.numbers import is_blank, parse_number
from kpi_engine.problems import clip
from kpi_engine.sources import shop_key

from .exports import DATE_TEXT, ExportFile, day_of
from .import_report import Note
from .roster import roster_frame

TOTAL_WORDS = ("合计", "总计", "汇总", "小计", "总和", "平均", "日均", "total", "sum", "average")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (serials after 1900-03-01)


@dataclass
class FileRows:
    """What one file gave: ``frame`` (shop exports) or ``values`` (per-employee files), the lines
    used and skipped (by reason), the days used, and the notes for the report."""

    frame: pd.DataFrame | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    used: int = 0
    skipped: Counter = field(default_factory=Counter)
    outside: list[dt.date] = field(default_factory=list)  # first and last day outside the period
    days: tuple[dt.date, dt.date] | None = None
    shop_from: str = ""  # column | option | title | file name
    notes: list[Note] = field(default_factory=list)


def parse_day(value: Any) -> dt.date | None:
    """The day a date cell holds; None when blank; ValueError when it is not one day."""
    if value is None or is_blank(value, dashes=True):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            n = int(value)
            if 19000101 <= n <= 29991231:
                return dt.date(n // 10000, n // 100 % 100, n % 100)
            if 61 <= n < 2958466:  # an Excel serial (from 1900-03-01: Excel's 1900-02-29 never was)
                return EXCEL_EPOCH + dt.timedelta(days=n)
        raise ValueError(value)
    matches = list(DATE_TEXT.finditer(str(value)))
    days = {day_of(m) for m in matches}
    if len(matches) != 1 or None in days or not str(value).strip()[:1].isdigit():
        raise ValueError(value)
    return days.pop()


def _is_total(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(TOTAL_WORDS)


def _column(rows: list[tuple[int, list[Any]]], c: int) -> list[Any]:
    return [row[c] if c < len(row) else None for _, row in rows]


def _blank_mask(cells: list[Any]) -> np.ndarray:
    return np.fromiter((v is None or v == "" or is_blank(v, dashes=True) for v in cells), dtype=bool, count=len(cells))


def _numbers(cells: list[Any]) -> tuple[np.ndarray, list[int]]:
    """The cells as floats (blank: NaN) and the positions of those that are not numbers."""
    out = np.full(len(cells), np.nan)
    bad = []
    for i, v in enumerate(cells):
        kind = type(v)
        if kind is float or kind is int:
            out[i] = v
        elif v is None or v == "" or isinstance(v, bool):
            continue
        else:
            try:
                x = float(v)
            except (TypeError, ValueError):
                x = parse_number(v)
            if x is not None and math.isfinite(x):
                out[i] = x
            elif not is_blank(v, dashes=True):
                bad.append(i)
    return out, bad


def shop_rows(f: ExportFile, period: Period, shop: str, known_shops: set[str], lang: str) -> FileRows:
    """The rows of a shop export (see the module's docstring); ``shop``: the shop named on the
    command line for files without a shop column."""
    assert f.match is not None
    out = FileRows()
    rows, width = f.rows, len(f.headers)
    date_col, shop_col = f.match.role("date"), f.match.role("shop")
    the_shop, out.shop_from = _file_shop(f, shop, known_shops, shop_col is not None)
    if shop_col is None and not the_shop:
        out.notes.append(Note("problem", tr("fill.no_shop", lang, file=f.name), "error", f.name, file_id=f.file_id))
        return out
    fields = f.match.fields()
    columns = {m.column: _column(rows, m.column) for m in fields}
    keep = np.ones(len(rows), dtype=bool)
    nothing = np.ones(len(rows), dtype=bool)
    for cells in columns.values():
        nothing &= _blank_mask(cells)
    # the cells that say "total": the first cell, the date and the shop cell
    probe = [0] + [m.column for m in (date_col, shop_col) if m is not None]
    total = np.zeros(len(rows), dtype=bool)
    for c in probe:
        total |= np.fromiter((_is_total(v) for v in _column(rows, c)), dtype=bool, count=len(rows))
    out.skipped["total"] = int((total & keep).sum())
    keep &= ~total
    blank = nothing & keep
    out.skipped["blank"] = int(blank.sum())
    keep &= ~blank
    for i, (r, row) in enumerate(rows):  # more cells than the header: a comma inside a number, shifted columns
        if keep[i] and len(row) > width and any(not is_blank(v) for v in row[width:]):
            keep[i] = False
            out.skipped["bad"] += 1
            out.notes.append(Note("problem", tr("fill.row_too_wide", lang, file=f.name, row=r, n=len(row), width=width),
                                  "error", f.name, r, file_id=f.file_id))
    dates = np.full(len(rows), None, dtype=object)
    if date_col is not None:
        _read_dates(f, date_col.column, rows, keep, dates, out, lang)
        first, last = period.first_day, period.last_day  # properties: computed once, not per row
        inside = np.fromiter((d is not None and first <= d <= last for d in dates), dtype=bool, count=len(rows))
        outside = keep & ~inside
        if outside.any():
            days = sorted(d for d in dates[outside] if d is not None)
            out.outside = [days[0], days[-1]]
        out.skipped["outside"] = int(outside.sum())
        keep &= inside
    elif not _title_in_period(f, period, out, lang):
        return out
    shops = np.full(len(rows), the_shop, dtype=object)
    if shop_col is not None:
        _read_shops(f, shop_col.column, rows, keep, shops, out, lang)
    frame = {"file": f.name, "row": np.fromiter((r for r, _ in rows), dtype=np.int64, count=len(rows))[keep],
             "shop": shops[keep], "date": dates[keep]}
    for m in fields:
        values, bad = _numbers(columns[m.column])
        for i in bad:
            if keep[i]:
                out.notes.append(Note("problem", tr("fill.not_a_number", lang, file=f.name, row=rows[i][0],
                                                    column=f.column(m.column), value=clip(columns[m.column][i])),
                                      "error", f.name, rows[i][0], f.column(m.column), value=columns[m.column][i],
                                      file_id=f.file_id))
        frame[m.source.field] = values[keep] * m.scale
    out.frame = pd.DataFrame(frame)
    out.used = int(keep.sum())
    used_days = [d for d in out.frame["date"] if d is not None]
    out.days = (min(used_days), max(used_days)) if used_days else None
    return out


def _file_shop(f: ExportFile, option: str, known: set[str], has_column: bool) -> tuple[str, str]:
    """(shop, where it came from) for a file without a shop column: the command line, a title
    line, or the one known shop the file's name contains (the longest when several do)."""
    if has_column:
        return "", "column"
    if option:
        return shop_key(option), "option"
    if f.title_shop():
        return f.title_shop(), "title"
    stem = shop_key(f.path.stem)
    named = sorted((s for s in known if s and s in stem), key=len, reverse=True)
    if named and (len(named) == 1 or len(named[0]) > len(named[1])):
        return named[0], "file_name"
    return "", ""


def _read_dates(f: ExportFile, c: int, rows: list, keep: np.ndarray, dates: np.ndarray, out: FileRows,
                lang: str) -> None:
    parsed: dict[Any, Any] = {}
    for i, (r, row) in enumerate(rows):
        if not keep[i]:
            continue
        v = row[c] if c < len(row) else None
        key = (type(v), v) if not isinstance(v, float) or v == v else None
        if key not in parsed:
            try:
                parsed[key] = parse_day(v)
            except ValueError:
                parsed[key] = ValueError
        day = parsed[key]
        if day is None or day is ValueError:
            keep[i] = False
            out.skipped["bad"] += 1
            out.notes.append(Note("problem", tr("fill.no_date" if day is None else "fill.bad_date", lang, file=f.name,
                                                row=r, column=f.column(c), value=clip(v)),
                                  "error", f.name, r, f.column(c), value=v, file_id=f.file_id))
        else:
            dates[i] = day


def _read_shops(f: ExportFile, c: int, rows: list, keep: np.ndarray, shops: np.ndarray, out: FileRows,
                lang: str) -> None:
    names: dict[Any, str] = {}
    for i, (r, row) in enumerate(rows):
        if not keep[i]:
            continue
        v = row[c] if c < len(row) else None
        name = names.get(v) if v in names else names.setdefault(v, shop_key(None if is_blank(v) else v))
        if not name:
            keep[i] = False
            out.skipped["bad"] += 1
            out.notes.append(Note("problem", tr("fill.blank_shop", lang, file=f.name, row=r, column=f.column(c)),
                                  "error", f.name, r, f.column(c), file_id=f.file_id))
        else:
            shops[i] = name


def _title_in_period(f: ExportFile, period: Period, out: FileRows, lang: str) -> bool:
    """A file without a date column: its title's 统计时间 must lie in the period (else nothing is
    used); without one, its rows are taken as the period's, and the report says so."""
    span = f.title_range()
    if span is None:
        out.notes.append(Note("skipped", tr("fill.no_date_column", lang, file=f.name, period=period.label),
                              "warning", f.name, file_id=f.file_id))
        return True
    if period.first_day <= span[0] and span[1] <= period.last_day:
        return True
    out.skipped["outside"] = len(f.rows)
    out.notes.append(Note("problem", tr("fill.title_outside", lang, file=f.name, first=span[0], last=span[1],
                                        period=period.label, start=period.first_day, end=period.last_day),
                          "error", f.name, file_id=f.file_id))
    return False


def employee_values(f: ExportFile, scheme: Scheme, lang: str) -> FileRows:
    """A per-employee file's values: {employee id: {field: value}}, as ``kpi fill`` always read it."""
    out = FileRows()
    labels = label_map(scheme)
    headers, seen = [], Counter()
    for h in f.headers:
        name = "" if is_blank(h) else str(h).strip() if not isinstance(h, float) else normalize_id(h)
        headers.append(name if not seen[name] else f"{name}.{seen[name]}")
        seen[name] += 1
    aliases = {m.column: m for m in (f.match.fields() if f.match else []) if m.source.use == "sum" and m.source.input}
    width = len(headers)
    body = []
    for r, row in f.rows:
        if len(row) > width and any(not is_blank(v) for v in row[width:]):
            out.skipped["bad"] += 1
            out.notes.append(Note("problem", tr("fill.row_too_wide", lang, file=f.name, row=r, n=len(row), width=width),
                                  "error", f.name, r, file_id=f.file_id))
            continue
        cells = [None if v == "" else v for v in list(row[:width]) + [None] * (width - len(row))]
        for c, m in aliases.items():
            if labels.get(headers[c].lower()) is None and (x := parse_number(cells[c])) is not None:
                cells[c] = x * m.scale
        body.append(cells)
    names = [h if labels.get(h.lower()) or c not in aliases else aliases[c].source.input for c, h in enumerate(headers)]
    frame = roster_frame(pd.DataFrame(body, columns=names, dtype=object), scheme, f.name, require_id=True)
    known = {fid for fid in frame.columns if fid in {i.id for i in scheme.inputs}}
    for c, h in enumerate(names):
        if h and h not in known and labels.get(h.lower()) is None:
            out.notes.append(Note("unknown_column", tr("fill.unknown_column", lang, file=f.name, column=f.column(c)),
                                  "warning", f.name, column=f.column(c), file_id=f.file_id))
    for rec in frame.to_dict("records"):
        eid = normalize_id(rec.get("employee_id"))
        if eid is not None:
            out.values[eid] = {k: v for k, v in rec.items() if k in known and k != "employee_id"}
    out.used = len(frame)
    out.skipped["blank"] = len(body) - len(frame)
    return out
