"""政策文件 pages: document list and upload, document text with highlighted statements and
corrections, and the statements register with filters and Excel export."""

from __future__ import annotations

from typing import Annotated

import polars as pl
from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse

from ...reader.frame import DOC_KIND_LABELS, PART_LABELS, Priors
from ...reader.load import ReaderError, load_bytes
from ...reader.store import (COMPARATORS, EDITABLE, KINDS, Document, Statement, StatementError, all_units, can_read,
                             correct_frame, correct_statement, count_statements, current_documents,
                             document_frame, edit_document, ingest_loaded, reinstate_document,
                             withdraw_document,
                             list_statements, reader_owners)
from ...limits import limits
from ..deps import (CsrfChecked, CurrentUser, DbSession, RegionScope, Scope, read_upload, render, render_cached,
                    scope_codes)

router = APIRouter()
READS = ("documents", "statements")  # what the list and the register read, for the page cache

LABELS = {"value": "数值", "unit": "单位", "indicator": "指标", "kind": "类型", "comparator": "比较",
          "region": "地区", "region_code": "地区代码", "actor": "主体", "period": "年份"}


def _owners(user) -> set[str] | None:
    """Owners whose documents the user reads: its subtree and the offices above it."""
    return None if user.is_admin else reader_owners(user.region_code)


def _owner(user) -> str | None:
    """The office a user's uploads and corrections belong to (None = an administrator)."""
    return None if user.is_admin else user.region_code


def _visible_docs(session, user) -> list[Document]:
    return current_documents(session, _owners(user))


def _segments(doc: Document) -> list[tuple[str, list[Statement]]]:
    """The text cut into plain and highlighted pieces (overlapping quotes share one mark)."""
    out: list[tuple[str, list[Statement]]] = []
    cursor = 0
    for st in sorted(doc.statements, key=lambda s: (s.start, s.end)):
        if st.start < cursor:
            if out and out[-1][1]:
                out[-1][1].append(st)
            continue
        if st.start > cursor:
            out.append((doc.text[cursor:st.start], []))
        out.append((doc.text[st.start:st.end], [st]))
        cursor = st.end
    out.append((doc.text[cursor:], []))
    return out


def _filters(rs: RegionScope, year: str | None, kind: str | None, indicator: str | None):
    codes = rs.codes
    if kind and kind not in KINDS:
        raise HTTPException(status_code=400, detail=f"类型“{kind}”无效")
    year_val = None
    if year:
        if not (year.isdigit() and len(year) == 4):
            raise HTTPException(status_code=400, detail=f"年份“{year}”无效,应为四位数字")
        year_val = int(year)
    return codes, year_val


@router.get("/docs", include_in_schema=False)
def documents_page(request: Request, session: DbSession, user: CurrentUser):
    # kept per user until a document or its statements change (an upload, a correction, a withdrawal)
    return render_cached(request, "documents/list.html",
                         lambda: {"docs": _visible_docs(session, user), "error": request.query_params.get("error")},
                         reads=READS)


@router.post("/docs/upload", include_in_schema=False, dependencies=[CsrfChecked])
async def upload_document(request: Request, session: DbSession, user: CurrentUser,
                          file: Annotated[UploadFile, File()]):
    if not user.can_write:
        raise HTTPException(status_code=403, detail="无权导入文件")
    from starlette.concurrency import run_in_threadpool

    data = await read_upload(file, limits().document_upload_mb)

    def read_and_store():  # decoding and extraction take a while on large files: off the event loop
        loaded = load_bytes(data, file.filename or "upload.txt")
        # the officer's region is what the upload is about unless the text says otherwise
        priors = Priors(region=user.region_code) if user.region_code and not user.is_admin else None
        doc, _created = ingest_loaded(session, loaded, user.username, _owner(user), priors)
        session.commit()
        return doc.id

    try:
        doc_id = await run_in_threadpool(read_and_store)
    except ReaderError as exc:
        session.rollback()
        docs = _visible_docs(session, user)
        return render(request, "documents/list.html", {"docs": docs, "error": str(exc)}, status_code=400)
    return RedirectResponse(f"/docs/{doc_id}", status_code=303)


