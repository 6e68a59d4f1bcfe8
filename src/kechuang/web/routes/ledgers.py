"""台账 pages: kinds with counts, one ledger (filters, sort, paging, export, import), the import
report, and the enterprise page (every record of one enterprise across kinds).

Other packages may add panels to the enterprise page by appending a template name to
``ENTERPRISE_PANELS``; each is included with ``uscc``, ``records`` and ``user`` in its context.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile
from markupsafe import Markup
from pydantic import BaseModel, Field

from ...db import ledger_sources
from ...ledgers import store
from ...ledgers.excel_io import display_frame, write_template
from ...ledgers.importer import import_bytes
from ...ledgers.kinds import Kind, KindError, all_kinds, get_kind
from ...ledgers.visibility import editable_codes, redact_frame, redact_records
from ...limits import limits
from ..deps import CsrfChecked, CurrentUser, DbSession, Scope, read_upload, render, render_cached, scope_codes

router = APIRouter()

ENTERPRISE_PANELS: list[str] = []
PAGE_SIZES = (20, 50, 100, 200)
MAX_COLUMNS = 12


def _kind(name: str) -> Kind:
    try:
        return get_kind(name)
    except KindError as exc:
        raise HTTPException(status_code=404, detail=str(exc))


def _cell(f, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        if "." in text:
            whole, frac = text.split(".")
            return f"{int(whole):,}.{frac}"
        return f"{int(text):,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if f is not None and f.type == "enum":
        return f.enum_labels().get(value, value)
    return str(value)


def _rows_html(kind: Kind, cols, records) -> list[Markup]:
    """Table rows as HTML, built here rather than in the template: this loop runs for every cell of
    every page view and Jinja's per-cell lookups cost more than the rest of the page."""
    from ...regions import name_of
    from ..deps import esc

    opening = ['<td class="num">' if f.type in ("int", "money", "decimal") else "<td>" for f in cols]
    link_first = bool(cols) and kind.uscc_field == cols[0].id
    out = []
    for rec in records:
        parts = ["<tr>"]
        for i, f in enumerate(cols):
            text = esc(_cell(f, rec.get(f.id)))
            if i == 0 and link_first and rec.get("uscc"):
                text = f'<a href="/enterprises/{esc(rec["uscc"])}">{text}</a>'
            parts += (opening[i], text, "</td>")
        parts += ("<td>", esc(name_of(rec.get("region_code"))), "</td></tr>")
        out.append(Markup("".join(parts)))
    return out


def _filters(kind: Kind, request: Request) -> dict[str, str]:
    out = {}
    for f in kind.fields:
        v = request.query_params.get(f.id)
        if v:
            out[f.id] = v
    if request.query_params.get("year") and "year" not in out:
        out["year"] = request.query_params["year"]
    return out


def _columns(kind: Kind):
    shown = [f for f in kind.fields if f.id != kind.region_field][:MAX_COLUMNS]
    return shown


@router.get("/ledgers", include_in_schema=False)
def ledgers_index(request: Request, session: DbSession, user: CurrentUser):
    from ... import cache

    codes = scope_codes(user)
    key = ("ledger_counts", str(session.get_bind().url), frozenset(codes) if codes is not None else None)
    reads = ledger_sources(all_kinds())

    def build():
        from ... import audit

        counts = cache.cached(key, lambda: store.counts_by_kind(session.connection(), codes), reads=reads)
        return {"kinds": [(k, counts.get(k.id, 0)) for k in all_kinds().values()],
                "last": audit.last_changes(session, "ledger:", codes)}

    # kept per user until a ledger changes (its 最后更新 line is written with the records)
    return render_cached(request, "ledgers/index.html", build, reads=reads)


