"""Rank fusion as plain functions: one searcher's scores in, rank-based scores out."""

from __future__ import annotations


def rrf(scores: dict[str, float], k: int) -> dict[str, float]:
    """Reciprocal-rank fusion weights 1 / (k + rank) of one searcher's ranking (rank 1 = best score)."""
    ranked = sorted(scores, key=lambda d: -scores[d])
    return {d: 1.0 / (k + i + 1) for i, d in enumerate(ranked)}


def evidence_rrf(ranked: list[str], evidence: dict[str, float], weight: float, k: int) -> dict[str, float]:
    """A ranking fused with graded evidence from a second source: 1 / (k + rank) for the ranking, plus
    `weight` x evidence / (k + rank by evidence) for each item the evidence names (evidence in (0, 1]).

    Used for decisions' 참조조문 (legal_rag.precedents): at weight 1 an article the closest decision cites fully
    counts as much as the ranking's first, so the two sources interleave; a graded vote counts less."""
    out = {d: 1.0 / (k + i + 1) for i, d in enumerate(ranked)}
    for d, share in rrf(evidence, k).items():
        out[d] = out.get(d, 0.0) + weight * evidence[d] * share
    return out
