"""One pipeline for the file (openpyxl) and the live book (xlwings): grids in, blocks out.

``compute(source)`` reads the scheme from the configuration sheet, the inputs from every
input sheet, scores with :func:`kpi_engine.score`, locates every problem to its cell, and
returns the result sheets as :class:`Block` values. Writers differ only in how blocks reach
the workbook.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

import kpi_engine
from kpi_engine import DEFAULT_PERIOD, PeriodError, Scheme, ScoreResult, default_scheme, parse_period, score
from kpi_engine.i18n import lang_of, tr
from kpi_engine.inputs import normalize_id
from kpi_engine.numbers import is_blank
from kpi_engine.problems import render, show_value

from . import calibration_input
from .bulk import bulk_work
from .cell_problem import CellProblem
from .errors import WorkbookError
from .final_results import add_change_lines, add_distribution, pay_block
from .help_text import help_block, looks_generated
from .layout import PAY_KEY, RESULT_KEYS, layout
from .reading import (
    OWNED_KEY,
    SHEET_SEP,
    GatheredInputs,
    claim_sheets,
    gather,
    kept_owned,
    owned_sheets,
    read_meta,
    skip_sheets,
)
from .results import (
    Block,
    deductions_block,
    fit_problems,
    guide_block,
    meta_block,
    problems_block,
    scores_block,
    set_print_setups,
    summary_block,
)
from .row_ids import group_causes, text_of
from .sources import SheetSource

Progress = Callable[[str, float], None]
PROPOSAL_KEY = "proposal"  # meta: "on" once `kpi calibrate` asked for the proposal column in 得分


class SchemeProblems(WorkbookError):
    """The configuration sheet has errors; nothing can be scored until they are fixed."""

    def __init__(self, problems: list[CellProblem], lang: str = "zh"):
        self.problems = problems
        super().__init__(tr("workbook_error.scheme_sheet", lang, problems="；".join(p.text() for p in problems[:5])),
                         code="scheme_sheet")


@dataclass
class Summary:
    headcount: int
    scored: int
    grades: dict[str, int]
    errors: int
    warnings: int
    period: str

    def text(self, lang: str = "zh") -> str:
        grades = "  ".join(f"{g}: {n}" for g, n in self.grades.items())
        return tr("workbook.summary", lang, period=self.period, headcount=self.headcount, scored=self.scored,
                  incomplete=self.headcount - self.scored, grades=grades, errors=self.errors, warnings=self.warnings)


@dataclass
class Outcome:
    blocks: list[Block]
    problems: list[CellProblem]
    result: ScoreResult | None
    summary: Summary
    lang: str
    period: str
    inputs: GatheredInputs | None = None
    meta: dict[str, str] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)  # our sheets of before that the blocks do not replace

    @property
    def owned(self) -> list[str]:
        """Every sheet the write replaces or removes: the blocks' sheets and the stale ones."""
        return [b.sheet for b in self.blocks] + self.stale

    def block(self, key: str) -> Block:
        return next(b for b in self.blocks if b.key == key)


def book_lang(meta: dict[str, str], lang: str | None = None) -> str:
    """The language to use: the one asked for, else the one the workbook was made in (zh by default)."""
    return lang_of(lang or meta.get("lang"))


def load_scheme_from(source: SheetSource, lang: str = "zh") -> tuple[Scheme, list[CellProblem]]:
    """The workbook's own scheme (configuration sheet); default scheme when the sheet is absent."""
    from .scheme_reader import read_config

    names = source.sheet_names()
    for key_lang in ("zh", "en"):
        name = layout().sheet("config", key_lang)
        if name in names:
            scheme, problems = read_config(source.read(name), name, lang)
            errors = [p for p in problems if p.severity == "error"]
            if scheme is None or errors:
                raise SchemeProblems(errors or problems, lang)
            return scheme, problems
    note = CellProblem(layout().sheet("config", lang), "", None, "", None,
                       tr("workbook.no_config", lang),
                       "warning", "no_config")
    return default_scheme(), [note]


def _period(meta: dict[str, str], lang: str) -> tuple[str, list[CellProblem]]:
    raw = meta.get("period", "")
    try:
        return parse_period(raw).label, []
    except PeriodError:
        pass
    default = DEFAULT_PERIOD
    msg = tr("workbook.bad_period", lang, raw=raw or tr("workbook.blank", lang), default=default)
    return default, [CellProblem(layout().sheet("meta"), "B1", None, "period", raw, msg, "warning", "period")]


