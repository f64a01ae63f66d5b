"""Performance benchmarks: one table, every figure measured side by side in the same run.

    make bench                         # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --quick      # fewer repeats (a smoke run)
    .venv/bin/python benchmarks/run.py --only engine,udf

Rows (medians of several runs; ratios rather than absolute claims, the machine is noisy):

1. engine      kpi_engine.score on 100,000 generated employees vs the tests' scalar reference
               (tests/reference.py) timed on the first 2,000 of the same rows and scaled linearly.
2. compute     compute_file (``kpi compute``) on a filled 10,000-employee workbook vs the I/O
               floor: openpyxl load_workbook + save of that same workbook. Each run is a fresh
               subprocess, which also reports its peak RSS (ru_maxrss).
3. template    ``kpi new`` (read_roster + write_new) with a 10,000-person roster, and
               ``kpi next-period`` (next_period_file) on the computed 10,000 workbook.
4. round trips the add-in's compute (addin/kpi_addin.compute) on tests/fakebook.FakeBook:
               range reads and writes for 10,000 vs 100 employees.
5. udf         KPI_TABLE on a 10,000-row table vs per-row KPI_TOTAL (timed on 500 rows, scaled), and
               KPI_TOTAL's time per call, its values checked against score() on the same rows.
6. fill        ``kpi fill`` of a quarter of daily shop exports (10,000 people, one shop each, × 92
               days = 920,000 rows in three monthly 京东商智-shaped CSV files, one of them GBK)
               into a new 10,000-person workbook vs pandas alone reading the same files
               (read_csv). Fresh subprocesses, wall time and peak RSS.
7. report      ``kpi report`` on a computed 1,000-employee workbook: every scorecard as PDF through
               LibreOffice headless (one run for all teams) — seconds and pages per second.
8. rollup      ``kpi rollup`` of four computed 10,000-employee quarters (2026-Q1…Q4, each built,
               filled and computed like the compute row's book; cached) to .xlsx and CSV.

Generated inputs (100,000 rows, the 10,000 workbook) are cached under $KPI_BENCH_CACHE
(default /tmp/kpi_bench_cache), keyed by a hash of the code that makes them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "addin"), str(ROOT)]

CACHE = Path(os.environ.get("KPI_BENCH_CACHE", "/tmp/kpi_bench_cache"))
PERIOD = "2026-Q4"
N_ENGINE, N_REF = 100_000, 2_000
N_BOOK, N_SMALL = 10_000, 100
N_UDF_ROWS = 500
N_FILL_DAYS = 92  # 2026-Q4

N_REPORT, QUARTERS = 1_000, ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
ROSTER_COLS = ["employee_id", "name", "team", "category", "product_type"]
# code whose changes invalidate the cached inputs
FIXTURE_SOURCES = ["tests/support/reference.py", "kpi_workbook/sheets/book.py", "kpi_workbook/sheets/input_sheets.py",
                   "kpi_workbook/sheets/scheme_sheet.py", "kpi_workbook/commands/fill.py",
                   "kpi_workbook/pipeline/layout.py", "kpi_engine/default_scheme.toml", "benchmarks/run.py"]
FILL_HEAD = ["日期", "店铺名称", "访客数", "浏览量", "成交金额", "成交客户数", "成交单量", "成交转化率", "客单价"]


# ------------------------------------------------------------------ helpers

def median_time(fn: Callable[[], Any], repeats: int, warmup: bool = False) -> float:
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def faster(ratio: float) -> str:
    """'52× faster', '1.3× faster', '2.9× slower'."""
    if ratio >= 10:
        return f"{ratio:.0f}× faster"
    return f"{ratio:.1f}× faster" if ratio >= 1 else f"{1 / ratio:.1f}× slower"


def _key(*extra: Any) -> str:
    h = hashlib.sha256()
    for rel in FIXTURE_SOURCES:
        p = ROOT / rel
        h.update(p.read_bytes() if p.exists() else b"-")
    for t in sorted((ROOT / "templates").glob("*")):
        if t.is_file():
            h.update(t.read_bytes())
    h.update(repr(extra).encode())
    return h.hexdigest()[:12]


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def generated_rows(n: int, seed: int):
    """n employees from tests/reference.random_employee, as a DataFrame (cached as a pickle)."""
    import numpy as np
    import pandas as pd
    from support.reference import random_employee

    path = CACHE / f"rows_{n}_{seed}_{_key('rows', n, seed)}.pkl"
    if path.exists():
        return pd.read_pickle(path)
    say(f"generating {n:,} employees (cached afterwards in {CACHE})")
    rng = np.random.default_rng(seed)
    df = pd.DataFrame([random_employee(rng, i) for i in range(n)])
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    df.to_pickle(tmp)
    os.replace(tmp, path)
    del df  # the frame read back: the first run measures the same frame as every cached run
    return pd.read_pickle(path)


def filled_workbook(n: int, period: str = PERIOD) -> Path:
    """A ``kpi new`` + ``kpi fill`` workbook of n generated employees (cached)."""
    from kpi_workbook.commands.fill import fill_workbook
    from kpi_workbook.sheets.book import write_new

    folder = CACHE / (f"book_{n}_{_key('book', n)}" if period == PERIOD else f"book_{n}_{period}_{_key('book', n, period)}")
    book = folder / f"kpi_{period}.xlsx"
    if book.exists():
        return book
    say(f"building the filled {n:,}-employee workbook (cached afterwards)")
    folder.mkdir(parents=True, exist_ok=True)
    df = generated_rows(n, seed=7)
    df.to_csv(folder / "data.csv", index=False)
    df[ROSTER_COLS].to_csv(folder / "roster.csv", index=False)
    tmp = folder / "building.xlsx"
    write_new(tmp, period, roster=df[ROSTER_COLS], lang="zh")
    fill_workbook(tmp, folder / "data.csv")
    os.replace(tmp, book)
    return book


def fill_inputs(n: int) -> tuple[Path, list[Path], dict[str, float]]:
    """An empty workbook of n people, each running one shop (roster column 店铺), and a quarter of
    that shop's daily rows as three monthly 京东商智-shaped CSVs (a title line, dates as 20261001,
    a 总计 row; October in GBK). Returns the book, the files and person 0's expected sums (cached)."""
    import numpy as np
    import pandas as pd

    from kpi_workbook.sheets.book import write_new

    folder = CACHE / f"fill_{n}_{_key('fill', n)}"
    book, files = folder / f"empty_{PERIOD}.xlsx", [folder / f"京东商智_2026-{m}.csv" for m in (10, 11, 12)]
    expect_path = folder / "expected.json"
    if book.exists() and expect_path.exists():
        return book, files, json.loads(expect_path.read_text())
    say(f"building the fill inputs: {n:,} people × {N_FILL_DAYS} days (cached afterwards)")
    folder.mkdir(parents=True, exist_ok=True)
    roster = generated_rows(n, seed=7)[ROSTER_COLS].copy()
    roster["shops"] = [f"京东店铺{i:05d}" for i in range(n)]
    rng = np.random.default_rng(11)
    days = pd.date_range("2026-10-01", periods=N_FILL_DAYS)
    shape = (N_FILL_DAYS, n)
    uv = rng.integers(50, 3000, shape)
    pv = uv * rng.integers(2, 6, shape)
    orders = rng.binomial(uv, 0.03)
    cents = orders * rng.integers(3_000, 30_000, shape)
    for month, path in zip((10, 11, 12), files):
        d = np.flatnonzero(days.month == month)
        frame = pd.DataFrame({
            "日期": np.repeat(days[d].strftime("%Y%m%d"), n), "店铺名称": np.tile(roster["shops"].to_numpy(), len(d)),
            "访客数": uv[d].ravel(), "浏览量": pv[d].ravel(), "成交金额": [f"{c / 100:.2f}" for c in cents[d].ravel()],
            "成交客户数": orders[d].ravel(), "成交单量": orders[d].ravel(),
            "成交转化率": [f"{x:.2%}" for x in (orders[d] / uv[d]).ravel()], "客单价": "",
        })
        encoding = "gbk" if month == 10 else "utf-8"
        with path.open("w", encoding=encoding, newline="") as fh:
            fh.write(f"京东商智-经营概况-店铺明细（2026-{month}）\n")
            frame.to_csv(fh, index=False, lineterminator="\n")
            fh.write(f"总计,,{uv[d].sum()},{pv[d].sum()},{cents[d].sum() / 100:.2f},,{orders[d].sum()},,\n")
    expected = {"employee_id": str(roster["employee_id"].iloc[0]), "uv": float(uv[:, 0].sum()), "pv": float(pv[:, 0].sum()), "paid_orders": float(orders[:, 0].sum()),
                "sales_actual": float(cents[:, 0].sum()) / 100}
    tmp = folder / "building.xlsx"
    write_new(tmp, PERIOD, roster=roster, lang="zh")
    os.replace(tmp, book)
    expect_path.write_text(json.dumps(expected))
    return book, files, expected


