"""政策兑现 pages: per policy item the enterprises and amounts, totals by payer (chart), the
免申即享 list as Excel, the payouts ledger with its steps; an enterprise-page panel of what the
enterprise is entitled to and why; the JSON API. Computation lives in ``kechuang.incentives``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse

from ..deps import CsrfChecked, CurrentUser, DbSession, Scope, render, require_edit, scope_codes, templates
from .ledgers import ENTERPRISE_PANELS

router = APIRouter()
STATUS_ORDER = ("payable", "needs_application", "superseded", "excluded")


def _year(year: int | None) -> int:
    return year if year is not None else dt.date.today().year - 1


def _chart(budget_rows: list[dict]) -> dict:
    """Bars per payer: 免申即享 and 须申报 amounts (万元)."""
    names = [f"{r['出资地区']}（{r['出资层级']}）{r['兑现年度']}" for r in budget_rows]
    return {
        "tooltip": {"trigger": "axis"}, "legend": {"data": ["免申即享", "须申报（含最高额度）"]},
        "grid": {"left": 200, "right": 30, "top": 30, "bottom": 20},
        "xAxis": {"type": "value", "name": "万元"}, "yAxis": {"type": "category", "data": names},
        "series": [
            {"name": "免申即享", "type": "bar", "stack": "t", "data": [float(r["免申即享(万元)"]) for r in budget_rows]},
            {"name": "须申报（含最高额度）", "type": "bar", "stack": "t",
             "data": [float(r["须申报(万元，含最高额度)"]) for r in budget_rows]},
        ],
    }


@router.get("/awards", include_in_schema=False)
def awards_page(request: Request, session: DbSession, rs: Scope, user: CurrentUser,
                year: Annotated[int | None, Query(ge=1990, le=2100)] = None, item: str | None = None,
                status: str | None = None, format: str | None = None, only: str | None = None):
    from ...incentives import all_policies
    from ...incentives.engine import STATUS_NAMES
    from ...incentives.export import budget_rows, item_rows, line_rows, sheets
    from ...incentives.payouts import STATE_NAMES, awards_for, rows

    from ...cache import per_version

    y = _year(year)
    conn = session.connection()
    lines = per_version(conn, ("awards", rs.key, y), lambda: awards_for(conn, rs.code, y))
    if format == "xlsx":
        from ...excel import xlsx_response

        all_sheets = sheets(lines)
        if only == "free":
            return xlsx_response({"免申即享名单": all_sheets["免申即享名单"]}, f"免申即享名单-{y}.xlsx")
        return xlsx_response(all_sheets, f"政策兑现-{y}.xlsx")
    shown = [a for a in lines if (not item or f"{a.policy_key}/{a.item}" == item) and (not status or a.status == status)]
    shown.sort(key=lambda a: (STATUS_ORDER.index(a.status), a.uscc))
    b = budget_rows(lines)
    return render(request, "awards/index.html", {
        "year": y, "region_code": rs.code, "items": item_rows(lines), "budget": b, "chart": _chart(b),
        "lines": list(zip(shown[:500], line_rows(shown[:500]))), "shown_total": len(shown),
        "item": item or "", "status": status or "", "status_names": STATUS_NAMES,
        "policies": [p for p in all_policies()], "payouts": rows(session.connection(), rs.codes),
        "state_names": STATE_NAMES, "can_write": user.can_write,
    })


@router.post("/awards/generate", include_in_schema=False, dependencies=[CsrfChecked])
def awards_generate(session: DbSession, user: CurrentUser, rs: Scope, year: int = Form(...)):
    if not user.can_write:
        raise HTTPException(status_code=403, detail="只读用户不能生成兑现名单")
    require_edit(user, rs.code)
    if not 1990 <= year <= 2100:
        raise HTTPException(status_code=400, detail=f"年度“{year}”无效")
    from ...incentives.payouts import generate

    generate(session, rs.code, year, user.username)
    return RedirectResponse(f"/awards?year={year}{'&region=' + rs.code if rs.code else ''}#payouts", status_code=303)


@router.post("/awards/payouts/{payout_id}", include_in_schema=False, dependencies=[CsrfChecked])
def awards_advance(payout_id: int, session: DbSession, user: CurrentUser, to: str = Form(...),
                   year: int | None = Form(None)):
    from ...incentives.payouts import PayoutError, advance

    if not user.can_write:
        raise HTTPException(status_code=403, detail="只读用户不能修改兑现进度")
    try:
        advance(session, payout_id, to, user.username, region_codes=scope_codes(user))
    except PayoutError as exc:
        raise HTTPException(status_code=400, detail=str(exc))
    return RedirectResponse(f"/awards{'?year=' + str(year) if year else ''}#payouts", status_code=303)


def enterprise_awards(request: Request, uscc: str, records: dict) -> dict:
    """The enterprise page panel: awards of the last three years and why."""
    from ...incentives.engine import STATUS_NAMES
    from ...incentives.payouts import awards_for

    this = dt.date.today().year
    with request.app.state.engine.connect() as conn:
        out = awards_for(conn, None, list(range(this - 3, this + 1)), usccs=[uscc])
    return {"lines": out, "status_names": STATUS_NAMES}


templates.env.globals["enterprise_awards"] = enterprise_awards
if "awards/panel.html" not in ENTERPRISE_PANELS:
    ENTERPRISE_PANELS.append("awards/panel.html")


# ---------------------------------------------------------------- JSON API

@router.get("/api/awards", tags=["awards"], summary="政策兑现:各企业应享奖励(与 kechuang awards 的 jsonl 相同)")
def api_awards(session: DbSession, rs: Scope, year: Annotated[int, Query(ge=1990, le=2100)]) -> list[dict[str, Any]]:
    from ...incentives.payouts import awards_for

    return [a.as_json() for a in awards_for(session.connection(), rs.code, year)]


@router.get("/api/awards/budget", tags=["awards"], summary="政策兑现:按出资方与兑现年度汇总(万元)")
def api_awards_budget(session: DbSession, rs: Scope, year: Annotated[int, Query(ge=1990, le=2100)]
                      ) -> list[dict[str, Any]]:
    from ...incentives import budget, text
    from ...incentives.payouts import awards_for

    lines = awards_for(session.connection(), rs.code, year)
    out = []
    for status in ("payable", "needs_application"):
        for r in budget(lines, (status,)):
            out.append({**r, "status": status, "amount": text(r["amount"])})
    return out
