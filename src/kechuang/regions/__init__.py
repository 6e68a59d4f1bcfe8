"""Administrative divisions of China (GB/T 2260) plus the zones and towns
kechuang's users work in, with a context-aware name resolver.

    from kechuang.regions import registry, lookup, resolve
    lookup("江阴").full_name            # '江苏省无锡市江阴市'
    resolve("新吴", within="无锡市").code  # '320214'
"""

from __future__ import annotations

from functools import lru_cache

from .naming import Context, context_for, display_name
from .model import LEVEL_LABELS, LEVELS, AmbiguousRegion, Region, RegionError
from .registry import RegionRegistry, normalize

__all__ = [
    "LEVELS", "LEVEL_LABELS", "AmbiguousRegion", "Context", "context_for", "display_name", "Region", "RegionError", "RegionRegistry",
    "find_in_text", "lookup", "name_of", "normalize", "registry", "resolve", "scope_of",
]


@lru_cache(maxsize=1)
def registry() -> RegionRegistry:
    """The shared registry, built once from the package's data files (kept built in the user's
    cache between processes, see ``RegionRegistry.cached``)."""
    return RegionRegistry.cached()


def lookup(text_or_code: str, within=None) -> Region:
    """The region named or coded by `text_or_code`; raises RegionError
    (AmbiguousRegion when several match) with a Chinese message."""
    return registry().lookup(text_or_code, within)


def resolve(text: str, within=None) -> Region | None:
    """The region `text` names, or None when unknown or ambiguous."""
    return registry().resolve(text, within)


def scope_of(code: str | None) -> set[str] | None:
    """The region codes a scope rooted at ``code`` covers: the region and every region below it
    (a code the registry does not know covers itself only); None for no region, i.e. everything.
    Every scope check (a user's, an import's, a command's ``--region``) takes its codes from here."""
    if not code:
        return None
    return registry().subtree_codes(code) | {code}


def name_of(code: str | None, *, full: bool = False) -> str:
    """How a page or a message names the region coded ``code``: its name (新吴区), or with ``full``
    its full name (江苏省无锡市新吴区); the code itself where the registry does not know it, so that
    nothing recorded is hidden; "" for no code."""
    if not code:
        return ""
    r = registry().get(code)
    return (r.full_name if full else r.name) if r else code


def find_in_text(text: str, within=None) -> list[tuple[int, int, Region]]:
    """Region mentions in free text as (start, end, Region)."""
    return registry().find_in_text(text, within)
