"""The scheme sheet (指标配置): its tables, their columns and the kinds of their cells.

The sheet holds stacked tables. Each starts with a title row whose column A is a marker
(``#groups``, ``#indicators``, …), then a label row for people and a machine row of field ids
(small grey font): reading uses only markers and ids, never labels. Cells that hold structure
(params, gate, choices) use the short text syntax of :mod:`.scheme_syntax`. Written by
:mod:`kpi_workbook.sheets.scheme_sheet`, read by :mod:`.scheme_reader`.

``TABLES`` is the registry of the sheet's tables: a new scheme section adds its entry here. The
indicators table is one block per indicator: the indicator's row carries its first deduction
rule (the ``check.*`` columns), and rows below it with only those columns carry more; books
written before that layout have a ``#checks`` table instead (``LEGACY_TABLES``, read, never written).
"""

from __future__ import annotations

T, N, B, F, P, G, C, L = "text", "num", "bool", "formula", "params", "gate", "choices", "list"  # column kinds
SPARE_ROWS = 3  # empty rows under each table for HR to add to

# key -> (title zh, title en, ("field:label zh:label en[:kind]", …), note zh, note en); kinds above
TABLES: dict[str, tuple[str, str, tuple[str, ...], str, str]] = {
    "meta": ("方案信息", "Scheme", ("key:项目:Key", "value:内容:Value"), "", ""),
    "groups": ("分组", "Groups", ("id:编号:ID", "name_zh:名称:Name (zh)", "name_en:英文名称:Name (en)", "weight:权重:Weight:num",
                                  "parent:上级分组:Parent"),
               "上级分组为空即顶层维度（合计应为 100）；下级权重合计与上级不符时按比例缩放，并给出提示。",
               "A blank parent is a top-level group (they should add up to 100); children are scaled to the parent's weight."),
    "indicators": ("指标", "Indicators", (
        "name_zh:名称:Name (zh)", "id:编号:ID", "group:分组:Group", "weight:权重:Weight:num", "rule:规则:Rule",
        "check.metric:考核值公式:Checked value:formula", "check.target:目标:Target:formula",
        "check.direction:方向:Direction", "check.gap:差距口径:Gap", "check.step:每档:Step:num",
        "check.points:每档扣分:Points per step:num", "check.rounding:取整:Rounding", "check.unit:单位:Unit",
        "check.label_zh:规则名称:Check name (zh)", "penalty:扣分项:Penalty:bool", "metric:指标公式:Metric:formula",
        "unit:指标单位:Metric unit", "params:参数:Parameters:params", "gate:门槛:Gate:gate", "advice_zh:建议:Advice (zh)",
        "name_en:英文名称:Name (en)", "check.label_en:英文规则名称:Check name (en)", "advice_en:英文建议:Advice (en)"),
        "每个指标一块：第一行写指标，它的扣分规则写在同一行右侧（考核值公式、目标、方向、差距口径、每档、每档扣分）；"
        "一个指标有多条扣分规则时，在它下方插入一行，只填扣分规则各列，扣分相加。编号可留空（以名称为编号）；"
        "分组写名称或编号；公式中的列写名称或编号（如 支付订单数 / 本期UV）；数字可写百分数（如 12%）。"
        "规则：扣分 / 分段 / 比值 / 按项计分 / 超时 / 按次扣分。方向：低于（低于目标扣分）/ 高于；差距口径：百分点 / 相对（目标值的百分比）；"
        "取整：整档 / 进一（不足一档按一档）/ 按比例。扣分项为「是」时扣分可超过权重。单位：% 百分比，x 倍数，pt 分，空=数量。"
        "参数（分段等规则用）：键=值，用 ; 分隔，如 each=3; expected_per_quarter=2；分段 bands=120%:120, 80%:x100; below=0"
        "（下限:得分，x100 表示 得分=100×指标值）；按次 counts=平台违规次数:10, 严重违规次数:50。门槛：公式 >= 数值; unit=%; label_zh=…。",
        "One block per indicator: its first row is the indicator, its deduction rule on the same row to the right "
        "(checked value, target, direction, gap, step, points per step); for more rules insert rows below it and fill only "
        "the rule columns (they add up). A blank ID takes the name. Group by name or ID; columns in formulas by name or ID "
        "(Paid orders / UV); numbers may be percentages (12%). Rules: deduct / bands / ratio / per_item / overdue / "
        "weighted_count. Direction below/above; gap points or relative (% of the target); rounding floor, ceil or linear. "
        "Penalty = Yes: deductions may exceed the weight. Units: % percent, x ratio, pt points, blank = count. Parameters: "
        "key=value separated by ;, e.g. each=3; bands=120%:120, 80%:x100; below=0; counts=Platform violations:10. "
        "Gate: formula >= number; unit=%; label_en=…."),
    "lookups": ("查找表", "Lookups", ("table:表名:Table", "key:键:Key", "value:值:Value:num"),
                "公式 lookup(列, '表名') 按该列的值取数；键 * 表示其他所有值。",
                "lookup(column, 'table') in a formula takes the value for the row's value of the column; key * = any other."),
    "grades": ("等级", "Grades", ("grade:等级:Grade", "min:总分下限:Minimum total:num"),
               "从高到低排列：总分 ≥ 下限即为该等级。", "Highest first: a total at or above the minimum gets the grade."),
    "flags": ("标记", "Flags", ("id:编号:ID", "name_zh:名称:Name (zh)", "name_en:英文名称:Name (en)", "when:条件:When:formula"),
              "条件公式成立时标记该员工。", "The employee is flagged when the condition holds."),
    "seasonal": ("季节系数", "Seasonal factors", ("period:季度:Quarter", "factor:系数:Factor:num"),
                 "下期目标 = 本期目标 × 下期系数 ÷ 本期系数。", "Next targets = this period's × factor(next) / factor(this)."),
    "inputs": ("输入列", "Inputs", (
        "id:编号:ID", "name_zh:名称:Name (zh)", "name_en:英文名称:Name (en)", "kind:类型:Kind", "owner:数据表:Owner",
        "required:必填:Required:bool", "positive:须大于0:Positive:bool", "min:最小值:Min:num", "max:最大值:Max:num",
        "choices:选项:Choices:choices", "open_choice:允许其他值:Open choice:bool", "carry:结转公式:Carry:formula"),
        "类型：text 文本 / choice 选项 / money 金额 / count 个数 / rate 比率(0.85=85%) / rating 评分 / number 数值。"
        "数据表：roster 为花名册列（每张表都有）。选项：编号=别名|别名，用 ; 分隔，如 apparel=服装|Apparel; 3c=3C|数码。"
        "结转公式：下一期自动带入的值。",
        "Kinds: text / choice / money / count / rate (0.85 = 85%) / rating / number. Owner roster = on every sheet. "
        "Choices: id=alias|alias separated by ;, e.g. apparel=服装|Apparel; 3c=3C. Carry: the value taken to the next period."),
    "constraints": ("校验关系", "Constraints", ("check:关系:Check:formula", "field:报告字段:Field",
                                             "expected_zh:要求:Expected (zh)", "expected_en:英文要求:Expected (en)"),
                    "关系不成立时在「报告字段」的单元格报告。", "When the relation fails, the field's cell is reported."),
    "sources": ("导出数据列", "Export columns", (
        "field:字段:Field", "platform:平台:Platform", "headers:表头名称:Headers:list", "use:用法:Use", "input:写入输入列:Input",
        "formula:重算公式:Formula:formula", "note_zh:口径说明:Note (zh)", "note_en:英文口径说明:Note (en)"),
        "kpi fill 导入平台导出文件时按此表识别列：表头名称可写多个，用 | 分隔（比较时忽略空格、全角括号和单位后缀，如「支付金额（元）」）。"
        "用法：sum 按日、按店铺相加 / recompute 比率或平均值，按重算公式由相加后的字段计算 / ignore 识别但不使用（比率、平均值不能相加）"
        " / date 日期列 / shop 店铺列。写入输入列为空 = 只识别不写入。同一文件中两列写入同一输入列时，用表中靠前的一列。"
        "换用其他 BI 工具时在此加一行即可。",
        "kpi fill reads the platforms' exports by this table: several header names separated by | (compared without "
        "spaces, full-width brackets and unit suffixes such as (元)). Use: sum over days and shops / recompute a rate or "
        "average from the summed fields by the formula / ignore (rates and averages cannot be summed) / date / shop. "
        "A blank input = recognised, not written. When two columns of one file fill one input, the earlier line wins. "
        "Another BI tool: add a line here."),
    # optional: scorecards (kpi report) and the year's view (kpi rollup); docs/report-and-rollup.md
    "report": ("报告与年度设置", "Reports and the year", ("key:设置项:Setting", "value:数值:Value:num"),
               "appeal_days：申诉期限，考核期结束后的天数，印在个人报告上（删去此行则不印）；"
               "trend_change：年度趋势，末期总分比首期高（低）至少这么多分为上升（下降），否则为持平。",
               "appeal_days: the appeal deadline, days after the period's end, printed on each scorecard (no row: none); "
               "trend_change: the year's trend is rising (falling) when the last period's total is at least this many "
               "points above (below) the first's, else steady."),
    "period_weights": ("年度权重", "Period weights", ("key:期间:Period", "weight:权重:Weight:num"),
                       "年度总分中各期的权重，期间写 Q1–Q4、H1–H2 或月份 01–12；"
                       "未列出的期间按月数计权（一个季度为 1，一个月为 1/3，四个季度权重相同）。"
                       "缺少某期的人按其余各期计算，权重按比例放大，并标记。",
                       "Each period's weight in the annual total, by Q1–Q4, H1–H2 or month 01–12; a period not listed "
                       "weighs by its months, a quarter 1 (four quarters weigh the same). A person missing a period is scored on the "
                       "others, their weights scaled up, and flagged."),
    "rollup_flags": ("年度标记", "Flags across periods", (
        "id:编号:ID", "name_zh:名称:Name (zh)", "name_en:英文名称:Name (en)", "when:条件:When:formula",
        "periods:连续期数:Periods:num"),
        "条件是某一期输入数据的公式；连续成立的期数达到「连续期数」时，在年度汇总中标记该员工。",
        "The condition is a formula over one period's inputs; the employee is flagged in the year's view when it "
        "holds in that many consecutive periods."),
}


