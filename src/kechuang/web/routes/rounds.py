"""填报 pages: rounds a city opens, each region's upload and submission, the city's review (退回 /
通过) and the status board. The steps live in kechuang.rounds."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse

from ... import audit
from ...limits import limits
from ...rounds import (FORM_ROWS, PERIOD_KINDS, FillError, RoundError, approve, board, close_round, extend_deadline,
                       fill, form_rows, get_round, last_updates, list_rounds, open_round, return_submission,
                       submission_of, submit, upload)
from ..deps import CsrfChecked, CurrentUser, DbSession, read_upload, render, require_edit, require_scope, scope_codes

router = APIRouter()


def _kinds():
    from ...ledgers import all_kinds

    return [k for k in all_kinds().values() if k.region_field]


def _round(session, user, round_id: int):
    try:
        r = get_round(session, round_id)
    except RoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc))
    # the city and every region in the round may look at it
    if not (user.can_see(r.region_code) or any(user.can_see(b.submission.region_code) for b in board(session, r))):
        raise HTTPException(status_code=403, detail="无权访问该地区的数据")
    return r


@router.get("/rounds", include_in_schema=False)
def rounds_page(request: Request, session: DbSession, user: CurrentUser):
    rounds = list_rounds(session, scope_codes(user))
    return render(request, "rounds/index.html", {
        "rounds": rounds, "kinds": _kinds(), "period_kinds": PERIOD_KINDS, "error": request.query_params.get("error"),
        "today": dt.date.today(), "boards": {r.id: board(session, r) for r in rounds},
        "updated": last_updates(session, rounds)})


@router.post("/rounds", include_in_schema=False, dependencies=[CsrfChecked])
async def open_action(request: Request, session: DbSession, user: CurrentUser):
    """The user's office opens a round for the regions directly below it."""
    form = await request.form()
    if not user.can_write or not user.region_code and not user.is_admin:
        raise HTTPException(status_code=403, detail="无权发起填报")
    from ..deps import region_code_param

    code = region_code_param(user, str(form.get("region", ""))[:64]) or user.region_code
    if code is None:
        return _back_to_rounds(RoundError("字段“发起地区”不能为空"))
    require_edit(user, code)
    try:
        r = open_round(session, region_code=code, period_kind=str(form.get("period_kind", ""))[:16],
                       period=str(form.get("period", ""))[:32], kinds=[str(k)[:32] for k in form.getlist("kinds")][:50],
                       deadline=str(form.get("deadline", ""))[:32], username=user.username,
                       title=str(form.get("title", ""))[:400])
    except RoundError as exc:
        session.rollback()
        return _back_to_rounds(exc)
    return RedirectResponse(f"/rounds/{r.id}", status_code=303)


def _back_to_rounds(error: Exception) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/rounds?error={quote(str(error))}", status_code=303)


def _back(round_id: int, error: Exception | None = None, anchor: str = "board") -> RedirectResponse:
    from urllib.parse import quote

    query = f"?error={quote(str(error))}" if error else ""
    return RedirectResponse(f"/rounds/{round_id}{query}#{anchor}", status_code=303)


@router.get("/rounds/{round_id}", include_in_schema=False)
def round_page(request: Request, round_id: int, session: DbSession, user: CurrentUser):
    from ...ledgers import get_kind

    r = _round(session, user, round_id)
    rows = board(session, r)
    visible = [b for b in rows if user.can_see(b.submission.region_code) or user.can_see(r.region_code)]
    counts = {label: sum(1 for b in rows if b.submission.status_label == label)
              for label in dict.fromkeys(b.submission.status_label for b in rows)}
    chart = {"tooltip": {}, "grid": {"left": 8, "right": 16, "bottom": 8, "top": 16, "containLabel": True},
             "xAxis": {"type": "category", "data": list(counts)}, "yAxis": {"type": "value", "minInterval": 1},
             "series": [{"type": "bar", "name": "地区数", "data": list(counts.values())}]}
    ids = [str(b.submission.id) for b in visible]
    return render(request, "rounds/detail.html", {
        "r": r, "rows": visible, "kinds": {k: get_kind(k) for k in r.kinds}, "today": dt.date.today(),
        "can_review": user.can_edit(r.region_code), "error": request.query_params.get("error"),
        "updated": last_updates(session, [r]).get(r.id),
        "chart": chart, "history": audit.trail(session, "submission", ids) + audit.trail(session, "round", r.id),
        "mine": {b.submission.region_code for b in visible if user.can_edit(b.submission.region_code)
                 and b.submission.region_code != r.region_code}})


