"""Whole-document extraction: quantities, frameworks and people with their context."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

from .frame import Frame, Priors, compute_frame, prior_region
from .load import LoadedDocument
from .script import simplified_view
from .people import find_people, person_region
from .grammar import grammar
from .positions import Positions
from .quantities import Quantity, find_quantities
from .sections import Context, SectionMap, context_for

# "(?<!\d\d\d\d\d)" after the four digits: no digit before them (a pattern that opens
# with literals is scanned much faster than one opening with a lookbehind)
_YEAR = re.compile(r"((?:19|20)\d\d)(?<!\d\d\d\d\d)年(?![\d]{0,2}(?:底|末|前))")
# "2024年是…的关键之年": the year the speaker is in
_THIS_YEAR_IS = re.compile(r",?是[^。;!?\n]{0,40}?(?:之年|一年|开局年|攻坚年|关键年)")
# "表彰2023年度先进…", "通报了2023年度…工作情况": a year already closed
_PAST_YEAR_LEAD = re.compile(r"(?:表彰|通报|总结|回顾|考核)[^。;!?\n]{0,8}?$")
_PAST_YEAR_TAIL = re.compile(r"[^。;!?\n]{0,16}?(?:先进|优秀|表彰|考核|评比|评价)")
# "2024年泰州市人才工作会议召开", "召开2024年全市科技工作会议": the meeting's year is the document's
_MEETING_TAIL = re.compile(r"[^。;!?\n,,0-9]{0,16}?(?:会议|大会|工作会)")


def infer_doc_year(text: str, published=None) -> int | None:
    """The year the document speaks in: its date, a zodiac year ("龙年新春"), or the
    year it names most often (ties: the earliest)."""
    if published is not None:
        return published.year
    head = text[:6000]
    for name, year in grammar().spec["zodiac_years"].items():
        if name in head:
            return int(year)
    years = Counter()
    for m in _YEAR.finditer(text):
        if text[max(0, m.start() - 2):m.start()].endswith(("到", "至", "于")):
            continue
        y = int(m.group(1))
        if _THIS_YEAR_IS.match(text, m.end()):
            return y
        # "总结2023年工作", "表彰2023年度…", "对2023年度先进集体…": a closed year, spoken of the next
        if _PAST_YEAR_LEAD.search(text, max(0, m.start() - 10), m.start()) or (
                text.startswith("度", m.end()) and _PAST_YEAR_TAIL.match(text, m.end() + 1)):
            # (in the lead it names the event the document reports: "3月25日,…2023年度评价…举行")
            years[y + 1] += 8 if m.start() < 300 else 2
        elif not text.startswith("度", m.end()) and _MEETING_TAIL.match(text, m.end()):
            years[y] += 2
        years[y] += 1
    if not years:
        return None
    return min(years, key=lambda y: (-years[y], y))


# the last scope word before a number in its sentence; 全市/全省 in the words of a county,
# district, zone or town official name the wider city or the province, not the speaker's own
_SCOPE_WORD = re.compile(r"全市|全省|全县|全区|全镇|全乡|我县|我区|我镇|本县|本区")
# "居全市第一", "占全市比重", "全市第3位": a comparison with the wider region, not about it
_NOT_WIDER_BEFORE = "居在占列入于的比超较与和及向为跑领全"
_NOT_WIDER_AFTER = re.compile(r"第|前|排|首|领先|之最|平均|最")


def _wider_scope(text: str, s0: int, pos: int, ctx: Context, sections: SectionMap) -> Context:
    reg = sections.reg
    code = ctx.region_code or ctx.key_code
    if reg is None or not code:
        return ctx
    last = None
    for m in _SCOPE_WORD.finditer(text, s0, pos):
        last = m
    if last is None or last.group() not in ("全市", "全省"):
        return ctx
    a = last.start()
    if a > 0 and text[a - 1] in _NOT_WIDER_BEFORE or _NOT_WIDER_AFTER.match(text, last.end()):
        return ctx
    own = reg.get(code)
    if own is None or own.level == "province" or (last.group() == "全市" and (
            own.level == "prefecture" or (own.level == "county" and own.name.endswith("市")))):
        return ctx
    if own.code != ctx.region_code and ctx.region_code:  # a zone keyed to its parent
        return ctx
    want = "province" if last.group() == "全省" else "市"
    for anc in reversed(reg.ancestors(own.code)):
        if (want == "province" and anc.level == "province") or (want == "市" and anc.level != "province"
                                                               and anc.name.endswith("市")):
            wider = context_for(anc)
            return Context(wider.region, wider.region_code, ctx.actor, wider.key_code)
    return ctx


_LIST_LEVELS = ("province", "prefecture", "county", "town", "zone")
# the run of numbers after 分别: up to the end of the clause list ("为9836家、16800家、6520家,")
_RUN_END = re.compile(r"[,;。!?:\n]")


_LIST_TAIL = re.compile(r"([\u4e00-\u9fff]{2,3}(?:[、和及与][\u4e00-\u9fff]{2,3})+)[,,]?[^、,,]{0,12}$")


def _short_list(reg, clause: str, sections: SectionMap) -> list:
    """The places of a list of short names ending the clause ("烟台、青岛、东营"), all or none."""
    m = _LIST_TAIL.search(clause)
    if m is None:
        return []
    within = sections.province.code if sections.province is not None else None
    out = []
    for i, item in enumerate(re.split(r"[、和及与]", m.group(1))):
        found = None
        for name in (item, item[1:]) if i == 0 else (item,):  # ("为烟台": the list opens after a verb)
            r = (reg.resolve(name, within=within) if within else None) or reg.resolve(name)
            if r is not None and r.level in ("province", "prefecture", "county") and r.short_name == name:
                found = r
                break
        if found is None:
            return []
        out.append(found)
    return out


def _respective(text: str, qs: list[Quantity], positions: Positions, sections: SectionMap) -> None:
    """"南京、苏州、无锡…分别为9836家、16800家、6520家": the n-th number after 分别 is about
    the n-th place listed before it; "同比分别增长12.3%和15.6%" reuses the sentence's list."""
    reg = sections.reg
    words = grammar().spec.get("respective_words") or []
    if reg is None or not words or not any(w in text for w in words):
        return
    starts = [q.num_start for q in qs]
    last_list: tuple[int, list] = (-1, [])
    for m in re.finditer("|".join(words), text):
        s0, _s1 = positions.sentence(m.start())
        c0 = max(text.rfind(ch, s0, m.start()) for ch in ",;:") + 1
        c0 = max(c0, s0)
        places = [r for _a, _b, r in reg.find_in_text(text[c0:m.start()]) if r.level in _LIST_LEVELS]
        if len(places) < 2:  # places named by their short forms: "前三名为烟台、青岛、东营,产值分别为…"
            places = _short_list(reg, text[s0:m.start()], sections)
        if len(places) < 2:
            places = last_list[1] if last_list[0] == s0 else []
        else:
            last_list = (s0, places)
        end = _RUN_END.search(text, m.end())
        end = end.start() if end else len(text)
        lo, hi = bisect.bisect_left(starts, m.end()), bisect.bisect_left(starts, end)
        if len(places) < 2 or hi - lo != len(places):
            continue
        for q, r in zip(qs[lo:hi], places):
            ctx = context_for(r)
            q.region, q.region_code, q.key_code = ctx.region, ctx.region_code, ctx.key_code


