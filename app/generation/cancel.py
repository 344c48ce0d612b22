"""The stop signal of the request a generation runs for.

A request that times out (504) or whose client disconnects must end its model's generation, not leave it
running on the GPU for minutes. The route creates a `threading.Event`, the service sets it on timeout or
disconnect, and the worker thread runs the answer inside `cancel_scope(event)`; backends read
`current_cancel()` where they generate: the hf backend's stopping criteria check it at every token, the
OpenAI-compatible backend between streamed chunks (closing the connection makes vLLM abort the request).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def cancel_scope(event: threading.Event | None) -> Iterator[None]:
    """Generations started in this thread inside the block stop when `event` is set."""
    previous = getattr(_local, "event", None)
    _local.event = event
    try:
        yield
    finally:
        _local.event = previous


def current_cancel() -> threading.Event | None:
    """The stop signal of the request this thread works for, if any."""
    event = getattr(_local, "event", None)
    return event if isinstance(event, threading.Event) else None


class AnyEvent:
    """Set when any of its events is set (a backend's own stop plus the request's)."""

    def __init__(self, *events: threading.Event | None) -> None:
        self.events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)

    def set(self) -> None:
        if self.events:
            self.events[0].set()
