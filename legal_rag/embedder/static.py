"""The corpus-trained static embedder: torch-free inference (numpy/scipy) and its sentence-transformers files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from legal_rag.embedder.base import KIWI_STATIC_TYPE, MARKER_FILE, STATIC_MAX_CHARS, UNK
from legal_rag.embedder.vocabulary import _WS_RE, ENCODE_BLOCK, _clean_token, _remap_columns, _TokenIds
from legal_rag.tokenizer import TOKENIZER_ID, tokenize_many


def _fingerprint(weights: np.ndarray, vocab_size: int) -> str:
    h = hashlib.sha256()
    h.update(str(weights.shape).encode())
    h.update(str(vocab_size).encode())
    h.update(np.ascontiguousarray(weights, dtype=np.float32).tobytes())
    return h.hexdigest()[:16]


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
