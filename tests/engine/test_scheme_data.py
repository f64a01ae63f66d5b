"""The scheme is data: a new indicator from data alone, validation that names item and field,
a lossless round trip, and thresholds that change scores when (only when) they change.
"""

from __future__ import annotations

import copy
import math

import pandas as pd
import pytest
from support.rows import E001

from kpi_engine import SchemeError, default_scheme, scheme_from_dict, score

E001_TOTAL = 76.73333333333333  # spec §7
# E001's traffic scores (spec §7): uv_growth 70, pv_per_uv 40, conversion 100, aov 100, silent 100
TRAFFIC_SCORES = {"uv_growth": 70, "pv_per_uv": 40, "conversion_rate": 100, "aov_growth": 100, "silent_order_rate": 100}
TRAFFIC_NOMINAL = {"uv_growth": 10, "pv_per_uv": 5, "conversion_rate": 15, "aov_growth": 10, "silent_order_rate": 5}


def base() -> dict:
    return default_scheme().to_dict()


def indicator(d: dict, ind_id: str) -> dict:
    return next(i for i in d["indicators"] if i["id"] == ind_id)


def with_search_share(d: dict | None = None) -> dict:
    """The article's own example of a new indicator: 商城搜索流量占比 (mall search traffic share)."""
    d = d or base()
    d["inputs"].append({"id": "search_uv", "name_zh": "商城搜索UV", "name_en": "Mall search UV",
                        "kind": "count", "owner": "sales_traffic"})
    d["indicators"].append({
        "id": "search_share", "name_zh": "商城搜索流量占比", "name_en": "Mall search traffic share",
        "group": "traffic", "weight": 5, "rule": "deduct",
        "advice_zh": "优化商品标题与关键词，提升站内搜索排名。",
        "checks": [{"metric": "search_uv / uv", "target": "0.30", "direction": "below", "gap": "points",
                    "step": 5, "points": 2, "unit": "%"}],
    })
    return d


# ------------------------------------------------- (a) a new indicator ---
@pytest.mark.parametrize(
    ("search_uv", "expected"),
    [
        (60_000, 100),  # 30 % exactly on target
        (59_999, 100),
        (50_000, 60),  # 25 %: 5 points below → 1 step → −2 of 5
        (40_000, 20),  # 20 %: 2 steps → −4
        (30_000, 0),  # 15 %: 3 steps → −6, floored at 0
        (200_000, 100),
    ],
)
def test_search_share_scores(search_uv, expected):
    scheme = scheme_from_dict(with_search_share())
    result = score(pd.DataFrame([dict(E001, search_uv=search_uv)]), scheme=scheme)
    assert result.scores.loc["E001", "search_share"] == pytest.approx(expected, abs=1e-9)
    # traffic is now 10+5+15+10+5+5 = 50 nominal, scaled to 20: × 20/50
    assert result.points.loc["E001", "search_share"] == pytest.approx(5 * 20 / 50 * expected / 100, abs=1e-9)


def test_search_share_rescales_the_traffic_group():
    scheme = scheme_from_dict(with_search_share())
    for ind, w in {**TRAFFIC_NOMINAL, "search_share": 5}.items():
        assert scheme.effective_weight[ind] == pytest.approx(w * 20 / 50)
    assert scheme.effective_weight["sales_achievement"] == 30
    assert sum(scheme.effective_weight.values()) == pytest.approx(100)
    result = score(pd.DataFrame([dict(E001, search_uv=50_000)]), scheme=scheme)
    for ind, s in TRAFFIC_SCORES.items():
        assert result.points.loc["E001", ind] == pytest.approx(TRAFFIC_NOMINAL[ind] * 0.4 * s / 100)
    # traffic 2.8 + 0.8 + 6 + 4 + 2 + 1.2 = 16.8 in place of 17.333; the rest unchanged (59.4)
    assert result.total["E001"] == pytest.approx(59.4 + 16.8, abs=1e-9)
    assert result.groups.loc["E001", "traffic"] == pytest.approx(16.8, abs=1e-9)
    warn = [w for w in scheme.warnings if w.item == "traffic"]
    assert len(warn) == 1 and "50" in warn[0].message_en and "50" in warn[0].message_zh


def test_search_share_deduction_and_missing_input():
    scheme = scheme_from_dict(with_search_share())
    result = score(pd.DataFrame([dict(E001, search_uv=40_000)]), scheme=scheme)
    ded = result.deductions.query("indicator == 'search_share'")
    assert ded.amount.tolist() == [4]
    assert "商城搜索流量占比" in ded.reason.item()
    # the new column, absent from the input, is reported like any other
    absent = score(pd.DataFrame([E001]), scheme=scheme)
    col = absent.problems.query("code == 'missing_column'")
    assert col.field.tolist() == ["search_uv"]
    assert math.isnan(absent.scores.loc["E001", "search_share"])
    # and a bad value in it is reported by code and field, like any other count
    bad = score(pd.DataFrame([dict(E001, search_uv=-3)]), scheme=scheme)
    assert set(zip(bad.problems.code, bad.problems.field)) == {("below_min", "search_uv")}
    assert math.isnan(bad.scores.loc["E001", "search_share"])


