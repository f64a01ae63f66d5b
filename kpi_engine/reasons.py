"""Reasons in numbers for a result: the deductions table, the improvement guide, and the line
that explains one indicator's score for one employee.

The words are the rules' own (:mod:`kpi_engine.rules`: each part's reason is worded by the rule
or the gate that made it, each score without deductions by its rule); this module gathers them
per row, column-wise: every text is built for all the rows that need it at once, and one row
(``ScoreResult.explain``) is the case of a list of one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .explain import column_texts, num
from .i18n import fill, lang_of, template, tr
from .model import Indicator, Scheme
from .rules import RULES, Outcome, Part, score_texts, weight_factor

GUIDE_SIZE = 3  # indicators per employee in the guide
LOST_EPS = 1e-9  # points lost below this are no loss


def weigh_parts(ind: Indicator, outcome: Outcome, scheme: Scheme) -> None:
    """Set each part's ``lost``: the weighted points it cost, so that the parts of a row add up to
    the points the indicator lost there (effective weight − points). A part's nominal amount is
    scaled by :func:`~kpi_engine.rules.weight_factor`; where the parts together take more than the
    weight off an indicator that is floored at 0, each keeps its share of the weight."""
    if not outcome.parts or all(part.lost is not None for part in outcome.parts):
        return
    f, w = weight_factor(ind, scheme), float(ind.weight)
    amounts = [np.asarray(part.amount, dtype=float) for part in outcome.parts]
    total = np.sum(amounts, axis=0)
    scale = np.full(total.shape, f)
    if not ind.penalty:
        over = total > w
        scale[over] = f * w / total[over]
    for part, amount in zip(outcome.parts, amounts):
        part.lost = amount * scale


def scaled_note(ind: Indicator, scheme: Scheme, lang: str) -> str:
    """"（满分 15 分按比例折算为 6.67）" when the indicator's group scaled its weight, else ""."""
    effective = scheme.effective_weight.get(ind.id, float(ind.weight))
    if abs(effective - float(ind.weight)) < 1e-9:
        return ""
    return tr("reason.scaled", lang, weight=num(float(ind.weight)), effective=num(effective))


def part_reasons(ind: Indicator, part: Part, rows: np.ndarray, lang: Any, scheme: Scheme) -> list[str]:
    """The reason for the points ``part`` took off at each of ``rows``, worded by its source."""
    return part.source.part_reasons(ind, part, np.asarray(rows, dtype=np.intp), lang_of(lang), scheme)


def deduction_texts(ind: Indicator, outcome: Outcome, rows: np.ndarray, lang: Any,
                    scheme: Scheme) -> list[tuple[np.ndarray, list[str]]]:
    """Per part of ``outcome``: the rows among ``rows`` (ascending) where it took points off
    and the indicator has a score, and the reason at each of them."""
    rows = np.asarray(rows, dtype=np.intp)
    scored = rows[~np.isnan(outcome.score[rows])]
    weigh_parts(ind, outcome, scheme)
    found = []
    for part in outcome.parts:
        hit = scored[np.asarray(part.amount, dtype=float)[scored] > 0]
        found.append((hit, part_reasons(ind, part, hit, lang, scheme)))
    return found


