"""Rows whose 工号 is wrong: which employee they belong to, and one message per cause.

The first input sheet is the roster. A row of a later input sheet whose 工号 is blank or not on
the roster is not a new employee: it is matched to the roster by name — the 工号 cell holding a
name (a name pasted into 工号), else the row's own 姓名 — and when that names exactly one
employee who has no row of their own on the sheet, it is that employee's row: the values count,
and one error at the 工号 cell says what to type there. A row that matches nobody is left out with
one error naming the closest roster 工号 and 姓名; blank or unknown 工号 without a suggestion are
one message per sheet listing their cells. When several sheets disagree with the roster about
one employee, the roster's cell is the one named, once. An employee who has no row on a sheet
gets one message for that sheet (:func:`group_causes`), not one per value the sheet would hold.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kpi_engine import Scheme, normalize_id
from kpi_engine.i18n import tr
from kpi_engine.numbers import is_blank
from kpi_engine.problems import clip

from .cell_problem import CellProblem

CLOSE_ENOUGH = 0.6  # difflib's ratio for "the closest roster 工号" (E1O07 → E1007: 0.8)
CELLS_SHOWN = 8  # cells (or ids) listed in one grouped message, then "…"
CLOSEST_ROWS = 50  # loose rows of one sheet that get "the closest 工号" (each costs a pass over the roster)
ABSENT_EACH = 5  # employees missing from one sheet named one message each; more are one message together


@dataclass(frozen=True)
class LooseRow:
    """A row of a later input sheet whose 工号 is blank or not on the roster."""

    t_i: int  # the sheet's place among the input sheets
    sheet: str
    r: int  # 0-based grid row
    cell: str  # its 工号 cell
    raw: Any  # the 工号 cell as typed
    eid: str | None  # the 工号 as an id (None: blank)
    name: str | None  # the row's 姓名


@dataclass
class Roster:
    """The first input sheet's records: id, name and 工号 cell by position."""

    sheet: str
    ids: list[str | None]
    names: list[str | None]
    cells: list[str]
    by_name: dict[str, list[int]] = field(default_factory=dict)
    repeated: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for pos, name in enumerate(self.names):
            if name:
                self.by_name.setdefault(name, []).append(pos)
        counts = Counter(i for i in self.ids if i is not None)
        self.repeated = {i for i, n in counts.items() if n > 1}

    def usable(self, pos: int) -> str | None:
        """The record's 工号 when it is one (not blank, not somebody's name, not repeated on the roster)."""
        rid = self.ids[pos]
        return rid if rid is not None and rid not in self.by_name and rid not in self.repeated else None


@dataclass
class Matched:
    joins: list[tuple[LooseRow, int]]  # rows that are a roster record's row on their sheet
    problems: list[CellProblem]
    explained: set[tuple[str, str]]  # (sheet, 工号) whose missing row a message already covers
    roster_notes: dict[int, str]  # record -> what the other sheets say, for the roster row's own message
    # (the engine's blank_id or duplicate_id, or :func:`roster_problems`)


def text_of(value: Any) -> str | None:
    """A name cell as text, stripped; None when blank."""
    if is_blank(value):
        return None
    return normalize_id(value) if isinstance(value, float) else str(value).strip() or None


