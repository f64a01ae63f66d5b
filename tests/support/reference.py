"""A slow, scalar reference for the default scheme, written from shared/spec/scoring.md alone.

Nothing here is shared with ``kpi_engine``: every rule of §3–§5 is re-stated with plain Python
floats and :mod:`math`, one employee at a time, so the vectorized engine can be compared with
an independent reading of the spec. Every **[reading]** of the spec is followed:

- weights are points out of 100; the 流量与转化 children (10+5+15+10+5 = 45) are scaled by 20/45;
- sales achievement 0.8 ≤ r < 1.2 scores 100·r (the article's undefined 80–90 % band included);
- the UV-growth gate: natural_uv / uv ≥ 60 %, else the indicator scores 0;
- conversion gaps are relative to the target (industry × 1.05);
- turnover target per quarter for "other" categories is 3, scaled by months / 3;
- late responses: D = 5·⌊n/3⌋ + n mod 3; compliance and late responses are penalty items
  (no floor at 0);
- whole steps are counted as floor(x + 1e-9) where x = gap / step;
- collaboration scores 100 × min(1, mean / 8), blank ratings left out of the mean;
- grades: S ≥ 95, A ≥ 85, B ≥ 70, C ≥ 60, else D, on the total summed with math.fsum (so a total
  that is exactly 60 in the spec's arithmetic is 60.0 here, not 59.99999999999999).

A blank input (None or NaN) that an indicator needs, or a zero denominator, leaves the indicator
``None`` (spec §6: nothing is silently taken as 0), and then the total and grade are ``None``.
Rows given here are assumed to be otherwise valid (bad values are tested in test_bad_rows.py).

``random_employee`` builds realistic rows with many values exactly at thresholds; it is shared
by the equivalence and property tests.
"""

from __future__ import annotations

import math
from typing import Any

STEP_TOL = 1e-9  # of a step (spec §3)

# id -> (nominal weight, group); in the order of the spec's table §4
NOMINAL: dict[str, tuple[float, str]] = {
    "sales_achievement": (30, "core"),
    "uv_growth": (10, "traffic"),
    "pv_per_uv": (5, "traffic"),
    "conversion_rate": (15, "traffic"),
    "aov_growth": (10, "traffic"),
    "silent_order_rate": (5, "traffic"),
    "repurchase_rate": (7, "users"),
    "new_customer_share": (3, "users"),
    "inventory_turnover": (10, "efficiency"),
    "promotion_cost_ratio": (5, "efficiency"),
    "after_sales_cost_ratio": (3, "efficiency"),
    "activity_response": (1, "efficiency"),
    "issue_resolution": (1, "efficiency"),
    "collaboration_satisfaction": (5, "teamwork"),
    "resource_readiness": (5, "teamwork"),
    "proposals": (3, "teamwork"),
    "knowledge_sharing": (2, "teamwork"),
    "compliance": (5, "compliance"),
}
INDICATORS = list(NOMINAL)
PENALTY = {"activity_response", "issue_resolution", "compliance"}
NON_PENALTY = [i for i in INDICATORS if i not in PENALTY]
TRAFFIC_GROUP_WEIGHT = 20.0
TRAFFIC_CHILDREN_SUM = 10 + 5 + 15 + 10 + 5  # 45 in the article


def effective_weight(indicator: str) -> float:
    """Nominal weight, scaled by 20/45 for the 流量与转化 children (spec §3)."""
    w, group = NOMINAL[indicator]
    if group == "traffic":
        return w * TRAFFIC_GROUP_WEIGHT / TRAFFIC_CHILDREN_SUM
    return float(w)


GRADES = [("S", 95.0), ("A", 85.0), ("B", 70.0), ("C", 60.0)]  # else D
TURNOVER_PER_QUARTER = {"apparel": 4.0, "服装": 4.0, "3c": 2.0}  # any other word: 3
TURNOVER_OTHER = 3.0
REPURCHASE_TARGET = {"fmcg": 0.30, "durable": 0.20}
NEW_SHARE_DEFAULT = 0.40


