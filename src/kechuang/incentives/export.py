"""Tables of awards for people: Excel sheets (the 免申即享 list apart) and the summary lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

import polars as pl

from .engine import STATUS_NAMES, Award, budget, by_item, text
from .model import PAYER_LEVELS

PAYOUT_NAMES = {None: "", "listed": "已生成名单", "confirmed": "企业已确认", "paid": "已拨付"}


def _region(code: str | None) -> str:
    from ..regions import name_of

    return name_of(code)


def line_rows(lines: Iterable[Award]) -> list[dict]:
    out = []
    for a in lines:
        out.append({
            "统一社会信用代码": a.uscc, "企业名称": a.name, "所属地区": _region(a.region_code),
            "政策": a.policy_key, "条目": a.item, "条目名称": a.item_name, "触发年度": a.event_year,
            "金额(万元)": a.amount, "最高额度": "是" if a.ceiling else "",
            "出资": "；".join(f"{PAYER_LEVELS[p['level']]} {_region(p['region_code'])} {text(p['amount'])}"
                             for p in a.payers),
            "状态": STATUS_NAMES[a.status], "原因": a.reason, "依据": a.cite, "兑现年度": a.payout_year,
            "兑现进度": PAYOUT_NAMES.get(a.payout_status, a.payout_status or ""), "演示": "演示" if a.demo else "",
        })
    return out


def budget_rows(lines: list[Award]) -> list[dict]:
    pay = {(r["payout_year"], r["level"], r["region_code"]): r for r in budget(lines)}
    app = {(r["payout_year"], r["level"], r["region_code"]): r for r in budget(lines, ("needs_application",))}
    rows = []
    for k in sorted(set(pay) | set(app)):
        rows.append({"兑现年度": k[0], "出资层级": PAYER_LEVELS[k[1]], "出资地区": _region(k[2]), "地区代码": k[2],
                     "免申即享(万元)": pay[k]["amount"] if k in pay else Decimal(0),
                     "须申报(万元，含最高额度)": app[k]["amount"] if k in app else Decimal(0)})
    return rows


def item_rows(lines: list[Award]) -> list[dict]:
    return [{"政策": r["policy"], "条目": r["item"], "条目名称": r["item_name"],
             "免申即享": "是" if r["no_application"] else "否", "应兑现(家)": r["payable"],
             "须申报(家)": r["needs_application"], "被就高替代(家)": r["superseded"], "不符合(家)": r["excluded"],
             "应兑现金额(万元)": r["payable_amount"], "须申报金额(万元)": r["application_amount"],
             "演示": "演示" if r["demo"] else ""} for r in by_item(lines)]


def _frame(rows: list[dict], empty: list[str]) -> pl.DataFrame:
    return pl.DataFrame(rows) if rows else pl.DataFrame({c: [] for c in empty})


def sheets(lines: list[Award]) -> dict[str, pl.DataFrame]:
    rows = line_rows(lines)
    cols = ["统一社会信用代码", "企业名称", "条目名称", "金额(万元)", "状态"]
    return {
        "免申即享名单": _frame([r for r, a in zip(rows, lines) if a.status == "payable"], cols),
        "须申报": _frame([r for r, a in zip(rows, lines) if a.status == "needs_application"], cols),
        "全部明细": _frame(rows, cols),
        "按条目": _frame(item_rows(lines), ["政策", "条目"]),
        "按出资方": _frame(budget_rows(lines), ["兑现年度", "出资层级"]),
    }
