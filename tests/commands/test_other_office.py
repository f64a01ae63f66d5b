"""WPS Office and other suites (issue 14 item 7): the workbook and the command line work with a
file another office suite has opened and saved; LibreOffice stands in for WPS, which is not
available here (docs/install-windows.md says what works there and what does not).

One conversion for the module: the computed sample saved by LibreOffice, as HR would after
typing in WPS. `kpi validate` finds the same problems at the same cells, and `kpi compute` gives
every employee the total the original gave, writing its results over the suite's copy of them.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from support.lo import convert
from support.workbooks import sample_workbook

from kpi_workbook.commands.files import compute_file
from kpi_workbook.pipeline import FileSource, compute, read_meta, validate


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("other_office")
    original = sample_workbook(folder, name="book.xlsx")
    compute_file(original)  # a computed book: the suite must keep its result sheets and meta too
    saved = convert(original, folder / "saved_by_lo")
    return original, saved


def totals(path: Path) -> dict[str, float]:
    with FileSource(path) as source:
        outcome = compute(source)
    return {k: v for k, v in outcome.result.total.items()}


def test_validate_finds_the_same_problems_in_the_suites_copy(books):
    original, saved = books
    with FileSource(original) as a, FileSource(saved) as b:
        before = sorted((p.sheet, p.cell, p.problem) for p in validate(a))
        after = sorted((p.sheet, p.cell, p.problem) for p in validate(b))
    assert before and after == before


def test_compute_gives_the_same_totals_on_the_suites_copy(books, tmp_path):
    original, saved = books
    want, got = totals(original), totals(saved)
    assert set(got) == set(want) and len(want) == 60
    for eid, total in want.items():
        assert (math.isnan(total) and math.isnan(got[eid])) or math.isclose(got[eid], total, abs_tol=1e-9), eid


def test_compute_writes_over_its_own_results_in_the_suites_copy(books, tmp_path):
    """The very hidden meta sheet (which sheets compute owns, the period) survives the suite, so
    computing its copy refreshes the result sheets instead of refusing them as HR's."""
    _, saved = books
    with FileSource(saved) as source:
        meta = read_meta(source)
    assert meta.get("period") == "2026-Q4" and "得分" in meta.get("owned_sheets", "")
    out = tmp_path / "recomputed.xlsx"
    outcome = compute_file(saved, out)
    assert outcome.summary.headcount == 60
