"""Ribbon button 「校准建议」 of the KPI 考核 tab (add-in file ``kpi_calibrate.xlam``).

The add-in's VBA (``RibbonMyAddin.RunMain``) runs ``import kpi_calibrate; kpi_calibrate.main()``: the
module is named after the add-in file, and only forwards to :func:`kpi_addin.calibrate`, which
computes the open workbook with the calibration proposal (a 建议等级 column in 得分) switched on.
"""

from __future__ import annotations

from kpi_addin import calibrate


def main() -> None:
    """Run 「校准建议」 on the workbook Excel has open (``xlwings.Book.caller()``)."""
    calibrate()
