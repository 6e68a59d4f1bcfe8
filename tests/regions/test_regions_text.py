"""Finding region mentions in free text."""

from __future__ import annotations

from shared_data import shared_path

from kechuang.regions import find_in_text


def _hits(text, within=None):
    return [(text[s:e], r.code) for s, e, r in find_in_text(text, within)]


def test_corpus_sentence():
    text = ("江苏汇智高端工程机械创新中心、无锡市梁溪区、苏州工业园区、南京江北新区、"
            "连云港市等单位作交流发言。")
    assert _hits(text) == [
        ("江苏", "320000"),
        ("无锡市梁溪区", "320213"),
        ("苏州工业园区", "320576"),
        ("南京江北新区", "320100Z01"),
        ("连云港市", "320700"),
    ]


def test_corpus_file_yancheng():
    path = shared_path("corpus", "001_58f14ce938bd5b1a.txt")
    text = path.read_text(encoding="utf-8")
    hits = find_in_text(text)
    assert all(text[s:e] for s, e, _ in hits)
    codes = {r.code for _, _, r in hits}
    assert {"320900", "320924", "320900Z01", "320971"} <= codes
    # common words that are also county short names are not taken (同心, 解放, 复兴)
    assert all(r.code.startswith("32") for _, _, r in hits)


def test_corpus_file_gaoyou_with_context():
    text = shared_path("corpus", "003_ea3f13e23ae4dfaa.txt").read_text(encoding="utf-8")
    got = {(text[s:e], r.code) for s, e, r in find_in_text(text, within="高邮市")}
    assert ("卸甲镇", "321084107") in got
    assert ("送桥镇", "321084116") in got
    assert ("高新区", "321084Z01") in got
    assert ("城南新区", "321084401") in got
    assert ("高邮", "321084") in got
    # without context, the generic "高新区" is not a mention of any one zone
    assert not any(text[s:e] == "高新区" for s, e, _ in find_in_text(text))


def test_spaced_heading_offsets():
    text = "## 梁 溪 区:科技创新\n新 吴 区 和 江阴市"
    hits = find_in_text(text)
    assert [(text[s:e], r.code) for s, e, r in hits] == [
        ("梁 溪 区", "320213"), ("新 吴 区", "320214"), ("江阴市", "320281")]


def test_zone_and_district_are_one_office():
    text = "无锡高新区(新吴区)今年力争新招引科技型企业100家"
    assert _hits(text) == [("无锡高新区", "320214"), ("新吴区", "320214")]


def test_common_words_and_person_names_are_not_regions():
    text = "东方红太阳升,城区新区建设,江南大学与金山奖,振兴乡村,同心协力,复兴之路。"
    assert _hits(text) == []
    # two-character county names count only inside the given province ...
    assert _hits("江阴和宜兴", within="江苏省") == [("江阴", "320281"), ("宜兴", "320282")]
    assert _hits("江阴和宜兴") == []
    # ... and not when they are a person's given name
    assert _hits("王江阴表示", within="江苏省") == []


def test_ambiguous_mention_uses_context():
    assert _hits("鼓楼区召开会议") == []
    assert _hits("鼓楼区召开会议", within="南京市") == [("鼓楼区", "320106")]


def test_empty_text():
    assert find_in_text("") == []
