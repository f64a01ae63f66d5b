"""The `kpi` command on damaged and hostile workbooks (corpus: tests/damaged.py).

For every file: the right exit code (2 unusable file or usage, 1 data problems, 0 ok), a
message that names the file or the sheet!cell and says what is wrong (asserted on key
fragments, never on an exception name), no traceback, and the input byte-identical unless
the command was meant to write it. Recoverable damage must give the undamaged scores.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from support.damaged import BAD_ROWS, CHINESE_NAME, COLLAB_SHEET, COST_SHEET, ROSTER_SHEET, build, column_of
from support.package_check import assert_sound_package
from support.workbooks import sample_workbook

from kpi_workbook.commands.cli import main
from kpi_workbook.commands.demo import sample_file
from kpi_workbook.ooxml import file_lock

RESULT_SHEETS = ("得分", "扣分明细", "改进指南", "汇总", "校验")
HEADCOUNT = 60  # employees in the sample roster


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def line(self, *fragments: str) -> str:
        """The first output line holding every fragment (fails with the whole output otherwise)."""
        for line in self.text.splitlines():
            if all(f in line for f in fragments):
                return line
        raise AssertionError(f"no line with {fragments!r} in:\n{self.text}")


def kpi(capsys, *argv: object) -> Run:
    """`kpi ARGV` in-process; no traceback and no 'internal error' may reach the user."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    run = Run(code, out, err)
    assert "Traceback" not in run.text
    assert "内部错误" not in run.text and "internal error" not in run.text, run.text
    assert_no_nan(run.text)
    return run


def assert_no_nan(text: str) -> None:
    """No "nan" in anything a user reads (a blank id or value printed as pandas' NaN, issue 14)."""
    assert not re.search(r"(?<![A-Za-z])nan(?![A-Za-z])", text, re.IGNORECASE), text


