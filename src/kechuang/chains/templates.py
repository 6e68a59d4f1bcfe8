"""Chain templates (one YAML file per chain, docs/chains.md): loading and validation.

The package ships national templates under ``data/``; a city copies a file into its own directory
(setting ``KECHUANG_CHAINS_DIR``), edits it, and that copy replaces the shipped chain of the same id.
Every problem is reported in Chinese naming the file, the node and the field."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
LAYERS = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}
_CLASS = re.compile(r"^[A-T]?(\d{3,4})$")
_SEI = re.compile(r"^\d+(\.\d+){0,3}\*?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*(\.[a-z0-9_\-]+)*$")


class TemplateError(ValueError):
    """Bad chain template(s); ``problems`` name file, node and field."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str = ""


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    parent: str | None
    layer: str
    industry_codes: tuple[str, ...]
    sei_codes: tuple[str, ...]
    keywords: tuple[str, ...]
    exclude_keywords: tuple[str, ...]
    no_code_reason: str | None
    sources: tuple[str, ...]

    @property
    def layer_name(self) -> str:
        return LAYERS[self.layer]


@dataclass(frozen=True)
class Chain:
    id: str
    name: str
    version: str
    region_scope: str
    sources: tuple[Source, ...]
    nodes: tuple[Node, ...]
    path: Path = field(compare=False)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def children(self, node_id: str | None) -> list[Node]:
        return [n for n in self.nodes if n.parent == node_id]

    def subtree(self, node_id: str) -> list[str]:
        """The node and every node under it (children first, then theirs)."""
        out = [node_id]
        for nid in out:
            out += [n.id for n in self.children(nid)]
        return out


def normalize_code(code: str) -> str:
    """GB/T 4754 code without its section letter: C3841 → 3841; '' when it is no class/group code."""
    m = _CLASS.match(str(code or "").strip().upper())
    return m.group(1) if m else ""


def _texts(raw, where: str, fld: str, problems: list[str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, (str, int)) and str(x).strip() for x in raw):
        problems.append(f"{where}：字段 {fld} 应为非空文字的列表，现为“{raw}”")
        return ()
    return tuple(str(x).strip() for x in raw)


def parse_chain(raw, path: Path) -> Chain:
    """One template file's content → Chain; TemplateError listing every problem."""
    fname = path.name
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise TemplateError([f"产业链模板“{fname}”：内容应为键值表(id、name、nodes…)"])
    for key in ("id", "name", "version", "nodes"):
        if not raw.get(key):
            problems.append(f"产业链模板“{fname}”：缺少字段 {key}")
    cid = str(raw.get("id") or "")
    if cid and not _ID.match(cid):
        problems.append(f"产业链模板“{fname}”：字段 id 的值“{cid}”只能用小写字母、数字、下划线和连字符")
    sources = []
    for i, s in enumerate(raw.get("sources") or [], 1):
        if not isinstance(s, dict) or not s.get("id") or not s.get("title"):
            problems.append(f"产业链模板“{fname}”：sources 第 {i} 项应有 id 和 title，现为“{s}”")
            continue
        sources.append(Source(str(s["id"]), str(s["title"]), str(s.get("url") or "")))
    source_ids = {s.id for s in sources}
    if not sources:
        problems.append(f"产业链模板“{fname}”：缺少字段 sources(引用的文件)")
    nodes: list[Node] = []
    seen: set[str] = set()
    raw_nodes = raw.get("nodes") or []
    if not isinstance(raw_nodes, list):
        raise TemplateError(problems + [f"产业链模板“{fname}”：字段 nodes 应为节点列表"])
    for i, n in enumerate(raw_nodes, 1):
        if not isinstance(n, dict):
            problems.append(f"产业链模板“{fname}”第 {i} 个节点：应为键值表，现为“{n}”")
            continue
        nid = str(n.get("id") or "")
        where = f"产业链模板“{fname}”节点“{nid or f'第 {i} 个'}”"
        if not nid:
            problems.append(f"{where}：缺少字段 id")
        elif nid in seen:
            problems.append(f"{where}：节点 id 重复")
        elif cid and not nid.startswith(cid + "."):
            problems.append(f"{where}：字段 id 应以“{cid}.”开头")
        seen.add(nid)
        if not n.get("name"):
            problems.append(f"{where}：缺少字段 name")
        layer = n.get("layer")
        if layer not in LAYERS:
            problems.append(f"{where}：字段 layer 的值“{layer}”无效，可选 upstream、midstream、downstream")
        codes = _texts(n.get("industry_codes"), where, "industry_codes", problems)
        for c in codes:
            if not normalize_code(c):
                problems.append(f"{where}：字段 industry_codes 中的“{c}”不是国民经济行业分类(GB/T 4754-2017)的中类(3位)或小类(4位)代码")
        sei = _texts(n.get("sei_codes"), where, "sei_codes", problems)
        for c in sei:
            if not _SEI.match(c):
                problems.append(f"{where}：字段 sei_codes 中的“{c}”不是战略性新兴产业分类(2018)的条目编号(如 5.2.1)")
        reason = n.get("no_code_reason")
        if not codes and not sei and not (isinstance(reason, str) and reason.strip()):
            problems.append(f"{where}：industry_codes 与 sei_codes 都为空时必须填写 no_code_reason(说明为何没有官方代码)")
        keywords = _texts(n.get("keywords"), where, "keywords", problems)
        excludes = _texts(n.get("exclude_keywords"), where, "exclude_keywords", problems)
        cited = _texts(n.get("sources"), where, "sources", problems)
        for s in cited:
            if s not in source_ids:
                problems.append(f"{where}：字段 sources 引用了未声明的来源“{s}”")
        nodes.append(Node(nid, str(n.get("name") or ""), (str(n["parent"]) if n.get("parent") else None),
                          str(layer), tuple(normalize_code(c) for c in codes if normalize_code(c)), sei,
                          keywords, excludes, (reason.strip() if isinstance(reason, str) else None), cited))
    for n in nodes:
        if n.parent and n.parent not in seen:
            problems.append(f"产业链模板“{fname}”节点“{n.id}”：字段 parent 指向不存在的节点“{n.parent}”")
    if problems:
        raise TemplateError(problems)
    return Chain(cid, str(raw["name"]), str(raw["version"]), str(raw.get("region_scope") or "全国"),
                 tuple(sources), tuple(nodes), path)


