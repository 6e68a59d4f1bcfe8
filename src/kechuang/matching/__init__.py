"""揭榜挂帅 / 产学研 matching: technology demands (the ``demand`` ledger kind) against supplies
(``supply``: results, expert teams, platforms, patents), ranked with reasons, gated, near misses
named. Contract: ``kechuang match`` (docs/contracts.md §6).

Public API: ``run`` (a MatchRun of results and notes), ``Matcher``, ``read_demands``,
``read_supplies``, ``stored``, ``MatchInputError``; ``quality`` (a demand's flags before publishing) and
``workflow`` (发榜 → 揭榜 → 评审 → 签约 → 实施 → 验收, the funnel) are modules of their own.
"""

__all__ = ["MatchInputError", "MatchRun", "Matcher", "Result", "read_demands", "read_supplies", "run", "stored"]


def __getattr__(name):  # lazy: the command line starts without jieba or numpy
    if name in ("MatchRun", "Matcher", "Result", "run"):
        from . import engine

        return getattr(engine, name)
    if name in ("MatchInputError", "read_demands", "read_supplies", "stored"):
        from . import inputs

        return getattr(inputs, name)
    raise AttributeError(name)
