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


_WS_RE = re.compile(r"\s+")
_NEW = -2  # _TokenIds: a raw token not looked up yet
# Texts per sparse block when encoding: a block's token ids and count matrix bound the memory, whatever the
# number of texts (200k chunks at ingest).
ENCODE_BLOCK = 8192


def _clean_token(token: str) -> str:
    # The WordLevel tokenizer splits on whitespace, so a token must not contain any.
    return _WS_RE.sub("_", token)


def _fingerprint(weights: np.ndarray, vocab_size: int) -> str:
    h = hashlib.sha256()
    h.update(str(weights.shape).encode())
    h.update(str(vocab_size).encode())
    h.update(np.ascontiguousarray(weights, dtype=np.float32).tobytes())
    return h.hexdigest()[:16]


class _TokenIds:
    """Raw legal_rag.tokenizer tokens -> vocabulary ids as `KiwiStaticEmbedder.prepare` and the WordLevel
    tokenizer see them: cleaned with _clean_token; [UNK] and unknown tokens -> -1.

    `known` maps raw tokens to ids for the fast path (a token without whitespace is its own cleaned form) and
    is only read; the tokens it lacks are resolved once each and memoised in this object, so one object per
    call keeps the memory bounded. With `grow`, an unknown token gets the next id: building a vocabulary.
    """

    def __init__(self, vocab: dict[str, int], known: dict[str, int] | None = None, grow: bool = False) -> None:
        self.vocab = vocab
        self.grow = grow
        self.known: dict[str, int] = {} if known is None else known
        self.memo: dict[str, int] = self.known if grow else {}

    def lookup(self, token: str) -> int:
        i = self.known.get(token)
        if i is None:
            i = self.memo.get(token)
        if i is None:
            clean = _clean_token(token)
            i = -1 if clean == UNK else self.vocab.get(clean, -1)
            if i < 0 and self.grow and clean != UNK:
                i = self.vocab[clean] = len(self.vocab)
            self.memo[token] = i
        return i

    def count_matrix(self, token_lists: Sequence[Sequence[str]], n_cols: int | None = None) -> Any:
        """csr_matrix (texts x n_cols, float32) of token counts; duplicates count, unknown tokens do not."""
        from scipy import sparse

        get = self.known.get
        flat: list[int] = []
        lengths = np.empty(len(token_lists), dtype=np.int64)
        for r, toks in enumerate(token_lists):
            ids = [get(t, _NEW) for t in toks]
            if _NEW in ids:
                ids = [i if i != _NEW else self.lookup(t) for t, i in zip(toks, ids, strict=True)]
            flat.extend(ids)
            lengths[r] = len(ids)
        cols = np.asarray(flat, dtype=np.int64)
        rows = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)
        keep = cols >= 0
        shape = (len(token_lists), len(self.vocab) if n_cols is None else n_cols)
        ones = np.ones(int(keep.sum()), dtype=np.float32)
        return sparse.csr_matrix((ones, (rows[keep], cols[keep])), shape=shape)  # sums duplicates


def _remap_columns(m: Any, colmap: np.ndarray, n_cols: int) -> Any:
    """Column j of sparse `m` becomes column colmap[j] (entries with colmap -1 dropped, collisions summed)."""
    from scipy import sparse

    coo = m.tocoo()
    cols = colmap[coo.col]
    keep = cols >= 0
    return sparse.csr_matrix(
        (coo.data[keep].astype(np.float32), (coo.row[keep], cols[keep])), shape=(m.shape[0], n_cols)
    )


def _wordlevel_vocab(path: Path) -> dict[str, int]:
    """The vocabulary of a tokenizers WordLevel tokenizer.json, refusing any tokenizer the numpy encoder would
    not reproduce (a normaliser, another pre-tokenizer or model)."""
    spec = json.loads(path.read_text(encoding="utf-8"))
    model = spec.get("model") or {}
    pre = (spec.get("pre_tokenizer") or {}).get("type")
    if model.get("type") != "WordLevel" or spec.get("normalizer") is not None or pre != "WhitespaceSplit":
        raise ValueError(
            f"{path}: not a whitespace-split WordLevel tokenizer / WordLevel 토크나이저가 아닙니다"
        )
    vocab = {str(t): int(i) for t, i in model["vocab"].items()}
    for added in spec.get("added_tokens") or []:
        vocab.setdefault(str(added["content"]), int(added["id"]))
    return vocab


