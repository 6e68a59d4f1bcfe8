"""Confidential fields of demands and supplies (保密信息, 联系电话): only officers of the owning region
(or above) see them — in the ledger list, its Excel export, the JSON API and the 揭榜挂帅 page."""

import io

import openpyxl

from kechuang.ledgers.importer import import_records

SECRET = "核心配方为X-17，仅限签约后提供"
DEMAND = {"需求编号": "C1", "需求名称": "高耐候聚酯涂层配方优化", "需求描述": "户外彩涂钢板用聚酯涂层两年内粉化，需要提高耐候性。",
          "技术指标": "QUV老化1000小时保光率不低于80%", "行政区划代码": "320214", "联系电话": "0510-88886666",
          "保密信息": SECRET}


def _export_rows(client, url):
    x = client.get(url)
    assert x.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    head = [c.value for c in ws[1]]
    return [dict(zip(head, [c.value for c in r])) for r in ws.iter_rows(min_row=2)]


def test_restricted_detail_only_for_officers_of_the_owning_region(client_as, engine):
    assert import_records(engine, "demand", [DEMAND]).ok
    seen = {}
    for who, role, region in (("officer", "officer", "320214"), ("city", "officer", "320200"),
                              ("viewer", "viewer", "320214"), ("admin", "admin", None),
                              ("other_officer_city_viewer", "viewer", "320200")):
        c = client_as(role, region)
        rows = _export_rows(c, "/ledgers/demand.xlsx")
        api = c.get("/api/ledgers/demand").json()["records"]
        page = c.get("/matching/C1")
        assert rows and api and page.status_code == 200
        seen[who] = (rows[0]["保密信息"], api[0]["restricted_detail"], api[0]["phone"], SECRET in page.text)
        assert rows[0]["需求名称"] == "高耐候聚酯涂层配方优化"  # the public part is always there
    assert seen["officer"] == (SECRET, SECRET, "0510-88886666", True)
    assert seen["city"] == (SECRET, SECRET, "0510-88886666", True)
    assert seen["admin"][:3] == (SECRET, SECRET, "0510-88886666")
    for who in ("viewer", "other_officer_city_viewer"):
        assert seen[who] == (None, None, None, False), who
    outsider = client_as("officer", "320211")
    assert outsider.get("/api/ledgers/demand").json()["records"] == []
    assert outsider.get("/matching/C1").status_code == 404
