"""Warning rules (rules.yaml) evaluated against what the project already knows: one ``Warning`` per
region (targets, rounds) or enterprise (certificates, near misses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

RULES_FILE = Path(__file__).with_name("rules.yaml")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    wording: str
    params: dict
    reason: str


@dataclass
class Warning:
    rule: str
    region_code: str
    text: str
    subject: str  # what the warning is about within the rule (target id, round id, uscc+cert …)
    uscc: str = ""
    link: str = ""
    values: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable identity of the warning: a task refers to it."""
        return f"{self.rule}:{self.region_code}:{self.subject}"[:200]


@lru_cache(maxsize=1)
def rules() -> dict[str, Rule]:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return {r["id"]: Rule(r["id"], r["name"], r["wording"], dict(r.get("params") or {}), r["reason"]) for r in raw}


def _pct(d: Decimal) -> str:
    return f"{float(d) * 100:.1f}%"


def pace_gap(session: Session, codes: set[str] | None, today: dt.date, rule: Rule) -> list[Warning]:
    from ..regions import name_of
    from ..targets.progress import progress_report

    points = Decimal(str(rule.params["points"]))
    out = []
    for p in progress_report(session, session.get_bind(), year=today.year, today=today):
        t = p.target
        if codes is not None and t.region_code not in codes:
            continue
        if t.binding_status != "bound" or p.share is None or p.pace is None or t.comparator in ("<=", "<"):
            continue
        gap = (p.pace - p.share) * 100
        if gap < points:
            continue
        out.append(Warning(rule.id, t.region_code, rule.wording.format(
            region=name_of(t.region_code), indicator=t.indicator, share=_pct(p.share),
            pace=_pct(p.pace), gap=f"{float(gap):.1f}"), str(t.id), link=f"/targets/{t.id}/rows"))
    return out


def round_overdue(session: Session, codes: set[str] | None, today: dt.date, rule: Rule) -> list[Warning]:
    from ..rounds import board, list_rounds

    out = []
    for r in list_rounds(session, None):
        if r.status != "open":
            continue
        for row in board(session, r, today):
            code = row.submission.region_code
            if row.overdue and (codes is None or code in codes):
                out.append(Warning(rule.id, code, rule.wording.format(region=row.region, deadline=r.deadline,
                                                                      title=r.title), str(r.id),
                                   link=f"/rounds/{r.id}"))
    return out


class Rows:
    """One rule's warnings held as a sorted frame, each made into a `Warning` only when read: a
    province has 100,000s of expiring certificates, a page shows 200. ``make(row, names)`` makes
    one from a row (a tuple) and the names of the enterprises read with it (``names(usccs)``)."""

    def __init__(self, frame, make: Callable[[tuple, Mapping[str, str]], Warning],
                 names: Callable[[Iterable[str]], Mapping[str, str]] | None = None, uscc_in_key: int | None = None):
        self.frame, self.make, self.names, self._uscc_in_key = frame, make, names, uscc_in_key

    def __len__(self) -> int:
        return self.frame.height

    def build(self, start: int = 0, stop: int | None = None) -> list[Warning]:
        stop = self.frame.height if stop is None else min(stop, self.frame.height)
        rows = self.frame.slice(start, max(stop - start, 0))
        names = self.names(rows.get_column("uscc")) if self.names is not None else {}
        return [self.make(r, names) for r in rows.iter_rows()]

    def find(self, key: str) -> Warning | None:
        """The warning whose `key` is ``key``, made from the rows of the key's enterprise only."""
        import polars as pl

        frame = self.frame
        parts = key.split(":")
        if self._uscc_in_key is not None:
            if len(parts) <= self._uscc_in_key:
                return None
            frame = frame.filter(pl.col("uscc") == parts[self._uscc_in_key])
        return next((w for w in Rows(frame, self.make, self.names).build() if w.key == key), None)


