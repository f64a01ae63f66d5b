"""The scheme as an editable sheet (指标配置), and back.

The sheet holds stacked tables. Each starts with a title row whose column A is a marker
(``#groups``, ``#indicators``, …), then a label row for people and a machine row of field
ids (small grey font): reading uses only markers and ids, never labels. Data rows run to the
next marker; blank rows and rows whose column A starts with ``#`` (notes) are skipped, so HR
may insert or delete rows anywhere inside a table.

Cells that hold structure (params, gate, choices) use the short text syntax of
:mod:`kpi_workbook.config_syntax`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_engine.model import DIRECTIONS, GAPS, INPUT_KINDS, ROUNDINGS, Scheme
from kpi_engine.problems import clip, show_value
from kpi_engine.rules import RULES
from kpi_engine.scheme import SchemeError, scheme_from_dict

from .cells import CellProblem, cell_ref, write
from .config_syntax import (  # the format_*/parse_* names stay importable from here
    _NUMBER,
    format_choices,
    format_gate,
    format_params,
    parse_choices,
    parse_gate,
    parse_params,
)

T, N, B, F, P, G, C = "text", "num", "bool", "formula", "params", "gate", "choices"  # column kinds
SPARE_ROWS = 3
ID_FONT = Font(size=8, color="808080")
NOTE_FONT = Font(size=9, italic=True, color="808080")
TITLE_FILL = PatternFill("solid", fgColor="D9E1F2")
HEAD_FILL = PatternFill("solid", fgColor="EDEDED")
DATA_FILL = PatternFill("solid", fgColor="FFFDF0")

# key -> (title zh, title en, "field:label zh:label en:kind" …, note zh, note en); kinds above
# key -> (title zh, title en, ("field:label zh:label en[:kind]", …), note zh, note en); kinds above
TABLES: dict[str, tuple[str, str, tuple[str, ...], str, str]] = {
    "meta": ("方案信息", "Scheme", ("key:项目:Key", "value:内容:Value"), "", ""),
    "groups": ("分组", "Groups", ("id:编号:ID", "name_zh:名称:Name (zh)", "name_en:英文名称:Name (en)", "weight:权重:Weight:num",
                                  "parent:上级分组:Parent"),
               "上级分组为空即顶层维度（合计应为 100）；下级权重合计与上级不符时按比例缩放，并给出提示。",
               "A blank parent is a top-level group (they should add up to 100); children are scaled to the parent's weight."),
    "indicators": ("指标", "Indicators", (
        "id:编号:ID", "name_zh:名称:Name (zh)", "name_en:英文名称:Name (en)", "group:分组:Group", "weight:权重:Weight:num",
        "penalty:扣分项:Penalty:bool", "rule:规则:Rule", "metric:指标公式:Metric:formula", "unit:单位:Unit",
        "params:参数:Parameters:params", "gate:门槛:Gate:gate", "advice_zh:建议:Advice (zh)", "advice_en:英文建议:Advice (en)"),
        "规则：bands 分段 / ratio 比值 / per_item 按项计分 / deduct 扣分（见扣分规则表）/ overdue 超时 / weighted_count 按次扣分。"
        "参数：键=值，用 ; 分隔，如 each=3; expected_per_quarter=2；分段 bands=1.2:120, 0.8:x100; below=0"
        "（下限:得分，x100 表示 得分=100×指标值）；按次 counts=platform_violations:10, severe_violations:50。"
        "门槛：公式 >= 数值; unit=%; label_zh=…; label_en=…。扣分项为「是」时扣分可超过权重。单位：% 百分比，x 倍数，pt 分，空=数量。",
        "Rules: bands / ratio / per_item / deduct (see checks) / overdue / weighted_count. Parameters: key=value separated by ;, "
        "e.g. each=3; expected_per_quarter=2; bands=1.2:120, 0.8:x100; below=0 (min:score, x100 = 100 × metric); "
        "counts=platform_violations:10, severe_violations:50. Gate: formula >= number; unit=%; label_zh=…; label_en=…. "
        "Penalty = Yes: deductions may exceed the weight. Units: % percent, x ratio, pt points, blank = count."),
    "checks": ("扣分规则", "Checks", (
        "indicator:指标编号:Indicator", "metric:指标公式:Metric:formula", "target:目标:Target:formula", "direction:方向:Direction",
        "gap:差距口径:Gap", "step:每档:Step:num", "points:每档扣分:Points:num", "rounding:取整:Rounding", "unit:单位:Unit",
        "label_zh:名称:Label (zh)", "label_en:英文名称:Label (en)"),
        "每行一条检查，按指标编号归属，同一指标的多行扣分相加。方向 below 低于目标扣分 / above 高于目标扣分；口径 points 百分点 / "
        "relative 相对目标的百分比；取整 floor 按整档 / ceil 不足一档按一档 / linear 按比例。",
        "One check per row, attached by indicator id; several checks add up. direction below/above the target; gap in "
        "percentage points or relative (% of the target); rounding floor (whole steps), ceil or linear (pro rata)."),
    "lookups": ("查找表", "Lookups", ("table:表名:Table", "key:键:Key", "value:值:Value:num"),
                "公式 lookup(列, '表名') 按该列的值取数；键 * 表示其他所有值。",
                "lookup(column, 'table') in a formula takes the value for the row's value of the column; key * = any other."),
    "grades": ("等级", "Grades", ("grade:等级:Grade", "min:总分下限:Minimum total:num"),
               "从高到低排列：总分 ≥ 下限即为该等级。", "Highest first: a total at or above the minimum gets the grade."),
    "flags": ("标记", "Flags", ("id:编号:ID", "name_zh:名称:Name (zh)", "name_en:英文名称:Name (en)", "when:条件:When:formula"),
              "条件公式成立时标记该员工。", "The employee is flagged when the condition holds."),
    "seasonal": ("季节系数", "Seasonal factors", ("period:季度:Quarter", "factor:系数:Factor:num"),
                 "下期目标 = 本期目标 × 下期系数 ÷ 本期系数。", "Next targets = this period's × factor(next) / factor(this)."),
    "inputs": ("输入列", "Inputs", (
        "id:编号:ID", "name_zh:名称:Name (zh)", "name_en:英文名称:Name (en)", "kind:类型:Kind", "owner:数据表:Owner",
        "required:必填:Required:bool", "positive:须大于0:Positive:bool", "min:最小值:Min:num", "max:最大值:Max:num",
        "choices:选项:Choices:choices", "open_choice:允许其他值:Open choice:bool", "carry:结转公式:Carry:formula"),
        "类型：text 文本 / choice 选项 / money 金额 / count 个数 / rate 比率(0.85=85%) / rating 评分 / number 数值。"
        "数据表：roster 为花名册列（每张表都有）。选项：编号=别名|别名，用 ; 分隔，如 apparel=服装|Apparel; 3c=3C|数码。"
        "结转公式：下一期自动带入的值。",
        "Kinds: text / choice / money / count / rate (0.85 = 85%) / rating / number. Owner roster = on every sheet. "
        "Choices: id=alias|alias separated by ;, e.g. apparel=服装|Apparel; 3c=3C. Carry: the value taken to the next period."),
    "constraints": ("校验关系", "Constraints", ("check:关系:Check:formula", "field:报告字段:Field",
                                             "expected_zh:要求:Expected (zh)", "expected_en:英文要求:Expected (en)"),
                    "关系不成立时在「报告字段」的单元格报告。", "When the relation fails, the field's cell is reported."),
}


def columns(key: str) -> list[tuple[str, str, str, str]]:
    """(field id, label zh, label en, kind) of a table's columns."""
    return [tuple((spec + ":text").split(":")[:4]) for spec in TABLES[key][2]]  # type: ignore[misc]


