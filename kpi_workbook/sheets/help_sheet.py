"""The help sheet (说明) of the period workbook, generated from the scheme.

Also the scheme-in-words helpers it uses (:func:`rule_words`, :func:`formula_words`, both the
engine's), so that the help text always says what the scheme computes.
"""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill

from kpi_engine.explain import formula_words, num
from kpi_engine.model import Scheme
from kpi_engine.rules import describe

from ..pipeline.layout import layout
from .cells import write
from .input_sheets import input_columns
from .style import BOLD, HEAD_FILL, SECTION_FONT, TITLE_FONT

# The seven areas of responsibility (article section 一), in our own words: (zh, en name, zh line, en line)
AREAS = (
    ("店铺全域运营管理", "Shop-wide operations", "维护店铺页面、商品上下架、价格与库存同步，守住店铺基础体验与品牌视觉一致。",
     "Keep pages, listings, prices and stock in order and the brand's look consistent."),
    ("流量获取与转化提升", "Traffic and conversion", "组合搜索优化、付费推广与内容营销获取流量，沿浏览—加购—支付漏斗提升转化。",
     "Combine search, paid promotion and content to win traffic; improve each step of the purchase funnel."),
    ("商品全生命周期管理", "Product lifecycle", "从选品、上新节奏到库存周转与滞销清仓，与供应链协同避免断货或积压。",
     "From product selection and launches to stock turnover and clearance, with the supply chain."),
    ("用户运营与复购提升", "Users and repurchase", "按 RFM 分层触达用户，经营私域社群，提升活跃度与复购。",
     "Reach customers by RFM segment and run private-domain groups to lift activity and repurchase."),
    ("数据驱动的运营决策", "Data-driven decisions", "每日跟踪 UV、转化率、客单价等核心数据，用 A/B 测试验证策略，关注竞品与行业趋势。",
     "Track UV, conversion and order value daily, test changes with A/B tests, watch competitors and trends."),
    ("营销活动与资源整合", "Campaigns and resources", "策划大促全周期节奏，协调设计、客服、物流资源，拓展达人直播与品牌联名等合作。",
     "Plan big campaigns end to end, line up design, service and logistics, and build outside partnerships."),
    ("客服与售后协同", "Service and after-sales", "优化客服话术与售后流程，及时处理差评与纠纷，维护店铺评分与口碑。",
     "Improve service scripts and after-sales flow, handle bad reviews and disputes, protect the shop rating."),
)


def rule_words(ind: Any, scheme: Scheme, lang: str = "zh") -> str:
    """The indicator's rule in words, generated from its parameters: :func:`kpi_engine.rules.describe`."""
    return describe(ind, scheme, lang)


def help_sheet(ws: Any, scheme: Scheme, period: str, lang: str) -> None:
    zh, lay = lang == "zh", layout()
    bold = BOLD
    r = 1

    def line(*values: Any, font: Font | None = None, fill: PatternFill | None = None, wrap: bool = True) -> None:
        nonlocal r
        for c, v in enumerate(values, 1):
            cell = write(ws, r, c, v)
            cell.alignment = Alignment(wrap_text=wrap, vertical="top")
            if font:
                cell.font = font
            if fill:
                cell.fill = fill
        r += 1

    def section(title: str) -> None:
        nonlocal r
        r += 1
        line(title, font=SECTION_FONT)

    name = scheme.meta.get("name_zh" if zh else "name_en") or scheme.meta.get("id", "")
    line(f"{name} · {'考核周期' if zh else 'Period'} {period}", font=TITLE_FONT)
    results = "/".join(lay.sheet(k, lang) for k in ("scores", "deductions", "guide", "summary", "problems"))
    section("使用步骤" if zh else "How to use")
    inputs = "、".join(s.name(lang) for s in lay.inputs) if zh else ", ".join(s.name(lang) for s in lay.inputs)
    steps = [
        f"1. 在输入表（{inputs}）中按工号逐行填写本期数据；第 1 行为列名，第 2 行灰色小字为字段编号，请勿修改。" if zh else
        f"1. Fill the input sheets ({inputs}), one row per employee; row 1 holds labels, the grey row 2 holds field ids: leave it.",
        f"2. 需要调整指标、权重或阈值时，修改「{lay.sheet('config', lang)}」表。" if zh else
        f"2. To change indicators, weights or thresholds, edit the '{lay.sheet('config', lang)}' sheet.",
        "3. 点击「计算」按钮，或运行 kpi compute <文件名>。" if zh else "3. Click Compute, or run kpi compute <file>.",
        f"4. 查看结果表：{results}。" if zh else f"4. Read the result sheets: {results}.",
    ]
    for text in steps:
        line(text, wrap=False)
    section("输入表与数据来源" if zh else "Input sheets and data owners")
    line(*(("输入表", "数据提供方", "本表填写的列") if zh else ("Sheet", "Data owner", "Columns to fill")), font=bold,
         fill=HEAD_FILL)
    for sheet, fields in input_columns(scheme):
        own = ("、" if zh else ", ").join(f.name(lang) for f in fields if f.owner != "roster")
        line(sheet.name(lang), sheet.source_zh if zh else sheet.source_en, own)
    section("考核指标" if zh else "Indicators")
    line(*(("维度", "分组", "指标", "有效权重", "计分规则", "扣分项") if zh else
           ("Dimension", "Group", "Indicator", "Effective weight", "Rule", "Penalty")), font=bold, fill=HEAD_FILL)
    for ind in scheme.indicators:
        top, grp = scheme.top_group(ind.group), scheme.group(ind.group)
        line(top.name(lang), grp.name(lang) if grp.id != top.id else "", ind.name(lang),
             round(scheme.effective_weight[ind.id], 4), rule_words(ind, scheme, lang),
             ("是" if zh else "Yes") if ind.penalty else "")
        ws.cell(r - 1, 4).number_format = "0.00"
    line("", "", "合计" if zh else "Total", round(sum(scheme.effective_weight.values()), 4), font=bold)
    section("等级" if zh else "Grades")
    for i, (grade, lo) in enumerate(scheme.grades):
        last = i == len(scheme.grades) - 1
        line(grade, (f"总分 ≥ {num(lo)}" if zh else f"total ≥ {num(lo)}") if not last or lo > -1e8 else
             ("其余" if zh else "otherwise"))
    if scheme.flags:
        section("标记" if zh else "Flags")
        for f in scheme.flags:
            line(f.name(lang), formula_words(f.when, scheme, lang))
    section("电商运营七大职责（背景）" if zh else "The seven areas of e-commerce operations (context)")
    for area_zh, area_en, text_zh, text_en in AREAS:
        line(area_zh if zh else f"{area_en}（{area_zh}）", text_zh if zh else text_en)
    for letter, width in zip("ABCDEF", (20, 36, 30, 12, 70, 8)):
        ws.column_dimensions[letter].width = width
