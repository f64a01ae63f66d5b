"""`kpi fill`: import raw metrics and targets from a BI export into the input sheets.

Columns are matched by canonical id or by Chinese/English label, rows by 工号. A blank in
the export never overwrites a filled cell. Fill edits input sheets through openpyxl, which
drops some parts on save (sparklines, form controls, text boxes, charts, pivot tables…):
when the workbook holds any such part outside our own result sheets, fill names them and
refuses to write in place (writing to a new file with -o is allowed and says what is lost).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kpi_engine import Scheme, default_scheme, normalize_id
from kpi_engine.errors import KpiError
from kpi_engine.inputs import label_map

from ..ooxml import Package, atomic_write, check_package, file_lock, sheet_entries
from ..ooxml.errors import damaged, unsafe
from ..pipeline import FileSource
from ..pipeline.calibration_input import calibration_header
from ..pipeline.errors import workbook_error
from ..pipeline.layout import layout
from ..pipeline.reading import (
    HEADER_SCAN_ROWS,
    OWNED_KEY,
    SHEET_SEP,
    find_header,
    is_blank,
    owned_sheets,
    read_meta,
    skip_sheets,
)
from ..pipeline.roster import read_roster
from ..sheets.cells import save_workbook, set_value

# Parts openpyxl does not carry through load_workbook(...).save(...)
DROPPED_PARTS = (
    (re.compile(r"^xl/drawings/(?!_rels/)[^/]+\.xml$"), "绘图对象（文本框、形状、图片或图表）", "drawing (text boxes, shapes, images or charts)"),
    (re.compile(r"^xl/charts/"), "图表", "charts"),
    (re.compile(r"^xl/pivotTables/"), "数据透视表", "pivot tables"),
    (re.compile(r"^xl/ctrlProps/"), "表单控件（按钮等）", "form controls (buttons…)"),
    (re.compile(r"^xl/slicers/"), "切片器", "slicers"),
    (re.compile(r"^xl/activeX/"), "ActiveX 控件", "ActiveX controls"),
    (re.compile(r"^customXml/"), "自定义 XML", "custom XML"),
)
SHEET_EXTENSIONS = (
    ("sparklineGroups", "迷你图", "sparklines"),
    ("x14:conditionalFormatting", "扩展条件格式（数据条等）", "extended conditional formats (data bars…)"),
)


class FillRefused(KpiError):
    """Filling in place would lose parts of the workbook; the message names them."""

    code = "fill_refused"


@dataclass
class FillReport:
    cells_written: int = 0
    employees_matched: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    lost_parts: list[str] = field(default_factory=list)
    removed_sheets: list[str] = field(default_factory=list)

    def text(self, lang: str = "zh") -> str:
        zh = lang == "zh"
        sep = "、" if zh else ", "
        lines = [f"已写入 {self.cells_written} 个单元格，匹配员工 {self.employees_matched} 人" if zh
                 else f"{self.cells_written} cells written for {self.employees_matched} employees"]
        if self.unknown_columns:
            lines.append(("未识别的列（已忽略）：" if zh else "unrecognised columns (ignored): ") + sep.join(self.unknown_columns))
        if self.unknown_ids:
            lines.append(("不在名单中的工号（已忽略）：" if zh else "IDs not in the roster (ignored): ") + sep.join(self.unknown_ids))
        if self.removed_sheets:
            lines.append(("旧的结果表已移除，请重新计算：" if zh else "old result sheets removed; compute again: ") + sep.join(self.removed_sheets))
        if self.lost_parts:
            lines.append(("新文件中未保留：" if zh else "not kept in the new file: ") + sep.join(self.lost_parts))
        return "\n".join(lines)


def droppable_parts(path: Path, lang: str = "zh", owned: Iterable[str] = ()) -> list[str]:
    """Descriptions of parts outside our own result sheets (``owned``) that openpyxl would drop."""
    owned = {n.lower() for n in owned}
    with zipfile.ZipFile(path) as zf:
        pkg = Package(zf)
        wb_part, root = pkg.workbook()
        sheets = sheet_entries(pkg, wb_part, root)
        ours = [s.part for s in sheets if s.name.lower() in owned and s.part]
        owned_parts = {p.lower() for p in pkg.closure(ours)}
        theirs = sorted(n for n in pkg.names.values() if n.lower() not in owned_parts)
        found: list[str] = []
        for name in theirs:
            for pattern, zh, en in DROPPED_PARTS:
                if pattern.match(name):
                    found.append(f"{zh if lang == 'zh' else en} ({name})")
                    break
        for name in (n for n in theirs if n.endswith(".vml")):
            if re.search(rb'ObjectType="(Button|Checkbox|Drop|List|Radio|Spin|Scroll|GBox|Label|Edit)"', pkg.read(name)):
                found.append(f"{'表单控件（按钮等）' if lang == 'zh' else 'form controls (buttons…)'} ({name})")
        for sheet in sheets:
            if sheet.name.lower() in owned or not sheet.part or not pkg.has(sheet.part):
                continue
            xml = pkg.read(sheet.part)
            for marker, zh, en in SHEET_EXTENSIONS:
                if marker.encode() in xml:
                    found.append(f"{zh if lang == 'zh' else en} ({sheet.name})")
    return found


def read_data(path: str | Path) -> pd.DataFrame:
    """A BI export (.csv or .xlsx) as a frame of raw values (ids kept as text)."""
    return read_roster(path, require_id=True)


def fill_workbook(path: str | Path, data: str | Path, out: str | Path | None = None, *, lang: str = "zh",
                  scheme: Scheme | None = None) -> FillReport:
    """Write the export's values into the matching input cells; atomic, never blanking a cell."""
    path = Path(path)
    target = Path(out) if out else path
    check_package(path)
    report = FillReport()
    with FileSource(path) as source:
        meta = read_meta(source)
    owned = owned_sheets(meta)  # the result sheets compute made: stale once new data is in
    helps = {layout().sheet("help", k) for k in ("zh", "en")}
    stale = [n for n in owned if n not in helps]  # 说明 follows the scheme, not the data: kept, still ours
    report.lost_parts = _refuse_losing_parts(path, target, owned, lang)
    scheme = scheme or default_scheme()
    values = _export_values(read_data(data), scheme, report)
    with file_lock(target):
        plan = _input_rows(path, scheme, skip_sheets(meta))
        wb = load_for_edit(path, keep_vba=path.suffix.lower() == ".xlsm")
        for name in list(wb.sheetnames):
            if name in stale:
                report.removed_sheets.append(name)
                wb.remove(wb[name])
        if report.removed_sheets:
            _forget_owned(wb, [n for n in owned if n in helps])
        matched = _write_values(wb, plan, values, report)
        report.employees_matched = len(matched)
        report.unknown_ids = sorted(set(values) - matched)
        atomic_write(target, lambda tmp: save_workbook(wb, tmp), locked=True)
    return report


