"""Held-out documents (our own text, tests/reader/heldout/) and the patterns they cover.

The held-out score uses a small matcher of its own — same document, same quantity (万元/亿元
and 人/名 converted), overlapping quote — so it runs without ../shared. It mirrors the outside
scorer's "kind" level (value + unit + place + target/achievement) and its "full" level
(+ region + year of the period).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kechuang.reader.extract import extract
from kechuang.reader.quantities import find_quantities
from heldout_scoring import _span, load_set, score

HELDOUT = Path(__file__).parent / "heldout"
# All three reached 1.000 once the grammar was fixed (154 statements in 9 documents); a
# small margin below that. Before the fixes: core 0.936, kind 0.809, full 0.361.
MIN_CORE_F1 = 0.98
MIN_KIND_F1 = 0.97
MIN_FULL_F1 = 0.95

@pytest.fixture(scope="module")
def heldout():
    return load_set(HELDOUT)


def test_heldout_gold_quotes_exist(heldout):
    gold, _pred, texts = heldout
    assert len({g["doc"] for g in gold}) >= 4
    missing = [g["quote"] for g in gold if _span(texts[g["doc"]], g["quote"])[0] < 0]
    assert not missing


def test_heldout_scores(heldout):
    gold, pred, texts = heldout
    s = score(gold, pred, texts)
    assert s["core"] >= MIN_CORE_F1, s
    assert s["kind"] >= MIN_KIND_F1, s
    assert s["full"] >= MIN_FULL_F1, s


def test_matcher_can_fail(heldout):
    gold, pred, texts = heldout
    wrong = [{**p, "kind": "achievement" if p["kind"] == "target" else "target"} for p in pred]
    assert score(gold, wrong, texts)["kind"] < 0.5
    assert score(gold, [], texts)["core"] == 0.0


def one(text: str, year: int = 2024):
    found = find_quantities(text, year)
    assert len(found) == 1, [(x.value, x.unit, x.quote) for x in found]
    return found[0]


@pytest.mark.parametrize("text,value,unit,comparator", [
    ("新增省级以上孵化载体3至5家。", Decimal(3), "家", ">="),
    ("推动3-5家企业开展示范。", Decimal(3), "家", ">="),
    ("新增上市企业8~10家。", Decimal(8), "家", ">="),
    ("引进人才1至2万人。", Decimal(10000), "人", ">="),
    ("新引进领军人才项目近百个。", Decimal(100), "个", "~"),
    ("集聚企业近千家。", Decimal(1000), "家", "~"),
    ("新增科技型中小企业备案千余家。", Decimal(1000), "家", ">="),
    ("设立总额3000余万元的专项资金。", Decimal(3000), "万元", ">="),
    ("规上工业总产值突破千亿元。", Decimal(1000), "亿元", ">="),
    ("开展招才活动上百场。", Decimal(100), "场", ">="),
    ("博士人才二十余人。", Decimal(20), "人", ">="),
    ("新增省级工程技术研究中心两家;", Decimal(2), "家", "="),
    ("镇内两家企业获评国家级专精特新“小巨人”。", Decimal(2), "家", "="),
    ("占比提高2.3个百分点。", Decimal("2.3"), "个百分点", "="),
    ("给予最高50万元奖励。", Decimal(50), "万元", "<="),
])
def test_counts_ranges_and_approximations(text, value, unit, comparator):
    found = one(text)
    assert (found.value, found.unit, found.comparator) == (value, unit, comparator)


@pytest.mark.parametrize("text", [
    "抓好三个方面。", "走进千家万户。", "推进“十百千”企业培育计划。", "海纳百川,百家争鸣。",
    "联系电话:0519-86312345。", "2024—2026年是关键期。",
])
def test_numerals_that_are_not_statements(text):
    assert find_quantities(text, 2024) == []


def test_from_to_keeps_the_new_value():
    found = one("去年,技术合同成交额由2022年的86亿元增至112.5亿元。")
    assert (found.value, found.unit, found.kind, found.period) == (Decimal("112.5"), "亿元", "achievement", "2023")
    assert found.indicator == "技术合同成交额"


def test_growth_names_what_grew():
    found = find_quantities("去年全年实现高新技术产业产值1280亿元,同比增长9.8%。", 2024)
    assert [x.indicator for x in found] == ["高新技术产业产值", "高新技术产业产值增长"]
    assert one("高新技术产业产值增长11.6%。").indicator == "高新技术产业产值增长"


def test_past_year_whole_year_is_achievement():
    found = find_quantities("2023年,全区主要指标稳中有进:全年新增高新技术企业超600家;新认定独角兽企业58家。", 2024)
    assert [(x.kind, x.period) for x in found] == [("achievement", "2023"), ("achievement", "2023")]


def test_every_year_within_a_span():
    found = find_quantities("2024—2026年每年新增科技型中小企业备案1000家以上,每年引育领军人才项目150个以上。", 2024)
    assert [(x.kind, x.period, x.comparator) for x in found] == [("target", "2024-2026", ">="), ("target", "2024-2026", ">=")]


def test_future_deadline_is_target_even_with_cumulative():
    found = one("力争到2025年底,累计培育省级以上专精特新企业50家。")
    assert (found.kind, found.period) == ("target", "2025年底")


def test_town_and_zone_unknown_to_registry(tmp_path):
    pytest.importorskip("kechuang.regions")
    from kechuang.reader.load import load_bytes

    text = ("全市科技创新大会召开\n\n徐州日报讯 2月18日,徐州市召开全市科技创新大会。\n\n铜山区\n去年新增高新技术企业97家。\n\n"
            "徐州高新区\n到2025年,力争培育专精特新企业10家。\n")
    ex = extract(load_bytes(text.encode("utf-8"), "x.txt"), ("quantities",))
    assert [q.region for q in ex.quantities] == ["徐州市铜山区", "徐州高新区"]


def test_comparison_bases_are_not_periods_or_kinds():
    found = find_quantities("技术合同成交额力争突破50亿元,较上年增长20%以上。", 2024)
    assert [(x.kind, x.period) for x in found] == [("target", "2024"), ("target", "2024")]
    found = one("今年以来,高新技术产业产值占比较去年同期提高1.8个百分点。")
    assert found.period == "2024"


def test_mid_year_progress_is_achievement():
    found = find_quantities("上半年,全市新增入库科技型中小企业386家,完成全年目标的78%。", 2024)
    assert [x.kind for x in found] == ["achievement", "achievement"]


def test_nouns_that_look_like_markers():
    found = find_quantities("全年新增高新技术企业60家,新增省级以上人才工程入选者15人以上,招引大学生1.2万人。", 2024)
    assert [x.kind for x in found] == ["target"] * 3


def test_district_in_title_over_city_named_later():
    pytest.importorskip("kechuang.regions")
    from kechuang.reader.load import load_bytes

    text = "江都区政府工作报告摘要\n\n过去一年,新增国家高新技术企业65家。\n\n深化与扬州大学的合作,全年新增高新技术企业60家。\n"
    ex = extract(load_bytes(text.encode("utf-8"), "x.txt"), ("quantities",))
    assert {q.region for q in ex.quantities} == {"扬州市江都区"}


def test_average_annual_growth_takes_the_year_in_scope():
    found = find_quantities("会议通报,2023年全区人才总量达到28.6万人,近三年年均增长8%以上。", 2024)
    assert [(x.value, x.period, x.kind) for x in found] == [(Decimal(286000), "2023", "achievement"),
                                                            (Decimal(8), "2023", "achievement")]
    found = one("到2026年,研发经费投入年均增长10%以上。")
    assert (found.period, found.kind, found.comparator) == ("2026", "target", ">=")


def test_whole_year_after_this_year_ignores_an_earlier_span():
    text = "推进三年行动计划(2024—2026年)。今年,新建科创载体30万平方米;全年引进各类人才2.5万名。"
    assert [x.period for x in find_quantities(text, 2024)] == ["2024", "2024"]


def test_meeting_ceremonies_are_not_statements():
    assert find_quantities("会议期间,区领导为10家“科技创新突出贡献企业”颁发奖牌。", 2024) == []


def test_past_year_paragraph_without_markers_is_achievement():
    found = find_quantities("会议通报,2023年全区高新技术产业产值增长12.3%。全区新签约科技项目86个、总投资156亿元。", 2024)
    assert [x.kind for x in found] == ["achievement"] * 3


@pytest.mark.parametrize("text,value,unit", [
    ("盘活低效工业用地1200亩。", Decimal(1200), "亩"),
    ("研发机构数量翻一番。", Decimal(2), "倍"),
    ("其中高层次人才1500余名。", Decimal(1500), "名"),
])
def test_more_units(text, value, unit):
    found = one(text)
    assert (found.value, found.unit) == (value, unit)


@pytest.mark.parametrize("text,value,unit,indicator", [
    ("全市地区生产总值达到1.2万亿元。", Decimal(12000), "亿元", "地区生产总值"),
    ("举办各类活动上百场次。", Decimal(100), "场次", "举办各类活动"),
])
def test_trillions_and_bare_hundreds(text, value, unit, indicator):
    found = one(text)
    assert (found.value, found.unit, found.indicator) == (value, unit, indicator)


def test_attendance_is_not_a_statement():
    assert find_quantities("二十余名专家出席会议。", 2024) == []
