"""A request that times out or whose client leaves stops its generation (the request's stop event is set and
reaches the backend), and the hf backend ends generation when it is set."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

pytest.register_assert_rewrite("index_fixture")

from index_fixture import ServiceIndex, make_settings, start_server, wait_ready  # noqa: E402

from app.generation.cancel import current_cancel  # noqa: E402
from app.service import create_app  # noqa: E402

pytest_plugins = ("index_fixture",)


class StoppableGenerator:
    """Test scaffolding: a model that generates until the request's stop event is set (or 60 s pass)."""

    name = "stoppable-fake"
    max_new_tokens = 16
    context_window = 100_000

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = threading.Event()  # set when the request's stop signal reached the generation

    def count_tokens(self, text: str) -> int:
        return len(text)

    def _run(self) -> None:
        stop = current_cancel()
        self.started.set()
        if stop is not None and stop.wait(60):
            self.stopped.set()

    def generate(self, prompt) -> str:  # noqa: ANN001
        self._run()
        return "중단된 답변"

    def stream(self, prompt) -> Iterator[str]:  # noqa: ANN001
        yield "첫 조각 "
        self._run()
        yield "중단된 답변"


def test_timeout_sets_the_stop_event_of_the_generation(service_index: ServiceIndex) -> None:
    gen = StoppableGenerator()
    app = create_app(make_settings(service_index.index, warmup=False, request_timeout_s=0.5), generator=gen)
    with TestClient(app) as c:
        wait_ready(c)
        r = c.post("/api/ask", json={"question": "「민법」 제54조"})
        assert r.status_code == 504 and r.json()["error"] == "timeout"
        assert gen.stopped.wait(30)  # the model was told to stop, not left generating


@pytest.fixture()
def live(service_index: ServiceIndex) -> Iterator[tuple[str, StoppableGenerator]]:
    gen = StoppableGenerator()
    app = create_app(make_settings(service_index.index, warmup=False, request_timeout_s=120), generator=gen)
    server = start_server(app, ready_timeout=120)
    yield server.base, gen
    server.stop()


def test_client_disconnect_stops_a_plain_answer(live: tuple[str, StoppableGenerator]) -> None:
    base, gen = live

    def ask() -> None:
        with pytest.raises(httpx.HTTPError):  # the client gives up and closes its connection
            httpx.post(f"{base}/api/ask", json={"question": "「민법」 제54조"}, timeout=3)

    t = threading.Thread(target=ask)
    t.start()
    assert gen.started.wait(60)
    t.join(60)
    assert gen.stopped.wait(30)


def test_client_disconnect_stops_a_streamed_answer(live: tuple[str, StoppableGenerator]) -> None:
    base, gen = live
    with httpx.stream("POST", f"{base}/api/ask/stream", json={"question": "「민법」 제54조"}, timeout=60) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: 첫 조각"):
                break  # leave after the first piece: the connection closes
    assert gen.started.wait(60)
    assert gen.stopped.wait(30)


def test_hf_generation_ends_when_the_request_stop_is_set() -> None:
    """The hf backend's stopping criteria read the request's stop event (see test_generation_hf for models)."""
    from app.generation.cancel import AnyEvent, cancel_scope

    own, request = threading.Event(), threading.Event()
    with cancel_scope(request):
        stop = AnyEvent(own, current_cancel())
    assert not stop.is_set()
    request.set()
    assert stop.is_set()
    assert current_cancel() is None  # the scope ended with the block
