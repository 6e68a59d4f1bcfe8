"""Every enterprise's awards for a region and year: triggers, conditions, amounts (exact Decimal
万元), payers by region level, stacking (就高不重复, cumulative caps, not funded before), the
budget by payer and payout year, and the cost of a policy change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

import polars as pl

from ..programs import expr as E
from .facts import TRIGGERS, FactsEnv, events
from .model import PAYER_LEVELS, STACK_RULES, Formula, Item, Policy, all_policies

CENT = Decimal("0.0001")  # 1 元 in 万元
LIVE = ("payable", "needs_application")
STATUS_NAMES = {"payable": "免申即享·应兑现", "needs_application": "须申报", "superseded": "已被就高替代",
                "excluded": "不符合"}


def q(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def text(x: Decimal) -> str:
    """Exact decimal text without trailing zeros (contract: amount as exact decimal text)."""
    s = format(q(x).normalize(), "f")
    return "0" if s in ("-0", "") else s


@dataclass
class Award:
    uscc: str
    name: str
    region_code: str
    policy: str
    version: str
    item: str
    item_name: str
    event_year: int
    event_date: dt.date
    amount: Decimal
    ceiling: bool
    payers: list[dict]
    status: str
    reason: str
    cite: str
    payout_year: int
    no_application: bool
    group: str
    demo: bool = False
    checks: list[dict] = field(default_factory=list)  # each condition: text, result, cite
    superseded_by: str = ""
    payout_status: str | None = None

    @property
    def policy_key(self) -> str:
        return f"{self.policy}-{self.version}"

    @property
    def ref(self) -> str:
        return f"{self.policy}/{self.item}"

    def as_json(self) -> dict:
        """The contract's keys (docs/contracts.md §8.1) in order, then the extensions."""
        return {
            "uscc": self.uscc, "policy": self.policy_key, "item": self.item, "item_name": self.item_name,
            "amount": text(self.amount), "ceiling": self.ceiling,
            "payers": [{"level": p["level"], "region_code": p["region_code"], "amount": text(p["amount"])}
                       for p in self.payers],
            "status": self.status, "reason": self.reason, "cite": self.cite, "payout_year": self.payout_year,
            "event_year": self.event_year, "no_application": self.no_application, "demo": self.demo,
            "payout_status": self.payout_status,
        }


def payer_region(code: str | None, level: str, fallback: str) -> str:
    """The region paying at ``level`` for an enterprise in ``code``: itself or its ancestor at
    that level; for 区县级, a zone when the enterprise sits in a zone under the city; else the
    policy's region."""
    from ..regions import registry

    reg = registry()
    if code and reg.get(code) is not None:
        chain = [reg.get(code), *reversed(reg.ancestors(code))]
        for r in chain:
            if r.level == level:
                return r.code
        if level == "county":  # a zone directly under the city pays what a district pays
            for r in chain:
                if r.level == "zone":
                    return r.code
    return fallback


def _trigger_filter(it: Item) -> pl.Expr:
    t = it.trigger
    if t == "registration":
        return pl.col("event") == "registration"
    if t == "rd_increase":
        return pl.col("event") == "rd"
    cond = (pl.col("event") == "cert") & pl.col("cert_type").is_in(list(it.cert_types))
    if t == "first_recognition":
        return cond & (pl.col("prior_count") == 0)
    if t == "re_recognition":
        return cond & (pl.col("prior_count") > 0)
    return cond


def _band_amount(x: float, f: Formula) -> Decimal | None:
    for band, amount in f.bands:
        lo_ok = x > band.lo or (band.lo_incl and x >= band.lo)
        hi_ok = x < band.hi or (band.hi_incl and x <= band.hi)
        if lo_ok and hi_ok:
            return amount
    return None


def _dec(x) -> Decimal | None:
    return None if x is None else Decimal(str(round(float(x), 4)))


