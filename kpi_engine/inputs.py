"""Turn a raw input frame into clean columns and a list of problems.

Values arrive as a spreadsheet gives them: floats for ids (``1001.0``), numbers typed as
text (``"1,200"``, ``"85%"``, ``"８５％"``, ``"243万"``: read by
:func:`kpi_engine.numbers.parse_number`), Excel error values (``#DIV/0!``), booleans, dates,
blanks (empty, or text that :func:`~kpi_engine.numbers.is_blank_text` reads as blank; a dash is
a blank in a number column and a value in a text or choice column).
Each column is converted in one vectorized pass; only the cells that fail conversion are
looked at one by one, to say what is wrong with them. A bad value becomes blank (NaN) and
is reported; it is never taken as 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import expr
from .errors import KpiError
from .i18n import tr
from .model import InputField, Scheme
from .numbers import blank_text_mask, is_blank_text, parse_number
from .problems import render, show_value

EXCEL_ERRORS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA", "#SPILL!", "#CALC!"}
MAX_MAGNITUDE = 1e15  # no KPI input is larger; beyond it arithmetic could overflow
_INT_TEXT = re.compile(r"^\s*[+-]?\d+\.0*\s*$")


class InputError(KpiError, ValueError):
    """The input as a whole is unusable: not a DataFrame (code ``input_not_a_frame``), or no
    employee_id column (``input_without_ids``)."""


@dataclass
class CleanInput:
    """Clean columns (NaN = blank or invalid), ids, and the problems found."""

    n: int
    ids: np.ndarray  # object array of str | None (blank id)
    numbers: dict[str, np.ndarray]
    texts: dict[str, np.ndarray]
    blank: dict[str, np.ndarray]  # raw blank (not invalid) per known column
    absent: list[str]  # scheme columns not in the frame at all
    excluded: np.ndarray  # rows not scored at all (blank or duplicate id)
    problems: list[dict[str, Any]] = field(default_factory=list)
    # text columns as (codes, distinct values) where they were cleaned once per distinct value
    codes: dict[str, tuple[np.ndarray, list[Any]]] = field(default_factory=dict)
    # columns known to hold no rejected value / no blank (so the masks need not be computed)
    clean_columns: set[str] = field(default_factory=set)
    full_columns: set[str] = field(default_factory=set)
    _invalid: dict[str, np.ndarray | None] = field(default_factory=dict, repr=False)
    # the caller's columns some of ``numbers`` are views of (kept so that pandas copies before a change)
    held: list[pd.Series] = field(default_factory=list, repr=False)

    def invalid(self, col: str) -> np.ndarray:
        """Rows where ``col`` held a value that was rejected (reported, now NaN/None)."""
        mask = self.invalid_or_none(col)
        return np.zeros(self.n, dtype=bool) if mask is None else mask

    def invalid_or_none(self, col: str) -> np.ndarray | None:
        """:meth:`invalid`, or None when no row of ``col`` was rejected (computed once per column)."""
        if col not in self._invalid:
            if col in self.clean_columns or (col not in self.numbers and col not in self.texts):
                mask = None
            elif col in self.numbers:
                mask = np.isnan(self.numbers[col]) & ~self.blank[col]
            else:
                mask = pd.isna(pd.Series(self.texts[col], dtype=object)).to_numpy() & ~self.blank[col]
            self._invalid[col] = mask if mask is not None and mask.any() else None
        return self._invalid[col]

    def blank_or_none(self, col: str) -> np.ndarray | None:
        """The blank mask of ``col``, or None when no row of it is blank."""
        if col in self.full_columns:
            return None
        mask = self.blank.get(col)
        if mask is None or not mask.any():
            self.full_columns.add(col)
            return None
        return mask


def normalize_id(value: Any) -> str | None:
    """Employee ids are text: 1001.0 → '1001', ' E001 ' → 'E001', blank → None."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    text = str(value).strip()
    if is_blank_text(text, dashes=False):  # "" or pandas' "nan" (a dash is kept as typed)
        return None
    if _INT_TEXT.match(text):
        return text.split(".")[0].lstrip("+")
    return text


def label_map(scheme: Scheme) -> dict[str, str]:
    """Canonical id for every id, Chinese and English label (case-insensitive)."""
    out: dict[str, str] = {}
    for f in scheme.inputs:
        for key in (f.id, f.name_zh, f.name_en):
            out[key.strip().lower()] = f.id
    return out


