"""FastAPI dependencies: the service state, its settings, the engine lease, the answerer, the admin check.

The engine lease is acquired lazily (`lease.run(...)` / `lease.acquire()`), not when the dependency is
resolved: a request that is invalid *and* arrives before the index is ready is answered 422, not 503, and
the lease is held exactly as long as the worker thread that uses it.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request

from app.answering import Answerer
from app.errors import ApiError, not_ready_error
from app.index_holder import Loaded, NotReadyError
from app.runtime import Service
from app.settings import Settings

T = TypeVar("T")


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_settings(service: ServiceDep) -> Settings:
    return service.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


@dataclass
class EngineLease:
    """Runs work against the engine being served; each call leases the engine for as long as it runs."""

    service: Service

    async def run(self, fn: Callable[[Loaded], T], *, generation: bool = False,
                  cancel: threading.Event | None = None) -> T:
        """fn(lease) on the search pool (or the bounded generation pool) under the request timeout;
        503 not ready / overloaded, 504 timeout (`cancel` is then set, stopping a generation)."""
        return await self.service.run_blocking(fn, generation=generation, cancel=cancel)

    def acquire(self) -> Loaded:
        """A lease the caller must `release` (streaming: held until the generation thread ends)."""
        return self.service.acquire()

    def release(self, loaded: Loaded) -> None:
        self.service.holder.release(loaded)

    def answerer(self) -> Answerer:
        """The configured answerer, or 503 while the generator is loading."""
        try:
            return self.service.get_answerer()
        except NotReadyError as exc:
            raise not_ready_error(exc, self.service.settings.retry_after_s, "준비 중입니다 / not ready") from None


def get_engine(service: ServiceDep) -> EngineLease:
    return EngineLease(service)


EngineDep = Annotated[EngineLease, Depends(get_engine)]


def require_admin(settings: SettingsDep, authorization: str | None = Header(None)) -> None:
    """The LEGAL_RAG_ADMIN_TOKEN bearer token, from every client (401 otherwise); without a token configured
    the admin routes are off (403). Loopback is not trusted: behind a reverse proxy on the same host every
    client is loopback. Without a token, reload with SIGHUP."""
    if not settings.admin_token:
        raise ApiError(403, "forbidden",
                       "관리 API가 꺼져 있습니다: LEGAL_RAG_ADMIN_TOKEN을 설정하거나 SIGHUP으로 색인을 다시 "
                       "불러오십시오 / admin routes are off: set LEGAL_RAG_ADMIN_TOKEN, or reload with SIGHUP")
    expected = f"Bearer {settings.admin_token}"
    if not authorization or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "관리 토큰이 필요합니다 / admin token required",
                       headers={"WWW-Authenticate": "Bearer"})
