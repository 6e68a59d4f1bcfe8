"""The office's year on the web: search, help, documents edited and withdrawn, targets set, edited and
split with the regions' answers, reporting rounds (upload → submit → 退回 / 通过 → ledger), each
with bad input refused in Chinese and nothing half-changed."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import func, select

from kechuang import db
from kechuang.audit import AuditEntry
from kechuang.ledgers.uscc import make
from kechuang.targets.split import TargetShare
from kechuang.targets.store import Target, add_target
from web_helpers import PASSWORD, csrf_from, login

CITY, TINGHU, YANDU = "320900", "320902", "320903"
TEXT = "盐城晚报讯 市委召开大会。\n\n去年高企总数达2338家。今年力争新招引科技型企业100家。\n"


def _token(client, path="/") -> str:
    return csrf_from(client.get(path).text)


def _post(client, path, data=None, files=None, page="/"):
    return client.post(path, data={"csrf_token": _token(client, page), **(data or {})}, files=files,
                       follow_redirects=False)


def _error_after(client, r) -> str:
    """The Chinese refusal shown on the page a redirect leads to ("" when none)."""
    assert r.status_code == 303, r.text[:300]
    page = client.get(r.headers["location"]).text
    m = re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S)
    return m.group(1) if m else ""


def post_records(client, kind: str, records: list[dict]):
    return client.post(f"/api/ledgers/{kind}", json={"records": records},
                       headers={"X-CSRF-Token": _token(client)})


def _count(engine, model, *where) -> int:
    with db.session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


# ---------------------------------------------------------------- item 6

def _upload_doc(client, name="doc.txt", data=TEXT.encode()):
    r = _post(client, "/docs/upload", files={"file": (name, data, "text/plain")}, page="/docs")
    assert r.status_code == 303
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_search_finds_enterprises_documents_and_targets_within_scope(client_as, engine):
    th = client_as("officer", TINGHU)
    yd = client_as("officer", YANDU)
    th_ent, yd_ent = make("91", TINGHU, "MA9000021"), make("91", YANDU, "MA9000022")
    assert post_records(th, "enterprise", [{"uscc": th_ent, "name": "【演示】亭湖星河科技有限公司",
                                            "region_code": TINGHU}]).json()["ok"]
    assert post_records(yd, "enterprise", [{"uscc": yd_ent, "name": "【演示】盐都星河材料有限公司",
                                            "region_code": YANDU}]).json()["ok"]
    _upload_doc(th, "星河.txt", "亭湖区召开星河计划推进会。今年力争新招引科技型企业20家。\n".encode())
    with db.session_scope(engine) as s:
        add_target(s, region="亭湖区", region_code=TINGHU, indicator="星河企业培育数", value="5", unit="家", year=2025)
        add_target(s, region="盐都区", region_code=YANDU, indicator="星河企业培育数", value="7", unit="家", year=2025)
    page = th.get("/search", params={"q": "星河"}).text
    assert "亭湖星河科技" in page and "盐都星河材料" not in page  # another district's enterprise stays hidden
    assert "星河.txt" in page or "星河计划" in page
    assert page.count("星河企业培育数") == 1
    assert th_ent in th.get("/search", params={"q": th_ent[:10]}).text.split('id="found-enterprises"')[1]
    assert yd_ent not in th.get("/search", params={"q": yd_ent}).text.split('id="found-enterprises"')[1]
    city = client_as("officer", CITY)
    both = city.get("/search", params={"q": "星河"}).text
    assert "亭湖星河科技" in both and "盐都星河材料" in both
    assert "search" in city.get("/").text and 'action="/search"' in city.get("/").text  # the box in the header
    long = city.get("/search", params={"q": "星" * 80}, headers={"accept": "text/html"})
    assert long.status_code == 400 and "搜索词" in long.text and "80" in long.text
    wild = city.get("/search", params={"q": "%"}).text
    assert "亭湖星河科技" not in wild  # % is a character, not a wildcard


def test_help_page_shows_the_glossary(client_as):
    from kechuang.programs.catalog import GLOSSARY

    page = client_as("viewer", CITY).get("/help").text
    for term, text in GLOSSARY.items():
        assert term in page and text[:20] in page
    assert "分解下达" in page and 'href="/help"' in page


def test_password_change_needs_the_old_one_and_keeps_this_browser(app, client_as, make_user):
    from fastapi.testclient import TestClient

    make_user("zhou", "officer", TINGHU)
    a, b = TestClient(app), TestClient(app)
    assert login(a, "zhou").status_code == 303 and login(b, "zhou").status_code == 303
    wrong = a.post("/account/password", data={"csrf_token": _token(a, "/account"), "current": "not-it-99",
                                              "new": "fresh-pass-88"})
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    assert b.get("/api/me").status_code == 200  # nothing changed
    weak = a.post("/account/password", data={"csrf_token": _token(a, "/account"), "current": PASSWORD,
                                             "new": "zhou12345"})
    assert weak.status_code == 400 and "用户名" in weak.text
    ok = a.post("/account/password", data={"csrf_token": _token(a, "/account"), "current": PASSWORD,
                                           "new": "fresh-pass-88"})
    assert ok.status_code == 200 and "其他设备上的登录已全部失效" in ok.text
    assert a.get("/api/me").status_code == 200 and b.get("/api/me").status_code == 401
    from kechuang.accounts import User

    with db.session_scope(db.engine_for(str(app.state.engine.url))) as s:
        assert s.scalar(select(User.password_hash).where(User.username == "zhou")).startswith("$argon2")


def test_document_metadata_edit_withdraw_and_history(client_as, engine):
    c = client_as("officer", CITY)
    doc_id = _upload_doc(c)
    page = c.get(f"/docs/{doc_id}").text
    assert "提出的工作框架" in page and "提及的人员" in page
    assert _error_after(c, _post(c, f"/docs/{doc_id}/edit", {"title": "", "outlet": "盐城晚报"})) \
        == "字段“标题”不能为空"
    assert _error_after(c, _post(c, f"/docs/{doc_id}/edit", {"title": "新春第一会", "outlet": "报" * 200})) \
        .startswith("字段“来源”的值")
    with db.session_scope(engine) as s:  # neither refused edit changed the title
        from kechuang.reader.store import Document

        assert s.get(Document, doc_id).title != "新春第一会"
    assert _error_after(c, _post(c, f"/docs/{doc_id}/edit", {"title": "新春第一会", "outlet": "盐城晚报"})) == ""
    assert "新春第一会" in c.get("/docs").text
    assert "新招引科技型企业" in c.get("/docs/statements", params={"kind": "target"}).text
    assert _error_after(c, _post(c, f"/docs/{doc_id}/withdraw", {"reason": "  "})) == "字段“撤回原因”不能为空"
    assert _error_after(c, _post(c, f"/docs/{doc_id}/withdraw", {"reason": "已被新文件替代"})) == ""
    assert "已撤回" in c.get("/docs").text and "已被新文件替代" in c.get(f"/docs/{doc_id}").text
    assert "新招引科技型企业" not in c.get("/docs/statements", params={"kind": "target"}).text
    r = _post(c, "/targets/import", page="/targets/queue")
    assert r.status_code == 303 and _count(engine, Target) == 0  # a withdrawn document's targets are not imported
    history = c.get(f"/docs/{doc_id}").text.split('id="history"', 1)[1]
    assert "撤回" in history and "标题" in history and "新春第一会" in history and "→" in history
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", history)
    other = client_as("officer", "320200")
    assert other.post(f"/docs/{doc_id}/withdraw", data={"csrf_token": _token(other), "undo": "1"},
                      follow_redirects=False).status_code == 403
    assert _error_after(c, _post(c, f"/docs/{doc_id}/withdraw", {"undo": "1"})) == ""
    assert "新招引科技型企业" in c.get("/docs/statements", params={"kind": "target"}).text


def test_history_times_are_beijing_time(engine):
    from kechuang.audit import record, trail

    with db.session_scope(engine) as s:
        e = record(s, "li", "update", "target", "7", {"value": "5"}, {"value": "6"}, TINGHU)
        e.at = dt.datetime(2025, 1, 1, 17, 30, tzinfo=dt.timezone.utc)
    with db.session_scope(engine) as s:
        [row] = trail(s, "target", 7)
    assert row["at"] == "2025-01-02 01:30" and row["what"] == "修改" and row["changes"] == [("目标值", "5", "6")]


# ---------------------------------------------------------------- item 1

def _new_target(client, **form):
    base = {"region": "盐城市", "indicator": "新认定高新技术企业", "value": "130", "unit": "家",
            "comparator": ">=", "period": "2025", "metric": "", "source_doc": "", "source_quote": "新春第一会"}
    return _post(client, "/targets/new", {**base, **form}, page="/targets/new")


def test_new_target_with_bad_input_is_refused_naming_the_field(client_as, engine):
    c = client_as("officer", CITY)
    for form, words in (({"value": "一百"}, ("目标值", "一百")), ({"value": "-3"}, ("目标值", "-3")),
                        ({"unit": "斤"}, ("单位", "斤")), ({"comparator": "!="}, ("比较", "!="))
                        , ({"period": ""}, ("期限",)), ({"indicator": ""}, ("指标",))):
        r = _new_target(c, **form)
        assert r.status_code == 400, form
        for w in words:
            assert w in r.text, (form, w)
    outside = _new_target(c, region="无锡市")
    assert outside.status_code == 403
    assert _count(engine, Target) == 0
    assert client_as("viewer", CITY).get("/targets/new").status_code == 403


def test_city_sets_edits_and_splits_a_target_and_districts_answer(client_as, engine):
    city = client_as("officer", CITY)
    r = _new_target(city, value="1.2", unit="亿元", indicator="技术合同成交额", metric="tech_contract_amount")
    assert r.status_code == 303
    tid = int(r.headers["location"].rsplit("/", 1)[1])
    # edit: a refused value changes nothing; a good one is audited before → after
    assert "字段“目标值”的值“abc”不是有效数字" in _error_after(city, _post(city, f"/targets/{tid}/edit", {"value": "abc"}))
    assert _error_after(city, _post(city, f"/targets/{tid}/edit", {"value": "1.5", "unit": "亿元"})) == ""
    page = city.get(f"/targets/{tid}").text
    assert "目标值" in page.split('id="history"', 1)[1] and "1.5" in page
    # a split by hand that falls short is refused, naming the sum and the gap, in the parent's unit
    short = {"method": "hand", "regions": [TINGHU, YANDU], f"value_{TINGHU}": "9000", f"unit_{TINGHU}": "万元",
             f"value_{YANDU}": "0.5", f"unit_{YANDU}": "亿元"}
    msg = _error_after(city, _post(city, f"/targets/{tid}/split", short))
    assert "合计 1.4 亿元" in msg and "相差 0.1 亿元" in msg
    assert _count(engine, TargetShare) == 0
    bad_unit = {**short, f"unit_{TINGHU}": "家"}
    assert "单位" in _error_after(city, _post(city, f"/targets/{tid}/split", bad_unit))
    outside = {**short, "regions": [TINGHU, "320200"], "value_320200": "1"}
    assert _post(city, f"/targets/{tid}/split", outside).status_code == 403
    good = {**short, f"value_{TINGHU}": "10000"}  # 1 亿元 + 0.5 亿元 = the city's 1.5 亿元
    assert _error_after(city, _post(city, f"/targets/{tid}/split", good)) == ""
    with db.session_scope(engine) as s:
        kids = {t.region_code: t for t in s.scalars(select(Target).where(Target.id != tid))}
        assert set(kids) == {TINGHU, YANDU} and kids[TINGHU].unit == "万元" and kids[TINGHU].value == 10000
        assert kids[TINGHU].metric_id == "tech_contract_amount"
        th_id = kids[TINGHU].id
    board = city.get(f"/targets/{tid}").text
    assert board.count("待确认") >= 2
    # the district confirms; the other contests, and must give a reason
    th = client_as("officer", TINGHU)
    assert _error_after(th, _post(th, f"/targets/{th_id}/answer", {"agree": "1"})) == ""
    yd = client_as("officer", YANDU)
    with db.session_scope(engine) as s:
        yd_id = s.scalar(select(Target.id).where(Target.region_code == YANDU))
    assert "异议理由" in _error_after(yd, _post(yd, f"/targets/{yd_id}/answer", {"agree": "0", "reason": ""}))
    assert _error_after(yd, _post(yd, f"/targets/{yd_id}/answer", {"agree": "0", "reason": "去年基数偏低"})) == ""
    assert yd.post(f"/targets/{th_id}/answer", data={"csrf_token": _token(yd), "agree": "0", "reason": "x"},
                   follow_redirects=False).status_code == 403  # not its share
    board = city.get(f"/targets/{tid}").text.split('id="shares"', 1)[1]
    assert "已确认" in board and "有异议" in board and "去年基数偏低" in board
    # even split: whole numbers that add up to the parent exactly
    r2 = _new_target(city, value="100", unit="家", indicator="新认定高企")
    t2 = int(r2.headers["location"].rsplit("/", 1)[1])
    from kechuang.regions import registry

    districts = [c.code for c in registry().children(CITY)]
    assert _error_after(city, _post(city, f"/targets/{t2}/split", {"method": "even", "regions": districts})) == ""
    with db.session_scope(engine) as s:
        from kechuang.targets.split import shares_of

        values = [c.value for _s, c in shares_of(s, t2)]
    assert sum(values) == 100 and max(values) - min(values) <= 1 and all(v == int(v) for v in values)
    # last year's share needs a bound target
    r3 = _new_target(city, value="10", unit="项", indicator="某项没有台账的工作")
    t3 = int(r3.headers["location"].rsplit("/", 1)[1])
    assert "尚未绑定台账指标" in _error_after(city, _post(city, f"/targets/{t3}/split",
                                                         {"method": "last_year", "regions": districts[:2]}))


def test_split_by_last_years_share(engine):
    """Shares follow each district's figure of the year before (largest remainders round)."""
    import polars as pl

    from kechuang.targets.metrics import dict_source
    from kechuang.targets.split import Part, plan_split

    frame = pl.DataFrame({"region_code": [TINGHU, TINGHU, YANDU], "registered_on": [dt.date(2024, 5, 1)] * 3,
                          "year": [2024] * 3, "amount": [300.0, 300.0, 400.0], "tech_amount": [None] * 3,
                          "contract_no": ["a", "b", "c"], "uscc": ["x", "y", "z"],
                          "role": ["seller"] * 3},
                         schema_overrides={"amount": pl.Decimal(20, 6), "tech_amount": pl.Decimal(20, 6)})
    parent = Target(id=1, region_code=CITY, region="盐城市", indicator="技术合同成交额", metric_id="tech_contract_amount",
                    period="2025", year=2025, comparator=">=", value=__import__("decimal").Decimal("1"), unit="亿元")
    plan = plan_split(parent, "last_year", [Part(TINGHU), Part(YANDU)], dict_source({"tech_contract": frame}))
    assert [(c, str(v)) for c, v, _u in plan] == [(TINGHU, "0.60"), (YANDU, "0.40")]


