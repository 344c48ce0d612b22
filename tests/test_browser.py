"""Real headless Chromium against the service under uvicorn: the seed question through the form, with
JavaScript (streamed over /api/ask/stream) and without (plain form post). Screenshots go to test-artifacts/.

Fails, never skips, when Chromium or Playwright is missing: a browser check that silently does not run is
not a check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("index_fixture")

from index_fixture import (  # noqa: E402
    ACCOUNTANT_QUESTION,
    AS_OF,
    SEED_ARTICLES,
    SEED_QUESTION,
    SEED_TEXT,
    ServiceIndex,
    make_settings,
    start_server,
)

pytest_plugins = ("index_fixture",)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(service_index: ServiceIndex) -> Iterator[str]:
    from app.service import create_app

    live = start_server(create_app(make_settings(service_index.index)), access_log=False)
    yield live.base
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install the chromium package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - environment problem, reported as a failure
        pytest.fail(f"playwright is not installed: {exc}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _fill_and_submit(page, question: str) -> None:  # noqa: ANN001
    page.get_by_label("질문", exact=True).fill(question)
    page.get_by_label("기준일").fill(AS_OF)
    page.get_by_role("button", name="질문하기").click()


def _cited(page) -> list[tuple[str, str]]:  # noqa: ANN001
    """(heading, full text) of each article in the 인용된 조문 section."""
    out = []
    for art in page.locator("section.sources article.article").all():
        heading = art.locator("h3").inner_text()
        art.locator("summary").click()  # open <details>: the full text must be readable
        text = art.locator(".article-text").inner_text()
        out.append((heading, text))
    return out


def _check_seed(cited: list[tuple[str, str]]) -> None:
    assert len(cited) == 4, cited
    for law, article in SEED_ARTICLES:
        match = [t for h, t in cited if h.startswith(f"「{law}」 {article}(")]
        assert match, (law, article, [h for h, _ in cited])
        assert SEED_TEXT[(law, article)] in match[0]


def _watch_errors(page) -> list[str]:  # noqa: ANN001
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_seed_question_with_javascript_streams(server: str, browser) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = _watch_errors(page)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server + "/")
    _fill_and_submit(page, SEED_QUESTION)
    page.locator("section.sources article.article").nth(3).wait_for(timeout=60_000)
    assert page.url == server + "/"  # no navigation: the answer came over the stream
    assert any(u.endswith("/api/ask/stream") for u in requests)
    assert page.locator(".answer").inner_text().startswith("[발췌 답변]")
    _check_seed(_cited(page))
    badges = page.locator("section.sources .badge.role-governing").all_inner_texts()
    assert badges == ["근거 조문"] * 4  # cited in the question: each one governs
    assert page.locator("section.sources .badge-pending").first.inner_text() == "시행 예정 2026-12-24"
    page.screenshot(path=str(ARTIFACTS / "browser-seed-js.png"), full_page=True)
    # Every request stayed on this server (no CDN, fonts or analytics), and nothing broke the CSP.
    assert all(u.startswith(server) for u in requests), requests
    assert not errors, errors
    context.close()


def test_seed_question_without_javascript(server: str, browser) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="ko-KR", java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    _fill_and_submit(page, SEED_QUESTION)
    page.wait_for_url(server + "/ask")
    _check_seed(_cited(page))
    assert page.locator(".answer").inner_text().startswith("[발췌 답변]")
    assert page.locator(".pending-note").first.inner_text().startswith("시행 예정")
    page.screenshot(path=str(ARTIFACTS / "browser-seed-nojs.png"), full_page=True)
    context.close()


def test_phone_layout_and_escaping(server: str, browser) -> None:  # noqa: ANN001
    """A phone-sized viewport shows the page without sideways scrolling; markup typed into the question
    comes back as text, never run."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="ko-KR", viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    errors = _watch_errors(page)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/")
    _fill_and_submit(page, "<script>alert(1)</script><img src=x onerror=alert(2)> 「민법」 제54조")
    page.locator("section.sources article.article").first.wait_for(timeout=60_000)
    page.locator("section.sources summary").first.click()
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], width
    page.screenshot(path=str(ARTIFACTS / "browser-phone.png"), full_page=True)
    assert not dialogs
    assert page.locator("img").count() == 0
    assert not [e for e in errors if not re.search(r"Failed to load resource", e)], errors
    context.close()



# ---------------------------------------------------------------------------------------------- the answer first

# (name, JavaScript on, viewport): every check below runs on a desktop and a phone, with and without JavaScript.
LAYOUTS = [
    ("desktop-js", True, {"width": 1280, "height": 900}),
    ("desktop-nojs", False, {"width": 1280, "height": 900}),
    ("phone-js", True, {"width": 375, "height": 812}),
    ("phone-nojs", False, {"width": 375, "height": 812}),
]


