import json
import datetime as dt
import io
from decimal import Decimal

import polars as pl
import sqlalchemy as sa

from kechuang.ledgers import build_profiles, load_frame
from kechuang.ledgers.demo import generate, generate_city
from kechuang.ledgers.excel_io import write_export
from kechuang.ledgers.importer import import_bytes
from kechuang.ledgers.kinds import get_kind
from kechuang.ledgers import store
from kechuang.ledgers.uscc import is_valid

TODAY = dt.date(2026, 11, 25)


def test_demo_is_deterministic_marked_and_consistent():
    a = generate("320900", 600, seed=5, today=TODAY)
    b = generate("320900", 600, seed=5, today=TODAY)
    c = generate("320900", 600, seed=6, today=TODAY)
    for kind in a:
        assert a[kind].equals(b[kind]), kind
    assert not a["enterprise"].equals(c["enterprise"])
    ent = a["enterprise"]
    assert ent.height == 600
    assert ent.get_column("name").str.starts_with("【演示】").all()
    assert all(is_valid(u) for u in ent.get_column("uscc").to_list())
    assert ent.get_column("region_code").is_in(
        ["320902", "320903", "320904", "320921", "320922", "320923", "320924", "320925", "320981",
         "320900Z01", "320971"]).all()
    for kind in ("ip", "certification", "project", "tech_contract", "cooperation"):
        assert a[kind].get_column("key").str.starts_with("DEMO-").all() or kind == "certification"
        assert a[kind].get_column("key").is_unique().all(), kind
    cert = a["certification"]
    # HNTE certificates are valid three years and only go to firms meeting the hard conditions
    hnte = cert.filter(pl.col("cert_type") == "hnte")
    assert hnte.height > 0
    assert hnte.select((pl.col("expires_on") == pl.col("issued_on").dt.offset_by("3y")
                        - pl.duration(days=1)).all()).item()
    assert (cert.get_column("issued_on") <= TODAY).all()
    ey = a["enterprise_year"].filter(pl.col("year") == 2025)
    j = hnte.select("uscc").unique().join(ey, on="uscc")
    ratio = (j.get_column("rd_expense").cast(pl.Float64) / j.get_column("revenue").cast(pl.Float64))
    assert (ratio >= 0.028).all()
    assert (j.get_column("tech_staff") * 10 >= j.get_column("employees")).all()
    # metrics of the current year have records
    for kind, col in (("tech_contract", "registered_on"), ("cooperation", "signed_on"), ("project", "start_on")):
        assert a[kind].filter(pl.col(col).dt.year() == 2026).height > 0, kind
    assert (a["tech_contract"].get_column("registered_on") <= TODAY).all()
    tsme = cert.filter(pl.col("cert_type") == "tech_sme").get_column("year").unique().sort().to_list()
    assert tsme == [2021, 2022, 2023, 2024, 2025, 2026]


def test_demo_store_export_reimport_unchanged_and_profiles(engine, tmp_path):
    counts = generate_city(engine, "320900", enterprises=300, seed=3, today=TODAY)
    with engine.connect() as c:
        assert store.count(c, "enterprise") == 300
        assert store.counts_by_kind(c) == {k: v for k, v in counts.items() if v}
        # whether a region holds records, without counting them
        assert store.has_records(c) and store.has_records(c, {"320902"})
        assert store.has_records(c, {"320902"}, ["enterprise"])
        assert not store.has_records(c, {"320581"}) and not store.has_records(c, None, ["no_such_kind"])
        in_scope = store.counts_by_kind(c, {"320902"})
        assert 0 < in_scope["enterprise"] < counts["enterprise"]
    with engine.begin() as c:  # the counts, read once per ledger version, follow a change
        removed = store.delete_kind(c, "ip", {"320902"})
    with engine.connect() as c:
        assert removed and store.counts_by_kind(c)["ip"] == counts["ip"] - removed
        assert in_scope["ip"] == removed and "ip" not in store.counts_by_kind(c, {"320902"})
    # an import of two new patents counts the patents again, and only them
    ip = get_kind("ip")
    buf = io.BytesIO()
    write_export(ip, load_frame(engine, ip).head(2).with_columns(pl.col("ip_no") + "-NEW"), buf)
    before = dict(store._KIND_GROUPS)
    import_bytes(engine, ip, buf.getvalue(), "知识产权.xlsx", today=TODAY)
    with engine.connect() as c:
        assert store.counts_by_kind(c)["ip"] == counts["ip"] - removed + 2
    assert {key[1][1] for key, kept in store._KIND_GROUPS.items() if before.get(key, (0, 0))[1] is not kept[1]} == {"ip"}
    # export the certification ledger and import it again: nothing changes
    kind = get_kind("certification")
    frame = load_frame(engine, kind)
    buf = io.BytesIO()
    write_export(kind, frame, buf)
    rep = import_bytes(engine, kind, buf.getvalue(), "资质.xlsx", today=TODAY)
    assert rep.ok, [p.text() for p in rep.problems[:5]]
    assert rep.unchanged == frame.height and rep.inserted == rep.updated == 0
    # same for enterprise-year (decimals survive the round trip)
    kind = get_kind("enterprise_year")
    frame = load_frame(engine, kind)
    buf = io.BytesIO()
    write_export(kind, frame, buf)
    rep = import_bytes(engine, kind, buf.getvalue(), "年度.xlsx", today=TODAY)
    assert rep.ok and rep.unchanged == frame.height

    prof = build_profiles(engine, "320900", TODAY)
    assert prof.height == 300
    one = prof.filter(pl.col("revenue_y1").is_not_null()).row(0, named=True)
    ey = load_frame(engine, "enterprise_year").filter((pl.col("uscc") == one["uscc"]))
    assert one["revenue_y1"] == ey.filter(pl.col("year") == 2025).get_column("revenue").item()
    district = build_profiles(engine, "320902", TODAY)
    assert set(district.get_column("region_code").to_list()) <= {"320902"}
    # re-running with the same seed replaces rather than duplicates
    generate_city(engine, "320900", enterprises=300, seed=3, today=TODAY)
    with engine.connect() as c:
        assert store.count(c, "enterprise") == 300