def match_rows(loose: list[LooseRow], roster: Roster, present: dict[int, set[int]], lang: str) -> Matched:
    """Decide for each loose row whose row it is, and word one message per cause (see the module)."""
    out = Matched([], [], set(), {})
    blanks: dict[str, list[LooseRow]] = {}
    unknown: dict[str, list[LooseRow]] = {}
    disagree: dict[int, list[LooseRow]] = {}  # record -> joined rows whose 工号 differs from the roster's
    tried: dict[str, int] = {}
    for row in loose:
        here = present.setdefault(row.t_i, set())
        is_name = row.eid is not None and row.eid in roster.by_name
        cands = roster.by_name.get(row.eid if is_name else row.name or "", [])
        if len(cands) == 1 and cands[0] not in here:
            pos = cands[0]
            here.add(pos)
            out.joins.append((row, pos))
            rid = roster.usable(pos)
            if is_name:  # a name pasted into 工号: this cell is wrong, whatever the roster holds
                text = tr("one_cause.name_not_id", lang, value=clip(row.raw), name=row.eid, ids=rid) + \
                    tr("one_cause.joined", lang, eid=rid) if rid else tr("one_cause.roster_name", lang, value=clip(row.raw))
                out.problems.append(_problem(row, text, "name_as_id"))
            elif rid is None or row.eid is not None:
                disagree.setdefault(pos, []).append(row)  # the roster's cell, or this one: decided below
            else:
                out.problems.append(_problem(row, tr("one_cause.blank_joined", lang, name=row.name, eid=rid), "blank_id"))
        elif is_name:
            ids = [roster.ids[p] or roster.cells[p] for p in cands]
            text = tr("one_cause.name_not_id", lang, value=clip(row.raw), name=row.eid, ids=_join(ids, lang))
            if len(cands) > 1:
                text += tr("one_cause.ambiguous", lang)
            else:
                text += tr("one_cause.taken", lang, eid=ids[0])
            out.problems.append(_problem(row, text, "name_as_id"))
        elif row.eid is None:
            blanks.setdefault(row.sheet, []).append(row)
        else:
            tried[row.sheet] = tried.get(row.sheet, 0) + 1
            closest = _closest(row.eid, roster, here) if tried[row.sheet] <= CLOSEST_ROWS else None
            if closest is None:
                unknown.setdefault(row.sheet, []).append(row)
                continue
            rid, name = roster.ids[closest], roster.names[closest] or ""
            text = tr("one_cause.unknown", lang, value=clip(row.eid), roster=roster.sheet)
            if closest in here:
                text += tr("one_cause.closest", lang, eid=rid, name=name)
            else:
                text += tr("one_cause.closest_absent", lang, eid=rid, name=name)
                out.explained.add((row.sheet, rid))
            out.problems.append(_problem(row, text, "not_in_roster"))
    _roster_side(disagree, roster, lang, out)
    for rows in blanks.values():
        out.problems.append(_blank_rows(rows, roster, present, lang, out.explained))
    for rows in unknown.values():
        values = _join(list(dict.fromkeys(clip(r.eid) for r in rows)), lang)
        text = tr("one_cause.unknown", lang, value=values, roster=roster.sheet) if len(rows) == 1 else \
            tr("one_cause.unknown_many", lang, value=values, roster=roster.sheet, cells=_cells(rows, lang))
        out.problems.append(_problem(rows[0], text, "not_in_roster"))
    return out


def roster_problems(roster: Roster, notes: dict[int, str], lang: str) -> list[CellProblem]:
    """The roster's own 工号 cells that hold a name: one error each (what the other sheets say, if anything)."""
    out = []
    for pos, rid in enumerate(roster.ids):
        if rid is not None and rid in roster.by_name:
            text = tr("one_cause.roster_name", lang, value=clip(rid)) + notes.pop(pos, "")
            out.append(CellProblem(roster.sheet, roster.cells[pos], rid, "employee_id", rid, text, "error", "name_as_id"))
    return out


def _roster_side(disagree: dict[int, list[LooseRow]], roster: Roster, lang: str, out: Matched) -> None:
    """Rows joined by name whose 工号 differs from the roster's: one message for each employee —
    at the roster's cell when the roster's 工号 is blank or a name, or when two sheets or more
    agree against it; else at the one row that differs."""
    for pos, rows in disagree.items():
        rid, name = roster.usable(pos), roster.names[pos] or ""
        ids = [r.eid for r in rows if r.eid is not None and r.eid not in roster.by_name]
        if rid is not None and len(rows) == 1:
            row = rows[0]
            out.problems.append(_problem(row, tr("one_cause.unknown_joined", lang, value=clip(row.eid), roster=roster.sheet,
                                                 name=name, eid=rid), "not_in_roster"))
            continue
        if rid is None:  # blank, or a name: the roster row's own message gets what the other sheets say
            if ids:
                out.roster_notes[pos] = tr("one_cause.roster_other_ids", lang, cells=_cells(rows, lang), name=name,
                                           ids=_join(list(dict.fromkeys(ids)), lang))
            continue
        out.problems.append(CellProblem(roster.sheet, roster.cells[pos], rid, "employee_id", rid, tr(
            "one_cause.roster_differs", lang, name=name, rid=rid, cells=_cells(rows, lang),
            ids=_join(list(dict.fromkeys(ids)), lang)), "error", "id_differs"))


def _blank_rows(rows: list[LooseRow], roster: Roster, present: dict[int, set[int]], lang: str,
                explained: set[tuple[str, str]]) -> CellProblem:
    """Rows of one sheet with a blank 工号 that no name places: one message listing them; when one
    row is blank and one employee is missing from the sheet, it says that it may be theirs."""
    first = rows[0]
    if len(rows) > 1:
        return _problem(first, tr("one_cause.blank_many", lang, cells=_cells(rows, lang)), "blank_id")
    text = tr("one_cause.blank", lang)
    missing = [p for p in range(len(roster.ids)) if roster.usable(p) and p not in present.get(first.t_i, set())]
    if len(missing) == 1:
        rid = roster.ids[missing[0]]
        text += tr("one_cause.blank_absent", lang, eid=rid, name=roster.names[missing[0]] or "")
        explained.add((first.sheet, rid))
    return _problem(first, text, "blank_id")


