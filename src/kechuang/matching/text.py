"""Tokens for Chinese technical text: jieba words (one tokenizer, its dictionary loaded once, a user
dictionary from the platform's own vocabularies) and character bigrams as the fallback signal."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

_lock = threading.Lock()
_tokenizer = None
_added: set[str] = set()

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z][A-Za-z0-9\-\.]*|\d+(?:\.\d+)?")
_KEYWORD_SPLIT = re.compile(r"[、，,；;。/\s|]+")
# function words and generic words of demand/supply texts: they carry no topic
STOP = frozenset("""的 了 和 与 及 或 等 在 对 为 以 于 是 有 将 能 可 并 其 该 我们 公司 企业 单位 需求 需要 要求 研究
 研发 开发 技术 解决 问题 实现 进行 提供 提高 提升 相关 主要 具有 具备 方面 方法 以及 通过 基于 采用 用于 应用 目前
 现有 具体 能够 希望 寻求 合作 一种 系统 项目 产品 领域 团队 成果 平台 专利 我司 本 项 个 中 上 下 不 无 达到 以上
 以下 不低于 不少于 不高于 小于 大于""".split())


def _jieba():
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import warnings

                with warnings.catch_warnings():  # jieba 0.42 has old-style regex escapes
                    warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
                    import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for word in platform_vocabulary():
                    tok.add_word(word, freq=20000)
                _tokenizer = tok
    return _tokenizer


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
                tok.add_word(w, freq=20000)
                _added.add(w)


def words(text: str) -> list[str]:
    """Word tokens (search mode: long words also give their parts), lower case, no stop words."""
    if not text:
        return []
    tok = _jieba()
    out = []
    for w in tok.cut_for_search(text):
        w = w.strip().lower()
        if len(w) < 2 and not w.isdigit():
            continue
        if w in STOP or not _CJK_RUN.fullmatch(w):
            continue
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
