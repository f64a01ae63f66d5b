"""The smaller things a user notices (issue 14 item 6), each as HR meets it on the command line.

- the severity tag of a problem line is in the user's language ([错误], not [error]), and the
  English counts read right for one ("1 warnings" was printed);
- `kpi validate book.xlsx | head` ends quietly when the reader goes away (it printed
  "错误：book.xlsx：Broken pipe" and exited 2);
- `kpi --lang en compute` on a Chinese workbook prints English but leaves the workbook Chinese
  (it wrote English result sheets beside the Chinese ones and switched the book for good);
- a name typed with stray spaces is shown without them in the result sheets.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.workbooks import sample_workbook

from kpi_workbook.commands.cli import main
from kpi_workbook.pipeline import FileSource, read_meta

ROSTER = "销售与流量"
E1007_ROW = 9  # E1007 傅超玉 is row 9 of every input sheet of the sample
E1007_NAME = "傅超玉"


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def one_problem(tmp_path_factory) -> Path:
    """The sample with one bad value: 销售与流量!F3 (a number column) holding a word."""
    folder = tmp_path_factory.mktemp("small")
    path = sample_workbook(folder)
    wb = load_workbook(path)
    wb[ROSTER]["F3"] = "很多"
    wb.save(path)
    return path


def problem_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("[")]


def test_problem_lines_speak_chinese_in_chinese(one_problem):
    code, out, _ = run("validate", one_problem)
    lines = problem_lines(out)
    assert code == 1 and lines, out
    assert all(line.startswith(("[错误]", "[提示]")) for line in lines), lines
    assert "[error]" not in out and "[warning]" not in out and "value:" not in out and "/ID" not in out


def test_problem_lines_speak_english_in_english(one_problem):
    code, out, _ = run("--lang", "en", "validate", one_problem)
    lines = problem_lines(out)
    assert code == 1 and lines, out
    assert all(line.startswith(("[error]", "[warning]")) for line in lines), lines
    assert "值" not in out and "另有" not in out
    assert " 1 errors" not in out and " 1 warnings" not in out and "Errors: " in out


def test_a_closed_pipe_ends_quietly(one_problem):
    """The reader closes the pipe before the first line is written (as `| head -0` would)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "kpi_workbook.commands.cli", "validate", str(one_problem)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    proc.stderr.close()
    code = proc.wait(timeout=120)
    assert err == "", err
    assert code == 1  # what validate says of a book with problems; not 2 ("file error")


def test_lang_en_compute_leaves_a_chinese_book_chinese(one_problem, tmp_path):
    out = tmp_path / "computed.xlsx"
    code, printed, err = run("--lang", "en", "compute", one_problem, "-o", out)
    assert code == 1 and err == "", err
    assert "Period " in printed and "考核周期" not in printed  # what it prints is English
    wb = load_workbook(out, read_only=True)
    names = wb.sheetnames
    wb.close()
    assert "得分" in names and "校验" in names
    assert "Scores" not in names and "Validation" not in names, names
    with FileSource(out) as source:
        assert read_meta(source)["lang"] == "zh"


def test_stray_spaces_around_a_name_are_not_kept(tmp_path):
    path = sample_workbook(tmp_path)
    wb = load_workbook(path)
    wb[ROSTER][f"B{E1007_ROW}"] = f"  {E1007_NAME}\u3000"
    wb.save(path)
    out = tmp_path / "computed.xlsx"
    code, _, err = run("compute", path, "-o", out)
    assert err == "" and code in (0, 1)
    wb = load_workbook(out, read_only=True)
    rows = [r for r in wb["得分"].iter_rows(values_only=True) if "E1007" in r]
    wb.close()
    assert len(rows) == 1 and E1007_NAME in rows[0], rows
    assert not any(isinstance(v, str) and v != v.strip() and E1007_NAME in v for v in rows[0]), rows


@pytest.mark.parametrize(("lang", "expected"), [("zh", ["服装", "快消品", "3C", "耐用品", "直播"]),
                                                ("en", ["apparel", "fmcg", "3c", "durable", "直播"])])
def test_a_roster_of_choice_ids_shows_what_the_drop_down_offers(tmp_path, lang, expected):
    """The sample roster showed apparel/fmcg where the drop-down offers 服装/快消品; HR's own word
    in an open choice (直播) stays as typed."""
    roster = tmp_path / "roster.csv"
    roster.write_text("employee_id,name,team,category,product_type\nE1,甲,A组,apparel,fmcg\nE2,乙,A组,3c,durable\n"
                      "E3,丙,A组,直播,fmcg\n", encoding="utf-8")
    out = tmp_path / "new.xlsx"
    code, _, err = run("--lang", lang, "new", "--period", "2026-Q4", "--roster", roster, "-o", out)
    assert code == 0 and err == "", err
    wb = load_workbook(out, read_only=True)
    ws = wb[wb.sheetnames[1]]
    rows = list(ws.iter_rows(min_row=1, max_row=5, max_col=5, values_only=True))
    wb.close()
    ids = list(rows[1])
    cat, ptype = ids.index("category"), ids.index("product_type")
    assert [rows[2][cat], rows[2][ptype], rows[3][cat], rows[3][ptype], rows[4][cat]] == expected
    dv = load_workbook(out)[wb.sheetnames[1]].data_validations.dataValidation
    offered = next(v.formula1 for v in dv if v.type == "list" and "apparel" in v.formula1)
    assert all(word in offered for word in expected[0::2] if word != "直播")
