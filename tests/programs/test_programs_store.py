"""Stored results: compact reasons, generations that switch at once, saves that fail or are killed
part-way leaving the shown results as they were (SQLite, or PostgreSQL with KECHUANG_TEST_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import zlib
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from kechuang import db
from kechuang.ledgers.demo import generate_city
from kechuang.programs import store

DAY = dt.date(2026, 11, 25)
PROGRAMS = ["tech_sme", "hnte", "innovation_points"]


def _records(engine, as_of=DAY, n=40, seed=5):
    from kechuang.ledgers import build_profiles
    from kechuang.programs.engine import evaluate
    from kechuang.programs.explain import records

    generate_city(engine, "320900", enterprises=n, seed=seed, today=DAY)
    frame = build_profiles(engine, "320900", as_of)
    regions = dict(zip(frame["uscc"].to_list(), frame["region_code"].to_list()))
    return list(records(evaluate(frame, PROGRAMS, as_of))), regions


def _shown(engine, as_of=DAY) -> list[tuple]:
    with engine.connect() as conn:
        df = store.load(conn, as_of)
    return sorted((r["uscc"], r["program"], r["result"], r["score_max"], json.dumps(r["gaps"], sort_keys=True),
                   json.dumps(r["conditions"], sort_keys=True), json.dumps(r["missing"], sort_keys=True))
                  for r in df.iter_rows(named=True))


def _expected(recs) -> list[tuple]:
    return sorted((r["uscc"], r["program"], r["result"], None if r["score_max"] is None else round(r["score_max"], 4),
                   json.dumps(r["gaps"], sort_keys=True), json.dumps(r["conditions"], sort_keys=True),
                   json.dumps(r["missing"], sort_keys=True)) for r in recs)


def _rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(store.T)).scalar()


def test_reasons_read_back_as_evaluated(engine):
    recs, regions = _records(engine)
    assert store.save(engine, DAY, recs, regions, PROGRAMS) == len(recs)
    assert _shown(engine) == _expected(recs)
    with engine.connect() as conn:
        blob = conn.execute(select(store.T.c.detail).limit(1)).scalar()
    assert len(blob) < len(json.dumps(recs[0]["conditions"]))  # compressed, not the JSON text
    assert bytes(blob)[1] & 0x20  # with the preset dictionary, which a process reads from the database
    store._DICTIONARIES.clear()
    with pytest.raises(LookupError):
        store.unpack(blob)
    assert _shown(engine) == _expected(recs)


def test_reasons_stay_readable_when_the_dictionary_changes(engine, monkeypatch):
    """Rule files change the dictionary: earlier rows keep theirs, from the database."""
    recs, regions = _records(engine)
    store.save(engine, DAY, recs, regions, PROGRAMS)
    later = DAY + dt.timedelta(days=1)
    monkeypatch.setattr(store, "dictionary", lambda: b'"text": "another wording"')
    store.save(engine, later, recs, regions, PROGRAMS)
    store._DICTIONARIES.clear()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.D)).scalar() == 2
    assert _shown(engine) == _expected(recs) == _shown(engine, later)
    with engine.begin() as conn:  # another dictionary under the same id: documents go without one
        conn.execute(store.D.update().where(store.D.c.id == zlib.adler32(store.dictionary()))
                     .values(data=b"something else"))
    store.save(engine, later, recs, regions, PROGRAMS)
    store._DICTIONARIES.clear()
    assert _shown(engine) == _expected(recs) == _shown(engine, later)


def test_migration_keeps_every_answer(db_url, engine):
    """Down to the JSON columns of 0004 and up again: the stored reasons and the pages' rows are unchanged."""
    from alembic import command

    from kechuang import db

    recs, regions = _records(engine)
    store.save(engine, DAY, recs, regions, PROGRAMS)
    with engine.connect() as conn:
        before = store.page(conn, DAY, "hnte", limit=None)
    shown = _shown(engine)
    command.downgrade(db.alembic_config(db_url), "0018")
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT uscc, program, conditions FROM program_results")).all()
    assert len(raw) == len(recs)
    by = {(r["uscc"], r["program"]): r["conditions"] for r in recs}
    assert all((json.loads(c) if isinstance(c, str) else c) == by[(u, p)] for u, p, c in raw)
    with engine.begin() as conn:  # a column holding its JSON as a JSON string reads the same
        first = conn.execute(text("SELECT MIN(id) FROM program_results")).scalar()
        wrap = "to_json(gaps::text)" if engine.dialect.name == "postgresql" else "json_quote(gaps)"
        conn.execute(text(f"UPDATE program_results SET gaps = {wrap} WHERE id = :i"), {"i": first})
        # what an upgrade stopped during its copy leaves: it starts again
        conn.execute(text("CREATE TABLE program_result_generations (id INTEGER)"))
        conn.execute(text("CREATE TABLE program_results_0019 (id INTEGER)"))
    db.upgrade(db_url)
    with engine.connect() as conn:  # converted by SQL: plain JSON documents
        assert {bytes(b)[:1] for (b,) in conn.execute(text("SELECT detail FROM program_results"))} == {b"{"}
    assert _shown(engine) == shown
    with engine.connect() as conn:
        after = store.page(conn, DAY, "hnte", limit=None)
    assert after == before and after[1] == sum(1 for r in recs if r["program"] == "hnte")
    from kechuang.ledgers.store import enterprise_names

    with engine.connect() as conn:
        names = enterprise_names(conn, [r["uscc"] for r in before[0]])
    assert names and [r["name"] for r in before[0]] == [names.get(r["uscc"], "") for r in before[0]]


