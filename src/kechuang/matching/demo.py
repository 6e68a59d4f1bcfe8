"""揭榜挂帅 demo for the demo city (``kechuang demo-setup``): the FICTITIOUS demands and supplies of
``kechuang/demo/matching.yaml`` (marked 【演示】, keys DEMO-) stored in the ledgers, the demanders
taken from the city's demo enterprises, and each demand taken through the workflow as far as its
``stage`` says, by the workflow's own steps, so the funnel and the contract ledgers are not empty."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "demo" / "matching.yaml"
# days before today on which each step is taken
DAYS = {"publish": 120, "apply": 100, "review": 70, "sign": 50, "implement": 45, "accept": 10}


@dataclass(frozen=True)
class _DemoOfficer:
    """Who takes the demo's steps (recorded as ``demo``, like the rest of the demo data)."""
    username: str = "demo"
    is_admin: bool = True
    region_code: str | None = None
    can_write: bool = True


def _districts(city_code: str) -> list[str]:
    from ..regions import registry

    kids = [r.code for r in registry().children(city_code) if r.code.isdigit() and not 70 <= int(r.code[4:6]) <= 79]
    return kids or [city_code]


def _enterprises(conn, code: str, n: int) -> list[tuple[str, str]]:
    """(credit code, name) of up to n demo enterprises of a district."""
    from ..ledgers import store

    rows, _ = store.page_records(conn, "enterprise", {code}, limit=max(n * 4, 20))
    return [(r["uscc"], r["name"]) for r in rows if (r.get("name") or "").startswith("【演示】")][:n]


def _clear(session) -> None:
    import sqlalchemy as sa

    from ..ledgers import store
    from .workflow import Bid, Step

    session.execute(sa.delete(Step).where(Step.demand_no.like("DEMO-%")))
    session.execute(sa.delete(Bid).where(Bid.demand_no.like("DEMO-%")))
    session.execute(sa.delete(store.T).where(store.T.c.kind.in_(["demand", "supply", "tech_contract", "cooperation"]),
                                             store.T.c.key.like("DEMO-%")))


def seed(engine, city_code: str, *, today: dt.date | None = None) -> dict[str, int]:
    """Store the demo demands and supplies and take the workflow steps (replacing an earlier run);
    returns counts. One transaction: all or nothing."""
    from .. import db
    from ..ledgers.importer import import_records
    from ..ledgers.uscc import make
    from ..regions import registry
    from . import workflow as wf

    today = today or dt.date.today()
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    districts = _districts(city_code)
    officer = _DemoOfficer()
    with db.session_scope(engine) as session:
        _clear(session)
        conn = session.connection()
        pool = {code: _enterprises(conn, code, 6) for code in districts}
        taken: dict[str, int] = {}

        def enterprise(code: str, fallback: str) -> tuple[str, str]:
            i = taken.get(code, 0)
            taken[code] = i + 1
            if i < len(pool[code]):
                return pool[code][i]
            name = registry().get(code).name if registry().get(code) else ""
            return make("91", code[:6], f"MDJB{len(taken):02d}{i:03d}"), f"【演示】{name}{fallback}"

        supplies = []
        for s in data["supplies"]:
            rec = {k: v for k, v in s.items() if k not in ("id", "local", "enterprise")}
            rec.update(supply_no=s["id"], title=f"【演示】{s['title']}")
            if "local" in s:
                rec["region_code"] = districts[s["local"] % len(districts)]
            if s.get("enterprise"):
                rec["uscc"], rec["owner"] = enterprise(rec["region_code"], "科技有限公司")
            supplies.append(rec)
        demands = []
        for d in data["demands"]:
            code = districts[d["district"] % len(districts)]
            uscc, name = enterprise(code, "有限公司")
            rec = {k: d[k] for k in ("title", "description", "indicators", "keywords", "field", "tech_field",
                                     "industry_code", "budget", "solver_type", "solver_region", "list_type")
                   if d.get(k) is not None}
            rec.update(demand_no=d["id"], title=f"【演示】{d['title']}", region_code=code, uscc=uscc, publisher=name,
                       status="draft", contact="演示·联系人", phone="0515-00000000",
                       restricted_detail="【演示】保密信息：现有工艺参数与产线布局，签约后向揭榜方提供")
            if d.get("deadline_days"):
                rec["deadline"] = today + dt.timedelta(days=d["deadline_days"])
            demands.append(rec)
        for kind, recs in (("supply", supplies), ("demand", demands)):
            report = import_records(conn, kind, recs, source="揭榜挂帅演示数据", username="demo")
            if not report.ok:
                raise RuntimeError("；".join(p.text() for p in report.problems))
        counts = {"demands": len(demands), "supplies": len(supplies), "signed": 0}
        for d in data["demands"]:
            counts["signed"] += _walk(session, officer, d, today, wf)
    return counts


def _walk(session, officer, d: dict, today: dt.date, wf) -> int:
    """Take one demo demand through the workflow up to its stage; 1 when it was signed."""
    rank = wf.STAGES.index(d["stage"])
    if rank < 1:
        return 0

    def day(step: str) -> dt.date:
        return today - dt.timedelta(days=DAYS[step])

    wf.publish(session, officer, d["id"], on=day("publish"), region_codes=None, note="演示：经专家甄别后发榜")
    bids = [wf.apply(session, officer, d["id"], on=day("apply") + dt.timedelta(days=i), region_codes=None,
                     supply_no=no) for i, no in enumerate(d.get("bids", []))]
    if rank < wf.STAGES.index("reviewed") or not bids:
        return 0
    chosen = (d.get("sign") or {}).get("bid")
    for b in bids:
        wf.review(session, officer, b.id, on=day("review"), region_codes=None,
                  passed=chosen is None or b.supply_no == chosen, note="演示：专家评审")
    if rank < wf.STAGES.index("signed") or not chosen:
        return 0
    s = d["sign"]
    bid = next(b for b in bids if b.supply_no == chosen)
    wf.sign(session, officer, bid.id, on=day("sign"), region_codes=None, amount=Decimal(str(s["amount"])),
            tech_amount=Decimal(str(s["tech_amount"])) if s.get("tech_amount") else None,
            contract_type=s["contract_type"], contract_no=f"DEMO-HT-{d['id'][-3:]}", note="演示：签订技术开发合同")
    if rank >= wf.STAGES.index("implementing"):
        wf.implement(session, officer, bid.id, on=day("implement"), region_codes=None)
    if rank >= wf.STAGES.index("accepted"):
        wf.accept(session, officer, bid.id, on=day("accept"), region_codes=None, note="演示：专家组验收通过")
    return 1