# Tables the reader still knows from books written before the indicators table held its rules:
# one row per deduction rule, keyed by the indicator's id, under the indicators (never written now).
LEGACY_TABLES: dict[str, tuple[str, str, tuple[str, ...], str, str]] = {
    "checks": ("扣分规则", "Checks", (
        "indicator:指标编号:Indicator", "metric:指标公式:Metric:formula", "target:目标:Target:formula",
        "direction:方向:Direction", "gap:差距口径:Gap", "step:每档:Step:num", "points:每档扣分:Points:num",
        "rounding:取整:Rounding", "unit:单位:Unit", "label_zh:名称:Label (zh)", "label_en:英文名称:Label (en)"), "", ""),
}
CHECK_PREFIX = "check."  # the indicators table's columns of a deduction rule (the legacy checks' fields)

# fields whose cells take a word of a vocabulary (id, or its word in either language: catalog
# scheme_sheet.<field>_<id>); the writer writes the book language's word
VOCABULARIES = {"rule": ("bands", "ratio", "per_item", "deduct", "overdue", "weighted_count"),
                "direction": ("below", "above"), "gap": ("points", "relative"), "rounding": ("floor", "ceil", "linear"),
                "kind": ("text", "choice", "money", "count", "rate", "rating", "number")}


def spec(key: str) -> tuple[str, str, tuple[str, ...], str, str]:
    """A table's entry (title zh, title en, columns, note zh, note en): TABLES or LEGACY_TABLES."""
    return TABLES[key] if key in TABLES else LEGACY_TABLES[key]


def columns(key: str) -> list[tuple[str, str, str, str]]:
    """(field id, label zh, label en, kind) of a table's columns."""
    return [tuple((col + ":text").split(":")[:4]) for col in spec(key)[2]]  # type: ignore[misc]


TRUE_WORDS, FALSE_WORDS = {"是", "yes", "y", "true", "1", "√"}, {"否", "no", "n", "false", "0", ""}

