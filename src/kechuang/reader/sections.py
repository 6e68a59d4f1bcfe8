"""Which region and actor each part of a document is about.

The document's own region comes from its outlet and most-named place; a
section changes it: an interview subtitle ("——访市委常委、卸甲镇党委书记 周伟"),
a region name standing alone as a heading ("梁 溪 区"), a provincial or city
heading, a byline ending an article. Inside a paragraph a named speaker
("曹勇表示") takes precedence.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path


from kechuang.regions.naming import EMPTY, Context, context_for, display_name  # noqa: F401 (re-exported)

from .people import Person, find_people, speaker_pattern, vocab

DATA_DIR = Path(__file__).parent / "data"
HAN = r"\u4e00-\u9fff"


def place_words() -> dict[str, str]:
    """The place words of places.yaml, each list as a regular-expression alternation."""
    import yaml

    spec = yaml.safe_load((DATA_DIR / "places.yaml").read_text(encoding="utf-8"))
    return {k: "|".join(sorted(v, key=len, reverse=True)) for k, v in spec.items()}


_P = place_words()
_PARKS, _TOWNS = _P["park_tails"], _P["town_tails"]


# "——访涟水县高沟镇党委书记刘强" (no space before the name): the chain of places it opens with
_SUBTITLE_LOOSE = re.compile(r"^[ \t]*——[ \t]*访(?P<rest>[^\n]+)$")
_ORG_CHAIN = re.compile(rf"(?:[{HAN}]{{1,6}}?(?:省|市|县|区))*(?:[{HAN}]{{1,8}}?(?:街道|镇|乡|开发区|高新区|园区))?")
# a place opening a sentence, a ";" item or a clause ("去年,宿城区…", "其中洪泽区…"): "宿城区新增…",
# "宿豫区表示,今年将…", "碾庄镇要新增…"
_INLINE_SUBJECT = re.compile(
    rf"(?:^|[。;;!?\n,])[ \t]*(?:其中,?)?"
    rf"(?P<name>[{HAN}]{{2,10}}?(?:街道|区|县|市|镇|乡|园区|(?:{_PARKS})(?!区)))(?=[{HAN},])", re.M)
# the same without the line-start alternative, so that it opens with a character class (fast
# scan); a place opening the text is matched separately with _INLINE_HEAD
_INLINE_SCAN = re.compile(
    rf"[。;;!?\n,][ \t]*(?:其中,?)?(?P<name>[{HAN}]{{2,10}}?(?:街道|区|县|市|镇|乡|园区|(?:{_PARKS})(?!区)))(?=[{HAN},])")
# a city or county named by its short form opening a sentence ("苏州作为制造业大市,今年将…",
# "其中,苏州…;无锡则提出,…") or before 全省/全市 ("…,江苏全省…"); checked against the registry
_BARE_LEVELS = ("province", "prefecture", "county")


@lru_cache(maxsize=8)
def _bare_subject(reg, province: str) -> re.Pattern | None:
    """Two-character short names of the province, its cities and counties, as sentence openers."""
    names, todo = set(), [province + "0000"]
    while todo:
        r = reg.get(todo.pop())
        if r is None or r.level not in _BARE_LEVELS:
            continue
        if len(r.short_name or "") == 2:
            names.add(r.short_name)
        todo.extend(c.code for c in reg.children(r.code))
    if not names:
        return None
    alt = "|".join(sorted(names))
    return re.compile(rf"[。;;!?\n][ \t]*(?:其中,)?(?P<name>{alt})(?=[{HAN}])|,[ \t]*(?P<whole>{alt})(?=全省|全市|全县|全区)")
_INLINE_HEAD = re.compile(rf"[ \t]*(?P<name>[{HAN}]{{2,10}}?(?:街道|区|县|市|镇|乡|园区|(?:{_PARKS})(?!区)))(?=[{HAN},])")
# names that are no place of their own ("全市", "各区", "新区"), or read as a phrase ("…年的…")
NOT_SUBJECT = re.compile(r"^(?:全|我|本|各|该|两|三|四|五|六|七|八|九|十|多|城|市区|县区|地区|园区|社区|景区|片区|新区|高新区|开发区)|^.*[年的在将已要]")
# the scope of a sentence-opening place ends at the sentence end or where a counted subject
# opens a new clause ("东港镇创成…,3家企业入选…": the firms are the whole district's)
_SUBJECT_END = re.compile(r"[。!?\n]|,(?=\d+(?:家|个|名|位|项|所))")
_PARTY_COMMITTEE = re.compile(rf"中共([{HAN}]{{2,4}}?)[市县区]委")
_BUREAU = re.compile(r"(?:局|委|办|中心|厅|院)$")
_LIST_SEP = re.compile(r"[、,]")
_SENTENCE_END = re.compile(r"[。;!?]$")
# a title opened by a town ("长江镇召开上半年经济运行分析会"): the whole report is the town's
# a zone opening the title speaks for it before any verb ("常州高新区加快建设…")
_TITLE_TOWN = re.compile(rf"\s*(?:(?P<name>[{HAN}]{{2,8}}?(?:{_TOWNS}))(?:召开|举行|举办|部署|推进|打响|吹响|以|:|“|\s)"
                         rf"|(?P<zone>[{HAN}]{{2,8}}?(?:{_P['zone_heads']}))(?=[{HAN}:“\s]))")
_SPACES = re.compile(r"\s+")
_PLACE_HEADING = re.compile(r"(?:区|县|市|镇|街道|园区|开发区|高新区)(?:\(.*\))?$")
_PAREN_TAIL = re.compile(r"\(.*\)$")
_PROVINCE_WORDS = re.compile(r"省委|省政府|全省")
# "江苏省科技厅", "江苏省人民政府": a provincial body right after the province's name
_PROVINCE_BODY = re.compile(rf"[ \t]*(?:委|政府|人民政府|[{HAN}]{{1,6}}?厅)")
_CITY_WORDS = re.compile(r"市委|市政府|全市")
# "吴江区委委员", "市委常委": a seat on a committee; the office held beside it says where one works
_MEMBERSHIP = re.compile(r"(?:委员|常委)[ \t]*$")
# "崇川区科技局", "如皋市人才办": a bureau of the place named before it
_PLACE_BUREAU = re.compile(rf"([{HAN}]{{2,6}}?(?:市|区|县))[{HAN}]{{1,8}}(?:局|办|中心)$")
_COMMITTEE_TAIL = re.compile(r"(?<=[市区县])(?:委|政府)$")
# "【吴江区】…", "常熟市:…": a place opening a paragraph names what the paragraph is about
_PLACE_MARK = re.compile(rf"^[ \t]*(?:【[ \t]*(?P<a>[{HAN}]{{2,12}})[ \t]*】|(?P<b>[{HAN}]{{2,12}})[::])")
# a place followed by its party committee or government ("海安市委常委…"): an official's title
_ORGAN_AFTER = re.compile(r"[市县区]?(?:委|政府|人大|政协)")
_BARE_ZONE = re.compile(_P["zone_bare"])
# "镇党委书记": the town opening the text's title, as 开发区 is for a zone
_BARE_TOWN = tuple(_TOWNS.split("|"))
_SUBUNIT = re.compile(rf"(?:(?P<town>{_TOWNS})|(?P<zone>{_P['zone_tails']}))$")


def _heads_title(name: str, head: str) -> bool:
    """A headline opened by the place ("盱眙县召开2024年…会议"), past an app banner or a source line."""
    for line in head.split("\n"):
        line = line.strip()
        if line.startswith(name) and len(name) + 4 <= len(line) <= 40 and not _SENTENCE_END.search(line) \
                and "。" not in line:
            return True
    return False


def _offices_first(titles: list[str]) -> list[str]:
    """Titles with committee seats last (their organisation is the wider one)."""
    seats = [t for t in titles if _MEMBERSHIP.search(t)]
    return [t for t in titles if not _MEMBERSHIP.search(t)] + seats if seats and len(seats) < len(titles) else titles


def _registry():
    from kechuang.regions import registry

    return registry()


_OUTLET_STRIP = re.compile(r"^(?:今日|今天|新|大)|(?:晚报|日报|早报|时报|新闻网|新闻|发布|融媒|报)$")


@lru_cache(maxsize=1)
def _titles():
    v = vocab()
    return (set(v["generic_orgs"]), re.compile(rf"(?:{'|'.join(sorted(v['org_title_suffixes'], key=len, reverse=True))})$"))


@lru_cache(maxsize=1)
def _lead_verbs() -> re.Pattern:
    words = vocab().get("place_lead_verbs") or ["(?!)"]
    return re.compile("|".join(sorted(words, key=len, reverse=True)))


def _inline_matches(text: str):
    """The matches of _INLINE_SUBJECT (same spans and names), scanned faster."""
    head = _INLINE_HEAD.match(text)
    if head is not None:
        yield head
    yield from _INLINE_SCAN.finditer(text, head.end() if head is not None else 0)


class SectionMap:
    """Region/actor context for every offset of one document."""

    def __init__(self, text: str, outlet: str = "", people: dict[str, Person] | None = None, frame=None):
        self.text = text
        self.reg = _registry()
        self.people = people if people is not None else find_people(text)
        if frame is not None and frame.region:  # the document frame decided the subject
            from .frame import subject_region

            self.doc_region = subject_region(frame)
            self.doc_ctx = Context(frame.region, frame.region_code, "", frame.key_code)
        else:
            self.doc_region = self._doc_region(outlet)
            self.doc_ctx = self._title_town() or context_for(self.doc_region)
        self.province = self._province()
        self.person_ctx = {n: self._person_context(p) for n, p in self.people.items()}
        self._build()

    # ---------------------------------------------------------- document region
    def _doc_region(self, outlet: str):
        if self.reg is None:
            return None
        if outlet:
            short = _OUTLET_STRIP.sub("", _OUTLET_STRIP.sub("", outlet))
            r = self.reg.resolve(short) if len(short) >= 2 else None
            if r is not None and r.level in ("prefecture", "county"):
                return r
        head = self.text[:2500]  # title, lead and first sections decide; the rest only costs time
        province = self._province_voice(head[:300])
        if province is not None:
            return province
        counts: Counter = Counter()
        first: dict[str, int] = {}
        for s, _e, r in self.reg.find_in_text(head):
            if r.level in ("prefecture", "county") or (r.level == "province" and False):
                counts[r.code] += 1
                first.setdefault(r.code, s)
        for m in _PARTY_COMMITTEE.finditer(head):
            r = self.reg.resolve(m.group(1))
            if r is not None:
                counts[r.code] += 3
                first.setdefault(r.code, m.start())
        if not counts:
            # a zone named in the title speaks for itself ("苏州工业园区召开…")
            zones = [(s, r) for s, _e, r in self.reg.find_in_text(head[:120]) if r.level == "zone"]
            return zones[0][1] if zones else None
        for code, pos in first.items():  # the title and lead name the document's own region
            if pos < 300:
                counts[code] += 5
                if _heads_title(self.reg.get(code).name, head[:300]):
                    counts[code] += 3
        code = max(counts, key=lambda c: (counts[c], -first[c]))
        best = self.reg.get(code)
        for anc in self.reg.ancestors(code) if best is not None else []:
            # a city report naming its districts, unless the district heads the title
            if anc.code in first and first[anc.code] < 300 and not (first[code] < 40 and first[code] < first[anc.code]) \
                    and not _heads_title(best.name, head[:300]):
                return anc
        return best

    def _province_voice(self, lead: str):
        """The province itself when the headline opens with it or a provincial body speaks
        ("江苏…突破5.7万家", "记者从江苏省科技厅获悉") and the lead gives 全省 figures."""
        if "全省" not in lead:
            return None
        for s, _e, r in self.reg.find_in_text(lead):
            if r.level != "province":
                continue
            title = lead.lstrip()
            after = lead[s:]
            if lead[:s].strip() == "" or _PROVINCE_BODY.match(after, len(r.name)) or title.startswith(r.name) \
                    or (r.short_name and title.startswith(r.short_name)):
                return r
        return None

    def _title_town(self) -> Context | None:
        if self.doc_region is None:
            return None
        first = next((line for line in self.text[:400].split("\n") if line.strip()), "")
        m = _TITLE_TOWN.match(first)
        name = m and (m.group("name") or m.group("zone"))
        if m is None or NOT_SUBJECT.match(name):
            return None
        # a zone opening the title ("淮安高新区召开…") speaks for the whole text at any level;
        # a town only under its county
        if _SUBUNIT.search(name).group("zone"):
            ctx = self._place(name)
        elif self.doc_region.level != "county":
            return None
        else:
            ctx = self._composite(name)
        return Context(ctx.region, ctx.region_code, ctx.region, ctx.key_code) if ctx is not None else None

    def _province(self):
        if self.reg is None or self.doc_region is None:
            return None
        return self.reg.get(self.doc_region.code[:2] + "0000")

    # registry answers and title contexts depend only on the registry, the document's region and
    # the string asked about: shared across documents (officials and places recur)
    _resolve_cache: dict[tuple, object] = {}
    _org_cache: dict[tuple, Context | None] = {}

    def _resolve_org(self, org: str):
        if self.reg is None or len(org) < 2:
            return None
        key = (self.reg, self.doc_region.code if self.doc_region is not None else "", org)
        try:
            return self._resolve_cache[key]
        except KeyError:
            pass
        if len(self._resolve_cache) > 50_000:
            self._resolve_cache.clear()
        r = self._resolve_cache[key] = self._resolve_org_uncached(org)
        return r

    def _resolve_org_uncached(self, org: str):
        within = self.doc_region.code if self.doc_region is not None else None
        try:
            r = self.reg.resolve(org, within=within)
        except Exception:
            r = None
        if r is None and within:
            try:
                r = self.reg.resolve(org)
            except Exception:
                r = None
        return r

    def _composite(self, name: str) -> Context | None:
        """A town or zone the registry does not list, under a region it knows:
        "宜兴市丁蜀镇" → 宜兴市丁蜀镇, "徐州高新区" → 徐州高新区 (codes of the parent)."""
        m = _SUBUNIT.search(name)
        if self.reg is None or m is None:
            return None
        for k in range(len(name) - len(m.group(0)), 1, -1):
            head, tail = name[:k], name[k:]
            if len(tail) < 2:
                continue
            r = self._resolve_org(head)
            if r is None or r.level not in ("province", "prefecture", "county"):
                continue
            if m.group("zone"):
                return Context(name, "", name, r.code)
            return Context(display_name(r) + tail, "", display_name(r) + tail, r.code)
        if len(name) <= len(m.group(0)):  # a bare "镇", "园区": no place of its own
            return None
        if m.group("town") and self.doc_region is not None and self.doc_region.level == "county" and len(name) <= 5:
            full = display_name(self.doc_region) + name
            return Context(full, "", full, self.doc_region.code)
        return None

    def _org_context(self, titles: list[str]) -> Context | None:
        """Context from the first title naming an organisation of its own."""
        key = (self.reg, self.doc_region.code if self.doc_region is not None else "", tuple(titles))
        try:
            return self._org_cache[key]
        except KeyError:
            pass
        if len(self._org_cache) > 50_000:
            self._org_cache.clear()
        ctx = self._org_cache[key] = self._org_context_uncached(titles)
        return ctx

    def _org_context_uncached(self, titles: list[str]) -> Context | None:
        generic, suffix = _titles()
        for t in _offices_first(titles):
            org = suffix.sub("", t)
            org = suffix.sub("", org)
            if not org or org in generic or t in ("副市长", "市长", "局长", "区长", "县长"):
                continue
            org = _COMMITTEE_TAIL.sub("", org)  # "常熟市委" → the city's own committee
            if _BUREAU.search(org) and org[:1] in "市区县省":
                level_region = self.province if org[0] == "省" else self.doc_region
                base = context_for(level_region)
                prefix = (level_region.name if level_region is not None else "")
                return Context(base.region, base.region_code, prefix + org[1:], base.key_code)
            if (mb := _PLACE_BUREAU.match(org)) is not None and (ctx := self._place(mb.group(1))) is not None:
                # "崇川区科技局局长": the bureau of a named place speaks for that place
                return Context(ctx.region, ctx.region_code, org, ctx.key_code)
            r = self._resolve_org(org)
            if r is not None and r.level in ("town", "zone") or (r is not None and r.name.endswith(org[-2:])):
                ctx = context_for(r)
                return Context(ctx.region, ctx.region_code, ctx.region, ctx.key_code)
            ctx = self._composite(org)
            if ctx is not None:
                return ctx
            if r is None and (mz := _SUBUNIT.search(org)) is not None and mz.group("zone") \
                    and not _BARE_ZONE.fullmatch(org) and len(org) - len(mz.group(0)) >= 2:
                # "黄桥工业园区党工委书记": a zone the registry lacks speaks under its own name
                key = self.doc_ctx.key_code if self.doc_ctx is not None else ""
                return Context(org, "", org, key)
            if r is not None:
                ctx = context_for(r)
                return Context(ctx.region, ctx.region_code, ctx.region, ctx.key_code)
        return None

    def _doc_zone_title(self, titles: list[str]) -> str | None:
        """A title of the zone or town opening the text's title, named bare ("开发区党工委书记",
        "镇党委书记")."""
        generic, suffix = _titles()
        zone = self.doc_ctx.region
        for t in titles:
            org = suffix.sub("", suffix.sub("", t))
            if (_BARE_ZONE.fullmatch(org) or org in _BARE_TOWN) and zone.endswith(org) and len(zone) > len(org):
                return t
        return None

    def _person_context(self, p: Person) -> Context:
        if (t := self._doc_zone_title(p.titles)) is not None:  # the zone's own official, whatever seat
            base = self.doc_ctx                                  # he holds in the wider district
            return Context(base.region, base.region_code, f"{t}{p.name}", base.key_code)
        ctx = self._org_context(p.titles)
        if ctx is not None:
            return ctx
        first = p.titles[0] if p.titles else ""
        if first.startswith("省") and self.province is not None:
            base = context_for(self.province)
        elif first == "总书记":
            return Context("中国", "", p.name, "")
        else:
            base = self.doc_ctx
        return Context(base.region, base.region_code, f"{first}{p.name}" if first else p.name, base.key_code)

    # ---------------------------------------------------------- sections
    def _build(self) -> None:
        text = self.text
        reg = self.reg
        v = vocab()
        subtitle = v["re_subtitle"]
        byline = v["re_byline"]
        starts, ctxs = [0], [self.doc_ctx]
        self.section_keys: list[tuple[Context, list[str]]] = []
        pos = 0
        for line in text.split("\n"):
            lstart = pos
            pos += len(line) + 1
            stripped = line.strip()
            if not stripped:
                continue
            new = None
            m = subtitle.match(line)
            colon = stripped.find(":", 1, 6)
            if colon > 0 and stripped[:colon] in self.person_ctx:
                # "王建国:…" in a 记者/区长 Q&A: the answer, up to the next speaker, is the
                # interviewee's
                new = self.person_ctx[stripped[:colon]]
            elif m:
                person = self.people.get(m.group("name"))
                titles = _LIST_SEP.split(m.group("titles"))
                new = self._org_context(titles) or (self.person_ctx.get(m.group("name")) if person else None)
                if new is not None:
                    new = Context(new.region, new.region_code, new.actor or new.region, new.key_code)
                    self.section_keys.append((new, self._keys(titles, new)))
            elif (m := _SUBTITLE_LOOSE.match(line)) is not None:
                new = self._loose_subtitle(m.group("rest"))
            elif (m := _PLACE_MARK.match(line)) is not None and reg is not None and (
                    ctx := self._place_mark(m.group("a") or m.group("b"))) is not None:
                new = ctx
            elif byline.match(line):
                new = self.doc_ctx
                starts.append(pos)
                ctxs.append(new)
                continue
            elif len(stripped) <= 40 and not _SENTENCE_END.search(stripped):
                compact = _SPACES.sub("", stripped)
                if reg is not None and len(compact) <= 3:  # a bare short name as a heading ("江 阴")
                    new = self._short_place(compact)
                if new is None and reg is not None and 2 <= len(compact) <= 14 and _PLACE_HEADING.search(compact):
                    name = _PAREN_TAIL.sub("", compact)
                    r = self._resolve_org(name)
                    if r is not None and r.name.startswith(name[:2]) or (r is not None and name in r.aliases):
                        new = context_for(r)
                        new = Context(new.region, new.region_code, new.region, new.key_code)
                    elif r is None:
                        new = self._composite(name)
                if new is None and _PROVINCE_WORDS.search(stripped) and self.province is not None:
                    new = context_for(self.province)
                elif new is None and _CITY_WORDS.search(stripped):
                    new = self.doc_ctx
            if new is not None:
                starts.append(lstart)
                ctxs.append(new)
        self._starts, self._ctxs = starts, ctxs
        # speakers
        self._speakers: list[tuple[int, Context]] = []
        rx = speaker_pattern(self.people)
        if rx is not None:
            for m in rx.finditer(text):
                ctx = self.person_ctx.get(m.group("name"))
                if ctx is not None:
                    self._speakers.append((m.start(), ctx))
        self._speaker_pos = [s for s, _ in self._speakers]
        self._para_override: dict[int, Context] = {}
        self._inline = self._inline_subjects()
        self._inline_pos = [a for a, _b, _c in self._inline]

    _place_cache: dict[tuple[str, str], Context | None] = {}

    def _place(self, name: str) -> Context | None:
        """Context of a place name known to the registry or composed under one it knows."""
        key = (self.doc_region.code if self.doc_region is not None else "", name)
        if key not in self._place_cache:
            if len(self._place_cache) > 50_000:
                self._place_cache.clear()
            self._place_cache[key] = self._place_uncached(name)
        return self._place_cache[key]

    def _place_uncached(self, name: str) -> Context | None:
        r = self._resolve_org(name)
        if r is not None and (r.name.startswith(name[:2]) or name in r.aliases):
            ctx = context_for(r)
            # a zone goes by its own name as the text writes it (淮安经济技术开发区, 淮安经开区)
            region = name if r.level == "zone" and len(name) >= 4 else ctx.region
            return Context(region, ctx.region_code, region, ctx.key_code)
        if r is None:
            return self._composite(name)
        return None

    def _place_mark(self, name: str) -> Context | None:
        if NOT_SUBJECT.match(name):
            return None
        if not _PLACE_HEADING.search(name):
            return self._short_place(name)  # "杭州:…", a heading "江 阴"
        return self._place(name)

    def _short_place(self, name: str) -> Context | None:
        """A city or county named by its short form alone ("江阴", "杭州")."""
        if not 2 <= len(name) <= 3:
            return None
        r = self._resolve_org(name)
        if r is None or r.level not in ("province", "prefecture", "county") or r.short_name != name:
            return None
        ctx = context_for(r)
        return Context(ctx.region, ctx.region_code, ctx.region, ctx.key_code)

    def _loose_subtitle(self, rest: str) -> Context | None:
        for piece in _offices_first(_LIST_SEP.split(rest)):
            org = _ORG_CHAIN.match(piece.strip()).group(0)
            if len(org) >= 2:
                ctx = self._place(org)
                if ctx is not None:
                    return ctx
        return None

    def _inline_subjects(self) -> list[tuple[int, int, Context]]:
        """Sentences opened by a place name are about that place, up to the sentence end."""
        if self.reg is None:
            return []
        out: list[tuple[int, int, Context]] = []
        text = self.text
        lead = _lead_verbs()
        for m in _inline_matches(text):
            name = m.group("name")
            a = m.start("name")
            verb = lead.match(name)
            if verb is not None and len(name) - verb.end() >= 2:  # "支持合德镇…": the place after the verb
                name, a = name[verb.end():], a + verb.end()
            if NOT_SUBJECT.match(name) or _ORGAN_AFTER.match(text, m.end("name")):
                continue  # "海安市委常委、…书记X表示": an official's title, his own words decide
            ctx = self._place(name)
            if ctx is None:
                continue
            end = _SUBJECT_END.search(text, a)
            b = end.start() if end else len(text)
            if out and out[-1][1] > a:  # the next place named ends the previous one's scope
                out[-1] = (out[-1][0], a, out[-1][2])
            out.append((a, b, ctx))
        bare = []
        taken = {a for a, _b, _c in out}
        province = self.doc_region.code[:2] if self.doc_region is not None else "32"
        bare_rx = _bare_subject(self.reg, province)
        for m in bare_rx.finditer(text) if bare_rx is not None else ():
            name = m.group("name") or m.group("whole")
            a = m.start("name") if m.group("name") else m.start("whole")
            if a in taken or NOT_SUBJECT.match(name) or _ORGAN_AFTER.match(text, a + len(name)):
                continue
            r = self._resolve_org(name)
            # short forms are ordinary words too ("新建"): only places of the document's province
            if r is None or r.level not in _BARE_LEVELS or r.short_name != name or \
                    r.code[:2] != province:
                continue
            ctx = context_for(r)
            end = _SUBJECT_END.search(text, a)
            bare.append((a, end.start() if end else len(text), Context(ctx.region, ctx.region_code, ctx.region, ctx.key_code)))
        if bare:
            out = sorted(out + bare, key=lambda t: t[0])
            for i in range(len(out) - 1):  # the next place named ends the previous one's scope
                if out[i][1] > out[i + 1][0]:
                    out[i] = (out[i][0], out[i + 1][0], out[i][2])
        return out

    def _keys(self, titles: list[str], ctx: Context) -> list[str]:
        generic, suffix = _titles()
        keys = set()
        for t in titles:
            org = suffix.sub("", suffix.sub("", t))
            if org and org not in generic and len(org) >= 2:
                keys.add(org[1:] if org[0] in "市区县省" and len(org) > 3 else org)
                for tail in ("高新区", "开发区", "经开区", "新区"):
                    if org.endswith(tail) and len(org) > len(tail):
                        keys.add(org[-len(tail) - 2:] if tail == "新区" else tail)
        if ctx.region and self.doc_region is not None and ctx.region != self.doc_ctx.region:
            keys.add(ctx.region.replace(self.doc_region.name, "").replace(self.doc_region.short_name, "") or ctx.region)
        return [k for k in keys if len(k) >= 2]

    def _override(self, para_start: int, para_end: int, current: Context) -> Context | None:
        if para_start in self._para_override:
            return self._para_override[para_start]
        para = self.text[para_start:para_end]
        own = next((keys for ctx, keys in self.section_keys if ctx == current), None)
        result = None
        if own is not None and not any(k in para for k in own):
            hits = [ctx for ctx, keys in self.section_keys if ctx != current and any(k in para for k in keys)]
            if len({h.region for h in hits}) == 1:
                result = hits[0]
        self._para_override[para_start] = result
        return result

    def inline_start(self, pos: int) -> int:
        """Start of the place opening the clause that covers ``pos`` ("…,苏州市入库2.3万家"), else -1."""
        k = bisect.bisect_right(self._inline_pos, pos) - 1
        return self._inline[k][0] if k >= 0 and pos < self._inline[k][1] else -1

    def at(self, pos: int) -> Context:
        k = bisect.bisect_right(self._inline_pos, pos) - 1
        if k >= 0 and pos < self._inline[k][1]:
            return self._inline[k][2]
        i = bisect.bisect_right(self._starts, pos) - 1
        ctx = self._ctxs[max(i, 0)]
        para_start = self.text.rfind("\n", 0, pos) + 1
        j = bisect.bisect_right(self._speaker_pos, pos) - 1
        if j >= 0 and self._speaker_pos[j] >= para_start:
            return self._speakers[j][1]
        if self.section_keys:
            para_end = self.text.find("\n", pos)
            para_end = len(self.text) if para_end < 0 else para_end
            # a paragraph opened by a speaker later in it still belongs to that speaker
            k = bisect.bisect_left(self._speaker_pos, para_start)
            if k < len(self._speaker_pos) and self._speaker_pos[k] < para_end:
                return self._speakers[k][1]
            over = self._override(para_start, para_end, ctx)
            if over is not None:
                return over
        return ctx
