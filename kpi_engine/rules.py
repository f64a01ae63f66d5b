"""Rule types: each is one class, defined once here, that owns everything about itself.

A rule type says which formulas it reads (:meth:`Rule.formulas`), checks its own parameters
and names the field in its errors (:meth:`Rule.check_spec`), scores whole columns at once
(:meth:`Rule.apply`), says what it does in words for the help sheet (:meth:`Rule.describe`),
and gives the reasons for its scores in numbers (:meth:`Rule.part_reasons` for the points a
part took off, :meth:`Rule.explanations` for rows that lost none). The gate (score 0 below a
minimum, any rule type may have one) is :data:`GATE`, with the same methods.

``apply`` returns an :class:`Outcome`: the 100-scale score per row, the main metric, and the
*parts* that took points off, each with the numbers its reason needs and the rule (or gate)
that words it. Every reason is built column-wise for many rows at once, from a catalog
template fetched once (:func:`kpi_engine.i18n.fill`); :mod:`kpi_engine.reasons` gathers them
per row for a result, and one row is the case of a list of one.

A new rule type is one subclass of :class:`Rule` decorated with :func:`register`; nothing else
in the engine changes (scheme checking, scoring, reasons and the help sheet all ask the rule).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import expr
from .explain import column_texts, fmt, formula_words, num, target_words
from .i18n import both, fill, lang_of, quoted, template, tr
from .kernels import ARRAY
from .model import DIRECTIONS, GAPS, ROUNDINGS, Indicator, Scheme
from .numbers import MAX_NUMBER, finite

STEP_TOLERANCE = 1e-9  # of a step: (0.95 - 0.85) / 0.05 counts as 2 steps


class RuleSpecError(ValueError):
    """A rule's parameters are wrong: ``field`` names the parameter; ``zh`` / ``en`` are the
    catalogs' ``scheme.<key>``. Scheme checking turns it into a located SchemeIssue."""

    def __init__(self, field: str, key: str, /, **fields: Any):
        self.field, self.key = field, key
        self.zh, self.en = both(f"scheme.{key}", **fields)
        super().__init__(self.en)


@dataclass
class Part:
    """One source of lost points for every row (a check, the gate, a count): the nominal points
    it takes off (0 none, NaN unknown), the rule (or the gate) that made it, which words its
    reasons (``source.part_reasons``), and the arrays and specs those reasons need."""

    amount: np.ndarray
    source: Rule | GateRule
    data: dict[str, Any] = field(default_factory=dict)
    # the weighted points it actually cost each row (the total's points, the effective weight's
    # share, capped with the indicator's floor); set by :mod:`kpi_engine.reasons` before the
    # reasons are asked for, which word only these
    lost: np.ndarray | None = None


@dataclass
class Outcome:
    """What a rule computed for every row: the score (100-scale, NaN where unknown), the main
    metric, the parts that took points off, and whatever else its explanations need."""

    score: np.ndarray
    metric: np.ndarray
    parts: list[Part] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def count_steps(gap: np.ndarray, step: float, rounding: str = "floor", xp: Any = ARRAY) -> np.ndarray:
    """Whole (or pro-rata) steps in a non-negative gap, robust to binary floating point."""
    x = xp.maximum(gap if xp.scalar else np.asarray(gap, dtype=float), 0.0) / float(step)
    if rounding == "floor":
        return xp.floor(x + STEP_TOLERANCE)
    if rounding == "ceil":
        return xp.maximum(xp.ceil(x - STEP_TOLERANCE), 0.0)
    return x


def gap_of(value: np.ndarray, target: np.ndarray, direction: str, gap: str, xp: Any = ARRAY) -> np.ndarray:
    """Shortfall (below) or excess (above) in percentage points or percent of the target."""
    raw = target - value if direction == "below" else value - target
    if gap == "points":
        return raw * 100.0
    # a zero target: no gap when the value is on the right side of it, undefined otherwise
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        relative = xp.safe_div(raw, xp.absolute(target)) * 100.0
    return xp.where(target != 0, relative, xp.where(raw <= 0, 0.0, np.nan))


