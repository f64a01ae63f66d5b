"""The user's errors of the workbook side, and the one place that turns any failure into one.

Every error a user can cause is a :class:`kpi_engine.KpiError` (code, zh, en). The workbook's own
(:class:`WorkbookError` and those derived from it elsewhere) are raised as such; the file
library's refusals (:mod:`kpi_workbook.ooxml`: not a workbook, unsafe, busy, not writable) and
the operating system's (a missing file or folder, a folder given as a file, no permission, a full
disk) are turned into KpiErrors by :func:`user_error`, which the command line and the Excel
add-in both call at their boundary: what it does not recognise is a bug, shown with a log file.
"""

from __future__ import annotations

from pathlib import Path

from kpi_engine.errors import KpiError
from kpi_engine.i18n import both

from ..ooxml import FileBusy, FileWriteError, NotAWorkbook, UnsafeFile

PACKAGE_ERRORS = {NotAWorkbook: "not_a_workbook", UnsafeFile: "unsafe_file", FileBusy: "file_busy",
                  FileWriteError: "file_not_writable"}


class WorkbookError(KpiError):
    """The workbook as a whole cannot be used (message for the user, zh / en)."""

    code = "workbook"


def workbook_error(code: str, /, cls: type[KpiError] = WorkbookError, **fields: object) -> KpiError:
    """The error ``code`` with its message from the catalogs (section ``workbook_error``)."""
    zh, en = both(f"workbook_error.{code}", **fields)
    return cls(zh, en, code=code)


def user_error(exc: BaseException, file: str | None = None) -> KpiError | None:
    """``exc`` as the user's error, or None when it is a bug (see the module's docstring);
    ``file``: the file the command was given, named when the system's error names none."""
    if isinstance(exc, KpiError):
        return exc
    for kind, code in PACKAGE_ERRORS.items():
        if isinstance(exc, kind):
            return KpiError(str(exc), code=code)  # the library's message holds both languages
    if isinstance(exc, OSError):
        return _os_error(exc, file)
    return None


def _os_error(exc: OSError, file: str | None) -> KpiError:
    name = exc.filename
    if isinstance(exc, FileNotFoundError):
        folder = Path(str(name)).parent if name else None
        if folder is not None and str(folder) not in ("", ".") and not folder.exists():
            # a temp or lock file beside the output: the folder is what is missing
            return KpiError(*both("file_error.no_folder", folder=folder), code="no_folder")
        return KpiError(*both("file_error.no_file", name=name or exc), code="no_file")
    if isinstance(exc, IsADirectoryError):
        return KpiError(*both("file_error.is_folder", name=name), code="is_folder")
    if isinstance(exc, PermissionError):
        return KpiError(*both("file_error.no_permission", name=name), code="no_permission")
    reason, name = exc.strerror or str(exc), name or file
    if name:
        return KpiError(*both("file_error.os_error", name=name, reason=reason), code="os_error")
    return KpiError(*both("file_error.os_error_unnamed", reason=reason), code="os_error")
