import json

import pytest

from kechuang.targets.metrics import MetricError
from kechuang.targets.synonyms import bind_indicator, parse_synonyms


@pytest.mark.parametrize("phrase, unit, metric", [
    ("有效高企", "家", "hnte_valid"),
    ("高企总数", "家", "hnte_valid"),
    ("高企", "家", "hnte_valid"),
    ("新增认定高企", "家", "hnte_new"),
    ("新增认定高新技术企业", "家", "hnte_new"),
    ("认定高新技术企业", "家", "hnte_new"),
    ("科技型中小企业备案", "家", "tech_sme_registered"),
    ("技术合同交易额", "亿元", "tech_contract_amount"),
    ("研发费用", "亿元", "rd_expense_total"),
    ("科创载体", "万平方米", "carrier_area"),
    ("技改项目", "个", "tech_upgrade_projects"),
    ("专精特新“小巨人”企业", "家", "little_giant_valid"),
    ("技改项目完成投资", "亿元", "tech_upgrade_investment_completed"),
    ("国家重点人才计划申报", "人", "national_talent_applied"),
    ("全年力争申报国家重点人才计划", "人", "national_talent_applied"),
    ("省“双创计划”领军人才申报", "人", "provincial_talent_applied"),
    ("扬州“绿扬金凤计划”领军人才申报", "人", "city_talent_applied"),
    ("国家重点人才计划", "人", "national_talent_selected"),
    ("引进大学生", "人", "graduates_introduced"),
])
def test_phrases_bind_to_the_most_specific_metric(phrase, unit, metric):
    assert bind_indicator(phrase, unit) == metric


@pytest.mark.parametrize("phrase, unit", [
    ("完成投资", "亿元"),               # which projects is not said
    ("技改项目完成投资", "个"),         # money cannot be a count
    ("高企总数", "亿元"),               # a count cannot be money
    ("高企申报", "家"),                 # applications for certificates are not in a ledger
    ("奖励资金", "万元"),
    ("", "家"),
])
def test_unknown_or_incompatible_phrases_stay_unbound(phrase, unit):
    assert bind_indicator(phrase, unit) is None


def test_gold_targets_mostly_bind(shared_path):

    path = shared_path("corpus", "gold", "quantities.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    targets = [r for r in rows if r["kind"] == "target"]
    bound = [r for r in targets if bind_indicator(r["indicator"], r["unit"])]
    assert len(bound) >= len(targets) // 2
    assert bind_indicator("新增国家高新技术企业", "家") == "hnte_new"


def test_bad_synonym_file_is_reported():
    with pytest.raises(MetricError, match="不存在"):
        parse_synonyms({"synonyms": {"no_such_metric": ["x"]}})
    with pytest.raises(MetricError, match="同时对应"):
        parse_synonyms({"synonyms": {"hnte_valid": ["高企"], "hnte_new": ["高企"]}})
