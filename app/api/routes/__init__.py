"""One router per area: answer (questions, the web form), search, laws (statute list, one article), ops
(health, readiness, metrics, docs, admin reload)."""

from app.api.routes import answer, laws, ops, search

__all__ = ["answer", "laws", "ops", "search"]
