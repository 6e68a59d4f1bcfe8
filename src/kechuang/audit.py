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
    "password": "修改密码", "revoke_sessions": "注销登录", "correct_frame": "更正文件要素",
    "withdraw": "撤回", "split": "分解下达", "confirm": "确认分解", "contest": "对分解提出异议",
    "open": "发起填报", "close": "结束填报", "extend": "延期", "upload": "上传填报数据", "submit": "提交", "return": "退回",
    "approve": "审核通过", "assign": "分配服务专员", "visit": "走访", "application": "申报状态",
    "award-list": "生成兑现名单", "award-confirmed": "企业确认兑现", "award-paid": "拨付奖励",
    # 揭榜挂帅 workflow steps, in order (kechuang.matching.workflow.STEPS)
    "publish": "发榜", "apply": "揭榜", "review": "评审", "sign": "签约", "implement": "实施", "accept": "验收",
    "respond": "回复督办", "finish": "办结",
}
ENTITY_LABELS = {
    "user": "用户", "session": "登录", "target": "目标", "document": "政策文件", "statement": "文件中的数字",
    "ledgers": "台账", "chain": "产业链节点", "share": "目标分解", "round": "填报轮次", "submission": "填报",
    "enterprise": "企业服务", "award_payout": "奖励兑现", "matching": "揭榜挂帅",
    "warning_task": "督办任务",
}
# how screens name the fields a change touched (history: 字段 旧 → 新)
FIELD_LABELS = {
    "indicator": "指标", "value": "目标值", "unit": "单位", "comparator": "比较", "period": "期限", "year": "年份",
    "region": "地区", "region_code": "地区代码", "metric_id": "台账指标", "binding_status": "绑定状态",
    "source_doc": "来源文件", "source_quote": "来源原文", "title": "标题", "outlet": "来源", "withdrawn": "已撤回",
    "reason": "原因", "status": "状态", "method": "分解方式", "kind": "类型", "actor": "主体", "filename": "文件名",
    "rows": "行数", "deadline": "截止日期", "kinds": "填报台账", "parent_id": "上级目标", "statements": "量化表述数",
    "version": "版本", "checksum": "校验码", "owner_region": "所属单位", "problem": "问题", "role": "角色",
    "active": "启用", "sessions": "登录数", "published": "发布日期", "created_by": "创建人",
    "via": "填报方式", "officer": "服务专员", "visited_on": "走访日期", "needs": "企业诉求", "promises": "答复与承诺", "program": "培育项目",
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


def _shown(v: Any) -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, list):
        return "、".join(_shown(x) for x in v)
    return str(v)


def changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field in Chinese, before, after) for each field an entry touched, in a stable order."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    out = []
    for key in list(before) + [k for k in after if k not in before]:
        b, a = before.get(key), after.get(key)
        if key in before and key in after and b == a:
            continue
        out.append((FIELD_LABELS.get(key, key), _shown(b) if key in before else "", _shown(a) if key in after else ""))
    return out


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


def trail(session: Session, entity: str, entity_ids: list[str] | str, limit: int = 200) -> list[dict]:
    """The change history of records as screens show it: 北京时间, user, action and each field's
    before → after in Chinese, newest first."""
    ids = [str(entity_ids)] if isinstance(entity_ids, (str, int)) else [str(i) for i in entity_ids]
    rows = session.scalars(select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids))
                           .order_by(AuditEntry.id.desc()).limit(limit))
    return [{"at": local_time(e.at), "who": e.username, "what": action_label(e.action), "changes": changes(e)}
            for e in rows]


def latest(session: Session, entity: str, entity_ids: list[str]) -> dict[str, AuditEntry]:
    """The newest entry of each of the records ``entity_ids`` (最后更新 / 更新人), by record id."""
    from sqlalchemy import func

    ids = sorted({str(i) for i in entity_ids})
    if not ids:
        return {}
    newest = list(session.scalars(select(func.max(AuditEntry.id)).where(
        AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids)).group_by(AuditEntry.entity_id)))
    if not newest:
        return {}
    return {e.entity_id: e for e in session.scalars(select(AuditEntry).where(AuditEntry.id.in_(newest)))}


def last_changes(session: Session, prefix: str, region_codes: set[str] | None = None) -> dict[str, AuditEntry]:
    """The newest entry of each entity starting with ``prefix`` (e.g. ``ledger:``: each ledger's
    最后更新 / 更新人), counting only changes inside ``region_codes`` when given."""
    from sqlalchemy import func

    q = (select(func.max(AuditEntry.id)).where(AuditEntry.entity.startswith(prefix),
                                                AuditEntry.action.in_(("import", "update", "delete")))
         .group_by(AuditEntry.entity))
    if region_codes is not None:
        q = q.where(AuditEntry.region_code.in_(sorted(region_codes)))
    ids = list(session.scalars(q))
    if not ids:
        return {}
    return {e.entity: e for e in session.scalars(select(AuditEntry).where(AuditEntry.id.in_(ids)))}
