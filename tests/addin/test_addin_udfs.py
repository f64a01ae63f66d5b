"""The worksheet functions (kpi_udfs) against the engine, with values as xlwings passes them.

Every function must give what :func:`kpi_engine.score` gives for the same data, and turn
every bad value into a short ``#KPI!`` text, never an exception.
"""

from __future__ import annotations

import io
import math
import types
from typing import Any

import kpi_udf_core as core
import kpi_udfs as udfs
import numpy as np
import pandas as pd
import pytest
from support.rows import E001
from support.xlwings_windows import udfs_as_on_windows

from kpi_engine import default_scheme, score
from kpi_engine.rules import count_steps, gap_of

SCHEME = default_scheme()
INDICATORS = [i.id for i in SCHEME.indicators]
UDFS = [udfs.KPI_SALES_SCORE, udfs.KPI_DEDUCT, udfs.KPI_INDICATOR, udfs.KPI_TOTAL, udfs.KPI_GRADE,
        udfs.KPI_EXPLAIN, udfs.KPI_TABLE]


def as_excel(value: Any) -> Any:
    """A value as xlwings passes a cell: numbers as float, blanks as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return value


def excel_row(record: dict[str, Any]) -> tuple[list[str], list[Any]]:
    return list(record), [as_excel(v) for v in record.values()]


def is_kpi_error(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("#KPI! ") and len(value) < 255


def plain(value: Any) -> Any:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else value


# -- the worked example (spec §7) -----------------------------------------------------


@pytest.fixture(scope="module")
def e001_result():
    return score(pd.DataFrame([E001]), period="2026-Q4")


@pytest.mark.parametrize("indicator", INDICATORS)
def test_worked_example_indicator(e001_result, indicator: str) -> None:
    headers, row = excel_row(E001)
    assert udfs.KPI_INDICATOR(headers, row, indicator) == e001_result.points.loc["E001", indicator]
    assert udfs.KPI_INDICATOR(headers, row, indicator, "score") == e001_result.scores.loc["E001", indicator]
    assert udfs.KPI_EXPLAIN(headers, row, indicator) == e001_result.explain("E001", indicator)
    name = SCHEME.indicator(indicator).name_zh
    assert udfs.KPI_INDICATOR(headers, row, name, "得分", "2026-Q4") == e001_result.scores.loc["E001", indicator]


def test_worked_example_total_and_grade(e001_result) -> None:
    headers, row = excel_row(E001)
    assert udfs.KPI_TOTAL(headers, row) == e001_result.total["E001"] == pytest.approx(76.733, abs=5e-4)
    assert udfs.KPI_GRADE(headers, row, "2026-Q4") == "B"
    assert udfs.KPI_EXPLAIN(headers, row, "promotion_cost_ratio").startswith("推广费占比 16.0% 高于目标 15%，超出 1.0 个百分点")


def test_chinese_headers_and_numeric_ids() -> None:
    labels = [SCHEME.field_name(k) for k in E001]
    record = dict(E001, employee_id=1001)
    ids, row = excel_row(record)
    assert row[0] == 1001.0
    want = score(pd.DataFrame([record])).total["1001"]
    assert udfs.KPI_TOTAL(labels, row) == udfs.KPI_TOTAL(ids, row) == want
    # a row without the id column is scored as well; 2-D one-row ranges are flattened
    assert udfs.KPI_TOTAL([ids[1:]], [row[1:]]) == want


def test_sales_score_bands() -> None:
    for ratio, want in [(1.08, 108), (1.2, 120), (1.5, 120), (0.8, 80), (0.79, 0), (0.0, 0)]:
        got = udfs.KPI_SALES_SCORE(ratio * 1_000_000, 1_000_000.0)
        assert got == pytest.approx(want), ratio
        frame = pd.DataFrame([{"employee_id": "x", "sales_actual": ratio * 1e6, "sales_target": 1e6}])
        assert got == score(frame).scores.loc["x", "sales_achievement"]
    assert udfs.KPI_SALES_SCORE(1, 0) == "#KPI! 「目标销售额」的值 0 应大于 0（作为分母）"


# -- KPI_DEDUCT agrees with the engine's own deductions -----------------------------------

DEDUCT_CASES = {  # indicator: (metric of the row, its one check)
    "promotion_cost_ratio": lambda r: r["promotion_cost"] / r["sales_actual"],
    "after_sales_cost_ratio": lambda r: r["after_sales_cost"] / r["sales_actual"],
    "resource_readiness": lambda r: r["resources_ready_rate"],
    "pv_per_uv": lambda r: r["pv"] / r["uv"],
}


def test_deduct_matches_engine_deductions(random_frame: pd.DataFrame) -> None:
    result = score(random_frame)
    d = result.deductions.groupby(["employee_id", "indicator"])["amount"].sum()
    checked = 0
    for indicator, metric in DEDUCT_CASES.items():
        (check,) = SCHEME.indicator(indicator).checks
        for _, r in random_frame.iterrows():
            eid = str(r["employee_id"])
            if eid not in result.scores.index or math.isnan(result.scores.loc[eid, indicator]):
                continue
            got = udfs.KPI_DEDUCT(as_excel(metric(r)), float(check.target), check.direction, check.gap,
                                  float(check.step), float(check.points), check.rounding)
            assert got == pytest.approx(d.get((eid, indicator), 0.0), abs=1e-9), (eid, indicator)
            checked += 1
    assert checked > 100


def test_deduct_counts_whole_steps_like_the_engine() -> None:
    assert udfs.KPI_DEDUCT(0.85, 0.95, "below", "points", 5, 1) == 2.0  # (0.95-0.85)/0.05 → 2 steps
    assert udfs.KPI_DEDUCT(0.25, 0.30, "低于", "百分点", 2, 3) == 6.0
    assert udfs.KPI_DEDUCT(0.16, 0.15, "above", "points", 1, 2) == 2.0
    assert udfs.KPI_DEDUCT(2.8, 3, "below", "relative", 5, 3, "linear") == pytest.approx(
        float(count_steps(gap_of(np.array([2.8]), np.array([3.0]), "below", "relative"), 5, "linear")[0] * 3))
    assert udfs.KPI_DEDUCT(-1, 0, "below", "relative", 5, 3) == "#KPI! 目标为 0，无法计算相对差距"
    zero_target = gap_of(np.array([1.0]), np.array([0.0]), "below", "relative")[0]  # as the engine decides
    assert udfs.KPI_DEDUCT(1, 0, "below", "relative", 5, 3) == (0.0 if zero_target == 0 else "#KPI! 目标为 0，无法计算相对差距")


# -- random rows: each row's functions equal the whole table's scores ------------------------


@pytest.fixture(scope="module")
def random_frame() -> pd.DataFrame:
    """A few hundred plausible rows (seeded) around the worked example, with some blanks and junk."""
    rng = np.random.default_rng(20261)
    n = 240
    rows = []
    for i in range(n):
        r = dict(E001, employee_id=f"R{i:04d}")
        for key, value in E001.items():
            if isinstance(value, (int, float)) and key not in ("employee_id",):
                factor = rng.uniform(0.6, 1.4)
                r[key] = value * factor if not isinstance(value, int) else round(value * factor)
        r["natural_uv"] = min(r["natural_uv"], r["uv"])
        r["silent_orders"] = min(r["silent_orders"], r["paid_orders"])
        r["repeat_buyers_90d"] = min(r["repeat_buyers_90d"], r["paying_users"])
        r["new_customer_sales"] = min(r["new_customer_sales"], r["sales_actual"])
        r["slow_moving_skus"] = min(r["slow_moving_skus"], r["total_skus"])
        r["resources_ready_rate"] = min(rng.uniform(0.7, 1.0), 1.0)
        for key in ("rating_design", "rating_cs", "rating_logistics"):
            r[key] = min(r[key], 10.0)
        r["category"] = rng.choice(["apparel", "3c", "其他"])
        r["product_type"] = rng.choice(["fmcg", "durable"])
        r["prev_sales_achievement"] = float(rng.uniform(0.5, 1.2))
        if rng.random() < 0.1:
            r[rng.choice(list(E001)[5:])] = None
        if rng.random() < 0.05:
            r["pv"] = "待补充"
        rows.append(r)
    return pd.DataFrame(rows)


def test_row_functions_equal_the_table_scores(random_frame: pd.DataFrame) -> None:
    result = score(random_frame)
    rng = np.random.default_rng(7)
    headers = list(random_frame.columns)
    incomplete = 0
    for _, r in random_frame.iterrows():
        row = [as_excel(v) for v in r.tolist()]
        eid = r["employee_id"]
        total = udfs.KPI_TOTAL(headers, row)
        if math.isnan(result.total[eid]):
            incomplete += 1
            assert is_kpi_error(total) and udfs.KPI_GRADE(headers, row) == total
        else:
            assert total == pytest.approx(result.total[eid], rel=1e-12, abs=1e-12)  # sum order differs by ulps
            assert udfs.KPI_GRADE(headers, row) == result.grade[eid]
        for indicator in rng.choice(INDICATORS, size=3, replace=False):
            got = udfs.KPI_INDICATOR(headers, row, indicator)
            want = result.points.loc[eid, indicator]
            assert is_kpi_error(got) if math.isnan(want) else got == pytest.approx(want, rel=1e-12, abs=1e-12), (
                eid, indicator, got)
    assert 0 < incomplete < len(random_frame)


def test_table_equals_score(random_frame: pd.DataFrame) -> None:
    frame = pd.concat([random_frame, random_frame.iloc[[3]]], ignore_index=True)  # a duplicate id too
    grid = [list(frame.columns)] + [[as_excel(v) for v in r] for r in frame.itertuples(index=False)]
    out = udfs.KPI_TABLE(grid, "2026-Q4", "zh")
    result = score(frame)
    header, body = out[0], out[1:]
    assert header[:2] == ["工号", "姓名"] and header[-4:] == ["总分", "等级", "标记", "状态"]
    assert header[2:-4] == [SCHEME.indicator(i).name_zh for i in INDICATORS]
    assert [r[0] for r in body] == list(result.total.index)
    for line in body:
        eid = line[0]
        assert line[2:-4] == [plain(result.points.loc[eid, i]) for i in INDICATORS]  # one call on the same frame
        assert line[-4] == plain(result.total[eid]) and line[-3] == plain(result.grade[eid])
        flags = "、".join(f.name_zh for f in SCHEME.flags if f.id in result.flags[eid])
        assert line[-2] == flags
        assert line[-1] == "已计分" if not math.isnan(result.total[eid]) else line[-1].startswith("数据不完整")
        assert all(not (isinstance(v, float) and math.isnan(v)) and v != "nan" for v in line)
    # the workbook's own two header rows (labels, then ids) work as well
    labels = [SCHEME.field_name(c) for c in frame.columns]
    assert udfs.KPI_TABLE([labels] + grid) == out
    english = udfs.KPI_TABLE(grid, None, "en")
    assert english[0][:2] == ["Employee ID", "Name"] and english[0][-1] == "Status"
    assert [r[:-2] for r in english[1:]] == [r[:-2] for r in body]


# -- bad values as xlwings passes them -------------------------------------------------------

BAD = [None, "", "  ", "abc", "#DIV/0!", 1e308, -1e308, -5.0, 0.0, float("nan"), True, [[1.0, 2.0]], "１２"]


@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_bad_values_give_short_kpi_text(bad: Any) -> None:
    headers, row = excel_row(E001)
    results = [
        udfs.KPI_SALES_SCORE(bad, 1_000_000.0), udfs.KPI_SALES_SCORE(1_000_000.0, bad),
        udfs.KPI_DEDUCT(bad, 0.3, "below", "points", 2, 3), udfs.KPI_DEDUCT(0.2, 0.3, bad, "points", 2, 3),
        udfs.KPI_DEDUCT(0.2, 0.3, "below", bad, 2, 3), udfs.KPI_DEDUCT(0.2, 0.3, "below", "points", bad, 3),
        udfs.KPI_DEDUCT(0.2, 0.3, "below", "points", 2, bad, bad),
        udfs.KPI_INDICATOR(headers, row, bad), udfs.KPI_INDICATOR(headers, row, "uv_growth", bad),
        udfs.KPI_TOTAL(headers, row, bad), udfs.KPI_GRADE(bad, row), udfs.KPI_EXPLAIN(headers, bad, "pv_per_uv"),
        udfs.KPI_TABLE(bad), udfs.KPI_TABLE([headers, row], bad, bad),
    ]
    for i in range(0, len(row), 5):  # every fifth field (keeps the test fast; each call scores a row)
        broken = list(row)
        broken[i] = bad
        results += [udfs.KPI_TOTAL(headers, broken), udfs.KPI_INDICATOR(headers, broken, "sales_achievement")]
    for value in results:
        cells = [c for r in value for c in r] if isinstance(value, list) else [value]
        for c in cells:
            assert not (isinstance(c, float) and not math.isfinite(c)), c
            assert c != "nan" and not (isinstance(c, str) and "Traceback" in c)
            if isinstance(c, str) and c.startswith("#"):
                assert is_kpi_error(c), c


def test_clearly_wrong_values_are_reported() -> None:
    for bad in (None, "", "abc", -5.0):
        assert is_kpi_error(udfs.KPI_SALES_SCORE(bad, 1e6)), bad
        assert is_kpi_error(udfs.KPI_DEDUCT(bad, 0.3, "below", "points", 2, 3)) or bad == -5.0
    assert is_kpi_error(udfs.KPI_DEDUCT(0.2, 0.3, "below", "points", -1, 3))
    assert udfs.KPI_DEDUCT(0.2, 0.3, "sideways", "points", 2, 3).startswith("#KPI! 方向应为")
    assert udfs.KPI_INDICATOR(*excel_row(E001), "nope").startswith("#KPI! 未知指标")
    assert udfs.KPI_TOTAL(*excel_row(E001), "2026-Q9").startswith("#KPI! 无法识别的考核周期")
    assert udfs.KPI_TOTAL(["employee_id", "uv"], ["E1"]).startswith("#KPI! 表头有 2 列")
    headers, row = excel_row(E001)
    row[headers.index("uv")] = None
    assert udfs.KPI_INDICATOR(headers, row, "uv_growth") == "#KPI! 「本期UV」为空，UV增长率、访问深度PV/UV、支付转化率无法计算"
    long_text = core.error_text("很长" * 500)
    assert len(long_text) < 255 and long_text.endswith("…")


def test_unexpected_errors_are_contained(monkeypatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal")

    monkeypatch.setattr(core, "score_items", boom)
    assert udfs.KPI_TOTAL(*excel_row(E001)) == "#KPI! 计算出错（RuntimeError）"


# -- as xlwings registers them on Windows ----------------------------------------------------

VBA_KEYWORDS = set("""and as attribute boolean byref byte byval call case close const currency date debug
declare dim do double each else elseif empty end enum eqv erase error event exit false for friend function get
global gosub goto if imp implements in input integer is let like line long loop lset me mod name new next not
nothing null object on open option optional or paramarray preserve print private property public raiseevent
redim rem resume return rset select set single static step stop string sub then to true type typeof until
variant wend while with withevents xor""".split())


@pytest.fixture
def windows_udfs(monkeypatch):
    """kpi_udfs loaded with xlwings' real Windows decorators (COM modules stubbed out)."""
    with udfs_as_on_windows(monkeypatch) as loaded:
        yield loaded


