"""Bad files, encodings, and property tests of the extractor."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from kechuang.cli import app
from kechuang.reader.extract import extract, rows
from kechuang.reader.load import ReaderError, load_bytes, normalize
from kechuang.reader.quantities import find_quantities

SAMPLE = "盐城晚报讯 今年力争新招引科技型企业１００家，认定高新技术企业 130 家。\n扫描二维码看精彩视频\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_encodings(encoding):
    doc = load_bytes(SAMPLE.encode(encoding), "a.txt")
    assert "100家,认定高新技术企业130家" in doc.text
    assert "二维码" not in doc.text


def test_normalize_spaces_and_fullwidth():
    assert normalize("新增 50 万平方米，300 家，1 千亿元") == "新增50万平方米,300家,1千亿元\n"


@pytest.mark.parametrize("data,name,fragment", [
    (b"", "empty.txt", "为空"),
    (b"   \n", "blank.txt", "为空"),
    (b"\x00\x01\x02\x03binary\x00", "bin.txt", "二进制"),
    (bytes([0x81, 0x20, 0xff, 0xfe, 0x80, 0x80]) * 10, "bad.txt", "编码"),
    (b"PK\x03\x04truncated", "t.docx", "Word"),
    (b"%PDF-1.4\n1 0 obj\n<<", "t.pdf", "PDF"),
    (b"hello", "x.xls", "不受支持"),
])
def test_bad_files_give_chinese_errors(data, name, fragment):
    with pytest.raises(ReaderError) as exc:
        load_bytes(data, name)
    assert fragment in str(exc.value) and name in str(exc.value)


def test_docx_and_html(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("今年力争新招引科技型企业100家。")
    buf = io.BytesIO()
    d.save(buf)
    doc = load_bytes(buf.getvalue(), "a.docx")
    assert [s.value for s in extract(doc).quantities] == [100]
    html = ("<html><head><title>科技大会</title></head><body><nav>首页 分享到</nav><article><p>"
            + "今年力争新招引科技型企业100家,认定高新技术企业130家。" * 3 + "</p></article></body></html>")
    doc = load_bytes(html.encode(), "a.html")
    assert 100 in [s.value for s in extract(doc).quantities]


def test_cli_continues_after_bad_files(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("今年力争新招引科技型企业100家。\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04xx")
    result = CliRunner().invoke(app, ["extract", str(empty), str(good), str(broken)])
    assert result.exit_code == 1
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.strip()]
    assert [r["doc"] for r in lines] == ["good.txt"]
    assert "empty.txt" in result.stderr and "broken.docx" in result.stderr and "失败" in result.stderr


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_never_raises_and_quotes_match(text):
    for s in find_quantities(text, 2024):
        assert text[s.start:s.end] == s.quote


_pieces = st.sampled_from(["今年", "力争", "去年", "新增", "高企", "100", "1.6", "万", "亿", "元", "家", "人", "%",
                           "以上", ",", "。", "\n", "“", "”", "第一", "位列", "翻番", "5+2", "十二", "到2026年", " ", "区"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_pieces, max_size=40).map("".join))
def test_whole_pipeline_on_grammar_like_text(text):
    try:
        doc = load_bytes(text.encode(), "p.txt")
    except ReaderError:
        return
    ex = extract(doc)
    for row in rows(ex, "quantities"):
        assert doc.text[row["start"]:row["end"]] == row["quote"]
        assert row["kind"] in ("target", "achievement")


def test_tables_and_script_traditional_text_is_read_with_quotes_kept_as_written():
    from kechuang.reader.extract import extract, rows
    from kechuang.reader.load import load_bytes

    text = "南開區2009年工作回顧\n\n2009年,全區生產總值達到120億元,增長12%。科技型企業新增30家。\n"
    out = rows(extract(load_bytes(text.encode("utf-8"), "t.txt"), ("quantities",)), "quantities")
    values = {(r["value"], r["unit"]) for r in out}
    assert {(120, "亿元"), (12, "%"), (30, "家")} <= values
    assert all(r["quote"] == text[r["start"]:r["end"]] for r in out)
    assert any("億元" in r["quote"] for r in out)
    assert {r["period"] for r in out} == {"2009"}
