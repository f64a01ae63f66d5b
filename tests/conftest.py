"""Shared fixtures: the spec's worked example row (shared/spec/scoring.md §7).

openpyxl writes XML through lxml when lxml is importable (Anaconda ships it). `make test` runs
without lxml installed, `make test-lxml` with it (see the Makefile); tests that need the other
form of a workbook make it in a subprocess (tests/support/producers.py), and the lxml form is
skipped, saying so, where lxml is not installed.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

E001 = dict(
    employee_id="E001", name="张三", team="天猫一组", category="apparel", product_type="fmcg",
    sales_target=1_000_000, sales_actual=1_080_000, uv=200_000, uv_prev=180_000, natural_uv=130_000,
    pv=560_000, paid_orders=7200, silent_orders=1300, industry_conversion=0.03, aov_prev=142,
    repeat_buyers_90d=1500, paying_users=6000, new_customer_sales=400_000, cogs=600_000,
    inventory_begin=150_000, inventory_end=170_000, slow_moving_skus=6, total_skus=100,
    promotion_cost=172_800, after_sales_cost=30_000, activity_overdue=1, issue_overdue=3,
    rating_design=8.5, rating_cs=7.5, rating_logistics=9, resources_ready_rate=0.88,
    proposals_approved=1, knowledge_docs=0, platform_violations=0, severe_violations=0,
    data_security_violations=0,
)


def pytest_configure(config: pytest.Config) -> None:
    """The Makefile says which XML library openpyxl must use (KPI_EXPECT_LXML=1 in make test-lxml,
    0 in make test): a leg of the test matrix that silently runs on the other one fails at once."""
    expect = os.environ.get("KPI_EXPECT_LXML")
    if expect is None:
        return
    import openpyxl.xml

    if openpyxl.xml.LXML != (expect == "1"):
        raise pytest.UsageError(
            f"KPI_EXPECT_LXML={expect} but openpyxl.xml.LXML is {openpyxl.xml.LXML} "
            f"(lxml installed: {openpyxl.xml.lxml_available()}, OPENPYXL_LXML={os.environ.get('OPENPYXL_LXML')!r})"
        )


@pytest.fixture
def e001() -> dict:
    return dict(E001)


@pytest.fixture
def e001_frame() -> pd.DataFrame:
    return pd.DataFrame([E001])
