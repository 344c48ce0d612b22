"""Text -> dense vectors: a real sentence-transformers model when one is on disk, else one learnt from the statutes.

There is no Korean embedding model on PyPI and the service must work with no network, so the default embedder
is trained at ingest from the corpus itself (`train_static_embedder`): a bag of kiwi morphemes (the same tokens
BM25 uses, from `legal_rag.tokenizer`) averaged through a sentence-transformers `StaticEmbedding`. Its token
vectors start as LSA term vectors (truncated SVD of the tf-idf document-term matrix) and are then fine-tuned with
`MultipleNegativesRankingLoss` on pairs the statutes provide themselves (`corpus_pairs`): article title -> body,
and 시행령/시행규칙 article -> the parent law's article it cites (`법 제44조`). Nothing is invented: every
vector is computed from real text by a model saved as an ordinary sentence-transformers directory (safetensors
weights, tokenizer.json, modules.json) plus the `legal_rag_embedder.json` marker. No pickle anywhere.

A neural model (e.g. `nlpai-lab/KURE-v1`, `BAAI/bge-m3`) already in the local Hugging Face cache or in a
directory is used through `SentenceTransformerEmbedder`; `load_embedder(spec)` picks the right class.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from legal_rag.articles import Article, ArticleNumber, law_key
from legal_rag.tokenizer import TOKENIZER_ID, tokenize_many

log = logging.getLogger(__name__)

MARKER_FILE = "legal_rag_embedder.json"
KIWI_STATIC_TYPE = "kiwi-static"
UNK = "[UNK]"
# Same window as legal_rag.chunking.DEFAULT_MAX_CHARS: a mean of token vectors blurs as a text grows, so the
# static embedder wants article-sized pieces, not whole chapters.
STATIC_MAX_CHARS = 1500
# A neural model's window in characters is bounded by its token limit; Korean subword tokens cover one to two
# syllables, so one character per token is the safe side. Above 2,000 characters one vector per piece is too
# coarse for retrieval even when the model could read more.
ST_MAX_CHARS_CAP = 2000


@runtime_checkable
class Embedder(Protocol):
    """What indexing and search need from an embedding model."""

    id: str  # recorded in the index manifest; a query must be embedded by the model that built the index
    dim: int
    max_chars: int  # the longest piece of text one vector should stand for (the chunking window)

    def encode(self, texts: list[str], batch_size: int = 256, show_progress: bool = False) -> np.ndarray:
        """float32 array (len(texts), dim) with L2-normalised rows."""
        ...


def _as_float32_rows(vectors: Any, n: int, dim: int) -> np.ndarray:
    out = np.asarray(vectors, dtype=np.float32).reshape(n, dim)
    return np.ascontiguousarray(out)


# --------------------------------------------------------------------------------------------------------------
# A real sentence-transformers model from the local cache or a directory


class SentenceTransformerEmbedder:
    """A sentence-transformers model by hub id (already cached locally) or by local directory."""

    def __init__(self, model_id_or_path: str, device: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        path = Path(model_id_or_path).expanduser()
        is_dir = path.is_dir()
        # Never reach the hub from a path, nor when the deployment says it is offline.
        local_only = is_dir or os.environ.get("HF_HUB_OFFLINE", "") == "1"
        if device is None:
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            self.model = SentenceTransformer(
                str(path) if is_dir else model_id_or_path, device=device, local_files_only=local_only
            )
        except OSError as exc:
            raise OSError(
                f"embedding model {model_id_or_path!r} is not available locally ({exc}) / "
                f"임베딩 모델 {model_id_or_path!r}을(를) 로컬에서 찾을 수 없습니다"
            ) from exc
        self.device = device
        self.source = str(path.resolve()) if is_dir else model_id_or_path
        self.id = "st:" + (path.resolve().name if is_dir else model_id_or_path)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            raise ValueError(f"cannot tell the embedding size of {model_id_or_path!r} / 임베딩 차원을 알 수 없습니다")
        self.dim = int(dim)
        seq = self.model.max_seq_length
        self.max_chars = int(min(seq, ST_MAX_CHARS_CAP)) if seq and np.isfinite(seq) else ST_MAX_CHARS_CAP

    def encode(self, texts: list[str], batch_size: int = 256, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return _as_float32_rows(vecs, len(texts), self.dim)


# --------------------------------------------------------------------------------------------------------------
# The corpus-trained static embedder


def _clean_token(token: str) -> str:
    # The WordLevel tokenizer splits on whitespace, so a token must not contain any.
    return re.sub(r"\s+", "_", token)


def _fingerprint(weights: np.ndarray, vocab_size: int) -> str:
    h = hashlib.sha256()
    h.update(str(weights.shape).encode())
    h.update(str(vocab_size).encode())
    h.update(np.ascontiguousarray(weights, dtype=np.float32).tobytes())
    return h.hexdigest()[:16]


class KiwiStaticEmbedder:
    """Mean of per-morpheme vectors (sentence-transformers StaticEmbedding) over legal_rag.tokenizer tokens.

    Texts with no known token get a zero row (no direction to normalise); they match nothing, which is the
    honest answer for a query made only of words the statutes never use.
    """

    def __init__(self, model: Any, meta: dict[str, Any]) -> None:
        self.model = model  # sentence_transformers.SentenceTransformer with one StaticEmbedding module
        static = model[0]
        self.tokenizer = static.tokenizer
        self.vocab: dict[str, int] = self.tokenizer.get_vocab()
        self.dim = int(static.embedding_dim)
        self.max_chars = int(meta.get("max_chars", STATIC_MAX_CHARS))
        self.device = "cpu"
        weights = static.embedding.weight.detach().cpu().numpy()
        self.fingerprint = _fingerprint(weights, len(self.vocab))
        self.meta = {**meta, "dim": self.dim, "vocab_size": len(self.vocab), "fingerprint": self.fingerprint}
        self.id = f"{KIWI_STATIC_TYPE}:{meta.get('tokenizer', TOKENIZER_ID)}:{self.dim}:{self.fingerprint}"

    # -- text preparation shared by training and inference
    def prepare(self, tokens: Sequence[str], max_tokens: int | None = None) -> str:
        """Known tokens of one text joined by spaces: what the WordLevel tokenizer of the ST model reads."""
        kept = [t for t in (_clean_token(t) for t in tokens) if t in self.vocab and t != UNK]
        if max_tokens is not None:
            kept = kept[:max_tokens]
        return " ".join(kept)

    def encode_tokens(
        self, token_lists: Sequence[Sequence[str]], batch_size: int = 256, show_progress: bool = False
    ) -> np.ndarray:
        """Vectors of texts already tokenised with legal_rag.tokenizer (ingest tokenises once for BM25 too)."""
        n = len(token_lists)
        out = np.zeros((n, self.dim), dtype=np.float32)
        prepared = [self.prepare(t) for t in token_lists]
        rows = [i for i, p in enumerate(prepared) if p]
        if rows:
            vecs = self.model.encode(
                [prepared[i] for i in rows],
                batch_size=batch_size,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
            out[rows] = _as_float32_rows(vecs, len(rows), self.dim)
        return out

    def encode(self, texts: list[str], batch_size: int = 256, show_progress: bool = False) -> np.ndarray:
        return self.encode_tokens(tokenize_many(texts), batch_size=batch_size, show_progress=show_progress)

    # -- persistence: an ordinary sentence-transformers directory plus our marker
    def save(self, directory: str | Path) -> list[str]:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save(str(directory), create_model_card=False, safe_serialization=True)
        (directory / MARKER_FILE).write_text(json.dumps(self.meta, ensure_ascii=False, indent=2), encoding="utf-8")
        return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())

    @classmethod
    def load(cls, directory: str | Path) -> KiwiStaticEmbedder:
        from sentence_transformers import SentenceTransformer

        directory = Path(directory)
        meta = json.loads((directory / MARKER_FILE).read_text(encoding="utf-8"))
        if meta.get("type") != KIWI_STATIC_TYPE:
            raise ValueError(
                f"{directory} holds a {meta.get('type')!r} embedder, not {KIWI_STATIC_TYPE!r} / "
                f"{directory}의 임베더 형식이 다릅니다"
            )
        if meta.get("tokenizer") != TOKENIZER_ID:
            raise ValueError(
                f"embedder trained with tokenizer {meta.get('tokenizer')!r}, this build tokenises with "
                f"{TOKENIZER_ID!r}; retrain it / 토크나이저가 달라 임베더를 다시 학습해야 합니다"
            )
        if not (directory / "model.safetensors").is_file():
            raise FileNotFoundError(f"{directory}/model.safetensors missing / 가중치 파일이 없습니다")
        # Static embeddings are a lookup and a mean: the CPU is faster than a trip to the GPU.
        model = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
        emb = cls(model, meta)
        if meta.get("fingerprint") and meta["fingerprint"] != emb.fingerprint:
            raise ValueError(
                f"{directory}: weights do not match {MARKER_FILE} / 가중치가 표식 파일과 일치하지 않습니다"
            )
        return emb


def _build_st_model(vocab_tokens: list[str], weights: np.ndarray) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import WhitespaceSplit

    try:
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    except ImportError:  # sentence-transformers < 5.x layout
        from sentence_transformers.models import StaticEmbedding

    vocab = {tok: i for i, tok in enumerate(vocab_tokens)}
    tokenizer = Tokenizer(WordLevel(vocab=vocab, unk_token=UNK))
    tokenizer.pre_tokenizer = WhitespaceSplit()
    static = StaticEmbedding(tokenizer, embedding_weights=torch.from_numpy(np.ascontiguousarray(weights)))
    return SentenceTransformer(modules=[static], device="cpu")


def _lsa_init(
    texts_tokens: Sequence[Sequence[str]], vocab_tokens: list[str], dim: int, seed: int, power: float
) -> np.ndarray:
    """Token vectors whose mean over a text reproduces the text's LSA coordinates.

    With X = tf-idf (rows L2-normalised) = U S V^T, folding a document in gives x_tf · diag(idf) · V · S^p, so
    token t gets idf(t) · V[t] · S^p and a mean over the text's tokens (a StaticEmbedding) is that fold-in up to
    scale. `power` 0 is classic LSA document space (U S); -1 whitens it.
    """
    from scipy import sparse
    from scipy.sparse.linalg import svds

    vocab = {t: i for i, t in enumerate(vocab_tokens)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i, toks in enumerate(texts_tokens):
        for tok, n in Counter(t for t in (_clean_token(t) for t in toks) if t in vocab).items():
            rows.append(i)
            cols.append(vocab[tok])
            vals.append(float(n))
    n_docs, n_vocab = len(texts_tokens), len(vocab_tokens)
    tf = sparse.csr_matrix((np.asarray(vals), (np.asarray(rows), np.asarray(cols))), shape=(n_docs, n_vocab))
    df = np.bincount(tf.indices, minlength=n_vocab).astype(np.float64)
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    idf[vocab[UNK]] = 0.0
    x = tf.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x = sparse.diags(1.0 / norms) @ x

    rng = np.random.default_rng(seed)
    k = max(1, min(dim, min(x.shape) - 1))
    # A seeded start vector makes ARPACK deterministic.
    v0 = rng.standard_normal(min(x.shape))
    _, s, vt = svds(x.astype(np.float64), k=k, v0=v0, random_state=seed)
    order = np.argsort(-s)
    s, vt = s[order], vt[order]
    term = vt.T * (idf[:, None]) * (np.maximum(s, 1e-8) ** power)[None, :]
    weights = np.zeros((n_vocab, dim), dtype=np.float64)
    weights[:, :k] = term
    if k < dim:
        # Fewer documents than dimensions (a small corpus): the extra columns start as small seeded noise and
        # only fine-tuning gives them meaning.
        scale = float(np.abs(term).mean()) or 1.0
        weights[:, k:] = rng.standard_normal((n_vocab, dim - k)) * scale * 0.1
    weights[vocab[UNK]] = 0.0
    # One global scale so the typical token vector has norm 1: cosine is unchanged and Adam's step size means
    # the same thing whatever the corpus size.
    row_norms = np.linalg.norm(weights, axis=1)
    median = float(np.median(row_norms[row_norms > 0])) if np.any(row_norms > 0) else 1.0
    return (weights / median).astype(np.float32)


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
        for i in pending:
            a, p = keys[i]
            if len(batch) < batch_size and a not in seen and p not in seen:
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
    (seeded ARPACK start vector, seeded shuffles, torch.manual_seed).
    """
    import torch

    try:
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:  # sentence-transformers < 5.x layout
        from sentence_transformers.losses import MultipleNegativesRankingLoss

    if not texts_tokens:
        raise ValueError("no texts to learn a vocabulary from / 어휘를 학습할 텍스트가 없습니다")
    started = time.perf_counter()
    df: Counter[str] = Counter()
    for toks in texts_tokens:
        df.update({_clean_token(t) for t in toks})
    df.pop(UNK, None)
    kept = sorted((t for t, n in df.items() if n >= min_df), key=lambda t: (-df[t], t))[:max_vocab]
    if not kept:
        raise ValueError(
            f"no token occurs in {min_df} or more texts / {min_df}개 이상의 텍스트에 나오는 토큰이 없습니다"
        )
    vocab_tokens = [UNK, *kept]
    weights = _lsa_init(texts_tokens, vocab_tokens, dim, seed, svd_power)
    init_s = time.perf_counter() - started

    model = _build_st_model(vocab_tokens, weights)
    meta: dict[str, Any] = {
        "type": KIWI_STATIC_TYPE,
        "tokenizer": TOKENIZER_ID,
        "dim": dim,
        "max_chars": STATIC_MAX_CHARS,
        "trained_on": trained_on if trained_on is not None else {"texts": len(texts_tokens)},
        "init": {"method": "lsa-tfidf-svds", "min_df": min_df, "svd_power": svd_power},
        "pairs": 0,
        "epochs": epochs,
        "steps": 0,
        "seed": seed,
        "lr": lr,
        "batch_size": batch_size,
    }
    emb = KiwiStaticEmbedder(model, meta)

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
                    log.info("static embedder step %d loss %.4f", steps, float(loss))
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
    return KiwiStaticEmbedder(model, meta)


