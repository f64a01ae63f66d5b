"""The result sheets as plain blocks of values: one 2-D list per sheet, written in one call.

A block carries its header rows (labels, then the machine row of ids, like the input
sheets), its values, number formats, widths and chart specs. The openpyxl file writer and
the xlwings live writer both take these blocks as they are; neither computes anything.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kpi_engine import ScoreResult
from kpi_engine.i18n import tr
from kpi_engine.problems import clip

from ..ooxml.cells import MAX_CELL_TEXT, MAX_COLUMNS, MAX_ROWS, cell_ref, column_letter
from .cell_problem import CellProblem
from .errors import workbook_error
from .layout import layout
from .print_setup import PrintSetup, print_setup

NUM2, INT = "0.00", "0"
SHOWN_IN_CELL = 500  # characters of a problem's value on the 校验 sheet


@dataclass(frozen=True)
class ChartSpec:
    """A native chart over a block: 0-based (first_row, last_row, col) ranges of its data rows."""

    kind: str  # bar | column | line
    title: str
    categories: tuple[int, int, int]
    values: tuple[tuple[int, int, int], ...]
    anchor: str = "H2"
    titles: tuple[str, ...] = ()  # the series' names, one per values range (none: the chart has no legend)


@dataclass
class Block:
    key: str
    sheet: str
    rows: list[list[Any]]
    header_rows: int = 2
    number_formats: dict[int, str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    charts: list[ChartSpec] = field(default_factory=list)
    state: str = "visible"
    print_setup: PrintSetup | None = None  # how the sheet prints (None: as the application likes)
    row_kinds: list[str] = field(default_factory=list)  # a sheet of lines (help): how each row looks
    # cells that link to a place in the workbook: (row, column) of ``rows`` -> "'Sheet'!A5"
    links: dict[tuple[int, int], str] = field(default_factory=dict)


def t(key: str, lang: str) -> str:
    """A column label or word of the result sheets (catalog section ``label``)."""
    return tr(f"label.{key}", lang)


def plain(value: Any) -> Any:
    """A value a cell can hold: NaN/None → None, numpy scalars → Python numbers."""
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return value if value - value == 0.0 else None  # NaN and ±inf → None
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) or math.isinf(float(value)) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA:
        return None
    return value


def _block(key: str, lang: str, ids: list[str], labels: list[str], body: list[list[Any]], **kw: Any) -> Block:
    return Block(key, layout().sheet(key, lang), [labels, ids] + [[plain(v) for v in row] for row in body], **kw)


def scores_block(result: ScoreResult, roster: pd.DataFrame, lang: str, proposal: pd.Series | None = None) -> Block:
    """Per employee: the computed total, HR's adjustment, the final total, the computed and final
    grades and who changed them, the proposed grade (when asked for: ``kpi calibrate``), rank (by
    final total), flags, status, then group and indicator points."""
    scheme = result.scheme
    tops = [g for g in scheme.groups if not g.parent]
    inds = [i.id for i in scheme.indicators]
    final = result.final
    rank = final["final_total"].rank(ascending=False, method="min")
    flag_names = {f.id: f.name(lang) for f in scheme.flags}
    sep = "、" if lang == "zh" else ", "
    ids = ["employee_id", "name", "team", "total", "adjustment", "final_total", "grade", "final_grade", "changed_by"]
    ids += ["proposal"] * (proposal is not None) + ["rank", "flags", "status"]
    labels = [t(k, lang) for k in ids]
    fixed = len(ids)
    ids += [f"group:{g.id}" for g in tops] + inds
    labels += [g.name(lang) for g in tops] + [scheme.indicator(i).name(lang) for i in inds]
    idx = result.total.index
    name = roster.reindex(idx)["name"] if "name" in roster else pd.Series(None, index=idx)
    team = roster.reindex(idx)["team"] if "team" in roster else pd.Series(None, index=idx)
    status = result.status.map({"ok": t("ok", lang), "incomplete": t("incomplete", lang)})
    columns = [idx.tolist(), name.tolist(), team.tolist()] + [final[c].tolist() for c in ids[3:9]]
    if proposal is not None:
        columns.append(proposal.reindex(idx).tolist())
    columns += [rank.tolist(), [sep.join(flag_names.get(f, f) for f in fl) for fl in result.flags.tolist()],
                status.tolist()]
    columns += [result.groups[g.id].tolist() for g in tops] + [result.points[i].tolist() for i in inds]
    body = [list(row) for row in zip(*columns)]  # column-wise: one pass per column, not per cell
    formats = {3: NUM2, 4: NUM2, 5: NUM2, ids.index("rank"): INT} | {c: NUM2 for c in range(fixed, len(ids))}
    widths = {0: 10, 1: 10, 2: 14, 3: 9, 4: 8, 5: 9, 6: 6, 7: 8, 8: 12} | {c: 6 for c in range(9, fixed)}
    widths |= {ids.index("flags"): 14, ids.index("status"): 12} | {c: 11 for c in range(fixed, len(ids))}
    return _block("scores", lang, ids, labels, body, number_formats=formats, widths=widths)


def deductions_block(result: ScoreResult, roster: pd.DataFrame, lang: str) -> Block:
    scheme = result.scheme
    # the points each deduction cost the total (失分), as its reason says: never the nominal amount
    ids = ["employee_id", "name", "indicator", "indicator_id", "lost", "reason"]
    labels = [t(k, lang) for k in ids]
    d = result.deductions
    names = roster["name"].to_dict() if "name" in roster else {}
    ind_names = {i.id: i.name(lang) for i in scheme.indicators}
    eids, inds = d["employee_id"].tolist(), d["indicator"].tolist()
    body = [[e, names.get(e), ind_names[i], i, a, r]
            for e, i, a, r in zip(eids, inds, d["lost"].tolist(), d["reason"].tolist())]
    return _block("deductions", lang, ids, labels, body, number_formats={4: NUM2},
                  widths={0: 10, 1: 10, 2: 16, 3: 22, 4: 12, 5: 70})


def guide_block(result: ScoreResult, roster: pd.DataFrame, lang: str) -> Block:
    ids = ["employee_id", "name", "rank", "indicator", "lost", "reason", "advice"]
    labels = [t(k, lang) for k in ids]
    labels[2] = t("no", lang)
    names = roster["name"].to_dict() if "name" in roster else {}
    g = result.guide
    body = [[e, names.get(e), k, n, x, r, a] for e, k, n, x, r, a in zip(
        g["employee_id"].tolist(), g["rank"].tolist(), g["indicator_name"].tolist(), g["lost"].tolist(),
        g["reason"].tolist(), g["advice"].tolist())]
    return _block("guide", lang, ids, labels, body, number_formats={4: NUM2},
                  widths={0: 10, 1: 10, 2: 6, 3: 16, 4: 9, 5: 70, 6: 60})


def summary_block(result: ScoreResult, roster: pd.DataFrame, lang: str) -> Block:
    """Per team: headcount, scored, mean final total, final grade counts, per-group means; then the
    charts' data."""
    scheme = result.scheme
    tops = [g for g in scheme.groups if not g.parent]
    grades = [g for g, _ in scheme.grades]
    idx = result.total.index
    team = (roster.reindex(idx)["team"] if "team" in roster else pd.Series(None, index=idx)).fillna("—")
    df = pd.DataFrame({"team": team.to_numpy(), "total": result.final_total.to_numpy(),
                       "grade": result.final_grade.to_numpy()}, index=idx)
    for g in tops:
        df[g.id] = result.groups[g.id].to_numpy()
    ids = ["team", "headcount", "scored", "mean"] + [f"grade:{g}" for g in grades] + [f"group:{g.id}" for g in tops]
    labels = [t("team", lang), t("headcount", lang), t("scored", lang), t("mean", lang)] + grades
    labels += [g.name(lang) for g in tops]

    def line(name: str, part: pd.DataFrame) -> list[Any]:
        counts = part["grade"].value_counts()
        row = [name, len(part), int(part["total"].notna().sum()), part["total"].mean()]
        row += [int(counts.get(g, 0)) for g in grades] + [part[g.id].mean() for g in tops]
        return row

    body = [line(str(name), part) for name, part in df.groupby("team", sort=True)]
    body.append(line(t("all", lang), df))
    n_team = len(body) - 1
    # the grade distribution table for the chart, below the team table
    gap = [[None] * len(ids)]
    dist_head = [t("grade", lang), t("count", lang)] + [None] * (len(ids) - 2)
    counts = df["grade"].value_counts()
    dist = [[g, int(counts.get(g, 0))] + [None] * (len(ids) - 2) for g in grades]
    body += gap + [dist_head] + dist
    first = 2  # data starts after two header rows
    team_rows = (first, first + n_team - 1, 0)
    dist_first = first + n_team + 1 + 2  # after the 'all' row, a blank row and the dist header
    charts = [
        ChartSpec("column", t("grade_dist", lang), (dist_first, dist_first + len(grades) - 1, 0),
                  ((dist_first, dist_first + len(grades) - 1, 1),), anchor=f"{column_letter(len(ids) + 1)}2"),
        ChartSpec("bar", t("team_mean", lang), team_rows, ((first, first + n_team - 1, 3),),
                  anchor=f"{column_letter(len(ids) + 1)}20"),
    ]
    formats = {3: NUM2} | {c: NUM2 for c in range(4 + len(grades), len(ids))}
    return _block("summary", lang, ids, labels, body, number_formats=formats,
                  widths={0: 16} | {c: 10 for c in range(1, len(ids))}, charts=charts)


