"""Region registry: data completeness, codes, aliases, context resolution."""

from __future__ import annotations

import pytest

from kechuang.regions import (
    AmbiguousRegion,
    Region,
    RegionError,
    RegionRegistry,
    lookup,
    registry,
    resolve,
)


@pytest.fixture(scope="module")
def reg() -> RegionRegistry:
    return registry()


def test_registry_is_cached():
    assert registry() is registry()


def test_level_counts(reg):
    counts = {lv: len(reg.by_level(lv)) for lv in ("province", "prefecture", "county")}
    assert counts["province"] == 34
    assert counts["prefecture"] > 330
    assert counts["county"] > 2800


def test_every_parent_exists_and_levels_nest(reg):
    order = {"province": 0, "prefecture": 1, "county": 2, "zone": 3, "town": 4}
    for r in reg:
        if r.level == "province":
            assert r.parent_code is None
            continue
        parent = reg.get(r.parent_code)
        assert parent is not None, r
        assert order[parent.level] < order[r.level] or parent.level == "county", r


@pytest.mark.parametrize(
    "text, code, full_name",
    [
        ("江阴", "320281", "江苏省无锡市江阴市"),
        ("江阴市", "320281", "江苏省无锡市江阴市"),
        ("320281", "320281", "江苏省无锡市江阴市"),
        ("梁溪区", "320213", "江苏省无锡市梁溪区"),
        ("新吴区", "320214", "江苏省无锡市新吴区"),
        ("新吴", "320214", "江苏省无锡市新吴区"),
        ("无锡高新区", "320214", "江苏省无锡市新吴区"),
        ("高邮", "321084", "江苏省扬州市高邮市"),
        ("盐城", "320900", "江苏省盐城市"),
        ("大丰区", "320904", "江苏省盐城市大丰区"),
        ("大丰市", "320904", "江苏省盐城市大丰区"),  # former name
        ("卸甲镇", "321084107", "江苏省扬州市高邮市卸甲镇"),
        ("送桥镇", "321084116", "江苏省扬州市高邮市送桥镇"),
        ("盐城经开区", "320971", "江苏省盐城市盐城经济技术开发区"),
        ("镇江经开区", "321171", "江苏省镇江市镇江新区"),
        ("宜兴经开区", "320282401", "江苏省无锡市宜兴市宜兴经济开发区"),
        ("北京市", "110000", "北京市"),
        ("东城区", "110101", "北京市东城区"),
        ("广西", "450000", "广西壮族自治区"),
        ("延边", "222400", "吉林省延边朝鲜族自治州"),
        ("济源市", "419001", "河南省济源市"),  # province-administered county-level city
    ],
)
def test_lookup_names_and_codes(text, code, full_name):
    r = lookup(text)
    assert (r.code, r.full_name) == (code, full_name)


@pytest.mark.parametrize("text", ["梁 溪", "梁溪", " 梁溪区 ", "梁\u3000溪\u3000区"])
def test_spaced_names(text):
    assert resolve(text).code == "320213"


def test_spaced_full_name():
    assert resolve("新 吴 区").code == "320214"


def test_zones_hang_under_their_parent(reg):
    yannan = lookup("盐南高新区")
    assert yannan.level == "zone"
    assert yannan.parent_code == "320900"
    assert reg.is_within(yannan.code, "320900")
    xiejia = lookup("卸甲镇")
    assert xiejia.level == "town" and xiejia.parent_code == "321084"
    assert xiejia.full_name == "江苏省扬州市高邮市卸甲镇"


def test_region_fields():
    r = lookup("江阴")
    assert isinstance(r, Region)
    assert r.name == "江阴市" and r.short_name == "江阴" and r.level == "county"
    assert r.parent_code == "320200"
    assert lookup("新吴区").aliases[0] == "无锡高新区"
    assert r.to_dict()["full_name"] == "江苏省无锡市江阴市"


def test_ambiguous_name_needs_context(reg):
    assert resolve("鼓楼区") is None
    assert resolve("鼓楼区", within="南京市").code == "320106"
    assert resolve("鼓楼区", within="320300").code == "320302"
    assert resolve("鼓楼", within="南京").code == "320106"
    with pytest.raises(AmbiguousRegion) as exc:
        lookup("鼓楼区")
    msg = str(exc.value)
    assert "有歧义" in msg and "320106 江苏省南京市鼓楼区" in msg and "320302 江苏省徐州市鼓楼区" in msg
    codes = [r.code for r in exc.value.candidates]
    assert {"320106", "320302", "350102"} <= set(codes)
    assert [r.code for r in reg.find("鼓楼区", within="江苏省")] == ["320106", "320302"]


def test_context_prefers_candidates_inside_within():
    assert resolve("新吴", within="无锡市").code == "320214"
    # a name outside the scope still resolves globally
    assert resolve("江苏", within="无锡市").code == "320000"
    # 城南新区 is both 盐南高新区's former name and 高邮城南经济新区
    assert resolve("城南新区") is None
    assert resolve("城南新区", within="高邮市").code == "321084401"
    assert resolve("城南新区", within="盐城市").code == "320900Z01"


