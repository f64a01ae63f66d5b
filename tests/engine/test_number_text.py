"""Numbers typed as text, and blanks typed as text: the product's one reading of each
(kpi_engine.numbers.parse_number and is_blank_text), and what scoring makes of them.

The behaviour this reading changed on purpose (issue 9): a dash in a number cell is a blank (it
was "not a number"), and full-width percent signs and the units 万 and 亿 are read.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from support.rows import E001

from kpi_engine import parse_number, score
from kpi_engine.numbers import blank_text_mask, is_blank_text


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1200", 1200.0),
        ("¥1,000", 1000.0),
        ("￥1,000", 1000.0),
        ("1,234.5", 1234.5),
        ("1，234", 1234.0),  # a full-width comma
        ("85%", 0.85),
        ("3.02％", 0.0302),
        ("７２０２", 7202.0),
        ("８５％", 0.85),
        ("－３．５", -3.5),
        ("１，２３４", 1234.0),
        ("243万", 2_430_000.0),
        ("1.2亿", 120_000_000.0),
        ("  85 %  ", 0.85),
        ("\u3000８５％\u3000", 0.85),  # ideographic spaces around
        ("-5%", -0.05),
        ("+3", 3.0),
        ("1e3", 1000.0),
        ("1,234.50元", 1234.5),  # exports that write the unit after the number
        ("1.2万元", 12_000.0),
        ("¥88 元", 88.0),
    ],
)
def test_number_text_is_read(text, number):
    assert parse_number(text) == number  # exactly: 85% is the float 0.85, as if 0.85 were typed


@pytest.mark.parametrize("text", ["", "  ", "-", "—", "--", "nan", "abc", "%", "万", "1e400", "inf", "-inf", "NaN%",
                                  "1.2.3", "85%%", "5%万", "12 34", "#N/A", "待补充", "1e999999999999999999%",
                                  "元", "万元", "1元元"])
def test_text_that_is_not_a_number_is_none(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(("value", "number"), [(3, 3.0), (2.5, 2.5), (np.int64(7), 7.0), (np.float64(0.5), 0.5)])
def test_numbers_are_taken_as_they_are(value, number):
    assert parse_number(value) == number


@pytest.mark.parametrize("value", [True, False, None, math.nan, math.inf, 10**400, pd.Timestamp("2026-11-01"), [1]])
def test_what_is_not_a_finite_number_is_none(value):
    assert parse_number(value) is None


@pytest.mark.parametrize("text", ["", "   ", "\u3000", "-", "—", "--", " - ", "nan", " NaN ", "NAN"])
def test_blank_text(text):
    assert is_blank_text(text)


@pytest.mark.parametrize("value", ["0", "a", "---", "-1", None, math.nan, 0, "nan%"])
def test_not_blank_text(value):
    assert not is_blank_text(value)


def test_a_dash_is_a_value_where_dashes_are_not_blank():
    assert not is_blank_text("-", dashes=False) and not is_blank_text("—", dashes=False)
    assert is_blank_text(" ", dashes=False) and is_blank_text("nan", dashes=False)


def test_blank_text_mask_is_is_blank_text_for_a_column():
    column = ["", " - ", "—", "nan", "x", None, 0, "--", "0"]
    for dashes in (True, False):
        assert blank_text_mask(column, dashes=dashes).tolist() == [is_blank_text(v, dashes=dashes) for v in column]


@pytest.mark.parametrize("dash", ["-", "—", "--"])
def test_a_dash_in_a_number_cell_is_a_blank(dash):
    """As if the cell were empty: the indicators that need it are "missing" it, no "not a number"."""
    blank = score(pd.DataFrame([dict(E001, pv=None, knowledge_docs=None)]))
    dashed = score(pd.DataFrame([dict(E001, pv=dash, knowledge_docs=dash)]))
    keys = ["employee_id", "field", "code", "problem"]
    assert dashed.problems[keys].to_dict("records") == blank.problems[keys].to_dict("records")
    assert "not_a_number" not in set(dashed.problems.code)
    assert set(dashed.problems.code) == {"missing"} and "pv" in set(dashed.problems.field)
    pd.testing.assert_frame_equal(dashed.scores, blank.scores)


def test_a_dash_in_a_choice_column_is_still_a_value():
    """品类 is an open choice: a dash there is a word (looked up as "other"), not a blank cell."""
    result = score(pd.DataFrame([dict(E001, category="-")]))
    assert result.problems.empty
    assert not math.isnan(result.scores.loc["E001", "inventory_turnover"])


def test_full_width_and_chinese_units_score_like_plain_numbers():
    typed = dict(E001, resources_ready_rate="８８％", sales_actual="108万", sales_target="0.01亿", pv="５６０,０００",
                 industry_conversion="3％")
    result = score(pd.DataFrame([typed]))
    assert result.problems.empty
    plain = score(pd.DataFrame([E001]))
    pd.testing.assert_frame_equal(result.scores, plain.scores)
    assert result.total["E001"] == plain.total["E001"]
