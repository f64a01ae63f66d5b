"""An Office Open XML package library: reading, checking and editing .xlsx packages part by part.

Standard library and defusedxml only; it knows nothing of KPIs. Inside it names are public: the
sub-package is the boundary, and this module is its face.

- :mod:`.guard` — is this a workbook package, and is it safe to open (zip checks, safe XML parse);
- :mod:`.parts` — the package as read: parts, relationships, content types, the sheet list;
- :mod:`.xmltext` — namespace-correct text editing of XML parts (bytes kept where unchanged);
- :mod:`.workbook_edit`, :mod:`.styles` — the transplant's edits of workbook.xml, rels, content
  types and styles.xml, and the rewriting of donor sheets;
- :mod:`.transplant` — sheets of a donor workbook moved into a target, every other part kept byte
  for byte;
- :mod:`.safe_files` — atomic writes, file locks, scratch folders, private logs.
"""

from .guard import NotAWorkbook, UnsafeFile, check_package, parse_xml
from .parts import Package, SheetEntry, sheet_entries
from .safe_files import (
    FileBusy,
    FileWriteError,
    atomic_write,
    error_log,
    file_lock,
    io_error,
    real_path,
    require_file_path,
    scratch_folder,
)
from .transplant import transplant_sheets

__all__ = [
    "FileBusy", "FileWriteError", "NotAWorkbook", "Package", "SheetEntry", "UnsafeFile", "atomic_write",
    "check_package", "error_log", "file_lock", "io_error", "parse_xml", "real_path", "require_file_path",
    "scratch_folder", "sheet_entries", "transplant_sheets",
]
