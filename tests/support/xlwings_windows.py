"""kpi_udfs as xlwings registers it on Windows, on this Linux machine.

On Linux ``xw.func`` / ``xw.arg`` are no-ops; on Windows they are ``xlwings.udfs.xlfunc`` /
``xlarg``, which record each function's arguments and their options in ``__xlfunc__`` (what the
VBA wrapper is generated from and what ``call_udf`` reads arguments with). This loads a fresh
copy of the module under the real Windows decorators, with the COM modules they import stubbed.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import util
from pathlib import Path
from typing import Any

import pytest


@contextmanager
def udfs_as_on_windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """(kpi_udfs loaded with xlwings' Windows decorators, xlwings.udfs)."""
    import kpi_udfs

    stubs = {
        "pythoncom": types.SimpleNamespace(CoInitialize=lambda: None),
        "pywintypes": types.SimpleNamespace(com_error=Exception),
        "win32com": types.ModuleType("win32com"),
        "win32com.client": types.SimpleNamespace(Dispatch=lambda *a: None),
    }
    for name, module in stubs.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delitem(sys.modules, "xlwings.udfs", raising=False)
    import xlwings
    from xlwings import udfs as win

    monkeypatch.setattr(xlwings, "func", win.xlfunc)
    monkeypatch.setattr(xlwings, "arg", win.xlarg)
    monkeypatch.setattr(xlwings, "ret", win.xlret)
    spec = util.spec_from_file_location("kpi_udfs", Path(kpi_udfs.__file__))
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        yield module, win
    finally:
        monkeypatch.delitem(sys.modules, "xlwings.udfs", raising=False)
