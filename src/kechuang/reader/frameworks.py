"""Named or numbered policy structures: “一中心一基地一枢纽”, “51010”, “5+2”, “876”(…), “1+N”,
“三步走”, “双招双引”, 23条重点产业链 — and not quoted slogans, ranks or manners of work
(“六连冠”, “十佳”, “一对一”, “产业+科创”).

A framework is found in quotes when its name is numbered (Chinese numerals used as counters, 双,
digit codes, "+" structures with at least one numbered part), or unquoted when a counted noun
names a structure (五大攻坚行动, 23条重点产业链). Its expansion is taken, in this order, from
brackets right after it, a clause introduced by ":", "——" or "即", an enumeration 一是…二是…,
a list right before it or in the next clause whose length is the number the name counts, or a
list anywhere in the document whose items end with the name's nouns (一中心一基地一枢纽).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"
HAN = r"\u4e00-\u9fff"
NUM = "一二两三四五六七八九十百千双"
VALUE = {"一": 1, "二": 2, "两": 2, "双": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_STOP = ",;。!?:\n"
_GROUP_HEADS = re.compile(rf"[{NUM}多](?=[{HAN}])")
_N_GE_N = re.compile(rf"[{NUM}]个[{NUM}]")
_NUMERAL = re.compile(rf"[{NUM}]")
_EDGE_QUOTES = re.compile(r"^[“‘]|[”’]$")
_BRACKETED = re.compile(r"[((\[][^()()\[\]]*[))\]]")
_BRACKET_OPEN = re.compile(rf"[{HAN}]{{0,8}}[ \t]*[(\[]")
_INTRO = re.compile(rf"[{HAN}]{{0,8}}(?:——|:|:|,即|,即)")
_NEXT_CLAUSE = re.compile(rf"[{HAN}]{{0,8}}[,,]")
_GROUP_NOUNS = re.compile(rf"[{NUM}多]([{HAN}]{{1,3}}?)(?=[{NUM}多]|$)")
_CODED = re.compile(r"\d|[A-Za-z]")
_TRAILING_DE = re.compile(r"的$")
_PROVINCE_BEFORE = re.compile(r"(?:全省|省|江苏省|江苏)$")
_CITY_BEFORE = re.compile(r"(?:全市|我市)$")
_SENTENCE_MARK = re.compile(r"[。!?]")
_NON_SPACE = re.compile(r"\S")
_DIGIT = re.compile(r"\d")
_DIGIT_OR_PLUS = re.compile(r"[\d+]")


@lru_cache(maxsize=1)
def spec() -> dict:
    s = yaml.safe_load((DATA_DIR / "frameworks.yaml").read_text(encoding="utf-8"))
    cls = "".join(s["classifiers"])
    heads = "|".join(sorted(s["unquoted_heads"], key=len, reverse=True))
    s["re_quoted"] = re.compile(r"[“‘\"](?P<name>[^“”‘’\"\n]{1,14})[”’\"]")
    s["re_groups"] = re.compile(rf"(?:[{NUM}多][{HAN}]{{1,3}}?){{2,}}")
    s["re_counted"] = re.compile(rf"[{HAN}]{{0,6}}?[{NUM}]+[{cls}][{HAN}]{{0,6}}")
    s["re_double"] = re.compile(rf"双[{HAN}]{{1,4}}")
    s["re_code"] = re.compile(r"[A-Za-z]?\d{3,}[A-Za-z]?|[A-Z]\d{2,}")
    s["re_numbered"] = re.compile("|".join(f"(?:{s[k].pattern})" for k in ("re_code", "re_groups", "re_counted", "re_double")))
    s["re_part"] = re.compile(rf"\d{{1,2}}|[A-Za-z]|[{NUM}]")
    # "(?<![\d{NUM}])" checked after the first character: a pattern opening with a character
    # class is scanned much faster than one opening with a lookbehind (same matches)
    s["re_unquoted"] = re.compile(
        rf"(?P<name>[\d{NUM}](?<![\d{NUM}].)(?:(?<=\d)\d*条|(?<=[{NUM}])[{NUM}]*(?:大|个|篇|件|项))"
        rf"[{HAN}]{{0,6}}?(?:{heads}))")
    s["re_after_quotes"] = re.compile(rf"[”’](?P<name>双[{HAN}]{{2,3}}|[二两三四五六七八九十][个大][{HAN}]{{1,4}})(?=[,。;、\s])")
    s["re_corridor"] = re.compile(rf"(?P<name>[A-Z](?<![A-Za-z\d“].)\d{{2,4}}[{HAN}]{{2,6}}?(?:走廊|大道|通道|工程))")
    s["re_not"] = re.compile("|".join(f"(?:{p})" for p in s["not_patterns"]))
    s["not_exact"] = set(s["not_exact"])
    s["national"] = set(s["national"])
    s["re_lead_end"] = re.compile("(?:" + "|".join(s["lead_words"]) + ")$")
    s["re_lead"] = re.compile("^(?:" + "|".join(sorted(s["lead_words"], key=len, reverse=True)) + ")")
    return s


# ------------------------------------------------------------------ what is a framework

def _is_numbered(name: str) -> bool:
    s = spec()
    if name in s["not_exact"] or s["re_not"].search(name):
        return False
    return s["re_numbered"].fullmatch(name) is not None


def framework_name(quoted: str) -> str | None:
    """The framework named by a quoted phrase, or None: "1+N" → "1+N", "新三样+多元化" → "新三样",
    "产业+科创" → None, "六连冠" → None."""
    name = quoted.strip()
    if "+" in name:
        parts = [p for p in name.split("+")]
        if all(spec()["re_part"].fullmatch(p) for p in parts) and len(parts) >= 2:
            return name  # 5+2, 1+N, 3+3+N, A+B+X
        numbered = [p for p in parts if p and _is_numbered(p)]
        return numbered[0] if numbered else None
    return name if _is_numbered(name) else None


def implied_count(name: str) -> int | None:
    """How many items the name announces: "三件事" 3, "双链融合" 2, "1+N" 2, "一主两特" 2."""
    if "+" in name:
        return len(name.split("+"))
    groups = _GROUP_HEADS.findall(name)
    if spec()["re_groups"].fullmatch(name) and len(groups) >= 2 and not _N_GE_N.search(name):
        return len(groups)
    m = _NUMERAL.search(name)
    if m and "次" not in name:
        return VALUE.get(m.group(0))
    return None


# ------------------------------------------------------------------ expansions

def _strip_lead(item: str) -> str:
    rx = spec()["re_lead"]
    for _ in range(4):
        new = rx.sub("", item)
        if new == item or len(new) < 2:
            break
        item = new
    return item


def _tidy(items: list[str]) -> list[str]:
    items = [_EDGE_QUOTES.sub("", i.strip()) for i in items]
    items[0] = _strip_lead(items[0])
    items[-1] = re.sub(r"(?:等|的)[{}]*$".format(HAN), "", items[-1]) if re.search(r"等", items[-1]) else re.sub(r"的$", "", items[-1])
    items = [i.strip("‘’“”") for i in items]
    return items


def _split(seg: str, n: int) -> list[str] | None:
    """Items of a list of exactly n (、 first, then 、和及与), brackets ignored."""
    flat = _BRACKETED.sub(lambda m: "\0" * len(m.group(0)), seg)
    for seps in ("、", "、和及与"):
        cuts = [i for i, c in enumerate(flat) if c in seps]
        if len(cuts) + 1 == n:
            bounds = [-1, *cuts, len(seg)]
            items = [seg[a + 1:b] for a, b in zip(bounds, bounds[1:])]
            if all(len(i.strip()) >= 2 for i in items):
                return items
    return None


def bracket_span(text: str, e: int) -> tuple[int, int] | None:
    """Span of the bracket right after a name ("“876”创新引领工程(…)"), nested brackets allowed."""
    m = _BRACKET_OPEN.match(text[e:e + 12])
    if not m:
        return None
    i, depth, start = e + m.end() - 1, 0, e + m.end()
    while i < len(text) and i < e + 400:
        c = text[i]
        depth += c in "([" 
        depth -= c in ")]"
        if depth == 0:
            return start, i
        i += 1
    return None


def _after_bracket(text: str, e: int) -> str:
    span = bracket_span(text, e)
    if span is None:
        return ""
    inner = re.sub(r"\s+", "", text[span[0]:span[1]])
    return inner.replace("[", "(").replace("]", ")").replace(",", ";").replace(",", ";")


def _after_intro(text: str, e: int) -> str:
    """“三步走”目标——…  /  “三大工程”:…  /  …布局建设,即…"""
    m = _INTRO.match(text[e:e + 14])
    if not m:
        return ""
    rest = text[e + m.end():e + m.end() + 300]
    end = re.search(r"[。;\n]" if not m.group(0).endswith("——") else r"[,。;\n]", rest)
    body = rest[:end.start()] if end else ""
    if "、" not in body and "," not in body:
        return ""
    return re.sub(r"\s+", "", body).replace(",", ";").replace(",", ";")


def _enumeration(text: str, e: int, n: int) -> str:
    """“四个方面” … 一是明确创新方向,… 二是培育创新主体,…"""
    window = text[e:e + 1500]
    firsts = "一二三四五六七八九十"
    items = []
    for k in range(n):
        m = re.search(rf"{firsts[k]}是([^,。;:\n]{{2,30}})", window)
        if not m or (k == 0 and m.start() > 200):
            break
        items.append(m.group(1))
        window = window[m.end():]
    if len(items) < max(2, (n + 1) // 2):  # the rest may be cut off in the copy we read
        return ""
    if re.search(rf"{firsts[n]}是" if n < len(firsts) else "$^", window[:600]):
        return ""
    return "、".join(items)


def _before_list(text: str, s: int, n: int, coded: bool) -> str:
    if s == 0 or text[s - 1] in "、,和及与" + _STOP:
        return ""
    a = max(s - 120, 0, *(text.rfind(c, max(s - 120, 0), s) + 1 for c in _STOP))
    items = _split(text[a:s], n)
    if items and spec()["re_lead_end"].search(items[-1]):
        return ""  # "是市委、市政府立足两个大局": the list is the subject, not the content
    if not items or any(re.search(r"[“”‘’]", i[1:]) and not i.endswith(("”", "’")) for i in items[:-1]):
        return ""
    if coded and not all("为" in i for i in items):
        return ""
    items = _tidy(items)
    return "、".join(items) if all(len(i) >= 2 for i in items) else ""


def _next_clause_list(text: str, e: int, n: int) -> str:
    m = _NEXT_CLAUSE.match(text[e:e + 12])
    if not m:
        return ""
    start = e + m.end()
    end = start
    while end < len(text) and text[end] not in _STOP and end - start < 120:
        end += 1
    items = _split(text[start:end], n)
    if not items or any(re.search(r"[“”‘’]", i) for i in items):
        return ""
    items = _tidy(items)
    return "、".join(items) if all(len(i) >= 2 for i in items) else ""


@lru_cache(maxsize=256)
def _noun_list_rx(nouns: tuple[str, ...]) -> re.Pattern:
    return re.compile("、".join(rf"([^、,。;:\n“”]{{1,24}}?{re.escape(n)})" for n in nouns))


def _noun_list(text: str, name: str) -> str:
    """一中心一基地一枢纽 ↔ "…创新中心、…制造业基地、…开放枢纽" anywhere in the document."""
    nouns = _GROUP_NOUNS.findall(name)
    if len(nouns) < 2:
        return ""
    # every noun but the last is followed by "、" somewhere, or there is no such list; the
    # first noun starts at most 24 characters after the match does
    first = text.find(nouns[0] + "、")
    if first < 0 or any(n + "、" not in text for n in nouns[1:-1]) or nouns[-1] not in text:
        return ""
    m = _noun_list_rx(tuple(nouns)).search(text, max(0, first - 24))
    if not m:
        return ""
    items = _tidy(list(m.groups()))
    return "、".join(items)


def expansion(text: str, name: str, s: int, e: int) -> str:
    """The spelled-out content of the framework quoted at text[s:e], or ""."""
    got = _after_bracket(text, e) or _after_intro(text, e)
    if got:
        return got
    n = implied_count(name)
    coded = bool(_CODED.search(name))
    if n and 2 <= n <= 10:
        got = (_enumeration(text, e, n) if not coded else "") or _before_list(text, s, n, coded) or \
            (_next_clause_list(text, e, n) if not coded else "")
        if got:
            return got
    return "" if coded else _noun_list(text, name)


# ------------------------------------------------------------------ regions

_place_hits: dict[tuple, list] = {}


def _places_in(reg, before: str) -> list:
    """reg.find_in_text(before), remembered per registry and string (short, recurring)."""
    key = (reg, before)
    hits = _place_hits.get(key)
    if hits is None:
        if len(_place_hits) > 20_000:
            _place_hits.clear()
        hits = _place_hits[key] = reg.find_in_text(before)
    return hits


def _region(text: str, name: str, s: int, sections) -> str:
    if name in spec()["national"]:
        return ""
    if sections is None:
        return ""
    from .sections import context_for, display_name

    a = s
    while a > 0 and text[a - 1] not in _STOP + "、" and s - a < 10:
        a -= 1
    before = _TRAILING_DE.sub("", text[a:s])
    if _PROVINCE_BEFORE.search(before) and sections.province is not None:
        return context_for(sections.province).region
    if sections.reg is not None and before:
        # a place named right before the quote: 常州“532”, 南京市“2+6+6”
        for start, _end, r in sorted(_places_in(sections.reg, before), key=lambda h: -h[0]):
            rest = before[start:]
            if r.level in ("province", "prefecture", "county") and (
                    r.name.startswith(rest) or rest == r.short_name or rest in (r.aliases or ())):
                return display_name(r)
            break
    doc = sections.doc_region
    if _CITY_BEFORE.search(before) and doc is not None:
        if doc.level == "county" and doc.name.endswith("区") and sections.reg is not None:
            parent = sections.reg.get(doc.parent_code)
            if parent is not None:
                return display_name(parent)
        return sections.doc_ctx.region
    ls = text.rfind("\n", 0, s) + 1
    le = text.find("\n", s)
    le = len(text) if le < 0 else le
    if le - ls <= 30 and not _SENTENCE_MARK.search(text[ls:le]):
        # a headline speaks for the section it opens (the interview subtitle below it)
        nxt = _NON_SPACE.search(text[le:le + 200])
        if nxt:
            return sections.at(le + nxt.start() + 1).region
    return sections.at(s).region


# ------------------------------------------------------------------ the scan

_CLAUSE_HEAD = re.compile(r"[^,;。!?、:\n]+$")
_CLAUSE_TAIL = re.compile(r"[^,;。!?、:\n]*")


def _clause(text: str, s: int, e: int) -> tuple[int, int]:
    m = _CLAUSE_HEAD.search(text, max(s - 20, 0), s)
    a = m.start() if m else s
    m = _CLAUSE_TAIL.match(text, e, min(e + 16, len(text)))
    b = m.end() if m else e
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def find_frameworks(text: str, sections=None) -> list[dict]:
    sp = spec()
    found: list[tuple[int, int, str, str]] = []  # (start, end, name, expansion)
    covered: list[tuple[int, int]] = []
    for m in sp["re_quoted"].finditer(text):
        name = framework_name(m.group("name"))
        if name is None:
            continue
        s, e = m.span()
        exp = expansion(text, name, s, e)
        found.append((s, e, name, exp))
        covered.append((s, e))
        span = bracket_span(text, e)
        if span is not None:
            covered.append(span)
    for rx in (sp["re_corridor"], sp["re_unquoted"]):
        for m in rx.finditer(text):
            s, e = m.span("name")
            if any(a <= s < b or a < e <= b for a, b in covered):
                continue
            name = m.group("name")
            if name[0] == "一":
                continue  # "一项系统工程": an article, not a structure
            if not _is_numbered(name) and rx is sp["re_unquoted"] and not _DIGIT.match(name):
                continue
            found.append((s, e, name, expansion(text, name, s, e) if not name[0].isdigit() else ""))
            covered.append((s, e))
    for m in sp["re_after_quotes"].finditer(text):
        # ‘项目投资’和‘科技创新’双轮驱动: unquoted, but spelled out by the quoted items before it
        s, e = m.span("name")
        name = m.group("name")
        if any(a <= s < b for a, b in covered) or not _is_numbered(name):
            continue
        exp = _before_list(text, s, implied_count(name) or 0, False)
        if exp:
            found.append((s, e, name, exp))
            covered.append((s, e))
    found.sort()
    out: dict[str, dict] = {}
    for s, e, name, exp in found:
        if name in out:
            if not out[name]["expansion"] and exp:
                out[name]["expansion"] = exp
            continue
        if not _DIGIT_OR_PLUS.search(name) and any(name in other and name != other for other in out):
            continue  # “一中心” after “一中心一基地一枢纽”
        a, b = _clause(text, s, e)
        out[name] = {"quote": text[a:b], "start": a, "end": b, "name": name,
                     "region": _region(text, name, s, sections), "expansion": exp}
    return list(out.values())
