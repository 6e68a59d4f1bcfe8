"""Constants and helpers shared by the security probes."""

from __future__ import annotations

TINGHU, YANDU, CITY = "320902", "320903", "320900"  # 亭湖区, 盐都区 in the demo city 盐城市
