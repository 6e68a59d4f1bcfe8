"""How a place is named in registers and attributed in documents.

display_name: the customary full form used in registers (扬州市, 无锡市新吴区, 高邮市卸甲镇,
高邮高新区). context_for: a place as a statement is attributed to it — its display name, its
official code when it has one, and the nearest code the registry knows (a zone's or a town's).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    region: str = ""
    region_code: str = ""
    actor: str = ""
    key_code: str = ""  # nearest code known to the registry (for filters), may be the parent's


EMPTY = Context()


def _registry():
    from . import registry

    return registry()


def display_name(region) -> str:
    """The customary full form used in registers: 扬州市, 无锡市新吴区, 高邮市卸甲镇, 高邮高新区."""
    reg = _registry()
    parent = reg.get(region.parent_code) if region.parent_code else None
    name = region.name
    if region.level == "zone":
        return name.replace("高新技术产业开发区", "高新区").replace("经济技术开发区", "经开区")
    if region.level == "town" and parent is not None:
        return display_name(parent) + name
    if region.level == "county" and name.endswith("区") and parent is not None and parent.level == "prefecture":
        return parent.name + name
    return name


def context_for(region, actor: str = "") -> Context:
    """The attribution of a statement to ``region`` (EMPTY for None)."""
    if region is None:
        return EMPTY
    official = region.code.isdigit() and len(region.code) == 6
    return Context(display_name(region), region.code if official else "", actor, region.code)
