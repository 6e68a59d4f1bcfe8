"""Tables and steps of reporting rounds (migration 0014_office). Each step checks everything first
and is audited; a refused step changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import (JSON, Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint,
                        select)
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..audit import LOCAL_TZ, AuditEntry, latest, record
from ..db import Base
from ..regions import name_of

PERIOD_KINDS = {"month": "月度", "quarter": "季度"}
STATUSES = {"pending": "未提交", "submitted": "已提交待审核", "returned": "已退回", "approved": "已通过"}
ROUND_STATUSES = {"open": "进行中", "closed": "已关闭"}
FORM_ROWS = 500  # rows one web form may hold; larger returns go by file
_MONTH = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(20\d\d)-Q([1-4])")


class RoundError(ValueError):
    """A refused step of a round (message in Chinese)."""


class Round(Base):
    __tablename__ = "report_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    period_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    period: Mapped[str] = mapped_column(String(16), nullable=False)
    kinds: Mapped[list] = mapped_column(JSON, nullable=False)
    deadline: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    @property
    def period_label(self) -> str:
        return period_label(self.period)

    @property
    def status_label(self) -> str:
        return ROUND_STATUSES.get(self.status, self.status)


class Submission(Base):
    __tablename__ = "round_submissions"
    __table_args__ = (UniqueConstraint("round_id", "region_code", name="uq_round_submissions_round_region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("report_rounds.id", ondelete="CASCADE"), nullable=False)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    submitted_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reviewed_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class RoundFile(Base):
    __tablename__ = "round_files"
    __table_args__ = (UniqueConstraint("submission_id", "kind", name="uq_round_files_submission_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("round_submissions.id", ondelete="CASCADE"),
                                               nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def period_label(period: str) -> str:
    """2024-03 → 2024年3月, 2024-Q1 → 2024年第1季度."""
    if m := _MONTH.fullmatch(period):
        return f"{m.group(1)}年{int(m.group(2))}月"
    if m := _QUARTER.fullmatch(period):
        return f"{m.group(1)}年第{m.group(2)}季度"
    return period


def _check_period(kind: str, period: str) -> str:
    period = (period or "").strip().upper().replace("q", "Q")
    if kind not in PERIOD_KINDS:
        raise RoundError(f"字段“周期”的值“{kind}”无效,应为 月度 或 季度")
    rx, example = (_MONTH, "2024-03") if kind == "month" else (_QUARTER, "2024-Q1")
    if not rx.fullmatch(period):
        raise RoundError(f"字段“期间”的值“{period}”无效,{PERIOD_KINDS[kind]}应写作 {example}")
    return period


def _date(value: str | dt.date, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RoundError(f"字段“{field}”的值“{value}”无效,应为 YYYY-MM-DD") from None


def open_round(session: Session, *, region_code: str, period_kind: str, period: str, kinds: list[str],
               deadline: str | dt.date, username: str, title: str = "") -> Round:
    """Open a round for the regions directly below ``region_code`` (each gets a submission 未提交)."""
    from ..ledgers import get_kind
    from ..regions import registry

    period = _check_period(period_kind, period)
    if not kinds:
        raise RoundError("字段“填报台账”不能为空:请至少选择一类台账")
    for k in kinds:
        try:
            get_kind(k)
        except Exception:
            raise RoundError(f"字段“填报台账”的值“{k}”不是已知的台账类型") from None
    deadline = _date(deadline, "截止日期")
    children = registry().children(region_code)
    if not children:
        raise RoundError(f"{name_of(region_code, full=True)}没有下级地区,无法发起填报")
    title = (title or "").strip() or f"{name_of(region_code, full=True)}{period_label(period)}填报"
    if len(title) > 200:
        raise RoundError("字段“名称”过长(不超过 200 个字符)")
    r = Round(region_code=region_code, title=title, period_kind=period_kind, period=period, kinds=list(dict.fromkeys(kinds)),
              deadline=deadline, status="open", created_by=username, created_at=_now())
    session.add(r)
    session.flush()
    for c in children:
        session.add(Submission(round_id=r.id, region_code=c.code, status="pending"))
    record(session, username, "open", "round", r.id, None,
           {"title": title, "period": period, "kinds": r.kinds, "deadline": deadline.isoformat()}, region_code)
    session.flush()
    return r


def get_round(session: Session, round_id: int) -> Round:
    r = session.get(Round, round_id)
    if r is None:
        raise RoundError(f"填报轮次 {round_id} 不存在")
    return r


def list_rounds(session: Session, region_codes: set[str] | None) -> list[Round]:
    q = select(Round).order_by(Round.id.desc())
    rounds = list(session.scalars(q))
    if region_codes is None:
        return rounds
    # a round concerns its city and every region below it: visible to both
    mine = {s.round_id for s in session.scalars(select(Submission).where(
        Submission.region_code.in_(sorted(region_codes))))}
    return [r for r in rounds if r.region_code in region_codes or r.id in mine]


def submission_of(session: Session, round_id: int, region_code: str) -> Submission:
    s = session.scalar(select(Submission).where(Submission.round_id == round_id,
                                                Submission.region_code == region_code))
    if s is None:
        raise RoundError(f"{name_of(region_code, full=True)}不在本轮填报范围内")
    return s


def files_of(session: Session, submission_id: int) -> dict[str, RoundFile]:
    return {f.kind: f for f in session.scalars(select(RoundFile).where(RoundFile.submission_id == submission_id))}


def _open(r: Round) -> None:
    if r.status != "open":
        raise RoundError(f"填报“{r.title}”已关闭,不再接受填报和审核")


def _editable(session: Session, round_id: int, region_code: str, kind: str) -> tuple[Round, Submission]:
    """The round and the region's submission, when the region may still change its figures of ``kind``."""
    r = get_round(session, round_id)
    _open(r)
    if kind not in r.kinds:
        raise RoundError(f"本轮填报不包括台账“{kind}”")
    sub = submission_of(session, round_id, region_code)
    if sub.status in ("submitted", "approved"):
        raise RoundError(f"{name_of(region_code, full=True)}的填报{sub.status_label},不能再修改")
    return r, sub


