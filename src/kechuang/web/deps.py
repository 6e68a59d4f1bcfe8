"""Request dependencies shared by every route module: user, database session,
rendering, scope checks and CSRF."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Iterator

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session

from .. import audit, cache, db
from ..accounts import Role, User
from ..regions import name_of
from .security import CSRF_FIELD, CSRF_HEADER, csrf_token, csrf_valid

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.auto_reload = False  # templates ship with the package; skip a stat() per render

NAV = [
    ("/", "总览", "overview"),
    ("/my", "我的任务", "my"),
    ("/docs", "政策文件", "documents"),
    ("/targets", "目标", "targets"),
    ("/ledgers", "台账", "ledgers"),
    ("/programs", "企业培育", "programs"),
    ("/matching", "揭榜挂帅", "matching"),
    ("/chains", "产业链", "chains"),
    ("/rounds", "填报", "rounds"),
    ("/service", "分包服务", "service"),
    ("/awards", "政策兑现", "awards"),
    ("/reports", "报告", "reports"),
    ("/warnings", "预警督办", "warnings"),
]


class LoginRequired(Exception):
    """Raised for anonymous page requests; turned into a redirect to /login."""

    def __init__(self, next_url: str):
        self.next_url = next_url


def get_db(request: Request) -> Iterator[Session]:
    with db.transaction(request.app.state.session_factory) as session:
        conn = session.connection()
        versions = db.data_versions(conn)
        cache.observe(str(session.get_bind().url), versions)
        cache.note_versions(conn, versions)
        yield session


# scope="function": commit before the response leaves, so the page a redirect leads to already
# sees the write (the default "request" scope would commit after the response is sent).
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


SESSION_KEY = "sid"  # the cookie carries only this random token; the record lives in user_sessions
REFRESH_USER = "kechuang_refresh_user"


def optional_user(request: Request, session: DbSession) -> User | None:
    from ..sessions import user_for

    # a page the server requests again itself after a data change (kechuang.web.refresh): the
    # user is named in the request's in-process state, which no client can set
    user_id = (request.scope.get("state") or {}).get(REFRESH_USER)
    token = request.session.get(SESSION_KEY)
    if user_id is not None:
        user = session.get(User, user_id)
    elif not token:
        return None
    else:
        user = user_for(session, token if isinstance(token, str) else None,
                        cache.transaction_versions(session.connection()))
    if user is None or not user.active:
        request.session.clear()
        return None
    # detach: a rollback of the request's transaction must not expire the user that
    # error pages still render
    if user in session:
        session.expunge(user)
    request.state.user = user
    return user


# the dependencies below do no I/O: `async def` runs them on the event loop, where a plain `def` costs
# each request a hand-over to a worker thread and back
async def current_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        if _is_api(request):
            raise HTTPException(status_code=401, detail="未登录或登录已过期")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def require_admin(user: CurrentUser) -> User:
    if user.role != Role.admin.value:
        raise HTTPException(status_code=403, detail="仅管理员可访问")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def require_scope(user: User, region_code: str | None) -> None:
    """403 unless the region lies inside the user's subtree."""
    if not user.can_see(region_code):
        raise HTTPException(status_code=403, detail="无权访问该地区的数据")


def require_edit(user: User, region_code: str | None) -> None:
    if not user.can_edit(region_code):
        raise HTTPException(status_code=403, detail="无权修改该地区的数据")


def scope_codes(user: User) -> set[str] | None:
    """Region codes the user may see, or None for everything."""
    from ..regions import scope_of

    return None if user.is_admin else scope_of(user.region_code)


def region_code_param(user: User, text: str | None, name: str = "region") -> str | None:
    """The code of the region a request names by name, alias or code (None when blank).

    Unknown → 404, ambiguous → 400, outside the user's subtree → 403; all in Chinese."""
    from ..regions import AmbiguousRegion, RegionError, lookup

    text = (text or "").strip()
    if not text:
        return None
    if len(text) > 64:
        raise HTTPException(status_code=400, detail=f"参数 {name} 过长(地区名称或代码不超过 64 个字符)")
    try:
        code = lookup(text, within=user.region_code or None).code
    except AmbiguousRegion as exc:
        raise HTTPException(status_code=400, detail=str(exc))
    except RegionError:
        raise HTTPException(status_code=404, detail=f"未知地区“{text}”:请填写地区名称(如 亭湖区)或行政区划代码")
    require_scope(user, code)
    return code


@dataclass(frozen=True)
class RegionScope:
    """Which regions a request may see: the region it asked for (``?region=`` by name or code)
    cut to the user's subtree. The one place web routes compute scope."""

    user: User
    asked: str | None  # code of the region named in the request, None when none was named

    @property
    def code(self) -> str | None:
        """The region to show: the one asked for, else the user's own (None = everything)."""
        return self.asked or self.user.region_code

    @property
    def codes(self) -> set[str] | None:
        """Region codes to read (None = all)."""
        from ..regions import registry

        if self.asked:
            return registry().subtree_codes(self.asked)
        return scope_codes(self.user)

    @property
    def key(self) -> frozenset[str] | None:
        """Hashable form of ``codes`` for cache keys."""
        codes = self.codes
        return frozenset(codes) if codes is not None else None

    def contains(self, region_code: str | None) -> bool:
        codes = self.codes
        if codes is None:
            return True
        return bool(region_code) and region_code in codes