def problems_block(problems: list[CellProblem], lang: str) -> Block:
    ids = ["sheet", "cell", "employee_id", "field", "value", "problem", "severity"]
    labels = [t(k, lang) for k in ids]
    order = sorted(problems, key=lambda p: (p.severity != "error", p.sheet, _cell_key(p.cell)))
    severity = {"error": t("error", lang), "warning": t("warning", lang)}
    body = [[p.sheet, p.cell, p.employee_id, p.field, _shown(p.value), p.problem, severity[p.severity]] for p in order]
    # each row's cell column links to the cell it is about (below the two header rows)
    links = {(r, 1): place(p.sheet, p.cell) for r, p in enumerate(order, 2) if p.sheet and _CELL.fullmatch(p.cell or "")}
    return _block("problems", lang, ids, labels, body, widths={0: 14, 1: 8, 2: 10, 3: 20, 4: 12, 5: 70, 6: 8},
                  links=links)


_CELL = re.compile(r"\$?[A-Z]{1,3}\$?[0-9]{1,7}(:\$?[A-Z]{1,3}\$?[0-9]{1,7})?")


def place(sheet: str, cell: str) -> str:
    """A place in the workbook as a link's location gives it: 'Sheet name'!A5 (quotes doubled)."""
    return "'" + sheet.replace("'", "''") + "'!" + cell


