"""The add-in's macros: 计算 (compute), 校验 (validate), 生成下期模板 (new period), 校准建议 (calibrate).

Each ribbon button's module (``kpi_compute`` …) calls one of these with the workbook Excel
has open (``xlwings.Book.caller()``). They run the same pipeline as the ``kpi`` command on
a live book through :mod:`kpi_xlwings_adapter`, and end with one short message box.

The macros are the user's boundary: whatever goes wrong, the user sees a clear message in
Chinese (or English for an English workbook), never a Python traceback. Expected problems
(a workbook without input sheets, a broken scheme sheet, a file that cannot be written, Excel
busy, a workbook in Protected View) are shown as they are; anything else is logged with its
traceback to a file in the temp folder, and the message says where that file is. What live
Excel does to a macro (busy, read-only, Protected View, the text of the last-resort message)
is in :mod:`kpi_excel_errors`.
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpi_excel_errors import bounded_xlwings_retries, console_bytes, patiently, protected_view_name, read_only
from kpi_xlwings_adapter import (
    BookSource,
    delete_sheets,
    excel_session,
    recalculate,
    write_block,
    write_blocks,
)

from kpi_engine.i18n import tr

MAX_MESSAGE = 900  # Excel's MsgBox shows about 1024 characters
MAX_LISTED = 5  # problems listed in a message box
READ_SHARE = 0.6  # of the status bar's percentage: reading and scoring, then writing

def text(key: str, lang: str = "zh", **kw: Any) -> str:
    """A user-facing message of the add-in in ``lang`` (catalog section ``addin``)."""
    return tr(f"addin.{key}", lang, **kw)


@dataclass
class Report:
    """What a macro did: shown to the user as one message box, returned for scripts and tests."""

    ok: bool
    message: str
    log: Path | None = None
    path: Path | None = None


class _Run:
    """State of one macro run: the language of messages, known as soon as the book is read."""

    def __init__(self) -> None:
        self.lang = "zh"
        self.path: Path | None = None
        self.outcome: Any = None  # compute's, for the message of 校准建议


# -- the macros ----------------------------------------------------------------


def compute(book: Any = None) -> Report:
    """计算: score the workbook and write the result sheets (one write per sheet)."""
    return _macro("compute", book, _compute)


def validate(book: Any = None) -> Report:
    """校验: list every problem in the inputs and the scheme, without scoring; writes the 校验 sheet."""
    return _macro("validate", book, _validate)


def calibrate(book: Any = None) -> Report:
    """校准建议: compute, with the proposed grades in 得分 (kept by every later 计算; see
    ``kpi_workbook.commands.calibrate``); HR's 校准 sheet is never written."""
    return _macro("calibrate", book, _calibrate)


def new_period(book: Any = None) -> Report:
    """生成下期模板: write next period's workbook beside this one; this workbook is not changed."""
    return _macro("new_period", book, _new_period)


def _compute(book: Any, run: _Run, status: Any, proposal: bool | None = None) -> str:
    from kpi_workbook import pipeline
    from kpi_workbook.pipeline.reading import read_meta

    def reading(message: str, fraction: float) -> None:  # the pipeline's share of the bar: 0–60%
        if fraction < 1.0:
            status(message, READ_SHARE * fraction)

    def writing(sheet: str, fraction: float) -> None:  # writing the sheets: 60–100%
        status(text("writing", run.lang, sheet=sheet), READ_SHARE + (1 - READ_SHARE) * fraction)

    source = BookSource(book)
    run.lang = status.lang = pipeline.book_lang(read_meta(source))  # the meta sheet is read once, cached
    outcome = pipeline.compute(source, lang=None, progress=reading, proposal=proposal)
    run.lang = status.lang = outcome.lang
    run.outcome = outcome
    blocks = outcome.blocks
    write_blocks(book, blocks, writing)
    delete_sheets(book, outcome.stale)  # our results of another language, replaced by these
    status(tr("excel.recalculating", run.lang), 1.0)
    recalculate(book)  # the cell functions read 指标配置 anew (kpi_udf_scheme): same scheme, same numbers
    shown = [b.sheet for b in blocks if getattr(b, "state", "visible") == "visible"]
    sep = "」「" if run.lang == "zh" else "', '"
    done = text("compute_done", run.lang, sheets=sep.join(shown), summary=outcome.summary.text(run.lang))
    return _read_only_note(book, run.lang) + done