# ---------------------------------------------------------------- item 2

def _contract_csv(uscc: str, region: str, no: str, amount: str, registered: str | None = None) -> bytes:
    day = registered or dt.date.today().isoformat()
    return ("合同登记编号,合同名称,合同类型,统一社会信用代码,行政区划代码,合同成交额,登记日期\n"
            f"{no},星河技术开发,技术开发,{uscc},{region},{amount},{day}\n").encode("utf-8")


def _open_round(client, **form):
    base = {"title": "", "period_kind": "quarter", "period": "2025-Q1", "deadline": "2099-04-10",
            "kinds": ["tech_contract"]}
    return _post(client, "/rounds", {**base, **form}, page="/rounds")


def test_round_opened_filled_returned_and_approved_into_the_ledger(client_as, engine):
    from kechuang.ledgers.store import LedgerRecord
    from kechuang.rounds import Round, Submission

    city = client_as("officer", CITY)
    for form, words in (({"period": "2025-13"}, ("期间", "2025-13")), ({"kinds": []}, ("填报台账",)),
                        ({"deadline": "明天"}, ("截止日期", "明天")), ({"period_kind": "week"}, ("周期", "week")),
                        ({"kinds": ["nope"]}, ("填报台账", "nope"))):
        msg = _error_after(city, _open_round(city, **form))
        assert all(w in msg for w in words), (form, msg)
    assert _count(engine, Round) == 0
    r = _open_round(city)
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    page = city.get(f"/rounds/{rid}").text
    assert "2025年第1季度" in page and page.count('data-status="pending"') >= 2
    th = client_as("officer", TINGHU)
    ent = make("91", TINGHU, "MA9000031")
    # nothing uploaded: cannot submit
    assert "尚未上传:技术合同" in _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/submit"))
    # a bad file is refused naming file, row, column and value; nothing is kept
    bad = _contract_csv(ent, TINGHU, "HT-1", "-5")
    msg = _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/upload", {"kind": "tech_contract"},
                                 files={"file": ("一季度.csv", bad, "text/csv")}))
    assert "一季度.csv" in msg and "第2行" in msg and "合同成交额" in msg and "-5" in msg
    other = _contract_csv(ent, YANDU, "HT-1", "50")  # a row of another district
    msg = _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/upload", {"kind": "tech_contract"},
                                 files={"file": ("一季度.csv", other, "text/csv")}))
    assert "320903" in msg or "盐都区" in msg
    good = _contract_csv(ent, TINGHU, "HT-1", "50")
    assert _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/upload", {"kind": "tech_contract"},
                                  files={"file": ("一季度.csv", good, "text/csv")})) == ""
    # another district cannot upload or submit for 亭湖区
    yd = client_as("officer", YANDU)
    assert yd.post(f"/rounds/{rid}/{TINGHU}/submit", data={"csrf_token": _token(yd)},
                   follow_redirects=False).status_code == 403
    assert _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/submit")) == ""
    # the district cannot approve its own submission
    assert th.post(f"/rounds/{rid}/{TINGHU}/approve", data={"csrf_token": _token(th)},
                   follow_redirects=False).status_code == 403
    assert "退回原因" in _error_after(city, _post(city, f"/rounds/{rid}/{TINGHU}/return", {"reason": " "}))
    assert _error_after(city, _post(city, f"/rounds/{rid}/{TINGHU}/return", {"reason": "成交额与合同不符"})) == ""
    assert "成交额与合同不符" in th.get(f"/rounds/{rid}").text
    assert _count(engine, LedgerRecord, LedgerRecord.kind == "tech_contract") == 0  # nothing in the ledger yet
    fixed = _contract_csv(ent, TINGHU, "HT-1", "80")
    assert _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/upload", {"kind": "tech_contract"},
                                  files={"file": ("一季度-改.csv", fixed, "text/csv")})) == ""
    assert _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/submit")) == ""
    assert "不能重复提交" in _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/submit"))
    assert _error_after(city, _post(city, f"/rounds/{rid}/{TINGHU}/approve")) == ""
    with db.session_scope(engine) as s:
        rec = s.scalar(select(LedgerRecord).where(LedgerRecord.kind == "tech_contract"))
        assert rec.region_code == TINGHU and Decimal(str(rec.data["amount"])) == 80
        statuses = {x.region_code: x.status for x in s.scalars(select(Submission))}
    assert statuses[TINGHU] == "approved" and statuses[YANDU] == "pending"
    board = city.get(f"/rounds/{rid}").text
    assert "一季度-改.csv" in board and "已通过" in board and "未提交" in board
    assert "审核通过" in board.split('id="history"', 1)[1] and "退回" in board.split('id="history"', 1)[1]
    # the ledger says when it was last changed and by whom
    ledger = city.get("/ledgers/tech_contract").text
    assert re.search(r"最后更新:\d{4}-\d\d-\d\d \d\d:\d\d", ledger) and th.get("/api/me").json()["username"] in ledger
    assert "rounds" in city.get("/rounds").text and "2025年第1季度" in city.get("/rounds").text


