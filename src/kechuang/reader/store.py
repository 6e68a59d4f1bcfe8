"""Register of documents and their statements: ingest, versions, corrections."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, select)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from .. import units
from ..audit import record
from ..db import Base
from ..limits import limits
from .frame import Frame, Priors
from .load import LoadedDocument, ReaderError, load_file


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    outlet: Mapped[str] = mapped_column(String(128), default="")
    published_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # the office that stored it (root of the writer's subtree; None = an administrator): names and
    # versions are per owner, and only the owner's subtree may change it
    owner_region: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ingested_by: Mapped[str] = mapped_column(String(64), default="")
    # what the uploader or an officer fixed of the document frame (JSON of reader.frame.Priors)
    frame_priors: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    # a withdrawn document is kept and shown, marked, but its statements count nowhere
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    statements: Mapped[list["Statement"]] = relationship(
        back_populates="document", order_by="Statement.seq", cascade="all, delete-orphan")


class Statement(Base):
    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column("end_pos", Integer)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    unit: Mapped[str] = mapped_column(String(16))
    indicator: Mapped[str] = mapped_column(String(128), default="")
    kind: Mapped[str] = mapped_column(String(16))
    comparator: Mapped[str] = mapped_column(String(4), default="=")
    region: Mapped[str] = mapped_column(String(128), default="")
    region_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    actor: Mapped[str] = mapped_column(String(128), default="")
    period: Mapped[str] = mapped_column(String(32), default="")
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)

    document: Mapped[Document] = relationship(back_populates="statements")

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in EDITABLE} | {"id": self.id, "quote": self.quote,
                                                        "start": self.start, "end": self.end,
                                                        "corrected": self.corrected}


EDITABLE = ("value", "unit", "indicator", "kind", "comparator", "region", "region_code", "actor", "period")
KINDS = {"target": "目标", "achievement": "成绩"}
COMPARATORS = (">=", "=", "<=", "~")


class StatementError(ValueError):
    """A correction was refused (Chinese message naming field and value)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def all_units() -> list[str]:
    """The units a statement may be given by hand (the unit registry's list)."""
    return units.symbols()


def _statement_rows(doc: LoadedDocument, priors: Priors | None = None):
    from .extract import extract

    ex = extract(doc, ("quantities",), priors=priors)
    region_code = ex.frame.key_code or ex.frame.region_code or None
    return ex.quantities, region_code


def document_priors(document: Document) -> Priors:
    return Priors.from_dict(json.loads(document.frame_priors or "{}"))


def _loaded(document: Document) -> LoadedDocument:
    return LoadedDocument(filename=document.filename, text=document.text, checksum=document.checksum,
                          title=document.title, outlet=document.outlet, published_on=document.published_on)


def document_frame(document: Document) -> Frame:
    """The frame of a stored document (derived from its text and the priors kept with it)."""
    from .extract import extract

    return extract(_loaded(document), (), priors=document_priors(document)).frame


def document_findings(document: Document) -> tuple[list[dict], list[dict]]:
    """The frameworks and people a stored document names (read from its text as it is now)."""
    from .extract import extract

    found = extract(_loaded(document), ("frameworks", "people"), priors=document_priors(document))
    return found.frameworks, found.people


def _make_statements(quantities) -> list[Statement]:
    return [Statement(seq=i, quote=q.quote, start=q.start, end=q.end, value=q.value, unit=q.unit,
                      indicator=q.indicator, kind=q.kind, comparator=q.comparator, region=q.region,
                      region_code=q.key_code or None, actor=q.actor, period=q.period, corrected=False)
            for i, q in enumerate(quantities)]


def _carry_corrections(new_text: str, fresh: list[Statement], corrected: list[Statement]) -> list[Statement]:
    """Keep every corrected statement whose quote still appears; it replaces the
    fresh statement at the same place."""
    kept: list[Statement] = []
    for old in corrected:
        start = new_text.find(old.quote, max(0, old.start - 2000)) if old.quote else -1
        if start < 0:
            start = new_text.find(old.quote)
        if start < 0:
            continue
        end = start + len(old.quote)
        clone = Statement(quote=old.quote, start=start, end=end, corrected=True,
                          **{f: getattr(old, f) for f in EDITABLE})
        kept.append(clone)
    out = [s for s in fresh if not any(s.start < k.end and k.start < s.end for k in kept)] + kept
    out.sort(key=lambda s: (s.start, s.end))
    for i, s in enumerate(out):
        s.seq = i
    return out


def _owned_by(owner_region: str | None):
    return Document.owner_region.is_(None) if owner_region is None else Document.owner_region == owner_region


