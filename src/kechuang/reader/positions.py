"""Positions of one text: sentence and clause boundaries, kind markers, periods, headings,
lead-ins and framework parentheses, found once per document and looked up by bisect."""

from __future__ import annotations

import bisect
import re

from .frame import find_title, plan_head
from .grammar import grammar
from .numbers import CN_NUMERAL_CHARS

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
YEAR_CLOSING = frozenset({"今年", "全年", "本年", "本年度", "今年以来"})
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
            self.strong = [(a, b, "achievement") if k == "target" and text[a:b] in YEAR_CLOSING else (a, b, k)
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


def title_line(text: str) -> tuple[int, int]:
    """Span of the first non-empty line when it reads as a headline (short, no sentence end)."""
    a = len(text) - len(text.lstrip())
    b = text.find("\n", a)
    b = len(text) if b < 0 else b
    line = text[a:b]
    return (a, b) if 0 < len(line.strip()) <= 60 and "。" not in line else (a, a)


def _report_title_year(text: str) -> int | None:
    """The year of a report named by the title ("宜兴市2024年国民经济和社会发展统计公报")."""
    a, b = title_line(text)
    m = _TITLE_YEAR.search(text, a, b)
    if m is None or not grammar().report_title.search(text, m.end(), b) or plan_head().search(text, a, b):
        return None
    return int(m.group(1))


def nearest_before(pos_list, items, lo: int, hi: int):
    """Last item with lo <= start < hi."""
    i = bisect.bisect_left(pos_list, hi) - 1
    if i >= 0 and pos_list[i] >= lo:
        return items[i]
    return None


def first_in(pos_list, items, lo: int, hi: int):
    i = bisect.bisect_left(pos_list, lo)
    if i < len(pos_list) and pos_list[i] < hi:
        return items[i]
    return None


def paragraph_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1
