"""Targets pages over HTTP: progress figures, drill-down rows, binding queue (CSRF, scope), assessment."""

import datetime as dt
import re
from pathlib import Path

import pytest

from kechuang import db
from kechuang.targets.store import add_target



def small_ledgers():
    """The hand-made ledgers of tests/targets/conftest.py."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "targets" / "conftest.py"
    spec = importlib.util.spec_from_file_location("kc_targets_test_ledgers", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.small_ledgers()


@pytest.fixture
def ledger(db_url):
    """The hand-made ledgers stored in the database the pages read."""
    from kechuang.ledgers.store import insert_typed

    with db.engine_for(db_url).begin() as c:
        for kind, frame in small_ledgers().items():
            insert_typed(c, kind, frame)


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _add(db_url, **kw):
    with db.session_scope(db.engine_for(db_url)) as s:
        return add_target(s, **kw).id


def test_progress_page_shows_figure_and_rows_behind_it(db_url, client_as, ledger):
    year = 2024
    tid = _add(db_url, region="盐城市", region_code="320900", indicator="有效高企", value="6", unit="家",
               year=year, source_doc="doc.txt", source_quote="有效高企达6家")
    c = client_as("officer", "320900")
    page = c.get(f"/targets?year={year}&date=2024-06-30")
    assert page.status_code == 200
    row = re.search(rf'data-target-id="{tid}".*?</tr>', page.text, re.S).group(0)
    # from the hand-made ledger: B, C and D hold valid certificates on 30 June 2024 (A lapsed in March)
    assert ">3<" in row and "50.0%" in row, row
    rows = c.get(f"/targets/{tid}/rows")
    assert rows.status_code == 200 and rows.text.count("<tr>") == 1 + 3
    api = c.get(f"/api/targets/progress?year={year}&date=2024-06-30").json()
    assert api[0]["current"] == 3 and api[0]["metric"] == "hnte_valid"
    xlsx = c.get(f"/targets?year={year}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert c.get(f"/targets/{tid}").status_code == 200


def test_queue_bind_needs_csrf_and_scope_and_is_audited(db_url, client_as, ledger):
    year = dt.date.today().year
    tid = _add(db_url, region="盐都区", region_code="320903", indicator="新招引科技型企业", value="5",
               unit="家", year=year)
    c = client_as("officer", "320903")
    page = c.get("/targets/queue")
    assert "新招引科技型企业" in page.text
    assert c.post(f"/targets/{tid}/bind", data={"metric": "tech_sme_registered"}).status_code == 403
    token = csrf_from(page.text)
    other = client_as("officer", "320902")
    other_token = csrf_from(other.get("/targets/queue").text)
    r = other.post(f"/targets/{tid}/bind", data={"metric": "tech_sme_registered", "csrf_token": other_token})
    assert r.status_code == 403          # outside 亭湖区's scope
    r = c.post(f"/targets/{tid}/bind", data={"metric": "tech_sme_registered", "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303
    api = c.get(f"/api/targets/progress?year={year}").json()
    assert api[0]["metric"] == "tech_sme_registered"
    from sqlalchemy import select

    from kechuang.audit import AuditEntry

    with db.session_scope(db.engine_for(db_url)) as s:
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "target")).all() == ["bind"]


def test_assessment_and_overview_panel(db_url, client_as, ledger):
    c = client_as("admin", None)
    page = c.get("/assessment?city=320900")
    assert page.status_code == 200 and 'id="ranking"' in page.text and "盐都区" in page.text
    assert c.get("/assessment?city=320900&format=xlsx").content[:2] == b"PK"
    home = c.get("/")
    assert home.status_code == 200 and "目标进度" in home.text


def test_progress_page_states_the_rule_and_the_new_statuses(db_url, client_as, ledger):
    """The rule is stated on the page; a 2025 target seen in 2024 is 未开始; annual R&D figures not
    yet reported are 暂无数据 — neither is 严重滞后."""
    later = _add(db_url, region="盐城市", region_code="320900", indicator="新增高企", value="10", unit="家",
                 year=2025, period="2025")
    rd = _add(db_url, region="盐城市", region_code="320900", indicator="研发费用", value="100", unit="万元",
              year=2024, metric_id="rd_expense_total")
    c = client_as("officer", "320900")
    page = c.get("/targets?year=2024&date=2024-06-30").text
    rule = re.search(r'id="status-rule".*?</details>', page, re.S).group(0)
    assert "所有地区使用同一规则" in rule and "进度比 ≥ 90%" in rule
    row = re.search(rf'data-target-id="{rd}".*?</tr>', page, re.S).group(0)
    assert "暂无数据" in row and "严重滞后" not in row
    page25 = c.get("/targets?year=2025&date=2024-06-30").text
    row = re.search(rf'data-target-id="{later}".*?</tr>', page25, re.S).group(0)
    assert "未开始" in row and "严重滞后" not in row
    api = {r["id"]: r for r in c.get("/api/targets/progress?year=2024&date=2024-06-30").json()}
    assert api[rd]["status"] == "暂无数据" and api[rd]["current"] is None


def test_binding_must_be_chosen_checked_confirmed_and_can_be_undone(db_url, client_as, ledger):
    """No metric is chosen for the officer; only metrics of the same unit family and time sense are
    offered; an implausible rate asks for a confirmation; unbind and rebind are audited in Chinese."""
    year = dt.date.today().year
    flow = _add(db_url, region="盐城市", region_code="320900", indicator="新增孵化器", value="3", unit="个",
                year=year, auto_bind=False)
    small = _add(db_url, region="盐城市", region_code="320900", indicator="高企", value="0.5", unit="家",
                 year=2024, auto_bind=False)
    c = client_as("officer", "320900")
    page = c.get("/targets/queue").text
    row = re.search(rf'<tr data-target-id="{flow}".*?</tr>', page, re.S).group(0)
    select = re.search(r"<select name=\"metric\" required.*?</select>", row, re.S).group(0)
    first = re.search(r"<option[^>]*>", select).group(0)
    assert 'value=""' in first and "selected" in first and "disabled" in first
    assert 'value="incubator_count"' not in select and 'value="hnte_valid"' not in select  # stocks
    assert 'value="hnte_new"' in select and 'value="tech_contract_amount"' not in select  # money
    token = csrf_from(page)
    assert c.post(f"/targets/{flow}/bind", data={"metric": "", "csrf_token": token}).status_code == 400
    r = c.post(f"/targets/{flow}/bind", data={"metric": "incubator_count", "csrf_token": token})
    assert r.status_code == 400 and "存量指标" in r.text
    # 0.5 家 against the 3 valid certificates of the hand-made ledger at the end of 2024: 600 %
    r = c.post(f"/targets/{small}/bind", data={"metric": "hnte_valid", "csrf_token": token})
    assert r.status_code == 409 and "600%" in r.text and "确认绑定" in r.text
    r = c.post(f"/targets/{small}/bind", data={"metric": "hnte_valid", "confirm": "1", "csrf_token": token,
                                                "next": f"/targets/{small}"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/targets/{small}"
    detail = c.get(f"/targets/{small}").text
    assert "已绑定" in detail and "解除绑定" in detail and "改绑" in detail
    page = c.get("/targets?year=2024&date=2024-12-31").text
    row = re.search(rf'data-target-id="{small}".*?</tr>', page, re.S).group(0)
    assert "600.0%" in row and "完成率异常" in row
    assert '"value": 300.0' in page.replace("&#34;", '"') or "300.0" in page
    r = c.post(f"/targets/{small}/unbind", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    r = c.post(f"/targets/{small}/bind", data={"metric": "tech_sme_registered", "csrf_token": token})
    assert r.status_code == 200
    detail = c.get(f"/targets/{small}").text
    trail = re.search(r'id="binding-trail".*?</table>', detail, re.S).group(0)
    assert trail.count("<tr>") == 1 + 3
    assert "绑定指标" in trail and "解除绑定" in trail and "有效高新技术企业数" in trail and "hnte_valid" not in trail
    admin = client_as("admin", None)
    log = admin.get("/admin/audit?entity=target").text
    assert "解除绑定" in log and "北京时间" in log and "\\u" not in log


def test_rows_behind_a_number_are_readable(db_url, client_as, ledger):
    tid = _add(db_url, region="盐城市", region_code="320900", indicator="有效高企", value="6", unit="家",
               year=2024, metric_id="hnte_valid")
    c = client_as("officer", "320900")
    page = c.get(f"/targets/{tid}/rows?date=2024-06-30").text
    table = re.search(r'id="ledger-rows".*?</table>', page, re.S).group(0)
    assert "<th>企业名称</th>" in table and "<th>资质类型</th>" in table and "高新技术企业" in table
    assert 'href="/enterprises/B"' in table
    for raw in ("hnte", "cert_type", "issued_on", "320903", "national"):
        assert raw not in table, raw
    rec = re.search(r'id="reconciliation".*?</section>', page, re.S).group(0)
    assert "3 家企业,3 条资质荣誉记录" in rec and "当前值 3 家" in rec
    xlsx = c.get(f"/targets/{tid}/rows?date=2024-06-30&format=xlsx")
    import io

    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in ws[1]][:3] == ["企业名称", "统一社会信用代码", "所属地区"]


def test_assessment_is_reproducible_and_a_district_sees_its_rank(db_url, client_as, ledger):
    admin = client_as("admin", None)
    page = admin.get("/assessment?city=盐城市&date=2024-12-31").text
    assert 'id="weights"' in page and "极差标准化" in page and "计 0 分" in page
    comp = re.search(r'id="components".*?</table>', page, re.S).group(0)
    for row in re.findall(r"<tr data-region=.*?</tr>", comp, re.S):
        parts = [float(x) for x in re.findall(r'class="contribution">([\d.]+)<', row)]
        total = float(re.search(r'class="total"><strong>([\d.]+)<', row).group(1))
        assert abs(sum(parts) - total) < 1e-3, row
    assert "缺数据,计 0" in comp   # e.g. R&D intensity has no 2024 annual figures in the hand-made ledger
    xlsx = admin.get("/assessment?city=320900&date=2024-12-31&format=xlsx")
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["排名", "得分明细", "指标与权重", "权重敏感性", "计算规则"]
    for ws in wb.worksheets:
        assert all(c.value is None or not str(c.value).isascii() for c in ws[1]), [c.value for c in ws[1]]
    # a 亭湖区 officer: no city given, sees the city's ranking with 亭湖区's own rank and only its details
    officer = client_as("officer", "320902")
    r = officer.get("/assessment?date=2024-12-31")
    assert r.status_code == 200
    own = re.search(r'id="own-rank".*?</section>', r.text, re.S).group(0)
    assert "亭湖区:第" in own and "名(共" in own
    comp = re.search(r'id="components".*?</table>', r.text, re.S).group(0)
    assert comp.count("<tr data-region=") == 1 and 'data-region="320902"' in comp
    assert officer.get("/assessment?city=盐城市&date=2024-12-31").status_code == 200
    assert officer.get("/assessment?city=扬州市").status_code == 403


def test_region_box_shows_a_name_that_filters_again(db_url, client_as, ledger):
    c = client_as("officer", "320902")
    page = c.get("/targets?year=2024").text
    value = re.search(r'<input name="region"[^>]*value="([^"]*)"', page).group(1)
    assert value == "江苏省盐城市亭湖区"
    assert c.get(f"/targets?year=2024&region={value}").status_code == 200
    assert c.get("/targets?year=2024&region=亭湖区").status_code == 200


def test_queue_kept_as_a_page_shows_a_target_added_elsewhere_on_the_next_view(db_url, client_as, ledger):
    """The queue is served from the page cache until the targets change, here by another process
    (its own engine), as the command line makes it."""
    from kechuang.targets.store import dismiss_target

    year = dt.date.today().year
    first_id = _add(db_url, region="盐城市", region_code="320900", indicator="新增孵化器", value="3", unit="个",
                    year=year, auto_bind=False)
    c = client_as("officer", "320900")
    first = c.get("/targets/queue").text
    assert c.get("/targets/queue").text == first
    assert "新增众创空间" not in first and 'id="dismissed"' not in first
    other = db.make_engine(db_url)
    try:
        with db.session_scope(other) as s:
            add_target(s, region="盐城市", region_code="320900", indicator="新增众创空间", value="2", unit="个",
                       year=year, auto_bind=False)
    finally:
        other.dispose()
    assert "新增众创空间" in c.get("/targets/queue").text
    other = db.make_engine(db_url)
    try:
        with db.session_scope(other) as s:
            dismiss_target(s, first_id, "cli")
    finally:
        other.dispose()
    after = c.get("/targets/queue").text
    assert re.search(rf'id="dismissed".*data-target-id="{first_id}"', after, re.S)


def test_progress_table_rows_show_the_figures_of_the_json():
    """The progress table's rows (joined in code for speed) show, for every kind of row, exactly
    the figures `Progress.to_json` gives: current value, completion rate, pace and what it should
    be, status, error, the not-yet-bound link; one row per target, in order."""
    from decimal import Decimal

    from kechuang.targets.metrics import dict_source
    from kechuang.targets.progress import TargetRow, compute_progress
    from kechuang.targets.store import Target
    from kechuang.web.deps import _num, _pct
    from kechuang.web.routes.targets import _table_rows

    def row(tid, metric, value, unit="家", comparator=">=", year=2024, status="bound", problem=""):
        return TargetRow.of(Target(id=tid, region_code="320900", region="盐城市", indicator=f"指标{tid}",
                                   metric_id=metric, period=str(year), year=year, comparator=comparator,
                                   value=Decimal(value), unit=unit, source_statement_id=None, source_doc="文件.txt",
                                   source_quote="原文<引>", binding_status=status, problem=problem))

    targets = [row(1, "hnte_new", "10"), row(2, "tech_contract_amount", "0.1", unit="亿元"),
               row(3, "hnte_valid", "1", comparator="<="), row(4, "hnte_new", "2", year=2027),
               row(5, "rd_expense_total", "100", unit="万元"), row(6, None, "5", status="unbound"),
               row(7, "no_such_metric", "5"), row(8, "hnte_new", "0.5", problem="单位无法换算")]
    rows = compute_progress(targets, dict_source(small_ledgers()), dt.date(2024, 6, 30))
    html = str(_table_rows(rows, {})).split("\n")
    assert len(html) == len(rows) == 8
    for line, p in zip(html, rows):
        j = p.to_json()
        assert line.startswith(f'<tr data-target-id="{j["id"]}">') and "原文&lt;引&gt;" in line
        current = re.search(r'<td class="current">(.*?)</td>', line).group(1)
        assert current == ("—" if j["current"] is None else f'<a href="/targets/{j["id"]}/rows">{_num(j["current"])}</a>')
        assert re.search(r'<td class="share">(.*?)</td>', line).group(1).startswith(_pct(j["share"]))
        pace = re.search(r'<td class="pace">(.*?)</td>', line).group(1)
        assert pace.startswith("—" if j["pace"] is None else _pct(j["pace"]))
        assert (f"应达 {_num(j['expected'])}" in pace) == (
            j["pace"] is not None and j["expected"] is not None and j["status"] not in ("未开始", "暂无数据"))
        state = re.search(r'<td class="status">(.*?)</td>', line).group(1)
        if j["status"]:
            assert f'status-{j["status"]}' in state
        assert (j.get("error") or "") in state
        assert ("未绑定" in state) == (j["metric"] is None and not j["status"] and not j.get("error"))
    assert [p.status for p in rows][:2] == ["严重滞后", "已完成"] and "指标“no_such_metric”不存在" in html[6]