def _static_module_path(directory: Path) -> Path:
    """Folder of the one StaticEmbedding module of a sentence-transformers directory (usually the directory)."""
    modules = json.loads((directory / "modules.json").read_text(encoding="utf-8"))
    if len(modules) != 1 or not str(modules[0].get("type", "")).endswith("StaticEmbedding"):
        raise ValueError(
            f"{directory}: expected one StaticEmbedding module, found {[m.get('type') for m in modules]} / "
            "정적 임베딩 모델이 아닙니다"
        )
    return directory / str(modules[0].get("path", ""))


class KiwiStaticEmbedder:
    """Mean of per-morpheme vectors (sentence-transformers StaticEmbedding) over legal_rag.tokenizer tokens.

    Inference is numpy/scipy only: `load` reads tokenizer.json and model.safetensors without importing torch,
    transformers or sentence-transformers, and every `encode*` method is a sparse (texts x vocabulary) count
    matrix times the weight matrix, L2-normalised per row: exactly StaticEmbedding's EmbeddingBag(mode='mean')
    followed by normalize_embeddings=True, within float32 rounding. `model` builds the equivalent
    sentence-transformers model on demand (that one imports torch); training and `save` after training use it.

    Texts with no known token get a zero row (no direction to normalise); they match nothing, which is the
    honest answer for a query made only of words the statutes never use.
    """

    def __init__(
        self,
        vocab: dict[str, int],
        weights: np.ndarray,
        meta: dict[str, Any],
        *,
        model: Any = None,
        source: Path | None = None,
        weights_file: str = "model.safetensors",
    ) -> None:
        weights = np.array(weights, dtype=np.float32, order="C", copy=True)
        if weights.ndim != 2 or (vocab and max(vocab.values()) >= weights.shape[0]):
            raise ValueError(f"weights {weights.shape} do not cover a vocabulary of {len(vocab)} / 가중치 크기 오류")
        weights.flags.writeable = False
        self.weights = weights  # (vocabulary, dim) float32, read-only
        self.vocab: dict[str, int] = dict(vocab)
        # Raw token -> id for every vocabulary token that is its own cleaned form ([UNK] never counts).
        self._known = {t: i for t, i in self.vocab.items() if t != UNK and not _WS_RE.search(t)}
        self.dim = int(weights.shape[1])
        self.max_chars = int(meta.get("max_chars", STATIC_MAX_CHARS))
        self.device = "cpu"
        self.fingerprint = _fingerprint(weights, len(self.vocab))
        self.meta = {**meta, "dim": self.dim, "vocab_size": len(self.vocab), "fingerprint": self.fingerprint}
        self.id = f"{KIWI_STATIC_TYPE}:{meta.get('tokenizer', TOKENIZER_ID)}:{self.dim}:{self.fingerprint}"
        self._model = model  # sentence-transformers model holding these weights, built lazily by `model`
        self._source = source  # directory `load` read, whose tokenizer/config files `save` copies
        self._weights_file = weights_file  # model.safetensors path relative to that directory

    @classmethod
    def from_model(cls, model: Any, meta: dict[str, Any]) -> KiwiStaticEmbedder:
        """Wrap a sentence-transformers model made of one StaticEmbedding (after training)."""
        static = model[0]
        weights = static.embedding.weight.detach().cpu().numpy()
        return cls(static.tokenizer.get_vocab(), weights, meta, model=model)

    @property
    def model(self) -> Any:
        """The sentence-transformers model with these weights (imports torch; built on first use)."""
        if self._model is None:
            self._model = _build_st_model(self._vocab_tokens(), self.weights)
        return self._model

    def _vocab_tokens(self) -> list[str]:
        tokens = sorted(self.vocab, key=self.vocab.__getitem__)
        if [self.vocab[t] for t in tokens] != list(range(len(tokens))):
            raise ValueError("vocabulary ids are not 0..n-1 / 어휘 번호가 연속적이지 않습니다")
        return tokens

    def _ids(self) -> _TokenIds:
        return _TokenIds(self.vocab, self._known)

    # -- text preparation shared by training and inference
    def prepare(self, tokens: Sequence[str], max_tokens: int | None = None) -> str:
        """Known tokens of one text joined by spaces: what the WordLevel tokenizer of the ST model reads."""
        known, vocab = self._known, self.vocab
        kept: list[str] = []
        for t in tokens:
            if t not in known:
                t = _clean_token(t)
                if t not in vocab or t == UNK:
                    continue
            kept.append(t)
        if max_tokens is not None:
            kept = kept[:max_tokens]
        return " ".join(kept)

    def _normalised_means(self, counts: Any) -> np.ndarray:
        # The mean's 1/n does not change the direction: normalising the sum gives the same unit vector.
        sums = np.asarray(counts @ self.weights, dtype=np.float32)
        norms = np.linalg.norm(sums, axis=1)
        nonzero = norms > 0
        sums[nonzero] /= norms[nonzero, None]
        return sums

    def encode_tokens(
        self, token_lists: Sequence[Sequence[str]], batch_size: int = 256, show_progress: bool = False
    ) -> np.ndarray:
        """float32 (len(token_lists), dim), L2-normalised rows, of texts already tokenised with
        legal_rag.tokenizer (ingest tokenises once for BM25 too). Blocks of ENCODE_BLOCK texts bound the
        memory; `batch_size` and `show_progress` are accepted for the Embedder protocol and unused."""
        out = np.zeros((len(token_lists), self.dim), dtype=np.float32)
        ids = self._ids()
        for start in range(0, len(token_lists), ENCODE_BLOCK):
            block = token_lists[start : start + ENCODE_BLOCK]
            out[start : start + len(block)] = self._normalised_means(ids.count_matrix(block, self.weights.shape[0]))
        return out

    def column_map(self, token_vocab: dict[str, int], n_cols: int | None = None) -> np.ndarray:
        """int64 array: column of another vocabulary (token string -> column, e.g. BM25Index.vocab) -> id in this
        embedder's vocabulary, -1 where the token is unknown here."""
        n = (max(token_vocab.values()) + 1 if token_vocab else 0) if n_cols is None else n_cols
        colmap = np.full(n, -1, dtype=np.int64)
        ids = self._ids()
        for tok, col in token_vocab.items():
            if 0 <= col < n:
                colmap[col] = ids.lookup(tok)
        return colmap

    def encode_count_matrix(self, counts: Any, token_vocab: dict[str, int]) -> np.ndarray:
        """Vectors of texts given as a scipy.sparse (texts x columns) matrix of raw token occurrence counts over
        ANOTHER vocabulary `token_vocab` (legal_rag.tokenizer token -> column; e.g. the BM25 term counts ingest
        builds anyway). Equal to `encode_tokens` of the same texts: columns are mapped to this vocabulary
        (unknown tokens dropped, tokens that clean to the same one summed). Counts, not BM25 weights."""
        from scipy import sparse

        counts = sparse.csr_matrix(counts)
        colmap = self.column_map(token_vocab, counts.shape[1])
        out = np.zeros((counts.shape[0], self.dim), dtype=np.float32)
        for start in range(0, counts.shape[0], ENCODE_BLOCK):
            block = counts[start : start + ENCODE_BLOCK]
            mapped = _remap_columns(block, colmap, self.weights.shape[0])
            out[start : start + block.shape[0]] = self._normalised_means(mapped)
        return out

    def encode(self, texts: list[str], batch_size: int = 256, show_progress: bool = False) -> np.ndarray:
        return self.encode_tokens(tokenize_many(texts), batch_size=batch_size, show_progress=show_progress)

    # -- persistence: an ordinary sentence-transformers directory plus our marker
    def save(self, directory: str | Path) -> list[str]:
        """Write a plain sentence-transformers directory plus the marker. A loaded embedder copies its source's
        files and writes its weights with safetensors.numpy (no torch); a trained one saves its ST model."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self._model is None and self._source is not None:
            import shutil

            from safetensors.numpy import save_file

            src = self._source
            if src.resolve() != directory.resolve():
                for path in sorted(src.rglob("*")):
                    rel = path.relative_to(src)
                    if path.is_file() and rel.name != MARKER_FILE and rel != Path(self._weights_file):
                        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(path, directory / rel)
                (directory / self._weights_file).parent.mkdir(parents=True, exist_ok=True)
                save_file({"embedding.weight": self.weights}, str(directory / self._weights_file))
        else:
            self.model.save(str(directory), create_model_card=False, safe_serialization=True)
        (directory / MARKER_FILE).write_text(json.dumps(self.meta, ensure_ascii=False, indent=2), encoding="utf-8")
        return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())

    @classmethod
    def load(cls, directory: str | Path) -> KiwiStaticEmbedder:
        """Read a saved embedder with json + safetensors.numpy only (no torch import)."""
        from safetensors.numpy import load_file

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
        module = _static_module_path(directory)
        weights_path = module / "model.safetensors"
        if not weights_path.is_file():
            raise FileNotFoundError(f"{weights_path} missing / 가중치 파일이 없습니다")
        tensors = load_file(str(weights_path))
        if "embedding.weight" not in tensors:
            raise ValueError(f"{weights_path}: no embedding.weight / 임베딩 가중치가 없습니다")
        emb = cls(
            _wordlevel_vocab(module / "tokenizer.json"),
            tensors["embedding.weight"],
            meta,
            source=directory,
            weights_file=str(weights_path.relative_to(directory)),
        )
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
        from sentence_transformers.models import StaticEmbedding  # type: ignore[no-redef]

    vocab = {tok: i for i, tok in enumerate(vocab_tokens)}
    tokenizer = Tokenizer(WordLevel(vocab=vocab, unk_token=UNK))
    tokenizer.pre_tokenizer = WhitespaceSplit()
    static = StaticEmbedding(tokenizer, embedding_weights=torch.from_numpy(np.array(weights, dtype=np.float32)))
    return SentenceTransformer(modules=[static], device="cpu")


# --------------------------------------------------------------------------------------------------------------
# LSA initialisation


def _well_conditioned(a: np.ndarray) -> np.ndarray:
    """A basis of the columns of a tall float32 matrix with condition number near 1 (orthonormal up to float32
    rounding): A W diag(λ)^-1/2 with A^T A = W diag(λ) W^T. Two matrix products, far faster than Householder
    QR on a 200k x 272 matrix; the final Rayleigh-Ritz step does not need exact orthonormality."""
    evals, w = np.linalg.eigh(np.asarray(a.T @ a, dtype=np.float64))
    floor = max(float(evals.max()), 1e-30) * 1e-12
    return np.asarray(a @ (w / np.sqrt(np.maximum(evals, floor))).astype(np.float32), dtype=np.float32)


def _randomized_svd(
    x: Any, k: int, seed: int, oversample: int = 16, n_iter: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """(s, vt): the top-k singular values (descending) and right singular vectors (k x n) of sparse x (m x n).

    Randomized subspace iteration (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1, on the right
    singular space): a seeded Gaussian test matrix Q of k + oversample columns, `n_iter` multiplications by
    x^T x, each followed by re-orthonormalisation, then Rayleigh-Ritz: the generalised eigenproblem
    (xQ)^T (xQ) w = s^2 Q^T Q w gives the singular values and v = Q w the singular vectors. Sparse products
    and tall products in float32, the small eigenproblems in float64; signs are fixed (largest component of
    each singular vector positive), so the same seed gives the same result on the same machine.
    """
    from scipy.linalg import eigh

    m, n = x.shape
    ell = min(k + oversample, m, n)
    x = x.astype(np.float32).tocsr()
    xt = x.T  # csc view: the transposed product needs no copy and is as fast as the csr one
    q = np.random.default_rng(seed).standard_normal((n, ell), dtype=np.float32)
    for _ in range(max(n_iter, 1)):
        q = _well_conditioned(np.asarray(xt @ (x @ q), dtype=np.float32))
    p = np.asarray(x @ q, dtype=np.float32)
    gram_q = np.asarray(q.T @ q, dtype=np.float64)
    evals, w = eigh(np.asarray(p.T @ p, dtype=np.float64), gram_q)
    order = np.argsort(-evals)[:k]
    s = np.sqrt(np.maximum(evals[order], 0.0))
    v = q.astype(np.float64) @ w[:, order]
    v /= np.linalg.norm(v, axis=0)
    signs = np.sign(v[np.argmax(np.abs(v), axis=0), np.arange(v.shape[1])])
    signs[signs == 0] = 1.0
    return s, (v * signs).T


def _arpack_svd(x: Any, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The former solver (scipy ARPACK svds, seeded start vector), kept for comparison; descending order."""
    from scipy.sparse.linalg import svds

    v0 = np.random.default_rng(seed).standard_normal(min(x.shape))
    _, s, vt = svds(x.astype(np.float64), k=k, v0=v0, random_state=seed)
    order = np.argsort(-s)
    return s[order], vt[order]


