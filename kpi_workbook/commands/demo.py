"""`kpi demo`: the sample workbooks from samples/, filled and computed, with what is made from them.

The two sample quarters (2026-Q3, 2026-Q4) are built, filled and computed; the scorecards of three
sample people of 2026-Q4 are written (PDF with LibreOffice, else .xlsx) and the two quarters are
rolled up into the year's view. Everything goes into the output folder; files already there are
kept (the new ones are 'name (2)') unless --force.
"""

from __future__ import annotations

import csv
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


def sample_exports() -> list[Path]:
    """The sample platform exports (samples/exports/: 生意参谋, 京东商智, 抖店罗盘), sorted by name."""
    folder = sample_file("exports")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".xlsx", ".xls"))


def sample_owners() -> list[tuple[str, str, float]]:
    """The sample's shared shops: (shop, owner's id, share) from samples/shop_owners.csv."""
    with open(sample_file("shop_owners.csv"), encoding="utf-8-sig", newline="") as fh:
        return [(row["店铺"], row["负责人工号"], float(row["份额"])) for row in csv.DictReader(fh)]


def build_sample_workbook(outdir: Path, lang: str = "zh", period: str = PERIOD, *, force: bool = False) -> Path:
    """New workbook for the sample roster (with its shared shops on 店铺归属), filled from the sample
    file of ``period`` of every owner's data and, for 2026-Q4, then from the platforms' exports
    (not computed); an existing one is kept (the new one is ``… (2).xlsx``) unless ``force``."""
    from ..pipeline.roster import read_roster
    from ..sheets.book import write_new
    from .files import new_file
    from .fill import fill_workbook

    outdir.mkdir(parents=True, exist_ok=True)
    path = new_file(outdir / f"kpi_demo_{period}.xlsx", force)
    write_new(path, period, roster=read_roster(sample_file("roster.csv")), lang=lang, owners=sample_owners())
    fill_workbook(path, sample_file(PERIODS[period]), lang=lang)
    if period == PERIOD:  # the platforms' sample exports are of 2026-Q4's days
        report = fill_workbook(path, sample_exports(), lang=lang)  # the same sales and traffic, from the shops' days
        if report.failed():  # the samples are made to import cleanly
            raise RuntimeError(report.text())
    return path


def run_demo(outdir: Path, lang: str = "zh", *, force: bool = False) -> int:
    from .files import compute_file, new_file
    from .report import report_file
    from .rollup import rollup_files
    from .terminal import say_kept

    books = {}
    for period in PERIODS:
        books[period] = build_sample_workbook(outdir, lang, period, force=force)
        say_kept(outdir / f"kpi_demo_{period}.xlsx", books[period], lang)
        if period != PERIOD:
            compute_file(books[period], lang=lang)
    path = books[PERIOD]
    csv_path = new_file(outdir / f"{path.stem}_scores.csv", force)
    outcome = compute_file(path, csv_path=csv_path, lang=lang)
    print(outcome.summary.text(lang))
    print(tr("workbook.demo_files", lang, book=path.resolve(), csv=csv_path.resolve()))
    say_kept(outdir / f"kpi_demo_{PERIOD}_scores.csv", csv_path, lang)
    cards = report_file(path, outdir / "scorecards", employees=list(DEMO_PEOPLE), force=force, lang=lang)
    print(cards.text(lang))
    year = rollup_files(list(books.values()), outdir / "kpi_demo_2026_year.xlsx",
                        csv_path=outdir / "kpi_demo_2026_year.csv", force=force, lang=lang)
    print(year.text(lang))
    print(tr("workbook.demo_errors", lang))
    return 0
