"""A corpus of damaged and hostile workbooks, built at test time from the sample workbook.

Each builder takes the filled sample workbook (``tests/support/workbooks.sample_workbook``) and a
folder, and writes one damaged copy there: openpyxl edits for what HR does in Excel
(rename, delete, move, merge, mistype), zip-level edits for what a broken download or a
hostile sender does (truncate, lie about sizes, declare XML entities). Nothing is stored
in the repository; ``python -m support.damaged OUTDIR`` (from tests/) writes the whole corpus for a look.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import PatternFill

ROSTER_SHEET = "销售与流量"  # first input sheet: its rows define who is scored
USERS_SHEET = "用户与库存"
COST_SHEET = "成本与时效"
COLLAB_SHEET = "协作评价"
BLANK_ROWS = 10_000


# ---------------------------------------------------------------- helpers

def _edit(sample: Path, out: Path, change: Callable) -> Path:
    """Load the sample with openpyxl, let ``change(wb)`` damage it, save to ``out``."""
    wb = load_workbook(sample)
    change(wb)
    wb.save(out)
    return out


def zip_members(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def rewrite_zip(src: Path, out: Path, edit: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    """Copy the zip ``src`` to ``out`` with members replaced by ``edit`` and ``extra`` appended."""
    items = zip_members(src)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            zf.writestr(info.filename, edit.get(info.filename, data))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out


def sheet_part(path: Path, sheet: str) -> str:
    """The zip member that holds worksheet ``sheet`` (via workbook.xml and its rels)."""
    with zipfile.ZipFile(path) as zf:
        wb = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', wb)[1]
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels)
    if target is None:  # attribute order differs
        target = re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    name = target[1].lstrip("/")
    return name if name.startswith("xl/") else "xl/" + name


def column_of(wb, sheet: str, field: str) -> int:
    """1-based column of the machine id ``field`` in row 2 of ``sheet``."""
    ws = wb[sheet]
    return next(c.column for c in ws[2] if c.value == field)


# ---------------------------------------------------------------- unusable files

def truncated(sample: Path, out: Path) -> Path:
    """A download cut off half-way."""
    data = sample.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


def csv_renamed(sample: Path, out: Path) -> Path:
    """A CSV export renamed to .xlsx."""
    out.write_text("工号,姓名,实际销售额\nE1001,魏欣,1074886\n", encoding="utf-8-sig")
    return out


def zip_not_workbook(sample: Path, out: Path) -> Path:
    """A zip archive (of photos, say) named .xlsx."""
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "这不是工作簿")
        zf.writestr("photos/1.jpg", b"\xff\xd8\xff\xe0" + bytes(64))
    return out


def empty_workbook(sample: Path, out: Path) -> Path:
    """A workbook with one blank sheet."""
    Workbook().save(out)
    return out


def broken_sheet_xml(sample: Path, out: Path) -> Path:
    """A sound zip whose cost sheet XML stops half-way (a crash while another program saved it)."""
    part = sheet_part(sample, COST_SHEET)
    xml = dict((i.filename, d) for i, d in zip_members(sample))[part]
    return rewrite_zip(sample, out, {part: xml[: len(xml) // 2]})


# ---------------------------------------------------------------- data problems

def missing_sheet(sample: Path, out: Path) -> Path:
    """The cost sheet deleted: its fields are missing columns."""
    return _edit(sample, out, lambda wb: wb.remove(wb[COST_SHEET]))


def merged_cells(sample: Path, out: Path) -> Path:
    """G5:H6 of the cost sheet merged (promotion and after-sales cost): only G5 keeps its value, H5,
    G6 and H6 are blanked."""
    return _edit(sample, out, lambda wb: wb[COST_SHEET].merge_cells("G5:H6"))


BAD_VALUES = {  # cell of the roster sheet -> (field, value typed instead of a number)
    "sales_actual": "abc",
    "uv": "#DIV/0!",
    "pv": "#N/A",
    "paid_orders": dt.datetime(2026, 10, 1),
    "silent_orders": True,
}
BAD_ROWS = {"sales_actual": 3, "uv": 4, "pv": 5, "paid_orders": 6, "silent_orders": 7}


def bad_values(sample: Path, out: Path) -> Path:
    """Text, Excel error values, a date and a boolean in number cells of the roster sheet."""
    def change(wb):
        ws = wb[ROSTER_SHEET]
        for field, value in BAD_VALUES.items():
            ws.cell(BAD_ROWS[field], column_of(wb, ROSTER_SHEET, field)).value = value
    return _edit(sample, out, change)


def percent_as_whole(sample: Path, out: Path) -> Path:
    """85 typed for a rate of 85% (resources_ready_rate, row 3 of the collaboration sheet)."""
    def change(wb):
        wb[COLLAB_SHEET].cell(3, column_of(wb, COLLAB_SHEET, "resources_ready_rate")).value = 85
    return _edit(sample, out, change)


def negative_count(sample: Path, out: Path) -> Path:
    """A negative count (activity_overdue = -2, row 4 of the cost sheet)."""
    def change(wb):
        wb[COST_SHEET].cell(4, column_of(wb, COST_SHEET, "activity_overdue")).value = -2
    return _edit(sample, out, change)


def blank_id(sample: Path, out: Path) -> Path:
    """工号 of row 5 of the roster sheet erased (the rest of the row kept)."""
    return _edit(sample, out, lambda wb: setattr(wb[ROSTER_SHEET]["A5"], "value", None))


def duplicate_id(sample: Path, out: Path) -> Path:
    """Row 6 of the roster sheet given row 5's 工号."""
    def change(wb):
        ws = wb[ROSTER_SHEET]
        ws["A6"].value = ws["A5"].value
    return _edit(sample, out, change)


