"""Bad region data is reported in Chinese with file, row and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kechuang.regions import RegionError, RegionRegistry
from kechuang.regions.registry import DATA_DIR


@pytest.fixture
def data(tmp_path: Path) -> Path:
    for name in ("gbt2260.csv", "nbs_zones.csv", "local.yaml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def _append(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def test_copy_of_shipped_data_loads(data):
    assert RegionRegistry(data).get("320281").name == "江阴市"


def test_bad_code(data):
    _append(data / "gbt2260.csv", "32028X,坏县,county,320200")
    with pytest.raises(RegionError, match=r"gbt2260\.csv 第 \d+ 行 code 字段“32028X”"):
        RegionRegistry(data)


def test_bad_level(data):
    _append(data / "nbs_zones.csv", "320979,某园区,park,320900")
    with pytest.raises(RegionError, match="level 字段“park”无效"):
        RegionRegistry(data)


def test_unknown_parent(data):
    _append(data / "gbt2260.csv", "329901,孤县,county,329900")
    with pytest.raises(RegionError, match="上级代码“329900”不存在"):
        RegionRegistry(data)


def test_duplicate_code(data):
    _append(data / "nbs_zones.csv", "320281,江阴市,zone,320200")
    with pytest.raises(RegionError, match="地区代码重复:320281"):
        RegionRegistry(data)


def test_alias_for_unknown_code(data):
    text = (data / "local.yaml").read_text(encoding="utf-8")
    text = text.replace('  "320904": [大丰市]', '  "320999": [大丰市]')
    (data / "local.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RegionError, match="aliases 中代码“320999”不存在"):
        RegionRegistry(data)


def test_broken_yaml(data):
    _append(data / "local.yaml", "units: [")
    with pytest.raises(RegionError, match="local.yaml 不是有效的 YAML"):
        RegionRegistry(data)
