"""Retrieval signals mined from the statutes: the citation graph, statute-level evidence, article number forms
people type, and law names matched on word boundaries — on the real shared corpus."""

from __future__ import annotations

from datetime import date

import pytest

from legal_rag.citation_graph import (
    CitationGraph,
    aggregate,
    load_edges,
    log_prior,
    mine_edges,
)
from legal_rag.citations import normalize_article_forms, statute_text_catalog
from legal_rag.search.engine import stem_mentions

pytest_plugins = ("index_fixture",)
AS_OF = date(2026, 11, 30)


@pytest.fixture(scope="module")
def text_catalog(corpus_store):  # type: ignore[no-untyped-def]
    return statute_text_catalog(corpus_store.statutes())


@pytest.fixture(scope="module")
def graph(corpus_store, text_catalog) -> CitationGraph:  # type: ignore[no-untyped-def]
    rows = corpus_store.statutes()
    edges = {st.mst: mine_edges(st, corpus_store.articles_of(st.mst), text_catalog) for st, _ in rows}
    return aggregate(edges, {st.mst: st.key for st, _ in rows})


def test_civil_code_is_the_most_cited_statute_of_the_subset(graph: CitationGraph) -> None:
    # Every tax act, the labour acts and the insolvency act refer to 「민법」; a 시행령 citing its own 법 counts
    # for that 법 too, so 민법 leads only by citing statutes of other titles.
    ranked = sorted(graph.statutes, key=lambda k: -graph.statutes[k])
    assert ranked[0] == "민법"
    assert graph.statute_citers("민법") >= 30
    assert graph.statute_citers("국세기본법") > graph.statute_citers("주택임대차보호법")


def test_article_citations_count_other_statutes_and_the_statute_itself(graph: CitationGraph) -> None:
    # 민법 제32조 (비영리법인의 설립과 허가) is what other acts cite when they found a 법인 under 민법.
    assert graph.article_citations("민법", "제32조") >= 10
    # 국민건강보험법 시행령 cites 법 제44조 (비용의 일부부담) as 「법 제44조」: an external edge of the 법.
    assert graph.article_citations("국민건강보험법", "제44조") >= 1
    # Internal: 민법 제1019조 (승인, 포기의 기간) is cited by the other 상속 articles of 민법 itself.
    assert graph.article_citations("민법", "제1019조", internal=True) >= 3


def test_addenda_and_self_references_are_not_counted(corpus_store, text_catalog) -> None:  # type: ignore[no-untyped-def]
    st = next(st for st, _ in corpus_store.statutes() if st.title == "민법")
    articles = corpus_store.articles_of(st.mst, include_addenda=True)
    assert any(a.is_addendum for a in articles)
    with_addenda = mine_edges(st, articles, text_catalog)
    without = mine_edges(st, [a for a in articles if not a.is_addendum], text_catalog)
    assert with_addenda == without


def test_graph_round_trips_through_the_index_and_is_loaded(service_index) -> None:  # type: ignore[no-untyped-def]
    from legal_rag.index_format import resolve_index
    from legal_rag.search.bundle import IndexBundle

    directory = resolve_index(service_index.index)
    edges = load_edges(directory)
    assert edges and any(edges.values())
    bundle = IndexBundle(service_index.index)
    try:
        assert bundle.citation_graph is not None
        assert bundle.citation_graph.statute_citers("민법") > 0
    finally:
        bundle.close()


def test_log_prior_is_bounded_and_monotone() -> None:
    values = [log_prior(n, 50) for n in (0, 1, 5, 50, 5000)]
    assert values[0] == 0.0 and values == sorted(values) and values[-1] < 1.0


