"""Audit log: who changed what, when, before → after; Chinese labels and local time for screens."""

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


# How screens name what was done and to what (the stored values stay the short English codes).
ACTION_LABELS = {
    "login": "登录", "create": "新建", "disable": "停用", "update": "修改", "import": "导入",
    "ingest": "上传文件", "reextract": "重新识别", "correct": "更正", "bind": "绑定指标",
    "rebind": "改绑指标", "unbind": "解除绑定", "dismiss": "忽略", "restore": "恢复", "demo-data": "生成演示数据",
    "delete": "删除", "chain-confirm": "确认上链", "chain-reject": "否定上链",
}
ENTITY_LABELS = {
    "user": "用户", "session": "登录", "target": "目标", "document": "政策文件", "statement": "文件中的数字",
    "ledgers": "台账", "chain": "产业链节点",
}
# China Standard Time (UTC+8, no daylight saving): the time officials read on screens
LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "北京时间")


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def entity_label(entity: str) -> str:
    if entity.startswith("ledger:"):
        from .ledgers import get_kind

        try:
            return f"台账:{get_kind(entity[7:]).name}"
        except Exception:  # a kind removed since
            return f"台账:{entity[7:]}"
    return ENTITY_LABELS.get(entity, entity)


def local_time(at: dt.datetime | None) -> str:
    """A stored (UTC) time as officials read it: 北京时间, to the minute."""
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def of_entity(session: Session, entity: str, entity_id: str, limit: int = 50) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == entity,
                                                         AuditEntry.entity_id == str(entity_id))
                                .order_by(AuditEntry.id.desc()).limit(limit)))