def load_file(path: Path) -> Chain:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise TemplateError([f"产业链模板“{path.name}”：不是 UTF-8 编码的文本"]) from None
    except yaml.YAMLError as exc:
        raise TemplateError([f"产业链模板“{path.name}”：YAML 格式错误：{exc}"]) from None
    return parse_chain(raw, path)


def load_dir(directory: Path) -> dict[str, Chain]:
    """Every ``*.yaml`` chain of a directory by id; TemplateError with every file's problems."""
    out: dict[str, Chain] = {}
    problems: list[str] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            chain = load_file(path)
        except TemplateError as exc:
            problems += exc.problems
            continue
        if chain.id in out:
            problems.append(f"产业链模板“{path.name}”：链 id“{chain.id}”与“{out[chain.id].path.name}”重复")
        out[chain.id] = chain
    if problems:
        raise TemplateError(problems)
    return out


def override_dir() -> Path | None:
    """The city's own template directory (``KECHUANG_CHAINS_DIR``), if set."""
    d = os.environ.get("KECHUANG_CHAINS_DIR", "").strip()
    return Path(d) if d else None


def load_chains(extra: Path | None = None, *, base: Path | None = None) -> dict[str, Chain]:
    """Shipped templates, then the city's copies (same id → the copy wins)."""
    base = DATA if base is None else base
    chains = load_dir(base) if base.is_dir() else {}
    if extra is not None:
        if not Path(extra).is_dir():
            raise TemplateError([f"产业链模板目录“{extra}”不存在"])
        chains.update(load_dir(extra))
    return dict(sorted(chains.items()))


@lru_cache(maxsize=4)
def _cached(extra: str | None) -> dict[str, Chain]:
    return load_chains(Path(extra) if extra else None)


def chains() -> dict[str, Chain]:
    """The templates in force (shipped + ``KECHUANG_CHAINS_DIR``), cached per setting."""
    d = override_dir()
    return _cached(str(d) if d else None)


def get_chain(chain_id: str) -> Chain:
    all_ = chains()
    if chain_id not in all_:
        known = "、".join(all_) or "(无)"
        raise TemplateError([f"没有 id 为“{chain_id}”的产业链模板，可选：{known}"])
    return all_[chain_id]
