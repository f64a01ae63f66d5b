"""The year's view (``kpi rollup``) from computed period workbooks, as result blocks.

Each workbook is read as compute left it (:func:`kpi_workbook.pipeline.computed_book.read_computed`):
its own scheme, its period, and each person's final total and grade from its 得分 sheet; nothing
is scored again, and a workbook edited since its last compute is refused. Only the conditions of
the flags across periods (``rollup_flags``, e.g. sales achievement under 80 %) are evaluated on
each period's inputs, under that workbook's own scheme.

The year's rules come from the scheme of the latest period: its grade bands give the annual
grade, its ``period_weights`` weigh the periods, its ``trend_change`` and ``rollup_flags`` apply
(:mod:`kpi_engine.rollup`). The blocks: 年度考核 (a row per person), 团队年度 (each team's mean
per period, with a line chart) and 年度说明 (the workbooks used and the rules applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kpi_engine import annual, conditions, expr, period_clashes, period_weight
from kpi_engine.i18n import both, tr
from kpi_engine.model import MISSING_PERIODS, RollupFlag, Scheme

from ..ooxml.cells import column_letter
from .computed_book import ComputedBook, read_computed
from .errors import WorkbookError
from .reading import gather
from .results import NUM2, Block, ChartSpec, plain, set_print_setups
from .sources import SheetSource


@dataclass
class PeriodBook:
    """One period's computed workbook: its name (the file), what compute left, and the conditions
    of the year's flags there (index employee_id, a column per flag; filled in by :func:`rollup`)."""

    name: str
    book: ComputedBook
    source: SheetSource
    conditions: pd.DataFrame | None = None


@dataclass
class Rollup:
    year: int
    lang: str
    books: list[PeriodBook]  # in period order
    annual: pd.DataFrame  # kpi_engine.annual's columns, plus name and team
    totals: pd.DataFrame  # final totals, a column per period
    grades: pd.DataFrame  # final grades, a column per period
    notes: list[str] = field(default_factory=list)  # flags that could not be looked at in some workbook

    @property
    def latest(self) -> PeriodBook:
        return self.books[-1]

    @property
    def labels(self) -> list[str]:
        return [b.book.period.label for b in self.books]


def rollup_error(code: str, /, **fields: Any) -> WorkbookError:
    """The year cannot be made from these workbooks: message ``rollup.<code>`` of the catalogs."""
    return WorkbookError(*both(f"rollup.{code}", **fields), code=code)


def open_period(source: SheetSource, name: str, lang: str | None = None) -> PeriodBook:
    """A period's computed workbook (refused when not computed, or its scheme changed since)."""
    return PeriodBook(name, read_computed(source, name, lang), source)


def rollup(books: list[PeriodBook], lang: str | None = None) -> Rollup:
    """The year from ``books`` (any order): checked to be periods of one year, none twice."""
    if not books:
        raise rollup_error("no_books")
    books = sorted(books, key=lambda b: (b.book.period.year, b.book.period.first_month))
    clashes = period_clashes([b.book.period for b in books])
    if clashes:
        kind, i, j = clashes[0]
        first, second = books[i], books[j]
        raise rollup_error(f"books_{kind}", first=first.name, first_period=first.book.period.label,
                           second=second.name, second_period=second.book.period.label)
    latest = books[-1].book
    lang = lang or latest.lang
    notes = _conditions(books, latest.scheme.rollup_flags, lang)
    totals = pd.concat({b.book.period.label: b.book.finals["final_total"] for b in books}, axis=1)
    grades = pd.concat({b.book.period.label: b.book.finals["final_grade"] for b in books}, axis=1)
    held = {f.id: pd.concat({b.book.period.label: b.conditions[f.id] for b in books
                              if b.conditions is not None and f.id in b.conditions}, axis=1)
            for f in latest.scheme.rollup_flags}
    year = annual(totals, latest.scheme, {k: v for k, v in held.items() if len(v.columns)})
    who = _people(books, totals.index)
    return Rollup(books[0].book.period.year, lang, books, pd.concat([who, year], axis=1), totals, grades, notes)


