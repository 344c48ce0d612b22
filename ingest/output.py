"""Writing a build: the retrieval tables every build has, the manifest, and the atomic publish."""

from __future__ import annotations

import platform
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.options import IngestOptions
from ingest.sources import corpus_snapshot
from legal_rag.bm25 import BM25Counts
from legal_rag.index_format import (
    Manifest,
    SourceRecord,
    new_build_dir,
    publish,
    write_chunk_table,
    write_source_table,
)
from legal_rag.tokenizer import TOKENIZER_ID


class StageTimer:
    """Seconds spent in each named stage of a build, reported in the summary (and to an optional callback)."""

    def __init__(self, on_stage: Callable[[str], None] | None = None) -> None:
        self.started = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}
        self.on_stage = on_stage

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(now - self.last, 3)
        self.last = now
        if self.on_stage:
            self.on_stage(name)

    def total(self) -> float:
        return round(time.perf_counter() - self.started, 2)


@contextmanager
def new_build(out: Path) -> Iterator[Path]:
    """A fresh build directory; removed if anything fails before it is published (the old index stays)."""
    build = new_build_dir(out)
    try:
        yield build
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


def write_tables(build: Path, counts: BM25Counts, doc_ids: list[str], pieces: list[int],
                 records: list[SourceRecord]) -> None:
    if counts.n_docs != len(doc_ids):
        raise AssertionError(f"BM25 has {counts.n_docs} rows, the chunk table {len(doc_ids)}")
    counts.save(build)
    write_chunk_table(build, doc_ids, pieces)
    write_source_table(build, records)


def finish(build: Path, opts: IngestOptions, *, files: int, statutes: int, articles: int, addenda: int,
           chunks: int, skipped: list[dict[str, str]], embedder: dict[str, Any], dense: dict[str, Any],
           started: float, extra: dict[str, Any] | None = None) -> None:
    """Write manifest.json (checksums of every artifact) and publish the build at opts.out."""
    manifest = Manifest(
        corpus=[str(p) for p in opts.corpus],
        corpus_snapshot=corpus_snapshot(opts.corpus),
        files=files, statutes=statutes, articles=articles, addenda=addenda, chunks=chunks,
        skipped=skipped, tokenizer=TOKENIZER_ID, embedder=embedder, dense=dense,
        build_seconds=round(time.perf_counter() - started, 2),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        build_id=build.name,
    )
    manifest.options = {**opts.build_options(), "python": platform.python_version(),
                        "machine": platform.machine(), **(extra or {})}
    manifest.write(build)
    publish(build, opts.out)
