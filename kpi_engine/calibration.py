"""After the scores, HR's part: adjustments and overrides with reasons, and grade share limits.

The order is fixed (and stated on the help sheet): computed total → + HR's adjustment = final
total → grade of the final total → HR's ``final_grade`` override, if given → coefficient → pay
(:mod:`kpi_engine.pay`).

- :func:`read_adjustments` takes HR's rows as typed (a frame with ``employee_id`` and the columns
  ``adjustment``, ``final_grade``, ``reason``, ``approver``) and returns the rows that apply and
  one problem per row that does not: no reason, an unknown grade, an adjustment that is not a
  number, a 工号 not scored, a 工号 twice. A bad row is not applied at all; the others are.
- :func:`scopes` says where the limits apply: each team, teams smaller than ``min_team_size``
  pooled into one scope, or everyone (``scope = "all"``).
- :func:`distribution` counts the final grades of each scope against each limit: headcount,
  allowed (:func:`allowed`: a share of the headcount, rounded as the scheme says), actual, over.
- :func:`propose` gives each person the grade the limits allow by rank within the scope.

Counts are of graded people (those with a final grade); an incomplete row is in no count.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .i18n import tr
from .inputs import normalize_id
from .model import MAX_WEIGHT, Calibration, Scheme
from .numbers import is_blank, parse_number
from .problems import COLUMNS, clip, show_value

HR_COLUMNS = ("adjustment", "final_grade", "reason", "approver")
MAX_ADJUSTMENT = MAX_WEIGHT  # points; an adjustment is points on the total's scale
SHARE_TOLERANCE = 1e-9  # 100 × 0.29 is 28.999999999999996 in binary: still 29 people
POOLED_NAMES = 5  # teams named in a pooled scope's label, then "…"


def allowed(headcount: int, share: float, rounding: str) -> int:
    """How many of ``headcount`` people a share allows: floor (never above the share), round (half
    up) or ceil, of headcount × share, with a tolerance for binary floating point."""
    x = headcount * share
    if rounding == "round":
        return int(math.floor(x + 0.5 + SHARE_TOLERANCE))
    if rounding == "ceil":
        return int(math.ceil(x - SHARE_TOLERANCE))
    return int(math.floor(x + SHARE_TOLERANCE))


def canonical_grade(value: Any, grades: Iterable[str]) -> str | None:
    """The scheme's grade HR typed ("s", "Ｓ", " A " → "S", "A"); None when it is none of them."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    by_key = {g.casefold(): g for g in grades}
    return by_key.get(text.casefold())


def _text(value: Any) -> str | None:
    return None if is_blank(value) else clip(str(value).strip(), 2000)


APPLIED_COLUMNS = ["adjustment", "final_grade", "reason", "approver", "pay_base", "row"]


def read_adjustments(frame: pd.DataFrame | None, scored: pd.Index, scheme: Scheme,
                     lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows that apply, problems) from HR's rows.

    The applied frame is indexed by employee_id with ``adjustment`` (NaN: none), ``final_grade``
    (None: none), ``reason``, ``approver``, ``pay_base`` (the pay section's base column when the
    rows give it; NaN: none) and ``row`` (the row's position in ``frame``); the problems table is
    :mod:`kpi_engine.problems`' with ``row`` the same position. A change (an adjustment or a final
    grade) with any problem is not applied at all; a bad base leaves that person without pay and
    the row's change still applies. Rows with neither a change nor a base are skipped."""
    rows = _HrRows(frame, scored, scheme, lang)
    applied = [a for a in (rows.read(r) for r in rows.used) if a is not None]
    out = pd.DataFrame([a[1:] for a in applied], columns=APPLIED_COLUMNS,
                       index=pd.Index([a[0] for a in applied], name="employee_id", dtype=object))
    out = out.astype({"adjustment": float, "final_grade": object, "pay_base": float})
    return out, pd.DataFrame(rows.problems, columns=COLUMNS)


