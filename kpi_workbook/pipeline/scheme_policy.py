"""The scheme sheet's tables of what follows the scores (calibration, pay), both ways as data.

:func:`sections` turns the tables the reader found into the scheme's ``calibration`` and ``pay``
sections (absent when their settings table is absent or empty: an older book is read as it was,
with both off); :func:`locate` gives the cell of a problem :mod:`kpi_engine.policy` found;
:func:`table_rows` gives the rows the scheme sheet writes. The tables themselves are registered in
:data:`.scheme_tables.TABLES`.
"""

from __future__ import annotations

import re
from typing import Any

from kpi_engine.model import Scheme

SETTINGS = {"calibration": ("enabled", "scope", "min_team_size", "rounding"), "pay": ("enabled", "base", "overrun")}


def sections(reader: Any) -> dict[str, Any]:
    """``{"calibration": {...}, "pay": {...}}`` from the reader's tables (a key only when its
    settings table has a row)."""
    out: dict[str, Any] = {}
    for key, fields in SETTINGS.items():
        rows = reader.rows(key)
        if not rows:
            continue
        first = rows[0]
        out[key] = {f: first[f] for f in fields if first.get(f) not in (None, "")}
    if "calibration" in out:
        out["calibration"]["limits"] = [{"grades": d["grades"], "max_share": d["max_share"]}
                                        for d in reader.rows("calibration_limits")]
    if "pay" in out:
        out["pay"]["coefficients"] = {d["grade"]: d["coefficient"] for d in reader.rows("pay_coefficients")
                                      if d["grade"]}
        out["pay"]["pools"] = {d["team"]: d["pool"] for d in reader.rows("pay_pools") if d["team"]}
    return out


def locate(reader: Any, item: str, field: str) -> tuple[int, int | None] | None:
    """(row, column) of a problem of the calibration or pay section; None when it is not one of theirs."""
    m = re.fullmatch(r"calibration\.limits\[(\d+)\]", item)
    if m:
        return _row_cell(reader, "calibration_limits", int(m.group(1)) - 1, field or "grades")
    if item in SETTINGS:
        if item == "calibration" and field == "limits":
            return _title(reader, "calibration_limits")
        return _row_cell(reader, item, 0, field if field in SETTINGS[item] else "enabled")
    for key, table, name_field, value_field in (("pay.coefficients", "pay_coefficients", "grade", "coefficient"),
                                                ("pay.pools", "pay_pools", "team", "pool")):
        if item == key:
            rows = reader.tables.get(table, {}).get("rows", [])
            at = next((i for i, (_, raw) in enumerate(rows) if _same(raw.get(name_field), field)), None)
            return _row_cell(reader, table, at, value_field) if at is not None else _title(reader, table)
    return None


def _same(cell: Any, name: str) -> bool:
    return cell is not None and str(cell).strip() == name


def _row_cell(reader: Any, table: str, index: int, field: str) -> tuple[int, int | None]:
    rows = reader.tables.get(table, {}).get("rows", [])
    if 0 <= index < len(rows):
        return rows[index][0], reader.col(table, field)
    return _title(reader, table)


def _title(reader: Any, table: str) -> tuple[int, int | None]:
    found = reader.tables.get(table)
    return (found["title"], 1) if found else (0, None)


def table_rows(scheme: Scheme, key: str) -> list[dict[str, Any]]:
    """The rows the scheme sheet writes for one of the tables (none when the section is absent)."""
    calib, pay = scheme.calibration, scheme.pay
    if key == "calibration" and calib is not None:
        return [{"enabled": calib.enabled, "scope": calib.scope, "min_team_size": calib.min_team_size,
                 "rounding": calib.rounding}]
    if key == "calibration_limits" and calib is not None:
        return [{"grades": limit.label(), "max_share": limit.max_share} for limit in calib.limits]
    if key == "pay" and pay is not None:
        return [{"enabled": pay.enabled, "base": pay.base, "overrun": pay.overrun}]
    if key == "pay_coefficients" and pay is not None:
        return [{"grade": g, "coefficient": c} for g, c in pay.coefficients.items()]
    if key == "pay_pools" and pay is not None:
        return [{"team": t, "pool": v} for t, v in pay.pools.items()]
    return []
