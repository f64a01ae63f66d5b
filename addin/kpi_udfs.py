"""Worksheet functions (UDFs) of the KPI add-in: =KPI_TOTAL(表头, 数据行) and friends.

Imported by xlwings as the add-in's "UDF Modules" (Windows only: xlwings UDFs need the COM
server). Each function is a thin shell over :mod:`kpi_udf_core`, which calls the engine; the
one-line docstrings become the functions' help in Excel's function wizard.

Argument names become VBA parameter names in the generated wrapper, so none of them may be a
VBA keyword (``step`` is one: the step argument is ``step_size``).

Every scoring function declares xlwings' reserved argument ``caller`` (last, not shown in Excel:
xlwings passes the calling cell) and scores with the calling workbook's own 指标配置, the
scheme 计算 uses, or the default scheme when the workbook has none (:mod:`kpi_udf_scheme`).
KPI_DEDUCT takes its rule as arguments and reads no scheme.
"""

from __future__ import annotations

from typing import Any

import kpi_udf_core as core
import xlwings as xw

from kpi_engine.i18n import lang_of

CATEGORY = "KPI 考核"
HEADERS = "字段编号行（或中文标题行），如 $A$2:$AM$2"
ROW = "一名员工的数据行，与表头等宽"
PERIOD = f"考核周期，如 {core.DEFAULT_PERIOD}（默认）、2026-11、2026-H2"
INDICATOR = "指标编号或名称，如 conversion_rate 或 支付转化率"


@xw.func(category=CATEGORY)
@xw.arg("actual", doc="实际销售额")
@xw.arg("target", doc="目标销售额（大于 0）")
def KPI_SALES_SCORE(actual: Any, target: Any, caller: Any = None) -> Any:  # noqa: N802 - Excel function name
    """销售额达成率得分（百分制，按本工作簿「指标配置」的分段；无该表时用默认方案：≥120% 得 120，80%–120% 得 100×达成率，低于 80% 得 0）。"""
    return core.guarded(core.sales_score, actual, target, caller)


@xw.func(category=CATEGORY)
@xw.arg("value", doc="实际值（比率填 0.85 或 85%）")
@xw.arg("target", doc="目标值")
@xw.arg("direction", doc="below（低于目标扣分）或 above（超出目标扣分）")
@xw.arg("gap", doc="points（百分点）或 relative（相对目标的百分比）")
@xw.arg("step_size", doc="每步的差距，如 5 表示每 5 个百分点")
@xw.arg("points", doc="每步扣分")
@xw.arg("rounding", doc="floor（整步，默认）、ceil 或 linear（按比例）")
def KPI_DEDUCT(value: Any, target: Any, direction: Any, gap: Any, step_size: Any, points: Any,  # noqa: N802
               rounding: Any = "floor") -> Any:
    """按「每低/超 X 扣 Y 分」规则计算扣分（名义分），与考核引擎同一算法；规则由参数给出，不读「指标配置」。"""
    return core.guarded(core.deduction, value, target, direction, gap, step_size, points, rounding)


@xw.func(category=CATEGORY)
@xw.arg("headers", ndim=1, doc=HEADERS)
@xw.arg("row", ndim=1, doc=ROW)
@xw.arg("indicator", doc=INDICATOR)
@xw.arg("what", doc="points（折算分，默认）或 score（百分制得分）")
@xw.arg("period", doc=PERIOD)
def KPI_INDICATOR(headers: Any, row: Any, indicator: Any, what: Any = "points",  # noqa: N802
                  period: Any = core.DEFAULT_PERIOD, caller: Any = None) -> Any:
    """一名员工某个指标的折算分（或百分制得分）。按本工作簿「指标配置」的方案计算，无该表时用默认方案。"""
    return core.guarded(core.indicator_value, headers, row, indicator, what, period, caller)


@xw.func(category=CATEGORY)
@xw.arg("headers", ndim=1, doc=HEADERS)
@xw.arg("row", ndim=1, doc=ROW)
@xw.arg("period", doc=PERIOD)
def KPI_TOTAL(headers: Any, row: Any, period: Any = core.DEFAULT_PERIOD, caller: Any = None) -> Any:  # noqa: N802
    """一名员工的考核总分。按本工作簿「指标配置」的方案计算（与「计算」按钮相同），无该表时用默认方案。"""
    return core.guarded(core.total, headers, row, period, caller)


@xw.func(category=CATEGORY)
@xw.arg("headers", ndim=1, doc=HEADERS)
@xw.arg("row", ndim=1, doc=ROW)
@xw.arg("period", doc=PERIOD)
def KPI_GRADE(headers: Any, row: Any, period: Any = core.DEFAULT_PERIOD, caller: Any = None) -> Any:  # noqa: N802
    """一名员工的考核等级（如 S/A/B/C/D）。按本工作簿「指标配置」的方案计算，无该表时用默认方案。"""
    return core.guarded(core.grade, headers, row, period, caller)


@xw.func(category=CATEGORY)
@xw.arg("headers", ndim=1, doc=HEADERS)
@xw.arg("row", ndim=1, doc=ROW)
@xw.arg("indicator", doc=INDICATOR)
@xw.arg("period", doc=PERIOD)
def KPI_EXPLAIN(headers: Any, row: Any, indicator: Any, period: Any = core.DEFAULT_PERIOD,  # noqa: N802
                caller: Any = None) -> Any:
    """某个指标得分的原因说明（含数字）。按本工作簿「指标配置」的方案计算，无该表时用默认方案。"""
    return core.guarded(core.explain, headers, row, indicator, period, caller)


@xw.func(category=CATEGORY)
@xw.arg("table", ndim=2, doc="整张输入表，首行为字段编号或中文标题（可含标题行+编号行），含“工号”列")
@xw.arg("period", doc=PERIOD)
@xw.arg("lang", doc="zh（中文表头，默认）或 en")
def KPI_TABLE(table: Any, period: Any = core.DEFAULT_PERIOD, lang: Any = "zh", caller: Any = None) -> Any:  # noqa: N802
    """整张表一次计算：工号、姓名、各指标折算分、总分、等级、标记、状态（动态数组）。按本工作簿「指标配置」的方案，无该表时用默认方案。"""
    language = lang_of(lang)
    return core.as_table(core.guarded(core.table, table, period, language, caller, lang=language))


__all__ = ["KPI_DEDUCT", "KPI_EXPLAIN", "KPI_GRADE", "KPI_INDICATOR", "KPI_SALES_SCORE", "KPI_TABLE", "KPI_TOTAL"]
