"""Reporting rounds on the web beyond file upload: figures typed cell by cell (checked as an upload
is, refused naming row, field and value, nothing half-saved), a round closed (关闭/归档) accepting
nothing more, and each round's and region's 最后更新 / 更新人."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import func, select

from kechuang import db
from kechuang.ledgers.store import LedgerRecord
from kechuang.ledgers.uscc import make
from kechuang.rounds import RoundFile
from test_office_pages import CITY, TINGHU, YANDU, _error_after, _open_round, _post, _token

KIND = "tech_contract"


def _rid(response) -> int:
    return int(response.headers["location"].rsplit("/", 1)[1])


def _cells(rows: list[dict[str, str]]) -> dict[str, str]:
    return {f"c{i}.{fid}": v for i, row in enumerate(rows, 1) for fid, v in row.items()}


def _fill(client, rid: int, region: str, rows: list[dict[str, str]], **extra):
    page = f"/rounds/{rid}/{region}/fill/{KIND}"
    return client.post(page, data={"csrf_token": _token(client, page), **_cells(rows), **extra},
                       follow_redirects=False)


def _contract(no: str, amount: str, uscc: str, region: str = TINGHU, **more) -> dict[str, str]:
    return {"contract_no": no, "contract_name": "星河技术开发", "contract_type": "技术开发", "uscc": uscc,
            "region_code": region, "amount": amount, "registered_on": dt.date.today().isoformat(), **more}


def _files(engine) -> list[tuple[str, int]]:
    with db.session_scope(engine) as s:
        return [(f.filename, f.rows) for f in s.scalars(select(RoundFile).order_by(RoundFile.id))]


def _alert(html: str) -> str:
    m = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return m.group(1) if m else ""


def test_figures_typed_on_the_web_are_checked_like_a_file_and_flow_into_the_ledger(client_as, engine):
    city, th = client_as("officer", CITY), client_as("officer", TINGHU)
    rid = _rid(_open_round(city))
    ent = make("91", TINGHU, "MA9000061")
    form = th.get(f"/rounds/{rid}/{TINGHU}/fill/{KIND}")
    assert form.status_code == 200
    assert "合同成交额" in form.text and "合同类型" in form.text and 'name="c1.amount"' in form.text
    assert f'/rounds/{rid}/{TINGHU}/fill/{KIND}' in th.get(f"/rounds/{rid}").text  # linked from the board

    # nothing typed: refused, nothing kept
    r = _fill(th, rid, TINGHU, [{"amount": "  "}])
    assert r.status_code == 400 and "没有填写任何数据" in _alert(r.text) and _files(engine) == []

    # row 1 blank, row 2 good, row 3 bad in three ways: each named by its row, field and value;
    # nothing is kept and what was typed stays on the form
    rows = [{}, _contract("HT-W1", "30", ent),
            _contract("HT-W2", "-5", ent, registered_on="2026-02-30", contract_type="技术捐赠")]
    r = _fill(th, rid, TINGHU, rows)
    msg = _alert(r.text)
    assert r.status_code == 400 and "未保存" in msg
    assert "第3行,字段“合同成交额”,值“-5”" in msg
    assert "第3行,字段“登记日期”,值“2026-02-30”" in msg
    assert "第3行,字段“合同类型”,值“技术捐赠”" in msg
    assert "第2行" not in msg
    assert _files(engine) == []
    assert 'value="HT-W2"' in r.text and 'value="-5"' in r.text and 'aria-invalid="true"' in r.text
    # a row of another district is refused too (the round's figures are the district's own)
    r = _fill(th, rid, TINGHU, [_contract("HT-W3", "10", make("91", YANDU, "MA9000062"), region=YANDU)])
    assert r.status_code == 400 and "盐都区" in _alert(r.text) and _files(engine) == []

    # two good rows are kept as the district's figures for the ledger, and show on the form again
    r = _fill(th, rid, TINGHU, [_contract("HT-W1", "30", ent), {}, _contract("HT-W2", "12.5", ent)])
    assert r.status_code == 303, r.text[:500]
    assert _files(engine) == [("网页填报-技术合同.csv", 2)]
    again = th.get(f"/rounds/{rid}/{TINGHU}/fill/{KIND}").text
    assert 'value="HT-W2"' in again and 'value="12.5"' in again and '<option value="技术开发" selected>' in again
    # a later bad save keeps the earlier figures whole
    assert _fill(th, rid, TINGHU, [_contract("HT-W1", "abc", ent)]).status_code == 400
    assert _files(engine) == [("网页填报-技术合同.csv", 2)]
    # "more rows" saves nothing and keeps what was typed
    r = _fill(th, rid, TINGHU, [_contract("HT-W9", "1", ent)], more="1")
    assert r.status_code == 200 and 'value="HT-W9"' in r.text and 'name="c6.amount"' in r.text
    assert _files(engine) == [("网页填报-技术合同.csv", 2)]

    # submitted: the form is read-only and a save is refused
    assert _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/submit")) == ""
    assert "不能修改" in th.get(f"/rounds/{rid}/{TINGHU}/fill/{KIND}").text
    r = _fill(th, rid, TINGHU, [_contract("HT-W1", "99", ent)])
    assert r.status_code == 400 and "已提交待审核,不能再修改" in _alert(r.text)
    assert _error_after(city, _post(city, f"/rounds/{rid}/{TINGHU}/approve")) == ""
    with db.session_scope(engine) as s:
        amounts = sorted(Decimal(str(x.data["amount"])) for x in s.scalars(
            select(LedgerRecord).where(LedgerRecord.kind == KIND)))
    assert amounts == [Decimal("12.5"), Decimal("30")]
    history = city.get(f"/rounds/{rid}").text.split('id="history"', 1)[1]
    assert "网页填报" in history


def test_the_fill_form_is_the_districts_own(client_as, engine):
    city, th, yd = client_as("officer", CITY), client_as("officer", TINGHU), client_as("officer", YANDU)
    rid = _rid(_open_round(city))
    ent = make("91", TINGHU, "MA9000063")
    assert yd.get(f"/rounds/{rid}/{TINGHU}/fill/{KIND}").status_code == 403
    r = yd.post(f"/rounds/{rid}/{TINGHU}/fill/{KIND}",
                data={"csrf_token": _token(yd), **_cells([_contract("HT-X", "5", ent)])}, follow_redirects=False)
    assert r.status_code == 403 and _files(engine) == []
    assert th.get(f"/rounds/{rid}/{TINGHU}/fill/talent").status_code == 404  # not asked by the round
    assert th.get(f"/rounds/{rid}/{CITY}/fill/{KIND}").status_code == 403  # the city is not a reporter
    assert th.get(f"/rounds/{rid + 99}/{TINGHU}/fill/{KIND}").status_code == 404


def test_a_closed_round_accepts_nothing_and_stops_its_warnings(client_as, engine):
    from kechuang.warnings import evaluate

    city, th, yd = client_as("officer", CITY), client_as("officer", TINGHU), client_as("officer", YANDU)
    rid = _rid(_open_round(city, deadline="2020-01-10", period="2019-12", period_kind="month"))
    ent = make("91", TINGHU, "MA9000064")
    assert _fill(th, rid, TINGHU, [_contract("HT-C1", "8", ent, registered_on="2019-12-05")]).status_code == 303
    assert _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/submit")) == ""
    # a district cannot close the city's round
    assert th.post(f"/rounds/{rid}/close", data={"csrf_token": _token(th)}, follow_redirects=False).status_code == 403
    # a submission awaiting review must be decided first
    msg = _error_after(city, _post(city, f"/rounds/{rid}/close"))
    assert "亭湖区" in msg and "待审核" in msg
    with db.session_scope(engine) as s:
        assert {w.region_code for w in evaluate(s, None, only="round_overdue")} >= {YANDU}
    assert _error_after(city, _post(city, f"/rounds/{rid}/{TINGHU}/approve")) == ""
    assert _error_after(city, _post(city, f"/rounds/{rid}/close")) == ""
    page = city.get(f"/rounds/{rid}").text
    assert "已关闭" in page and 'id="close-round"' not in page and "结束填报" in page.split('id="history"', 1)[1]
    # nothing more: not an upload, a typed figure, a submission, a review or a second close
    csv = "合同登记编号,合同名称,合同类型,统一社会信用代码,合同成交额,登记日期\nHT-C2,甲,技术开发,{},1,2019-12-06\n"
    msg = _error_after(yd, _post(yd, f"/rounds/{rid}/{YANDU}/upload", {"kind": KIND},
                                 files={"file": ("迟交.csv", csv.format(make("91", YANDU, "MA9000065")).encode(),
                                                 "text/csv")}))
    assert "已关闭" in msg
    r = _fill(yd, rid, YANDU, [_contract("HT-C3", "1", make("91", YANDU, "MA9000066"), region=YANDU)])
    assert r.status_code == 400 and "已关闭" in _alert(r.text)
    assert "已关闭" in _error_after(yd, _post(yd, f"/rounds/{rid}/{YANDU}/submit"))
    assert "已关闭" in _error_after(city, _post(city, f"/rounds/{rid}/close"))
    assert 'type="file"' not in yd.get(f"/rounds/{rid}").text
    # the district that never reported stays 未提交 on the record, but is no longer warned about
    assert "未提交" in city.get(f"/rounds/{rid}").text
    with db.session_scope(engine) as s:
        assert [w for w in evaluate(s, None, only="round_overdue") if w.subject == str(rid)] == []
        assert s.scalar(select(func.count()).select_from(RoundFile)) == 1


def test_rounds_show_when_and_by_whom_they_were_last_changed(client_as, engine):
    city, th = client_as("officer", CITY), client_as("officer", TINGHU)
    rid = _rid(_open_round(city))
    city_name, th_name = city.get("/api/me").json()["username"], th.get("/api/me").json()["username"]
    listing = city.get("/rounds").text
    assert "最后更新" in listing and f'<td class="last-by">{city_name}</td>' in listing
    assert _fill(th, rid, TINGHU, [_contract("HT-U1", "3", make("91", TINGHU, "MA9000067"))]).status_code == 303
    listing = city.get("/rounds").text
    assert f'<td class="last-by">{th_name}</td>' in listing
    page = city.get(f"/rounds/{rid}").text
    assert re.search(rf"最后更新:\d{{4}}-\d\d-\d\d \d\d:\d\d · 更新人:{th_name}", page)
    row = page.split(f'id="r{TINGHU}"', 1)[1].split("</tr>", 1)[0]
    assert f'<td class="last-by">{th_name}</td>' in row
    other = page.split(f'id="r{YANDU}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="last-by">—</td>' in other


def test_an_uploaded_workbook_shows_on_the_form_as_typed_values(client_as, engine):
    import io

    import openpyxl

    city, th = client_as("officer", CITY), client_as("officer", TINGHU)
    rid = _rid(_open_round(city))
    wb = openpyxl.Workbook()
    wb.active.append(["合同登记编号", "合同名称", "合同类型", "统一社会信用代码", "行政区划代码", "合同成交额", "登记日期"])
    wb.active.append(["HT-X1", "乙", "技术服务", make("91", TINGHU, "MA9000068"), TINGHU, 12.5, dt.datetime(2025, 1, 6)])
    buf = io.BytesIO()
    wb.save(buf)
    assert _error_after(th, _post(th, f"/rounds/{rid}/{TINGHU}/upload", {"kind": KIND},
                                  files={"file": ("一季度.xlsx", buf.getvalue(), "application/octet-stream")})) == ""
    form = th.get(f"/rounds/{rid}/{TINGHU}/fill/{KIND}").text
    assert 'value="2025-01-06"' in form and 'value="12.5"' in form and '<option value="技术服务" selected>' in form
    # saved back unchanged from the form, it is the same figures, now typed
    cells = {f"c1.{k}": v for k, v in {"contract_no": "HT-X1", "contract_name": "乙", "contract_type": "技术服务",
                                       "uscc": make("91", TINGHU, "MA9000068"), "region_code": TINGHU,
                                       "amount": "12.5", "registered_on": "2025-01-06"}.items()}
    page = f"/rounds/{rid}/{TINGHU}/fill/{KIND}"
    assert th.post(page, data={"csrf_token": _token(th, page), **cells}, follow_redirects=False).status_code == 303
    assert _files(engine) == [("网页填报-技术合同.csv", 1)]


def test_the_city_extends_a_deadline_with_a_reason_and_lateness_counts_from_the_new_date(client_as, engine):
    from kechuang.warnings import evaluate

    city, th = client_as("officer", CITY), client_as("officer", TINGHU)
    rid = _rid(_open_round(city, deadline="2020-01-10", period="2019-12", period_kind="month"))
    with db.session_scope(engine) as s:
        assert {w.region_code for w in evaluate(s, None, only="round_overdue") if w.subject == str(rid)} >= {TINGHU}
    # a district cannot move the city's deadline
    r = th.post(f"/rounds/{rid}/deadline", data={"csrf_token": _token(th), "deadline": "2099-01-31", "reason": "x"},
                follow_redirects=False)
    assert r.status_code == 403
    # bad input: named field and value, nothing changed
    for data, words in [({"deadline": "2020-13-01", "reason": "系统故障"}, ["新截止日期", "2020-13-01"]),
                        ({"deadline": "2020-01-05", "reason": "系统故障"}, ["新截止日期", "2020-01-05", "2020-01-10"]),
                        ({"deadline": "2099-01-31", "reason": "  "}, ["延期原因"])]:
        msg = _error_after(city, _post(city, f"/rounds/{rid}/deadline", data))
        assert all(w in msg for w in words), msg
    assert "2020-01-10" in city.get(f"/rounds/{rid}").text
    assert _error_after(city, _post(city, f"/rounds/{rid}/deadline",
                                    {"deadline": "2099-01-31", "reason": "年底系统维护,延期一个月"})) == ""
    page = city.get(f"/rounds/{rid}").text
    assert "2099-01-31" in page and "延期" in page.split('id="history"', 1)[1]
    with db.session_scope(engine) as s:
        assert [w for w in evaluate(s, None, only="round_overdue") if w.subject == str(rid)] == []
    # a closed round cannot be extended
    assert _error_after(city, _post(city, f"/rounds/{rid}/close")) == ""
    assert "已关闭" in _error_after(city, _post(city, f"/rounds/{rid}/deadline",
                                                {"deadline": "2099-02-28", "reason": "再延"}))