async def region_scope(user: Annotated[User, Depends(current_user)],
                 region: Annotated[str | None, Query(description="地区名称或行政区划代码,如 亭湖区 或 320902")] = None
                 ) -> RegionScope:
    return RegionScope(user, region_code_param(user, region))


Scope = Annotated[RegionScope, Depends(region_scope)]


async def read_upload(file, limit_mb: int) -> bytes:
    """The bytes of an uploaded file, refused with 413 (naming the limit) past ``limit_mb``."""
    from ..limits import MB, too_large

    data = await file.read(limit_mb * MB + 1)
    problem = too_large(len(data), limit_mb, f"文件“{file.filename or '上传文件'}”")
    if problem:
        raise HTTPException(status_code=413, detail=problem.replace(f"({len(data) / MB:,.1f} MB)", ""))
    return data


async def verify_csrf(request: Request) -> None:
    supplied = request.headers.get(CSRF_HEADER)
    if not supplied:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            supplied = form.get(CSRF_FIELD)
    if not csrf_valid(request.session, supplied if isinstance(supplied, str) else None):
        raise HTTPException(status_code=403, detail="表单已失效(CSRF 校验失败),请刷新页面后重试")


CsrfChecked = Depends(verify_csrf)


def _page_context(request: Request, token: str) -> dict[str, Any]:
    """What base.html needs on every page."""
    return {
        "request": request,
        "user": getattr(request.state, "user", None),
        "nav": NAV,
        "csrf_token": token,
        "csrf_input": lambda: Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'),
    }


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None):
    ctx = _page_context(request, csrf_token(request.session))
    if context:
        ctx.update(context)
        if ctx.get("user") is None and "current_user" in context:
            ctx["user"] = context["current_user"]
    return templates.TemplateResponse(request, template, ctx, status_code=status_code, headers=headers)


_TOKEN_SLOT = "kc-csrf-slot-3f9a1c"  # stands for the session's CSRF token inside cached pages


def render_cached(request: Request, template: str, build: Callable[[], dict[str, Any]],
                  reads: Iterable[str] | None = None) -> HTMLResponse:
    """A page rendered once per user, URL, day and version of the data it `reads` (sources as
    `kechuang.cache.cached` takes them; None: any data), then served from the view cache.

    `build` gathers the context and runs only on a miss. The session's CSRF token is put in at
    serving time, so one cached page serves every session of the user. The sources are noted on the
    request, so the background refresh replays the page only after they change.
    """
    import datetime as dt

    user = getattr(request.state, "user", None)
    who = (user.id, user.username, user.role, user.region_code, user.display_name) if user else None
    key = ("page", str(request.app.state.engine.url), template, request.url.path, request.url.query,
           who, dt.date.today())

    def make() -> str:
        ctx = _page_context(request, _TOKEN_SLOT)
        ctx.update(build())
        return templates.get_template(template).render(ctx)

    reads = None if reads is None else tuple(sorted(set(reads)))
    request.state.kc_reads = reads
    html = cache.cached(key, make, reads=reads)
    return HTMLResponse(html.replace(_TOKEN_SLOT, csrf_token(request.session)))


_SPECIAL = re.compile("[&<>'\"]")


def esc(value: Any) -> str:
    """``value`` as HTML text, escaped exactly as the templates' autoescape does (the same
    entities), but as plain text: markupsafe's ``escape`` makes a Markup object per call, a cost
    that showed in rows joined in code. Most cells (numbers, names, codes) need no escaping: one
    search says so."""
    text = value if type(value) is str else str(value)
    if _SPECIAL.search(text) is None:
        return text
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&#39;").replace('"', "&#34;"))


def _num(value: Any, digits: int = 2) -> str:
    """A number as people write it (kechuang.units.format_number): 152.3, 1,234; "—" when missing."""
    from ..units import format_number

    return format_number(value, digits)


def _qty(value: Any, unit: str = "") -> str:
    """A number with its unit: "152.3 亿元", "30%"."""
    from ..units import format_quantity

    return format_quantity(value, unit)


def _pct(value: Any, digits: int = 1) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


templates.env.filters["region_name"] = name_of
templates.env.filters["num"] = _num
templates.env.filters["pct"] = _pct
templates.env.filters["qty"] = _qty
templates.env.filters["local_time"] = audit.local_time
templates.env.filters["action_label"] = audit.action_label
templates.env.filters["entity_label"] = audit.entity_label
def _program_name(pid: str) -> str:
    from ..programs.catalog import program_name

    return program_name(pid)


templates.env.filters["program_name"] = _program_name
templates.env.filters["json_zh"] = lambda v: "" if v is None else json.dumps(v, ensure_ascii=False, default=str)