def clean(df: pd.DataFrame, scheme: Scheme, lang: str = "zh") -> CleanInput:
    """The frame's columns found by id or label and cleaned, each bad value reported (in ``lang``)
    and made blank. Raises :class:`InputError` when ``df`` is not a frame or has no id column."""
    df = _canonical_columns(df, scheme)
    n = len(df)
    problems: list[dict[str, Any]] = []
    raw_ids = df["employee_id"].to_numpy(dtype=object)
    ids = _plain_texts(raw_ids)
    unique_ids = ids is not None and _all_different(ids)
    if unique_ids:
        ids = ids.copy()
    else:
        codes, distinct = _distinct(raw_ids)
        ids = np.array(_normalize_ids(distinct), dtype=object)[codes]

    def add(code: str, row: int | None, fld: str, value: Any = None, severity: str = "error", **kw: Any) -> None:
        problems.append({
            "employee_id": None if row is None else ids[row],
            "field": fld,
            "problem": render(code, lang, field=scheme.field_name(fld, lang), value=show_value(value), **kw),
            "severity": severity,
            "code": code,
            "value": value,
            "row": row,
            "indicator": None,
        })

    # plain, distinct ids (the usual case) exclude no row; anything else is looked at row by row
    excluded = np.zeros(n, dtype=bool) if unique_ids else _unusable_ids(ids, add, lang)
    numbers: dict[str, np.ndarray] = {}
    texts: dict[str, np.ndarray] = {}
    blank: dict[str, np.ndarray] = {}
    absent: list[str] = []
    out = CleanInput(n, ids, numbers, texts, blank, absent, excluded, problems)
    plain = _plain_number_columns(df, [f for f in scheme.inputs if f.numeric and f.id in df.columns], out.held)
    for f in scheme.inputs:
        if f.id == "employee_id":
            continue
        before = len(problems)
        if f.id not in df.columns:
            absent.append(f.id)
            blank[f.id] = np.ones(n, dtype=bool)
            if f.numeric:
                numbers[f.id] = np.full(n, np.nan)
            else:
                texts[f.id] = np.full(n, None, dtype=object)
            continue
        if f.id in plain:
            numbers[f.id], blank[f.id] = plain[f.id]
        elif f.numeric:
            numbers[f.id], blank[f.id] = _numeric(df[f.id], f, add, lang)
        else:
            texts[f.id], blank[f.id], codes = _text(df[f.id], f, add, lang, out.held)
            if codes is not None:
                out.codes[f.id] = codes
        if len(problems) == before:
            out.clean_columns.add(f.id)
    changed = _constraints(scheme, numbers, n, add, lang)
    out.clean_columns.difference_update(changed)
    return out


def _canonical_columns(df: Any, scheme: Scheme) -> pd.DataFrame:
    """``df`` with its columns named by input id (found by id or either label, first one wins)."""
    if not isinstance(df, pd.DataFrame):
        raise InputError.of("input_not_a_frame")
    labels = label_map(scheme)
    rename = {}
    for col in df.columns:
        canon = labels.get(str(col).strip().lower())
        if canon and canon not in rename.values():
            rename[col] = canon
    if any(col != canon for col, canon in rename.items()):
        df = df.rename(columns=rename)
    if "employee_id" not in df.columns:
        raise InputError.of("input_without_ids")
    duplicated = df.columns.duplicated()
    return df.loc[:, ~duplicated] if duplicated.any() else df


def _unusable_ids(ids: np.ndarray, add: Callable[..., None], lang: str) -> np.ndarray:
    """Rows not scored at all, each reported: an Excel error for an id (made blank), a blank id, an
    id that appears more than once. ``ids`` is changed in place."""
    excluded = np.zeros(len(ids), dtype=bool)
    for row in np.flatnonzero(_excel_errors(ids)):
        add("excel_error", int(row), "employee_id", ids[row], expected=tr("expected.employee_id", lang))
        ids[row] = None
        excluded[row] = True
    for row in np.flatnonzero(pd.isna(pd.Series(ids, dtype=object)).to_numpy() & ~excluded):
        add("blank_id", int(row), "employee_id", None)
        excluded[row] = True
    id_series = pd.Series(ids, dtype=object)
    dup = id_series.duplicated(keep=False).to_numpy() & ~excluded
    if dup.any():
        first_rows = id_series[dup].reset_index().groupby(0)["index"].apply(list)
        for row in np.flatnonzero(dup):
            rows = first_rows[ids[row]]
            detail = tr("words.rows", lang, rows=", ".join(str(r + 1) for r in rows))
            add("duplicate_id", int(row), "employee_id", ids[row], detail=detail)
        excluded |= dup
    return excluded


