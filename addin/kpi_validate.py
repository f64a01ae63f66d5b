"""Ribbon button 「校验」 of the KPI 考核 tab (add-in file ``kpi_validate.xlam``).

The add-in's VBA (``RibbonMyAddin.RunMain``) runs ``import kpi_validate; kpi_validate.main()``: the
module is named after the add-in file, and only forwards to :func:`kpi_addin.validate`.
"""

from __future__ import annotations

from kpi_addin import validate


def main() -> None:
    """Run 「校验」 on the workbook Excel has open (``xlwings.Book.caller()``)."""
    validate()
