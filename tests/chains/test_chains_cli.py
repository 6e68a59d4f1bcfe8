"""``kechuang chains assign`` / ``chains status`` against docs/contracts.md §7."""

import json
import re
from pathlib import Path

import pytest
from helpers_chains import uscc, write_scene
from typer.testing import CliRunner

from kechuang.cli import app

runner = CliRunner()
DOC = (Path(__file__).resolve().parents[2] / "docs" / "contracts.md").read_text(encoding="utf-8")


def documented(heading: str) -> list[str]:
    body = DOC.split(heading, 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", body, flags=re.M)


def lines(out: str) -> list[dict]:
    return [json.loads(x) for x in out.splitlines() if x.strip()]


def test_assign_prints_the_contract_keys_for_each_node(tmp_path, chains_dir):
    f = tmp_path / "e.csv"
    f.write_text("统一社会信用代码,企业名称,行业代码,主营产品,经营范围\n"
                 f"{uscc(1)},甲,C3841,三元锂离子动力电池；储能电池系统,\n"
                 f"{uscc(2)},乙,C3841,铅酸蓄电池,\n"
                 f"{uscc(3)},丙,,,充电桩、换电站建设运营\n", encoding="utf-8")
    r = runner.invoke(app, ["chains", "assign", "--input", str(f), "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    got = lines(r.stdout)
    keys = documented("### 7.1")
    assert all(list(g)[:len(keys)] == keys for g in got)
    assert {(g["uscc"], g["node"]) for g in got} == {(uscc(1), "nev.battery"), (uscc(1), "storage.cell"),
                                                    (uscc(3), "nev.charging")}
    for g in got:
        assert g["evidence"] and all(e["kind"] in {"industry_code", "product", "scope", "patent", "manual"}
                                     for e in g["evidence"])
        assert 0 < g["confidence"] <= 1 and g["source"] == "文件:e.csv" and g["stale"] is False
    r = runner.invoke(app, ["chains", "assign", "--input", str(f), "--chain", "storage"])
    assert {g["chain"] for g in lines(r.stdout)} == {"storage"}


def test_assign_patents_file_adds_patent_evidence(tmp_path, chains_dir):
    f = tmp_path / "e.csv"
    f.write_text(f"uscc,name,industry_code,business_scope\n{uscc(4)},丁,,电动汽车充电站建设\n", encoding="utf-8")
    p = tmp_path / "ip.csv"
    p.write_text(f"申请号,统一社会信用代码,知识产权名称,知识产权类型,法律状态,申请日期\n"
                 f"CN1,{uscc(4)},一种充电桩,实用新型,有效,2023-01-01\n", encoding="utf-8")
    r = runner.invoke(app, ["chains", "assign", "--input", str(f), "--patents", str(p)])
    assert r.exit_code == 0, r.output
    (g,) = lines(r.stdout)
    assert {"kind": "patent", "value": "充电桩"} in g["evidence"]


def test_bad_input_is_named_and_nothing_printed(tmp_path, chains_dir):
    f = tmp_path / "bad.csv"
    f.write_text("统一社会信用代码,行业代码,主营产品\n91320900MA0000000X,C3841,动力电池\n", encoding="utf-8")
    r = runner.invoke(app, ["chains", "assign", "--input", str(f)])
    assert r.exit_code == 2 and r.stdout == ""
    assert "bad.csv" in r.stderr and "统一社会信用代码" in r.stderr
    r = runner.invoke(app, ["chains", "assign", "--input", str(f), "--chain", "nope"])
    assert r.exit_code == 2 and "nope" in r.stderr


def test_status_prints_every_node_with_the_deciding_rule(tmp_path, engine, chains_dir):
    write_scene(tmp_path, engine)
    r = runner.invoke(app, ["chains", "status", "--region", "320902", "--chain", "nev", "--format", "jsonl",
                            "--as-of", "2025-06-01"])
    assert r.exit_code == 0, r.output
    got = {g["node"]: g for g in lines(r.stdout)}
    keys = documented("### 7.2")
    assert all(list(g)[:len(keys)] == keys for g in got.values())
    assert list(got) == ["nev.parts", "nev.battery", "nev.motor", "nev.vehicle", "nev.charging"]
    assert got["nev.vehicle"]["status"] == "present" and got["nev.vehicle"]["enterprises"] == 3
    assert "55,000" in got["nev.vehicle"]["reason"]
    assert got["nev.motor"]["status"] == "weak" and got["nev.motor"]["enterprises"] == 2
    assert got["nev.battery"]["status"] == "missing" and got["nev.battery"]["enterprises"] == 0
    assert got["nev.parts"]["enterprises"] == 2  # a node counts the enterprises of the nodes under it
    # 链主: scale within the node, two local motor makers upstream; the 高企 ranks first
    assert got["nev.vehicle"]["leaders"] == [uscc(2), uscc(1)]
    assert got["nev.motor"]["leaders"] == []  # upstream nodes have no 链主


def test_status_unknown_region_or_chain(chains_dir):
    assert runner.invoke(app, ["chains", "status", "--region", "火星", "--chain", "nev"]).exit_code == 2
    assert runner.invoke(app, ["chains", "status", "--region", "320902", "--chain", "x"]).exit_code == 2


def test_supplement_ranks_outside_candidates_for_missing_nodes(tmp_path, engine, chains_dir):
    import datetime as dt

    from kechuang.chains import get_chain, region_view, supplement

    write_scene(tmp_path, engine)
    view = region_view(engine, "320902", get_chain("nev"), as_of=dt.date(2025, 6, 1))
    gaps = {g.node.id: g for g in supplement(engine, view)}
    assert set(gaps) == {"nev.parts", "nev.battery", "nev.motor", "nev.charging"}
    cands = gaps["nev.battery"].candidates
    # 盐都 (same province, a patent on battery modules) before 南京 (larger, 高企)? both named, with reasons
    assert {c.uscc for c in cands} == {uscc(7), uscc(8)}
    assert all(c.region_code != "320902" and c.reasons for c in cands)
    by = {c.uscc: c for c in cands}
    assert any("专利" in r for r in by[uscc(7)].reasons)
    assert any("高新技术企业" in r for r in by[uscc(8)].reasons)
    assert by[uscc(8)].programs == [] or all(isinstance(p, str) for p in by[uscc(8)].programs)


def test_supplement_of_a_group_node_comes_from_the_nodes_under_it(tmp_path, engine, chains_dir):
    import datetime as dt

    from kechuang.chains import get_chain, region_view, supplement

    write_scene(tmp_path, engine)
    view = region_view(engine, "320902", get_chain("nev"), as_of=dt.date(2025, 6, 1))
    gaps = {g.node.id: g for g in supplement(engine, view)}
    group = gaps["nev.parts"].candidates  # the group node has no products of its own
    assert {c.uscc for c in group} == {c.uscc for c in gaps["nev.battery"].candidates} == {uscc(7), uscc(8)}
    assert all(c.reasons[0].startswith("在下级节点“") and c.node == "nev.parts" for c in group)
