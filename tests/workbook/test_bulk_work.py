"""Compute makes millions of objects: inside it the cycle collector runs every YOUNG_OBJECTS new
objects instead of every 700, and whatever thresholds the process had are back afterwards —
after an error too (the add-in lives inside Excel's process and must leave it as it found it)."""

from __future__ import annotations

import gc

import pytest
from support.workbooks import sample_workbook

from kpi_workbook.commands.files import compute_file
from kpi_workbook.pipeline import WorkbookError
from kpi_workbook.pipeline.bulk import YOUNG_OBJECTS, bulk_work


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_inside_fewer_collections_and_the_thresholds_restored_after(thresholds):
    with bulk_work():
        assert gc.get_threshold() == (YOUNG_OBJECTS, 10, 10)
        with bulk_work():  # nested: still the bulk thresholds, then the outer's again
            assert gc.get_threshold() == (YOUNG_OBJECTS, 10, 10)
        assert gc.get_threshold() == (YOUNG_OBJECTS, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_process_that_collects_less_often_already_keeps_its_own(thresholds):
    gc.set_threshold(YOUNG_OBJECTS * 5, 20, 30)
    with bulk_work():
        assert gc.get_threshold() == (YOUNG_OBJECTS * 5, 20, 30)
    assert gc.get_threshold() == (YOUNG_OBJECTS * 5, 20, 30)


def test_restored_after_an_error(thresholds):
    with pytest.raises(ValueError, match="bad row"), bulk_work():
        raise ValueError("bad row")
    assert gc.get_threshold() == (700, 10, 10)


def test_compute_runs_with_fewer_collections_and_leaves_the_process_as_it_was(thresholds, tmp_path):
    book = sample_workbook(tmp_path)
    seen = []
    compute_file(book, out=tmp_path / "out.xlsx", progress=lambda msg, frac: seen.append(gc.get_threshold()[0]))
    assert seen and set(seen) == {YOUNG_OBJECTS}
    assert gc.get_threshold() == (700, 10, 10)


def test_the_other_commands_that_make_whole_workbooks_run_with_fewer_collections(thresholds, tmp_path, monkeypatch):
    """kpi new, next-period, fill and rollup: each records the thresholds at its heaviest step."""
    import kpi_workbook.commands.files as files
    import kpi_workbook.commands.fill as fill
    import kpi_workbook.commands.rollup as rollup
    import kpi_workbook.sheets.book as book

    seen: dict[str, int] = {}

    def spy(name, real):
        def call(*args, **kwargs):
            seen[name] = gc.get_threshold()[0]
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(book, "save_workbook", spy("new", book.save_workbook))
    monkeypatch.setattr(files, "build_next", spy("next", files.build_next))
    monkeypatch.setattr(fill, "plan_fill", spy("fill", fill.plan_fill))
    monkeypatch.setattr(rollup, "open_period", spy("rollup", rollup.open_period))
    new = book.write_new(tmp_path / "new.xlsx", "2026-Q4")
    files.next_period_file(new, tmp_path / "next.xlsx")
    fill.fill_workbook(new, [], out=tmp_path / "filled.xlsx")  # no export: nothing to write
    with pytest.raises(WorkbookError):  # a book never computed is refused, after it was read
        rollup.rollup_files([new], tmp_path / "year.xlsx")
    assert seen == {"new": YOUNG_OBJECTS, "next": YOUNG_OBJECTS, "fill": YOUNG_OBJECTS, "rollup": YOUNG_OBJECTS}
    assert gc.get_threshold() == (700, 10, 10)
