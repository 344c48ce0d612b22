"""FAISS index over L2-normalised chunk vectors: inner product = cosine similarity.

Exact search (IndexFlatIP) while it is cheap; an inverted-file index (IVF-Flat) above IVF_THRESHOLD vectors,
where a brute-force scan per query would start to cost more than the rest of a request. IVF rather than HNSW:
both answer a full-corpus query in well under a millisecond here, but an HNSW graph took ~90 s to build on two
cores and cannot be updated when a statute changes, while IVF trains in seconds, keeps every vector with its
list number (so an incremental rebuild reuses the previous index's centroids and assignments and only assigns
the new vectors), and moves to the GPU with faiss-gpu. HNSW stays available as kind='hnsw'.

Persisted with faiss.write_index (FAISS's own binary format, read back with faiss.read_index): no pickle. With
faiss-gpu installed and a GPU present, a flat or IVF index is moved to the GPU(s) at load; faiss-cpu runs the
same code path with no GPU symbols touched.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

INDEX_FILE = "dense.faiss"
IVF_THRESHOLD = 100_000  # measured: a flat scan of the full corpus (199k x 256) is ~2/3 of a 37 ms query
IVF_NPROBE = 48  # lists scanned per query (of ~1,024 for the full corpus); see docs/benchmarks.md
IVF_TRAIN_POINTS_PER_LIST = 64
IVF_TRAIN_ITERATIONS = 12
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


def ivf_lists(n: int) -> int:
    """Number of IVF lists for n vectors: ~2·sqrt(n), a power of two, at least 16 (1,024 for the full corpus)."""
    return int(max(16, 2 ** round(np.log2(max(2.0 * np.sqrt(max(n, 1)), 1.0)))))


class DenseIndex:
    """A FAISS inner-product index; row i is the i-th vector given to `build` (the caller keeps the row -> chunk
    mapping, e.g. in the index's chunk table)."""

    def __init__(self, index: object, kind: str, device: str = "cpu", gpu_resources: object = None) -> None:
        self.index = index
        self.kind = kind  # 'flat', 'ivf' or 'hnsw'
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
    def build(
        cls,
        vectors: np.ndarray,
        kind: str = "auto",
        *,
        centroids: np.ndarray | None = None,
        assignments: np.ndarray | None = None,
        seed: int = 0,
    ) -> DenseIndex:
        """Index `vectors` (n x dim, rows L2-normalised by the embedder). kind: 'auto', 'flat', 'ivf' or 'hnsw'.

        For 'ivf', `centroids` (from a previous index) skip training and `assignments` (list number per row, -1
        where unknown) skip assigning those rows: an incremental rebuild only assigns the vectors it adds.
        """
        faiss = _faiss()
        x = _as_matrix(vectors)
        n, dim = x.shape
        if dim == 0:
            raise ValueError("vectors have no dimensions / 벡터 차원이 0입니다")
        if kind == "auto":
            kind = "ivf" if n > IVF_THRESHOLD or centroids is not None else "flat"
        if kind == "flat":
            index = faiss.index_factory(dim, "Flat", faiss.METRIC_INNER_PRODUCT)
            if n:
                index.add(x)
            return cls(index, kind)
        if kind == "hnsw":
            index = faiss.index_factory(dim, f"HNSW{HNSW_M},Flat", faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
            if n:
                index.add(x)
            return cls(index, kind)
        if kind == "ivf":
            return cls(_build_ivf(x, centroids, assignments, seed), kind)
        raise ValueError(f"unknown index kind {kind!r} (auto/flat/ivf/hnsw) / 알 수 없는 색인 종류")

    def vectors(self) -> np.ndarray:
        """Every stored vector in row order (n x dim), whatever the index kind (CPU indexes)."""
        faiss = _faiss()
        index: Any = faiss.index_gpu_to_cpu(self.index) if self.device == "cuda" else self.index
        if self.kind == "ivf":
            return _ivf_contents(index)[0]
        n = self.ntotal
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(index.reconstruct_n(0, n), dtype=np.float32).reshape(n, self.dim)

    def ivf_contents(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(vectors in row order, centroids, list number per row) of an IVF index, read from its inverted lists
        in one pass; None for other kinds."""
        if self.kind != "ivf":
            return None
        faiss = _faiss()
        index = faiss.index_gpu_to_cpu(self.index) if self.device == "cuda" else self.index
        ivf = faiss.extract_index_ivf(index)
        centroids = np.asarray(ivf.quantizer.reconstruct_n(0, ivf.nlist), dtype=np.float32)
        vectors, lists = _ivf_contents(index)
        return vectors, centroids, lists

    def search(self, queries: np.ndarray, k: int, rows_within: np.ndarray | None = None,
               ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each (n_queries, k') with k' = min(k, ntotal), best first.

        An approximate index (IVF, HNSW) may find fewer than k' neighbours for a query; the missing places hold
        row -1 and score -inf. `rows_within` (row numbers) restricts the search to those rows inside FAISS (an
        IDSelector), so a search filtered to one law returns that law's k nearest rows instead of whatever of
        the global top k happens to belong to it; an IVF index then probes every list (exact over the subset).
        """
        q = _as_matrix(queries, self.dim)
        k = min(int(k), self.ntotal if rows_within is None else len(rows_within))
        if k <= 0 or q.shape[0] == 0:
            return np.zeros((q.shape[0], 0), dtype=np.float32), np.zeros((q.shape[0], 0), dtype=np.int64)
        if rows_within is None:
            scores, rows = self.index.search(q, k)  # type: ignore[attr-defined]
        else:
            scores, rows = self._search_within(q, k, np.asarray(rows_within, dtype=np.int64))
        scores = np.asarray(scores, dtype=np.float32)
        rows = np.asarray(rows, dtype=np.int64)
        scores[rows < 0] = -np.inf
        return scores, rows

    def _search_within(self, q: np.ndarray, k: int, rows_within: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        faiss = _faiss()
        if self.device != "cpu":
            # GPU indexes take no IDSelector here: search wide enough on the GPU and keep the allowed rows.
            wide = min(self.ntotal, max(k * 8, 1024))
            scores, rows = self.index.search(q, wide)  # type: ignore[attr-defined]
            keep = np.isin(rows, rows_within)
            out_s = np.full((q.shape[0], k), -np.inf, dtype=np.float32)
            out_r = np.full((q.shape[0], k), -1, dtype=np.int64)
            for i in range(q.shape[0]):
                r, sc = rows[i][keep[i]][:k], scores[i][keep[i]][:k]
                out_r[i, : len(r)], out_s[i, : len(r)] = r, sc
            return out_s, out_r
        selector = faiss.IDSelectorBatch(rows_within)
        if self.kind == "ivf":
            params: object = faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nlist)  # type: ignore[attr-defined]
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, 4 * k))
        else:
            params = faiss.SearchParameters(sel=selector)
        return self.index.search(q, k, params=params)  # type: ignore[attr-defined,no-any-return]

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
    def load(cls, directory: str | Path, use_gpu: bool | None = None, mmap: bool = False) -> DenseIndex:
        """Read `dense.faiss`. use_gpu None: GPU when faiss-gpu sees one; True: require it; False: CPU.
        mmap: map the vectors read-only from the file instead of copying them (serving: worker processes
        share one copy through the page cache); the index must then not be modified."""
        faiss = _faiss()
        path = Path(directory) / INDEX_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found / 밀집 색인 파일이 없습니다: {path}")
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mmap else 0)
        if isinstance(index, faiss.IndexHNSW):
            kind = "hnsw"
            faiss.downcast_index(index).hnsw.efSearch = HNSW_EF_SEARCH
        elif isinstance(index, faiss.IndexIVF):
            kind = "ivf"
            index.nprobe = min(IVF_NPROBE, index.nlist)
        else:
            kind = "flat"
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
        gpu_index = faiss.index_cpu_to_gpu(resources, 0, index)
        if kind == "ivf":
            gpu_index.nprobe = index.nprobe  # type: ignore[attr-defined]
        return cls(gpu_index, kind, device="cuda", gpu_resources=resources)


