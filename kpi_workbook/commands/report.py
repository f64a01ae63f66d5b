"""``kpi report BOOK -o DIR``: the scorecard (绩效面谈表) of each person as a PDF (or .xlsx).

Each person gets ``<工号>_<姓名>_<period>.pdf``; when whole teams are reported (``--team``, or
nobody picked with ``--employee``) each team also gets one PDF with a page per person,
``<team>_<period>.pdf``, to print at once. PDFs come from LibreOffice headless
(:mod:`.pdf_export`): one workbook per team, all converted by one LibreOffice run, each cut into
its people's PDFs. Without LibreOffice the .xlsx scorecards are written instead, set up to
print, and the message says how to get PDFs. No file is replaced unless ``--force``
(:class:`kpi_workbook.sheets.scorecard_files.Filed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kpi_engine.i18n import tr

from ..ooxml import scratch_folder
from ..pipeline.scorecard import Scorecards, build_scorecards
from ..sheets.cells import save_workbook
from ..sheets.scorecard_files import Filed, person_file, save_workbooks, team_file
from ..sheets.scorecard_sheet import scorecard_workbook
from .files import open_source
from .pdf_export import convert_to_pdf, find_soffice, split_pdf


def report_file(book: str | Path, outdir: str | Path, *, employees: Sequence[str] | None = None,
                team: str | None = None, fmt: str = "pdf", force: bool = False, lang: str | None = None,
                soffice: str | None = None) -> Filed:
    """Write the scorecards of the computed workbook ``book`` into ``outdir`` (made when missing)."""
    book = Path(book)
    with open_source(book) as source:
        cards = build_scorecards(source, book.name, employees=employees or None, team=team, lang=lang)
    filed = Filed(Path(outdir), len(cards.cards), fmt, force)
    filed.folder.mkdir(parents=True, exist_ok=True)
    combined = team is not None or not employees
    engine = (soffice or find_soffice()) if fmt == "pdf" else None
    if engine:
        write_pdfs(cards, filed, engine, combined=combined)
    else:
        if fmt == "pdf":
            filed.note = tr("report.no_pdf_engine", cards.lang)
        save_workbooks(cards, filed, combined=combined)
    return filed


def write_pdfs(cards: Scorecards, filed: Filed, soffice: str, *, combined: bool) -> None:
    """One workbook per team, all converted by one LibreOffice run, each cut into its people's PDFs."""
    with scratch_folder("kpi_report_") as tmp:
        books, layouts = [], []
        for k, (team, members) in enumerate(cards.teams().items()):
            wb, pages = scorecard_workbook(members)
            books.append(tmp / f"team{k}.xlsx")
            save_workbook(wb, books[-1])
            layouts.append((team, members, pages, wb.sheetnames))
        pdfs = convert_to_pdf(soffice, books, tmp / "pdf", sheets=len(cards.cards))
        for pdf, (team, members, pages, names) in zip(pdfs, layouts):
            for card, data in zip(members, split_pdf(pdf, pages, names)):
                filed.save(person_file(card, "pdf"), data)
            if combined:
                filed.save(team_file(team, cards.period, "pdf"), pdf.read_bytes(), team=True)
