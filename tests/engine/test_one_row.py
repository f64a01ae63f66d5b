"""The one-row fast path (kpi_engine.one_row, what the cell functions use) gives exactly the values
``score`` gives the same row in a table, and both agree with the scalar reference; scoring a table
block by block gives what one block gives.

Rows are random employees (tests/support/reference.random_employee: many values on thresholds,
some blank), and the same rows with hostile cells typed in: numbers as text ("85%", "1,200",
full-width digits), Excel errors, booleans, dashes, values out of range, relations broken.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from support.reference import PERIODS, random_employee, reference_score

from kpi_engine import default_scheme, score, scoring
from kpi_engine.one_row import row_problems, score_one

SCHEME = default_scheme()
HOSTILE = ["#N/A", "85%", " 12 ", "abc", True, -5, 1e300, float("inf"), "", "-", "nan", "1,200", "３０", None, 2.5,
           "#DIV/0!", 0, "0.05", "1e3", "¥2,000", "243万", "3.0", "FMCG", "快消品", "服装", "Books", "—"]


def random_rows(seed: int, n: int, blank_rate: float = 0.03) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [random_employee(rng, i, blank_rate) for i in range(n)]


def hostile_rows(seed: int, n: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = random_rows(seed + 1, n, blank_rate=0.2)
    columns = list(rows[0])
    for row in rows:
        for _ in range(int(rng.integers(0, 4))):
            col = columns[1 + int(rng.integers(len(columns) - 1))]  # never the id
            row[col] = HOSTILE[int(rng.integers(len(HOSTILE)))]
    return rows


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def mismatches(rows: list[dict], period: str) -> list[str]:
    """Every difference between score_one on each row and score on all the rows as one table."""
    table = score(pd.DataFrame(rows).astype(object), period=period)
    out = []
    for row in rows:
        eid = row["employee_id"]
        fast = score_one(row, SCHEME, period)
        assert fast is not None and fast.employee_id == eid
        for ind in table.scores.columns:
            if not same(fast.scores[ind], table.scores.at[eid, ind]):
                out.append(f"{eid} {ind}: one row {fast.scores[ind]!r}, table {table.scores.at[eid, ind]!r}")
            if not same(fast.points[ind], table.points.at[eid, ind]):
                out.append(f"{eid} {ind} points: one row {fast.points[ind]!r}, table {table.points.at[eid, ind]!r}")
        if not same(fast.total, table.total[eid]) or fast.grade != table.grade[eid]:
            out.append(f"{eid} total: one row {fast.total!r}/{fast.grade}, table {table.total[eid]!r}/{table.grade[eid]}")
        if fast.flags != table.flags[eid]:
            out.append(f"{eid} flags: one row {fast.flags}, table {table.flags[eid]}")
        reported = set(table.problems.loc[table.problems["employee_id"] == eid, "field"])
        if not set(fast.rejected) <= reported:
            out.append(f"{eid} rejected {fast.rejected}, table reports {sorted(reported)}")
    return out


@pytest.mark.parametrize("period", list(PERIODS))
def test_one_row_equals_the_table_on_random_rows(period):
    bad = mismatches(random_rows(20261130, 600), period)
    assert not bad, f"{len(bad)} differences, first: " + "\n".join(bad[:10])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_row_equals_the_table_on_hostile_rows(seed):
    rows = hostile_rows(seed, 400)
    bad = mismatches(rows, "2026-Q4")
    assert not bad, f"{len(bad)} differences, first: " + "\n".join(bad[:10])
    # the hostile cells really reach the checks: rejected values, blanks and complete rows all occur
    fast = [score_one(r, SCHEME, "2026-Q4") for r in rows]
    assert sum(bool(f.rejected) for f in fast) > 100
    assert sum(math.isnan(f.total) for f in fast) > 100
    assert sum(not math.isnan(f.total) for f in fast) > 20


def test_one_row_equals_the_reference():
    for row in random_rows(7, 500):
        ref, fast = reference_score(row, 3), score_one(row, SCHEME, "2026-Q4")
        for ind, want in ref["scores"].items():
            got = fast.scores[ind]
            assert (want is None and math.isnan(got)) or abs(got - want) < 1e-9, (row["employee_id"], ind, got, want)
        assert fast.flags == ref["flags"]


def test_absent_columns_and_one_row_frames():
    """A row with only some inputs (KPI_SALES_SCORE's three cells) scores what it can, as a
    one-row frame of the same cells does; a row without a usable id is left to score."""
    row = {"employee_id": "E9", "sales_actual": 1_080_000.0, "sales_target": 1_000_000.0}
    fast = score_one(row, SCHEME, "2026-Q4")
    full = score(pd.DataFrame([row]), period="2026-Q4")
    assert fast.scores["sales_achievement"] == full.scores.at["E9", "sales_achievement"] == pytest.approx(108)
    assert all(same(fast.scores[i], full.scores.at["E9", i]) for i in full.scores.columns)
    assert math.isnan(fast.total) and fast.grade is None
    assert score_one({"employee_id": None, "uv": 5.0}, SCHEME, "2026-Q4") is None
    assert score_one({"employee_id": "#REF!"}, SCHEME, "2026-Q4") is None


def test_blocks_give_what_one_block_gives(monkeypatch):
    """Scoring 7 rows at a time gives the same frames, problems and reasons as one block."""
    frame = pd.DataFrame(hostile_rows(11, 120) + random_rows(12, 80)).astype(object)
    whole = score(frame, period="2026-H2")
    monkeypatch.setattr(scoring, "BLOCK_ROWS", 7)
    blocks = score(frame, period="2026-H2")
    for name in ("scores", "points", "groups", "metrics", "problems", "deductions", "guide"):
        pd.testing.assert_frame_equal(getattr(whole, name), getattr(blocks, name), check_exact=True)
    for name in ("total", "grade", "flags"):
        pd.testing.assert_series_equal(getattr(whole, name), getattr(blocks, name), check_exact=True)
    assert len(whole.problems) > 100


def same_value(a, b) -> bool:
    return a is b or a == b or (pd.isna(a) and pd.isna(b)) if not isinstance(a, (list, tuple)) else a == b


def problem_mismatches(rows: list[dict], period: str = "2026-Q4", lang: str = "zh") -> tuple[list[str], int]:
    """Every difference between row_problems and score's problems table of each row as a one-row
    table (what a cell function answered before), and how many rows had problems."""
    out, with_problems = [], 0
    for row in rows:
        want = score(pd.DataFrame([row]), period=period, lang=lang).problems.to_dict("records")
        fast = score_one(row, SCHEME, period)
        got = row_problems(fast, row, SCHEME, period, lang)
        with_problems += bool(want)
        if len(got) != len(want) or not all(
                set(g) == set(w) and all(same_value(g[k], w[k]) for k in w) for g, w in zip(got, want)):
            out.append(f"{row['employee_id']}: one row {got}, table {want}")
    return out, with_problems


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_row_problems_are_the_tables_on_rows_with_blanks_and_zeros(lang):
    """Rows with blank cells and zero denominators (what the gaps say) and absent columns: the same
    problem rows, texts and order as score on the row as a table."""
    rng = np.random.default_rng(20261202)
    rows = random_rows(5, 150, blank_rate=0.15)
    columns = list(rows[0])
    for row in rows:
        for _ in range(int(rng.integers(0, 3))):
            row[columns[1 + int(rng.integers(len(columns) - 1))]] = 0
        if rng.random() < 0.1:  # a column the row does not have at all
            del row[columns[1 + int(rng.integers(len(columns) - 1))]]
    bad, with_problems = problem_mismatches(rows, lang=lang)
    assert not bad, f"{len(bad)} differences, first: " + "\n".join(bad[:3])
    assert with_problems > 50


def test_row_problems_are_the_tables_on_hostile_rows():
    bad, with_problems = problem_mismatches(hostile_rows(4, 150))
    assert not bad, f"{len(bad)} differences, first: " + "\n".join(bad[:3])
    assert with_problems > 50