def _keep(session: Session, sub: Submission, kind: str, data: bytes, filename: str, rows: int, username: str,
          how: str) -> RoundFile:
    """Store the region's checked figures of one ledger, replacing what it gave before (audited)."""
    from ..ledgers import get_kind

    old = files_of(session, sub.id).get(kind)
    if old is not None:
        session.delete(old)
        session.flush()
    f = RoundFile(submission_id=sub.id, kind=kind, filename=filename, data=data, rows=rows,
                  uploaded_by=username, uploaded_at=_now())
    session.add(f)
    record(session, username, "upload", "submission", sub.id,
           {"filename": old.filename, "rows": old.rows} if old else None,
           {"kind": get_kind(kind).name, "filename": f.filename, "rows": f.rows, "via": how}, sub.region_code)
    session.flush()
    return f


def upload(session: Session, round_id: int, region_code: str, kind: str, data: bytes, filename: str,
           username: str) -> RoundFile:
    """A region's file for one ledger of the round, checked like an import (every problem named by
    file, row, column and value) and kept until the city approves it."""
    from ..ledgers.importer import check_bytes

    _r, sub = _editable(session, round_id, region_code, kind)
    report = check_bytes(kind, data, filename, scope_root=region_code)
    if not report.ok:
        shown = ";".join(p.text() for p in report.problems[:5])
        more = f"(另有 {len(report.problems) - 5} 个问题)" if len(report.problems) > 5 else ""
        raise RoundError(f"文件未通过校验,未保存:{shown}{more}")
    return _keep(session, sub, kind, data, report.file, report.rows, username, "上传文件")


@dataclass
class CellProblem:
    row: int | None  # 1-based row of the web form
    field: str | None  # field id
    text: str


class FillError(RoundError):
    """Figures typed on the web refused; ``problems`` point at the cells."""

    def __init__(self, message: str, problems: list[CellProblem]):
        super().__init__(message)
        self.problems = problems


