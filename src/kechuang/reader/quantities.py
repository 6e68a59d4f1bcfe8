"""Quantified statements: number + unit + qualifier + indicator + kind + period.

One pass of compiled regular expressions over the normalised text finds the
numbers; markers (kind, period, comparator) are located once per document and
looked up by position, so extraction is linear in the text length.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass
from decimal import Decimal

from .. import units
from .frame import find_title, plan_head
from .grammar import grammar
from .numbers import CN_NUMERAL_CHARS, parse_number, to_json_number

@dataclass
class Quantity:
    quote: str
    start: int
    end: int
    value: Decimal
    unit: str
    indicator: str
    kind: str
    comparator: str
    period: str = ""
    region: str = ""
    region_code: str = ""
    actor: str = ""
    key_code: str = ""  # registry code of the region or its nearest known ancestor (storage, filters)
    # position of the number itself (for section lookup and highlighting)
    num_start: int = 0
    num_end: int = 0

    def as_contract(self, doc: str) -> dict:
        return {
            "doc": doc, "quote": self.quote, "start": self.start, "end": self.end,
            "value": to_json_number(self.value), "unit": self.unit, "indicator": self.indicator,
            "kind": self.kind, "comparator": self.comparator, "region": self.region,
            "region_code": self.region_code, "actor": self.actor, "period": self.period,
        }


_SENT_END = re.compile(r"[。!?;\n]")
_CLAUSE_END = re.compile(r"[,;。!?、:\n]")
_LEADIN = re.compile(r"[::][ \t]*\n")
# a numbered top-level heading line ("二、2024年主要目标"), found from the newline before it
_MONTH = re.compile(r"\d{1,2}月")  # a date line ("2024年1月30日 宜兴发布") scopes nothing
_PARA_OPEN = re.compile(r"[ \t■▶▷►●◆◇•·*]*")
_HEADING = re.compile(r"\n[ \t]*(?:[一二三四五六七八九十]{1,3}、(?P<h>[^\n。;;!?,]{1,36})"
                      r"|(?P<u>(?:19|20)\d\d年[^\n。;;!?,,]{0,12}))[ \t]*(?=\n|$)")
_FW_PAREN = re.compile(r"”[\u4e00-\u9fff]{0,12}[(\[]")
# "“1+3+N”科技创新平台体系,即1个…、3个…和N个…": the expansion of a named structure
_FW_EXPANSION = re.compile(r"“[^”\n]{1,12}”[\u4e00-\u9fff]{0,14}[,:,:]?\s*(?:即|包括|分别是|也就是|就是)")
_HAS_NUMERAL = re.compile(rf"[\d{CN_NUMERAL_CHARS}+]")
_NUMBERED_NAME = re.compile(rf"[\d{CN_NUMERAL_CHARS}]+[\u4e00-\u9fff]{{0,4}}")
_REVIEW_LEAD = re.compile(r"(?:介绍|通报|总结|回顾|发布)[^。;!?\n]{0,12}?(?P<y>(?:19|20)\d\d)年[^。;!?\n]{0,24}?(?:工作|情况|成效|成绩)[^。;!?\n]*")
_AFTER_QUALIFIER = re.compile(r"^(?:以上|以内|以下|左右|余|多)")
_NOUN_HEAD = re.compile(r"[\u4e00-\u9fffA-Za-z“”\"]{2,}")
_NOT_NOUN = re.compile(r"(?:以上|以内|左右|以下|的|是|和|及|增长|提高|提升)")
_NOUN_VERB = re.compile(r"获评|获批|入选|认定为|被评为|实现|建设|完成|开展|落户|签约|参与|通过")
_AWARD_TAIL = re.compile(r"(?:获评|获批|入选|认定为|被评为)(.+)$")
_GAIN_TAIL = re.compile(r"(?:获评|获批|入选|认定为|被评为|获得|成为)(.+)$")
_SIZE_GAP_VERB = re.compile(r"[达为至和及]|实现|完成")
_RANK_VERB_TAIL = re.compile(r"(位列|位居|名列|排名|排在|跃居|稳居|居于|居|列).*$")


_DATE_LEAD = re.compile(r"[ \t]*(?:1[0-2]|[1-9])月[1-3]?\d日(?:上午|下午|晚|晚上)?[,,]")
# "按实际支付额的10%给予补助": a rate followed by the grant it sets
_GRANT_AFTER = re.compile(r"[ \t]*(?:的)?(?:给予|予以)")
_YEAR_CLOSING = frozenset({"今年", "全年", "本年", "本年度", "今年以来"})
_YEAR_END_DATE = re.compile(r"(?<![\d.])(?:(?P<y>(?:19|20)\d\d)年)?1[12]月[0-3]?\d日")


NEWS_KINDS = ("meeting", "interview", "news")
_MEETING_NAME = re.compile(r"度?[^,,。;;!?\n\d]{0,30}?(?:会议|大会|表彰会|座谈会|推进会|誓师会)")


class Positions:
    """Sorted positions of boundaries and markers in one text, for bisect lookups."""

    def __init__(self, text: str):
        g = grammar()
        self.text = text
        self.sent = [m.start() for m in _SENT_END.finditer(text)]
        self.clause = [m.start() for m in _CLAUSE_END.finditer(text)]
        base = g.comparison_base  # a marker right after one of these is a base of comparison ("较上年")
        self.strong = [h for h in g.strong_scan.find(text) if h[0] == 0 or text[h[0] - 1] not in base]
        self.strong_pos = [s for s, _, _ in self.strong]
        # "确保上半年…": a part of the year right after a goal word is the goal's horizon
        self.strong = [(a, b, "target") if k == "achievement" and g.this_year_rx.fullmatch(text, a, b)
                       and g.goal_before.search(text, max(0, a - 3), a) else (a, b, k) for a, b, k in self.strong]
        self.weak = g.weak_scan.find(text)
        self.weak_pos = [s for s, _, _ in self.weak]
        period = g.period.match
        self.periods = [(s, period(text, s)) for m in g.period_scan.finditer(text)
                        if (s := m.start()) == 0 or text[s - 1] not in base]
        # "召开2017年工作总结表彰大会": the year in a meeting's name is not a statement's period
        self.periods = [(s, m) for s, m in self.periods
                        if not (m.group("year") and _MEETING_NAME.match(text, m.end()))]
        # "2016年认定的95家企业": the year a thing was recognised is an attribute, not a period
        self.periods = [(s, m) for s, m in self.periods
                        if not (m.group("year") and g.year_attribute.match(text, m.end()))]
        self.period_pos = [s for s, _ in self.periods]
        self.fw_parens = self._framework_parens(text)
        # a year-end document (dated in November or December, speaking of 明年): its
        # "新的一年" is the coming year, not the one it reports on
        # (明年, or the coming year by number: "2025年工作目标" under a date of 2024年12月)
        date = _YEAR_END_DATE.search(text, 0, 400)
        self.year_end = date is not None and ("明年" in text or (
            date.group("y") is not None and f"{int(date.group('y')) + 1}年" in text))
        if self.year_end:  # ... and its 今年/全年 report the year closing
            self.strong = [(a, b, "achievement") if k == "target" and text[a:b] in _YEAR_CLOSING else (a, b, k)
                           for a, b, k in self.strong]
        # a lead presenting last year's work ("介绍2024年全市科技创新工作情况"): its unmarked
        # statements report that year (the year is checked against the document's in find_quantities)
        review = _REVIEW_LEAD.search(text, 0, 400)
        self.review_year = int(review.group("y")) if review is not None and not plan_head().search(review.group()) else None
        # a title naming a closed year's report ("…2024年…统计公报"): checked in find_quantities
        self.report_year = _report_title_year(text)
        self.headings = self._headings(text)
        self.heading_pos = [a for a, _k, _y in self.headings]
        self.leadins = self._leadins(text)
        # periods opening a paragraph ("2023年,新吴区…", "■ 去年,…"): they scope the
        # unmarked paragraphs after them, up to the next numbered heading
        self.para_periods = [(s, m) for s, m in self.periods
                             if _PARA_OPEN.fullmatch(text, text.rfind("\n", 0, s) + 1, s)
                             and m.group() not in g.whole_year and not _MONTH.match(text, m.end())]
        self.para_period_pos = [s for s, _ in self.para_periods]
        self.leadin_pos = [a for a, _b, _l0, _l1 in self.leadins]
        # defaults the document frame sets (see apply_frame)
        self.default_kind = "target"
        self.default_period = ""
        self.title_span: tuple[int, int] | None = None

    def apply_frame(self, frame, doc_year: int | None) -> None:
        """Take the document frame's defaults: a report of what was done (bulletin, summary,
        progress notice) makes unmarked figures achievements; a progress notice's figures
        without a period are of the document's year; a bulletin's title year is its year."""
        self.title_span = find_title(self.text)
        if frame.reviews:
            self.default_kind = "achievement"
        if doc_year and (frame.kind == "progress" or (frame.dated and frame.kind in NEWS_KINDS)):
            # a progress notice, or dated news: a figure without a period is of the document's year
            self.default_period = str(doc_year)
        if frame.kind == "meeting" and frame.rewards:
            # news of a meeting that sums up and rewards: what was handed out there happened
            self.default_kind = "achievement"
        if frame.kind in ("bulletin", "summary") and frame.review_year and self.report_year is None \
                and not plan_head().search(frame.title):
            self.report_year = frame.review_year

    @staticmethod
    def _headings(text: str) -> list[tuple[int, str, str]]:
        """(start of the part, kind or "", year or "") for each numbered top-level heading."""
        g = grammar()
        out = []
        for m in _HEADING.finditer(text):  # a heading opening the text is a title, not a part
            h = m.group("h") or m.group("u")  # (an unnumbered one: "2009年工作回顾" on its own line)
            cues = list(g.heading_cue.finditer(h))
            if m.group("u") and not cues:
                continue
            kind, year = "", ""
            if cues:
                last = cues[-1]
                kind = "achievement" if last.group("a") else "target"
                years = [y for y in re.finditer(r"((?:19|20)\d\d)年", h[:last.start()])]
                year = years[-1].group(1) if years else ""
            out.append((m.end(), kind, year))
        return out

    def heading(self, pos: int):
        i = bisect.bisect_right(self.heading_pos, pos) - 1
        return self.headings[i] if i >= 0 and self.headings[i][1] else None

    @staticmethod
    def _leadins(text: str) -> list[tuple[int, int, int, int]]:
        """Lines ending with a colon ("确保实现:", "重点抓好以下工作:") govern the list
        that follows, up to the next blank line: (governed start, end, line start, line end)."""
        out = []
        for m in _LEADIN.finditer(text):
            l0, l1 = text.rfind("\n", 0, m.start()) + 1, m.end() - 1
            if not 2 <= m.start() - l0 <= 160:
                continue
            a = m.end()
            while text.startswith("\n", a):  # a blank line right after: the next paragraph
                a += 1
            b = text.find("\n\n", a)
            out.append((a, len(text) if b < 0 else b, l0, l1))
        return out

    def leadin(self, pos: int):
        i = bisect.bisect_right(self.leadin_pos, pos) - 1
        if i >= 0 and self.leadins[i][0] <= pos < self.leadins[i][1]:
            return self.leadins[i]
        return None

    @staticmethod
    def _framework_parens(text: str) -> list[tuple[int, int]]:
        out = []
        for m in _FW_PAREN.finditer(text):
            q_open = text.rfind("“", max(0, m.start() - 20), m.start())
            inner = text[q_open + 1:m.start()] if q_open >= 0 else ""
            if not _HAS_NUMERAL.search(inner):
                continue
            close = ")" if text[m.end() - 1] == "(" else "]"
            depth, i = 0, m.end() - 1
            while i < len(text) and i < m.end() + 400:
                if text[i] in "([":
                    depth += 1
                elif text[i] in ")]":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            del close
            out.append((m.end() - 1, i + 1))
        for m in _FW_EXPANSION.finditer(text):
            inner = text[m.start() + 1:text.index("”", m.start())]
            if "+" not in inner and not _NUMBERED_NAME.fullmatch(inner):
                continue
            end = _SENT_END.search(text, m.end())
            out.append((m.end(), end.start() if end else len(text)))
        return out

    def bounds(self, pos: int, seps: list[int]) -> tuple[int, int]:
        i = bisect.bisect_left(seps, pos)
        start = seps[i - 1] + 1 if i > 0 else 0
        end = seps[i] if i < len(seps) else len(self.text)
        return start, end

    def sentence(self, pos: int) -> tuple[int, int]:
        return self.bounds(pos, self.sent)

    def clause_of(self, pos: int) -> tuple[int, int]:
        return self.bounds(pos, self.clause)

    def in_framework_paren(self, pos: int) -> bool:
        return any(a <= pos < b for a, b in self.fw_parens)


_TITLE_YEAR = re.compile(r"((?:19|20)\d\d)年")


def _title_line(text: str) -> tuple[int, int]:
    """Span of the first non-empty line when it reads as a headline (short, no sentence end)."""
    a = len(text) - len(text.lstrip())
    b = text.find("\n", a)
    b = len(text) if b < 0 else b
    line = text[a:b]
    return (a, b) if 0 < len(line.strip()) <= 60 and "。" not in line else (a, a)


def _report_title_year(text: str) -> int | None:
    """The year of a report named by the title ("宜兴市2024年国民经济和社会发展统计公报")."""
    a, b = _title_line(text)
    m = _TITLE_YEAR.search(text, a, b)
    if m is None or not grammar().report_title.search(text, m.end(), b) or plan_head().search(text, a, b):
        return None
    return int(m.group(1))


def _nearest_before(pos_list, items, lo: int, hi: int):
    """Last item with lo <= start < hi."""
    i = bisect.bisect_left(pos_list, hi) - 1
    if i >= 0 and pos_list[i] >= lo:
        return items[i]
    return None


def _first_in(pos_list, items, lo: int, hi: int):
    i = bisect.bisect_left(pos_list, lo)
    if i < len(pos_list) and pos_list[i] < hi:
        return items[i]
    return None


def _paragraph_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _whole_year_kind(p: Positions, hit, lo: int, doc_year: int | None) -> str | None:
    """"2023年,…全年实现…" in a 2024 document: 全年 is that past year, not a plan."""
    if not doc_year or p.text[hit[0]:hit[1]] not in grammar().whole_year:
        return None
    scope = _scope_before(p, lo, hit[0])
    if scope is None:  # "■ 全年新增…" under "2023年,…" (not "力争全年…")
        if _nearest_before(p.strong_pos, p.strong, p.sentence(hit[0])[0], hit[0]) is not None:
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
    para = _paragraph_start(p.text, pos)
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
    per = _nearest_before(p.period_pos, p.periods, s0, num_start)
    hit = _nearest_before(p.strong_pos, p.strong, s0, num_start)
    if hit is not None and hit[2] == "achievement" and p.text[hit[0]:hit[1]] in grammar().growth_markers:
        # "确保…达到15亿元,同比增长20%以上": the growth belongs to the goal before it
        goal = _nearest_before(p.strong_pos, p.strong, s0, hit[0])
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
    para = _paragraph_start(p.text, num_start)
    if hit is not None:
        return _whole_year_kind(p, hit, para, doc_year) or hit[2]
    hit = _first_in(p.strong_pos, p.strong, num_end, c1)
    if hit is not None:
        return hit[2]
    hit = _nearest_before(p.strong_pos, p.strong, para, s0)
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
        hit = _nearest_before(p.strong_pos, p.strong, lead[2], lead[3])
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
    hit = _nearest_before(p.weak_pos, p.weak, c0, num_start) or _first_in(p.weak_pos, p.weak, num_end, c1)
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
    hit = _nearest_before(p.period_pos, p.periods, s0, num_start)
    para = _paragraph_start(p.text, num_start)
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
        hit = _nearest_before(p.period_pos, p.periods, para, s0)
        while hit is not None and grammar().from_word.search(p.text[max(para, hit[0] - 2):hit[0]]):
            hit = _nearest_before(p.period_pos, p.periods, para, hit[0])
        if hit is None:
            lead = p.leadin(num_start)
            if lead is not None:  # a year or 今年 in the list's lead-in
                hit = _nearest_before(p.period_pos, p.periods, lead[2], lead[3])
                if hit is not None:
                    para = lead[2]
        if hit is None and lead is None:
            hit = _para_scope(p, num_start)  # a year named by an earlier paragraph's opening
            if hit is not None and not (hit[1].group("year") or hit[1].group("last_year") or hit[1].group("next_year")):
                hit = None
            if hit is not None:
                para = _paragraph_start(p.text, hit[0])
        if hit is None and p.review_year is not None:  # a lead presenting last year's work
            return str(p.review_year)
        if hit is None:
            if "同比" in head or part is not None:  # a growth rate or a report's part: this year's
                return str(doc_year) if doc_year else "this_year"
            # "深化…合作,全年新增…": a period later in the sentence covers it
            hit = _first_in(p.period_pos, p.periods, num_start, p.sentence(num_start)[1])
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
        if scope is None and _nearest_before(p.strong_pos, p.strong, s0, hit[0]) is None:
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


def _size_class(text: str, cands: list) -> set[int]:
    """Indices of money/area amounts that qualify the size of a counted thing
    in the same clause ("20亿元项目1个", "超50亿元重大项目3个")."""
    drop = set()
    for i, a in enumerate(cands):
        if a["cls"] not in ("money", "area"):
            continue
        for b in cands[i + 1:i + 2]:
            if b["cls"] != "count" or b["c0"] != a["c0"]:
                continue
            gap = text[a["n1"]:b["n0"]]
            if len(gap) <= 16 and not _SIZE_GAP_VERB.search(gap):
                drop.add(i)
    return drop


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
        p.strong = [(a, b, "achievement") if k == "target" and text[a:b] in _YEAR_CLOSING else (a, b, k)
                    for a, b, k in p.strong]
        p.report_year = None
    cands = []
    for m in g.numbers(text):
        num = m.group("num")
        n0, n1 = m.start(), m.end()
        unit = m.group("unit")
        mult = m.group("mult") or ""
        approx = bool(m.group("q1") or m.group("q2"))
        cmp = ""
        bare_from = None
        lo = m.group("lo")
        if lo is not None and m.group("lounit") and (m.group("lounit") != unit or (m.group("lomult") or "") != mult):
            lo, n0 = None, m.start("num")  # "3家到10个": not one range
        if lo is not None and m.group("lomult") and m.group("lomult") != mult:
            lo, n0 = None, m.start("num")  # "5000万至1亿元": keep the upper amount only
        if lo is not None:  # range "3至5家": the lower bound, at least (grammar.yaml)
            num, cmp = lo, ">="
        is_cn = not num[0].isdigit()
        value = parse_number(num)
        if value is None:
            continue
        if num in ("百", "千"):
            if not approx:
                before = text[max(0, n0 - 4):n0]
                hit = next(((op, mb) for op, rx in g.bare_before if (mb := rx.search(before))), None)
                if hit is None:
                    continue
                cmp, bare_from = hit[0], max(0, n0 - 4) + hit[1].start()
        elif is_cn:
            nxt = text[n1:n1 + 1]
            if not (value >= 2 and (
                    g.cn_verbs.search(text[max(0, n0 - 3):n0]) or approx
                    or (unit in g.cn_end_units and nxt in ("", ",", ";", "。", "!", "?", "、", "\n", ")"))
                    or (unit == "家" and g.cn_award.match(text[n1:n1 + 8])))):
                continue
        if p.in_framework_paren(n0):
            continue
        c0, c1 = p.clause_of(n0)
        paid = g.unit_class.get(unit) == "money"  # award money paid at the meeting is a fact
        if g.event.search(text, c0, c1) and not paid:  # "为10家企业颁发奖牌": the meeting itself
            continue
        if g.commend.search(text, p.sentence(n0)[0], n0) and not paid:  # "表彰…先进集体10个、先进个人30名"
            continue
        if text[n1:n1 + 1] and text[n1] in g.not_unit.get(unit, ""):
            continue
        if g.threshold_after.match(text, n1) and "对" in text[c0:n0] and g.grant.search(text, n1, p.sentence(n0)[1]):
            continue  # "对…超过1000万元的企业,给予…": who gets the award, not a statement
        cls = g.unit_class[unit]
        written = units.with_multiplier(value, mult, unit)
        if written is None:
            continue
        value, unit = written
        cands.append({"n0": n0, "n1": n1, "value": value, "unit": unit, "cls": cls,
                      "approx": approx, "cmp": cmp, "c0": c0, "c1": c1})
        if bare_from is not None:  # "上百场": the indicator ends before 上
            cands[-1]["from"] = bare_from
    for m in g.rank.finditer(text):
        n0 = m.start("verb")
        value = parse_number(m.group("num"))
        if value is None:
            continue
        c0, c1 = p.clause_of(m.start("num"))
        cands.append({"n0": n0, "n1": m.end(), "value": value, "unit": "位", "cls": "rank",
                      "approx": False, "c0": c0, "c1": c1})
    for m in g.rank_top.finditer(text):  # "居全省前三", "进入全市前十": within the top N
        value = parse_number(m.group("num"))
        if value is None:
            continue
        c0, c1 = p.clause_of(m.start("num"))
        cands.append({"n0": m.start("verb"), "n1": m.end(), "value": value, "unit": "位", "cls": "rank",
                      "approx": False, "c0": min(c0, m.start("verb")), "c1": c1})
    for m in g.tenths.finditer(text):  # "超过两成", "四成以上" → 20 %, 40 %
        n0, n1 = m.start(), m.end()
        if not (g.tenths_before.search(text, max(0, n0 - 4), n0) or g.tenths_after.match(text, n1)):
            continue
        c0, c1 = p.clause_of(n0)
        if g.event.search(text, c0, c1):
            continue
        cands.append({"n0": n0, "n1": n1, "value": Decimal(parse_number(m.group("num")) * 10), "unit": "%",
                      "cls": "ratio", "approx": False, "cmp": "", "c0": c0, "c1": c1})
    for m in g.doubling.finditer(text):
        n = {"两": 4, "二": 4, "三": 8}.get(m.group("n") or "", 2)
        c0, c1 = p.clause_of(m.start())
        cands.append({"n0": m.start(), "n1": m.end(), "value": Decimal(n), "unit": "倍", "cls": "ratio",
                      "approx": False, "c0": c0, "c1": c1})
    cands.sort(key=lambda c: c["n0"])
    drop = _size_class(text, cands) | _from_values(text, cands)
    out: list[Quantity] = []
    for i, c in enumerate(cands):
        if i in drop:
            continue
        n0, n1, c0, c1 = c["n0"], c["n1"], c["c0"], c["c1"]
        ctx0 = c.get("from", n0)  # indicator, kind and period are read before "由…"
        q0, q1 = _trim_quote(text, c0, c1)
        if q1 - q0 > 80:  # keep the quote short: cut before the number at a space or quote
            q0 = max(q0, n0 - 40)
            q1 = min(q1, n1 + 30)
        if not (q0 <= n0 and n1 <= q1):
            q0, q1 = min(q0, n0), max(q1, n1)
        if c["cls"] == "rank":
            comparator = "="
            indicator = (text[c0:n0].strip() + text[n0:n1]).strip()
            indicator = grammar().lead_strip.sub("", indicator)
            indicator = _RANK_VERB_TAIL.sub("排名", indicator) or "排名"
        else:
            comparator = c.get("cmp") or (">=" if c["approx"] else _comparator(text, n0, n1))
            indicator = _indicator(text, c0, c1, c.get("ind_from", ctx0), n1)
        s0, s1 = p.sentence(n0)
        prev = out[-1].indicator if out and out[-1].num_start >= s0 else ""
        indicator = _growth_indicator(text, c0, n0, indicator, prev)
        kind = decide_kind(p, ctx0, n1, doc_year)
        period = decide_period(p, ctx0, doc_year, text[c0:c1], text[s0:s1])
        if c["cls"] == "money" and g.project_size.search(text, c0, n0):
            kind, period = _project_size(p, s0, n0, doc_year, kind, period)
        elif (c["cls"] == "money" or c["unit"] == "%") and (
                g.grant.search(text, s0, n0) or (c["unit"] == "%" and _GRANT_AFTER.match(text, n1))):
            # a policy's award ("对新引进的全职博士,给予每人30万元安家补贴"): a standing offer,
            # with a year only when its own sentence states one ("今年…给予每家20万元奖励");
            # its rate too ("给予最高50%的租金补贴", "按实际支付额的10%给予补助")
            mark = _nearest_before(p.strong_pos, p.strong, c0, n0)
            if mark is None or mark[2] != "achievement" or _GRANT_AFTER.match(text, n1):
                kind = "target"
                if _nearest_before(p.period_pos, p.periods, s0, n0) is None:
                    period = ""
        elif c["cls"] == "money" and g.commend.search(text, s0, n0):
            # "对受表彰企业发放奖励资金共计3400万元": paid at the meeting, unless a plan word says otherwise
            mark = _nearest_before(p.strong_pos, p.strong, s0, n0)
            if mark is None or mark[2] != "target":
                kind = "achievement"
                period = period or (str(doc_year) if doc_year else "")
        if g.goal_value.search(text, max(0, c0), n0) and text[n1:n1 + 1] == "的":
            kind = "target"  # "完成全年目标30亿元的22.7%": the goal itself
        if c["unit"] == "%" and g.completion_rate.search(text, max(s0, n0 - 24), n0):
            kind = "achievement"  # "年度任务完成率107%", "完成全年170家任务的71.8%": the share done
        if doc_year and g.base_value.search(text, max(s0, n0 - 8), n0):
            kind, period = "achievement", str(doc_year - 1)  # "相比去年的1.1亿元": the base of a comparison
        if (g.breakdown.match(text, s0) or g.breakdown.match(text, _paragraph_start(text, n0))) \
                and _nearest_before(p.strong_pos, p.strong, s0, n0) is None \
                and _nearest_before(p.period_pos, p.periods, s0, n0) is None:
            # "分地区看,赣榆区签约项目24个…": a breakdown of the figures just given
            before = next((q for q in reversed(out) if q.num_start < s0), None)
            if before is not None:
                kind, period = before.kind, before.period
        out.append(Quantity(
            quote=text[q0:q1], start=q0, end=q1, value=c["value"], unit=c["unit"],
            indicator=indicator[:128], kind=kind, comparator=comparator, period=period,
            num_start=n0, num_end=n1,
        ))
    _headline_echo(text, out, p.title_span)
    if g.table_header.search(text):
        out = sorted(out + _table_rows(text, p, doc_year), key=lambda q: (q.num_start, q.start))
        slash = _slash_rows(text, p, doc_year)
        if slash:
            lines = {text.rfind("\n", 0, q.num_start) for q in slash}
            out = [q for q in out if text.rfind("\n", 0, q.num_start) not in lines]
            out = sorted(out + slash, key=lambda q: (q.num_start, q.start))
    return out


def _headline_echo(text: str, out: list[Quantity], title: tuple[int, int] | None = None) -> None:
    """A figure in the headline repeats one of the body ("江苏高新技术企业突破5.7万家" then
    "2024年全省高新技术企业数量突破5.7万家"): it takes that statement's kind and period.
    ``title``: the frame's title span (past page furniture), else the first line."""
    a, b = _title_line(text)
    if title is not None and title[1] > title[0]:
        a, b = title
    for q in out:
        if not a <= q.num_start < b:
            continue
        twin = next((r for r in out if r.num_start >= b and r.value == q.value and r.unit == q.unit), None)
        if twin is not None:
            q.kind, q.period = twin.kind, twin.period


