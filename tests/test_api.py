"""JSON contract of every endpoint, against a real small index built from the shared corpus."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytest.register_assert_rewrite("index_fixture")

from index_fixture import (  # noqa: E402
    ACCOUNTANT_QUESTION,
    ADMIN_TOKEN,
    AS_OF,
    LIVE_LABOR_EFFECTIVE,
    LIVE_LABOR_MST,
    OLD_LABOR_EFFECTIVE,
    OLD_LABOR_MST,
    OLD_VERSION_MARK,
    SEED_ARTICLES,
    SEED_QUESTION,
    SEED_TEXT,
    ServiceIndex,
)

from app.schemas import SCHEMA_VERSION, AskResponse, SearchResponse  # noqa: E402
from app.service import ArticleResponse, ErrorResponse, LawsResponse, ReadyResponse  # noqa: E402

pytest_plugins = ("index_fixture",)

HANGUL = re.compile(r"[가-힣]")
LATIN = re.compile(r"[A-Za-z]{3,}")


def bilingual(message: str) -> bool:
    return bool(HANGUL.search(message)) and bool(LATIN.search(message))


def parse_sse(body: str) -> list[tuple[str, str]]:
    """(event, data) pairs of a server-sent-event body, data lines joined with \\n as browsers do."""
    events = []
    for block in body.split("\n\n"):
        name, data = "message", []
        lines = [ln for ln in block.split("\n") if ln and not ln.startswith(":")]
        if not lines:
            continue
        for line in lines:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        events.append((name, "\n".join(data)))
    return events


# ---------------------------------------------------------------------------------------------- ops


def test_healthz_and_readyz(client, service_index: ServiceIndex) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    ready = ReadyResponse.model_validate(r.json())
    assert ready.status == "ready" and ready.index is not None
    assert ready.index["build_id"] == service_index.build_id
    assert ready.index["verified"] is True
    assert ready.index["statutes"] == 13 and ready.index["articles"] > 2000
    assert ready.generator == "extractive"


def test_request_id_is_echoed_or_made(client) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "req-123.abc"})
    assert r.headers["x-request-id"] == "req-123.abc"
    r = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces<>"})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    r = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    # Error bodies carry the same id, so a user's report can be found in the logs.
    r = client.post("/api/ask", json={"question": ""}, headers={"X-Request-ID": "trace-422"})
    assert r.json()["request_id"] == "trace-422"


def test_openapi_and_docs(client) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/ask", "/api/ask/stream", "/api/search", "/api/laws", "/api/laws/{law}/articles/{article}",
                 "/api/admin/reload", "/healthz", "/readyz", "/metrics"):
        assert path in spec["paths"], path
    assert "422" in spec["paths"]["/api/search"]["get"]["responses"]
    r = client.get("/docs")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "/api/ask" in r.text and "/openapi.json" in r.text


def test_metrics_exposition(client, service_index: ServiceIndex) -> None:
    client.get("/api/search", params={"q": "민법 제54조"})
    client.get("/api/search", params={"q": "민법 제54조", "top_k": 0})
    text = client.get("/metrics").text
    # prometheus_client writes labels in name order and values as floats (1.0).
    assert 'legal_rag_http_requests_total{method="GET",route="/api/search",status="200"}' in text
    assert 'legal_rag_http_requests_total{method="GET",route="/api/search",status="422"}' in text
    assert re.search(r'legal_rag_http_request_duration_seconds_bucket\{le="\+Inf",route="/api/search"\} \d+', text)
    assert re.search(r"^legal_rag_generation_queue_depth 0(\.0)?$", text, re.M)
    assert f'legal_rag_index_info{{build_id="{service_index.build_id}"}} 1' in text
    assert re.search(r"^legal_rag_index_ready 1(\.0)?$", text, re.M)


# ---------------------------------------------------------------------------------------------- search


def test_seed_question_search_returns_exactly_the_four_articles(client) -> None:
    r = client.get("/api/search", params={"q": SEED_QUESTION, "as_of": AS_OF})
    assert r.status_code == 200
    resp = SearchResponse.model_validate(r.json())
    assert resp.schema_version == SCHEMA_VERSION and resp.as_of == AS_OF
    assert {(h.law, h.article) for h in resp.hits} == SEED_ARTICLES
    assert len(resp.hits) == 4
    for h in resp.hits:
        assert h.source == "citation"
        assert SEED_TEXT[(h.law, h.article)] in h.text
        assert h.url.startswith("https://www.law.go.kr/")
    assert [c.status for c in resp.citations] == ["resolved"] * 4
    nhis = next(h for h in resp.hits if h.law == "국민건강보험법")
    # 국민건강보험법's only version in the corpus takes effect 2026-12-24: shown, flagged as pending.
    assert nhis.pending and nhis.effective == "2026-12-24" and "시행 예정" in nhis.note
    assert [h.rank for h in resp.hits] == [1, 2, 3, 4]


def test_accountant_question_ranks_vat_articles_first(client) -> None:
    r = client.get("/api/search", params={"q": ACCOUNTANT_QUESTION, "top_k": 5, "as_of": AS_OF})
    assert r.status_code == 200
    hits = SearchResponse.model_validate(r.json()).hits
    assert len(hits) == 5
    assert all(h.law in {"부가가치세법", "부가가치세법 시행령"} for h in hits[:3]), [(h.law, h.article) for h in hits]
    # 제49조 (확정신고와 납부) holds the 폐업 deadline: 폐업일이 속한 달의 다음 달 25일.
    assert ("부가가치세법", "제49조") in {(h.law, h.article) for h in hits}
    assert all(h.score > 0 for h in hits) and [h.rank for h in hits] == [1, 2, 3, 4, 5]


def test_search_law_filter(client) -> None:
    r = client.get("/api/search", params={"q": "해고 예고", "law": "근기법", "top_k": 5, "as_of": AS_OF})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert hits and all(h["law"] == "근로기준법" for h in hits)


def test_unknown_law_filter_is_422_with_suggestions(client) -> None:
    r = client.get("/api/search", params={"q": "해고", "law": "근로기준볍"})
    assert r.status_code == 422
    body = ErrorResponse.model_validate(r.json())
    assert body.error == "unknown_law" and body.law == "근로기준볍"
    assert "근로기준법" in body.suggestions and bilingual(body.message)
    r = client.post("/api/ask", json={"question": "해고 예고", "laws": ["민볍"]})
    assert r.status_code == 422 and "민법" in r.json()["suggestions"]
    r = client.post("/api/ask/stream", json={"question": "해고 예고", "laws": ["민볍"]})
    assert r.status_code == 422 and r.json()["error"] == "unknown_law"


def test_unknown_article_is_reported(client) -> None:
    r = client.get("/api/search", params={"q": "민법 제9999조", "as_of": AS_OF})
    assert r.status_code == 200
    resp = SearchResponse.model_validate(r.json())
    [c] = resp.citations
    assert c.status == "not_found" and c.law == "민법" and c.article == "제9999조" and c.hit is None
    assert c.message and c.suggestions  # nearest existing articles
    r = client.post("/api/ask", json={"question": "「민법」 제9999조의 내용은?", "as_of": AS_OF})
    assert r.status_code == 200
    ask = AskResponse.model_validate(r.json())
    missing = [c for c in ask.citations if c.status == "not_found"]
    assert [(c.law, c.article) for c in missing] == [("민법", "제9999조")]
    assert all(c.hit is None for c in missing)


def test_search_validation_422(client) -> None:
    cases = [
        {"q": ""}, {"q": "   "}, {"q": "가" * 2001}, {"q": "민법", "top_k": 0}, {"q": "민법", "top_k": 51},
        {"q": "민법", "top_k": "many"}, {"q": "민법", "as_of": "2024-13-45"}, {"q": "민법", "as_of": "2024/01/01"},
        {"q": "민법", "as_of": "0000-01-01"}, {},
    ]
    for params in cases:
        r = client.get("/api/search", params=params)
        assert r.status_code == 422, params
        body = ErrorResponse.model_validate(r.json())
        assert body.error == "validation_error" and bilingual(body.message), (params, body.message)


def test_huge_article_number_is_not_a_server_error(client) -> None:
    r = client.get("/api/search", params={"q": "민법 제99999999999999999999조"})
    assert r.status_code in (200, 422)
    r = client.get("/api/laws/민법/articles/제99999999999999999999조")
    assert r.status_code == 422


# ---------------------------------------------------------------------------------------------- versions


@pytest.mark.parametrize(("as_of", "mst", "effective", "pending", "marked"), [
    ("2024-12-31", OLD_LABOR_MST, OLD_LABOR_EFFECTIVE, True, True),  # before both: earliest, flagged pending
    (OLD_LABOR_EFFECTIVE, OLD_LABOR_MST, OLD_LABOR_EFFECTIVE, False, True),
    ("2026-12-31", OLD_LABOR_MST, OLD_LABOR_EFFECTIVE, False, True),  # the day before the new version
    (LIVE_LABOR_EFFECTIVE, LIVE_LABOR_MST, LIVE_LABOR_EFFECTIVE, False, False),
    ("2030-01-01", LIVE_LABOR_MST, LIVE_LABOR_EFFECTIVE, False, False),
])
def test_as_of_picks_the_labor_act_version(client, as_of, mst, effective, pending, marked) -> None:
    r = client.get("/api/laws/근로기준법/articles/제1조", params={"as_of": as_of})
    assert r.status_code == 200
    resp = ArticleResponse.model_validate(r.json())
    art = resp.article
    assert resp.as_of == as_of
    assert art.doc_id == f"{mst}:제1조" and art.effective == effective and art.pending is pending
    assert (OLD_VERSION_MARK in art.text) is marked
    # The same through search: the cited 해고 article comes from the version in force (never the 1997 stub).
    s = client.get("/api/search", params={"q": "근로기준법 제23조", "as_of": as_of}).json()
    assert s["hits"][0]["doc_id"] == f"{mst}:제23조"
    assert "해고" in s["hits"][0]["title"] + s["hits"][0]["text"]


def test_laws_list(client) -> None:
    r = client.get("/api/laws", params={"as_of": AS_OF})
    assert r.status_code == 200
    resp = LawsResponse.model_validate(r.json())
    titles = [x.law for x in resp.laws]
    assert {"민법", "국민건강보험법", "국민건강보험법 시행령", "약관의 규제에 관한 법률", "근로기준법", "부가가치세법",
            "부가가치세법 시행령"} <= set(titles)
    assert titles.count("근로기준법") == 1  # the 1997 repeal stub is not listed as a law
    labor = next(x for x in resp.laws if x.law == "근로기준법")
    assert labor.effective == OLD_LABOR_EFFECTIVE and not labor.pending
    nhis = next(x for x in resp.laws if x.law == "국민건강보험법")
    assert nhis.pending and nhis.effective == "2026-12-24"
    assert nhis.status == "시행 예정" and labor.status == "시행"  # `pending` and `status` agree
    assert client.get("/api/laws", params={"as_of": "2026-02-30"}).status_code == 422


def test_article_route_errors(client) -> None:
    r = client.get("/api/laws/민법/articles/제54조", params={"as_of": AS_OF})
    assert r.status_code == 200 and SEED_TEXT[("민법", "제54조")] in r.json()["article"]["text"]
    r = client.get("/api/laws/약관규제법/articles/5", params={"as_of": AS_OF})  # abbreviation, bare number
    assert r.status_code == 200 and r.json()["article"]["law"] == "약관의 규제에 관한 법률"
    r = client.get("/api/laws/민법/articles/제9999조")
    assert r.status_code == 404
    body = ErrorResponse.model_validate(r.json())
    assert body.error == "not_found" and bilingual(body.message)
    r = client.get("/api/laws/민볍/articles/제54조")
    assert r.status_code == 404
    body = ErrorResponse.model_validate(r.json())
    assert body.error == "unknown_law" and "민법" in body.suggestions
    r = client.get("/api/laws/민법/articles/오십사")
    assert r.status_code == 422 and bilingual(r.json()["message"])


# ---------------------------------------------------------------------------------------------- answers


def test_seed_question_ask_returns_the_four_articles_verified(client) -> None:
    r = client.post("/api/ask", json={"question": SEED_QUESTION + " 답변:", "as_of": AS_OF})
    assert r.status_code == 200
    resp = AskResponse.model_validate(r.json())
    assert resp.schema_version == SCHEMA_VERSION
    assert resp.generator == "extractive" and resp.answer.startswith("[발췌 답변]")
    assert {(h.law, h.article) for h in resp.hits} == SEED_ARTICLES and len(resp.hits) == 4
    for law, article in SEED_ARTICLES:
        assert f"「{law}」 {article}" in resp.answer
    shown = {(c.law, c.article) for c in resp.citations if c.hit is not None}
    assert shown == SEED_ARTICLES
    for c in resp.citations:
        assert c.status == "verified", c
        assert c.hit is not None and SEED_TEXT[(c.law, c.article)] in c.hit.text
        assert c.hit.url.startswith("https://www.law.go.kr/") and c.hit.effective
    assert {"search_ms", "generation_ms", "total_ms"} <= set(resp.timings_ms)


def test_ask_validation_422(client) -> None:
    bad = [
        {"question": ""}, {"question": " \n "}, {"question": "가" * 2001}, {"question": "민법", "top_k": 0},
        {"question": "민법", "top_k": 51}, {"question": "민법", "as_of": "2024-02-30"},
        {"question": "민법", "as_of": "yesterday"}, {"question": "민법", "laws": ["민법"] * 21}, {},
        {"question": 5},
    ]
    for body in bad:
        for path in ("/api/ask", "/api/ask/stream"):
            r = client.post(path, json=body)
            assert r.status_code == 422, (path, body, r.text[:200])
            err = ErrorResponse.model_validate(r.json())
            assert bilingual(err.message), err.message
    r = client.post("/api/ask", json={"question": ""})
    assert "질문을 입력하십시오" in r.json()["message"] and "empty" in r.json()["message"]
    r = client.post("/api/ask", json={"question": "가" * 2001})
    assert "2000" in r.json()["message"] and "too long" in r.json()["message"]
    r = client.post("/api/ask", content=b"not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_stream_sends_tokens_then_the_response(client) -> None:
    r = client.post("/api/ask/stream", json={"question": "「민법」 제54조의 뜻은?", "as_of": AS_OF})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    names = [e for e, _ in events]
    assert names[-1] == "done" and names.count("done") == 1 and set(names[:-1]) == {"token"}
    done = AskResponse.model_validate_json(events[-1][1])
    streamed = "".join(d for e, d in events if e == "token")
    assert streamed.rstrip() == done.answer
    assert ("민법", "제54조") in {(h.law, h.article) for h in done.hits}
    assert any(c.status == "verified" and c.article == "제54조" for c in done.citations)


def test_admin_reload_requires_the_token(client, service_index: ServiceIndex) -> None:
    r = client.post("/api/admin/reload")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = client.post("/api/admin/reload", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    r = client.post("/api/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 200
    assert r.json()["status"] == "reloaded" and r.json()["build_id"] == service_index.build_id
    assert client.get("/api/search", params={"q": "민법 제54조"}).status_code == 200


def test_generator_failure_falls_back_to_extractive(service_index: ServiceIndex) -> None:
    from fastapi.testclient import TestClient
    from index_fixture import make_settings, wait_ready

    from app.generation.base import GenerationError
    from app.service import create_app

    class Broken:
        name = "broken-model"
        max_new_tokens = 16
        context_window = 100_000

        def count_tokens(self, text: str) -> int:
            return len(text)

        def generate(self, prompt):  # noqa: ANN001
            raise GenerationError("model server down")

        def stream(self, prompt):  # noqa: ANN001
            raise GenerationError("model server down")
            yield ""  # pragma: no cover

    app = create_app(make_settings(service_index.index, warmup=False), generator=Broken())
    with TestClient(app) as c:
        wait_ready(c)
        r = c.post("/api/ask", json={"question": "「민법」 제54조", "as_of": AS_OF})
        assert r.status_code == 200
        assert r.json()["generator"] == "extractive (fallback: broken-model failed)"
        assert r.json()["answer"].startswith("[발췌 답변]")
        events = parse_sse(c.post("/api/ask/stream", json={"question": "「민법」 제54조"}).text)
        assert events[-1][0] == "done"
        assert json.loads(events[-1][1])["generator"].startswith("extractive (fallback")


# ---------------------------------------------------------------------------------------------- CLI


def _cli(*argv: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "legal_rag.cli", *argv], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).resolve().parents[1])
    return proc.returncode, proc.stdout, proc.stderr


def test_cli_search_and_ask(service_index: ServiceIndex, tmp_path: Path) -> None:
    code, out, err = _cli("search", "--index", str(service_index.index), "--json", "--as-of", AS_OF, SEED_QUESTION)
    assert code == 0, err
    data = json.loads(out)
    assert data["schema_version"] == SCHEMA_VERSION
    assert {(h["law"], h["article"]) for h in data["hits"]} == SEED_ARTICLES
    code, out, err = _cli("search", "--index", str(service_index.index), "--top-k", "3", "--as-of", AS_OF,
                          ACCOUNTANT_QUESTION)
    assert code == 0 and "「부가가치세법」" in out.splitlines()[1]
    code, out, err = _cli("search", "--index", str(service_index.index), "--law", "민볍", "해고")
    assert code == 1 and "민법" in err
    code, out, err = _cli("ask", "--index", str(service_index.index), "--json", "--as-of", AS_OF, "「민법」 제54조")
    assert code == 0, err
    data = json.loads(out)
    assert data["schema_version"] == SCHEMA_VERSION and data["generator"] == "extractive"
    assert any(c["status"] == "verified" and c["article"] == "제54조" for c in data["citations"])
    code, out, err = _cli("ask", "--index", str(service_index.index), "--as-of", AS_OF, "「민법」 제54조")
    assert code == 0 and "[발췌 답변]" in out and "근거 조문" in out and "「민법」 제54조" in out


def test_cli_exit_3_on_missing_or_tampered_index(service_index: ServiceIndex, tmp_path: Path) -> None:
    from index_fixture import copy_index

    for cmd in ("search", "ask", "serve"):
        code, _, err = _cli(cmd, "--index", str(tmp_path / "nothing-here"), *(["x"] if cmd != "serve" else []))
        assert code == 3 and "legal-rag ingest" in err, (cmd, err)
    bad = copy_index(service_index.index, tmp_path)
    data = bytearray((bad / "bm25_counts.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (bad / "bm25_counts.npz").write_bytes(bytes(data))
    for cmd in ("search", "ask", "serve"):
        code, _, err = _cli(cmd, "--index", str(bad), *(["x"] if cmd != "serve" else []))
        assert code == 3 and "legal-rag ingest" in err and "checksum" in err, (cmd, err)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_reloads_on_sighup_and_stops_gracefully(service_index: ServiceIndex, tmp_path: Path) -> None:
    """`legal-rag serve` as a real process: SIGHUP swaps in a rebuilt index, SIGTERM exits cleanly."""
    from index_fixture import copy_index

    a = copy_index(service_index.index, tmp_path / "a")
    b = copy_index(service_index.index, tmp_path / "b")
    manifest = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    manifest["build_id"] = "rebuilt-b"  # the manifest is not part of its own checksums
    (b / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    link = tmp_path / "current"
    link.symlink_to(a)
    port = _free_port()
    env = {**os.environ, "LEGAL_RAG_WARMUP": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "legal_rag.cli", "serve", "--index", str(link), "--port",
                             str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    base = f"http://127.0.0.1:{port}"

    def build_id() -> str | None:
        try:
            r = httpx.get(f"{base}/readyz", timeout=5)
        except httpx.HTTPError:
            return None
        return r.json()["index"]["build_id"] if r.status_code == 200 else None

    try:
        deadline = time.monotonic() + 600  # a wait bound, not a speed target: loading is slow on a busy 2-core box
        while build_id() is None:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "serve never became ready"
            time.sleep(0.2)
        assert build_id() == service_index.build_id
        tmp = tmp_path / "current.tmp"
        tmp.symlink_to(b)
        os.replace(tmp, link)  # publish the rebuilt index atomically, as ingest does
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        while build_id() != "rebuilt-b":
            assert time.monotonic() < deadline, "SIGHUP did not reload"
            time.sleep(0.2)
        assert httpx.get(f"{base}/api/search", params={"q": "민법 제54조"}, timeout=60).status_code == 200
        proc.send_signal(signal.SIGTERM)
        # uvicorn finishes in-flight requests and the app's shutdown, then re-raises the signal so that a
        # process manager sees how the process ended: exit status -SIGTERM after a clean shutdown.
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    logs = proc.stderr.read() if proc.stderr else ""
    lines = [json.loads(ln) for ln in logs.splitlines() if ln.startswith("{")]
    assert any(x.get("logger") == "legal_rag.access" and x.get("route") == "/api/search" for x in lines)
    assert all("request_id" in x for x in lines)
    messages = [x.get("msg", "") for x in lines]
    assert "Application shutdown complete." in messages, messages[-5:]
