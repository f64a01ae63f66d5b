"""A computed period workbook read back as compute left it: its period, its own scheme, and the
得分 sheet's values, for what is made from its results (scorecards, the year's view).

Nothing here scores anything. A book is used only as computed under its own scheme: one never
computed, one whose scheme sheet was edited after its last compute (the scheme read now does not
have the fingerprint compute recorded in the hidden meta sheet), or one without its 得分 sheet is
refused with a message that says to compute it (again). The final total and grade of each person
are read in one place, :func:`final_scores`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpi_engine import Period, PeriodError, Scheme, normalize_id, parse_period
from kpi_engine.i18n import both
from kpi_engine.numbers import is_blank, parse_number

from .computing import book_lang, load_scheme_from
from .errors import WorkbookError
from .layout import layout
from .reading import owned_sheets, read_meta
from .sources import SheetSource

FINAL_COLUMNS = ("total", "adjustment", "final_total", "grade", "final_grade")


def report_error(code: str, /, **fields: Any) -> WorkbookError:
    """A workbook that cannot be reported on: message ``report.<code>`` of the catalogs."""
    return WorkbookError(*both(f"report.{code}", **fields), code=code)


@dataclass
class ComputedBook:
    """What compute left in a workbook: period, language, scheme, meta and the 得分 sheet's table
    (index employee_id; columns by the sheet's machine ids)."""

    period: Period
    lang: str
    scheme: Scheme
    meta: dict[str, str]
    scores: pd.DataFrame
    sheet: str  # the 得分 sheet's name

    @property
    def finals(self) -> pd.DataFrame:
        return final_scores(self.scores)


def read_computed(source: SheetSource, name: str, lang: str | None = None) -> ComputedBook:
    """The computed book behind ``source`` (``name``: the file, for messages); raises a
    :class:`WorkbookError` when it was never computed, its scheme changed since, or its period is unknown."""
    meta = read_meta(source)
    lang = book_lang(meta, lang)
    sheet = next((n for n in owned_sheets(meta) if n in layout().result_names("scores")
                  and n in source.sheet_names()), None)
    if not meta.get("computed_at") or sheet is None:
        raise report_error("not_computed", book=name)
    try:
        period = parse_period(meta.get("period") or "")
    except PeriodError:
        raise report_error("no_period", book=name, value=meta.get("period") or "—") from None
    scheme, _ = load_scheme_from(source, lang)
    recorded = meta.get("scheme_fingerprint", "")
    if recorded and recorded != scheme.fingerprint():
        raise report_error("scheme_changed", book=name, computed=recorded, now=scheme.fingerprint())
    return ComputedBook(period, lang, scheme, meta, scores_table(source.read(sheet)), sheet)


def scores_table(grid: list) -> pd.DataFrame:
    """The 得分 sheet as a frame: columns are the machine ids of its second row, one row per
    employee (index employee_id, as text); rows without an id are left out."""
    rows = [list(r) for r in grid]
    head = layout().id_row - 1
    ids = [str(v).strip() if v is not None else "" for v in (rows[head] if len(rows) > head else [])]
    body = rows[head + 1:]
    width = len(ids)
    frame = pd.DataFrame([(r + [None] * width)[:width] for r in body], columns=ids, dtype=object)
    if "employee_id" not in frame:
        return pd.DataFrame(columns=ids).set_index(pd.Index([], name="employee_id", dtype=object))
    frame.index = pd.Index([normalize_id(v) for v in frame["employee_id"]], name="employee_id", dtype=object)
    return frame[frame.index.notna() & ~frame.index.duplicated(keep="first")]


def final_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Per employee: the computed ``total`` and ``grade``, the ``adjustment`` and the ``final_total``
    and ``final_grade`` — from the 得分 sheet's columns of those ids where calibration wrote them
    (a blank cell there: that person was not calibrated), else the computed ones (no adjustment:
    NaN). The one place the final values are read."""
    def numbers(column: str) -> pd.Series:
        values = table[column] if column in table else pd.Series(None, index=table.index, dtype=object)
        return pd.Series([_number(v) for v in values], index=table.index, dtype=float)

    def texts(column: str) -> pd.Series:
        values = table[column] if column in table else pd.Series(None, index=table.index, dtype=object)
        return pd.Series([None if is_blank(v) else str(v).strip() for v in values], index=table.index, dtype=object)

    out = pd.DataFrame({"total": numbers("total"), "adjustment": numbers("adjustment"),
                        "final_total": numbers("final_total"), "grade": texts("grade"),
                        "final_grade": texts("final_grade")}, index=table.index)
    out["final_total"] = out["final_total"].where(out["final_total"].notna(), out["total"])  # blank: not calibrated
    out["final_grade"] = out["final_grade"].where(out["final_grade"].notna(), out["grade"])
    return out[list(FINAL_COLUMNS)]


def _number(value: Any) -> float:
    number = parse_number(value)
    return np.nan if number is None else float(number)
