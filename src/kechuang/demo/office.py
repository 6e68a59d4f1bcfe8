"""The demo city's year of work (演示), for `kechuang demo-setup`: a city target split down to its
districts (most confirmed, one contested, one not yet answered), a past quarter's round approved and
closed, this month's round open with one district late, warnings turned into 督办 tasks (one overdue),
and officers serving enterprises (分包) with visit records and application statuses. Every record
says 演示; a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

DEMO = "demo"
# demo officers (username, display name, region): each serves enterprises of their district
OFFICERS = [("zhangwei", "亭湖区科技局 张伟(演示)", "320902"), ("liuna", "盐都区科技局 刘娜(演示)", "320903")]
LATE = "320924"  # the district that has not reported this month's figures (射阳县)
CONTESTED = "320903"  # the district that contests its share (盐都区)
UNANSWERED = "320925"  # the district that has not answered yet (建湖县)
# the split target: 技术交易额 of the city, by hand, district weights of the demo targets
SPLIT = ("技术交易额(分解下达演示)", Decimal(60), "亿元", "tech_trade_amount")


def _quarter_before(today: dt.date) -> tuple[str, dt.date, dt.date]:
    q = (today.month - 1) // 3  # the current quarter's index 0–3; the one before it:
    year, q = (today.year - 1, 4) if q == 0 else (today.year, q)
    start = dt.date(year, 3 * q - 2, 1)
    end = (dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(days=1))
    return f"{year}-Q{q}", start, end


def _month_before(today: dt.date) -> tuple[str, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last.year}-{last.month:02d}", last


def _enterprises(session: Session, code: str, n: int) -> list[str]:
    rows = session.execute(text("SELECT uscc FROM ledger_records WHERE kind = 'enterprise' AND region_code = :c "
                                "ORDER BY uscc LIMIT :n"), {"c": code, "n": n}).scalars().all()
    return [r for r in rows if r]


def _contract_file(code: str, uscc: str, tag: str, day: dt.date, amount: str) -> bytes:
    from ..ledgers.importer import records_csv

    return records_csv("tech_contract", [{
        "contract_no": f"演示{tag}-{code}", "contract_name": f"【演示】{tag}技术开发合同", "contract_type": "技术开发",
        "role": "卖方", "uscc": uscc, "region_code": code, "amount": amount, "tech_amount": amount,
        "signed_on": day.isoformat(), "registered_on": day.isoformat()}])


def _users(session: Session) -> None:
    from ..accounts import User, add_user
    from ..audit import record
    from . import DEMO_PASSWORD, ensure_demo_users

    ensure_demo_users(session)  # the city's officer is an assignee
    for username, name, code in OFFICERS:
        if session.scalar(select(User).where(User.username == username)) is None:
            add_user(session, username, DEMO_PASSWORD, "officer", code, name)
            record(session, DEMO, "create", "user", username, after={"role": "officer", "region_code": code})


def _split(session: Session, city: str, year: int) -> int:
    from ..targets.demo import DISTRICTS, WEIGHTS
    from ..targets.split import Part, answer_share, split_target
    from ..targets.store import add_target

    indicator, value, unit, metric = SPLIT
    parent = add_target(session, region="盐城市", region_code=city, indicator=indicator, value=value, unit=unit,
                        period=str(year), year=year, metric_id=metric, source_doc="演示目标(手工录入)",
                        source_quote=f"盐城市全年技术交易额达{value}亿元(演示)", created_by=DEMO)
    parts = [Part(code, value * Decimal(str(w))) for code, w in zip(DISTRICTS, WEIGHTS)]
    children = split_target(session, parent.id, "hand", parts, DEMO)
    for child in children:
        if child.region_code == CONTESTED:
            answer_share(session, child.id, False, "【演示】本区技术合同登记点今年撤并,请按上年实际占比下调至 8 亿元", "yandu")
        elif child.region_code != UNANSWERED:
            answer_share(session, child.id, True, "", DEMO)
    return len(children)


def _rounds(session: Session, engine, city: str, today: dt.date) -> None:
    from ..regions import registry
    from ..rounds import approve, close_round, open_round, submit, upload

    children = [c.code for c in registry().children(city)]
    people = {c: (_enterprises(session, c, 1) or [None])[0] for c in children}

    def uscc_of(code: str) -> str:
        from ..ledgers.uscc import make

        return people[code] or make("91", city, f"MA0DEMO{children.index(code):02d}")

    period, start, end = _quarter_before(today)
    past = open_round(session, region_code=city, period_kind="quarter", period=period, kinds=["tech_contract"],
                      deadline=end + dt.timedelta(days=10), username=DEMO,
                      title=f"盐城市{period.replace('-Q', '年第')}季度技术合同填报(演示)")
    for i, code in enumerate(children):
        upload(session, past.id, code, "tech_contract",
               _contract_file(code, uscc_of(code), period, end - dt.timedelta(days=i), f"{120 + 15 * i}"),
               f"{code}-{period}.csv", DEMO)
        submit(session, past.id, code, DEMO)
        session.commit()  # the import writes through its own connection: hold no lock of ours meanwhile
        approve(session, engine, past.id, code, DEMO)
    close_round(session, past.id, DEMO)
    month, last_day = _month_before(today)
    current = open_round(session, region_code=city, period_kind="month", period=month, kinds=["tech_contract"],
                         deadline=today - dt.timedelta(days=1), username=DEMO,
                         title=f"盐城市{month.replace('-', '年')}月技术合同填报(演示)")
    for i, code in enumerate(children):
        if code == LATE:
            continue  # late: the round's board and the round_overdue warning show it
        upload(session, current.id, code, "tech_contract",
               _contract_file(code, uscc_of(code), month, last_day - dt.timedelta(days=i % 5), f"{40 + 5 * i}"),
               f"{code}-{month}.csv", DEMO)
        submit(session, current.id, code, DEMO)
        if i % 3 == 0:
            session.commit()
            approve(session, engine, current.id, code, DEMO)


def _service(session: Session, city: str, today: dt.date) -> dict[str, list[str]]:
    """Officers' enterprises: first the near misses (一步之遥) of their district for a program whose
    application window is open or coming this year (they prepare an application: 准备中)."""
    import polars as pl

    from ..programs.store import latest_as_of, load
    from ..programs.windows import windows_for
    from ..service import add_visit, assign, set_application

    conn = session.connection()
    as_of = latest_as_of(conn)
    served: dict[str, list[str]] = {}
    for i, (username, _name, code) in enumerate(OFFICERS):
        programs = sorted({w.program for w in windows_for(None, code)
                           if w.year == today.year and w.state(today) != "closed" and w.covers(code)})
        close: dict[str, str] = {}
        if as_of is not None and programs:
            frame = load(conn, as_of, region_codes={code}, close_only=True).filter(
                pl.col("program").is_in(programs)).sort("uscc")
            for uscc, program in frame.select("uscc", "program").iter_rows():
                close.setdefault(uscc, program)
                if len(close) == 4:
                    break
        others = [u for u in _enterprises(session, code, 12) if u not in close][:6 - len(close)]
        usccs = [*close, *others]
        served[username] = usccs
        for j, uscc in enumerate(usccs):
            assign(session, uscc, code, username, "yancheng")
            if uscc in close:
                set_application(session, uscc, code, close[uscc], today.year, "preparing", username)
            elif j % 3 == 0:
                set_application(session, uscc, code, "hnte", today.year, "applied", username)
            elif j % 3 == 1:
                set_application(session, uscc, code, "hnte", today.year, "recognized", username)
            if j % 2 == 0:
                add_visit(session, uscc, code, today - dt.timedelta(days=20 + 7 * j + i),
                          "【演示】希望辅导研发费用归集和评价申报材料",
                          "【演示】两周内安排服务机构上门,申报窗口截止前完成填报", username, today=today)
            if j % 4 == 0:
                add_visit(session, uscc, code, today - dt.timedelta(days=3 + j),
                          "【演示】需要对接高校解决工艺难题", "【演示】已推荐揭榜挂帅平台上的两项成果", username, today=today)
    return served


def _tasks(session: Session, city: str, today: dt.date) -> int:
    from ..warnings import create_task, evaluate

    made = 0
    picks = [("round_overdue", {LATE}, "yancheng", 3, 0),
             ("window_closing", {"320902"}, "zhangwei", 7, 0),
             ("cert_expiring", {"320902"}, "zhangwei", 14, 0),
             ("pace_gap", {"320903"}, "liuna", 10, 0),
             ("near_miss", {"320903"}, "liuna", -3, 12)]  # overdue: set 12 days ago, due 3 days ago
    for rule, codes, assignee, due_in, set_ago in picks:
        found = evaluate(session, codes, today, only=rule)
        if not found:
            continue
        created = today - dt.timedelta(days=set_ago)
        create_task(session, found[0], assignee, today + dt.timedelta(days=due_in), DEMO, today=created)
        made += 1
    return made


def seed_office_year(engine, city: str = "320900", today: dt.date | None = None) -> dict[str, int] | None:
    """The demo city's year of work; each part is made once (None when all were there already)."""
    from .. import db
    from ..rounds import Round
    from ..service import Assignment
    from ..targets.store import Target
    from ..warnings import Task

    today = today or dt.date.today()
    made: dict[str, int] = {}
    with db.session_scope(engine) as s:
        _users(s)
        if s.scalar(select(Target.id).where(Target.indicator == SPLIT[0], Target.year == today.year).limit(1)) is None:
            made["shares"] = _split(s, city, today.year)
    with db.session_scope(engine) as s:
        if s.scalar(select(Round.id).where(Round.created_by == DEMO).limit(1)) is None:
            _rounds(s, engine, city, today)
            made["rounds"] = 2
    with db.session_scope(engine) as s:
        if s.scalar(select(Assignment.id).where(Assignment.officer.in_([o[0] for o in OFFICERS])).limit(1)) is None:
            made["served"] = sum(len(v) for v in _service(s, city, today).values())
    with db.session_scope(engine) as s:
        if s.scalar(select(Task.id).where(Task.created_by == DEMO).limit(1)) is None:
            made["tasks"] = _tasks(s, city, today)
    return made or None