def score_from_deduction(weight: float, d: np.ndarray, penalty: bool, xp: Any = ARRAY) -> np.ndarray:
    """score = 100 (w − D) / w, floored at 0 unless the indicator is a penalty item."""
    score = 100.0 * (weight - d) / weight
    return score if penalty else xp.maximum(score, 0.0)


def score_texts(scores: np.ndarray, lang: str) -> list[str]:
    """"百分制得分 85.5" / "score 85.5/100" for each score (one decimal), never negative: a penalty
    item's deductions beyond its weight come off the total (its reason says so), not its score."""
    shown = np.maximum(np.asarray(scores, dtype=float), 0.0)
    return fill(template("reason.score", lang), score=column_texts(lambda s: num(s, 1), shown))


def weight_factor(ind: Indicator, scheme: Scheme) -> float:
    """Weighted points per nominal point of ``ind``: its effective weight over its weight (1 unless
    its group's weights were scaled). Every number of points a person reads is multiplied by it."""
    effective = scheme.effective_weight.get(ind.id, float(ind.weight))
    return effective / float(ind.weight) if ind.weight else 1.0


class Rule:
    """Base of all rule types. Subclasses set ``name`` and override what they need."""

    name = ""
    # True when ``apply`` computes only through ``env.xp`` (kpi_engine.kernels), so that it scores one
    # row of floats as well as columns: the cell functions' fast path. A rule written with numpy
    # alone leaves it False, and one row is then scored as a table of one.
    scalar = False

    def check_spec(self, ind: Indicator) -> None:
        """Raise :class:`RuleSpecError` (naming the field) when the parameters cannot be used."""

    def formulas(self, ind: Indicator) -> Iterable[tuple[str, str]]:
        """(field, formula text) of every formula the rule reads: checked against the scheme's
        columns, and the columns an indicator needs (a blank one leaves it uncomputed)."""
        if ind.metric:
            yield "metric", ind.metric

    def apply(self, ind: Indicator, env: expr.Env) -> Outcome:  # pragma: no cover - abstract
        """The scores of every row of ``env``, with the parts that took points off."""
        raise NotImplementedError

    def describe(self, ind: Indicator, scheme: Scheme, lang: Any = "zh") -> str:
        """The indicator's whole rule in words (the help sheet's): the gate's condition, the
        rule's own parts (:meth:`describe_parts`), and whether it is a penalty item."""
        lang = lang_of(lang)
        parts = GATE.describe_parts(ind, scheme, lang) + self.describe_parts(ind, scheme, lang)
        if ind.penalty:
            parts.append(tr("rule.penalty", lang))
        return tr("rule.separator", lang).join(parts)

    def describe_parts(self, ind: Indicator, scheme: Scheme, lang: str) -> list[str]:
        """The rule's own clauses in words, from its parameters (``lang`` is "zh" or "en")."""
        return []

    def part_reasons(self, ind: Indicator, part: Part, rows: np.ndarray, lang: str, scheme: Scheme) -> list[str]:
        """The reason for the points ``part`` (one this rule made) took off at each of ``rows``."""
        raise NotImplementedError(f"rule {self.name!r} makes parts but gives no reasons for them")

    def explanations(self, ind: Indicator, outcome: Outcome, rows: np.ndarray, lang: str, scheme: Scheme) -> list[str]:
        """One line for each of ``rows`` (all scored, none lost points): why the score is what it is.
        By default the indicator's name and score."""
        return fill(template("reason.plain", lang), name=ind.name(lang), score=score_texts(outcome.score[rows], lang))

    def measures(self, ind: Indicator, outcome: Outcome, rows: np.ndarray, lang: str,
                 scheme: Scheme) -> tuple[list[str], list[str]]:
        """(actual, target) for each of ``rows``, as a scorecard shows them: the metric in the
        indicator's unit, and what it is measured against ("" when the rule has none)."""
        return column_texts(lambda m: fmt(m, ind.unit), outcome.metric[rows]), [""] * len(rows)

    # -- helpers for parameter checks -------------------------------------------------------
    @staticmethod
    def _need_metric(ind: Indicator) -> None:
        if not ind.metric:
            raise RuleSpecError("metric", "needs_metric")

    @staticmethod
    def _number(ind: Indicator, key: str, *, default: float | None = None, positive: bool = False) -> float:
        value = ind.params.get(key, default)
        if value is None:
            raise RuleSpecError(f"params.{key}", "missing_parameter", key=key)
        if finite(value) is None:
            raise RuleSpecError(f"params.{key}", "parameter_not_a_number", key=key, limit=f"{MAX_NUMBER:g}",
                                value=quoted(value))
        if positive and value <= 0:
            raise RuleSpecError(f"params.{key}", "parameter_not_positive", key=key, value=repr(value))
        return float(value)