def _locate(result: ScoreResult, gathered: GatheredInputs, scheme: Scheme, lang: str) -> list[CellProblem]:
    """Engine problems (frame row, field) → the sheet and cell HR typed the value in; an employee
    without a row on a sheet gets one message for it (:func:`.row_ids.group_causes`)."""
    owner_sheet = {s.owner: s.name(lang) for s in layout().inputs}
    known = {f.id: f.owner for f in scheme.inputs}
    out = []
    dup_cells = _duplicate_cells(result, gathered, lang)
    for p in result.problems.itertuples(index=False):
        row = None if pd.isna(p.row) else int(p.row)
        fld = p.field
        if row is not None and (row, fld) in gathered.where:
            sheet, cell = gathered.where[(row, fld)]
        elif row is not None and fld not in known and (row, "employee_id") in gathered.where:
            sheet, cell = gathered.where[(row, "employee_id")]  # about the whole row: point at its id
        else:
            sheet = gathered.field_sheet.get(fld) or owner_sheet.get(known.get(fld, ""), "")
            cell = ""
        text = p.problem
        eid = None if is_blank(p.employee_id) else p.employee_id
        if p.code == "duplicate_id" and eid in dup_cells:  # the engine counts frame rows, HR sees cells
            text = render("duplicate_id", lang, value=show_value(eid), detail=dup_cells[eid])
        if p.code == "missing_column" and fld in known:  # say where and how to add it
            text += tr("workbook.add_column", lang, sheet=sheet or layout().inputs[0].name(lang),
                       label=scheme.field_name(fld, lang), id=fld)
        if p.code in ("blank_id", "duplicate_id") and row in gathered.roster_notes:  # the other sheets' 工号 for it
            text += gathered.roster_notes[row]
        out.append(CellProblem(sheet, cell, eid, fld, p.value, text, p.severity, p.code))
    names = {} if "name" not in gathered.frame else {
        normalize_id(i): text_of(n) or "" for i, n in zip(gathered.frame["employee_id"], gathered.frame["name"])}
    return group_causes(out, gathered.absent, gathered.explained, names, scheme, lang)


def uncalculated_formulas(problems: list[CellProblem], source: SheetSource, scheme: Scheme,
                          lang: str) -> list[CellProblem]:
    """A value reported blank whose cell holds a formula the file has no result for (a file saved
    by a program that does not calculate) says so, instead of "为空". Sources that calculate
    (Excel through the add-in) have no such cells and no ``uncalculated``."""
    cells_of = getattr(source, "uncalculated", None)
    if cells_of is None:
        return problems
    labels = {f.id: f.name(lang) for f in scheme.inputs}
    found: dict[str, set[str]] = {}
    out = []
    for p in problems:
        if p.code == "missing" and p.cell and p.sheet:
            if p.sheet not in found:
                found[p.sheet] = cells_of(p.sheet)
            if p.cell in found[p.sheet]:
                p = dataclasses.replace(p, problem=tr("formula_cell.uncalculated", lang, field=labels.get(p.field, p.field)),
                                        code="formula_uncalculated")
        out.append(p)
    return out


def _duplicate_cells(result: ScoreResult, gathered: GatheredInputs, lang: str) -> dict[str, str]:
    """employee id -> the cells that hold it ('A5、A6'), for the engine's duplicate_id problems."""
    dups = result.problems[result.problems["code"] == "duplicate_id"]
    cells: dict[str, list[str]] = {}
    for eid, row in zip(dups["employee_id"], dups["row"]):
        where = gathered.where.get((int(row), "employee_id")) if not pd.isna(row) else None
        if where is not None:
            cells.setdefault(eid, []).append(where[1])
    sep = tr("workbook.list_sep", lang)
    return {eid: sep.join(c) for eid, c in cells.items()}


def _roster(frame: pd.DataFrame, result: ScoreResult) -> pd.DataFrame:
    """name and team per employee id (first occurrence), for the result sheets."""

    cols = [c for c in ("name", "team") if c in frame.columns]
    df = frame[cols].copy()
    df.index = [normalize_id(v) for v in frame["employee_id"]]
    df = df[~df.index.duplicated(keep="first") & df.index.notna()]
    for c in ("name", "team"):
        if c not in df:
            df[c] = None
    return df.reindex(result.total.index)


@bulk_work()
def compute(source: SheetSource, *, lang: str | None = None, progress: Progress | None = None,
            now: dt.datetime | None = None, proposal: bool | None = None) -> Outcome:
    """Score the workbook behind ``source`` and build every result block.

    ``proposal``: True adds the proposed grades to 得分 (``kpi calibrate``) and records it in the
    meta sheet, so that every later compute rebuilds that column from its own data; False drops
    it; None keeps what the meta sheet says."""
    say = progress or (lambda msg, frac: None)
    meta = read_meta(source)
    lang = book_lang(meta, lang)
    help_sheet, help_problems = _claim_help(source, meta, lang)
    result_sheets = [layout().sheet(key, lang) for key in RESULT_KEYS] + ([help_sheet] if help_sheet else [])
    claim_sheets(source, _owning(meta, help_sheet), result_sheets)  # before any work: HR's sheets are never replaced
    say(tr("workbook.step_scheme", lang), 0.05)
    scheme, problems = load_scheme_from(source, lang)
    problems += help_problems
    if scheme.pay is not None and scheme.pay.enabled:
        result_sheets.insert(RESULT_KEYS.index("summary") + 1, layout().sheet(PAY_KEY, lang))
    stale = claim_sheets(source, _owning(meta, help_sheet), result_sheets)
    period, period_problems = _period(meta, lang)
    problems += period_problems
    say(tr("workbook.step_inputs", lang), 0.15)
    gathered = gather(source, scheme, lang)
    problems += gathered.problems
    say(tr("workbook.step_score", lang), 0.45)
    result, more = _scored(source, meta, gathered, scheme, period, lang)
    problems += more
    say(tr("workbook.step_results", lang), 0.7)
    roster = _roster(gathered.frame, result)
    propose = meta.get(PROPOSAL_KEY) == "on" if proposal is None else proposal
    stamp = (now or dt.datetime.now()).replace(microsecond=0).isoformat()
    new_meta = dict(meta) | {
        "period": period, "lang": lang, "scheme_fingerprint": scheme.fingerprint(),
        "version": kpi_engine.__version__, "computed_at": stamp,
        OWNED_KEY: SHEET_SEP.join(result_sheets + kept_owned(meta, source.sheet_names())),
        PROPOSAL_KEY: "on" if propose else "",
    }
    blocks = [help_block(scheme, period, lang)] if help_sheet else []
    results, more = _result_blocks(result, roster, lang, propose)
    blocks += results
    problems += more
    problems += fit_problems(blocks, lang)  # a sheet beyond Excel's grid raises here, before any write
    blocks += [problems_block(problems, lang), meta_block(new_meta)]
    fit_problems(blocks[-2:], lang)
    set_print_setups(blocks, period, lang)
    say(tr("workbook.step_done", lang), 1.0)
    return Outcome(blocks, problems, result, _summary(result, problems, period), lang, period, gathered, new_meta,
                   stale)