def child(task: str, *args: str) -> dict[str, Any]:
    """Run ``task`` in a fresh interpreter; it reports its wall time and peak RSS as JSON."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", task, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"child {task} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_child_task(task: str, args: list[str]) -> None:
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    if task == "floor":  # the I/O floor: openpyxl load + save, nothing else
        from openpyxl import load_workbook

        wb = load_workbook(args[0])
        wb.save(args[1])
    elif task == "compute":
        from kpi_workbook.commands.files import compute_file

        outcome = compute_file(args[0], out=args[1])
        extra["scored"] = outcome.summary.scored
    elif task == "new":  # kpi new --roster roster.csv
        from kpi_workbook.pipeline.roster import read_roster
        from kpi_workbook.sheets.book import write_new

        write_new(args[1], PERIOD, roster=read_roster(args[0]), lang="zh")
    elif task == "report":  # kpi report BOOK -o DIR (PDF through LibreOffice)
        from kpi_workbook.commands.report import report_file

        filed = report_file(args[0], args[1], force=True)
        extra["people"], extra["pdf"] = filed.people, filed.fmt == "pdf"
    elif task == "rollup":  # kpi rollup BOOK… -o YEAR.xlsx --csv YEAR.csv
        from kpi_workbook.commands.rollup import rollup_files

        outcome = rollup_files(args[2:], args[0], csv_path=args[1], force=True)
        extra["people"] = len(outcome.result.annual)
    elif task == "next":  # kpi next-period
        from kpi_workbook.commands.files import next_period_file

        next_period_file(args[0], args[1])
    elif task == "fill":  # kpi fill BOOK EXPORTS… -o OUT --force
        from kpi_workbook.commands.fill import fill_workbook

        report = fill_workbook(args[0], args[2:], out=args[1], force=True)
        extra["cells"] = report.cells_written
        extra["failed"] = bool(report.failed())
    elif task == "pandas_read":  # the same files read by pandas alone
        import pandas as pd

        for name in args:
            try:
                frame = pd.read_csv(name, skiprows=1, encoding="utf-8")
            except UnicodeDecodeError:  # what a pandas user does with a Chinese Windows file
                frame = pd.read_csv(name, skiprows=1, encoding="gb18030")
            extra["rows"] = extra.get("rows", 0) + len(frame)
    else:
        raise SystemExit(f"unknown task {task}")
    seconds = time.perf_counter() - t0
    print(json.dumps({"task": task, "seconds": seconds, "peak_mb": peak_rss_mb(), **extra}))


def _pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def computed_workbook(n: int, period: str = PERIOD) -> Path:
    """The filled workbook of n employees for ``period``, computed (cached beside it)."""
    book = filled_workbook(n, period)
    computed = book.parent / f"computed_{period}.xlsx"
    if not computed.exists():
        say(f"computing the {n:,}-employee {period} workbook (cached afterwards)")
        child("compute", str(book), str(computed))
    return computed


def peak_rss_mb() -> float:
    """This process's peak resident set size. VmHWM (Linux) starts afresh at exec; ru_maxrss
    would carry over the parent's peak from the fork, which holds 100,000 generated rows."""
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def repeated_children(tasks: list[tuple[str, list[str]]], repeats: int) -> dict[str, dict[str, float]]:
    """Interleave the tasks (a b a b …) so both see the same machine noise; medians per task."""
    got: dict[str, list[dict[str, Any]]] = {t: [] for t, _ in tasks}
    for _ in range(repeats):
        for task, args in tasks:
            got[task].append(child(task, *args))
    return {t: {"seconds": statistics.median(r["seconds"] for r in rs),
                "peak_mb": statistics.median(r["peak_mb"] for r in rs), "runs": len(rs)} for t, rs in got.items()}


