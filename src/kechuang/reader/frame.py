"""The document frame: computed once per document before its statements are read.

Who issued the document, which place it is about (region and code), who speaks for it,
when it was published, what kind of document it is (work report, summary, plan, progress
notice, bulletin, meeting news, interview, policy, news) and its parts (review / plan) with
their spans. Every statement takes its defaults from the frame; what an uploader knows
(region, date) comes in as priors and wins over what the text suggests.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from kechuang.regions import context_for

from .sections import place_words

DATA_DIR = Path(__file__).parent / "data"
HAN = r"\u4e00-\u9fff"
_YEAR = re.compile(r"((?:19|20)\d\d)年")
_RELEASED_PLAN = re.compile(r"(?:发布|印发|出台)了?《[^》]{2,80}?[((]((?:19|20)\d\d)\s*[—\-–~～至到]\s*(?:19|20)\d\d年[))]》")
_SPAN = re.compile(r"((?:19|20)\d\d)\s*[—\-–~～至到]\s*((?:19|20)\d\d)年")

DOC_KIND_LABELS = {
    "work_report": "政府工作报告", "summary": "工作总结", "plan": "规划/方案", "progress": "进展通报",
    "bulletin": "统计公报", "meeting": "会议新闻", "interview": "访谈/综述", "policy": "政策文件", "news": "新闻",
}
PART_LABELS = {"review": "回顾", "plan": "计划"}


@dataclass(frozen=True)
class Part:
    kind: str            # "review" | "plan"
    start: int
    end: int
    year: int | None = None


@dataclass
class Frame:
    issuer: str = ""
    region: str = ""          # display name ("深圳市罗湖区", "全国")
    region_code: str = ""     # official code when the registry has one
    key_code: str = ""        # nearest registry code (a zone's or a town's parent)
    actor: str = ""
    published: dt.date | None = None
    kind: str = "news"
    year: int | None = None   # the year the document speaks in
    review_year: int | None = None  # the closed year a review part reports on
    title: str = ""
    parts: list[Part] = field(default_factory=list)
    given: tuple[str, ...] = ()  # fields fixed by the uploader or an officer
    rewards: bool = False     # a meeting that sums up a year and hands out rewards
    dated: bool = False       # the year comes from a date (or a dated event), not from counting years

    @property
    def reviews(self) -> bool:
        """A document reporting what was done: unmarked figures are achievements."""
        return _spec()["review_kinds"].get(self.kind, False)

    def as_dict(self) -> dict:
        return {"issuer": self.issuer, "region": self.region, "region_code": self.region_code,
                "key_code": self.key_code, "actor": self.actor,
                "published": self.published.isoformat() if self.published else "",
                "kind": self.kind, "year": self.year, "review_year": self.review_year, "title": self.title,
                "parts": [{"kind": p.kind, "start": p.start, "end": p.end, "year": p.year} for p in self.parts],
                "given": list(self.given)}


@dataclass(frozen=True)
class Priors:
    """What the uploader knows: the region (a registry code or name, or 全国), the publication
    date and the kind of document. An uploader's region is a default the text may narrow or
    overrule (a 亭湖区 officer's upload is about 亭湖区 unless the text names another place as
    its subject); an officer's correction of the frame (``strict``) is final."""
    region: str = ""
    published: dt.date | None = None
    kind: str = ""
    strict: bool = False

    def as_dict(self) -> dict:
        return {"region": self.region, "published": self.published.isoformat() if self.published else "",
                "kind": self.kind, "strict": self.strict}

    @classmethod
    def from_dict(cls, d: dict | None) -> "Priors":
        d = d or {}
        pub = d.get("published") or ""
        return cls(region=d.get("region") or "", published=dt.date.fromisoformat(pub) if pub else None,
                   kind=d.get("kind") or "", strict=bool(d.get("strict")))


