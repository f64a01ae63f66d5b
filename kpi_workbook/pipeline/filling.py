"""``kpi fill`` as data, the same for a file and for the live book: exports in, cell writes and a
report out (:class:`FillPlan`). The writers (openpyxl in :mod:`kpi_workbook.commands.fill`,
xlwings in the add-in's 导入数据) only put the values where the plan says.

One path for every file given: a per-employee file (keyed by 工号) gives its values as it always
did; exports of shops by day are combined by the scheme's export columns
(:func:`kpi_engine.sources.combine`) and attributed to people by the shop owners
(:mod:`.shops`). Two files that give one person's field different values are a conflict: that
value is not written. A blank never overwrites a filled cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kpi_engine import PeriodError, Scheme, normalize_id, parse_period
from kpi_engine.explain import num
from kpi_engine.i18n import tr
from kpi_engine.numbers import is_blank
from kpi_engine.problems import clip
from kpi_engine.sources import Combined, combine, field_lines

from .computing import book_lang, load_scheme_from
from .export_rows import FileRows, employee_values, shop_rows
from .exports import ExportFile, read_export
from .import_report import FillReport, Note, capped
from .layout import choice_label, layout
from .reading import InputTable, input_tables, owned_sheets, read_meta
from .shops import Ownership, read_ownership
from .sources import SheetSource


@dataclass
class FillPlan:
    """Where each value goes (sheet -> (1-based row, column) -> value) and what the run found."""

    writes: dict[str, dict[tuple[int, int], Any]]
    report: FillReport
    meta: dict[str, str]
    period: str
    removed: list[str] = field(default_factory=list)  # compute's result sheets: stale once new data is in
    log_sheet: str = ""


def plan_fill(source: SheetSource, files: list[str | Path], *, shop: str = "", lang: str | None = None,
              scheme: Scheme | None = None, dry_run: bool = False) -> FillPlan:
    """Read ``files`` against the workbook behind ``source`` and plan every cell write (``dry_run``:
    the report also lists each value planned, per person and field, with its files)."""
    meta = read_meta(source)
    lang = book_lang(meta, lang)
    report = FillReport(lang, dry_run=dry_run)
    try:
        period = parse_period(meta.get("period") or None)
    except PeriodError:
        period = parse_period(None)
        report.add(Note("problem", tr("fill.bad_period", lang, raw=clip(meta.get("period")), period=period.label),
                        "warning"))
    if scheme is None:
        scheme, _ = load_scheme_from(source, lang)
    tables = input_tables(source, scheme)
    ownership = read_ownership(source, tables, lang)
    known = set(ownership.owners["shop"]) | set(ownership.refused)
    values: dict[str, dict[str, tuple[Any, tuple[str, ...]]]] = {}
    shop_frames = []
    seen: set = set()
    for path in files:
        f = read_export(path, scheme)
        rows = _read_one(f, scheme, period, shop, known, report, lang, seen)
        if rows is None:
            continue
        if rows.frame is not None and len(rows.frame):
            shop_frames.append(rows.frame)
        for eid, fields in rows.values.items():
            for fid, v in fields.items():
                _put(values, eid, fid, v, (f.name,), report, lang)
    if shop_frames:  # who owns a shop matters when a shop's rows are read: then every owner row's problem is said
        for p in ownership.problems:
            if p.code == "shop_owner_row":
                report.add(Note("owners", f"{p.sheet}!{p.cell}: {p.problem}", "warning", employee_id=p.employee_id or ""))
        combined = combine(pd.concat(shop_frames, ignore_index=True), ownership.owners, scheme)
        _report_shops(combined, ownership, scheme, period, report, lang)
        for (eid, fid), files_of in combined.origin.items():
            v = combined.values.at[eid, fid] if fid in combined.values else math.nan
            if not pd.isna(v):
                _put(values, eid, fid, float(v), files_of, report, lang)
    writes = _writes(tables, values, scheme, report, lang, book_lang(meta))
    log = layout().sheet("import_log", lang)
    removed = [n for n in owned_sheets(meta) if n in layout().all_result_names() and n in source.sheet_names()]
    return FillPlan(writes, report, meta, period.label, removed, log)


def _read_one(f: ExportFile, scheme: Scheme, period: Any, shop: str, known: set[str], report: FillReport,
              lang: str, seen: set) -> FileRows | None:
    """One file's rows, and its lines of the report."""
    if not f.kind:
        report.add(Note("problem", tr("fill.no_header" if f.first_rows else "fill.empty_file", lang, file=f.name,
                                      rows=" / ".join(clip(r) for r in f.first_rows)),
                        "error", f.name, file_id=f.file_id))
        return None
    rows = employee_values(f, scheme, lang) if f.kind == "employee" else shop_rows(f, period, shop, known, lang)
    where = [x for x in (f.match.platform if f.match and f.kind == "shops" else "",
                         tr("fill.sheet_name", lang, sheet=f.sheet) if f.sheet else "", f.encoding) if x]
    if f.kind == "shops" and rows.shop_from in ("option", "title", "file_name") and rows.frame is not None:
        shop_of = rows.frame["shop"].iloc[0] if len(rows.frame) else ""
        where.append(tr(f"fill.shop_from_{rows.shop_from}", lang, shop=shop_of))
    skipped = [tr(f"fill.skipped_{why}", lang, n=n) for why, n in sorted(rows.skipped.items()) if n]
    if rows.outside:
        skipped.append(tr("fill.outside_days", lang, first=rows.outside[0], last=rows.outside[-1]))
    sep = tr("workbook.list_sep", lang)
    report.add(Note("file", tr("fill.file_read", lang, file=f.name, where=sep.join(where), row=f.header_row,
                               rows=len(f.rows), used=rows.used, skipped=sep.join(skipped) or tr("fill.none", lang)),
                    "info", f.name, f.header_row, file_id=f.file_id))
    if f.kind == "shops" and rows.used == 0 and rows.skipped.get("outside"):
        report.add(Note("problem", tr("fill.wrong_period", lang, file=f.name, n=rows.skipped["outside"],
                                      first=rows.outside[0] if rows.outside else "", last=rows.outside[-1] if rows.outside else "",
                                      period=period.label, start=period.first_day, end=period.last_day),
                        "error", f.name, file_id=f.file_id))
    if f.kind == "shops" and f.match is not None:
        _report_columns(f, scheme, report, lang, seen)
    for n in capped(rows.notes, lang):
        report.add(n)
    return rows


