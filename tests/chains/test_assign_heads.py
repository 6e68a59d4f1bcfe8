"""Placement rules on the shipped templates: what a product's head word decides, pure traders, a
keyword inside another chain's longer keyword, parts named before their system."""

import pytest

from kechuang.chains.assign import Assigner
from kechuang.chains.templates import load_chains


@pytest.fixture(scope="module")
def assigner():
    return Assigner(load_chains())


def nodes(assigner, **e):
    e.setdefault("uscc", "x")
    return sorted(a.node.id for a in assigner.assign(e))


def test_a_chip_for_a_bms_is_a_chip(assigner):
    assert nodes(assigner, industry_code="I6520", main_products="车规级MCU、BMS模拟前端芯片") == ["ic.design"]
    # the BMS itself stays on the BMS nodes
    assert "nev.bms" in nodes(assigner, industry_code="C3824", main_products="电池管理系统（BMS）主控板")


def test_a_pure_trader_is_not_placed_by_its_wholesale_class(assigner):
    assert nodes(assigner, industry_code="F5164", main_products="不锈钢板材、管材批发") == []
    assert nodes(assigner, industry_code="F5164", main_products="不锈钢剪切加工、钢板开平") == ["steel.processing"]


def test_an_inner_keyword_of_another_chain_counts(assigner):
    assert nodes(assigner, industry_code="C3630", main_products="纯电动环卫车") == ["auto.special", "nev.special_vehicle"]


def test_a_part_named_before_its_system_counts_a_use_does_not(assigner):
    assert nodes(assigner, industry_code="C3849", main_products="全钒液流电池储能系统") == ["battery.ess", "battery.new_cell"]
    assert "nev.vehicle" not in nodes(assigner, industry_code="C3670", main_products="纯电动汽车电机控制器")


@pytest.mark.parametrize("code, products, node", [
    ("C3391", "风电轮毂、主机架球墨铸铁件", "wind.castings"),
    ("C3670", "新能源汽车电驱动总成", "nev.motor"),
    ("C3973", "QFN/DFN封装、晶圆测试", "ic.packaging"),
    ("C3982", "双面及多层印制线路板", "eleinfo.pcb"),
    ("C3985", "锂电池用PVDF粘结剂、导电剂", "battery.additives"),
])
def test_product_words_of_the_templates(assigner, code, products, node):
    assert node in nodes(assigner, industry_code=code, main_products=products)
