"""What the help sheet (说明) says, as lines of values: generated from the scheme actually used,
so that it always says what compute computes. :mod:`kpi_workbook.sheets.help_sheet` writes the
lines with their styles; texts come from the catalogs (section ``help``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpi_engine.explain import formula_words, num
from kpi_engine.i18n import tr
from kpi_engine.model import Scheme
from kpi_engine.rules import describe

from .calibration_input import column_label, columns
from .layout import PAY_KEY, RESULT_KEYS, input_columns, layout
from .policy_text import policy_texts

AREAS = 7  # the seven areas of responsibility of the source article (section 一), help.area_<n>_*
WIDTHS = (20, 36, 30, 12, 70, 8)  # of columns A–F


@dataclass(frozen=True)
class HelpLine:
    """One line of the help sheet: its values from column A, and how it looks (``title``,
    ``section``, ``head``, ``total``, ``step``: one line of text that is not wrapped, or ``text``)."""

    values: tuple[Any, ...]
    kind: str = "text"
    number_format: dict[int, str] | None = None  # 0-based column -> format


def help_lines(scheme: Scheme, period: str, lang: str) -> list[HelpLine]:
    """Every line of the help sheet for ``scheme``, in order (a blank line before each section)."""
    lines = [HelpLine((tr("help.title", lang, name=_scheme_name(scheme, lang), period=period),), "title")]
    for section in (_steps, _input_sheets, _indicators, _grades, _after_scores, _flags, _areas):
        lines += section(scheme, lang)
    return lines


def _scheme_name(scheme: Scheme, lang: str) -> str:
    return scheme.meta.get("name_zh" if lang == "zh" else "name_en") or scheme.meta.get("id", "")


def _section(key: str, lang: str) -> list[HelpLine]:
    return [HelpLine(()), HelpLine((tr(f"help.{key}", lang),), "section")]


def _head(key: str, lang: str) -> HelpLine:
    return HelpLine(tuple(tr(f"help.{key}", lang).split("|")), "head")


def _steps(scheme: Scheme, lang: str) -> list[HelpLine]:
    lay, sep = layout(), tr("workbook.list_sep", lang)
    inputs = sep.join(s.name(lang) for s in lay.inputs)
    pay = [PAY_KEY] if scheme.pay is not None and scheme.pay.enabled else []
    results = "/".join(lay.sheet(k, lang) for k in (*RESULT_KEYS[:-1], *pay, RESULT_KEYS[-1]))
    texts = [tr("help.step_1", lang, inputs=inputs), tr("help.step_2", lang, config=lay.sheet("config", lang)),
             tr("help.step_3", lang), tr("help.step_4", lang, results=results)]
    return _section("how_to_use", lang) + [HelpLine((t,), "step") for t in texts]


def _input_sheets(scheme: Scheme, lang: str) -> list[HelpLine]:
    sep = tr("workbook.list_sep", lang)
    lines = _section("inputs_title", lang) + [_head("inputs_head", lang)]
    for sheet, fields in input_columns(scheme):
        own = sep.join(f.name(lang) for f in fields if f.owner != "roster")
        lines.append(HelpLine((sheet.name(lang), sheet.source_zh if lang == "zh" else sheet.source_en, own)))
    hr = sep.join(column_label(f, lang, scheme) for f in columns(scheme)[1:])
    lines.append(HelpLine((layout().sheet("calibration", lang), tr("calibration.help_source", lang), hr)))
    return lines


def _indicators(scheme: Scheme, lang: str) -> list[HelpLine]:
    lines = _section("indicators_title", lang) + [_head("indicators_head", lang)]
    for ind in scheme.indicators:
        top, grp = scheme.top_group(ind.group), scheme.group(ind.group)
        lines.append(HelpLine((top.name(lang), grp.name(lang) if grp.id != top.id else "", ind.name(lang),
                               round(scheme.effective_weight[ind.id], 4), describe(ind, scheme, lang),
                               tr("help.yes", lang) if ind.penalty else ""), number_format={3: "0.00"}))
    total = round(sum(scheme.effective_weight.values()), 4)
    return lines + [HelpLine(("", "", tr("help.total", lang), total), "total")]


def _grades(scheme: Scheme, lang: str) -> list[HelpLine]:
    lines = _section("grades_title", lang)
    for i, (grade, lo) in enumerate(scheme.grades):
        last = i == len(scheme.grades) - 1
        words = tr("help.grade_at_least", lang, min=num(lo)) if not last or lo > -1e8 else tr("help.grade_otherwise", lang)
        lines.append(HelpLine((grade, words)))
    return lines


def _after_scores(scheme: Scheme, lang: str) -> list[HelpLine]:
    title, texts = policy_texts(scheme, lang)
    return [HelpLine(()), HelpLine((title,), "section")] + [HelpLine((text,), "step") for text in texts]


def _flags(scheme: Scheme, lang: str) -> list[HelpLine]:
    if not scheme.flags:
        return []
    return _section("flags_title", lang) + [HelpLine((f.name(lang), formula_words(f.when, scheme, lang)))
                                           for f in scheme.flags]


def _areas(scheme: Scheme, lang: str) -> list[HelpLine]:
    return _section("areas_title", lang) + [
        HelpLine((tr(f"help.area_{n}_name", lang), tr(f"help.area_{n}_text", lang))) for n in range(1, AREAS + 1)]
