"""Register: ingest, versions, corrections, filters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from kechuang.audit import AuditEntry
from kechuang.reader.store import (Document, StatementError, correct_statement, ingest_file, list_statements,
                                   reextract)

TEXT = ("盐城晚报讯 市委召开大会。\n\n去年高企总数达2338家。今年力争新招引科技型企业100家,"
        "认定高新技术企业130家。\n")


def test_ingest_idempotent_and_versions(session, tmp_path):
    f = tmp_path / "doc.txt"
    f.write_text(TEXT, encoding="utf-8")
    doc, created = ingest_file(session, f, "alice")
    session.commit()
    assert created and doc.version == 1 and len(doc.statements) == 3
    assert doc.region_code == "320900" and doc.outlet == "盐城晚报"
    again, created = ingest_file(session, f, "alice")
    assert not created and again.id == doc.id
    assert session.scalar(select(Document).where(Document.id != doc.id)) is None

    st = doc.statements[1]
    correct_statement(session, st.id, {"value": "120", "indicator": "新招引科技型企业"}, "bob")
    session.commit()
    f.write_text(TEXT.replace("130家", "140家"), encoding="utf-8")
    v2, created = ingest_file(session, f, "alice")
    session.commit()
    assert created and v2.version == 2 and v2.supersedes_id == doc.id
    values = [(s.value, s.corrected) for s in v2.statements]
    assert (Decimal(120), True) in values and (Decimal(140), False) in values
    current = list_statements(session)
    assert {s.document_id for s in current} == {v2.id}


def test_corrections_audited_validated_and_survive_reextract(session, tmp_path):
    f = tmp_path / "doc.txt"
    f.write_text(TEXT, encoding="utf-8")
    doc, _ = ingest_file(session, f, "alice")
    st = doc.statements[0]
    with pytest.raises(StatementError, match="类型"):
        correct_statement(session, st.id, {"kind": "wish"}, "bob")
    with pytest.raises(StatementError, match="数值"):
        correct_statement(session, st.id, {"value": "abc"}, "bob")
    correct_statement(session, st.id, {"kind": "target", "period": "2024"}, "bob")
    session.commit()
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "correct")).all()
    assert len(audit) == 1 and audit[0].before == {"kind": "achievement", "period": "last_year"}
    reextract(session, doc, "carol")
    session.commit()
    first = doc.statements[0]
    assert first.corrected and first.kind == "target" and len(doc.statements) == 3


def test_list_filters(session, tmp_path):
    f = tmp_path / "doc.txt"
    f.write_text(TEXT, encoding="utf-8")
    ingest_file(session, f, "alice")
    assert len(list_statements(session, kind="target")) == 2
    assert len(list_statements(session, indicator="高企")) == 1
    assert len(list_statements(session, region_codes={"320900"})) == 3
    assert list_statements(session, region_codes={"320200"}) == []


def test_frame_priors_stored_and_an_officer_correction_rederives_and_is_audited(session, tmp_path):
    import datetime as dt

    from kechuang.reader.frame import Priors
    from kechuang.reader.store import correct_frame, document_frame

    f = tmp_path / "summary.txt"
    f.write_text("县科技局工作总结\n\n全县新增高新技术企业30家。\n", encoding="utf-8")
    doc, _ = ingest_file(session, f, "alice", "320900", Priors(region="320900", published=dt.date(2024, 1, 20)))
    session.commit()
    assert doc.published_on == dt.date(2024, 1, 20) and doc.region_code == "320900"
    assert [(s.region, s.period) for s in doc.statements] == [("盐城市", "2023")]
    with pytest.raises(StatementError, match="发布日期"):
        correct_frame(session, doc, {"published": "2024-13-01"}, "bob")
    correct_frame(session, doc, {"region": "亭湖区"}, "bob")
    session.commit()
    assert [s.region for s in doc.statements] == ["盐城市亭湖区"]
    assert document_frame(doc).given == ("published", "region")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "correct_frame"))
    assert entry.before["region"] == "盐城市" and entry.after["region"] == "盐城市亭湖区"


def test_cli_ingest_passes_region_and_date_as_priors(engine, tmp_path):
    from typer.testing import CliRunner

    from kechuang.cli import app

    f = tmp_path / "summary.txt"
    f.write_text("县科技局工作总结\n\n全县新增高新技术企业30家。\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["ingest", str(f), "--region", "320902", "--published", "2024-01-20"])
    assert r.exit_code == 0, r.output
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        doc = s.scalar(select(Document))
        assert [(st.region, st.period) for st in doc.statements] == [("盐城市亭湖区", "2023")]
    bad = CliRunner().invoke(app, ["ingest", str(f), "--published", "2024/01/20"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    # extract still reads the text alone
    out = CliRunner().invoke(app, ["extract", str(f)])
    assert '"region": "盐城市亭湖区"' not in out.stdout