@pytest.fixture(params=LAYOUTS, ids=[x[0] for x in LAYOUTS])
def layout(request: pytest.FixtureRequest, browser) -> Iterator[tuple[str, object, bool]]:  # noqa: ANN001
    name, js, viewport = request.param
    phone = viewport["width"] < 500
    context = browser.new_context(locale="ko-KR", java_script_enabled=js, viewport=viewport, is_mobile=phone,
                                  has_touch=phone)
    page = context.new_page()
    yield name, page, js
    context.close()


def _ask(server: str, page, js: bool, question: str) -> None:  # noqa: ANN001
    page.goto(server + "/")
    _fill_and_submit(page, question)
    if not js:
        page.wait_for_url(server + "/ask")
    page.locator("section.sources article.article, .no-fit").first.wait_for(timeout=60_000)


def _no_sideways_scroll(page) -> None:  # noqa: ANN001
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], width


def test_answer_opens_with_the_governing_article_and_marks_its_sentence(server: str, layout) -> None:  # noqa: ANN001
    name, page, js = layout
    ARTIFACTS.mkdir(exist_ok=True)
    _ask(server, page, js, ACCOUNTANT_QUESTION)
    answer = page.locator(".answer").inner_text()
    lines = [ln for ln in answer.splitlines() if ln.strip()]
    assert lines[0].startswith("[발췌 답변]") and lines[1] == "근거 조문:"
    assert lines[2].startswith("1. 「부가가치세법」 제49조(확정신고와 납부)")
    # the answer's inline citation is a law.go.kr link
    assert page.locator(".answer a.link-article").first.get_attribute("href").startswith("https://www.law.go.kr/")
    cards = page.locator("section.sources article.article")
    first = cards.first
    assert first.locator("h3").inner_text().startswith("「부가가치세법」 제49조")
    assert first.locator(".badge.role-governing").inner_text() == "근거 조문"
    assert "폐업하는 경우" in first.locator("blockquote.answering-sentence").first.inner_text()
    first.locator("summary").click()
    marked = first.locator(".article-text mark.answering").first
    assert "폐업하는 경우" in marked.inner_text() and marked.is_visible()
    # cards only for what the answer rests on (governing + related, each saying why); the rest one click away
    assert 1 <= cards.count() <= 7
    for i in range(cards.count()):
        assert cards.nth(i).locator(".reason").inner_text().strip()
    more = page.locator("section.hits details.more-hits")
    assert more.count() == 1 and more.get_attribute("open") is None
    assert not page.locator("section.hits article.article").first.is_visible()
    more.locator("> summary").click()
    assert page.locator("section.hits article.article").first.is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / f"browser-answer-first-{name}.png"), full_page=True)


def test_formula_image_is_a_labelled_link_not_markup(server: str, layout) -> None:  # noqa: ANN001
    name, page, js = layout
    _ask(server, page, js, "「부가가치세법」 제37조")
    card = page.locator("section.sources article.article").first
    card.locator("summary").click()
    text = card.locator(".article-text")
    assert "<img" not in text.inner_text() and "flSeq" not in text.inner_text()
    link = text.locator("a.link-figure").first
    assert link.inner_text() == "[수식 이미지]"
    assert link.get_attribute("href").startswith("https://www.law.go.kr/LSW/flDownload.do?flSeq=")
    assert page.locator("img").count() == 0
    _no_sideways_scroll(page)


def test_misspelt_law_says_did_you_mean_never_the_help_example(server: str, layout) -> None:  # noqa: ANN001
    name, page, js = layout
    ARTIFACTS.mkdir(exist_ok=True)
    _ask(server, page, js, "「근로기준볍」 제23조")
    notice = page.locator(".no-fit").inner_text()
    assert "찾지 못했습니다" in notice and "혹시 「근로기준법」을(를) 찾으셨나요?" in notice
    assert page.locator("section.sources").count() == 0  # nothing is shown as a source
    shown = " ".join(page.locator("section.result, section.unverified, section.hits").all_inner_texts())
    assert "제23조" in shown and "제54조" not in shown  # the form help's example is never read as a citation
    _no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / f"browser-typo-{name}.png"), full_page=True)


def test_question_in_english_gets_a_korean_notice(server: str, layout) -> None:  # noqa: ANN001
    name, page, js = layout
    _ask(server, page, js, "What is the notice period for dismissing an employee?")
    notice = page.locator(".no-fit").inner_text()
    assert notice.startswith("이 서비스는 한국어 질문에만 답합니다")
    assert page.locator("section.sources").count() == 0