def _is_blank_array(raw: pd.Series, *, dashes: bool) -> np.ndarray:
    """Blank = NaN/None, or text :func:`~kpi_engine.numbers.is_blank_text` reads as blank (a dash
    only when ``dashes``: in a number column, not in a text or choice column)."""
    blank = np.array(pd.isna(raw).to_numpy(), dtype=bool, copy=True)
    if not pd.api.types.is_numeric_dtype(raw.dtype) and len(raw):
        blank |= blank_text_mask(raw.tolist(), dashes=dashes)
    return blank


def _numeric(raw: pd.Series, f: InputField, add, lang: str) -> tuple[np.ndarray, np.ndarray]:
    fast = _plain_numbers(raw, f)
    if fast is not None:
        return fast
    blank = _is_blank_array(raw, dashes=True)
    if pd.api.types.is_bool_dtype(raw.dtype):
        values = np.full(len(raw), np.nan)
        bad = ~blank
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        values = np.array(raw.to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)
        bad = np.zeros(len(raw), dtype=bool)
    else:
        obj = raw.astype(object)
        is_bool = np.array([isinstance(v, (bool, np.bool_)) for v in obj.tolist()], dtype=bool)
        values = np.array(pd.to_numeric(obj.where(~is_bool), errors="coerce").to_numpy(dtype=float, na_value=np.nan), copy=True)
        bad = np.isnan(values) & ~blank
    expected = _expected(f, lang)
    for row in np.flatnonzero(bad):
        value = raw.iloc[row]
        parsed = parse_number(value) if isinstance(value, str) else None
        if parsed is not None:
            values[row] = parsed
            continue
        text = str(value).strip() if isinstance(value, str) else None
        if text and text.upper() in EXCEL_ERRORS:
            add("excel_error", int(row), f.id, text, expected=expected)
        else:
            add("not_a_number", int(row), f.id, _plain(value), expected=expected)
    with np.errstate(invalid="ignore"):
        inf = np.isinf(values)
    for row in np.flatnonzero(inf):
        add("not_a_number", int(row), f.id, str(values[row]), expected=expected)
    values[inf] = np.nan
    lo, hi = f.bounds()
    checks = [("above_max", np.abs(values) > MAX_MAGNITUDE)]
    if f.kind == "count":
        checks.append(("not_whole", ~np.isnan(values) & (np.abs(values - np.round(values)) > 1e-9)))
    if f.positive:
        checks.append(("not_positive", values <= 0))
    if lo is not None:
        checks.append(("below_min", values < lo))
    if hi is not None:
        checks.append(("above_max", values > hi))
    flagged = np.zeros(len(values), dtype=bool)
    for code, mask in checks:
        mask = mask & ~flagged
        for row in np.flatnonzero(mask):
            add(code, int(row), f.id, float(values[row]), expected=expected)
        flagged |= mask
    values[flagged] = np.nan
    return values, blank


_NUMERIC_KINDS = {"floating", "integer", "mixed-integer-float", "empty"}


