"""Enterprise → node placement: evidence per kind, generic codes do not beat products, look-alikes
are vetoed, the tokenizer respects longer words."""

import pytest

from kechuang.chains.assign import PLACE, Assigner


@pytest.fixture(scope="module")
def assigner(fixture_chains):
    return Assigner(fixture_chains)


def nodes(assigner, **e):
    e.setdefault("uscc", "x")
    return [a.node.id for a in assigner.assign(e)]


def test_product_and_code_place_with_both_kinds_of_evidence(assigner):
    (a,) = assigner.assign({"uscc": "1", "industry_code": "C3841", "main_products": "三元锂离子动力电池、电池包"})
    assert a.node.id == "nev.battery" and a.chain.id == "nev"
    kinds = {e["kind"] for e in a.evidence}
    assert kinds == {"industry_code", "product"}
    assert {"value": "电池包", "kind": "product"} in a.evidence
    assert 0 < a.confidence < 1


def test_a_shared_code_does_not_beat_product_evidence(assigner):
    # 3841 is claimed by the EV battery node and the storage node: the products decide
    assert nodes(assigner, industry_code="C3841", main_products="储能电池系统、储能变流器") == ["storage.cell"]
    # a code-only view would place a consumer-battery maker; with products that name no node it is not placed
    assert nodes(assigner, industry_code="C3841", main_products="手机锂电池") == []


def test_products_on_a_node_outside_the_registered_code(assigner):
    assert nodes(assigner, industry_code="M7320", main_products="电机控制器") == ["nev.motor"]


def test_look_alikes_are_not_placed(assigner):
    assert nodes(assigner, industry_code="C3841", main_products="铅酸蓄电池、电动自行车电池") == []
    assert nodes(assigner, industry_code="C3612", main_products="电动自行车、老年代步车") == []
    assert nodes(assigner, industry_code="F5225", main_products="保健食品、膳食补充剂",
                 business_scope="生物技术开发；保健品销售") == []


def test_exclusion_vetoes_only_its_clause(assigner):
    assert nodes(assigner, industry_code="C3841", main_products="动力电池模组；铅酸蓄电池") == ["nev.battery"]


def test_a_specific_code_alone_places_when_the_text_says_nothing(assigner):
    (a,) = assigner.assign({"uscc": "6", "industry_code": "C3612"})
    assert a.node.id == "nev.vehicle" and a.evidence == [{"kind": "industry_code", "value": "C3612"}]
    assert a.confidence >= PLACE


def test_scope_and_patents_are_evidence(assigner):
    (a,) = assigner.assign({"uscc": "7", "business_scope": "充电桩、换电站的建设与运营"},
                           ["一种换电站用电池转运装置", "充电桩散热结构"])
    assert a.node.id == "nev.charging"
    kinds = [e["kind"] for e in a.evidence]
    assert "scope" in kinds and "patent" in kinds


def test_longer_words_win(assigner):
    # 新能源汽车零部件 is the parts node's word: it does not also say 新能源汽车 (vehicles)
    assert nodes(assigner, main_products="新能源汽车零部件") == ["nev.parts"]


def test_no_evidence_no_line(assigner):
    assert nodes(assigner, industry_code="I6510", main_products="企业管理软件") == []


def test_chain_filter(assigner):
    e = {"uscc": "9", "main_products": "动力电池、储能电池"}
    assert {a.chain.id for a in assigner.assign(e)} == {"nev", "storage"}
    assert {a.chain.id for a in assigner.assign(e, chain="storage")} == {"storage"}


def test_what_a_product_is_for_is_not_what_it_is(assigner):
    assert nodes(assigner, main_products="电动客车用驱动电机") == ["nev.motor"]
    assert nodes(assigner, main_products="驱动电机，用于纯电动汽车") == ["nev.motor"]


def test_a_compound_names_its_head(assigner):
    # 纯电动汽车电机控制器 is a motor controller, not a vehicle
    assert nodes(assigner, main_products="纯电动汽车电机控制器") == ["nev.motor"]


def test_traded_goods_are_not_products(assigner):
    assert nodes(assigner, industry_code="F5179", main_products="动力电池、电池包批发") == []
    assert nodes(assigner, main_products="动力电池生产、批发") == ["nev.battery"]
