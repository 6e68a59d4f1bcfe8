"""Kind (target or achievement) and period of a statement, decided from the markers and
periods around its number (``Positions``) and the document's year."""

from __future__ import annotations

import bisect
import re

from .grammar import grammar
from .positions import Positions, first_in, nearest_before, paragraph_start

_DATE_LEAD = re.compile(r"[ \t]*(?:1[0-2]|[1-9])月[1-3]?\d日(?:上午|下午|晚|晚上)?[,,]")


def _whole_year_kind(p: Positions, hit, lo: int, doc_year: int | None) -> str | None:
    """"2023年,…全年实现…" in a 2024 document: 全年 is that past year, not a plan."""
    if not doc_year or p.text[hit[0]:hit[1]] not in grammar().whole_year:
        return None
    scope = _scope_before(p, lo, hit[0])
    if scope is None:  # "■ 全年新增…" under "2023年,…" (not "力争全年…")
        if nearest_before(p.strong_pos, p.strong, p.sentence(hit[0])[0], hit[0]) is not None:
            return None
        scope = _para_scope(p, hit[0])
        return _scope_kind(scope, doc_year) if scope is not None else None
    if scope[1].group("last_year"):
        return "achievement"
    if not scope[1].group("year"):
        return None
    y = int(scope[1].group("year"))
    return "achievement" if y < doc_year else "target" if y > doc_year else None


def _para_scope(p: Positions, pos: int):
    """The period opening an earlier paragraph of the same part ("2023年,…" then "■ 新增…")."""
    para = paragraph_start(p.text, pos)
    i = bisect.bisect_left(p.para_period_pos, para) - 1
    if i < 0:
        return None
    start = p.para_period_pos[i]
    h = bisect.bisect_right(p.heading_pos, pos) - 1
    if h >= 0 and p.heading_pos[h] > start:
        return None
    return p.para_periods[i]


def _scope_kind(scope, doc_year: int | None) -> str | None:
    m = scope[1]
    if m.group("last_year"):
        return "achievement"
    if m.group("year") and doc_year and int(m.group("year")) != doc_year:
        return "achievement" if int(m.group("year")) < doc_year else "target"
    return None


def _scope_before(p: Positions, lo: int, hi: int):
    """The nearest year or relative year before ``hi`` that 全年 may refer to."""
    i = bisect.bisect_left(p.period_pos, hi) - 1
    whole = grammar().whole_year
    while i >= 0 and p.period_pos[i] >= lo:
        m = p.periods[i][1]
        if m.group("year") or m.group("last_year") or m.group("next_year") or (
                m.group("this_year") and m.group("this_year") not in whole):
            return p.periods[i]
        i -= 1
    return None


def decide_kind(p: Positions, num_start: int, num_end: int, doc_year: int | None) -> str:
    s0, s1 = p.sentence(num_start)
    c0, c1 = p.clause_of(num_start)
    # an explicit year before the number in the same sentence compares with the document's year
    per = nearest_before(p.period_pos, p.periods, s0, num_start)
    hit = nearest_before(p.strong_pos, p.strong, s0, num_start)
    if hit is not None and hit[2] == "achievement" and p.text[hit[0]:hit[1]] in grammar().growth_markers:
        # "确保…达到15亿元,同比增长20%以上": the growth belongs to the goal before it
        goal = nearest_before(p.strong_pos, p.strong, s0, hit[0])
        if goal is not None and goal[2] == "target" and grammar().goal_word.fullmatch(p.text, goal[0], goal[1]):
            hit = goal
    if per is not None and per[1].group("year") and doc_year:
        y = int(per[1].group("year"))
        if y > doc_year:  # nothing has been achieved in a year still to come
            return "target"
        whole_year = hit is not None and p.text[hit[0]:hit[1]] in grammar().whole_year
        if (hit is None or hit[0] < per[0] or whole_year) and y < doc_year:
            return "achievement"
    part = p.heading(num_start)
    if part is not None and part[1] == "achievement":
        # a report of what was done: only a plan word before the number makes a target
        # (not 全年/今年, which name the year reported on) in the number's own clause
        # ("预期目标增长5%左右,完成45.6亿元": the goal is quoted beside the result)
        if hit is not None and hit[2] == "target" and hit[0] >= c0 and p.text[hit[0]:hit[1]] not in grammar().report_words:
            return "target"
        return "achievement"
    para = paragraph_start(p.text, num_start)
    if hit is not None:
        return _whole_year_kind(p, hit, para, doc_year) or hit[2]
    hit = first_in(p.strong_pos, p.strong, num_end, c1)
    if hit is not None:
        return hit[2]
    hit = nearest_before(p.strong_pos, p.strong, para, s0)
    if hit is not None and not (hit[2] == "target" and p.default_kind == "achievement"):
        # (in a report of what was done a plan word of an earlier sentence does not carry over)
        return _whole_year_kind(p, hit, para, doc_year) or hit[2]
    # no marker: a past or future year stated earlier in the paragraph decides; in a
    # year-end document the year closing is reported on too ("2024年,X区…增长18.5%")
    year = _nearest_year_before(p, para, num_start)
    if year is not None and doc_year and int(year[1].group("year")) != doc_year:
        return "achievement" if int(year[1].group("year")) < doc_year else "target"
    if year is not None and p.year_end and doc_year and int(year[1].group("year")) == doc_year:
        return "achievement"
    lead = p.leadin(num_start)
    if lead is not None:  # the list's lead-in ("新的一年,…确保实现:")
        hit = nearest_before(p.strong_pos, p.strong, lead[2], lead[3])
        if hit is not None:
            return _whole_year_kind(p, hit, lead[2], doc_year) or hit[2]
        year = _nearest_year_before(p, lead[2], lead[3])
        if year is not None and doc_year and int(year[1].group("year")) != doc_year:
            return "achievement" if int(year[1].group("year")) < doc_year else "target"
    scope = _para_scope(p, num_start)
    if scope is not None and (kind := _scope_kind(scope, doc_year)) is not None:
        return kind
    if p.review_year is not None or p.default_kind == "achievement":
        # a lead presenting last year's work, or a report of what was done: no plan word here
        return "achievement"
    hit = nearest_before(p.weak_pos, p.weak, c0, num_start) or first_in(p.weak_pos, p.weak, num_end, c1)
    if hit is not None:
        return hit[2]
    return p.default_kind  # the document frame: a report of what was done, else a plan


