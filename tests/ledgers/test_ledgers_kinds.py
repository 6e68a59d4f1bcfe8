import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kechuang.ledgers.excel_io import ROW_COL, SHEET_COL
from kechuang.ledgers.kinds import KindError, all_kinds, get_kind, normalize_header
from kechuang.ledgers.uscc import ALPHABET, is_valid, make, problems_series
from kechuang.ledgers.validate import validate

code_chars = st.text(alphabet=ALPHABET, min_size=9, max_size=9)


@settings(max_examples=200, deadline=None)
@given(code_chars, st.integers(0, 16), st.sampled_from(list(ALPHABET)))
def test_uscc_single_change_is_caught(body, pos, ch):
    code = make("91", "320902", body)
    assert is_valid(code)
    changed = code[:pos] + ch + code[pos + 1:]
    assert is_valid(changed) == (changed == code)
    got = problems_series(pl.Series([code, changed])).to_list()
    assert got[0] is None and (got[1] is None) == (changed == code)


def test_all_shipped_kinds_load_and_resolve():
    kinds = all_kinds()
    assert list(kinds) == ["enterprise", "enterprise_year", "ip", "certification", "talent", "carrier",
                           "project", "tech_contract", "cooperation", "demand", "supply"]
    for k in kinds.values():
        assert get_kind(k.name) is k
        assert all(normalize_header(f.label) in k.header_lookup() for f in k.fields)
    assert get_kind("资质").id == "certification"
    cert = get_kind("certification").field("cert_type")
    assert {v.id for v in cert.values} >= {"tech_sme", "hnte", "innovative_sme", "srdi_sme", "little_giant",
                                           "gazelle", "potential_unicorn", "unicorn"}
    assert cert.enum_lookup()[normalize_header("专精特新“小巨人”")] == "little_giant"
    with pytest.raises(KindError, match="未知的台账类型"):
        get_kind("不存在")


def test_new_kind_from_a_data_file_only(tmp_path):
    (tmp_path / "award.yaml").write_text("""
id: award
name: 科技奖励
key: [award_no]
region_field: region_code
date_field: awarded_on
year_field: year
fields:
  - {id: award_no, label: 奖励编号, type: text, required: true}
  - {id: region_code, label: 行政区划代码, type: region, required: true}
  - {id: grade, label: 等级, type: enum, values: [{id: first, label: 一等奖}, {id: second, label: 二等奖}]}
  - {id: bonus, label: 奖金, type: money, min: 0}
  - {id: awarded_on, label: 授奖日期, type: date}
  - {id: year, label: 年度, type: year}
""", encoding="utf-8")
    kind = all_kinds(str(tmp_path))["award"]
    raw = pl.DataFrame({"award_no": ["A1", "A2"], "region_code": ["320902", "320903"],
                        "grade": ["一等奖", "三等奖"], "bonus": ["10.5", "-1"],
                        "awarded_on": ["2024-05-01", "2024/6/1"], "year": [None, None],
                        ROW_COL: [2, 3], SHEET_COL: ["", ""]})
    typed, problems = validate(kind, raw, file="a.csv", today=dt.date(2026, 11, 25))
    assert typed.get_column("year").to_list() == [2024, 2024]
    assert sorted(p.reason for p in problems) == ["不在允许的取值中（可选：一等奖、二等奖）", "金额不能为负数"]
    (tmp_path / "bad.yaml").write_text("id: bad\nname: 坏\nkey: [x]\nfields:\n  - {id: y, label: 一, type: blob}\n",
                                       encoding="utf-8")
    all_kinds.cache_clear()
    with pytest.raises(KindError, match="不支持"):
        all_kinds(str(tmp_path))
    all_kinds.cache_clear()
