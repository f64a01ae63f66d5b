"""The files scorecards are written to, for ``kpi report`` and the add-in's 生成个人报告 alike.

Each person's file is ``<工号>_<姓名>_<period>``; a team's scorecards in one file (a sheet, or a
page, per person) ``<team>_<period>``. A file the product makes never replaces an existing one
unless asked (``force``): the new one goes under the next free name (``name (2).pdf``,
:func:`kpi_workbook.ooxml.unused_path`), and :class:`Filed` remembers which, to say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kpi_engine.i18n import tr

from ..ooxml import atomic_write, unused_path
from ..pipeline.scorecard import Scorecards, safe_name
from .cells import save_workbook
from .scorecard_sheet import scorecard_workbook

LISTED = 20  # renamed files named one by one in the message


@dataclass
class Filed:
    """What a report run wrote: the files, a team's files, those put under another name."""

    folder: Path
    people: int = 0
    fmt: str = "pdf"
    force: bool = False
    files: list[Path] = field(default_factory=list)
    combined: list[Path] = field(default_factory=list)  # a team's scorecards in one file
    renamed: list[tuple[str, Path]] = field(default_factory=list)  # (name asked for, name used)
    note: str = ""  # why the PDFs were not made (then the files are .xlsx)

    def target(self, name: str) -> Path:
        """Where the file ``name`` goes in the folder: that name, or the next free one."""
        asked = self.folder / name
        used = asked if self.force else unused_path(asked)
        if used != asked:
            self.renamed.append((name, used))
        return used

    def save(self, name: str, data: bytes, *, team: bool = False) -> Path:
        """``data`` written (atomically) to the file ``name`` (or the next free name)."""
        path = self.target(name)
        atomic_write(path, lambda tmp: tmp.write_bytes(data))
        (self.combined if team else self.files).append(path)
        return path

    def text(self, lang: str) -> str:
        lines = [tr("report.written", lang, n=self.people, fmt=self.fmt.upper(), folder=self.folder)]
        if self.combined:
            lines.append(tr("report.written_teams", lang, files=", ".join(p.name for p in self.combined)))
        lines += [tr("report.renamed", lang, asked=asked, used=used.name) for asked, used in self.renamed[:LISTED]]
        if len(self.renamed) > LISTED:
            lines.append(tr("report.renamed_more", lang, n=len(self.renamed) - LISTED))
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def person_file(card, ext: str) -> str:
    return f"{card.file_stem}.{ext}"


def team_file(team: str, period: str, ext: str) -> str:
    return f"{safe_name(f'{team}_{period}')}.{ext}"


def save_workbooks(cards: Scorecards, filed: Filed, *, combined: bool) -> None:
    """Each card as its own .xlsx and, with ``combined``, each team's as one (a sheet per person)."""
    filed.fmt = "xlsx"
    for card in cards.cards:
        wb, _ = scorecard_workbook([card])
        path = filed.target(person_file(card, "xlsx"))
        atomic_write(path, lambda tmp, wb=wb: save_workbook(wb, tmp))
        filed.files.append(path)
    if combined:
        for team, members in cards.teams().items():
            wb, _ = scorecard_workbook(members)
            path = filed.target(team_file(team, cards.period, "xlsx"))
            atomic_write(path, lambda tmp, wb=wb: save_workbook(wb, tmp))
            filed.combined.append(path)