def _project_size(p: "Positions", s0: int, n0: int, doc_year: int | None, kind: str, period: str) -> tuple[str, str]:
    """A project's 总投资: reported as a fact, in its sentence's year or the document's,
    unless a plan word before it in its own sentence makes it a goal."""
    hit = _nearest_before(p.strong_pos, p.strong, s0, n0)
    if hit is not None and hit[2] == "target":
        return kind, period
    if _nearest_before(p.period_pos, p.periods, s0, n0) is None and doc_year:
        # not a coming year borrowed from a plan beside it ("预计2026年达产;…总投资15亿元")
        year = re.match(r"(?:19|20)\d\d", period)
        if year is None or int(year.group()) > doc_year:
            period = str(doc_year)
    return "achievement", period


def _slash_rows(text: str, p: "Positions", doc_year: int | None) -> list[Quantity]:
    """Rows "指标：86家/100家/86%" after a header naming the columns "完成值/目标值/完成率";
    a row without a year of its own takes the header's period, else the document's year."""
    g = grammar()
    h = g.slash_header.search(text)
    if h is None:
        return []
    kinds = [g.table_col[c.strip()] for c in h.group().split("/")]
    head_period = decide_period(p, h.start(), doc_year, "", "") or (str(doc_year) if doc_year else "")
    out: list[Quantity] = []
    pos = text.find("\n", h.end()) + 1
    while 0 < pos < len(text):
        e = text.find("\n", pos)
        e = len(text) if e < 0 else e
        m = g.slash_row.fullmatch(text, pos, e)
        values = list(g.slash_value.finditer(text, m.start("vals"), m.end("vals"))) if m else []
        if m is not None and len(values) == len(kinds):
            q0 = m.start("name")
            for kind, v in zip(kinds, values):
                num = parse_number(v.group("num"))
                conv = _table_unit(v.group("unit"), num) if num is not None else None
                if conv is None:
                    continue
                out.append(Quantity(
                    quote=text[q0:v.end()], start=q0, end=v.end(), value=conv[0], unit=conv[1],
                    indicator=m.group("name").strip()[:128], kind=kind, comparator="=",
                    period=decide_period(p, v.start(), doc_year, "", "") or head_period,
                    num_start=v.start(), num_end=v.end()))
        pos = e + 1
    return out