def _nearest_year_before(p: Positions, lo: int, hi: int):
    i = bisect.bisect_left(p.period_pos, hi) - 1
    while i >= 0 and p.period_pos[i] >= lo:
        if p.periods[i][1].group("year"):
            return p.periods[i]
        i -= 1
    return None


def _first_year_in(p: Positions, lo: int, hi: int):
    i = bisect.bisect_right(p.period_pos, lo)
    while i < len(p.period_pos) and p.period_pos[i] < hi:
        if p.periods[i][1].group("year"):
            return p.periods[i]
        i += 1
    return None


def decide_period(p: Positions, num_start: int, doc_year: int | None, clause_text: str, sentence_text: str) -> str:
    s0, _ = p.sentence(num_start)
    hit = nearest_before(p.period_pos, p.periods, s0, num_start)
    para = paragraph_start(p.text, num_start)
    if hit is None:
        # an annual goal ("力争…", "确保…") without a stated year is this year's
        head = sentence_text[: max(0, num_start - s0)] + clause_text
        part = p.heading(num_start)
        if part is not None and part[2]:  # the year of the report's part ("一、2023年工作回顾")
            return part[2]
        if grammar().goal_verb.search(head):
            # "2025年工作目标:力争…;确保…": a coming year named earlier in the paragraph
            later = _nearest_year_before(p, para, s0)
            if later is not None and doc_year and int(later[1].group("year")) > doc_year \
                    and not later[1].group("span"):
                return later[1].group("year") + ("年底" if later[1].group("end") in ("底", "末") else "")
            return str(doc_year) if doc_year else "this_year"
        # otherwise the year stated earlier in the same paragraph ("去年,…。…"),
        # leaving out base years of "由2022年的…增至…"
        hit = nearest_before(p.period_pos, p.periods, para, s0)
        while hit is not None and grammar().from_word.search(p.text[max(para, hit[0] - 2):hit[0]]):
            hit = nearest_before(p.period_pos, p.periods, para, hit[0])
        if hit is None:
            lead = p.leadin(num_start)
            if lead is not None:  # a year or 今年 in the list's lead-in
                hit = nearest_before(p.period_pos, p.periods, lead[2], lead[3])
                if hit is not None:
                    para = lead[2]
        if hit is None and lead is None:
            hit = _para_scope(p, num_start)  # a year named by an earlier paragraph's opening
            if hit is not None and not (hit[1].group("year") or hit[1].group("last_year") or hit[1].group("next_year")):
                hit = None
            if hit is not None:
                para = paragraph_start(p.text, hit[0])
        if hit is None and p.review_year is not None:  # a lead presenting last year's work
            return str(p.review_year)
        if hit is None:
            if "同比" in head or part is not None:  # a growth rate or a report's part: this year's
                return str(doc_year) if doc_year else "this_year"
            # "深化…合作,全年新增…": a period later in the sentence covers it
            hit = first_in(p.period_pos, p.periods, num_start, p.sentence(num_start)[1])
            if hit is None:
                # a news lead dated by month and day ("5月16日上午,…举行…,现场签约…"): that day's year
                # or at the meeting itself ("会上,…现场签约项目12个")
                if doc_year and (_DATE_LEAD.match(p.text, para) or grammar().present_event.search(p.text, s0, num_start)):
                    return str(doc_year)
                return p.default_period
    m = hit[1]
    if m.group("this_year") and m.group("this_year") in grammar().whole_year:
        # "2023年,…全年实现…": the whole of the year named before
        scope = _scope_before(p, para, hit[0])
        if scope is None and nearest_before(p.strong_pos, p.strong, s0, hit[0]) is None:
            scope = _para_scope(p, hit[0])  # not "力争全年…": a plan is this year's
        if scope is not None:
            m = scope[1]
        elif (part := p.heading(num_start)) is not None and part[2]:
            return part[2]
    if m.group("year"):
        return m.group("year") + ("年底" if m.group("end") in ("底", "末") else "")
    if m.group("every_year") == "年均":
        # average annual rate: over the years up to the year in scope ("到2026年,…年均增长")
        # (the sentence's own year, before or after it, then the paragraph's)
        year = _nearest_year_before(p, s0, hit[0]) or _first_year_in(p, hit[0], p.sentence(hit[0])[1]) \
            or _nearest_year_before(p, para, hit[0])
        return year[1].group("year") if year is not None else "每年"
    if m.group("every_year"):
        # "2024—2026年每年…": every year of the stated span
        year = _nearest_year_before(p, s0, hit[0])
        if year is not None and year[1].group("span"):
            return f"{year[1].group('span')}-{year[1].group('year')}"
        return "每年"
    if m.group("this_year_end"):
        return f"{doc_year}年底" if doc_year else "年底"
    offset = {"this_year": 0, "last_year": -1, "next_year": 1}
    if p.year_end and m.group("this_year") in ("新的一年", "新一年"):
        return str(doc_year + 1) if doc_year else "next_year"
    for key, delta in offset.items():
        if m.group(key):
            return str(doc_year + delta) if doc_year else key
    return ""
