"""Demand quality before publishing (揭榜挂帅 需求甄别): a demand that states no quantified
indicator, no budget, no deadline, or only generic words cannot be matched or judged at 验收.
Each flag names the field and says the fix the way a bureau's notice would (docs/matching-workflow.md §2).

Also the ``advisor`` of the demand ledger kind: the same flags as import advice."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

# a number with a unit, percentage or comparison: 0.1毫米, 80米/分钟, 60%, ≥95, 不低于200
_QUANTITY = re.compile(r"(?:[≥≤<>＞＜]=?|不低于|不高于|不少于|不超过|低于|高于|小于|大于|达到|以内)?\s*\d+(?:\.\d+)?\s*"
                       r"(?:%|％|‰|[A-Za-zμ℃°/]+|[\u4e00-\u9fff]{1,3})")
# words that name an aim, not a technical problem: a description of these only is too vague to match
GENERIC = frozenset("""智能化 数字化 信息化 自动化 网络化 转型 升级 改造 降本 增效 降本增效 效率 质量 水平 能力 先进
 创新 发展 优化 高端 关键 核心 难题 瓶颈 工艺 生产 生产线 产线 设备 行业 市场 成本 效益 竞争力 国际 国内 领先 突破
 卡脖子 提质 增效 改进 完善 加强 推动 助力 服务 管理 工作 支持""".split())
MIN_SPECIFIC_WORDS = 6  # distinct technical words below which a demand is too vague to match
MIN_DESCRIPTION = 30  # characters of 需求描述


@dataclass(frozen=True)
class Flag:
    id: str  # indicator | budget | deadline | vague
    field: str  # the field label to correct
    problem: str
    fix: str

    def text(self) -> str:
        return f"{self.problem}。{self.fix}"


def _specific_words(demand: dict) -> set[str]:
    from .text import words

    text = " ".join(str(demand.get(f) or "") for f in ("title", "description", "indicators", "keywords"))
    return {w for w in words(text) if not w.isdigit() and w not in GENERIC and not re.fullmatch(r"[\d.]+", w)}


def check(demand: dict, *, today: dt.date | None = None) -> list[Flag]:
    """What a demand lacks before it can be published; empty when it is ready."""
    flags = []
    indicators = str(demand.get("indicators") or "")
    if not _QUANTITY.search(indicators):
        where = "“技术指标”为空" if not indicators.strip() else f"“技术指标”（{indicators[:40]}）没有可检验的数值"
        flags.append(Flag("indicator", "技术指标", f"{where}",
                          "请写明揭榜方须达到的量化指标，例如“检测精度不低于0.1毫米、线速度不低于80米/分钟”，"
                          "揭榜时据此判断能否承担，验收时据此考核"))
    if demand.get("budget") is None:
        flags.append(Flag("budget", "榜额", "未填写榜额（视为面议）",
                          "请写明拟投入的榜额（万元），揭榜方据此判断投入是否相称；确需面议的，请在需求描述中说明预算区间"))
    deadline = demand.get("deadline")
    if deadline is None:
        flags.append(Flag("deadline", "截止日期", "未填写揭榜截止日期",
                          "请写明揭榜截止日期（如 2026-12-31），截止后不再接受揭榜，便于按期组织评审"))
    elif today is not None and deadline < today:
        flags.append(Flag("deadline", "截止日期", f"揭榜截止日期 {deadline.isoformat()} 已过",
                          "请重新确定截止日期后再发榜"))
    description = str(demand.get("description") or "")
    specific = _specific_words(demand)
    if len(description.strip()) < MIN_DESCRIPTION or len(specific) < MIN_SPECIFIC_WORDS:
        flags.append(Flag("vague", "需求描述",
                          f"需求描述过于笼统（{len(description.strip())} 个字，{len(specific)} 个具体技术用语），难以匹配",
                          "请写明应用场景、现有做法及其不足、要解决的具体技术问题（涉及的工艺、材料、设备或产品），"
                          "以及对标的国内外先进水平；涉密细节可写在“保密信息”中，不公开"))
    return flags


def import_advice(typed: pl.DataFrame, file: str) -> list[str]:
    """Advice for an imported demand file: one line per demand not ready to publish (at most 200)."""
    from ..ledgers.excel_io import ROW_COL

    today = dt.date.today()
    out: list[str] = []
    cols = [c for c in ("demand_no", "title", "description", "indicators", "keywords", "budget", "deadline",
                        "status", ROW_COL) if c in typed.columns]
    for rec in typed.select(cols).iter_rows(named=True):
        if rec.get("status") not in (None, "draft", "published"):
            continue  # already past publication
        flags = check(rec, today=today)
        if flags:
            out.append(f"{file} 第{rec.get(ROW_COL)}行 需求“{rec.get('demand_no')}”发榜前请完善："
                       + "；".join(f"【{f.field}】{f.text()}" for f in flags))
        if len(out) >= 200:
            out.append("……其余需求的提示未列出，请在“揭榜挂帅”页面逐条查看")
            break
    return out
