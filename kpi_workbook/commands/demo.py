"""`kpi demo`: the sample workbook from samples/, filled and computed, with its summary."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PERIOD = "2026-Q4"


def sample_file(name: str) -> Path:
    """A file shipped in samples/ (installed as kpi_workbook.samples)."""
    return Path(str(resources.files("kpi_workbook.samples").joinpath(name)))


def build_sample_workbook(outdir: Path, lang: str = "zh") -> Path:
    """New workbook for the sample roster, filled from the sample Q4 export (not computed)."""
    from ..pipeline.roster import read_roster
    from ..sheets.book import write_new
    from .fill import fill_workbook

    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"kpi_demo_{PERIOD}.xlsx"
    write_new(path, PERIOD, roster=read_roster(sample_file("roster.csv")), lang=lang)
    fill_workbook(path, sample_file("metrics_2026Q4.csv"), lang=lang)
    return path


def run_demo(outdir: Path, lang: str = "zh") -> int:
    from .files import compute_file

    path = build_sample_workbook(outdir, lang)
    csv_path = outdir / f"kpi_demo_{PERIOD}_scores.csv"
    outcome = compute_file(path, csv_path=csv_path, lang=lang)
    print(outcome.summary.text(lang))
    if lang == "zh":
        print(f"示例工作簿：{path.resolve()}\n得分 CSV：{csv_path.resolve()}")
        print("（示例数据中故意放入了几处错误，见工作簿的「校验」表）")
    else:
        print(f"sample workbook: {path.resolve()}\nscores CSV: {csv_path.resolve()}")
        print("(the sample data holds a few deliberate errors; see the Validation sheet)")
    return 0
