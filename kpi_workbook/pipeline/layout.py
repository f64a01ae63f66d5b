"""The workbook layout (templates/layout.toml): sheet names, rows, input sheets, result sheets."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from kpi_engine.model import InputField, Scheme

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RESULT_KEYS = ("scores", "deductions", "guide", "summary", "problems")  # written by every compute
PAY_KEY = "pay"  # the result sheet written when the scheme's pay section is on


@dataclass(frozen=True)
class InputSheet:
    owner: str
    zh: str
    en: str
    source_zh: str
    source_en: str

    def name(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Layout:
    label_row: int
    id_row: int
    first_data_row: int
    sheets: dict[str, dict[str, str]]  # help, config, calibration, meta -> {zh, en}
    inputs: tuple[InputSheet, ...]
    results: dict[str, dict[str, str]]  # key -> {zh, en}

    def sheet(self, key: str, lang: str = "zh") -> str:
        """Name of a fixed sheet (help, config, calibration, meta) or a result sheet, in ``lang``."""
        names = self.sheets.get(key) or self.results[key]
        return names["zh" if lang == "zh" else "en"]

    def result_names(self, key: str) -> tuple[str, str]:
        """Both names (zh, en) a result sheet may have."""
        return self.results[key]["zh"], self.results[key]["en"]

    def all_result_names(self) -> set[str]:
        """Every name (both languages) of every result sheet compute may write."""
        return {n for key in self.results for n in self.result_names(key)}


@lru_cache(maxsize=1)
def layout() -> Layout:
    data = tomllib.loads(resources.files("kpi_workbook.templates").joinpath("layout.toml").read_text("utf-8"))
    rows = data["rows"]
    return Layout(
        label_row=int(rows["label"]),
        id_row=int(rows["id"]),
        first_data_row=int(rows["first_data"]),
        sheets={k: dict(v) for k, v in data["sheets"].items()},
        inputs=tuple(InputSheet(**d) for d in data["inputs"]),
        results={k: dict(v) for k, v in data["results"].items()},
    )


def input_columns(scheme: Scheme) -> list[tuple[InputSheet, list[InputField]]]:
    """Each input sheet with its columns: the roster fields, then the sheet's own inputs.

    Inputs whose owner has no sheet in the layout go to the first sheet, so that every input
    has exactly one place; inputs owned by another sheet of the layout (``calibration``: HR's
    校准 sheet, see :func:`calibration_inputs`) are on that sheet instead.
    """
    sheets = layout().inputs
    owners = {s.owner for s in sheets} | set(layout().sheets)
    roster = [f for f in scheme.inputs if f.owner == "roster"]
    out = []
    for i, sheet in enumerate(sheets):
        own = [f for f in scheme.inputs if f.owner == sheet.owner or (i == 0 and f.owner not in owners | {"roster"})]
        out.append((sheet, roster + own))
    return out


def calibration_inputs(scheme: Scheme) -> list[InputField]:
    """The scheme's inputs that are columns of HR's 校准 sheet (owner ``calibration``: the pay base)."""
    return [f for f in scheme.inputs if f.owner == "calibration"]


def choice_label(f: InputField, value: Any, lang: str) -> Any:
    """A choice's id written as the drop-down offers it: in a Chinese book its first alias
    (apparel → 服装), in an English one the id; any other value as it is (HR's own word)."""
    aliases = f.choices.get(value) if isinstance(value, str) and lang == "zh" else None
    return aliases[0] if aliases else value
