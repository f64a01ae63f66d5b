"""``kpi new``: the period workbook — help, one input sheet per data owner, scheme, hidden meta.

This module assembles the workbook and reads the roster that fills it; the sheets themselves
are written by :mod:`.input_sheets`, :mod:`.help_sheet` and :mod:`.config_sheet`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

import kpi_engine
from kpi_engine import Scheme, default_scheme
from kpi_engine.inputs import label_map, normalize_id
from kpi_engine.periods import parse_period

from .cells import save_workbook, write
from .config_sheet import write_config
from .help_sheet import AREAS, _help_sheet, formula_words, rule_words
from .input_sheets import (
    BLANK_ROWS,
    FORMATS,
    HEAD_FILL,
    ID_FONT,
    INPUT_FILL,
    KIND_WORDS,
    SPARE_ROWS,
    _input_sheet,
    input_columns,
)
from .layout import layout
from .reading import OWNED_KEY

# the sheet writers' public names moved to input_sheets and help_sheet; they stay importable from here
__all__ = ["AREAS", "BLANK_ROWS", "FORMATS", "HEAD_FILL", "ID_FONT", "INPUT_FILL", "KIND_WORDS", "SPARE_ROWS",
           "RosterError", "formula_words", "input_columns", "new_workbook", "read_roster", "roster_frame",
           "rule_words", "write_new"]


class RosterError(ValueError):
    """A roster file that cannot be used (no 工号 column, unreadable, unknown type)."""


def _lang(lang: str) -> str:
    return "en" if str(lang).lower().startswith("en") else "zh"


# ------------------------------------------------------------------ roster ---
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
        raise RosterError(f"{source} 中没有工号列（列名应为「工号」或 employee_id），现有列：{found} / "
                          f"roster {source} has no employee ID column (工号 or employee_id); columns found: {found}")
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
    if v is None or isinstance(v, bool):
        return v
    try:
        return float(str(v).replace(",", "")) if isinstance(v, str) else float(v)
    except ValueError:
        return v  # kept as typed; compute reports it


def read_roster(path: str | Path, scheme: Scheme | None = None, *, require_id: bool = True) -> pd.DataFrame:
    """Read a roster or export (.csv in utf-8, utf-8-sig or gbk; .xlsx first sheet); see :func:`roster_frame`."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise RosterError(f"{p.name} 应为 .csv 或 .xlsx 文件 / {p.name} must be a .csv or .xlsx file")
    try:
        if suffix == ".csv":
            raw = p.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gbk")
            df = _csv_frame(text, p.name)
        else:
            from .safety import check_package

            check_package(p)  # refuses damaged or hostile files before any parsing
            df = pd.read_excel(p, dtype=object, engine="openpyxl")
    except (OSError, ValueError) as exc:
        if type(exc).__name__ in ("NotAWorkbook", "UnsafeFile"):
            raise
        raise RosterError(f"无法读取 {p.name}：{exc} / cannot read {p.name}: {exc}") from exc
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
        shown = "、".join(f"第 {line} 行有 {n} 个" for line, n in bad[:5]) + ("……" if len(bad) > 5 else "")
        shown_en = ", ".join(f"line {line} has {n}" for line, n in bad[:5]) + (", …" if len(bad) > 5 else "")
        hint = "（行尾多了逗号？）" if all(n > width for _, n in bad) else ""
        raise RosterError(
            f"{name} 的表头有 {width} 个字段，但{shown}字段{hint}，列会错位，未读取；请在 Excel 中打开并重新另存为 CSV / "
            f"{name}: the header has {width} fields but {shown_en}; the columns would shift, so nothing was read. "
            f"Open it in Excel and save it as CSV again"
        )
    seen: dict[str, int] = {}
    names = []
    for h in header:  # repeated headers get .1, .2 as pandas names them
        names.append(h if h not in seen else f"{h}.{seen[h]}")
        seen[h] = seen.get(h, 0) + 1
    return pd.DataFrame(rows, columns=names, dtype=object)


# ---------------------------------------------------------------- workbook ---
def new_workbook(period: str, roster: pd.DataFrame | None = None, lang: str = "zh",
                 scheme: Scheme | None = None) -> Workbook:
    """The period workbook: 说明, one input sheet per data owner, 指标配置, hidden _kpi_meta."""
    lang, scheme = _lang(lang), scheme or default_scheme()
    per = parse_period(period)
    frame = roster_frame(roster, scheme) if roster is not None else None
    lay = layout()
    wb = Workbook()
    help_ws = wb.active
    help_ws.title = lay.sheet("help", lang)
    for sheet, fields in input_columns(scheme):
        _input_sheet(wb.create_sheet(sheet.name(lang)), sheet, fields, frame, lang)
    write_config(wb.create_sheet(lay.sheet("config", lang)), scheme, lang)
    meta = wb.create_sheet(lay.sheet("meta", lang))
    rows = [("period", per.label), ("lang", lang), ("scheme_fingerprint", scheme.fingerprint()),
            ("version", kpi_engine.__version__), ("created_at", dt.datetime.now().isoformat(timespec="seconds")),
            ("computed_at", None), (OWNED_KEY, None)]
    for r, (key, value) in enumerate(rows, 1):
        write(meta, r, 1, key)
        write(meta, r, 2, value).number_format = "@"
    meta.sheet_state = "veryHidden"
    _help_sheet(help_ws, scheme, per.label, lang)
    return wb


def write_new(path: str | Path, period: str, roster: pd.DataFrame | None = None, lang: str = "zh",
              scheme: Scheme | None = None) -> Path:
    """Build the workbook and save it atomically (temp file beside ``path``, then replace)."""
    path = Path(path)
    wb = new_workbook(period, roster, lang, scheme)
    from .safety import atomic_write

    atomic_write(path, lambda tmp: save_workbook(wb, tmp))
    return path

