"""Rank fusion as plain functions: one searcher's scores in, rank-based scores out."""

from __future__ import annotations


def rrf(scores: dict[str, float], k: int) -> dict[str, float]:
    """Reciprocal-rank fusion weights 1 / (k + rank) of one searcher's ranking (rank 1 = best score)."""
    ranked = sorted(scores, key=lambda d: -scores[d])
    return {d: 1.0 / (k + i + 1) for i, d in enumerate(ranked)}
