"""``score()``: raw metrics per employee in, scores, points, reasons and grades out.

All work is column-wise (numpy/pandas over every employee at once); Python loops run over
indicators and over the few rows that have a problem. Reason texts are built only when first
asked for (``result.deductions``, ``result.guide``, ``result.explain``), by the rules that
scored them (:mod:`kpi_engine.rules`), column-wise as well.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from . import expr, problems
from .explain import formula_words
from .final import Finishing, finishing_columns
from .grading import grade_totals
from .i18n import lang_of, tr
from .inputs import CleanInput, clean, normalize_id
from .model import Indicator, Scheme
from .periods import DEFAULT_PERIOD, Period, parse_period
from .reasons import Reasons, indicator_reasons
from .rules import GATE, RULES, Outcome
from .scheme import default_scheme


@dataclass
class ScoreResult(Finishing):
    """Everything ``score`` computes; frames are indexed by employee_id (text). What follows the
    scores (HR's adjustments, calibration limits, pay) is :class:`~kpi_engine.final.Finishing`'s:
    ``result.final`` and ``result.calibrate(adjustments)``."""

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
    _reasons: Reasons | None = field(default=None, repr=False)
    _built: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _inputs: pd.DataFrame | None = field(default=None, repr=False)  # the columns the finishing step reads
    _adjustments: pd.DataFrame | None = field(default=None, repr=False)  # HR's rows, as given to calibrate()

    @property
    def deductions(self) -> pd.DataFrame:
        """One row per part that took points off: employee_id, indicator, amount (nominal points), reason,
        row, lost (the weighted points it cost: what the reason says and the total lost)."""
        if "deductions" not in self._built:
            self._built["deductions"] = self._reasons.deductions()
        return self._built["deductions"]

    @property
    def guide(self) -> pd.DataFrame:
        """Per employee, the indicators that lost the most points, with reason and advice."""
        if "guide" not in self._built:
            self._built["guide"] = self._reasons.guide()
        return self._built["guide"]

    def explain(self, employee_id: Any, indicator: str, lang: str | None = None) -> str:
        """The reason, in numbers, for one employee's score on one indicator (in ``lang``, else the
        result's language): the same line the guide gives, built for this one row."""
        if not self._rows and self._reasons is not None:
            self._rows = self._reasons.rows_by_id()
        row = self._rows[normalize_id(employee_id)]
        ind = self.scheme.indicator(indicator)
        return indicator_reasons(ind, self._outcomes[indicator], np.array([row]), lang or self.lang, self.scheme)[0]

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
    period: str | Period | None = DEFAULT_PERIOD,
    lang: str = "zh",
) -> ScoreResult:
    """Score every employee of ``inputs`` (columns as spec §2) under ``scheme``.

    Never raises on bad data in a row: problems are reported in ``result.problems`` and
    the other rows are scored. Raises :class:`kpi_engine.InputError` only when the input
    as a whole is unusable, and :class:`kpi_engine.PeriodError` for a bad period.
    """
    scheme = scheme or _default()
    per = parse_period(period)
    lang = lang_of(lang)
    ci = clean(inputs, scheme, lang)
    env = expr.Env(n=ci.n, numbers=ci.numbers, texts=ci.texts, lookups=scheme.lookups, months=per.months)
    reporter = _Reporter(ci, scheme, lang)
    outcomes = {ind.id: _score_indicator(ind, env, ci, reporter) for ind in scheme.indicators}
    reporter.absent_columns()
    return _result(scheme, per, lang, ci, env, outcomes, reporter)


def _score_indicator(ind: Indicator, env: expr.Env, ci: CleanInput, reporter: _Reporter) -> Outcome:
    """One indicator's outcome for every row: NaN where a row is not scored, or not on this data."""
    env.zero_division = []
    # a vast but finite metric (a denominator typed as 1E-300) may overflow to ±inf in the rule's
    # arithmetic; rules floor or reject it, so numpy's warning is noise for the user
    with np.errstate(over="ignore", invalid="ignore"):
        out = GATE.apply(ind, env, RULES[ind.rule].apply(ind, env))
    # a rejected value is never averaged away or replaced by a default: not scored on it
    # a blank input the indicator needs leaves it uncomputed, even behind a failing gate
    required, optional = _columns_of(ind)
    rejected = np.zeros(ci.n, dtype=bool)
    for col in required + optional:
        rejected |= ci.invalid(col)
    for col in required:
        if col not in ci.absent:
            rejected |= ci.blank[col]
        else:
            rejected[:] = True
    out.score = np.where(ci.excluded | rejected, np.nan, out.score)
    reporter.indicator_gaps(ind, out.score, env.zero_division)
    return out


def _result(scheme: Scheme, per: Period, lang: str, ci: CleanInput, env: expr.Env, outcomes: dict[str, Outcome],
            reporter: _Reporter) -> ScoreResult:
    """The result frames, one row per kept employee, indicators in scheme order."""
    ind_ids = [ind.id for ind in scheme.indicators]
    score_mat = np.column_stack([outcomes[i].score for i in ind_ids]) if ind_ids else np.full((ci.n, 0), np.nan)
    keep = _keep_rows(ci)
    index = pd.Index(ci.ids[keep], name="employee_id", dtype=object)
    weights = np.array([scheme.effective_weight[i] for i in ind_ids])
    points_mat = score_mat * weights / 100.0
    scores = pd.DataFrame(score_mat[keep], index=index, columns=ind_ids)
    points = pd.DataFrame(points_mat[keep], index=index, columns=ind_ids)
    total = pd.Series(_row_sum(points_mat[keep]), index=index, name="total")
    return ScoreResult(
        points=points, scores=scores, total=total, grade=grade_totals(total, scheme), flags=_flags(scheme, env, ci, keep, index),
        problems=problems.frame(reporter.rows), groups=_group_points(scheme, points),
        metrics=pd.DataFrame({i: outcomes[i].metric[keep] for i in ind_ids}, index=index), scheme=scheme, period=per,
        lang=lang, _outcomes=outcomes, _reasons=Reasons(scheme, outcomes, ci.ids, keep, points_mat, weights, lang),
        _inputs=pd.DataFrame({c: (ci.numbers.get(c) if c in ci.numbers else ci.texts[c])[keep]
                              for c in finishing_columns(scheme) if c in ci.numbers or c in ci.texts}, index=index),
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
                if cols and all(c in ci.numbers and ci.numbers[c][r] == 0 for c in cols):
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
        sep = tr("words.list_separator", lang)
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
    """Columns an indicator reads (its rule's formulas and its gate's): required ones, and optional
    ones (inside coalesce/mean)."""
    required: list[str] = []
    optional: list[str] = []
    texts = [text for _, text in (*RULES[ind.rule].formulas(ind), *GATE.formulas(ind))]
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
