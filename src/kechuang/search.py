"""One search over what an officer looks for by name: enterprises (name or credit code), documents
(title, file name, text) and targets (indicator), each cut to the regions the caller may see."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

MAX_QUERY = 64
PER_GROUP = 50


class SearchError(ValueError):
    """A query that cannot be run (message in Chinese)."""


@dataclass
class Results:
    q: str
    enterprises: list[dict] = field(default_factory=list)
    documents: list = field(default_factory=list)
    targets: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.enterprises) + len(self.documents) + len(self.targets)


def clean_query(q: str | None) -> str:
    text = " ".join((q or "").split())
    if len(text) > MAX_QUERY:
        raise SearchError(f"字段“搜索词”过长({len(text)} 个字符,不超过 {MAX_QUERY} 个)")
    return text


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(session: Session, q: str, region_codes: set[str] | None, doc_owners: set[str] | None,
           limit: int = PER_GROUP) -> Results:
    """``region_codes``: regions whose enterprises and targets the caller sees (None = all);
    ``doc_owners``: offices whose documents the caller reads (see reader.store.reader_owners)."""
    from .ledgers.store import T, enterprise_names
    from .reader.store import Document, current_query
    from .targets.store import Target

    text = clean_query(q)
    out = Results(text)
    if not text:
        return out
    like = _like(text)
    conds = [T.c.kind == "enterprise", or_(T.c.uscc.like(like.upper(), escape="\\"), T.c.key.like(like, escape="\\"))]
    if region_codes is not None:
        conds.append(T.c.region_code.in_(sorted(region_codes)))
    conn = session.connection()
    by_code = [(r.uscc, r.region_code) for r in conn.execute(select(T.c.uscc, T.c.region_code).where(*conds)
                                                                    .order_by(T.c.uscc).limit(limit))]
    names_q = select(T.c.uscc, T.c.region_code).where(T.c.kind == "enterprise", T.c.data["name"].as_string().like(
        like, escape="\\"))
    if region_codes is not None:
        names_q = names_q.where(T.c.region_code.in_(sorted(region_codes)))
    by_name = [(r.uscc, r.region_code) for r in conn.execute(names_q.order_by(T.c.uscc).limit(limit))]
    seen, hits = set(), []
    for uscc, code in by_name + by_code:
        if uscc and uscc not in seen:
            seen.add(uscc)
            hits.append((uscc, code))
    names = enterprise_names(conn, [u for u, _c in hits])
    out.enterprises = [{"uscc": u, "name": names.get(u, ""), "region_code": c} for u, c in hits[:limit]]
    docs = session.scalars(current_query(doc_owners).where(
        or_(Document.title.like(like, escape="\\"), Document.filename.like(like, escape="\\"),
            Document.text.like(like, escape="\\"))).order_by(Document.id.desc()).limit(limit))
    out.documents = list(docs)
    tq = select(Target).where(Target.indicator.like(like, escape="\\"))
    if region_codes is not None:
        tq = tq.where(Target.region_code.in_(sorted(region_codes)))
    out.targets = list(session.scalars(tq.order_by(Target.year.desc(), Target.region_code, Target.id).limit(limit)))
    return out
