"""Errors in Chinese and the protective layer around every request: a cap on request bodies
(413 naming the limit, before the body is read) and security headers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException

from ..limits import MB, Limits

STATUS_TEXT = {
    400: "请求有误", 401: "未登录或登录已过期", 403: "无权访问", 404: "页面或数据不存在",
    405: "不支持该请求方法", 406: "无法提供所要求的格式", 409: "数据冲突,请刷新后重试",
    413: "请求内容过大", 415: "不支持的内容类型", 422: "请求参数有误", 429: "请求过于频繁,请稍后再试",
    500: "服务器内部错误", 503: "服务暂时不可用",
}


def chinese_detail(status: int, detail: Any) -> Any:
    """Starlette's English defaults ("Not Found", "Method Not Allowed") in Chinese."""
    if isinstance(detail, str) and detail.isascii():
        return STATUS_TEXT.get(status, f"请求失败({status})")
    if isinstance(detail, str) and len(detail) > 1000:  # never echo a large input back
        return detail[:1000] + "…"
    return detail


REASONS = {
    "missing": "缺少必填项", "int_parsing": "应为整数", "int_type": "应为整数", "float_parsing": "应为数字",
    "float_type": "应为数字", "decimal_parsing": "应为数字", "bool_parsing": "应为是/否(true/false)",
    "date_parsing": "应为日期 YYYY-MM-DD", "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_type": "应为日期 YYYY-MM-DD", "datetime_parsing": "应为日期时间", "string_type": "应为文字",
    "string_too_long": "过长", "string_too_short": "过短", "too_long": "条目过多", "too_short": "条目过少",
    "list_type": "应为列表", "dict_type": "应为对象", "model_attributes_type": "应为 JSON 对象",
    "json_invalid": "不是有效的 JSON", "json_type": "不是有效的 JSON", "greater_than_equal": "过小",
    "greater_than": "过小", "less_than_equal": "过大", "less_than": "过大", "enum": "不是允许的取值",
    "literal_error": "不是允许的取值", "int_from_float": "应为整数", "value_error": "取值无效",
    "extra_forbidden": "不是可用的字段", "uuid_parsing": "格式不正确", "finite_number": "应为有限数字",
}


def _short(value: Any) -> str | None:
    """The offending value as short text; large inputs are never echoed back."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:80] + f"…(共 {len(text):,} 个字符)"


def validation_problems(errors: list[dict]) -> list[dict]:
    out = []
    for err in errors[:20]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form"))
        reason = REASONS.get(err.get("type", ""), "格式不正确")
        ctx = err.get("ctx") or {}
        for key, label in (("max_length", "最多"), ("min_length", "至少"), ("le", "最大"), ("ge", "最小"),
                           ("lt", "小于"), ("gt", "大于")):
            if key in ctx:
                reason += f"({label} {ctx[key]})"
        out.append({"field": loc, "value": _short(err.get("input")), "reason": reason})
    if len(errors) > 20:
        out.append({"field": "", "value": None, "reason": f"另有 {len(errors) - 20} 处错误未列出"})
    return out


async def _send_json(send, status: int, body: dict) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(data)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})


class BodyLimit:
    """Refuses request bodies over the limits before reading them (by Content-Length) and while
    they stream (chunked bodies): multipart uploads up to the largest file limit, other bodies
    (JSON) up to ``json_body_mb``."""

    def __init__(self, app, limits: Limits):
        self.app = app
        self.limits = limits

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").decode("latin-1").lower()
        if ctype.startswith("multipart/form-data"):
            cap_mb = max(self.limits.ledger_upload_mb, self.limits.document_upload_mb) + 1
            what = "上传的文件"
        else:
            cap_mb = self.limits.json_body_mb
            what = "请求内容"
        cap = cap_mb * MB
        message = f"{what}过大,超过上限 {cap_mb} MB"
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > cap
            except ValueError:
                return await _send_json(send, 400, {"detail": "请求头 Content-Length 无效"})
            if too_big:
                return await _send_json(send, 413, {"detail": message})
        seen = 0

        async def counting_receive():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > cap:
                    raise HTTPException(status_code=413, detail=message)
            return msg

        return await self.app(scope, counting_receive, send)


# the only inline script on the pages: the print buttons' onclick="window.print()"
_PRINT_HASH = "'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='"
CSP = ("default-src 'self'; "
       f"script-src 'self' 'unsafe-hashes' {_PRINT_HASH}; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# the API documentation page loads Swagger UI from its CDN
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
            "object-src 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """CSP (no framing, scripts only from this site), X-Frame-Options, nosniff, referrer policy."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = DOCS_CSP if scope["path"].startswith("/api/docs") else CSP

        async def with_headers(msg):
            if msg["type"] == "http.response.start":
                hdrs = [(k, v) for k, v in msg.get("headers", []) if k.lower() not in _OURS]
                hdrs += [(b"content-security-policy", csp.encode()), (b"x-frame-options", b"DENY"),
                         (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"same-origin")]
                msg = {**msg, "headers": hdrs}
            await send(msg)

        return await self.app(scope, receive, with_headers)


_OURS = {b"content-security-policy", b"x-frame-options", b"x-content-type-options", b"referrer-policy"}