# ---------------------------------------------------------------- recoverable damage

def renamed_sheet(sample: Path, out: Path) -> Path:
    """The roster sheet renamed to what the BI tool calls it."""
    return _edit(sample, out, lambda wb: setattr(wb[ROSTER_SHEET], "title", "BI数据"))


def label_row_deleted(sample: Path, out: Path) -> Path:
    """Row 1 (Chinese labels) of two input sheets deleted: the machine ids are in row 1."""
    def change(wb):
        for name in (ROSTER_SHEET, COST_SHEET):
            wb[name].delete_rows(1)
    return _edit(sample, out, change)


def id_row_deleted(sample: Path, out: Path) -> Path:
    """Row 2 (machine ids) of two input sheets deleted: only the Chinese labels are left."""
    def change(wb):
        for name in (ROSTER_SHEET, USERS_SHEET):
            wb[name].delete_rows(2)
    return _edit(sample, out, change)


def columns_moved(sample: Path, out: Path) -> Path:
    """Two columns of the cost sheet swapped, headers included (promotion_cost <-> issue_overdue)."""
    def change(wb):
        ws = wb[COST_SHEET]
        a, b = column_of(wb, COST_SHEET, "promotion_cost"), column_of(wb, COST_SHEET, "issue_overdue")
        for r in range(1, ws.max_row + 1):
            x, y = ws.cell(r, a), ws.cell(r, b)
            x.value, y.value = y.value, x.value
    return _edit(sample, out, change)


def blank_formatted_rows(sample: Path, out: Path) -> Path:
    """10,000 rows of styled, empty cells below the data of the roster sheet (zip-level edit)."""
    def change(wb):  # give the sheet a fill style to use, on a cell that is empty anyway
        wb[ROSTER_SHEET].cell(wb[ROSTER_SHEET].max_row + 2, 1).fill = PatternFill("solid", fgColor="FFF2CC")
    tmp = _edit(sample, out.with_name(out.stem + ".step.xlsx"), change)
    part = sheet_part(tmp, ROSTER_SHEET)
    xml = dict((i.filename, d) for i, d in zip_members(tmp))[part].decode()
    # the filled empty cell's style (openpyxl writes it self-closing, or with an end tag under lxml)
    style = re.findall(r'<c r="A\d+" s="(\d+)"[^>]*?(?:/>|>\s*</c>)', xml)[-1]
    last = max(int(r) for r in re.findall(r'<row r="(\d+)"', xml))
    cols = "ABCDEFGHIJKLMNOP"
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}" s="{style}"/>' for c in cols) + "</row>"
                   for r in range(last + 1, last + 1 + BLANK_ROWS))
    xml = xml.replace("</sheetData>", rows + "</sheetData>", 1)
    xml = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:P{last + BLANK_ROWS}"', xml, count=1)
    rewrite_zip(tmp, out, {part: xml.encode()})
    tmp.unlink()
    return out