def _district(session, user, round_id: int, region: str):
    r = _round(session, user, round_id)
    require_edit(user, region)
    try:
        submission_of(session, round_id, region)
    except RoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc))
    return r


@router.post("/rounds/{round_id}/{region}/upload", include_in_schema=False, dependencies=[CsrfChecked])
async def upload_action(round_id: int, region: str, session: DbSession, user: CurrentUser,
                        kind: Annotated[str, Form(max_length=32)], file: Annotated[UploadFile, File()]):
    _district(session, user, round_id, region)
    data = await read_upload(file, limits().ledger_upload_mb)
    return _step(session, round_id, region, upload, kind, data, file.filename or "上传文件", user.username)


def _step(session, round_id: int, region: str, step, *args) -> RedirectResponse:
    """Run one step of the round for a region; back to its row, with the refusal shown there."""
    try:
        step(session, round_id, region, *args)
    except RoundError as exc:
        session.rollback()
        return _back(round_id, exc, f"r{region}")
    return _back(round_id, anchor=f"r{region}")


@router.post("/rounds/{round_id}/{region}/submit", include_in_schema=False, dependencies=[CsrfChecked])
def submit_action(round_id: int, region: str, session: DbSession, user: CurrentUser):
    _district(session, user, round_id, region)
    return _step(session, round_id, region, submit, user.username)


def _reviewer(session, user, round_id: int):
    r = _round(session, user, round_id)
    require_edit(user, r.region_code)
    return r


@router.post("/rounds/{round_id}/{region}/return", include_in_schema=False, dependencies=[CsrfChecked])
def return_action(round_id: int, region: str, session: DbSession, user: CurrentUser,
                  reason: Annotated[str, Form(max_length=4000)] = ""):
    _reviewer(session, user, round_id)
    return _step(session, round_id, region, return_submission, reason, user.username)


@router.post("/rounds/{round_id}/{region}/approve", include_in_schema=False, dependencies=[CsrfChecked])
def approve_action(round_id: int, region: str, session: DbSession, user: CurrentUser):
    """通过: the files go into the ledgers (one transaction), then the dashboards are refreshed."""
    r = _reviewer(session, user, round_id)
    session.commit()  # the import writes through its own connection: hold no lock of ours meanwhile
    try:
        approve(session, session.get_bind(), round_id, region, user.username)
    except RoundError as exc:
        session.rollback()
        return _back(round_id, exc, f"r{region}")
    from .ledgers import _refresh_dashboards_later

    for kind in r.kinds:
        _refresh_dashboards_later(session.get_bind(), kind)
    return _back(round_id, anchor=f"r{region}")


@router.get("/rounds/{round_id}/{region}/{kind}.file", include_in_schema=False)
def download_file(round_id: int, region: str, kind: str, session: DbSession, user: CurrentUser):
    """The file a region uploaded, for the city to look at before approving."""
    from fastapi.responses import Response
    from urllib.parse import quote

    from ...rounds.store import files_of

    _round(session, user, round_id)
    require_scope(user, region)
    try:
        sub = submission_of(session, round_id, region)
    except RoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc))
    f = files_of(session, sub.id).get(kind)
    if f is None:
        raise HTTPException(status_code=404, detail="尚未上传该台账的文件")
    return Response(f.data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f.filename)}"})


def _round_step(session, round_id: int, step, *args) -> RedirectResponse:
    """One step on the whole round; a refusal rolls back and shows on the round's page."""
    try:
        step(session, round_id, *args)
    except RoundError as exc:
        session.rollback()
        return _back(round_id, exc)
    return _back(round_id)


