"""Request id, security headers, access log and request metrics for every response, and the serving app's
settings for the request validators (pure ASGI, so streaming responses pass through untouched)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.fields import request_limits
from app.logging_config import request_id_var
from app.metrics import Metrics
from app.settings import Settings

access_log = logging.getLogger("legal_rag.access")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
     b"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)


class ServiceMiddleware:
    """Request id, security headers, access log and request metrics for every response; `settings` are made
    the request's (app.api.fields.request_limits) so that request models validate with this app's limits."""

    def __init__(self, app: ASGIApp, metrics: Metrics, settings: Settings) -> None:
        self.app = app
        self.metrics = metrics
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _REQUEST_ID_RE.fullmatch(incoming or "") else uuid.uuid4().hex
        token = request_id_var.set(rid)
        limits_token = request_limits.set(self.settings)
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status_holder = {"status": 500}
        path = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                present = {k.lower() for k, _ in headers}
                headers.append((b"x-request-id", rid.encode("latin-1")))
                for k, v in SECURITY_HEADERS:
                    if k not in present:
                        headers.append((k, v))
                if b"cache-control" not in present and not path.startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - start
            route = scope.get("route")
            # Route templates, never raw paths: the number of metric series stays bounded.
            label = getattr(route, "path", None) or ("/static" if path.startswith("/static/") else "unmatched")
            status = status_holder["status"]
            self.metrics.observe_request(label, scope.get("method", ""), status, seconds)
            client = scope.get("client")
            access_log.info("request", extra={"request_id": rid, "fields": {
                "method": scope.get("method"), "path": path, "route": label, "status": status,
                "duration_ms": round(seconds * 1000, 2), "client": client[0] if client else None}})
            request_id_var.reset(token)
            request_limits.reset(limits_token)
