"""Reasons in numbers, in the user's language: one line per deduction, one per indicator.

Every number a reason shows comes from the rule's own arrays (value, target, gap, steps),
so the text always agrees with the score. Units: ``%`` shows a fraction as percent, ``x``
a plain ratio, ``pt`` a rating, ``""`` a count.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .rules import Outcome, Part
    from .scheme import Indicator, Scheme


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


def indicator_reason(ind: Indicator, out: Outcome, i: int, lang: str, scheme: Scheme) -> str:
    """One line that explains an indicator's score at row ``i``."""
    zh = lang == "zh"
    score = float(out.score[i])
    if math.isnan(score):
        return "数据不完整，无法计算" if zh else "incomplete data; not computed"
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