def _build_ivf(
    x: np.ndarray, centroids: np.ndarray | None, assignments: np.ndarray | None, seed: int
) -> object:
    faiss = _faiss()
    from faiss.contrib.ivf_tools import add_preassigned

    n, dim = x.shape
    if centroids is not None:
        centroids = _as_matrix(centroids, dim)
        nlist = centroids.shape[0]
    else:
        nlist = min(ivf_lists(n), max(1, n))
    index = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    quantizer = faiss.downcast_index(index.quantizer)
    if centroids is not None:
        quantizer.add(centroids)
        index.is_trained = True
    else:
        if n == 0:
            raise ValueError("an IVF index needs vectors to train on / IVF 색인을 학습할 벡터가 없습니다")
        # Spherical k-means on a seeded sample: deterministic, and a few seconds for the full corpus.
        index.cp.niter = IVF_TRAIN_ITERATIONS
        index.cp.seed = seed
        index.cp.spherical = True
        index.cp.max_points_per_centroid = IVF_TRAIN_POINTS_PER_LIST
        index.cp.min_points_per_centroid = 1
        sample_size = min(n, nlist * IVF_TRAIN_POINTS_PER_LIST)
        sample = x if sample_size == n else x[np.sort(np.random.default_rng(seed).choice(n, sample_size, replace=False))]
        index.train(sample)
    index.nprobe = min(IVF_NPROBE, nlist)
    if n == 0:
        return index
    assign = np.full(n, -1, dtype=np.int64) if assignments is None else np.asarray(assignments, dtype=np.int64).copy()
    if assign.shape != (n,):
        raise ValueError("one list number per vector expected / 벡터마다 목록 번호가 필요합니다")
    todo = np.flatnonzero(assign < 0)
    if len(todo):
        _, nearest = quantizer.search(np.ascontiguousarray(x[todo]), 1)
        assign[todo] = nearest.ravel()
    # Kept in a name of our own: add_preassigned rebinds its `ids` argument to a raw pointer, so an array made in
    # the call would be freed before FAISS reads it.
    ids = np.arange(n, dtype=np.int64)
    add_preassigned(index, x, assign, ids=ids)
    return index


def _ivf_contents(index: object) -> tuple[np.ndarray, np.ndarray]:
    """(vectors in row order, list number per row) read straight from an IVF-Flat index's inverted lists."""
    faiss = _faiss()
    from faiss.contrib.inspect_tools import get_invlist, get_invlist_sizes

    ivf = faiss.extract_index_ivf(index)
    n, dim = int(ivf.ntotal), int(ivf.d)
    vectors = np.zeros((n, dim), dtype=np.float32)
    lists = np.full(n, -1, dtype=np.int64)
    for list_no in np.flatnonzero(get_invlist_sizes(ivf.invlists)).tolist():
        ids, codes = get_invlist(ivf.invlists, list_no)  # codes: (size, code_size) bytes of float32 vectors
        vectors[ids] = codes.view(np.float32).reshape(len(ids), dim)
        lists[ids] = list_no
    if (lists < 0).any():
        raise ValueError("IVF index rows are not 0..n-1 / IVF 색인의 행 번호가 연속적이지 않습니다")
    return vectors, lists
