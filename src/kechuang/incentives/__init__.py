"""Incentive policies as rules (奖励资金 / 免申即享): policy files, every enterprise's awards from
the ledgers, the budget by payer and year, the cost of a policy change, and the payouts ledger.

Public API: ``all_policies``, ``load_policy``, ``compute``, ``budget``, ``by_item``, ``compare``,
``Award``, ``Policy``, ``RuleError``, ``stored_frames``, ``awards_for``.
"""

from ..programs.expr import RuleError
from .compute import Award, budget, by_item, compare, compute, text
from .model import Policy, all_policies, load_policy, policy_by_key

__all__ = ["Award", "Policy", "RuleError", "all_policies", "awards_for", "budget", "by_item", "compare",
           "compute", "load_policy", "policy_by_key", "stored_frames", "text"]


def __getattr__(name):  # the database side loads only when used
    if name in ("stored_frames", "awards_for"):
        from . import payouts

        return getattr(payouts, name)
    raise AttributeError(name)
