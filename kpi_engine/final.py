"""What follows the scores, on :class:`~kpi_engine.ScoreResult`: the final total, grade and pay.

``score`` computes the scores; this is the finishing step, in the order the help sheet states:

    computed total → + HR's adjustment = final total → grade of the final total
    → HR's final_grade override, if given → coefficient → pay (base × coefficient, pools)

``result.final`` is always there: without HR's rows (``result.calibrate(frame)`` gives them) the
final total is the total and the final grade is the grade. It is a frame indexed by employee_id
with the columns :data:`FINAL_COLUMNS`; ``result.final_total``, ``result.final_grade`` and
``result.pay`` are its columns as Series. The rest is here too, each a frame: the changes that
applied (``adjustments``), the problems of HR's rows and the breaches and pool overruns
(``final_problems``), the grade distribution against the limits (``distribution``), the pools
(``pay_pools``) and ``proposal()``, the grades the limits would allow by rank.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import calibration as cal
from .grading import grade_totals
from .i18n import tr
from .model import Calibration, Scheme
from .pay import POOL_COLUMNS, pay_lines
from .problems import COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

FINAL_COLUMNS = ["total", "adjustment", "final_total", "grade", "final_grade", "changed_by", "coefficient", "pay"]


def finishing_columns(scheme: Scheme) -> list[str]:
    """The input columns the finishing step reads (kept by ``score`` for it): team, the pay base."""
    return ["team"] + ([scheme.pay.base] if scheme.pay is not None else [])


@dataclass
class Finished:
    final: pd.DataFrame
    adjustments: pd.DataFrame
    problems: pd.DataFrame
    natural: pd.Series  # the grade of the final total, before any override
    base: pd.Series  # the pay base: HR's rows' where they give one, else the inputs'
    scope: pd.Series
    distribution: pd.DataFrame
    pools: pd.DataFrame


class Finishing:
    """The finishing step of a :class:`~kpi_engine.ScoreResult` (a mixin: it reads the result's
    ``total``, ``grade``, ``scheme``, ``lang`` and the input columns ``score`` kept for it)."""

    total: pd.Series
    grade: pd.Series
    scheme: Scheme
    lang: str
    _built: dict[str, Any]
    _inputs: pd.DataFrame | None
    _adjustments: pd.DataFrame | None

    def calibrate(self, adjustments: pd.DataFrame | None) -> Self:
        """This result with HR's rows applied (a new result; the computed scores are shared).

        ``adjustments``: one row per change, columns ``employee_id``, ``adjustment`` (points, + or
        −), ``final_grade`` (an override), ``reason`` (required), ``approver``; values as typed (text
        is read like any number typed as text). A row's position is its ``row`` in the problems."""
        kept = {k: v for k, v in self._built.items() if not k.startswith("final")}
        return dataclasses.replace(self, _adjustments=adjustments, _built=kept)  # type: ignore[type-var]

    # -- the frames ------------------------------------------------------------------
    @property
    def final(self) -> pd.DataFrame:
        """total, adjustment, final_total, grade, final_grade, changed_by, coefficient, pay by employee_id."""
        return self._finish().final

    @property
    def final_total(self) -> pd.Series:
        return self.final["final_total"]

    @property
    def final_grade(self) -> pd.Series:
        return self.final["final_grade"]

    @property
    def pay(self) -> pd.Series:
        """Performance pay in yuan (NaN: no base, no coefficient, or pay switched off)."""
        return self.final["pay"]

    @property
    def pay_base(self) -> pd.Series:
        """The base the coefficient multiplies (NaN: blank or rejected): from HR's rows (the 校准
        sheet) where they give one, else from the inputs given to ``score``."""
        return self._finish().base

    @property
    def final_band(self) -> pd.Series:
        """The grade of each final total, before HR's override (what an override replaces)."""
        return self._finish().natural

    @property
    def adjustments(self) -> pd.DataFrame:
        """HR's rows that applied: adjustment, final_grade, reason, approver, pay_base, row by employee_id
        (a row that gives only a base has neither adjustment nor final grade)."""
        return self._finish().adjustments

    @property
    def final_problems(self) -> pd.DataFrame:
        """HR's rows that were not applied (errors) or lack an approver (warnings), then every breach
        of a limit and every pool overrun (warnings, without a row), as one problems table."""
        return self._finish().problems

    @property
    def distribution(self) -> pd.DataFrame:
        """The final grades of each scope against each limit (:func:`kpi_engine.calibration.distribution`);
        empty when calibration is off."""
        return self._finish().distribution

    @property
    def pay_pools(self) -> pd.DataFrame:
        """One row per team with pay lines or a pool (:data:`kpi_engine.pay.POOL_COLUMNS`)."""
        return self._finish().pools

    @property
    def scope(self) -> pd.Series:
        """Where each person's calibration limits apply (team, pooled small teams, or everyone)."""
        return self._finish().scope

    def proposal(self) -> pd.Series:
        """The grade the limits would allow each person by rank in their scope (see
        :func:`kpi_engine.calibration.propose`); the final grade's band when calibration is off."""
        if "final:proposal" not in self._built:
            done = self._finish()
            self._built["final:proposal"] = cal.propose(done.final["final_total"], done.scope, self.scheme, done.natural)
        return self._built["final:proposal"]

    # -- building them once ---------------------------------------------------------------
    def _column(self, name: str, kind: type) -> pd.Series:
        if self._inputs is not None and name in self._inputs:
            return self._inputs[name]
        return pd.Series(np.nan if kind is float else None, index=self.total.index, dtype=kind)

    def _finish(self) -> Finished:
        if "final" not in self._built:
            self._built["final"] = self._build_final()
        return self._built["final"]

    def _build_final(self) -> Finished:
        scheme, lang, index = self.scheme, self.lang, self.total.index
        applied, problems = cal.read_adjustments(self._adjustments, index, scheme, lang)
        applied = applied[applied.index.isin(index)]
        adjustment = applied["adjustment"].reindex(index)
        final_total = pd.Series(np.round(self.total + adjustment.fillna(0.0), 10), index=index, name="final_total")
        unscored = applied.index[applied["adjustment"].notna() & self.total.reindex(applied.index).isna()]
        notes = [{"employee_id": e, "field": "adjustment", "problem": tr("calibration.incomplete", lang),
                  "severity": "warning", "code": "adjustment_on_incomplete", "value": applied.at[e, "adjustment"],
                  "row": applied.at[e, "row"], "indicator": None} for e in unscored]
        applied.loc[unscored, "adjustment"] = np.nan  # reported above: not applied
        natural = grade_totals(final_total, scheme)
        override = applied["final_grade"].reindex(index)
        final_grade = natural.where(override.isna(), override).rename("final_grade")
        who = applied["approver"].fillna(tr("calibration.no_approver_word", lang))
        changed = applied["adjustment"].notna() | applied["final_grade"].notna()
        changed_by = who[changed].reindex(index)
        calib = scheme.calibration or Calibration(enabled=False)
        team = self._column("team", object)
        scope = cal.scopes(team, final_grade.notna(), calib, lang)
        dist = cal.distribution(final_grade, scope, calib, lang) if calib.active else \
            pd.DataFrame(columns=["scope", "headcount", "grades", "max_share", "allowed", "actual", "over", "binding",
                                  "problem"])
        base = applied["pay_base"].reindex(index)
        base = base.where(base.notna(), self._column(scheme.pay.base if scheme.pay is not None else "", float))
        if scheme.pay is not None and scheme.pay.enabled:
            lines, pools = pay_lines(final_grade, base, team, scheme.pay, lang)
        else:
            lines = pd.DataFrame({"coefficient": np.nan, "pay": np.nan}, index=index)
            pools = pd.DataFrame(columns=POOL_COLUMNS)
        final = pd.DataFrame({"total": self.total, "adjustment": adjustment, "final_total": final_total,
                              "grade": self.grade, "final_grade": final_grade, "changed_by": changed_by,
                              "coefficient": lines["coefficient"], "pay": lines["pay"]}, index=index)
        summary = [{"employee_id": None, "field": field, "problem": text, "severity": "warning", "code": code,
                    "value": None, "row": None, "indicator": None}
                   for field, code, frame in (("calibration", "over_limit", dist), ("pay", "pool_over", pools))
                   for text in frame["problem"] if isinstance(text, str)]
        everything = pd.DataFrame(problems.to_dict("records") + notes + summary, columns=COLUMNS)
        return Finished(final[FINAL_COLUMNS], applied, everything, natural, base.rename("pay_base"), scope, dist, pools)