def test_profiles_hnte_validity_and_ip_counts(engine):
    ent = pl.DataFrame({"uscc": ["A", "B"], "name": ["甲", "乙"], "region_code": ["320902", "320902"],
                        "industry_code": ["C3825", None], "registered_on": [dt.date(2010, 1, 1)] * 2,
                        "listed": [False, None], "hitech_domain": [None, None],
                        "strategic_emerging": [None, None], "restricted_industry": [None, None]})
    ey = pl.DataFrame({"uscc": ["A", "A", "A"], "year": [2025, 2024, 2022],
                       "revenue": [Decimal("100.5"), Decimal("90"), Decimal("70")],
                       "conversions": [1, None, 5], "pe_backed": [None, True, None]},
                      schema_overrides={"revenue": pl.Decimal(38, 4)})
    ip = pl.DataFrame({"uscc": ["A", "A", "A", "B"], "status": ["granted", "granted", "lapsed", "granted"],
                       "granted_on": [dt.date(2020, 1, 1), dt.date(2026, 12, 1), dt.date(2019, 1, 1),
                                      dt.date(2021, 1, 1)],
                       "ip_class": ["I", "I", "I", "II"], "self_developed": [True, True, True, False],
                       "high_value": [None, None, None, None], "main_product_related": [True, None, True, None]})
    cert = pl.DataFrame({"uscc": ["A", "B"], "cert_type": ["hnte", "hnte"],
                         "issued_on": [dt.date(2023, 12, 1), dt.date(2022, 11, 1)],
                         "expires_on": [None, dt.date(2025, 10, 31)]})
    frames = {"enterprise": ent, "enterprise_year": ey, "ip": ip, "certification": cert}
    for k in ("enterprise_year",):
        for col in ("employees", "tech_staff"):
            frames[k] = frames[k].with_columns(pl.lit(None, dtype=pl.Int64).alias(col))
    p = build_profiles(engine, None, TODAY, frames=_complete(frames))
    a, b = p.row(0, named=True), p.row(1, named=True)
    assert a["revenue_y1"] == Decimal("100.5") and a["revenue_y2"] == Decimal("90")
    assert a["revenue_y3"] is None and a["revenue_y4"] == Decimal("70")
    assert a["conversions_3y"] == 1 and a["pe_backed"] is True
    assert a["ip_class1"] == 1 and a["ip_class1_own"] == 1 and a["ip_class2"] == 0
    assert b["ip_class2"] == 1 and b["revenue_y1"] is None
    assert a["has_hnte"] is True and b["has_hnte"] is False
    assert a["application_on"] == TODAY


def _complete(frames):
    """Add every declared field missing from hand-made frames, as nulls."""
    out = {}
    for kid, f in frames.items():
        kind = get_kind(kid)
        for fld in kind.fields:
            if fld.id not in f.columns:
                f = f.with_columns(pl.lit(None).alias(fld.id))
        if "region_code" not in f.columns:
            f = f.with_columns(pl.lit("320902").alias("region_code"))
        out[kid] = f
    return out