def indicator_reasons(ind: Indicator, outcome: Outcome, rows: np.ndarray, lang: Any, scheme: Scheme,
                      found: list[tuple[np.ndarray, list[str]]] | None = None, *, with_score: bool = True) -> list[str]:
    """One line per row of ``rows`` that explains the indicator's score there: "incomplete" where
    it has none, else every deduction's reason and the score (the reasons alone without
    ``with_score``), else the rule's explanation. ``found``: :func:`deduction_texts` over rows that
    include these, when the caller has them."""
    lang = lang_of(lang)
    rows = np.asarray(rows, dtype=np.intp)
    if found is None:
        found = deduction_texts(ind, outcome, np.unique(rows), lang, scheme)
    joined, deducted = _joined(found, rows, template("reason.separator", lang))
    scores = outcome.score[rows]
    out = np.empty(len(rows), dtype=object)
    incomplete = np.isnan(scores)
    deducted &= ~incomplete
    plain = ~incomplete & ~deducted
    note = scaled_note(ind, scheme, lang)
    if incomplete.any():
        out[incomplete] = tr("reason.incomplete", lang)
    if deducted.any() and not with_score:  # a scorecard: the reasons alone, its score is beside them
        out[deducted] = joined[deducted]
    elif deducted.any():
        score = score_texts(scores[deducted], lang)
        over = tr("reason.over_weight", lang)
        score = [s + over if v < 0 else s for s, v in zip(score, scores[deducted].tolist())]
        out[deducted] = fill(template("reason.deducted", lang), reasons=joined[deducted].tolist(), scaled=note,
                             score=score)
    if plain.any():
        lines = RULES[ind.rule].explanations(ind, outcome, rows[plain], lang, scheme)
        effective = scheme.effective_weight.get(ind.id, float(ind.weight))
        lost = effective * (100.0 - scores[plain]) / 100.0
        short = lost > LOST_EPS
        if short.any():
            lines = np.asarray(lines, dtype=object)
            lines[short] = fill(template("reason.short", lang), line=lines[short].tolist(), scaled=note,
                                lost=column_texts(num, lost[short]))
        out[plain] = list(lines)
    return out.tolist()


def _joined(found: list[tuple[np.ndarray, list[str]]], rows: np.ndarray, sep: str) -> tuple[np.ndarray, np.ndarray]:
    """(texts, mask): at each of ``rows`` the reasons of the parts that took points off there,
    in part order, joined with ``sep``; and where there is at least one."""
    joined = np.empty(len(rows), dtype=object)
    count = np.zeros(len(rows), dtype=np.intp)
    columns = []
    for part_rows, part_texts in found:
        if not len(part_rows):
            continue
        pos = np.minimum(np.searchsorted(part_rows, rows), len(part_rows) - 1)
        hit = part_rows[pos] == rows
        column = np.empty(len(rows), dtype=object)
        column[hit] = np.asarray(part_texts, dtype=object)[pos[hit]]
        columns.append((hit, column))
        count += hit
    for hit, column in columns:  # most rows lose points to one part only: its text as it is
        alone = hit & (count == 1)
        joined[alone] = column[alone]
    for k in np.flatnonzero(count > 1).tolist():
        joined[k] = sep.join(column[k] for hit, column in columns if hit[k])
    return joined, count > 0


class Reasons:
    """The reason texts of a result, built when first asked for, column-wise per rule part (the
    part texts of each indicator are built once and shared by the deductions and the guide).

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
            self._parts[ind.id] = deduction_texts(ind, self.outcomes[ind.id], np.flatnonzero(self.keep), self.lang,
                                                  self.scheme)
        return self._parts[ind.id]

    def deductions(self) -> pd.DataFrame:
        cols: dict[str, list] = {"employee_id": [], "indicator": [], "amount": [], "reason": [], "row": [], "lost": []}
        for ind in self.scheme.indicators:
            out = self.outcomes[ind.id]
            note = scaled_note(ind, self.scheme, self.lang)
            for part, (rows, texts) in zip(out.parts, self.parts(ind)):
                cols["employee_id"] += self.ids[rows].tolist()
                cols["indicator"] += [ind.id] * len(rows)
                cols["amount"] += np.asarray(part.amount, dtype=float)[rows].tolist()
                cols["reason"] += [text + note for text in texts] if note else texts
                cols["row"] += rows.tolist()
                cols["lost"] += part.lost[rows].tolist()
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
            ind = inds[j]
            reasons[at] = indicator_reasons(ind, self.outcomes[ind.id], rows[at], lang, self.scheme, self.parts(ind))
        names, advice = [ind.name(lang) for ind in inds], [ind.advice(lang) for ind in inds]
        js_list = js.tolist()
        cols = {
            "employee_id": self.ids[rows].tolist(),
            "rank": ranks.tolist(),
            "indicator": [inds[j].id for j in js_list],
            "indicator_name": [names[j] for j in js_list],
            "lost": top[take].tolist(),
            "reason": reasons.tolist(),
            "advice": [advice[j] for j in js_list],
        }
        df = pd.DataFrame(cols) if len(rows) else pd.DataFrame([], columns=list(cols))
        return df.astype({"employee_id": object})
