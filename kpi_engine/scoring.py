"""``score()``: raw metrics per employee in, scores, points, reasons and grades out.

All work is column-wise (numpy/pandas over every employee at once); Python loops run over
indicators and over the few rows that have a problem or a deduction to explain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from . import expr, problems
from .explain import _memo, formula_words, indicator_reason, num, part_reasons
from .inputs import CleanInput, clean
from .model import Indicator, Scheme
from .periods import Period, parse_period
from .rules import RULES, Outcome, apply_gate
from .scheme import default_scheme

GUIDE_SIZE = 3
LOST_EPS = 1e-9
GRADE_TOLERANCE = 1e-9  # a total of 84.99999999999999 is an A (≥ 85)


@dataclass
class ScoreResult:
    """Everything ``score`` computes; frames are indexed by employee_id (text)."""

    points: pd.DataFrame
    scores: pd.DataFrame
    total: pd.Series
    grade: pd.Series
    flags: pd.Series
    problems: pd.DataFrame
    groups: pd.DataFrame
    metrics: pd.DataFrame
    scheme: Scheme
    period: Period
    lang: str = "zh"
    _outcomes: dict[str, Outcome] = field(default_factory=dict, repr=False)
    _rows: dict[str, int] = field(default_factory=dict, repr=False)
    # the reason texts (deductions, guide) are built on first access: scoring alone needs none
    _reasons: _Reasons | None = field(default=None, repr=False)
    _built: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def deductions(self) -> pd.DataFrame:
        """One row per part that took points off: employee_id, indicator, amount, reason, row."""
        if "deductions" not in self._built:
            self._built["deductions"] = self._reasons.deductions()
        return self._built["deductions"]

    @deductions.setter
    def deductions(self, frame: pd.DataFrame) -> None:
        self._built["deductions"] = frame

    @property
    def guide(self) -> pd.DataFrame:
        """Per employee, the indicators that lost the most points, with reason and advice."""
        if "guide" not in self._built:
            self._built["guide"] = self._reasons.guide()
        return self._built["guide"]

    @guide.setter
    def guide(self, frame: pd.DataFrame) -> None:
        self._built["guide"] = frame

    def explain(self, employee_id: Any, indicator: str, lang: str | None = None) -> str:
        """The reason, in numbers, for one employee's score on one indicator."""
        from .inputs import normalize_id

        if not self._rows and self._reasons is not None:
            self._rows = self._reasons.rows_by_id()
        row = self._rows[normalize_id(employee_id)]
        ind = self.scheme.indicator(indicator)
        return indicator_reason(ind, self._outcomes[indicator], row, lang or self.lang, self.scheme)

    @property
    def status(self) -> pd.Series:
        """'ok' or 'incomplete' per employee (total not computable)."""
        return pd.Series(np.where(self.total.isna(), "incomplete", "ok"), index=self.total.index, name="status")


@lru_cache(maxsize=1)
def _default() -> Scheme:
    return default_scheme()