def latest_version(session: Session, filename: str, owner_region: str | None = None) -> Document | None:
    return session.scalar(select(Document).where(Document.filename == filename, _owned_by(owner_region))
                          .order_by(Document.version.desc()).limit(1))


def reader_owners(region_code: str | None) -> set[str] | None:
    """Owners whose documents a reader rooted at ``region_code`` sees: its own subtree and the
    offices above it (documents of administrators, owner None, are seen by all). None = all."""
    if not region_code:
        return None
    from ..regions import registry

    reg = registry()
    return reg.subtree_codes(region_code) | {r.code for r in reg.ancestors(region_code)}


def _readable(owners: set[str] | None):
    if owners is None:
        return None
    return Document.owner_region.is_(None) | Document.owner_region.in_(sorted(owners))


def can_read(document: Document, region_code: str | None) -> bool:
    owners = reader_owners(region_code)
    return owners is None or document.owner_region is None or document.owner_region in owners


def ingest_loaded(session: Session, loaded: LoadedDocument, username: str,
                  owner_region: str | None = None, priors: Priors | None = None) -> tuple[Document, bool]:
    """Store a document for the office ``owner_region`` (None = an administrator). The same name
    from another office is another document: names and versions never cross owners. ``priors``:
    what the uploader knows (region, publication date), weighed against the text."""
    same = session.scalar(select(Document).where(Document.checksum == loaded.checksum,
                                                 Document.filename == loaded.filename,
                                                 _owned_by(owner_region)).limit(1))
    if same is not None:
        return same, False
    previous = latest_version(session, loaded.filename, owner_region)
    if priors is not None and priors.published is not None:
        loaded.published_on = priors.published
    quantities, region_code = _statement_rows(loaded, priors)
    cap = limits().statements_per_document
    if len(quantities) > cap:
        raise ReaderError(f"文件“{loaded.filename}”抽取出 {len(quantities):,} 条量化表述，超过每个文件 "
                          f"{cap:,} 条的上限；请拆分文件后再导入")
    statements = _make_statements(quantities)
    if previous is not None:
        corrected = [s for s in previous.statements if s.corrected]
        statements = _carry_corrections(loaded.text, statements, corrected)
    doc = Document(title=loaded.title or loaded.filename, outlet=loaded.outlet, published_on=loaded.published_on,
                   filename=loaded.filename, checksum=loaded.checksum,
                   version=(previous.version + 1) if previous else 1,
                   supersedes_id=previous.id if previous else None, text=loaded.text,
                   region_code=region_code, owner_region=owner_region, ingested_at=_now(), ingested_by=username,
                   statements=statements, frame_priors=json.dumps((priors or Priors()).as_dict(), ensure_ascii=False))
    session.add(doc)
    session.flush()
    record(session, username, "ingest", "document", doc.id,
           after={"filename": doc.filename, "version": doc.version, "checksum": doc.checksum,
                  "statements": len(statements), "owner_region": owner_region}, region_code=region_code)
    return doc, True


def ingest_file(session: Session, path: str | Path, username: str,
                owner_region: str | None = None, priors: Priors | None = None) -> tuple[Document, bool]:
    """Store a file and its statements. Same file again: nothing changes (returns created=False).
    Changed content under the same name (same owner): a new version that supersedes the old one."""
    return ingest_loaded(session, load_file(path), username, owner_region, priors)


def reextract(session: Session, document: Document, username: str) -> Document:
    """Run extraction again over the stored text (with the document's frame priors); corrected
    statements are kept as they are."""
    quantities, region_code = _statement_rows(_loaded(document), document_priors(document))
    document.region_code = region_code
    corrected = [s for s in document.statements if s.corrected]
    fresh = _make_statements(quantities)
    for s in list(document.statements):
        document.statements.remove(s)
    session.flush()
    document.statements.extend(_carry_corrections(document.text, fresh, corrected))
    session.flush()
    record(session, username, "reextract", "document", document.id,
           after={"statements": len(document.statements)}, region_code=document.region_code)
    return document


def current_query(owners: set[str] | None = None):
    """Current versions, of documents owned by ``owners`` (see ``reader_owners``; None = all)."""
    superseded = select(Document.supersedes_id).where(Document.supersedes_id.is_not(None))
    q = select(Document).where(Document.id.not_in(superseded))
    if owners is not None:
        q = q.where(_readable(owners))
    return q


def current_documents(session: Session, owners: set[str] | None = None) -> list[Document]:
    """Current versions, of documents owned by ``owners`` (see ``reader_owners``; None = all)."""
    q = current_query(owners)
    return list(session.scalars(q.order_by(Document.published_on.desc().nulls_last(), Document.id.desc())))


