"""Progress reports: Word and PDF with the figures, the lagging list and the department header."""

import datetime as dt
import io

import pytest
from typer.testing import CliRunner

from kechuang.reports import ReportError, build_report, parse_period, render_docx, render_pdf
from kechuang.targets.metrics import dict_source
from kechuang.targets.store import add_target

runner = CliRunner()


@pytest.fixture
def targets(session):
    # 2 certificates are valid on 2024-06-30 in 320902 (A's 2021 one expired in March): 1 of 5 → behind
    add_target(session, region="亭湖区", region_code="320902", indicator="有效高新技术企业数", value="5", unit="家",
               year=2024)
    add_target(session, region="亭湖区", region_code="320902", indicator="技术合同交易额", value="0.1", unit="亿元",
               year=2024)
    session.commit()


def _report(session, ledgers, **kw):
    return build_report(session, "320902", parse_period("2024Q2"), today=dt.date(2025, 1, 1),
                        source=dict_source(ledgers), **kw)


def test_period_parsing_and_bad_values():
    q = parse_period("2026Q3")
    assert (q.start, q.end, q.label) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026年第三季度")
    m = parse_period("2026-12")
    assert (m.start, m.end, m.label) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31), "2026年12月")
    for bad in ("2026Q5", "2026-13", "下季度"):
        with pytest.raises(ReportError, match=f"报告期“{bad}”无效"):
            parse_period(bad)


def test_report_figures_and_lagging_follow_the_progress_rule(session, ledgers, targets):
    r = _report(session, ledgers)
    assert r.as_of == dt.date(2024, 6, 30) and r.region.endswith("亭湖区")
    by_name = {p.target.indicator: p for p in r.rows}
    assert set(by_name) == {"有效高新技术企业数", "技术合同交易额"}
    assert all(p.status for p in r.rows)
    assert [p.target.indicator for p in r.lagging] == [p.target.indicator for p in r.rows
                                                       if p.status in ("滞后", "严重滞后")]
    assert r.lagging, "fixture should leave one target behind"


def test_docx_holds_header_region_period_figures_and_lagging(session, ledgers, targets):
    from docx import Document

    r = _report(session, ledgers)
    doc = Document(io.BytesIO(render_docx(r)))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert "亭湖区2024年第二季度科技创新目标进度报告" in text
    assert "科学技术局" in text and "特此报告" in text
    assert r.warnings and all(w in text for w in r.warnings)
    for row in r.figure_rows():
        assert row in cells  # every target's figures
    assert len(doc.tables) == 2 and len(doc.tables[1].rows) == 1 + len(r.lagging)
    assert doc.inline_shapes, "chart image missing"


def test_pdf_has_the_figures(session, ledgers, targets):
    from pypdf import PdfReader

    r = _report(session, ledgers)
    data = render_pdf(r)
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    for row in r.figure_rows():
        assert row[4] in text and row[2] in text  # completion rate and target value
    assert "亭湖区" in text and "滞后目标" in text


def test_template_override(session, ledgers, targets, tmp_path, monkeypatch):
    own = tmp_path / "header.yaml"
    own.write_text("unit: 盐城市亭湖区科学技术局\ntitle: '{region}{period}工作简报'\n", encoding="utf-8")
    monkeypatch.setenv("KECHUANG_REPORT_TEMPLATE", str(own))
    r = _report(session, ledgers)
    assert r.header["unit"] == "盐城市亭湖区科学技术局" and r.header["title"].endswith("2024年第二季度工作简报")
    assert r.header["closing"] == "特此报告。"  # not overridden: the built-in value
    own.write_text("untit: x\n", encoding="utf-8")
    with pytest.raises(ReportError, match="未知字段:untit"):
        _report(session, ledgers)


def test_cli_report_writes_docx_and_pdf_and_refuses_bad_period(db_url, tmp_path, session, targets):
    from kechuang.cli import app

    out = tmp_path / "r.docx"
    r = runner.invoke(app, ["report", "--region", "亭湖区", "--period", "2024Q2", "--format", "docx", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:2] == b"PK"
    pdf = tmp_path / "r.pdf"
    r = runner.invoke(app, ["report", "--region", "320902", "--period", "2024-06", "--format", "pdf", "-o", str(pdf)])
    assert r.exit_code == 0, r.output
    assert pdf.read_bytes().startswith(b"%PDF")
    r = runner.invoke(app, ["report", "--region", "320902", "--period", "2026Q5", "-o", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2 and "2026Q5" in r.output and "无效" in r.output
    assert not (tmp_path / "x.pdf").exists()


def test_warnings_section_lists_the_warning_rules_findings(session, ledgers, targets):
    from kechuang.regions import registry
    from kechuang.warnings import evaluate

    r = _report(session, ledgers)
    found = [w.text for w in evaluate(session, registry().subtree_codes("320902"), today=r.as_of)]
    assert r.warnings == found and any("有效高新技术企业数" in w for w in found)
    hidden = _report(session, ledgers, visible=lambda code: False)
    assert hidden.warnings == [] and hidden.warnings_note in render_docx_text(hidden)


def render_docx_text(report) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(render_docx(report))).paragraphs)
