"""配套 at a share other than 1 : 1: ``match`` with ``ratio`` pays that share of the matched money."""

from __future__ import annotations

from decimal import Decimal

from kechuang.incentives import all_policies, load_policy
from kechuang.incentives.cases import frames_of
from kechuang.incentives.engine import compute
from kechuang.incentives.model import DATA

TEXT = (DATA / "tianjin-binhai-hitech-2022.yaml").read_text(encoding="utf-8")
ONE_TO_ONE = "match: tianjin-hnte/hnte_first}"
CASE = {"year": 2022, "enterprises": {"B1": {"region_code": "120116"}},
        "certifications": [{"uscc": "B1", "cert_type": "hnte", "issued_on": "2022-11-15"}]}


def _match_amount(tmp_path, replacement: str) -> Decimal:
    assert ONE_TO_ONE in TEXT
    path = tmp_path / "tianjin-binhai-hitech-2022.yaml"
    path.write_text(TEXT.replace(ONE_TO_ONE, replacement, 1), encoding="utf-8")
    zone = load_policy(path)
    others = [p for p in all_policies() if p.key != zone.key]
    lines = compute(frames_of(CASE), 2022, None, others + [zone])
    [line] = [a for a in lines if a.uscc == "B1" and a.item == "hnte_first_match"]
    return line.amount


def test_half_match_pays_half_of_the_city_money(tmp_path):
    assert _match_amount(tmp_path, ONE_TO_ONE) == Decimal(25)
    assert _match_amount(tmp_path, "match: tianjin-hnte/hnte_first, ratio: 0.5}") == Decimal("12.5")


def test_match_ratio_with_cap(tmp_path):
    assert _match_amount(tmp_path, "match: tianjin-hnte/hnte_first, ratio: 2, cap: 30}") == Decimal(30)
