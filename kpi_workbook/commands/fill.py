"""`kpi fill`: import exports into the input sheets — the old one-row-per-employee files and the
platforms' downloads (shops by day), through one pipeline (:mod:`kpi_workbook.pipeline.filling`).

A blank in an export never overwrites a filled cell. Fill edits input sheets through openpyxl,
which drops some parts on save (sparklines, form controls, text boxes, charts, pivot tables…):
when the workbook holds any such part outside our own result sheets, fill names them and
refuses to write in place (writing to a new file with -o is allowed and says what is lost).
It writes the sheet 导入记录 (Import log), recorded as its own in the hidden meta sheet; a sheet
of HR's with that name is never touched. Nothing is written when no value would be.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from kpi_engine import Scheme
from kpi_engine.errors import KpiError
from kpi_engine.i18n import both, tr

from ..ooxml import Package, atomic_write, check_package, file_lock, sheet_entries, unused_path
from ..ooxml.errors import damaged, unsafe
from ..pipeline import FileSource, bulk_work
from ..pipeline.filling import plan_fill
from ..pipeline.import_report import FillReport, Note
from ..pipeline.layout import layout
from ..pipeline.reading import OWNED_KEY, SHEET_SEP, owned_sheets
from ..sheets.cells import save_workbook, set_value
from ..sheets.import_log import write_log_sheet

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


@bulk_work()
def fill_workbook(path: str | Path, data: str | Path | Sequence[str | Path], out: str | Path | None = None, *,
                  lang: str | None = None, scheme: Scheme | None = None, shop: str = "", dry_run: bool = False,
                  force: bool = False) -> FillReport:
    """Write the exports' values into the matching input cells; atomic, never blanking a cell.

    ``out``: write a new file (its next free name unless ``force``; ``report.target`` says which);
    ``dry_run``: plan and report only. Nothing is written when no value would be."""
    path = Path(path)
    files = [Path(d) for d in ([data] if isinstance(data, (str, Path)) else data)]
    for f in files:  # every file is there before anything is read: a typo costs nothing
        if not f.is_file():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(f))
    check_package(path)
    target = path if out is None else Path(out) if force else unused_path(Path(out))
    with FileSource(path) as source:
        plan = plan_fill(source, files, shop=shop, lang=lang, scheme=scheme, dry_run=dry_run)
        owned = owned_sheets(plan.meta)
        present = source.sheet_names()
        ours = plan.log_sheet in owned and plan.log_sheet in present
        old_log = [list(r) for r in source.read(plan.log_sheet)[2:]] if ours else []
    report = plan.report
    report.target = target
    if plan.log_sheet in present and not ours:
        report.add(Note("problem", tr("fill.log_not_ours", report.lang, sheet=plan.log_sheet), "warning"))
    if dry_run or not report.cells_written:
        return report
    report.lost_parts = _refuse_losing_parts(path, target, owned, report.lang)
    report.removed_sheets = list(plan.removed)
    with file_lock(target):
        wb = load_for_edit(path, keep_vba=path.suffix.lower() == ".xlsm")
        for name in plan.removed:
            wb.remove(wb[name])
        for sheet, cells in plan.writes.items():
            ws = wb[sheet]
            for (r, c), value in cells.items():
                set_value(ws.cell(r, c), value)
        kept = [n for n in owned if n not in plan.removed and n != plan.log_sheet and n in wb.sheetnames]
        if ours or plan.log_sheet not in present:
            block = report.block(dt.datetime.now().replace(microsecond=0).isoformat(sep=" "), old_log)
            write_log_sheet(wb, block, plan.period, report.lang)
            kept.append(plan.log_sheet)
        _record_owned(wb, kept)
        atomic_write(target, lambda tmp: save_workbook(wb, tmp), locked=True)
    return report


def _refuse_losing_parts(path: Path, target: Path, owned: list[str], lang: str) -> list[str]:
    """The parts openpyxl would drop; writing in place is refused when there are any."""
    lost = droppable_parts(path, lang, owned)
    if lost and target.resolve() == path.resolve():
        raise FillRefused(*both("fill.refused", parts="；".join(lost)), code="fill_refused")
    return lost


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


def _record_owned(wb: Any, names: list[str]) -> None:
    """The meta sheet's record of the sheets we own: the results are gone (compute again), the
    import log is ours. A workbook without the meta sheet gets one (very hidden)."""
    name = layout().sheet("meta")
    if name not in wb.sheetnames:
        ws = wb.create_sheet(name)
        ws.sheet_state = "veryHidden"
    ws = wb[name]
    for key, value in ws.iter_rows(max_col=2):
        if key.value == OWNED_KEY:
            set_value(value, SHEET_SEP.join(names) or None)
            return
    row = ws.max_row + 1 if ws.max_row > 1 or ws["A1"].value is not None else 1
    set_value(ws.cell(row, 1), OWNED_KEY)
    set_value(ws.cell(row, 2), SHEET_SEP.join(names) or None)