# a place written right before its figure: "滨海新区(3487家)", "南开区386家", "广东(4411.9亿元)"
# (not "全市", "各区", a bare "新区"; unlike a sentence's subject a province may open with a numeral: 四川)
_NOT_PLACE_BEFORE = re.compile(r"^(?:全|我|本|各|该|城|市区|县区|地区|园区|社区|新区|高新区|开发区)")
_PLACE_BEFORE = re.compile(r"(?:[\u4e00-\u9fff]{2,8}?(?:区|县|市|镇|省|旗)[((]?|[\u4e00-\u9fff]{2,3}[((])$")


def _place_before(text: str, qs: list[Quantity], sections: SectionMap) -> None:
    reg = sections.reg
    within = sections.doc_region.code if sections.doc_region is not None else None
    for q in qs:
        a = q.num_start
        m = _PLACE_BEFORE.search(text, max(0, a - 9), a)
        if m is None:
            continue
        word = m.group().rstrip("((")
        for k in range(len(word) - 1):  # the longest place ending right before the figure
            name = word[k:]
            if len(name) < 2 or _NOT_PLACE_BEFORE.match(name):
                continue
            r = (reg.resolve(name, within=within) if within else None) or reg.resolve(name)
            if r is None or r.level not in ("province", "prefecture", "county") or not (
                    name in (r.name, r.short_name) or name in r.aliases):
                continue
            ctx = context_for(r)
            q.region, q.region_code, q.key_code = ctx.region, ctx.region_code, ctx.key_code
            break


