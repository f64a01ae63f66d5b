"""One language of points in the computed sample book (issue 14, item 3): no reason, guide line
or help text shows a negative score, and every points figure a reason gives is the 失分 beside
it (扣分明细: each row; 改进指南: the figures of a line add up to its 失分)."""

from __future__ import annotations

import re

import pytest
from support.workbooks import sample_workbook, sheet_values, table

from kpi_workbook.commands.files import compute_file
from kpi_workbook.pipeline.layout import RESULT_KEYS, layout

POINTS = re.compile(r"(?:扣|少得) ([\d.]+) 分")  # the points a reason says were lost
NEGATIVE_SCORE = re.compile(r"得分\s*[-−]\s*\d")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = sample_workbook(tmp_path_factory.mktemp("points"))
    compute_file(path)
    return path


def test_each_deduction_says_its_lost_points(book):
    ded = table(book, layout().sheet("deductions"))
    assert list(ded.columns[4:6]) == ["lost", "reason"] and len(ded) > 100
    for lost, reason in zip(ded["lost"], ded["reason"]):
        assert [float(x) for x in POINTS.findall(reason)] == [pytest.approx(lost, abs=0.005)], reason


def test_each_guide_line_adds_up_to_its_lost_points(book):
    guide = table(book, layout().sheet("guide"))
    assert len(guide) > 100
    for lost, reason in zip(guide["lost"], guide["reason"]):
        figures = [float(x) for x in POINTS.findall(reason)]
        assert figures and sum(figures) == pytest.approx(lost, abs=0.005 * len(figures)), reason


def test_no_text_anywhere_shows_a_negative_score(book):
    sheets = [layout().sheet(k) for k in RESULT_KEYS] + [layout().sheet("help")]
    texts = [v for s in sheets for row in sheet_values(book, s) for v in row if isinstance(v, str)]
    assert any("百分制得分" in t for t in texts)
    assert [t for t in texts if NEGATIVE_SCORE.search(t)] == []
    # the sample has penalty items beyond their weight (3+ late responses): said, not shown as a score
    assert any("超出部分从总分中扣除" in t for t in texts)
