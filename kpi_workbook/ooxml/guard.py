"""The package guard: workbooks arrive by mail and chat, so they are untrusted.

``check_package`` reads only the zip's central directory (it never decompresses), so it answers
at once even on a zip bomb, and refuses members named outside the package; ``parse_xml`` parses
a part with defusedxml and refuses any DTD, hence entity expansion ("billion laughs") and
external entities.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .errors import NotAWorkbook, UnsafeFile

MAX_TOTAL_SIZE = 1 << 30  # 1 GiB uncompressed in all
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # compression ratio of one member ...
RATIO_MIN_SIZE = 10 << 20  # ... counted only for members over 10 MB
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and legacy .xls are OLE files


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB"


def check_package(
    path: str | Path,
    *,
    max_total: int = MAX_TOTAL_SIZE,
    max_members: int = MAX_MEMBERS,
    max_ratio: float = MAX_RATIO,
    ratio_min_size: int = RATIO_MIN_SIZE,
) -> None:
    """Refuse a file that is not a workbook package or that would be unsafe to unpack.

    Raises NotAWorkbook (not a zip, truncated, no workbook part) or UnsafeFile (too many
    members, too large once unpacked, a member compressed suspiciously well).
    """
    path = Path(path)
    name = path.name
    infos, file_size = _zip_members(path)
    if len(infos) > max_members:
        raise UnsafeFile(
            f"{name} 包含 {len(infos):,} 个内部文件（上限 {max_members:,}），拒绝打开 / "
            f"{name} holds {len(infos):,} parts (limit {max_members:,}); refused"
        )
    seen: set[str] = set()
    for info in infos:
        _check_member(name, info, file_size, seen, max_ratio, ratio_min_size)
    total = sum(info.file_size for info in infos)
    if total > max_total:
        raise UnsafeFile(
            f"{name} 解压后共 {_mb(total)}，超过上限 {_mb(max_total)}，拒绝打开 / "
            f"{name} unpacks to {_mb(total)}, over the {_mb(max_total)} limit; refused"
        )
    if "[content_types].xml" not in seen or "xl/workbook.xml" not in seen:
        hint = "（.xlsb 二进制工作簿不受支持，请另存为 .xlsx）" if "xl/workbook.bin" in seen else ""
        hint_en = " (.xlsb binary workbooks are not supported; save as .xlsx)" if hint else ""
        raise NotAWorkbook(
            f"{name} 是压缩包但不是 Excel 工作簿{hint} / {name} is a zip archive but not an Excel workbook{hint_en}"
        )


def _zip_members(path: Path) -> tuple[list[zipfile.ZipInfo], int]:
    """The zip's central directory (nothing decompressed) and the file's size."""
    name = path.name
    with open(path, "rb") as f:
        head = f.read(8)
        f.seek(0, 2)
        file_size = f.tell()
    if head == OLE_MAGIC:
        raise NotAWorkbook(
            f"{name} 已设置打开密码，或是旧版 .xls 文件：请在 Excel 中取消密码或另存为 .xlsx 后再试 / "
            f"{name} is password-protected or an old .xls file: remove the password or save it as .xlsx, then retry"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.infolist(), file_size
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise NotAWorkbook(
            f"{name} 不是有效的 Excel 工作簿（.xlsx/.xlsm）：文件可能已损坏、未完整下载，或只是改了扩展名 / "
            f"{name} is not a valid Excel workbook (.xlsx/.xlsm): it may be damaged, partly downloaded, "
            f"or merely renamed"
        ) from e


def _check_member(name: str, info: zipfile.ZipInfo, file_size: int, seen: set[str], max_ratio: float,
                  ratio_min_size: int) -> None:
    """One member: a safe, new name, stored within the file, not suspiciously well compressed."""
    if _unsafe_member_name(info.filename):
        shown = info.filename[:80].encode("unicode_escape").decode("ascii")
        raise UnsafeFile(
            f"{name} 含有不安全的内部文件名 {shown}（指向工作簿以外的位置），拒绝处理 / "
            f"{name} holds a part named {shown}, which points outside the workbook; refused"
        )
    key = info.filename.lower()
    if key in seen:
        raise UnsafeFile(f"{name} 含有重名的内部文件 {info.filename} / {name} has a duplicate part {info.filename}")
    seen.add(key)
    if info.header_offset + info.compress_size > file_size:
        raise NotAWorkbook(f"{name} 不完整（文件被截断），请重新获取 / {name} is incomplete (truncated); fetch it again")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > ratio_min_size and ratio > max_ratio:
        raise UnsafeFile(
            f"{name} 的内部文件 {info.filename} 压缩比异常（{ratio:,.0f} 倍，解压后 {_mb(info.file_size)}），"
            f"疑似压缩炸弹，拒绝打开 / {name}: part {info.filename} is compressed {ratio:,.0f}:1 "
            f"({_mb(info.file_size)} unpacked), a likely zip bomb; refused"
        )


def _unsafe_member_name(filename: str) -> bool:
    """An absolute name, a drive letter or a ``..`` step: a part that would land outside the package."""
    name = filename.replace("\\", "/")
    return name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in name.split("/") or "\0" in name


def parse_xml(data: bytes) -> Element:
    """Parse one XML part safely; a DTD or entity declaration raises UnsafeFile."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise UnsafeFile(
            "工作簿内含 XML 实体声明（可被用于“十亿笑声”等攻击），拒绝处理 / "
            "the workbook contains XML entity declarations (a 'billion laughs' style attack); refused"
        ) from e
    except ParseError as e:
        raise NotAWorkbook(f"工作簿内部 XML 已损坏：{e} / the workbook has damaged XML inside: {e}") from e


