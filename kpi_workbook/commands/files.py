"""The pipeline on files: validate, compute (zip-level write), CSV export, next period.

Compute never round-trips the user's workbook through openpyxl: it reads in read-only
mode, builds the result sheets in a separate donor file, and transplants them into the
package (every other part stays byte-identical). Saves are atomic and locked.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, NamedTuple

from ..ooxml import (
    FileWriteError,
    atomic_write,
    check_package,
    file_lock,
    io_error,
    require_file_path,
    scratch_folder,
    transplant_sheets,
    unused_path,
)
from ..pipeline import CellProblem, FileSource, Outcome, bulk_work, compute, validate
from ..pipeline.carry import default_next_path
from ..pipeline.computing import Progress
from ..sheets.cells import save_workbook
from ..sheets.next_book import build_next
from ..sheets.result_donor import donor_frame

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def open_source(path: str | Path) -> FileSource:
    """Check the package is a sane workbook (size, zip, XML) and open it read-only."""
    check_package(path)
    return FileSource(path)


def require_folder(*paths: str | Path | None) -> None:
    """Fail before any work when the folder an output goes to does not exist.

    Checked up front so that a mistyped --csv folder does not fail after the workbook was
    already written, and so that the error names the folder, not a temp or lock file in it.
    """
    for p in paths:
        if p is not None:
            require_file_path(p)  # a missing folder, or a folder given as the output file


def new_file(path: str | Path, force: bool = False, *, book: str | Path | None = None) -> Path:
    """Where a file the product creates is written: the product's one rule (``ooxml.unused_path``).

    An existing file is never replaced unless ``force`` (``--force``): the new file goes beside it
    as ``name (2).ext`` (the next free name), and the caller says which name was used. ``book`` is
    the workbook the command works on: writing the results onto the book itself (``kpi compute
    BOOK -o BOOK``) is what compute is for, and stays in place.
    """
    path = Path(path)
    if force or path.is_dir() or (book is not None and same_file(path, book)):
        return path  # a folder given as the file is refused by the write, naming it
    return unused_path(path)


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when ``a`` and ``b`` name one file (links and relative paths followed)."""
    try:
        return Path(a).resolve() == Path(b).resolve() or (Path(a).exists() and Path(a).samefile(b))
    except OSError:
        return False


def validate_file(path: str | Path, lang: str | None = None) -> list[CellProblem]:
    with open_source(path) as source:
        return validate(source, lang=lang)


@bulk_work()
def compute_file(path: str | Path, out: str | Path | None = None, *, csv_path: str | Path | None = None,
                 lang: str | None = None, progress: Progress | None = None, lock_timeout: float = 0,
                 proposal: bool | None = None) -> Outcome:
    """Score the workbook at ``path`` and write the result sheets (in place unless ``out``);
    ``proposal`` as :func:`kpi_workbook.pipeline.compute` takes it (``kpi calibrate``)."""
    path = Path(path)
    target = Path(out) if out else path
    require_folder(target, csv_path)
    with file_lock(target, timeout=lock_timeout):
        with open_source(path) as source:
            outcome = compute(source, lang=lang, progress=progress, proposal=proposal)
        with scratch_folder("kpi_donor_") as tmp:
            donor = Path(tmp) / "donor.xlsx"
            try:
                rows = donor_frame(outcome.blocks, donor)  # the data rows are streamed in by the transplant
            except OSError as exc:  # the temp folder is full: say which folder, not the workbook
                if isinstance(exc, FileWriteError) or exc.errno is None:
                    raise
                raise io_error(Path(tmp), exc) from exc
            states = {b.sheet: b.state for b in outcome.blocks}
            transplant_sheets(path, donor, outcome.owned, target, states=states, rows=rows, locked=True)
    if csv_path:
        write_csv(outcome, csv_path)
    return outcome


def safe_text(value: Any) -> Any:
    """Neutralise spreadsheet formula injection in text cells of a CSV ('=1+1' → "'=1+1")."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(outcome: Outcome, path: str | Path) -> Path:
    """employee_id, <indicator>.points …, total, grade, flags, then what follows the scores:
    adjustment, final_total, final_grade, coefficient, pay — one row per employee (UTF-8 with BOM).
    ``total`` and ``grade`` are the computed ones; a blank is "not applicable" (no adjustment, no pay)."""
    result = outcome.result
    path = Path(path)
    inds = [i.id for i in result.scheme.indicators]
    after = ["adjustment", "final_total", "final_grade", "coefficient", "pay"]
    header = ["employee_id"] + [f"{i}.points" for i in inds] + ["total", "grade", "flags"] + after

    def number(x: Any) -> Any:
        return "" if x is None or (isinstance(x, float) and math.isnan(x)) else repr(float(x))

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            points, final = result.points, result.final
            for eid in result.total.index:
                row = [safe_text(eid)] + [number(points.at[eid, i]) for i in inds]
                row += [number(result.total[eid]), safe_text(result.grade[eid] or ""), safe_text(";".join(result.flags[eid]))]
                row += [number(final.at[eid, "adjustment"]), number(final.at[eid, "final_total"]),
                        safe_text(final.at[eid, "final_grade"] or ""), number(final.at[eid, "coefficient"]),
                        number(final.at[eid, "pay"])]
                w.writerow(row)

    atomic_write(path, write)
    return path


class Written(NamedTuple):
    """A file a command wrote: the name asked for (or the default one) and the name used."""

    asked: Path
    path: Path


@bulk_work()
def next_period_file(path: str | Path, out: str | Path | None = None, lang: str | None = None, *,
                     force: bool = False) -> Written:
    """Write next period's workbook (default: beside the current one, named after the period):
    an existing file of that name is kept and the new one is ``name (2).xlsx`` unless ``force``
    (:func:`new_file`)."""
    path = Path(path)
    with open_source(path) as source:
        wb = build_next(source, lang=lang)
        asked = Path(out) if out else default_next_path(path, source)
    target = new_file(asked, force)
    require_folder(target)
    atomic_write(target, lambda tmp: save_workbook(wb, tmp))
    return Written(asked, target)