def statements_query(region_codes=None, year=None, kind=None, indicator=None, owners: set[str] | None = None):
    """Statements of the current version of every document (of ``owners``, see ``reader_owners``), filtered."""
    superseded = select(Document.supersedes_id).where(Document.supersedes_id.is_not(None))
    q = select(Statement).join(Document).where(Document.id.not_in(superseded), Document.withdrawn_at.is_(None))
    if owners is not None:
        q = q.where(_readable(owners))
    if region_codes is not None:
        q = q.where(Statement.region_code.in_(list(region_codes)))
    if year:
        q = q.where(Statement.period.startswith(str(year)))
    if kind:
        q = q.where(Statement.kind == kind)
    if indicator:
        q = q.where(Statement.indicator.contains(indicator))
    return q


def list_statements(session: Session, region_codes=None, year=None, kind=None, indicator=None,
                    owners: set[str] | None = None, offset: int = 0, limit: int | None = None) -> list[Statement]:
    """Statements of the current version of every document, filtered; a page with ``limit``."""
    q = (statements_query(region_codes, year, kind, indicator, owners)
         .options(selectinload(Statement.document)).order_by(Statement.document_id, Statement.seq))
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def count_statements(session: Session, region_codes=None, year=None, kind=None, indicator=None,
                     owners: set[str] | None = None) -> int:
    from sqlalchemy import func

    q = statements_query(region_codes, year, kind, indicator, owners).with_only_columns(func.count(Statement.id))
    return session.scalar(q.order_by(None)) or 0


