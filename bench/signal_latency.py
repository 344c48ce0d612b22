"""Retrieval latency of the shipped configuration next to the one it replaced, in one process, interleaved.

    python -m bench.signal_latency --index index/full --dataset ../shared/eval/dev.jsonl \
        --dataset ../shared/eval/dev_whole.jsonl --repeats 3

Both configurations search the same loaded index; each query runs under A then B (then B then A on the next
pass, so neither always pays for a cold cache). Reports p50/p95/p99 of Engine.search per configuration and the
B/A ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bench.evaluation import load_dataset
from legal_rag.search.retriever import HybridRetriever, RetrievalConfig
from legal_rag.versions import today_kst

# What Engine.search did before the precedent signal (issue 11, first round): statute evidence and citation prior,
# no decisions. (Before that: dense_weight=0.25, statute_weight=0, statute_prior=0; docs/benchmarks.md.)
PREVIOUS = replace(RetrievalConfig(), precedent_weight=0.0)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> int:
    from legal_rag.search.engine import Engine

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--dataset", type=Path, action="append", required=True)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--top-k", type=int, default=10)
    args = p.parse_args(argv)
    queries = [it.query for path in args.dataset for it in load_dataset(path)[0]]
    as_of = today_kst()
    engine = Engine(args.index, verify=False)
    configs = {"previous": PREVIOUS, "shipped": RetrievalConfig()}
    retrievers = {name: HybridRetriever(engine.bundle, cfg) for name, cfg in configs.items()}
    times: dict[str, list[float]] = {name: [] for name in configs}
    try:
        for name in configs:  # warm-up: kiwi, the statute index, the version masks
            engine.retriever = retrievers[name]
            engine.search(queries[0], top_k=args.top_k, as_of=as_of)
        for rep in range(args.repeats):
            order = list(configs) if rep % 2 == 0 else list(reversed(configs))
            for q in queries:
                for name in order:
                    engine.retriever = retrievers[name]
                    t0 = time.perf_counter()
                    engine.search(q, top_k=args.top_k, as_of=as_of)
                    times[name].append((time.perf_counter() - t0) * 1000)
    finally:
        engine.close()
    out = {name: {"n": len(v), "p50_ms": round(percentile(v, 0.5), 2), "p95_ms": round(percentile(v, 0.95), 2),
                  "p99_ms": round(percentile(v, 0.99), 2), "mean_ms": round(statistics.fmean(v), 2)}
           for name, v in times.items()}
    out["ratio_shipped_over_previous"] = {
        k: round(out["shipped"][k] / out["previous"][k], 3) for k in ("p50_ms", "p95_ms", "p99_ms")}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
