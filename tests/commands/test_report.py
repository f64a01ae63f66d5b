"""`kpi report`: a scorecard (绩效面谈表) per person, as PDF through LibreOffice, or .xlsx.

The PDFs of one team are made by one LibreOffice run (module fixture) and read back with pypdf
(pages, paper) and poppler's pdftotext (the text): every card must hold what the review needs,
compared with the computed workbook's own 得分 and 扣分明细 sheets, not with the scorecard code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from support.lo import require_soffice
from support.workbooks import sample_workbook, table

from kpi_engine import default_scheme
from kpi_workbook.commands.cli import main
from kpi_workbook.commands.files import compute_file
from kpi_workbook.pipeline.layout import layout

TEAM = "天猫一组"
SIGNATURES = ("员工签字", "主管签字", "HR 签字", "日期")
A4 = (595.3, 841.9)  # points, portrait


def kpi(capsys, *argv: object) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def in_order(text: str, words: list[str]) -> bool:
    """Every word of ``words`` is in ``text``, one after the other (a wrapped table cell may have
    other cells' lines between its own)."""
    at = 0
    for word in words:
        at = text.find(word, at)
        if at < 0:
            return False
        at += len(word)
    return True


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout.decode()


@pytest.fixture(scope="module")
def computed(tmp_path_factory) -> Path:
    path = sample_workbook(tmp_path_factory.mktemp("report_book"))
    compute_file(path)
    return path


@pytest.fixture(scope="module")
def team_pdfs(computed: Path, tmp_path_factory) -> tuple[Path, str]:
    require_soffice()
    out = tmp_path_factory.mktemp("cards")
    code = main(["report", str(computed), "-o", str(out), "--team", TEAM])
    assert code == 0
    return out, ""


def test_each_card_is_one_a4_page_with_what_the_review_needs(computed: Path, team_pdfs) -> None:
    out, _ = team_pdfs
    scores = table(computed, layout().sheet("scores"))
    members = scores[scores["team"] == TEAM]
    details = table(computed, layout().sheet("deductions"))
    names = [ind.name("zh") for ind in default_scheme().indicators]
    assert len(members) > 3
    for row in members.itertuples():
        pdf = out / f"{row.employee_id}_{row.name}_2026-Q4.pdf"
        reader = PdfReader(str(pdf))
        assert len(reader.pages) == 1, pdf.name
        box = reader.pages[0].mediabox
        assert (round(float(box.width), 1), round(float(box.height), 1)) == A4
        text = squeeze(pdf_text(pdf))
        assert row.employee_id in text and squeeze(row.name) in text
        for name in names:
            assert squeeze(name) in text, (pdf.name, name)
        if pd.notna(row.total):  # an incomplete person has no total
            assert f"{row.total:.2f}" in text and row.grade in text, pdf.name
        mine = details[details["employee_id"] == row.employee_id]
        for indicator, reason in zip(mine["indicator"], mine["reason"]):
            reason = reason.split("（满分")[0]  # the card's weight column shows the scaled weight itself
            # on the indicator's line, its characters in order (a wrapped cell shares its lines
            # with the target and actual cells), every number whole
            line = text[text.index(squeeze(indicator)):]
            assert in_order(line, list(squeeze(reason))), (pdf.name, reason)
            assert all(n in line for n in re.findall(r"\d+(?:\.\d+)?%?", reason)), (pdf.name, reason)
        for label in SIGNATURES:
            assert squeeze(label) in text
        assert "2027-01-07" in text  # the appeal deadline: 7 days (the default scheme) after 2026-12-31


def test_the_team_file_has_a_page_per_person_in_order(computed: Path, team_pdfs) -> None:
    out, _ = team_pdfs
    scores = table(computed, layout().sheet("scores"))
    members = list(scores.loc[scores["team"] == TEAM, "employee_id"])
    reader = PdfReader(str(out / f"{TEAM}_2026-Q4.pdf"))
    assert len(reader.pages) == len(members)
    firsts = [squeeze(page.extract_text() or "") for page in reader.pages]
    assert all(eid in text for eid, text in zip(members, firsts))
    assert len(list(out.glob("*.pdf"))) == len(members) + 1


def test_without_libreoffice_printable_xlsx_and_how_to_get_pdfs(computed: Path, tmp_path: Path, capsys,
                                                                  monkeypatch) -> None:
    monkeypatch.setenv("KPI_SOFFICE", str(tmp_path / "no-such-soffice"))
    code, said = kpi(capsys, "report", computed, "-o", tmp_path / "x", "--employee", "E1008", "E1001")
    assert code == 0
    assert "LibreOffice" in said and "生成个人报告" in said
    files = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert files == ["E1001_魏欣_2026-Q4.xlsx", "E1008_梁琪_2026-Q4.xlsx"]  # no team file: people were picked
    ws = load_workbook(tmp_path / "x" / files[1]).active
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 1
    cells = {str(c.value) for r in ws.iter_rows() for c in r if c.value is not None}
    assert {"E1008", "梁琪", "50.33"} & cells == {"E1008", "梁琪"}  # the total is a number cell, not text
    assert any(isinstance(c.value, float) and round(c.value, 2) == 50.33 for r in ws.iter_rows() for c in r)


def test_a_second_run_never_replaces_a_file_unless_forced(computed: Path, tmp_path: Path, capsys) -> None:
    args = ("report", computed, "-o", tmp_path, "--employee", "E1001", "--format", "xlsx")
    assert kpi(capsys, *args)[0] == 0
    first = (tmp_path / "E1001_魏欣_2026-Q4.xlsx").read_bytes()
    code, said = kpi(capsys, *args)
    assert code == 0 and "E1001_魏欣_2026-Q4 (2).xlsx" in said
    assert (tmp_path / "E1001_魏欣_2026-Q4.xlsx").read_bytes() == first
    assert kpi(capsys, *args, "--force")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["E1001_魏欣_2026-Q4 (2).xlsx", "E1001_魏欣_2026-Q4.xlsx"]
    with zipfile.ZipFile(tmp_path / "E1001_魏欣_2026-Q4.xlsx") as zf:
        assert zf.testzip() is None


def test_a_book_never_computed_is_refused(tmp_path: Path, capsys) -> None:
    book = sample_workbook(tmp_path)
    code, said = kpi(capsys, "report", book, "-o", tmp_path / "out", "--format", "xlsx")
    assert code != 0 and "还没有计算" in said and book.name in said
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_inputs_changed_after_compute_are_refused(computed: Path, tmp_path: Path, capsys) -> None:
    book = tmp_path / "changed.xlsx"
    shutil.copyfile(computed, book)
    sheet = layout().inputs[0].name("zh")
    wb = load_workbook(book)
    ws = wb[sheet]
    ids = [c.value for c in ws[layout().id_row]]
    row = next(r for r in range(layout().id_row + 1, ws.max_row + 1) if ws.cell(r, 1).value == "E1001")
    ws.cell(row, ids.index("sales_actual") + 1).value = 1  # E1001 sold almost nothing after all
    wb.save(book)
    code, said = kpi(capsys, "report", book, "-o", tmp_path / "out", "--format", "xlsx")
    assert code != 0 and "E1001" in said and "重新计算" in said


def test_unknown_people_and_teams_are_named(computed: Path, tmp_path: Path, capsys) -> None:
    code, said = kpi(capsys, "report", computed, "-o", tmp_path, "--employee", "E9999", "--format", "xlsx")
    assert code != 0 and "E9999" in said
    code, said = kpi(capsys, "report", computed, "-o", tmp_path, "--team", "火星组", "--format", "xlsx")
    assert code != 0 and "火星组" in said and TEAM in said


def test_a_calibrated_book_shows_adjustment_final_total_and_grade(computed: Path, tmp_path: Path) -> None:
    """Where calibration wrote adjustment, final_total and final_grade into 得分 (issue 11), the
    card shows them beside the computed total; the rank in the team follows the final total."""
    from kpi_workbook.pipeline.file_source import FileSource
    from kpi_workbook.pipeline.scorecard import build_scorecards
    from kpi_workbook.sheets.scorecard_sheet import scorecard_workbook

    book = tmp_path / "calibrated.xlsx"
    shutil.copyfile(computed, book)
    wb = load_workbook(book)
    ws = wb[layout().sheet("scores")]
    width = ws.max_column
    for k, (label, key) in enumerate((("调整", "adjustment"), ("最终总分", "final_total"), ("最终等级", "final_grade")), 1):
        ws.cell(1, width + k).value, ws.cell(2, width + k).value = label, key
    for r in range(layout().first_data_row, ws.max_row + 1):
        if ws.cell(r, 1).value == "E1008":  # 50.33 D, lifted by 20 points to 70.33 B
            total = ws.cell(r, [c.value for c in ws[2]].index("total") + 1).value
            ws.cell(r, width + 1).value, ws.cell(r, width + 2).value, ws.cell(r, width + 3).value = 20, total + 20, "B"
    wb.save(book)
    with FileSource(book) as source:
        cards = build_scorecards(source, book.name, team=TEAM)
    card = next(c for c in cards.cards if c.employee_id == "E1008")
    assert card.calibrated and card.adjustment == 20 and card.final_grade == "B" and card.grade == "D"
    assert card.final_total == pytest.approx(card.total + 20)
    others = [c for c in cards.cards if c.final_total is not None and c.employee_id != "E1008"]
    assert card.rank == 1 + sum(c.final_total > card.final_total for c in others)
    sheet, _ = scorecard_workbook([card])
    cells = [c.value for row in sheet.active.iter_rows() for c in row if c.value is not None]
    assert {"调整", "最终总分", "最终等级", "B", "D"} <= set(cells)
    assert not next(c for c in cards.cards if c.employee_id != "E1008").calibrated
