"""Reporting rounds (填报 → 审核 → 汇总): a city opens a round for a period, the regions below it
each upload the ledgers it asks for and submit, the city returns (退回, with a reason) or approves;
approved files are imported into the ledgers, so their figures flow into progress.

Public API: ``open_round``, ``upload``, ``submit``, ``return_submission``, ``approve``, ``board``,
``RoundError`` and the tables ``Round``, ``Submission``, ``RoundFile``.
"""

from .store import (PERIOD_KINDS, STATUSES, Round, RoundError, RoundFile, Submission, approve, board, get_round,
                    list_rounds, open_round, return_submission, submission_of, submit, upload)

__all__ = ["PERIOD_KINDS", "STATUSES", "Round", "RoundError", "RoundFile", "Submission", "approve", "board",
           "get_round", "list_rounds", "open_round", "return_submission", "submission_of", "submit", "upload"]
