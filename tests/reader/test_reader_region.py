"""Region of a statement: the frame's subject unless the text names another place for it."""

from __future__ import annotations

from kechuang.reader.load import load_bytes
from rule_helpers import PRESSER, by_value as _by_value, quantity_rows as _rows


TOWN = """黄桥镇召开上半年经济运行分析会

2024年7月10日,泰兴市黄桥镇召开上半年经济运行分析会。

镇党委书记徐峰在讲话中指出,上半年,全镇完成规上工业开票销售126亿元。

黄桥工业园区党工委书记李军汇报了园区工作。他介绍,园区上半年新签约亿元以上项目9个。
"""


def test_bare_zone_title_speaks_for_the_zone_in_the_title():
    text = ("海安高新区召开2024年项目推进会\n\n2024年3月6日\n\n"
            "海安市委常委、高新区党工委书记周立军在会上表示,今年高新区力争新开工项目40个以上。\n")
    row = _by_value(_rows(text), 40, "个")
    assert row["region"] == "海安高新区"


def test_verb_before_a_place_is_not_part_of_its_name():
    text = ("如东县2024年政府工作报告(摘要)\n\n2024年1月20日\n\n"
            "二、2024年主要目标\n\n推动镇域发展。支持岔河镇工业开票销售突破60亿元。\n")
    row = _by_value(_rows(text), 60, "亿元")
    assert row["region"].endswith("如东县岔河镇") and "支持" not in row["region"]


def test_answer_after_title_and_name_is_the_bureau_place():
    out = _rows(PRESSER)
    r = _by_value(out, 80, "个")
    assert (r["kind"], r["period"]) == ("target", "2025")
    assert r["region"].endswith("海门区") and r["region_code"] == "320614"


def test_bare_town_title_and_unlisted_zone():
    out = _rows(TOWN)
    assert _by_value(out, 126, "亿元")["region"] == "泰兴市黄桥镇"
    assert _by_value(out, 9, "个")["region"] == "黄桥工业园区"


def test_provincial_body_and_province_figures_make_the_province_the_region():
    out = _rows("全省科技型中小企业数量创新高\n\n2025年1月15日,记者从江苏省科技厅获悉,去年全省科技型中小企业"
                "评价入库9.1万家,苏州市入库2.3万家。\n")
    assert _by_value(out, 91000, "家")["region"] == "江苏省"
    assert _by_value(out, 23000, "家")["region"] == "苏州市"


def test_respective_lists_give_each_number_its_own_place():
    out = _rows("无锡市科技局 2025年1月20日\n\n去年,江阴市、宜兴市高新技术企业分别新增310家和150家,"
                "同比分别增长12.1%和8.4%;全市技术合同成交额分别增长,研发机构分别为12家、8家。\n")
    assert [(r["value"], r["region"]) for r in out if r["unit"] in ("家", "%") and r["value"] in (310, 150, 12.1, 8.4)] \
        == [(310, "江阴市"), (150, "宜兴市"), (12.1, "江阴市"), (8.4, "宜兴市")]
    # a list without places keeps the context's region
    assert {r["region"] for r in out if r["value"] in (12, 8)} == {"无锡市"}


def test_zone_named_gongyeyuan_opens_its_own_clause():
    out = _rows("张家港市科技局 2025年1月10日\n\n去年,张家港市高新技术企业新增160家。张家港冶金工业园新增高新技术企业18家。\n")
    assert _by_value(out, 18, "家")["region"] == "张家港冶金工业园"
    assert _by_value(out, 160, "家")["region"] == "张家港市"


def test_zone_opening_the_headline_before_any_verb_owns_the_text():
    out = _rows("常州高新区加快建设孵化载体\n\n常州高新区管委会 2025年6月18日\n\n"
                "截至5月底，全区已建成科技企业孵化器38家。\n")
    assert out[0]["region"] == "常州高新区"


def test_region_rank_among_the_country_is_not_a_national_document():
    from kechuang.reader.extract import extract

    ex = extract(load_bytes("无锡高新区进入全国20强\n发布时间:2022-02-25\n\n截至2021年底,研发投入强度达到4.84%。\n"
                            .encode("utf-8"), "a.txt"), ("quantities",))
    assert ex.frame.region != "全国"


def test_region_place_with_its_figure_in_brackets():
    out = _rows("全市2024年1-6月份企业入库情况通报\n来源:市科技局\n\n1-6月份,天津市入库企业900家,"
                "排名前两位的区是南开区(120家)、河西区(90家)。\n")
    assert [(r["value"], r["region"]) for r in out] == [(900, "天津市"), (120, "南开区"), (90, "河西区")]


def test_region_place_written_right_before_its_figure():
    out = _rows("全市企业入库情况通报\n来源:市科技局\n\n天津市入库企业900家,其中南开区386家、和平区119家。\n")
    assert [(r["value"], r["region"]) for r in out] == [(900, "天津市"), (386, "南开区"), (119, "和平区")]


def test_region_province_short_name_before_a_bracketed_figure_in_a_national_bulletin():
    out = _rows("2021年全国研发经费统计公报\n国家统计局\n\n2021年,全国投入经费2万亿元。"
                "投入超过千亿元的省有广东(3000亿元)、江苏(2800亿元)。\n")
    regions = {r["value"]: r["region"] for r in out}
    assert regions[20000] == "全国" and regions[3000] == "广东省" and regions[2800] == "江苏省"


def test_region_bare_short_name_heading_with_a_space_inside():
    out = _rows("无锡各地科技创新成绩单\n\n江 阴\n\n全市新增高新技术企业120家。\n\n宜 兴\n\n新增科技型企业300家。\n")
    assert [(r["value"], r["region"]) for r in out] == [(120, "江阴市"), (300, "宜兴市")]


def test_region_short_name_with_a_colon_opening_a_paragraph():
    out = _rows("浙江各地部署科技创新工作\n\n杭州:今年将新增高新技术企业1000家。\n\n宁波:力争新增科技型企业2000家。\n")
    assert [(r["value"], r["region"]) for r in out] == [(1000, "杭州市"), (2000, "宁波市")]


def test_region_short_heading_that_is_no_place_changes_nothing():
    out = _rows("无锡市科技创新成绩单\n\n目 标\n\n全市新增高新技术企业120家。\n")
    assert [r["region"] for r in out] == ["无锡市"]


def test_region_respective_list_of_short_city_names():
    out = _rows("上半年某市高新技术产业稳步增长\n发布时间:2015-08-12\n\n1-6月份,全省高新技术产业产值同比增长10%。"
                "产值总量前三名为烟台、青岛、东营,产值分别为3468.98亿元、3327.05亿元、2198.67亿元。\n")
    regions = {r["value"]: r["region"] for r in out}
    assert (regions[3468.98], regions[3327.05], regions[2198.67]) == ("烟台市", "青岛市", "东营市")


def test_region_city_bulletin_is_about_its_city_and_year():
    out = _rows("宜兴市2023年国民经济和社会发展统计公报\n\n宜兴市统计局\n2024年3月15日\n\n十、科学技术\n\n"
                "全年专利授权量5000件。年末全市高新技术企业达1000家。\n")
    assert {(r["kind"], r["period"], r["region"]) for r in out} == {("achievement", "2023", "宜兴市")}
