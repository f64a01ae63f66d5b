"""Ribbon button 「导入数据」 of the KPI 考核 tab (add-in file ``kpi_import.xlam``): pick the platforms'
exports (or the old one-row-per-employee files) in Excel's own Open dialog and fill the open
workbook with them — the same pipeline as ``kpi fill`` (:func:`kpi_workbook.pipeline.filling.plan_fill`).

The add-in's VBA (``RibbonMyAddin.RunMain``) runs ``import kpi_import; kpi_import.main()``. The
values go into the input cells through :mod:`kpi_xlwings_adapter` (one write per run of adjacent
cells of a column, never one per employee); the sheet 导入记录 and the hidden meta sheet are
written as blocks, as compute writes its sheets. Nothing is written when no value would be; a
sheet of HR's called 导入记录 is never touched.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kpi_addin import Report, run_macro, text
from kpi_xlwings_adapter import BookSource, delete_sheets, write_block, write_cells

MAX_REPORT = 700  # characters of the fill report in the message box (the log sheet has all of it)


def main() -> None:
    """Run 「导入数据」 on the workbook Excel has open (``xlwings.Book.caller()``)."""
    import_data()


def import_data(book: Any = None, paths: list[str | Path] | None = None) -> Report:
    """导入数据: fill ``book`` from ``paths`` (default: the files the user picks)."""
    return run_macro("import", book, lambda b, run, status: _import(b, run, status, paths))


def pick_files(book: Any, lang: str) -> list[Path]:
    """The files chosen in Excel's Open dialog (``Application.GetOpenFilename``, several at once);
    [] when the user cancels. Excel for Mac has no such call through xlwings: a message says to
    use ``kpi fill`` there."""
    try:
        chosen = book.app.api.GetOpenFilename(FileFilter=text("import_filter", lang), Title=text("import_title", lang),
                                              MultiSelect=True)
    except AttributeError as exc:  # macOS (appscript): no GetOpenFilename
        from kpi_engine.errors import KpiError
        from kpi_engine.i18n import both

        raise KpiError(*both("addin.import_no_picker"), code="no_picker") from exc
    if chosen is False or chosen is None or chosen == "False":
        return []
    if isinstance(chosen, str):
        chosen = [chosen]
    return [Path(str(p)) for p in chosen]


def _import(book: Any, run: Any, status: Any, paths: list[str | Path] | None) -> str:
    from kpi_workbook import pipeline
    from kpi_workbook.pipeline.filling import plan_fill
    from kpi_workbook.pipeline.reading import OWNED_KEY, SHEET_SEP, owned_sheets, read_meta
    from kpi_workbook.pipeline.results import meta_block

    source = BookSource(book)
    meta = read_meta(source)
    run.lang = status.lang = pipeline.book_lang(meta)
    files = [Path(p) for p in paths] if paths is not None else pick_files(book, run.lang)
    if not files:
        return text("import_cancelled", run.lang)
    status(text("import", run.lang), 0.1)
    plan = plan_fill(source, files, lang=run.lang)
    report = plan.report
    owned, present = owned_sheets(meta), source.sheet_names()
    ours = plan.log_sheet in owned and plan.log_sheet in present
    if report.cells_written:
        for i, (sheet, cells) in enumerate(plan.writes.items()):
            status(text("writing", run.lang, sheet=sheet), 0.5 + 0.4 * i / max(len(plan.writes), 1))
            write_cells(book, sheet, cells)
        delete_sheets(book, plan.removed)
        kept = [n for n in owned if n not in plan.removed and n != plan.log_sheet and n in present]
        if ours or plan.log_sheet not in present:
            old = [list(r) for r in source.read(plan.log_sheet)[2:]] if ours else []
            write_block(book, report.block(dt.datetime.now().replace(microsecond=0).isoformat(sep=" "), old))
            kept.append(plan.log_sheet)
        write_block(book, meta_block(meta | {OWNED_KEY: SHEET_SEP.join(kept)}), protect=False)
    summary = report.text()
    if len(summary) > MAX_REPORT:
        summary = summary[: MAX_REPORT - 1] + "…"
    return text("import_done" if report.cells_written else "import_nothing", run.lang, summary=summary,
                sheet=plan.log_sheet)
