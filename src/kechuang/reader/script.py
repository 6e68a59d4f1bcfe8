"""Traditional characters: a simplified view of a text for matching, one character for one, so
every offset found in the view is an offset in the original text (quotes are cut from the
original). The character table is OpenCC's TSCharacters (Apache-2.0), shipped by the
opencc-purepy package."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# a text is read through the view when this share of its characters are traditional (at least
# MIN_TRADITIONAL of them, MIN_DISTINCT different ones): a simplified text with a stray 著 or 乾
# stays as it is
SHARE = 0.01
MIN_TRADITIONAL = 5
MIN_DISTINCT = 3


@lru_cache(maxsize=1)
def _table() -> tuple[dict[int, int], frozenset[str]]:
    import opencc_purepy

    path = Path(opencc_purepy.__file__).parent / "dicts" / "TSCharacters.txt"
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        src, dst = parts[0], parts[1].split(" ")[0]
        if len(src) == 1 and len(dst) == 1 and src != dst:
            table[ord(src)] = ord(dst)
    return table, frozenset(chr(c) for c in table)


def simplified_view(text: str) -> str | None:
    """The text with traditional characters replaced one for one, or None when it is simplified."""
    table, traditional = _table()
    sample = text[:3000]  # traditional text is traditional throughout: its opening decides
    seen = traditional.intersection(sample)  # (a set of the sample's characters: fast)
    if len(seen) < MIN_DISTINCT:
        return None
    found = sum(sample.count(c) for c in seen)
    if found < MIN_TRADITIONAL or found < SHARE * len(sample):
        return None
    return text.translate(table)
