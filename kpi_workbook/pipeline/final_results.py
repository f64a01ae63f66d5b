"""The result sheets' part of what follows the scores: HR's changes, the limits, and pay.

Values only, like :mod:`.results` (whose blocks these extend):

- :func:`add_change_lines` — each of HR's changes that applied as its own line of 扣分明细, with
  its reason and approver (an adjustment's amount is the points it takes off: −adjustment);
- :func:`add_distribution` — below 汇总's tables, per scope and limit: headcount, allowed, actual,
  over (+) or room left (−), with a chart of allowed against actual; every breach is returned as a
  warning at its row's cell;
- :func:`pay_block` — the sheet 绩效工资: base, coefficient and pay per person, then per team the
  sums against the pools; every overrun is returned as a warning at its team's row;
- :func:`proposal_text` — what the calibration proposal says, in one line (``kpi calibrate`` and
  the add-in's 校准建议).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kpi_engine import ScoreResult
from kpi_engine.calibration import adjustment_lines, share_text
from kpi_engine.i18n import tr

from ..ooxml.cells import cell_ref, column_letter
from .cell_problem import CellProblem
from .layout import PAY_KEY, layout
from .results import Block, ChartSpec, plain, t

MONEY, COEFFICIENT = "¥#,##0.00", "0.00##"


def add_change_lines(block: Block, result: ScoreResult, roster: pd.DataFrame, lang: str) -> None:
    """HR's changes, one line each, after the deductions (in the order of the employees)."""
    lines = adjustment_lines(result.adjustments, result.final_band, lang)
    if lines.empty:
        return
    order = {e: i for i, e in enumerate(result.total.index)}
    lines = lines.iloc[sorted(range(len(lines)), key=lambda i: order.get(lines["employee_id"].iat[i], len(order)))]
    names = roster["name"].to_dict() if "name" in roster else {}
    kinds = {"adjustment": (tr("calibration.kind_adjustment", lang), "adjustment"),
             "grade": (tr("calibration.kind_grade", lang), "final_grade")}
    for e, kind, amount, reason in lines.itertuples(index=False):
        block.rows.append([e, plain(names.get(e)), *kinds[kind], plain(amount), reason])


def add_distribution(block: Block, result: ScoreResult, lang: str) -> list[CellProblem]:
    """The grade distribution against the limits, below 汇总's tables; the breaches as warnings."""
    dist = result.distribution
    if dist.empty:
        return []
    width = len(block.rows[1])
    head = [t("limit", lang), t("headcount", lang), t("grade", lang), t("max_share", lang), t("allowed", lang),
            t("actual", lang), t("over", lang)]
    block.rows += [[None] * width, head]
    first = len(block.rows)
    problems = []
    for r in dist.itertuples(index=False):
        block.rows.append([f"{r.scope} · {r.grades}", r.headcount, r.grades, share_text(r.max_share), r.allowed,
                           r.actual, r.over])
        if isinstance(r.problem, str):
            problems.append(CellProblem(block.sheet, cell_ref(len(block.rows), 6), None, "calibration", r.actual,
                                        r.problem, "warning", "over_limit"))
    last = len(block.rows) - 1
    block.charts.append(ChartSpec("column", t("limits_chart", lang), (first, last, 0),
                                  ((first, last, 4), (first, last, 5)), anchor=f"{column_letter(width + 1)}38"))
    block.widths.setdefault(0, 16)
    return problems


def pay_block(result: ScoreResult, roster: pd.DataFrame, lang: str) -> tuple[Block, list[CellProblem]]:
    """绩效工资: per person base, coefficient, pay; then per team the sums against the pools."""
    ids = ["employee_id", "name", "team", "final_grade", "pay_base", "coefficient", "pay"]
    idx = result.total.index
    final = result.final
    people = pd.DataFrame({"name": roster.reindex(idx)["name"] if "name" in roster else None,
                           "team": roster.reindex(idx)["team"] if "team" in roster else None}, index=idx)
    columns = [idx.tolist(), people["name"].tolist(), people["team"].tolist(), final["final_grade"].tolist(),
               result.pay_base.reindex(idx).tolist(), final["coefficient"].tolist(), final["pay"].tolist()]
    labels = [t("employee_id", lang), t("name", lang), t("team", lang), t("final_grade", lang), t("pay_base", lang),
              t("coefficient", lang), t("pay", lang)]
    rows: list[list[Any]] = [labels, ids]
    rows += [[plain(v) for v in row] for row in zip(*columns)]
    problems = []
    pools = result.pay_pools
    if not pools.empty:
        head = [t("team", lang), t("headcount", lang), None, None, t("base_sum", lang), t("factor", lang),
                t("pay_sum", lang), t("pay_before", lang), t("pool", lang), t("pool_over", lang)]
        rows += [[None] * len(ids), head]
        sheet = layout().sheet(PAY_KEY, lang)
        for p in pools.itertuples(index=False):
            rows.append([p.team, p.headcount, None, None, p.base, p.factor, p.pay, p.pay_before, plain(p.pool),
                         plain(p.over)])
            if isinstance(p.problem, str):
                problems.append(CellProblem(sheet, cell_ref(len(rows), 10), None, "pay", plain(p.over), p.problem,
                                            "warning", "pool_over"))
    formats = {4: MONEY, 5: COEFFICIENT, 6: MONEY, 7: MONEY, 8: MONEY, 9: MONEY}
    widths = {0: 10, 1: 10, 2: 14, 3: 8, 4: 14, 5: 8, 6: 14, 7: 14, 8: 14, 9: 14}
    return Block(PAY_KEY, layout().sheet(PAY_KEY, lang), rows, number_formats=formats, widths=widths), problems


def proposal_text(outcome: Any, cleared: bool = False) -> str:
    """What the proposal says, in one line (the command's and the add-in's message)."""
    lang, result = outcome.lang, outcome.result
    sheet = layout().sheet("scores", lang)
    if cleared:
        return tr("calibration.proposal_cleared", lang, sheet=sheet)
    calib = result.scheme.calibration
    if calib is None or not calib.active:
        return tr("calibration.proposal_off", lang, sheet=sheet)
    proposal, band = result.proposal(), result.final_band
    lower = int((proposal.notna() & (proposal != band)).sum())
    breaches = sum(isinstance(p, str) for p in result.distribution["problem"])
    return tr("calibration.proposal_done", lang, sheet=sheet, column=tr("label.proposal", lang), lower=lower,
              breaches=breaches)
