"""预警与督办 on the web: a rule firing and not firing at its threshold, a warning turned into a task,
bad input refused in Chinese with nothing half-changed, scope, Excel export and the overview count."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
from sqlalchemy import func, select

from kechuang import db
from kechuang.audit import AuditEntry
from kechuang.ledgers.uscc import make
from kechuang.warnings import Task, evaluate
from web_helpers import csrf_from

CITY, TINGHU, YANDU = "320900", "320902", "320903"
TODAY = dt.date.today()


def _token(client, path="/warnings") -> str:
    return csrf_from(client.get(path).text)


def _post(client, path, data):
    return client.post(path, data={"csrf_token": _token(client), **data}, follow_redirects=False)


def _error_after(client, r) -> str:
    assert r.status_code == 303, r.text[:300]
    m = re.search(r'<p class="error" role="alert">(.*?)</p>', client.get(r.headers["location"]).text, re.S)
    return m.group(1) if m else ""


def _cert(client, uscc, region, expires_on: dt.date, name="【演示】预警测试科技有限公司"):
    headers = {"X-CSRF-Token": _token(client)}
    r = client.post("/api/ledgers/enterprise", json={"records": [{"uscc": uscc, "name": name, "region_code": region}]},
                    headers=headers)
    assert r.json()["ok"], r.text
    r = client.post("/api/ledgers/certification", json={"records": [{
        "uscc": uscc, "cert_type": "hnte", "level": "national", "year": expires_on.year - 3,
        "issued_on": (expires_on - dt.timedelta(days=1000)).isoformat(), "expires_on": expires_on.isoformat()}]},
        headers=headers)
    assert r.json()["ok"], r.text


def _count(engine, model, *where) -> int:
    with db.session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_certificate_rule_fires_at_90_days_and_not_at_91(client_as, engine):
    th = client_as("officer", TINGHU)
    at, past = make("91", TINGHU, "MA9100001"), make("91", TINGHU, "MA9100002")
    _cert(th, at, TINGHU, TODAY + dt.timedelta(days=90))
    _cert(th, past, TINGHU, TODAY + dt.timedelta(days=91))
    with db.session_scope(engine) as s:
        fired = {w.uscc for w in evaluate(s, None, TODAY, only="cert_expiring")}
        assert at in fired and past not in fired
        # an expired certificate is no longer "expiring"
        assert at not in {w.uscc for w in evaluate(s, None, TODAY + dt.timedelta(days=91), only="cert_expiring")}
    page = th.get("/warnings").text
    assert "剩 90 天" in page and "证书即将到期" in page


def test_warning_becomes_task_answered_and_closed_with_audit(client_as, make_user, engine):
    th = client_as("officer", TINGHU)
    uscc = make("91", TINGHU, "MA9100003")
    _cert(th, uscc, TINGHU, TODAY + dt.timedelta(days=30))
    make_user("zhang", "officer", TINGHU)
    with db.session_scope(engine) as s:
        key = next(w.key for w in evaluate(s, None, TODAY, only="cert_expiring") if w.uscc == uscc)
    due = (TODAY + dt.timedelta(days=7)).isoformat()
    assert _error_after(th, _post(th, "/warnings/tasks", {"key": key, "assignee": "zhang", "due_on": due})) == ""
    with db.session_scope(engine) as s:
        t = s.scalar(select(Task))
        assert (t.assignee, t.due_on.isoformat(), t.status, t.region_code) == ("zhang", due, "open", TINGHU)
        tid = t.id
    page = th.get("/warnings").text
    assert "已督办" in page and "待办" in page
    # closing before any response is refused
    assert "须先回复" in _error_after(th, _post(th, f"/warnings/tasks/{tid}/finish", {}))
    assert _error_after(th, _post(th, f"/warnings/tasks/{tid}/respond", {"response": "已联系企业准备重新认定"})) == ""
    assert _error_after(th, _post(th, f"/warnings/tasks/{tid}/finish", {})) == ""
    with db.session_scope(engine) as s:
        t = s.get(Task, tid)
        assert (t.status, t.response) == ("closed", "已联系企业准备重新认定")
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.entity == "warning_task"))]
    assert actions == ["create", "respond", "finish"]


def test_bad_task_input_is_refused_naming_field_and_value(client_as, make_user, engine):
    th = client_as("officer", TINGHU)
    uscc = make("91", TINGHU, "MA9100004")
    _cert(th, uscc, TINGHU, TODAY + dt.timedelta(days=10))
    make_user("yd_officer", "officer", YANDU)
    make_user("th_officer", "officer", TINGHU)
    with db.session_scope(engine) as s:
        key = next(w.key for w in evaluate(s, None, TODAY, only="cert_expiring") if w.uscc == uscc)
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    err = _error_after(th, _post(th, "/warnings/tasks", {"key": key, "assignee": "th_officer", "due_on": yesterday}))
    assert "办理期限" in err and yesterday in err and "早于今天" in err
    err = _error_after(th, _post(th, "/warnings/tasks", {"key": key, "assignee": "th_officer", "due_on": "明天"}))
    assert "办理期限" in err and "明天" in err
    due = (TODAY + dt.timedelta(days=3)).isoformat()
    err = _error_after(th, _post(th, "/warnings/tasks", {"key": key, "assignee": "yd_officer", "due_on": due}))
    assert "督办人" in err and "yd_officer" in err and "所辖地区" in err
    err = _error_after(th, _post(th, "/warnings/tasks", {"key": key, "assignee": "nobody", "due_on": due}))
    assert "督办人" in err and "nobody" in err
    assert _count(engine, Task) == 0
    assert _count(engine, AuditEntry, AuditEntry.entity == "warning_task") == 0


def test_scope_export_and_overdue_on_overview(client_as, make_user, engine):
    th = client_as("officer", TINGHU)
    yd = client_as("officer", YANDU)
    mine, theirs = make("91", TINGHU, "MA9100005"), make("91", YANDU, "MA9100006")
    _cert(th, mine, TINGHU, TODAY + dt.timedelta(days=20), name="【演示】亭湖预警科技")
    _cert(yd, theirs, YANDU, TODAY + dt.timedelta(days=20), name="【演示】盐都预警材料")
    page = th.get("/warnings").text
    assert "亭湖预警科技" in page and "盐都预警材料" not in page
    with db.session_scope(engine) as s:
        other = next(w.key for w in evaluate(s, None, TODAY, only="cert_expiring") if w.uscc == theirs)
    make_user("yd2", "officer", YANDU)
    r = _post(th, "/warnings/tasks", {"key": other, "assignee": "yd2", "due_on": TODAY.isoformat()})
    assert r.status_code == 404  # another district's warning is not found from here
    wb = openpyxl.load_workbook(io.BytesIO(th.get("/warnings.xlsx").content))
    texts = [row[3] for row in wb["预警"].iter_rows(min_row=2, values_only=True)]
    assert any("亭湖预警科技" in t for t in texts) and not any("盐都预警材料" in t for t in texts)
    # a task due today, moved into the past: overdue on 总览 with a link
    with db.session_scope(engine) as s:
        key = next(w.key for w in evaluate(s, None, TODAY, only="cert_expiring") if w.uscc == mine)
    make_user("th2", "officer", TINGHU)
    assert _error_after(th, _post(th, "/warnings/tasks", {"key": key, "assignee": "th2",
                                                           "due_on": TODAY.isoformat()})) == ""
    assert "没有逾期的督办任务" in th.get("/").text
    with db.session_scope(engine) as s:
        s.scalar(select(Task)).due_on = TODAY - dt.timedelta(days=2)
    overview = th.get("/").text
    assert re.search(r'<strong class="error">1</strong> 项督办任务已逾期', overview) and 'href="/warnings"' in overview
    assert "没有逾期的督办任务" in yd.get("/").text  # not another district's
    assert "已逾期" in th.get("/warnings").text
    assert th.get("/warnings", params={"rule": "nope"}).status_code == 400


def test_round_rule_fires_the_day_after_the_deadline_not_on_it(engine):
    from kechuang.rounds import open_round, submission_of

    deadline = dt.date(2026, 4, 10)
    with db.session_scope(engine) as s:
        r = open_round(s, region_code=CITY, period_kind="quarter", period="2026-Q1", kinds=["tech_contract"],
                       deadline=deadline, username="city")
        rid = r.id
    with db.session_scope(engine) as s:
        assert evaluate(s, None, deadline, only="round_overdue") == []
        late = {w.region_code for w in evaluate(s, None, deadline + dt.timedelta(days=1), only="round_overdue")}
        assert TINGHU in late and YANDU in late
        scoped = {w.region_code for w in evaluate(s, {TINGHU}, deadline + dt.timedelta(days=1), only="round_overdue")}
        assert scoped == {TINGHU}
        submission_of(s, rid, TINGHU).status = "submitted"  # as submit() leaves it after an upload
    with db.session_scope(engine) as s:
        late = {w.region_code for w in evaluate(s, None, deadline + dt.timedelta(days=1), only="round_overdue")}
        assert TINGHU not in late and YANDU in late
