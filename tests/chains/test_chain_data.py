"""Chain templates (src/kechuang/chains/data/*.yaml) and the labelled set (benchmarks/data/chains_labelled.csv).

Checks the data itself: every node carries an official code or a stated reason, codes are well-formed,
parents exist, layers are valid, sources cited exist, and every label points at a real chain node.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from kechuang.chains.templates import DATA, load_file
from kechuang.ledgers.uscc import problem as uscc_problem

LABELS = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "chains_labelled.csv"
HOLDOUT = LABELS.with_name("chains_holdout.csv")
BLIND2 = LABELS.with_name("chains_blind2.csv")

CHAIN_KEYS = {"id", "name", "version", "region_scope", "sources", "nodes"}
NODE_KEYS = {"id", "name", "parent", "layer", "industry_codes", "sei_codes", "keywords",
             "exclude_keywords", "no_code_reason", "sources"}
LAYERS = {"upstream", "midstream", "downstream"}
GBT4754 = re.compile(r"^\d{3,4}$")          # GB/T 4754-2017 group (3 digits) or class (4 digits)
SEI2018 = re.compile(r"^[1-9](\.\d{1,2}){1,2}$")  # 战略性新兴产业分类(2018): 9 domains, e.g. 5.2 or 1.2.4
CJK = re.compile(r"[\u4e00-\u9fff]")
REQUIRED_CHAINS = {"nev", "pv", "battery", "ic", "biomed", "robot"}


def _files() -> list[Path]:
    return sorted(DATA.glob("*.yaml"))


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _templates() -> dict[str, dict]:
    return {p.stem: _load(p) for p in _files()}


def test_required_chains_present():
    assert REQUIRED_CHAINS <= set(_templates())


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_template_format(path: Path):
    chain = load_file(path)  # the engine's own loader accepts it
    t = _load(path)
    assert [n.id for n in chain.nodes] == [n["id"] for n in t["nodes"]]
    assert set(t) == CHAIN_KEYS, f"{path.name}: keys {sorted(set(t) ^ CHAIN_KEYS)}"
    assert t["id"] == path.stem
    assert isinstance(t["version"], str) and t["version"]
    assert CJK.search(t["name"]) and CJK.search(t["region_scope"])
    source_ids = [s["id"] for s in t["sources"]]
    assert len(source_ids) == len(set(source_ids))
    for s in t["sources"]:
        assert set(s) == {"id", "title", "url"} and s["title"] and s["url"].startswith("http"), s

    nodes = t["nodes"]
    assert 8 <= len(nodes) <= 25, f"{path.name}: {len(nodes)} nodes"
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate node ids"
    by_id = {n["id"]: n for n in nodes}
    cited: set[str] = set()
    for n in nodes:
        where = f"{path.name} {n.get('id')}"
        assert set(n) == NODE_KEYS, f"{where}: keys {sorted(set(n) ^ NODE_KEYS)}"
        assert n["id"].startswith(t["id"] + ".") and re.fullmatch(r"[a-z0-9_.]+", n["id"]), where
        assert CJK.search(n["name"]), where
        assert n["layer"] in LAYERS, where
        assert n["parent"] is None or n["parent"] in by_id, f"{where}: parent {n['parent']} missing"
        for code in n["industry_codes"]:
            assert isinstance(code, str) and GBT4754.match(code), f"{where}: industry code {code!r}"
        for code in n["sei_codes"]:
            assert isinstance(code, str) and SEI2018.match(code), f"{where}: 战新 code {code!r}"
        if not n["industry_codes"] and not n["sei_codes"]:
            assert n["no_code_reason"] and CJK.search(n["no_code_reason"]), f"{where}: no code and no reason"
        kw, ex = n["keywords"], n["exclude_keywords"]
        assert all(isinstance(k, str) and k.strip() == k and k for k in kw + ex), where
        assert len(kw) == len(set(kw)) and len(ex) == len(set(ex)), f"{where}: repeated keyword"
        assert not set(kw) & set(ex), f"{where}: keyword also excluded: {set(kw) & set(ex)}"
        assert n["sources"] and set(n["sources"]) <= set(source_ids), f"{where}: unknown source"
        cited |= set(n["sources"])
    assert cited == set(source_ids), f"{path.name}: sources never cited: {set(source_ids) - cited}"

    # no cycles; a node without children is matched by its products, so it needs keywords
    parents = {n["id"]: n["parent"] for n in nodes}
    for nid in parents:
        seen, cur = set(), nid
        while cur is not None:
            assert cur not in seen, f"{path.name}: parent cycle at {nid}"
            seen.add(cur)
            cur = parents[cur]
    has_children = {p for p in parents.values() if p}
    for n in nodes:
        if n["id"] not in has_children:
            assert n["keywords"], f"{path.name} {n['id']}: leaf node without product keywords"


def _label_rows(path: Path = LABELS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("path", [LABELS, HOLDOUT, BLIND2], ids=lambda p: p.stem)
def test_labelled_set_points_at_template_nodes(path: Path):
    rows = _label_rows(path)
    assert list(rows[0]) == ["uscc", "name", "industry_code", "main_products", "business_scope", "chain",
                             "node", "lookalike", "note"]
    nodes = {c.id: {n.id for n in c.nodes} for c in (load_file(p) for p in _files())}
    seen: set[tuple[str, str, str]] = set()
    names: dict[str, str] = {}
    for i, r in enumerate(rows, start=2):
        where = f"{path.name} 第{i}行"
        assert uscc_problem(r["uscc"]) is None, f"{where}: 统一社会信用代码 {r['uscc']}"
        assert names.setdefault(r["uscc"], r["name"]) == r["name"], f"{where}: one code, two names"
        assert "演示" in r["name"], f"{where}: synthetic names are marked 演示"
        assert re.fullmatch(r"[A-T]?\d{4}", r["industry_code"]), f"{where}: 行业代码 {r['industry_code']}"
        assert r["main_products"] and r["business_scope"], where
        assert r["lookalike"] in ("0", "1"), where
        if r["chain"] or r["node"]:
            assert r["lookalike"] == "0", f"{where}: a look-alike is not placed"
            assert r["chain"] in nodes, f"{where}: chain {r['chain']} has no template"
            assert r["node"] in nodes[r["chain"]], f"{where}: node {r['node']} not in {r['chain']}"
        key = (r["uscc"], r["chain"], r["node"])
        assert key not in seen, f"{where}: repeated row"
        seen.add(key)
    for uscc in names:
        placed = [r for r in rows if r["uscc"] == uscc]
        if len(placed) > 1:
            assert all(r["chain"] for r in placed), f"{uscc}: an off-chain row beside chain rows"


@pytest.mark.parametrize("a, b", [(LABELS, HOLDOUT), (LABELS, BLIND2), (HOLDOUT, BLIND2)],
                         ids=lambda p: p.stem)
def test_held_out_sets_share_no_enterprise(a, b):
    assert not {r["uscc"] for r in _label_rows(a)} & {r["uscc"] for r in _label_rows(b)}
    assert not {r["name"] for r in _label_rows(a)} & {r["name"] for r in _label_rows(b)}


def test_second_blind_set_composition():
    rows = _label_rows(BLIND2)
    enterprises = {r["uscc"] for r in rows}
    assert len(enterprises) >= 80
    assert len({r["uscc"] for r in rows if r["lookalike"] == "1"}) >= 15


def test_labelled_set_composition():
    rows = _label_rows()
    enterprises = {r["uscc"] for r in rows}
    lookalikes = {r["uscc"] for r in rows if r["lookalike"] == "1"}
    off_chain = {r["uscc"] for r in rows if not r["chain"] and r["lookalike"] == "0"}
    chains_per = {}
    for r in rows:
        if r["chain"]:
            chains_per.setdefault(r["uscc"], set()).add(r["chain"])
    assert len(enterprises) >= 150
    assert len(lookalikes) >= 20 and len(off_chain) >= 15
    assert sum(len(c) > 1 for c in chains_per.values()) >= 5
    used = {r["chain"] for r in rows if r["chain"]}
    assert REQUIRED_CHAINS <= used
