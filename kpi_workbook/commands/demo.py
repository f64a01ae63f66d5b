"""`kpi demo`: the sample workbook from samples/, filled and computed, with its summary."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kpi_engine.i18n import tr

PERIOD = "2026-Q4"


def sample_file(name: str) -> Path:
    """A file shipped in samples/ (installed as kpi_workbook.samples)."""
    return Path(str(resources.files("kpi_workbook.samples").joinpath(name)))


def build_sample_workbook(outdir: Path, lang: str = "zh", *, force: bool = False) -> Path:
    """New workbook for the sample roster, filled from the sample Q4 export (not computed); an
    existing one is kept (the new one is ``… (2).xlsx``) unless ``force``."""
    from ..pipeline.roster import read_roster
    from ..sheets.book import write_new
    from .files import new_file
    from .fill import fill_workbook

    outdir.mkdir(parents=True, exist_ok=True)
    path = new_file(outdir / f"kpi_demo_{PERIOD}.xlsx", force)
    write_new(path, PERIOD, roster=read_roster(sample_file("roster.csv")), lang=lang)
    fill_workbook(path, sample_file("metrics_2026Q4.csv"), lang=lang)
    return path


def run_demo(outdir: Path, lang: str = "zh", *, force: bool = False) -> int:
    from .files import compute_file, new_file
    from .terminal import say_kept

    path = build_sample_workbook(outdir, lang, force=force)
    csv_path = new_file(outdir / f"{path.stem}_scores.csv", force)
    outcome = compute_file(path, csv_path=csv_path, lang=lang)
    print(outcome.summary.text(lang))
    print(tr("workbook.demo_files", lang, book=path.resolve(), csv=csv_path.resolve()))
    say_kept(outdir / f"kpi_demo_{PERIOD}.xlsx", path, lang)
    say_kept(outdir / f"kpi_demo_{PERIOD}_scores.csv", csv_path, lang)
    print(tr("workbook.demo_errors", lang))
    return 0
