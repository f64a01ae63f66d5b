"""The scheme sheet (指标配置): round trip, HR edits, and problems located to their cells."""

from __future__ import annotations

import copy

import pytest
from openpyxl import Workbook, load_workbook

from kpi_engine import default_scheme, score
from kpi_engine.scheme import default_scheme_data, scheme_from_dict
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


def table_rows(grid: list[list], table: str) -> tuple[int, list, int]:
    """(marker row, field-id row values, end row) of a table (0-based rows)."""
    top = next(r for r, row in enumerate(grid) if row[0] == f"#{table}")
    end = next((r for r in range(top + 1, len(grid)) if str(grid[r][0] or "").startswith("#") and grid[r][0] != "#note"),
               len(grid))
    return top, grid[top + 2], end


def find(grid: list[list], table: str, item: str, field: str, nth: int = 0) -> tuple[int, int]:
    """0-based (row, col) of ``field`` in the ``nth`` row of ``table`` whose id (else column A) is
    ``item``; table "checks": the ``nth`` deduction rule of the indicator ``item`` (its block)."""
    top, ids, end = table_rows(grid, "indicators" if table == "checks" else table)
    key = ids.index("id") if "id" in ids else 0
    if table == "checks":
        start = next(r for r in range(top + 3, end) if grid[r][key] == item)
        block, r = [start], start + 1
        while r < end and grid[r][key] is None and grid[r][0] is None and any(v is not None for v in grid[r]):
            block.append(r)
            r += 1
        return block[nth], ids.index(f"check.{field}")
    rows = [r for r in range(top + 3, end) if grid[r][key] == item]
    return rows[nth], ids.index(field)


def ref(rc: tuple[int, int]) -> str:
    return f"{chr(ord('A') + rc[1])}{rc[0] + 1}" if rc[1] < 26 else f"A{chr(ord('A') + rc[1] - 26)}{rc[0] + 1}"


def insert_row(grid: list[list], table: str, after: int, values: dict) -> int:
    """Insert a row after 0-based row ``after`` with ``values`` by field id; returns its row."""
    _, ids, _ = table_rows(grid, table)
    grid.insert(after + 1, [values.get(f) for f in ids] + [None] * (len(grid[0]) - len(ids)))
    return after + 1


def test_round_trip_keeps_the_fingerprint(grid):
    scheme, problems = read_config(grid, SHEET)
    assert scheme is not None
    assert scheme.fingerprint() == default_scheme().fingerprint()
    assert scheme.indicator("promotion_cost_ratio").checks[0].target == "0.15"
    # 流量与转化 10+5+15+10+5 = 45 is scaled to 20 by the shipped scheme's own arithmetic: said once on
    # 说明 (tests/workbook/test_help_rebuilt.py), not a warning at every compute
    assert problems == []
    assert [w.key for w in scheme.warnings] == ["scaled"]  # the engine still knows it


def test_round_trip_in_english_and_with_extra_blank_rows_and_columns():
    wb = Workbook()
    write_config(wb.active, default_scheme(), lang="en")
    grid = [row + [None, None] for row in grid_of(wb.active)]
    for r in (len(grid) - 5, 40, 12):  # blank rows inside and between tables
        grid.insert(r, [None] * len(grid[0]))
    scheme, problems = read_config(grid, "Scheme", lang="en")
    assert scheme is not None and scheme.fingerprint() == default_scheme().fingerprint()
    assert problems == []


def test_hr_edits_change_the_scheme_and_the_scores(grid, e001_frame):
    r, c = find(grid, "indicators", "pv_per_uv", "weight")
    grid[r][c] = 10.0
    r, c = find(grid, "checks", "promotion_cost_ratio", "target")
    grid[r][c] = 0.2  # typed as a number in Excel
    last_ind = find(grid, "indicators", "compliance", "id")[0]
    insert_row(grid, "indicators", last_ind, {
        "id": "organic_share", "name_zh": "自然流量占比", "name_en": "Organic share", "group": "traffic", "weight": 5.0,
        "penalty": "否", "rule": "deduct", "advice_zh": "提升自然流量", "advice_en": "Grow organic traffic",
        "check.metric": "natural_uv / uv", "check.target": "0.70", "check.direction": "below", "check.gap": "points",
        "check.step": 5.0, "check.points": 2.0, "check.rounding": "floor", "check.unit": "%"})

    scheme, problems = read_config(grid, SHEET)
    assert scheme is not None, [p.text() for p in problems]
    assert scheme.indicator("pv_per_uv").weight == 10
    assert scheme.indicator("promotion_cost_ratio").checks[0].target == "0.2"
    new = scheme.indicator("organic_share")
    assert (new.group, new.rule, new.checks[0].step, new.checks[0].target) == ("traffic", "deduct", 5, "0.70")
    assert scheme.effective_weight["pv_per_uv"] == pytest.approx(10 * 20 / 55)  # 10+10+15+10+5+5 = 55 → 20
    assert problems == []  # 10+10+15+10+5+5 = 55 scaled: said on 说明

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
    ("checks", "uv_growth", "step", None, 0, "config_number", "为空，应为正数"),
    ("checks", "conversion_rate", "target", "industry_conversion × 105% ＋", 0, "scheme", "无法解析"),
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
    assert all("正确写法如：" in p.problem for p in errors), [p.text() for p in errors]  # an example of a right entry
    assert all(p.cell for p in errors)  # follow-on errors (uv no longer numeric) are located too
    if field != "kind":
        assert len(errors) == 1, [p.text() for p in errors]