# ------------------------------------------------------------------ benchmarks

def bench_engine(reps: int) -> list[dict[str, Any]]:
    import numpy as np
    from support.reference import random_employee, reference_score

    from kpi_engine import score

    seed = 20261128
    df = generated_rows(N_ENGINE, seed=seed)
    rng = np.random.default_rng(seed)  # the same generator again: the frame's first N_REF rows, as dicts
    rows = [random_employee(rng, i) for i in range(N_REF)]
    assert [r["employee_id"] for r in rows] == df["employee_id"].head(N_REF).tolist()
    say(f"engine: score() on {len(df):,} rows ×{reps}")
    t_engine = median_time(lambda: score(df, period=PERIOD), reps, warmup=True)
    say(f"engine: reference on {N_REF:,} rows ×{max(reps, 3)}")
    t_ref_sub = median_time(lambda: [reference_score(r, 3) for r in rows], max(reps, 3))
    t_ref = t_ref_sub * len(df) / N_REF
    result = score(df, period=PERIOD)

    def with_reasons() -> None:  # score and materialise every problem and reason text (what compute shows)
        r = score(df, period=PERIOD)
        r.problems, r.deductions, r.guide  # noqa: B018

    say(f"engine: score() + reason texts on {len(df):,} rows ×{max(reps - 2, 1)}")
    t_reasons = median_time(with_reasons, max(reps - 2, 1))
    return [
        {"row": "1 engine", "what": f"score() on {len(df):,} employees (numbers, grades, flags)",
         "value": f"{t_engine:.3f} s", "versus": f"scalar reference {t_ref:.2f} s "
         f"({N_REF:,} rows × {len(df) // N_REF})", "ratio": t_ref / t_engine, "ratio_text": faster(t_ref / t_engine),
         "target": "≥ 30× faster", "met": t_ref / t_engine >= 30},
        {"row": "1 engine", "what": f"score() + every problem and reason text ({len(result.problems):,} problems, "
         f"{len(result.deductions):,} deductions, "
         f"{len(result.guide):,} guide lines)", "value": f"{t_reasons:.3f} s", "versus": f"scalar reference {t_ref:.2f} s",
         "ratio": t_ref / t_reasons, "ratio_text": faster(t_ref / t_reasons), "target": "(info: problems and "
         "reasons are built on first access)", "met": None},
    ]


