"""Region of a statement: the frame's subject unless the text names another place for it."""

from __future__ import annotations

from kechuang.reader.extract import extract, rows
from kechuang.reader.load import load_bytes


def _rows(text: str) -> list[dict]:
    return rows(extract(load_bytes(text.encode("utf-8"), "a.txt"), ("quantities",)), "quantities")


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