def _report_columns(f: ExportFile, scheme: Scheme, report: FillReport, lang: str, seen: set) -> None:
    """Per column of an export: the field and input it fills and how, or why it is not used
    (once per platform column and run)."""
    assert f.match is not None
    for m in f.match.columns:
        s = m.source
        column = f.column(m.column)
        if s.use in ("date", "shop"):
            continue
        if not m.used:
            text = tr("fill.column_not_used", lang, column=column, instead=m.instead)
        elif s.use == "ignore":
            text = tr("fill.column_ignored", lang, column=column)
        elif not s.input:
            text = tr("fill.column_not_written", lang, column=column)
        else:
            how = tr(f"fill.use_{s.use}", lang) + (f" ×{num(m.scale)}" if m.scale != 1 else "")
            text = tr("fill.column_used", lang, column=column, target=scheme.field_name(s.input, lang), how=how)
        if s.note(lang) and m.used:
            text += tr("fill.column_note", lang, note=s.note(lang))
        key = (f.match.platform, m.header, m.scale, m.used, s.field)
        if key in seen:  # one line per platform column per run: the file lines say which files had it
            continue
        seen.add(key)
        report.add(Note("column", text, "info", f.name, column=column, field=s.input or s.field, file_id=f.file_id))
    if f.match.unknown:
        sep = tr("workbook.list_sep", lang)
        report.add(Note("unknown_column", tr("fill.unknown_columns", lang, file=f.name,
                                             columns=sep.join(f.column(c) for c, _ in f.match.unknown)),
                        "warning", f.name, file_id=f.file_id))


