"""`kpi demo`: the sample workbooks from samples/, filled and computed, with what is made from them.

The two sample quarters (2026-Q3, 2026-Q4) are built, filled and computed; the scorecards of three
sample people of 2026-Q4 are written (PDF with LibreOffice, else .xlsx) and the two quarters are
rolled up into the year's view. Everything goes into the output folder, replaced on each run.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kpi_engine.i18n import tr

PERIOD = "2026-Q4"
PERIODS = {"2026-Q3": "metrics_2026Q3.csv", "2026-Q4": "metrics_2026Q4.csv"}
# three sample people for the scorecards: a good quarter; sales under 80 % in both quarters (flagged
# in the year's view); a severe violation (a penalty beyond its weight)
DEMO_PEOPLE = ("E1001", "E1008", "E1018")


def sample_file(name: str) -> Path:
    """A file shipped in samples/ (installed as kpi_workbook.samples)."""
    return Path(str(resources.files("kpi_workbook.samples").joinpath(name)))


def build_sample_workbook(outdir: Path, lang: str = "zh", period: str = PERIOD) -> Path:
    """New workbook for the sample roster, filled from the sample export of ``period`` (not computed)."""
    from ..pipeline.roster import read_roster
    from ..sheets.book import write_new
    from .fill import fill_workbook

    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"kpi_demo_{period}.xlsx"
    write_new(path, period, roster=read_roster(sample_file("roster.csv")), lang=lang)
    fill_workbook(path, sample_file(PERIODS[period]), lang=lang)
    return path


def run_demo(outdir: Path, lang: str = "zh") -> int:
    from .files import compute_file
    from .report import report_file
    from .rollup import rollup_files

    books = {}
    for period in PERIODS:
        books[period] = build_sample_workbook(outdir, lang, period)
        if period != PERIOD:
            compute_file(books[period], lang=lang)
    path = books[PERIOD]
    csv_path = outdir / f"kpi_demo_{PERIOD}_scores.csv"
    outcome = compute_file(path, csv_path=csv_path, lang=lang)
    print(outcome.summary.text(lang))
    print(tr("workbook.demo_files", lang, book=path.resolve(), csv=csv_path.resolve()))
    cards = report_file(path, outdir / "scorecards", employees=list(DEMO_PEOPLE), force=True, lang=lang)
    print(cards.text(lang))
    year = rollup_files(list(books.values()), outdir / "kpi_demo_2026_year.xlsx",
                        csv_path=outdir / "kpi_demo_2026_year.csv", force=True, lang=lang)
    print(year.text(lang))
    print(tr("workbook.demo_errors", lang))
    return 0
