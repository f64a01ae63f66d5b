"""The result rows reach HR's book two ways: written into a whole donor workbook first
(:func:`build_donor`, as ``kpi rollup`` writes its book), or streamed straight into HR's package
by the transplant with the merged style numbers (``kpi compute``: the donor holds only header
and probe rows). Both ways must give the same package, part for part, byte for byte."""

from __future__ import annotations

import zipfile

from support.workbooks import sample_workbook, sheet_values

from kpi_workbook.commands.files import open_source
from kpi_workbook.ooxml import transplant_sheets
from kpi_workbook.pipeline import compute
from kpi_workbook.pipeline.layout import layout
from kpi_workbook.sheets import build_donor, donor_frame


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def test_rows_streamed_by_the_transplant_equal_a_whole_donor_transplanted(tmp_path):
    book = sample_workbook(tmp_path)
    with open_source(book) as source:
        outcome = compute(source)
    states = {b.sheet: b.state for b in outcome.blocks}

    whole = tmp_path / "whole_donor.xlsx"
    build_donor(outcome.blocks, whole)
    by_whole = tmp_path / "by_whole.xlsx"
    transplant_sheets(book, whole, outcome.owned, by_whole, states=states)

    frame = tmp_path / "frame_donor.xlsx"
    rows = donor_frame(outcome.blocks, frame)
    streamed = tmp_path / "streamed.xlsx"
    transplant_sheets(book, frame, outcome.owned, streamed, states=states, rows=rows)

    scores = layout().sheet("scores")
    data_rows = len(rows[scores].rows) - rows[scores].first + 1
    assert data_rows >= 10  # the frame holds none of these: they came from ``rows``
    assert len(sheet_values(frame, scores)) <= rows[scores].first  # header and probe rows only
    assert len(sheet_values(streamed, scores)) == len(rows[scores].rows)
    a, b = _members(by_whole), _members(streamed)
    assert list(a) == list(b)
    assert [name for name in a if a[name] != b[name]] == []
