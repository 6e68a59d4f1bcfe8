"""揭榜挂帅 demo: marked 【演示】, demanders are the demo city's enterprises, the workflow taken by its
own steps so the funnel and the contract ledgers are not empty; running it again replaces it."""

import datetime as dt

from kechuang import db
from kechuang.ledgers import load_frame
from kechuang.matching import workflow as wf
from kechuang.matching.demo import seed

TODAY = dt.date(2026, 11, 25)


def test_demo_city_gets_marked_demands_and_a_funnel(engine):
    from kechuang.ledgers.demo import generate_city

    generate_city(engine, "320900", enterprises=400, seed=3, today=TODAY)
    first = seed(engine, "320900", today=TODAY)
    again = seed(engine, "320900", today=TODAY)
    assert first == again and first["demands"] >= 10 and first["signed"] >= 3
    demands = load_frame(engine, "demand")
    assert demands.height == first["demands"]
    assert demands["title"].str.starts_with("【演示】").all() and demands["demand_no"].str.starts_with("DEMO-").all()
    names = set(load_frame(engine, "enterprise").get_column("name").to_list())
    assert set(demands["publisher"].to_list()) <= names  # the city's own demo enterprises
    assert set(demands["region_code"].to_list()) >= {"320902", "320981"}
    with engine.connect() as c:
        total = wf.funnel(c, None)[-1]
    assert total["collected"] > total["published"] > total["matched"] > total["signed"] > total["accepted"] > 0
    contracts = load_frame(engine, "tech_contract").filter(load_frame(engine, "tech_contract")["demand_no"]
                                                           .is_not_null())
    assert contracts.height == first["signed"]
    with db.session_scope(engine) as s:
        assert {x.step for x in wf.steps(s, "DEMO-JB-001")} == set(wf.STEPS)
        assert len(wf.bids(s, "DEMO-JB-003")) == 2  # 赛马
