"""Logging: JSON lines on stderr, each carrying the id of the request being served.

The request id lives in a context variable set by the middleware (app.middleware), so a log call anywhere
below a route (engine, generator) is tagged without passing the id around.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Any

from app.settings import Settings
from legal_rag.logs import quiet_third_party_logs

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


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
    quiet_third_party_logs()  # serve's worker processes configure logging here, not through the CLI
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
