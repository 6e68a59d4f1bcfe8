"""The registry kept built on disk between processes is the registry built from the data files,
and a changed data file is never read from a stale copy."""

from __future__ import annotations

import shutil

from kechuang.regions.registry import DATA_DIR, RegionRegistry


def test_cached_registry_is_the_built_one(tmp_path):
    built = RegionRegistry()
    first = RegionRegistry.cached(cache_dir=tmp_path)  # builds and writes
    assert len(list(tmp_path.glob("regions-*.marshal"))) == 1
    again = RegionRegistry.cached(cache_dir=tmp_path)  # reads
    for reg in (first, again):
        assert list(reg) == list(built)
        assert reg._index == built._index and reg._children == built._children
        assert [r.code for r in reg.find("江阴")] == ["320281"]
        assert reg.resolve("新吴", within="无锡市").code == "320214"
        assert reg.find_in_text("江阴市高新区企业") == built.find_in_text("江阴市高新区企业")


def test_changed_data_is_rebuilt(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    cache = tmp_path / "cache"
    RegionRegistry.cached(data, cache_dir=cache)
    local = data / "local.yaml"
    local.write_text(local.read_text(encoding="utf-8").replace("\naliases:\n", "\naliases:\n  \"320281\": [澄江测试名]\n", 1),
                     encoding="utf-8")
    reg = RegionRegistry.cached(data, cache_dir=cache)
    assert [r.code for r in reg.find("澄江测试名")] == ["320281"]
    assert len(list(cache.glob("regions-*.marshal"))) == 2
