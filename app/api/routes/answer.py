"""Answers: POST /api/ask (JSON), POST /api/ask/stream (server-sent events), and the web form (GET /, POST
/ask, rendered by app.web)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import ValidationError

from app.api.deps import EngineDep, EngineLease, ServiceDep
from app.errors import (
    ApiError,
    ErrorResponse,
    call_engine,
    error_responses,
    stream_error,
    unknown_law_error,
    validation_message,
)
from app.index_holder import Loaded
from app.logging_config import request_id_var
from app.schemas import AskForm, AskRequest, AskResponse
from app.web import CSRF_FIELD, MAX_FORM_BYTES, form_csrf_ok, page, result_view
from legal_rag.versions import today_kst

router = APIRouter(tags=["answer"])
SSE_EXAMPLE = ("event: token\ndata: [발췌 답변] 검색된 조문에서 발췌한 내용입니다. 생성 모델의 답변이 아닙니다.\n\n"
               "event: token\ndata: 근거 조문:\n\n"
               "event: done\ndata: {\"schema_version\": 1, \"question\": \"「민법」 제54조\", \"found\": true, …}\n\n")
T = TypeVar("T")


def sse_event(event: str, data: str) -> str:
    """One server-sent event; every line of `data` gets its own `data:` field (the client joins with \\n)."""
    data = data.replace("\r\n", "\n").replace("\r", "\n")
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"


async def _stop_on_disconnect(request: Request, cancel: threading.Event, every_s: float = 0.5) -> None:
    """Set `cancel` when the client goes away (a non-streaming request is not cancelled by the server)."""
    while not cancel.is_set():
        if await request.is_disconnected():
            cancel.set()
            return
        await asyncio.sleep(every_s)


async def answer_with_stop(request: Request, engine: EngineLease, job: Callable[[Loaded, threading.Event], T]) -> T:
    """Run an answer job whose generation stops when the request times out or its client disconnects."""
    cancel = threading.Event()
    watcher = asyncio.create_task(_stop_on_disconnect(request, cancel))
    try:
        return await engine.run(lambda loaded: job(loaded, cancel), generation=True, cancel=cancel)
    finally:
        watcher.cancel()


@router.post("/api/ask", response_model=AskResponse, responses=error_responses(422, 503, 504),
             summary="answer a question with checked citations / 질문에 답변")
async def ask(req: AskRequest, request: Request, engine: EngineDep) -> AskResponse:
    answerer = engine.answerer()

    def job(loaded: Loaded, cancel: threading.Event) -> AskResponse:
        return call_engine(lambda: answerer.ask(loaded.engine, req.question, req.top_k, req.as_of, req.laws,
                                                cancel=cancel))

    return await answer_with_stop(request, engine, job)


@router.post("/api/ask/stream", responses={
    200: {"description": "server-sent events: `token` (answer text pieces), then `done` (AskResponse JSON) "
                         "or `error` (ErrorResponse JSON)",
          "content": {"text/event-stream": {"schema": {
              "type": "object", "required": ["event", "data"],
              "properties": {"event": {"type": "string", "enum": ["token", "done", "error"]},
                             "data": {"type": "string"}}},
              "example": SSE_EXAMPLE}}},
    **error_responses(422, 503)}, summary="answer as server-sent events / 스트리밍 답변",
    response_class=StreamingResponse)
async def ask_stream(req: AskRequest, service: ServiceDep, engine: EngineDep) -> StreamingResponse:
    settings = service.settings
    answerer = engine.answerer()
    loaded = engine.acquire()
    try:
        loaded.engine.resolve_law_filter(req.laws)  # unknown law -> 422 before the stream starts
    except LookupError as exc:
        engine.release(loaded)
        raise unknown_law_error(exc) from None
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cancel = threading.Event()

    def put(kind: str, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
        except RuntimeError:
            cancel.set()  # the loop is gone (shutdown): stop generating

    def job(_loaded: Loaded) -> None:
        try:
            for item in answerer.stream(_loaded.engine, req.question, req.top_k, req.as_of, req.laws, cancel=cancel):
                if isinstance(item, AskResponse):
                    put("done", item)
                else:
                    put("token", item)
        except BaseException as exc:  # reported to the client as an `error` event
            put("error", exc)
        finally:
            put("end", None)

    fut = service.submit_generation(job, loaded)  # 503 overloaded releases the lease
    fut.add_done_callback(lambda _f: engine.release(loaded))
    rid = request_id_var.get()

    async def events() -> AsyncIterator[str]:
        deadline = loop.time() + settings.request_timeout_s
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    service.metrics.count_timeout()
                    err = ErrorResponse(error="timeout", message="요청 시간을 넘었습니다 / request timed out",
                                        request_id=rid)
                    yield sse_event("error", err.model_dump_json())
                    return
                try:
                    kind, value = await asyncio.wait_for(queue.get(), min(remaining, 15.0))
                except TimeoutError:
                    yield ": keep-alive\n\n"  # a comment line keeps proxies from closing an idle stream
                    continue
                if kind == "token":
                    yield sse_event("token", value)
                elif kind == "done":
                    yield sse_event("done", value.model_dump_json())
                elif kind == "error":
                    yield sse_event("error", stream_error(value, rid).model_dump_json())
                elif kind == "end":
                    return
        finally:
            cancel.set()
            fut.cancel()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# ---------------------------------------------------------------------------------------------- web form


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    return page(request, "index.html", {})


def _form_value(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/ask", response_class=HTMLResponse, include_in_schema=False)
async def ask_form(request: Request, service: ServiceDep, engine: EngineDep) -> HTMLResponse:
    settings = service.settings
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_FORM_BYTES:
        return page(request, "error.html", {"title": "요청이 너무 큽니다",
                                            "error": "요청이 너무 큽니다 / request too large"}, status=413)
    try:
        form = await request.form(max_files=0, max_fields=20)
    except Exception:
        return page(request, "error.html", {"title": "잘못된 요청", "error": "양식을 읽을 수 없습니다 / bad form"},
                    status=400)
    values = {k: _form_value(form, k) for k in ("question", "law", "as_of")}
    if not form_csrf_ok(request, _form_value(form, CSRF_FIELD), settings.csrf_secret):
        return page(request, "error.html", {
            "title": "보안 확인 실패",
            "error": "보안 토큰이 없거나 올바르지 않아 요청을 거부했습니다. 질문 페이지를 새로 고친 뒤 다시 "
                     "제출하십시오. / CSRF token missing or invalid.",
        }, status=403)

    def again(status: int, message: str, suggestions: Sequence[str] = (),
              headers: dict[str, str] | None = None) -> HTMLResponse:
        return page(request, "index.html", {"form": values, "error": message, "suggestions": list(suggestions)},
                    status=status, headers=headers)

    try:
        req = AskForm.model_validate({"question": values["question"], "as_of": values["as_of"],
                                      "laws": [values["law"]]}, context={"settings": settings})
    except ValidationError as exc:  # the page shows the message the JSON routes give
        return again(422, validation_message(exc.errors(), settings))
    try:
        answerer = service.get_answerer()
    except Exception as exc:  # answerer not ready
        return again(503, f"준비 중입니다. 잠시 후 다시 시도하십시오 / not ready: {exc}",
                     headers={"Retry-After": str(settings.retry_after_s)})

    def job(loaded: Loaded, cancel: threading.Event) -> AskResponse:
        return call_engine(lambda: answerer.ask(loaded.engine, req.question, settings.default_top_k, req.as_of,
                                                req.laws, cancel=cancel))

    try:
        resp = await answer_with_stop(request, engine, job)
    except ApiError as exc:
        return again(exc.status, exc.body.message, exc.body.suggestions, exc.headers)
    return page(request, "result.html", {"form": values, "resp": resp, "as_of": req.as_of.isoformat(),
                                         "today": today_kst().isoformat(), **result_view(resp)})
