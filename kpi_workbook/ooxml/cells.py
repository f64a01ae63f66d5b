"""Cells as the file format knows them: addresses, the grid's limits, text a cell can hold."""

from __future__ import annotations

import re

MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # Excel's grid
MAX_CELL_TEXT = 32_767  # characters Excel keeps in a cell
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0


def column_letter(col: int) -> str:
    """1 → 'A', 28 → 'AB', 16384 → 'XFD'."""
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """'A' → 1, 'XFD' → 16384 (no check of the grid's limit: see the callers)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def cell_ref(row: int, col: int) -> str:
    """1-based row and column → 'B7'."""
    return f"{column_letter(col)}{row}"


def cell_text(text: str) -> str:
    """Text as a cell can hold it: without the control characters XML refuses, at most 32,767
    characters (Excel's limit; the rest is cut, ending in "…")."""
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"