STATEMENTS_PER_PAGE = 200


@router.get("/docs/statements", include_in_schema=False)
def statements_page(request: Request, session: DbSession, rs: Scope,
                    year: str | None = None, kind: str | None = None, indicator: str | None = None,
                    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1):
    from urllib.parse import urlencode

    region = request.query_params.get("region")
    codes, year_val = _filters(rs, year, kind, indicator)
    owners = _owners(rs.user)
    filters = dict(region_codes=codes, year=year_val, kind=kind or None, indicator=indicator or None, owners=owners)
    per = STATEMENTS_PER_PAGE
    base = {k: v for k, v in request.query_params.items() if k != "page"}

    def build():
        total = count_statements(session, **filters)
        items = list_statements(session, **filters, offset=(page - 1) * per, limit=per)
        return {"items": items, "kinds": KINDS, "total": total, "page": page, "pages": max(1, -(-total // per)),
                "page_link": lambda n: "?" + urlencode({**base, "page": n}),
                "f": {"region": region or "", "year": year or "", "kind": kind or "", "indicator": indicator or ""},
                "query": urlencode(base)}

    return render_cached(request, "documents/statements.html", build, reads=READS)


def statements_frame(items: list[Statement]) -> pl.DataFrame:
    return pl.DataFrame({
        "文件": [s.document.title for s in items],
        "发布日期": [s.document.published_on for s in items],
        "地区": [s.region for s in items],
        "地区代码": [s.region_code or "" for s in items],
        "主体": [s.actor for s in items],
        "类型": [KINDS.get(s.kind, s.kind) for s in items],
        "指标": [s.indicator for s in items],
        "比较": [s.comparator for s in items],
        "数值": [s.value for s in items],
        "单位": [s.unit for s in items],
        "年份": [s.period for s in items],
        "原文": [s.quote for s in items],
        "人工更正": ["是" if s.corrected else "" for s in items],
    }, schema_overrides={"数值": pl.Decimal(20, 6), "发布日期": pl.Date})


@router.get("/docs/statements.xlsx", include_in_schema=False)
def statements_xlsx(session: DbSession, rs: Scope, year: str | None = None,
                    kind: str | None = None, indicator: str | None = None):
    from ...excel import xlsx_response

    codes, year_val = _filters(rs, year, kind, indicator)
    items = list_statements(session, region_codes=codes, year=year_val, kind=kind or None, indicator=indicator or None,
                            owners=_owners(rs.user))
    return xlsx_response({"目标与成绩": statements_frame(items)}, "目标与成绩.xlsx")


@router.get("/docs/{doc_id}", include_in_schema=False)
def document_page(request: Request, doc_id: int, session: DbSession, user: CurrentUser):
    doc = session.get(Document, doc_id)
    if doc is None:
        raise HTTPException(status_code=404, detail="文件不存在")
    if not (user.is_admin or can_read(doc, user.region_code)):
        raise HTTPException(status_code=403, detail="无权访问该地区的数据")
    from ... import audit
    from ...reader.store import document_findings

    frameworks, people = document_findings(doc)
    return render(request, "documents/detail.html", {
        "frameworks": frameworks, "people": people,
        "history": audit.trail(session, "document", doc.id),
        "doc": doc, "segments": _segments(doc), "kinds": KINDS, "comparators": COMPARATORS,
        "frame": document_frame(doc), "doc_kinds": DOC_KIND_LABELS, "part_labels": PART_LABELS,
        "units": all_units(), "labels": LABELS, "error": request.query_params.get("error"),
        "can_edit": user.can_edit(doc.owner_region) or user.is_admin})


def _editable_document(session, user, doc_id: int) -> Document:
    doc = session.get(Document, doc_id)
    if doc is None:
        raise HTTPException(status_code=404, detail="文件不存在")
    if not (user.is_admin or user.can_edit(doc.owner_region)):
        raise HTTPException(status_code=403, detail="无权修改该地区的数据(只能修改本单位导入的文件)")
    return doc


@router.post("/docs/{doc_id}/edit", include_in_schema=False, dependencies=[CsrfChecked])
def edit_document_action(doc_id: int, session: DbSession, user: CurrentUser,
                         title: Annotated[str, Form(max_length=1000)] = "",
                         outlet: Annotated[str, Form(max_length=1000)] = ""):
    """Title and outlet of a document (audited)."""
    doc = _editable_document(session, user, doc_id)
    try:
        edit_document(session, doc, {"title": title, "outlet": outlet}, user.username)
    except StatementError as exc:
        session.rollback()
        return _back_to_document(doc_id, "meta", exc)
    return _back_to_document(doc_id, "meta")


@router.post("/docs/{doc_id}/withdraw", include_in_schema=False, dependencies=[CsrfChecked])
def withdraw_action(doc_id: int, session: DbSession, user: CurrentUser,
                    reason: Annotated[str, Form(max_length=2000)] = "", undo: Annotated[str, Form()] = ""):
    """撤回 (kept, marked, out of counts) or, with ``undo``, 恢复 (audited)."""
    doc = _editable_document(session, user, doc_id)
    try:
        if undo:
            reinstate_document(session, doc, user.username)
        else:
            withdraw_document(session, doc, reason, user.username)
    except StatementError as exc:
        session.rollback()
        return _back_to_document(doc_id, "meta", exc)
    return _back_to_document(doc_id, "meta")


@router.post("/docs/{doc_id}/frame", include_in_schema=False, dependencies=[CsrfChecked])
async def correct_document_frame(request: Request, doc_id: int, session: DbSession, user: CurrentUser):
    """An officer corrects the document frame; its statements are derived again (audited)."""
    doc = session.get(Document, doc_id)
    if doc is None:
        raise HTTPException(status_code=404, detail="文件不存在")
    if not (user.is_admin or user.can_edit(doc.owner_region)):
        raise HTTPException(status_code=403, detail="无权修改该地区的数据(只能更正本单位导入的文件)")
    form = await request.form()
    frame = document_frame(doc)
    shown = {"region": frame.region_code or frame.key_code or frame.region,
             "published": frame.published.isoformat() if frame.published else "", "kind": frame.kind}
    changes = {f: str(form[f]).strip() for f in shown if f in form and str(form[f]).strip() != shown[f]}
    try:
        correct_frame(session, doc, changes, user.username, allowed=scope_codes(user))
    except StatementError as exc:
        session.rollback()
        return _back_to_document(doc_id, "frame", exc)
    return _back_to_document(doc_id, "frame")


@router.post("/docs/statements/{statement_id}/correct", include_in_schema=False, dependencies=[CsrfChecked])
async def correct(request: Request, statement_id: int, session: DbSession, user: CurrentUser):
    st = session.get(Statement, statement_id)
    if st is None:
        raise HTTPException(status_code=404, detail="量化表述不存在")
    if not (user.is_admin or user.can_edit(st.document.owner_region)):
        raise HTTPException(status_code=403, detail="无权修改该地区的数据(只能更正本单位导入的文件)")
    form = await request.form()
    changes = {f: form[f] for f in EDITABLE if f in form and str(form[f]) != _as_form(getattr(st, f))}
    try:
        correct_statement(session, statement_id, changes, user.username, allowed=scope_codes(user))
    except StatementError as exc:
        session.rollback()
        return _back_to_document(st.document_id, f"s{statement_id}", exc)
    return _back_to_document(st.document_id, f"s{statement_id}")


def _back_to_document(doc_id: int, anchor: str, error: Exception | None = None) -> RedirectResponse:
    """Back to the document page at `anchor`, with the refusal shown there when there is one."""
    from urllib.parse import quote

    query = f"?error={quote(str(error))}" if error else ""
    return RedirectResponse(f"/docs/{doc_id}{query}#{anchor}", status_code=303)


def _as_form(v) -> str:
    if v is None:
        return ""
    if hasattr(v, "normalize"):
        return format(v.normalize(), "f")
    return str(v)