@router.post("/rounds/{round_id}/close", include_in_schema=False, dependencies=[CsrfChecked])
def close_action(round_id: int, session: DbSession, user: CurrentUser):
    """关闭(归档): the city ends the round; nothing more is accepted."""
    _reviewer(session, user, round_id)
    return _round_step(session, round_id, close_round, user.username)


@router.post("/rounds/{round_id}/deadline", include_in_schema=False, dependencies=[CsrfChecked])
def extend_action(round_id: int, session: DbSession, user: CurrentUser,
                  deadline: Annotated[str, Form(max_length=32)] = "",
                  reason: Annotated[str, Form(max_length=4000)] = ""):
    """延期: the city moves the round's deadline later, with a reason."""
    _reviewer(session, user, round_id)
    return _round_step(session, round_id, extend_deadline, deadline, reason, user.username)


_CELL = re.compile(r"c(\d{1,4})\.([a-z0-9_]{1,40})")
_MORE_ROWS = 5


def _typed_rows(form) -> list[dict[str, str]]:
    """The form's cells ``c{row}.{field}`` as rows (1-based, gaps kept as blank rows)."""
    rows: dict[int, dict[str, str]] = {}
    for name, value in form.multi_items():
        m = _CELL.fullmatch(name)
        if m and 1 <= int(m.group(1)) <= FORM_ROWS + _MORE_ROWS:
            rows.setdefault(int(m.group(1)), {})[m.group(2)] = str(value)[:2000]
    return [rows.get(i, {}) for i in range(1, max(rows, default=0) + 1)]


def _fill_page(request, session, user, r, region: str, kind: str, rows: list[dict], problems=None,
               error: str | None = None, status_code: int = 200):
    from ...ledgers import get_kind

    sub = submission_of(session, r.id, region)
    editable = r.status == "open" and sub.status in ("pending", "returned") and user.can_edit(region)
    while rows and not any(str(v).strip() for v in rows[-1].values()):
        rows = rows[:-1]
    shown = rows + [{} for _ in range(_MORE_ROWS if editable else 0)]
    marks = {(p.row, p.field) for p in problems or []}
    return render(request, "rounds/fill.html", {
        "r": r, "region": region, "kind": get_kind(kind), "rows": shown, "sub": sub, "editable": editable,
        "error": error, "problems": problems or [], "marks": marks, "bad_rows": {p.row for p in problems or []},
        "max_rows": FORM_ROWS}, status_code=status_code)


def _fill_target(session, user, round_id: int, region: str, kind: str):
    r = _district(session, user, round_id, region)
    if kind not in r.kinds:
        raise HTTPException(status_code=404, detail=f"本轮填报不包括台账“{kind[:32]}”")
    return r


@router.get("/rounds/{round_id}/{region}/fill/{kind}", include_in_schema=False)
def fill_page(request: Request, round_id: int, region: str, kind: str, session: DbSession, user: CurrentUser):
    """The region's figures of one ledger, cell by cell: what it gave so far, and blank rows."""
    r = _fill_target(session, user, round_id, region, kind)
    return _fill_page(request, session, user, r, region, kind, form_rows(session, round_id, region, kind))


@router.post("/rounds/{round_id}/{region}/fill/{kind}", include_in_schema=False, dependencies=[CsrfChecked])
async def fill_action(request: Request, round_id: int, region: str, kind: str, session: DbSession,
                      user: CurrentUser):
    r = _fill_target(session, user, round_id, region, kind)
    form = await request.form()
    rows = _typed_rows(form)
    if form.get("more"):  # more blank rows; nothing is saved yet
        return _fill_page(request, session, user, r, region, kind, rows)
    try:
        fill(session, round_id, region, kind, rows, user.username)
    except FillError as exc:
        session.rollback()
        return _fill_page(request, session, user, r, region, kind, rows, exc.problems, str(exc), 400)
    except RoundError as exc:
        session.rollback()
        return _fill_page(request, session, user, r, region, kind, rows, None, str(exc), 400)
    return _back(round_id, anchor=f"r{region}")
