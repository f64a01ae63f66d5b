"""How a scorecard (绩效面谈表) looks: one A4 portrait page per person, written with openpyxl.

From top to bottom: the title, scheme and period; 工号, 姓名, team; the indicator table (each
group with its weight and subtotal, each indicator with its weight, target, actual value,
score, points and the reasons for its deductions in numbers); the totals, grade and rank in the
team (and the adjustment and final total and grade when calibration changed them); the
improvement guide; a box for the interview notes; signature and date lines for 员工 / 主管 / HR;
and the appeal deadline. Rows are given heights from their wrapped text, so the page is laid out
the same in Excel, LibreOffice and WPS; the print setup fits it to one page wide and, when it
fits at a readable scale, one page tall.
"""

from __future__ import annotations

import math
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.cell_range import CellRange

from kpi_engine.i18n import tr

from ..ooxml.cells import column_letter
from ..pipeline.print_setup import form_setup
from ..pipeline.scorecard import Scorecard
from .cells import write
from .print_setup import apply_print_setup
from .style import HEAD_FILL

WIDTHS = (22, 6, 13, 13, 7, 8, 27)  # columns A–G: indicator, weight, target, actual, score, points, reasons
LINE = 12.5  # points per line of 10-point text
PAGE_HEIGHT = 740  # points of an A4 portrait page between the margins and header/footer
MAX_SHRINK = 1.6  # a card up to this many pages tall (as estimated: ~1.1-1.5 for the sample people) is shrunk onto one page; a longer one takes more
NUM2, NUM1 = "0.00", "0.0"
FIT = 1.2  # display units (a CJK character is 2) that fit in one unit of column width, 10-point text

FACE = "Microsoft YaHei"  # 微软雅黑: on every Windows and in Office for Mac; elsewhere a CJK sans stands in
FONT = Font(name=FACE, size=10)
BOLD = Font(name=FACE, size=10, bold=True)
SMALL = Font(name=FACE, size=9, color="595959")
TITLE = Font(name=FACE, size=16, bold=True)
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LINE_BELOW = Border(bottom=Side(style="thin", color="000000"))
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
BOTTOM, BOTTOM_RIGHT = Alignment(vertical="bottom"), Alignment(horizontal="right", vertical="bottom")
INDENTED = tuple(Alignment(horizontal="left", vertical="top", wrap_text=True, indent=n) for n in range(6))