def score(
    inputs: pd.DataFrame,
    scheme: Scheme | None = None,
    period: str | Period | None = "2026-Q4",
    lang: str = "zh",
) -> ScoreResult:
    """Score every employee of ``inputs`` (columns as spec §2) under ``scheme``.

    Never raises on bad data in a row: problems are reported in ``result.problems`` and
    the other rows are scored. Raises :class:`kpi_engine.InputError` only when the input
    as a whole is unusable, and :class:`kpi_engine.PeriodError` for a bad period.
    """
    scheme = scheme or _default()
    per = parse_period(period)
    lang = "en" if str(lang).lower().startswith("en") else "zh"
    ci = clean(inputs, scheme, lang)
    n = ci.n
    env = expr.Env(n=n, numbers=ci.numbers, texts=ci.texts, lookups=scheme.lookups, months=per.months)

    ind_ids = [ind.id for ind in scheme.indicators]
    score_mat = np.full((n, len(ind_ids)), np.nan)
    outcomes: dict[str, Outcome] = {}
    reporter = _Reporter(ci, scheme, lang)
    for j, ind in enumerate(scheme.indicators):
        env.zero_division = []
        # a vast but finite metric (a denominator typed as 1E-300) may overflow to ±inf in the rule's
        # arithmetic; rules floor or reject it, so numpy's warning is noise for the user
        with np.errstate(over="ignore", invalid="ignore"):
            out = apply_gate(ind, env, RULES[ind.rule].apply(ind, env))
        # a rejected value is never averaged away or replaced by a default: not scored on it
        # a blank input the indicator needs leaves it uncomputed, even behind a failing gate
        required, optional = _columns_of(ind)
        rejected = np.zeros(n, dtype=bool)
        for col in required + optional:
            rejected |= ci.invalid(col)
        for col in required:
            if col not in ci.absent:
                rejected |= ci.blank[col]
            else:
                rejected[:] = True
        out.score = np.where(ci.excluded | rejected, np.nan, out.score)
        outcomes[ind.id] = out
        score_mat[:, j] = out.score
        reporter.indicator_gaps(ind, out.score, env.zero_division)
    reporter.absent_columns()

    keep = _keep_rows(ci)
    index = pd.Index(ci.ids[keep], name="employee_id", dtype=object)
    weights = np.array([scheme.effective_weight[i] for i in ind_ids])
    points_mat = score_mat * weights / 100.0
    scores = pd.DataFrame(score_mat[keep], index=index, columns=ind_ids)
    points = pd.DataFrame(points_mat[keep], index=index, columns=ind_ids)
    total = pd.Series(_row_sum(points_mat[keep]), index=index, name="total")
    grade = _grades(total, scheme)
    flags = _flags(scheme, env, ci, keep, index)
    metrics = pd.DataFrame({i: outcomes[i].metric[keep] for i in ind_ids}, index=index)
    groups = _group_points(scheme, points)
    return ScoreResult(
        points=points, scores=scores, total=total, grade=grade, flags=flags,
        problems=problems.frame(reporter.rows), groups=groups, metrics=metrics, scheme=scheme, period=per,
        lang=lang, _outcomes=outcomes, _reasons=_Reasons(scheme, outcomes, ci.ids, keep, points_mat, weights, lang),
    )


def _keep_rows(ci: CleanInput) -> np.ndarray:
    """Rows that appear in the results: a non-blank id, first occurrence."""
    ids = pd.Series(ci.ids, dtype=object)
    return (ids.notna() & ~ids.duplicated(keep="first")).to_numpy()


def _row_sum(mat: np.ndarray) -> np.ndarray:
    """Sum across indicators in scheme order, column by column: a row's total never depends on
    which other rows are in the frame; rounded to 10 decimals so that 59.99999999999999 is 60."""
    total = np.zeros(mat.shape[0])
    for j in range(mat.shape[1]):
        total = total + mat[:, j]
    return np.round(total, 10)


def _grades(total: pd.Series, scheme: Scheme) -> pd.Series:
    values = total.to_numpy(dtype=float)
    conditions = [values >= m - GRADE_TOLERANCE for _, m in scheme.grades]
    choices = [g for g, _ in scheme.grades]
    graded = np.select(conditions, choices, default=choices[-1]).astype(object)
    graded[np.isnan(values)] = None
    return pd.Series(graded, index=total.index, name="grade", dtype=object)


def _flags(scheme: Scheme, env: expr.Env, ci: CleanInput, keep: np.ndarray, index: pd.Index) -> pd.Series:
    hits = []
    for f in scheme.flags:
        env.zero_division = []
        mask = np.asarray(expr.parse(f.when).evaluate(env), dtype=bool) & ~ci.excluded
        hits.append((f.id, mask[keep]))
    # each row's set of flags as a bit code; one list is built per row from its code's tuple
    code = np.zeros(int(keep.sum()), dtype=np.int64)
    for bit, (_, mask) in enumerate(hits):
        code |= mask.astype(np.int64) << bit
    combos = {c: tuple(fid for bit, (fid, _) in enumerate(hits) if c >> bit & 1) for c in np.unique(code).tolist()}
    lists = [list(combos[c]) for c in code.tolist()]
    return pd.Series(lists, index=index, name="flags", dtype=object)


