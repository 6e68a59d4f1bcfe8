"""Finding region mentions in free text.

All names/aliases are compiled once into a single regular expression shaped
like a trie (shared prefixes factored out, longer continuations tried first),
so the C regex engine does the scanning and each match is the longest name
starting at that position.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING

from .registry import GENERIC, SHORT

if TYPE_CHECKING:
    from .model import Region
    from .registry import RegionRegistry

_HAN = "\u3400-\u9fff\uf900-\ufaff"
# whitespace between two Chinese characters ("梁 溪 区") is dropped before scanning
_INNER_SPACE = re.compile(rf"(?<=[{_HAN}])[ \t\u3000\u00a0]+(?=[{_HAN}])")


def _trie_pattern(keys: list[str]) -> str:
    trie: dict = {}
    for k in keys:
        node = trie
        for ch in k:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:  # the name may stop here; trying the longer continuation first
            return "(?:" + body + ")?" if len(branches) > 1 or len(body) > 1 else body + "?"
        return body

    return emit(trie)


class Scanner:
    def __init__(self, reg: RegionRegistry):
        stop = reg.text_stoplist
        keys = [k for k in reg._index if len(k) >= 2 and k not in stop]
        self.pattern = re.compile(_trie_pattern(keys))


def _is_person(reg: RegionRegistry, text: str, start: int, end: int) -> bool:
    if start == 0 or text[start - 1] not in reg.person_surnames:
        return False
    return text.startswith(reg.person_verbs, end)


def scan(reg: RegionRegistry, scanner: Scanner, text: str, scope: Region | None) -> list[tuple[int, int, Region]]:
    if not text:
        return []
    # positions in the space-stripped text and the total width removed up to each
    cuts: list[int] = []
    removed: list[int] = []
    pieces: list[str] = []
    last = clean_len = total = 0
    for m in _INNER_SPACE.finditer(text):
        pieces.append(text[last : m.start()])
        clean_len += m.start() - last
        total += m.end() - m.start()
        cuts.append(clean_len)
        removed.append(total)
        last = m.end()
    clean = "".join(pieces) + text[last:] if cuts else text

    def orig(pos: int, is_end: bool) -> int:
        # a start maps past a removed gap at the same position, an end before it
        i = bisect_right(cuts, pos) if not is_end else bisect_left(cuts, pos)
        return pos + (removed[i - 1] if i else 0)

    province = None
    if scope is not None:
        province = scope if scope.parent_code is None else reg.ancestors(scope.code)[0]
    out: list[tuple[int, int, Region]] = []
    for m in scanner.pattern.finditer(clean):
        key = m.group()
        entries = reg._index.get(key)
        if not entries:
            continue
        best = min(entries.values())
        if best == GENERIC and scope is None:
            continue
        region = reg._resolve_key(key, scope)
        if region is None:
            continue
        if best >= SHORT and len(key) == 2:
            # two-character short names of counties/towns are too often common
            # words (新平, 同心, 振兴): only taken inside the scope's province
            if region.level in ("county", "town", "zone") and not (
                province is not None and reg.is_within(region.code, province.code)
            ):
                continue
            if _is_person(reg, clean, m.start(), m.end()):
                continue
        s, e = m.start(), m.end()
        if cuts:
            s, e = orig(s, False), orig(e, True)
        if out and out[-1][1] == s and reg.is_within(region.code, out[-1][2].code) and region.code != out[-1][2].code:
            # a chain such as 无锡市梁溪区 / 高邮市卸甲镇 is one mention of the deepest unit
            s = out.pop()[0]
        out.append((s, e, region))
    return out