_TRUE, _FALSE = {"是", "yes", "y", "true", "1", "√"}, {"否", "no", "n", "false", "0", ""}


# ------------------------------------------------------------------ writing ---
def _rows(scheme: Scheme, key: str) -> list[dict[str, Any]]:
    s = scheme
    if key == "meta":
        return [{"key": k, "value": v} for k, v in s.meta.items()]
    if key == "indicators":
        return [{**vars(i), "params": format_params(dict(i.params)), "gate": format_gate(i.gate) if i.gate else ""}
                for i in s.indicators]
    if key == "checks":
        return [{"indicator": i.id, **vars(c)} for i in s.indicators for c in i.checks]
    if key == "inputs":
        return [{**vars(f), "choices": format_choices(f.choices)} for f in s.inputs]
    if key == "lookups":
        return [{"table": t, "key": k, "value": v} for t, tab in s.lookups.items() for k, v in tab.items()]
    if key == "grades":
        return [{"grade": g, "min": m} for g, m in s.grades]
    if key == "seasonal":
        return [{"period": p, "factor": f} for p, f in s.seasonal.items()]
    return [vars(x) for x in {"groups": s.groups, "flags": s.flags, "constraints": s.constraints}[key]]


def _width(text: Any) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def write_config(ws: Any, scheme: Scheme, lang: str = "zh") -> None:
    """Write ``scheme`` onto the openpyxl worksheet ``ws`` as stacked, editable tables."""
    en = str(lang).lower().startswith("en")
    write(ws, 1, 1, "Scheme: edit these tables to change the appraisal (takes effect at the next compute)" if en
          else "指标配置：修改下列表格即可调整考核方案（下次计算时生效）").font = Font(bold=True, size=13)
    write(ws, 2, 1, ("Grey rows hold field ids read by the program: do not change them. Rows may be inserted; blank "
                     "rows are ignored.") if en else "灰色小字行是字段编号，程序按它读取，请勿修改；表内可插入行，空行会被忽略。"
          ).font = NOTE_FONT
    widths: dict[int, int] = {}
    id_ranges: dict[str, str] = {}
    r = 4
    for key, (title_zh, title_en, _, note_zh, note_en) in TABLES.items():
        cols, rows = columns(key), _rows(scheme, key)
        write(ws, r, 1, f"#{key}").font = ID_FONT
        write(ws, r, 2, title_en if en else title_zh).font = Font(bold=True, size=12)
        first, last = r + 3, r + 2 + len(rows) + SPARE_ROWS
        id_ranges[key] = f"$A${first}:$A${last}"
        for c, (fid, zh, en_label, kind) in enumerate(cols, 1):
            ws.cell(r, c).fill = TITLE_FILL
            head = write(ws, r + 1, c, en_label if en else zh)
            head.font, head.fill = Font(bold=True), HEAD_FILL
            write(ws, r + 2, c, fid).font = ID_FONT
            widths[c] = max(widths.get(c, 8), _width(head.value) + 2, _width(fid) + 2)
            for i in range(last - first + 1):
                v = rows[i].get(fid) if i < len(rows) else None
                if kind == B and i < len(rows):
                    v = ("Yes" if en else "是") if v else ("No" if en else "否")
                cell = write(ws, first + i, c, None if v == "" else v)
                cell.fill = DATA_FILL
                cell.number_format = "General" if kind == N else "@"
                widths[c] = max(widths[c], min(_width(v if v is not None else "") + 2, 40))
            _validate_column(ws, key, fid, kind, f"{cell_ref(first, c)}:{cell_ref(last, c)}", en, id_ranges)
        if note_en if en else note_zh:
            write(ws, last + 1, 1, "#note").font = ID_FONT
            write(ws, last + 1, 2, note_en if en else note_zh).font = NOTE_FONT
        r = last + 3
    for c, w in widths.items():
        ws.column_dimensions[cell_ref(1, c)[:-1]].width = w
    ws.freeze_panes = "B3"


