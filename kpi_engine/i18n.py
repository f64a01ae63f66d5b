"""The product's one vocabulary of language: which language a user reads, and every text in it.

``lang_of`` turns whatever names a language (``"zh"``, ``"en"``, ``"English"``, ``None``, a
workbook's meta value) into ``"zh"`` or ``"en"``: Simplified Chinese unless English is asked for.
``tr`` gives a message from the catalog of that language: ``locale/zh.toml`` and
``locale/en.toml``, one table per language with the same keys (``section.name``) and the same
``{fields}`` in each (a test checks it), so wording is decided in one place and translated in one.
"""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LANGS = ("zh", "en")


def lang_of(value: Any = None) -> str:
    """``"en"`` when ``value`` names English (``en``, ``en-US``, ``English``), else ``"zh"``."""
    return "en" if isinstance(value, str) and value.strip().lower().startswith("en") else "zh"


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


def tr(key: str, lang: Any = "zh", /, **fields: Any) -> str:
    """The message ``key`` in ``lang``, its ``{fields}`` filled in."""
    template = catalog(lang_of(lang))[key]
    return template.format(**fields) if fields else template


def both(key: str, /, **fields: Any) -> tuple[str, str]:
    """(zh, en) of the message ``key``: for errors, which carry both."""
    return tr(key, "zh", **fields), tr(key, "en", **fields)
