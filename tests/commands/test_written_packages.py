"""Every command that writes a workbook writes a sound package (tests/support/package_check.py):
`kpi new`, `kpi fill` (in place and -o), `kpi compute` (in place and -o), `kpi next-period`,
`kpi demo` and `kpi addin build`. LibreOffice loads the compute, next-period and demo outputs and
reads a few cells as values computed here independently (the engine's score(), the samples CSV)."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from support.package_check import assert_sound_package
from support.workbooks import sample_metrics, sample_workbook

from kpi_engine import score
from kpi_workbook.commands.addin_build import COMMANDS
from kpi_workbook.commands.cli import main
from kpi_workbook.commands.demo import sample_file
from kpi_workbook.pipeline.layout import layout

ROSTER_SHEET = layout().inputs[0].name("zh")  # 销售与流量
SCORES = layout().sheet("scores")
PERIOD = "2026-Q4"


def kpi(*argv: object) -> int:
    return main([str(a) for a in argv])


def cell_of(path: Path, sheet: str, employee_id: str, field: str) -> str:
    """Where ``field`` (an id of row 2) of ``employee_id`` (column A) is on ``sheet`` of our file:
    only the position is taken from the file under test, never the value compared."""
    wb = load_workbook(path, read_only=True)
    try:
        rows = list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()
    column = rows[layout().id_row - 1].index(field) + 1
    row = next(i for i, r in enumerate(rows, start=1) if i > layout().id_row and r[0] == employee_id)
    return f"{get_column_letter(column)}{row}"


@pytest.fixture(scope="module")
def engine():
    """The scores as the engine gives them on the sample data, and the data itself."""
    metrics = sample_metrics()
    return score(metrics, period=PERIOD), metrics.set_index("employee_id")


def expected_scores(path: Path, engine, employees=("E1001", "E1002")) -> dict[str, dict[str, object]]:
    """Cells of the scores sheet and the roster sheet with the values they must hold."""
    result, metrics = engine
    scores, inputs = {}, {}
    for eid in employees:
        total = result.total[eid]
        assert not math.isnan(total)  # the employees compared are scored
        scores[cell_of(path, SCORES, eid, "total")] = float(total)
        scores[cell_of(path, SCORES, eid, "grade")] = result.grade[eid]
        scores[cell_of(path, SCORES, eid, "employee_id")] = eid
        inputs[cell_of(path, ROSTER_SHEET, eid, "sales_actual")] = float(metrics.at[eid, "sales_actual"])
        inputs[cell_of(path, ROSTER_SHEET, eid, "name")] = metrics.at[eid, "name"]
    return {SCORES: scores, ROSTER_SHEET: inputs}


@pytest.fixture(scope="module")
def new_book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("new") / "kpi_2026-Q4.xlsx"
    assert kpi("new", "--period", PERIOD, "--roster", sample_file("roster.csv"), "-o", path) == 0
    return path


@pytest.fixture(scope="module")
def computed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("computed")
    src = sample_workbook(folder)
    out = folder / "computed.xlsx"
    assert kpi("compute", src, "-o", out) == 1  # the sample holds deliberate errors
    return out


def test_new_writes_a_sound_package(new_book):
    assert_sound_package(new_book)
    empty = new_book.with_name("empty.xlsx")
    assert kpi("new", "--period", "2026-11", "--lang", "en", "-o", empty) == 0
    assert_sound_package(empty)


def test_fill_writes_a_sound_package_in_place_and_with_o(new_book, tmp_path):
    path = shutil.copyfile(new_book, tmp_path / "in_place.xlsx")
    assert kpi("fill", path, sample_file("metrics_2026Q4.csv")) == 0
    assert_sound_package(path)
    out = tmp_path / "filled.xlsx"
    assert kpi("fill", new_book, sample_file("metrics_2026Q3.csv"), "-o", out) == 0
    assert_sound_package(out)


def test_compute_in_place_writes_a_sound_package(tmp_path):
    path = sample_workbook(tmp_path)
    assert kpi("compute", path, "--csv", tmp_path / "scores.csv") == 1
    assert_sound_package(path)
    assert kpi("compute", path) == 1  # a second compute replaces the result sheets
    assert_sound_package(path)


def test_compute_output_loads_in_libreoffice_with_the_engines_scores(computed, engine):
    assert_sound_package(computed, libreoffice=True, cells=expected_scores(computed, engine))


def test_next_period_output_loads_in_libreoffice_with_the_carried_values(computed, engine, tmp_path):
    out = tmp_path / "kpi_2027-Q1.xlsx"
    assert kpi("next-period", computed, "-o", out) == 0
    _, metrics = engine
    cells = {}
    for eid in ("E1001", "E1030"):
        cells[cell_of(out, ROSTER_SHEET, eid, "uv_prev")] = float(metrics.at[eid, "uv"])  # this period's UV
        cells[cell_of(out, ROSTER_SHEET, eid, "name")] = metrics.at[eid, "name"]
        # seasonal factors: Q1 1.0, Q4 1.5
        cells[cell_of(out, ROSTER_SHEET, eid, "sales_target")] = float(metrics.at[eid, "sales_target"]) / 1.5
        cells[cell_of(out, ROSTER_SHEET, eid, "sales_actual")] = None  # not carried: blank
    converted = assert_sound_package(out, libreoffice=True, cells={ROSTER_SHEET: cells})
    assert SCORES not in load_workbook(converted, read_only=True).sheetnames


def test_demo_output_loads_in_libreoffice_with_the_engines_scores(engine, tmp_path, capsys):
    assert kpi("demo", "-o", tmp_path / "demo") == 0
    capsys.readouterr()
    path = tmp_path / "demo" / f"kpi_demo_{PERIOD}.xlsx"
    assert_sound_package(path, libreoffice=True, cells=expected_scores(path, engine, ("E1001", "E1059")))
    for other in ("kpi_demo_2026-Q3.xlsx", "kpi_demo_2026_year.xlsx"):  # the other quarter, the year's view
        assert_sound_package(tmp_path / "demo" / other)
    cards = sorted(p.name for p in (tmp_path / "demo" / "scorecards").iterdir())  # three sample people's
    assert [c.split("_")[0] for c in cards] == ["E1001", "E1008", "E1018"]
    assert all(c.endswith(".pdf") for c in cards)  # LibreOffice is there (assert_sound_package used it)


def test_addin_build_writes_sound_packages(tmp_path, capsys):
    assert kpi("addin", "build", "-o", tmp_path / "addins") == 0
    built = sorted((tmp_path / "addins").glob("*.xlam"))
    assert [p.name for p in built] == sorted(f"{c}.xlam" for c in COMMANDS)
    for path in built:
        assert_sound_package(path)
        with zipfile.ZipFile(path) as zf:
            assert "customUI/customUI.xml" in zf.namelist()  # the parts the checker walked include the ribbon


def test_commands_write_sound_packages_with_openpyxls_lxml_writer(tmp_path):
    """openpyxl writes through lxml when lxml is installed (a user's machine may have it): `kpi demo`
    (new, fill, compute) and `kpi next-period` in a process where openpyxl uses lxml."""
    from support.producers import lxml_importable

    if not lxml_importable():
        pytest.skip("lxml is not installed here; make test-lxml (CI runs it) covers this")
    env = {**os.environ, "OPENPYXL_LXML": "True", "PYTHONIOENCODING": "utf-8"}
    check = "import openpyxl.xml, sys; sys.exit(0 if openpyxl.xml.LXML else 3)"
    assert subprocess.run([sys.executable, "-c", check], env=env).returncode == 0
    folder = tmp_path / "demo"
    for argv, written in ((["demo", "-o", folder], f"kpi_demo_{PERIOD}.xlsx"),
                          (["next-period", folder / f"kpi_demo_{PERIOD}.xlsx"], "kpi_demo_2027-Q1.xlsx")):
        proc = subprocess.run([sys.executable, "-m", "kpi_workbook.commands.cli", *map(str, argv)], capture_output=True,
                              text=True, encoding="utf-8", env=env, timeout=300)
        assert proc.returncode == 0, f"kpi {argv[0]}: {proc.stderr}"
        assert_sound_package(folder / written)
