"""Safe reading and writing of workbook files.

Reading: workbooks arrive by mail and chat, so they are untrusted. ``check_package`` reads only
the zip's central directory (it never decompresses), so it answers at once even on a zip bomb;
``parse_xml`` parses with defusedxml and refuses any DTD, hence entity expansion ("billion
laughs") and external entities.

Writing: ``atomic_write`` replaces a file only once the new one is complete, and ``file_lock``
keeps two kpi processes off the same workbook. Both are re-exported by ``kpi_workbook.package``.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_TOTAL_SIZE = 1 << 30  # 1 GiB uncompressed in all
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # compression ratio of one member ...
RATIO_MIN_SIZE = 10 << 20  # ... counted only for members over 10 MB
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and legacy .xls are OLE files


class UnsafeFile(ValueError):
    """The file could harm the machine that opens it (zip bomb, entity expansion)."""


class NotAWorkbook(ValueError):
    """The file is not an Excel workbook package (.xlsx / .xlsm)."""


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
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise NotAWorkbook(
            f"{name} 不是有效的 Excel 工作簿（.xlsx/.xlsm）：文件可能已损坏、未完整下载，或只是改了扩展名 / "
            f"{name} is not a valid Excel workbook (.xlsx/.xlsm): it may be damaged, partly downloaded, "
            f"or merely renamed"
        ) from e
    if len(infos) > max_members:
        raise UnsafeFile(
            f"{name} 包含 {len(infos):,} 个内部文件（上限 {max_members:,}），拒绝打开 / "
            f"{name} holds {len(infos):,} parts (limit {max_members:,}); refused"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
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
            raise NotAWorkbook(
                f"{name} 不完整（文件被截断），请重新获取 / {name} is incomplete (truncated); fetch it again"
            )
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ratio_min_size and ratio > max_ratio:
            raise UnsafeFile(
                f"{name} 的内部文件 {info.filename} 压缩比异常（{ratio:,.0f} 倍，解压后 {_mb(info.file_size)}），"
                f"疑似压缩炸弹，拒绝打开 / {name}: part {info.filename} is compressed {ratio:,.0f}:1 "
                f"({_mb(info.file_size)} unpacked), a likely zip bomb; refused"
            )
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


# ---------------------------------------------------------------- safe writing

class WorkbookWriteError(OSError):
    """The workbook (or its folder) cannot be written: open in Excel, read-only, no permission."""


class WorkbookBusy(OSError):
    """Another kpi process is working on the same workbook."""


def _write_error(path: Path) -> WorkbookWriteError:
    return WorkbookWriteError(
        f"无法写入 {path}：文件可能正在 Excel 中打开、被设为只读，或所在文件夹没有写入权限。请关闭文件或检查权限后重试 / "
        f"Cannot write {path}: it may be open in Excel, read-only, or in a folder without write permission. "
        f"Close it or check the permissions, then retry"
    )


def io_error(path: Path, e: OSError) -> WorkbookWriteError:
    """A failed write named by the file being written (not a temp file, not the input)."""
    if e.errno == errno.ENOSPC:
        zh, en = "磁盘空间不足", "the disk is full"
    elif e.errno == errno.EFBIG:
        zh, en = "文件超出了允许的大小", "the file is larger than allowed"
    else:
        zh = en = e.strerror or type(e).__name__
    return WorkbookWriteError(
        f"无法写入 {path}：{zh}。原文件保持不变，请腾出空间或换个位置后重试 / "
        f"Cannot write {path}: {en}. Nothing was changed; free some space or choose another place, then retry"
    )


def _denied(e: BaseException) -> bool:
    """Permission denied, a read-only file system, or (Windows) a file held open by Excel."""
    return isinstance(e, PermissionError) or (isinstance(e, OSError) and e.errno in (errno.EROFS, errno.EACCES))


def _check_writable(path: Path) -> None:
    if path.exists() and not path.stat().st_mode & 0o222:
        raise _write_error(path)  # read-only file (root would otherwise replace it silently)
    parent = path.parent
    if not os.access(parent, os.W_OK) or (os.name == "posix" and not parent.stat().st_mode & 0o222):
        raise _write_error(path)


def real_path(path: str | Path) -> Path:
    """The file a path names: a symbolic link is followed, so that replacing the file keeps the link."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def require_file_path(path: str | Path) -> None:
    """Fail before any work when ``path`` cannot be an output file: its folder is missing (named),
    or it is itself a folder (``-o DIR``)."""
    path = real_path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not path.parent.is_dir():  # name the missing folder, not a temp or lock file we would create in it
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))


