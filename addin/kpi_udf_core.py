"""What the worksheet functions in :mod:`kpi_udfs` compute, as plain Python.

Every number comes from the engine: every scoring function goes through :func:`score_rows`
(one row: :func:`kpi_engine.one_row.score_one`, the scheme's compiled plan on floats, with
:func:`kpi_engine.score`'s values to the bit and no frame to build, and its problem texts from
:func:`kpi_engine.one_row.row_problems`; a table, or the reasons of a row: :func:`kpi_engine.score`), and a single deduction through
:func:`kpi_engine.rules.gap_of` / :func:`~kpi_engine.rules.count_steps`: no rule is implemented twice. Values arrive as xlwings gives them (floats, None
for blanks, ids such as 1001.0, 2-D lists), results leave as plain cell values, and every
problem becomes a short text starting ``#KPI!`` (under 255 characters) instead of an
exception, so a formula never shows a Python traceback. The scheme is the calling workbook's own
(:mod:`kpi_udf_scheme`, from the ``caller`` xlwings passes), the default one without a caller.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from kpi_udf_scheme import CellScheme, SchemeSheetError, default, for_caller

from kpi_engine import (
    DEFAULT_PERIOD,
    InputError,
    PeriodError,
    Scheme,
    ScoreResult,
    normalize_id,
    parse_period,
    score,
)
from kpi_engine.expr import parse as parse_expr
from kpi_engine.i18n import tr
from kpi_engine.inputs import label_map
from kpi_engine.model import DIRECTIONS, GAPS, ROUNDINGS
from kpi_engine.numbers import is_blank, parse_number
from kpi_engine.one_row import RowScores, row_problems, score_one
from kpi_engine.rules import RULES, count_steps, gap_of
from kpi_workbook.pipeline.results import plain

ERR = "#KPI! "
MAX_TEXT = 254  # Excel shows up to 255 characters returned by a function
ROW_ID = "ROW"  # the id given to a row that has no employee id of its own
_CJK = re.compile(r"[\u3400-\u9fff]")

ALIASES: dict[str, dict[str, str]] = {
    "what": {"points": "points", "point": "points", "折算分": "points", "加权分": "points", "分值": "points",
             "score": "score", "得分": "score", "分数": "score"},
    "direction": {"below": "below", "低于": "below", "不足": "below", "<": "below",
                  "above": "above", "高于": "above", "超出": "above", "超过": "above", ">": "above"},
    "gap": {"points": "points", "百分点": "points", "pt": "points", "pp": "points",
            "relative": "relative", "相对": "relative", "%": "relative", "percent": "relative"},
    "rounding": {"floor": "floor", "向下取整": "floor", "整步": "floor",
                 "ceil": "ceil", "向上取整": "ceil", "linear": "linear", "按比例": "linear", "线性": "linear"},
}
class UdfError(Exception):
    """A problem with a function's arguments or data; ``str`` is the user's message."""


def msg(key: str, lang: str = "zh", **kw: Any) -> str:
    """A message of the cell functions in ``lang`` (catalog section ``udf``)."""
    return tr(f"udf.{key}", lang, **kw)


def label(key: str, lang: str = "zh") -> str:
    """A column label, the same as the result sheets' (``label.<key>``)."""
    return tr(f"label.{key}", lang)


def arg_name(key: str, lang: str = "zh") -> str:
    """The name of an argument in messages (``udf.what_<key>``)."""
    return tr(f"udf.what_{key}", lang)


def error_text(message: str) -> str:
    """``#KPI! <first line>``, shortened to fit in a cell's function result."""
    line = " ".join(str(message).split())
    text = ERR + line
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def pick_lang(message: str, lang: str = "zh") -> str:
    """The zh or en half of an engine message written as ``中文 / English``."""
    head, sep, tail = str(message).rpartition(" / ")
    if not sep or _CJK.search(tail):
        return str(message)
    return tail if lang == "en" else head


def guarded(fn: Callable[..., Any], *args: Any, lang: str = "zh") -> Any:
    """Call ``fn``; any exception becomes a ``#KPI!`` text (engine messages in ``lang``)."""
    try:
        return fn(*args)
    except (UdfError, SchemeSheetError) as exc:
        return error_text(str(exc))
    except (InputError, PeriodError) as exc:
        return error_text(pick_lang(str(exc), lang))
    except Exception as exc:  # the cell's boundary: a short text, never a traceback
        return error_text(msg("unexpected", lang, kind=type(exc).__name__))


