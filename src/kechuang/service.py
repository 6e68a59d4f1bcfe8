"""Enterprise service (分包服务 / 一对一): an officer assigned to each enterprise, visit records (date,
who, what the enterprise needs, what was promised) and the enterprise's application status per
program (准备中 / 已申报 / 已认定 / 未通过). Tables of migration 0014_office; every change audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .audit import record
from .db import Base

APPLICATION_STATUSES = {"preparing": "准备中", "applied": "已申报", "recognized": "已认定", "rejected": "未通过"}
_LONG = 2000


class ServiceError(ValueError):
    """A refused change (message in Chinese, naming the field and value)."""


class Assignment(Base):
    __tablename__ = "service_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, unique=True)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    officer: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    assigned_by: Mapped[str] = mapped_column(String(64), nullable=False)
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Visit(Base):
    __tablename__ = "service_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False)
    visited_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    officer: Mapped[str] = mapped_column(String(64), nullable=False)
    needs: Mapped[str] = mapped_column(Text, nullable=False, default="")
    promises: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Application(Base):
    __tablename__ = "program_applications"
    __table_args__ = (UniqueConstraint("uscc", "program", "year", name="uq_program_applications_uscc_program_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False)
    program: Mapped[str] = mapped_column(String(32), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    updated_by: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    @property
    def status_label(self) -> str:
        return APPLICATION_STATUSES.get(self.status, self.status)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def assign(session: Session, uscc: str, region_code: str, officer: str, username: str) -> Assignment:
    """Give the enterprise (registered in ``region_code``) to an active officer whose scope covers it;
    a new assignment replaces the old one."""
    from .accounts import AccountError, officer_for

    officer = (officer or "").strip()
    try:
        officer_for(session, officer, region_code, "服务专员", "服务该企业", "该企业")
    except AccountError as e:
        raise ServiceError(str(e)) from None
    a = session.scalar(select(Assignment).where(Assignment.uscc == uscc))
    before = {"officer": a.officer} if a else None
    if a is None:
        a = Assignment(uscc=uscc, region_code=region_code, officer=officer, assigned_by=username, assigned_at=_now())
        session.add(a)
    else:
        a.officer, a.region_code, a.assigned_by, a.assigned_at = officer, region_code, username, _now()
    record(session, username, "assign", "enterprise", uscc, before, {"officer": officer}, region_code)
    session.flush()
    return a


def _text(value: str, label: str) -> str:
    text = (value or "").strip()
    if len(text) > _LONG:
        raise ServiceError(f"字段“{label}”过长(不超过 {_LONG} 个字符)")
    return text


def add_visit(session: Session, uscc: str, region_code: str, visited_on: str | dt.date, needs: str,
              promises: str, username: str, today: dt.date | None = None) -> Visit:
    if isinstance(visited_on, str):
        try:
            visited_on = dt.date.fromisoformat(visited_on.strip())
        except ValueError:
            raise ServiceError(f"字段“走访日期”的值“{visited_on}”无效,应为 YYYY-MM-DD") from None
    if visited_on > (today or dt.date.today()):
        raise ServiceError(f"字段“走访日期”的值“{visited_on}”晚于今天")
    needs, promises = _text(needs, "企业诉求"), _text(promises, "答复与承诺")
    if not needs and not promises:
        raise ServiceError("字段“企业诉求”和“答复与承诺”不能都为空")
    v = Visit(uscc=uscc, region_code=region_code, visited_on=visited_on, officer=username, needs=needs,
              promises=promises, created_at=_now())
    session.add(v)
    session.flush()
    record(session, username, "visit", "enterprise", uscc, None,
           {"visited_on": visited_on.isoformat(), "needs": needs, "promises": promises}, region_code)
    return v


def set_application(session: Session, uscc: str, region_code: str, program: str, year: int | str, status: str,
                    username: str) -> Application:
    from .programs.catalog import program_names

    names = program_names()
    if program not in names:
        raise ServiceError(f"字段“培育项目”的值“{program}”不是已知的项目")
    if status not in APPLICATION_STATUSES:
        raise ServiceError(f"字段“申报状态”的值“{status}”无效,应为 {'、'.join(APPLICATION_STATUSES.values())} 之一")
    try:
        y = int(str(year).strip())
    except ValueError:
        raise ServiceError(f"字段“年度”的值“{year}”不是年份") from None
    if not 2000 <= y <= 2100:
        raise ServiceError(f"字段“年度”的值“{year}”不是年份")
    a = session.scalar(select(Application).where(Application.uscc == uscc, Application.program == program,
                                                 Application.year == y))
    before = {"program": names[program], "status": APPLICATION_STATUSES[a.status]} if a else None
    if a is None:
        a = Application(uscc=uscc, region_code=region_code, program=program, year=y, status=status,
                        updated_by=username, updated_at=_now())
        session.add(a)
    else:
        a.status, a.updated_by, a.updated_at = status, username, _now()
    record(session, username, "application", "enterprise", uscc, before,
           {"program": names[program], "year": y, "status": APPLICATION_STATUSES[status]}, region_code)
    session.flush()
    return a


def of_enterprise(session: Session, uscc: str) -> dict:
    return {
        "assignment": session.scalar(select(Assignment).where(Assignment.uscc == uscc)),
        "visits": list(session.scalars(select(Visit).where(Visit.uscc == uscc)
                                       .order_by(Visit.visited_on.desc(), Visit.id.desc()))),
        "applications": list(session.scalars(select(Application).where(Application.uscc == uscc)
                                             .order_by(Application.year.desc(), Application.program))),
    }


def officer_list(session: Session, region_codes: set[str] | None, officer: str | None = None) -> list[dict]:
    """Assigned enterprises (of one officer, or all within ``region_codes``) with their name, last
    visit and application statuses."""
    from .ledgers.store import enterprise_names
    from .programs.catalog import program_name

    q = select(Assignment).order_by(Assignment.officer, Assignment.uscc)
    if officer:
        q = q.where(Assignment.officer == officer)
    if region_codes is not None:
        q = q.where(Assignment.region_code.in_(sorted(region_codes)))
    rows = list(session.scalars(q))
    usccs = [a.uscc for a in rows]
    names = enterprise_names(session.connection(), usccs)
    last: dict[str, Visit] = {}
    for v in session.scalars(select(Visit).where(Visit.uscc.in_(usccs)).order_by(Visit.visited_on, Visit.id)):
        last[v.uscc] = v
    apps: dict[str, list[str]] = {}
    for a in session.scalars(select(Application).where(Application.uscc.in_(usccs))
                             .order_by(Application.year.desc(), Application.program)):
        apps.setdefault(a.uscc, []).append(f"{a.year} {program_name(a.program)}:{a.status_label}")
    return [{"uscc": a.uscc, "name": names.get(a.uscc, ""), "region_code": a.region_code, "officer": a.officer,
             "last_visit": last.get(a.uscc), "applications": apps.get(a.uscc, [])} for a in rows]


def my_work(session: Session, username: str, region_codes: set[str] | None, today: dt.date | None = None) -> list[dict]:
    """An officer's own list (我的任务): the 督办 tasks assigned to them that are not closed, and the
    enterprises they serve (分包), each with its due date — a task's 办理期限; for an enterprise, the
    last day of the application window (programs/windows.yaml) of each program it is preparing
    (准备中) for. Overdue first, then by due date; items without a date last."""
    from .programs.catalog import program_name
    from .programs.windows import windows_for
    from .warnings import list_tasks

    today = today or dt.date.today()
    items: list[dict] = []
    for t in list_tasks(session, region_codes):
        if t.assignee != username or t.status == "closed":
            continue
        items.append({"kind": "督办", "text": t.text, "region_code": t.region_code, "uscc": t.uscc,
                      "due_on": t.due_on, "overdue": t.overdue_on(today), "status": t.status_label,
                      "link": f"/warnings#task-{t.id}"})
    rows = officer_list(session, region_codes, username)
    preparing: dict[str, list[Application]] = {}
    if rows:
        for a in session.scalars(select(Application).where(Application.uscc.in_([r["uscc"] for r in rows]),
                                                           Application.status == "preparing")):
            preparing.setdefault(a.uscc, []).append(a)
    for r in rows:
        last = r["last_visit"]
        seen = f"最近走访 {last.visited_on}" if last else "尚未走访"
        base = {"kind": "分包企业", "region_code": r["region_code"], "uscc": r["uscc"], "name": r["name"],
                "link": f"/enterprises/{r['uscc']}#service"}
        dated = False
        for a in sorted(preparing.get(r["uscc"], []), key=lambda a: (a.year, a.program)):
            for w in windows_for(a.program, r["region_code"]):
                if w.year != a.year or not w.covers(r["region_code"]):
                    continue
                dated = True
                items.append({**base, "text": f"{r['name'] or r['uscc']}:{a.year} 年{program_name(a.program)}申报准备中,"
                                              f"“{w.title}”{w.closes_on} 截止;{seen}",
                              "due_on": w.closes_on, "overdue": w.closes_on < today,
                              "status": w.state_label(today)})
        if not dated:
            items.append({**base, "text": f"{r['name'] or r['uscc']}:{seen}", "due_on": None, "overdue": False,
                          "status": ";".join(r["applications"]) or "—"})
    items.sort(key=lambda i: (not i["overdue"], i["due_on"] is None, i["due_on"] or dt.date.max, i["kind"]))
    return items
