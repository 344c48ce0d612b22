"""Operations: /healthz (process up), /readyz (index loaded and verified), /metrics (Prometheus), /docs (the
API reference, server-rendered), POST /api/admin/reload (verify and swap in a rebuilt index).
FastAPI itself serves /openapi.json."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from app.api.deps import ServiceDep, require_admin
from app.api.models import HealthResponse, ReadyResponse, ReloadResponse
from app.errors import error_responses
from app.index_holder import IndexLoadError
from app.web import render_api_docs

router = APIRouter(tags=["ops"])


@router.get("/healthz", response_model=HealthResponse, summary="process is up")
async def healthz() -> HealthResponse:
    return HealthResponse()


@router.get("/readyz", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}},
            summary="index loaded and verified")
async def readyz(service: ServiceDep) -> JSONResponse:
    holder = service.holder
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
                        headers={"Retry-After": str(service.settings.retry_after_s)})


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}, "example": (
                "# HELP legal_rag_http_requests_total HTTP requests by route, method and status\n"
                "# TYPE legal_rag_http_requests_total counter\n"
                'legal_rag_http_requests_total{route="/api/ask",method="POST",status="200"} 12.0\n')}}}})
async def metrics_route(service: ServiceDep) -> PlainTextResponse:
    return PlainTextResponse(service.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


@router.post("/api/admin/reload", response_model=ReloadResponse, responses=error_responses(401, 403, 409),
             dependencies=[Depends(require_admin)],
             summary="verify and swap in the rebuilt index (also on SIGHUP) / 색인 다시 불러오기")
async def reload_route(service: ServiceDep) -> JSONResponse:
    holder = service.holder
    previous = holder.current.info.get("build_id") if holder.current else None
    try:
        _old, new = await asyncio.get_running_loop().run_in_executor(None, holder.reload)
    except IndexLoadError as exc:
        body = ReloadResponse(status="failed", build_id=previous, previous_build_id=previous, reason=str(exc))
        return JSONResponse(body.model_dump(), status_code=409)
    if service.reload_watcher is not None:
        service.reload_watcher.reloaded_here()  # the other worker processes follow
    body = ReloadResponse(status="reloaded", build_id=new.info.get("build_id"), previous_build_id=previous)
    return JSONResponse(body.model_dump(), status_code=200)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
async def docs(request: Request) -> HTMLResponse:
    return render_api_docs(request, request.app.openapi())
