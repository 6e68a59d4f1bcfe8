"""政策文件 pages (reader): list, upload, highlighted text, correction with CSRF, register, Excel."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from web_helpers import csrf_from

TEXT = "盐城晚报讯 市委召开大会。\n\n去年高企总数达2338家。今年力争新招引科技型企业100家。\n"


def _upload(client, name="doc.txt", data=TEXT.encode()):
    token = csrf_from(client.get("/docs").text)
    return client.post("/docs/upload", data={"csrf_token": token}, files={"file": (name, data, "text/plain")},
                       follow_redirects=False)


def test_upload_view_correct_and_export(client_as):
    c = client_as("officer", "320900")
    r = _upload(c)
    assert r.status_code == 303
    page = c.get(r.headers["location"])
    assert page.status_code == 200
    assert "<mark" in page.text and "高企总数达2338家" in page.text
    sid = page.text.split('id="s', 1)[1].split('"', 1)[0]
    token = csrf_from(page.text)
    bad = c.post(f"/docs/statements/{sid}/correct", data={"value": "2338"}, follow_redirects=False)
    assert bad.status_code == 403  # no CSRF token
    ok = c.post(f"/docs/statements/{sid}/correct", data={"csrf_token": token, "value": "2400"},
                follow_redirects=False)
    assert ok.status_code == 303
    assert "已人工更正" in c.get(r.headers["location"]).text
    reg = c.get("/docs/statements", params={"kind": "target", "region": "320900"})
    assert "新招引科技型企业" in reg.text and "高企总数" not in reg.text
    xlsx = c.get("/docs/statements.xlsx", params={"region": "盐城市"})
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    values = [row for row in ws.iter_rows(values_only=True)]
    assert values[0][0] == "文件" and len(values) == 3
    assert c.get("/docs").status_code == 200


def test_bad_upload_and_scope(client_as):
    c = client_as("officer", "320900")
    r = _upload(c, "empty.txt", b"")
    assert r.status_code == 400 and "empty.txt" in r.text
    _upload(c)
    other = client_as("officer", "320200")
    assert other.get("/docs/statements", params={"region": "320900"}).status_code == 403
    assert "高企总数" not in other.get("/docs/statements").text


def test_frame_shown_and_corrected_on_the_document_page(client_as, db_url):
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from kechuang.audit import AuditEntry
    from kechuang.reader.store import Document

    c = client_as("officer", "320900")
    text = "县科技局2023年工作总结\n\n一、2023年工作总结\n\n全县新增高新技术企业30家。\n"
    r = _upload(c, "summary.txt", text.encode())
    page = c.get(r.headers["location"])
    # the officer's region is the default subject of a text that names no place
    assert "文件要素" in page.text and "盐城市" in page.text and "工作总结" in page.text
    doc_id = r.headers["location"].rsplit("/", 1)[1]
    token = csrf_from(page.text)
    bad = c.post(f"/docs/{doc_id}/frame", data={"csrf_token": token, "region": "不存在的地方"},
                 follow_redirects=False)
    assert bad.status_code == 303 and "error=" in bad.headers["location"]
    outside = c.post(f"/docs/{doc_id}/frame", data={"csrf_token": token, "region": "320200"},
                     follow_redirects=False)
    assert "error=" in outside.headers["location"]  # 无锡市 is outside the officer's region
    ok = c.post(f"/docs/{doc_id}/frame", data={"csrf_token": token, "region": "320902",
                                               "published": "2024-01-20"}, follow_redirects=False)
    assert ok.status_code == 303 and "error" not in ok.headers["location"]
    page = c.get(f"/docs/{doc_id}")
    assert "盐城市亭湖区" in page.text and "已指定" in page.text
    with Session(create_engine(db_url)) as s:
        doc = s.get(Document, int(doc_id))
        assert {st.region for st in doc.statements} == {"盐城市亭湖区"}
        assert {st.period for st in doc.statements} == {"2023"}
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "correct_frame"))
        assert entry is not None and entry.username


def test_list_and_register_kept_as_pages_show_changes_from_elsewhere_on_the_next_view(client_as, db_url, tmp_path):
    """/docs and /docs/statements are served from the page cache until a document or a statement
    changes, here by another process (its own engine), as the command line makes it."""
    from kechuang import db
    from kechuang.reader.store import Statement, correct_statement, ingest_file

    c = client_as("officer", "320900")
    _upload(c)
    pages = ["/docs", "/docs/statements"]
    first = {p: c.get(p).text for p in pages}
    assert {p: c.get(p).text for p in pages} == first
    assert "晚报二" not in first["/docs"] and "新建孵化器" not in first["/docs/statements"]
    path = tmp_path / "晚报二.txt"
    path.write_text("盐城晚报讯 今年力争新建孵化器5家。\n", encoding="utf-8")
    other = db.make_engine(db_url)
    try:
        with db.session_scope(other) as s:
            ingest_file(s, path, "cli", "320900")
        after = {p: c.get(p).text for p in pages}
        assert "晚报二" in after["/docs"] and "新建孵化器" in after["/docs/statements"]
        with db.session_scope(other) as s:
            sid = s.query(Statement).filter(Statement.indicator.contains("孵化器")).one().id
            correct_statement(s, sid, {"value": "7"}, "cli")
    finally:
        other.dispose()
    assert c.get("/docs/statements").text != after["/docs/statements"]