def test_a_late_round_shows_who_has_not_submitted(client_as, engine):
    city = client_as("officer", CITY)
    r = _open_round(city, deadline="2020-01-10", period="2019-12", period_kind="month")
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    page = city.get(f"/rounds/{rid}").text
    assert "2019年12月" in page and "逾期未交" in page
    listing = city.get("/rounds").text
    assert re.search(r"未提交</th>", listing)


# ---------------------------------------------------------------- item 4

def test_enterprise_service_assignment_visits_and_applications(app, client_as, make_user, engine):
    from fastapi.testclient import TestClient

    from kechuang.service import Application, Visit

    th = client_as("officer", TINGHU)
    uscc = make("91", TINGHU, "MA9000051")
    assert post_records(th, "enterprise", [{"uscc": uscc, "name": "【演示】亭湖云帆科技有限公司",
                                            "region_code": TINGHU}]).json()["ok"]
    make_user("wang", "officer", TINGHU)
    make_user("zhao", "officer", YANDU)
    page = f"/enterprises/{uscc}"
    assert "分包服务" in th.get(page).text
    # an officer of another district cannot serve it; an unknown user is named
    assert "zhao" in _error_after(th, _post(th, f"{page}/assign", {"officer": "zhao"}))
    assert "“nobody”" in _error_after(th, _post(th, f"{page}/assign", {"officer": "nobody"}))
    assert _error_after(th, _post(th, f"{page}/assign", {"officer": "wang"})) == ""
    assert "wang" in th.get(page).text.split('id="service-officer"')[1][:40]
    # visits: bad dates and empty content refused, nothing stored
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert "晚于今天" in _error_after(th, _post(th, f"{page}/visits", {"visited_on": future, "needs": "用地"}))
    assert "2025-02-30" in _error_after(th, _post(th, f"{page}/visits", {"visited_on": "2025-02-30", "needs": "用地"}))
    assert "不能都为空" in _error_after(th, _post(th, f"{page}/visits", {"visited_on": "2025-03-01"}))
    assert _count(engine, Visit) == 0
    assert _error_after(th, _post(th, f"{page}/visits", {"visited_on": "2025-03-01", "needs": "研发用地紧张",
                                                         "promises": "两周内协调园区"})) == ""
    # application status per program
    assert "“bogus”" in _error_after(th, _post(th, f"{page}/applications",
                                               {"program": "hnte", "year": "2025", "status": "bogus"}))
    assert "“nope”" in _error_after(th, _post(th, f"{page}/applications",
                                              {"program": "nope", "year": "2025", "status": "applied"}))
    assert _error_after(th, _post(th, f"{page}/applications",
                                  {"program": "hnte", "year": "2025", "status": "preparing"})) == ""
    assert _error_after(th, _post(th, f"{page}/applications",
                                  {"program": "hnte", "year": "2025", "status": "applied"})) == ""
    assert _count(engine, Application) == 1
    shown = th.get(page).text.split('id="service"')[1]
    assert "研发用地紧张" in shown and "已申报" in shown and "准备中 → 已申报" in shown
    # wang's own list; another district sees nothing of it
    wang = TestClient(app)
    assert login(wang, "wang").status_code == 303
    listing = wang.get("/service").text
    assert "亭湖云帆科技" in listing and "研发用地紧张" in listing and "已申报" in listing
    yd = client_as("officer", YANDU)
    assert yd.post(f"{page}/visits", data={"csrf_token": _token(yd), "visited_on": "2025-03-02", "needs": "x"},
                   follow_redirects=False).status_code == 404
    assert "亭湖云帆科技" not in yd.get("/service", params={"officer": "*"}).text
    assert "亭湖云帆科技" in client_as("officer", CITY).get("/service", params={"officer": "*"}).text

