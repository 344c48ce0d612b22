"""Property tests for the citation resolver: it never raises, and citations embedded in any Korean filler are
found with the right law and number."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legal_rag.articles import ArticleNumber
from legal_rag.citations import LawCatalog, find_citations, find_law_mentions, resolve_citations
from legal_rag.store import ArticleStore

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


# Text made of the pieces the scanner reacts to, so random examples reach its corners (lists, 같은 법,
# 「」, details, money, 구, parentheses) far more often than uniform random text would.
FRAGMENTS = [
    "제", "조", "의", "항", "호", "목", "가", "「", "」", "(", ")", " ", ",", "및", "또는", "부터", "까지",
    "민법", "상법", "국민건강보험법", "시행령", "시행규칙", "같은 법", "동법", "같은 조", "동조", "이 법", "법", "영",
    "규칙", "구 ", "현행", "부칙", "원", "억", "관한 법률", "에 관한", "상증법", "조특법", "ㆍ", "·", "\n", "\t",
    "0", "1", "2", "12", "999", "00", "５", "제1항", "제2호", "나목", "(나)목", "단서", "사립학교법", "「민법」",
]
fragment_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=60).map("".join)


@PROPERTY_SETTINGS
@given(text=st.text(max_size=300) | fragment_text)
def test_find_citations_never_raises(text: str, corpus_catalog: LawCatalog) -> None:
    refs = find_citations(text, corpus_catalog)
    for ref in refs:
        assert 0 <= ref.start < ref.end <= len(text)
        assert text[ref.start : ref.end] == ref.raw
        assert ref.law is None or ref.law in corpus_catalog.titles()
        assert ref.law is None or ref.known_law
    assert [r.start for r in refs] == sorted(r.start for r in refs)
    find_law_mentions(text, corpus_catalog)
    find_citations(text, corpus_catalog, default_law="민법", bare_means_default=True)


@PROPERTY_SETTINGS
@given(text=fragment_text)
def test_resolve_citations_never_raises(text: str, corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    for r in resolve_citations(text, corpus_catalog, corpus_store, date(2026, 11, 25), default_law="상법"):
        assert r.status in ("found", "law_not_found", "article_not_found", "law_missing")
        assert (r.doc_id is not None) == (r.status == "found" and r.ref.article is not None)
        assert r.message


HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
FILLER_WORDS = ["참조", "판단", "해설", "및", "에 따라", "의", "을", "는", "사건", "질문", "답변:", "적용", "요건"]
filler = st.lists(st.text(HANGUL, min_size=1, max_size=6) | st.sampled_from(FILLER_WORDS), max_size=6).map(" ".join)


@st.composite
def embedded(draw: st.DrawFn, titles: list[str]) -> tuple[str, list[tuple[int, int, str, ArticleNumber]]]:
    """Text with citations of real titles between random Korean filler; returns where each one was put."""
    parts: list[str] = []
    placed: list[tuple[int, int, str, ArticleNumber]] = []
    pos = 0
    for _ in range(draw(st.integers(1, 5))):
        before = draw(filler)
        parts.append(before + " ")
        pos += len(before) + 1
        title = draw(st.sampled_from(titles))
        number = ArticleNumber(draw(st.integers(1, 1200)), draw(st.sampled_from([0, 0, 0, 1, 2, 3, 10])))
        written_title = draw(st.sampled_from([title, title.replace(" ", "")]))
        quoted = draw(st.booleans())
        law = f"「{written_title}」" if quoted else written_title
        space = draw(st.sampled_from([" ", "", "  "])) if quoted else " "
        cite = f"{law}{space}제{number.main}조" + (f"의{number.sub}" if number.sub else "")
        parts.append(cite + " ")
        placed.append((pos, pos + len(cite), title, number))
        pos += len(cite) + 1
    parts.append(draw(filler))
    return "".join(parts), placed


@pytest.fixture(scope="session")
def titles(corpus_catalog: LawCatalog) -> list[str]:
    return corpus_catalog.titles()


@PROPERTY_SETTINGS
@given(data=st.data())
def test_embedded_citations_are_found(data: st.DataObject, corpus_catalog: LawCatalog, titles: list[str]) -> None:
    text, placed = data.draw(embedded(titles))
    refs = [r for r in find_citations(text, corpus_catalog) if r.article is not None]
    for start, end, title, number in placed:
        hits = [r for r in refs if r.start <= start and r.end >= end]
        assert hits, (text, text[start:end])
        assert (hits[0].law, hits[0].article) == (title, number), (text, text[start:end], hits[0])
