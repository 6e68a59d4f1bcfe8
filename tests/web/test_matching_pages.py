"""技术需求对接 pages: a demand's ranked supplies with reasons and near misses, scoped by region,
exported to Excel."""

import io
import sys
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).parents[1] / "matching"))

from helpers_matching import DEMAND_HEADER, DEMANDS, SUPPLIES, SUPPLY_HEADER, write_csv  # noqa: E402

from kechuang.ledgers import import_file  # noqa: E402


def _load(engine, tmp_path):
    d = write_csv(tmp_path / "需求.csv", DEMAND_HEADER, [DEMANDS[0], DEMANDS[2]])
    s = write_csv(tmp_path / "供给.csv", SUPPLY_HEADER, SUPPLIES)
    assert import_file(engine, "demand", d).ok
    assert import_file(engine, "supply", s).ok


def test_demand_page_lists_matches_reasons_and_near_misses(client_as, engine, tmp_path):
    _load(engine, tmp_path)
    c = client_as("officer", "320214")
    page = c.get("/matching")
    assert page.status_code == 200
    assert "技术需求对接" in page.text and "高精度锂电池极片缺陷视觉检测" in page.text
    one = c.get("/matching/D1", params={"as_of": "2026-12-01"})
    assert one.status_code == 200
    assert 'data-supply="S1"' in one.text and "共同术语" in one.text
    assert "存在利益冲突" in one.text  # S4 belongs to the demander: a near miss naming the gate
    x = c.get("/matching/D1", params={"as_of": "2026-12-01", "format": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    head = [cell.value for cell in ws[1]]
    rows = [dict(zip(head, [cell.value for cell in r])) for r in ws.iter_rows(min_row=2)]
    assert next(r for r in rows if r["排名"] == 1)["供给编号"] == "S1"
    s4 = next(r for r in rows if r["供给编号"] == "S4")
    assert s4["排名"] is None and "利益冲突" in s4["未通过的条件"]
    xl = c.get("/matching", params={"format": "xlsx"})
    assert openpyxl.load_workbook(io.BytesIO(xl.content)).active.max_row == 3


def test_demand_outside_the_scope_is_not_shown(client_as, engine, tmp_path):
    _load(engine, tmp_path)
    c = client_as("officer", "320211")  # 滨湖区: the demands are 新吴区's
    assert "高精度锂电池" not in c.get("/matching").text
    assert c.get("/matching/D1").status_code == 404


def test_demand_list_kept_as_a_page_shows_a_new_demand_on_the_next_view(client_as, db_url, engine, tmp_path):
    """The list is served from the page cache until the demand ledger changes, here by an import
    from another process (its own engine), as the command line makes it."""
    from kechuang import db

    _load(engine, tmp_path)
    c = client_as("officer", "320214")
    first = c.get("/matching").text
    assert c.get("/matching").text == first
    assert "新发布的极片测厚需求" not in first
    other = db.make_engine(db_url)
    try:
        row = [DEMANDS[2][0] + "X", "新发布的极片测厚需求", *DEMANDS[2][2:]]
        assert import_file(other, "demand", write_csv(tmp_path / "新需求.csv", DEMAND_HEADER, [row])).ok
    finally:
        other.dispose()
    assert "新发布的极片测厚需求" in c.get("/matching").text
