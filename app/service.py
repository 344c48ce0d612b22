"""The HTTP service: `create_app(settings, engine_loader)` wires the pieces into one FastAPI app.

Where things are:
- routes, one router per area: app/api/routes/ (answer, search, laws, ops); their dependencies
  (service state, settings, engine lease, admin check): app/api/deps.py; request checks: the request models'
  field types, app/api/fields.py
- errors (one body shape, bilingual messages, handlers): app/errors.py
- logging (JSON lines with the request id): app/logging_config.py; request id, security headers, access log
  and request metrics: app/middleware.py; metrics: app/metrics.py
- the index being served (background load, verified, atomic reload): app/index_holder.py; worker pools,
  generator and the request timeout: app/runtime.py; the web form's rendering: app/web.py

The index loads in a background thread at startup, so the process answers /healthz at once and /readyz turns
200 only when the index is verified and loaded; a missing, truncated or tampered index leaves the process up
with /readyz 503 and the reason.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.api.models import ArticleResponse, HealthResponse, LawInfo, LawsResponse, ReadyResponse, ReloadResponse
from app.api.routes import answer, laws, ops, precedents, search
from app.errors import ApiError, ErrorResponse, install_error_handlers
from app.index_holder import INGEST_HINT, EngineHolder, default_engine_loader
from app.logging_config import configure_logging
from app.metrics import Metrics
from app.middleware import ServiceMiddleware
from app.reload_sync import ReloadGeneration, ReloadWatcher
from app.runtime import Service
from app.settings import Settings

APP_DIR = Path(__file__).resolve().parent

# Names other modules and tests import from here.
__all__ = ["INGEST_HINT", "ApiError", "ArticleResponse", "ErrorResponse", "HealthResponse", "LawInfo",
           "LawsResponse", "ReadyResponse", "ReloadResponse", "configure_logging", "create_app"]


def create_app(settings: Settings | None = None, engine_loader: Callable[[Path], Any] | None = None,
               *, generator: Any = None) -> FastAPI:
    """The service. `engine_loader(index_dir) -> Engine` replaces the default loader (tests);
    `generator` (any app.generation Generator) replaces the configured one (tests: a slow fake)."""
    settings = settings or Settings()
    metrics = Metrics()
    holder = EngineHolder(settings, engine_loader or default_engine_loader(settings), metrics)
    service = Service(settings, holder, metrics, injected_generator=generator)
    generation = ReloadGeneration.from_env()  # set by `legal-rag serve --workers N`
    metrics.gauge("legal_rag_generation_queue_depth", "Answers waiting for a generation slot.",
                  lambda: service.limiter.waiting)
    metrics.gauge("legal_rag_generation_in_progress", "Answers being generated now.",
                  lambda: service.limiter.running)
    metrics.gauge("legal_rag_generation_capacity", "Generation slots plus queue places.",
                  lambda: service.limiter.capacity)
    metrics.gauge("legal_rag_index_ready", "1 when an index is loaded and verified.",
                  lambda: 1.0 if holder.current is not None else 0.0, mode="livemin")
    metrics.info = lambda: ({"build_id": str(holder.current.info.get("build_id", ""))}
                            if holder.current is not None else {})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings)
        loop = asyncio.get_running_loop()
        service.open()
        if generation is not None:
            service.reload_watcher = ReloadWatcher(generation, holder)
        threading.Thread(target=service.start, name="index-loader", daemon=True).start()
        if service.reload_watcher is not None:
            service.reload_watcher.start()
        # SIGHUP: reload this process's index, or (several workers) ask every worker to reload.
        on_hup = service.reload_watcher.request if service.reload_watcher is not None else holder.reload_logged
        sighup = False
        try:
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, on_hup))
            sighup = True
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass  # not the main thread (tests) or no SIGHUP on this platform
        try:
            yield
        finally:
            if sighup:
                loop.remove_signal_handler(signal.SIGHUP)
            if service.reload_watcher is not None:
                service.reload_watcher.stop()
            service.close()
            metrics.process_exit()

    app = FastAPI(
        title="legal-rag",
        version="0.1.0",
        summary="Korean statute QA with verified citations / 법령 질의응답",
        description=(
            "Answers questions about Korean statutes with the articles they rest on, every citation checked "
            "against the index. Unknown law names in `laws`/`law` filters are answered 422 with "
            "`error: unknown_law` and `suggestions`."),
        lifespan=lifespan,
        docs_url=None,  # a server-rendered page (app.api.routes.ops): the Swagger UI needs a CDN and inline script
        redoc_url=None,
    )
    app.state.service = service
    app.add_middleware(ServiceMiddleware, metrics=metrics, settings=settings)
    install_error_handlers(app, settings)
    for module in (ops, answer, search, laws, precedents):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=APP_DIR / "static"), name="static")
    return app
