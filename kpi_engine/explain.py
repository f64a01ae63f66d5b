"""Reasons in numbers, in the user's language: one line per deduction, one per indicator.

Every number a reason shows comes from the rule's own arrays (value, target, gap, steps),
so the text always agrees with the score. Units: ``%`` shows a fraction as percent, ``x``
a plain ratio, ``pt`` a rating, ``""`` a count.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .model import Indicator, Scheme
    from .rules import Outcome, Part


def num(x: float, decimals: int = 2) -> str:
    """A number with at most ``decimals`` decimals, trailing zeros dropped (15.0 → 15)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt(value: float, unit: str, *, exact: bool = False) -> str:
    """A metric value for a reason: 0.16 with unit % → '16.0%' (targets: '15%')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "%":
        return f"{num(value * 100, 2)}%" if exact else f"{value * 100:.1f}%"
    if unit in ("x", "pt"):
        return num(value, 2) if exact else f"{value:.2f}"
    return num(value, 2)


_FUNC_WORDS = {"mean": ("平均", "mean"), "coalesce": ("优先取", "first of"), "lookup": ("查表", "lookup"),
               "min": ("较小值", "min"), "max": ("较大值", "max"), "months": ("月数", "months"),
               "quarters": ("季度数", "quarters")}


def formula_words(text: str, scheme: Scheme, lang: str = "zh") -> str:
    """A formula with column ids replaced by their names: ``pv / uv`` → ``PV ÷ 本期UV``."""
    zh = lang == "zh"
    names = {f.id: f.name(lang) for f in scheme.inputs}

    def word(m: re.Match) -> str:
        w = m.group(0)
        return names.get(w) or _FUNC_WORDS.get(w, (w, w))[0 if zh else 1]

    out = re.sub(r"'[^']*'|\"[^\"]*\"|[A-Za-z_]\w*", lambda m: m.group(0) if m.group(0)[0] in "'\"" else word(m), text)
    return out.replace(" / ", " ÷ ").replace(" * ", " × ")


def _label(spec: Any, ind: Indicator, lang: str) -> str:
    label = (getattr(spec, "label_zh", "") if lang == "zh" else getattr(spec, "label_en", "")) or ""
    return label or ind.name(lang)


def part_reason(ind: Indicator, part: Part, i: int, lang: str, scheme: Scheme) -> str:
    """The reason for one part's deduction at row ``i``."""
    zh = lang == "zh"
    d = num(float(part.amount[i]))
    if part.kind == "check":
        c = part.data["spec"]
        value = fmt(float(part.data["value"][i]), c.unit)
        target = fmt(float(part.data["target"][i]), c.unit, exact=True)
        gap = float(part.data["gap"][i])
        label = _label(c, ind, lang)
        if c.gap == "points":
            gap_text = f"{gap:.1f} 个百分点" if zh else f"{gap:.1f} points"
        else:
            gap_text = f"{gap:.1f}%"
        if zh:
            verb = "低于" if c.direction == "below" else "超出"
            return f"{label} {value} {verb} {target} 目标 {gap_text} → 扣 {d} 分"
        verb = "below" if c.direction == "below" else "above"
        return f"{label} {value} is {gap_text} {verb} the {target} target → −{d}"
    if part.kind == "gate":
        g = part.data["spec"]
        value = fmt(float(part.data["value"][i]), g.unit)
        label = _label(g, ind, lang)
        limit = fmt(float(g.min), g.unit, exact=True)
        if zh:
            return f"{label} {value} 低于 {limit} 门槛 → 本项不得分（扣 {d} 分）"
        return f"{label} {value} is under the {limit} threshold → indicator scores 0 (−{d})"
    if part.kind == "overdue":
        p = part.data["params"]
        n, full, rest = (int(part.data[k][i]) for k in ("count", "full", "rest"))
        if zh:
            return (f"超时 {n} 次（每满 {num(p['batch'])} 次扣 {num(p['batch_points'])} 分 × {full}，"
                    f"其余每次扣 {num(p['each'])} 分 × {rest}）→ 扣 {d} 分")
        return (f"{n} late (each full {num(p['batch'])} costs {num(p['batch_points'])} × {full}, "
                f"others {num(p['each'])} each × {rest}) → −{d}")
    if part.kind == "violations":
        name = scheme.field_name(part.data["column"], lang)
        n = int(part.data["count"][i])
        each = num(part.data["each"])
        return f"{name} {n} 次 × {each} 分 → 扣 {d} 分" if zh else f"{name} {n} × {each} → −{d}"
    raise ValueError(part.kind)  # pragma: no cover


def _memo(fn: Any) -> Any:
    """``fn`` of one argument, remembered per value (amounts, targets and scores repeat a lot)."""
    cache: dict[Any, str] = {}

    def call(x: Any) -> str:
        try:
            return cache[x]
        except KeyError:
            if x == 0:  # 0.0 and -0.0 are one key but may not be one text
                return fn(x)
            text = cache[x] = fn(x)
            return text

    return call


