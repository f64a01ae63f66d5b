"""The engine on hostile frames: whatever a spreadsheet, a BI export or a script hands it.

Columns of the default scheme are filled with draws from NaN, ±inf, huge and negative
numbers, text, Excel error strings, booleans, dates and None; frames may be empty, have one
row, duplicate ids or ids as floats. ``score`` must never raise (the frame has an
employee_id column), every problem row must carry a known code and name a field, and totals
and points must be finite or NaN, never ±inf; no numpy RuntimeWarning escapes. (A problem about a whole indicator names that
indicator in ``field`` and ``indicator``.)
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_engine import default_scheme, score
from kpi_engine.problems import CODES as MESSAGES  # the stable problem codes
from kpi_engine.problems import COLUMNS

SCHEME = default_scheme()
FIELDS = [f.id for f in SCHEME.inputs if f.id != "employee_id"]
KNOWN_FIELDS = {f.id for f in SCHEME.inputs}
INDICATORS = {i.id for i in SCHEME.indicators}

hostile_value = st.one_of(
    st.just(math.nan), st.just(math.inf), st.just(-math.inf), st.just(1e300), st.just(-1e300), st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**20, 10**20),
    st.integers(-5, 5),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.booleans(),
    st.sampled_from(["", "  ", "abc", "#DIV/0!", "#N/A", "85%", "1,200", "¥1,000", "-3", "1e400", "nan", "inf",
                     "=1+1", "待补充", "TRUE"]),
    st.text(max_size=6),
    st.just(dt.datetime(2026, 10, 1)),
    st.just(np.float64("nan")), st.just(np.int64(7)),
)
hostile_id = st.one_of(
    st.sampled_from(["E1", "E2", "E1 ", " e1"]),  # duplicates (after trimming) are likely
    st.integers(0, 3).map(float),  # ids as floats: 1.0 is '1'
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-3, 3),
    st.none(),
    st.just(""),
    st.booleans(),
    st.text(max_size=4),
)


@st.composite
def hostile_frame(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 6))
    chosen = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=len(FIELDS)))
    all_fields = draw(st.booleans())
    cols = FIELDS if all_fields else chosen
    data = {"employee_id": [draw(hostile_id) for _ in range(n)]}
    for col in cols:
        kind = draw(st.sampled_from(["mixed", "constant", "plain"]))
        if kind == "constant":  # a whole column of one hostile value (all-NaN, all-inf, all-text…)
            v = draw(hostile_value)
            data[col] = [v] * n
        elif kind == "plain":  # a clean numeric column, so that real scoring paths run too
            data[col] = [draw(st.floats(0, 1e6, allow_nan=False)) for _ in range(n)]
        else:
            data[col] = [draw(hostile_value) for _ in range(n)]
    frame = pd.DataFrame(data)
    if n and draw(st.booleans()):  # let pandas infer dtypes (float64, bool, object) as a reader would
        frame = frame.infer_objects()
    return frame


def check(result, frame: pd.DataFrame) -> None:
    probs = result.problems
    assert list(probs.columns) == COLUMNS
    assert set(probs["code"]) <= set(MESSAGES), set(probs["code"]) - set(MESSAGES)
    # a field of the input, or (for a problem about a whole indicator) that indicator
    names = [f in KNOWN_FIELDS or (f in INDICATORS and f == ind) for f, ind in zip(probs["field"], probs["indicator"])]
    assert all(names), probs.loc[[not ok for ok in names], ["field", "code"]].to_dict("records")
    assert probs["problem"].map(lambda t: isinstance(t, str) and t.strip() != "").all()
    total = result.total.to_numpy(dtype=float)
    assert not np.isinf(total).any(), total
    points = result.points.to_numpy(dtype=float)
    assert not np.isinf(points).any()
    scores = result.scores.to_numpy(dtype=float)
    assert not np.isinf(scores).any()
    assert len(result.total) <= len(frame)
    assert result.total.index.is_unique
    assert set(result.grade.dropna()) <= {g for g, _ in SCHEME.grades}
    for eid in result.total.index:  # every scored employee can be explained
        if not math.isnan(result.total[eid]):
            result.explain(eid, SCHEME.indicators[0].id)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no numpy overflow/invalid warning reaches the user either
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(frame=hostile_frame(), lang=st.sampled_from(["zh", "en"]))
def test_score_never_raises_on_hostile_frames(frame, lang):
    check(score(frame, lang=lang), frame)


def test_empty_frame_with_only_an_id_column():
    result = score(pd.DataFrame({"employee_id": []}))
    assert result.total.empty and set(result.problems["code"]) == {"missing_column"}


def test_one_row_of_every_hostile_value_at_once():
    values = [math.nan, math.inf, -math.inf, 1e300, -5, "abc", True, None, "#N/A", dt.datetime(2026, 1, 1)]
    frame = pd.DataFrame([{"employee_id": 1001.0, **{f: values[i % len(values)] for i, f in enumerate(FIELDS)}}])
    result = score(frame)
    check(result, frame)
    assert list(result.total.index) == ["1001"]  # an id typed as a number is text '1001'
    assert math.isnan(result.total["1001"])
    codes = set(result.problems["code"])
    assert {"not_a_number", "excel_error"} <= codes


def test_duplicate_and_float_ids_are_reported_not_scored():
    frame = pd.DataFrame({"employee_id": [7.0, "7", " 7 ", 8.0, None], "sales_target": [1.0] * 5})
    result = score(frame)
    check(result, frame)
    probs = result.problems
    assert sorted(probs.loc[probs["code"] == "duplicate_id", "row"].tolist()) == [0, 1, 2]
    assert probs.loc[probs["code"] == "blank_id", "row"].tolist() == [4]
    assert list(result.total.index) == ["7", "8"]
    assert math.isnan(result.total["7"])


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_near_zero_denominator_scores_without_overflow_warnings():
    """sales_actual typed as 1E-300: the cost ratios become vast; rules.score_from_deduction overflowed."""
    from support.rows import E001

    frame = pd.DataFrame([dict(E001, sales_actual=1e-300), dict(E001, employee_id="E002", promotion_cost=1e15)])
    result = score(frame)
    check(result, frame)


def test_huge_values_never_overflow_into_inf():
    frame = pd.DataFrame([{"employee_id": "E1", **{f: 1e300 for f in FIELDS}},
                          {"employee_id": "E2", **{f: 1e14 for f in FIELDS}}])
    result = score(frame)
    check(result, frame)
    assert (result.problems.loc[result.problems["employee_id"] == "E1", "code"] == "above_max").any()


def test_absent_optional_columns_are_reported_as_missing_columns():
    from support.rows import E001

    row = {k: v for k, v in E001.items() if k not in ("rating_design", "rating_cs", "rating_logistics")}
    probs = score(pd.DataFrame([row])).problems
    assert "not_computable" not in set(probs["code"])
    assert {"rating_design", "rating_cs", "rating_logistics"} <= set(probs.loc[probs["code"] == "missing_column", "field"])
