"""Platform exports as the scheme reads them: which export column is which field, and how the
daily rows of shops become each person's period values.

DataFrames in, DataFrames out: :mod:`kpi_workbook.pipeline.exports` reads the files (header row,
dates, total rows) and hands over one frame of rows; this module knows the columns by the
scheme's :class:`~kpi_engine.model.Source` lines and combines the rows:

1. per field, a shop's rows of one day are one value: the same shop and day given twice with the
   same value is a duplicate (counted, used once); with different values it is a conflict, and
   the field is not written for that shop's owners;
2. a shop's period total is the sum over its days;
3. the total is split among the shop's owners by their shares, in whole units for counts and
   whole cents for money (largest remainder: the owners' parts add up to the shop's total);
4. a person's value is the sum of their parts over their shops; a ``recompute`` line computes a
   rate or average from the person's summed parts by its formula; ``ignore`` lines are never summed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .model import Scheme, Source

KEYS = ("file", "row", "shop", "date")  # the columns of the rows frame that are not fields
UNIT_SCALES = {"万元": 1e4, "万": 1e4, "千元": 1e3, "千": 1e3, "亿元": 1e8, "亿": 1e8}
GRANULARITY = {"count": 1.0, "money": 0.01}  # a share of a shop's total is rounded to this
_UNIT_TAIL = re.compile(r"^(.+?)[(\[【]([^()\[\]【】]*)[)\]】]$")


def header_key(text: object) -> tuple[str, str]:
    """(key, unit) of a column header as exports write it: full-width forms read as their ASCII
    selves (NFKC: ``（元）`` is ``(元)``), spaces removed, one trailing bracketed unit split off,
    Latin letters lower-cased. ``"支付金额（元）"`` → ``("支付金额", "元")``."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    m = _UNIT_TAIL.match(text)
    if m:
        return m.group(1).lower(), m.group(2)
    return text.lower(), ""


def unit_scale(unit: str) -> float:
    """What a header's unit multiplies the values by (``万元`` → 10,000; ``元``, ``人``… → 1)."""
    return UNIT_SCALES.get(unit, 1.0)


@dataclass(frozen=True)
class ColumnMatch:
    """One column of an export matched to a source line."""

    column: int  # 0-based position in the file's header row
    header: str  # as the file writes it
    source: Source
    scale: float = 1.0
    used: bool = True  # False: another column of the file fills the same input (or is the same field) first
    instead: str = ""  # the header used instead, when not used


@dataclass(frozen=True)
class HeaderMatch:
    """The columns of one export known to the scheme, the platform they point to, and the rest."""

    columns: tuple[ColumnMatch, ...]
    unknown: tuple[tuple[int, str], ...]
    platform: str

    def role(self, use: str) -> ColumnMatch | None:
        """The (first) date or shop column."""
        return next((c for c in self.columns if c.source.use == use and c.used), None)

    def fields(self) -> list[ColumnMatch]:
        """The used columns that carry numbers (sum and recompute lines)."""
        return [c for c in self.columns if c.used and c.source.use in ("sum", "recompute")]


def known_keys(scheme: Scheme) -> set[str]:
    """Every header key the scheme's source lines know."""
    return {header_key(h)[0] for s in scheme.sources for h in s.headers}


def match_headers(scheme: Scheme, headers: Sequence[object]) -> HeaderMatch:
    """The export's header row matched to the scheme's source lines.

    A header may be named by lines of several platforms (访客数 is 生意参谋's and 京东商智's): the
    platform whose lines name most of the file's headers is the file's, and its line is taken.
    When two columns of one file fill the same input (支付父订单数 and 支付子订单数), the column
    whose line comes first in the scheme is used and the other is reported as not used.
    """
    order = {id(s): i for i, s in enumerate(scheme.sources)}
    by_key: dict[str, list[Source]] = {}
    for s in scheme.sources:
        for h in s.headers:
            by_key.setdefault(header_key(h)[0], []).append(s)
    found: list[tuple[int, str, list[Source], float]] = []
    unknown: list[tuple[int, str]] = []
    votes: dict[str, int] = {}
    for c, h in enumerate(headers):
        if h is None or not str(h).strip():
            continue
        key, unit = header_key(h)
        lines = by_key.get(key)
        if not lines:
            unknown.append((c, str(h).strip()))
            continue
        found.append((c, str(h).strip(), lines, unit_scale(unit)))
        for p in {s.platform for s in lines if s.platform}:
            votes[p] = votes.get(p, 0) + 1
    platform = max(votes, key=lambda p: (votes[p], -min(order[id(s)] for s in scheme.sources if s.platform == p)),
                   default="")
    picked = [(c, h, next((s for s in lines if s.platform == platform), lines[0]), scale)
              for c, h, lines, scale in found]
    taken: dict[str, str] = {}  # input (or field, or role) -> header used
    columns = []
    for c, h, s, scale in sorted(picked, key=lambda x: (order[id(x[2])], x[0])):
        slot = s.use if s.use in ("date", "shop") else s.input or f"field:{s.field}"
        if s.use == "ignore":
            columns.append(ColumnMatch(c, h, s, scale))
        elif slot in taken:
            columns.append(ColumnMatch(c, h, s, scale, used=False, instead=taken[slot]))
        else:
            taken[slot] = h
            columns.append(ColumnMatch(c, h, s, scale))
    return HeaderMatch(tuple(sorted(columns, key=lambda m: m.column)), tuple(unknown), platform)


