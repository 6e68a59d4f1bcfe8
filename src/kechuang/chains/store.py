"""Stored placements: every enterprise's computed places on the chain nodes, kept with a fingerprint
of what they were computed from (the templates, the enterprise's code, 主营产品, 经营范围 and patent
titles). A page reads the stored rows and computes only the enterprises whose fingerprint changed
since (a ledger edit, a new import, an edited template), then stores those; `refresh` computes the
lot ahead of time (demo-setup). Officers' verdicts are not stored here: they are applied on top."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import lru_cache
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from .assign import Assigner, Assignment
from .templates import Chain, chains

_CHUNK = 500


class ChainPlacement(Base):
    __tablename__ = "chain_placements"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(40), nullable=False)
    placed: Mapped[str] = mapped_column(Text, nullable=False)  # JSON [[chain, node, confidence, evidence], …]
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


@lru_cache(maxsize=8)
def _digest(every: tuple[Chain, ...]) -> str:
    h = hashlib.sha1()
    for c in every:
        h.update(repr((c.id, c.version, c.nodes)).encode("utf-8"))
    return h.hexdigest()


def fingerprint(record: dict, titles: list[str] | None, digest: str) -> str:
    parts = [digest, str(record.get("industry_code") or ""), str(record.get("main_products") or ""),
             str(record.get("business_scope") or ""), *sorted(titles or [])]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def _encode(found: list[Assignment]) -> str:
    return json.dumps([[a.chain.id, a.node.id, round(a.confidence, 4), a.evidence] for a in found],
                      ensure_ascii=False)


def _decode(uscc: str, text: str, every: dict[str, Chain]) -> list[Assignment]:
    return [Assignment(uscc, every[c], every[c].node(n), conf, ev) for c, n, conf, ev in json.loads(text)]


def _place(conn, records: list[dict], titles: dict[str, list[str]], rows) -> dict[str, list[Assignment]]:
    """uscc → its computed places on every chain, best first, of ``records``: stored ``rows``
    (uscc, fingerprint, placed) whose fingerprint still holds, the others computed now and stored
    (in a transaction of their own)."""
    every = chains()
    digest = _digest(tuple(every.values()))
    stored = {u: (fp, placed) for u, fp, placed in rows}
    out: dict[str, list[Assignment]] = {}
    fresh: list[dict] = []
    assigner = None
    for r in records:
        u = r["uscc"]
        fp = fingerprint(r, titles.get(u), digest)
        have = stored.get(u)
        if have is not None and have[0] == fp:
            out[u] = _decode(u, have[1], every)
            continue
        assigner = assigner or Assigner.for_chains(*every.values())
        placed = _encode(assigner.assign(r, titles.get(u)))
        out[u] = _decode(u, placed, every)  # as stored, so a later view reads back the same figures
        fresh.append({"uscc": u, "fingerprint": fp, "placed": placed})
    if fresh:
        _write(conn.engine, fresh)
    return out


def _write(engine, rows: list[dict]) -> None:
    T = ChainPlacement.__table__
    now = dt.datetime.now(dt.timezone.utc)
    with engine.begin() as w:
        for k in range(0, len(rows), _CHUNK):
            part = rows[k:k + _CHUNK]
            w.execute(T.delete().where(T.c.uscc.in_([r["uscc"] for r in part])))
            w.execute(T.insert(), [r | {"computed_at": now} for r in part])


REFRESH = 50_000  # enterprises per slice of `place_in_slices`


def refresh(engine) -> int:
    """Compute and store ahead of time the placements of every stored enterprise whose inputs
    changed (demo-setup; pages do the same lazily); how many enterprises the store covers."""
    with engine.connect() as conn:
        return sum(len(placed) for _, _, placed in place_in_slices(conn, ledger(conn, "enterprise", None), None))


PLACE_FIELDS = {"enterprise": ("uscc", "name", "industry_code", "main_products", "business_scope"),
                "ip": ("uscc", "title", "status")}  # what placements are computed from (`fingerprint`)


def place_in_slices(conn, ent, region_codes: set[str] | None
                    ) -> Iterator[tuple[tuple[str, str], list[dict], dict[str, list[Assignment]]]]:
    """The places of the enterprises of a ledger frame ``ent`` (those with a credit code; of the
    regions ``region_codes``, None: all), ``REFRESH`` at a time in credit-code order: ((the slice's
    first and last credit code), its records, uscc → their places). Each slice reads its records'
    texts (`PLACE_FIELDS`), patent titles and stored rows from the database by its range of credit
    codes and is computed (`_place`) with them: memory holds a slice's texts, and the ledger frames kept for the dashboards are not
    widened with every enterprise's 经营范围 and every patent's title (at 1,000,000 enterprises they
    were the larger part of a chain page's memory)."""
    from ..ledgers.store import load_frame

    T = ChainPlacement.__table__
    codes = ent.get_column("uscc").drop_nulls().unique().sort()
    for at in range(0, len(codes), REFRESH):
        lo, hi = codes[at], codes[min(at + REFRESH, len(codes)) - 1]
        part = load_frame(conn, "enterprise", region_codes, fields=PLACE_FIELDS["enterprise"], uscc_range=(lo, hi))
        records = list(part.iter_rows(named=True))
        titles = titles_in(load_frame(conn, "ip", region_codes, fields=PLACE_FIELDS["ip"], uscc_range=(lo, hi)))
        rows = conn.execute(sa.select(T.c.uscc, T.c.fingerprint, T.c.placed).where(T.c.uscc.between(lo, hi)))
        yield (lo, hi), records, _place(conn, records, titles, rows)


def titles_in(ip) -> dict[str, list[str]]:
    """uscc → titles of the patents in force or pending in an IP-ledger frame."""
    import polars as pl

    out: dict[str, list[str]] = {}
    if ip is not None and ip.height:
        for u, t in ip.filter(pl.col("status") != "lapsed").select("uscc", "title").iter_rows():
            out.setdefault(u, []).append(t)
    return out


def ledger_fields(kind: str) -> tuple[str, ...]:
    """The fields chain views read of a ledger kind's kept frame (the record id and region always
    come): which enterprises there are, their revenue and the certificates they hold. Texts
    placements are computed from are read a slice at a time instead (`place_in_slices`)."""
    from ..ledgers.validity import rule_fields

    return {"enterprise": ("uscc", "name"),
            "enterprise_year": ("uscc", "year", "revenue"),
            "certification": tuple(dict.fromkeys(("uscc", "cert_type", *rule_fields())))}[kind]


def ledger(conn, kind: str, region_codes: set[str] | None):
    """A ledger kind's decoded frame with the fields chain views read (`ledger_fields`), kept per
    ledger version in this process and as a Parquet file for others
    (kechuang.targets.metrics.LedgerSource), cut to the regions (None: all)."""
    import polars as pl

    from ..targets.metrics import LedgerSource

    frame = LedgerSource(conn.engine, None, ledger_fields)(kind)
    if region_codes is None or not frame.height:
        return frame
    return frame.filter(pl.col("region_code").is_in(sorted(region_codes)))


def _kept_at(engine) -> tuple:
    """(folder, tag of the current data, data version) of the kept values."""
    from ..db import data_version
    from ..ledgers.store import change_mark
    from ..targets.metrics import _disk_cache_dir

    with engine.connect() as conn:
        version = data_version(conn)
        # the enterprise ledger's own mark tells apart databases that reached the same data version
        born = tuple(str(v) for v in change_mark(conn, "enterprise"))
    digest = _digest(tuple(chains().values()))
    tag = hashlib.sha1(repr((str(engine.url), version, born, digest)).encode("utf-8")).hexdigest()[:16]
    return _disk_cache_dir(engine).parent / "chain-views", tag, version


def kept_keys(engine, prefix: str) -> list[list[str]]:
    """The keys (as their parts) of the values kept for the current data whose name starts with
    ``prefix``: what to read back when a server starts."""
    folder, tag, _ = _kept_at(engine)
    return [p.name[: -len(f"-{tag}.pickle")].split("+") for p in folder.glob(f"{prefix}*-{tag}.pickle")]


def kept(engine, key: tuple, compute):
    """``compute()``'s value for ``key`` at the database's current data version, kept as a file
    beside the ledger frames so a restarted or another worker process reads it back instead of
    computing it again; any data change (a ledger edit, an officer's decision) makes it stale."""
    import pickle

    from ..cache import keep_file

    folder, tag, version = _kept_at(engine)
    name = "+".join(str(k) for k in key)  # "+" is in no chain id, region code or date
    path = folder / f"{name}-{tag}.pickle"
    if version is not None and path.exists():
        try:
            return pickle.loads(path.read_bytes())
        except Exception:  # a damaged file is only a cache: compute again
            pass
    value = compute()
    if version is None:
        return value
    keep_file(path, lambda tmp: tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)),
              f"{name}-*.pickle")
    return value