def _closest(eid: str, roster: Roster, here: set[int]) -> int | None:
    """The roster record whose 工号 is closest to ``eid``: among those missing from the sheet
    first (the row is most likely theirs), else among all."""
    usable = {roster.ids[p]: p for p in range(len(roster.ids)) if roster.usable(p)}
    for pool in ([i for i, p in usable.items() if p not in here], list(usable)):
        found = difflib.get_close_matches(eid, pool, n=1, cutoff=CLOSE_ENOUGH)
        if found:
            return usable[found[0]]
    return None


def group_causes(problems: list[CellProblem], absent: dict[str, set[str]], explained: set[tuple[str, str]],
                 names: dict[str, str], scheme: Scheme, lang: str) -> list[CellProblem]:
    """The engine's problems that share one cause, as one message each:

    - the "为空" problems of an employee who has no row on a sheet: one message for the sheet (none
      when a loose row's message already explains it);
    - the missing columns of one sheet (a sheet deleted, or its header row): one message naming them
      (one missing column keeps its own message, which says how to add it).

    Every other problem is kept as it is, in its place."""
    labels = {f.id: f.name(lang) for f in scheme.inputs}
    groups: dict[tuple[str, str, str | None], list[str]] = {}
    kept: list[CellProblem | tuple[str, str, str | None]] = []
    firsts: dict[tuple[str, str, str | None], CellProblem] = {}
    for p in problems:
        if p.code == "missing" and not p.cell and p.employee_id in absent.get(p.sheet, ()):
            key = ("absent", p.sheet, p.employee_id)
        elif p.code == "missing_column":
            key = ("columns", p.sheet, None)
        else:
            kept.append(p)
            continue
        if key not in groups:
            groups[key] = []
            kept.append(key)
            firsts[key] = p
        groups[key].append(labels.get(p.field, p.field))
    missing_here = Counter(k[1] for k in groups if k[0] == "absent" and (k[1], k[2]) not in explained)
    crowded = {sheet for sheet, n in missing_here.items() if n > ABSENT_EACH}  # one message for the sheet
    out = []
    for item in kept:
        if isinstance(item, CellProblem):
            out.append(item)
            continue
        kind, sheet, eid = item
        fields = list(dict.fromkeys(groups[item]))
        if kind == "columns" and len(fields) == 1:  # one column: its own message (where and how to add it)
            out.append(dataclasses.replace(firsts[item], employee_id=None))
        elif kind == "columns":
            text = tr("one_cause.missing_columns", lang,
                      fields=_join((tr("one_cause.column", lang, name=f) for f in fields), lang))
            out.append(CellProblem(sheet, "", None, "", None, text, "error", "missing_column"))
        elif (sheet, eid) in explained:
            continue
        elif sheet not in crowded:
            out.append(CellProblem(sheet, "", eid, "", None, tr(
                "one_cause.absent", lang, eid=eid, name=names.get(eid or "", ""), fields=_join(fields, lang)),
                "error", "absent_row"))
        elif missing_here.pop(sheet, 0):  # the sheet's first absent employee: one message for them all
            ids = [k[2] for k in groups if k[0] == "absent" and k[1] == sheet and (k[1], k[2]) not in explained]
            shown = _join(ids[:CELLS_SHOWN], lang) + ("…" if len(ids) > CELLS_SHOWN else "")
            out.append(CellProblem(sheet, "", None, "", None, tr(
                "one_cause.absent_many", lang, n=len(ids), ids=shown), "error", "absent_row"))
    return out


def _problem(row: LooseRow, text: str, code: str) -> CellProblem:
    return CellProblem(row.sheet, row.cell, row.eid, "employee_id", row.raw, text, "error", code)


def _join(items: Iterable[Any], lang: str) -> str:
    return tr("workbook.list_sep", lang).join(str(i) for i in items)


def _cells(rows: list[LooseRow], lang: str) -> str:
    cells = [f"{r.sheet}!{r.cell}" if i == 0 or r.sheet != rows[i - 1].sheet else r.cell for i, r in enumerate(rows)]
    shown = _join(cells[:CELLS_SHOWN], lang)
    return shown + ("…" if len(cells) > CELLS_SHOWN else "")
