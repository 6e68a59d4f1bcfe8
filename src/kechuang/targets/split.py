"""分解下达: a region's target split down to the regions inside it (by hand, evenly, or by each one's
share of last year's figure), the sum checked against the parent in the parent's unit, and each
region's answer (确认 / 有异议 with a reason). Every step is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kechuang.db import Base

from ..regions import name_of
from ..units import UnitError, compatible, convert, family, format_quantity, known
from .store import Target, TargetError, add_target, get_target, parse_value

METHODS = {"hand": "手工分配", "even": "平均分配", "last_year": "按上年占比"}
STATUSES = {"pending": "待确认", "confirmed": "已确认", "contested": "有异议"}
# families whose figures do not add up across regions (a rate of 3% in each district is not 21%)
NOT_ADDITIVE = ("percent", "percent_point", "multiple")


class TargetShare(Base):
    __tablename__ = "target_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), nullable=False, index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), nullable=False, unique=True)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    answered_by: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def method_label(self) -> str:
        return METHODS.get(self.method, self.method)


@dataclass
class Part:
    """One region's share as entered: value in ``unit`` (the parent's unit when blank)."""

    region_code: str
    value: Decimal | None = None
    unit: str = ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def split_options(parent: Target) -> list:
    """The regions a target may be split to: those directly below its region."""
    from ..regions import registry

    return registry().children(parent.region_code)


def _places(unit: str) -> int:
    """Counts are split in whole units; money and areas to two decimals."""
    return 0 if family(unit) == "count" else 2


def _apportion(total: Decimal, weights: dict[str, Decimal], places: int) -> dict[str, Decimal]:
    """``total`` in proportion to ``weights``, rounded to ``places`` decimals, adding up exactly
    (largest remainders get the leftover steps)."""
    step = Decimal(1).scaleb(-places)
    whole = sum(weights.values())
    raw = {k: total * w / whole for k, w in weights.items()}
    out = {k: v.quantize(step, rounding=ROUND_DOWN) for k, v in raw.items()}
    left = int(((total - sum(out.values())) / step).to_integral_value())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:max(left, 0)]:
        out[k] += step
    return out


def last_year_figures(parent: Target, codes: list[str], source) -> dict[str, Decimal]:
    """Each region's value of the parent's metric at the end of the year before the target's."""
    from .metrics import compute, load_metrics, value_of

    if not parent.metric_id:
        raise TargetError(f"目标“{parent.indicator}”尚未绑定台账指标,不能按上年占比分解;请先绑定指标或改用手工/平均分配")
    m = load_metrics()[parent.metric_id]
    end = dt.date(parent.year - 1, 12, 31)
    values = compute(m, [end], source)
    out = {c: Decimal(str(value_of(values, m, c, end) or 0)) for c in codes}
    return {c: convert(v, m.unit, parent.unit) for c, v in out.items()}


def plan_split(parent: Target, method: str, parts: list[Part], source=None) -> list[tuple[str, Decimal, str]]:
    """(region code, value, unit) of each share, checked: every region lies below the parent's,
    none twice, each value a non-negative number in a unit of the parent's family, and the sum
    (converted to the parent's unit) not short of the parent (for ≤ targets: not above it)."""
    from ..regions import registry

    if method not in METHODS:
        raise TargetError(f"字段“分解方式”的值“{method}”无效,应为 {'、'.join(METHODS.values())} 之一")
    if not known(parent.unit) or family(parent.unit) in NOT_ADDITIVE:
        raise TargetError(f"目标单位“{parent.unit}”是比率或不在单位表中,各地数值不能相加,不能分解;请为各地分别设定目标")
    if not parts:
        raise TargetError("请至少选择一个下级地区")
    reg, seen = registry(), set()
    for p in parts:
        r = reg.get(p.region_code)
        if r is None:
            raise TargetError(f"字段“地区”的值“{p.region_code}”不是已知的地区代码")
        if p.region_code == parent.region_code or not reg.is_within(p.region_code, parent.region_code):
            raise TargetError(f"字段“地区”的值“{r.full_name}”不在{parent.region}之内,不能分解到该地区")
        if p.region_code in seen:
            raise TargetError(f"地区“{r.full_name}”重复出现")
        seen.add(p.region_code)
    codes = [p.region_code for p in parts]
    places = _places(parent.unit)
    if method == "even":
        shares = _apportion(parent.value, {c: Decimal(1) for c in codes}, places)
        return [(c, shares[c], parent.unit) for c in codes]
    if method == "last_year":
        base = last_year_figures(parent, codes, source)
        if sum(base.values()) <= 0:
            raise TargetError(f"所选地区上年({parent.year - 1} 年)的“{parent.indicator}”台账数值均为 0,"
                              "不能按上年占比分解;请改用手工或平均分配")
        shares = _apportion(parent.value, base, places)
        return [(c, shares[c], parent.unit) for c in codes]
    out = []
    for p in parts:
        name = name_of(p.region_code, full=True)
        unit = (p.unit or parent.unit).strip()
        if not known(unit):
            raise TargetError(f"{name} 字段“单位”的值“{unit}”不在单位表中")
        if not compatible(unit, parent.unit):
            raise TargetError(f"{name} 字段“单位”的值“{unit}”不能换算为目标单位“{parent.unit}”")
        if p.value is None:
            raise TargetError(f"{name} 字段“分解值”不能为空")
        out.append((p.region_code, parse_value(p.value, f"{name} 字段“分解值”的值"), unit))
    total = sum((convert(v, u, parent.unit) for _c, v, u in out), Decimal(0))
    upper = parent.comparator in ("<=", "<")
    if (total < parent.value and not upper) or (total > parent.value and upper):
        gap = abs(parent.value - total)
        word = "少于" if not upper else "超过"
        raise TargetError(f"各地分解值合计 {format_quantity(total, parent.unit)},{word}{parent.region}目标 "
                          f"{format_quantity(parent.value, parent.unit)}(相差 {format_quantity(gap, parent.unit)}),未保存")
    return out


