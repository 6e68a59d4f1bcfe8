"""Candidates: every number with a unit the grammar accepts (and ranks, tenths, doublings),
as ``Candidate`` records in text order; and the ones that are not statements of their own
(sizes of counted things, old values of "由A增至B")."""

from __future__ import annotations

import re
from decimal import Decimal

from .. import units
from .grammar import grammar
from .numbers import parse_number
from .positions import Positions
from .records import Candidate

_SIZE_GAP_VERB = re.compile(r"[达为至和及]|实现|完成")


def find_candidates(text: str, p: Positions) -> list[Candidate]:
    """The candidates of ``text`` sorted by where their number starts."""
    g = grammar()
    cands: list[Candidate] = []
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
        # (bare_from: "上百场", the indicator ends before 上)
        cands.append(Candidate(n0, n1, value, unit, cls, approx, c0, c1, cmp, bare_from))
    for m in g.rank.finditer(text):
        n0 = m.start("verb")
        value = parse_number(m.group("num"))
        if value is None:
            continue
        c0, c1 = p.clause_of(m.start("num"))
        cands.append(Candidate(n0, m.end(), value, "位", "rank", False, c0, c1))
    for m in g.rank_top.finditer(text):  # "居全省前三", "进入全市前十": within the top N
        value = parse_number(m.group("num"))
        if value is None:
            continue
        c0, c1 = p.clause_of(m.start("num"))
        cands.append(Candidate(m.start("verb"), m.end(), value, "位", "rank", False, min(c0, m.start("verb")), c1))
    for m in g.tenths.finditer(text):  # "超过两成", "四成以上" → 20 %, 40 %
        n0, n1 = m.start(), m.end()
        if not (g.tenths_before.search(text, max(0, n0 - 4), n0) or g.tenths_after.match(text, n1)):
            continue
        c0, c1 = p.clause_of(n0)
        if g.event.search(text, c0, c1):
            continue
        cands.append(Candidate(n0, n1, Decimal(parse_number(m.group("num")) * 10), "%", "ratio", False, c0, c1))
    for m in g.doubling.finditer(text):
        n = {"两": 4, "二": 4, "三": 8}.get(m.group("n") or "", 2)
        c0, c1 = p.clause_of(m.start())
        cands.append(Candidate(m.start(), m.end(), Decimal(n), "倍", "ratio", False, c0, c1))
    cands.sort(key=_start)
    return cands


def _start(c: Candidate) -> int:
    return c.n0


def dropped(text: str, cands: list[Candidate]) -> set[int]:
    """Indices of candidates that are not statements of their own."""
    return size_class(text, cands) | from_values(text, cands)


def size_class(text: str, cands: list[Candidate]) -> set[int]:
    """Indices of money/area amounts that qualify the size of a counted thing
    in the same clause ("20亿元项目1个", "超50亿元重大项目3个")."""
    drop = set()
    for i, a in enumerate(cands):
        if a.cls not in ("money", "area"):
            continue
        for b in cands[i + 1:i + 2]:
            if b.cls != "count" or b.c0 != a.c0:
                continue
            gap = text[a.n1:b.n0]
            if len(gap) <= 16 and not _SIZE_GAP_VERB.search(gap):
                drop.add(i)
    return drop



def from_values(text: str, cands: list[Candidate]) -> set[int]:
    """Old values of "由A增至B" pairs; B remembers where "由" stands."""
    g = grammar()
    drop = set()
    for i in range(len(cands) - 1):
        a, b = cands[i], cands[i + 1]
        if a.c0 != b.c0 or a.cls != b.cls or not g.from_to.match(text[a.n1:b.n0]):
            continue
        froms = list(g.from_word.finditer(text, a.c0, a.n0))
        if froms:
            drop.add(i)
            # with its own year ("提高到2023年的") the new value's kind and period are read there
            if g.from_to.match(text[a.n1:b.n0]).group("year"):
                b.ind_from = froms[-1].start()
            else:
                b.ctx_from = froms[-1].start()
    return drop

