"""The dense side under a law filter: searched inside FAISS (shipped) next to a global search post-filtered
(before), on one loaded index, alternating per query.

    python -m bench.dense_filter --index /tmp/idx/full2 --law 민법 --law 근로기준법 --law 부가가치세법

For each law, everyday questions x repeats through HybridRetriever.dense_scores with the dense weight 0.25
(the side is off by default): median milliseconds and the number of articles each way returns.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from bench.precedent_noise import QUESTIONS
from legal_rag.versions import today_kst


def main(argv: Sequence[str] | None = None) -> int:
    from legal_rag.search.bundle import IndexBundle
    from legal_rag.search.retriever import HybridRetriever, RetrievalConfig

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--index", type=Path, required=True, help="an index with a dense side")
    p.add_argument("--law", action="append", required=True, help="law filter to try (repeatable)")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    bundle = IndexBundle(args.index, verify=False)
    try:
        if bundle.dense is None:
            print("this index has no dense side / 밀집 색인이 없습니다")
            return 2
        retriever = HybridRetriever(bundle, RetrievalConfig(dense_weight=0.25))
        out: dict[str, object] = {}
        for law in args.law:
            mask = retriever._mask(today_kst(), (law,))
            times: dict[str, list[float]] = {"after": [], "inside": []}
            found: dict[str, list[int]] = {"after": [], "inside": []}
            for rep in range(args.repeats):
                for q in QUESTIONS:
                    order = ("after", "inside") if rep % 2 == 0 else ("inside", "after")
                    for way in order:
                        t0 = time.perf_counter()
                        articles = retriever.dense_scores(q, mask, filtered=way == "inside")
                        times[way].append((time.perf_counter() - t0) * 1000)
                        found[way].append(len(articles))
            out[law] = {way: {"p50_ms": round(statistics.median(times[way]), 2),
                              "articles_mean": round(statistics.fmean(found[way]), 1)} for way in times}
    finally:
        bundle.close()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