class _NotComputable(Exception):
    """A needed input is blank, or a denominator is zero."""


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return isinstance(value, str) and not value.strip()


def _num(row: dict, key: str) -> float:
    value = row.get(key)
    if is_blank(value):
        raise _NotComputable(key)
    return float(value)


def _div(a: float, b: float) -> float:
    if b == 0:
        raise _NotComputable("zero denominator")
    return a / b


def whole_steps(gap: float, step: float) -> float:
    """Whole steps in a shortfall/excess; a gap ≤ 0 is no step (spec §3, floor with 1e-9)."""
    if gap <= 0:
        return 0
    x = gap / step
    return math.inf if math.isinf(x) else math.floor(x + STEP_TOL)


def points_gap(value: float, target: float, direction: str) -> float:
    """Gap of a rate in percentage points (positive = on the wrong side of the target)."""
    return (target - value) * 100 if direction == "below" else (value - target) * 100


def relative_gap(value: float, target: float, direction: str) -> float:
    """Gap relative to the target, in percent."""
    raw = target - value if direction == "below" else value - target
    if target == 0:  # nothing is below a target of 0; above it, the gap is undefined
        if raw <= 0:
            return 0.0
        raise _NotComputable("zero target")
    return raw / abs(target) * 100


def deduct_score(indicator: str, d: float) -> float:
    """score = 100 (w − D) / w, floored at 0 except for penalty items."""
    w = float(NOMINAL[indicator][0])
    s = 100 * (w - d) / w
    return s if indicator in PENALTY else max(0.0, s)


