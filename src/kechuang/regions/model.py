"""Region value object and errors."""

from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("province", "prefecture", "county", "zone", "town")
LEVEL_LABELS = {"province": "省级", "prefecture": "地级", "county": "县级", "zone": "园区", "town": "乡镇街道"}


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: str
    parent_code: str | None
    short_name: str
    full_name: str
    aliases: tuple[str, ...] = ()
    source: str = "gbt2260"  # gbt2260 | nbs | project
    depth: int = field(default=0, compare=False)

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def is_official_code(self) -> bool:
        """False for project codes such as 321000Z01."""
        return self.code.isdigit()

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "short_name": self.short_name,
            "full_name": self.full_name,
            "level": self.level,
            "parent_code": self.parent_code,
            "aliases": list(self.aliases),
            "source": self.source,
        }

    def __str__(self) -> str:
        return f"{self.code} {self.full_name}"


class RegionError(ValueError):
    """Unknown region, ambiguous name or bad region data (message in Chinese)."""


class AmbiguousRegion(RegionError):
    def __init__(self, text: str, candidates: list[Region]):
        self.text = text
        self.candidates = candidates
        listed = "、".join(f"{r.code} {r.full_name}" for r in candidates[:12])
        more = f" 等 {len(candidates)} 个" if len(candidates) > 12 else ""
        super().__init__(f"地区“{text}”有歧义,可能是:{listed}{more};请使用行政区划代码或指定上级地区")
