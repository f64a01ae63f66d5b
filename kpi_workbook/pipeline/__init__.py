"""The pipeline core: how a period workbook becomes the engine's input and its results become sheets.

One pipeline for the file (read with :class:`FileSource`) and the live Excel book (the add-in's
``BookSource``): whole sheets in (:class:`SheetSource`), result :class:`Block` values out; the
writers (openpyxl donor + zip transplant, or xlwings) differ only in how blocks reach the book.

- :mod:`.layout` — the workbook's layout (sheet names, rows, data owners, result sheets);
- :mod:`.sources` — the seam: a sheet as rows; :mod:`.file_source` — that seam over a file;
- :mod:`.reading` — input sheets found by content, merged into one frame, every value's cell
  kept; the hidden meta sheet; which sheets compute owns;
- :mod:`.scheme_tables`, :mod:`.scheme_syntax`, :mod:`.scheme_reader` — the scheme sheet;
  :mod:`.scheme_names` — the names HR types there (columns, groups, rules, "12%") as ids;
- :mod:`.roster` — rosters and exports from CSV or Excel;
- :mod:`.results` — the result sheets as blocks of values; :mod:`.help_text` — 说明 as lines
  (a block compute rebuilds from the scheme it used);
- :mod:`.computing` — compute and validate; :mod:`.carry` — what carries to the next period;
- :mod:`.bulk` — work that makes objects by the million, without the cycle collector's rescans;
- :mod:`.cell_problem` — a problem located to its sheet and cell; :mod:`.errors` — the user's
  errors, and :func:`user_error`, which turns any failure into one (or says it is a bug).
"""

from .bulk import bulk_work
from .cell_problem import CellProblem
from .computing import Outcome, SchemeProblems, Summary, book_lang, compute, load_scheme_from, validate
from .errors import WorkbookError, user_error
from .file_source import FileSource
from .reading import read_meta
from .results import Block, ChartSpec
from .sources import SheetSource

__all__ = [
    "Block", "CellProblem", "ChartSpec", "FileSource", "Outcome", "SchemeProblems", "SheetSource", "Summary",
    "WorkbookError", "book_lang", "bulk_work", "compute", "load_scheme_from", "read_meta", "user_error", "validate",
]