# -- values as xlwings passes them ----------------------------------------------


def blank(v: Any, dashes: bool = False) -> bool:
    """An empty cell (:func:`kpi_engine.numbers.is_blank`; a dash too in a number argument)."""
    return is_blank(v, dashes=dashes)


def cell(v: Any) -> Any:
    """A result as a cell value (:func:`kpi_workbook.pipeline.results.plain`), blank as '', and an
    infinite number as an error text rather than a blank."""
    if type(v) is float and v - v == 0.0:  # the common case, a finite number: as it is
        return v
    if isinstance(v, (float, np.floating)) and math.isinf(v):
        return error_text(msg("not_finite"))
    v = plain(v)
    return "" if v is None else v


def flat(values: Any) -> list[Any]:
    """A 1-D list from a scalar, a list, or a 2-D list with one row or one column."""
    if not isinstance(values, (list, tuple)):
        return [values]
    out: list[Any] = []
    for v in values:
        out.extend(v if isinstance(v, (list, tuple)) else [v])
    return out


def number(v: Any, what: str, lang: str = "zh", positive: bool = False) -> float:
    """A finite float from a cell value (text read as the engine reads it: kpi_engine.parse_number), else UdfError."""
    name = arg_name(what, lang)
    if blank(v, dashes=True):
        raise UdfError(msg("blank", lang, what=name))
    x = parse_number(v)
    if x is None:
        raise UdfError(msg("not_number", lang, what=name, value=str(v)[:40]))
    if positive and x <= 0:
        raise UdfError(msg("not_positive", lang, what=name))
    return x


def choice(v: Any, what: str, default: str | None = None, lang: str = "zh") -> str:
    """A keyword argument (direction, gap, rounding, what), in English or Chinese."""
    if blank(v) and default is not None:
        return default
    key = str(v).strip().lower() if not blank(v) else ""
    found = ALIASES[what].get(key)
    if found is None:
        allowed = {"direction": DIRECTIONS, "gap": GAPS, "rounding": ROUNDINGS, "what": ("points", "score")}[what]
        raise UdfError(msg("choice", lang, what=arg_name(what, lang), choices="/".join(allowed),
                           value=str(v)[:40]))
    return found


def period_of(v: Any) -> str:
    """A period label (DEFAULT_PERIOD when blank); a bad one raises the engine's PeriodError."""
    if blank(v):
        return DEFAULT_PERIOD
    if isinstance(v, float) and v.is_integer():  # a year typed as a number: 2026
        v = str(int(v))
    return parse_period(str(v)).label


# -- the engine on one row ------------------------------------------------------


def indicator_id(v: Any, cs: CellScheme, lang: str = "zh") -> str:
    """An indicator by id or by its Chinese/English name."""
    key = str(v).strip().lower() if not blank(v) else ""
    for ind in cs.scheme.indicators:
        if key in (ind.id.lower(), ind.name_zh.lower(), ind.name_en.lower()):
            return ind.id
    raise UdfError(msg("unknown_indicator", lang, value=str(v)[:40]))


def row_items(headers: Any, row: Any, cs: CellScheme, lang: str = "zh") -> tuple[tuple[str, Any], ...]:
    """(header, value) pairs of one employee's row; the row always has an employee id."""
    hs, vs = flat(headers), flat(row)
    if len(hs) != len(vs):
        raise UdfError(msg("lengths", lang, h=len(hs), r=len(vs)))
    items: list[tuple[str, Any]] = []
    has_id = False
    for h, v in zip(hs, vs):
        if blank(h):
            continue
        name = str(int(h)) if isinstance(h, float) and h.is_integer() else str(h).strip()
        if cs.labels.get(name.lower()) == "employee_id" and not has_id:
            has_id = True
            v = ROW_ID if normalize_id(v) is None else v
        items.append((name, None if blank(v) else v))
    if not has_id:
        items.append(("employee_id", ROW_ID))
    return tuple(items)