def atomic_write(path: Path, write: Callable[[Path], None], *, locked: bool = False) -> None:
    """Call ``write(tmp)`` on a temp file beside ``path``, fsync it, then ``os.replace`` it onto ``path``.

    On any error the temp file is removed and ``path`` is untouched; PermissionError becomes
    WorkbookWriteError, a full disk a WorkbookWriteError naming ``path``. A symbolic link is
    followed (the file it names is replaced, the link stays). Done under ``path``'s lock (taken
    here unless the caller holds it: ``locked``), which also clears temp files a killed run left.
    """
    path = real_path(path)
    require_file_path(path)
    _check_writable(path)
    if locked:
        _write_replacing(path, write)
        return
    with file_lock(path):
        _write_replacing(path, write)


def _write_replacing(path: Path, write: Callable[[Path], None]) -> None:
    for stale in path.parent.glob(f".~{glob_escape(path.name)}.*.tmp"):  # a killed run's: we hold the lock
        stale.unlink(missing_ok=True)
    tmp = path.with_name(f".~{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except OSError as e:
        if _denied(e):
            raise _write_error(path) from e
        raise
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if _denied(e):
            raise _write_error(path) from e
        if isinstance(e, OSError) and not isinstance(e, (WorkbookWriteError, WorkbookBusy)) and e.errno is not None:
            raise io_error(path, e) from e
        raise
    if os.name == "posix":  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def error_log(text: str, prefix: str = "kpi_error") -> Path:
    """Write ``text`` (a traceback) to a new log file of this user's and return its path.

    The file is created, never opened if it exists (no symbolic link is followed), readable by
    this user only, in a folder of this user's under the temp folder (the shared one is used with
    a random name if that folder cannot be trusted)."""
    root = Path(tempfile.gettempdir())
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    folder = root / f"kpi-{user}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(folder)
        import stat

        trusted = stat.S_ISDIR(st.st_mode) and (not hasattr(os, "getuid") or st.st_uid == os.getuid())
    except OSError:
        trusted = False
    fd, name = tempfile.mkstemp(prefix=f"{prefix}_{time.strftime('%Y%m%d-%H%M%S')}_", suffix=".log",
                                dir=folder if trusted else root)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return Path(name)


STALE_AFTER = 24 * 3600  # seconds: a scratch folder this old belongs to a run that died


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder ``<prefix><pid>_…`` removed afterwards; first removes those that runs of
    this machine left when they were killed (their process is gone, or they are a day old)."""
    root = Path(tempfile.gettempdir())
    for old in root.glob(f"{glob_escape(prefix)}*"):
        pid = old.name[len(prefix):].partition("_")[0]
        try:
            dead = (pid.isdigit() and _process_gone(int(pid))) or time.time() - old.stat().st_mtime > STALE_AFTER
        except OSError:
            continue
        if dead and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}_") as folder:
        yield Path(folder)


def _process_gone(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows: only the age counts there
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (another user's)
        return False
    return False


def glob_escape(name: str) -> str:
    """``name`` matched literally by ``Path.glob`` ([ ] * ? are pattern characters there)."""
    return "".join(f"[{ch}]" if ch in "[]*?" else ch for ch in name)


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


@contextmanager
def file_lock(path: Path, timeout: float = 0) -> Iterator[None]:
    """Hold an exclusive lock on a sidecar file ``.~NAME.kpi.lock`` beside ``path``.

    Waits up to ``timeout`` seconds for another holder, then raises WorkbookBusy.
    """
    path = real_path(path)
    lock = path.with_name(f".~{path.name}.kpi.lock")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:
            if _denied(e):
                raise _write_error(path) from e
            raise
        if _try_lock(fd):
            try:  # POSIX: the holder unlinks on release; make sure we locked the live file
                if sys.platform == "win32" or os.fstat(fd).st_ino == os.stat(lock).st_ino:
                    break
            except FileNotFoundError:
                pass
        os.close(fd)
        if time.monotonic() >= deadline:
            raise WorkbookBusy(
                f"工作簿 {path} 正被另一个 kpi 进程处理，请稍后再试 / "
                f"The workbook {path} is being processed by another kpi process; try again later"
            )
        time.sleep(0.05)
    try:
        yield
    finally:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            os.close(fd)
            try:  # fails, harmlessly, while another process has it open
                os.unlink(lock)
            except OSError:
                pass
        else:  # unlink while still locked; a waiter that opened the old file notices (inode check)
            lock.unlink(missing_ok=True)
            os.close(fd)
