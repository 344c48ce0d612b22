"""Multi-part questions: a question that asks two things (`… 여부 및 …`, `… / …`, two sentences) is split at
` 및 `, ` / ` and sentence ends; each part is ranked on its own and fused with the whole question's ranking, so
that the second part's articles are not crowded out by the first part's words. A piece with fewer than
`question_parts_min_tokens` content tokens stays joined to its neighbour (`상속세 및 증여세법` is one name).

    python -m bench.experiments.question_parts --index index/full --dataset ../shared/eval/dev.jsonl \\
        --dataset ../shared/eval/dev_whole.jsonl --as-of 2026-11-30 --signals question-parts,question-parts-min
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bench import tune
from legal_rag.search.fusion import rrf
from legal_rag.search.retriever import HybridRetriever, RetrievalConfig, ScoredArticle
from legal_rag.tokenizer import tokenize_query

_SEPARATORS = re.compile(r"\s및\s|\s/\s|[.?!]\s+|;\s*")


@dataclass
class QuestionPartsConfig(RetrievalConfig):
    question_parts: float = 0.0  # RRF weight of the parts' rankings (shared among the parts)
    question_parts_min_tokens: int = 3
    question_parts_depth: int = 50


def question_parts(query: str, min_tokens: int) -> list[str]:
    """The parts of a multi-part question ([] for a single one)."""
    parts: list[str] = []
    for piece in (p.strip() for p in _SEPARATORS.split(query)):
        if not piece:
            continue
        if parts and min(len(tokenize_query(parts[-1])), len(tokenize_query(piece))) < min_tokens:
            parts[-1] = f"{parts[-1]} 및 {piece}"
        else:
            parts.append(piece)
    return parts if len(parts) >= 2 else []


class QuestionPartsRetriever(HybridRetriever):
    def retrieve_scored(self, query: str, top_k: int = 10, as_of: date | None = None, laws: Sequence[str] = (),
                        mentioned_laws: Sequence[str] = ()) -> list[ScoredArticle]:
        c = self.config
        weight = float(getattr(c, "question_parts", 0.0))
        parts = question_parts(query, int(getattr(c, "question_parts_min_tokens", 3))) if weight > 0 else []
        if not parts:
            return super().retrieve_scored(query, top_k, as_of, laws, mentioned_laws)
        whole = super().retrieve_scored(query, max(top_k, c.bm25_candidates), as_of, laws, mentioned_laws)
        out = {s.doc_id: ScoredArticle(s.doc_id, 0.0, s.source, dict(s.parts)) for s in whole}
        for d, v in rrf({s.doc_id: s.score for s in whole}, c.rrf_k).items():
            out[d].score += v
        depth = int(getattr(c, "question_parts_depth", 50))
        for part in parts:
            ranked = super().retrieve_scored(part, depth, as_of, laws, mentioned_laws)
            for d, v in rrf({s.doc_id: s.score for s in ranked}, c.rrf_k).items():
                out.setdefault(d, ScoredArticle(d, 0.0)).score += weight * v / len(parts)
        return sorted(out.values(), key=lambda s: -s.score)[:top_k]


EXPERIMENT = tune.Experiment(
    retriever=QuestionPartsRetriever,
    config=QuestionPartsConfig,
    signals=(
        tune.Signal("question-parts", "parts of a multi-part question ranked alone and fused", "question_parts",
                    (0.0, 0.5, 1.0, 2.0)),
        tune.Signal("question-parts-min", "content tokens a part needs", "question_parts_min_tokens", (3, 5)),
    ),
)

if __name__ == "__main__":
    sys.exit(tune.main(sys.argv[1:], EXPERIMENT, prog="python -m bench.experiments.question_parts"))