# --------------------------------------------------------------------------------------------------------------
# Training pairs the statutes provide


# `법 제44조` in a 시행령/시행규칙 means the parent 법률 (defined in its 제1조 as `(이하 "법"이라 한다)`),
# `영 제19조` in a 시행규칙 means the 시행령. `같은 법`/`이 법` point elsewhere; `「민법」 제3조` never matches.
_PARENT_REF_RE = re.compile(
    r"(?:(?<![가-힣\w])(?<!같은 )(?<!이 )(?P<kind>법|영)|\"(?P<kind2>법|영)\"이라\s*한다\))\s*"
    r"제\s*(?P<main>\d+)\s*조(?:\s*의\s*(?P<sub>\d+))?"
)
_SUBORDINATE_SUFFIXES = (" 시행령", " 시행규칙")


def _parent_titles(title: str) -> dict[str, str] | None:
    """{'법': parent law title, '영': its 시행령 title} for a 시행령/시행규칙 title, else None."""
    for suffix in _SUBORDINATE_SUFFIXES:
        if title.endswith(suffix):
            base = title[: -len(suffix)].strip()
            refs = {"법": base}
            if suffix == " 시행규칙":
                refs["영"] = base + " 시행령"
            return refs
    return None


def corpus_pairs(
    articles: Sequence[Article], with_law_title: bool = True, max_parent_refs: int = 3
) -> list[tuple[str, str]]:
    """(query text, positive text) pairs from the statutes alone, deduplicated, in corpus order.

    - every titled, non-deleted, non-부칙 article: (`법령명 조문제목`, article body);
    - every 시행령/시행규칙 article citing its parent as `법 제N조` (or `영 제N조` from a 시행규칙):
      (its body, the cited parent article's body), up to `max_parent_refs` parents per article. Bodies only,
      so every text of every pair is either a title line or an article body the caller has tokenised anyway.
    The parent is found by title (the subordinate title without " 시행령"/" 시행규칙", matched with law_key).
    """
    live = [a for a in articles if not a.deleted and not a.is_addendum and a.text.strip()]
    by_key: dict[tuple[str, ArticleNumber], Article] = {}
    for a in live:
        try:
            number = ArticleNumber.parse(a.number)
        except ValueError:
            continue
        by_key.setdefault((law_key(a.law_title), number), a)

    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(query: str, positive: str) -> None:
        key = (query, positive)
        if query.strip() and positive.strip() and query != positive and key not in seen:
            seen.add(key)
            pairs.append(key)

    for a in live:
        if a.title:
            add(f"{a.law_title} {a.title}" if with_law_title else a.title, a.text)
    for a in live:
        parents = _parent_titles(a.law_title)
        if parents is None:
            continue
        found = 0
        cited: set[tuple[str, ArticleNumber]] = set()
        for m in _PARENT_REF_RE.finditer(a.text):
            kind = m.group("kind") or m.group("kind2")
            parent_title = parents.get(kind)
            if parent_title is None:
                continue
            key = (law_key(parent_title), ArticleNumber(int(m.group("main")), int(m.group("sub") or 0)))
            parent = by_key.get(key)
            if parent is None or key in cited:
                continue
            cited.add(key)
            add(a.text, parent.text)
            found += 1
            if found >= max_parent_refs:
                break
    return pairs


def tokenize_pairs(
    pairs: Sequence[tuple[str, str]], known: dict[str, list[str]] | None = None
) -> list[tuple[list[str], list[str]]]:
    """Tokenise pair texts with legal_rag.tokenizer, each distinct text once; `known` maps texts the caller
    already tokenised (article bodies at ingest) to their tokens and is extended with the new ones."""
    cache = known if known is not None else {}
    missing = list(dict.fromkeys(t for pair in pairs for t in pair if t not in cache))
    if missing:
        cache.update(zip(missing, tokenize_many(missing), strict=True))
    return [(cache[q], cache[p]) for q, p in pairs]


# --------------------------------------------------------------------------------------------------------------


def is_static_embedder_dir(path: str | Path) -> bool:
    return (Path(path) / MARKER_FILE).is_file()


def load_embedder(spec: str) -> Embedder:
    """A directory with legal_rag_embedder.json -> KiwiStaticEmbedder; anything else -> a sentence-transformers
    model id (from the local cache) or directory."""
    path = Path(spec).expanduser()
    if path.is_dir() and is_static_embedder_dir(path):
        return KiwiStaticEmbedder.load(path)
    return SentenceTransformerEmbedder(spec)
