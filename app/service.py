"""The HTTP service: JSON API, server-sent-event streaming, health/readiness, metrics, admin reload, web form.

`create_app(settings, engine_loader)` builds the FastAPI app. The index loads in a background thread at
startup, so the process answers /healthz at once and /readyz turns 200 only when the index is verified and
loaded; a missing, truncated or tampered index leaves the process up with /readyz 503 and the reason.

Error bodies share one shape (ErrorResponse): `error` code, bilingual `message`, `detail` (validation errors in
FastAPI's form), `suggestions`. Unknown law names in a filter (`laws` / `law`) are answered **422** with
`error: "unknown_law"` and `suggestions`; an unknown law in the article route is 404 with suggestions.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from fastapi import FastAPI, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.answering import Answerer
from app.limits import GenerationLimiter, OverloadedError
from app.metrics import Metrics
from app.schemas import SCHEMA_VERSION, AskRequest, AskResponse, Hit, SearchResponse
from app.settings import Settings

log = logging.getLogger("legal_rag.service")
access_log = logging.getLogger("legal_rag.access")

APP_DIR = Path(__file__).resolve().parent
T = TypeVar("T")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

INGEST_HINT = "run `legal-rag ingest` to build it / `legal-rag ingest`로 색인을 만드십시오"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_LAW_FILTERS = 20
MAX_LAW_NAME = 100
MAX_ARTICLE_MAIN = 100_000  # no statute has more; larger numbers would overflow SQLite integers

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


# ---------------------------------------------------------------------------------------------- response models


class ErrorResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    error: str = Field(description="machine-readable code, e.g. validation_error, unknown_law, not_ready, "
                                   "overloaded, timeout, not_found")
    message: str = Field(description="Korean / English")
    detail: list[dict[str, Any]] = Field(default_factory=list, description="validation errors (FastAPI form)")
    suggestions: list[str] = Field(default_factory=list, description="close law titles or article numbers")
    law: str | None = None
    request_id: str | None = None


class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    status: Literal["ready", "loading", "failed"]
    reason: str | None = None
    index: dict[str, Any] | None = None
    generator: str | None = None
    generator_error: str | None = None


class LawInfo(BaseModel):
    law: str
    law_id: str
    kind: str
    effective: str | None
    pending: bool
    status: str
    url: str


class LawsResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    as_of: str
    laws: list[LawInfo]


class ArticleResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    as_of: str
    article: Hit


class ReloadResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    status: Literal["reloaded", "failed"]
    build_id: str | None = Field(description="the build now serving")
    previous_build_id: str | None = None
    reason: str | None = None


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        404: "not found (message and suggestions) / 찾을 수 없음",
        409: "reload failed; the previous index keeps serving / 다시 불러오기 실패",
        401: "admin token missing or wrong / 관리 토큰 오류",
        403: "admin route from a non-loopback client without a token / 관리 요청 거부",
        422: "invalid request, or unknown law in a filter (error=unknown_law, with suggestions) / 잘못된 요청",
        503: "index not ready, or generation queue full (Retry-After) / 준비 중 또는 과부하",
        504: "request timed out / 시간 초과",
    }
    return {c: {"model": ErrorResponse, "description": text[c]} for c in codes}


# ---------------------------------------------------------------------------------------------- errors


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, *, suggestions: list[str] | None = None,
                 law: str | None = None, headers: dict[str, str] | None = None,
                 detail: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorResponse(error=error, message=message, suggestions=suggestions or [], law=law,
                                  detail=detail or [])
        self.headers = headers or {}


def parse_as_of(value: str | None) -> date:
    if value is None or value == "":
        return date.today()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "validation_error",
                       f"기준일(as_of)은 YYYY-MM-DD 형식의 실제 날짜여야 합니다: {value!r} / "
                       f"as_of must be a real date YYYY-MM-DD", detail=[{"loc": ["as_of"], "msg": "invalid date",
                                                                        "type": "value_error"}]) from None


def check_question(question: str, settings: Settings, field_name: str = "question") -> str:
    q = question.strip()
    if not q:
        raise ApiError(422, "validation_error", "질문을 입력하십시오 / the question must not be empty",
                       detail=[{"loc": [field_name], "msg": "empty", "type": "value_error"}])
    if len(question) > settings.max_question_chars:
        n = settings.max_question_chars
        raise ApiError(422, "validation_error",
                       f"질문이 너무 깁니다 (최대 {n}자) / the question is too long (at most {n} characters)",
                       detail=[{"loc": [field_name], "msg": "too long", "type": "value_error"}])
    return q


def check_top_k(top_k: int, settings: Settings) -> int:
    if not 1 <= top_k <= settings.max_top_k:
        raise ApiError(422, "validation_error",
                       f"top_k는 1에서 {settings.max_top_k} 사이여야 합니다 / top_k must be 1..{settings.max_top_k}",
                       detail=[{"loc": ["top_k"], "msg": "out of range", "type": "value_error"}])
    return top_k


def check_laws(laws: list[str]) -> list[str]:
    laws = [x for x in laws if x.strip()]
    if len(laws) > MAX_LAW_FILTERS or any(len(x) > MAX_LAW_NAME for x in laws):
        raise ApiError(422, "validation_error",
                       f"법령 필터는 {MAX_LAW_FILTERS}개, 각 {MAX_LAW_NAME}자까지입니다 / "
                       f"at most {MAX_LAW_FILTERS} law filters of {MAX_LAW_NAME} characters",
                       detail=[{"loc": ["laws"], "msg": "too many or too long", "type": "value_error"}])
    return laws


def unknown_law_error(exc: Any, status: int = 422) -> ApiError:
    sugg = list(exc.suggestions)
    hint = f" 비슷한 법령: {', '.join(sugg)} / did you mean: {', '.join(sugg)}" if sugg else ""
    return ApiError(status, "unknown_law",
                    f"색인에 없는 법령입니다: {exc.law} / unknown law: {exc.law}.{hint}",
                    suggestions=sugg, law=exc.law)


def _validation_message(errors: list[dict[str, Any]], settings: Settings) -> str:
    parts = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path")]
        name = loc[-1] if loc else ""
        kind = str(e.get("type", ""))
        if name == "question" and kind in {"string_too_short", "missing"}:
            parts.append("질문을 입력하십시오 / the question must not be empty")
        elif name == "question" and kind == "string_too_long":
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


def _jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        item = {"loc": [x if isinstance(x, int | str) else str(x) for x in e.get("loc", ())],
                "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        out.append(item)
    return out


# ---------------------------------------------------------------------------------------------- logging


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            data.update(extra)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def _has_our_handler(lg: logging.Logger) -> bool:
    return any(getattr(h, "_legal_rag", False) for h in lg.handlers)


def configure_logging(settings: Settings, root: bool = False) -> None:
    """JSON lines on stderr. `root=True` (the `serve` command) formats every logger, uvicorn's included;
    otherwise only the service's own loggers, leaving an embedding application's logging alone."""
    if _has_our_handler(logging.getLogger()):
        return
    targets = [logging.getLogger()] if root else [logging.getLogger("legal_rag"), logging.getLogger("app")]
    for lg in targets:
        if _has_our_handler(lg):
            continue
        handler = logging.StreamHandler()
        handler._legal_rag = True  # type: ignore[attr-defined]
        handler.setFormatter(JsonFormatter() if settings.log_json else logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s"))
        lg.addHandler(handler)
        lg.setLevel(settings.log_level.upper())
        if not root:
            lg.propagate = False  # no second copy through handlers the host application put on the root


# ---------------------------------------------------------------------------------------------- engine holder


class NotReadyError(Exception):
    pass


@dataclass
class Loaded:
    engine: Any
    info: dict[str, Any]
    loaded_at: str
    refs: int = 0
    retired: bool = False


@dataclass
class EngineHolder:
    """The engine being served, swapped atomically on reload; a replaced engine closes when its last
    in-flight request is done."""

    settings: Settings
    loader: Callable[[Path], Any]
    metrics: Metrics
    current: Loaded | None = None
    status: Literal["loading", "ready", "failed"] = "loading"
    reason: str | None = "index loading / 색인을 불러오는 중입니다"
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reload_lock: threading.Lock = field(default_factory=threading.Lock)

    def _load(self) -> Loaded:
        engine = self.loader(self.settings.index_dir)
        try:
            info = asdict(engine.info())
            m = engine.manifest
            info.update(statutes=m.statutes, built_at=m.built_at, verified=self.settings.verify_index)
        except Exception:  # a fake engine in tests may not have the full manifest
            info = {"build_id": getattr(getattr(engine, "manifest", None), "build_id", "unknown")}
        return Loaded(engine, info, datetime.now(UTC).isoformat(timespec="seconds"))

    def load_initial(self) -> None:
        try:
            self.reload()
        except Exception:
            pass  # reason recorded; the process stays up and /readyz says why

    def reload(self) -> tuple[Loaded | None, Loaded]:
        """Load and verify the index at settings.index_dir and swap it in. Raises on failure (the previous
        engine, if any, keeps serving)."""
        with self._reload_lock:
            try:
                new = self._load()
            except Exception as exc:
                reason = _load_failure(exc, self.settings.index_dir)
                log.error("index load failed: %s", reason)
                self.metrics.count_reload("failed")
                with self._lock:
                    if self.current is None:
                        self.status, self.reason = "failed", reason
                raise IndexLoadError(reason) from exc
            with self._lock:
                old, self.current = self.current, new
                self.status, self.reason = "ready", None
                if old is not None:
                    old.retired = True
                    close_old = old.refs == 0
                else:
                    close_old = False
            if close_old and old is not None:
                _close(old)
            self.metrics.count_reload("ok")
            log.info("index ready: build %s", new.info.get("build_id"))
            return old, new

    def acquire(self) -> Loaded:
        with self._lock:
            cur = self.current
            if cur is None:
                raise NotReadyError(self.reason or self.status)
            cur.refs += 1
            return cur

    def release(self, loaded: Loaded) -> None:
        with self._lock:
            loaded.refs -= 1
            close = loaded.retired and loaded.refs == 0
        if close:
            _close(loaded)

    @contextmanager
    def lease(self) -> Iterator[Loaded]:
        loaded = self.acquire()
        try:
            yield loaded
        finally:
            self.release(loaded)

    def close(self) -> None:
        with self._lock:
            cur, self.current = self.current, None
            self.status, self.reason = "loading", "shutting down / 종료 중"
        if cur is not None:
            cur.retired = True
            if cur.refs == 0:
                _close(cur)


class IndexLoadError(RuntimeError):
    pass


def _close(loaded: Loaded) -> None:
    close = getattr(loaded.engine, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            log.warning("closing a retired engine failed", exc_info=True)


def _load_failure(exc: BaseException, index_dir: Path) -> str:
    from legal_rag.index_format import IndexIntegrityError

    if isinstance(exc, IndexIntegrityError):
        return f"index failed verification at {index_dir}: {exc}; {INGEST_HINT}"
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return f"index not found at {index_dir}: {exc}; {INGEST_HINT}"
    return f"index could not be loaded from {index_dir}: {type(exc).__name__}: {exc}; {INGEST_HINT}"


def default_engine_loader(settings: Settings) -> Callable[[Path], Any]:
    def load(index_dir: Path) -> Any:
        from legal_rag.search.engine import Engine

        if not index_dir.exists():
            raise FileNotFoundError(f"{index_dir} does not exist / 색인이 없습니다")
        return Engine(index_dir, verify=settings.verify_index)

    return load


# ---------------------------------------------------------------------------------------------- service state


@dataclass
class Service:
    settings: Settings
    holder: EngineHolder
    metrics: Metrics
    answerer: Answerer | None = None
    generator_error: str | None = None
    injected_generator: Any = None
    ready_event: threading.Event = field(default_factory=threading.Event)  # start-up finished (ok or not)
    warm: bool = False
    limiter: GenerationLimiter = field(init=False)
    search_pool: ThreadPoolExecutor = field(init=False)
    _closed: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._make_pools()

    def _make_pools(self) -> None:
        s = self.settings
        self.limiter = GenerationLimiter(s.generation_concurrency, s.generation_queue, s.retry_after_s)
        self.search_pool = ThreadPoolExecutor(max_workers=s.search_threads, thread_name_prefix="search")

    def open(self) -> None:
        """Start of a lifespan: fresh worker pools and a loading state (an app object can be started again,
        e.g. by a test client after a schema loader ran its lifespan)."""
        if self._closed:
            self._make_pools()
            self._closed = False
        self.ready_event.clear()
        self.warm = False
        with self.holder._lock:
            self.holder.status, self.holder.reason = "loading", "index loading / 색인을 불러오는 중입니다"

    def close(self) -> None:
        self._closed = True
        self.limiter.shutdown()
        self.search_pool.shutdown(wait=False, cancel_futures=True)
        self.holder.close()

    def start_generator(self) -> None:
        from app.generation.extractive import ExtractiveGenerator

        if self.injected_generator is not None:
            self.answerer = Answerer(self.injected_generator)
            return
        try:
            for k, v in self.settings.offline_environment().items():
                os.environ.setdefault(k, v)
            config = self.settings.generator_config()
            self.settings.check_network(config)
            from app.generation.base import make_generator

            self.answerer = Answerer(make_generator(config))
        except Exception as exc:
            self.generator_error = f"{type(exc).__name__}: {exc}"
            log.error("generator unavailable, answering extractively: %s", self.generator_error)
            self.answerer = Answerer(ExtractiveGenerator())

    def start(self) -> None:
        """Background start-up: generator, index, then warm-up of the worker threads."""
        try:
            self.start_generator()
            self.holder.load_initial()
            if self.settings.warmup and self.holder.current is not None:
                self.warm_up()
        except Exception:
            log.exception("start-up failed")
        finally:
            self.warm = True
            self.ready_event.set()

    def warm_up(self) -> None:
        """The tokenizer keeps one model per thread (seconds and hundreds of MB to load), so load it on every
        search and generation thread before reporting ready, not on the first requests."""
        from app.limits import run_on_each_thread
        from legal_rag.tokenizer import tokenize

        def tok() -> None:
            tokenize("민법 제54조 준비")

        t = time.perf_counter()
        run_on_each_thread(self.search_pool, self.settings.search_threads, tok)
        self.limiter.warm(tok)
        log.info("worker threads warm in %.1f s", time.perf_counter() - t)

    def get_answerer(self) -> Answerer:
        if self.answerer is None:
            raise NotReadyError("generator loading / 생성기를 불러오는 중입니다")
        return self.answerer

    async def run_blocking(self, fn: Callable[[Loaded], T], *, generation: bool = False) -> T:
        """Run fn(engine lease) in a worker thread under the request timeout. The lease is held until the
        thread really ends, so a reload never closes an engine that a timed-out request still uses."""
        try:
            loaded = self.holder.acquire()
        except NotReadyError as exc:
            raise ApiError(503, "not_ready", f"색인이 준비되지 않았습니다 / index not ready: {exc}",
                           headers={"Retry-After": str(self.settings.retry_after_s)}) from None
        try:
            if generation:
                fut: Future[T] = self.limiter.submit(fn, loaded)
            else:
                fut = self.search_pool.submit(fn, loaded)
        except OverloadedError as exc:
            self.holder.release(loaded)
            self.metrics.count_overload()
            raise ApiError(503, "overloaded",
                           "답변 요청이 많아 지금은 처리할 수 없습니다. 잠시 후 다시 시도하십시오 / "
                           "too many answers in progress; retry later",
                           headers={"Retry-After": str(exc.retry_after)}) from None
        except BaseException:
            self.holder.release(loaded)
            raise
        fut.add_done_callback(lambda _f: self.holder.release(loaded))
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), self.settings.request_timeout_s)
        except TimeoutError:
            fut.cancel()
            self.metrics.count_timeout()
            limit = self.settings.request_timeout_s
            raise ApiError(504, "timeout", f"요청 시간({limit:g}초)을 넘었습니다 / request timed out") from None
        except asyncio.CancelledError:
            fut.cancel()
            raise


# ---------------------------------------------------------------------------------------------- middleware


class ServiceMiddleware:
    """Request id, security headers, access log and request metrics for every response (pure ASGI, so
    streaming responses pass through untouched)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _REQUEST_ID_RE.fullmatch(incoming or "") else uuid.uuid4().hex
        token = request_id_var.set(rid)
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
            label = getattr(route, "path", None) or ("/static" if path.startswith("/static/") else "unmatched")
            status = status_holder["status"]
            self.metrics.observe_request(label, scope.get("method", ""), status, seconds)
            client = scope.get("client")
            access_log.info("request", extra={"request_id": rid, "fields": {
                "method": scope.get("method"), "path": path, "route": label, "status": status,
                "duration_ms": round(seconds * 1000, 2), "client": client[0] if client else None}})
            request_id_var.reset(token)