def test_save_switches_at_once_and_replaces_only_what_it_evaluated(engine, monkeypatch):
    recs, regions = _records(engine)
    with engine.connect() as conn:
        secure = conn.exec_driver_sql("PRAGMA secure_delete").scalar() if conn.dialect.name == "sqlite" else None
    store.save(engine, DAY, recs, regions, PROGRAMS)
    old = _shown(engine)
    monkeypatch.setattr(store, "BATCH", 7)
    monkeypatch.setattr(store, "PURGE", 7)  # the old generation is deleted over many transactions
    # re-evaluate hnte for the first ten enterprises with changed data: the rest stays
    some = sorted({r["uscc"] for r in recs})[:10]
    seen = []

    def changed():
        for i, r in enumerate(x for x in recs if x["program"] == "hnte" and x["uscc"] in some):
            if i == 8:  # a batch is committed: a reader still sees exactly the old results
                seen.append(_shown(engine))
            yield dict(r, result="pass", gaps=[], score_max=99.0, _close=False)

    store.save(engine, DAY, changed(), regions, ["hnte"], usccs=some)
    assert seen == [old]
    now = _shown(engine)
    assert len(now) == len(old)
    assert {(u, p) for u, p, res, *_ in now if res == "pass" and p == "hnte"} >= {(u, "hnte") for u in some}
    assert [x for x in now if not (x[1] == "hnte" and x[0] in some)] == [x for x in old if not (x[1] == "hnte"
                                                                                               and x[0] in some)]
    assert _rows(engine) == len(recs)  # the old generation is gone
    with engine.connect() as conn:
        assert conn.execute(select(store.G.c.state)).scalars().all() == ["live"]
        if conn.dialect.name == "sqlite":  # the deletes' own setting is not left on pooled connections
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == secure


def test_failed_save_leaves_results_as_they_were(engine, monkeypatch):
    recs, regions = _records(engine)
    store.save(engine, DAY, recs, regions, PROGRAMS)
    old = _shown(engine)
    monkeypatch.setattr(store, "BATCH", 7)
    monkeypatch.setattr(store, "PURGE", 7)
    bad = [dict(r) for r in recs]
    del bad[30]["program"]  # a malformed record part-way, after batches were committed
    with pytest.raises(KeyError):
        store.save(engine, DAY, bad, regions, PROGRAMS)
    assert _shown(engine) == old
    assert _rows(engine) == len(recs)  # the partial generation was removed
    later = [dict(r, next_step="x") for r in recs]
    store.save(engine, DAY, later, regions, PROGRAMS)
    assert _shown(engine) == old and _rows(engine) == len(recs)