def _report_shops(c: Combined, ownership: Ownership, scheme: Scheme, period: Any, report: FillReport, lang: str) -> None:
    """Shops nobody owns (with their totals), days missing, conflicts and duplicates."""
    lines = field_lines(scheme)
    sep = tr("workbook.list_sep", lang)
    for shop, part in c.shops.groupby("shop", sort=True):
        files = sep.join(dict.fromkeys(f for fs in part["files"] for f in fs))
        if not part["owned"].iloc[0]:
            totals = sep.join(f"{_field_name(lines[f], scheme, lang)} {num(t)}" for f, t in zip(part["field"], part["total"]))
            if shop in ownership.refused:  # owners declared, but not usable: an error
                report.add(Note("owners", tr("fill.shop_refused", lang, why=ownership.refused[shop], totals=totals,
                                             files=files), "error", shop=shop, value=totals))
                continue
            report.add(Note("unowned", tr("fill.shop_unowned", lang, shop=shop, totals=totals, files=files,
                                          why=tr("fill.nobody_owns", lang, sheet=layout().sheet("shops", lang))),
                            "warning", shop=shop, value=totals))
            continue
        days = int(part["days"].max())
        if 0 < days < period.days and part["first"].notna().any():
            report.add(Note("coverage", tr("fill.shop_days", lang, shop=shop, days=days, first=part["first"].min().date(),
                                           last=part["last"].max().date(), period=period.label, total=period.days),
                            "warning", shop=shop))
    for row in c.conflicts.itertuples(index=False):
        owners = ownership.owners.loc[ownership.owners["shop"] == row.shop, "employee_id"].tolist()
        report.add(Note("conflict", tr("fill.conflict", lang, shop=row.shop, day=row.date or tr("fill.no_day", lang),
                                       field=_field_name(lines[row.field], scheme, lang), file=row.file, row=row.row,
                                       value=num(row.value), other_file=row.other_file, other_row=row.other_row,
                                       other_value=num(row.other_value), owners=sep.join(owners)),
                        "error", row.other_file, row.other_row, shop=row.shop, field=row.field, value=row.other_value))
    if c.duplicates:
        report.add(Note("skipped", tr("fill.duplicates", lang, n=c.duplicates), "info"))


def _field_name(source: Any, scheme: Scheme, lang: str) -> str:
    return scheme.field_name(source.input, lang) if source.input else source.headers[0] if source.headers else source.field


def _put(values: dict, eid: str, fid: str, value: Any, files: tuple[str, ...], report: FillReport, lang: str) -> None:
    """One value for a person's field; a different value from another file is a conflict (neither written)."""
    if value is None or is_blank(value):
        return
    mine = values.setdefault(eid, {})
    if fid not in mine:
        mine[fid] = (value, files)
        return
    old, old_files = mine[fid]
    if old is None or set(files) <= set(old_files) or _same(old, value):
        mine[fid] = (value, tuple(dict.fromkeys(old_files + files))) if old is not None else (None, old_files)
        return
    report.add(Note("conflict", tr("fill.value_conflict", lang, eid=eid, field=fid, value=clip(old),
                                   files=tr("workbook.list_sep", lang).join(old_files), other=clip(value),
                                   other_files=tr("workbook.list_sep", lang).join(files)),
                    "error", files[0], employee_id=eid, field=fid, value=value))
    mine[fid] = (None, old_files + files)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9)
    return normalize_id(a) == normalize_id(b)


def _writes(tables: list[InputTable], values: dict, scheme: Scheme, report: FillReport, lang: str, book: str
            ) -> dict[str, dict[tuple[int, int], Any]]:
    """The cells to write: each input sheet's row of the person, each column of a field with a value
    (a choice's id as the drop-down of a book in the language ``book`` offers it: apparel → 服装)."""
    fields = {f.id: f for f in scheme.inputs}
    writes: dict[str, dict[tuple[int, int], Any]] = {}
    matched: dict[str, str] = {}
    for table in tables:
        id_col = table.columns.get("employee_id")
        if id_col is None:
            continue
        cells = writes.setdefault(table.sheet, {})
        for r in table.rows:
            row = table.grid[r]
            eid = normalize_id(row[id_col] if id_col < len(row) else None)
            if eid is None or eid not in values:
                continue
            name = table.columns.get("name")
            matched.setdefault(eid, str(row[name]) if name is not None and name < len(row) and row[name] else "")
            for fid, c in table.columns.items():
                value = values[eid].get(fid, (None,))[0]
                if fid == "employee_id" or value is None or is_blank(value):
                    continue
                cells[(r + 1, c + 1)] = cell_value(choice_label(fields[fid], value, book) if fid in fields else value)
                report.cells_written += 1
    report.employees_matched = len(matched)
    report.unknown_ids = sorted(set(values) - set(matched))
    for eid, name in matched.items() if report.dry_run else ():
        for fid, (value, files) in values[eid].items():
            if value is not None:
                report.planned.append(tr("fill.planned", lang, eid=eid, name=name, field=scheme.field_name(fid, lang),
                                         value=num(value) if isinstance(value, float) else clip(value),
                                         files=tr("workbook.list_sep", lang).join(files)))
    return {s: c for s, c in writes.items() if c}


def cell_value(value: Any) -> Any:
    """A value as the cell gets it: numpy scalars as Python numbers, whole floats as int."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value
