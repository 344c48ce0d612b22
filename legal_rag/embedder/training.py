"""Learning the static embedder: LSA initialisation, then MultipleNegativesRankingLoss on the corpus pairs."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from legal_rag.embedder.base import KIWI_STATIC_TYPE, STATIC_MAX_CHARS
from legal_rag.embedder.lsa import lsa_term_vectors
from legal_rag.embedder.static import KiwiStaticEmbedder
from legal_rag.embedder.vocabulary import _corpus_vocabulary
from legal_rag.tokenizer import TOKENIZER_ID

log = logging.getLogger(__name__)


def _batches_without_duplicates(
    order: Sequence[int], keys: Sequence[tuple[str, str]], batch_size: int
) -> list[list[int]]:
    """In-batch negatives must not be copies of the positive: a text appears at most once per batch."""
    batches: list[list[int]] = []
    pending = list(order)
    while pending:
        batch: list[int] = []
        seen: set[str] = set()
        rest: list[int] = []
        for j, i in enumerate(pending):
            if len(batch) >= batch_size:
                rest.extend(pending[j:])  # full: the rest waits unread (scanning it made this quadratic)
                break
            a, p = keys[i]
            if a not in seen and p not in seen:
                batch.append(i)
                seen.update((a, p))
            else:
                rest.append(i)
        batches.append(batch)
        pending = rest
    return batches


def train_static_embedder(
    texts_tokens: list[list[str]],
    pairs: list[tuple[list[str], list[str]]],
    dim: int = 256,
    epochs: int = 1,
    seed: int = 0,
    *,
    min_df: int = 2,
    max_vocab: int = 200_000,
    batch_size: int = 256,
    lr: float = 0.1,
    max_pairs: int | None = None,
    max_steps: int | None = None,
    max_tokens: int = 1024,
    svd_power: float = -0.5,
    scale: float = 20.0,
    trained_on: Any = None,
    log_every: int = 0,
) -> KiwiStaticEmbedder:
    """Learn a KiwiStaticEmbedder from tokenised statute texts and (query tokens, positive tokens) pairs.

    Vocabulary: tokens in at least `min_df` texts (the most frequent `max_vocab`). Init: LSA term vectors.
    Fine-tuning: MultipleNegativesRankingLoss (in-batch negatives, no duplicate text within a batch), Adam, CPU.
    `max_pairs` samples the pairs and `max_steps` stops early, to bound the time ingest spends here; each text
    is cut to its first `max_tokens` known tokens during training only. The same seed gives the same weights
    (seeded randomized SVD, seeded shuffles, torch.manual_seed).
    """
    import torch

    try:
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:  # sentence-transformers < 5.x layout
        from sentence_transformers.losses import MultipleNegativesRankingLoss  # type: ignore[no-redef]

    if not texts_tokens:
        raise ValueError("no texts to learn a vocabulary from / 어휘를 학습할 텍스트가 없습니다")
    started = time.perf_counter()
    vocab_tokens, tf = _corpus_vocabulary(texts_tokens, min_df, max_vocab)
    if len(vocab_tokens) == 1:
        raise ValueError(
            f"no token occurs in {min_df} or more texts / {min_df}개 이상의 텍스트에 나오는 토큰이 없습니다"
        )
    weights = lsa_term_vectors(tf, 0, dim, seed, svd_power)
    del tf
    init_s = time.perf_counter() - started

    meta: dict[str, Any] = {
        "type": KIWI_STATIC_TYPE,
        "tokenizer": TOKENIZER_ID,
        "dim": dim,
        "max_chars": STATIC_MAX_CHARS,
        "trained_on": trained_on if trained_on is not None else {"texts": len(texts_tokens)},
        "init": {"method": "lsa-tfidf-sklearn-randomized-svd", "min_df": min_df, "svd_power": svd_power},
        "pairs": 0,
        "epochs": epochs,
        "steps": 0,
        "seed": seed,
        "lr": lr,
        "batch_size": batch_size,
    }
    emb = KiwiStaticEmbedder({t: i for i, t in enumerate(vocab_tokens)}, weights, meta)
    model = emb.model

    rng = np.random.default_rng(seed)
    prepared = [(emb.prepare(q, max_tokens), emb.prepare(p, max_tokens)) for q, p in pairs]
    prepared = [qp for qp in prepared if qp[0] and qp[1] and qp[0] != qp[1]]
    if max_pairs is not None and len(prepared) > max_pairs:
        pick = np.sort(rng.choice(len(prepared), size=max_pairs, replace=False))
        prepared = [prepared[i] for i in pick]
    steps = 0
    if prepared and epochs > 0 and (max_steps is None or max_steps > 0):
        torch.manual_seed(seed)
        loss_fn = MultipleNegativesRankingLoss(model, scale=scale)
        preprocess = getattr(model, "preprocess", None) or model.tokenize  # `tokenize` before s-t 6
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        model.train()
        done = False
        for _ in range(epochs):
            for batch in _batches_without_duplicates(rng.permutation(len(prepared)).tolist(), prepared, batch_size):
                if len(batch) < 2:
                    continue  # one pair alone has no negatives to learn from
                queries = preprocess([prepared[i][0] for i in batch])
                positives = preprocess([prepared[i][1] for i in batch])
                loss = loss_fn([queries, positives], None)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    model[0].embedding.weight[0].zero_()  # [UNK] stays meaningless
                steps += 1
                if log_every and steps % log_every == 0:
                    log.info("static embedder step %d loss %.4f", steps, float(loss.detach()))
                if max_steps is not None and steps >= max_steps:
                    done = True
                    break
            if done:
                break
        model.eval()
    meta.update(
        pairs=len(prepared),
        steps=steps,
        train_seconds=round(time.perf_counter() - started, 1),
        init_seconds=round(init_s, 1),
    )
    return KiwiStaticEmbedder.from_model(model, meta)
