"""The query engine on the real shared corpus: citations first, retrieval quality spot checks, LangChain wrap."""

from __future__ import annotations

from datetime import date

pytest_plugins = ("index_fixture",)


def test_compound_noun_query_finds_its_article(engine) -> None:  # type: ignore[no-untyped-def]
    hits = engine.search("이혼 후 재산분할청구권의 제척기간", top_k=3, as_of=date(2026, 11, 25)).hits
    assert hits[0].law == "민법" and hits[0].article == "제839조의2"


def test_citation_only_question_returns_exactly_the_cited_articles(engine) -> None:  # type: ignore[no-untyped-def]
    result = engine.search("「민법」 제54조, 「약관의 규제에 관한 법률」 제5조 참조 해설", top_k=10)
    assert [(h.law, h.article, h.source) for h in result.hits] == [
        ("민법", "제54조", "citation"), ("약관의 규제에 관한 법률", "제5조", "citation")]


def test_langchain_retriever_returns_documents(engine) -> None:  # type: ignore[no-untyped-def]
    retriever = engine.as_langchain(top_k=3, as_of=date(2026, 11, 25))
    docs = retriever.invoke("「민법」 제54조")
    assert docs[0].metadata["article"] == "제54조" and docs[0].metadata["law"] == "민법"
    assert docs[0].page_content.startswith("「민법」 제54조(설립등기 이외의 등기의 효력과 등기사항의 공고)")
    assert "제삼자에게 대항하지 못한다" in docs[0].page_content


def test_tax_name_counts_as_a_mention_of_its_law(engine) -> None:  # type: ignore[no-untyped-def]
    assert "부가가치세법" in engine.mentioned_laws("폐업한 경우 부가가치세 신고 기한")
    assert engine.mentioned_laws("민사상 손해배상") == []  # 민법's stem is too short to count
    hits = engine.search("사업자가 폐업한 경우 부가가치세 신고는 언제까지 해야 하나요?", top_k=5, as_of=date(2026, 11, 25)).hits
    assert hits[0].law == "부가가치세법"
    assert ("부가가치세법", "제49조") in [(h.law, h.article) for h in hits]  # 확정신고와 납부


def test_laws_rows_say_pending_in_status_and_keep_the_raw_state(engine) -> None:  # type: ignore[no-untyped-def]
    rows = {r["law"]: r for r in engine.laws(date(2026, 11, 25))}
    nhis = rows["국민건강보험법"]  # its only version in the corpus takes effect 2026-12-24
    assert nhis["pending"] is True and nhis["status"] == "시행 예정" and nhis["source_status"] == "시행"
    assert "시행 예정 2026-12-24" in nhis["note"]
    civil = rows["민법"]
    assert civil["pending"] is False and civil["status"] == "시행" and civil["note"] == ""
    assert not [r for r in rows.values() if r["pending"] and r["status"] == "시행"]
    after = {r["law"]: r for r in engine.laws(date(2026, 12, 24))}["국민건강보험법"]
    assert after["pending"] is False and after["status"] == "시행"
