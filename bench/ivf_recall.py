"""How close the IVF index stays to an exact search, per nprobe: the share of a flat scan's top-k neighbours it
finds for the dev questions, and its FAISS-only time per query, side by side with the flat scan in one process.

    python -m bench.ivf_recall --index /tmp/idx/full [--dataset ../shared/eval/dev.jsonl] [--k 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

NPROBES = (8, 16, 32, 48, 64, 128)


def _timed(index: object, queries: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    rows, times = [], []
    for q in queries:
        t = time.perf_counter()
        _, r = index.search(q[None, :], k)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - t) * 1000)
        rows.append(r[0])
    return np.asarray(rows), statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    import faiss

    from legal_rag.dense import DenseIndex
    from legal_rag.embedder import load_embedder
    from legal_rag.index_format import Manifest, resolve_index

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--dataset", type=Path, default=Path("../shared/eval/dev.jsonl"))
    p.add_argument("--k", type=int, default=50)
    a = p.parse_args(argv)
    directory = resolve_index(a.index)
    dense = DenseIndex.load(directory, use_gpu=False)
    if dense.kind != "ivf":
        print(f"{a.index} has a {dense.kind} index, not IVF / IVF 색인이 아닙니다", file=sys.stderr)
        return 1
    emb_path = Manifest.read(directory).embedder.get("path")
    embedder = load_embedder(str(directory / emb_path) if emb_path else Manifest.read(directory).embedder["id"])
    questions = [json.loads(line)["query"] for line in a.dataset.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = embedder.encode(questions)
    vectors = dense.vectors()
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    exact, flat_ms = _timed(flat, queries, a.k)
    ivf: Any = dense.index
    print(f"| nprobe (of {ivf.nlist} lists) | share of exact top-{a.k} | share of exact top-10 | median ms |")
    print("|---:|---:|---:|---:|")
    for nprobe in NPROBES:
        ivf.nprobe = nprobe
        got, ms = _timed(ivf, queries, a.k)
        top_k = np.mean([len(set(g) & set(h)) / a.k for g, h in zip(exact, got, strict=True)])
        top_10 = np.mean([len(set(g[:10]) & set(h[:10])) / 10 for g, h in zip(exact, got, strict=True)])
        print(f"| {nprobe} | {top_k:.3f} | {top_10:.3f} | {ms:.2f} |")
    print(f"| flat | 1 | 1 | {flat_ms:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
