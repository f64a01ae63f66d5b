"""An Office Open XML package library: reading, checking and editing .xlsx packages part by part.

Standard library and defusedxml only; it knows nothing of KPIs. Inside it names are public: the
sub-package is the boundary, and this module is its face.

- :mod:`.errors` — what a file that cannot be used gets: a code and a message in zh and en;
- :mod:`.guard` — is this a workbook package, and is it safe to open (zip checks, safe XML parse);
- :mod:`.sheet_reader` — sheet values from the zip alone, streamed (:mod:`.numfmt`: which number
  formats are dates, and Excel's date serials); :mod:`.cells` — addresses, limits, text that fits;
  :mod:`.row_writer` — data rows streamed into a sheet's XML (a donor's, or a
  transplanted sheet's as it is written);
- :mod:`.parts` — the package as read: parts, relationships, content types, the sheet list;
- :mod:`.xmltext` — namespace-correct text editing of XML parts (bytes kept where unchanged);
- :mod:`.workbook_edit`, :mod:`.styles` — the transplant's edits of workbook.xml, rels, content
  types and styles.xml, and the rewriting of donor sheets;
- :mod:`.transplant` — sheets of a donor workbook moved into a target, every other part kept byte
  for byte;
- :mod:`.safe_files` — atomic writes, file locks, scratch folders, private logs.
"""

from .errors import CellOutOfRange, NotAWorkbook, PackageError, UnsafeFile
from .guard import check_package, parse_xml
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
    unused_path,
)
from .sheet_reader import SparseRow, WorkbookReader
from .transplant import transplant_sheets

__all__ = [
    "CellOutOfRange", "FileBusy", "FileWriteError", "NotAWorkbook", "Package", "PackageError", "SheetEntry",
    "SparseRow", "UnsafeFile", "WorkbookReader", "atomic_write",
    "check_package", "error_log", "file_lock", "io_error", "parse_xml", "real_path", "require_file_path",
    "scratch_folder", "sheet_entries", "transplant_sheets", "unused_path",
]