def kpi_process(*argv: object, **kw) -> subprocess.CompletedProcess:
    """`python -m kpi_workbook.commands.cli ARGV` in a real process."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("KPI_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "kpi_workbook.commands.cli", *map(str, argv)], capture_output=True,
                          text=True, encoding="utf-8", timeout=120, env=env, **kw)


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The filled sample workbook (not computed); builders only read it."""
    return sample_workbook(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def baseline(sample, tmp_path_factory) -> dict[str, object]:
    """`kpi compute --csv` on the undamaged sample: exit code, summary line and scores CSV."""
    folder = tmp_path_factory.mktemp("baseline")
    path = shutil.copyfile(sample, folder / "base.xlsx")
    code = main(["compute", str(path), "--csv", str(folder / "base.csv")])
    return {"code": code, "csv": (folder / "base.csv").read_bytes(), "rows": read_csv(folder / "base.csv")}


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def assert_results_complete(path: Path, headcount: int = HEADCOUNT) -> None:
    """The file is a sound package, every result sheet is there, the scores sheet has a row per employee."""
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
    assert_sound_package(path)
    wb = load_workbook(path, read_only=True)
    try:
        assert set(RESULT_SHEETS) <= set(wb.sheetnames)
        ids = [r[0] for r in wb["得分"].iter_rows(min_row=3, values_only=True) if r[0] is not None]
        assert len(ids) == headcount
    finally:
        wb.close()


# ---------------------------------------------------------------- unusable files: exit 2

UNUSABLE = {  # corpus entry -> fragments the message must hold (besides the file name)
    "truncated": ("损坏",),
    "csv_renamed": ("不是有效的 Excel 工作簿",),
    "zip_not_workbook": ("不是 Excel 工作簿",),
    "empty_workbook": ("没有找到任何输入表", "工号"),
    "broken_sheet_xml": ("「成本与时效」", "损坏"),
    "billion_laughs": ("实体", "拒绝"),
    "zip_bomb_declared": ("压缩炸弹", "拒绝"),
    "zip_bomb_real": ("压缩炸弹", "拒绝"),
}


@pytest.mark.parametrize("key", list(UNUSABLE))
def test_unusable_file_is_refused_with_a_clear_message(key, sample, tmp_path, capsys):
    path = build(key, sample, tmp_path)
    before, files = path.read_bytes(), listing(tmp_path)
    for argv in (["validate", path], ["compute", path], ["compute", path, "-o", tmp_path / "out.xlsx",
                                                        "--csv", tmp_path / "out.csv"]):
        run = kpi(capsys, *argv)
        assert run.code == 2, run.text
        assert run.out == ""
        assert path.name in run.err and all(f in run.err for f in UNUSABLE[key]), run.err
        assert path.read_bytes() == before
        assert listing(tmp_path) == files  # no output, temp or lock file left


def test_unusable_files_through_a_real_process(sample, tmp_path):
    """No traceback reaches stderr of the real command either."""
    for key, command in (("truncated", "validate"), ("billion_laughs", "compute"), ("empty_workbook", "compute")):
        path = build(key, sample, tmp_path)
        before = path.read_bytes()
        proc = kpi_process(command, path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        assert path.name in proc.stderr and all(f in proc.stderr for f in UNUSABLE[key])
        assert path.read_bytes() == before


# ---------------------------------------------------------------- data problems: exit 1, located


def _cells(sample: Path) -> dict[str, str]:
    wb = load_workbook(sample, read_only=False)
    return {f: f"{get_column_letter(column_of(wb, ROSTER_SHEET, f))}{r}" for f, r in BAD_ROWS.items()}


def expected_problems(sample: Path) -> dict[str, list[tuple[str, ...]]]:
    """corpus entry -> lines to find: (sheet!cell or sheet, what the message says)."""
    bad = _cells(sample)
    return {
        "missing_sheet": [(f"{COST_SHEET}:", "缺少列", "推广费用"), (f"{COST_SHEET}:", "缺少列", "问题处理超时次数")],
        "merged_cells": [(f"{COST_SHEET}!H5:", "为空"), (f"{COST_SHEET}!G6:", "为空"), (f"{COST_SHEET}!H6:", "为空")],
        "bad_values": [
            (f"{ROSTER_SHEET}!{bad['sales_actual']}:", "abc", "不是数字"),
            (f"{ROSTER_SHEET}!{bad['uv']}:", "#DIV/0!", "Excel 错误值"),
            (f"{ROSTER_SHEET}!{bad['pv']}:", "#N/A", "Excel 错误值"),
            (f"{ROSTER_SHEET}!{bad['paid_orders']}:", "2026-10-01", "不是数字"),
            (f"{ROSTER_SHEET}!{bad['silent_orders']}:", "TRUE", "不是数字"),
        ],
        "percent_as_whole": [(f"{COLLAB_SHEET}!J3:", "85", "过大", "0 到 1")],
        "negative_count": [(f"{COST_SHEET}!I4:", "-2", "过小", "非负整数")],
        "blank_id": [(f"{ROSTER_SHEET}!A5:", "工号为空")],
        "duplicate_id": [(f"{ROSTER_SHEET}!A5:", "重复", "A5、A6"), (f"{ROSTER_SHEET}!A6:", "重复", "A5、A6")],
    }


PROBLEM_KEYS = ["missing_sheet", "merged_cells", "bad_values", "percent_as_whole", "negative_count",
                "blank_id", "duplicate_id"]


@pytest.mark.parametrize("key", PROBLEM_KEYS)
def test_data_problems_are_reported_at_their_cell(key, sample, tmp_path, capsys):
    path = build(key, sample, tmp_path)
    before = path.read_bytes()
    expected = expected_problems(sample)[key]
    run = kpi(capsys, "validate", path)
    assert run.code == 1
    for fragments in expected:
        assert run.line(*fragments).startswith("[错误]")
    assert path.read_bytes() == before

    out = tmp_path / "out.xlsx"
    run = kpi(capsys, "compute", path, "-o", out)
    assert run.code == 1 and run.err == ""
    assert path.read_bytes() == before  # compute -o NEW never touches the original
    # blank_id: the roster row without 工号 is not scored, and E1003's rows on the other sheets are that
    # row's by name (its one message says so), not a new employee; duplicate_id: E1003 is listed once
    # (not scored) and E1004's rows on the other sheets are the overwritten row's, by name (one message)
    assert_results_complete(out, HEADCOUNT - 1 if key in ("blank_id", "duplicate_id") else HEADCOUNT)
    wb = load_workbook(out, read_only=True)
    rows = list(wb["校验"].iter_rows(min_row=3, values_only=True))
    problems = [" ".join(str(v) for v in r[:2] if v) for r in rows]
    wb.close()
    assert_no_nan("\n".join(" ".join("" if v is None else str(v) for v in r) for r in rows))
    for fragments in expected:  # the Validation sheet lists the same cells
        sheet, _, cell = fragments[0].rstrip(":").partition("!")
        assert f"{sheet} {cell}".strip() in problems, (fragments, problems[:20])


def test_a_damaged_rate_is_flagged_through_a_real_process(sample, tmp_path):
    path = build("percent_as_whole", sample, tmp_path)
    proc = kpi_process("validate", path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert any(f"{COLLAB_SHEET}!J3:" in line and "过大" in line for line in proc.stdout.splitlines())


# ---------------------------------------------------------------- recoverable damage: same scores

RECOVERABLE = ["renamed_sheet", "label_row_deleted", "id_row_deleted", "columns_moved", "blank_formatted_rows",
               "chinese_name"]


@pytest.mark.parametrize("key", RECOVERABLE)
def test_recoverable_damage_scores_like_the_undamaged_workbook(key, sample, baseline, tmp_path, capsys):
    path = build(key, sample, tmp_path)
    run = kpi(capsys, "compute", path, "--csv", tmp_path / "scores.csv")
    assert run.code == baseline["code"], run.text
    assert run.err == ""
    assert f"共 {HEADCOUNT} 人" in run.out and path.name in run.out
    rows = read_csv(tmp_path / "scores.csv")
    assert rows == baseline["rows"]
    assert (tmp_path / "scores.csv").read_bytes() == baseline["csv"]
    assert_results_complete(path)
    if key == "chinese_name":
        assert path.name == CHINESE_NAME


def test_chinese_file_name_with_spaces_through_a_real_process(sample, baseline, tmp_path):
    path = build("chinese_name", sample, tmp_path)
    proc = kpi_process("compute", path.name, "--csv", "得分 导出.csv", cwd=tmp_path)
    assert proc.returncode == baseline["code"], proc.stderr
    assert "Traceback" not in proc.stderr and path.name in proc.stdout
    assert (tmp_path / "得分 导出.csv").read_bytes() == baseline["csv"]
    assert listing(tmp_path) == sorted([CHINESE_NAME, "得分 导出.csv"])


def test_a_clean_workbook_exits_0(tmp_path, capsys):
    from kpi_workbook.commands.fill import fill_workbook
    from kpi_workbook.pipeline.roster import read_roster
    from kpi_workbook.sheets.book import write_new

    path = write_new(tmp_path / "q3.xlsx", "2026-Q3", roster=read_roster(sample_file("roster.csv")))
    fill_workbook(path, sample_file("metrics_2026Q3.csv"))
    damaged = build("renamed_sheet", path, tmp_path)  # recoverable damage keeps it clean
    assert kpi(capsys, "validate", damaged).code == 0
    run = kpi(capsys, "compute", damaged)
    assert run.code == 0 and "错误 0 个" in run.out


# ---------------------------------------------------------------- writing: read-only, locked, missing folder

def test_read_only_file_is_not_written(sample, tmp_path, capsys):
    """chmod 0o444. As root the bits do not stop a write; the product checks them itself."""
    path = build("read_only", sample, tmp_path)
    before, files = path.read_bytes(), listing(tmp_path)
    run = kpi(capsys, "compute", path)
    assert run.code == 2
    assert path.name in run.err and "只读" in run.err and "无法写入" in run.err
    assert path.read_bytes() == before and listing(tmp_path) == files
    assert kpi(capsys, "validate", path).code == 1  # reading is fine
    run = kpi(capsys, "compute", path, "-o", tmp_path / "out.xlsx")
    assert run.code == 1 and path.read_bytes() == before
    assert_results_complete(tmp_path / "out.xlsx")


def test_read_only_file_through_a_real_process(sample, tmp_path):
    path = build("read_only", sample, tmp_path)
    before = path.read_bytes()
    proc = kpi_process("compute", path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert path.name in proc.stderr and "只读" in proc.stderr
    assert path.read_bytes() == before


def test_file_held_open_by_another_program(sample, tmp_path, capsys, monkeypatch):
    """Excel on Windows holds the file: the final os.replace fails with PermissionError."""
    path = sample_workbook(tmp_path)
    before, files = path.read_bytes(), listing(tmp_path)
    calls = []

    def held(src, dst, *args, **kwargs):
        calls.append(dst)
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))

    monkeypatch.setattr(os, "replace", held)
    run = kpi(capsys, "compute", path)
    assert calls, "the save never reached os.replace"
    assert run.code == 2 and path.name in run.err and "无法写入" in run.err
    assert path.read_bytes() == before
    assert listing(tmp_path) == files  # the temp file was removed


def test_output_folder_that_does_not_exist(sample, tmp_path, capsys):
    path = sample_workbook(tmp_path)
    before, files = path.read_bytes(), listing(tmp_path)
    missing = tmp_path / "没有 这个文件夹"
    for argv in (["compute", path, "-o", missing / "out.xlsx"],
                 ["compute", path, "--csv", missing / "scores.csv"],  # checked before the workbook is written
                 ["next-period", path, "-o", missing / "next.xlsx"],
                 ["new", "--period", "2026-Q4", "-o", missing / "new.xlsx"],
                 ["fill", path, sample_file("metrics_2026Q4.csv"), "-o", missing / "filled.xlsx"]):
        run = kpi(capsys, *argv)
        assert run.code == 2, (argv, run.text)
        assert "文件夹不存在" in run.err and str(missing) in run.err, run.err
        assert ".~" not in run.err and ".tmp" not in run.err  # never a temp or lock file's name
        assert path.read_bytes() == before and listing(tmp_path) == files


def test_usage_errors_exit_2(tmp_path, capsys):
    assert kpi(capsys, "--help").code == 0
    assert kpi(capsys).code == 2
    assert kpi(capsys, "compute").code == 2
    assert kpi(capsys, "frobnicate").code == 2
    run = kpi(capsys, "compute", tmp_path / "没有.xlsx")
    assert run.code == 2 and "找不到" in run.err and "没有.xlsx" in run.err
    assert listing(tmp_path) == []
    run = kpi(capsys, "validate", tmp_path)
    assert run.code == 2 and "文件夹" in run.err


# ---------------------------------------------------------------- interrupted save


def _fail_while_writing(monkeypatch, exc: BaseException, after: int = 3) -> list[str]:
    """Make the zip writer fail on its (after+1)-th member of the temp file beside the workbook."""
    real = zipfile.ZipFile.writestr
    written: list[str] = []

    def writestr(self, zinfo, data, *args, **kwargs):
        if Path(str(self.filename)).name.startswith(".~"):  # atomic_write's temp file, not the donor
            written.append(getattr(zinfo, "filename", zinfo))
            if len(written) > after:
                raise exc
        return real(self, zinfo, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    return written


@pytest.mark.parametrize("exc, code", [(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), 2),
                                       (KeyboardInterrupt(), 130)], ids=["disk_full", "ctrl_c"])
def test_interrupted_save_leaves_the_workbook_as_it_was(exc, code, sample, tmp_path, capsys, monkeypatch):
    path = sample_workbook(tmp_path)
    before, files = path.read_bytes(), listing(tmp_path)
    written = _fail_while_writing(monkeypatch, exc)
    run = kpi(capsys, "compute", path)
    assert len(written) == 4, "the failure must strike half-way through the transplant"
    assert run.code == code
    if code == 2:
        assert path.name in run.err and "磁盘空间不足" in run.err and "the disk is full" in run.err
    else:
        assert "中断" in run.err
    assert path.read_bytes() == before
    assert listing(tmp_path) == files  # no temp or lock file left


# ---------------------------------------------------------------- two computes at once


def test_compute_while_another_holds_the_lock(sample, tmp_path, capsys):
    path = sample_workbook(tmp_path)
    before = path.read_bytes()
    with file_lock(path):
        run = kpi(capsys, "compute", path)
        assert run.code == 2 and "正被" in run.err and path.name in run.err
        proc = kpi_process("compute", path)
        assert proc.returncode == 2 and "正被" in proc.stderr and "Traceback" not in proc.stderr
    assert path.read_bytes() == before
    assert kpi(capsys, "compute", path).code == 1  # free again
    assert_results_complete(path)


def test_two_computes_started_together(sample, baseline, tmp_path):
    path = sample_workbook(tmp_path)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    cmd = [sys.executable, "-m", "kpi_workbook.commands.cli", "compute", str(path)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                              env=env) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    results = [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]
    for code, out, err in results:
        assert "Traceback" not in out + err
        assert code in (1, 2), err
        if code == 2:  # lost the race: told so, plainly
            assert "正被" in err and path.name in err
    assert 1 in [r[0] for r in results]
    assert_results_complete(path)
    assert [f for f in listing(tmp_path) if f.startswith(".~")] == []


# ---------------------------------------------------------------- hostile files: fast, small, refused

HOSTILE = ["billion_laughs", "zip_bomb_declared", "zip_bomb_real"]


def _measured(*argv: object) -> tuple[int, str, float, int]:
    """(exit code, stderr, seconds, peak RSS in bytes) of `kpi ARGV` in its own process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "kpi_workbook.commands.cli", *map(str, argv)], stdout=out, stderr=err,
                                env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8")
    return proc.returncode, text, seconds, usage.ru_maxrss * 1024  # ru_maxrss is in KiB on Linux


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs os.wait4 for a child's peak memory")
def test_hostile_files_are_refused_fast_in_little_memory(sample, tmp_path):
    good = shutil.copyfile(sample, tmp_path / "good.xlsx")
    code, _, _, rss_good = _measured("validate", good)  # the same imports, on a sound workbook
    assert code == 1
    for key in HOSTILE:
        path = build(key, sample, tmp_path)
        before = path.read_bytes()
        for command in ("validate", "compute"):
            code, err, seconds, rss = _measured(command, path)
            assert code == 2 and path.name in err and "拒绝" in err and "Traceback" not in err, err
            assert seconds < 5, f"{key} {command}: {seconds:.1f} s"
            assert rss - rss_good < 200 << 20, f"{key} {command}: {(rss - rss_good) >> 20} MB more than a sound file"
            assert path.read_bytes() == before


@pytest.mark.parametrize("key", HOSTILE)
def test_hostile_files_in_process_time_and_allocations(key, sample, tmp_path, capsys):
    path = build(key, sample, tmp_path)
    import kpi_workbook.commands.files  # noqa: F401  (imports are not the file's doing)

    for command in ("validate", "compute", "next-period"):
        tracemalloc.start()
        start = time.monotonic()
        try:
            run = kpi(capsys, command, path)
            seconds = time.monotonic() - start
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert run.code == 2 and "拒绝" in run.err
        assert seconds < 5
        assert peak < 200 << 20, f"{key} {command}: {peak >> 20} MB allocated"


# ---------------------------------------------------------------- CSV export: no formula injection

FORMULA_NAME = '=HYPERLINK("http://x","y")'
IDS = {"E1002": "-E1002", "E1003": "@E1003", "E1004": "=E1004", "E1005": "+E1005"}


def injection_workbook(sample: Path, out: Path) -> Path:
    """Name '=HYPERLINK(…)' and team '+cmd' on the roster; ids that start with - @ = + on every sheet;
    E1001 five issues late (issue_resolution goes negative)."""
    wb = load_workbook(sample)
    roster = wb[ROSTER_SHEET]
    for cell, value in (("B3", FORMULA_NAME), ("C3", "+cmd"), ("B4", "@SUM(A1:A9)"), ("C4", "-2+3")):
        roster[cell].value = value
        roster[cell].data_type = "s"  # typed as text (as a CSV import would give it), not a formula
    for ws in wb.worksheets:
        if ws.title not in (ROSTER_SHEET, "用户与库存", COST_SHEET, COLLAB_SHEET, "合规记录"):
            continue
        for row in ws.iter_rows(min_row=3, max_col=1):
            if row[0].value in IDS:
                row[0].value = IDS[row[0].value]
                row[0].data_type = "s"
    wb[COST_SHEET].cell(3, column_of(wb, COST_SHEET, "issue_overdue")).value = 5
    wb.save(out)
    return out


def test_csv_export_neutralises_formulas_and_keeps_numbers(sample, tmp_path, capsys):
    path = injection_workbook(sample, tmp_path / "injection.xlsx")
    out_csv = tmp_path / "scores.csv"
    run = kpi(capsys, "compute", path, "--csv", out_csv)
    assert run.code == 1
    rows = read_csv(out_csv)
    header, body = rows[0], rows[1:]
    by_id = {r[0]: dict(zip(header, r)) for r in body}
    for hostile in IDS.values():
        assert "'" + hostile in by_id, (hostile, list(by_id)[:8])  # neutralised with a single quote
    negative = by_id["E1001"]["issue_resolution.points"]
    assert float(negative) < 0 and negative.startswith("-")  # a number stays a plain number
    for row in body:
        for value in row:
            if value[:1] in ("=", "+", "-", "@"):
                float(value)  # only numbers may start so
    assert FORMULA_NAME not in out_csv.read_text(encoding="utf-8-sig").replace("'" + FORMULA_NAME, "")
    # and the result sheets hold the name as text, never as a live formula
    wb = load_workbook(path)
    try:
        for sheet in ("得分", "扣分明细", "改进指南"):
            cells = [c for row in wb[sheet].iter_rows(min_row=3) for c in row if c.value == FORMULA_NAME]
            assert cells and all(c.data_type == "s" for c in cells), sheet
            assert not any(c.data_type == "f" for row in wb[sheet].iter_rows() for c in row)
        teams = [c for row in wb["得分"].iter_rows(min_row=3) for c in row if c.value == "+cmd"]
        assert teams and teams[0].data_type == "s"
    finally:
        wb.close()


def test_fill_writes_formula_like_text_as_text(sample, tmp_path, capsys):
    path = sample_workbook(tmp_path)
    data = tmp_path / "bi.csv"
    data.write_text(f'工号,姓名,团队\nE1001,"{FORMULA_NAME.replace(chr(34), chr(34) * 2)}",=1+1\n', encoding="utf-8-sig")
    run = kpi(capsys, "fill", path, data)
    assert run.code == 0, run.text
    wb = load_workbook(path)
    ws = wb[ROSTER_SHEET]
    assert (ws["B3"].value, ws["B3"].data_type) == (FORMULA_NAME, "s")
    assert (ws["C3"].value, ws["C3"].data_type) == ("=1+1", "s")


def test_new_workbook_keeps_a_formula_like_roster_name_as_text(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(f'工号,姓名,团队\nE1,"{FORMULA_NAME.replace(chr(34), chr(34) * 2)}",+cmd\n', encoding="utf-8-sig")
    run = kpi(capsys, "new", "--period", "2026-Q4", "--roster", roster, "-o", tmp_path / "new.xlsx")
    assert run.code == 0
    ws = load_workbook(tmp_path / "new.xlsx")[ROSTER_SHEET]
    assert (ws["B3"].value, ws["B3"].data_type) == (FORMULA_NAME, "s")


def test_new_workbook_is_readable_by_others_as_umask_allows(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        assert kpi(capsys, "new", "--period", "2026-Q4", "-o", tmp_path / "new.xlsx").code == 0
    finally:
        os.umask(old)
    assert (tmp_path / "new.xlsx").stat().st_mode & 0o044 == 0o044


@pytest.mark.parametrize("command", ["fill", "new"])
def test_a_damaged_xlsx_export_or_roster_is_refused_clearly(command, sample, tmp_path, capsys):
    data = build("truncated", sample, tmp_path)
    path = sample_workbook(tmp_path)
    argv = ["fill", path, data] if command == "fill" else ["new", "--period", "2026-Q4", "--roster", data,
                                                           "-o", tmp_path / "new.xlsx"]
    run = kpi(capsys, *argv)
    assert run.code == 2 and data.name in run.err and "损坏" in run.err


def test_fill_refuses_damaged_or_empty_workbooks(sample, tmp_path, capsys):
    data = sample_file("metrics_2026Q4.csv")
    for key, fragments in (("broken_sheet_xml", ("损坏",)), ("billion_laughs", ("实体", "拒绝")),
                           ("empty_workbook", ("没有找到任何输入表",))):
        path = build(key, sample, tmp_path)
        before, files = path.read_bytes(), listing(tmp_path)
        run = kpi(capsys, "fill", path, data)
        assert run.code == 2 and path.name in run.err and all(f in run.err for f in fragments), run.err
        assert path.read_bytes() == before and listing(tmp_path) == files