def _tfidf(tf: Any, unk: int | None) -> tuple[Any, np.ndarray]:
    """(tf-idf with L2-normalised rows, idf) of a texts x vocabulary count matrix; the [UNK] column weighs 0."""
    from scipy import sparse

    n_docs, n_vocab = tf.shape
    df = np.bincount(tf.indices, minlength=n_vocab).astype(np.float64)
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    if unk is not None:
        idf[unk] = 0.0
    x = tf.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ x, idf


def _lsa_from_counts(
    tf: Any, unk: int | None, dim: int, seed: int, power: float, solver: str = "randomized"
) -> np.ndarray:
    """Token vectors whose mean over a text reproduces the text's LSA coordinates.

    With X = tf-idf (rows L2-normalised) = U S V^T, folding a document in gives x_tf · diag(idf) · V · S^p, so
    token t gets idf(t) · V[t] · S^p and a mean over the text's tokens (a StaticEmbedding) is that fold-in up to
    scale. `power` 0 is classic LSA document space (U S); -1 whitens it. `tf`: csr texts x vocabulary counts.
    """
    x, idf = _tfidf(tf.tocsr(), unk)
    n_vocab = tf.shape[1]
    k = max(1, min(dim, min(x.shape) - 1))
    s, vt = _randomized_svd(x, k, seed) if solver == "randomized" else _arpack_svd(x, k, seed)
    term = vt.T * (idf[:, None]) * (np.maximum(s, 1e-8) ** power)[None, :]
    weights = np.zeros((n_vocab, dim), dtype=np.float64)
    weights[:, :k] = term
    if k < dim:
        # Fewer documents than dimensions (a small corpus): the extra columns start as small seeded noise and
        # only fine-tuning gives them meaning.
        scale = float(np.abs(term).mean()) or 1.0
        weights[:, k:] = np.random.default_rng([seed, 1]).standard_normal((n_vocab, dim - k)) * scale * 0.1
    if unk is not None:
        weights[unk] = 0.0
    # One global scale so the typical token vector has norm 1: cosine is unchanged and Adam's step size means
    # the same thing whatever the corpus size.
    row_norms = np.linalg.norm(weights, axis=1)
    median = float(np.median(row_norms[row_norms > 0])) if np.any(row_norms > 0) else 1.0
    return (weights / median).astype(np.float32)


