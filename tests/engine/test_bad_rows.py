"""Spec §6: wrong and missing data is reported with its field and a code; the row is not scored
on it, and every other row is scored exactly as if it stood alone.

Problems are queried by ``code`` and ``field``, never by message text (except one test that the
Chinese message names the field's Chinese label).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from support.reference import INDICATORS
from support.rows import E001

from kpi_engine import InputError, default_scheme, score

GOOD = [
    dict(E001, employee_id="G1"),
    dict(E001, employee_id="G2", sales_actual=700_000, new_customer_sales=300_000, prev_sales_achievement=0.7,
         issue_overdue=0, rating_cs=None),
    dict(E001, employee_id="G3", category="3c", product_type="durable", platform_violations=1, natural_uv=100_000),
]


@pytest.fixture(scope="module")
def alone() -> dict:
    """Each good row scored on its own."""
    out = {}
    for row in GOOD:
        r = score(pd.DataFrame([row]))
        eid = row["employee_id"]
        out[eid] = (r.points.loc[eid], r.total[eid], r.grade[eid], r.flags[eid])
    return out


@pytest.fixture(scope="module")
def e001_scores() -> pd.Series:
    return score(pd.DataFrame([E001])).scores.loc["E001"]


def with_bad(*bad: dict) -> pd.DataFrame:
    rows = [GOOD[0], *bad, *GOOD[1:]]
    return pd.DataFrame(rows)


def assert_others_unaffected(result, alone) -> None:
    for eid, (points, total, grade, flags) in alone.items():
        pd.testing.assert_series_equal(result.points.loc[eid], points, check_names=False)
        # to 1e-9, not exactly: the engine's row sum differs by an ulp with the frame's shape
        # (see test_engine_properties.py::test_total_does_not_depend_on_the_other_rows)
        assert result.total[eid] == pytest.approx(total, rel=0, abs=1e-9)
        assert result.grade[eid] == grade
        assert list(result.flags[eid]) == list(flags)
    assert not result.problems.employee_id.isin(list(alone)).any()


def codes_of(result, employee_id) -> set[tuple[str, str]]:
    p = result.problems
    return set(zip(p.loc[p.employee_id == employee_id, "code"], p.loc[p.employee_id == employee_id, "field"]))


def test_good_rows_have_distinct_totals(alone):
    """(So that 'unaffected' can fail: the good rows differ from each other and from E001.)"""
    totals = [t for _, t, _, _ in alone.values()]
    assert len(set(totals)) == 3
    assert alone["G2"][3] == ["sales_review"]
    assert alone["G1"][1] == pytest.approx(76.733, abs=5e-4)


# (changes to E001, code, field, indicators left uncomputed)
CASES = {
    "blank required input": ({"pv": None}, "missing", "pv", {"pv_per_uv"}),
    "blank text choice": ({"product_type": None}, "missing", "product_type", {"repurchase_rate"}),
    "text in a number field": ({"pv": "abc"}, "not_a_number", "pv", {"pv_per_uv"}),
    "excel error": ({"paid_orders": "#DIV/0!"}, "excel_error", "paid_orders",
                    {"conversion_rate", "aov_growth", "silent_order_rate"}),
    "excel #N/A": ({"cogs": "#N/A"}, "excel_error", "cogs", {"inventory_turnover"}),
    "negative count": ({"activity_overdue": -1}, "below_min", "activity_overdue", {"activity_response"}),
    "negative money": ({"promotion_cost": -5}, "below_min", "promotion_cost", {"promotion_cost_ratio"}),
    "fractional count": ({"issue_overdue": 1.5}, "not_whole", "issue_overdue", {"issue_resolution"}),
    "zero sales target": ({"sales_target": 0}, "not_positive", "sales_target", {"sales_achievement"}),
    "zero previous UV": ({"uv_prev": 0}, "not_positive", "uv_prev", {"uv_growth"}),
    "zero previous AOV": ({"aov_prev": 0}, "not_positive", "aov_prev", {"aov_growth"}),
    "zero paid orders": ({"paid_orders": 0, "silent_orders": 0}, "zero_division", "paid_orders",
                         {"aov_growth", "silent_order_rate"}, {"conversion_rate": 0.0}),  # 0 / uv is fine
    "zero inventory": ({"inventory_begin": 0, "inventory_end": 0}, "zero_division", None, {"inventory_turnover"}),
    "natural_uv > uv": ({"natural_uv": 250_000}, "constraint", "natural_uv", {"uv_growth"}),
    "silent > paid": ({"silent_orders": 8000}, "constraint", "silent_orders", {"silent_order_rate"}),
    "new-customer sales > sales": ({"new_customer_sales": 2_000_000}, "constraint", "new_customer_sales",
                                   {"new_customer_share"}),
    "rate as percent": ({"resources_ready_rate": 85}, "above_max", "resources_ready_rate", {"resource_readiness"}),
    "industry rate as percent": ({"industry_conversion": 3}, "above_max", "industry_conversion", {"conversion_rate"}),
    # a rejected rating is not averaged away (spec §6: not scored on it), unlike a blank one
    "rating of 11": ({"rating_cs": 11}, "above_max", "rating_cs", {"collaboration_satisfaction"}),
    "negative rating": ({"rating_design": -1}, "below_min", "rating_design", {"collaboration_satisfaction"}),
    # a rejected optional target is not replaced by the default either
    "negative turnover target": ({"turnover_target": -1}, "below_min", "turnover_target", {"inventory_turnover"}),
    "share target as percent": ({"new_customer_share_target": 40}, "above_max", "new_customer_share_target",
                                {"new_customer_share"}),
    "unknown product type": ({"product_type": "toys"}, "unknown_choice", "product_type", {"repurchase_rate"}),
    "boolean in a number cell": ({"pv": True}, "not_a_number", "pv", {"pv_per_uv"}),
    "datetime in a number cell": ({"pv": dt.datetime(2026, 11, 1, 9, 30)}, "not_a_number", "pv", {"pv_per_uv"}),
    "date in a number cell": ({"cogs": dt.date(2026, 11, 1)}, "not_a_number", "cogs", {"inventory_turnover"}),
    "timestamp in a number cell": ({"sales_target": pd.Timestamp("2026-11-01")}, "not_a_number", "sales_target",
                                   {"sales_achievement"}),
    "infinity": ({"pv": math.inf}, "not_a_number", "pv", {"pv_per_uv"}),
    "text in an optional field": ({"prev_sales_achievement": "abc"}, "not_a_number", "prev_sales_achievement", set()),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_value_is_reported_and_isolated(case, alone, e001_scores):
    changes, code, field, uncomputed, *changed = CASES[case]
    changed = changed[0] if changed else {}
    result = score(with_bad(dict(E001, employee_id="B1", **changes)))
    problems = result.problems.query("employee_id == 'B1'")
    assert (problems.code == code).any(), problems[["code", "field"]].to_dict("records")
    if field is not None:
        assert codes_of(result, "B1") == {(code, field)}
    assert (problems.severity == "error").all()
    # not scored on it: exactly the indicators that read the bad value are uncomputed
    got = result.scores.loc["B1"]
    assert set(got.index[got.isna()]) == uncomputed
    same = [i for i in INDICATORS if i not in uncomputed and i not in changed]
    pd.testing.assert_series_equal(got[same], e001_scores[same], check_names=False)
    for ind, value in changed.items():
        assert got[ind] == value
    if uncomputed:
        assert math.isnan(result.total["B1"]) and result.grade["B1"] is None
        assert result.status["B1"] == "incomplete"
    else:
        assert result.total["B1"] == pytest.approx(76.733, abs=5e-4)
    assert_others_unaffected(result, alone)


def test_zero_inventory_names_a_denominator():
    result = score(pd.DataFrame([dict(E001, inventory_begin=0, inventory_end=0)]))
    zero = result.problems.query("code == 'zero_division'")
    assert set(zero.field) == {"inventory_begin", "inventory_end"}  # both denominators are named


@pytest.mark.parametrize(("field", "indicator"), [("industry_conversion", "conversion_rate"),
                                                  ("turnover_target", "inventory_turnover")])
def test_zero_target_is_explained(field, indicator):
    result = score(pd.DataFrame([dict(E001, **{field: 0})]))
    computed = not math.isnan(result.scores.loc["E001", indicator])
    reported = (result.problems.field == field).any()
    # either reading is acceptable: nothing can be below a target of 0 (score 100), or the row is
    # not scored on it and the problem names the field; an unexplained blank total is not
    assert computed or reported


def test_blank_category_is_needed_only_without_own_target():
    blank = score(pd.DataFrame([dict(E001, category=None)]))
    assert codes_of(blank, "E001") == {("missing", "category")}
    assert math.isnan(blank.scores.loc["E001", "inventory_turnover"])
    own = score(pd.DataFrame([dict(E001, category=None, turnover_target=4)]))
    assert own.problems.empty
    assert own.total["E001"] == pytest.approx(76.733, abs=5e-4)


def test_missing_problem_names_every_blank_field():
    result = score(pd.DataFrame([dict(E001, pv=None, cogs=None, platform_violations=None)]))
    assert codes_of(result, "E001") == {("missing", "pv"), ("missing", "cogs"), ("missing", "platform_violations")}
    nan = result.scores.loc["E001"].isna()
    assert set(nan.index[nan]) == {"pv_per_uv", "inventory_turnover", "compliance"}


def test_blank_is_never_taken_as_zero():
    # a blank violation count or overdue count must not score as "no violations"
    result = score(pd.DataFrame([dict(E001, severe_violations=None, issue_overdue=np.nan)]))
    assert result.scores.loc["E001", ["compliance", "issue_resolution"]].isna().all()
    assert math.isnan(result.total["E001"])


def test_duplicate_id_is_reported_and_not_scored(alone):
    dup1 = dict(E001, employee_id="DUP")
    dup2 = dict(E001, employee_id="DUP", sales_actual=900_000, new_customer_sales=300_000)
    result = score(with_bad(dup1, dup2))
    p = result.problems.query("code == 'duplicate_id'")
    assert len(p) == 2
    assert set(p.employee_id) == {"DUP"} and set(p.field) == {"employee_id"}
    assert sorted(p.row.tolist()) == [1, 2]
    assert "DUP" in result.total.index and list(result.total.index).count("DUP") == 1
    assert math.isnan(result.total["DUP"])
    assert result.scores.loc["DUP"].isna().all()
    assert result.deductions.query("employee_id == 'DUP'").empty
    assert_others_unaffected(result, alone)


def test_duplicate_after_normalising_ids(alone):
    # 1001.0 and "1001" are the same employee id
    result = score(with_bad(dict(E001, employee_id=1001.0), dict(E001, employee_id=" 1001 ")))
    assert set(result.problems.query("code == 'duplicate_id'").employee_id) == {"1001"}
    assert math.isnan(result.total["1001"])
    assert_others_unaffected(result, alone)


@pytest.mark.parametrize("blank", [None, np.nan, "", "   "])
def test_blank_id_is_reported_and_left_out(blank, alone):
    result = score(with_bad(dict(E001, employee_id=blank)))
    p = result.problems.query("code == 'blank_id'")
    assert len(p) == 1 and p.field.item() == "employee_id" and p.row.item() == 1
    assert p.employee_id.isna().all()
    assert list(result.total.index) == ["G1", "G2", "G3"]
    assert_others_unaffected(result, alone)


def test_float_ids_become_text():
    frame = pd.DataFrame([dict(E001, employee_id=1001.0), dict(E001, employee_id=1002.0)])
    assert frame.employee_id.dtype == float
    result = score(frame)
    assert list(result.total.index) == ["1001", "1002"]
    assert all(isinstance(i, str) for i in result.scores.index)
    assert result.problems.empty
    assert result.total["1001"] == pytest.approx(76.733, abs=5e-4)
    ints = score(pd.DataFrame([dict(E001, employee_id=7), dict(E001, employee_id="0042")]))
    assert list(ints.total.index) == ["7", "0042"]  # text ids keep their leading zeros


def test_missing_column_is_reported_once(alone):
    frame = pd.DataFrame(GOOD).drop(columns=["pv"])
    result = score(frame)
    p = result.problems
    col = p[p.code == "missing_column"]
    assert len(col) == 1 and col.field.item() == "pv" and col.employee_id.isna().all()
    assert set(p.code) == {"missing_column"}  # not also one "missing" per employee
    assert result.scores["pv_per_uv"].isna().all()
    assert result.total.isna().all()
    for eid, (points, *_rest) in alone.items():
        rest = [i for i in INDICATORS if i != "pv_per_uv"]
        pd.testing.assert_series_equal(result.points.loc[eid, rest], points[rest], check_names=False)


def test_absent_optional_columns_are_no_problem():
    frame = pd.DataFrame([E001]).drop(columns=["team", "name"])
    assert not {"turnover_target", "new_customer_share_target", "prev_sales_achievement"} & set(frame.columns)
    result = score(frame)
    assert result.problems.empty
    assert result.total["E001"] == pytest.approx(76.733, abs=5e-4)


def test_whole_boolean_column_is_not_a_number():
    frame = pd.DataFrame(GOOD)
    frame["knowledge_docs"] = [True, False, True]
    result = score(frame)
    p = result.problems
    assert set(zip(p.code, p.field)) == {("not_a_number", "knowledge_docs")}
    assert len(p) == 3  # True is not 1 and False is not 0
    assert result.scores["knowledge_sharing"].isna().all()


def test_whole_datetime_column_is_not_a_number():
    frame = pd.DataFrame(GOOD)
    frame["cogs"] = pd.to_datetime(["2026-11-01", "2026-11-02", "2026-11-03"])
    result = score(frame)
    assert set(zip(result.problems.code, result.problems.field)) == {("not_a_number", "cogs")}
    assert result.scores["inventory_turnover"].isna().all()


def test_numbers_typed_as_text_are_parsed(alone):
    text = dict(E001, employee_id="T1", resources_ready_rate="88%", paid_orders="7,200", sales_actual="1,080,000",
                new_customer_sales=" 400,000 ", cogs="600000", rating_design="8.5")
    result = score(with_bad(text))
    assert result.problems.empty
    e001 = score(pd.DataFrame([E001]))
    pd.testing.assert_series_equal(result.points.loc["T1"], e001.points.loc["E001"], check_names=False)
    assert result.total["T1"] == pytest.approx(e001.total["E001"], rel=0, abs=1e-9)
    assert_others_unaffected(result, alone)


def test_percent_text_is_a_fraction():
    result = score(pd.DataFrame([dict(E001, resources_ready_rate="85%")]))
    assert result.problems.empty
    assert result.metrics.loc["E001", "resource_readiness"] == pytest.approx(0.85)
    assert result.scores.loc["E001", "resource_readiness"] == pytest.approx(20)  # 10 points below: 2 steps


def test_input_without_employee_id_raises():
    with pytest.raises(InputError) as exc:
        score(pd.DataFrame([E001]).drop(columns=["employee_id"]))
    assert "employee_id" in str(exc.value) and "工号" in str(exc.value)
    with pytest.raises(InputError):
        score([E001])  # not a DataFrame at all


def test_chinese_column_labels_are_accepted():
    scheme = default_scheme()
    frame = pd.DataFrame([E001]).rename(columns={c: scheme.input(c).name_zh for c in E001})
    assert "工号" in frame.columns
    result = score(frame)
    assert result.problems.empty
    assert result.total["E001"] == pytest.approx(76.733, abs=5e-4)


def test_message_names_the_fields_label():
    scheme = default_scheme()
    zh = score(pd.DataFrame([dict(E001, paid_orders="abc")])).problems
    row = zh.query("code == 'not_a_number' and field == 'paid_orders'")
    assert scheme.input("paid_orders").name_zh in row.problem.item()  # 支付订单数
    assert "abc" in row.problem.item()
    en = score(pd.DataFrame([dict(E001, paid_orders="abc")]), lang="en").problems
    assert scheme.input("paid_orders").name_en in en.query("code == 'not_a_number'").problem.item()


def test_many_bad_rows_at_once(alone):
    bad = [dict(E001, employee_id=f"B{i}", **CASES[c][0]) for i, c in enumerate(CASES)]
    result = score(with_bad(*bad))
    assert_others_unaffected(result, alone)
    for i, case in enumerate(CASES):
        code, uncomputed = CASES[case][1], CASES[case][3]
        assert code in set(result.problems.loc[result.problems.employee_id == f"B{i}", "code"]), case
        nan = result.scores.loc[f"B{i}"].isna()
        assert set(nan.index[nan]) == uncomputed, case


@pytest.mark.parametrize("field", ["category", "employee_id", "product_type"])
def test_excel_error_in_a_text_cell(field):
    result = score(pd.DataFrame([dict(E001, **{field: "#N/A"}), dict(E001, employee_id="E002")]))
    p = result.problems
    assert ((p.code == "excel_error") & (p.field == field)).any()


def test_all_text_frame_as_from_csv():
    frame = pd.DataFrame([E001, dict(E001, employee_id="E002", rating_cs=None)]).astype(str)
    result = score(frame)  # numbers typed as text are numbers; a missing cell stays blank
    assert result.problems.empty
    assert result.total["E001"] == pytest.approx(76.733, abs=5e-4)
    assert result.scores.loc["E002", "collaboration_satisfaction"] == 100  # mean of 8.5 and 9


def test_empty_frame_scores_nobody():
    result = score(pd.DataFrame(columns=list(E001)))
    assert result.total.empty and result.points.empty and result.problems.empty
    assert list(result.points.columns) == INDICATORS


def test_never_an_unexplained_blank_total():
    """Above a zero target the relative gap is undefined: the row says so instead of a silent NaN."""
    from kpi_engine import scheme_from_dict

    d = default_scheme().to_dict()
    for ind in d["indicators"]:
        if ind["id"] == "pv_per_uv":
            ind["checks"][0]["direction"] = "above"
            ind["checks"][0]["target"] = "0"
    result = score(pd.DataFrame([E001]), scheme=scheme_from_dict(d))
    assert math.isnan(result.scores.loc["E001", "pv_per_uv"])
    codes = result.problems.query("code == 'not_computable'")
    assert codes.indicator.tolist() == ["pv_per_uv"]


@pytest.mark.parametrize("spelling", ["nan", " NaN ", "NAN"])
def test_text_nan_is_a_blank_cell(spelling):
    """pandas 2's astype(str) writes a blank as the text "nan": the same frame with NaN and with that
    text (in number and in text columns) scores the same and reports the same blanks, not "not a number"."""
    rows = [E001, dict(E001, employee_id="E002", rating_cs=None, category=None),
            dict(E001, employee_id="E003", sales_actual=None, paid_orders=None)]
    blanks = pd.DataFrame(rows)
    texts = pd.DataFrame([{k: spelling if v is None or v != v else v for k, v in row.items()} for row in rows])
    assert (texts == spelling).sum().sum() == 4
    a, b = score(blanks), score(texts)
    pd.testing.assert_series_equal(a.total, b.total)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.points, b.points)
    keys = ["employee_id", "field", "code", "problem"]
    assert b.problems[keys].to_dict("records") == a.problems[keys].to_dict("records")
    assert "not_a_number" not in set(b.problems.code) and "missing" in set(b.problems.code)
    assert b.scores.loc["E002", "collaboration_satisfaction"] == 100  # mean of the two ratings given
    assert {"category", "sales_actual", "paid_orders"} <= set(b.problems.field)