class _HrRows:
    """HR's rows, read one by one; every problem a row of the problems table."""

    def __init__(self, frame: pd.DataFrame | None, scored: pd.Index, scheme: Scheme, lang: str):
        self.scheme, self.lang, self.known = scheme, lang, set(scored)
        self.grades = [g for g, _ in scheme.grades]
        self.base = scheme.pay.base if scheme.pay is not None else None
        self.records = [] if frame is None else frame.reset_index(drop=True).to_dict("records")
        self.problems: list[dict[str, Any]] = []
        self.used = [r for r, rec in enumerate(self.records) if self._change(rec) or self._base_given(rec)]
        self.ids = {r: normalize_id(self.records[r].get("employee_id")) for r in self.used}
        self.rows_of: dict[str, list[int]] = {}
        for r in self.used:
            if self.ids[r] is not None:
                self.rows_of.setdefault(self.ids[r], []).append(r)

    @staticmethod
    def _change(rec: dict[str, Any]) -> bool:
        return not is_blank(rec.get("adjustment"), dashes=True) or not is_blank(rec.get("final_grade"))

    def _base_given(self, rec: dict[str, Any]) -> bool:
        return self.base is not None and not is_blank(rec.get(self.base), dashes=True)

    def add(self, code: str, r: int, fld: str, value: Any, text: str, severity: str = "error") -> None:
        self.problems.append({"employee_id": self.ids[r], "field": fld, "problem": text, "severity": severity,
                              "code": code, "value": value, "row": r, "indicator": None})

    def read(self, r: int) -> tuple | None:
        """The row as (employee_id, *APPLIED_COLUMNS) when anything of it applies; else None."""
        rec, eid, lang = self.records[r], self.ids[r], self.lang
        if eid is None:
            self.add("blank_id", r, "employee_id", None, tr("calibration.blank_id", lang))
            return None
        if len(self.rows_of[eid]) > 1:
            rows = tr("words.rows", lang, rows=", ".join(str(x + 1) for x in self.rows_of[eid]))
            self.add("duplicate_id", r, "employee_id", eid,
                     tr("calibration.duplicate_id", lang, value=show_value(eid), detail=rows))
            return None
        if eid not in self.known:
            if not self._change(rec):  # only a pay base for someone not appraised (left, or an id the
                return None  # inputs spell otherwise, reported there): nothing of HR's is lost
            self.add("not_on_roster", r, "employee_id", eid, tr("calibration.not_on_roster", lang, value=show_value(eid)))
            return None
        base = self._base(r, rec)
        if not self._change(rec):
            return (eid, math.nan, None, None, None, base, r)
        bad = len(self.problems)
        adjustment, grade = _values(rec.get("adjustment"), rec.get("final_grade"), self.grades,
                                    functools.partial(_at_row, self.add, r), lang)
        reason, approver = _text(rec.get("reason")), _text(rec.get("approver"))
        if reason is None:
            self.add("no_reason", r, "reason", None, tr("calibration.no_reason", lang))
        if len(self.problems) > bad:
            return (eid, math.nan, None, None, None, base, r)
        if approver is None:
            self.add("no_approver", r, "approver", None, tr("calibration.no_approver", lang), "warning")
        return (eid, adjustment, grade, reason, approver, base, r)

    def _base(self, r: int, rec: dict[str, Any]) -> float:
        """The row's pay base (NaN when blank, or reported: not a number, negative)."""
        if not self._base_given(rec):
            return math.nan
        raw = rec.get(self.base)
        number = parse_number(raw)
        if number is None or number < 0:
            name = self.scheme.field_name(self.base, self.lang)
            self.add("base_not_a_number" if number is None else "base_negative", r, self.base, raw,
                     tr("calibration.base_not_a_number" if number is None else "calibration.base_negative",
                        self.lang, field=name, value=show_value(raw)))
            return math.nan
        return number


def _at_row(add: Any, r: int, code: str, *rest: Any) -> None:
    add(code, r, *rest)


def _values(raw_adj: Any, raw_grade: Any, grades: list[str], add: Any, lang: str) -> tuple[float, str | None]:
    """A row's adjustment (NaN: none) and final grade (None: none); a bad one is reported through
    ``add(code, field, value, text)``."""
    adjustment = math.nan
    if not is_blank(raw_adj, dashes=True):
        number = parse_number(raw_adj)
        if number is None:
            add("adjustment_not_a_number", "adjustment", raw_adj,
                tr("calibration.adjustment_not_a_number", lang, value=show_value(raw_adj)))
        elif abs(number) > MAX_ADJUSTMENT:
            add("adjustment_too_large", "adjustment", raw_adj,
                tr("calibration.adjustment_too_large", lang, value=show_value(raw_adj), limit=f"{MAX_ADJUSTMENT:,}"))
        else:
            adjustment = number
    grade = None
    if not is_blank(raw_grade):
        grade = canonical_grade(raw_grade, grades)
        if grade is None:
            add("unknown_grade", "final_grade", raw_grade,
                tr("calibration.unknown_grade_typed", lang, value=show_value(raw_grade), grades="/".join(grades)))
    return adjustment, grade


def scopes(team: pd.Series, graded: pd.Series, calib: Calibration, lang: str = "zh") -> pd.Series:
    """The scope of each person: their team's name, the pooled scope of the small teams, or everyone.
    A categorical Series whose categories are the scopes in the order they are shown: the teams
    by name, then the pooled small teams."""
    if calib.scope == "all":
        everyone = tr("calibration.scope_all", lang)
        return pd.Series(pd.Categorical([everyone] * len(team), categories=[everyone]), index=team.index, name="scope")
    names = team_names(team, lang)
    sizes = names[graded.to_numpy(dtype=bool)].value_counts()
    teams = sorted(names.unique())
    small = [t for t in teams if sizes.get(t, 0) < calib.min_team_size]
    order = [t for t in teams if t not in small]
    if small:
        shown = tr("workbook.list_sep", lang).join(small[:POOLED_NAMES]) + ("…" if len(small) > POOLED_NAMES else "")
        pooled = tr("calibration.pooled", lang, teams=shown)
        names = names.where(~names.isin(small), pooled)
        order.append(pooled)
    return pd.Series(pd.Categorical(names, categories=order), index=team.index, name="scope")


