import datetime as dt
import io
import re

import openpyxl
import polars as pl
import sqlalchemy as sa

from kechuang.ledgers import load_frame
from kechuang.ledgers.demo import generate_city
from kechuang.ledgers.uscc import make
from web_helpers import csrf_from

TODAY = dt.date(2026, 11, 25)


def _demo(engine):
    generate_city(engine, "320900", enterprises=200, seed=11, today=TODAY)


def test_index_counts_scoped(engine, client_as):
    _demo(engine)
    admin = client_as("admin")
    page = admin.get("/ledgers")
    assert page.status_code == 200 and "企业年度数据" in page.text
    total = load_frame(engine, "enterprise").height
    assert f">{total:,}<" in page.text
    district = client_as("officer", "320902")
    page = district.get("/ledgers")
    n = load_frame(engine, "enterprise", {"320902"}).height
    assert n < total and f">{n:,}<" in page.text


def test_kind_page_filters_sort_paging_and_export(engine, client_as):
    _demo(engine)
    c = client_as("officer", "320900")
    page = c.get("/ledgers/certification", params={"cert_type": "hnte", "size": 20})
    assert page.status_code == 200
    hnte = load_frame(engine, "certification").filter(pl.col("cert_type") == "hnte").height
    assert f"共 {hnte:,} 条" in page.text
    assert "科技型中小企业" not in re.sub(r"<select.*?</select>", "", page.text, flags=re.S)
    # keyset paging walks all rows exactly once
    seen, url = 0, "/ledgers/enterprise?size=50"
    while url:
        p = c.get(url)
        seen += p.text.count('href="/enterprises/')
        m = re.search(r'href="([^"]+)" id="next-page"', p.text)
        url = ("/ledgers/enterprise" + m.group(1).replace("&amp;", "&")) if m else None
    assert seen == 200
    # export honours filters
    resp = c.get("/ledgers/certification.xlsx", params={"cert_type": "hnte"})
    assert resp.status_code == 200 and "filename*=UTF-8''" in resp.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).worksheets[0]
    assert ws.max_row - 1 == hnte
    col = [c.value for c in ws[1]].index("资质类型")
    assert {r[col] for r in ws.iter_rows(min_row=2, values_only=True)} == {"高新技术企业"}
    sorted_page = c.get("/ledgers/enterprise_year", params={"sort": "revenue", "desc": 1, "size": 20})
    assert sorted_page.status_code == 200
    tmpl = c.get("/ledgers/talent/template.xlsx")
    assert tmpl.status_code == 200 and tmpl.content[:2] == b"PK"


def test_upload_reports_problems_and_imports(engine, client_as):
    c = client_as("officer", "320902")
    page = c.get("/ledgers/enterprise")
    token = csrf_from(page.text)
    wb = openpyxl.Workbook()
    ws = wb.active
    good = make("91", "320902", "MA1000011")
    ws.append(["统一社会信用代码", "企业名称", "行政区划代码"])
    ws.append([good, "【演示】好企业", "320902"])
    ws.append([good[:17] + ("1" if good[17] != "1" else "2"), "【演示】坏企业", "320903"])
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("企业.xlsx", buf.getvalue(),
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    resp = c.post("/ledgers/enterprise/import", files=files, data={"csrf_token": token})
    assert resp.status_code == 422
    assert "校验位错误" in resp.text and "不在您的管辖范围" in resp.text
    assert load_frame(engine, "enterprise").height == 0
    ws.delete_rows(3)
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("企业.xlsx", buf.getvalue(), "application/octet-stream")}
    resp = c.post("/ledgers/enterprise/import", files=files, data={"csrf_token": token})
    assert resp.status_code == 200 and "新增 1 条" in resp.text
    # the dashboards' decoded copy of the ledger is refreshed in the background
    import time

    from kechuang.targets.metrics import _disk_cache_dir

    for _ in range(100):
        cached = list(_disk_cache_dir(engine).glob("enterprise-*.parquet"))
        if cached:
            break
        time.sleep(0.1)
    assert cached and pl.read_parquet(cached[0]).get_column("uscc").to_list() == [good]
    # no CSRF token → refused
    resp = c.post("/ledgers/enterprise/import", files=files)
    assert resp.status_code == 403


def test_enterprise_page_scoped(engine, client_as):
    _demo(engine)
    ent = load_frame(engine, "enterprise")
    row = ent.filter(pl.col("region_code") == "320902").row(0, named=True)
    other = ent.filter(pl.col("region_code") == "320903").row(0, named=True)
    c = client_as("officer", "320902")
    page = c.get(f"/enterprises/{row['uscc']}")
    assert page.status_code == 200 and row["name"] in page.text
    with engine.connect() as conn:
        kinds = {k for (k,) in conn.execute(sa.text("SELECT DISTINCT kind FROM ledger_records WHERE uscc=:u"),
                                             {"u": row["uscc"]})}
    for k in kinds - {"enterprise"}:
        assert f'data-kind="{k}"' in page.text
    assert c.get(f"/enterprises/{other['uscc']}").status_code == 404


def test_enterprise_panels_hook(engine, client_as, tmp_path):
    from kechuang.web.routes import ledgers as routes

    _demo(engine)
    uscc = load_frame(engine, "enterprise").get_column("uscc")[0]
    routes.ENTERPRISE_PANELS.append("ledgers/_test_panel_missing.html")  # ignored when missing
    try:
        page = client_as("admin").get(f"/enterprises/{uscc}")
        assert page.status_code == 200
    finally:
        routes.ENTERPRISE_PANELS.pop()


def test_markup_in_a_ledger_value_is_shown_as_text_in_the_list(engine, client_as):
    from markupsafe import escape

    from kechuang.web.deps import esc

    for value in ["<b>甲&乙</b>\"公司'", "【演示】好企业", 12.5, "", "&amp;"]:
        assert esc(value) == str(escape(value))
    c = client_as("officer", "320902")
    token = csrf_from(c.get("/ledgers/enterprise").text)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "行政区划代码"])
    ws.append([make("91", "320902", "MA1000022"), "【演示】<script>x</script>&\"甲'", "320902"])
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("企业.xlsx", buf.getvalue(), "application/octet-stream")}
    assert c.post("/ledgers/enterprise/import", files=files, data={"csrf_token": token}).status_code == 200
    page = c.get("/ledgers/enterprise").text
    assert "【演示】&lt;script&gt;x&lt;/script&gt;&amp;&#34;甲&#39;" in page
    assert "<script>x</script>" not in page
