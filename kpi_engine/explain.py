"""Numbers and formulas in words: the formatting every reason, problem and rule description shares.

Units: ``%`` shows a fraction as percent, ``x`` a plain ratio, ``pt`` a rating, ``""`` a count.
Every number a reason shows comes from the rule's own arrays (value, target, gap, steps), so
the text always agrees with the score; the sentences themselves are the rules' own
(:mod:`kpi_engine.rules`), worded in the catalogs (:mod:`kpi_engine.i18n`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .expr import FUNCTIONS, PERIOD_NAMES
from .i18n import lang_of, tr

if TYPE_CHECKING:  # pragma: no cover
    from .model import Scheme


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


def column_texts(fn: Callable[[float], str], values: Any) -> list[str]:
    """``fn`` of each number of a column, as a list of texts, each distinct value formatted once:
    amounts, targets and scores repeat a lot, so a million reasons cost one call per distinct
    number and a spread by index, not a million calls. Values are told apart by their bits, so
    0.0 and -0.0 are each formatted on their own (their texts may differ)."""
    column = np.ascontiguousarray(values, dtype=float).ravel()
    if not len(column):
        return []
    _, first, inverse = np.unique(column.view(np.int64), return_index=True, return_inverse=True)
    words = np.array([fn(x) for x in column[first].tolist()], dtype=object)
    return words[inverse.ravel()].tolist()


@cache
def _function_words(lang: str) -> dict[str, str]:
    return {name: tr(f"words.{name}", lang) for name in (*FUNCTIONS, *PERIOD_NAMES)}


def formula_words(text: str, scheme: Scheme, lang: Any = "zh") -> str:
    """A formula with column ids replaced by their names: ``pv / uv`` → ``PV ÷ 本期UV``."""
    lang = lang_of(lang)
    names = {f.id: f.name(lang) for f in scheme.inputs}
    functions = _function_words(lang)

    def word(m: re.Match) -> str:
        w = m.group(0)
        return names.get(w) or functions.get(w, w)

    out = re.sub(r"'[^']*'|\"[^\"]*\"|[A-Za-z_]\w*", lambda m: m.group(0) if m.group(0)[0] in "'\"" else word(m), text)
    return out.replace(" / ", " ÷ ").replace(" * ", " × ")


_LOOKUP = re.compile(r"lookup\((\w+),\s*['\"](\w+)['\"]\)")


def target_words(text: Any, unit: str, scheme: Scheme, lang: Any = "zh") -> str:
    """A target for people: a number in its unit, a lookup as its table, else the formula in words."""
    lang = lang_of(lang)
    t = str(text).strip()
    try:
        return fmt(float(t), unit, exact=True)
    except ValueError:
        pass
    m = _LOOKUP.fullmatch(t)
    if m and m.group(2) in scheme.lookups:
        field = next((f for f in scheme.inputs if f.id == m.group(1)), None)
        choices = field.choices if field else {}
        other = tr("rule.lookup_other", lang)
        items = [f"{other if k == '*' else (choices.get(k) or (k,))[0]} {fmt(v, unit, exact=True)}"
                 for k, v in scheme.lookups[m.group(2)].items()]
        return tr("rule.lookup_target", lang, field=scheme.field_name(m.group(1), lang),
                  items=tr("rule.lookup_separator", lang).join(items))
    return formula_words(t, scheme, lang)
