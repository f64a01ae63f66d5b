"""What ``kpi fill`` did, as lines: on the terminal, in the add-in's message, and on the sheet
导入记录 (Import log), which fill owns.

Every line is a :class:`Note`: what kind of line it is, its message in the user's language, how
bad it is, and where (file, row, column, shop, 工号, field, value). The terminal prints the
messages, the sheet gets one row per note; nothing is computed here.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_engine.i18n import tr
from kpi_engine.problems import clip

from .layout import layout
from .results import Block, plain

LISTED = 20  # lines of one kind listed per file before "and N more"
LOG_IDS = ("time", "kind", "severity", "file", "row", "column", "shop", "employee_id", "field", "value", "message",
           "file_id")
LOG_WIDTHS = {0: 18, 1: 10, 2: 6, 3: 28, 4: 6, 5: 16, 6: 16, 7: 10, 8: 14, 9: 14, 10: 80, 11: 12}


@dataclass(frozen=True)
class Note:
    """One line of the fill report (``kind`` is a ``fill.kind_<kind>`` label)."""

    kind: str
    message: str
    severity: str = "info"  # info | warning | error
    file: str = ""
    row: int | None = None
    column: str = ""
    shop: str = ""
    employee_id: str = ""
    field: str = ""
    value: Any = None
    file_id: str = ""


def fingerprint(data: bytes) -> str:
    """A short fingerprint of a file's bytes: the same download imported again replaces its lines."""
    return hashlib.sha256(data).hexdigest()[:12]


def capped(notes: list[Note], lang: str, limit: int = LISTED) -> list[Note]:
    """At most ``limit`` notes of one kind and file, then one line saying how many more there are."""
    seen: Counter = Counter()
    out: list[Note] = []
    for n in notes:
        key = (n.kind, n.file, n.severity)
        seen[key] += 1
        if seen[key] <= limit:
            out.append(n)
    for (kind, file, severity), count in seen.items():
        if count > limit:
            out.append(Note(kind, tr("fill.more_lines", lang, n=count - limit), severity, file))
    return out


@dataclass
class FillReport:
    """Everything one fill found and did."""

    lang: str = "zh"
    notes: list[Note] = field(default_factory=list)
    cells_written: int = 0
    employees_matched: int = 0
    unknown_ids: list[str] = field(default_factory=list)
    removed_sheets: list[str] = field(default_factory=list)
    lost_parts: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)  # --dry-run: per person and field, the value and its files
    dry_run: bool = False
    target: Path | None = None  # the file written (its next free name when -o named an existing one)

    def add(self, note: Note) -> None:
        self.notes.append(note)

    @property
    def errors(self) -> list[Note]:
        return [n for n in self.notes if n.severity == "error"]

    @property
    def conflicts(self) -> list[Note]:
        return [n for n in self.notes if n.kind == "conflict"]

    def failed(self) -> bool:
        """True when the run should exit 1: nothing written, a conflict, an error, an id not on the roster."""
        return self.cells_written == 0 or bool(self.errors) or bool(self.unknown_ids)

    def text(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        sep = tr("workbook.list_sep", lang)
        lines = [tr("fill.dry_run_head" if self.dry_run else "fill.written", lang, cells=self.cells_written,
                    people=self.employees_matched)]
        marks = {"error": tr("fill.mark_error", lang), "warning": tr("fill.mark_warning", lang), "info": "  "}
        for n in self.notes:
            lines.append(f"{marks[n.severity]}{n.message}")
        if self.unknown_ids:
            lines.append(tr("fill.unknown_ids", lang, ids=sep.join(self.unknown_ids)))
        if self.removed_sheets:
            lines.append(tr("fill.removed_sheets", lang, sheets=sep.join(self.removed_sheets)))
        if self.lost_parts:
            lines.append(tr("fill.lost_parts", lang, parts=sep.join(self.lost_parts)))
        if self.dry_run:
            lines += self.planned
        return "\n".join(lines)

    def block(self, time: str, old: list[list[Any]] | None = None) -> Block:
        """The sheet 导入记录: this run's notes after the earlier runs' rows, less the rows of
        files imported again (by their fingerprint): importing the same download twice leaves one
        record of it."""
        lang = self.lang
        labels = [tr(f"fill.log_{k}", lang) for k in LOG_IDS]
        summary = Note("run", tr("fill.written", lang, cells=self.cells_written, people=self.employees_matched),
                       "error" if self.failed() else "info",
                       file_id=fingerprint("|".join(sorted({n.file_id for n in self.notes if n.file_id})).encode()))
        notes = [summary, *self.notes]
        if self.unknown_ids:
            notes.append(Note("unknown_id", tr("fill.unknown_ids", lang, ids=tr("workbook.list_sep", lang).join(
                self.unknown_ids)), "error"))
        again = {n.file_id for n in notes if n.file_id}
        kept = [r for r in (old or []) if len(r) >= len(LOG_IDS) and r[-1] not in again]
        severity = {"info": "", "warning": tr("label.warning", lang), "error": tr("label.error", lang)}
        rows = [[time, tr(f"fill.kind_{n.kind}", lang), severity[n.severity], n.file, n.row, n.column, n.shop,
                 n.employee_id, n.field, _shown(n.value), n.message, n.file_id] for n in notes]
        return Block("import_log", layout().sheet("import_log", lang), [labels, list(LOG_IDS)] + kept + rows,
                     header_rows=2, widths=dict(LOG_WIDTHS))


def _shown(value: Any) -> Any:
    value = plain(value)
    if value is None or isinstance(value, (int, float)):
        return value
    return clip(value, 200)