def test_registration_as_on_windows(windows_udfs) -> None:
    module, win = windows_udfs
    names = sorted(n for n in dir(module) if hasattr(getattr(module, n), "__xlfunc__"))
    assert names == sorted(f.__name__ for f in UDFS)
    for name in names:
        info = getattr(module, name).__xlfunc__
        assert info["category"] == "KPI 考核"
        doc = info["ret"]["doc"]
        assert "\n" not in doc.strip() and 0 < len(doc) <= 255
        for arg in info["args"]:
            assert arg["name"].lower() not in VBA_KEYWORDS, (name, arg["name"])
            assert arg["options"].get("convert") in (None, Any)  # Any is xlwings' default converter
            if arg["name"] == "caller":  # xlwings' reserved argument: filled in by xlwings, not shown in Excel
                assert arg is info["args"][-1] and "optional" in arg
                continue
            assert len(arg["doc"]) <= 255 and not arg["doc"].startswith("Positional argument")
        # the wizard's help says which scheme a scoring function uses
        scoring = name != "KPI_DEDUCT"
        assert ("「指标配置」" in doc and "默认方案" in doc) == scoring, doc
        assert ("caller" in info["argmap"]) == scoring
    assert module.KPI_TABLE.__xlfunc__["argmap"]["table"]["options"]["ndim"] == 2
    assert module.KPI_TOTAL.__xlfunc__["argmap"]["row"]["options"]["ndim"] == 1
    book = types.SimpleNamespace(Name="kpi_compute.xlam")
    out = io.StringIO()
    win.generate_vba_wrapper("kpi_udfs", module, out, book)
    vba = out.getvalue()
    assert "Function KPI_DEDUCT(value, target, direction, gap, step_size, points, Optional rounding)" in vba
    assert "Function KPI_TABLE(table, Optional period, Optional lang)" in vba
    # caller is no parameter of the Excel function; xlwings passes Nothing in its place and puts
    # the calling cell there in call_udf (xlwings.udfs)
    assert "Function KPI_TOTAL(headers, row, Optional period)" in vba
    assert 'XLPy.CallUDF("kpi_udfs", "KPI_TOTAL", Array(headers, row, period, Nothing), ActiveWorkbook' in vba
    assert "Application.Caller)" in vba
    # the functions still compute the same under the real decorators
    assert module.KPI_TOTAL(*excel_row(E001)) == udfs.KPI_TOTAL(*excel_row(E001))


