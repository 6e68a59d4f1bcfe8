"""YAML loading that remembers where every value came from (file, line, column)."""

from __future__ import annotations

from pathlib import Path

import yaml


class MarkedDict(dict):
    """A mapping that also records the position of each key's value."""

    file: str = ""
    line: int = 0
    marks: dict

    def mark(self, key) -> tuple[int, int]:
        """(1-based line, 1-based column) of the value under ``key``."""
        return self.marks.get(key, (self.line, 1))


class MarkedList(list):
    file: str = ""
    line: int = 0


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    out = MarkedDict()
    out.marks = {}
    out.file = loader.name
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        # column of the scalar's first character; quoted scalars start one later
        col = value_node.start_mark.column + 1
        if isinstance(value_node, yaml.ScalarNode) and value_node.style in ("'", '"'):
            col += 1
        out.marks[key] = (value_node.start_mark.line + 1, col)
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    out = MarkedList(loader.construct_object(n, deep=True) for n in node.value)
    out.file = loader.name
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def load_marked(path: Path):
    text = Path(path).read_text(encoding="utf-8")
    loader = _Loader(text)
    loader.name = Path(path).name
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
