"""The scheme sheet (指标配置): round trip, HR edits, and problems located to their cells."""

from __future__ import annotations

import copy

import pytest
from openpyxl import Workbook, load_workbook

from kpi_engine import default_scheme, score
from kpi_workbook.pipeline.scheme_reader import read_config
from kpi_workbook.pipeline.scheme_syntax import format_params, parse_choices, parse_gate, parse_params
from kpi_workbook.sheets.scheme_sheet import write_config

SHEET = "指标配置"


def grid_of(ws) -> list[list]:
    """A worksheet's values as xlwings gives them: numbers as float, blanks as None."""
    return [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in row]
            for row in ws.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def saved_grid(tmp_path_factory) -> list[list]:
    wb = Workbook()
    wb.active.title = SHEET
    write_config(wb.active, default_scheme())
    path = tmp_path_factory.mktemp("cfg") / "cfg.xlsx"
    wb.save(path)
    return grid_of(load_workbook(path)[SHEET])


@pytest.fixture
def grid(saved_grid) -> list[list]:
    return copy.deepcopy(saved_grid)


def find(grid: list[list], table: str, item: str, field: str, nth: int = 0) -> tuple[int, int]:
    """0-based (row, col) of ``field`` in the ``nth`` row of ``table`` whose column A is ``item``."""
    top = next(r for r, row in enumerate(grid) if row[0] == f"#{table}")
    ids = grid[top + 2]
    end = next((r for r in range(top + 1, len(grid)) if str(grid[r][0] or "").startswith("#") and grid[r][0] != "#note"),
               len(grid))
    rows = [r for r in range(top + 3, end) if grid[r][0] == item]
    return rows[nth], ids.index(field)


def ref(rc: tuple[int, int]) -> str:
    return f"{chr(ord('A') + rc[1])}{rc[0] + 1}"


def insert_row(grid: list[list], after: int, values: list) -> None:
    grid.insert(after + 1, values + [None] * (len(grid[0]) - len(values)))


def test_round_trip_keeps_the_fingerprint(grid):
    scheme, problems = read_config(grid, SHEET)
    assert scheme is not None
    assert scheme.fingerprint() == default_scheme().fingerprint()
    assert scheme.indicator("promotion_cost_ratio").checks[0].target == "0.15"
    assert [p.severity for p in problems] == ["warning"]  # 流量与转化 10+5+15+10+5 = 45 scaled to 20
    assert problems[0].cell == ref(find(grid, "groups", "traffic", "weight"))
    assert "45" in problems[0].problem


def test_round_trip_in_english_and_with_extra_blank_rows_and_columns():
    wb = Workbook()
    write_config(wb.active, default_scheme(), lang="en")
    grid = [row + [None, None] for row in grid_of(wb.active)]
    for r in (len(grid) - 5, 40, 12):  # blank rows inside and between tables
        grid.insert(r, [None] * len(grid[0]))
    scheme, problems = read_config(grid, "Scheme", lang="en")
    assert scheme is not None and scheme.fingerprint() == default_scheme().fingerprint()
    assert "scaled" in problems[0].problem


def test_hr_edits_change_the_scheme_and_the_scores(grid, e001_frame):
    r, c = find(grid, "indicators", "pv_per_uv", "weight")
    grid[r][c] = 10.0
    r, c = find(grid, "checks", "promotion_cost_ratio", "target")
    grid[r][c] = 0.2  # typed as a number in Excel
    last_ind = find(grid, "indicators", "compliance", "id")[0]
    insert_row(grid, last_ind, ["organic_share", "自然流量占比", "Organic share", "traffic", 5.0, "否", "deduct",
                                None, None, None, None, "提升自然流量", "Grow organic traffic"])
    last_check = find(grid, "checks", "resource_readiness", "indicator")[0]
    insert_row(grid, last_check, ["organic_share", "natural_uv / uv", "0.70", "below", "points", 5.0, 2.0, "floor", "%"])

    scheme, problems = read_config(grid, SHEET)
    assert scheme is not None, [p.text() for p in problems]
    assert scheme.indicator("pv_per_uv").weight == 10
    assert scheme.indicator("promotion_cost_ratio").checks[0].target == "0.2"
    new = scheme.indicator("organic_share")
    assert (new.group, new.rule, new.checks[0].step, new.checks[0].target) == ("traffic", "deduct", 5, "0.70")
    assert scheme.effective_weight["pv_per_uv"] == pytest.approx(10 * 20 / 55)  # 10+10+15+10+5+5 = 55 → 20
    assert any("55" in p.problem and p.severity == "warning" for p in problems)

    result = score(e001_frame, scheme=scheme, period="2026-Q4")
    s, pts = result.scores.loc["E001"], result.points.loc["E001"]
    assert s["pv_per_uv"] == pytest.approx(70)  # D = 3 of a nominal 10
    assert s["organic_share"] == pytest.approx(60)  # 65% is 5 points under 70% → one step, D = 2 of 5
    assert pts["organic_share"] == pytest.approx(60 / 100 * 5 * 20 / 55)
    assert s["promotion_cost_ratio"] == pytest.approx(100)  # 16% ≤ 20%
    traffic = (70 * 10 + 70 * 10 + 100 * 15 + 100 * 10 + 100 * 5 + 60 * 5) / 100 * 20 / 55  # = 940 / 55
    others = 32.4 + 1.0 + (8 + 5 + 3 + 0 - 4) + (5 + 3 + 3 + 0) + 5
    assert result.total.loc["E001"] == pytest.approx(traffic + others)
    assert result.total.loc["E001"] == pytest.approx(78.4909, abs=1e-4)


