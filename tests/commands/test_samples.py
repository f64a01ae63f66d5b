"""The shipped sample data (samples/): reproducible, complete, and scored as intended."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.samples import SAMPLES, sample_script

from kpi_engine import default_scheme, score

FILES = ["roster.csv", "metrics_2026Q3.csv", "metrics_2026Q4.csv", "README.md", "shop_owners.csv"]
# What each deliberate problem must be reported as, whoever it is planted on.
EXPECTED_CODES = {
    "paying_users": "missing",
    "pv": "not_a_number",
    "resources_ready_rate": "above_max",
    "natural_uv": "constraint",
    "activity_overdue": "below_min",
    "rating_cs": "above_max",
}


@pytest.fixture(scope="module")
def generator():
    return sample_script("generate.py")


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLES / name, dtype={"employee_id": str})


@pytest.fixture(scope="module")
def q3_result():
    return score(read("metrics_2026Q3.csv"), period="2026-Q3")


@pytest.fixture(scope="module")
def q4_result():
    return score(read("metrics_2026Q4.csv"), period="2026-Q4")


def test_regenerating_gives_identical_files(generator, tmp_path):
    generator.generate(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


def test_files_are_utf8_sig_with_canonical_columns():
    ids = [f.id for f in default_scheme().inputs if f.owner != "calibration"]  # the pay base is on the roster
    for name in ["metrics_2026Q3.csv", "metrics_2026Q4.csv"]:
        assert (SAMPLES / name).read_bytes().startswith(b"\xef\xbb\xbf")
        df = read(name)
        assert list(df.columns) == ids
        assert df.employee_id.is_unique and len(df) >= 50
    roster = read("roster.csv")
    assert list(roster.columns) == ["employee_id", "name", "team", "category", "product_type", "shops", "pay_base"]
    assert set(roster.category) == {"apparel", "3c", "other"}
    assert set(roster.product_type) == {"fmcg", "durable"}
    assert roster.pay_base.between(4000, 12000).all() and (roster.pay_base % 500 == 0).all()
    q4 = read("metrics_2026Q4.csv")
    who = roster.drop(columns="pay_base")
    pd.testing.assert_frame_equal(who, q4[who.columns.tolist()])


def test_q4_carries_over_q3():
    q3 = read("metrics_2026Q3.csv").set_index("employee_id")
    q4 = read("metrics_2026Q4.csv").set_index("employee_id")
    assert (q4.uv_prev == q3.uv).all()
    assert (q4.inventory_begin == q3.inventory_end).all()
    assert np.allclose(q4.aov_prev, (q3.sales_actual / q3.paid_orders).round(2))
    assert np.allclose(q4.prev_sales_achievement, (q3.sales_actual / q3.sales_target).round(4))
    ratio = q4.sales_target / q3.sales_target
    assert ratio.between(1.3, 1.42).all()


def test_q3_is_clean_and_fully_scored(q3_result):
    assert q3_result.problems.empty
    assert q3_result.total.notna().all()


def test_q4_reports_each_deliberate_problem(generator, q4_result):
    planted = generator.deliberate_problems()
    assert {p.field for p in planted} == set(EXPECTED_CODES)
    assert len({p.employee_id for p in planted}) == len(planted)
    errors = q4_result.problems[q4_result.problems.severity == "error"]
    got = set(zip(errors.employee_id, errors.field, errors.code))
    want = {(p.employee_id, p.field, EXPECTED_CODES[p.field]) for p in planted}
    assert got == want  # each problem reported, and nothing else


def test_q4_scores_clean_employees_with_spread_grades_and_a_flag(generator, q4_result):
    planted = {p.employee_id for p in generator.deliberate_problems()}
    total = q4_result.total
    clean = total.drop(index=list(planted))
    assert len(clean) >= 50 and clean.notna().all()
    assert total.notna().sum() >= 50
    assert q4_result.grade[total.notna()].nunique() >= 3
    flagged = [e for e, flags in q4_result.flags.items() if "sales_review" in flags]
    assert len(flagged) >= 1


# ---------------------------------------------------------------- the platform exports (samples/exports)
@pytest.fixture(scope="module")
def exports_generator():
    return sample_script("make_exports.py")


def test_regenerating_the_exports_gives_the_same_files(exports_generator, tmp_path):
    """CSV byte for byte; .xlsx cell for cell (openpyxl stamps the zip's times); the .xls is LibreOffice's
    (test_fill_exports compares its cells with the generator's rows)."""
    from openpyxl import load_workbook

    paths = exports_generator.generate(tmp_path, folder=SAMPLES)
    shipped = sorted(p.name for p in (SAMPLES / "exports").iterdir() if p.suffix in (".csv", ".xlsx", ".xls"))
    assert sorted([p.name for p in paths] + [n for n in shipped if n.endswith(".xls")]) == shipped
    for p in paths:
        if p.suffix == ".csv":
            assert p.read_bytes() == (SAMPLES / "exports" / p.name).read_bytes(), p.name
        else:
            new = [list(r) for r in load_workbook(p).active.iter_rows(values_only=True)]
            old = [list(r) for r in load_workbook(SAMPLES / "exports" / p.name).active.iter_rows(values_only=True)]
            assert new == old, p.name


def test_each_persons_shops_add_up_to_their_metrics(exports_generator):
    """The generator's own split: a person's own shops plus share × shared shop = the metrics value."""
    totals = exports_generator.shop_totals(SAMPLES)
    roster = pd.read_csv(SAMPLES / "roster.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    owners = pd.read_csv(SAMPLES / "shop_owners.csv", dtype={"负责人工号": str}, encoding="utf-8-sig")
    shares = {(r.店铺, r.负责人工号): r.份额 for r in owners.itertuples()}
    q4 = read("metrics_2026Q4.csv").set_index("employee_id")
    for eid, shops in zip(roster.employee_id, roster.shops):
        for field in ("sales_actual", "uv", "pv", "paid_orders"):
            unit = 100 if field == "sales_actual" else 1
            parts = sum(totals[s][field] * shares.get((s, eid), 1.0) for s in filter(None, shops.split("、")))
            if shops:
                assert parts == pytest.approx(float(q4.at[eid, field]) * unit), (eid, field)
