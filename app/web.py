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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from app.answering import did_you_mean
from app.generation.prompt import split_note
from app.runtime import Service
from app.schemas import AskResponse, Citation, Hit
from legal_rag.statute_markup import linkify_statute_text

CSRF_COOKIE = "legal_rag_csrf"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 64 * 1024

_env = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
)
templates = Jinja2Templates(env=_env)

# "Exists in the corpus" is not "supports this answer": a citation the answer makes to an article it was given
# as context is 근거 조문; one that exists but was not among them is only 존재 확인.
STATUS_LABELS = {
    "verified": ("근거 조문", "답변의 근거로 검색되어 제시된 조문"),
    "not_in_context": ("존재 확인", "코퍼스에 있는 조문이지만 이 답변의 근거로 검색된 조문은 아님"),
    "not_found": ("확인 불가", "코퍼스에 없는 법령 또는 조문"),
    "resolved": ("질문 인용", "질문에 인용된 조문"),
}
ROLE_LABELS = {
    "governing": ("근거 조문", "질문에 답하는 조문: 답하는 문장을 표시했습니다"),
    "related": ("관련 조문", "함께 볼 조문: 포함한 이유를 적었습니다"),
}


def _safe_url(url: str | None) -> str | None:
    """Only law.go.kr links become hrefs (statute metadata is data, not trusted markup)."""
    if url and (url.startswith("https://www.law.go.kr/") or url.startswith("https://law.go.kr/")):
        return url
    return None


def _linked(text: str, law: str) -> Markup:
    out = []
    for part in linkify_statute_text(text, law):
        url = _safe_url(part.url)
        if url:
            out.append(Markup('<a class="{}" href="{}" rel="noopener noreferrer" target="_blank">{}</a>').format(
                f"statute-link link-{part.kind}", url, part.text))
        else:
            out.append(escape(part.text))
    return Markup("").join(out)


def _statute_html(text: str, law: str = "", marks: Sequence[Any] = ()) -> Markup:
    """Statute text with its image placeholders, `「법」 제N조` and `별표 N` references as law.go.kr links, and the
    sentences that answer the question (`marks`: objects with start/end offsets) in <mark>; every piece of text
    escaped, only the links and marks built here are markup."""
    spans = sorted((m.start, m.end) for m in marks if m.start is not None and m.end is not None)
    out = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(_linked(text[pos:start], law))
        out.append(Markup('<mark class="answering">{}</mark>').format(_linked(text[start:end], law)))
        pos = end
    out.append(_linked(text[pos:], law))
    return Markup("").join(out)


_env.filters["safe_url"] = _safe_url
_env.filters["statute_html"] = _statute_html
_env.filters["article_note"] = lambda note: split_note(note or "")[1]  # the version's note is shown once, above
_env.globals["status_labels"] = STATUS_LABELS
_env.globals["role_labels"] = ROLE_LABELS


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
    """Group an answer for display: the articles it rests on (governing, then related, each with why; then
    other articles a generated answer cited), unverifiable citations, and the other hits one click away."""
    governing = [b for b in resp.basis if b.role == "governing"]
    related = [b for b in resp.basis if b.role == "related"]
    seen = {b.hit.doc_id for b in resp.basis}
    cited: list[tuple[Citation, Hit]] = []
    for c in resp.citations:
        if c.status != "not_found" and c.hit is not None and c.hit.doc_id not in seen:
            seen.add(c.hit.doc_id)
            cited.append((c, c.hit))
    unverified = [(c, did_you_mean(c)) for c in resp.citations if c.status == "not_found"]
    others = [h for h in resp.hits if h.doc_id not in seen]
    return {"governing": governing, "related": related, "cited": cited, "unverified": unverified,
            "others": others, "extractive": resp.generator.startswith("extractive")}


def _schema_example(ref_holder: dict[str, Any], schemas: dict[str, Any]) -> str:
    """The first example of the schema a request body or response refers to, as indented JSON ('' if none)."""
    import json

    if not isinstance(ref_holder, dict):
        return ""
    if isinstance(ref_holder.get("example"), str):
        return str(ref_holder["example"])  # a text example (server-sent events)
    schema = ref_holder.get("schema", {})
    ref = schema.get("$ref", "")
    target = schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    found = target.get("examples") or []
    return json.dumps(found[0], ensure_ascii=False, indent=2) if found else ""


def render_api_docs(request: Request, openapi: dict[str, Any]) -> HTMLResponse:
    """/docs without the Swagger UI (which needs a CDN and inline script): operations, parameters, request and
    response examples (from the models' own examples, app.api.examples)."""
    schemas = openapi.get("components", {}).get("schemas", {})
    ops = []
    for path, methods in openapi.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {})
            body_ref = next((c.get("schema", {}).get("$ref", "") for c in body.values()), "")
            responses = []
            for code, r in op.get("responses", {}).items():
                content = r.get("content", {})
                media = "application/json" if "application/json" in content else next(iter(content), "")
                example = _schema_example(content.get(media, {}), schemas) if media else ""
                responses.append({"code": code, "description": r.get("description", ""), "example": example})
            ops.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "params": op.get("parameters", []),
                "body": body_ref.rsplit("/", 1)[-1] if body_ref else "",
                "body_example": next((_schema_example(c, schemas) for c in body.values()), ""),
                "responses": responses,
            })
    return templates.TemplateResponse(request, "api_docs.html", {"info": openapi.get("info", {}), "ops": ops,
                                                                  "schemas": schemas})
