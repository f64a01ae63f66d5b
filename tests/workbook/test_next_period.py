"""kpi next-period: same roster and scheme, inputs blank, exactly the carried values filled."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from support.package_check import assert_sound_package
from support.workbooks import input_sheet_names, sample_metrics, sample_workbook, table

from kpi_engine import default_scheme
from kpi_workbook.commands.files import compute_file, next_period_file
from kpi_workbook.pipeline import load_scheme_from
from kpi_workbook.pipeline.file_source import FileSource
from kpi_workbook.pipeline.layout import choice_label, layout
from kpi_workbook.pipeline.reading import read_meta

CARRIED = {"uv_prev", "aov_prev", "prev_sales_achievement", "sales_target", "inventory_begin",
           "industry_conversion", "new_customer_share_target", "turnover_target", "total_skus"}
ROSTER = {"employee_id", "name", "team", "category", "product_type", "shops"}
CHOICES = {f.id: f for f in default_scheme().inputs if f.choices}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("next")
    path = sample_workbook(tmp)
    compute_file(path)
    nxt = next_period_file(path).path
    return path, nxt


def _merged(path):
    frames = [t[t.employee_id.notna()].set_index("employee_id") for t in (table(path, s) for s in input_sheet_names())]
    out = frames[0]
    for f in frames[1:]:
        out = out.join(f[[c for c in f.columns if c not in out.columns]])
    return out


def test_both_workbooks_are_sound_packages(pair):
    for path in pair:
        assert_sound_package(path)


def test_name_period_and_scheme(pair):
    path, nxt = pair
    assert nxt.parent == path.parent
    assert nxt.name == "kpi_demo_2027-Q1.xlsx"
    with FileSource(nxt) as src:
        assert read_meta(src)["period"] == "2027-Q1"
        scheme, _ = load_scheme_from(src)
    assert scheme.fingerprint() == default_scheme().fingerprint()
    names = load_workbook(nxt, read_only=True).sheetnames
    assert layout().sheet("scores") not in names  # results are not carried


def test_carried_values_exactly(pair):
    _, nxt = pair
    this = sample_metrics().set_index("employee_id")
    got = _merged(nxt)
    assert list(got.index) == list(this.index)
    ratio = 1.0 / 1.5  # seasonal factors: Q1 1.0, Q4 1.5
    for eid in this.index:
        row, new = this.loc[eid], got.loc[eid]
        assert new["uv_prev"] == row["uv"]
        assert new["inventory_begin"] == row["inventory_end"]
        assert new["sales_target"] == pytest.approx(row["sales_target"] * ratio, rel=1e-9)
        if isinstance(row["paid_orders"], (int, float)) and row["paid_orders"] > 0:
            assert new["aov_prev"] == pytest.approx(row["sales_actual"] / row["paid_orders"], rel=1e-9)
        assert new["prev_sales_achievement"] == pytest.approx(row["sales_actual"] / row["sales_target"], rel=1e-9)
        for fid in ROSTER - {"employee_id"}:  # a choice's id comes back as the drop-down's word (fmcg → 快消品)
            want = choice_label(CHOICES[fid], row[fid], "zh") if fid in CHOICES else row[fid]
            assert new[fid] == want or (pd.isna(new[fid]) and pd.isna(want)), (eid, fid)  # blank 店铺 stays blank


def test_everything_else_blank(pair):
    _, nxt = pair
    got = _merged(nxt)
    for col in got.columns:
        if col in CARRIED or col in ROSTER:
            continue
        assert got[col].isna().all(), col


def test_hr_scheme_edit_carries_over(tmp_path):
    from kpi_engine import scheme_from_dict
    from kpi_workbook.sheets.book import write_new

    d = default_scheme().to_dict()
    for ind in d["indicators"]:
        if ind["id"] == "promotion_cost_ratio":
            ind["checks"][0]["target"] = "0.18"
    edited = scheme_from_dict(d)
    path = write_new(tmp_path / "kpi_2026-11.xlsx", "2026-11", scheme=edited)
    nxt = next_period_file(path).path
    assert nxt.name == "kpi_2026-12.xlsx"
    with FileSource(nxt) as src:
        scheme, _ = load_scheme_from(src)
    assert scheme.fingerprint() == edited.fingerprint()
