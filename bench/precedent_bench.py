"""Precedent ingest cost on the sample, replicated to see how it scales: `python -m bench.precedent_bench`.

Builds only the precedent part (ingest/precedent_source.build_precedent_part) against the statute store of an
existing index, from a cold per-file cache and then a warm one, for the sample copied `--copies` times under
distinct paths. Prints one JSON object: seconds per stage, peak RSS, artifact sizes, query latencies.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _replicate(sample: Path, dst: Path, copies: int) -> int:
    n = 0
    for i in range(copies):
        for p in sample.rglob("*.md"):
            if p.name == "README.md":
                continue
            rel = p.relative_to(sample)
            target = dst / f"copy{i:03d}" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, target)
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--index", type=Path, required=True, help="a built statute index (its articles.sqlite is used)")
    ap.add_argument("--precedents", type=Path, default=Path("../shared/corpus/precedent-kr-sample"))
    ap.add_argument("--copies", type=int, default=1)
    args = ap.parse_args(argv)

    from ingest.options import IngestOptions
    from ingest.precedent_source import build_precedent_part
    from legal_rag.index_format import PRECEDENTS_DIR, resolve_index
    from legal_rag.precedents.search import PrecedentIndex
    from legal_rag.tokenizer import tokenize

    tokenize("준비")  # kiwi's model load is not charged to the build
    base_rss = _rss_mb()
    out: dict[str, Any] = {"copies": args.copies, "rss_mb_after_kiwi": round(base_rss, 1)}
    with tempfile.TemporaryDirectory(prefix="precbench-") as tmp:
        root = Path(tmp)
        coll = root / "collection"
        out["files"] = _replicate(args.precedents, coll, args.copies)
        out["source_bytes"] = sum(p.stat().st_size for p in coll.rglob("*.md"))
        build = root / "build"
        build.mkdir()
        (build / "articles.sqlite").symlink_to(resolve_index(args.index) / "articles.sqlite")
        opts = IngestOptions(corpus=[], out=root / "idx", precedents=[coll], progress=False)
        for run in ("cold", "warm"):
            shutil.rmtree(build / PRECEDENTS_DIR, ignore_errors=True)
            t = time.perf_counter()
            info = build_precedent_part(build, opts, root / "cache")
            out[f"{run}_seconds"] = round(time.perf_counter() - t, 2)
            out[f"{run}_decisions"] = info["decisions"]
        out["issues"] = info["issues"]
        out["peak_rss_mb"] = round(_rss_mb(), 1)
        part = build / PRECEDENTS_DIR
        out["artifact_bytes"] = {p.name: p.stat().st_size for p in sorted(part.iterdir())}
        out["cache_bytes"] = sum(p.stat().st_size for p in (root / "cache").rglob("*") if p.is_file())
        index = PrecedentIndex(part)
        t = time.perf_counter()
        for _ in range(20):
            index.search("제3자에 의한 채권침해가 불법행위가 되기 위한 요건", 10)
        out["search_ms"] = round((time.perf_counter() - t) * 1000 / 20, 2)
        law_id = next(iter(index.store.cited_articles()), None)
        t = time.perf_counter()
        for _ in range(20):
            index.lookup("99다38699")
        out["lookup_ms"] = round((time.perf_counter() - t) * 1000 / 20, 2)
        del law_id
        index.close()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
