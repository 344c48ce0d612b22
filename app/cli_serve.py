"""`legal-rag serve`: the web service under uvicorn (JSON logs, graceful shutdown, SIGHUP reloads the index).

The index is verified before the server starts (exit 3 with a hint to run `legal-rag ingest` when it is
missing or fails verification); --allow-unready starts anyway, with /readyz 503 until a good index is
published and loaded (SIGHUP or POST /api/admin/reload).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_INDEX = 3


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=None, help="index directory (default $LEGAL_RAG_INDEX_DIR or "
                                                             "index/default)")
    p.add_argument("--host", default=None, help="bind address (default $LEGAL_RAG_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default $LEGAL_RAG_PORT or 8000)")
    p.add_argument("--allow-unready", action="store_true",
                   help="start even when the index is missing or fails verification (/readyz stays 503)")
    p.add_argument("--log-level", default=None, help="INFO, DEBUG, … (default $LEGAL_RAG_LOG_LEVEL or INFO)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from app.service import INGEST_HINT, configure_logging, create_app
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
    configure_logging(settings, root=True)
    app = create_app(settings)
    # uvicorn handles SIGINT/SIGTERM: stop accepting, let in-flight requests finish (bounded by the request
    # timeout), then run the app's shutdown. log_config=None keeps the JSON logging configured above.
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=int(settings.request_timeout_s) + 5, proxy_headers=False)
    return 0
