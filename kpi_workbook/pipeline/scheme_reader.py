"""The scheme read back from the sheet 指标配置 (written by :mod:`kpi_workbook.sheets.scheme_sheet`).

Reading uses only the tables' markers and field ids, never labels: data rows run to the next
marker; blank rows and rows whose column A starts with ``#`` (notes) are skipped, so HR may
insert or delete rows anywhere inside a table. Every problem is located to its cell, and a
refusal shows an example of a correct entry (catalog ``scheme_sheet.example_<field>``).

The indicators table is one block per indicator (its row, then rows with only the rule columns
``check.*`` for further deduction rules); a book written before that layout has its rules in a
``#checks`` table keyed by indicator, read as well. What HR types by name (columns, groups,
rules, "12%") is turned into ids by :mod:`.scheme_names`; a blank id takes the item's name.
"""

from __future__ import annotations

import math
import re
from typing import Any

from kpi_engine.i18n import PerLang, both, catalog, lang_of, tr
from kpi_engine.model import Scheme
from kpi_engine.numbers import is_blank, parse_number
from kpi_engine.problems import clip, show_value
from kpi_engine.scheme import SchemeError, scheme_from_dict

from ..ooxml.cells import cell_ref
from .cell_problem import CellProblem
from .scheme_names import Names, resolve
from .scheme_syntax import parse_choices, parse_gate, parse_list, parse_params
from .scheme_tables import (
    CHECK_PREFIX,
    FALSE_WORDS,
    LEGACY_TABLES,
    TABLES,
    TRUE_WORDS,
    B,
    C,
    G,
    L,
    N,
    P,
    columns,
    spec,
)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v).strip()


def _number(v: Any) -> int | float:
    """A cell number or number text (read as the engine reads it: kpi_engine.parse_number, so
    "12%" is 0.12); whole numbers become int (cells keep no int/float difference)."""
    f = parse_number(v)
    if f is None:
        raise ValueError(v)
    return int(f) if f.is_integer() and abs(f) < 1e15 else f


KEYED = {"report": "value", "period_weights": "weight"}  # optional key/value tables -> the value's column

_PARSERS = {P: (parse_params, "each=3; expected_per_quarter=2"),
            G: (parse_gate, "natural_uv / uv >= 0.6; unit=%; label_zh=自然流量占比"),
            C: (parse_choices, "apparel=服装|Apparel; 3c=3C|数码")}


