"""The errors of the package library: a code, and the message in Chinese and English.

Every error this sub-package raises for a file it was given is a :class:`PackageError`, a
ValueError, so that a caller can tell a damaged or hostile file (the user's business) from a
bug (ours). Like the engine's ``KpiError`` it carries a stable ``code`` for tests and callers and
both texts; ``str`` gives both, ``text(lang)`` the user's one. Standard library only: the
sub-package knows nothing of the product around it.
"""

from __future__ import annotations

from typing import Any

MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # Excel's grid


class PackageError(ValueError):
    """A file the package library cannot or will not read: ``code`` and ``zh`` / ``en`` texts."""

    code = "package"

    def __init__(self, zh: str, en: str | None = None, *, code: str | None = None):
        self.zh, self.en = zh, zh if en is None else en
        if code:
            self.code = code
        super().__init__(self.zh if self.zh == self.en else f"{self.zh} / {self.en}")

    def text(self, lang: Any = "zh") -> str:
        """The message in ``lang``: English for "en", "en-GB", "en_US"…, Chinese otherwise."""
        return self.en if str(lang or "").lower().startswith("en") else self.zh


class NotAWorkbook(PackageError):
    """The file is not an Excel workbook package (.xlsx / .xlsm), or is damaged inside."""

    code = "not_a_workbook"


class UnsafeFile(PackageError):
    """The file could harm the machine that opens it (zip bomb, entity expansion)."""

    code = "unsafe_file"


class CellOutOfRange(NotAWorkbook):
    """A cell or row address beyond Excel's grid (``ref`` as written): no real workbook has one,
    so the file is damaged or crafted. A NotAWorkbook, as the file reader has always reported it.

    ``sheet`` and ``file`` name where it was found; without them (the sheet parser, which knows
    neither) the message names the address alone.
    """

    code = "cell_out_of_range"

    def __init__(self, ref: str, *, sheet: str | None = None, file: str | None = None):
        self.ref, self.sheet, self.file = ref, sheet, file
        grid_zh, grid_en = f"（最多 {MAX_ROWS:,} 行、{MAX_COLUMNS:,} 列）", f"(at most {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns)"
        if sheet is None:
            zh = f"单元格地址 {ref} 超出 Excel 范围{grid_zh}"
            en = f"the cell address {ref} is beyond Excel's grid {grid_en}"
        else:
            zh = (f"{file} 的工作表「{sheet}」含有超出 Excel 范围的单元格地址 {ref}{grid_zh}，"
                  f"文件可能已被篡改或损坏")
            en = (f"sheet '{sheet}' of {file} has a cell address beyond Excel's grid: {ref} {grid_en}; "
                  f"the file is damaged or crafted")
        super().__init__(zh, en)


# ---------------------------------------------------------------- the messages of a file that cannot be read

def _where(file: str, sheet: str | None) -> tuple[str, str]:
    return (f"{file} 的工作表「{sheet}」", f"sheet '{sheet}' of {file}") if sheet is not None else (f"{file} ", file)


def unsafe(file: str, sheet: str | None) -> UnsafeFile:
    """The file (or its sheet) declares XML entities: refused."""
    zh, en = _where(file, sheet)
    return UnsafeFile(f"{zh}内含 XML 实体声明（可被用于“十亿笑声”等攻击），拒绝处理",
                      f"{en} contains XML entity declarations (a 'billion laughs' style attack); refused")


def damaged(file: str, sheet: str | None, exc: BaseException) -> NotAWorkbook:
    """The file (or its sheet) cannot be read; ``exc`` says how (its first line is shown)."""
    zh, en = _where(file, sheet)
    text = str(exc).strip()
    detail = text.splitlines()[0][:200] if text else ""
    return NotAWorkbook(
        f"{zh}无法读取：文件内部已损坏{f'（{detail}）' if detail else ''}，请在 Excel 中打开并另存为 .xlsx 后重试",
        f"{en} cannot be read, the file is damaged inside{f' ({detail})' if detail else ''}: "
        f"open it in Excel, save it as .xlsx, then retry")