@dataclass
class Scored:
    """The engine's answer for the rows a cell function was given. One row: its values from the
    one-row fast path when it could score it (``fast``), its problems (``problems``) and the full
    :class:`ScoreResult` (reasons) made only when asked for. A table: the full result."""

    rows: Sequence[dict[str, Any]]
    scheme: Scheme
    period: str
    lang: str
    columns: list[str] | None = None
    fast: RowScores | None = None
    _result: ScoreResult | None = field(default=None, repr=False)
    _problems: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def problems(self) -> list[dict[str, Any]]:
        """The rows of ``score``'s problems table for these rows (dicts): for a row the fast path
        scored, from :func:`kpi_engine.one_row.row_problems` (no result frames to build)."""
        if self._problems is None:
            if self._result is None and self.fast is not None:
                self._problems = row_problems(self.fast, self.rows[0], self.scheme, self.period, self.lang)
            else:
                self._problems = self.result.problems.to_dict("records")
        return self._problems

    @property
    def result(self) -> ScoreResult:
        if self._result is None:
            if len(self.rows) == 1 and self.columns is None:
                frame = pd.DataFrame([dict(self.rows[0])])
            else:
                frame = pd.DataFrame.from_records(list(self.rows), columns=self.columns).astype(object)
            self._result = score(frame, self.scheme, period=self.period, lang=self.lang)
        return self._result

    @property
    def eid(self) -> str:
        """The (first) row's employee id, as the engine reads it."""
        if self.fast is not None:
            return self.fast.employee_id
        return str(self.result.total.index[0]) if len(self.result.total) else ROW_ID

    def value(self, what: str, indicator: str | None = None) -> Any:
        """The row's ``points`` or ``score`` of an indicator, its ``total`` or ``grade`` (NaN/None
        where the engine computed none)."""
        if self.fast is not None:
            got = self.fast
            return {"points": lambda: got.points[indicator], "score": lambda: got.scores[indicator],
                    "total": lambda: got.total, "grade": lambda: got.grade}[what]()
        result = self.result
        if what == "grade":
            return result.grade.iloc[0] if len(result.grade) else None
        if what == "total":
            return float(result.total.iloc[0]) if len(result.total) else float("nan")
        frame = result.points if what == "points" else result.scores
        return float(frame.iloc[0][indicator]) if len(frame) else float("nan")


def score_rows(rows: Sequence[dict[str, Any]], scheme: Scheme, period: str, lang: str,
               columns: list[str] | None = None) -> Scored:
    """Every scoring cell function's one way to the engine: rows (header → cell value; ``columns``
    the header order of a table) scored under ``scheme`` for ``period``. One row goes through the
    one-row fast path (the same values as ``score``), a table through ``score``."""
    scored = Scored(rows, scheme, period, lang, columns)
    if len(rows) == 1 and columns is None:
        scored.fast = score_one(canonical(rows[0], scheme), scheme, period)
    else:
        scored.result  # noqa: B018 - a table is scored at once
    return scored


def canonical(row: dict[str, Any], scheme: Scheme) -> dict[str, Any]:
    """A row's values by input id, its headers read as the engine reads a frame's columns (id or
    either label, any case; the first header of an input wins)."""
    labels = labels_of(scheme)
    out: dict[str, Any] = {}
    for name, value in row.items():
        fid = labels.get(str(name).strip().lower())
        if fid is not None and fid not in out:
            out[fid] = value
    return out


_LABELS: dict[str, dict[str, str]] = {}


def labels_of(scheme: Scheme) -> dict[str, str]:
    key = scheme.fingerprint()
    if key not in _LABELS:
        _LABELS[key] = label_map(scheme)
    return _LABELS[key]


class RowCache:
    """The last rows scored (a sheet of formulas over the same row scores it once)."""

    def __init__(self, size: int = 512):
        self.size, self.entries = size, OrderedDict()

    def get(self, key: Any, make: Callable[[], Scored]) -> Scored:
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        value = self.entries[key] = make()
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value

    def cache_clear(self) -> None:
        self.entries.clear()


ROWS = RowCache()


def score_items(items: tuple[tuple[str, Any], ...], period: str, lang: str, cs: CellScheme | None = None) -> Scored:
    """One row (header, value pairs) scored under ``cs`` (the default scheme when None), cached by
    the row and the scheme's fingerprint."""
    chosen = cs or default()
    return ROWS.get((chosen.key, items, period, lang), lambda: score_rows([dict(items)], chosen.scheme, period, lang))


