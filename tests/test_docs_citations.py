"""Citations of docs/ from code, data files and the docs themselves point at sections that exist,
and nothing cites project documents kept outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCANNED = ("src", "tests", "benchmarks", "scripts", "docs", "README.md")
SUFFIXES = {".py", ".yaml", ".yml", ".toml", ".md", ".html", ".txt", ".cfg"}
CITE = re.compile(r"(?:docs/)?\b(contracts|domain|programs|annotation|innovation-points)\.md\)? ?§\s?(\d+(?:\.\d+)*)")
OUTSIDE = re.compile(r"\b(DESIGN\.md|DOMAIN\.md|rules\.md|GUIDELINES\.md)")


def _files():
    for top in SCANNED:
        p = ROOT / top
        if p.is_file():
            yield p
        elif p.is_dir():
            yield from (f for f in p.rglob("*") if f.is_file() and f.suffix in SUFFIXES
                        and "__pycache__" not in f.parts)


def _sections(page: str) -> set[str]:
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", text, re.M)}


def test_cited_sections_exist():
    sections = {p: _sections(p) for p in ("contracts", "domain", "programs", "annotation", "innovation-points")}
    bad = []
    for f in _files():
        if f.name == Path(__file__).name:
            continue
        for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for m in CITE.finditer(line):
                if m.group(2) not in sections[m.group(1)]:
                    bad.append(f"{f.relative_to(ROOT)}:{n}: {m.group(0)}")
    assert not bad, "citations of docs/ sections that do not exist:\n" + "\n".join(bad)


def test_no_citations_of_documents_outside_the_repository():
    bad = []
    for f in _files():
        if f.name == Path(__file__).name or f.parent == DOCS:
            continue
        for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                bad.append(f"{f.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert not bad, "cite docs/ instead of documents outside the repository:\n" + "\n".join(bad)