def test_statute_evidence_ranks_the_statute_a_question_is_about(service_index) -> None:  # type: ignore[no-untyped-def]
    from legal_rag.search.bundle import IndexBundle
    from legal_rag.search.retriever import HybridRetriever, RetrievalConfig

    bundle = IndexBundle(service_index.index)
    try:
        retriever = HybridRetriever(bundle, RetrievalConfig(statute_weight=1.0))
        # The service index holds 민법, 근로기준법, 약관규제법, 국민건강보험법, 부가가치세법 (+ 시행령s).
        weights = retriever.statute_scores("요양급여비용 본인일부부담금과 건강보험 가입자", AS_OF)
        best = max(weights, key=weights.__getitem__)
        assert bundle.statutes[best].title.startswith("국민건강보험법")
        weights = retriever.statute_scores("매출세액과 매입세액 공제, 과세표준 신고", AS_OF)
        assert bundle.statutes[max(weights, key=weights.__getitem__)].title.startswith("부가가치세법")
        # Filtered to one law, only that law's versions are scored.
        only = retriever.statute_scores("임대차 계약 갱신", AS_OF, ("민법",))
        assert only and {bundle.statutes[m].title for m in only} == {"민법"}
    finally:
        bundle.close()


@pytest.mark.parametrize("typed", ["민법 839-2", "민법 제839-2", "민법 839조의2", "민법 §839의2", "민법 § 839-2",
                                   "「민법」 839-2"])
def test_article_number_forms_people_type(typed: str, corpus_catalog) -> None:  # type: ignore[no-untyped-def]
    from legal_rag.citations import find_citations

    refs = find_citations(normalize_article_forms(typed, corpus_catalog), corpus_catalog)
    assert [(r.law, r.article.label if r.article else None) for r in refs] == [("민법", "제839조의2")]


@pytest.mark.parametrize("text", ["민법 2020년 개정", "근로기준법 2024. 1. 1. 시행", "소득세법 1,000원", "제2020-12호 고시",
                                  "민법 5조", "주택임대차보호법 3항"])
def test_numbers_that_are_not_article_numbers_stay_as_written(text: str, corpus_catalog) -> None:  # type: ignore[no-untyped-def]
    assert normalize_article_forms(text, corpus_catalog) == text


def test_bare_number_after_a_law_name_is_its_article(corpus_catalog) -> None:  # type: ignore[no-untyped-def]
    assert normalize_article_forms("민법 750 불법행위", corpus_catalog) == "민법 제750조 불법행위"


def test_engine_resolves_typed_forms_and_keeps_the_question_as_typed(service_index) -> None:  # type: ignore[no-untyped-def]
    from legal_rag.search.engine import Engine

    engine = Engine(service_index.index)
    try:
        result = engine.search("민법 839-2", top_k=3, as_of=AS_OF)
        assert result.query == "민법 839-2"
        assert [(h.law, h.article, h.source) for h in result.hits][:1] == [("민법", "제839조의2", "citation")]
    finally:
        engine.close()


def test_law_stems_count_only_at_the_start_of_a_word() -> None:
    stems = {"부가가치세": "부가가치세법", "상속세및증여세": "상속세 및 증여세법", "상계": "X법"}
    assert stem_mentions("폐업한 경우 부가가치세 신고 기한", stems) == ["부가가치세법"]
    assert stem_mentions("상속세 및 증여세 신고", stems) == ["상속세 및 증여세법"]
    # 상계 inside 손해배상계약 or 보상 계획 is not a mention
    assert stem_mentions("손해배상계약의 해제", stems) == []


def test_folds_keep_decisions_together_and_are_stable() -> None:
    from bench.folds import decision_of, split_folds

    ids = [f"2018다{n}-{i}" for n in range(300, 320) for i in (1, 2, 3)]
    folds = split_folds(ids, 5)
    assert sorted(i for f in folds for i in f) == list(range(len(ids)))
    for fold in folds:
        decisions = {decision_of(ids[i]) for i in fold}
        assert all(decision_of(ids[j]) not in decisions for g in folds if g is not fold for j in g)
    assert split_folds(ids, 5) == folds