def _corpus_vocabulary(
    texts_tokens: Sequence[Sequence[str]], min_df: int, max_vocab: int
) -> tuple[list[str], Any]:
    """([UNK] + tokens in at least `min_df` texts, most frequent first, at most `max_vocab`; the texts x that
    vocabulary count matrix), in one pass over the tokens."""
    from scipy import sparse

    ids = _TokenIds({}, grow=True)
    blocks = [ids.count_matrix(texts_tokens[i : i + ENCODE_BLOCK]) for i in range(0, len(texts_tokens), ENCODE_BLOCK)]
    n_all = len(ids.vocab)
    for b in blocks:
        b.resize((b.shape[0], n_all))
    full = sparse.vstack(blocks, format="csr") if blocks else sparse.csr_matrix((0, n_all), dtype=np.float32)
    del blocks
    df = np.bincount(full.indices, minlength=n_all)
    tokens = list(ids.vocab)  # ids were assigned in insertion order
    kept = sorted((i for i in np.flatnonzero(df >= min_df).tolist()), key=lambda i: (-df[i], tokens[i]))[:max_vocab]
    colmap = np.full(n_all, -1, dtype=np.int64)
    colmap[np.asarray(kept, dtype=np.int64)] = np.arange(1, len(kept) + 1)
    return [UNK, *(tokens[i] for i in kept)], _remap_columns(full, colmap, len(kept) + 1)


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
    weights = _lsa_from_counts(tf, 0, dim, seed, svd_power)
    del tf
    init_s = time.perf_counter() - started

    meta: dict[str, Any] = {
        "type": KIWI_STATIC_TYPE,
        "tokenizer": TOKENIZER_ID,
        "dim": dim,
        "max_chars": STATIC_MAX_CHARS,
        "trained_on": trained_on if trained_on is not None else {"texts": len(texts_tokens)},
        "init": {"method": "lsa-tfidf-randomized-svd", "min_df": min_df, "svd_power": svd_power},
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
    return KiwiStaticEmbedder.from_model(model, meta)


# --------------------------------------------------------------------------------------------------------------
# Training pairs the statutes provide


def corpus_pairs(
    articles: Sequence[Article], with_law_title: bool = True, max_parent_refs: int = 3
) -> list[tuple[str, str]]:
    """(query text, positive text) pairs from the statutes alone, deduplicated, in corpus order.

    - every titled, non-deleted, non-부칙 article: (`법령명 조문제목`, article body);
    - every 시행령/시행규칙 article citing its parent (`법 제N조`, or `영 제N조` from a 시행규칙, as
      `legal_rag.citations.parent_references` reads them): (its body, the cited parent article's body), up to
      `max_parent_refs` parents per article. Bodies only, so every text of every pair is either a title line
      or an article body the caller has tokenised anyway.
    """
    from legal_rag.citations import LawCatalog, parent_references

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
    catalog = LawCatalog.from_titles((a.law_title, a.law_id) for a in live)
    for a in live:
        found = 0
        for ref in parent_references(a.text, a.law_title, catalog):
            parent = by_key.get((law_key(ref.law), ref.article))
            if parent is None:
                continue
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