def test_rule_rows_belong_to_the_indicator_above_and_missing_table(grid):
    r = find(grid, "indicators", "aov_growth", "id")[0]
    _, ids, _ = table_rows(grid, "indicators")
    for f in ids:
        if not f.startswith("check."):
            grid[r][ids.index(f)] = None  # 客单价环比增长's own cells cleared: its rule row now follows 支付转化率
    scheme, problems = read_config(grid, SHEET)
    assert scheme is not None and problems == []
    assert [c.metric for c in scheme.indicator("conversion_rate").checks] == [
        "paid_orders / uv", "(sales_actual / paid_orders - aov_prev) / aov_prev"]
    assert "aov_growth" not in [i.id for i in scheme.indicators]
    top = table_rows(grid, "indicators")[0]
    rule = insert_row(grid, "indicators", top + 2, {"check.metric": "pv / uv", "check.target": "3", "check.step": 5.0,
                                                     "check.points": 3.0})
    scheme, problems = read_config(grid, SHEET)
    assert scheme is None and [(p.cell, p.code) for p in problems] == [(ref((rule, ids.index("check.metric"))), "config_missing")]
    assert "上方没有指标" in problems[0].problem and "正确写法如：商城搜索UV / 本期UV" in problems[0].problem
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


def test_names_percentages_and_full_width_operators_in_formulas():
    from kpi_workbook.pipeline.scheme_names import Names

    names = Names([{"id": "uv", "name_zh": "本期UV", "name_en": "UV"}, {"id": "mall_uv", "name_zh": "商城搜索UV"},
                   {"id": "uv_prev", "name_zh": "上期UV", "name_en": "Previous UV"}, {"id": "category", "name_zh": "品类"}],
                  [{"id": "traffic", "name_zh": "流量与转化"}], [])
    assert names.formula("商城搜索UV / 本期UV") == "mall_uv / uv"
    assert names.formula("（本期UV－上期UV）÷上期UV ≥ 12%") == "(uv-uv_prev)/uv_prev >= 0.12"
    assert names.formula("(UV - Previous UV) / Previous UV") == "(uv - uv_prev) / uv_prev"
    assert names.formula("lookup(品类, '本期UV') * 1.5万") == "lookup(category, '本期UV') * 15000.0"  # quoted: a table
    assert names.formula("本期UV2 + X本期UV") == "本期UV2 + X本期UV"  # a name inside a longer word is not that name
    assert names.group("流量与转化") == "traffic" and names.group("流量") == "流量"


def test_a_book_of_the_older_layout_reads_to_the_same_scheme():
    """The 指标配置 of a book `kpi new` wrote at e2207e0: indicators with id first, rules in #checks."""
    from support.workbooks import ROOT

    ws = load_workbook(ROOT / "tests" / "support" / "data" / "book_before_rule_blocks.xlsx")[SHEET]
    grid = grid_of(ws)
    assert any(row[0] == "#checks" for row in grid)
    scheme, problems = read_config(grid, SHEET)
    # the default of that day: without the roster column 店铺 (shops, issue 10), which that book never had
    then = default_scheme_data()
    then["inputs"] = [i for i in then["inputs"] if i["id"] != "shops"]
    # nor the optional sections of issue 12 (report, period weights, rollup flags): switched off
    from kpi_engine.model import OPTIONAL_SECTIONS

    then = {k: v for k, v in then.items() if k not in OPTIONAL_SECTIONS}
    assert problems == [] and scheme.fingerprint() == scheme_from_dict(then).fingerprint()
    assert scheme.setting("appeal_days") is None and not scheme.rollup_flags
    assert scheme.sources == default_scheme().sources  # no export columns table: the shipped lines
    # HR edits it the old way, by name now: 推广费占比's rule row keyed by its name, its target 12%
    top = next(r for r, row in enumerate(grid) if row[0] == "#checks")
    ids = grid[top + 2]
    row = next(r for r in range(top + 3, len(grid)) if grid[r][0] == "promotion_cost_ratio")
    grid[row][ids.index("indicator")], grid[row][ids.index("target")] = "推广费占比", "12%"
    scheme, problems = read_config(grid, SHEET)
    assert problems == [] and scheme.indicator("promotion_cost_ratio").checks[0].target == "0.12"
