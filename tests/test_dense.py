"""FAISS dense index: exact, IVF and HNSW search agree, IVF updates reuse centroids, FAISS's own file format, CPU/GPU."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from ingest.markdown_source import parse_markdown_file
from legal_rag import dense
from legal_rag.dense import INDEX_FILE, DenseIndex, gpu_count
from legal_rag.embedder import train_static_embedder
from legal_rag.tokenizer import tokenize_many


def unit_rows(n: int, dim: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return unit_rows(3000, 48)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_flat_and_approximate_indexes_find_the_exact_vector(vectors: np.ndarray, kind: str) -> None:
    flat = DenseIndex.build(vectors, kind="flat")
    approx = DenseIndex.build(vectors, kind=kind)
    assert (flat.kind, approx.kind) == ("flat", kind)
    assert len(flat) == len(approx) == len(vectors) and flat.dim == approx.dim == 48
    probe = np.arange(0, 3000, 7)
    fs, fr = flat.search(vectors[probe], 5)
    hs, hr = approx.search(vectors[probe], 5)
    assert fr.shape == hr.shape == (len(probe), 5)
    assert np.array_equal(fr[:, 0], probe)
    assert np.array_equal(hr[:, 0], probe)
    assert np.allclose(fs[:, 0], 1.0, atol=1e-5) and np.allclose(hs[:, 0], 1.0, atol=1e-5)
    # Scores are inner products, best first.
    assert np.all(np.diff(fs, axis=1) <= 1e-6)
    assert np.allclose(fs[0], vectors[fr[0]] @ vectors[probe[0]], atol=1e-5)


def test_auto_kind_switches_to_ivf_above_threshold(vectors: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    assert DenseIndex.build(vectors).kind == "flat"
    monkeypatch.setattr(dense, "IVF_THRESHOLD", 1000)
    index = DenseIndex.build(vectors)
    assert index.kind == "ivf"
    assert isinstance(index.index, faiss.IndexIVFFlat)
    assert index.index.nlist == dense.ivf_lists(len(vectors)) == 128
    assert index.index.nprobe == dense.IVF_NPROBE
    assert index.index.metric_type == faiss.METRIC_INNER_PRODUCT


def test_every_kind_gives_back_its_vectors_in_row_order(vectors: np.ndarray) -> None:
    for kind in ("flat", "hnsw", "ivf"):
        assert np.array_equal(DenseIndex.build(vectors, kind=kind).vectors(), vectors), kind


def test_ivf_update_reuses_centroids_and_assigns_only_new_vectors(vectors: np.ndarray) -> None:
    """What an incremental ingest does: drop some rows, insert new ones, keep the trained centroids."""
    base = DenseIndex.build(vectors[:2500], kind="ivf")
    _, centroids, lists = base.ivf_contents()
    assert centroids.shape == (base.index.nlist, 48) and lists.shape == (2500,)
    fresh = vectors[2500:]
    kept = np.r_[0:1000, 1500:2500]  # rows 1000-1499 removed, 500 new rows inserted in their place
    updated = DenseIndex.build(
        np.concatenate([vectors[:1000], fresh, vectors[1500:2500]]), kind="ivf", centroids=centroids,
        assignments=np.concatenate([lists[:1000], np.full(len(fresh), -1), lists[1500:2500]]),
    )
    _, new_centroids, new_lists = updated.ivf_contents()
    assert np.array_equal(new_centroids, centroids)
    assert np.array_equal(np.concatenate([new_lists[:1000], new_lists[1500:]]), lists[kept])
    # the new vectors went to their nearest centroid, as training-time assignment would put them
    assert np.array_equal(new_lists[1000:1500], np.argmax(fresh @ centroids.T, axis=1))
    s, r = updated.search(fresh[:20], 1)
    assert np.array_equal(r[:, 0], np.arange(1000, 1020)) and np.allclose(s[:, 0], 1.0, atol=1e-5)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_save_load_is_a_faiss_file(vectors: np.ndarray, tmp_path: Path, kind: str) -> None:
    index = DenseIndex.build(vectors, kind=kind)
    assert index.save(tmp_path) == [INDEX_FILE]
    assert [p.name for p in tmp_path.iterdir()] == [INDEX_FILE]
    raw = (tmp_path / INDEX_FILE).read_bytes()
    assert not raw.startswith(b"\x80")  # a pickle stream starts with the PROTO opcode
    assert raw[:4] in (b"IxFI", b"IHNf", b"IwFl")  # FAISS fourcc: flat inner product / HNSW flat / IVF flat
    loaded = DenseIndex.load(tmp_path, use_gpu=False)
    assert loaded.kind == kind and loaded.device == "cpu" and len(loaded) == len(vectors)
    q = vectors[:50]
    s0, r0 = index.search(q, 10)
    s1, r1 = loaded.search(q, 10)
    assert np.array_equal(r0, r1) and np.allclose(s0, s1)
    if kind == "hnsw":
        assert loaded.index.hnsw.efSearch == 128
    if kind == "ivf":
        assert loaded.index.nprobe == dense.IVF_NPROBE


def test_load_places_on_gpu_only_when_faiss_has_one(vectors: np.ndarray, tmp_path: Path) -> None:
    DenseIndex.build(vectors, kind="flat").save(tmp_path)
    auto = DenseIndex.load(tmp_path)
    if gpu_count() == 0:
        # faiss-cpu (or no CUDA device): the same call works and stays on the CPU; demanding a GPU says why not.
        assert auto.device == "cpu"
        with pytest.raises(RuntimeError, match="GPU"):
            DenseIndex.load(tmp_path, use_gpu=True)
    else:
        assert auto.device == "cuda"
        _, rows = auto.search(vectors[:20], 1)
        assert np.array_equal(rows[:, 0], np.arange(20))
        # Saving a GPU index writes the CPU form, readable anywhere.
        out = tmp_path / "again"
        auto.save(out)
        assert DenseIndex.load(out, use_gpu=False).device == "cpu"


def test_search_edges(vectors: np.ndarray) -> None:
    index = DenseIndex.build(vectors[:5], kind="flat")
    scores, rows = index.search(vectors[0], 10)  # one query as a 1-D vector; k above ntotal
    assert rows.shape == (1, 5) and sorted(rows[0].tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="dimension|차원|match"):
        index.search(np.ones((1, 7), dtype=np.float32), 3)
    with pytest.raises(ValueError, match="unknown index kind"):
        DenseIndex.build(vectors[:5], kind="ivfpq")
    with pytest.raises(ValueError, match="train"):
        DenseIndex.build(np.zeros((0, 48), dtype=np.float32), kind="ivf")
    empty = DenseIndex.build(np.zeros((0, 48), dtype=np.float32))
    s, r = empty.search(vectors[:2], 3)
    assert s.shape == r.shape == (2, 0)
    with pytest.raises(FileNotFoundError):
        DenseIndex.load(Path("/nonexistent-legal-rag-index"))


def test_statute_articles_find_themselves(law_dir: Path, tmp_path: Path) -> None:
    # Real article vectors (최저임금법, LSA embedder with no fine-tuning): each article's own text is its top hit.
    articles = []
    for path in sorted((law_dir / "최저임금법").glob("*.md")):
        articles += [a for a in parse_markdown_file(path).articles if not a.is_addendum and not a.deleted]
    tokens = tokenize_many([a.text for a in articles])
    emb = train_static_embedder(tokens, [], dim=32, epochs=0)
    vecs = emb.encode_tokens(tokens)
    # Identical bodies (none expected, but be exact about it) would tie; compare against distinct texts only.
    distinct = [i for i, a in enumerate(articles) if [b.text for b in articles].count(a.text) == 1]
    index = DenseIndex.build(vecs, kind="flat")
    index.save(tmp_path)
    loaded = DenseIndex.load(tmp_path, use_gpu=False)
    _, rows = loaded.search(emb.encode([articles[i].text for i in distinct]), 1)
    assert np.array_equal(rows[:, 0], np.asarray(distinct))


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_search_within_rows_stays_inside_them(vectors: np.ndarray, kind: str) -> None:
    index = DenseIndex.build(vectors, kind=kind)
    allowed = np.arange(5, 3000, 97)  # 31 rows scattered over the lists
    scores, rows = index.search(vectors[:4], 10, rows_within=allowed)
    assert rows.shape == (4, 10)
    assert np.isin(rows[rows >= 0], allowed).all()
    # Exact over the subset for flat and IVF (every list probed): the best allowed rows by inner product.
    if kind != "hnsw":
        expected = allowed[np.argsort(-(vectors[allowed] @ vectors[:4].T), axis=0)[:10]].T
        assert np.array_equal(rows, expected)
    # A query that is itself an allowed row finds itself first.
    _, own = index.search(vectors[allowed[:3]], 1, rows_within=allowed)
    assert own[:, 0].tolist() == allowed[:3].tolist()
    # k is capped at the subset's size.
    assert index.search(vectors[:1], 50, rows_within=allowed[:5])[1].shape == (1, 5)
