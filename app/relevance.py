"""Does anything in the corpus fit the question? A score comparable across questions, and its threshold.

`relevance` reads the question's content words (kiwi tokens, legal_rag.tokenizer), weighted by their corpus
idf (the BM25 index's own document frequencies), in the best retrieved article (see `relevance`). It is 0..1
whatever the question's length, so one threshold serves every question; a word the corpus has never seen
(English, a dish's name) weighs as much as the rarest statute word and is never matched. Below
`DEFAULT_THRESHOLD` the service says it found no governing article and how to ask.

The threshold was chosen on folds of the dev set against off-topic questions (bench/relevance.py,
docs/evaluation.md "Saying when nothing fits").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.generation.extractive import question_terms, question_text, term_groups, weighted
from app.schemas import Hit
from legal_rag.bm25 import BM25Index
from legal_rag.tokenizer import tokenize_many

# Chosen on 5 dev folds (bench/relevance.py): see docs/evaluation.md.
DEFAULT_THRESHOLD = 0.275

_HANGUL_RE = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")
_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)

LANGUAGE_NOTICE = ("이 서비스는 한국어 질문에만 답합니다. 한국 법령에 관한 질문을 한국어로 적어 주십시오 "
                   "(예: 근로자를 해고하려면 언제까지 예고해야 하나요?).")
NOT_A_QUESTION_NOTICE = "질문을 읽을 수 없습니다. 궁금한 점을 한국어 문장으로 적어 주십시오."


def language_notice(question: str) -> str:
    """A Korean-only notice for a question that is not Korean (or has no words at all); '' for Korean.

    Korean when at least a third of its letters are Hangul: `근로기준법 Article 23` is Korean enough,
    `What is the notice period for dismissal?` is not."""
    letters = _LETTER_RE.findall(question)
    if not letters:
        return NOT_A_QUESTION_NOTICE
    hangul = sum(1 for ch in letters if _HANGUL_RE.match(ch))
    return "" if hangul * 3 >= len(letters) else LANGUAGE_NOTICE


@dataclass(frozen=True)
class CorpusIdf:
    """Corpus idf per token, read from a loaded BM25 index (df = the number of chunks holding the token)."""

    bm25: BM25Index

    def __call__(self, token: str) -> float:
        n_docs = max(self.bm25.weights.shape[0], 1)
        col = self.bm25.vocab.get(token)
        df = 0 if col is None else int(self.bm25.weights.indptr[col + 1] - self.bm25.weights.indptr[col])
        return float(np.log1p((n_docs - df + 0.5) / (df + 0.5)))


# A matched word's idf is ~2 for everyday statute words (기간, 지급) and 5-10 for specific ones (해고, 재산분할):
# 40 is the evidence of 5-8 specific words matched at once, which no off-topic question reached on dev.
EVIDENCE_FULL = 40.0


def relevance(question: str, hits: Sequence[Hit], idf: CorpusIdf | None = None, top: int = 5) -> float:
    """How well the best of the top `top` hits fits the question, 0..1 (comparable across questions).

    The better of two views of the question's content words (kiwi tokens; a compound and its parts count once)
    found in one article (its text, title and law name):
    - coverage: their idf-weighted share, halved when only one word matched (a lone rare word is how
      off-topic questions match: 사랑 in 고향사랑기부금, 서울 in 서울회생법원);
    - evidence: the idf of the matched words summed, over EVIDENCE_FULL, capped at 1 (a long question of a
      court decision matches many specific words while its share stays small).
    Without an index's idf every word weighs the same."""
    q = question_terms(tokenize_many([question_text(question)])[0])
    ranked = sorted(hits, key=lambda h: h.rank)[:top]
    if not q or not ranked:
        return 0.0
    groups = term_groups(q)
    weights = {t: (idf(t) if idf is not None else 1.0) for t in q}
    total = weighted(q, groups, weights)
    if total <= 0 or not math.isfinite(total):
        return 0.0
    texts = [f"{h.law} {h.title}\n{h.text}" for h in ranked]
    best = 0.0
    for terms in (set(t) & q for t in tokenize_many(texts)):
        matched = weighted(terms, groups, weights)
        n_groups = len({groups[t] for t in terms})
        coverage = matched / total * min(1.0, n_groups / 2)
        evidence = min(1.0, matched / EVIDENCE_FULL) if idf is not None else 0.0
        best = max(best, coverage, evidence)
    return best
