"""The `kpi` command line: new, fill, validate, compute, next-period, report, rollup, demo, addin.

Exit codes: 0 ok, 1 problems found in the data or scheme, 2 usage or file error, 130
interrupted (Ctrl-C). No traceback reaches the user; an unexpected error is logged to a file
whose path is shown (set KPI_DEBUG=1 to see it on the terminal). Each command is a
:class:`.terminal.Command`; :data:`COMMANDS` lists them in the order ``kpi --help`` shows.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from kpi_engine.i18n import tr

from .terminal import (
    INTERRUPTED,
    OK,
    PROBLEMS,
    USAGE,
    Command,
    book_lang,
    both_langs,
    is_file,
    print_problems,
    progress,
    say_kept,
)

# ---------------------------------------------------------------- the commands

def _force_arg(s: argparse.ArgumentParser) -> None:
    s.add_argument("--force", action="store_true", help=both_langs("help_force"))


def _new_args(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    s.add_argument("--period", required=True, help=tr("cli.help_period"))
    s.add_argument("--roster", help=tr("cli.help_roster"))
    s.add_argument("-o", "--output", required=True, help=tr("cli.help_output"))
    _force_arg(s)


def _new(args: argparse.Namespace, lang: str | None) -> int:
    from ..pipeline.roster import read_roster
    from ..sheets.book import write_new
    from .files import new_file, require_folder

    roster = read_roster(args.roster) if args.roster else None
    target = new_file(args.output, args.force)
    require_folder(target)
    path = write_new(target, args.period, roster=roster, lang=lang or "zh")
    print(tr("cli.created", lang, path=path))
    say_kept(args.output, path, lang)
    return OK


def _fill_args(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    s.add_argument("workbook")
    s.add_argument("data", nargs="+", metavar="EXPORT", help=tr("cli.help_data"))
    s.add_argument("--shop", default="", metavar="NAME", help=tr("cli.help_shop"))
    s.add_argument("--dry-run", action="store_true", help=tr("cli.help_dry_run"))
    s.add_argument("-o", "--output", help=tr("cli.help_output_new_file"))
    _force_arg(s)


def _fill(args: argparse.Namespace, lang: str | None) -> int:
    from .fill import fill_workbook

    report = fill_workbook(args.workbook, args.data, args.output, lang=lang, shop=args.shop, dry_run=args.dry_run,
                           force=args.force)
    print(report.text())
    if args.dry_run:
        print(tr("cli.fill_dry_run", report.lang))
    elif report.cells_written:
        print(tr("cli.fill_written_to", report.lang, path=report.target))
    return PROBLEMS if report.failed() else OK


def _workbook_arg(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    s.add_argument("workbook")


def _validate(args: argparse.Namespace, lang: str | None) -> int:
    from .files import validate_file

    problems = validate_file(args.workbook, lang=lang)
    print_problems(problems, lang)
    errors = [p for p in problems if p.severity == "error"]
    print(tr("cli.validate_count", lang, errors=len(errors), warnings=len(problems) - len(errors)))
    return PROBLEMS if errors else OK


def _compute_args(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    s.add_argument("workbook")
    s.add_argument("-o", "--output", help=tr("cli.help_output_new_file"))
    s.add_argument("--csv", help=tr("cli.help_csv"))
    _force_arg(s)


def _compute(args: argparse.Namespace, lang: str | None) -> int:
    from .files import compute_file, new_file

    out = new_file(args.output, args.force, book=args.workbook) if args.output else None
    csv_path = new_file(args.csv, args.force) if args.csv else None
    # the workbook keeps the language it was made in (its sheets' names and texts); --lang is what we print
    outcome = compute_file(args.workbook, out, csv_path=csv_path, lang=None, progress=progress(True))
    lang = lang or outcome.lang
    print(outcome.summary.text(lang))
    print(tr("cli.results_written", lang, path=out or args.workbook))
    if out is not None:
        say_kept(args.output, out, lang)
    if csv_path is not None:
        print(tr("cli.csv_written", lang, path=csv_path))
        say_kept(args.csv, csv_path, lang)
    return PROBLEMS if outcome.summary.errors else OK


def _next_args(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    s.add_argument("workbook")
    s.add_argument("-o", "--output", help=tr("cli.help_next_output"))
    _force_arg(s)


def _next_period(args: argparse.Namespace, lang: str | None) -> int:
    from .files import next_period_file

    written = next_period_file(args.workbook, args.output, lang=lang, force=args.force)
    print(tr("cli.next_written", lang, path=written.path))
    say_kept(written.asked, written.path, lang)
    return OK


def _demo_args(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    s.add_argument("-o", "--output-dir", default="demo_output", help=tr("cli.help_demo_dir"))
    _force_arg(s)


def _demo(args: argparse.Namespace, lang: str | None) -> int:
    from .demo import run_demo

    return run_demo(Path(args.output_dir), lang=lang or "zh", force=args.force)


def _report_args(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    s.add_argument("workbook")
    s.add_argument("-o", "--output-dir", required=True, help=tr("cli.help_report_dir"))
    s.add_argument("--employee", nargs="+", action="extend", metavar="ID", help=tr("cli.help_employee"))
    s.add_argument("--team", metavar="NAME", help=tr("cli.help_team"))
    s.add_argument("--format", choices=["pdf", "xlsx"], default="pdf", help=tr("cli.help_format"))
    s.add_argument("--force", action="store_true", help=tr("cli.help_force_files"))


def _report(args: argparse.Namespace, lang: str | None) -> int:
    from .report import report_file

    written = report_file(args.workbook, args.output_dir, employees=args.employee, team=args.team, fmt=args.format,
                          force=args.force, lang=lang)
    print(written.text(lang or "zh"))
    return OK


def _rollup_args(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    s.add_argument("workbooks", nargs="+", metavar="BOOK", help=tr("cli.help_rollup_books"))
    s.add_argument("-o", "--output", required=True, help=tr("cli.help_rollup_output"))
    s.add_argument("--csv", help=tr("cli.help_rollup_csv"))
    s.add_argument("--force", action="store_true", help=tr("cli.help_force_files"))


def _rollup(args: argparse.Namespace, lang: str | None) -> int:
    from .rollup import rollup_files

    outcome = rollup_files(args.workbooks, args.output, csv_path=args.csv, force=args.force, lang=lang)
    print(outcome.text(outcome.result.lang))
    return OK


def _addin_args(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    addin = s.add_subparsers(dest="addin_command", required=True, metavar="ACTION")
    b = addin.add_parser("build", parents=[common], help=both_langs("help_addin_build"))
    b.add_argument("-o", "--output-dir", default="addin_build", help=tr("cli.help_addin_dir"))
    _force_arg(b)
    i = addin.add_parser("install", parents=[common], help=both_langs("help_addin_install"))
    i.add_argument("--from", dest="build_dir", default=None, help=tr("cli.help_addin_from"))


def _addin(args: argparse.Namespace, lang: str | None) -> int:
    from .addin_build import build_addins, build_folder, install_addins

    if args.addin_command == "build":
        folder = build_folder(Path(args.output_dir), args.force)
        paths = build_addins(folder)
        print(tr("cli.addins_built", lang, paths=", ".join(str(p) for p in paths)))
        if folder != Path(args.output_dir):
            print(tr("cli.kept_folder", lang, asked=args.output_dir, used=folder))
        return OK
    print(install_addins(Path(args.build_dir) if args.build_dir else None, lang=lang))  # AddinInstallError: exit 2
    return OK


COMMANDS: list[Command] = [
    Command("new", "help_new", _new_args, _new),
    Command("fill", "help_fill", _fill_args, _fill, book_lang=True),
    Command("validate", "help_validate", _workbook_arg, _validate, book_lang=True),
    Command("compute", "help_compute", _compute_args, _compute),
    Command("next-period", "help_next_period", _next_args, _next_period, book_lang=True),
    Command("report", "help_report", _report_args, _report, book_lang=True),
    Command("rollup", "help_rollup", _rollup_args, _rollup),
    Command("demo", "help_demo", _demo_args, _demo),
    Command("addin", "help_addin", _addin_args, _addin),
]


# ---------------------------------------------------------------- parsing and the boundary

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kpi", description=both_langs("description"))
    p.add_argument("--lang", choices=["zh", "en"], default=None, help=both_langs("help_lang"))
    # --lang is accepted before or after the command (kpi --lang en new … / kpi new --lang en …)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS, help=both_langs("help_lang"))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.arguments(sub.add_parser(command.name, parents=[common], help=both_langs(command.help_key)), common)
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
        print(both_langs("interrupted"), file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # `kpi validate book.xlsx | head`: the reader has gone, end quietly
        _quiet_stdout()
        return PROBLEMS
    except Exception as exc:  # the user's boundary: no traceback
        from kpi_engine.problems import clip

        code, message = _explain(exc, lang, getattr(args, "workbook", None))
        print("\n".join(clip(line, 2000) for line in message.splitlines()), file=sys.stderr)
        return code


def _quiet_stdout() -> None:
    """Point stdout at the null device, so that Python's flush at exit does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (a test's captured stdout)
        pass


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


def _run(args: argparse.Namespace) -> int:
    command = next(c for c in COMMANDS if c.name == args.command)
    lang = args.lang
    if lang is None and command.book_lang and is_file(getattr(args, "workbook", None)):
        lang = book_lang(args.workbook)
    return command.run(args, lang)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
