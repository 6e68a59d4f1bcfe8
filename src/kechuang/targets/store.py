"""Target register and progress snapshots (tables of migration 0005_targets)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from sqlalchemy import (Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint,
                        select)
from sqlalchemy.orm import Mapped, Session, mapped_column

from kechuang.db import Base

from .metrics import MetricError, load_metrics
from ..units import UnitError, compatible, family_label, format_number, known as known_unit

COMPARATORS = (">=", "=", "<=", "~", ">", "<")
# how screens write a comparator before the target value ("≥ 600 家", "约 3.9 亿元")
COMPARATOR_LABELS = {">=": "≥", "=": "达", "<=": "≤", "~": "约", ">": ">", "<": "<"}
BINDING = ("bound", "unbound", "dismissed")


class TargetError(ValueError):
    """User-facing error about a target (message in Chinese)."""


class Target(Base):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False)
    region: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    indicator: Mapped[str] = mapped_column(String(256), nullable=False)
    metric_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    period: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    comparator: Mapped[str] = mapped_column(String(4), nullable=False, default=">=")
    value: Mapped[Decimal] = mapped_column(Numeric(20, 6), nullable=False)
    unit: Mapped[str] = mapped_column(String(16), nullable=False)
    source_statement_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    source_doc: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    source_quote: Mapped[str] = mapped_column(Text, nullable=False, default="")
    binding_status: Mapped[str] = mapped_column(String(16), nullable=False, default="unbound")
    # why the target cannot be measured yet (Chinese), e.g. a unit the registry does not know
    problem: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "region_code": self.region_code, "region": self.region,
            "indicator": self.indicator, "metric_id": self.metric_id, "period": self.period,
            "year": self.year, "comparator": self.comparator, "value": str(self.value),
            "unit": self.unit, "source_doc": self.source_doc, "source_quote": self.source_quote,
            "binding_status": self.binding_status, "problem": self.problem,
        }


class TargetSnapshot(Base):
    __tablename__ = "target_snapshots"
    __table_args__ = (UniqueConstraint("target_id", "as_of", name="uq_target_snapshots_target_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    current: Mapped[Decimal | None] = mapped_column(Numeric(20, 6), nullable=True)
    expected: Mapped[Decimal | None] = mapped_column(Numeric(20, 6), nullable=True)
    share: Mapped[Decimal | None] = mapped_column(Numeric(12, 6), nullable=True)
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)


# ---------------------------------------------------------------- validation helpers

def parse_value(raw, field: str = "目标值") -> Decimal:
    try:
        v = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise TargetError(f"{field}“{raw}”不是有效数字") from None
    if not v.is_finite() or v < 0:
        raise TargetError(f"{field}“{raw}”必须是非负数")
    return v


def year_of_period(period: str, default: int | None = None) -> int:
    m = re.search(r"(20\d\d)", period or "")
    if m:
        return int(m.group(1))
    if default is not None:
        return default
    raise TargetError(f"无法从期限“{period}”确定年份,请给出年份")


def unit_problem(unit: str) -> str:
    """The reason shown on a target whose unit the unit registry does not know."""
    return (f"计量单位“{unit}”不在单位表中,无法与台账指标换算,暂不能绑定和计算进度;"
            "请改正目标的单位,或在单位表中补充该单位")


def flow_or_stock(indicator: str) -> str | None:
    """"flow" when the indicator counts what is added in the period (新增, 新认定 …), "stock" when it
    counts a level (有效, 总数, 累计 …), None when it does not say (words in data/synonyms.yaml)."""
    from .synonyms import synonyms

    return synonyms().flow_or_stock(indicator)


def check_binding(metric_id: str, unit: str, indicator: str = "") -> None:
    """Refuse a binding that cannot measure the target: unknown metric, unit of another family, a
    flow target (新增…) on a stock metric (valid/cumulative on a date) or the reverse."""
    metrics = load_metrics()
    if not metric_id:
        raise TargetError("请选择对应的台账指标")
    if metric_id not in metrics:
        raise TargetError(f"未知指标“{metric_id}”")
    m = metrics[metric_id]
    if not known_unit(unit):
        raise TargetError(unit_problem(unit))
    if not compatible(unit, m.unit):
        raise TargetError(f"目标单位“{unit}”({family_label(unit)})与指标“{m.name}”的单位“{m.unit}”"
                          f"({family_label(m.unit)})不兼容,不能换算")
    kind = flow_or_stock(indicator)
    if m.aggregation == "ratio" or kind is None:
        return
    if kind == "flow" and m.is_stock:
        alt = "、".join(f"“{x.name}”" for x in metrics.values()
                       if x.kind == m.kind and not x.is_stock and x.aggregation != "ratio" and compatible(unit, x.unit))
        raise TargetError(f"目标“{indicator}”是期内新增量,不能绑定到存量指标“{m.name}”(统计日的总数)"
                          + (f";可选择{alt}" if alt else ""))
    if kind == "stock" and not m.is_stock:
        raise TargetError(f"目标“{indicator}”是统计日的总量,不能绑定到期内新增指标“{m.name}”")


def candidate_metrics(t: Target) -> list:
    """The metrics a target may be bound to (unit family and time sense agree), in file order."""
    out = []
    for m in load_metrics().values():
        try:
            check_binding(m.id, t.unit, t.indicator)
        except TargetError:
            continue
        out.append(m)
    return out


def resolve_region(text: str) -> tuple[str, str]:
    """(code, full name) for a region code or name; raises TargetError in Chinese when unknown."""
    from kechuang.regions import RegionError, lookup

    text = (text or "").strip()
    try:
        r = lookup(text)
    except RegionError as exc:
        raise TargetError(str(exc)) from None
    return r.code, r.full_name


def add_target(session: Session, *, region: str, indicator: str, value, unit: str, period: str = "",
               year: int | None = None, comparator: str = ">=", metric_id: str | None = None,
               source_doc: str = "", source_quote: str = "", source_statement_id: int | None = None,
               created_by: str = "", region_code: str | None = None, auto_bind: bool = True) -> Target:
    """Register a target; bind it to a metric (given, or from the synonym table)."""
    from .synonyms import bind_indicator

    if not (indicator or "").strip():
        raise TargetError("指标名称不能为空")
    unit = (unit or "").strip()
    if not unit:
        raise TargetError("计量单位不能为空")
    problem = "" if known_unit(unit) else unit_problem(unit)
    if comparator not in COMPARATORS:
        raise TargetError(f"比较符“{comparator}”无效,应为 {' / '.join(COMPARATORS)} 之一")
    v = parse_value(value)
    if region_code:
        code, name = region_code, region or region_code
    else:
        code, name = resolve_region(region)
    y = year or year_of_period(period)
    if problem:
        metric_id = None  # kept, flagged and left unbound: it cannot be converted to any metric
    elif metric_id:
        check_binding(metric_id, unit, indicator)
    elif auto_bind:
        metric_id = bind_indicator(indicator, unit)
    t = Target(region_code=code, region=name, indicator=indicator.strip(), metric_id=metric_id,
               period=period or str(y), year=y, comparator=comparator, value=v, unit=unit,
               source_statement_id=source_statement_id, source_doc=source_doc, source_quote=source_quote,
               binding_status="bound" if metric_id else "unbound", problem=problem, created_by=created_by,
               created_at=dt.datetime.now(dt.timezone.utc))
    session.add(t)
    session.flush()
    return t


EDITABLE = ("indicator", "value", "unit", "comparator", "period", "source_doc", "source_quote")


def update_target(session: Session, target_id: int, changes: dict, username: str) -> Target:
    """Edit a target's fields (those in EDITABLE), checked together exactly like a new target (the
    same rules as ``add_target``) before any is set, audited before → after. A unit the bound
    metric cannot convert from is refused; a new year drops the history taken for the old one."""
    from kechuang.audit import record

    t = get_target(session, target_id)
    unknown = [f for f in changes if f not in EDITABLE]
    if unknown:
        raise TargetError(f"字段“{unknown[0]}”不可修改")
    new = {f: getattr(t, f) for f in EDITABLE} | {f: (v.strip() if isinstance(v, str) else v)
                                                 for f, v in changes.items()}
    if not new["indicator"]:
        raise TargetError("字段“指标”不能为空")
    if len(new["indicator"]) > 256:
        raise TargetError("字段“指标”过长(不超过 256 个字符)")
    if not new["unit"]:
        raise TargetError("字段“单位”不能为空")
    if not known_unit(new["unit"]):
        raise TargetError(f"字段“单位”的值“{new['unit']}”不在单位表中")
    if new["comparator"] not in COMPARATORS:
        raise TargetError(f"字段“比较”的值“{new['comparator']}”无效,应为 {' / '.join(COMPARATORS)} 之一")
    new["value"] = parse_value(new["value"], "字段“目标值”的值")
    if len(new["period"] or "") > 32:
        raise TargetError("字段“期限”过长(不超过 32 个字符)")
    year = year_of_period(new["period"], t.year)
    if t.metric_id and (new["unit"] != t.unit or new["indicator"] != t.indicator):
        check_binding(t.metric_id, new["unit"], new["indicator"])
    before, after = {}, {}
    for f in EDITABLE:
        old = getattr(t, f)
        if new[f] != old:
            before[f], after[f] = str(old), str(new[f])
            setattr(t, f, new[f])
    if year != t.year:
        before["year"], after["year"] = t.year, year
        t.year = year
        _forget_history(session, t)
    if not after:
        return t
    t.problem = ""
    record(session, username, "update", "target", t.id, before, after, t.region_code)
    session.flush()
    return t


def get_target(session: Session, target_id: int) -> Target:
    t = session.get(Target, target_id)
    if t is None:
        raise TargetError(f"目标 {target_id} 不存在")
    return t


class ImplausibleBinding(TargetError):
    """The binding would give a completion rate no one should believe without checking (message in
    Chinese); the caller may confirm and bind anyway."""


def _binding(t: Target) -> dict:
    return {"metric_id": t.metric_id, "binding_status": t.binding_status}


def _forget_history(session: Session, t: Target) -> None:
    """Snapshots belong to the metric they were taken with; a new binding starts a new history."""
    from sqlalchemy import delete

    session.execute(delete(TargetSnapshot).where(TargetSnapshot.target_id == t.id))


def bind_target(session: Session, target_id: int, metric_id: str, username: str, *, source=None,
                today: dt.date | None = None, confirm: bool = False) -> Target:
    """Bind (or rebind) a target to a metric, audited. With a ledger ``source`` the binding's
    completion rate is checked first: above the plausible limit (data/status.yaml) it raises
    ImplausibleBinding unless ``confirm``. The target's history is then recorded from the ledger."""
    from kechuang.audit import record

    t = get_target(session, target_id)
    check_binding(metric_id, t.unit, t.indicator)
    if t.binding_status == "bound" and t.metric_id == metric_id:
        return t
    before = _binding(t)
    action = "rebind" if t.binding_status == "bound" else "bind"
    if source is not None and not confirm:
        check_plausible(t, metric_id, source, today)
    if action == "rebind":
        _forget_history(session, t)
    t.metric_id, t.binding_status = metric_id, "bound"
    record(session, username, action, "target", t.id, before, _binding(t), t.region_code)
    session.flush()
    if source is not None:
        from .progress import record_history

        record_history(session, [t], source, today or dt.date.today())
    return t


