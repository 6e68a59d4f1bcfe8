"""企业培育 pages over results stored by `kechuang evaluate --region`."""

import datetime as dt
import io
import json

import openpyxl
from typer.testing import CliRunner

from kechuang.cli import app as cli
from kechuang.ledgers.demo import generate_city

TODAY = dt.date(2026, 11, 25)


def _evaluate(engine):
    generate_city(engine, "320900", enterprises=150, seed=5, today=TODAY)
    r = CliRunner().invoke(cli, ["evaluate", "--region", "320900", "--program", "all", "--as-of", str(TODAY)])
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.strip().splitlines()]
    return recs


def test_region_evaluation_is_stored_and_replaced(engine):
    from kechuang.programs import store

    recs = _evaluate(engine)
    assert recs and {r["program"] for r in recs} >= {"hnte", "tech_sme", "innovation_points"}
    with engine.connect() as conn:
        n = store.load(conn, TODAY).height
        assert n == len(recs)
    r = CliRunner().invoke(cli, ["evaluate", "--region", "320900", "--program", "hnte", "--as-of", str(TODAY)])
    assert r.exit_code == 0
    with engine.connect() as conn:
        assert store.load(conn, TODAY).height == n  # same date: replaced, not duplicated


def test_programs_pages_and_exports(engine, client_as):
    recs = _evaluate(engine)
    c = client_as("officer", "320900")
    page = c.get("/programs")
    assert page.status_code == 200 and "高新技术企业" in page.text and 'class="chart"' in page.text
    passes = sum(1 for r in recs if r["program"] == "tech_sme" and r["result"] == "pass")
    held = _holders_of(engine, "tech_sme")
    candidates = sum(1 for r in recs if r["program"] == "tech_sme" and r["result"] == "pass" and r["uscc"] not in held)
    assert held and f"符合 {candidates} ·" in page.text  # holders of a valid certificate counted apart
    assert f"已持有有效证书 {len(held)}" in page.text
    x = c.get("/programs", params={"format": "xlsx"})
    assert x.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    assert "企业培育" in wb.sheetnames
    lst = c.get("/programs/tech_sme", params={"result": "pass", "held": 1})
    assert lst.status_code == 200
    assert lst.text.count("/enterprises/") == min(passes, 100)
    assert c.get("/programs/nope").status_code == 404
    ex = c.get("/programs/tech_sme", params={"result": "pass", "format": "xlsx", "held": 1})
    assert ex.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(ex.content)).active.max_row == passes + 1
    xs = c.get("/programs/xiaoshenggao")
    assert xs.status_code == 200 and "小升高" in xs.text
    assert c.get("/programs/xiaoshenggao", params={"format": "xlsx"}).status_code == 200


def test_scope_is_enforced(engine, client_as):
    _evaluate(engine)
    c = client_as("officer", "320902")
    assert c.get("/programs", params={"region": "320900"}).status_code == 403
    page = c.get("/programs/hnte")
    assert page.status_code == 200
    assert "射阳县" not in page.text and "东台市" not in page.text


def test_enterprise_page_shows_ladder(engine, client_as):
    recs = _evaluate(engine)
    uscc = next(r["uscc"] for r in recs if r["program"] == "tech_sme")
    c = client_as("admin")
    page = c.get(f"/enterprises/{uscc}")
    assert page.status_code == 200
    assert 'id="program-ladder"' in page.text and "科技型中小企业" in page.text and "下一步" in page.text


def test_xiaoshenggao_lists_tech_smes_not_yet_hnte_closest_first(engine):
    """Candidates exclude enterprises holding a valid 高企 certificate (ledgers.validity)."""
    import polars as pl

    from kechuang.ledgers.store import load_frame
    from kechuang.ledgers.validity import valid_on
    from kechuang.programs.pipeline import xiaoshenggao

    recs = _evaluate(engine)
    tech = {r["uscc"] for r in recs if r["program"] == "tech_sme" and r["result"] == "pass"}
    candidates = {r["uscc"] for r in recs if r["program"] == "hnte" and r["result"] != "pass" and r["uscc"] in tech}
    with engine.connect() as conn:
        certs = load_frame(conn, "certification").filter(pl.col("cert_type") == "hnte").to_dicts()
        rows = xiaoshenggao(conn, TODAY)
        inside = xiaoshenggao(conn, TODAY, {"320902"})
    held = {c["uscc"] for c in certs if valid_on(c, TODAY)}
    expected = candidates - held
    assert candidates & held, "the demo city should have certificate holders among the candidates"
    assert {r["uscc"] for r in rows} == expected and expected
    keys = [(not r["close"], r["failing"]) for r in rows]
    assert keys == sorted(keys)
    assert all(r["region_code"] == "320902" for r in inside)
    assert {r["uscc"] for r in inside} <= expected


