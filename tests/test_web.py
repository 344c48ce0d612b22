"""The web form without JavaScript: GET / -> POST /ask -> result page (real index, real statute text)."""

from __future__ import annotations

import html
import re

import pytest

pytest.register_assert_rewrite("index_fixture")

from index_fixture import AS_OF, SEED_ARTICLES, SEED_QUESTION, SEED_TEXT  # noqa: E402

from app.web import CSRF_COOKIE, CSRF_FIELD  # noqa: E402

pytest_plugins = ("index_fixture",)


def csrf_token(page: str) -> str:
    m = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page)
    assert m, "no CSRF field in the form"
    return html.unescape(m.group(1))


def section(page: str, cls: str) -> str:
    m = re.search(rf'<section class="{cls}"[^>]*>(.*?)</section>', page, re.S)
    return m.group(1) if m else ""


def articles(fragment: str) -> list[dict[str, str]]:
    """Each rendered article: heading, badges text, full text, link."""
    out = []
    for m in re.finditer(r'<article class="article[^"]*"[^>]*>(.*?)</article>', fragment, re.S):
        block = m.group(1)
        h3 = re.search(r"<h3>(.*?)</h3>", block, re.S)
        text = re.search(r'<details>.*?<div class="article-text">(.*?)</div>', block, re.S)
        link = re.search(r'<a class="lawgo" href="([^"]+)"', block)
        badges = re.search(r'<p class="badges">(.*?)</p>', block, re.S)
        out.append({
            "heading": html.unescape(h3.group(1)) if h3 else "",
            "text": html.unescape(text.group(1)) if text else "",
            "link": html.unescape(link.group(1)) if link else "",
            "badges": html.unescape(re.sub(r"<[^>]+>", " ", badges.group(1))) if badges else "",
        })
    return out


def ask(client, question: str, law: str = "", as_of: str = AS_OF):
    page = client.get("/").text
    return client.post("/ask", data={"question": question, "law": law, "as_of": as_of,
                                     CSRF_FIELD: csrf_token(page)})


def test_form_page(client) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="ko">' in page and 'name="viewport"' in page
    assert '<form id="ask-form" class="ask" method="post" action="/ask"' in page
    for field in ("question", "law", "as_of"):
        assert f'<label for="{field}">' in page and f'id="{field}" name="{field}"' in page
    assert 'maxlength="2000"' in page and 'type="date"' in page
    assert '<option value="민법">' in page and '<option value="근로기준법">' in page
    assert r.cookies.get(CSRF_COOKIE) == csrf_token(page)
    assert '<script src="/static/app.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/style.css">' in page


def test_static_assets(client) -> None:
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "/api/ask/stream" in js.text and "innerHTML" not in js.text
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media" in css.text


def test_seed_question_through_the_form(client) -> None:
    r = ask(client, SEED_QUESTION)
    assert r.status_code == 200
    page = r.text
    assert "[발췌 답변]" in page and "발췌 답변</span>" in page  # labelled as extractive
    cited = articles(section(page, "sources"))
    assert len(cited) == 4
    heads = {a["heading"] for a in cited}
    for law, article in SEED_ARTICLES:
        assert any(h.startswith(f"「{law}」 {article}(") for h in heads), (law, article, heads)
    for a in cited:
        key = next(k for k in SEED_ARTICLES if a["heading"].startswith(f"「{k[0]}」 {k[1]}("))
        assert SEED_TEXT[key] in a["text"], key
        assert "근거 조문" in a["badges"]
        assert a["link"].startswith("https://www.law.go.kr/")
    nhis = next(a for a in cited if a["heading"].startswith("「국민건강보험법」 제44조"))
    assert "시행 예정 2026-12-24" in nhis["badges"]
    assert 'class="pending-note"' in page and "「국민건강보험법」 시행 예정 2026-12-24" in html.unescape(page)
    # The form comes back filled in, ready for the next question.
    assert html.escape(SEED_QUESTION, quote=False) in page


def test_unknown_article_is_not_shown_as_a_source(client) -> None:
    r = ask(client, "「민법」 제54조와 「민법」 제9999조를 설명해 주세요")
    assert r.status_code == 200
    page = r.text
    heads = [a["heading"] for a in articles(section(page, "sources"))]
    assert any(h.startswith("「민법」 제54조") for h in heads)
    assert not any("제9999조" in h for h in heads)
    unverified = html.unescape(section(page, "unverified"))
    assert "제9999조" in unverified and "확인 불가" in unverified


def test_other_hits_are_listed_with_scores(client) -> None:
    r = ask(client, "사업자가 폐업한 경우 부가가치세 신고는 언제까지 해야 하나요?")
    assert r.status_code == 200
    shown = articles(section(r.text, "sources")) + articles(section(r.text, "hits"))
    assert any(a["heading"].startswith("「부가가치세법」 제49조") for a in shown)
    others = articles(section(r.text, "hits"))
    assert all("순위" in a["badges"] and "점수" in a["badges"] for a in others)


def test_form_validation_errors_render_in_korean(client) -> None:
    r = ask(client, "   ")
    assert r.status_code == 422 and "질문을 입력하십시오" in r.text and 'role="alert"' in r.text
    r = ask(client, "가" * 2001)
    assert r.status_code == 422 and "질문이 너무 깁니다" in r.text
    r = ask(client, "민법 제54조", as_of="2024-02-30")
    assert r.status_code == 422 and "기준일" in r.text
    r = ask(client, "해고 예고", law="근로기준볍")
    assert r.status_code == 422
    assert "색인에 없는 법령입니다" in r.text and "<li>근로기준법</li>" in r.text
    # The answer's filter: with a known law, every retrieved article is from it.
    r = ask(client, "해고 예고", law="근기법")
    assert r.status_code == 200
    shown = articles(section(r.text, "sources")) + articles(section(r.text, "hits"))
    assert shown and all(a["heading"].startswith("「근로기준법」") for a in shown)


def test_as_of_in_the_form_selects_the_version(client) -> None:
    from index_fixture import OLD_VERSION_MARK

    before = ask(client, "근로기준법 제1조", as_of="2026-12-31").text
    after = ask(client, "근로기준법 제1조", as_of="2027-01-01").text
    assert OLD_VERSION_MARK in before and OLD_VERSION_MARK not in after
    assert "기준일 2026-12-31" in before and "기준일 2027-01-01" in after
