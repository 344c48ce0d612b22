"""The web form's rendering: templates, CSRF tokens, the answer page's grouping, the /docs page.

The routes themselves (`GET /`, `POST /ask`) are in app.api.routes.answer. The form works without
JavaScript; with it, app.js streams from /api/ask/stream.

CSRF: signed double-submit token. GET / sets an HttpOnly, SameSite=Strict cookie holding `nonce.hmac` and puts
the same value in a hidden field; POST /ask accepts only when both are present, equal, and the HMAC (keyed
with settings.csrf_secret) is valid; otherwise 403 with a Korean message.
Templates autoescape everything; no inline script or style (the CSP forbids both).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.runtime import Service
from app.schemas import AskResponse, Citation, Hit

CSRF_COOKIE = "legal_rag_csrf"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 64 * 1024

_env = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
)
templates = Jinja2Templates(env=_env)

STATUS_LABELS = {
    "verified": ("검증됨", "검색된 근거 조문과 일치"),
    "not_in_context": ("검색 밖 인용", "코퍼스에 있으나 검색된 근거가 아님"),
    "not_found": ("확인 불가", "코퍼스에 없는 법령 또는 조문"),
    "resolved": ("질문 인용", "질문에 인용된 조문"),
}


def _safe_url(url: str | None) -> str | None:
    """Only law.go.kr links become hrefs (statute metadata is data, not trusted markup)."""
    if url and (url.startswith("https://www.law.go.kr/") or url.startswith("https://law.go.kr/")):
        return url
    return None


_env.filters["safe_url"] = _safe_url
_env.globals["status_labels"] = STATUS_LABELS


# ---------------------------------------------------------------------------------------------- CSRF


def _sign(secret: str, nonce: str) -> str:
    mac = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def issue_csrf(secret: str) -> str:
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_sign(secret, nonce)}"


def csrf_valid(secret: str, token: str | None) -> bool:
    if not token or token.count(".") != 1 or len(token) > 200:
        return False
    nonce, sig = token.split(".")
    return bool(nonce) and hmac.compare_digest(sig.encode(), _sign(secret, nonce).encode())


def form_csrf_ok(request: Request, sent: str, secret: str) -> bool:
    """The double-submit check of a form POST: cookie and field present, equal, and validly signed."""
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and sent and hmac.compare_digest(cookie.encode(), sent.encode())
                and csrf_valid(secret, sent))


def _csrf_for(request: Request, secret: str) -> str:
    existing = request.cookies.get(CSRF_COOKIE)
    return existing if existing is not None and csrf_valid(secret, existing) else issue_csrf(secret)


def _set_csrf_cookie(response: HTMLResponse, request: Request, token: str, secure: bool | None) -> None:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https" if secure is None else secure)


# ---------------------------------------------------------------------------------------------- views


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _law_titles(service: Service) -> list[str]:
    try:
        with service.holder.lease() as loaded:
            return sorted({r["law"] for r in loaded.engine.laws()})
    except Exception:  # not ready yet: the form still renders, without the list
        return []


def page(request: Request, name: str, ctx: dict[str, Any], status: int = 200,
         headers: dict[str, str] | None = None) -> HTMLResponse:
    """A template with the form's context (CSRF token, law list, readiness) and a fresh CSRF cookie."""
    service = _service(request)
    token = _csrf_for(request, service.settings.csrf_secret)
    base = {
        "csrf_field": CSRF_FIELD, "csrf_token": token, "laws": _law_titles(service),
        "max_chars": service.settings.max_question_chars, "ready": service.holder.current is not None,
        "not_ready_reason": service.holder.reason, "form": {"question": "", "law": "", "as_of": ""},
        "error": None, "suggestions": [],
    }
    base.update(ctx)
    response = templates.TemplateResponse(request, name, base, status_code=status, headers=headers)
    _set_csrf_cookie(response, request, token, service.settings.cookie_secure)
    return response


def result_view(resp: AskResponse) -> dict[str, Any]:
    """Group an answer for display: articles cited (with their text), unverifiable citations, other hits."""
    cited: list[tuple[Citation, Hit]] = []
    seen: set[str] = set()
    for c in resp.citations:
        if c.status != "not_found" and c.hit is not None and c.hit.doc_id not in seen:
            seen.add(c.hit.doc_id)
            cited.append((c, c.hit))
    unverified = [c for c in resp.citations if c.status == "not_found"]
    others = [h for h in resp.hits if h.doc_id not in seen]
    pending = [h for h in list(resp.hits) + [h for _, h in cited] if h.pending]
    notes: dict[str, str] = {}
    for h in pending:
        notes.setdefault(h.law, h.note or f"시행 예정 {h.effective or ''}")
    return {"cited": cited, "unverified": unverified, "others": others, "pending_notes": notes,
            "extractive": resp.generator.startswith("extractive")}


def render_api_docs(request: Request, openapi: dict[str, Any]) -> HTMLResponse:
    """/docs without the Swagger UI (which needs a CDN and inline script): operations, parameters, responses."""
    ops = []
    for path, methods in openapi.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {})
            body_ref = next((c.get("schema", {}).get("$ref", "") for c in body.values()), "")
            ops.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "params": op.get("parameters", []),
                "body": body_ref.rsplit("/", 1)[-1] if body_ref else "",
                "responses": [(code, r.get("description", "")) for code, r in op.get("responses", {}).items()],
            })
    schemas = openapi.get("components", {}).get("schemas", {})
    return templates.TemplateResponse(request, "api_docs.html", {"info": openapi.get("info", {}), "ops": ops,
                                                                  "schemas": schemas})
