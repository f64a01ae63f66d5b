"""Performance pay (绩效工资): base × the final grade's coefficient, against an optional pool per team.

- The coefficient is the scheme's for the person's *final* grade (after HR's override).
- pay = base × coefficient, in yuan, rounded to the fen (0.01). A blank (or rejected) base gives
  no pay line: pay is NaN, never 0.
- A team with a pool: its pay lines add up to ``pay_before``; when that exceeds the pool, the
  overrun is reported (``overrun = "report"``) or every pay line of the team is multiplied by one
  factor, pool ÷ pay_before, before rounding (``overrun = "scale"``); the rounded lines may then
  differ from the pool by a few fen.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .calibration import team_names
from .i18n import tr
from .model import Pay

POOL_COLUMNS = ["team", "headcount", "base", "pay_before", "pool", "over", "factor", "pay", "problem"]


def money(x: float) -> str:
    return f"{x:,.2f}"


def pay_lines(final_grade: pd.Series, base: pd.Series, team: pd.Series, pay: Pay,
              lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(lines, pools): lines indexed like ``final_grade`` with ``coefficient`` and ``pay``; pools one
    row per team that has pay lines or a pool (:data:`POOL_COLUMNS`; ``problem`` is the overrun in
    words, or None)."""
    coefficient = final_grade.map(lambda g: pay.coefficients.get(g, math.nan) if g is not None else math.nan)
    coefficient = coefficient.astype(float)
    amount = base.astype(float).where(base.astype(float) >= 0) * coefficient
    names = team_names(team, lang)
    factor = pd.Series(1.0, index=final_grade.index)
    rows = []
    for name in sorted(set(names[amount.notna()]) | set(pay.pools)):
        members = (names == name) & amount.notna()
        before = float(amount[members].sum())
        pool = pay.pools.get(name, math.nan)
        over = before - pool if not math.isnan(pool) else math.nan
        f, problem = 1.0, None
        if over > 0:
            if pay.overrun == "scale" and before > 0:
                f = pool / before
                factor[members] = f
                problem = tr("pay.pool_scaled", lang, team=name, total=money(before), pool=money(pool),
                             over=money(over), factor=f"{f:.6g}")
            else:
                problem = tr("pay.pool_over", lang, team=name, total=money(before), pool=money(pool), over=money(over))
        rows.append({"team": name, "headcount": int(members.sum()), "base": float(base.astype(float)[members].sum()),
                     "pay_before": before, "pool": pool, "over": over, "factor": f,
                     "pay": float(np.round(amount[members] * f, 2).sum()), "problem": problem})
    lines = pd.DataFrame({"coefficient": coefficient, "pay": np.round(amount * factor, 2)}, index=final_grade.index)
    return lines, pd.DataFrame(rows, columns=POOL_COLUMNS)