def fill(session: Session, round_id: int, region_code: str, kind: str, rows: list[dict[str, str]],
         username: str) -> RoundFile:
    """The region's figures of one ledger typed cell by cell (``rows``: field id → text, blank rows
    ignored). Checked exactly as an uploaded file is, then kept in its place; any problem keeps
    nothing and names the row, field and value."""
    from ..ledgers import get_kind
    from ..ledgers.importer import check_bytes, records_csv
    from ..ledgers.kinds import normalize_header

    _r, sub = _editable(session, round_id, region_code, kind)
    k = get_kind(kind)
    if len(rows) > FORM_ROWS:
        raise RoundError(f"网页填报最多 {FORM_ROWS} 行;更多数据请下载模板填好后上传文件")
    kept = [(i, {f.id: str(row.get(f.id) or "").strip() for f in k.fields}) for i, row in enumerate(rows, 1)]
    kept = [(i, row) for i, row in kept if any(row.values())]
    if not kept:
        raise FillError("没有填写任何数据,未保存:请至少填写一行", [])
    data = records_csv(k, [{k.field(fid).label: v for fid, v in row.items()} for _i, row in kept])
    filename = f"网页填报-{k.name}.csv"
    report = check_bytes(k, data, filename, scope_root=region_code)
    if report.ok:
        return _keep(session, sub, kind, data, filename, report.rows, username, "网页填报")
    lookup = k.header_lookup()
    problems = []
    for p in report.problems:
        at = kept[p.row - 2][0] if p.row and 2 <= p.row < len(kept) + 2 else None
        fid = lookup.get(normalize_header(p.column)) if p.column else None
        where = [f"第{at}行"] if at else []
        if fid:
            where.append(f"字段“{k.field(fid).label}”")
        value = "" if p.value is None or p.value == "" else f",值“{p.value}”"
        problems.append(CellProblem(at, fid, f"{','.join(where) or '填报数据'}{value}:{p.reason}"))
    more = f"(另有 {len(problems) - 5} 个问题)" if len(problems) > 5 else ""
    raise FillError(f"填报数据未通过校验,未保存:{';'.join(c.text for c in problems[:5])}{more}", problems)


def form_rows(session: Session, round_id: int, region_code: str, kind: str) -> list[dict[str, str]]:
    """What the region has given for ``kind`` so far (uploaded or typed), as the web form's rows:
    field id → text, choices shown by their label."""
    from ..ledgers import get_kind
    from ..ledgers.excel_io import read_ledger_file
    from ..ledgers.kinds import normalize_header

    f = files_of(session, submission_of(session, round_id, region_code).id).get(kind)
    if f is None:
        return []
    k = get_kind(kind)
    frame = read_ledger_file(k, f.data, f.filename).frame
    if frame is None:
        return []
    out = []
    for rec in frame.iter_rows(named=True):
        row = {}
        for fd in k.fields:
            v = "" if rec.get(fd.id) is None else str(rec[fd.id]).strip()
            if fd.values and v:
                v = fd.enum_labels().get(fd.enum_lookup().get(normalize_header(v), ""), v)
            elif fd.type == "date" and v.endswith(" 00:00:00"):  # an Excel date cell
                v = v[:10]
            row[fd.id] = v
        out.append(row)
    return out


def submit(session: Session, round_id: int, region_code: str, username: str) -> Submission:
    from ..ledgers import get_kind

    r = get_round(session, round_id)
    _open(r)
    sub = submission_of(session, round_id, region_code)
    if sub.status not in ("pending", "returned"):
        raise RoundError(f"{name_of(region_code, full=True)}的填报{sub.status_label},不能重复提交")
    missing = [get_kind(k).name for k in r.kinds if k not in files_of(session, sub.id)]
    if missing:
        raise RoundError(f"尚未上传:{'、'.join(missing)};请先上传后再提交")
    before = {"status": sub.status}
    sub.status, sub.submitted_by, sub.submitted_at = "submitted", username, _now()
    record(session, username, "submit", "submission", sub.id, before, {"status": "submitted"}, region_code)
    return sub


def _reviewable(session: Session, round_id: int, region_code: str) -> tuple[Round, Submission]:
    r = get_round(session, round_id)
    _open(r)
    sub = submission_of(session, round_id, region_code)
    if sub.status != "submitted":
        raise RoundError(f"{name_of(region_code, full=True)}的填报{sub.status_label},不能审核")
    return r, sub


