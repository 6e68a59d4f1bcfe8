"""揭榜挂帅 workflow: 发榜 → 揭榜 (赛马) → 评审 → 签约 → 实施 → 验收 on the stored ledgers; illegal steps
refused in Chinese; signing feeds the contract and cooperation ledgers and so the targets; funnel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from helpers_matching import DEMANDER, SUPPLIER, SUPPLY_HEADER, SUPPLIES, write_csv
from kechuang import audit, db
from kechuang.accounts import add_user
from kechuang.ledgers import import_file, load_frame
from kechuang.matching import workflow as wf
from kechuang.matching.workflow import WorkflowError

TODAY = dt.date.today()
LATER = (TODAY + dt.timedelta(days=180)).isoformat()
HEADER = ["需求编号", "需求名称", "需求描述", "技术指标", "技术领域", "行政区划代码", "发榜单位信用代码", "发榜单位",
          "榜额(万元)", "截止日期", "揭榜方要求", "揭榜方地域", "状态", "合同技术领域"]
GOOD = ["W1", "印染废水深度处理与中水回用", "我司印染车间每天排放废水约3000吨，COD高、色度大，现有生化工艺出水不稳定，"
        "需要低成本的深度处理工艺，处理后回用于漂洗工序。", "出水COD低于50mg/L，回用率不低于60%", "资源与环境", "320214",
        DEMANDER, "某印染有限公司", "300", LATER, "不限", "不限", "待发布", "环境保护与资源综合利用"]
VAGUE = ["W2", "智能化改造", "希望提升生产线智能化水平。", "", "", "320214", DEMANDER, "某印染有限公司", "", "", "不限",
         "不限", "待发布", ""]


@pytest.fixture
def loaded(engine, tmp_path):
    assert import_file(engine, "demand", write_csv(tmp_path / "d.csv", HEADER, [GOOD, VAGUE])).ok
    assert import_file(engine, "supply", write_csv(tmp_path / "s.csv", SUPPLY_HEADER, SUPPLIES)).ok
    with db.session_scope(engine) as s:
        add_user(s, "xw", "correct-horse-42", "officer", "320214")
    return engine


def _user(s, name="xw"):
    from kechuang.accounts import User

    return s.scalar(select(User).where(User.username == name))


SCOPE = {"320214"}


def _status(engine, no):
    f = load_frame(engine, "demand")
    return f.filter(f["demand_no"] == no)["status"][0]


def test_vague_demand_is_refused_at_publish_unless_confirmed(loaded):
    with db.session_scope(loaded) as s:
        with pytest.raises(WorkflowError, match="发榜前尚需完善 4 项.*技术指标.*榜额.*截止日期.*需求描述"):
            wf.publish(s, _user(s), "W2", on=TODAY, region_codes=SCOPE)
    assert _status(loaded, "W2") == "draft"
    with db.session_scope(loaded) as s:
        wf.publish(s, _user(s), "W2", on=TODAY, region_codes=SCOPE, force=True)
    assert _status(loaded, "W2") == "published"


def test_full_workflow_with_two_teams_feeds_ledgers_targets_and_funnel(loaded):
    from kechuang.targets.progress import progress_report
    from kechuang.targets.store import add_target

    with db.session_scope(loaded) as s:
        add_target(s, region="新吴区", region_code="320214", indicator="技术合同成交额", value="1000", unit="万元",
                   year=TODAY.year, metric_id="tech_contract_amount")
        add_target(s, region="新吴区", region_code="320214", indicator="产学研合作项目", value="10", unit="项",
                   year=TODAY.year, metric_id="cooperation_projects")

    def progress():
        with db.session_scope(loaded) as s:
            return {p.metric.id: p.current or 0 for p in progress_report(s, loaded, region_code="320214",
                                                                           year=TODAY.year, today=TODAY)}

    before = progress()
    with db.session_scope(loaded) as s:
        u = _user(s)
        wf.publish(s, u, "W1", on=TODAY, region_codes=SCOPE)
        a = wf.apply(s, u, "W1", on=TODAY, region_codes=SCOPE, supply_no="S3")  # local enterprise
        b = wf.apply(s, u, "W1", on=TODAY, region_codes=SCOPE, supply_no="S1")  # 江南大学: 赛马
        ids = a.id, b.id
    assert _status(loaded, "W1") == "matched"
    with db.session_scope(loaded) as s:
        u = _user(s)
        for i in ids:
            wf.review(s, u, i, on=TODAY, passed=True, region_codes=SCOPE)
        wf.sign(s, u, ids[0], on=TODAY, region_codes=SCOPE, amount=Decimal("120"), tech_amount=Decimal("100"),
                contract_type="development")
        wf.sign(s, u, ids[1], on=TODAY, region_codes=SCOPE, amount=Decimal("80"), contract_type="技术转让")
    contracts = load_frame(loaded, "tech_contract")
    assert contracts.height == 2
    seller = contracts.filter(contracts["uscc"] == SUPPLIER).row(0, named=True)
    assert seller["role"] == "seller" and seller["amount"] == Decimal("120") and seller["demand_no"] == "W1"
    assert seller["tech_field"] == "environment"  # the demand's 技术合同登记 field
    buyer = contracts.filter(contracts["uscc"] == DEMANDER).row(0, named=True)
    assert buyer["role"] == "buyer" and buyer["contract_type"] == "transfer"
    coop = load_frame(loaded, "cooperation")
    assert coop.height == 1 and coop["institution"][0] == "江南大学" and coop["region_code"][0] == "320214"
    after = progress()
    assert after["tech_contract_amount"] - before["tech_contract_amount"] == 120
    assert after["cooperation_projects"] - before["cooperation_projects"] == 1
    assert _status(loaded, "W1") == "signed"
    with db.session_scope(loaded) as s:
        u = _user(s)
        wf.implement(s, u, ids[1], on=TODAY, region_codes=SCOPE)
        wf.accept(s, u, ids[1], on=TODAY, region_codes=SCOPE, note="专家组验收通过")
    assert _status(loaded, "W1") == "accepted"
    assert load_frame(loaded, "cooperation")["status"][0] == "completed"
    with db.session_scope(loaded) as s:
        history = wf.steps(s, "W1")
        assert [h.step for h in history] == ["publish", "apply", "apply", "review", "review", "sign", "sign",
                                            "implement", "accept"]
        assert all(h.username == "xw" and h.on_date == TODAY for h in history)
        logged = [e.action for e in audit.of_entity(s, "matching", "W1")]
        assert sorted(logged) == sorted(h.step for h in history)
    with loaded.connect() as c:
        rows = wf.funnel(c, SCOPE)
    total = rows[-1]
    assert total["region_code"] is None
    assert (total["collected"], total["published"], total["matched"], total["signed"], total["accepted"]) == \
        (2, 1, 1, 1, 1)


def test_illegal_steps_are_refused_in_chinese_and_change_nothing(loaded):
    with db.session_scope(loaded) as s:
        u = _user(s)
        with pytest.raises(WorkflowError, match="当前状态为“待发布”，不能揭榜"):
            wf.apply(s, u, "W1", on=TODAY, region_codes=SCOPE, supply_no="S3")
        wf.publish(s, u, "W1", on=TODAY, region_codes=SCOPE)
        with pytest.raises(WorkflowError, match="不能发榜"):
            wf.publish(s, u, "W1", on=TODAY, region_codes=SCOPE)
        bid = wf.apply(s, u, "W1", on=TODAY, region_codes=SCOPE, supply_no="S3")
        with pytest.raises(WorkflowError, match="不能重复揭榜"):
            wf.apply(s, u, "W1", on=TODAY, region_codes=SCOPE, supply_no="S3")
        with pytest.raises(WorkflowError, match="利益冲突"):  # S4 is the demander's own
            wf.apply(s, u, "W1", on=TODAY, region_codes=SCOPE, supply_no="S4")
        with pytest.raises(WorkflowError, match="当前为“已揭榜”，不能签约；须先评审通过"):
            wf.sign(s, u, bid.id, on=TODAY, region_codes=SCOPE, amount=Decimal(1), contract_type="development")
        with pytest.raises(WorkflowError, match="不在您的管辖范围内"):
            wf.review(s, u, bid.id, on=TODAY, passed=True, region_codes={"320211"})
        wf.review(s, u, bid.id, on=TODAY, passed=False, region_codes=SCOPE)
        with pytest.raises(WorkflowError, match="评审开始后不再接受揭榜"):
            wf.apply(s, u, "W1", on=TODAY, region_codes=SCOPE, supply_no="S1")
        with pytest.raises(WorkflowError, match="不能签约"):
            wf.sign(s, u, bid.id, on=TODAY, region_codes=SCOPE, amount=Decimal(1), contract_type="development")
    assert load_frame(loaded, "tech_contract").height == 0


def test_a_bad_contract_rolls_the_whole_step_back(loaded):
    with db.session_scope(loaded) as s:
        u = _user(s)
        wf.publish(s, u, "W1", on=TODAY, region_codes=SCOPE)
        bid = wf.apply(s, u, "W1", on=TODAY, region_codes=SCOPE, supply_no="S3")
        wf.review(s, u, bid.id, on=TODAY, passed=True, region_codes=SCOPE)
        bid_id = bid.id
    with pytest.raises(WorkflowError, match="合同类型"):
        with db.session_scope(loaded) as s:
            wf.sign(s, _user(s), bid_id, on=TODAY, region_codes=SCOPE, amount=Decimal(5), contract_type="赠与")
    with db.session_scope(loaded) as s:
        assert s.get(wf.Bid, bid_id).status == "shortlisted"
        assert [h.step for h in wf.steps(s, "W1")] == ["publish", "apply", "review"]
    assert load_frame(loaded, "tech_contract").height == 0
    assert _status(loaded, "W1") == "reviewed"