# ------------------------------------------------------------------ combining ---
@dataclass
class Combined:
    """What the rows of all exports come to.

    - ``values``: index employee_id, one column per input filled: the period values (NaN: none);
    - ``origin``: (employee_id, input) -> the files its value came from;
    - ``shops``: one row per shop and field: ``total``, ``days`` (distinct dates), ``first`` and
      ``last`` date, ``files``, and ``owned`` (False: nobody owns the shop, nothing was written);
    - ``conflicts``: one row per shop, day and field given twice with different values: ``file``,
      ``row``, ``value`` and ``other_file``, ``other_row``, ``other_value``; ``blocked`` lists
      the (employee_id, input) not written because of them;
    - ``duplicates``: rows given twice with the same values (used once).
    """

    values: pd.DataFrame
    origin: dict[tuple[str, str], tuple[str, ...]]
    shops: pd.DataFrame
    conflicts: pd.DataFrame
    blocked: set[tuple[str, str]] = field(default_factory=set)
    duplicates: int = 0


def field_lines(scheme: Scheme) -> dict[str, Source]:
    """The first source line of each field (the lines of one field agree: the scheme checks it)."""
    out: dict[str, Source] = {}
    for s in scheme.sources:
        out.setdefault(s.field, s)
    return out


def combine(rows: pd.DataFrame, owners: pd.DataFrame, scheme: Scheme) -> Combined:
    """Combine export rows into each owner's period values (see the module's docstring).

    ``rows``: columns ``file``, ``row``, ``shop``, ``date`` (NaT/None when the file has no date
    column) and one float column per field id (NaN: blank). ``owners``: columns ``shop``,
    ``employee_id``, ``share`` (the shares of one shop add up to 1; checked by the caller).
    """
    lines = field_lines(scheme)
    kinds = {f.id: f.kind for f in scheme.inputs}
    fields = [c for c in rows.columns if c not in KEYS and c in lines and lines[c].use == "sum"]
    owners = owners[["shop", "employee_id", "share"]].astype({"shop": object, "employee_id": object, "share": float})
    keyed = rows[list(KEYS)].copy()
    keyed["shop"] = keyed["shop"].astype(object)
    keyed["date"] = pd.to_datetime(keyed["date"])
    parts: list[pd.DataFrame] = []
    shop_rows: list[pd.DataFrame] = []
    conflicts: list[dict] = []
    blocked_shops: set[tuple[str, str]] = set()
    origin: dict[tuple[str, str], set[str]] = {}
    duplicates = 0
    for f in fields:
        sub = keyed[rows[f].notna().to_numpy()].assign(value=rows[f][rows[f].notna()].to_numpy(dtype=float))
        if sub.empty:
            continue
        sub, found, dups = _one_per_day(sub, f)
        conflicts += found
        duplicates += dups
        blocked_shops |= {(c["shop"], f) for c in found}
        by_shop = sub.groupby("shop", sort=True)
        totals = pd.DataFrame({"total": by_shop["value"].sum(), "days": by_shop["date"].nunique(),
                               "first": by_shop["date"].min(), "last": by_shop["date"].max(),
                               "files": by_shop["file"].agg(lambda s: tuple(dict.fromkeys(s)))}).reset_index()
        totals["field"] = f
        shop_rows.append(totals)
        share = totals.merge(owners, on="shop", how="inner")
        if share.empty:
            continue
        share["part"] = apportion(share["shop"], share["total"], share["share"],
                                  GRANULARITY.get(kinds.get(lines[f].input, ""), 0.0))
        share["field"] = f
        parts.append(share[["employee_id", "shop", "field", "part"]])
        for eid, files in zip(share["employee_id"], share["files"]):
            origin.setdefault((eid, f), set()).update(files)
    shops = pd.concat(shop_rows, ignore_index=True) if shop_rows else pd.DataFrame(
        columns=["shop", "total", "days", "first", "last", "files", "field"])
    shops["owned"] = shops["shop"].isin(set(owners["shop"]))
    per_field = _per_person(parts)
    values, blocked, by_input = _inputs(per_field, parts, blocked_shops, owners, lines, scheme)
    origin_out = {}
    for (eid, inp), flds in by_input.items():
        files = sorted({f for fld in flds for f in origin.get((eid, fld), ())})
        origin_out[(eid, inp)] = tuple(files)
    cols = ["shop", "date", "field", "file", "row", "value", "other_file", "other_row", "other_value"]
    return Combined(values, origin_out, shops, pd.DataFrame(conflicts, columns=cols), blocked, duplicates)


