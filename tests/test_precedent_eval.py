"""The precedent signal: Engine.search fuses the articles the closest decisions cite, in the version that applies;
evaluation excludes each item's own decision (by `source`)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

from bench.evaluation import EngineSystem, evaluate, parse_dataset, precedent_system

pytest_plugins = ("precedent_fixtures",)

OWN = "민사/대법원/대법원_2001-05-08_99다38699.md"
QUERY = "독립한 경제주체간의 경쟁적 계약관계에 있어서 제3자에 의한 채권침해가 불법행위가 되기 위한 요건"


def _item(source: str | None, query: str = QUERY) -> Any:
    obj = {"id": "99다38699-3", "query": query, "category": "민사", "gold": [{"law": "민법", "article": "제750조"}]}
    if source:
        obj["source"] = source
    items, problems = parse_dataset([json.dumps(obj, ensure_ascii=False)])
    assert not problems
    return items[0]


def test_dataset_source_is_read() -> None:
    assert _item(OWN).source == OWN


def _top(engine: Any, query: str, **kw: Any) -> list[tuple[str, str, str]]:
    return [(h.law, h.article, h.source) for h in engine.search(query, top_k=5, as_of=date(2026, 11, 30), **kw).hits]


def test_search_fuses_the_articles_the_close_decisions_cite(precedent_engine: Any) -> None:
    statutes_only = precedent_engine.with_config(replace(precedent_engine.retriever.config, precedent_weight=0.0))
    query = "제3자에 의한 채권침해"
    assert ("민법", "제750조") not in [r[:2] for r in _top(statutes_only, query)]
    # On by default for an index with decisions: 99다38699's 참조조문 bring 민법 제750조 in, marked as such, second
    # (the closest decision's article interleaves with the statutes' own first hit).
    assert _top(precedent_engine, query)[1] == ("민법", "제750조", "precedent")
    # Left out when that decision is excluded (no other decision in the sample cites it for this question).
    assert ("민법", "제750조") not in [r[:2] for r in _top(precedent_engine, query, exclude_sources=[OWN])]


def test_precedent_votes_follow_the_version_in_force(precedent_engine: Any) -> None:
    retriever = precedent_engine.retriever
    civil = [s for s, _ in retriever.bundle.statute_rows if s.title == "민법"]
    current = retriever.versions(date(2026, 11, 30))[civil[0].law_id].statute
    doc_id = f"{current.mst}:제750조"
    assert retriever.in_force([doc_id], date(2026, 11, 30)) == {doc_id: doc_id}
    # A law filter that leaves 민법 out drops the vote; so does a statute version the index does not hold.
    assert retriever.in_force([doc_id], date(2026, 11, 30), ["형법"]) == {}
    assert retriever.in_force(["0:제750조"], date(2026, 11, 30)) == {}


def test_engine_system_excludes_the_items_own_decision(precedent_engine: Any) -> None:
    system = EngineSystem(precedent_engine)
    query = "제3자에 의한 채권침해"  # the statutes alone do not find 민법 제750조 for it (test above)
    assert evaluate(system, [_item(None, query)], 20, date(2026, 11, 30)).metrics["recall@10"] == 1.0
    assert evaluate(system, [_item(OWN, query)], 20, date(2026, 11, 30)).metrics["recall@10"] == 0.0


def test_evaluation_excludes_the_items_own_decision(precedent_engine: Any) -> None:
    system = precedent_system(precedent_engine, 2.0)
    leaked = evaluate(system, [_item(None)], 20, date(2026, 11, 30))
    honest = evaluate(system, [_item(OWN)], 20, date(2026, 11, 30))
    # Only 99다38699 cites 민법 제750조: found through itself when not excluded, not through the signal otherwise.
    assert leaked.metrics["recall@1"] == 1.0
    assert honest.metrics["recall@1"] < 1.0


def test_the_answer_names_the_article_a_close_decision_cites_and_why(precedent_engine: Any) -> None:
    from app.generation.extractive import choose_basis

    query = "제3자에 의한 채권침해"
    hits = precedent_engine.search(query, top_k=5, as_of=date(2026, 11, 30)).hits
    basis = {(b.hit.law, b.hit.article): b for b in choose_basis(query, hits)}
    assert basis[("민법", "제750조")].role == "related"
    assert basis[("민법", "제750조")].reason == "질문과 가까운 판례가 참조조문으로 든 조문"


def test_an_article_only_a_decision_names_is_never_governing(precedent_engine: Any) -> None:
    """Over the shared court questions: articles only a decision named are never governing, although several
    of them would be chosen as governing by their words alone (the same hits marked as retrieval)."""
    from conftest import shared_dir

    from app.generation.extractive import choose_basis

    queries = [json.loads(line)["query"] for name in ("dev", "dev_whole")
               for line in (shared_dir() / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line]
    would_govern = 0
    for query in queries:
        hits = precedent_engine.search(query, top_k=8, as_of=date(2026, 11, 30)).hits
        if not any(h.source == "precedent" for h in hits):
            continue
        governing = [b.hit for b in choose_basis(query, hits) if b.role == "governing"]
        assert all(h.source != "precedent" for h in governing), query
        # ... nor do they take the answer away: a governing article whenever the list without them has one.
        statutes_only = [h for h in hits if h.source != "precedent"]
        assert bool(governing) == any(b.role == "governing" for b in choose_basis(query, statutes_only)), query
        as_retrieval = [h.model_copy(update={"source": "retrieval"}) for h in hits]
        chosen = {b.hit.doc_id for b in choose_basis(query, as_retrieval) if b.role == "governing"}
        would_govern += any(h.source == "precedent" and h.doc_id in chosen for h in hits)
    assert would_govern >= 3


def test_a_weak_best_match_votes_proportionally_less(precedent_engine: Any) -> None:
    from legal_rag.precedents.service import precedent_article_scores, precedents_for

    best = float(precedents_for(precedent_engine).issue_scores(QUERY).max())
    full = precedent_article_scores(precedent_engine, QUERY)
    assert max(full.values()) == 1.0
    assert precedent_article_scores(precedent_engine, QUERY, full_score=best / 2) == full  # strong enough
    halved = precedent_article_scores(precedent_engine, QUERY, full_score=best * 2)
    assert halved.keys() == full.keys()
    assert all(abs(halved[d] - full[d] / 2) < 1e-9 for d in full)
