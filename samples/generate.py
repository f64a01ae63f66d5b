"""Generate the sample data set: a roster and two quarters of KPI inputs for ~60 staff.

    python samples/generate.py            # writes into samples/
    python samples/generate.py OUT_DIR    # writes into OUT_DIR

Everything is drawn from one seeded generator, so the files come out byte-identical on
every run. Columns are the canonical input ids of shared/spec/scoring.md §2; the Q4 file
carries a few deliberate data problems (see DELIBERATE_PROBLEMS and the README it writes).

Only the standard library, numpy and pandas are used.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent  # samples/
SEED = 20261231
N_EMPLOYEES = 60
FIRST_ID = 1001
PREV, CURR = "2026-Q3", "2026-Q4"
SEASONAL_Q3, SEASONAL_Q4 = 1.1, 1.5  # default scheme's [seasonal]: Q4 targets = Q3 × 1.5 / 1.1

ROSTER_COLUMNS = ["employee_id", "name", "team", "category", "product_type"]  # and shops (see shop_plan)
PAY_BASE_RANGE = (4000, 12000)  # yuan per quarter, in steps of 500: roster.csv's pay_base (绩效基数)
# Spec §2, in its order.
METRIC_COLUMNS = ROSTER_COLUMNS + [
    "sales_target", "sales_actual", "prev_sales_achievement",
    "uv", "uv_prev", "natural_uv", "pv", "paid_orders", "silent_orders", "industry_conversion", "aov_prev",
    "repeat_buyers_90d", "paying_users", "new_customer_sales", "new_customer_share_target",
    "cogs", "inventory_begin", "inventory_end", "turnover_target", "slow_moving_skus", "total_skus",
    "promotion_cost", "after_sales_cost", "activity_overdue", "issue_overdue",
    "rating_design", "rating_cs", "rating_logistics", "resources_ready_rate",
    "proposals_approved", "knowledge_docs",
    "platform_violations", "severe_violations", "data_security_violations",
]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程苏魏吕丁沈任姚卢傅钟姜崔谭陆范汪廖石金贾夏韦付方邹熊白孟秦邱侯江尹薛")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯婷雪琳晨欣怡佳悦子涵雨轩博思梦琪嘉宁颖慧晓露俊峰海燕丹倩蕾瑶")

# team -> (platform, category weights apparel/3c/other)
TEAMS = {
    "天猫一组": ("tmall", (0.65, 0.05, 0.30)),
    "天猫二组": ("tmall", (0.25, 0.15, 0.60)),
    "抖音组": ("douyin", (0.50, 0.10, 0.40)),
    "京东与私域组": ("jd", (0.10, 0.65, 0.25)),
}
CATEGORIES = ("apparel", "3c", "other")
# share of fmcg by category ("other" = 美妆 (fmcg) and 家居 (durable))
FMCG_SHARE = {"apparel": 0.6, "3c": 0.1, "other": 0.5}
# industry average conversion by platform and category, Q3; Q4 (大促季) is 8% higher
INDUSTRY_Q3 = {
    "tmall": {"apparel": 0.028, "3c": 0.021, "other": 0.032},
    "douyin": {"apparel": 0.024, "3c": 0.020, "other": 0.027},
    "jd": {"apparel": 0.026, "3c": 0.025, "other": 0.030},
}
INDUSTRY_Q4_FACTOR = 1.08
AOV_RANGE = {"apparel": (120, 380), "3c": (400, 900), "other": (60, 260)}
COST_RATIO = {"apparel": (0.42, 0.55), "3c": (0.74, 0.84), "other": (0.50, 0.64)}  # cogs / sales
TURNOVER_MEAN = {"apparel": 3.9, "3c": 2.1, "other": 3.0}  # per quarter
SKU_RANGE = {"apparel": (150, 400), "3c": (40, 160), "other": (60, 300)}
AFTER_SALES_MEAN = {"apparel": 0.032, "3c": 0.019, "other": 0.024}


# The shops each person runs (fictitious names; no random draws, so the numbers above are unchanged):
# one shop each on the team's platform, a second shop for the first of the Tmall teams, two shared
# shops (shares in shop_owners.csv), and no shop for E1043 and the private-domain half of the JD team.
SHOP_WORDS = ("云锦 星禾 青木 山岚 禾风 月白 松间 拾光 未央 南枝 北辰 知夏 初见 望舒 长乐 清和 半山 凌霄 拂晓 听雨 "
              "竹溪 暖阳 白露 晴川 远山 橙意 小满 谷雨 霜降 立秋 春分 芒种 木槿 石榴 青禾 北辰二").split()
SHOP_NAME = {"tmall": "{}天猫旗舰店", "douyin": "{}抖音小店", "jd": "{}京东专营店"}
SECOND_SHOP = {"E1001": "星河天猫专卖店", "E1016": "晚风天猫专卖店"}
SHARED_SHOPS = {"合作天猫店·繁星": (("E1004", 0.6), ("E1005", 0.4)), "联营抖音直播间": (("E1031", 0.5), ("E1032", 0.5))}
NO_SHOP = {"E1043"} | {f"E{i}" for i in range(1054, 1061)}  # private domain (私域): no platform export


def shop_plan(roster: pd.DataFrame) -> dict[str, list[str]]:
    """employee id -> the shops they run, in the order the roster lists them."""
    plan: dict[str, list[str]] = {}
    for i, (eid, team) in enumerate(zip(roster.employee_id, roster.team)):
        shops = [] if eid in NO_SHOP else [SHOP_NAME[TEAMS[team][0]].format(SHOP_WORDS[i % len(SHOP_WORDS)])]
        shops += [SECOND_SHOP[eid]] if eid in SECOND_SHOP else []
        shops += [shop for shop, owners in SHARED_SHOPS.items() if eid in dict(owners)]
        plan[eid] = shops
    return plan


def _with_shops(df: pd.DataFrame, plan: dict[str, list[str]]) -> pd.DataFrame:
    out = df.copy()
    out.insert(out.columns.get_loc("product_type") + 1, "shops", ["、".join(plan[e]) for e in out.employee_id])
    return out


@dataclass(frozen=True)
class Problem:
    """One deliberate data problem in the Q4 file, and what the engine should report."""

    employee_id: str
    field: str
    value: object  # as written in the cell ("" = blank)
    code: str  # kpi_engine.problems code
    note_zh: str
    note_en: str


def _unique_names(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        surname = SURNAMES[rng.integers(len(SURNAMES))]
        size = 1 if rng.random() < 0.35 else 2
        given = "".join(GIVEN[i] for i in rng.choice(len(GIVEN), size=size, replace=False))
        name = surname + given
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _clip(x, lo, hi):
    return np.clip(x, lo, hi)


def _lift(rng: np.random.Generator, x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values below lo are redrawn just above it (no pile-up at the bound); cap at hi."""
    low = x < lo
    x = np.where(low, rng.uniform(lo, lo + 0.08, len(x)), x)
    return np.minimum(x, hi)