def _conditions(books: list[PeriodBook], flags: tuple[RollupFlag, ...], lang: str) -> list[str]:
    """Each workbook's conditions of the year's flags, from its inputs under its own scheme; a
    flag whose formula reads what a workbook's scheme lacks is not looked at there (noted)."""
    notes = []
    for b in books:
        scheme = b.book.scheme
        usable = {f.id: f.when for f in flags if _readable(f.when, scheme)}
        for f in flags:
            if f.id not in usable:
                notes.append(tr("rollup.flag_unreadable", lang, flag=f.name(lang), book=b.name))
        if usable:
            frame = gather(b.source, scheme, b.book.lang).frame
            b.conditions = conditions(frame, scheme, usable, b.book.period, b.book.lang)
    return notes


def _readable(formula: str, scheme: Scheme) -> bool:
    try:
        parsed = expr.parse(formula)
    except expr.ExprError:
        return False
    return set(parsed.columns) <= {f.id for f in scheme.inputs} and set(parsed.lookups) <= set(scheme.lookups)


def _people(books: list[PeriodBook], index: pd.Index) -> pd.DataFrame:
    """Each person's name and team as their latest workbook has them."""
    name, team = pd.Series(None, index=index, dtype=object), pd.Series(None, index=index, dtype=object)
    for b in books:  # in period order: the latest wins
        scores = b.book.scores
        for column, target in (("name", name), ("team", team)):
            if column in scores:
                values = scores[column].where(scores[column].notna())
                target.update(values[values.astype(str).str.strip() != ""])
    return pd.DataFrame({"name": name, "team": team}, index=index)


# ---------------------------------------------------------------- blocks

def rollup_blocks(r: Rollup) -> list[Block]:
    """The year's sheets as blocks: 年度考核, 团队年度 (with its chart), 年度说明; set up to print."""
    blocks = [annual_block(r), teams_block(r), sources_block(r)]
    return set_print_setups(blocks, str(r.year), r.lang)


def _word(key: str, lang: str, **fields: Any) -> str:
    return tr(f"rollup.{key}", lang, **fields)


def flag_names(r: Rollup, flags: list[str], missing: tuple[str, ...]) -> str:
    """A person's flags as the sheet shows them: the periods missing, then the year's flags' names."""
    lang = r.lang
    names = {f.id: f.name(lang) for f in r.latest.book.scheme.rollup_flags}
    sep = tr("words.list_separator", lang)
    shown = [_word("missing_flag", lang, periods=sep.join(missing)) if f == MISSING_PERIODS else names.get(f, f)
             for f in flags]
    return sep.join(shown)


def annual_block(r: Rollup) -> Block:
    lang, a = r.lang, r.annual
    ids = ["employee_id", "name", "team"]
    labels = [tr("label.employee_id", lang), tr("label.name", lang), tr("label.team", lang)]
    for lab in r.labels:
        ids += [f"total:{lab}", f"grade:{lab}"]
        labels += [_word("period_total", lang, period=lab), _word("period_grade", lang, period=lab)]
    ids += ["annual_total", "annual_grade", "trend", "periods", "flags"]
    labels += [_word("annual_total", lang), _word("annual_grade", lang), _word("trend", lang), _word("periods", lang),
               _word("flags", lang)]
    trends = {"rising": _word("trend_rising", lang), "falling": _word("trend_falling", lang),
              "steady": _word("trend_steady", lang)}
    body = []
    for eid in a.index:
        row: list[Any] = [eid, a.at[eid, "name"], a.at[eid, "team"]]
        for lab in r.labels:
            row += [r.totals.at[eid, lab], r.grades.at[eid, lab]]
        row += [a.at[eid, "annual_total"], a.at[eid, "annual_grade"], trends.get(a.at[eid, "trend"]),
                int(a.at[eid, "periods"]), flag_names(r, a.at[eid, "flags"], a.at[eid, "missing"])]
        body.append(row)
    n = len(r.labels)
    formats = {3 + 2 * k: NUM2 for k in range(n)} | {3 + 2 * n: NUM2}
    widths = {0: 10, 1: 10, 2: 14} | {3 + 2 * k: 9 for k in range(n)} | {4 + 2 * k: 8 for k in range(n)}
    widths |= {3 + 2 * n: 10, 4 + 2 * n: 8, 5 + 2 * n: 8, 6 + 2 * n: 7, 7 + 2 * n: 36}
    return _block("annual", lang, ids, labels, body, formats, widths)


