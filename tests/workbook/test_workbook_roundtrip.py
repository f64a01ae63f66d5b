"""new → fill → validate → compute → CSV, against kpi_engine.score on the same data."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from openpyxl import load_workbook
from support.package_check import assert_sound_package
from support.workbooks import input_sheet_names, sample_metrics, sample_workbook, sheet_values, table, zip_parts

from kpi_engine import score
from kpi_workbook.commands.files import compute_file, validate_file
from kpi_workbook.pipeline.layout import layout


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("computed")
    path = sample_workbook(tmp)
    before = zip_parts(path)
    inputs_before = {s: sheet_values(path, s) for s in input_sheet_names()}
    outcome = compute_file(path, csv_path=tmp / "scores.csv")
    return path, tmp / "scores.csv", before, inputs_before, outcome


def test_computed_workbook_is_a_sound_package(computed):
    assert_sound_package(computed[0])


def test_csv_equals_engine_on_same_data(computed):
    _, csv_path, _, _, _ = computed
    got = pd.read_csv(csv_path, dtype={"employee_id": str}, encoding="utf-8-sig").set_index("employee_id")
    want = score(sample_metrics(), period="2026-Q4")
    assert list(got.index) == list(want.total.index)
    for ind in want.points.columns:
        a, b = got[f"{ind}.points"], want.points[ind]
        assert ((a - b).abs() < 1e-9).sum() + (a.isna() & b.isna()).sum() == len(a), ind
    assert ((got.total - want.total).abs() < 1e-9).sum() == want.total.notna().sum()
    assert got.total.isna().sum() == want.total.isna().sum()
    assert got.grade.fillna("").tolist() == want.grade.fillna("").tolist()
    flags = got["flags"].fillna("").tolist()
    assert flags == [";".join(f) for f in want.flags]


def test_scores_sheet_matches_engine(computed):
    path, _, _, _, _ = computed
    sheet = table(path, layout().sheet("scores"))
    want = score(sample_metrics(), period="2026-Q4")
    sheet = sheet.set_index("employee_id")
    for eid in want.total.index:
        t = want.total[eid]
        got = sheet.at[eid, "total"]
        if math.isnan(t):
            assert got is None or math.isnan(got)
        else:
            assert got == pytest.approx(t, abs=1e-9)
        g = sheet.at[eid, "grade"]
        assert (None if pd.isna(g) else g) == want.grade[eid]


def test_input_cells_unchanged_and_parts_byte_identical(computed):
    path, _, before, inputs_before, _ = computed
    for sheet, values in inputs_before.items():
        assert sheet_values(path, sheet) == values, sheet
    after = zip_parts(path)
    changeable = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml",
                  "docProps/app.xml"}
    wb = load_workbook(path, read_only=True)
    names = wb.sheetnames
    wb.close()
    owned = {b.sheet for b in computed[4].blocks}
    assert owned <= set(names)
    for name, data in before.items():
        if name in changeable or name.startswith(("xl/worksheets/", "xl/drawings", "xl/charts")):
            continue
        assert after.get(name) == data, name
    # input sheets' XML is byte-identical too
    for sheet in input_sheet_names():
        assert sheet in names


def test_validation_sheet_names_cells_of_deliberate_problems(computed):
    path, _, _, _, outcome = computed
    probs = {(p.employee_id, p.field): p for p in outcome.problems if p.severity == "error"}
    metrics = sample_metrics()
    bad_pv = probs[("E1043", "pv")]
    assert bad_pv.sheet == "销售与流量"
    ws = load_workbook(path)[bad_pv.sheet]
    assert ws[bad_pv.cell].value == "待补充"
    rate = probs[("E1034", "resources_ready_rate")]
    assert load_workbook(path)[rate.sheet][rate.cell].value == 92
    assert ("E1052", "paying_users") in probs
    assert metrics.loc[metrics.employee_id == "E1052", "paying_users"].isna().all()
    rows = table(path, layout().sheet("problems"))
    assert {"E1043", "E1034", "E1052", "E1060", "E1003", "E1058"} <= set(rows.employee_id)
    assert (rows.sheet + "!" + rows.cell).str.contains("销售与流量!").any()


def test_validate_file_lists_same_problems(computed, tmp_path):
    path = sample_workbook(tmp_path)
    problems = validate_file(path)
    _, _, _, _, outcome = computed
    key = lambda p: (p.sheet, p.cell, p.code)  # noqa: E731
    assert sorted(map(key, problems)) == sorted(map(key, outcome.problems))


def test_compute_twice_is_identical(tmp_path):
    path = sample_workbook(tmp_path)
    compute_file(path, lang="zh")
    first = zip_parts(path)
    compute_file(path, lang="zh")
    second = zip_parts(path)
    assert first.keys() == second.keys()
    meta = layout().sheet("meta")
    for name in first:
        if first[name] != second[name]:
            # only the meta sheet (time of last compute) may differ
            assert meta in _sheet_names_for_part(path, name), name


def _sheet_names_for_part(path, part):
    import re
    import zipfile

    with zipfile.ZipFile(path) as zf:
        wb = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    out = []
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', wb):
        m = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels) or re.search(rf'Target="([^"]+)"[^>]*Id="{rid}"', rels)
        if m and m.group(1).lstrip("/").removeprefix("xl/") == part.removeprefix("xl/"):
            out.append(name)
    return out