_KILLED = """
import datetime as dt, json, os, signal, sys
from kechuang import db
from kechuang.programs import store

store.BATCH = 7
recs, regions, programs = json.load(open(sys.argv[2], encoding="utf-8"))

def records():
    for i, r in enumerate(recs):
        if i == 30:  # batches are committed: die as a killed process does, without cleaning up
            os.kill(os.getpid(), signal.SIGKILL)
        yield dict(r, result="pass")

store.save(db.engine_for(sys.argv[1]), dt.date.fromisoformat(sys.argv[3]), records(), regions, programs,
           usccs=sorted(regions))
"""


def test_killed_save_leaves_results_as_they_were(db_url, engine, tmp_path):
    recs, regions = _records(engine)
    store.save(engine, DAY, recs, regions, PROGRAMS)
    old = _shown(engine)
    data = tmp_path / "recs.json"
    data.write_text(json.dumps([recs, regions, PROGRAMS], default=str), encoding="utf-8")
    script = tmp_path / "save.py"
    script.write_text(textwrap.dedent(_KILLED), encoding="utf-8")
    engine.dispose()
    p = subprocess.run([sys.executable, str(script), db_url, str(data), DAY.isoformat()], capture_output=True,
                       env=dict(os.environ), timeout=600)
    assert p.returncode == -9, p.stderr.decode()
    assert _shown(engine) == old
    assert _rows(engine) > len(recs)  # the killed save's committed batches are still there, unseen
    with engine.connect() as conn:
        assert store.latest_as_of(conn) == DAY
        assert store.counts(conn, DAY)["n"].sum() == len(recs)
    store.save(engine, DAY, recs, regions, PROGRAMS)  # the next save removes them
    assert _rows(engine) == len(recs) and _shown(engine) == old


def test_dates_have_their_own_generations(engine):
    recs, regions = _records(engine)
    store.save(engine, DAY, recs, regions, PROGRAMS)
    later = DAY + dt.timedelta(days=30)
    store.save(engine, later, [r for r in recs if r["program"] == "hnte"], regions, ["hnte"])
    with engine.connect() as conn:
        assert store.latest_as_of(conn) == later
        assert store.latest_as_of(conn, "tech_sme") == DAY
        assert store.load(conn, None, "hnte").height == 2 * sum(1 for r in recs if r["program"] == "hnte")
    assert _shown(engine) == _expected(recs)


_SECOND = """
import datetime as dt, json, sys
from kechuang import db
from kechuang.programs import store

recs, regions, programs = json.load(open(sys.argv[2], encoding="utf-8"))
try:
    store.save(db.engine_for(sys.argv[1]), dt.date.fromisoformat(sys.argv[3]),
               [dict(r, result="unknown") for r in recs], regions, programs)
except store.SaveError as exc:
    print(exc)
    sys.exit(3)
"""


@pytest.mark.parametrize("as_of", [DAY, DAY + dt.timedelta(days=1)])
def test_second_save_at_once_fails_and_changes_nothing(db_url, engine, tmp_path, monkeypatch, as_of):
    """Another process saves while a save has committed batches and not yet switched: it fails with
    a clear error, whatever its date, and the first save completes with its own results only."""
    recs, regions = _records(engine)
    data = tmp_path / "recs.json"
    data.write_text(json.dumps([recs, regions, PROGRAMS], default=str), encoding="utf-8")
    script = tmp_path / "second.py"
    script.write_text(textwrap.dedent(_SECOND), encoding="utf-8")
    monkeypatch.setattr(store, "BATCH", 7)
    second = []

    def first():
        for i, r in enumerate(recs):
            if i == 30:
                second.append(subprocess.run([sys.executable, str(script), db_url, str(data), as_of.isoformat()],
                                             capture_output=True, env=dict(os.environ), timeout=600))
            yield r

    assert store.save(engine, DAY, first(), regions, PROGRAMS, usccs=sorted(regions)) == len(recs)
    p = second[0]
    assert p.returncode == 3, p.stderr.decode()
    out = p.stdout.decode()
    assert "另一次评价正在保存评价结果" in out and as_of.isoformat() in out and "原有结果未变" in out
    assert _shown(engine) == _expected(recs)
    assert _rows(engine) == len(recs)
    with engine.connect() as conn:
        assert conn.execute(select(store.G.c.as_of, store.G.c.state)).all() == [(DAY, "live")]
    store.save(engine, as_of, recs, regions, PROGRAMS)  # once the first is done, the next save runs


