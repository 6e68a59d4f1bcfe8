"""一步之遥 warnings are read from stored columns and made one page at a time: on a generated city
with results stored as `kechuang evaluate --region` stores them, every page, the counts, the
lookup by key and the scope filters agree with warnings made record by record from the decoded
results (their reasons give the next step)."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from kechuang import db
from kechuang.cli import app as cli
from kechuang.ledgers.demo import generate_city
from kechuang.warnings import gather, rules

TODAY = dt.date(2026, 11, 25)
CITY, TINGHU = "320900", "320902"


@pytest.fixture
def city(engine):
    generate_city(engine, CITY, enterprises=150, seed=5, today=TODAY)
    r = CliRunner().invoke(cli, ["evaluate", "--region", CITY, "--program", "all", "--as-of", str(TODAY)])
    assert r.exit_code == 0, r.output
    return engine


def _expected(engine, codes: set[str] | None) -> list[tuple]:
    from kechuang.ledgers.store import enterprise_names
    from kechuang.programs.catalog import program_name
    from kechuang.programs.store import load, next_step

    rule = rules()["near_miss"]
    with engine.connect() as conn:
        close = load(conn, TODAY, region_codes=codes, close_only=True)
        names = enterprise_names(conn, close["uscc"].to_list())
    out = [(r["region_code"], r["program"], r["uscc"], rule.wording.format(
        name=names.get(r["uscc"]) or r["uscc"], program=program_name(r["program"]), next_step=next_step(r)))
        for r in close.iter_rows(named=True)]
    return sorted(out)


@pytest.mark.parametrize("codes", [None, {TINGHU}, {"320981"}])
def test_near_miss_pages_counts_and_keys_agree_with_the_decoded_results(city, codes):
    want = _expected(city, codes)
    with db.session_scope(city) as s:
        found = gather(s, codes, TODAY, only="near_miss")
        assert found.counts() == {"near_miss": len(want)}
        pages = [w for at in range(0, len(found), 7) for w in found.page(at, at + 7)]
        got = [(w.region_code, w.key.split(":")[3], w.uscc, w.text) for w in pages]
        assert got == want
        if want:
            last = pages[-1]
            assert found.find(last.key).text == last.text
        assert found.find(f"near_miss:{CITY}:91320900MA0000000X:hnte") is None
    if codes is None:
        assert len({w[1] for w in want}) > 1 and len(want) > 10
        assert any(w[0] == TINGHU for w in want) and any(w[0] != TINGHU for w in want)
