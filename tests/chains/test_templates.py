"""Chain templates: the shipped files load, every node has an official code or a stated reason,
a city's copy replaces a shipped chain, and bad files are refused naming file, node and field."""

from pathlib import Path

import pytest
import yaml

from kechuang.chains.templates import DATA, TemplateError, load_chains, load_dir, normalize_code

FIXTURES = Path(__file__).parent / "templates"


def test_shipped_templates_load_and_every_node_has_a_code_or_a_reason():
    chains = load_chains()
    for chain in chains.values():
        assert chain.sources, chain.id
        for node in chain.nodes:
            assert node.industry_codes or node.sei_codes or (node.no_code_reason or "").strip(), node.id
            assert set(node.sources) <= {s.id for s in chain.sources}, node.id
    assert len(chains) == len(list(DATA.glob("*.yaml"))) if DATA.is_dir() else not chains


def _write(tmp_path: Path, name: str, raw: dict) -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return p


def _raw():
    return yaml.safe_load((FIXTURES / "nev.yaml").read_text(encoding="utf-8"))


def test_node_without_code_or_reason_is_refused_naming_file_node_and_field(tmp_path):
    raw = _raw()
    raw["nodes"][4]["no_code_reason"] = None
    _write(tmp_path, "nev.yaml", raw)
    with pytest.raises(TemplateError) as exc:
        load_dir(tmp_path)
    text = str(exc.value)
    assert "nev.yaml" in text and "nev.charging" in text and "no_code_reason" in text


@pytest.mark.parametrize("change, words", [
    (lambda r: r["nodes"][1].update(layer="side"), ["nev.battery", "layer", "side"]),
    (lambda r: r["nodes"][1].update(industry_codes=["38x1"]), ["nev.battery", "industry_codes", "38x1"]),
    (lambda r: r["nodes"][1].update(parent="nev.nowhere"), ["nev.battery", "parent", "nev.nowhere"]),
    (lambda r: r["nodes"][1].update(sources=["nobody"]), ["nev.battery", "sources", "nobody"]),
    (lambda r: r["nodes"][2].update(id="nev.battery"), ["nev.battery", "重复"]),
    (lambda r: r["nodes"][1].update(sei_codes=["五.2"]), ["nev.battery", "sei_codes", "五.2"]),
    (lambda r: r.pop("version"), ["version"]),
])
def test_bad_fields_are_named(tmp_path, change, words):
    raw = _raw()
    change(raw)
    _write(tmp_path, "mine.yaml", raw)
    with pytest.raises(TemplateError) as exc:
        load_dir(tmp_path)
    for w in words + ["mine.yaml"]:
        assert w in str(exc.value)


def test_broken_yaml_is_named(tmp_path):
    (tmp_path / "x.yaml").write_text("id: [nev\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="x.yaml.*YAML"):
        load_dir(tmp_path)


def test_a_city_copy_overrides_the_shipped_chain_by_id(tmp_path):
    raw = _raw()
    raw["region_scope"] = "盐城市"
    raw["version"] = "2026.1-盐城"
    raw["nodes"][1]["keywords"].append("刀片电池")
    _write(tmp_path, "my-nev.yaml", raw)
    chains = load_chains(tmp_path, base=FIXTURES)
    assert chains["nev"].region_scope == "盐城市"
    assert "刀片电池" in chains["nev"].node("nev.battery").keywords
    assert "storage" in chains and "bio" in chains  # others still shipped


def test_industry_codes_lose_their_section_letter():
    assert normalize_code("C3841") == "3841"
    assert normalize_code("384") == "384"
    assert normalize_code("C38") == ""
    assert normalize_code("") == ""