CHINESE_NAME = "2026 年 第四季度 考核.xlsx"


def chinese_name(sample: Path, out: Path) -> Path:
    """The sample as it is, under a Chinese file name with spaces (``out``'s name is ignored)."""
    target = out.with_name(CHINESE_NAME)
    shutil.copyfile(sample, target)
    return target


def read_only(sample: Path, out: Path) -> Path:
    """The sample with its write permission bits cleared (0o444).

    Tests run as root, for whom the bits do not stop a write: the product checks the bits
    itself (safety._check_writable), which is the code path this file exercises. The case of
    a file held open by Excel on Windows is simulated in the tests by making os.replace raise.
    """
    shutil.copyfile(sample, out)
    out.chmod(0o444)
    return out


# ---------------------------------------------------------------- hostile files

LOL_DTD = ('<!DOCTYPE sst [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                     for i in range(1, 10))
           + "]>")


def billion_laughs(sample: Path, out: Path) -> Path:
    """A shared-strings part whose DTD expands to 10^9 'lol's, in an otherwise valid workbook.

    openpyxl writes inline strings, so the part is added (with its relationship and content
    type) and cell B3 of the roster sheet is pointed at it.
    """
    parts = {i.filename: d for i, d in zip_members(sample)}
    sheet = sheet_part(sample, ROSTER_SHEET)
    xml = parts[sheet].decode()
    xml, n = re.subn(r'<c r="B3"([^>]*?) t="inlineStr"([^>]*)>.*?</c>', r'<c r="B3"\1 t="s"\2><v>0</v></c>', xml, count=1)
    assert n == 1, "cell B3 of the roster sheet is not an inline string"
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + LOL_DTD
           + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           + "<si><t>魏欣&lol9;</t></si></sst>")
    rels = parts["xl/_rels/workbook.xml.rels"].decode().replace("</Relationships>", (
        '<Relationship Id="rIdLol" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/sharedStrings"/></Relationships>'))
    types = parts["[Content_Types].xml"].decode().replace("</Types>", (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
    return rewrite_zip(sample, out, {sheet: xml.encode(), "xl/_rels/workbook.xml.rels": rels.encode(),
                                     "[Content_Types].xml": types.encode()},
                       {"xl/sharedStrings.xml": sst.encode()})


def zip_bomb_declared(sample: Path, out: Path) -> Path:
    """A valid workbook whose central directory declares ~3.9 GB unpacked for one sheet."""
    data = bytearray(sample.read_bytes())
    name = sheet_part(sample, ROSTER_SHEET).encode()
    start = data.rindex(b"PK\x05\x06")  # end of central directory
    cd_offset = struct.unpack("<I", data[start + 16:start + 20])[0]
    pos = cd_offset
    while data[pos:pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack("<HHH", data[pos + 28:pos + 34])
        if data[pos + 46:pos + 46 + n] == name:
            data[pos + 24:pos + 28] = struct.pack("<I", 0xF0000000)  # uncompressed size
            local = struct.unpack("<I", data[pos + 42:pos + 46])[0]
            data[local + 22:local + 26] = struct.pack("<I", 0xF0000000)
            break
        pos += 46 + n + m + k
    else:  # pragma: no cover - the sample always has the sheet
        raise AssertionError(f"{name!r} not in the central directory")
    out.write_bytes(bytes(data))
    return out


BOMB_MB = 48


def zip_bomb_real(sample: Path, out: Path) -> Path:
    """A valid workbook plus a real member of 48 MB of zeros (~50 KB compressed, ratio ~1000:1)."""
    return rewrite_zip(sample, out, {}, {"xl/media/image1.bin": bytes(BOMB_MB << 20)})


# ---------------------------------------------------------------- far and out-of-grid cells (issue 8)

FAR_CELL = "XFD1048576"  # the last cell of Excel's grid


def _append_row(sample: Path, out: Path, row_xml: str) -> Path:
    part = sheet_part(sample, ROSTER_SHEET)
    xml = dict((i.filename, d) for i, d in zip_members(sample))[part].decode()
    return rewrite_zip(sample, out, {part: xml.replace("</sheetData>", row_xml + "</sheetData>").encode()})


def far_cell(sample: Path, out: Path) -> Path:
    """One value at XFD1048576 of the roster sheet: a sound file (Excel opens it) that a reader
    padding rows to their widest cell would blow up to 16,384 × 1,048,576 blanks."""
    return _append_row(sample, out, f'<row r="1048576"><c r="{FAR_CELL}"><v>1</v></c></row>')


def beyond_grid_row(sample: Path, out: Path) -> Path:
    """A row numbered 1,048,577: beyond Excel's grid, so no real workbook has it."""
    return _append_row(sample, out, '<row r="1048577"><c r="A1048577"><v>1</v></c></row>')


def beyond_grid_column(sample: Path, out: Path) -> Path:
    """A cell in column XFE (16,385), beyond Excel's grid."""
    return _append_row(sample, out, '<row r="900"><c r="XFE900"><v>1</v></c></row>')


def unsafe_member_names(sample: Path, out: Path) -> Path:
    """A sound workbook plus zip members named ../../evil.txt and /etc/evil.txt (path traversal)."""
    return rewrite_zip(sample, out, {}, {"../../evil.txt": b"x", "/etc/evil.txt": b"y"})


# ---------------------------------------------------------------- the corpus

CORPUS: dict[str, Callable[[Path, Path], Path]] = {
    "truncated": truncated,
    "csv_renamed": csv_renamed,
    "zip_not_workbook": zip_not_workbook,
    "empty_workbook": empty_workbook,
    "broken_sheet_xml": broken_sheet_xml,
    "missing_sheet": missing_sheet,
    "merged_cells": merged_cells,
    "bad_values": bad_values,
    "percent_as_whole": percent_as_whole,
    "negative_count": negative_count,
    "blank_id": blank_id,
    "duplicate_id": duplicate_id,
    "renamed_sheet": renamed_sheet,
    "label_row_deleted": label_row_deleted,
    "id_row_deleted": id_row_deleted,
    "columns_moved": columns_moved,
    "blank_formatted_rows": blank_formatted_rows,
    "chinese_name": chinese_name,
    "read_only": read_only,
    "billion_laughs": billion_laughs,
    "zip_bomb_declared": zip_bomb_declared,
    "zip_bomb_real": zip_bomb_real,
    "far_cell": far_cell,
    "beyond_grid_row": beyond_grid_row,
    "beyond_grid_column": beyond_grid_column,
    "unsafe_member_names": unsafe_member_names,
}


def build(key: str, sample: Path, outdir: Path) -> Path:
    """Write corpus entry ``key`` into ``outdir`` (named ``<key>.xlsx`` unless the entry names itself)."""
    outdir.mkdir(parents=True, exist_ok=True)
    return CORPUS[key](sample, outdir / f"{key}.xlsx")


def build_corpus(sample: Path, outdir: Path) -> dict[str, Path]:
    return {key: build(key, sample, outdir) for key in CORPUS}


if __name__ == "__main__":  # pragma: no cover - a look at the corpus by hand
    import tempfile

    from kpi_workbook.commands.demo import build_sample_workbook

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "damaged_corpus")
    with tempfile.TemporaryDirectory() as tmp:
        sample = build_sample_workbook(Path(tmp))
        for key, path in build_corpus(sample, target).items():
            print(f"{key:24} {path}")