def test_default_scheme_is_unchanged_by_building_a_variant():
    before = default_scheme().fingerprint()
    scheme_from_dict(with_search_share())
    assert default_scheme().fingerprint() == before
    assert "search_share" not in default_scheme().effective_weight


# ------------------------------------------------------ (b) validation ---
def test_weights_not_adding_up_warn_and_name_the_group():
    d = base()
    indicator(d, "proposals")["weight"] = 4  # teamwork 5+5+4+2 = 16 ≠ 15
    scheme = scheme_from_dict(d)
    items = {w.item for w in scheme.warnings}
    assert items == {"traffic", "teamwork"}
    teamwork = next(w for w in scheme.warnings if w.item == "teamwork")
    assert teamwork.severity == "warning" and "16" in teamwork.message_en and "15" in teamwork.message_en
    assert scheme.effective_weight["proposals"] == pytest.approx(4 * 15 / 16)
    assert scheme.effective_weight["resource_readiness"] == pytest.approx(5 * 15 / 16)


def test_top_level_weights_not_adding_up_warn():
    d = base()
    next(g for g in d["groups"] if g["id"] == "compliance")["weight"] = 10
    scheme = scheme_from_dict(d)
    assert any(w.item == "groups" for w in scheme.warnings)


def test_default_scheme_warns_only_about_traffic():
    warnings = default_scheme().warnings
    assert [(w.item, w.field, w.severity) for w in warnings] == [("traffic", "weight", "warning")]
    assert "45" in warnings[0].message_en


def _issues(d: dict) -> list[tuple[str, str]]:
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(d)
    issues = exc.value.issues
    assert issues and all(i.severity == "error" for i in issues)
    return [(i.item, i.field) for i in issues]


def _broken(path: str, value) -> dict:
    """The default scheme with one field of one indicator set to value (path: 'ind.key' or 'ind.checks.key')."""
    d = base()
    ind_id, *keys = path.split(".")
    target = indicator(d, ind_id)
    if keys[0] == "checks":
        target["checks"][0][keys[1]] = value
    elif keys[0] == "params":
        target["params"][keys[1]] = value
    else:
        target[keys[0]] = value
    return d


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("uv_growth.checks.metric", "(uv - uv_previous) / uv_prev", "checks[1].metric"),  # unknown column
        ("pv_per_uv.checks.metric", "pv / nonsense", "checks[1].metric"),
        ("sales_achievement.metric", "sales_actual / sales_goal", "metric"),
        ("compliance.rule", "penalty_box", "rule"),  # unknown rule type
        ("resource_readiness.checks.step", -5, "checks[1].step"),  # bad parameter
        ("resource_readiness.checks.step", 0, "checks[1].step"),
        ("resource_readiness.checks.points", "two", "checks[1].points"),
        ("resource_readiness.checks.direction", "sideways", "checks[1].direction"),
        ("resource_readiness.checks.gap", "absolute", "checks[1].gap"),
        ("resource_readiness.checks.rounding", "round", "checks[1].rounding"),
        ("proposals.params.each", -3, "params.each"),
        ("activity_response.params.batch", 0, "params.batch"),
        ("knowledge_sharing.group", "growth", "group"),  # unknown group
        ("knowledge_sharing.weight", -2, "weight"),
        ("repurchase_rate.checks.target", "lookup(product_type, 'repurchase_targets')", "checks[1].target"),
        ("conversion_rate.checks.target", "industry_conversion *", "checks[1].target"),  # does not parse
        ("new_customer_share.checks.target", "__import__('os')", "checks[1].target"),  # not a formula
    ],
)
def test_bad_scheme_names_item_and_field(path, value, field):
    issues = _issues(_broken(path, value))
    assert (path.split(".")[0], field) in issues, issues


def test_unknown_lookup_table_anywhere():
    d = base()
    del d["lookups"]["turnover_per_quarter"]
    assert ("inventory_turnover", "checks[1].target") in _issues(d)


def test_every_error_is_listed_at_once():
    d = _broken("resource_readiness.checks.direction", "sideways")
    indicator(d, "compliance")["rule"] = "penalty_box"
    indicator(d, "knowledge_sharing")["group"] = "growth"
    issues = _issues(d)
    assert {("resource_readiness", "checks[1].direction"), ("compliance", "rule"),
            ("knowledge_sharing", "group")} <= set(issues)


