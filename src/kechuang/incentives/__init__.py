"""Incentive policies as rules (奖励资金 / 免申即享): policy files, every enterprise's awards from
the ledgers, the budget by payer and year, the cost of a policy change, and the payouts ledger.

Public API: ``all_policies``, ``load_policy``, ``policy_by_key``, ``compute``, ``budget``,
``by_item``, ``compare``, ``text``, ``Award``, ``Policy``, ``RuleError``, ``stored_frames``,
``awards_for``.
"""

__all__ = ["Award", "Policy", "RuleError", "all_policies", "awards_for", "budget", "by_item", "compare",
           "compute", "load_policy", "policy_by_key", "stored_frames", "text"]

_WHERE = {"RuleError": "..programs.expr", "Award": ".engine", "budget": ".engine", "by_item": ".engine",
          "compare": ".engine", "compute": ".engine", "text": ".engine", "Policy": ".model",
          "all_policies": ".model", "load_policy": ".model", "policy_by_key": ".model",
          "stored_frames": ".payouts", "awards_for": ".payouts"}


def __getattr__(name):  # lazy: keep `import kechuang.cli` light (the command line starts fast)
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(name)
