"""分包服务 pages: an officer's own list of enterprises, and on each enterprise page its service
officer, visit records and application status per program. The rules live in kechuang.service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from ... import audit
from ...service import (APPLICATION_STATUSES, ServiceError, add_visit, assign, my_work, of_enterprise, officer_list,
                        set_application)
from ..deps import CsrfChecked, CurrentUser, DbSession, Scope, render, require_edit, templates
from .ledgers import ENTERPRISE_PANELS

router = APIRouter()


@router.get("/service", include_in_schema=False)
def service_page(request: Request, session: DbSession, rs: Scope, officer: str | None = None):
    """My enterprises (分包服务); a city's officer may look at everyone's within the scope."""
    mine = (officer or "").strip()[:64] or rs.user.username
    everyone = mine == "*"
    rows = officer_list(session, rs.codes, None if everyone else mine)
    return render(request, "service.html", {"rows": rows, "officer": mine, "everyone": everyone})


@router.get("/my", include_in_schema=False)
def my_page(request: Request, session: DbSession, rs: Scope):
    """我的任务: the user's own 督办 tasks and 分包 enterprises in one list, overdue first."""
    today = dt.date.today()
    items = my_work(session, rs.user.username, rs.codes, today)
    return render(request, "my.html", {"items": items, "today": today,
                                       "overdue": sum(1 for i in items if i["overdue"])})


@router.get("/my.xlsx", include_in_schema=False)
def my_export(session: DbSession, rs: Scope):
    import polars as pl

    from ...excel import xlsx_response
    from ...regions import name_of as name

    today = dt.date.today()
    items = my_work(session, rs.user.username, rs.codes, today)
    frame = pl.DataFrame({"类别": [i["kind"] for i in items], "事项": [i["text"] for i in items],
                          "地区": [name(i["region_code"]) for i in items],
                          "统一社会信用代码": [i["uscc"] for i in items], "期限": [i["due_on"] for i in items],
                          "逾期": ["是" if i["overdue"] else "否" for i in items],
                          "状态": [i["status"] for i in items]},
                         schema={"类别": pl.String, "事项": pl.String, "地区": pl.String, "统一社会信用代码": pl.String,
                                 "期限": pl.Date, "逾期": pl.String, "状态": pl.String})
    return xlsx_response({"我的任务": frame}, f"我的任务-{rs.user.username}-{today.isoformat()}.xlsx")


def _enterprise_region(session, user, uscc: str) -> str:
    from ...ledgers.store import enterprise_regions
    from ...ledgers.uscc import normalize

    code = enterprise_regions(session.connection(), [normalize(uscc)]).get(normalize(uscc))
    if code is None or not user.can_see(code):
        raise HTTPException(status_code=404, detail="没有找到该企业,或该企业不在您的管辖范围内")
    require_edit(user, code)
    return code


def _back(uscc: str, error: Exception | None = None) -> RedirectResponse:
    from urllib.parse import quote

    query = f"?error={quote(str(error))}" if error else ""
    return RedirectResponse(f"/enterprises/{uscc}{query}#service", status_code=303)


def _change(session, uscc: str, change, *args) -> RedirectResponse:
    try:
        change(session, uscc, *args)
    except ServiceError as exc:
        session.rollback()
        return _back(uscc, exc)
    return _back(uscc)


@router.post("/enterprises/{uscc}/assign", include_in_schema=False, dependencies=[CsrfChecked])
def assign_action(uscc: str, session: DbSession, user: CurrentUser,
                  officer: Annotated[str, Form(max_length=200)] = ""):
    code = _enterprise_region(session, user, uscc)
    return _change(session, uscc, assign, code, officer, user.username)


@router.post("/enterprises/{uscc}/visits", include_in_schema=False, dependencies=[CsrfChecked])
def visit_action(uscc: str, session: DbSession, user: CurrentUser,
                 visited_on: Annotated[str, Form(max_length=40)] = "",
                 needs: Annotated[str, Form(max_length=5000)] = "",
                 promises: Annotated[str, Form(max_length=5000)] = ""):
    code = _enterprise_region(session, user, uscc)
    return _change(session, uscc, add_visit, code, visited_on, needs, promises, user.username)


@router.post("/enterprises/{uscc}/applications", include_in_schema=False, dependencies=[CsrfChecked])
def application_action(uscc: str, session: DbSession, user: CurrentUser,
                       program: Annotated[str, Form(max_length=64)] = "",
                       year: Annotated[str, Form(max_length=20)] = "",
                       status: Annotated[str, Form(max_length=32)] = ""):
    code = _enterprise_region(session, user, uscc)
    return _change(session, uscc, set_application, code, program, year, status, user.username)


def service_panel(request: Request, uscc: str) -> dict:
    """What the enterprise page shows of its service (see service/enterprise_panel.html)."""
    from ...programs.catalog import program_names

    with request.app.state.session_factory() as session:
        data = of_enterprise(session, uscc)
        history = [e for e in audit.trail(session, "enterprise", uscc)]
        session.expunge_all()
    return {**data, "history": history, "programs": program_names(), "statuses": APPLICATION_STATUSES,
            "year": dt.date.today().year, "error": request.query_params.get("error")}


templates.env.globals["service_panel"] = service_panel
if "service/enterprise_panel.html" not in ENTERPRISE_PANELS:
    ENTERPRISE_PANELS.append("service/enterprise_panel.html")