def check_plausible(t: Target, metric_id: str, source, today: dt.date | None = None) -> None:
    from .progress import compute_progress, status_rules

    limit = status_rules().implausible_share
    probe = Target(id=-1, region_code=t.region_code, region=t.region, indicator=t.indicator, metric_id=metric_id,
                   period=t.period, year=t.year, comparator=t.comparator, value=t.value, unit=t.unit,
                   binding_status="bound", problem="")
    [p] = compute_progress([probe], source, today)
    if p.share is not None and limit is not None and p.share > limit:
        m = load_metrics()[metric_id]
        raise ImplausibleBinding(
            f"绑定到“{m.name}”后,当前值 {format_number(p.current)} {t.unit},完成率 {p.share * 100:.0f}%,"
            f"超过 {limit * 100:.0f}%:很可能绑错了指标(如把新增目标绑到了总量指标)或目标单位有误。"
            "请核对;确认无误可勾选“确认绑定”后再提交。")


def unbind_target(session: Session, target_id: int, username: str) -> Target:
    """Undo a binding (audited); the target waits in the queue again and its history is dropped."""
    from kechuang.audit import record

    t = get_target(session, target_id)
    if t.binding_status != "bound":
        raise TargetError(f"目标 {target_id} 尚未绑定指标")
    before = _binding(t)
    _forget_history(session, t)
    t.metric_id, t.binding_status = None, "unbound"
    record(session, username, "unbind", "target", t.id, before, _binding(t), t.region_code)
    return t


