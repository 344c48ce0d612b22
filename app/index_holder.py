"""The index being served: loaded and verified in the background, swapped atomically on reload, and closed
only when the last request using it is done (reference-counted leases)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from app.metrics import Metrics
from app.settings import Settings
from legal_rag.index_format import IndexIntegrityError

log = logging.getLogger("legal_rag.service")

INGEST_HINT = "run `legal-rag ingest` to build it / `legal-rag ingest`로 색인을 만드십시오"


class NotReadyError(Exception):
    """No index (or no generator) is loaded yet."""


class IndexLoadError(RuntimeError):
    """The index could not be loaded or failed verification; the message says why and what to run."""


@dataclass
class Loaded:
    engine: Any
    info: dict[str, Any]
    loaded_at: str
    refs: int = 0
    retired: bool = False


def default_engine_loader(settings: Settings) -> Callable[[Path], Any]:
    def load(index_dir: Path) -> Any:
        from legal_rag.search.engine import Engine  # imported late: loads numpy/faiss/kiwi

        if not index_dir.exists():
            raise FileNotFoundError(f"{index_dir} does not exist / 색인이 없습니다")
        return Engine(index_dir, verify=settings.verify_index)

    return load


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

    def set_loading(self) -> None:
        with self._lock:
            self.status, self.reason = "loading", "index loading / 색인을 불러오는 중입니다"

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

    def reload_logged(self) -> None:
        """Reload for a signal or the reload watcher: a failure is logged, the previous index keeps serving."""
        try:
            self.reload()
        except IndexLoadError as exc:
            log.error("reload failed, previous index keeps serving: %s", exc)

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


def _close(loaded: Loaded) -> None:
    close = getattr(loaded.engine, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            log.warning("closing a retired engine failed", exc_info=True)


def _load_failure(exc: BaseException, index_dir: Path) -> str:
    if isinstance(exc, IndexIntegrityError):
        return f"index failed verification at {index_dir}: {exc}; {INGEST_HINT}"
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return f"index not found at {index_dir}: {exc}; {INGEST_HINT}"
    return f"index could not be loaded from {index_dir}: {type(exc).__name__}: {exc}; {INGEST_HINT}"