def _scored(source: SheetSource, meta: dict[str, str], gathered: GatheredInputs, scheme: Scheme, period: str,
            lang: str) -> tuple[ScoreResult, list[CellProblem]]:
    """The scores with HR's 校准 rows applied, and every problem of both, at its cell."""
    hr = calibration_input.read_calibration(source, skip_sheets(meta), scheme, lang)
    result = score(gathered.frame, scheme, period, lang).calibrate(hr.frame if hr is not None else None)
    problems = uncalculated_formulas(_locate(result, gathered, scheme, lang), source, scheme, lang)
    problems += hr.problems if hr is not None else []
    return result, problems + calibration_input.locate(hr, result.final_problems)


def _result_blocks(result: ScoreResult, roster: pd.DataFrame, lang: str,
                   propose: bool) -> tuple[list[Block], list[CellProblem]]:
    """The result sheets but 校验 and the meta, and the breaches and pool overruns at their cells."""
    deductions, summary = deductions_block(result, roster, lang), summary_block(result, roster, lang)
    add_change_lines(deductions, result, roster, lang)
    problems = add_distribution(summary, result, lang)
    blocks = [scores_block(result, roster, lang, result.proposal() if propose else None), deductions,
              guide_block(result, roster, lang), summary]
    if result.scheme.pay is not None and result.scheme.pay.enabled:
        pay, overruns = pay_block(result, roster, lang)
        blocks.append(pay)
        problems += overruns
    return blocks, problems


def _claim_help(source: SheetSource, meta: dict[str, str], lang: str) -> tuple[str | None, list[CellProblem]]:
    """The help sheet compute rebuilds (说明 / Help), or None and a warning when a sheet of that
    name is HR's: ours when the meta records it, or (a workbook from before it did) when its
    content is only what the product writes there (:func:`looks_generated`)."""
    name = layout().sheet("help", lang)
    present = next((n for n in source.sheet_names() if n.casefold() == name.casefold()), None)
    if present is None or present.casefold() in {n.casefold() for n in owned_sheets(meta)}:
        return name, []
    if looks_generated(source.read(present)):
        return name, []
    return None, [CellProblem(present, "", None, "", None, tr("workbook.help_not_ours", lang, sheet=present),
                              "warning", "help_not_ours")]


def _owning(meta: dict[str, str], help_sheet: str | None) -> dict[str, str]:
    """``meta`` with the help sheet among the sheets compute owns (when compute writes it)."""
    owned = owned_sheets(meta)
    if not help_sheet or help_sheet in owned:
        return meta
    return meta | {OWNED_KEY: SHEET_SEP.join([*owned, help_sheet])}


def _summary(result: ScoreResult, problems: list[CellProblem], period: str) -> Summary:
    counts = Counter(g for g in result.final_grade if g is not None)
    grades = {g: counts.get(g, 0) for g, _ in result.scheme.grades}
    sev = Counter(p.severity for p in problems)
    return Summary(len(result.total), int(result.total.notna().sum()), grades,
                   sev.get("error", 0), sev.get("warning", 0), period)


@bulk_work()
def validate(source: SheetSource, *, lang: str | None = None) -> list[CellProblem]:
    """Every problem compute would report (scheme, inputs, HR's 校准 rows, limits, pools), without
    writing results."""
    meta = read_meta(source)
    lang = book_lang(meta, lang)
    try:
        scheme, problems = load_scheme_from(source, lang)
    except SchemeProblems as exc:
        return exc.problems
    period, period_problems = _period(meta, lang)
    gathered = gather(source, scheme, lang)
    result, more = _scored(source, meta, gathered, scheme, period, lang)
    _, limits = _result_blocks(result, _roster(gathered.frame, result), lang, False)
    return problems + period_problems + gathered.problems + more + limits
