"""政策兑现 pages: items, payers (chart), the 免申即享 list in Excel, payout steps with CSRF, the
enterprise panel, the JSON API, all scoped by region."""

from __future__ import annotations

import io

import openpyxl

from kechuang.ledgers.importer import import_records
from kechuang.ledgers.uscc import check_char
from web_helpers import csrf_from


def uscc(n: int) -> str:
    s = f"91320900MA1{n:06d}"
    return s + check_char(s)


A, B, W = uscc(1), uscc(2), uscc(3)


def _load(engine):
    assert import_records(engine, "enterprise", [{"uscc": A, "name": "盐甲科技", "region_code": "320902"},
                                                 {"uscc": B, "name": "盐乙科技", "region_code": "320903"},
                                                 {"uscc": W, "name": "锡丙科技", "region_code": "320213"}]).ok
    assert import_records(engine, "certification", [
        {"uscc": A, "cert_type": "hnte", "level": "national", "issued_on": "2024-11-01"},
        {"uscc": B, "cert_type": "hnte", "level": "national", "issued_on": "2024-11-01"},
        {"uscc": W, "cert_type": "hnte", "level": "national", "issued_on": "2024-11-01"}]).ok
    assert import_records(engine, "enterprise_year", [{"uscc": A, "year": y, "dishonest_list": False}
                                                      for y in (2023, 2024)]).ok


def test_page_export_and_payout_steps(client_as, engine):
    _load(engine)
    c = client_as("officer", "320900")
    page = c.get("/awards", params={"year": 2024})
    assert page.status_code == 200
    assert "高新技术企业首次认定奖励（演示）" in page.text and 'class="chart"' in page.text
    assert "锡丙科技" not in page.text  # another city's enterprise is out of scope
    assert "演示" in page.text and "数据缺失" in page.text  # B has no credit data: needs an application
    x = c.get("/awards", params={"year": 2024, "format": "xlsx", "only": "free"})
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames == ["免申即享名单"]
    rows = list(wb.active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == A and rows[1][7] == 20
    token = csrf_from(page.text)
    assert c.post("/awards/generate", data={"year": "2024"}, follow_redirects=False).status_code in (400, 403)
    r = c.post("/awards/generate", data={"year": "2024", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get("/awards", params={"year": 2024})
    assert 'data-payout="1"' in page.text and "企业已确认" in page.text
    assert c.post("/awards/payouts/1", data={"to": "paid", "csrf_token": token}).status_code == 400
    assert c.post("/awards/payouts/1", data={"to": "confirmed", "csrf_token": token},
                  follow_redirects=False).status_code == 303
    assert c.post("/awards/payouts/1", data={"to": "paid", "csrf_token": token},
                  follow_redirects=False).status_code == 303
    ent = c.get(f"/enterprises/{A}")
    assert 'id="enterprise-awards"' in ent.text and "已拨付" in ent.text
    other = client_as("officer", "320213")
    assert other.post("/awards/payouts/1", data={"to": "paid", "csrf_token": csrf_from(other.get("/awards").text)}
                      ).status_code == 400


def test_api_scoped(client_as, engine):
    _load(engine)
    c = client_as("officer", "320213")
    recs = c.get("/api/awards", params={"year": 2024}).json()
    assert {r["uscc"] for r in recs} == {W}
    assert c.get("/api/awards", params={"year": 2024, "region": "320900"}).status_code == 403
    admin = client_as("admin")
    recs = admin.get("/api/awards", params={"year": 2024, "region": "盐城市"}).json()
    assert {r["uscc"] for r in recs} == {A, B}
    budget = admin.get("/api/awards/budget", params={"year": 2024, "region": "盐城市"}).json()
    assert {(b["status"], b["level"], b["amount"]) for b in budget} >= {("payable", "prefecture", "10")}
