"""Ribbon button 「计算」 of the KPI 考核 tab (add-in file ``kpi_compute.xlam``).

The add-in's VBA (``RibbonMyAddin.RunMain``) runs ``import kpi_compute; kpi_compute.main()``: the
module is named after the add-in file, and only forwards to :func:`kpi_addin.compute`.
"""

from __future__ import annotations

from kpi_addin import compute


def main() -> None:
    """Run 「计算」 on the workbook Excel has open (``xlwings.Book.caller()``)."""
    compute()