@lru_cache(maxsize=1)
def _spec() -> dict:
    spec = yaml.safe_load((DATA_DIR / "frame.yaml").read_text(encoding="utf-8"))
    kinds = []
    for k in spec["doc_kinds"]:
        title = re.compile("|".join(k["title"]))
        lead = re.compile("|".join(k["lead"])) if k.get("lead") else None
        kinds.append((k["kind"], title, lead))
    spec["kinds"] = kinds
    spec["review_kinds"] = {k["kind"]: bool(k["review"]) for k in spec["doc_kinds"]}
    spec["issuer_rx"] = re.compile(
        rf"(?:{'|'.join(spec['issuer_labels'])})[ \t]*[::][ \t]*(?P<v>[^\s::]{{2,24}})")
    spec["bureau_rx"] = re.compile(spec["bureau_title"])
    spec["not_title_rx"] = re.compile("|".join(spec["not_title"]))
    spec["national_title_rx"] = re.compile("|".join(spec["national_title"]))
    spec["province_voice_rx"] = re.compile("|".join(spec["province_voice"]))
    spec["scope_rx"] = re.compile("|".join(spec["title_scope"]))
    spec["reward_meeting_rx"] = re.compile("|".join(spec["reward_meeting"]))
    spec["review_head_rx"] = re.compile("|".join(spec["review_heads"]))
    spec["plan_head_rx"] = re.compile("|".join(spec["plan_heads"]))
    return spec


def doc_kinds() -> dict[str, str]:
    return dict(DOC_KIND_LABELS)


# ------------------------------------------------------------------ title and kind

def find_title(text: str) -> tuple[int, int]:
    """Span of the document's title: the first short line of the head that is not page furniture."""
    bad = _spec()["not_title_rx"]
    pos = 0
    found = []
    for n, line in enumerate(text.split("\n")):
        a, pos = pos, pos + len(line) + 1
        if n > 15:
            break
        s = line.strip()
        if not (6 <= len(s) <= 60) or "。" in s or not re.search(f"[{HAN}]", s) or bad.search(s):
            continue
        lead = len(line) - len(line.lstrip())
        found.append((a + lead, a + lead + len(s)))
    # the first line naming a kind of document, else the first candidate
    for a, b in found:
        if classify(text[a:b], "") != "news":
            return a, b
    return found[0] if found else (0, 0)


def classify(title: str, lead: str) -> str:
    for kind, title_rx, lead_rx in _spec()["kinds"]:
        if title_rx.search(title) or (lead_rx is not None and lead_rx.search(lead)):
            return kind
    return "news"


# ------------------------------------------------------------------ subject region

def _issuer(text: str, title: str) -> tuple[str, str]:
    """(issuer as written, level prefix of a bare bureau: 省/市/县/区/镇 or "")."""
    spec = _spec()
    m = spec["bureau_rx"].match(title)
    if m is not None:
        return m.group(), ("" if m.group("place") else m.group("level"))
    m = spec["issuer_rx"].search(text, 0, 800)
    if m is not None:
        v = m.group("v")
        bare = v[:1] in "省市县区镇" and len(v) > 2
        return v, (v[0] if bare else "")
    head = text[:300]
    for body in spec["national_issuers"]:
        if body in head:
            return body, ""
    return "", ""


def _level_ok(r, level: str) -> bool:
    if level in ("省", "province"):
        return r.level == "province"
    if level in ("市", "city"):
        return r.level == "prefecture" or (r.level == "province" and r.name.endswith("市")) or \
            (r.level == "county" and r.name.endswith("市"))
    if level in ("县", "区", "county"):
        return r.level == "county"
    return False


def _most_named(reg, text: str, level: str, title: str):
    counts: Counter = Counter()
    first: dict[str, int] = {}
    for s, _e, r in reg.find_in_text(text[:4000]):
        if _level_ok(r, level):
            counts[r.code] += 1 + (3 if r.name in title or (r.short_name and r.short_name in title) else 0)
            first.setdefault(r.code, s)
    if not counts:
        return None
    return reg.get(max(counts, key=lambda c: (counts[c], -first[c])))


