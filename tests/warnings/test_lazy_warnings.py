"""The warnings page counts every warning and makes objects only for the rows it shows: on a small
generated city (ties on the last day, enterprises not in the enterprise ledger, a certificate whose last day is
today, a term without an end date, region filters), the counts, every page and the lookup by key
agree with the warnings worked out record by record from the validity rule."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from kechuang import db
from kechuang.ledgers.importer import import_records
from kechuang.ledgers.kinds import get_kind
from kechuang.ledgers.uscc import make
from kechuang.ledgers.validity import last_day, valid_on
from kechuang.warnings import gather, rules

CITY, TINGHU, YANDU = "320900", "320902", "320903"
TODAY = dt.date.today()


@pytest.fixture
def city(engine):
    """About 60 certificates over two districts; returns the records as imported (ledger order)."""
    rnd = random.Random(7)
    days = int(rules()["cert_expiring"].params["days"])
    ents, certs = [], []
    for i in range(40):
        region = (TINGHU, YANDU)[i % 2]
        uscc = make("91", region, f"MA9{i:06d}")
        # every seventh is not in the enterprise ledger: its certificates name it by its credit code
        ents.append({"uscc": uscc, "region_code": region, "name": f"【演示】惰性预警{i:02d}科技有限公司",
                     "listed": i % 7 != 0})
        for cert in rnd.sample(["hnte", "tech_sme", "srdi_sme"], rnd.randint(1, 2)):
            # few distinct last days: many ties; 0 = expiring today; some past the window or expired
            left = rnd.choice([-1, 0, 0, 3, 3, 30, days, days + 1])
            last = TODAY + dt.timedelta(days=left)
            issued = last - dt.timedelta(days=1000)
            rec = {"uscc": uscc, "region_code": region, "cert_type": cert, "level": "national",
                   "year": issued.year, "issued_on": issued.isoformat()}
            after = last + dt.timedelta(days=1)
            if cert == "hnte" and i % 3 == 0 and (after.month, after.day) != (2, 29):
                # no end date: the statutory three years decide
                rec["issued_on"] = after.replace(year=after.year - 3).isoformat()
                rec["year"] = last.year - 3
            else:
                rec["expires_on"] = last.isoformat()
            if dt.date.fromisoformat(rec["issued_on"]) <= TODAY:
                certs.append(rec)
    assert import_records(engine, "enterprise", [{k: e[k] for k in ("uscc", "region_code", "name")}
                                                 for e in ents if e["listed"]]).ok
    rep = import_records(engine, "certification", certs)
    assert rep.ok, rep.problems
    return {e["uscc"]: e for e in ents}, certs


def _expected(ents: dict, certs: list[dict], codes: set[str] | None) -> list[tuple]:
    """(region, uscc, cert, last day, text) of each expiring certificate, record by record: by last
    day, ties in ledger order."""
    rule = rules()["cert_expiring"]
    labels = {v.id: v.label for v in get_kind("certification").field("cert_type").values}
    out = []
    for rec in certs:
        region = ents[rec["uscc"]]["region_code"]
        typed = {k: dt.date.fromisoformat(rec[k]) if k in ("issued_on", "expires_on") and rec.get(k) else rec.get(k)
                 for k in ("issued_on", "expires_on", "cert_type")}
        last = last_day(typed)
        if codes is not None and region not in codes:
            continue
        if not valid_on(typed, TODAY) or last > TODAY + dt.timedelta(days=int(rule.params["days"])):
            continue
        name = ents[rec["uscc"]]["name"] if ents[rec["uscc"]]["listed"] else rec["uscc"]
        out.append((region, rec["uscc"], rec["cert_type"], last, rule.wording.format(
            name=name, cert=labels[rec["cert_type"]], last_day=last, days=(last - TODAY).days)))
    return sorted(out, key=lambda r: r[3])  # stable: ties keep the ledger's order


@pytest.mark.parametrize("codes", [None, {TINGHU}, {YANDU}, {CITY, TINGHU, YANDU}, {"320981"}])
def test_counts_pages_and_keys_agree_with_the_records(engine, city, codes):
    ents, certs = city
    expected = _expected(ents, certs, codes)
    assert codes == {"320981"} or any(r[3] == TODAY for r in expected)  # the city has one expiring today
    with db.session_scope(engine) as s:
        found = gather(s, codes, TODAY, only="cert_expiring")
        assert len(found) == len(expected) and found.counts() == {"cert_expiring": len(expected)}
        every = list(found)
        got = [(w.region_code, w.uscc, w.subject.split(":")[1], dt.date.fromisoformat(w.subject.split(":")[2]),
                w.text) for w in every]
        assert got == expected
        for start, stop in [(0, 5), (3, 17), (len(expected) - 2, len(expected) + 5), (0, 0)]:
            assert found[start:stop] == every[start:stop]
        if every:
            assert found[-1] == every[-1] and found[len(every) // 2] == every[len(every) // 2]
            for w in every[::5]:
                assert found.find(w.key) == w
        assert found.find(f"cert_expiring:{TINGHU}:{make('91', TINGHU, 'MA9999999')}:hnte:{TODAY}") is None


def test_all_rules_page_runs_across_rules_in_rule_order(engine, city):
    ents, certs = city
    with db.session_scope(engine) as s:
        found = gather(s, None, TODAY)
        every = list(found)
        assert [w.rule for w in every] == sorted((w.rule for w in every), key=list(rules()).index)
        assert found.counts() == {rid: sum(w.rule == rid for w in every) for rid in rules()}
        assert found[:10] == every[:10] and len(found) == len(every) > 10
