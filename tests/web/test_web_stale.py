"""No stale view: after a change to ledger records (made by another process, as an import from the
command line is), the next view of every page that reads them is the page computed with nothing
cached at all; pages that do not read the changed kind are served from the cache."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from typer.testing import CliRunner

from kechuang import cache, db
from kechuang.cli import app as cli
from kechuang.ledgers.demo import generate_city

TODAY = dt.date(2026, 11, 25)
PAGES = ["/", "/targets", "/assessment", "/ledgers", "/ledgers/enterprise", "/ledgers/tech_contract",
         "/ledgers/certification", "/ledgers/tech_contract?sort=amount&desc=1", "/programs",
         "/programs/tech_sme", "/programs/hnte", "/programs/xiaoshenggao", "/ledgers/enterprise?sort=name&page=2",
         "/ledgers/certification?sort=cert_no&page=2", "/targets?date=2026-03-04"]


def _forget_everything() -> None:
    """What a freshly started worker holds: no views, no id lists, no decoded ledgers."""
    from kechuang.ledgers import frames

    cache.bump()
    with cache._lists_lock:
        cache._lists.clear()
    with frames._FRAMES_LOCK:
        frames._FRAMES.clear()


def _views(c) -> dict[str, str]:
    out = {}
    for path in PAGES:
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        out[path] = re.sub(r"\d{2}:\d{2}:\d{2}", "", r.text)  # clock times in 最近更新 lines
    return out


def _change(db_url: str, kind: str, edit, pick=None) -> None:
    """Edit one stored record of `kind` (the first, or the first `pick` accepts) through the
    importer, from an engine of its own."""
    from kechuang.ledgers import load_frame
    from kechuang.ledgers.importer import import_records

    other = db.make_engine(db_url)
    try:
        frame = load_frame(other, kind)
        rec = next(r for r in frame.iter_rows(named=True) if pick is None or pick(r))
        rec = {k: v for k, v in rec.items() if k not in ("id", "key") and v is not None}
        report = import_records(other, kind, [edit(rec)], source="test")
        assert report.ok and report.updated + report.inserted == 1, report.problems
    finally:
        other.dispose()


@pytest.fixture
def city(engine):
    from kechuang.targets.demo import load_demo_targets

    generate_city(engine, "320900", enterprises=150, seed=5, today=TODAY)
    with db.session_scope(engine) as s:
        load_demo_targets(s, dt.date.today().year)
    r = CliRunner().invoke(cli, ["evaluate", "--region", "320900", "--program", "all", "--as-of", str(TODAY)])
    assert r.exit_code == 0, r.output
    return engine


def _check(c, before: dict[str, str], must_change: set[str]) -> dict[str, str]:
    after = _views(c)
    _forget_everything()
    truth = _views(c)
    stale = [p for p in PAGES if after[p] != truth[p]]
    assert not stale, f"stale views: {stale}"
    unchanged = [p for p in must_change if after[p] == before[p]]
    assert not unchanged, f"the change does not show on {unchanged}"
    return after


def test_a_ledger_change_shows_on_the_next_view_of_every_page_that_reads_it(city, db_url, client_as):
    c = client_as("admin")
    before = _views(c)
    assert _views(c) == before  # nothing moves without a change

    # a contract of this year's: its amount (a metric of the targets and of the assessment)
    _change(db_url, "tech_contract", lambda r: dict(r, amount=r["amount"] + 90000),
            pick=lambda r: r["role"] != "buyer" and r["registered_on"].year == dt.date.today().year
            and r["amount"] is not None)
    before = _check(c, before, {"/targets", "/ledgers/tech_contract?sort=amount&desc=1", "/assessment"})

    # an enterprise's name (every list that names enterprises)
    _change(db_url, "enterprise", lambda r: dict(r, name="【演示】改过名字的企业"))
    first = _views(c)["/ledgers/enterprise"]
    assert "改过名字的企业" in first
    before = _check(c, before, {"/ledgers/enterprise"})


def test_only_views_of_the_changed_kind_are_computed_again(city, db_url, client_as):
    c = client_as("admin")
    _views(c)
    _change(db_url, "tech_contract", lambda r: dict(r, amount=r["amount"] + 1))
    c.get("/")  # one request notes the new versions
    n = cache.computed()
    for path in ("/programs", "/programs/xiaoshenggao", "/ledgers/enterprise", "/programs/tech_sme",
                 "/programs/hnte"):
        assert c.get(path).status_code == 200
    assert cache.computed() == n  # they read no contracts: served as they were
    assert c.get("/ledgers/tech_contract").status_code == 200
    assert cache.computed() > n


def test_a_new_certificate_leaves_the_xiaoshenggao_list_at_once(city, db_url, client_as):
    from kechuang.programs import store
    from kechuang.programs.pipeline import xiaoshenggao

    c = client_as("admin")
    with db.make_engine(db_url).connect() as conn:
        day = store.latest_as_of(conn, "hnte")
        first = xiaoshenggao(conn, day)[0]["uscc"]
    assert first in c.get("/programs/xiaoshenggao").text

    def hnte_certificate(rec):
        return {"uscc": first, "cert_type": "高新技术企业", "level": "国家级", "year": TODAY.year,
                "cert_no": "GR2026320900999", "issued_on": str(TODAY - dt.timedelta(days=30))}

    _change(db_url, "certification", hnte_certificate)
    assert first not in c.get("/programs/xiaoshenggao").text


def test_a_program_list_kept_as_a_page_follows_names_and_certificates(city, db_url, client_as):
    """The 科技型中小企业 list is served from the page cache, yet a renamed enterprise shows its new
    name, and one that gains a valid certificate leaves the candidates, on the next view."""
    c = client_as("admin")
    page = c.get("/programs/tech_sme").text
    uscc = re.search(r'data-uscc="([^"]+)"', page).group(1)
    assert c.get("/programs/tech_sme").text == page  # kept

    _change(db_url, "enterprise", lambda r: dict(r, name="【演示】换了名字的科技企业"), pick=lambda r: r["uscc"] == uscc)
    page = c.get("/programs/tech_sme").text
    assert "换了名字的科技企业" in page

    def tech_sme_certificate(rec):
        return {"uscc": uscc, "cert_type": "科技型中小企业", "level": "省级", "year": TODAY.year,
                "cert_no": "TS2026320900999", "issued_on": str(TODAY - dt.timedelta(days=30))}

    _change(db_url, "certification", tech_sme_certificate)
    assert f'data-uscc="{uscc}"' not in c.get("/programs/tech_sme").text
    assert f'data-uscc="{uscc}"' in c.get("/programs/tech_sme?held=1").text


def test_the_ledger_index_kept_as_a_page_counts_a_new_record_on_the_next_view(city, db_url, client_as):
    """/ledgers is served from the page cache until a ledger changes: a certificate imported by
    another process shows in its count (and 最后更新) on the next view."""
    c = client_as("officer", "320900")
    first = c.get("/ledgers").text
    assert c.get("/ledgers").text == first
    _change(db_url, "certification", lambda r: dict(r, cert_no="GR2026320900998"))
    after = c.get("/ledgers").text
    _forget_everything()
    assert after == c.get("/ledgers").text != first