def _one_per_day(sub: pd.DataFrame, f: str) -> tuple[pd.DataFrame, list[dict], int]:
    """One value per shop and day: the first of identical repeats, and the conflicts found."""
    dup = sub.duplicated(["shop", "date"], keep=False).to_numpy()
    if not dup.any():
        return sub, [], 0
    conflicts, duplicates = [], 0
    for (shop, day), group in sub[dup].groupby(["shop", "date"], dropna=False, sort=False):
        first = group.iloc[0]
        for _, other in group.iloc[1:].iterrows():
            if np.isclose(other["value"], first["value"], rtol=1e-12, atol=1e-9):
                duplicates += 1
            else:
                conflicts.append({"shop": shop, "date": None if pd.isna(day) else day.date(), "field": f,
                                  "file": first["file"], "row": int(first["row"]), "value": float(first["value"]),
                                  "other_file": other["file"], "other_row": int(other["row"]),
                                  "other_value": float(other["value"])})
    return sub[~sub.duplicated(["shop", "date"], keep="first").to_numpy()], conflicts, duplicates


def apportion(groups: pd.Series, totals: pd.Series, shares: pd.Series, unit: float) -> np.ndarray:
    """Each owner's part of their group's total: ``share × total``; with a ``unit`` (1 for counts,
    0.01 for money) in whole units, the largest remainders rounded up, so that the parts of a group
    add up exactly to its total (rounded to the unit)."""
    totals = totals.to_numpy(dtype=float)
    shares = shares.to_numpy(dtype=float)
    if not unit:
        return totals * shares
    units = np.round(totals / unit)
    raw = units * shares
    base = np.floor(raw + 1e-9)
    frame = pd.DataFrame({"g": groups.to_numpy(), "base": base, "frac": raw - base, "units": units})
    left = frame.groupby("g")["units"].transform("first") - frame.groupby("g")["base"].transform("sum")
    rank = frame.groupby("g")["frac"].rank(method="first", ascending=False)
    base = base + (rank.to_numpy() <= np.round(left.to_numpy()))
    return np.round(base * unit, 2 if unit < 1 else 0)


def _per_person(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame()
    long = pd.concat(parts, ignore_index=True)
    return long.pivot_table(index="employee_id", columns="field", values="part", aggfunc="sum", sort=True)


def _inputs(per_field: pd.DataFrame, parts: list[pd.DataFrame], blocked_shops: set[tuple[str, str]],
            owners: pd.DataFrame, lines: dict[str, Source], scheme: Scheme
            ) -> tuple[pd.DataFrame, set[tuple[str, str]], dict[tuple[str, str], list[str]]]:
    """The inputs' values from the per-person field sums (sum lines added up per input, recompute
    lines evaluated); the (employee, input) pairs a conflict blocks; which fields made each value."""
    from . import expr

    blocked_fields = {(eid, f) for shop, f in blocked_shops for eid in owners.loc[owners["shop"] == shop, "employee_id"]}
    values: dict[str, pd.Series] = {}
    made_of: dict[str, list[str]] = {}
    for f in per_field.columns:
        s = lines[f]
        if s.use == "sum" and s.input:
            values[s.input] = per_field[f] if s.input not in values else values[s.input].add(per_field[f], fill_value=0)
            made_of.setdefault(s.input, []).append(f)
    for s in field_lines(scheme).values():
        if s.use != "recompute" or not s.input or per_field.empty:
            continue
        formula = expr.parse(s.formula)
        numbers = {c: per_field[c].to_numpy(dtype=float) if c in per_field else np.full(len(per_field), np.nan)
                   for c in formula.columns}
        env = expr.Env(n=len(per_field), numbers=numbers)
        with np.errstate(all="ignore"):
            result = formula.evaluate(env).astype(float)
        values[s.input] = pd.Series(np.where(np.isfinite(result), result, np.nan), index=per_field.index)
        made_of[s.input] = list(formula.columns)
    frame = pd.DataFrame(values, index=per_field.index) if values else pd.DataFrame(index=per_field.index)
    blocked = set()
    for inp, flds in made_of.items():
        for eid in frame.index:
            if any((eid, f) in blocked_fields for f in flds):
                blocked.add((eid, inp))
                frame.at[eid, inp] = np.nan
    by_input = {(eid, inp): flds for inp, flds in made_of.items() for eid in frame.index
                if not pd.isna(frame.at[eid, inp]) or (eid, inp) in blocked}
    return frame, blocked, by_input


def shop_key(name: object) -> str:
    """A shop's name as exports and the roster are compared: full-width forms as ASCII (NFKC),
    spaces around dropped and runs of spaces inside made one ("" for a blank)."""
    if name is None:
        return ""
    if isinstance(name, float) and name.is_integer():
        name = int(name)
    return " ".join(unicodedata.normalize("NFKC", str(name)).split())


def split_names(text: object, separators: Iterable[str] = ("、", ";", "；", ",", "，")) -> list[str]:
    """Shop names typed in one cell: separated by 、 ; ； , or ，; blanks dropped, order kept
    (each as :func:`shop_key` gives it)."""
    if text is None or (isinstance(text, float) and text != text):
        return []
    out = str(text)
    for sep in separators:
        out = out.replace(sep, "\n")
    return list(dict.fromkeys(k for p in out.split("\n") if (k := shop_key(p))))
