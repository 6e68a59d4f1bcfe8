"""Login, overview, regions, audit log, health."""

from __future__ import annotations

import importlib
import re
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select, text

from ... import audit
from ...accounts import Role, User, authenticate
from ...regions import registry
from ..deps import (SESSION_KEY, AdminUser, CsrfChecked, CurrentUser, DbSession, render, render_cached,
                    require_scope)
from ..security import client_address, csrf_token

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request):
    with request.app.state.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request):
    """200 once this process has finished its warm-up (`kechuang.warm`), 503 while it is warming."""
    if request.app.state.warming.ready.is_set():
        return {"status": "ready"}
    return JSONResponse({"status": "warming", "detail": "服务正在预热,请稍候"}, status_code=503)


def _safe_next(next_url: str | None) -> str:
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    return "/"


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/"):
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False, dependencies=[CsrfChecked])
def login(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    from ...sessions import open_session

    limiter = request.app.state.login_limiter
    address = client_address(request, request.app.state.settings.trusted_proxies)
    wait = limiter.wait_seconds(username, address)
    if wait > 0:
        return render(request, "login.html",
                      {"next": _safe_next(next),
                       "error": f"登录失败次数过多,请 {max(1, round(wait))} 秒后再试(其他设备不受影响)"},
                      status_code=429, headers={"Retry-After": str(max(1, round(wait)))})
    user = authenticate(session, username.strip(), password)
    if user is None:
        limiter.fail(username, address)
        return render(request, "login.html",
                      {"next": _safe_next(next), "error": "用户名或密码错误"}, status_code=401)
    limiter.succeed(username, address)
    token = open_session(session, user.id, address, request.headers.get("user-agent", ""))
    request.session.clear()  # new session id material on login
    request.session[SESSION_KEY] = token
    csrf_token(request.session)
    audit.record(session, user.username, "login", "session", user.username)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False, dependencies=[CsrfChecked])
def logout(request: Request, session: DbSession):
    from ...sessions import revoke

    token = request.session.get(SESSION_KEY)
    revoke(session, token if isinstance(token, str) else None, "logout")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account", include_in_schema=False)
def account_page(request: Request, user: CurrentUser):
    return render(request, "account.html", {"error": None, "done": request.query_params.get("done")})


@router.post("/account/password", include_in_schema=False, dependencies=[CsrfChecked])
def change_password(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
):
    """A new password ends every other session of the user (other browsers log in again with it)."""
    from ...accounts import AccountError, set_password, verify_password

    me = session.get(User, user.id)
    if not verify_password(me.password_hash, current):
        return render(request, "account.html", {"error": "当前密码不正确", "done": None}, status_code=400)
    try:
        set_password(session, me, new)
    except AccountError as exc:
        return render(request, "account.html", {"error": str(exc), "done": None}, status_code=400)
    audit.record(session, me.username, "password", "user", me.username)
    # every other session of the user has ended; this browser goes on with a fresh one
    from ...sessions import open_session

    token = open_session(session, me.id, client_address(request, request.app.state.settings.trusted_proxies),
                         request.headers.get("user-agent", ""))
    request.session.clear()
    request.session[SESSION_KEY] = token
    csrf_token(request.session)
    return RedirectResponse("/account?done=1", status_code=303)


def _overview_panels(session, user) -> list[tuple[str, dict]]:
    """Panels that capability packages contribute to 总览 (template, context)."""
    panels = []
    for module_name, func, template in (
        ("kechuang.targets.overview", "overview_context", "targets/overview_panel.html"),
        ("kechuang.warnings.overview", "overview_context", "warnings/overview_panel.html"),
    ):
        panels.append((template, getattr(importlib.import_module(module_name), func)(session, user)))
    # nothing anywhere (no targets, ledgers or tasks in the region): the page says so instead
    return [] if all(ctx.get("empty") for _, ctx in panels) else panels


def _overview_reads() -> tuple[str, ...]:
    """Target progress and the assessment, the 督办 tasks, and whether the region has any ledger data."""
    from ...db import ledger_sources
    from ...ledgers.kinds import all_kinds
    from ...targets.metrics import progress_reads

    return progress_reads() + ("warning_tasks",) + ledger_sources(all_kinds())


@router.get("/", include_in_schema=False)
def overview(request: Request, session: DbSession, user: CurrentUser):
    import datetime as dt

    from ... import cache

    reg = registry()
    region = reg.get(user.region_code) if user.region_code else None
    children = reg.children(region.code) if region else []
    reads = _overview_reads()
    key = ("overview", str(session.get_bind().url), user.region_code, user.is_admin, dt.date.today())
    return render_cached(request, "overview.html", lambda: {
        "region": region,
        "children": children,
        "panels": cache.cached(key, lambda: _overview_panels(session, user), reads=reads),
    }, reads=reads)


class RegionOut(BaseModel):
    code: str
    name: str
    full_name: str
    level: str
    parent_code: str | None
    aliases: list[str] = []


class RegionDetail(RegionOut):
    children: list[RegionOut] = []


def _region_out(r) -> RegionOut:
    return RegionOut(code=r.code, name=r.name, full_name=r.full_name, level=r.level,
                     parent_code=r.parent_code, aliases=sorted(r.aliases or []))


@router.get("/api/regions/{code}", response_model=RegionDetail, tags=["regions"],
            summary="查询行政区划")
def api_region(code: str, user: CurrentUser):
    r = registry().get(code)
    if r is None:
        raise HTTPException(status_code=404, detail=f"地区代码“{code}”不存在")
    require_scope(user, code)
    return RegionDetail(**_region_out(r).model_dump(),
                        children=[_region_out(c) for c in registry().children(code)])