RULES: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: make ``cls`` (a :class:`Rule` with a ``name``) a rule type schemes can use."""
    RULES[cls.name] = cls()
    return cls


def _label(spec: Any, ind: Indicator, lang: str) -> str:
    """A check's or the gate's label, else the indicator's name."""
    return spec.label(lang) or ind.name(lang)


@register
class Bands(Rule):
    """Score by bands of the metric: ``[{min, score}|{min, factor}]`` highest first, else ``below``."""

    name = "bands"
    scalar = True

    def check_spec(self, ind):
        self._need_metric(ind)
        bands = ind.params.get("bands")
        if not isinstance(bands, (list, tuple)) or not bands:
            raise RuleSpecError("params.bands", "bands_empty")
        mins = []
        for i, band in enumerate(bands):
            if not isinstance(band, dict) or "min" not in band or ("score" in band) == ("factor" in band):
                raise RuleSpecError(f"params.bands[{i + 1}]", "band_fields")
            for key in ("min", "score", "factor"):
                if finite(band.get(key, 0)) is None:
                    raise RuleSpecError(f"params.bands[{i + 1}].{key}", "band_not_a_number", key=key)
            mins.append(band["min"])
        if mins != sorted(mins, reverse=True):
            raise RuleSpecError("params.bands", "bands_order")
        self._number(ind, "below", default=0.0)
        if "cap" in ind.params:
            self._number(ind, "cap")

    def apply(self, ind, env):
        xp = env.xp
        r = env.column(ind.metric)
        below = float(ind.params.get("below", 0.0))
        score = xp.full(env.n, below)
        done = xp.falses(env.n)
        for band in ind.params["bands"]:
            hit = xp.not_(done) & (r >= float(band["min"]))
            value = xp.full(env.n, float(band["score"])) if "score" in band else float(band["factor"]) * r
            score = xp.where(hit, value, score)
            done = done | hit
        if "cap" in ind.params:
            score = xp.minimum(score, float(ind.params["cap"]))
        score = xp.where(xp.isnan(r), np.nan, score)
        return Outcome(score, r, data={"lowest_min": float(ind.params["bands"][-1]["min"])})

    def describe_parts(self, ind, scheme, lang):
        unit = ind.unit or "%"
        parts = []
        for b in ind.params["bands"]:
            low = fmt(float(b["min"]), unit, exact=True)
            if "score" in b:
                parts.append(tr("rule.band_score", lang, min=low, score=num(b["score"])))
            else:
                parts.append(tr("rule.band_factor", lang, min=low, factor=num(b["factor"])))
        parts.append(tr("rule.band_below", lang, score=num(float(ind.params.get("below", 0)))))
        parts[0] = tr("rule.band_metric", lang, metric=formula_words(ind.metric, scheme, lang), band=parts[0])
        return parts

    def explanations(self, ind, outcome, rows, lang, scheme):
        unit, lowest = ind.unit or "%", outcome.data["lowest_min"]
        metric, score = outcome.metric[rows], outcome.score[rows]
        under = (score == 0) & (metric < lowest)
        out = np.empty(len(rows), dtype=object)
        name, values = ind.name(lang), column_texts(lambda m: fmt(m, unit), metric)
        if under.any():
            out[under] = fill(template("reason.bands_under", lang), name=name, lowest=fmt(lowest, unit, exact=True),
                              value=[v for v, u in zip(values, under.tolist()) if u], score=score_texts(score[under], lang))
        if not under.all():
            out[~under] = fill(template("reason.bands", lang), name=name, score=score_texts(score[~under], lang),
                               value=[v for v, u in zip(values, under.tolist()) if not u])
        return out.tolist()

    def measures(self, ind, outcome, rows, lang, scheme):
        unit, full = ind.unit or "%", self.full_score_at(ind)
        target = "" if full is None else tr("report.at_least", lang, value=fmt(full, unit, exact=True))
        return column_texts(lambda m: fmt(m, unit), outcome.metric[rows]), [target] * len(rows)

    @staticmethod
    def full_score_at(ind: Indicator) -> float | None:
        """The lowest metric that scores 100 (None when no band does): a score band of 100 or more
        from its minimum, a factor band from 100 / factor within the band."""
        cap = float(ind.params.get("cap", math.inf))
        found, upper = [], math.inf
        for band in ind.params["bands"]:  # highest first
            low = float(band["min"])
            if "score" in band and float(band["score"]) >= 100:
                found.append(low)
            elif "factor" in band and float(band["factor"]) > 0 and max(low, 100 / float(band["factor"])) < upper:
                found.append(max(low, 100 / float(band["factor"])))
            upper = low
        return min(found) if found and cap >= 100 else None


