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
    """Alternation guarded by a first-character class, so scanning skips most positions quickly."""
    firsts = "".join(sorted({w[0] for w in words}))
    return rf"(?=[{re.escape(firsts)}])(?:{_alt(words)})"


@lru_cache(maxsize=1)
def vocab() -> dict:
    spec = yaml.safe_load((DATA_DIR / "titles.yaml").read_text(encoding="utf-8"))
    heads = _alt(spec["title_heads"])
    stops = _alt(spec["name_stops"])
    bylines = _alt(spec["byline_titles"])
    title = rf"[{HAN}]{{0,12}}?(?:{heads})"
    # anchored at a title word (fast); the organisation before it is recovered by looking back
    spec["re_titled"] = re.compile(
        rf"(?P<titles>{_fast_alt(spec['title_heads'])}(?:[、]{title})*)[ \t]?(?P<name>[{HAN}]{{2,4}}?)(?=(?:{stops})|[、,。;:\s“(]|$)", re.M)
    spec["re_list"] = re.compile(rf"(?P<title>市领导|省领导|区领导|县领导)(?P<names>[{HAN}]{{2,3}}(?:、[{HAN}]{{2,3}})+)等")
    spec["re_byline"] = re.compile(rf"(?:^|(?<=。))[ \t]*(?:{bylines})[ \t:]+[{HAN}]{{2,4}}(?:[ \t:]+[{HAN}]{{2,5}})*[ \t]*$", re.M)
    spec["byline_set"] = set(spec["byline_titles"])
    spec["re_leader"] = re.compile(rf"(?P<name>[{HAN}]{{2,3}})(?P<title>总书记)")
    spec["re_photo"] = re.compile(rf"(?P<names>[{HAN}]{{2,4}}(?:[ \t]+[{HAN}]{{2,4}})*)[ \t]+摄[ \t]*$", re.M)
    spec["re_subtitle"] = re.compile(rf"^[ \t]*——[ \t]*访(?P<titles>[^\n]*?)[ \t]+(?P<name>[{HAN}]{{2,4}})[ \t]*$", re.M)
    spec["re_reporter"] = re.compile(rf"\((?P<title>记者|通讯员)[ \t]*(?P<name>[{HAN}]{{2,4}})\)")
    return spec


_BAD_NAME = re.compile(r"^[对在和与为向的是要把将从以及被让给同]|^(?:项目|同志|领导|负责|主要|分管|有关|相关|各级|全体|以及|出席|参加|会议|我们|大家|代表|专家|工作|要求)")
_BAD_TITLE_START = re.compile(r"^(?:和|与|及|为|由|对|在|是|的|向|请|了|把|将|同)")


def _clean_title(t: str) -> str:
    t = t.strip("、,;: \t")
    # keep only the tail after a verb-ish break ("会议由市委书记" → "市委书记")
    for sep in ("由", "和", "与", "及", "邀请", "委托"):
        if sep in t[:-2]:
            t = t.rsplit(sep, 1)[-1]
    return t


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
        p = add(m.group("name"), re.split(r"[、,]", m.group("titles")), m.start("name"))
        if p is not None:
            p.subtitle_pos = m.start()
    for m in v["re_titled"].finditer(text):
        back = text[max(0, m.start() - 12):m.start()]
        prefix = re.split(r"[^\u4e00-\u9fff]", back)[-1]
        titles = prefix + m.group("titles")
        ls = text.rfind("\n", 0, m.start()) + 1
        if text[ls:m.start()].lstrip().startswith("——"):
            continue
        add(m.group("name"), titles.split("、"), m.start("name"))
    for m in v["re_list"].finditer(text):
        for i, name in enumerate(m.group("names").split("、")):
            add(name, [m.group("title")], m.start("names"))
    for m in v["re_reporter"].finditer(text):
        add(m.group("name"), [m.group("title")], m.start())
    for m in v["re_byline"].finditer(text):
        title = None
        for tok in re.split(r"[ \t:]+", m.group(0).strip()):
            if tok in v["byline_set"]:
                title = tok
            elif title:
                add(tok, [title], m.start())
    i = text.find("总书记")
    while i >= 0:  # "习近平总书记": the name stands before the title
        for size in (3, 2):
            start = i - size
            name = text[max(0, start):i]
            if start >= 0 and re.fullmatch(rf"[{HAN}]{{{size}}}", name) and \
                    (start == 0 or text[start - 1] in "、,。\n“ "):
                add(name, ["总书记"], start)
                break
        i = text.find("总书记", i + 3)
    pos = 0
    for line in text.split("\n"):  # photo credits: "谢道韞 范海罡 摄" (cheap line test first)
        if line.rstrip().endswith("摄"):
            m = v["re_photo"].search(line)
            if m:
                for name in m.group("names").split():
                    add(name, ["摄"], pos + m.start())
        pos += len(line) + 1
    # drop "names" that are titles themselves, and merge titles of names seen untitled
    return {n: p for n, p in people.items() if p.titles and not re.search(r"书记|市长|主任|记者|部长|局长", n)}


def speaker_pattern(names) -> re.Pattern | None:
    names = [n for n in names if len(n) >= 2]
    if not names:
        return None
    verbs = _alt(vocab()["speech_verbs"])
    return re.compile(rf"(?P<name>{_alt(names)})(?:在[^,。]{{0,20}}?)?(?:{verbs})")
