"""Rosters and exports as HR has them: a .csv (UTF-8 with or without BOM, GBK) or an .xlsx, read
into a frame of known columns (by canonical id or Chinese/English label) with ids as text."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd

from kpi_engine.errors import KpiError
from kpi_engine.i18n import PerLang
from kpi_engine.inputs import label_map, normalize_id
from kpi_engine.model import Scheme
from kpi_engine.numbers import parse_number
from kpi_engine.scheme import default_scheme

from ..ooxml import check_package
from .errors import workbook_error


class RosterError(KpiError):
    """A roster file that cannot be used (no 工号 column, unreadable, unknown type)."""

    code = "roster"


def roster_frame(df: pd.DataFrame, scheme: Scheme | None = None, source: str = "roster", *,
                 require_id: bool = True) -> pd.DataFrame:
    """Known columns (by id or zh/en label) renamed to ids, others kept as they are; employee_id
    as text; numbers typed as text converted where they parse; blank rows dropped."""
    scheme = scheme or default_scheme()
    labels, fields = label_map(scheme), {f.id: f for f in scheme.inputs}
    rename: dict[Any, str] = {}
    for col in df.columns:
        canon = labels.get(str(col).strip().lower())
        if canon and canon not in rename.values():
            rename[col] = canon
    if require_id and "employee_id" not in rename.values():
        found = "、".join(str(c) for c in df.columns) or "（无）"
        raise workbook_error("roster_no_id", RosterError, source=source, found=found)
    out = df.rename(columns=rename).astype(object)
    out = out.mask(out.map(lambda v: v is None or (isinstance(v, float) and v != v) or str(v).strip() == ""), None)
    if "employee_id" in out.columns:
        out = out[out["employee_id"].map(lambda v: str(v).strip()) != "employee_id"]  # a copied machine-id row
        out["employee_id"] = out["employee_id"].map(normalize_id)
    for col in out.columns:
        f = fields.get(col) if col != "employee_id" else None
        if f is not None:
            out[col] = out[col].map(_maybe_number if f.numeric else _text)
    out = out.dropna(how="all").reset_index(drop=True).astype(object)
    return out.where(out.notna(), None)


def _text(v: Any) -> Any:
    return None if v is None else normalize_id(v) if isinstance(v, float) else str(v).strip()


def _maybe_number(v: Any) -> Any:
    """A number cell as a float when it reads as one (kpi_engine.parse_number); else kept as typed,
    for compute to report."""
    if v is None or isinstance(v, bool):
        return v
    number = parse_number(v)
    return v if number is None else number


def read_roster(path: str | Path, scheme: Scheme | None = None, *, require_id: bool = True) -> pd.DataFrame:
    """Read a roster or export (.csv in utf-8, utf-8-sig or gbk; .xlsx first sheet); see :func:`roster_frame`."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise workbook_error("roster_type", RosterError, name=p.name)
    try:
        if suffix == ".csv":
            raw = p.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gbk")
            df = _csv_frame(text, p.name)
        else:
            check_package(p)  # refuses damaged or hostile files before any parsing
            df = pd.read_excel(p, dtype=object, engine="openpyxl")
    except (OSError, ValueError) as exc:
        if type(exc).__name__ in ("NotAWorkbook", "UnsafeFile"):
            raise
        raise workbook_error("roster_unreadable", RosterError, name=p.name, detail=exc) from exc
    return roster_frame(df, scheme, p.name, require_id=require_id)


def _csv_frame(text: str, name: str) -> pd.DataFrame:
    """A CSV as a frame of text, every row as wide as the header; a row with more or fewer fields
    is refused, naming its line (pandas would shift it: a trailing comma moves 工号 into the index)."""
    reader = csv.reader(io.StringIO(text))
    rows, bad = [], []
    header: list[str] | None = None
    for row in reader:
        if not any(field.strip() for field in row):
            continue  # blank lines
        if header is None:
            header = row
        elif len(row) != len(header):
            bad.append((reader.line_num, len(row)))
        else:
            rows.append(row)
    if header is None:
        return pd.DataFrame()
    if bad:
        width = len(header)
        lines_zh = "、".join(f"第 {line} 行有 {n} 个" for line, n in bad[:5]) + ("……" if len(bad) > 5 else "")
        lines_en = ", ".join(f"line {line} has {n}" for line, n in bad[:5]) + (", …" if len(bad) > 5 else "")
        comma = all(n > width for _, n in bad)
        hint = PerLang("（行尾多了逗号？）" if comma else "", " (a trailing comma?)" if comma else "")
        raise workbook_error("roster_ragged", RosterError, name=name, width=width, lines=PerLang(lines_zh, lines_en),
                             hint=hint)
    seen: dict[str, int] = {}
    names = []
    for h in header:  # repeated headers get .1, .2 as pandas names them
        names.append(h if h not in seen else f"{h}.{seen[h]}")
        seen[h] = seen.get(h, 0) + 1
    return pd.DataFrame(rows, columns=names, dtype=object)
