"""Quantified statements: number + unit + qualifier + indicator + kind + period.

One pass of compiled regular expressions over the normalised text finds the numbers
(``candidates``); markers (kind, period, comparator) are located once per document
(``positions``) and looked up by position (``kind_period``), so extraction is linear in the
text length. This module turns candidates into ``Quantity`` records: quote, indicator,
comparator and the corrections that need the statements before them; tables come from ``tables``.
"""

from __future__ import annotations

import re

from .candidates import dropped, find_candidates
from .grammar import grammar
from .kind_period import decide_kind, decide_period
from .positions import YEAR_CLOSING, Positions, nearest_before, paragraph_start, title_line
from .records import Quantity
from .tables import slash_rows, table_rows

_AFTER_QUALIFIER = re.compile(r"^(?:以上|以内|以下|左右|余|多)")
_NOUN_HEAD = re.compile(r"[\u4e00-\u9fffA-Za-z“”\"]{2,}")
_NOT_NOUN = re.compile(r"(?:以上|以内|左右|以下|的|是|和|及|增长|提高|提升)")
_NOUN_VERB = re.compile(r"获评|获批|入选|认定为|被评为|实现|建设|完成|开展|落户|签约|参与|通过")
_AWARD_TAIL = re.compile(r"(?:获评|获批|入选|认定为|被评为)(.+)$")
_GAIN_TAIL = re.compile(r"(?:获评|获批|入选|认定为|被评为|获得|成为)(.+)$")
_RANK_VERB_TAIL = re.compile(r"(位列|位居|名列|排名|排在|跃居|稳居|居于|居|列).*$")
# "按实际支付额的10%给予补助": a rate followed by the grant it sets
_GRANT_AFTER = re.compile(r"[ \t]*(?:的)?(?:给予|予以)")


def _comparator(text: str, start: int, end: int, extra_before: str = "") -> str:
    g = grammar()
    after = text[end:end + 4]
    for op, rx in g.cmp_after:
        if rx.search(after):
            return op
    before = text[max(0, start - 5):start]
    for op, rx in g.cmp_before:
        if rx.search(before):
            return op
    return "="


def _indicator(text: str, c0: int, c1: int, n0: int, n1: int) -> str:
    g = grammar()
    before = text[c0:n0]
    after = text[n1:c1]
    after = _AFTER_QUALIFIER.sub("", after)
    cand = g.trail_strip.sub("", g.lead_strip.sub("", before))
    head = _NOUN_HEAD.match(after)
    if head and not _NOT_NOUN.match(after):
        noun = _NOUN_VERB.split(head.group(0))[0]
        m = _AWARD_TAIL.search(head.group(0))
        if m and noun in ("企业", "家企业", "人", "项目"):
            noun = m.group(1)
        noun = g.trail_strip.sub("", noun)
        if len(noun) >= 2:
            cand = noun
    if len(cand) < 2:
        m = _GAIN_TAIL.search(after)
        tail = m.group(1) if m else after
        cand = g.trail_strip.sub("", g.lead_strip.sub("", tail))
    cand = cand.strip()
    return cand[-40:] if len(cand) > 40 else cand