# ---------------------------------------------------------------------------------------------- SSE


def sse_event(event: str, data: str) -> str:
    """One server-sent event; every line of `data` gets its own `data:` field (the client joins with \\n)."""
    data = data.replace("\r\n", "\n").replace("\r", "\n")
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"


# ---------------------------------------------------------------------------------------------- the app


def create_app(settings: Settings | None = None, engine_loader: Callable[[Path], Any] | None = None,
               *, generator: Any = None) -> FastAPI:
    """The service. `engine_loader(index_dir) -> Engine` replaces the default loader (tests);
    `generator` (any app.generation Generator) replaces the configured one (tests: a slow fake)."""
    settings = settings or Settings()
    metrics = Metrics()
    holder = EngineHolder(settings, engine_loader or default_engine_loader(settings), metrics)
    service = Service(settings, holder, metrics, injected_generator=generator)
    metrics.gauge("legal_rag_generation_queue_depth", "Answers waiting for a generation slot.",
                  lambda: service.limiter.waiting)
    metrics.gauge("legal_rag_generation_in_progress", "Answers being generated now.",
                  lambda: service.limiter.running)
    metrics.gauge("legal_rag_generation_capacity", "Generation slots plus queue places.",
                  lambda: service.limiter.capacity)
    metrics.gauge("legal_rag_index_ready", "1 when an index is loaded and verified.",
                  lambda: 1.0 if holder.current is not None else 0.0)
    metrics.info = lambda: ({"build_id": str(holder.current.info.get("build_id", ""))}
                            if holder.current is not None else {})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings)
        loop = asyncio.get_running_loop()
        service.open()
        threading.Thread(target=service.start, name="index-loader", daemon=True).start()
        sighup = False
        try:
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, _reload_logged, holder))
            sighup = True
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass  # not the main thread (tests) or no SIGHUP on this platform
        try:
            yield
        finally:
            if sighup:
                loop.remove_signal_handler(signal.SIGHUP)
            service.close()

    app = FastAPI(
        title="legal-rag",
        version="0.1.0",
        summary="Korean statute QA with verified citations / 법령 질의응답",
        description=(
            "Answers questions about Korean statutes with the articles they rest on, every citation checked "
            "against the index. Unknown law names in `laws`/`law` filters are answered 422 with "
            "`error: unknown_law` and `suggestions`."),
        lifespan=lifespan,
        docs_url=None,  # a server-rendered page (below): the Swagger UI needs a CDN and inline script
        redoc_url=None,
    )
    app.state.service = service
    app.add_middleware(ServiceMiddleware, metrics=metrics)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        exc.body.request_id = request_id_var.get()
        return JSONResponse(exc.body.model_dump(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _jsonable_errors(exc.errors())
        body = ErrorResponse(error="validation_error", message=_validation_message(errors, settings),
                             detail=errors, request_id=request_id_var.get())
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

    # ------------------------------------------------------------------------------------------ health

    @app.get("/healthz", response_model=HealthResponse, tags=["ops"], summary="process is up")
    async def healthz() -> HealthResponse:
        return HealthResponse()

    @app.get("/readyz", response_model=ReadyResponse, tags=["ops"], responses={503: {"model": ReadyResponse}},
             summary="index loaded and verified")
    async def readyz() -> JSONResponse:
        cur = holder.current
        gen = service.answerer.name if service.answerer else None
        if cur is not None and service.answerer is not None and service.warm:
            body = ReadyResponse(status="ready", index={**cur.info, "loaded_at": cur.loaded_at}, generator=gen,
                                 generator_error=service.generator_error)
            return JSONResponse(body.model_dump(), status_code=200)
        status: Literal["loading", "failed"] = "failed" if holder.status == "failed" else "loading"
        reason = holder.reason if cur is None else "warming up worker threads / 작업 스레드 준비 중"
        body = ReadyResponse(status=status, reason=reason or "loading / 불러오는 중", generator=gen,
                             generator_error=service.generator_error)
        return JSONResponse(body.model_dump(), status_code=503,
                            headers={"Retry-After": str(settings.retry_after_s)})

    @app.get("/metrics", response_class=PlainTextResponse, tags=["ops"], summary="Prometheus metrics",
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
    async def metrics_route() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    # ------------------------------------------------------------------------------------------ API

    @app.post("/api/ask", response_model=AskResponse, tags=["answer"], responses=_responses(422, 503, 504),
              summary="answer a question with checked citations / 질문에 답변")
    async def ask(req: AskRequest) -> AskResponse:
        question, as_of, laws = _validate_ask(req, settings)
        answerer = _answerer(service)

        def job(loaded: Loaded) -> AskResponse:
            return _call_engine(lambda: answerer.ask(loaded.engine, question, req.top_k, as_of, laws))

        return await service.run_blocking(job, generation=True)

    @app.post("/api/ask/stream", tags=["answer"], responses={
        200: {"description": "server-sent events: `token` (answer text pieces), then `done` (AskResponse JSON) "
                             "or `error` (ErrorResponse JSON)",
              "content": {"text/event-stream": {"schema": {
                  "type": "object", "required": ["event", "data"],
                  "properties": {"event": {"type": "string", "enum": ["token", "done", "error"]},
                                 "data": {"type": "string"}}}}}},
        **_responses(422, 503)}, summary="answer as server-sent events / 스트리밍 답변",
        response_class=StreamingResponse)
    async def ask_stream(req: AskRequest, request: Request) -> StreamingResponse:
        question, as_of, laws = _validate_ask(req, settings)
        answerer = _answerer(service)
        try:
            loaded = holder.acquire()
        except NotReadyError as exc:
            raise ApiError(503, "not_ready", f"색인이 준비되지 않았습니다 / index not ready: {exc}",
                           headers={"Retry-After": str(settings.retry_after_s)}) from None
        try:
            loaded.engine.resolve_law_filter(laws)  # unknown law -> 422 before the stream starts
        except LookupError as exc:
            holder.release(loaded)
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
                for item in answerer.stream(_loaded.engine, question, req.top_k, as_of, laws, cancel=cancel):
                    if isinstance(item, AskResponse):
                        put("done", item)
                    else:
                        put("token", item)
            except BaseException as exc:  # reported to the client as an `error` event
                put("error", exc)
            finally:
                put("end", None)

        try:
            fut = service.limiter.submit(job, loaded)
        except OverloadedError as exc:
            holder.release(loaded)
            metrics.count_overload()
            raise ApiError(503, "overloaded",
                           "답변 요청이 많아 지금은 처리할 수 없습니다. 잠시 후 다시 시도하십시오 / "
                           "too many answers in progress; retry later",
                           headers={"Retry-After": str(exc.retry_after)}) from None
        fut.add_done_callback(lambda _f: holder.release(loaded))
        rid = request_id_var.get()

        async def events() -> AsyncIterator[str]:
            deadline = loop.time() + settings.request_timeout_s
            try:
                while True:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        metrics.count_timeout()
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
                        yield sse_event("error", _stream_error(value, rid).model_dump_json())
                    elif kind == "end":
                        return
            finally:
                cancel.set()
                fut.cancel()

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.get("/api/search", response_model=SearchResponse, tags=["search"], responses=_responses(422, 503, 504),
             summary="ranked articles for a query / 조문 검색")
    async def search(
        q: str = Query(..., min_length=1, max_length=2000, description="question or citation list"),
        top_k: int = Query(10, ge=1, le=50),
        as_of: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD, default today"),
        law: Annotated[list[str] | None, Query(description="restrict to these laws (repeatable)")] = None,
    ) -> SearchResponse:
        query = check_question(q, settings, "q")
        k = check_top_k(top_k, settings)
        day = parse_as_of(as_of)
        laws = check_laws(law or [])

        def job(loaded: Loaded) -> SearchResponse:
            return _call_engine(lambda: loaded.engine.search(query, top_k=k, as_of=day, laws=laws))

        return await service.run_blocking(job)

    @app.get("/api/laws", response_model=LawsResponse, tags=["laws"], responses=_responses(422, 503, 504),
             summary="statutes in the index and the version applying on as_of / 법령 목록")
    async def laws_route(as_of: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$")) -> LawsResponse:
        day = parse_as_of(as_of)

        def job(loaded: Loaded) -> LawsResponse:
            return LawsResponse(as_of=day.isoformat(), laws=[LawInfo(**r) for r in loaded.engine.laws(day)])

        return await service.run_blocking(job)

    @app.get("/api/laws/{law}/articles/{article}", response_model=ArticleResponse, tags=["laws"],
             responses=_responses(404, 422, 503, 504), summary="one article on a date / 조문 보기")
    async def article_route(
        law: str = PathParam(..., min_length=1, max_length=MAX_LAW_NAME, description="title or abbreviation"),
        article: str = PathParam(..., min_length=1, max_length=40, description="제54조, 54, 제839조의2"),
        as_of: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
    ) -> ArticleResponse:
        day = parse_as_of(as_of)
        number = _article_number(article)

        def job(loaded: Loaded) -> Hit | None:
            try:
                return loaded.engine.get_article(law, number, day)  # type: ignore[no-any-return]
            except LookupError as exc:
                raise unknown_law_error(exc, status=404) from None

        hit = await service.run_blocking(job)
        if hit is None:
            raise ApiError(404, "not_found",
                           f"「{law}」 {number}을(를) 찾을 수 없습니다 ({day.isoformat()} 기준) / "
                           f"no article {number} in {law} on {day.isoformat()}", law=law)
        return ArticleResponse(as_of=day.isoformat(), article=hit)

    @app.post("/api/admin/reload", response_model=ReloadResponse, tags=["ops"], responses=_responses(401, 403, 409),
              summary="verify and swap in the rebuilt index (also on SIGHUP) / 색인 다시 불러오기")
    async def reload_route(request: Request, authorization: str | None = Header(None)) -> JSONResponse:
        _check_admin(request, authorization, settings)
        previous = holder.current.info.get("build_id") if holder.current else None
        try:
            _old, new = await asyncio.get_running_loop().run_in_executor(None, holder.reload)
        except IndexLoadError as exc:
            body = ReloadResponse(status="failed", build_id=previous, previous_build_id=previous, reason=str(exc))
            return JSONResponse(body.model_dump(), status_code=409)
        body = ReloadResponse(status="reloaded", build_id=new.info.get("build_id"), previous_build_id=previous)
        return JSONResponse(body.model_dump(), status_code=200)

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def docs(request: Request) -> HTMLResponse:
        from app.web import render_api_docs

        return render_api_docs(request, app.openapi())

    from app.api.routes.precedents import router as precedents_router
    from app.web import router as web_router

    app.include_router(precedents_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=APP_DIR / "static"), name="static")
    return app


# ---------------------------------------------------------------------------------------------- helpers


def _answerer(service: Service) -> Answerer:
    try:
        return service.get_answerer()
    except NotReadyError as exc:
        raise ApiError(503, "not_ready", f"준비 중입니다 / not ready: {exc}",
                       headers={"Retry-After": str(service.settings.retry_after_s)}) from None


def _validate_ask(req: AskRequest, settings: Settings) -> tuple[str, date, list[str]]:
    question = check_question(req.question, settings)
    check_top_k(req.top_k, settings)
    return question, parse_as_of(req.as_of), check_laws(req.laws)


def _article_number(article: str) -> str:
    from legal_rag.articles import ArticleNumber

    try:
        number = ArticleNumber.parse(article)
    except ValueError:
        number = None
    if number is None or number.main > MAX_ARTICLE_MAIN or number.sub > MAX_ARTICLE_MAIN:
        raise ApiError(422, "validation_error",
                       f"조문 번호 형식이 아닙니다: {article!r} (예: 제54조, 제839조의2) / not an article number",
                       detail=[{"loc": ["article"], "msg": "not an article number", "type": "value_error"}])
    return number.label


def _call_engine(fn: Callable[[], T]) -> T:
    """Engine errors that are the caller's: unknown law filter (422), prompt too long for the model (422)."""
    from app.generation.prompt import PromptBudgetError

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


def _stream_error(exc: BaseException, rid: str) -> ErrorResponse:
    if isinstance(exc, ApiError):
        body = exc.body
    else:
        from app.generation.prompt import PromptBudgetError

        if isinstance(exc, PromptBudgetError):
            body = ErrorResponse(error="question_too_long_for_model", message=str(exc))
        elif isinstance(exc, LookupError) and hasattr(exc, "suggestions"):
            body = unknown_law_error(exc).body
        else:
            log.error("stream failed", exc_info=exc)
            body = ErrorResponse(error="internal_error", message="답변 생성 중 오류가 발생했습니다 / generation failed")
    body.request_id = rid
    return body


def _check_admin(request: Request, authorization: str | None, settings: Settings) -> None:
    import hmac

    if settings.admin_token:
        expected = f"Bearer {settings.admin_token}"
        if not authorization or not hmac.compare_digest(authorization.encode(), expected.encode()):
            raise ApiError(401, "unauthorized", "관리 토큰이 필요합니다 / admin token required",
                           headers={"WWW-Authenticate": "Bearer"})
        return
    client = request.client.host if request.client else ""
    if client not in {"127.0.0.1", "::1", "localhost"}:
        raise ApiError(403, "forbidden",
                       "관리 요청은 이 컴퓨터에서만 받습니다 (LEGAL_RAG_ADMIN_TOKEN으로 허용) / admin routes are "
                       "loopback-only unless LEGAL_RAG_ADMIN_TOKEN is set")


def _reload_logged(holder: EngineHolder) -> None:
    try:
        holder.reload()
    except IndexLoadError as exc:
        log.error("SIGHUP reload failed, previous index keeps serving: %s", exc)