class _Reader:
    """Finds the tables in a grid, converts cells, and locates every problem to its cell."""

    def __init__(self, grid: list[list[Any]], sheet: str, lang: str):
        self.grid, self.sheet, self.lang = grid, sheet, lang
        self.problems: list[CellProblem] = []
        self.tables: dict[str, dict[str, Any]] = {}  # key -> {title, cols, rows}
        self.where: dict[tuple[str, str], int] = {}  # (table, item) -> row
        self.check_rows: dict[str, list[tuple[int, str]]] = {}  # indicator -> (row, table) of each rule

    def get(self, r: int, c: int) -> Any:
        row = self.grid[r - 1] if 0 < r <= len(self.grid) else []
        v = row[c - 1] if 0 < c <= len(row) else None
        return None if is_blank(v) else v

    def add(self, r: int, c: int | None, field: str, value: Any, zh: str, en: str,
            severity: str = "error", code: str = "config") -> None:
        cell = cell_ref(r, c) if r and c else ""
        text = zh if self.lang == "zh" else en
        example = self.example(r, c) if severity == "error" and cell else ""
        if example:
            text += tr("scheme_sheet.example", self.lang, example=example)
        self.problems.append(CellProblem(self.sheet, cell, None, field, value, text, severity, code))

    def example(self, r: int, c: int | None) -> str:
        """A correct entry for the cell's column (of the table the row is in), "" when none is known."""
        inside = [(t["title"], key) for key, t in self.tables.items() if t["title"] <= r]
        if not inside or c is None:
            return ""
        key = max(inside)[1]
        fid = next((f for f, col in self.tables[key]["cols"].items() if col == c), "")
        if key == "checks" and fid != "indicator":
            fid = CHECK_PREFIX + fid
        for name in (f"example_{key}_{fid}", f"example_{fid}"):
            name = "scheme_sheet." + name.replace(".", "_")
            if name in catalog(self.lang):
                return tr(name, self.lang)
        return ""

    def col(self, key: str, field: str) -> int | None:
        return self.tables.get(key, {}).get("cols", {}).get(field)

    def find_tables(self) -> None:
        markers = {f"#{k}": k for k in (*TABLES, *LEGACY_TABLES)}
        starts = [(r, markers[_text(self.get(r, 1)).lower()]) for r in range(1, len(self.grid) + 1)
                  if _text(self.get(r, 1)).lower() in markers]
        for n, (r, key) in enumerate(starts):
            end = starts[n + 1][0] if n + 1 < len(starts) else len(self.grid) + 1
            if key in self.tables:
                self.add(r, 1, key, f"#{key}", f"表 #{key} 出现了两次", f"table #{key} appears twice")
                continue
            known = [c[0] for c in columns(key)]
            # the field-id row: column A holds a field id (a book of today's layout or an older one)
            id_row = next((i for i in range(r + 1, min(r + 5, end)) if _text(self.get(i, 1)) in known), None)
            if id_row is None:
                self.add(r, 1, key, f"#{key}", f"表 #{key} 下方找不到字段编号行（灰色小字，首列为 {known[0]}）",
                         f"no field-id row (grey, first cell {known[0]}) under table #{key}", code="config_table")
                continue
            width = len(self.grid[id_row - 1])
            cols = {_text(self.get(id_row, c)): c for c in range(width, 0, -1) if _text(self.get(id_row, c)) in known}
            rows = []
            for i in range(id_row + 1, end):
                values = {f: self.get(i, c) for f, c in cols.items()}
                if not _text(self.get(i, 1)).startswith("#") and any(v is not None for v in values.values()):
                    rows.append((i, values))
            self.tables[key] = {"title": r, "cols": cols, "rows": rows}

    def convert(self, key: str, r: int, raw: dict[str, Any], item: str, only: list[str] | None = None) -> dict[str, Any]:
        """One row's cells (or ``only`` these fields) → typed values, by column kind; bad cells become problems."""
        out: dict[str, Any] = {}
        for fid, zh, en, kind in columns(key):
            if only is not None and fid not in only:
                continue
            v = raw.get(fid)
            where = (r, self.col(key, fid), f"{item}.{fid}", v)
            if kind == N:
                out[fid] = self._number(key, fid, v, item, where)
            elif kind == B:
                t = str(v).lower() if isinstance(v, bool) else _text(v).lower()
                out[fid] = t in TRUE_WORDS
                if t not in TRUE_WORDS | FALSE_WORDS:
                    self.add(*where, f"{item}：「{zh}」应为 是 或 否", f"{item}: '{en}' must be Yes or No", code="config_bool")
            elif kind == L:
                out[fid] = parse_list(_text(v))
            elif kind in _PARSERS and v is not None:
                parse, example = _PARSERS[kind]
                try:
                    out[fid] = parse(_text(v))
                except ValueError as exc:
                    out[fid] = None
                    self.add(*where, f"{item}：「{zh}」无法识别（{clip(exc)}），写法如 {example}",
                             f"{item}: cannot read '{en}' ({clip(exc)}); write it like {example}", code=f"config_{fid}")
            elif kind not in _PARSERS:
                out[fid] = _text(v)
        return out

    def _number(self, key: str, fid: str, v: Any, item: str, where: tuple) -> Any:
        positive = fid.removeprefix(CHECK_PREFIX) in ("weight", "step", "points")
        v = None if is_blank(v, dashes=True) else v  # a dash in a number cell is a blank, as in the inputs
        if v is None and (key == "inputs" or fid.startswith(CHECK_PREFIX)):  # a rule's blanks: see indicator_blocks
            return None
        try:
            value = _number(v)
            if positive and value <= 0:
                raise ValueError(v)
            return value
        except ValueError:
            zh, en = ("正数", "a positive number") if positive else ("数字", "a number")
            label = next(c for c in columns(key) if c[0] == fid)
            self.add(*where, f"{item}：「{label[1]}」的值 {show_value(v)} 不是{zh}，应为{zh}",
                     f"{item}: '{label[2]}' value {show_value(v)} is not {en}; expected {en}", code="config_number")
            return math.nan if key in ("lookups", "grades", "seasonal", *KEYED) else None if key == "inputs" else v

    def rows(self, key: str, id_field: str = "") -> list[dict[str, Any]]:
        """Converted rows of a table; with ``id_field``, rows without an id are reported and skipped."""
        out = []
        for r, raw in self.tables.get(key, {"rows": []})["rows"]:
            item = self.item(key, r, raw, id_field)
            if item is None:
                continue
            d = self.convert(key, r, raw, item)
            if id_field == "id":
                d["id"] = item
            d["_row"] = r
            out.append(d)
        return out

    def item(self, key: str, r: int, raw: dict[str, Any], id_field: str) -> str | None:
        """The row's id (a blank id takes the name), or None (reported) when it has neither."""
        if not id_field:
            return key
        item = _text(raw.get(id_field)) or (_text(raw.get("name_zh")) if id_field == "id" else "")
        if not item:
            fid = "name_zh" if id_field == "id" and self.col(key, "name_zh") else id_field
            label = next(c for c in columns(key) if c[0] == fid)
            self.add(r, self.col(key, fid), f"{key}.{fid}", None, f"{spec(key)[0]}：此行缺少「{label[1]}」",
                     f"{spec(key)[1]}: this row has no '{label[2]}'", code="config_missing")
            return None
        return item

    def indicator_blocks(self) -> list[dict[str, Any]]:
        """The indicators, each with the deduction rules of its block: its own row's ``check.*``
        cells and those of the rows below it that hold nothing else."""
        out: list[dict[str, Any]] = []
        rule_fields = [c[0] for c in columns("indicators") if c[0].startswith(CHECK_PREFIX)]
        current: dict[str, Any] | None = None
        for r, raw in self.tables.get("indicators", {"rows": []})["rows"]:
            if any(v is not None for f, v in raw.items() if not f.startswith(CHECK_PREFIX)):
                item = self.item("indicators", r, raw, "id")
                current = None if item is None else self.convert("indicators", r, raw, item)
                if current is None:
                    continue
                current.update(id=item, _row=r, checks=[])
                out.append(current)
                values = current
            elif current is None:  # under a row already reported, or under no indicator at all
                if not out:
                    self.add(r, self.col("indicators", rule_fields[0]), "indicators.check", None,
                             *both("scheme_sheet.rule_without_indicator"), code="config_missing")
                continue
            else:
                values = self.convert("indicators", r, raw, current["id"], rule_fields)
            rule = {f.removeprefix(CHECK_PREFIX): values.pop(f, None) for f in rule_fields}
            if any(raw.get(f) is not None for f in rule_fields):
                self.add_check(current, rule, r, "indicators")
        return out

    def add_check(self, ind: dict[str, Any], check: dict[str, Any], r: int, table: str) -> None:
        """A deduction rule of ``ind`` (read at row ``r`` of ``table``): step and points are required."""
        prefix = CHECK_PREFIX if table == "indicators" else ""
        for f in ("step", "points"):
            if check.get(f) is None:
                label = next(c for c in columns(table) if c[0] == prefix + f)
                self.add(r, self.col(table, prefix + f), f"{ind['id']}.{f}", None,
                         *both("scheme_sheet.rule_blank_number", item=ind["id"], label=PerLang(label[1], label[2])),
                         code="config_number")
                check[f] = math.nan
        for f in ("direction", "gap", "rounding", "unit"):
            if not check.get(f):
                check.pop(f, None)  # the default applies (unit: %)
        for f in ("metric", "target", "label_zh", "label_en"):
            check[f] = check.get(f) or ""
        ind["checks"].append(check)
        self.check_rows.setdefault(ind["id"], []).append((r, table))

    def build(self) -> dict[str, Any]:
        """The scheme dict (as in the TOML file) from the tables, names resolved to ids."""
        data: dict[str, Any] = {"meta": {d["key"]: d["value"] for d in self.rows("meta") if d["key"]}}
        for key in ("groups", "inputs", "flags", "constraints"):
            data[key] = self.rows(key, "check" if key == "constraints" else "id")
        data["indicators"] = self.indicator_blocks()
        for d in data["indicators"]:
            d["params"] = d.get("params") or {}
            if not d.get("gate"):
                d.pop("gate", None)
            if not d.get("rule") and d["checks"]:
                d["rule"] = "deduct"  # a blank rule beside a deduction rule
        for d in data["inputs"]:
            d.update(owner=d["owner"] or "roster", choices=d.get("choices") or {})
        names = Names(data["inputs"], data["groups"], data["indicators"])
        self.legacy_checks(data["indicators"], names)
        data["lookups"] = {}
        lookup_rows = []
        for d in self.rows("lookups"):
            lookup_rows.append((d["table"], d["key"], d["_row"]))
            data["lookups"].setdefault(d["table"], {})[d["key"]] = d["value"]
        resolve(data, names)
        for table, key, r in lookup_rows:
            self.where[("lookups", f"lookups.{table}:{names.choice(key)}")] = r
        data["grades"] = [{"grade": d["grade"], "min": d["min"]} for d in self.rows("grades")]
        data["seasonal"] = {}
        for d in self.rows("seasonal"):
            if d["period"]:
                data["seasonal"][d["period"]] = d["factor"]
                self.where[("seasonal", d["period"])] = d["_row"]
        if "sources" in self.tables:  # absent (a workbook made before the table): the shipped lines
            data["sources"] = self.rows("sources", "field")
            for d in data["sources"]:
                self.where.setdefault(("sources", f"sources.{d['field']}"), d.pop("_row"))
                d["use"] = d["use"] or "sum"
        self.optional_sections(data)
        for key in ("groups", "indicators", "inputs", "flags", "constraints"):
            for d in data[key]:
                self.where.setdefault((key, d.get("id") or d["check"]), d["_row"])
                if key == "constraints":
                    self.where.setdefault((key, d["field"]), d["_row"])
                d.pop("_row")
        for d in data.get("rollup_flags", ()):
            d.pop("_row")
        return data

    def optional_sections(self, data: dict[str, Any]) -> None:
        """The optional tables (report settings, period weights, flags across periods); a table
        that is not on the sheet is left out of ``data``: its section's defaults apply."""
        for key, value_field in KEYED.items():
            if key in self.tables:
                data[key] = {}
                for d in self.rows(key):
                    if d["key"]:
                        data[key][d["key"]] = d[value_field]
                        self.where[(key, d["key"])] = d["_row"]
        if "rollup_flags" in self.tables:
            data["rollup_flags"] = self.rows("rollup_flags", "id")
            for d in data["rollup_flags"]:
                self.where.setdefault(("rollup_flags", d["id"]), d["_row"])

    def legacy_checks(self, indicators: list[dict[str, Any]], names: Names) -> None:
        """The ``#checks`` table of a book of the older layout: each row to its indicator (id or name)."""
        inds = {d["id"]: d for d in reversed(indicators)}  # first of duplicate ids wins
        for c in self.rows("checks", "indicator"):
            iid, r = names.indicator(c.pop("indicator")), c.pop("_row")
            if iid not in inds:
                self.add(r, self.col("checks", "indicator"), "checks.indicator", iid, f"扣分规则：指标 {iid!r} 不在指标表中",
                         f"checks: indicator {iid!r} is not in the indicators table", code="config_unknown_indicator")
                continue
            self.add_check(inds[iid], c, r, "checks")

    def locate(self, item: str, field: str, severity: str) -> tuple[int, int | None]:
        """The (row, column) of a scheme issue: the item's row and the field's column."""
        head = re.split(r"[.\[]", field)[0] if field else ""
        m = re.match(r"checks\[(\d+)\]\.?(\w*)", field)
        if m and item in self.check_rows and int(m.group(1)) <= len(self.check_rows[item]):
            r, table = self.check_rows[item][int(m.group(1)) - 1]
            fid = m.group(2) or ("metric" if table == "indicators" else "indicator")
            return r, self.col(table, CHECK_PREFIX + fid if table == "indicators" else fid)
        head = "rule" if head == "checks" else head
        if item.startswith("lookups."):
            return self.where.get(("lookups", f"{item}:{field}"), 0), self.col("lookups", "value")
        if item == "seasonal":
            return self.where.get(("seasonal", field), 0), self.col("seasonal", "factor")
        if item in KEYED:
            return self.where.get((item, field), 0), self.col(item, KEYED[item])
        order = ("groups", "indicators") if severity == "warning" else ("indicators", "groups")
        found = [(t, self.where[(t, item)]) for t in (*order, "inputs", "flags", "constraints", "sources", "rollup_flags")
                 if (t, item) in self.where and (not head or self.col(t, head))]
        if head == "weight" and severity == "error" and len(found) > 1:
            found = [f for f in found if not _positive(self.get(f[1], self.col(f[0], "weight") or 0))] or found
        if found:
            table, row = found[0]
            return row, self.col(table, head or ("field" if table == "constraints" else "id"))
        table = self.tables.get(item)
        if item == "grades" and head == "min" and table and table["rows"]:  # not a number, or out of order
            c, mins = self.col("grades", "min"), [(r, v.get("min")) for r, v in table["rows"]]
            bad = [r for r, v in mins if not _is_number(v)] or [
                r for (_, a), (r, b) in zip(mins, mins[1:]) if _number(b) > _number(a)]
            return (bad[0], c) if bad else (table["title"], 1)
        return (table["title"], 1) if table else (0, None)


