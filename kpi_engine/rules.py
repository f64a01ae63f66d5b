"""Rule types: each is defined once here, checks its own parameters, and scores whole
columns at once.

A rule receives the indicator (its parameters) and the evaluation environment (all input
columns as arrays) and returns an :class:`Outcome`: the 100-scale score per row, the main
metric, and the *parts* that took points off (each with the numbers a reason needs).
Reasons are rendered from those numbers by :mod:`kpi_engine.explain`, in the user's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import expr
from .model import DIRECTIONS, GAPS, ROUNDINGS, Indicator
from .numbers import MAX_NUMBER, finite

STEP_TOLERANCE = 1e-9  # of a step: (0.95 - 0.85) / 0.05 counts as 2 steps


class RuleSpecError(ValueError):
    """A rule's parameters are wrong; names the field."""

    def __init__(self, field: str, zh: str, en: str):
        self.field, self.zh, self.en = field, zh, en
        super().__init__(en)


@dataclass
class Part:
    """One source of lost points for every row: a check, a gate, a count rule."""

    kind: str  # check | gate | overdue | violations
    amount: np.ndarray  # nominal points taken off (0 none, NaN unknown)
    data: dict[str, Any] = field(default_factory=dict)  # arrays and specs for the reason


@dataclass
class Outcome:
    score: np.ndarray
    metric: np.ndarray
    parts: list[Part] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def count_steps(gap: np.ndarray, step: float, rounding: str = "floor") -> np.ndarray:
    """Whole (or pro-rata) steps in a non-negative gap, robust to binary floating point."""
    x = np.maximum(np.asarray(gap, dtype=float), 0.0) / float(step)
    if rounding == "floor":
        return np.floor(x + STEP_TOLERANCE)
    if rounding == "ceil":
        return np.maximum(np.ceil(x - STEP_TOLERANCE), 0.0)
    return x


def gap_of(value: np.ndarray, target: np.ndarray, direction: str, gap: str) -> np.ndarray:
    """Shortfall (below) or excess (above) in percentage points or percent of the target."""
    raw = target - value if direction == "below" else value - target
    if gap == "points":
        return raw * 100.0
    # a zero target: no gap when the value is on the right side of it, undefined otherwise
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        relative = raw / np.abs(target) * 100.0
    return np.where(target != 0, relative, np.where(raw <= 0, 0.0, np.nan))


def score_from_deduction(weight: float, d: np.ndarray, penalty: bool) -> np.ndarray:
    """score = 100 (w − D) / w, floored at 0 unless the indicator is a penalty item."""
    score = 100.0 * (weight - d) / weight
    return score if penalty else np.maximum(score, 0.0)


class Rule:
    """Base of all rule types: parameter checks, formulas used, vectorized scoring."""

    name = ""

    def check_spec(self, ind: Indicator) -> None:
        pass

    def formulas(self, ind: Indicator) -> Iterable[tuple[str, str]]:
        if ind.metric:
            yield "metric", ind.metric

    def apply(self, ind: Indicator, env: expr.Env) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _need_metric(ind: Indicator) -> None:
        if not ind.metric:
            raise RuleSpecError("metric", "此规则需要指标公式(metric)", "this rule needs a metric formula")

    @staticmethod
    def _number(ind: Indicator, key: str, *, default: float | None = None, positive: bool = False) -> float:
        value = ind.params.get(key, default)
        if value is None:
            raise RuleSpecError(f"params.{key}", f"缺少参数 {key}", f"parameter {key} is missing")
        if finite(value) is None:
            raise RuleSpecError(f"params.{key}", f"参数 {key} 应为数字（绝对值不超过 {MAX_NUMBER:g}），实际为 {_shown(value)}",
                                f"parameter {key} must be a number (at most {MAX_NUMBER:g} in size), got {_shown(value)}")
        if positive and value <= 0:
            raise RuleSpecError(f"params.{key}", f"参数 {key} 应大于 0，实际为 {value!r}",
                                f"parameter {key} must be greater than 0, got {value!r}")
        return float(value)


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


RULES: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    RULES[cls.name] = cls()
    return cls


