"""The scorecard (绩效面谈表) of each person, as data: what the review conversation is about.

A scorecard is made from a computed workbook only (:func:`kpi_workbook.pipeline.computed_book.read_computed`):
its inputs are scored again under its own scheme, the same pipeline compute runs, for what the
result sheets do not hold (each indicator's target and actual value, its reasons in numbers,
the improvement guide). The totals are checked against the 得分 sheet first: when an input was
changed after the last compute, the scorecards would not say what 得分 says, so none is made and
the message says to compute again. Totals, grades and any calibration come from 得分
(:func:`final_scores`), so a scorecard always shows the final total as 得分 shows it.

The look of a scorecard (A4, boxes, signature lines) is :mod:`kpi_workbook.sheets.scorecard_sheet`'s.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kpi_engine import Scheme, ScoreResult, normalize_id, score
from kpi_engine.i18n import PerLang, tr
from kpi_engine.numbers import is_blank

from .computed_book import ComputedBook, final_scores, read_computed, report_error
from .reading import gather
from .sources import SheetSource

TOTAL_TOLERANCE = 1e-6  # points: a total read back from 得分 against the same total computed again
LOST = 1e-9  # points an indicator must lose for its reason to be shown
NO_TEAM = "—"


@dataclass(frozen=True)
class CardRow:
    """A line of the indicator table: a group (its weight and subtotal) or an indicator."""

    kind: str  # "group" | "indicator"
    level: int  # 0 = top group; its indicators and sub-groups are one level deeper
    name: str
    weight: float | None
    target: str = ""
    actual: str = ""
    score: float | None = None
    points: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class GuideLine:
    """One line of the improvement guide: the indicator, the points it lost, and the advice (why it
    lost them is its line of the indicator table)."""

    rank: int
    indicator: str
    lost: float
    advice: str


@dataclass
class Scorecard:
    employee_id: str
    name: str
    team: str
    period: str
    scheme_name: str
    lang: str
    rows: list[CardRow]
    total: float | None
    grade: str | None
    final_total: float | None
    final_grade: str | None
    adjustment: float | None
    rank: int | None  # in the team, by final total
    team_size: int
    flags: list[str] = field(default_factory=list)
    guide: list[GuideLine] = field(default_factory=list)
    appeal_deadline: dt.date | None = None

    @property
    def calibrated(self) -> bool:
        """An adjustment was made or the final total or grade differs from the computed one."""
        return bool(self.adjustment) or _differs(self.total, self.final_total) or self.grade != self.final_grade

    @property
    def file_stem(self) -> str:
        """``<工号>_<姓名>_<period>``, safe as a file name on every system."""
        return safe_name(f"{self.employee_id}_{self.name}_{self.period}" if self.name else
                         f"{self.employee_id}_{self.period}")

    @property
    def sheet_name(self) -> str:
        """``<工号> <姓名>``, within Excel's 31 characters and without the characters it refuses."""
        return re.sub(r"[\[\]:*?/\\']", "_", f"{self.employee_id} {self.name}".strip())[:31]


@dataclass
class Scorecards:
    book: str
    period: str
    lang: str
    scheme_name: str
    cards: list[Scorecard]

    def teams(self) -> dict[str, list[Scorecard]]:
        """The cards by team, teams in the order their first card comes."""
        out: dict[str, list[Scorecard]] = {}
        for card in self.cards:
            out.setdefault(card.team, []).append(card)
        return out


def safe_name(text: str) -> str:
    """``text`` as a file name: no path separators, reserved or control characters, nor trailing dots."""
    cleaned = re.sub(r'[<>:"/\\|?*\x00-\x1f\x7f]', "_", str(text)).strip().rstrip(".")
    return cleaned[:120] or "_"


def build_scorecards(source: SheetSource, name: str, *, employees: Iterable[Any] | None = None,
                     team: str | None = None, lang: str | None = None) -> Scorecards:
    """The scorecards of the computed workbook behind ``source`` (``name``: the file, for messages):
    everyone, the ``employees`` listed, or one ``team`` (both: the listed people of that team)."""
    book = read_computed(source, name, lang)
    finals = final_scores(book.scores)
    chosen = _chosen(book, finals.index, employees, team, name)
    result = score(gather(source, book.scheme, book.lang).frame, book.scheme, book.period, book.lang)
    _check_totals(result, finals, name)
    return Scorecards(name, book.period.label, book.lang, _scheme_name(book.scheme, book.lang),
                      _cards(book, result, finals, chosen))


def _chosen(book: ComputedBook, everyone: pd.Index, employees: Iterable[Any] | None, team: str | None,
            name: str) -> list[str]:
    teams = _teams(book.scores)
    chosen = list(everyone)
    if employees is not None:
        wanted = list(dict.fromkeys(normalize_id(e) for e in employees))
        unknown = [str(e) for e in wanted if e not in everyone]
        if unknown:
            raise report_error("unknown_employees", book=name, ids=PerLang("、".join(unknown), ", ".join(unknown)))
        chosen = [e for e in wanted if e is not None]
    if team is not None:
        if team.strip() not in set(teams):
            known = sorted(set(teams))
            raise report_error("unknown_team", book=name, team=team,
                               teams=PerLang("、".join(known), ", ".join(known)))
        chosen = [e for e in chosen if teams[e] == team.strip()]
        if not chosen:
            raise report_error("nobody_chosen", book=name, team=team)
    return chosen


