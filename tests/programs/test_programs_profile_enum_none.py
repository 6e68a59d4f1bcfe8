"""The profile contract's enum value ``none`` (研发机构级别 = none) is an answer, not missing."""

import datetime as dt

from kechuang.programs.engine import CODE_NAMES, evaluate
from kechuang.programs.profiles import profiles_from_records, read_profiles



def _uscc():
    from kechuang.ledgers.uscc import check_char

    body = "91320902MA1MUX7P4"
    return body + check_char(body)


def test_none_is_a_value_in_records_and_files(tmp_path):
    u = _uscc()
    frame = profiles_from_records([{"uscc": u, "rd_institution_level": "none"}])
    assert frame["rd_institution_level"].to_list() == ["none"]
    p = tmp_path / "p.csv"
    p.write_text(f"统一社会信用代码,研发机构级别\n{u},none\n", encoding="utf-8")
    assert read_profiles(p)["rd_institution_level"].to_list() == ["none"]
    res = evaluate(frame, ["little_giant"], dt.date(2025, 6, 1))["little_giant"]
    df = res.parts[0][1]
    assert CODE_NAMES[df["rd_institution.result"][0]] == "fail"  # answered "none": not unknown
