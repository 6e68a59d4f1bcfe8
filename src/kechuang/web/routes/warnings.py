"""预警与督办 pages: the warnings the rules produce within the user's scope, tasks made from them
(assignee, due date, response, status) and their Excel export. The rules live in kechuang.warnings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

import polars as pl
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from ...excel import xlsx_response
from ...warnings import (TASK_STATUSES, Task, TaskError, close, create_task, gather, list_tasks, respond,
                         rules)
from ..deps import CsrfChecked, CurrentUser, DbSession, Scope, render_cached, require_edit, scope_codes

router = APIRouter()
SHOWN = 200  # rows on the page (a page of 500 weighed 350 KB); the Excel file holds all


def _gather(session, rs, rule: str | None):
    if rule and rule not in rules():
        raise HTTPException(status_code=400, detail=f"参数 rule 的值“{rule}”不是已知的预警规则")
    from ... import cache

    # computed once per data version (any change: the rules read targets, rounds, ledgers, results)
    key = ("warnings", str(session.get_bind().url), rs.key, rule or None, dt.date.today())
    return cache.cached(key, lambda: gather(session, rs.codes, only=rule or None))


@router.get("/warnings", include_in_schema=False)
def warnings_page(request: Request, session: DbSession, rs: Scope, rule: str | None = None):
    found = _gather(session, rs, rule)

    def build() -> dict:  # rendered once per data version (the rules, tasks and their states read any data)
        tasks = list_tasks(session, rs.codes)
        open_keys = {t.warning_key for t in tasks if t.status != "closed"}
        counts = {rid: 0 for rid in rules()} | found.counts()
        return {
            "rules": rules(), "rule": rule or "", "warnings": found[:SHOWN], "total": len(found), "counts": counts,
            "tasks": tasks, "open_keys": open_keys, "today": dt.date.today(), "statuses": TASK_STATUSES,
            "error": request.query_params.get("error"),
            "chart": {"tooltip": {}, "grid": {"left": 8, "right": 16, "bottom": 8, "top": 16, "containLabel": True},
                      "xAxis": {"type": "value"},
                      "yAxis": {"type": "category", "data": [rules()[r].name for r in counts], "inverse": True},
                      "series": [{"name": "预警数", "type": "bar", "data": list(counts.values())}]},
        }

    return render_cached(request, "warnings/index.html", build)


@router.get("/warnings.xlsx", include_in_schema=False)
def warnings_export(session: DbSession, rs: Scope, rule: str | None = None):
    from ...regions import name_of as name

    cols: tuple[list, ...] = ([], [], [], [])
    for w in _gather(session, rs, rule):  # one pass: each warning is made once
        for col, value in zip(cols, (rules()[w.rule].name, name(w.region_code), w.uscc, w.text)):
            col.append(value)
    warn = pl.DataFrame(dict(zip(("规则", "地区", "统一社会信用代码", "预警内容"), cols)),
                        schema={k: pl.String for k in ("规则", "地区", "统一社会信用代码", "预警内容")})
    tasks = list_tasks(session, rs.codes)
    today = dt.date.today()
    task = pl.DataFrame({"编号": [t.id for t in tasks], "地区": [name(t.region_code) for t in tasks],
                         "预警内容": [t.text for t in tasks], "督办人": [t.assignee for t in tasks],
                         "办理期限": [t.due_on for t in tasks], "状态": [t.status_label for t in tasks],
                         "逾期": ["是" if t.overdue_on(today) else "否" for t in tasks],
                         "办理情况": [t.response for t in tasks]},
                        schema={"编号": pl.Int64, "地区": pl.String, "预警内容": pl.String, "督办人": pl.String,
                                "办理期限": pl.Date, "状态": pl.String, "逾期": pl.String, "办理情况": pl.String})
    return xlsx_response({"预警": warn, "督办任务": task}, f"预警与督办-{today.isoformat()}.xlsx")


def _back(error: Exception | None = None) -> RedirectResponse:
    return RedirectResponse("/warnings" + (f"?error={quote(str(error))}" if error else ""), status_code=303)


@router.post("/warnings/tasks", include_in_schema=False, dependencies=[CsrfChecked])
def task_create(session: DbSession, user: CurrentUser, key: Annotated[str, Form(max_length=200)] = "",
                assignee: Annotated[str, Form(max_length=200)] = "",
                due_on: Annotated[str, Form(max_length=40)] = ""):
    rule = key.split(":", 1)[0]
    if rule not in rules():
        raise HTTPException(status_code=404, detail="没有找到该预警,或它已不再成立")
    warning = gather(session, scope_codes(user), only=rule).find(key)
    if warning is None:
        raise HTTPException(status_code=404, detail="没有找到该预警,或它已不再成立")
    require_edit(user, warning.region_code)
    try:
        create_task(session, warning, assignee, due_on, user.username)
    except TaskError as exc:
        session.rollback()
        return _back(exc)
    return _back()


def _task(session, user, task_id: int) -> Task:
    t = session.get(Task, task_id)
    if t is None or not user.can_see(t.region_code):
        raise HTTPException(status_code=404, detail="没有找到该督办任务,或它不在您的管辖范围内")
    require_edit(user, t.region_code)
    return t


@router.post("/warnings/tasks/{task_id}/respond", include_in_schema=False, dependencies=[CsrfChecked])
def task_respond(task_id: int, session: DbSession, user: CurrentUser,
                 response: Annotated[str, Form(max_length=5000)] = ""):
    try:
        respond(session, _task(session, user, task_id), response, user.username)
    except TaskError as exc:
        session.rollback()
        return _back(exc)
    return _back()


@router.post("/warnings/tasks/{task_id}/finish", include_in_schema=False, dependencies=[CsrfChecked])
def task_finish(task_id: int, session: DbSession, user: CurrentUser):
    try:
        close(session, _task(session, user, task_id), user.username)
    except TaskError as exc:
        session.rollback()
        return _back(exc)
    return _back()
