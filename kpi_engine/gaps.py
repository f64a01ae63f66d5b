"""Why an indicator could not be computed for a row, as rows of the problems table.

:func:`kpi_engine.score` hands each indicator's scores to :class:`Gaps` block by block; a NaN
score is explained by what caused it (a blank cell the indicator needs, a value rejected where
it was typed, a zero denominator, a column absent from the input), each cause noted once per
row and column with the names of every indicator it stopped, and turned into problem rows at
the end (:meth:`Gaps.absent_columns`), in a fixed order whatever the blocks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import expr, problems
from .explain import formula_words
from .i18n import tr
from .inputs import CleanInput
from .model import Indicator, Scheme
from .plan import Plan


class Gaps:
    """Collects why indicators could not be computed: blank fields, zero denominators."""

    def __init__(self, ci: CleanInput, scheme: Scheme, lang: str, plan: Plan):
        self.ci, self.scheme, self.lang, self.plan = ci, scheme, lang, plan
        self.rows: list[dict[str, Any]] = list(ci.problems)
        self.missing: dict[tuple[int, str], list[str]] = {}
        self.zero: dict[tuple[int, str], list[str]] = {}  # (row, column) -> indicator names
        self.zero_expr: dict[tuple[int, expr.Denominator], list[str]] = {}  # (row, expression) -> names
        self.needed_absent: set[str] = set()
        self.unexplained: list[tuple[int, Indicator]] = []
        self.texts: dict[tuple[str, str, str, str], str] = {}
        self.unusable: dict[str, np.ndarray] = {}

    def indicator_gaps(self, ind: Indicator, score: np.ndarray, zero_division, lo: int = 0) -> None:
        """Why ``score`` (rows ``lo`` … ``lo + len(score)`` of the input) is NaN where it is: each
        reason noted once per row and column, the message made by :meth:`absent_columns`."""
        ci = self.ci
        hi = lo + len(score)
        nan = np.isnan(score) & ~ci.excluded[lo:hi]
        required, optional = self.plan.columns[ind.id]
        self.needed_absent.update(c for c in required if c in ci.absent)
        if not nan.any():
            return
        explained = np.zeros(hi - lo, dtype=bool)
        name = ind.name(self.lang)
        for mask, den in zero_division:
            hit = nan & mask
            for r in (np.flatnonzero(hit) + lo).tolist():
                # each column that is 0 is named at its cell (both inventories 0); when the columns are
                # not 0 but the expression is ("sales_target - sales_target"), the expression is named
                cols = [den.column] if den.column else list(den.columns)
                if cols and all(c in ci.numbers and ci.numbers[c][r] == 0 for c in cols):
                    for col in cols:
                        self.zero.setdefault((r, col), []).append(name)
                else:
                    self.zero_expr.setdefault((r, den), []).append(name)
            explained |= hit
        for col in required + optional:
            invalid = ci.invalid_or_none(col)
            if invalid is not None:
                explained |= nan & invalid[lo:hi]  # already reported where it was typed
        for col in required:
            explained |= nan & self._unusable(col)[lo:hi]
            blank = ci.blank_or_none(col)
            if blank is not None:
                self._note_missing(col, nan & blank[lo:hi], name, lo)
        by_optional = np.zeros(hi - lo, dtype=bool)
        for col in optional:
            blank = None if col in ci.absent else ci.blank_or_none(col)
            if blank is None:
                continue
            bad = nan & ~explained & blank[lo:hi]
            self._note_missing(col, bad, name, lo)
            by_optional |= bad
        explained |= by_optional
        if set(required) & set(ci.absent):
            explained |= nan
        absent_optional = [c for c in optional if c in ci.absent]
        if absent_optional and (nan & ~explained).any():  # e.g. every rating column is missing
            self.needed_absent.update(absent_optional)
            explained |= nan
        unexplained = nan & ~explained
        if unexplained.any():
            for r in (np.flatnonzero(unexplained) + lo).tolist():
                self.unexplained.append((r, ind))

    def _unusable(self, col: str) -> np.ndarray:
        if col not in self.unusable:
            ci = self.ci
            if col in ci.numbers:
                self.unusable[col] = np.isnan(ci.numbers[col])
            else:
                self.unusable[col] = pd.isna(pd.Series(ci.texts[col], dtype=object)).to_numpy()
        return self.unusable[col]

    def _note_missing(self, col: str, mask: np.ndarray, name: str, lo: int) -> None:
        if col in self.ci.absent or not mask.any():
            return
        for r in (np.flatnonzero(mask) + lo).tolist():
            self.missing.setdefault((r, col), []).append(name)

    def absent_columns(self) -> None:
        """The problem rows of every gap noted, after the input's own: absent columns, blank
        cells (per row and column, naming the indicators), rows not computable for another
        reason, zero denominators (per column, then per expression)."""
        lang, ci = self.lang, self.ci
        for col in sorted(self.needed_absent, key=[f.id for f in self.scheme.inputs].index):
            self.rows.append(self._row("missing_column", None, col))
        sep = tr("words.list_separator", lang)
        for (r, col), names in sorted(self.missing.items()):
            self.rows.append(self._row("missing", r, col, detail=sep.join(dict.fromkeys(names))))
        order = {ind_id: j for j, ind_id in enumerate(self.plan.ids)}
        # indicator by indicator, row by row (the rows came block by block)
        for r, ind in sorted(self.unexplained, key=lambda item: (order[item[1].id], item[0])):
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
        shown = problems.show_value(value)
        key = (code, col, shown, detail)
        text = self.texts.get(key)
        if text is None:  # the same message for many rows (a column blank in many): rendered once
            text = self.texts[key] = problems.render(code, self.lang, field=self.scheme.field_name(col, self.lang),
                                                     value=shown, detail=detail)
        return {"employee_id": None if r is None else self.ci.ids[r], "field": col, "problem": text,
                "severity": "error", "code": code, "value": value, "row": r, "indicator": None}

