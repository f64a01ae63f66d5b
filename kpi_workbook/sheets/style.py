"""How our sheets look: the fonts and fills every sheet writer uses (one place for each)."""

from __future__ import annotations

from openpyxl.styles import Font, PatternFill

BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)  # a sheet's title line
SECTION_FONT = Font(bold=True, size=12)  # a section or table title
SHEET_TITLE_FONT = Font(bold=True, size=13)  # the scheme sheet's heading
ID_FONT = Font(size=8, color="808080")  # the machine row of field ids: discreet, not hidden
NOTE_FONT = Font(size=9, italic=True, color="808080")  # notes under a table

HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")  # header rows of input and result sheets
INPUT_FILL = PatternFill("solid", fgColor="FFFDF0")  # cells HR fills in
TITLE_FILL = PatternFill("solid", fgColor="D9E1F2")  # a scheme table's title row
TABLE_HEAD_FILL = PatternFill("solid", fgColor="EDEDED")  # a scheme table's label row
