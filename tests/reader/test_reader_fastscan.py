"""The fast scanning patterns find exactly what the readable reference patterns find."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from kechuang.reader.people import bylines, vocab
from kechuang.reader.grammar import grammar

g = grammar()
v = vocab()
km = g.spec["kind_markers"]

# fragments that exercise the patterns: markers, years, byline words, separators, filler
_FRAGMENTS = sorted({
    *km["target"][:12], *km["achievement"][:12], *km["target_weak"], *km["achievement_weak"],
    "全年", "全年目标", "到2025年", "至2030年", "入选", "入选者", "完成全年目标任务", "占年度任务",
    "2023年", "2024年底", "2019", "20245年", "2024—2026年", "2022至2024年", "2024年3月5日召开",
    "12", "3", "年", "月", "日", "较", "比", "上年", "今年", "去年", "明年", "每年", "年均",
    *v["byline_titles"], "记者 张三", "通讯员:李四", "摄", " ", "\t", "\n", "。", ",", ":", ";",
    "张", "王明", "市", "区", "镇", "宿城区", "新增", "企业", "达", "力争", "确保",
})
texts = st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map("".join)


def _grouped(rx, text):
    return [(m.start(), m.end(), "target" if m.group("t") else "achievement") for m in rx.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(texts)
def test_marker_scans_match_grouped_patterns(text):
    assert g.weak_scan.find(text) == _grouped(g.kind_weak, text)
    assert g.strong_scan.find(text) == _grouped(g.kind_strong, text)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_period_scan_matches_period_pattern(text):
    want = [(m.span(), m.groupdict()) for m in g.period.finditer(text)]
    got = []
    for m in g.period_scan.finditer(text):
        full = g.period.match(text, m.start())
        got.append((full.span(), full.groupdict()))
        assert full.end() == m.end()
    assert got == want


_YEAR_REFERENCE = re.compile(r"(?<![\d])((?:19|20)\d\d)年(?![\d]{0,2}(?:底|末|前))")


@settings(max_examples=300, deadline=None)
@given(texts)
def test_year_pattern_matches_reference(text):
    from kechuang.reader.extract import _YEAR

    assert [(m.span(), m.group(1)) for m in _YEAR.finditer(text)] == \
        [(m.span(), m.group(1)) for m in _YEAR_REFERENCE.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(texts)
def test_bylines_match_line_anchored_pattern(text):
    assert list(bylines(text)) == [(m.start(), m.group(0)) for m in v["re_byline"].finditer(text)]


def test_examples_are_found():
    text = "2023年全年完成目标任务。\n记者 张三 通讯员 李四\n到2025年,力争新增企业3家"
    assert [h[2] for h in g.strong_scan.find(text)]
    assert [m.group("year") for m in map(lambda m: g.period.match(text, m.start()), g.period_scan.finditer(text))
            if m.group("year")] == ["2023", "2025"]
    assert list(bylines(text)) == [(15, "记者 张三 通讯员 李四")]


_NUMBER_TEXT = st.lists(st.sampled_from([
    "1", "23", "2024", "3.5", "1,200", "一", "三十", "百", "千", "两", "第", "万", "亿", "元", "家", "个", "%",
    "余", "多", "至", "—", "年", "月", "项目", "a", ".", "/", " ", "\n", "。", "新增", "达",
]), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(_NUMBER_TEXT)
def test_numbers_match_number_pattern(text):
    assert [(m.span(), m.groupdict()) for m in g.numbers(text)] == \
        [(m.span(), m.groupdict()) for m in g.number.finditer(text)]
    assert [m.span() for m in g.numbers("12家。" + text)][:1] == [(0, 3)]


@settings(max_examples=300, deadline=None)
@given(texts)
def test_inline_subjects_match_reference(text):
    from kechuang.reader.sections import _INLINE_SUBJECT, _inline_matches

    assert [(m.start("name"), m.group("name")) for m in _inline_matches(text)] == \
        [(m.start("name"), m.group("name")) for m in _INLINE_SUBJECT.finditer(text)]


_LIST_TEXT = st.lists(st.sampled_from([
    "中心", "基地", "枢纽", "、", ",", "。", "\n", "创新", "制造业", "开放", "“", "”", "打造", "建设", "一",
    "科技创新中心", "先进制造业基地", "对外开放枢纽", "区域", "国家级",
]), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(_LIST_TEXT, st.sampled_from(["一中心一基地一枢纽", "一中心一基地", "一基地一中心", "两中心一枢纽"]))
def test_noun_list_matches_plain_search(text, name):
    from kechuang.reader import frameworks as fw

    nouns = re.findall(rf"[{fw.NUM}多]([{fw.HAN}]{{1,3}}?)(?=[{fw.NUM}多]|$)", name)
    m = re.search("、".join(rf"([^、,。;:\n“”]{{1,24}}?{re.escape(n)})" for n in nouns), text)
    assert fw._noun_list(text, name) == ("、".join(fw._tidy(list(m.groups()))) if m else "")


def test_noun_list_item_may_start_24_characters_before_its_noun():
    from kechuang.reader.frameworks import _noun_list

    text = "说明。" + "甲" * 24 + "中心、乙基地、丙枢纽。"
    assert _noun_list(text, "一中心一基地一枢纽") == "甲" * 24 + "中心、乙基地、丙枢纽"


_FW_TEXT = st.lists(st.sampled_from([
    "1", "23", "条", "五", "十", "双", "大", "个", "项", "攻坚行动", "重点", "产业链", "工程", "方面", "G", "S",
    "a", "204", "走廊", "沿海", "“", "”", "。", ",", " ", "\n", "第", "建设", "百",
]), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(_FW_TEXT)
def test_unquoted_framework_patterns_match_reference(text):
    from kechuang.reader.frameworks import HAN, NUM, spec

    sp = spec()
    heads = "|".join(sorted(sp["unquoted_heads"], key=len, reverse=True))
    unquoted = re.compile(rf"(?<![\d{NUM}])(?P<name>(?:\d+条|[{NUM}]+(?:大|个|篇|件|项))[{HAN}]{{0,6}}?(?:{heads}))")
    corridor = re.compile(rf"(?<![A-Za-z\d“])(?P<name>[A-Z]\d{{2,4}}[{HAN}]{{2,6}}?(?:走廊|大道|通道|工程))")
    for fast, ref in ((sp["re_unquoted"], unquoted), (sp["re_corridor"], corridor)):
        assert [(m.span("name"), m.group("name")) for m in fast.finditer(text)] == \
            [(m.span("name"), m.group("name")) for m in ref.finditer(text)]