def _validate_column(ws: Any, table: str, fid: str, kind: str, ref: str, en: bool, id_ranges: dict[str, str]) -> None:
    options = {"rule": tuple(RULES), "direction": DIRECTIONS, "gap": GAPS, "rounding": ROUNDINGS,
               "kind": INPUT_KINDS, "period": ("Q1", "Q2", "Q3", "Q4")}.get(fid)
    if kind == B:
        options = ("Yes", "No") if en else ("是", "否")
    formula = f'"{",".join(options)}"' if options else None
    formula = {("indicators", "group"): id_ranges.get("groups"),
               ("checks", "indicator"): id_ranges.get("indicators")}.get((table, fid), formula)
    if formula:
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                            errorTitle="Invalid value" if en else "无效的值",
                            error="Pick a value from the list." if en else "请从下拉列表中选择。")
    elif kind == N:
        dv = DataValidation(type="decimal", operator="between", formula1="-1E+12", formula2="1E+12", allow_blank=True,
                            showErrorMessage=True, errorTitle="Not a number" if en else "不是数字",
                            error="Enter a number." if en else "请输入数字。")
    else:
        return
    ws.add_data_validation(dv)
    dv.add(ref)


# ------------------------------------------------------------------ reading ---
def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v).strip()


def _number(v: Any) -> int | float:
    """A cell number or number text; whole numbers become int (cells keep no int/float difference)."""
    if isinstance(v, bool) or v is None:
        raise ValueError(v)
    text = v if isinstance(v, (int, float)) else str(v).strip().replace(",", "")
    if not isinstance(text, (int, float)) and not _NUMBER.match(text):
        raise ValueError(v)
    f = float(text)
    if not math.isfinite(f):
        raise ValueError(v)
    return int(f) if f.is_integer() and abs(f) < 1e15 else f


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
        self.check_rows: dict[str, list[int]] = {}

    def get(self, r: int, c: int) -> Any:
        row = self.grid[r - 1] if 0 < r <= len(self.grid) else []
        v = row[c - 1] if 0 < c <= len(row) else None
        return None if isinstance(v, str) and not v.strip() else v

    def add(self, r: int, c: int | None, field: str, value: Any, zh: str, en: str,
            severity: str = "error", code: str = "config") -> None:
        cell = cell_ref(r, c) if r and c else ""
        self.problems.append(CellProblem(self.sheet, cell, None, field, value, zh if self.lang == "zh" else en,
                                         severity, code))

    def col(self, key: str, field: str) -> int | None:
        return self.tables.get(key, {}).get("cols", {}).get(field)

    def find_tables(self) -> None:
        markers = {f"#{k}": k for k in TABLES}
        starts = [(r, markers[_text(self.get(r, 1)).lower()]) for r in range(1, len(self.grid) + 1)
                  if _text(self.get(r, 1)).lower() in markers]
        for n, (r, key) in enumerate(starts):
            end = starts[n + 1][0] if n + 1 < len(starts) else len(self.grid) + 1
            if key in self.tables:
                self.add(r, 1, key, f"#{key}", f"表 #{key} 出现了两次", f"table #{key} appears twice")
                continue
            known = [c[0] for c in columns(key)]
            id_row = next((i for i in range(r + 1, min(r + 5, end)) if _text(self.get(i, 1)) == known[0]), None)
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

    def convert(self, key: str, r: int, raw: dict[str, Any], item: str) -> dict[str, Any]:
        """One row's cells → typed values, by column kind; bad cells become problems."""
        out: dict[str, Any] = {}
        for fid, zh, en, kind in columns(key):
            v = raw.get(fid)
            where = (r, self.col(key, fid), f"{item}.{fid}", v)
            if kind == N:
                out[fid] = self._number(key, fid, v, item, where)
            elif kind == B:
                t = str(v).lower() if isinstance(v, bool) else _text(v).lower()
                out[fid] = t in _TRUE
                if t not in _TRUE | _FALSE:
                    self.add(*where, f"{item}：「{zh}」应为 是 或 否", f"{item}: '{en}' must be Yes or No", code="config_bool")
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
        positive = fid in ("weight", "step", "points")
        if v is None and key == "inputs":
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
            return math.nan if key in ("lookups", "grades", "seasonal") else None if key == "inputs" else v

    def rows(self, key: str, id_field: str = "") -> list[dict[str, Any]]:
        """Converted rows of a table; with ``id_field``, rows without an id are reported and skipped."""
        out = []
        for r, raw in self.tables.get(key, {"rows": []})["rows"]:
            item = _text(raw.get(id_field)) if id_field else key
            if id_field and not item:
                label = next(c for c in columns(key) if c[0] == id_field)
                self.add(r, self.col(key, id_field), f"{key}.{id_field}", None, f"{TABLES[key][0]}：此行缺少「{label[1]}」",
                         f"{TABLES[key][1]}: this row has no '{label[2]}'", code="config_missing")
                continue
            d = self.convert(key, r, raw, item)
            d["_row"] = r
            out.append(d)
        return out

    def build(self) -> dict[str, Any]:
        """The scheme dict (as in the TOML file) from the tables."""
        data: dict[str, Any] = {"meta": {d["key"]: d["value"] for d in self.rows("meta") if d["key"]}}
        for key in ("groups", "indicators", "inputs", "flags", "constraints"):
            data[key] = self.rows(key, "check" if key == "constraints" else "id")
            for d in data[key]:
                self.where.setdefault((key, d.get("id") or d["check"]), d["_row"])
                if key == "constraints":
                    self.where.setdefault((key, d["field"]), d["_row"])
        inds = {d["id"]: d for d in reversed(data["indicators"])}  # first of duplicate ids wins
        for d in data["indicators"]:
            d.update(checks=[], params=d.get("params") or {})
            if not d.get("gate"):
                d.pop("gate", None)
        for d in data["inputs"]:
            d.update(owner=d["owner"] or "roster", choices=d.get("choices") or {})
        for c in self.rows("checks", "indicator"):
            iid, r = c.pop("indicator"), c.pop("_row")
            if iid not in inds:
                self.add(r, self.col("checks", "indicator"), "checks.indicator", iid, f"扣分规则：指标编号 {iid!r} 不在指标表中",
                         f"checks: indicator id {iid!r} is not in the indicators table", code="config_unknown_indicator")
                continue
            for f in ("direction", "gap", "rounding"):
                if not c[f]:
                    c.pop(f)  # the default applies
            inds[iid]["checks"].append(c)
            self.check_rows.setdefault(iid, []).append(r)
        data["lookups"] = {}
        for d in self.rows("lookups"):
            self.where[("lookups", f"lookups.{d['table']}:{d['key']}")] = d["_row"]
            data["lookups"].setdefault(d["table"], {})[d["key"]] = d["value"]
        data["grades"] = [{"grade": d["grade"], "min": d["min"]} for d in self.rows("grades")]
        data["seasonal"] = {}
        for d in self.rows("seasonal"):
            if d["period"]:
                data["seasonal"][d["period"]] = d["factor"]
                self.where[("seasonal", d["period"])] = d["_row"]
        for key in ("groups", "indicators", "inputs", "flags", "constraints"):
            for d in data[key]:
                d.pop("_row")
        return data

    def locate(self, item: str, field: str, severity: str) -> tuple[int, int | None]:
        """The (row, column) of a scheme issue: the item's row and the field's column."""
        head = re.split(r"[.\[]", field)[0] if field else ""
        m = re.match(r"checks\[(\d+)\]\.?(\w*)", field)
        if m and item in self.check_rows and int(m.group(1)) <= len(self.check_rows[item]):
            return self.check_rows[item][int(m.group(1)) - 1], self.col("checks", m.group(2) or "indicator")
        head = "rule" if head == "checks" else head
        if item.startswith("lookups."):
            return self.where.get(("lookups", f"{item}:{field}"), 0), self.col("lookups", "value")
        if item == "seasonal":
            return self.where.get(("seasonal", field), 0), self.col("seasonal", "factor")
        order = ("groups", "indicators") if severity == "warning" else ("indicators", "groups")
        found = [(t, self.where[(t, item)]) for t in (*order, "inputs", "flags", "constraints")
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
    lang = "en" if str(lang).lower().startswith("en") else "zh"
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
        if issue.item in missing:
            continue  # already reported as a missing table
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
