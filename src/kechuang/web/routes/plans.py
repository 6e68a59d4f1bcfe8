"""Targets set on the web: a new target, an edit, a split down to the regions below (分解下达) and
each region's answer (确认 / 异议). The rules live in kechuang.targets (store, split)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from ... import audit
from ...targets.metrics import MetricError, load_metrics, metric_source
from ...targets.split import METHODS, Part, answer_share, share_of_child, shares_of, split_options, split_target
from ...targets.store import COMPARATOR_LABELS, COMPARATORS, TargetError, add_target, get_target, update_target
from ...units import UnitError, symbols
from ..deps import CsrfChecked, CurrentUser, DbSession, region_code_param, render, require_edit

router = APIRouter()


def _editable(session, user, target_id: int):
    from .targets import _editable as editable  # the one check of who may change a target

    return editable(session, user, target_id)


def _form_context(session, user, error: str | None = None, values: dict | None = None) -> dict:
    from ...reader.store import Document, current_query, reader_owners

    owners = None if user.is_admin else reader_owners(user.region_code)
    titles = session.scalars(current_query(owners).with_only_columns(Document.title)
                             .where(Document.withdrawn_at.is_(None)).limit(500))
    return {"doc_titles": list(titles), "units": symbols(), "comparators": [(c, COMPARATOR_LABELS[c]) for c in COMPARATORS],
            "metrics": list(load_metrics().values()), "error": error, "v": values or {},
            "year": dt.date.today().year}


@router.get("/targets/new", include_in_schema=False)
def new_target_page(request: Request, session: DbSession, user: CurrentUser):
    if not user.can_write:
        raise HTTPException(status_code=403, detail="只读用户不能设定目标")
    return render(request, "targets/new.html", _form_context(session, user))


@router.post("/targets/new", include_in_schema=False, dependencies=[CsrfChecked])
def new_target(request: Request, session: DbSession, user: CurrentUser,
               region: Annotated[str, Form(max_length=200)] = "",
               indicator: Annotated[str, Form(max_length=1000)] = "",
               value: Annotated[str, Form(max_length=100)] = "",
               unit: Annotated[str, Form(max_length=50)] = "",
               comparator: Annotated[str, Form(max_length=10)] = ">=",
               period: Annotated[str, Form(max_length=100)] = "",
               metric: Annotated[str, Form(max_length=100)] = "",
               source_doc: Annotated[str, Form(max_length=1000)] = "",
               source_quote: Annotated[str, Form(max_length=4000)] = ""):
    """A target typed in by an officer (region inside the officer's scope), audited."""
    values = {"region": region, "indicator": indicator, "value": value, "unit": unit, "comparator": comparator,
              "period": period, "metric": metric, "source_doc": source_doc, "source_quote": source_quote}
    if not user.can_write:
        raise HTTPException(status_code=403, detail="只读用户不能设定目标")
    code = region_code_param(user, region) or user.region_code
    if code is None:
        return render(request, "targets/new.html", _form_context(session, user, "字段“地区”不能为空", values), status_code=400)
    require_edit(user, code)
    try:
        if len(indicator) > 256:
            raise TargetError("字段“指标”过长(不超过 256 个字符)")
        if not period.strip():
            raise TargetError("字段“期限”不能为空(如 2025 或 2025年底)")
        if len(period.strip()) > 32:
            raise TargetError("字段“期限”过长(不超过 32 个字符)")
        if unit and unit not in symbols():
            raise TargetError(f"字段“单位”的值“{unit}”不在单位表中")
        from ...regions import registry

        t = add_target(session, region=registry().get(code).full_name, region_code=code, indicator=indicator,
                       value=value, unit=unit, period=period.strip(), comparator=comparator,
                       metric_id=metric or None, source_doc=source_doc.strip()[:256],
                       source_quote=source_quote.strip(), created_by=user.username)
    except (TargetError, MetricError, UnitError) as exc:
        session.rollback()
        return render(request, "targets/new.html", _form_context(session, user, str(exc), values), status_code=400)
    audit.record(session, user.username, "create", "target", t.id, None, t.as_dict(), t.region_code)
    return RedirectResponse(f"/targets/{t.id}", status_code=303)


def _back(target_id: int, anchor: str, error: Exception | None = None) -> RedirectResponse:
    from urllib.parse import quote

    query = f"?error={quote(str(error))}" if error else ""
    return RedirectResponse(f"/targets/{target_id}{query}#{anchor}", status_code=303)


@router.post("/targets/{target_id}/edit", include_in_schema=False, dependencies=[CsrfChecked])
async def edit_target(request: Request, target_id: int, session: DbSession, user: CurrentUser):
    from ...targets.store import EDITABLE

    _editable(session, user, target_id)
    form = await request.form()
    changes = {f: str(form[f]) for f in EDITABLE if f in form}
    if any(len(v) > 4000 for v in changes.values()):
        return _back(target_id, "edit", TargetError("填写的内容过长(每项不超过 4000 个字符)"))
    try:
        update_target(session, target_id, changes, user.username)
    except (TargetError, MetricError, UnitError) as exc:
        session.rollback()
        return _back(target_id, "edit", exc)
    return _back(target_id, "edit")


@router.post("/targets/{target_id}/split", include_in_schema=False, dependencies=[CsrfChecked])
async def split_action(request: Request, target_id: int, session: DbSession, user: CurrentUser):
    """Split a target to the regions ticked on the form (by hand, evenly or by last year's share)."""
    _editable(session, user, target_id)
    form = await request.form()
    method = str(form.get("method", "hand"))[:20]
    codes = [str(c)[:16] for c in form.getlist("regions")][:500]
    parts = []
    for code in codes:
        raw = str(form.get(f"value_{code}", "")).strip()[:100]
        parts.append(Part(code, raw or None, str(form.get(f"unit_{code}", "")).strip()[:20]))
    try:
        for code in codes:
            require_edit(user, code)
        split_target(session, target_id, method, parts, user.username, source=metric_source(session.get_bind()))
    except (TargetError, MetricError, UnitError) as exc:
        session.rollback()
        return _back(target_id, "split", exc)
    return _back(target_id, "split")


@router.post("/targets/{target_id}/answer", include_in_schema=False, dependencies=[CsrfChecked])
def answer_action(target_id: int, session: DbSession, user: CurrentUser,
                  agree: Annotated[str, Form(max_length=10)] = "",
                  reason: Annotated[str, Form(max_length=4000)] = ""):
    """The region a share was split to confirms it or contests it with a reason."""
    _editable(session, user, target_id)
    try:
        answer_share(session, target_id, agree == "1", reason, user.username)
    except TargetError as exc:
        session.rollback()
        return _back(target_id, "share", exc)
    return _back(target_id, "share")


def plan_context(session, user, t) -> dict:
    """What the target page shows of editing and splitting (see targets/_plan.html)."""
    from ...targets.store import EDITABLE

    shares = [(s, c) for s, c in shares_of(session, t.id) if user.can_see(c.region_code)]
    own = share_of_child(session, t.id)
    parent = None
    if own is not None:
        p = get_target(session, own.parent_id)
        parent = p if user.can_see(p.region_code) else None
    return {"shares": shares, "own_share": own, "parent": parent, "split_regions": split_options(t),
            "methods": METHODS, "units": symbols(), "editable": EDITABLE,
            "comparators": [(c, COMPARATOR_LABELS[c]) for c in COMPARATORS],
            "history": audit.trail(session, "target", t.id), "can_split": user.can_edit(t.region_code),
            "share_by_region": {c.region_code: (s, c) for s, c in shares}}

