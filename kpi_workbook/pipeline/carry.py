"""What carries over to the next period: the roster, and the values the scheme says carry.

What carries over is data: each scheme input may name a ``carry`` formula evaluated on this
period's inputs (uv_prev ← ``uv``, aov_prev ← ``sales_actual / paid_orders``,
prev_sales_achievement ← ``sales_actual / sales_target``…), or ``target`` for a target that
moves with the seasonal factors of the scheme (the article: Q4 target = 1.5 × Q1).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from kpi_engine import Period, Scheme, expr, normalize_id, parse_period
from kpi_engine.inputs import clean

from .reading import gather, read_meta
from .sources import SheetSource

ROSTER_FIELDS = ("employee_id", "name", "team", "category", "product_type")  # and every other roster input (shops…)


def seasonal_factor(scheme: Scheme, period: Period) -> float:
    """The period's seasonal factor: its quarter's (a month), the mean of its quarters (half, year)."""
    factors = [scheme.seasonal.get(f"Q{q}", 1.0) for q in period.quarters_covered()]
    return float(sum(factors) / len(factors)) if factors else 1.0


def carried_values(source: SheetSource, scheme: Scheme, period: Period, lang: str) -> tuple[Any, dict[str, dict[str, float]]]:
    """(roster frame, {field: {employee_id: value}}) for the next period."""
    gathered = gather(source, scheme, lang)
    frame = gathered.frame
    ci = clean(frame, scheme, lang)
    env = expr.Env(n=ci.n, numbers=ci.numbers, texts=ci.texts, lookups=scheme.lookups, months=period.months)
    ratio = seasonal_factor(scheme, period.next()) / seasonal_factor(scheme, period)
    carried: dict[str, dict[str, float]] = {}
    for f in scheme.inputs:
        if not f.carry or not f.numeric:
            continue
        if f.carry == "target":
            values = ci.numbers[f.id] * ratio
        else:
            values = np.asarray(expr.parse(f.carry).evaluate(env), dtype=float)
        carried[f.id] = {
            eid: float(v) for eid, v, skip in zip(ci.ids, values, ci.excluded)
            if eid is not None and not skip and math.isfinite(v)
        }
    roster_inputs = [f.id for f in scheme.inputs if f.owner == "roster"]
    cols = [c for c in dict.fromkeys([*ROSTER_FIELDS, *roster_inputs]) if c in frame.columns]
    roster = frame[cols].copy()
    roster["employee_id"] = [normalize_id(v) for v in roster["employee_id"]]
    roster = roster[roster["employee_id"].notna()].drop_duplicates("employee_id")
    for c in ("category", "product_type"):
        if c in roster:
            roster[c] = ci.texts[c][roster.index.to_numpy()] if len(roster) else roster[c]
    return roster.reset_index(drop=True), carried


def default_next_path(path: Path, source: SheetSource) -> Path:
    """Beside the current file: the period label in its name replaced, else appended."""
    meta = read_meta(source)
    period = parse_period(meta.get("period") or None)
    nxt = period.next().label
    stem = path.stem
    if period.label in stem:
        new_stem = stem.replace(period.label, nxt)
    else:
        compact = period.label.replace("-", "")
        new_stem = stem.replace(compact, nxt.replace("-", "")) if compact in stem else f"{stem}_{nxt}"
    return path.with_name(re.sub(r"\s+$", "", new_stem) + ".xlsx")