@register
class Bands(Rule):
    """Score by bands of the metric: ``[{min, score}|{min, factor}]`` highest first, else ``below``."""

    name = "bands"

    def check_spec(self, ind):
        self._need_metric(ind)
        bands = ind.params.get("bands")
        if not isinstance(bands, (list, tuple)) or not bands:
            raise RuleSpecError("params.bands", "需要至少一个分段 bands", "needs a non-empty list of bands")
        mins = []
        for i, band in enumerate(bands):
            if not isinstance(band, dict) or "min" not in band or ("score" in band) == ("factor" in band):
                raise RuleSpecError(f"params.bands[{i + 1}]", "每个分段需要 min，以及 score 或 factor 之一",
                                    "each band needs min and exactly one of score or factor")
            for key in ("min", "score", "factor"):
                if finite(band.get(key, 0)) is None:
                    raise RuleSpecError(f"params.bands[{i + 1}].{key}", f"{key} 应为数字", f"{key} must be a number")
            mins.append(band["min"])
        if mins != sorted(mins, reverse=True):
            raise RuleSpecError("params.bands", "分段须按 min 从高到低排列", "bands must go from the highest min down")
        self._number(ind, "below", default=0.0)
        if "cap" in ind.params:
            self._number(ind, "cap")

    def apply(self, ind, env):
        r = expr.parse(ind.metric).evaluate(env).astype(float)
        below = float(ind.params.get("below", 0.0))
        score = np.full(env.n, below)
        done = np.zeros(env.n, dtype=bool)
        for band in ind.params["bands"]:
            hit = ~done & (r >= float(band["min"]))
            value = float(band["score"]) * np.ones(env.n) if "score" in band else float(band["factor"]) * r
            score = np.where(hit, value, score)
            done |= hit
        if "cap" in ind.params:
            score = np.minimum(score, float(ind.params["cap"]))
        score = np.where(np.isnan(r), np.nan, score)
        return Outcome(score, r, data={"lowest_min": float(ind.params["bands"][-1]["min"])})


