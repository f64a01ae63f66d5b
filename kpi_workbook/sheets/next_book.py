"""Next period's workbook: same roster and scheme (with HR's edits), inputs blank, and the
values that carry over (:mod:`kpi_workbook.pipeline.carry`) filled in."""

from __future__ import annotations

from typing import Any

from kpi_engine import normalize_id, parse_period

from ..pipeline.carry import carried_values
from ..pipeline.computing import book_lang, load_scheme_from
from ..pipeline.layout import layout
from ..pipeline.reading import read_meta
from ..pipeline.shops import owner_rows
from ..pipeline.sources import SheetSource
from .book import new_workbook


def build_next(source: SheetSource, lang: str | None = None) -> Any:
    """An openpyxl Workbook for the next period, built by the template and then filled."""
    meta = read_meta(source)
    lang = book_lang(meta, lang)
    scheme, _ = load_scheme_from(source, lang)
    period = parse_period(meta.get("period") or None)
    roster, carried = carried_values(source, scheme, period, lang)
    owners = [row[1:] for row in owner_rows(source)]  # shop ownership rarely changes: HR's rows carry
    wb = new_workbook(period.next().label, roster=roster, lang=lang, scheme=scheme, owners=owners)
    lay = layout()
    for ws in wb.worksheets:
        if ws.title in (lay.sheet("help", lang), lay.sheet("config", lang), lay.sheet("meta", lang),
                        lay.sheet("shops", lang)):
            continue
        ids = [c.value for c in ws[lay.id_row]]
        if "employee_id" not in ids:
            continue
        id_col = ids.index("employee_id") + 1
        targets = [(c + 1, fid) for c, fid in enumerate(ids) if fid in carried]
        for r in range(lay.first_data_row, ws.max_row + 1):
            eid = normalize_id(ws.cell(r, id_col).value)
            if eid is None:
                continue
            for c, fid in targets:
                value = carried[fid].get(eid)
                if value is not None:
                    ws.cell(r, c).value = round(value, 10)
    return wb


