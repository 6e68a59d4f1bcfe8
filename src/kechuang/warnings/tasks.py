"""督办: a warning turned into a task for a person whose region covers it, with a due date, their
response and a status (待办 → 已回复 → 已办结). Table ``warning_tasks`` (migration 0016); every change
audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..audit import record
from ..db import Base

TASK_STATUSES = {"open": "待办", "answered": "已回复", "closed": "已办结"}
_LONG = 2000


class TaskError(ValueError):
    """A refused change (message in Chinese, naming the field and value)."""


class Task(Base):
    __tablename__ = "warning_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_key: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    rule: Mapped[str] = mapped_column(String(32), nullable=False)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, default="")
    text: Mapped[str] = mapped_column(Text, nullable=False)
    assignee: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    response: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    @property
    def status_label(self) -> str:
        return TASK_STATUSES.get(self.status, self.status)

    def overdue_on(self, today: dt.date) -> bool:
        return self.status != "closed" and self.due_on < today


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _date(value: str | dt.date, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise TaskError(f"字段“{label}”的值“{value}”无效,应为 YYYY-MM-DD") from None


def _assignee(session: Session, name: str, region_code: str):
    from ..accounts import AccountError, officer_for

    try:
        return officer_for(session, name, region_code, "督办人", "督办此预警", "该预警")
    except AccountError as e:
        raise TaskError(str(e)) from None


def create_task(session: Session, warning, assignee: str, due_on: str | dt.date, username: str,
                today: dt.date | None = None) -> Task:
    """A task for ``warning`` (a rules.Warning); a warning has at most one task not yet closed."""
    due = _date(due_on, "办理期限")
    if due < (today or dt.date.today()):
        raise TaskError(f"字段“办理期限”的值“{due}”早于今天")
    _assignee(session, assignee, warning.region_code)
    if session.scalar(select(Task).where(Task.warning_key == warning.key, Task.status != "closed")):
        raise TaskError(f"预警“{warning.text}”已有未办结的督办任务")
    now = _now()
    t = Task(warning_key=warning.key, rule=warning.rule, region_code=warning.region_code, uscc=warning.uscc,
             text=warning.text, assignee=assignee.strip(), due_on=due, status="open", response="",
             created_by=username, created_at=now, updated_at=now)
    session.add(t)
    session.flush()
    record(session, username, "create", "warning_task", str(t.id), None,
           {"预警": t.text, "督办人": t.assignee, "办理期限": due.isoformat()}, t.region_code)
    return t


def respond(session: Session, task: Task, response: str, username: str) -> Task:
    """The assignee (or anyone who may edit the region) answers; the task becomes 已回复."""
    text = (response or "").strip()
    if not text:
        raise TaskError("字段“办理情况”不能为空")
    if len(text) > _LONG:
        raise TaskError(f"字段“办理情况”过长(不超过 {_LONG} 个字符)")
    if task.status == "closed":
        raise TaskError(f"督办任务 {task.id} 已办结,不能再回复")
    before = {"状态": task.status_label, "办理情况": task.response}
    task.response, task.status, task.updated_at = text, "answered", _now()
    record(session, username, "respond", "warning_task", str(task.id), before,
           {"状态": task.status_label, "办理情况": text}, task.region_code)
    session.flush()
    return task


def close(session: Session, task: Task, username: str) -> Task:
    if task.status != "answered":
        raise TaskError(f"督办任务 {task.id} 的状态为“{task.status_label}”,须先回复办理情况才能办结")
    before = {"状态": task.status_label}
    task.status, task.updated_at = "closed", _now()
    record(session, username, "finish", "warning_task", str(task.id), before, {"状态": task.status_label},
           task.region_code)
    session.flush()
    return task


def list_tasks(session: Session, codes: set[str] | None) -> list[Task]:
    q = select(Task).order_by(Task.status, Task.due_on, Task.id)
    if codes is not None:
        q = q.where(Task.region_code.in_(sorted(codes)))
    return list(session.scalars(q))


def overdue_count(session: Session, codes: set[str] | None, today: dt.date | None = None) -> int:
    q = select(func.count()).select_from(Task).where(Task.status != "closed",
                                                     Task.due_on < (today or dt.date.today()))
    if codes is not None:
        q = q.where(Task.region_code.in_(sorted(codes)))
    return session.scalar(q) or 0