def test_save_within_a_transaction_is_locked_too(engine):
    """A save given the caller's connection holds the same lock until that transaction ends."""
    recs, regions = _records(engine, n=5)
    with engine.begin() as conn:
        store.save(conn, DAY, recs, regions, PROGRAMS)
        if engine.dialect.name == "postgresql":  # SQLite: the open write transaction already excludes
            with pytest.raises(store.SaveError, match="另一次评价正在保存评价结果"):
                store.save(engine, DAY, recs, regions, PROGRAMS)
    store.save(engine, DAY, recs, regions, PROGRAMS)
    assert _shown(engine) == _expected(recs)


def _stored_rows(engine, as_of) -> list[tuple]:
    cols = [c for c in store.T.c if c.name not in ("id", "generation", "as_of", "created_at", "detail")]
    with engine.connect() as conn:
        rows = conn.execute(select(*cols, store.T.c.detail).where(store.visible(conn, as_of))).all()
    return sorted(tuple(r[:-1]) + (json.dumps(store.unpack(r[-1]), sort_keys=True, ensure_ascii=False),)
                  for r in rows)


@pytest.mark.parametrize("batch", [store.BATCH, 7])
def test_columnar_save_stores_what_the_records_give(engine, monkeypatch, batch):
    """Every program's results saved from the engine's frames are, column by column and reason by
    reason, what saving their records stores (also when each program's rows are written seven at a
    time, their reasons compressed while the rows before are inserted)."""
    monkeypatch.setattr(store, "BATCH", batch)
    from kechuang.ledgers import build_profiles
    from kechuang.programs.engine import evaluate, program_ids
    from kechuang.programs.explain import records

    generate_city(engine, "320900", enterprises=120, seed=11, today=DAY)
    frame = build_profiles(engine, "320900", DAY)
    regions = dict(zip(frame["uscc"].to_list(), frame["region_code"].to_list()))
    ids = program_ids("all")
    results = evaluate(frame, ids, DAY)
    recs = list(records(results))
    other = DAY + dt.timedelta(days=1)
    assert store.save(engine, DAY, recs, regions, ids) == len(recs)
    with engine.connect() as conn:
        before = db.data_versions(conn)
    assert store.save_results(engine, other, [results], regions, ids, usccs=sorted(regions)) == len(recs)
    with engine.connect() as conn:  # the rows written outside SQLAlchemy's statements count as a change
        assert db.data_versions(conn)["program_results"] > before["program_results"]
    old, new = _stored_rows(engine, DAY), _stored_rows(engine, other)
    assert len(new) == len(recs) and any(r[-5] for r in new) and any("_item" in r[-1] for r in new)
    steps = {r[-2][:4] for r in new}
    assert "不符合：" in steps and len(steps) > 3 and any(r[-4] > 1 for r in new)
    # the failing conditions counted as stored are those the reasons name
    assert all(r[-3] == sum(c["result"] == "fail" for c in json.loads(r[-1])["conditions"]) for r in new)
    assert any(r[-3] > 1 for r in new)
    assert new == old