def team_names(team: pd.Series, lang: str = "zh") -> pd.Series:
    """Each person's team as text; people without a team together under one word."""
    none = tr("calibration.no_team", lang)
    return pd.Series([none if is_blank(t) else str(t).strip() for t in team], index=team.index, dtype=object)


def distribution(final_grade: pd.Series, scope: pd.Series, calib: Calibration, lang: str = "zh") -> pd.DataFrame:
    """One row per scope and limit: scope, headcount, grades ("S+A"), max_share, allowed, actual, over
    (actual − allowed: > 0 a breach, < 0 room left), binding (the limit applies to this scope; the
    overall rows of per-team limits are for information), problem (the breach in words, or None)."""
    graded = final_grade.notna()
    scoped = scope[graded].astype(object)
    parts = [(s, final_grade[graded][scoped == s], True) for s in scope.cat.categories]
    if calib.scope != "all":
        parts.append((tr("calibration.scope_all", lang), final_grade[graded], False))
    rows = []
    for name, grades, binding in parts:
        n = len(grades)
        for limit in calib.limits:
            can = allowed(n, limit.max_share, calib.rounding)
            actual = int(grades.isin(limit.grades).sum())
            problem = None
            if binding and actual > can:
                problem = tr("calibration.over_limit", lang, scope=name, grades=limit.label(), actual=actual,
                             share=share_text(limit.max_share), headcount=n, allowed=can, over=actual - can,
                             rounding=tr(f"calibration.rounding_{calib.rounding}", lang))
            rows.append({"scope": name, "headcount": n, "grades": limit.label(), "max_share": limit.max_share,
                         "allowed": can, "actual": actual, "over": actual - can, "binding": binding, "problem": problem})
    return pd.DataFrame(rows, columns=["scope", "headcount", "grades", "max_share", "allowed", "actual", "over",
                                       "binding", "problem"])


def share_text(share: float) -> str:
    """0.1 → "10%", 0.125 → "12.5%"."""
    return f"{share * 100:.6g}%"


def propose(final_total: pd.Series, scope: pd.Series, scheme: Scheme, natural: pd.Series) -> pd.Series:
    """The grade each person would get if the limits were applied by rank within their scope.

    People are ranked by final total, highest first; each in turn gets the best grade that is no
    better than their own grade (``natural``: the grade of their final total) nor than the grade of
    anyone ranked above them, and that keeps every limit of the scope. People with the same final
    total are one block: they get the same grade, and when the block does not fit under a limit
    all of them go down a grade together (a proposal never exceeds a limit to keep a tie). The
    lowest grade is always allowed. Incomplete rows get none.
    """
    calib = scheme.calibration
    order = [g for g, _ in scheme.grades]
    out = pd.Series(None, index=final_total.index, dtype=object, name="proposal")
    if calib is None or not calib.active:
        return natural.rename("proposal")
    graded = (final_total.notna() & natural.notna()).to_numpy()
    for name in scope.cat.categories:
        members = final_total[graded & (scope == name).to_numpy()].sort_values(ascending=False, kind="mergesort")
        values, ids = members.to_numpy(), members.index
        n = len(members)
        caps = [(set(limit.grades), allowed(n, limit.max_share, calib.rounding)) for limit in calib.limits]
        counts = dict.fromkeys(order, 0)
        starts = [0] + [i for i in range(1, n) if values[i] != values[i - 1]] + [n]  # blocks of equal totals
        floor_j = 0
        for first, end in zip(starts, starts[1:]):
            block = ids[first:end]
            j = max(order.index(natural[block[0]]), floor_j)
            while j < len(order) - 1 and any(order[j] in grades and sum(counts[g] for g in grades) + len(block) > cap
                                             for grades, cap in caps):
                j += 1
            counts[order[j]] += len(block)
            out[block] = order[j]
            floor_j = j
    return out


def adjustment_lines(applied: pd.DataFrame, natural: pd.Series, lang: str = "zh") -> pd.DataFrame:
    """One line per change HR made, for the deductions list: employee_id, kind (adjustment | grade),
    amount (points taken off: −adjustment), reason (in words, with the approver). ``natural`` is the
    grade of the final total, which an override replaces."""
    rows = []
    for eid, a in applied.iterrows():
        who = a["approver"] or tr("calibration.no_approver_word", lang)
        if not np.isnan(a["adjustment"]):
            signed = f"{a['adjustment']:+.2f}".rstrip("0").rstrip(".")
            rows.append({"employee_id": eid, "kind": "adjustment", "amount": -a["adjustment"],
                         "reason": tr("calibration.line_adjustment", lang, points=signed, reason=a["reason"],
                                      approver=who)})
        if a["final_grade"] is not None:
            rows.append({"employee_id": eid, "kind": "grade", "amount": None,
                         "reason": tr("calibration.line_grade", lang, old=natural.get(eid) or "—", new=a["final_grade"],
                                      reason=a["reason"], approver=who)})
    return pd.DataFrame(rows, columns=["employee_id", "kind", "amount", "reason"])
