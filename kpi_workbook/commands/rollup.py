"""``kpi rollup BOOK [BOOK …] -o YEAR.xlsx [--csv YEAR.csv]``: the year from its periods' workbooks.

Every workbook must be computed and unchanged since (its own scheme, its own results); the
periods must be of one year, each once. The year's workbook has 年度考核, 团队年度 (with a line
chart of each team's mean per period) and 年度说明 (the workbooks used, the rules applied);
the CSV has ``employee_id``, a column per period, ``annual_total``, ``annual_grade``, ``periods``
and ``flags``. Neither replaces an existing file unless ``--force``, nor ever one of the books.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_engine.i18n import tr

from ..ooxml import atomic_write, real_path, unused_path
from ..pipeline.bulk import bulk_work
from ..pipeline.results import plain
from ..pipeline.rollup_book import Rollup, open_period, rollup, rollup_blocks, rollup_error, rollup_rows
from ..sheets.result_donor import build_donor
from .files import open_source, require_folder, safe_text


@dataclass
class RollupOutcome:
    result: Rollup
    book: Path
    csv: Path | None = None
    renamed: list[tuple[Path, Path]] = field(default_factory=list)  # (asked for, written)

    def text(self, lang: str) -> str:
        a = self.result.annual
        lines = [tr("rollup.done", lang, year=self.result.year, periods="、".join(self.result.labels)
                    if lang == "zh" else ", ".join(self.result.labels), people=len(a),
                    missing=int((a["periods"] < len(self.result.labels)).sum()), path=self.book)]
        if self.csv:
            lines.append(tr("rollup.csv_written", lang, path=self.csv))
        lines += [tr("report.renamed", lang, asked=asked.name, used=used.name) for asked, used in self.renamed]
        lines += self.result.notes
        return "\n".join(lines)


@bulk_work()
def rollup_files(books: Sequence[str | Path], out: str | Path, *, csv_path: str | Path | None = None,
                 force: bool = False, lang: str | None = None) -> RollupOutcome:
    """The year of ``books`` written to ``out`` (and ``csv_path``)."""
    out, paths = Path(out), [Path(b) for b in books]
    require_folder(out, csv_path)
    inputs = {real_path(p) for p in paths}
    renamed: list[tuple[Path, Path]] = []

    def target(asked: Path) -> Path:
        used = asked if force else unused_path(asked)
        if real_path(used) in inputs:  # even with --force: a period's workbook is HR's
            raise rollup_error("output_is_input", path=used)
        if used != asked:
            renamed.append((asked, used))
        return used

    with ExitStack() as stack:
        periods = [open_period(stack.enter_context(open_source(p)), p.name, lang) for p in paths]
        result = rollup(periods, lang)
    blocks = rollup_blocks(result)
    book = target(out)
    atomic_write(book, lambda tmp: build_donor(blocks, tmp))
    written_csv = None
    if csv_path is not None:
        written_csv = target(Path(csv_path))
        header, rows = rollup_rows(result)
        atomic_write(written_csv, lambda tmp: _write_csv(tmp, header, rows))
    return RollupOutcome(result, book, written_csv, renamed)


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    """UTF-8 with BOM (Excel reads the Chinese right); numbers in full, text safe from formula injection."""
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([[_cell(v) for v in row] for row in rows])


def _cell(value: Any) -> Any:
    value = plain(value)
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else safe_text(value)
