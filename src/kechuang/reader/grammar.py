"""The reader's grammar: the vocabulary of grammar.yaml compiled once into the patterns the
statement finder uses (units, number forms, kind markers, period words, comparators)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from .. import units
from .numbers import CN_NUMERAL_CHARS

DATA_DIR = Path(__file__).parent / "data"


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


def _guard(words) -> str:
    """A lookahead on the possible first characters of ``words`` (plain words or simple patterns)."""
    firsts = {w[0] for w in words}
    if any(not ("\u4e00" <= ch <= "\u9fff") for ch in firsts):
        return ""
    return f"(?=[{''.join(sorted(firsts))}])"


@lru_cache(maxsize=1)
def grammar() -> "Grammar":
    return Grammar(yaml.safe_load((DATA_DIR / "grammar.yaml").read_text(encoding="utf-8")))


class Grammar:
    """Compiled patterns built from data/grammar.yaml."""

    def numbers(self, text: str):
        """The matches of ``number`` in ``text`` (same as ``number.finditer``)."""
        match, end = self.number.match, 0
        for m in self.number_start.finditer(text):
            s = m.start()
            if s >= end and (hit := match(text, s)) is not None:
                end = hit.end()
                yield hit

    def __init__(self, spec: dict):
        self.spec = spec
        # unit words, their classes, prefixes and multipliers: the unit registry (units.yaml)
        self.unit_class = units.reader_units()
        # the unit character starting an ordinary word instead ("项目", "所以", "家庭")
        self.not_unit = {str(u): str(chars) for u, chars in spec["not_unit_before"].items()}
        self.cn_end_units = set(map(str, spec["cn_numeral_clause_end_units"]))
        strange = sorted((set(self.not_unit) | self.cn_end_units) - set(self.unit_class))
        if strange:
            raise units.UnitError(f"grammar.yaml:单位 {'、'.join(strange)} 不在单位表 units.yaml 的可读单位中")
        # 万美元/亿元 are built from the multiplier + 元/美元, so the plain forms suffice here.
        unit_re = _alt(self.unit_class)
        prefix_re = _alt(units.prefixes())
        mult_re = _alt(units.multipliers())
        num_ar = r"\d+(?:,\d{3})*(?:\.\d+)?"
        num_cn = rf"[一二两三四五六七八九十][{CN_NUMERAL_CHARS}]*"
        # bare 百/千 ("近百个", "千余家"); accepted in code only after an approximating word
        num_bare = rf"[百千](?=[余多{''.join(units.prefixes())}]|[\u4e00-\u9fff%])"
        rng = _alt(re.escape(w) for w in spec["range_separators"])
        starts = r"\d一二两三四五六七八九十百千"
        not_after = rf"A-Za-z0-9.+\-/_#第{CN_NUMERAL_CHARS}"
        # where a number may start: a character class first, so the engine skips to it quickly
        # (``numbers()`` matches ``number`` only there)
        self.number_start = re.compile(rf"[{starts}](?<![{not_after}].)")
        self.number = re.compile(
            rf"(?=[{starts}])(?<![{not_after}])"
            rf"(?:(?P<lo>{num_ar}|{num_cn})(?P<lomult>{prefix_re})?(?P<lounit>{unit_re})?\s*(?:{rng})\s*)?"
            rf"(?P<num>{num_ar}|{num_cn}|{num_bare})(?P<q1>余|多)?(?P<mult>{mult_re})?(?P<q2>余|多)?"
            rf"(?P<unit>{unit_re})"
            r"(?!个?月|个?工作日|个?小时|[A-Za-z0-9+])"
        )
        self.rank = re.compile(
            r"(?P<verb>位列|位居|名列|排名|排在|跃居|稳居|居于|居|列)(?P<scope>[\u4e00-\u9fff“”\"()、]{0,12}?)"
            r"第(?P<num>[一二三四五六七八九十]+|\d+)(?:位|名)?(?![\u4e00-\u9fff]{0,1}(?:方阵|动力|支撑|要务|责任|资源|生产力|梯队|方队|批|次|届|个|轮|阶段|步|流))"
        )
        self.doubling = re.compile(r"翻(?:了)?(?P<n>一|两|二|三)?番")
        cmp = spec["comparator"]
        self.cmp_before = [(op, re.compile(rf"(?:{_alt(d['before'])})$")) for op, d in cmp.items()]
        self.cmp_after = [(op, re.compile(rf"^(?:{_alt(d['after'])})")) for op, d in cmp.items()]
        self.cn_verbs = re.compile(rf"(?:{_alt(spec['cn_numeral_verbs'])})$")
        self.cn_award = re.compile(rf"^企业(?:{_alt(spec['cn_numeral_award_verbs'])})")
        self.bare_before = [(op, re.compile(rf"(?:{_alt(ws)})$")) for op, ws in spec["bare_hundred_before"].items()]
        # "由2020年的2.31%提高到2023年的2.68%": the new value may carry its own year
        self.from_to = re.compile(rf"^的?\s*(?:{_alt(spec['to_verbs'])})\s*(?P<year>(?:19|20)\d\d年(?:底|末)?的?)?\s*$")
        # "超过两成", "四成以上": tenths as a percentage, after or before these words only
        self.tenths = re.compile(r"(?<![一二两三四五六七八九十百千万\d])(?P<num>[一二两三四五六七八九])成")
        self.tenths_before = re.compile(rf"(?:{_alt(spec['tenths_before'])})$")
        self.tenths_after = re.compile(rf"(?:{_alt(spec['tenths_after'])})")
        self.grant = re.compile(_alt(spec["grant_words"]))
        self.from_word = re.compile(rf"(?:{_alt(spec['from_words'])})")
        self.growth = re.compile(rf"(?:{_alt(spec['growth_verbs'])})$")
        self.growth_ref = re.compile(rf"^(?:{_alt(spec['growth_refs'])})")
        self.whole_year = set(spec["whole_year_words"])
        self.this_year_words = set(spec["period_words"]["this_year"]) | self.whole_year
        self.report_words = self.this_year_words | set(spec["section_report_words"])
        self.event = re.compile(_alt(spec["event_words"]))
        self.comparison_base = "".join(spec["comparison_base_before"])
        km = spec["kind_markers"]
        self.kind_strong = re.compile(_guard(km["target"] + km["achievement"]) + "(?:" +
            "|".join([f"(?P<t>{_alt(km['target'])})", f"(?P<a>{_alt(km['achievement'])})"]) + ")")
        self.kind_weak = re.compile(_guard(km["target_weak"] + km["achievement_weak"]) + "(?:" +
            "|".join([f"(?P<t>{_alt(km['target_weak'])})", f"(?P<a>{_alt(km['achievement_weak'])})"]) + ")")
        # the same markers as one flat alternation (target words first, as above): a pattern that
        # opens with plain words lets the regex engine skip to their first characters
        self.strong_scan = _MarkerScan(km["target"], km["achievement"])
        self.weak_scan = _MarkerScan(km["target_weak"], km["achievement_weak"])
        self.completion_rate = re.compile(rf"(?:{_alt(spec['completion_rate_before'])})$")
        self.base_value = re.compile(rf"(?:{_alt(spec['base_value_before'])})$")
        self.year_attribute = re.compile(rf"度?(?:{_alt(spec['year_attribute_after'])})")
        pw = spec["period_words"]
        period_first = "12" + "".join(sorted({w[0] for v in pw.values() for w in v}))
        self.period = re.compile(
            rf"(?=[{period_first}])(?:" r"(?:(?P<span>(?:19|20)\d\d)\s*[—\-–~～至到]\s*)?(?P<year>(?:19|20)\d\d)年(?P<end>底|末|前)?(?!\d{0,2}月\d{0,2}日[^,。;]{0,6}(?:召开|举行))"
            + "".join(f"|(?P<{k}>{_alt(v)})" for k, v in pw.items()) + ")"
        )
        # the same matches without groups and opening with literals (fast scan); each hit is
        # matched again with ``period`` at its start for the groups
        year_tail = (r"\d\d年(?:底|末|前)?(?!\d{0,2}月\d{0,2}日[^,。;]{0,6}(?:召开|举行))")
        span = r"\d\d\s*[—\-–~～至到]\s*(?:19|20)" + year_tail
        self.period_scan = re.compile("|".join(
            [f"19{span}", f"20{span}", f"19{year_tail}", f"20{year_tail}"] + [_alt(v) for v in pw.values()]))
        strip = spec["indicator_strip"]
        sh = spec["section_headings"]
        self.heading_cue = re.compile(f"(?P<a>{_alt(sh['achievement'])})|(?P<t>{_alt(sh['target'])})")
        tc = spec["table_columns"]
        self.table_col = {w: k for k, ws in (("achievement", tc["achievement"]), ("target", tc["target"])) for w in ws}
        self.table_header = re.compile(_alt(self.table_col))
        # "完成值/目标值/完成率" and rows "指标：86家/100家/86%" (one value per column)
        col = _alt(self.table_col)
        self.slash_header = re.compile(rf"(?:{col})(?:[ \t]*/[ \t]*(?:{col}))+")
        val = rf"\d+(?:\.\d+)?(?:{prefix_re})?(?:{unit_re})"
        self.slash_row = re.compile(
            rf"[ \t]*(?P<name>[^\s:：/\d][^\n:：/]{{1,30}}?)[ \t]*[:：][ \t]*(?P<vals>{val}(?:[ \t]*/[ \t]*{val})+)[ \t]*")
        self.slash_value = re.compile(rf"(?P<num>\d+(?:\.\d+)?)(?P<unit>(?:{prefix_re})?(?:{unit_re}))")
        self.commend = re.compile(_alt(spec["commendation_words"]))
        self.report_title = re.compile(_alt(spec["report_title_words"]))
        self.present_event = re.compile(_alt(spec["present_event_words"]))
        self.project_size = re.compile(rf"(?:{_alt(spec['project_size_words'])})$")
        self.rank_top = re.compile(
            r"(?P<verb>位列|位居|名列|排名|排在|跃居|稳居|居于|居|列|进入|跻身|挺进|迈入)"
            r"(?P<scope>[\u4e00-\u9fff“”\"()()、]{0,12}?)前(?P<num>[一二三四五六七八九十]|\d{1,2})(?:位|名|强)?"
            r"(?![一二三四五六七八九十\d]|季度|个|月|年|天|周|批|列)")
        self.breakdown = re.compile(rf"[ \t]*(?:{_alt(re.escape(w) for w in spec['breakdown_words'])})")
        self.goal_value = re.compile(rf"(?:{_alt(spec['goal_value_before'])})$")
        self.growth_markers = set(spec["growth_markers"])
        self.goal_word = re.compile(rf"(?:{_alt(spec['goal_words'])})")
        self.goal_verb = re.compile(_alt(spec["goal_verbs"]))
        self.goal_before = re.compile(rf"(?:{_alt(spec['goal_words'])})$")
        self.this_year_rx = re.compile(rf"(?:{_alt(pw['this_year'])})")
        self.threshold_after = re.compile(rf"(?:{_alt(spec['threshold_after'])})")
        self.lead_strip = re.compile(rf"^(?:(?:{_alt(strip['leading'])})|[\s“”\"‘’'(),、])+")
        self.trail_strip = re.compile(rf"(?:(?:{_alt(strip['trailing'])})|[\s“”\"‘’'(),、])+$")


class _MarkerScan:
    """Kind markers ("力争", "完成…目标") found with one flat alternation; which list a hit
    belongs to is read from the matched word, or for pattern entries by matching the
    target list at the hit (target words take precedence, as in the grouped pattern)."""

    def __init__(self, target: list[str], achievement: list[str]):
        self.rx = re.compile(f"{_alt(target)}|{_alt(achievement)}")
        self.target_rx = re.compile(f"(?:{_alt(target)})")
        plain = re.compile(r"[^\\.^$*+?{}\[\]|()]+")
        self.target_words = {w for w in target if plain.fullmatch(w)}
        # an achievement word decides by itself unless a target pattern also spells it
        self.achievement_words = {w for w in achievement if plain.fullmatch(w)
                                  and not self.target_rx.fullmatch(w)}

    def find(self, text: str) -> list[tuple[int, int, str]]:
        out = []
        for m in self.rx.finditer(text):
            w = m.group()
            if w in self.target_words:
                kind = "target"
            elif w in self.achievement_words:
                kind = "achievement"
            else:
                kind = "target" if self.target_rx.match(text, m.start()) else "achievement"
            out.append((m.start(), m.end(), kind))
        return out