def _overrule(frame: Frame, priors: Priors) -> bool:
    """Put the uploader's region into the frame unless the text's subject lies within it (more
    specific: a town of the uploader's county). True when the frame changed."""
    from kechuang.regions import registry

    reg = registry()
    prior = prior_region(priors)
    if prior is None:
        if priors.region != "全国" or frame.region == "全国":
            return False
        frame.region, frame.region_code, frame.key_code = "全国", "", ""
        frame.given = (*frame.given, "region")
        return True
    code = frame.key_code or frame.region_code
    if code and (code == prior.code or reg.is_within(code, prior.code)):
        return False
    ctx = context_for(prior)
    frame.region, frame.region_code, frame.key_code = ctx.region, ctx.region_code, ctx.key_code
    frame.given = (*frame.given, "region")
    return True


@dataclass
class Extraction:
    doc: LoadedDocument
    year: int | None
    quantities: list[Quantity] = field(default_factory=list)
    frameworks: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    sections: SectionMap | None = None
    frame: Frame | None = None


def extract(doc: LoadedDocument, what: tuple[str, ...] = ("quantities", "frameworks", "people"),
            priors: Priors | None = None, frame: Frame | None = None) -> Extraction:
    """Statements of one document; the frame is computed first (from the text and the
    uploader's priors) unless an officer's corrected frame is given."""
    original = doc.text
    # traditional characters are read through a simplified view (one character for one)
    text = simplified_view(original) or original
    if frame is None:
        frame = compute_frame(text, doc.published_on, priors)
    if frame.year is None:
        frame.year = infer_doc_year(text, None)
    year = frame.year
    people = find_people(text)
    sections = SectionMap(text, doc.outlet, people, frame)
    if not frame.region:
        ctx = sections.doc_ctx
        frame.region, frame.region_code, frame.key_code = ctx.region, ctx.region_code, ctx.key_code
    if priors is not None and priors.region and not priors.strict and _overrule(frame, priors):
        sections = SectionMap(text, doc.outlet, people, frame)
    result = Extraction(doc=doc, year=year, sections=sections, frame=frame)
    if "quantities" in what:
        positions = Positions(text)
        positions.apply_frame(frame, year)
        qs = find_quantities(text, year, positions)
        for q in qs:
            # a place opening a clause after 全省/全市 ("去年全省…,苏州市入库…") starts its own scope
            s0 = max(positions.sentence(q.num_start)[0], sections.inline_start(q.num_start))
            ctx = _wider_scope(text, s0, q.num_start,
                               sections.at(q.num_start), sections)
            q.region, q.region_code, q.actor, q.key_code = ctx.region, ctx.region_code, ctx.actor, ctx.key_code
        _respective(text, qs, positions, sections)
        _place_before(text, qs, sections)
        result.quantities = qs
    if "frameworks" in what:
        from .frameworks import find_frameworks

        result.frameworks = find_frameworks(text, sections)
    if text is not original:  # quotes as the original writes them
        for q in result.quantities:
            q.quote = original[q.start:q.end]
        for f in result.frameworks:
            f["quote"] = original[f["start"]:f["end"]]
    if "people" in what:
        for name, p in people.items():
            result.people.append({"name": name, "titles": p.titles, "region": person_region(p, sections)})
    return result


def rows(ex: Extraction, what: str) -> list[dict]:
    """Contract rows for `kechuang extract --what …`."""
    name = ex.doc.filename
    if what == "quantities":
        return [q.as_contract(name) for q in ex.quantities]
    if what == "frameworks":
        return [{"doc": name, "quote": f["quote"], "start": f["start"], "end": f["end"], "name": f["name"],
                 "region": f["region"], "expansion": f["expansion"]} for f in ex.frameworks]
    if what == "people":
        return [{"doc": name, **p} for p in ex.people]
    raise ValueError(what)
