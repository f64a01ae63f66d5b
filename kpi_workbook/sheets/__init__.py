"""The sheets we write with openpyxl, and how they look.

- :mod:`.book` — ``kpi new``: the whole period workbook; :mod:`.next_book` — next period's;
- :mod:`.input_sheets`, :mod:`.help_sheet`, :mod:`.scheme_sheet` — one sheet kind each;
- :mod:`.result_donor` — result blocks as a small donor workbook, transplanted into HR's file;
- :mod:`.cells` — the one way a value from data goes into a cell, and saving cleanly;
- :mod:`.style` — the fonts and fills all of them use.
"""

from .book import new_workbook, write_new
from .cells import save_workbook, set_value, write
from .next_book import build_next
from .result_donor import build_donor, donor_frame

__all__ = ["build_donor", "donor_frame", "build_next", "new_workbook", "save_workbook", "set_value", "write", "write_new"]