@router.get("/ledgers/{kind}/template.xlsx", include_in_schema=False)
def ledger_template(kind: str, user: CurrentUser):
    import io

    from fastapi.responses import Response

    from ...excel import XLSX_MEDIA_TYPE, content_disposition

    k = _kind(kind)
    buf = io.BytesIO()
    write_template(k, buf)
    return Response(buf.getvalue(), media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": content_disposition(f"{k.name}导入模板.xlsx")})


@router.get("/ledgers/{kind}.xlsx", include_in_schema=False)
def ledger_export(kind: str, request: Request, session: DbSession, rs: Scope, q: str | None = None):
    from ...excel import xlsx_response

    k = _kind(kind)
    frame, _ = store.page(session.connection(), k, rs.codes, filters=_filters(k, request), q=q,
                         limit=2_000_000)
    shown = display_frame(k, redact_frame(k, frame, editable_codes(rs.user)))
    labels = {f.id: f.header for f in k.fields}
    stamp = dt.date.today().isoformat()
    return xlsx_response({k.name: shown}, f"{k.name}台账-{rs.code or '全部'}-{stamp}.xlsx",
                         labels=labels)


@router.get("/ledgers/{kind}", include_in_schema=False)
def ledger_page(kind: str, request: Request, session: DbSession, rs: Scope,
                q: str | None = None, sort: str = "id", desc: int = 0,
                after: int | None = None, page: int = 1, size: int = 50):
    k = _kind(kind)
    code = rs.asked
    size = size if size in PAGE_SIZES else 50
    if sort not in store.SORTABLE_META and not k.has(sort):
        sort = "id"

    def newest_change(visible):
        """The ledger's 最后更新 entry: written with its records, so kept until the ledger changes
        rather than read for every page of it (detached: other requests read it too)."""
        from ...audit import last_changes

        entry = last_changes(session, f"ledger:{k.id}", visible).get(f"ledger:{k.id}")
        if entry is not None:
            session.expunge(entry)
        return entry

    def build():
        from ... import cache

        visible = rs.codes
        filters = _filters(k, request)
        conn = session.connection()
        offset = (max(page, 1) - 1) * size
        try:
            records, next_after = store.page_records(conn, k, visible, filters=filters, q=q, sort=sort,
                                                     descending=bool(desc), after=after, offset=offset,
                                                     limit=size)
            count_key = ("ledger_count", str(session.get_bind().url), k.id,
                         frozenset(visible) if visible is not None else None, tuple(sorted(filters.items())), q)
            total = cache.cached(count_key, lambda: store.count_where(conn, k, visible, filters=filters, q=q),
                                 reads=ledger_sources([k.id]))
        except ValueError:
            raise HTTPException(status_code=400, detail="筛选条件格式不对")
        cols = _columns(k)
        rows = _rows_html(k, cols, redact_records(k, records, editable_codes(rs.user)))
        base = {kk: v for kk, v in request.query_params.items() if kk not in ("after", "page", "sort", "desc")}
        def link(**extra):
            params = {**base, **{kk: v for kk, v in extra.items() if v is not None}}
            return "?" + urlencode(params)
        next_link = None
        if sort == "id" and next_after is not None:
            next_link = link(sort="id", desc=desc, after=next_after)
        elif sort != "id" and offset + size < total:
            next_link = link(sort=sort, desc=desc, page=page + 1, after=next_after)  # after: seek where it can
        prev_link = link(sort=sort, desc=desc, page=page - 1) if sort != "id" and page > 1 else None
        enum_filters = [f for f in k.fields if f.type in ("enum", "bool")][:3]
        export_q = urlencode({kk: v for kk, v in request.query_params.items()
                              if kk not in ("after", "page", "sort", "desc", "size")})
        return {
            "kind": k, "cols": cols, "rows": rows, "total": total, "region_code": code, "q": q or "",
            "filters": filters, "enum_filters": enum_filters, "sort": sort, "desc": desc,
            "next_link": next_link, "prev_link": prev_link, "first_link": link(sort=sort, desc=desc),
            "sort_link": lambda fid: link(sort=fid, desc=0 if (sort == fid and desc) else (1 if sort == fid else 0)),
            "export_url": f"/ledgers/{k.id}.xlsx" + (f"?{export_q}" if export_q else ""),
            "size": size, "sizes": PAGE_SIZES, "page": page,
            "last": cache.cached(("ledger_last", str(session.get_bind().url), k.id,
                                  frozenset(visible) if visible is not None else None),
                                 lambda: newest_change(visible), reads=ledger_sources([k.id])),
        }

    return render_cached(request, "ledgers/kind.html", build, reads=ledger_sources([k.id]))


@router.post("/ledgers/{kind}/import", include_in_schema=False, dependencies=[CsrfChecked])
async def ledger_import(kind: str, request: Request, session: DbSession, user: CurrentUser,
                        file: UploadFile = File(...)):
    k = _kind(kind)
    if not user.can_write:
        raise HTTPException(status_code=403, detail="只读用户不能导入台账")
    data = await read_upload(file, limits().ledger_upload_mb)
    scope_root = None if (user.is_admin or not user.region_code) else user.region_code
    from starlette.concurrency import run_in_threadpool

    # in a worker thread: a large file takes seconds, and the event loop keeps serving meanwhile
    report = await run_in_threadpool(import_bytes, session.get_bind(), k, data, file.filename or "上传文件",
                                     username=user.username, scope_root=scope_root)
    if report.ok and (report.inserted or report.updated):
        _refresh_dashboards_later(session.get_bind(), k.id)
    return render(request, "ledgers/report.html", {"kind": k, "report": report},
                  status_code=200 if report.ok else 422)


def _refresh_dashboards_later(engine, kind: str) -> None:
    """Decode the changed ledger for the dashboards in the background, not in their next view."""
    import threading

    from ...targets.metrics import warm
    from ...targets.progress import record_after_import

    def work():
        try:
            warm(engine, [kind])
            record_after_import(engine, [kind])  # the targets' history, without any command
        except Exception:  # only a head start
            import logging

            logging.getLogger("kechuang").warning("更新看板数据缓存失败", exc_info=True)

    threading.Thread(target=work, daemon=True, name=f"refresh-{kind}").start()


@router.get("/enterprises/{uscc}", include_in_schema=False)
def enterprise_page(uscc: str, request: Request, session: DbSession, user: CurrentUser):
    from ...ledgers.uscc import normalize

    uscc = normalize(uscc)
    records = store.records_of_enterprise(session.connection(), uscc, scope_codes(user))
    if not records:
        raise HTTPException(status_code=404, detail="没有找到该企业，或该企业不在您的管辖范围内")
    kinds = all_kinds()
    profile = None
    if "enterprise" in records:
        profile = records["enterprise"].row(0, named=True)
    sections = []
    editable = editable_codes(user)
    for kid, frame in records.items():
        if kid == "enterprise":
            continue
        k = kinds[kid]
        frame = redact_frame(k, frame, editable)
        cols = [f for f in k.fields if f.id not in (k.uscc_field, "name", k.region_field)][:MAX_COLUMNS]
        sort_col = k.date_field or k.year_field
        if sort_col and sort_col in frame.columns:
            frame = frame.sort(sort_col, descending=True, nulls_last=True)
        sections.append({"kind": k, "cols": cols, "total": frame.height,
                         "rows": [[_cell(f, r.get(f.id)) for f in cols] for r in frame.head(500).iter_rows(named=True)]})
    ent_kind = kinds["enterprise"]
    facts = []
    if profile:
        facts = [(f.label, _cell(f, profile.get(f.id))) for f in ent_kind.fields if profile.get(f.id) is not None]
    name = profile.get("name") if profile else uscc
    return render(request, "ledgers/enterprise.html", {
        "uscc": uscc, "name": name, "facts": facts, "sections": sections, "records": records,
        "region_code": profile.get("region_code") if profile else None, "panels": list(ENTERPRISE_PANELS),
    })


# ---------------------------------------------------------------- JSON API

class LedgerPage(BaseModel):
    kind: str
    total: int
    next_after: int | None = Field(None, description="下一页的 after 参数(按 id 翻页)")
    records: list[dict[str, Any]]


class LedgerRecordsIn(BaseModel):
    records: list[dict[str, Any]] = Field(..., min_length=1, max_length=100_000,
                                          description="每条记录以字段编号或中文列名为键")


class ProblemOut(BaseModel):
    record: int | None = Field(None, description="出错记录在 records 中的序号(从 0 起)")
    field: str | None
    value: str | None
    reason: str


class ImportOut(BaseModel):
    ok: bool
    inserted: int
    updated: int
    unchanged: int
    problems: list[ProblemOut]


def _json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")  # exact, as text
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


@router.get("/api/ledgers/{kind}", response_model=LedgerPage, tags=["ledgers"], summary="台账记录(分页)")
def api_ledger_page(kind: str, request: Request, session: DbSession, rs: Scope, after: int | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    """Records of one ledger kind inside the user's scope, by id; money as exact decimal text."""
    k = _kind(kind)
    visible = rs.codes
    filters = _filters(k, request)
    conn = session.connection()
    try:
        records, next_after = store.page_records(conn, k, visible, filters=filters, after=after, limit=limit)
        total = store.count_where(conn, k, visible, filters=filters)
    except ValueError:
        raise HTTPException(status_code=400, detail="筛选条件格式不对")
    records = redact_records(k, records, editable_codes(rs.user))
    return LedgerPage(kind=k.id, total=total, next_after=next_after,
                      records=[{f: _json_value(v) for f, v in r.items()} for r in records])


@router.post("/api/ledgers/{kind}", response_model=ImportOut, tags=["ledgers"], summary="导入台账记录",
             dependencies=[CsrfChecked])
async def api_ledger_import(kind: str, body: LedgerRecordsIn, session: DbSession, user: CurrentUser):
    """The same validation and all-or-nothing upsert as a file import; problems name the record."""
    from starlette.concurrency import run_in_threadpool

    from ...ledgers.importer import import_records

    k = _kind(kind)
    if not user.can_write:
        raise HTTPException(status_code=403, detail="只读用户不能导入台账")
    scope_root = None if (user.is_admin or not user.region_code) else user.region_code
    report = await run_in_threadpool(import_records, session.get_bind(), k, body.records,
                                     username=user.username, scope_root=scope_root)
    if report.ok and (report.inserted or report.updated):
        _refresh_dashboards_later(session.get_bind(), k.id)
    return ImportOut(ok=report.ok, inserted=report.inserted, updated=report.updated, unchanged=report.unchanged,
                     problems=[ProblemOut(record=None if p.row is None else p.row - 2, field=p.column,
                                          value=None if p.value is None else str(p.value), reason=p.reason)
                               for p in report.problems])
