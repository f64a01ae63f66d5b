"""Ribbon button 「生成下期模板」 of the KPI 考核 tab (add-in file ``kpi_new_period.xlam``).

The add-in's VBA (``RibbonMyAddin.RunMain``) runs ``import kpi_new_period; kpi_new_period.main()``: the
module is named after the add-in file, and only forwards to :func:`kpi_addin.new_period`.
"""

from __future__ import annotations

from kpi_addin import new_period


def main() -> None:
    """Run 「生成下期模板」 on the workbook Excel has open (``xlwings.Book.caller()``)."""
    new_period()
