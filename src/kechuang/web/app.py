"""FastAPI application factory."""

from __future__ import annotations

import importlib
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from urllib.parse import quote

from .. import __version__, cache, db, version_watch
from ..settings import Settings, get_settings
from . import errors, refresh
from .balance import LoadBoard, Rebalance
from .deps import CurrentUser, LoginRequired, render
from .security import LoginRateLimiter
from .warming import WaitUntilWarm, Warming

STATIC_DIR = Path(__file__).parent / "static"
CAPABILITY_ROUTES = ("documents", "plans", "targets", "ledgers", "programs", "matching", "chains", "rounds", "office",
                     "service", "awards", "reports", "warnings")
VENDOR_FILES = {
    "echarts.min.js": ("echarts", "dist/echarts.min.js"),
    "htmx.min.js": ("htmx.org", "dist/htmx.min.js"),
}


def vendor_dir() -> Path:
    """Where htmx/ECharts live: copied next to the static files at set-up, or the
    project's node_modules during development."""
    copied = STATIC_DIR / "vendor"
    if all((copied / name).exists() for name in VENDOR_FILES):
        return copied
    for parent in Path(__file__).resolve().parents:
        nm = parent / "node_modules"
        if nm.is_dir():
            copied.mkdir(parents=True, exist_ok=True)
            for name, (pkg, rel) in VENDOR_FILES.items():
                src = nm / pkg / rel
                if src.exists():
                    (copied / name).write_bytes(src.read_bytes())
            return copied
    return copied


def _calm_garbage_collector() -> None:
    """Full collections walk every long-lived object (modules, rule files, region tree): about
    65 ms each in a warm server, a pause that every queued request waits through. Freezing what
    exists at start-up takes those objects out of the walk, and a larger first threshold makes
    collections rarer; request garbage is still collected."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    @asynccontextmanager
    async def lifespan(_app):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        import sys

        # a long import or document extraction holds the GIL in a worker thread: hand it over
        # more often so short requests (/healthz, pages) are not queued behind it
        sys.setswitchinterval(0.001)
        if settings.warm_on_start:
            from ..warm import warm_all

            await warming.start(warm_all, engine, then=_calm_garbage_collector)  # decoded frames are long-lived too
        else:
            _calm_garbage_collector()
        watch = version_watch.start(engine) if engine.dialect.name == "postgresql" else None
        worker = refresh.start(app, app.state.recent_pages, engine) if settings.refresh_views else None
        yield
        if worker is not None:
            worker.stopped.set()
        if watch is not None:
            version_watch.stop(watch)
        if load_board is not None:
            load_board.leave()

    app = FastAPI(
        lifespan=lifespan,
        title="科创 kechuang API",
        version=__version__,
        description="区域科技创新工作平台的 JSON 接口。除 /healthz 外均需登录。",
        docs_url=None,  # served below, to logged-in users only
        openapi_url=None,
        redoc_url=None,
    )
    engine = db.engine_for(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = db.session_factory(engine)
    app.state.login_limiter = LoginRateLimiter()
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="kechuang_session",
        max_age=8 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    warming = Warming()
    app.state.warming = warming
    app.state.recent_pages = refresh.RecentPages(settings.var_dir / "cache" / "recent-pages")
    app.add_middleware(refresh.NoteViews, pages=app.state.recent_pages)
    load_board = LoadBoard.open(settings.var_dir / "cache" / "worker-load")
    app.add_middleware(Rebalance, board=load_board)
    app.add_middleware(errors.SecurityHeaders)
    app.add_middleware(errors.BodyLimit, limits=settings.limits)
    app.add_middleware(WaitUntilWarm, warming=warming)
    app.mount("/static/vendor", StaticFiles(directory=str(vendor_dir()), check_dir=False), name="vendor")
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    def error_response(request: Request, status: int, detail, headers=None, extra: dict | None = None):
        """A Chinese error as JSON (API and non-browser clients) or as a page."""
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": detail, **(extra or {})}, status_code=status, headers=headers)
        return render(request, "error.html", {"status": status, "detail": detail}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return error_response(request, exc.status_code, errors.chinese_detail(exc.status_code, exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        problems = errors.validation_problems(exc.errors())
        detail = "请求参数有误:" + ";".join(f"{p['field'] or '请求体'} {p['reason']}" for p in problems[:5])
        return error_response(request, 422, detail, extra={"problems": problems})

    @app.exception_handler(ValueError)
    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)  # PostgreSQL refusing a value, e.g. an id beyond bigint
    async def _bad_value(request: Request, exc: Exception):
        # a value a route could not use (a date, a number out of range) that no check caught first
        return error_response(request, 400, "请求参数格式不正确或超出范围(日期应为 YYYY-MM-DD,数字不能过大)")

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(request: Request, exc: SQLAlchemyError):
        import logging

        logging.getLogger("kechuang").error("数据库错误", exc_info=exc)
        return error_response(request, 503, db.explain_error(exc))

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception):
        return error_response(request, 500, "服务器内部错误,已记录;请稍后重试或联系管理员")

    from fastapi.openapi.docs import get_swagger_ui_html

    @app.get("/api/openapi.json", include_in_schema=False)
    def _openapi(user: CurrentUser):
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False)
    def _docs(user: CurrentUser):
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title=f"{app.title} 接口文档")

    from .routes import core

    app.include_router(core.router)
    for name in CAPABILITY_ROUTES:
        app.include_router(importlib.import_module(f"kechuang.web.routes.{name}").router)
    return app
