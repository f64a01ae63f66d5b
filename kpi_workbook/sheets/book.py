"""``kpi new``: the period workbook — help, one input sheet per data owner, HR's 校准 sheet, scheme,
hidden meta.

This module assembles the workbook; the sheets themselves are written by :mod:`.input_sheets`,
:mod:`.help_sheet` and :mod:`.scheme_sheet`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

import kpi_engine
from kpi_engine import Scheme, default_scheme
from kpi_engine.i18n import lang_of
from kpi_engine.periods import parse_period

from ..ooxml import atomic_write
from ..pipeline.bulk import bulk_work
from ..pipeline.layout import input_columns, layout
from ..pipeline.reading import OWNED_KEY
from ..pipeline.roster import roster_frame
from .calibration_sheet import calibration_sheet
from .cells import save_workbook, write
from .help_sheet import help_sheet
from .input_sheets import input_sheet
from .print_setup import set_up_printing
from .scheme_sheet import write_config
from .shops_sheet import owner_sheet


def new_workbook(period: str, roster: pd.DataFrame | None = None, lang: str = "zh",
                 scheme: Scheme | None = None, owners: Sequence[Sequence[Any]] = ()) -> Workbook:
    """The period workbook: 说明, one input sheet per data owner, 店铺归属 (``owners``: rows of
    shop, owner id, share), HR's 校准 (empty), 指标配置, hidden _kpi_meta."""
    lang, scheme = lang_of(lang), scheme or default_scheme()
    per = parse_period(period)
    frame = roster_frame(roster, scheme) if roster is not None else None
    lay = layout()
    wb = Workbook()
    help_ws = wb.active
    help_ws.title = lay.sheet("help", lang)
    for sheet, fields in input_columns(scheme):
        input_sheet(wb.create_sheet(sheet.name(lang)), sheet, fields, frame, lang)
    owner_sheet(wb.create_sheet(lay.sheet("shops", lang)), owners, lang)
    calibration_sheet(wb.create_sheet(lay.sheet("calibration", lang)), scheme, frame, lang)
    write_config(wb.create_sheet(lay.sheet("config", lang)), scheme, lang)
    meta = wb.create_sheet(lay.sheet("meta", lang))
    rows = [("period", per.label), ("lang", lang), ("scheme_fingerprint", scheme.fingerprint()),
            ("version", kpi_engine.__version__), ("created_at", dt.datetime.now().isoformat(timespec="seconds")),
            ("computed_at", None), (OWNED_KEY, lay.sheet("help", lang))]  # 说明 is compute's: rebuilt from the scheme
    for r, (key, value) in enumerate(rows, 1):
        write(meta, r, 1, key)
        write(meta, r, 2, value).number_format = "@"
    meta.sheet_state = "veryHidden"  # never printed: it has no print setup, and hidden sheets do not print
    help_sheet(help_ws, scheme, per.label, lang)
    tables = {sheet.name(lang) for sheet, _ in input_columns(scheme)} | {lay.sheet(key, lang) for key in
                                                                         ("shops", "calibration")}  # header rows 1-2
    for ws in (help_ws, *(wb[name] for name in tables), wb[lay.sheet("config", lang)]):
        set_up_printing(ws, per.label, lang, title_rows=lay.id_row if ws.title in tables else 0)
    return wb


@bulk_work()
def write_new(path: str | Path, period: str, roster: pd.DataFrame | None = None, lang: str = "zh",
              scheme: Scheme | None = None, owners: Sequence[Sequence[Any]] = ()) -> Path:
    """Build the workbook and save it atomically (temp file beside ``path``, then replace)."""
    path = Path(path)
    wb = new_workbook(period, roster, lang, scheme, owners)
    atomic_write(path, lambda tmp: save_workbook(wb, tmp))
    return path

