"""The precedent signal in evaluation: each item's own decision is excluded (by `source`)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bench.evaluation import evaluate, parse_dataset
from bench.precedent_eval import PrecedentSignalSystem
from legal_rag.precedents.service import rerank_with_precedents

pytest_plugins = ("precedent_fixtures",)

OWN = "민사/대법원/대법원_2001-05-08_99다38699.md"
QUERY = "독립한 경제주체간의 경쟁적 계약관계에 있어서 제3자에 의한 채권침해가 불법행위가 되기 위한 요건"


def _item(source: str | None) -> Any:
    obj = {"id": "99다38699-3", "query": QUERY, "category": "민사", "gold": [{"law": "민법", "article": "제750조"}]}
    if source:
        obj["source"] = source
    items, problems = parse_dataset([json.dumps(obj, ensure_ascii=False)])
    assert not problems
    return items[0]


def test_dataset_source_is_read() -> None:
    assert _item(OWN).source == OWN


def test_rerank_promotes_articles_the_close_decisions_cite(precedent_engine: Any) -> None:
    ranked = [(h.doc_id, h.law, h.article) for h in precedent_engine.search("채권침해", top_k=5).hits]
    assert ("민법", "제750조") not in [r[1:] for r in ranked]
    fused = rerank_with_precedents(precedent_engine, QUERY, ranked, 2.0)
    assert fused[0][1:] == ("민법", "제750조")  # joins the ranking from 99다38699's 참조조문
    assert rerank_with_precedents(precedent_engine, QUERY, ranked, 0.0) == ranked


def test_evaluation_excludes_the_items_own_decision(precedent_engine: Any) -> None:
    system = PrecedentSignalSystem(precedent_engine, 2.0)
    leaked = evaluate(system, [_item(None)], 20, date(2026, 11, 30))
    honest = evaluate(system, [_item(OWN)], 20, date(2026, 11, 30))
    # Only 99다38699 cites 민법 제750조: found through itself when not excluded, not through the signal otherwise.
    assert leaked.metrics["recall@1"] == 1.0
    assert honest.metrics["recall@1"] < 1.0