def test_xiaoshenggao_ranks_by_stored_counts_as_by_the_reasons_also_for_rows_saved_before_them(engine):
    """The rank reads fail_count and gap_count where stored and the reasons where not (rows saved
    before fail_count existed): both give the order and the gaps the evaluated records give."""
    from sqlalchemy import update

    from kechuang.programs import store
    from kechuang.programs.pipeline import xiaoshenggao_candidates, with_gaps

    recs = _evaluate(engine)
    tech = {r["uscc"] for r in recs if r["program"] == "tech_sme" and r["result"] == "pass"}
    hnte = [r for r in recs if r["program"] == "hnte" and r["result"] != "pass" and r["uscc"] in tech]
    failing = {r["uscc"]: sum(c["result"] == "fail" for c in r["conditions"]) for r in hnte}
    with engine.connect() as conn:  # 一步之遥 is not in the evaluate record: as stored
        close = dict(store.load(conn, TODAY, program="hnte").select("uscc", "close").iter_rows())
    want = [r["uscc"] for r in sorted(hnte, key=lambda r: (
        not close[r["uscc"]], failing[r["uscc"]], len(r["gaps"]), -(r["score_max"] or 0), r["uscc"]))]
    gaps = {r["uscc"]: [g["text"] for g in r["gaps"]][:3] for r in hnte}
    with engine.connect() as conn:
        stored = xiaoshenggao_candidates(conn, TODAY)
        shown = with_gaps(conn, stored.head(20).to_dicts())
    assert stored["uscc"].to_list() == want and len(want) > 20 and len(set(failing.values())) > 1
    assert stored["failing"].to_list() == [failing[u] for u in want]
    assert [r["gaps"] for r in shown] == [gaps[u] for u in want[:20]] and any(r["gaps"] for r in shown)
    with engine.begin() as conn:
        conn.execute(update(store.T).values(fail_count=None))
    with engine.connect() as conn:
        assert xiaoshenggao_candidates(conn, TODAY).equals(stored)


def _holder(engine):
    import polars as pl

    from kechuang.ledgers.store import load_frame
    from kechuang.ledgers.validity import valid_on

    with engine.connect() as conn:
        certs = load_frame(conn, "certification").filter(pl.col("cert_type") == "hnte").to_dicts()
    return next(c["uscc"] for c in certs if valid_on(c, TODAY))


def test_lists_have_names_pages_region_names_and_no_default_region(engine, client_as):
    recs = _evaluate(engine)
    c = client_as("officer", "320900")
    page = c.get("/programs/tech_sme", params={"held": 1})
    assert page.status_code == 200
    assert 'value="320900"' not in page.text and 'value=""' in page.text  # the region box is not pre-filled
    assert "企业名称" in page.text and "【演示】" in page.text  # names, linked to the enterprise page
    n = sum(1 for r in recs if r["program"] == "tech_sme")
    assert n > 100 and "下一页" in page.text
    second = c.get("/programs/tech_sme", params={"page": 2, "held": 1})
    assert second.text.count('href="/enterprises/') == n - 100
    named = c.get("/programs/tech_sme", params={"region": "亭湖区"})
    assert named.status_code == 200 and "亭湖区" in named.text and "射阳县" not in named.text
    assert c.get("/programs/tech_sme", params={"region": "不存在区"}).status_code == 404
    xs = c.get("/programs/xiaoshenggao", params={"region": "亭湖区"})
    assert xs.status_code == 200 and "【演示】" in xs.text and "术语说明" in xs.text
    wb = openpyxl.load_workbook(io.BytesIO(c.get("/programs/xiaoshenggao", params={"format": "xlsx"}).content))
    assert [x.value for x in wb.active[1]][:3] == ["序号", "企业名称", "统一社会信用代码"]


def test_hnte_zero_pass_is_explained(engine, client_as):
    recs = _evaluate(engine)
    hnte = [r for r in recs if r["program"] == "hnte"]
    assert not any(r["result"] == "pass" for r in hnte)
    page = client_as("officer", "320900").get("/programs")
    assert "“符合”为 0：高新技术企业" in page.text and "得分区间" in page.text