def bench_compute(reps: int) -> list[dict[str, Any]]:
    book = filled_workbook(N_BOOK)
    work = CACHE / "work"
    work.mkdir(parents=True, exist_ok=True)
    say(f"compute vs floor on {N_BOOK:,} employees ×{reps} (fresh subprocesses, interleaved)")
    res = repeated_children([("floor", [str(book), str(work / "floor.xlsx")]),
                             ("compute", [str(book), str(book.parent / "computed.xlsx")])], reps)
    f, c = res["floor"], res["compute"]
    t_ratio, m_ratio = c["seconds"] / f["seconds"], c["peak_mb"] / f["peak_mb"]
    return [
        {"row": "2 compute", "what": f"kpi compute, {N_BOOK:,} employees (time)", "value": f"{c['seconds']:.2f} s",
         "versus": f"openpyxl load+save {f['seconds']:.2f} s", "ratio": t_ratio, "ratio_text": f"{t_ratio:.2f}× floor",
         "target": "≤ 0.35× floor", "met": t_ratio <= 0.35},
        {"row": "2 compute", "what": f"kpi compute, {N_BOOK:,} employees (peak RSS)", "value": f"{c['peak_mb']:.0f} MB",
         "versus": f"openpyxl load+save {f['peak_mb']:.0f} MB", "ratio": m_ratio, "ratio_text": f"{m_ratio:.2f}× floor",
         "target": "≤ 1.0× floor", "met": m_ratio <= 1.0},
    ]


