"""A policy file with a mistake is refused with a Chinese message naming the file, line, item,
field and value; the shipped files all load."""

from __future__ import annotations

import pytest

from kechuang.incentives import RuleError, all_policies, load_policy
from kechuang.incentives.model import DATA

GOOD = (DATA / "nanjing-hnte-cultivation-2019.yaml").read_text(encoding="utf-8")


def test_shipped_policies_load():
    keys = {p.key for p in all_policies()}
    assert {"wuxi-hnte-2024", "nanjing-hnte-cultivation-2018", "nanjing-hnte-cultivation-2019",
            "wuxi-xinwu-hnte-2023", "guangzhou-hnte-2021", "yancheng-hnte-demo-2024"} <= keys
    assert all(p.demo for p in all_policies() if p.region == "320900")


@pytest.mark.parametrize("old, new, words", [
    ("amount: {fixed: 50}\n    split: {prefecture: 1, county: 1}\n    stacking: {group: nanjing_new_hnte, rule: highest}\n    once: {scope: group}\n    payout: {year_offset: 1}\n    no_application: true\n    no_application_cite: 实施细则（修订）：无需申报，根据认定名单于次年拨付\n    cite: 实施细则（修订）：新认定且",
     "amount: {fixed: 五十}\n    split: {prefecture: 1, county: 1}\n    stacking: {group: nanjing_new_hnte, rule: highest}\n    once: {scope: group}\n    payout: {year_offset: 1}\n    no_application: true\n    no_application_cite: 实施细则（修订）：无需申报，根据认定名单于次年拨付\n    cite: 实施细则（修订）：新认定且",
     ["hnte_first", "fixed", "五十", "金额"]),
    ("event: first_recognition, cert_type: advanced_tech_service", "event: moved_in, cert_type: advanced_tech_service",
     ["ats_first", "event", "moved_in", "触发事件"]),
    ("expr: \"cert_level == 'provincial'\"", "expr: \"cert_levl == 'provincial'\"",
     ["ats_first", "conditions.provincial", "cert_levl", "未知"]),
    ("expr: \"cert_level == 'provincial'\"", "expr: \"cert_level + 1\"",
     ["ats_first", "conditions.provincial"]),
    ("split: {prefecture: 1, county: 1}", "split: {city: 1, county: 1}", ["hnte_first", "city", "出资层级"]),
    ("cert_type: advanced_tech_service}", "cert_type: 技术先进}", ["ats_first", "cert_type", "技术先进"]),
    ("payout: {year_offset: 1}", "payout: {year_offset: -1}", ["hnte_first", "year_offset", "-1"]),
    ("region: \"320100\"", "region: \"329999\"", ["region", "329999"]),
    ("effective_from: 2019-01-01", "effective_from: 2019-13-01", ["effective_from", "2019-13-01"]),
])
def test_mistakes_are_located(tmp_path, old, new, words):
    assert old in GOOD
    path = tmp_path / "nanjing-bad-2019.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleError) as e:
        load_policy(path)
    msg = str(e.value)
    assert msg.startswith("nanjing-bad-2019.yaml:") and e.value.line > 0, msg
    for w in words:
        assert w in msg, msg


def test_missing_cite_and_yaml_syntax(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(GOOD.replace("    cite: 实施细则（修订）：新认定且未获过本奖励的高新技术企业奖励50万元，市、区1:1分担\n", "", 1),
                    encoding="utf-8")
    with pytest.raises(RuleError, match="hnte_first.*cite"):
        load_policy(path)
    path.write_text("id: [x\n", encoding="utf-8")
    with pytest.raises(RuleError, match="YAML"):
        load_policy(path)