def test_error_message_is_readable():
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(_broken("resource_readiness.checks.direction", "sideways"))
    issue = exc.value.issues[0]
    assert "sideways" in issue.message_en and "sideways" in issue.message_zh
    assert "resource_readiness.checks[1].direction" in str(exc.value)


def test_duplicate_indicator_id():
    d = base()
    d["indicators"].append(copy.deepcopy(indicator(d, "proposals")))
    assert ("indicators", "id") in _issues(d)


# ------------------------------------------------------ (c) round trip ---
def test_round_trip_fingerprint():
    scheme = default_scheme()
    again = scheme_from_dict(scheme.to_dict())
    assert again.fingerprint() == scheme.fingerprint()
    assert again.to_dict() == scheme.to_dict()
    assert dict(again.effective_weight) == dict(scheme.effective_weight)
    e001 = pd.DataFrame([E001])
    pd.testing.assert_frame_equal(score(e001, scheme=again).points, score(e001).points)


def test_round_trip_of_a_variant():
    variant = scheme_from_dict(with_search_share())
    assert scheme_from_dict(variant.to_dict()).fingerprint() == variant.fingerprint()
    assert variant.fingerprint() != default_scheme().fingerprint()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("promotion_cost_ratio.checks.target", "0.17"),
        ("resource_readiness.checks.step", 4),
        ("uv_growth.weight", 11),
        ("proposals.params.each", 2),
        ("inventory_turnover.checks.rounding", "ceil"),
    ],
)
def test_any_change_changes_the_fingerprint(path, value):
    assert scheme_from_dict(_broken(path, value)).fingerprint() != default_scheme().fingerprint()


# ---------------------------------------------- (d) changed thresholds ---
def test_promotion_threshold_raised():
    d = _broken("promotion_cost_ratio.checks.target", "0.17")  # E001 is at 16 %
    result = score(pd.DataFrame([E001]), scheme=scheme_from_dict(d))
    assert result.scores.loc["E001", "promotion_cost_ratio"] == 100
    assert result.total["E001"] == pytest.approx(E001_TOTAL + 2, abs=1e-9)  # the −2 is gone
    assert result.deductions.query("indicator == 'promotion_cost_ratio'").empty


def test_resource_step_made_finer():
    # 88 % is 7 points below 95 %: step 5 → 1 step (60); step 2 → 3 steps, −6 of 5 → 0
    d = _broken("resource_readiness.checks.step", 2)
    result = score(pd.DataFrame([E001]), scheme=scheme_from_dict(d))
    assert result.scores.loc["E001", "resource_readiness"] == 0
    assert result.total["E001"] == pytest.approx(E001_TOTAL - 3, abs=1e-9)


def test_sales_band_moved():
    d = base()
    bands = indicator(d, "sales_achievement")["params"]["bands"]
    bands[0]["min"] = 1.05  # cap reached earlier: E001's 108 % now scores 120
    bands[0]["score"] = 120
    result = score(pd.DataFrame([E001]), scheme=scheme_from_dict(d))
    assert result.scores.loc["E001", "sales_achievement"] == 120
    assert result.total["E001"] == pytest.approx(E001_TOTAL + 0.3 * 12, abs=1e-9)


def test_gate_threshold_moved():
    d = base()
    indicator(d, "uv_growth")["gate"]["min"] = 0.7  # E001's organic share is 65 %
    result = score(pd.DataFrame([E001]), scheme=scheme_from_dict(d))
    assert result.scores.loc["E001", "uv_growth"] == 0
    assert result.total["E001"] == pytest.approx(E001_TOTAL - 0.7 * 10 * 20 / 45, abs=1e-9)


def test_lookup_table_edited():
    d = base()
    d["lookups"]["turnover_per_quarter"]["apparel"] = 3.5  # 3.75 ≥ 3.5: turnover check passes
    d["lookups"]["repurchase_target"]["fmcg"] = 0.25  # 25 % on target
    result = score(pd.DataFrame([E001]), scheme=scheme_from_dict(d))
    assert result.scores.loc["E001", "inventory_turnover"] == pytest.approx(80)  # slow-moving −2 stays
    assert result.scores.loc["E001", "repurchase_rate"] == 100
    assert result.total["E001"] == pytest.approx(E001_TOTAL + 6, abs=1e-9)  # 1 → 7 points


def test_grade_lines_edited():
    d = base()
    next(g for g in d["grades"] if g["grade"] == "A")["min"] = 76
    result = score(pd.DataFrame([E001]), scheme=scheme_from_dict(d))
    assert result.grade["E001"] == "A"
    assert score(pd.DataFrame([E001])).grade["E001"] == "B"
