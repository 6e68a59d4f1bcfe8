"""The payouts ledger over stored ledgers: listed → confirmed → paid, audited, never twice across
two years of runs; budgets reconcile with the lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import select

from kechuang import db
from kechuang.audit import AuditEntry
from kechuang.incentives.payouts import AwardPayout, PayoutError, advance, awards_for, generate
from kechuang.ledgers.importer import import_records
from kechuang.ledgers.uscc import check_char


def uscc(n: int) -> str:
    s = f"91320100MA1{n:06d}"
    return s + check_char(s)


A, B, C = uscc(1), uscc(2), uscc(3)


@pytest.fixture
def engine(db_url):
    eng = db.engine_for(db_url)
    ents = [{"uscc": u, "name": n, "region_code": "320102"} for u, n in ((A, "甲科技"), (B, "乙科技"), (C, "丙科技"))]
    assert import_records(eng, "enterprise", ents).ok
    certs = [
        {"uscc": A, "cert_type": "hnte", "level": "national", "issued_on": "2023-11-10"},
        {"uscc": A, "cert_type": "advanced_tech_service", "level": "provincial", "issued_on": "2024-06-01"},
        {"uscc": B, "cert_type": "hnte", "level": "national", "issued_on": "2024-11-20"},
        {"uscc": C, "cert_type": "hnte", "level": "national", "issued_on": "2020-11-20"},
        {"uscc": C, "cert_type": "hnte", "level": "national", "issued_on": "2023-11-20"},
    ]
    report = import_records(eng, "certification", certs)
    assert report.ok, report.problems
    return eng


def _session(eng):
    return db.session_scope(eng)


def test_two_years_of_runs_never_pay_twice(engine):
    with engine.connect() as c:
        lines = awards_for(c, "320100", 2023)
    first = [a for a in lines if a.uscc == A and a.item == "hnte_first"]
    assert [(a.status, a.amount, a.payout_year) for a in first] == [("payable", Decimal(50), 2024)]
    assert not [a for a in lines if a.uscc == C]  # a re-recognition has no Nanjing award

    with _session(engine) as s:
        assert generate(s, "320100", 2023, "tester", dt.date(2024, 1, 10)) == {"listed": 1, "already": 0, "payable": 1}
    with _session(engine) as s:  # the same year again lists nothing new
        assert generate(s, "320100", 2023, "tester", dt.date(2024, 1, 11))["listed"] == 0
    with _session(engine) as s:
        pid = s.scalar(select(AwardPayout.id).where(AwardPayout.uscc == A))
        with pytest.raises(PayoutError, match="顺序"):
            advance(s, pid, "paid", "tester", dt.date(2024, 2, 1))
    with _session(engine) as s:
        advance(s, pid, "confirmed", "tester", dt.date(2024, 2, 1))
    with _session(engine) as s:
        row = advance(s, pid, "paid", "tester", dt.date(2024, 3, 1))
        assert (row.status, row.confirmed_on, row.paid_on) == ("paid", dt.date(2024, 2, 1), dt.date(2024, 3, 1))

    # the next year: A's second title is not funded again, B's first recognition is listed
    with engine.connect() as c:
        lines = awards_for(c, "320100", 2024)
    ats = next(a for a in lines if a.uscc == A and a.item == "ats_first")
    assert ats.status == "excluded" and "2023" in ats.reason
    with _session(engine) as s:
        assert generate(s, "320100", 2024, "tester", dt.date(2025, 1, 10))["listed"] == 1
    with engine.connect() as c:
        again = awards_for(c, "320100", 2023)
    assert next(a for a in again if a.uscc == A).payout_status == "paid"
    with _session(engine) as s:
        rows = s.scalars(select(AwardPayout).order_by(AwardPayout.id)).all()
        assert [(r.uscc, r.event_year, r.status) for r in rows] == [(A, 2023, "paid"), (B, 2024, "listed")]
        assert rows[0].payers == [{"level": "prefecture", "region_code": "320100", "amount": "25"},
                                  {"level": "county", "region_code": "320102", "amount": "25"}]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.entity == "award_payout").order_by(AuditEntry.id)).all()
        assert [e.action for e in audit] == ["award-list", "award-confirmed", "award-paid", "award-list"]
        assert audit[2].before["status"] == "confirmed" and audit[2].after["paid_on"] == "2024-03-01"


def test_advance_refuses_out_of_scope_and_unknown(engine):
    with _session(engine) as s:
        generate(s, "320100", 2023, "tester", dt.date(2024, 1, 10))
    with _session(engine) as s:
        pid = s.scalar(select(AwardPayout.id))
        with pytest.raises(PayoutError, match="管辖范围"):
            advance(s, pid, "confirmed", "tester", region_codes={"320213"})
        with pytest.raises(PayoutError, match="管辖范围"):
            advance(s, pid + 100, "confirmed", "tester")
        with pytest.raises(PayoutError, match="无效"):
            advance(s, pid, "listed", "tester")
        with pytest.raises(PayoutError, match="早于"):
            advance(s, pid, "confirmed", "tester", dt.date(2023, 1, 1))
        assert s.get(AwardPayout, pid).status == "listed"


def test_awards_from_the_fields_they_read_equal_those_from_whole_records(db_url):
    """The frames kept for awards hold the fields the facts read; the awards (amounts, reasons,
    names, facts) are those computed from every field of the whole records."""
    from kechuang.incentives.engine import compute
    from kechuang.incentives.payouts import KINDS, stored_frames
    from kechuang.ledgers import load_frame
    from kechuang.ledgers.demo import generate_city
    from kechuang.ledgers.frames import _FRAMES, _FRAMES_LOCK
    from kechuang.regions import registry

    eng = db.engine_for(db_url)
    generate_city(eng, "320900", enterprises=400, seed=21, today=dt.date(2024, 12, 31))
    codes = registry().subtree_codes("320900")
    whole = {k: load_frame(eng, k, codes) for k in KINDS}
    with _FRAMES_LOCK:
        _FRAMES.clear()
    with eng.connect() as c:
        kept = stored_frames(c, codes)
        some = sorted(set(whole["certification"].get_column("uscc").to_list()))[:40]
        few = stored_frames(c, codes, some)  # some enterprises: read from the database, same fields
    for k in KINDS:
        assert set(kept[k].columns) < set(whole[k].columns), k
    def lines(frames):
        return [a.__dict__ for y in (2022, 2023, 2024) for a in compute(frames, y, "320900")]

    old = lines(whole)
    assert len(old) > 5 and any(a["name"] for a in old)
    assert lines(kept) == old
    assert lines(few) == lines({k: f.filter(pl.col("uscc").is_in(some)) for k, f in whole.items()})


def test_one_run_lists_many_payouts_each_with_its_own_audit_entry(db_url):
    eng = db.engine_for(db_url)
    many = [uscc(100 + i) for i in range(12)]
    districts = ["320102", "320104", "320105"]
    ents = [{"uscc": u, "name": f"企业{i}", "region_code": districts[i % 3]} for i, u in enumerate(many)]
    assert import_records(eng, "enterprise", ents).ok
    certs = [{"uscc": u, "cert_type": "hnte", "level": "national", "issued_on": "2023-11-10"} for u in many]
    assert import_records(eng, "certification", certs).ok
    with _session(eng) as s:
        assert generate(s, "320100", 2023, "tester", dt.date(2024, 1, 10))["listed"] == len(many)
    with _session(eng) as s:
        rows = s.scalars(select(AwardPayout).order_by(AwardPayout.id)).all()
        audit = s.scalars(select(AuditEntry).where(AuditEntry.entity == "award_payout")).all()
        assert sorted(r.uscc for r in rows) == sorted(many)
        by_id = {e.entity_id: e for e in audit}
        assert len(audit) == len(rows) == len(by_id)
        for r in rows:  # each entry names its own row, region and state
            e = by_id[str(r.id)]
            assert (e.action, e.region_code, e.before, e.after) == ("award-list", r.region_code, None, r.snapshot())