def _calibrate(book: Any, run: _Run, status: Any) -> str:
    from kpi_workbook.pipeline.final_results import proposal_text

    _compute(book, run, status, proposal=True)
    return proposal_text(run.outcome) + "\n\n" + run.outcome.summary.text(run.lang)


def _validate(book: Any, run: _Run, status: Any) -> str:
    from kpi_workbook import pipeline
    from kpi_workbook.pipeline.reading import OWNED_KEY, SHEET_SEP, claim_sheets, owned_sheets, read_meta
    from kpi_workbook.pipeline.results import meta_block, problems_block

    source = BookSource(book)
    meta = read_meta(source)
    run.lang = status.lang = pipeline.book_lang(meta)
    problems = pipeline.validate(source, lang=run.lang)
    block = problems_block(problems, run.lang)
    claim_sheets(source, meta, [block.sheet])  # never over a sheet of HR's that has the same name
    status(text("writing", run.lang, sheet=block.sheet), 0.9)
    patiently(lambda: write_block(book, block, protect=True))
    owned = owned_sheets(meta)
    if block.sheet not in owned:  # record it as ours, so that compute may replace it
        meta_rows = meta_block(meta | {OWNED_KEY: SHEET_SEP.join([*owned, block.sheet])})
        patiently(lambda: write_block(book, meta_rows, protect=False))
    note = _read_only_note(book, run.lang)
    if not problems:
        return note + text("validate_clean", run.lang)
    errors = sum(p.severity == "error" for p in problems)
    ordered = sorted(problems, key=lambda p: p.severity != "error")
    listed = [p.text() for p in ordered[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        listed.append(text("more", run.lang, n=len(problems) - MAX_LISTED))
    return note + text("validate_found", run.lang, errors=errors, warnings=len(problems) - errors, sheet=block.sheet,
                       listed="\n".join(listed))


def _new_period(book: Any, run: _Run, status: Any) -> str:
    from kpi_engine import parse_period
    from kpi_workbook import pipeline
    from kpi_workbook.ooxml import atomic_write, unused_path
    from kpi_workbook.pipeline.carry import default_next_path
    from kpi_workbook.pipeline.reading import read_meta
    from kpi_workbook.sheets.cells import save_workbook
    from kpi_workbook.sheets.next_book import build_next

    source = BookSource(book)
    run.lang = status.lang = pipeline.book_lang(read_meta(source))
    here, saved_locally = book_folder(book)
    wb = build_next(source, lang=run.lang)
    target = unused_path(default_next_path(here / _book_name(book), source))
    status(target.name, 0.9)
    atomic_write(target, lambda tmp: save_workbook(wb, tmp))
    run.path = target
    period = _meta_value(wb, "period") or parse_period(read_meta(source).get("period") or None).next().label
    message = text("new_period_done", run.lang, period=period, path=target)
    if not saved_locally:
        message = text("not_saved", run.lang, path=target) + "\n\n" + message
    return message


# -- helpers -------------------------------------------------------------------


def _read_only_note(book: Any, lang: str) -> str:
    """A first paragraph for a book Excel opened read-only: the results are in, save them as a copy."""
    return tr("excel.read_only", lang) + "\n\n" if read_only(book) else ""


def caller_book() -> Any:
    """The workbook whose button was clicked (``xlwings.Book.caller()``); a :class:`NoBook` with
    the message to show when there is none, naming a file Excel shows in Protected View."""
    import xlwings

    try:
        return xlwings.Book.caller()
    except Exception:
        name = protected_view_name(xlwings)
        if name is not None:
            raise NoBook(tr("excel.protected_view", "zh", name=name), tr("excel.protected_view", "en", name=name)) from None
        raise NoBook(text("no_book", "zh"), text("no_book", "en")) from None


class NoBook(Exception):
    """No workbook to run on; ``zh`` / ``en``: the message."""

    def __init__(self, zh: str, en: str):
        super().__init__(zh)
        self.zh, self.en = zh, en


def book_folder(book: Any) -> tuple[Path, bool]:
    """The folder the book is saved in, or the user's Documents folder (and False) when it is not."""
    fullname = str(getattr(book, "fullname", "") or "")
    if fullname and "://" not in fullname:
        path = Path(fullname)
        if path.is_absolute() and path.parent.is_dir():
            return path.parent, True
    docs = Path.home() / "Documents"
    return (docs if docs.is_dir() else Path.home()), False


def _meta_value(wb: Any, key: str) -> str:
    """A value of the hidden key/value meta sheet of an openpyxl workbook ('' when absent)."""
    from kpi_workbook.pipeline.layout import layout

    name = layout().sheet("meta")
    if name not in wb.sheetnames:
        return ""
    for row in wb[name].iter_rows(max_col=2, values_only=True):
        if row and row[0] == key and row[1] not in (None, ""):
            return str(row[1])
    return ""


def _book_name(book: Any) -> str:
    name = Path(str(getattr(book, "fullname", "") or getattr(book, "name", "") or "kpi")).name
    return name if "." in name else name + ".xlsx"


def _user_message(error: Any, lang: str) -> str:
    """A user error's message: the scheme sheet's errors one per line with their cells, else its text."""
    problems = getattr(error, "problems", None)
    if problems:
        head = text("scheme_errors", lang)
        lines = [p.text() for p in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            lines.append(text("more", lang, n=len(problems) - MAX_LISTED))
        return "\n".join([head, *lines])
    return error.text(lang)


def log_traceback(command: str, book: Any, exc: BaseException) -> Path:
    """Write the traceback and versions to a new log file of this user's; return its path."""
    from kpi_workbook.ooxml import error_log

    try:
        import xlwings

        xlwings_version = xlwings.__version__
    except Exception:
        xlwings_version = "?"
    lines = [
        f"command: {command}",
        f"time: {dt.datetime.now().isoformat(timespec='seconds')}",
        f"workbook: {getattr(book, 'fullname', '?')}",
        f"python: {sys.version.split()[0]} ({platform.platform()})",
        f"xlwings: {xlwings_version}",
        "",
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    ]
    return error_log("\n".join(lines), f"kpi_addin_{command}")


def _shorten(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def run_macro(command: str, book: Any, body: Callable[[Any, Any, Any], str]) -> Report:
    """Run ``body(book, run, status)`` as a ribbon button's macro (for the buttons' own modules):
    ``run.lang`` is the language of the messages, ``status`` the status bar; the returned text is
    the message box; any failure becomes the user's message (see :func:`_macro`)."""
    return _macro(command, book, body)


def _macro(command: str, book: Any, body: Callable[[Any, _Run, Any], str]) -> Report:
    """Run ``body`` inside an Excel session and turn every outcome into one message box."""
    run = _Run()
    with bounded_xlwings_retries():
        if book is None:
            try:
                book = caller_book()
            except NoBook as missing:
                _fallback(missing.zh, missing.en)
        log = None
        try:
            with excel_session(book.app, run.lang) as status:
                active = _active_sheet(book)
                try:
                    message = body(book, run, status)
                finally:
                    _activate(active)
            ok = True
        except Exception as exc:
            ok = False
            message, log = _failure(command, book, exc, run.lang)
        message = _shorten(message)
        _alert(book, message, text("title", run.lang), "info" if ok else "critical")
    return Report(ok, message, log, run.path)


def _failure(command: str, book: Any, exc: Exception, lang: str) -> tuple[str, Path | None]:
    """The message for a failed run: the error's own text for user errors, else a logged traceback."""
    from kpi_workbook.pipeline import user_error

    action = text(command, lang)
    try:
        error = user_error(exc, getattr(book, "fullname", None))
        if error is not None:
            return text("user_error", lang, action=action, message=_user_message(error, lang)), None
        log = log_traceback(command, book, exc)
        return text("unexpected", lang, action=action, kind=type(exc).__name__, log=log), log
    except Exception:  # even the log could not be written: say what we know, in one line
        return text("unexpected_nolog", lang, action=action, kind=type(exc).__name__, detail=str(exc)[:200]), None


def _active_sheet(book: Any) -> Any:
    try:
        return book.sheets.active
    except Exception:
        return None


def _activate(sheet: Any) -> None:
    if sheet is None:
        return
    try:
        sheet.activate()
    except Exception:
        pass


def _alert(book: Any, message: str, title: str, mode: str) -> None:
    try:
        patiently(lambda: book.app.alert(message, title=title, mode=mode))
    except Exception:
        _fallback(message)


def _fallback(message: str, english: str | None = None) -> None:
    """No message box possible: print the message and exit non-zero, so the VBA side shows it.

    The VBA reads it back in the system's ANSI code page (:func:`kpi_excel_errors.console_bytes`);
    ``english`` is printed instead where that code page has no Chinese."""
    data = console_bytes(message + "\n", None if english is None else english + "\n")
    stream = getattr(sys.stderr, "buffer", None)
    if stream is not None:
        sys.stderr.flush()
        stream.write(data)
        stream.flush()
    else:  # a text-only stream (an IDE's console): as text
        print(message, file=sys.stderr)
    raise SystemExit(1)
