"""What people read about programs, in one place: display names, the ladder order and which
certificate each program confers, result and status words (符合 / 一步之遥 …), rule confidence in
Chinese, and a glossary of the terms the pages use."""

from __future__ import annotations

from functools import lru_cache

from .model import RESULT_NAMES, programs_by_id

# The cultivation ladder (lowest tier first) and the growth track; PROGRAM_ORDER in engine.py
# lists the same ids for evaluation.
LADDER = ("tech_sme", "innovative_sme", "hnte", "srdi_sme", "little_giant")
GROWTH = ("js_gazelle", "js_potential_unicorn", "js_unicorn")
# program id → the certification ledger's cert_type it confers
CERT_TYPES = {"tech_sme": "tech_sme", "innovative_sme": "innovative_sme", "hnte": "hnte",
              "srdi_sme": "srdi_sme", "little_giant": "little_giant", "js_gazelle": "gazelle",
              "js_potential_unicorn": "potential_unicorn", "js_unicorn": "unicorn"}

# list status of one stored result: pass / close / far / depends / unknown (and scored for points)
STATUSES = (("pass", "符合"), ("close", "一步之遥"), ("far", "差距较大"), ("depends", "待专家评定"),
            ("unknown", "数据缺失"))
STATUS_NAMES = dict(STATUSES) | {"scored": "已计算积分", "held": "已持有有效证书"}
CONFIDENCE_NAMES = {"high": "高", "medium-high": "中高", "medium": "中", "medium-low": "中低", "low": "低"}

GLOSSARY = {
    "符合": "所有硬性条件均满足，且（如有评分）得分达到要求。",
    "不符合": "至少有一项硬性条件不满足；不满足的条件列在最前面。",
    "一步之遥": "目前不符合，但只需改变一项数据（且改变幅度不超过现值的一半，或计数再加 1）即可符合或转为待专家评定。",
    "差距较大": "不符合，且没有任何单项可行的改变能使结果转为符合。",
    "待专家评定": "由台账数据能判断的条件都已满足或尚无定论，但结果取决于须由专家评定的项目（如高企的技术先进程度、"
              "核心支持作用、研究开发组织管理水平），台账中没有这些评分，因此不能判定为“符合”。",
    "数据缺失": "至少一项判定所需的数据在台账中为空，无法判断；页面列出缺少的数据项。",
    "得分区间": "专家评定项未知（创新积分：某项输入缺失）时，按各项可能的最低分和最高分给出的总分范围（最低–最高）。最高分达到门槛才有可能通过。",
    "置信度": "规则本身的可靠程度：高 = 与正式文件核对；低 = 来自转述或尚未核对原文，仅供参考。",
    "已持有有效证书": "证书台账中有在评价日期有效的该类证书（有效期规则见“证书有效期”）。",
    "数据年度": "本企业数值所属的会计年度：“上年度”指评价日期前最近一个完整会计年度。往年申报通知中写明具体年份的条件，按同样的相对年份套用最近数据，并在该行注明。",
    "证书有效期": "认定日期 ≤ 当日 ≤ 有效期至（含当日）；未填有效期的高企、创新型中小企业、专精特新、小巨人证书按认定日起三年计。",
}


@lru_cache(maxsize=1)
def program_names() -> dict[str, str]:
    """Program id → Chinese name (of its latest rule version)."""
    return {pid: v[-1].name for pid, v in programs_by_id().items()}


def program_name(pid: str) -> str:
    return program_names().get(pid, pid)


def status_of(result: str | None, close: bool | None) -> str:
    """The list status of a stored result."""
    if result == "fail":
        return "close" if close else "far"
    return result or "scored"


def result_name(result: str | None) -> str:
    return RESULT_NAMES.get(result, "积分") if result else "积分"


def confidence_name(code: str) -> str:
    return CONFIDENCE_NAMES.get(code, code)


def why_no_pass(pid: str, passing: int, depends: int) -> str:
    """Why a program has no 符合 at all, in words: expert-judged items decide it (高企)."""
    from .fields import fields

    p = programs_by_id()[pid][-1]
    if passing or not p.expert_fields():
        return ""
    judged = "、".join(sorted({f.label for f in (fields().get(x) for x in p.expert_fields()) if f}))
    return (f"“符合”为 0：{program_name(pid)}的判定含须由专家评定的项目（{judged}），台账中没有这些评分。"
            f"由台账能判断的条件都已满足的 {depends} 家企业列为“待专家评定”，并给出得分区间"
            "（专家项取最低分与最高分时的总分）；最高分能过线的，才值得组织申报。")
