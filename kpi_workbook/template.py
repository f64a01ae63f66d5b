"""``kpi new``: the period workbook — help, one input sheet per data owner, scheme, hidden meta.

Input sheets have the label row (row 1), the machine row of canonical ids (row 2: small grey
font, visible — hidden rows are easy to overwrite unseen when pasting, and a visible row tells
HR not to touch it) and data from row 3. Roster columns are repeated on every sheet as plain
values (no cross-sheet formulas that could break when HR sorts or pastes). The autofilter's
header is the id row, so sorting never moves the ids into the data.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

import kpi_engine
from kpi_engine.explain import fmt, num
from kpi_engine.inputs import label_map, normalize_id
from kpi_engine.periods import parse_period
from kpi_engine.scheme import InputField, Scheme, default_scheme

from .cells import cell_ref
from .config_sheet import write_config
from .layout import InputSheet, layout

BLANK_ROWS = 50  # formatted empty rows when there is no roster
SPARE_ROWS = 20  # formatted empty rows below a roster
FORMATS = {"money": "¥#,##0.00", "count": "0", "rate": "0.00%", "rating": "0.0", "number": "0.00", "text": "@", "choice": "@"}
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFFDF0")
ID_FONT = Font(size=8, color="808080")
KIND_WORDS = {
    "text": ("文本", "text"), "choice": ("选项", "choice"), "money": ("金额（元）", "money (yuan)"),
    "count": ("个数（整数）", "count (whole number)"), "rate": ("比率，0.85 = 85%", "rate, 0.85 = 85%"),
    "rating": ("评分", "rating"), "number": ("数值", "number"),
}
# The seven areas of responsibility (article section 一), in our own words: (zh, en name, zh line, en line)
AREAS = (
    ("店铺全域运营管理", "Shop-wide operations", "维护店铺页面、商品上下架、价格与库存同步，守住店铺基础体验与品牌视觉一致。",
     "Keep pages, listings, prices and stock in order and the brand's look consistent."),
    ("流量获取与转化提升", "Traffic and conversion", "组合搜索优化、付费推广与内容营销获取流量，沿浏览—加购—支付漏斗提升转化。",
     "Combine search, paid promotion and content to win traffic; improve each step of the purchase funnel."),
    ("商品全生命周期管理", "Product lifecycle", "从选品、上新节奏到库存周转与滞销清仓，与供应链协同避免断货或积压。",
     "From product selection and launches to stock turnover and clearance, with the supply chain."),
    ("用户运营与复购提升", "Users and repurchase", "按 RFM 分层触达用户，经营私域社群，提升活跃度与复购。",
     "Reach customers by RFM segment and run private-domain groups to lift activity and repurchase."),
    ("数据驱动的运营决策", "Data-driven decisions", "每日跟踪 UV、转化率、客单价等核心数据，用 A/B 测试验证策略，关注竞品与行业趋势。",
     "Track UV, conversion and order value daily, test changes with A/B tests, watch competitors and trends."),
    ("营销活动与资源整合", "Campaigns and resources", "策划大促全周期节奏，协调设计、客服、物流资源，拓展达人直播与品牌联名等合作。",
     "Plan big campaigns end to end, line up design, service and logistics, and build outside partnerships."),
    ("客服与售后协同", "Service and after-sales", "优化客服话术与售后流程，及时处理差评与纠纷，维护店铺评分与口碑。",
     "Improve service scripts and after-sales flow, handle bad reviews and disputes, protect the shop rating."),
)


class RosterError(ValueError):
    """A roster file that cannot be used (no 工号 column, unreadable, unknown type)."""


def _lang(lang: str) -> str:
    return "en" if str(lang).lower().startswith("en") else "zh"


def input_columns(scheme: Scheme) -> list[tuple[InputSheet, list[InputField]]]:
    """Each input sheet with its columns: the roster fields, then the sheet's own inputs.

    Inputs whose owner has no sheet in the layout go to the first sheet, so that every input
    has exactly one place.
    """
    sheets = layout().inputs
    owners = {s.owner for s in sheets}
    roster = [f for f in scheme.inputs if f.owner == "roster"]
    out = []
    for i, sheet in enumerate(sheets):
        own = [f for f in scheme.inputs if f.owner == sheet.owner or (i == 0 and f.owner not in owners | {"roster"})]
        out.append((sheet, roster + own))
    return out


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
        raise RosterError(f"花名册 {source} 中没有工号列（列名应为「工号」或 employee_id），现有列：{found} / "
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
        raise RosterError(f"花名册 {p.name} 应为 .csv 或 .xlsx 文件 / roster {p.name} must be a .csv or .xlsx file")
    try:
        if suffix == ".csv":
            raw = p.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gbk")
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        else:
            df = pd.read_excel(p, dtype=object, engine="openpyxl")
    except (OSError, ValueError) as exc:
        raise RosterError(f"无法读取花名册 {p.name}：{exc} / cannot read roster {p.name}: {exc}") from exc
    return roster_frame(df, scheme, p.name, require_id=require_id)


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
            ("computed_at", None)]
    for r, (key, value) in enumerate(rows, 1):
        meta.cell(r, 1, key)
        meta.cell(r, 2, value).number_format = "@"
    meta.sheet_state = "veryHidden"
    _help_sheet(help_ws, scheme, per.label, lang)
    return wb


def write_new(path: str | Path, period: str, roster: pd.DataFrame | None = None, lang: str = "zh",
              scheme: Scheme | None = None) -> Path:
    """Build the workbook and save it atomically (temp file beside ``path``, then replace)."""
    path = Path(path)
    wb = new_workbook(period, roster, lang, scheme)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def _input_sheet(ws: Any, sheet: InputSheet, fields: list[InputField], roster: pd.DataFrame | None, lang: str) -> None:
    lay = layout()
    first = lay.first_data_row
    n = 0 if roster is None else len(roster)
    last = first + max(n + SPARE_ROWS if n else BLANK_ROWS, BLANK_ROWS) - 1
    for c, f in enumerate(fields, 1):
        head = ws.cell(lay.label_row, c, f.name(lang))
        head.font, head.fill = Font(bold=True), HEAD_FILL
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.comment = Comment(_field_help(f, sheet, lang), "kpi", width=260, height=110)
        ws.cell(lay.id_row, c, f.id).font = ID_FONT
        letter = cell_ref(1, c)[:-1]
        ws.column_dimensions[letter].width = max(10, min(24, _width(f.name(lang)) + 4))
        values = roster[f.id].tolist() if roster is not None and f.id in roster.columns else []
        number_format = FORMATS.get(f.kind, "General")
        for i, r in enumerate(range(first, last + 1)):
            v = values[i] if i < len(values) else None
            cell = ws.cell(r, c, None if isinstance(v, float) and v != v else v)
            cell.fill, cell.number_format = INPUT_FILL, number_format
        _validation(ws, f, f"{letter}{first}:{letter}{last}", lang)
    ws.row_dimensions[lay.label_row].height = 30
    ws.row_dimensions[lay.id_row].height = 11
    name_col = next((c for c, f in enumerate(fields, 1) if f.id == "name"), 1)
    ws.freeze_panes = cell_ref(first, name_col + 1)
    ws.auto_filter.ref = f"A{lay.id_row}:{cell_ref(last, len(fields))}"


def _field_help(f: InputField, sheet: InputSheet, lang: str) -> str:
    zh = lang == "zh"
    lines = [f"{f.name(lang)}（{f.id}）：{KIND_WORDS[f.kind][0]}" if zh else f"{f.name(lang)} ({f.id}): {KIND_WORDS[f.kind][1]}"]
    lo, hi = f.bounds()
    if f.choices:
        opts = "/".join(a[0] if a else k for k, a in f.choices.items())
        lines.append(f"可选：{opts}" + ("，也可填其他值" if f.open_choice else "") if zh
                     else f"Options: {opts}" + (", or another value" if f.open_choice else ""))
    if f.numeric and (lo is not None or hi is not None):
        rng = f"{num(lo) if lo is not None else '…'} – {num(hi) if hi is not None else '…'}"
        lines.append(f"范围：{rng}" if zh else f"Range: {rng}")
    if f.required or f.positive:
        lines.append(("必填" if f.required else "须大于 0") if zh else ("Required" if f.required else "Must be > 0"))
    if f.owner == "roster":
        lines.append("花名册列，每张输入表都有" if zh else "Roster column, on every input sheet")
    else:
        lines.append(f"数据来源：{sheet.source_zh}" if zh else f"Source: {sheet.source_en}")
    return "\n".join(lines)


def _validation(ws: Any, f: InputField, ref: str, lang: str) -> None:
    zh = lang == "zh"
    lo, hi = f.bounds()
    kw: dict[str, Any] = {}
    if f.kind == "choice" and f.choices:
        options = list(dict.fromkeys([a[0] for a in f.choices.values() if a] + list(f.choices)))
        kw = dict(type="list", formula1=f'"{",".join(options)}"', errorStyle="warning" if f.open_choice else "stop")
        msg = ("请从列表中选择：" if zh else "Choose from the list: ") + "/".join(options)
    elif f.id == "employee_id":
        col = ref.split(":")[0].rstrip("0123456789")
        start, end = (int(re.sub(r"\D", "", p)) for p in ref.split(":"))
        kw = dict(type="custom", formula1=f"COUNTIF(${col}${start}:${col}${end},{col}{start})<=1")
        msg = "工号不能重复" if zh else "Employee IDs must be unique"
    elif f.numeric:
        whole = f.kind == "count"
        if lo is not None and hi is not None:
            kw = dict(operator="between", formula1=num(lo, 6), formula2=num(hi, 6))
            rng = f"{num(lo)} 到 {num(hi)} 之间的" if zh else f"between {num(lo)} and {num(hi)}"
        elif lo is not None:
            kw = dict(operator="greaterThan" if f.positive and lo <= 0 else "greaterThanOrEqual",
                      formula1=num(0 if f.positive and lo <= 0 else lo, 6))
            rng = (f"大于 {num(lo)} 的" if f.positive else f"不小于 {num(lo)} 的") if zh else \
                (f"> {num(lo)}" if f.positive else f"≥ {num(lo)}")
        else:
            kw = dict(operator="lessThanOrEqual", formula1=num(hi, 6)) if hi is not None else \
                dict(operator="between", formula1="-1E+12", formula2="1E+12")
            rng = "" if hi is None else (f"不大于 {num(hi)} 的" if zh else f"≤ {num(hi)}")
        kw["type"] = "whole" if whole else "decimal"
        noun = ("整数" if whole else "数字") if zh else ("a whole number" if whole else "a number")
        msg = f"请输入{rng}{noun}" if zh else f"Enter {noun} {rng}".rstrip()
        if f.kind == "rate":
            msg += "（85% 填 0.85 或 85%）" if zh else " (85% = 0.85)"
    else:
        return
    dv = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True,
                        errorTitle=f.name(lang)[:32], error=msg, promptTitle=f.name(lang)[:32], prompt=msg, **kw)
    ws.add_data_validation(dv)
    dv.add(ref)


# -------------------------------------------------------------- help sheet ---
_FUNC_WORDS = {"mean": ("平均", "mean"), "coalesce": ("优先取", "first of"), "lookup": ("查表", "lookup"),
               "min": ("较小值", "min"), "max": ("较大值", "max"), "months": ("月数", "months"),
               "quarters": ("季度数", "quarters")}


def formula_words(text: str, scheme: Scheme, lang: str = "zh") -> str:
    """A formula with column ids replaced by their names: ``pv / uv`` → ``PV ÷ 本期UV``."""
    zh = lang == "zh"
    names = {f.id: f.name(lang) for f in scheme.inputs}

    def word(m: re.Match) -> str:
        w = m.group(0)
        return names.get(w) or _FUNC_WORDS.get(w, (w, w))[0 if zh else 1]

    out = re.sub(r"'[^']*'|\"[^\"]*\"|[A-Za-z_]\w*", lambda m: m.group(0) if m.group(0)[0] in "'\"" else word(m), text)
    return out.replace(" / ", " ÷ ").replace(" * ", " × ")


def _target(text: str, unit: str, scheme: Scheme, lang: str) -> str:
    """A target for people: a number in its unit, a lookup as its table, else the formula in words."""
    t = str(text).strip()
    try:
        return fmt(float(t), unit, exact=True)
    except ValueError:
        pass
    m = re.fullmatch(r"lookup\((\w+),\s*['\"](\w+)['\"]\)", t)
    if m and m.group(2) in scheme.lookups:
        field = next((f for f in scheme.inputs if f.id == m.group(1)), None)
        choices = field.choices if field else {}
        other = "其他" if lang == "zh" else "other"
        items = [f"{other if k == '*' else (choices.get(k) or (k,))[0]} {fmt(v, unit, exact=True)}"
                 for k, v in scheme.lookups[m.group(2)].items()]
        return f"{scheme.field_name(m.group(1), lang)}（{'，'.join(items)}）" if lang == "zh" else \
            f"by {scheme.field_name(m.group(1), lang)} ({', '.join(items)})"
    return formula_words(t, scheme, lang)


def rule_words(ind: Any, scheme: Scheme, lang: str = "zh") -> str:
    """The indicator's rule in words, generated from its parameters and checks."""
    zh, p = lang == "zh", ind.params
    metric = formula_words(ind.metric, scheme, lang) if ind.metric else ""
    parts: list[str] = []
    if ind.gate is not None:
        g = ind.gate
        label = (g.label_zh if zh else g.label_en) or formula_words(g.metric, scheme, lang)
        limit = fmt(float(g.min), g.unit, exact=True)
        parts.append(f"仅当{label} ≥ {limit} 时计分，否则 0 分" if zh else f"scores only when {label} ≥ {limit}, else 0")
    if ind.rule == "bands":
        unit = ind.unit or "%"
        for b in p["bands"]:
            lo = fmt(float(b["min"]), unit, exact=True)
            if "score" in b:
                parts.append(f"≥ {lo} 得 {num(b['score'])} 分" if zh else f"≥ {lo}: {num(b['score'])}")
            else:
                parts.append(f"≥ {lo} 得 {num(b['factor'])} × 达成值" if zh else f"≥ {lo}: {num(b['factor'])} × value")
        parts.append(f"否则 {num(float(p.get('below', 0)))} 分" if zh else f"otherwise {num(float(p.get('below', 0)))}")
        parts[0 if ind.gate is None else 1] = f"{metric}{'：' if zh else ': '}" + parts[0 if ind.gate is None else 1]
    elif ind.rule == "ratio":
        target = _target(p["target"], ind.unit or "x", scheme, lang)
        cap = num(float(p.get("cap", 1)))
        parts.append(f"得分 = 100 × min({cap}, {metric} ÷ {target})" if zh else f"score = 100 × min({cap}, {metric} / {target})")
    elif ind.rule == "per_item":
        parts.append(f"{metric} 每项 {num(p['each'])} 分，以权重为上限" if zh else f"{metric}: {num(p['each'])} points each, up to the weight")
        if "expected_per_quarter" in p:
            n = num(p["expected_per_quarter"])
            parts.append(f"每季度应不少于 {n} 项" if zh else f"at least {n} a quarter expected")
    elif ind.rule == "overdue":
        parts.append(f"{metric}：每次扣 {num(p['each'])} 分，每满 {num(p['batch'])} 次扣 {num(p['batch_points'])} 分" if zh
                     else f"{metric}: −{num(p['each'])} each, −{num(p['batch_points'])} per {num(p['batch'])}")
    elif ind.rule == "weighted_count":
        for col, pts in p["counts"].items():
            name = scheme.field_name(col, lang)
            parts.append(f"{name}：每次扣 {num(pts)} 分" if zh else f"{name}: −{num(pts)} each")
    for c in ind.checks:
        parts.append(_check_words(ind, c, scheme, lang))
    if ind.penalty:
        parts.append("扣分项：扣分可超过权重，超出部分从总分扣除" if zh else "penalty item: deductions may exceed the weight")
    return ("；" if zh else "; ").join(parts)


