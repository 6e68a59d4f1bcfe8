"""Context for the 总览 panel and the chart options shared by the targets pages."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from .progress import Progress, progress_report, status_rules

STATUS_COLORS = {"已完成": "#2e7d32", "正常": "#1565c0", "滞后": "#f9a825", "严重滞后": "#c62828",
                 "未开始": "#78909c", "暂无数据": "#b0bec5"}


def _bar(p: Progress) -> dict:
    """One completion bar; an implausible rate is cut at the limit (the real rate in its label), so one
    wrong binding does not squash every other bar."""
    real = round(float(p.share) * 100, 1)
    bar = {"value": real, "itemStyle": {"color": STATUS_COLORS.get(p.status or "", "#90a4ae")}}
    limit = status_rules().implausible_share
    if p.implausible and limit is not None:
        bar.update(value=float(limit) * 100, itemStyle={"color": "#8e24aa"},
                   label={"show": True, "position": "insideRight", "formatter": f"{real:g}%(异常,请核对绑定)"})
    return bar


def progress_chart(rows: list[Progress]) -> dict:
    """ECharts option: completion bars (% of target), the target line at 100 % and the pace marks."""
    rows = [p for p in rows if p.share is not None]
    several = len({r.target.region_code for r in rows}) > 1
    names = [f"{p.target.region}·{p.target.indicator}" if several else p.target.indicator for p in rows]
    bars = [_bar(p) for p in rows]
    pace = [None if (p.expected is None or not p.target.value) else
            round(float(p.expected / p.target.value) * 100, 1) for p in rows]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["完成率", "序时进度"]},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [
            {"name": "完成率", "type": "bar", "data": bars,
             "markLine": {"symbol": "none", "data": [{"xAxis": 100, "name": "目标"}],
                          "lineStyle": {"color": "#2e7d32", "type": "solid", "width": 2},
                          "label": {"formatter": "目标"}}},
            {"name": "序时进度", "type": "scatter", "symbol": "rect", "symbolSize": [4, 18], "data": pace,
             "itemStyle": {"color": "#37474f"}},
        ],
        "__click": {n: f"/targets/{p.target.id}/rows" for n, p in zip(names, rows)},
    }


def district_chart(rows: list[Progress], metric_id: str) -> dict | None:
    """Completion of one metric's targets across districts."""
    rows = [p for p in rows if p.target.metric_id == metric_id and p.share is not None]
    if len(rows) < 2:
        return None
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 24, "containLabel": True},
        "xAxis": {"type": "category", "data": [p.target.region for p in rows],
                  "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
        "series": [{"name": "完成率", "type": "bar",
                    "data": [_bar(p) for p in rows],
                    "markLine": {"symbol": "none", "data": [{"yAxis": 100}], "label": {"formatter": "目标"}}}],
        "__click": {p.target.region: f"/targets/{p.target.id}/rows" for p in rows},
    }


def _has_ledger_data(engine, code: str | None) -> bool:
    """Whether any ledger holds a record of the region: looked up in the database (nothing decoded),
    else in the frames the progress figures read (as they read them)."""
    import polars as pl

    from ..ledgers.kinds import all_kinds
    from ..ledgers.store import has_records
    from .metrics import dashboard_kinds, metric_source
    from ..regions import scope_of

    codes = scope_of(code)
    with engine.connect() as conn:
        if has_records(conn, codes, all_kinds()):
            return True
    source = metric_source(engine)
    for kind in dashboard_kinds():
        frame = source(kind)
        if codes is not None and "region_code" in frame.columns:
            frame = frame.filter(pl.col("region_code").is_in(sorted(codes)))
        if frame.height:
            return True
    return False


def overview_context(session, user) -> dict:
    """Context of templates/targets/overview_panel.html for the user's region (this year)."""
    today = dt.date.today()
    from .assessment import default_system

    code = user.region_code or default_system()  # unscoped users: the installed assessment city, if one
    engine = session.get_bind()
    rows = progress_report(session, engine, region_code=code, year=today.year, today=today)
    own = [p for p in rows if p.target.region_code == code and p.target.binding_status == "bound"]
    below = [p for p in rows if p.target.region_code != code and p.target.binding_status == "bound"]
    counts = Counter(p.status for p in rows if p.status)
    metric = own[0].target.metric_id if own else (below[0].target.metric_id if below else None)
    ranking = None
    city = default_system(code)  # a district sees its place in its city's ranking
    try:
        from .assessment import cached_assessment

        if city:
            ranking = cached_assessment(session, city, today).table.to_dicts()
    except Exception:  # no indicator system for this region, or ledgers not loaded
        ranking = None
    return {
        "empty": not rows and not _has_ledger_data(engine, code),
        "region_code": code, "year": today.year, "as_of": today, "rows": own,
        "counts": [(s, counts.get(s, 0)) for s in STATUS_COLORS], "unbound": sum(
            1 for p in rows if p.target.binding_status == "unbound"),
        "chart": progress_chart(own) if own else None,
        "district_chart": district_chart(below, metric) if metric else None,
        "district_metric": metric, "ranking": ranking, "assessment_city": city,
    }
