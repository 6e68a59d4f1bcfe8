"""Named people with their titles ("市委副书记、市长张明康", "——访市科技局党组书记、局长 曹勇")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"
HAN = r"\u4e00-\u9fff"


@dataclass
class Person:
    name: str
    titles: list[str] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)
    subtitle_pos: int | None = None  # position of an interview subtitle naming this person

    def add_title(self, title: str) -> None:
        title = title.strip("、, ")
        if title and title not in self.titles:
            self.titles.append(title)


def _alt(words) -> str:
    return "|".join(sorted(set(words), key=len, reverse=True))


def _fast_alt(words) -> str:
    """Alternation of plain words: a pattern opening with it lets the regex engine jump
    between the words' first characters (a lookahead guard in front would defeat that)."""
    return f"(?:{_alt(words)})"


@lru_cache(maxsize=1)
def vocab() -> dict:
    spec = yaml.safe_load((DATA_DIR / "titles.yaml").read_text(encoding="utf-8"))
    extra = yaml.safe_load((DATA_DIR / "people.yaml").read_text(encoding="utf-8"))
    spec["title_heads"] = [*spec["title_heads"], *extra["extra_title_heads"]]
    spec["name_stops"] = [*spec["name_stops"], *extra["extra_name_stops"]]
    spec["surnames"] = set(extra["surnames"])
    spec["compound_surnames"] = tuple(extra["compound_surnames"])
    spec["national_leaders"] = extra["national_leaders"]
    heads = _alt(spec["title_heads"])
    stops = _alt(spec["name_stops"])
    bylines = _alt(spec["byline_titles"])
    title = rf"[{HAN}]{{0,12}}?(?:{heads})"
    # anchored at a title word (fast); the organisation before it is recovered by looking back
    spec["re_titled"] = re.compile(
        rf"(?P<titles>{_fast_alt(spec['title_heads'])}(?:[、]{title})*)[ \t]?(?P<name>[{HAN}]{{2,4}}?)(?=(?:{stops})|[、,。;:\s“(]|$)", re.M)
    spec["re_list"] = re.compile(rf"(?P<title>市领导|省领导|区领导|县领导)(?P<names>[{HAN}]{{2,3}}(?:、[{HAN}]{{2,3}})+)等")
    spec["re_byline"] = re.compile(rf"(?:^|(?<=。))[ \t]*(?:{bylines})[ \t:]+[{HAN}]{{2,4}}(?:[ \t:]+[{HAN}]{{2,5}})*[ \t]*$", re.M)
    # re_byline without its line-start anchor, so that it opens with the byline words (fast scan)
    spec["re_byline_tail"] = re.compile(rf"(?:{bylines})[ \t:]+[{HAN}]{{2,4}}(?:[ \t:]+[{HAN}]{{2,5}})*[ \t]*$", re.M)
    spec["byline_set"] = set(spec["byline_titles"])
    spec["re_leader"] = re.compile(rf"(?P<name>[{HAN}]{{2,3}})(?P<title>总书记)")
    spec["re_photo"] = re.compile(rf"(?P<names>[{HAN}]{{2,4}}(?:[ \t]+[{HAN}]{{2,4}})*)[ \t]+摄[ \t]*$", re.M)
    spec["re_subtitle"] = re.compile(rf"^[ \t]*——[ \t]*访(?P<titles>[^\n]*?)[ \t]+(?P<name>[{HAN}]{{2,4}})[ \t]*$", re.M)
    spec["re_reporter"] = re.compile(
        rf"\((?P<body>(?:(?:{bylines})[ \t]*[{HAN}]{{2,4}}(?:[ \t]+[{HAN}]{{2,4}})*[ \t]*)+)\)")
    return spec


_BAD_NAME = re.compile(r"^[对在和与为向的是要把将从以及被让给同]|^(?:项目|同志|领导|负责|主要|分管|有关|相关|各级|全体|以及|出席|参加|会议|我们|大家|代表|专家|工作|要求)")
# "本报记者专访了泗洪县委书记" (an interview's lead): the title follows 对/专访/采访/了
_TO_PERSON = re.compile(r"^.*(?:对(?!外)|专访|采访|了)")
_BAD_TITLE_START = re.compile(r"^(?:和|与|及|为|由|对|在|是|的|向|请|了|把|将|同)")


def _clean_title(t: str) -> str:
    t = t.strip("、,;: \t")
    # keep only the tail after a verb-ish break ("会议由市委书记" → "市委书记")
    for sep in ("由", "和", "与", "及", "邀请", "委托"):
        if sep in t[:-2]:
            t = t.rsplit(sep, 1)[-1]
    # "刊发记者对武进区委副书记" (an interview's lead): the title follows 对 (not 对外…)
    m = _TO_PERSON.search(t[:-2])
    if m:
        t = t[m.end():]
    return t


def plausible_name(name: str) -> bool:
    """A personal name: 2-4 characters starting with a common surname ("挂钩" is not)."""
    v = vocab()
    return 2 <= len(name) <= 4 and (name[0] in v["surnames"] or name.startswith(v["compound_surnames"]))


_BYLINE_SEP = re.compile(r"[ \t:]+")
_LIST_SEP = re.compile(r"[、,]")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")
_HAN_RUN = {n: re.compile(rf"[{HAN}]{{{n}}}") for n in (2, 3)}
_TITLE_IN_NAME = re.compile(r"书记|市长|主任|记者|部长|局长")


