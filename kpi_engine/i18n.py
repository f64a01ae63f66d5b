"""The product's one vocabulary of language: which language a user reads, and every text in it.

``lang_of`` turns whatever names a language (``"zh"``, ``"en"``, ``"English"``, ``None``, a
workbook's meta value) into ``"zh"`` or ``"en"``: Simplified Chinese unless English is asked for.
``tr`` gives a message from the catalog of that language: ``locale/zh.toml`` and
``locale/en.toml``, one table per language with the same keys (``section.name``) and the same
``{fields}`` in each (a test checks it), so wording is decided in one place and translated in one.

Templates hold plain ``{name}`` fields only (no format specs): numbers are formatted by the code
that knows their unit, then put in. For texts built for many rows at once (reasons), fetch the
template once with :func:`template` and fill it column-wise with :func:`fill`.
"""

from __future__ import annotations

import sys
from functools import cache, lru_cache
from importlib import resources
from itertools import repeat
from string import Formatter
from typing import Any, NamedTuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LANGS = ("zh", "en")


def lang_of(value: Any = None) -> str:
    """``"en"`` when ``value`` names English (``en``, ``en-US``, ``English``), else ``"zh"``."""
    if not isinstance(value, str):
        return "zh"
    if value in LANGS:  # the common case, already decided
        return value
    return "en" if value.strip().lower().startswith("en") else "zh"


@cache
def catalog(lang: str) -> dict[str, str]:
    """Every message of ``lang`` by its dotted key (``problem.missing``)."""
    data = tomllib.loads(resources.files("kpi_engine").joinpath("locale", f"{lang_of(lang)}.toml").read_text("utf-8"))
    out: dict[str, str] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(f"{prefix}{key}.", value)
            else:
                out[f"{prefix}{key}"] = str(value)

    walk("", data)
    return out


class PerLang(NamedTuple):
    """A field value that is written differently per language (a list joined with 、 or with a
    comma); :func:`tr` puts in the one of the language it renders."""

    zh: str
    en: str


def template(key: str, lang: Any = "zh") -> str:
    """The message ``key`` in ``lang`` with its ``{fields}`` still in (for :func:`fill`)."""
    return catalog(lang_of(lang))[key]


def tr(key: str, lang: Any = "zh", /, **fields: Any) -> str:
    """The message ``key`` in ``lang``, its ``{fields}`` filled in (a :class:`PerLang` value
    gives the language's own)."""
    lang = lang_of(lang)
    text = catalog(lang)[key]
    if not fields:
        return text
    return text.format(**{k: (v.zh if lang == "zh" else v.en) if isinstance(v, PerLang) else v
                          for k, v in fields.items()})


def both(key: str, /, **fields: Any) -> tuple[str, str]:
    """(zh, en) of the message ``key``: for errors, which carry both."""
    return tr(key, "zh", **fields), tr(key, "en", **fields)


def quoted(value: Any, limit: int = 60) -> str:
    """A value as messages quote it: its ``repr`` (text in quotes, control characters escaped),
    cut to ``limit`` characters with "…"."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=1024)
def _pieces(text: str) -> tuple[tuple[str, str | None], ...]:
    """A template as (literal text, field name or None) pairs, in order."""
    return tuple((literal, name) for literal, name, _, _ in Formatter().parse(text))


def fill(text: str, /, **columns: str | list[str]) -> list[str]:
    """The template ``text`` filled in for many rows at once: each field is either one str (the
    same in every row) or a list of str (one per row; all lists of one length, at least one list).

    As fast as an f-string per row: the constant parts are joined once, and each row is one
    ``"".join`` of its pieces, so reasons for a million rows cost no catalog lookup per row.
    """
    pieces: list[Any] = []
    constant = ""
    rows = False
    for literal, name in _pieces(text):
        constant += literal
        if name is None:
            continue
        value = columns[name]
        if isinstance(value, str):
            constant += value
            continue
        if constant:
            pieces.append(repeat(constant))
            constant = ""
        pieces.append(iter(value))
        rows = True
    if not rows:
        raise ValueError(f"fill() needs a field given as a list (one value per row): {text!r}")
    if constant:
        pieces.append(repeat(constant))
    return list(map("".join, zip(*pieces)))
