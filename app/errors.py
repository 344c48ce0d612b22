"""Errors the service answers with: one body shape (ErrorResponse), bilingual messages, and the handlers
that turn exceptions into that body.

Every error body has `error` (a machine-readable code), `message` (Korean / English), `detail` (validation
errors in FastAPI's form), `suggestions` (close law titles) and the request id. Unknown law names in a filter
are 422 `unknown_law`; an unknown law in the article route is 404 with suggestions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.examples import ERROR_RESPONSE, examples
from app.api.fields import failed_check
from app.generation.prompt import PromptBudgetError
from app.logging_config import request_id_var
from app.schemas import SCHEMA_VERSION
from app.settings import Settings

log = logging.getLogger("legal_rag.service")
T = TypeVar("T")


class ErrorResponse(BaseModel):
    model_config = ConfigDict(**examples(ERROR_RESPONSE))  # type: ignore[typeddict-item]

    schema_version: int = SCHEMA_VERSION
    error: str = Field(description="machine-readable code, e.g. validation_error, unknown_law, not_ready, "
                                   "overloaded, timeout, not_found")
    message: str = Field(description="Korean / English")
    detail: list[dict[str, Any]] = Field(default_factory=list, description="validation errors (FastAPI form)")
    suggestions: list[str] = Field(default_factory=list, description="close law titles or article numbers")
    law: str | None = None
    request_id: str | None = None


class ApiError(Exception):
    """Raised anywhere below a route; answered as ErrorResponse with `status` and `headers`."""

    def __init__(self, status: int, error: str, message: str, *, suggestions: list[str] | None = None,
                 law: str | None = None, headers: dict[str, str] | None = None,
                 detail: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorResponse(error=error, message=message, suggestions=suggestions or [], law=law,
                                  detail=detail or [])
        self.headers = headers or {}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the error statuses a route can answer."""
    text = {
        404: "not found (message and suggestions) / 찾을 수 없음",
        409: "reload failed; the previous index keeps serving / 다시 불러오기 실패",
        401: "admin token missing or wrong / 관리 토큰 오류",
        403: "admin routes are off (no LEGAL_RAG_ADMIN_TOKEN configured) / 관리 API 꺼짐",
        422: "invalid request, or unknown law in a filter (error=unknown_law, with suggestions) / 잘못된 요청",
        503: "index not ready, or generation queue full (Retry-After) / 준비 중 또는 과부하",
        504: "request timed out / 시간 초과",
    }
    return {c: {"model": ErrorResponse, "description": text[c]} for c in codes}


# ---------------------------------------------------------------------------------------------- constructors


def not_ready_error(reason: object, retry_after: int, what: str = "색인이 준비되지 않았습니다 / index not ready"
                    ) -> ApiError:
    return ApiError(503, "not_ready", f"{what}: {reason}", headers={"Retry-After": str(retry_after)})


def overloaded_error(retry_after: int) -> ApiError:
    return ApiError(503, "overloaded",
                    "답변 요청이 많아 지금은 처리할 수 없습니다. 잠시 후 다시 시도하십시오 / "
                    "too many answers in progress; retry later",
                    headers={"Retry-After": str(retry_after)})


def unknown_law_error(exc: Any, status: int = 422) -> ApiError:
    sugg = list(exc.suggestions)
    hint = f" 비슷한 법령: {', '.join(sugg)} / did you mean: {', '.join(sugg)}" if sugg else ""
    return ApiError(status, "unknown_law",
                    f"색인에 없는 법령입니다: {exc.law} / unknown law: {exc.law}.{hint}",
                    suggestions=sugg, law=exc.law)


def call_engine(fn: Callable[[], T]) -> T:
    """Engine errors that are the caller's: unknown law filter (422), prompt too long for the model (422)."""
    try:
        return fn()
    except PromptBudgetError as exc:
        raise ApiError(422, "question_too_long_for_model", str(exc)) from None
    except OverflowError:
        # An article number beyond SQLite's integers (제99999999999999999999조) reaches the store from the
        # citation resolver; it cannot exist, so it is the request that is wrong.
        raise ApiError(422, "validation_error", "조문 번호가 너무 큽니다 / article number out of range",
                       detail=[{"loc": ["question"], "msg": "article number out of range",
                                "type": "value_error"}]) from None
    except LookupError as exc:
        if hasattr(exc, "suggestions"):
            raise unknown_law_error(exc) from None
        raise


