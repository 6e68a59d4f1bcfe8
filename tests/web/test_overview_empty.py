"""总览 with nothing in the region says so (尚无目标与台账数据) instead of showing empty panels; once
the region has a ledger record, a target or a task, the panels come back."""

from __future__ import annotations

import datetime as dt

from kechuang.ledgers.importer import import_records
from kechuang.ledgers.uscc import make

EMPTY = "尚无目标与台账数据"


def test_empty_state_until_the_region_has_data(client_as, engine):
    th, yd, admin = client_as("officer", "320902"), client_as("officer", "320903"), client_as("admin")
    for c in (th, yd, admin):
        page = c.get("/").text
        assert EMPTY in page and 'id="overdue-tasks"' not in page and "年目标进度" not in page
    uscc = make("91", "320902", "MA9400001")
    assert import_records(engine, "enterprise", [{"uscc": uscc, "name": "【演示】总览测试科技",
                                                  "region_code": "320902"}]).ok
    page = th.get("/").text
    assert EMPTY not in page and 'id="overdue-tasks"' in page and "年目标进度" in page
    assert EMPTY not in admin.get("/").text
    assert EMPTY in yd.get("/").text  # another district's record is not this district's data


def test_a_target_alone_ends_the_empty_state(client_as, engine):
    from kechuang import db
    from kechuang.targets.store import add_target

    th = client_as("officer", "320902")
    assert EMPTY in th.get("/").text
    with db.session_scope(engine) as s:
        add_target(s, region="亭湖区", region_code="320902", indicator="技术合同成交额", value=1000, unit="万元",
                   metric_id="tech_contract_amount", year=dt.date.today().year)
    page = th.get("/").text
    assert EMPTY not in page and "/rows" in page and 'id="overdue-tasks"' in page
