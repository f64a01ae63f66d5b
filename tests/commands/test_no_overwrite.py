"""No silent overwrite (issue 14 item 1): every command that writes a file keeps an existing file
of the name it would write, writes the new one beside it as ``name (2).ext`` (the product's one
rule, ``ooxml.unused_path``) and says which name it used; ``--force`` replaces. Computing a book
in place (``kpi compute BOOK``, ``-o BOOK``) and filling it in place stay what those commands are for.

The issue's two scenarios are here as they were met: ``kpi next-period`` run a second time after
999999 was typed into next period's 销售与流量!G3, and ``kpi new -o keep.xlsx`` over a filled,
computed workbook.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.package_check import assert_sound_package
from support.workbooks import sample_workbook

from kpi_workbook.commands.cli import main
from kpi_workbook.commands.demo import sample_file


def kpi(capsys, *argv: object) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


@pytest.fixture(scope="module")
def computed(tmp_path_factory) -> Path:
    """The sample workbook, filled and computed: what HR must never lose."""
    folder = tmp_path_factory.mktemp("computed")
    path = sample_workbook(folder, name="keep.xlsx")
    assert main(["compute", str(path)]) in (0, 1)
    return path


def copy(src: Path, folder: Path, name: str | None = None) -> Path:
    return Path(shutil.copyfile(src, folder / (name or src.name)))


def test_new_keeps_a_computed_workbook_of_that_name(computed: Path, tmp_path: Path, capsys) -> None:
    keep = copy(computed, tmp_path)
    before = keep.read_bytes()
    code, out = kpi(capsys, "new", "--period", "2026-Q4", "-o", keep)
    assert code == 0
    assert keep.read_bytes() == before
    second = tmp_path / "keep (2).xlsx"
    assert_sound_package(second)
    assert str(second) in out and "--force" in out
    assert "得分" not in load_workbook(second, read_only=True).sheetnames  # a blank new book
    code, out = kpi(capsys, "new", "--period", "2026-Q4", "-o", keep)  # and again: the next free name
    assert (tmp_path / "keep (3).xlsx").is_file() and "keep (3).xlsx" in out and keep.read_bytes() == before


def test_new_with_force_replaces(computed: Path, tmp_path: Path, capsys) -> None:
    keep = copy(computed, tmp_path)
    code, out = kpi(capsys, "new", "--period", "2026-Q4", "-o", keep, "--force")
    assert code == 0 and not (tmp_path / "keep (2).xlsx").exists()
    assert "得分" not in load_workbook(keep, read_only=True).sheetnames
    assert "已存在" not in out


def test_next_period_run_twice_keeps_what_was_typed_into_the_first(computed: Path, tmp_path: Path, capsys) -> None:
    book = copy(computed, tmp_path, "kpi_2026-Q4.xlsx")
    code, out = kpi(capsys, "next-period", book)
    nxt = tmp_path / "kpi_2027-Q1.xlsx"
    assert code == 0 and nxt.is_file() and "已存在" not in out
    wb = load_workbook(nxt)
    ws = wb["销售与流量"]
    cell = next(f"{c.column_letter}3" for c in ws[2] if c.value == "sales_actual")  # blank in a new period
    ws[cell] = 999999
    wb.save(nxt)
    typed = nxt.read_bytes()
    code, out = kpi(capsys, "next-period", book)
    assert code == 0
    assert nxt.read_bytes() == typed
    assert load_workbook(nxt, read_only=True)["销售与流量"][cell].value == 999999
    second = tmp_path / "kpi_2027-Q1 (2).xlsx"
    assert_sound_package(second)
    assert str(second) in out and str(nxt) in out
    code, out = kpi(capsys, "next-period", book, "--force")
    assert code == 0 and load_workbook(nxt, read_only=True)["销售与流量"][cell].value is None


def test_next_period_never_replaces_the_book_it_reads(computed: Path, tmp_path: Path, capsys) -> None:
    book = copy(computed, tmp_path)
    before = book.read_bytes()
    code, out = kpi(capsys, "next-period", book, "-o", book)
    assert code == 0 and book.read_bytes() == before and (tmp_path / "keep (2).xlsx").is_file()


def test_compute_output_and_csv_keep_existing_files(computed: Path, tmp_path: Path, capsys) -> None:
    book = sample_workbook(tmp_path, name="book.xlsx")
    book_bytes = book.read_bytes()
    out_xlsx = tmp_path / "out.xlsx"
    out_xlsx.write_bytes(b"HR's own file")
    scores = tmp_path / "scores.csv"
    scores.write_text("HR's own CSV", encoding="utf-8")
    code, out = kpi(capsys, "compute", book, "-o", out_xlsx, "--csv", scores)
    assert code in (0, 1)
    assert out_xlsx.read_bytes() == b"HR's own file" and scores.read_text(encoding="utf-8") == "HR's own CSV"
    assert book.read_bytes() == book_bytes  # -o: the book itself is not written either
    assert_sound_package(tmp_path / "out (2).xlsx")
    assert (tmp_path / "scores (2).csv").read_text(encoding="utf-8-sig").startswith("employee_id,")
    assert str(tmp_path / "out (2).xlsx") in out and str(tmp_path / "scores (2).csv") in out
    code, out = kpi(capsys, "compute", book, "-o", out_xlsx, "--csv", scores, "--force")
    assert out_xlsx.read_bytes() != b"HR's own file" and not (tmp_path / "out (3).xlsx").exists()
    assert scores.read_text(encoding="utf-8-sig").startswith("employee_id,")


def test_compute_onto_the_book_itself_stays_in_place(tmp_path: Path, capsys) -> None:
    book = sample_workbook(tmp_path, name="book.xlsx")
    code, out = kpi(capsys, "compute", book, "-o", tmp_path / "." / "book.xlsx")
    assert code in (0, 1) and "得分" in load_workbook(book, read_only=True).sheetnames
    assert not (tmp_path / "book (2).xlsx").exists() and "已存在" not in out


def test_fill_output_keeps_an_existing_file(tmp_path: Path, capsys) -> None:
    book = sample_workbook(tmp_path, name="book.xlsx")
    target = tmp_path / "filled.xlsx"
    target.write_bytes(b"not ours")
    code, out = kpi(capsys, "fill", book, sample_file("metrics_2026Q4.csv"), "-o", target)
    assert code == 0 and target.read_bytes() == b"not ours"
    assert_sound_package(tmp_path / "filled (2).xlsx")
    assert str(tmp_path / "filled (2).xlsx") in out


def test_demo_run_twice_keeps_the_first_files(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "demo"
    assert kpi(capsys, "demo", "-o", folder)[0] == 0
    book, scores = folder / "kpi_demo_2026-Q4.xlsx", folder / "kpi_demo_2026-Q4_scores.csv"
    first = book.read_bytes(), scores.read_bytes()
    code, out = kpi(capsys, "demo", "-o", folder)
    assert code == 0 and (book.read_bytes(), scores.read_bytes()) == first
    second_book, second_csv = folder / "kpi_demo_2026-Q4 (2).xlsx", folder / "kpi_demo_2026-Q4 (2)_scores.csv"
    assert_sound_package(second_book)
    assert second_csv.read_text(encoding="utf-8-sig") == scores.read_text(encoding="utf-8-sig")
    assert "kpi_demo_2026-Q4 (2).xlsx" in out and "--force" in out


def test_addin_build_keeps_an_earlier_build(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "addin_build"
    folder.mkdir()
    (folder / "kpi_compute.xlam").write_bytes(b"an add-in HR installed by hand")
    code, out = kpi(capsys, "addin", "build", "-o", folder)
    assert code == 0 and (folder / "kpi_compute.xlam").read_bytes() == b"an add-in HR installed by hand"
    second = tmp_path / "addin_build (2)"
    assert_sound_package(second / "kpi_compute.xlam")
    assert str(second) in out
    code, out = kpi(capsys, "addin", "build", "-o", folder, "--force")
    assert code == 0 and (folder / "kpi_compute.xlam").read_bytes() != b"an add-in HR installed by hand"
    assert not (tmp_path / "addin_build (3)").exists()


def test_an_empty_folder_is_used_as_it_is(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    code, out = kpi(capsys, "addin", "build", "-o", folder)
    assert code == 0 and (folder / "kpi_compute.xlam").is_file() and not (tmp_path / "empty (2)").exists()


@pytest.mark.parametrize("command", [["new"], ["fill"], ["compute"], ["next-period"], ["demo"], ["addin", "build"]])
def test_every_writing_command_states_the_rule_in_its_help(command: list[str], capsys) -> None:
    code = main([*command, "--help"])
    out = capsys.readouterr().out
    assert code == 0 and "--force" in out and "(2)" in out