score_items.cache_clear = ROWS.cache_clear  # type: ignore[attr-defined]


def score_row(headers: Any, row: Any, period: Any, cs: CellScheme | None = None, lang: str = "zh") -> Scored:
    chosen = cs or default()
    return score_items(row_items(headers, row, chosen, lang), period_of(period), lang, chosen)


def indicator_columns(indicator: str, cs: CellScheme) -> set[str]:
    """Input columns an indicator reads (from the rule's own formulas)."""
    ind = cs.scheme.indicator(indicator)
    texts = [text for _, text in RULES[ind.rule].formulas(ind)]
    if ind.gate is not None:
        texts.append(ind.gate.metric)
    return {col for text in texts for col in parse_expr(text).columns}


def row_problem(problems: list[dict[str, Any]], eid: str, fields: set[str] | None = None, lang: str = "zh") -> str:
    """The first error of the row (about ``fields`` when given), plus how many more there are;
    ``problems`` are rows of the problems table (errors without an employee id concern every row)."""
    mine = [p for p in problems if p["severity"] == "error" and (pd.isna(p["employee_id"]) or p["employee_id"] == eid)]
    if fields is not None:
        mine = [p for p in mine if p["field"] in fields] or mine
    if not mine:
        return msg("incomplete", lang)
    text = str(mine[0]["problem"])
    if len(mine) > 1:
        text += msg("more", lang, n=len(mine) - 1)
    return text


def value_or_problem(value: Any, scored: Scored, fields: set[str] | None, lang: str) -> Any:
    """The value as a cell, or the row's problem as ``#KPI!`` text when it is not computable."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise UdfError(row_problem(scored.problems, scored.eid, fields, lang))
    return cell(value)


# -- the functions ----------------------------------------------------------------


def single(v: Any, field: str, cs: CellScheme, lang: str = "zh") -> Any:
    """One cell's value; a range of several cells is an error, a 1×1 range its value."""
    if isinstance(v, (list, tuple)):
        values = flat(v)
        if len(values) != 1:
            raise UdfError(msg("single", lang, what=cs.scheme.field_name(field, lang)))
        v = values[0]
    return None if blank(v) else v


def sales_score(actual: Any, target: Any, caller: Any = None) -> Any:
    cs = for_caller(caller)
    ind = indicator_id("sales_achievement", cs)
    items = (("employee_id", ROW_ID), ("sales_actual", single(actual, "sales_actual", cs)),
             ("sales_target", single(target, "sales_target", cs)))
    scored = score_items(items, DEFAULT_PERIOD, "zh", cs)
    return value_or_problem(scored.value("score", ind), scored, {"sales_actual", "sales_target"}, "zh")


def deduction(value: Any, target: Any, direction: Any, gap: Any, step: Any, points: Any, rounding: Any) -> float:
    v, t = number(value, "value"), number(target, "target")
    d, g = choice(direction, "direction"), choice(gap, "gap")
    s, p = number(step, "step", positive=True), number(points, "points", positive=True)
    r = choice(rounding, "rounding", default="floor")
    with np.errstate(all="ignore"):
        gaps = gap_of(np.array([v]), np.array([t]), d, g)
        amount = float((count_steps(gaps, s, r) * p)[0])
    if math.isnan(amount):
        raise UdfError(msg("relative_zero"))
    if not math.isfinite(amount):
        raise UdfError(msg("not_finite"))
    return amount


def indicator_value(headers: Any, row: Any, indicator: Any, what: Any, period: Any, caller: Any = None) -> Any:
    cs = for_caller(caller)
    ind = indicator_id(indicator, cs)
    kind = choice(what, "what", default="points")
    scored = score_row(headers, row, period, cs)
    return value_or_problem(scored.value(kind, ind), scored, indicator_columns(ind, cs), "zh")


def total(headers: Any, row: Any, period: Any, caller: Any = None) -> Any:
    scored = score_row(headers, row, period, for_caller(caller))
    return value_or_problem(scored.value("total"), scored, None, "zh")


def grade(headers: Any, row: Any, period: Any, caller: Any = None) -> Any:
    scored = score_row(headers, row, period, for_caller(caller))
    return value_or_problem(scored.value("grade"), scored, None, "zh")


