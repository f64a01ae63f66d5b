"""Compare two workbooks cell by cell: every sheet, every value, number format, font and fill,
cell comments and data validations (formula, prompt and error texts).

    python tools/compare_workbooks.py BEFORE.xlsx AFTER.xlsx
    python tools/compare_workbooks.py --values A.xlsx B.xlsx

For a restructure that must not change what the product writes (``kpi demo`` before and after).
``--values`` compares the cell values only (numbers equal to 12 significant digits, blank and
empty text alike), for two programs that write the same results in their own styles: the
add-in's 计算 saved by Excel against ``kpi compute`` on the same file (addin/EXCEL_CHECKS.md).
Timestamps in the hidden meta sheet (created_at, computed_at) are left out. Prints each difference
and exits 1 when there is any.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

from openpyxl import load_workbook

VOLATILE = {"created_at", "computed_at"}


def cells(path: Path) -> dict[tuple[str, str], tuple]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        volatile_rows = {c.row for c in ws["A"] if c.value in VOLATILE} if ws.title == "_kpi_meta" else set()
        out[(ws.title, "@state")] = (ws.sheet_state,)
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                if c.row in volatile_rows and c.column == 2:
                    continue
                out[(ws.title, c.coordinate)] = (c.value, c.number_format, c.font.b, c.font.sz, c.fill.fgColor.rgb)
                if c.comment is not None:
                    out[(ws.title, c.coordinate + "@comment")] = (c.comment.text,)
        for i, dv in enumerate(ws.data_validations.dataValidation):
            out[(ws.title, f"@validation{i}")] = (str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.prompt, dv.error,
                                                 dv.promptTitle, dv.errorTitle)
    return out


def values(path: Path) -> dict[tuple[str, str], object]:
    """Every non-blank cell value (cached values of formulas), meta timestamps left out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(path, data_only=True)
    out: dict[tuple[str, str], object] = {}
    for ws in wb.worksheets:
        volatile_rows = {c.row for c in ws["A"] if c.value in VOLATILE} if ws.title == "_kpi_meta" else set()
        for row in ws.iter_rows():
            for c in row:
                if c.value is None or c.value == "" or (c.row in volatile_rows and c.column == 2):
                    continue
                out[(ws.title, c.coordinate)] = c.value
    return out


def same_value(x: object, y: object) -> bool:
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
        return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12)
    return x == y


def main(argv: list[str]) -> int:
    only_values = "--values" in argv
    paths = [p for p in argv if p != "--values"]
    if len(paths) != 2:
        print(__doc__)
        return 2
    read = values if only_values else cells
    a, b = (read(Path(p)) for p in paths)
    diffs = [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b))
             if not (same_value(a.get(k), b.get(k)) if only_values else a.get(k) == b.get(k))]
    for key, x, y in diffs[:200]:
        print(f"{key[0]}!{key[1]}: {x!r} -> {y!r}")
    print(f"{len(a)} cells compared, {len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