def _refuse_losing_parts(path: Path, target: Path, owned: list[str], lang: str) -> list[str]:
    """The parts openpyxl would drop; writing in place is refused when there are any."""
    lost = droppable_parts(path, lang, owned)
    if lost and target.resolve() == path.resolve():
        raise FillRefused(
            ("工作簿包含保存时会丢失的内容，为保护原文件未写入：" + "；".join(lost) +
             "。请用 -o 写入新文件，或在 Excel 中使用加载项。") if lang == "zh" else
            ("the workbook holds parts that would be lost on save, so it was not changed: " + "; ".join(lost) +
             ". Write to a new file with -o, or use the Excel add-in.")
        )
    return lost


def _export_values(df: pd.DataFrame, scheme: Scheme, report: FillReport) -> dict[str, dict[str, Any]]:
    """employee id -> {field: value} from the export's columns known by id or label (others reported)."""
    labels = label_map(scheme)
    columns: dict[str, Any] = {}
    for col in df.columns:
        fid = labels.get(str(col).strip().lower())
        if fid is None:
            report.unknown_columns.append(str(col))
        elif fid not in columns:
            columns[fid] = col
    values: dict[str, dict[str, Any]] = {}
    for rec in df.to_dict("records"):
        eid = normalize_id(rec.get(columns.get("employee_id")))
        if eid is not None:
            values[eid] = {fid: rec[col] for fid, col in columns.items() if fid != "employee_id"}
    return values


def _input_rows(path: Path, scheme: Scheme, skip: set[str]) -> dict[str, tuple[dict[str, int], list[tuple[int, str]]]]:
    """sheet -> (field columns, [(1-based row, employee id)]) of every input sheet, located on the
    read-only grid (work follows the cells that exist); refused when there is no input sheet."""
    plan: dict[str, tuple[dict[str, int], list[tuple[int, str]]]] = {}
    with FileSource(path) as source:
        for name in source.sheet_names():
            if name in skip:
                continue
            grid = source.read(name)
            found = find_header(grid[:HEADER_SCAN_ROWS], scheme)
            if found is None or "employee_id" not in found[0] or calibration_header(grid[:HEADER_SCAN_ROWS]):
                continue  # not an input sheet, or HR's 校准 sheet (which no command writes)
            cols, first_data, _ = found
            id_col = cols["employee_id"]
            plan[name] = (cols, [(r + 1, eid) for r in range(first_data, len(grid))
                                 if (eid := normalize_id(grid[r][id_col] if id_col < len(grid[r]) else None))])
    if not plan:  # as compute says: nothing to fill, and the file is left alone
        raise workbook_error("no_input_sheet")
    return plan


def _write_values(wb: Any, plan: dict, values: dict[str, dict[str, Any]], report: FillReport) -> set[str]:
    """The export's values into the input cells of its employees; a blank never overwrites. Returns
    the employees matched."""
    matched: set[str] = set()
    for name, (cols, rows) in plan.items():
        ws = wb[name]
        for r, eid in rows:
            if eid not in values:
                continue
            matched.add(eid)
            for fid, c in cols.items():
                new = values[eid].get(fid)
                if fid == "employee_id" or new is None or is_blank(new):
                    continue
                set_value(ws.cell(r, c + 1), _cell_value(new))
                report.cells_written += 1
    return matched


def load_for_edit(path: Path, keep_vba: bool = False) -> Any:
    """The whole workbook loaded by openpyxl for editing, its errors in the user's terms."""
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(path, keep_vba=keep_vba)
    except Exception as exc:  # openpyxl's own: ValueError, KeyError, ParseError, BadZipFile…
        chain, e = [], exc
        while e is not None and len(chain) < 10:
            chain.append(e)
            e = e.__cause__ or e.__context__
        if any(isinstance(e, DefusedXmlException) for e in chain):
            raise unsafe(path.name, None) from exc
        raise damaged(path.name, None, chain[-1]) from exc


def _forget_owned(wb: Any, keep: list[str]) -> None:
    """The meta sheet's record of our result sheets emptied but for ``keep`` (说明): they are gone,
    and a sheet HR later gives one of their names is HR's."""
    name = layout().sheet("meta")
    if name not in wb.sheetnames:
        return
    for key, value in wb[name].iter_rows(max_col=2):
        if key.value == OWNED_KEY:
            value.value = SHEET_SEP.join(keep) or None


def _cell_value(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value