def bench_template(reps: int) -> list[dict[str, Any]]:
    book = filled_workbook(N_BOOK)
    work = CACHE / "work"
    work.mkdir(parents=True, exist_ok=True)
    computed = book.parent / "computed.xlsx"  # made by the compute row of this run, when it ran
    if not computed.exists():
        child("compute", str(book), str(computed))
    say(f"kpi new / kpi next-period on {N_BOOK:,} employees ×{reps}")
    res = repeated_children([("new", [str(book.parent / "roster.csv"), str(work / "new.xlsx")]),
                             ("next", [str(computed), str(work / "next.xlsx")])], reps)
    n, x = res["new"], res["next"]
    return [
        {"row": "3 template", "what": f"kpi new, {N_BOOK:,}-person roster", "value": f"{n['seconds']:.2f} s",
         "versus": f"peak RSS {n['peak_mb']:.0f} MB", "ratio": None, "ratio_text": "", "target": "(seconds)", "met": None},
        {"row": "3 template", "what": f"kpi next-period, computed {N_BOOK:,} workbook", "value": f"{x['seconds']:.2f} s",
         "versus": f"peak RSS {x['peak_mb']:.0f} MB", "ratio": None, "ratio_text": "", "target": "(seconds)", "met": None},
    ]


def _fake_compute(path: Path) -> dict[str, Any]:
    import kpi_addin
    from support.fakebook import FakeBook

    from kpi_workbook.pipeline.reading import skip_sheets

    book = FakeBook.from_xlsx(path)
    skip = skip_sheets({})
    n_inputs = sum(1 for s in book.sheets if s.name not in skip)
    t0 = time.perf_counter()
    report = kpi_addin.compute(book)
    seconds = time.perf_counter() - t0
    if not report.ok:
        raise RuntimeError(report.message)
    blocks = len({name for name, *_ in book.write_log})  # result sheets written (+ the hidden meta sheet)
    return {"reads": book.reads, "writes": book.writes, "inputs": n_inputs, "blocks": blocks, "seconds": seconds,
            "read_log": book.read_log, "write_log": book.write_log}


def bench_roundtrips() -> list[dict[str, Any]]:
    say("add-in compute on FakeBook: 100 and 10,000 employees")
    big = _fake_compute(filled_workbook(N_BOOK))
    small = _fake_compute(filled_workbook(N_SMALL))
    # one read per sheet the pipeline reads (input sheets + scheme + meta), one write per block
    sheets_read = len({name for name, _ in big["read_log"]})
    ok = (big["reads"] == small["reads"] == sheets_read and big["writes"] == small["writes"] == big["blocks"])
    return [
        {"row": "4 round trips", "what": f"add-in compute on FakeBook, {N_BOOK:,} employees",
         "value": f"{big['reads']} reads / {big['writes']} writes",
         "versus": f"{N_SMALL} employees: {small['reads']} reads / {small['writes']} writes",
         "ratio": None, "ratio_text": f"{sheets_read} sheets read ({big['inputs']} input), {big['blocks']} blocks",
         "target": "1 read per sheet, 1 write per block, same at any N", "met": ok},
        {"row": "4 round trips", "what": f"add-in compute on FakeBook, {N_BOOK:,} employees (time)",
         "value": f"{big['seconds']:.2f} s", "versus": f"{N_SMALL} employees {small['seconds']:.2f} s",
         "ratio": None, "ratio_text": "", "target": "(info: Python side only, no COM latency)", "met": None},
    ]