def _check_words(ind: Any, c: Any, scheme: Scheme, lang: str) -> str:
    zh, below = lang == "zh", c.direction == "below"
    label = (c.label_zh if zh else c.label_en) or formula_words(c.metric, scheme, lang)
    target = _target(c.target, c.unit, scheme, lang)
    if c.gap == "points":
        step = f"{num(c.step)} 个百分点" if zh else f"{num(c.step)} percentage points"
    else:
        step = f"{num(c.step)}%（按目标值的百分比）" if zh else f"{num(c.step)}% of the target"
    rounding = {"floor": ("", ""), "ceil": ("（不足一档按一档）", " (part steps count)"),
                "linear": ("（按比例）", " (pro rata)")}[c.rounding][0 if zh else 1]
    if zh:
        return (f"{label}：目标{'不低于' if below else '不高于'} {target}，"
                f"{'低于' if below else '高于'}目标每 {step}扣 {num(c.points)} 分{rounding}")
    return f"{label}: target {'≥' if below else '≤'} {target}; −{num(c.points)} per {step} {'below' if below else 'above'}{rounding}"


def _help_sheet(ws: Any, scheme: Scheme, period: str, lang: str) -> None:
    zh, lay = lang == "zh", layout()
    bold = Font(bold=True)
    r = 1

    def line(*values: Any, font: Font | None = None, fill: PatternFill | None = None, wrap: bool = True) -> None:
        nonlocal r
        for c, v in enumerate(values, 1):
            cell = ws.cell(r, c, v)
            cell.alignment = Alignment(wrap_text=wrap, vertical="top")
            if font:
                cell.font = font
            if fill:
                cell.fill = fill
        r += 1

    def section(title: str) -> None:
        nonlocal r
        r += 1
        line(title, font=Font(bold=True, size=12))

    name = scheme.meta.get("name_zh" if zh else "name_en") or scheme.meta.get("id", "")
    line(f"{name} · {'考核周期' if zh else 'Period'} {period}", font=Font(bold=True, size=14))
    results = "/".join(lay.sheet(k, lang) for k in ("scores", "deductions", "guide", "summary", "problems"))
    section("使用步骤" if zh else "How to use")
    inputs = "、".join(s.name(lang) for s in lay.inputs) if zh else ", ".join(s.name(lang) for s in lay.inputs)
    steps = [
        f"1. 在输入表（{inputs}）中按工号逐行填写本期数据；第 1 行为列名，第 2 行灰色小字为字段编号，请勿修改。" if zh else
        f"1. Fill the input sheets ({inputs}), one row per employee; row 1 holds labels, the grey row 2 holds field ids: leave it.",
        f"2. 需要调整指标、权重或阈值时，修改「{lay.sheet('config', lang)}」表。" if zh else
        f"2. To change indicators, weights or thresholds, edit the '{lay.sheet('config', lang)}' sheet.",
        "3. 点击「计算」按钮，或运行 kpi compute <文件名>。" if zh else "3. Click Compute, or run kpi compute <file>.",
        f"4. 查看结果表：{results}。" if zh else f"4. Read the result sheets: {results}.",
    ]
    for text in steps:
        line(text, wrap=False)
    section("输入表与数据来源" if zh else "Input sheets and data owners")
    line(*(("输入表", "数据提供方", "本表填写的列") if zh else ("Sheet", "Data owner", "Columns to fill")), font=bold,
         fill=HEAD_FILL)
    for sheet, fields in input_columns(scheme):
        own = ("、" if zh else ", ").join(f.name(lang) for f in fields if f.owner != "roster")
        line(sheet.name(lang), sheet.source_zh if zh else sheet.source_en, own)
    section("考核指标" if zh else "Indicators")
    line(*(("维度", "分组", "指标", "有效权重", "计分规则", "扣分项") if zh else
           ("Dimension", "Group", "Indicator", "Effective weight", "Rule", "Penalty")), font=bold, fill=HEAD_FILL)
    for ind in scheme.indicators:
        top, grp = scheme.top_group(ind.group), scheme.group(ind.group)
        line(top.name(lang), grp.name(lang) if grp.id != top.id else "", ind.name(lang),
             round(scheme.effective_weight[ind.id], 4), rule_words(ind, scheme, lang),
             ("是" if zh else "Yes") if ind.penalty else "")
        ws.cell(r - 1, 4).number_format = "0.00"
    line("", "", "合计" if zh else "Total", round(sum(scheme.effective_weight.values()), 4), font=bold)
    section("等级" if zh else "Grades")
    for i, (grade, lo) in enumerate(scheme.grades):
        last = i == len(scheme.grades) - 1
        line(grade, (f"总分 ≥ {num(lo)}" if zh else f"total ≥ {num(lo)}") if not last or lo > -1e8 else
             ("其余" if zh else "otherwise"))
    if scheme.flags:
        section("标记" if zh else "Flags")
        for f in scheme.flags:
            line(f.name(lang), formula_words(f.when, scheme, lang))
    section("电商运营七大职责（背景）" if zh else "The seven areas of e-commerce operations (context)")
    for area_zh, area_en, text_zh, text_en in AREAS:
        line(area_zh if zh else f"{area_en}（{area_zh}）", text_zh if zh else text_en)
    for letter, width in zip("ABCDEF", (20, 36, 30, 12, 70, 8)):
        ws.column_dimensions[letter].width = width
