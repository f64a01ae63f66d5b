"""Ribbon button 「生成个人报告」 of the KPI 考核 tab (add-in file ``kpi_report.xlam``): the
scorecard (绩效面谈表) of every person of the open workbook, as PDFs made by Excel itself.

The scorecards are the same as ``kpi report`` writes (:mod:`kpi_workbook.pipeline.scorecard`
for what they say, :mod:`kpi_workbook.sheets.scorecard_sheet` for how they look). Each team's
are written as one workbook in a scratch folder, opened in this Excel, and exported with Excel's
own PDF export (xlwings ``Sheet.to_pdf`` for each person, ``Book.to_pdf`` for the team's), into
a folder beside the workbook: ``个人报告_<period>``. Where Excel cannot export PDFs (an old
Excel for Mac), the .xlsx scorecards are written there instead, and the message says so. No
file is replaced: a name that is taken gets `` (2)``. The workbook itself is not changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kpi_addin import book_folder, run_macro, text
from kpi_xlwings_adapter import BookSource

from kpi_engine.i18n import tr


def main() -> None:
    """Run 「生成个人报告」 on the workbook Excel has open (``xlwings.Book.caller()``)."""
    report()


def report(book: Any = None) -> Any:
    """生成个人报告: every person's scorecard as a PDF beside the workbook (see the module)."""
    return run_macro("report", book, _report)


def _report(book: Any, run: Any, status: Any) -> str:
    from kpi_workbook.ooxml import scratch_folder
    from kpi_workbook.pipeline import book_lang, read_meta
    from kpi_workbook.pipeline.scorecard import build_scorecards
    from kpi_workbook.sheets.scorecard_files import Filed, save_workbooks

    source = BookSource(book)
    run.lang = status.lang = book_lang(read_meta(source))
    here, saved_locally = book_folder(book)
    name = Path(str(getattr(book, "fullname", "") or getattr(book, "name", ""))).name
    status(tr("report.addin_reading", run.lang), 0.1)
    cards = build_scorecards(source, name, lang=run.lang)
    folder = here / tr("report.addin_folder", run.lang, period=cards.period)
    folder.mkdir(parents=True, exist_ok=True)
    filed = Filed(folder, len(cards.cards))
    run.path = folder
    with scratch_folder("kpi_report_") as tmp:
        try:
            export_pdfs(book.app, cards, filed, tmp, status)
        except Exception as exc:  # no PDF export in this Excel: the printable workbooks instead
            filed.files, filed.combined = [], []
            filed.note = tr("report.addin_no_pdf", run.lang, error=str(exc)[:200])
            save_workbooks(cards, filed, combined=True)
    message = filed.text(run.lang)
    if not saved_locally:
        message = text("not_saved", run.lang, path=folder) + "\n\n" + message
    return message


def export_pdfs(app: Any, cards: Any, filed: Any, tmp: Path, status: Any) -> None:
    """Each team's scorecards opened in Excel as one workbook, and exported: a PDF per person and one per team."""
    from kpi_workbook.sheets.cells import save_workbook
    from kpi_workbook.sheets.scorecard_files import person_file, team_file
    from kpi_workbook.sheets.scorecard_sheet import scorecard_workbook

    teams = cards.teams()
    for k, (team, members) in enumerate(teams.items()):
        status(team, 0.2 + 0.8 * k / max(len(teams), 1))
        wb, _ = scorecard_workbook(members)
        path = tmp / f"team{k}.xlsx"
        save_workbook(wb, path)
        opened = app.books.open(str(path))
        try:
            for card, sheet in zip(members, wb.sheetnames):
                target = filed.target(person_file(card, "pdf"))
                opened.sheets[sheet].to_pdf(str(target))
                filed.files.append(target)
            target = filed.target(team_file(team, cards.period, "pdf"))
            opened.to_pdf(str(target))
            filed.combined.append(target)
        finally:
            opened.close()
