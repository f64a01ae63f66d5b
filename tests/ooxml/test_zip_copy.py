"""Members copied raw: the compressed bytes of every part the transplant keeps are the user's own."""

from __future__ import annotations

import zipfile
from pathlib import Path

from test_package import OWNED, STATES, make_donor, make_hr

from kpi_workbook.ooxml import transplant_sheets
from kpi_workbook.ooxml.zip_copy import copy_member

TEXT = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7 % 113) for i in range(1, 20000))


def raw(path: Path) -> dict[str, bytes]:
    """Each member's compressed bytes, as stored in the file."""
    out = {}
    with zipfile.ZipFile(path) as z, open(path, "rb") as fh:
        for info in z.infolist():
            fh.seek(info.header_offset + 26)
            n, m = int.from_bytes(fh.read(2), "little"), int.from_bytes(fh.read(2), "little")
            fh.seek(info.header_offset + 30 + n + m)
            out[info.filename] = fh.read(info.compress_size)
    return out


def test_copy_member_keeps_the_compressed_bytes_and_the_zip_stays_sound(tmp_path):
    src, dst = tmp_path / "in.zip", tmp_path / "out.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("fast.xml", TEXT, zipfile.ZIP_DEFLATED, compresslevel=1)  # not zlib's default level
        z.writestr("stored.bin", b"\x00\x01" * 5000, zipfile.ZIP_STORED)
        with z.open("streamed.xml", "w") as fh:  # written with a data descriptor after its data
            fh.write(TEXT[:50000])
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            copy_member(zin, info, zout, "renamed.xml" if info.filename == "streamed.xml" else None)
        zout.writestr("after.xml", b"<after/>")  # a member written after the raw ones lands where it should
    before, after = raw(src), raw(dst)
    assert after["fast.xml"] == before["fast.xml"] and after["renamed.xml"] == before["streamed.xml"]
    with zipfile.ZipFile(dst) as z:
        assert z.testzip() is None
        assert z.read("fast.xml") == TEXT and z.read("renamed.xml") == TEXT[:50000]
        assert z.read("stored.bin") == b"\x00\x01" * 5000 and z.read("after.xml") == b"<after/>"
        assert z.getinfo("stored.bin").compress_type == zipfile.ZIP_STORED


def test_transplant_copies_the_users_parts_raw(tmp_path):
    hr = make_hr(tmp_path / "hr.xlsx")
    fast = tmp_path / "fast.xlsx"  # the same package deflated at level 1: recompressing would change its bytes
    with zipfile.ZipFile(hr) as zin, zipfile.ZipFile(fast, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info), zipfile.ZIP_DEFLATED, compresslevel=1)
    out = tmp_path / "out.xlsx"
    transplant_sheets(fast, make_donor(tmp_path / "donor.xlsx"), OWNED, out, states=STATES)
    before, after = raw(fast), raw(out)
    sheet = "xl/worksheets/sheet1.xml"  # HR's own sheet: not owned, kept
    assert after[sheet] == before[sheet]
    assert sum(after.get(name) == data for name, data in before.items()) >= len(before) - 8
