"""Industry chains (强链补链): chain templates as data, enterprises placed on nodes with evidence,
node status per region, 链主 candidates and 补链 candidates. Contract: ``kechuang chains assign`` /
``chains status`` (docs/contracts.md §7); templates and sources: docs/chains.md.

Public API: ``chains``, ``get_chain``, ``load_chains``, ``TemplateError``, ``Assigner``,
``Assignment``, ``read_enterprises``, ``region_view``, ``decide``, ``supplement``.
"""

__all__ = ["Assigner", "Assignment", "ChainInputError", "TemplateError", "chains", "decide", "get_chain",
           "load_chains", "read_enterprises", "region_view", "supplement"]

_WHERE = {"chains": "templates", "get_chain": "templates", "load_chains": "templates",
          "TemplateError": "templates", "Assigner": "assign", "Assignment": "assign",
          "read_enterprises": "inputs", "ChainInputError": "inputs", "region_view": "status",
          "decide": "decisions", "supplement": "gaps"}


def __getattr__(name):  # lazy: the command line starts without jieba
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(name)
