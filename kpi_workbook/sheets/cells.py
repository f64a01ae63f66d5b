"""The one way a value from data gets into an openpyxl cell, and saving a workbook cleanly."""

from __future__ import annotations

import os
from typing import Any

from ..ooxml.cells import cell_text


def set_value(cell: Any, value: Any) -> None:
    """Put a value in an openpyxl cell — the one way every writer puts a value from data into a
    cell: text stays text even when it starts with '=' (a roster name like '=HYPERLINK(…)' or an
    advice typed in the scheme sheet must never become a live formula), and fits the cell."""
    if isinstance(value, str):
        value = cell_text(value)
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"


def display_width(text: Any) -> int:
    """The width of a text in column-width units: a CJK (full-width) character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def write(ws: Any, row: int, col: int, value: Any = None) -> Any:
    """``ws.cell(row, col)`` with ``value`` put in by :func:`set_value`; returns the cell."""
    cell = ws.cell(row, col)
    if value is not None:
        set_value(cell, value)
    return cell


def save_workbook(wb: Any, path: Any) -> None:
    """``wb.save(path)``, failing cleanly. When a write fails (a full disk), openpyxl leaves its zip
    and its temp-file writers to the garbage collector, whose second failure then prints "Exception
    ignored in: ZipFile.__del__ … OSError" with a traceback on the user's terminal, past every
    handler. Here the zip is closed by a ``with``, and on failure the writers are collected at once
    with that cleanup noise (and only it) silenced; the error itself is raised as usual."""
    import datetime as dt
    import gc
    import sys
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    try:
        with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True) as archive:
            wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
            ExcelWriter(wb, archive).write_data()
    except Exception as exc:
        failure = _io_failure(exc)
        if failure is None:
            raise
    else:
        return
    hook = sys.unraisablehook

    def quiet(unraisable: Any) -> None:  # the writers' cleanup failing again after the failed write
        if not isinstance(unraisable.exc_value, Exception) or _io_failure(unraisable.exc_value) is None:
            hook(unraisable)

    sys.unraisablehook = quiet
    try:
        seen, e = set(), failure  # the tracebacks hold the writers' frames: let them go now
        while e is not None and id(e) not in seen:
            seen.add(id(e))
            e.__traceback__ = None
            e = e.__context__ or e.__cause__
        gc.collect()
    finally:
        sys.unraisablehook = hook
    raise failure


def _io_failure(exc: Exception) -> OSError | None:
    """The failed write as an OSError: itself, or lxml's "IO_ENOSPC"-style SerialisationError
    (openpyxl writes through lxml when it is installed); None for any other error."""
    import errno

    if isinstance(exc, OSError):
        return exc
    name = str(exc).strip()
    if type(exc).__name__ == "SerialisationError" and name.startswith("IO_"):
        code = getattr(errno, name[3:], None)
        failure = OSError(code, os.strerror(code) if code else name)
        failure.__cause__ = exc
        return failure
    return None