def stream_error(exc: BaseException, rid: str) -> ErrorResponse:
    """The body of an SSE `error` event for an exception raised while streaming."""
    if isinstance(exc, ApiError):
        body = exc.body
    elif isinstance(exc, PromptBudgetError):
        body = ErrorResponse(error="question_too_long_for_model", message=str(exc))
    elif isinstance(exc, LookupError) and hasattr(exc, "suggestions"):
        body = unknown_law_error(exc).body
    else:
        log.error("stream failed", exc_info=exc)
        body = ErrorResponse(error="internal_error", message="답변 생성 중 오류가 발생했습니다 / generation failed")
    body.request_id = rid
    return body


# ---------------------------------------------------------------------------------------------- validation text


def validation_message(errors: Sequence[Mapping[str, Any]], settings: Settings) -> str:
    """One bilingual sentence per distinct problem in pydantic's validation errors (FastAPI's, with their
    body/query/path loc, or a model's own): a failed request check (app.api.fields) carries its sentence,
    pydantic's constraint errors are worded here."""
    parts = []
    for e in errors:
        check = failed_check(e)
        if check is not None:
            parts.append(check[1])
            continue
        loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path")]
        name = loc[-1] if loc else ""
        kind = str(e.get("type", ""))
        if name == "question" and kind in {"string_too_short", "missing"}:
            parts.append("질문을 입력하십시오 / the question must not be empty")
        elif name in ("question", "q") and kind == "string_too_long":
            n = settings.max_question_chars
            parts.append(f"질문이 너무 깁니다 (최대 {n}자) / the question is too long (at most {n} characters)")
        elif name == "q" and kind in {"string_too_short", "missing"}:
            parts.append("검색어를 입력하십시오 / the query must not be empty")
        elif name == "top_k":
            parts.append(f"top_k는 1에서 {settings.max_top_k} 사이의 정수여야 합니다 / top_k must be an integer "
                         f"1..{settings.max_top_k}")
        elif name == "as_of":
            parts.append("기준일(as_of)은 YYYY-MM-DD 형식이어야 합니다 / as_of must be YYYY-MM-DD")
        else:
            parts.append(f"잘못된 값: {'.'.join(loc) or '요청'} / invalid {'.'.join(loc) or 'request'}: "
                         f"{e.get('msg', '')}")
    return "; ".join(dict.fromkeys(parts)) or "잘못된 요청입니다 / invalid request"


def jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    """The `detail` of a validation error body: loc, msg and type of each error. A failed request check names
    its field alone, as these checks always have."""
    out = []
    for e in errors:
        check = failed_check(e)
        loc = [check[0]] if check is not None else e.get("loc", ())
        item = {"loc": [x if isinstance(x, int | str) else str(x) for x in loc],
                "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        out.append(item)
    return out


# ---------------------------------------------------------------------------------------------- handlers


def install_error_handlers(app: FastAPI, settings: Settings) -> None:
    """Every error, ours or the framework's, leaves as an ErrorResponse carrying the request id."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        exc.body.request_id = request_id_var.get()
        return JSONResponse(exc.body.model_dump(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        body = ErrorResponse(error="validation_error", message=validation_message(errors, settings),
                             detail=jsonable_errors(errors), request_id=request_id_var.get())
        return JSONResponse(body.model_dump(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            # FastAPI answers 400 for a body it cannot decode (not UTF-8); every other malformed request is
            # 422, so this one is too: one status for "the request is wrong" keeps clients simple.
            body = ErrorResponse(error="validation_error", request_id=request_id_var.get(),
                                 message="요청 본문을 읽을 수 없습니다 (UTF-8 JSON이어야 합니다) / "
                                         "the request body is not valid UTF-8 JSON",
                                 detail=[{"loc": ["body"], "msg": str(exc.detail), "type": "body_decode_error"}])
            return JSONResponse(body.model_dump(), status_code=422)
        codes = {404: "not_found", 405: "method_not_allowed"}
        msg = {404: "찾을 수 없습니다 / not found", 405: "허용되지 않는 메서드입니다 / method not allowed"}
        body = ErrorResponse(error=codes.get(exc.status_code, "http_error"),
                             message=msg.get(exc.status_code, str(exc.detail)), request_id=request_id_var.get())
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        body = ErrorResponse(error="internal_error", message="내부 오류가 발생했습니다 / internal error",
                             request_id=request_id_var.get())
        return JSONResponse(body.model_dump(), status_code=500)
