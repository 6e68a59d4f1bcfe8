"""Context of templates/warnings/overview_panel.html: overdue 督办 tasks in the user's region (empty when
the region has no task at all)."""

from __future__ import annotations

import datetime as dt

from .tasks import list_tasks, overdue_count


def overview_context(session, user) -> dict:
    from ..regions import scope_of

    codes = None if user.is_admin else scope_of(user.region_code)
    overdue = overdue_count(session, codes, dt.date.today())
    return {"overdue": overdue, "empty": not overdue and not list_tasks(session, codes)}
