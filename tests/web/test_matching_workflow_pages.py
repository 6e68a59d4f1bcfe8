"""揭榜挂帅 pages: quality flags on the demand page and at import, workflow forms with CSRF and
Chinese refusals, the JSON API scoped by region, the funnel with its chart and Excel export."""

import io
import sys
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).parents[1] / "matching"))

from helpers_matching import SUPPLIES, SUPPLY_HEADER, write_csv  # noqa: E402
from test_matching_workflow import GOOD, HEADER, VAGUE  # noqa: E402
from web_helpers import csrf_from  # noqa: E402

from kechuang.ledgers import import_file  # noqa: E402
from kechuang.ledgers.importer import import_bytes  # noqa: E402


def _load(engine, tmp_path):
    assert import_file(engine, "demand", write_csv(tmp_path / "d.csv", HEADER, [GOOD, VAGUE])).ok
    assert import_file(engine, "supply", write_csv(tmp_path / "s.csv", SUPPLY_HEADER, SUPPLIES)).ok


def test_import_reports_quality_advice(engine, tmp_path):
    path = write_csv(tmp_path / "需求.csv", HEADER, [GOOD, VAGUE])
    report = import_bytes(engine, "demand", path.read_bytes(), "需求.csv")
    assert report.ok and report.inserted == 2
    advice = [w for w in report.warnings if "发榜前请完善" in w]
    assert len(advice) == 1 and "第3行" in advice[0] and "W2" in advice[0]
    assert "【技术指标】" in advice[0] and "【榜额】" in advice[0] and "【需求描述】" in advice[0]


def test_demand_page_flags_and_forms_refuse_in_chinese(client_as, engine, tmp_path):
    _load(engine, tmp_path)
    c = client_as("officer", "320214")
    page = c.get("/matching/W2")
    assert page.status_code == 200 and 'id="quality-flags"' in page.text and "已知悉以上问题" in page.text
    assert "发榜前待完善" in c.get("/matching").text
    token = csrf_from(page.text)
    refused = c.post("/matching/W2/publish", data={"csrf_token": token})
    assert refused.status_code == 400 and "发榜前尚需完善" in refused.text
    no_csrf = c.post("/matching/W2/publish", data={"force": "1"})
    assert no_csrf.status_code == 403
    ok = c.post("/matching/W2/publish", data={"csrf_token": token, "force": "1"}, follow_redirects=False)
    assert ok.status_code == 303
    again = c.post("/matching/W2/publish", data={"csrf_token": token, "force": "1"})
    assert again.status_code == 400 and "不能发榜" in again.text
    viewer = client_as("viewer", "320214")
    vt = csrf_from(viewer.get("/matching/W1").text)
    assert 'id="publish-form"' not in viewer.get("/matching/W1").text
    assert viewer.post("/matching/W1/publish", data={"csrf_token": vt}).status_code == 403


def test_api_steps_scope_and_funnel_export(client_as, engine, tmp_path):
    _load(engine, tmp_path)
    c = client_as("officer", "320214")
    token = csrf_from(c.get("/matching").text)
    h = {"X-CSRF-Token": token}
    r = c.post("/api/matching/demands/W1/steps", json={"step": "publish"}, headers=h)
    assert r.status_code == 200 and [s["step"] for s in r.json()] == ["publish"]
    r = c.post("/api/matching/demands/W1/steps", json={"step": "apply", "supply_no": "S3"}, headers=h)
    assert r.status_code == 200
    detail = c.get("/api/matching/demands/W1").json()
    assert detail["demand"]["status"] == "matched"
    bid = detail["bids"][0]
    assert bid["supply_no"] == "S3" and bid["status_label"] == "已揭榜"
    assert any(m["supply"] == "S3" and m["reasons"] for m in detail["matches"])
    r = c.post("/api/matching/demands/W1/steps", json={"step": "sign", "bid_id": bid["id"], "amount": "10",
                                                        "contract_type": "development"}, headers=h)
    assert r.status_code == 400 and "须先评审通过" in r.json()["detail"]
    assert c.post("/api/matching/demands/W1/steps", json={"step": "publish"}).status_code == 403  # no CSRF
    demands = {d["demand_no"]: d for d in c.get("/api/matching/demands").json()}
    assert [f["id"] for f in demands["W2"]["flags"]] == ["indicator", "budget", "deadline", "vague"]
    funnel = c.get("/api/matching/funnel").json()
    assert funnel[-1] == {"region_code": None, "collected": 2, "published": 1, "matched": 1, "signed": 0,
                          "accepted": 0}
    other = client_as("officer", "320211")
    assert other.get("/api/matching/demands").json() == [] and other.get("/api/matching/funnel").json() == []
    assert other.get("/api/matching/demands/W1").status_code == 404
    ot = csrf_from(other.get("/matching").text)
    r = other.post("/api/matching/demands/W1/steps", json={"step": "review", "bid_id": bid["id"], "passed": True},
                   headers={"X-CSRF-Token": ot})
    assert r.status_code == 400 and "管辖范围" in r.json()["detail"]
    page = c.get("/matching/funnel")
    assert page.status_code == 200 and 'id="funnel-chart"' in page.text and "新吴区" in page.text
    x = c.get("/matching/funnel", params={"format": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    head = [cell.value for cell in ws[1]]
    last = dict(zip(head, [cell.value for cell in ws[ws.max_row]]))
    assert head[:6] == ["地区", "征集", "发榜", "揭榜", "签约", "验收"] and last["地区"] == "合计" and last["征集"] == 2
