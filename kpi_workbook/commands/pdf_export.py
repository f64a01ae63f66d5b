"""PDF through LibreOffice headless (``soffice --convert-to pdf``), and a PDF cut into its pages.

LibreOffice is found on PATH (``soffice``, ``libreoffice``), where it installs itself on
Windows and macOS, or where ``KPI_SOFFICE`` says. Each run has a private profile, so it never
hands the job to a LibreOffice the user has open (which would make a headless run wait or fail),
and several workbooks are converted by one start: a start costs seconds, a page a fraction.

A team's scorecards are one workbook with a sheet per person, converted once; each person's
PDF is then cut out of the team's with pypdf. Each card's pages are known (its print setup fits
it to that many pages tall); when the PDF has another count, each page is matched to its card by
the sheet name in its header instead.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kpi_engine.errors import KpiError
from kpi_engine.problems import clip

BASE_TIMEOUT = 300  # seconds for one LibreOffice run, plus PAGE_TIMEOUT a sheet
PAGE_TIMEOUT = 2.0


class PdfError(KpiError):
    """LibreOffice could not make a PDF (message ``report.<code>``)."""

    code = "pdf"
    section = "report"


def install_places(environ: dict[str, str] | None = None, system: str | None = None) -> list[Path]:
    """Where LibreOffice installs ``soffice`` on this system (Windows, macOS; none elsewhere: it is on PATH)."""
    env, system = environ if environ is not None else dict(os.environ), system or sys.platform
    if system.startswith("win"):
        roots = [env.get(k) for k in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")]
        return [Path(r) / "LibreOffice" / "program" / "soffice.exe" for r in dict.fromkeys(roots) if r]
    if system == "darwin":
        return [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
                Path.home() / "Applications/LibreOffice.app/Contents/MacOS/soffice"]
    return []


def find_soffice(environ: dict[str, str] | None = None, system: str | None = None) -> str | None:
    """The LibreOffice program that converts to PDF, or None when it is not installed."""
    env = environ if environ is not None else dict(os.environ)
    chosen = env.get("KPI_SOFFICE", "").strip()
    if chosen:
        return chosen if Path(chosen).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return found
    return next((str(p) for p in install_places(env, system) if p.is_file()), None)


def convert_to_pdf(soffice: str, books: Sequence[Path], outdir: Path, *, sheets: int = 1) -> list[Path]:
    """Each workbook of ``books`` as a PDF in ``outdir`` (same stem), by one LibreOffice run;
    ``sheets``: how many sheets they hold together (the run's time limit grows with them)."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="kpi-lo-profile-"))
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
           "--nodefault", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(outdir), *map(str, books)]
    timeout = BASE_TIMEOUT + PAGE_TIMEOUT * sheets
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise PdfError.of("pdf_timeout", program=soffice, seconds=f"{timeout:.0f}") from None
    except OSError as exc:
        raise PdfError.of("pdf_failed", program=soffice, detail=clip(exc, 300)) from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    made = [outdir / f"{book.stem}.pdf" for book in books]
    missing = [p.name for p in made if not p.is_file()]
    if proc.returncode != 0 or missing:
        detail = (out + err).decode(errors="replace").strip() or f"exit {proc.returncode}"
        raise PdfError.of("pdf_failed", program=soffice, detail=clip(detail, 300))
    return made


def _kill(proc: subprocess.Popen) -> None:
    if hasattr(os, "killpg"):
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # soffice.bin is a child of the soffice script
        except ProcessLookupError:
            pass
    else:  # pragma: no cover - Windows
        proc.kill()
    proc.communicate()


def split_pdf(pdf: Path, pages: Sequence[int], names: Sequence[str]) -> list[bytes]:
    """The PDF cut into consecutive parts of ``pages[k]`` pages each; when the PDF has another
    number of pages, part k is every page whose text starts with ``names[k]`` (its header)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(str(pdf))
    count = len(reader.pages)
    if count == sum(pages):
        starts = [sum(pages[:k]) for k in range(len(pages))]
        groups = [list(range(s, s + n)) for s, n in zip(starts, pages)]
    else:
        groups = _by_header(reader, names)
    parts = []
    for group in groups:
        writer = PdfWriter()
        for i in group:
            writer.add_page(reader.pages[i])
        buffer = io.BytesIO()
        writer.write(buffer)
        parts.append(buffer.getvalue())
    return parts


def _by_header(reader, names: Sequence[str]) -> list[list[int]]:
    """Page numbers per name: a page goes to the name its text starts with (else to the page before's)."""
    groups: list[list[int]] = [[] for _ in names]
    current = None
    for i, page in enumerate(reader.pages):
        head = "".join((page.extract_text() or "").split())[:200]
        found = [k for k, name in enumerate(names) if "".join(name.split()) in head]
        if found:
            current = max(found, key=lambda k: len(names[k]))  # "E1 x" and "E10 x": the longer match
        if current is not None:
            groups[current].append(i)
    return groups