def test_cross_validation_scores_each_fold_with_a_choice_made_elsewhere() -> None:
    from bench.folds import cross_validate

    # "b" wins on every training set, but loses on fold 2: fold 2 is still scored with "b" (chosen on folds
    # 0-1), so the held-out figure shows the loss instead of picking "a" with hindsight.
    folds = [[0, 1], [2, 3], [4, 5]]
    per_item = {"a": [0, 0, 0, 0, 0.4, 0.4], "b": [1, 1, 1, 1, 0, 0]}
    cv = cross_validate(per_item, folds)
    assert cv.chosen == ["b", "b", "b"]
    assert cv.fold_scores == [1.0, 1.0, 0.0]
    assert cv.held_out == [1, 1, 1, 1, 0, 0]


def test_paired_randomization_test_separates_real_and_null_differences() -> None:
    from bench.significance import paired_randomization_test

    a = [1.0] * 30 + [0.0] * 10
    b = [0.0] * 30 + [0.0] * 10
    assert paired_randomization_test(a, b) < 0.01
    mixed_a = [1.0, 0.0] * 20
    mixed_b = [0.0, 1.0] * 20
    assert paired_randomization_test(mixed_a, mixed_b) > 0.5
    assert paired_randomization_test(a, a) == 1.0


def test_dense_side_is_off_by_default_and_set_from_the_environment() -> None:
    from legal_rag.search.retriever import RetrievalConfig, config_from_env

    assert RetrievalConfig().dense_weight == 0.0 and config_from_env({}).dense_weight == 0.0
    assert config_from_env({"LEGAL_RAG_DENSE_WEIGHT": "0.25"}).dense_weight == 0.25
    for bad in ("abc", "-1", "1e9"):
        with pytest.raises(ValueError, match="LEGAL_RAG_DENSE_WEIGHT"):
            config_from_env({"LEGAL_RAG_DENSE_WEIGHT": bad})


def test_dense_weight_zero_skips_the_query_encoder(service_index) -> None:  # type: ignore[no-untyped-def]
    from legal_rag.search.bundle import IndexBundle
    from legal_rag.search.retriever import HybridRetriever, RetrievalConfig

    bundle = IndexBundle(service_index.index)
    try:
        assert bundle.dense is not None  # the index has vectors; the default engine does not search them
        calls: list[object] = []
        real = bundle.embedder.encode
        bundle.embedder.encode = lambda texts, *a, **k: calls.append(texts) or real(texts, *a, **k)
        mask = HybridRetriever(bundle)._mask(AS_OF, ())
        assert HybridRetriever(bundle).dense_scores("해고의 제한", mask) == {} and calls == []
        on = HybridRetriever(bundle, RetrievalConfig(dense_weight=0.25)).dense_scores("해고의 제한", mask)
        assert on and calls == [["해고의 제한"]]
    finally:
        bundle.close()


def test_a_law_filter_searches_inside_faiss(service_index) -> None:  # type: ignore[no-untyped-def]
    """With a law filter the dense side returns that law's nearest articles (searched inside the allowed rows),
    not the few of them that a global top k happens to hold."""
    from legal_rag.articles import split_doc_id
    from legal_rag.search.bundle import IndexBundle
    from legal_rag.search.retriever import HybridRetriever, RetrievalConfig

    bundle = IndexBundle(service_index.index)
    try:
        retriever = HybridRetriever(bundle, RetrievalConfig(dense_weight=0.25, dense_candidates=30))
        law = "부가가치세법"  # a question about dismissal, filtered to the VAT act
        mask = retriever._mask(AS_OF, (law,))
        inside = retriever.dense_scores("해고의 제한", mask, filtered=True)
        titles = {bundle.statutes[split_doc_id(d)[0]].title for d in inside}
        assert titles == {law}
        allowed_articles = {bundle.chunk_doc_ids[r] for r in mask.nonzero()[0]}
        assert len(allowed_articles) > 30 and len(inside) >= 20  # 30 nearest chunks, a few articles split in 항s
        # The old way (global search, then the mask) finds fewer of them for a question about another law.
        after = retriever.dense_scores("해고의 제한", mask, filtered=False)
        assert set(after) <= set(inside) and len(after) < len(inside)
    finally:
        bundle.close()
