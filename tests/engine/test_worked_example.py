"""The spec's worked example (scoring.md §7), every indicator to the third decimal."""

from __future__ import annotations

import pytest

from kpi_engine import score

# (score, points) as printed in the spec's table
SPEC = {
    "sales_achievement": (108, 32.40),
    "uv_growth": (70, 3.111),
    "pv_per_uv": (40, 0.889),
    "conversion_rate": (100, 6.667),
    "aov_growth": (100, 4.444),
    "silent_order_rate": (100, 2.222),
    "repurchase_rate": (14.29, 1.000),
    "new_customer_share": (0, 0),
    "inventory_turnover": (80, 8.000),
    "promotion_cost_ratio": (60, 3.000),
    "after_sales_cost_ratio": (100, 3.000),
    "activity_response": (0, 0),
    "issue_resolution": (-400, -4.000),
    "collaboration_satisfaction": (100, 5.000),
    "resource_readiness": (60, 3.000),
    "proposals": (100, 3.000),
    "knowledge_sharing": (0, 0),
    "compliance": (100, 5.000),
}


@pytest.mark.parametrize("indicator", list(SPEC))
def test_each_indicator_matches_spec(e001_frame, indicator):
    result = score(e001_frame, period="2026-Q4")
    spec_score, spec_points = SPEC[indicator]
    assert result.scores.loc["E001", indicator] == pytest.approx(spec_score, abs=0.005)
    assert result.points.loc["E001", indicator] == pytest.approx(spec_points, abs=0.0005)


def test_total_and_grade(e001_frame):
    result = score(e001_frame)
    assert result.total["E001"] == pytest.approx(76.733, abs=0.0005)
    assert result.grade["E001"] == "B"
    assert result.flags["E001"] == []
    assert result.problems.empty


def test_deductions_of_worked_example(e001_frame):
    d = score(e001_frame).deductions
    got = d.groupby("indicator")["amount"].sum().to_dict()
    assert got == {
        "uv_growth": 3, "pv_per_uv": 3, "repurchase_rate": 6, "new_customer_share": 3,
        "inventory_turnover": 2, "promotion_cost_ratio": 2, "activity_response": 1,
        "issue_resolution": 5, "resource_readiness": 2,
    }
    promo = d.loc[d.indicator == "promotion_cost_ratio", "reason"].item()
    assert promo == "推广费占比 16.0% 高于目标 15%，超出 1.0 个百分点 → 扣 2 分"


def test_deductions_say_the_weighted_points_the_total_lost(e001_frame):
    """The points a reason says are what the total lost: nominal × effective weight / weight (流量与转化
    is scaled 20/45, so UV增长率's 3 nominal points cost 3 × 4/9); with the 2 points of 知识沉淀 (no
    document, no deduction) and the 2.4 that 销售额达成率 earns over its 30, the worked total follows."""
    result = score(e001_frame)
    d = result.deductions
    lost = d.groupby("indicator")["lost"].sum().to_dict()
    assert lost == pytest.approx({
        "uv_growth": 3 * 20 / 45, "pv_per_uv": 3 * 20 / 45, "repurchase_rate": 6, "new_customer_share": 3,
        "inventory_turnover": 2, "promotion_cost_ratio": 2, "activity_response": 1, "issue_resolution": 5,
        "resource_readiness": 2,
    })
    assert 100 + 2.4 - sum(lost.values()) - 2 == pytest.approx(result.total["E001"])
    uv = d.loc[d.indicator == "uv_growth", "reason"].item()
    assert uv == "UV增长率 11.1% 低于目标 20%，差 8.9 个百分点 → 扣 1.33 分（满分 10 分按比例折算为 4.44）"


def test_english_reasons(e001_frame):
    d = score(e001_frame, lang="en").deductions
    promo = d.loc[d.indicator == "promotion_cost_ratio", "reason"].item()
    assert promo == "Promotion cost ratio 16.0% is 1.0 percentage points above the target 15% → −2 points"


def test_guide_lists_top_three_losses(e001_frame):
    g = score(e001_frame).guide
    assert list(g.indicator) == ["repurchase_rate", "issue_resolution", "new_customer_share"]
    assert list(g["rank"]) == [1, 2, 3]
    assert g.lost.tolist() == pytest.approx([6.0, 5.0, 3.0])
    assert all(g.advice.str.len() > 0)
