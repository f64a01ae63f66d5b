"""`kpi rollup`: the year from four computed quarters, person by person the mean of the final
totals each quarter's 得分 sheet shows (read here with openpyxl), a missing quarter handled as
stated (the others, renormalised, flagged); and the clear refusals."""

from __future__ import annotations

import csv
import math
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from support.package_check import assert_sound_package
from support.workbooks import table

from kpi_workbook.commands.cli import main
from kpi_workbook.commands.demo import sample_file
from kpi_workbook.commands.files import compute_file
from kpi_workbook.commands.fill import fill_workbook
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.pipeline.roster import read_roster
from kpi_workbook.sheets.book import write_new

# each quarter from a sample export; E1001 is left out of Q2's (no total there)
EXPORTS = {"2026-Q1": "metrics_2026Q3.csv", "2026-Q2": "metrics_2026Q4.csv", "2026-Q3": "metrics_2026Q3.csv",
           "2026-Q4": "metrics_2026Q4.csv", "2025-Q4": "metrics_2026Q4.csv"}
MISSING = ("E1001", "2026-Q2")


def kpi(capsys, *argv: object) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def make_book(folder: Path, period: str, *, computed: bool = True) -> Path:
    path = folder / f"book_{period}.xlsx"
    write_new(path, period, roster=read_roster(sample_file("roster.csv")))
    export = pd.read_csv(sample_file(EXPORTS[period]), dtype=str, encoding="utf-8-sig")
    if period == MISSING[1]:
        export = export[export["employee_id"] != MISSING[0]]
    data = folder / f"export_{period}.csv"
    export.to_csv(data, index=False, encoding="utf-8-sig")
    fill_workbook(path, data)
    if computed:
        compute_file(path)
    return path


@pytest.fixture(scope="module")
def quarters(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("quarters")
    return {p: make_book(folder, p) for p in EXPORTS if p.startswith("2026")}


def shown_totals(books: dict[str, Path]) -> pd.DataFrame:
    """Each quarter's total as its 得分 sheet holds it (NaN when blank)."""
    out = {}
    for period, path in books.items():
        scores = table(path, layout().sheet("scores")).set_index("employee_id")
        out[period] = pd.to_numeric(scores["total"], errors="coerce")
    return pd.DataFrame(out)


def test_the_year_is_the_mean_of_each_persons_quarters(quarters: dict[str, Path], tmp_path: Path, capsys) -> None:
    books = list(quarters.values())[::-1]  # any order
    code, said = kpi(capsys, "rollup", *books, "-o", tmp_path / "year.xlsx", "--csv", tmp_path / "year.csv")
    assert code == 0, said
    assert_sound_package(tmp_path / "year.xlsx")
    with open(tmp_path / "year.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["employee_id", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "annual_total", "annual_grade",
                       "periods", "flags"]
    got = {r[0]: r for r in rows[1:]}
    expected = shown_totals(quarters)
    assert set(got) == set(expected.index)
    checked = 0
    for eid, row in expected.iterrows():
        present = [v for v in row if not math.isnan(v)]
        line = got[eid]
        assert int(line[7]) == len(present)
        if present:
            assert float(line[5]) == pytest.approx(sum(present) / len(present), abs=1e-9), eid
            checked += 1
        else:
            assert line[5] == ""
        assert ("missing_periods" in line[8].split(";")) == (len(present) < 4)
    assert checked > 50
    assert got[MISSING[0]][2] == "" and int(got[MISSING[0]][7]) == 3  # scored on Q1, Q3 and Q4
    assert "missing_periods" in got[MISSING[0]][8]
    sheet = table(tmp_path / "year.xlsx", "年度考核").set_index("employee_id")
    assert sheet.at["E1002", "annual_total"] == pytest.approx(float(got["E1002"][5]))


def test_sales_under_80_percent_in_two_consecutive_quarters_is_flagged(quarters: dict[str, Path], tmp_path: Path,
                                                                       capsys) -> None:
    assert kpi(capsys, "rollup", *quarters.values(), "-o", tmp_path / "y.xlsx", "--csv", tmp_path / "y.csv")[0] == 0
    with open(tmp_path / "y.csv", encoding="utf-8-sig", newline="") as fh:
        flags = {r["employee_id"]: r["flags"].split(";") for r in csv.DictReader(fh)}
    low = {}  # per quarter, who sold under 80 % of target, from the exports themselves
    for period in quarters:
        export = pd.read_csv(sample_file(EXPORTS[period]), dtype={"employee_id": str}, encoding="utf-8-sig")
        if period == MISSING[1]:
            export = export[export["employee_id"] != MISSING[0]]
        ratio = pd.to_numeric(export["sales_actual"], errors="coerce") / pd.to_numeric(export["sales_target"], errors="coerce")
        low[period] = set(export.loc[ratio < 0.8, "employee_id"])
    order = list(quarters)
    expected = {e for a, b in zip(order, order[1:]) for e in low[a] & low[b]}
    assert expected  # the samples have such people
    assert {e for e, f in flags.items() if "sales_low_consecutive" in f} == expected
    with zipfile.ZipFile(tmp_path / "y.xlsx") as zf:  # the team means per period as a line chart
        charts = [zf.read(n) for n in zf.namelist() if n.startswith("xl/charts/chart")]
    assert any(b"<lineChart>" in c or b"<c:lineChart>" in c for c in charts)


def test_periods_of_another_year_twice_or_not_computed_are_refused(quarters: dict[str, Path], tmp_path: Path,
                                                                      capsys) -> None:
    q1 = quarters["2026-Q1"]
    again = tmp_path / "copy_of_q1.xlsx"
    shutil.copyfile(q1, again)
    code, said = kpi(capsys, "rollup", q1, again, "-o", tmp_path / "y1.xlsx")
    assert code != 0 and "重叠" in said and again.name in said
    other = make_book(tmp_path, "2025-Q4")
    code, said = kpi(capsys, "rollup", q1, other, "-o", tmp_path / "y3.xlsx")
    assert code != 0 and "不是同一年" in said and other.name in said
    code, said = kpi(capsys, "rollup", q1, make_uncomputed(tmp_path), "-o", tmp_path / "y2.xlsx")
    assert code != 0 and "还没有计算" in said
    assert not list(tmp_path.glob("y*.xlsx"))


def make_uncomputed(folder: Path) -> Path:
    sub = folder / "raw"
    sub.mkdir()
    return make_book(sub, "2026-Q3", computed=False)


def test_the_output_is_never_one_of_the_books(quarters: dict[str, Path], capsys) -> None:
    q1 = quarters["2026-Q1"]
    before = q1.read_bytes()
    code, said = kpi(capsys, "rollup", q1, quarters["2026-Q2"], "-o", q1, "--force")
    assert code != 0 and q1.read_bytes() == before