@register
class Ratio(Rule):
    """score = 100 × min(cap, metric / target)."""

    name = "ratio"
    scalar = True

    def check_spec(self, ind):
        self._need_metric(ind)
        target = ind.params.get("target")
        if isinstance(target, (int, float)) and not isinstance(target, bool):
            target = str(target)
        if not isinstance(target, str):
            raise RuleSpecError("params.target", "needs_target")
        self._number(ind, "cap", default=1.0, positive=True)

    def formulas(self, ind):
        yield "metric", ind.metric
        yield "params.target", str(ind.params["target"])

    def apply(self, ind, env):
        xp = env.xp
        m = env.column(ind.metric)
        t = env.column(str(ind.params["target"]))
        cap = float(ind.params.get("cap", 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            score = 100.0 * xp.minimum(cap, xp.safe_div(m, t))
        return Outcome(score, m, data={"target": t})

    def describe_parts(self, ind, scheme, lang):
        target = target_words(ind.params["target"], ind.unit or "x", scheme, lang)
        return [tr("rule.ratio", lang, cap=num(float(ind.params.get("cap", 1))),
                   metric=formula_words(ind.metric, scheme, lang), target=target)]

    def explanations(self, ind, outcome, rows, lang, scheme):
        unit = ind.unit or "x"
        return fill(template("reason.ratio", lang), name=ind.name(lang),
                    value=column_texts(lambda m: fmt(m, unit), outcome.metric[rows]),
                    target=column_texts(lambda t: fmt(t, unit, exact=True), outcome.data["target"][rows]),
                    score=score_texts(outcome.score[rows], lang))

    def measures(self, ind, outcome, rows, lang, scheme):
        unit = ind.unit or "x"
        target = np.broadcast_to(outcome.data["target"], outcome.metric.shape)[rows]
        return (column_texts(lambda m: fmt(m, unit), outcome.metric[rows]),
                column_texts(lambda t: tr("report.at_least", lang, value=fmt(t, unit, exact=True)), target))


@register
class PerItem(Rule):
    """Nominal points = each × count, capped at the weight."""

    name = "per_item"
    scalar = True

    def check_spec(self, ind):
        self._need_metric(ind)
        self._number(ind, "each", positive=True)
        if "expected_per_quarter" in ind.params:
            self._number(ind, "expected_per_quarter")

    def apply(self, ind, env):
        n = env.column(ind.metric)
        w = float(ind.weight)
        earned = env.xp.minimum(w, float(ind.params["each"]) * n)
        data: dict[str, Any] = {}
        if "expected_per_quarter" in ind.params:
            data["expected"] = float(ind.params["expected_per_quarter"]) * env.months / 3.0
        return Outcome(100.0 * earned / w, n, data=data)

    def describe_parts(self, ind, scheme, lang):
        p = ind.params
        parts = [tr("rule.per_item", lang, metric=formula_words(ind.metric, scheme, lang),
                    each=num(float(p["each"]) * weight_factor(ind, scheme)))]
        if "expected_per_quarter" in p:
            parts.append(tr("rule.per_item_expected", lang, count=num(p["expected_per_quarter"])))
        return parts

    def explanations(self, ind, outcome, rows, lang, scheme):
        counts = outcome.metric[rows]
        each = float(ind.params["each"]) * weight_factor(ind, scheme)
        lines = fill(template("reason.per_item", lang), name=ind.name(lang), each=num(each),
                     count=column_texts(num, counts), score=score_texts(outcome.score[rows], lang))
        expected = outcome.data.get("expected")
        if expected is not None:
            short = tr("reason.per_item_expected", lang, count=num(expected))
            lines = [line + short if below else line for line, below in zip(lines, (counts < expected).tolist())]
        return lines

    def measures(self, ind, outcome, rows, lang, scheme):
        expected = outcome.data.get("expected", math.ceil(float(ind.weight) / float(ind.params["each"])))
        return (column_texts(num, outcome.metric[rows]), [tr("report.at_least", lang, value=num(expected))] * len(rows))


@register
class Deduct(Rule):
    """Points per step of the gap below/above a target; several checks add up."""

    name = "deduct"
    scalar = True

    def check_spec(self, ind):
        if not ind.checks:
            raise RuleSpecError("checks", "needs_checks")
        for i, c in enumerate(ind.checks, 1):
            where = f"checks[{i}]"
            if c.direction not in DIRECTIONS:
                raise RuleSpecError(f"{where}.direction", "direction", value=repr(c.direction))
            if c.gap not in GAPS:
                raise RuleSpecError(f"{where}.gap", "gap", value=repr(c.gap))
            if c.rounding not in ROUNDINGS:
                raise RuleSpecError(f"{where}.rounding", "rounding", value=repr(c.rounding))
            for key in ("step", "points"):
                v = getattr(c, key)
                if finite(v) is None or v <= 0:
                    raise RuleSpecError(f"{where}.{key}", "check_not_positive", key=key, value=quoted(v))

    def formulas(self, ind):
        for i, c in enumerate(ind.checks, 1):
            yield f"checks[{i}].metric", c.metric
            yield f"checks[{i}].target", str(c.target)

    def apply(self, ind, env):
        xp = env.xp
        total = xp.zeros(env.n)
        parts = []
        main_metric = None
        for c in ind.checks:
            value = env.column(c.metric)
            target = env.column(str(c.target))
            gap = gap_of(value, target, c.direction, c.gap, xp)
            steps = count_steps(gap, c.step, c.rounding, xp)
            amount = steps * float(c.points)
            parts.append(Part(amount, self, {"spec": c, "value": value, "target": target, "gap": gap}))
            total = total + amount
            main_metric = value if main_metric is None else main_metric
        return Outcome(score_from_deduction(float(ind.weight), total, ind.penalty, xp), main_metric, parts)

    def describe_parts(self, ind, scheme, lang):
        out, f = [], weight_factor(ind, scheme)
        for c in ind.checks:
            step = tr(f"rule.step_{c.gap}", lang, step=num(c.step))
            out.append(tr(f"rule.check_{c.direction}", lang, label=c.label(lang) or formula_words(c.metric, scheme, lang),
                          target=target_words(c.target, c.unit, scheme, lang), step=step, points=num(c.points * f),
                          rounding=tr(f"rule.rounding_{c.rounding}", lang)))
        return out

    def part_reasons(self, ind, part, rows, lang, scheme):
        c = part.data["spec"]
        gap_words = template(f"reason.gap_{c.gap}", lang)
        return fill(template(f"reason.check_{c.direction}", lang), label=_label(c, ind, lang),
                    value=column_texts(lambda x: fmt(x, c.unit), part.data["value"][rows]),
                    target=column_texts(lambda x: fmt(x, c.unit, exact=True),
                                        np.broadcast_to(part.data["target"], part.amount.shape)[rows]),
                    gap=fill(gap_words, gap=column_texts(lambda x: f"{x:.1f}", part.data["gap"][rows])),
                    lost=column_texts(num, part.lost[rows]))

    def measures(self, ind, outcome, rows, lang, scheme):
        actual, target = [], []
        for part in outcome.parts:
            if part.source is not self:
                continue  # the gate's part: its condition is not what the indicator is measured against
            c = part.data["spec"]
            values = column_texts(lambda x, u=c.unit: fmt(x, u), part.data["value"][rows])
            bound = "report.at_least" if c.direction == "below" else "report.at_most"
            targets = column_texts(lambda x, u=c.unit, b=bound: tr(b, lang, value=fmt(x, u, exact=True)),
                                   np.broadcast_to(part.data["target"], part.amount.shape)[rows])
            actual.append((_label(c, ind, lang), values))
            target.append((_label(c, ind, lang), targets))
        return _labelled(actual, lang), _labelled(target, lang)


@register
class Overdue(Rule):
    """Late responses: ``each`` point per case, a full ``batch`` costs ``batch_points``."""

    name = "overdue"
    scalar = True

    def check_spec(self, ind):
        self._need_metric(ind)
        self._number(ind, "each", positive=True)
        self._number(ind, "batch", positive=True)
        self._number(ind, "batch_points", positive=True)

    def apply(self, ind, env):
        xp = env.xp
        n = env.column(ind.metric)
        batch = float(ind.params["batch"])
        full = xp.floor(n / batch + STEP_TOLERANCE)
        rest = xp.maximum(n - full * batch, 0.0)
        d = full * float(ind.params["batch_points"]) + rest * float(ind.params["each"])
        part = Part(d, self, {"count": n, "full": full, "rest": rest, "params": ind.params})
        return Outcome(score_from_deduction(float(ind.weight), d, ind.penalty, xp), n, [part])

    def describe_parts(self, ind, scheme, lang):
        p, f = ind.params, weight_factor(ind, scheme)
        return [tr("rule.overdue", lang, metric=formula_words(ind.metric, scheme, lang), each=num(p["each"] * f),
                   batch=num(p["batch"]), batch_points=num(p["batch_points"] * f))]

    def part_reasons(self, ind, part, rows, lang, scheme):
        p, f = part.data["params"], weight_factor(ind, scheme)
        count, full, rest = (list(map(str, np.asarray(part.data[k])[rows].astype(int).tolist()))
                             for k in ("count", "full", "rest"))
        return fill(template("reason.overdue", lang), batch=num(p["batch"]), batch_points=num(p["batch_points"] * f),
                    each=num(p["each"] * f), count=count, full=full, rest=rest, lost=column_texts(num, part.lost[rows]))

    def measures(self, ind, outcome, rows, lang, scheme):
        return column_texts(num, outcome.metric[rows]), [tr("report.at_most", lang, value="0")] * len(rows)


@register
class WeightedCount(Rule):
    """Σ points × count over several count columns (violations)."""

    name = "weighted_count"
    scalar = True

    def check_spec(self, ind):
        counts = ind.params.get("counts")
        if not isinstance(counts, dict) or not counts:
            raise RuleSpecError("params.counts", "needs_counts")
        for col, pts in counts.items():
            if finite(pts) is None or pts < 0:
                raise RuleSpecError(f"params.counts.{col}", "count_points")

    def formulas(self, ind):
        for col in ind.params["counts"]:
            yield f"params.counts.{col}", col

    def apply(self, ind, env):
        total = env.xp.zeros(env.n)
        parts = []
        for col, pts in ind.params["counts"].items():
            n = env.column(col)
            amount = n * float(pts)
            parts.append(Part(amount, self, {"column": col, "count": n, "each": float(pts)}))
            total = total + amount
        return Outcome(score_from_deduction(float(ind.weight), total, ind.penalty, env.xp), total, parts)

    def describe_parts(self, ind, scheme, lang):
        f = weight_factor(ind, scheme)
        return [tr("rule.weighted_count", lang, name=scheme.field_name(col, lang), each=num(pts * f))
                for col, pts in ind.params["counts"].items()]

    def part_reasons(self, ind, part, rows, lang, scheme):
        return fill(template("reason.violations", lang), name=scheme.field_name(part.data["column"], lang),
                    each=num(part.data["each"] * weight_factor(ind, scheme)),
                    count=list(map(str, np.asarray(part.data["count"])[rows].astype(int).tolist())),
                    lost=column_texts(num, part.lost[rows]))

    def measures(self, ind, outcome, rows, lang, scheme):
        """The counts that are not 0, each with its column's name ("0" when none is)."""
        counts = [(scheme.field_name(p.data["column"], lang), np.asarray(p.data["count"], dtype=float)[rows])
                  for p in outcome.parts if p.source is self]
        sep = tr("report.measure_separator", lang)
        actual = []
        for k in range(len(rows)):
            values = [(name, c[k]) for name, c in counts]
            if any(np.isnan(v) for _, v in values):
                actual.append(fmt(math.nan, ""))
            else:
                shown = [tr("report.measure", lang, label=name, value=num(v)) for name, v in values if v]
                actual.append(sep.join(shown) or "0")
        return actual, [tr("report.at_most", lang, value="0")] * len(rows)


class GateRule:
    """The gate any indicator may have: score 0 where the gate metric is below its minimum (NaN
    where it is unknown). Not a rule type: it runs after the indicator's rule, on its outcome,
    and owns the same things a rule does (formulas, check, words, reasons)."""

    def check_spec(self, ind: Indicator) -> None:
        """Raise :class:`RuleSpecError` when the gate's minimum is not a number."""
        if ind.gate is not None and finite(ind.gate.min) is None:
            raise RuleSpecError("gate.min", "gate_min")

    def formulas(self, ind: Indicator) -> Iterable[tuple[str, str]]:
        """The gate's metric, when the indicator has a gate."""
        if ind.gate is not None:
            yield "gate.metric", ind.gate.metric

    def apply(self, ind: Indicator, env: expr.Env, outcome: Outcome) -> Outcome:
        """``outcome`` with the gate applied: a failing row scores 0 and loses only the gate's points."""
        if ind.gate is None:
            return outcome
        xp = env.xp
        value = env.column(ind.gate.metric)
        unknown = xp.isnan(value)
        fail = xp.not_(unknown) & (value < float(ind.gate.min))
        score = xp.where(unknown, np.nan, xp.where(fail, 0.0, outcome.score))
        for part in outcome.parts:
            part.amount = xp.where(fail, 0.0, part.amount)
        gate_part = Part(xp.where(fail, float(ind.weight), 0.0), self, {"spec": ind.gate, "value": value})
        return Outcome(score, outcome.metric, [gate_part, *outcome.parts], outcome.data)

    def describe_parts(self, ind: Indicator, scheme: Scheme, lang: str) -> list[str]:
        """The gate's condition in words (none without a gate)."""
        g = ind.gate
        if g is None:
            return []
        return [tr("rule.gate", lang, label=g.label(lang) or formula_words(g.metric, scheme, lang),
                   limit=fmt(float(g.min), g.unit, exact=True))]

    def part_reasons(self, ind: Indicator, part: Part, rows: np.ndarray, lang: str, scheme: Scheme) -> list[str]:
        """Where the gate failed: the gate metric, its minimum, and the weight lost."""
        g = part.data["spec"]
        return fill(template("reason.gate", lang), label=_label(g, ind, lang), limit=fmt(float(g.min), g.unit, exact=True),
                    value=column_texts(lambda x: fmt(x, g.unit), part.data["value"][rows]),
                    lost=column_texts(num, part.lost[rows]))


GATE = GateRule()


def _labelled(columns: list[tuple[str, list[str]]], lang: str) -> list[str]:
    """One text per row from the texts of several parts: alone as it is, several each behind its label."""
    if len(columns) == 1:
        return columns[0][1]
    sep = tr("report.measure_separator", lang)
    return [sep.join(tr("report.measure", lang, label=label, value=texts[k]) for label, texts in columns)
            for k in range(len(columns[0][1]))] if columns else []


def describe(ind: Indicator, scheme: Scheme, lang: Any = "zh") -> str:
    """The indicator's rule in words, as the help sheet gives it (gate and penalty included)."""
    return RULES[ind.rule].describe(ind, scheme, lang)