def _evaluate_item(p: Policy, it: Item, ev: pl.DataFrame) -> list[Award]:
    """Lines of one item before stacking (match parts are filled in later)."""
    rows = ev.filter(_trigger_filter(it) & (pl.col("event_date") >= p.effective_from)
                     & (pl.col("event_date") <= (p.effective_to or dt.date(9999, 12, 31))))
    if not rows.height:
        return []
    c = E.Compiler(FactsEnv())
    cols = []
    for i, cond in enumerate(it.conditions):
        cols.append(c.compile(cond.node).lo.alias(f"_c{i}"))
    bases = {}
    for j, f in enumerate(it.parts):
        if f.base is not None:
            bases[j] = f"_b{j}"
            cols.append(c.compile(f.base).lo.cast(pl.Float64).alias(f"_b{j}"))
    rows = rows.with_columns(cols) if cols else rows
    out = []
    for r in rows.iter_rows(named=True):
        checks = [{"id": cond.id, "text": cond.text, "cite": cond.cite, "result": r[f"_c{i}"],
                   "exclusion": cond.exclusion} for i, cond in enumerate(it.conditions)]
        amount, payers, missing = Decimal(0), [], []
        split_total = None
        for j, f in enumerate(it.parts):
            if f.share is not None and split_total is not None:
                part = split_total
            elif f.kind in ("fixed", "ceiling"):
                part = f.value
            elif f.kind == "ratio":
                base = _dec(r[bases[j]])
                if base is None:
                    missing.append("金额计算基数")
                    part = Decimal(0)
                else:
                    part = q(f.ratio * max(base, Decimal(0)))
                    if f.cap is not None:
                        part = min(part, f.cap)
            elif f.kind == "bands":
                x = r[bases[j]]
                if x is None:
                    missing.append("分档依据")
                    part = Decimal(0)
                else:
                    part = _band_amount(float(x), f) or Decimal(0)
            else:  # match: filled in after every other item is known
                part = Decimal(0)
            if f.share is not None:
                split_total = part
                part = q(part * f.share)
            payers.append({"level": f.payer, "region_code": payer_region(r["region_code"], f.payer, p.region),
                           "amount": part, "formula": f})
        if split_total is not None:  # shares of a split: the last absorbs rounding, lines reconcile
            payers[-1]["amount"] = split_total - sum((x["amount"] for x in payers[:-1]), Decimal(0))
        amount = sum((x["amount"] for x in payers), Decimal(0))
        a = Award(uscc=r["uscc"], name=r.get("name") or "", region_code=r["region_code"] or "",
                  policy=p.id, version=p.version, item=it.id, item_name=it.name,
                  event_year=int(r["event_year"]), event_date=r["event_date"], amount=amount,
                  ceiling=it.ceiling, payers=payers, status="", reason="", cite=it.cite,
                  payout_year=int(r["event_year"]) + it.payout_offset, no_application=it.no_application,
                  group=it.group, demo=it.demo or p.demo, checks=checks)
        failed = [x for x in checks if x["result"] is False]
        unknown = [x for x in checks if x["result"] is None]
        trig = TRIGGERS[it.trigger]
        if failed:
            a.status = "excluded"
            a.reason = "；".join(("排除情形：" if x["exclusion"] else "不符合：") + x["text"] for x in failed)
        elif unknown or missing:
            a.status = "needs_application"
            a.reason = "数据缺失，无法自动核定：" + "、".join([x["text"] for x in unknown] + missing) + "；须企业申报或补充台账"
        elif it.no_application:
            a.status = "payable"
            a.reason = f"{trig}，{'、'.join(x['text'] for x in checks) or '无其他条件'}均符合；免申即享，{a.payout_year} 年兑现"
        else:
            a.status = "needs_application"
            a.reason = f"{trig}，条件符合；该条目未列入免申即享，须企业申报"
        if a.status in LIVE and amount == 0 and not missing and not any(f.kind == "match" for f in it.parts):
            a.status = "excluded"
            a.reason = "按政策计算的金额为 0（增加额为零或不在任何分档内）"
        if a.status in LIVE and it.ceiling:
            a.reason += "；金额为“最高”额度，实际以核定为准"
        a._item = it  # type: ignore[attr-defined]
        out.append(a)
    return out