def _trim_quote(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in " \t\u3000”’":
        a += 1
    while b > a and text[b - 1] in " \t\u3000“‘":
        b -= 1
    # unbalanced opening quote at the start
    seg = text[a:b]
    if seg.count("“") > seg.count("”") and seg.startswith("“"):
        a += 1
    return a, b



def find_quantities(text: str, doc_year: int | None = None, positions: Positions | None = None) -> list[Quantity]:
    """All quantified statements in ``text`` (regions and actors are filled in by sections)."""
    g = grammar()
    p = positions or Positions(text)
    if p.review_year is not None and (not doc_year or p.review_year != doc_year - 1):
        p.review_year = None
    if p.report_year is not None and doc_year and p.report_year < doc_year:
        # a closed year's report published later: that year is the document's; its 全年/今年
        # report it and its unmarked figures are results of it
        doc_year = p.review_year = p.report_year
        p.strong = [(a, b, "achievement") if k == "target" and text[a:b] in YEAR_CLOSING else (a, b, k)
                    for a, b, k in p.strong]
        p.report_year = None
    cands = find_candidates(text, p)
    drop = dropped(text, cands)
    out: list[Quantity] = []
    for i, c in enumerate(cands):
        if i in drop:
            continue
        n0, n1, c0, c1 = c.n0, c.n1, c.c0, c.c1
        ctx0 = n0 if c.ctx_from is None else c.ctx_from  # indicator, kind and period are read before "由…"
        q0, q1 = _trim_quote(text, c0, c1)
        if q1 - q0 > 80:  # keep the quote short: cut before the number at a space or quote
            q0 = max(q0, n0 - 40)
            q1 = min(q1, n1 + 30)
        if not (q0 <= n0 and n1 <= q1):
            q0, q1 = min(q0, n0), max(q1, n1)
        if c.cls == "rank":
            comparator = "="
            indicator = (text[c0:n0].strip() + text[n0:n1]).strip()
            indicator = grammar().lead_strip.sub("", indicator)
            indicator = _RANK_VERB_TAIL.sub("排名", indicator) or "排名"
        else:
            comparator = c.cmp or (">=" if c.approx else _comparator(text, n0, n1))
            indicator = _indicator(text, c0, c1, ctx0 if c.ind_from is None else c.ind_from, n1)
        s0, s1 = p.sentence(n0)
        prev = out[-1].indicator if out and out[-1].num_start >= s0 else ""
        indicator = _growth_indicator(text, c0, n0, indicator, prev)
        kind = decide_kind(p, ctx0, n1, doc_year)
        period = decide_period(p, ctx0, doc_year, text[c0:c1], text[s0:s1])
        if c.cls == "money" and g.project_size.search(text, c0, n0):
            kind, period = _project_size(p, s0, n0, doc_year, kind, period)
        elif (c.cls == "money" or c.unit == "%") and (
                g.grant.search(text, s0, n0) or (c.unit == "%" and _GRANT_AFTER.match(text, n1))):
            # a policy's award ("对新引进的全职博士,给予每人30万元安家补贴"): a standing offer,
            # with a year only when its own sentence states one ("今年…给予每家20万元奖励");
            # its rate too ("给予最高50%的租金补贴", "按实际支付额的10%给予补助")
            mark = nearest_before(p.strong_pos, p.strong, c0, n0)
            if mark is None or mark[2] != "achievement" or _GRANT_AFTER.match(text, n1):
                kind = "target"
                if nearest_before(p.period_pos, p.periods, s0, n0) is None:
                    period = ""
        elif c.cls == "money" and g.commend.search(text, s0, n0):
            # "对受表彰企业发放奖励资金共计3400万元": paid at the meeting, unless a plan word says otherwise
            mark = nearest_before(p.strong_pos, p.strong, s0, n0)
            if mark is None or mark[2] != "target":
                kind = "achievement"
                period = period or (str(doc_year) if doc_year else "")
        if g.goal_value.search(text, max(0, c0), n0) and text[n1:n1 + 1] == "的":
            kind = "target"  # "完成全年目标30亿元的22.7%": the goal itself
        if c.unit == "%" and g.completion_rate.search(text, max(s0, n0 - 24), n0):
            kind = "achievement"  # "年度任务完成率107%", "完成全年170家任务的71.8%": the share done
        if doc_year and g.base_value.search(text, max(s0, n0 - 8), n0):
            kind, period = "achievement", str(doc_year - 1)  # "相比去年的1.1亿元": the base of a comparison
        if (g.breakdown.match(text, s0) or g.breakdown.match(text, paragraph_start(text, n0))) \
                and nearest_before(p.strong_pos, p.strong, s0, n0) is None \
                and nearest_before(p.period_pos, p.periods, s0, n0) is None:
            # "分地区看,赣榆区签约项目24个…": a breakdown of the figures just given
            before = next((q for q in reversed(out) if q.num_start < s0), None)
            if before is not None:
                kind, period = before.kind, before.period
        out.append(Quantity(
            quote=text[q0:q1], start=q0, end=q1, value=c.value, unit=c.unit,
            indicator=indicator[:128], kind=kind, comparator=comparator, period=period,
            num_start=n0, num_end=n1,
        ))
    _headline_echo(text, out, p.title_span)
    if g.table_header.search(text):
        out = sorted(out + table_rows(text, p, doc_year), key=lambda q: (q.num_start, q.start))
        slash = slash_rows(text, p, doc_year)
        if slash:
            lines = {text.rfind("\n", 0, q.num_start) for q in slash}
            out = [q for q in out if text.rfind("\n", 0, q.num_start) not in lines]
            out = sorted(out + slash, key=lambda q: (q.num_start, q.start))
    return out


def _headline_echo(text: str, out: list[Quantity], title: tuple[int, int] | None = None) -> None:
    """A figure in the headline repeats one of the body ("江苏高新技术企业突破5.7万家" then
    "2024年全省高新技术企业数量突破5.7万家"): it takes that statement's kind and period.
    ``title``: the frame's title span (past page furniture), else the first line."""
    a, b = title_line(text)
    if title is not None and title[1] > title[0]:
        a, b = title
    for q in out:
        if not a <= q.num_start < b:
            continue
        twin = next((r for r in out if r.num_start >= b and r.value == q.value and r.unit == q.unit), None)
        if twin is not None:
            q.kind, q.period = twin.kind, twin.period


def _project_size(p: Positions, s0: int, n0: int, doc_year: int | None, kind: str, period: str) -> tuple[str, str]:
    """A project's 总投资: reported as a fact, in its sentence's year or the document's,
    unless a plan word before it in its own sentence makes it a goal."""
    hit = nearest_before(p.strong_pos, p.strong, s0, n0)
    if hit is not None and hit[2] == "target":
        return kind, period
    if nearest_before(p.period_pos, p.periods, s0, n0) is None and doc_year:
        # not a coming year borrowed from a plan beside it ("预计2026年达产;…总投资15亿元")
        year = re.match(r"(?:19|20)\d\d", period)
        if year is None or int(year.group()) > doc_year:
            period = str(doc_year)
    return "achievement", period



def _growth_indicator(text: str, c0: int, n0: int, indicator: str, prev: str) -> str:
    """Name what grew: "产值增长11.6%" → 产值增长; "…产值1280亿元,同比增长9.8%" → 产值增长;
    an empty indicator ("达到52.6%") takes the previous statement's in the sentence."""
    g = grammar()
    pre = text[c0:n0].rstrip()
    mg = g.growth.search(pre)
    prev_base = g.growth.sub("", prev) if prev else ""
    if mg is None:
        return indicator or prev_base
    verb = mg.group(0).rstrip("了")
    base = g.lead_strip.sub("", pre[:mg.start()])
    base = g.growth_ref.sub("", base)
    base = g.trail_strip.sub("", base) if base else ""
    if len(base) < 2:
        base = prev_base
    return (base + verb) if base else indicator


__all__ = ["Quantity", "find_quantities"]
