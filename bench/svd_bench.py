"""The LSA initialisation's randomized SVD in float32 (shipped) next to float64 (before), in one process.

    python -m bench.svd_bench --index index/default --repeats 3

Runs legal_rag.embedder.lsa's tf-idf on the index's chunk counts, then scikit-learn's randomized_svd with the
shipped settings on the float64 matrix and on its float32 copy, alternating; prints medians, the ratio and the
largest difference of the singular values relative to the first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def main(argv: Sequence[str] | None = None) -> int:
    from sklearn.utils.extmath import randomized_svd

    from legal_rag.bm25 import BM25Counts
    from legal_rag.embedder.lsa import SVD_ITERATIONS, SVD_OVERSAMPLES, tfidf
    from legal_rag.index_format import resolve_index

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--dim", type=int, default=256, help="components (the kiwi-static default)")
    args = p.parse_args(argv)
    x64, _ = tfidf(BM25Counts.load(resolve_index(args.index)).tf)
    x32 = x64.astype(np.float32)
    times: dict[str, list[float]] = {"float64": [], "float32": []}
    values: dict[str, np.ndarray] = {}
    for rep in range(args.repeats):
        order = ["float64", "float32"] if rep % 2 == 0 else ["float32", "float64"]
        for name in order:
            x = x64 if name == "float64" else x32
            t0 = time.perf_counter()
            _, s, _ = randomized_svd(x, args.dim, n_oversamples=SVD_OVERSAMPLES, n_iter=SVD_ITERATIONS,
                                     random_state=0, flip_sign=True)
            times[name].append(time.perf_counter() - t0)
            values[name] = np.asarray(s, dtype=np.float64)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({"matrix": list(x64.shape), "nnz": int(x64.nnz), "median_s": med,
                      "ratio_float32_over_float64": round(med["float32"] / med["float64"], 3),
                      "max_rel_diff_singular_values": float(np.max(np.abs(values["float32"] - values["float64"]))
                                                            / values["float64"][0])}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