def teams_block(r: Rollup) -> Block:
    """Per team (each person in their latest team): headcount, the mean final total of each
    period and of the year; below, the same means a row per period, for the line chart."""
    lang, a = r.lang, r.annual
    team = a["team"].where(a["team"].notna(), "—").astype(str)
    ids = ["team", "headcount", *[f"mean:{lab}" for lab in r.labels], "annual_mean"]
    labels = [tr("label.team", lang), tr("label.headcount", lang), *r.labels, _word("annual_mean", lang)]
    groups = list(a.groupby(team, sort=True).groups.items())
    body = [[name, len(members), *[r.totals.loc[members, lab].mean() for lab in r.labels],
             a.loc[members, "annual_total"].mean()] for name, members in groups]
    body.append([tr("label.all", lang), len(a), *[r.totals[lab].mean() for lab in r.labels], a["annual_total"].mean()])
    # the chart's data below: a row per period, a column per team from the third column on (the
    # columns of the means, so they share the number format)
    first = 2 + len(body) + 2  # 0-based: two header rows, the table, a blank row, the chart's header
    body.append([])
    body.append([_word("period", lang), None, *[name for name, _ in groups]])
    for k, lab in enumerate(r.labels):
        body.append([lab, None, *[body[g][2 + k] for g in range(len(groups))]])
    last = first + len(r.labels) - 1
    width = max(len(ids), 2 + len(groups))
    chart = ChartSpec("line", _word("team_chart", lang), (first, last, 0),
                      tuple((first, last, 2 + g) for g in range(len(groups))), anchor=f"{column_letter(width + 2)}2",
                      titles=tuple(name for name, _ in groups))
    formats = {c: NUM2 for c in range(2, width)}
    widths = {0: 16, 1: 8} | {c: 12 for c in range(2, width)}
    return _block("teams", lang, ids, labels, body, formats, widths, charts=[chart])


def sources_block(r: Rollup) -> Block:
    """The workbooks the year was made from, and the rules applied, in words."""
    lang, scheme = r.lang, r.latest.book.scheme
    ids = ["book", "period", "weight", "share", "scheme_fingerprint", "computed_at", "headcount"]
    labels = [_word("book", lang), _word("period", lang), _word("weight", lang), _word("share", lang),
              _word("fingerprint", lang), _word("computed_at", lang), tr("label.headcount", lang)]
    weights = [period_weight(b.book.period, scheme) for b in r.books]
    body: list[list[Any]] = [[b.name, b.book.period.label, w, w / sum(weights), b.book.meta.get("scheme_fingerprint", ""),
                              b.book.meta.get("computed_at", ""), len(b.book.finals)] for b, w in zip(r.books, weights)]
    bands = tr("rollup.band_separator", lang).join(f"{g} ≥ {m:g}" for g, m in scheme.grades[:-1])
    rules = [
        _word("rule_latest", lang, book=r.latest.name, period=r.latest.book.period.label),
        _word("rule_weights", lang), _word("rule_missing", lang),
        _word("rule_grades", lang, bands=bands, last=scheme.grades[-1][0]),
        _word("rule_trend", lang, points=f"{scheme.setting('trend_change'):g}"),
    ]
    rules += [_word("rule_flag", lang, name=f.name(lang), periods=int(f.periods)) for f in scheme.rollup_flags]
    body += [[None] * len(ids), [_word("rules", lang)] + [None] * (len(ids) - 1)]
    body += [[rule] + [None] * (len(ids) - 1) for rule in rules + r.notes]
    return _block("sources", lang, ids, labels, body, {2: "0.##", 3: "0.0%"},
                  {0: 60, 1: 9, 2: 7, 3: 7, 4: 18, 5: 20, 6: 7})


def _block(key: str, lang: str, ids: list[str], labels: list[str], body: list[list[Any]], formats: dict[int, str],
           widths: dict[int, float], charts: list[ChartSpec] | None = None) -> Block:
    """A sheet of the year's workbook: its name is the catalogs' ``rollup.sheet_<key>``."""
    return Block(key, _word(f"sheet_{key}", lang), [labels, ids] + [[plain(v) for v in row] for row in body],
                 number_formats=formats, widths=widths, charts=charts or [])


def rollup_rows(r: Rollup) -> tuple[list[str], list[list[Any]]]:
    """The CSV: employee_id, one column per period (its final total), annual_total, annual_grade,
    periods (how many present), flags (ids separated by ";")."""
    header = ["employee_id", *r.labels, "annual_total", "annual_grade", "periods", "flags"]
    a = r.annual
    rows = [[eid, *[r.totals.at[eid, lab] for lab in r.labels], a.at[eid, "annual_total"], a.at[eid, "annual_grade"],
             int(a.at[eid, "periods"]), ";".join(a.at[eid, "flags"])] for eid in a.index]
    return header, rows

