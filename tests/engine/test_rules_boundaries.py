"""Every rule type at its boundaries: exactly on a threshold, one ulp either side, the spec's
float trap, whole-step counting with its 1e-9 tolerance, ceil/linear rounding, penalty items
below zero, the late-response rule, violations, per-item caps, the UV gate, sales bands,
the collaboration mean and the period scaling of the turnover target.

Expected numbers are worked by hand from shared/spec/scoring.md (starting from the worked
example E001, whose other indicators are known).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from support.rows import E001

from kpi_engine import default_scheme, scheme_from_dict, score
from kpi_engine.rules import count_steps, gap_of

E001_TOTAL = 76.73333333333333  # spec §7


def up(x: float) -> float:
    return math.nextafter(x, math.inf)


def down(x: float) -> float:
    return math.nextafter(x, -math.inf)


def run(period: str = "2026-Q4", scheme=None, **changes):
    return score(pd.DataFrame([dict(E001, **changes)]), scheme=scheme, period=period)


def score_of(indicator: str, period: str = "2026-Q4", scheme=None, **changes) -> float:
    return float(run(period, scheme, **changes).scores.loc["E001", indicator])


# ------------------------------------------------------- rule helpers ---
def test_float_trap_counts_two_steps():
    raw = (0.95 - 0.85) / 0.05
    assert raw < 2  # the trap is real: 1.9999999999999996
    assert count_steps(np.array([0.95 - 0.85]), 0.05).tolist() == [2.0]
    assert count_steps(gap_of(np.array([0.85]), np.array([0.95]), "below", "points"), 5).tolist() == [2.0]


@pytest.mark.parametrize(
    ("gap", "step", "steps"),
    [
        (9.9, 5, 1),  # 9.9 points is one step of 5
        (10.0, 5, 2),
        (down(10.0), 5, 2),  # one ulp short still counts (tolerance)
        (up(10.0), 5, 2),
        (5 * (2 - 0.5e-9), 5, 2),  # within 1e-9 of a step: counts
        (5 * (2 - 2e-9), 5, 1),  # beyond the tolerance: does not
        (4.999, 5, 0),
        (0.0, 5, 0),
        (-7.0, 5, 0),  # on the good side of the target
        (1.0, 1, 1),
        (6.25, 10, 0),  # spec §7 turnover 6.25 % below
    ],
)
def test_count_steps_floor(gap, step, steps):
    assert count_steps(np.array([gap]), step).tolist() == [steps]


@pytest.mark.parametrize(
    ("gap", "rounding", "steps"),
    [
        (7.0, "ceil", 2.0),
        (5.0, "ceil", 1.0),
        (up(5.0), "ceil", 1.0),  # float noise above a whole step is not another step
        (5.000000000000004, "ceil", 1.0),
        (0.0, "ceil", 0.0),
        (1e-12, "ceil", 0.0),
        (0.01, "ceil", 1.0),
        (-3.0, "ceil", 0.0),
        (7.0, "linear", 1.4),
        (0.0, "linear", 0.0),
        (-3.0, "linear", 0.0),
    ],
)
def test_count_steps_ceil_and_linear(gap, rounding, steps):
    assert count_steps(np.array([gap]), 5, rounding)[0] == pytest.approx(steps, abs=1e-12)


def test_gap_of_points_and_relative():
    got = gap_of(np.array([0.88, 0.16, 2.8, 3.75, 5.0]), np.array([0.95, 0.15, 3.0, 4.0, 0.0]),
                 "below", "points")
    assert got[:2] == pytest.approx([7.0, -1.0])
    above = gap_of(np.array([0.16]), np.array([0.15]), "above", "points")
    assert above == pytest.approx([1.0])
    rel = gap_of(np.array([2.8, 3.75, 5.0]), np.array([3.0, 4.0, 0.0]), "below", "relative")
    assert rel[:2] == pytest.approx([100 * 0.2 / 3, 6.25])
    assert rel[2] == 0.0  # nothing is below a target of 0
    over = gap_of(np.array([0.0, 0.1]), np.array([0.0, 0.0]), "above", "relative")
    assert over[0] == 0.0 and math.isnan(over[1])  # above a zero target: undefined
    assert gap_of(np.array([0.036]), np.array([0.0315]), "below", "relative") == pytest.approx([-100 * 0.0045 / 0.0315])


# -------------------------------------------------- deduct, in points ---
@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.95, 100),
        (up(0.95), 100),
        (down(0.95), 100),  # 1e-14 points below: no whole step
        (1.0, 100),
        (0.9000001, 100),  # 4.99999 points: no step
        (up(0.90), 60),  # within the tolerance of a step: 1 step, D = 2
        (0.90, 60),
        (down(0.90), 60),
        (0.88, 60),  # spec §7: 7 below → 1 step
        (0.851, 60),  # 9.9 points → 1 step
        (0.85, 20),  # the float trap in data: 2 steps, D = 4
        (0.80, 0),  # 3 steps, D = 6 > 5: floored at 0
        (0.50, 0),
        (0.0, 0),
    ],
)
def test_resource_readiness_boundaries(rate, expected):
    assert score_of("resource_readiness", resources_ready_rate=rate) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("promotion", "expected"),
    [
        (150_000, 100),  # exactly 15 %
        (150_001, 100),
        (159_999, 100),  # 0.9999 points above
        (160_000, 60),  # 16 % → −2 (spec)
        (170_000, 20),  # 2 points: 0.17 − 0.15 is 0.020000000000000018
        (175_000, 20),
        (180_000, 0),  # 3 steps, D = 6 > 5
        (0, 100),
    ],
)
def test_promotion_cost_ratio_above_direction(promotion, expected):
    got = score_of("promotion_cost_ratio", sales_actual=1_000_000, new_customer_sales=400_000,
                   promotion_cost=promotion)
    assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("silent", "expected"), [(1440, 100), (1300, 100), (1296, 0), (1297, 100), (7200, 100)])
def test_silent_order_rate(silent, expected):
    # 7,200 orders: 1,440 = 20 % exactly; 1,296 = 18 % = 2 points → 1 step → D = 5 of 5
    assert score_of("silent_order_rate", silent_orders=silent) == pytest.approx(expected, abs=1e-9)


# ------------------------------------------------ deduct, relative gap ---
@pytest.mark.parametrize(
    ("pv", "expected"),
    [
        (600_000, 100),  # PV/UV = 3 exactly
        (599_999, 100),
        (570_000, 40),  # 2.85: exactly 5 % below (float 4.99999…) → 1 step
        (570_001, 100),
        (560_000, 40),  # spec §7
        (540_000, 0),  # 2.7: 10 % below → 2 steps, D = 6 > 5
    ],
)
def test_pv_per_uv_relative(pv, expected):
    assert score_of("pv_per_uv", pv=pv) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("paid", "expected"),
    [
        (6300, 100),  # 3.15 % = 0.03 × 1.05 exactly on target
        (6174, 66.6666666667),  # 3.087 %: 2 % below the target (relative) → 1 step, D = 5 of 15
        (6175, 100),
        (5670, 0),  # 10 % below → 5 steps, D = 25 > 15
    ],
)
def test_conversion_rate_relative_to_target(paid, expected):
    got = score_of("conversion_rate", paid_orders=paid, silent_orders=1000)
    assert got == pytest.approx(expected, abs=1e-9)


# ------------------------------------------------------------ rounding ---
def _variant(indicator: str, rounding: str):
    d = default_scheme().to_dict()
    for ind in d["indicators"]:
        if ind["id"] == indicator:
            for check in ind["checks"]:
                check["rounding"] = rounding
    return scheme_from_dict(d)


@pytest.mark.parametrize(
    ("rounding", "rate", "expected"),
    [
        ("ceil", 0.88, 20),  # 7 points → ceil 1.4 = 2 steps, D = 4
        ("ceil", 0.90, 60),  # exactly one step (float 5.000000000000004) → 1
        ("ceil", 0.95, 100),
        ("ceil", down(0.95), 100),  # float noise is not a step
        ("ceil", 0.9499, 60),  # 0.01 points → 1 step
        ("linear", 0.88, 44),  # 1.4 steps → D = 2.8
        ("linear", 0.9499, 99.92),  # 0.002 steps → D = 0.004
        ("linear", 0.95, 100),
        ("linear", 0.70, 0),  # 5 steps → D = 10, floored
        ("floor", 0.88, 60),
    ],
)
def test_rounding_variants(rounding, rate, expected):
    scheme = _variant("resource_readiness", rounding)
    got = score_of("resource_readiness", scheme=scheme, resources_ready_rate=rate)
    assert got == pytest.approx(expected, abs=1e-9)


def test_rounding_variant_leaves_other_indicators_alone():
    base = run()
    other = run(scheme=_variant("resource_readiness", "linear"))
    cols = [c for c in base.scores.columns if c != "resource_readiness"]
    pd.testing.assert_frame_equal(base.scores[cols], other.scores[cols])


# ---------------------------------------------------- penalty items ---
@pytest.mark.parametrize("n", range(11))
@pytest.mark.parametrize(("indicator", "column"), [("activity_response", "activity_overdue"),
                                                    ("issue_resolution", "issue_overdue")])
def test_overdue_rule(indicator, column, n):
    d = 5 * (n // 3) + n % 3  # −1 each, three make −5
    result = run(**{column: n})
    assert result.scores.loc["E001", indicator] == pytest.approx(100 * (1 - d), abs=1e-9)
    assert result.points.loc["E001", indicator] == pytest.approx(1 - d, abs=1e-9)
    ded = result.deductions.query("indicator == @indicator")
    assert ded.amount.sum() == d


def test_penalty_goes_below_zero_and_comes_off_the_total():
    result = run(issue_overdue=3)
    assert result.scores.loc["E001", "issue_resolution"] == -400
    assert result.points.loc["E001", "issue_resolution"] == -4
    six = run(issue_overdue=6)  # D = 10: −900, 5 more points off the total than n = 3
    assert six.scores.loc["E001", "issue_resolution"] == -900
    assert six.total["E001"] == pytest.approx(E001_TOTAL - 5, abs=1e-9)


@pytest.mark.parametrize(
    ("platform", "severe", "data", "d"),
    [(0, 0, 0, 0), (1, 0, 0, 10), (0, 1, 0, 50), (0, 0, 1, 20), (1, 1, 1, 80), (2, 0, 1, 40)],
)
def test_weighted_violations(platform, severe, data, d):
    result = run(platform_violations=platform, severe_violations=severe, data_security_violations=data)
    assert result.scores.loc["E001", "compliance"] == pytest.approx(100 * (5 - d) / 5)
    assert result.points.loc["E001", "compliance"] == pytest.approx(5 - d)
    assert result.total["E001"] == pytest.approx(E001_TOTAL - d, abs=1e-9)
    ded = result.deductions.query("indicator == 'compliance'")
    assert ded.amount.sum() == d


def test_non_penalty_deduct_is_floored_at_zero():
    result = run(resources_ready_rate=0.5, promotion_cost=500_000)
    assert result.scores.loc["E001", "resource_readiness"] == 0
    assert result.scores.loc["E001", "promotion_cost_ratio"] == 0
    # the deduction itself is still recorded in full (9 steps × 2; 31.3 points above → 31 steps × 2)
    ded = result.deductions.set_index("indicator").amount
    assert ded["resource_readiness"] == 18
    assert ded["promotion_cost_ratio"] == 62


# ------------------------------------------------------------ per item ---
@pytest.mark.parametrize(
    ("indicator", "column", "n", "expected"),
    [
        ("proposals", "proposals_approved", 0, 0),
        ("proposals", "proposals_approved", 1, 100),
        ("proposals", "proposals_approved", 2, 100),  # 6 points capped at the weight 3
        ("proposals", "proposals_approved", 5, 100),
        ("knowledge_sharing", "knowledge_docs", 0, 0),
        ("knowledge_sharing", "knowledge_docs", 1, 100),
        ("knowledge_sharing", "knowledge_docs", 4, 100),
    ],
)
def test_per_item_capped_at_weight(indicator, column, n, expected):
    result = run(**{column: n})
    assert result.scores.loc["E001", indicator] == pytest.approx(expected)
    weight = {"proposals": 3, "knowledge_sharing": 2}[indicator]
    assert result.points.loc["E001", indicator] == pytest.approx(weight * expected / 100)


# ---------------------------------------------------------------- gate ---
def test_gate_exactly_sixty_percent_passes():
    result = run(natural_uv=120_000)  # 120,000 / 200,000 = 0.6
    assert result.scores.loc["E001", "uv_growth"] == pytest.approx(70)
    assert result.deductions.query("indicator == 'uv_growth'").amount.tolist() == [3]


def test_gate_just_under_fails():
    result = run(natural_uv=119_999)
    assert result.scores.loc["E001", "uv_growth"] == 0
    assert result.points.loc["E001", "uv_growth"] == 0
    assert result.total["E001"] == pytest.approx(E001_TOTAL - 0.7 * 10 * 20 / 45, abs=1e-9)
    ded = result.deductions.query("indicator == 'uv_growth'")
    assert ded.amount.tolist() == [10]  # the whole weight; the check's own −3 is not added
    gate = default_scheme().indicator("uv_growth").gate
    assert gate.label_zh in ded.reason.item()
    en = score(pd.DataFrame([dict(E001, natural_uv=119_999)]), lang="en").deductions
    assert gate.label_en in en.query("indicator == 'uv_growth'").reason.item()


def test_gate_failure_does_not_hide_a_blank_natural_uv():
    result = run(natural_uv=None)
    assert math.isnan(result.scores.loc["E001", "uv_growth"])
    assert ((result.problems.code == "missing") & (result.problems.field == "natural_uv")).any()


def test_gate_failure_with_blank_uv_prev():
    result = run(natural_uv=119_999, uv_prev=None)
    assert math.isnan(result.scores.loc["E001", "uv_growth"])
    assert ((result.problems.code == "missing") & (result.problems.field == "uv_prev")).any()


# --------------------------------------------------------- sales bands ---
@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (800_000, 80),
        (799_999, 0),
        (850_000, 85),  # the 80–90 % band the article leaves undefined: 100·r
        (1_000_000, 100),
        (1_080_000, 108),
        (1_199_999, 119.9999),
        (1_200_000, 120),
        (2_000_000, 120),
        (0, 0),
    ],
)
def test_sales_bands(actual, expected):
    got = score_of("sales_achievement", sales_actual=actual, new_customer_sales=0)
    assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("r", "expected"),
    [(0.8, 80), (down(0.8), 0), (up(0.8), 100 * up(0.8)), (1.2, 120), (down(1.2), 100 * down(1.2)), (up(1.2), 120)],
)
def test_sales_bands_one_ulp(r, expected):
    got = score_of("sales_achievement", sales_target=1.0, sales_actual=r, new_customer_sales=0)
    assert got == expected


# -------------------------------------------------------- collaboration ---
@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ((8.5, 7.5, 9), 100),
        ((8.5, None, 9), 100),
        ((6, None, 7), 81.25),  # mean 6.5 of the two given, not 13 / 3
        ((None, None, 4), 50),
        ((6, 7, 8), 87.5),
        ((0, 0, 0), 0),
        ((10, 10, 10), 100),
        ((8, 8, 8), 100),
    ],
)
def test_collaboration_mean_leaves_blank_ratings_out(ratings, expected):
    d, c, lg = ratings
    got = score_of("collaboration_satisfaction", rating_design=d, rating_cs=c, rating_logistics=lg)
    assert got == pytest.approx(expected, abs=1e-9)


def test_collaboration_all_blank_is_not_computed():
    result = run(rating_design=None, rating_cs=None, rating_logistics=None)
    assert math.isnan(result.scores.loc["E001", "collaboration_satisfaction"])
    assert math.isnan(result.total["E001"])
    missing = result.problems.query("code == 'missing'")
    assert set(missing.field) == {"rating_design", "rating_cs", "rating_logistics"}


# ------------------------------------------------ turnover per period ---
# average inventory 300,000 and 5 % slow-moving SKUs (no slow-moving deduction)
@pytest.mark.parametrize(
    ("period", "category", "on_target", "ten_below"),
    [
        ("2026-11", "apparel", 400_000, 360_000),  # 4 × 1/3
        ("2026-Q4", "apparel", 1_200_000, 1_080_000),
        ("2026-H2", "apparel", 2_400_000, 2_160_000),  # 4 × 2
        ("2026", "apparel", 4_800_000, 4_320_000),  # 4 × 4
        ("2026-11", "3c", 200_000, 180_000),  # 2 × 1/3
        ("2026-Q4", "3c", 600_000, 540_000),
        ("2026-11", "books", 300_000, 270_000),  # other: 3 × 1/3
        ("2026-H2", "other", 1_800_000, 1_620_000),
    ],
)
def test_turnover_target_scales_with_the_period(period, category, on_target, ten_below):
    base = dict(category=category, inventory_begin=300_000, inventory_end=300_000, slow_moving_skus=5)
    assert score_of("inventory_turnover", period, **base, cogs=on_target) == pytest.approx(100)
    assert score_of("inventory_turnover", period, **base, cogs=on_target - 1) == pytest.approx(100)
    # exactly 10 % below → 1 step of 10 → D = 5 of 10
    assert score_of("inventory_turnover", period, **base, cogs=ten_below) == pytest.approx(50)
    assert score_of("inventory_turnover", period, **base, cogs=ten_below + 300) == pytest.approx(100)


def test_turnover_target_given_is_not_scaled():
    base = dict(inventory_begin=300_000, inventory_end=300_000, slow_moving_skus=5, turnover_target=4)
    assert score_of("inventory_turnover", "2026-11", **base, cogs=1_200_000) == pytest.approx(100)
    # a month at the per-quarter default pace (4/3) is 66.7 % below an explicit target of 4 → 6 steps
    assert score_of("inventory_turnover", "2026-11", **base, cogs=400_000) == 0
    assert score_of("inventory_turnover", "2026", **base, cogs=1_200_000) == pytest.approx(100)


def test_turnover_both_checks_add_up():
    # spec §7: 3.75 vs 4 (0 steps) and 6 % slow (1 step, −2) → 80; with 3.5 (12.5 % below): −5 −2 → 30
    assert score_of("inventory_turnover") == pytest.approx(80)
    assert score_of("inventory_turnover", cogs=560_000) == pytest.approx(30)
    assert score_of("inventory_turnover", cogs=560_000, slow_moving_skus=7) == pytest.approx(10)
    assert score_of("inventory_turnover", cogs=560_000, slow_moving_skus=8) == 0  # D = 11 > 10
