"""Audit log: who changed what, when, before → after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    region_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)


def record(
    session: Session,
    username: str,
    action: str,
    entity: str,
    entity_id: str = "",
    before: Any = None,
    after: Any = None,
    region_code: str | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction (so it commits or rolls back with the change)."""
    entry = AuditEntry(
        at=dt.datetime.now(dt.timezone.utc),
        username=username,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        region_code=region_code,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def recent(session: Session, limit: int = 200, entity: str | None = None) -> list[AuditEntry]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity:
        q = q.where(AuditEntry.entity == entity)
    return list(session.scalars(q))