def bench_udf(reps: int) -> list[dict[str, Any]]:
    import math

    import kpi_udf_core
    import kpi_udfs
    import numpy as np

    from kpi_engine import normalize_id, score

    df = generated_rows(N_BOOK, seed=7)
    cols = list(df.columns)

    def cell(v: Any) -> Any:  # as xlwings passes cells: numbers as float, blanks None
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        return float(v) if isinstance(v, (int, float, np.integer, np.floating)) else v

    body = [[cell(v) for v in row] for row in df.itertuples(index=False, name=None)]
    table = [cols] + body
    say(f"udf: KPI_TABLE on {len(body):,} rows ×{reps}; KPI_TOTAL on {N_UDF_ROWS} rows")

    def one_table() -> None:
        out = kpi_udfs.KPI_TABLE(table, PERIOD)
        assert len(out) == len(body) + 1, out[:2]

    t_table = median_time(one_table, reps, warmup=True)

    got: list[Any] = []

    def per_row() -> None:
        kpi_udf_core.score_items.cache_clear()  # every cell a different row: no cache hits
        got.clear()
        for row in body[:N_UDF_ROWS]:
            v = kpi_udfs.KPI_TOTAL(cols, row, PERIOD)
            assert not (isinstance(v, str) and v.startswith("#KPI! 计算出错")), v
            got.append(v)

    kpi_udfs.KPI_TOTAL(cols, body[0], PERIOD)
    t_call = median_time(per_row, max(reps - 2, 1)) / N_UDF_ROWS
    t_rows = t_call * len(body)
    # the same values as score() on the same rows: a number where it has a total, a #KPI! text where not
    totals = score(df.head(N_UDF_ROWS), period=PERIOD).total
    want = [totals.get(normalize_id(e), float("nan")) for e in df["employee_id"].head(N_UDF_ROWS)]
    same = sum((isinstance(v, str) and math.isnan(w)) or (isinstance(v, float) and v == w) for v, w in zip(got, want))
    return [{"row": "5 udf", "what": f"KPI_TABLE, one call on {len(body):,} rows", "value": f"{t_table:.2f} s",
             "versus": f"{len(body):,} × KPI_TOTAL {t_rows:.1f} s ({N_UDF_ROWS} rows × {len(body) // N_UDF_ROWS})",
             "ratio": t_rows / t_table, "ratio_text": faster(t_rows / t_table), "target": "(ratio)",
             "met": None},
            {"row": "5 udf", "what": f"KPI_TOTAL, one call ({N_UDF_ROWS} different rows, row cache cleared)",
             "value": f"{t_call * 1000:.2f} ms", "versus": f"score() on the same rows: {same}/{N_UDF_ROWS} equal "
             f"({sum(isinstance(v, str) for v in got)} answer a problem text)",
             "ratio": None, "ratio_text": "", "target": "≤ 1 ms a call, same values as score()",
             "met": t_call <= 0.001 and same == N_UDF_ROWS}]


def bench_fill(reps: int) -> list[dict[str, Any]]:
    from support.workbooks import table

    book, files, expected = fill_inputs(N_BOOK)
    out = CACHE / "work" / "filled.xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    names = [str(f) for f in files]
    say(f"fill of {N_BOOK:,} people × {N_FILL_DAYS} days vs pandas read_csv ×{reps} (fresh subprocesses, interleaved)")
    res = repeated_children([("pandas_read", names), ("fill", [str(book), str(out), *names])], reps)
    eid = expected.pop("employee_id")
    got = table(out, "销售与流量").set_index("employee_id").loc[eid]
    for fid, want in expected.items():  # the bench's own check: person 0's quarter sums
        assert abs(float(got[fid]) - want) < 1e-6, (fid, got[fid], want)
    f, p = res["fill"], res["pandas_read"]
    rows = N_BOOK * N_FILL_DAYS
    return [
        {"row": "6 fill", "what": f"kpi fill, {N_BOOK:,} people × {N_FILL_DAYS} days ({rows:,} rows, 3 CSV) (time)",
         "value": f"{f['seconds']:.2f} s", "versus": f"pandas read_csv {p['seconds']:.2f} s",
         "ratio": f["seconds"] / p["seconds"], "ratio_text": f"{f['seconds'] / p['seconds']:.1f}× pandas",
         "target": "(seconds)", "met": None},
        {"row": "6 fill", "what": f"kpi fill, {N_BOOK:,} people × {N_FILL_DAYS} days (peak RSS)",
         "value": f"{f['peak_mb']:.0f} MB", "versus": f"pandas read_csv {p['peak_mb']:.0f} MB",
         "ratio": f["peak_mb"] / p["peak_mb"], "ratio_text": f"{f['peak_mb'] / p['peak_mb']:.1f}× pandas",
         "target": "(peak memory)", "met": None},
    ]