_TABLE_ROW = re.compile(r"(?P<name>[^\s\d()()][^\n()()]{1,30}?)[ \t]*[((](?P<unit>[^\s))]{1,5})[))]"
                        r"(?P<vals>(?:[ \t]+[\d][\d.,]*%?)+)[ \t]*$")
_TABLE_VALUE = re.compile(r"\d[\d.,]*")


def _table_unit(unit: str, value: Decimal):
    """("亿元", 28.6) → (28.6, "亿元"); ("万人", 3.2) → (32000, "人"); None for an unknown unit."""
    mult = unit[0] if unit[:1] in units.registry().prefixes and len(unit) > 1 else ""
    base = unit[len(mult):]
    if base not in grammar().unit_class:
        return None
    return units.with_multiplier(value, mult, base)


def _table_rows(text: str, p: "Positions", doc_year: int | None) -> list[Quantity]:
    """Rows under a header line naming completed/target columns, up to the first line that is
    not a row ("指标名称 完成值 目标值" / "技术合同成交额(亿元) 28.6 25")."""
    g = grammar()
    out: list[Quantity] = []
    done = -1
    for h in g.table_header.finditer(text):
        l0 = text.rfind("\n", 0, h.start()) + 1
        if l0 <= done or (h.start() != l0 and not text[h.start() - 1].isspace()):
            continue
        done = l0
        l1 = text.find("\n", h.start())
        l1 = len(text) if l1 < 0 else l1
        cols = text[l0:l1].split()
        if len(cols) < 2 or len(cols) > 6 or not all(c in g.table_col for c in cols[1:]) or cols[0] in g.table_col:
            continue
        kinds = [g.table_col[c] for c in cols[1:]]
        pos = l1 + 1
        while pos < len(text):
            e = text.find("\n", pos)
            e = len(text) if e < 0 else e
            m = _TABLE_ROW.fullmatch(text, pos, e)
            if m is None:
                break
            values = list(_TABLE_VALUE.finditer(text, m.start("vals"), m.end("vals")))
            for kind, v in zip(kinds, values):
                num = parse_number(v.group())
                conv = _table_unit(m.group("unit"), num) if num is not None else None
                if conv is None:
                    continue
                out.append(Quantity(
                    quote=text[pos:v.end()], start=pos, end=v.end(), value=conv[0], unit=conv[1],
                    indicator=m.group("name").strip()[:128], kind=kind, comparator="=",
                    period=decide_period(p, v.start(), doc_year, "", ""), num_start=v.start(), num_end=v.end()))
            pos = e + 1
    return out


def _from_values(text: str, cands: list) -> set[int]:
    """Old values of "由A增至B" pairs; B remembers where "由" stands."""
    g = grammar()
    drop = set()
    for i in range(len(cands) - 1):
        a, b = cands[i], cands[i + 1]
        if a["c0"] != b["c0"] or a["cls"] != b["cls"] or not g.from_to.match(text[a["n1"]:b["n0"]]):
            continue
        froms = list(g.from_word.finditer(text, a["c0"], a["n0"]))
        if froms:
            drop.add(i)
            # with its own year ("提高到2023年的") the new value's kind and period are read there
            b["ind_from" if g.from_to.match(text[a["n1"]:b["n0"]]).group("year") else "from"] = froms[-1].start()
    return drop


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


__all__ = ["Quantity", "find_quantities", "Positions", "grammar", "asdict"]