def test_generic_zone_names_only_inside_a_city():
    assert resolve("高新区") is None
    assert resolve("高新区", within="高邮市").code == "321084Z01"
    assert resolve("高新区", within="盐城市").code == "320903Z01"
    assert resolve("高新区", within="江苏省") is None  # several in the province


def test_short_names_prefer_higher_level():
    assert resolve("吉林").code == "220000"  # 吉林省 before 吉林市
    assert resolve("鼓楼") is None  # only counties: ambiguous


def test_one_character_short_names_never_match():
    assert resolve("沛") is None  # 沛县
    assert resolve("沛县").code == "320322"


def test_concatenated_names():
    assert resolve("无锡市新吴区").code == "320214"
    assert resolve("高邮市卸甲镇").code == "321084107"
    assert resolve("扬州高邮").code == "321084"
    assert resolve("江苏省无锡市江阴市").code == "320281"
    assert resolve("南京市新吴区") is None  # 新吴区 is not in 南京


def test_unknown_region_message():
    with pytest.raises(RegionError, match="未找到地区“火星市”"):
        lookup("火星市")
    assert resolve("") is None
    assert resolve("999999") is None


def test_codes_in_other_forms(reg):
    assert reg.get("320281000000").code == "320281"
    assert reg.get("321084107000").code == "321084107"
    assert reg.get("320900z01").code == "320900Z01"
    assert reg.get("nonsense") is None


def test_is_within_subtree_children_ancestors(reg):
    assert reg.is_within("321084107", "321084")
    assert reg.is_within("321084107", "320000")
    assert reg.is_within("320281", "320281")
    assert not reg.is_within("320281", "320900")
    assert not reg.is_within("320000", "320281")
    assert not reg.is_within("nope", "320000")
    sub = reg.subtree_codes("321084")
    assert {"321084", "321084107", "321084116", "321084Z01"} <= sub
    assert "320281" not in sub
    wuxi = reg.subtree_codes("320200")
    assert {"320213", "320214", "320281", "320282", "320282401", "320200Z01"} <= wuxi
    assert reg.subtree_codes("320900") >= {"320902", "320903", "320904", "320921", "320922",
                                           "320923", "320924", "320925", "320981", "320900Z01"}
    assert reg.subtree_codes("nope") == set()
    kids = [r.code for r in reg.children("320900")]
    assert kids[:3] == ["320902", "320903", "320904"] and "320900Z01" in kids
    assert [r.code for r in reg.ancestors("321084107")] == ["320000", "321000", "321084"]
    assert reg.ancestors("320000") == []
    assert reg.parent("320281").code == "320200"


def test_search_prefix(reg):
    found = reg.search("盐", limit=5)
    assert found[0].code == "320900"
    assert len(found) == 5
    assert all(r.name.startswith("盐") or any(a.startswith("盐") for a in r.aliases)
               or r.short_name.startswith("盐") or r.full_name.startswith("盐") for r in found)
    assert [r.code for r in reg.search("3202", limit=3)] == ["320200", "320205", "320206"]
    assert reg.search("江阴")[0].code == "320281"
    assert reg.search("") == []


def test_within_must_exist():
    with pytest.raises(RegionError, match="上级地区"):
        resolve("新吴", within="火星")


def test_every_full_name_and_code_resolves_to_itself(reg):
    wrong = [r.code for r in reg if reg.resolve(r.full_name) is not r or reg.get(r.code) is not r]
    assert wrong == []


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ALL = sorted(registry(), key=lambda r: r.code)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_ALL), st.sampled_from([" ", "\u3000", "  "]))
def test_spaces_inside_names_do_not_matter(region, space):
    assert resolve(space.join(region.full_name)) is region
    assert resolve(space.join(region.name)) is resolve(region.name)


def test_a_scope_covers_its_region_and_all_below_an_unknown_code_itself_and_no_region_everything():
    from kechuang.regions import lookup, registry, scope_of

    city = lookup("盐城市").code
    district = lookup("亭湖区", within="盐城市").code
    covered = scope_of(city)
    assert city in covered and district in covered and lookup("无锡市").code not in covered
    assert all(registry().is_within(c, city) for c in covered)
    assert scope_of(district) < covered
    assert scope_of("999999") == {"999999"}
    assert scope_of(None) is None and scope_of("") is None


def test_a_region_is_named_one_way_everywhere_and_an_unknown_code_is_shown_not_hidden():
    """`name_of` is how every page, export and message names a region: the name, the full name
    on request, the bare code for a code the registry does not know, nothing for no code."""
    from kechuang.regions import lookup, name_of

    r = lookup("亭湖区")
    assert name_of(r.code) == r.name == "亭湖区"
    assert name_of(r.code, full=True) == r.full_name == "江苏省盐城市亭湖区"
    assert name_of("999999") == name_of("999999", full=True) == "999999"
    assert name_of(None) == name_of("") == ""
