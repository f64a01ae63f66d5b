"""HR edits the 指标配置 sheet in the file; compute follows the edit with no code change.
Also: the computed workbook opens in LibreOffice and its values read back equal ours."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from support.lo import convert
from support.workbooks import sample_metrics, sample_workbook, table

from kpi_engine import default_scheme, scheme_from_dict, score
from kpi_workbook.commands.cli import main
from kpi_workbook.commands.files import compute_file
from kpi_workbook.pipeline.layout import layout


def _config_rows(ws, marker: str) -> tuple[dict[str, int], dict[str, int]]:
    """(field id -> column, item id -> row) of a config table found by its marker."""
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == marker)
    id_row = start + 2  # title row, label row, machine id row
    cols = {ws.cell(id_row, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(id_row, c).value}
    key = cols.get("id", 1)
    rows = {}
    for r in range(id_row + 1, ws.max_row + 1):
        v = ws.cell(r, key).value
        if isinstance(ws.cell(r, 1).value, str) and ws.cell(r, 1).value.startswith("#"):
            break
        if v:
            rows[v] = r
    return cols, rows


def _edited_scheme(weight: float, promo_target: str):
    d = default_scheme().to_dict()
    for ind in d["indicators"]:
        if ind["id"] == "pv_per_uv":
            ind["weight"] = weight
        if ind["id"] == "promotion_cost_ratio":
            ind["checks"][0]["target"] = promo_target
    return scheme_from_dict(d)


def test_weight_and_threshold_edit_changes_result(tmp_path):
    path = sample_workbook(tmp_path)
    wb = load_workbook(path)
    ws = wb[layout().sheet("config")]
    cols, rows = _config_rows(ws, "#indicators")
    ws.cell(rows["pv_per_uv"], cols["weight"]).value = 10
    ws.cell(rows["promotion_cost_ratio"], cols["check.target"]).value = "0.20"  # its rule, beside it
    wb.save(path)

    compute_file(path)
    got = table(path, layout().sheet("scores")).set_index("employee_id")
    want = score(sample_metrics(), scheme=_edited_scheme(10, "0.20"), period="2026-Q4")
    base = score(sample_metrics(), period="2026-Q4")
    # traffic group now adds up to 50: pv_per_uv weighs 10 × 20/50 = 4
    assert want.scheme.effective_weight["pv_per_uv"] == pytest.approx(4.0)
    changed = 0
    for eid in want.total.index:
        if pd.isna(want.total[eid]):
            continue
        assert got.at[eid, "total"] == pytest.approx(want.total[eid], abs=1e-9)
        changed += abs(want.total[eid] - base.total[eid]) > 1e-9
    assert changed > 10


def test_invalid_edit_is_reported_with_cell_and_nothing_written(tmp_path, capsys):
    path = sample_workbook(tmp_path)
    wb = load_workbook(path)
    ws = wb[layout().sheet("config")]
    cols, rows = _config_rows(ws, "#indicators")
    cell = ws.cell(rows["aov_growth"], cols["rule"])
    cell.value = "magic"
    wb.save(path)
    before = path.read_bytes()
    code = main(["compute", str(path)])
    out = capsys.readouterr()
    assert code == 1
    assert f"{layout().sheet('config')}!{cell.coordinate}" in out.err
    assert "magic" in out.err
    assert path.read_bytes() == before


def test_computed_workbook_opens_in_libreoffice(tmp_path):
    path = sample_workbook(tmp_path)
    compute_file(path)
    converted = convert(path, tmp_path / "lo")
    for key in ("scores", "deductions", "guide", "summary", "problems"):
        sheet = layout().sheet(key)
        ours = load_workbook(path, data_only=True)[sheet]
        theirs = load_workbook(converted, data_only=True)[sheet]
        a = [list(r) for r in ours.iter_rows(values_only=True)]
        b = [list(r) for r in theirs.iter_rows(values_only=True)][: len(a)]
        assert len(a) == len(b), sheet
        for ra, rb in zip(a, b):
            for va, vb in zip(ra, rb):
                if isinstance(va, float):
                    assert vb == pytest.approx(va, rel=1e-12), sheet
                else:
                    assert va == vb or (va in (None, "") and vb in (None, "")), (sheet, va, vb)