def test_paging_keyset_and_filters(engine):
    generate_city(engine, "320900", enterprises=250, seed=9, today=TODAY)
    with engine.connect() as c:
        seen = []
        after = None
        while True:
            page, after = store.page(c, "enterprise", None, after=after, limit=100)
            seen += page.get_column("uscc").to_list()
            if after is None:
                break
        assert len(seen) == 250 and len(set(seen)) == 250
        codes = {"320902"}
        n = store.count_where(c, "enterprise", codes)
        page, _ = store.page(c, "enterprise", codes, limit=1000)
        assert page.height == n and set(page.get_column("region_code")) <= codes
        page, _ = store.page(c, "certification", None, filters={"cert_type": "hnte"}, sort="issued_on",
                             descending=True, limit=20)
        assert page.height and set(page.get_column("cert_type")) == {"hnte"}
        dates = page.get_column("issued_on").to_list()
        assert dates == sorted(dates, reverse=True)
        recs = store.records_of_enterprise(c, seen[0])
        assert "enterprise" in recs and recs["enterprise"].height == 1
        total = c.execute(sa.text("SELECT count(*) FROM ledger_records WHERE uscc = :u"), {"u": seen[0]}).scalar()
        assert sum(f.height for f in recs.values()) == total


def test_page_records_match_the_typed_frame_for_every_kind(engine):
    generate_city(engine, "320900", enterprises=120, seed=3, today=TODAY)
    from kechuang.ledgers.kinds import all_kinds

    with engine.connect() as c:
        for kid in all_kinds():
            frame, cursor = store.page(c, kid, None, limit=40)
            records, cursor2 = store.page_records(c, kid, None, limit=40)
            assert cursor == cursor2
            assert records == list(frame.iter_rows(named=True)), kid


def test_deep_pages_by_a_data_field_follow_writes(engine):
    generate_city(engine, "320900", enterprises=150, seed=4, today=TODAY)
    with engine.connect() as c:
        names = []
        for n in range(3):
            page, _ = store.page(c, "enterprise", None, sort="name", offset=n * 50, limit=50)
            names += page.get_column("name").to_list()
        assert names == sorted(names) and len(set(names)) == 150
    with engine.begin() as c:  # a committed change of a sort key moves the record
        first = c.execute(sa.text("SELECT id FROM ledger_records WHERE kind = 'enterprise' ORDER BY id")).first()[0]
        data = c.execute(sa.text("SELECT data FROM ledger_records WHERE id = :i"), {"i": first}).scalar()
        data = json.loads(data) if isinstance(data, str) else dict(data)
        data["name"] = "龘" * 3
        c.execute(sa.text("UPDATE ledger_records SET data = :d WHERE id = :i"),
                  {"d": json.dumps(data, ensure_ascii=False), "i": first})
    with engine.connect() as c:
        last, _ = store.page(c, "enterprise", None, sort="name", offset=149, limit=50)
        assert last.get_column("name").to_list() == ["龘" * 3]


def test_profiles_built_a_batch_of_credit_codes_at_a_time_are_the_same_profiles(engine):
    from polars.testing import assert_frame_equal

    from kechuang.ledgers import profile_batches

    generate_city(engine, "320900", enterprises=300, seed=4, today=TODAY)
    frames = {k: load_frame(engine, k) for k in ("enterprise", "enterprise_year", "ip", "certification",
                                                 "tech_contract")}
    for region in ("320900", "320902"):
        whole = build_profiles(None, region, TODAY, frames=frames)  # every record decoded at once
        batches = list(profile_batches(engine, region, TODAY, size=37))
        assert len(batches) == -(-whole.height // 37) and all(b.height <= 37 for b in batches)
        assert_frame_equal(pl.concat(batches), whole)
        assert_frame_equal(build_profiles(engine, region, TODAY), whole)
    # the closed world: which regions keep the certification ledger is read for the whole subtree,
    # not per batch (a batch whose enterprises have no certificate still reads "none" as False)
    assert whole.get_column("innovation_title").is_not_null().all()
    assert batches[0].get_column("uscc").to_list() == whole.get_column("uscc").head(37).to_list()
    # a database not yet upgraded to the (kind, uscc) index is read in one batch, with the same result
    with engine.begin() as c:
        c.execute(sa.text("DROP INDEX ix_ledger_records_kind_uscc"))
    city = build_profiles(None, "320900", TODAY, frames=frames)
    batches = list(profile_batches(engine, "320900", TODAY, size=37))
    assert len(batches) == 1 and city.height > 37
    assert_frame_equal(batches[0], city)
