"""Constants and helpers shared by the security probes."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))

TINGHU, YANDU, CITY = "320902", "320903", "320900"  # 亭湖区, 盐都区 in the demo city 盐城市

from kechuang.ledgers.uscc import make  # noqa: E402
from web_helpers import csrf_from  # noqa: E402

# one enterprise registered in each district
TH_ENT = make("91", TINGHU, "MA9000011")
YD_ENT = make("91", YANDU, "MA9000012")


def token(client) -> dict:
    return {"X-CSRF-Token": csrf_from(client.get("/").text)}


def post_records(client, kind: str, records: list[dict]):
    return client.post(f"/api/ledgers/{kind}", json={"records": records}, headers=token(client))


def register_enterprises(client_as) -> None:
    """Each district registers its own enterprise (through the API, as its own officer)."""
    for code, uscc in ((TINGHU, TH_ENT), (YANDU, YD_ENT)):
        c = client_as("officer", code)
        body = post_records(c, "enterprise", [{"uscc": uscc, "name": f"【演示】{code}企业", "region_code": code}]).json()
        assert body["ok"], body
