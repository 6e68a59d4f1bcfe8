"""我的任务: an officer's own 督办 tasks and 分包 enterprises in one list with due dates, overdue
first, nobody else's; on the menu and the overview; exported to Excel."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl

from kechuang import db
from kechuang.ledgers.importer import import_records
from kechuang.ledgers.uscc import make
from kechuang.programs.windows import windows
from kechuang.service import add_visit, assign, my_work, set_application
from kechuang.warnings import Warning, close, create_task, respond

TINGHU, YANDU = "320902", "320903"
DAY = dt.date(2025, 8, 1)  # tech_sme 2025 window open (closes 30 Sep); the 2024 one has closed


def _window(wid):
    return next(w for w in windows() if w.id == wid)


def _setup(engine, make_user):
    make_user("zhang", "officer", TINGHU)
    make_user("li", "officer", TINGHU)
    make_user("wang", "officer", YANDU)
    ents = {k: make("91", region, f"MA950000{i}") for i, (k, region) in
            enumerate([("late", TINGHU), ("open", TINGHU), ("plain", TINGHU), ("other", TINGHU), ("yd", YANDU)])}
    assert import_records(engine, "enterprise", [
        {"uscc": u, "name": f"【演示】{k}任务科技", "region_code": YANDU if k == "yd" else TINGHU}
        for k, u in ents.items()]).ok
    with db.session_scope(engine) as s:
        for k in ("late", "open", "plain"):
            assign(s, ents[k], TINGHU, "zhang", "city")
        assign(s, ents["other"], TINGHU, "li", "city")
        assign(s, ents["yd"], YANDU, "wang", "city")
        set_application(s, ents["late"], TINGHU, "tech_sme", 2024, "preparing", "zhang")
        set_application(s, ents["open"], TINGHU, "tech_sme", 2025, "preparing", "zhang")
        set_application(s, ents["plain"], TINGHU, "tech_sme", 2025, "applied", "zhang")
        add_visit(s, ents["plain"], TINGHU, "2025-07-15", "需要研发费用归集辅导", "下周安排专家", "zhang", today=DAY)
        w = lambda subj: Warning("cert_expiring", TINGHU, f"【演示】证书即将到期 {subj}", subj)  # noqa: E731
        mine = create_task(s, w("a"), "zhang", dt.date(2025, 7, 20), "city", today=dt.date(2025, 7, 1))
        create_task(s, w("b"), "li", dt.date(2025, 7, 20), "city", today=dt.date(2025, 7, 1))
        done = create_task(s, w("c"), "zhang", dt.date(2025, 7, 25), "city", today=dt.date(2025, 7, 1))
        respond(s, done, "已办", "zhang")
        close(s, done, "zhang")
        ids = mine.id
    return ents, ids


def test_my_work_lists_own_items_overdue_first(engine, make_user):
    ents, tid = _setup(engine, make_user)
    with db.session_scope(engine) as s:
        items = my_work(s, "zhang", None, DAY)
    kinds = [(i["kind"], i["uscc"], i["due_on"], i["overdue"]) for i in items]
    assert kinds == [
        ("分包企业", ents["late"], _window("tech_sme-2024").closes_on, True),
        ("督办", "", dt.date(2025, 7, 20), True),
        ("分包企业", ents["open"], _window("tech_sme-2025").closes_on, False),
        ("分包企业", ents["plain"], None, False),
    ]
    assert "尚未走访" in items[0]["text"] and "最近走访 2025-07-15" in items[3]["text"]
    assert items[1]["link"] == f"/warnings#task-{tid}" and items[2]["status"] == "申报中"
    with db.session_scope(engine) as s:
        assert [i["uscc"] for i in my_work(s, "wang", None, DAY)] == [ents["yd"]]
        assert my_work(s, "zhang", {YANDU}, DAY) == []  # out of the scope asked
        assert my_work(s, "nobody", None, DAY) == []


def test_my_page_menu_overview_and_excel(app, engine, make_user):
    import re

    from fastapi.testclient import TestClient
    from web_helpers import login

    ents, _ = _setup(engine, make_user)
    with TestClient(app) as c:
        assert login(c, "zhang").status_code == 303
        page = c.get("/my").text
        assert 'href="/my"' in page and "我的任务" in page  # on the menu
        rows = re.findall(r"<tr( class=\"overdue\")?><td>(督办|分包企业)</td><td><a href=\"([^\"]+)\"", page)
        assert len(rows) == 4 and rows[0][0] and not rows[-1][0]  # overdue first, the undated last
        assert rows[-1][2] == f"/enterprises/{ents['plain']}#service"
        assert "【演示】证书即将到期 a" in page and "证书即将到期 b" not in page and "证书即将到期 c" not in page
        assert "other任务科技" not in page and ents["other"] not in page
        assert 'href="/my"' in c.get("/").text.split('id="overdue-tasks"', 1)[1]  # linked from the overview
        wb = openpyxl.load_workbook(io.BytesIO(c.get("/my.xlsx").content))
        got = list(wb["我的任务"].iter_rows(values_only=True))
        assert got[0] == ("类别", "事项", "地区", "统一社会信用代码", "期限", "逾期", "状态")
        assert len(got) == 5 and got[1][5] == "是" and got[-1][4] is None
    with TestClient(app) as c:
        assert login(c, "wang").status_code == 303
        page = c.get("/my").text
        assert ents["yd"] in page and ents["late"] not in page


def test_my_page_needs_login(anon):
    r = anon.get("/my", follow_redirects=False)
    assert r.status_code in (302, 303, 307) and "/login" in r.headers["location"]
    assert anon.get("/my.xlsx", follow_redirects=False).status_code in (302, 303, 307)