def shares_of(session: Session, parent_id: int) -> list[tuple[TargetShare, Target]]:
    rows = session.execute(select(TargetShare, Target).join(Target, Target.id == TargetShare.child_id)
                           .where(TargetShare.parent_id == parent_id).order_by(Target.region_code)).all()
    return [(s, t) for s, t in rows]


def share_of_child(session: Session, child_id: int) -> TargetShare | None:
    return session.scalar(select(TargetShare).where(TargetShare.child_id == child_id))


def split_target(session: Session, parent_id: int, method: str, parts: list[Part], username: str,
                 source=None) -> list[Target]:
    """Split (or split again) a target: one target per region, linked to the parent, waiting for the
    region's answer. Splitting again updates the regions kept, removes the others and asks every
    region again. Everything is checked first; a refused split changes nothing."""
    from ..audit import record

    parent = get_target(session, parent_id)
    planned = plan_split(parent, method, parts, source)
    existing = {t.region_code: (s, t) for s, t in shares_of(session, parent.id)}
    now = _now()
    children = []
    for code, value, unit in planned:
        if code in existing:
            share, child = existing.pop(code)
            before = {"value": str(child.value), "unit": child.unit, "status": share.status, "method": share.method}
            child.value, child.unit = value, unit
            share.method, share.status, share.reason, share.answered_by, share.answered_at = \
                method, "pending", "", "", None
        else:
            before = None
            child = add_target(session, region=name_of(code, full=True), region_code=code, indicator=parent.indicator,
                               value=value, unit=unit, period=parent.period, year=parent.year,
                               comparator=parent.comparator, metric_id=parent.metric_id, auto_bind=False,
                               source_doc=parent.source_doc or f"{parent.region}目标分解",
                               source_quote=f"由{parent.region}“{parent.indicator}”目标分解下达", created_by=username)
            share = TargetShare(parent_id=parent.id, child_id=child.id, method=method, status="pending",
                                created_by=username, created_at=now)
            session.add(share)
        session.flush()
        record(session, username, "split", "target", child.id, before,
               {"parent_id": parent.id, "value": str(value), "unit": unit, "status": "pending", "method": method},
               code)
        children.append(child)
    for code, (share, child) in existing.items():  # regions left out of the new split
        record(session, username, "delete", "target", child.id, child.as_dict(), None, code)
        session.delete(share)
        session.flush()
        session.delete(child)
    record(session, username, "split", "target", parent.id, None,
           {"method": method, "region": [name_of(c, full=True) for c, _v, _u in planned]}, parent.region_code)
    session.flush()
    return children


def answer_share(session: Session, child_id: int, agree: bool, reason: str, username: str) -> TargetShare:
    """A region confirms its share, or contests it with a reason (required), audited."""
    from ..audit import record

    share = share_of_child(session, child_id)
    if share is None:
        raise TargetError(f"目标 {child_id} 不是上级分解下达的目标")
    reason = (reason or "").strip()
    if not agree and not reason:
        raise TargetError("字段“异议理由”不能为空:请说明为什么不同意该分解值")
    if len(reason) > 1000:
        raise TargetError("字段“异议理由”过长(不超过 1000 个字符)")
    before = {"status": share.status, "reason": share.reason}
    share.status = "confirmed" if agree else "contested"
    share.reason = reason
    share.answered_by, share.answered_at = username, _now()
    child = get_target(session, child_id)
    record(session, username, "confirm" if agree else "contest", "target", child_id, before,
           {"status": share.status, "reason": reason}, child.region_code)
    return share


__all__ = ["METHODS", "STATUSES", "Part", "TargetShare", "answer_share", "plan_split", "share_of_child",
           "shares_of", "split_options", "split_target", "UnitError"]