def dismiss_target(session: Session, target_id: int, username: str) -> Target:
    from kechuang.audit import record

    t = get_target(session, target_id)
    before = _binding(t)
    _forget_history(session, t)
    t.metric_id, t.binding_status = None, "dismissed"
    record(session, username, "dismiss", "target", t.id, before, _binding(t), t.region_code)
    return t


def restore_target(session: Session, target_id: int, username: str) -> Target:
    """Bring a dismissed target back into the queue (audited)."""
    from kechuang.audit import record

    t = get_target(session, target_id)
    if t.binding_status != "dismissed":
        raise TargetError(f"目标 {target_id} 未被忽略")
    before = _binding(t)
    t.binding_status = "unbound"
    record(session, username, "restore", "target", t.id, before, _binding(t), t.region_code)
    return t


def list_targets(session: Session, *, year: int | None = None, region_codes: set[str] | None = None,
                 binding: str | tuple[str, ...] | None = None) -> list[Target]:
    q = select(Target).order_by(Target.region_code, Target.id)
    if year is not None:
        q = q.where(Target.year == year)
    if region_codes is not None:
        q = q.where(Target.region_code.in_(sorted(region_codes)))
    if binding is not None:
        q = q.where(Target.binding_status.in_([binding] if isinstance(binding, str) else list(binding)))
    return list(session.scalars(q))