def _plain_number_columns(df: pd.DataFrame, fields: list[InputField],
                          held: list[pd.Series]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(values, blank) of each of ``fields`` held as numpy numbers (blank is NaN) none of which
    breaks a rule of its field (:func:`_plain_numbers`' verdict); a column missing here is read by
    :func:`_numeric`. A float column is not copied where pandas copies on write: its values are a
    read-only view of the frame's, and its Series is kept in ``held``, so that a later change to the
    caller's frame copies the frame's data instead of changing ours. Other columns (integers, or
    pandas without copy-on-write) are copied into one field-by-row block: one allocation, not one per
    column."""
    fields = [f for f in fields if isinstance(df[f.id].dtype, np.dtype) and df[f.id].dtype.kind in "fiu"]
    if not fields or not len(df):
        return {}
    shared = [f for f in fields if _COPY_ON_WRITE and df[f.id].dtype == np.float64]
    copied = [f for f in fields if f not in shared]
    columns = {}
    for f in shared:
        held.append(df[f.id])
        values = held[-1].to_numpy().view()
        values.flags.writeable = False
        columns[f.id] = values
    if copied:
        block = np.empty((len(copied), len(df)))
        for j, f in enumerate(copied):
            block[j] = df[f.id].to_numpy()
            columns[f.id] = block[j]
    spare = np.empty(len(df))
    out = {}
    for f in fields:
        values = columns[f.id]
        low, high = np.fmin.reduce(values), np.fmax.reduce(values)
        if not np.isnan(low) and not _plain_range(f, low, high):
            continue
        if f.kind == "count" and not np.isnan(low):
            np.subtract(values, np.round(values, out=spare), out=spare)
            if not (np.fmax.reduce(spare) <= 1e-9 and np.fmin.reduce(spare) >= -1e-9):
                continue
        out[f.id] = values, np.isnan(values)
    return out


# pandas copies a frame's data before changing it while a Series of it is alive (always from pandas 3)
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True


def _plain_range(f: InputField, low: float, high: float) -> bool:
    """Whether a column whose values run from ``low`` to ``high`` keeps within ``f``'s range."""
    lo, hi = f.bounds()
    if not (-MAX_MAGNITUDE <= low and high <= MAX_MAGNITUDE):  # also ±inf
        return False
    return not ((f.positive and not low > 0) or (lo is not None and low < lo) or (hi is not None and high > hi))


def _plain_numbers(raw: pd.Series, f: InputField) -> tuple[np.ndarray, np.ndarray] | None:
    """(values, blank) of a column of plain numbers (and blanks) none of which breaks a rule of
    ``f``, found with a few whole-column passes; None when anything needs a closer look."""
    dtype = raw.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if isinstance(dtype, np.dtype) and dtype.kind in "fiu":  # numpy numbers: blank is NaN
        values = raw.to_numpy(dtype=float, copy=True)
    elif pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(raw, skipna=True) in _NUMERIC_KINDS:
        obj = raw.to_numpy(dtype=object)
        values = np.array(pd.to_numeric(obj, errors="coerce"), dtype=float, copy=True)
        if (np.isnan(values) != pd.isna(obj)).any():  # something that is neither a number nor blank
            return None
    else:
        return None
    blank = np.isnan(values)
    if not len(values) or blank.all():
        return values, blank
    if not _plain_range(f, np.fmin.reduce(values), np.fmax.reduce(values)):
        return None
    if f.kind == "count" and values.dtype.kind == "f":
        frac = values - np.round(values)
        if not (np.fmax.reduce(frac) <= 1e-9 and np.fmin.reduce(frac) >= -1e-9):
            return None
    return values, blank


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    return value


def _expected(f: InputField, lang: str = "zh") -> str:
    """What a value of ``f`` should be, in words (the {expected} of its problems)."""
    lo, hi = f.bounds()
    if f.kind == "rate":
        return tr("expected.rate", lang)
    if f.kind == "rating":
        return tr("expected.rating", lang, low=f"{lo:g}", high=f"{hi:g}")
    if f.kind == "count":
        return tr("expected.count", lang)
    if f.positive:
        return tr("expected.positive", lang)
    if lo is not None and hi is not None:
        return tr("expected.range", lang, low=f"{lo:g}", high=f"{hi:g}")
    if lo is not None:
        return tr("expected.at_least", lang, low=f"{lo:g}")
    return tr("expected.number", lang)


# kinds of column (pandas.api.types.infer_dtype) whose equal values normalize equally: a column
# of them is cleaned once per distinct value (bools, dates and mixtures are cleaned cell by cell)
_BY_DISTINCT = {"string", "empty", "floating", "integer", "mixed-integer-float"}


def _distinct(raw: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """(codes, values) with ``raw[i] == values[codes[i]]``: blanks (NaN/None) share one None slot."""
    kind = pd.api.types.infer_dtype(raw, skipna=True) if len(raw) else "empty"
    if kind not in _BY_DISTINCT:
        return np.arange(len(raw)), list(raw.tolist())
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    values = list(uniques.tolist()) + [None]
    return np.where(codes < 0, len(values) - 1, codes), values


def _normalize_ids(values: list[Any]) -> list[str | None]:
    """:func:`normalize_id` of each value; plain text that needs no change is only stripped."""
    if not all(v is None or isinstance(v, str) for v in values):
        return [normalize_id(v) for v in values]
    out: list[str | None] = [v if v is None else v.strip() for v in values]
    # only blanks, "nan" and numbers written as text ("1001.0") change beyond the strip
    for i in [i for i, v in enumerate(out) if not v or "." in v or len(v) == 3]:
        out[i] = normalize_id(values[i])
    return out


def _all_different(texts: np.ndarray) -> bool:
    """Whether no text of ``texts`` appears twice: a neighbour comparison when they are in order
    (ids usually are), a set of them otherwise."""
    index = pd.Index(texts, dtype=object, copy=False)
    if index.is_monotonic_increasing:
        return bool(index.is_unique)
    return len(set(texts.tolist())) == len(texts)


def _excel_errors(values: np.ndarray) -> np.ndarray:
    return np.array([isinstance(v, str) and v[:1] == "#" and v.upper() in EXCEL_ERRORS for v in values.tolist()],
                    dtype=bool).reshape(len(values))


def _plain_texts(obj: np.ndarray) -> np.ndarray | None:
    """The column itself when every value is text that cleaning leaves as it is (no spaces around,
    not blank, not "nan", not a number written as text, no Excel error): checked on the whole
    column at once (the values joined into one string); None when any value needs the per-value
    reading."""
    if not len(obj) or pd.api.types.infer_dtype(obj, skipna=False) != "string":
        return None
    values = obj.tolist()
    if not all(values) or list(map(str.strip, values)) != values:  # "" or spaces around
        return None
    joined = _SEP.join(values)
    # "." (a number as text, "1001.0"), "#" (an Excel error), the separator inside a value
    if "." in joined or "#" in joined or joined.count(_SEP) != len(values) - 1:
        return None
    if _NAN_VALUE.search(f"{_SEP}{joined}{_SEP}"):  # pandas' "nan" for a blank cell
        return None
    return obj


_SEP = "\x00"
_NAN_VALUE = re.compile("\x00[nN][aA][nN]\x00")


def _text(raw: pd.Series, f: InputField, add, lang: str, held: list[pd.Series]) -> tuple[np.ndarray, np.ndarray, Any]:
    """(values, blank, codes) of a text or choice column; codes = (per-row index, distinct values)
    when the column was read once per distinct value, else None. A column of plain texts is a
    read-only view of the caller's where pandas copies on write (its Series kept in ``held``, as
    :func:`_plain_number_columns` does), else a copy."""
    obj = raw.to_numpy(dtype=object)
    if f.kind != "choice" or not f.choices:
        plain = _plain_texts(obj)
        if plain is not None:
            if not _COPY_ON_WRITE:
                return plain.copy(), np.zeros(len(plain), dtype=bool), None
            held.append(raw)
            plain = plain.view()
            plain.flags.writeable = False
            return plain, np.zeros(len(plain), dtype=bool), None
    codes, distinct = _distinct(obj)
    d_blank = _is_blank_array(pd.Series(distinct, dtype=object), dashes=False)
    d_values = np.array(_normalize_ids([None if b else v for v, b in zip(distinct, d_blank)]), dtype=object)
    d_error = _excel_errors(d_values)
    blank = d_blank[codes]
    for row in np.flatnonzero(d_error[codes]) if d_error.any() else []:
        expected = "/".join(f.choices) if f.kind == "choice" and f.choices else tr("expected.text", lang)
        add("excel_error", int(row), f.id, d_values[codes[row]], expected=expected)
    d_values[d_error] = None
    if f.kind != "choice" or not f.choices:
        return d_values[codes], blank, (codes, d_values.tolist())
    aliases = {}
    for canon, alts in f.choices.items():
        aliases[canon.lower()] = canon
        for a in alts:
            aliases[a.strip().lower()] = canon
    # the choice mapping, once per distinct value: a known word (any case) is its choice; an
    # unknown one is kept lower-cased in an open choice and rejected in a closed one; blank is NaN
    d_mapped = np.empty(len(d_values), dtype=object)
    d_unknown = np.zeros(len(d_values), dtype=bool)
    for i, (value, is_blank) in enumerate(zip(d_values.tolist(), d_blank.tolist())):
        lowered = value.lower() if isinstance(value, str) else value
        mapped = aliases.get(lowered) if isinstance(lowered, str) else None
        if mapped is None:
            d_unknown[i] = not is_blank
            mapped = lowered if f.open_choice and not is_blank else np.nan
        d_mapped[i] = mapped
    if not f.open_choice:
        names = "/".join(f"{c}（{'、'.join(a[:1])}）" if a else c for c, a in f.choices.items())
        for row in np.flatnonzero(d_unknown[codes]):
            add("unknown_choice", int(row), f.id, d_values[codes[row]], expected=names)
    return d_mapped[codes], blank, (codes, d_mapped.tolist())


def _constraints(scheme: Scheme, numbers: dict[str, np.ndarray], n: int, add, lang: str) -> set[str]:
    """Relations between fields: each failing row reported and its field made blank. Returns the
    fields that lost a value."""
    env = expr.Env(n=n, numbers=numbers)
    changed = set()
    for c in scheme.constraints:
        ok = expr.parse(c.check).evaluate(env)
        bad = ~np.asarray(ok, dtype=bool)
        if not bad.any():
            continue
        for col in expr.parse(c.check).columns:
            bad &= ~np.isnan(numbers[col])
        if not bad.any():
            continue
        expected = c.expected(lang)
        for row in np.flatnonzero(bad):
            add("constraint", int(row), c.field, float(numbers[c.field][row]), expected=expected)
        numbers[c.field] = np.where(bad, np.nan, numbers[c.field])
        changed.add(c.field)
    return changed
