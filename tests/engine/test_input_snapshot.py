"""``score`` reads the caller's number columns without copying them where pandas copies on write
(kpi_engine.inputs keeps their Series alive): what a result builds later (problems, reasons, flags)
must still be worked out from the values as they were when scored, and the caller's frame must
never be changed by scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal, assert_series_equal
from support.reference import random_employee

from kpi_engine import score


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(13)
    return pd.DataFrame([random_employee(rng, i) for i in range(300)])


def test_results_built_after_the_callers_frame_changes_are_the_scored_values():
    df = _frame()
    want = score(df.copy(deep=True), period="2026-Q4")
    got = score(df, period="2026-Q4")
    floats = [c for c in df.columns if df[c].dtype == np.float64]
    assert len(floats) > 10
    # the caller edits their frame in place after scoring (every float cell, through pandas)
    for col in floats:
        df.loc[:, col] = -1.0
    df.iloc[0, df.columns.get_loc(floats[0])] = np.nan
    assert_frame_equal(got.problems, want.problems)
    assert_frame_equal(got.deductions, want.deductions)
    assert_frame_equal(got.guide, want.guide)
    assert_series_equal(got.flags, want.flags)
    assert got.explain("R00007", "sales_achievement") == want.explain("R00007", "sales_achievement")


def test_scoring_leaves_the_callers_frame_as_it_was():
    df = _frame()
    before = df.copy(deep=True)
    result = score(df, period="2026-Q4")
    result.problems, result.deductions, result.guide, result.flags  # noqa: B018
    assert_frame_equal(df, before)