def late_deduction(n: float) -> float:
    """D = 5·⌊n/3⌋ + (n mod 3) for n late responses."""
    k = int(round(n))
    return 5 * (k // 3) + (k % 3)


# ------------------------------------------------------------ indicators ---
def _sales_achievement(row, months):
    r = _div(_num(row, "sales_actual"), _num(row, "sales_target"))
    if r >= 1.2:
        return 120.0
    if r >= 0.8:
        return 100 * r
    return 0.0


def _uv_growth(row, months):
    uv, uv_prev, natural = _num(row, "uv"), _num(row, "uv_prev"), _num(row, "natural_uv")
    g = _div(uv - uv_prev, uv_prev)
    organic = _div(natural, uv)
    if organic < 0.6:
        return 0.0
    return deduct_score("uv_growth", 3 * whole_steps(points_gap(g, 0.20, "below"), 5))


def _pv_per_uv(row, months):
    m = _div(_num(row, "pv"), _num(row, "uv"))
    return deduct_score("pv_per_uv", 3 * whole_steps(relative_gap(m, 3.0, "below"), 5))


def _conversion_rate(row, months):
    m = _div(_num(row, "paid_orders"), _num(row, "uv"))
    target = _num(row, "industry_conversion") * 1.05
    return deduct_score("conversion_rate", 5 * whole_steps(relative_gap(m, target, "below"), 2))


def _aov_growth(row, months):
    aov = _div(_num(row, "sales_actual"), _num(row, "paid_orders"))
    prev = _num(row, "aov_prev")
    growth = _div(aov - prev, prev)
    return deduct_score("aov_growth", 5 * whole_steps(points_gap(growth, 0.05, "below"), 2))


def _silent_order_rate(row, months):
    m = _div(_num(row, "silent_orders"), _num(row, "paid_orders"))
    return deduct_score("silent_order_rate", 5 * whole_steps(points_gap(m, 0.20, "below"), 2))


def _repurchase_rate(row, months):
    m = _div(_num(row, "repeat_buyers_90d"), _num(row, "paying_users"))
    kind = row.get("product_type")
    if is_blank(kind) or str(kind).strip().lower() not in REPURCHASE_TARGET:
        raise _NotComputable("product_type")
    target = REPURCHASE_TARGET[str(kind).strip().lower()]
    return deduct_score("repurchase_rate", 3 * whole_steps(points_gap(m, target, "below"), 2))


def _new_customer_share(row, months):
    m = _div(_num(row, "new_customer_sales"), _num(row, "sales_actual"))
    own = row.get("new_customer_share_target")
    target = NEW_SHARE_DEFAULT if is_blank(own) else float(own)
    return deduct_score("new_customer_share", 3 * whole_steps(points_gap(m, target, "below"), 2))


def turnover_target(row: dict, months: int) -> float:
    own = row.get("turnover_target")
    if not is_blank(own):
        return float(own)  # the period's own target: not scaled
    category = row.get("category")
    if is_blank(category):
        raise _NotComputable("category")
    per_quarter = TURNOVER_PER_QUARTER.get(str(category).strip().lower(), TURNOVER_OTHER)
    return per_quarter * months / 3


def _inventory_turnover(row, months):
    average = (_num(row, "inventory_begin") + _num(row, "inventory_end")) / 2
    turnover = _div(_num(row, "cogs"), average)
    slow = _div(_num(row, "slow_moving_skus"), _num(row, "total_skus"))
    d = 5 * whole_steps(relative_gap(turnover, turnover_target(row, months), "below"), 10)
    d += 2 * whole_steps(points_gap(slow, 0.05, "above"), 1)
    return deduct_score("inventory_turnover", d)


def _promotion_cost_ratio(row, months):
    m = _div(_num(row, "promotion_cost"), _num(row, "sales_actual"))
    return deduct_score("promotion_cost_ratio", 2 * whole_steps(points_gap(m, 0.15, "above"), 1))


def _after_sales_cost_ratio(row, months):
    m = _div(_num(row, "after_sales_cost"), _num(row, "sales_actual"))
    return deduct_score("after_sales_cost_ratio", 2 * whole_steps(points_gap(m, 0.03, "above"), 1))


def _activity_response(row, months):
    return deduct_score("activity_response", late_deduction(_num(row, "activity_overdue")))


def _issue_resolution(row, months):
    return deduct_score("issue_resolution", late_deduction(_num(row, "issue_overdue")))


def _collaboration_satisfaction(row, months):
    ratings = [float(row[k]) for k in ("rating_design", "rating_cs", "rating_logistics") if not is_blank(row.get(k))]
    if not ratings:
        raise _NotComputable("ratings")
    mean = sum(ratings) / len(ratings)
    return 100 * min(1.0, mean / 8)


def _resource_readiness(row, months):
    m = _num(row, "resources_ready_rate")
    return deduct_score("resource_readiness", 2 * whole_steps(points_gap(m, 0.95, "below"), 5))


def _per_item(indicator: str, count: float, each: float) -> float:
    w = float(NOMINAL[indicator][0])
    return 100 * min(w, each * count) / w


def _proposals(row, months):
    return _per_item("proposals", _num(row, "proposals_approved"), 3)


def _knowledge_sharing(row, months):
    return _per_item("knowledge_sharing", _num(row, "knowledge_docs"), 2)


def _compliance(row, months):
    d = (10 * _num(row, "platform_violations") + 50 * _num(row, "severe_violations")
         + 20 * _num(row, "data_security_violations"))
    return deduct_score("compliance", d)


_RULES = {name: globals()[f"_{name}"] for name in INDICATORS}


def grade_of(total: float) -> str:
    for grade, minimum in GRADES:
        if total >= minimum:
            return grade
    return "D"


def reference_score(row: dict, period_months: int = 3) -> dict:
    """Scores (100 scale), points, total, grade and flags of one employee under the default scheme."""
    scores: dict[str, float | None] = {}
    for ind in INDICATORS:
        try:
            scores[ind] = float(_RULES[ind](row, period_months))
        except _NotComputable:
            scores[ind] = None
    points = {ind: None if s is None else effective_weight(ind) * s / 100 for ind, s in scores.items()}
    if any(p is None for p in points.values()):
        total, grade = None, None
    else:
        total = math.fsum(points[ind] for ind in INDICATORS)  # the sum of the points, correctly rounded
        grade = grade_of(total)
    flags = []
    try:
        r = _div(_num(row, "sales_actual"), _num(row, "sales_target"))
        if r < 0.8 and _num(row, "prev_sales_achievement") < 0.8:
            flags.append("sales_review")
    except _NotComputable:
        pass
    return {"scores": scores, "points": points, "total": total, "grade": grade, "flags": flags}


# ------------------------------------------------------------ test data ---
NAN = float("nan")
PERIODS = {"2026-11": 1, "2026-Q4": 3, "2026-H2": 6, "2026": 12}
# fields that may be left blank in random rows (uv_prev excepted: see test_rules_boundaries
# test_gate_failure_with_blank_uv_prev, a spec §6 question)
BLANKABLE = [
    "sales_actual", "uv", "natural_uv", "pv", "paid_orders", "silent_orders", "industry_conversion",
    "aov_prev", "repeat_buyers_90d", "paying_users", "new_customer_sales", "cogs", "inventory_begin",
    "inventory_end", "slow_moving_skus", "total_skus", "promotion_cost", "after_sales_cost",
    "activity_overdue", "issue_overdue", "resources_ready_rate", "proposals_approved", "knowledge_docs",
    "platform_violations", "severe_violations", "data_security_violations", "product_type", "category",
]


def _frac(rng, n: int, choices: list[tuple[int, int]]) -> int | None:
    """n × p/q exactly, for a randomly chosen p/q that divides n exactly; None if none does."""
    ok = [(p, q) for p, q in choices if (n * p) % q == 0]
    if not ok:
        return None
    p, q = ok[int(rng.integers(len(ok)))]
    return n * p // q


def random_employee(rng, i: int, blank_rate: float = 0.03) -> dict:
    """One realistic employee; about a third of the values sit exactly on a threshold."""
    exact = lambda: rng.random() < 0.35  # noqa: E731
    row: dict[str, Any] = {"employee_id": f"R{i:05d}", "name": f"员工{i}", "team": f"T{i % 7}"}
    row["category"] = str(rng.choice(["apparel", "3c", "other", "books"]))
    row["product_type"] = str(rng.choice(["fmcg", "durable"]))
    target = int(rng.integers(100, 5000)) * 1000
    row["sales_target"] = target
    if exact():  # r = 0.8, 1.2, 0.85, 0.9, 1, 0.79, 2, 0.5 exactly
        actual = _frac(rng, target, [(4, 5), (6, 5), (17, 20), (9, 10), (1, 1), (79, 100), (2, 1), (1, 2)])
    else:
        actual = 0 if rng.random() < 0.01 else 100 * int(target * rng.uniform(0.3, 1.6) / 100)
    row["sales_actual"] = actual
    roll = rng.random()
    row["prev_sales_achievement"] = NAN if roll < 0.25 else (0.8 if roll < 0.35 else round(rng.uniform(0.4, 1.4), 4))

    uv_prev = 20 * int(rng.integers(50, 25000))
    row["uv_prev"] = uv_prev
    if exact():  # growth 20 %, 15 %, 10 %, 5 %, 0 % exactly
        uv = _frac(rng, uv_prev, [(6, 5), (23, 20), (11, 10), (21, 20), (1, 1)])
    else:
        uv = max(100, int(uv_prev * (1 + rng.uniform(-0.3, 0.6))))
    row["uv"] = uv
    roll = rng.random()
    if roll < 0.2:  # organic share exactly 60 % (or the nearest above)
        row["natural_uv"] = uv * 3 // 5 if uv % 5 == 0 else math.ceil(uv * 0.6)
    elif roll < 0.3:  # just under 60 %
        row["natural_uv"] = (uv * 3 - 1) // 5
    else:
        row["natural_uv"] = int(uv * rng.uniform(0.3, 0.95))
    pv = _frac(rng, uv, [(3, 1), (57, 20), (27, 10)]) if exact() else None
    row["pv"] = pv if pv is not None else int(uv * rng.uniform(1.5, 5.0))

    ic = round(rng.uniform(0.01, 0.06), 4)
    row["industry_conversion"] = ic
    paid = 0 if rng.random() < 0.01 else max(1, int(uv * ic * 1.05 * rng.uniform(0.6, 1.4)))
    row["paid_orders"] = paid
    silent = _frac(rng, paid, [(1, 5), (9, 50), (4, 25)]) if exact() else None
    row["silent_orders"] = silent if silent is not None else int(paid * rng.uniform(0.05, 0.35))
    aov = actual / paid if paid else 150.0
    row["aov_prev"] = max(0.01, round(aov / (1 + rng.uniform(-0.1, 0.15)), 2))

    paying = max(1, int(paid * rng.uniform(0.5, 1.0)))
    row["paying_users"] = paying
    repeat = _frac(rng, paying, [(3, 10), (1, 5), (13, 50), (7, 25), (9, 50)]) if exact() else None
    row["repeat_buyers_90d"] = repeat if repeat is not None else int(paying * rng.uniform(0.05, 0.45))
    new = _frac(rng, actual, [(2, 5), (19, 50), (9, 25), (3, 10)]) if exact() else None
    row["new_customer_sales"] = new if new is not None else int(actual * rng.uniform(0.1, 0.7))
    row["new_customer_share_target"] = NAN if rng.random() < 0.5 else float(rng.choice([0.3, 0.35, 0.4, 0.45]))

    cogs = int(target * rng.uniform(0.3, 0.8))
    row["cogs"] = cogs
    row["inventory_begin"] = max(1, int(cogs * rng.uniform(0.05, 0.6)))
    row["inventory_end"] = max(1, int(cogs * rng.uniform(0.05, 0.6)))
    row["turnover_target"] = float(rng.choice([2, 3, 4, 1.5])) if rng.random() < 0.3 else NAN
    skus = 20 * int(rng.integers(1, 50))
    row["total_skus"] = skus
    slow = _frac(rng, skus, [(1, 20), (3, 50), (7, 100), (1, 10)]) if exact() else None
    row["slow_moving_skus"] = slow if slow is not None else int(skus * rng.uniform(0, 0.15))

    promo = _frac(rng, actual, [(15, 100), (16, 100), (18, 100), (17, 100)]) if exact() else None
    row["promotion_cost"] = promo if promo is not None else int(actual * rng.uniform(0.08, 0.22))
    after = _frac(rng, actual, [(3, 100), (4, 100), (6, 100)]) if exact() else None
    row["after_sales_cost"] = after if after is not None else int(actual * rng.uniform(0.005, 0.06))
    row["activity_overdue"] = int(rng.integers(0, 8))
    row["issue_overdue"] = int(rng.integers(0, 8))
    for key in ("rating_design", "rating_cs", "rating_logistics"):
        row[key] = NAN if rng.random() < 0.1 else int(rng.integers(8, 21)) / 2
    row["resources_ready_rate"] = (float(rng.choice([0.95, 0.9, 0.85, 0.8, 1.0, 0.75])) if exact()
                                   else round(rng.uniform(0.6, 1.0), 3))
    row["proposals_approved"] = int(rng.integers(0, 5))
    row["knowledge_docs"] = int(rng.integers(0, 4))
    row["platform_violations"] = int(rng.integers(0, 3))
    row["severe_violations"] = int(rng.choice([0, 0, 0, 0, 0, 0, 0, 0, 1, 2]))
    row["data_security_violations"] = int(rng.choice([0, 0, 0, 0, 1, 2]))
    if rng.random() < blank_rate:
        key = str(rng.choice(BLANKABLE))
        row[key] = None if key in ("product_type", "category") else NAN
    return row
