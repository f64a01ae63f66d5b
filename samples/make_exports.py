"""Generate the sample platform exports: the quarter's days of every shop of the sample teams.

    python samples/make_exports.py            # writes samples/exports/
    python samples/make_exports.py OUT_DIR    # writes OUT_DIR
    python samples/make_exports.py --xls      # also remakes the one .xls with LibreOffice (soffice)

The numbers are the sample's own: each person's 2026-Q4 sales_actual, uv, pv and paid_orders in
metrics_2026Q4.csv are split over their shops (a shared shop by the shares in shop_owners.csv,
in whole units and whole cents) and over the 92 days of the quarter, so that ``kpi fill`` of
these files must give exactly the metrics file's values. What HR's downloads look like is
imitated: title rows above the header, a 合计/总计/汇总 row at the end, dates as text in three
forms, money as text with thousands separators in some files, a GBK CSV, a tab-less UTF-8 CSV,
one legacy .xls, one shop downloaded from the day before the quarter, and one shop nobody of the
sample owns (a company-wide JD download).

The .xls is not written by this script: no maintained library writes .xls. It is made from the
generated .xlsx of its shop by LibreOffice (``soffice --headless --convert-to xls``) and committed;
``--xls`` remakes it. The tests compare its cells with this script's rows.

Random draws come from their own generator (seed below): the metrics files are not touched.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent  # samples/
SEED = 20261001
FIRST, LAST = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
FIELDS = ("sales_actual", "uv", "pv", "paid_orders")  # the inputs the exports fill
PLATFORM = {"天猫一组": "tmall", "天猫二组": "tmall", "抖音组": "douyin", "京东与私域组": "jd"}
XLS_SHOP = "山岚天猫旗舰店"  # the shop whose download is the legacy .xls
GBK_SHOP = "青木天猫旗舰店"  # ... a GBK CSV
EARLY_SHOP = "禾风天猫旗舰店"  # ... downloaded from 2026-09-30: one day outside the period
TEXT_SHOP = "月白天猫旗舰店"  # ... with money written as text ("1,234.56")
UNOWNED_SHOP = "品牌京东自营旗舰店"  # in the JD download, run by nobody of the sample
SYCM_HEAD = ["统计日期", "访客数", "浏览量", "支付金额(元)", "支付买家数", "支付子订单数", "支付件数", "支付转化率", "客单价"]
JD_HEAD = ["日期", "店铺名称", "访客数", "浏览量", "成交金额", "成交客户数", "成交单量", "成交转化率", "客单价"]
DY_HEAD = ["日期", "店铺名称", "成交金额", "成交订单数", "成交人数", "商品访客数", "商品浏览量", "成交转化率"]


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def split_whole(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` whole units split by ``weights``: floors, then the largest remainders get one more."""
    raw = total * weights / weights.sum()
    base = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return base