def _shown(value: Any) -> Any:
    """The value a problem is about, as the 校验 sheet shows it (long text cut)."""
    value = plain(value)
    if value is None or isinstance(value, (int, float)):
        return value
    return clip(value, SHOWN_IN_CELL)


def _cell_key(cell: str) -> tuple[int, str]:
    digits = "".join(ch for ch in cell if ch.isdigit())
    letters = "".join(ch for ch in cell if ch.isalpha())
    return (int(digits) if digits else 0, letters.rjust(3))


def fit_problems(blocks: list[Block], lang: str) -> list[CellProblem]:
    """Check that the blocks fit Excel: a sheet too large for Excel is an error (raised, nothing
    written); text cells over 32,767 characters, which the writers cut, are warnings naming the cell."""
    out = []
    for block in blocks:
        width = max((len(r) for r in block.rows), default=0)
        if width > MAX_COLUMNS or len(block.rows) > MAX_ROWS:
            raise workbook_error("too_large", sheet=block.sheet, rows=f"{len(block.rows):,}", cols=f"{width:,}",
                                 max_rows=f"{MAX_ROWS:,}", max_cols=f"{MAX_COLUMNS:,}")
        long = [(r, c) for r, row in enumerate(block.rows) for c, v in enumerate(row)
                if type(v) is str and len(v) > MAX_CELL_TEXT]
        if long:
            first = cell_ref(long[0][0] + 1, long[0][1] + 1)
            out.append(CellProblem(
                block.sheet, first, None, "", None,
                tr("workbook.text_cut", lang, sheet=block.sheet, n=len(long), limit=f"{MAX_CELL_TEXT:,}", first=first),
                "warning", "text_cut"))
    return out


DEFAULT_WIDTH = 8.43  # of a column without a width of its own
CHART_WIDTH = 70  # column-width units a chart beside a block takes on the page


def set_print_setups(blocks: list[Block], period: str, lang: str) -> list[Block]:
    """Give every visible block our print setup (A4, one page wide, header rows repeated, the
    sheet's name and the period in the header); hidden blocks never print. Returns the blocks."""
    for block in blocks:
        if block.state == "visible":
            width = max((len(r) for r in block.rows), default=0)
            widths = [block.widths.get(c, DEFAULT_WIDTH) for c in range(width)]
            widths += [CHART_WIDTH] if block.charts else []
            block.print_setup = print_setup(widths, period, lang, title_rows=block.header_rows)
    return blocks


def meta_block(meta: dict[str, str]) -> Block:
    rows = [[k, v] for k, v in meta.items()]
    return Block("meta", layout().sheet("meta"), rows, header_rows=0, state="veryHidden")