def return_submission(session: Session, round_id: int, region_code: str, reason: str, username: str) -> Submission:
    """退回: the region fixes and submits again; the reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise RoundError("字段“退回原因”不能为空")
    if len(reason) > 1000:
        raise RoundError("字段“退回原因”过长(不超过 1000 个字符)")
    _r, sub = _reviewable(session, round_id, region_code)
    sub.status, sub.reason, sub.reviewed_by, sub.reviewed_at = "returned", reason, username, _now()
    record(session, username, "return", "submission", sub.id, {"status": "submitted"},
           {"status": "returned", "reason": reason}, region_code)
    return sub


def approve(session: Session, engine, round_id: int, region_code: str, username: str) -> Submission:
    """通过: every file of the submission is imported into its ledger in one transaction (all or
    none), as the region's own import; then the submission is marked approved."""
    from ..ledgers.importer import import_together

    r, sub = _reviewable(session, round_id, region_code)
    files = files_of(session, sub.id)
    reports = import_together(engine, [(k, files[k].data, files[k].filename) for k in r.kinds],
                              username=sub.submitted_by or username, scope_root=region_code)
    problems = [p for rep in reports for p in rep.problems]
    if problems:
        raise RoundError("导入台账时发现问题,未通过,台账未改变:" + ";".join(p.text() for p in problems[:5]))
    sub.status, sub.reviewed_by, sub.reviewed_at, sub.reason = "approved", username, _now(), ""
    record(session, username, "approve", "submission", sub.id, {"status": "submitted"},
           {"status": "approved", "rows": sum(rep.rows for rep in reports)}, region_code)
    return sub


def close_round(session: Session, round_id: int, username: str) -> Round:
    """关闭(归档): the round accepts nothing more; submissions still awaiting review must be
    decided first. Regions that never submitted stay 未提交 on the record."""
    r = get_round(session, round_id)
    _open(r)
    waiting = [name_of(s.region_code, full=True) for s in session.scalars(
        select(Submission).where(Submission.round_id == r.id, Submission.status == "submitted")
        .order_by(Submission.region_code))]
    if waiting:
        raise RoundError(f"{'、'.join(waiting)}的填报已提交待审核:请先通过或退回,再关闭本轮填报")
    r.status = "closed"
    record(session, username, "close", "round", r.id, {"status": "open"}, {"status": "closed"}, r.region_code)
    session.flush()
    return r


def extend_deadline(session: Session, round_id: int, deadline: str | dt.date, reason: str, username: str) -> Round:
    """延期: move an open round's deadline later, with a reason on the record. Lateness and the overdue
    warnings then count from the new date."""
    r = get_round(session, round_id)
    _open(r)
    deadline = _date(deadline, "新截止日期")
    if deadline <= r.deadline:
        raise RoundError(f"字段“新截止日期”的值“{deadline.isoformat()}”须晚于原截止日期 {r.deadline.isoformat()}")
    reason = (reason or "").strip()
    if not reason:
        raise RoundError("字段“延期原因”不能为空")
    if len(reason) > 1000:
        raise RoundError("字段“延期原因”过长(不超过 1000 个字符)")
    old = r.deadline
    r.deadline = deadline
    record(session, username, "extend", "round", r.id, {"deadline": old.isoformat()},
           {"deadline": deadline.isoformat(), "reason": reason}, r.region_code)
    session.flush()
    return r


def last_updates(session: Session, rounds: list[Round]) -> dict[int, AuditEntry]:
    """最后更新 / 更新人 of each round: its newest audited step (opening, any region's upload,
    submission or review, closing)."""
    subs = session.execute(select(Submission.id, Submission.round_id).where(
        Submission.round_id.in_([r.id for r in rounds]))).all() if rounds else []
    of_round = {str(sid): rid for sid, rid in subs}
    out: dict[int, AuditEntry] = {}
    entries = [*latest(session, "round", [str(r.id) for r in rounds]).values(),
               *latest(session, "submission", list(of_round)).values()]
    for e in entries:
        rid = int(e.entity_id) if e.entity == "round" else of_round[e.entity_id]
        if rid not in out or e.id > out[rid].id:
            out[rid] = e
    return out


@dataclass
class BoardRow:
    submission: Submission
    region: str
    files: dict
    late: bool  # submitted after the deadline
    overdue: bool  # not submitted and the deadline has passed
    updated: AuditEntry | None = None  # 最后更新 / 更新人 of the region's submission


def board(session: Session, r: Round, today: dt.date | None = None) -> list[BoardRow]:
    """Each region of the round with its status: who has not submitted, who was late."""
    today = today or dt.date.today()
    subs = list(session.scalars(select(Submission).where(Submission.round_id == r.id)
                                .order_by(Submission.region_code)))
    updated = latest(session, "submission", [str(s.id) for s in subs])
    out = []
    for s in subs:
        at = _aware(s.submitted_at)
        late = at is not None and at.astimezone(LOCAL_TZ).date() > r.deadline
        overdue = s.status in ("pending", "returned") and today > r.deadline
        out.append(BoardRow(s, name_of(s.region_code, full=True), files_of(session, s.id), late, overdue,
                            updated.get(str(s.id))))
    return out
