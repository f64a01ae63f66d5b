"""What HR types in the scheme sheet, read as the ids the engine knows.

HR writes names, not ids: an input column in a formula by its Chinese (or English) name
(``商城搜索UV / 本期UV``), a group by its name (``流量与转化``), a rule or a direction by its word
(``扣分``, ``低于``), a percentage as ``12%``. :class:`Names` holds the name → id maps of one
scheme sheet and turns each of these into what the engine reads; anything it does not know is
left as typed, so the scheme's own check reports it (at its cell, with an example).

The engine's scheme stays in ids: the same scheme whether it was typed with names or ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kpi_engine.i18n import tr
from kpi_engine.numbers import parse_number

from .layout import layout
from .scheme_tables import VOCABULARIES

# what a Chinese keyboard types for the formula language's operators, as the language has them
_OPERATORS = str.maketrans({"×": "*", "÷": "/", "（": "(", "）": ")", "，": ",", "－": "-", "＋": "+", "＜": "<",
                            "＞": ">", "＝": "=", "≥": ">=", "≤": "<=", "‘": "'", "’": "'", "“": '"', "”": '"',
                            "\u3000": " "})
# a number with a unit parse_number reads (12% → 0.12, ３％, 1.5万), not part of a name
_SCALED_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|[０-９]+(?:[.．][０-９]+)?)\s*([%％万亿])")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def vocabulary(field: str) -> dict[str, str]:
    """Every accepted word of a field's vocabulary (case-folded) → its id: the id itself and its
    word in each language (catalog ``scheme_sheet.<field>_<id>``)."""
    out: dict[str, str] = {}
    for vid in VOCABULARIES[field]:
        for word in (vid, tr(f"scheme_sheet.{field}_{vid}", "zh"), tr(f"scheme_sheet.{field}_{vid}", "en")):
            out.setdefault(word.casefold(), vid)
    return out


def word(field: str, vid: Any, lang: str) -> Any:
    """The word the sheet shows for ``vid`` of a vocabulary field (the value itself when unknown)."""
    if field in VOCABULARIES and vid in VOCABULARIES[field]:
        return tr(f"scheme_sheet.{field}_{vid}", lang)
    return vid


def unique_names(items: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """name → id for (id, names) pairs: names that name one id only and are no other item's id."""
    items = list(items)
    ids = {i for i, _ in items}
    seen: dict[str, set[str]] = {}
    for item_id, names in items:
        for name in names:
            name = str(name or "").strip()
            if name and name not in ids:
                seen.setdefault(name, set()).add(item_id)
    return {name: next(iter(owners)) for name, owners in seen.items() if len(owners) == 1}


class Names:
    """The name → id maps of one scheme sheet (input columns, groups, indicators, choices)."""

    def __init__(self, inputs: list[dict[str, Any]], groups: list[dict[str, Any]], indicators: list[dict[str, Any]]):
        def named(rows: list[dict[str, Any]]) -> dict[str, str]:
            return unique_names((str(d.get("id")), (d.get("name_zh"), d.get("name_en"))) for d in rows if d.get("id"))

        self.columns = named(inputs)
        self.groups = named(groups)
        self.indicators = named(indicators)
        self.owners = unique_names([("roster", (tr("scheme_sheet.roster", "zh"), tr("scheme_sheet.roster", "en")))]
                                   + [(s.owner, (s.zh, s.en)) for s in layout().inputs])
        aliases = [(str(k), v) for d in inputs for k, v in (d.get("choices") or {}).items()]
        self.choices = unique_names(aliases)
        # longest first, so that 上期UV is read before a column named UV would be
        self._by_length = sorted(self.columns, key=len, reverse=True)

    def column(self, text: Any) -> Any:
        """An input column typed by name → its id (unknown text as typed)."""
        return self.columns.get(str(text).strip(), text) if isinstance(text, str) else text

    def group(self, text: Any) -> Any:
        return self.groups.get(str(text).strip(), text) if isinstance(text, str) else text

    def indicator(self, text: Any) -> Any:
        return self.indicators.get(str(text).strip(), text) if isinstance(text, str) else text

    def owner(self, text: Any) -> Any:
        return self.owners.get(str(text).strip(), text) if isinstance(text, str) else text

    def choice(self, text: Any) -> Any:
        """A lookup key typed as a choice's alias (快消品) → the choice id (fmcg); ``*`` and unknown as typed."""
        return self.choices.get(str(text).strip(), text) if isinstance(text, str) else text

    def formula(self, text: Any) -> Any:
        """A formula with column names replaced by ids, numbers with a unit (12%, 1.5万) by their
        value, and full-width operators by the language's; quoted text (a table's name) is kept."""
        if not isinstance(text, str) or not text.strip():
            return text
        out, last = [], 0
        for m in _QUOTED.finditer(text):
            out.append(self._plain(text[last:m.start()]))
            out.append(m.group(0))
            last = m.end()
        out.append(self._plain(text[last:]))
        return "".join(out).strip()

    def _plain(self, text: str) -> str:
        """Part of a formula outside quotes: names at word bounds (a name inside a longer word is not it)."""
        out, i = [], 0
        while i < len(text):
            before = text[i - 1] if i else " "
            hit = None
            if not _word_char(before):
                hit = next((n for n in self._by_length if text.startswith(n, i)
                            and not _word_char(text[i + len(n):i + len(n) + 1] or " ")), None)
            if hit is not None:
                out.append(self.columns[hit])
                i += len(hit)
            else:
                out.append(text[i])
                i += 1
        plain = "".join(out)
        plain = _SCALED_NUMBER.sub(lambda m: repr(parse_number(m.group(0))), plain)
        return plain.translate(_OPERATORS)


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def resolve(data: dict[str, Any], names: Names) -> None:
    """The scheme dict read from the sheet, with every name HR typed turned into its id, in place:
    groups and parents, rules and the other vocabularies, columns in formulas and parameters,
    owners, constraint fields and lookup keys."""
    def vocab(d: dict[str, Any], field: str, key: str | None = None) -> None:
        key = key or field
        if isinstance(d.get(key), str) and d[key]:
            d[key] = vocabulary(field).get(d[key].strip().casefold(), d[key])

    for d in data.get("groups", []):
        d["parent"] = names.group(d.get("parent") or "")
    for d in data.get("inputs", []):
        vocab(d, "kind")
        d["owner"] = names.owner(d.get("owner") or "roster")
        if d.get("carry") and d["carry"] != "target":
            d["carry"] = names.formula(d["carry"])
    for d in data.get("indicators", []):
        d["group"] = names.group(d.get("group"))
        vocab(d, "rule")
        d["metric"] = names.formula(d.get("metric") or "")
        params = d.get("params") or {}
        if isinstance(params.get("target"), str):
            params["target"] = names.formula(params["target"])
        if isinstance(params.get("counts"), dict):
            params["counts"] = {names.column(k): v for k, v in params["counts"].items()}
        if isinstance(d.get("gate"), dict):
            d["gate"]["metric"] = names.formula(d["gate"].get("metric"))
        for c in d.get("checks", []):
            c["metric"], c["target"] = names.formula(c.get("metric")), names.formula(c.get("target"))
            for field in ("direction", "gap", "rounding"):
                vocab(c, field)
    for d in data.get("flags", []):
        d["when"] = names.formula(d.get("when"))
    for d in data.get("constraints", []):
        d["check"], d["field"] = names.formula(d.get("check")), names.column(d.get("field"))
    data["lookups"] = {table: {names.choice(k): v for k, v in keys.items()}
                       for table, keys in (data.get("lookups") or {}).items()}
