"""JSON API: ledger records in and out, and profile evaluation, with the same rules as the CLI."""

from __future__ import annotations

from kechuang.ledgers.uscc import make
from web_helpers import csrf_from

U1 = make("91", "320902", "MA1000031")
U2 = make("91", "320902", "MA1000032")


def _token(c) -> dict:
    return {"X-CSRF-Token": csrf_from(c.get("/").text)}


def test_ledger_records_in_and_out(client_as):
    c = client_as("officer", "320902")
    h = _token(c)
    good = {"uscc": U1, "name": "【演示】接口企业", "region_code": "320902", "registered_on": "2019-04-01",
            "above_scale": True}
    bad_check = {"统一社会信用代码": U2[:17] + ("0" if U2[17] != "0" else "1"), "企业名称": "坏", "行政区划代码": "320902"}
    other_district = {"uscc": make("91", "320903", "MA1000033"), "name": "外区", "region_code": "320903"}
    assert c.post("/api/ledgers/enterprise", json={"records": [good]}).status_code == 403  # no CSRF token
    r = c.post("/api/ledgers/enterprise", json={"records": [good, bad_check, other_district]}, headers=h)
    body = r.json()
    assert r.status_code == 200 and body["ok"] is False and body["inserted"] == 0
    by_record = {p["record"]: p for p in body["problems"]}
    assert "校验位错误" in by_record[1]["reason"] and by_record[1]["field"] == "uscc"
    assert "管辖范围" in by_record[2]["reason"]
    assert c.get("/api/ledgers/enterprise").json()["total"] == 0  # all or nothing

    body = c.post("/api/ledgers/enterprise", json={"records": [good]}, headers=h).json()
    assert body["ok"] and body["inserted"] == 1
    year = {"uscc": U1, "year": 2024, "revenue": "3500.5", "rd_expense": 120}
    body = c.post("/api/ledgers/enterprise_year", json={"records": [year]}, headers=h).json()
    assert body["ok"], body["problems"]
    page = c.get("/api/ledgers/enterprise").json()
    assert page["total"] == 1 and page["next_after"] is None
    [rec] = page["records"]
    assert (rec["uscc"], rec["registered_on"], rec["above_scale"]) == (U1, "2019-04-01", True)
    [yr] = c.get("/api/ledgers/enterprise_year?year=2024").json()["records"]
    assert yr["revenue"] == "3500.5" and yr["rd_expense"] == "120"  # money as exact decimal text
    assert c.get("/api/ledgers/enterprise?region=320903").status_code == 403
    assert client_as("viewer", "320903").get("/api/ledgers/enterprise").json()["total"] == 0


def test_evaluate_matches_the_engine_and_reports_bad_cells(client_as):
    import datetime as dt

    import polars as pl

    from kechuang.programs.engine import evaluate
    from kechuang.programs.explain import public, records
    from kechuang.programs.profiles import profiles_from_table

    c = client_as("viewer", "320900")
    h = _token(c)
    profile = {"uscc": U1, "employees_y1": 100, "tech_staff_y1": 12, "revenue_y1": 5000, "total_assets_y1": 5000,
               "rd_expense_y1": 300, "total_cost_y1": 4000, "ip_class1": 0, "ip_class2": 1,
               "restricted_industry": False, "major_incident": False, "dishonest_list": False}
    r = c.post("/api/evaluate", json={"as_of": "2025-06-01", "program": "tech_sme", "profiles": [profile]},
               headers=h)
    assert r.status_code == 200
    [got] = r.json()
    raw = pl.DataFrame({k: [str(v)] for k, v in profile.items()}, schema={k: pl.String for k in profile})
    expected = [public(x) for x in records(evaluate(profiles_from_table(raw, "t"), ["tech_sme"],
                                                    dt.date(2025, 6, 1), with_inputs=True))]
    assert got == expected[0] and got["uscc"] == U1 and got["result"] in ("pass", "fail", "depends", "unknown")

    r = c.post("/api/evaluate", json={"program": "tech_sme", "profiles": [dict(profile, revenue_y1="很多")]},
               headers=h)
    assert r.status_code == 422 and "很多" in r.json()["detail"] and "revenue_y1" in r.json()["detail"]
    r = c.post("/api/evaluate", json={"program": "no_such", "profiles": [profile]}, headers=h)
    assert r.status_code == 422
