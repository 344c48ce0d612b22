"""Bounded generation: at most `concurrency` answers generated at once, at most `queue` more waiting.

Generation runs in a dedicated thread pool whose size is the concurrency, so the pool's own queue holds the
waiting jobs; this class only counts them and refuses a job when running + waiting would exceed the bound
(the route then answers 503 with Retry-After). A slot is released when its job really ends, not when the
client gives up: a timed-out request must not let a new generation start while the old one still runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class OverloadedError(RuntimeError):
    """Every generation slot and queue place is taken."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("generation queue is full / 답변 대기열이 가득 찼습니다")
        self.retry_after = retry_after


class GenerationLimiter:
    def __init__(self, concurrency: int, queue: int, retry_after: int = 5) -> None:
        self.concurrency = max(1, concurrency)
        self.queue = max(0, queue)
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._admitted = 0  # running + waiting
        self._running = 0
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="generate")

    @property
    def capacity(self) -> int:
        return self.concurrency + self.queue

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        with self._lock:
            return max(0, self._admitted - self._running)

    def _admit(self) -> None:
        with self._lock:
            if self._admitted >= self.capacity:
                raise OverloadedError(self.retry_after)
            self._admitted += 1

    def _leave(self) -> None:
        with self._lock:
            self._admitted -= 1

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue `fn(*args)` on the generation pool, or raise OverloadedError at once."""
        self._admit()

        def job() -> T:
            with self._lock:
                self._running += 1
            try:
                return fn(*args)
            finally:
                with self._lock:
                    self._running -= 1

        try:
            fut = self._pool.submit(job)
        except BaseException:
            self._leave()
            raise
        # Runs once the job finished, failed or was cancelled before it started.
        fut.add_done_callback(lambda _f: self._leave())
        return fut

    def warm(self, fn: Callable[[], Any]) -> None:
        """Run `fn` once on every worker thread (per-thread state such as the tokenizer loads before traffic)."""
        run_on_each_thread(self._pool, self.concurrency, fn)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def run_on_each_thread(pool: ThreadPoolExecutor, n: int, fn: Callable[[], Any], timeout: float = 600) -> None:
    """Run `fn` on each of the pool's `n` threads: the jobs wait for each other, so the pool must start
    n threads (ThreadPoolExecutor reuses an idle thread only when one exists)."""
    barrier = threading.Barrier(n)

    def job() -> None:
        try:
            barrier.wait(timeout=timeout)
        except threading.BrokenBarrierError:
            pass
        fn()

    for fut in [pool.submit(job) for _ in range(n)]:
        fut.result(timeout=timeout)
