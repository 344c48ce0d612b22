"""FAISS index over L2-normalised chunk vectors: inner product = cosine similarity.

Exact search (IndexFlatIP) while it is cheap; HNSW above HNSW_THRESHOLD vectors, where a brute-force scan per
query would start to cost more than the rest of a request. Persisted with faiss.write_index (FAISS's own binary
format, read back with faiss.read_index): no pickle. With faiss-gpu installed and a GPU present, a flat index
is moved to the GPU(s) at load; faiss-cpu runs the same code path with no GPU symbols touched.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

INDEX_FILE = "dense.faiss"
HNSW_THRESHOLD = 100_000  # measured: a flat scan of the full corpus (199k x 256) is ~2/3 of a 37 ms query
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 128
HNSW_EF_SEARCH = 128


def _faiss():  # type: ignore[no-untyped-def]
    import faiss

    return faiss


def _as_matrix(vectors: np.ndarray, dim: int | None = None) -> np.ndarray:
    x = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {x.shape} / 2차원 벡터 배열이 필요합니다")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(
            f"vector size {x.shape[1]} does not match the index ({dim}); was the index built with another "
            f"embedder? / 벡터 차원 {x.shape[1]}이(가) 색인 차원 {dim}과(와) 다릅니다"
        )
    if not np.isfinite(x).all():
        raise ValueError("vectors contain NaN or inf / 벡터에 NaN 또는 inf가 있습니다")
    return x


def gpu_count() -> int:
    """GPUs FAISS can use: always 0 with faiss-cpu (no GPU support compiled in)."""
    faiss = _faiss()
    try:
        return int(faiss.get_num_gpus()) if hasattr(faiss, "get_num_gpus") else 0
    except Exception:  # a broken CUDA install must not take the CPU path down with it
        return 0


class DenseIndex:
    """A FAISS inner-product index; row i is the i-th vector given to `build` (the caller keeps the row -> chunk
    mapping, e.g. in the article store)."""

    def __init__(self, index: object, kind: str, device: str = "cpu", gpu_resources: object = None) -> None:
        self.index = index
        self.kind = kind  # 'flat' or 'hnsw'
        self.device = device  # 'cpu' or 'cuda'
        # StandardGpuResources must outlive the GPU index that uses them.
        self._gpu_resources = gpu_resources

    @property
    def dim(self) -> int:
        return int(self.index.d)  # type: ignore[attr-defined]

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return self.ntotal

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "auto") -> DenseIndex:
        """Index `vectors` (n x dim, rows L2-normalised by the embedder). kind: 'auto', 'flat' or 'hnsw'."""
        faiss = _faiss()
        x = _as_matrix(vectors)
        n, dim = x.shape
        if dim == 0:
            raise ValueError("vectors have no dimensions / 벡터 차원이 0입니다")
        if kind == "auto":
            kind = "hnsw" if n > HNSW_THRESHOLD else "flat"
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            raise ValueError(f"unknown index kind {kind!r} (auto/flat/hnsw) / 알 수 없는 색인 종류")
        if n:
            index.add(x)
        return cls(index, kind)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each (n_queries, k') with k' = min(k, ntotal), best first.

        HNSW may find fewer than k' neighbours for a query; the missing places hold row -1 and score -inf.
        """
        q = _as_matrix(queries, self.dim)
        k = min(int(k), self.ntotal)
        if k <= 0 or q.shape[0] == 0:
            return np.zeros((q.shape[0], 0), dtype=np.float32), np.zeros((q.shape[0], 0), dtype=np.int64)
        scores, rows = self.index.search(q, k)  # type: ignore[attr-defined]
        scores = np.asarray(scores, dtype=np.float32)
        rows = np.asarray(rows, dtype=np.int64)
        scores[rows < 0] = -np.inf
        return scores, rows

    def save(self, directory: str | Path) -> list[str]:
        """Write `dense.faiss` (always the CPU form, so any machine can read it); returns the file names."""
        faiss = _faiss()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        index = self.index
        if self.device == "cuda":
            index = faiss.index_gpu_to_cpu(index)
        faiss.write_index(index, str(directory / INDEX_FILE))
        return [INDEX_FILE]

    @classmethod
    def load(cls, directory: str | Path, use_gpu: bool | None = None) -> DenseIndex:
        """Read `dense.faiss`. use_gpu None: GPU when faiss-gpu sees one; True: require it; False: CPU."""
        faiss = _faiss()
        path = Path(directory) / INDEX_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found / 밀집 색인 파일이 없습니다: {path}")
        index = faiss.read_index(str(path))
        kind = "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"
        if kind == "hnsw":
            faiss.downcast_index(index).hnsw.efSearch = HNSW_EF_SEARCH
        n_gpus = gpu_count()
        if use_gpu and n_gpus == 0:
            raise RuntimeError(
                "use_gpu=True but FAISS sees no GPU (faiss-cpu installed, or no CUDA device) / "
                "FAISS가 GPU를 찾지 못했습니다 (faiss-gpu 설치와 CUDA 장치를 확인하세요)"
            )
        want_gpu = n_gpus > 0 if use_gpu is None else use_gpu
        if want_gpu and kind == "hnsw":
            # FAISS GPU has no HNSW index (it would need a CAGRA conversion); HNSW search on CPU is fast anyway.
            if use_gpu:
                raise RuntimeError("FAISS cannot put an HNSW index on the GPU / HNSW 색인은 GPU로 옮길 수 없습니다")
            log.info("dense index is HNSW: kept on CPU")
            want_gpu = False
        if not want_gpu:
            return cls(index, kind, device="cpu")
        if n_gpus > 1:
            # One replica per GPU, queries split between them; FAISS keeps the GPU resources alive itself.
            return cls(faiss.index_cpu_to_all_gpus(index), kind, device="cuda")
        resources = faiss.StandardGpuResources()
        return cls(faiss.index_cpu_to_gpu(resources, 0, index), kind, device="cuda", gpu_resources=resources)
