"""Every route answers a bad value with the 422 body it has always given (the checks live in the request models
now, app.api.fields): status, error code, bilingual message and `detail` exactly; the web form shows the same
message on its page. One app with the default limits, one (with decisions) whose settings lower them."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytest.register_assert_rewrite("index_fixture")

from index_fixture import AS_OF, make_settings, wait_ready  # noqa: E402

from app.web import CSRF_FIELD  # noqa: E402

pytest_plugins = ("index_fixture", "precedent_fixtures")

LONG_LAW = "가" * 101
LIMITED_QUESTION = "근로기준법 제26조 해고의 예고 " * 8  # 152 characters: over the limited app's 100
CIVIL = quote("민법")

EMPTY = "질문을 입력하십시오 / the question must not be empty"
BAD_DATE = "기준일(as_of)은 YYYY-MM-DD 형식의 실제 날짜여야 합니다: {!r} / as_of must be a real date YYYY-MM-DD"
LAWS = "법령 필터는 20개, 각 100자까지입니다 / at most 20 law filters of 100 characters"
NOT_ARTICLE = "조문 번호 형식이 아닙니다: {!r} (예: 제54조, 제839조의2) / not an article number"
PATTERN = {"msg": "String should match pattern '^\\d{4}-\\d{2}-\\d{2}$'", "type": "string_pattern_mismatch"}
PATTERN_MESSAGE = "기준일(as_of)은 YYYY-MM-DD 형식이어야 합니다 / as_of must be YYYY-MM-DD"


def error_body(message: str, *detail: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "error": "validation_error", "message": message, "detail": list(detail),
            "suggestions": [], "law": None}


def check(field: str, msg: str) -> dict[str, Any]:
    return {"loc": [field], "msg": msg, "type": "value_error"}


def assert_422(r: Any, expected: dict[str, Any]) -> None:
    assert r.status_code == 422, r.text[:300]
    body = r.json()
    assert body.pop("request_id")
    assert body == expected


def form_error(client: Any, **fields: str) -> tuple[int, str]:
    """Status and alert text of a web form submission."""
    page = client.get("/").text
    token = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page)
    assert token, "no CSRF field in the form"
    r = client.post("/ask", data={"question": "", "law": "", "as_of": "", **fields,
                                  CSRF_FIELD: html.unescape(token.group(1))})
    m = re.search(r'<div class="error" role="alert">\s*<p>(.*?)</p>', r.text, re.S)
    return r.status_code, html.unescape(m.group(1)) if m else ""


@pytest.fixture(scope="module")
def limited(precedent_index: Path) -> Iterator[Any]:
    """An app over statutes and decisions whose settings lower the question and top_k limits."""
    from fastapi.testclient import TestClient

    from app.service import create_app

    app = create_app(make_settings(precedent_index, max_question_chars=100, max_top_k=10))  # type: ignore[arg-type]
    with TestClient(app, client=("127.0.0.1", 50002)) as c:
        wait_ready(c)
        yield c


# ---------------------------------------------------------------------------------------------- default limits


def test_search_bad_values(client: Any) -> None:
    assert_422(client.get("/api/search", params={"q": "   "}), error_body(EMPTY, check("q", "empty")))
    assert_422(client.get("/api/search", params={"q": "해고", "law": ["근로기준법", LONG_LAW]}),
               error_body(LAWS, check("laws", "too many or too long")))
    assert_422(client.get("/api/search", params={"q": "해고", "law": ["근로기준법"] * 21}),
               error_body(LAWS, check("laws", "too many or too long")))
    assert_422(client.get("/api/search", params={"q": "해고", "as_of": "2024-02-30"}),
               error_body(BAD_DATE.format("2024-02-30"), check("as_of", "invalid date")))
    assert_422(client.get("/api/search", params={"q": "해고", "as_of": "2024/01/01"}),
               error_body(PATTERN_MESSAGE, {"loc": ["query", "as_of"], **PATTERN}))
    assert_422(client.get("/api/search", params={"q": ""}),
               error_body("검색어를 입력하십시오 / the query must not be empty",
                          {"loc": ["query", "q"], "msg": "String should have at least 1 character",
                           "type": "string_too_short"}))
    # Over the schema's cap (2000): the same sentence as the question check, not a generic "invalid q".
    r = client.get("/api/search", params={"q": "가" * 2001})
    assert r.status_code == 422
    assert r.json()["message"] == "질문이 너무 깁니다 (최대 2000자) / the question is too long (at most 2000 characters)"
    # A blank law filter is dropped, the query stripped.
    r = client.get("/api/search", params={"q": "  「민법」 제54조  ", "law": ["민법", " "], "as_of": AS_OF})
    assert r.status_code == 200 and r.json()["query"] == "「민법」 제54조"
    assert r.json()["hits"][0]["article"] == "제54조"


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_ask_bad_values(client: Any, path: str) -> None:
    assert_422(client.post(path, json={"question": " \n "}), error_body(EMPTY, check("question", "empty")))
    assert_422(client.post(path, json={"question": "민법", "as_of": "0000-01-01"}),
               error_body(BAD_DATE.format("0000-01-01"), check("as_of", "invalid date")))
    assert_422(client.post(path, json={"question": "민법", "laws": [LONG_LAW]}),
               error_body(LAWS, check("laws", "too many or too long")))
    assert_422(client.post(path, json={"question": "민법", "as_of": "yesterday"}),
               error_body(PATTERN_MESSAGE, {"loc": ["body", "as_of"], **PATTERN}))
    assert_422(client.post(path, json={"question": "가" * 2001}),
               error_body("질문이 너무 깁니다 (최대 2000자) / the question is too long (at most 2000 characters)",
                          {"loc": ["body", "question"], "msg": "String should have at most 2000 characters",
                           "type": "string_too_long"}))
    assert_422(client.post(path, json={"question": "민법", "laws": ["민법"] * 21}),
               error_body("잘못된 값: laws / invalid laws: List should have at most 20 items after validation, not 21",
                          {"loc": ["body", "laws"], "msg": "List should have at most 20 items after validation, "
                                                           "not 21", "type": "too_long"}))


def test_laws_and_article_bad_values(client: Any) -> None:
    assert_422(client.get("/api/laws", params={"as_of": "2026-02-30"}),
               error_body(BAD_DATE.format("2026-02-30"), check("as_of", "invalid date")))
    assert_422(client.get("/api/laws", params={"as_of": ""}),
               error_body(PATTERN_MESSAGE, {"loc": ["query", "as_of"], **PATTERN}))
    for typed in ("오십사", "제100001조", "제99999999999999999999조"):
        assert_422(client.get(f"/api/laws/{CIVIL}/articles/{quote(typed)}"),
                   error_body(NOT_ARTICLE.format(typed), check("article", "not an article number")))
    assert_422(client.get(f"/api/laws/{CIVIL}/articles/{'x' * 41}"),
               error_body("잘못된 값: article / invalid article: String should have at most 40 characters",
                          {"loc": ["path", "article"], "msg": "String should have at most 40 characters",
                           "type": "string_too_long"}))
    assert_422(client.get(f"/api/laws/{CIVIL}/articles/54", params={"as_of": "2026-02-30"}),
               error_body(BAD_DATE.format("2026-02-30"), check("as_of", "invalid date")))
    # The article as typed, normalised: 839의2 is 「민법」 제839조의2 (재산분할청구권).
    r = client.get(f"/api/laws/{CIVIL}/articles/{quote('839의2')}", params={"as_of": AS_OF})
    assert r.status_code == 200 and r.json()["article"]["article"] == "제839조의2"
    assert "재산분할" in r.json()["article"]["title"]


def test_form_shows_the_messages_on_the_page(client: Any) -> None:
    assert form_error(client, question="   ") == (422, EMPTY)
    assert form_error(client, question="민법 제54조", law=LONG_LAW) == (422, LAWS)
    # The form has no pattern step: any date that is not a real YYYY-MM-DD day gets the date message.
    assert form_error(client, question="민법 제54조", as_of="2024/01/01") == (422, BAD_DATE.format("2024/01/01"))
    assert form_error(client, question="가" * 2001) == (
        422, "질문이 너무 깁니다 (최대 2000자) / the question is too long (at most 2000 characters)")


def test_several_bad_values_are_reported_together(client: Any) -> None:
    """Each field's check runs in the model, so one answer names every problem (before, the route's checks
    stopped at the first)."""
    assert_422(client.get("/api/search", params={"q": "   ", "as_of": "2024-02-30"}),
               error_body(f"{EMPTY}; {BAD_DATE.format('2024-02-30')}", check("q", "empty"),
                          check("as_of", "invalid date")))


# ---------------------------------------------------------------------------------------------- configured limits


def test_lowered_limits_apply_on_every_route(limited: Any) -> None:
    too_long = "질문이 너무 깁니다 (최대 100자) / the question is too long (at most 100 characters)"
    top_k = "top_k는 1에서 10 사이여야 합니다 / top_k must be 1..10"
    assert_422(limited.get("/api/search", params={"q": "민법 제750조", "top_k": 11}),
               error_body(top_k, check("top_k", "out of range")))
    assert_422(limited.get("/api/search", params={"q": LIMITED_QUESTION}),
               error_body(too_long, check("q", "too long")))
    for path in ("/api/ask", "/api/ask/stream"):
        assert_422(limited.post(path, json={"question": "민법 제750조", "top_k": 11}),
                   error_body(top_k, check("top_k", "out of range")))
        assert_422(limited.post(path, json={"question": LIMITED_QUESTION}),
                   error_body(too_long, check("question", "too long")))
    assert_422(limited.get("/api/precedents", params={"q": LIMITED_QUESTION}),
               error_body(too_long, check("q", "too long")))
    assert form_error(limited, question=LIMITED_QUESTION) == (422, too_long)
    # Within the limits, the same requests are answered.
    assert limited.get("/api/search", params={"q": "민법 제750조", "top_k": 10}).status_code == 200
    assert limited.get("/api/precedents", params={"q": "성전환자의 성별정정", "top_k": 11}).status_code == 200


def test_precedent_routes_bad_values(limited: Any) -> None:
    assert_422(limited.get(f"/api/laws/{CIVIL}/articles/{quote('조문')}/precedents"),
               error_body(NOT_ARTICLE.format("조문"), check("article", "not an article number")))
    assert_422(limited.get(f"/api/laws/{CIVIL}/articles/750/precedents", params={"as_of": "x"}),
               error_body(PATTERN_MESSAGE, {"loc": ["query", "as_of"], **PATTERN}))
    assert_422(limited.get(f"/api/laws/{CIVIL}/articles/750/precedents", params={"as_of": "2026-02-30"}),
               error_body(BAD_DATE.format("2026-02-30"), check("as_of", "invalid date")))
    assert_422(limited.get("/api/precedents", params={"q": "   "}), error_body(EMPTY, check("q", "empty")))
    r = limited.get("/api/precedents", params={"q": "  성전환자의 성별정정 허가 요건 ", "top_k": 1})
    assert r.status_code == 200 and r.json()["query"] == "성전환자의 성별정정 허가 요건"
    assert r.json()["decisions"][0]["decision"]["case_number"] == "2009스117"
