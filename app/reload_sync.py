"""Index reloads across the worker processes of one server.

`legal-rag serve --workers N` runs N processes behind one port; a reload request (POST /api/admin/reload or
SIGHUP) reaches one of them. They share a *reload generation*: a counter in a small file named by
LEGAL_RAG_RELOAD_FILE (the serve command creates it). Asking for a reload increments the counter; every
worker polls the file (once a second) and reloads its index when the counter passed the value it last
applied. The admin route first reloads its own worker (so it can answer with the new build id, or 409 and
keep the old index), then increments; the other workers follow within the poll interval. Nothing is sent
between processes but this number, so a worker restarted by the supervisor simply starts at the current one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from app.index_holder import EngineHolder

log = logging.getLogger("legal_rag.service")

RELOAD_FILE_ENV = "LEGAL_RAG_RELOAD_FILE"
POLL_SECONDS = 1.0


class ReloadGeneration:
    """A counter in a file, incremented under an exclusive lock and read without one (the write is atomic)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def from_env(cls) -> ReloadGeneration | None:
        value = os.environ.get(RELOAD_FILE_ENV)
        return cls(Path(value)) if value else None

    def read(self) -> int:
        try:
            return int(self.path.read_text(encoding="ascii").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def bump(self) -> int:
        """Increment and return the new generation."""
        lock = self.path.with_name(self.path.name + ".lock")
        with lock.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                value = self.read() + 1
                tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                tmp.write_text(str(value), encoding="ascii")
                tmp.replace(self.path)
                return value
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


class ReloadWatcher:
    """Reloads this worker's index whenever the shared generation moves past the one it applied."""

    def __init__(self, generation: ReloadGeneration, holder: EngineHolder, poll_s: float = POLL_SECONDS) -> None:
        self.generation = generation
        self.holder = holder
        self.poll_s = poll_s
        self.applied = generation.read()  # the index loaded at start-up is the current generation's
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="reload-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def request(self) -> None:
        """Ask every worker (this one included) to reload."""
        self.generation.bump()

    def reloaded_here(self) -> None:
        """This worker just reloaded on its own (the admin route): tell the others, skip our own turn."""
        with self._lock:
            self.applied = self.generation.bump()

    def poll(self) -> bool:
        """One check; True when a reload was attempted."""
        current = self.generation.read()
        with self._lock:
            if current <= self.applied:
                return False
            self.applied = current
        log.info("reload generation %d: reloading the index", current)
        self.holder.reload_logged()
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll()
            except Exception:  # the watcher must outlive a bad poll
                log.exception("reload watcher failed")
