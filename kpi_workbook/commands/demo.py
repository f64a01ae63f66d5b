"""`kpi demo`: the sample workbook from samples/, filled and computed, with its summary."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from kpi_engine.i18n import tr

PERIOD = "2026-Q4"


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


def build_sample_workbook(outdir: Path, lang: str = "zh") -> Path:
    """New workbook for the sample roster (with its shared shops on 店铺归属), filled from the sample
    Q4 file of every owner's data and then from the platforms' exports (not computed)."""
    from ..pipeline.roster import read_roster
    from ..sheets.book import write_new
    from .fill import fill_workbook

    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"kpi_demo_{PERIOD}.xlsx"
    write_new(path, PERIOD, roster=read_roster(sample_file("roster.csv")), lang=lang, owners=sample_owners())
    fill_workbook(path, sample_file("metrics_2026Q4.csv"), lang=lang)
    report = fill_workbook(path, sample_exports(), lang=lang)  # the same sales and traffic, from the shops' days
    if report.failed():  # the samples are made to import cleanly
        raise RuntimeError(report.text())
    return path


def run_demo(outdir: Path, lang: str = "zh") -> int:
    from .files import compute_file

    path = build_sample_workbook(outdir, lang)
    csv_path = outdir / f"kpi_demo_{PERIOD}_scores.csv"
    outcome = compute_file(path, csv_path=csv_path, lang=lang)
    print(outcome.summary.text(lang))
    print(tr("workbook.demo_files", lang, book=path.resolve(), csv=csv_path.resolve()))
    print(tr("workbook.demo_errors", lang))
    return 0
