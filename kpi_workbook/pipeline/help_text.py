"""What the help sheet (说明) says, as lines of values: generated from the scheme actually used,
so that it always says what compute computes. ``kpi new`` writes it, and compute rebuilds it as a
result block (:func:`help_block`) from the scheme it scored with, so an edit of 指标配置 shows here
at the next compute. :mod:`kpi_workbook.sheets.help_sheet` writes the lines with their styles;
texts come from the catalogs (section ``help``).

A help sheet written before compute recorded it as its own is recognised by its content
(:func:`looks_generated`): only then does compute replace it; a sheet of HR's is never replaced.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from kpi_engine.explain import formula_words, num
from kpi_engine.i18n import template, tr
from kpi_engine.model import Scheme
from kpi_engine.numbers import is_blank
from kpi_engine.rules import describe

from .calibration_input import column_label, columns
from .layout import PAY_KEY, RESULT_KEYS, input_columns, layout
from .policy_text import policy_texts
from .results import Block

AREAS = 7  # the seven areas of responsibility of the source article (section 一), help.area_<n>_*
NEW_STEPS = 6  # the steps of adding an indicator, help.new_<n>
WIDTHS = (20, 36, 30, 12, 70, 8)  # of columns A–F
ONE_LINE = ("title", "section", "note", "step")  # kinds of line never wrapped (they run on to the right)


@dataclass(frozen=True)
class HelpLine:
    """One line of the help sheet: its values from column A, and how it looks: ``title``,
    ``section``, ``note``, ``step`` (:data:`ONE_LINE`: one line of text, not wrapped, running on
    into the empty cells to its right), or ``head``, ``total``, ``text`` (each cell wrapped in its
    column, the row as tall as its longest cell)."""

    values: tuple[Any, ...]
    kind: str = "text"
    number_format: dict[int, str] | None = None  # 0-based column -> format


def help_lines(scheme: Scheme, period: str, lang: str) -> list[HelpLine]:
    """Every line of the help sheet for ``scheme``, in order (a blank line before each section)."""
    lines = [HelpLine((tr("help.title", lang, name=_scheme_name(scheme, lang), period=period),), "title"),
             HelpLine((tr("help.rebuilt", lang, config=layout().sheet("config", lang)),), "note")]
    for section in (_steps, _input_sheets, _indicators, _grades, _after_scores, _flags, _new_indicator, _sources,
                    _areas):
        lines += section(scheme, lang)
    return lines


def help_block(scheme: Scheme, period: str, lang: str) -> Block:
    """The help sheet as a result block (compute's, for the file and the add-in alike): its
    lines as rows, and each row's kind in ``row_kinds`` for the writers' styles."""
    lines = help_lines(scheme, period, lang)
    return Block("help", layout().sheet("help", lang), [list(line.values) for line in lines], header_rows=0,
                 number_formats={3: "0.00"}, widths=dict(enumerate(WIDTHS)), row_kinds=[line.kind for line in lines])


def looks_generated(grid: list[list[Any]]) -> bool:
    """Whether a help sheet holds only what the product writes there (a workbook from before
    compute recorded 说明 as its own): its title, its section titles in order, its fixed lines
    word for word, nothing beyond column F and nothing after the last line. Anything else is
    taken for HR's own sheet, which compute never replaces."""
    rows = [[v for v in row] for row in grid]
    while rows and all(is_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows or any(not is_blank(v) for row in rows for v in row[len(WIDTHS):]):
        return False
    first = [str(row[0]).strip() if row and not is_blank(row[0]) else "" for row in rows]
    for lang in ("zh", "en"):
        title = re.escape(template("help.title", lang)).replace(r"\{name\}", ".+").replace(r"\{period\}", ".+")
        sections = [tr(f"help.{k}", lang) for k in ("how_to_use", "inputs_title", "indicators_title", "grades_title")]
        at = [first.index(s) if s in first else -1 for s in sections]
        last = [str(v).strip() if not is_blank(v) else "" for v in rows[-1][:2]]
        if (re.fullmatch(title, first[0]) and -1 not in at and at == sorted(at)
                and tr("help.step_3", lang) in first
                and last == [tr(f"help.area_{AREAS}_name", lang), tr(f"help.area_{AREAS}_text", lang)]):
            return True
    return False


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
    return lines + [HelpLine(("", "", tr("help.total", lang), total), "total")] + _scaled(scheme, lang)


def _scaled(scheme: Scheme, lang: str) -> list[HelpLine]:
    """One line per group whose parts do not add up to its weight: they are scaled, and every
    point shown for them on this sheet and in the reasons is a scaled point (said once, here)."""
    weights: dict[str, float] = {}
    for item in (*scheme.groups, *scheme.indicators):
        parent = item.parent if hasattr(item, "parent") else item.group
        weights[parent] = weights.get(parent, 0.0) + float(item.weight)
    lines = []
    for g in scheme.groups:
        total = weights.get(g.id, 0.0)
        if total and not math.isclose(total, float(g.weight), rel_tol=1e-9):
            lines.append(HelpLine((tr("help.scaled", lang, group=g.name(lang), total=num(total), weight=num(g.weight)),),
                                  "step"))
    return lines


def _new_indicator(scheme: Scheme, lang: str) -> list[HelpLine]:
    """How to add an indicator, the new input column included (steps from the catalog)."""
    lay = layout()
    sheet = lay.inputs[0].name(lang)
    texts = [tr(f"help.new_{n}", lang, config=lay.sheet("config", lang), sheet=sheet, help=lay.sheet("help", lang))
             for n in range(1, NEW_STEPS + 1)]
    return _section("new_title", lang) + [HelpLine((t,), "step") for t in texts]


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


def _sources(scheme: Scheme, lang: str) -> list[HelpLine]:
    """The export columns kpi fill reads (the scheme's ``sources``): how each combines over days and
    shops (rates and averages are never summed) and where the platform's meaning differs from ours."""
    if not scheme.sources:
        return []
    lines = _section("sources_title", lang) + [_head("sources_head", lang)]
    for s in scheme.sources:
        target = scheme.input(s.input).name(lang) if s.input else tr("help.source_not_written", lang)
        if s.use in ("date", "shop", "ignore"):
            target = ""
        how = tr(f"help.source_use_{s.use}", lang, formula=s.formula)  # over field ids, shown as written
        lines.append(HelpLine((s.platform or tr("help.source_any_platform", lang),
                               " | ".join(s.headers), target, how, s.note(lang))))
    return lines


def _areas(scheme: Scheme, lang: str) -> list[HelpLine]:
    return _section("areas_title", lang) + [
        HelpLine((tr(f"help.area_{n}_name", lang), tr(f"help.area_{n}_text", lang))) for n in range(1, AREAS + 1)]
