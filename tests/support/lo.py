"""LibreOffice headless conversion for tests: a second, independent reader of our files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The soffice binary; skip the test without it, except on CI (CI set) where that is a failure."""
    exe = soffice()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required on CI but was not found")
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe


def convert(path: Path, outdir: Path, timeout: float = 120) -> Path:
    """Convert ``path`` to .xlsx in ``outdir`` with a private profile; return the converted file.

    A per-call profile keeps this run apart from any other LibreOffice instance (a shared profile
    makes headless soffice hand the job to the running instance, or hang).
    """
    exe = require_soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="kpi-lo-profile-"))
    cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
           "--convert-to", "xlsx", "--outdir", str(outdir), str(path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)  # soffice.bin is a child of the soffice script
        else:  # pragma: no cover - Windows
            proc.kill()
        proc.communicate()
        raise AssertionError(f"LibreOffice timed out after {timeout}s converting {path}") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    result = outdir / (path.stem + ".xlsx")
    if b"could not be loaded" in out + err:  # soffice says so (and exits 0) when it cannot read the file
        raise AssertionError(f"LibreOffice could not load {path}: {(out + err).decode(errors='replace').strip()}")
    if proc.returncode != 0 or not result.exists():
        raise AssertionError(f"LibreOffice failed on {path} (exit {proc.returncode}): {out!r} {err!r}")
    return result