def test_results_of_credit_codes_are_those_of_the_program_and_date_shown(engine):
    recs, regions = _records(engine, n=60)
    store.save(engine, DAY, recs, regions, PROGRAMS)
    store.save(engine, DAY - dt.timedelta(days=30), recs[:20], regions, PROGRAMS)  # another date's generation
    codes = sorted({r["uscc"] for r in recs})[::3] + ["91320900NOTSTORED0X"]
    want = sorted((r["uscc"], regions[r["uscc"]], r["result"]) for r in recs
                  if r["program"] == "hnte" and r["uscc"] in codes)
    for size in (None, 10_000, 1):  # each code looked up; one pass over the program's results (SQLite)
        with engine.connect() as conn:
            got = sorted(store.of_credit_codes(conn, DAY, "hnte", codes * 2, ("uscc", "region_code", "result"),
                                               program_size=size))
        assert got == want and len(want) >= 10
        with engine.connect() as conn:
            counted: dict[tuple, int] = {}
            for region, result, n in store.of_credit_codes(conn, DAY, "hnte", codes, ("region_code", "result"),
                                                           program_size=size, counted=True):
                counted[(region, result)] = counted.get((region, result), 0) + n
        assert counted == dict(Counter((region, result) for _, region, result in want))
    with engine.connect() as conn:
        assert list(store.of_credit_codes(conn, DAY + dt.timedelta(days=1), "hnte", codes, ("uscc",))) == []


def test_list_pages_of_each_scope_result_and_exclusion_are_the_stored_results_in_order(engine):
    """A program's list is read once for every region and each scope, result filter and set of
    left-out credit codes takes its part: every page of each is the stored results of that scope,
    in the list's order (result, 一步之遥 first, highest score, credit code), the total their count."""
    from kechuang.programs.catalog import status_of

    recs, regions = _records(engine, n=120, seed=11)
    store.save(engine, DAY, recs, regions, PROGRAMS)
    usccs = sorted(regions)
    by_region: dict[str, set[str]] = {}
    for u, code in regions.items():
        by_region.setdefault(code, set()).add(u)
    some = sorted(by_region)[:2]
    scopes = [None, set(some), {some[0]}, {"320999"}]  # everything, two regions, one, a region without results
    left_out = [None, frozenset(usccs[::4]), frozenset(usccs[1::5])]
    assert len(by_region) >= 3

    def order(r):
        return (r["result"], not r["_close"], -(r["score_max"] if r["score_max"] is not None else float("-inf")),
                r["uscc"])

    seen_regions = set()
    for program in ("tech_sme", "hnte"):
        for status in (None, "close", "fail"):
            for scope in scopes:
                for exclude in left_out:
                    want = sorted((r for r in recs if r["program"] == program
                                   and (scope is None or regions[r["uscc"]] in scope)
                                   and (exclude is None or r["uscc"] not in exclude)
                                   and (status is None or (status_of(r["result"], r.get("_close")) == status
                                                           if status == "close" else r["result"] == status))),
                                  key=order)
                    with engine.connect() as conn:
                        pages = [store.page(conn, DAY, program, scope, status, offset, 7, exclude=exclude)
                                 for offset in range(0, max(len(want), 1), 7)]
                    assert all(total == len(want) for _, total in pages)
                    got = [r["uscc"] for rows, _ in pages for r in rows]
                    assert got == [r["uscc"] for r in want], (program, status, scope, exclude)
                    seen_regions |= {r["region_code"] for rows, _ in pages for r in rows}
    assert len(seen_regions) >= 3


def test_evaluate_region_a_batch_at_a_time_stores_what_one_batch_stores(engine):
    """`kechuang evaluate --region` builds, evaluates and saves a batch of enterprises at a time:
    the stored results do not depend on the batch size, pooled programs (ranked within the whole
    population) included."""
    from typer.testing import CliRunner

    from kechuang.cli import app as cli

    generate_city(engine, "320900", enterprises=150, seed=12, today=DAY)
    args = ["evaluate", "--region", "320900", "--program", "all", "--as-of", str(DAY), "--format", "summary"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    whole = _stored_rows(engine, DAY)
    r = CliRunner().invoke(cli, [*args, "--batch-rows", "40"])
    assert r.exit_code == 0, r.output
    assert "已保存" in r.output
    assert len({row[0] for row in whole}) == 150 and len({row[2] for row in whole}) >= 5  # enterprises, programs
    assert _stored_rows(engine, DAY) == whole
