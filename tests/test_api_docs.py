"""/docs and /openapi.json show a request and a response example for every endpoint (real statute text)."""

from __future__ import annotations

import html

pytest_plugins = ("index_fixture",)

JSON_BODY_PATHS = {"/api/ask", "/api/ask/stream"}


def test_every_endpoint_has_a_response_example(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            ok = op["responses"].get("200", {})
            content = ok.get("content", {})
            assert content, (method, path)
            media = (content.get("application/json") or content.get("text/event-stream")
                     or content.get("text/plain") or {})
            ref = media.get("schema", {}).get("$ref", "")
            example = media.get("example") or (schemas[ref.rsplit("/", 1)[-1]].get("examples") if ref else None)
            assert example, (method, path)
            if path in JSON_BODY_PATHS:
                body_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert schemas[body_ref.rsplit("/", 1)[-1]]["examples"][0]["question"] == "「민법」 제54조"


def test_docs_page_shows_the_ask_request_and_response(client) -> None:  # type: ignore[no-untyped-def]
    page = html.unescape(client.get("/docs").text)
    assert '"question": "「민법」 제54조"' in page  # the request body of /api/ask
    assert "설립등기 이외의 본절의 등기사항은" in page  # a response example with real statute text
    assert '"status": "시행 예정"' in page and '"source_status": "시행"' in page  # /api/laws
    assert "event: token" in page  # the stream's events
    assert page.count('class="example"') >= 8


def test_laws_route_serves_status_and_raw_state(client) -> None:  # type: ignore[no-untyped-def]
    laws = client.get("/api/laws", params={"as_of": "2026-06-01"}).json()["laws"]
    nhis = next(x for x in laws if x["law"] == "국민건강보험법")
    assert nhis["pending"] is True and nhis["status"] == "시행 예정" and nhis["source_status"] == "시행"
    assert nhis["note"].startswith("시행 예정 2026-12-24")
    assert not [x for x in laws if x["pending"] and x["status"] == "시행"]
