"""Helpers for workbook tests: the sample workbook, reading sheets back, zip parts."""

from __future__ import annotations

import shutil
import struct
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook

from kpi_workbook.commands.demo import build_sample_workbook, sample_file
from kpi_workbook.pipeline.layout import layout

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=2)
def _sample_cached(lang: str) -> Path:
    import tempfile

    outdir = Path(tempfile.mkdtemp(prefix=f"kpi_sample_{lang}_"))
    return build_sample_workbook(outdir, lang)


def sample_workbook(tmp_path: Path, lang: str = "zh", name: str | None = None) -> Path:
    """A fresh copy of the filled (not computed) sample workbook."""
    src = _sample_cached(lang)
    dst = tmp_path / (name or src.name)
    shutil.copyfile(src, dst)
    return dst


def computed_sample(folder: Path, lang: str = "zh") -> Path:
    """A fresh copy of the sample workbook in ``folder``, computed as ``kpi compute`` does."""
    from kpi_workbook.commands.files import compute_file

    path = sample_workbook(folder, lang)
    compute_file(path)
    return path


def sample_metrics() -> pd.DataFrame:
    return pd.read_csv(sample_file("metrics_2026Q4.csv"), dtype={"employee_id": str}, encoding="utf-8-sig")


def input_sheet_names(lang: str = "zh") -> list[str]:
    return [s.name(lang) for s in layout().inputs]


def scheme_cell(grid: list[list[Any]], key: str, column: str, key_column: str = "id") -> str:
    """The address, in a scheme sheet's values, of ``column`` in the first row whose ``key_column``
    is ``key``, in the table whose grey field-id row names both (a table ends at a blank row)."""
    from openpyxl.utils import get_column_letter

    for r, row in enumerate(grid):
        if key_column in row and column in row:
            key_col, col = row.index(key_column), row.index(column)
            for r2 in range(r + 1, len(grid)):
                line = grid[r2]
                if not any(v is not None for v in line):
                    break
                if key_col < len(line) and line[key_col] == key:
                    return f"{get_column_letter(col + 1)}{r2 + 1}"
    raise AssertionError(f"no {column} cell for {key}")


def sheet_values(path: Path, sheet: str) -> list[list[Any]]:
    wb = load_workbook(path, data_only=True)
    ws = wb[sheet]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def table(path: Path, sheet: str) -> pd.DataFrame:
    """A result or input sheet as a frame: columns are the machine ids of row 2."""
    rows = sheet_values(path, sheet)
    ids = rows[1]
    return pd.DataFrame(rows[2:], columns=ids)


def zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}

def png() -> bytes:
    """A 1x1 PNG, made here."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00")) + chunk(b"IEND", b""))
