"""Export columns as scheme data (kpi_engine.sources): headers matched to fields, and daily shop rows
combined into each person's period values, checked against sums worked by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from kpi_engine import SchemeError, default_scheme, scheme_from_dict
from kpi_engine.scheme import default_scheme_data
from kpi_engine.sources import apportion, combine, header_key, match_headers, split_names

D = dt.date


@pytest.mark.parametrize(("header", "key", "unit"), [
    ("支付金额（元）", "支付金额", "元"),
    ("支付金额(万元)", "支付金额", "万元"),
    (" 访客数 ", "访客数", ""),
    ("访 客 数", "访客数", ""),
    ("支付金额【元】", "支付金额", "元"),
    ("ＵＶ价值", "uv价值", ""),
    ("商品点击-成交转化率", "商品点击-成交转化率", ""),
    ("(元)", "(元)", ""),  # a bracket alone is not a unit of nothing
])
def test_header_keys_strip_units_spaces_and_full_width_forms(header, key, unit):
    assert header_key(header) == (key, unit)


def test_a_sycm_header_row_is_matched_to_fields_of_sycm():
    m = match_headers(default_scheme(), ["统计日期", "访客数", "浏览量", "支付金额(元)", "支付买家数", "支付子订单数",
                                         "支付父订单数", "支付转化率", "客单价", "退款金额", None, ""])
    assert m.platform == "生意参谋"
    by = {c.header: c for c in m.columns}
    assert by["访客数"].source.platform == "生意参谋" and by["访客数"].source.input == "uv"
    assert by["支付金额(元)"].source.input == "sales_actual"
    # two columns fill paid_orders: the parent orders (listed first in the scheme) are used
    assert by["支付父订单数"].used and not by["支付子订单数"].used and by["支付子订单数"].instead == "支付父订单数"
    assert by["支付转化率"].source.use == "ignore" and by["客单价"].source.use == "ignore"
    assert m.role("date").header == "统计日期" and m.role("shop") is None
    assert m.unknown == ((9, "退款金额"),)
    assert [c.header for c in m.fields()] == ["访客数", "浏览量", "支付金额(元)", "支付买家数", "支付父订单数"]


def test_the_platform_is_the_one_most_headers_point_to():
    jd = match_headers(default_scheme(), ["日期", "店铺名称", "访客数", "浏览量", "成交金额", "成交客户数", "成交单量"])
    assert jd.platform == "京东商智" and {c.source.platform for c in jd.fields()} == {"京东商智"}
    dy = match_headers(default_scheme(), ["日期", "店铺名称", "成交金额", "成交订单数", "成交人数", "商品访客数"])
    assert dy.platform == "抖店罗盘" and {c.header: c.source.platform for c in dy.fields()}["成交金额"] == "抖店罗盘"


def test_a_unit_of_ten_thousand_scales_the_column():
    m = match_headers(default_scheme(), ["日期", "支付金额（万元）"])
    assert m.fields()[0].scale == 10_000


@pytest.mark.parametrize(("text", "names"), [("天猫A店、天猫B店", ["天猫A店", "天猫B店"]), ("A;B；C,D，E", list("ABCDE")),
                                            (" A 、、A ", ["A"]), (None, []), ("", [])])
def test_shop_names_in_one_cell(text, names):
    assert split_names(text) == names


# ---------------------------------------------------------------- combining by hand
def rows(*records) -> pd.DataFrame:
    df = pd.DataFrame(records, columns=["file", "row", "shop", "date", "visitors", "sales"])
    return df.astype({"visitors": float, "sales": float})


OWNERS = pd.DataFrame({"shop": ["A", "B", "B"], "employee_id": ["E1", "E1", "E2"], "share": [1.0, 0.6, 0.4]})


def test_sums_over_days_and_shops_and_a_shared_shop_split_by_shares():
    r = rows(("a.csv", 5, "A", D(2026, 10, 1), 10, 100.10),
             ("a.csv", 6, "A", D(2026, 10, 2), 20, 200.20),
             ("b.csv", 5, "B", D(2026, 10, 1), 51, 100.05),
             ("b.csv", 6, "B", D(2026, 10, 2), 50, None),  # a blank: nothing, not 0
             ("c.csv", 5, "C", D(2026, 10, 1), 7, 70.0))
    out = combine(r, OWNERS, default_scheme())
    # shop B: visitors 101 → E1 0.6 × 101 = 60.6, E2 40.4: whole visitors, the remainder to the larger fraction
    assert out.values.loc["E1", "uv"] == 30 + 61 and out.values.loc["E2", "uv"] == 40
    # sales 100.05 → 60.03 and 40.02 in cents (60.03 + 40.02 = 100.05)
    assert out.values.loc["E1", "sales_actual"] == pytest.approx(300.30 + 60.03, abs=1e-9)
    assert out.values.loc["E2", "sales_actual"] == pytest.approx(40.02, abs=1e-9)
    assert out.origin[("E1", "uv")] == ("a.csv", "b.csv") and out.origin[("E2", "sales_actual")] == ("b.csv",)
    c = out.shops[out.shops.shop == "C"].set_index("field")
    assert not c["owned"].any() and c.at["visitors", "total"] == 7 and c.at["sales", "total"] == 70
    b = out.shops[(out.shops.shop == "B") & (out.shops.field == "visitors")].iloc[0]
    assert b.days == 2 and b.owned and b.files == ("b.csv",)
    assert out.conflicts.empty and out.duplicates == 0


def test_the_same_shop_and_day_twice_is_a_duplicate_when_equal_and_a_conflict_when_not():
    r = rows(("a.csv", 5, "A", D(2026, 10, 1), 10, 100.0),
             ("a2.csv", 9, "A", D(2026, 10, 1), 10, 101.0),  # same visitors (duplicate), other sales (conflict)
             ("b.csv", 5, "B", D(2026, 10, 1), 50, 10.0))
    out = combine(r, OWNERS, default_scheme())
    assert out.duplicates == 1
    assert out.values.loc["E1", "uv"] == 10 + 30  # the duplicate counted once
    assert len(out.conflicts) == 1
    c = out.conflicts.iloc[0]
    assert (c.shop, c.date, c.field, c.file, c.row, c.value, c.other_file, c.other_row, c.other_value) == (
        "A", D(2026, 10, 1), "sales", "a.csv", 5, 100.0, "a2.csv", 9, 101.0)
    assert ("E1", "sales_actual") in out.blocked and math.isnan(out.values.loc["E1", "sales_actual"])
    assert out.values.loc["E2", "sales_actual"] == 4.0  # E2 does not own A: not blocked


def test_a_file_without_dates_is_one_value_per_shop():
    r = rows(("q.csv", 4, "A", None, 500, 1000.0), ("q2.csv", 4, "A", None, 400, 1000.0))
    out = combine(r, OWNERS, default_scheme())
    assert len(out.conflicts) == 1 and out.duplicates == 1  # visitors differ, sales agree


@pytest.mark.parametrize(("total", "shares", "unit", "parts"), [
    (101, [0.6, 0.4], 1, [61, 40]),
    (100, [1 / 3, 1 / 3, 1 / 3], 1, [34, 33, 33]),
    (100.05, [0.5, 0.5], 0.01, [50.03, 50.02]),
    (-7, [0.5, 0.5], 1, [-3, -4]),
    (10, [0.25, 0.75], 0, [2.5, 7.5]),
])
def test_apportion_adds_up_to_the_total(total, shares, unit, parts):
    got = apportion(pd.Series(["s"] * len(shares)), pd.Series([total] * len(shares)), pd.Series(shares), unit)
    assert got.tolist() == pytest.approx(parts) and sum(got) == pytest.approx(total)


def test_recompute_computes_a_rate_from_summed_parts_and_ignore_never_sums():
    data = default_scheme_data()
    data["inputs"] = data["inputs"] + [{"id": "platform_conversion", "name_zh": "平台转化率", "name_en": "Platform conversion",
                                        "kind": "rate", "owner": "sales_traffic"}]
    data["sources"] = [s for s in data["sources"] if s["field"] != "conversion"] + [
        {"field": "conversion", "use": "recompute", "headers": ["支付转化率"], "input": "platform_conversion",
         "formula": "buyers / visitors"}]
    scheme = scheme_from_dict(data)
    r = pd.DataFrame({"file": "a.csv", "row": [5, 6], "shop": "A", "date": [D(2026, 10, 1), D(2026, 10, 2)],
                      "visitors": [100.0, 300.0], "buyers": [3.0, 5.0], "conversion": [0.03, 0.0167]})
    out = combine(r, OWNERS, scheme)
    assert out.values.loc["E1", "platform_conversion"] == pytest.approx(8 / 400)  # not 0.03 + 0.0167
    assert out.origin[("E1", "platform_conversion")] == ("a.csv",)
    out = combine(r, OWNERS, default_scheme())  # the default ignores 支付转化率 and writes no buyers
    assert list(out.values.columns) == ["uv"]


# ---------------------------------------------------------------- the scheme section
def test_a_scheme_without_the_section_reads_the_shipped_lines_and_an_empty_one_has_none():
    data = default_scheme_data()
    shipped = default_scheme().sources
    assert len(shipped) > 20
    assert scheme_from_dict({k: v for k, v in data.items() if k != "sources"}).sources == shipped
    assert scheme_from_dict(dict(data, sources=[])).sources == ()


@pytest.mark.parametrize(("line", "key_part"), [
    ({"field": "x", "use": "average", "headers": ["X"]}, "未知用法"),
    ({"field": "x", "headers": []}, "至少一个表头"),
    ({"field": "x", "headers": ["访客数"], "input": "uv"}, "已用于字段 visitors"),
    ({"field": "x", "headers": ["X"], "input": "name"}, "不是数值列"),
    ({"field": "x", "headers": ["X"], "input": "nope"}, "不存在"),
    ({"field": "x", "use": "date", "headers": ["X"], "input": "uv"}, "不能写入输入列"),
    ({"field": "x", "use": "recompute", "headers": ["X"], "input": "uv", "formula": "buyers / nope"}, "nope"),
    ({"field": "x y", "headers": ["X"]}, "字母、数字"),
    ({"field": "visitors", "headers": ["访客数2"], "input": "pv"}, "相同的用法"),
    ({"field": "x", "headers": ["X"], "colour": "red"}, "字段有误"),
])
def test_every_bad_line_is_named(line, key_part):
    data = default_scheme_data()
    with pytest.raises(SchemeError) as info:
        scheme_from_dict(dict(data, sources=data["sources"] + [line]))
    assert any(key_part in i.message_zh and i.item.startswith("sources.") for i in info.value.issues), info.value.zh


def test_the_fingerprint_covers_the_export_columns():
    data = default_scheme_data()
    changed = dict(data, sources=data["sources"][:-1])
    assert scheme_from_dict(changed).fingerprint() != default_scheme().fingerprint()
    assert np.isfinite(len(default_scheme().to_dict()["sources"]))
