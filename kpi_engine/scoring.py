"""``score()``: raw metrics per employee in, scores, points, reasons and grades out.

All work is column-wise (numpy/pandas over every employee at once); Python loops run over
indicators and over the few rows that have a problem. Reason texts are built only when first
asked for (``result.deductions``, ``result.guide``, ``result.explain``), by the rules that
scored them (:mod:`kpi_engine.rules`), column-wise as well.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from . import expr, problems
from .final import Finishing, finishing_columns
from .gaps import Gaps
from .grading import grade_totals
from .i18n import lang_of
from .inputs import CleanInput, clean, normalize_id
from .model import Indicator, Scheme
from .periods import DEFAULT_PERIOD, Period, parse_period
from .plan import Plan, plan_for
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
    # the problem rows, worked out on first access (why a score is NaN is not needed to score)
    _problem_rows: Callable[[], list[dict[str, Any]]] | None = field(default=None, repr=False)
    # each flag's mask over the result's rows; the per-employee lists are made on first access
    _flag_masks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def flags(self) -> pd.Series:
        """Per employee, the ids of the flags that hold (a list, in scheme order; empty when none)."""
        if "flags" not in self._built:
            self._built["flags"] = _flags(self._flag_masks, self.total.index)
        return self._built["flags"]

    @property
    def problems(self) -> pd.DataFrame:
        """One row per data problem: employee_id, field, problem (the text), severity, code, value,
        row, indicator (:mod:`kpi_engine.problems`)."""
        if "problems" not in self._built:
            self._built["problems"] = problems.frame(self._problem_rows() if self._problem_rows else [])
        return self._built["problems"]

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

    def measures(self, employee_ids: Any = None, lang: str | None = None) -> pd.DataFrame:
        """Per employee (all, or ``employee_ids`` in that order) and indicator, in scheme order, what a
        scorecard shows: the ``actual`` value and its ``target`` as texts in the indicator's unit
        (each rule type words its own), and the ``reason`` for its score in numbers (the reasons of
        its deductions, else the rule's explanation, as :meth:`explain` words them without the score)."""
        if not self._rows and self._reasons is not None:
            self._rows = self._reasons.rows_by_id()
        lang = lang or self.lang
        ids = list(self.total.index) if employee_ids is None else [normalize_id(e) for e in employee_ids]
        rows = np.array([self._rows[e] for e in ids], dtype=np.intp)
        cols: dict[str, list] = {"employee_id": [], "indicator": [], "actual": [], "target": [], "reason": []}
        for ind in self.scheme.indicators:
            outcome = self._outcomes[ind.id]
            actual, target = RULES[ind.rule].measures(ind, outcome, rows, lang, self.scheme)
            found = self._reasons.parts(ind) if lang == self.lang else None
            cols["employee_id"] += ids
            cols["indicator"] += [ind.id] * len(ids)
            cols["actual"] += actual
            cols["target"] += target
            cols["reason"] += indicator_reasons(ind, outcome, rows, lang, self.scheme, found, with_score=False)
        return pd.DataFrame(cols)

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
    plan, per, lang = plan_for(scheme), parse_period(period), lang_of(lang)
    with _collector_paused():
        ci = clean(inputs, plan.scheme, lang)
        with np.errstate(all="ignore"):
            evaluated = _evaluate(plan, ci, per)
            return _result(plan, per, lang, ci, evaluated)


def problem_rows(
    inputs: pd.DataFrame,
    scheme: Scheme | None = None,
    period: str | Period | None = DEFAULT_PERIOD,
    lang: str = "zh",
) -> list[dict[str, Any]]:
    """The rows of ``score(inputs, scheme, period, lang).problems`` (same order, same texts), as
    dicts, without building the result's frames: what a cell function answers for a row it cannot
    total (:func:`kpi_engine.one_row.row_problems`)."""
    scheme = scheme or _default()
    plan, lang = plan_for(scheme), lang_of(lang)
    ci = clean(inputs, scheme, lang)
    with np.errstate(all="ignore"):
        return _problem_rows(plan, ci, lang, _evaluate(plan, ci, parse_period(period)))


def _problem_rows(plan: Plan, ci: CleanInput, lang: str, evaluated: _Evaluated) -> list[dict[str, Any]]:
    """The input's problems, then why each NaN score is NaN (:class:`~kpi_engine.gaps.Gaps`, fed the
    scores indicator by indicator and block by block, as they were evaluated)."""
    gaps = Gaps(ci, plan.scheme, lang, plan)
    # a vast but finite metric (a denominator typed as 1E-300) may overflow to ±inf in the rules'
    # arithmetic; rules floor or reject it, so numpy's warnings are noise for the user
    with np.errstate(all="ignore"):
        for lo, hi in _blocks(ci.n):
            for j, ind in enumerate(plan.indicators):
                score = np.where(evaluated.not_scored[j, lo:hi], np.nan, 0.0)
                gaps.indicator_gaps(ind, score, evaluated.zero_division.get((j, lo), []), lo)
        gaps.absent_columns()
    return gaps.rows


BLOCK_ROWS = 16_000  # rows scored at a time: each temporary column (125 KB) stays in the processor's cache


@dataclass
class _Evaluated:
    """Scores (NaN where not scored) and main metrics per indicator and row (one contiguous row per
    indicator: pandas' own layout of a float frame, so the frames need no copy), flag masks per flag."""

    scores: np.ndarray
    metrics: np.ndarray
    flags: list[np.ndarray]
    zero_division: dict[tuple[int, int], list]  # (indicator, first row of the block) -> its Env.zero_division
    not_scored: np.ndarray  # where scores is NaN, kept apart from the result frames (which share scores)


def _env(ci: CleanInput, plan: Plan, per: Period, lo: int, hi: int) -> expr.Env:
    """The formulas' view of rows ``lo`` … ``hi`` of the clean input."""
    whole = lo == 0 and hi == ci.n
    numbers = ci.numbers if whole else {c: v[lo:hi] for c, v in ci.numbers.items()}
    texts = ci.texts if whole else {c: v[lo:hi] for c, v in ci.texts.items()}
    codes = ci.codes if whole else {c: (k[lo:hi], d) for c, (k, d) in ci.codes.items()}
    return expr.Env(n=hi - lo, numbers=numbers, texts=texts, lookups=plan.scheme.lookups, months=per.months,
                    codes=codes)


def _blocks(n: int) -> list[tuple[int, int]]:
    return [(lo, min(n, lo + BLOCK_ROWS)) for lo in range(0, n, BLOCK_ROWS)] or [(0, 0)]


def _evaluate(plan: Plan, ci: CleanInput, per: Period) -> _Evaluated:
    """Every indicator and flag over every row, a block of rows at a time: the rules' arithmetic
    runs on columns short enough to stay in the cache, and only scores and metrics are kept (the
    rest of each outcome, which only reason texts need, is made again when they are asked for)."""
    n, k = ci.n, len(plan.ids)
    scores, metrics = np.empty((k, n)), np.empty((k, n))
    flags = [np.empty(n, dtype=bool) for _ in plan.scheme.flags]
    zero_division: dict[tuple[int, int], list] = {}
    for lo, hi in _blocks(n):
        env = _env(ci, plan, per, lo, hi)
        for j, ind in enumerate(plan.indicators):
            out = _score_indicator(ind, env, ci, plan, lo, hi)
            if env.zero_division:
                zero_division[(j, lo)] = env.zero_division
            scores[j, lo:hi] = out.score
            metrics[j, lo:hi] = out.metric
        for flag, mask in zip(plan.scheme.flags, flags):
            env.zero_division = []
            hit = np.broadcast_to(np.asarray(expr.compiled(flag.when).run(env), dtype=bool), (hi - lo,))
            mask[lo:hi] = hit & ~ci.excluded[lo:hi]
    return _Evaluated(scores, metrics, flags, zero_division, np.isnan(scores))


class _Outcomes(Mapping):
    """Each indicator's full outcome (parts and the numbers of their reasons), made on first use
    from the clean input, with the scores already computed."""

    def __init__(self, plan: Plan, ci: CleanInput, per: Period, scores: np.ndarray):
        self.plan, self.ci, self.per, self.scores = plan, ci, per, scores
        self.made: dict[str, Outcome] = {}

    def __getitem__(self, key: str) -> Outcome:
        if not self.made:
            env = _env(self.ci, self.plan, self.per, 0, self.ci.n)
            with np.errstate(all="ignore"):
                for j, ind in enumerate(self.plan.indicators):
                    env.zero_division = []
                    out = GATE.apply(ind, env, RULES[ind.rule].apply(ind, env))
                    out.score = self.scores[j]
                    self.made[ind.id] = out
        return self.made[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.plan.ids)

    def __len__(self) -> int:
        return len(self.plan.ids)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Scoring makes many small objects that hold no cycles (a problem row per blank cell, a flag
    list per employee): the cyclic garbage collector, which would scan every live object again
    and again while they are made (a third of the time at 100,000 rows), waits until the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _score_indicator(ind: Indicator, env: expr.Env, ci: CleanInput, plan: Plan, lo: int, hi: int) -> Outcome:
    """One indicator's outcome for rows ``lo`` … ``hi``: NaN where a row is not scored, or not on this data."""
    env.zero_division = []
    out = GATE.apply(ind, env, RULES[ind.rule].apply(ind, env))
    # a rejected value is never averaged away or replaced by a default: not scored on it
    # a blank input the indicator needs leaves it uncomputed, even behind a failing gate
    required, optional = plan.columns[ind.id]
    rejected = ci.excluded[lo:hi].copy() if ci.excluded.any() else None
    masks = [ci.invalid_or_none(col) for col in required + optional]
    if any(col in ci.absent for col in required):
        rejected = np.ones(hi - lo, dtype=bool)
    else:
        masks += [ci.blank_or_none(col) for col in required]
    for mask in masks:
        if mask is not None:
            rejected = mask[lo:hi].copy() if rejected is None else rejected | mask[lo:hi]
    if rejected is not None:
        out.score = np.where(rejected, np.nan, out.score)
    return out


def _result(plan: Plan, per: Period, lang: str, ci: CleanInput, evaluated: _Evaluated) -> ScoreResult:
    """The result frames, one row per kept employee, indicators in scheme order."""
    scheme, ind_ids = plan.scheme, list(plan.ids)
    score_mat = evaluated.scores  # (indicator, row)
    keep = _keep_rows(ci)
    every = bool(keep.all())
    index = pd.Index(ci.ids if every else ci.ids[keep], name="employee_id", dtype=object, copy=False)
    weights = plan.weights
    points_mat = np.multiply(score_mat, weights[:, None])  # (score × weight) / 100, in one new array
    np.divide(points_mat, 100.0, out=points_mat)
    kept_scores = score_mat if every else score_mat[:, keep]
    kept_points = points_mat if every else points_mat[:, keep]
    kept_metrics = evaluated.metrics if every else evaluated.metrics[:, keep]

    def frame(mat: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(mat.T, index=index, columns=ind_ids, copy=False)

    points = frame(kept_points)
    total = pd.Series(_row_sum(kept_points), index=index, name="total", copy=False)
    outcomes = _Outcomes(plan, ci, per, score_mat)
    return ScoreResult(
        points=points, scores=frame(kept_scores), total=total, grade=grade_totals(total, scheme),
        _flag_masks={f.id: _kept(mask, keep, every) for f, mask in zip(scheme.flags, evaluated.flags)},
        groups=_group_points(plan, points, kept_points), metrics=frame(kept_metrics), scheme=scheme, period=per,
        lang=lang, _outcomes=outcomes, _reasons=Reasons(scheme, outcomes, ci.ids, keep, points_mat.T, weights, lang),
        _inputs=pd.DataFrame({c: _kept(ci.numbers[c] if c in ci.numbers else ci.texts[c], keep, every)
                              for c in finishing_columns(scheme) if c in ci.numbers or c in ci.texts}, index=index),
        _problem_rows=lambda: _problem_rows(plan, ci, lang, evaluated),
    )


def _kept(column: np.ndarray, keep: np.ndarray, every: bool) -> np.ndarray:
    """``column``'s kept rows (the column itself when every row is kept)."""
    return column if every else column[keep]


def _keep_rows(ci: CleanInput) -> np.ndarray:
    """Rows that appear in the results: a non-blank id, first occurrence."""
    if not ci.excluded.any():  # every id is there, once
        return np.ones(ci.n, dtype=bool)
    ids = pd.Series(ci.ids, dtype=object)
    return (ids.notna() & ~ids.duplicated(keep="first")).to_numpy()


def _row_sum(mat: np.ndarray) -> np.ndarray:
    """Per row, the sum over indicators (``mat`` is indicator × row) in scheme order: a row's total
    never depends on which other rows are in the frame; rounded to 10 decimals so that
    59.99999999999999 is 60."""
    total = np.zeros(mat.shape[1])
    for j in range(mat.shape[0]):
        total += mat[j]
    return np.round(total, 10)


def _flags(masks: dict[str, np.ndarray], index: pd.Index) -> pd.Series:
    hits = list(masks.items())
    # each row's set of flags as a bit code; one list is built per row from its code's tuple
    code = np.zeros(len(index), dtype=np.int64)
    for bit, (_, mask) in enumerate(hits):
        code |= mask.astype(np.int64) << bit
    combos = {c: tuple(fid for bit, (fid, _) in enumerate(hits) if c >> bit & 1) for c in np.unique(code).tolist()}
    # a fresh list per row (no row shares a list with another)
    lists = [[] for _ in range(len(code))]
    for c, combo in combos.items():
        if combo:
            for r in np.flatnonzero(code == c).tolist():
                lists[r] = list(combo)
    return pd.Series(lists, index=index, name="flags", dtype=object)


def conditions(inputs: pd.DataFrame, scheme: Scheme, formulas: dict[str, str], period: str | Period | None = DEFAULT_PERIOD,
               lang: str = "zh") -> pd.DataFrame:
    """Whether each condition (a formula over the inputs, as a flag's ``when``; its columns must be
    the scheme's) holds for each employee of ``inputs``: booleans indexed by employee_id, a column
    per key of ``formulas``; False where it does not hold, where the row's data cannot tell, or
    where the row is excluded (as a flag)."""
    per, ci = parse_period(period), clean(inputs, scheme, lang_of(lang))
    env, keep = _env(ci, plan_for(scheme), per, 0, ci.n), _keep_rows(ci)
    index = pd.Index(ci.ids[keep], name="employee_id", dtype=object)
    out = {}
    with np.errstate(all="ignore"):
        for key, text in formulas.items():
            env.zero_division = []
            held = np.broadcast_to(np.asarray(expr.compiled(text).run(env), dtype=bool), (ci.n,)) & ~ci.excluded
            out[key] = held[keep]
    return pd.DataFrame(out, index=index)


def _group_points(plan: Plan, points: pd.DataFrame, mat: np.ndarray) -> pd.DataFrame:
    """Points per group (sub-groups included in their parents); NaN where incomplete. Summed left
    to right over the group's indicators in scheme order (``mat`` is indicator × row), as pandas'
    ``sum(axis=1)`` does."""
    position = {i: j for j, i in enumerate(plan.ids)}
    out = np.zeros((len(plan.groups), mat.shape[1]))
    for g, cols in enumerate(plan.groups.values()):
        if cols:
            out[g] = mat[position[cols[0]]]
            for c in cols[1:]:
                out[g] += mat[position[c]]
    return pd.DataFrame(out.T, index=points.index, columns=list(plan.groups), copy=False)


