"""The live state behind the routes: the index holder, the answerer, and the worker thread pools.

Searches run on a small thread pool, answers on the bounded generation pool (app.limits); both run under the
request timeout and hold an engine lease until the thread really ends, so a reload never closes an engine
that a timed-out request still uses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.answering import Answerer
from app.errors import ApiError, not_ready_error, overloaded_error
from app.generation.extractive import ExtractiveGenerator
from app.generation.factory import make_generator
from app.index_holder import EngineHolder, Loaded, NotReadyError
from app.limits import GenerationLimiter, OverloadedError, run_on_each_thread
from app.metrics import Metrics
from app.reload_sync import ReloadWatcher
from app.settings import Settings

log = logging.getLogger("legal_rag.service")
T = TypeVar("T")


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
    reload_watcher: ReloadWatcher | None = None  # several workers: follows the shared reload generation
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
        self.holder.set_loading()

    def close(self) -> None:
        self._closed = True
        self.limiter.shutdown()
        self.search_pool.shutdown(wait=False, cancel_futures=True)
        self.holder.close()

    def start_generator(self) -> None:
        if self.injected_generator is not None:
            self.answerer = Answerer(self.injected_generator)
            return
        try:
            for k, v in self.settings.offline_environment().items():
                os.environ.setdefault(k, v)
            config = self.settings.generator_config()
            self.settings.check_network(config)
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

    def acquire(self) -> Loaded:
        """An engine lease, or 503 not_ready."""
        try:
            return self.holder.acquire()
        except NotReadyError as exc:
            raise not_ready_error(exc, self.settings.retry_after_s) from None

    def submit_generation(self, fn: Callable[[Loaded], T], loaded: Loaded) -> Future[T]:
        """Queue fn(lease) on the generation pool, or 503 overloaded (the lease is then released)."""
        try:
            return self.limiter.submit(fn, loaded)
        except OverloadedError as exc:
            self.holder.release(loaded)
            self.metrics.count_overload()
            raise overloaded_error(exc.retry_after) from None

    async def run_blocking(self, fn: Callable[[Loaded], T], *, generation: bool = False,
                           cancel: threading.Event | None = None) -> T:
        """Run fn(engine lease) in a worker thread under the request timeout. The lease is held until the
        thread really ends, so a reload never closes an engine that a timed-out request still uses. On
        timeout or cancellation `cancel` is set: a running thread cannot be cancelled, its generation can
        (app.generation.cancel)."""
        loaded = self.acquire()
        try:
            if generation:
                fut: Future[T] = self.submit_generation(fn, loaded)
            else:
                fut = self.search_pool.submit(fn, loaded)
        except ApiError:
            raise
        except BaseException:
            self.holder.release(loaded)
            raise
        fut.add_done_callback(lambda _f: self.holder.release(loaded))
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), self.settings.request_timeout_s)
        except TimeoutError:
            if cancel is not None:
                cancel.set()
            fut.cancel()
            self.metrics.count_timeout()
            limit = self.settings.request_timeout_s
            raise ApiError(504, "timeout", f"요청 시간({limit:g}초)을 넘었습니다 / request timed out") from None
        except asyncio.CancelledError:
            if cancel is not None:
                cancel.set()
            fut.cancel()
            raise