def _teams(scores: pd.DataFrame) -> pd.Series:
    values = scores["team"] if "team" in scores else pd.Series(None, index=scores.index, dtype=object)
    return pd.Series([NO_TEAM if is_blank(v) else str(v).strip() for v in values], index=scores.index, dtype=object)


def _check_totals(result: ScoreResult, finals: pd.DataFrame, name: str) -> None:
    """The inputs are what compute scored: every computed total equals 得分's (NaN where it is blank)."""
    again = result.total.reindex(finals.index).to_numpy(dtype=float)
    shown = finals["total"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        same = (np.isnan(again) & np.isnan(shown)) | (np.abs(again - shown) <= TOTAL_TOLERANCE)
    if not same.all():
        k = int(np.flatnonzero(~same)[0])
        raise report_error("inputs_changed", book=name, id=finals.index[k], shown=_text(shown[k]), now=_text(again[k]))


def _text(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.2f}"


def _differs(a: float | None, b: float | None) -> bool:
    a_nan, b_nan = a is None or math.isnan(a), b is None or math.isnan(b)
    return a_nan != b_nan or (not a_nan and abs(a - b) > TOTAL_TOLERANCE)


def _scheme_name(scheme: Scheme, lang: str) -> str:
    return scheme.meta.get(f"name_{lang}") or scheme.meta.get("name_zh") or tr("report.title", lang)


def _cards(book: ComputedBook, result: ScoreResult, finals: pd.DataFrame, chosen: list[str]) -> list[Scorecard]:
    scheme, lang = book.scheme, book.lang
    teams = _teams(book.scores)
    names = book.scores["name"] if "name" in book.scores else pd.Series(None, index=book.scores.index)
    measures = result.measures(chosen, lang).set_index(["employee_id", "indicator"]) if chosen else None
    guide = result.guide[result.guide["employee_id"].isin(set(chosen))]
    guides = {eid: part for eid, part in guide.groupby("employee_id", sort=False)}
    flag_names = {f.id: f.name(lang) for f in scheme.flags}
    days = scheme.setting("appeal_days")
    deadline = None if days is None or math.isnan(days) else book.period.end + dt.timedelta(days=int(days))
    ranks = _team_ranks(finals["final_total"], teams)
    out = []
    for eid in chosen:
        f = finals.loc[eid]
        rows = _rows(scheme, result, eid, measures, lang)
        lines = [GuideLine(int(g.rank), g.indicator_name, float(g.lost), g.advice)
                 for g in guides[eid].itertuples()] if eid in guides else []
        name = None if is_blank(names.get(eid)) else str(names.get(eid)).strip()
        out.append(Scorecard(
            eid, name or "", teams[eid], book.period.label, _scheme_name(scheme, lang),
            lang, rows, _plain(f["total"]), f["grade"], _plain(f["final_total"]), f["final_grade"],
            _plain(f["adjustment"]), ranks[eid][0], ranks[eid][1],
            [flag_names.get(x, x) for x in result.flags.get(eid, [])], lines, deadline))
    return out


def _plain(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _team_ranks(totals: pd.Series, teams: pd.Series) -> dict[str, tuple[int | None, int]]:
    """(rank in the team by final total — ties share the best place —, people ranked in the team)."""
    out: dict[str, tuple[int | None, int]] = {}
    for _, members in totals.groupby(teams, sort=False):
        ranked = members.rank(ascending=False, method="min")
        size = int(members.notna().sum())
        for eid, r in ranked.items():
            out[eid] = (None if math.isnan(r) else int(r), size)
    return out


def _rows(scheme: Scheme, result: ScoreResult, eid: str, measures: pd.DataFrame, lang: str) -> list[CardRow]:
    """The indicator table: each top group, its weight and subtotal, then its indicators and
    sub-groups in the scheme's order (a sub-group where its first indicator is). An indicator's
    reason is given where it lost points or could not be computed."""
    weights, points, scores, groups = scheme.effective_weight, result.points, result.scores, result.groups
    order = {ind.id: k for k, ind in enumerate(scheme.indicators)}

    def first(gid: str) -> int:
        inds = [order[i.id] for i in scheme.indicators if _under(scheme, i.group, gid)]
        return min(inds, default=len(order))

    def walk(gid: str, level: int) -> list[CardRow]:
        g = scheme.group(gid)
        weight = sum(weights[i.id] for i in scheme.indicators if _under(scheme, i.group, gid))
        out = [CardRow("group", level, g.name(lang), weight, points=_plain(groups.at[eid, gid]))]
        kids = [(first(s.id), "group", s.id) for s in scheme.groups if s.parent == gid]
        kids += [(order[i.id], "indicator", i.id) for i in scheme.indicators if i.group == gid]
        for _, kind, kid in sorted(kids):
            if kind == "group":
                out += walk(kid, level + 1)
                continue
            ind, m = scheme.indicator(kid), measures.loc[(eid, kid)]
            p = _plain(points.at[eid, kid])
            lost = p is None or weights[kid] - p > LOST
            out.append(CardRow("indicator", level + 1, ind.name(lang), weights[kid], m["target"], m["actual"],
                               _plain(scores.at[eid, kid]), p, m["reason"] if lost else ""))
        return out

    return [row for g in scheme.groups if not g.parent for row in walk(g.id, 0)]


def _under(scheme: Scheme, gid: str, ancestor: str) -> bool:
    """Group ``gid`` is ``ancestor`` or lies under it."""
    while gid:
        if gid == ancestor:
            return True
        gid = scheme.group(gid).parent
    return False
