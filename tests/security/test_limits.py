"""Resource limits: uploads, zip bombs, statements per document, paging, evaluation size, echoes."""

from __future__ import annotations

import io
import zipfile

import pytest

from sec_helpers import TINGHU, token


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setenv("KECHUANG_MAX_DOCUMENT_MB", "1")
    monkeypatch.setenv("KECHUANG_MAX_LEDGER_MB", "1")
    monkeypatch.setenv("KECHUANG_MAX_UNZIPPED_MB", "5")
    monkeypatch.setenv("KECHUANG_MAX_STATEMENTS", "50")


@pytest.fixture
def app(db_url, tmp_path, small_limits):  # the app reads its limits at creation
    from kechuang.settings import Settings
    from kechuang.web.app import create_app

    return create_app(Settings(database_url=db_url, var_dir=tmp_path / "var", secret_key="t", secure_cookies=False))


def test_document_upload_over_the_limit_is_a_413_naming_it(client_as):
    c = client_as("officer", TINGHU)
    big = ("亭湖区" * 200_000).encode()  # 1.8 MB
    r = c.post("/docs/upload", files={"file": ("大.txt", big, "text/plain")},
               data={"csrf_token": token(c)["X-CSRF-Token"]}, headers={"accept": "application/json"})
    assert r.status_code == 413
    assert "1 MB" in r.json()["detail"] and len(r.text) < 500


def test_ledger_upload_over_the_limit_is_a_413(client_as):
    c = client_as("officer", TINGHU)
    r = c.post("/ledgers/enterprise/import", files={"file": ("大.csv", b"a,b\n" * 400_000, "text/csv")},
               data={"csrf_token": token(c)["X-CSRF-Token"]}, headers={"accept": "application/json"})
    assert r.status_code == 413 and "1 MB" in r.json()["detail"]


def test_body_over_every_limit_is_refused_before_it_is_read(client_as):
    c = client_as("officer", TINGHU)
    h = {**token(c), "content-type": "application/json", "content-length": str(10**12)}
    r = c.post("/api/ledgers/enterprise", content=b"{}", headers=h)
    assert r.status_code == 413 and "MB" in r.json()["detail"]


def _bomb() -> bytes:
    """A small .xlsx whose sheet unpacks to more than the 5 MB allowed here."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="s" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData>" + "<row/>" * 2_000_000 + "</sheetData></worksheet>")
    return buf.getvalue()


def test_xlsx_zip_bomb_is_refused_without_unpacking(client_as, engine):
    from kechuang.ledgers.importer import import_bytes

    data = _bomb()
    assert len(data) < 200_000
    rep = import_bytes(engine, "enterprise", data, "炸弹.xlsx")
    assert not rep.ok and "解压后" in rep.problems[0].reason and "5 MB" in rep.problems[0].reason
    c = client_as("officer", TINGHU)
    r = c.post("/ledgers/enterprise/import", files={"file": ("炸弹.xlsx", data, "application/octet-stream")},
               data={"csrf_token": token(c)["X-CSRF-Token"]})
    assert r.status_code == 422 and "压缩炸弹" in r.text


def _lying_bomb() -> bytes:
    """The same kind of sheet, but every header declares the sheet unpacks to 1 KB."""
    import struct

    data = bytearray(_bomb())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<I", data, sheet.header_offset + 22, 1024)  # local header: uncompressed size
    pos = data.index(b"PK\x01\x02")  # central directory entries
    while pos >= 0:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + n] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, pos + 24, 1024)
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def test_zip_bomb_that_lies_about_its_sizes_is_refused(engine, small_limits):
    from kechuang.ledgers.importer import import_bytes
    from kechuang.limits import zip_problem

    data = _lying_bomb()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sum(i.file_size for i in z.infolist()) < 2048  # the directory now claims it is tiny
    problem = zip_problem(data, "谎报.xlsx", limit_mb=5)
    assert problem and "解压后超过上限 5 MB" in problem
    rep = import_bytes(engine, "enterprise", data, "谎报.xlsx")
    assert not rep.ok and "压缩炸弹" in rep.problems[0].reason
    assert zip_problem(_lying_bomb(), "谎报.xlsx", limit_mb=20) is None  # measured, and under a higher limit


def test_statements_per_document_are_capped(client_as):
    c = client_as("officer", TINGHU)
    text = "亭湖区工作要点\n\n" + "".join(f"到2026年，亭湖区高新技术企业达到{i}家。\n" for i in range(100, 200))
    r = c.post("/docs/upload", files={"file": ("多.txt", text.encode(), "text/plain")},
               data={"csrf_token": token(c)["X-CSRF-Token"]})
    assert r.status_code == 400 and "50 条的上限" in r.text


def test_statement_register_is_paged(client_as, engine):
    from kechuang.web.routes import documents

    c = client_as("officer", TINGHU)
    text = "亭湖区工作要点\n\n" + "".join(f"到2026年，亭湖区高新技术企业达到{i}家。\n" for i in range(100, 140))
    r = c.post("/docs/upload", files={"file": ("四十.txt", text.encode(), "text/plain")},
               data={"csrf_token": token(c)["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303
    old = documents.STATEMENTS_PER_PAGE
    documents.STATEMENTS_PER_PAGE = 15
    try:
        first = c.get("/docs/statements").text
        third = c.get("/docs/statements?page=3").text
    finally:
        documents.STATEMENTS_PER_PAGE = old
    assert first.count("<tr><td>") == 15 and "第 1 / 3 页" in first and "下一页" in first
    assert third.count("<tr><td>") == 10
    assert c.get("/docs/statements?page=0", headers={"accept": "application/json"}).status_code == 422


def test_evaluate_is_capped_by_role_and_never_echoes_the_body(client_as):
    viewer = client_as("viewer", TINGHU)
    profiles = [{"uscc": f"x{i}", "employees_y1": 10} for i in range(201)]
    r = viewer.post("/api/evaluate", json={"program": "tech_sme", "profiles": profiles}, headers=token(viewer))
    assert r.status_code == 413 and "200" in r.json()["detail"]
    officer = client_as("officer", TINGHU)
    r = officer.post("/api/evaluate", json={"program": "tech_sme", "profiles": profiles * 10 + profiles},
                     headers=token(officer))
    assert r.status_code == 422 and len(r.content) < 5000
    huge = "很" * 1_000_000
    r = officer.post("/api/evaluate", json={"program": huge, "profiles": [{"uscc": huge}]}, headers=token(officer))
    assert r.status_code in (400, 422) and len(r.content) < 5000
