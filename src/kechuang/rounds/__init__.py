"""Reporting rounds (填报 → 审核 → 汇总): a city opens a round for a period, the regions below it
each upload the ledgers it asks for (or type them in cell by cell) and submit, the city returns
(退回, with a reason) or approves; approved figures are imported into the ledgers, so they flow into
progress; a closed round (关闭/归档) accepts nothing more.

Public API: ``open_round``, ``upload``, ``fill``, ``form_rows``, ``submit``, ``return_submission``,
``approve``, ``extend_deadline``, ``close_round``, ``board``, ``last_updates``, ``RoundError``, ``FillError`` and the
tables ``Round``, ``Submission``, ``RoundFile``.
"""

from .store import (FORM_ROWS, PERIOD_KINDS, STATUSES, CellProblem, FillError, Round, RoundError, RoundFile,
                    Submission, approve, board, close_round, extend_deadline, fill, form_rows, get_round,
                    last_updates, list_rounds, open_round, return_submission, submission_of, submit, upload)

__all__ = ["FORM_ROWS", "PERIOD_KINDS", "STATUSES", "CellProblem", "FillError", "Round", "RoundError", "RoundFile",
           "Submission", "approve", "board", "close_round", "extend_deadline", "fill", "form_rows", "get_round",
           "last_updates", "list_rounds", "open_round", "return_submission", "submission_of", "submit", "upload"]
