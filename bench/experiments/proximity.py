"""Term proximity: an article that has the question's words next to each other (`퇴직금 채권`, `보존 행위`) is
more likely about the same thing than one that has them apart. Over the top `proximity_depth` articles, the
question's adjacent content-morpheme pairs that also stand next to each other in the article (ignoring
particles and endings, which the tokenizer drops) are counted, idf-weighted by their second word, and the
articles ranked by that count are RRF-added. Needs the articles' tokens in order, so it tokenises up to
`proximity_depth` articles per question (cached across questions here; a shipped version would need a
per-article token artifact).

    python -m bench.experiments.proximity --index index/full --dataset ../shared/eval/dev.jsonl \\
        --dataset ../shared/eval/dev_whole.jsonl --as-of 2026-11-30 --signals proximity,proximity-depth
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bench import tune
from bench.experiments import per_index
from legal_rag.search.fusion import rrf
from legal_rag.search.retriever import HybridRetriever, RetrievalConfig, ScoredArticle
from legal_rag.tokenizer import tokenize_many, tokenize_query


@dataclass
class ProximityConfig(RetrievalConfig):
    proximity: float = 0.0  # RRF weight of the proximity ranking
    proximity_depth: int = 50


def adjacent_pairs(tokens: Sequence[str]) -> set[tuple[str, str]]:
    """Pairs of neighbouring content morphemes, in order (compound and article-number tokens, which the
    tokenizer appends after the morphemes, are left out)."""
    words = [t for t in tokens if "/" in t and not t.endswith("/CMP")]  # `제492조` tokens carry no tag
    return set(zip(words, words[1:], strict=False))


class ProximityRetriever(HybridRetriever):
    def _pairs_of(self, doc_ids: Sequence[str]) -> list[set[tuple[str, str]]]:
        known: dict[str, set[tuple[str, str]]] = per_index(self.bundle, "adjacent_pairs", dict)
        missing = [d for d in doc_ids if d not in known]
        if missing:
            arts = self.bundle.store.articles(missing)
            texts = [f"{arts[d].title} {arts[d].text}" if d in arts else "" for d in missing]
            for d, toks in zip(missing, tokenize_many(texts), strict=True):
                known[d] = adjacent_pairs(toks)
        return [known[d] for d in doc_ids]

    def _idf(self, token: str) -> float:
        col = self.bundle.bm25.vocab.get(token)
        if col is None:
            return 0.0
        indptr = self.bundle.bm25.weights.indptr  # CSC: a column's non-zeros are the chunks that have the token
        df = int(indptr[col + 1] - indptr[col])
        return math.log1p(len(self.bundle.chunk_doc_ids) / (df + 1))

    def retrieve_scored(self, query: str, top_k: int = 10, as_of: date | None = None, laws: Sequence[str] = (),
                        mentioned_laws: Sequence[str] = ()) -> list[ScoredArticle]:
        c = self.config
        weight = float(getattr(c, "proximity", 0.0))
        ranked = super().retrieve_scored(query, max(top_k, 200) if weight > 0 else top_k, as_of, laws,
                                         mentioned_laws)
        wanted = adjacent_pairs(tokenize_query(query))
        if weight <= 0 or not wanted:
            return ranked[:top_k]
        head = ranked[: int(getattr(c, "proximity_depth", 50))]
        found: dict[str, float] = {}
        for sa, pairs in zip(head, self._pairs_of([s.doc_id for s in head]), strict=True):
            shared = wanted & pairs
            if shared:
                found[sa.doc_id] = sum(self._idf(b) for _, b in shared)
        by_id = {s.doc_id: s for s in head}
        for d, v in rrf(found, c.rrf_k).items():
            by_id[d].score += weight * v
        return sorted(ranked, key=lambda s: -s.score)[:top_k]


EXPERIMENT = tune.Experiment(
    retriever=ProximityRetriever,
    config=ProximityConfig,
    signals=(
        tune.Signal("proximity", "question word pairs adjacent in the article, RRF-added", "proximity",
                    (0.0, 0.25, 0.5, 1.0)),
        tune.Signal("proximity-depth", "articles checked", "proximity_depth", (50, 20)),
    ),
)

if __name__ == "__main__":
    sys.exit(tune.main(sys.argv[1:], EXPERIMENT, prog="python -m bench.experiments.proximity"))