def bylines(text: str):
    """(start, text) of each match of ``vocab()["re_byline"]``: the byline words are found
    first, then their line start (or "。") is checked by looking back over spaces."""
    for m in vocab()["re_byline_tail"].finditer(text):
        q = m.start()
        while q > 0 and text[q - 1] in " \t":
            q -= 1
        if q == 0 or text[q - 1] in "\n。":
            yield q, text[q:m.end()]


def find_people(text: str) -> dict[str, Person]:
    v = vocab()
    people: dict[str, Person] = {}

    def add(name: str, titles: list[str], pos: int) -> Person | None:
        if not name or _BAD_NAME.match(name) or len(name) < 2:
            return None
        p = people.setdefault(name, Person(name))
        for t in titles:
            t = _clean_title(t)
            if t and not _BAD_TITLE_START.match(t) and len(t) <= 16:
                p.add_title(t)
        p.mentions.append(pos)
        return p

    for m in v["re_subtitle"].finditer(text):
        p = add(m.group("name"), _LIST_SEP.split(m.group("titles")), m.start("name"))
        if p is not None:
            p.subtitle_pos = m.start()
    for m in v["re_titled"].finditer(text):
        back = text[max(0, m.start() - 12):m.start()]
        prefix = _NOT_HAN.split(back)[-1]
        titles = prefix + m.group("titles")
        ls = text.rfind("\n", 0, m.start()) + 1
        if text[ls:m.start()].lstrip().startswith("——"):
            continue
        if plausible_name(m.group("name")):
            add(m.group("name"), titles.split("、"), m.start("name"))
    for m in v["re_list"].finditer(text):
        for i, name in enumerate(m.group("names").split("、")):
            if plausible_name(name):
                add(name, [m.group("title")], m.start("names"))
    for m in v["re_reporter"].finditer(text):  # "(记者 蒋文博 通讯员 邵宁)"
        title = None
        for tok in m.group("body").split():
            for t in sorted(v["byline_set"], key=len, reverse=True):
                if tok.startswith(t):
                    title, tok = t, tok[len(t):]
                    break
            if tok and title:
                add(tok, [title], m.start())
    for start, line in bylines(text):
        title = None
        for tok in _BYLINE_SEP.split(line.strip()):
            if tok in v["byline_set"]:
                title = tok
            elif title:
                add(tok, [title], start)
    for leader in v["national_leaders"]:
        j = text.find(leader + "总书记")
        if j >= 0:
            add(leader, ["总书记"], j)
    i = text.find("总书记")
    while i >= 0:  # "习近平总书记": the name stands before the title
        for size in (3, 2):
            start = i - size
            name = text[max(0, start):i]
            if start >= 0 and _HAN_RUN[size].fullmatch(name) and \
                    (start == 0 or text[start - 1] in "、,。\n“ "):
                add(name, ["总书记"], start)
                break
        i = text.find("总书记", i + 3)
    pos = 0
    for line in text.split("\n") if "摄" in text else ():  # photo credits: "谢道韞 范海罡 摄" (cheap line test first)
        if line.rstrip().endswith("摄"):
            m = v["re_photo"].search(line)
            if m:
                for name in m.group("names").split():
                    add(name, ["摄"], pos + m.start())
        pos += len(line) + 1
    # drop "names" that are titles themselves, and merge titles of names seen untitled
    return {n: p for n, p in people.items() if p.titles and not _TITLE_IN_NAME.search(n)}


def speaker_pattern(names) -> re.Pattern | None:
    names = [n for n in names if len(n) >= 2]
    if not names:
        return None
    verbs = _alt(vocab()["speech_verbs"])
    return re.compile(rf"(?P<name>{_alt(names)})(?:在[^,。]{{0,20}}?)?(?:{verbs})")


_COUNTY_ORG = re.compile(rf"([{HAN}]{{2,6}}?[市区县])委")
_TOWN = re.compile(r"(?:镇|乡|街道)$")


@lru_cache(maxsize=1)
def _org_suffix() -> re.Pattern:
    return re.compile(rf"(?:{_alt(vocab()['org_title_suffixes'])})$")


def person_region(p: Person, sections) -> str:
    """Region of a person: the one their title names ("姜堰区委书记" → 泰州市姜堰区, "靖江市委副书记"
    → 靖江市, "扎下镇党委书记" → 沭阳县扎下镇), else the section map's context for them."""
    ctx = sections.person_ctx.get(p.name)
    base = ctx.region if ctx else ""
    reg, doc = sections.reg, sections.doc_region
    if reg is None:
        return base
    from .sections import display_name

    suffix = _org_suffix()
    for t in p.titles:
        org = suffix.sub("", suffix.sub("", t))
        m = _COUNTY_ORG.fullmatch(org)
        if m and m.group(1)[0] not in "市区县省":
            r = None
            try:
                r = reg.resolve(m.group(1), within=doc.code if doc is not None else None) or reg.resolve(m.group(1))
            except Exception:
                r = None
            if r is not None and r.level in ("prefecture", "county"):
                return display_name(r)
        if _TOWN.search(org) and len(org) >= 3 and not base.endswith(org) and doc is not None and doc.level == "prefecture":
            county = _main_county(sections)
            if county is not None:
                return display_name(county) + org
    return base


def _main_county(sections):
    """The county-level region a prefecture-level document names most (where its towns lie)."""
    cached = getattr(sections, "_fp_main_county", False)
    if cached is not False:
        return cached
    counts: dict[str, int] = {}
    for r in sections.reg.children(sections.doc_region.code):
        if r.level == "county":
            n = sections.text.count(r.short_name or r.name) if len(r.short_name or r.name) >= 2 else 0
            if n:
                counts[r.code] = n
    best = sections.reg.get(max(counts, key=counts.get)) if counts else None
    sections._fp_main_county = best
    return best
