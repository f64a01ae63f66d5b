"""The help sheet's section on what follows the scores: the order of the finishing step, HR's 校准
sheet, the calibration limits with the rounding rule from a share to a headcount in words, the
rule of the proposal, and performance pay. Generated from the scheme, like the rest of 说明."""

from __future__ import annotations

from kpi_engine.calibration import allowed, share_text
from kpi_engine.i18n import tr
from kpi_engine.model import Scheme

from .layout import layout

EXAMPLE_HEADCOUNT = 12  # the rounding rule's worked example: 12 people


def policy_texts(scheme: Scheme, lang: str) -> tuple[str, list[str]]:
    """The section's title and its lines of text."""
    lay = layout()
    texts = [tr("calibration.help_order", lang),
             tr("calibration.help_sheet", lang, sheet=lay.sheet("calibration", lang),
                problems=lay.sheet("problems", lang))]
    return tr("calibration.help_title", lang), texts + _calibration(scheme, lang) + _pay(scheme, lang)


def _calibration(scheme: Scheme, lang: str) -> list[str]:
    calib = scheme.calibration
    if calib is None or not calib.active:
        return [tr("calibration.help_off", lang)]
    sep = tr("workbook.list_sep", lang)
    limits = sep.join(f"{limit.label()} ≤ {share_text(limit.max_share)}" for limit in calib.limits)
    scope = tr("calibration.help_scope_all", lang) if calib.scope == "all" else \
        tr("calibration.help_scope_team", lang, size=calib.min_team_size)
    share = calib.limits[-1].max_share
    example = EXAMPLE_HEADCOUNT * share
    lay = layout()
    return [tr("calibration.help_limits", lang, limits=limits, scope=scope),
            tr("calibration.help_rounding", lang, rounding=tr(f"calibration.rounding_{calib.rounding}", lang),
               n=EXAMPLE_HEADCOUNT, share=share_text(share), x=f"{example:.6g}",
               allowed=allowed(EXAMPLE_HEADCOUNT, share, calib.rounding)),
            tr("calibration.help_proposal", lang, summary=lay.sheet("summary", lang),
               problems=lay.sheet("problems", lang), scores=lay.sheet("scores", lang))]


def _pay(scheme: Scheme, lang: str) -> list[str]:
    pay = scheme.pay
    if pay is None or not pay.enabled:
        return [tr("pay.help_off", lang)]
    sep = tr("workbook.list_sep", lang)
    coefficients = sep.join(f"{g} {c:g}" for g, c in pay.coefficients.items())
    pools = sep.join(f"{t} {v:,.2f}" for t, v in pay.pools.items()) or tr("pay.help_no_pools", lang)
    return [tr("pay.help_pay", lang, base=scheme.field_name(pay.base, lang), coefficients=coefficients,
               sheet=layout().sheet("pay", lang)),
            tr("pay.help_pools", lang, pools=pools, overrun=tr(f"pay.help_overrun_{pay.overrun}", lang))]