def import_statements(session: Session, username: str = "cli",
                      region_codes: set[str] | None = None) -> tuple[int, int]:
    """Register the reader's statements of kind `target` not yet imported. Returns (new, of which bound).

    With ``region_codes`` (the importer's subtree), only statements the importer owns: their
    document stored by an office inside it, about a region inside it. Any statement must lie
    inside its document owner's subtree: no office sets another's targets."""
    from sqlalchemy import text

    from kechuang.audit import record
    from kechuang.regions import registry

    rows = session.execute(text(
        "SELECT s.id, s.quote, s.value, s.unit, s.indicator, s.comparator, s.region, s.region_code, "
        "s.period, d.filename, d.title, d.published_on, d.owner_region FROM statements s "
        "JOIN documents d ON d.id = s.document_id "
        "WHERE s.kind = 'target' AND d.withdrawn_at IS NULL ORDER BY s.document_id, s.seq")).all()
    have = set(session.scalars(select(Target.source_statement_id).where(Target.source_statement_id.is_not(None))))
    new = bound = 0
    for r in rows:
        if r.id in have or r.value is None:
            continue
        code = r.region_code or ""
        if not code:
            continue  # a target without a region cannot be measured; it stays in the reader
        if region_codes is not None and (code not in region_codes or r.owner_region not in region_codes):
            continue
        if r.owner_region and not registry().is_within(code, r.owner_region):
            continue
        pub = r.published_on
        if isinstance(pub, str):
            pub = dt.date.fromisoformat(pub[:10])
        year = year_of_period(r.period or "", pub.year if pub else dt.date.today().year)
        try:
            t = add_target(session, region=r.region or code, region_code=code, indicator=r.indicator or "",
                           value=r.value, unit=r.unit, period=r.period or str(year), year=year,
                           comparator=r.comparator if r.comparator in COMPARATORS else ">=",
                           source_doc=r.filename or r.title or "", source_quote=r.quote or "",
                           source_statement_id=r.id, created_by=username)
        except (TargetError, MetricError, UnitError):
            continue
        record(session, username, "import", "target", t.id, None, t.as_dict(), t.region_code)
        new += 1
        bound += t.metric_id is not None
    return new, bound
