"""A real sentence-transformers model, by hub id (already in the local cache) or by directory."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from legal_rag.embedder.base import ST_MAX_CHARS_CAP, _as_float32_rows


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