def _group_points(scheme: Scheme, points: pd.DataFrame) -> pd.DataFrame:
    """Points per group (sub-groups included in their parents); NaN where incomplete."""
    members: dict[str, list[str]] = {g.id: [] for g in scheme.groups}
    parents = {g.id: g.parent for g in scheme.groups}
    for ind in scheme.indicators:
        gid = ind.group
        while gid:
            members[gid].append(ind.id)
            gid = parents.get(gid, "")
    return pd.DataFrame(
        {gid: points[cols].sum(axis=1, skipna=False) if cols else 0.0 for gid, cols in members.items()},
        index=points.index,
    )


class _Reasons:
    """The reason texts of a result, built when first asked for, column-wise per rule part.

    Deductions list every part that took points off (indicator by indicator, part by part,
    row by row); the guide gives each employee the GUIDE_SIZE indicators that lost the most
    points, with the same part texts joined and the score.
    """

    def __init__(self, scheme: Scheme, outcomes: dict[str, Outcome], ids: np.ndarray, keep: np.ndarray,
                 points_mat: np.ndarray, weights: np.ndarray, lang: str):
        self.scheme, self.outcomes, self.ids, self.keep = scheme, outcomes, ids, keep
        self.points_mat, self.weights, self.lang = points_mat, weights, lang
        self._parts: dict[str, list[tuple[np.ndarray, list[str]]]] = {}

    def rows_by_id(self) -> dict[str, int]:
        return {eid: int(r) for r, eid in zip(np.flatnonzero(self.keep), self.ids[self.keep])}

    def parts(self, ind: Indicator) -> list[tuple[np.ndarray, list[str]]]:
        """Per part of the indicator: the rows it took points off (scored rows only), their texts."""
        if ind.id not in self._parts:
            out = self.outcomes[ind.id]
            valid = self.keep & ~np.isnan(out.score)
            found = []
            for part in out.parts:
                rows = np.flatnonzero(valid & (np.asarray(part.amount, dtype=float) > 0))
                found.append((rows, part_reasons(ind, part, rows, self.lang, self.scheme)))
            self._parts[ind.id] = found
        return self._parts[ind.id]

    def deductions(self) -> pd.DataFrame:
        cols: dict[str, list] = {"employee_id": [], "indicator": [], "amount": [], "reason": [], "row": []}
        for ind in self.scheme.indicators:
            out = self.outcomes[ind.id]
            for part, (rows, texts) in zip(out.parts, self.parts(ind)):
                cols["employee_id"] += self.ids[rows].tolist()
                cols["indicator"] += [ind.id] * len(rows)
                cols["amount"] += np.asarray(part.amount, dtype=float)[rows].tolist()
                cols["reason"] += texts
                cols["row"] += rows.tolist()
        df = pd.DataFrame(cols) if cols["row"] else pd.DataFrame([], columns=list(cols))
        return df.astype({"employee_id": object, "indicator": object, "reason": object})

    def guide(self) -> pd.DataFrame:
        lang, inds = self.lang, self.scheme.indicators
        lost = self.weights[None, :] - self.points_mat
        lost = np.where(np.isnan(lost), -np.inf, lost)
        kept = np.flatnonzero(self.keep)
        order = np.argsort(-lost[kept], axis=1, kind="stable")[:, :GUIDE_SIZE]
        top = np.take_along_axis(lost[kept], order, axis=1)
        # sorted from the most lost down: once one is not above LOST_EPS, none after it is
        take = top > LOST_EPS
        rows = np.repeat(kept[:, None], order.shape[1], axis=1)[take]  # row-major: employee, then rank
        ranks = np.repeat(np.arange(1, order.shape[1] + 1)[None, :], len(kept), axis=0)[take]
        js = order[take]
        reasons = np.empty(len(rows), dtype=object)
        for j in np.unique(js):
            at = np.flatnonzero(js == j)
            reasons[at] = self._indicator_reasons(inds[j], rows[at])
        cols = {
            "employee_id": self.ids[rows].tolist(),
            "rank": ranks.tolist(),
            "indicator": [inds[j].id for j in js],
            "indicator_name": [inds[j].name(lang) for j in js],
            "lost": top[take].tolist(),
            "reason": reasons.tolist(),
            "advice": [inds[j].advice(lang) for j in js],
        }
        df = pd.DataFrame(cols) if len(rows) else pd.DataFrame([], columns=list(cols))
        return df.astype({"employee_id": object})

    def _indicator_reasons(self, ind: Indicator, rows: np.ndarray) -> list[str]:
        """:func:`indicator_reason` at each of ``rows`` (all scored), from the cached part texts."""
        per_row: list[list[str]] = [[] for _ in range(len(rows))]
        for part_rows, texts in self.parts(ind):
            if not len(part_rows):
                continue
            pos = np.minimum(np.searchsorted(part_rows, rows), len(part_rows) - 1)
            for k in np.flatnonzero(part_rows[pos] == rows):
                per_row[k].append(texts[pos[k]])
        out = self.outcomes[ind.id]
        zh = self.lang == "zh"
        score_text = _memo(lambda s: f"得分 {num(s, 1)}" if zh else f"score {num(s, 1)}")
        scores = out.score[rows].tolist()
        texts: list[str] = []
        for r, reasons, s in zip(rows.tolist(), per_row, scores):
            if reasons:
                texts.append("；".join(reasons) + "，" + score_text(s) if zh else "; ".join(reasons) + "; " + score_text(s))
            else:
                texts.append(indicator_reason(ind, out, r, self.lang, self.scheme, reasons=[]))
        return texts


