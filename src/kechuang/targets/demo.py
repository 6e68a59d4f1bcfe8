"""Hand-entered demo targets for 盐城市 and its districts, modelled on the kinds of targets the
sample documents state (新认定高企, 科小入库, 技术合同交易额, 研发费用, 人才, 产学研, 专利, 项目)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .store import Target, add_target

CITY = "320900"
DISTRICTS = ["320902", "320903", "320904", "320921", "320922", "320923", "320924", "320925", "320981"]
# district share of the city's target (sums to 1)
WEIGHTS = [0.14, 0.16, 0.12, 0.06, 0.08, 0.08, 0.10, 0.10, 0.16]

# (indicator as a document would write it, city value, unit, comparator, quote template)
CITY_TARGETS = [
    ("新认定高新技术企业", 600, "家", ">=", "全年力争新认定高新技术企业{v}家以上"),
    ("有效高企", 2700, "家", ">=", "有效高企总数突破{v}家"),
    ("科技型中小企业入库", 4000, "家", ">=", "科技型中小企业入库{v}家"),
    ("技术合同交易额", 150, "亿元", ">=", "技术合同交易额达{v}亿元"),
    ("研发费用", 300, "亿元", ">=", "规上企业研发费用达{v}亿元"),
    ("新增授权发明专利", 2500, "件", ">=", "新增授权发明专利{v}件"),
    ("产学研合作", 800, "项", ">=", "新签产学研合作项目{v}项以上"),
    ("专精特新“小巨人”企业", 40, "家", ">=", "国家级专精特新“小巨人”企业达{v}家"),
    ("引进高层次人才", 300, "人", ">=", "引进高层次人才{v}人以上"),
    ("新增科创载体面积", 50, "万平方米", ">=", "新增科创载体面积{v}万平方米"),
    ("国家重点人才计划申报", 80, "人", ">=", "全年力争申报国家重点人才计划{v}人"),
    ("引进大学生", 2500, "人", ">=", "全年引进大学生{v}人"),
    ("技改项目完成投资", 150, "亿元", ">=", "技改项目完成投资{v}亿元"),
]
UNBOUND = [
    ("320900Z01", "省级高新区综合排名", 3, "位", ">=", "在省级高新区综合排名中进位{v}位以上"),
    ("320900", "新招引科技型企业", 500, "家", ">=", "新招引科技型企业{v}家"),
]


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def load_demo_targets(session: Session, year: int, username: str = "demo") -> int:
    """Insert the demo targets that are not there yet; returns how many were added."""
    have = {(t.region_code, t.indicator) for t in session.scalars(
        select(Target).where(Target.year == year, Target.created_by == username))}
    n = 0

    def add(code, indicator, value, unit, comparator, quote):
        nonlocal n
        if (code, indicator) in have:
            return
        add_target(session, region=names.get(code, code), region_code=code, indicator=indicator, value=value, unit=unit,
                   comparator=comparator, period=f"{year}", year=year, source_doc="演示目标(手工录入)",
                   source_quote=quote, created_by=username)
        have.add((code, indicator))
        n += 1

    names = _names()
    for indicator, value, unit, comparator, quote in CITY_TARGETS:
        add(CITY, indicator, value, unit, comparator, "盐城市" + quote.format(v=_fmt(value)))
        for code, w in zip(DISTRICTS, WEIGHTS):
            v = round(value * w, 2 if unit in ("亿元", "万平方米") else 0)
            if v > 0:
                add(code, indicator, v, unit, comparator, names.get(code, code) + quote.format(v=_fmt(v)))
    for code, indicator, value, unit, comparator, quote in UNBOUND:
        add(code, indicator, value, unit, comparator, names.get(code, code) + quote.format(v=_fmt(value)))
    return n


def _names() -> dict[str, str]:
    from kechuang.regions import registry

    reg = registry()
    return {c: reg.get(c).full_name for c in [CITY, *DISTRICTS, "320900Z01"] if reg.get(c)}
