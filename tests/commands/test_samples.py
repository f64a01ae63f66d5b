"""The shipped sample data (samples/): reproducible, complete, and scored as intended."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_engine import default_scheme, score

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
FILES = ["roster.csv", "metrics_2026Q3.csv", "metrics_2026Q4.csv", "README.md"]
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
    spec = importlib.util.spec_from_file_location("samples_generate", SAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


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
    assert list(roster.columns) == ["employee_id", "name", "team", "category", "product_type", "pay_base"]
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
