"""Loading the region tables and answering lookups.

Data (all in ./data, sources cited there):
- gbt2260.csv   provinces, prefectures, counties (GB/T 2260), generated
- nbs_zones.csv development zones with NBS county-level statistical codes, generated
- local.yaml    hand-maintained zones/towns, aliases, naming rules, text stoplist
"""

from __future__ import annotations

import csv
import re
import unicodedata
from bisect import bisect_left
from pathlib import Path

from .model import LEVELS, AmbiguousRegion, Region, RegionError

DATA_DIR = Path(__file__).resolve().parent / "data"

# match ranks: lower is better
NAME, ALIAS, SHORT, GENERIC = 0, 1, 2, 3

_SPACE = re.compile(r"\s+")
_CODE = re.compile(r"^\d{6}$|^\d{9}$|^\d{6}[ZT]\d{2}$|^\d{9}[ZT]\d{2}$")

_SOURCES = ("gbt2260.csv", "nbs_zones.csv", "local.yaml")


def _loader():
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is several times faster


def normalize(text: str) -> str:
    """Key form of a name: NFKC, no whitespace ("新 吴 区" → "新吴区")."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def normalize_code(text: str) -> str | None:
    key = normalize(text).upper()
    if len(key) == 12 and key.isdigit():  # NBS 12-digit form
        key = key[:6] if key.endswith("000000") else key[:9] if key.endswith("000") else key
    return key if _CODE.match(key) else None


class _Rules:
    def __init__(self, cfg: dict):
        self.suffixes = sorted(cfg.get("suffixes", []), key=len, reverse=True)
        self.ethnic = sorted(cfg.get("ethnic_groups", []), key=len, reverse=True)
        self.zone_abbr = sorted((cfg.get("zone_abbreviations") or {}).items(), key=lambda kv: -len(kv[0]))

    def short_name(self, name: str, level: str) -> str:
        if level == "zone":
            for full, short in self.zone_abbr:
                if name.endswith(full):
                    return name[: -len(full)] + short
            return name
        base = name
        for suf in self.suffixes:
            if base.endswith(suf) and len(base) - len(suf) >= 2:
                base = base[: -len(suf)]
                break
        if base != name and name.endswith(("自治区", "自治州", "自治县", "自治旗")):
            changed = True
            while changed:
                changed = False
                for eth in self.ethnic:
                    if base.endswith(eth) and len(base) - len(eth) >= 2:
                        base = base[: -len(eth)]
                        changed = True
                        break
        return base


class RegionRegistry:
    """All regions with O(1) lookup by code and by any normalised name."""

    def __init__(self, data_dir: Path | str = DATA_DIR):
        import yaml

        data_dir = Path(data_dir)
        cfg_path = data_dir / "local.yaml"
        try:
            with open(cfg_path, encoding="utf-8") as fh:
                cfg = yaml.load(fh, Loader=_loader()) or {}
        except yaml.YAMLError as exc:
            raise RegionError(f"文件 {cfg_path.name} 不是有效的 YAML:{exc}") from exc
        self._cfg = cfg
        self._rules = _Rules(cfg)
        self.text_stoplist: frozenset[str] = frozenset(normalize(w) for w in cfg.get("text_stoplist", []))
        self.generic_names: frozenset[str] = frozenset(normalize(w) for w in cfg.get("generic_names", []))
        self.person_surnames: frozenset[str] = frozenset(cfg.get("person_surnames", ""))
        self.person_verbs: tuple[str, ...] = tuple(cfg.get("person_verbs", []))

        rows: list[tuple[str, str, str, str | None, str, tuple[str, ...], tuple[str, ...]]] = []
        for fname, source in (("gbt2260.csv", "gbt2260"), ("nbs_zones.csv", "nbs")):
            rows.extend(self._read_csv(data_dir / fname, source))
        rows.extend(self._read_units(cfg, cfg_path.name))

        extra_aliases: dict[str, tuple[str, ...]] = {}
        for code, names in (cfg.get("aliases") or {}).items():
            if not isinstance(names, list):
                raise RegionError(f"文件 {cfg_path.name} 的 aliases.{code} 应为名称列表,实际为“{names}”")
            extra_aliases[str(code)] = tuple(str(n) for n in names)

        raw: dict[str, tuple] = {}
        for row in rows:
            if row[0] in raw:
                raise RegionError(f"地区代码重复:{row[0]}(“{raw[row[0]][1]}”与“{row[1]}”)")
            raw[row[0]] = row
        for code in extra_aliases:
            if code not in raw:
                raise RegionError(f"文件 {cfg_path.name} 的 aliases 中代码“{code}”不存在")

        self._by_code: dict[str, Region] = {}
        self._children: dict[str, list[str]] = {}
        self._index: dict[str, dict[str, int]] = {}  # key -> {code: best rank}

        full: dict[str, str] = {}
        depth: dict[str, int] = {}

        def chain(code: str) -> str:
            if code in full:
                return full[code]
            _, name, _, parent, *_ = raw[code]
            if parent and parent not in raw:
                raise RegionError(f"地区 {code}“{name}”的上级代码“{parent}”不存在")
            full[code] = (chain(parent) if parent else "") + name
            depth[code] = depth[parent] + 1 if parent else 0
            return full[code]

        for code, (_, name, level, parent, source, aliases, generic) in raw.items():
            fullname = chain(code)
            aliases = aliases + extra_aliases.get(code, ())
            short = self._rules.short_name(name, level)
            region = Region(code, name, level, parent or None, short, fullname, aliases, source, depth[code])
            self._by_code[code] = region
            if parent:
                self._children.setdefault(parent, []).append(code)
            self._add(name, code, NAME)
            self._add(fullname, code, NAME)
            for a in aliases:
                self._add(a, code, ALIAS)
                if level == "zone":
                    self._add(self._rules.short_name(a, "zone"), code, ALIAS)
            if len(short) >= 2 and short != name:
                self._add(short, code, SHORT)
            for g in generic:
                self._add(g, code, GENERIC)
        order = {lv: i for i, lv in enumerate(LEVELS)}
        for kids in self._children.values():
            kids.sort(key=lambda c: (order[self._by_code[c].level], c))
        self._subtree: dict[str, frozenset[str]] = {}
        self._sorted_keys: list[str] | None = None
        self._scanner = None

    # ---- a built registry kept on disk (start-up of short commands) -------
    _STATE = ("text_stoplist", "generic_names", "person_surnames", "person_verbs", "_children", "_index")

    @classmethod
    def cached(cls, data_dir: Path | str = DATA_DIR, cache_dir: Path | None = None) -> RegionRegistry:
        """The registry of ``data_dir``, read from a marshal file in the user's cache when one was
        written from the same data files and code (a content hash names it), else built and
        written there. Marshal holds only plain values: no code runs when it is read."""
        import hashlib
        import marshal
        import os

        data_dir = Path(data_dir)
        h = hashlib.sha256()
        for path in [data_dir / f for f in _SOURCES] + [Path(__file__), Path(__file__).with_name("model.py")]:
            try:
                h.update(path.read_bytes())
            except OSError:
                return cls(data_dir)  # the constructor says which file is missing
        if cache_dir is None:
            cache_dir = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kechuang"
        path = Path(cache_dir) / f"regions-{h.hexdigest()[:24]}.marshal"
        try:
            state = marshal.loads(path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            state = None
        if isinstance(state, dict):
            return cls._from_state(state)
        reg = cls(data_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(marshal.dumps(reg._state()))
            os.replace(tmp, path)
        except (OSError, ValueError):
            pass  # a read-only home: build each time
        return reg

    def _state(self) -> dict:
        out = {k: getattr(self, k) for k in self._STATE}
        out["cfg"] = self._cfg
        out["regions"] = [(r.code, r.name, r.level, r.parent_code, r.short_name, r.full_name, r.aliases,
                           r.source, r.depth) for r in self._by_code.values()]
        return out

    @classmethod
    def _from_state(cls, state: dict) -> RegionRegistry:
        reg = cls.__new__(cls)
        for k in cls._STATE:
            setattr(reg, k, state[k])
        reg._cfg = state["cfg"]
        reg._rules = _Rules(reg._cfg)
        reg._by_code = {row[0]: Region(*row) for row in state["regions"]}
        reg._subtree, reg._sorted_keys, reg._scanner = {}, None, None
        return reg

    # ---- loading helpers -------------------------------------------------
    @staticmethod
    def _read_csv(path: Path, source: str):
        try:
            fh = open(path, encoding="utf-8", newline="")
        except OSError as exc:
            raise RegionError(f"无法读取地区数据文件 {path.name}:{exc}") from exc
        with fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header != ["code", "name", "level", "parent_code"]:
                raise RegionError(f"文件 {path.name} 第 1 行表头应为 code,name,level,parent_code,实际为“{header}”")
            for lineno, rec in enumerate(reader, start=2):
                if len(rec) != 4:
                    raise RegionError(f"文件 {path.name} 第 {lineno} 行应有 4 列,实际 {len(rec)} 列:“{','.join(rec)}”")
                code, name, level, parent = (v.strip() for v in rec)
                if not (len(code) == 6 and code.isdigit()):
                    raise RegionError(f"文件 {path.name} 第 {lineno} 行 code 字段“{code}”不是 6 位数字代码")
                if level not in LEVELS:
                    raise RegionError(f"文件 {path.name} 第 {lineno} 行 level 字段“{level}”无效,应为 {'/'.join(LEVELS)}")
                if not name:
                    raise RegionError(f"文件 {path.name} 第 {lineno} 行 name 字段为空(代码 {code})")
                yield (code, name, level, parent or None, source, (), ())

    @staticmethod
    def _read_units(cfg: dict, fname: str):
        for i, u in enumerate(cfg.get("units") or [], start=1):
            where = f"文件 {fname} 的 units 第 {i} 项"
            if not isinstance(u, dict):
                raise RegionError(f"{where} 应为映射,实际为“{u}”")
            code, name, level, parent = (str(u.get(k, "") or "") for k in ("code", "name", "level", "parent"))
            if not _CODE.match(code):
                raise RegionError(f"{where} code 字段“{code}”无效(应为 6/9 位数字或“上级代码+Z/T+两位序号”)")
            if level not in ("zone", "town"):
                raise RegionError(f"{where} level 字段“{level}”无效,应为 zone 或 town")
            if not name or not parent:
                raise RegionError(f"{where}(代码 {code})缺少 name 或 parent")
            source = "nbs" if code.isdigit() else "project"
            aliases = tuple(str(a) for a in u.get("aliases") or ())
            generic = tuple(str(a) for a in u.get("generic") or ())
            yield (code, name, level, parent, source, aliases, generic)

    def _add(self, text: str, code: str, rank: int) -> None:
        key = normalize(text)
        if not key:
            return
        slot = self._index.setdefault(key, {})
        if rank < slot.get(code, 99):
            slot[code] = rank

    # ---- basic access ----------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self):
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def get(self, code: str) -> Region | None:
        if code in self._by_code:
            return self._by_code[code]
        key = normalize_code(code) if isinstance(code, str) else None
        return self._by_code.get(key) if key else None

    def by_level(self, level: str) -> list[Region]:
        return [r for r in self._by_code.values() if r.level == level]

    def children(self, code: str) -> list[Region]:
        region = self.get(code)
        if region is None:
            return []
        return [self._by_code[c] for c in self._children.get(region.code, ())]

    def parent(self, code: str) -> Region | None:
        region = self.get(code)
        return self._by_code.get(region.parent_code) if region and region.parent_code else None

    def ancestors(self, code: str) -> list[Region]:
        """Ancestors from the province down to the direct parent (self excluded)."""
        out: list[Region] = []
        region = self.get(code)
        while region is not None and region.parent_code:
            region = self._by_code[region.parent_code]
            out.append(region)
        out.reverse()
        return out

    def is_within(self, code: str, ancestor_code: str) -> bool:
        """True when `code` is `ancestor_code` or lies below it."""
        region, anc = self.get(code), self.get(ancestor_code)
        if region is None or anc is None:
            return False
        while region is not None:
            if region.code == anc.code:
                return True
            region = self._by_code.get(region.parent_code) if region.parent_code else None
        return False

    def subtree_codes(self, code: str) -> set[str]:
        """The code itself and every code below it."""
        region = self.get(code)
        if region is None:
            return set()
        cached = self._subtree.get(region.code)
        if cached is None:
            out, stack = [], [region.code]
            while stack:
                c = stack.pop()
                out.append(c)
                stack.extend(self._children.get(c, ()))
            cached = self._subtree[region.code] = frozenset(out)
        return set(cached)

    # ---- name resolution -------------------------------------------------
    def _scope(self, within) -> Region | None:
        if within is None or within == "":
            return None
        if isinstance(within, Region):
            return within
        region = self.get(within) or self.resolve(within)
        if region is None:
            raise RegionError(f"上级地区“{within}”未找到或有歧义")
        return region

    def _entries(self, key: str) -> dict[str, int]:
        return self._index.get(key, {})

    def _pick(self, cands: list[tuple[int, str]]) -> Region | None:
        if not cands:
            return None
        best = min(r for r, _ in cands)
        top = [self._by_code[c] for r, c in cands if r == best]
        if len(top) == 1:
            return top[0]
        if best == SHORT:  # pure short names: prefer the higher-level unit
            d = min(r.depth for r in top)
            top = [r for r in top if r.depth == d]
            if len(top) == 1:
                return top[0]
        return None

    def _resolve_key(self, key: str, scope: Region | None) -> Region | None:
        entries = self._entries(key)
        if scope is not None:
            # generic names ("高新区") only count inside a city or smaller scope
            generic_ok = scope.level != "province"
            inside = [(r, c) for c, r in entries.items()
                      if (generic_ok or r != GENERIC) and self.is_within(c, scope.code)]
            if inside:
                return self._pick(inside)
        return self._pick([(r, c) for c, r in entries.items() if r != GENERIC])

    def _resolve_chain(self, key: str, scope: Region | None, depth: int = 0) -> Region | None:
        """Concatenated names: "无锡市新吴区", "高邮市卸甲镇", "扬州高邮"."""
        if depth > 4:
            return None
        for cut in range(len(key) - 1, 1, -1):
            head, tail = key[:cut], key[cut:]
            if head not in self._index or len(tail) < 2:
                continue
            parent = self._resolve_key(head, scope)
            if parent is None:
                continue
            found = self._resolve_key(tail, parent) or self._resolve_chain(tail, parent, depth + 1)
            if found is not None and found.code != parent.code and self.is_within(found.code, parent.code):
                return found
        return None

    def resolve(self, text: str, within=None) -> Region | None:
        """The one region `text` names (code, name, alias, short name), or None
        when unknown or ambiguous. `within` (code, name or Region) is context:
        candidates inside it are preferred."""
        if not text:
            return None
        scope = self._scope(within)
        code = normalize_code(text)
        if code:
            return self._by_code.get(code)
        key = normalize(text)
        if key in self._index:
            return self._resolve_key(key, scope)
        return self._resolve_chain(key, scope)

    def find(self, text: str, within=None) -> list[Region]:
        """Every region `text` may name, best first; restricted to `within`."""
        if not text:
            return []
        scope = self._scope(within)
        code = normalize_code(text)
        if code:
            r = self._by_code.get(code)
            return [r] if r and (scope is None or self.is_within(r.code, scope.code)) else []
        key = normalize(text)
        entries = self._entries(key)
        if scope is not None:
            generic_ok = scope.level != "province"
            cands = [(r, c) for c, r in entries.items()
                     if (generic_ok or r != GENERIC) and self.is_within(c, scope.code)]
        else:
            cands = [(r, c) for c, r in entries.items() if r != GENERIC]
        if not cands:
            hit = self._resolve_chain(key, scope)
            return [hit] if hit else []
        regions = [(r, self._by_code[c]) for r, c in cands]
        regions.sort(key=lambda rc: (rc[0], rc[1].depth, rc[1].code))
        return [reg for _, reg in regions]

    def lookup(self, text: str, within=None) -> Region:
        """Like resolve() but raises RegionError/AmbiguousRegion (Chinese message)."""
        region = self.resolve(text, within)
        if region is not None:
            return region
        cands = self.find(text, within) if within else []
        if not cands:
            cands = self.find(text)
        if not cands:
            scope = f"(在{self._scope(within).full_name}范围内)" if within else ""
            raise RegionError(f"未找到地区“{text}”{scope}")
        raise AmbiguousRegion(text, cands)

    # ---- autocomplete ----------------------------------------------------
    def search(self, prefix: str, limit: int = 20) -> list[Region]:
        """Regions whose code, name or alias starts with `prefix`; higher
        levels first."""
        key = normalize(prefix)
        if not key or limit <= 0:
            return []
        if self._sorted_keys is None:
            self._sorted_keys = sorted(self._index)
            self._sorted_codes = sorted(self._by_code)
        found: dict[str, Region] = {}
        if key.isdigit():
            i = bisect_left(self._sorted_codes, key)
            while i < len(self._sorted_codes) and self._sorted_codes[i].startswith(key) and len(found) < 500:
                found[self._sorted_codes[i]] = self._by_code[self._sorted_codes[i]]
                i += 1
        else:
            keys = self._sorted_keys
            i = bisect_left(keys, key)
            while i < len(keys) and keys[i].startswith(key) and len(found) < 500:
                for c, r in self._index[keys[i]].items():
                    if r != GENERIC:
                        found.setdefault(c, self._by_code[c])
                i += 1
        exact = self._entries(key)
        rank = {lv: i for i, lv in enumerate(LEVELS)}
        ordered = sorted(found.values(), key=lambda r: (r.code not in exact, r.depth, rank[r.level], r.code))
        return ordered[:limit]

    # ---- free text -------------------------------------------------------
    def find_in_text(self, text: str, within=None) -> list[tuple[int, int, Region]]:
        """Region mentions in `text` as (start, end, Region), longest match
        first, offsets into `text`. Spaces between Chinese characters are
        ignored ("梁 溪 区")."""
        from .text import scan

        if self._scanner is None:
            from .text import Scanner

            self._scanner = Scanner(self)
        return scan(self, self._scanner, text, self._scope(within))
