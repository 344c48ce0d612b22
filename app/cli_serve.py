"""`legal-rag serve`: the web service under uvicorn (JSON logs, graceful shutdown, SIGHUP reloads the index).

The index is verified before the server starts (exit 3 with a hint to run `legal-rag ingest` when it is
missing or fails verification); --allow-unready starts anyway, with /readyz 503 until a good index is
published and loaded (SIGHUP or POST /api/admin/reload).

--workers N (default $LEGAL_RAG_WORKERS, else the number of CPU cores this process may use; 1 with the
in-process `hf` generator, which would load the model once per worker) runs N worker processes behind one
port under uvicorn's supervisor (a dead worker is replaced). Each worker loads the index itself, read-only
(the article store is SQLite opened read-only, so its pages are shared through the page cache); they share
the CSRF secret, the Prometheus metrics directory (PROMETHEUS_MULTIPROC_DIR, a fresh one per run unless
set) and a reload generation (app.reload_sync): a reload through any worker, or SIGHUP to the parent,
reloads every worker.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from app.settings import Settings

EXIT_INDEX = 3
WORKERS_ENV = "LEGAL_RAG_WORKERS"
log = logging.getLogger("legal_rag.service")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=None, help="index directory (default $LEGAL_RAG_INDEX_DIR or "
                                                             "index/default)")
    p.add_argument("--host", default=None, help="bind address (default $LEGAL_RAG_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default $LEGAL_RAG_PORT or 8000)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes behind the port (default $LEGAL_RAG_WORKERS, else the number of CPU "
                        "cores; 1 with LEGAL_RAG_GENERATOR=hf)")
    p.add_argument("--allow-unready", action="store_true",
                   help="start even when the index is missing or fails verification (/readyz stays 503)")
    p.add_argument("--log-level", default=None, help="INFO, DEBUG, … (default $LEGAL_RAG_LOG_LEVEL or INFO)")


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(generator_backend: str) -> int:
    """One per core; one for the in-process hf generator (N copies of a 7B model do not fit one GPU)."""
    env = os.environ.get(WORKERS_ENV, "").strip()
    if env:
        return int(env)
    return 1 if generator_backend == "hf" else cpu_cores()


def worker_app() -> FastAPI:
    """The app factory each worker process calls (uvicorn --factory): settings from the environment the
    parent prepared."""
    from app.logging_config import configure_logging
    from app.service import create_app
    from app.settings import Settings

    settings = Settings()
    configure_logging(settings, root=True)
    return create_app(settings)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from app.index_holder import INGEST_HINT
    from app.logging_config import configure_logging
    from app.service import create_app
    from app.settings import Settings
    from legal_rag.index_format import IndexIntegrityError, verify_index

    overrides: dict[str, object] = {}
    if args.index is not None:
        overrides["index_dir"] = args.index
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.log_level is not None:
        overrides["log_level"] = args.log_level
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if not args.allow_unready:
        try:
            if not settings.index_dir.exists():
                raise IndexIntegrityError(f"{settings.index_dir} does not exist / 색인이 없습니다")
            verify_index(settings.index_dir)
        except IndexIntegrityError as exc:
            print(f"index not usable: {exc}; {INGEST_HINT}", file=sys.stderr)
            return EXIT_INDEX
    try:
        backend = str(settings.generator_config().backend)
    except Exception:  # a bad generator config is reported by the service (it answers extractively)
        backend = "extractive"
    workers = args.workers if args.workers is not None else default_workers(backend)
    if workers < 1:
        print("--workers must be at least 1 / 작업 프로세스는 1개 이상이어야 합니다", file=sys.stderr)
        return 2
    configure_logging(settings, root=True)
    # uvicorn handles SIGINT/SIGTERM: stop accepting, let in-flight requests finish (bounded by the request
    # timeout), then run the app's shutdown. log_config=None keeps the JSON logging configured above.
    common: dict[str, Any] = dict(host=settings.host, port=settings.port, log_config=None, access_log=False,
                                     timeout_graceful_shutdown=int(settings.request_timeout_s) + 5,
                                     proxy_headers=False)
    if workers == 1:
        uvicorn.run(create_app(settings), **common)
        return 0
    return _run_workers(settings, workers, common)


def _run_workers(settings: Settings, workers: int, common: dict[str, Any]) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from app.reload_sync import RELOAD_FILE_ENV, ReloadGeneration

    run_dir = Path(tempfile.mkdtemp(prefix="legal-rag-serve-"))
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if metrics_dir:
        # prometheus_client's rule: the directory is wiped between runs, or old counters add up.
        for stale in Path(metrics_dir).glob("*.db"):
            stale.unlink()
    else:
        metrics_dir = str(run_dir / "metrics")
        Path(metrics_dir).mkdir()
    generation = ReloadGeneration(run_dir / "reload-generation")
    generation.path.write_text("0", encoding="ascii")
    # The workers are fresh interpreters (spawned): everything they must agree on goes through the environment.
    os.environ.update({
        "LEGAL_RAG_INDEX_DIR": str(settings.index_dir),
        "LEGAL_RAG_HOST": str(settings.host),
        "LEGAL_RAG_PORT": str(settings.port),
        "LEGAL_RAG_LOG_LEVEL": str(settings.log_level),
        # One secret for all workers: a form rendered by one worker is posted to another.
        "LEGAL_RAG_CSRF_SECRET": str(settings.csrf_secret),
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        RELOAD_FILE_ENV: str(generation.path),
    })

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, with SIGHUP meaning "reload the index" (uvicorn's own meaning is "restart
        the workers", which would drop every worker's warm tokenizer) and dead workers' live gauges dropped."""

        def handle_hup(self) -> None:
            log.info("SIGHUP: reload generation %d", generation.bump())

        def keep_subprocess_alive(self) -> None:
            before = {p.pid for p in self.processes}
            super().keep_subprocess_alive()
            _mark_dead(before - {p.pid for p in self.processes})

    config = uvicorn.Config("app.cli_serve:worker_app", factory=True, workers=workers,
                            timeout_worker_healthcheck=60, **common)
    log.info("serving with %d worker processes on %s:%s", workers, config.host, config.port)
    supervisor = Supervisor(config, sockets=[config.bind_socket()])
    try:
        supervisor.run()
    finally:
        _mark_dead({p.pid for p in supervisor.processes})
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0


def _mark_dead(pids: set[int | None]) -> None:
    from prometheus_client import multiprocess

    for pid in pids:
        if pid is not None:
            multiprocess.mark_process_dead(pid)