INVALID = [
    # (table, item, field, new value, nth, expected problem code, expected words)
    ("indicators", "pv_per_uv", "weight", "abc", 0, "config_number", "正数"),
    ("groups", "compliance", "weight", -5.0, 0, "config_number", "正数"),
    ("indicators", "conversion_rate", "rule", "foo", 0, "scheme", "foo"),
    ("checks", "inventory_turnover", "step", -10.0, 1, "config_number", "正数"),
    ("indicators", "activity_response", "metric", "activity_overdue_x", 0, "scheme", "activity_overdue_x"),
    ("checks", "inventory_turnover", "metric", "slow_skus / total_skus", 1, "scheme", "slow_skus"),
    ("indicators", "proposals", "params", "each=; expected_per_quarter", 0, "config_params", "写法"),
    ("indicators", "sales_achievement", "params", "bands=1.2:lots; below=0", 0, "config_params", "写法"),
    ("indicators", "uv_growth", "gate", "natural_uv / uv", 0, "config_gate", "门槛"),
    ("indicators", "compliance", "penalty", "也许", 0, "config_bool", "是 或 否"),
    ("indicators", "knowledge_sharing", "params", "each=0", 0, "scheme", "each"),
    ("checks", "uv_growth", "direction", "sideways", 0, "scheme", "below/above"),
    ("inputs", "uv", "kind", "percent", 0, "scheme", "percent"),
    ("grades", "B", "min", "seventy", 0, "config_number", "数字"),
    ("grades", "C", "min", 75.0, 0, "scheme", "从高到低"),
]


@pytest.mark.parametrize("table,item,field,value,nth,code,words", INVALID, ids=[f"{t}.{i}.{f}" for t, i, f, *_ in INVALID])
def test_invalid_edits_are_located_to_their_cell(grid, table, item, field, value, nth, code, words):
    rc = find(grid, table, item, field, nth)
    grid[rc[0]][rc[1]] = value
    scheme, problems = read_config(grid, SHEET)
    assert scheme is None
    errors = [p for p in problems if p.severity == "error"]
    assert (errors[0].cell, errors[0].code) == (ref(rc), code), [p.text() for p in errors]
    assert words in errors[0].problem and errors[0].sheet == SHEET
    assert all(p.cell for p in errors)  # follow-on errors (uv no longer numeric) are located too
    if field != "kind":
        assert len(errors) == 1, [p.text() for p in errors]


def test_check_of_unknown_indicator_and_missing_table(grid):
    r, c = find(grid, "checks", "aov_growth", "indicator")
    grid[r][c] = "aov"
    scheme, problems = read_config(grid, SHEET)
    assert scheme is None and (ref((r, c)), "config_unknown_indicator") in [(p.cell, p.code) for p in problems]
    # aov_growth lost its only check: reported at its rule cell
    assert any(p.code == "scheme" and p.cell == ref(find(grid, "indicators", "aov_growth", "rule")) for p in problems)
    top = next(r for r, row in enumerate(grid) if row[0] == "#grades")
    grid[top + 2][0] = "等级"  # the id row damaged
    _, problems = read_config(grid, SHEET, lang="en")
    assert any(p.cell == f"A{top + 1}" and "#grades" in p.problem for p in problems)


def test_text_syntax_round_trips_and_accepts_fullwidth_punctuation():
    for ind in default_scheme().indicators:
        assert parse_params(format_params(dict(ind.params))) == dict(ind.params)
    assert parse_params("each＝3；expected_per_quarter＝2") == {"each": 3, "expected_per_quarter": 2}
    assert parse_params('target=mean(a, b); cap=1.0; note="a; b"') == {"target": "mean(a, b)", "cap": 1.0, "note": "a; b"}
    assert parse_params("counts=a:10, b:0.5") == {"counts": {"a": 10, "b": 0.5}}
    assert parse_gate("natural_uv / uv ≥ 0.6；unit=%") == {"metric": "natural_uv / uv", "min": 0.6, "unit": "%"}
    assert parse_choices("apparel=服装|Apparel; 3c=3C ｜ 数码; other") == {
        "apparel": ["服装", "Apparel"], "3c": ["3C", "数码"], "other": []}
    for bad in ("each", "=3", "bands=1.2", "counts=a:x"):
        with pytest.raises(ValueError):
            parse_params(bad)


def test_numbers_typed_as_text_are_read_exactly(grid):
    r, c = find(grid, "groups", "teamwork", "weight")
    grid[r][c] = " 15 "
    r, c = find(grid, "lookups", "repurchase_target", "value")
    grid[r][c] = "0.3"
    scheme, _ = read_config(grid, SHEET)
    assert scheme is not None and scheme.fingerprint() == default_scheme().fingerprint()
    assert scheme.lookups["repurchase_target"]["fmcg"] == 0.3
    assert scheme.group("teamwork").weight == 15 and isinstance(scheme.group("teamwork").weight, int)