def _title_place(reg, title: str):
    """A place the title names, also by its short form ("中山高质量发展"): prefecture or county."""
    hits = [r for _s, _e, r in reg.find_in_text(title) if r.level in ("prefecture", "county")]
    if hits:
        return hits[0]
    for k in (3, 2):
        for i in range(len(title) - k + 1):
            r = reg.resolve(title[i:i + k])
            if r is not None and r.level in ("prefecture", "county") and r.short_name == title[i:i + k]:
                return r
    return None


_TITLE_TOWN = re.compile(rf"^(?P<name>[{HAN}]{{2,6}}?(?:{place_words()['town_tails']}))(?:[::]|召开|举行|举办|部署|推进|以|“|\s)")


def _region_ctx(r):
    ctx = context_for(r)
    return ctx.region, ctx.region_code, ctx.key_code


def _subject(text: str, title: str, issuer: str, level: str, prior: str, kind: str = "news"):
    """(region, region_code, key_code, Region or None, how) or None to leave it to the sections."""
    from kechuang.regions import registry

    reg = registry()
    spec = _spec()
    if prior == spec["national_region"]:
        return spec["national_region"], "", "", None, "prior"
    if prior:
        r = reg.get(prior) or reg.resolve(prior)
        if r is not None:
            return (*_region_ctx(r), r, "prior")
    lead = text[:400]
    # a town heading the title ("三角镇:…"), under the city or county the title or lead names
    m = _TITLE_TOWN.match(title)
    if m is not None and reg.resolve(m.group("name")) is None:
        parent = _title_place(reg, title) or _title_place(reg, lead)
        if parent is not None:
            name = context_for(parent).region + m.group("name")
            return name, "", parent.code, parent, "title"
    # the whole country: the title says so, or a national body issues it, and no province is named
    # (not a place's rank among the country's: "某高新区进入全国20强")
    if spec["national_title_rx"].search(title) and not reg.find_in_text(title) \
            and kind not in ("meeting", "interview", "news") \
            or (issuer in spec["national_issuers"] and "全国" in text[:1500]):
        return spec["national_region"], "", "", None, "national"
    # a bureau or a scope word gives the level; the most named place of that level is the subject
    scope = spec["scope_rx"].search(title) if spec["review_kinds"].get(kind) else None
    want = level or (spec["title_scope"][scope.group()] if scope else "")
    if issuer and not level:
        hits = [r for s, _e, r in reg.find_in_text(issuer) if s == 0 and r.level != "town"]
        if hits:
            r = hits[0]
            # the most specific place the title names within the issuer's ("来源:淮安发布" over
            # "盱眙县召开…")
            inner = [t for _s, _e, t in reg.find_in_text(title) if t.code != r.code and reg.is_within(t.code, r.code)]
            if inner:
                r = inner[0]
            return (*_region_ctx(r), r, "issuer")
    if want:
        r = _most_named(reg, text, want, title)
        if r is not None:
            return (*_region_ctx(r), r, "level")
    # "我省…" with no province named at the head: the province of the places named
    if spec["province_voice_rx"].search(lead) and not any(r.level == "province" for _s, _e, r in reg.find_in_text(lead)):
        provinces = Counter(r.code[:2] for _s, _e, r in reg.find_in_text(text[:4000]) if r.code[:2].isdigit())
        if provinces:
            r = reg.get(provinces.most_common(1)[0][0] + "0000")
            if r is not None:
                return (*_region_ctx(r), r, "province_voice")
    return None


# ------------------------------------------------------------------ parts and years



def review_head() -> re.Pattern:
    return _spec()["review_head_rx"]


def plan_head() -> re.Pattern:
    """Words of a plan ahead in a title, heading or lead ("…和2024年工作思路")."""
    return _spec()["plan_head_rx"]

_HEADING = re.compile(r"(?:^|\n)[ \t]*(?:[一二三四五六七八九十]{1,3}、|第[一二三四五六七八九十]部分)(?P<h>[^\n。;;!?]{1,30})")


