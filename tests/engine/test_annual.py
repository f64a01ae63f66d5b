"""kpi_engine.annual: the year from its periods' final totals, against hand-worked numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kpi_engine import RollupError, annual, default_scheme, scheme_from_dict
from kpi_engine.model import MISSING_PERIODS

NAN = math.nan
QUARTERS = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def totals(rows: dict[str, list[float]], columns: list[str] = QUARTERS) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def with_sections(**sections) -> object:
    data = default_scheme().to_dict()
    data.update(sections)
    return scheme_from_dict(data)


def test_four_quarters_weigh_alike_and_a_missing_quarter_is_renormalised_and_flagged() -> None:
    year = annual(totals({"A": [80, 90, 70, 100], "B": [60, NAN, 90, NAN], "C": [NAN] * 4}), default_scheme())
    assert year.at["A", "annual_total"] == pytest.approx(85.0)  # (80 + 90 + 70 + 100) / 4
    assert year.at["A", "annual_grade"] == "A"  # 85 is A's floor
    assert year.at["A", "flags"] == [] and year.at["A", "periods"] == 4
    assert year.at["B", "annual_total"] == pytest.approx(75.0)  # (60 + 90) / 2: the weights scaled up
    assert year.at["B", "missing"] == ("2026-Q2", "2026-Q4") and year.at["B", "periods"] == 2
    assert MISSING_PERIODS in year.at["B", "flags"]
    assert math.isnan(year.at["C", "annual_total"]) and year.at["C", "annual_grade"] is None


def test_period_weights_are_scheme_data() -> None:
    scheme = with_sections(period_weights={"Q4": 2.0})
    year = annual(totals({"A": [80, 90, 70, 100], "B": [60, 90, 90, NAN]}), scheme)
    assert year.at["A", "annual_total"] == pytest.approx((80 + 90 + 70 + 2 * 100) / 5)  # 88: Q4 counts double
    assert year.at["B", "annual_total"] == pytest.approx(80.0)  # Q4 missing: (60 + 90 + 90) / 3


def test_months_and_quarters_mix_by_the_months_they_cover() -> None:
    year = annual(totals({"A": [60, 100]}, ["2026-01", "2026-Q2"]), default_scheme())
    assert year.at["A", "annual_total"] == pytest.approx((60 * 1 + 100 * 3) / 4)  # 90


def test_trend_compares_the_last_period_present_with_the_first() -> None:
    year = annual(totals({"up": [60, 50, 40, 62], "down": [90, NAN, 95, 87.5], "flat": [80, 70, 90, 81],
                          "one": [NAN, 70, NAN, NAN]}), default_scheme())
    assert year["trend"].head(3).to_dict() == {"up": "rising", "down": "falling", "flat": "steady"}
    assert pd.isna(year.at["one", "trend"])  # one period: no trend


def test_a_flag_needs_its_condition_in_consecutive_periods() -> None:
    held = totals({"A": [True, True, False, False], "B": [True, False, True, False], "C": [False, False, True, True]})
    year = annual(totals({k: [80] * 4 for k in "ABC"}), default_scheme(), {"sales_low_consecutive": held})
    assert year["flags"].to_dict() == {"A": ["sales_low_consecutive"], "B": [], "C": ["sales_low_consecutive"]}


@pytest.mark.parametrize("columns", [["2026-Q1", "2025-Q2"], ["2026-Q1", "2026-02"], ["2026"]])
def test_periods_that_are_not_one_year_are_refused(columns: list[str]) -> None:
    with pytest.raises(RollupError):
        annual(totals({"A": [80] * len(columns)}, columns), default_scheme())
