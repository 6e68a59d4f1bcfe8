"""Named or numbered policy structures: “一中心一基地一枢纽”, “51010”, “5+2”, “876”(…), “1+N”, 23条重点产业链."""

from __future__ import annotations

import re

HAN = r"\u4e00-\u9fff"
CN = "一二两三四五六七八九十百千"

_QUOTED = re.compile(r"[“‘\"](?P<name>[^“”‘’\"\n]{1,14})[”’\"]")
# a quoted name is a framework when it is numbered: digits, "+", or Chinese numerals/双 used as counters
_NUMBERED = re.compile(
    rf"^(?:[A-Za-z]?\d[\dA-Za-z+]*|[\dA-Za-z]+(?:\+[\dA-Za-z]+)+|.*\+.*"
    rf"|(?:[{CN}双][{HAN}]{{1,3}}){{2,}}|[{CN}双两][个大项条件篇][{HAN}]{{1,6}}|双[{HAN}]{{1,4}}|[{CN}][{HAN}]{{1,4}})$")
_UNQUOTED = re.compile(
    rf"(?<![\d{CN}])(?P<name>(?:\d+条|[{CN}]+(?:大|个|篇|件))[{HAN}]{{0,6}}?(?:产业链|攻坚行动|行动|工程|大文章|文章|大局|之问|节点|方面|件事))")
_NOT = re.compile(r"^(?:一是|二是|三是|四是|一批|一步|一体|一流|一定|一系列|一起|一线|一样|一项|一个|一年|一次|一直|一些|一切|一道|一手|第[一二三四五六七八九十])")
_EXP_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,8}[\s]*[(\[]([^()\[\]]*(?:[\[(][^()\[\]]*[)\]][^()\[\]]*)*)[)\]]")
_SENT_PUNCT = "。;!?\n"


def _clause(text: str, s: int, e: int) -> tuple[int, int]:
    a = s
    while a > 0 and text[a - 1] not in ",;。!?、:\n" and s - a < 20:
        a -= 1
    b = e
    while b < len(text) and text[b] not in ",;。!?、:\n" and b - e < 16:
        b += 1
    return a, b


def _expansion(text: str, s: int, e: int) -> str:
    m = _EXP_AFTER.match(text[e:e + 400])
    if m:
        inner = m.group(1)
        return re.sub(r"\s+", "", inner).replace("[", "(").replace("]", ")").replace(",", ";")
    # a list right before the name: "股改上市、专精特新、高企培育“企业发展三件事”"
    head = text[max(0, s - 80):s]
    head = re.split(r"[,。;:!?\n]", head)[-1]
    head = re.sub(r"^[^、]*?(?:持续做好|做好|开展|实施|推进|围绕|聚焦|坚持|加强)", "", head)
    if "、" in head:
        return re.sub(r"(?:等|和|及)$", "", head.strip())
    return ""


def find_frameworks(text: str, sections=None) -> list[dict]:
    out = []
    seen_spans = []
    for m in _QUOTED.finditer(text):
        name = m.group("name").strip()
        if not _NUMBERED.match(name) or _NOT.match(name) or re.match(r"^\d+(?:\.\d+)?[%万亿千百]?$", name) and len(name) < 3:
            continue
        s, e = m.span()
        # a structure name runs on into its noun: “S333”科创走廊 is written S333科创走廊 without quotes too
        out.append(_make(text, name, s, e, sections))
        seen_spans.append((s, e))
    for m in re.finditer(rf"(?<![A-Za-z\d“])(?P<name>[A-Z]\d{{2,4}}[{HAN}]{{2,6}}?(?:走廊|大道|通道|工程))", text):
        s, e = m.span()
        if not any(a <= s < b for a, b in seen_spans):
            out.append(_make(text, m.group("name"), s, e, sections))
            seen_spans.append((s, e))
    for m in _UNQUOTED.finditer(text):
        s, e = m.span("name")
        if any(a <= s < b or a < e <= b for a, b in seen_spans) or _NOT.match(m.group("name")):
            continue
        if any(a <= s < b for a, b in _paren_spans(text, seen_spans)):
            continue
        out.append(_make(text, m.group("name"), s, e, sections))
    out.sort(key=lambda f: f["start"])
    # one entry per name (the first, with the first expansion found); parts of a larger name are dropped
    by_name: dict[str, dict] = {}
    for f in out:
        if f["name"].startswith("+"):
            continue
        if f["name"] in by_name:
            if not by_name[f["name"]]["expansion"] and f["expansion"]:
                by_name[f["name"]]["expansion"] = f["expansion"]
            continue
        if any(f["name"] in other and f["name"] != other for other in by_name):
            continue
        by_name[f["name"]] = f
    return list(by_name.values())


def _paren_spans(text: str, spans) -> list[tuple[int, int]]:
    out = []
    for _s, e in spans:
        m = _EXP_AFTER.match(text[e:e + 400])
        if m:
            out.append((e, e + m.end()))
    return out


def _make(text: str, name: str, s: int, e: int, sections) -> dict:
    a, b = _clause(text, s, e)
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    region = ""
    before = text[max(0, s - 3):s]
    if sections is not None:
        if re.search(r"省|全省", before) and sections.province is not None:
            from .sections import context_for

            region = context_for(sections.province).region
        else:
            region = sections.at(s).region
    return {"quote": text[a:b], "start": a, "end": b, "name": name, "region": region,
            "expansion": _expansion(text, s, e)}