def shop_totals(folder: Path = HERE) -> dict[str, dict[str, int]]:
    """shop -> field -> its quarter total, in whole units (money in cents), such that each person's
    parts (their own shops, and share × a shared shop) add up to their metrics value."""
    rng = np.random.default_rng(SEED)
    roster, metrics, owners = _read(folder, "roster.csv"), _read(folder, "metrics_2026Q4.csv"), _read(folder, "shop_owners.csv")
    values = metrics.set_index("employee_id")
    shares = {(r["店铺"], r["负责人工号"]): float(r["份额"]) for _, r in owners.iterrows()}
    shared = {shop for shop, _ in shares}
    totals: dict[str, dict[str, int]] = {}
    for shop in sorted(shared):  # a shared shop: a multiple of the shares' denominator, ~20% of the smaller owner
        pairs = [(e, s) for (sh, e), s in shares.items() if sh == shop]
        totals[shop] = {}
        for f in FIELDS:
            unit = 100 if f == "sales_actual" else 1
            room = min(float(values.at[e, f]) * unit / s for e, s in pairs)
            step = 10
            totals[shop][f] = int(room * 0.2 // step * step)
    for eid, shops in zip(roster.employee_id, roster.shops):
        own = [s for s in shops.split("、") if s and s not in shared]
        if not own:
            continue
        weights = rng.uniform(0.55, 1.0, len(own))
        for f in FIELDS:
            unit = 100 if f == "sales_actual" else 1
            total = round(float(values.at[eid, f]) * unit)
            total -= sum(round(totals[sh][f] * s) for (sh, e), s in shares.items() if e == eid)
            for shop, part in zip(own, split_whole(total, weights)):
                totals.setdefault(shop, {})[f] = int(part)
    totals[UNOWNED_SHOP] = {"sales_actual": 123_456_789, "uv": 98_765, "pv": 345_678, "paid_orders": 4_321}
    return totals


def daily_rows(folder: Path = HERE) -> dict[str, pd.DataFrame]:
    """shop -> its 92 days: date and every column the three platforms write (money in yuan)."""
    rng = np.random.default_rng(SEED + 1)
    out = {}
    weekday = np.array([1.25 if d.weekday() >= 5 else 1.0 for d in DAYS])
    promo = np.array([3.0 if (d.month, d.day) in ((11, 11), (12, 12)) else 1.6 if d.month == 11 and d.day <= 10 else 1.0
                      for d in DAYS])
    for shop, totals in shop_totals(folder).items():
        base = rng.gamma(6.0, 1.0, len(DAYS)) * weekday * promo
        cols = {f: split_whole(totals[f], base * rng.uniform(0.9, 1.1, len(DAYS))) for f in FIELDS}
        orders = cols["paid_orders"]
        buyers = np.maximum(orders - rng.binomial(np.maximum(orders, 0), 0.06), 0)
        items = orders + rng.binomial(np.maximum(orders, 0), 0.25)
        sales = cols["sales_actual"] / 100
        with np.errstate(divide="ignore", invalid="ignore"):
            conv = np.where(cols["uv"] > 0, buyers / cols["uv"], 0.0)
            aov = np.where(buyers > 0, sales / np.maximum(buyers, 1), 0.0)
        out[shop] = pd.DataFrame({"date": DAYS, "sales": sales, "uv": cols["uv"], "pv": cols["pv"], "orders": orders,
                                  "buyers": buyers, "items": items, "conversion": conv, "aov": aov})
    return out


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _sycm_rows(df: pd.DataFrame, text_money: bool) -> list[list]:
    rows = [[d.isoformat(), int(u), int(p), _money(s) if text_money else round(s, 2), int(b), int(o), int(i),
             f"{c:.2%}", round(a, 2)] for d, s, u, p, o, b, i, c, a in
            zip(df.date, df.sales, df.uv, df.pv, df.orders, df.buyers, df["items"], df.conversion, df.aov)]
    total = ["合计", int(df.uv.sum()), int(df.pv.sum()), _money(df.sales.sum()) if text_money else round(df.sales.sum(), 2),
             int(df.buyers.sum()), int(df.orders.sum()), int(df["items"].sum()), "-", "-"]
    return rows + [total]


def _early_day(rng: np.random.Generator) -> list:
    """2026-09-30: the day before the quarter, in a download whose range starts a day early."""
    return ["2026-09-30", int(rng.integers(500, 900)), int(rng.integers(1500, 3000)), round(float(rng.uniform(2e4, 5e4)), 2),
            int(rng.integers(10, 30)), int(rng.integers(12, 35)), int(rng.integers(15, 40)), "2.10%", 150.0]


def _title(shop: str, first: dt.date) -> list[list]:
    return [["店铺整体日报"], [f"店铺名称：{shop}"], [f"统计时间：{first.isoformat()} ~ {LAST.isoformat()}"], []]


def _xlsx(path: Path, rows: list[list]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in rows:
        ws.append(row)
    wb.properties.creator = "kpi samples"
    wb.properties.created = wb.properties.modified = dt.datetime(2026, 12, 31, 23, 0)
    wb.save(path)


def _csv(path: Path, rows: list[list], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)


def generate(out_dir: str | Path = HERE / "exports", folder: Path = HERE, xls: bool = False) -> list[Path]:
    """Write every export into ``out_dir`` (the .xls only with ``xls``); return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED + 2)
    roster = _read(folder, "roster.csv")
    days = daily_rows(folder)
    platform_of = {}
    for team, shops in zip(roster.team, roster.shops):
        for shop in filter(None, shops.split("、")):
            platform_of.setdefault(shop, "douyin" if "抖音" in shop else PLATFORM[team])
    platform_of[UNOWNED_SHOP] = "jd"
    paths: list[Path] = []
    tmall = sorted(s for s, p in platform_of.items() if p == "tmall")
    for i, shop in enumerate(tmall, 1):
        df = days[shop]
        rows = _sycm_rows(df, shop == TEXT_SHOP)
        first = FIRST
        if shop == EARLY_SHOP:
            rows, first = [_early_day(rng)] + rows, FIRST - dt.timedelta(days=1)
        grid = _title(shop, first) + [SYCM_HEAD] + rows
        name = f"生意参谋_店铺整体日报_{i:02d}"
        if shop == GBK_SHOP:
            paths.append(out / f"{name}.csv")
            _csv(paths[-1], grid, "gbk")
        elif shop == XLS_SHOP:
            if xls:
                paths.append(_make_xls(out / f"{name}.xls", grid))
        else:
            paths.append(out / f"{name}.xlsx")
            _xlsx(paths[-1], grid)
    jd = sorted(s for s, p in platform_of.items() if p == "jd")
    body = []
    for day_i, day in enumerate(DAYS):
        for shop in jd:
            r = days[shop].iloc[day_i]
            body.append([day.strftime("%Y%m%d"), shop, int(r.uv), int(r.pv), f"{r.sales:.2f}", int(r.buyers), int(r.orders),
                         f"{r.conversion:.2%}", f"{r.aov:.2f}"])
    total = ["总计", "", sum(int(days[s].uv.sum()) for s in jd), sum(int(days[s].pv.sum()) for s in jd),
             f"{sum(days[s].sales.sum() for s in jd):.2f}", "", sum(int(days[s].orders.sum()) for s in jd), "", ""]
    paths.append(out / "京东商智_经营概况_店铺明细_2026Q4.csv")
    _csv(paths[-1], [["京东商智-经营概况-店铺明细（2026-10-01 至 2026-12-31）"], JD_HEAD] + body + [total], "utf-8")
    douyin = sorted(s for s, p in platform_of.items() if p == "douyin")
    for month in (10, 11, 12):
        rows = []
        for shop in douyin:
            df = days[shop]
            for r in df[[d.month == month for d in df.date]].itertuples(index=False):
                rows.append([r.date.strftime("%Y/%m/%d"), shop, round(r.sales, 2), int(r.orders), int(r.buyers), int(r.uv),
                             int(r.pv), f"{r.conversion:.2%}"])
        rows.append(["汇总", "", round(sum(x[2] for x in rows), 2), sum(x[3] for x in rows), "", "", "", ""])
        paths.append(out / f"抖店罗盘_店铺数据_2026-{month:02d}.xlsx")
        _xlsx(paths[-1], [["电商罗盘-店铺数据"], [f"时间：2026-{month:02d}"], DY_HEAD] + rows)
    return paths


def _make_xls(path: Path, grid: list[list]) -> Path:
    """The .xls of ``grid``: written as .xlsx, converted by LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("--xls needs LibreOffice (soffice) on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / (path.stem + ".xlsx")
        _xlsx(src, grid)
        subprocess.run([soffice, "--headless", "--convert-to", "xls", "--outdir", tmp, str(src)], check=True,
                       capture_output=True, timeout=180)
        shutil.copyfile(Path(tmp) / (path.stem + ".xls"), path)
    return path


def xls_grid(folder: Path = HERE) -> list[list]:
    """The rows the .xls was made from (for the tests)."""
    days = daily_rows(folder)
    return _title(XLS_SHOP, FIRST) + [SYCM_HEAD] + _sycm_rows(days[XLS_SHOP], False)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--xls"]
    for p in generate(*(args[:1] or [HERE / "exports"]), xls="--xls" in sys.argv):
        print(p)
