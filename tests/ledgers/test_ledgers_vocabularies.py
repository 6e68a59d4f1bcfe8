"""Official vocabularies shared by kinds (values_from): one list for the 技术合同 fields and types in
the contract, demand and supply ledgers; labels and aliases accepted, ids stored, bad values named in
Chinese, templates offer the labels; an unknown vocabulary in a kind file is refused."""

import io

import openpyxl
import pytest

from kechuang.ledgers.importer import import_bytes
from kechuang.ledgers.kinds import KindError, _load_kind, get_kind, vocabulary_labels
from kechuang.ledgers.excel_io import write_template
from kechuang.ledgers.uscc import make

SELLER = make("91", "320214", "MA1X2Y3W6")


def test_kinds_share_one_list_per_vocabulary():
    fields = vocabulary_labels("contract_tech_field")
    assert len(fields) == 11 and fields["environment"] == "环境保护与资源综合利用"
    for kind in ("tech_contract", "demand", "supply"):
        assert get_kind(kind).field("tech_field").enum_labels() == fields
    assert get_kind("tech_contract").field("contract_type").enum_labels() == vocabulary_labels("contract_type")
    assert get_kind("enterprise").field("hitech_domain").enum_labels() == vocabulary_labels("hitech_domain")
    assert len(vocabulary_labels("hitech_domain")) == 8


def test_contract_import_takes_labels_and_names_a_bad_field(engine):
    head = "合同登记编号,合同名称,合同类型,技术领域,统一社会信用代码,行政区划代码,合同成交额(万元),登记日期\n"
    good = head + f"HT1,极片检测,技术开发合同,生物医药和医疗器械,{SELLER},320214,50,2024-05-01\n"
    rep = import_bytes(engine, "tech_contract", good.encode(), "合同.csv")
    assert rep.ok, [p.text() for p in rep.problems]
    from kechuang.ledgers import load_frame

    row = load_frame(engine, "tech_contract").row(0, named=True)
    assert (row["contract_type"], row["tech_field"]) == ("development", "biomed_devices")
    bad = head + f"HT2,极片检测,技术开发,量子玄学,{SELLER},320214,50,2024-05-01\n"
    rep = import_bytes(engine, "tech_contract", bad.encode(), "合同.csv")
    assert not rep.ok
    [p] = rep.problems
    assert (p.file, p.row, p.column, p.value) == ("合同.csv", 2, "技术领域", "量子玄学")
    assert "新材料及其应用" in p.reason
    assert load_frame(engine, "tech_contract").height == 1  # nothing half-written


def test_template_offers_the_vocabulary():
    buf = io.BytesIO()
    write_template(get_kind("demand"), buf)
    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    lists = " ".join(str(dv.formula1) for ws in wb.worksheets for dv in ws.data_validations.dataValidation)
    assert "城市建设与社会发展" in lists or any("城市建设与社会发展" in str(c.value) for ws in wb.worksheets
                                                 for row in ws.iter_rows() for c in row)


def test_unknown_vocabulary_is_refused(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("id: x\nname: 试\nkey: [a]\nfields:\n  - {id: a, label: 甲, type: enum, values_from: 没有}\n",
                 encoding="utf-8")
    with pytest.raises(KindError, match="不存在的词表“没有”"):
        _load_kind(p)