def explain(headers: Any, row: Any, indicator: Any, period: Any, caller: Any = None) -> str:
    cs = for_caller(caller)
    ind = indicator_id(indicator, cs)
    scored = score_row(headers, row, period, cs)
    if math.isnan(scored.value("score", ind)):
        raise UdfError(row_problem(scored.problems, scored.eid, indicator_columns(ind, cs), "zh"))
    return scored.result.explain(scored.eid, ind)


def table(grid: Any, period: Any, lang: str, caller: Any = None) -> list[list[Any]]:
    """Header + one row per scored employee: id, name, points per indicator, total, grade, flags, status."""
    from kpi_workbook.pipeline.reading import find_header

    cs = for_caller(caller)
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in (grid if isinstance(grid, (list, tuple)) else [[grid]])]
    found = find_header(rows, cs.scheme) if rows else None
    if found is None:
        raise UdfError(msg("no_header", lang))
    columns, first_data, _ = found
    records = [{fid: (r[c] if c < len(r) else None) for fid, c in columns.items()}
               for r in rows[first_data:] if any(not blank(v) for v in r)]
    scored = score_rows(records, cs.scheme, period_of(period), lang, columns=list(columns))
    frame = pd.DataFrame.from_records(records, columns=list(columns)).astype(object)
    return result_table(scored.result, frame, lang)


def first_problems(result: ScoreResult) -> Callable[[str], tuple[str, int] | None]:
    """``eid -> (first error text, number of errors)`` as :func:`row_problem` finds them with no
    ``fields`` (errors without an employee id count for every row), from one pass over the
    problems frame rather than one filter per row."""
    p = result.problems
    errors = p[p["severity"] == "error"]
    general: list[tuple[int, str]] = []  # (position, text) of the errors that concern every row
    own: dict[Any, list[Any]] = {}  # eid -> [first position, first text, count]
    for pos, (eid, text) in enumerate(zip(errors["employee_id"].tolist(), errors["problem"].tolist())):
        if pd.isna(eid):
            general.append((pos, str(text)))
        elif eid in own:
            own[eid][2] += 1
        else:
            own[eid] = [pos, str(text), 1]

    def lookup(eid: str) -> tuple[str, int] | None:
        mine = own.get(eid)
        if mine is None:
            return (general[0][1], len(general)) if general else None
        if general and general[0][0] < mine[0]:
            return general[0][1], len(general) + mine[2]
        return mine[1], len(general) + mine[2]

    return lookup


def result_table(result: ScoreResult, frame: pd.DataFrame, lang: str) -> list[list[Any]]:
    inds = list(result.scheme.indicators)
    header = [label("employee_id", lang), label("name", lang)] + [ind.name(lang) for ind in inds]
    header += [label(k, lang) for k in ("total", "grade", "flags", "status")]
    names: dict[str, Any] = {}
    if "name" in frame:
        for v, n in zip(frame["employee_id"], frame["name"]):
            names.setdefault(normalize_id(v), n)
    flag_names = {f.id: f.name(lang) for f in result.scheme.flags}
    sep = "、" if lang == "zh" else ", "
    # whole columns at once, aligned on the totals' employee ids (a lookup per cell is slow)
    ids = result.total.index
    columns = [result.points.loc[ids, ind.id].tolist() for ind in inds]
    point_rows = list(zip(*columns)) if columns else [()] * len(ids)
    problems: Callable[[str], tuple[str, int] | None] | None = None
    out = [header]
    for eid, total_value, grade_value, flags, row_points in zip(
            ids, result.total.tolist(), result.grade.loc[ids].tolist(), result.flags.loc[ids].tolist(), point_rows):
        status = label("ok", lang)
        if pd.isna(total_value):
            problems = problems or first_problems(result)
            found = problems(eid)
            text = msg("incomplete", lang) if found is None else \
                found[0] + (msg("more", lang, n=found[1] - 1) if found[1] > 1 else "")
            status = f"{label('incomplete', lang)}：{text}"[:MAX_TEXT]
        line = [eid, cell(names.get(eid))] + [cell(v) for v in row_points]
        line += [cell(total_value), cell(grade_value), sep.join(flag_names.get(f, f) for f in flags), status]
        out.append(line)
    return out


def as_table(value: Any) -> list[list[Any]]:
    """A function result that must be 2-D: an error text becomes a 1×1 table."""
    return [[value]] if isinstance(value, str) else value
