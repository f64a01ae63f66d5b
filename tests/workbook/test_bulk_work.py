"""Compute makes millions of objects: inside it the cycle collector runs every YOUNG_OBJECTS new
objects instead of every 700, and whatever thresholds the process had are back afterwards —
after an error too (the add-in lives inside Excel's process and must leave it as it found it)."""

from __future__ import annotations

import gc

import pytest
from support.workbooks import sample_workbook

from kpi_workbook.commands.files import compute_file
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
    with pytest.raises(ZeroDivisionError), bulk_work():
        1 / 0
    assert gc.get_threshold() == (700, 10, 10)


def test_compute_runs_with_fewer_collections_and_leaves_the_process_as_it_was(thresholds, tmp_path):
    book = sample_workbook(tmp_path)
    seen = []
    compute_file(book, out=tmp_path / "out.xlsx", progress=lambda msg, frac: seen.append(gc.get_threshold()[0]))
    assert seen and set(seen) == {YOUNG_OBJECTS}
    assert gc.get_threshold() == (700, 10, 10)