@router.get("/api/regions", response_model=list[RegionOut], tags=["regions"],
            summary="按名称查找行政区划")
def api_region_find(q: str, user: CurrentUser, within: str | None = None):
    return [_region_out(r) for r in registry().find(q, within=within)[:50]]


class MeOut(BaseModel):
    username: str
    display_name: str
    role: str
    region_code: str | None


@router.get("/api/me", response_model=MeOut, tags=["users"], summary="当前用户")
def api_me(user: CurrentUser):
    return MeOut(username=user.username, display_name=user.display_name, role=user.role,
                 region_code=user.region_code)


@router.get("/regions/{code}", include_in_schema=False)
def region_page(code: str, request: Request, user: CurrentUser):
    r = registry().get(code)
    if r is None:
        raise HTTPException(status_code=404, detail=f"地区代码“{code}”不存在")
    require_scope(user, code)
    return render(request, "region.html", {
        "region": r, "ancestors": registry().ancestors(code), "children": registry().children(code),
    })


@router.get("/admin/audit", include_in_schema=False)
def audit_page(request: Request, session: DbSession, user: AdminUser, entity: str | None = None):
    return render(request, "audit.html", {"entries": audit.recent(session, 500, entity or None),
                                          "entity": entity or "", "entity_labels": audit.ENTITY_LABELS})


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, session: DbSession, user: AdminUser):
    from ...sessions import open_sessions

    users = list(session.scalars(select(User).order_by(User.username)))
    counts: dict[int, int] = {}
    for rec in open_sessions(session):
        counts[rec.user_id] = counts.get(rec.user_id, 0) + 1
    return render(request, "users.html", {"users": users, "roles": list(Role), "error": None,
                                          "regions": registry(), "sessions": counts})


@router.post("/admin/users", include_in_schema=False, dependencies=[CsrfChecked])
def users_add(
    request: Request,
    session: DbSession,
    admin: AdminUser,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    region: Annotated[str, Form()] = "",
):
    from ...accounts import AccountError, add_user
    from ...regions import RegionError, lookup

    try:
        code = lookup(region).code if region.strip() else None
        new = add_user(session, username.strip(), password, role, code)
    except (AccountError, RegionError, ValueError) as exc:
        users = list(session.scalars(select(User).order_by(User.username)))
        return render(request, "users.html", {"users": users, "roles": list(Role), "error": str(exc),
                                              "regions": registry()}, status_code=400)
    audit.record(session, admin.username, "create", "user", new.username,
                 after={"role": new.role, "region_code": new.region_code})
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/disable", include_in_schema=False, dependencies=[CsrfChecked])
def users_disable(username: str, session: DbSession, admin: AdminUser):
    u = session.scalar(select(User).where(User.username == username))
    if u is None:
        raise HTTPException(status_code=404, detail="用户不存在")
    if u.id == admin.id:
        raise HTTPException(status_code=400, detail="不能停用自己")
    u.active = False
    from ...sessions import revoke_all

    revoke_all(session, u.id, "disabled")
    audit.record(session, admin.username, "disable", "user", username,
                 before={"active": True}, after={"active": False})
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/sessions/revoke", include_in_schema=False, dependencies=[CsrfChecked])
def users_revoke_sessions(username: str, session: DbSession, admin: AdminUser):
    """End every open session of a user (a lost laptop, a copied cookie)."""
    from ...sessions import revoke_all

    u = session.scalar(select(User).where(User.username == username))
    if u is None:
        raise HTTPException(status_code=404, detail="用户不存在")
    n = revoke_all(session, u.id, "admin")
    audit.record(session, admin.username, "revoke_sessions", "user", username, after={"sessions": n})
    return RedirectResponse("/admin/users", status_code=303)


# ---------------------------------------------------------------- any table on screen → Excel

class TableExport(BaseModel):
    """What the page shows: the table's header and rows as text (see static/app.js)."""

    title: str = Field("表格", max_length=80)
    header: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=200)
    rows: list[list[Annotated[str, Field(max_length=4000)]]] = Field(default_factory=list, max_length=50_000)


_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")


def _as_number(text: str):
    return float(text.replace(",", "")) if _NUMBER.fullmatch(text) else text


@router.post("/export/table", include_in_schema=False, dependencies=[CsrfChecked])
def export_table(body: TableExport, user: CurrentUser):
    """Excel of a table exactly as the user sees it, for tables without an export of their own.

    It only returns what the browser sent, so it reveals nothing beyond the page itself."""
    import polars as pl

    from ...excel import xlsx_response

    width = max([len(body.header)] + [len(r) for r in body.rows] + [1])
    names, seen = [], set()
    for i in range(width):
        name = (body.header[i] if i < len(body.header) else "").strip() or f"列{i + 1}"
        while name in seen:
            name += "_"
        seen.add(name)
        names.append(name)
    columns = {n: [(r[i].strip() or None) if i < len(r) else None for r in body.rows]
               for i, n in enumerate(names)}
    for n, values in columns.items():  # a column of numbers goes to Excel as numbers
        filled = [v for v in values if v not in (None, "—")]
        if filled and all(_NUMBER.fullmatch(v) for v in filled):
            columns[n] = [_as_number(v) if v not in (None, "—") else None for v in values]
    frame = pl.DataFrame(columns, strict=False)
    title = re.sub(r"[\\/:*?\"<>|\s]+", "_", body.title.strip())[:60] or "表格"
    return xlsx_response({title[:31]: frame}, f"{title}.xlsx")