def _fill_matches(lines: list[Award]) -> None:
    by_ref = {}
    for a in lines:
        if a.status in LIVE:
            by_ref[(a.uscc, a.event_year, a.ref)] = a
    for a in lines:
        changed = False
        for p in a.payers:
            f = p["formula"]
            if f.kind != "match":
                continue
            src = by_ref.get((a.uscc, a.event_year, f.match))
            part = q(f.ratio * src.amount) if src else Decimal(0)
            if f.cap is not None:
                part = min(part, f.cap)
            p["amount"] = part
            changed = True
        if changed:
            a.amount = sum((p["amount"] for p in a.payers), Decimal(0))
            if a.amount == 0 and a.status in LIVE:
                a.status = "excluded"
                a.reason = "没有可配套的上级资金"


def _apply_once(lines: list[Award], history: list[dict]) -> None:
    """Not funded before: an item (or its group) pays an enterprise at most ``times`` times."""
    for a in lines:
        it: Item = a._item  # type: ignore[attr-defined]
        if not it.once or a.status not in LIVE:
            continue
        prior = [h for h in history if h["uscc"] == a.uscc and h["policy"] == a.policy
                 and h.get("status") != "cancelled" and int(h["event_year"]) < a.event_year
                 and (h["item"] == a.item if it.once == "item" else h.get("group") == a.group)]
        if len(prior) >= it.times:
            years = "、".join(sorted({str(h["event_year"]) for h in prior}))
            a.status = "excluded"
            a.reason = (f"已于 {years} 年度获得本政策同类奖励（累计 {len(prior)} 次，上限 {it.times} 次），不重复奖励")


def _apply_highest(lines: list[Award]) -> None:
    """就高不重复: within an enterprise, event year and group, the highest amount stays."""
    groups: dict[tuple, list[Award]] = {}
    for a in lines:
        if a.status in LIVE and a._item.rule == "highest":  # type: ignore[attr-defined]
            groups.setdefault((a.uscc, a.event_year, a.group), []).append(a)
    for members in groups.values():
        if len(members) < 2:
            continue
        best = max(members, key=lambda x: x.amount)  # the first of equals keeps it (policy order)
        for a in members:
            if a is not best:
                a.status = "superseded"
                a.superseded_by = f"{best.policy_key}/{best.item}"
                a.reason = (f"与“{best.item_name}”（{text(best.amount)} 万元）同属一组，"
                            f"{STACK_RULES['highest']}，按较高者兑现")


def _apply_caps(lines: list[Award], history: list[dict]) -> None:
    """Cumulative caps of a group, money of every level (and earlier years) included."""
    done: set[int] = set()  # capped lines already cut count with their cut amount
    for a in lines:
        it: Item = a._item  # type: ignore[attr-defined]
        if it.cap is None or a.status not in LIVE:
            continue
        others = sum((b.amount for b in lines if b is not a and b.uscc == a.uscc and b.group == a.group
                      and b.status in LIVE and (b._item.cap is None or id(b) in done)),  # type: ignore[attr-defined]
                     Decimal(0))
        done.add(id(a))
        others += sum((Decimal(str(h["amount"])) for h in history if h["uscc"] == a.uscc
                       and h.get("group") == a.group and h.get("status") != "cancelled"
                       and int(h["event_year"]) < a.event_year), Decimal(0))
        room = max(it.cap - others, Decimal(0))
        if a.amount > room:
            cut = a.amount - room
            a.reason += f"；同组累计不超过 {text(it.cap)} 万元（含其他层级及往年 {text(others)} 万元），核减 {text(cut)} 万元"
            # cut the parts from the last payer back
            for p in reversed(a.payers):
                take = min(p["amount"], cut)
                p["amount"] -= take
                cut -= take
            a.amount = room
            if room == 0:
                a.status = "excluded"