class _Reporter:
    """Collects why indicators could not be computed: blank fields, zero denominators."""

    def __init__(self, ci: CleanInput, scheme: Scheme, lang: str):
        self.ci, self.scheme, self.lang = ci, scheme, lang
        self.rows: list[dict[str, Any]] = list(ci.problems)
        self.missing: dict[tuple[int, str], list[str]] = {}
        self.zero: dict[tuple[int, str], list[str]] = {}  # (row, column) -> indicator names
        self.zero_expr: dict[tuple[int, expr.Denominator], list[str]] = {}  # (row, expression) -> names
        self.needed_absent: set[str] = set()
        self.unexplained: list[tuple[int, Indicator]] = []

    def indicator_gaps(self, ind: Indicator, score: np.ndarray, zero_division) -> None:
        ci = self.ci
        nan = np.isnan(score) & ~ci.excluded
        required, optional = _columns_of(ind)
        self.needed_absent.update(c for c in required if c in ci.absent)
        if not nan.any():
            return
        explained = np.zeros(ci.n, dtype=bool)
        name = ind.name(self.lang)
        for mask, den in zero_division:
            hit = nan & mask
            for r in np.flatnonzero(hit):
                # each column that is 0 is named at its cell (both inventories 0); when the columns are
                # not 0 but the expression is ("sales_target - sales_target"), the expression is named
                cols = [den.column] if den.column else list(den.columns)
                if cols and all(ci.numbers.get(c, np.ones(ci.n))[r] == 0 for c in cols):
                    for col in cols:
                        self.zero.setdefault((int(r), col), []).append(name)
                else:
                    self.zero_expr.setdefault((int(r), den), []).append(name)
            explained |= hit
        for col in required + optional:
            explained |= nan & ci.invalid(col)  # already reported where it was typed
        for col in required:
            bad = nan & self._unusable(col)
            explained |= bad
            self._note_missing(col, nan & ci.blank.get(col, np.zeros(ci.n, bool)), name)
        by_optional = np.zeros(ci.n, dtype=bool)
        for col in optional:
            if col in ci.absent:
                continue
            bad = nan & ~explained & ci.blank[col]
            self._note_missing(col, bad, name)
            by_optional |= bad
        explained |= by_optional
        if set(required) & set(ci.absent):
            explained |= nan
        absent_optional = [c for c in optional if c in ci.absent]
        if absent_optional and (nan & ~explained).any():  # e.g. every rating column is missing
            self.needed_absent.update(absent_optional)
            explained |= nan
        for r in np.flatnonzero(nan & ~explained):
            self.unexplained.append((int(r), ind))

    def _unusable(self, col: str) -> np.ndarray:
        ci = self.ci
        if col in ci.numbers:
            return np.isnan(ci.numbers[col])
        return pd.isna(pd.Series(ci.texts[col], dtype=object)).to_numpy()

    def _note_missing(self, col: str, mask: np.ndarray, name: str) -> None:
        if col in self.ci.absent:
            return
        for r in np.flatnonzero(mask):
            self.missing.setdefault((int(r), col), []).append(name)

    def absent_columns(self) -> None:
        lang, ci = self.lang, self.ci
        for col in sorted(self.needed_absent, key=[f.id for f in self.scheme.inputs].index):
            self.rows.append(self._row("missing_column", None, col))
        sep = "、" if lang == "zh" else ", "
        for (r, col), names in sorted(self.missing.items()):
            self.rows.append(self._row("missing", r, col, detail=sep.join(dict.fromkeys(names))))
        for r, ind in self.unexplained:
            row = self._row("not_computable", r, ind.id, detail=ind.name(lang))
            row["indicator"] = ind.id
            self.rows.append(row)
        for (r, col), names in sorted(self.zero.items()):
            value = float(ci.numbers[col][r]) if col in ci.numbers else None
            self.rows.append(self._row("zero_division", r, col, value=value, detail=sep.join(dict.fromkeys(names))))
        for (r, den), names in sorted(self.zero_expr.items(), key=lambda item: (item[0][0], item[0][1].text)):
            row = self._row("zero_expression", r, den.columns[0] if den.columns else "", value=0.0,
                            detail=sep.join(dict.fromkeys(names)))
            row["problem"] = problems.render("zero_expression", lang, field=formula_words(den.text, self.scheme, lang),
                                             value="0", detail=sep.join(dict.fromkeys(names)))
            self.rows.append(row)

    def _row(self, code: str, r: int | None, col: str, value: Any = None, detail: str = "") -> dict[str, Any]:
        text = problems.render(code, self.lang, field=self.scheme.field_name(col, self.lang),
                               value=problems.show_value(value), detail=detail)
        return {"employee_id": None if r is None else self.ci.ids[r], "field": col, "problem": text,
                "severity": "error", "code": code, "value": value, "row": r, "indicator": None}


def _columns_of(ind: Indicator) -> tuple[list[str], list[str]]:
    """Columns an indicator reads: required ones, and optional ones (inside coalesce/mean)."""
    import ast

    required: list[str] = []
    optional: list[str] = []
    texts = [text for _, text in RULES[ind.rule].formulas(ind)]
    if ind.gate is not None:
        texts.append(ind.gate.metric)
    for text in texts:
        tree = expr.parse(text).tree
        soft: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("coalesce", "mean"):
                for arg in node.args:
                    soft.update(n.id for n in ast.walk(arg) if isinstance(n, ast.Name))
        for col in expr.parse(text).columns:
            (optional if col in soft else required).append(col)
    return list(dict.fromkeys(required)), [c for c in dict.fromkeys(optional) if c not in required]
