"""申报窗口 (programs/windows.yaml) and the rule on them: an enterprise one step away from a
program whose window covering it is open and closes within N days — firing at N days, not at N + 1,
on the last day, not after it; bad window files refused naming entry, field and value."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from helpers_warnings import hnte_profile, tech_sme_close

from kechuang import db
from kechuang.ledgers.uscc import make
from kechuang.programs.windows import WINDOWS_FILE, WindowError, parse_windows, windows, windows_for
from kechuang.warnings import evaluate, rules

TINGHU, YIXING = "320902", "320282"


def _window(wid: str):
    return next(w for w in windows() if w.id == wid)


def test_data_file_cites_real_notices_and_marks_demo_dates():
    ws = windows()
    assert any(not w.demo for w in ws) and any(w.demo for w in ws)
    for w in ws:
        assert w.closes_on >= w.opens_on
        if w.demo:
            assert "演示" in w.title and not w.source
        else:
            assert w.source.startswith("http") and w.cite


def test_windows_of_a_region_are_those_issued_above_at_or_below_it():
    city = [w.id for w in windows_for("tech_sme", "320900")]
    wuxi = [w.id for w in windows_for("tech_sme", "320200")]
    assert "tech_sme-2026-yc-demo" in city and "tech_sme-2025" in city
    assert "tech_sme-2026-yc-demo" not in wuxi and "tech_sme-2025" in wuxi  # 全国 covers every region
    assert _window("tech_sme-2026-yc-demo").covers(TINGHU) and not _window("tech_sme-2026-yc-demo").covers(YIXING)


def _near_miss_hnte(store_results, uscc: str, region: str, as_of: dt.date):
    # R&D 200 万元 a year: 600 of the 750 needed, one modest change away (一步之遥)
    [rec] = store_results([{**hnte_profile(uscc, 200), "region_code": region}], ["hnte"], as_of)
    assert rec["result"] == "fail" and rec["_close"]


def test_window_rule_fires_within_n_days_of_the_last_day(store_results, engine):
    w = _window("hnte-2026-js-demo")
    n = rules()["window_closing"].params["days"]
    close, far = make("91", TINGHU, "MA9200001"), make("91", TINGHU, "MA9200002")
    _near_miss_hnte(store_results, close, TINGHU, w.opens_on)
    [rec] = store_results([{**hnte_profile(far, 100), "region_code": TINGHU}], ["hnte"], w.opens_on)
    assert rec["result"] == "fail" and not rec["_close"]  # 差距较大: never warned

    def fired(today):
        with db.session_scope(engine) as s:
            return {x.uscc: x for x in evaluate(s, None, today, only="window_closing")}

    at_n = fired(w.closes_on - dt.timedelta(days=n))
    assert set(at_n) == {close}
    assert f"剩 {n} 天" in at_n[close].text and w.title in at_n[close].text and "研发" in at_n[close].text
    assert fired(w.closes_on - dt.timedelta(days=n + 1)) == {}
    assert f"剩 {n - 1} 天" in fired(w.closes_on - dt.timedelta(days=n - 1))[close].text
    assert "剩 0 天" in fired(w.closes_on)[close].text  # the last day itself
    assert fired(w.closes_on + dt.timedelta(days=1)) == {}
    assert fired(w.opens_on - dt.timedelta(days=1)) == {}  # not open yet


def test_window_rule_keeps_to_the_windows_region_and_the_users_scope(store_results, engine):
    w = _window("tech_sme-2026-yc-demo")  # 盐城市 only
    inside, outside = make("91", TINGHU, "MA9200003"), make("91", YIXING, "MA9200004")
    store_results([{**tech_sme_close(inside), "region_code": TINGHU},
                   {**tech_sme_close(outside), "region_code": YIXING}], ["tech_sme"], w.opens_on)
    with db.session_scope(engine) as s:
        found = evaluate(s, None, w.closes_on, only="window_closing")
        assert {x.uscc for x in found} == {inside}
        assert {x.uscc for x in evaluate(s, {"320903"}, w.closes_on, only="window_closing")} == set()
        # the plain near-miss rule knows nothing of windows: both enterprises
        assert {x.uscc for x in evaluate(s, None, w.closes_on, only="near_miss")} == {inside, outside}


GOOD = {"id": "x", "program": "hnte", "year": 2026, "level": "city", "region_code": "320900", "issuer": "市科技局",
        "title": "测试窗口", "opens_on": "2026-05-01", "closes_on": "2026-06-30", "notice": "通知",
        "source": "https://example.org/notice", "cite": "5月1日至6月30日"}


@pytest.mark.parametrize("change,words", [
    ({"program": "hnte2"}, ["program", "hnte2", "培育项目"]),
    ({"level": "county"}, ["level", "county"]),
    ({"year": "明年"}, ["year", "明年", "年份"]),
    ({"region_code": "999999"}, ["region_code", "999999"]),
    ({"level": "national"}, ["region_code", "320900", "national"]),
    ({"opens_on": "2026-02-30"}, ["opens_on", "2026-02-30", "日期"]),
    ({"closes_on": "2026-04-30"}, ["closes_on", "2026-04-30", "早于"]),
    ({"source": ""}, ["source", "出处"]),
    ({"demo": True, "source": ""}, ["演示", "测试窗口"]),
    ({"title": ""}, ["title", "缺少"]),
])
def test_bad_window_entries_are_refused_naming_entry_field_and_value(change, words):
    with pytest.raises(WindowError) as e:
        parse_windows([GOOD, {**GOOD, "id": "y", **change}], "windows.yaml")
    msg = str(e.value)
    assert "windows.yaml" in msg and "第 2 条" in msg
    for w in words:
        assert w in msg, (w, msg)


def test_duplicate_ids_and_a_file_that_is_not_a_list_are_refused():
    with pytest.raises(WindowError, match="编号“x”重复"):
        parse_windows([GOOD, GOOD])
    with pytest.raises(WindowError, match="条目列表"):
        parse_windows({"x": GOOD})
    assert [w.id for w in parse_windows([GOOD])] == ["x"]
    assert yaml.safe_load(WINDOWS_FILE.read_text(encoding="utf-8"))  # the shipped file parses
