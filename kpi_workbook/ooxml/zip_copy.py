"""Copy a zip member into another zip as it is: its compressed bytes, never inflated and deflated again.

A transplant keeps every part of the user's package that it does not own; those parts (HR's
input sheets: most of a filled workbook) were inflated and deflated again, which cost more than
writing the result sheets. The standard library has no call for a raw copy, so this writes the
member's local header and copies its compressed data, then records the member as
:meth:`zipfile.ZipFile.writestr` would (its ``filelist``, ``NameToInfo`` and ``start_dir``).
A member it cannot copy raw (encrypted, a method other than stored/deflate, an unseekable
target) is copied the ordinary way.
"""

from __future__ import annotations

import shutil
import struct
import zipfile

COPY_BUFFER = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader: 30 bytes
_LOCAL_MAGIC = b"PK\x03\x04"
_RAW_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def copy_member(zin: zipfile.ZipFile, info: zipfile.ZipInfo, zout: zipfile.ZipFile, name: str | None = None) -> None:
    """``info``'s member of ``zin`` into ``zout`` (under ``name``, else its own), content and
    compression unchanged; date and attributes as in ``zin``."""
    zi = zipfile.ZipInfo(name or info.filename, info.date_time)
    zi.compress_type, zi.external_attr = info.compress_type, info.external_attr
    if info.flag_bits & 0x1 or info.compress_type not in _RAW_METHODS or not _raw_copy(zin, info, zout, zi):
        zi.file_size = info.file_size  # as writestr sets it (it decides on ZIP64)
        with zin.open(info) as src, zout.open(zi, "w") as dst:
            shutil.copyfileobj(src, dst, COPY_BUFFER)


def _raw_copy(zin: zipfile.ZipFile, info: zipfile.ZipInfo, zout: zipfile.ZipFile, zi: zipfile.ZipInfo) -> bool:
    src, dst = zin.fp, zout.fp
    if src is None or dst is None or not src.seekable() or not dst.seekable():
        return False
    src.seek(info.header_offset)
    head = src.read(_LOCAL_HEADER.size)
    if len(head) != _LOCAL_HEADER.size or head[:4] != _LOCAL_MAGIC:
        return False
    fields = _LOCAL_HEADER.unpack(head)
    src.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])  # past its name and extra
    zi.CRC, zi.compress_size, zi.file_size = info.CRC, info.compress_size, info.file_size
    zi.header_offset = dst.tell()
    zip64 = max(zi.file_size, zi.compress_size) > zipfile.ZIP64_LIMIT
    dst.write(zi.FileHeader(zip64))  # sizes and CRC in the header: no data descriptor after the data
    left = info.compress_size
    while left:
        chunk = src.read(min(left, COPY_BUFFER))
        if not chunk:
            raise zipfile.BadZipFile(f"{info.filename}: truncated member")
        dst.write(chunk)
        left -= len(chunk)
    zout.filelist.append(zi)
    zout.NameToInfo[zi.filename] = zi
    zout.start_dir = dst.tell()
    zout._didModify = True  # noqa: SLF001 — what writestr sets: the central directory is written on close
    return True