def part_reasons(ind: Indicator, part: Part, rows: Any, lang: str, scheme: Scheme) -> list[str]:
    """:func:`part_reason` for many rows at once: the same texts, formatted column-wise."""
    zh = lang == "zh"
    if not len(rows):
        return []
    amount = _memo(num)
    d = [amount(x) for x in part.amount[rows].tolist()]
    if part.kind == "check":
        c = part.data["spec"]
        value = _memo(lambda x: fmt(x, c.unit))
        target = _memo(lambda x: fmt(x, c.unit, exact=True))
        if c.gap == "points":
            gap = _memo((lambda x: f"{x:.1f} 个百分点") if zh else (lambda x: f"{x:.1f} points"))
        else:
            gap = _memo(lambda x: f"{x:.1f}%")
        label = _label(c, ind, lang)
        vs = part.data["value"][rows].tolist()
        ts = np.broadcast_to(part.data["target"], part.amount.shape)[rows].tolist()
        gs = part.data["gap"][rows].tolist()
        if zh:
            verb = "低于" if c.direction == "below" else "超出"
            return [f"{label} {value(v)} {verb} {target(t)} 目标 {gap(g)} → 扣 {x} 分" for v, t, g, x in zip(vs, ts, gs, d)]
        verb = "below" if c.direction == "below" else "above"
        return [f"{label} {value(v)} is {gap(g)} {verb} the {target(t)} target → −{x}" for v, t, g, x in zip(vs, ts, gs, d)]
    if part.kind == "gate":
        g = part.data["spec"]
        value = _memo(lambda x: fmt(x, g.unit))
        label = _label(g, ind, lang)
        limit = fmt(float(g.min), g.unit, exact=True)
        vs = part.data["value"][rows].tolist()
        if zh:
            return [f"{label} {value(v)} 低于 {limit} 门槛 → 本项不得分（扣 {x} 分）" for v, x in zip(vs, d)]
        return [f"{label} {value(v)} is under the {limit} threshold → indicator scores 0 (−{x})" for v, x in zip(vs, d)]
    if part.kind == "overdue":
        p = part.data["params"]
        batch, batch_points, each = num(p["batch"]), num(p["batch_points"]), num(p["each"])
        counts = zip(*(np.asarray(part.data[k])[rows].astype(int).tolist() for k in ("count", "full", "rest")), d)
        if zh:
            return [f"超时 {n} 次（每满 {batch} 次扣 {batch_points} 分 × {full}，其余每次扣 {each} 分 × {rest}）→ 扣 {x} 分"
                    for n, full, rest, x in counts]
        return [f"{n} late (each full {batch} costs {batch_points} × {full}, others {each} each × {rest}) → −{x}"
                for n, full, rest, x in counts]
    if part.kind == "violations":
        name = scheme.field_name(part.data["column"], lang)
        each = num(part.data["each"])
        ns = np.asarray(part.data["count"])[rows].astype(int).tolist()
        if zh:
            return [f"{name} {n} 次 × {each} 分 → 扣 {x} 分" for n, x in zip(ns, d)]
        return [f"{name} {n} × {each} → −{x}" for n, x in zip(ns, d)]
    raise ValueError(part.kind)  # pragma: no cover


def indicator_reason(ind: Indicator, out: Outcome, i: int, lang: str, scheme: Scheme,
                     reasons: list[str] | None = None) -> str:
    """One line that explains an indicator's score at row ``i`` (``reasons``: its parts' reasons
    at that row when the caller already has them, see :func:`part_reasons`)."""
    zh = lang == "zh"
    score = float(out.score[i])
    if math.isnan(score):
        return "数据不完整，无法计算" if zh else "incomplete data; not computed"
    if reasons is None:
        reasons = [part_reason(ind, p, i, lang, scheme) for p in out.parts if float(p.amount[i]) > 0]
    score_text = f"得分 {num(score, 1)}" if zh else f"score {num(score, 1)}"
    if reasons:
        return "；".join(reasons) + ("，" if zh else "; ") + score_text if zh else "; ".join(reasons) + "; " + score_text
    m = float(out.metric[i]) if out.metric is not None else float("nan")
    if ind.rule == "bands":
        value = fmt(m, ind.unit or "%")
        lowest = fmt(out.data["lowest_min"], ind.unit or "%", exact=True)
        if score == 0 and m < out.data["lowest_min"]:
            return f"{ind.name(lang)} {value}，低于 {lowest} → 0 分" if zh else f"{ind.name(lang)} {value}, under {lowest} → 0"
        return f"{ind.name(lang)} {value}，{score_text}" if zh else f"{ind.name(lang)} {value}, {score_text}"
    if ind.rule == "ratio":
        t = fmt(float(out.data["target"][i]), ind.unit or "x", exact=True)
        value = fmt(m, ind.unit or "x")
        return f"{ind.name(lang)} {value}（目标 {t}），{score_text}" if zh else f"{ind.name(lang)} {value} (target {t}), {score_text}"
    if ind.rule == "per_item":
        each = num(float(ind.params["each"]))
        text = (f"{ind.name(lang)} {num(m)} 个 × {each} 分，{score_text}" if zh
                else f"{ind.name(lang)} {num(m)} × {each}, {score_text}")
        expected = out.data.get("expected")
        if expected is not None and m < expected:
            text += f"（本期应不少于 {num(expected)} 个）" if zh else f" (at least {num(expected)} expected this period)"
        return text
    return f"{ind.name(lang)}：{score_text}" if zh else f"{ind.name(lang)}: {score_text}"
