"""A 시행령/시행규칙's references to its parent (`법 제44조`, `영 제19조`), read by the one citation resolver.

Retrieval's 위임 links (HybridRetriever.parent_articles), the embedder's training pairs (corpus_pairs) and
citation checking all go through legal_rag.citations; these tests pin what it reads on real statute text,
including `같은 법 제N조` and `이 법 제N조` where they do not mean the parent law.
"""

from __future__ import annotations

from pathlib import Path

from ingest.markdown_source import parse_markdown_file
from legal_rag.articles import Article, ArticleNumber
from legal_rag.citations import LawCatalog, find_citations, parent_law_title, parent_references
from legal_rag.embedder import corpus_pairs
from legal_rag.store import ArticleStore

pytest_plugins = ("index_fixture",)


def article(store: ArticleStore, title: str, number: str) -> Article:
    statute = next(s for s, stub in store.statutes() if s.title == title and not stub)
    found = store.find_article(statute.mst, ArticleNumber.parse(number))
    assert found is not None, (title, number)
    return found


def parents(a: Article, catalog: LawCatalog) -> list[tuple[str, str]]:
    return [(r.law, r.article.label) for r in parent_references(a.text, a.law_title, catalog)]


def test_parent_law_title() -> None:
    assert parent_law_title("국민건강보험법 시행령") == "국민건강보험법"
    assert parent_law_title("고용보험법 시행규칙") == "고용보험법"
    assert parent_law_title("국민건강보험법") is None
    assert parent_law_title("시행령") is None


def test_decree_cites_its_law_as_beop(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    # 국민건강보험법 시행령 제19조 (본인일부부담금): "법 제44조제1항에 따른 본인일부부담금 …"
    a = article(corpus_store, "국민건강보험법 시행령", "제19조")
    refs = parent_references(a.text, a.law_title, corpus_catalog)
    assert (refs[0].law, refs[0].article, refs[0].raw) == ("국민건강보험법", ArticleNumber(44), "법 제44조제1항")
    assert {r.law for r in refs} == {"국민건강보험법"}


def test_same_law_after_another_law_is_not_the_parent(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    # 국민건강보험법 시행령 제20조: "법 제45조제1항에 따른 …" then "「의료법」 제3조… 같은 법 제28조제1항에 따른
    # 의사회의 장", "「약사법」 제2조… 같은 법 제11조제1항": 같은 법 is 의료법/약사법, never 국민건강보험법.
    a = article(corpus_store, "국민건강보험법 시행령", "제20조")
    assert "같은 법 제28조제1항" in a.text and "같은 법 제11조제1항" in a.text
    assert parents(a, corpus_catalog) == [("국민건강보험법", "제45조")]


def test_dongbeop_after_another_law_is_that_law(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    # 법인세법 시행령: '「상법」 제352조의 규정에 의한 주주명부 또는 동법 제566조의 규정에 의한 사원명부':
    # 동법 is 상법, so 제566조 is 상법's (법인세법 has no such parent reference here).
    decree = next(s for s, stub in corpus_store.statutes() if s.title == "법인세법 시행령" and not stub)
    a = next(x for x in corpus_store.articles_of(decree.mst) if "주주명부 또는 동법 제566조" in x.text)
    refs = find_citations(a.text, corpus_catalog, default_law=a.law_title, bare_means_default=True)
    assert [(r.law, r.article.label) for r in refs if r.raw.startswith("동법")] == [("상법", "제566조")]
    assert ("법인세법", "제566조") not in parents(a, corpus_catalog)


def test_this_law_in_a_decree_is_the_decree(corpus_catalog: LawCatalog, law_dir: Path) -> None:
    # A 소득세법 시행령 부칙 quotes the decree's older wording "철거일 현재 이 법 제154조제1항": the decree's own
    # 제154조 (1세대1주택의 범위), not 소득세법 제154조.
    report = parse_markdown_file(law_dir / "소득세법" / "시행령.md")
    a = next(x for x in report.articles if "철거일 현재 이 법 제154조" in x.text)
    refs = find_citations(a.text, corpus_catalog, default_law=a.law_title, bare_means_default=True)
    this = [r for r in refs if r.raw.startswith("이 법 제154조")]
    assert this and all(r.law == "소득세법 시행령" for r in this)
    assert ("소득세법", "제154조") not in parents(a, corpus_catalog)


def test_subject_particle_before_beop_is_the_parent(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    # 고용보험법 시행령 제11조의2②: '…(이하 "예술인"이라 한다)이 법 제18조제4항에 따라': 이 is the subject
    # particle after the parenthesis, and 법 제18조 is 고용보험법's.
    a = article(corpus_store, "고용보험법 시행령", "제11조의2")
    assert '한다)이 법 제18조제4항' in a.text
    got = parents(a, corpus_catalog)
    assert ("고용보험법", "제18조") in got and ("고용보험법", "제77조의2") in got
    assert all(law == "고용보험법" for law, _ in got)


def test_rule_cites_decree_as_yeong(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    # 고용보험법 시행규칙 제6조①: "법 제15조제1항부터 제3항까지, 영 제3조제3항제2호 단서ㆍ제3조의2제2항ㆍ제4항 및
    # 이 규칙 제1조의2…": 법 is 고용보험법, 영 (and the list after it) 고용보험법 시행령, 이 규칙 the rule itself.
    a = article(corpus_store, "고용보험법 시행규칙", "제6조")
    assert parents(a, corpus_catalog) == [
        ("고용보험법", "제15조"),
        ("고용보험법 시행령", "제3조"),
        ("고용보험법 시행령", "제3조의2"),
    ]


def test_a_law_has_no_parent(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    a = article(corpus_store, "국민건강보험법", "제44조")
    assert parent_references(a.text, a.law_title, corpus_catalog) == []


def test_training_pairs_follow_the_resolver(law_dir: Path) -> None:
    """corpus_pairs links 시행령 제20조 to 법 제45조 only, not to the 같은 법 (의료법) article numbers."""
    articles: list[Article] = []
    for name in ("법률.md", "시행령.md"):
        report = parse_markdown_file(law_dir / "국민건강보험법" / name)
        assert report.error is None
        articles.extend(report.articles)
    by = {(a.law_title, a.number): a for a in articles}
    pairs = set(corpus_pairs(articles))
    decree20 = by[("국민건강보험법 시행령", "제20조")]
    linked = {
        (a.law_title, a.number) for a in articles if (decree20.text, a.text) in pairs and a is not decree20
    }
    assert linked == {("국민건강보험법", "제45조")}
    assert (by[("국민건강보험법 시행령", "제19조")].text, by[("국민건강보험법", "제44조")].text) in pairs


def test_retrieval_delegation_links(service_index) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from legal_rag.search.engine import Engine

    engine = Engine(service_index.index)
    try:
        store = engine.bundle.store
        as_of = date(2026, 11, 25)
        law = next(s for s, stub in store.statutes() if s.title == "국민건강보험법" and not stub)

        def doc(number: str) -> str:
            found = store.find_article(law.mst, ArticleNumber.parse(number))
            assert found is not None
            return found.doc_id

        decree20 = article(store, "국민건강보험법 시행령", "제20조")
        assert engine.retriever.parent_articles(decree20, as_of) == [doc("제45조")]
        decree19 = article(store, "국민건강보험법 시행령", "제19조")
        assert doc("제44조") in engine.retriever.parent_articles(decree19, as_of)
        assert engine.retriever.parent_articles(article(store, "국민건강보험법", "제44조"), as_of) == []
    finally:
        engine.close()