class Found(Sequence[Warning]):
    """The warnings of the rules in the rules file's order: counted at once, made one page at a time."""

    def __init__(self, parts: list[tuple[str, list[Warning] | Rows]]):
        self.parts = parts

    def __len__(self) -> int:
        return sum(len(p) for _, p in self.parts)

    def counts(self) -> dict[str, int]:
        """Rule id → number of warnings (every rule evaluated; 0 when none fired)."""
        out: dict[str, int] = {}
        for rid, part in self.parts:
            out[rid] = out.get(rid, 0) + len(part)
        return out

    def page(self, start: int, stop: int) -> list[Warning]:
        out: list[Warning] = []
        at = 0
        for _, part in self.parts:
            n = len(part)
            lo, hi = max(start - at, 0), min(stop - at, n)
            if lo < hi:
                out += part.build(lo, hi) if isinstance(part, Rows) else part[lo:hi]
            at += n
            if at >= stop:
                break
        return out

    def __getitem__(self, i):
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            return self.page(start, stop) if step == 1 else self.page(0, len(self))[i]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(i)
        i %= n
        return self.page(i, i + 1)[0]

    def __iter__(self) -> Iterator[Warning]:
        for _, part in self.parts:
            if isinstance(part, Rows):  # large steps: each names its enterprises in one pass over the ledger
                for start in range(0, len(part), 100_000):
                    yield from part.build(start, start + 100_000)
            else:
                yield from part

    def find(self, key: str) -> Warning | None:
        """The warning with ``key`` (what a 督办 task refers to), None when it no longer fires."""
        rid = key.split(":", 1)[0]
        for r, part in self.parts:
            if r != rid:
                continue
            hit = part.find(key) if isinstance(part, Rows) else next((w for w in part if w.key == key), None)
            if hit is not None:
                return hit
        return None


def _expiring(conn, today: dt.date, days: int):
    """Certificates of every region in force today whose last day is at most ``days`` away
    (region_code, uscc, cert_type, _last), by last day, ties in the ledger's order: computed once a
    day per version of the ledger (a server's warm-up computes it), as every scope filters it."""
    import polars as pl

    from .. import cache
    from ..db import ledger_sources
    from ..ledgers.frames import certificates
    from ..ledgers.validity import last_day_expr, valid_on_expr

    def compute():
        frame = certificates(conn)
        return (frame.with_columns(last_day_expr().alias("_last"))
                .filter(valid_on_expr(today) & (pl.col("_last") <= today + dt.timedelta(days=days)))
                .select("region_code", "uscc", "cert_type", "_last").sort("_last", maintain_order=True))

    return cache.per_version(conn, ("warnings.expiring", today, days), compute, reads=ledger_sources(["certification"]))


def cert_expiring(session: Session, codes: set[str] | None, today: dt.date, rule: Rule) -> Rows:
    import polars as pl

    from ..ledgers.frames import name_lookup
    from ..ledgers.kinds import get_kind

    conn = session.connection()
    rows = _expiring(conn, today, int(rule.params["days"]))
    if codes is not None:
        rows = rows.filter(pl.col("region_code").is_in(sorted(codes)))
    labels = {v.id: v.label for v in get_kind("certification").field("cert_type").values}

    def make(row: tuple, names: Mapping[str, str]) -> Warning:
        region, uscc, cert, last = row
        return Warning(rule.id, region, rule.wording.format(
            name=names.get(uscc) or uscc, cert=labels.get(cert, cert), last_day=last, days=(last - today).days),
            f"{uscc}:{cert}:{last}", uscc=uscc, link=f"/enterprises/{uscc}")

    return Rows(rows, make, name_lookup(conn), uscc_in_key=2)


NEAR = ("region_code", "uscc", "program", "next_step")


def _near_misses(conn, as_of: dt.date):
    """The stored 一步之遥 results shown at ``as_of`` (failing, one modest change away) of every
    region: (region_code, uscc, program, next_step) by region, program and credit code, read from
    stored columns (no reasons decoded: a province has 100,000s), once per version of the results."""
    import polars as pl

    from .. import cache
    from ..programs.model import programs_by_id
    from ..programs.store import READS, T, visible

    def compute():
        # every program named: each is one range of the list index
        q = select(T.c.region_code, T.c.uscc, T.c.program, T.c.next_step).where(
            visible(conn, as_of), T.c.program.in_(sorted(programs_by_id())), T.c.result == "fail",
            T.c.close.is_(True))
        rows = conn.execute(q).all()
        cols = list(zip(*rows)) if rows else [()] * len(NEAR)
        return pl.DataFrame(dict(zip(NEAR, cols)), schema=dict.fromkeys(NEAR, pl.String)).sort(
            ["region_code", "program", "uscc"])

    return cache.per_version(conn, ("warnings.near_misses", as_of), compute, reads=READS)