def _build(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[Problem], dict[str, list[str]]]:
    n = N_EMPLOYEES
    ids = [f"E{FIRST_ID + i}" for i in range(n)]
    names = _unique_names(rng, n)
    team_names = list(TEAMS)
    teams = [team_names[i * len(team_names) // n] for i in range(n)]  # 15 per team
    category = [CATEGORIES[rng.choice(3, p=TEAMS[t][1])] for t in teams]
    product_type = ["fmcg" if rng.random() < FMCG_SHARE[c] else "durable" for c in category]
    platform = [TEAMS[t][0] for t in teams]
    roster = pd.DataFrame({"employee_id": ids, "name": names, "team": teams,
                           "category": category, "product_type": product_type})

    fmcg = np.array(product_type) == "fmcg"
    ability = rng.normal(0, 1, n)

    # Special employees (by position, fixed by the seed): low achievers, violations, bad cells.
    order = rng.permutation(n)
    low = sorted(order[:3].tolist())
    severe, data_sec = int(order[3]), int(order[4])
    platform_q4 = sorted(order[5:8].tolist())
    platform_q3 = sorted(order[8:10].tolist())
    bad = order[10:16].tolist()
    ability[low] = rng.normal(-1.2, 0.3, len(low))

    # ---- sales: targets, achievement, AOV, orders, UV (Q3 UV kept in 60k–560k so Q4 stays under 800k)
    ind_q3 = np.array([INDUSTRY_Q3[p][c] for p, c in zip(platform, category)])
    ind_q4 = np.round(ind_q3 * INDUSTRY_Q4_FACTOR, 4)
    conv_q3 = _clip(ind_q3 * (1.04 + 0.14 * ability + rng.normal(0, 0.10, n)), 0.016, 0.058)
    ach_q2 = _clip(1.0 + 0.09 * ability + rng.normal(0, 0.07, n), 0.72, 1.30)
    ach_q3 = _lift(rng, 1.0 + 0.11 * ability + rng.normal(0, 0.07, n), 0.81, 1.30)
    ach_q4 = _lift(rng, 0.3 * ach_q3 + 0.7 * (1.01 + 0.09 * ability) + rng.normal(0, 0.06, n), 0.76, 1.32)
    ach_q3[low] = rng.uniform(0.66, 0.77, len(low))
    ach_q4[low] = rng.uniform(0.68, 0.78, len(low))
    target_q3 = np.zeros(n)
    aov_q3 = np.zeros(n)
    for i in range(n):
        lo, hi = AOV_RANGE[category[i]]
        while True:
            t = round(float(np.exp(rng.uniform(np.log(5e5), np.log(3.6e6)))), -4)
            a = float(rng.uniform(lo, hi))
            uv = t * ach_q3[i] / a / conv_q3[i]
            if 60_000 <= uv <= 560_000:
                target_q3[i], aov_q3[i] = t, a
                break
    sales_q3 = np.round(target_q3 * ach_q3)
    orders_q3 = np.round(sales_q3 / aov_q3)
    uv_q3 = np.round(orders_q3 / conv_q3)
    aov_q3 = sales_q3 / orders_q3  # the AOV as the engine computes it
    uv_g_q3 = _clip(rng.normal(0.06 + 0.05 * ability, 0.09, n), -0.10, 0.35)
    uv_q2 = np.round(uv_q3 / (1 + uv_g_q3))
    aov_q2 = np.round(aov_q3 / (1 + rng.normal(0.03 + 0.02 * ability, 0.04, n)), 2)

    target_q4 = np.round(target_q3 * SEASONAL_Q4 / SEASONAL_Q3 * rng.uniform(0.97, 1.03, n), -4)
    sales_q4 = np.round(target_q4 * ach_q4)
    aov_q4 = aov_q3 * (1 + rng.normal(0.035 + 0.025 * ability, 0.045, n))
    orders_q4 = np.round(sales_q4 / aov_q4)
    uv_g_q4 = _clip(rng.normal(0.18 + 0.07 * ability, 0.10, n), -0.10, 0.40)
    uv_q4 = np.round(uv_q3 * (1 + uv_g_q4))

    # ---- traffic quality
    def natural(uv):
        return np.round(uv * _clip(rng.normal(0.64 + 0.05 * ability, 0.07, n), 0.45, 0.80))

    def pv(uv):
        return np.round(uv * _clip(rng.normal(3.3 + 0.35 * ability, 0.45, n), 2.0, 5.0))

    def silent(orders):
        return np.round(orders * _clip(rng.normal(0.22 + 0.02 * ability, 0.035, n), 0.10, 0.35))

    # ---- users
    def users(orders, sales):
        per_user = np.where(fmcg, rng.uniform(1.15, 1.5, n), rng.uniform(1.02, 1.15, n))
        paying = np.round(orders / per_user)
        rep = np.where(fmcg, rng.normal(0.29, 0.05, n), rng.normal(0.20, 0.04, n)) + 0.02 * ability
        repeat = np.round(paying * _clip(rep, 0.10, 0.40))
        new_sales = np.round(sales * _clip(rng.normal(0.41 + 0.02 * ability, 0.06, n), 0.25, 0.55))
        return paying, repeat, new_sales

    # ---- inventory and costs
    cost_lo = np.array([COST_RATIO[c][0] for c in category])
    cost_hi = np.array([COST_RATIO[c][1] for c in category])
    turn_mean = np.array([TURNOVER_MEAN[c] for c in category])

    def cogs(sales):
        return np.round(sales * rng.uniform(cost_lo, cost_hi))

    def turnover():
        return _clip(turn_mean * (1 + 0.08 * ability + rng.normal(0, 0.14, n)), 1.5, 6.0)

    cogs_q3 = cogs(sales_q3)
    avg_q3 = cogs_q3 / turnover()
    inv_begin_q3 = np.round(avg_q3 * rng.uniform(0.88, 1.12, n), -2)
    inv_end_q3 = np.round(2 * avg_q3 - inv_begin_q3, -2)
    cogs_q4 = cogs(sales_q4)
    avg_q4 = cogs_q4 / turnover()
    inv_end_q4 = np.round(_clip(2 * avg_q4 - inv_end_q3, 0.7 * avg_q4, 1.3 * avg_q4), -2)

    sku_lo = np.array([SKU_RANGE[c][0] for c in category])
    sku_hi = np.array([SKU_RANGE[c][1] for c in category])
    skus_q3 = np.round(rng.uniform(sku_lo, sku_hi))
    skus_q4 = np.round(_clip(skus_q3 * rng.uniform(0.95, 1.12, n), 40, 400))

    def slow(skus):
        return np.floor(skus * _clip(rng.normal(0.05 - 0.015 * ability, 0.025, n), 0.0, 0.12))

    def promo(sales, extra):
        return np.round(sales * _clip(rng.normal(0.14 + extra - 0.012 * ability, 0.025, n), 0.08, 0.22))

    after_mean = np.array([AFTER_SALES_MEAN[c] for c in category])

    def after_sales(sales):
        return np.round(sales * _clip(rng.normal(after_mean - 0.002 * ability, 0.006), 0.01, 0.05))

    def overdue():
        return _clip(rng.poisson(np.exp(-0.5 - 0.45 * ability)), 0, 6)

    def rating():
        return np.round(_clip(rng.normal(8.1 + 0.45 * ability, 0.6, n), 6.0, 10.0), 1)

    def ready():
        return np.round(_clip(rng.normal(0.935 + 0.02 * ability, 0.035, n), 0.80, 1.0), 2)

    def proposals():
        return _clip(rng.poisson(np.exp(0.25 + 0.35 * ability)), 0, 4)

    def docs():
        return _clip(rng.poisson(np.exp(-0.5 + 0.3 * ability)), 0, 2)

    # Optional targets: blank for most rows, set for a few (the same in both quarters).
    turnover_target = np.full(n, np.nan)
    share_target = np.full(n, np.nan)
    opt = rng.permutation(n)
    for i in opt[:4]:
        turnover_target[i] = {"apparel": 3.5, "3c": 2.5, "other": 2.8}[category[i]]
    for i in opt[4:8]:
        share_target[i] = 0.35 if teams[i] == "京东与私域组" else 0.45

    def quarter(target, sales, prev_ach, uv, uv_prev, orders, ind, aov_prev, cogs_, inv_b, inv_e, skus, promo_extra):
        paying, repeat, new_sales = users(orders, sales)
        return pd.DataFrame({
            **roster.to_dict(orient="list"),
            "sales_target": target, "sales_actual": sales, "prev_sales_achievement": np.round(prev_ach, 4),
            "uv": uv, "uv_prev": uv_prev, "natural_uv": natural(uv), "pv": pv(uv),
            "paid_orders": orders, "silent_orders": silent(orders), "industry_conversion": ind,
            "aov_prev": aov_prev,
            "repeat_buyers_90d": repeat, "paying_users": paying, "new_customer_sales": new_sales,
            "new_customer_share_target": share_target,
            "cogs": cogs_, "inventory_begin": inv_b, "inventory_end": inv_e, "turnover_target": turnover_target,
            "slow_moving_skus": slow(skus), "total_skus": skus,
            "promotion_cost": promo(sales, promo_extra), "after_sales_cost": after_sales(sales),
            "activity_overdue": overdue(), "issue_overdue": overdue(),
            "rating_design": rating(), "rating_cs": rating(), "rating_logistics": rating(),
            "resources_ready_rate": ready(), "proposals_approved": proposals(), "knowledge_docs": docs(),
            "platform_violations": np.zeros(n), "severe_violations": np.zeros(n),
            "data_security_violations": np.zeros(n),
        })[METRIC_COLUMNS].astype(object)

    q3 = quarter(target_q3, sales_q3, ach_q2, uv_q3, uv_q2, orders_q3, ind_q3, aov_q2,
                 cogs_q3, inv_begin_q3, inv_end_q3, skus_q3, 0.0)
    q4 = quarter(target_q4, sales_q4, sales_q3 / target_q3, uv_q4, uv_q3, orders_q4, ind_q4, np.round(aov_q3, 2),
                 cogs_q4, inv_end_q3, inv_end_q4, skus_q4, 0.015)
    for i in platform_q3:
        q3.loc[i, "platform_violations"] = 1
    for i in platform_q4:
        q4.loc[i, "platform_violations"] = 1
    q4.loc[severe, "severe_violations"] = 1
    q4.loc[data_sec, "data_security_violations"] = 1
    q4.loc[order[16], "issue_overdue"] = 5  # one bad quarter of late issue handling

    # ---- deliberate problems in the Q4 file
    def at(i: int, fld: str):
        return q4.loc[i, fld]

    problems = [
        Problem(ids[bad[0]], "paying_users", "", "missing",
                "付费用户数漏填", "paying users left blank"),
        Problem(ids[bad[1]], "pv", "待补充", "not_a_number",
                "PV 填了文字“待补充”", "text “待补充” (to be filled in) in PV"),
        Problem(ids[bad[2]], "resources_ready_rate", round(float(at(bad[2], "resources_ready_rate")) * 100),
                "above_max", "资源到位率按百分数填写（应填小数）", "rate typed as a percent number instead of a fraction"),
        Problem(ids[bad[3]], "natural_uv", int(round(float(at(bad[3], "uv")) * 1.06)), "constraint",
                "自然流量UV 大于本期UV", "organic UV greater than UV"),
        Problem(ids[bad[4]], "activity_overdue", -1, "below_min",
                "超时次数为负数", "negative count"),
        Problem(ids[bad[5]], "rating_cs", 11, "above_max",
                "客服协作评分超出 10 分制", "rating above the 0–10 scale"),
    ]
    for p in problems:
        q4.loc[ids.index(p.employee_id), p.field] = p.value
    cast = {
        "low": [ids[i] for i in low],
        "severe": [ids[severe]],
        "data_security": [ids[data_sec]],
        "platform_q3": [ids[i] for i in platform_q3],
        "platform_q4": [ids[i] for i in platform_q4],
    }
    return roster, q3, q4, problems, cast


def _cell(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    x = float(value)
    if np.isnan(x):
        return ""
    if x.is_integer():
        return str(int(x))
    return repr(round(x, 6))


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(df.columns)
        for row in df.itertuples(index=False):
            w.writerow([_cell(v) for v in row])


def _readme(roster: pd.DataFrame, problems: list[Problem], cast: dict[str, list[str]]) -> str:
    names = dict(zip(roster.employee_id, roster.name))

    def who(key: str) -> str:
        return "、".join(f"{e} {names[e]}" for e in cast[key])

    teams = roster.team.value_counts().reindex(list(TEAMS))
    cats = roster.category.value_counts().reindex(list(CATEGORIES))
    lines = [
        "# 示例数据 / Sample data",
        "",
        "虚构的电商运营团队（生成数据，非真实人员）：{} 名运营，{}。".format(
            len(roster), "、".join(f"{t} {c} 人" for t, c in teams.items())),
        "品类 category：{}（`other` 为美妆、家居等）；商品类型 product_type：`fmcg` 快消品 / `durable` 耐用品。".format(
            "、".join(f"`{c}` {k} 人" for c, k in cats.items())),
        "",
        "Generated, fictitious data for about 60 operations staff in four teams, two quarters.",
        "",
        "| 文件 file | 内容 |",
        "|---|---|",
        "| `roster.csv` | 员工名册：employee_id, name, team, category, product_type, shops（店铺，多个用 、 分隔）, pay_base（绩效基数，元/季度，`kpi new` 填入「校准」表） |",
        "| `shop_owners.csv` | 多人共管店铺的份额（店铺、负责人工号、份额），`kpi demo` 写入「店铺归属」表 |",
        "| `exports/` | 三个平台的导出文件（生意参谋、京东商智、抖店罗盘，按店铺按日），由 `make_exports.py` 生成，见 `exports/README.md` |",
        f"| `metrics_2026Q3.csv` | 上一期 {PREV} 的全部输入列（spec §2 的规范列名），数据干净 |",
        f"| `metrics_2026Q4.csv` | 本期 {CURR} 的全部输入列，含下列故意制造的数据问题 |",
        "| `generate.py` | 生成脚本（固定随机种子，可重复生成，输出逐字节一致） |",
        "",
        "CSV 为 UTF-8 带 BOM（utf-8-sig），Excel 直接打开中文不乱码。金额单位元，比率为小数（0.92 = 92%）。",
        "",
        "## 生成 / Regenerate",
        "",
        "```bash",
        ".venv/bin/python samples/generate.py            # 写入 samples/",
        ".venv/bin/python samples/generate.py /tmp/out   # 写入其他目录",
        "```",
        "",
        f"随机种子 {SEED}；只用标准库、numpy、pandas。`tests/test_samples.py` 检查重新生成的文件与仓库中的一致，",
        "并用 `kpi_engine.score` 对 Q4 文件评分，核对下列问题都被报告。",
        "",
        "## 数据的来龙去脉 / How the numbers hang together",
        "",
        "- 每人一个潜在“能力”值，带动达成率、转化率、UV 增长、评分等，使指标之间有合理相关。",
        "- Q3 季度销售目标 50–360 万元；Q4 目标 = Q3 × 1.5 / 1.1（方案的季节系数）× 0.97–1.03。",
        "  达成率多在 0.75–1.3；{} 两个季度都低于 80%（Q4 出现“需复盘策略”标记 sales_review）。".format(who("low")),
        "- Q4 的 `uv_prev` = Q3 的 `uv`，`aov_prev` = Q3 的 sales_actual / paid_orders，",
        "  `prev_sales_achievement` = Q3 达成率，`inventory_begin` = Q3 的 `inventory_end`。",
        "  Q3 的上期值（Q2）同样是生成的。",
        "- 转化率围绕行业均值（按平台与品类，2–4%，Q4 大促季高 8%）；客单价按品类（服装 120–380、3C 400–900、其他 60–260 元）。",
        "- `turnover_target`、`new_customer_share_target` 大多留空（取默认值），少数几人填写。",
        "- 违规很少：Q3 {} 各 1 次平台违规；Q4 {} 各 1 次平台违规，{} 1 次严重违规，{} 1 次数据安全违规。".format(
            who("platform_q3"), who("platform_q4"), who("severe"), who("data_security")),
        "",
        f"## 故意的数据问题（仅 {CURR} 文件）/ Deliberate problems in the Q4 file",
        "",
        "用来让校验页有内容可看；其余员工的数据是干净的，照常计分。",
        "",
        "| 工号 | 姓名 | 列 field | 填写的值 | 问题 | 引擎报告的 code |",
        "|---|---|---|---|---|---|",
    ]
    for p in problems:
        shown = "（空）" if p.value == "" else str(p.value)
        lines.append(f"| {p.employee_id} | {names[p.employee_id]} | `{p.field}` | {shown} | {p.note_zh} ({p.note_en}) | `{p.code}` |")
    lines.append("")
    return "\n".join(lines)


def generate(out_dir: str | Path = HERE) -> list[Path]:
    """Write roster, both metrics files, README.md and shop_owners.csv into out_dir; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    roster, q3, q4, problems, cast = _build(np.random.default_rng(SEED))
    plan = shop_plan(roster)
    paths = [out / "roster.csv", out / "metrics_2026Q3.csv", out / "metrics_2026Q4.csv", out / "README.md",
             out / "shop_owners.csv"]
    _write_csv(_with_pay_base(_with_shops(roster, plan)), paths[0])
    _write_csv(_with_shops(q3, plan), paths[1])
    _write_csv(_with_shops(q4, plan), paths[2])
    paths[3].write_text(_readme(roster, problems, cast), encoding="utf-8", newline="\n")
    owners = pd.DataFrame([(shop, eid, share) for shop, pairs in SHARED_SHOPS.items() for eid, share in pairs],
                          columns=["店铺", "负责人工号", "份额"])
    _write_csv(owners, paths[4])
    return paths


def _with_pay_base(roster: pd.DataFrame) -> pd.DataFrame:
    """The roster with a pay base per person, drawn from a generator of its own so that every other
    sample value stays as it was (it goes to HR's 校准 sheet, not to the metrics files)."""
    rng = np.random.default_rng(SEED + 1)
    lo, hi = PAY_BASE_RANGE
    return roster.assign(pay_base=rng.integers(lo // 500, hi // 500 + 1, len(roster)) * 500)


def deliberate_problems() -> list[Problem]:
    """The Q4 file's deliberate problems (for tests)."""
    return _build(np.random.default_rng(SEED))[3]


if __name__ == "__main__":
    for path in generate(*sys.argv[1:2]):
        print(path)