def compute(frames: dict[str, pl.DataFrame], year: int, region: str | None = None,
            policies: Iterable[Policy] | None = None, history: list[dict] | None = None) -> list[Award]:
    """Awards triggered in ``year`` for the enterprises in ``frames`` (within ``region``)."""
    from ..regions import registry

    reg = registry()
    policies = list(all_policies() if policies is None else policies)
    history = history or []
    ev = events(frames, year)
    if region:
        ev = ev.filter(pl.col("region_code").is_in(sorted(reg.subtree_codes(region))))
    lines: list[Award] = []
    for p in policies:
        covered = ev.filter(pl.col("region_code").is_in(sorted(reg.subtree_codes(p.region))))
        if not covered.height:
            continue
        for it in p.items.values():
            lines.extend(_evaluate_item(p, it, covered))
    _fill_matches(lines)
    _apply_once(lines, history)
    _apply_highest(lines)
    _apply_caps(lines, history)
    lines.sort(key=lambda a: (a.uscc, a.event_year, a.policy, a.item))
    for a in lines:
        for p in a.payers:
            p.pop("formula", None)
    return lines


def budget(lines: Iterable[Award], statuses: tuple[str, ...] = ("payable",)) -> list[dict]:
    """Totals by payout year and payer (level, region): what each treasury owes."""
    out: dict[tuple, dict] = {}
    for a in lines:
        if a.status not in statuses:
            continue
        for p in a.payers:
            k = (a.payout_year, p["level"], p["region_code"])
            row = out.setdefault(k, {"payout_year": a.payout_year, "level": p["level"],
                                     "level_name": PAYER_LEVELS[p["level"]], "region_code": p["region_code"],
                                     "amount": Decimal(0), "lines": 0})
            row["amount"] += p["amount"]
            row["lines"] += 1
    return [out[k] for k in sorted(out)]


def by_item(lines: Iterable[Award]) -> list[dict]:
    """Per policy item: enterprises and amounts by status."""
    out: dict[tuple, dict] = {}
    for a in lines:
        row = out.setdefault((a.policy_key, a.item), {
            "policy": a.policy_key, "item": a.item, "item_name": a.item_name, "no_application": a.no_application,
            "ceiling": a.ceiling, "demo": a.demo, **{s: 0 for s in STATUS_NAMES},
            "payable_amount": Decimal(0), "application_amount": Decimal(0)})
        row[a.status] += 1
        if a.status == "payable":
            row["payable_amount"] += a.amount
        elif a.status == "needs_application":
            row["application_amount"] += a.amount
    return [out[k] for k in sorted(out)]


def compare(frames: dict[str, pl.DataFrame], year: int, region: str | None, changed: Policy,
            history: list[dict] | None = None) -> dict:
    """What replacing the policy with ``changed`` (same id, another version or a scenario file)
    would cost on the same year, by payer: base and changed budgets and the difference."""
    base = [p for p in all_policies() if p.id == changed.id]
    if not base:
        raise ValueError(f"没有编号为“{changed.id}”的现行政策可供比较")
    current = max(base, key=lambda p: p.effective_from)
    others = [p for p in all_policies() if p.id != changed.id]
    # the changed version is read as if in force in the year compared
    window = dict(effective_from=current.effective_from, effective_to=current.effective_to)
    scenario = Policy(**{**changed.__dict__, **window})
    a = budget(compute(frames, year, region, [*others, current], history), LIVE)
    b = budget(compute(frames, year, region, [*others, scenario], history), LIVE)
    keys = sorted({(r["payout_year"], r["level"], r["region_code"]) for r in a + b})
    ia = {(r["payout_year"], r["level"], r["region_code"]): r["amount"] for r in a}
    ib = {(r["payout_year"], r["level"], r["region_code"]): r["amount"] for r in b}
    rows = []
    from ..regions import registry

    for k in keys:
        before, after = ia.get(k, Decimal(0)), ib.get(k, Decimal(0))
        if before == after:
            continue
        r = registry().get(k[2])
        who = f"{r.name if r else k[2]}（{PAYER_LEVELS[k[1]]}）财政"
        diff = after - before
        rows.append({"payout_year": k[0], "level": k[1], "region_code": k[2], "before": before, "after": after,
                     "difference": diff,
                     "sentence": f"按“{scenario.name}”测算，{who}{k[0]} 年{'增加' if diff > 0 else '减少'} {text(abs(diff))} 万元"})
    return {"base": current.key, "changed": scenario.key, "rows": rows}
