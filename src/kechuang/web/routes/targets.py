"""Pages and API of kechuang.targets: progress (目标), binding queue, history, rows behind a number,
assessment (考核)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from ... import cache
from ...targets.metrics import MetricError, load_metrics, metric_source, progress_reads
from ...targets.overview import district_chart, progress_chart
from ...targets.progress import (compute_progress, history, json_number, kept_targets, progress_frame,
                                 status_rules)
from ...targets.store import (COMPARATOR_LABELS, ImplausibleBinding, TargetError, bind_target, candidate_metrics,
                               dismiss_target, get_target, list_targets, restore_target, unbind_target)
from ..deps import _num, _pct, _qty, esc as _h
from ..deps import (CsrfChecked, CurrentUser, DbSession, region_code_param, render, render_cached, require_edit,
                    require_scope, scope_codes, templates)

router = APIRouter()
templates.env.filters["cmp"] = lambda c: COMPARATOR_LABELS.get(c, c)


def _region_param(user, region: str | None) -> str | None:
    """The region to show: the one asked for (inside the user's scope) or the user's own."""
    return region_code_param(user, region) or user.region_code


def _progress(session, user, region, year, date):
    code = _region_param(user, region)
    today = dt.date.fromisoformat(date) if date else dt.date.today()
    key = ("progress", str(session.get_bind().url), code, year or today.year, today)

    def compute():
        targets = kept_targets(session, region_code=code, year=year or today.year)
        versions = cache.transaction_versions(session.connection())  # read as the request began
        return compute_progress(targets, metric_source(session.get_bind(), versions=versions), today)

    rows = cache.cached(key, compute, reads=progress_reads())
    visible = {c: user.can_see(c) for c in {p.target.region_code for p in rows}}
    return code, today, [p for p in rows if visible[p.target.region_code]]


@router.get("/targets", include_in_schema=False)
def targets_page(request: Request, session: DbSession, user: CurrentUser, region: str | None = None,
                 year: int | None = None, date: str | None = None, format: str | None = None):
    if format == "xlsx":
        code, today, rows = _progress(session, user, region, year, date)
        from ...excel import xlsx_response

        return xlsx_response({"目标进度": progress_frame(rows)}, f"目标进度-{code or '全部'}-{today}.xlsx")

    def build():
        code, today, rows = _progress(session, user, region, year, date)
        ends = _row_ends_kept(session, code, year or today.year)
        return {"rows": rows, "table_rows": _table_rows(rows, ends), "region_code": code, "year": year or today.year,
                "as_of": today, "rule": status_rules().describe(), "region_text": _full_name(code),
                **_progress_charts(rows, code)}

    return render_cached(request, "targets/index.html", build, reads=progress_reads())


def _table_rows(rows, ends: dict[int, tuple[str, str]]) -> Markup:
    """The progress table's rows, joined here rather than looped in the template: a view of another
    date renders a row per target (hundreds for a city), and the cells that do not depend on the
    date (``ends``, `_row_ends_kept`) are made once per version of the targets. Numbers and
    percentages need no escaping."""
    out = []
    for p in rows:  # the values `Progress.to_json` gives, without the fields the table does not show
        t = p.target
        tid, status, error, cur = t.id, p.status, p.error or None, p.current
        head, tail = ends.get(tid) or _row_ends(t, p.metric)
        current = f'<a href="/targets/{tid}/rows">{_shown_num(p.current)}</a>' if cur is not None else "—"
        share = _shown_pct(p.share) + (
            f'<br><small class="problem implausible">完成率异常,请<a href="/targets/{tid}#binding">核对绑定</a></small>'
            if p.implausible else "")
        if p.pace is None:
            pace = "—"
        else:
            pace = _shown_pct(p.pace)
            if p.expected is not None and status not in ("未开始", "暂无数据"):
                pace += f'<br><small class="muted">应达 {_shown_num(p.expected)} {_h(t.unit)}</small>'
        state = _status_cell(status, error, t.binding_status != "bound" or t.metric_id is None)
        out.append(f'{head}<td class="current">{current}</td><td class="share">{share}</td>'
                   f'<td class="pace">{pace}</td><td class="status">{state}</td>{tail}')
    return Markup("\n".join(out))


# a day's pace is the same for most rows, and many figures repeat: each formatted once
@lru_cache(maxsize=4096)
def _shown_num(v) -> str:
    return _num(json_number(v))


@lru_cache(maxsize=4096)
def _shown_pct(v) -> str:
    return _pct(json_number(v))


@lru_cache(maxsize=1024)
def _status_cell(status: str | None, error: str | None, unbound: bool) -> str:
    if status:
        return f'<span class="badge status-{_h(status)}">{_h(status)}</span>' + (
            f'<br><small class="muted">{_h(error)}</small>' if error else "")
    if error:
        return f'<small class="problem">{_h(error)}</small>'
    return '<a href="/targets/queue">未绑定</a>' if unbound else '<small class="muted">—</small>'


def _row_ends(t, metric) -> tuple[str, str]:
    """The cells of a progress row before and after its date's values."""
    tid = t.id
    name = f'<br><small class="muted">{_h(metric.name)}</small>' if metric else ""
    head = (f'<tr data-target-id="{tid}"><td>{_h(t.region)}</td>'
            f'<td><a href="/targets/{tid}">{_h(t.indicator)}</a>{name}</td>'
            f'<td>{_h(COMPARATOR_LABELS.get(t.comparator, t.comparator))} {_h(_qty(json_number(t.value), t.unit))}</td>')
    return head, f'<td><small title="{_h(t.source_quote)}">{_h(t.source_doc)}</small></td></tr>'


def _row_ends_kept(session, code: str | None, year: int) -> dict[int, tuple[str, str]]:
    """`_row_ends` of every target `kept_targets` gives, by id, kept until the targets change."""
    def make():
        metrics = load_metrics()
        return {t.id: _row_ends(t, metrics.get(t.metric_id) if t.binding_status == "bound" and t.metric_id else None)
                for t in kept_targets(session, region_code=code, year=year)}

    return cache.cached(("target-row-ends", str(session.get_bind().url), code, year), make, reads=("targets",))


def _full_name(code: str | None) -> str:
    """A region as the filter box shows it: its full name, never a bare code."""
    from ...regions import name_of

    return name_of(code, full=True)


def _progress_charts(rows, code: str | None) -> dict:
    bound = [p for p in rows if p.target.binding_status == "bound"]
    own = [p for p in bound if p.target.region_code == code] if code else bound
    others: dict[str, list] = {}
    for p in bound:
        if p.target.region_code != code:
            others.setdefault(p.target.metric_id, []).append(p)
    comparisons = [(load_metrics()[m].name, district_chart(others[m], m)) for m in sorted(others)]
    return {"chart": progress_chart(own) if own else None, "chart_rows": len(own),
            "comparisons": [c for c in comparisons if c[1]]}


@router.get("/api/targets/progress")
def api_progress(session: DbSession, user: CurrentUser, region: str | None = None, year: int | None = None,
                 date: str | None = None) -> list[dict]:
    """目标进度(每个目标一条,键同 `kechuang targets progress --format jsonl`)"""
    return [p.to_json() for p in _progress(session, user, region, year, date)[2]]


@router.get("/targets/queue", include_in_schema=False)
def queue_page(request: Request, session: DbSession, user: CurrentUser):
    def build():
        items = [t for t in list_targets(session, binding="unbound") if user.can_see(t.region_code)]
        dismissed = [t for t in list_targets(session, binding="dismissed") if user.can_see(t.region_code)]
        return {"items": items, "dismissed": dismissed, "candidates": {t.id: candidate_metrics(t) for t in items}}

    # kept per user until the targets change (a binding, a dismissal, an import)
    return render_cached(request, "targets/queue.html", build, reads=("targets",))


@router.post("/targets/import", include_in_schema=False, dependencies=[CsrfChecked])
def import_action(session: DbSession, user: CurrentUser):
    """Register the targets that ingested documents state (only those inside the user's scope)."""
    from ...targets.store import import_statements

    if not user.can_write:
        raise HTTPException(status_code=403, detail="只读用户不能导入目标")
    import_statements(session, user.username, region_codes=scope_codes(user))
    return RedirectResponse("/targets/queue", status_code=303)


def _back(next_url: str | None, default: str) -> str:
    """Where to go after a binding action: a page of the targets section only."""
    return next_url if next_url and next_url.startswith("/targets") and "//" not in next_url else default


def _editable(session, user, target_id):
    try:
        t = get_target(session, target_id)
    except TargetError as exc:
        raise HTTPException(status_code=404, detail=str(exc))
    require_edit(user, t.region_code)
    return t


@router.post("/targets/{target_id}/bind", include_in_schema=False, dependencies=[CsrfChecked])
def bind_action(request: Request, target_id: int, session: DbSession, user: CurrentUser,
                metric: str = Form(""), confirm: str = Form(""), next: str = Form("")):
    """Bind or rebind (audited). An implausible completion rate asks for a confirmation first."""
    t = _editable(session, user, target_id)
    try:
        bind_target(session, target_id, metric, user.username, source=metric_source(session.get_bind()),
                    confirm=confirm == "1")
    except ImplausibleBinding as exc:
        m = load_metrics()[metric]
        return render(request, "targets/confirm.html", {"t": t, "metric": m, "message": str(exc),
                                                         "next": _back(next, "/targets/queue")}, status_code=409)
    except TargetError as exc:
        raise HTTPException(status_code=400, detail=str(exc))
    return RedirectResponse(_back(next, "/targets/queue"), status_code=303)


@router.post("/targets/{target_id}/unbind", include_in_schema=False, dependencies=[CsrfChecked])
def unbind_action(target_id: int, session: DbSession, user: CurrentUser, next: str = Form("")):
    _editable(session, user, target_id)
    try:
        unbind_target(session, target_id, user.username)
    except TargetError as exc:
        raise HTTPException(status_code=400, detail=str(exc))
    return RedirectResponse(_back(next, f"/targets/{target_id}"), status_code=303)


@router.post("/targets/{target_id}/dismiss", include_in_schema=False, dependencies=[CsrfChecked])
def dismiss_action(target_id: int, session: DbSession, user: CurrentUser, next: str = Form("")):
    _editable(session, user, target_id)
    dismiss_target(session, target_id, user.username)
    return RedirectResponse(_back(next, "/targets/queue"), status_code=303)


@router.post("/targets/{target_id}/restore", include_in_schema=False, dependencies=[CsrfChecked])
def restore_action(target_id: int, session: DbSession, user: CurrentUser, next: str = Form("")):
    _editable(session, user, target_id)
    try:
        restore_target(session, target_id, user.username)
    except TargetError as exc:
        raise HTTPException(status_code=400, detail=str(exc))
    return RedirectResponse(_back(next, "/targets/queue"), status_code=303)


def _target(session, user, target_id):
    try:
        t = get_target(session, target_id)
    except TargetError as exc:
        raise HTTPException(status_code=404, detail=str(exc))
    require_scope(user, t.region_code)
    return t


@router.get("/targets/{target_id}", include_in_schema=False)
def target_page(request: Request, target_id: int, session: DbSession, user: CurrentUser):
    from ... import audit
    from ...targets.progress import compute_progress, record_history

    t = _target(session, user, target_id)
    source = metric_source(session.get_bind())
    try:  # the history is recorded from the dated ledger as the page is opened, no command needed
        with session.begin_nested():  # a concurrent view recording the same day only loses its copy
            record_history(session, [t], source, dt.date.today())
    except (MetricError, ImportError, IntegrityError):
        pass
    [p] = compute_progress([t], source)
    snaps = history(session, t.id)
    option = None
    if snaps:
        option = {
            "tooltip": {"trigger": "axis"}, "legend": {"data": ["当前值", "序时应达"]},
            "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
            "xAxis": {"type": "category", "data": [s.as_of.isoformat() for s in snaps]},
            "yAxis": {"type": "value", "name": t.unit},
            "series": [{"name": "当前值", "type": "line", "data": [float(s.current or 0) for s in snaps]},
                       {"name": "序时应达", "type": "line", "lineStyle": {"type": "dashed"},
                        "data": [None if s.expected is None else float(s.expected) for s in snaps],
                        "markLine": {"symbol": "none", "data": [{"yAxis": float(t.value), "name": "目标"}],
                                     "label": {"formatter": "目标"}}}],
        }
    metrics = load_metrics()
    trail = [{"at": audit.local_time(e.at), "who": e.username, "what": audit.action_label(e.action),
              "before": _metric_name(metrics, (e.before or {}).get("metric_id")),
              "after": _metric_name(metrics, (e.after or {}).get("metric_id"))}
             for e in audit.of_entity(session, "target", str(t.id))]
    from .plans import plan_context

    return render(request, "targets/detail.html", {
        **plan_context(session, user, t), "error": request.query_params.get("error"),
        "t": t, "p": p, "snaps": snaps, "option": option, "trail": trail,
        "candidates": [m for m in candidate_metrics(t) if m.id != t.metric_id],
        "can_edit": user.can_edit(t.region_code)})


def _metric_name(metrics, mid: str | None) -> str:
    if not mid:
        return "—"
    return metrics[mid].name if mid in metrics else mid


ROWS_PAGE = 200


@router.get("/targets/{target_id}/rows", include_in_schema=False)
def rows_page(request: Request, target_id: int, session: DbSession, user: CurrentUser,
              date: str | None = None, format: str | None = None, page: int = 1):
    """数字背后的台账记录: readable records and the reconciliation with the number."""
    from ...targets.progress import effective_date
    from ...targets.provenance import explain

    t = _target(session, user, target_id)
    if t.binding_status != "bound":
        raise HTTPException(status_code=404, detail="该目标尚未绑定指标,没有对应的台账记录")
    when = dt.date.fromisoformat(date) if date else effective_date(t.year, dt.date.today())

    def prov():
        try:
            return explain(t, when, metric_source(session.get_bind()), session.connection())
        except (MetricError, ImportError) as exc:
            raise HTTPException(status_code=503,
                                detail=str(exc) if isinstance(exc, MetricError) else "台账尚不可用")

    if format == "xlsx":
        from ...excel import xlsx_response

        return xlsx_response({"台账记录": prov().export_frame()}, f"台账记录-{t.indicator}-{when}.xlsx")

    def build():
        p = prov()
        pages = max(1, -(-p.total // ROWS_PAGE))
        number = min(max(page, 1), pages)
        return {"t": t, "p": p, "when": when, "rows": p.page(number, ROWS_PAGE), "page": number, "pages": pages}

    return render_cached(request, "targets/rows.html", build)


def _assessment_city(user, city: str | None) -> str | None:
    """The city whose assessment to show: the one named (a district officer may name the city above
    them: the ranking is published to every district, their own details only to them), else the
    system of the user's region or its nearest ancestor."""
    from ...regions import AmbiguousRegion, RegionError, lookup, registry
    from ...targets.assessment import default_system

    if not (city or "").strip():
        return default_system(user.region_code)
    try:
        code = lookup(city.strip()).code
    except AmbiguousRegion as exc:
        raise HTTPException(status_code=400, detail=str(exc))
    except RegionError:
        raise HTTPException(status_code=404, detail=f"未知地区“{city}”:请填写城市名称或行政区划代码")
    if user.region_code and not user.can_see(code):
        ancestors = {a.code for a in registry().ancestors(user.region_code)}
        if code not in ancestors:
            require_scope(user, code)
    return default_system(code) or code


@router.get("/assessment", include_in_schema=False)
def assessment_page(request: Request, session: DbSession, user: CurrentUser, city: str | None = None,
                    date: str | None = None, format: str | None = None):
    """考核: ranking, weights, raw values, normalisation and components that add up to each score.
    Every district's rank and score is shown; raw values and components only within the user's scope."""
    from ...targets.assessment import MISSING_RULE, available_systems, cached_assessment

    code = _assessment_city(user, city)
    if code is None:
        return render(request, "targets/assessment.html", {
            "error": "请选择要查看考核排名的城市(填写城市名称或代码)", "systems": available_systems(),
            "result": None, "city": ""})
    today = dt.date.fromisoformat(date) if date else dt.date.today()
    try:
        result = cached_assessment(session, code, today)
    except (MetricError, ImportError) as exc:
        return render(request, "targets/assessment.html", {"error": str(exc), "systems": available_systems(),
                                                           "result": None, "city": code})

    def shown():
        rows = result.to_json()
        return rows, {r["region_code"] for r in rows if user.can_see(r["region_code"])}

    if format == "xlsx":
        from ...excel import xlsx_response

        return xlsx_response(result.export_frames(shown()[1]), f"考核排名-{code}-{today}.xlsx")

    def build():
        rows, visible = shown()
        own = result.rank_of(user.region_code) if user.region_code else None
        detail = [r for r in rows if r["region_code"] in visible]
        return {"result": result, "rows": rows, "detail": detail, "visible": visible, "own": own,
                "params": result.parameters(), "missing_rule": MISSING_RULE,
                "option": _assessment_chart(result, rows, visible),
                "sens_cols": result.sensitivity.columns, "sens_rows": result.sensitivity.rows(),
                "city": code, "as_of": today, "error": None}

    return render_cached(request, "targets/assessment.html", build, reads=progress_reads())


def _assessment_chart(result, rows: list[dict], visible: set[str]) -> dict:
    """Stacked contributions for the regions the user may see; the others as their total only."""
    names = [r["region"] for r in rows]
    series = [{"name": i.name, "type": "bar", "stack": "score",
               "data": [round(next(e["contribution"] for e in r["indicators"] if e["indicator"] == i.id), 4)
                        if r["region_code"] in visible else None for r in rows]} for i in result.system.indicators]
    if len(visible) < len(rows):
        series.append({"name": "综合得分(其他地区)", "type": "bar", "stack": "score", "itemStyle": {"color": "#b0bec5"},
                       "data": [None if r["region_code"] in visible else round(r["score"] or 0, 4) for r in rows]})
    return {"tooltip": {"trigger": "axis"}, "legend": {},
            "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
            "xAxis": {"type": "value", "max": 1}, "yAxis": {"type": "category", "inverse": True, "data": names},
            "series": series}