def scorecard_workbook(cards: list[Scorecard]) -> tuple[Workbook, list[int]]:
    """A workbook with one sheet per card, in order, each set up to print on its own page(s); and
    how many pages each card prints on."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    styles: dict[tuple, StyleArray] = {}
    pages = []
    for card in cards:
        name, n = card.sheet_name, 2
        while name.casefold() in used:  # one name per sheet, also for ids that differ only in case
            name, n = f"{card.sheet_name[:27]} ({n})", n + 1
        used.add(name.casefold())
        pages.append(write_scorecard(wb.create_sheet(name), card, styles))
    return wb, pages


def write_scorecard(ws: Any, card: Scorecard, styles: dict[tuple, StyleArray] | None = None) -> int:
    """Lay ``card`` out on the worksheet ``ws``; returns the pages it prints on. ``styles``: the workbook's styles made so far
    (openpyxl's style setters look each one up in the workbook's lists, which a thousand cards
    would feel: each combination is set once, then its style array is copied)."""
    page = _Page(ws, card.lang, {} if styles is None else styles)
    for c, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[column_letter(c)].width = width
    page.header(card)
    page.table(card)
    page.totals(card)
    page.guide(card)
    page.notes()
    page.signatures(card)
    ws.sheet_view.showGridLines = False
    pages = page.height / PAGE_HEIGHT
    tall = 1 if pages <= MAX_SHRINK else math.ceil(pages)
    apply_print_setup(ws, form_setup(card.period, card.lang, tall))
    return tall


class _Page:
    """Writes a card row by row, keeping each row's height (and so the page's)."""

    def __init__(self, ws: Any, lang: str, styles: dict[tuple, StyleArray]):
        self.ws, self.lang, self.row, self.height = ws, lang, 1, 0.0
        self.styles = styles

    def say(self, key: str, **fields: Any) -> str:
        return tr(f"report.{key}", self.lang, **fields)

    def put(self, col: int, value: Any, *, to: int | None = None, font: Font = FONT, align: Alignment = WRAP,
            fmt: str | None = None, border: Border | None = None, fill: PatternFill | None = None) -> Any:
        """A value in this row at ``col`` (merged through column ``to``)."""
        cell = write(self.ws, self.row, col, value)
        self.style(cell, font, align, fmt, border, fill)
        last = to or col
        for c in range(col + 1, last + 1):
            self.style(self.ws.cell(self.row, c), font, align, None, border, fill)
        if last > col:
            # the covered cells keep the border and fill given them above, as Excel keeps them
            # (openpyxl's merge_cells would turn them into empty cells and draw the border again)
            self.ws.merged_cells.add(CellRange(min_row=self.row, min_col=col, max_row=self.row, max_col=last))
        return cell

    def style(self, cell: Any, font: Font, align: Alignment, fmt: str | None, border: Border | None,
              fill: PatternFill | None) -> None:
        key = (id(font), id(align), fmt, id(border), id(fill))  # the module's constants: ids are theirs
        known = self.styles.get(key)
        if known is not None:
            cell._style = StyleArray(known)
            return
        cell.font, cell.alignment = font, align
        if fmt:
            cell.number_format = fmt
        if border is not None:
            cell.border = border
        if fill is not None:
            cell.fill = fill
        self.styles[key] = StyleArray(cell._style)

    def end_row(self, texts: list[tuple[Any, int, int]] = (), minimum: float = LINE + 3) -> None:
        """Close the row with a height for its wrapped ``texts`` ((text, first column, last column))."""
        lines = max([_lines(text, sum(WIDTHS[a - 1:b])) for text, a, b in texts] or [1])
        height = max(minimum, lines * LINE + 2.5)
        self.ws.row_dimensions[self.row].height = height
        self.height += height
        self.row += 1

    def gap(self, height: float = 8) -> None:
        self.end_row(minimum=height)

    def header(self, card: Scorecard) -> None:
        self.put(1, self.say("title"), to=7, font=TITLE, align=CENTER)
        self.end_row(minimum=26)
        self.put(1, f"{card.scheme_name} · {card.period}", to=7, font=SMALL, align=CENTER)
        self.end_row()
        self.gap()
        for (k1, v1), (k2, v2) in (((self.say("employee_id"), card.employee_id), (self.say("name"), card.name)),
                                   ((self.say("team"), card.team), (self.say("period"), card.period))):
            self.put(1, k1, font=BOLD, border=BOX, fill=HEAD_FILL)
            self.put(2, v1, to=4, border=BOX)
            self.put(5, k2, to=6, font=BOLD, border=BOX, fill=HEAD_FILL)
            self.put(7, v2, border=BOX)
            self.end_row([(v1, 2, 4), (v2, 7, 7)])
        self.gap()

    def table(self, card: Scorecard) -> None:
        heads = [self.say("col_indicator"), self.say("col_weight"), self.say("col_target"), self.say("col_actual"),
                 self.say("col_score"), self.say("col_points"), self.say("col_reason")]
        for c, text in enumerate(heads, 1):
            self.put(c, text, font=BOLD, align=CENTER, border=BOX, fill=HEAD_FILL)
        self.end_row([(text, c, c) for c, text in enumerate(heads, 1)])
        for r in card.rows:
            group = r.kind == "group"
            font, fill = (BOLD, GROUP_FILL) if group else (FONT, None)
            self.put(1, r.name, font=font, align=INDENTED[min(r.level, len(INDENTED) - 1)], border=BOX, fill=fill)
            self.put(2, None if r.weight is None else round(r.weight, 2), font=font, border=BOX, fill=fill)
            self.put(3, r.target, border=BOX, fill=fill)
            self.put(4, r.actual, border=BOX, fill=fill)
            self.put(5, r.score, fmt=NUM1, border=BOX, fill=fill)
            self.put(6, r.points, font=font, fmt=NUM2, border=BOX, fill=fill)
            self.put(7, r.reason, border=BOX, fill=fill)
            self.end_row([(" " * 2 * r.level + r.name, 1, 1), (r.target, 3, 3), (r.actual, 4, 4), (r.reason, 7, 7)])
        self.gap()

    def totals(self, card: Scorecard) -> None:
        none = self.say("none")
        pairs = [(self.say("total"), card.total, NUM2), (self.say("grade"), card.grade or "—", None)]
        if card.calibrated:
            pairs += [(self.say("adjustment"), card.adjustment or 0.0, "+0.00;-0.00;0.00"),
                      (self.say("final_total"), card.final_total, NUM2),
                      (self.say("final_grade"), card.final_grade or "—", None), ("", None, None)]
        rank = "—" if card.rank is None else self.say("rank_in_team", rank=card.rank, size=card.team_size)
        pairs += [(self.say("team_rank"), rank, None), (self.say("flags"), "、".join(card.flags) or none, None)]
        for k in range(0, len(pairs), 2):
            texts = []
            for (label, value, fmt), col in zip(pairs[k:k + 2], (1, 5)):
                if not label:
                    continue
                self.put(col, label, to=col + 1, font=BOLD, border=BOX, fill=HEAD_FILL)
                self.put(col + 2, "—" if value is None else value, to=col + 2 if col == 5 else col + 3,
                         font=BOLD, fmt=fmt, border=BOX)
                texts.append((value, col + 2, col + 2 if col == 5 else col + 3))
            self.end_row([(v, a, b) for v, a, b in texts if isinstance(v, str)])
        self.gap()

    def guide(self, card: Scorecard) -> None:
        self.put(1, self.say("guide_title"), to=7, font=BOLD)
        self.end_row()
        if not card.guide:
            self.put(1, self.say("guide_none"), to=7, font=SMALL)
            self.end_row()
            self.gap()
            return
        heads = ((1, 1, self.say("col_indicator")), (2, 2, self.say("guide_lost")), (3, 7, self.say("guide_advice")))
        for a, b, text in heads:
            self.put(a, text, to=b, font=BOLD, align=CENTER, border=BOX, fill=HEAD_FILL)
        self.end_row()
        for g in card.guide:
            name = f"{g.rank}. {g.indicator}"
            self.put(1, name, border=BOX)
            self.put(2, g.lost, fmt=NUM2, border=BOX)
            self.put(3, g.advice, to=7, border=BOX)
            self.end_row([(name, 1, 1), (g.advice, 3, 7)])
        self.gap()

    def notes(self) -> None:
        self.put(1, self.say("notes_title"), to=7, font=BOLD)
        self.end_row()
        self.put(1, self.say("notes_hint"), to=7, font=SMALL, border=BOX)
        self.end_row(minimum=LINE * 5)
        self.gap()

    def signatures(self, card: Scorecard) -> None:
        for label in (self.say("sign_employee"), self.say("sign_manager"), self.say("sign_hr")):
            self.put(1, label, font=BOLD, align=BOTTOM)
            self.put(2, None, to=4, border=LINE_BELOW)
            self.put(5, self.say("sign_date"), to=6, font=BOLD, align=BOTTOM_RIGHT)
            self.put(7, None, border=LINE_BELOW)
            self.end_row(minimum=LINE * 2)
        if card.appeal_deadline is not None:
            self.gap()
            text = self.say("appeal", date=card.appeal_deadline.isoformat())
            self.put(1, text, to=7, font=SMALL)
            self.end_row([(text, 1, 7)])


def _lines(value: Any, width: float) -> int:
    """Lines a text takes in a column ``width`` units wide, wrapped as spreadsheets wrap: at spaces,
    and between any two CJK characters (one is two units wide)."""
    if value is None or not isinstance(value, str):
        return 1
    room = max(width * FIT - 1.0, 2.0)
    total = 0
    for paragraph in value.split("\n"):
        lines, used = 1, 0.0
        for token in _TOKENS.findall(paragraph):
            size = _display(token)
            if used and used + size > room and not token.isspace():
                lines, used = lines + 1, 0.0
            used += size
            while used > room:  # a token longer than the line breaks anywhere
                lines, used = lines + 1, used - room
        total += lines
    return total


_TOKENS = re.compile(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+")


def _display(text: str) -> float:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