def find_parts(text: str, year: int | None) -> list[Part]:
    """Top-level headed parts that review a year or plan ahead."""
    heads = []
    for m in _HEADING.finditer(text):
        h = m.group("h")
        r, p = review_head().search(h), plan_head().search(h)
        if r is None and p is None:
            continue
        kind = "review" if r is not None and (p is None or r.start() > p.start()) else "plan"
        ys = _YEAR.findall(h)
        heads.append((m.start("h"), kind, int(ys[-1]) if ys else None))
    parts = []
    for i, (a, kind, y) in enumerate(heads):
        b = heads[i + 1][0] if i + 1 < len(heads) else len(text)
        if y is None and year is not None:
            y = year - 1 if kind == "review" else year
        parts.append(Part(kind, a, b, y))
    return parts


def _review_year(kind: str, title: str, published: dt.date | None, year: int | None) -> int | None:
    """The closed year a review reports on: the title's year when it is before the document's,
    else (published in the first months of a year) the year before."""
    ys = [int(y) for y in _YEAR.findall(title)]
    if _SPAN.search(title):
        ys = []
    if ys and year and min(ys) < year:
        return min(ys)
    if kind in ("bulletin", "summary") and ys:
        return min(ys)
    if kind in ("bulletin", "summary", "work_report") and published is not None and published.month <= 4:
        return published.year - 1
    return None


# ------------------------------------------------------------------ the frame

def compute_frame(text: str, published: dt.date | None = None, priors: Priors | None = None,
                  year: int | None = None) -> Frame:
    """The frame of one document's text (priors win over the text)."""
    priors = priors or Priors()
    given = []
    if priors.published is not None:
        published = priors.published
        given.append("published")
    a, b = find_title(text)
    title = text[a:b]
    lead = text[b:b + 400]
    kind = priors.kind or classify(title, lead)
    if kind in ("summary", "progress") and not priors.kind and plan_head().search(title):
        kind = "work_report"  # "…2023年工作总结和2024年工作思路": a review and a plan
    if priors.kind:
        given.append("kind")
    issuer, level = _issuer(text, title)
    if year is None:
        year = published.year if published is not None else None
    dated = year is not None
    if year is None and kind == "plan" and (span := _SPAN.search(title)) is not None:
        year = int(span.group(1))  # an undated plan speaks from its first year ("(2023—2027年)")
    if year is None and kind in ("work_report", "summary") and (ys := _YEAR.findall(title)):
        year = int(min(ys))  # an undated "2024年工作总结和2025年工作计划" is written in its review year
    if year is None:  # undated news of a plan released then ("发布了《…方案(2025—2027年)》")
        m = _RELEASED_PLAN.search(text, b, b + 600)
        year = int(m.group(1)) if m is not None else None
        dated = year is not None
    if year is None and kind == "plan" and (span := _SPAN.search(title)) is not None:
        year = int(span.group(1))  # an undated plan speaks from its first year ("(2023—2027年)")
    if year is None and kind in ("work_report", "summary") and (ys := _YEAR.findall(title)):
        year = int(min(ys))  # an undated "2024年工作总结和2025年工作计划" is written in its review year
    frame = Frame(issuer=issuer, published=published, kind=kind, year=year, title=title, dated=dated)
    # an uploader's region is weighed against the text in extract(); an officer's is final
    subject = _subject(text, title, issuer, level, priors.region if priors.strict else "", kind)
    if subject is not None:
        frame.region, frame.region_code, frame.key_code, _r, how = subject
        if how == "prior":
            given.append("region")
    frame.actor = issuer if issuer and not frame.actor else frame.actor
    frame.review_year = _review_year(kind, title, published, year)
    frame.parts = find_parts(text, year)
    frame.rewards = bool(_spec()["reward_meeting_rx"].search(text, 0, b + 400))
    frame.given = tuple(given)
    return frame


def prior_region(priors: Priors):
    """The registry region an uploader's prior names (None for 全国 or an unknown name)."""
    from kechuang.regions import registry

    if not priors.region or priors.region == _spec()["national_region"]:
        return None
    reg = registry()
    return reg.get(priors.region) or reg.resolve(priors.region)


def subject_region(frame: Frame):
    """The registry region of the frame's subject (its key code), or None."""
    from kechuang.regions import registry

    code = frame.region_code or frame.key_code
    return registry().get(code) if code else None
