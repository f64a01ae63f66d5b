"""Safe writing of files: complete or not at all, one writer at a time, nothing left behind.

``atomic_write`` replaces a file only once the new one is complete (temp file beside it, fsync,
``os.replace``), ``file_lock`` keeps two processes off the same file, ``scratch_folder`` gives a
temporary folder that a killed run's successor clears, ``error_log`` writes a private log file.
Failures are :class:`FileWriteError` / :class:`FileBusy` naming the file the user asked for.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# ---------------------------------------------------------------- safe writing

class FileWriteError(OSError):
    """The workbook (or its folder) cannot be written: open in Excel, read-only, no permission."""


class FileBusy(OSError):
    """Another kpi process is working on the same workbook."""


def _write_error(path: Path) -> FileWriteError:
    return FileWriteError(
        f"无法写入 {path}：文件可能正在 Excel 中打开、被设为只读，或所在文件夹没有写入权限。请关闭文件或检查权限后重试 / "
        f"Cannot write {path}: it may be open in Excel, read-only, or in a folder without write permission. "
        f"Close it or check the permissions, then retry"
    )


def io_error(path: Path, e: OSError) -> FileWriteError:
    """A failed write named by the file being written (not a temp file, not the input)."""
    if e.errno == errno.ENOSPC:
        zh, en = "磁盘空间不足", "the disk is full"
    elif e.errno == errno.EFBIG:
        zh, en = "文件超出了允许的大小", "the file is larger than allowed"
    else:
        zh = en = e.strerror or type(e).__name__
    return FileWriteError(
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
    FileWriteError, a full disk a FileWriteError naming ``path``. A symbolic link is
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
        if isinstance(e, OSError) and not isinstance(e, (FileWriteError, FileBusy)) and e.errno is not None:
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


def unused_path(path: Path) -> Path:
    """``path`` when no file has that name, else the first free ``stem (2).ext``, ``stem (3).ext`` …

    The product's one rule for files it creates: an existing file is never replaced unless the
    user asked for it (``--force``); the new file goes beside it under the next free name."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return path
    for n in range(2, 10_000):
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise FileExistsError(path)


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

    Waits up to ``timeout`` seconds for another holder, then raises FileBusy.
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
            raise FileBusy(
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
