"""预警与督办: rules as data (rules.yaml) produce warnings per region and enterprise; a warning
becomes a task assigned to a person with a due date and a response.

Public API: ``rules``, ``evaluate``, ``gather`` (counted at once, made into objects as read: ``Found``),
``Warning``, ``create_task``, ``respond``, ``close``, ``list_tasks``, ``overdue_count``, ``TaskError``, ``Task``,
``TASK_STATUSES``.
"""

from .rules import Found, Warning, evaluate, gather, rules
from .tasks import TASK_STATUSES, Task, TaskError, close, create_task, list_tasks, overdue_count, respond

__all__ = ["TASK_STATUSES", "Found", "Task", "TaskError", "Warning", "close", "create_task", "evaluate", "gather",
           "list_tasks", "overdue_count", "respond", "rules"]