@register
class Ratio(Rule):
    """score = 100 × min(cap, metric / target)."""

    name = "ratio"

    def check_spec(self, ind):
        self._need_metric(ind)
        target = ind.params.get("target")
        if isinstance(target, (int, float)) and not isinstance(target, bool):
            target = str(target)
        if not isinstance(target, str):
            raise RuleSpecError("params.target", "需要目标 target（数字或公式）", "needs a target (number or formula)")
        self._number(ind, "cap", default=1.0, positive=True)

    def formulas(self, ind):
        yield "metric", ind.metric
        yield "params.target", str(ind.params["target"])

    def apply(self, ind, env):
        m = expr.parse(ind.metric).evaluate(env).astype(float)
        t = expr.parse(str(ind.params["target"])).evaluate(env).astype(float)
        cap = float(ind.params.get("cap", 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            score = 100.0 * np.minimum(cap, m / np.where(t == 0, np.nan, t))
        return Outcome(score, m, data={"target": t})


@register
class PerItem(Rule):
    """Nominal points = each × count, capped at the weight."""

    name = "per_item"

    def check_spec(self, ind):
        self._need_metric(ind)
        self._number(ind, "each", positive=True)
        if "expected_per_quarter" in ind.params:
            self._number(ind, "expected_per_quarter")

    def apply(self, ind, env):
        n = expr.parse(ind.metric).evaluate(env).astype(float)
        w = float(ind.weight)
        earned = np.minimum(w, float(ind.params["each"]) * n)
        data: dict[str, Any] = {}
        if "expected_per_quarter" in ind.params:
            data["expected"] = float(ind.params["expected_per_quarter"]) * env.months / 3.0
        return Outcome(100.0 * earned / w, n, data=data)


@register
class Deduct(Rule):
    """Points per step of the gap below/above a target; several checks add up."""

    name = "deduct"

    def check_spec(self, ind):
        if not ind.checks:
            raise RuleSpecError("checks", "扣分规则至少需要一条检查(checks)", "a deduct rule needs at least one check")
        for i, c in enumerate(ind.checks, 1):
            where = f"checks[{i}]"
            if c.direction not in DIRECTIONS:
                raise RuleSpecError(f"{where}.direction", f"方向应为 below/above，实际为 {c.direction!r}",
                                    f"direction must be below or above, got {c.direction!r}")
            if c.gap not in GAPS:
                raise RuleSpecError(f"{where}.gap", f"差距口径应为 points/relative，实际为 {c.gap!r}",
                                    f"gap must be points or relative, got {c.gap!r}")
            if c.rounding not in ROUNDINGS:
                raise RuleSpecError(f"{where}.rounding", f"取整方式应为 floor/ceil/linear，实际为 {c.rounding!r}",
                                    f"rounding must be floor, ceil or linear, got {c.rounding!r}")
            for key in ("step", "points"):
                v = getattr(c, key)
                if finite(v) is None or v <= 0:
                    raise RuleSpecError(f"{where}.{key}", f"{key} 应为正数，实际为 {_shown(v)}",
                                        f"{key} must be a positive number, got {_shown(v)}")

    def formulas(self, ind):
        for i, c in enumerate(ind.checks, 1):
            yield f"checks[{i}].metric", c.metric
            yield f"checks[{i}].target", str(c.target)

    def apply(self, ind, env):
        total = np.zeros(env.n)
        parts = []
        main_metric = None
        for c in ind.checks:
            value = expr.parse(c.metric).evaluate(env).astype(float)
            target = expr.parse(str(c.target)).evaluate(env).astype(float)
            gap = gap_of(value, target, c.direction, c.gap)
            steps = count_steps(gap, c.step, c.rounding)
            amount = steps * float(c.points)
            parts.append(Part("check", amount, {"spec": c, "value": value, "target": target, "gap": gap}))
            total = total + amount
            main_metric = value if main_metric is None else main_metric
        return Outcome(score_from_deduction(float(ind.weight), total, ind.penalty), main_metric, parts)


@register
class Overdue(Rule):
    """Late responses: ``each`` point per case, a full ``batch`` costs ``batch_points``."""

    name = "overdue"

    def check_spec(self, ind):
        self._need_metric(ind)
        self._number(ind, "each", positive=True)
        self._number(ind, "batch", positive=True)
        self._number(ind, "batch_points", positive=True)

    def apply(self, ind, env):
        n = expr.parse(ind.metric).evaluate(env).astype(float)
        batch = float(ind.params["batch"])
        full = np.floor(n / batch + STEP_TOLERANCE)
        rest = np.maximum(n - full * batch, 0.0)
        d = full * float(ind.params["batch_points"]) + rest * float(ind.params["each"])
        part = Part("overdue", d, {"count": n, "full": full, "rest": rest, "params": ind.params})
        return Outcome(score_from_deduction(float(ind.weight), d, ind.penalty), n, [part])


@register
class WeightedCount(Rule):
    """Σ points × count over several count columns (violations)."""

    name = "weighted_count"

    def check_spec(self, ind):
        counts = ind.params.get("counts")
        if not isinstance(counts, dict) or not counts:
            raise RuleSpecError("params.counts", "需要 counts：列 → 每次扣分", "needs counts: column → points each")
        for col, pts in counts.items():
            if finite(pts) is None or pts < 0:
                raise RuleSpecError(f"params.counts.{col}", "每次扣分应为非负数", "points each must be a non-negative number")

    def formulas(self, ind):
        for col in ind.params["counts"]:
            yield f"params.counts.{col}", col

    def apply(self, ind, env):
        total = np.zeros(env.n)
        parts = []
        for col, pts in ind.params["counts"].items():
            n = expr.parse(col).evaluate(env).astype(float)
            amount = n * float(pts)
            parts.append(Part("violations", amount, {"column": col, "count": n, "each": float(pts)}))
            total = total + amount
        return Outcome(score_from_deduction(float(ind.weight), total, ind.penalty), total, parts)


def apply_gate(ind: Indicator, env: expr.Env, outcome: Outcome) -> Outcome:
    """Score 0 where the gate metric is below its minimum (NaN where it is unknown)."""
    if ind.gate is None:
        return outcome
    value = expr.parse(ind.gate.metric).evaluate(env).astype(float)
    unknown = np.isnan(value)
    fail = ~unknown & (value < float(ind.gate.min))
    score = np.where(unknown, np.nan, np.where(fail, 0.0, outcome.score))
    for part in outcome.parts:
        part.amount = np.where(fail, 0.0, part.amount)
    gate_part = Part("gate", np.where(fail, float(ind.weight), 0.0), {"spec": ind.gate, "value": value})
    return Outcome(score, outcome.metric, [gate_part, *outcome.parts], outcome.data)
