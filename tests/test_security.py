"""CSRF, escaping, security headers, index integrity at load and reload, overload and timeouts."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

pytest.register_assert_rewrite("index_fixture")

from index_fixture import (  # noqa: E402
    ADMIN_TOKEN,
    AS_OF,
    SCRIPT_LAW,
    SCRIPT_PAYLOAD,
    ServiceIndex,
    copy_index,
    make_settings,
    start_server,
    wait_ready,
)

from app.service import create_app  # noqa: E402
from app.web import CSRF_COOKIE, CSRF_FIELD, issue_csrf  # noqa: E402

pytest_plugins = ("index_fixture",)

ESCAPED_PAYLOAD = "&lt;script&gt;alert(1)&lt;/script&gt;"


def token_of(page: str) -> str:
    m = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page)
    assert m
    return html.unescape(m.group(1))


# ---------------------------------------------------------------------------------------------- CSRF


def test_csrf_rejections(client, service_settings) -> None:
    def post(field: str | None, cookie: str | None):
        # A fresh client each time: no cookie jar carrying tokens between the cases.
        c = TestClient(client.app, client=("127.0.0.1", 50001))
        data = {"question": "민법 제54조", "as_of": AS_OF}
        if field is not None:
            data[CSRF_FIELD] = field
        headers = {"cookie": f"{CSRF_COOKIE}={cookie}"} if cookie is not None else {}
        return c.post("/ask", data=data, headers=headers)

    good = token_of(client.get("/").text)
    other = issue_csrf(service_settings.csrf_secret)  # validly signed, but not this browser's cookie
    forged = issue_csrf("some-other-secret-of-enough-length")
    tampered = good[:-2] + ("xx" if not good.endswith("xx") else "yy")
    for field, cookie in [(None, None), (good, None), (None, good), (other, good), (good, other),
                          (forged, forged), (tampered, tampered), ("", ""), ("a.b", "a.b")]:
        r = post(field, cookie)
        assert r.status_code == 403, (field, cookie)
        assert "보안 토큰이 없거나 올바르지 않아 요청을 거부했습니다" in r.text
        assert "「민법」 제54조(" not in r.text
    r = post(good, good)
    assert r.status_code == 200 and "「민법」 제54조(" in r.text


def test_csrf_cookie_attributes(client) -> None:
    r = client.get("/")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie


# ---------------------------------------------------------------------------------------------- escaping


def _post_form(client, question: str) -> str:
    page = client.get("/").text
    r = client.post("/ask", data={"question": question, "as_of": AS_OF, CSRF_FIELD: token_of(page)})
    assert r.status_code == 200, r.text[:500]
    return r.text


def test_script_in_the_question_is_escaped(client) -> None:
    page = _post_form(client, f"{SCRIPT_PAYLOAD} 「민법」 제54조 \"quoted\" & 'single'")
    assert SCRIPT_PAYLOAD not in page
    assert ESCAPED_PAYLOAD in page
    assert "&#34;quoted&#34; &amp; &#39;single&#39;" in page or "&quot;quoted&quot;" in page


def test_script_in_statute_text_is_escaped(client) -> None:
    # The JSON API returns the statute text as data (JSON string, served as application/json + nosniff).
    r = client.get(f"/api/laws/{SCRIPT_LAW}/articles/제1조", params={"as_of": AS_OF})
    assert r.status_code == 200 and SCRIPT_PAYLOAD in r.json()["article"]["text"]
    assert r.headers["content-type"] == "application/json"
    page = _post_form(client, f"{SCRIPT_LAW} 제1조")
    assert SCRIPT_PAYLOAD not in page
    assert ESCAPED_PAYLOAD in page  # in the answer quote and in the article's full text
    assert page.count(ESCAPED_PAYLOAD) >= 2
    # Rendered pages carry no script but the static file, no inline handlers, no inline styles.
    assert re.findall(r"<script\b[^>]*>", page) == ['<script src="/static/app.js" defer>']
    assert not re.search(r"\son[a-z]+\s*=", page, re.I)
    assert not re.search(r"\sstyle\s*=", page, re.I)


def test_error_page_escapes_law_names(client) -> None:
    page = client.get("/").text
    r = client.post("/ask", data={"question": "해고", "law": "<img src=x onerror=alert(1)>", "as_of": AS_OF,
                                  CSRF_FIELD: token_of(page)})
    assert r.status_code == 422
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text


# ---------------------------------------------------------------------------------------------- headers


def _check_headers(r: httpx.Response) -> None:
    csp = r.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "default-src 'self'" in csp
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("x-frame-options") == "DENY"
    assert r.headers.get("referrer-policy") == "no-referrer"
    assert r.headers.get("x-request-id")


def test_security_headers_on_every_response(client) -> None:
    page = client.get("/").text
    responses = [
        client.get("/"), client.get("/healthz"), client.get("/readyz"), client.get("/metrics"),
        client.get("/docs"), client.get("/openapi.json"), client.get("/static/app.js"),
        client.get("/static/style.css"), client.get("/no-such-page"), client.get("/api/search", params={"q": ""}),
        client.get("/api/search", params={"q": "민법 제54조"}), client.get("/api/laws"),
        client.get("/api/laws/민법/articles/제9999조"), client.post("/api/ask", json={"question": "민법 제54조"}),
        client.post("/api/ask/stream", json={"question": "민법 제54조"}), client.put("/api/ask"),
        client.post("/ask", data={"question": "x"}),
        client.post("/ask", data={"question": "민법 제54조", CSRF_FIELD: token_of(page)}),
        client.post("/api/admin/reload"),
    ]
    for r in responses:
        _check_headers(r)
    assert {r.status_code for r in responses} >= {200, 401, 403, 404, 405, 422}
    assert responses[0].headers["cache-control"] == "no-store"


# ---------------------------------------------------------------------------------------------- integrity


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["flip-bm25", "truncate-store", "delete-bm25", "no-index"])
def test_damaged_index_refuses_to_load_and_process_stays_up(service_index: ServiceIndex, tmp_path: Path,
                                                            damage: str) -> None:
    bad = copy_index(service_index.index, tmp_path)
    if damage == "flip-bm25":
        _flip_byte(bad / "bm25_counts.npz")
    elif damage == "truncate-store":
        from legal_rag.store import STORE_FILE

        store = bad / STORE_FILE
        store.write_bytes(store.read_bytes()[: store.stat().st_size // 2])
    elif damage == "delete-bm25":
        (bad / "bm25_counts.npz").unlink()
    else:
        bad = tmp_path / "missing"
    app = create_app(make_settings(bad, warmup=False))
    with TestClient(app) as c:
        deadline = time.monotonic() + 60
        while (r := c.get("/readyz")).json()["status"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert r.status_code == 503 and r.headers["retry-after"]
        body = r.json()
        assert body["status"] == "failed"
        assert "legal-rag ingest" in body["reason"]
        if damage in {"flip-bm25", "truncate-store"}:
            assert "checksum mismatch" in body["reason"]
        if damage == "delete-bm25":
            assert "missing ['bm25_counts.npz']" in body["reason"]
        # The process keeps serving: health, metrics, the form (with a notice), and clear 503s.
        assert c.get("/healthz").status_code == 200
        assert "legal_rag_index_ready 0" in c.get("/metrics").text
        page = c.get("/")
        assert page.status_code == 200 and "색인을 불러오는 중이거나 사용할 수 없습니다" in page.text
        r = c.get("/api/search", params={"q": "민법 제54조"})
        assert r.status_code == 503 and r.json()["error"] == "not_ready" and r.headers["retry-after"]
        assert c.post("/api/ask", json={"question": "민법 제54조"}).status_code == 503
        assert c.post("/api/ask/stream", json={"question": "민법 제54조"}).status_code == 503


def test_reload_swaps_atomically_while_serving(service_index: ServiceIndex, tmp_path: Path) -> None:
    a = copy_index(service_index.index, tmp_path / "a")
    b = copy_index(service_index.index, tmp_path / "b")
    manifest = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    manifest["build_id"] = "rebuilt-b"
    (b / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    bad = copy_index(service_index.index, tmp_path / "bad")
    _flip_byte(bad / "bm25_counts.npz")
    link = tmp_path / "default"
    link.symlink_to(a)

    def point(target: Path) -> None:
        tmp = tmp_path / "default.tmp"
        tmp.symlink_to(target)
        tmp.replace(link)

    app = create_app(make_settings(link, warmup=False, admin_token=ADMIN_TOKEN))
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(app, client=("127.0.0.1", 50002)) as c:
        assert wait_ready(c)["index"]["build_id"] == service_index.build_id
        # a reverse proxy on the same host makes every client loopback: loopback alone is not enough
        assert c.post("/api/admin/reload").status_code == 401
        assert TestClient(app, client=("203.0.113.9", 1)).post("/api/admin/reload").status_code == 401
        c.get("/api/search", params={"q": "해고 예고"})  # the search thread's tokenizer loads here
        stop = threading.Event()
        statuses: list[int] = []
        builds: list[str] = []

        def hammer() -> None:
            while not stop.is_set():
                r = c.get("/api/search", params={"q": "「민법」 제54조 해고 예고", "top_k": 3})
                statuses.append(r.status_code)
                builds.append(c.get("/readyz").json()["index"]["build_id"])

        def served(n: int, build: str) -> None:
            """Wait until `n` more searches were answered while `build` was serving."""
            deadline = time.monotonic() + 60
            start = builds.count(build)
            while builds.count(build) < start + n:
                assert time.monotonic() < deadline, (build, statuses[-5:])
                time.sleep(0.02)

        workers = [threading.Thread(target=hammer) for _ in range(3)]
        for w in workers:
            w.start()
        try:
            served(5, service_index.build_id)
            point(b)
            r = c.post("/api/admin/reload", headers=admin)
            assert r.status_code == 200, r.text
            assert r.json() == {"schema_version": 1, "status": "reloaded", "build_id": "rebuilt-b",
                                "previous_build_id": service_index.build_id, "reason": None}
            served(5, "rebuilt-b")
            point(bad)  # a broken rebuild is refused; the good one keeps answering
            r = c.post("/api/admin/reload", headers=admin)
            assert r.status_code == 409 and r.json()["status"] == "failed"
            assert "checksum mismatch" in r.json()["reason"] and r.json()["build_id"] == "rebuilt-b"
            served(5, "rebuilt-b")
        finally:
            stop.set()
            for w in workers:
                w.join()
        assert statuses and set(statuses) == {200}, sorted(set(statuses))
        assert set(builds) == {service_index.build_id, "rebuilt-b"}
        ready = c.get("/readyz").json()
        assert ready["status"] == "ready" and ready["index"]["build_id"] == "rebuilt-b"
        metrics = c.get("/metrics").text
        assert 'legal_rag_index_info{build_id="rebuilt-b"} 1' in metrics
        assert 'legal_rag_index_reloads_total{outcome="failed"} 1' in metrics
        # The replaced engine was closed once its last request finished.
        holder = app.state.service.holder
        assert holder.current.refs == 0


# ---------------------------------------------------------------------------------------------- load


class SlowGenerator:
    """Test scaffolding: a generator that holds its slot until the test lets it go."""

    name = "slow-fake"
    max_new_tokens = 16
    context_window = 100_000

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()

    def count_tokens(self, text: str) -> int:
        return len(text)

    def generate(self, prompt) -> str:  # noqa: ANN001
        self.started.release()
        assert self.release.wait(60)
        return "느린 답변 「민법」 제54조"

    def stream(self, prompt) -> Iterator[str]:  # noqa: ANN001
        yield self.generate(prompt)


@pytest.fixture()
def slow_app(service_index: ServiceIndex) -> Iterator[tuple[TestClient, SlowGenerator]]:
    gen = SlowGenerator()
    app = create_app(make_settings(service_index.index, warmup=False, generation_concurrency=1,
                                   generation_queue=1, retry_after_s=7, request_timeout_s=30), generator=gen)
    with TestClient(app) as c:
        wait_ready(c)
        yield c, gen
        gen.release.set()


def test_overload_answers_503_with_retry_after(slow_app) -> None:
    c, gen = slow_app
    results: list[tuple[int, str]] = []

    def ask() -> None:
        r = c.post("/api/ask", json={"question": "「민법」 제54조", "as_of": AS_OF})
        results.append((r.status_code, r.json().get("generator", "")))

    first = threading.Thread(target=ask)
    first.start()
    assert gen.started.acquire(timeout=60)  # one answer generating
    second = threading.Thread(target=ask)
    second.start()
    deadline = time.monotonic() + 30
    while "legal_rag_generation_queue_depth 1" not in c.get("/metrics").text:  # one waiting
        assert time.monotonic() < deadline
        time.sleep(0.02)
    for path in ("/api/ask", "/api/ask/stream"):
        r = c.post(path, json={"question": "「민법」 제54조"})
        assert r.status_code == 503 and r.headers["retry-after"] == "7"
        assert r.json()["error"] == "overloaded" and "잠시 후" in r.json()["message"]
    page = c.get("/").text
    r = c.post("/ask", data={"question": "민법 제54조", CSRF_FIELD: token_of(page)})
    assert r.status_code == 503 and r.headers["retry-after"] == "7" and "잠시 후 다시 시도" in r.text
    # Search does not queue behind generation.
    assert c.get("/api/search", params={"q": "민법 제54조"}).status_code == 200
    gen.release.set()
    first.join(60)
    second.join(60)
    assert results == [(200, "slow-fake"), (200, "slow-fake")]
    assert "legal_rag_generation_rejected_total 3" in c.get("/metrics").text
    assert c.post("/api/ask", json={"question": "「민법」 제54조"}).status_code == 200


def test_timeout_is_504_and_the_slot_is_held_until_generation_ends(service_index: ServiceIndex) -> None:
    gen = SlowGenerator()
    app = create_app(make_settings(service_index.index, warmup=False, generation_concurrency=1,
                                   generation_queue=0, request_timeout_s=0.5), generator=gen)
    with TestClient(app) as c:
        wait_ready(c)
        r = c.post("/api/ask", json={"question": "「민법」 제54조"})
        assert r.status_code == 504 and r.json()["error"] == "timeout" and "시간" in r.json()["message"]
        # The timed-out generation still runs: its slot is not handed to another request.
        r = c.post("/api/ask", json={"question": "「민법」 제54조"})
        assert r.status_code == 503 and r.json()["error"] == "overloaded"
        gen.release.set()
        deadline = time.monotonic() + 30
        while "legal_rag_generation_in_progress 0" not in c.get("/metrics").text:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        r = c.post("/api/ask", json={"question": "「민법」 제54조"})
        assert r.status_code == 200 and r.json()["generator"] == "slow-fake"
        assert "legal_rag_request_timeouts_total 1" in c.get("/metrics").text


def test_graceful_shutdown_finishes_in_flight_requests(service_index: ServiceIndex) -> None:
    """uvicorn's shutdown (what SIGTERM triggers) lets a running answer complete."""
    gen = SlowGenerator()
    app = create_app(make_settings(service_index.index, warmup=False), generator=gen)
    live = start_server(app, ready_timeout=60, timeout_graceful_shutdown=30)
    base, server, thread = live.base, live.server, live.thread
    result: dict[str, object] = {}

    def ask() -> None:
        r = httpx.post(f"{base}/api/ask", json={"question": "「민법」 제54조"}, timeout=60)
        result["status"] = r.status_code
        result["generator"] = r.json()["generator"]

    t = threading.Thread(target=ask)
    t.start()
    assert gen.started.acquire(timeout=60)
    server.should_exit = True  # what uvicorn's SIGTERM handler sets
    time.sleep(0.5)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{base}/healthz", timeout=2)  # no new connections while draining
    gen.release.set()
    t.join(60)
    thread.join(60)
    assert result == {"status": 200, "generator": "slow-fake"}
    assert not thread.is_alive()


def test_admin_routes_are_off_without_a_token_even_from_loopback(service_index: ServiceIndex) -> None:
    app = create_app(make_settings(service_index.index, warmup=False))  # no LEGAL_RAG_ADMIN_TOKEN
    with TestClient(app, client=("127.0.0.1", 50003)) as c:
        wait_ready(c)
        r = c.post("/api/admin/reload")
        assert r.status_code == 403 and "LEGAL_RAG_ADMIN_TOKEN" in r.json()["message"]
        assert "SIGHUP" in r.json()["message"]
