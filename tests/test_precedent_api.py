"""Decisions over HTTP and on the result page: cited-by, search, lookup (404 with suggestions, 422 for a
malformed number), /api/ask with case numbers checked, 관련 판례 under each article, escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytest.register_assert_rewrite("index_fixture")

from index_fixture import make_settings, wait_ready  # noqa: E402

from app.web import CSRF_FIELD  # noqa: E402

pytest_plugins = ("precedent_fixtures",)


@pytest.fixture(scope="module")
def pclient(precedent_index: Path) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from app.service import create_app

    app = create_app(make_settings(precedent_index))  # type: ignore[arg-type]
    with TestClient(app, client=("127.0.0.1", 50001)) as c:
        wait_ready(c)
        yield c


def test_article_precedents_newest_first_with_issues(pclient: Any) -> None:
    r = pclient.get(f"/api/laws/{quote('민법')}/articles/{quote('제750조')}/precedents")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["law"] == "민법" and body["article"] == "제750조" and body["total"] == 1
    [d] = body["decisions"]
    assert d["decision"]["case_number"] == "99다38699"
    assert [i["marker"] for i in d["issues"]] == ["[3]", "[4]"]


def test_article_precedents_errors(pclient: Any) -> None:
    r = pclient.get(f"/api/laws/{quote('없는법')}/articles/1/precedents")
    assert r.status_code == 404 and r.json()["error"] == "unknown_law"
    r = pclient.get(f"/api/laws/{quote('민법')}/articles/{quote('조문')}/precedents")
    assert r.status_code == 422
    r = pclient.get(f"/api/laws/{quote('민법')}/articles/9999/precedents")
    assert r.status_code == 404


def test_search_precedents(pclient: Any) -> None:
    r = pclient.get("/api/precedents", params={"q": "성전환자의 성별정정 허가 요건", "top_k": 2})
    assert r.status_code == 200
    hits = r.json()["decisions"]
    assert hits[0]["decision"]["case_number"] == "2009스117" and len(hits) <= 2
    assert pclient.get("/api/precedents", params={"q": ""}).status_code == 422


@pytest.mark.parametrize("typed", ["99다38699", "대법원 2001. 5. 8. 선고 99다38699 판결", "1999다38699"])
def test_precedent_by_number_in_any_form(pclient: Any, typed: str) -> None:
    r = pclient.get(f"/api/precedents/{quote(typed)}")
    assert r.status_code == 200, r.text
    [d] = r.json()["decisions"]
    assert d["case_number"] == "99다38699" and d["decided"] == "2001-05-08"
    assert any(c["law"] == "민법" and c["article"] == "제750조" and c["issues"] == [3, 4] for c in d["citations"])


def test_unknown_number_is_404_with_suggestions_and_malformed_is_422(pclient: Any) -> None:
    r = pclient.get(f"/api/precedents/{quote('99다38698')}")
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "unknown_case_number" and "99다38699" in body["suggestions"]
    r = pclient.get(f"/api/precedents/{quote('2010가12345')}")
    assert r.status_code == 422 and r.json()["error"] == "malformed_case_number"


def test_ask_checks_case_numbers_and_quotes_decisions(pclient: Any) -> None:
    q = "대법원 2001. 5. 8. 선고 99다38699 판결과 대법원 2099다99999 판결에 비추어 채권자대위권 행사의 요건은?"
    r = pclient.post("/api/ask", json={"question": q})
    assert r.status_code == 200, r.text
    body = r.json()
    status = {c["case_number"]: c["status"] for c in body["case_citations"]}
    assert status["99다38699"] == "verified"  # typed by the user, looked up and quoted
    assert status["2099다99999"] == "not_found"
    fake = next(c for c in body["case_citations"] if c["case_number"] == "2099다99999")
    assert fake["decision"] is None
    assert body["decisions"][0]["decision"]["case_number"] == "99다38699"


def test_result_page_lists_related_precedents_escaped(pclient: Any) -> None:
    page = pclient.get("/").text
    token = html.unescape(re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    r = pclient.post("/ask", data={"question": "「민법」 제750조 불법행위 <b>책임</b>", CSRF_FIELD: token})
    assert r.status_code == 200
    art = re.search(r'<article class="article[^"]*" data-doc-id="[^"]*:제750조">(.*?)</article>', r.text, re.S)
    assert art is not None
    block = art.group(1)
    assert "관련 판례" in block and "99다38699" in block
    assert "독립한 경제주체간의 경쟁적 계약관계" in block
    assert "<b>책임</b>" not in r.text and "&lt;b&gt;책임&lt;/b&gt;" in r.text


def test_an_article_only_a_decision_cites_reaches_the_page_and_the_api(pclient: Any) -> None:
    """sample decisions -> ingest -> load -> search -> answer -> page: 99다38699 cites 민법 제750조 for third-party
    interference with a claim; the statutes alone do not rank it for this question (tests/test_precedent_eval.py)."""
    question = "제3자에 의한 채권침해"
    r = pclient.get("/api/search", params={"q": question, "top_k": 5, "as_of": "2026-11-30"})
    assert r.status_code == 200
    assert ("민법", "제750조", "precedent") in [(h["law"], h["article"], h["source"]) for h in r.json()["hits"]]
    ask = pclient.post("/api/ask", json={"question": question, "as_of": "2026-11-30"}).json()
    basis = {(b["hit"]["law"], b["hit"]["article"]): b for b in ask["basis"]}
    assert basis[("민법", "제750조")]["role"] == "related"
    assert basis[("민법", "제750조")]["reason"] == "질문과 가까운 판례가 참조조문으로 든 조문"
    page = pclient.get("/").text
    token = html.unescape(re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    r = pclient.post("/ask", data={"question": question, "as_of": "2026-11-30", CSRF_FIELD: token})
    assert r.status_code == 200
    art = re.search(r'<article class="article[^"]*" data-doc-id="[^"]*:제750조">(.*?)</article>', r.text, re.S)
    assert art is not None and "질문과 가까운 판례가 참조조문으로 든 조문" in art.group(1)
