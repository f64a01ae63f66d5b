"""What every command shares on the terminal: exit codes, the command record, help texts in both
languages, problem lines, the progress bar, and the workbook's own language.

A command is one :class:`Command`: its name, its help, how it adds its arguments and how it runs.
:mod:`.cli` lists them; a new command is a module that defines one, and a line in that list.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpi_engine.i18n import both, lang_of, tr
from kpi_engine.numbers import is_blank
from kpi_engine.problems import clip

OK, PROBLEMS, USAGE = 0, 1, 2
INTERRUPTED = 130  # the shell's code for Ctrl-C
LINE = 600  # characters of one problem line on the terminal


@dataclass(frozen=True)
class Command:
    """One ``kpi`` command: ``run(args, lang)`` returns the exit code (``lang`` None: not chosen)."""

    name: str
    help_key: str  # cli.<help_key> in the catalogs
    arguments: Callable[[argparse.ArgumentParser, argparse.ArgumentParser], None]  # (parser, common)
    run: Callable[[argparse.Namespace, str | None], int]
    book_lang: bool = False  # messages follow the language of the workbook given, unless --lang


def both_langs(key: str) -> str:
    """A help text in both languages (the language is not known before the arguments are read)."""
    zh, en = both(f"cli.{key}")
    return zh if zh == en else f"{zh} / {en}"


def shown(value: Any) -> str:
    """A cell value as a problem line shows it."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return clip(value)


def print_problems(problems: list, lang: str | None = None, limit: int = 200) -> None:
    """One line per problem, in ``lang`` (the severity too: [错误], not [error])."""
    for p in problems[:limit]:
        who = tr("cli.problem_owner", lang, id=clip(p.employee_id)) if not p.cell and not is_blank(p.employee_id) else ""
        print(tr("cli.problem_line", lang, severity=tr(f"label.{p.severity}", lang), text=clip(p.text(), LINE), who=who,
                 value=shown(p.value)))
    if len(problems) > limit:
        print(tr("cli.more_problems", lang, n=len(problems) - limit))


def progress(enabled: bool) -> Callable[[str, float], None]:
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


def book_lang(path: str) -> str | None:
    """The language the workbook was made in (its hidden meta sheet), for our messages."""
    try:
        from ..pipeline import read_meta
        from .files import open_source

        with open_source(path) as source:
            value = read_meta(source).get("lang", "")
    except Exception:  # an unreadable file is reported by the command itself
        return None
    return lang_of(value) if value else None


def say_kept(asked: str | Path, used: str | Path, lang: str | None = None) -> None:
    """When a file of the name asked for already existed: say that it was kept, and the name used
    instead (the product's one rule: nothing is replaced without --force)."""
    if Path(asked) != Path(used):
        print(tr("cli.kept", lang, asked=asked, used=used))


def is_file(path: str | None) -> bool:
    return bool(path) and Path(path).is_file()
