"""One language of points (issue 14, item 3): every reason says the weighted points the total
actually lost (the 失分 beside it), a score is only ever "百分制得分 N" and never negative, and no
nominal points are mixed in. The issue's three examples, worked by hand from the default scheme
(shared/spec/scoring.md §4): the E001 row of §7 with one input changed each."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from support.rows import E001

from kpi_engine import score

# 流量与转化 is 20 points for 10 + 5 + 15 + 10 + 5 = 45 nominal ones: each nominal point is 20/45
TRAFFIC = 20 / 45


@pytest.fixture(scope="module")
def result():
    rows = [
        # 支付转化率: 4,200 orders / 200,000 UV = 2.1% against 3% × 1.05 = 3.15%, 33.3% of the target
        # below → 16 steps of 2% × 5 = 80 nominal points, more than the 15 of the weight: all of it is
        # lost, 15 × 20/45 = 6.67 weighted points (the issue's "扣 55 分，得分 0" beside 失分 6.67)
        dict(E001, employee_id="CONV", paid_orders=4200),
        # 超时 4 次 on 问题解决时效 (weight 1, a penalty item, 运营效率 not scaled): one full 3 = 5, one
        # more = 1 → 6 points off the total; its score 100 × (1 − 6) / 1 = −500 is shown as 0
        dict(E001, employee_id="LATE", issue_overdue=4),
        # 复购率 1,680 / 6,000 = 28% against 30% (fmcg): 2 points below → one step of 2 → 3 points
        # of the weight 7 (用户运营 not scaled): score 100 × 4/7 = 57.1
        dict(E001, employee_id="REPU", repeat_buyers_90d=1680),
    ]
    return score(pd.DataFrame(rows), period="2026-Q4")


def guide_line(result, eid: str, indicator: str) -> tuple[float, str]:
    g = result.guide
    row = g[(g.employee_id == eid) & (g.indicator == indicator)]
    return row.lost.item(), row.reason.item()


def test_conversion_says_the_scaled_points_it_cost(result):
    lost, reason = guide_line(result, "CONV", "conversion_rate")
    assert lost == pytest.approx(15 * TRAFFIC)
    assert reason == ("支付转化率 2.1% 低于目标 3.15%，差 33.3%（相对目标） → 扣 6.67 分（满分 15 分按比例折算为 6.67）；"
                      "百分制得分 0")
    ded = result.deductions.query("employee_id == 'CONV' and indicator == 'conversion_rate'")
    assert ded.amount.item() == 80 and ded.lost.item() == pytest.approx(15 * TRAFFIC)


def test_overdue_says_six_points_and_no_negative_score(result):
    lost, reason = guide_line(result, "LATE", "issue_resolution")
    assert lost == pytest.approx(6)
    assert reason == ("超时 4 次（每满 3 次计 5 分 × 1，其余每次计 1 分 × 1）→ 扣 6 分；百分制得分 0"
                      "（扣分超过本项满分，超出部分从总分中扣除）")
    assert result.scores.loc["LATE", "issue_resolution"] == pytest.approx(-500)  # the engine keeps its number
    assert "-500" not in reason and "−500" not in reason
    assert result.total["LATE"] == pytest.approx(76.7333 - 1, abs=1e-4)  # §7's E001 had 3 late (−5); now −6


def test_repurchase_says_three_points_beside_a_lost_of_three(result):
    lost, reason = guide_line(result, "REPU", "repurchase_rate")
    assert lost == pytest.approx(3) and result.total["REPU"] == pytest.approx(76.7333 + 3, abs=1e-4)  # §7: 6 lost
    assert reason == "复购率 28.0% 低于目标 30%，差 2.0 个百分点 → 扣 3 分；百分制得分 57.1"
    assert result.explain("REPU", "repurchase_rate", "en") == \
        "Repurchase rate 28.0% is 2.0 percentage points below the target 30% → −3 points; score 57.1/100"


def test_every_reason_agrees_with_the_points_beside_it(result):
    """Each deduction row's "扣 X 分" is its lost column; each guide line's figures add up to its 失分."""
    for row in result.deductions.itertuples():
        assert float(re.search(r"扣 ([\d.]+) 分", row.reason)[1]) == pytest.approx(row.lost, abs=0.005)
    for row in result.guide.itertuples():
        figures = [float(x) for x in re.findall(r"(?:扣|少得) ([\d.]+) 分", row.reason)]
        assert sum(figures) == pytest.approx(row.lost, abs=0.01 * len(figures)), row.reason
        assert not re.search(r"得分 -", row.reason)