def _validate(field: str, value):
    if field not in EDITABLE:
        raise StatementError(f"字段“{field}”不可修改(可修改:{'、'.join(EDITABLE)})")
    if field == "value":
        try:
            d = Decimal(str(value).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            raise StatementError(f"字段“数值”的值“{value}”不是数字") from None
        if not d.is_finite() or abs(d) >= Decimal(10) ** 14:
            raise StatementError(f"字段“数值”的值“{value}”超出范围")
        return d.quantize(Decimal("0.000001"))
    value = "" if value is None else str(value).strip()
    if field == "kind" and value not in KINDS:
        raise StatementError(f"字段“类型”的值“{value}”无效,应为 target(目标)或 achievement(成绩)")
    if field == "comparator" and value not in COMPARATORS:
        raise StatementError(f"字段“比较”的值“{value}”无效,应为 {' '.join(COMPARATORS)} 之一")
    if field == "unit" and value not in all_units():
        raise StatementError(f"字段“单位”的值“{value}”不在单位表中")
    if field == "region_code" and value:
        from ..regions import registry

        if registry().get(value) is None:
            raise StatementError(f"字段“地区代码”的值“{value}”不是已知的行政区划代码")
    limits = {"indicator": 128, "region": 128, "actor": 128, "period": 32, "region_code": 16}
    if field in limits and len(value) > limits[field]:
        raise StatementError(f"字段“{field}”的值过长(最多 {limits[field]} 个字符)")
    return value or (None if field == "region_code" else "")


def correct_statement(session: Session, statement_id: int, changes: dict, username: str,
                      allowed: set[str] | None = None) -> Statement:
    """Apply a person's correction; audited; marks the statement so re-extraction keeps it.

    ``allowed``: region codes the writer may write (None = all); a correction cannot move a
    statement to a region outside them, nor outside the subtree of the document's owner."""
    st = session.get(Statement, statement_id)
    if st is None:
        raise StatementError(f"量化表述 {statement_id} 不存在")
    clean = {f: _validate(f, v) for f, v in changes.items()}
    if "region" in clean and "region_code" not in clean and clean["region"]:
        from ..regions import registry

        r = registry().resolve(clean["region"])
        if r is not None:
            clean["region_code"] = r.code
    code = clean.get("region_code")
    if code and code != st.region_code:
        from ..regions import registry

        owner = st.document.owner_region
        if (allowed is not None and code not in allowed) or (owner and not registry().is_within(code, owner)):
            r = registry().get(code)
            raise StatementError(f"字段“地区代码”的值“{code}”({r.full_name if r else code})不在您的管辖范围内,"
                                 "不能把表述改到该地区")
    before = {f: _jsonable(getattr(st, f)) for f in clean}
    changed = {f: v for f, v in clean.items() if getattr(st, f) != v}
    if not changed:
        return st
    for f, v in changed.items():
        setattr(st, f, v)
    st.corrected = True
    session.flush()
    record(session, username, "correct", "statement", st.id, before=before,
           after={f: _jsonable(v) for f, v in clean.items()}, region_code=st.region_code)
    return st


def correct_frame(session: Session, document: Document, changes: dict, username: str,
                  allowed: set[str] | None = None) -> Document:
    """An officer's correction of a document's frame (``region``: a name or code, or 全国;
    ``published``: YYYY-MM-DD; ``kind``: a document kind): kept as final priors, the document's
    statements are derived again (corrected statements stay), audited."""
    from ..regions import registry
    from .frame import DOC_KIND_LABELS

    old = document_priors(document)
    region, published, kind = old.region, old.published, old.kind
    if "region" in changes:
        value = str(changes["region"] or "").strip()
        if value and value != "全国":
            r = registry().get(value) or registry().resolve(value)
            if r is None:
                raise StatementError(f"字段“主题地区”的值“{value}”不是已知的地区名称或代码")
            owner = document.owner_region
            if (allowed is not None and r.code not in allowed) or (owner and not registry().is_within(r.code, owner)):
                raise StatementError(f"字段“主题地区”的值“{value}”({r.full_name})不在您的管辖范围内")
            value = r.code
        region = value
    if "published" in changes:
        value = str(changes["published"] or "").strip()
        try:
            published = dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise StatementError(f"字段“发布日期”的值“{value}”无效,应为 YYYY-MM-DD") from None
    if "kind" in changes:
        kind = str(changes["kind"] or "").strip()
        if kind and kind not in DOC_KIND_LABELS:
            raise StatementError(f"字段“文件类型”的值“{kind}”无效(可选:{'、'.join(DOC_KIND_LABELS.values())})")
    new = Priors(region=region, published=published, kind=kind, strict=True)
    if new == old:
        return document
    before = document_frame(document).as_dict()
    document.frame_priors = json.dumps(new.as_dict(), ensure_ascii=False)
    if published is not None:
        document.published_on = published
    reextract(session, document, username)
    after = document_frame(document).as_dict()
    keep = ("region", "region_code", "published", "kind", "year")
    record(session, username, "correct_frame", "document", document.id,
           before={k: before[k] for k in keep}, after={k: after[k] for k in keep},
           region_code=document.region_code)
    return document


DOCUMENT_FIELDS = {"title": ("标题", 200), "outlet": ("来源", 128)}


def edit_document(session: Session, document: Document, changes: dict, username: str) -> Document:
    """Change a document's descriptive fields (title, outlet), audited before → after. Every value
    is checked before any is set: a refused edit changes nothing."""
    clean = {}
    for f, v in changes.items():
        if f not in DOCUMENT_FIELDS:
            raise StatementError(f"字段“{f}”不可修改")
        label, most = DOCUMENT_FIELDS[f]
        text = str(v or "").strip()
        if f == "title" and not text:
            raise StatementError(f"字段“{label}”不能为空")
        if len(text) > most:
            raise StatementError(f"字段“{label}”的值“{text[:20]}…”过长(不超过 {most} 个字符)")
        if text != getattr(document, f):
            clean[f] = text
    if not clean:
        return document
    before = {f: getattr(document, f) for f in clean}
    for f, v in clean.items():
        setattr(document, f, v)
    record(session, username, "update", "document", document.id, before=before, after=clean,
           region_code=document.region_code)
    return document


def withdraw_document(session: Session, document: Document, reason: str, username: str) -> Document:
    """Withdraw a document: kept and shown, marked 已撤回, its statements out of every count and of
    target import (audited). The reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise StatementError("字段“撤回原因”不能为空")
    if len(reason) > 500:
        raise StatementError("字段“撤回原因”过长(不超过 500 个字符)")
    if document.withdrawn_at is not None:
        raise StatementError(f"文件“{document.title}”已撤回")
    document.withdrawn_at, document.withdrawn_by, document.withdrawn_reason = _now(), username, reason
    record(session, username, "withdraw", "document", document.id, before={"withdrawn": False},
           after={"withdrawn": True, "reason": reason}, region_code=document.region_code)
    return document


def reinstate_document(session: Session, document: Document, username: str) -> Document:
    if document.withdrawn_at is None:
        raise StatementError(f"文件“{document.title}”未撤回")
    before = {"withdrawn": True, "reason": document.withdrawn_reason}
    document.withdrawn_at, document.withdrawn_by, document.withdrawn_reason = None, "", ""
    record(session, username, "restore", "document", document.id, before=before, after={"withdrawn": False},
           region_code=document.region_code)
    return document


def _jsonable(v):
    return str(v) if isinstance(v, Decimal) else v


__all__ = ["Document", "Statement", "ingest_file", "ingest_loaded", "list_statements", "count_statements",
           "correct_statement", "reader_owners", "can_read",
           "reextract", "correct_frame", "document_frame", "document_priors", "current_documents", "current_query", "document_findings",
           "StatementError", "ReaderError", "KINDS", "EDITABLE", "all_units", "edit_document", "withdraw_document",
           "reinstate_document", "DOCUMENT_FIELDS"]
