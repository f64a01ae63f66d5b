"""The `kpi` command line: new, fill, validate, compute, next-period, demo, addin.

Exit codes: 0 ok, 1 problems found in the data or scheme, 2 usage or file error, 130
interrupted (Ctrl-C). No traceback reaches the user; an unexpected error is logged to a file
whose path is shown (set KPI_DEBUG=1 to see it on the terminal).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from kpi_engine.i18n import both, lang_of, tr

OK, PROBLEMS, USAGE = 0, 1, 2
LINE = 600  # characters of one problem line on the terminal
INTERRUPTED = 130  # the shell's code for Ctrl-C


def _h(key: str) -> str:
    """A help text in both languages (the language is not known before the arguments are read)."""
    zh, en = both(f"cli.{key}")
    return zh if zh == en else f"{zh} / {en}"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kpi", description=_h("description"))
    p.add_argument("--lang", choices=["zh", "en"], default=None, help=_h("help_lang"))
    # --lang is accepted before or after the command (kpi --lang en new … / kpi new --lang en …)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS, help=_h("help_lang"))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("new", parents=[common], help=_h("help_new"))
    s.add_argument("--period", required=True, help=tr("cli.help_period"))
    s.add_argument("--roster", help=tr("cli.help_roster"))
    s.add_argument("-o", "--output", required=True, help=tr("cli.help_output"))

    s = sub.add_parser("fill", parents=[common], help=_h("help_fill"))
    s.add_argument("workbook")
    s.add_argument("data", help=tr("cli.help_data"))
    s.add_argument("-o", "--output", help=tr("cli.help_output_new_file"))

    s = sub.add_parser("validate", parents=[common], help=_h("help_validate"))
    s.add_argument("workbook")

    s = sub.add_parser("compute", parents=[common], help=_h("help_compute"))
    s.add_argument("workbook")
    s.add_argument("-o", "--output", help=tr("cli.help_output_new_file"))
    s.add_argument("--csv", help=tr("cli.help_csv"))

    s = sub.add_parser("next-period", parents=[common], help=_h("help_next_period"))
    s.add_argument("workbook")
    s.add_argument("-o", "--output", help=tr("cli.help_next_output"))

    s = sub.add_parser("demo", parents=[common], help=_h("help_demo"))
    s.add_argument("-o", "--output-dir", default="demo_output", help=tr("cli.help_demo_dir"))

    s = sub.add_parser("addin", parents=[common], help=_h("help_addin"))
    addin = s.add_subparsers(dest="addin_command", required=True, metavar="ACTION")
    b = addin.add_parser("build", parents=[common], help=_h("help_addin_build"))
    b.add_argument("-o", "--output-dir", default="addin_build")
    i = addin.add_parser("install", parents=[common], help=_h("help_addin_install"))
    i.add_argument("--from", dest="build_dir", default=None, help=tr("cli.help_addin_from"))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed usage or help
        return OK if exc.code == 0 else USAGE
    lang = args.lang or "zh"
    try:
        return _run(args)
    except KeyboardInterrupt:  # Ctrl-C: saves are atomic, so nothing is left half-written
        print(_h("interrupted"), file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:  # the user's boundary: no traceback
        from kpi_engine.problems import clip

        code, message = _explain(exc, lang, getattr(args, "workbook", None))
        print("\n".join(clip(line, 2000) for line in message.splitlines()), file=sys.stderr)
        return code


def _explain(exc: Exception, lang: str, workbook: str | None = None) -> tuple[int, str]:
    """(exit code, message) for an exception; ``workbook`` is the file the command was given."""
    from kpi_engine import InputError

    from ..pipeline import SchemeProblems, WorkbookError, user_error

    if isinstance(exc, SchemeProblems):
        lines = [tr("cli.scheme_errors", lang)] + [f"  {p.text()}" for p in exc.problems]
        return PROBLEMS, "\n".join(lines)
    error = user_error(exc, workbook)
    if error is not None:
        text = error.text(lang)
        if isinstance(exc, (WorkbookError, InputError)) and workbook and Path(workbook).name not in text:
            text = tr("cli.in_file", lang, file=workbook, text=text)  # which file, when several are run
        return USAGE, tr("cli.error", lang, text=text)
    from ..ooxml import error_log

    try:
        log = error_log(traceback.format_exc())
    except OSError:
        log = None
    if os.environ.get("KPI_DEBUG"):
        traceback.print_exc()
    where = tr("cli.log_written", lang, log=log) if log else tr("cli.log_unwritten", lang)
    return USAGE, tr("cli.internal", lang, kind=type(exc).__name__, detail=exc, where=where)


def _progress(enabled: bool):
    """A tqdm bar on the terminal (only when stderr is a terminal)."""
    from tqdm import tqdm

    bar = tqdm(total=100, disable=not (enabled and sys.stderr.isatty()), file=sys.stderr,
               bar_format="{l_bar}{bar}| {elapsed}")

    def update(message: str, fraction: float) -> None:
        bar.set_description_str(message)
        bar.n = int(fraction * 100)
        bar.refresh()
        if fraction >= 1:
            bar.close()

    return update


def _print_problems(problems, limit: int = 200) -> None:
    from kpi_engine.problems import clip

    for p in problems[:limit]:
        who = tr("cli.problem_owner", id=clip(p.employee_id)) if not p.cell and p.employee_id else ""  # no cell: say whose
        print(tr("cli.problem_line", severity=p.severity, text=clip(p.text(), LINE), who=who, value=_shown(p.value)))
    if len(problems) > limit:
        print(tr("cli.more_problems", n=len(problems) - limit))


def _book_lang(path: str) -> str | None:
    """The language the workbook was made in (its hidden meta sheet), for our messages."""
    try:
        from ..pipeline import read_meta
        from .files import open_source

        with open_source(path) as source:
            value = read_meta(source).get("lang", "")
    except Exception:  # an unreadable file is reported by the command itself
        return None
    return lang_of(value) if value else None


def _shown(value) -> str:
    from kpi_engine.problems import clip

    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return clip(value)


def _run(args: argparse.Namespace) -> int:
    cmd = args.command
    lang = args.lang
    if lang is None and cmd in ("fill", "validate", "next-period") and Path(args.workbook).is_file():
        lang = _book_lang(args.workbook)
    if cmd == "new":
        from ..pipeline.roster import read_roster
        from ..sheets.book import write_new

        roster = read_roster(args.roster) if args.roster else None
        path = write_new(args.output, args.period, roster=roster, lang=lang or "zh")
        print(tr("cli.created", lang, path=path))
        return OK
    if cmd == "fill":
        from .fill import fill_workbook

        report = fill_workbook(args.workbook, args.data, args.output, lang=lang or "zh")
        print(report.text(lang or "zh"))
        return PROBLEMS if report.unknown_ids else OK
    if cmd == "validate":
        from .files import validate_file

        problems = validate_file(args.workbook, lang=lang)
        _print_problems(problems)
        errors = [p for p in problems if p.severity == "error"]
        print(tr("cli.validate_count", lang, errors=len(errors), warnings=len(problems) - len(errors)))
        return PROBLEMS if errors else OK
    if cmd == "compute":
        from .files import compute_file

        outcome = compute_file(args.workbook, args.output, csv_path=args.csv, lang=lang, progress=_progress(True))
        print(outcome.summary.text(outcome.lang))
        target = args.output or args.workbook
        print(tr("cli.results_written", outcome.lang, path=target))
        return PROBLEMS if outcome.summary.errors else OK
    if cmd == "next-period":
        from .files import next_period_file

        path = next_period_file(args.workbook, args.output, lang=lang)
        print(tr("cli.next_written", lang, path=path))
        return OK
    if cmd == "demo":
        from .demo import run_demo

        return run_demo(Path(args.output_dir), lang=lang or "zh")
    if cmd == "addin":
        from .addin_build import build_addins, install_addins

        if args.addin_command == "build":
            paths = build_addins(Path(args.output_dir))
            print(tr("cli.addins_built", lang, paths=", ".join(str(p) for p in paths)))
            return OK
        print(install_addins(Path(args.build_dir) if args.build_dir else None))
        return OK
    return USAGE  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