# ------------------------------------------------------------------ report

def bench_report(reps: int) -> list[dict[str, Any]]:
    from kpi_workbook.commands.pdf_export import find_soffice

    if not find_soffice():
        say("report: LibreOffice not found, row skipped")
        return []
    book = computed_workbook(N_REPORT)
    say(f"kpi report: {N_REPORT:,} scorecards as PDF ×{reps}")
    cards = CACHE / "work" / "cards"
    r = repeated_children([("report", [str(book), str(cards)])], reps)["report"]
    pages = sum(_pdf_pages(p) for p in cards.glob("*.pdf")) // 2  # each page twice: a person's file and the team's
    return [{"row": "7 report", "what": f"kpi report, {N_REPORT:,} people (PDF, LibreOffice)",
             "value": f"{r['seconds']:.1f} s", "versus": f"{pages / r['seconds']:.1f} pages/s; peak RSS {r['peak_mb']:.0f} MB",
             "ratio": None, "ratio_text": "", "target": "(seconds, pages/s)", "met": None}]


def bench_rollup(reps: int) -> list[dict[str, Any]]:
    books = [computed_workbook(N_BOOK, q) for q in QUARTERS]
    work = CACHE / "work"
    work.mkdir(parents=True, exist_ok=True)
    say(f"kpi rollup of four {N_BOOK:,}-employee quarters ×{reps}")
    r = repeated_children([("rollup", [str(work / "year.xlsx"), str(work / "year.csv"), *map(str, books)])], reps)
    r = r["rollup"]
    return [{"row": "8 rollup", "what": f"kpi rollup, 4 quarters × {N_BOOK:,} people (.xlsx + CSV)",
             "value": f"{r['seconds']:.2f} s", "versus": f"peak RSS {r['peak_mb']:.0f} MB",
             "ratio": None, "ratio_text": "", "target": "(seconds)", "met": None}]


def table_text(rows: list[dict[str, Any]]) -> str:
    head = ["#", "measure", "value", "compared with", "ratio", "target", "status"]
    lines = [[r["row"], r["what"], r["value"], r["versus"], r["ratio_text"], r["target"],
              "" if r["met"] is None else ("met" if r["met"] else "MISSED")] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = "| " + " | ".join(f"{{:{w}}}" for w in widths) + " |"
    out = [fmt.format(*head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--only", default="engine,compute,template,roundtrips,udf,fill,report,rollup")
    p.add_argument("--json", help="also write the rows as JSON here")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        run_child_task(args.child[0], args.child[1:])
        return 0
    CACHE.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    fast, slow = (3, 1) if args.quick else (5, 3)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    if "engine" in only:
        rows += bench_engine(fast)
    if "compute" in only:
        rows += bench_compute(slow)
    if "template" in only:
        rows += bench_template(max(slow - 1, 1))
    if "roundtrips" in only:
        rows += bench_roundtrips()
    if "udf" in only:
        rows += bench_udf(fast)
    if "fill" in only:
        rows += bench_fill(max(slow - 1, 1))
    if "report" in only:
        rows += bench_report(1)
    if "rollup" in only:
        rows += bench_rollup(max(slow - 2, 1))
    elapsed = time.perf_counter() - started
    print(f"KPI benchmarks {dt.date.today().isoformat()} — {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}; medians "
          f"({fast} runs fast rows, {slow} runs subprocess rows); total {elapsed:.0f} s")
    print(table_text(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
