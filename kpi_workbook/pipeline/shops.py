"""Who runs which shop: the roster column 店铺 (input ``shops``) and HR's sheet 店铺归属.

A shop named in one person's 店铺 cell is theirs alone. A shop run by several people is declared
on the sheet 店铺归属, one row per owner: 店铺 | 负责人工号 | 份额 (machine row ``shop``, ``owner``,
``share``; a share as 0.6 or 60%; the shares of a shop add up to 1). The sheet is HR's: ``kpi
new`` writes it empty, ``kpi next-period`` carries its rows, no command writes over it. It is
found by its machine row, so HR may rename it.

What cannot be attributed is never guessed: a shop in the 店铺 cells of two people with no shares,
shares that do not add up to 1, or a share that is not a number between 0 and 1 is an error that
names the shop, every 工号 and the cells; that shop's rows are then reported, with their totals,
as not attributed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kpi_engine import normalize_id
from kpi_engine.i18n import tr
from kpi_engine.numbers import is_blank, parse_number
from kpi_engine.problems import clip
from kpi_engine.sources import shop_key, split_names

from ..ooxml.cells import cell_ref
from .cell_problem import CellProblem
from .layout import layout
from .reading import InputTable
from .sources import SheetSource

OWNER_IDS = ("shop", "owner", "share")  # the machine row of the sheet 店铺归属
SCAN_ROWS = 10
TOLERANCE = 1e-6  # of a sum of shares


@dataclass
class Ownership:
    """``owners``: shop, employee_id, share (one row per owner of an attributable shop);
    ``refused``: shop -> why its rows cannot be attributed; ``problems``: located errors."""

    owners: pd.DataFrame
    refused: dict[str, str] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)
    sheet: str | None = None


def find_owner_sheet(source: SheetSource) -> tuple[str, int, dict[str, int]] | None:
    """(sheet, 0-based machine row, id -> column) of the sheet 店铺归属: the layout's name first,
    else any sheet whose first rows hold the ids shop and owner."""
    names = source.sheet_names()
    lay = layout()
    first = [n for n in (lay.sheet("shops", "zh"), lay.sheet("shops", "en")) if n in names]
    meta = lay.sheet("meta")
    for name in first + [n for n in names if n not in first and n != meta]:
        grid = source.read(name)
        for r, row in enumerate(grid[:SCAN_ROWS]):
            ids = {str(v).strip(): c for c, v in enumerate(row) if isinstance(v, str)}
            if "shop" in ids and "owner" in ids:
                return name, r, {k: ids[k] for k in OWNER_IDS if k in ids}
    return None


def owner_rows(source: SheetSource) -> list[tuple[int, Any, Any, Any]]:
    """The sheet's data rows as (1-based row, shop, owner, share), blanks left out."""
    found = find_owner_sheet(source)
    if found is None:
        return []
    name, id_row, cols = found
    out = []
    for r, row in enumerate(source.read(name)[id_row + 1:], id_row + 2):
        cells = [row[cols[k]] if k in cols and cols[k] < len(row) else None for k in OWNER_IDS]
        if any(not is_blank(v) for v in cells):
            out.append((r, *cells))
    return out


def read_ownership(source: SheetSource, tables: list[InputTable], lang: str) -> Ownership:
    """Every shop's owners and shares, from the roster column and the sheet 店铺归属."""
    entries: dict[str, dict[str, tuple[float | None, str, str]]] = {}  # shop -> eid -> (share, sheet, cell)
    problems: list[CellProblem] = []
    refused: dict[str, str] = {}
    for table in tables:
        id_col, col = table.columns.get("employee_id"), table.columns.get("shops")
        if id_col is None or col is None:
            continue
        for r in table.rows:
            row = table.grid[r]
            eid = normalize_id(row[id_col] if id_col < len(row) else None)
            for shop in split_names(row[col] if col < len(row) else None):
                if eid is not None:
                    entries.setdefault(shop, {}).setdefault(eid, (None, table.sheet, cell_ref(r + 1, col + 1)))
    found = find_owner_sheet(source)
    sheet = found[0] if found else None
    if found:
        cols = found[2]
        for r, shop_cell, owner_cell, share_cell in owner_rows(source):
            shop, eid = shop_key(shop_cell), normalize_id(owner_cell)
            cell = cell_ref(r, cols.get("share", cols["owner"]) + 1)
            if not shop or eid is None:
                missing = "shop" if not shop else "owner"
                problems.append(CellProblem(sheet, cell_ref(r, cols[missing] + 1), eid, "shops", None,
                                            tr("fill.owner_row_incomplete", lang), "error", "shop_owner_row"))
                continue
            share = None if is_blank(share_cell, dashes=True) else parse_number(share_cell)
            if share is None and not is_blank(share_cell, dashes=True) or share is not None and not 0 < share <= 1:
                why = tr("fill.share_bad", lang, shop=shop, value=clip(share_cell))
                problems.append(CellProblem(sheet, cell, eid, "shops", share_cell, why, "error", "shop_share"))
                refused[shop] = why
                continue
            entries.setdefault(shop, {})[eid] = (share, sheet, cell)
    rows = []
    sep = tr("workbook.list_sep", lang)
    for shop, owners in entries.items():
        if shop in refused:
            continue
        shares = [s for s, _, _ in owners.values()]
        who = sep.join(f"{eid}（{w}!{c}）" if lang == "zh" else f"{eid} ({w}!{c})" for eid, (_, w, c) in owners.items())
        if len(owners) > 1 and any(s is None for s in shares):
            why = tr("fill.shop_owned_twice", lang, shop=shop, owners=who, sheet=layout().sheet("shops", lang))
        else:
            total = sum(1.0 if s is None else s for s in shares)
            why = "" if math.isclose(total, 1.0, abs_tol=TOLERANCE) else tr(
                "fill.shares_sum", lang, shop=shop, total=f"{total:.4g}", owners=who)
        if why:
            refused[shop] = why
            _, first_sheet, first_cell = next(iter(owners.values()))
            problems.append(CellProblem(first_sheet, first_cell, None, "shops", shop, why, "error", "shop_owners"))
            continue
        rows += [(shop, eid, 1.0 if s is None else float(s)) for eid, (s, _, _) in owners.items()]
    frame = pd.DataFrame(rows, columns=["shop", "employee_id", "share"])
    return Ownership(frame, refused, problems, sheet)
