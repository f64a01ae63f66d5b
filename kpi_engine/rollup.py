"""The year from its periods (年度考核): per person, the periods' final totals weighted into an
annual total and grade, the trend, and the flags that need several periods.

DataFrames in, a DataFrame out; nothing here knows where the totals came from (``kpi rollup``
reads them from each period's computed workbook, as computed under that workbook's own scheme).

- The periods are any mix of months, quarters and halves of one year, none covering a month
  another covers (:func:`period_clashes` says which are not).
- A period's weight is the scheme's ``period_weights`` for it (by Q1–Q4, H1–H2, month 01–12),
  else the months it covers counted in quarters (a quarter 1, a month 1/3, a half 2), so four
  quarters weigh the same and ``Q4 = 2`` makes the fourth quarter count double.
- A person missing a period (not on its roster, or no total there) is scored on the periods
  present, their weights scaled up to a whole (renormalised), and flagged ``missing_periods``.
- The annual grade is the annual total under the given scheme's grade bands.
- The trend compares the last period present with the first: at least ``trend_change`` points
  up is rising, that much down falling, else steady; with one period there is none.
- A rollup flag (``scheme.rollup_flags``) is raised when its condition held in that many
  consecutive periods: calendar neighbours, the second starting the month after the first ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import KpiError
from .model import MISSING_PERIODS, Scheme
from .periods import Period, parse_period
from .scoring import grades_of

TRENDS = ("rising", "falling", "steady")
COLUMNS = ("annual_total", "annual_grade", "periods", "missing", "trend", "flags")


class RollupError(KpiError):
    """Periods that cannot make one year (message ``rollup.<code>``)."""

    code = "rollup"
    section = "rollup"


def period_clashes(periods: Sequence[Period]) -> list[tuple[str, int, int]]:
    """Why ``periods`` cannot make one year, as (kind, i, j) over their positions: "year" (period i
    is of another year than period 0), "whole_year" (period i is a year), "overlap" (periods i and
    j cover a common month; the same period twice among them)."""
    out = []
    for i, p in enumerate(periods):
        if p.kind == "year":
            out.append(("whole_year", i, i))
        elif p.year != periods[0].year:
            out.append(("year", i, 0))
    months = {}
    for i, p in enumerate(periods):
        for m in range(p.first_month, p.first_month + p.months):
            if m in months and ("overlap", months[m], i) not in out:
                out.append(("overlap", months[m], i))
            months.setdefault(m, i)
    return out


def period_weight(period: Period, scheme: Scheme) -> float:
    """The period's weight in the annual total: the scheme's for its key, else by the months it
    covers in quarters (a quarter 1, a month 1/3, a half 2), the unit the scheme's weights are in."""
    return float(scheme.period_weights.get(period.key, period.months / 3))


def annual(totals: pd.DataFrame, scheme: Scheme, conditions: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The year of each person.

    ``totals``: index employee_id, one column per period label ("2026-Q1", "2026-11", …; any order),
    the final total (NaN: not scored in that period). ``conditions``: per rollup flag id, a frame
    like ``totals`` of whether its condition held (missing: it did not). Returns, indexed like
    ``totals``: ``annual_total``, ``annual_grade``, ``periods`` (how many present), ``missing`` (the
    labels absent, a tuple), ``trend`` (rising / falling / steady, None below two periods), and
    ``flags`` (ids, a list). Raises :class:`RollupError` for periods that are not one year.
    """
    periods = sorted((parse_period(c) for c in totals.columns), key=lambda p: (p.year, p.first_month))
    clashes = period_clashes(periods)
    if clashes:
        kind, i, j = clashes[0]
        raise RollupError.of(f"clash_{kind}", first=periods[i].label, second=periods[j].label)
    labels = [p.label for p in periods]
    values = totals.reindex(columns=labels).to_numpy(dtype=float)
    present = ~np.isnan(values)
    weights = np.array([period_weight(p, scheme) for p in periods])
    weight_present = present @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        annual_total = np.where(weight_present > 0, np.nan_to_num(values) @ weights / weight_present, np.nan)
    index = totals.index
    total = pd.Series(annual_total, index=index, name="annual_total")
    missing = [tuple(lab for lab, here in zip(labels, row) if not here) for row in present.tolist()]
    flags = [[MISSING_PERIODS] if gone else [] for gone in missing]
    for flag in scheme.rollup_flags:
        table = (conditions or {}).get(flag.id)
        if table is None:
            continue
        held = table.reindex(index=index, columns=labels).fillna(False).to_numpy(dtype=bool)
        for k in np.flatnonzero(_longest_run(held, periods) >= int(flag.periods)).tolist():
            flags[k].append(flag.id)
    return pd.DataFrame({
        "annual_total": total, "annual_grade": grades_of(total, scheme), "periods": present.sum(axis=1),
        "missing": missing, "trend": _trends(values, present, scheme), "flags": flags}, index=index)


def _trends(values: np.ndarray, present: np.ndarray, scheme: Scheme) -> list[str | None]:
    change = float(scheme.setting("trend_change"))
    out: list[str | None] = []
    for row, here in zip(values, present):
        shown = row[here]
        if len(shown) < 2:
            out.append(None)
            continue
        diff = shown[-1] - shown[0]
        out.append("rising" if diff >= change else "falling" if diff <= -change else "steady")
    return out


def _longest_run(held: np.ndarray, periods: Sequence[Period]) -> np.ndarray:
    """Per row, the most consecutive periods (calendar neighbours) in which the condition held."""
    run = np.zeros(held.shape[0], dtype=int)
    best = run.copy()
    for k, p in enumerate(periods):
        follows = k > 0 and periods[k - 1].first_month + periods[k - 1].months == p.first_month
        run = np.where(held[:, k], (run + 1) if follows else 1, 0)
        best = np.maximum(best, run)
    return best
