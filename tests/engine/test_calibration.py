"""Issue 11, the engine's finishing step: HR's adjustments and overrides (with reasons), the grade
share limits with their rounding, the proposal by rank (ties together), and pay against pools.

Expected numbers are worked by hand from the default scheme's grades (S ≥ 95, A ≥ 85, B ≥ 70,
C ≥ 60), coefficients (S 1.5, A 1.2, B 1.0, C 0.8, D 0.5) and limits (S ≤ 10 %, S+A ≤ 30 %, floor).
Problems are queried by code and field, never by message text.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from importlib import resources

import pandas as pd
import pytest
from support.rows import E001

from kpi_engine import FINAL_COLUMNS, SchemeError, default_scheme, scheme_from_dict, score
from kpi_engine.calibration import allowed, propose, scopes
from kpi_engine.model import Calibration, GradeLimit, Pay
from kpi_engine.pay import pay_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

E001_TOTAL = 76.733333  # tests/engine/test_worked_example.py: the spec's worked example, grade B


@pytest.mark.parametrize(("headcount", "share", "rounding", "expected"), [
    (12, 0.10, "floor", 1), (12, 0.10, "round", 1), (12, 0.10, "ceil", 2),
    (15, 0.30, "floor", 4), (15, 0.30, "round", 5), (15, 0.30, "ceil", 5),
    (100, 0.29, "floor", 29),  # 100 × 0.29 = 28.999999999999996 in binary: still 29 people
    (100, 0.29, "ceil", 29), (9, 0.10, "floor", 0), (10, 0.10, "floor", 1),
])
def test_share_to_headcount(headcount, share, rounding, expected):
    assert allowed(headcount, share, rounding) == expected


def _six() -> pd.DataFrame:
    return pd.DataFrame([dict(E001, employee_id=f"G{i}") for i in range(1, 7)])


def test_hr_rows_apply_in_the_stated_order_and_bad_rows_are_not_applied():
    result = score(_six())
    assert result.total["G1"] == pytest.approx(E001_TOTAL, abs=1e-6) and set(result.grade) == {"B"}
    hr = pd.DataFrame([
        {"employee_id": "G1", "adjustment": "+20", "reason": "申诉成立", "approver": "李经理", "pay_base": 10000},
        {"employee_id": "G2", "adjustment": -10, "final_grade": "ａ", "reason": "主管调整", "approver": "王总",
         "pay_base": "8,000"},
        {"employee_id": "G3", "final_grade": "A", "pay_base": 5000},  # no reason
        {"employee_id": "G4", "adjustment": "十分", "reason": "x"},  # text
        {"employee_id": "G5", "final_grade": "X", "reason": "x"},  # unknown grade
        {"employee_id": "ZZZ", "adjustment": 5, "reason": "x"},  # not on the roster
        {"employee_id": "G6", "pay_base": -100},  # negative base
        {"employee_id": "YYY", "pay_base": 3000},  # only a base, for someone not appraised: no message
    ])
    done = result.calibrate(hr)
    final = done.final
    assert list(final.columns) == FINAL_COLUMNS == ["total", "adjustment", "final_total", "grade", "final_grade",
                                                    "changed_by", "coefficient", "pay"]
    # G1: 76.73 + 20 = 96.73 → S by the final total; 10000 × 1.5
    assert final.at["G1", "final_total"] == pytest.approx(E001_TOTAL + 20, abs=1e-6)
    assert final.at["G1", "final_grade"] == "S" and final.at["G1", "changed_by"] == "李经理"
    assert final.at["G1", "pay"] == pytest.approx(15000)
    # G2: 76.73 − 10 = 66.73 would be C; HR's override A (full-width, any case) wins; 8000 × 1.2
    assert final.at["G2", "final_total"] == pytest.approx(E001_TOTAL - 10, abs=1e-6)
    assert done.final_band["G2"] == "C" and final.at["G2", "final_grade"] == "A"
    assert final.at["G2", "coefficient"] == 1.2 and final.at["G2", "pay"] == pytest.approx(9600)
    # G3..G5: not applied; G3's base still counts: 5000 × 1.0 (grade B)
    for eid in ("G3", "G4", "G5"):
        assert final.at[eid, "final_total"] == pytest.approx(E001_TOTAL, abs=1e-6)
        assert final.at[eid, "final_grade"] == "B" and pd.isna(final.at[eid, "changed_by"])
    assert final.at["G3", "pay"] == pytest.approx(5000) and math.isnan(final.at["G4", "pay"])
    assert math.isnan(final.at["G6", "pay"])  # a rejected base: no pay line, never 0
    # the computed columns keep meaning the computed ones
    assert (final["total"] == result.total).all() and set(final["grade"]) == {"B"}
    assert done.final_total.equals(final["final_total"]) and done.pay.equals(final["pay"])
    errors = done.final_problems[done.final_problems.severity == "error"]
    got = sorted(zip(errors.code, errors.field, errors.row))
    assert got == [("adjustment_not_a_number", "adjustment", 3), ("base_negative", "pay_base", 6),
                   ("no_reason", "reason", 2), ("not_on_roster", "employee_id", 5),
                   ("unknown_grade", "final_grade", 4)]


def test_breaches_are_warnings_per_scope_and_grade():
    done = score(_six()).calibrate(pd.DataFrame([
        {"employee_id": "G1", "final_grade": "S", "reason": "r", "approver": "a"},
        {"employee_id": "G2", "final_grade": "A", "reason": "r", "approver": "a"},
    ]))
    # one team of 6 < min_team_size 10: pooled; S ≤ floor(0.6) = 0, S+A ≤ floor(1.8) = 1
    dist = done.distribution[done.distribution.binding]
    assert list(zip(dist.grades, dist.headcount, dist.allowed, dist.actual, dist.over)) == [
        ("S", 6, 0, 1, 1), ("S+A", 6, 1, 2, 1)]
    over = done.final_problems[done.final_problems.code == "over_limit"]
    assert len(over) == 2 and set(over.severity) == {"warning"}
    assert all("天猫一组" in text for text in over.problem)


def _everyone(rounding: str = "floor") -> Calibration:
    return Calibration(scope="all", rounding=rounding, limits=(GradeLimit(("S",), 0.10), GradeLimit(("S", "A"), 0.30)))


def _propose(totals: list[float]) -> pd.Series:
    scheme = dataclasses.replace(default_scheme(), calibration=_everyone())
    index = pd.Index([f"P{i:02d}" for i in range(len(totals))], name="employee_id")
    total = pd.Series(totals, index=index, dtype=float)
    natural = pd.Series(["S" if t >= 95 else "A" if t >= 85 else "B" if t >= 70 else "C" if t >= 60 else "D"
                         for t in totals], index=index, dtype=object)
    scope = scopes(pd.Series("T", index=index), natural.notna(), scheme.calibration)
    return propose(total, scope, scheme, natural)


def test_the_proposal_applies_the_limits_by_rank():
    # 10 people: S ≤ 1, S+A ≤ 3
    got = _propose([98, 97, 96, 90, 90, 88, 80, 75, 70, 50])
    assert got.tolist() == ["S", "A", "A", "B", "B", "B", "B", "B", "B", "D"]


def test_a_tie_goes_down_together_and_nobody_passes_a_better_ranked_person():
    # 98 and 98 do not both fit under S ≤ 1: both A; then 97 cannot be better than A, S+A is full
    assert _propose([98, 98, 97, 60, 60, 60, 60, 60, 60, 60]).tolist() == ["A", "A", "A"] + ["C"] * 7
    # a tie of three at the top under S+A ≤ 3 fits as A
    assert _propose([97, 97, 97, 96, 80, 80, 80, 80, 80, 80]).tolist()[:4] == ["A", "A", "A", "B"]


def test_the_proposal_keeps_every_limit():
    totals = [100 - 0.5 * i for i in range(40)]  # 40 people, all S or A by their totals
    got = _propose(totals)
    assert (got == "S").sum() == 4 and got.isin(["S", "A"]).sum() == 12


def test_pool_overrun_is_reported_or_scaled():
    index = pd.Index(["a", "b", "c"], name="employee_id")
    grade = pd.Series(["A", "B", "S"], index=index, dtype=object)
    base = pd.Series([10000.0, 10000.0, math.nan], index=index)
    team = pd.Series(["T", "T", "T"], index=index)
    coefficients = {"S": 1.5, "A": 1.2, "B": 1.0, "C": 0.8, "D": 0.5}
    lines, pools = pay_lines(grade, base, team, Pay(coefficients=coefficients, pools={"T": 20000.0}))
    assert lines["pay"].tolist()[:2] == [12000.0, 10000.0] and math.isnan(lines.at["c", "pay"])
    (row,) = pools.to_dict("records")
    assert (row["pay_before"], row["pool"], row["over"], row["factor"]) == (22000.0, 20000.0, 2000.0, 1.0)
    assert isinstance(row["problem"], str)
    lines, pools = pay_lines(grade, base, team, Pay(coefficients=coefficients, pools={"T": 20000.0}, overrun="scale"))
    assert lines["pay"].tolist()[:2] == [10909.09, 9090.91]  # × 20000 / 22000, to the fen
    assert pools.at[0, "pay"] == pytest.approx(20000.0)


def test_sections_absent_mean_switched_off():
    data = tomllib.loads(resources.files("kpi_engine").joinpath("default_scheme.toml").read_text("utf-8"))
    del data["calibration"], data["pay"]
    scheme = scheme_from_dict(data)
    assert scheme.calibration is None and scheme.pay is None
    done = score(_six(), scheme).calibrate(pd.DataFrame([{"employee_id": "G1", "final_grade": "S", "reason": "r"}]))
    assert done.final.at["G1", "final_grade"] == "S" and done.final.at["G2", "final_grade"] == "B"
    assert done.distribution.empty and done.pay.isna().all()
    assert done.proposal().equals(done.final_band.rename("proposal"))


def _with(**sections) -> dict:
    data = tomllib.loads(resources.files("kpi_engine").joinpath("default_scheme.toml").read_text("utf-8"))
    data.update(sections)
    return data


@pytest.mark.parametrize(("sections", "expected"), [
    ({"calibration": "10%"}, {("calibration", "")}),
    ({"pay": ["S"]}, {("pay", "")}),
    ({"calibration": {"scope": "部门", "rounding": "half", "min_team_size": -1, "bogus": 1,
                      "limits": [{"grades": "S+X", "max_share": 1.5}]}},
     {("calibration", "scope"), ("calibration", "rounding"), ("calibration", "min_team_size"), ("calibration", "bogus"),
      ("calibration.limits[1]", "max_share")}),
    ({"calibration": {"limits": [{"grades": "S+X", "max_share": 0.1}]}}, {("calibration.limits[1]", "grades")}),
    ({"pay": {"coefficients": {"S": 1.5, "A": 1.2, "B": 1.0, "C": 0.8}, "base": "name"}},
     {("pay.coefficients", "D"), ("pay", "base")}),
])
def test_bad_sections_are_named_by_section_and_field(sections, expected):
    with pytest.raises(SchemeError) as caught:
        scheme_from_dict(_with(**sections))
    assert {(i.item, i.field) for i in caught.value.issues} == expected


def test_option_words_of_the_sheet_are_read():
    scheme = scheme_from_dict(_with(calibration={"scope": "全部", "rounding": "四舍五入",
                                                 "limits": [{"grades": "S、A", "max_share": 0.3}]}))
    assert (scheme.calibration.scope, scheme.calibration.rounding) == ("all", "round")
    assert scheme.calibration.limits[0].grades == ("S", "A")