def _is_number(v: Any) -> bool:
    try:
        return bool(_number(v) is not None)
    except ValueError:
        return False


def _positive(v: Any) -> bool:
    return _is_number(v) and _number(v) > 0


def read_config(grid: list[list[Any]], sheet_name: str, lang: str = "zh") -> tuple[Scheme | None, list[CellProblem]]:
    """Read the config sheet's values grid back into a Scheme; every problem names its cell.

    Returns ``(None, problems)`` when any problem is an error; warnings (e.g. weights scaled)
    come back with the scheme.
    """
    lang = lang_of(lang)
    reader = _Reader([list(row) for row in grid or []], sheet_name, lang)
    reader.find_tables()
    for key in ("groups", "indicators", "inputs", "grades"):
        if key not in reader.tables and not any(p.field == key for p in reader.problems):
            reader.add(0, None, key, None, f"找不到表 #{key}（A 列的表标记）", f"table #{key} (marker in column A) not found",
                       code="config_table")
    data = reader.build()
    bad_cells = {p.cell for p in reader.problems if p.cell}
    scheme = None
    try:
        scheme = scheme_from_dict(data)
        issues = list(scheme.warnings)
    except SchemeError as exc:
        issues = exc.issues
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # malformed beyond the checks above
        issues = []
        reader.add(0, None, "", None, f"指标配置无法读取：{exc}", f"the scheme sheet cannot be read: {exc}")
    missing = {key for key in TABLES if key not in reader.tables}
    for issue in issues:
        if issue.item in missing or issue.key == "scaled":
            continue  # a missing table is reported as such; scaled weights are said once, on 说明
        r, c = reader.locate(issue.item, issue.field, issue.severity)
        cell = cell_ref(r, c) if r and c else ""
        if cell and cell in bad_cells:
            continue
        reader.add(r, c, f"{issue.item}.{issue.field}" if issue.field else issue.item, reader.get(r, c or 0),
                   f"{issue.item}：{issue.message_zh}", f"{issue.item}: {issue.message_en}", issue.severity,
                   "scheme_warning" if issue.severity == "warning" else "scheme")
    if any(p.severity == "error" for p in reader.problems):
        return None, reader.problems
    return scheme, reader.problems
