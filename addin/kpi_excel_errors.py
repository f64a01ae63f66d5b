"""What a live Excel on a Chinese Windows desktop does to a macro, and what the user is told.

- **Excel busy.** While a cell is being edited or a dialog is open, Excel's message filter
  refuses calls from outside: pywin32 raises ``com_error`` with ``hresult`` -2147418111
  (RPC_E_CALL_REJECTED, "Call was rejected by callee"; -2147417846 RPC_E_SERVERCALL_RETRYLATER
  is its sibling), or DISP_E_EXCEPTION carrying VBA_E_IGNORE (-2146777998) as its scode, the two
  cases xlwings' own code treats as "try again" (``xlwings/_xlwindows.py``,
  ``COMRetryObjectWrapper``; ``xlwings/udfs.py``). xlwings retries such a call at once and,
  by default, forever (``N_COM_ATTEMPTS = 0``): the button would hang until the user stops
  typing. :func:`patiently` retries with a short back-off (0.1 s doubling, about 6 s in all)
  and then raises :class:`ExcelBusyError`, a plain message; :func:`bounded_xlwings_retries`
  caps xlwings' own loop for the length of a macro so that the back-off is ours.
- **Read-only.** A workbook opened read-only (``Workbook.ReadOnly``: opened so, or locked by a
  colleague on a shared drive) can be changed in memory but not saved under its own name: the
  macros still write their sheets, and the message says to use 另存为 (:func:`read_only`).
- **Protected View.** A file from the internet, an e-mail or a chat attachment opens in a
  Protected View window; such a workbook is not in the Workbooks collection (VBA reference,
  ProtectedViewWindow.Workbook), so ``xlwings.Book.caller()`` cannot find it:
  :func:`protected_view_name` says which file it is, so that the message can ask for 启用编辑.
- **Text for the message box.** xlwings shows ``app.alert`` with ``win32api.MessageBox``
  (Unicode). When no box can be shown the macro prints the message and exits non-zero; the
  template's VBA then reads that output back with ``Line Input`` (``ReadFile`` in the xlwings
  module), which decodes it in the system's ANSI code page (GBK, cp936, on Chinese Windows)
  whatever Python wrote: :func:`console_bytes` encodes it in that code page, and falls back to
  the English text when the code page has no Chinese.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from kpi_engine.errors import KpiError
from kpi_engine.i18n import both

T = TypeVar("T")

RPC_E_CALL_REJECTED = -2147418111
RPC_E_SERVERCALL_RETRYLATER = -2147417846
DISP_E_EXCEPTION = -2147352567
VBA_E_IGNORE = -2146777998  # scode of "Excel is busy" inside DISP_E_EXCEPTION
BUSY_HRESULTS = {RPC_E_CALL_REJECTED, RPC_E_SERVERCALL_RETRYLATER}
BACKOFF = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2)  # seconds between tries: about 6 s before giving up
XLWINGS_ATTEMPTS = 2  # xlwings' immediate retries of a refused call, within each of ours
SLEEP = time.sleep  # how the back-off waits (tests record it instead)


class ExcelBusyError(KpiError):
    """Excel refused our calls for longer than the back-off (message zh / en)."""

    code = "excel_busy"


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is Excel refusing a call for now (see the module's docstring)."""
    if type(exc).__name__ == "ExcelBusyError" and not isinstance(exc, KpiError):  # xlwings' own, after its retries
        return True
    args = getattr(exc, "args", ())
    hresult = getattr(exc, "hresult", None)
    if hresult is None and args and isinstance(args[0], int):
        hresult = args[0]
    if hresult in BUSY_HRESULTS:
        return True
    if hresult == DISP_E_EXCEPTION and len(args) > 2 and isinstance(args[2], tuple) and len(args[2]) > 5:
        return args[2][5] == VBA_E_IGNORE
    return False


def patiently(call: Callable[[], T], sleep: Callable[[float], Any] | None = None) -> T:
    """``call()``, tried again after 0.1, 0.2, 0.4 … s while Excel refuses it; then ExcelBusyError."""
    wait = sleep or SLEEP
    for delay in (*BACKOFF, None):
        try:
            return call()
        except Exception as exc:
            if not is_busy(exc):
                raise
            if delay is None:
                raise ExcelBusyError(*both("excel.busy")) from None
            wait(delay)
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def bounded_xlwings_retries(attempts: int = XLWINGS_ATTEMPTS) -> Iterator[None]:
    """Cap xlwings' immediate, endless retries of a refused call (Windows) while a macro runs."""
    module = sys.modules.get("xlwings._xlwindows")
    if module is None or not hasattr(module, "N_COM_ATTEMPTS"):
        yield
        return
    before = module.N_COM_ATTEMPTS
    module.N_COM_ATTEMPTS = attempts
    try:
        yield
    finally:
        module.N_COM_ATTEMPTS = before


def read_only(book: Any) -> bool:
    """Whether Excel opened the workbook read-only (False when it cannot tell, e.g. on macOS)."""
    try:
        return bool(book.api.ReadOnly)
    except Exception:
        return False


def protected_view_name(xlwings: Any) -> str | None:
    """The file in Excel's active Protected View window, or None (none, or no Excel to ask)."""
    try:
        window = xlwings.apps.active.api.ActiveProtectedViewWindow
        return str(window.Caption) if window is not None else None
    except Exception:
        return None


def ansi_codepage() -> str:
    """The code page the add-in's VBA reads Python's output in: the system's ANSI code page on
    Windows (``GetACP``; 936 = GBK on Chinese Windows, 65001 with the "UTF-8 for worldwide
    language support" option), UTF-8 elsewhere."""
    if sys.platform == "win32":
        import ctypes

        return f"cp{ctypes.windll.kernel32.GetACP()}"
    return "utf-8"


def console_bytes(message: str, english: str | None = None, codepage: str | None = None) -> bytes:
    """``message`` encoded for the VBA to read back; ``english`` when the code page cannot hold it."""
    codepage = codepage or ansi_codepage()
    try:
        return message.encode(codepage)
    except (UnicodeEncodeError, LookupError):
        fallback = english if english is not None else message
        try:
            return fallback.encode(codepage, errors="replace")
        except LookupError:
            return fallback.encode("utf-8", errors="replace")
