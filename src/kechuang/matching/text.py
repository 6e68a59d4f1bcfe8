"""Tokens for Chinese technical text: character bigrams (the strong signal), dictionary words (jieba's
dictionary, loaded once, with the platform's own vocabularies and the records' keywords added) and
concepts: the synonym and jargon groups of synonyms.yaml found in a text."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_lock = threading.Lock()
_tokenizer = None
_added: set[str] = set()
_words: set[str] | None = None
_long: dict[str, set[str]] = {}  # first two characters → added words of five or more characters

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z][A-Za-z0-9\-\.]*|\d+(?:\.\d+)?")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
_LATIN_TERM = re.compile(r"[a-z0-9\-\.]+")
_KEYWORD_SPLIT = re.compile(r"[、，,；;。/\s|]+")
# function words and generic words of demand/supply texts: they carry no topic
STOP = frozenset("""的 了 和 与 及 或 等 在 对 为 以 于 是 有 将 能 可 并 其 该 我们 公司 企业 单位 需求 需要 要求 研究
 研发 开发 技术 解决 问题 实现 进行 提供 提高 提升 相关 主要 具有 具备 方面 方法 以及 通过 基于 采用 用于 应用 目前
 现有 具体 能够 希望 寻求 合作 一种 系统 项目 产品 领域 团队 成果 平台 专利 我司 本 项 个 中 上 下 不 无 达到 以上
 以下 不低于 不少于 不高于 小于 大于""".split())


def new_tokenizer():
    """A fresh jieba tokenizer with its main dictionary loaded (jieba imported quietly)."""
    import warnings

    with warnings.catch_warnings():  # jieba 0.42 has old-style regex escapes
        warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
        import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def _jieba():
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tok = new_tokenizer()
                for word in (*platform_vocabulary(), *(t for t in synonyms().terms if _CJK_WORD.fullmatch(t))):
                    _add_word(tok, word)
                _tokenizer = tok
    return _tokenizer


def _vocabulary() -> set[str]:
    """The tokenizer's words (jieba's dictionary and the words added to it), stop words left out."""
    global _words
    if _words is None:
        tok = _jieba()
        with _lock:
            if _words is None:
                _words = {w for w, f in tok.FREQ.items() if f and len(w) >= 2} - STOP
    return _words


def _add_word(tok, word: str) -> None:
    tok.add_word(word, freq=20000)
    if _words is not None and word not in STOP:
        _words.add(word)
    if len(word) >= 5:
        _long.setdefault(word[:2], set()).add(word)


@lru_cache(maxsize=1)
def platform_vocabulary() -> tuple[str, ...]:
    """Terms the platform itself names: 高新技术领域 names, enum labels of the ledgers (e.g. 技术合同
    types), demand/supply field labels; kept whole by the tokenizer."""
    from ..ledgers import all_kinds

    words: set[str] = set()
    for kind in all_kinds().values():
        for f in kind.fields:
            for v in f.values:
                for w in (v.label, *v.aliases):
                    if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w):
                        words.add(w)
    return tuple(sorted(words))


def add_terms(terms) -> None:
    """Keywords given by records (关键词) become words of the tokenizer (once each)."""
    tok = _jieba()
    new = []
    for t in terms:
        for w in _KEYWORD_SPLIT.split(t or ""):
            w = w.strip()
            if 2 <= len(w) <= 12 and w not in _added and w not in STOP:
                new.append(w)
    if new:
        with _lock:
            for w in new:
                _add_word(tok, w.lower())
                _added.add(w)


def words(text: str) -> list[str]:
    """Word tokens: every word of the tokenizer's dictionary (with the platform's and the records'
    terms) that occurs in the text, long words and their parts alike, as jieba's search mode gives
    them; Latin words and numbers whole; lower case, no stop words. Looking the text's 2–4 character
    substrings up in the dictionary is several times faster than segmenting it."""
    if not text:
        return []
    known = _vocabulary().__contains__
    out = []
    for run in _CJK_RUN.findall(text.lower()):
        if run[0] < "\u4e00":
            if len(run) >= 2 or run.isdigit():
                out.append(run)
            continue
        n = len(run)
        for size in (2, 3, 4):
            out.extend(filter(known, [run[i:i + size] for i in range(n - size + 1)]))
        for i in range(n - 4):
            for w in _long.get(run[i:i + 2], ()):
                if run.startswith(w, i):
                    out.append(w)
    return out


def bigrams(text: str) -> list[str]:
    """Character bigrams of each Chinese run; Latin words and numbers whole."""
    if not text:
        return []
    out = []
    for run in _CJK_RUN.findall(text):
        if run[0] >= "\u4e00":
            if len(run) == 1:
                continue
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
        elif len(run) >= 2:
            out.append(run.lower())
    return out


def shingles(text: str) -> set[str]:
    return set(bigrams(text))


@dataclass(frozen=True)
class Synonyms:
    """The groups of synonyms.yaml: ``concept`` maps a term (lower case) to its group's first term."""

    concept: dict[str, str]
    by_prefix: dict[str, tuple[str, ...]]  # first two characters → terms matched as substrings
    contrasts: tuple[frozenset[str], ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self.concept)


@lru_cache(maxsize=1)
def synonyms() -> Synonyms:
    import yaml

    data = yaml.safe_load((Path(__file__).with_name("synonyms.yaml")).read_text(encoding="utf-8"))
    concept: dict[str, str] = {}
    prefix: dict[str, list[str]] = {}
    for group in data["groups"]:
        head = str(group[0])
        for term in map(str, group):
            t = term.lower()
            if len(t) < 2:  # one character names too many things
                continue
            concept[t] = head
            if not _LATIN_TERM.fullmatch(t):
                prefix.setdefault(t[:2], []).append(t)
    contrasts = tuple(frozenset(map(str, c)) for c in data.get("contrasts") or ())
    return Synonyms(concept, {k: tuple(sorted(v, key=len, reverse=True)) for k, v in prefix.items()}, contrasts)


def concepts(text: str) -> dict[str, str]:
    """Concepts a text names → the first of their terms found in it (lower case). Latin terms match
    whole words (“EMC”, not inside “EMCS”); Chinese and mixed terms match as substrings."""
    if not text:
        return {}
    syn = synonyms()
    t = text.lower()
    out: dict[str, str] = {}
    for w in _LATIN_WORD.findall(t):
        c = syn.concept.get(w)
        if c is not None and c not in out:
            out[c] = w
    for key in {t[i:i + 2] for i in range(len(t) - 1)} & syn.by_prefix.keys():
        for term in syn.by_prefix[key]:
            if term in t:
                c = syn.concept[term]
                if c not in out or len(term) > len(out[c]):
                    out[c] = term
    return out


_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9\-\.]*[a-z0-9]|[a-z0-9]")