# -- the one-row fast path behind the cell functions ----------------------------------------------


def test_cell_functions_give_the_tables_values_on_random_rows() -> None:
    """KPI_TOTAL / KPI_GRADE / KPI_INDICATOR on rows as xlwings passes them (the one-row fast path)
    give exactly what score gives the same rows as one table; incomplete rows name their problem."""
    from support.reference import random_employee

    rng = np.random.default_rng(20261201)
    records = [random_employee(rng, i, blank_rate=0.1) for i in range(300)]
    table = score(pd.DataFrame(records), period="2026-Q4")
    core.score_items.cache_clear()
    fast = problem_texts = 0
    for record in records:
        headers, row = excel_row(record)
        eid = record["employee_id"]
        fast += core.score_row(headers, row, "2026-Q4").fast is not None
        total = udfs.KPI_TOTAL(headers, row, "2026-Q4")
        if math.isnan(table.total[eid]):
            assert is_kpi_error(total) and udfs.KPI_GRADE(headers, row) == total
            # the text is score()'s first problem of that row, and how many more it has
            mine = table.problems[(table.problems["severity"] == "error") & (table.problems["employee_id"] == eid)]
            more = core.msg("more", n=len(mine) - 1) if len(mine) > 1 else ""
            assert total == core.error_text(mine["problem"].iloc[0] + more)
            problem_texts += 1
        else:
            assert total == table.total[eid] and udfs.KPI_GRADE(headers, row) == table.grade[eid]
        for ind in ("uv_growth", "inventory_turnover", "collaboration_satisfaction"):
            want = table.points.at[eid, ind]
            got = udfs.KPI_INDICATOR(headers, row, ind)
            assert is_kpi_error(got) if math.isnan(want) else got == want
    assert fast == len(records)
    assert problem_texts > 20  # incomplete rows were among them
