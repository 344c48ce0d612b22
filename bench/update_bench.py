"""Re-ingest after one statute file changes: the incremental update against a full rebuild, same index.

    python -m bench.update_bench --index /tmp/idx/full --cache-dir /tmp/idx/.fullcache \
        --file /tmp/full/kr/<법령>/법률.md [--repeats 3] [--no-baseline] [--json]

Each repeat amends one article of `--file` (a sentence never seen before appended to its first article's body,
as an 일부개정 would), runs `legal-rag ingest` on the index's corpus in a child process (interpreter start
included in the wall time), then restores the file and runs it again (the original is in the per-file cache:
a revert), so the index ends as it began. The baseline is
`legal-rag ingest --full` on the same corpus with the same warm per-file cache: what every re-ingest cost
before incremental updates. The file is restored byte for byte even when a run fails (checked by sha256).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.ingest_bench import REPO, corpus_of, embedder_of

AMENDMENT = " 이 조는 시험 개정({n})으로 추가된 문장이다."


def _ingest(index: Path, cache: Path, corpus: list[Path], embedder: str, full: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "legal_rag.cli", "ingest", "--out", str(index), "--cache-dir", str(cache),
           "--embedder", embedder, "--no-progress", "--json"]
    for c in corpus:
        cmd += ["--corpus", str(c)]
    if full:
        cmd.append("--full")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(REPO))
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"ingest failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout[proc.stdout.index("{"):])
    return {"wall_s": round(wall, 3), "mode": summary["mode"], "seconds": summary["seconds"],
            "stages": summary["stages"], "changed_files": summary["changed_files"]}


def _amend(text: str, n: int) -> str:
    """The first article's first body line gets one more sentence, numbered so that no run finds the amended
    file in the per-file cache (every update parses and tokenises it for real)."""
    lines = text.split("\n")
    seen_article = False
    for i, line in enumerate(lines):
        if line.startswith("##### 제"):
            seen_article = True
        elif seen_article and line.strip():
            lines[i] = line.rstrip() + AMENDMENT.format(n=n)
            return "\n".join(lines)
    raise ValueError("no article body to amend / 개정할 조문 본문이 없습니다")


def run(index: Path, cache: Path, file: Path, repeats: int, baseline: bool) -> dict[str, Any]:
    corpus, embedder = corpus_of(index), embedder_of(index)
    original = file.read_bytes()
    digest = hashlib.sha256(original).hexdigest()
    nonce = time.time_ns()
    updates: list[dict[str, Any]] = []
    try:
        for i in range(repeats):
            file.write_bytes(_amend(original.decode("utf-8"), nonce + i).encode("utf-8"))
            updates.append(_ingest(index, cache, corpus, embedder))
            file.write_bytes(original)
            updates.append(_ingest(index, cache, corpus, embedder))
    finally:
        file.write_bytes(original)
        if hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            raise RuntimeError(f"{file} was not restored / 파일을 복원하지 못했습니다")
    result: dict[str, Any] = {
        "index": str(index), "file": str(file), "file_bytes": len(original), "embedder": embedder,
        "updates": updates, "update_wall_median_s": round(statistics.median(u["wall_s"] for u in updates), 3),
    }
    if baseline:
        full = _ingest(index, cache, corpus, embedder, full=True)
        result["full_rebuild"] = full
        result["ratio_update_to_full"] = round(result["update_wall_median_s"] / full["wall_s"], 4)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, required=True, help="a built index (updated in place, ends unchanged)")
    p.add_argument("--cache-dir", type=Path, required=True, help="the per-file cache the index was built with")
    p.add_argument("--file", type=Path, required=True, help="the statute file to amend (restored afterwards)")
    p.add_argument("--repeats", type=int, default=3, help="amend + restore pairs (2 updates each)")
    p.add_argument("--no-baseline", action="store_true", help="skip the full rebuild baseline")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    res = run(a.index, a.cache_dir, a.file.resolve(), a.repeats, not a.no_baseline)
    if a.json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
        return 0
    print("| run | mode | wall s | stages |\n|---|---|---:|---|")
    for u in res["updates"]:
        print(f"| update | {u['mode']} | {u['wall_s']:.2f} | {u['stages']} |")
    if "full_rebuild" in res:
        f = res["full_rebuild"]
        print(f"| full rebuild (warm cache) | {f['mode']} | {f['wall_s']:.2f} | {f['stages']} |")
        print(f"\nupdate median {res['update_wall_median_s']:.2f} s; update / full = ×{res['ratio_update_to_full']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