def _near_misses_within(session: Session, codes: set[str] | None, programs: set[str] | None = None):
    """The latest stored 一步之遥 results within ``codes`` (and ``programs``) and a function naming
    their enterprises; None when no results are stored."""
    import polars as pl

    from ..ledgers.frames import name_lookup
    from ..programs.store import latest_as_of

    conn = session.connection()
    as_of = latest_as_of(conn)
    if as_of is None:
        return None
    close = _near_misses(conn, as_of)
    if codes is not None:
        close = close.filter(pl.col("region_code").is_in(sorted(codes)))
    if programs is not None:
        close = close.filter(pl.col("program").is_in(sorted(programs)))
    return close, name_lookup(conn)


def near_miss(session: Session, codes: set[str] | None, today: dt.date, rule: Rule) -> Rows | list[Warning]:
    from ..programs.catalog import program_name

    def make(row: tuple, names: Mapping[str, str]) -> Warning:
        region, uscc, program, step = row
        return Warning(rule.id, region, rule.wording.format(
            name=names.get(uscc) or uscc, program=program_name(program), next_step=step),
            f"{uscc}:{program}", uscc=uscc, link=f"/enterprises/{uscc}")

    found = _near_misses_within(session, codes)
    return [] if found is None else Rows(found[0], make, found[1], uscc_in_key=2)


def window_closing(session: Session, codes: set[str] | None, today: dt.date, rule: Rule) -> Rows | list[Warning]:
    """一步之遥 for a program whose application window (programs/windows.yaml) covering the
    enterprise is open today and closes within N days: one warning per result and window."""
    import polars as pl

    from ..programs.catalog import program_name
    from ..programs.windows import closing_soon

    soon = {w.id: w for w in closing_soon(today, int(rule.params["days"]))}
    found = _near_misses_within(session, codes, {w.program for w in soon.values()}) if soon else None
    if found is None:
        return []
    close, names = found
    regions = close["region_code"].unique().to_list()
    parts = []
    for w in soon.values():  # in the windows file's order, as before
        covered = [r for r in regions if w.covers(r)]
        parts.append(close.filter((pl.col("program") == w.program) & pl.col("region_code").is_in(covered))
                     .with_columns(pl.lit(w.id).alias("window")))
    frame = pl.concat(parts).sort(["region_code", "program", "uscc"], maintain_order=True)

    def make(row: tuple, names: Mapping[str, str]) -> Warning:
        region, uscc, program, step, wid = row
        w = soon[wid]
        return Warning(rule.id, region, rule.wording.format(
            name=names.get(uscc) or uscc, program=program_name(program), next_step=step, window=w.title,
            closes_on=w.closes_on, days=w.days_left(today)),
            f"{uscc}:{w.id}", uscc=uscc, link=f"/enterprises/{uscc}",
            values={"window": w.id, "closes_on": w.closes_on.isoformat()})

    return Rows(frame, make, names, uscc_in_key=2)


CHECKS = {"pace_gap": pace_gap, "round_overdue": round_overdue, "cert_expiring": cert_expiring,
          "near_miss": near_miss, "window_closing": window_closing}


def gather(session: Session, codes: set[str] | None, today: dt.date | None = None,
           only: str | None = None) -> Found:
    """Every warning within ``codes`` (None = all regions) on ``today``, counted per rule and made
    into objects only as they are read (a page, an export)."""
    today = today or dt.date.today()
    return Found([(rid, CHECKS[rid](session, codes, today, rule)) for rid, rule in rules().items()
                  if not only or rid == only])


def warm(engine) -> None:
    """Today's expiring certificates and the latest 一步之遥 results of every region, worked out once
    (a server's start): each scope's warnings page then filters them."""
    from ..programs.store import latest_as_of

    with engine.connect() as conn:
        _expiring(conn, dt.date.today(), int(rules()["cert_expiring"].params["days"]))
        as_of = latest_as_of(conn)
        if as_of is not None:
            _near_misses(conn, as_of)


def evaluate(session: Session, codes: set[str] | None, today: dt.date | None = None,
             only: str | None = None) -> list[Warning]:
    """Every warning within ``codes`` (None = all regions) on ``today``."""
    return list(gather(session, codes, today, only))
