"""The 报告 page: a region's monthly/quarterly progress report, previewed and downloaded as .docx/.pdf."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from ...reports import HEADERS, ReportError, build_report, parse_period, render_docx, render_pdf
from ...targets.overview import progress_chart
from ..deps import DbSession, Scope, render

router = APIRouter()

MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}


def _this_quarter(today: dt.date) -> str:
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


@router.get("/reports", include_in_schema=False)
def reports_page(request: Request, session: DbSession, scope: Scope, period: str | None = None,
                 format: str | None = None):
    from ...excel import content_disposition
    from ...targets.progress import progress_frame

    period = (period or "").strip() or _this_quarter(dt.date.today())
    if format not in (None, "", "docx", "pdf", "xlsx"):
        raise HTTPException(status_code=400, detail=f"格式“{format[:20]}”无效:请选择 docx、pdf 或 xlsx")
    code = scope.code
    if not code:
        return render(request, "reports/index.html", {"report": None, "period": period, "region_text": ""})
    try:
        rep = build_report(session, code, parse_period(period), visible=scope.user.can_see)
    except ReportError as exc:
        raise HTTPException(status_code=400, detail=str(exc))
    name = f"进度报告-{rep.region}-{rep.period.code}"
    if format == "xlsx":
        from ...excel import xlsx_response

        return xlsx_response({"目标完成情况": progress_frame(rep.rows), "滞后目标": progress_frame(rep.lagging)}, name)
    if format in MEDIA:
        data = render_docx(rep) if format == "docx" else render_pdf(rep)
        return Response(data, media_type=MEDIA[format],
                        headers={"Content-Disposition": content_disposition(f"{name}.{format}")})
    return render(request, "reports/index.html", {
        "report": rep, "headers": HEADERS, "period": rep.period.code, "region_text": rep.region,
        "chart": progress_chart(rep.rows) if rep.chart_bars() else None})