def test_enterprise_ladder_starts_from_titles_held(engine, client_as):
    _evaluate(engine)
    uscc = _holder(engine)
    page = client_as("admin").get(f"/enterprises/{uscc}")
    assert page.status_code == 200
    text = page.text
    assert 'id="titles-held"' in text and "高新技术企业（有效期至" in text
    row = text[text.index('data-program="hnte"'):]
    assert "已持有" in row[:400]
    nxt = text[text.index('id="next-step"'):]
    nxt = nxt[:nxt.index("</p>")]
    assert "高新技术企业" not in nxt and "科技型中小企业" not in nxt  # the next step is above the title held
    assert "规则置信度" in text and "术语说明" in text


def test_program_lists_leave_out_certificate_holders_unless_asked(engine, client_as):
    _evaluate(engine)
    holder = _holder(engine)
    c = client_as("admin")
    candidates = c.get("/programs/hnte")
    assert holder not in candidates.text and "已排除持有有效高新技术企业证书" in candidates.text
    everyone = c.get("/programs/hnte", params={"held": 1, "result": ""})
    import re

    pages = int(re.search(r"第 1 / (\d+) 页", everyone.text).group(1)) if "第 1 /" in everyone.text else 1
    found = any(holder in c.get("/programs/hnte", params={"held": 1, "page": p}).text for p in range(1, pages + 1))
    assert found


def _holders_of(engine, cert_type):
    import polars as pl

    from kechuang.ledgers.store import load_frame
    from kechuang.ledgers.validity import valid_on

    with engine.connect() as conn:
        certs = load_frame(conn, "certification").filter(pl.col("cert_type") == cert_type).to_dicts()
    return {c["uscc"] for c in certs if valid_on(c, TODAY)}


def test_list_rows_joined_in_code_match_the_template_loop():
    """A program list's rows, joined in code, are the HTML the template's loop made: the same
    escaping (names, gaps with quotes and angle brackets), numbering from the page's start, the
    一步之遥 and certificate-holder marks."""
    from jinja2 import Environment

    from kechuang.web.routes.programs import _rows_html

    loop = Environment(autoescape=True).from_string(
        '{% for r in rows %}\n'
        '  <tr data-uscc="{{ r["uscc"] }}"><td>{{ start + loop.index }}</td><td><a href="/enterprises/{{ r["uscc"] }}">'
        '{{ r["name"] or r["uscc"] }}</a></td><td>{{ r["uscc"] }}</td><td>{{ r["region"] }}</td>\n'
        '    <td class="status-{{ r["status"] }}">{{ r["result"] }}{% if r["status"] == \'close\' %}（一步之遥）{% endif %}'
        '{% if r["held"] %} <span class="badge">已持有有效证书</span>{% endif %}</td><td>{{ r["version"] }}</td>\n'
        '    <td>{{ r["score"] }}</td><td>{{ r["gap"] }}</td></tr>{% endfor %}')
    rows = [{"uscc": "91320900A&B", "name": "盐城<甲>\"公司\"", "region": "亭湖区", "status": "close", "result": "未通过",
             "version": "2024", "score": "58–63", "gap": "研发费用占比 < 3% 且 '专利' 不足", "held": False},
            {"uscc": "91320900C", "name": "", "region": "", "status": "pass", "result": "通过", "version": "2023",
             "score": "", "gap": "", "held": True},
            {"uscc": "91320900D", "name": "乙", "region": "盐都区", "status": "far", "result": "未通过",
             "version": "2024", "score": "12.5", "gap": "x", "held": True}]
    for start in (0, 300):
        assert "\n  " + str(_rows_html(rows, start)) == loop.render(rows=rows, start=start)
    assert str(_rows_html([], 0)) == ""


def test_a_lists_left_out_holders_are_those_the_programs_page_counts_apart(engine, client_as):
    """The list of a scope leaves out the results of enterprises holding a valid certificate,
    wherever it was recorded, and says how many: the number /programs counts as held there."""
    import re

    from kechuang.programs.pipeline import program_counts
    from kechuang.regions import registry

    _evaluate(engine)
    holders = _holders_of(engine, "hnte")
    with engine.connect() as conn:
        counts = program_counts(conn, TODAY)
    held = counts.filter((counts["program"] == "hnte") & (counts["status"] == "held"))
    assert held["n"].sum() > 0
    c = client_as("admin")
    for region in (None, "亭湖区", "射阳县"):
        code = registry().resolve(region).code if region else None
        scope = registry().subtree_codes(code) if code else None
        want = held.filter(held["region_code"].is_in(sorted(scope)))["n"].sum() if scope else held["n"].sum()
        page = c.get("/programs/hnte", params={"region": region} if region else {})
        note = re.search(r"已排除持有有效高新技术企业证书的 (\d+) 家企业", page.text)
        assert (int(note.group(1)) if note else 0) == want, region
        shown = set(re.findall(r'data-uscc="([^"]+)"', page.text))
        assert shown and not shown & holders
